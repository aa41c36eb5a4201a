/*
 * tests/unit/fs/test_lock.c - file locks (fs/lock.c, fs/lock_posix.c)
 * against an explicit kernel context (tests/unit/kctx): what a guest
 * program cannot see from outside. Lock records are bounded: past
 * GK_LOCKS_MAX, or past the kernel-heap budget, a new lock is ENOLCK and
 * nothing changes (a split that needs a record included), and closing the
 * file gives every record and every byte of kernel heap back. Also the
 * F_OFD_GETLK F_UNLCK query of Linux 6.6 (the description's own first
 * lock), which guest tests cannot check because uvk calls itself 6.1.
 *
 * Calls go through the real syscall table (KCTX_SYS), with struct flock
 * in the process's memory.
 *
 * Suite unit.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "kctx.h"

struct t {
	struct kctx *c;
	uint64_t fl; /* a struct flock in the process's memory */
	long fd;
};

static void
setup(struct t *x, uint64_t ram)
{
	x->c = kctx_new(ram, NULL);
	x->fl = kctx_user_alloc(x->c, 4096);
	x->fd = KCTX_SYS(x->c->p, __NR_open, kctx_user_str(x->c, "/tmp/f"),
			 O_RDWR | O_CREAT, 0644);
	assert_true(x->fd >= 0);
}

/* fcntl(fd, cmd, {type, SEEK_SET, start, len}) as the guest makes it; the struct back in *ret. */
static long
lk(struct t *x, int cmd, short type, off_t start, off_t len, struct flock *ret)
{
	struct flock fl;
	long r;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	assert_int_equal(gk_copyout(x->c->p, x->fl, &fl, sizeof(fl)), 0);
	r = KCTX_SYS(x->c->p, __NR_fcntl, (uint64_t)x->fd, (uint64_t)cmd, x->fl);
	if (ret)
		assert_int_equal(gk_copyin(x->c->p, ret, x->fl, sizeof(*ret)), 0);
	return r;
}

/* Fill with one-byte locks on every other byte until ENOLCK; how many were taken. */
static long
fill(struct t *x)
{
	long n;

	for (n = 0; n < 2 * GK_LOCKS_MAX; n++) {
		long r = lk(x, F_SETLK, F_WRLCK, 2 * n, 1, NULL);

		if (r == -ENOLCK)
			return n;
		assert_int_equal(r, 0);
	}
	fail_msg("no ENOLCK after %ld locks", n);
	return n;
}

static void
test_limit_count(void **state)
{
	struct t x;
	uint64_t kmem0;
	struct flock got;

	(void)state;
	setup(&x, 256u << 20); /* a budget of 16 MiB: the count is the limit */
	kmem0 = x.c->k->kmem;
	assert_int_equal(fill(&x), GK_LOCKS_MAX);
	assert_int_equal(x.c->k->nlocks, GK_LOCKS_MAX);
	/* Splitting [0,1) needs no record, but splitting a range does: make one and cut it. */
	assert_int_equal(lk(&x, F_SETLK, F_UNLCK, 0, 1, NULL), 0);
	assert_int_equal(lk(&x, F_SETLK, F_WRLCK, 0, 3, NULL), 0); /* merges [0,1) [2,3) */
	assert_int_equal(x.c->k->nlocks, GK_LOCKS_MAX - 1);
	assert_int_equal(lk(&x, F_SETLK, F_WRLCK, 2 * GK_LOCKS_MAX + 10, 1, NULL), 0);
	assert_int_equal(lk(&x, F_SETLK, F_UNLCK, 1, 1, NULL), -ENOLCK);
	/* Nothing changed: as many records, and [0,3) still one lock of ours. */
	assert_int_equal(x.c->k->nlocks, GK_LOCKS_MAX);
	assert_int_equal(lk(&x, F_OFD_GETLK, F_WRLCK, 0, 0, &got), 0);
	assert_int_equal(got.l_type, F_WRLCK);
	assert_int_equal(got.l_start, 0);
	assert_int_equal(got.l_len, 3);
	/* An unlock that needs no record still works at the limit. */
	assert_int_equal(lk(&x, F_SETLK, F_UNLCK, 0, 3, NULL), 0);
	assert_int_equal(x.c->k->nlocks, GK_LOCKS_MAX - 1);
	/* Closing the file gives everything back. */
	assert_int_equal(KCTX_SYS(x.c->p, __NR_close, (uint64_t)x.fd), 0);
	assert_int_equal(x.c->k->nlocks, 0);
	assert_int_equal(x.c->k->kmem, kmem0);
	kctx_free(x.c);
}

static void
test_limit_kmem(void **state)
{
	struct t x;
	uint64_t kmem0;
	long n;

	(void)state;
	setup(&x, 0); /* 8 MiB of RAM: a budget of 512 KiB, spent before the count */
	kmem0 = x.c->k->kmem;
	n = fill(&x);
	assert_true(n > 100 && n < GK_LOCKS_MAX);
	assert_int_equal(x.c->k->nlocks, n);
	/* flock needs a record too. */
	assert_int_equal(KCTX_SYS(x.c->p, __NR_flock, (uint64_t)x.fd, LOCK_EX), -ENOLCK);
	assert_int_equal(KCTX_SYS(x.c->p, __NR_close, (uint64_t)x.fd), 0);
	assert_int_equal(x.c->k->nlocks, 0);
	assert_int_equal(x.c->k->kmem, kmem0);
	kctx_free(x.c);
}

static void
test_ofd_unlck_query(void **state)
{
	struct t x;
	struct flock got;

	(void)state;
	setup(&x, 0);
	assert_int_equal(lk(&x, F_OFD_GETLK, F_UNLCK, 0, 0, &got), 0);
	assert_int_equal(got.l_type, F_UNLCK);
	assert_int_equal(lk(&x, F_OFD_SETLK, F_RDLCK, 10, 5, NULL), 0);
	assert_int_equal(lk(&x, F_OFD_GETLK, F_UNLCK, 0, 0, &got), 0);
	assert_int_equal(got.l_type, F_RDLCK);
	assert_int_equal(got.l_start, 10);
	assert_int_equal(got.l_len, 5);
	assert_int_equal(got.l_pid, -1);
	/* A traditional lock of the process is another owner's: not the description's own. */
	assert_int_equal(lk(&x, F_SETLK, F_RDLCK, 0, 5, NULL), 0);
	assert_int_equal(lk(&x, F_OFD_GETLK, F_UNLCK, 0, 8, &got), 0);
	assert_int_equal(got.l_type, F_UNLCK);
	/* F_GETLK (traditional) with F_UNLCK stays EINVAL. */
	assert_int_equal(lk(&x, F_GETLK, F_UNLCK, 0, 0, NULL), -EINVAL);
	assert_int_equal(KCTX_SYS(x.c->p, __NR_close, (uint64_t)x.fd), 0);
	assert_int_equal(x.c->k->nlocks, 0);
	kctx_free(x.c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_count),
	    cmocka_unit_test(test_limit_kmem),
	    cmocka_unit_test(test_ofd_unlck_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
