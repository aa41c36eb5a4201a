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

/*
 * gk_task_fp_share - c is about to run in p's vm (CLONE_VM): c starts with
 * p's FPU state, which is the live one, so c becomes the vm's owner and
 * p's state is kept aside until p runs again. Returns 0 or -ENOMEM (both
 * then have the buffer a later swap needs).
 */
int
gk_task_fp_share(struct gk_proc *p, struct gk_proc *c)
{
	struct gk_vm *vm = p->vm;

	if (!fp_buf(p) || !fp_buf(c))
		return -ENOMEM;
	if (gk_task_fp_load(p) < 0)
		return -ENOMEM;
	if (uvk_vmspace_get_fpstate(vm->vms, p->fp) < 0)
		p->fp->len = 0;
	p->fp_saved = 1;
	c->fp_saved = 0;
	vm->fp_owner = c;
	return 0;
}

/*
 * gk_task_fp_load - make p's FPU state the one p's vmspace holds: the
 * previous owner's goes into its buffer, p's comes out of its own.
 * Returns 0, or -ENOMEM if the previous owner has no buffer (a task that
 * shares its vm always has one, see gk_task_fp_share).
 */
int
gk_task_fp_load(struct gk_proc *p)
{
	struct gk_vm *vm = p->vm;
	struct gk_proc *o = vm->fp_owner;

	if (o == p)
		return 0;
	if (o) {
		if (!fp_buf(o))
			return -ENOMEM;
		if (uvk_vmspace_get_fpstate(vm->vms, o->fp) < 0)
			o->fp->len = 0;
		o->fp_saved = 1;
	}
	if (p->fp_saved && p->fp && p->fp->len)
		uvk_vmspace_set_fpstate(vm->vms, p->fp);
	p->fp_saved = 0;
	vm->fp_owner = p;
	return 0;
}

/*
 * gk_task_vm_set - p leaves its vm (exit, exec) for vm (NULL: none), which
 * p's reference moves into. The state the old vmspace holds for p is
 * lost with it; a new vm's holds p's from the start. Not for joining a
 * shared vm: that is gk_vm_ref() and gk_task_fp_share().
 */
void
gk_task_vm_set(struct gk_proc *p, struct gk_vm *vm)
{
	struct gk_vm *old = p->vm;

	if (old && old->fp_owner == p)
		old->fp_owner = NULL;
	p->vm = vm;
	p->fp_saved = 0;
	if (vm && !vm->fp_owner)
		vm->fp_owner = p;
	if (!vm || vm->refs == 1) {
		/* Alone in its vmspace (a vfork child that exec'd): no buffer needed. */
		free(p->fp);
		p->fp = NULL;
	}
	gk_vm_free(old);
}
