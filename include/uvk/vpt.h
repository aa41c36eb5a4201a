/*
 * uvk/vpt.h - virtual page tables: the format, the software walker and the
 * table-editing helpers.
 *
 * Public API, layer src/vpt. Everything here is pure code over a buffer that
 * stands for guest physical memory: no function makes a system call, so the
 * walker can run in any thread and is unit-tested against a plain buffer.
 *
 * The tables live in guest physical memory (pmem), exactly as DragonFly's
 * MAP_VPAGETABLE tables live in the vkernel's memory file. A guest kernel
 * builds them with the helpers below (or by hand) and the host layer walks
 * them on every real page fault of a vmspace.
 *
 * Virtual address, 48 bits, 4 levels of 512 entries (the x86-64 shape):
 *
 *   63      48 47      39 38      30 29      21 20      12 11         0
 *  +----------+----------+----------+----------+----------+------------+
 *  | sign ext |  L4 idx  |  L3 idx  |  L2 idx  |  L1 idx  | page offset|
 *  +----------+----------+----------+----------+----------+------------+
 *   root table ---^  (L2 may hold a 2 MiB leaf: PS set, frame 2 MiB aligned)
 *
 * Entry (64 bits), the same at every level:
 *
 *   63  62     52 51                    12 11  9 8  7  6  5  4 3  2  1  0
 *  +--+---------+------------------------+-----+--+--+--+--+----+--+--+--+
 *  |NX| reserved|  physical frame (gpa)  | SW  |r |PS|M |A |rsv |U |W |V |
 *  +--+---------+------------------------+-----+--+--+--+--+----+--+--+--+
 *
 *  V   valid: the entry points somewhere.
 *  W   writable. U user-accessible (guest processes run in user mode, so an
 *      access needs U at every level). NX forbids instruction fetch.
 *      The effective permission is the AND of W and U and the OR of NX over
 *      all levels walked, as on x86.
 *  A   accessed: set by the walker on every level it uses to map a page.
 *  M   modified: set by the walker on the leaf when a write is allowed. A
 *      writable leaf without M is mapped read-only by the host layer, so the
 *      first write faults, sets M and upgrades the mapping.
 *  PS  page size: only meaningful at level 2 (a 2 MiB leaf). At levels 1, 3
 *      and 4 it is reserved.
 *  SW  three bits left to the guest kernel (a COW marker, say); ignored here.
 *  reserved (bits 3, 4, 8, 52-62) must be zero: a set reserved bit, a frame
 *  beyond pmem, a misaligned 2 MiB frame, a table that points back at one
 *  of its ancestors or a leaf whose page holds one of the tables walked to
 *  reach it (a self-map) makes the walk fail with -EFAULT, never crash or
 *  loop. The tables are guest RAM: every frame number is judged before it
 *  is followed, and a process can never be given its own tables.
 */
#ifndef UVK_VPT_H
#define UVK_VPT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UVK_PAGE_SHIFT 12
#define UVK_PAGE_SIZE  (1ULL << UVK_PAGE_SHIFT)
#define UVK_PAGE_MASK  (~(UVK_PAGE_SIZE - 1))
#define UVK_HUGE_SHIFT 21
#define UVK_HUGE_SIZE  (1ULL << UVK_HUGE_SHIFT)

#define UVK_VPT_LEVELS  4
#define UVK_VPT_ENTRIES 512

#define UVK_PTE_V	 (1ULL << 0)
#define UVK_PTE_W	 (1ULL << 1)
#define UVK_PTE_U	 (1ULL << 2)
#define UVK_PTE_A	 (1ULL << 5)
#define UVK_PTE_M	 (1ULL << 6)
#define UVK_PTE_PS	 (1ULL << 7)
#define UVK_PTE_SW0	 (1ULL << 9)
#define UVK_PTE_SW1	 (1ULL << 10)
#define UVK_PTE_SW2	 (1ULL << 11)
#define UVK_PTE_NX	 (1ULL << 63)
#define UVK_PTE_FRAME	 0x000ffffffffff000ULL
#define UVK_PTE_RESERVED 0x7ff0000000000118ULL

/* Kinds of access, for the walker and for page-fault traps. */
#define UVK_ACCESS_READ	 1u
#define UVK_ACCESS_WRITE 2u
#define UVK_ACCESS_EXEC	 4u

/* Lowest and one past the highest user address a table can map. */
#define UVK_VA_MAX 0x0000800000000000ULL

/*
 * Guest physical memory as the walker sees it: gpa N is base[N], for
 * N < size. size is a multiple of the page size.
 */
struct uvk_vpt_mem {
	uint8_t *base;
	uint64_t size;
};

/* uvk_vpt_walk() flags. */
#define UVK_VPT_SET_AM 1u /* set A on every level used, and M on a write */

/*
 * The outcome of a walk. On success every field is set; on a failed walk
 * level says where the walk stopped (4 = root) and pte_gpa/pte describe the
 * entry that stopped it, so that a guest kernel can tell "no entry" from
 * "entry forbids".
 */
struct uvk_vpt_walk {
	uint64_t gpa;	  /* physical address of the byte at gva */
	uint64_t pte;	  /* the leaf entry, after any A/M update */
	uint64_t pte_gpa; /* physical address of that entry */
	uint64_t page_size; /* 4 KiB or 2 MiB */
	unsigned prot;	  /* UVK_ACCESS_* the entry chain allows */
	int level;	  /* level of the leaf, or where the walk stopped */
};

/*
 * uvk_vpt_walk - translate gva through the table at root.
 *
 * access is the UVK_ACCESS_* mask being attempted (0 only translates).
 * Returns 0 and fills *ret on success; -ENOENT when an entry on the path is
 * not valid; -EACCES when the entries exist but forbid access (U missing, W
 * missing on a write, NX on a fetch); -EFAULT for a garbage table or an
 * address outside [0, UVK_VA_MAX). *ret is filled on every return (see
 * struct uvk_vpt_walk).
 */
int uvk_vpt_walk(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, unsigned access,
		 unsigned flags, struct uvk_vpt_walk *ret);

/*
 * The allocation callback of uvk_vpt_enter: store the gpa of a zeroed, page
 * aligned table page in *ret_gpa and return 0, or return a negative errno.
 */
typedef int (*uvk_vpt_alloc_fn)(void *ctx, uint64_t *ret_gpa);
/* A callback that gets back a table page freed by uvk_vpt_destroy(). */
typedef void (*uvk_vpt_free_fn)(void *ctx, uint64_t gpa);

/*
 * uvk_vpt_enter - make gva map to the leaf entry pte (a 4 KiB leaf; pte must
 * have V set and a frame inside mem). Intermediate tables are created with
 * alloc as needed, as V|W|U entries so that the leaf alone decides.
 * Returns 0 (the old leaf in *ret_old if ret_old is not NULL, 0 if none),
 * -EINVAL for a bad pte or gva, -EFAULT for a garbage table or a pte whose
 * frame is one of the tables that translate gva, or what alloc returned. The caller must invalidate gva in every vmspace using the table
 * if an old valid leaf was replaced.
 */
int uvk_vpt_enter(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t pte,
		  uvk_vpt_alloc_fn alloc, void *ctx, uint64_t *ret_old);

/*
 * uvk_vpt_lookup - find the 4 KiB leaf entry for gva without side effects.
 * Returns 0 with the entry in *ret_pte and its gpa in *ret_pte_gpa (either
 * may be NULL), -ENOENT if there is none, -EFAULT for a garbage table or a
 * valid leaf the walker would refuse (clear it with uvk_vpt_remove).
 * A 2 MiB leaf is reported as -ENOENT with nothing set: callers that use
 * huge leaves walk with uvk_vpt_walk().
 */
int uvk_vpt_lookup(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva,
		   uint64_t *ret_pte, uint64_t *ret_pte_gpa);

/*
 * uvk_vpt_update - leaf = (leaf & ~clear) | set, for an existing valid 4 KiB
 * leaf. Returns 0 (old value in *ret_old), -ENOENT, -EFAULT, or -EINVAL if
 * the result would be garbage. Clearing V removes the mapping.
 */
int uvk_vpt_update(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t set,
		   uint64_t clear, uint64_t *ret_old);

/* uvk_vpt_remove - clear the leaf for gva. Returns 0 (old in *ret_old) or -ENOENT, -EFAULT. */
int uvk_vpt_remove(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t gva, uint64_t *ret_old);

/*
 * uvk_vpt_foreach - call fn for every valid 4 KiB leaf mapping a page in
 * [start, end), in address order, with a pointer to the entry itself (fn may
 * change it). The entry is handed over raw, whatever it holds, so that fn
 * can clear a bad one: its frame number is guest RAM, and fn checks it
 * against what it knows (RAM size, frames in use) before using it. Stops early and returns fn's value if fn returns nonzero;
 * returns 0 after a full pass, -EFAULT for a garbage table (entries before it
 * have been visited).
 */
typedef int (*uvk_vpt_leaf_fn)(void *ctx, uint64_t gva, uint64_t *pte);
int uvk_vpt_foreach(const struct uvk_vpt_mem *mem, uint64_t root, uint64_t start, uint64_t end,
		    uvk_vpt_leaf_fn fn, void *ctx);

/*
 * uvk_vpt_destroy - give every table page under root (root included, leaf
 * frames excluded) to free_fn. The caller frees the leaf frames first
 * (uvk_vpt_foreach). Garbage entries are skipped, never followed.
 */
void uvk_vpt_destroy(const struct uvk_vpt_mem *mem, uint64_t root, uvk_vpt_free_fn free_fn,
		     void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* UVK_VPT_H */
