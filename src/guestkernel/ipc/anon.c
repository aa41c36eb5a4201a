/*
 * anon.c - files with no name, Linux's anonymous inodes: what eventfd,
 * timerfd and signalfd share when they make their file.
 *
 * Layer src/guestkernel/ipc.
 */
#include <fcntl.h>

#include "ipc.h"

/*
 * gk_anon_file_new - a file of kind ops holding priv (which the kind's
 * release frees), open O_RDWR plus flags' O_NONBLOCK, named name in
 * /proc/PID/fd ("anon_inode:[eventfd]"). NULL on ENOMEM: priv is still the
 * caller's then.
 */
struct gk_file *
gk_anon_file_new(struct gk_kernel *k, const struct gk_file_ops *ops, void *priv, int flags,
		 const char *name)
{
	struct gk_file *f = gk_file_new(k, ops, -1, O_RDWR | (flags & O_NONBLOCK), name);

	if (!f)
		return NULL;
	f->priv = priv;
	/* No position: pread and pwrite are -ESPIPE, as on an anonymous inode of Linux. */
	f->fmode = GK_FMODE_STREAM;
	/* Mode 0600 and no file type, as Linux's fstat says of an anonymous inode. */
	f->st.st_mode = S_IRUSR | S_IWUSR;
	f->st.st_nlink = 1;
	f->st.st_uid = k->uid;
	f->st.st_gid = k->gid;
	f->st.st_blksize = 4096;
	return f;
}
