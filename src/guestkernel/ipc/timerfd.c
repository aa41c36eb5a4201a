/*
 * timerfd.c - timer descriptors (timerfd_create(2)): a timer whose
 * expirations are read as an 8-byte count.
 *
 * Layer src/guestkernel/ipc: one implementation of fs/'s struct
 * gk_file_ops, over kern/'s wait queues and kernel timers. As everywhere in
 * the guest kernel, times are kept as CLOCK_MONOTONIC nanoseconds: an
 * absolute time on CLOCK_REALTIME or CLOCK_BOOTTIME is converted when it is
 * set (the guest cannot set a clock, so no later jump moves it). The count
 * is brought up to date from the clock whenever it is looked at (read,
 * poll, gettime) and when the kernel timer fires; the kernel timer is only
 * there to wake readers and pollers at the next expiry. A read that finds
 * no expiration sleeps on the object's queue and runs again from its start
 * when woken (kern.h, "Wait queues").
 *
 * Must not: read syscall arguments (sys/sys_event.c does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "ipc.h"

struct gk_timerfd {
	struct gk_kernel *k;
	clockid_t clock;   /* what an absolute time is on */
	uint64_t ticks;	   /* expirations not yet read */
	uint64_t next;	   /* the next expiry, CLOCK_MONOTONIC ns; 0: disarmed */
	uint64_t interval; /* ns; 0: one-shot */
	int settime_flags; /* the last timerfd_settime's: TFD_TIMER_ABSTIME or 0 (fdinfo) */
	struct gk_ktimer kt;
	struct gk_waitq q; /* readers and pollers, woken (POLLIN) at an expiry */
};

/* Count the expirations up to now and arm the kernel timer for the next one. */
static void
update(struct gk_timerfd *t, uint64_t now)
{
	uint64_t n;

	if (t->next && now >= t->next) {
		if (t->interval) {
			n = (now - t->next) / t->interval + 1;
			t->next += n * t->interval;
		} else {
			n = 1;
			t->next = 0;
		}
		t->ticks = n > UINT64_MAX - t->ticks ? UINT64_MAX : t->ticks + n;
	}
	gk_ktimer_arm(t->k, &t->kt, t->next);
}

/* The kernel timer: an expiry is due. */
static void
tfd_fire(struct gk_ktimer *kt, uint64_t now)
{
	struct gk_timerfd *t = (struct gk_timerfd *)((char *)kt - offsetof(struct gk_timerfd, kt));

	update(t, now);
	if (t->ticks)
		gk_waitq_wake(&t->q, POLLIN);
}

/*
 * tfd_read - 8 bytes: the expirations since the last read (then 0). -EINVAL
 * for a buffer under 8 bytes, -EAGAIN (O_NONBLOCK) or -GK_EBLOCK while
 * there is none.
 */
static long
tfd_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_timerfd *t = f->priv;
	uint64_t v;

	(void)off;
	if (gk_iov_total(iov, n) < sizeof(v))
		return -EINVAL;
	update(t, gk_now_ns(CLOCK_MONOTONIC));
	if (t->ticks == 0) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &t->q, POLLIN);
	}
	v = t->ticks;
	t->ticks = 0;
	gk_iov_fill(iov, n, (const char *)&v, sizeof(v));
	return sizeof(v);
}

/* tfd_poll - POLLIN once the timer has expired since the last read. */
static short
tfd_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_timerfd *t = f->priv;

	if (reg)
		gk_poll_wait(reg, &t->q, (short)(events | POLLERR));
	update(t, gk_now_ns(CLOCK_MONOTONIC));
	return t->ticks ? (short)(events & (POLLIN | POLLRDNORM)) : 0;
}

static void
tfd_release(struct gk_file *f)
{
	struct gk_timerfd *t = f->priv;

	if (!t)
		return;
	f->priv = NULL;
	gk_ktimer_disarm(&t->kt);
	gk_waitq_fini(&t->q);
	gk_kfree(t->k, t, sizeof(*t));
}

/* /proc/PID/fdinfo/N: the clock, unread expirations, the last settime's flags, the times. */
static void
tfd_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_timerfd *t = f->priv;
	uint64_t value, interval;

	gk_timerfd_get(f, &value, &interval);
	gk_sb_printf(b, "clockid: %d\nticks: %llu\nsettime flags: 0%o\n", (int)t->clock,
		     (unsigned long long)t->ticks, (unsigned)t->settime_flags);
	gk_sb_printf(b, "it_value: (%llu, %llu)\nit_interval: (%llu, %llu)\n",
		     (unsigned long long)(value / 1000000000ULL),
		     (unsigned long long)(value % 1000000000ULL),
		     (unsigned long long)(interval / 1000000000ULL),
		     (unsigned long long)(interval % 1000000000ULL));
}

const struct gk_file_ops gk_timerfd_ops = {
    .read = tfd_read,
    .write = gk_file_no_write,
    .poll = tfd_poll,
    .ioctl = gk_file_no_ioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = tfd_release,
    .fdinfo = tfd_fdinfo,
};

/*
 * gk_timerfd_new - a disarmed timerfd file on clock (CLOCK_REALTIME,
 * CLOCK_MONOTONIC or CLOCK_BOOTTIME: the caller checked) with one
 * reference in *ret; flags: O_NONBLOCK. The clock only matters to absolute
 * times, which gk_timerfd_set converts. Returns 0 or -ENOMEM.
 */
int
gk_timerfd_new(struct gk_kernel *k, clockid_t clock, int flags, struct gk_file **ret)
{
	struct gk_timerfd *t;
	struct gk_file *f;

	t = gk_kzalloc(k, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->k = k;
	t->clock = clock;
	t->kt.fire = tfd_fire;
	f = gk_anon_file_new(k, &gk_timerfd_ops, t, flags, "anon_inode:[timerfd]");
	if (!f) {
		gk_kfree(k, t, sizeof(*t));
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}

/*
 * gk_timerfd_get - timerfd_gettime(2): the time to the next expiry and the
 * interval, in ns (value 0: disarmed). -EINVAL if f is no timerfd.
 */
int
gk_timerfd_get(struct gk_file *f, uint64_t *ret_value, uint64_t *ret_interval)
{
	struct gk_timerfd *t = f->priv;
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

	if (f->ops != &gk_timerfd_ops)
		return -EINVAL;
	update(t, now);
	*ret_value = t->next ? t->next - now : 0;
	*ret_interval = t->interval;
	return 0;
}

/*
 * gk_timerfd_set - timerfd_settime(2): value (ns; 0 disarms) is relative,
 * or with abs an absolute time on the timer's clock (a time already past expires at
 * once, with the intervals since counted); interval 0 is one-shot. Unread
 * expirations are dropped. The old setting goes to ret_old_*, as
 * gk_timerfd_get gives it. -EINVAL if f is no timerfd.
 */
int
gk_timerfd_set(struct gk_file *f, int abs, uint64_t value, uint64_t interval,
	       uint64_t *ret_old_value, uint64_t *ret_old_interval)
{
	struct gk_timerfd *t = f->priv;
	uint64_t now, cnow;
	int err;

	err = gk_timerfd_get(f, ret_old_value, ret_old_interval);
	if (err < 0)
		return err;
	now = gk_now_ns(CLOCK_MONOTONIC);
	t->settime_flags = abs ? 1 : 0;
	t->ticks = 0;
	t->interval = interval;
	if (!value) {
		t->next = 0;
	} else if (!abs) {
		t->next = value > UINT64_MAX - now ? UINT64_MAX : now + value;
	} else {
		cnow = gk_now_ns(t->clock);
		if (value >= cnow)
			t->next =
			    value - cnow > UINT64_MAX - now ? UINT64_MAX : now + (value - cnow);
		else
			t->next = cnow - value < now ? now - (cnow - value) : 1;
	}
	update(t, now);
	if (t->ticks)
		gk_waitq_wake(&t->q, POLLIN);
	return 0;
}
