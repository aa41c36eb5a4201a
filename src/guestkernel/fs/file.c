/*
 * file.c - open files and per-process descriptor tables.
 *
 * Layer src/guestkernel/fs, the mechanism under sys_file.c. A gk_file is an
 * open file description (shared by dup'd descriptors and by forked
 * processes); what it does is its operations table (struct gk_file_ops),
 * picked by whoever made it: host files (hostfile.c), the console
 * (console.c), /dev (dev.c), /proc and synthetic directories (synthfile.c),
 * /tmp (tmpfs_file.c), pipes (pipe.c). Here are the checks every kind
 * shares (the access mode, O_PATH, streams) and the defaults a kind points
 * at for what it does not support. I/O takes host iovecs that point into
 * pmem (built by gk_user_iov), so host files are read and written straight
 * into guest pages, no bounce.
 *
 * Must not: decode syscall arguments, touch guest pointers except through
 * uaccess.c, or ask what kind a file is.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fs.h"

/*
 * gk_file_new - a file of kind ops with one reference; hfd (if any) now
 * belongs to it. NULL on ENOMEM (hfd is then still the caller's).
 */
struct gk_file *
gk_file_new(struct gk_kernel *k, const struct gk_file_ops *ops, int hfd, int flags,
	    const char *gpath)
{
	struct gk_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->gpath = strdup(gpath ? gpath : "");
	if (!f->gpath) {
		free(f);
		return NULL;
	}
	f->refs = 1;
	f->ops = ops;
	f->k = k;
	f->hfd = hfd;
	if (hfd >= 0)
		gk_hostfd_file(k, 1);
	f->flags = flags;
	return f;
}

/*
 * gk_file_open_flags - what an opened file keeps of open(2)'s flags: not
 * those that acted at open time (O_CREAT, O_EXCL, O_TRUNC, O_NOCTTY,
 * O_CLOEXEC, as Linux's do_dentry_open), and O_LARGEFILE, which x86-64's
 * open forces on every file but an O_PATH one.
 */
int
gk_file_open_flags(int flags)
{
	/* O_PATH keeps only these (build_open_flags): musl's O_LARGEFILE goes too. */
	if (flags & O_PATH)
		return flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW);
	flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
	return flags | GK_O_LARGEFILE;
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
	if (gk_fsn_active(f->k)) {
		gk_fsn_file(f, (f->flags & O_ACCMODE) != O_RDONLY ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
		gk_fsn_closed(f);
	}
	while (f->watchers)
		f->watchers->gone(f->watchers);
	gk_lock_file_gone(f);
	f->ops->release(f);
	if (f->hfd >= 0) {
		close(f->hfd);
		gk_hostfd_file(f->k, -1);
	}
	gk_dentry_put(f->dentry);
	free(f->gpath);
	free(f);
}

/* gk_fwatch_add - w is told (w->gone) when f's last reference goes. */
void
gk_fwatch_add(struct gk_file *f, struct gk_fwatch *w)
{
	w->prev = NULL;
	w->next = f->watchers;
	if (f->watchers)
		f->watchers->prev = w;
	f->watchers = w;
}

/* gk_fwatch_del - w, on f's list, is no longer told. */
void
gk_fwatch_del(struct gk_file *f, struct gk_fwatch *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		f->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
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
	struct gk_kernel *k = NULL;
	int i;

	if (!fdt || --fdt->refs > 0)
		return;
	for (i = 0; i < GK_NFD; i++) {
		if (!fdt->f[i])
			continue;
		k = fdt->f[i]->k;
		gk_lock_close(fdt, fdt->f[i]); /* the process's locks go with its descriptors */
		gk_file_unref(fdt->f[i]);
	}
	if (fdt->nlocks && k)
		gk_lock_fdt_gone(k, fdt);
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

/*
 * gk_fd_install_new - a file just made, with its only reference, into the
 * lowest free descriptor; if none is free the file goes. Returns the
 * descriptor or gk_fd_install's error (-EMFILE).
 */
int
gk_fd_install_new(struct gk_fdtable *fdt, struct gk_file *f, int cloexec)
{
	int fd = gk_fd_install(fdt, f, 0, cloexec);

	if (fd < 0)
		gk_file_unref(f);
	return fd;
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
	/* fcntl(2): closing any descriptor of a file drops the process's locks on it. */
	gk_lock_close(fdt, fdt->f[fd]);
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

/* gk_iov_fill - copy len bytes of src (zeros if src is NULL) into the iovecs; bytes copied. */
long
gk_iov_fill(const struct iovec *iov, int n, const char *src, size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < n && done < len; i++) {
		size_t c = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		if (!src)
			memset(iov[i].iov_base, 0, c);
		else
			memcpy(iov[i].iov_base, src + done, c);
		done += c;
	}
	return (long)done;
}

size_t
gk_iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/*
 * gk_file_readv - read into host iovecs (pointing into pmem) at off, or at
 * the file position if off < 0. Returns bytes read or a negative errno:
 * -EBADF (not open for reading), -ESPIPE (an offset on a stream), or what
 * the kind says.
 */
long
gk_file_readv(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
		return -EBADF;
	long r;

	if (off >= 0 && (f->fmode & GK_FMODE_STREAM))
		return -ESPIPE;
	r = f->ops->read(p, f, iov, n, off);
	if (r > 0 && gk_fsn_active(f->k))
		gk_fsn_file(f, IN_ACCESS);
	return r;
}

/*
 * RLIMIT_FSIZE, as Linux's generic_write_check_limits applies it to a
 * regular file: a write that starts at or past the limit raises SIGXFSZ
 * and is EFBIG; one that would cross it is cut short at it (into *cut, a
 * trimmed copy of the segments, which the caller frees). 0 or -errno.
 */
static long
fsize_limit(struct gk_proc *p, struct gk_file *f, const struct iovec **iov, int *n, off_t off,
	    struct iovec **cut)
{
	uint64_t limit = p->tg->rlim[RLIMIT_FSIZE].rlim_cur, pos, room, sum = 0;
	struct gk_siginfo si = {.signo = SIGXFSZ, .code = SI_USER};
	struct stat st;
	int i;

	if (f->ops->stat(f, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (off >= 0) {
		pos = (uint64_t)off;
	} else if (f->flags & O_APPEND) {
		pos = (uint64_t)st.st_size;
	} else {
		/* The kind keeps the position (a host file's is the host descriptor's). */
		off_t cur = f->ops->llseek(f, 0, SEEK_CUR);

		pos = cur >= 0 ? (uint64_t)cur : (uint64_t)f->pos;
	}
	if (pos >= limit) {
		si.proc.pid = p->tg->gpid;
		si.proc.uid = (uint32_t)p->k->uid;
		gk_sig_send_task(p, &si);
		return -EFBIG;
	}
	room = limit - pos;
	for (i = 0; i < *n; i++) {
		if (sum + (*iov)[i].iov_len > room)
			break;
		sum += (*iov)[i].iov_len;
	}
	if (i == *n)
		return 0;
	*cut = malloc((size_t)(i + 1) * sizeof(**cut));
	if (!*cut)
		return -ENOMEM;
	memcpy(*cut, *iov, (size_t)(i + 1) * sizeof(**cut));
	(*cut)[i].iov_len = room - sum;
	*iov = *cut;
	*n = i + 1;
	return 0;
}

/* gk_file_writev - write host iovecs at off (or the position). Bytes written or -errno. */
long
gk_file_writev(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	struct iovec *cut = NULL;
	long r;

	if (off >= 0 && (f->fmode & GK_FMODE_STREAM))
		return -ESPIPE;
	if (p && p->tg->rlim[RLIMIT_FSIZE].rlim_cur != RLIM_INFINITY) {
		r = fsize_limit(p, f, &iov, &n, off, &cut);
		if (r < 0)
			return r;
	}
	r = f->ops->write(p, f, iov, n, off);
	free(cut);
	if (r > 0 && gk_fsn_active(f->k))
		gk_fsn_file(f, IN_MODIFY);
	return r;
}

/* gk_file_stat - fstat. Returns 0 or a negative errno. */
int
gk_file_stat(struct gk_file *f, struct stat *st)
{
	return f->ops->stat(f, st);
}

/*
 * gk_file_setattr - fchmod, fchown, futimens, ftruncate on f (the caller
 * checked the descriptor), told to inotify watchers. 0 or -errno.
 */
int
gk_file_setattr(struct gk_file *f, const struct gk_iattr *ia)
{
	int err = f->ops->setattr(f, ia);

	if (err == 0 && gk_fsn_active(f->k))
		gk_fsn_file(f, gk_fsn_setattr_mask(ia));
	return err;
}

/*
 * gk_file_getdents - getdents64 into guest [gva, gva+len), at most 64 KiB a
 * call. Returns bytes stored, 0 at the end, -ENOTDIR, -EINVAL (buffer too
 * small), -EFAULT.
 */
long
gk_file_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	long r;

	if (len > 65536)
		len = 65536;
	r = f->ops->getdents(p, f, gva, len);
	if (r >= 0 && gk_fsn_active(f->k))
		gk_fsn_file(f, IN_ACCESS); /* iterate_dir's, even at the end */
	return r;
}

/* gk_file_ioctl - an ioctl the generic layer left to the file. */
long
gk_file_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	return f->ops->ioctl(p, f, cmd, arg);
}

/* ---- defaults ------------------------------------------------------------------------ */

/* No read operation: -EINVAL, as read(2) says of "an object unsuitable for reading". */
long
gk_file_no_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)iov, (void)n, (void)off;
	return -EINVAL;
}

long
gk_file_no_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)iov, (void)n, (void)off;
	return -EINVAL;
}

/* Nothing to wait for: always readable and writable (Linux's DEFAULT_POLLMASK). */
short
gk_file_poll_ready(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	(void)f, (void)reg;
	return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

long
gk_file_no_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	(void)p, (void)f, (void)cmd, (void)arg;
	return -ENOTTY;
}

/* A stream has no position: lseek(2)'s ESPIPE. */
off_t
gk_file_no_llseek(struct gk_file *f, off_t off, int whence)
{
	(void)f, (void)off, (void)whence;
	return -ESPIPE;
}

/*
 * gk_file_llseek_size - lseek on a file of size bytes whose position is
 * f->pos: SEEK_SET, SEEK_CUR, SEEK_END; anything else, or a negative
 * result, is -EINVAL.
 */
off_t
gk_file_llseek_size(struct gk_file *f, off_t off, int whence, off_t size)
{
	switch (whence) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		off += f->pos;
		break;
	case SEEK_END:
		off += size;
		break;
	default:
		return -EINVAL;
	}
	if (off < 0)
		return -EINVAL;
	f->pos = off;
	return off;
}

/* Nothing behind the file to tell about its new flags. */
int
gk_file_setfl(struct gk_file *f, int flags)
{
	(void)f, (void)flags;
	return 0;
}

/* fstat from the stat the file was made with. */
int
gk_file_stat_st(struct gk_file *f, struct stat *st)
{
	*st = f->st;
	return 0;
}

/*
 * No attributes to change: ftruncate(2) is -EINVAL on what is not a
 * regular file; the others are -EROFS, the file being on nothing writable.
 */
int
gk_file_no_setattr(struct gk_file *f, const struct gk_iattr *ia)
{
	(void)f;
	return ia->what == GK_SET_SIZE ? -EINVAL : -EROFS;
}

long
gk_file_no_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	(void)p, (void)f, (void)gva, (void)len;
	return -ENOTDIR;
}

/* mmap(2): "the underlying filesystem of the specified file does not support memory mapping". */
int
gk_file_no_mmap(struct gk_file *f, struct gk_mapfile **ret)
{
	(void)f, (void)ret;
	return -ENODEV;
}

void
gk_file_no_release(struct gk_file *f)
{
	(void)f;
}

/* A directory is read with getdents: read(2)'s EISDIR. */
long
gk_file_dir_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	(void)p, (void)f, (void)iov, (void)n, (void)off;
	return -EISDIR;
}
