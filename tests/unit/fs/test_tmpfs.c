/*
 * tests/unit/fs/test_tmpfs.c - the guest's /tmp (fs/tmpfs.c, tmpfs_dir.c)
 * against an explicit kernel context (tests/unit/kctx): create, lookup,
 * rename, unlink, and a directory's hash index as it grows and shrinks.
 * Expectations are Linux's (rename(2), unlink(2), rmdir(2)).
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

#define SYS1(c, nr, name, ...) KCTX_SYS((c)->p, (nr), kctx_user_str((c), (name)), ##__VA_ARGS__)
#define SYS2(c, nr, a, b)      KCTX_SYS((c)->p, (nr), kctx_user_str((c), (a)), kctx_user_str((c), (b)))

static long
gcreat(struct kctx *c, const char *name)
{
	long fd = SYS1(c, __NR_open, name, O_RDWR | O_CREAT | O_EXCL, 0644);

	if (fd >= 0)
		assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd), 0);
	return fd < 0 ? fd : 0;
}

/* The tmpfs node at /tmp/name (one level), or NULL: the directory's own lookup. */
static struct gk_tnode *
node(struct kctx *c, struct gk_tnode *dir, const char *name)
{
	return gk_tmpfs_child(c->k, dir, name, strlen(name));
}

static void
test_create_lookup_unlink(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	struct gk_tnode *d, *f;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/d", 0700), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/d", 0700), -EEXIST);
	assert_int_equal(gcreat(c, "/tmp/d/f"), 0);
	assert_int_equal(gcreat(c, "/tmp/d/f"), -EEXIST);
	d = node(c, c->k->troot, "d");
	assert_non_null(d);
	assert_true(S_ISDIR(d->mode));
	assert_int_equal(d->mode & 07777, 0700 & ~022);
	assert_int_equal(d->nlink, 2);
	f = node(c, d, "f");
	assert_non_null(f);
	assert_true(S_ISREG(f->mode));
	assert_null(node(c, d, "g"));
	assert_null(node(c, f, "x")); /* a file has no entries */
	assert_int_equal(SYS1(c, __NR_rmdir, "/tmp/d"), -ENOTEMPTY);
	assert_int_equal(SYS1(c, __NR_unlink, "/tmp/d"), -EISDIR);
	assert_int_equal(SYS1(c, __NR_rmdir, "/tmp/d/f"), -ENOTDIR);
	assert_int_equal(SYS1(c, __NR_unlink, "/tmp/d/f"), 0);
	assert_int_equal(SYS1(c, __NR_unlink, "/tmp/d/f"), -ENOENT);
	assert_null(node(c, d, "f"));
	assert_int_equal(SYS1(c, __NR_rmdir, "/tmp/d"), 0);
	assert_null(node(c, c->k->troot, "d"));
	assert_int_equal(SYS1(c, __NR_rmdir, "/tmp"), -EBUSY);
	kctx_free(c);
}

/* An unlinked file stays readable through a descriptor opened before. */
static void
test_unlinked_open(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	uint64_t buf = kctx_user_alloc(c, 16);
	long fd = SYS1(c, __NR_open, "/tmp/u", O_RDWR | O_CREAT, 0600);
	uint64_t inodes;
	char got[8];

	(void)state;
	assert_true(fd >= 0);
	inodes = c->k->tmpfs_inodes;
	assert_int_equal(KCTX_SYS(c->p, __NR_write, (uint64_t)fd, kctx_user_str(c, "abc"), 3), 3);
	assert_int_equal(SYS1(c, __NR_unlink, "/tmp/u"), 0);
	assert_int_equal(c->k->tmpfs_inodes, inodes);
	assert_int_equal(KCTX_SYS(c->p, __NR_pread64, (uint64_t)fd, buf, 3, 0), 3);
	assert_int_equal(gk_copyin(c->p, got, buf, 3), 0);
	assert_memory_equal(got, "abc", 3);
	assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd), 0);
	assert_int_equal(c->k->tmpfs_inodes, inodes - 1);
	kctx_free(c);
}

static void
test_rename(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	struct gk_tnode *a, *f;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/a", 0755), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/a/b", 0755), 0);
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/e", 0755), 0);
	assert_int_equal(gcreat(c, "/tmp/e/in"), 0);
	assert_int_equal(gcreat(c, "/tmp/f"), 0);
	f = node(c, c->k->troot, "f");
	/* A file moves into a directory: same node, new name, old one gone. */
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/f", "/tmp/a/g"), 0);
	a = node(c, c->k->troot, "a");
	assert_ptr_equal(node(c, a, "g"), f);
	assert_null(node(c, c->k->troot, "f"));
	/* A directory into itself is EINVAL; over a non-empty one ENOTEMPTY; file over dir EISDIR.
	 */
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/a", "/tmp/a/b/c"), -EINVAL);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/a/b", "/tmp/e"), -ENOTEMPTY);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/a/g", "/tmp/a/b"), -EISDIR);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/a/b", "/tmp/a/g"), -ENOTDIR);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/none", "/tmp/x"), -ENOENT);
	/* A directory moves with its entries; link counts follow ("..": parent's nlink). */
	assert_int_equal(a->nlink, 3);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/a/b", "/tmp/e/b"), 0);
	assert_int_equal(a->nlink, 2);
	assert_int_equal(node(c, c->k->troot, "e")->nlink, 3);
	assert_ptr_equal(node(c, node(c, c->k->troot, "e"), "b")->parent,
			 node(c, c->k->troot, "e"));
	/* Renaming over a file replaces it. */
	assert_int_equal(gcreat(c, "/tmp/h"), 0);
	assert_int_equal(SYS2(c, __NR_rename, "/tmp/h", "/tmp/a/g"), 0);
	assert_ptr_not_equal(node(c, a, "g"), f);
	kctx_free(c);
}

/*
 * A directory's hash index stays at least half empty as it grows, finds
 * every name, and is compacted when most entries are removed.
 */
static void
test_dir_hash_growth(void **state)
{
	struct kctx *c = kctx_new(16u << 20, NULL);
	struct gk_tnode *d;
	char name[64];
	size_t cap_full;
	int i;

	(void)state;
	assert_int_equal(SYS1(c, __NR_mkdir, "/tmp/big", 0755), 0);
	d = node(c, c->k->troot, "big");
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "/tmp/big/n%d", i);
		assert_int_equal(gcreat(c, name), 0);
		assert_true(2 * d->nents <= d->hcap);
	}
	assert_int_equal(d->nlive, 2000);
	cap_full = d->hcap;
	assert_true(cap_full >= 4000);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_non_null(node(c, d, name));
	}
	assert_null(node(c, d, "n2000"));
	/* Remove all but every tenth: tombstones go, the survivors are still found. */
	for (i = 0; i < 2000; i++) {
		if (i % 10 == 0)
			continue;
		snprintf(name, sizeof(name), "/tmp/big/n%d", i);
		assert_int_equal(SYS1(c, __NR_unlink, name), 0);
	}
	assert_int_equal(d->nlive, 200);
	assert_true(d->nents < 2000); /* compacted */
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (i % 10 == 0)
			assert_non_null(node(c, d, name));
		else
			assert_null(node(c, d, name));
	}
	kctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_lookup_unlink),
	    cmocka_unit_test(test_unlinked_open),
	    cmocka_unit_test(test_rename),
	    cmocka_unit_test(test_dir_hash_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
