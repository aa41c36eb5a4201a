/*
 * cow.c - copy-on-write: forking an address space, breaking a shared page.
 *
 * Layer src/guestkernel, beside vm.c. A fork copies the VMAs and the page
 * table, not the memory: every valid leaf of the parent is entered in the
 * child's table with the same frame, both copies lose W and gain the COW
 * mark, and the frame's reference count goes up by one:
 *
 *   before   parent  frame|V|U|W|...
 *   after    parent  frame|V|U|SW0|...      child  frame|V|U|SW0|...
 *            ref[frame] += 1
 *
 * The parent's writable ranges are invalidated so that its host mappings
 * drop to the table's new read-only view. A write fault on a COW leaf
 * (gk_vm_cow_fault) copies the frame to a new one, or, when this is its last
 * mapping, just takes W back. A read or exec fault only fixes the other
 * permission bits. mprotect keeps W off a COW leaf (vm.c, reprot_leaf).
 *
 * Must not: decode syscall arguments, print, or exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gk.h"

#define PERM_BITS (UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX)

struct fork_ctx {
	struct gk_vm *parent, *child;
	int err;
};

static int
fork_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct fork_ctx *c = ctx;
	uint64_t v = *pte;
	int err;

	if (!(v & UVK_PTE_V))
		return 0;
	v = (v & ~(UVK_PTE_W | UVK_PTE_M | UVK_PTE_A)) | UVK_PTE_SW0;
	err = uvk_vpt_enter(c->parent->k->vmem, c->child->root, gva, v, gk_vm_table_alloc,
			    c->child, NULL);
	if (err < 0) {
		c->err = err;
		return 1;
	}
	*pte = v;
	gk_page_ref(&c->parent->k->pa, v & UVK_PTE_FRAME);
	c->child->pages++;
	return 0;
}

/*
 * gk_vm_fork - a copy-on-write copy of parent in a new vmspace. Returns the
 * child, or NULL with errno set (ENOMEM, or what uvk_vmspace_create said).
 * On failure the parent is intact (some of its pages may be marked COW, which
 * costs one fault each later and nothing else).
 */
struct gk_vm *
gk_vm_fork(struct gk_vm *parent)
{
	struct gk_vm *vm = gk_vm_new(parent->k);
	struct fork_ctx c = {parent, vm, 0};
	int i;

	if (!vm)
		return NULL;
	vm->vma = malloc((size_t)(parent->cap ? parent->cap : 1) * sizeof(*vm->vma));
	if (!vm->vma) {
		gk_vm_free(vm);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(vm->vma, parent->vma, (size_t)parent->nvma * sizeof(*vm->vma));
	vm->nvma = parent->nvma;
	vm->cap = parent->cap ? parent->cap : 1;
	for (i = 0; i < vm->nvma; i++)
		if (vm->vma[i].file)
			vm->vma[i].file->refs++;
	vm->brk_start = parent->brk_start;
	vm->brk = parent->brk;
	vm->mmap_top = parent->mmap_top;
	vm->stack_top = parent->stack_top;
	vm->stack_max = parent->stack_max;
	for (i = 0; i < parent->nvma && !c.err; i++)
		uvk_vpt_foreach(parent->k->vmem, parent->root, parent->vma[i].start,
				parent->vma[i].end, fork_leaf, &c);
	for (i = 0; i < parent->nvma; i++)
		if (parent->vma[i].prot & PROT_WRITE)
			uvk_vmspace_invalidate(parent->vms, parent->vma[i].start,
					       parent->vma[i].end - parent->vma[i].start);
	if (c.err) {
		gk_vm_free(vm);
		errno = -c.err == ENOMEM ? ENOMEM : EFAULT;
		return NULL;
	}
	return vm;
}

/*
 * gk_vm_cow_fault - a fault on the COW leaf pte of page, whose VMA wants
 * the permission bits bits. Returns 0 (resolved) or -ENOMEM.
 */
int
gk_vm_cow_fault(struct gk_vm *vm, uint64_t page, uint64_t pte, uint64_t bits, unsigned access)
{
	const struct uvk_vpt_mem *mem = vm->k->vmem;
	uint64_t frame = pte & UVK_PTE_FRAME, nf;
	int err;

	if (!(access & UVK_ACCESS_WRITE) || !(bits & UVK_PTE_W)) {
		/* Reads share the frame: everything as the VMA says, except W. */
		bits &= ~UVK_PTE_W;
		if ((pte & PERM_BITS) != bits) {
			uvk_vpt_update(mem, vm->root, page, bits, PERM_BITS & ~bits, NULL);
			uvk_vmspace_invalidate(vm->vms, page, GK_PAGE);
		}
		return 0;
	}
	if (vm->k->pa.ref[frame / GK_PAGE] == 1) {
		/* The other sharers are gone: the frame is ours again. */
		uvk_vpt_update(mem, vm->root, page, bits, (PERM_BITS & ~bits) | UVK_PTE_SW0, NULL);
		uvk_vmspace_invalidate(vm->vms, page, GK_PAGE);
		return 0;
	}
	if (gk_palloc_run(&vm->k->pa, 1, &nf) < 0) {
		vm->k->st.oom++;
		return -ENOMEM;
	}
	memcpy(vm->k->ram + nf, vm->k->ram + frame, GK_PAGE);
	err = uvk_vpt_enter(mem, vm->root, page, nf | bits, gk_vm_table_alloc, vm, NULL);
	if (err < 0) {
		gk_palloc_free(&vm->k->pa, nf, 1);
		return err;
	}
	gk_page_unref(&vm->k->pa, frame);
	vm->k->st.fault_pages++;
	uvk_vmspace_invalidate(vm->vms, page, GK_PAGE);
	return 0;
}
