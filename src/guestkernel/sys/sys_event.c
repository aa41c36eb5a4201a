/*
 * sys_event.c - event descriptors: eventfd, eventfd2; signal descriptors:
 * signalfd, signalfd4; timer descriptors: timerfd_create,
 * timerfd_settime, timerfd_gettime; inotify: inotify_init, inotify_init1,
 * inotify_add_watch, inotify_rm_watch.
 *
 * Layer src/guestkernel/sys: argument checking and the descriptor; the
 * objects are ipc/'s. Reads arguments only through sysarg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
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
	int err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | GK_EFD_SEMAPHORE))
		return -EINVAL;
	err = gk_eventfd_new(p->k, initval, flags & (O_NONBLOCK | GK_EFD_SEMAPHORE), &f);
	if (err < 0)
		return err;
	return gk_fd_install_new(p->fdt, f, (flags & O_CLOEXEC) != 0);
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
	int err;

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
	return gk_fd_install_new(p->fdt, f, (flags & O_CLOEXEC) != 0);
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
	int clock = gk_arg_int(a, 0), flags = gk_arg_int(a, 1), err;
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
	return gk_fd_install_new(p->fdt, f, (flags & O_CLOEXEC) != 0);
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

/*
 * inotify_init1(2): a new inotify instance. Flags are IN_NONBLOCK and
 * IN_CLOEXEC (O_NONBLOCK, O_CLOEXEC); any other bit is -EINVAL. Returns
 * the descriptor, -EMFILE (descriptors, or instances past the user's
 * limit), -ENOMEM.
 */
static long
do_inotify_init(struct gk_proc *p, int flags)
{
	struct gk_file *f;
	int err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	err = gk_inotify_new(p->k, flags & O_NONBLOCK, &f);
	if (err < 0)
		return err;
	return gk_fd_install_new(p->fdt, f, (flags & O_CLOEXEC) != 0);
}

GK_SYS(inotify_init)
{
	(void)a;
	return do_inotify_init(p, 0);
}

GK_SYS(inotify_init1)
{
	return do_inotify_init(p, gk_arg_int(a, 0));
}

/* Every bit inotify_add_watch knows: a mask with none of them is -EINVAL (Linux's ALL_INOTIFY_BITS). */
#define IN_KNOWN                                                                                   \
	(IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |  \
	 IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)

/*
 * inotify_add_watch(2), checks in Linux's order: the mask (-EINVAL for no
 * known bit, or IN_MASK_ADD with IN_MASK_CREATE), the descriptor (-EBADF,
 * -EINVAL if no inotify instance), the path (-EFAULT, -ENOENT, -ENOTDIR
 * also for IN_ONLYDIR on a non-directory, -ELOOP...), read permission
 * (-EACCES). Returns the wd, -EEXIST (IN_MASK_CREATE, watched already),
 * -ENOSPC, -ENOMEM.
 */
GK_SYS(inotify_add_watch)
{
	uint32_t mask = gk_arg_uint(a, 2);
	int follow = !(mask & IN_DONT_FOLLOW), err;
	char copy[GK_PATH_MAX];
	struct gk_path path;
	struct gk_file *f;
	struct stat st;

	if (!(mask & IN_KNOWN))
		return -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	f = gk_fd_get_io(p, gk_arg_fd(a, 0));
	if (!f)
		return -EBADF;
	if (!gk_is_inotify(f))
		return -EINVAL;
	err = gk_path_from_user(p, AT_FDCWD, gk_arg_ptr(a, 1), follow ? GK_LOOKUP_FOLLOW : 0, &path,
				copy);
	if (err < 0)
		return err;
	err = gk_vfs_stat(p, &path, follow, &st);
	if (err < 0)
		return err;
	if ((mask & IN_ONLYDIR) && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!S_ISLNK(st.st_mode) && (err = gk_vfs_access(p, &path, R_OK, follow)) < 0)
		return err;
	return gk_inotify_add(f, st.st_dev, st.st_ino, mask);
}

/* inotify_rm_watch(2): -EBADF, -EINVAL (no inotify instance, no such wd), or 0. */
GK_SYS(inotify_rm_watch)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	if (!gk_is_inotify(f))
		return -EINVAL;
	return gk_inotify_rm(f, gk_arg_int(a, 1));
}
