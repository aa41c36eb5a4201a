/*
 * fork.c - creating a process or a thread: clone().
 *
 * Layer src/guestkernel/proc, the mechanism under sys_task.c. The child is
 * a new thread group with one task, which gets the parent's registers, FPU
 * state, signal mask and alternate stack, and the group's limits and name;
 * or, with CLONE_THREAD, a new task of the caller's group, which shares
 * the address space and handlers (the caller checked CLONE_VM and
 * CLONE_SIGHAND) and starts with the caller's registers, FPU state and
 * mask and no alternate stack, as Linux's copy_process gives a thread.
 * What clone's flags name it shares (one more reference on the parent's
 * object), the rest it gets a copy of: the address space (CLONE_VM; else a
 * copy-on-write copy in a vmspace of its own, gk_vm_fork), the descriptor
 * table (CLONE_FILES; else a table of the same open files), root/cwd/umask
 * (CLONE_FS), the signal handlers (CLONE_SIGHAND). vfork is CLONE_VM |
 * CLONE_VFORK: the parent does not run again until the child execs or
 * exits (GK_P_VFORK), and the child runs in the parent's very address
 * space and vmspace meanwhile, as on Linux.
 *
 * Must not: decode syscall arguments.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/*
 * Both sides write the top of the stack and the thread area at once after
 * fork: take those copy-on-write faults here, in the tracer (the child
 * copies, the parent then owns its page alone again), rather than as two
 * trips through the guest kernel per fork. A page that cannot be had
 * (no VMA, out of RAM) is left to fault as usual.
 */
static void
early_copy(struct gk_proc *c, struct gk_proc *p, uint64_t gva)
{
	if (gk_vm_fault(c->vm, gva, UVK_ACCESS_WRITE) == 0)
		gk_vm_fault(p->vm, gva, UVK_ACCESS_WRITE);
}

/* Map the 16-page windows around rip and rsp in vm's host process. */
static void
prefault_hot(struct gk_vm *vm, const struct uvk_regs *r)
{
	const uint64_t win = 16 * GK_PAGE;
	uint64_t sp = r->rsp & ~(win - 1);

	uvk_vmspace_prefault(vm->vms, r->rip & ~(win - 1), win);
	if (sp != (r->rip & ~(win - 1)))
		uvk_vmspace_prefault(vm->vms, sp, win);
}

/*
 * Give c p's objects by clone_flags: shared or copied. Returns 0 or
 * -ENOMEM, -EAGAIN (the host refused a vmspace); c's half-set fields are
 * freed with it.
 */
static int
share_or_copy(struct gk_proc *c, struct gk_proc *p, uint64_t clone_flags)
{
	if (clone_flags & CLONE_VM) {
		/*
		 * The child runs in our memory and our vmspace: no host process
		 * to make, and what it stores we see (posix_spawn reports its
		 * exec error so).
		 */
		c->vm = gk_vm_ref(p->vm);
		if (gk_task_fp_share(p, c) < 0)
			return -ENOMEM;
	} else {
		struct gk_vm *vm = gk_vm_fork(p->vm);

		if (!vm)
			return errno == ENOMEM ? -ENOMEM : -EAGAIN;
		gk_task_vm_set(c, vm);
	}
	c->fdt = (clone_flags & CLONE_FILES) ? gk_fdt_ref(p->fdt) : gk_fdt_dup(p->fdt);
	c->fs = (clone_flags & CLONE_FS) ? gk_fsctx_ref(p->fs) : gk_fsctx_copy(p->fs);
	c->sighand = (clone_flags & CLONE_SIGHAND) ? gk_sighand_ref(p->sighand)
						   : gk_sighand_copy(p->sighand);
	if (!(clone_flags & CLONE_THREAD))
		c->tg->exe = strdup(p->tg->exe);
	if (p->tg->auxv_len && (c->tg->auxv = malloc(p->tg->auxv_len)) != NULL) {
		memcpy(c->tg->auxv, p->tg->auxv, p->tg->auxv_len);
		c->tg->auxv_len = p->tg->auxv_len;
	}
	if (!c->fdt || !c->fs || !c->sighand || !c->tg->exe)
		return -ENOMEM;
	return 0;
}

/*
 * A new thread of p's process: it shares what clone_flags name (at least
 * the address space and the handlers) and starts where p is, with p's
 * mask and name and no alternate stack (Linux clears it for CLONE_VM without
 * CLONE_VFORK: the stack it named is not the thread's).
 */
static struct gk_proc *
new_thread(struct gk_proc *p, uint64_t clone_flags, int *ret_err)
{
	struct gk_proc *c = gk_thread_alloc(p);
	int err;

	if (!c) {
		*ret_err = -EAGAIN;
		return NULL;
	}
	err = share_or_copy(c, p, clone_flags);
	if (err < 0) {
		*ret_err = err;
		c->state = GK_P_DEAD;
		p->tg->nlive--;
		gk_proc_free(c);
		return NULL;
	}
	c->regs = p->regs;
	c->regs.rax = 0;
	c->sigmask = p->sigmask;
	memcpy(c->comm, p->comm, sizeof(c->comm)); /* a thread starts with its creator's name */
	return c;
}

struct gk_proc *
gk_proc_fork(struct gk_proc *p, uint64_t clone_flags, int *ret_err)
{
	struct gk_proc *c;
	int err;

	if (clone_flags & CLONE_THREAD)
		return new_thread(p, clone_flags, ret_err);
	c = gk_proc_alloc(p->k, p);

	if (!c) {
		*ret_err = -EAGAIN;
		return NULL;
	}
	err = share_or_copy(c, p, clone_flags);
	if (err < 0) {
		*ret_err = err;
		goto out_free;
	}
	if (!(clone_flags & CLONE_VM))
		gk_task_fp_fork(p, c);
	c->regs = p->regs;
	c->regs.rax = 0;
	memcpy(c->comm, p->comm, sizeof(c->comm));
	c->tg->arg_start = p->tg->arg_start;
	c->tg->env_start = p->tg->env_start;
	c->tg->env_end = p->tg->env_end;
	memcpy(c->tg->rlim, p->tg->rlim, sizeof(c->tg->rlim));
	c->sigmask = p->sigmask;
	if ((clone_flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) {
		/* A child sharing our memory but not our stack gets no altstack (Linux). */
		c->ss_sp = p->ss_sp;
		c->ss_size = p->ss_size;
		c->ss_flags = p->ss_flags;
	}
	if (!(clone_flags & CLONE_VM)) {
		/*
		 * The child's host process starts empty, and the parent lost its
		 * writable mappings to copy-on-write: map the windows around the
		 * code and the stack both return to, in the batches that run
		 * before them, rather than take a fault each on the way back.
		 */
		early_copy(c, p, p->regs.rsp);
		if (gk_page_down(p->regs.rsp - 256) != gk_page_down(p->regs.rsp))
			early_copy(c, p, p->regs.rsp - 256);
		if (p->regs.fs_base)
			early_copy(c, p, p->regs.fs_base);
		prefault_hot(c->vm, &c->regs);
		prefault_hot(p->vm, &p->regs);
	}
	if (clone_flags & CLONE_VFORK) {
		c->vfork_parent = p;
		p->vfork_child = c;
		p->state = GK_P_VFORK;
	}
	return c;
out_free:
	gk_proc_free(c);
	return NULL;
}
