/*
 * pidref.c - a process as a pidfd names it: a small object that outlives
 * the process.
 *
 * Layer src/guestkernel/proc. A pidfd (ipc/pidfd.c) must go on naming
 * "that process" after it has been reaped and its pid handed to another,
 * and its pollers must wake when the process exits, so it cannot hold the
 * thread group itself (freed at reap) nor its number. The group points to
 * one struct gk_pidref, made with the first pidfd, and holds a reference
 * on it; each pidfd file holds one more. The exit path marks it exited and
 * wakes its queue (POLLIN), the last free of the group detaches it
 * (tg NULL, POLLHUP), and the last reference frees it.
 *
 * Must not: decode syscall arguments or know about files.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "proc.h"

/*
 * gk_pidref_get - a reference to tg's pidref, made on first use. NULL when
 * the kernel-heap budget is spent (-ENOMEM to the caller).
 */
struct gk_pidref *
gk_pidref_get(struct gk_kernel *k, struct gk_tgroup *tg)
{
	struct gk_pidref *r = tg->pidref;

	if (r) {
		r->refs++;
		return r;
	}
	r = gk_kzalloc(k, sizeof(*r));
	if (!r)
		return NULL;
	r->k = k;
	r->tg = tg;
	r->gpid = tg->gpid;
	r->exited = tg->released;
	r->refs = 2; /* the group's and the caller's */
	tg->pidref = r;
	return r;
}

/* gk_pidref_put - drop one reference; the last frees r. Accepts NULL. */
void
gk_pidref_put(struct gk_pidref *r)
{
	if (!r || --r->refs > 0)
		return;
	gk_waitq_fini(&r->wq);
	gk_kfree(r->k, r, sizeof(*r));
}

/*
 * gk_pidref_exit - tg has exited (every task gone, the parent told):
 * pollers of its pidfds see POLLIN from now on.
 */
void
gk_pidref_exit(struct gk_tgroup *tg)
{
	struct gk_pidref *r = tg->pidref;

	if (!r || r->exited)
		return;
	r->exited = 1;
	gk_waitq_wake(&r->wq, POLLIN);
}

/*
 * gk_pidref_detach - tg is being freed (reaped): its pidfds name no
 * process any more (signals are -ESRCH, waitid -ECHILD) and poll
 * POLLIN | POLLHUP. Drops the group's reference.
 */
void
gk_pidref_detach(struct gk_tgroup *tg)
{
	struct gk_pidref *r = tg->pidref;

	if (!r)
		return;
	tg->pidref = NULL;
	r->tg = NULL;
	r->exited = 1;
	gk_waitq_wake(&r->wq, POLLIN | POLLHUP);
	gk_pidref_put(r);
}
