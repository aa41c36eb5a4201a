/*
 * sys_futex.c - futex(2), set_robust_list(2), get_robust_list(2): argument
 * decoding, timeouts, and Linux's order of checks; the mechanism is
 * proc/futex.c and proc/futex_pi.c.
 *
 * Layer src/guestkernel/sys. Arguments only through sysarg.h. The fourth
 * argument of futex is a timeout (a struct timespec pointer) for the
 * waiting operations and a count (its low 32 bits) for the others, as
 * Linux reads it: val2 of FUTEX_REQUEUE, FUTEX_CMP_REQUEUE(_PI) and
 * FUTEX_WAKE_OP. Timeouts: FUTEX_WAIT's is relative (CLOCK_MONOTONIC);
 * FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI and FUTEX_LOCK_PI2 take an
 * absolute CLOCK_MONOTONIC time, or CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME; FUTEX_LOCK_PI an absolute CLOCK_REALTIME time.
 * Every one becomes p->deadline on the call's first run; a blocked call
 * run again after a wake keeps it and does not read the timeout again.
 *
 * Must not: touch futex chains or words itself.
 */
#include <errno.h>
#include <linux/futex.h>
#include <time.h>

#include "sys.h"

/* The operations that take a timeout (Linux's futex_cmd_has_timeout). */
static int
has_timeout(int cmd)
{
	return cmd == FUTEX_WAIT || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 ||
	       cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI;
}

/*
 * The timeout at gva as p->deadline (CLOCK_MONOTONIC ns). Returns 0,
 * -EFAULT, or -EINVAL (negative seconds, nanoseconds out of range).
 */
static int
futex_deadline(struct gk_proc *p, int op, int cmd, uint64_t gva)
{
	uint64_t ns, now, rt;
	int err = gk_timespec_in(p, gva, &ns);

	if (err < 0)
		return err;
	if (cmd == FUTEX_WAIT) {
		gk_timeout(p, ns);
		return 0;
	}
	now = gk_now_ns(CLOCK_MONOTONIC);
	if (cmd == FUTEX_LOCK_PI || (op & FUTEX_CLOCK_REALTIME)) {
		/* A CLOCK_REALTIME instant, as the monotonic one it falls on. */
		rt = gk_now_ns(CLOCK_REALTIME);
		ns = ns > rt ? (ns - rt > UINT64_MAX - now ? UINT64_MAX : now + (ns - rt)) : now;
	}
	gk_timeout_abs(p, ns);
	return 0;
}

GK_SYS(futex)
{
	uint64_t uaddr = gk_arg_ptr(a, 0), utime = gk_arg_ptr(a, 3), uaddr2 = gk_arg_ptr(a, 4);
	int op = gk_arg_int(a, 1), cmd = op & FUTEX_CMD_MASK;
	uint32_t val = gk_arg_uint(a, 2), val3 = gk_arg_uint(a, 5);
	int val2 = (int)gk_arg_uint(a, 3), shared = !(op & FUTEX_PRIVATE_FLAG), err;

	if (utime && has_timeout(cmd) && !p->sys_rerun) {
		err = futex_deadline(p, op, cmd, utime);
		if (err < 0)
			return err;
	}
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		return gk_futex_wait(p, uaddr, shared, val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return gk_futex_wait(p, uaddr, shared, val, val3);
	case FUTEX_WAKE:
		return gk_futex_wake(p, uaddr, shared, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return gk_futex_wake(p, uaddr, shared, (int)val, val3);
	case FUTEX_REQUEUE:
		return gk_futex_requeue(p, uaddr, shared, uaddr2, (int)val, val2, NULL, 0);
	case FUTEX_CMP_REQUEUE:
		return gk_futex_requeue(p, uaddr, shared, uaddr2, (int)val, val2, &val3, 0);
	case FUTEX_WAKE_OP:
		return gk_futex_wake_op(p, uaddr, shared, uaddr2, (int)val, val2, val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return gk_futex_lock_pi(p, uaddr, shared, 0);
	case FUTEX_UNLOCK_PI:
		return gk_futex_unlock_pi(p, uaddr, shared);
	case FUTEX_TRYLOCK_PI:
		return gk_futex_lock_pi(p, uaddr, shared, 1);
	case FUTEX_WAIT_REQUEUE_PI:
		return gk_futex_wait_requeue_pi(p, uaddr, shared, val, uaddr2);
	case FUTEX_CMP_REQUEUE_PI:
		return gk_futex_requeue(p, uaddr, shared, uaddr2, (int)val, val2, &val3, 1);
	}
	/* FUTEX_FD (gone since 2.6.26) and anything unknown. */
	return -ENOSYS;
}

/* struct robust_list_head: list.next, futex_offset, list_op_pending. */
#define ROBUST_HEAD_SIZE 24

GK_SYS(set_robust_list)
{
	if (gk_arg_size(a, 1) != ROBUST_HEAD_SIZE)
		return -EINVAL;
	p->robust_list = gk_arg_ptr(a, 0);
	return 0;
}

/*
 * get_robust_list: pid 0 is the caller, else any task by its tid, a zombie
 * leader included, as Linux's find_task_by_vpid (ESRCH: none). Linux's EPERM (ptrace_may_access refused) needs
 * another user, and every guest task has the same one.
 */
GK_SYS(get_robust_list)
{
	int pid = gk_arg_int(a, 0);
	uint64_t len = ROBUST_HEAD_SIZE;
	struct gk_proc *t = p;

	if (pid && !(t = gk_task_find(p->k, pid)))
		return -ESRCH;
	if (gk_copyout(p, gk_arg_ptr(a, 2), &len, sizeof(len)) < 0)
		return -EFAULT;
	return gk_copyout(p, gk_arg_ptr(a, 1), &t->robust_list, sizeof(t->robust_list));
}
