/*
 * sys_file.c - syscalls on descriptors: open, read, write, seek, dup, fcntl, ioctl...
 *
 * Layer src/guestkernel/sys. Mostly argument checking, since we do not trust
 * guest code: descriptors are looked up, guest buffers are turned into host
 * iovecs over pmem (uaccess.c), and the work is done by file.c and vfs.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

#define NIOV 64

static long
do_read(struct gk_proc *p, int fd, uint64_t buf, size_t len, off_t off)
{
	struct gk_file *f = gk_fd_get_io(p, fd);
	struct iovec iov[NIOV];
	size_t n;
	int cnt;

	if (!f)
		return -EBADF;
	if (f->isdir)
		return -EISDIR;
	if (len == 0 && !(f->fmode & GK_FMODE_ZERO_IO))
		return 0;
	cnt = gk_user_iov(p, buf, len, UVK_ACCESS_WRITE, iov, NIOV, &n);
	if (cnt < 0)
		return cnt;
	return gk_file_readv(p, f, iov, cnt, off);
}

/*
 * Describe the guest segments seg[0..nseg) (gva, len pairs) of a transfer
 * as host iovecs, stopping at the first that is not wholly accessible
 * (access: UVK_ACCESS_READ for a write, UVK_ACCESS_WRITE for a read): into iov
 * (max entries), or, when that is too small for a fragmented buffer, into
 * one of IOV_MAX entries (*ret_heap, the caller frees it), so that a
 * blocking pipe write sees all of its bytes at once and runs again whole
 * (pipe.c). Returns the iovec count, or -EFAULT if not even the first byte
 * is readable, -ENOMEM.
 */
static int
user_iovs(struct gk_proc *p, const uint64_t (*seg)[2], unsigned long nseg, int access,
	  struct iovec *iov, int max, struct iovec **ret_heap)
{
	size_t total = 0, n, len;
	unsigned long i;
	int cnt = 0, r;

	*ret_heap = NULL;
	for (i = 0; i < nseg && total < GK_IO_MAX; i++) {
		len = seg[i][1] < GK_IO_MAX - total ? seg[i][1] : GK_IO_MAX - total;
		if (len == 0)
			continue;
		r = gk_user_iov(p, seg[i][0], len, access, iov + cnt, max - cnt, &n);
		if (r < 0)
			return cnt ? cnt : r;
		cnt += r;
		total += n;
		if (n == len)
			continue;
		if (cnt < max || max == IOV_MAX)
			break; /* a page it cannot read: a short write */
		/* Out of entries: start again with IOV_MAX of them. */
		iov = malloc(IOV_MAX * sizeof(*iov));
		if (!iov)
			return -ENOMEM;
		*ret_heap = iov;
		max = IOV_MAX;
		cnt = 0;
		total = 0;
		i = (unsigned long)-1;
	}
	return cnt;
}

static long
do_write(struct gk_proc *p, int fd, uint64_t buf, size_t len, off_t off)
{
	struct gk_file *f = gk_fd_get_io(p, fd);
	struct iovec iov[NIOV], *heap;
	uint64_t seg[1][2] = {{buf, len}};
	long r;
	int cnt;

	if (!f)
		return -EBADF;
	/* A socket sends even 0 bytes (an empty datagram), as Linux's sock_write_iter. */
	if (len == 0 && !gk_sock_of(f) && !(f->fmode & GK_FMODE_ZERO_IO))
		return (f->flags & O_ACCMODE) == O_RDONLY ? -EBADF : 0;
	cnt = user_iovs(p, seg, 1, UVK_ACCESS_READ, iov, NIOV, &heap);
	if (cnt < 0)
		return cnt;
	r = gk_file_writev(p, f, heap ? heap : iov, cnt, off);
	free(heap);
	return r;
}

GK_SYS(read)
{
	return do_read(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2), -1);
}

GK_SYS(write)
{
	return do_write(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2), -1);
}

GK_SYS(pread64)
{
	if (gk_arg_long(a, 3) < 0)
		return -EINVAL;
	return do_read(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2), gk_arg_long(a, 3));
}

GK_SYS(pwrite64)
{
	if (gk_arg_long(a, 3) < 0)
		return -EINVAL;
	return do_write(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_size(a, 2), gk_arg_long(a, 3));
}

/*
 * writev, and readv of a kind that reads all at once (GK_FMODE_READ_ITER):
 * every segment in one transfer (user_iovs), as Linux's read_iter and
 * write_iter see them.
 */
static long
do_xferv(struct gk_proc *p, int fd, uint64_t vec, unsigned long vlen, off_t off, int write)
{
	struct gk_file *f = gk_fd_get_io(p, fd);
	struct iovec iov[NIOV], *heap;
	uint64_t bytes = 0, segbuf[8][2], (*seg)[2];
	unsigned long i;
	long r;
	int cnt;

	if (!f)
		return -EBADF;
	if (vlen == 0)
		return 0;
	/* A few segments (stdio's two) on the stack; up to 1024 on the heap. */
	seg = vlen <= 8 ? segbuf : malloc(vlen * sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	/* An iovec array the guest cannot read is -EFAULT, as import_iovec's. */
	if (gk_copyin(p, seg, vec, vlen * 16) < 0) {
		r = -EFAULT;
		goto out_seg;
	}
	for (i = 0; i < vlen; i++)
		bytes += seg[i][1] < GK_IO_MAX ? seg[i][1] : GK_IO_MAX;
	if (bytes == 0 && !(write && gk_sock_of(f)) && !(f->fmode & GK_FMODE_ZERO_IO)) {
		r = write && (f->flags & O_ACCMODE) == O_RDONLY ? -EBADF : 0;
		goto out_seg;
	}
	cnt = user_iovs(p, (const uint64_t(*)[2])seg, i, write ? UVK_ACCESS_READ : UVK_ACCESS_WRITE,
			iov, NIOV, &heap);
	if (seg != segbuf)
		free(seg);
	if (cnt < 0)
		return cnt;
	if (write)
		r = gk_file_writev(p, f, heap ? heap : iov, cnt, off);
	else
		r = gk_file_readv(p, f, heap ? heap : iov, cnt, off);
	free(heap);
	return r;
out_seg:
	if (seg != segbuf)
		free(seg);
	return r;
}

/*
 * readv/writev and the p- forms. fd and vlen are unsigned long in Linux's
 * prototype, but the descriptor lookup (fdget) and import_iovec (unsigned
 * nr_segs) take their low 32 bits only: readv(fd, iov, 1 | 1L << 32)
 * reads one iovec. A write is one transfer of every segment (user_iovs),
 * as Linux's write_iter: a pipe gets it whole or blocks; a kind with no
 * write_iter (GK_FMODE_WRITE_LOOP: eventfd) gets one write a segment, as
 * Linux's do_loop_readv_writev. A read goes one guest iovec at a time,
 * stopping at a short transfer, and a later one that would block ends the
 * call with what the earlier ones read; a kind whose read must see every
 * segment at once (GK_FMODE_READ_ITER: eventfd's 8 bytes may span two)
 * gets one transfer.
 */
static long
do_vec(struct gk_proc *p, const struct gk_args *a, int write, off_t off)
{
	int fd = gk_arg_fd(a, 0);
	uint64_t vec = gk_arg_ptr(a, 1), giov[2], end;
	unsigned long vlen = (unsigned int)gk_arg_ulong(a, 2), i;
	struct gk_file *f;
	long total = 0, r;
	int loop;

	if (vlen > 1024)
		return -EINVAL;
	/* vlen <= 1024: vlen * 16 cannot wrap, the sum can. */
	if (gk_size_add(vec, vlen * 16, &end) < 0)
		return -EFAULT;
	f = gk_fd_get_io(p, fd);
	loop = f && (write ? (f->fmode & GK_FMODE_WRITE_LOOP) : !(f->fmode & GK_FMODE_READ_ITER));
	if (!loop)
		return do_xferv(p, fd, vec, vlen, off, write);
	for (i = 0; i < vlen; i++) {
		if (gk_copyin(p, giov, vec + i * 16, sizeof(giov)) < 0)
			return total ? total : -EFAULT;
		/* An empty segment: nothing to a file, EINVAL to eventfd (GK_FMODE_ZERO_IO). */
		if (giov[1] == 0 && !(f->fmode & GK_FMODE_ZERO_IO))
			continue;
		r = write ? do_write(p, fd, giov[0], giov[1], off) : do_read(p, fd, giov[0], giov[1], off);
		if (r == -GK_EBLOCK && total)
			gk_wake_task(p); /* not asleep after all: the call returns total */
		if (r < 0)
			return total ? total : r;
		total += r;
		if (off >= 0)
			off += r;
		if ((uint64_t)r < giov[1])
			break;
	}
	return total;
}

GK_SYS(readv)
{
	return do_vec(p, a, 0, -1);
}

GK_SYS(writev)
{
	return do_vec(p, a, 1, -1);
}

/* pos_l is the whole position on a 64-bit kernel; pos_h is shifted out. Negative: EINVAL. */
GK_SYS(preadv)
{
	if (gk_arg_long(a, 3) < 0)
		return -EINVAL;
	return do_vec(p, a, 0, gk_arg_long(a, 3));
}

GK_SYS(pwritev)
{
	if (gk_arg_long(a, 3) < 0)
		return -EINVAL;
	return do_vec(p, a, 1, gk_arg_long(a, 3));
}

GK_SYS(lseek)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));
	off_t off = gk_arg_long(a, 1);
	unsigned int whence = gk_arg_uint(a, 2);

	if (!f)
		return -EBADF;
	return f->ops->llseek(f, off, (int)whence);
}

static long
do_open(struct gk_proc *p, int dirfd, uint64_t upath, int flags, mode_t mode)
{
	char copy[GK_PATH_MAX];
	struct gk_path path;
	struct gk_file *f;
	int err;

	/* O_CREAT|O_EXCL never follows a last symlink (open(2)): it is EEXIST. */
	err = gk_path_from_user(p, dirfd, upath,
				GK_LOOKUP_LAZY | ((flags & O_NOFOLLOW) ||
						(flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)
					    ? 0
					    : GK_LOOKUP_FOLLOW) |
				    (flags & O_CREAT ? 0 : GK_LOOKUP_SLASH),
				&path, copy);
	if (err < 0)
		return err;
	err = gk_vfs_open(p, &path, flags, mode, &f);
	if (err < 0)
		return err;
	return gk_fd_install_new(p->fdt, f, flags & O_CLOEXEC);
}

GK_SYS(open)
{
	return do_open(p, AT_FDCWD, gk_arg_ptr(a, 0), gk_arg_int(a, 1), gk_arg_mode(a, 2));
}

GK_SYS(openat)
{
	return do_open(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 2), gk_arg_mode(a, 3));
}

GK_SYS(creat)
{
	return do_open(p, AT_FDCWD, gk_arg_ptr(a, 0), O_CREAT | O_WRONLY | O_TRUNC, gk_arg_mode(a, 1));
}

GK_SYS(close)
{
	return gk_fd_close(p->fdt, gk_arg_fd(a, 0));
}

GK_SYS(dup)
{
	struct gk_file *f = gk_fd_get(p, gk_arg_fd(a, 0));
	int fd;

	if (!f)
		return -EBADF;
	fd = gk_fd_install(p->fdt, gk_file_ref(f), 0, 0);
	if (fd < 0)
		gk_file_unref(f);
	return fd;
}

static long
do_dup3(struct gk_proc *p, int oldfd, int newfd, int flags)
{
	struct gk_file *f = gk_fd_get(p, oldfd);

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= p->fdt->limit)
		return -EBADF;
	if (oldfd == newfd)
		return newfd;
	gk_file_ref(f);
	gk_fd_close(p->fdt, newfd);
	p->fdt->f[newfd] = f;
	p->fdt->cloexec[newfd] = (flags & O_CLOEXEC) != 0;
	return newfd;
}

GK_SYS(dup2)
{
	int oldfd = gk_arg_fd(a, 0), newfd = gk_arg_fd(a, 1);

	if (oldfd == newfd)
		return gk_fd_get(p, oldfd) ? newfd : -EBADF;
	return do_dup3(p, oldfd, newfd, 0);
}

GK_SYS(dup3)
{
	int oldfd = gk_arg_fd(a, 0), newfd = gk_arg_fd(a, 1), flags = gk_arg_int(a, 2);

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(p, oldfd, newfd, flags);
}

GK_SYS(fcntl)
{
	int fd = gk_arg_fd(a, 0), nfd;
	unsigned int cmd = gk_arg_uint(a, 1);
	/* Linux reads the integer commands' argument as int (argi), pointers whole. */
	int argi = gk_arg_int(a, 2);
	uint64_t argp = gk_arg_ptr(a, 2);
	struct gk_file *f = gk_fd_get(p, fd);
	const int setfl = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

	if (!f)
		return -EBADF;
	/* On an O_PATH descriptor only these work (fcntl.c's check_fcntl_cmd). */
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (argi < 0 || argi >= p->fdt->limit)
			return -EINVAL;
		nfd = gk_fd_install(p->fdt, gk_file_ref(f), argi, cmd == F_DUPFD_CLOEXEC);
		if (nfd < 0)
			gk_file_unref(f);
		return nfd;
	case F_GETFD:
		return p->fdt->cloexec[fd] ? FD_CLOEXEC : 0;
	case F_SETFD:
		p->fdt->cloexec[fd] = (argi & FD_CLOEXEC) != 0;
		return 0;
	case F_GETFL:
		/*
		 * x86-64 open() forces O_LARGEFILE (GK_O_LARGEFILE, set by the
		 * opens); pipes, O_PATH and uvk's own console descriptors do
		 * not have it.
		 */
		return f->flags;
	case F_SETFL: {
		int fl = (f->flags & ~setfl) | (argi & setfl);
		int err = f->ops->setfl(f, fl);

		if (err < 0)
			return err;
		f->flags = fl;
		return 0;
	}
	case F_GETLK:
	case F_OFD_GETLK: {
		struct flock fl;
		int err;

		if (gk_copyin(p, &fl, argp, sizeof(fl)) < 0)
			return -EFAULT;
		err = gk_lock_test(p, f, cmd == F_OFD_GETLK, &fl);
		if (err == 0 && gk_copyout(p, argp, &fl, sizeof(fl)) < 0)
			return -EFAULT;
		return err;
	}
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW: {
		struct flock fl;

		if (gk_copyin(p, &fl, argp, sizeof(fl)) < 0)
			return -EFAULT;
		return gk_lock_set(p, f, cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW,
				   cmd == F_SETLKW || cmd == F_OFD_SETLKW, &fl);
	}
	case F_GETPIPE_SZ:
		return gk_pipe_get_size(f);
	case F_SETPIPE_SZ:
		/* Linux takes the argument as an unsigned int. */
		return gk_pipe_set_size(f, (unsigned int)argi);
	}
	return -EINVAL;
}

GK_SYS(ioctl)
{
	int fd = gk_arg_fd(a, 0);
	unsigned int cmd = gk_arg_uint(a, 1);
	uint64_t arg = gk_arg_ulong(a, 2);
	struct gk_file *f = gk_fd_get_io(p, fd);

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		/* fd passed gk_fd_get's bounds check: the same value indexes. */
		p->fdt->cloexec[fd] = cmd == FIOCLEX;
		return 0;
	case FIONBIO: {
		int on;

		if (gk_copyin(p, &on, arg, sizeof(on)) < 0)
			return -EFAULT;
		/* As F_SETFL, but what is behind the file cannot refuse it. */
		f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		f->ops->setfl(f, f->flags);
		return 0;
	}
	}
	return gk_file_ioctl(p, f, cmd, arg);
}

GK_SYS(getdents64)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	return gk_file_getdents(p, f, gk_arg_ptr(a, 1), gk_arg_uint(a, 2));
}

GK_SYS(fstat)
{
	struct gk_file *f = gk_fd_get(p, gk_arg_fd(a, 0));
	struct stat st;
	int err;

	if (!f)
		return -EBADF;
	err = gk_file_stat(f, &st);
	return err < 0 ? err : gk_copyout(p, gk_arg_ptr(a, 1), &st, sizeof(st));
}

GK_SYS(ftruncate)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	if (gk_arg_long(a, 1) < 0)
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY || f->isdir)
		return -EINVAL;
	return gk_file_setattr(f, &(struct gk_iattr){.what = GK_SET_SIZE, .size = gk_arg_long(a, 1)});
}

GK_SYS(fsync)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	return 0;
}

/*
 * sendfile(out, in, offp, count): through a bounce buffer in the tracer;
 * simple and enough for cat and cp, which use it when it works.
 */
GK_SYS(sendfile)
{
	struct gk_file *out = gk_fd_get_io(p, gk_arg_fd(a, 0)), *in = gk_fd_get_io(p, gk_arg_fd(a, 1));
	uint64_t offp = gk_arg_ptr(a, 2);
	size_t count = gk_arg_size(a, 3) < (1u << 20) ? gk_arg_size(a, 3) : (1u << 20);
	char *buf;
	struct iovec iov;
	off_t off = -1;
	long r, w = 0;

	if (!out || !in)
		return -EBADF;
	if (in->isdir)
		return -EINVAL;
	if (offp && gk_copyin(p, &off, offp, sizeof(off)) < 0)
		return -EFAULT;
	buf = malloc(count ? count : 1);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = count;
	r = gk_file_readv(p, in, &iov, 1, offp ? off : -1);
	if (r > 0) {
		iov.iov_len = (size_t)r;
		w = gk_file_writev(p, out, &iov, 1, -1);
		if (w == -GK_EBLOCK && p->io_done) {
			/*
			 * A pipe took part and would sleep for the rest: a short
			 * count instead, as the input may not be read again.
			 */
			gk_wake_task(p);
			w = (long)p->io_done;
			p->io_done = 0;
		}
		/* Give back what the output did not take, so no byte is lost. */
		if (w < r && !offp) {
			off_t back = r - (w > 0 ? w : 0);

			in->ops->llseek(in, -back, SEEK_CUR);
		}
		r = w;
	}
	free(buf);
	if (r >= 0 && offp) {
		off += r;
		if (gk_copyout(p, offp, &off, sizeof(off)) < 0)
			return -EFAULT;
	}
	return r;
}

GK_SYS(fchmod)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	return gk_file_setattr(f, &(struct gk_iattr){.what = GK_SET_MODE, .mode = gk_arg_mode(a, 1)});
}

GK_SYS(fchown)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	return gk_file_setattr(f, &(struct gk_iattr){.what = GK_SET_OWNER,
						     .uid = gk_arg_uid(a, 1),
						     .gid = gk_arg_gid(a, 2)});
}

GK_SYS(fchdir)
{
	struct gk_file *f = gk_fd_get(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	if (!f->isdir || !f->dentry)
		return -ENOTDIR;
	gk_dentry_get(f->dentry);
	gk_dentry_put(p->fs->cwd);
	p->fs->cwd = f->dentry;
	return 0;
}

/*
 * fadvise64(fd, offset, len, advice): nothing to advise. The descriptor,
 * then a pipe (ESPIPE), a length that is negative as loff_t, and an unknown
 * advice (EINVAL), as Linux's generic_fadvise.
 */
GK_SYS(fadvise64)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));
	int advice = gk_arg_int(a, 3);

	if (!f)
		return -EBADF;
	if (f->fmode & GK_FMODE_STREAM)
		return -ESPIPE;
	if ((int64_t)gk_arg_size(a, 2) < 0 || advice < 0 || advice > 5)
		return -EINVAL;
	return 0;
}

/*
 * flock: the command is checked first (LOCK_MAND is accepted and ignored,
 * as Linux), then the descriptor; the lock is fs/lock.c's.
 */
GK_SYS(flock)
{
	unsigned int cmd = gk_arg_uint(a, 1), type = cmd & ~(unsigned int)LOCK_NB;
	struct gk_file *f;

	if (cmd & 32 /* LOCK_MAND */)
		return 0;
	if (type != LOCK_SH && type != LOCK_EX && type != LOCK_UN)
		return -EINVAL;
	if (!(f = gk_fd_get_io(p, gk_arg_fd(a, 0))))
		return -EBADF;
	return gk_lock_flock(p, f, type == LOCK_SH ? F_RDLCK : type == LOCK_EX ? F_WRLCK : F_UNLCK,
			     (cmd & LOCK_NB) != 0);
}

GK_SYS(syncfs)
{
	return gk_fd_get_io(p, gk_arg_fd(a, 0)) ? 0 : -EBADF;
}

/* sync_file_range(fd, offset, nbytes, flags): nothing to write back; Linux's checks, in order. */
GK_SYS(sync_file_range)
{
	struct gk_file *f = gk_fd_get_io(p, gk_arg_fd(a, 0));
	int64_t off = gk_arg_long(a, 1), n = gk_arg_long(a, 2);
	uint64_t end = (uint64_t)off + (uint64_t)n;

	if (!f)
		return -EBADF;
	if (gk_arg_uint(a, 3) & ~7u)
		return -EINVAL;
	if (off < 0 || (int64_t)end < 0 || end < (uint64_t)off)
		return -EINVAL;
	return (f->fmode & GK_FMODE_STREAM) ? -ESPIPE : 0;
}


