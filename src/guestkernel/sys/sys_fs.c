/*
 * sys_fs.c - syscalls on path names: stat, access, readlink, mkdir, unlink,
 * rename, link, chmod, utimensat, truncate, getcwd, chdir, umask, statfs.
 *
 * Layer src/guestkernel/sys. Argument checking only: every name is copied in
 * and walked with gk_path_from_user (fs/namei.c), the work is vfs.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/stat.h>

#include "sys.h"

/*
 * PATH_ARG - copy in and walk a guest path name into a struct gk_path
 * called path, following a symlink as its last component if follow,
 * returning the error from the handler if that fails. It declares
 * variables, so it stands where declarations may.
 */
#define PATH_ARG(dirfd, gva, path, follow)                                                         \
	PATH_ARG_HOW(dirfd, gva, path, (follow) ? GK_LOOKUP_FOLLOW : 0)

/* PATH_ARG with gk_path_resolve's flags: GK_LOOKUP_LAZY for the calls that settle (vfs.c). */
#define STAT_HOW(follow) (((follow) ? GK_LOOKUP_FOLLOW : 0) | GK_LOOKUP_LAZY | GK_LOOKUP_SLASH)
#define PATH_ARG_HOW(dirfd, gva, path, how)                                                        \
	char copy_##path[GK_PATH_MAX];                                                             \
	struct gk_path path;                                                                       \
	int err_##path = gk_path_from_user(p, (dirfd), (gva), (how), &path, copy_##path);          \
	if (err_##path < 0)                                                                        \
	return err_##path

static long
stat_out(struct gk_proc *p, int err, const struct stat *st, uint64_t gva)
{
	return err < 0 ? err : gk_copyout(p, gva, st, sizeof(*st));
}

/* The AT_EMPTY_PATH form: stat of the descriptor itself. */
static int
empty_path(struct gk_proc *p, int dirfd, uint64_t gva, int flags, struct stat *st)
{
	struct gk_file *f;
	char c;

	if (!(flags & AT_EMPTY_PATH) || gk_copyin(p, &c, gva, 1) < 0 || c != '\0')
		return 0;
	if (dirfd == AT_FDCWD) {
		struct gk_path path;
		int err = gk_path_resolve(p, AT_FDCWD, ".", GK_LOOKUP_FOLLOW, &path);

		return err < 0 ? err : (gk_vfs_stat(p, &path, 1, st) < 0 ? -ENOENT : 1);
	}
	f = gk_fd_get(p, dirfd);
	if (!f)
		return -EBADF;
	return gk_file_stat(f, st) < 0 ? -EBADF : 1;
}

GK_SYS(stat)
{
	struct stat st;
	PATH_ARG_HOW(AT_FDCWD, gk_arg_ptr(a, 0), path, STAT_HOW(1));

	return stat_out(p, gk_vfs_stat(p, &path, 1, &st), &st, gk_arg_ptr(a, 1));
}

GK_SYS(lstat)
{
	struct stat st;
	PATH_ARG_HOW(AT_FDCWD, gk_arg_ptr(a, 0), path, STAT_HOW(0));

	return stat_out(p, gk_vfs_stat(p, &path, 0, &st), &st, gk_arg_ptr(a, 1));
}

GK_SYS(newfstatat)
{
	struct stat st;
	int r = empty_path(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 3), &st);

	if (r != 0)
		return r < 0 ? r : stat_out(p, 0, &st, gk_arg_ptr(a, 2));
	PATH_ARG_HOW(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path,
		     STAT_HOW(!(gk_arg_int(a, 3) & AT_SYMLINK_NOFOLLOW)));
	return stat_out(p, gk_vfs_stat(p, &path, !(gk_arg_int(a, 3) & AT_SYMLINK_NOFOLLOW), &st),
			&st, gk_arg_ptr(a, 2));
}

GK_SYS(statx)
{
	struct statx sx;
	struct stat st;
	int r = empty_path(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), (int)gk_arg_uint(a, 2), &st);

	if (r == 0) {
		PATH_ARG_HOW(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path,
			     STAT_HOW(!(gk_arg_uint(a, 2) & AT_SYMLINK_NOFOLLOW)));
		r = gk_vfs_stat(p, &path, !(gk_arg_uint(a, 2) & AT_SYMLINK_NOFOLLOW), &st);
	}
	if (r < 0)
		return r;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	return gk_copyout(p, gk_arg_ptr(a, 4), &sx, sizeof(sx));
}

static long
do_access(struct gk_proc *p, int dirfd, uint64_t gva, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	PATH_ARG_HOW(dirfd, gva, path,
		     (flags & AT_SYMLINK_NOFOLLOW ? 0 : GK_LOOKUP_FOLLOW) | GK_LOOKUP_SLASH);
	return gk_vfs_access(p, &path, mode, !(flags & AT_SYMLINK_NOFOLLOW));
}

GK_SYS(access)
{
	return do_access(p, AT_FDCWD, gk_arg_ptr(a, 0), gk_arg_int(a, 1), 0);
}

GK_SYS(faccessat)
{
	return do_access(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 2), 0);
}

GK_SYS(faccessat2)
{
	return do_access(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 2), gk_arg_int(a, 3));
}

static long
do_readlink(struct gk_proc *p, int dirfd, uint64_t gva, uint64_t buf, int size)
{
	char target[GK_PATH_MAX];
	long n;

	if (size <= 0)
		return -EINVAL;
	PATH_ARG_HOW(dirfd, gva, path, GK_LOOKUP_SLASH); /* "link/" is its target: EINVAL */
	n = gk_vfs_readlink(p, &path, target, sizeof(target));
	if (n < 0)
		return n;
	if (n > size)
		n = size;
	return gk_copyout(p, buf, target, (size_t)n) < 0 ? -EFAULT : n;
}

GK_SYS(readlink)
{
	return do_readlink(p, AT_FDCWD, gk_arg_ptr(a, 0), gk_arg_ptr(a, 1), gk_arg_int(a, 2));
}

GK_SYS(readlinkat)
{
	return do_readlink(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_ptr(a, 2),
			   gk_arg_int(a, 3));
}

/*
 * getcwd: the names of the cwd's dentry up to the root, so a renamed cwd
 * says its new name; a removed one is -ENOENT (getcwd(3)).
 */
GK_SYS(getcwd)
{
	char buf[GK_PATH_MAX];
	long n;

	if (p->fs->cwd->dead)
		return -ENOENT;
	n = gk_dentry_path(p->fs->cwd, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (gk_arg_ulong(a, 1) < (uint64_t)n + 1)
		return -ERANGE;
	return gk_copyout(p, gk_arg_ptr(a, 0), buf, (size_t)n + 1) < 0 ? -EFAULT : n + 1;
}

GK_SYS(chdir)
{
	struct gk_dentry *d;
	struct stat st;
	int err;
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 1);

	err = gk_vfs_stat(p, &path, 1, &st);
	if (err < 0)
		return err;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	err = gk_dentry_at(p->k, &path, &d);
	if (err < 0)
		return err;
	gk_dentry_put(p->fs->cwd);
	p->fs->cwd = d;
	return 0;
}

GK_SYS(mkdir)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 0);
	return gk_vfs_mkdir(p, &path, gk_arg_mode(a, 1));
}

GK_SYS(mkdirat)
{
	PATH_ARG(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path, 0);
	return gk_vfs_mkdir(p, &path, gk_arg_mode(a, 2));
}

GK_SYS(mknod)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 0);
	return gk_vfs_mknod(p, &path, gk_arg_mode(a, 1), gk_arg_uint(a, 2));
}

GK_SYS(mknodat)
{
	PATH_ARG(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path, 0);
	return gk_vfs_mknod(p, &path, gk_arg_mode(a, 2), gk_arg_uint(a, 3));
}

GK_SYS(unlink)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 0);
	return gk_vfs_unlink(p, &path, 0);
}

GK_SYS(rmdir)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 0);
	return gk_vfs_unlink(p, &path, 1);
}

GK_SYS(unlinkat)
{
	int flag = gk_arg_int(a, 2);

	if (flag & ~AT_REMOVEDIR)
		return -EINVAL;
	PATH_ARG(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path, 0);
	return gk_vfs_unlink(p, &path, (flag & AT_REMOVEDIR) != 0);
}

static long
do_rename(struct gk_proc *p, int ofd, uint64_t old, int nfd, uint64_t new, unsigned flags)
{
	PATH_ARG(ofd, old, from, 0);
	PATH_ARG(nfd, new, to, 0);
	return gk_vfs_rename(p, &from, &to, flags);
}

GK_SYS(rename)
{
	return do_rename(p, AT_FDCWD, gk_arg_ptr(a, 0), AT_FDCWD, gk_arg_ptr(a, 1), 0);
}

GK_SYS(renameat)
{
	return do_rename(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_fd(a, 2), gk_arg_ptr(a, 3),
			 0);
}

GK_SYS(renameat2)
{
	return do_rename(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_fd(a, 2), gk_arg_ptr(a, 3),
			 gk_arg_uint(a, 4));
}

static long
do_link(struct gk_proc *p, int ofd, uint64_t old, int nfd, uint64_t new, int follow)
{
	PATH_ARG(ofd, old, from, follow);
	PATH_ARG(nfd, new, to, 0);
	return gk_vfs_link(p, &from, &to);
}

GK_SYS(link)
{
	return do_link(p, AT_FDCWD, gk_arg_ptr(a, 0), AT_FDCWD, gk_arg_ptr(a, 1), 0);
}

GK_SYS(linkat)
{
	return do_link(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_fd(a, 2), gk_arg_ptr(a, 3),
		       (gk_arg_int(a, 4) & AT_SYMLINK_FOLLOW) != 0);
}

static long
do_symlink(struct gk_proc *p, uint64_t target, int dirfd, uint64_t gva)
{
	char t[GK_PATH_MAX];
	long n = gk_strncpyin(p, t, target, sizeof(t));

	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	PATH_ARG(dirfd, gva, path, 0);
	return gk_vfs_symlink(p, t, &path);
}

GK_SYS(symlink)
{
	return do_symlink(p, gk_arg_ptr(a, 0), AT_FDCWD, gk_arg_ptr(a, 1));
}

GK_SYS(symlinkat)
{
	return do_symlink(p, gk_arg_ptr(a, 0), gk_arg_fd(a, 1), gk_arg_ptr(a, 2));
}

GK_SYS(chmod)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 1);
	return gk_vfs_chmod(p, &path, gk_arg_mode(a, 1), 1);
}

GK_SYS(fchmodat)
{
	PATH_ARG(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path, 1);
	return gk_vfs_chmod(p, &path, gk_arg_mode(a, 2), 1);
}

GK_SYS(chown)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 1);
	return gk_vfs_chown(p, &path, gk_arg_uid(a, 1), gk_arg_gid(a, 2), 1);
}

GK_SYS(lchown)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 0);
	return gk_vfs_chown(p, &path, gk_arg_uid(a, 1), gk_arg_gid(a, 2), 0);
}

GK_SYS(fchownat)
{
	PATH_ARG(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path,
		 !(gk_arg_int(a, 4) & AT_SYMLINK_NOFOLLOW));
	return gk_vfs_chown(p, &path, gk_arg_uid(a, 2), gk_arg_gid(a, 3),
			    !(gk_arg_int(a, 4) & AT_SYMLINK_NOFOLLOW));
}

GK_SYS(utimensat)
{
	uint64_t times = gk_arg_ptr(a, 2);
	struct timespec ts[2];
	struct gk_file *f;

	if (times && gk_copyin(p, ts, times, sizeof(ts)) < 0)
		return -EFAULT;
	if (gk_arg_ptr(a, 1) == 0) {
		/* futimens(fd): the descriptor itself. */
		f = gk_fd_get_io(p, gk_arg_fd(a, 0));
		if (!f)
			return -EBADF;
		return gk_file_setattr(
		    f, &(struct gk_iattr){.what = GK_SET_TIMES, .ts = times ? ts : NULL});
	}
	PATH_ARG_HOW(gk_arg_fd(a, 0), gk_arg_ptr(a, 1), path,
		     STAT_HOW(!(gk_arg_int(a, 3) & AT_SYMLINK_NOFOLLOW)));
	return gk_vfs_utimens(p, &path, times ? ts : NULL,
			      !(gk_arg_int(a, 3) & AT_SYMLINK_NOFOLLOW));
}

GK_SYS(truncate)
{
	if (gk_arg_long(a, 1) < 0)
		return -EINVAL;
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 1);
	return gk_vfs_truncate(p, &path, gk_arg_long(a, 1));
}

GK_SYS(umask)
{
	mode_t old = p->fs->umask;

	p->fs->umask = (mode_t)gk_arg_int(a, 0) & 0777;
	return old;
}

static long
statfs_out(struct gk_proc *p, struct gk_mount *m, int hfd, uint64_t gva)
{
	struct statfs sf;

	memset(&sf, 0, sizeof(sf));
	if (m && m->kind == GK_MNT_HOST && hfd >= 0) {
		if (fstatfs(hfd, &sf) < 0)
			return -errno;
		if (!m->writable)
			sf.f_flags |= ST_RDONLY;
	} else {
		sf.f_type = m && m->kind == GK_MNT_PROC ? 0x9fa0 : 0x1021994;
		sf.f_bsize = 4096;
		sf.f_namelen = 255;
		if (m && m->kind == GK_MNT_TMPFS) {
			sf.f_blocks = p->k->pa->npages / 2;
			sf.f_bfree = sf.f_bavail = sf.f_blocks - p->k->tmpfs_pages;
			sf.f_files = sf.f_ffree = 1 << 20;
		}
	}
	return gk_copyout(p, gva, &sf, sizeof(sf));
}

GK_SYS(statfs)
{
	PATH_ARG(AT_FDCWD, gk_arg_ptr(a, 0), path, 1);
	return statfs_out(p, path.mnt, path.mnt->hfd, gk_arg_ptr(a, 1));
}

GK_SYS(fstatfs)
{
	struct gk_file *f = gk_fd_get(p, gk_arg_fd(a, 0));

	if (!f)
		return -EBADF;
	return statfs_out(p, f->mnt, f->hfd, gk_arg_ptr(a, 1));
}

/* Extended attributes: the guest sees none and may set none (no ACLs, no labels). */
GK_SYS(xattr_get)
{
	return -ENODATA;
}

GK_SYS(xattr_list)
{
	return 0;
}

GK_SYS(xattr_set)
{
	return -ENOTSUP;
}
