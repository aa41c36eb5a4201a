/*
 * synth_fdinfo.c - /proc/PID/fdinfo/N: what an open descriptor is.
 *
 * Layer src/guestkernel/fs, under synth_proc.c, which looks the name up.
 * The lines every descriptor has, as Linux's seq_show (fs/proc/fd.c):
 *
 *	pos:	<position>
 *	flags:	0<octal open flags, O_CLOEXEC included when the descriptor has it>
 *	mnt_id:	<the mount's number>
 *	ino:	<the inode number fstat gives>
 *
 * then the kind's own lines (the file ops' fdinfo, which ipc/ kinds fill:
 * eventfd-count, timerfd's clockid and times, signalfd's sigmask, pidfd's
 * Pid, inotify's watches, epoll's tfd lines). Mount numbers: the mounts'
 * places in the kernel's table from GK_MNT_ID_BASE; pipes and anonymous
 * files, which are on no mount the guest sees, GK_MNT_ID_PSEUDO.
 *
 * Must not: change the file it describes.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "synth_impl.h"

#define GK_MNT_ID_PSEUDO 15 /* pipefs and anon_inodefs, whose mounts nobody lists */
#define GK_MNT_ID_BASE	 21

/*
 * gk_fdinfo_sdev - dev as the kernel keeps it (MKDEV: major << 20 | minor),
 * the form fdinfo's sdev: fields print.
 */
unsigned
gk_fdinfo_sdev(dev_t dev)
{
	return (unsigned)(major(dev) << 20 | minor(dev));
}

void
gk_procfs_fdinfo(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	struct gk_file *f = nd->info;
	struct stat st;
	int mnt_id = GK_MNT_ID_PSEUDO;
	int flags = f->flags;
	off_t pos;

	if (f->mnt)
		mnt_id = GK_MNT_ID_BASE + (int)(f->mnt - p->k->mounts);
	if (gk_file_stat(f, &st) < 0)
		st.st_ino = 0;
	/* A host file's position is its host descriptor's: ask the kind (SEEK_CUR 0 moves nothing). */
	pos = f->ops->llseek(f, 0, SEEK_CUR);
	if (pos < 0)
		pos = f->pos;
	if (nd->info_cloexec)
		flags |= O_CLOEXEC;
	gk_sb_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", (long long)pos,
		     (unsigned)flags, mnt_id, (unsigned long long)st.st_ino);
	if (f->ops->fdinfo)
		f->ops->fdinfo(f, b);
}
