/*
 * hostfile.c - files and directories on the host, and I/O on host
 * descriptors.
 *
 * Layer src/guestkernel/fs. A host file (vfs.c opened it under a host
 * mount, safely beneath the mount's directory) is one host descriptor;
 * reading, writing, seeking (SEEK_DATA and SEEK_HOLE included) and fstat
 * are the host's own calls on it, straight into guest pages (the iovecs
 * point into pmem). The console (console.c) is a host descriptor too and
 * shares these helpers. Host errno becomes -errno here, at once. Writes
 * and truncations of a regular file tell the page cache (pcache.c), whose
 * copies of the pages they touch are read again.
 *
 * Must not: open anything (vfs.c does, after its checks), or block: the
 * console's reads wait in the guest kernel (console.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

/* gk_hostfd_read - readv, or preadv at off >= 0, on f's host descriptor. */
long
gk_hostfd_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	long r = off < 0 ? readv(f->hfd, iov, n) : preadv(f->hfd, iov, n, off);

	(void)p;
	return r < 0 ? -errno : r;
}

/* gk_hostfd_write - writev or pwritev; a broken host pipe is SIGPIPE for the writer, as Linux. */
long
gk_hostfd_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	long r = off < 0 ? writev(f->hfd, iov, n) : pwritev(f->hfd, iov, n, off);

	if (r < 0 && errno == EPIPE)
		gk_sig_kill(p, SIGPIPE, SI_USER, p->tg->gpid);
	if (r < 0)
		return -errno;
	return r;
}

/* A read of a regular host file sees what stores through its shared mappings made. */
static long
host_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	gk_pcache_flush(f->k, f->hfd);
	return gk_hostfd_read(p, f, iov, n, off);
}

/*
 * A write to a regular host file: the page cache's copies of what it
 * changed are read again (pcache.c), so mappings and later reads agree.
 */
static long
host_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	off_t end;
	long r;

	gk_pcache_flush(f->k, f->hfd);
	r = gk_hostfd_write(p, f, iov, n, off);
	if (r <= 0)
		return r;
	/* O_APPEND writes at the end whatever off says (pwrite too, on Linux). */
	if (f->flags & O_APPEND)
		end = lseek(f->hfd, 0, SEEK_END);
	else
		end = off >= 0 ? off + r : lseek(f->hfd, 0, SEEK_CUR);
	if (end >= r)
		gk_pcache_wrote(f->k, f->hfd, (uint64_t)(end - r), (uint64_t)r);
	return r;
}

/*
 * gk_hostfd_poll - ask the host, never waiting. With reg, the caller is
 * about to sleep: a descriptor not ready puts it on the descriptor's watch
 * in the host epoll set (console.c), which wakes it when it is. A host poll
 * that fails (ENOMEM) is POLLERR.
 */
short
gk_hostfd_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct pollfd pfd = {.fd = f->hfd, .events = events};

	if (poll(&pfd, 1, 0) < 0)
		return POLLERR;
	if (!pfd.revents && reg)
		return gk_host_poll_wait(f->k, reg, f->hfd, events);
	return pfd.revents;
}

/* gk_hostfd_ioctl - FIONREAD is the host's answer; no other command means anything here. */
long
gk_hostfd_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	int avail = 0;

	if (cmd != FIONREAD)
		return -ENOTTY;
	if (ioctl(f->hfd, FIONREAD, &avail) < 0)
		return -errno;
	return gk_copyout(p, arg, &avail, sizeof(avail));
}

/* gk_hostfd_llseek - the host's lseek: its position, SEEK_DATA and SEEK_HOLE, its errors. */
off_t
gk_hostfd_llseek(struct gk_file *f, off_t off, int whence)
{
	off_t r = lseek(f->hfd, off, whence);

	return r < 0 ? -errno : r;
}

/* gk_hostfd_setfl - the status flags F_SETFL may change go to the host descriptor too. */
int
gk_hostfd_setfl(struct gk_file *f, int flags)
{
	const int setfl = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

	return fcntl(f->hfd, F_SETFL, flags & setfl) < 0 ? -errno : 0;
}

int
gk_hostfd_stat(struct gk_file *f, struct stat *st)
{
	return fstat(f->hfd, st) < 0 ? -errno : 0;
}

/*
 * Attributes of a host file: what its mount allows. ftruncate needs no
 * check of the mount: a file open for writing is on a writable one.
 */
static int
host_setattr(struct gk_file *f, const struct gk_iattr *ia)
{
	int r;

	if (ia->what == GK_SET_SIZE) {
		gk_pcache_flush(f->k, f->hfd);
		if (ftruncate(f->hfd, ia->size) < 0)
			return -errno;
		gk_pcache_wrote(f->k, f->hfd, (uint64_t)ia->size, 0);
		return 0;
	}
	if (!f->mnt || !f->mnt->writable)
		return -EROFS;
	switch (ia->what) {
	case GK_SET_MODE:
		r = fchmod(f->hfd, ia->mode & 07777);
		break;
	case GK_SET_OWNER:
		r = fchownat(f->hfd, "", ia->uid, ia->gid, AT_EMPTY_PATH);
		break;
	case GK_SET_TIMES:
		r = futimens(f->hfd, ia->ts);
		break;
	default:
		return -EINVAL;
	}
	return r < 0 ? -errno : 0;
}

/* getdents64 of a host directory, through a bounce buffer (len is at most 64 KiB). */
static long
host_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	char buf[65536];
	long n;

	if (len > sizeof(buf))
		len = sizeof(buf);
	n = syscall(SYS_getdents64, f->hfd, buf, len);
	if (n < 0)
		return -errno;
	if (n > 0 && gk_copyout(p, gva, buf, (size_t)n) < 0)
		return -EFAULT;
	return n;
}

/* Pages of a host file come from the mapfile cache (mapfile.c): one mapfile per file. */
static int
host_mmap(struct gk_file *f, struct gk_mapfile **ret)
{
	return gk_mapfile_host(f->k, f, ret);
}

/* A regular host file (or, opened O_PATH, a symlink, whose I/O the descriptor check refuses). */
const struct gk_file_ops gk_hostfile_ops = {
	.read = host_read,
	.write = host_write,
	.poll = gk_hostfd_poll,
	.ioctl = gk_hostfd_ioctl,
	.llseek = gk_hostfd_llseek,
	.setfl = gk_hostfd_setfl,
	.stat = gk_hostfd_stat,
	.setattr = host_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = host_mmap,
	.release = gk_file_no_release,
};

/* A host directory: listed, never read or mapped. */
const struct gk_file_ops gk_hostdir_ops = {
	.read = gk_file_dir_read,
	.write = gk_file_no_write,
	.poll = gk_hostfd_poll,
	.ioctl = gk_hostfd_ioctl,
	.llseek = gk_hostfd_llseek,
	.setfl = gk_hostfd_setfl,
	.stat = gk_hostfd_stat,
	.setattr = host_setattr,
	.getdents = host_getdents,
	.mmap = gk_file_no_mmap,
	.release = gk_file_no_release,
};
