/*
 * tests/unit/fs/test_namei.c - the path walker (fs/namei.c) and dentries
 * (fs/dcache.c) against an explicit kernel context (tests/unit/kctx): a
 * host root, the guest's /tmp, a bind, no guest program. Expectations are
 * Linux's (path_resolution(7), getcwd(3), rename(2)).
 *
 * Suite unit.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "kctx.h"

static const char *const binds[] = {"/mnt/b", NULL};

/* Walk name from p's cwd (p NULL: from the root, as a kernel with no process would). */
static int
walk(struct kctx *c, struct gk_proc *p, const char *name, int follow, struct gk_path *ret)
{
	return gk_walk(c->k, p, p ? p->fs->cwd : c->k->droot, name, follow ? GK_LOOKUP_FOLLOW : 0,
		       ret);
}

/* The guest's result of a system call on one path argument. */
#define SYS1(c, nr, name, ...) KCTX_SYS((c)->p, (nr), kctx_user_str((c), (name)), ##__VA_ARGS__)

static long
gstat(struct kctx *c, const char *name, struct stat *st)
{
	uint64_t buf = kctx_user_alloc(c, sizeof(*st));
	long r = SYS1(c, __NR_stat, name, buf);

	if (r == 0)
		assert_int_equal(gk_copyin(c->p, st, buf, sizeof(*st)), 0);
	return r;
}

static long
gcreat(struct kctx *c, const char *name)
{
	long fd = KCTX_SYS(c->p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, name),
			   O_WRONLY | O_CREAT, 0644);

	if (fd >= 0)
		assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd), 0);
	return fd < 0 ? fd : 0;
}

/* getcwd(2) of c->p into buf, or its error. */
static long
gcwd(struct kctx *c, char *buf, size_t size)
{
	uint64_t ubuf = kctx_user_alloc(c, size);
	long r = KCTX_SYS(c->p, __NR_getcwd, ubuf, size);

	if (r > 0)
		assert_int_equal(gk_copyin(c->p, buf, ubuf, (size_t)r), 0);
	return r;
}

/* "/.." is "/": nothing leaves the root, from the root or from inside a mount. */
static void
test_dotdot_at_root(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	struct gk_path r;
	char buf[256];

	(void)state;
	kctx_host_mkdir(c->root, "etc");
	kctx_host_mkdir(c->bind[0], "d/e");
	assert_int_equal(walk(c, NULL, "/..", 1, &r), 0);
	assert_string_equal(r.gpath, "/");
	assert_ptr_equal(r.mnt, gk_mount_root(c->k));
	assert_int_equal(walk(c, NULL, "/../../../etc", 1, &r), 0);
	assert_string_equal(r.gpath, "/etc");
	assert_int_equal(walk(c, NULL, "/tmp/../../..", 1, &r), 0);
	assert_string_equal(r.gpath, "/");
	assert_ptr_equal(r.mnt, gk_mount_root(c->k));
	/* Out of a bind's root to the directory above its mount point. */
	assert_int_equal(walk(c, NULL, "/mnt/b/d/e/../../../../../etc", 1, &r), 0);
	assert_string_equal(r.gpath, "/etc");
	assert_ptr_equal(r.mnt, gk_mount_root(c->k));
	assert_int_equal(walk(c, NULL, "/mnt/b/..", 1, &r), 0);
	assert_string_equal(r.gpath, "/mnt");
	/* From a cwd deep in the bind, the same. */
	assert_int_equal(SYS1(c, __NR_chdir, "/mnt/b/d/e"), 0);
	assert_int_equal(gcwd(c, buf, sizeof(buf)), 11); /* with its NUL */
	assert_string_equal(buf, "/mnt/b/d/e");
	assert_int_equal(walk(c, c->p, "../../../../../../..", 1, &r), 0);
	assert_string_equal(r.gpath, "/");
	assert_int_equal(walk(c, c->p, "..", 1, &r), 0);
	assert_string_equal(r.gpath, "/mnt/b/d");
	assert_ptr_equal(r.mnt, &c->k->mounts[c->k->nmounts - 1]);
	kctx_free(c);
}

/* Mounts are crossed both ways, whatever the walk came through (a symlink, ".."). */
static void
test_mount_crossings(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	struct gk_path r;

	(void)state;
	kctx_host_mkdir(c->bind[0], "in");
	/* A link in the bind climbing out of it lands in the guest's /tmp. */
	kctx_host_symlink(c->bind[0], "in/up", "../../../tmp");
	assert_int_equal(walk(c, NULL, "/mnt/b/in/up", 1, &r), 0);
	assert_string_equal(r.gpath, "/tmp");
	assert_ptr_equal(r.mnt, c->k->tmp_mnt);
	assert_int_equal(walk(c, NULL, "/mnt/b/in/up/..", 1, &r), 0);
	assert_string_equal(r.gpath, "/");
	/* Not followed as the last name: the link itself, in the bind. */
	assert_int_equal(walk(c, NULL, "/mnt/b/in/up", 0, &r), 0);
	assert_string_equal(r.gpath, "/mnt/b/in/up");
	assert_string_equal(r.mrest, "in/up");
	/* Into /tmp and /proc by name, back by "..". */
	assert_int_equal(walk(c, NULL, "/tmp/../mnt/b/in", 1, &r), 0);
	assert_string_equal(r.gpath, "/mnt/b/in");
	assert_string_equal(r.mrest, "in");
	assert_int_equal(walk(c, NULL, "/dev/null", 1, &r), 0);
	assert_int_equal(r.mnt->kind, GK_MNT_DEV);
	assert_int_equal(walk(c, NULL, "/dev/../tmp", 1, &r), 0);
	assert_ptr_equal(r.mnt, c->k->tmp_mnt);
	kctx_free(c);
}

/*
 * 40 symlinks in a walk resolve, the 41st is ELOOP (path_resolution(7)),
 * in /tmp and in a host directory alike; a loop is ELOOP.
 */
static void
test_symlink_limit(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	char name[64], target[64];
	struct stat st;
	struct gk_path r;
	int i;

	(void)state;
	assert_int_equal(gcreat(c, "/tmp/f"), 0);
	kctx_host_write(c->bind[0], "f", "x");
	for (i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/tmp/l%d", i);
		snprintf(target, sizeof(target), i == 0 ? "f" : "l%d", i - 1);
		assert_int_equal(
		    KCTX_SYS(c->p, __NR_symlink, kctx_user_str(c, target), kctx_user_str(c, name)),
		    0);
		snprintf(name, sizeof(name), "l%d", i);
		kctx_host_symlink(c->bind[0], name, target);
	}
	assert_int_equal(gstat(c, "/tmp/l39", &st), 0); /* 40 links */
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(gstat(c, "/tmp/l40", &st), -ELOOP); /* 41 */
	assert_int_equal(gstat(c, "/mnt/b/l39", &st), 0);
	assert_int_equal(gstat(c, "/mnt/b/l40", &st), -ELOOP);
	/* lstat does not follow the last: no ELOOP. */
	assert_int_equal(walk(c, NULL, "/tmp/l40", 0, &r), 0);
	/* A loop, and a loop through two file systems. */
	kctx_host_symlink(c->bind[0], "self", "self");
	assert_int_equal(walk(c, NULL, "/mnt/b/self", 1, &r), -ELOOP);
	kctx_host_symlink(c->bind[0], "totmp", "/tmp/tob");
	assert_int_equal(KCTX_SYS(c->p, __NR_symlink, kctx_user_str(c, "/mnt/b/totmp"),
				  kctx_user_str(c, "/tmp/tob")),
			 0);
	assert_int_equal(walk(c, NULL, "/tmp/tob/x", 1, &r), -ELOOP);
	kctx_free(c);
}

/* "link/.." is the link's target's parent, not the link's: the link is followed first. */
static void
test_dotdot_after_symlink(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	struct stat st;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/d", 0755), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/d/sub", 0755), 0);
	assert_int_equal(gcreat(c, "/tmp/d/x"), 0);
	assert_int_equal(
	    KCTX_SYS(c->p, __NR_symlink, kctx_user_str(c, "d/sub"), kctx_user_str(c, "/tmp/l")), 0);
	assert_int_equal(gstat(c, "/tmp/l/../x", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* The same on the host side of a bind. */
	kctx_host_mkdir(c->bind[0], "d/sub");
	kctx_host_write(c->bind[0], "d/x", "x");
	kctx_host_symlink(c->bind[0], "l", "d/sub");
	assert_int_equal(gstat(c, "/mnt/b/l/../x", &st), 0);
	/* lstat through a link to a directory: the link on the way is followed, not the last. */
	kctx_host_symlink(c->bind[0], "ld", "d");
	kctx_host_symlink(c->bind[0], "d/lx", "x");
	{
		uint64_t buf = kctx_user_alloc(c, sizeof(st));

		assert_int_equal(SYS1(c, __NR_lstat, "/mnt/b/ld/lx", buf), 0);
		assert_int_equal(gk_copyin(c->p, &st, buf, sizeof(st)), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
	assert_int_equal(gstat(c, "/mnt/b/ld/lx", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	kctx_free(c);
}

/* ENOTDIR, ENAMETOOLONG and ENOENT where Linux gives them. */
static void
test_errors(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	char longname[300];
	struct stat st;

	(void)state;
	assert_int_equal(gcreat(c, "/tmp/file"), 0);
	kctx_host_write(c->bind[0], "file", "x");
	assert_int_equal(gstat(c, "/tmp/file/x", &st), -ENOTDIR);
	assert_int_equal(gstat(c, "/tmp/file/..", &st), -ENOTDIR);
	assert_int_equal(gstat(c, "/tmp/file/", &st), -ENOTDIR);
	assert_int_equal(gstat(c, "/mnt/b/file/x", &st), -ENOTDIR);
	assert_int_equal(gstat(c, "/mnt/b/file/..", &st), -ENOTDIR);
	assert_int_equal(gstat(c, "/mnt/b/file/", &st), -ENOTDIR);
	/* Every call, not only stat: chmod and open of "file/" too. */
	assert_int_equal(SYS1(c, __NR_chmod, "/tmp/file/", 0600), -ENOTDIR);
	assert_int_equal(SYS1(c, __NR_chmod, "/mnt/b/file/", 0600), -ENOTDIR);
	assert_int_equal(SYS1(c, __NR_open, "/tmp/file/", O_RDONLY), -ENOTDIR);
	assert_int_equal(SYS1(c, __NR_open, "/mnt/b/file/", O_RDONLY), -ENOTDIR);
	assert_int_equal(gstat(c, "/tmp/none/..", &st), -ENOENT);
	assert_int_equal(gstat(c, "", &st), -ENOENT);
	memset(longname, 'a', 256);
	longname[0] = '/';
	longname[256] = '\0'; /* a 255-byte name: absent, not too long */
	assert_int_equal(gstat(c, longname, &st), -ENOENT);
	longname[256] = 'a';
	longname[257] = '\0'; /* 256 bytes */
	assert_int_equal(gstat(c, longname, &st), -ENAMETOOLONG);
	kctx_free(c);
}

/* A host symlink under the root to /tmp/... resolves in the guest's /tmp, never the host's. */
static void
test_hostlink_tmp(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	char host[256];
	struct gk_path r;
	struct stat st;

	(void)state;
	kctx_host_symlink(c->root, "etc/tl", "/tmp/made");
	kctx_host_symlink(c->root, "etc/td", "/tmp");
	assert_int_equal(walk(c, NULL, "/etc/tl", 1, &r), 0);
	assert_string_equal(r.gpath, "/tmp/made");
	assert_ptr_equal(r.mnt, c->k->tmp_mnt);
	/* Creating through the link creates in the guest's /tmp. */
	assert_int_equal(gcreat(c, "/etc/tl"), 0);
	assert_int_equal(gstat(c, "/tmp/made", &st), 0);
	assert_int_equal(gstat(c, "/etc/td/made", &st), 0);
	snprintf(host, sizeof(host), "%s/tmp/made", c->root);
	assert_int_equal(access(host, F_OK), -1);
	assert_int_equal(access("/tmp/made", F_OK), -1);
	kctx_free(c);
}

/*
 * A cwd holds its directory: renamed, it is still where creat("x") lands
 * and getcwd says the new name; removed, getcwd is ENOENT; on /tmp and on
 * a bind.
 */
static void
check_renamed_cwd(struct kctx *c, const char *base)
{
	char a[64], b[64], x[64], buf[256];
	struct stat st;

	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	snprintf(x, sizeof(x), "%s/b/x", base);
	assert_int_equal(SYS1(c, __NR_mkdir, a, 0755), 0);
	assert_int_equal(SYS1(c, __NR_chdir, a), 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_rename, kctx_user_str(c, a), kctx_user_str(c, b)), 0);
	assert_int_equal(gcreat(c, "x"), 0);
	assert_int_equal(gstat(c, x, &st), 0);
	assert_int_equal(gcwd(c, buf, sizeof(buf)), (long)strlen(b) + 1);
	assert_string_equal(buf, b);
	assert_int_equal(gcwd(c, buf, strlen(b)), -ERANGE);
	/* "." and ".." from the renamed cwd. */
	assert_int_equal(gstat(c, "./x", &st), 0);
	assert_int_equal(gstat(c, "../b/x", &st), 0);
	/* Removed: getcwd is ENOENT, nothing can be made in it, ".." still leads out. */
	assert_int_equal(SYS1(c, __NR_unlink, "x"), 0);
	assert_int_equal(SYS1(c, __NR_rmdir, b), 0);
	assert_int_equal(gcwd(c, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(gcreat(c, "y"), -ENOENT);
	assert_int_equal(gstat(c, ".", &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(SYS1(c, __NR_chdir, ".."), 0);
	assert_int_equal(gcwd(c, buf, sizeof(buf)), (long)strlen(base) + 1);
	assert_string_equal(buf, base);
}

static void
test_renamed_cwd_tmpfs(void **state)
{
	struct kctx *c = kctx_new(0, binds);

	(void)state;
	check_renamed_cwd(c, "/tmp");
	kctx_free(c);
}

static void
test_renamed_cwd_bind(void **state)
{
	struct kctx *c = kctx_new(0, binds);

	(void)state;
	check_renamed_cwd(c, "/mnt/b");
	kctx_free(c);
}

/* A dirfd holds its directory too, and a rename moves the dentry under a new parent. */
static void
test_renamed_dirfd(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	long dfd;
	struct stat st;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/p", 0755), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/d", 0755), 0);
	dfd = KCTX_SYS(c->p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, "/tmp/d"),
		       O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(
	    KCTX_SYS(c->p, __NR_rename, kctx_user_str(c, "/tmp/d"), kctx_user_str(c, "/tmp/p/q")),
	    0);
	assert_true(KCTX_SYS(c->p, __NR_openat, (uint64_t)dfd, kctx_user_str(c, "y"),
			     O_WRONLY | O_CREAT, 0644) >= 0);
	assert_int_equal(gstat(c, "/tmp/p/q/y", &st), 0);
	/* /proc/self/fd/N on the way is the open directory itself, renamed or not. */
	{
		char name[64];

		uint64_t ubuf = kctx_user_alloc(c, 64);
		char got[64];
		long n;

		snprintf(name, sizeof(name), "/proc/self/fd/%ld/y", dfd);
		assert_int_equal(gstat(c, name, &st), 0);
		/* readlink says its name now, as Linux's d_path does. */
		snprintf(name, sizeof(name), "/proc/self/fd/%ld", dfd);
		n = SYS1(c, __NR_readlink, name, ubuf, 63);
		assert_int_equal(n, 8);
		assert_int_equal(gk_copyin(c->p, got, ubuf, (size_t)n), 0);
		got[n] = '\0';
		assert_string_equal(got, "/tmp/p/q");
	}
	/* fchdir to it: getcwd says where it is now. */
	assert_int_equal(KCTX_SYS(c->p, __NR_fchdir, (uint64_t)dfd), 0);
	{
		char buf[64];

		assert_int_equal(gcwd(c, buf, sizeof(buf)), 9);
		assert_string_equal(buf, "/tmp/p/q");
	}
	kctx_free(c);
}

/*
 * A cwd on a bind holds the host directory's descriptor: renamed on the
 * host side (not through the guest), relative names still reach it.
 */
static void
test_host_renamed_cwd(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	char from[128], to[128];
	struct stat st;

	(void)state;
	kctx_host_mkdir(c->bind[0], "h1");
	assert_int_equal(SYS1(c, __NR_chdir, "/mnt/b/h1"), 0);
	snprintf(from, sizeof(from), "%s/h1", c->bind[0]);
	snprintf(to, sizeof(to), "%s/h2", c->bind[0]);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(gcreat(c, "x"), 0);
	assert_int_equal(gstat(c, "/mnt/b/h2/x", &st), 0);
	snprintf(to, sizeof(to), "%s/h2/x", c->bind[0]);
	assert_int_equal(access(to, F_OK), 0);
	/* A new directory at the old name is another one: chdir there gets its own dentry. */
	kctx_host_mkdir(c->bind[0], "h1");
	assert_int_equal(SYS1(c, __NR_chdir, "/mnt/b/h1"), 0);
	assert_int_equal(gcreat(c, "y"), 0);
	snprintf(to, sizeof(to), "%s/h1/y", c->bind[0]);
	assert_int_equal(access(to, F_OK), 0);
	kctx_free(c);
}

/* Every dentry is charged to the kernel-heap budget while held, and given back. */
static void
test_dentry_charge(void **state)
{
	struct kctx *c = kctx_new(0, binds);
	uint64_t before;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/aaaa", 0755), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/aaaa/bbbb", 0755), 0);
	before = c->k->kmem;
	assert_int_equal(SYS1(c, __NR_chdir, "/tmp/aaaa/bbbb"), 0);
	/* Three dentries: /tmp, aaaa, bbbb. */
	assert_true(c->k->kmem >= before + 3 * sizeof(struct gk_dentry));
	assert_int_equal(SYS1(c, __NR_chdir, "/"), 0);
	assert_int_equal(c->k->kmem, before);
	kctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dotdot_at_root),
	    cmocka_unit_test(test_mount_crossings),
	    cmocka_unit_test(test_symlink_limit),
	    cmocka_unit_test(test_dotdot_after_symlink),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_hostlink_tmp),
	    cmocka_unit_test(test_renamed_cwd_tmpfs),
	    cmocka_unit_test(test_renamed_cwd_bind),
	    cmocka_unit_test(test_renamed_dirfd),
	    cmocka_unit_test(test_host_renamed_cwd),
	    cmocka_unit_test(test_dentry_charge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
