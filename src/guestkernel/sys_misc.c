/*
 * sys_misc.c - time, uname, randomness, sysinfo, scheduling, poll, futex.
 *
 * Layer src/guestkernel. Argument checking; the host's clocks and random
 * source answer directly (the guest has no vDSO, so every clock read is a
 * syscall). One process, one thread: a futex wait can only wait forever and
 * poll waits only on host descriptors.
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gk.h"

static int
valid_clock(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_PROCESS_CPUTIME_ID ||
	       c == CLOCK_THREAD_CPUTIME_ID || c == CLOCK_MONOTONIC_RAW ||
	       c == CLOCK_REALTIME_COARSE || c == CLOCK_MONOTONIC_COARSE || c == CLOCK_BOOTTIME;
}

GK_SYS(clock_gettime)
{
	struct timespec ts;
	clockid_t c = (clockid_t)a[0];

	if (!valid_clock(c))
		return -EINVAL;
	clock_gettime(c, &ts);
	return gk_copyout(p, a[1], &ts, sizeof(ts));
}

GK_SYS(clock_getres)
{
	struct timespec ts;
	clockid_t c = (clockid_t)a[0];

	if (!valid_clock(c))
		return -EINVAL;
	clock_getres(c, &ts);
	return a[1] ? gk_copyout(p, a[1], &ts, sizeof(ts)) : 0;
}

GK_SYS(gettimeofday)
{
	struct timeval tv;
	uint64_t tz[1] = {0};

	gettimeofday(&tv, NULL);
	if (a[0] && gk_copyout(p, a[0], &tv, sizeof(tv)) < 0)
		return -EFAULT;
	if (a[1] && gk_copyout(p, a[1], tz, sizeof(tz)) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(time)
{
	int64_t t = (int64_t)time(NULL);

	if (a[0] && gk_copyout(p, a[0], &t, sizeof(t)) < 0)
		return -EFAULT;
	return (long)t;
}

static long
sleep_for(struct gk_proc *p, clockid_t c, int flags, uint64_t req, uint64_t rem)
{
	struct timespec ts, left;
	int r;

	if (gk_copyin(p, &ts, req, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L || ts.tv_sec < 0)
		return -EINVAL;
	r = clock_nanosleep(c, flags, &ts, &left);
	if (r == EINTR && rem && !(flags & TIMER_ABSTIME))
		gk_copyout(p, rem, &left, sizeof(left));
	return r ? -r : 0;
}

GK_SYS(nanosleep)
{
	return sleep_for(p, CLOCK_MONOTONIC, 0, a[0], a[1]);
}

GK_SYS(clock_nanosleep)
{
	if (!valid_clock((clockid_t)a[0]) || (clockid_t)a[0] == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	return sleep_for(p, (clockid_t)a[0], (int)a[1], a[2], a[3]);
}

GK_SYS(uname)
{
	struct utsname u, h;

	memset(&u, 0, sizeof(u));
	uname(&h);
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, "uvk");
	/* The host's release: libcs compare it against their minimum kernel. */
	memcpy(u.release, h.release, sizeof(u.release));
	snprintf(u.version, sizeof(u.version), "#1 SMP uvk %s", uvk_version());
	strcpy(u.machine, "x86_64");
	strcpy(u.domainname, "(none)");
	return gk_copyout(p, a[0], &u, sizeof(u));
}

GK_SYS(getrandom)
{
	struct iovec iov[16];
	size_t n;
	long r, total = 0;
	int cnt, i;

	if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (a[1] == 0)
		return 0;
	cnt = gk_user_iov(p, a[0], a[1] < (1u << 20) ? a[1] : (1u << 20), UVK_ACCESS_WRITE, iov, 16,
			  &n);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++) {
		r = getrandom(iov[i].iov_base, iov[i].iov_len, (unsigned)a[2]);
		if (r < 0)
			return total ? total : -errno;
		total += r;
	}
	return total;
}

GK_SYS(sysinfo)
{
	struct sysinfo si;
	struct gk_kernel *k = p->k;

	memset(&si, 0, sizeof(si));
	si.uptime = (long)((gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns) / 1000000000ULL);
	si.totalram = k->pa.npages;
	si.freeram = k->pa.nfree;
	si.procs = 1;
	si.mem_unit = GK_PAGE;
	return gk_copyout(p, a[0], &si, sizeof(si));
}

GK_SYS(sched_yield)
{
	return 0;
}

GK_SYS(sched_getaffinity)
{
	uint64_t mask = 1;

	if (a[1] < sizeof(mask) || (a[1] & 7))
		return -EINVAL;
	if (gk_copyout(p, a[2], &mask, sizeof(mask)) < 0)
		return -EFAULT;
	return sizeof(mask);
}

GK_SYS(getrusage)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	if ((int)a[0] == RUSAGE_SELF) {
		uint64_t ns = gk_now_ns(CLOCK_MONOTONIC) - p->start_ns;

		ru.ru_utime.tv_sec = (time_t)(ns / 1000000000ULL);
		ru.ru_utime.tv_usec = (suseconds_t)(ns / 1000 % 1000000);
		ru.ru_maxrss = (long)(p->vm->pages * GK_PAGE / 1024);
	}
	return gk_copyout(p, a[1], &ru, sizeof(ru));
}

GK_SYS(times)
{
	uint64_t ticks = (gk_now_ns(CLOCK_MONOTONIC) - p->k->boot_ns) / 10000000ULL;
	struct tms t = {0};

	t.tms_utime = (clock_t)((gk_now_ns(CLOCK_MONOTONIC) - p->start_ns) / 10000000ULL);
	if (a[0] && gk_copyout(p, a[0], &t, sizeof(t)) < 0)
		return -EFAULT;
	return (long)ticks;
}

/* futex: with one thread a wait on an unchanged word would never end. */
GK_SYS(futex)
{
	int op = (int)a[1] & FUTEX_CMD_MASK;
	uint32_t v;

	switch (op) {
	case FUTEX_WAKE:
	case FUTEX_WAKE_OP:
		return 0;
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (gk_copyin(p, &v, a[0], 4) < 0)
			return -EFAULT;
		if (v != (uint32_t)a[2])
			return -EAGAIN;
		return a[3] ? -ETIMEDOUT : -EDEADLK;
	}
	return -ENOSYS;
}

/*
 * poll/ppoll: host descriptors are polled on the host, pipes by pipe.c,
 * everything else is always ready.
 */
static long
do_poll(struct gk_proc *p, uint64_t gva, uint64_t nfds, int timeout_ms)
{
	struct pollfd gp[64], hp[64];
	uint64_t i;
	int r, ready = 0, npipe = 0;

	if (nfds > 64)
		return -EINVAL;
	if (nfds && gk_copyin(p, gp, gva, nfds * sizeof(gp[0])) < 0)
		return -EFAULT;
	for (i = 0; i < nfds; i++) {
		struct gk_file *f = gp[i].fd < 0 ? NULL : gk_fd_get(p, gp[i].fd);

		hp[i].fd = f && f->hfd >= 0 ? f->hfd : -1;
		hp[i].events = gp[i].events;
		hp[i].revents = 0;
		gp[i].revents = 0;
		if (gp[i].fd >= 0 && !f)
			gp[i].revents = POLLNVAL;
		else if (f && f->type == GK_F_PIPE) {
			gp[i].revents = gk_pipe_poll(f, gp[i].events);
			npipe++;
		} else if (f && f->hfd < 0)
			gp[i].revents = gp[i].events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
		if (gp[i].revents)
			ready++;
	}
	r = poll(hp, nfds, ready || npipe ? 0 : timeout_ms);
	if (r < 0)
		return -errno;
	for (i = 0; i < nfds; i++) {
		if (hp[i].fd >= 0 && hp[i].revents) {
			gp[i].revents = hp[i].revents;
			ready++;
		}
	}
	/*
	 * Nothing ready and a pipe among the descriptors: sleep until some pipe
	 * changes. The timeout is not kept while asleep (no timers yet), nor are
	 * host descriptors watched.
	 */
	if (!ready && npipe && timeout_ms != 0)
		return gk_block(p, GK_WCHAN_POLL);
	if (nfds && gk_copyout(p, gva, gp, nfds * sizeof(gp[0])) < 0)
		return -EFAULT;
	return ready;
}

GK_SYS(poll)
{
	return do_poll(p, a[0], a[1], (int)a[2]);
}

GK_SYS(ppoll)
{
	struct timespec ts;
	int ms = -1;

	if (a[2]) {
		if (gk_copyin(p, &ts, a[2], sizeof(ts)) < 0)
			return -EFAULT;
		ms = (int)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	}
	return do_poll(p, a[0], a[1], ms);
}

/* The calls libc start-up probes and copes without: rseq and its kind. */
GK_SYS(enosys)
{
	return -ENOSYS;
}
