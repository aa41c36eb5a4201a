/*
 * threads.c - the host threads of a vmspace: one per vCPU that uses it, the
 * spare that the next vCPU adopts, and killing them all.
 *
 * Layer: src/vmspace, over tracer.h. Everything here runs under vms->lock
 * (internal.h says what it guards and why).
 *
 * Life of a host thread (see src/tracer/child.c for the mechanics):
 *
 *   vCPU A, stopped thread ta in vms          vCPU B (no thread in vms yet)
 *   tracer_make_spare(ta): clone, park in
 *   pause, detach  ------------------------>  vms->spare = tid
 *                                             tracer_adopt(spare): seize,
 *                                             interrupt, pinned to B's CPU
 *                                             thr[B] = it; B makes the next
 *                                             spare through it
 *
 * Death: the process dies as one (SIGKILL to any thread kills them all).
 * Each traced thread then waits, a zombie, for a wait by the tracer
 * process (any of its threads may reap any of its tracees), and the group
 * leader is reapable only after all the others. A vCPU running the vmspace
 * reaps its own thread when its wait reports the death; vms_kill_locked
 * reaps every other one, then waits until the running vCPUs are out, so that
 * when it returns no thread of the process runs guest code any more.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "internal.h"

/* vms_set_pending - a runner must take the lock before it resumes (see internal.h). */
void
vms_set_pending(struct uvk_vmspace *vms)
{
	atomic_store(&vms->pending, 1);
}

/*
 * vms_make_spare - park a spare thread in vms through t (the caller's,
 * stopped), if there is none. The queue is flushed first: the clone borrows
 * the command pages. Returns 0, or the error of the flush or of the clone;
 * -ESRCH/-EIO mean vms was killed.
 */
int
vms_make_spare(struct uvk_vmspace *vms, struct vms_thread *t)
{
	pid_t tid;
	int rc;

	if (vms->spare || vms->dead)
		return 0;
	rc = vms_flush(vms, t);
	if (rc)
		return rc;
	rc = tracer_make_spare(&t->child, &tid);
	if (rc == -ESRCH || rc == -EIO) {
		vms_kill_locked(vms, vcpu_self_peek());
		return rc;
	}
	if (!rc)
		__atomic_store_n(&vms->spare, tid, __ATOMIC_RELAXED);
	return rc;
}

/*
 * vms_thread_get - the calling vCPU v's host thread in vms, adopting the
 * spare if it has none yet (and parking the next spare through it). Returns
 * 0 with *ret set, -EAGAIN (no thread and no spare), -ESRCH (vms is dead),
 * -EPERM (the host refuses the seize), or -ENOMEM.
 */
int
vms_thread_get(struct uvk_vmspace *vms, struct uvk_vcpu *v, struct vms_thread **ret)
{
	struct vms_thread *t = vms->thr[v->id];
	cpu_set_t cpus;
	int rc;

	if (t && t->serial == v->serial) {
		*ret = t;
		return 0;
	}
	if (vms->dead)
		return -ESRCH;
	if (t) {
		/*
		 * The thread of a freed vCPU that had the same id: it answers
		 * to a tracer thread that may be gone or busy, never to us.
		 * The vmspace cannot be run consistently any more.
		 */
		vms_kill_locked(vms, v);
		return -ESRCH;
	}
	if (!vms->spare)
		return -EAGAIN; /* vms->spare: written under the lock, read without (run.c) */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->serial = v->serial;
	t->retry_gva = VMS_NONE;
	t->last_fault_gva = VMS_NONE;
	rc = vcpu_cpus(v, &cpus);
	if (!rc)
		rc = tracer_adopt(vms->spare, &vms->like, &cpus, &t->child);
	if (rc == -EPERM) {
		/* the host forbids the seize: the spare is untouched, still parked */
		free(t);
		return -EPERM;
	}
	__atomic_store_n(&vms->spare, 0, __ATOMIC_RELAXED);
	if (rc) {
		free(t);
		/* a spare that cannot be adopted was killed, and the process with it */
		vms_kill_locked(vms, v);
		return -ESRCH;
	}
	__atomic_store_n(&vms->thr[v->id], t, __ATOMIC_RELEASE);
	rc = vms_make_spare(vms, t);
	if (rc == -ESRCH || rc == -EIO)
		return -ESRCH;
	/* no spare for now (the host refused a thread): the next vCPU gets -EAGAIN */
	*ret = t;
	return 0;
}

/* Reap t if it is alive and nobody else may be waiting for it; note its death. */
static void
reap_one(struct uvk_vmspace *vms, struct vms_thread *t)
{
	if (!t->child.alive)
		return;
	tracer_reap(&t->child);
	if (!vms->wstatus)
		vms->wstatus = t->child.wstatus;
}

/* Reap the threads of vCPUs not in busy: the leader's only if leader (it must come last). */
static void
reap_parked(struct uvk_vmspace *vms, uint64_t busy, bool leader)
{
	for (int id = 0; id < UVK_VCPU_MAX; id++) {
		struct vms_thread *t = vms->thr[id];

		if (t && !(busy & (1ULL << id)) && (t->child.pid == vms->hpid) == leader)
			reap_one(vms, t);
	}
}

/*
 * vms_kill_locked - kill vms (once) and return when none of its threads
 * runs guest code any more: threads of vCPUs that are not running it are
 * reaped here, and the running vCPUs are waited for (each reaps its own
 * when its wait reports the death, then leaves the active set). self is the
 * caller's vCPU (NULL: none); it may be inside a run of vms (a fault whose
 * mapping failed), so its own bit is not waited for.
 */
void
vms_kill_locked(struct uvk_vmspace *vms, const struct uvk_vcpu *self)
{
	uint64_t others = self ? ~(1ULL << self->id) : ~0ULL;

	if (!vms->dead) {
		vms->dead = true;
		vms->ncmds = 0;
		atomic_store(&vms->gone, true);
		vms_set_pending(vms);
		tracer_kill_process(vms->hpid);
		/* untraced: it dies and is reaped by the host */
		__atomic_store_n(&vms->spare, 0, __ATOMIC_RELAXED);
	}
	/* Two vCPUs killing from inside their runs must not wait for each other. */
	if (self)
		atomic_fetch_and(&vms->active, others);
	atomic_fetch_add(&vms->waiters, 1);
	for (;;) {
		/*
		 * Threads of vCPUs not running it now: reaped at once, since a
		 * running vCPU whose thread is the leader waits for them.
		 */
		reap_parked(vms, atomic_load(&vms->active) & others, false);
		if (!(atomic_load(&vms->active) & others))
			break;
		pthread_cond_wait(&vms->drained, &vms->lock);
	}
	atomic_fetch_sub(&vms->waiters, 1);
	/*
	 * Nobody runs it now; a vCPU that left its run for another reason
	 * (an interrupt found before it resumed) left its thread to us.
	 */
	reap_parked(vms, 0, false);
	reap_parked(vms, 0, true);
	if (!vms->wstatus)
		vms->wstatus = SIGKILL; /* as a wait status: killed by SIGKILL */
}
