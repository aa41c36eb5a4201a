/*
 * inotify.c - inotify instances (inotify(7)): watches on inodes and the
 * queue of events a read returns.
 *
 * Layer src/guestkernel/ipc: one implementation of fs/'s struct
 * gk_file_ops over kern/'s wait queues. A watch is an fs/ mark (struct
 * gk_fsn_mark, fs/fsnotify.c) on one inode, numbered by its instance (wd,
 * from 1 upward, never reused before the numbers wrap, as Linux's cyclic
 * idr). fs/ calls the mark's event op for each change the watch asks for;
 * the event is queued unless it repeats the last one queued (Linux merges
 * identical consecutive events). A queue holds at most GK_INOTIFY_MAX_EVENTS
 * (max_queued_events); past it, or when the kernel-heap budget refuses an
 * event, one IN_Q_OVERFLOW (wd -1) ends the queue until it is read. Events
 * and watches are charged to the kernel heap; watches are bounded by
 * GK_INOTIFY_MAX_WATCHES and instances by GK_INOTIFY_MAX_INSTANCES, kernel
 * wide (the guest is one user).
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
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "ipc.h"

struct inev {
	struct inev *next;
	int32_t wd;
	uint32_t mask, cookie;
	uint32_t len; /* the name's bytes in a record: NUL-padded to a multiple of 16, or 0 */
	size_t kmem;  /* bytes charged (0: the overflow event, part of the instance) */
	char name[];
};

struct watch {
	struct gk_fsn_mark mark; /* first: the mark fs/ hands back is the watch */
	struct gk_inotify *in;
	int wd;
	struct watch *next; /* the instance's watches */
};

struct gk_inotify {
	struct gk_kernel *k;
	struct watch *watches;
	int last_wd;		   /* the wd given last: the next is above it */
	struct inev *head, *tail;  /* the queue, oldest first */
	unsigned nev;		   /* events queued, the overflow's included */
	size_t bytes;		   /* what FIONREAD says: the records' sizes */
	struct inev overflow;	   /* IN_Q_OVERFLOW, queued at most once */
	int overflow_queued;
	struct gk_waitq q;	   /* readers and pollers (POLLIN) */
};

static size_t
rec_size(const struct inev *e)
{
	return sizeof(struct inotify_event) + e->len;
}

static void
enqueue(struct gk_inotify *in, struct inev *e)
{
	e->next = NULL;
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->nev++;
	in->bytes += rec_size(e);
	gk_waitq_wake(&in->q, POLLIN);
}

/*
 * queue - one event for the reader: dropped if it repeats the last one
 * queued; IN_Q_OVERFLOW in its place when the queue is full or the heap
 * budget spent (Linux's fsnotify_insert_event checks fullness first).
 */
static void
queue(struct gk_inotify *in, int wd, uint32_t mask, uint32_t cookie, const char *name,
      size_t len)
{
	struct inev *e, *t = in->tail;
	uint32_t padded = len ? (uint32_t)((len + 1 + 15) & ~(size_t)15) : 0;
	size_t size;

	if (in->nev >= GK_INOTIFY_MAX_EVENTS)
		goto overflow;
	if (t && t->wd == wd && t->mask == mask && t->cookie == cookie &&
	    (t->len ? strnlen(t->name, t->len) : 0) == len && memcmp(t->name, name ? name : "", len) == 0)
		return;
	size = sizeof(*e) + padded;
	e = gk_kzalloc(in->k, size);
	if (!e)
		goto overflow;
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = padded;
	e->kmem = size;
	if (len)
		memcpy(e->name, name, len);
	enqueue(in, e);
	return;
overflow:
	if (in->overflow_queued)
		return;
	in->overflow_queued = 1;
	in->overflow.wd = -1;
	in->overflow.mask = IN_Q_OVERFLOW;
	enqueue(in, &in->overflow);
}

static void
free_event(struct gk_inotify *in, struct inev *e)
{
	if (e == &in->overflow)
		in->overflow_queued = 0;
	else
		gk_kfree(in->k, e, e->kmem);
}

/* Take w off its instance and the mark table (unless fs/ did: gone), free it. */
static void
watch_free(struct watch *w, int on_table)
{
	struct gk_inotify *in = w->in;
	struct watch **pp;

	for (pp = &in->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (on_table)
		gk_fsn_mark_del(in->k, &w->mark);
	in->k->inotify_watches--;
	gk_kfree(in->k, w, sizeof(*w));
}

static void
watch_event(struct gk_fsn_mark *m, uint32_t mask, uint32_t cookie, const char *name, size_t len)
{
	struct watch *w = (struct watch *)m;
	struct gk_inotify *in = w->in;

	queue(in, w->wd, mask, cookie, name, len);
	if (m->mask & IN_ONESHOT) {
		/* The watch ends after its first event: IN_IGNORED follows it. */
		queue(in, w->wd, IN_IGNORED, 0, NULL, 0);
		watch_free(w, 1);
	}
}

/* The inode went (fs/ took the mark off already): IN_IGNORED, and the watch goes. */
static void
watch_gone(struct gk_fsn_mark *m)
{
	struct watch *w = (struct watch *)m;

	queue(w->in, w->wd, IN_IGNORED, 0, NULL, 0);
	watch_free(w, 0);
}

static const struct gk_fsn_mark_ops watch_ops = {
    .event = watch_event,
    .gone = watch_gone,
};

/*
 * in_read - whole event records, as many as fit; -EINVAL when not even the
 * next fits (inotify(7)), -EAGAIN (O_NONBLOCK) or -GK_EBLOCK while none is
 * queued.
 */
static long
in_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_inotify *in = f->priv;
	size_t room = gk_iov_total(iov, n), done = 0;
	struct inev *e;
	char *buf;

	(void)off;
	if (!in->head) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &in->q, POLLIN);
	}
	if (rec_size(in->head) > room)
		return -EINVAL;
	for (e = in->head; e && done + rec_size(e) <= room; e = e->next)
		done += rec_size(e);
	buf = malloc(done);
	if (!buf)
		return -ENOMEM;
	done = 0;
	while ((e = in->head) && done + rec_size(e) <= room) {
		struct inotify_event rec = {.wd = e->wd, .mask = e->mask, .cookie = e->cookie,
					    .len = e->len};

		memcpy(buf + done, &rec, sizeof(rec));
		memcpy(buf + done + sizeof(rec), e->name, e->len);
		done += rec_size(e);
		in->head = e->next;
		if (!in->head)
			in->tail = NULL;
		in->nev--;
		in->bytes -= rec_size(e);
		free_event(in, e);
	}
	gk_iov_fill(iov, n, buf, done);
	free(buf);
	return (long)done;
}

static short
in_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_inotify *in = f->priv;

	if (reg)
		gk_poll_wait(reg, &in->q, events);
	return in->head ? (short)(events & (POLLIN | POLLRDNORM)) : 0;
}

/* FIONREAD: the bytes a read of everything would return, as an int. */
static long
in_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	struct gk_inotify *in = f->priv;
	int v;

	if (cmd != FIONREAD)
		return -ENOTTY;
	v = (int)in->bytes;
	return gk_copyout(p, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

static void
in_release(struct gk_file *f)
{
	struct gk_inotify *in = f->priv;
	struct inev *e;

	if (!in)
		return;
	f->priv = NULL;
	while (in->watches)
		watch_free(in->watches, 1);
	while ((e = in->head)) {
		in->head = e->next;
		free_event(in, e);
	}
	gk_waitq_fini(&in->q);
	in->k->inotify_instances--;
	gk_kfree(in->k, in, sizeof(*in));
}

/*
 * /proc/PID/fdinfo/N: a line a watch, newest first as Linux's mark list,
 * without the file handle Linux adds when the file system exports them.
 */
static void
in_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_inotify *in = f->priv;
	struct watch *w;

	for (w = in->watches; w; w = w->next)
		gk_sb_printf(b, "inotify wd:%x ino:%llx sdev:%x mask:%x ignored_mask:0\n", w->wd,
			     (unsigned long long)w->mark.ino, gk_fdinfo_sdev((dev_t)w->mark.dev),
			     w->mark.mask);
}

const struct gk_file_ops gk_inotify_ops = {
    .read = in_read,
    .write = gk_file_no_write,
    .poll = in_poll,
    .ioctl = in_ioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = in_release,
    .fdinfo = in_fdinfo,
};

/*
 * gk_inotify_new - an instance (one reference in *ret); flags: O_NONBLOCK.
 * Returns 0, -EMFILE past GK_INOTIFY_MAX_INSTANCES (inotify_init(2)), or
 * -ENOMEM.
 */
int
gk_inotify_new(struct gk_kernel *k, int flags, struct gk_file **ret)
{
	struct gk_inotify *in;
	struct gk_file *f;

	if (k->inotify_instances >= GK_INOTIFY_MAX_INSTANCES)
		return -EMFILE;
	in = gk_kzalloc(k, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->k = k;
	f = gk_anon_file_new(k, &gk_inotify_ops, in, flags, "anon_inode:inotify");
	if (!f) {
		gk_kfree(k, in, sizeof(*in));
		return -ENOMEM;
	}
	/* Linux's inotify file is open for reading only. */
	f->flags = (f->flags & ~O_ACCMODE) | O_RDONLY;
	k->inotify_instances++;
	*ret = f;
	return 0;
}

int
gk_is_inotify(const struct gk_file *f)
{
	return f->ops == &gk_inotify_ops;
}

/*
 * gk_inotify_add - watch the inode (dev, ino) for mask (the caller checked
 * it, IN_MASK_ADD|IN_MASK_CREATE excluded). An inode already watched keeps
 * its wd and gets mask, or mask added (IN_MASK_ADD), or -EEXIST
 * (IN_MASK_CREATE). Returns the wd, -ENOSPC past GK_INOTIFY_MAX_WATCHES,
 * -ENOMEM.
 */
int
gk_inotify_add(struct gk_file *f, uint64_t dev, uint64_t ino, uint32_t mask)
{
	struct gk_inotify *in = f->priv;
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	struct gk_kernel *k = in->k;
	struct watch *w;
	int wd;

	for (w = in->watches; w; w = w->next) {
		if (w->mark.dev != dev || w->mark.ino != ino)
			continue;
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mark.mask = (mask & IN_MASK_ADD) ? w->mark.mask | keep : keep;
		gk_fsn_mark_changed(k);
		return w->wd;
	}
	if (k->inotify_watches >= GK_INOTIFY_MAX_WATCHES)
		return -ENOSPC;
	w = gk_kzalloc(k, sizeof(*w));
	if (!w)
		return -ENOMEM;
	/* The next free number above the last, from 1 again past INT_MAX. */
	wd = in->last_wd;
	for (;;) {
		struct watch *o;

		wd = wd >= INT32_MAX ? 1 : wd + 1;
		for (o = in->watches; o && o->wd != wd; o = o->next)
			;
		if (!o)
			break;
	}
	in->last_wd = wd;
	w->in = in;
	w->wd = wd;
	w->mark.dev = dev;
	w->mark.ino = ino;
	w->mark.mask = keep;
	w->mark.ops = &watch_ops;
	if (gk_fsn_mark_add(k, &w->mark) < 0) {
		gk_kfree(k, w, sizeof(*w));
		return -ENOMEM;
	}
	w->next = in->watches;
	in->watches = w;
	k->inotify_watches++;
	return wd;
}

/* gk_inotify_rm - end watch wd: IN_IGNORED is queued. 0 or -EINVAL (no such wd). */
int
gk_inotify_rm(struct gk_file *f, int wd)
{
	struct gk_inotify *in = f->priv;
	struct watch *w;

	for (w = in->watches; w && w->wd != wd; w = w->next)
		;
	if (!w)
		return -EINVAL;
	queue(in, wd, IN_IGNORED, 0, NULL, 0);
	watch_free(w, 1);
	return 0;
}
