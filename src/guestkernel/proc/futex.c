/*
 * futex.c - futex words: waiting and waking by key, requeue, wake-op, and
 * the bookkeeping a task's death owes its futexes (robust list,
 * clear_child_tid, PI locks it owned; futex_pi.c has the PI operations).
 *
 * Layer src/guestkernel/proc, the mechanism under sys/sys_futex.c, which
 * decodes the arguments and timeouts. kern.h ("Futexes") gives the model:
 * a waiting task's record (struct gk_futex_q, in the task) sits on a chain
 * of k->futex_hash, oldest first, while the task sleeps in wait.c's sense
 * (gk_block on no queue); a wake takes the record off, says in it what the
 * call returns, and runs the task, whose call then runs again from the
 * start (the restart model) and finds the answer in the record. A wake of
 * N therefore wakes exactly the N oldest waiters that match, and a waiter
 * woken at the same time a signal or its timeout comes still returns 0,
 * as on Linux: the wake is never lost.
 *
 * Keys, as Linux's get_futex_key makes them: FUTEX_PRIVATE_FLAG keys on
 * (address space, gva) without touching memory; a shared futex in a
 * private mapping keys on (address space, gva) too but as another kind,
 * so a private and a shared operation on one word do not meet (glibc
 * waits shared where the kernel wakes shared: pthread_join, robust
 * mutexes); a shared futex in a MAP_SHARED mapping keys on the frame,
 * gpa of the word, so that processes mapping the page meet.
 *
 * A record is taken off its chain when its call ends however it ends:
 * woken, timed out, interrupted, failed on a re-run, or its task gone
 * (p->sys_undo, which gk_syscall and the signal path call; and
 * gk_futex_exit). So no chain holds a task that is not asleep in futex().
 *
 * Locks: one virtual CPU, none. Under SMP the big kernel lock covers the
 * chains and the words' read-modify-write (done with atomics on the
 * word's pmem address so that guest code on another CPU sees them whole).
 *
 * Must not: decode syscall arguments, or sleep on anything but the task.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "futex_impl.h"

/* ---- keys and words -------------------------------------------------------------------- */

/*
 * gk_futex_word - the pmem address of the aligned 32-bit word at uaddr in
 * p's space, faulted in for access (UVK_ACCESS_READ or _WRITE: a write
 * breaks copy-on-write first). NULL if the page cannot be had so.
 */
uint32_t *
gk_futex_word(struct gk_proc *p, uint64_t uaddr, unsigned access)
{
	struct iovec iov;
	size_t len = 0;

	if (!p->vm || (uaddr & 3) || uaddr > GK_FUTEX_TOP - 4)
		return NULL;
	if (gk_user_iov(p, uaddr, 4, access, &iov, 1, &len) != 1 || len != 4)
		return NULL;
	return iov.iov_base;
}

/*
 * gk_futex_key - the key of the word at uaddr for p: shared or not (the
 * FUTEX_PRIVATE_FLAG clear), for access. Returns 0, -EINVAL (unaligned),
 * or -EFAULT (beyond user space; for a shared futex, a page that cannot
 * be faulted in: Linux pins the page to find its key).
 */
int
gk_futex_key(struct gk_proc *p, uint64_t uaddr, int shared, unsigned access,
	     struct gk_futex_key *ret_key)
{
	struct gk_vma *vma;
	uint32_t *w;

	if (uaddr & 3)
		return -EINVAL;
	if (uaddr > GK_FUTEX_TOP - 4)
		return -EFAULT;
	if (!shared) {
		ret_key->space = p->vm;
		ret_key->addr = uaddr;
		ret_key->kind = GK_FUTEX_KEY_PRIVATE;
		return 0;
	}
	/* As Linux: try for write, then settle for read where only reading is asked. */
	w = gk_futex_word(p, uaddr, UVK_ACCESS_WRITE);
	if (!w && access == UVK_ACCESS_READ)
		w = gk_futex_word(p, uaddr, UVK_ACCESS_READ);
	if (!w)
		return -EFAULT;
	vma = gk_vma_find(p->vm, uaddr);
	if (vma && (vma->flags & GK_VMA_SHARED)) {
		ret_key->space = NULL;
		ret_key->addr = (uint64_t)((uint8_t *)w - p->k->ram);
		ret_key->kind = GK_FUTEX_KEY_PHYS;
	} else {
		ret_key->space = p->vm;
		ret_key->addr = uaddr;
		ret_key->kind = GK_FUTEX_KEY_MM;
	}
	return 0;
}

int
gk_futex_key_eq(const struct gk_futex_key *a, const struct gk_futex_key *b)
{
	return a->space == b->space && a->addr == b->addr && a->kind == b->kind;
}

/* ---- the chains ------------------------------------------------------------------------ */

struct gk_futex_chain *
gk_futex_chain(struct gk_kernel *k, const struct gk_futex_key *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key->space ^ key->addr ^ (uint64_t)key->kind;

	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 32;
	return &k->futex_hash[h % GK_FUTEX_HASH];
}

/* Append q (its key set) to the end of its key's chain. */
void
gk_futex_link(struct gk_kernel *k, struct gk_futex_q *q)
{
	struct gk_futex_chain *c = gk_futex_chain(k, &q->key);

	q->next = NULL;
	q->prev = c->last;
	if (c->last)
		c->last->next = q;
	else
		c->first = q;
	c->last = q;
	q->state = GK_FQ_WAIT;
}

static void
unlink_q(struct gk_kernel *k, struct gk_futex_q *q)
{
	struct gk_futex_chain *c = gk_futex_chain(k, &q->key);

	if (q->prev)
		q->prev->next = q->next;
	else
		c->first = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		c->last = q->prev;
	q->next = q->prev = NULL;
}

/*
 * A waiter that is already going (its process exited, not yet released):
 * a wake must not count it, and gk_futex_exit takes it off.
 */
int
gk_futex_q_gone(const struct gk_futex_q *q)
{
	const struct gk_proc *t = q->p;

	return t->state == GK_P_ZOMBIE || t->state == GK_P_DEAD || t->tg->exited;
}

/* The first live waiter on key after q (NULL: from the chain's start). */
struct gk_futex_q *
gk_futex_next(struct gk_kernel *k, const struct gk_futex_key *key, struct gk_futex_q *q)
{
	q = q ? q->next : gk_futex_chain(k, key)->first;
	for (; q; q = q->next)
		if (gk_futex_key_eq(&q->key, key) && !gk_futex_q_gone(q))
			return q;
	return NULL;
}

/* gk_futex_done - q's call is over with result: off its chain, its task runs again. */
void
gk_futex_done(struct gk_kernel *k, struct gk_futex_q *q, int result)
{
	if (q->state == GK_FQ_WAIT)
		unlink_q(k, q);
	q->state = GK_FQ_DONE;
	q->result = result;
	gk_wake_task(q->p);
}

/*
 * gk_futex_move - q now waits on key (requeue). Within one chain it keeps
 * its place, as Linux's requeue does within one hash bucket; to another
 * chain it goes last.
 */
void
gk_futex_move(struct gk_kernel *k, struct gk_futex_q *q, const struct gk_futex_key *key)
{
	if (gk_futex_chain(k, key) == gk_futex_chain(k, &q->key)) {
		q->key = *key;
		return;
	}
	unlink_q(k, q);
	q->key = *key;
	gk_futex_link(k, q);
}

/* p's futex call ended (or p went): its record leaves its chain. p->sys_undo. */
static void
futex_undo(struct gk_proc *p)
{
	struct gk_futex_q *q = &p->futex;

	if (q->state == GK_FQ_WAIT)
		unlink_q(p->k, q);
	memset(q, 0, sizeof(*q));
}

/* The call's deadline (p->deadline, set by the handler) has passed. */
static int
timed_out(const struct gk_proc *p)
{
	return p->deadline && gk_now_ns(CLOCK_MONOTONIC) >= p->deadline;
}

/*
 * gk_futex_sleep - queue p's record (its fields set) and put p to sleep
 * until a wake, a signal or its deadline. Returns -GK_EBLOCK.
 */
long
gk_futex_sleep(struct gk_proc *p)
{
	struct gk_futex_q *q = &p->futex;

	q->p = p;
	gk_futex_link(p->k, q);
	p->sys_undo = futex_undo;
	return gk_block(p, NULL, 0);
}

/*
 * gk_futex_rerun - p's futex call runs again after its task was woken:
 * 1 with *ret its result (woken, timed out) or the sleep resumed; 0 if p
 * has no record (the call's first run).
 */
int
gk_futex_rerun(struct gk_proc *p, long *ret)
{
	struct gk_futex_q *q = &p->futex;

	switch (q->state) {
	case GK_FQ_DONE:
		*ret = q->result;
		return 1;
	case GK_FQ_WAIT:
		/* Neither woken nor out of time: a signal that only stopped us, say. */
		*ret = timed_out(p) ? -ETIMEDOUT : gk_block(p, NULL, 0);
		return 1;
	}
	return 0;
}

/*
 * gk_futex_interrupt - a signal handler is about to run while p sleeps in
 * futex(): what the call returns. A waiter woken (or handed its lock) in
 * the meantime returns that, one out of time -ETIMEDOUT; else, as Linux:
 * FUTEX_WAIT without a timeout -GK_ERESTARTSYS (restarted under
 * SA_RESTART), with one -EINTR (its restart block is not run after a
 * handler); FUTEX_LOCK_PI and a FUTEX_WAIT_REQUEUE_PI not yet requeued
 * -GK_ERESTARTNOINTR (restarted, handler or not); a requeued one -EAGAIN.
 */
long
gk_futex_interrupt(struct gk_proc *p)
{
	const struct gk_futex_q *q = &p->futex;

	if (q->state == GK_FQ_DONE)
		return q->result;
	if (q->state != GK_FQ_WAIT)
		return -EINTR;
	if (timed_out(p))
		return -ETIMEDOUT;
	if (q->rqpi)
		return -GK_ERESTARTNOINTR;
	if (q->pi)
		return q->key2.kind ? -EAGAIN : -GK_ERESTARTNOINTR;
	return p->deadline ? -EINTR : -GK_ERESTARTSYS;
}

/* ---- wait and wake --------------------------------------------------------------------- */

/*
 * gk_futex_wait - FUTEX_WAIT(_BITSET): sleep on the word at uaddr while it
 * holds val, until a wake whose bitset meets bitset. The deadline is
 * p->deadline (0: none). Returns 0 when woken, -EAGAIN (the word changed),
 * -ETIMEDOUT, -EINVAL (bitset 0, unaligned), -EFAULT, or -GK_EBLOCK.
 */
long
gk_futex_wait(struct gk_proc *p, uint64_t uaddr, int shared, uint32_t val, uint32_t bitset)
{
	struct gk_futex_q *q = &p->futex;
	struct gk_futex_key key;
	uint32_t *w;
	long ret;
	int err;

	if (gk_futex_rerun(p, &ret))
		return ret;
	if (!bitset)
		return -EINVAL;
	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_READ, &key);
	if (err < 0)
		return err;
	w = gk_futex_word(p, uaddr, UVK_ACCESS_READ);
	if (!w)
		return -EFAULT;
	if (__atomic_load_n(w, __ATOMIC_SEQ_CST) != val)
		return -EAGAIN;
	if (timed_out(p))
		return -ETIMEDOUT;
	memset(q, 0, sizeof(*q));
	q->key = key;
	q->bitset = bitset;
	return gk_futex_sleep(p);
}

/*
 * Wake up to nr waiters on key whose bitset meets bitset, oldest first
 * (nr <= 0 still wakes one, as Linux's loop does). A PI waiter on the key
 * makes it -EINVAL, those before it woken all the same.
 */
static int
wake_key(struct gk_kernel *k, const struct gk_futex_key *key, int nr, uint32_t bitset)
{
	struct gk_futex_q *q, *next;
	int n = 0;

	for (q = gk_futex_next(k, key, NULL); q; q = next) {
		next = gk_futex_next(k, key, q);
		if (q->pi || q->rqpi)
			return -EINVAL;
		if (!(q->bitset & bitset))
			continue;
		gk_futex_done(k, q, 0);
		if (++n >= nr)
			break;
	}
	return n;
}

/*
 * gk_futex_wake - FUTEX_WAKE(_BITSET): wake up to nr waiters of the word
 * at uaddr whose bitset meets bitset. Returns how many, or -EINVAL
 * (bitset 0, unaligned, a PI waiter), -EFAULT.
 */
long
gk_futex_wake(struct gk_proc *p, uint64_t uaddr, int shared, int nr, uint32_t bitset)
{
	struct gk_futex_key key;
	int err;

	if (!bitset)
		return -EINVAL;
	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_READ, &key);
	if (err < 0)
		return err;
	return wake_key(p->k, &key, nr, bitset);
}

/*
 * gk_futex_requeue - FUTEX_REQUEUE, FUTEX_CMP_REQUEUE (cmpval: -EAGAIN
 * unless the word at uaddr holds *cmpval) and FUTEX_CMP_REQUEUE_PI
 * (requeue_pi): wake nr_wake waiters of uaddr and move up to nr_requeue
 * more to uaddr2. With requeue_pi the waiters must be in
 * FUTEX_WAIT_REQUEUE_PI for uaddr2: the oldest gets the PI lock at once
 * if it is free, the others wait to own it. Returns the number woken and
 * moved, or -EINVAL, -EFAULT, -EAGAIN, -EDEADLK, -ESRCH.
 */
long
gk_futex_requeue(struct gk_proc *p, uint64_t uaddr, int shared, uint64_t uaddr2, int nr_wake,
		 int nr_requeue, const uint32_t *cmpval, int requeue_pi)
{
	struct gk_kernel *k = p->k;
	struct gk_futex_key key1, key2;
	struct gk_futex_q *q, *next;
	struct gk_proc *owner = NULL;
	uint32_t *w;
	int err, count = 0;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if (requeue_pi && (uaddr == uaddr2 || nr_wake != 1))
		return -EINVAL;
	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_READ, &key1);
	if (err == 0)
		err = gk_futex_key(p, uaddr2, shared,
				   requeue_pi ? UVK_ACCESS_WRITE : UVK_ACCESS_READ, &key2);
	if (err < 0)
		return err;
	if (requeue_pi && gk_futex_key_eq(&key1, &key2))
		return -EINVAL;
	if (cmpval) {
		w = gk_futex_word(p, uaddr, UVK_ACCESS_READ);
		if (!w)
			return -EFAULT;
		if (__atomic_load_n(w, __ATOMIC_SEQ_CST) != *cmpval)
			return -EAGAIN;
	}
	if (requeue_pi) {
		err = gk_futex_pi_proxy(p, &key1, &key2, uaddr2, nr_requeue != 0, &owner);
		if (err < 0)
			return err;
		count = err;
	}
	for (q = gk_futex_next(k, &key1, NULL); q; q = next) {
		next = gk_futex_next(k, &key1, q);
		if (count - nr_wake >= nr_requeue)
			break;
		if (requeue_pi != q->rqpi || q->pi)
			return -EINVAL;
		if (!requeue_pi) {
			if (++count <= nr_wake)
				gk_futex_done(k, q, 0);
			else
				gk_futex_move(k, q, &key2);
			continue;
		}
		if (!gk_futex_key_eq(&q->key2, &key2))
			return -EINVAL;
		/* It now waits to own uaddr2, behind whoever waits there already. */
		q->rqpi = 0;
		q->pi = 1;
		q->pi_owner = owner;
		gk_futex_move(k, q, &key2);
		count++;
	}
	return count;
}

/* One FUTEX_WAKE_OP operation on *w; returns the old value. */
static int32_t
wake_op_apply(uint32_t *w, unsigned op, int32_t oparg)
{
	switch (op) {
	case 0: /* FUTEX_OP_SET */
		return (int32_t)__atomic_exchange_n(w, (uint32_t)oparg, __ATOMIC_SEQ_CST);
	case 1: /* FUTEX_OP_ADD */
		return (int32_t)__atomic_fetch_add(w, (uint32_t)oparg, __ATOMIC_SEQ_CST);
	case 2: /* FUTEX_OP_OR */
		return (int32_t)__atomic_fetch_or(w, (uint32_t)oparg, __ATOMIC_SEQ_CST);
	case 3: /* FUTEX_OP_ANDN */
		return (int32_t)__atomic_fetch_and(w, ~(uint32_t)oparg, __ATOMIC_SEQ_CST);
	default: /* FUTEX_OP_XOR */
		return (int32_t)__atomic_fetch_xor(w, (uint32_t)oparg, __ATOMIC_SEQ_CST);
	}
}

/* A 12-bit field as Linux's sign_extend32(x, 11). */
static int32_t
sext12(uint32_t x)
{
	return (int32_t)(x << 20) >> 20;
}

/*
 * gk_futex_wake_op - FUTEX_WAKE_OP: apply the operation encoded in
 * encoded to the word at uaddr2, wake up to nr_wake waiters of uaddr and,
 * if the old value of uaddr2 passes the encoded comparison, up to nr_wake2
 * of uaddr2. Returns the number woken, or -EINVAL, -EFAULT, -ENOSYS (an
 * unknown operation, before the write; an unknown comparison, after it,
 * as on Linux).
 */
long
gk_futex_wake_op(struct gk_proc *p, uint64_t uaddr, int shared, uint64_t uaddr2, int nr_wake,
		 int nr_wake2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = sext12((encoded >> 12) & 0xfff), cmparg = sext12(encoded & 0xfff), old;
	struct gk_futex_key key1, key2;
	uint32_t *w;
	int err, hit, n, n2;

	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_READ, &key1);
	if (err == 0)
		err = gk_futex_key(p, uaddr2, shared, UVK_ACCESS_WRITE, &key2);
	if (err < 0)
		return err;
	if (encoded & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT: Linux takes the shift mod 32 */
		oparg = (int32_t)(1u << (oparg & 31));
	if (op > 4)
		return -ENOSYS;
	w = gk_futex_word(p, uaddr2, UVK_ACCESS_WRITE);
	if (!w)
		return -EFAULT;
	old = wake_op_apply(w, op, oparg);
	switch (cmp) {
	case 0:
		hit = old == cmparg;
		break;
	case 1:
		hit = old != cmparg;
		break;
	case 2:
		hit = old < cmparg;
		break;
	case 3:
		hit = old <= cmparg;
		break;
	case 4:
		hit = old > cmparg;
		break;
	case 5:
		hit = old >= cmparg;
		break;
	default:
		return -ENOSYS;
	}
	n = wake_key(p->k, &key1, nr_wake, UINT32_MAX);
	if (n < 0 || !hit)
		return n;
	n2 = wake_key(p->k, &key2, nr_wake2, UINT32_MAX);
	return n2 < 0 ? n2 : n + n2;
}

/* ---- a task's death -------------------------------------------------------------------- */

/* A shared FUTEX_WAKE of one waiter at uaddr in p's space, as the kernel's own wakes are. */
void
gk_futex_wake_one(struct gk_proc *p, uint64_t uaddr)
{
	struct gk_futex_key key;

	if (gk_futex_key(p, uaddr, 1, UVK_ACCESS_READ, &key) == 0)
		wake_key(p->k, &key, 1, UINT32_MAX);
}

/*
 * The exit (or exec) of p as Linux's futex_cleanup and mm_release do it:
 * the robust list (futex_pi.c), the PI locks p owns handed to their
 * waiters, then clear_child_tid zeroed and woken when another task shares
 * the address space (the word is for those tasks: pthread_join).
 */
static void
futex_release(struct gk_proc *p)
{
	uint32_t zero = 0;

	if (p->vm && p->robust_list)
		gk_futex_robust_walk(p);
	p->robust_list = 0;
	gk_futex_pi_exit(p);
	if (p->clear_tid && p->vm && p->vm->refs > 1) {
		if (gk_copyout(p, p->clear_tid, &zero, sizeof(zero)) == 0)
			gk_futex_wake_one(p, p->clear_tid);
	}
	p->clear_tid = 0;
}

/*
 * gk_futex_exit - task p dies: off any futex it waits on, then its robust
 * list, its PI locks and clear_child_tid. Call while p still has its
 * address space. Idempotent.
 */
void
gk_futex_exit(struct gk_proc *p)
{
	if (p->sys_undo == futex_undo)
		gk_sys_undo(p);
	futex_release(p);
}

/* gk_futex_exec - p execs: what exit does to its futexes happens to the old image. */
void
gk_futex_exec(struct gk_proc *p)
{
	futex_release(p);
}
