/*
 * sched.c - the run loop: one virtual CPU shared by every guest process.
 *
 * Layer src/guestkernel/entry. One tracer thread runs each process's vmspace in
 * turn (uvk_vmspace_run) and turns each trap into a syscall, a signal or a
 * death:
 *
 *   SYSCALL     gk_syscall(): table dispatch, result in rax (int $0x80: -ENOSYS)
 *   PAGE_FAULT  gk_vm_fault(); unresolvable: SIGSEGV (MAPERR/ACCERR), I/O: SIGBUS,
 *               out of guest RAM: SIGKILL
 *   FAULT       the host's signal (SIGILL, SIGFPE, SIGTRAP, SIGSEGV) for the guest
 *   INTERRUPT   the tick: back to the scheduler, which may pick another process
 *   EXIT        the host child died under us: killed by that signal
 *
 * Before every run of guest code the process's signals are acted on
 * (gk_sig_deliver): a handler frame, a stop or a death. A process runs
 * until it blocks (gk_block), stops, exits or its time slice ends: a
 * periodic tick (uvk_tick_start, GK_TICK_NS) interrupts guest code that
 * never makes a syscall, so a spinning process cannot starve the others.
 * A blocked process costs nothing: it is not run until a wake on a queue
 * it waits on (kern/wait.c), a signal or its timeout (timer.c) makes it
 * runnable, and then its syscall is run again from the start before any
 * guest code. At each scheduling decision due timers fire and host signals
 * are passed on (console.c); when nothing is runnable the tracer sleeps on
 * the host (console.c's epoll set) until the next timer, a watched host
 * descriptor or a host signal, with the tick stopped: an idle guest costs
 * no CPU.
 *
 * Must not: decode syscall arguments, or print anything but "uvk: " lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "entry.h"

/*
 * The page-fault error code for the frame: user mode, write, instruction
 * fetch, protection. A write to a page the host never mapped shows as a
 * read (the host does not say): its write bit is missing.
 */
static uint64_t
pf_error(const struct uvk_trap *t, int err)
{
	unsigned acc = t->page_fault.access;

	return 4 | (acc == UVK_ACCESS_WRITE ? 2 : 0) | (acc == UVK_ACCESS_EXEC ? 0x10 : 0) |
	       (err == -EACCES ? 1 : 0);
}

/* The x86 vector behind a host fault signal, for the frame's trapno. */
static int
trap_vector(int signo, int code)
{
	switch (signo) {
	case SIGILL:
		return 6;
	case SIGTRAP:
		return code == TRAP_TRACE ? 1 : 3;
	case SIGFPE:
		return code == FPE_INTDIV || code == FPE_INTOVF ? 0 : 19;
	case SIGBUS:
		return 17;
	}
	return 13; /* SIGSEGV with SI_KERNEL: a general protection fault */
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
	*last_gva = UINT64_MAX;
	p->fault_err = pf_error(t, err);
	p->fault_trapno = 14;
	p->fault_sig = err == -EIO ? SIGBUS : SIGSEGV;
	if (err == -ENOMEM)
		gk_proc_kill(p, SIGKILL, "out of guest memory");
	else if (err == -EIO)
		gk_sig_force(p, SIGBUS, BUS_ADRERR, gva);
	else
		gk_sig_force(p, SIGSEGV, err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, gva);
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

/*
 * A call into the vsyscall page, as Linux's emulation (vsyscall=xonly)
 * runs it: the call it stands for, rax its result; the host has already
 * returned to the caller. A pointer the call cannot write is SIGSEGV.
 */
static void
vsyscall(struct gk_proc *p, const struct uvk_trap *t)
{
	uint64_t nr = t->syscall.nr;

	if (nr != __NR_gettimeofday && nr != __NR_time && nr != __NR_getcpu) {
		gk_sig_force(p, SIGSEGV, SI_KERNEL, 0); /* the host names no other */
		return;
	}
	gk_syscall(p, nr, t->syscall.args);
	if (p->regs.rax == (uint64_t)-EFAULT)
		gk_sig_force(p, SIGSEGV, SI_KERNEL, 0);
}

static int
runnable(const struct gk_proc *p)
{
	return p->state == GK_P_RUN && !p->tg->exited && !p->tg->stopped;
}

/*
 * A woken process whose syscall sleeps: a signal ends the call (-EINTR, or
 * a restart after the handler), or it runs again from the start.
 */
static void
resume_syscall(struct gk_proc *p)
{
	if (gk_sig_deliverable(p) && gk_sig_interrupted(p)) {
		gk_sys_undo(p);
		return;
	}
	gk_sig_deliver(p);
	if (!runnable(p) || !p->insys)
		return;
	p->insys = 0;
	p->sys_rerun = 1;
	gk_syscall(p, p->sys_nr, p->sys_args);
	p->sys_rerun = 0;
}

/*
 * Registers the host will not load (x86-64 refuses an fs or gs base at or
 * above TASK_SIZE_MAX): the syscalls that set them refuse such values with
 * EPERM, so one here is a guest kernel bug, and it costs p alone, SIGSEGV as
 * Linux gives a task whose state cannot be restored. Returns 1 if p may run.
 */
static int
host_loadable(struct gk_proc *p)
{
	if (p->regs.fs_base < GK_TASK_SIZE && p->regs.gs_base < GK_TASK_SIZE)
		return 1;
	gk_proc_kill(p, SIGSEGV, "fs or gs base beyond the host's user space (guest kernel bug)");
	return 0;
}

/*
 * Run p until it blocks, stops, exits or the tick ends its slice. A failure
 * of the host for p's vmspace is p's death (SIGKILL), not the guest's.
 */
static void
run_proc(struct gk_proc *p)
{
	uint64_t last_gva = UINT64_MAX, t0;
	struct uvk_trap t;
	int repeats = 0, err;

	for (;;) {
		if (p->insys && runnable(p))
			resume_syscall(p);
		if (!runnable(p) || p->insys)
			return;
		if (gk_sig_pending(p) || p->restore_mask)
			gk_sig_deliver(p);
		if (!runnable(p))
			return;
		if (!host_loadable(p))
			return;
		if (gk_task_fp_load(p) < 0) {
			gk_proc_kill(p, SIGKILL, "no memory to switch FPU state");
			return;
		}
		t0 = gk_now_ns(CLOCK_MONOTONIC);
		err = uvk_vmspace_run(p->vm->vms, &p->regs, &t);
		gk_cpu_account(p, gk_now_ns(CLOCK_MONOTONIC) - t0);
		if (err < 0) {
			/*
			 * The host refused something for this vmspace (a register
			 * load, a mapping): the library has killed its host process.
			 * That is this guest process's death, never the guest's.
			 */
			char why[96];

			snprintf(why, sizeof(why), "its vmspace failed on the host (%s): killed",
				 strerror(-err));
			gk_proc_kill(p, SIGKILL, why);
			return;
		}
		switch (t.kind) {
		case UVK_TRAP_SYSCALL:
			/* Progress: a fault at the same address later is a new one. */
			last_gva = UINT64_MAX;
			if (t.syscall.abi == UVK_ABI_VSYSCALL)
				vsyscall(p, &t);
			else if (t.syscall.abi != UVK_ABI_X86_64)
				i386_syscall(p, &t);
			else
				gk_syscall(p, t.syscall.nr, t.syscall.args);
			if (p->resched) {
				p->resched = 0;
				return;
			}
			break;
		case UVK_TRAP_PAGE_FAULT:
			page_fault(p, &t, &last_gva, &repeats);
			break;
		case UVK_TRAP_FAULT:
			p->fault_err = 0;
			p->fault_sig = t.fault.signo;
			p->fault_trapno = trap_vector(t.fault.signo, t.fault.code);
			gk_sig_force(p, t.fault.signo, t.fault.code, t.fault.addr);
			break;
		case UVK_TRAP_INTERRUPT:
			return;
		case UVK_TRAP_EXIT: {
			/* Never expected: something outside killed the host process. */
			char why[96];

			snprintf(why, sizeof(why), "its host process %d %s %d (wait status %#x)",
				 uvk_vmspace_host_pid(p->vm->vms),
				 t.exit.exited ? "exited with" : "was killed by signal", t.exit.code,
				 t.exit.wstatus);
			gk_proc_kill(p, t.exit.exited ? SIGKILL : t.exit.code, why);
			break;
		}
		}
	}
}

/* The first runnable process from start on, wrapping around; NULL if none. */
static struct gk_proc *
pick(struct gk_kernel *k, struct gk_proc *start)
{
	struct gk_proc *p;

	for (p = start; p; p = p->next)
		if (runnable(p))
			return p;
	for (p = k->procs; p && p != start; p = p->next)
		if (runnable(p))
			return p;
	return NULL;
}

/*
 * Release every process that exited (killed while asleep, say), free the
 * tasks that are done (threads that exited, the other tasks of a process
 * that did) and reap those whose parent does not wait. Returns where the
 * next pick starts: after, or the head of the table if after went away.
 */
static struct gk_proc *
release_exited(struct gk_kernel *k, struct gk_proc *after)
{
	struct gk_proc *p;
	int freed;

	do {
		freed = 0;
		for (p = k->procs; p; p = p->next) {
			struct gk_tgroup *tg = p->tg;

			if (tg->exited && !tg->released && gk_proc_release(p) &&
			    gk_tg_leader(tg) != k->init) {
				if (after && after->tg == tg)
					after = NULL;
				gk_tg_free_threads(tg);
				gk_proc_free(gk_tg_leader(tg));
				freed = 1;
				break;
			}
			if (p->state == GK_P_DEAD && !gk_is_leader(p)) {
				if (after == p)
					after = NULL;
				gk_proc_free(p);
				freed = 1;
				break;
			}
			if (tg->released && tg->ntasks > 1) {
				if (after && after->tg == tg && !gk_is_leader(after))
					after = NULL;
				gk_tg_free_threads(tg);
				freed = 1;
				break;
			}
		}
	} while (freed);
	return after ? after : k->procs;
}

/* Nothing to run: sleep on the host until the next timer, console input or host signal. */
static int
idle(struct gk_kernel *k, uint64_t next)
{
	int64_t wait = -1;

	if (k->init->tg->stopped) {
		gk_console_suspend(k);
		return 0;
	}
	if (!next && !gk_console_idle_possible(k)) {
		fprintf(stderr, "uvk: every guest process is blocked: deadlock\n");
		return -EDEADLK;
	}
	if (next) {
		uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

		wait = next > now ? (int64_t)(next - now) : 0;
	}
	uvk_tick_start(0);
	gk_console_check(k, wait);
	uvk_tick_start(GK_TICK_NS);
	return 0;
}

/*
 * gk_sched_run - run the guest until pid 1 exits. Returns 0, -EDEADLK if
 * every process is blocked with nothing left to wake them, or a negative
 * errno if the tick could not start. One vmspace failing on the host is
 * not an error here: it kills that guest process (run_proc).
 */
int
gk_sched_run(struct gk_kernel *k)
{
	struct gk_proc *p, *start = k->init;
	uint64_t next;
	int err;

	err = uvk_tick_start(GK_TICK_NS);
	if (err < 0)
		return err;
	while (!k->init->tg->exited) {
		gk_console_signals(k);
		next = gk_timers_run(k, gk_now_ns(CLOCK_MONOTONIC));
		gk_console_check(k, 0);
		start = release_exited(k, start);
		if (k->init->tg->exited)
			break; /* killed while asleep (a host signal): not a deadlock */
		p = pick(k, start);
		if (!p) {
			err = idle(k, next);
			if (err < 0)
				break;
			continue;
		}
		run_proc(p);
		/* Round robin: the next pick starts after p. */
		start = p->next ? p->next : k->procs;
		start = release_exited(k, start);
	}
	uvk_tick_start(0);
	return err < 0 ? err : 0;
}
