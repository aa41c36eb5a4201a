/*
 * sched.c - the run loop: one virtual CPU shared by every guest process.
 *
 * Layer src/guestkernel. One tracer thread runs each process's vmspace in
 * turn (uvk_vmspace_run) and turns each trap into a syscall, a page fault or
 * a death:
 *
 *   SYSCALL     gk_syscall(): table dispatch, result in rax (int $0x80: -ENOSYS)
 *   PAGE_FAULT  gk_vm_fault(); unresolvable: SIGSEGV, out of RAM: SIGKILL, I/O: SIGBUS
 *   FAULT       the process dies of that signal (no handlers are delivered yet)
 *   INTERRUPT   run again
 *   EXIT        the host child died under us: killed by that signal
 *
 * A process runs until it blocks (gk_block), waits for a vfork child or
 * exits; then the next runnable one in the table runs, round robin. A
 * blocked process costs nothing: it is not run until gk_wake() makes it
 * runnable, and then its syscall is run again from the start before any
 * guest code. There is no preemption yet: a process spinning in user space
 * keeps the CPU.
 *
 * Must not: decode syscall arguments, or print anything but "uvk: " lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "gk.h"

/* gk_syscall - dispatch one syscall trap; the result goes to rax unless the call blocked. */
void
gk_syscall(struct gk_proc *p, uint64_t nr, const uint64_t *a)
{
	const struct gk_syscall *s = nr < GK_NSYSCALLS ? &gk_systab[nr] : NULL;
	int early = nr == __NR_execve || nr == __NR_exit || nr == __NR_exit_group;
	long ret;

	p->k->st.syscalls++;
	if (p->k->trace && early)
		gk_trace_enter(p, nr, a);
	if (s && s->fn) {
		ret = s->fn(p, a);
	} else {
		ret = -ENOSYS;
		p->k->st.enosys++;
	}
	if (ret == -GK_EBLOCK) {
		/* Asleep: the call runs again from the start when woken. */
		p->insys = 1;
		p->sys_nr = nr;
		if (a != p->sys_args)
			memcpy(p->sys_args, a, sizeof(p->sys_args));
		return;
	}
	/* A successful execve set up fresh registers, whose rax is 0 like the result. */
	p->regs.rax = (uint64_t)ret;
	if (p->k->trace)
		gk_trace_exit(p, nr, a, ret);
}

static void
page_fault(struct gk_proc *p, const struct uvk_trap *t, uint64_t *last_gva, int *repeats)
{
	uint64_t gva = t->page_fault.gva;
	char why[128];
	int err;

	if (t->page_fault.error == -EFAULT && gva < UVK_VA_MAX) {
		snprintf(why, sizeof(why), "page table walk failed at %#llx (guest kernel bug)",
			 (unsigned long long)gva);
		gk_proc_kill(p, SIGSEGV, why);
		return;
	}
	err = gk_vm_fault(p->vm, gva, t->page_fault.access);
	if (err == 0) {
		/*
		 * The same fault again and again, with no syscall between, means
		 * the table and the host disagree: better a dead guest than a spin.
		 */
		if (gva == *last_gva && ++*repeats > 8) {
			snprintf(why, sizeof(why),
				 "fault at %#llx (access %u, walk %d) does not resolve",
				 (unsigned long long)gva, t->page_fault.access,
				 t->page_fault.error);
			gk_proc_kill(p, SIGSEGV, why);
		} else if (gva != *last_gva) {
			*last_gva = gva;
			*repeats = 0;
		}
		return;
	}
	if (err == -ENOMEM)
		gk_proc_kill(p, SIGKILL, "out of guest memory");
	else if (err == -EIO)
		gk_proc_kill(p, SIGBUS, NULL);
	else
		gk_proc_kill(p, SIGSEGV, NULL);
}

static void
i386_syscall(struct gk_proc *p, const struct uvk_trap *t)
{
	/* int $0x80: the i386 ABI is not offered to 64-bit programs. */
	p->regs.rax = (uint64_t)-ENOSYS;
	p->k->st.syscalls++;
	p->k->st.enosys++;
	if (p->k->trace)
		fprintf(p->k->trace,
			"[i386] syscall_%llu(%#llx, %#llx, %#llx) = -1 ENOSYS "
			"(Function not implemented)\n",
			(unsigned long long)t->syscall.nr, (unsigned long long)t->syscall.args[0],
			(unsigned long long)t->syscall.args[1],
			(unsigned long long)t->syscall.args[2]);
}

static int
runnable(const struct gk_proc *p)
{
	return p->state == GK_P_RUN && !p->exited;
}

/* Run p until it blocks or exits. Returns 0, or a negative errno if the host failed. */
static int
run_proc(struct gk_proc *p)
{
	uint64_t last_gva = UINT64_MAX;
	struct uvk_trap t;
	int repeats = 0, err;

	if (p->insys) {
		p->insys = 0;
		gk_syscall(p, p->sys_nr, p->sys_args);
	}
	while (runnable(p)) {
		err = uvk_vmspace_run(p->vm->vms, &p->regs, &t);
		if (err < 0)
			return err;
		switch (t.kind) {
		case UVK_TRAP_SYSCALL:
			/* Progress: a fault at the same address later is a new one. */
			last_gva = UINT64_MAX;
			if (t.syscall.abi != UVK_ABI_X86_64)
				i386_syscall(p, &t);
			else
				gk_syscall(p, t.syscall.nr, t.syscall.args);
			break;
		case UVK_TRAP_PAGE_FAULT:
			page_fault(p, &t, &last_gva, &repeats);
			break;
		case UVK_TRAP_FAULT:
			gk_proc_kill(p, t.fault.signo, NULL);
			break;
		case UVK_TRAP_INTERRUPT:
			break;
		case UVK_TRAP_EXIT:
			gk_proc_kill(p, t.exit.exited ? SIGKILL : t.exit.code, NULL);
			break;
		}
	}
	return 0;
}

/* The next runnable process after cur in the table, wrapping around; NULL if none. */
static struct gk_proc *
pick(struct gk_kernel *k, struct gk_proc *cur)
{
	struct gk_proc *p;

	for (p = cur ? cur->next : NULL; p; p = p->next)
		if (runnable(p))
			return p;
	for (p = k->procs; p && p != cur; p = p->next)
		if (runnable(p))
			return p;
	return cur && runnable(cur) ? cur : NULL;
}

/*
 * gk_sched_run - run the guest until pid 1 exits. Returns 0, -EDEADLK if
 * every process is blocked with nothing left to wake them, or a negative
 * errno if the host failed.
 */
int
gk_sched_run(struct gk_kernel *k)
{
	struct gk_proc *p, *cur = k->init;
	int err;

	while (!k->init->exited) {
		p = pick(k, cur);
		if (!p) {
			fprintf(stderr, "uvk: every guest process is blocked: deadlock\n");
			return -EDEADLK;
		}
		err = run_proc(p);
		if (err < 0)
			return err;
		if (p->exited)
			gk_proc_release(p);
		/* p may be gone only through a wait in another process: it is not. */
		cur = p;
	}
	return 0;
}
