/*
 * vfs.c - the guest's file name space: mounts, path resolution, host files.
 *
 * Layer src/guestkernel/fs, the mechanism under sys_file.c and sys_fs.c.
 * A guest path is first made absolute against the cwd (or a directory fd)
 * and normalized lexically ("..", ".", "//"), then split at the longest
 * matching mount:
 *
 *   /            the --root host directory, read-only
 *   /tmp         the guest's tmpfs, in guest RAM (tmpfs.c)
 *   --bind dirs  host directories, writable
 *   /dev /proc   synthetic (synth.c)
 *
 * Each operation first lets tmpfs resolve the symlinks of its part of the
 * path (gk_tmpfs_settle), since those may lead anywhere in the guest's name
 * space. Inside a host mount every lookup is openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) relative to the mount's directory: "..", absolute
 * symlinks and symlink loops all stay inside it, which is the containment
 * the guest is promised. Operations on the last component (lstat, unlink,
 * rename...) open its parent that way and act on the name with *at() calls
 * that never follow it. Only regular files and directories are opened: a
 * host device or FIFO reached through a symlink in the root is -EACCES.
 *
 * Must not: follow a host path given by the guest with plain open(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

static int
host_openat2(int dirfd, const char *rest, int flags, mode_t mode)
{
	struct open_how how = {
	    /* openat2 refuses O_PATH with any flag O_PATH ignores, O_NOCTTY included. */
	    .flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
	    .mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode & 07777) : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, *rest ? rest : ".", &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int
add_mount(struct gk_kernel *k, const char *gpath, enum gk_mnt_kind kind, const char *host,
	  int writable)
{
	struct gk_mount *m = &k->mounts[k->nmounts];

	m->hfd = -1;
	if (host) {
		m->hfd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (m->hfd < 0)
			return -errno;
	}
	m->gpath = strdup(gpath);
	m->glen = strlen(gpath);
	m->kind = kind;
	m->writable = writable;
	k->nmounts++;
	return 0;
}

/* Lexically normalize path (absolute, or relative to base) into out. */
static int
normalize(const char *base, const char *path, char *out)
{
	size_t len = 0;
	const char *s;
	int pass;

	out[0] = '\0';
	for (pass = path[0] == '/' ? 1 : 0; pass < 2; pass++) {
		s = pass == 0 ? base : path;
		while (*s) {
			const char *e;
			size_t n;

			while (*s == '/')
				s++;
			e = strchrnul(s, '/');
			n = (size_t)(e - s);
			if (n == 0 || (n == 1 && s[0] == '.')) {
				/* nothing */
			} else if (n == 2 && s[0] == '.' && s[1] == '.') {
				while (len > 0 && out[len - 1] != '/')
					len--;
				if (len > 0)
					len--;
				out[len] = '\0';
			} else {
				if (len + 1 + n + 1 > GK_PATH_MAX)
					return -ENAMETOOLONG;
				out[len++] = '/';
				memcpy(out + len, s, n);
				len += n;
				out[len] = '\0';
			}
			s = e;
		}
	}
	if (len == 0)
		strcpy(out, "/");
	return 0;
}

static struct gk_mount *
find_mount(struct gk_kernel *k, const char *gpath, const char **ret_rest)
{
	struct gk_mount *best = NULL;
	int i;

	for (i = 0; i < k->nmounts; i++) {
		struct gk_mount *m = &k->mounts[i];
		size_t n = m->glen;

		if (n == 1)
			n = 0; /* "/" matches every path */
		if (strncmp(gpath, m->gpath, n) != 0 || (gpath[n] != '/' && gpath[n] != '\0'))
			continue;
		/* Later mounts win a tie: a --bind at /tmp replaces the private /tmp. */
		if (!best || m->glen >= best->glen)
			best = m;
	}
	if (!best)
		gk_panic(__func__, "no root mount");
	*ret_rest = gpath + (best->glen == 1 ? 0 : best->glen);
	while (**ret_rest == '/')
		(*ret_rest)++;
	return best;
}

/*
 * gk_path_resolve - make upath (relative to dirfd, AT_FDCWD meaning the
 * cwd) absolute and find its mount. Returns 0, -ENOENT for "", -EBADF or
 * -ENOTDIR for a bad dirfd, -ENAMETOOLONG.
 */
int
gk_path_resolve(struct gk_proc *p, int dirfd, const char *upath, struct gk_path *ret)
{
	const char *base = p->fs->cwd;
	size_t n;
	int err;

	if (upath[0] == '\0')
		return -ENOENT;
	if (upath[0] != '/' && dirfd != AT_FDCWD) {
		struct gk_file *f = gk_fd_get(p, dirfd);

		if (!f)
			return -EBADF;
		if (!f->isdir)
			return -ENOTDIR;
		base = f->gpath;
	}
	err = normalize(base, upath, ret->gpath);
	if (err < 0)
		return err;
	n = strlen(upath);
	ret->must_dir = upath[n - 1] == '/' || (n >= 2 && strcmp(upath + n - 2, "/.") == 0) ||
			(n >= 3 && strcmp(upath + n - 3, "/..") == 0) || strcmp(upath, ".") == 0 ||
			strcmp(upath, "..") == 0;
	ret->mnt = find_mount(p->k, ret->gpath, &ret->rest);
	return 0;
}

/* gk_path_from_user - gk_path_resolve on a guest string; copy (GK_PATH_MAX) gets the string. */
int
gk_path_from_user(struct gk_proc *p, int dirfd, uint64_t gva, struct gk_path *ret, char *copy)
{
	long n = gk_strncpyin(p, copy, gva, GK_PATH_MAX);

	if (n < 0)
		return (int)n;
	return gk_path_resolve(p, dirfd, copy, ret);
}

/* Open the directory holding path's last component; *ret_base is that component. */
static int
parent_fd(struct gk_path *path, const char **ret_base)
{
	const char *slash = strrchr(path->rest, '/');
	char dir[GK_PATH_MAX];

	if (!slash) {
		*ret_base = path->rest[0] ? path->rest : ".";
		return host_openat2(path->mnt->hfd, "", O_PATH | O_DIRECTORY, 0);
	}
	memcpy(dir, path->rest, (size_t)(slash - path->rest));
	dir[slash - path->rest] = '\0';
	*ret_base = slash + 1;
	return host_openat2(path->mnt->hfd, dir, O_PATH | O_DIRECTORY, 0);
}

/* Refuse what a guest must never open on the host: devices, FIFOs, sockets, /proc, /sys. */
static int
check_host_file(int hfd, const struct stat *st)
{
	struct statfs sf;

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode))
		return -EACCES;
	if (fstatfs(hfd, &sf) == 0 && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
				       sf.f_type == DEBUGFS_MAGIC || sf.f_type == TRACEFS_MAGIC))
		return -EACCES;
	return 0;
}

/*
 * gk_vfs_open - open path for the guest with open(2) flags. Returns 0 with
 * a new file (one reference, the caller's) in *ret, or a negative errno:
 * -EROFS for a write outside the writable mounts.
 */
int
gk_vfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
{
	int acc = flags & O_ACCMODE, hflags, hfd, err;
	struct gk_file *f;
	struct stat st;

	err = gk_tmpfs_settle(p, path, !(flags & O_NOFOLLOW));
	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_open(p, path, flags, mode, ret);
	if (path->mnt->kind != GK_MNT_HOST)
		return gk_synth_open(p, path, flags, ret);
	/* O_PATH ignores every flag but these (open(2)); openat2 refuses the others. */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	hflags = flags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY |
			  O_NOFOLLOW | O_PATH | O_TMPFILE | O_NOATIME | O_DSYNC | O_SYNC);
	if (!path->mnt->writable && !(flags & O_PATH)) {
		if (acc != O_RDONLY || (flags & O_TRUNC) || (flags & O_TMPFILE) == O_TMPFILE)
			return -EROFS;
		if (flags & O_CREAT) {
			hflags &= ~(O_CREAT | O_EXCL);
			hfd = host_openat2(path->mnt->hfd, path->rest, hflags | O_NONBLOCK, 0);
			if (hfd == -ENOENT)
				return -EROFS;
			if (hfd >= 0)
				close(hfd);
		}
	}
	err = gk_hostfd_room(p->k);
	if (err < 0)
		return err;
	/*
	 * O_NONBLOCK so that a FIFO cannot hang the tracer before we refuse
	 * it; an O_PATH open opens nothing, and openat2 refuses it the flag.
	 */
	hfd = host_openat2(path->mnt->hfd, path->rest, hflags | ((flags & O_PATH) ? 0 : O_NONBLOCK),
			   mode & ~p->fs->umask);
	if (hfd < 0)
		return hfd;
	if (fstat(hfd, &st) < 0 || (err = check_host_file(hfd, &st)) < 0) {
		close(hfd);
		return -EACCES;
	}
	if (!(flags & O_NONBLOCK) && !(flags & O_PATH))
		fcntl(hfd, F_SETFL, fcntl(hfd, F_GETFL) & ~O_NONBLOCK);
	f = gk_file_new(p->k, S_ISDIR(st.st_mode) ? &gk_hostdir_ops : &gk_hostfile_ops, hfd,
			gk_file_open_flags(flags), path->gpath);
	if (!f) {
		close(hfd);
		return -ENOMEM;
	}
	f->mnt = path->mnt;
	f->isdir = S_ISDIR(st.st_mode);
	*ret = f;
	return 0;
}

/*
 * gk_vfs_open_exec - a host descriptor to read an executable from. Returns
 * it, or -ENOENT, -EACCES (a directory, not regular, no execute bit), ...
 */
int
gk_vfs_open_exec(struct gk_proc *p, struct gk_path *path, int *ret_hfd)
{
	struct stat st;
	int hfd, err = gk_tmpfs_settle(p, path, 1);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_exec_fd(p, path, ret_hfd);
	if (path->mnt->kind != GK_MNT_HOST) {
		err = gk_synth_stat(p, path, 1, &st);
		return err < 0 ? err : -EACCES;
	}
	hfd = host_openat2(path->mnt->hfd, path->rest, O_RDONLY | O_NONBLOCK, 0);
	if (hfd < 0)
		return hfd;
	if (fstat(hfd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111) ||
	    check_host_file(hfd, &st) < 0) {
		close(hfd);
		return -EACCES;
	}
	fcntl(hfd, F_SETFL, 0);
	*ret_hfd = hfd;
	return 0;
}

/* gk_vfs_stat - stat or (follow 0) lstat. Returns 0 or a negative errno. */
int
gk_vfs_stat(struct gk_proc *p, struct gk_path *path, int follow, struct stat *st)
{
	const char *base;
	int fd, err = 0;

	if (path->must_dir)
		follow = 1;
	err = gk_tmpfs_settle(p, path, follow);
	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS) {
		err = gk_tmpfs_stat(p, path, st);
		return err == 0 && path->must_dir && !S_ISDIR(st->st_mode) ? -ENOTDIR : err;
	}
	if (path->mnt->kind != GK_MNT_HOST) {
		err = gk_synth_stat(p, path, follow, st);
		return err == 0 && path->must_dir && !S_ISDIR(st->st_mode) ? -ENOTDIR : err;
	}
	if (follow) {
		fd = host_openat2(path->mnt->hfd, path->rest, O_PATH, 0);
		if (fd < 0)
			return fd;
		if (fstat(fd, st) < 0)
			err = -errno;
		else if (path->must_dir && !S_ISDIR(st->st_mode))
			err = -ENOTDIR;
	} else {
		fd = parent_fd(path, &base);
		if (fd < 0)
			return fd;
		if (fstatat(fd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
	}
	close(fd);
	return err;
}

/* gk_vfs_readlink - the target of a symbolic link, not NUL-terminated. Returns its length. */
long
gk_vfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size)
{
	const char *base;
	long n;
	int fd = gk_tmpfs_settle(p, path, 0);

	if (fd < 0)
		return fd;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_readlink(p, path, buf, size);
	if (path->mnt->kind != GK_MNT_HOST)
		return gk_synth_readlink(p, path, buf, size);
	fd = parent_fd(path, &base);
	if (fd < 0)
		return fd;
	n = readlinkat(fd, base, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

/* gk_vfs_access - access(2) as the host's user; W_OK outside a writable mount is -EROFS. */
int
gk_vfs_access(struct gk_proc *p, struct gk_path *path, int mode, int follow)
{
	struct stat st;
	int fd, err;

	err = gk_vfs_stat(p, path, follow, &st);
	if (err < 0 || mode == F_OK)
		return err;
	if ((mode & W_OK) && !path->mnt->writable) {
		if (path->mnt->kind == GK_MNT_DEV && S_ISCHR(st.st_mode))
			return 0;
		return -EROFS;
	}
	if (path->mnt->kind != GK_MNT_HOST)
		return (mode & X_OK) && !(st.st_mode & 0111) ? -EACCES : 0;
	fd = host_openat2(path->mnt->hfd, path->rest, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd < 0)
		return fd;
	err = syscall(SYS_faccessat2, fd, "", mode, AT_EMPTY_PATH | AT_EACCESS) < 0 ? -errno : 0;
	close(fd);
	return err;
}

/*
 * The parent of path, for a change: -EROFS unless it lies in a writable host
 * mount. As in Linux, the name's existence is judged first: creating what
 * exists is -EEXIST (mkdir -p walks through "/"), removing what does not is
 * -ENOENT, even on a read-only mount.
 */
static int
writable_parent(struct gk_proc *p, struct gk_path *path, int create, const char **ret_base)
{
	if (path->mnt->kind != GK_MNT_HOST || !path->mnt->writable) {
		struct stat st;
		int err = gk_vfs_stat(p, path, 0, &st);

		if (create && err == 0)
			return -EEXIST;
		if (!create && err == -ENOENT)
			return -ENOENT;
		return -EROFS;
	}
	return parent_fd(path, ret_base);
}

int
gk_vfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode)
{
	const char *base;
	int fd, err = gk_tmpfs_settle(p, path, 0);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_mkdir(p, path, mode);
	fd = writable_parent(p, path, 1, &base);
	if (fd < 0)
		return fd;
	if (mkdirat(fd, base, mode & ~p->fs->umask & 07777) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
{
	const char *base;
	int fd, err = 0;

	err = gk_tmpfs_settle(p, path, 0);
	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_unlink(p, path, rmdir);
	if (path->rest[0] == '\0')
		return -EBUSY;
	fd = writable_parent(p, path, 0, &base);
	if (fd < 0)
		return fd;
	if (unlinkat(fd, base, rmdir ? AT_REMOVEDIR : 0) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
{
	const char *b1, *b2;
	int fd1, fd2, err = 0;

	if ((err = gk_tmpfs_settle(p, from, 0)) < 0 || (err = gk_tmpfs_settle(p, to, 0)) < 0)
		return err;
	if (from->mnt == to->mnt && from->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_rename(p, from, to, flags);
	if (from->rest[0] == '\0' || to->rest[0] == '\0')
		return -EBUSY;
	/* Linux compares the mounts before it asks for write access: EXDEV, not EROFS. */
	if (from->mnt != to->mnt)
		return -EXDEV;
	fd1 = writable_parent(p, from, 0, &b1);
	if (fd1 < 0)
		return fd1;
	fd2 = parent_fd(to, &b2);
	if (fd2 < 0) {
		close(fd1);
		return fd2;
	}
	if (syscall(SYS_renameat2, fd1, b1, fd2, b2, flags) < 0)
		err = -errno;
	close(fd1);
	close(fd2);
	return err;
}

int
gk_vfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
{
	const char *base;
	int fd, err = gk_tmpfs_settle(p, path, 0);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_symlink(p, target, path);
	fd = writable_parent(p, path, 1, &base);
	if (fd < 0)
		return fd;
	if (symlinkat(target, fd, base) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to)
{
	const char *b1, *b2;
	int fd1, fd2, err = 0;

	if ((err = gk_tmpfs_settle(p, from, 0)) < 0 || (err = gk_tmpfs_settle(p, to, 0)) < 0)
		return err;
	if (from->mnt == to->mnt && from->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_link(p, from, to);
	if (from->mnt != to->mnt) {
		struct stat st;

		/*
		 * Linux's order: the old name must exist, the new one must
		 * not, the new one's mount must be writable, and only then
		 * are the mounts compared.
		 */
		if ((err = gk_vfs_stat(p, from, 0, &st)) < 0)
			return err;
		err = gk_vfs_stat(p, to, 0, &st);
		if (err == 0)
			return -EEXIST;
		if (err != -ENOENT)
			return err;
		return to->mnt->writable ? -EXDEV : -EROFS;
	}
	fd2 = writable_parent(p, to, 1, &b2);
	if (fd2 < 0)
		return fd2;
	fd1 = parent_fd(from, &b1);
	if (fd1 < 0) {
		close(fd2);
		return fd1;
	}
	if (linkat(fd1, b1, fd2, b2, 0) < 0)
		err = -errno;
	close(fd1);
	close(fd2);
	return err;
}

/*
 * Open path as O_PATH in a writable mount (following symlinks or not) and
 * name it through the tracer's own /proc/self/fd, for the calls that have
 * no AT_EMPTY_PATH form. The descriptor is already resolved inside the
 * mount, so the host name refers to nothing else.
 */
static int
writable_target(struct gk_path *path, int follow, char *name)
{
	int fd;

	if (path->mnt->kind != GK_MNT_HOST || !path->mnt->writable)
		return -EROFS;
	fd = host_openat2(path->mnt->hfd, path->rest, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd >= 0)
		snprintf(name, 64, "/proc/self/fd/%d", fd);
	return fd;
}

int
gk_vfs_chmod(struct gk_proc *p, struct gk_path *path, mode_t mode, int follow)
{
	char name[64];
	int fd, err = gk_tmpfs_settle(p, path, follow);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_setattr(p, path, GK_SET_MODE, mode, 0, 0, NULL, 0);
	fd = writable_target(path, follow, name);
	if (fd < 0)
		return fd;
	err = 0;
	if (chmod(name, mode & 07777) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_chown(struct gk_proc *p, struct gk_path *path, uid_t uid, gid_t gid, int follow)
{
	char name[64];
	int fd, err = gk_tmpfs_settle(p, path, follow);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_setattr(p, path, GK_SET_OWNER, 0, uid, gid, NULL, 0);
	fd = writable_target(path, follow, name);
	if (fd < 0)
		return fd;
	err = 0;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_utimens(struct gk_proc *p, struct gk_path *path, const struct timespec *ts, int follow)
{
	char name[64];
	int fd, err = gk_tmpfs_settle(p, path, follow);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_setattr(p, path, GK_SET_TIMES, 0, 0, 0, ts, 0);
	fd = writable_target(path, follow, name);
	if (fd < 0)
		return fd;
	err = 0;
	if (utimensat(AT_FDCWD, name, ts, 0) < 0)
		err = -errno;
	close(fd);
	return err;
}

int
gk_vfs_truncate(struct gk_proc *p, struct gk_path *path, off_t len)
{
	char name[64];
	int fd, err = gk_tmpfs_settle(p, path, 1);

	if (err < 0)
		return err;
	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_setattr(p, path, GK_SET_SIZE, 0, 0, 0, NULL, len);
	fd = writable_target(path, 1, name);
	if (fd < 0)
		return fd;
	err = 0;
	if (truncate(name, len) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * gk_vfs_init - the mounts of cfg. Makes the private /tmp directory.
 * Returns 0, or a negative errno with a message on stderr.
 */
int
gk_vfs_init(struct gk_kernel *k, const struct gk_config *cfg)
{
	struct stat st;
	int err, i;

	k->mounts = calloc(GK_MAX_MOUNTS, sizeof(*k->mounts));
	if (!k->mounts) {
		fprintf(stderr, "uvk: out of memory\n");
		return -ENOMEM;
	}
	err = add_mount(k, "/", GK_MNT_HOST, cfg->root, 0);
	if (err < 0) {
		fprintf(stderr, "uvk: cannot use root %s: %s\n", cfg->root, strerror(-err));
		return err;
	}
	err = gk_tmpfs_init(k);
	if (err < 0) {
		fprintf(stderr, "uvk: cannot make the guest /tmp: %s\n", strerror(-err));
		return err;
	}
	k->tmp_mnt = &k->mounts[k->nmounts];
	add_mount(k, "/tmp", GK_MNT_TMPFS, NULL, 1);
	add_mount(k, "/dev", GK_MNT_DEV, NULL, 0);
	add_mount(k, "/proc", GK_MNT_PROC, NULL, 0);
	for (i = 0; i < cfg->nbinds; i++) {
		char gpath[GK_PATH_MAX];

		if (normalize("/", cfg->binds[i].guest, gpath) < 0 ||
		    stat(cfg->binds[i].host, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "uvk: cannot bind %s: not a directory\n",
				cfg->binds[i].host);
			return -ENOTDIR;
		}
		err = add_mount(k, gpath, GK_MNT_HOST, cfg->binds[i].host, 1);
		if (err < 0) {
			fprintf(stderr, "uvk: cannot bind %s: %s\n", cfg->binds[i].host,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* gk_vfs_fini - close the mounts and remove the private /tmp with everything in it. */
void
gk_vfs_fini(struct gk_kernel *k)
{
	int i;

	for (i = 0; i < k->nmounts; i++) {
		if (k->mounts[i].hfd >= 0)
			close(k->mounts[i].hfd);
		free(k->mounts[i].gpath);
	}
	k->nmounts = 0;
	free(k->mounts);
	k->mounts = NULL;
	gk_tmpfs_fini(k);
}
