/*
 * thread_create: pthread_create of a thread that returns at once, then
 * pthread_join of it; 20,000 times. One op is one create + join, so the row
 * holds a clone, the new thread's start and exit, and the clear_child_tid
 * futex wake that join waits for.
 */
#include "bench.h"
#include <pthread.h>

static void *
body(void *arg)
{
	return arg;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	pthread_t t;
	void *ret;

	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		int e = pthread_create(&t, NULL, body, (void *)i);

		if (e != 0) {
			fprintf(stderr, "pthread_create: error %d\n", e);
			return 1;
		}
		if (pthread_join(t, &ret) != 0 || ret != (void *)i) {
			fprintf(stderr, "pthread_join: wrong thread or value\n");
			return 1;
		}
	}
	double t1 = now_s();
	report("thread_create", n, t1 - t0);
	return 0;
}
