/*
 * run.c - uvk_vmspace_run(): resume guest code, decode host stops into traps.
 *
 * Layer: src/vmspace. The loop below is the hot path of the whole project:
 * a guest syscall costs one resume, one wait and one register fetch here,
 * plus one register load on the way back in if the guest kernel changed
 * anything. Faults the table allows, stray host signals and spurious
 * interrupt stops are absorbed without returning.
 *
 * Several vCPUs: each runs its own host thread t of the vmspace, with its
 * own registers; what they share (the queue, the mappings) is behind
 * vms->lock, which the loop takes only when something is pending (a queued
 * mapping change, a death) or a fault must be resolved. The fast path of a
 * syscall costs two atomic read-modify-writes of vms->active more than one
 * vCPU did: joining and leaving the active set (see internal.h).
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
	uint64_t root = atomic_load_explicit(&vms->root, memory_order_acquire);
	struct uvk_vpt_walk w;
	const uint8_t *p;

	if (root == VMS_NONE || rip < 2 ||
	    ((rip - 2) & UVK_PAGE_MASK) != ((rip - 1) & UVK_PAGE_MASK))
		return UVK_ABI_X86_64;
	if (uvk_vpt_walk(&vms->pm->vpt, root, rip - 2, 0, 0, &w))
		return UVK_ABI_X86_64;
	p = vms->pm->base + w.gpa;
	if ((p[0] == 0xcd && p[1] == 0x80) || (p[0] == 0x0f && p[1] == 0x34))
		return UVK_ABI_I386;
	return UVK_ABI_X86_64;
}

static void
fill_exit(struct vms_thread *t, int st, struct uvk_trap *trap)
{
	trap->kind = UVK_TRAP_EXIT;
	trap->exit.wstatus = st;
	trap->exit.exited = WIFEXITED(st);
	trap->exit.code = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
	if (t)
		t->exit_reported = true;
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
on_signal(struct uvk_vmspace *vms, struct vms_thread *t, int sig, struct uvk_trap *trap)
{
	siginfo_t si;
	int rc;

	if (!sync_fault_signal(sig) && sig != SIGSYS)
		return 1;
	rc = tracer_getsiginfo(&t->child, &si);
	if (rc)
		return rc;
	if (si.si_code <= 0)
		return 1; /* sent by someone, not raised by the guest's own instruction */
	rc = tracer_fetch_regs(&t->child);
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
		trap->syscall.args[0] = t->child.regs.rdi;
		trap->syscall.args[1] = t->child.regs.rsi;
		trap->syscall.args[2] = 0; /* getcpu's cache: Linux passes NULL */
		trap->syscall.args[3] = trap->syscall.args[4] = trap->syscall.args[5] = 0;
		VMS_STAT_ADD(t->syscalls, 1);
		return 0;
	}
	if (sig == SIGSEGV && (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)) {
		struct user_regs_struct guest = t->child.regs;

		pthread_mutex_lock(&vms->lock);
		if (vms->dead) {
			rc = -ESRCH;
		} else if (atomic_load(&vms->map_gen) != t->map_seen) {
			/*
			 * Another vCPU changed the mappings since this thread
			 * resumed: the fault may be answered already (the same
			 * page, mapped by a sibling). Resume as it was; if it
			 * still faults, the next stop resolves it. So a page two
			 * vCPUs fault on at once is resolved once.
			 */
			vms->stats.faults_raced++;
			rc = 1;
		} else {
			rc = vms_fault(vms, t, &si, &guest, trap);
		}
		pthread_mutex_unlock(&vms->lock);
		if (rc == 1)
			return tracer_load_regs(&t->child, &guest) ?: 1;
		return rc;
	}
	trap->kind = UVK_TRAP_FAULT;
	trap->fault.signo = sig;
	trap->fault.code = si.si_code;
	trap->fault.addr = (uint64_t)si.si_addr;
	return 0;
}

static void
fill_interrupt(struct vms_thread *t, struct uvk_trap *trap, enum uvk_intr why)
{
	trap->kind = UVK_TRAP_INTERRUPT;
	trap->interrupt.reason = why;
	VMS_STAT_ADD(t->interrupts, 1);
}

/*
 * An interrupt for this vCPU: its tick, uvk_vcpu_interrupt, or a
 * uvk_vmspace_interrupt of vms it has not reported yet. 0 with *trap
 * filled, 1 if none.
 */
static int
take_interrupt(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct vms_thread *t,
	       struct uvk_trap *trap)
{
	uint64_t gen;

	if (tracer_tick_take()) {
		fill_interrupt(t, trap, UVK_INTR_TICK);
		return 0;
	}
	if (atomic_load_explicit(&v->kick, memory_order_relaxed) && atomic_exchange(&v->kick, 0)) {
		fill_interrupt(t, trap, UVK_INTR_KICK);
		return 0;
	}
	gen = atomic_load(&vms->kick_gen);
	if (gen != t->kick_seen) {
		t->kick_seen = gen;
		fill_interrupt(t, trap, UVK_INTR_KICK);
		return 0;
	}
	return 1;
}

/* One stop of the loop: 1 = go on, 0 = trap filled, < 0 = error. */
static int
on_stop(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct vms_thread *t,
	const struct tracer_stop *stop, struct uvk_trap *trap)
{
	struct user_regs_struct *h = &t->child.regs;
	int rc;

	switch (stop->kind) {
	case TRACER_EXITED:
	case TRACER_KILLED:
		fill_exit(t, t->child.wstatus, trap);
		return 0;
	case TRACER_SYSCALL:
		rc = tracer_fetch_regs(&t->child);
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
		VMS_STAT_ADD(t->syscalls, 1);
		return 0;
	case TRACER_INTERRUPTED:
		/* 1: a stale interrupt (nothing pending), or one meant for another vmspace */
		return take_interrupt(v, vms, t, trap);
	case TRACER_SIGNAL:
		return on_signal(vms, t, stop->code, trap);
	case TRACER_EVENT:
		return 1; /* no event is asked for while guest code runs */
	}
	return -EIO;
}

/* Before resuming: pending ticks, kicks and the FPU state to load. */
static int
before_resume(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct vms_thread *t,
	      struct uvk_trap *trap)
{
	if (!take_interrupt(v, vms, t, trap))
		return 0;
	if (t->fp_pending) {
		int rc = tracer_set_xstate(&t->child, t->fp->data, t->fp->len);

		if (rc)
			return rc;
		t->fp_pending = false;
	}
	/* a mapping change after this is one this thread may not have seen */
	t->map_seen = atomic_load(&vms->map_gen);
	return 1;
}

/* Leave vms's active set; wake a kill waiting for it to drain. */
static void
leave(struct uvk_vcpu *v, struct uvk_vmspace *vms)
{
	atomic_fetch_and(&vms->active, ~(1ULL << v->id));
	if (atomic_load(&vms->waiters)) {
		pthread_mutex_lock(&vms->lock);
		pthread_cond_broadcast(&vms->drained);
		pthread_mutex_unlock(&vms->lock);
	}
}

/*
 * The slow way in, under the lock: the vCPU's thread (adopted if it has
 * none), the queue flushed, a spare made if another vCPU may want one.
 * Returns 0 with *ret_t set, 1 with *trap filled (an exit to report), or a
 * negative errno.
 */
static int
enter_locked(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct vms_thread **ret_t,
	     struct uvk_trap *trap)
{
	struct vms_thread *t = vms_thread_peek(vms, v);
	int rc;

	if (!t && !vms->dead) {
		rc = vms_thread_get(vms, v, &t);
		if (rc == -EAGAIN || rc == -ENOMEM || rc == -EPERM)
			return rc;
	}
	if (!t || vms->dead || !t->child.alive)
		goto dead;
	rc = vms_retry_forwarded(vms, t);
	if (!rc)
		rc = vms_flush(vms, t);
	if (!rc && !vms->spare && vcpu_count() > 1)
		vms_make_spare(vms, t); /* no spare is no error: a later run tries again */
	if (rc == -ESRCH)
		goto dead; /* found dead by the flush (killed from outside) */
	if (rc)
		return rc; /* -EIO: killed by the flush; its death is reported next time */
	*ret_t = t;
	return 0;
dead:
	/* its exit, once per vCPU */
	if (t && t->exit_reported)
		return -ESRCH;
	if (!vms->dead)
		vms_kill_locked(vms, v); /* killed from outside: reap the rest */
	fill_exit(t, t && t->child.wstatus ? t->child.wstatus : vms->wstatus, trap);
	return 1;
}

/* uvk_vcpu_run - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vcpu_run(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct uvk_regs *regs,
	     struct uvk_trap *trap)
{
	struct user_regs_struct want;
	struct tracer_stop stop;
	struct vms_thread *t;
	int rc;

	if (!v || !vms || !regs || !trap || v != vcpu_self_peek())
		return -EINVAL;
	t = vms_thread_peek(vms, v);
	/* Join the active set before looking at pending (internal.h). */
	atomic_fetch_or(&vms->active, 1ULL << v->id);
	if (unlikely(!t || atomic_load(&vms->pending) || t->retry_gva != VMS_NONE ||
		     (!__atomic_load_n(&vms->spare, __ATOMIC_RELAXED) && vcpu_count() > 1))) {
		pthread_mutex_lock(&vms->lock);
		rc = enter_locked(v, vms, &t, trap);
		pthread_mutex_unlock(&vms->lock);
		if (rc) {
			leave(v, vms);
			return rc == 1 ? 0 : rc;
		}
	}
	VMS_STAT_ADD(t->runs, 1);
	/* Segment registers and orig_rax come from the template, never from the guest. */
	want = vms->tmpl;
	regs_to_host(regs, &want);
	rc = tracer_load_regs(&t->child, &want);
	if (rc)
		goto fail;
	tracer_running(t->child.pid);
	for (;;) {
		rc = before_resume(v, vms, t, trap);
		if (rc <= 0)
			break;
		rc = tracer_resume(&t->child, TRACER_RESUME_SYSEMU);
		if (!rc)
			rc = tracer_wait(&t->child, &stop);
		if (!rc)
			rc = on_stop(v, vms, t, &stop, trap);
		if (rc <= 0)
			break;
	}
	tracer_running(0);
	t->last_fault_gva = VMS_NONE;
	if (rc < 0)
		goto fail;
	if (trap->kind == UVK_TRAP_EXIT) {
		/* its death is the vmspace's: the others are reaped, nobody runs it */
		pthread_mutex_lock(&vms->lock);
		vms_kill_locked(vms, v);
		pthread_mutex_unlock(&vms->lock);
		leave(v, vms);
		return 0;
	}
	/* still active: a kill elsewhere must not reap the thread under this fetch */
	if (!t->child.regs_valid && (rc = tracer_fetch_regs(&t->child)))
		goto fail;
	leave(v, vms);
	regs_from_host(&t->child.regs, regs);
	return 0;
fail:
	tracer_running(0);
	leave(v, vms);
	/*
	 * Gone under us (-ESRCH: its death is reported now) or out of step
	 * with us (-EIO now, its death at the next run): it dies either way.
	 */
	pthread_mutex_lock(&vms->lock);
	vms_kill_locked(vms, v);
	if (rc != -ESRCH) {
		rc = -EIO;
	} else if (!t->exit_reported) {
		fill_exit(t, t->child.wstatus ? t->child.wstatus : vms->wstatus, trap);
		rc = 0;
	}
	pthread_mutex_unlock(&vms->lock);
	return rc;
}

/* uvk_vmspace_run - see uvk/vmspace.h: the calling thread's vCPU. */
UVK_EXPORT int
uvk_vmspace_run(struct uvk_vmspace *vms, struct uvk_regs *regs, struct uvk_trap *trap)
{
	struct uvk_vcpu *v = vcpu_self();

	if (!v)
		return -errno;
	return uvk_vcpu_run(v, vms, regs, trap);
}
