/*
 * signal.c - signals: queueing, default actions, stopping and continuing,
 * interrupted syscalls, and the child's exit signal.
 *
 * Layer src/guestkernel, the mechanism under sys_signal.c. A signal sent to
 * a process is queued on it (a standard one at most once, a real-time one
 * in order) and acted on when the process next returns to user mode: the
 * run loop calls gk_sig_deliver() before every run of guest code, which
 * ignores it, stops the process, kills it, or enters its handler through a
 * frame (sigframe.c).
 *
 * A syscall asleep in the kernel (p->insys) that a signal wakes is either
 * run again after the handler (SA_RESTART, restartable calls: the frame
 * saves rip back on the syscall instruction and rax = the number, as Linux
 * does for -ERESTARTSYS) or ends with -EINTR; a signal that only stops the
 * process leaves the call asleep, to run again after SIGCONT.
 *
 * Must not: run guest code or touch the guest's stack (sigframe.c does).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "gk.h"

#define SIG_RTMIN_K 32 /* the kernel's first real-time signal (glibc keeps 32, 33) */

#define SIG_NEVER_MASKED (gk_sigbit(SIGKILL) | gk_sigbit(SIGSTOP))
#define SIG_STOPS                                                                          \
	(gk_sigbit(SIGSTOP) | gk_sigbit(SIGTSTP) | gk_sigbit(SIGTTIN) | gk_sigbit(SIGTTOU))
#define SIG_DFL_IGNORED                                                                    \
	(gk_sigbit(SIGCHLD) | gk_sigbit(SIGURG) | gk_sigbit(SIGWINCH) | gk_sigbit(SIGCONT))
#define SIG_SYNC                                                                           \
	(gk_sigbit(SIGSEGV) | gk_sigbit(SIGBUS) | gk_sigbit(SIGILL) | gk_sigbit(SIGTRAP) |  \
	 gk_sigbit(SIGFPE) | gk_sigbit(SIGSYS))


/* gk_sig_ignored - would sig be thrown away on arrival (handler SIG_IGN or an ignoring default)? */
int
gk_sig_ignored(const struct gk_proc *p, int sig)
{
	uint64_t h = p->sigact[sig].handler;

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
static int
pick(uint64_t set)
{
	if (set & SIG_SYNC)
		set &= SIG_SYNC;
	return set ? __builtin_ctzll(set) + 1 : 0;
}

/* Drop every queued instance of the signals in set. */
static void
discard(struct gk_proc *p, uint64_t set)
{
	struct gk_sigq **qq = &p->sigq, *q;

	if (!(p->sigpending & set))
		return;
	while ((q = *qq)) {
		if (gk_sigbit(q->info.signo) & set) {
			*qq = q->next;
			p->nsigq--;
			free(q);
		} else {
			qq = &q->next;
		}
	}
	p->sigpending &= ~set;
}

/* gk_sig_flush - forget every pending signal (exit). */
void
gk_sig_flush(struct gk_proc *p)
{
	discard(p, ~0ULL);
}

/*
 * gk_sig_dequeue - take the first pending signal of set off p's queue into
 * *ret. Returns its number, or 0 if none of set is pending.
 */
int
gk_sig_dequeue(struct gk_proc *p, uint64_t set, struct gk_siginfo *ret)
{
	int sig = pick(p->sigpending & set);
	struct gk_sigq **qq, *q;

	if (!sig)
		return 0;
	for (qq = &p->sigq; (q = *qq); qq = &q->next)
		if (q->info.signo == sig)
			break;
	if (!q)
		gk_panic(__func__, "pid %d: signal %d pending but not queued", p->gpid, sig);
	*qq = q->next;
	p->nsigq--;
	*ret = q->info;
	free(q);
	for (q = p->sigq; q; q = q->next)
		if (q->info.signo == sig)
			break;
	if (!q)
		p->sigpending &= ~gk_sigbit(sig);
	if (ret->code == SI_TIMER)
		gk_timer_dequeued(p, ret);
	return sig;
}

/* Default actions: 0 ignore, 1 terminate, 2 stop. Core-dumping signals terminate. */
static int
default_action(int sig)
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
	struct gk_proc *parent = p->parent;
	struct gk_siginfo si;

	if (!parent)
		return;
	if (!(parent->sigact[SIGCHLD].flags & SA_NOCLDSTOP)) {
		memset(&si, 0, sizeof(si));
		si.signo = SIGCHLD;
		si.code = code;
		si.proc.pid = p->gpid;
		si.proc.uid = p->k->uid;
		si.proc.value = (uint32_t)status;
		gk_sig_send(parent, &si);
	}
	gk_wake(p->k, parent);
}

static void
do_stop(struct gk_proc *p, int sig)
{
	p->stopped = 1;
	p->stop_sig = sig;
	p->report_stop = 1;
	p->report_cont = 0;
	notify_parent(p, CLD_STOPPED, sig);
}

/* gk_sig_continue - SIGCONT arrived: a stopped p goes on (and its parent may hear of it). */
void
gk_sig_continue(struct gk_proc *p)
{
	if (!p->stopped)
		return;
	p->stopped = 0;
	p->report_cont = 1;
	p->report_stop = 0;
	notify_parent(p, CLD_CONTINUED, SIGCONT);
}

/*
 * gk_sig_send - queue si on t. A signal t ignores (and does not block) is
 * dropped; SIGKILL kills at once; SIGCONT resumes t even when it is
 * blocked or ignored. A signal t can take wakes it from a syscall sleep.
 * Returns 0, or -EAGAIN when t's queue of real-time signals is full.
 */
int
gk_sig_send(struct gk_proc *t, const struct gk_siginfo *si)
{
	int sig = si->signo;
	uint64_t bit = gk_sigbit(sig);
	struct gk_sigq *q, **qq;

	if (t->exited || t->state == GK_P_ZOMBIE || sig < 1 || sig >= GK_NSIG)
		return 0;
	if (sig == SIGKILL) {
		t->stopped = 0;
		gk_proc_exit(t, SIGKILL);
		return 0;
	}
	if (sig == SIGCONT) {
		discard(t, SIG_STOPS);
		gk_sig_continue(t);
	} else if (bit & SIG_STOPS) {
		discard(t, gk_sigbit(SIGCONT));
	}
	if (!(t->sigmask & bit) && gk_sig_ignored(t, sig))
		return 0;
	if (!(t->sigmask & bit) && t->sigact[sig].handler == (uint64_t)SIG_DFL &&
	    default_action(sig) == 1 && !(t->sigwait & bit) && !t->stopped) {
		/*
		 * Fatal: the process dies now, asleep or not, as on Linux. A
		 * stopped one keeps it pending and dies when continued.
		 */
		gk_proc_exit(t, sig);
		return 0;
	}
	if (sig < SIG_RTMIN_K && (t->sigpending & bit))
		return 0; /* standard signals do not queue */
	if (sig >= SIG_RTMIN_K && t->nsigq >= GK_SIGQ_MAX)
		return -EAGAIN;
	q = malloc(sizeof(*q));
	if (!q)
		return -EAGAIN;
	q->info = *si;
	q->next = NULL;
	for (qq = &t->sigq; *qq; qq = &(*qq)->next)
		;
	*qq = q;
	t->nsigq++;
	t->sigpending |= bit;
	if (t->state == GK_P_SLEEP && (!(t->sigmask & bit) || (t->sigwait & bit))) {
		t->state = GK_P_RUN;
		t->wchan = NULL;
	}
	return 0;
}

/*
 * gk_sig_init_ignores - would the guest's init drop sig sent by a guest
 * process? The guest is a PID namespace and its pid 1 that namespace's
 * init (pid_namespaces(7)): Linux delivers to it only the signals it has
 * a handler for when they come from inside, so SIGKILL and SIGSTOP never
 * arrive and a signal left at SIG_DFL is dropped, blocked or not. SIGCONT
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
	return t == t->k->init && from_pid != t->gpid && sig != SIGCONT && sig > 0 &&
	       sig < GK_NSIG && t->sigact[sig].handler == (uint64_t)SIG_DFL;
}

/*
 * gk_sig_kill - send sig as kill(2) from process from_pid would (code
 * SI_USER, SI_TKILL), or as the kernel (SI_KERNEL). A process's signal to
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
	return gk_sig_send(t, &si);
}

/* gk_sig_pgrp - sig to every live process of group pgid. Returns 0 or -ESRCH (no such group). */
int
gk_sig_pgrp(struct gk_kernel *k, int pgid, int sig, int code, int from_pid)
{
	struct gk_proc *q;
	int found = 0;

	for (q = k->procs; q; q = q->next) {
		if (q->pgid != pgid || q->state == GK_P_ZOMBIE)
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

	if (p->sigact[sig].handler == (uint64_t)SIG_IGN || (p->sigmask & gk_sigbit(sig))) {
		p->sigact[sig].handler = (uint64_t)SIG_DFL;
		p->sigmask &= ~gk_sigbit(sig);
	}
	memset(&si, 0, sizeof(si));
	si.signo = sig;
	si.code = code;
	si.addr = addr;
	if (gk_sig_send(p, &si) < 0)
		gk_proc_kill(p, sig, NULL);
}

/* gk_sig_deliverable - the signal p would act on next, 0 if none. */
int
gk_sig_deliverable(const struct gk_proc *p)
{
	return pick(p->sigpending & ~p->sigmask);
}

/* Calls a handler never restarts, SA_RESTART or not (Linux's -ERESTARTNOHAND and kin). */
static int
restartable(uint64_t nr)
{
	switch (nr) {
	case __NR_pause:
	case __NR_rt_sigsuspend:
	case __NR_rt_sigtimedwait:
	case __NR_poll:
	case __NR_ppoll:
	case __NR_select:
	case __NR_pselect6:
	case __NR_nanosleep:
	case __NR_clock_nanosleep:
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
		return 0;
	}
	return 1;
}

/* What is left of a sleep that a handler cut short, for nanosleep's rem. */
static void
sleep_remaining(struct gk_proc *p, uint64_t gva)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

	if (gva && p->deadline)
		gk_timespec_out(p, gva, p->deadline > now ? p->deadline - now : 0);
}

/*
 * gk_sig_interrupted - p sleeps in a syscall and a signal is deliverable.
 * Returns 1 if that ends the call (its result, -EINTR, or a restart after
 * the handler is set up in the registers), 0 if the call must simply run
 * again: the signal only stops p or is ignored after all.
 */
int
gk_sig_interrupted(struct gk_proc *p)
{
	int sig = gk_sig_deliverable(p);
	const struct gk_sigaction *act;

	if (!sig)
		return 0;
	/* sigtimedwait collects the signals it waits for itself. */
	if (p->sys_nr == __NR_rt_sigtimedwait && (p->sigpending & p->sigwait))
		return 0;
	act = &p->sigact[sig];
	if (act->handler == (uint64_t)SIG_IGN)
		return 0;
	if (act->handler == (uint64_t)SIG_DFL) {
		if (gk_sigbit(sig) & (SIG_STOPS | SIG_DFL_IGNORED))
			return 0;
		p->insys = 0; /* fatal: the process dies before the call could matter */
		return 1;
	}
	p->insys = 0;
	if ((act->flags & SA_RESTART) && restartable(p->sys_nr)) {
		p->regs.rax = p->sys_nr;
		p->regs.rip -= 2; /* back onto the syscall instruction */
	} else {
		if (p->sys_nr == __NR_nanosleep)
			sleep_remaining(p, p->sys_args[1]);
		else if (p->sys_nr == __NR_clock_nanosleep && !(p->sys_args[1] & TIMER_ABSTIME))
			sleep_remaining(p, p->sys_args[3]);
		p->regs.rax = (uint64_t)-EINTR;
	}
	p->deadline = 0;
	p->sigwait = 0;
	return 1;
}

/*
 * gk_sig_deliver - act on p's deliverable signals before it returns to
 * user mode: ignore, stop, die, or enter handlers (one frame each, nested
 * as on Linux). A mask a call set for its duration goes back unless a
 * frame saved it.
 */
void
gk_sig_deliver(struct gk_proc *p)
{
	struct gk_siginfo si;
	struct gk_sigaction *act;
	int sig;

	while (!p->exited && !p->stopped && (sig = gk_sig_deliverable(p))) {
		gk_sig_dequeue(p, gk_sigbit(sig), &si);
		act = &p->sigact[sig];
		if (act->handler == (uint64_t)SIG_IGN)
			continue;
		if (act->handler == (uint64_t)SIG_DFL) {
			switch (default_action(sig)) {
			case 0:
				continue;
			case 2:
				do_stop(p, sig);
				return;
			}
			gk_proc_exit(p, sig);
			return;
		}
		if (gk_sig_frame(p, sig, &si, act) < 0) {
			/* No stack for the frame: as Linux, SIGSEGV that cannot be caught. */
			gk_proc_kill(p, SIGSEGV, NULL);
			return;
		}
		p->restore_mask = 0;
		p->sigmask |= act->mask | ((act->flags & SA_NODEFER) ? 0 : gk_sigbit(sig));
		p->sigmask &= ~SIG_NEVER_MASKED;
		if (act->flags & SA_RESETHAND) {
			act->handler = (uint64_t)SIG_DFL;
			act->flags &= ~(uint64_t)SA_SIGINFO;
		}
	}
	if (p->restore_mask && !p->insys) {
		p->sigmask = p->saved_mask;
		p->restore_mask = 0;
	}
}

/*
 * gk_sig_child_exit - child c has exited: its exit signal goes to the
 * parent. Returns 1 if the parent ignores SIGCHLD (or asked SA_NOCLDWAIT)
 * and c must be reaped at once, 0 if c stays a zombie for wait.
 */
int
gk_sig_child_exit(struct gk_proc *c)
{
	struct gk_proc *parent = c->parent;
	const struct gk_sigaction *act;
	struct gk_siginfo si;
	int autoreap;

	if (!parent)
		return 0;
	act = &parent->sigact[SIGCHLD];
	autoreap = c->exit_signal == SIGCHLD &&
		   (act->handler == (uint64_t)SIG_IGN || (act->flags & SA_NOCLDWAIT));
	/* Ignored SIGCHLD: no signal at all, not even a pending one while blocked. */
	if (c->exit_signal > 0 && c->exit_signal < GK_NSIG &&
	    !(autoreap && act->handler == (uint64_t)SIG_IGN)) {
		memset(&si, 0, sizeof(si));
		si.signo = c->exit_signal;
		si.proc.pid = c->gpid;
		si.proc.uid = c->k->uid;
		if (WIFEXITED(c->wstatus)) {
			si.code = CLD_EXITED;
			si.proc.value = (uint32_t)WEXITSTATUS(c->wstatus);
		} else {
			si.code = WCOREDUMP(c->wstatus) ? CLD_DUMPED : CLD_KILLED;
			si.proc.value = (uint32_t)WTERMSIG(c->wstatus);
		}
		gk_sig_send(parent, &si);
	}
	return autoreap;
}
