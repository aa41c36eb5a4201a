/*
 * signal.c - delivering signals: dequeueing, interrupted syscalls, the
 * child's exit signal.
 *
 * Layer src/guestkernel/proc, the mechanism under sys/sys_signal.c. A signal sent to
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

#include "proc.h"


/* gk_sig_flush - forget every signal pending for p's process and its tasks (exit). */
void
gk_sig_flush(struct gk_proc *p)
{
	gk_sig_discard(p, ~0ULL);
}

/* Take the first queued instance of sig off pend into *ret; 1 if there was one. */
static int
pend_take(struct gk_sigpend *pend, int sig, struct gk_siginfo *ret)
{
	struct gk_sigq **qq, *q;

	for (qq = &pend->q; (q = *qq); qq = &q->next)
		if (q->info.signo == sig)
			break;
	if (!q)
		return 0;
	*qq = q->next;
	*ret = q->info;
	free(q);
	for (q = pend->q; q; q = q->next)
		if (q->info.signo == sig)
			break;
	if (!q)
		pend->set &= ~gk_sigbit(sig);
	return 1;
}

/*
 * gk_sig_dequeue - take the first pending signal of set into *ret: one
 * sent to p itself first, then one sent to its process, as Linux's
 * dequeue_signal. Returns its number, or 0 if none of set is pending.
 */
int
gk_sig_dequeue(struct gk_proc *p, uint64_t set, struct gk_siginfo *ret)
{
	struct gk_sigpend *pend = &p->pend;
	int sig = gk_sig_pick(p->pend.set & set);

	if (!sig) {
		pend = &p->tg->shared;
		sig = gk_sig_pick(pend->set & set);
	}
	if (!sig)
		return 0;
	if (!pend_take(pend, sig, ret))
		gk_panic(__func__, "task %d: signal %d pending but not queued", p->tid, sig);
	p->tg->nsigq--;
	if (ret->code == SI_TIMER)
		gk_timer_dequeued(p, ret);
	return sig;
}

/* gk_sig_deliverable - the signal p would act on next, 0 if none. */
int
gk_sig_deliverable(const struct gk_proc *p)
{
	return gk_sig_pick(gk_sig_pending(p) & ~p->sigmask);
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

/* The first queued instance of sig is one init drops (gk_sig_init_drops)? */
static int
init_drops_first(const struct gk_proc *p, int sig)
{
	const struct gk_sigq *q;

	for (q = p->pend.q; q; q = q->next)
		if (q->info.signo == sig)
			return gk_sig_init_drops(p, &q->info);
	for (q = p->tg->shared.q; q; q = q->next)
		if (q->info.signo == sig)
			return gk_sig_init_drops(p, &q->info);
	return 0;
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
	long futex;

	if (!sig)
		return 0;
	/* sigtimedwait collects the signals it waits for itself. */
	if (p->sys_nr == __NR_rt_sigtimedwait && (gk_sig_pending(p) & p->sigwait))
		return 0;
	act = &p->sighand->action[sig];
	if (act->handler == (uint64_t)SIG_IGN)
		return 0;
	if (act->handler == (uint64_t)SIG_DFL) {
		if (gk_sigbit(sig) & (SIG_STOPS | SIG_DFL_IGNORED))
			return 0;
		if (p->tg == p->k->init->tg && init_drops_first(p, sig))
			return 0; /* init drops it (delivery does), the call sleeps on */
		p->insys = 0; /* fatal: the process dies before the call could matter */
		return 1;
	}
	p->insys = 0;
	futex = p->sys_nr == __NR_futex ? gk_futex_interrupt(p) : 0;
	if (p->io_done) {
		/* A pipe write that moved some bytes returns their count (signal(7)). */
		p->regs.rax = p->io_done;
		p->io_done = 0;
	} else if (futex == -GK_ERESTARTNOINTR ||
		   (futex == -GK_ERESTARTSYS && (act->flags & SA_RESTART))) {
		/* futex(): woken or timed out meanwhile, or restarted as Linux does (futex.c). */
		p->regs.rax = p->sys_nr;
		p->regs.rip -= 2;
	} else if (p->sys_nr == __NR_futex) {
		p->regs.rax = (uint64_t)(futex == -GK_ERESTARTSYS ? -EINTR : futex);
	} else if ((act->flags & SA_RESTART) && restartable(p->sys_nr)) {
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

	while (!p->tg->exited && !p->tg->stopped && (sig = gk_sig_deliverable(p))) {
		gk_sig_dequeue(p, gk_sigbit(sig), &si);
		if (p->k->trace_signal)
			p->k->trace_signal(p, &si); /* strace's "--- SIGxxx {...} ---" */
		act = &p->sighand->action[sig];
		if (act->handler == (uint64_t)SIG_IGN || gk_sig_init_drops(p, &si))
			continue;
		if (act->handler == (uint64_t)SIG_DFL) {
			switch (gk_sig_default(sig)) {
			case 0:
				continue;
			case 2:
				gk_sig_stop(p, sig);
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
	struct gk_proc *parent = c->tg->parent ? gk_tg_leader(c->tg->parent) : NULL;
	const struct gk_sigaction *act;
	struct gk_siginfo si;
	int autoreap;

	if (!parent)
		return 0;
	act = &parent->sighand->action[SIGCHLD];
	autoreap = c->tg->exit_signal == SIGCHLD &&
		   (act->handler == (uint64_t)SIG_IGN || (act->flags & SA_NOCLDWAIT));
	/* Ignored SIGCHLD: no signal at all, not even a pending one while blocked. */
	if (c->tg->exit_signal > 0 && c->tg->exit_signal < GK_NSIG &&
	    !(autoreap && act->handler == (uint64_t)SIG_IGN)) {
		memset(&si, 0, sizeof(si));
		si.signo = c->tg->exit_signal;
		si.proc.pid = c->tg->gpid;
		si.proc.uid = c->k->uid;
		if (WIFEXITED(c->tg->wstatus)) {
			si.code = CLD_EXITED;
			si.proc.value = (uint32_t)WEXITSTATUS(c->tg->wstatus);
		} else {
			si.code = WCOREDUMP(c->tg->wstatus) ? CLD_DUMPED : CLD_KILLED;
			si.proc.value = (uint32_t)WTERMSIG(c->tg->wstatus);
		}
		gk_sig_send(parent, &si);
	}
	return autoreap;
}

/*
 * gk_sig_call_mask - the temporary signal mask of ppoll, pselect6 and
 * epoll_pwait (a sigset of size bytes at gva, NULL for none) for the
 * duration of the call; the old mask comes back when the call returns
 * (restore_mask). A re-run of a blocked call keeps the mask it set.
 * Returns 0, -EINVAL (size is not 8) or -EFAULT.
 */
int
gk_sig_call_mask(struct gk_proc *p, uint64_t gva, uint64_t size)
{
	uint64_t set;

	if (!gva || p->sys_rerun)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (gk_copyin(p, &set, gva, 8) < 0)
		return -EFAULT;
	p->saved_mask = p->sigmask;
	p->restore_mask = 1;
	gk_sig_set_mask(p, set);
	return 0;
}
