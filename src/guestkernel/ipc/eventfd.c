/*
 * eventfd.c - event descriptors (eventfd(2)): a 64-bit counter as a file.
 *
 * Layer src/guestkernel/ipc: one implementation of fs/'s struct
 * gk_file_ops over kern/'s wait queues. A write adds its 8-byte value to
 * the counter; a read takes the counter and resets it to 0, or with
 * EFD_SEMAPHORE takes 1. The counter never exceeds 0xfffffffffffffffe: a
 * write that would pass it waits for a read (or is EAGAIN), a read of 0
 * waits for a write (or is EAGAIN). Both wait on the object's one queue,
 * readers for POLLIN, writers for POLLOUT, and a call that slept runs again
 * from its start when woken (kern.h, "Wait queues"), so neither keeps
 * state between runs. The object lives as long as its one open file
 * (dup and fork share the file) and is charged to the kernel-heap budget.
 *
 * Must not: read syscall arguments (sys/sys_event.c does) or know who
 * waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipc.h"

#define EFD_MAX 0xfffffffffffffffeULL /* the counter's largest value (eventfd(2)) */

struct gk_eventfd {
	struct gk_kernel *k;
	uint64_t count;
	int semaphore;	   /* EFD_SEMAPHORE: a read takes 1 */
	unsigned id;	   /* eventfd-id of fdinfo: the kernel's count of eventfds before it */
	struct gk_waitq q; /* readers (POLLIN) and writers (POLLOUT) that wait, and pollers */
};

/*
 * efd_read - 8 bytes: the counter (then 0), or 1 in semaphore mode (the
 * counter less 1). -EINVAL for a buffer under 8 bytes, -EAGAIN (O_NONBLOCK)
 * or -GK_EBLOCK while the counter is 0.
 */
static long
efd_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_eventfd *e = f->priv;
	uint64_t v;

	(void)off;
	if (gk_iov_total(iov, n) < sizeof(v))
		return -EINVAL;
	if (e->count == 0) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &e->q, POLLIN);
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	gk_iov_fill(iov, n, (const char *)&v, sizeof(v));
	gk_waitq_wake(&e->q, POLLOUT);
	return sizeof(v);
}

/* Gather the first 8 bytes of the iovecs (the caller checked there are 8). */
static uint64_t
iov_u64(const struct iovec *iov, int n)
{
	unsigned char b[8];
	size_t done = 0;
	uint64_t v;
	int i;

	for (i = 0; i < n && done < sizeof(b); i++) {
		size_t c = iov[i].iov_len < sizeof(b) - done ? iov[i].iov_len : sizeof(b) - done;

		memcpy(b + done, iov[i].iov_base, c);
		done += c;
	}
	memcpy(&v, b, sizeof(v));
	return v;
}

/*
 * efd_write - add the 8-byte value to the counter: 8, or -EINVAL (fewer
 * than 8 bytes, the value 0xffffffffffffffff), -EAGAIN (O_NONBLOCK) or
 * -GK_EBLOCK while the sum would pass EFD_MAX. The iovecs are one guest
 * buffer (split where its pages are not contiguous in pmem), so the value
 * may straddle two of them.
 */
static long
efd_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_eventfd *e = f->priv;
	uint64_t v;

	(void)off;
	if (gk_iov_total(iov, n) < sizeof(v))
		return -EINVAL;
	v = iov_u64(iov, n);
	if (v == UINT64_MAX)
		return -EINVAL;
	if (v > EFD_MAX - e->count) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &e->q, POLLOUT);
	}
	e->count += v;
	if (e->count)
		gk_waitq_wake(&e->q, POLLIN);
	return sizeof(v);
}

/*
 * efd_poll - POLLIN while the counter is above 0, POLLOUT while a write of
 * 1 would not wait, POLLERR at an overflowed counter (which only Linux's
 * in-kernel signalling can reach; kept to give the same answer).
 */
static short
efd_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_eventfd *e = f->priv;
	short r = 0;

	if (reg)
		gk_poll_wait(reg, &e->q, (short)(events | POLLERR));
	if (e->count > 0)
		r |= POLLIN | POLLRDNORM;
	if (e->count == UINT64_MAX)
		r |= POLLERR;
	if (e->count < EFD_MAX)
		r |= POLLOUT | POLLWRNORM;
	return r & (events | POLLERR | POLLHUP);
}

static void
efd_release(struct gk_file *f)
{
	struct gk_eventfd *e = f->priv;

	if (!e)
		return;
	f->priv = NULL;
	gk_waitq_fini(&e->q);
	gk_kfree(e->k, e, sizeof(*e));
}

/* /proc/PID/fdinfo/N: the counter (%16llx, as Linux's), the id, the mode. */
static void
efd_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_eventfd *e = f->priv;

	gk_sb_printf(b, "eventfd-count: %16llx\neventfd-id: %u\neventfd-semaphore: %d\n",
		     (unsigned long long)e->count, e->id, e->semaphore);
}

const struct gk_file_ops gk_eventfd_ops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .ioctl = gk_file_no_ioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = efd_release,
    .fdinfo = efd_fdinfo,
};

/*
 * gk_eventfd_new - an eventfd file (one reference in *ret) with the counter
 * at count; flags: O_NONBLOCK and GK_EFD_SEMAPHORE (the caller checked
 * them). Returns 0 or -ENOMEM (the kernel-heap budget is spent).
 */
int
gk_eventfd_new(struct gk_kernel *k, uint64_t count, int flags, struct gk_file **ret)
{
	struct gk_eventfd *e;
	struct gk_file *f;

	e = gk_kzalloc(k, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->k = k;
	e->count = count;
	e->semaphore = (flags & GK_EFD_SEMAPHORE) != 0;
	e->id = k->eventfd_ids++;
	f = gk_anon_file_new(k, &gk_eventfd_ops, e, flags, "anon_inode:[eventfd]");
	if (!f) {
		gk_kfree(k, e, sizeof(*e));
		return -ENOMEM;
	}
	/*
	 * Linux's eventfd has read_iter (a readv's 8 bytes may span segments)
	 * but a plain write (writev writes each segment alone: 3 + 5 is
	 * EINVAL), and no size is too small to reach it: 0 bytes is EINVAL.
	 */
	f->fmode |= GK_FMODE_READ_ITER | GK_FMODE_WRITE_LOOP | GK_FMODE_ZERO_IO;
	*ret = f;
	return 0;
}
