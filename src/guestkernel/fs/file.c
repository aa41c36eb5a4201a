/*
 * file.c - open files and per-process descriptor tables.
 *
 * Layer src/guestkernel/fs, the mechanism under sys_file.c. A gk_file is an
 * open file description (shared by dup'd descriptors and by forked
 * processes); its kind decides how I/O is done: a host descriptor
 * (host files, the console), a device answered here (/dev/null, zero, full,
 * random), or a rendered buffer (/proc files, synthetic directories).
 * I/O takes host iovecs that point into pmem (built by gk_user_iov), so
 * host files are read and written straight into guest pages, no bounce.
 *
 * Must not: decode syscall arguments or touch guest pointers except through
 * uaccess.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "fs.h"


/* gk_file_new - a file with one reference; hfd (if any) now belongs to it. NULL on ENOMEM. */
struct gk_file *
gk_file_new(enum gk_ftype type, int hfd, int flags, const char *gpath)
{
	struct gk_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->type = type;
	f->hfd = hfd;
	if (hfd >= 0) {
		gk_hostfd_file(1);
	}
	f->flags = flags;
	f->gpath = strdup(gpath ? gpath : "");
	if (!f->gpath) {
		free(f);
		return NULL;
	}
	return f;
}

struct gk_file *
gk_file_ref(struct gk_file *f)
{
	f->refs++;
	return f;
}

void
gk_file_unref(struct gk_file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->hfd >= 0) {
		close(f->hfd);
		gk_hostfd_file(-1);
	}
	if (f->tnode)
		gk_tnode_release(f->tk, f->tnode);
	if (f->kmem)
		gk_kmem_uncharge(f->tk, f->kmem);
	if (f->type == GK_F_PIPE)
		gk_pipe_close(f);
	free(f->gpath);
	free(f->buf);
	free(f);
}

struct gk_fdtable *
gk_fdt_new(void)
{
	struct gk_fdtable *fdt = calloc(1, sizeof(struct gk_fdtable));

	if (fdt) {
		fdt->refs = 1;
		fdt->limit = GK_NFD;
	}
	return fdt;
}

/* gk_fdt_ref - one more task uses fdt (clone with CLONE_FILES). */
struct gk_fdtable *
gk_fdt_ref(struct gk_fdtable *fdt)
{
	fdt->refs++;
	return fdt;
}

/*
 * gk_fdt_set_limit - RLIMIT_NOFILE's soft limit became nofile: new
 * descriptors are below it (EMFILE past it, as Linux); open ones stay.
 */
void
gk_fdt_set_limit(struct gk_fdtable *fdt, uint64_t nofile)
{
	fdt->limit = nofile < GK_NFD ? (int)nofile : GK_NFD;
}

/* gk_fdt_free - drop a use of fdt; the last one closes every descriptor. NULL is fine. */
void
gk_fdt_free(struct gk_fdtable *fdt)
{
	int i;

	if (!fdt || --fdt->refs > 0)
		return;
	for (i = 0; i < GK_NFD; i++)
		gk_file_unref(fdt->f[i]);
	free(fdt);
}

/*
 * gk_fdt_dup - a copy of fdt for a forked child: the same open files, one
 * more reference each, the same close-on-exec flags. NULL on ENOMEM.
 */
struct gk_fdtable *
gk_fdt_dup(const struct gk_fdtable *fdt)
{
	struct gk_fdtable *n = gk_fdt_new();
	int i;

	if (!n)
		return NULL;
	for (i = 0; i < GK_NFD; i++) {
		if (fdt->f[i]) {
			n->f[i] = gk_file_ref(fdt->f[i]);
			n->cloexec[i] = fdt->cloexec[i];
		}
	}
	n->limit = fdt->limit;
	return n;
}

/* gk_fd_install - the lowest free descriptor >= min now holds f (the reference moves). */
int
gk_fd_install(struct gk_fdtable *fdt, struct gk_file *f, int min, int cloexec)
{
	int fd;

	for (fd = min < 0 ? 0 : min; fd < fdt->limit; fd++) {
		if (!fdt->f[fd]) {
			fdt->f[fd] = f;
			fdt->cloexec[fd] = cloexec != 0;
			return fd;
		}
	}
	return -EMFILE;
}

struct gk_file *
gk_fd_get(struct gk_proc *p, int fd)
{
	if (fd < 0 || fd >= GK_NFD)
		return NULL;
	return p->fdt->f[fd];
}

/*
 * gk_fd_get_io - the file at fd for a call that uses the file itself (read,
 * write, ioctl, mmap, fchmod...): an O_PATH descriptor names a place only,
 * and is EBADF there as Linux's fdget() makes it; NULL then or if fd is
 * not open. gk_fd_get() is fdget_raw(): fstat, fchdir, dup, close, *at.
 */
struct gk_file *
gk_fd_get_io(struct gk_proc *p, int fd)
{
	struct gk_file *f = gk_fd_get(p, fd);

	return f && !(f->flags & O_PATH) ? f : NULL;
}

int
gk_fd_close(struct gk_fdtable *fdt, int fd)
{
	if (fd < 0 || fd >= GK_NFD || !fdt->f[fd])
		return -EBADF;
	gk_file_unref(fdt->f[fd]);
	fdt->f[fd] = NULL;
	fdt->cloexec[fd] = 0;
	return 0;
}

void
gk_fd_close_on_exec(struct gk_fdtable *fdt)
{
	int i;

	for (i = 0; i < GK_NFD; i++)
		if (fdt->f[i] && fdt->cloexec[i])
			gk_fd_close(fdt, i);
}

static long
iov_fill(const struct iovec *iov, int n, const char *src, size_t len, int zero)
{
	size_t done = 0;
	int i;

	for (i = 0; i < n && done < len; i++) {
		size_t c = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		if (zero)
			memset(iov[i].iov_base, 0, c);
		else
			memcpy(iov[i].iov_base, src + done, c);
		done += c;
	}
	return (long)done;
}

static size_t
iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Would a read of the host descriptor return at once (data, EOF or an error)? */
static int
console_ready(int hfd)
{
	struct pollfd pfd = {.fd = hfd, .events = POLLIN};

	return poll(&pfd, 1, 0) != 0;
}

/*
 * gk_file_readv - read into host iovecs (pointing into pmem) at off, or at
 * the file position if off < 0. Returns bytes read or a negative errno.
 */
long
gk_file_readv(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	size_t total = iov_total(iov, n);
	long r;
	int i;

	if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
		return -EBADF;
	switch (f->type) {
	case GK_F_CONSOLE:
		/* No input yet: sleep in the guest kernel, never in the host's read. */
		if (off < 0 && !console_ready(f->hfd)) {
			if (f->flags & O_NONBLOCK)
				return -EAGAIN;
			gk_console_watch(p->k, f->hfd, POLLIN);
			return gk_block(p, p->k->watch);
		}
		/* fall through */
	case GK_F_HOST:
		r = off < 0 ? readv(f->hfd, iov, n) : preadv(f->hfd, iov, n, off);
		return r < 0 ? -errno : r;
	case GK_F_NULL:
		return 0;
	case GK_F_ZERO:
	case GK_F_FULL:
		return iov_fill(iov, n, NULL, total, 1);
	case GK_F_RANDOM:
		for (i = 0; i < n; i++)
			if (getrandom(iov[i].iov_base, iov[i].iov_len, 0) < 0)
				return -errno;
		return (long)total;
	case GK_F_PIPE:
		return off >= 0 ? -ESPIPE : gk_pipe_read(p, f, iov, n);
	case GK_F_TMPFS:
		r = gk_tnode_rw(f->tk, f->tnode, 0, iov, n, (uint64_t)(off < 0 ? f->pos : off));
		if (r > 0 && off < 0)
			f->pos += r;
		return r;
	case GK_F_BUF:
		if (f->isdir)
			return -EISDIR;
		if (off < 0)
			off = f->pos;
		if ((size_t)off >= f->len)
			return 0;
		r = iov_fill(iov, n, f->buf + off, f->len - (size_t)off, 0);
		if (off == f->pos)
			f->pos += r;
		return r;
	}
	return -EBADF;
}

/* gk_file_writev - write host iovecs at off (or the position). Bytes written or -errno. */
long
gk_file_writev(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	long r;

	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	switch (f->type) {
	case GK_F_HOST:
	case GK_F_CONSOLE:
		r = off < 0 ? writev(f->hfd, iov, n) : pwritev(f->hfd, iov, n, off);
		if (r < 0 && errno == EPIPE)
			gk_sig_kill(p, SIGPIPE, SI_USER, p->tg->gpid);
		return r < 0 ? -errno : r;
	case GK_F_NULL:
	case GK_F_ZERO:
	case GK_F_RANDOM:
		return (long)iov_total(iov, n);
	case GK_F_FULL:
		return -ENOSPC;
	case GK_F_PIPE:
		return off >= 0 ? -ESPIPE : gk_pipe_write(p, f, iov, n);
	case GK_F_TMPFS:
		if (off < 0)
			off = (f->flags & O_APPEND) ? (off_t)f->tnode->size : f->pos;
		r = gk_tnode_rw(f->tk, f->tnode, 1, iov, n, (uint64_t)off);
		if (r > 0 && (off == f->pos || (f->flags & O_APPEND)))
			f->pos = off + r;
		return r;
	case GK_F_BUF:
		return -EBADF;
	}
	return -EBADF;
}

/* gk_file_stat - fstat. Returns 0 or a negative errno. */
int
gk_file_stat(struct gk_file *f, struct stat *st)
{
	if (f->hfd >= 0)
		return fstat(f->hfd, st) < 0 ? -errno : 0;
	if (f->tnode) {
		gk_tnode_stat(f->tk, f->tnode, st);
		return 0;
	}
	*st = f->st;
	if (f->type == GK_F_BUF && !f->isdir)
		st->st_size = (off_t)f->len;
	return 0;
}

/* gk_dirents_add - append a linux_dirent64 record to a malloc'd buffer (panics on ENOMEM). */
void
gk_dirents_add(char **buf, size_t *len, const char *name, unsigned type, uint64_t ino)
{
	size_t nl = strlen(name), rec = (19 + nl + 1 + 7) & ~7UL, cap = 256;
	int64_t next;
	uint16_t reclen = (uint16_t)rec;
	char *d;

	while (cap < *len)
		cap *= 2;
	if (*len + rec > cap || !*buf) {
		while (cap < *len + rec)
			cap *= 2;
		d = realloc(*buf, cap);
		if (!d)
			gk_panic(__func__, "out of memory");
		*buf = d;
	}
	d = *buf + *len;
	memset(d, 0, rec);
	*len += rec;
	next = (int64_t)*len;
	memcpy(d, &ino, 8);
	memcpy(d + 8, &next, 8);
	memcpy(d + 16, &reclen, 2);
	d[18] = (char)type;
	memcpy(d + 19, name, nl);
}

/* linux_dirent64 records, as getdents64 returns them. */
struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

/*
 * gk_file_getdents - getdents64 into guest [gva, gva+len). Returns bytes
 * stored, 0 at the end, -ENOTDIR, -EINVAL (buffer too small), -EFAULT.
 */
long
gk_file_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	char buf[65536];
	long n;
	size_t done = 0;

	if (!f->isdir)
		return -ENOTDIR;
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (f->type == GK_F_HOST) {
		n = syscall(SYS_getdents64, f->hfd, buf, len);
		if (n < 0)
			return -errno;
		if (n > 0 && gk_copyout(p, gva, buf, (size_t)n) < 0)
			return -EFAULT;
		return n;
	}
	if (f->tnode)
		return gk_tmpfs_getdents(p, f, gva, len);
	/* A synthetic directory: whole records from pos while they fit. */
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

/* tcsetpgrp: the group must exist in the caller's session. */
static long
set_fg_pgrp(struct gk_proc *p, int pgrp)
{
	struct gk_proc *q;

	if (pgrp < 0)
		return -EINVAL;
	for (q = p->k->procs; q; q = q->next) {
		if (q->tg->pgid == pgrp && q->state != GK_P_ZOMBIE) {
			if (q->tg->sid != p->tg->sid)
				return -EPERM;
			p->k->fg_pgrp = pgrp;
			return 0;
		}
	}
	return -EPERM;
}

/*
 * gk_file_ioctl - the terminal ioctls on the console, passed to the host tty
 * when it is one. The process group calls are answered from guest state:
 * the host's process groups mean nothing inside the guest.
 */
long
gk_file_ioctl(struct gk_proc *p, struct gk_file *f, unsigned long cmd, uint64_t arg)
{
	/* struct termios as the kernel (not glibc) lays it out: 36 bytes. */
	char kbuf[64];
	size_t size;
	int pgrp;

	if (cmd == FIONREAD && f->type == GK_F_PIPE) {
		int avail = (int)gk_pipe_nread(f);

		return gk_copyout(p, arg, &avail, sizeof(avail));
	}
	if (cmd == FIONREAD && f->hfd >= 0) {
		int avail = 0;

		if (ioctl(f->hfd, FIONREAD, &avail) < 0)
			return -errno;
		return gk_copyout(p, arg, &avail, sizeof(avail));
	}
	if (f->type != GK_F_CONSOLE || !isatty(f->hfd))
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
	case TIOCGWINSZ:
		size = cmd == TCGETS ? 36 : sizeof(struct winsize);
		if (ioctl(f->hfd, cmd, kbuf) < 0)
			return -errno;
		return gk_copyout(p, arg, kbuf, size);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TIOCSWINSZ:
		size = cmd == TIOCSWINSZ ? sizeof(struct winsize) : 36;
		if (gk_copyin(p, kbuf, arg, size) < 0)
			return -EFAULT;
		return ioctl(f->hfd, cmd, kbuf) < 0 ? -errno : 0;
	case TIOCGPGRP:
		return gk_copyout(p, arg, &p->k->fg_pgrp, sizeof(pgrp));
	case TIOCSPGRP:
		if (gk_copyin(p, &pgrp, arg, sizeof(pgrp)) < 0)
			return -EFAULT;
		return set_fg_pgrp(p, pgrp);
	case TIOCGSID:
		return gk_copyout(p, arg, &p->k->init->tg->sid, sizeof(pgrp));
	case TIOCSCTTY:
	case TIOCNOTTY:
		return 0;
	}
	return -ENOTTY;
}
