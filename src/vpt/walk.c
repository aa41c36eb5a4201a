/*
 * src/vpt/walk.c - the software page-table walker: gva -> gpa through the
 * guest's own tables, with the permission and A/M rules of uvk/vpt.h.
 *
 * Layer src/vpt, the bottom of the stack. The host layer runs this on every
 * real page fault of a vmspace, possibly in several threads over the same
 * table, and the tables are written by the guest: every entry is read once,
 * atomically, and judged before it is followed. Whatever the buffer holds,
 * a walk ends after at most four entries with 0, -ENOENT, -EACCES or -EFAULT.
 * It must not make a system call, allocate, or write to pmem except the
 * atomic A/M updates that UVK_VPT_SET_AM asks for on a successful walk.
 *
 *   gva:  | L4 idx 47..39 | L3 idx 38..30 | L2 idx 29..21 | L1 idx 20..12 | 11..0 |
 *   root -> L4[idx] -> L3 table -> L3[idx] -> L2 table -> L2[idx] -> L1 table -> L1[idx] -> page
 *                                                        `-> (PS) 2 MiB page
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <uvk/vpt.h>

#include "compiler.h"
#include "internal.h"

#define ACCESS_ALL (UVK_ACCESS_READ | UVK_ACCESS_WRITE | UVK_ACCESS_EXEC)

/*
 * What one entry lets through, as x86 computes it for user mode: without U
 * nothing; W gates writes; NX gates fetches. The chain allows the AND of
 * this over all levels.
 */
static unsigned
entry_prot(uint64_t pte)
{
	unsigned prot = UVK_ACCESS_READ;

	if (!(pte & UVK_PTE_U))
		return 0;
	if (pte & UVK_PTE_W)
		prot |= UVK_ACCESS_WRITE;
	if (!(pte & UVK_PTE_NX))
		prot |= UVK_ACCESS_EXEC;
	return prot;
}

/*
 * uvk_vpt_walk - translate gva through the table at root.
 *
 * Returns 0, -ENOENT (an entry on the path has V clear), -EACCES (the whole
 * chain is present and sound but forbids access), or -EFAULT (gva outside
 * [0, UVK_VA_MAX), a bad root, or a garbage entry). *ret is always filled
 * (ret may be NULL). On failure only level, pte and pte_gpa describe
 * anything: the entry that stopped the walk, which for -EACCES is the first
 * entry from the root lacking a bit the access needs; for a bad gva or root
 * level is 4 and pte and pte_gpa are 0. Unknown access and flags bits are
 * ignored.
 */
UVK_EXPORT int
uvk_vpt_walk(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, unsigned access,
	     unsigned flags, struct uvk_vpt_walk *ret)
{
	struct uvk_vpt_walk scratch;
	uint64_t path[UVK_VPT_LEVELS]; /* tables walked, root first */
	uint64_t used[UVK_VPT_LEVELS]; /* gpa of each entry walked */
	uint64_t deny_pte = 0, deny_gpa = 0;
	uint64_t table = root, pte, pte_gpa, page_size;
	unsigned prot = ACCESS_ALL;
	int level, depth = 0, kind, deny_level = 0;

	if (!ret)
		ret = &scratch;
	*ret = (struct uvk_vpt_walk){.level = UVK_VPT_LEVELS};
	access &= ACCESS_ALL;

	if (gva >= UVK_VA_MAX || !vpt_table_ok(mem, root))
		return -EFAULT;

	for (level = UVK_VPT_LEVELS;; level--) {
		path[depth] = table;
		pte_gpa = vpt_entry_gpa(table, gva, level);
		pte = vpt_load(vpt_entry(mem, pte_gpa));
		ret->level = level;
		ret->pte = pte;
		ret->pte_gpa = pte_gpa;

		if (!(pte & UVK_PTE_V))
			return -ENOENT;
		kind = vpt_classify(mem, pte, level, path, depth + 1);
		if (kind < 0)
			return kind;

		/*
		 * Keep walking past a forbidding entry: a missing or garbage
		 * entry further down is the better answer, as on x86 where a
		 * not-present fault outranks a protection fault.
		 */
		if (!deny_level && (access & ~entry_prot(pte))) {
			deny_level = level;
			deny_pte = pte;
			deny_gpa = pte_gpa;
		}
		prot &= entry_prot(pte);
		used[depth++] = pte_gpa;
		if (kind != VPT_TABLE)
			break;
		table = pte & UVK_PTE_FRAME;
	}

	if (deny_level) {
		ret->level = deny_level;
		ret->pte = deny_pte;
		ret->pte_gpa = deny_gpa;
		return -EACCES;
	}

	/*
	 * Only now, with the walk known good, touch A and M: a failed walk
	 * leaves pmem exactly as it was. fetch_or rather than a store because
	 * other walkers and the guest kernel may be updating the same entries.
	 * If the leaf changes under us the result pairs the value we judged
	 * with the bits we set, as a hardware TLB fill racing with a store
	 * would; whoever changed it must invalidate.
	 */
	if (flags & UVK_VPT_SET_AM) {
		uint64_t bits = UVK_PTE_A;
		int i;

		for (i = 0; i < depth - 1; i++)
			__atomic_fetch_or(vpt_entry(mem, used[i]), UVK_PTE_A, __ATOMIC_ACQ_REL);
		if (access & UVK_ACCESS_WRITE)
			bits |= UVK_PTE_M;
		__atomic_fetch_or(vpt_entry(mem, pte_gpa), bits, __ATOMIC_ACQ_REL);
		pte |= bits;
	}

	page_size = kind == VPT_HUGE ? UVK_HUGE_SIZE : UVK_PAGE_SIZE;
	/* vpt_classify judged the frame: the whole page lies in pmem. */
	UVK_DEBUG_CHECK(vpt_in_mem(mem, pte & UVK_PTE_FRAME, page_size));
	ret->gpa = (pte & UVK_PTE_FRAME) + (gva & (page_size - 1));
	ret->pte = pte;
	ret->page_size = page_size;
	ret->prot = prot;
	return 0;
}
