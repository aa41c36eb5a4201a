/*
 * tests/unit/ipc/test_inotify.c - inotify's bounds (ipc/inotify.c) against
 * an explicit kernel context (tests/unit/kctx): the instances and watches
 * a user may have (EMFILE and ENOSPC past them, as inotify_init(2) and
 * inotify_add_watch(2) say), and the event queue, charged to the kernel
 * heap, ending in one IN_Q_OVERFLOW when the heap refuses an event, and
 * given back when read. The guest programs (t_inotify) cannot check these
 * limits: the host's differ from uvk's.
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
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "kctx.h"

static long
in_new(struct kctx *c)
{
	return KCTX_SYS(c->p, __NR_inotify_init1, IN_NONBLOCK);
}

static void
test_instances(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	long fd[GK_INOTIFY_MAX_INSTANCES + 1];
	int i;

	(void)state;
	for (i = 0; i < GK_INOTIFY_MAX_INSTANCES; i++) {
		fd[i] = in_new(c);
		assert_true(fd[i] >= 0);
	}
	assert_int_equal(in_new(c), -EMFILE);
	assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd[3]), 0);
	fd[3] = in_new(c);
	assert_true(fd[3] >= 0);
	for (i = 0; i < GK_INOTIFY_MAX_INSTANCES; i++)
		assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd[i]), 0);
	assert_int_equal(c->k->inotify_instances, 0);
	kctx_free(c);
}

/* Watches of two instances count together; ENOSPC past the limit, room again after a rm. */
static void
test_watches(void **state)
{
	/* RAM enough for /tmp to hold more inodes than watches may be (nr_inodes: half its pages). */
	struct kctx *c = kctx_new(128 << 20, NULL);
	long a = in_new(c), b = in_new(c), fd, wd = 0;
	uint64_t name = kctx_user_alloc(c, 64);
	char path[64];
	int i;

	(void)state;
	for (i = 0; i <= GK_INOTIFY_MAX_WATCHES; i++) {
		snprintf(path, sizeof(path), "/tmp/w%d", i);
		gk_copyout(c->p, name, path, strlen(path) + 1);
		fd = KCTX_SYS(c->p, __NR_open, name, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)fd), 0);
		wd = KCTX_SYS(c->p, __NR_inotify_add_watch, (uint64_t)(i % 2 ? b : a), name,
			      IN_MODIFY);
		if (i < GK_INOTIFY_MAX_WATCHES)
			assert_true(wd > 0);
	}
	assert_int_equal(wd, -ENOSPC);
	/* A watch already there is changed, not added: no room needed. */
	assert_int_equal(KCTX_SYS(c->p, __NR_inotify_add_watch, (uint64_t)a,
				  kctx_user_str(c, "/tmp/w0"), IN_ATTRIB | IN_MASK_ADD),
			 1);
	assert_int_equal(KCTX_SYS(c->p, __NR_inotify_rm_watch, (uint64_t)a, 1), 0);
	assert_true(KCTX_SYS(c->p, __NR_inotify_add_watch, (uint64_t)b, name, IN_MODIFY) > 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)a), 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_close, (uint64_t)b), 0);
	assert_int_equal(c->k->inotify_watches, 0);
	assert_null(c->k->fsn); /* the last mark took the table with it */
	kctx_free(c);
}

/*
 * Events are kernel heap: with the budget nearly spent, the next event is
 * one IN_Q_OVERFLOW (wd -1), queued once; reading gives the heap back.
 */
static void
test_queue_heap(void **state)
{
	struct kctx *c = kctx_new(0, NULL);
	long in = in_new(c), fd, n;
	uint64_t buf = kctx_user_alloc(c, 4096), base, save;
	struct inotify_event ev[2];
	int i;

	(void)state;
	fd = KCTX_SYS(c->p, __NR_open, kctx_user_str(c, "/tmp/q"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_inotify_add_watch, (uint64_t)in,
				  kctx_user_str(c, "/tmp/q"), IN_MODIFY | IN_ATTRIB),
			 1);
	/* A first write gives the file its page (and tmpfs its tree): the event read, base is set. */
	assert_int_equal(KCTX_SYS(c->p, __NR_write, (uint64_t)fd, buf, 1), 1);
	assert_int_equal(KCTX_SYS(c->p, __NR_read, (uint64_t)in, buf, 4096),
			 sizeof(struct inotify_event));
	base = c->k->kmem;
	assert_int_equal(KCTX_SYS(c->p, __NR_pwrite64, (uint64_t)fd, buf, 1, 0), 1);
	assert_true(c->k->kmem > base);
	/* No room for another event: the budget is what is charged now. */
	save = c->k->kmem_max;
	c->k->kmem_max = c->k->kmem;
	for (i = 0; i < 4; i++)
		assert_int_equal(KCTX_SYS(c->p, __NR_fchmod, (uint64_t)fd, i % 2 ? 0600 : 0644), 0);
	c->k->kmem_max = save;
	n = KCTX_SYS(c->p, __NR_read, (uint64_t)in, buf, 4096);
	assert_int_equal(n, 2 * sizeof(struct inotify_event));
	assert_int_equal(gk_copyin(c->p, ev, buf, sizeof(ev)), 0);
	assert_int_equal(ev[0].wd, 1);
	assert_int_equal(ev[0].mask, IN_MODIFY);
	assert_int_equal(ev[1].wd, -1);
	assert_int_equal(ev[1].mask, IN_Q_OVERFLOW);
	assert_int_equal(c->k->kmem, base);
	/* The overflow read, events queue again. */
	assert_int_equal(KCTX_SYS(c->p, __NR_fchmod, (uint64_t)fd, 0600), 0);
	assert_int_equal(KCTX_SYS(c->p, __NR_read, (uint64_t)in, buf, 4096),
			 sizeof(struct inotify_event));
	kctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_instances),
	    cmocka_unit_test(test_watches),
	    cmocka_unit_test(test_queue_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
