/*
 * vm.c - guest address spaces: VMAs, the guest page table, page faults.
 *
 * Layer src/guestkernel/mm, the mechanism under sys_mm.c and exec.c. Each
 * address space has its own page table in pmem (edited with uvk_vpt_*) and
 * its own vmspace; after changing or removing an entry that may be mapped
 * we call uvk_vmspace_invalidate() for the range, once per VMA touched.
 *
 * Pages are populated lazily, in aligned 64 KiB windows clipped to the VMA,
 * from physically contiguous runs, so that the library's fault-around and
 * the host's VMA merging both work. A PTE's permission comes from its VMA:
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

#include "mm.h"

#define FAULT_WINDOW (16 * GK_PAGE)
/*
 * Anonymous memory is filled a larger window at a time and mapped in the
 * host at once: zero pages cost no I/O, and each window is one guest-kernel
 * round trip instead of four.
 */
#define ANON_WINDOW (64 * GK_PAGE)
#define GK_MMAP_TOP  0x7f0000000000ULL
#define GK_STACK_TOP 0x7ffffffde000ULL
#define GK_VA_MIN    0x10000ULL
/*
 * One past the highest user address the host can map (its TASK_SIZE_MAX):
 * the page below UVK_VA_MAX is not the guest's either, as on Linux.
 */
#define GK_VA_TOP 0x7ffffffff000ULL
/* Linux's stack_guard_gap: a stack keeps this far above the mapping below it. */
#define STACK_GUARD_GAP (256 * GK_PAGE)

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
 */
struct drop {
	struct gk_vm *vm;
	uint64_t gpa, n; /* the run being gathered */
	uint64_t bad_gva, bad_pte; /* a corrupt entry met, if bad_pte */
};

static void
drop_flush(struct drop *d)
{
	if (d->n)
		gk_palloc_free(d->vm->k->pa, d->gpa, d->n);
	d->n = 0;
}

static int
drop_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct drop *d = ctx;
	uint64_t f = *pte & UVK_PTE_FRAME;
	int rc;

	if (*pte & UVK_PTE_V) {
		/* The frame number is guest RAM: palloc checks it before it indexes. */
		rc = gk_page_drop(d->vm->k->pa, f);
		if (rc < 0) {
			d->bad_gva = gva;
			d->bad_pte = *pte;
		} else {
			d->vm->pages--;
		}
		if (rc == 1) {
			if (d->n && f != d->gpa + d->n * GK_PAGE)
				drop_flush(d);
			if (!d->n)
				d->gpa = f;
			d->n++;
		}
	}
	*pte = 0;
	return 0;
}

/*
 * Free the frames of [start, end) and clear their entries. The caller has
 * invalidated the range first (gk_vm_invalidate), so no host mapping of a
 * frame outlives it; a corrupt entry or table kills the process.
 */
static void
drop_pages(struct gk_vm *vm, uint64_t start, uint64_t end)
{
	struct drop d = {.vm = vm};
	int rc;

	rc = uvk_vpt_foreach(vm->k->vmem, vm->root, start, end, drop_leaf, &d);
	drop_flush(&d);
	if (d.bad_pte)
		gk_vm_corrupt(vm, d.bad_gva, d.bad_pte);
	else if (rc < 0)
		gk_vm_corrupt(vm, start, 0);
}

static int
invalidate(struct gk_vm *vm, uint64_t start, uint64_t end)
{
	return gk_vm_invalidate(vm, start, end);
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
		drop_pages(vm, vm->vma[i].start, vm->vma[i].end);
		gk_mapfile_unref(vm->vma[i].file);
	}
	uvk_vpt_destroy(vm->k->vmem, vm->root, table_free, vm);
	gk_kmem_uncharge(vm->k, (size_t)vm->cap * sizeof(*vm->vma));
	free(vm->vma);
	free(vm);
}

/* Index of the first VMA with end > gva (nvma if none). */
static int
vma_index(struct gk_vm *vm, uint64_t gva)
{
	int lo = 0, hi = vm->nvma;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (vm->vma[mid].end <= gva)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct gk_vma *
gk_vma_find(struct gk_vm *vm, uint64_t gva)
{
	int i = vma_index(vm, gva);

	if (i < vm->nvma && vm->vma[i].start <= gva)
		return &vm->vma[i];
	return NULL;
}

/*
 * Insert v at index i. Linux counts a process's mappings against
 * vm.max_map_count, with ENOMEM: a new mapping is refused only once the
 * count is past it (mm/mmap.c), a split is checked by its caller
 * (vma_split, gk_vm_unmap), which may take the count one past it. The
 * array lives in the tracer's heap, so its growth is charged to the
 * kernel-heap budget as well (ENOMEM past it).
 */
static int
vma_insert_at(struct gk_vm *vm, int i, const struct gk_vma *v, int split)
{
	if (!split && vm->nvma > GK_MAX_MAP_COUNT)
		return -ENOMEM;
	if (vm->nvma == vm->cap) {
		int cap = vm->cap ? vm->cap * 2 : 32;
		struct gk_vma *n;

		if (gk_kmem_charge(vm->k, (size_t)(cap - vm->cap) * sizeof(*n)) < 0)
			return -ENOMEM;
		n = realloc(vm->vma, cap * sizeof(*n));
		if (!n) {
			gk_kmem_uncharge(vm->k, (size_t)(cap - vm->cap) * sizeof(*n));
			return -ENOMEM;
		}
		vm->vma = n;
		vm->cap = cap;
	}
	memmove(&vm->vma[i + 1], &vm->vma[i], (vm->nvma - i) * sizeof(*v));
	vm->vma[i] = *v;
	vm->nvma++;
	return 0;
}

static void
vma_remove_at(struct gk_vm *vm, int i)
{
	memmove(&vm->vma[i], &vm->vma[i + 1], (vm->nvma - i - 1) * sizeof(vm->vma[0]));
	vm->nvma--;
}

/*
 * Split the VMA that strictly contains gva in two at gva. checked: refuse
 * (ENOMEM) when the count is at vm.max_map_count already, as Linux's
 * split_vma does for mprotect; munmap checks on its own (gk_vm_unmap).
 */
static int
vma_split(struct gk_vm *vm, uint64_t gva, int checked)
{
	int i = vma_index(vm, gva);
	struct gk_vma hi;

	if (i >= vm->nvma || vm->vma[i].start >= gva)
		return 0;
	if (checked && vm->nvma >= GK_MAX_MAP_COUNT)
		return -ENOMEM;
	hi = vm->vma[i];
	hi.start = gva;
	hi.foff += gva - vm->vma[i].start;
	if (hi.file)
		hi.file->refs++;
	if (vma_insert_at(vm, i + 1, &hi, 1) < 0) {
		gk_mapfile_unref(hi.file);
		return -ENOMEM;
	}
	vm->vma[i].end = gva;
	return 0;
}

/*
 * a and b (a just below b) can be one VMA, as Linux's vma_merge decides:
 * same permissions and flags, and for a file the same file with b's offset
 * continuing a's. a must read the file all the way to its end (fend, the
 * bss of an ELF segment, not inside a): the merged VMA keeps b's fend.
 */
static int
vma_mergeable(const struct gk_vma *a, const struct gk_vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->file != b->file)
		return 0;
	if (!a->file)
		return 1;
	return b->foff == a->foff + (a->end - a->start) && a->fend >= a->end &&
	       b->fend >= b->start;
}

/* Make vma i and i+1 one; the upper one's reference to the file goes. */
static void
vma_join(struct gk_vm *vm, int i)
{
	struct gk_mapfile *file = vm->vma[i + 1].file;

	vm->vma[i].end = vm->vma[i + 1].end;
	vm->vma[i].fend = vm->vma[i + 1].fend;
	vma_remove_at(vm, i + 1);
	gk_mapfile_unref(file);
}

/* Merge vma i with its neighbours where vma_mergeable allows. */
static void
vma_merge(struct gk_vm *vm, int i)
{
	if (i + 1 < vm->nvma && vma_mergeable(&vm->vma[i], &vm->vma[i + 1]))
		vma_join(vm, i);
	if (i > 0 && vma_mergeable(&vm->vma[i - 1], &vm->vma[i]))
		vma_join(vm, i - 1);
}

static int
overlaps_stub(uint64_t start, uint64_t end)
{
	return start < UVK_STUB_BASE + UVK_STUB_SIZE && end > UVK_STUB_BASE;
}

/*
 * vm_check - the debug build's check of the VMA list after every change:
 * sorted, disjoint, page aligned, inside [GK_VA_MIN, GK_VA_TOP), never over
 * the stub (whose host mappings no invalidation may touch).
 */
static void
vm_check(const struct gk_vm *vm)
{
#ifdef UVK_DEBUG_CHECKS
	uint64_t prev_end = GK_VA_MIN;
	int i;

	for (i = 0; i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];

		GK_DEBUG_CHECK(v->start >= prev_end && v->start < v->end && v->end <= GK_VA_TOP &&
				   !((v->start | v->end) & (GK_PAGE - 1)) &&
				   !overlaps_stub(v->start, v->end),
			       "VMA %d [%#llx, %#llx) after %#llx", i, (unsigned long long)v->start,
			       (unsigned long long)v->end, (unsigned long long)prev_end);
		prev_end = v->end;
	}
#else
	(void)vm;
#endif
}

/*
 * gk_vm_unmap - remove every mapping in [start, start+len). Returns 0, or
 * -ENOMEM if the range is a hole inside one VMA and the count is at
 * vm.max_map_count, or a VMA could not be split (the tracer is out of
 * memory).
 */
int
gk_vm_unmap(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	int i = vma_index(vm, start);

	/*
	 * A hole in one VMA adds one: refused at vm.max_map_count, as Linux
	 * does; trimming a head or a tail is not (its count stays).
	 */
	if (i < vm->nvma && vm->vma[i].start < start && vm->vma[i].end > end &&
	    vm->nvma >= GK_MAX_MAP_COUNT)
		return -ENOMEM;
	if (vma_split(vm, start, 0) < 0 || vma_split(vm, end, 0) < 0)
		return -ENOMEM;
	i = vma_index(vm, start);
	while (i < vm->nvma && vm->vma[i].start < end) {
		struct gk_vma *v = &vm->vma[i];

		invalidate(vm, v->start, v->end);
		drop_pages(vm, v->start, v->end);
		gk_mapfile_unref(v->file);
		vma_remove_at(vm, i);
	}
	vm_check(vm);
	return 0;
}

/*
 * gk_vm_map - make [start, start+len) a new VMA, replacing whatever was
 * there (MAP_FIXED semantics). file (may be NULL) gets a new reference.
 * Returns 0, -ENOMEM for a range over the stub or beyond user space.
 */
int
gk_vm_map(struct gk_vm *vm, uint64_t start, uint64_t len, unsigned prot, unsigned flags,
	  struct gk_mapfile *file, uint64_t foff, uint64_t fend)
{
	struct gk_vma v = {
	    .start = start,
	    .end = start + len,
	    .prot = prot,
	    .flags = flags,
	    .file = file,
	    .foff = foff,
	    .fend = fend,
	};
	int i, err;

	if (start < GK_VA_MIN || start + len > GK_VA_TOP || start + len < start || len == 0 ||
	    overlaps_stub(start, start + len))
		return -ENOMEM;
	if (vm->nvma > GK_MAX_MAP_COUNT)
		return -ENOMEM;
	err = gk_vm_unmap(vm, start, len);
	if (err < 0)
		return err;
	i = vma_index(vm, start);
	err = vma_insert_at(vm, i, &v, 0);
	if (err < 0)
		return err;
	if (file)
		file->refs++;
	vma_merge(vm, i);
	vm_check(vm);
	return 0;
}

static uint64_t
pte_bits(unsigned prot)
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

#define PERM_BITS (UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX)

struct reprot {
	struct gk_vm *vm;
	uint64_t bits;
	int changed;
};

static int
reprot_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct reprot *r = ctx;
	uint64_t n = (*pte & ~PERM_BITS) | r->bits;

	/* A copy-on-write leaf gets W back only from its write fault (cow.c). */
	if (n & UVK_PTE_SW0)
		n &= ~UVK_PTE_W;

	if (n != *pte) {
		*pte = n;
		r->changed = 1;
	}
	return 0;
}

/*
 * gk_vm_protect - set prot on [start, start+len). Returns 0, -ENOMEM if part
 * of the range is not mapped (as Linux does; nothing is changed then) or a
 * split would take the count past vm.max_map_count.
 */
int
gk_vm_protect(struct gk_vm *vm, uint64_t start, uint64_t len, unsigned prot)
{
	uint64_t end = start + len, at = start;
	int i;

	for (i = vma_index(vm, start); at < end; i++) {
		if (i >= vm->nvma || vm->vma[i].start > at)
			return -ENOMEM;
		at = vm->vma[i].end;
	}
	if (vma_split(vm, start, 1) < 0 || vma_split(vm, end, 1) < 0)
		return -ENOMEM;
	for (i = vma_index(vm, start); i < vm->nvma && vm->vma[i].start < end; i++) {
		struct gk_vma *v = &vm->vma[i];
		struct reprot r = {vm, pte_bits(prot), 0};

		if (v->prot == prot)
			continue;
		v->prot = prot;
		uvk_vpt_foreach(vm->k->vmem, vm->root, v->start, v->end, reprot_leaf, &r);
		if (r.changed)
			invalidate(vm, v->start, v->end);
	}
	/* Every VMA of the range, and its neighbours on both sides, may now be one. */
	i = vma_index(vm, start);
	for (i = i > 0 ? i - 1 : 0; i + 1 < vm->nvma && vm->vma[i].start <= end;) {
		if (vma_mergeable(&vm->vma[i], &vm->vma[i + 1]))
			vma_join(vm, i);
		else
			i++;
	}
	vm_check(vm);
	return 0;
}

/*
 * gk_vm_discard - MADV_DONTNEED: drop the pages of [start, start+len) so that
 * the next access reads zeroes (anonymous) or the file again. Returns 0.
 */
int
gk_vm_discard(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	int i;

	for (i = vma_index(vm, start); i < vm->nvma && vm->vma[i].start < end; i++) {
		uint64_t s = vm->vma[i].start > start ? vm->vma[i].start : start;
		uint64_t e = vm->vma[i].end < end ? vm->vma[i].end : end;

		invalidate(vm, s, e);
		drop_pages(vm, s, e);
	}
	return 0;
}

/* gk_vm_range_free - 1 if no VMA and not the stub lies in [start, start+len). */
int
gk_vm_range_free(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	int i = vma_index(vm, start);

	if (start < GK_VA_MIN || start + len > GK_VA_TOP || start + len < start ||
	    overlaps_stub(start, start + len))
		return 0;
	return i >= vm->nvma || vm->vma[i].start >= start + len;
}

/*
 * gk_vm_find_free - a free range of len bytes: at hint if free there, else
 * the highest gap below mmap_top. Returns the gva, or 0 if none.
 */
uint64_t
gk_vm_find_free(struct gk_vm *vm, uint64_t len, uint64_t hint)
{
	uint64_t top = vm->mmap_top;
	int i = vma_index(vm, top);

	if (hint && gk_vm_range_free(vm, gk_page_down(hint), len))
		return gk_page_down(hint);
	if (i < vm->nvma && vm->vma[i].start < top)
		top = vm->vma[i].start;
	for (i--;; i--) {
		uint64_t bottom = i >= 0 ? vm->vma[i].end : GK_VA_MIN;

		if (top >= bottom + len) {
			if (!overlaps_stub(top - len, top))
				return top - len;
			/* The gap holds the stub: try below it. */
			if (UVK_STUB_BASE >= bottom + len)
				return UVK_STUB_BASE - len;
		}
		if (i < 0)
			return 0;
		top = vm->vma[i].start;
	}
}

struct move {
	struct gk_vm *vm;
	uint64_t delta;
	int err;
	uint64_t bad_gva, bad_pte; /* a corrupt entry met, if bad_pte */
};

static int
move_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct move *m = ctx;
	uint64_t v = *pte;
	int err;

	if (!(v & UVK_PTE_V))
		return 0;
	*pte = 0;
	if (!gk_leaf_frame_ok(m->vm->k->pa, v & UVK_PTE_FRAME)) {
		/* Dropped, never followed: its frame number means nothing. */
		m->bad_gva = gva;
		m->bad_pte = v;
		return 0;
	}
	err = gk_vm_enter(m->vm, gva + m->delta, v);
	if (err < 0) {
		gk_page_unref(m->vm->k->pa, v & UVK_PTE_FRAME);
		m->vm->pages--;
		m->err = err;
	}
	return 0;
}

/*
 * gk_vm_move - mremap: [old, old+oldlen), which lies within one VMA, moves
 * to new (a free range) and becomes newlen long. Frames move with their
 * entries; nothing is copied. Returns 0 or -ENOMEM.
 */
int
gk_vm_move(struct gk_vm *vm, uint64_t old, uint64_t oldlen, uint64_t new, uint64_t newlen)
{
	struct gk_vma *v = gk_vma_find(vm, old), nv;
	struct move m = {.vm = vm, .delta = new - old};
	uint64_t movelen = newlen < oldlen ? newlen : oldlen;
	int err;

	if (!v)
		return -EFAULT;
	/* Linux's mremap keeps room for the splits a move may need (mm/mremap.c). */
	if (vm->nvma >= GK_MAX_MAP_COUNT - 3)
		return -ENOMEM;
	nv = *v;
	nv.start = new;
	nv.end = new + newlen;
	nv.foff = v->foff + (old - v->start);
	if (nv.fend)
		nv.fend = nv.fend - old + new;
	if (!gk_vm_range_free(vm, new, newlen))
		return -ENOMEM;
	invalidate(vm, old, old + oldlen);
	/*
	 * Only what fits in the new range moves: an entry moved past its end
	 * would land outside every VMA (over another mapping, or the stub)
	 * where no unmap would ever find it. The rest is freed with the old
	 * range below.
	 */
	if (uvk_vpt_foreach(vm->k->vmem, vm->root, old, old + movelen, move_leaf, &m) < 0 &&
	    !m.bad_pte)
		m.bad_pte = ~0ULL;
	if (m.bad_pte)
		gk_vm_corrupt(vm, m.bad_gva, m.bad_pte);
	if (nv.file)
		nv.file->refs++;
	/* The moved entries are gone already: the unmap frees only what did not move. */
	err = gk_vm_unmap(vm, old, oldlen);
	if (err == 0)
		err = vma_insert_at(vm, vma_index(vm, new), &nv, 0);
	if (err < 0) {
		gk_mapfile_unref(nv.file);
		return err;
	}
	vm_check(vm);
	return m.err;
}

/*
 * Fill frames [gpa, gpa+n pages) for gva from v: file content below fend,
 * zeroes past it (palloc hands out zeroed frames). Returns 0 or -EIO.
 */
static int
fill_frames(struct gk_vm *vm, struct gk_vma *v, uint64_t gva, uint64_t gpa, uint64_t n)
{
	uint64_t end = gva + n * GK_PAGE, fend = v->fend < end ? v->fend : end;
	uint8_t *hva = vm->k->ram + gpa;

	if (!(v->flags & GK_VMA_FILE) || gva >= fend)
		return 0;
	return gk_mapfile_pread(v->file, hva, fend - gva, v->foff + (gva - v->start));
}

/* The gva past the page holding the last byte of v's file (as it is now). */
static uint64_t
file_end(const struct gk_vma *v)
{
	uint64_t size;

	if (gk_mapfile_size(v->file, &size) < 0)
		return v->start;
	size = gk_page_up(size);
	if (size <= v->foff)
		return v->start;
	return size - v->foff > v->end - v->start ? v->end : v->start + (size - v->foff);
}

/*
 * Sharers one frame may have before a mapping gets its own copy instead:
 * the frame reference counts are 16 bits (palloc.c).
 */
#define SHARE_MAX 60000

/*
 * share_enter - fill the absent pages [s, e) of VMA v of vm, which
 * maps a file whose pages are in guest RAM (ops->page), for a fault at page (within them): a page the
 * file holds is its frame, entered without W and with the COW mark
 * whatever v's protection (a write, or mprotect then a write, copies it
 * first: cow.c); a hole, or a frame with too many sharers, is a private
 * frame with the file's bytes. Returns 0 once page is entered (a neighbour
 * that finds no RAM is left for its own fault), or -ENOMEM, or the error
 * of entering it.
 */
static int
share_enter(struct gk_vm *vm, struct gk_vma *v, uint64_t page, uint64_t s, uint64_t e,
		 uint64_t bits, uint64_t fresh)
{
	struct gk_kernel *k = vm->k;
	uint64_t g;
	int err;

	for (g = s; g < e; g += GK_PAGE) {
		uint64_t off = v->foff + (g - v->start), gpa = 0, pte;

		gpa = v->file->ops->page(v->file, off / GK_PAGE);
		if (gpa && k->pa->ref[gpa / GK_PAGE] < SHARE_MAX) {
			gk_page_ref(k->pa, gpa);
			pte = gpa | (bits & ~(uint64_t)UVK_PTE_W) | UVK_PTE_A | UVK_PTE_SW0;
		} else {
			if (gk_palloc_run(k->pa, 1, &gpa) < 0) {
				k->st.oom++;
				return g > page ? 0 : -ENOMEM;
			}
			gk_mapfile_pread(v->file, k->ram + gpa, GK_PAGE, off);
			pte = gpa | bits | fresh;
		}
		err = uvk_vpt_enter(k->vmem, vm->root, g, pte, gk_vm_table_alloc, vm, NULL);
		if (err < 0) {
			gk_page_unref(k->pa, gpa);
			return g > page ? 0 : err;
		}
		vm->pages++;
		k->st.fault_pages++;
	}
	return 0;
}

static int
vma_allows(const struct gk_vma *v, unsigned access)
{
	if ((access & UVK_ACCESS_WRITE) && !(v->prot & PROT_WRITE))
		return 0;
	if ((access & UVK_ACCESS_EXEC) && !(v->prot & PROT_EXEC))
		return 0;
	return v->prot != PROT_NONE;
}

/*
 * grow_stack - grow the VMA above gva down to cover it if it grows down and
 * the rules allow; returns it or NULL. The rules are Linux's
 * (expand_downwards, acct_stack_growth): the grown VMA is at most
 * RLIMIT_STACK long; it stays STACK_GUARD_GAP above the next lower VMA when
 * that one is accessible and does not grow down itself (right up to it
 * otherwise); never below GK_VA_MIN. The stub counts as an accessible VMA
 * (it is mapped in every host process, code and commands): a stack above it
 * keeps the gap, so that none can ever grow over it, where its host
 * mappings could not be invalidated.
 */
static struct gk_vma *
grow_stack(struct gk_vm *vm, uint64_t gva)
{
	const uint64_t stub_end = UVK_STUB_BASE + UVK_STUB_SIZE;
	int i = vma_index(vm, gva);
	uint64_t start = gk_page_down(gva), floor = GK_VA_MIN;
	const struct gk_vma *prev;
	struct gk_vma *v;

	if (i >= vm->nvma || !(vm->vma[i].flags & GK_VMA_GROWSDOWN))
		return NULL;
	v = &vm->vma[i];
	if (v->end - start > vm->stack_max)
		return NULL;
	if (v->start >= stub_end)
		floor = stub_end + STACK_GUARD_GAP;
	if (i > 0) {
		prev = &vm->vma[i - 1];
		if ((prev->flags & GK_VMA_GROWSDOWN) || prev->prot == PROT_NONE) {
			if (prev->end > floor)
				floor = prev->end;
		} else if (prev->end + STACK_GUARD_GAP > floor) {
			floor = prev->end + STACK_GUARD_GAP;
		}
	}
	if (start < floor)
		return NULL;
	v->start = start;
	vm_check(vm);
	return v;
}

/*
 * gk_vm_fault - resolve a fault at gva for access as the page-fault handler
 * of a real kernel would. Returns 0 (the table now allows the access, or the
 * fault was spurious), -EFAULT (no VMA: SIGSEGV), -EACCES (the VMA forbids
 * the access: SIGSEGV), -ENOMEM (guest RAM exhausted), -EIO (file read: SIGBUS).
 */
int
gk_vm_fault(struct gk_vm *vm, uint64_t gva, unsigned access)
{
	const struct uvk_vpt_mem *mem = vm->k->vmem;
	uint64_t page = gk_page_down(gva), ws, we, s, e, pte, bits, fresh, win, s0;
	struct gk_vma *v;
	int err;

	vm->k->st.faults++;
	if (gva >= GK_VA_TOP)
		return -EFAULT;
	v = gk_vma_find(vm, gva);
	if (!v)
		v = grow_stack(vm, gva);
	if (!v)
		return -EFAULT;
	if (!vma_allows(v, access))
		return -EACCES;
	bits = pte_bits(v->prot);
	if (uvk_vpt_lookup(mem, vm->root, page, &pte, NULL) == 0 && (pte & UVK_PTE_V)) {
		if (pte & UVK_PTE_SW0)
			return gk_vm_cow_fault(vm, page, pte, bits, access);
		/* A stale permission: bring the entry in line with its VMA. */
		if ((pte & PERM_BITS) != bits) {
			uvk_vpt_update(mem, vm->root, page, bits, PERM_BITS & ~bits, NULL);
			invalidate(vm, page, page + GK_PAGE);
		}
		return 0;
	}
	/*
	 * New pages of a writable VMA enter Accessed and Modified: this kernel
	 * never asks whether a private page is dirty (no swap, no write-back),
	 * and a clean writable page would cost the guest a second fault on its
	 * first write, when the host upgrades it (the Modified-bit emulation).
	 */
	fresh = (bits & UVK_PTE_W) ? UVK_PTE_A | UVK_PTE_M : UVK_PTE_A;
	/* The window: the aligned 64 KiB around the page, inside the VMA, of absent pages. */
	win = (v->flags & GK_VMA_FILE) ? FAULT_WINDOW : ANON_WINDOW;
	ws = page & ~(win - 1);
	we = ws + win;
	if (ws < v->start)
		ws = v->start;
	if (we > v->end)
		we = v->end;
	if (v->flags & GK_VMA_EOFBUS) {
		/* Past the file's last page there is nothing to map: SIGBUS, as on Linux. */
		uint64_t eof = file_end(v);

		if (page >= eof)
			return -EIO;
		if (we > eof)
			we = eof;
	}
	for (s = page; s > ws && uvk_vpt_lookup(mem, vm->root, s - GK_PAGE, NULL, NULL) != 0;)
		s -= GK_PAGE;
	for (e = page + GK_PAGE; e < we && uvk_vpt_lookup(mem, vm->root, e, NULL, NULL) != 0;)
		e += GK_PAGE;
	s0 = s;
	/* A /tmp file's pages are its own frames, shared copy-on-write. */
	if (v->file && v->file->ops->page)
		return share_enter(vm, v, page, s, e, bits, fresh);
	while (s < e) {
		uint64_t gpa, i;
		long n = gk_palloc_run(vm->k->pa, (e - s) / GK_PAGE, &gpa);

		if (n < 0) {
			vm->k->st.oom++;
			/* Out of RAM after the faulting page was served is fine. */
			return page < s ? 0 : -ENOMEM;
		}
		err = fill_frames(vm, v, s, gpa, (uint64_t)n);
		for (i = 0; i < (uint64_t)n; i++) {
			uint64_t g = s + i * GK_PAGE, f = gpa + i * GK_PAGE;

			if (err == 0)
				err = gk_vm_enter(vm, g, f | bits | fresh);
			if (err < 0) {
				gk_palloc_free(vm->k->pa, f, 1);
				continue;
			}
			vm->pages++;
			vm->k->st.fault_pages++;
		}
		if (err < 0)
			return err;
		s += (uint64_t)n * GK_PAGE;
	}
	/* Beyond what the library maps around a fault by itself: map it all now. */
	if (e - s0 > FAULT_WINDOW && vm->vms)
		uvk_vmspace_prefault(vm->vms, s0, e - s0);
	return 0;
}

/*
 * gk_vm_prefault - populate [start, start+len) and have the library map it
 * now, so that a fresh image does not pay one trap per window (and so that
 * MAP_POPULATE keeps its promise). Returns 0, or the first fault's error
 * (-ENOMEM: guest RAM is exhausted); what was populated stays.
 */
int
gk_vm_prefault(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	uint64_t g, end = gk_page_up(start + len);
	int err;

	start = gk_page_down(start);
	for (g = start; g < end; g += GK_PAGE) {
		if (uvk_vpt_lookup(vm->k->vmem, vm->root, g, NULL, NULL) == 0)
			continue;
		err = gk_vm_fault(vm, g, UVK_ACCESS_READ);
		if (err < 0)
			return err;
	}
	if (vm->vms)
		uvk_vmspace_prefault(vm->vms, start, end - start);
	return 0;
}
