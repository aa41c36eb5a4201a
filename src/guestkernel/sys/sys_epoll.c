/*
 * sys_epoll.c - epoll_create, epoll_create1, epoll_ctl, epoll_wait,
 * epoll_pwait, epoll_pwait2.
 *
 * Layer src/guestkernel/sys: argument checking in Linux's order and the
 * copies in and out of guest memory; the instance itself is ipc/epoll.c.
 * epoll_wait blocks in the restart model: nothing ready, no signal and
 * time left, the task sleeps on the instance's queue (which every watched
 * object's wake reaches) and the call runs again from the start.
 *
 * Must not: block on the host.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "sys.h"

#define EP_EVSIZE 12 /* struct epoll_event is packed on x86-64 */
#define USER_TOP  0x7ffffffff000ULL

static long
new_epoll(struct gk_proc *p, int flags)
{
	struct gk_file *f = gk_epoll_new(p->k, 0);

	if (!f)
		return -ENOMEM;
	return gk_fd_install_new(p->fdt, f, flags & EPOLL_CLOEXEC);
}

GK_SYS(epoll_create)
{
	if (gk_arg_int(a, 0) <= 0)
		return -EINVAL;
	return new_epoll(p, 0);
}

GK_SYS(epoll_create1)
{
	int flags = gk_arg_int(a, 0);

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	return new_epoll(p, flags);
}

GK_SYS(epoll_ctl)
{
	int op = gk_arg_int(a, 1), fd = gk_arg_fd(a, 2);
	uint8_t ev[EP_EVSIZE] = {0};
	struct gk_file *epf, *f;
	uint32_t events;
	uint64_t data;

	if (op != EPOLL_CTL_DEL && gk_copyin(p, ev, gk_arg_ptr(a, 3), sizeof(ev)) < 0)
		return -EFAULT;
	if (!(epf = gk_fd_get_io(p, gk_arg_fd(a, 0))) || !(f = gk_fd_get_io(p, fd)))
		return -EBADF;
	memcpy(&events, ev, 4);
	memcpy(&data, ev + 4, 8);
	return gk_epoll_ctl(epf, op, f, fd, events, data);
}

/*
 * The wait of every variant: rel_ns UINT64_MAX waits forever, 0 not at
 * all. Returns the count copied out, 0 on timeout, -EINTR, -GK_EBLOCK.
 */
static long
do_wait(struct gk_proc *p, int epfd, uint64_t gva, int max, uint64_t rel_ns)
{
	struct gk_epevent *buf;
	uint8_t *out;
	struct gk_file *epf;
	long n, i;

	if (max <= 0 || max > INT_MAX / EP_EVSIZE)
		return -EINVAL;
	if (gva > USER_TOP || (uint64_t)max * EP_EVSIZE > USER_TOP - gva)
		return -EFAULT; /* Linux's access_ok, before anything is ready */
	if (!(epf = gk_fd_get_io(p, epfd)))
		return -EBADF;
	if (!gk_is_epoll(epf))
		return -EINVAL;
	if (max > GK_NFD)
		max = GK_NFD; /* bounds the buffer; the rest is for the next call */
	buf = malloc((size_t)max * (sizeof(*buf) + EP_EVSIZE));
	if (!buf)
		return -ENOMEM;
	out = (uint8_t *)(buf + max);
	n = gk_epoll_collect(epf, buf, max, 0);
	if (n > 0) {
		for (i = 0; i < n; i++) {
			memcpy(out + i * EP_EVSIZE, &buf[i].events, 4);
			memcpy(out + i * EP_EVSIZE + 4, &buf[i].data, 8);
		}
		if (gk_copyout(p, gva, out, (size_t)n * EP_EVSIZE) < 0)
			n = -EFAULT; /* nothing consumed: the events stay ready */
		else
			gk_epoll_collect(epf, buf, (int)n, 1);
	} else if (gk_sig_deliverable(p)) {
		n = -EINTR;
	} else if (rel_ns == UINT64_MAX || !gk_timeout(p, rel_ns)) {
		n = gk_block(p, gk_epoll_waitq(epf), 0);
	}
	free(buf);
	return n;
}

static uint64_t
ms_ns(int ms)
{
	return ms < 0 ? UINT64_MAX : (uint64_t)ms * 1000000ULL;
}

GK_SYS(epoll_wait)
{
	return do_wait(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 2),
		       ms_ns(gk_arg_int(a, 3)));
}

GK_SYS(epoll_pwait)
{
	int max = gk_arg_int(a, 2);
	long r;

	if (max <= 0 || max > INT_MAX / EP_EVSIZE)
		return -EINVAL;
	if ((r = gk_sig_call_mask(p, gk_arg_ptr(a, 4), gk_arg_size(a, 5))) < 0)
		return r;
	return do_wait(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), max, ms_ns(gk_arg_int(a, 3)));
}

GK_SYS(epoll_pwait2)
{
	uint64_t rel = UINT64_MAX, tsp = gk_arg_ptr(a, 3);
	int max = gk_arg_int(a, 2);
	long r;

	if (max <= 0 || max > INT_MAX / EP_EVSIZE)
		return -EINVAL;
	if (tsp && (r = gk_timespec_in(p, tsp, &rel)) < 0)
		return r;
	if ((r = gk_sig_call_mask(p, gk_arg_ptr(a, 4), gk_arg_size(a, 5))) < 0)
		return r;
	return do_wait(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), max, rel);
}
