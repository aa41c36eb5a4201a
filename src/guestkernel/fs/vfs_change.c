/*
 * vfs_change.c - operations that change the guest's names and attributes:
 * mkdir, mknod, unlink, rmdir, rename, symlink, link, chmod, chown,
 * utimens, truncate.
 *
 * Layer src/guestkernel/fs, beside vfs.c (opens, stats, lookups). Each
 * operation goes to the mount's file system: tmpfs.c, or a host directory
 * here, acted on through its parent opened beneath the mount
 * (gk_host_parent_fd) with *at() calls that never follow the last name.
 * Renames and removals tell the dentry cache (dcache.c), so cwds and
 * dirfds follow; a change that succeeded is told to inotify watchers
 * (fsnotify.c), at no cost while nothing watches.
 *
 * Must not: follow a host path given by the guest with plain open(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

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
	return gk_host_parent_fd(path, ret_base);
}

static int
change_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode)
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
static int
change_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode, unsigned int dev)
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
	fd2 = gk_host_parent_fd(to, &b2);
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
 * change_unlink - unlink(2), or rmdir(2) when rmdir is set. A removed
 * directory's dentry dies: a cwd there gets -ENOENT from getcwd.
 */
static int
change_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
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
 * change_rename - renameat2(2). A renamed directory's dentry moves with it
 * (cwds and dirfds there see the new name); one replaced dies. The new
 * parent's dentry is made before the rename, so the move cannot fail after.
 */
static int
change_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
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

static int
change_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
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

static int
change_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to)
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
	fd1 = gk_host_parent_fd(from, &b1);
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

static int
change_chmod(struct gk_proc *p, struct gk_path *path, mode_t mode, int follow)
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

static int
change_chown(struct gk_proc *p, struct gk_path *path, uid_t uid, gid_t gid, int follow)
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

static int
change_utimens(struct gk_proc *p, struct gk_path *path, const struct timespec *ts, int follow)
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

static int
change_truncate(struct gk_proc *p, struct gk_path *path, off_t len)
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

/* ---- the operations, told to inotify watchers (fsnotify.c) ---------------------------- */

int
gk_vfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, 0, &o);
	err = change_mkdir(p, path, mode);
	if (err == 0)
		gk_fsn_create(p, &o, 1);
	return err;
}

int
gk_vfs_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode, unsigned int dev)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, 0, &o);
	err = change_mknod(p, path, mode, dev);
	if (err == 0)
		gk_fsn_create(p, &o, 0);
	return err;
}

int
gk_vfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, 0, &o);
	err = change_symlink(p, target, path);
	if (err == 0)
		gk_fsn_create(p, &o, 0);
	return err;
}

/*
 * gk_vfs_unlink - unlink(2), or rmdir(2) when rmdir is set. A removed
 * directory's dentry dies: a cwd there gets -ENOENT from getcwd.
 */
int
gk_vfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, 0, &o);
	err = change_unlink(p, path, rmdir);
	if (err == 0)
		gk_fsn_remove(p, &o);
	return err;
}

/*
 * gk_vfs_rename - renameat2(2). A renamed directory's dentry moves with it
 * (cwds and dirfds there see the new name); one replaced dies.
 */
int
gk_vfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
{
	struct gk_fsn_obj o1, o2;
	int err;

	gk_fsn_look(p, from, 0, &o1);
	gk_fsn_look(p, to, 0, &o2);
	err = change_rename(p, from, to, flags);
	if (err == 0)
		gk_fsn_move(p, &o1, &o2, (flags & RENAME_EXCHANGE) != 0);
	return err;
}

int
gk_vfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to)
{
	struct gk_fsn_obj o1, o2;
	int err;

	gk_fsn_look(p, from, 0, &o1);
	gk_fsn_look(p, to, 0, &o2);
	err = change_link(p, from, to);
	if (err == 0)
		gk_fsn_link(p, &o1, &o2);
	return err;
}

int
gk_vfs_chmod(struct gk_proc *p, struct gk_path *path, mode_t mode, int follow)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, follow, &o);
	err = change_chmod(p, path, mode, follow);
	if (err == 0)
		gk_fsn_attrib(p, &o, IN_ATTRIB);
	return err;
}

int
gk_vfs_chown(struct gk_proc *p, struct gk_path *path, uid_t uid, gid_t gid, int follow)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, follow, &o);
	err = change_chown(p, path, uid, gid, follow);
	if (err == 0)
		gk_fsn_attrib(p, &o, IN_ATTRIB);
	return err;
}

int
gk_vfs_utimens(struct gk_proc *p, struct gk_path *path, const struct timespec *ts, int follow)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, follow, &o);
	err = change_utimens(p, path, ts, follow);
	if (err == 0)
		gk_fsn_attrib(p, &o, gk_fsn_times_mask(ts));
	return err;
}

int
gk_vfs_truncate(struct gk_proc *p, struct gk_path *path, off_t len)
{
	struct gk_fsn_obj o;
	int err;

	gk_fsn_look(p, path, 1, &o);
	err = change_truncate(p, path, len);
	if (err == 0)
		gk_fsn_attrib(p, &o, IN_MODIFY);
	return err;
}
