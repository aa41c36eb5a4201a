/*
 * fifo.c - FIFOs: a tmpfs node's pipe, its ends opened by name (fifo(7)).
 *
 * Layer src/guestkernel/fs, under tmpfs.c; the pipe itself is pipe.c's.
 * Must not: decode syscall arguments or touch guest memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "fs.h"
#include "pipe_impl.h"


/* gk_pipe_fifo_free - the FIFO node pp hangs on is being freed (no end is open). */
void
gk_pipe_fifo_free(struct gk_pipe *pp)
{
	if (pp)
		gk_pipe_free(pp);
}

/*
 * gk_pipe_fifo_drop - the last end of the FIFO pp went: what it held goes,
 * as Linux frees the pipe then (a blocked open counts as an end).
 */
void
gk_pipe_fifo_drop(struct gk_pipe *pp)
{
	gk_pipe_frames_free(pp, 0);
	pp->len = 0;
}

/* Count, or with -1 uncount, an end of kind acc; a new one wakes the other side's openers. */
static void
fifo_count(struct gk_pipe *pp, int acc, int d)
{
	if (acc != O_WRONLY) {
		pp->readers += d;
		if (d > 0) {
			pp->rcount++;
			gk_waitq_wake(&pp->wopen, 0);
		} else if (pp->readers == 0) {
			gk_waitq_wake(&pp->wq, POLLERR);
		}
	}
	if (acc != O_RDONLY) {
		pp->writers += d;
		if (d > 0) {
			pp->wcount++;
			gk_waitq_wake(&pp->ropen, 0);
		} else if (pp->writers == 0) {
			gk_waitq_wake(&pp->rq, POLLHUP);
		}
	}
	if (d < 0 && pp->readers == 0 && pp->writers == 0)
		gk_pipe_fifo_drop(pp);
}

/* A blocked FIFO open that will not run again gives back its end's count and node. */
static void
fifo_undo(struct gk_proc *p)
{
	fifo_count(p->undo_obj, p->undo_flags, -1);
	gk_tnode_release(p->k, p->undo_node);
}

/*
 * gk_pipe_fifo_open - open an end of the FIFO node n, whose pipe is *slot
 * (made on the first open), with open(2) flags, as fifo(7) says: O_RDWR and
 * O_RDONLY|O_NONBLOCK at once, O_WRONLY|O_NONBLOCK -ENXIO with no reader,
 * a blocking open only once the other side has opened.
 *
 * As on Linux, a blocked open counts its end already (a writer that comes
 * then sees a reader) and waits for an open of the other side since it
 * first ran, even one that has closed again (its bytes stay readable).
 * The count and a hold on the node are the task's claim (p->sys_undo)
 * across the restart: the re-run takes them over into the file, and
 * gk_sys_undo gives them back if the call ends otherwise. So the pipe
 * outlives its ends and goes with the node; its data goes with the last
 * end (gk_pipe_fifo_drop), as Linux frees the pipe then.
 */
int
gk_pipe_fifo_open(struct gk_proc *p, struct gk_pipe **slot, struct gk_tnode *n, int flags,
		  const char *name, const struct stat *st, struct gk_file **ret)
{
	struct gk_pipe *pp = *slot;
	int acc = flags & O_ACCMODE, rd = acc == O_RDONLY;
	struct gk_file *f;
	uint64_t seen;

	if (acc != O_RDONLY && acc != O_WRONLY && acc != O_RDWR)
		return -EINVAL;
	if (p->sys_undo == fifo_undo && (p->undo_obj != pp || p->undo_flags != acc))
		gk_sys_undo(p); /* a claim on another FIFO (the name now leads elsewhere) */
	if (p->sys_undo == fifo_undo) {
		seen = p->io_done; /* the other side's opens when this call first ran */
	} else {
		if (!pp) {
			pp = gk_pipe_alloc(p->k);
			if (!pp)
				return -ENFILE;
			pp->fifo = 1;
			*slot = pp;
		}
		if (acc == O_WRONLY && (flags & O_NONBLOCK) && pp->readers == 0)
			return -ENXIO;
		seen = rd ? pp->wcount : pp->rcount;
		fifo_count(pp, acc, 1);
		gk_tnode_hold(n);
		p->sys_undo = fifo_undo;
		p->undo_obj = pp;
		p->undo_node = n;
		p->undo_flags = acc;
	}
	if (acc != O_RDWR && !(flags & O_NONBLOCK) && (rd ? pp->writers : pp->readers) == 0 &&
	    seen == (rd ? pp->wcount : pp->rcount)) {
		long r = gk_block(p, rd ? &pp->ropen : &pp->wopen, 0);

		p->io_done = (size_t)seen;
		return (int)r; /* asleep, or -EINTR &c.: gk_syscall undoes the claim then */
	}
	f = gk_file_new(p->k, &gk_pipe_ops, -1, gk_file_open_flags(flags), name);
	if (!f)
		return -ENOMEM; /* the claim goes back with the call's end */
	p->sys_undo = NULL; /* the file takes over the count and the hold */
	p->undo_obj = p->undo_node = NULL;
	f->fmode = GK_FMODE_STREAM;
	f->pipe = pp;
	f->st = *st;
	f->tnode = n;
	*ret = f;
	return 0;
}
