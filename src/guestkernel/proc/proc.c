/*
 * proc.c - the process table: pids, parents and children, zombies, sleeping
 * and waking.
 *
 * Layer src/guestkernel/proc. Every guest process is a thread group (struct
 * gk_tgroup) with its tasks (struct gk_proc, one a group for now) on the
 * list k->procs, from fork (fork.c) until its parent reaps it (sys_task.c).
 * A process that exits is released by the run loop (sched.c) before any
 * other runs: its address space, vmspace child and descriptors go at once,
 * its children move to pid 1, and the struct stays as a zombie holding the
 * wait status.
 *
 * Sleeping is on wait queues (kern/wait.c): a handler that cannot finish
 * returns gk_block(p, &obj->wq, events) and the syscall is run again from
 * the start once some event wakes that queue. A parent's wait4 sleeps on
 * its thread group's child_wq, which a child's exit, stop or continue
 * wakes. A task that exits leaves every queue it was on.
 *
 * Must not: run guest code or decode syscall arguments.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"

/* The next free pid, as Linux hands them out: increasing, wrapping at pid_max. */
static int
alloc_pid(struct gk_kernel *k)
{
	for (;;) {
		int pid = k->next_pid++;

		if (k->next_pid >= 32768)
			k->next_pid = 2;
		if (pid >= 1 && !gk_proc_find(k, pid))
			return pid;
	}
}

/*
 * gk_proc_alloc - a new process in the table: a thread group with a fresh
 * pid and its one task, child of parent (NULL for pid 1), runnable,
 * sharing nothing yet. Returns NULL when the guest's process limit is
 * reached or the tracer is out of memory.
 */
struct gk_proc *
gk_proc_alloc(struct gk_kernel *k, struct gk_proc *parent)
{
	struct gk_tgroup *tg;
	struct gk_proc *p;

	if (k->nprocs >= GK_NPROC)
		return NULL;
	p = calloc(1, sizeof(*p));
	tg = calloc(1, sizeof(*tg));
	if (!p || !tg) {
		free(p);
		free(tg);
		return NULL;
	}
	if (k->next_pid == 0)
		k->next_pid = 1;
	p->k = k;
	p->tg = tg;
	tg->tasks = p;
	tg->ntasks = 1;
	tg->gpid = alloc_pid(k);
	p->tid = tg->gpid;
	tg->parent = parent;
	tg->gppid = parent ? parent->tg->gpid : 0;
	tg->pgid = parent ? parent->tg->pgid : tg->gpid;
	tg->sid = parent ? parent->tg->sid : tg->gpid;
	p->state = GK_P_RUN;
	tg->exit_signal = SIGCHLD;
	tg->start_ns = gk_now_ns(CLOCK_MONOTONIC);
	p->next = k->procs;
	k->procs = p;
	k->nprocs++;
	return p;
}

struct gk_proc *
gk_proc_find(struct gk_kernel *k, int gpid)
{
	struct gk_proc *p;

	for (p = k->procs; p; p = p->next)
		if (p->tg->gpid == gpid)
			return p;
	return NULL;
}

/* gk_vfork_release - child exec'd or exited: its vfork parent runs again. */
void
gk_vfork_release(struct gk_proc *child)
{
	struct gk_proc *parent = child->vfork_parent;

	if (!parent)
		return;
	child->vfork_parent = NULL;
	if (parent->vfork_child == child) {
		parent->vfork_child = NULL;
		/* Our FPU state, set aside while the child used our vmspace, loads when we run. */
		if (parent->state == GK_P_VFORK)
			parent->state = GK_P_RUN;
	}
}

/*
 * gk_proc_release - p has exited: drop its address space and descriptor
 * table (freed with their last user), its pending signals and timers,
 * hand its children to pid 1 and tell its parent (its exit signal). p
 * becomes a zombie; its cwd and handlers go when it is reaped. Returns 1
 * if its parent does not wait for it (SIGCHLD ignored): the caller frees
 * it at once.
 */
int
gk_proc_release(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	struct gk_proc *c;
	int orphan_zombie = 0, autoreap;

	if (p->tg->released)
		return 0;
	p->tg->released = 1;
	p->state = GK_P_ZOMBIE;
	p->insys = 0;
	gk_wait_finish(p);
	gk_vfork_release(p);
	for (c = k->procs; c; c = c->next) {
		if (c->vfork_parent == p)
			c->vfork_parent = NULL;
		if (c->tg->parent != p)
			continue;
		c->tg->parent = k->init != p ? k->init : NULL;
		c->tg->gppid = c->tg->parent ? c->tg->parent->tg->gpid : 0;
		/*
		 * The exit signal a clone asked for was meant for p: pid 1
		 * gets SIGCHLD, as Linux's reparent_leader() does. Kept, a
		 * clone with CSIGNAL = SIGHUP would kill pid 1 when it ends.
		 */
		c->tg->exit_signal = SIGCHLD;
		if (c->state == GK_P_ZOMBIE)
			orphan_zombie = 1;
	}
	gk_task_vm_set(p, NULL);
	gk_fdt_free(p->fdt);
	p->fdt = NULL;
	gk_sig_flush(p);
	p->tg->stopped = 0;
	p->tg->it_real_next = 0;
	free(p->tg->ptimers);
	p->tg->ptimers = NULL;
	if (orphan_zombie && k->init && k->init != p)
		gk_waitq_wake(&k->init->tg->child_wq, 0);
	autoreap = gk_sig_child_exit(p);
	if (p->tg->parent)
		gk_waitq_wake(&p->tg->parent->tg->child_wq, 0);
	return autoreap;
}

/*
 * gk_proc_free - take task p off the table and free what is left of it:
 * its references to the shared objects, and its thread group with the
 * group's last task.
 */
void
gk_proc_free(struct gk_proc *p)
{
	struct gk_proc **pp;
	struct gk_tgroup *tg;

	if (!p)
		return;
	tg = p->tg;
	for (pp = &p->k->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->k->nprocs--;
			break;
		}
	}
	for (pp = &tg->tasks; *pp; pp = &(*pp)->tg_next) {
		if (*pp == p) {
			*pp = p->tg_next;
			tg->ntasks--;
			break;
		}
	}
	gk_sys_undo(p);
	gk_wait_free(p);
	gk_task_vm_set(p, NULL);
	gk_fdt_free(p->fdt);
	gk_fsctx_unref(p->fs);
	gk_sighand_unref(p->sighand);
	free(p->fp);
	if (!tg->tasks) {
		gk_waitq_fini(&tg->child_wq);
		gk_waitq_fini(&tg->sig_wq);
		gk_sig_flush(p);
		free(tg->ptimers);
		free(tg->exe);
		free(tg);
	}
	free(p);
}

/* gk_proc_reap - the parent's wait collected zombie p: its pid is free again. */
void
gk_proc_reap(struct gk_proc *p)
{
	if (p->state != GK_P_ZOMBIE)
		gk_panic(__func__, "pid %d is not a zombie", p->tg->gpid);
	gk_proc_free(p);
}
