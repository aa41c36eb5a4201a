/*
 * t_fork - processes: fork, vfork, posix_spawn, wait status encodings,
 * copy-on-write isolation, orphans, many children, the process limit.
 *
 * Usage: t_fork [--fork-limit]
 *
 * --fork-limit  fork until fork fails and expect EAGAIN (run under uvk,
 *               whose guest process limit is 256; natively root is not
 *               bound by RLIMIT_NPROC, so the case is not run there).
 *
 * Under uvk the program is pid 1, so an orphan must be handed to it
 * (getppid() == 1); natively to whatever reaper the host has, which is at
 * least not the dead parent.
 */
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

extern char **environ;

static char gbuf[3 * 4096] = "global";

static void
check_echild(void)
{
	int st;

	errno = 0;
	check(wait(&st) == -1 && errno == ECHILD, "wait with no child is ECHILD", "errno %s",
	      errname(errno));
}

/* Wait for pid; its raw status, or -1. */
static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
check_status(void)
{
	static const int codes[] = {0, 1, 42, 255};
	unsigned i;
	pid_t pid;
	int st;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid = fork();
		if (pid == 0)
			_exit(codes[i]);
		st = reap(pid);
		check(st == codes[i] << 8 && WIFEXITED(st) && WEXITSTATUS(st) == codes[i],
		      "exit status encoding", "status %#x for exit(%d)", st, codes[i]);
	}
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	st = reap(pid);
	check(st == SIGKILL && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "killed by SIGKILL encoding", "status %#x", st);
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(99);
	}
	st = reap(pid);
	check(st == SIGTERM, "killed by SIGTERM encoding", "status %#x", st);

	/* waitid: the same status through a siginfo. */
	pid = fork();
	if (pid == 0)
		_exit(7);
	{
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		check(waitid(P_PID, pid, &si, WEXITED) == 0, "waitid", "errno %s",
		      errname(errno));
		check(si.si_pid == pid && si.si_signo == SIGCHLD && si.si_code == CLD_EXITED &&
			  si.si_status == 7,
		      "waitid siginfo", "pid %d signo %d code %d status %d", (int)si.si_pid,
		      si.si_signo, si.si_code, si.si_status);
	}
}

static void
check_cow(void)
{
	size_t big = 1 << 20, i;
	char *heap = malloc(big);
	volatile int stackvar = 1234;
	int p2c[2], c2p[2];
	pid_t pid;
	int st, bad = 0;
	char c;

	memset(heap, 'P', big);
	strcpy(gbuf + 4096, "parent");
	if (pipe(p2c) < 0 || pipe(c2p) < 0) {
		check(0, "pipe for the COW test", "errno %s", errname(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Child: sees the parent's values as of fork, writes its own. */
		close(p2c[1]);
		close(c2p[0]);
		if (strcmp(gbuf, "global") || strcmp(gbuf + 4096, "parent") || stackvar != 1234)
			bad |= 1;
		for (i = 0; i < big; i += 4096)
			if (heap[i] != 'P')
				bad |= 2;
		memset(heap, 'C', big);
		strcpy(gbuf + 4096, "child");
		stackvar = 1;
		/* Tell the parent to write, then look again after it did. */
		if (write(c2p[1], "w", 1) != 1 || read(p2c[0], &c, 1) != 1)
			bad |= 4;
		if (strcmp(gbuf + 4096, "child") || stackvar != 1 || heap[big - 1] != 'C' ||
		    heap[12345] != 'C')
			bad |= 8;
		_exit(bad);
	}
	close(p2c[0]);
	close(c2p[1]);
	check(read(c2p[0], &c, 1) == 1, "child wrote its pages", "no");
	check(strcmp(gbuf + 4096, "parent") == 0 && heap[0] == 'P' && heap[big - 1] == 'P' &&
		  stackvar == 1234,
	      "the child's writes do not reach the parent", "gbuf %s heap %c", gbuf + 4096,
	      heap[0]);
	memset(heap, 'Q', big);
	strcpy(gbuf + 4096, "parent2");
	stackvar = 2;
	check(write(p2c[1], "g", 1) == 1, "write to child", "errno %s", errname(errno));
	st = reap(pid);
	check(st == 0, "the parent's writes do not reach the child", "child status %#x", st);
	close(p2c[1]);
	close(c2p[0]);
	free(heap);
}

static void
check_vfork_spawn(void)
{
	char *argv[] = {"sh", "-c", "exit 6", NULL};
	static volatile int shared;
	pid_t pid;
	int st;

	pid = vfork();
	if (pid == 0)
		_exit(5);
	st = reap(pid);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 5, "vfork child _exit(5)", "status %#x", st);
	/* A vfork child runs in its parent's memory: what it stores, the parent sees. */
	shared = 1;
	pid = vfork();
	if (pid == 0) {
		shared = 42;
		_exit(0);
	}
	reap(pid);
	CHECK_EQ("a vfork child's store is seen by the parent", shared, 42);
	/* posix_spawn reports the exec error through that shared memory. */
	st = posix_spawn(&pid, "/nonexistent/uvk-t-fork", NULL, NULL, argv, environ);
	check(st == ENOENT, "posix_spawn of a missing program fails with ENOENT", "error %s",
	      errname(st));
	if (st == 0)
		reap(pid);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 4", (char *)NULL);
		_exit(127);
	}
	st = reap(pid);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 4, "vfork + exec sh -c 'exit 4'",
	      "status %#x", st);
	st = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	check(st == 0, "posix_spawn", "error %s", errname(st));
	if (st == 0) {
		st = reap(pid);
		check(WIFEXITED(st) && WEXITSTATUS(st) == 6, "posix_spawn sh -c 'exit 6'",
		      "status %#x", st);
	}
}

static void
check_ids(void)
{
	pid_t me = getpid(), pid;
	int st;

	pid = fork();
	if (pid == 0) {
		int bad = 0;

		if (getppid() != me)
			bad |= 1;
		if (setpgid(0, 0) != 0 || getpgid(0) != getpid() || getpgrp() != getpid())
			bad |= 2;
		_exit(bad);
	}
	st = reap(pid);
	check(st == 0, "child: getppid is the parent, setpgid(0, 0) makes a group",
	      "status %#x", st);
	check(getpgid(pid) == -1 && errno == ESRCH, "getpgid of a reaped child is ESRCH",
	      "errno %s", errname(errno));
}

static void
check_orphan(void)
{
	pid_t mid, me = getpid();
	int fd[2], st;
	int ppid = -1, dead = -1;

	if (pipe(fd) < 0)
		return;
	mid = fork();
	if (mid == 0) {
		pid_t g;

		mid = getpid();
		g = fork();

		if (g == 0) {
			/* Wait, a bounded time, for our parent to be gone. */
			struct timespec ts = {0, 1000000};
			int i, v[2];

			for (i = 0; i < 5000 && getppid() == mid; i++)
				nanosleep(&ts, NULL);
			v[0] = (int)getppid();
			v[1] = 0;
			if (write(fd[1], v, sizeof(v)) != sizeof(v))
				_exit(1);
			_exit(0);
		}
		_exit(g > 0 ? 0 : 1);
	}
	close(fd[1]);
	st = reap(mid);
	check(st == 0, "middle process forked and exited", "status %#x", st);
	{
		int v[2];

		if (read(fd[0], v, sizeof(v)) == sizeof(v)) {
			ppid = v[0];
			dead = mid;
		}
	}
	close(fd[0]);
	if (me == 1)
		check(ppid == 1, "the orphan's parent is now pid 1", "getppid %d", ppid);
	else
		check(ppid > 0 && ppid != dead, "the orphan left its dead parent",
		      "getppid %d, dead parent %d", ppid, dead);
	/* Under uvk the orphan is ours now: collect it. */
	if (me == 1)
		while (waitpid(-1, &st, 0) > 0)
			;
}

static void
check_many(void)
{
	pid_t pids[100];
	int i, bad = 0, st;

	for (i = 0; i < 100; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(i);
		if (pids[i] < 0)
			bad++;
	}
	check(bad == 0, "100 children forked", "%d forks failed", bad);
	for (i = 0; i < 100; i++) {
		if (pids[i] <= 0)
			continue;
		st = reap(pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != i)
			bad++;
	}
	check(bad == 0, "100 children reaped with their own exit codes", "%d wrong", bad);
	check(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD,
	      "no child left after reaping them all", "errno %s", errname(errno));
}

static void
check_wnohang(void)
{
	int fd[2], st;
	pid_t pid;
	char c;

	if (pipe(fd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(fd[1]);
		_exit(read(fd[0], &c, 1) == 0 ? 3 : 4);
	}
	close(fd[0]);
	check(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG on a running child returns 0",
	      "errno %s", errname(errno));
	close(fd[1]);
	st = reap(pid);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the child saw EOF and exited",
	      "status %#x", st);
}

static void
check_limit(void)
{
	int fd[2], n = 0, err = 0, st;
	pid_t pid;
	char c;

	if (pipe(fd) < 0)
		return;
	for (;;) {
		pid = fork();
		if (pid == 0) {
			close(fd[1]);
			_exit(read(fd[0], &c, 1) == 0 ? 0 : 1);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		if (++n > 100000)
			break;
	}
	close(fd[0]);
	close(fd[1]);
	check(err == EAGAIN, "a fork bomb stops at the process limit with EAGAIN",
	      "errno %s after %d forks", errname(err), n);
	say("forked %d children before the limit\n", n);
	while (wait(&st) > 0)
		n--;
	check(n == 0, "every child of the bomb reaped", "%d left", n);
}

int
main(int argc, char **argv)
{
	guest_begin("t_fork", "fork, vfork, wait, copy-on-write, orphans");
	check_echild();
	check_status();
	check_cow();
	check_vfork_spawn();
	check_ids();
	check_wnohang();
	check_many();
	check_orphan();
	if (argc > 1 && strcmp(argv[1], "--fork-limit") == 0)
		check_limit();
	return guest_end();
}
