/*
 * tests/unit/kctx/test_kctx.c - the explicit kernel context itself: its
 * mounts are the ones a boot makes (a host root, the guest's own /tmp, a
 * bind), system calls run through the real table against them, a second
 * process shares nothing but the kernel, and kctx_free leaves no host
 * directory behind. The mechanism tests build on this.
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
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "kctx.h"

/* Read what descriptor fd of p holds from offset 0 into buf (NUL-terminated). */
static long
read_all(struct kctx *c, struct gk_proc *p, int fd, char *buf, size_t size)
{
	uint64_t ubuf = kctx_user_alloc_in(c, p, size);
	long n = KCTX_SYS(p, __NR_pread64, (uint64_t)fd, ubuf, size - 1, 0);

	if (n >= 0) {
		assert_int_equal(gk_copyin(p, buf, ubuf, (size_t)n), 0);
		buf[n] = '\0';
	}
	return n;
}

static void
test_mounts_and_syscalls(void **state)
{
	static const char *const binds[] = {"/mnt/b", NULL};
	struct kctx *c = kctx_new(0, binds);
	struct gk_proc *p = c->p, *q;
	char buf[64], host[128];
	uint64_t data = kctx_user_str(c, "through the guest");
	long fd;

	(void)state;
	/* The root is the host directory. */
	kctx_host_write(c->root, "etc/hello", "hello from the host");
	fd = KCTX_SYS(p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, "/etc/hello"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read_all(c, p, (int)fd, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "hello from the host");
	/* A missing file is ENOENT, as natively. */
	assert_int_equal(
	    KCTX_SYS(p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, "/etc/none"), O_RDONLY),
	    -ENOENT);
	/* /tmp is the guest's own: a file made there is not in the host root's tmp. */
	fd = KCTX_SYS(p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, "/tmp/t"),
		      O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(KCTX_SYS(p, __NR_write, (uint64_t)fd, data, 17), 17);
	assert_int_equal(read_all(c, p, (int)fd, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "through the guest");
	snprintf(host, sizeof(host), "%s/tmp/t", c->root);
	assert_int_equal(access(host, F_OK), -1);
	/* A bind writes through to its host directory. */
	fd = KCTX_SYS(p, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str(c, "/mnt/b/y"),
		      O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(KCTX_SYS(p, __NR_write, (uint64_t)fd, data, 7), 7);
	snprintf(host, sizeof(host), "%s/y", c->bind[0]);
	assert_int_equal(access(host, F_OK), 0);
	/* A second process: its own descriptors, the same /tmp. */
	q = kctx_proc_new(c);
	assert_int_equal(KCTX_SYS(q, __NR_close, (uint64_t)fd), -EBADF);
	fd = KCTX_SYS(q, __NR_openat, (uint64_t)AT_FDCWD, kctx_user_str_in(c, q, "/tmp/t"),
		      O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read_all(c, q, (int)fd, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "through the guest");
	snprintf(host, sizeof(host), "%s", c->root);
	kctx_free(c);
	assert_int_equal(access(host, F_OK), -1);
}

/* An empty pipe's read would block: kctx_sys says so and leaves the process runnable. */
static void
test_blocking_call(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	uint64_t fds = kctx_user_alloc(c, 8), buf = kctx_user_alloc(c, 16);
	int pfd[2];

	(void)state;
	assert_int_equal(KCTX_SYS(c->p, __NR_pipe2, fds, 0), 0);
	assert_int_equal(gk_copyin(c->p, pfd, fds, sizeof(pfd)), 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_read, (uint64_t)pfd[0], buf, 16), -GK_EBLOCK);
	assert_int_equal(c->p->state, GK_P_RUN);
	assert_int_equal(KCTX_SYS(c->p, __NR_write, (uint64_t)pfd[1], kctx_user_str(c, "x"), 1), 1);
	assert_int_equal(KCTX_SYS(c->p, __NR_read, (uint64_t)pfd[0], buf, 16), 1);
	kctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mounts_and_syscalls),
	    cmocka_unit_test(test_blocking_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
