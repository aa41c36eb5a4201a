/*
 * lock_impl.h - what lock.c (inode contexts, records, flock, the close
 * hooks, /proc/locks) and lock_posix.c (fcntl's record locks) share.
 *
 * Layer src/guestkernel/fs, private to those two files.
 */
#ifndef UVK_GUESTKERNEL_FS_LOCK_IMPL_H
#define UVK_GUESTKERNEL_FS_LOCK_IMPL_H

#include <fcntl.h>

#include "fs.h"

#define GK_OFF_MAX INT64_MAX /* Linux's OFFSET_MAX: a lock "to EOF" ends here */

enum { GK_LK_POSIX = 1, GK_LK_OFD, GK_LK_FLOCK };

/* One lock: a range of an inode held by one owner. */
struct gk_flock {
	struct gk_flock *next;
	struct gk_fdtable *fdt; /* a traditional lock's owner: the process's descriptor table */
	struct gk_file *file;	/* an OFD or flock lock's owner: the open file (fdt NULL) */
	int64_t start, end;	/* bytes [start, end]; end GK_OFF_MAX: to the end of any file */
	short type;		/* F_RDLCK or F_WRLCK */
	int pid;		/* the process that took it */
};

/* The locks of one inode. */
struct gk_flctx {
	struct gk_flctx *next; /* on its chain of k->lock_hash */
	int cls;	       /* GK_LKEY_GUEST or GK_LKEY_HOST: whose dev and ino */
	uint64_t dev, ino;
	/* Traditional and OFD locks: each owner's run together, sorted by start, owners by age. */
	struct gk_flock *posix;
	struct gk_flock *flocks; /* flock locks, oldest first */
	struct gk_waitq wq;	 /* blocked F_SETLKW, F_OFD_SETLKW and flock calls */
};

/* Who owns l: its descriptor table or its open file, compared as such. */
static inline const void *
gk_lk_owner(const struct gk_flock *l)
{
	return l->fdt ? (const void *)l->fdt : (const void *)l->file;
}


static inline int
gk_lk_readable(const struct gk_file *f)
{
	return (f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

static inline int
gk_lk_writable(const struct gk_file *f)
{
	return (f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

int gk_lk_ctx_get(struct gk_file *f, int create, struct gk_flctx **ret);
void gk_lk_ctx_done(struct gk_kernel *k, struct gk_flctx *c, int changed);
struct gk_flock *gk_lk_new(struct gk_kernel *k, const struct gk_flock *tmpl);
void gk_lk_free(struct gk_kernel *k, struct gk_flock *l);
long gk_lk_wait(struct gk_proc *p, struct gk_flctx *c, const struct gk_flock *req, int kind,
		const struct gk_flock *bl);

#endif
