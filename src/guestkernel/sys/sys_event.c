/*
 * sys_event.c - event descriptors: eventfd, eventfd2; signal descriptors:
 * signalfd, signalfd4; timer descriptors: timerfd_create,
 * timerfd_settime, timerfd_gettime.
 *
 * Layer src/guestkernel/sys: argument checking and the descriptor; the
 * objects are ipc/'s. Reads arguments only through sysarg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <time.h>

#include "sys.h"

/*
 * eventfd2(2): a new eventfd with the counter at initval. Flags are
 * EFD_CLOEXEC, EFD_NONBLOCK and EFD_SEMAPHORE; any other bit is -EINVAL.
 * Returns the descriptor, -EMFILE, or -ENOMEM.
 */
static long
do_eventfd(struct gk_proc *p, unsigned int initval, int flags)
{
	struct gk_file *f;
	int fd, err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | GK_EFD_SEMAPHORE))
		return -EINVAL;
	err = gk_eventfd_new(p->k, initval, flags & (O_NONBLOCK | GK_EFD_SEMAPHORE), &f);
	if (err < 0)
		return err;
	fd = gk_fd_install(p->fdt, f, 0, (flags & O_CLOEXEC) != 0);
	if (fd < 0)
		gk_file_unref(f);
	return fd;
}

GK_SYS(eventfd)
{
	return do_eventfd(p, gk_arg_uint(a, 0), 0);
}

GK_SYS(eventfd2)
{
	return do_eventfd(p, gk_arg_uint(a, 0), gk_arg_int(a, 1));
}

/*
 * signalfd4(2): fd -1 makes a signalfd reading the signals of the 8-byte
 * mask at gva; another fd must be a signalfd, whose mask is replaced
 * (flags then unused, as on Linux). Flags are SFD_CLOEXEC and SFD_NONBLOCK
 * (O_CLOEXEC, O_NONBLOCK). -EINVAL for other flags, a size other than 8 or
 * an fd that is no signalfd; -EFAULT, -EBADF, -EMFILE, -ENOMEM.
 */
static long
do_signalfd(struct gk_proc *p, int ufd, uint64_t gva, size_t size, int flags)
{
	struct gk_file *f;
	uint64_t mask;
	int fd, err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (size != sizeof(mask))
		return -EINVAL;
	if (gk_copyin(p, &mask, gva, sizeof(mask)) < 0)
		return -EFAULT;
	if (ufd != -1) {
		f = gk_fd_get_io(p, ufd);
		if (!f)
			return -EBADF;
		err = gk_signalfd_set_mask(f, mask);
		return err < 0 ? err : ufd;
	}
	err = gk_signalfd_new(p->k, mask, flags & O_NONBLOCK, &f);
	if (err < 0)
		return err;
	fd = gk_fd_install(p->fdt, f, 0, (flags & O_CLOEXEC) != 0);
	if (fd < 0)
		gk_file_unref(f);
	return fd;
}

GK_SYS(signalfd)
{
	return do_signalfd(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2), 0);
}

GK_SYS(signalfd4)
{
	return do_signalfd(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2),
			   gk_arg_int(a, 3));
}

#define TFD_ABSTIME_	      1 /* TFD_TIMER_ABSTIME */
#define TFD_CANCEL_ON_SET_    2 /* TFD_TIMER_CANCEL_ON_SET: accepted; the guest cannot set a clock */
#define CLOCK_REALTIME_ALARM_ 8
#define CLOCK_BOOTTIME_ALARM_ 9

/*
 * timerfd_create(2): a disarmed timer on clockid. The alarm clocks are
 * their plain clocks here (nothing suspends). -EINVAL for another clock or
 * a flag other than TFD_CLOEXEC and TFD_NONBLOCK; -EMFILE, -ENOMEM.
 */
GK_SYS(timerfd_create)
{
	int clock = gk_arg_int(a, 0), flags = gk_arg_int(a, 1), fd, err;
	struct gk_file *f;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (clock == CLOCK_REALTIME_ALARM_)
		clock = CLOCK_REALTIME;
	else if (clock == CLOCK_BOOTTIME_ALARM_)
		clock = CLOCK_BOOTTIME;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	err = gk_timerfd_new(p->k, clock, flags & O_NONBLOCK, &f);
	if (err < 0)
		return err;
	fd = gk_fd_install(p->fdt, f, 0, (flags & O_CLOEXEC) != 0);
	if (fd < 0)
		gk_file_unref(f);
	return fd;
}

/* A struct itimerspec {interval, value} in ns, to the guest at gva. */
static int
itimerspec_out(struct gk_proc *p, uint64_t gva, uint64_t value, uint64_t interval)
{
	if (gk_timespec_out(p, gva, interval) < 0 || gk_timespec_out(p, gva + 16, value) < 0)
		return -EFAULT;
	return 0;
}

/*
 * timerfd_settime(2): -EINVAL for unknown flags, a timespec out of range
 * or a descriptor that is no timerfd; -EFAULT, -EBADF.
 */
GK_SYS(timerfd_settime)
{
	int fd = gk_arg_fd(a, 0), flags = gk_arg_int(a, 1), err;
	uint64_t newv = gk_arg_ptr(a, 2), oldv = gk_arg_ptr(a, 3);
	uint64_t value, interval, ovalue, ointerval;
	struct gk_file *f;

	if (flags & ~(TFD_ABSTIME_ | TFD_CANCEL_ON_SET_))
		return -EINVAL;
	if ((err = gk_timespec_in(p, newv, &interval)) < 0 ||
	    (err = gk_timespec_in(p, newv + 16, &value)) < 0)
		return err;
	f = gk_fd_get_io(p, fd);
	if (!f)
		return -EBADF;
	err = gk_timerfd_set(f, (flags & TFD_ABSTIME_) != 0, value, interval, &ovalue, &ointerval);
	if (err < 0)
		return err;
	if (oldv && itimerspec_out(p, oldv, ovalue, ointerval) < 0)
		return -EFAULT;
	return 0;
}

/* timerfd_gettime(2): -EBADF, -EINVAL (no timerfd), -EFAULT. */
GK_SYS(timerfd_gettime)
{
	uint64_t value, interval;
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));
	int err;

	if (!f)
		return -EBADF;
	err = gk_timerfd_get(f, &value, &interval);
	if (err < 0)
		return err;
	return itimerspec_out(p, gk_arg_ptr(a, 1), value, interval);
}
