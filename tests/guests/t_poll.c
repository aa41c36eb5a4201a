/*
 * t_poll - waiting on descriptors: poll, ppoll, select, pselect6, their
 * timeouts and signal masks, and what each kind of descriptor reports.
 *
 * Usage: t_poll
 *
 * Besides the libc calls, select, pselect6 and ppoll are also made as raw
 * system calls, for what libc hides: the kernel writes the time left back
 * into a select or pselect6 timeout (musl passes a copy), and refuses a
 * signal mask whose size is not 8 bytes.
 *
 * Lower bounds on elapsed time are exact; upper bounds are loose, for a
 * loaded host. Waits that must end by themselves use infinite timeouts; an
 * alarm after 30 s makes a hang fail loudly.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define NSEC	 1000000000LL
#define MSEC	 1000000LL
#define KSIGSET	 8 /* the kernel's sigset_t, in bytes */
#define SAFETY_S 30

static volatile sig_atomic_t usr1_count;

static long long
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * NSEC + t.tv_nsec;
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void
on_alarm(int sig)
{
	(void)sig;
	say("FAIL: %s still running after %d s: a wait that should have ended did not\n",
	    guest_name, SAFETY_S);
	_exit(2);
}

/* A pipe, or a failed check. */
static int
mkpipe(int fd[2])
{
	return check(pipe(fd) == 0, "pipe", "errno %s", errname(errno));
}

/* A descriptor number that was open a moment ago and is closed now. */
static int
closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	close(fd);
	return fd;
}

/* One pollfd, polled with timeout 0; its revents, or -1 if poll did not return want. */
static int
poll1(int fd, short events, int want)
{
	struct pollfd p = {fd, events, 0x5a5a};
	int r = poll(&p, 1, 0);

	return r == want ? p.revents : -1 - r;
}

/* -- poll ------------------------------------------------------------------ */

static void
check_poll_timeouts(void)
{
	struct pollfd p;
	long long t0, t1;
	int fd[2], r;

	if (!mkpipe(fd))
		return;
	p.fd = fd[0];
	p.events = POLLIN;
	p.revents = 0x5a5a;
	t0 = now_ns();
	r = poll(&p, 1, 100);
	t1 = now_ns();
	check(r == 0 && p.revents == 0, "poll on an empty pipe times out with 0",
	      "r %d revents %#x", r, p.revents);
	check(t1 - t0 >= 100 * MSEC && t1 - t0 < 10 * NSEC,
	      "the 100 ms poll timeout lasted at least 100 ms", "%lld us", (t1 - t0) / 1000);

	t0 = now_ns();
	r = poll(&p, 1, 0);
	t1 = now_ns();
	check(r == 0 && t1 - t0 < 5 * NSEC, "poll with timeout 0 returns 0 at once",
	      "r %d after %lld us", r, (t1 - t0) / 1000);

	t0 = now_ns();
	r = poll(NULL, 0, 50);
	t1 = now_ns();
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "poll(NULL, 0, 50) sleeps at least 50 ms", "r %d after %lld us", r, (t1 - t0) / 1000);
	close(fd[0]);
	close(fd[1]);
}

static void
check_poll_pipes(void)
{
	struct pollfd p[3];
	char buf[4096];
	int fd[2], r, total = 0;

	if (!mkpipe(fd))
		return;
	CHECK_EQX("an empty pipe's read end: nothing", poll1(fd[0], POLLIN, 0), 0);
	CHECK_EQX("an empty pipe's write end: POLLOUT", poll1(fd[1], POLLOUT, 1), POLLOUT);
	(void)write(fd[1], "x", 1);
	CHECK_EQX("a pipe with data: POLLIN", poll1(fd[0], POLLIN | POLLOUT, 1), POLLIN);
	CHECK_EQX("POLLRDNORM asked, POLLRDNORM given", poll1(fd[0], POLLRDNORM, 1), POLLRDNORM);
	CHECK_EQX("nothing asked, nothing given", poll1(fd[0], 0, 0), 0);

	/* Each entry counts, even twice the same descriptor. */
	p[0] = (struct pollfd){fd[0], POLLIN, 0};
	p[1] = (struct pollfd){fd[1], POLLOUT, 0};
	p[2] = (struct pollfd){fd[0], POLLIN, 0};
	r = poll(p, 3, 0);
	check(r == 3 && p[0].revents == POLLIN && p[1].revents == POLLOUT && p[2].revents == POLLIN,
	      "poll counts every ready entry, a descriptor listed twice twice",
	      "r %d revents %#x %#x %#x", r, p[0].revents, p[1].revents, p[2].revents);

	/* Negative descriptors are skipped and their revents cleared. */
	p[0] = (struct pollfd){-1, POLLIN, 0x5a5a};
	p[1] = (struct pollfd){fd[0], POLLIN, 0};
	p[2] = (struct pollfd){-7, POLLOUT, 0x5a5a};
	r = poll(p, 3, 0);
	check(r == 1 && p[0].revents == 0 && p[1].revents == POLLIN && p[2].revents == 0,
	      "negative descriptors are ignored, their revents 0", "r %d revents %#x %#x %#x", r,
	      p[0].revents, p[1].revents, p[2].revents);

	/* The writer goes: POLLHUP, with POLLIN while data is left, asked for or not. */
	close(fd[1]);
	CHECK_EQX("data left, writer gone: POLLIN|POLLHUP", poll1(fd[0], POLLIN, 1),
		  POLLIN | POLLHUP);
	(void)read(fd[0], buf, 1);
	CHECK_EQX("empty, writer gone: POLLHUP", poll1(fd[0], POLLIN, 1), POLLHUP);
	CHECK_EQX("POLLHUP comes even when not asked for", poll1(fd[0], 0, 1), POLLHUP);
	close(fd[0]);

	/* The reader goes: POLLERR on the write end. */
	if (!mkpipe(fd))
		return;
	close(fd[0]);
	CHECK_EQX("write end, reader gone: POLLOUT|POLLERR", poll1(fd[1], POLLOUT, 1),
		  POLLOUT | POLLERR);
	CHECK_EQX("POLLERR comes even when not asked for", poll1(fd[1], 0, 1), POLLERR);
	close(fd[1]);

	/* A full pipe is not writable until it is read. */
	if (!mkpipe(fd))
		return;
	fcntl(fd[1], F_SETFL, O_NONBLOCK);
	memset(buf, 'f', sizeof(buf));
	while (write(fd[1], buf, sizeof(buf)) > 0 && total < (16 << 20))
		total += sizeof(buf);
	CHECK_EQX("a full pipe's write end: no POLLOUT", poll1(fd[1], POLLOUT, 0), 0);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	while (read(fd[0], buf, sizeof(buf)) > 0)
		;
	CHECK_EQX("drained again: POLLOUT", poll1(fd[1], POLLOUT, 1), POLLOUT);
	close(fd[0]);
	close(fd[1]);
}

static void
check_poll_others(void)
{
	char path[] = "/tmp/t_poll.XXXXXX";
	struct pollfd p[2];
	struct rlimit rl;
	int fd, nul, bad, r;

	fd = mkstemp(path);
	if (check(fd >= 0, "mkstemp in /tmp", "errno %s", errname(errno))) {
		unlink(path);
		CHECK_EQX("an empty regular file: POLLIN|POLLOUT", poll1(fd, POLLIN | POLLOUT, 1),
			  POLLIN | POLLOUT);
		(void)write(fd, "data", 4);
		CHECK_EQX("a regular file at EOF: POLLIN", poll1(fd, POLLIN, 1), POLLIN);
		CHECK_EQX("a regular file: POLLRDNORM|POLLWRNORM",
			  poll1(fd, POLLRDNORM | POLLWRNORM, 1), POLLRDNORM | POLLWRNORM);
		close(fd);
	}
	nul = open("/dev/null", O_RDWR);
	if (check(nul >= 0, "open /dev/null", "errno %s", errname(errno))) {
		CHECK_EQX("/dev/null: POLLIN|POLLOUT", poll1(nul, POLLIN | POLLOUT, 1),
			  POLLIN | POLLOUT);
		close(nul);
	}

	/* A closed descriptor: POLLNVAL, counted, asked for or not. */
	nul = open("/dev/null", O_RDONLY);
	bad = closed_fd();
	CHECK_EQX("a closed descriptor: POLLNVAL", poll1(bad, POLLIN, 1), POLLNVAL);
	CHECK_EQX("POLLNVAL comes even when nothing is asked for", poll1(bad, 0, 1), POLLNVAL);
	p[0] = (struct pollfd){bad, POLLIN, 0};
	p[1] = (struct pollfd){nul, POLLIN, 0};
	r = poll(p, 2, 0);
	check(r == 2 && p[0].revents == POLLNVAL && p[1].revents == POLLIN,
	      "a closed and a ready descriptor together: both counted", "r %d revents %#x %#x", r,
	      p[0].revents, p[1].revents);
	close(nul);

	CHECK_ERR("poll on an unmapped array is EFAULT", syscall(SYS_poll, 8L, 1, 0), EFAULT);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 24))
		CHECK_ERR("poll of more entries than RLIMIT_NOFILE is EINVAL",
			  poll(p, (nfds_t)rl.rlim_cur + 1, 0), EINVAL);
}

/*
 * poll with no timeout wakes when a child writes, some time later. The child
 * keeps its write end open until told to go (by EOF on a second pipe), so
 * that the wakeup is POLLIN alone, never POLLIN|POLLHUP.
 */
static void
check_poll_wakeup(void)
{
	struct pollfd p;
	int fd[2], hold[2], r, st;
	pid_t pid;

	if (!mkpipe(fd) || !mkpipe(hold))
		return;
	pid = fork();
	if (pid == 0) {
		struct timespec nap = {0, 50 * MSEC};
		char c;

		close(fd[0]);
		close(hold[1]);
		nanosleep(&nap, NULL);
		if (write(fd[1], "w", 1) != 1)
			_exit(1);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 2);
	}
	close(fd[1]);
	close(hold[0]);
	p = (struct pollfd){fd[0], POLLIN, 0};
	r = poll(&p, 1, -1);
	check(r == 1 && p.revents == POLLIN, "poll(-1) wakes with POLLIN when a child writes",
	      "r %d revents %#x errno %s", r, p.revents, errname(errno));
	close(hold[1]);
	st = reap(pid);
	CHECK_EQ("the writing child exits 0", st, 0);
	close(fd[0]);
}

/* -- ppoll ----------------------------------------------------------------- */

static void
check_ppoll(void)
{
	struct timespec ts;
	struct pollfd p;
	sigset_t usr1, orig, none, now;
	long long t0, t1;
	int fd[2], r, e;

	if (!mkpipe(fd))
		return;
	p = (struct pollfd){fd[0], POLLIN, 0};
	ts = (struct timespec){0, 50 * MSEC};
	t0 = now_ns();
	r = ppoll(&p, 1, &ts, NULL);
	t1 = now_ns();
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "ppoll with a 50 ms timespec times out after at least 50 ms", "r %d after %lld us", r,
	      (t1 - t0) / 1000);

	/* The raw call writes the time left back: none, after a timeout. */
	ts = (struct timespec){0, 20 * MSEC};
	r = (int)syscall(SYS_ppoll, &p, 1, &ts, NULL, KSIGSET);
	check(r == 0 && ts.tv_sec == 0 && ts.tv_nsec == 0,
	      "raw ppoll: the timeout reads zero after it expired", "r %d ts %lld.%09ld", r,
	      (long long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){0, NSEC};
	CHECK_ERR("ppoll with tv_nsec 1e9 is EINVAL", ppoll(&p, 1, &ts, NULL), EINVAL);

	/* A blocked, pending signal is delivered while ppoll's mask lets it in. */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &orig);
	usr1_count = 0;
	kill(getpid(), SIGUSR1);
	ts = (struct timespec){0, 0};
	r = ppoll(&p, 1, &ts, &usr1);
	check(r == 0 && usr1_count == 0, "ppoll with the signal still blocked: no delivery",
	      "r %d, handler ran %d times", r, (int)usr1_count);
	sigemptyset(&none);
	errno = 0;
	r = ppoll(&p, 1, NULL, &none);
	e = errno;
	check(r == -1 && e == EINTR && usr1_count == 1,
	      "ppoll unblocking a pending signal: -1 EINTR, the handler ran",
	      "r %d errno %s, handler ran %d times", r, errname(e), (int)usr1_count);
	sigprocmask(SIG_BLOCK, NULL, &now);
	check(sigismember(&now, SIGUSR1), "ppoll restored the mask afterwards",
	      "SIGUSR1 not blocked");
	CHECK_ERR("raw ppoll with a 16-byte sigset is EINVAL",
		  syscall(SYS_ppoll, &p, 1, &ts, &none, 2 * KSIGSET), EINVAL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	close(fd[0]);
	close(fd[1]);
}

/* -- select ---------------------------------------------------------------- */

static long
raw_select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	return syscall(SYS_select, n, r, w, x, tv);
}

static void
check_select_timeouts(void)
{
	struct timeval tv;
	long long t0, t1;
	fd_set rd;
	int fd[2], r;

	if (!mkpipe(fd))
		return;
	FD_ZERO(&rd);
	FD_SET(fd[0], &rd);
	tv = (struct timeval){0, 100000};
	t0 = now_ns();
	r = select(fd[0] + 1, &rd, NULL, NULL, &tv);
	t1 = now_ns();
	check(r == 0 && !FD_ISSET(fd[0], &rd), "select on an empty pipe times out with 0",
	      "r %d errno %s", r, errname(errno));
	check(t1 - t0 >= 100 * MSEC && t1 - t0 < 10 * NSEC,
	      "the 100 ms select timeout lasted at least 100 ms", "%lld us", (t1 - t0) / 1000);

	FD_SET(fd[0], &rd);
	tv = (struct timeval){0, 100000};
	r = (int)raw_select(fd[0] + 1, &rd, NULL, NULL, &tv);
	check(r == 0 && tv.tv_sec == 0 && tv.tv_usec == 0,
	      "raw select: the timeval reads zero after the timeout", "r %d tv %lld.%06ld", r,
	      (long long)tv.tv_sec, (long)tv.tv_usec);

	tv = (struct timeval){0, 50000};
	t0 = now_ns();
	r = select(0, NULL, NULL, NULL, &tv);
	t1 = now_ns();
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "select(0, NULL, NULL, NULL, 50 ms) sleeps at least 50 ms", "r %d after %lld us", r,
	      (t1 - t0) / 1000);

	/* Ready at once: the time left is nearly all of it. */
	(void)write(fd[1], "r", 1);
	FD_SET(fd[0], &rd);
	tv = (struct timeval){5, 0};
	r = (int)raw_select(fd[0] + 1, &rd, NULL, NULL, &tv);
	check(r == 1 && FD_ISSET(fd[0], &rd) && tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
		  (tv.tv_sec > 0 || tv.tv_usec > 0) && tv.tv_sec <= 5 &&
		  (tv.tv_sec < 5 || tv.tv_usec == 0),
	      "raw select, ready at once: the timeval holds the time left of 5 s",
	      "r %d tv %lld.%06ld", r, (long long)tv.tv_sec, (long)tv.tv_usec);

	/* The kernel folds a tv_usec of a second or more into tv_sec; negative is EINVAL. */
	FD_SET(fd[0], &rd);
	tv = (struct timeval){0, 1500000};
	r = (int)raw_select(fd[0] + 1, &rd, NULL, NULL, &tv);
	check(r == 1 && tv.tv_sec <= 1 && tv.tv_usec < 1000000,
	      "raw select takes tv_usec 1500000 as 1.5 s", "r %d errno %s tv %lld.%06ld", r,
	      errname(errno), (long long)tv.tv_sec, (long)tv.tv_usec);
	tv = (struct timeval){0, -1};
	CHECK_ERR("select with tv_usec -1 is EINVAL", raw_select(fd[0] + 1, &rd, NULL, NULL, &tv),
		  EINVAL);
	tv = (struct timeval){0, 0};
	CHECK_ERR("select with nfds -1 is EINVAL", select(-1, &rd, NULL, NULL, &tv), EINVAL);
	close(fd[0]);
	close(fd[1]);
}

static void
check_select_ready(void)
{
	char path[] = "/tmp/t_poll.XXXXXX";
	struct timeval tv;
	fd_set rd, wr, ex;
	int a[2], b[2], f, bad, n, r;

	if (!mkpipe(a) || !mkpipe(b))
		return;
	f = mkstemp(path);
	if (!check(f >= 0, "mkstemp in /tmp", "errno %s", errname(errno)))
		return;
	unlink(path);
	(void)write(a[1], "a", 1);
	n = f + 1;
	n = a[0] + 1 > n ? a[0] + 1 : n;
	n = a[1] + 1 > n ? a[1] + 1 : n;
	n = b[0] + 1 > n ? b[0] + 1 : n;

	/*
	 * a has data, b is empty, f is a file: read {a0, b0, f}, write {a1, f},
	 * except {a0, f}. The result counts every bit left set: 4.
	 */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	FD_SET(a[0], &rd);
	FD_SET(b[0], &rd);
	FD_SET(f, &rd);
	FD_SET(a[1], &wr);
	FD_SET(f, &wr);
	FD_SET(a[0], &ex);
	FD_SET(f, &ex);
	tv = (struct timeval){0, 0};
	r = select(n, &rd, &wr, &ex, &tv);
	CHECK_EQ("select counts each ready bit: 2 readable + 2 writable", r, 4);
	check(FD_ISSET(a[0], &rd) && !FD_ISSET(b[0], &rd) && FD_ISSET(f, &rd),
	      "readfds: the pipe with data and the file, not the empty pipe", "a %d b %d f %d",
	      FD_ISSET(a[0], &rd), FD_ISSET(b[0], &rd), FD_ISSET(f, &rd));
	check(FD_ISSET(a[1], &wr) && FD_ISSET(f, &wr),
	      "writefds: the pipe's write end and the file", "a %d f %d", FD_ISSET(a[1], &wr),
	      FD_ISSET(f, &wr));
	check(!FD_ISSET(a[0], &ex) && !FD_ISSET(f, &ex),
	      "exceptfds: nothing exceptional on a pipe or a file", "a %d f %d",
	      FD_ISSET(a[0], &ex), FD_ISSET(f, &ex));

	/* nfds far beyond the open descriptors is fine while no extra bit is set. */
	FD_ZERO(&rd);
	FD_SET(a[0], &rd);
	tv = (struct timeval){0, 0};
	r = select(FD_SETSIZE, &rd, NULL, NULL, &tv);
	check(r == 1 && FD_ISSET(a[0], &rd), "select with nfds FD_SETSIZE and one ready bit",
	      "r %d errno %s", r, errname(errno));

	/* A bit set for a closed descriptor is EBADF. */
	bad = closed_fd();
	FD_ZERO(&rd);
	FD_SET(a[0], &rd);
	FD_SET(bad, &rd);
	tv = (struct timeval){0, 0};
	CHECK_ERR("select with a closed descriptor's bit set is EBADF",
		  select(bad > a[0] ? bad + 1 : a[0] + 1, &rd, NULL, NULL, &tv), EBADF);

	/* Ends of pipes whose other end is gone: readable (EOF), writable (EPIPE). */
	close(b[1]);
	close(a[0]);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(b[0], &rd);
	FD_SET(a[1], &wr);
	tv = (struct timeval){0, 0};
	r = select(n, &rd, &wr, NULL, &tv);
	check(r == 2 && FD_ISSET(b[0], &rd) && FD_ISSET(a[1], &wr),
	      "select: a read end at EOF is readable, a write end with no reader writable",
	      "r %d rd %d wr %d", r, FD_ISSET(b[0], &rd), FD_ISSET(a[1], &wr));
	close(a[1]);
	close(b[0]);
	close(f);
}

/* -- pselect --------------------------------------------------------------- */

static void
check_pselect(void)
{
	struct {
		const sigset_t *ss;
		size_t len;
	} mask;
	struct timespec ts;
	sigset_t usr1, orig, none, now;
	long long t0, t1;
	fd_set rd;
	int fd[2], r, e;

	if (!mkpipe(fd))
		return;
	FD_ZERO(&rd);
	FD_SET(fd[0], &rd);
	ts = (struct timespec){0, 50 * MSEC};
	t0 = now_ns();
	r = pselect(fd[0] + 1, &rd, NULL, NULL, &ts, NULL);
	t1 = now_ns();
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "pselect with a 50 ms timeout times out after at least 50 ms", "r %d after %lld us",
	      r, (t1 - t0) / 1000);

	FD_SET(fd[0], &rd);
	ts = (struct timespec){0, 20 * MSEC};
	r = (int)syscall(SYS_pselect6, fd[0] + 1, &rd, NULL, NULL, &ts, NULL);
	check(r == 0 && ts.tv_sec == 0 && ts.tv_nsec == 0,
	      "raw pselect6: the timespec reads zero after the timeout", "r %d ts %lld.%09ld", r,
	      (long long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){0, NSEC};
	CHECK_ERR("pselect6 with tv_nsec 1e9 is EINVAL",
		  syscall(SYS_pselect6, fd[0] + 1, &rd, NULL, NULL, &ts, NULL), EINVAL);

	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &usr1, &orig);
	usr1_count = 0;
	kill(getpid(), SIGUSR1);
	FD_SET(fd[0], &rd);
	errno = 0;
	r = pselect(fd[0] + 1, &rd, NULL, NULL, NULL, &none);
	e = errno;
	check(r == -1 && e == EINTR && usr1_count == 1,
	      "pselect unblocking a pending signal: -1 EINTR, the handler ran",
	      "r %d errno %s, handler ran %d times", r, errname(e), (int)usr1_count);
	sigprocmask(SIG_BLOCK, NULL, &now);
	check(sigismember(&now, SIGUSR1), "pselect restored the mask afterwards",
	      "SIGUSR1 not blocked");

	kill(getpid(), SIGUSR1);
	mask.ss = &none;
	mask.len = KSIGSET;
	FD_SET(fd[0], &rd);
	errno = 0;
	r = (int)syscall(SYS_pselect6, fd[0] + 1, &rd, NULL, NULL, NULL, &mask);
	e = errno;
	check(r == -1 && e == EINTR && usr1_count == 2,
	      "raw pselect6 with an 8-byte sigset: -1 EINTR, the handler ran",
	      "r %d errno %s, handler ran %d times", r, errname(e), (int)usr1_count);
	mask.len = 2 * KSIGSET;
	ts = (struct timespec){0, 0};
	CHECK_ERR("raw pselect6 with a 16-byte sigset is EINVAL",
		  syscall(SYS_pselect6, fd[0] + 1, &rd, NULL, NULL, &ts, &mask), EINVAL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	guest_begin("t_poll", "poll, ppoll, select, pselect6");
	signal(SIGALRM, on_alarm);
	alarm(SAFETY_S);
	check_poll_timeouts();
	check_poll_pipes();
	check_poll_others();
	check_poll_wakeup();
	check_ppoll();
	check_select_timeouts();
	check_select_ready();
	check_pselect();
	alarm(0);
	return guest_end();
}
