/*
 * synthfile.c - open files whose content was rendered when they were
 * opened: /proc files, and the listings of synthetic directories (/dev,
 * /proc and its process directories).
 *
 * Layer src/guestkernel/fs, under synth.c, which renders (one snapshot per
 * open, as seq_file gives for small files) and hands over the buffer:
 * f->buf holds f->len bytes, charged to the kernel-heap budget while open
 * (f->kmem), and f->st is what fstat says. A directory's buffer is a run
 * of linux_dirent64 records whose d_off is the offset of the next one, so
 * the file position is a byte offset into it. A /proc comm file is the
 * one kind written to: synth_proc.c's write renames its task (f->priv
 * says which).
 *
 * Must not: render anything, or look at guest state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "synth_impl.h"

/* linux_dirent64 records, as getdents64 returns them. */
struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

/* At the position, which advances, or at off (pread), which leaves it. */
static long
synth_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	off_t at = off < 0 ? f->pos : off;
	long r;

	(void)p;
	if ((size_t)at >= f->len)
		return 0;
	r = gk_iov_fill(iov, n, f->buf + at, f->len - (size_t)at);
	if (off < 0)
		f->pos += r;
	return r;
}

static off_t
synth_llseek(struct gk_file *f, off_t off, int whence)
{
	return gk_file_llseek_size(f, off, whence, (off_t)f->len);
}

static int
synth_stat(struct gk_file *f, struct stat *st)
{
	*st = f->st;
	st->st_size = (off_t)f->len;
	return 0;
}

/* A synthetic directory: whole records from the position while they fit. */
static long
synth_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	size_t done = 0;

	while ((size_t)f->pos + done < f->len) {
		const struct dirent64_hdr *d = (const void *)(f->buf + f->pos + done);

		if (done + d->d_reclen > len)
			break;
		done += d->d_reclen;
	}
	if (done == 0 && (size_t)f->pos < f->len)
		return -EINVAL;
	if (done > 0 && gk_copyout(p, gva, f->buf + f->pos, done) < 0)
		return -EFAULT;
	f->pos += (off_t)done;
	return (long)done;
}

static void
synth_release(struct gk_file *f)
{
	if (f->kmem)
		gk_kmem_uncharge(f->k, f->kmem);
	free(f->buf);
	f->buf = NULL;
	free(f->priv);
	f->priv = NULL;
}

const struct gk_file_ops gk_synthfile_ops = {
	.read = synth_read,
	.write = gk_file_no_write,
	.poll = gk_file_poll_ready,
	.ioctl = gk_file_no_ioctl,
	.llseek = synth_llseek,
	.setfl = gk_file_setfl,
	.stat = synth_stat,
	.setattr = gk_file_no_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = gk_file_no_mmap,
	.release = synth_release,
};

const struct gk_file_ops gk_synthdir_ops = {
	.read = gk_file_dir_read,
	.write = gk_file_no_write,
	.poll = gk_file_poll_ready,
	.ioctl = gk_file_no_ioctl,
	.llseek = synth_llseek,
	.setfl = gk_file_setfl,
	.stat = gk_file_stat_st,
	.setattr = gk_file_no_setattr,
	.getdents = synth_getdents,
	.mmap = gk_file_no_mmap,
	.release = synth_release,
};

const struct gk_file_ops gk_synthcomm_ops = {
	.read = synth_read,
	.write = gk_procfs_comm_write,
	.poll = gk_file_poll_ready,
	.ioctl = gk_file_no_ioctl,
	.llseek = synth_llseek,
	.setfl = gk_file_setfl,
	.stat = synth_stat,
	.setattr = gk_file_no_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = gk_file_no_mmap,
	.release = synth_release,
};
