/*
 * proc.c - the process table: pids, parents and children, zombies, sleeping
 * and waking.
 *
 * Layer src/guestkernel/proc. Every guest process is a thread group (struct
 * gk_tgroup) with its tasks (struct gk_proc) on the list k->procs, from
 * fork or clone (fork.c) until its parent reaps it (sys_task.c). Tids and
 * pids come from one space: the leader's tid is the pid. A task that
 * exits alone (exit(2) with others running) is dead at once and freed by
 * the run loop; the leader stays, dead, until the whole group goes, as on
 * Linux. A process that exits (its last task, exit_group, a fatal
 * signal) is released by the run loop (sched.c) before any other runs:
 * its address space, vmspace child and descriptors go at once, its other
 * tasks are freed, its children move to pid 1, and the leader stays as a
 * zombie holding the wait status.
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

		if (k->next_pid >= GK_PID_MAX)
			k->next_pid = 2;
		if (pid >= 1 && !gk_task_find(k, pid))
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
	tg->gpid = alloc_pid(k);
	p->tid = tg->gpid;
	tg->parent = parent ? parent->tg : NULL;
	tg->ntasks = tg->nlive = 1;
	tg->gppid = parent ? parent->tg->gpid : 0;
	tg->pgid = parent ? parent->tg->pgid : tg->gpid;
	tg->sid = parent ? parent->tg->sid : tg->gpid;
	p->state = GK_P_RUN;
	p->on_cpu = p->fp_cpu = -1;
	p->cpus_allowed = parent ? parent->cpus_allowed : ~0ULL;
	/* prctl state a fork keeps (no_new_privs, keepcaps, dumpable); the death signal it clears. */
	p->nnp = parent ? parent->nnp : 0;
	p->keepcaps = parent ? parent->keepcaps : 0;
	tg->dumpable = parent ? parent->tg->dumpable : 1;
	tg->exit_signal = SIGCHLD;
	tg->start_ns = gk_now_ns(CLOCK_MONOTONIC);
	p->next = k->procs;
	k->procs = p;
	k->nprocs++;
	return p;
}

/*
 * gk_thread_alloc - a new task in p's thread group (clone with
 * CLONE_THREAD), with a fresh tid, runnable, sharing nothing yet; last on
 * the group's list. NULL when the guest's task limit is reached or the
 * tracer is out of memory.
 */
struct gk_proc *
gk_thread_alloc(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	struct gk_proc *t, **tt;

	if (k->nprocs >= GK_NPROC)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->k = k;
	t->tg = p->tg;
	t->tid = alloc_pid(k);
	t->state = GK_P_RUN;
	t->on_cpu = t->fp_cpu = -1;
	t->cpus_allowed = p->cpus_allowed;
	t->nnp = p->nnp;
	t->keepcaps = p->keepcaps;
	for (tt = &p->tg->tasks; *tt; tt = &(*tt)->tg_next)
		;
	*tt = t;
	p->tg->ntasks++;
	p->tg->nlive++;
	t->next = k->procs;
	k->procs = t;
	k->nprocs++;
	return t;
}

/* gk_proc_find - the process with pid gpid: its leader task, dead or not; NULL if none. */
struct gk_proc *
gk_proc_find(struct gk_kernel *k, int gpid)
{
	struct gk_proc *p;

	for (p = k->procs; p; p = p->next)
		if (p->tid == gpid && gk_is_leader(p))
			return p;
	return NULL;
}

/*
 * gk_task_find - the task with tid: a thread alive, or a leader (dead
 * ones stay until the group is reaped); NULL if none.
 */
struct gk_proc *
gk_task_find(struct gk_kernel *k, int tid)
{
	struct gk_proc *p;

	for (p = k->procs; p; p = p->next)
		if (p->tid == tid && (p->state != GK_P_DEAD || gk_is_leader(p)))
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
		if (parent->state == GK_P_VFORK) {
			parent->state = GK_P_RUN;
			gk_cpu_kick(parent);
		}
	}
}

/*
 * What a dying task gives back of its own: its sleep and what its blocked
 * call claimed, a vfork parent it holds, the signals sent to it alone, and
 * its futexes (gk_futex_exit: its robust list, the PI locks it owns, its
 * clear_child_tid word zeroed and woken when another task may look at it,
 * as Linux's mm_release does for pthread_join). Its references to the shared
 * objects stay until it is freed.
 */
static void
task_detach(struct gk_proc *t)
{
	struct gk_proc *o;

	t->insys = 0;
	gk_wait_finish(t);
	gk_sys_undo(t);
	gk_vfork_release(t);
	for (o = t->k->procs; o; o = o->next)
		if (o->vfork_parent == t)
			o->vfork_parent = NULL;
	while (t->pend.q) {
		struct gk_sigq *q = t->pend.q;

		t->pend.q = q->next;
		free(q);
		t->tg->nsigq--;
	}
	t->pend.set = 0;
	/* Its futexes, while it has its address space: robust list, PI locks, clear_child_tid. */
	gk_futex_exit(t);
}

/*
 * gk_task_exit - task p calls exit(2): with other tasks of its process
 * alive it alone ends (dead at once, freed by the run loop unless it is
 * the leader); the last one's exit is the process's, with its status.
 */
void
gk_task_exit(struct gk_proc *p, int wstatus)
{
	if (p->tg->exited || p->state == GK_P_DEAD || p->state == GK_P_ZOMBIE)
		return;
	if (p->tg->nlive <= 1) {
		gk_proc_exit(p, wstatus);
		return;
	}
	task_detach(p);
	p->state = GK_P_DEAD;
	p->tg->nlive--;
}

/*
 * gk_dethread - p execs in a process with other tasks: they die (Linux's
 * de_thread), and p takes the leader's place and tid, so that the new
 * image runs as the pid the process had. The old leader, dead now, is
 * freed by the run loop under p's old tid.
 */
void
gk_dethread(struct gk_proc *p)
{
	struct gk_tgroup *tg = p->tg;
	struct gk_proc *t, *lead = gk_tg_leader(tg), **tt;
	int tid;

	for (t = tg->tasks; t; t = t->tg_next) {
		if (t == p || t->state == GK_P_DEAD)
			continue;
		task_detach(t);
		t->state = GK_P_DEAD;
		tg->nlive--;
	}
	if (lead == p)
		return;
	tid = p->tid;
	p->tid = lead->tid;
	lead->tid = tid;
	for (tt = &tg->tasks; *tt != p; tt = &(*tt)->tg_next)
		;
	*tt = p->tg_next;
	p->tg_next = tg->tasks;
	tg->tasks = p;
	if (p->k->init == lead)
		p->k->init = p;
}

/*
 * Who adopts the children of tg, which is exiting: the nearest ancestor
 * that made itself a child subreaper (PR_SET_CHILD_SUBREAPER) and is not
 * exiting too, else pid 1 (NULL when tg is pid 1), as Linux's
 * find_new_reaper.
 */
static struct gk_tgroup *
find_reaper(struct gk_kernel *k, struct gk_tgroup *tg)
{
	struct gk_tgroup *a;

	for (a = tg->parent; a; a = a->parent)
		if (a->subreaper && !a->exited)
			return a;
	return k->init && k->init->tg != tg ? k->init->tg : NULL;
}

/*
 * gk_proc_release - p's process has exited: every task of it stops (a
 * zombie now), the address space and descriptor tables go (freed with
 * their last user), its pending signals and timers too; its children go
 * to their new reaper (find_reaper) and its parent is told (its exit signal). Its tasks other than
 * the leader are for the caller to free (gk_tg_free_threads); the leader
 * stays as the zombie until reaped. Returns 1 if the parent does not wait
 * for it (SIGCHLD ignored): the caller frees it at once.
 */
int
gk_proc_release(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	struct gk_tgroup *tg = p->tg;
	struct gk_tgroup *reaper;
	struct gk_proc *c, *t;
	int orphan_zombie = 0, autoreap;

	if (tg->released)
		return 0;
	tg->released = 1;
	for (t = tg->tasks; t; t = t->tg_next) {
		if (t->state != GK_P_DEAD)
			task_detach(t);
		t->state = GK_P_ZOMBIE;
	}
	tg->nlive = 0;
	reaper = find_reaper(k, tg);
	for (c = k->procs; c; c = c->next) {
		if (!gk_is_leader(c) || c->tg->parent != tg)
			continue;
		c->tg->parent = reaper;
		c->tg->gppid = reaper ? reaper->gpid : 0;
		/* PR_SET_PDEATHSIG: each of the child's tasks that asked is told its parent is gone. */
		for (t = c->tg->tasks; t; t = t->tg_next)
			if (t->pdeath_sig && t->state != GK_P_DEAD && !c->tg->exited)
				gk_sig_kill(t, t->pdeath_sig, SI_USER, 0);
		/*
		 * The exit signal a clone asked for was meant for p: pid 1
		 * gets SIGCHLD, as Linux's reparent_leader() does. Kept, a
		 * clone with CSIGNAL = SIGHUP would kill pid 1 when it ends.
		 */
		c->tg->exit_signal = SIGCHLD;
		if (c->state == GK_P_ZOMBIE)
			orphan_zombie = 1;
	}
	for (t = tg->tasks; t; t = t->tg_next) {
		gk_task_vm_set(t, NULL);
		gk_fdt_free(t->fdt);
		t->fdt = NULL;
	}
	gk_sig_flush(p);
	tg->stopped = 0;
	tg->it_real_next = 0;
	free(tg->ptimers);
	tg->ptimers = NULL;
	if (orphan_zombie && reaper)
		gk_waitq_wake(&reaper->child_wq, 0);
	gk_pidref_exit(tg);
	autoreap = gk_sig_child_exit(gk_tg_leader(tg));
	if (tg->parent)
		gk_waitq_wake(&tg->parent->child_wq, 0);
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
	/* A vCPU's round-robin point moves past p. */
	for (int i = 0; p->k->cpus && i < p->k->ncpus; i++)
		if (p->k->cpus[i].rr == p)
			p->k->cpus[i].rr = p->next;
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
	gk_futex_exit(p);
	gk_sys_undo(p);
	gk_wait_free(p);
	gk_task_vm_set(p, NULL);
	gk_fdt_free(p->fdt);
	gk_fsctx_unref(p->fs);
	gk_sighand_unref(p->sighand);
	free(p->fp);
	if (!tg->tasks) {
		gk_pidref_detach(tg);
		gk_waitq_fini(&tg->child_wq);
		gk_waitq_fini(&tg->sig_wq);
		gk_sig_flush(p);
		free(tg->ptimers);
		free(tg->exe);
		free(tg->auxv);
		free(tg);
	}
	free(p);
}

/*
 * gk_tg_free_threads - free every task of tg but the leader that is done:
 * dead, or a zombie of a released group. Returns how many went.
 */
int
gk_tg_free_threads(struct gk_tgroup *tg)
{
	struct gk_proc *t, *next;
	int n = 0;

	for (t = tg->tasks->tg_next; t; t = next) {
		next = t->tg_next;
		if (t->state == GK_P_DEAD || t->state == GK_P_ZOMBIE) {
			gk_proc_free(t);
			n++;
		}
	}
	return n;
}

/* gk_proc_reap - the parent's wait collected zombie p: its pid is free again. */
void
gk_proc_reap(struct gk_proc *p)
{
	if (p->state != GK_P_ZOMBIE)
		gk_panic(__func__, "pid %d is not a zombie", p->tg->gpid);
	gk_tg_free_threads(p->tg);
	gk_proc_free(p);
}
