/*
 * vma.c - the VMAs of an address space: a sorted array, split and merged
 * as Linux's are, and the operations on ranges of it (mmap, munmap,
 * mprotect, MADV_DONTNEED, mremap) with the free-range search.
 *
 * Layer src/guestkernel/mm, under sys_mm.c and exec.c. A VMA is split where
 * an operation covers part of it and merged with a neighbour whose
 * attributes became equal (vma_mergeable), so the list is what Linux's
 * /proc/PID/maps would show; vm.max_map_count (vm->max_map_count) is
 * checked where Linux checks it. The array is an array, not a tree: a
 * lookup is a binary search, an insertion a memmove, and 65530 entries
 * are 3.6 MiB, charged to the kernel-heap budget.
 *
 * Must not: decode syscall arguments, fill pages (fault.c does), print, or
 * exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm_internal.h"

/* gk_vma_index - index of the first VMA of vm with end > gva (nvma if none). */
int
gk_vma_index(struct gk_vm *vm, uint64_t gva)
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
	int i = gk_vma_index(vm, gva);

	if (i < vm->nvma && vm->vma[i].start <= gva)
		return &vm->vma[i];
	return NULL;
}

/*
 * Make room in vm's array for n more VMAs. The array lives in the
 * tracer's heap, so its growth is charged to the kernel-heap budget.
 * Returns 0 or -ENOMEM (past the budget, or out of heap).
 */
static int
vma_reserve(struct gk_vm *vm, int n)
{
	int cap = vm->cap ? vm->cap : 32;
	struct gk_vma *a;

	while (cap < vm->nvma + n)
		cap *= 2;
	if (cap == vm->cap)
		return 0;
	if (gk_kmem_charge(vm->k, (size_t)(cap - vm->cap) * sizeof(*a)) < 0)
		return -ENOMEM;
	a = realloc(vm->vma, cap * sizeof(*a));
	if (!a) {
		gk_kmem_uncharge(vm->k, (size_t)(cap - vm->cap) * sizeof(*a));
		return -ENOMEM;
	}
	vm->vma = a;
	vm->cap = cap;
	return 0;
}

/*
 * Insert v at index i. Linux counts a process's mappings against
 * vm.max_map_count, with ENOMEM: a new mapping is refused only once the
 * count is past it (mm/mmap.c), a split is checked by its caller
 * (vma_split, gk_vm_unmap), which may take the count one past it.
 * Returns 0 or -ENOMEM (the limit, or vma_reserve's).
 */
static int
vma_insert_at(struct gk_vm *vm, int i, const struct gk_vma *v, int split)
{
	if (!split && vm->nvma > vm->max_map_count)
		return -ENOMEM;
	if (vma_reserve(vm, 1) < 0)
		return -ENOMEM;
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
	int i = gk_vma_index(vm, gva);
	struct gk_vma hi;

	if (i >= vm->nvma || vm->vma[i].start >= gva)
		return 0;
	if (checked && vm->nvma >= vm->max_map_count)
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
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->file != b->file)
		return 0;
	if (!a->file)
		return 1;
	return b->foff == a->foff + (a->end - a->start) && a->fend >= a->end && b->fend >= b->start;
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
 * gk_vm_check - the debug build's check of the VMA list after every change:
 * sorted, disjoint, page aligned, inside [GK_VA_MIN, GK_VA_TOP), never over
 * the stub (whose host mappings no invalidation may touch).
 */
void
gk_vm_check(const struct gk_vm *vm)
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
	int i = gk_vma_index(vm, start);

	/*
	 * A hole in one VMA adds one: refused at vm.max_map_count, as Linux
	 * does; trimming a head or a tail is not (its count stays).
	 */
	if (i < vm->nvma && vm->vma[i].start < start && vm->vma[i].end > end &&
	    vm->nvma >= vm->max_map_count)
		return -ENOMEM;
	if (vma_split(vm, start, 0) < 0 || vma_split(vm, end, 0) < 0)
		return -ENOMEM;
	i = gk_vma_index(vm, start);
	while (i < vm->nvma && vm->vma[i].start < end) {
		struct gk_vma *v = &vm->vma[i];

		gk_vm_drop_pages(vm, v->start, v->end);
		gk_mapfile_unref(v->file);
		vma_remove_at(vm, i);
	}
	gk_vm_check(vm);
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
	if (vm->nvma > vm->max_map_count)
		return -ENOMEM;
	err = gk_vm_unmap(vm, start, len);
	if (err < 0)
		return err;
	i = gk_vma_index(vm, start);
	err = vma_insert_at(vm, i, &v, 0);
	if (err < 0)
		return err;
	if (file)
		file->refs++;
	vma_merge(vm, i);
	gk_vm_check(vm);
	return 0;
}

struct reprot {
	struct gk_vm *vm;
	uint64_t bits;
	int changed;
};

static int
reprot_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct reprot *r = ctx;
	uint64_t o = __atomic_load_n(pte, __ATOMIC_ACQUIRE), n;

	/* A compare-and-exchange: a sibling vCPU's walk may set A or M meanwhile. */
	do {
		n = (o & ~GK_PTE_PERM) | r->bits;
		/* A copy-on-write leaf gets W back only from its write fault (cow.c). */
		if (n & UVK_PTE_SW0)
			n &= ~UVK_PTE_W;
		if (n == o)
			return 0;
	} while (!__atomic_compare_exchange_n(pte, &o, n, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	r->changed = 1;
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

	for (i = gk_vma_index(vm, start); at < end; i++) {
		if (i >= vm->nvma || vm->vma[i].start > at)
			return -ENOMEM;
		at = vm->vma[i].end;
	}
	if (vma_split(vm, start, 1) < 0 || vma_split(vm, end, 1) < 0)
		return -ENOMEM;
	for (i = gk_vma_index(vm, start); i < vm->nvma && vm->vma[i].start < end; i++) {
		struct gk_vma *v = &vm->vma[i];
		struct reprot r = {vm, gk_pte_bits(prot), 0};

		if (v->prot == prot)
			continue;
		v->prot = prot;
		uvk_vpt_foreach(vm->k->vmem, vm->root, v->start, v->end, reprot_leaf, &r);
		if (r.changed)
			gk_vm_invalidate(vm, v->start, v->end);
	}
	/* Every VMA of the range, and its neighbours on both sides, may now be one. */
	i = gk_vma_index(vm, start);
	for (i = i > 0 ? i - 1 : 0; i + 1 < vm->nvma && vm->vma[i].start <= end;) {
		if (vma_mergeable(&vm->vma[i], &vm->vma[i + 1]))
			vma_join(vm, i);
		else
			i++;
	}
	gk_vm_check(vm);
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

	for (i = gk_vma_index(vm, start); i < vm->nvma && vm->vma[i].start < end; i++) {
		uint64_t s = vm->vma[i].start > start ? vm->vma[i].start : start;
		uint64_t e = vm->vma[i].end < end ? vm->vma[i].end : end;

		gk_vm_drop_pages(vm, s, e);
	}
	return 0;
}

/* gk_vm_range_free - 1 if no VMA and not the stub lies in [start, start+len). */
int
gk_vm_range_free(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	int i = gk_vma_index(vm, start);

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
	int i = gk_vma_index(vm, top);

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
	uint64_t v = __atomic_load_n(pte, __ATOMIC_ACQUIRE);
	int err;

	if (!(v & UVK_PTE_V))
		return 0;
	if (!gk_leaf_frame_ok(m->vm->k->pa, v & UVK_PTE_FRAME)) {
		/* Dropped, never followed: its frame number means nothing. */
		__atomic_store_n(pte, 0, __ATOMIC_RELEASE);
		m->bad_gva = gva;
		m->bad_pte = v;
		return 0;
	}
	/*
	 * The new entry first; a failure leaves the old one for the unmap that
	 * follows to free (after its invalidation). The exchange keeps an A or
	 * M bit a sibling vCPU's walk sets meanwhile.
	 */
	err = gk_vm_enter(m->vm, gva + m->delta, v);
	if (err < 0) {
		m->err = err;
		return 0;
	}
	v = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);
	if (v & (UVK_PTE_A | UVK_PTE_M))
		uvk_vpt_update(m->vm->k->vmem, m->vm->root, gva + m->delta,
			       v & (UVK_PTE_A | UVK_PTE_M), 0, NULL);
	return 0;
}

/*
 * The most page-table pages entering leaves in [start, start+len) can
 * allocate: one leaf table a 2 MiB, one directory a 1 GiB, one
 * directory-pointer table a 512 GiB the range touches.
 */
static uint64_t
tables_for(uint64_t start, uint64_t len)
{
	uint64_t end = start + len, n = 0, span;

	if (len == 0)
		return 0;
	for (span = 2ULL << 20; span <= 512ULL << 30; span <<= 9)
		n += (end - 1) / span - start / span + 1;
	return n;
}

/*
 * gk_vm_move - mremap: [old, old+oldlen), which lies within one VMA, moves
 * to new (a free range) and becomes newlen long. Frames move with their
 * entries; nothing is copied. Returns 0 or -ENOMEM (no room for the VMAs,
 * or too few free frames for the tables the new range may need: then
 * nothing has moved, as Linux's mremap gives ENOMEM).
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
	if (vm->nvma >= vm->max_map_count - 3)
		return -ENOMEM;
	nv = *v;
	nv.start = new;
	nv.end = new + newlen;
	nv.foff = v->foff + (old - v->start);
	if (nv.fend)
		nv.fend = nv.fend - old + new;
	if (!gk_vm_range_free(vm, new, newlen))
		return -ENOMEM;
	/*
	 * Room first for what the array may need below (a hole at old is one
	 * more VMA, the new one another) and for the new range's tables: once
	 * entries have moved, a failure would leave them where no VMA is, and
	 * the old range without them.
	 */
	if (vma_reserve(vm, 2) < 0 || vm->k->pa->nfree < tables_for(new, movelen))
		return -ENOMEM;
	/*
	 * Only what fits in the new range moves: an entry moved past its end
	 * would land outside every VMA (over another mapping, or the stub)
	 * where no unmap would ever find it. The rest is freed with the old
	 * range below.
	 */
	if (uvk_vpt_foreach(vm->k->vmem, vm->root, old, old + movelen, move_leaf, &m) < 0 &&
	    !m.bad_pte)
		m.bad_pte = ~0ULL;
	/* After the entries moved: a sibling vCPU may have mapped one of them meanwhile. */
	gk_vm_invalidate(vm, old, old + oldlen);
	if (m.bad_pte)
		gk_vm_corrupt(vm, m.bad_gva, m.bad_pte);
	if (nv.file)
		nv.file->refs++;
	/*
	 * The moved entries are gone already: the unmap frees only what did
	 * not move. Neither step can fail now (the room is there, and the
	 * count is below every limit they check).
	 */
	err = gk_vm_unmap(vm, old, oldlen);
	if (err == 0)
		err = vma_insert_at(vm, gk_vma_index(vm, new), &nv, 0);
	GK_DEBUG_CHECK(err == 0, "mremap's VMA steps failed (%d) after the move", err);
	if (err < 0) {
		gk_mapfile_unref(nv.file);
		return err;
	}
	gk_vm_check(vm);
	return m.err;
}
