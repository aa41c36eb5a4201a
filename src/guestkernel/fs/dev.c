/*
 * dev.c - the memory devices of /dev: null, zero, full, random and urandom.
 *
 * Layer src/guestkernel/fs. Each is answered here, without a host file
 * (random asks the host's getrandom): null reads as end of file and
 * swallows writes, zero and full read as zeros, full refuses writes with
 * ENOSPC, random reads as random bytes and takes writes (as mixing them
 * in the pool would). They have no position that matters: lseek works on
 * a size of 0. A private or shared mapping of /dev/zero is anonymous
 * memory. synth.c makes the files (their stat), this says what they do.
 *
 * Must not: keep state; every open of a device is like any other.
 */
#include <errno.h>
#include <sys/random.h>
#include <unistd.h>

#include "fs.h"

static long
null_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)iov, (void)n, (void)off;
	return 0;
}

/* Writes to null, zero and random are taken whole. */
static long
sink_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)off;
	return (long)gk_iov_total(iov, n);
}

static long
zero_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)off;
	return gk_iov_fill(iov, n, NULL, gk_iov_total(iov, n));
}

static long
full_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)iov, (void)n, (void)off;
	return -ENOSPC;
}

static long
random_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	size_t total = gk_iov_total(iov, n);
	int i;

	(void)p, (void)f, (void)off;
	for (i = 0; i < n; i++)
		if (getrandom(iov[i].iov_base, iov[i].iov_len, 0) < 0)
			return -errno;
	return (long)total;
}

static off_t
dev_llseek(struct gk_file *f, off_t off, int whence)
{
	return gk_file_llseek_size(f, off, whence, 0);
}

/* mmap of /dev/zero: anonymous memory, private or shared. */
static int
zero_mmap(struct gk_file *f, struct gk_mapfile **ret)
{
	(void)f;
	*ret = NULL;
	return 0;
}

#define DEV_OPS(rd, wr, mm)                                                                        \
	{                                                                                          \
		.read = rd, .write = wr, .poll = gk_file_poll_ready, .ioctl = gk_file_no_ioctl,    \
		.llseek = dev_llseek, .setfl = gk_file_setfl, .stat = gk_file_stat_st,             \
		.setattr = gk_file_no_setattr, .getdents = gk_file_no_getdents, .mmap = mm,        \
		.release = gk_file_no_release,                                                     \
	}

const struct gk_file_ops gk_dev_null_ops = DEV_OPS(null_read, sink_write, gk_file_no_mmap);
const struct gk_file_ops gk_dev_zero_ops = DEV_OPS(zero_read, sink_write, zero_mmap);
const struct gk_file_ops gk_dev_full_ops = DEV_OPS(zero_read, full_write, gk_file_no_mmap);
const struct gk_file_ops gk_dev_random_ops = DEV_OPS(random_read, sink_write, gk_file_no_mmap);
