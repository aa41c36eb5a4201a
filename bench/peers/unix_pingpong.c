/*
 * unix_pingpong: two processes ping-pong one byte over an AF_UNIX stream
 * socket pair, 100,000 round trips: each side writes a byte and reads the
 * other's, which blocks until the other side has written.
 */
#include "bench.h"
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int sv[2], st;
	char c = 'x';

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			if (read(sv[1], &c, 1) != 1 || write(sv[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (write(sv[0], &c, 1) != 1)
			die("write");
		if (read(sv[0], &c, 1) != 1)
			die("read");
	}
	double t1 = now_s();
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child");
	report("unix_pingpong", n, t1 - t0);
	return 0;
}
