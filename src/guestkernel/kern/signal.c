/*
 * signal.c - posting signals: queueing, default actions, stopping and
 * continuing, the parent's notification.
 *
 * Layer src/guestkernel/kern. A signal sent to a process is queued on its
 * thread group's shared set, one sent to a thread on that task's own (a
 * standard one at most once, a real-time one in order), and acted on when
 * a task that may take it next returns to user mode, by proc/signal.c.
 * Stopping, continuing and dying act on the whole process. Posting
 * lives here, below fs/ and proc/, because a pipe (SIGPIPE), the console
 * (job control) and a fault (mm) all send signals.
 *
 * Must not: run guest code or touch the guest's stack (proc/sigframe.c does).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kern.h"

/* gk_sig_ignored - would sig be thrown away on arrival (handler SIG_IGN or an ignoring default)? */
int
gk_sig_ignored(const struct gk_proc *p, int sig)
{
	uint64_t h = p->sighand->action[sig].handler;

	if (h == (uint64_t)SIG_IGN)
		return 1;
	return h == (uint64_t)SIG_DFL && (SIG_DFL_IGNORED & gk_sigbit(sig));
}

void
gk_sig_set_mask(struct gk_proc *p, uint64_t mask)
{
	p->sigmask = mask & ~SIG_NEVER_MASKED;
}

/* gk_sig_on_altstack - is sp on p's alternate signal stack? */
int
gk_sig_on_altstack(const struct gk_proc *p, uint64_t sp)
{
	return p->ss_size && sp > p->ss_sp && sp - p->ss_sp <= p->ss_size;
}

/* The signal of set to take first: synchronous faults, then the lowest number. */
int
gk_sig_pick(uint64_t set)
{
	if (set & SIG_SYNC)
		set &= SIG_SYNC;
	return set ? __builtin_ctzll(set) + 1 : 0;
}

/* Drop every instance of the signals in set from pend; returns the entries freed. */
static int
pend_discard(struct gk_sigpend *pend, uint64_t set)
{
	struct gk_sigq **qq = &pend->q, *q;
	int n = 0;

	if (!(pend->set & set))
		return 0;
	while ((q = *qq)) {
		if (gk_sigbit(q->info.signo) & set) {
			*qq = q->next;
			free(q);
			n++;
		} else {
			qq = &q->next;
		}
	}
	pend->set &= ~set;
	return n;
}

/*
 * gk_sig_discard - drop every queued instance of the signals in set, sent
 * to p's process or to any of its tasks (SIGCONT drops stops, a handler
 * set to SIG_IGN drops its signal: Linux flushes both from the shared
 * set and every thread's).
 */
void
gk_sig_discard(struct gk_proc *p, uint64_t set)
{
	struct gk_tgroup *tg = p->tg;
	struct gk_proc *t;

	tg->nsigq -= pend_discard(&tg->shared, set);
	for (t = tg->tasks; t; t = t->tg_next)
		tg->nsigq -= pend_discard(&t->pend, set);
}

/* gk_sig_pending - what p may take: sent to it, or to its process. */
uint64_t
gk_sig_pending(const struct gk_proc *p)
{
	return p->pend.set | p->tg->shared.set;
}

/* Default actions: 0 ignore, 1 terminate, 2 stop. Core-dumping signals terminate. */
int
gk_sig_default(int sig)
{
	if (gk_sigbit(sig) & SIG_DFL_IGNORED)
		return 0;
	if (gk_sigbit(sig) & SIG_STOPS)
		return 2;
	return 1;
}

/* Tell p's parent that p stopped or continued (CLD_STOPPED, CLD_CONTINUED). */
static void
notify_parent(struct gk_proc *p, int code, int status)
{
	struct gk_proc *parent = p->tg->parent ? gk_tg_leader(p->tg->parent) : NULL;
	struct gk_siginfo si;

	if (!parent)
		return;
	if (!(parent->sighand->action[SIGCHLD].flags & SA_NOCLDSTOP)) {
		memset(&si, 0, sizeof(si));
		si.signo = SIGCHLD;
		si.code = code;
		si.proc.pid = p->tg->gpid;
		si.proc.uid = p->k->uid;
		si.proc.value = (uint32_t)status;
		gk_sig_send(parent, &si);
	}
	gk_waitq_wake(&parent->tg->child_wq, 0);
}

void
gk_sig_stop(struct gk_proc *p, int sig)
{
	struct gk_proc *t;

	for (t = p->tg->tasks; t; t = t->tg_next)
		gk_cpu_interrupt(t);
	p->tg->stopped = 1;
	p->tg->stop_sig = sig;
	p->tg->report_stop = 1;
	p->tg->report_cont = 0;
	notify_parent(p, CLD_STOPPED, sig);
}

/* gk_sig_continue - SIGCONT arrived: a stopped p goes on (and its parent may hear of it). */
void
gk_sig_continue(struct gk_proc *p)
{
	struct gk_proc *t;

	if (!p->tg->stopped)
		return;
	p->tg->stopped = 0;
	for (t = p->tg->tasks; t; t = t->tg_next)
		if (t->state == GK_P_RUN)
			gk_cpu_kick(t);
	p->tg->report_cont = 1;
	p->tg->report_stop = 0;
	notify_parent(p, CLD_CONTINUED, SIGCONT);
}

/* Can task w take sig now: alive, and it does not block it or waits for it? */
static int
wants(const struct gk_proc *w, uint64_t bit)
{
	if (w->state != GK_P_RUN && w->state != GK_P_SLEEP)
		return 0;
	return !(w->sigmask & bit) || (w->sigwait & bit);
}

/*
 * A signal is pending for the process of t: the task to take it, as
 * Linux's complete_signal chooses, the leader if it can, else the first
 * other task that can; woken from a syscall sleep (its call ends with
 * EINTR or restarts after the handler). None can: it waits, pending.
 */
static void
wake_taker(struct gk_tgroup *tg, uint64_t bit)
{
	struct gk_proc *w;

	for (w = tg->tasks; w; w = w->tg_next) {
		if (wants(w, bit)) {
			if (w->state == GK_P_SLEEP)
				gk_wake_task(w);
			else
				gk_cpu_interrupt(w);
			return;
		}
	}
}

/*
 * Queue si on pend of t's process (shared) or of t alone. A signal
 * ignored (and not blocked) is dropped; SIGKILL kills the process at once;
 * SIGCONT resumes it even when blocked or ignored; an unhandled fatal
 * signal kills the whole process, whichever task it was sent to. Returns
 * 0, or -EAGAIN when the queue of real-time signals is full.
 */
static int
post(struct gk_proc *t, const struct gk_siginfo *si, int to_task)
{
	struct gk_tgroup *tg = t->tg;
	struct gk_sigpend *pend = to_task ? &t->pend : &tg->shared;
	int sig = si->signo;
	uint64_t bit = gk_sigbit(sig), blocked;
	struct gk_sigq *q, **qq;
	struct gk_proc *w;

	if (tg->exited || t->state == GK_P_ZOMBIE || sig < 1 || sig >= GK_NSIG)
		return 0;
	if (to_task && t->state == GK_P_DEAD)
		return 0;
	if (sig == SIGKILL) {
		tg->stopped = 0;
		gk_proc_exit(t, SIGKILL);
		return 0;
	}
	if (sig == SIGCONT) {
		gk_sig_discard(t, SIG_STOPS);
		gk_sig_continue(t);
	} else if (bit & SIG_STOPS) {
		gk_sig_discard(t, gk_sigbit(SIGCONT));
	}
	/* Blocked by the target (a task), or by every live task (the process). */
	blocked = 1;
	if (to_task) {
		blocked = (t->sigmask & bit) || (t->sigwait & bit);
	} else {
		for (w = tg->tasks; w; w = w->tg_next)
			if ((w->state == GK_P_RUN || w->state == GK_P_SLEEP ||
			     w->state == GK_P_VFORK) &&
			    !(w->sigmask & bit) && !(w->sigwait & bit))
				blocked = 0;
	}
	if (!blocked && gk_sig_ignored(t, sig))
		return 0;
	if (!blocked && t->sighand->action[sig].handler == (uint64_t)SIG_DFL &&
	    gk_sig_default(sig) == 1 && !tg->stopped) {
		/*
		 * Fatal: the process dies now, asleep or not, as on Linux. A
		 * stopped one keeps it pending and dies when continued.
		 */
		gk_proc_exit(t, sig);
		return 0;
	}
	if (sig < SIG_RTMIN_K && (pend->set & bit))
		return 0; /* standard signals do not queue */
	if (sig >= SIG_RTMIN_K && tg->nsigq >= GK_SIGQ_MAX)
		return -EAGAIN;
	q = malloc(sizeof(*q));
	if (!q)
		return -EAGAIN;
	q->info = *si;
	q->next = NULL;
	for (qq = &pend->q; *qq; qq = &(*qq)->next)
		;
	*qq = q;
	tg->nsigq++;
	pend->set |= bit;
	if (to_task) {
		if (t->state == GK_P_SLEEP && wants(t, bit))
			gk_wake_task(t);
		else if (wants(t, bit))
			gk_cpu_interrupt(t);
	} else {
		wake_taker(tg, bit);
	}
	/* signalfd (ipc/) waits here: a queue, so posting never calls up into it. */
	gk_waitq_wake(&tg->sig_wq, POLLIN);
	return 0;
}

/* gk_sig_send - queue si for t's process: any of its tasks that does not block it takes it. */
int
gk_sig_send(struct gk_proc *t, const struct gk_siginfo *si)
{
	return post(t, si, 0);
}

/* gk_sig_send_task - queue si for task t alone (tkill, tgkill, rt_tgsigqueueinfo, faults). */
int
gk_sig_send_task(struct gk_proc *t, const struct gk_siginfo *si)
{
	return post(t, si, 1);
}

/*
 * gk_sig_init_ignores - would the guest's init drop sig sent by a guest
 * process? The guest is a PID namespace and its pid 1 that namespace's
 * init (pid_namespaces(7)): Linux delivers to it only the signals it has
 * a handler for when they come from inside, so SIGKILL and SIGSTOP never
 * arrive and a signal left at SIG_DFL is dropped, unless init blocks it:
 * then it is queued (sigtimedwait and signalfd see it) and dropped when
 * delivered (gk_sig_init_drops). SIGCONT
 * still continues it (Linux does that before looking at the handler).
 * Faults (gk_sig_force) and what uvk forwards from the host (SI_KERNEL,
 * console.c) do not come through here and still act.
 *
 * One deviation: a signal init sends itself (raise, kill(getpid()), the
 * SIGPIPE of its own write) acts as on a process that is not an init, so
 * that `uvk sh -c 'kill -SEGV $$'` ends as `sh -c ...` does on the host.
 * Only another process's signal is checked: from_pid is the sender.
 */
int
gk_sig_init_ignores(const struct gk_proc *t, int sig, int from_pid)
{
	/* Blocked signals are never ignored (Linux's sig_ignored): the handler may change. */
	return t->tg == t->k->init->tg && from_pid != t->tg->gpid && sig != SIGCONT && sig > 0 &&
	       sig < GK_NSIG && !(t->sigmask & gk_sigbit(sig)) &&
	       t->sighand->action[sig].handler == (uint64_t)SIG_DFL;
}

/*
 * gk_sig_init_drops - would init (t) drop si rather than take sig's
 * default action, now that it is unblocked? Yes for what another guest
 * process sent (kill, tkill, sigqueue): it was queued only because init
 * blocked it (gk_sig_init_ignores), and Linux's get_signal skips the
 * default action for an unkillable init. Its own signals and the kernel's
 * (timers, faults, the host's) act, as gk_sig_init_ignores says.
 */
int
gk_sig_init_drops(const struct gk_proc *t, const struct gk_siginfo *si)
{
	int user = si->code == SI_USER || si->code == SI_TKILL || si->code == SI_QUEUE;

	return t->tg == t->k->init->tg && user && si->proc.pid != t->tg->gpid && si->signo != SIGKILL &&
	       si->signo != SIGSTOP && t->sighand->action[si->signo].handler == (uint64_t)SIG_DFL;
}

/*
 * gk_sig_kill - send sig as kill(2) from process from_pid would (code
 * SI_USER; SI_TKILL: to task t alone), or as the kernel (SI_KERNEL). A process's signal to
 * the guest's init follows gk_sig_init_ignores().
 */
int
gk_sig_kill(struct gk_proc *t, int sig, int code, int from_pid)
{
	struct gk_siginfo si;

	if (sig == 0)
		return 0;
	if (code != SI_KERNEL && gk_sig_init_ignores(t, sig, from_pid))
		return 0;
	memset(&si, 0, sizeof(si));
	si.signo = sig;
	si.code = code;
	if (code != SI_KERNEL) {
		si.proc.pid = from_pid;
		si.proc.uid = t->k->uid;
	}
	/* tkill and tgkill name a thread; everything else is for the process. */
	return post(t, &si, code == SI_TKILL);
}

/*
 * gk_sig_pgrp - sig to every process of group pgid. Returns 0 or -ESRCH (no
 * such group). Zombies are members until reaped: they count, and the
 * signal does nothing to them.
 */
int
gk_sig_pgrp(struct gk_kernel *k, int pgid, int sig, int code, int from_pid)
{
	struct gk_proc *q;
	int found = 0;

	for (q = k->procs; q; q = q->next) {
		if (!gk_is_leader(q) || q->tg->pgid != pgid)
			continue;
		found = 1;
		gk_sig_kill(q, sig, code, from_pid);
	}
	return found ? 0 : -ESRCH;
}

/*
 * gk_sig_force - a fault of p's own (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGTRAP): a handler runs if there is one; blocked or ignored, the
 * signal's action becomes the default and p dies of it, as on Linux.
 */
void
gk_sig_force(struct gk_proc *p, int sig, int code, uint64_t addr)
{
	struct gk_siginfo si;

	if (p->sighand->action[sig].handler == (uint64_t)SIG_IGN || (p->sigmask & gk_sigbit(sig))) {
		p->sighand->action[sig].handler = (uint64_t)SIG_DFL;
		p->sigmask &= ~gk_sigbit(sig);
	}
	memset(&si, 0, sizeof(si));
	si.signo = sig;
	si.code = code;
	si.addr = addr;
	if (post(p, &si, 1) < 0)
		gk_proc_kill(p, sig, NULL);
}
