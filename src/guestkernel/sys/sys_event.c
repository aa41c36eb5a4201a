/*
 * sys_event.c - event descriptors: eventfd, eventfd2.
 *
 * Layer src/guestkernel/sys: argument checking and the descriptor; the
 * objects are ipc/'s. Reads arguments only through sysarg.h.
 */
#include <errno.h>
#include <fcntl.h>

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
