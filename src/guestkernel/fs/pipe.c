/*
 * pipe.c - pipes: a ring of guest-RAM pages between two open files.
 *
 * Layer src/guestkernel/fs, the mechanism under sys_task.c and file.c. Each
 * end is a gk_file with gk_pipe_ops (O_RDONLY or O_WRONLY); the pipe
 * counts the open files of each end, not the descriptors, since dup and
 * fork share a file. Each end has a wait queue: readers of an empty pipe
 * with writers, and pollers of the read end, wait on rq, which a write and
 * the last writer's close wake; writers of a full pipe with readers, and
 * pollers of the write end, wait on wq, which a read and the last reader's
 * close wake. A write of at most PIPE_BUF bytes is atomic: it waits for
 * room for all of it (O_NONBLOCK: all of it or EAGAIN). A blocking longer
 * write moves what fits, sleeps, and runs again until all of it is
 * written, as on Linux: the task's restart state (p->io_done) says how much
 * earlier runs of the call moved, and a signal after some was moved ends
 * the call with that count (signal(7)). With O_NONBLOCK a longer write
 * moves what fits and returns the count.
 *
 * The buffer is charged to the guest, as Linux charges it to the user: its
 * bytes live in pmem frames from the page allocator (taken when a write
 * first reaches a slot, given back when the pipe drains), so a guest that
 * fills pipes fills its own RAM and gets -ENOMEM, never tracer heap; the
 * slot array and the pipe itself are charged to the kernel-heap budget
 * (gk_kmem_charge). Capacity follows pipe(7) and fcntl(2): 16 pages, a
 * power of two pages from F_SETPIPE_SZ, at most pipe-max-size without
 * CAP_SYS_RESOURCE, and the per-user pipe-user-pages-soft/-hard limits
 * without CAP_SYS_RESOURCE or CAP_SYS_ADMIN (the guest's only user is
 * k->uid, and its capabilities are uvk's own).
 *
 * Must not: decode syscall arguments or touch guest memory (the iovecs
 * point into pmem already).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "pipe_impl.h"

/*
 * uvk's own effective capability cap: the guest holds what uvk holds (a
 * root without CAP_SYS_RESOURCE, as in some containers, lacks it natively
 * too). Asked once a kernel (k->pipe_caps: the bits + 1, 0 until asked); a
 * failing capget means no.
 */
static int
host_capable(struct gk_kernel *k, int cap)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (!k->pipe_caps) {
		memset(data, 0, sizeof(data));
		k->pipe_caps = 1;
		if (syscall(SYS_capget, &hdr, data) == 0)
			k->pipe_caps += (int)(data[0].effective &
					      ((1u << CAP_SYS_RESOURCE) | (1u << CAP_SYS_ADMIN)));
	}
	return ((k->pipe_caps - 1) & (1 << cap)) != 0;
}

/* fcntl(2): CAP_SYS_RESOURCE may set a capacity above pipe-max-size. */
static int
may_exceed_max_size(struct gk_kernel *k)
{
	return host_capable(k, CAP_SYS_RESOURCE);
}

/* pipe(7): the per-user limits bind a user with neither CAP_SYS_RESOURCE nor CAP_SYS_ADMIN. */
static int
user_limits_bind(struct gk_kernel *k)
{
	return !host_capable(k, CAP_SYS_RESOURCE) && !host_capable(k, CAP_SYS_ADMIN);
}

/* Would total pipe pages exceed lim (0: none)? As Linux's too_many_pipe_buffers_*. */
static int
over_limit(uint64_t total, uint64_t lim)
{
	return lim != 0 && total > lim;
}

static uint64_t
capacity(const struct gk_pipe *pp)
{
	return (uint64_t)pp->nslots * GK_PAGE;
}

/*
 * Give back the frames of an empty pipe. A pipe that drains keeps its first
 * frame (keep_first), where the ring starts again: a pipe used for round
 * trips would otherwise take a frame from the allocator and give it back on
 * every message. An idle pipe so holds one page of guest RAM at most, as
 * Linux's keeps a spare page; it is charged as its data is, to guest RAM.
 */
void
gk_pipe_frames_free(struct gk_pipe *pp, int keep_first)
{
	uint32_t i;

	for (i = keep_first ? 1 : 0; i < pp->nslots; i++) {
		if (pp->slot[i]) {
			gk_page_unref(pp->k->pa, pp->slot[i]);
			pp->slot[i] = 0;
		}
	}
	pp->head = 0;
}

static struct gk_file *
end_new(struct gk_pipe *pp, int flags)
{
	char name[48];
	struct gk_file *f;

	snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)pp->ino);
	f = gk_file_new(pp->k, &gk_pipe_ops, -1, flags, name);
	if (!f)
		return NULL;
	f->fmode = GK_FMODE_STREAM;
	f->pipe = pp;
	f->st.st_mode = S_IFIFO | 0600;
	f->st.st_nlink = 1;
	f->st.st_uid = pp->k->uid;
	f->st.st_gid = pp->k->gid;
	f->st.st_ino = pp->ino;
	f->st.st_blksize = GK_PAGE;
	return f;
}

void
gk_pipe_free(struct gk_pipe *pp)
{
	struct gk_kernel *k = pp->k;

	gk_waitq_fini(&pp->rq);
	gk_waitq_fini(&pp->wq);
	gk_waitq_fini(&pp->ropen);
	gk_waitq_fini(&pp->wopen);
	gk_pipe_frames_free(pp, 0);
	k->pipe_user_pages -= pp->nslots;
	gk_kmem_uncharge(k, sizeof(*pp) + pp->nslots * sizeof(*pp->slot));
	free(pp->slot);
	free(pp);
}

/* gk_pipe_alloc - a pipe with no ends, or NULL (the caller says -ENFILE, as Linux). */
struct gk_pipe *
gk_pipe_alloc(struct gk_kernel *k)
{
	uint32_t nslots = GK_PIPE_SIZE / GK_PAGE;
	struct gk_pipe *pp;

	if (user_limits_bind(k)) {
		/* pipe(7): past the soft limit, a new pipe gets one page. */
		if (over_limit(k->pipe_user_pages + nslots, GK_PIPE_USER_PAGES_SOFT))
			nslots = 1;
		if (over_limit(k->pipe_user_pages + nslots, GK_PIPE_USER_PAGES_HARD))
			return NULL;
	}
	if (gk_kmem_charge(k, sizeof(*pp) + nslots * sizeof(uint64_t)) < 0)
		return NULL;
	pp = calloc(1, sizeof(*pp));
	if (pp)
		pp->slot = calloc(nslots, sizeof(*pp->slot));
	if (!pp || !pp->slot) {
		free(pp);
		gk_kmem_uncharge(k, sizeof(*pp) + nslots * sizeof(uint64_t));
		return NULL;
	}
	pp->k = k;
	pp->nslots = nslots;
	if (!k->pipe_next_ino)
		k->pipe_next_ino = 0x10000;
	pp->ino = k->pipe_next_ino++;
	k->pipe_user_pages += nslots;
	return pp;
}

/*
 * gk_pipe_new - a pipe and its two ends, one reference each. Returns 0 or
 * -ENFILE, as Linux does when the pipe cannot be allocated: the kernel-heap
 * budget is spent, or an unprivileged user is at pipe-user-pages-hard.
 */
int
gk_pipe_new(struct gk_kernel *k, struct gk_file **ret_r, struct gk_file **ret_w)
{
	struct gk_pipe *pp = gk_pipe_alloc(k);
	struct gk_file *r, *w;

	if (!pp)
		return -ENFILE;
	pp->readers = pp->writers = 1;
	r = end_new(pp, O_RDONLY);
	w = end_new(pp, O_WRONLY);
	if (!r || !w) {
		if (r)
			r->pipe = NULL;
		if (w)
			w->pipe = NULL;
		gk_file_unref(r);
		gk_file_unref(w);
		gk_pipe_free(pp);
		return -ENFILE;
	}
	*ret_r = r;
	*ret_w = w;
	return 0;
}

/* gk_pipe_close - the last reference to the end f went (from gk_file_unref). */
void
gk_pipe_close(struct gk_file *f)
{
	struct gk_pipe *pp = f->pipe;

	if (!pp)
		return;
	f->pipe = NULL;
	if ((f->flags & O_ACCMODE) != O_WRONLY && --pp->readers == 0)
		gk_waitq_wake(&pp->wq, POLLERR);
	if ((f->flags & O_ACCMODE) != O_RDONLY && --pp->writers == 0)
		gk_waitq_wake(&pp->rq, POLLHUP);
	if (pp->fifo) {
		if (pp->readers == 0 && pp->writers == 0)
			gk_pipe_fifo_drop(pp);
		/* The node's hold last: it may free the node, and the pipe with it. */
		if (f->tnode)
			gk_tnode_release(pp->k, f->tnode);
		f->tnode = NULL;
	} else if (pp->readers == 0 && pp->writers == 0) {
		gk_pipe_free(pp);
	}
}

/* The hva of ring byte pos (which the caller knows has a frame). */
static uint8_t *
ring_at(struct gk_pipe *pp, uint64_t pos)
{
	return pp->k->ram + pp->slot[pos / GK_PAGE] + pos % GK_PAGE;
}

/* gk_pipe_read - bytes read, 0 at EOF, -EAGAIN (O_NONBLOCK) or -GK_EBLOCK (asleep). */
long
gk_pipe_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n)
{
	struct gk_pipe *pp = f->pipe;
	uint64_t cap = capacity(pp);
	size_t done = 0;
	int i;

	if (pp->len == 0) {
		if (pp->writers == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, &pp->rq, 0);
	}
	for (i = 0; i < n && pp->len > 0; i++) {
		size_t want = iov[i].iov_len, got = 0;

		while (got < want && pp->len > 0) {
			/* At most to the end of head's page, of the data, of the iovec. */
			size_t c = GK_PAGE - pp->head % GK_PAGE;

			if (c > pp->len)
				c = pp->len;
			if (c > want - got)
				c = want - got;
			memcpy((uint8_t *)iov[i].iov_base + got, ring_at(pp, pp->head), c);
			pp->head = (pp->head + c) & (cap - 1);
			pp->len -= c;
			got += c;
		}
		done += got;
	}
	if (pp->len == 0)
		gk_pipe_frames_free(pp, 1);
	if (done)
		gk_waitq_wake(&pp->wq, POLLOUT);
	return (long)done;
}

/*
 * Give the ring frames for its bytes [from, from+want) (want <= capacity).
 * Returns how many bytes from from have frames now: short when guest RAM
 * ran out.
 */
static uint64_t
ring_fill(struct gk_pipe *pp, uint64_t from, uint64_t want)
{
	uint64_t cap = capacity(pp), got = 0;

	while (got < want) {
		uint64_t pos = (from + got) & (cap - 1), c = GK_PAGE - pos % GK_PAGE;
		uint64_t *s = &pp->slot[pos / GK_PAGE];

		if (!*s && gk_palloc_run(pp->k->pa, 1, s) < 0) {
			*s = 0;
			break;
		}
		got += c;
	}
	return got < want ? got : want;
}

/*
 * Copy want bytes of iov, from byte skip of it on, into the ring at its
 * tail (the caller gave those ring bytes frames).
 */
static void
ring_put(struct gk_pipe *pp, const struct iovec *iov, int n, size_t skip, size_t want)
{
	uint64_t cap = capacity(pp), tail = (pp->head + pp->len) & (cap - 1);
	size_t done = 0;
	int i;

	for (i = 0; i < n && done < want; i++) {
		size_t len = iov[i].iov_len, put;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		put = skip;
		skip = 0;
		while (put < len && done < want) {
			size_t c = GK_PAGE - tail % GK_PAGE;

			if (c > len - put)
				c = len - put;
			if (c > want - done)
				c = want - done;
			memcpy(ring_at(pp, tail), (const uint8_t *)iov[i].iov_base + put, c);
			tail = (tail + c) & (cap - 1);
			pp->len += c;
			put += c;
			done += c;
		}
	}
}

/* The blocked write sleeps until the ring has room, remembering what it moved. */
static long
write_sleep(struct gk_proc *p, struct gk_pipe *pp, size_t moved)
{
	long r = gk_block(p, &pp->wq, 0);

	if (r == -GK_EBLOCK)
		p->io_done = moved;
	else if (moved)
		r = (long)moved;
	return r;
}

/*
 * gk_pipe_write - bytes written, -EPIPE with no reader left (and SIGPIPE for
 * the writer), -EAGAIN or -GK_EBLOCK, -ENOMEM when guest RAM has no frame
 * for the first byte (or for an atomic write). A blocking write returns
 * only when all of it is written; once some is, the errors above become
 * the count moved (pipe(7)).
 */
long
gk_pipe_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n)
{
	struct gk_pipe *pp = f->pipe;
	uint64_t cap = capacity(pp), room, got;
	size_t total = 0, moved;
	int i;

	/* What earlier runs of this call moved (the restart state), if this is one. */
	moved = p->sys_rerun ? p->io_done : 0;
	p->io_done = 0;
	if (pp->readers == 0) {
		gk_sig_kill(p, SIGPIPE, SI_USER, p->tg->gpid);
		return moved ? (long)moved : -EPIPE;
	}
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	/* The guest may have rewritten its iovec meanwhile: never past its end. */
	if (moved > total)
		moved = total;
	if (total == moved)
		return (long)total;
	room = cap - pp->len;
	if (room == 0 || (total <= PIPE_BUF && room < total)) {
		if (f->flags & O_NONBLOCK)
			return moved ? (long)moved : -EAGAIN;
		return write_sleep(p, pp, moved);
	}
	if (room > total - moved)
		room = total - moved;
	got = ring_fill(pp, (pp->head + pp->len) & (cap - 1), room);
	if (got == 0 || (total <= PIPE_BUF && got < total))
		return moved ? (long)moved : -ENOMEM;
	ring_put(pp, iov, n, moved, got);
	moved += got;
	gk_waitq_wake(&pp->rq, POLLIN);
	/* Out of guest RAM (got < room) ends the write short, as Linux's would. */
	if (moved < total && got == room && !(f->flags & O_NONBLOCK))
		return write_sleep(p, pp, moved);
	return (long)moved;
}

/*
 * gk_pipe_poll - the poll(2) revents of the end f for events; with reg,
 * the poller first goes on the queue of f's end.
 */
short
gk_pipe_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_pipe *pp = f->pipe;
	int acc = f->flags & O_ACCMODE;
	short r = 0;

	if (!pp)
		return POLLNVAL;
	if (reg && acc != O_WRONLY)
		gk_poll_wait(reg, &pp->rq, (short)(events | POLLHUP | POLLERR));
	if (reg && acc != O_RDONLY)
		gk_poll_wait(reg, &pp->wq, (short)(events | POLLHUP | POLLERR));
	if (acc != O_WRONLY) {
		if (pp->len > 0)
			r |= POLLIN | POLLRDNORM;
		if (pp->writers == 0)
			r |= POLLHUP;
	}
	if (acc != O_RDONLY) {
		if (pp->readers == 0)
			r |= POLLERR;
		if (pp->len < capacity(pp))
			r |= POLLOUT | POLLWRNORM;
	}
	return r & (events | POLLHUP | POLLERR | POLLNVAL);
}

/* gk_pipe_nread - FIONREAD: the bytes waiting in f's pipe. */
long
gk_pipe_nread(const struct gk_file *f)
{
	return f->pipe ? (long)f->pipe->len : 0;
}

/* gk_pipe_get_size - F_GETPIPE_SZ: the capacity in bytes; -EBADF if f is no pipe. */
long
gk_pipe_get_size(const struct gk_file *f)
{
	if (f->ops != &gk_pipe_ops)
		return -EBADF;
	return f->pipe ? (long)capacity(f->pipe) : -EBADF;
}

/*
 * gk_pipe_set_size - F_SETPIPE_SZ as fcntl(2) gives it: the capacity
 * becomes the next power-of-two number of pages >= arg (one page at
 * least). Returns the new capacity in bytes, or -EINVAL (above 2^31
 * bytes, as Linux), -EPERM (unprivileged: above pipe-max-size, or growing
 * past a per-user limit), -EBUSY (less than the data held), -ENOMEM,
 * -EBADF (f is no pipe).
 */
long
gk_pipe_set_size(struct gk_file *f, uint64_t arg)
{
	struct gk_pipe *pp = f->pipe;
	struct gk_kernel *k;
	uint64_t size = GK_PAGE, *slot, pos;
	uint32_t nslots, i;

	if (f->ops != &gk_pipe_ops || !pp)
		return -EBADF;
	k = pp->k;
	if (arg > (1ULL << 31))
		return -EINVAL;
	while (size < arg)
		size <<= 1;
	nslots = (uint32_t)(size / GK_PAGE);
	if (nslots == pp->nslots)
		return (long)size;
	if (size > GK_PIPE_MAX_SIZE && !may_exceed_max_size(k))
		return -EPERM;
	if (nslots > pp->nslots && user_limits_bind(k) &&
	    (over_limit(k->pipe_user_pages - pp->nslots + nslots, GK_PIPE_USER_PAGES_HARD) ||
	     over_limit(k->pipe_user_pages - pp->nslots + nslots, GK_PIPE_USER_PAGES_SOFT)))
		return -EPERM;
	if (nslots * GK_PAGE < pp->len)
		return -EBUSY;
	if (nslots > pp->nslots && gk_kmem_charge(k, (nslots - pp->nslots) * sizeof(*slot)) < 0)
		return -ENOMEM;
	slot = calloc(nslots, sizeof(*slot));
	/*
	 * The data moves to the front of the new ring, copied into fresh
	 * frames, and the old frames go: resizing is rare, and this keeps the
	 * ring arithmetic in one place.
	 */
	for (i = 0, pos = 0; slot && pos < pp->len; i++) {
		uint64_t c = pp->len - pos < GK_PAGE ? pp->len - pos : GK_PAGE, done = 0;

		if (gk_palloc_run(k->pa, 1, &slot[i]) < 0) {
			slot[i] = 0;
			while (i > 0)
				gk_page_unref(k->pa, slot[--i]);
			free(slot);
			slot = NULL;
			break;
		}
		while (done < c) {
			uint64_t from = (pp->head + pos + done) & (capacity(pp) - 1);
			uint64_t piece = GK_PAGE - from % GK_PAGE;

			if (piece > c - done)
				piece = c - done;
			memcpy(k->ram + slot[i] + done, ring_at(pp, from), piece);
			done += piece;
		}
		pos += c;
	}
	if (!slot) {
		if (nslots > pp->nslots)
			gk_kmem_uncharge(k, (nslots - pp->nslots) * sizeof(*slot));
		return -ENOMEM;
	}
	if (nslots < pp->nslots)
		gk_kmem_uncharge(k, (pp->nslots - nslots) * sizeof(*slot));
	pos = pp->len;
	gk_pipe_frames_free(pp, 0);
	free(pp->slot);
	pp->slot = slot;
	pp->len = pos;
	pp->head = 0;
	k->pipe_user_pages = k->pipe_user_pages - pp->nslots + nslots;
	pp->nslots = nslots;
	gk_waitq_wake(&pp->rq, 0);
	gk_waitq_wake(&pp->wq, 0);
	return (long)size;
}

/* ---- the ends as open files ---------------------------------------------------------- */

static long
pipe_fread(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)off; /* a stream: the caller refused an offset (GK_FMODE_STREAM) */
	return gk_pipe_read(p, f, iov, n);
}

static long
pipe_fwrite(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)off;
	return gk_pipe_write(p, f, iov, n);
}

/* gk_pipe_poll registers on the queue of f's end. */
static short
pipe_fpoll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	return gk_pipe_poll(f, events, reg);
}

/* FIONREAD: the bytes waiting; no other command. */
static long
pipe_fioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	int avail;

	if (cmd != FIONREAD)
		return -ENOTTY;
	avail = (int)gk_pipe_nread(f);
	return gk_copyout(p, arg, &avail, sizeof(avail));
}

const struct gk_file_ops gk_pipe_ops = {
	.read = pipe_fread,
	.write = pipe_fwrite,
	.poll = pipe_fpoll,
	.ioctl = pipe_fioctl,
	.llseek = gk_file_no_llseek,
	.setfl = gk_file_setfl,
	.stat = gk_file_stat_st,
	.setattr = gk_file_no_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = gk_file_no_mmap,
	.release = gk_pipe_close,
};

