/*
 * mutex_contended: 4 threads each add 1 to one counter 500,000 times, each
 * addition under the same pthread mutex. One op is one locked increment
 * (2,000,000 in all); the counter must come out exact. Pinned to one CPU a
 * thread waits in the kernel when its time slice ended inside the critical
 * section of another, so the row weighs futex waits and wakes and the
 * switches between threads of one process.
 */
#include "bench.h"
#include <pthread.h>

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter, per_thread;

static void *
adder(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		if (pthread_mutex_lock(&lock) != 0)
			return (void *)1;
		counter++;
		if (pthread_mutex_unlock(&lock) != 0)
			return (void *)1;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	void *ret;
	int bad = 0;

	per_thread = argc > 1 ? atol(argv[1]) : 2000000;
	double t0 = now_s();
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, adder, NULL) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_join(t[i], &ret) != 0 || ret != NULL)
			bad = 1;
	}
	double t1 = now_s();
	if (bad || counter != NTHREADS * per_thread) {
		fprintf(stderr, "mutex_contended: counter %ld, want %ld\n", counter,
			NTHREADS * per_thread);
		return 1;
	}
	report("mutex_contended", NTHREADS * per_thread, t1 - t0);
	return 0;
}
