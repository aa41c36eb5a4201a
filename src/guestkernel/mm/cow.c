/*
 * cow.c - copy-on-write: forking an address space, breaking a shared page.
 *
 * Layer src/guestkernel/mm, beside vm.c (the address space) and vma.c. A fork copies the VMAs and the page
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
 * permission bits. mprotect keeps W off a COW leaf (vma.c, reprot_leaf).
 *
 * Must not: decode syscall arguments, print, or exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm_internal.h"

struct fork_ctx {
	struct gk_vm *parent, *child;
	int shared; /* the VMA being copied is MAP_SHARED: frames are shared, not COW */
	int err;
	uint64_t bad_gva, bad_pte; /* the parent's corrupt entry, if bad_pte */
};

static int
fork_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct fork_ctx *c = ctx;
	struct gk_palloc *pa = c->parent->k->pa;
	uint64_t o = __atomic_load_n(pte, __ATOMIC_ACQUIRE), v;
	int err;

	if (!(o & UVK_PTE_V))
		return 0;
	v = o;
	if (!c->shared)
		v = (v & ~(UVK_PTE_W | UVK_PTE_M | UVK_PTE_A)) | UVK_PTE_SW0;
	/* The reference first: palloc judges the frame number (guest RAM) before anything uses it. */
	err = gk_page_ref(pa, v & UVK_PTE_FRAME);
	if (err == -EFAULT) {
		c->bad_gva = gva;
		c->bad_pte = v;
	}
	if (err == 0)
		err = gk_vm_enter(c->child, gva, v);
	if (err < 0) {
		if (!c->bad_pte && err != -EAGAIN)
			gk_page_drop(pa, v & UVK_PTE_FRAME);
		c->err = err;
		return 1;
	}
	/*
	 * Atomically, as a sibling vCPU's walk may set A or M on the parent's
	 * entry meanwhile; a shared entry keeps whatever it has. Until the
	 * parent's invalidation below, a sibling thread may still write the
	 * frame through its old host mapping: such a store lands before the
	 * fork as far as the child can tell, as on Linux before its TLB flush.
	 */
	if (!c->shared) {
		__atomic_fetch_and(pte, ~(UVK_PTE_W | UVK_PTE_M | UVK_PTE_A), __ATOMIC_ACQ_REL);
		__atomic_fetch_or(pte, UVK_PTE_SW0, __ATOMIC_ACQ_REL);
	}
	c->child->pages++;
	return 0;
}

/*
 * Give every page of a shared anonymous VMA a frame now, so that parent and
 * child share all of them: a page first touched after the fork would
 * otherwise get a frame of its own on each side. Returns 0 or -ENOMEM.
 */
static int
populate_shared(struct gk_vm *vm, const struct gk_vma *v)
{
	uint64_t g;
	int err;

	if (v->prot == PROT_NONE)
		return 0; /* no access to fault with; such pages are not shared (a known gap) */
	for (g = v->start; g < v->end; g += GK_PAGE) {
		if (uvk_vpt_lookup(vm->k->vmem, vm->root, g, NULL, NULL) == 0)
			continue;
		err = gk_vm_fault(vm, g, 0);
		if (err < 0)
			return err == -ENOMEM ? -ENOMEM : -EFAULT;
	}
	return 0;
}

/*
 * gk_vm_fork - a copy-on-write copy of parent in a new vmspace. MAP_SHARED
 * memory is not copied but shared: the child's entries name the parent's
 * frames, writable, and anonymous shared memory is populated first (see
 * populate_shared). Returns the child, or NULL with errno set (ENOMEM,
 * EAGAIN, or what uvk_vmspace_create said).
 * On failure the parent is intact (some of its pages may be marked COW, which
 * costs one fault each later and nothing else).
 */
struct gk_vm *
gk_vm_fork(struct gk_vm *parent)
{
	struct gk_vm *vm = gk_vm_new(parent->k);
	struct fork_ctx c = {.parent = parent, .child = vm};
	int i;

	if (!vm)
		return NULL;
	/* The child's VMA array is tracer heap like the parent's: charged the same. */
	if (gk_kmem_charge(vm->k, (size_t)(parent->cap ? parent->cap : 1) * sizeof(*vm->vma)) < 0) {
		gk_vm_free(vm);
		errno = ENOMEM;
		return NULL;
	}
	vm->cap = parent->cap ? parent->cap : 1;
	vm->vma = malloc((size_t)vm->cap * sizeof(*vm->vma));
	if (!vm->vma) {
		gk_vm_free(vm);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(vm->vma, parent->vma, (size_t)parent->nvma * sizeof(*vm->vma));
	vm->nvma = parent->nvma;
	for (i = 0; i < vm->nvma; i++)
		if (vm->vma[i].file)
			vm->vma[i].file->refs++;
	vm->brk_start = parent->brk_start;
	vm->brk = parent->brk;
	vm->mmap_top = parent->mmap_top;
	vm->stack_top = parent->stack_top;
	vm->stack_max = parent->stack_max;
	vm->max_map_count = parent->max_map_count;
	for (i = 0; i < parent->nvma && !c.err; i++) {
		const struct gk_vma *v = &parent->vma[i];

		c.shared = (v->flags & GK_VMA_SHARED) != 0;
		if (c.shared && !(v->flags & GK_VMA_FILE))
			c.err = populate_shared(parent, v);
		if (!c.err &&
		    uvk_vpt_foreach(parent->k->vmem, parent->root, v->start, v->end, fork_leaf,
				    &c) < 0 &&
		    !c.err)
			c.err = -EFAULT;
	}
	for (i = 0; i < parent->nvma; i++)
		if ((parent->vma[i].prot & PROT_WRITE) && !(parent->vma[i].flags & GK_VMA_SHARED))
			gk_vm_invalidate(parent, parent->vma[i].start, parent->vma[i].end);
	if (c.err) {
		if (c.err == -EFAULT)
			gk_vm_corrupt(parent, c.bad_gva, c.bad_pte);
		gk_vm_free(vm);
		errno = c.err == -ENOMEM ? ENOMEM : c.err == -EAGAIN ? EAGAIN : EFAULT;
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
	unsigned refs = gk_page_refs(vm->k->pa, frame);
	int err;

	/* The entry is guest RAM: a frame not in use (refs 0) is corruption. */
	if (!refs || !gk_leaf_frame_ok(vm->k->pa, frame)) {
		gk_vm_corrupt(vm, page, pte);
		return -EFAULT;
	}
	if (!(access & UVK_ACCESS_WRITE) || !(bits & UVK_PTE_W)) {
		/* Reads share the frame: everything as the VMA says, except W. */
		bits &= ~UVK_PTE_W;
		if ((pte & GK_PTE_PERM) != bits) {
			uvk_vpt_update(mem, vm->root, page, bits, GK_PTE_PERM & ~bits, NULL);
			gk_vm_invalidate(vm, page, page + GK_PAGE);
		}
		return 0;
	}
	if (refs == 1) {
		/* The other sharers are gone: the frame is ours again. */
		uvk_vpt_update(mem, vm->root, page, bits, (GK_PTE_PERM & ~bits) | UVK_PTE_SW0, NULL);
		gk_vm_invalidate(vm, page, page + GK_PAGE);
		return 0;
	}
	if (gk_palloc_run(vm->k->pa, 1, &nf) < 0) {
		vm->k->st.oom++;
		return -ENOMEM;
	}
	memcpy(vm->k->ram + nf, vm->k->ram + frame, GK_PAGE);
	/*
	 * Clear, invalidate, then enter the copy: a new frame must never be
	 * visible in the entry while the host still maps the old one there. A
	 * sibling thread's fault shortcut on another vCPU would find the entry
	 * writable and upgrade the old mapping in place (a write fault on a
	 * mapped page only changes its protection), and its stores would land
	 * in the frame the other sharers keep.
	 */
	uvk_vpt_remove(mem, vm->root, page, NULL);
	gk_vm_invalidate(vm, page, page + GK_PAGE);
	err = gk_vm_enter(vm, page, nf | bits);
	if (err < 0) {
		/* The leaf table is there: putting the old entry back cannot fail. */
		gk_vm_enter(vm, page, pte);
		gk_palloc_free(vm->k->pa, nf, 1);
		return err;
	}
	gk_page_unref(vm->k->pa, frame);
	vm->k->st.fault_pages++;
	return 0;
}
