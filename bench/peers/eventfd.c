/*
 * eventfd: two processes ping-pong over two eventfds (counter mode), 100,000
 * round trips: each side adds 1 to the other's counter and reads its own,
 * which blocks until the other side has written.
 */
#include "bench.h"
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int a = eventfd(0, 0), b = eventfd(0, 0);
	uint64_t one = 1, got;

	if (a < 0 || b < 0)
		die("eventfd");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			if (read(a, &got, 8) != 8 || write(b, &one, 8) != 8)
				_exit(1);
		}
		_exit(0);
	}
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (write(a, &one, 8) != 8)
			die("write");
		if (read(b, &got, 8) != 8)
			die("read");
	}
	double t1 = now_s();
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child");
	report("eventfd", n, t1 - t0);
	return 0;
}
