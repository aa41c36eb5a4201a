/*
 * task.c - what tasks share, and whose FPU state a vmspace holds.
 *
 * Layer src/guestkernel/proc. The objects clone() shares or copies by its
 * flags: root/cwd/umask (struct gk_fs_ctx, CLONE_FS) and the signal
 * handlers (struct gk_sighand, CLONE_SIGHAND) live here; the address space
 * (mm/, CLONE_VM) and the descriptor table (fs/, CLONE_FILES) have their
 * own ref/free pairs. Each is held once by every task that uses it.
 *
 * FPU state is per task but the host keeps one per vmspace: the vmspace
 * holds the state of vm->fp_owner, and every other task using that vm
 * keeps its own in its fp buffer (fp_saved). gk_task_fp_load() swaps them
 * before a task runs, as a kernel loads FPU state lazily on a context
 * switch. A task that shares its vm has its buffer from clone on, so the
 * swap needs no allocation.
 *
 * Must not: decode syscall arguments or run guest code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* gk_fsctx_new - root/cwd/umask, holding a reference to cwd. NULL on ENOMEM. */
struct gk_fs_ctx *
gk_fsctx_new(struct gk_dentry *cwd, mode_t umask_)
{
	struct gk_fs_ctx *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->cwd = gk_dentry_get(cwd);
	fs->refs = 1;
	fs->umask = umask_;
	return fs;
}

/* gk_fsctx_copy - a private copy of fs (clone without CLONE_FS). NULL on ENOMEM. */
struct gk_fs_ctx *
gk_fsctx_copy(const struct gk_fs_ctx *fs)
{
	return gk_fsctx_new(fs->cwd, fs->umask);
}

/* gk_fsctx_ref - one more task uses fs (CLONE_FS). */
struct gk_fs_ctx *
gk_fsctx_ref(struct gk_fs_ctx *fs)
{
	fs->refs++;
	return fs;
}

/* gk_fsctx_unref - drop a use of fs; the last frees it. NULL is fine. */
void
gk_fsctx_unref(struct gk_fs_ctx *fs)
{
	if (!fs || --fs->refs > 0)
		return;
	gk_dentry_put(fs->cwd);
	free(fs);
}

/* gk_sighand_new - every signal at SIG_DFL. NULL on ENOMEM. */
struct gk_sighand *
gk_sighand_new(void)
{
	struct gk_sighand *sh = calloc(1, sizeof(*sh));

	if (sh)
		sh->refs = 1;
	return sh;
}

/* gk_sighand_copy - a private copy of sh (clone without CLONE_SIGHAND). NULL on ENOMEM. */
struct gk_sighand *
gk_sighand_copy(const struct gk_sighand *sh)
{
	struct gk_sighand *n = gk_sighand_new();

	if (n)
		memcpy(n->action, sh->action, sizeof(n->action));
	return n;
}

/* gk_sighand_ref - one more task uses sh (CLONE_SIGHAND). */
struct gk_sighand *
gk_sighand_ref(struct gk_sighand *sh)
{
	sh->refs++;
	return sh;
}

/* gk_sighand_unref - drop a use of sh; the last frees it. NULL is fine. */
void
gk_sighand_unref(struct gk_sighand *sh)
{
	if (sh && --sh->refs == 0)
		free(sh);
}

/* p's FPU buffer, allocated on first use; NULL on ENOMEM. */
static struct uvk_fpstate *
fp_buf(struct gk_proc *p)
{
	if (!p->fp)
		p->fp = aligned_alloc(64, sizeof(*p->fp));
	return p->fp;
}

/* The vCPU p's kernel code runs on: the one running it, 0 outside the run loop. */
static int
cpu_of(const struct gk_proc *p)
{
	return p->on_cpu >= 0 ? p->on_cpu : 0;
}

/*
 * gk_task_fp_share - c is about to run in p's vm (CLONE_VM): c starts with
 * a copy of p's FPU state, which p's vCPU holds (p is running), kept in
 * c's buffer until c first runs, on whichever vCPU. Returns 0 or -ENOMEM
 * (both then have the buffer a later swap needs).
 */
int
gk_task_fp_share(struct gk_proc *p, struct gk_proc *c)
{
	struct gk_vm *vm = p->vm;

	if (!fp_buf(p) || !fp_buf(c))
		return -ENOMEM;
	if (gk_task_fp_load(p) < 0)
		return -ENOMEM;
	if (uvk_vmspace_get_fpstate(vm->vms, c->fp) < 0)
		c->fp->len = 0;
	c->fp_saved = 1;
	c->fp_cpu = -1;
	return 0;
}

/*
 * gk_task_fp_load - make p's FPU state the one p's vCPU's host thread in
 * its vmspace holds: the previous owner's goes into its buffer, p's comes
 * out of its own. Returns 0, -ENOMEM if the previous owner has no buffer
 * (a task that shares its vm always has one, see gk_task_fp_share), or
 * -EBUSY if p's state is live on another vCPU (the scheduler never runs
 * p here then).
 */
int
gk_task_fp_load(struct gk_proc *p)
{
	struct gk_vm *vm = p->vm;
	int cpu = cpu_of(p);
	struct gk_proc *o = vm->fp_owner[cpu];

	if (o == p)
		return 0;
	if (p->fp_cpu >= 0 && p->fp_cpu != cpu && vm->fp_owner[p->fp_cpu] == p)
		return -EBUSY;
	if (o) {
		if (!fp_buf(o))
			return -ENOMEM;
		if (uvk_vmspace_get_fpstate(vm->vms, o->fp) < 0)
			o->fp->len = 0;
		o->fp_saved = 1;
		o->fp_cpu = -1;
	}
	if (p->fp_saved && p->fp && p->fp->len)
		uvk_vmspace_set_fpstate(vm->vms, p->fp);
	p->fp_saved = 0;
	p->fp_cpu = cpu;
	vm->fp_owner[cpu] = p;
	return 0;
}

/*
 * gk_task_fp_save - p may run on another vCPU next (several vCPUs): its
 * live state goes into its buffer now. The caller must be the vCPU that
 * holds it (p->fp_cpu): only its host thread has it. Returns 0 or -ENOMEM
 * (p then stays bound to that vCPU, which is still correct).
 */
int
gk_task_fp_save(struct gk_proc *p)
{
	struct gk_vm *vm = p->vm;
	int cpu = p->fp_cpu;

	if (!vm || cpu < 0 || vm->fp_owner[cpu] != p)
		return 0;
	if (!fp_buf(p))
		return -ENOMEM;
	if (uvk_vmspace_get_fpstate(vm->vms, p->fp) < 0)
		p->fp->len = 0;
	p->fp_saved = 1;
	p->fp_cpu = -1;
	vm->fp_owner[cpu] = NULL;
	return 0;
}

/*
 * gk_task_fp_fork - c, p's child in a vmspace of its own, starts with p's
 * FPU state. With one vCPU it goes straight into c's vmspace (c owns it
 * there); with several it waits in c's buffer for c's first run, on
 * whichever vCPU that is. Best effort: on failure c starts with the
 * state the host gave its process.
 */
void
gk_task_fp_fork(struct gk_proc *p, struct gk_proc *c)
{
	struct uvk_fpstate *fp = p->k->fp_scratch;
	int i;

	if (gk_task_fp_load(p) < 0 || uvk_vmspace_get_fpstate(p->vm->vms, fp) < 0)
		return;
	if (p->k->ncpus <= 1) {
		uvk_vmspace_set_fpstate(c->vm->vms, fp);
		return;
	}
	if (!fp_buf(c))
		return;
	memcpy(c->fp, fp, sizeof(*fp));
	c->fp_saved = 1;
	c->fp_cpu = -1;
	for (i = 0; i < GK_NCPU_MAX; i++)
		if (c->vm->fp_owner[i] == c)
			c->vm->fp_owner[i] = NULL;
}

/*
 * gk_task_vm_set - p leaves its vm (exit, exec) for vm (NULL: none), which
 * p's reference moves into. The state the old vmspace holds for p is
 * lost with it; a new vm's holds p's from the start, on p's vCPU. Not for
 * joining a shared vm: that is gk_vm_ref() and gk_task_fp_share().
 */
void
gk_task_vm_set(struct gk_proc *p, struct gk_vm *vm)
{
	struct gk_vm *old = p->vm;
	int i;

	if (old)
		for (i = 0; i < GK_NCPU_MAX; i++)
			if (old->fp_owner[i] == p)
				old->fp_owner[i] = NULL;
	p->vm = vm;
	p->fp_saved = 0;
	p->fp_cpu = -1;
	if (vm && !vm->fp_owner[cpu_of(p)]) {
		vm->fp_owner[cpu_of(p)] = p;
		p->fp_cpu = cpu_of(p);
	}
	if (!vm || vm->refs == 1) {
		/* Alone in its vmspace (a vfork child that exec'd): no buffer needed yet. */
		free(p->fp);
		p->fp = NULL;
	}
	gk_vm_free(old);
}
