/*
 * tests/unit/wait/test_waitq.c - wait queues (src/guestkernel/kern/wait.c)
 * against an explicit kernel object and tasks made by the test: enqueue,
 * wake all, wake by event, wake one (the oldest), removal from every queue
 * when a task is woken, killed or freed, no wake-up lost between the check
 * and the commit, a queue whose object goes away, and more entries than a
 * task holds inline.
 *
 * Suite unit. No guest program, no ptrace, no pmem: a queue needs none.
 * Under AddressSanitizer (build-san) a queue entry left pointing at a freed
 * task or a freed queue shows as a use after free.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "guestkernel/kern/kern.h"

struct fixture {
	struct gk_kernel *k;
	struct gk_tgroup tg; /* the tasks' process: no signals pending */
	struct gk_proc *t[4];
};

static struct gk_proc *
task_new(struct gk_kernel *k, struct gk_tgroup *tg)
{
	struct gk_proc *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->k = k;
	p->tg = tg;
	p->state = GK_P_RUN;
	return p;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	f->k = calloc(1, sizeof(*f->k));
	assert_non_null(f->k);
	f->k->kmem_max = 1 << 20;
	for (i = 0; i < 4; i++)
		f->t[i] = task_new(f->k, &f->tg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 4; i++) {
		if (f->t[i])
			gk_wait_free(f->t[i]);
		free(f->t[i]);
	}
	/* Every chunk a task took was given back to the budget. */
	assert_int_equal(f->k->kmem, 0);
	free(f->k);
	free(f);
	return 0;
}

/* How many entries q holds. */
static int
qlen(const struct gk_waitq *q)
{
	const struct gk_wentry *e;
	int n = 0;

	for (e = q->first; e; e = e->next)
		n++;
	return n;
}

static void
test_block_and_wake_all(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(gk_block(f->t[i], &q, 0), -GK_EBLOCK);
		assert_int_equal(f->t[i]->state, GK_P_SLEEP);
	}
	assert_int_equal(qlen(&q), 3);
	assert_ptr_equal(q.first->p, f->t[0]); /* oldest first */
	gk_waitq_wake(&q, POLLIN);
	for (i = 0; i < 3; i++) {
		assert_int_equal(f->t[i]->state, GK_P_RUN);
		assert_null(f->t[i]->wait.list);
	}
	assert_true(gk_waitq_empty(&q));
	assert_null(q.last);
	/* A wake with nobody on the queue does nothing. */
	gk_waitq_wake(&q, 0);
	assert_int_equal(f->t[3]->state, GK_P_RUN);
}

static void
test_wake_only_matching_events(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};

	gk_block(f->t[0], &q, POLLIN);
	gk_block(f->t[1], &q, POLLOUT);
	gk_block(f->t[2], &q, 0); /* any wake */
	gk_waitq_wake(&q, POLLOUT);
	assert_int_equal(f->t[0]->state, GK_P_SLEEP);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_int_equal(f->t[2]->state, GK_P_RUN);
	assert_int_equal(qlen(&q), 1);
	assert_ptr_equal(q.first->p, f->t[0]);
	gk_waitq_wake(&q, POLLIN);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_true(gk_waitq_empty(&q));
}

static void
test_wake_one_takes_the_oldest(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};

	gk_block(f->t[2], &q, 0);
	gk_block(f->t[0], &q, 0);
	gk_block(f->t[1], &q, 0);
	assert_int_equal(gk_waitq_wake_one(&q, 0), 1);
	assert_int_equal(f->t[2]->state, GK_P_RUN);
	assert_int_equal(f->t[0]->state, GK_P_SLEEP);
	assert_int_equal(f->t[1]->state, GK_P_SLEEP);
	assert_int_equal(gk_waitq_wake_one(&q, 0), 1);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(f->t[1]->state, GK_P_SLEEP);
	assert_int_equal(gk_waitq_wake_one(&q, 0), 1);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_int_equal(gk_waitq_wake_one(&q, 0), 0);
	assert_true(gk_waitq_empty(&q));
}

/* A poller on three queues, one of them twice: a wake on one takes it off all. */
static void
test_woken_task_leaves_every_queue(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq a = {0}, b = {0}, c = {0};
	struct gk_pollreg reg = {.p = f->t[0], .err = 0};

	gk_block(f->t[1], &b, 0);
	gk_poll_wait(&reg, &a, POLLIN);
	gk_poll_wait(&reg, &b, POLLIN);
	gk_poll_wait(&reg, &c, POLLOUT);
	gk_poll_wait(&reg, &b, POLLOUT);
	assert_int_equal(reg.err, 0);
	assert_int_equal(gk_wait_commit(f->t[0]), -GK_EBLOCK);
	assert_int_equal(f->t[0]->state, GK_P_SLEEP);
	assert_int_equal(qlen(&b), 3);
	gk_waitq_wake(&b, POLLIN);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_true(gk_waitq_empty(&a));
	assert_true(gk_waitq_empty(&b));
	assert_true(gk_waitq_empty(&c));
}

/* A signal or a deadline (gk_wake_task) ends the wait on every queue too. */
static void
test_signal_wake_leaves_every_queue(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq a = {0}, b = {0};

	assert_int_equal(gk_wait_prepare(f->t[0], &a, 0), 0);
	assert_int_equal(gk_wait_prepare(f->t[0], &b, 0), 0);
	gk_block(f->t[1], &a, 0);
	gk_wait_commit(f->t[0]);
	gk_wake_task(f->t[0]);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(qlen(&a), 1);
	assert_ptr_equal(a.first->p, f->t[1]);
	assert_true(gk_waitq_empty(&b));
	gk_waitq_wake(&a, 0); /* a is on this stack frame: nobody may stay on it */
	assert_true(gk_waitq_empty(&a));
}

/*
 * A task killed while asleep is freed: its entries must be gone from the
 * queues first, or the next wake would write into freed memory (ASan).
 */
static void
test_killed_task_is_freed_off_its_queues(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};
	int i;

	for (i = 0; i < 40; i++) /* inline entries and a chunk */
		assert_int_equal(gk_wait_prepare(f->t[0], &q, 0), 0);
	gk_wait_commit(f->t[0]);
	gk_block(f->t[1], &q, 0);
	assert_int_equal(qlen(&q), 41);
	gk_wait_free(f->t[0]);
	free(f->t[0]);
	f->t[0] = NULL;
	assert_int_equal(qlen(&q), 1);
	gk_waitq_wake(&q, 0);
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_true(gk_waitq_empty(&q));
}

/*
 * The check/commit order: a wake that comes after the task went on the
 * queue but before it committed (the condition changed just after it
 * looked) leaves it runnable; it is not lost.
 */
static void
test_no_lost_wakeup_between_check_and_commit(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};

	assert_int_equal(gk_wait_prepare(f->t[0], &q, POLLIN), 0);
	/* The condition is checked here and is false; then the event comes: */
	gk_waitq_wake(&q, POLLIN);
	assert_int_equal(gk_wait_commit(f->t[0]), -GK_EBLOCK);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_true(gk_waitq_empty(&q));
	assert_null(f->t[0]->wait.list);
	/* And the record is clean: the next wait sleeps. */
	gk_block(f->t[0], &q, POLLIN);
	assert_int_equal(f->t[0]->state, GK_P_SLEEP);
	gk_waitq_wake(&q, POLLOUT); /* not what it waits for */
	assert_int_equal(f->t[0]->state, GK_P_SLEEP);
	gk_waitq_wake(&q, POLLIN);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
}

/* The condition held after prepare: cancel leaves nothing on the queue. */
static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q = {0};

	gk_wait_prepare(f->t[0], &q, 0);
	gk_wait_prepare(f->t[0], &q, 0);
	gk_wait_cancel(f->t[0]);
	assert_true(gk_waitq_empty(&q));
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(f->t[0]->wait.used, 0);
}

/*
 * An object freed while a task is on its queue (a pipe whose last end
 * closes): fini wakes the sleepers and unlinks every entry, also those of
 * a task between prepare and commit, so that the task's later finish does
 * not touch the freed queue (ASan).
 */
static void
test_fini_of_a_queue_still_waited_on(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq *q = calloc(1, sizeof(*q)), other = {0};

	assert_non_null(q);
	gk_block(f->t[0], q, 0);
	gk_wait_prepare(f->t[1], q, 0);
	gk_wait_prepare(f->t[1], &other, 0);
	gk_waitq_fini(q);
	free(q);
	assert_int_equal(f->t[0]->state, GK_P_RUN);
	assert_int_equal(gk_wait_commit(f->t[1]), -GK_EBLOCK); /* woken: does not sleep */
	assert_int_equal(f->t[1]->state, GK_P_RUN);
	assert_true(gk_waitq_empty(&other));
}

/* Many queues (a poll of 200 descriptors) twice: chunks are kept and reused, not leaked. */
static void
test_many_entries(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq *q = calloc(200, sizeof(*q));
	struct gk_pollreg reg = {.p = f->t[0], .err = 0};
	uint64_t kmem;
	int round, i;

	assert_non_null(q);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 200; i++)
			gk_poll_wait(&reg, &q[i], POLLIN);
		assert_int_equal(reg.err, 0);
		if (round == 0)
			kmem = f->k->kmem;
		assert_int_equal(f->k->kmem, kmem);
		gk_wait_commit(f->t[0]);
		gk_waitq_wake(&q[199], POLLIN);
		assert_int_equal(f->t[0]->state, GK_P_RUN);
		for (i = 0; i < 200; i++)
			assert_true(gk_waitq_empty(&q[i]));
	}
	free(q);
}

/* Past the kernel-heap budget, registration fails with -ENOMEM, and nothing stays queued. */
static void
test_registration_out_of_budget(void **state)
{
	struct fixture *f = *state;
	struct gk_waitq q[GK_WAIT_INLINE + 1] = {{0}};
	struct gk_pollreg reg = {.p = f->t[0], .err = 0};
	int i;

	f->k->kmem_max = 0;
	for (i = 0; i < GK_WAIT_INLINE + 1; i++)
		gk_poll_wait(&reg, &q[i], POLLIN);
	assert_int_equal(reg.err, -ENOMEM);
	gk_wait_cancel(f->t[0]);
	for (i = 0; i < GK_WAIT_INLINE + 1; i++)
		assert_true(gk_waitq_empty(&q[i]));
	f->k->kmem_max = 1 << 20;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_block_and_wake_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wake_only_matching_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wake_one_takes_the_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_woken_task_leaves_every_queue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signal_wake_leaves_every_queue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_task_is_freed_off_its_queues, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_lost_wakeup_between_check_and_commit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fini_of_a_queue_still_waited_on, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registration_out_of_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
