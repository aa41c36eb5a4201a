/*
 * tests/unit/futex/test_futex.c - the futex mechanism (proc/futex.c,
 * proc/futex_pi.c) against an explicit kernel context: several tasks of
 * one process waiting at once, in an order the test chooses, which a guest
 * program can only approach. A wake of N takes the N oldest that match (by
 * bitset); requeue keeps the order and queues behind the target's waiters;
 * a PI lock passes to its waiters oldest first, on unlock and on its
 * owner's death; what a signal handler makes of each kind of blocked call.
 *
 * Calls go through the real syscall table (KCTX_SYS): a call that blocks
 * returns -GK_EBLOCK and is issued again, as the run loop re-runs it, to
 * learn its result.
 *
 * Suite unit.
 */
#include <errno.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include <cmocka.h>

#include "kctx.h"

#define NW 5

struct ctx {
	struct kctx *c;
	struct gk_proc *t[NW]; /* threads of c->p */
	uint64_t w, w2, lk;    /* futex words in the shared address space */
};

/*
 * A thread of c->p sharing what clone's thread flags share. Made by hand:
 * gk_proc_fork would hand it the FPU state of a vmspace, and kctx's
 * address space has none.
 */
static struct gk_proc *
thread_new(struct kctx *c)
{
	struct gk_proc *t = gk_thread_alloc(c->p);

	assert_non_null(t);
	t->vm = gk_vm_ref(c->p->vm);
	t->fdt = gk_fdt_ref(c->p->fdt);
	t->fs = gk_fsctx_ref(c->p->fs);
	t->sighand = gk_sighand_ref(c->p->sighand);
	return t;
}

static void
setup(struct ctx *x)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->c = kctx_new(0, NULL);
	for (i = 0; i < NW; i++)
		x->t[i] = thread_new(x->c);
	x->w = kctx_user_alloc(x->c, 4096);
	x->w2 = x->w + 64;
	x->lk = x->w + 128;
}

static uint32_t
get(struct ctx *x, uint64_t gva)
{
	uint32_t v = 0;

	assert_int_equal(gk_copyin(x->c->p, &v, gva, 4), 0);
	return v;
}

static void
set(struct ctx *x, uint64_t gva, uint32_t v)
{
	assert_int_equal(gk_copyout(x->c->p, gva, &v, 4), 0);
}

static long
futex(struct gk_proc *p, uint64_t ua, int op, uint32_t val, uint64_t t, uint64_t ua2, uint32_t v3)
{
	return KCTX_SYS(p, __NR_futex, ua, (uint64_t)op, val, t, ua2, v3);
}

/* Waiter i's blocked call, issued again: its result, or -GK_EBLOCK while it still waits. */
static long
again(struct ctx *x, int i, uint64_t ua, int op, uint32_t val, uint64_t ua2, uint32_t v3)
{
	return futex(x->t[i], ua, op, val, 0, ua2, v3);
}

static void
test_wake_oldest(void **state)
{
	struct ctx x;
	int i;

	(void)state;
	setup(&x);
	for (i = 0; i < NW; i++)
		assert_int_equal(futex(x.t[i], x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), -GK_EBLOCK);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_PRIVATE, 2, 0, 0, 0), 2);
	assert_int_equal(again(&x, 0, x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0), 0);
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0), 0);
	for (i = 2; i < NW; i++)
		assert_int_equal(again(&x, i, x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0), -GK_EBLOCK);
	/* A re-run of a waiter does not lose its place: 2 is still the oldest. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), 1);
	assert_int_equal(again(&x, 2, x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0), 0);
	assert_int_equal(again(&x, 3, x.w, FUTEX_WAIT_PRIVATE, 0, 0, 0), -GK_EBLOCK);
	/* A shared wake does not reach private waiters of the same word. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE, 10, 0, 0, 0), 0);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_PRIVATE, 10, 0, 0, 0), 2);
	kctx_free(x.c);
}

static void
test_bitset(void **state)
{
	static const uint32_t bits[NW] = {1, 2, 6, 4, 2};
	struct ctx x;
	int i;

	(void)state;
	setup(&x);
	for (i = 0; i < NW; i++)
		assert_int_equal(futex(x.t[i], x.w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0, bits[i]),
				 -GK_EBLOCK);
	/* The oldest two with bit 2 (value 2): waiters 1 and 2, not 4. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_BITSET_PRIVATE, 2, 0, 0, 2), 2);
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 2), 0);
	assert_int_equal(again(&x, 2, x.w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 6), 0);
	assert_int_equal(again(&x, 4, x.w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 2), -GK_EBLOCK);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_BITSET_PRIVATE, 9, 0, 0, 8), 0);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE_BITSET_PRIVATE, 9, 0, 0, 4), 1);
	assert_int_equal(again(&x, 3, x.w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 4), 0);
	kctx_free(x.c);
}

static void
test_requeue_order(void **state)
{
	struct ctx x;
	int i;

	(void)state;
	setup(&x);
	/* 0 already waits on w2; 1..4 on w. */
	assert_int_equal(futex(x.t[0], x.w2, FUTEX_WAIT, 0, 0, 0, 0), -GK_EBLOCK);
	for (i = 1; i < NW; i++)
		assert_int_equal(futex(x.t[i], x.w, FUTEX_WAIT, 0, 0, 0, 0), -GK_EBLOCK);
	/* Wake 1 (waiter 1), move 2 (waiters 2, 3) behind 0; 4 stays. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_CMP_REQUEUE, 1, 2, x.w2, 0), 3);
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT, 0, 0, 0), 0);
	assert_int_equal(futex(x.c->p, x.w2, FUTEX_WAKE, 2, 0, 0, 0), 2);
	assert_int_equal(again(&x, 0, x.w2, FUTEX_WAIT, 0, 0, 0), 0);
	assert_int_equal(again(&x, 2, x.w, FUTEX_WAIT, 0, 0, 0), 0);
	assert_int_equal(again(&x, 3, x.w, FUTEX_WAIT, 0, 0, 0), -GK_EBLOCK);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE, 1, 0, 0, 0), 1);
	assert_int_equal(again(&x, 4, x.w, FUTEX_WAIT, 0, 0, 0), 0);
	assert_int_equal(futex(x.c->p, x.w2, FUTEX_WAKE, 1, 0, 0, 0), 1);
	assert_int_equal(again(&x, 3, x.w, FUTEX_WAIT, 0, 0, 0), 0);
	/* A word changed since: EAGAIN, nobody moved. */
	set(&x, x.w, 5);
	assert_int_equal(futex(x.c->p, x.w, FUTEX_CMP_REQUEUE, 1, 1, x.w2, 0), -EAGAIN);
	kctx_free(x.c);
}

static void
test_pi_handoff_order(void **state)
{
	struct ctx x;
	uint32_t owner;
	int i;

	(void)state;
	setup(&x);
	assert_int_equal(futex(x.t[0], x.lk, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0), 0);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[0]->tid);
	for (i = 1; i < NW; i++)
		assert_int_equal(futex(x.t[i], x.lk, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0),
				 -GK_EBLOCK);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[0]->tid | FUTEX_WAITERS);
	/* A plain wake on a PI word with waiters, an unlock by a non-owner: refused. */
	assert_int_equal(futex(x.c->p, x.lk, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(futex(x.c->p, x.lk, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), -EPERM);
	/* Each unlock hands the lock to the oldest waiter, WAITERS kept. */
	for (i = 1; i < NW; i++) {
		assert_int_equal(futex(x.t[i - 1], x.lk, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), 0);
		owner = get(&x, x.lk);
		assert_int_equal(owner, (uint32_t)x.t[i]->tid | FUTEX_WAITERS);
		assert_int_equal(again(&x, i, x.lk, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0), 0);
		if (i + 1 < NW)
			assert_int_equal(again(&x, i + 1, x.lk, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0),
					 -GK_EBLOCK);
	}
	assert_int_equal(futex(x.t[NW - 1], x.lk, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), 0);
	assert_int_equal(get(&x, x.lk), 0);
	kctx_free(x.c);
}

static void
test_pi_owner_death(void **state)
{
	struct ctx x;

	(void)state;
	setup(&x);
	assert_int_equal(futex(x.t[0], x.lk, FUTEX_TRYLOCK_PI, 0, 0, 0, 0), 0);
	assert_int_equal(futex(x.t[1], x.lk, FUTEX_LOCK_PI, 0, 0, 0, 0), -GK_EBLOCK);
	assert_int_equal(futex(x.t[2], x.lk, FUTEX_LOCK_PI, 0, 0, 0, 0), -GK_EBLOCK);
	gk_futex_exit(x.t[0]);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[1]->tid | FUTEX_WAITERS | FUTEX_OWNER_DIED);
	assert_int_equal(again(&x, 1, x.lk, FUTEX_LOCK_PI, 0, 0, 0), 0);
	assert_int_equal(again(&x, 2, x.lk, FUTEX_LOCK_PI, 0, 0, 0), -GK_EBLOCK);
	/* The next waiter now waits for the new owner. */
	assert_int_equal(futex(x.t[1], x.lk, FUTEX_UNLOCK_PI, 0, 0, 0, 0), 0);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[2]->tid | FUTEX_WAITERS);
	assert_int_equal(again(&x, 2, x.lk, FUTEX_LOCK_PI, 0, 0, 0), 0);
	kctx_free(x.c);
}

static void
test_requeue_pi(void **state)
{
	struct ctx x;
	int i;

	(void)state;
	setup(&x);
	for (i = 0; i < 3; i++)
		assert_int_equal(futex(x.t[i], x.w, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, 0, x.lk, 0),
				 -GK_EBLOCK);
	/* Before requeue a handler restarts the call whatever SA_RESTART says. */
	assert_int_equal(gk_futex_interrupt(x.t[2]), -GK_ERESTARTNOINTR);
	/* The lock free: the oldest gets it at once, the next moves onto the lock. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 1, x.lk, 0), 2);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[0]->tid | FUTEX_WAITERS);
	assert_int_equal(again(&x, 0, x.w, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, x.lk, 0), 0);
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, x.lk, 0), -GK_EBLOCK);
	/* Requeued, a handler makes it EAGAIN (Linux's EWOULDBLOCK). */
	assert_int_equal(gk_futex_interrupt(x.t[1]), -EAGAIN);
	/* A plain requeue will not touch a WAIT_REQUEUE_PI waiter. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_REQUEUE_PRIVATE, 0, 1, x.w2, 0), -EINVAL);
	assert_int_equal(futex(x.t[0], x.lk, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), 0);
	assert_int_equal(get(&x, x.lk), (uint32_t)x.t[1]->tid | FUTEX_WAITERS);
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, x.lk, 0), 0);
	/* To another PI word than it waits for: EINVAL. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 1, x.w2, 0), -EINVAL);
	kctx_free(x.c);
}

static void
test_interrupt_and_timeout(void **state)
{
	struct ctx x;

	(void)state;
	setup(&x);
	assert_int_equal(futex(x.t[0], x.w, FUTEX_WAIT, 0, 0, 0, 0), -GK_EBLOCK);
	assert_int_equal(gk_futex_interrupt(x.t[0]), -GK_ERESTARTSYS);
	/* Woken before the handler runs: the wake is kept, the call returns 0. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE, 1, 0, 0, 0), 1);
	assert_int_equal(gk_futex_interrupt(x.t[0]), 0);
	assert_int_equal(again(&x, 0, x.w, FUTEX_WAIT, 0, 0, 0), 0);

	/* A waiter with a deadline: a handler makes it EINTR; past its deadline, ETIMEDOUT. */
	assert_int_equal(futex(x.t[1], x.w, FUTEX_WAIT, 0, 0, 0, 0), -GK_EBLOCK);
	x.t[1]->deadline = gk_now_ns(CLOCK_MONOTONIC) + 1000000000000ULL;
	assert_int_equal(gk_futex_interrupt(x.t[1]), -EINTR);
	x.t[1]->deadline = 1;
	assert_int_equal(gk_futex_interrupt(x.t[1]), -ETIMEDOUT);
	x.t[1]->sys_rerun = 1;
	assert_int_equal(again(&x, 1, x.w, FUTEX_WAIT, 0, 0, 0), -ETIMEDOUT);
	x.t[1]->sys_rerun = 0;
	/* It left the chain with its call: a wake finds nobody. */
	assert_int_equal(futex(x.c->p, x.w, FUTEX_WAKE, 1, 0, 0, 0), 0);

	/* LOCK_PI always restarts. */
	set(&x, x.lk, (uint32_t)x.t[3]->tid);
	assert_int_equal(futex(x.t[2], x.lk, FUTEX_LOCK_PI, 0, 0, 0, 0), -GK_EBLOCK);
	assert_int_equal(gk_futex_interrupt(x.t[2]), -GK_ERESTARTNOINTR);
	kctx_free(x.c);
}

static void
test_robust_exit(void **state)
{
	struct ctx x;
	struct gk_proc *d;
	uint64_t head, e;
	int64_t off = 8;
	uint32_t tid;

	(void)state;
	setup(&x);
	d = x.t[0];
	tid = (uint32_t)d->tid;
	/* head at w + 256: list.next = entry at w + 512 (word at +8), back to head. */
	head = x.w + 256;
	e = x.w + 512;
	assert_int_equal(gk_copyout(d, head, &e, 8), 0);
	assert_int_equal(gk_copyout(d, head + 8, &off, 8), 0);
	assert_int_equal(gk_copyout(d, e, &head, 8), 0);
	set(&x, e + 8, tid | FUTEX_WAITERS);
	assert_int_equal(KCTX_SYS(d, __NR_set_robust_list, head, 24), 0);
	/* A shared waiter on the robust word: the death wakes it. */
	assert_int_equal(futex(x.t[1], e + 8, FUTEX_WAIT, tid | FUTEX_WAITERS, 0, 0, 0),
			 -GK_EBLOCK);
	gk_futex_exit(d);
	assert_int_equal(get(&x, e + 8), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	assert_int_equal(again(&x, 1, e + 8, FUTEX_WAIT, tid | FUTEX_WAITERS, 0, 0), 0);
	assert_int_equal(d->robust_list, 0);
	kctx_free(x.c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wake_oldest),		  cmocka_unit_test(test_bitset),
	    cmocka_unit_test(test_requeue_order),	  cmocka_unit_test(test_pi_handoff_order),
	    cmocka_unit_test(test_pi_owner_death),	  cmocka_unit_test(test_requeue_pi),
	    cmocka_unit_test(test_interrupt_and_timeout), cmocka_unit_test(test_robust_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
