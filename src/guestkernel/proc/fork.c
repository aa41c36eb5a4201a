/*
 * fork.c - creating a process: a copy of its parent.
 *
 * Layer src/guestkernel/proc, the mechanism under sys_task.c. The child gets a
 * copy-on-write copy of the address space in a vmspace of its own
 * (gk_vm_fork), the parent's registers and FPU state, the same open files
 * (shared descriptions), cwd, umask, limits, signal dispositions and mask.
 * vfork is a fork whose parent does not run again until the child execs or
 * exits (GK_P_VFORK); with CLONE_VM (vfork, posix_spawn) the child runs in
 * the parent's very address space and vmspace meanwhile, as on Linux.
 *
 * Must not: decode syscall arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* One FPU buffer is enough: a single tracer thread forks one process at a time. */
static struct uvk_fpstate fork_fp;

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
 * gk_proc_fork - a child of p; GK_FORK_VFORK suspends p until the child
 * execs or exits, GK_FORK_VM has the child share p's memory. Returns the child or NULL with *ret_err set: -EAGAIN (process
 * limit, or the host refused a vmspace), -ENOMEM.
 */
struct gk_proc *
gk_proc_fork(struct gk_proc *p, int how, int *ret_err)
{
	struct gk_proc *c = gk_proc_alloc(p->k, p);

	if (!c) {
		*ret_err = -EAGAIN;
		return NULL;
	}
	if ((how & GK_FORK_VM) && !p->vfork_fp &&
	    !(p->vfork_fp = aligned_alloc(64, sizeof(*p->vfork_fp)))) {
		*ret_err = -ENOMEM;
		goto out_free;
	}
	if (how & GK_FORK_VM) {
		/*
		 * The child runs in our memory and our vmspace while we wait:
		 * no host process to make, and what it stores we see (posix_spawn
		 * reports its exec error so). Our FPU state is kept aside.
		 */
		if (uvk_vmspace_get_fpstate(p->vm->vms, p->vfork_fp) < 0)
			p->vfork_fp->len = 0;
		c->vm = gk_vm_ref(p->vm);
	} else {
		c->vm = gk_vm_fork(p->vm);
	}
	if (!c->vm) {
		*ret_err = errno == ENOMEM ? -ENOMEM : -EAGAIN;
		goto out_free;
	}
	c->fdt = gk_fdt_dup(p->fdt);
	c->fs->cwd = strdup(p->fs->cwd);
	c->tg->exe = strdup(p->tg->exe);
	if (!c->fdt || !c->fs->cwd || !c->tg->exe) {
		*ret_err = -ENOMEM;
		goto out_free;
	}
	if (!(how & GK_FORK_VM) && uvk_vmspace_get_fpstate(p->vm->vms, &fork_fp) == 0)
		uvk_vmspace_set_fpstate(c->vm->vms, &fork_fp);
	c->regs = p->regs;
	c->regs.rax = 0;
	c->fs->umask = p->fs->umask;
	memcpy(c->tg->comm, p->tg->comm, sizeof(c->tg->comm));
	c->tg->arg_start = p->tg->arg_start;
	c->tg->env_start = p->tg->env_start;
	c->tg->env_end = p->tg->env_end;
	memcpy(c->tg->rlim, p->tg->rlim, sizeof(c->tg->rlim));
	memcpy(c->sighand->action, p->sighand->action, sizeof(c->sighand->action));
	c->sigmask = p->sigmask;
	c->ss_sp = p->ss_sp;
	c->ss_size = p->ss_size;
	c->ss_flags = p->ss_flags;
	if (!(how & GK_FORK_VM)) {
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
	if (how & GK_FORK_VFORK) {
		c->vfork_parent = p;
		p->vfork_child = c;
		p->state = GK_P_VFORK;
	}
	return c;
out_free:
	gk_proc_free(c);
	return NULL;
}
