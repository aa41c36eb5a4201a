/*
 * t_epoll - epoll over pipes: level and edge triggering, one-shot and its
 * re-arm, hang-up and error reports, the interest list's keys (a dup'd
 * descriptor closed keeps the entry, the last close drops it, fork shares
 * the instance), nested instances and their loops, epoll on poll(2), a
 * blocking epoll_wait woken by a child, and the ERRORS of epoll_ctl(2),
 * epoll_create(2) and epoll_wait(2); an eventfd and a timerfd watched too.
 *
 * Usage: t_epoll
 *        t_epoll fill NPROC   NPROC processes each add 900 descriptors (dups of
 *                             one pipe end) to 20 instances: each ADD succeeds
 *                             or fails with ENOMEM or ENOSPC (out of memory, or
 *                             past max_user_watches, as Linux says); after,
 *                             an instance still works.
 *
 * Every look that must not block uses a zero timeout; the one blocking
 * wait has an infinite timeout and an alarm after 30 s makes a hang fail.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define SAFETY_S 30

static void
on_alarm(int sig)
{
	(void)sig;
	say("FAIL: hung for %d s\n", SAFETY_S);
	_exit(1);
}

static int
add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int
mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* One look (timeout 0): the count, the first event in *ev. */
static int
look(int ep, struct epoll_event *ev)
{
	struct epoll_event tmp[8];
	int n = epoll_wait(ep, tmp, 8, 0);

	if (n > 0 && ev)
		*ev = tmp[0];
	return n;
}

static void
check_level_edge(void)
{
	int fd[2], ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	char buf[16];

	CHECK_OK("epoll_create1(EPOLL_CLOEXEC)", ep);
	CHECK_EQ("EPOLL_CLOEXEC sets FD_CLOEXEC", fcntl(ep, F_GETFD), FD_CLOEXEC);
	CHECK_OK("pipe2", pipe2(fd, O_NONBLOCK));
	CHECK_OK("ADD read end, level", add(ep, fd[0], EPOLLIN, 7));
	CHECK_EQ("empty pipe: nothing", look(ep, NULL), 0);
	CHECK_EQ("write", write(fd[1], "abc", 3), 3);
	CHECK_EQ("data: one event", look(ep, &ev), 1);
	CHECK_EQX("data: EPOLLIN", ev.events, EPOLLIN);
	CHECK_EQ("data: its u64", ev.data.u64, 7);
	CHECK_EQ("level: reported again", look(ep, NULL), 1);
	CHECK_EQ("drain", read(fd[0], buf, sizeof(buf)), 3);
	CHECK_EQ("drained: nothing", look(ep, NULL), 0);

	CHECK_OK("MOD to edge", mod(ep, fd[0], EPOLLIN | EPOLLET, 8));
	CHECK_EQ("write", write(fd[1], "abcd", 4), 4);
	CHECK_EQ("edge: one event", look(ep, &ev), 1);
	CHECK_EQ("edge: new u64", ev.data.u64, 8);
	CHECK_EQ("edge: not again without new data", look(ep, NULL), 0);
	CHECK_EQ("partial read", read(fd[0], buf, 2), 2);
	CHECK_EQ("edge: a read is no new event", look(ep, NULL), 0);
	CHECK_EQ("drain", read(fd[0], buf, sizeof(buf)), 2);
	CHECK_ERR("drain until EAGAIN", read(fd[0], buf, sizeof(buf)), EAGAIN);
	CHECK_EQ("edge: nothing after draining", look(ep, NULL), 0);
	CHECK_EQ("new data", write(fd[1], "x", 1), 1);
	CHECK_EQ("edge: new data is an event", look(ep, NULL), 1);
	CHECK_EQ("drain", read(fd[0], buf, sizeof(buf)), 1);

	CHECK_OK("MOD to one-shot", mod(ep, fd[0], EPOLLIN | EPOLLONESHOT, 9));
	CHECK_EQ("write", write(fd[1], "y", 1), 1);
	CHECK_EQ("one-shot: one event", look(ep, &ev), 1);
	CHECK_EQ("one-shot: disabled after", look(ep, NULL), 0);
	CHECK_EQ("more data", write(fd[1], "z", 1), 1);
	CHECK_EQ("one-shot: still disabled", look(ep, NULL), 0);
	CHECK_OK("MOD re-arms", mod(ep, fd[0], EPOLLIN | EPOLLONESHOT, 10));
	CHECK_EQ("re-armed: the pending data", look(ep, &ev), 1);
	CHECK_EQ("re-armed: its u64", ev.data.u64, 10);
	CHECK_EQ("drain", read(fd[0], buf, sizeof(buf)), 2);

	/* The writer goes: EPOLLHUP (reported even though not asked for); pipes give no RDHUP. */
	CHECK_OK("MOD level with RDHUP", mod(ep, fd[0], EPOLLIN | EPOLLRDHUP, 11));
	close(fd[1]);
	CHECK_EQ("writer closed: an event", look(ep, &ev), 1);
	CHECK_EQX("writer closed: EPOLLHUP", ev.events, EPOLLHUP);
	close(fd[0]);
	CHECK_EQ("last close of the watched file drops the entry", look(ep, NULL), 0);

	/* The reader goes: EPOLLERR on the write end. */
	CHECK_OK("pipe2", pipe2(fd, O_NONBLOCK));
	CHECK_OK("ADD write end", add(ep, fd[1], EPOLLOUT, 12));
	CHECK_EQ("write end: writable", look(ep, &ev), 1);
	CHECK_EQX("write end: EPOLLOUT", ev.events, EPOLLOUT);
	close(fd[0]);
	CHECK_EQ("reader closed: an event", look(ep, &ev), 1);
	CHECK_EQX("reader closed: EPOLLOUT|EPOLLERR", ev.events, EPOLLOUT | EPOLLERR);
	close(fd[1]);
	close(ep);
}

/*
 * A wait for fewer events than are ready takes turns: Linux moves each
 * level-triggered entry it reported to the end of its ready list, so three
 * pipes ready in the order A, B, C come out A, B, C, A, B with maxevents 1
 * (then 2: C, A). An edge-triggered entry reported leaves the list.
 */
static void
check_turns(void)
{
	int a[2], b[2], c[2], ep = epoll_create1(0), i;
	struct epoll_event ev[2];
	char got[16] = "";

	pipe2(a, O_NONBLOCK);
	pipe2(b, O_NONBLOCK);
	pipe2(c, O_NONBLOCK);
	write(a[1], "x", 1);
	write(b[1], "x", 1);
	write(c[1], "x", 1);
	add(ep, a[0], EPOLLIN, 'A');
	add(ep, b[0], EPOLLIN, 'B');
	add(ep, c[0], EPOLLIN | EPOLLET, 'C');
	for (i = 0; i < 3; i++)
		got[i] = epoll_wait(ep, ev, 1, 0) == 1 ? (char)ev[0].data.u64 : '-';
	/* C was edge-triggered: gone after one report; A and B alternate. */
	for (; i < 5; i++)
		got[i] = epoll_wait(ep, ev, 1, 0) == 1 ? (char)ev[0].data.u64 : '-';
	CHECK_STR("maxevents 1: ready entries take turns", got, "ABCAB");
	write(c[1], "x", 1); /* a new edge: C is ready again, last in line */
	got[0] = '\0';
	i = epoll_wait(ep, ev, 2, 0);
	if (i == 2)
		snprintf(got, sizeof(got), "%c%c", (char)ev[0].data.u64, (char)ev[1].data.u64);
	CHECK_STR("maxevents 2 after a new edge", got, "AB");
	i = epoll_wait(ep, ev, 2, 0);
	got[0] = '\0';
	if (i >= 1)
		snprintf(got, sizeof(got), "%c%c", (char)ev[0].data.u64,
			 i == 2 ? (char)ev[1].data.u64 : '.');
	CHECK_STR("then the new edge's turn", got, "CA");
	close(a[0]), close(a[1]), close(b[0]), close(b[1]), close(c[0]), close(c[1]);
	close(ep);
}

static void
check_keys(void)
{
	int fd[2], ep = epoll_create(1), d;
	struct epoll_event ev;
	pid_t pid;
	int st;

	CHECK_OK("epoll_create(1)", ep);
	CHECK_EQ("epoll_create: no FD_CLOEXEC", fcntl(ep, F_GETFD), 0);
	CHECK_OK("pipe", pipe(fd));
	d = dup(fd[0]);
	CHECK_OK("dup", d);
	CHECK_OK("ADD the dup", add(ep, d, EPOLLIN, 21));
	CHECK_OK("ADD the original too (another key)", add(ep, fd[0], EPOLLIN, 22));
	CHECK_ERR("ADD the dup again: EEXIST", add(ep, d, EPOLLIN, 0), EEXIST);
	CHECK_OK("close the dup", close(d));
	CHECK_EQ("write", write(fd[1], "a", 1), 1);
	CHECK_EQ("the closed dup's entry stays: two events", look(ep, NULL), 2);
	CHECK_ERR("DEL by the closed number: EBADF", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), EBADF);
	CHECK_OK("DEL the original", epoll_ctl(ep, EPOLL_CTL_DEL, fd[0], NULL));
	CHECK_EQ("one left, the dup's", look(ep, &ev), 1);
	CHECK_EQ("the dup's u64", ev.data.u64, 21);
	CHECK_ERR("DEL again: ENOENT", epoll_ctl(ep, EPOLL_CTL_DEL, fd[0], NULL), ENOENT);
	CHECK_ERR("MOD absent: ENOENT", mod(ep, fd[0], EPOLLIN, 0), ENOENT);

	/* fork: the child shares the instance; its read empties the pipe for both. */
	pid = fork();
	if (pid == 0) {
		char c;
		struct epoll_event e2;

		if (epoll_wait(ep, &e2, 1, 0) != 1 || e2.data.u64 != 21)
			_exit(2);
		if (read(fd[0], &c, 1) != 1)
			_exit(3);
		_exit(epoll_wait(ep, &e2, 1, 0) == 0 ? 0 : 4);
	}
	CHECK_TRUE("fork", pid > 0, "got %d", (int)pid);
	CHECK_EQ("the child saw the shared instance", waitpid(pid, &st, 0) == pid ? st : -1, 0);
	CHECK_EQ("the child's read shows here", look(ep, NULL), 0);
	CHECK_EQ("write", write(fd[1], "b", 1), 1);
	CHECK_EQ("ready again", look(ep, NULL), 1);
	close(fd[0]);
	CHECK_EQ("the last close (of the dup's description) drops the entry", look(ep, NULL), 0);
	close(fd[1]);
	close(ep);
}

static void
check_nested(void)
{
	int fd[2], in = epoll_create1(0), out = epoll_create1(0), third = epoll_create1(0);
	struct epoll_event ev;
	struct pollfd pfd;
	char c;

	CHECK_OK("pipe", pipe(fd));
	CHECK_OK("inner watches the pipe", add(in, fd[0], EPOLLIN, 31));
	CHECK_OK("outer watches inner", add(out, in, EPOLLIN, 32));
	CHECK_EQ("nothing yet", look(out, NULL), 0);
	pfd.fd = in;
	pfd.events = POLLIN;
	CHECK_EQ("poll on an idle epoll: 0", poll(&pfd, 1, 0), 0);
	CHECK_EQ("write", write(fd[1], "a", 1), 1);
	CHECK_EQ("outer: inner is ready", look(out, &ev), 1);
	CHECK_EQ("outer: inner's u64", ev.data.u64, 32);
	CHECK_EQX("outer: EPOLLIN", ev.events, EPOLLIN);
	CHECK_EQ("poll on a ready epoll: 1", poll(&pfd, 1, 0), 1);
	CHECK_EQX("poll: POLLIN", pfd.revents, POLLIN);
	CHECK_ERR("inner watches outer: ELOOP", add(in, out, EPOLLIN, 0), ELOOP);
	CHECK_OK("third watches outer", add(third, out, EPOLLIN, 0));
	CHECK_ERR("inner watches third (longer loop): ELOOP", add(in, third, EPOLLIN, 0), ELOOP);
	CHECK_EQ("read", read(fd[0], &c, 1), 1);
	CHECK_EQ("drained: outer quiet", look(out, NULL), 0);
	close(in);
	CHECK_EQ("closing inner drops outer's entry", look(out, NULL), 0);
	close(third);
	close(out);

	/* The other order: the watchers go first, the watched pipe after, then data. */
	in = epoll_create1(0);
	out = epoll_create1(0);
	CHECK_OK("inner watches the pipe", add(in, fd[0], EPOLLIN, 33));
	CHECK_OK("outer watches inner", add(out, in, EPOLLIN, 34));
	CHECK_OK("close outer first", close(out));
	CHECK_OK("then inner", close(in));
	CHECK_EQ("the pipe works on alone", write(fd[1], "b", 1), 1);
	CHECK_EQ("read", read(fd[0], &c, 1), 1);
	close(fd[0]);
	close(fd[1]);
}

/*
 * Nesting depth: a chain of five instances is the deepest Linux allows
 * (EP_MAX_NESTS 4 levels below the top); the link that would make a sixth
 * level is ELOOP, whether the chain is built from the top or the bottom.
 */
static void
check_depth(void)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int e[6], i, topdown;

	for (topdown = 1; topdown >= 0; topdown--) {
		for (i = 0; i < 6; i++)
			e[i] = epoll_create1(0);
		for (i = 0; i < 4; i++) {
			int a = topdown ? i : 3 - i;

			CHECK_OK(topdown ? "top-down link within the depth"
					 : "bottom-up link within the depth",
				 epoll_ctl(e[a], EPOLL_CTL_ADD, e[a + 1], &ev));
		}
		if (topdown)
			CHECK_ERR("a sixth level below: ELOOP",
				  epoll_ctl(e[4], EPOLL_CTL_ADD, e[5], &ev), ELOOP);
		else
			CHECK_ERR("a sixth level above: ELOOP",
				  epoll_ctl(e[5], EPOLL_CTL_ADD, e[0], &ev), ELOOP);
		for (i = 0; i < 6; i++)
			close(e[i]);
	}
}

/* The other kinds that wait on queues: an eventfd's counter, a timerfd's expiry. */
static void
check_event_kinds(void)
{
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK), tfd;
	struct itimerspec its = {.it_value = {0, 1000000}};
	struct epoll_event ev;
	uint64_t v = 1;

	CHECK_OK("eventfd", efd);
	CHECK_OK("ADD eventfd, edge", add(ep, efd, EPOLLIN | EPOLLOUT | EPOLLET, 51));
	CHECK_EQ("eventfd at 0: one event", look(ep, &ev), 1);
	CHECK_EQX("eventfd at 0: EPOLLOUT", ev.events, EPOLLOUT);
	CHECK_EQ("edge: not again", look(ep, NULL), 0);
	CHECK_EQ("eventfd write", write(efd, &v, 8), 8);
	CHECK_EQ("after a write: one event", look(ep, &ev), 1);
	CHECK_EQX("after a write: EPOLLIN|EPOLLOUT", ev.events, EPOLLIN | EPOLLOUT);
	close(efd);

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK_OK("timerfd_create", tfd);
	CHECK_OK("ADD timerfd", add(ep, tfd, EPOLLIN, 52));
	CHECK_EQ("timer not armed: nothing", look(ep, NULL), 0);
	CHECK_OK("timerfd_settime 1 ms", timerfd_settime(tfd, 0, &its, NULL));
	CHECK_EQ("blocking wait: the expiry wakes it", epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ("the timer's u64", ev.data.u64, 52);
	CHECK_EQ("one expiration", read(tfd, &v, 8) == 8 ? (long long)v : -1, 1);
	close(tfd);
	close(ep);
}

static void
check_errors(void)
{
	int fd[2], ep = epoll_create1(0), f, other;
	struct epoll_event ev = {.events = EPOLLIN};
	char path[] = "/tmp/t_epoll.XXXXXX";

	CHECK_ERR("epoll_create(0) (raw: musl ignores size): EINVAL", syscall(SYS_epoll_create, 0),
		  EINVAL);
	CHECK_ERR("epoll_create(-1): EINVAL", syscall(SYS_epoll_create, -1), EINVAL);
	CHECK_ERR("epoll_create1(bad flag): EINVAL", epoll_create1(O_NONBLOCK), EINVAL);
	CHECK_OK("pipe", pipe(fd));
	CHECK_ERR("ctl: bad epfd: EBADF", epoll_ctl(999, EPOLL_CTL_ADD, fd[0], &ev), EBADF);
	CHECK_ERR("ctl: bad fd: EBADF", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	CHECK_ERR("ctl: epfd not epoll: EINVAL", epoll_ctl(fd[1], EPOLL_CTL_ADD, fd[0], &ev),
		  EINVAL);
	CHECK_ERR("ctl: fd == epfd: EINVAL", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR("ctl: bad op: EINVAL", epoll_ctl(ep, 99, fd[0], &ev), EINVAL);
	CHECK_ERR("ctl: bad event pointer: EFAULT",
		  epoll_ctl(ep, EPOLL_CTL_ADD, fd[0], (struct epoll_event *)8), EFAULT);
	f = mkstemp(path);
	CHECK_OK("mkstemp", f);
	unlink(path);
	CHECK_ERR("ctl: regular file: EPERM", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	close(f);
	other = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_ERR("ctl: directory: EPERM", epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev), EPERM);
	close(other);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_OK("ADD with EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, fd[0], &ev));
	CHECK_ERR("MOD of an exclusive entry: EINVAL", epoll_ctl(ep, EPOLL_CTL_MOD, fd[0], &ev),
		  EINVAL);
	other = epoll_create1(0);
	CHECK_ERR("EXCLUSIVE on an epoll: EINVAL", epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev),
		  EINVAL);
	close(other);

	CHECK_ERR("wait: maxevents 0: EINVAL", epoll_wait(ep, &ev, 0, 0), EINVAL);
	CHECK_ERR("wait: maxevents -1: EINVAL", syscall(SYS_epoll_wait, ep, &ev, -1, 0), EINVAL);
	CHECK_ERR("wait: maxevents too big: EINVAL",
		  syscall(SYS_epoll_wait, ep, &ev, INT_MAX / (int)sizeof(ev) + 1, 0), EINVAL);
	CHECK_ERR("wait: bad epfd: EBADF", epoll_wait(999, &ev, 1, 0), EBADF);
	CHECK_ERR("wait: not an epoll: EINVAL", epoll_wait(fd[0], &ev, 1, 0), EINVAL);
	CHECK_ERR("wait: kernel-space buffer: EFAULT",
		  syscall(SYS_epoll_wait, ep, 0xffffffffff600000ULL, 1, 0), EFAULT);
	CHECK_EQ("write", write(fd[1], "a", 1), 1);
	CHECK_ERR("wait: unmapped buffer, event ready: EFAULT",
		  syscall(SYS_epoll_wait, ep, 8, 1, 0), EFAULT);
	CHECK_EQ("the event is still there after EFAULT", epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_ERR("pwait: sigsetsize 4: EINVAL",
		  syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &(uint64_t){0}, 4), EINVAL);
	close(fd[0]);
	close(fd[1]);
	close(ep);
}

static void
on_usr1(int sig)
{
	(void)sig;
}

static void
check_blocking(void)
{
	int fd[2], go[2], ep = epoll_create1(0);
	struct epoll_event ev;
	sigset_t block, none;
	pid_t pid;
	int st;

	CHECK_OK("pipes", pipe(fd) | pipe(go));
	CHECK_OK("ADD", add(ep, fd[0], EPOLLIN, 41));
	pid = fork();
	if (pid == 0) {
		char c;

		/* Write once the parent says it is about to wait (it may still be on its way). */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(write(fd[1], "w", 1) == 1 ? 0 : 3);
	}
	CHECK_EQ("go", write(go[1], "g", 1), 1);
	CHECK_EQ("blocking wait woken by the child's write", epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ("its u64", ev.data.u64, 41);
	CHECK_EQ("child", waitpid(pid, &st, 0) == pid ? st : -1, 0);

	/* A signal ends a wait with EINTR; epoll_pwait's mask lets it in only during the call. */
	char c;

	CHECK_EQ("drain", read(fd[0], &c, 1), 1);
	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR1);
	sigemptyset(&none);
	CHECK_ERR("epoll_pwait unblocking a pending signal: EINTR",
		  epoll_pwait(ep, &ev, 1, -1, &none), EINTR);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	CHECK_EQ("timeout 10 ms: 0", epoll_wait(ep, &ev, 1, 10), 0);
	struct timespec ts = {0, 1000000};
	CHECK_EQ("epoll_pwait2 timeout: 0", syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), 0);
	close(fd[0]);
	close(fd[1]);
	close(go[0]);
	close(go[1]);
	close(ep);
}

static void
mode_fill(int nproc)
{
	int c, st, ok = 0, fd[2], ep, forkfail = 0, go[2];
	struct epoll_event ev;
	char g;

	/* The adders start together once all are forked, so no fork competes with them. */
	if (!CHECK_OK("go pipe", pipe(go)))
		return;
	for (c = 0; c < nproc; c++) {
		pid_t pid = fork();

		if (pid < 0) {
			forkfail++;
			continue;
		}
		if (pid == 0) {
			int eps[20], fds[900], i, j, bad = 0;

			close(go[1]);
			if (read(go[0], &g, 1) != 0)
				_exit(6);
			close(go[0]);
			/* Out of memory already (the others hold it): Linux's answer too. */
			if (pipe(fd) < 0)
				_exit(errno == ENOMEM ? 0 : 3);
			for (i = 0; i < 900; i++)
				if ((fds[i] = dup(fd[0])) < 0)
					_exit(4);
			for (j = 0; j < 20; j++)
				if ((eps[j] = epoll_create1(0)) < 0)
					_exit(errno == ENOMEM ? 0 : 5);
			for (j = 0; j < 20; j++)
				for (i = 0; i < 900; i++)
					if (add(eps[j], fds[i], EPOLLIN, 0) < 0 &&
					    errno != ENOMEM && errno != ENOSPC)
						bad++;
			_exit(bad ? 2 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (c = 0; c < nproc - forkfail; c++) {
		st = -1;
		if (wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else
			say("adder: wait status %#x\n", st);
	}
	CHECK_EQ("every adder saw only success, ENOMEM or ENOSPC", ok, nproc - forkfail);
	CHECK_TRUE("most adders started", forkfail < nproc / 2, "got %d of %d forks failed",
		   forkfail, nproc);
	ep = epoll_create1(0);
	CHECK_OK("an instance afterwards", ep);
	CHECK_OK("pipe", pipe(fd));
	CHECK_OK("ADD", add(ep, fd[0], EPOLLIN, 5));
	CHECK_EQ("write", write(fd[1], "a", 1), 1);
	CHECK_EQ("it reports", look(ep, &ev), 1);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "fill") == 0) {
		guest_begin("t_epoll", "epoll fill");
		mode_fill(atoi(argv[2]));
		return guest_end();
	}
	if (argc != 1) {
		say("usage: t_epoll | t_epoll fill NPROC\n");
		return 2;
	}
	guest_begin("t_epoll", "epoll over pipes");
	signal(SIGALRM, on_alarm);
	alarm(SAFETY_S);
	check_level_edge();
	check_turns();
	check_keys();
	check_nested();
	check_depth();
	check_event_kinds();
	check_errors();
	check_blocking();
	alarm(0);
	return guest_end();
}
