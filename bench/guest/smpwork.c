/*
 * smpwork.c - the fixed work of the SMP scaling benchmark (issue 11),
 * timed from outside by bench/run-smp-bench.sh: the program prints only a
 * checksum, so that a wrong result shows and the work cannot be optimized away.
 *
 *   smpwork threads N WORK   N threads, each WORK million steps of a
 *                            CPU-bound loop (no system calls, no shared lines)
 *   smpwork procs N WORK     the same in N forked processes
 *   smpwork getppid N ITERS  N forked processes, each ITERS getppid() calls:
 *                            syscall-bound, so it scales only as far as the
 *                            kernel lets two vCPUs serve system calls at once
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXN 64

static long work;
static unsigned long results[MAXN];

static unsigned long
spin(long millions, unsigned long seed)
{
	unsigned long x = seed;

	for (long i = 0; i < millions * 1000000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

static void *
spin_thread(void *arg)
{
	long i = (long)arg;

	results[i] = spin(work, (unsigned long)i);
	return NULL;
}

static unsigned long
calls(long iters)
{
	unsigned long sum = 0;

	for (long i = 0; i < iters; i++)
		sum += (unsigned long)syscall(SYS_getppid);
	return sum;
}

int
main(int argc, char **argv)
{
	pthread_t tids[MAXN];
	unsigned long sum = 0;
	long n;

	if (argc != 4 || (n = atol(argv[2])) < 1 || n > MAXN || (work = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: smpwork threads|procs|getppid N WORK\n");
		return 2;
	}
	if (strcmp(argv[1], "threads") == 0) {
		for (long i = 0; i < n; i++)
			if (pthread_create(&tids[i], NULL, spin_thread, (void *)i) != 0)
				return 1;
		for (long i = 0; i < n; i++) {
			pthread_join(tids[i], NULL);
			sum ^= results[i];
		}
	} else if (strcmp(argv[1], "procs") == 0 || strcmp(argv[1], "getppid") == 0) {
		int bad = 0;

		for (long i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (pid == 0) {
				if (argv[1][0] == 'p')
					_exit(spin(work, (unsigned long)i) & 0x7f);
				_exit(calls(work) != (unsigned long)work * getppid());
			}
		}
		for (long i = 0; i < n; i++) {
			int st;

			if (wait(&st) < 0 || !WIFEXITED(st))
				bad = 1;
			else if (argv[1][0] == 'p')
				sum += WEXITSTATUS(st);
			else
				bad |= WEXITSTATUS(st);
		}
		if (bad)
			return 1;
	} else {
		return 2;
	}
	printf("%lu\n", sum);
	return 0;
}
