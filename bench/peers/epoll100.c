/*
 * epoll100: epoll_wait over 101 pipes of which one is active: a child writes
 * a byte to the active pipe, the parent's epoll_wait reports it, the parent
 * reads it and answers over a second pipe; 50,000 round trips. The 100 idle
 * pipes stay registered and never ready, so the row shows what an idle
 * descriptor costs a wait.
 */
#include "bench.h"
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#define IDLE 100

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 50000;
	int idle[IDLE][2], act[2], back[2], ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out[8];
	char c = 'x';

	if (ep < 0)
		die("epoll_create1");
	for (int i = 0; i < IDLE; i++) {
		if (pipe(idle[i]))
			die("pipe");
		ev.data.u32 = (unsigned)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, idle[i][0], &ev))
			die("epoll_ctl");
	}
	if (pipe(act) || pipe(back))
		die("pipe");
	ev.data.u32 = IDLE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, act[0], &ev))
		die("epoll_ctl");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			if (write(act[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		int k = epoll_wait(ep, out, 8, -1);

		if (k != 1 || out[0].data.u32 != IDLE)
			die("epoll_wait");
		if (read(act[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
			die("read/write");
	}
	double t1 = now_s();
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child");
	report("epoll100", n, t1 - t0);
	return 0;
}
