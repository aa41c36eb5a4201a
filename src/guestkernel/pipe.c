/*
 * pipe.c - pipes: a 64 KiB ring in the tracer between two open files.
 *
 * Layer src/guestkernel, the mechanism under sys_task.c and file.c. Each
 * end is a gk_file of type GK_F_PIPE (O_RDONLY or O_WRONLY); the pipe
 * counts the open files of each end, not the descriptors, since dup and
 * fork share a file. A read of an empty pipe with writers, and a write to a
 * full one with readers, sleep on the pipe (gk_block); every change wakes
 * it. A write of at most PIPE_BUF bytes is atomic: it waits for room for
 * all of it. A longer write takes what fits and returns the count (a short
 * write, which libc and busybox loop over).
 *
 * Must not: decode syscall arguments or touch guest memory (the iovecs
 * point into pmem already).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gk.h"

struct gk_pipe {
	struct gk_kernel *k;
	int readers, writers; /* open files of each end */
	uint32_t head, len;   /* ring: len bytes from head */
	uint64_t ino;
	uint8_t buf[GK_PIPE_SIZE];
};

static struct gk_file *
end_new(struct gk_pipe *pp, int flags)
{
	char name[48];
	struct gk_file *f;

	snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)pp->ino);
	f = gk_file_new(GK_F_PIPE, -1, flags, name);
	if (!f)
		return NULL;
	f->pipe = pp;
	f->st.st_mode = S_IFIFO | 0600;
	f->st.st_nlink = 1;
	f->st.st_uid = pp->k->uid;
	f->st.st_gid = pp->k->gid;
	f->st.st_ino = pp->ino;
	f->st.st_blksize = GK_PAGE;
	return f;
}

/*
 * gk_pipe_new - a pipe and its two ends, one reference each. Returns 0 or
 * -ENFILE (the tracer is out of memory).
 */
int
gk_pipe_new(struct gk_kernel *k, struct gk_file **ret_r, struct gk_file **ret_w)
{
	static uint64_t next_ino = 0x10000;
	struct gk_pipe *pp = malloc(sizeof(*pp));
	struct gk_file *r, *w;

	if (!pp)
		return -ENFILE;
	pp->k = k;
	pp->readers = pp->writers = 1;
	pp->head = pp->len = 0;
	pp->ino = next_ino++;
	r = end_new(pp, O_RDONLY);
	w = end_new(pp, O_WRONLY);
	if (!r || !w) {
		if (r)
			r->pipe = NULL;
		if (w)
			w->pipe = NULL;
		gk_file_unref(r);
		gk_file_unref(w);
		free(pp);
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
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		pp->readers--;
	else
		pp->writers--;
	gk_wake(pp->k, pp);
	if (pp->readers == 0 && pp->writers == 0)
		free(pp);
}

/* gk_pipe_read - bytes read, 0 at EOF, -EAGAIN (O_NONBLOCK) or -GK_EBLOCK (asleep). */
long
gk_pipe_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n)
{
	struct gk_pipe *pp = f->pipe;
	size_t done = 0;
	int i;

	if (pp->len == 0) {
		if (pp->writers == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, pp);
	}
	for (i = 0; i < n && pp->len > 0; i++) {
		size_t want = iov[i].iov_len, got = 0;

		while (got < want && pp->len > 0) {
			size_t c = GK_PIPE_SIZE - pp->head;

			if (c > pp->len)
				c = pp->len;
			if (c > want - got)
				c = want - got;
			memcpy((uint8_t *)iov[i].iov_base + got, pp->buf + pp->head, c);
			pp->head = (pp->head + (uint32_t)c) % GK_PIPE_SIZE;
			pp->len -= (uint32_t)c;
			got += c;
		}
		done += got;
	}
	if (pp->len == 0)
		pp->head = 0;
	gk_wake(pp->k, pp);
	return (long)done;
}

/*
 * gk_pipe_write - bytes written, -EPIPE with no reader left (and SIGPIPE for
 * the writer), -EAGAIN or -GK_EBLOCK.
 */
long
gk_pipe_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n)
{
	struct gk_pipe *pp = f->pipe;
	size_t total = 0, done = 0, room;
	int i;

	if (pp->readers == 0) {
		gk_sig_kill(p, SIGPIPE, SI_USER, p->gpid);
		return -EPIPE;
	}
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total == 0)
		return 0;
	room = GK_PIPE_SIZE - pp->len;
	if (room == 0 || (total <= PIPE_BUF && room < total)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		return gk_block(p, pp);
	}
	for (i = 0; i < n && done < room; i++) {
		size_t want = iov[i].iov_len, put = 0;

		while (put < want && done + put < room) {
			uint32_t tail = (pp->head + pp->len) % GK_PIPE_SIZE;
			size_t c = GK_PIPE_SIZE - tail;

			if (c > want - put)
				c = want - put;
			if (c > room - done - put)
				c = room - done - put;
			memcpy(pp->buf + tail, (const uint8_t *)iov[i].iov_base + put, c);
			pp->len += (uint32_t)c;
			put += c;
		}
		done += put;
	}
	gk_wake(pp->k, pp);
	return (long)done;
}

/* gk_pipe_poll - the poll(2) revents of the end f for events. */
short
gk_pipe_poll(struct gk_file *f, short events)
{
	struct gk_pipe *pp = f->pipe;
	short r = 0;

	if (!pp)
		return POLLNVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY) {
		if (pp->len > 0)
			r |= POLLIN | POLLRDNORM;
		if (pp->writers == 0)
			r |= POLLHUP;
	} else {
		if (pp->readers == 0)
			r |= POLLERR;
		if (pp->len < GK_PIPE_SIZE)
			r |= POLLOUT | POLLWRNORM;
	}
	return r & (events | POLLHUP | POLLERR | POLLNVAL);
}
