/*
 * pipe_impl.h - the pipe object, shared by pipe.c and fifo.c only.
 *
 * Layer src/guestkernel/fs: not for other folders (they see fs.h).
 */
#ifndef GK_FS_PIPE_IMPL_H
#define GK_FS_PIPE_IMPL_H

struct gk_pipe {
	struct gk_kernel *k;
	int readers, writers; /* open files of each end */
	uint64_t head, len;   /* ring: len bytes from byte head of the slots */
	uint32_t nslots;      /* capacity in pages, a power of two */
	uint64_t *slot;	      /* gpa of each page of the ring, 0 until written */
	uint64_t ino;
	struct gk_waitq rq; /* readers and read-end pollers: data came, or the last writer left */
	struct gk_waitq wq; /* writers and write-end pollers: room came, or the last reader left */
	/* A FIFO's (fifo.c): it outlives its ends and goes with its tmpfs node. */
	int fifo;
	uint64_t rcount, wcount; /* ends of each kind ever opened */
	struct gk_waitq ropen, wopen; /* blocking opens waiting for the other side */
};

struct gk_pipe *gk_pipe_alloc(struct gk_kernel *k);
void gk_pipe_free(struct gk_pipe *pp);
void gk_pipe_frames_free(struct gk_pipe *pp, int keep_first);
void gk_pipe_fifo_drop(struct gk_pipe *pp);

#endif
