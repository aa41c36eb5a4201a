/*
 * tests/unit/fs/test_fops.c - open files through their operations tables
 * (fs/fs.h struct gk_file_ops), without a guest process: the defaults
 * give the errno Linux's man pages give for an unsupported operation
 * (read(2) EINVAL/EISDIR, ioctl(2) ENOTTY, lseek(2) ESPIPE/EINVAL/ENXIO,
 * getdents ENOTDIR, mmap(2) ENODEV); gk_file_readv/writev refuse the wrong
 * access mode, O_PATH and an offset on a stream before any kind is asked;
 * /dev/null, zero, full, random behave as null(4), zero(4), full(4),
 * random(4) say; a host file reads, writes, seeks (SEEK_DATA included),
 * stats and changes attributes as its mount allows; the last reference
 * closes the host descriptor.
 *
 * Suite unit. Links the guest kernel library; the files are made with
 * gk_file_new against a zeroed struct gk_kernel (none of these operations
 * looks at it) and driven with host buffers as iovecs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guestkernel/fs/fs.h"

static struct gk_kernel kernel;

static struct gk_file *
file_new(const struct gk_file_ops *ops, int hfd, int flags)
{
	struct gk_file *f = gk_file_new(&kernel, ops, hfd, flags, "/test");

	assert_non_null(f);
	return f;
}

static long
rd(struct gk_file *f, void *buf, size_t len, off_t off)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	return gk_file_readv(NULL, f, &iov, 1, off);
}

static long
wr(struct gk_file *f, const void *buf, size_t len, off_t off)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return gk_file_writev(NULL, f, &iov, 1, off);
}

static void
test_defaults(void **state)
{
	struct gk_file *f = file_new(&gk_dev_null_ops, -1, O_RDWR);
	struct gk_mapfile *mf = (void *)&mf;
	char buf[4];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};

	(void)state;
	assert_int_equal(gk_file_no_read(NULL, f, &iov, 1, -1), -EINVAL);
	assert_int_equal(gk_file_no_write(NULL, f, &iov, 1, -1), -EINVAL);
	assert_int_equal(gk_file_dir_read(NULL, f, &iov, 1, -1), -EISDIR);
	assert_int_equal(gk_file_no_ioctl(NULL, f, 0x5401 /* TCGETS */, 0), -ENOTTY);
	assert_int_equal(gk_file_no_llseek(f, 0, SEEK_SET), -ESPIPE);
	assert_int_equal(gk_file_no_getdents(NULL, f, 0x1000, 4096), -ENOTDIR);
	assert_int_equal(gk_file_no_mmap(f, &mf), -ENODEV);
	assert_ptr_equal(mf, (void *)&mf); /* untouched on failure */
	assert_int_equal(gk_file_no_setattr(f, &(struct gk_iattr){.what = GK_SET_SIZE}), -EINVAL);
	assert_int_equal(gk_file_no_setattr(f, &(struct gk_iattr){.what = GK_SET_MODE}), -EROFS);
	assert_int_equal(gk_file_no_setattr(f, &(struct gk_iattr){.what = GK_SET_OWNER}), -EROFS);
	assert_int_equal(gk_file_no_setattr(f, &(struct gk_iattr){.what = GK_SET_TIMES}), -EROFS);
	/* Always ready, and only for what was asked (POLLPRI is never "ready"). */
	assert_int_equal(gk_file_poll_ready(f, POLLIN | POLLPRI, NULL), POLLIN);
	assert_int_equal(gk_file_poll_ready(f, POLLOUT | POLLWRNORM, NULL), POLLOUT | POLLWRNORM);
	assert_int_equal(gk_file_poll_ready(f, 0, NULL), 0);
	gk_file_unref(f);
}

static void
test_llseek_size(void **state)
{
	struct gk_file *f = file_new(&gk_synthfile_ops, -1, O_RDONLY);

	(void)state;
	assert_int_equal(gk_file_llseek_size(f, 10, SEEK_SET, 100), 10);
	assert_int_equal(gk_file_llseek_size(f, 5, SEEK_CUR, 100), 15);
	assert_int_equal(gk_file_llseek_size(f, -20, SEEK_END, 100), 80);
	assert_int_equal(f->pos, 80);
	/* A negative result and an unknown whence are EINVAL and leave the position. */
	assert_int_equal(gk_file_llseek_size(f, -81, SEEK_CUR, 100), -EINVAL);
	assert_int_equal(gk_file_llseek_size(f, -1, SEEK_SET, 100), -EINVAL);
	assert_int_equal(gk_file_llseek_size(f, 0, SEEK_DATA, 100), -EINVAL);
	assert_int_equal(gk_file_llseek_size(f, 0, 77, 100), -EINVAL);
	assert_int_equal(f->pos, 80);
	/* Past the end is allowed (lseek(2)). */
	assert_int_equal(gk_file_llseek_size(f, 1000, SEEK_SET, 100), 1000);
	gk_file_unref(f);
}

/* Checks made before the kind is asked: EBADF (access mode, O_PATH), ESPIPE (a stream). */
static void
test_generic_checks(void **state)
{
	struct gk_file *ro = file_new(&gk_dev_null_ops, -1, O_RDONLY);
	struct gk_file *wo = file_new(&gk_dev_zero_ops, -1, O_WRONLY);
	struct gk_file *path = file_new(&gk_dev_zero_ops, -1, O_PATH);
	struct gk_file *stream = file_new(&gk_dev_zero_ops, -1, O_RDWR);
	char buf[8];

	(void)state;
	stream->fmode = GK_FMODE_STREAM;
	assert_int_equal(wr(ro, "x", 1, -1), -EBADF);
	assert_int_equal(rd(wo, buf, sizeof(buf), -1), -EBADF);
	assert_int_equal(rd(path, buf, sizeof(buf), -1), -EBADF);
	assert_int_equal(wr(path, "x", 1, -1), -EBADF);
	assert_int_equal(rd(stream, buf, sizeof(buf), 0), -ESPIPE);
	assert_int_equal(wr(stream, "x", 1, 0), -ESPIPE);
	assert_int_equal(rd(stream, buf, sizeof(buf), -1), sizeof(buf));
	gk_file_unref(ro);
	gk_file_unref(wo);
	gk_file_unref(path);
	gk_file_unref(stream);
}

static void
test_open_flags(void **state)
{
	(void)state;
	assert_int_equal(gk_file_open_flags(O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC),
			 O_RDWR | GK_O_LARGEFILE);
	assert_int_equal(gk_file_open_flags(O_WRONLY | O_APPEND | O_NONBLOCK),
			 O_WRONLY | O_APPEND | O_NONBLOCK | GK_O_LARGEFILE);
	assert_int_equal(gk_file_open_flags(O_PATH | O_DIRECTORY | O_CLOEXEC), O_PATH | O_DIRECTORY);
}

static void
test_dev(void **state)
{
	struct gk_file *null = file_new(&gk_dev_null_ops, -1, O_RDWR);
	struct gk_file *zero = file_new(&gk_dev_zero_ops, -1, O_RDWR);
	struct gk_file *full = file_new(&gk_dev_full_ops, -1, O_RDWR);
	struct gk_file *rnd = file_new(&gk_dev_random_ops, -1, O_RDWR);
	struct gk_mapfile *mf = (void *)&mf;
	unsigned char buf[256], a[64], b[64];
	size_t i;

	(void)state;
	/* null(4): reads are end of file, writes succeed whole. */
	assert_int_equal(rd(null, buf, sizeof(buf), -1), 0);
	assert_int_equal(wr(null, buf, sizeof(buf), -1), sizeof(buf));
	/* zero(4): zeros, as many as asked, at any offset. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(rd(zero, buf, sizeof(buf), -1), sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(wr(zero, buf, 10, -1), 10);
	/* full(4): reads as zero, writes fail with ENOSPC. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(rd(full, buf, 3, -1), 3);
	assert_int_equal(buf[0] | buf[1] | buf[2], 0);
	assert_int_equal(buf[3], 0xaa);
	assert_int_equal(wr(full, "x", 1, -1), -ENOSPC);
	/* random(4): the bytes asked for, two reads not the same. */
	assert_int_equal(rd(rnd, a, sizeof(a), -1), sizeof(a));
	assert_int_equal(rd(rnd, b, sizeof(b), -1), sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(wr(rnd, a, sizeof(a), -1), sizeof(a));
	/* Only /dev/zero maps, as anonymous memory. */
	assert_int_equal(zero->ops->mmap(zero, &mf), 0);
	assert_null(mf);
	mf = (void *)&mf;
	assert_int_equal(null->ops->mmap(null, &mf), -ENODEV);
	assert_int_equal(rnd->ops->mmap(rnd, &mf), -ENODEV);
	/* No terminal, no directory, a position that goes nowhere. */
	assert_int_equal(gk_file_ioctl(NULL, null, 0x541B /* FIONREAD */, 0), -ENOTTY);
	assert_int_equal(gk_file_getdents(NULL, zero, 0x1000, 4096), -ENOTDIR);
	assert_int_equal(null->ops->llseek(null, 0, SEEK_END), 0);
	assert_int_equal(null->ops->llseek(null, -1, SEEK_CUR), -EINVAL);
	assert_int_equal(full->ops->poll(full, POLLIN | POLLOUT, NULL), POLLIN | POLLOUT);
	assert_int_equal(null->ops->setattr(null, &(struct gk_iattr){.what = GK_SET_SIZE}), -EINVAL);
	gk_file_unref(null);
	gk_file_unref(zero);
	gk_file_unref(full);
	gk_file_unref(rnd);
}

/* A host file in a fresh host directory; *ret_dir is the directory's descriptor. */
static int
host_tmpfile(char *dir, size_t size)
{
	char path[128];
	int fd;

	snprintf(dir, size, "/tmp/uvk-fops-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	return fd;
}

static void
test_hostfile(void **state)
{
	struct gk_mount mnt = {.gpath = "/", .glen = 1, .kind = GK_MNT_HOST, .hfd = -1};
	char dir[64], path[128], buf[16];
	int fd, dfd;
	struct gk_file *f, *d;
	struct stat st;

	(void)state;
	fd = host_tmpfile(dir, sizeof(dir));
	f = file_new(&gk_hostfile_ops, fd, O_RDWR | GK_O_LARGEFILE);
	f->mnt = &mnt;
	assert_int_equal(wr(f, "hello", 5, -1), 5);
	assert_int_equal(f->ops->llseek(f, 0, SEEK_CUR), 5);
	/* pread at an offset leaves the position. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(rd(f, buf, sizeof(buf), 1), 4);
	assert_string_equal(buf, "ello");
	assert_int_equal(f->ops->llseek(f, 0, SEEK_CUR), 5);
	assert_int_equal(rd(f, buf, sizeof(buf), -1), 0);
	/* The host's seeking, SEEK_DATA included: no data at or past the end is ENXIO (lseek(2)). */
	assert_int_equal(f->ops->llseek(f, 0, SEEK_DATA), 0);
	assert_int_equal(f->ops->llseek(f, 5, SEEK_DATA), -ENXIO);
	assert_int_equal(f->ops->llseek(f, -1, SEEK_SET), -EINVAL);
	assert_int_equal(f->ops->llseek(f, 0, SEEK_END), 5);
	/* ftruncate goes to the host; the others need a writable mount. */
	assert_int_equal(f->ops->setattr(f, &(struct gk_iattr){.what = GK_SET_SIZE, .size = 2}), 0);
	assert_int_equal(gk_file_stat(f, &st), 0);
	assert_int_equal(st.st_size, 2);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(f->ops->setattr(f, &(struct gk_iattr){.what = GK_SET_MODE, .mode = 0600}),
			 -EROFS);
	mnt.writable = 1;
	assert_int_equal(f->ops->setattr(f, &(struct gk_iattr){.what = GK_SET_MODE, .mode = 0600}),
			 0);
	assert_int_equal(gk_file_stat(f, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(f->ops->setattr(f, &(struct gk_iattr){.what = GK_SET_TIMES}), 0);
	/* A regular file lists nothing and is always ready. */
	assert_int_equal(gk_file_getdents(NULL, f, 0x1000, 4096), -ENOTDIR);
	assert_int_equal(f->ops->poll(f, POLLIN | POLLOUT, NULL), POLLIN | POLLOUT);
	/* The last reference closes the host descriptor. */
	gk_file_unref(f);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	d = file_new(&gk_hostdir_ops, dfd, O_RDONLY | O_DIRECTORY);
	d->isdir = 1;
	assert_int_equal(rd(d, buf, sizeof(buf), -1), -EISDIR);
	assert_int_equal(gk_file_stat(d, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	{
		struct gk_mapfile *mf = NULL;

		assert_int_equal(d->ops->mmap(d, &mf), -ENODEV);
	}
	gk_file_unref(d);
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Every kind fills every member: callers call through the table without a NULL check. */
static void
test_tables_complete(void **state)
{
	static const struct gk_file_ops *const tables[] = {
	    &gk_hostfile_ops,	&gk_hostdir_ops,     &gk_dev_null_ops,	  &gk_dev_zero_ops,
	    &gk_dev_full_ops,	&gk_dev_random_ops,  &gk_synthfile_ops,	  &gk_synthdir_ops,
	    &gk_tmpfs_file_ops, &gk_tmpfs_dir_ops,   &gk_pipe_ops,	  &gk_console_ops,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct gk_file_ops *o = tables[i];

		assert_true(o->read && o->write && o->poll && o->ioctl && o->llseek && o->setfl &&
			    o->stat && o->setattr && o->getdents && o->mmap && o->release);
	}
	/* Directories are listed and not read; the others the other way round. */
	assert_ptr_equal(gk_hostdir_ops.read, gk_file_dir_read);
	assert_ptr_equal(gk_synthdir_ops.read, gk_file_dir_read);
	assert_ptr_equal(gk_tmpfs_dir_ops.read, gk_file_dir_read);
	assert_ptr_equal(gk_hostfile_ops.getdents, gk_file_no_getdents);
	assert_ptr_equal(gk_synthfile_ops.getdents, gk_file_no_getdents);
	assert_ptr_equal(gk_tmpfs_file_ops.getdents, gk_file_no_getdents);
	assert_ptr_equal(gk_pipe_ops.llseek, gk_file_no_llseek);
}

/* The pipe-only fcntl commands refuse any other file, as Linux's get_pipe_info. */
static void
test_pipe_size_other(void **state)
{
	struct gk_file *f = file_new(&gk_dev_null_ops, -1, O_RDWR);

	(void)state;
	assert_int_equal(gk_pipe_get_size(f), -EBADF);
	assert_int_equal(gk_pipe_set_size(f, 4096), -EBADF);
	gk_file_unref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	   cmocka_unit_test(test_llseek_size),
	    cmocka_unit_test(test_generic_checks), cmocka_unit_test(test_open_flags),
	    cmocka_unit_test(test_dev),		   cmocka_unit_test(test_hostfile),
	    cmocka_unit_test(test_pipe_size_other), cmocka_unit_test(test_tables_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
