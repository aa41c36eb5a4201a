/*
 * fork.c - creating a process: a copy of its parent.
 *
 * Layer src/guestkernel, the mechanism under sys_task.c. The child gets a
 * copy-on-write copy of the address space in a vmspace of its own
 * (gk_vm_fork), the parent's registers and FPU state, the same open files
 * (shared descriptions), cwd, umask, limits, signal dispositions and mask.
 * vfork is a fork whose parent does not run again until the child execs or
 * exits (GK_P_VFORK): with copy-on-write it need not share the memory, and
 * nothing a correct vfork child may do can tell the difference, except
 * values it stores for its parent to read (posix_spawn's error report).
 *
 * Must not: decode syscall arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gk.h"

/* One FPU buffer is enough: a single tracer thread forks one process at a time. */
static struct uvk_fpstate fork_fp;

/*
 * gk_proc_fork - a child of p; vfork suspends p until the child execs or
 * exits. Returns the child or NULL with *ret_err set: -EAGAIN (process
 * limit, or the host refused a vmspace), -ENOMEM.
 */
struct gk_proc *
gk_proc_fork(struct gk_proc *p, int vfork, int *ret_err)
{
	struct gk_proc *c = gk_proc_alloc(p->k, p);

	if (!c) {
		*ret_err = -EAGAIN;
		return NULL;
	}
	c->vm = gk_vm_fork(p->vm);
	if (!c->vm) {
		*ret_err = errno == ENOMEM ? -ENOMEM : -EAGAIN;
		goto out_free;
	}
	c->fdt = gk_fdt_dup(p->fdt);
	c->cwd = strdup(p->cwd);
	c->exe = strdup(p->exe);
	if (!c->fdt || !c->cwd || !c->exe) {
		*ret_err = -ENOMEM;
		goto out_free;
	}
	if (uvk_vmspace_get_fpstate(p->vm->vms, &fork_fp) == 0)
		uvk_vmspace_set_fpstate(c->vm->vms, &fork_fp);
	c->regs = p->regs;
	c->regs.rax = 0;
	c->umask = p->umask;
	memcpy(c->comm, p->comm, sizeof(c->comm));
	c->arg_start = p->arg_start;
	c->env_start = p->env_start;
	c->env_end = p->env_end;
	memcpy(c->rlim, p->rlim, sizeof(c->rlim));
	memcpy(c->sigact, p->sigact, sizeof(c->sigact));
	c->sigmask = p->sigmask;
	c->ss_sp = p->ss_sp;
	c->ss_size = p->ss_size;
	c->ss_flags = p->ss_flags;
	if (vfork) {
		c->vfork_parent = p;
		p->vfork_child = c;
		p->state = GK_P_VFORK;
	}
	return c;
out_free:
	gk_proc_free(c);
	return NULL;
}
