/*
 * signalfd.c - signal descriptors (signalfd(2)): reading takes pending
 * signals of a mask off the reader's queue, as struct signalfd_siginfo.
 *
 * Layer src/guestkernel/ipc: one implementation of fs/'s struct
 * gk_file_ops over kern/'s wait queues. The object is only the mask: the
 * signals are those of the task that reads or polls (after a fork the
 * child reads its own), so a read and a poll look at the calling task's
 * thread group and wait on its sig_wq, which kern/signal.c wakes when it
 * queues a signal (posting never calls up into ipc/). A poll that gets no
 * task (epoll, poll's first look) asks k->sys_task, the task in a system
 * call now, as Linux asks current. A call that slept runs again from its
 * start when woken (kern.h, "Wait queues"). The object lives as long as
 * its one open file and is charged to the kernel-heap budget.
 *
 * Must not: read syscall arguments (sys/sys_event.c does) or deliver
 * signals (proc/signal.c does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ipc.h"

#define SFD_INFO_SIZE 128 /* sizeof(struct signalfd_siginfo) */

struct gk_signalfd {
	struct gk_kernel *k;
	uint64_t mask; /* gk_sigbit() of the signals it reads; never SIGKILL or SIGSTOP */
};

/* struct signalfd_siginfo as Linux lays it out (128 bytes). */
struct sfd_info {
	uint32_t signo;
	int32_t err, code;
	uint32_t pid, uid;
	int32_t fd;
	uint32_t tid, band, overrun, trapno;
	int32_t status, sint;
	uint64_t ptr, utime, stime, addr;
	uint16_t addr_lsb;
	uint8_t pad[SFD_INFO_SIZE - 82];
};

_Static_assert(sizeof(struct sfd_info) == SFD_INFO_SIZE, "signalfd_siginfo is 128 bytes");

/* A faulting signal: its union holds the address, not a sender. */
static int
is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* Translate a queued siginfo into the record a read gives (the union read by si_code). */
static void
to_sfd_info(const struct gk_siginfo *si, struct sfd_info *o)
{
	memset(o, 0, sizeof(*o));
	o->signo = (uint32_t)si->signo;
	o->err = si->err;
	o->code = si->code;
	if (si->code == SI_TIMER) {
		/* kern.h: a timer's id and overrun sit in pid and uid */
		o->tid = (uint32_t)si->proc.pid;
		o->overrun = si->proc.uid;
		o->sint = (int32_t)si->proc.value;
		o->ptr = si->proc.value;
	} else if (si->code > 0 && si->signo == SIGCHLD) {
		o->pid = (uint32_t)si->proc.pid;
		o->uid = si->proc.uid;
		o->status = (int32_t)si->proc.value;
	} else if (si->code > 0 && is_fault(si->signo)) {
		o->addr = si->addr;
	} else {
		o->pid = (uint32_t)si->proc.pid;
		o->uid = si->proc.uid;
		o->sint = (int32_t)si->proc.value;
		o->ptr = si->proc.value;
	}
}

/*
 * sfd_read - as many 128-byte records as fit and are pending in the mask
 * for the reader p. -EINVAL for a buffer under 128 bytes, -EAGAIN
 * (O_NONBLOCK) or -GK_EBLOCK while none is pending, -ENOMEM.
 */
static long
sfd_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_signalfd *s = f->priv;
	size_t max = gk_iov_total(iov, n) / SFD_INFO_SIZE, got = 0;
	struct sfd_info *out;
	struct gk_siginfo si;

	(void)off;
	if (max == 0)
		return -EINVAL;
	if (!(gk_sig_pending(p) & s->mask)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &p->tg->sig_wq, POLLIN);
	}
	/* No more records than signals queued: the guest's size does not size our buffer. */
	if (max > (size_t)p->tg->nsigq)
		max = (size_t)p->tg->nsigq;
	out = malloc(max * sizeof(*out));
	if (!out)
		return -ENOMEM;
	while (got < max && gk_sig_dequeue(p, s->mask, &si))
		to_sfd_info(&si, &out[got++]);
	gk_iov_fill(iov, n, (const char *)out, got * sizeof(*out));
	free(out);
	return (long)(got * SFD_INFO_SIZE);
}

/* sfd_poll - POLLIN while a signal of the mask is pending for the task that asks. */
static short
sfd_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_signalfd *s = f->priv;
	struct gk_proc *p = reg && reg->p ? reg->p : s->k->sys_task;

	if (!p)
		return 0;
	gk_poll_wait(reg, &p->tg->sig_wq, (short)(events | POLLERR));
	if (gk_sig_pending(p) & s->mask)
		return (short)(events & (POLLIN | POLLRDNORM));
	return 0;
}

static void
sfd_release(struct gk_file *f)
{
	struct gk_signalfd *s = f->priv;

	if (!s)
		return;
	f->priv = NULL;
	gk_kfree(s->k, s, sizeof(*s));
}

/* /proc/PID/fdinfo/N: the signals it reads, as a sigset in hex. */
static void
sfd_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_signalfd *s = f->priv;

	gk_sb_printf(b, "sigmask:\t%016llx\n", (unsigned long long)s->mask);
}

const struct gk_file_ops gk_signalfd_ops = {
    .read = sfd_read,
    .write = gk_file_no_write,
    .poll = sfd_poll,
    .ioctl = gk_file_no_ioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = sfd_release,
    .fdinfo = sfd_fdinfo,
};

/* gk_signalfd_set_mask - a new mask for signalfd f; -EINVAL if f is none. */
int
gk_signalfd_set_mask(struct gk_file *f, uint64_t mask)
{
	struct gk_signalfd *s;

	if (f->ops != &gk_signalfd_ops)
		return -EINVAL;
	s = f->priv;
	s->mask = mask & ~SIG_NEVER_MASKED;
	return 0;
}

/*
 * gk_signalfd_new - a signalfd file (one reference in *ret) reading the
 * signals of mask (SIGKILL and SIGSTOP dropped, as signalfd(2) says);
 * flags: O_NONBLOCK. Returns 0 or -ENOMEM.
 */
int
gk_signalfd_new(struct gk_kernel *k, uint64_t mask, int flags, struct gk_file **ret)
{
	struct gk_signalfd *s;
	struct gk_file *f;

	s = gk_kzalloc(k, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->k = k;
	s->mask = mask & ~SIG_NEVER_MASKED;
	f = gk_anon_file_new(k, &gk_signalfd_ops, s, flags, "anon_inode:[signalfd]");
	if (!f) {
		gk_kfree(k, s, sizeof(*s));
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}
