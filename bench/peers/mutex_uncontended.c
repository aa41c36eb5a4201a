/*
 * mutex_uncontended: pthread_mutex_lock + pthread_mutex_unlock of a free
 * mutex by the only thread, 20,000,000 times. Free locks are taken with an
 * atomic instruction and no system call, so every system should run this at
 * native speed: a slower number means the system taxes plain user code.
 */
#include "bench.h"
#include <pthread.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	volatile long held = 0;

	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (pthread_mutex_lock(&m) != 0)
			die("pthread_mutex_lock");
		held++;
		if (pthread_mutex_unlock(&m) != 0)
			die("pthread_mutex_unlock");
	}
	double t1 = now_s();
	if (held != n) {
		fprintf(stderr, "mutex_uncontended: %ld increments, want %ld\n", (long)held, n);
		return 1;
	}
	report("mutex_uncontended", n, t1 - t0);
	return 0;
}
