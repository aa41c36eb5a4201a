/*
 * t_timerfd - timer descriptors as timerfd_create(2) describes them.
 *
 * Usage: t_timerfd
 *
 * Checks (counts only where Linux guarantees them, never a duration):
 *   - timerfd_create on CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME;
 *     EINVAL for another clock or unknown flags; TFD_CLOEXEC and
 *     TFD_NONBLOCK show through fcntl; fstat gives mode 0600 with no file
 *     type; /proc/self/fd/N reads anon_inode:[timerfd];
 *   - a new timer is disarmed: gettime gives zeros, a non-blocking read is
 *     EAGAIN; a read under 8 bytes is EINVAL, a write EINVAL;
 *   - a 1 ms one-shot timer: a blocking read returns exactly 1, then the
 *     timer is disarmed (gettime zeros) and a non-blocking read is EAGAIN;
 *     the same with TFD_TIMER_ABSTIME on each clock, and with an absolute
 *     time already past;
 *   - an interval timer: a blocking read returns >= 1, gettime gives the
 *     interval and a value in (0, interval]; the old value comes back from
 *     the next settime;
 *   - a relative 100 s timer: gettime's value is in (0, 100 s];
 *   - poll: not readable while disarmed, readable once a 1 ms timer expired
 *     (a poll with no timeout wakes); settime drops unread expirations;
 *   - settime's ERRORS: EINVAL for tv_nsec out of range, a negative
 *     tv_sec, unknown flags, a descriptor that is no timerfd (gettime too);
 *     EBADF for a closed descriptor;
 *   - fork shares the timer: a child's blocking read takes the expiration.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define TFD_CLOEXEC_  O_CLOEXEC
#define TFD_NONBLOCK_ O_NONBLOCK
#define TFD_ABSTIME_  1
#define MS	      1000000L

static int
tfd(int clock, int flags)
{
	return (int)syscall(SYS_timerfd_create, clock, flags);
}

static long
tset(int fd, int flags, long value_ns, long interval_ns, struct itimerspec *old)
{
	struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
				 {value_ns / 1000000000L, value_ns % 1000000000L}};

	return syscall(SYS_timerfd_settime, fd, flags, &its, old);
}

static long
tget(int fd, struct itimerspec *cur)
{
	return syscall(SYS_timerfd_gettime, fd, cur);
}

static long long
ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* Read the expiration count; -1 and errno on failure. */
static long long
get(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return (long long)v;
}

static int
disarmed(int fd)
{
	struct itimerspec cur;

	return tget(fd, &cur) == 0 && ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0;
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
check_create(void)
{
	static const struct {
		int clock;
		const char *name;
	} clocks[] = {{CLOCK_REALTIME, "CLOCK_REALTIME"},
		      {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		      {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"}};
	char what[96], path[32], link[64];
	struct stat st;
	uint64_t v;
	ssize_t n;
	unsigned i;
	int fd;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		snprintf(what, sizeof(what), "timerfd_create(%s, 0)", clocks[i].name);
		fd = tfd(clocks[i].clock, 0);
		if (CHECK_OK(what, fd))
			close(fd);
	}
	CHECK_ERR("timerfd_create(CLOCK_PROCESS_CPUTIME_ID): EINVAL",
		  tfd(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERR("timerfd_create(12345): EINVAL", tfd(12345, 0), EINVAL);
	CHECK_ERR("timerfd_create with flag 1: EINVAL", tfd(CLOCK_MONOTONIC, 1), EINVAL);
	CHECK_ERR("timerfd_create with O_APPEND: EINVAL", tfd(CLOCK_MONOTONIC, O_APPEND), EINVAL);

	fd = tfd(CLOCK_MONOTONIC, TFD_CLOEXEC_ | TFD_NONBLOCK_);
	if (!CHECK_OK("timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC|TFD_NONBLOCK)", fd))
		return;
	CHECK_EQ("F_GETFD: FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ("F_GETFL: O_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	if (CHECK_OK("fstat", fstat(fd, &st)))
		CHECK_EQ("st_mode: 0600, no file type", st.st_mode, 0600);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (CHECK_OK("readlink /proc/self/fd/N", n)) {
		link[n] = 0;
		CHECK_STR("its target", link, "anon_inode:[timerfd]");
	}
	CHECK_TRUE("a new timer is disarmed (gettime zeros)", disarmed(fd), "not disarmed");
	CHECK_ERR("read of a disarmed timer with TFD_NONBLOCK: EAGAIN", get(fd), EAGAIN);
	CHECK_ERR("read of 4 bytes: EINVAL", read(fd, &v, 4), EINVAL);
	v = 1;
	CHECK_ERR("write: EINVAL", write(fd, &v, 8), EINVAL);
	close(fd);
}

static void
check_oneshot(void)
{
	static const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
	struct timespec now;
	char what[96];
	unsigned i;
	int fd = tfd(CLOCK_MONOTONIC, 0);

	if (!CHECK_OK("timerfd_create(CLOCK_MONOTONIC, 0)", fd))
		return;
	CHECK_EQ("settime 1 ms one-shot", tset(fd, 0, MS, 0, NULL), 0);
	CHECK_EQ("blocking read returns exactly 1", get(fd), 1);
	CHECK_TRUE("after it the timer is disarmed", disarmed(fd), "not disarmed");
	CHECK_EQ("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR("a second read: EAGAIN", get(fd), EAGAIN);
	close(fd);

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		fd = tfd(clocks[i], 0);
		snprintf(what, sizeof(what), "timerfd_create(clock %d)", clocks[i]);
		if (!CHECK_OK(what, fd))
			continue;
		clock_gettime(clocks[i], &now);
		snprintf(what, sizeof(what), "clock %d: TFD_TIMER_ABSTIME now + 1 ms", clocks[i]);
		CHECK_EQ(what, tset(fd, TFD_ABSTIME_, ns(&now) + MS, 0, NULL), 0);
		snprintf(what, sizeof(what), "clock %d: blocking read returns exactly 1",
			 clocks[i]);
		CHECK_EQ(what, get(fd), 1);
		snprintf(what, sizeof(what), "clock %d: TFD_TIMER_ABSTIME 1 s ago", clocks[i]);
		CHECK_EQ(what, tset(fd, TFD_ABSTIME_, ns(&now) - 1000 * MS, 0, NULL), 0);
		snprintf(what, sizeof(what), "clock %d: the past time expired once", clocks[i]);
		CHECK_EQ(what, get(fd), 1);
		close(fd);
	}
}

static void
check_interval(void)
{
	struct itimerspec cur, old;
	int fd = tfd(CLOCK_MONOTONIC, 0);

	if (!CHECK_OK("timerfd_create for intervals", fd))
		return;
	CHECK_EQ("settime 1 ms, every 2 ms", tset(fd, 0, MS, 2 * MS, NULL), 0);
	CHECK_TRUE("blocking read returns >= 1", get(fd) >= 1, "less");
	if (CHECK_EQ("gettime", tget(fd, &cur), 0)) {
		CHECK_EQ("its interval", ns(&cur.it_interval), 2 * MS);
		CHECK_TRUE("its value in (0, 2 ms]",
			   ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 2 * MS, "got %lld",
			   ns(&cur.it_value));
	}
	CHECK_EQ("settime 100 s relative, returning the old", tset(fd, 0, 100000 * MS, 0, &old), 0);
	CHECK_EQ("old interval", ns(&old.it_interval), 2 * MS);
	CHECK_TRUE("old value in (0, 2 ms]", ns(&old.it_value) > 0 && ns(&old.it_value) <= 2 * MS,
		   "got %lld", ns(&old.it_value));
	if (CHECK_EQ("gettime", tget(fd, &cur), 0)) {
		CHECK_EQ("no interval now", ns(&cur.it_interval), 0);
		CHECK_TRUE("value in (0, 100 s]",
			   ns(&cur.it_value) > 0 && ns(&cur.it_value) <= 100000 * MS, "got %lld",
			   ns(&cur.it_value));
	}
	CHECK_EQ("settime 0 disarms", tset(fd, 0, 0, 0, NULL), 0);
	CHECK_TRUE("disarmed", disarmed(fd), "not disarmed");
	close(fd);
}

static void
check_poll(void)
{
	struct pollfd pfd;
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK_);

	if (!CHECK_OK("timerfd_create for poll", fd))
		return;
	pfd = (struct pollfd){fd, POLLIN, 0};
	CHECK_EQ("poll of a disarmed timer: not ready", poll(&pfd, 1, 0), 0);
	CHECK_EQ("settime 1 ms", tset(fd, 0, MS, 0, NULL), 0);
	pfd = (struct pollfd){fd, POLLIN, 0};
	CHECK_EQ("poll with no timeout wakes", poll(&pfd, 1, -1), 1);
	CHECK_EQ("its revents", pfd.revents, POLLIN);
	CHECK_EQ("settime disarms, dropping the expiration", tset(fd, 0, 0, 0, NULL), 0);
	CHECK_ERR("read: EAGAIN", get(fd), EAGAIN);
	pfd = (struct pollfd){fd, POLLIN, 0};
	CHECK_EQ("poll: not ready", poll(&pfd, 1, 0), 0);
	close(fd);
}

static void
check_errors(void)
{
	struct itimerspec its = {{0, 0}, {0, 1000000000L}}, cur;
	int fd = tfd(CLOCK_MONOTONIC, 0), p[2];

	if (!CHECK_OK("timerfd_create for errors", fd))
		return;
	CHECK_ERR("settime tv_nsec 1e9: EINVAL", syscall(SYS_timerfd_settime, fd, 0, &its, NULL),
		  EINVAL);
	its.it_value = (struct timespec){-1, 0};
	CHECK_ERR("settime tv_sec -1: EINVAL", syscall(SYS_timerfd_settime, fd, 0, &its, NULL),
		  EINVAL);
	its.it_value = (struct timespec){1, 0};
	its.it_interval = (struct timespec){0, -1};
	CHECK_ERR("settime interval tv_nsec -1: EINVAL",
		  syscall(SYS_timerfd_settime, fd, 0, &its, NULL), EINVAL);
	CHECK_ERR("settime flags 4: EINVAL", tset(fd, 4, MS, 0, NULL), EINVAL);
	CHECK_TRUE("still disarmed", disarmed(fd), "armed");
	if (CHECK_OK("pipe", pipe(p))) {
		CHECK_ERR("settime on a pipe: EINVAL", tset(p[0], 0, MS, 0, NULL), EINVAL);
		CHECK_ERR("gettime on a pipe: EINVAL", tget(p[0], &cur), EINVAL);
		close(p[0]);
		close(p[1]);
	}
	close(fd);
	CHECK_ERR("settime on a closed descriptor: EBADF", tset(fd, 0, MS, 0, NULL), EBADF);
	CHECK_ERR("gettime on a closed descriptor: EBADF", tget(fd, &cur), EBADF);
}

static void
check_fork(void)
{
	pid_t pid;
	int fd = tfd(CLOCK_MONOTONIC, TFD_NONBLOCK_);

	if (!CHECK_OK("timerfd_create for fork", fd))
		return;
	CHECK_EQ("settime 1 ms", tset(fd, 0, MS, 0, NULL), 0);
	pid = fork();
	if (pid == 0) {
		struct pollfd pfd = {fd, POLLIN, 0};

		_exit(poll(&pfd, 1, -1) == 1 && get(fd) == 1 ? 0 : 1);
	}
	CHECK_EQ("the child saw and read the expiration", reap(pid), 0);
	CHECK_ERR("the parent finds it taken: EAGAIN", get(fd), EAGAIN);
	close(fd);
}

int
main(void)
{
	guest_begin("t_timerfd", "timerfd clocks, one-shot, interval, poll, errors, fork");
	alarm(30); /* a timer that never fires fails the run instead of hanging it */
	check_create();
	check_oneshot();
	check_interval();
	check_poll();
	check_errors();
	check_fork();
	return guest_end();
}
