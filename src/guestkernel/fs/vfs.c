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
 * The operations that change names and attributes are in vfs_change.c.
 *
 * Must not: follow a host path given by the guest with plain open(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
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

/*
 * gk_host_parent_fd - open (O_PATH) the host directory holding path's last
 * component, beneath the mount; *ret_base is that component. Returns the
 * descriptor (the caller closes it) or a negative errno.
 */
int
gk_host_parent_fd(struct gk_path *path, const char **ret_base)
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
 * vfs_open - the open itself (gk_vfs_open tells watchers). Returns 0 with
 * a new file (one reference, the caller's) in *ret, or a negative errno:
 * -EROFS for a write outside the writable mounts. A directory holds its
 * dentry, so that it stays a dirfd for the same directory after renames.
 */
static int
vfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
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
		return err < 0 ? err : vfs_open(p, path, flags, mode, ret);
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
 * gk_vfs_open - open path for the guest with open(2) flags. Returns 0 with
 * a new file (one reference, the caller's) in *ret, or a negative errno.
 * Watchers (fsnotify.c) see IN_CREATE for a file O_CREAT made, IN_OPEN,
 * and IN_MODIFY for an O_TRUNC of one that existed, in Linux's order.
 */
int
gk_vfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
{
	struct gk_fsn_obj o = {.ok = 0};
	int err;

	if ((flags & (O_CREAT | O_TRUNC)) && !(flags & O_PATH))
		gk_fsn_look(p, path, !(flags & (O_NOFOLLOW | O_EXCL)), &o);
	err = vfs_open(p, path, flags, mode, ret);
	if (err < 0 || !gk_fsn_active(p->k) || (flags & O_PATH))
		return err;
	if ((flags & O_CREAT) && o.ok && !o.have)
		gk_fsn_create(p, &o, 0);
	gk_fsn_file(*ret, IN_OPEN);
	if ((flags & O_TRUNC) && o.ok && o.have && !o.isdir)
		gk_fsn_file(*ret, IN_MODIFY);
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
		fd = gk_host_parent_fd(path, &base);
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
	fd = gk_host_parent_fd(path, &base);
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
