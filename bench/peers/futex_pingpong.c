/*
 * futex_pingpong: two threads of one process hand a turn back and forth
 * through two futex words, with raw futex(2) calls (FUTEX_WAIT_PRIVATE and
 * FUTEX_WAKE_PRIVATE, no libc locking): round i, the main thread stores i+1
 * in ping and wakes it, then waits until pong holds i+1; the other thread
 * waits for ping to reach i+1 and answers in pong. 100,000 round trips; one
 * op is one round trip (two wakes, and two waits unless a word was already
 * set). A thread switch inside one process is what the row measures.
 */
#include "bench.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

/* linux/futex.h's values: musl-gcc has no kernel headers. */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)

static int ping, pong;
static long rounds;

static void
futex_wait(int *w, int old)
{
	/* EAGAIN (the word already moved on) and EINTR just mean look again. */
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
}

static void
futex_wake(int *w)
{
	if (syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		die("futex wake");
}

/* Wait until *w holds want. */
static void
await(int *w, int want)
{
	int v;

	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		futex_wait(w, v);
}

static void *
answer(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		await(&ping, (int)(i + 1));
		__atomic_store_n(&pong, (int)(i + 1), __ATOMIC_RELEASE);
		futex_wake(&pong);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;

	rounds = argc > 1 ? atol(argv[1]) : 100000;
	if (pthread_create(&t, NULL, answer, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	double t0 = now_s();
	for (long i = 0; i < rounds; i++) {
		__atomic_store_n(&ping, (int)(i + 1), __ATOMIC_RELEASE);
		futex_wake(&ping);
		await(&pong, (int)(i + 1));
	}
	double t1 = now_s();
	if (pthread_join(t, NULL) != 0)
		die("pthread_join");
	report("futex_pingpong", rounds, t1 - t0);
	return 0;
}
