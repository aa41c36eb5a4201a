/*
 * unix_stream64k: throughput of an AF_UNIX stream socket pair: one process
 * writes 64 KiB at a time, the other reads until 1 GiB has passed; one op
 * is one 64 KiB write.
 */
#include "bench.h"
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 16384;
	static char buf[65536];
	int sv[2], st;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		long left = n * (long)sizeof(buf);

		close(sv[0]);
		while (left > 0) {
			ssize_t r = read(sv[1], buf, sizeof(buf));

			if (r <= 0)
				_exit(1);
			left -= r;
		}
		_exit(0);
	}
	close(sv[1]);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (write(sv[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	}
	waitpid(pid, &st, 0);
	double t1 = now_s();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child");
	report("unix_stream64k", n, t1 - t0);
	return 0;
}
