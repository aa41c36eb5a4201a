/*
 * sys_signal.c - signal syscalls: rt_sigaction, rt_sigprocmask,
 * rt_sigpending, rt_sigsuspend, pause, rt_sigtimedwait, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, sigaltstack, rt_sigreturn, kill, tkill, tgkill.
 *
 * Layer src/guestkernel/sys. Argument checking, as Linux does it; queueing and
 * delivery are in signal.c. kill and rt_sigqueueinfo name a process (any
 * of its threads that does not block the signal takes it), tkill, tgkill
 * and rt_tgsigqueueinfo a thread. Any process may signal any other: they
 * all run as the one user uvk runs as.
 *
 * Must not: build frames or act on signals itself.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "sys.h"


static uint64_t
never_masked(uint64_t set)
{
	return set & ~(gk_sigbit(SIGKILL) | gk_sigbit(SIGSTOP));
}

GK_SYS(rt_sigaction)
{
	int sig = gk_arg_int(a, 0);
	uint64_t act = gk_arg_ptr(a, 1), oact = gk_arg_ptr(a, 2);
	struct gk_sigaction sa;

	/* sig indexes sigact[] only after this check, on the same value. */
	if (sig < 1 || sig >= GK_NSIG || gk_arg_size(a, 3) != 8)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (act && gk_copyin(p, &sa, act, sizeof(sa)) < 0)
		return -EFAULT;
	if (oact && gk_copyout(p, oact, &p->sighand->action[sig], sizeof(sa)) < 0)
		return -EFAULT;
	if (act) {
		sa.mask = never_masked(sa.mask);
		p->sighand->action[sig] = sa;
		/* POSIX: a pending signal whose action becomes "ignore" is discarded. */
		if (gk_sig_ignored(p, sig))
			gk_sig_discard(p, gk_sigbit(sig));
	}
	return 0;
}

GK_SYS(rt_sigprocmask)
{
	uint64_t set, old = p->sigmask, nset = gk_arg_ptr(a, 1), oset = gk_arg_ptr(a, 2);

	if (gk_arg_size(a, 3) != 8)
		return -EINVAL;
	if (nset) {
		if (gk_copyin(p, &set, nset, 8) < 0)
			return -EFAULT;
		switch (gk_arg_int(a, 0)) {
		case SIG_BLOCK:
			gk_sig_set_mask(p, p->sigmask | set);
			break;
		case SIG_UNBLOCK:
			gk_sig_set_mask(p, p->sigmask & ~set);
			break;
		case SIG_SETMASK:
			gk_sig_set_mask(p, set);
			break;
		default:
			return -EINVAL;
		}
	}
	if (oset && gk_copyout(p, oset, &old, 8) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(rt_sigpending)
{
	uint64_t set = gk_sig_pending(p) & p->sigmask;

	size_t size = gk_arg_size(a, 1);

	if (size > 8)
		return -EINVAL;
	return gk_copyout(p, gk_arg_ptr(a, 0), &set, size) < 0 ? -EFAULT : 0;
}

/*
 * rt_sigsuspend: wait under a temporary mask until a signal is acted on;
 * the handler's frame saves the old mask, which sigreturn puts back.
 */
GK_SYS(rt_sigsuspend)
{
	uint64_t set;

	if (!p->sys_rerun) {
		if (gk_arg_size(a, 1) != 8)
			return -EINVAL;
		if (gk_copyin(p, &set, gk_arg_ptr(a, 0), 8) < 0)
			return -EFAULT;
		p->saved_mask = p->sigmask;
		p->restore_mask = 1;
		gk_sig_set_mask(p, set);
	}
	if (gk_sig_deliverable(p))
		return -EINTR;
	return gk_block(p, NULL, 0);
}

GK_SYS(pause)
{
	if (gk_sig_deliverable(p))
		return -EINTR;
	return gk_block(p, NULL, 0);
}

/* rt_sigtimedwait: take one of set off the queue, waiting up to the timeout for one. */
GK_SYS(rt_sigtimedwait)
{
	struct gk_siginfo si;
	uint64_t set, rel = 0, info = gk_arg_ptr(a, 1), uts = gk_arg_ptr(a, 2);
	int sig, err;

	if (gk_arg_size(a, 3) != 8)
		return -EINVAL;
	if (gk_copyin(p, &set, gk_arg_ptr(a, 0), 8) < 0)
		return -EFAULT;
	set = never_masked(set);
	if (!p->sys_rerun && uts && (err = gk_timespec_in(p, uts, &rel)) < 0)
		return err;
	sig = gk_sig_dequeue(p, set, &si);
	if (sig) {
		p->sigwait = 0;
		if (info && gk_copyout(p, info, &si, sizeof(si)) < 0)
			return -EFAULT;
		return sig;
	}
	if (uts && gk_timeout(p, rel)) {
		p->sigwait = 0;
		return -EAGAIN;
	}
	p->sigwait = set;
	return gk_block(p, NULL, 0);
}

/*
 * kill's pid argument: one process, a group, or everyone but pid 1 and the
 * caller. A zombie is still there to signal until it is reaped: it counts
 * (no ESRCH) and the signal does nothing (gk_sig_send), as on Linux.
 */
GK_SYS(kill)
{
	int pid = gk_arg_int(a, 0), sig = gk_arg_int(a, 1), found = 0;
	struct gk_proc *t;

	if (sig < 0 || sig >= GK_NSIG)
		return -EINVAL;
	if (pid > 0) {
		t = gk_proc_find(p->k, pid);
		if (!t)
			return -ESRCH;
		return gk_sig_kill(t, sig, SI_USER, p->tg->gpid);
	}
	if (pid == -1) {
		for (t = p->k->procs; t; t = t->next) {
			if (!gk_is_leader(t) || t->tg == p->tg || t->tg->gpid == 1)
				continue;
			found = 1;
			gk_sig_kill(t, sig, SI_USER, p->tg->gpid);
		}
		return found ? 0 : -ESRCH;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	return gk_sig_pgrp(p->k, pid ? -pid : p->tg->pgid, sig, SI_USER, p->tg->gpid);
}

static long
thread_kill(struct gk_proc *p, int tgid, int tid, int sig)
{
	struct gk_proc *t;

	if (tid <= 0 || sig < 0 || sig >= GK_NSIG)
		return -EINVAL;
	t = gk_task_find(p->k, tid);
	if (!t || (tgid > 0 && t->tg->gpid != tgid))
		return -ESRCH;
	return gk_sig_kill(t, sig, SI_TKILL, p->tg->gpid);
}

GK_SYS(tkill)
{
	return thread_kill(p, 0, gk_arg_int(a, 0), gk_arg_int(a, 1));
}

GK_SYS(tgkill)
{
	if (gk_arg_int(a, 0) <= 0)
		return -EINVAL;
	return thread_kill(p, gk_arg_int(a, 0), gk_arg_int(a, 1), gk_arg_int(a, 2));
}

/* sigqueue and friends: the caller's own siginfo, which may not pose as the kernel's. */
static long
queue_info(struct gk_proc *p, int tgid, int pid, int sig, uint64_t uinfo)
{
	struct gk_siginfo si;
	struct gk_proc *t;

	if (sig < 0 || sig >= GK_NSIG)
		return -EINVAL;
	if (gk_copyin(p, &si, uinfo, sizeof(si)) < 0)
		return -EFAULT;
	t = tgid > 0 ? gk_task_find(p->k, pid) : gk_proc_find(p->k, pid);
	if (!t || (tgid > 0 && t->tg->gpid != tgid))
		return -ESRCH;
	if ((si.code >= 0 || si.code == SI_TKILL) && t->tg != p->tg)
		return -EPERM;
	si.signo = sig;
	if (sig == 0 || t->state == GK_P_ZOMBIE || gk_sig_init_ignores(t, sig, p->tg->gpid))
		return 0;
	return tgid > 0 ? gk_sig_send_task(t, &si) : gk_sig_send(t, &si);
}

GK_SYS(rt_sigqueueinfo)
{
	return queue_info(p, 0, gk_arg_int(a, 0), gk_arg_int(a, 1), gk_arg_ptr(a, 2));
}

GK_SYS(rt_tgsigqueueinfo)
{
	if (gk_arg_int(a, 0) <= 0 || gk_arg_int(a, 1) <= 0)
		return -EINVAL;
	return queue_info(p, gk_arg_int(a, 0), gk_arg_int(a, 1), gk_arg_int(a, 2), gk_arg_ptr(a, 3));
}

GK_SYS(sigaltstack)
{
	struct {
		uint64_t sp;
		int32_t flags, pad;
		uint64_t size;
	} ss, old;
	int on = gk_sig_on_altstack(p, p->regs.rsp), mode;
	uint64_t uss = gk_arg_ptr(a, 0), uoss = gk_arg_ptr(a, 1);

	if (uss && gk_copyin(p, &ss, uss, sizeof(ss)) < 0)
		return -EFAULT;
	memset(&old, 0, sizeof(old));
	old.sp = p->ss_sp;
	old.size = p->ss_size;
	old.flags = on ? SS_ONSTACK : p->ss_size ? p->ss_flags : SS_DISABLE;
	if (uss) {
		if (on)
			return -EPERM;
		mode = ss.flags & ~GK_SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			p->ss_sp = p->ss_size = 0;
			p->ss_flags = 0;
		} else {
			if (ss.size < GK_MINSIGSTKSZ)
				return -ENOMEM;
			p->ss_sp = ss.sp;
			p->ss_size = ss.size;
			p->ss_flags = ss.flags & GK_SS_AUTODISARM;
		}
	}
	if (uoss && gk_copyout(p, uoss, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(rt_sigreturn)
{
	return gk_sig_return(p);
}
