/*
 * tests/unit/wait/test_hostwatch.c - host descriptors tasks wait on
 * (src/guestkernel/fs/console.c): one host epoll set, no fixed limit. A
 * task that polls 40 host pipes is woken when the last of them gets data
 * (the kernel used to watch eight and drop the rest silently), only the
 * tasks waiting on that descriptor are, a watch nobody waits on leaves the
 * set, and a task freed while waiting leaves no entry behind (ASan).
 *
 * Suite unit. The kernel object is the test's: gk_console_init() (the
 * epoll set, the host-signal pipe) on a zeroed struct gk_kernel, tasks
 * made by hand, host pipes as the descriptors; no guest program, no ptrace.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "guestkernel/fs/fs.h"

#define NPIPES 40
/* The idle wait's bound: ready descriptors end it at once; an unwatched one would take all of it. */
#define WAIT_NS 5000000000LL

struct fixture {
	struct gk_kernel k;
	struct gk_tgroup tg; /* the tasks' process: no signals pending */
	struct gk_proc *t[3];
	int fds[NPIPES][2];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	f->k.epfd = -1;
	f->k.kmem_max = 1 << 20;
	assert_int_equal(gk_console_init(&f->k), 0);
	for (i = 0; i < 3; i++) {
		f->t[i] = calloc(1, sizeof(*f->t[i]));
		assert_non_null(f->t[i]);
		f->t[i]->k = &f->k;
		f->t[i]->tg = &f->tg;
		f->t[i]->state = GK_P_RUN;
	}
	for (i = 0; i < NPIPES; i++)
		assert_int_equal(pipe2(f->fds[i], O_CLOEXEC | O_NONBLOCK), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	gk_console_fini(&f->k);
	for (i = 0; i < 3; i++) {
		if (f->t[i])
			gk_wait_free(f->t[i]);
		free(f->t[i]);
	}
	for (i = 0; i < NPIPES; i++) {
		close(f->fds[i][0]);
		close(f->fds[i][1]);
	}
	assert_int_equal(f->k.kmem, 0);
	free(f);
	return 0;
}

/* Task t polls the read ends of pipes [from, to): registered on each watch, then asleep. */
static void
poll_pipes(struct fixture *f, struct gk_proc *t, int from, int to)
{
	struct gk_pollreg reg = {.p = t, .err = 0};
	int i;

	for (i = from; i < to; i++)
		assert_int_equal(gk_host_poll_wait(&f->k, &reg, f->fds[i][0], POLLIN), 0);
	assert_int_equal(reg.err, 0);
	assert_int_equal(gk_wait_commit(t), -GK_EBLOCK);
	assert_int_equal(t->state, GK_P_SLEEP);
}

static void
test_the_fortieth_descriptor_wakes(void **state)
{
	struct fixture *f = *state;

	poll_pipes(f, f->t[0], 0, NPIPES);
	assert_int_equal(f->k.nhwatch, NPIPES);
	gk_console_check(&f->k, 0);
	assert_int_equal(f->t[0]->state, GK_P_SLEEP); /* nothing ready yet */
	assert_int_equal(write(f->fds[NPIPES - 1][1], "x", 1), 1);
	gk_console_check(&f->k, WAIT_NS); /* returns at once if the descriptor is watched */
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_null(f->t[0]->wait.list);
	/* Nobody waits any more: every watch left the set. */
	assert_int_equal(f->k.nhwatch, 0);
}

static void
test_only_that_descriptors_waiters_wake(void **state)
{
	struct fixture *f = *state;

	poll_pipes(f, f->t[0], 0, 2);
	poll_pipes(f, f->t[1], 1, 3);
	poll_pipes(f, f->t[2], 5, 6);
	assert_int_equal(f->k.nhwatch, 4);
	assert_int_equal(write(f->fds[1][1], "x", 1), 1);
	gk_console_check(&f->k, WAIT_NS);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_int_equal(f->t[2]->state, GK_P_SLEEP);
	assert_int_equal(f->k.nhwatch, 1);
	/* The one left still works: its one-shot registration is armed. */
	assert_int_equal(write(f->fds[5][1], "y", 1), 1);
	gk_console_check(&f->k, WAIT_NS);
	assert_int_equal(f->t[2]->state, GK_P_RUN);
	assert_int_equal(f->k.nhwatch, 0);
}

/*
 * A console-style read wait (gk_console_wait) and a task freed while it
 * waits: the watch keeps no entry of the freed task (ASan), and goes.
 */
static void
test_freed_waiter_leaves_the_watch(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(gk_console_wait(f->t[0], f->fds[0][0], POLLIN), -GK_EBLOCK);
	assert_int_equal(gk_console_wait(f->t[1], f->fds[0][0], POLLIN), -GK_EBLOCK);
	assert_int_equal(f->k.nhwatch, 1);
	gk_wait_free(f->t[0]);
	free(f->t[0]);
	f->t[0] = NULL;
	assert_int_equal(write(f->fds[0][1], "x", 1), 1);
	gk_console_check(&f->k, WAIT_NS);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_int_equal(f->k.nhwatch, 0);
}

/* A descriptor epoll cannot watch (a regular file) is ready at once for poll, never a sleep. */
static void
test_unwatchable_is_ready(void **state)
{
	struct fixture *f = *state;
	struct gk_pollreg reg = {.p = f->t[0], .err = 0};
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(gk_host_poll_wait(&f->k, &reg, fd, POLLIN), POLLIN);
	assert_int_equal(gk_console_wait(f->t[1], fd, POLLIN), 0);
	gk_wait_cancel(f->t[0]);
	assert_int_equal(f->k.nhwatch, 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_the_fortieth_descriptor_wakes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_only_that_descriptors_waiters_wake, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_freed_waiter_leaves_the_watch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwatchable_is_ready, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
