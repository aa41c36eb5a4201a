/*
 * t_locks - advisory file locks between processes: fcntl's traditional
 * (POSIX) record locks and open file description (OFD) locks, and
 * flock(2), as fcntl(2) ("Advisory record locking", "Open file description
 * locks") and flock(2) describe them, with their ERRORS.
 *
 *   t_locks DIR     the lock file is DIR/t_locks.N (the guest's /tmp: tmpfs;
 *                   a bound host directory: host files)
 *
 * Another process (a "peer", forked, driven through pipes; it opens the
 * file itself unless a check says otherwise) takes and tests locks against
 * ours. Nothing sleeps to order the two: a call that must block is known
 * to be blocked when /proc/locks lists it as a waiter ("->" and its pid).
 *
 * Traditional locks: conflicts (EAGAIN) and F_GETLK's report of the first
 * conflicting lock (type, range, l_whence SEEK_SET, l_pid, l_len 0 to
 * EOF); l_whence SEEK_CUR and SEEK_END, negative l_len; split, merge and
 * downgrade of one owner's ranges; EBADF for a lock the open mode does not
 * allow, EINVAL and EOVERFLOW for bad requests; all of a process's locks on
 * the file dropped when it closes ANY descriptor of it; dropped at exit;
 * not inherited by fork, kept across exec; shared by the threads of a
 * process; F_SETLKW waits and is woken, ends with EINTR on a signal (or is
 * restarted under SA_RESTART), and is EDEADLK when it would close a cycle
 * of two processes; eight waiters, two killed while they wait, the rest
 * served one at a time. OFD locks: owned by the open file description (another
 * open of the same process conflicts, a forked child shares it), l_pid
 * must be 0, F_OFD_GETLK reports l_pid -1, they conflict with traditional
 * locks of the same process, go with the last descriptor of the
 * description, not with the close of another. flock: shared and exclusive,
 * EWOULDBLOCK, owned by the description, independent of fcntl locks,
 * conversion not atomic, a blocked flock woken or ended by EINTR. Both
 * ends of a pipe, and every open of a FIFO, are one inode to lock.
 * /proc/locks shows the locks in Linux's format.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static char path[512];
static const char *self;

/* ---- the peer: another process that runs lock calls on request ----------------------- */

enum { P_OPEN, P_FCNTL, P_FLOCK, P_CLOSE, P_EXEC, P_RESTART, P_EXIT };

struct pcmd {
	int op, fd, cmd, arg;
	struct flock fl;
};

struct pres {
	int ret, err;
	struct flock fl;
};

struct peer {
	pid_t pid;
	int to, from;
};

static int
full(int fd, void *buf, size_t len, int wr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = wr ? write(fd, (char *)buf + done, len - done)
			       : read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void
on_usr1(int sig)
{
	(void)sig;
}

static void
set_usr1(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
}

/* The peer's side: run each command, answer with its result, until told to exit. */
static void
peer_loop(int in, int out)
{
	struct pcmd c;
	struct pres r;
	char a[16], b[16];

	set_usr1(0);
	while (full(in, &c, sizeof(c), 0) == 0) {
		memset(&r, 0, sizeof(r));
		errno = 0;
		switch (c.op) {
		case P_OPEN:
			r.ret = open(path, c.arg);
			break;
		case P_FCNTL:
			r.fl = c.fl;
			r.ret = fcntl(c.fd, c.cmd, &r.fl);
			break;
		case P_FLOCK:
			r.ret = flock(c.fd, c.arg);
			break;
		case P_CLOSE:
			r.ret = close(c.fd);
			break;
		case P_RESTART:
			set_usr1(c.arg);
			break;
		case P_EXEC:
			/* The new image answers this command when it starts (main). */
			snprintf(a, sizeof(a), "%d", in);
			snprintf(b, sizeof(b), "%d", out);
			execl(self, self, "--peer", a, b, path, (char *)NULL);
			r.ret = -1;
			break;
		case P_EXIT:
			_exit(0);
		}
		r.err = r.ret < 0 ? errno : 0;
		if (full(out, &r, sizeof(r), 1) < 0)
			break;
	}
	_exit(0);
}

static void
peer_start(struct peer *pe)
{
	int to[2], from[2];

	if (pipe(to) < 0 || pipe(from) < 0) {
		say("pipe: %s\n", strerror(errno));
		_exit(2);
	}
	pe->pid = fork();
	if (pe->pid < 0) {
		say("fork: %s\n", strerror(errno));
		_exit(2);
	}
	if (pe->pid == 0) {
		close(to[1]);
		close(from[0]);
		peer_loop(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	pe->to = to[1];
	pe->from = from[0];
}

static void
peer_send(struct peer *pe, int op, int fd, int cmd, int arg, const struct flock *fl)
{
	struct pcmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.fd = fd;
	c.cmd = cmd;
	c.arg = arg;
	if (fl)
		c.fl = *fl;
	if (full(pe->to, &c, sizeof(c), 1) < 0)
		say("FAIL: peer %d is gone\n", (int)pe->pid);
}

/* The result of the command sent last: the call's return, or -errno. */
static int
peer_recv(struct peer *pe, struct flock *ret_fl)
{
	struct pres r;

	if (full(pe->from, &r, sizeof(r), 0) < 0)
		return -1000;
	if (ret_fl)
		*ret_fl = r.fl;
	return r.ret < 0 ? -r.err : r.ret;
}

static int
peer_do(struct peer *pe, int op, int fd, int cmd, int arg, const struct flock *fl,
	struct flock *ret_fl)
{
	peer_send(pe, op, fd, cmd, arg, fl);
	return peer_recv(pe, ret_fl);
}

static void
peer_stop(struct peer *pe)
{
	int st;

	peer_send(pe, P_EXIT, 0, 0, 0, NULL);
	close(pe->to);
	close(pe->from);
	waitpid(pe->pid, &st, 0);
}

/* ---- helpers ------------------------------------------------------------------------- */

static struct flock
mk(short type, short whence, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = whence;
	fl.l_start = start;
	fl.l_len = len;
	return fl;
}

/* fcntl(fd, cmd, {type, whence, start, len}): 0 or -errno. */
static int
lk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
	struct flock fl = mk(type, whence, start, len);

	return fcntl(fd, cmd, &fl) < 0 ? -errno : 0;
}

/* A fresh peer's F_SETLK of the range on its own open of the file: 0 or -errno. */
static int
peer_try(short type, off_t start, off_t len)
{
	struct peer pe;
	struct flock fl = mk(type, SEEK_SET, start, len);
	int fd, r;

	peer_start(&pe);
	fd = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	r = peer_do(&pe, P_FCNTL, fd, F_SETLK, 0, &fl, NULL);
	peer_stop(&pe);
	return r;
}

/* A fresh peer's F_GETLK of the range into *ret: 0 or -errno. */
static int
peer_getlk(short type, off_t start, off_t len, struct flock *ret)
{
	struct peer pe;
	struct flock fl = mk(type, SEEK_SET, start, len);
	int fd, r;

	peer_start(&pe);
	fd = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	r = peer_do(&pe, P_FCNTL, fd, F_GETLK, 0, &fl, ret);
	peer_stop(&pe);
	return r;
}

/* A fresh peer's flock(op | LOCK_NB) on its own open: 0 or -errno. */
static int
peer_flock(int op)
{
	struct peer pe;
	int fd, r;

	peer_start(&pe);
	fd = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	r = peer_do(&pe, P_FLOCK, fd, 0, op | LOCK_NB, NULL, NULL);
	peer_stop(&pe);
	return r;
}

/* Is pid a waiter in /proc/locks now ("N: -> ... pid ...")? */
static int
listed_waiting(pid_t pid)
{
	char buf[8192], pat[32];
	ssize_t n;
	int fd = open("/proc/locks", O_RDONLY);
	char *line;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	snprintf(pat, sizeof(pat), " %d ", (int)pid);
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "-> ") && strstr(line, pat))
			return 1;
	return 0;
}

/* Wait, yielding, until pid is blocked on a lock; 0 if it never shows. */
static int
wait_blocked(pid_t pid)
{
	int i;

	for (i = 0; i < 200000; i++) {
		if (listed_waiting(pid))
			return 1;
		sched_yield();
	}
	return 0;
}

static int
fresh(void)
{
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		say("open %s: %s\n", path, strerror(errno));
		_exit(2);
	}
	return fd;
}

/* A struct flock for a command sent to a peer, from the start of the file. */
#define FL(ty, st, ln) ((struct flock){.l_type = (ty), .l_whence = SEEK_SET, .l_start = (st), .l_len = (ln)})

#define CHECK_FL(what, fl, ty, st, ln, pd)                                                         \
	check((fl).l_type == (ty) && (fl).l_start == (st) && (fl).l_len == (ln) &&                 \
		  (fl).l_pid == (pd) && (fl).l_whence == SEEK_SET,                                 \
	      (what), "got type %d start %lld len %lld pid %d whence %d, want %d %lld %lld %d 0",  \
	      (fl).l_type, (long long)(fl).l_start, (long long)(fl).l_len, (int)(fl).l_pid,        \
	      (fl).l_whence, (ty), (long long)(st), (long long)(ln), (int)(pd))

/* ---- the requests fcntl and flock refuse ---------------------------------------------- */

static void
check_errors(void)
{
	int fd = fresh(), ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	int op = open(path, O_PATH);
	struct flock fl;

	CHECK_EQ("F_SETLK l_type 7: EINVAL", lk(fd, F_SETLK, 7, SEEK_SET, 0, 1), -EINVAL);
	CHECK_EQ("F_SETLK l_whence 5: EINVAL", lk(fd, F_SETLK, F_WRLCK, 5, 0, 1), -EINVAL);
	CHECK_EQ("F_SETLK start -1: EINVAL", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), -EINVAL);
	CHECK_EQ("F_SETLK start 5 len -6 (before 0): EINVAL",
		 lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -6), -EINVAL);
	CHECK_EQ("F_SETLK SEEK_END -1 of an empty file: EINVAL",
		 lk(fd, F_SETLK, F_RDLCK, SEEK_END, -1, 0), -EINVAL);
	CHECK_EQ("F_SETLK start OFF_MAX len 2: EOVERFLOW",
		 lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffLL, 2), -EOVERFLOW);
	lseek(fd, 10, SEEK_SET);
	CHECK_EQ("F_SETLK SEEK_CUR 10 + OFF_MAX: EOVERFLOW",
		 lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0x7fffffffffffffffLL, 1), -EOVERFLOW);
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ("F_SETLK the last byte (OFF_MAX, len 1)",
		 lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffLL, 1), 0);
	CHECK_EQ("... and its unlock", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
	CHECK_EQ("F_WRLCK on an O_RDONLY descriptor: EBADF",
		 lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EBADF);
	CHECK_EQ("F_RDLCK on an O_WRONLY descriptor: EBADF",
		 lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EBADF);
	CHECK_EQ("F_OFD_SETLK F_WRLCK on O_RDONLY: EBADF (before l_pid)",
		 ({
			 fl = mk(F_WRLCK, SEEK_SET, 0, 1);
			 fl.l_pid = 5;
			 fcntl(ro, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
		 }),
		 -EBADF);
	CHECK_EQ("EINVAL on the range before EBADF on the mode",
		 lk(ro, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), -EINVAL);
	CHECK_EQ("F_UNLCK on O_RDONLY is no EBADF", lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1), 0);
	fl = mk(F_RDLCK, SEEK_SET, 0, 1);
	fl.l_pid = 5;
	CHECK_EQ("F_OFD_SETLK l_pid 5: EINVAL", fcntl(ro, F_OFD_SETLK, &fl) < 0 ? -errno : 0,
		 -EINVAL);
	fl = mk(F_RDLCK, SEEK_SET, 0, 1);
	fl.l_pid = 5;
	CHECK_EQ("F_OFD_GETLK l_pid 5: EINVAL", fcntl(ro, F_OFD_GETLK, &fl) < 0 ? -errno : 0,
		 -EINVAL);
	CHECK_EQ("F_GETLK l_type F_UNLCK: EINVAL", lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1),
		 -EINVAL);
	CHECK_EQ("F_GETLK into a bad address: EFAULT", fcntl(fd, F_GETLK, (void *)8) < 0 ? -errno : 0,
		 -EFAULT);
	CHECK_EQ("F_SETLK from a bad address: EFAULT", fcntl(fd, F_SETLK, (void *)8) < 0 ? -errno : 0,
		 -EFAULT);
	CHECK_EQ("F_SETLK on an O_PATH descriptor: EBADF",
		 lk(op, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EBADF);
	CHECK_EQ("F_SETLK on a closed descriptor: EBADF",
		 lk(999, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EBADF);
	CHECK_EQ("flock(0): EINVAL", flock(fd, 0) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ("flock(LOCK_NB) alone: EINVAL", flock(fd, LOCK_NB) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ("flock(LOCK_SH|LOCK_EX): EINVAL", flock(fd, LOCK_SH | LOCK_EX) < 0 ? -errno : 0,
		 -EINVAL);
	CHECK_EQ("flock on a closed descriptor: EBADF", flock(999, LOCK_EX) < 0 ? -errno : 0,
		 -EBADF);
	CHECK_EQ("flock bad command on a closed descriptor: EINVAL first",
		 flock(999, 0) < 0 ? -errno : 0, -EINVAL);
	CHECK_EQ("flock on an O_PATH descriptor: EBADF", flock(op, LOCK_SH) < 0 ? -errno : 0,
		 -EBADF);
	CHECK_EQ("flock LOCK_EX on O_RDONLY is allowed", flock(ro, LOCK_EX) < 0 ? -errno : 0, 0);
	close(op);
	close(wo);
	close(ro);
	close(fd);
}

/* ---- traditional locks between two processes -------------------------------------------- */

static void
check_posix_basic(void)
{
	int fd = fresh();
	struct flock fl;
	char buf[100];

	memset(buf, 'x', sizeof(buf));
	write(fd, buf, sizeof(buf));
	CHECK_EQ("lock [0,10) for writing", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	CHECK_EQ("another process: F_SETLK F_RDLCK [5,6) is EAGAIN", peer_try(F_RDLCK, 5, 1),
		 -EAGAIN);
	CHECK_EQ("another process: [10,11) is free", peer_try(F_WRLCK, 10, 1), 0);
	CHECK_EQ("another process: F_GETLK F_RDLCK [0,100)", peer_getlk(F_RDLCK, 0, 100, &fl), 0);
	CHECK_FL("... reports our write lock [0,10) and our pid", fl, F_WRLCK, 0, 10, getpid());
	CHECK_EQ("our own F_GETLK sees no conflict with our lock",
		 ({
			 fl = mk(F_WRLCK, SEEK_SET, 0, 0);
			 fcntl(fd, F_GETLK, &fl);
		 }),
		 0);
	CHECK_EQ("... l_type F_UNLCK", fl.l_type, F_UNLCK);
	fl = mk(F_WRLCK, SEEK_SET, 50, 7);
	fl.l_pid = 1234;
	CHECK_EQ("F_GETLK with no conflict leaves the rest of the struct",
		 peer_getlk(F_WRLCK, 50, 7, &fl) == 0 && fl.l_type == F_UNLCK && fl.l_start == 50 &&
		     fl.l_len == 7,
		 1);

	/* Split: unlock the middle of [0,100). */
	CHECK_EQ("lock [0,100)", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100), 0);
	CHECK_EQ("unlock [40,60)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20), 0);
	peer_getlk(F_WRLCK, 0, 100, &fl);
	CHECK_FL("split: the first part is [0,40)", fl, F_WRLCK, 0, 40, getpid());
	peer_getlk(F_WRLCK, 40, 100, &fl);
	CHECK_FL("split: the second part is [60,100)", fl, F_WRLCK, 60, 40, getpid());
	CHECK_EQ("another process may lock the hole [40,60)", peer_try(F_WRLCK, 40, 20), 0);
	/* Merge: filling the hole makes one lock again. */
	CHECK_EQ("lock [40,60) again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20), 0);
	peer_getlk(F_RDLCK, 0, 1000, &fl);
	CHECK_FL("merged into one [0,100)", fl, F_WRLCK, 0, 100, getpid());
	/* Adjacent read locks merge too. */
	lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 100, 10);
	lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 110, 10);
	peer_getlk(F_WRLCK, 100, 50, &fl);
	CHECK_FL("adjacent read locks [100,110) [110,120) merge", fl, F_RDLCK, 100, 20, getpid());
	/* Downgrade part of the write lock: the first conflict is the lowest. */
	CHECK_EQ("downgrade [0,50) to a read lock", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 50), 0);
	CHECK_EQ("another process may read-lock [0,50) now", peer_try(F_RDLCK, 0, 50), 0);
	CHECK_EQ("... but not [50,51)", peer_try(F_RDLCK, 50, 1), -EAGAIN);
	peer_getlk(F_WRLCK, 0, 200, &fl);
	CHECK_FL("F_GETLK's first conflict: the read lock [0,50)", fl, F_RDLCK, 0, 50, getpid());
	peer_getlk(F_RDLCK, 0, 200, &fl);
	CHECK_FL("a read request's first conflict: the write lock [50,100)", fl, F_WRLCK, 50, 50,
		 getpid());
	/* Upgrade back. */
	CHECK_EQ("upgrade [0,120) to a write lock", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 120), 0);
	peer_getlk(F_RDLCK, 0, 200, &fl);
	CHECK_FL("one write lock [0,120)", fl, F_WRLCK, 0, 120, getpid());
	CHECK_EQ("unlock everything (len 0)", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
	CHECK_EQ("another process may lock it all", peer_try(F_WRLCK, 0, 0), 0);

	/* Ranges: negative l_len, SEEK_CUR, SEEK_END, len 0. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, -10);
	peer_getlk(F_RDLCK, 0, 0, &fl);
	CHECK_FL("start 20 len -10 locks [10,20)", fl, F_WRLCK, 10, 10, getpid());
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	lseek(fd, 30, SEEK_SET);
	lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, 5);
	peer_getlk(F_RDLCK, 0, 0, &fl);
	CHECK_FL("SEEK_CUR at 30, start 5 len 5 locks [35,40)", fl, F_WRLCK, 35, 5, getpid());
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	lk(fd, F_SETLK, F_RDLCK, SEEK_END, -10, 0);
	peer_getlk(F_WRLCK, 0, 0, &fl);
	CHECK_FL("SEEK_END -10 len 0 of 100 bytes: [90, EOF), l_len 0", fl, F_RDLCK, 90, 0,
		 getpid());
	CHECK_EQ("beyond the end of the file is locked too", peer_try(F_WRLCK, 5000, 1), -EAGAIN);
	close(fd);
	CHECK_EQ("close dropped it", peer_try(F_WRLCK, 0, 0), 0);
}

/* ---- when a process's traditional locks go ------------------------------------------------ */

static void *
thread_lock(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(long)lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
}

static void *
thread_unlock(void *arg)
{
	int fd = *(int *)arg;

	return (void *)(long)lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
}

static void
check_posix_owner(void)
{
	int fd = fresh(), fd2 = open(path, O_RDONLY), d, lfd;
	struct peer pe;
	struct flock fl;
	pthread_t th;
	void *res;

	/* Closing any descriptor of the file drops every lock of ours on it. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 10);
	CHECK_EQ("locked through one descriptor", peer_try(F_RDLCK, 0, 1), -EAGAIN);
	close(fd2);
	CHECK_EQ("closing ANOTHER descriptor of the file drops the lock [0,10)",
		 peer_try(F_WRLCK, 0, 10), 0);
	CHECK_EQ("... and [20,30)", peer_try(F_WRLCK, 20, 10), 0);
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	d = dup(fd);
	close(d);
	CHECK_EQ("closing a dup drops it too", peer_try(F_WRLCK, 0, 10), 0);
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	d = open("/dev/null", O_RDONLY);
	dup2(d, 100);
	lfd = dup(fd);
	dup2(d, lfd); /* dup2 over a descriptor of the file closes it */
	close(d);
	close(100);
	close(lfd);
	CHECK_EQ("dup2 over a descriptor of the file drops it", peer_try(F_WRLCK, 0, 10), 0);

	/* Not inherited: a child holds none of ours and cannot take them. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	peer_start(&pe);
	CHECK_EQ("a forked child (same open file) cannot lock what we hold",
		 peer_do(&pe, P_FCNTL, fd, F_SETLK, 0, &FL(F_WRLCK, 0, 1), NULL),
		 -EAGAIN);
	CHECK_EQ("a child's F_GETLK through the inherited descriptor sees our pid",
		 peer_do(&pe, P_FCNTL, fd, F_GETLK, 0, &FL(F_RDLCK, 0, 0),
			 &fl) == 0 && fl.l_pid == getpid() && fl.l_type == F_WRLCK,
		 1);
	/* The child closing its inherited copy does not drop our locks. */
	peer_do(&pe, P_CLOSE, fd, 0, 0, NULL, NULL);
	CHECK_EQ("the child's close of its copy leaves our lock", peer_try(F_RDLCK, 0, 1), -EAGAIN);
	peer_stop(&pe);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	/* A lock goes when its process exits, and is kept across exec. */
	peer_start(&pe);
	d = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	CHECK_EQ("the peer locks [0,5)",
		 peer_do(&pe, P_FCNTL, d, F_SETLK, 0, &FL(F_WRLCK, 0, 5), NULL),
		 0);
	CHECK_EQ("we cannot", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 5), -EAGAIN);
	CHECK_EQ("the peer execs", peer_do(&pe, P_EXEC, 0, 0, 0, NULL, NULL), 0);
	fl = mk(F_RDLCK, SEEK_SET, 0, 0);
	fcntl(fd, F_GETLK, &fl);
	CHECK_FL("after its exec the lock is still there, its pid the same", fl, F_WRLCK, 0, 5,
		 pe.pid);
	peer_stop(&pe);
	CHECK_EQ("after its exit the lock is gone", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5), 0);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	/* Threads of one process are one owner. */
	pthread_create(&th, NULL, thread_lock, &fd);
	pthread_join(th, &res);
	CHECK_EQ("a thread locks [0,10)", (long)res, 0);
	fl = mk(F_WRLCK, SEEK_SET, 0, 0);
	fcntl(fd, F_GETLK, &fl);
	CHECK_EQ("the main thread sees no conflict with it (same owner)", fl.l_type, F_UNLCK);
	CHECK_EQ("the main thread may take it over (a write lock on [0,20))",
		 lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 20), 0);
	peer_getlk(F_RDLCK, 0, 0, &fl);
	CHECK_FL("another process sees one lock of our pid", fl, F_WRLCK, 0, 20, getpid());
	pthread_create(&th, NULL, thread_unlock, &fd);
	pthread_join(th, &res);
	CHECK_EQ("another thread unlocks it", peer_try(F_WRLCK, 0, 0), 0);
	close(fd);
}

/* ---- F_SETLKW: waiting, signals, deadlock ----------------------------------------------- */

static void
check_posix_wait(void)
{
	int fd = fresh(), d;
	struct peer pe;
	struct flock w = mk(F_WRLCK, SEEK_SET, 0, 1), w1 = mk(F_WRLCK, SEEK_SET, 1, 1);

	/* Woken when the lock goes. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	peer_start(&pe);
	d = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	peer_send(&pe, P_FCNTL, d, F_SETLKW, 0, &w);
	CHECK_EQ("the peer's F_SETLKW waits (listed in /proc/locks)", wait_blocked(pe.pid), 1);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	CHECK_EQ("our unlock lets its F_SETLKW finish", peer_recv(&pe, NULL), 0);
	CHECK_EQ("... and it holds the lock", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EAGAIN);

	/* Deadlock: it holds [0,1) and waits for [1,2), which we hold; our wait for [0,1) would close the cycle. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
	peer_send(&pe, P_FCNTL, d, F_SETLKW, 0, &w1);
	CHECK_EQ("the peer waits for our [1,2)", wait_blocked(pe.pid), 1);
	CHECK_EQ("our F_SETLKW on its [0,1) is EDEADLK", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1),
		 -EDEADLK);
	CHECK_EQ("F_SETLK on it stays EAGAIN", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), -EAGAIN);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 1, 1);
	CHECK_EQ("our unlock of [1,2) ends its wait", peer_recv(&pe, NULL), 0);

	/* Two readers that both upgrade: the second is EDEADLK. */
	peer_do(&pe, P_FCNTL, d, F_SETLK, 0, &FL(F_UNLCK, 0, 0), NULL);
	lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10);
	CHECK_EQ("the peer read-locks [0,10) too",
		 peer_do(&pe, P_FCNTL, d, F_SETLK, 0, &FL(F_RDLCK, 0, 10),
			 NULL),
		 0);
	peer_send(&pe, P_FCNTL, d, F_SETLKW, 0, &FL(F_WRLCK, 0, 10));
	CHECK_EQ("its upgrade to a write lock waits", wait_blocked(pe.pid), 1);
	CHECK_EQ("ours is EDEADLK", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10), -EDEADLK);
	CHECK_EQ("and kept our read lock: its upgrade still waits", listed_waiting(pe.pid), 1);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	CHECK_EQ("our unlock lets its upgrade finish", peer_recv(&pe, NULL), 0);
	peer_do(&pe, P_FCNTL, d, F_SETLK, 0, &FL(F_UNLCK, 0, 0), NULL);

	/* A signal ends the wait with EINTR; under SA_RESTART the call goes on. */
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	peer_send(&pe, P_FCNTL, d, F_SETLKW, 0, &w);
	wait_blocked(pe.pid);
	kill(pe.pid, SIGUSR1);
	CHECK_EQ("a handled signal ends F_SETLKW with EINTR", peer_recv(&pe, NULL), -EINTR);
	peer_do(&pe, P_RESTART, 0, 0, 1, NULL, NULL);
	peer_send(&pe, P_FCNTL, d, F_SETLKW, 0, &w);
	wait_blocked(pe.pid);
	kill(pe.pid, SIGUSR1);
	CHECK_EQ("under SA_RESTART it waits on after the handler", wait_blocked(pe.pid), 1);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	CHECK_EQ("... and gets the lock when it goes", peer_recv(&pe, NULL), 0);
	peer_stop(&pe);
	close(fd);
}

/* How many of the n processes of kids /proc/locks lists as waiters now. */
static int
count_waiting(const pid_t *kids, int n)
{
	int i, w = 0;

	for (i = 0; i < n; i++)
		w += kids[i] > 0 && listed_waiting(kids[i]);
	return w;
}

/* Wait, yielding, until want of them are listed; how many are at the end. */
static int
settle_waiting(const pid_t *kids, int n, int want)
{
	int i, w = 0;

	for (i = 0; i < 20000 && (w = count_waiting(kids, n)) != want; i++)
		sched_yield();
	return w;
}

/*
 * Eight processes wait for our lock; two are killed while they wait; the
 * other six get it one after another once we let go, each holding it
 * alone (a byte written while holding it, the next process's F_SETLK
 * checked from inside).
 */
static void
check_many_waiters(void)
{
	int fd = fresh(), out[2], i, got = 0, alone = 0, st;
	pid_t kids[8];
	char c;

	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	if (pipe(out) < 0)
		return;
	for (i = 0; i < 8; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			int my = open(path, O_RDWR);
			struct flock fl = mk(F_WRLCK, SEEK_SET, 0, 0);

			if (my < 0 || fcntl(my, F_SETLKW, &fl) < 0)
				_exit(1);
			/* Alone: our own F_GETLK through a fresh open sees no other holder. */
			fl = mk(F_WRLCK, SEEK_SET, 0, 0);
			fcntl(my, F_GETLK, &fl);
			c = fl.l_type == F_UNLCK ? 'a' : 'x';
			write(out[1], &c, 1);
			_exit(0);
		}
	}
	close(out[1]);
	CHECK_EQ("eight processes wait for our lock", settle_waiting(kids, 8, 8), 8);
	kill(kids[0], SIGKILL);
	kill(kids[5], SIGKILL);
	waitpid(kids[0], &st, 0);
	waitpid(kids[5], &st, 0);
	kids[0] = kids[5] = 0;
	/* Linux may wake and requeue the others as it takes a killed one out: settle. */
	CHECK_EQ("two of them killed while they wait", settle_waiting(kids, 8, 6), 6);
	lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	while (read(out[0], &c, 1) == 1) {
		got++;
		alone += c == 'a';
	}
	close(out[0]);
	for (i = 0; i < 8; i++)
		if (kids[i] > 0)
			waitpid(kids[i], &st, 0);
	CHECK_EQ("the six others got it in turn", got, 6);
	CHECK_EQ("each alone", alone, 6);
	CHECK_EQ("nobody waits any more", count_waiting(kids, 8), 0);
	CHECK_EQ("the lock is free at the end", peer_try(F_WRLCK, 0, 0), 0);
	close(fd);
}

/* ---- OFD locks -------------------------------------------------------------------------- */

static void
check_ofd(void)
{
	int a = fresh(), b = open(path, O_RDWR), c;
	struct flock fl;
	struct peer pe;

	fl = mk(F_WRLCK, SEEK_SET, 0, 10);
	CHECK_EQ("F_OFD_SETLK a write lock on [0,10) through open A", fcntl(a, F_OFD_SETLK, &fl), 0);
	fl = mk(F_RDLCK, SEEK_SET, 5, 1);
	CHECK_EQ("another open (B) of the same process conflicts: EAGAIN",
		 fcntl(b, F_OFD_SETLK, &fl) < 0 ? -errno : 0, -EAGAIN);
	fl = mk(F_RDLCK, SEEK_SET, 0, 0);
	fcntl(b, F_OFD_GETLK, &fl);
	CHECK_FL("F_OFD_GETLK through B reports it with l_pid -1", fl, F_WRLCK, 0, 10, -1);
	CHECK_EQ("a traditional lock of the same process conflicts with it too",
		 lk(a, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), -EAGAIN);
	fl = mk(F_RDLCK, SEEK_SET, 0, 0);
	fcntl(a, F_GETLK, &fl);
	CHECK_FL("F_GETLK reports the OFD lock with l_pid -1", fl, F_WRLCK, 0, 10, -1);
	close(b);
	CHECK_EQ("closing another descriptor of the file does not drop it",
		 peer_try(F_RDLCK, 0, 1), -EAGAIN);
	/* Shared across fork: the child's requests through A are the same owner's. */
	peer_start(&pe);
	CHECK_EQ("a forked child may lock through the shared open file",
		 peer_do(&pe, P_FCNTL, a, F_OFD_SETLK, 0, &FL(F_WRLCK, 0, 20),
			 NULL),
		 0);
	peer_getlk(F_RDLCK, 0, 0, &fl);
	CHECK_FL("one lock [0,20) for the description", fl, F_WRLCK, 0, 20, -1);
	CHECK_EQ("the child unlocks [0,10) for it",
		 peer_do(&pe, P_FCNTL, a, F_OFD_SETLK, 0, &FL(F_UNLCK, 0, 10),
			 NULL),
		 0);
	peer_stop(&pe);
	CHECK_EQ("the child's exit leaves the description's lock", peer_try(F_RDLCK, 15, 1), -EAGAIN);
	CHECK_EQ("... whose first half it unlocked", peer_try(F_WRLCK, 0, 10), 0);
	/* It goes with the description's last descriptor. */
	c = dup(a);
	close(a);
	CHECK_EQ("after closing one of two descriptors it stays", peer_try(F_RDLCK, 15, 1), -EAGAIN);
	close(c);
	CHECK_EQ("after closing the last it is gone", peer_try(F_WRLCK, 0, 0), 0);
	/* F_OFD_SETLKW waits for a traditional lock of another process. */
	a = open(path, O_RDWR);
	peer_start(&pe);
	c = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	peer_do(&pe, P_FCNTL, c, F_SETLK, 0, &FL(F_WRLCK, 0, 1), NULL);
	fl = mk(F_WRLCK, SEEK_SET, 0, 1);
	CHECK_EQ("F_OFD_SETLK against another process's traditional lock: EAGAIN",
		 fcntl(a, F_OFD_SETLK, &fl) < 0 ? -errno : 0, -EAGAIN);
	peer_stop(&pe);
	CHECK_EQ("... free once it exits", fcntl(a, F_OFD_SETLK, &fl), 0);
	close(a);
}

/* ---- flock ------------------------------------------------------------------------------ */

static void
check_flock(void)
{
	int a = fresh(), b = open(path, O_RDWR), d, x;
	struct peer pe;

	CHECK_EQ("LOCK_EX", flock(a, LOCK_EX), 0);
	CHECK_EQ("another process: LOCK_SH|LOCK_NB is EWOULDBLOCK", peer_flock(LOCK_SH),
		 -EWOULDBLOCK);
	CHECK_EQ("another open of ours: LOCK_EX|LOCK_NB is EWOULDBLOCK",
		 flock(b, LOCK_EX | LOCK_NB) < 0 ? -errno : 0, -EWOULDBLOCK);
	CHECK_EQ("flock is independent of fcntl locks: another process's F_SETLK succeeds",
		 peer_try(F_WRLCK, 0, 0), 0);
	peer_start(&pe);
	CHECK_EQ("a forked child shares the description's lock: LOCK_EX|LOCK_NB through it",
		 peer_do(&pe, P_FLOCK, a, 0, LOCK_EX | LOCK_NB, NULL, NULL), 0);
	peer_stop(&pe);
	CHECK_EQ("still ours after the child's exit", peer_flock(LOCK_SH), -EWOULDBLOCK);
	d = dup(a);
	close(a);
	CHECK_EQ("closing one of two descriptors keeps it", peer_flock(LOCK_SH), -EWOULDBLOCK);
	CHECK_EQ("a convert to LOCK_SH", flock(d, LOCK_SH), 0);
	CHECK_EQ("another process may share it now", peer_flock(LOCK_SH), 0);
	CHECK_EQ("but not take it exclusively", peer_flock(LOCK_EX), -EWOULDBLOCK);
	close(d);
	CHECK_EQ("closing the last descriptor drops it", peer_flock(LOCK_EX), 0);

	/* Conversion is not atomic: a failed LOCK_SH -> LOCK_EX leaves no lock. */
	CHECK_EQ("we share the lock (B)", flock(b, LOCK_SH), 0);
	peer_start(&pe);
	x = peer_do(&pe, P_OPEN, 0, 0, O_RDWR, NULL, NULL);
	CHECK_EQ("the peer shares it too", peer_do(&pe, P_FLOCK, x, 0, LOCK_SH, NULL, NULL), 0);
	CHECK_EQ("its conversion to LOCK_EX|LOCK_NB is EWOULDBLOCK",
		 peer_do(&pe, P_FLOCK, x, 0, LOCK_EX | LOCK_NB, NULL, NULL), -EWOULDBLOCK);
	CHECK_EQ("... and dropped its shared lock: ours converts to LOCK_EX|LOCK_NB",
		 flock(b, LOCK_EX | LOCK_NB) < 0 ? -errno : 0, 0);

	/* A blocked flock is woken by the unlock, or ended by a signal. */
	peer_send(&pe, P_FLOCK, x, 0, LOCK_SH, NULL);
	CHECK_EQ("the peer's LOCK_SH waits (listed in /proc/locks)", wait_blocked(pe.pid), 1);
	CHECK_EQ("LOCK_UN", flock(b, LOCK_UN), 0);
	CHECK_EQ("wakes it with the lock", peer_recv(&pe, NULL), 0);
	CHECK_EQ("so ours is EWOULDBLOCK now", flock(b, LOCK_EX | LOCK_NB) < 0 ? -errno : 0,
		 -EWOULDBLOCK);
	peer_do(&pe, P_FLOCK, x, 0, LOCK_UN, NULL, NULL);
	flock(b, LOCK_EX);
	peer_send(&pe, P_FLOCK, x, 0, LOCK_EX, NULL);
	wait_blocked(pe.pid);
	kill(pe.pid, SIGUSR1);
	CHECK_EQ("a handled signal ends a waiting flock with EINTR", peer_recv(&pe, NULL), -EINTR);
	peer_stop(&pe);
	close(b);
}

/* ---- pipes and FIFOs: both ends, and every open of a FIFO, are one inode ------------------ */

static void
check_pipes(void)
{
	int p[2], a, b;
	struct peer pe;
	char fifo[64];

	if (!CHECK_OK("pipe", pipe(p)))
		return;
	CHECK_EQ("flock LOCK_EX on a pipe's read end", flock(p[0], LOCK_EX), 0);
	CHECK_EQ("the write end is the same inode: LOCK_EX|LOCK_NB there is EWOULDBLOCK",
		 flock(p[1], LOCK_EX | LOCK_NB) < 0 ? -errno : 0, -EWOULDBLOCK);
	flock(p[0], LOCK_UN);
	CHECK_EQ("F_SETLK F_RDLCK on the read end", lk(p[0], F_SETLK, F_RDLCK, SEEK_SET, 0, 0), 0);
	CHECK_EQ("F_WRLCK on the read end: EBADF", lk(p[0], F_SETLK, F_WRLCK, SEEK_SET, 0, 0),
		 -EBADF);
	peer_start(&pe);
	CHECK_EQ("another process's F_WRLCK on the write end is EAGAIN",
		 peer_do(&pe, P_FCNTL, p[1], F_SETLK, 0, &FL(F_WRLCK, 0, 0), NULL), -EAGAIN);
	peer_stop(&pe);
	close(p[0]);
	close(p[1]);

	snprintf(fifo, sizeof(fifo), "/tmp/t_locks.fifo.%d", (int)getpid());
	unlink(fifo);
	if (!CHECK_OK("mkfifo in /tmp", mkfifo(fifo, 0600)))
		return;
	a = open(fifo, O_RDWR);
	b = open(fifo, O_RDWR);
	CHECK_EQ("flock LOCK_EX through one open of a FIFO", flock(a, LOCK_EX), 0);
	CHECK_EQ("another open of it: LOCK_EX|LOCK_NB is EWOULDBLOCK",
		 flock(b, LOCK_EX | LOCK_NB) < 0 ? -errno : 0, -EWOULDBLOCK);
	close(a);
	CHECK_EQ("free once the first is closed", flock(b, LOCK_EX | LOCK_NB), 0);
	close(b);
	unlink(fifo);
}

/* ---- /proc/locks ------------------------------------------------------------------------ */

static void
check_proc_locks(void)
{
	int fd = fresh(), a = open(path, O_RDWR), n, found = 0;
	char buf[8192], want[3][160], *line;
	struct flock fl = mk(F_RDLCK, SEEK_SET, 100, 0);
	struct stat st;

	fstat(fd, &st);
	lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 10);
	fcntl(a, F_OFD_SETLK, &fl);
	flock(fd, LOCK_SH);
	snprintf(want[0], sizeof(want[0]), "POSIX  ADVISORY  WRITE %d %02x:%02x:%llu 5 14",
		 (int)getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	snprintf(want[1], sizeof(want[1]), "OFDLCK ADVISORY  READ -1 %02x:%02x:%llu 100 EOF",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	snprintf(want[2], sizeof(want[2]), "FLOCK  ADVISORY  READ %d %02x:%02x:%llu 0 EOF",
		 (int)getpid(), major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	{
		int pfd = open("/proc/locks", O_RDONLY);

		n = pfd < 0 ? -1 : (int)read(pfd, buf, sizeof(buf) - 1);
		if (pfd >= 0)
			close(pfd);
	}
	if (!check(n > 0, "/proc/locks is readable", "got %d", n))
		goto out;
	buf[n] = '\0';
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		int i;

		for (i = 0; i < 3; i++)
			if (sp && strcmp(sp + 1, want[i]) == 0)
				found |= 1 << i;
	}
	check(found & 1, "/proc/locks lists the traditional lock", "want \"N: %s\"", want[0]);
	check(found & 2, "/proc/locks lists the OFD lock", "want \"N: %s\"", want[1]);
	check(found & 4, "/proc/locks lists the flock lock", "want \"N: %s\"", want[2]);
out:
	close(a);
	close(fd);
}

int
main(int argc, char **argv)
{
	struct pres r;

	self = argv[0];
	if (argc == 5 && strcmp(argv[1], "--peer") == 0) {
		/* A peer after its exec: answer the exec, then serve on. */
		int in = atoi(argv[2]), out = atoi(argv[3]);

		snprintf(path, sizeof(path), "%s", argv[4]);
		memset(&r, 0, sizeof(r));
		full(out, &r, sizeof(r), 1);
		peer_loop(in, out);
	}
	if (argc != 2) {
		say("usage: t_locks DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/t_locks.%d", argv[1], (int)getpid());
	guest_begin("t_locks", "fcntl record locks, OFD locks and flock between processes");
	signal(SIGPIPE, SIG_IGN);
	check_errors();
	check_posix_basic();
	check_posix_owner();
	check_posix_wait();
	check_many_waiters();
	check_ofd();
	check_flock();
	check_pipes();
	check_proc_locks();
	unlink(path);
	return guest_end();
}
