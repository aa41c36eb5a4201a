/*
 * sys_task.c - syscalls on processes and pipes: wait4, waitid, process
 * groups and sessions, pipe, pipe2. (fork, vfork, clone, clone3 and the
 * pidfd calls are in sys_clone.c.)
 *
 * Layer src/guestkernel/sys. Argument checking; the mechanism is in
 * proc.c and pipe.c. Every thread of a process waits for the process's
 * children.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sys.h"

/* Does child c of p match wait4's pid argument? */
static int
wait_match(const struct gk_proc *p, const struct gk_proc *c, int pid)
{
	if (!gk_is_leader(c) || c->tg->parent != p->tg)
		return 0;
	if (pid > 0)
		return c->tg->gpid == pid;
	if (pid == -1)
		return 1;
	if (pid == 0)
		return c->tg->pgid == p->tg->pgid;
	return c->tg->pgid == -pid;
}

/*
 * A child matching pid with something to report: it exited (a zombie), or
 * with WUNTRACED/WSTOPPED it stopped, or with WCONTINUED it continued, and
 * the parent has not been told yet. NULL with *ret: -ECHILD (no such
 * child), 0 (WNOHANG and nothing to report) or -GK_EBLOCK (asleep until
 * there is).
 */
static struct gk_proc *
find_zombie(struct gk_proc *p, int pid, int options, long *ret)
{
	struct gk_proc *c;
	int any = 0;

	for (c = p->k->procs; c; c = c->next) {
		if (!wait_match(p, c, pid))
			continue;
		any = 1;
		if (c->state == GK_P_ZOMBIE && (options & WEXITED))
			return c;
		if (c->state != GK_P_ZOMBIE && (options & WUNTRACED) && c->tg->report_stop)
			return c;
		if (c->state != GK_P_ZOMBIE && (options & WCONTINUED) && c->tg->report_cont)
			return c;
	}
	if (!any)
		*ret = -ECHILD;
	else if (options & WNOHANG)
		*ret = 0;
	else
		*ret = gk_block(p, &p->tg->child_wq, 0);
	return NULL;
}

GK_SYS(wait4)
{
	int pid = gk_arg_int(a, 0), options = gk_arg_int(a, 2), st;
	struct rusage ru;
	struct gk_proc *c;
	long ret;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	c = find_zombie(p, pid, options | WEXITED, &ret);
	if (!c)
		return ret;
	if (c->state != GK_P_ZOMBIE && c->tg->report_stop)
		st = (c->tg->stop_sig << 8) | 0x7f;
	else if (c->state != GK_P_ZOMBIE)
		st = 0xffff;
	else
		st = c->tg->wstatus;
	if (gk_arg_ptr(a, 1) && gk_copyout(p, gk_arg_ptr(a, 1), &st, sizeof(st)) < 0)
		return -EFAULT;
	if (gk_arg_ptr(a, 3)) {
		gk_cpu_rusage(c, GK_RUSAGE_BOTH, &ru); /* the child's and its children's */
		if (gk_copyout(p, gk_arg_ptr(a, 3), &ru, sizeof(ru)) < 0)
			return -EFAULT;
	}
	pid = c->tg->gpid;
	if (c->state != GK_P_ZOMBIE) {
		c->tg->report_stop = c->tg->report_cont = 0;
	} else {
		gk_cpu_reaped(p, c);
		gk_proc_reap(c);
	}
	return pid;
}

/* The part of siginfo_t waitid fills: 128 bytes in all. */
struct wait_siginfo {
	int32_t signo, err, code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;
	uint8_t rest[100];
};

#define K_P_PIDFD     3		/* waitid's idtype for a pidfd (Linux 5.4) */
#define K_WAIT_EAGAIN 0x10000000 /* internal: WNOHANG came from an O_NONBLOCK pidfd */

GK_SYS(waitid)
{
	int idtype = gk_arg_int(a, 0), id = gk_arg_int(a, 1), options = gk_arg_int(a, 3), pid;
	int fflags = 0;
	struct gk_pidref *r;
	struct wait_siginfo si;
	struct rusage ru;
	struct gk_proc *c;
	long ret;

	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WALL |
			__WCLONE | __WNOTHREAD))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		pid = -1;
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		pid = id;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		pid = id ? -id : 0;
		break;
	case K_P_PIDFD:
		/*
		 * The child the pidfd names (one reaped is none: -ECHILD); a
		 * non-blocking pidfd makes the call WNOHANG, -EAGAIN if the
		 * child has nothing to report (kernel_waitid).
		 */
		if (id < 0)
			return -EINVAL;
		ret = gk_sys_pidfd_get(p, id, &r, &fflags);
		if (ret < 0)
			return ret;
		if (!r->tg)
			return -ECHILD;
		pid = r->tg->gpid;
		if ((fflags & O_NONBLOCK) && !(options & WNOHANG))
			options |= WNOHANG | K_WAIT_EAGAIN;
		break;
	default:
		return -EINVAL;
	}
	memset(&si, 0, sizeof(si));
	c = find_zombie(p, pid, options, &ret);
	if (!c && ret == 0 && (options & K_WAIT_EAGAIN))
		return -EAGAIN;
	if (!c) {
		if (ret == 0 && gk_arg_ptr(a, 2) && gk_copyout(p, gk_arg_ptr(a, 2), &si, sizeof(si)) < 0)
			return -EFAULT;
		return ret;
	}
	si.signo = SIGCHLD;
	si.pid = c->tg->gpid;
	si.uid = p->k->uid;
	if (c->state != GK_P_ZOMBIE && c->tg->report_stop) {
		si.code = CLD_STOPPED;
		si.status = c->tg->stop_sig;
	} else if (c->state != GK_P_ZOMBIE) {
		si.code = CLD_CONTINUED;
		si.status = SIGCONT;
	} else if (WIFEXITED(c->tg->wstatus)) {
		si.code = CLD_EXITED;
		si.status = WEXITSTATUS(c->tg->wstatus);
	} else {
		si.code = WCOREDUMP(c->tg->wstatus) ? CLD_DUMPED : CLD_KILLED;
		si.status = WTERMSIG(c->tg->wstatus);
	}
	if (gk_arg_ptr(a, 2) && gk_copyout(p, gk_arg_ptr(a, 2), &si, sizeof(si)) < 0)
		return -EFAULT;
	if (gk_arg_ptr(a, 4)) {
		gk_cpu_rusage(c, GK_RUSAGE_BOTH, &ru); /* the child's and its children's */
		if (gk_copyout(p, gk_arg_ptr(a, 4), &ru, sizeof(ru)) < 0)
			return -EFAULT;
	}
	if (options & WNOWAIT)
		return 0;
	if (c->state != GK_P_ZOMBIE) {
		c->tg->report_stop = c->tg->report_cont = 0;
	} else {
		gk_cpu_reaped(p, c);
		gk_proc_reap(c);
	}
	return 0;
}

/* pid as the process calls take it: 0 is the caller. */
static struct gk_proc *
proc_arg(struct gk_proc *p, int pid)
{
	if (pid == 0)
		return p;
	if (pid < 0)
		return NULL;
	return gk_proc_find(p->k, pid);
}

GK_SYS(getpgrp)
{
	return p->tg->pgid;
}

GK_SYS(getpgid)
{
	struct gk_proc *t = proc_arg(p, gk_arg_int(a, 0));

	return t ? t->tg->pgid : -ESRCH;
}

GK_SYS(getsid)
{
	struct gk_proc *t = proc_arg(p, gk_arg_int(a, 0));

	return t ? t->tg->sid : -ESRCH;
}

/* setpgid: the caller or one of its children, into a group of the caller's session. */
GK_SYS(setpgid)
{
	struct gk_proc *t = proc_arg(p, gk_arg_int(a, 0)), *q;
	int pgid = gk_arg_int(a, 1);

	if (pgid < 0)
		return -EINVAL;
	if (!t || (t->tg != p->tg && t->tg->parent != p->tg))
		return -ESRCH;
	if (t->tg->sid != p->tg->sid)
		return -EPERM;
	if (t->tg->sid == t->tg->gpid)
		return -EPERM; /* a session leader stays in its group */
	if (pgid == 0)
		pgid = t->tg->gpid;
	if (pgid != t->tg->gpid) {
		for (q = p->k->procs; q; q = q->next)
			if (gk_is_leader(q) && q->tg->pgid == pgid && q->tg->sid == p->tg->sid &&
			    q->state != GK_P_ZOMBIE)
				break;
		if (!q)
			return -EPERM;
	}
	t->tg->pgid = pgid;
	return 0;
}

GK_SYS(setsid)
{
	struct gk_proc *q;

	for (q = p->k->procs; q; q = q->next)
		if (q->tg->pgid == p->tg->gpid)
			return -EPERM;
	p->tg->sid = p->tg->pgid = p->tg->gpid;
	return p->tg->gpid;
}

static long
do_pipe(struct gk_proc *p, uint64_t gva, int flags)
{
	struct gk_file *r, *w;
	int fds[2], err, cloexec = (flags & O_CLOEXEC) != 0;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	err = gk_pipe_new(p->k, &r, &w);
	if (err < 0)
		return err;
	r->flags |= flags & O_NONBLOCK;
	w->flags |= flags & O_NONBLOCK;
	fds[0] = gk_fd_install(p->fdt, r, 0, cloexec);
	if (fds[0] < 0) {
		gk_file_unref(r);
		gk_file_unref(w);
		return fds[0];
	}
	fds[1] = gk_fd_install(p->fdt, w, 0, cloexec);
	if (fds[1] < 0) {
		gk_fd_close(p->fdt, fds[0]);
		gk_file_unref(w);
		return fds[1];
	}
	if (gk_copyout(p, gva, fds, sizeof(fds)) < 0) {
		gk_fd_close(p->fdt, fds[0]);
		gk_fd_close(p->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

GK_SYS(pipe)
{
	return do_pipe(p, gk_arg_ptr(a, 0), 0);
}

GK_SYS(pipe2)
{
	return do_pipe(p, gk_arg_ptr(a, 0), gk_arg_int(a, 1));
}
