/*
 * src/vpt/internal.h - helpers shared by the walker (walk.c) and the editors
 * (edit.c): index arithmetic, bounds checks and the one judgement of what an
 * entry above level 1 is.
 *
 * Private to layer src/vpt. Pure code over struct uvk_vpt_mem: no system
 * call, no allocation, never a pointer outside [base, base + size).
 */
#ifndef UVK_VPT_INTERNAL_H
#define UVK_VPT_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <uvk/vpt.h>

#define VPT_ENTRY_SIZE 8ULL

/* What vpt_classify() found behind a valid entry. */
enum {
	VPT_TABLE = 0, /* a table of the next level down */
	VPT_LEAF = 1,  /* a 4 KiB leaf (level 1) */
	VPT_HUGE = 2,  /* a 2 MiB leaf (level 2 with PS) */
};

/* Bits of gva below the index of level: 12, 21, 30, 39. */
static inline unsigned
vpt_shift(int level)
{
	return UVK_PAGE_SHIFT + 9 * (unsigned)(level - 1);
}

static inline unsigned
vpt_index(uint64_t gva, int level)
{
	return (unsigned)(gva >> vpt_shift(level)) & (UVK_VPT_ENTRIES - 1);
}

/*
 * Whether [gpa, gpa + len) lies inside pmem. Written as two comparisons so
 * that a frame near 2^52 cannot wrap around the sum.
 */
static inline bool
vpt_in_mem(const struct uvk_vpt_mem *mem, uint64_t gpa, uint64_t len)
{
	return gpa < mem->size && mem->size - gpa >= len;
}

/* A root (or any table) must be a whole page of pmem. */
static inline bool
vpt_table_ok(const struct uvk_vpt_mem *mem, uint64_t table)
{
	return mem && mem->base && !(table & ~UVK_PAGE_MASK) &&
	       vpt_in_mem(mem, table, UVK_PAGE_SIZE);
}

/* The entry at gpa; the caller has checked that its table is inside pmem. */
static inline uint64_t *
vpt_entry(const struct uvk_vpt_mem *mem, uint64_t gpa)
{
	return (uint64_t *)(void *)(mem->base + gpa);
}

static inline uint64_t
vpt_entry_gpa(uint64_t table, uint64_t gva, int level)
{
	return table + VPT_ENTRY_SIZE * vpt_index(gva, level);
}

/*
 * Entries are read atomically: another thread may be editing or walking the
 * same table, and a torn read could pair one entry's frame with another's
 * permission bits.
 */
static inline uint64_t
vpt_load(const uint64_t *entry)
{
	return __atomic_load_n(entry, __ATOMIC_ACQUIRE);
}

/*
 * vpt_classify - judge the valid entry pte found at level. path[0..depth)
 * are the tables walked to reach it, root first; a table that points back
 * at one of them would make the walk loop.
 *
 * Returns VPT_TABLE, VPT_LEAF or VPT_HUGE, or -EFAULT for garbage: a
 * reserved bit, PS outside level 2, a misaligned 2 MiB frame, a frame not
 * wholly inside pmem, a loop, or a leaf whose page holds one of the tables
 * walked to reach it (a table mapped into the process it translates for
 * would let that process write its own translations). V is the caller's
 * business.
 */
static inline int
vpt_classify(const struct uvk_vpt_mem *mem, uint64_t pte, int level, const uint64_t *path,
	     int depth)
{
	uint64_t frame = pte & UVK_PTE_FRAME;
	int i;

	if (pte & UVK_PTE_RESERVED)
		return -EFAULT;
	if (pte & UVK_PTE_PS) {
		if (level != 2 || (frame & (UVK_HUGE_SIZE - 1)) ||
		    !vpt_in_mem(mem, frame, UVK_HUGE_SIZE))
			return -EFAULT;
		for (i = 0; i < depth; i++)
			if (path[i] - frame < UVK_HUGE_SIZE)
				return -EFAULT;
		return VPT_HUGE;
	}
	if (!vpt_in_mem(mem, frame, UVK_PAGE_SIZE))
		return -EFAULT;
	for (i = 0; i < depth; i++)
		if (path[i] == frame)
			return -EFAULT;
	return level == 1 ? VPT_LEAF : VPT_TABLE;
}

/*
 * A 4 KiB leaf the editors may store with V set: what the walker would
 * accept at level 1.
 */
static inline bool
vpt_leaf_ok(const struct uvk_vpt_mem *mem, uint64_t pte)
{
	return !(pte & (UVK_PTE_RESERVED | UVK_PTE_PS)) &&
	       vpt_in_mem(mem, pte & UVK_PTE_FRAME, UVK_PAGE_SIZE);
}

#endif /* UVK_VPT_INTERNAL_H */
