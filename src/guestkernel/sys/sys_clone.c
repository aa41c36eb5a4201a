/*
 * sys_clone.c - making processes and naming them: fork, vfork, clone,
 * clone3; pidfd_open, pidfd_send_signal, pidfd_getfd.
 *
 * Layer src/guestkernel/sys. Argument checking; the mechanism is in
 * proc/fork.c, the descriptor in ipc/pidfd.c. clone and clone3 each fill
 * one struct clone_req and do_clone checks it as Linux's kernel_clone and
 * copy_process do, in their order, so that a call with two faults gets
 * Linux's errno. Reads arguments only through sysarg.h.
 *
 * What uvk does not offer: namespaces (CLONE_NEW*) and clone3's set_tid
 * are -EPERM, Linux's answer to a caller without CAP_SYS_ADMIN, which the
 * guest is: it holds no capability (clone_check). CLONE_INTO_CGROUP is
 * -EBADF once its struct checks pass: the guest has no cgroup2 hierarchy,
 * so no descriptor it holds names a cgroup, and Linux says EBADF for a
 * descriptor that is not open or not a cgroup directory
 * (cgroup_css_set_fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "sys.h"

/* The kernel's values (include/uapi/linux/sched.h), not in every libc's <sched.h>. */
#define K_CLONE_PIDFD	      0x00001000ULL
#define K_CLONE_NEWTIME	      0x00000080ULL
#define K_CLONE_NEWCGROUP     0x02000000ULL
#define K_CLONE_CLEAR_SIGHAND 0x100000000ULL
#define K_CLONE_INTO_CGROUP   0x200000000ULL
#define K_CLONE_LEGACY	      0xffffffffULL
#define K_CSIGNAL	      0xffULL
#define K_CLONE_NS                                                                                 \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 K_CLONE_NEWCGROUP | K_CLONE_NEWTIME)
#define K_PID_MAX 32768 /* proc.c hands out pids below this */

/*
 * struct clone_args as clone3(2) takes it: version 0 is 64 bytes (through
 * tls), version 1 80 (set_tid), version 2 88 (cgroup).
 */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER2 88

/* One clone request, from either entry point: Linux's struct kernel_clone_args. */
struct clone_req {
	uint64_t flags;	 /* CLONE_*, the exit signal taken out */
	int exit_signal; /* 0..255: legacy clone's CSIGNAL byte; clone3 checks it is a signal */
	uint64_t pidfd;	 /* CLONE_PIDFD: where the descriptor goes (an int) */
	uint64_t child_tid, parent_tid;
	uint64_t stack; /* the child's rsp, 0 for the caller's */
	uint64_t tls;
	int set_tid; /* the pid asked for, 0 none */
};

/*
 * The checks of copy_process and alloc_pid on a request, in their order.
 * Returns 0 or the errno of the first that fails.
 */
static int
clone_check(struct gk_proc *p, const struct clone_req *r)
{
	uint64_t fl = r->flags;

	if ((fl & K_CLONE_PIDFD) && (fl & CLONE_PARENT_SETTID) && r->pidfd == r->parent_tid)
		return -EINVAL;
	if ((fl & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
	    (fl & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((fl & CLONE_THREAD) && !(fl & CLONE_SIGHAND))
		return -EINVAL;
	if ((fl & CLONE_SIGHAND) && !(fl & CLONE_VM))
		return -EINVAL;
	/* The guest's init may have no sibling: its parent would be nobody. */
	if ((fl & CLONE_PARENT) && p->k->init && p->tg == p->k->init->tg)
		return -EINVAL;
	if ((fl & CLONE_THREAD) && (fl & (CLONE_NEWUSER | CLONE_NEWPID)))
		return -EINVAL;
	/*
	 * CLONE_DETACHED is kept free for a later meaning of CLONE_PIDFD. A
	 * pidfd of a thread (Linux 6.9's PIDFD_THREAD) is not offered: Linux
	 * before 6.9 says EINVAL to CLONE_PIDFD | CLONE_THREAD, as here.
	 */
	if ((fl & K_CLONE_PIDFD) && (fl & (CLONE_DETACHED | CLONE_THREAD)))
		return -EINVAL;
	/*
	 * Namespaces: Linux's copy_namespaces asks CAP_SYS_ADMIN in the
	 * caller's user namespace, and a new user namespace needs the caller
	 * outside any chroot (create_user_ns); the guest has neither towards
	 * any namespace uvk could give it, even as root, so all are -EPERM.
	 */
	if (fl & K_CLONE_NS)
		return -EPERM;
	/*
	 * Choosing the pid needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE
	 * (checkpoint_restore_ns_capable), which the guest lacks as it lacks
	 * every capability (capget is not offered: a guest that asks sees
	 * none); so a pid in range is -EPERM, as for an unprivileged caller.
	 */
	if (r->set_tid && (r->set_tid < 1 || r->set_tid >= K_PID_MAX))
		return -EINVAL;
	if (r->set_tid)
		return -EPERM;
	/* Linux sets the TLS as arch_prctl(ARCH_SET_FS) would: EPERM past TASK_SIZE_MAX. */
	if ((fl & CLONE_SETTLS) && r->tls >= GK_TASK_SIZE)
		return -EPERM;
	return 0;
}

/*
 * The pidfd of new child c at gva, as copy_process writes it before the
 * child ever runs. Returns 0, or -EMFILE, -ENOMEM, -EFAULT: the caller
 * then undoes the child.
 */
static int
give_pidfd(struct gk_proc *p, struct gk_proc *c, uint64_t gva)
{
	struct gk_file *f;
	int fd, err;

	err = gk_pidfd_new(p->k, c->tg, 0, &f);
	if (err < 0)
		return err;
	fd = gk_fd_install(p->fdt, f, 0, 1);
	if (fd < 0) {
		gk_file_unref(f);
		return fd;
	}
	if (gk_copyout(p, gva, &fd, sizeof(fd)) < 0) {
		gk_fd_close(p->fdt, fd);
		return -EFAULT;
	}
	return 0;
}

/*
 * CLONE_CLEAR_SIGHAND: the child's own copy of the handlers (the flag
 * excludes CLONE_SIGHAND) goes back to SIG_DFL where the parent catches a
 * signal; what it ignores stays ignored (Linux's flush_signal_handlers).
 */
static void
clear_handlers(struct gk_sighand *sh)
{
	int sig;

	for (sig = 1; sig < GK_NSIG; sig++) {
		struct gk_sigaction *sa = &sh->action[sig];

		if (sa->handler != (uint64_t)SIG_IGN)
			sa->handler = (uint64_t)SIG_DFL;
		sa->flags = sa->restorer = sa->mask = 0;
	}
}

/* Take back child c, which has not run: a CLONE_PIDFD that could not be given. */
static void
undo_child(struct gk_proc *c)
{
	gk_vfork_release(c);
	gk_proc_free(c);
}

/*
 * do_clone - a new process sharing with p what r's flags name. Returns
 * the child's pid, or -EINVAL, -EPERM (clone_check), -EAGAIN,
 * -ENOMEM (gk_proc_fork), -EMFILE, -EFAULT (the pidfd).
 */
static long
do_clone(struct gk_proc *p, const struct clone_req *r)
{
	uint64_t fl = r->flags;
	struct gk_proc *c;
	int err, pid;

	err = clone_check(p, r);
	if (err < 0)
		return err;
	c = gk_proc_fork(p, fl, &err);
	if (!c)
		return err;
	pid = c->tid; /* a new process's is its pid */
	if (fl & K_CLONE_PIDFD) {
		err = give_pidfd(p, c, r->pidfd);
		if (err < 0) {
			undo_child(c);
			return err;
		}
	}
	if (fl & K_CLONE_CLEAR_SIGHAND)
		clear_handlers(c->sighand);
	if (r->stack)
		c->regs.rsp = r->stack;
	if (fl & CLONE_SETTLS)
		c->regs.fs_base = r->tls;
	if (fl & CLONE_CHILD_CLEARTID)
		c->clear_tid = r->child_tid;
	if (fl & CLONE_THREAD) {
		/* A thread's group is p's: its parent and exit signal are the group's own. */
	} else if (fl & CLONE_PARENT) {
		/* A sibling: it tells p's parent of its exit, by the signal p would send. */
		c->tg->parent = p->tg->parent;
		c->tg->gppid = p->tg->gppid;
		c->tg->exit_signal = p->tg->exit_signal;
	} else {
		c->tg->exit_signal = r->exit_signal;
	}
	/* Linux ignores a fault on either (put_user's result is not looked at). */
	if (fl & CLONE_CHILD_SETTID)
		gk_copyout(c, r->child_tid, &pid, sizeof(pid));
	if (fl & CLONE_PARENT_SETTID)
		gk_copyout(p, r->parent_tid, &pid, sizeof(pid));
	gk_cpu_kick(c);
	return pid;
}

GK_SYS(fork)
{
	struct clone_req r = {.exit_signal = SIGCHLD};

	return do_clone(p, &r);
}

GK_SYS(vfork)
{
	struct clone_req r = {.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD};

	return do_clone(p, &r);
}

/*
 * clone(2), x86-64 order: flags, newsp, parent_tid, child_tid, tls. flags
 * is unsigned long, but Linux keeps only its low 32 bits (lower_32_bits),
 * so a high half is ignored, not EINVAL; the low byte is the exit signal,
 * not checked (a value past the last signal sends nothing). CLONE_PIDFD
 * writes the descriptor where parent_tid points.
 */
GK_SYS(clone)
{
	uint32_t fl = (uint32_t)gk_arg_ulong(a, 0);
	struct clone_req r = {
	    .flags = fl & ~K_CSIGNAL,
	    .exit_signal = (int)(fl & K_CSIGNAL),
	    .pidfd = gk_arg_ptr(a, 2),
	    .parent_tid = gk_arg_ptr(a, 2),
	    .child_tid = gk_arg_ptr(a, 3),
	    .stack = gk_arg_ulong(a, 1),
	    .tls = gk_arg_ulong(a, 4),
	};

	return do_clone(p, &r);
}

/*
 * Read clone3's struct of size bytes at gva, as copy_clone_args_from_user:
 * -E2BIG past a page, -EINVAL under version 0, -E2BIG when bytes past the
 * struct uvk knows are not all zero, -EFAULT.
 */
static int
clone3_read(struct gk_proc *p, uint64_t gva, size_t size, struct clone3_args *ca)
{
	unsigned char tail[256];
	size_t off;

	if (size > GK_PAGE)
		return -E2BIG;
	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	memset(ca, 0, sizeof(*ca));
	if (gk_copyin(p, ca, gva, size < sizeof(*ca) ? size : sizeof(*ca)) < 0)
		return -EFAULT;
	for (off = sizeof(*ca); off < size; off += sizeof(tail)) {
		size_t n = size - off < sizeof(tail) ? size - off : sizeof(tail), i;

		if (gk_copyin(p, tail, gva + off, n) < 0)
			return -EFAULT;
		for (i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	return 0;
}

/*
 * clone3(2): the arguments in a struct (clone3_read), checked as
 * copy_clone_args_from_user and clone3_args_valid check them, then as
 * clone. The stack is its low end and size: the child starts with rsp at
 * stack + stack_size.
 */
GK_SYS(clone3)
{
	struct clone3_args ca;
	struct clone_req r;
	size_t size = gk_arg_size(a, 1);
	uint64_t end = 0;
	int32_t tid;
	int err;

	err = clone3_read(p, gk_arg_ptr(a, 0), size, &ca);
	if (err < 0)
		return err;
	/* One pid namespace level: at most one pid to choose. */
	if (ca.set_tid_size > 32 || (!ca.set_tid && ca.set_tid_size) ||
	    (ca.set_tid && !ca.set_tid_size))
		return -EINVAL;
	if (ca.exit_signal > 64)
		return -EINVAL;
	if ((ca.flags & K_CLONE_INTO_CGROUP) &&
	    (ca.cgroup > INT32_MAX || size < CLONE_ARGS_SIZE_VER2))
		return -EINVAL;
	tid = 0;
	if (ca.set_tid && gk_copyin(p, &tid, ca.set_tid, sizeof(tid)) < 0)
		return -EFAULT;
	/* clone3_args_valid. */
	if (ca.flags & ~(K_CLONE_LEGACY | K_CLONE_CLEAR_SIGHAND | K_CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.flags & (CLONE_DETACHED | (K_CSIGNAL & ~K_CLONE_NEWTIME)))
		return -EINVAL;
	if ((ca.flags & CLONE_SIGHAND) && (ca.flags & K_CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((ca.flags & (CLONE_THREAD | CLONE_PARENT)) && ca.exit_signal)
		return -EINVAL;
	if (!ca.stack && ca.stack_size)
		return -EINVAL;
	if (ca.stack && (!ca.stack_size || gk_size_add(ca.stack, ca.stack_size, &end) < 0 ||
			 end > GK_TASK_SIZE))
		return -EINVAL;
	if (ca.set_tid_size > 1)
		return -EINVAL; /* alloc_pid: more pids than the namespace has levels */
	/* No cgroup descriptor exists in the guest (the file's opening comment). */
	if (ca.flags & K_CLONE_INTO_CGROUP)
		return -EBADF;
	memset(&r, 0, sizeof(r));
	r.flags = ca.flags;
	r.exit_signal = (int)ca.exit_signal;
	r.pidfd = ca.pidfd;
	r.child_tid = ca.child_tid;
	r.parent_tid = ca.parent_tid;
	r.stack = ca.stack ? end : 0;
	r.tls = ca.tls;
	r.set_tid = ca.set_tid ? (tid ? tid : -1) : 0;
	return do_clone(p, &r);
}

#define K_PIDFD_THREAD		     O_EXCL /* pidfd_open's PIDFD_THREAD */
#define K_PIDFD_SIGNAL_THREAD	     1u
#define K_PIDFD_SIGNAL_THREAD_GROUP  2u
#define K_PIDFD_SIGNAL_PROCESS_GROUP 4u

/*
 * pidfd_open(2): a close-on-exec pidfd for process pid. Flags: 0 or
 * PIDFD_NONBLOCK (O_NONBLOCK); PIDFD_THREAD (a pidfd of one thread, Linux
 * 6.9) is not offered and, as before 6.9, -EINVAL. -EINVAL for pid <= 0,
 * -ESRCH for no such process (a zombie is one until reaped), -ENOENT for
 * a thread that leads no group, as Linux 6.9 on; -EMFILE, -ENOMEM.
 */
GK_SYS(pidfd_open)
{
	int pid = gk_arg_int(a, 0), err;
	unsigned int flags = gk_arg_uint(a, 1);
	struct gk_proc *t;
	struct gk_file *f;

	if (flags & ~(unsigned int)O_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	t = gk_task_find(p->k, pid);
	if (!t)
		return -ESRCH;
	if (!gk_is_leader(t))
		return -ENOENT;
	err = gk_pidfd_new(p->k, t->tg, (int)flags, &f);
	if (err < 0)
		return err;
	return gk_fd_install_new(p->fdt, f, 1);
}

/*
 * The process a pidfd descriptor names, for pidfd_send_signal and
 * waitid(P_PIDFD): 0 with *ret_r set, -EBADF (not open, or no pidfd).
 * *ret_r's tg is NULL once the process was reaped.
 */
int
gk_sys_pidfd_get(struct gk_proc *p, int fd, struct gk_pidref **ret_r, int *ret_flags)
{
	struct gk_file *f = gk_fd_get_io(p, fd);
	struct gk_pidref *r = gk_pidfd_ref(f);

	if (!r)
		return -EBADF;
	*ret_r = r;
	if (ret_flags)
		*ret_flags = f->flags;
	return 0;
}

/*
 * pidfd_send_signal(2): sig to the process pidfd names, as kill(2) sends
 * it, or with the caller's siginfo as rt_sigqueueinfo(2): only to itself
 * may a caller pose as the kernel or kill (si_code >= 0 or SI_TKILL, else
 * -EPERM), and si_signo must be sig (-EINVAL). Flags pick the scope:
 * PIDFD_SIGNAL_THREAD (the leader task), _THREAD_GROUP (the process, as
 * 0), _PROCESS_GROUP (its process group); at most one. Errors in Linux's
 * order: -EINVAL (flags), -EBADF, -EFAULT, -EINVAL (signo), -EPERM,
 * -ESRCH (reaped), -EINVAL (no such signal).
 */
GK_SYS(pidfd_send_signal)
{
	unsigned int flags = gk_arg_uint(a, 3);
	int sig = gk_arg_int(a, 1), err;
	uint64_t uinfo = gk_arg_ptr(a, 2);
	struct gk_siginfo si;
	struct gk_pidref *r;
	struct gk_proc *t, *q;
	int found = 0;

	if (flags &
	    ~(K_PIDFD_SIGNAL_THREAD | K_PIDFD_SIGNAL_THREAD_GROUP | K_PIDFD_SIGNAL_PROCESS_GROUP))
		return -EINVAL;
	if (flags & (flags - 1))
		return -EINVAL;
	err = gk_sys_pidfd_get(p, gk_arg_fd(a, 0), &r, NULL);
	if (err < 0)
		return err;
	memset(&si, 0, sizeof(si));
	if (uinfo) {
		if (gk_copyin(p, &si, uinfo, sizeof(si)) < 0)
			return -EFAULT;
		if (si.signo != sig)
			return -EINVAL;
		/* Itself is the calling task, as Linux compares task_pid(current). */
		if ((r->tg != p->tg || !gk_is_leader(p) || flags == K_PIDFD_SIGNAL_PROCESS_GROUP) &&
		    (si.code >= 0 || si.code == SI_TKILL))
			return -EPERM;
	} else {
		si.signo = sig;
		si.code = flags == K_PIDFD_SIGNAL_THREAD ? SI_TKILL : SI_USER;
		si.proc.pid = p->tg->gpid;
		si.proc.uid = p->k->uid;
	}
	if (!r->tg)
		return -ESRCH;
	if (sig < 0 || sig >= GK_NSIG)
		return -EINVAL;
	t = gk_tg_leader(r->tg);
	if (flags != K_PIDFD_SIGNAL_PROCESS_GROUP) {
		if (sig == 0 || gk_sig_init_ignores(t, sig, p->tg->gpid))
			return 0;
		if (flags == K_PIDFD_SIGNAL_THREAD)
			return gk_sig_send_task(t, &si);
		return gk_sig_send(t, &si);
	}
	for (q = p->k->procs; q; q = q->next) {
		if (!gk_is_leader(q) || q->tg->pgid != r->tg->pgid)
			continue;
		found = 1;
		if (sig != 0 && !gk_sig_init_ignores(q, sig, p->tg->gpid))
			gk_sig_send(q, &si);
	}
	return found ? 0 : -ESRCH;
}

/*
 * pidfd_getfd(2): a close-on-exec duplicate, in the caller, of descriptor
 * targetfd of the process pidfd names (the same open file description).
 * Linux asks ptrace access (PTRACE_MODE_ATTACH_REALCREDS), which every
 * guest process has to every other: they all run as the one user, and
 * the guest has no Yama. -EINVAL (flags), -EBADF (no pidfd; targetfd not
 * open there, or an O_PATH one), -ESRCH (the process has exited, reaped
 * or not), -EMFILE.
 */
GK_SYS(pidfd_getfd)
{
	struct gk_pidref *r;
	struct gk_proc *t;
	struct gk_file *f;
	int err, fd;

	if (gk_arg_uint(a, 2))
		return -EINVAL;
	err = gk_sys_pidfd_get(p, gk_arg_fd(a, 0), &r, NULL);
	if (err < 0)
		return err;
	if (!r->tg || r->exited)
		return -ESRCH; /* Linux 6.x: a zombie too, not only one reaped */
	t = gk_tg_leader(r->tg);
	if (!t->fdt)
		return -EBADF;
	f = gk_fd_get_io(t, gk_arg_fd(a, 1)); /* fget_task: no O_PATH */
	if (!f)
		return -EBADF;
	fd = gk_fd_install(p->fdt, gk_file_ref(f), 0, 1);
	if (fd < 0)
		gk_file_unref(f);
	return fd;
}
