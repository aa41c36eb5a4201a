/*
 * futex_pi.c - priority-inheritance futexes and robust lists: the word
 * protocol glibc's PI and robust mutexes keep with the kernel.
 *
 * Layer src/guestkernel/proc, beside futex.c (futex_impl.h). A PI word
 * holds its owner's tid, FUTEX_WAITERS when the kernel has waiters for it
 * (so that unlocking comes into the kernel), and FUTEX_OWNER_DIED once an
 * owner died holding it. The kernel's side of a PI futex is its waiters:
 * records with pi set on the word's key, each naming the owner (pi_owner)
 * the kernel found by the word's tid when the first of them came; there
 * is no other state, and it goes with the last waiter. An unlock hands
 * the lock to the oldest waiter at once (its tid | FUTEX_WAITERS in the
 * word), as Linux's wake_futex_pi does; so does the owner's death, with
 * FUTEX_OWNER_DIED. One
 * virtual CPU: nobody's priority is boosted, but who owns what, and every
 * answer, is Linux's.
 *
 * The robust list (set_robust_list) is walked at exit as Linux's
 * exit_robust_list does: at most ROBUST_LIST_LIMIT entries, a pointer
 * that cannot be read ends the walk, every word owned by the dying task
 * gets FUTEX_OWNER_DIED (its tid cleared, FUTEX_WAITERS kept) and one
 * waiter woken, and list_op_pending is handled last.
 *
 * Must not: decode syscall arguments.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "futex_impl.h"

#define ROBUST_LIST_LIMIT 2048

/*
 * The task with that tid that has not finished dying, or NULL: a zombie or
 * a dead thread owns nothing (its PI locks were handed on as it died).
 */
static struct gk_proc *
task_by_tid(struct gk_kernel *k, uint32_t tid)
{
	struct gk_proc *t;

	for (t = k->procs; t; t = t->next)
		if ((uint32_t)t->tid == tid && t->state != GK_P_ZOMBIE && t->state != GK_P_DEAD)
			return t;
	return NULL;
}

/*
 * Try to take the PI word w (key) for task t, as Linux's
 * futex_lock_pi_atomic. Returns 1 if t now owns it (set_waiters: with
 * FUTEX_WAITERS, others will wait behind it), 0 if another task owns it
 * (*ret_owner; FUTEX_WAITERS is set), or -EDEADLK (t owns it already),
 * -ESRCH (the tid in the word is nobody), -EPERM (a private futex whose
 * owner is in another address space), -EINVAL (the word and the
 * kernel's waiters disagree, or plain waiters are on the word).
 */
static int
pi_try(struct gk_kernel *k, const struct gk_futex_key *key, uint32_t *w, struct gk_proc *t,
       int set_waiters, struct gk_proc **ret_owner)
{
	uint32_t uval, tid;
	struct gk_futex_q *top;
	struct gk_proc *owner;

	/*
	 * Every change of the word is a compare-and-exchange, as Linux's
	 * cmpxchg_futex_value_locked: on another vCPU a thread of the guest
	 * may take or give the lock in user space (0 <-> its tid) meanwhile,
	 * and a plain store would overwrite that.
	 */
again:
	uval = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	tid = uval & GK_FUTEX_TID_MASK;
	if (tid == (uint32_t)t->tid)
		return -EDEADLK;
	top = gk_futex_next(k, key, NULL);
	if (top) {
		/* Waiters already: they name the owner; the word must agree. */
		if (!top->pi || !top->pi_owner)
			return -EINVAL;
		if (tid && tid != (uint32_t)top->pi_owner->tid)
			return -EINVAL;
		if (!tid && !(uval & GK_FUTEX_OWNER_DIED))
			return -EINVAL;
		*ret_owner = top->pi_owner;
		return 0;
	}
	if (!tid) {
		/* Free: take it, keeping OWNER_DIED for the new owner to see. */
		uint32_t nval = (uval & GK_FUTEX_OWNER_DIED) | (uint32_t)t->tid |
				(set_waiters ? GK_FUTEX_WAITERS : 0);

		if (!__atomic_compare_exchange_n(w, &uval, nval, false, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			goto again;
		return 1;
	}
	/* The first waiter: FUTEX_WAITERS goes in before the owner is looked for, as Linux. */
	if (!(uval & GK_FUTEX_WAITERS) &&
	    !__atomic_compare_exchange_n(w, &uval, uval | GK_FUTEX_WAITERS, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		goto again;
	owner = task_by_tid(k, tid);
	if (!owner)
		return -ESRCH;
	/* A private futex is one address space's: Linux 6.18 refuses an owner outside it. */
	if (key->kind == GK_FUTEX_KEY_PRIVATE && owner->vm != t->vm)
		return -EPERM;
	*ret_owner = owner;
	return 0;
}

/*
 * gk_futex_lock_pi - FUTEX_LOCK_PI(2) and, with trylock, FUTEX_TRYLOCK_PI:
 * take the PI lock at uaddr, or wait (until p->deadline, 0 none) for its
 * owner to hand it over. Returns 0 (p owns it), -EAGAIN (trylock: someone
 * else does), -EDEADLK, -ESRCH, -EINVAL, -EFAULT, -ETIMEDOUT, -GK_EBLOCK.
 */
long
gk_futex_lock_pi(struct gk_proc *p, uint64_t uaddr, int shared, int trylock)
{
	struct gk_futex_q *q = &p->futex;
	struct gk_futex_key key;
	struct gk_proc *owner = NULL;
	uint32_t *w;
	long ret;
	int err;

	if (gk_futex_rerun(p, &ret))
		return ret;
	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_WRITE, &key);
	if (err < 0)
		return err;
	w = gk_futex_word(p, uaddr, UVK_ACCESS_WRITE);
	if (!w)
		return -EFAULT;
	err = pi_try(p->k, &key, w, p, 0, &owner);
	if (err != 0)
		return err == 1 ? 0 : err;
	if (trylock)
		return -EAGAIN;
	if (p->deadline && gk_now_ns(CLOCK_MONOTONIC) >= p->deadline)
		return -ETIMEDOUT;
	memset(q, 0, sizeof(*q));
	q->key = key;
	q->bitset = UINT32_MAX;
	q->uaddr = uaddr;
	q->pi = 1;
	q->pi_owner = owner;
	return gk_futex_sleep(p);
}

/*
 * Give the PI lock of top's key to top: its word (at top->uaddr in its
 * space) gets its tid | FUTEX_WAITERS, and FUTEX_OWNER_DIED too when the
 * owner died (Linux's fixup_pi_state_owner, for an owner that is gone);
 * top's call returns 0, and the others waiting behind it now wait for top.
 */
static void
pi_hand_over(struct gk_kernel *k, struct gk_futex_q *top, int died)
{
	struct gk_futex_key key = top->key;
	struct gk_proc *t = top->p;
	struct gk_futex_q *q;
	uint32_t *w = gk_futex_word(t, top->uaddr, UVK_ACCESS_WRITE);

	if (w)
		__atomic_store_n(
		    w, (died ? GK_FUTEX_OWNER_DIED : 0) | GK_FUTEX_WAITERS | (uint32_t)t->tid,
		    __ATOMIC_SEQ_CST);
	gk_futex_done(k, top, w ? 0 : -EFAULT);
	for (q = gk_futex_chain(k, &key)->first; q; q = q->next)
		if (q->pi && gk_futex_key_eq(&q->key, &key))
			q->pi_owner = t;
}

/*
 * gk_futex_unlock_pi - FUTEX_UNLOCK_PI: p gives up the PI lock at uaddr,
 * to its oldest waiter if it has one, else the word becomes 0. Returns 0,
 * -EPERM (p does not own it), -EINVAL (the kernel's waiters disagree),
 * -EFAULT.
 */
long
gk_futex_unlock_pi(struct gk_proc *p, uint64_t uaddr, int shared)
{
	struct gk_futex_key key;
	struct gk_futex_q *top;
	uint32_t *w, uval;
	int err;

	err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_WRITE, &key);
	if (err < 0)
		return err;
	w = gk_futex_word(p, uaddr, UVK_ACCESS_WRITE);
	if (!w)
		return -EFAULT;
retry:
	uval = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	if ((uval & GK_FUTEX_TID_MASK) != (uint32_t)p->tid)
		return -EPERM;
	top = gk_futex_next(p->k, &key, NULL);
	if (top) {
		if (!top->pi || top->pi_owner != p)
			return -EINVAL;
		pi_hand_over(p->k, top, 0);
		return 0;
	}
	/* No waiters: free, WAITERS and OWNER_DIED dropped (we owned it; only we change it now). */
	if (!__atomic_compare_exchange_n(w, &uval, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		goto retry; /* changed under us (as Linux, which retries on -EAGAIN) */
	return 0;
}

/*
 * gk_futex_wait_requeue_pi - FUTEX_WAIT_REQUEUE_PI: wait on the plain word
 * at uaddr (while it holds val) to be requeued by FUTEX_CMP_REQUEUE_PI to
 * the PI lock at uaddr2, and return owning that lock. Returns 0, -EAGAIN,
 * -EINVAL (the same word twice), -EFAULT, -ETIMEDOUT, -GK_EBLOCK.
 */
long
gk_futex_wait_requeue_pi(struct gk_proc *p, uint64_t uaddr, int shared, uint32_t val,
			 uint64_t uaddr2)
{
	struct gk_futex_q *q = &p->futex;
	struct gk_futex_key key, key2;
	uint32_t *w;
	long ret;
	int err;

	if (gk_futex_rerun(p, &ret))
		return ret;
	if (uaddr == uaddr2)
		return -EINVAL;
	err = gk_futex_key(p, uaddr2, shared, UVK_ACCESS_WRITE, &key2);
	if (err == 0)
		err = gk_futex_key(p, uaddr, shared, UVK_ACCESS_READ, &key);
	if (err < 0)
		return err;
	w = gk_futex_word(p, uaddr, UVK_ACCESS_READ);
	if (!w)
		return -EFAULT;
	if (__atomic_load_n(w, __ATOMIC_SEQ_CST) != val)
		return -EAGAIN;
	if (gk_futex_key_eq(&key, &key2))
		return -EINVAL;
	if (p->deadline && gk_now_ns(CLOCK_MONOTONIC) >= p->deadline)
		return -ETIMEDOUT;
	memset(q, 0, sizeof(*q));
	q->key = key;
	q->key2 = key2;
	q->uaddr = uaddr2;
	q->bitset = UINT32_MAX;
	q->rqpi = 1;
	return gk_futex_sleep(p);
}

/*
 * gk_futex_pi_proxy - FUTEX_CMP_REQUEUE_PI's first step (Linux's
 * futex_proxy_trylock_atomic): take the PI lock at uaddr2 (key2, in p's
 * space) for the oldest waiter on key1. Returns 1 if it got it (and is
 * woken), 0 if it must wait (*ret_owner the owner) or nobody waits, or
 * -EINVAL (the waiter is not in FUTEX_WAIT_REQUEUE_PI for uaddr2),
 * -EDEADLK, -ESRCH, -EFAULT.
 */
int
gk_futex_pi_proxy(struct gk_proc *p, const struct gk_futex_key *key1,
		  const struct gk_futex_key *key2, uint64_t uaddr2, int set_waiters,
		  struct gk_proc **ret_owner)
{
	struct gk_futex_q *top = gk_futex_next(p->k, key1, NULL);
	uint32_t *w;
	int r;

	/* Linux reads the PI word first; it writes it only for a waiter. */
	if (!gk_futex_word(p, uaddr2, UVK_ACCESS_READ))
		return -EFAULT;
	if (!top)
		return 0;
	w = gk_futex_word(p, uaddr2, UVK_ACCESS_WRITE);
	if (!w)
		return -EFAULT;
	if (!top->rqpi || !gk_futex_key_eq(&top->key2, key2))
		return -EINVAL;
	r = pi_try(p->k, key2, w, top->p, set_waiters, ret_owner);
	if (r == 1) {
		*ret_owner = top->p;
		gk_futex_done(p->k, top, 0);
	}
	return r;
}

/*
 * gk_futex_pi_exit - p is going: every PI lock the kernel knows it owns
 * (it has waiters) goes to its oldest waiter with FUTEX_OWNER_DIED, robust
 * or not, as Linux's exit_pi_state_list and the new owner's fixup do. No
 * waiter is left naming p.
 */
void
gk_futex_pi_exit(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	struct gk_futex_q *q, *top;
	int i;

	for (i = 0; i < GK_FUTEX_HASH; i++) {
	again:
		for (q = k->futex_hash[i].first; q; q = q->next) {
			if (!q->pi || q->pi_owner != p)
				continue;
			top = gk_futex_next(k, &q->key, NULL);
			if (!top || !top->pi) {
				q->pi_owner = NULL;
				continue;
			}
			pi_hand_over(k, top, 1);
			goto again; /* the chain changed */
		}
	}
}

/* A robust-list pointer at gva: the entry (low bit cleared) and its PI bit. */
static int
fetch_entry(struct gk_proc *p, uint64_t gva, uint64_t *ret_entry, int *ret_pi)
{
	uint64_t v;

	if (gk_copyin(p, &v, gva, sizeof(v)) < 0)
		return -EFAULT;
	*ret_entry = v & ~1ULL;
	*ret_pi = (int)(v & 1);
	return 0;
}

/*
 * The robust futex at uaddr of dying p (Linux's handle_futex_death).
 * Returns 0, or -1 when the word cannot be read or written: the walk ends.
 */
static int
futex_death(struct gk_proc *p, uint64_t uaddr, int pi, int pending)
{
	uint32_t uval, owner, *w;

	if (uaddr & 3)
		return -1;
	if (gk_copyin(p, &uval, uaddr, sizeof(uval)) < 0)
		return -1;
	owner = uval & GK_FUTEX_TID_MASK;
	/*
	 * A lock being taken or released when p died, already free: wake
	 * one waiter so that it takes it, without marking it dead.
	 */
	if (pending && !pi && !owner) {
		gk_futex_wake_one(p, uaddr);
		return 0;
	}
	if (owner != (uint32_t)p->tid)
		return 0;
	w = gk_futex_word(p, uaddr, UVK_ACCESS_WRITE);
	if (!w)
		return -1;
	/* A waiter on another vCPU may set FUTEX_WAITERS meanwhile: keep it (Linux's cmpxchg loop). */
	while (!__atomic_compare_exchange_n(w, &uval, (uval & GK_FUTEX_WAITERS) | GK_FUTEX_OWNER_DIED,
					    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		if ((uval & GK_FUTEX_TID_MASK) != (uint32_t)p->tid)
			return 0;
	/* A PI lock goes to its waiter in gk_futex_pi_exit. */
	if (!pi && (uval & GK_FUTEX_WAITERS))
		gk_futex_wake_one(p, uaddr);
	return 0;
}

/*
 * gk_futex_robust_walk - p is dying with a robust list registered
 * (struct robust_list_head: list.next, futex_offset, list_op_pending):
 * every lock on it that p owns is marked FUTEX_OWNER_DIED.
 */
void
gk_futex_robust_walk(struct gk_proc *p)
{
	uint64_t head = p->robust_list, entry, next, pending;
	unsigned limit = ROBUST_LIST_LIMIT;
	int pi, next_pi, pip, rc;
	int64_t off;

	if (fetch_entry(p, head, &entry, &pi) < 0)
		return;
	if (gk_copyin(p, &off, head + 8, sizeof(off)) < 0)
		return;
	if (fetch_entry(p, head + 16, &pending, &pip) < 0)
		return;
	while (entry != head) {
		/* The next pointer first: handling the entry may free it, in user space. */
		rc = fetch_entry(p, entry, &next, &next_pi);
		if (entry != pending && futex_death(p, entry + (uint64_t)off, pi, 0) < 0)
			return;
		if (rc < 0)
			return;
		entry = next;
		pi = next_pi;
		if (!--limit)
			break;
	}
	if (pending)
		futex_death(p, pending + (uint64_t)off, pip, 1);
}
