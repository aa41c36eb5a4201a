/*
 * src/vpt/edit.c - the table editors a guest kernel uses on its own page
 * tables: enter, lookup, update, remove, foreach and destroy.
 *
 * Layer src/vpt, beside the walker and under vmspace and the guest kernel.
 * Pure code over pmem: it must not make a system call, allocate memory of
 * its own (table pages come from the caller's alloc callback and go back
 * through free_fn) or follow an entry the walker would reject.
 *
 * The editors judge tables as strictly as the walker (a garbage entry above
 * level 1 is -EFAULT, never followed). At level 1 an entry with V set is a
 * leaf whatever else it holds, so that remove and update can clear out a
 * leaf the guest kernel got wrong; enter and update refuse to write one,
 * lookup reports one as -EFAULT, and foreach hands it over raw (its frame
 * number is guest RAM: the callback judges it before using it).
 *
 * Edits of one table must be serialized by the caller; walkers may run at
 * the same time, so every store is atomic and a new table is zeroed before
 * it is linked.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <uvk/vpt.h>

#include "compiler.h"
#include "internal.h"

/* Intermediate entries grant everything: the leaf alone decides. */
#define TABLE_LINK (UVK_PTE_V | UVK_PTE_W | UVK_PTE_U)

/*
 * A table page handed out by alloc must be usable as it is: a whole page of
 * pmem, zeroed, and not one of the tables above it (which would be a loop).
 */
static bool
new_table_ok(const struct uvk_vpt_mem *mem, uint64_t gpa, const uint64_t *path, int depth)
{
	const uint64_t *page;
	int i;

	if (!vpt_table_ok(mem, gpa))
		return false;
	for (i = 0; i < depth; i++)
		if (path[i] == gpa)
			return false;
	page = vpt_entry(mem, gpa);
	for (i = 0; i < UVK_VPT_ENTRIES; i++)
		if (vpt_load(&page[i]))
			return false;
	return true;
}

/*
 * find_leaf - the gpa of the level-1 entry for gva, in *ret_gpa.
 * With alloc, missing tables are allocated and linked on the way down.
 * Returns 0, -ENOENT (a table is missing and alloc is NULL), -EEXIST (a
 * 2 MiB leaf covers gva), -EFAULT (bad root, gva or table, or a bad page
 * from alloc, which is then left unlinked and stays the caller's), or
 * alloc's error. Tables linked before an error stay linked: they are empty
 * and harmless, and a retry reuses them.
 */
static int
find_leaf(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uvk_vpt_alloc_fn alloc,
	  void *ctx, uint64_t *ret_gpa, uint64_t path[UVK_VPT_LEVELS])
{
	uint64_t table = root, pte, pte_gpa, gpa;
	int level, depth = 0, kind, rc;

	if (gva >= UVK_VA_MAX || !vpt_table_ok(mem, root))
		return -EFAULT;

	for (level = UVK_VPT_LEVELS; level > 1; level--) {
		path[depth++] = table;
		pte_gpa = vpt_entry_gpa(table, gva, level);
		pte = vpt_load(vpt_entry(mem, pte_gpa));
		if (!(pte & UVK_PTE_V)) {
			if (!alloc)
				return -ENOENT;
			rc = alloc(ctx, &gpa);
			if (rc)
				return rc < 0 ? rc : -ENOMEM;
			if (!new_table_ok(mem, gpa, path, depth))
				return -EFAULT;
			/* Release: a walker that sees the link sees the zeroes. */
			__atomic_store_n(vpt_entry(mem, pte_gpa), gpa | TABLE_LINK,
					 __ATOMIC_RELEASE);
			table = gpa;
			continue;
		}
		kind = vpt_classify(mem, pte, level, path, depth);
		if (kind < 0)
			return kind;
		if (kind == VPT_HUGE)
			return -EEXIST;
		table = pte & UVK_PTE_FRAME;
	}
	path[depth] = table;
	*ret_gpa = vpt_entry_gpa(table, gva, 1);
	return 0;
}

/* Whether the leaf pte may be stored under the tables path[0..3]: not over one of them. */
static bool
leaf_on_path(uint64_t pte, const uint64_t path[UVK_VPT_LEVELS])
{
	int i;

	for (i = 0; i < UVK_VPT_LEVELS; i++)
		if (path[i] == (pte & UVK_PTE_FRAME))
			return true;
	return false;
}

/*
 * uvk_vpt_enter - map gva to the 4 KiB leaf pte, creating tables with alloc.
 *
 * Returns 0 with the previous level-1 entry in *ret_old (ret_old may be NULL;
 * the raw old value, 0 if the slot was empty); -EINVAL if pte lacks V, has a
 * reserved bit or PS, or a frame outside pmem, or if gva is unaligned or not
 * below UVK_VA_MAX; -EFAULT if the frame is one of the tables that
 * translate gva, for a bad root, a garbage table or a bad page from alloc;
 * -EEXIST if a 2 MiB leaf covers gva; or alloc's own error.
 */
UVK_EXPORT int
uvk_vpt_enter(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t pte,
	      uvk_vpt_alloc_fn alloc, void *ctx, uint64_t *ret_old)
{
	uint64_t leaf_gpa, old, path[UVK_VPT_LEVELS];
	int rc;

	if (!mem || !(pte & UVK_PTE_V) || !vpt_leaf_ok(mem, pte))
		return -EINVAL;
	if ((gva & ~UVK_PAGE_MASK) || gva >= UVK_VA_MAX)
		return -EINVAL;

	rc = find_leaf(mem, root, gva, alloc, ctx, &leaf_gpa, path);
	if (rc)
		return rc;
	if (leaf_on_path(pte, path))
		return -EFAULT;
	old = __atomic_exchange_n(vpt_entry(mem, leaf_gpa), pte, __ATOMIC_ACQ_REL);
	if (ret_old)
		*ret_old = old;
	return 0;
}

/*
 * uvk_vpt_lookup - the 4 KiB leaf for gva, read without side effects.
 *
 * Returns 0 with the entry in *ret_pte and its gpa in *ret_pte_gpa (either
 * may be NULL); -ENOENT if no table or no valid leaf maps gva, or if a 2 MiB
 * leaf does (nothing is stored then); -EFAULT for a bad root or gva, a
 * garbage table, or a leaf with V set that the walker would refuse (a
 * reserved bit, PS, a frame outside pmem or one of its own tables): such
 * an entry is cleared with uvk_vpt_remove, never used.
 */
UVK_EXPORT int
uvk_vpt_lookup(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t *ret_pte,
	       uint64_t *ret_pte_gpa)
{
	uint64_t leaf_gpa, pte, path[UVK_VPT_LEVELS];
	int rc;

	rc = find_leaf(mem, root, gva, NULL, NULL, &leaf_gpa, path);
	if (rc)
		return rc == -EEXIST ? -ENOENT : rc;
	pte = vpt_load(vpt_entry(mem, leaf_gpa));
	if (!(pte & UVK_PTE_V))
		return -ENOENT;
	if (!vpt_leaf_ok(mem, pte) || leaf_on_path(pte, path))
		return -EFAULT;
	if (ret_pte)
		*ret_pte = pte;
	if (ret_pte_gpa)
		*ret_pte_gpa = leaf_gpa;
	return 0;
}

/*
 * uvk_vpt_update - leaf = (leaf & ~clear) | set, for a valid 4 KiB leaf.
 *
 * Returns 0 with the previous value in *ret_old (may be NULL); -ENOENT if no
 * valid 4 KiB leaf maps gva; -EFAULT for a bad root or gva or a garbage
 * table; -EINVAL if the result has V and also a reserved bit, PS or a frame
 * outside pmem (a result without V is a non-present entry and may hold
 * anything). The swap is a compare-and-exchange so that an A or M bit a
 * concurrent walk sets is never lost.
 */
UVK_EXPORT int
uvk_vpt_update(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t set,
	       uint64_t clear, uint64_t *ret_old)
{
	uint64_t leaf_gpa, old, val, path[UVK_VPT_LEVELS];
	uint64_t *entry;
	int rc;

	rc = find_leaf(mem, root, gva, NULL, NULL, &leaf_gpa, path);
	if (rc)
		return rc == -EEXIST ? -ENOENT : rc;
	entry = vpt_entry(mem, leaf_gpa);
	old = vpt_load(entry);
	do {
		if (!(old & UVK_PTE_V))
			return -ENOENT;
		val = (old & ~clear) | set;
		if ((val & UVK_PTE_V) && (!vpt_leaf_ok(mem, val) || leaf_on_path(val, path)))
			return -EINVAL;
	} while (!__atomic_compare_exchange_n(entry, &old, val, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	if (ret_old)
		*ret_old = old;
	return 0;
}

/*
 * uvk_vpt_remove - clear the valid 4 KiB leaf for gva (the entry becomes 0).
 *
 * Returns 0 with the previous value in *ret_old (may be NULL); -ENOENT if no
 * valid 4 KiB leaf maps gva (a non-present entry is left as it is); -EFAULT
 * for a bad root or gva or a garbage table. The caller invalidates gva.
 */
UVK_EXPORT int
uvk_vpt_remove(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t *ret_old)
{
	/* Clearing every bit is an update whose result is not present: no check applies. */
	return uvk_vpt_update(mem, root, gva, 0, ~0ULL, ret_old);
}

struct foreach {
	const struct uvk_vpt_mem *mem;
	uint64_t start, end;
	uvk_vpt_leaf_fn fn;
	void *ctx;
	uint64_t path[UVK_VPT_LEVELS];
};

/*
 * Visit the part of [start, end) that table (at level, mapping from base)
 * covers. Whole absent subtrees are skipped an entry at a time, so a sparse
 * pass over all of [0, UVK_VA_MAX) reads at most a few thousand entries.
 */
static int
foreach_table(struct foreach *fe, uint64_t table, int level, uint64_t base)
{
	unsigned shift = vpt_shift(level);
	int depth = UVK_VPT_LEVELS - level + 1;
	unsigned idx = 0;
	uint64_t gva, pte, *entry;
	int kind, rc;

	fe->path[depth - 1] = table;
	if (base < fe->start)
		idx = (unsigned)((fe->start - base) >> shift);
	for (; idx < UVK_VPT_ENTRIES; idx++) {
		gva = base + ((uint64_t)idx << shift);
		if (gva >= fe->end)
			break;
		entry = vpt_entry(fe->mem, table + VPT_ENTRY_SIZE * idx);
		pte = vpt_load(entry);
		if (!(pte & UVK_PTE_V))
			continue;
		if (level == 1) {
			rc = fe->fn(fe->ctx, gva, entry);
			if (rc)
				return rc;
			continue;
		}
		kind = vpt_classify(fe->mem, pte, level, fe->path, depth);
		if (kind < 0)
			return kind;
		if (kind == VPT_HUGE)
			continue;
		rc = foreach_table(fe, pte & UVK_PTE_FRAME, level - 1, gva);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * uvk_vpt_foreach - call fn(ctx, gva, entry) for every level-1 entry with V
 * set whose page overlaps [start, end), in address order; end is clamped to
 * UVK_VA_MAX. 2 MiB leaves are not visited.
 *
 * Returns 0 after a full pass, fn's value if fn returns nonzero (the pass
 * stops there), or -EFAULT for a bad root or at the first garbage table
 * entry met (leaves before it have been visited).
 */
UVK_EXPORT int
uvk_vpt_foreach(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t start, uint64_t end,
		uvk_vpt_leaf_fn fn, void *ctx)
{
	struct foreach fe = {
	    .mem = mem,
	    .start = start & UVK_PAGE_MASK,
	    .end = end < UVK_VA_MAX ? end : UVK_VA_MAX,
	    .fn = fn,
	    .ctx = ctx,
	};

	if (!vpt_table_ok(mem, root))
		return -EFAULT;
	if (!fn || fe.start >= fe.end)
		return 0;
	return foreach_table(&fe, root, UVK_VPT_LEVELS, 0);
}

/*
 * destroy keeps no memory of its own, yet must hand each table back exactly
 * once even if two entries share it. A table whose children are done is
 * dead, so its own page becomes the bookkeeping: it is zeroed, marked with
 * CLAIMED in entry 0 (V plus reserved bits: no sound table holds it, and one
 * that does is garbage and may be skipped) and chained to the next claimed
 * table through entry 1 (gpa | 1, 0 at the end). A second entry reaching it
 * sees the mark and skips it. Only when the whole tree is claimed are the
 * pages given to free_fn, which may then scribble on them freely.
 */
#define CLAIMED	   (UVK_PTE_RESERVED | UVK_PTE_V)
#define CHAIN_MORE 1ULL

struct destroy {
	const struct uvk_vpt_mem *mem;
	uint64_t path[UVK_VPT_LEVELS];
	uint64_t head, tail; /* claimed tables, in post-order */
	bool any;
};

static void
claim(struct destroy *d, uint64_t table)
{
	uint64_t *page = vpt_entry(d->mem, table);

	memset(page, 0, UVK_PAGE_SIZE);
	page[0] = CLAIMED;
	if (d->any)
		vpt_entry(d->mem, d->tail)[1] = table | CHAIN_MORE;
	else
		d->head = table;
	d->tail = table;
	d->any = true;
}

static void
destroy_table(struct destroy *d, uint64_t table, int level)
{
	int depth = UVK_VPT_LEVELS - level + 1;
	const uint64_t *page = vpt_entry(d->mem, table);
	uint64_t pte, child;
	int idx;

	d->path[depth - 1] = table;
	for (idx = 0; level > 1 && idx < UVK_VPT_ENTRIES; idx++) {
		pte = page[idx];
		if (!(pte & UVK_PTE_V))
			continue;
		if (vpt_classify(d->mem, pte, level, d->path, depth) != VPT_TABLE)
			continue;
		child = pte & UVK_PTE_FRAME;
		if (vpt_entry(d->mem, child)[0] == CLAIMED)
			continue;
		destroy_table(d, child, level - 1);
	}
	claim(d, table);
}

/*
 * uvk_vpt_destroy - give every table page under root, then root, to
 * free_fn(ctx, gpa), children before parents, each page once and zeroed.
 * Leaf frames are not touched (free them first with uvk_vpt_foreach). Garbage
 * entries (reserved bits, PS outside level 2, frames outside pmem, loops)
 * are skipped, never followed; 2 MiB leaves are leaves. A bad root, or a
 * NULL mem or free_fn, does nothing. No walker may use the table meanwhile.
 */
UVK_EXPORT void
uvk_vpt_destroy(const struct uvk_vpt_mem *mem, uint64_t root, uvk_vpt_free_fn free_fn, void *ctx)
{
	struct destroy d = {.mem = mem};
	uint64_t *page, next, table;

	if (!free_fn || !vpt_table_ok(mem, root))
		return;
	destroy_table(&d, root, UVK_VPT_LEVELS);

	for (table = d.head;; table = next & UVK_PAGE_MASK) {
		page = vpt_entry(mem, table);
		next = page[1];
		page[0] = 0;
		page[1] = 0;
		free_fn(ctx, table);
		if (!(next & CHAIN_MORE))
			break;
	}
}
