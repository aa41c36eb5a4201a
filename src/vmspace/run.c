/*
 * run.c - uvk_vmspace_run(): resume guest code, decode host stops into traps.
 *
 * Layer: src/vmspace. The loop below is the hot path of the whole project:
 * a guest syscall costs one resume, one wait and one register fetch here,
 * plus one register load on the way back in if the guest kernel changed
 * anything. Faults the table allows, stray host signals and spurious
 * interrupt stops are absorbed without returning.
 *
 * Host signals: a signal that someone sent to the child (si_code <= 0, or
 * any signal but the synchronous five) is never delivered: it is dropped at
 * its signal-delivery stop. Only the guest kernel decides what a guest
 * process receives.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"

static void
regs_to_host(const struct uvk_regs *g, struct user_regs_struct *h)
{
	h->r15 = g->r15;
	h->r14 = g->r14;
	h->r13 = g->r13;
	h->r12 = g->r12;
	h->rbp = g->rbp;
	h->rbx = g->rbx;
	h->r11 = g->r11;
	h->r10 = g->r10;
	h->r9 = g->r9;
	h->r8 = g->r8;
	h->rax = g->rax;
	h->rcx = g->rcx;
	h->rdx = g->rdx;
	h->rsi = g->rsi;
	h->rdi = g->rdi;
	h->rip = g->rip;
	h->eflags = g->rflags;
	h->rsp = g->rsp;
	h->fs_base = g->fs_base;
	h->gs_base = g->gs_base;
	h->orig_rax = (unsigned long long)-1;
}

static void
regs_from_host(const struct user_regs_struct *h, struct uvk_regs *g)
{
	g->r15 = h->r15;
	g->r14 = h->r14;
	g->r13 = h->r13;
	g->r12 = h->r12;
	g->rbp = h->rbp;
	g->rbx = h->rbx;
	g->r11 = h->r11;
	g->r10 = h->r10;
	g->r9 = h->r9;
	g->r8 = h->r8;
	g->rax = h->rax;
	g->rcx = h->rcx;
	g->rdx = h->rdx;
	g->rsi = h->rsi;
	g->rdi = h->rdi;
	g->rip = h->rip;
	g->rflags = h->eflags;
	g->rsp = h->rsp;
	g->fs_base = h->fs_base;
	g->gs_base = h->gs_base;
}

/* Which ABI entered: look at the two bytes before rip through the guest table. */
static enum uvk_abi
syscall_abi(struct uvk_vmspace *vms, uint64_t rip)
{
	struct uvk_vpt_walk w;
	const uint8_t *p;

	if (!vms->has_root || rip < 2 || ((rip - 2) & UVK_PAGE_MASK) != ((rip - 1) & UVK_PAGE_MASK))
		return UVK_ABI_X86_64;
	if (uvk_vpt_walk(&vms->pm->vpt, vms->root, rip - 2, 0, 0, &w))
		return UVK_ABI_X86_64;
	p = vms->pm->base + w.gpa;
	if ((p[0] == 0xcd && p[1] == 0x80) || (p[0] == 0x0f && p[1] == 0x34))
		return UVK_ABI_I386;
	return UVK_ABI_X86_64;
}

static void
fill_exit(struct uvk_vmspace *vms, struct uvk_trap *trap)
{
	int st = vms->child.wstatus;

	trap->kind = UVK_TRAP_EXIT;
	trap->exit.wstatus = st;
	trap->exit.exited = WIFEXITED(st);
	trap->exit.code = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
	vms->exit_reported = true;
}

static bool
sync_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/*
 * Decode a signal-delivery stop. Returns 1 to resume silently, 0 with *trap
 * filled, or a negative errno.
 */
static int
on_signal(struct uvk_vmspace *vms, int sig, struct uvk_trap *trap)
{
	siginfo_t si;
	int rc;

	if (!sync_fault_signal(sig) && sig != SIGSYS)
		return 1;
	rc = tracer_getsiginfo(&vms->child, &si);
	if (rc)
		return rc;
	if (si.si_code <= 0)
		return 1; /* sent by someone, not raised by the guest's own instruction */
	rc = tracer_fetch_regs(&vms->child);
	if (rc)
		return rc;
	if (sig == SIGSYS) {
		/*
		 * Only the filter's answer to a call into the vsyscall page
		 * (filter.c): the host has done the emulated ret already, so
		 * this is that call, to be answered in rax.
		 */
		if (si.si_code != 1 /* SYS_SECCOMP */ ||
		    ((uint64_t)si.si_call_addr & ~0xfffULL) != 0xffffffffff600000ULL)
			return 1;
		trap->kind = UVK_TRAP_SYSCALL;
		trap->syscall.abi = UVK_ABI_VSYSCALL;
		trap->syscall.nr = (uint32_t)si.si_syscall;
		trap->syscall.args[0] = vms->child.regs.rdi;
		trap->syscall.args[1] = vms->child.regs.rsi;
		trap->syscall.args[2] = 0; /* getcpu's cache: Linux passes NULL */
		trap->syscall.args[3] = trap->syscall.args[4] = trap->syscall.args[5] = 0;
		vms->stats.syscalls++;
		return 0;
	}
	if (sig == SIGSEGV && (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)) {
		struct user_regs_struct guest = vms->child.regs;

		rc = vms_fault(vms, &si, &guest, trap);
		if (rc == 1)
			return tracer_load_regs(&vms->child, &guest) ?: 1;
		return rc;
	}
	trap->kind = UVK_TRAP_FAULT;
	trap->fault.signo = sig;
	trap->fault.code = si.si_code;
	trap->fault.addr = (uint64_t)si.si_addr;
	return 0;
}

static void
fill_interrupt(struct uvk_vmspace *vms, struct uvk_trap *trap, enum uvk_intr why)
{
	trap->kind = UVK_TRAP_INTERRUPT;
	trap->interrupt.reason = why;
	vms->stats.interrupts++;
}

/* One stop of the loop: 1 = go on, 0 = trap filled, < 0 = error. */
static int
on_stop(struct uvk_vmspace *vms, const struct tracer_stop *stop, struct uvk_trap *trap)
{
	struct user_regs_struct *h = &vms->child.regs;
	int rc;

	switch (stop->kind) {
	case TRACER_EXITED:
	case TRACER_KILLED:
		fill_exit(vms, trap);
		return 0;
	case TRACER_SYSCALL:
		rc = tracer_fetch_regs(&vms->child);
		if (rc)
			return rc;
		trap->kind = UVK_TRAP_SYSCALL;
		trap->syscall.nr = h->orig_rax;
		trap->syscall.args[0] = h->rdi;
		trap->syscall.args[1] = h->rsi;
		trap->syscall.args[2] = h->rdx;
		trap->syscall.args[3] = h->r10;
		trap->syscall.args[4] = h->r8;
		trap->syscall.args[5] = h->r9;
		trap->syscall.abi = syscall_abi(vms, h->rip);
		if (trap->syscall.abi == UVK_ABI_I386) {
			/* i386 convention: ebx, ecx, edx, esi, edi, ebp */
			trap->syscall.args[0] = (uint32_t)h->rbx;
			trap->syscall.args[1] = (uint32_t)h->rcx;
			trap->syscall.args[2] = (uint32_t)h->rdx;
			trap->syscall.args[3] = (uint32_t)h->rsi;
			trap->syscall.args[4] = (uint32_t)h->rdi;
			trap->syscall.args[5] = (uint32_t)h->rbp;
		}
		vms->stats.syscalls++;
		return 0;
	case TRACER_INTERRUPTED:
		if (tracer_tick_take()) {
			fill_interrupt(vms, trap, UVK_INTR_TICK);
			return 0;
		}
		if (atomic_exchange(&vms->kick, 0)) {
			fill_interrupt(vms, trap, UVK_INTR_KICK);
			return 0;
		}
		return 1; /* a stale interrupt: nothing is pending */
	case TRACER_SIGNAL:
		return on_signal(vms, stop->code, trap);
	}
	return -EIO;
}

/* Before resuming: pending ticks, kicks and the FPU state to load. */
static int
before_resume(struct uvk_vmspace *vms, struct uvk_trap *trap)
{
	if (tracer_tick_take()) {
		fill_interrupt(vms, trap, UVK_INTR_TICK);
		return 0;
	}
	if (atomic_load(&vms->kick) && atomic_exchange(&vms->kick, 0)) {
		fill_interrupt(vms, trap, UVK_INTR_KICK);
		return 0;
	}
	if (vms->fp_pending) {
		int rc = tracer_set_xstate(&vms->child, vms->fp->data, vms->fp->len);

		if (rc)
			return rc;
		vms->fp_pending = false;
	}
	return 1;
}

/* uvk_vmspace_run - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_run(struct uvk_vmspace *vms, struct uvk_regs *regs, struct uvk_trap *trap)
{
	struct user_regs_struct want;
	struct tracer_stop stop;
	int rc;

	if (!vms || !regs || !trap)
		return -EINVAL;
	if (vms->owner_tid != tracer_gettid())
		return -EINVAL;
	vms->stats.runs++;
	if (!vms->child.alive)
		goto dead;
	rc = vms_retry_forwarded(vms);
	if (!rc)
		rc = vms_flush(vms);
	if (rc)
		goto fail;
	/* Segment registers and orig_rax come from the template, never from the guest. */
	want = vms->tmpl;
	regs_to_host(regs, &want);
	rc = tracer_load_regs(&vms->child, &want);
	if (rc)
		goto fail;
	tracer_running(vms->child.pid);
	for (;;) {
		rc = before_resume(vms, trap);
		if (rc <= 0)
			break;
		rc = tracer_resume(&vms->child, TRACER_RESUME_SYSEMU);
		if (!rc)
			rc = tracer_wait(&vms->child, &stop);
		if (!rc)
			rc = on_stop(vms, &stop, trap);
		if (rc <= 0)
			break;
	}
	tracer_running(0);
	vms->last_fault_gva = ~0ULL;
	if (rc < 0)
		goto fail;
	if (trap->kind == UVK_TRAP_EXIT)
		return 0;
	if (!vms->child.regs_valid && (rc = tracer_fetch_regs(&vms->child)))
		goto fail;
	regs_from_host(&vms->child.regs, regs);
	return 0;
fail:
	tracer_running(0);
	if (vms->child.alive) {
		/* Gone under us (-ESRCH) or out of step with us: either way it dies now. */
		tracer_kill(&vms->child);
		if (rc != -ESRCH)
			return -EIO;
	}
dead:
	if (vms->exit_reported)
		return -ESRCH;
	fill_exit(vms, trap);
	return 0;
}
