/*
 * vm.c - guest address spaces as objects: their page table and vmspace,
 * making and freeing them, entering and dropping pages.
 *
 * Layer src/guestkernel/mm, under vma.c (the VMAs: mmap, munmap, mprotect,
 * mremap), fault.c (page faults) and cow.c (fork). Each address space has
 * its own page table in pmem (edited with uvk_vpt_*) and its own vmspace
 * (none for an unbound one, gk_vm_new_unbound); after changing or removing
 * an entry that may be mapped, the range is invalidated
 * (gk_vm_invalidate), once per VMA touched. A PTE's permission comes from
 * its VMA (gk_pte_bits):
 *
 *   PROT_NONE      V            (no U: the frame stays, every access traps)
 *   otherwise      V|U, W if PROT_WRITE, NX unless PROT_EXEC
 *
 * A writable VMA gets W at once, even on a read fault: the library maps
 * the page read-only until the first write sets M. A frame shared after a
 * fork has W withheld and the UVK_PTE_SW0 mark: cow.c handles its faults.
 *
 * Must not: decode syscall arguments (sys_mm.c does), print, or exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm_internal.h"

#define GK_MMAP_TOP  0x7f0000000000ULL
#define GK_STACK_TOP 0x7ffffffde000ULL

/* gk_vm_table_alloc - the uvk_vpt_alloc_fn for vm's tables (ctx is the gk_vm). */
int
gk_vm_table_alloc(void *ctx, uint64_t *ret_gpa)
{
	struct gk_vm *vm = ctx;
	long n = gk_palloc_run(vm->k->pa, 1, ret_gpa);

	if (n < 0)
		return (int)n;
	gk_frame_set_table(vm->k->pa, *ret_gpa, true);
	return 0;
}

/*
 * The uvk_vpt_free_fn of gk_vm_free. Only a page this kernel allocated as a
 * table goes back: a table entry that named anything else (a data frame
 * someone still maps) would be corruption, and that frame stays allocated
 * rather than be handed out twice.
 */
static void
table_free(void *ctx, uint64_t gpa)
{
	struct gk_vm *vm = ctx;

	GK_DEBUG_CHECK(gk_frame_is_table(vm->k->pa, gpa), "freeing %#llx as a table",
		       (unsigned long long)gpa);
	if (gk_frame_is_table(vm->k->pa, gpa))
		gk_palloc_free(vm->k->pa, gpa, 1);
}

/*
 * gk_vm_corrupt - vm's page table holds what this kernel never wrote there
 * (a frame outside RAM or not in use, a table page as a leaf, a garbage
 * table): guest RAM was corrupted. Nothing read from such an entry is used;
 * the process (every one using vm) dies with its host process, which takes
 * every host mapping of vm along, and the next run reports it killed.
 */
void
gk_vm_corrupt(struct gk_vm *vm, uint64_t gva, uint64_t pte)
{
	GK_DEBUG_CHECK(0, "corrupt page-table entry %#llx at %#llx", (unsigned long long)pte,
		       (unsigned long long)gva);
	vm->k->st.corrupt++;
	if (vm->vms)
		uvk_vmspace_kill(vm->vms);
}

/*
 * gk_vm_invalidate - drop the host mappings of [start, end) of vm. Returns 0
 * once they are gone or queued to go before the process runs again (or its
 * host process is dead, taking them along). An invalidation the library
 * refuses cannot be left undone, since the frames behind it are about to
 * be reused: the host process is killed instead, and the error returned.
 */
int
gk_vm_invalidate(struct gk_vm *vm, uint64_t start, uint64_t end)
{
	int rc;

	if (!vm->vms || end <= start)
		return 0;
	GK_DEBUG_CHECK(!((start | end) & (GK_PAGE - 1)) && end <= UVK_VA_MAX &&
			   !(start < UVK_STUB_BASE + UVK_STUB_SIZE && end > UVK_STUB_BASE),
		       "invalidating [%#llx, %#llx)", (unsigned long long)start,
		       (unsigned long long)end);
	rc = uvk_vmspace_invalidate(vm->vms, start, end - start);
	if (rc == 0 || rc == -ESRCH)
		return 0;
	GK_DEBUG_CHECK(0, "invalidate [%#llx, %#llx): %d", (unsigned long long)start,
		       (unsigned long long)end, rc);
	uvk_vmspace_kill(vm->vms);
	return rc;
}

/*
 * gk_vm_enter - map page gva to the leaf pte in vm's table (tables from
 * palloc). Returns what uvk_vpt_enter does. The frame is one this kernel
 * allocated for data: never a page table (a process that could reach its
 * own tables could map anything), which the debug build asserts.
 */
int
gk_vm_enter(struct gk_vm *vm, uint64_t gva, uint64_t pte)
{
	GK_DEBUG_CHECK(gk_leaf_frame_ok(vm->k->pa, pte & UVK_PTE_FRAME),
		       "leaf %#llx at %#llx maps no data frame", (unsigned long long)pte,
		       (unsigned long long)gva);
	GK_DEBUG_CHECK(!(gva < UVK_STUB_BASE + UVK_STUB_SIZE && gva + GK_PAGE > UVK_STUB_BASE),
		       "leaf at %#llx in the stub", (unsigned long long)gva);
	if (!gk_leaf_frame_ok(vm->k->pa, pte & UVK_PTE_FRAME))
		return -EFAULT;
	return uvk_vpt_enter(vm->k->vmem, vm->root, gva, pte, gk_vm_table_alloc, vm, NULL);
}

/*
 * gk_vm_new_unbound - an empty address space with its own page table but
 * no host process (vms NULL): nothing of it ever runs, so there is no host
 * mapping to invalidate or prefault, and those steps are skipped. The
 * mechanism's unit tests (tests/unit/kctx) work on such a vm; gk_vm_new
 * builds on it. Returns NULL with errno ENOMEM.
 */
struct gk_vm *
gk_vm_new_unbound(struct gk_kernel *k)
{
	struct gk_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->refs = 1;
	vm->k = k;
	if (gk_vm_table_alloc(vm, &vm->root) < 0) {
		free(vm);
		errno = ENOMEM;
		return NULL;
	}
	vm->mmap_top = GK_MMAP_TOP;
	vm->stack_top = GK_STACK_TOP;
	vm->stack_max = 8ULL << 20;
	vm->max_map_count = GK_MAX_MAP_COUNT;
	return vm;
}

/*
 * gk_vm_new - an empty address space with its own table and vmspace child.
 * Returns NULL with errno set (ENOMEM, or what uvk_vmspace_create said).
 */
struct gk_vm *
gk_vm_new(struct gk_kernel *k)
{
	struct gk_vm *vm = gk_vm_new_unbound(k);
	int err;

	if (!vm)
		return NULL;
	vm->vms = uvk_vmspace_create(k->pm, 0);
	if (!vm->vms) {
		err = errno;
		gk_vm_free(vm);
		errno = err;
		return NULL;
	}
	err = uvk_vmspace_set_root(vm->vms, vm->root);
	if (err < 0) {
		gk_vm_free(vm);
		errno = -err;
		return NULL;
	}
	return vm;
}

/*
 * Frames whose last mapping goes are freed in physically contiguous runs:
 * a large run goes back to the host (palloc discards it), as a munmap on
 * Linux gives memory back.
 *
 * With several vCPUs a sibling thread's fault shortcut may walk the table
 * while we change it (under the vmspace's lock, not the kernel's). So the
 * order is Linux's: clear the entries (atomically: the walker sets A and M
 * by compare-and-exchange), then invalidate, which waits for any walk that
 * read an old entry to finish mapping and then removes that mapping, and
 * only then let the frames go. Dropping a frame first would leave a host
 * mapping of a frame that is free, or another process's.
 */
#define DROP_BATCH 128

struct drop {
	struct gk_vm *vm;
	uint64_t lo;			/* the range whose entries are cleared and not yet invalidated */
	uint64_t frame[DROP_BATCH];	/* their frames, to drop after the invalidation (1 KiB) */
	unsigned nframe;
	uint64_t gpa, n;		/* the run of freed frames being gathered */
	uint64_t bad_gva, bad_pte;	/* a corrupt entry met, if bad_pte */
};

static void
drop_flush_run(struct drop *d)
{
	if (d->n)
		gk_palloc_free(d->vm->k->pa, d->gpa, d->n);
	d->n = 0;
}

/* Invalidate [d->lo, hi), then drop the frames cleared in it. */
static void
drop_release(struct drop *d, uint64_t hi)
{
	unsigned i;
	int rc;

	if (!d->nframe)
		return;
	gk_vm_invalidate(d->vm, d->lo, hi);
	for (i = 0; i < d->nframe; i++) {
		uint64_t f = d->frame[i];

		rc = gk_page_drop(d->vm->k->pa, f);
		if (rc < 0) {
			/* Not a frame in use: corruption, noted once; the entry is gone already. */
			if (!d->bad_pte) {
				d->bad_gva = d->lo;
				d->bad_pte = f | UVK_PTE_V;
			}
			continue;
		}
		d->vm->pages--;
		if (rc == 1) {
			if (d->n && f != d->gpa + d->n * GK_PAGE)
				drop_flush_run(d);
			if (!d->n)
				d->gpa = f;
			d->n++;
		}
	}
	d->nframe = 0;
	d->lo = hi;
}

static int
drop_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct drop *d = ctx;
	uint64_t old = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);

	if (!(old & UVK_PTE_V))
		return 0;
	if (d->nframe == DROP_BATCH)
		drop_release(d, gva);
	d->frame[d->nframe++] = old & UVK_PTE_FRAME;
	return 0;
}

/*
 * gk_vm_drop_pages - clear the entries of [start, end), invalidate the
 * range and free the frames (see above). A corrupt entry or table kills
 * the process.
 */
void
gk_vm_drop_pages(struct gk_vm *vm, uint64_t start, uint64_t end)
{
	struct drop d = {.vm = vm, .lo = start};
	int rc;

	rc = uvk_vpt_foreach(vm->k->vmem, vm->root, start, end, drop_leaf, &d);
	drop_release(&d, end);
	drop_flush_run(&d);
	if (d.bad_pte)
		gk_vm_corrupt(vm, d.bad_gva, d.bad_pte);
	else if (rc < 0)
		gk_vm_corrupt(vm, start, 0);
}

/* gk_vm_ref - one more process uses vm (CLONE_VM). */
struct gk_vm *
gk_vm_ref(struct gk_vm *vm)
{
	vm->refs++;
	return vm;
}

/*
 * gk_vm_free - drop a use of vm; the last one releases every frame, table
 * and the vmspace. NULL is fine.
 */
void
gk_vm_free(struct gk_vm *vm)
{
	int i;

	if (!vm || --vm->refs > 0)
		return;
	if (vm->vms) {
		struct uvk_stats s;
		uint64_t *dst = (uint64_t *)&vm->k->lib, *src = (uint64_t *)&s;
		size_t j;

		/* Every field is a uint64_t counter: add them up for --stats. */
		uvk_vmspace_stats(vm->vms, &s);
		for (j = 0; j < sizeof(s) / sizeof(uint64_t); j++)
			dst[j] += src[j];
	}
	/* The host process goes first, and every mapping of our frames with it. */
	uvk_vmspace_free(vm->vms);
	vm->vms = NULL;
	for (i = 0; i < vm->nvma; i++) {
		gk_vm_drop_pages(vm, vm->vma[i].start, vm->vma[i].end);
		gk_mapfile_unref(vm->vma[i].file);
	}
	uvk_vpt_destroy(vm->k->vmem, vm->root, table_free, vm);
	gk_kmem_uncharge(vm->k, (size_t)vm->cap * sizeof(*vm->vma));
	free(vm->vma);
	free(vm);
}

/*
 * gk_pte_bits - the leaf bits a VMA's protection gives its pages (the table
 * at the top of vm.c).
 */
uint64_t
gk_pte_bits(unsigned prot)
{
	uint64_t bits = UVK_PTE_V;

	if (prot == PROT_NONE)
		return bits;
	bits |= UVK_PTE_U;
	if (prot & PROT_WRITE)
		bits |= UVK_PTE_W;
	if (!(prot & PROT_EXEC))
		bits |= UVK_PTE_NX;
	return bits;
}
