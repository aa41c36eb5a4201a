/*
 * vfs.c - operations on guest path names: open, stat, mkdir, rename...
 *
 * Layer src/guestkernel/fs, the mechanism under sys_file.c and sys_fs.c.
 * gk_path_resolve runs the walker (namei.c) for a process's call, from its
 * cwd or a dirfd's dentry. A path arrives from the walker: canonical, every symlink on
 * the way resolved in the guest's name space, split at its mount (mount.c),
 * with a base directory. Each operation goes to the mount's file system:
 * tmpfs.c, synth.c, or a host directory here. A host file is opened with
 * gk_host_openat2 beneath the base, through no symlink; operations on the
 * last component (lstat, unlink, rename...) open its parent that way and
 * act on the name with *at() calls that never follow it. Only regular
 * files and directories are opened: a host device or FIFO is -EACCES.
 * Renames and removals tell the dentry cache (dcache.c), so cwds and
 * dirfds follow.
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

/*
 * gk_path_settle - a GK_LOOKUP_LAZY result whose operation met a host
 * symlink (-ELOOP): walk its name again, checking every host name, into
 * path. Returns 0 (the operation dispatches again: path may now be on
 * another mount) or a walk error; -ELOOP when path was not lazy.
 */
int
gk_path_settle(struct gk_proc *p, struct gk_path *path)
{
	struct gk_dentry *start = path->start;
	const char *name = path->name;

	int flags = path->flags;

	if (!path->lazy)
		return -ELOOP;
	/*
	 * The first time, names are checked one by one up to the first link
	 * (the common case, /lib -> usr/lib) and lazily after it; if the call
	 * meets another link, the second walk checks everything. Three walks
	 * a call at most, whatever the guest's links.
	 */
	if (flags & GK_LOOKUP_ONELINK)
		flags &= ~(GK_LOOKUP_ONELINK | GK_LOOKUP_LAZY);
	else
		flags |= GK_LOOKUP_ONELINK;
	return gk_walk(p->k, p, start, name, flags, path);
}

/*
 * gk_path_resolve - walk upath relative to dirfd (AT_FDCWD: the cwd) for
 * p. Returns 0, -ENOENT for "", -EBADF or -ENOTDIR for a bad dirfd, or a
 * walk error (gk_walk).
 */
int
gk_path_resolve(struct gk_proc *p, int dirfd, const char *upath, int flags, struct gk_path *ret)
{
	struct gk_dentry *start = p->fs->cwd;

	if (upath[0] == '\0')
		return -ENOENT;
	if (upath[0] != '/' && dirfd != AT_FDCWD) {
		struct gk_file *f = gk_fd_get(p, dirfd);

		if (!f)
			return -EBADF;
		if (!f->isdir || !f->dentry)
			return -ENOTDIR;
		start = f->dentry;
	}
	return gk_walk(p->k, p, start, upath, flags, ret);
}

/* gk_path_from_user - gk_path_resolve on a guest string; copy (GK_PATH_MAX) gets the string. */
int
gk_path_from_user(struct gk_proc *p, int dirfd, uint64_t gva, int flags, struct gk_path *ret,
		  char *copy)
{
	long n = gk_strncpyin(p, copy, gva, GK_PATH_MAX);

	if (n < 0)
		return (int)n;
	return gk_path_resolve(p, dirfd, copy, flags, ret);
}

/* Open the directory holding path's last component; *ret_base is that component. */
static int
parent_fd(struct gk_path *path, const char **ret_base)
{
	const char *slash = strrchr(path->rest, '/');
	char dir[GK_PATH_MAX];

	if (!slash) {
		*ret_base = path->rest[0] ? path->rest : ".";
		return gk_host_openat2(path->hbase, "", O_PATH | O_DIRECTORY, 0);
	}
	memcpy(dir, path->rest, (size_t)(slash - path->rest));
	dir[slash - path->rest] = '\0';
	*ret_base = slash + 1;
	return gk_host_openat2(path->hbase, dir, O_PATH | O_DIRECTORY, 0);
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

/* A host file or directory for gk_vfs_open. */
static int
host_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
{
	int acc = flags & O_ACCMODE, hflags, hfd, err;
	struct gk_file *f;
	struct stat st;

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
			hfd = gk_host_openat2(path->hbase, path->rest, hflags | O_NONBLOCK, 0);
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
	hfd = gk_host_openat2(path->hbase, path->rest, hflags | ((flags & O_PATH) ? 0 : O_NONBLOCK),
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
 * gk_vfs_open - open path for the guest with open(2) flags. Returns 0 with
 * a new file (one reference, the caller's) in *ret, or a negative errno:
 * -EROFS for a write outside the writable mounts. A directory holds its
 * dentry, so that it stays a dirfd for the same directory after renames.
 */
int
gk_vfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
{
	struct gk_file *f;
	int err;

	if (path->must_dir) {
		/* "name/": a directory, never a file made by O_CREAT (open(2), EISDIR). */
		if ((flags & O_CREAT) && !(flags & O_PATH))
			return -EISDIR;
		flags |= O_DIRECTORY;
	}
	while (path->lazy && !path->mnt->writable &&
	       ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_TMPFILE)))) {
		/* EROFS is judged before any lookup: know first that no link leads elsewhere. */
		err = gk_path_settle(p, path);
		if (err < 0)
			return err;
	}
	if (path->mnt->kind == GK_MNT_TMPFS)
		err = gk_tmpfs_open(p, path, flags, mode, &f);
	else if (path->mnt->kind != GK_MNT_HOST)
		err = gk_synth_open(p, path, flags, &f);
	else
		err = host_open(p, path, flags, mode, &f);
	if (err == -ELOOP && path->lazy) {
		/* A host symlink the lazy walk did not check: walk again and open what it names. */
		err = gk_path_settle(p, path);
		return err < 0 ? err : gk_vfs_open(p, path, flags, mode, ret);
	}
	if (err < 0)
		return err;
	if (f->isdir && !f->dentry && strcmp(f->gpath, path->gpath) == 0) {
		err = gk_dentry_at(p->k, path, &f->dentry);
		if (err < 0) {
			gk_file_unref(f);
			return err;
		}
	}
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
	int hfd, err;

	if (path->mnt->kind == GK_MNT_TMPFS)
		return gk_tmpfs_exec_fd(p, path, ret_hfd);
	if (path->mnt->kind != GK_MNT_HOST) {
		err = gk_synth_stat(p, path, 1, &st);
		return err < 0 ? err : -EACCES;
	}
	hfd = gk_host_openat2(path->hbase, path->rest, O_RDONLY | O_NONBLOCK, 0);
	if (hfd == -ELOOP && path->lazy) {
		err = gk_path_settle(p, path);
		return err < 0 ? err : gk_vfs_open_exec(p, path, ret_hfd);
	}
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
	if (path->mnt->kind == GK_MNT_TMPFS) {
		err = gk_tmpfs_stat(p, path, st);
		return err == 0 && path->must_dir && !S_ISDIR(st->st_mode) ? -ENOTDIR : err;
	}
	if (path->mnt->kind != GK_MNT_HOST) {
		err = gk_synth_stat(p, path, follow, st);
		return err == 0 && path->must_dir && !S_ISDIR(st->st_mode) ? -ENOTDIR : err;
	}
	if (follow) {
		fd = gk_host_openat2(path->hbase, path->rest, O_PATH, 0);
		if (fd == -ELOOP && path->lazy)
			goto settle;
		if (fd < 0)
			return fd;
		if (fstat(fd, st) < 0)
			err = -errno;
		else if (path->must_dir && !S_ISDIR(st->st_mode))
			err = -ENOTDIR;
	} else {
		fd = parent_fd(path, &base);
		if (fd == -ELOOP && path->lazy)
			goto settle;
		if (fd < 0)
			return fd;
		if (fstatat(fd, base, st, AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
	}
	close(fd);
	return err;
settle:
	/* A host symlink the lazy walk did not check: walk again, then stat what it names. */
	err = gk_path_settle(p, path);
	return err < 0 ? err : gk_vfs_stat(p, path, follow, st);
}

/* gk_vfs_readlink - the target of a symbolic link, not NUL-terminated. Returns its length. */
long
gk_vfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size)
{
	const char *base;
	long n;
	int fd;

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
	fd = gk_host_openat2(path->hbase, path->rest, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
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
	int fd, err = 0;

	if (path->last_type != GK_LAST_NORM)
		return -EEXIST; /* Linux's filename_create */
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

/*
 * gk_vfs_mknod - mknod(2): a regular file (type 0 or S_IFREG), a FIFO or a
 * socket node in /tmp. Device nodes are -EPERM, as for a user without
 * CAP_MKNOD (the guest has no devices to name); a directory is -EPERM and
 * another type -EINVAL, as may_mknod says. Writable host binds take a
 * socket node, the rest -EPERM for now; elsewhere -EROFS (or -EEXIST).
 */
int
gk_vfs_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode, unsigned int dev)
{
	const char *base;
	int fd, err;

	(void)dev; /* only a device node reads it */
	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG;
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	if (path->last_type != GK_LAST_NORM)
		return -EEXIST; /* Linux's filename_create */
	if (path->mnt->kind == GK_MNT_TMPFS) {
		struct stat st;

		if (S_ISCHR(mode) || S_ISBLK(mode)) {
			err = gk_tmpfs_stat(p, path, &st);
			return err == 0 ? -EEXIST : err == -ENOENT ? -EPERM : err;
		}
		return gk_tmpfs_mknod(p, path, mode);
	}
	fd = writable_parent(p, path, 1, &base);
	if (fd < 0)
		return fd;
	/* A socket inode (net/'s AF_UNIX bind) is one on the host too; the rest -EPERM for now. */
	err = !S_ISSOCK(mode) ? -EPERM : mknodat(fd, base, mode, 0) < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int
fs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
{
	const char *base;
	int fd, err = 0;

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

static int
fs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
{
	const char *b1, *b2;
	int fd1, fd2, err = 0;

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

/*
 * gk_vfs_unlink - unlink(2), or rmdir(2) when rmdir is set. A removed
 * directory's dentry dies: a cwd there gets -ENOENT from getcwd.
 */
int
gk_vfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
{
	int err;

	/* Linux's do_rmdir and do_unlinkat on a last name that is not a name. */
	if (path->last_type != GK_LAST_NORM) {
		if (!rmdir)
			return -EISDIR;
		return path->last_type == GK_LAST_DOT	   ? -EINVAL
		       : path->last_type == GK_LAST_DOTDOT ? -ENOTEMPTY
							   : -EBUSY;
	}
	err = fs_unlink(p, path, rmdir);
	if (err == 0 && rmdir)
		gk_dcache_kill(p->k, path->gpath);
	return err;
}

/*
 * gk_vfs_rename - renameat2(2). A renamed directory's dentry moves with it
 * (cwds and dirfds there see the new name); one replaced dies. The new
 * parent's dentry is made before the rename, so the move cannot fail after.
 */
int
gk_vfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
{
	struct gk_dentry *d1, *d2 = NULL, *np1 = NULL, *np2 = NULL;
	int err = 0;

	if (from->last_type != GK_LAST_NORM || to->last_type != GK_LAST_NORM)
		return -EBUSY;
	d1 = gk_dcache_find(p->k, from->gpath);
	if (flags & RENAME_EXCHANGE)
		d2 = gk_dcache_find(p->k, to->gpath);
	if ((d1 && (err = gk_dcache_prepare_move(p->k, to->gpath, &np1)) < 0) ||
	    (d2 && (err = gk_dcache_prepare_move(p->k, from->gpath, &np2)) < 0))
		goto out;
	err = fs_rename(p, from, to, flags);
	if (err < 0 || strcmp(from->gpath, to->gpath) == 0)
		goto out;
	if (!(flags & RENAME_EXCHANGE))
		gk_dcache_kill(p->k, to->gpath);
	if (d1)
		gk_dcache_move(d1, np1, to->gpath);
	if (d2)
		gk_dcache_move(d2, np2, from->gpath);
out:
	gk_dentry_put(np1);
	gk_dentry_put(np2);
	gk_dentry_put(d1);
	gk_dentry_put(d2);
	return err;
}

int
gk_vfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
{
	const char *base;
	int fd, err = 0;

	if (path->last_type != GK_LAST_NORM)
		return -EEXIST; /* Linux's filename_create */
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
	fd = gk_host_openat2(path->hbase, path->rest, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd >= 0)
		snprintf(name, 64, "/proc/self/fd/%d", fd);
	return fd;
}

int
gk_vfs_chmod(struct gk_proc *p, struct gk_path *path, mode_t mode, int follow)
{
	char name[64];
	int fd, err = 0;

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
	int fd, err = 0;

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
	int fd, err = 0;

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
	int fd, err = 0;

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
