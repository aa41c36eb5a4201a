/*
 * palloc.c - the physical page allocator over pmem.
 *
 * Layer src/guestkernel/mm. A bitmap with a next-fit cursor: a request for n
 * pages gets the longest free run up to n starting at the cursor, so that
 * consecutive requests (a VMA faulted in chunk by chunk) land on consecutive
 * frames and the host mappings the library makes from them merge. Frame 0 is
 * never handed out, so gpa 0 can mean "none". Page-table pages come from here
 * too. Frames are zeroed when handed out (a freed frame holds its last
 * user's data), unless they are known clean: never used since boot, or
 * since a large freed run was given back to the host with uvk_pmem_discard
 * (so that a guest that frees memory frees host RAM). A clean frame is a
 * hole of the memfd: zeroing it in the tracer would only make the host
 * allocate and clear it twice. When frames run short, the page cache's
 * reclaim hook (set by fs/pcache.c) frees the cached pages no mapping
 * holds before a request fails.
 *
 * Must not: touch page tables or vmspaces. Callers keep track of what they own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

static inline int
bit_test(const uint64_t *bm, uint64_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static inline void
bit_set(uint64_t *bm, uint64_t i)
{
	bm[i / 64] |= 1ULL << (i % 64);
}

static inline void
bit_clear(uint64_t *bm, uint64_t i)
{
	bm[i / 64] &= ~(1ULL << (i % 64));
}

/*
 * gk_palloc_init - manage bytes of pmem. Returns 0 or -ENOMEM (the bitmap
 * itself could not be allocated in the tracer).
 */
int
gk_palloc_init(struct gk_palloc *pa, struct uvk_pmem *pm)
{
	memset(pa, 0, sizeof(*pa));
	pa->pm = pm;
	pa->ram = uvk_pmem_base(pm);
	pa->npages = uvk_pmem_size(pm) / GK_PAGE;
	pa->bitmap = calloc((pa->npages + 63) / 64, sizeof(uint64_t));
	pa->clean = malloc((pa->npages + 63) / 64 * sizeof(uint64_t));
	pa->ref = calloc(pa->npages, sizeof(uint16_t));
	pa->table = calloc((pa->npages + 63) / 64, sizeof(uint64_t));
	if (!pa->bitmap || !pa->clean || !pa->ref || !pa->table) {
		gk_palloc_fini(pa);
		return -ENOMEM;
	}
	memset(pa->clean, 0xff, (pa->npages + 63) / 64 * sizeof(uint64_t));
	bit_set(pa->bitmap, 0);
	pa->nfree = pa->npages - 1;
	pa->next = 1;
	return 0;
}

void
gk_palloc_fini(struct gk_palloc *pa)
{
	free(pa->bitmap);
	free(pa->clean);
	free(pa->ref);
	free(pa->table);
	pa->table = NULL;
	pa->clean = NULL;
	pa->bitmap = NULL;
	pa->ref = NULL;
}

/* Find the first free frame at or after from, skipping whole used words. */
static uint64_t
find_free(const struct gk_palloc *pa, uint64_t from)
{
	uint64_t i = from;

	while (i < pa->npages) {
		if (i % 64 == 0 && pa->bitmap[i / 64] == ~0ULL) {
			i += 64;
			continue;
		}
		if (!bit_test(pa->bitmap, i))
			return i;
		i++;
	}
	return pa->npages;
}

/*
 * gk_palloc_run - allocate up to want physically contiguous zeroed frames.
 * Returns how many (>= 1) with the first gpa in *ret_gpa, or -ENOMEM when no
 * frame is free. The caller frees each frame with gk_palloc_free (or
 * gk_page_unref) when done; the run has reference count 1 on every frame.
 */
long
gk_palloc_run(struct gk_palloc *pa, uint64_t want, uint64_t *ret_gpa)
{
	uint64_t start, n;

	/*
	 * Short of frames: a page cache gives back what only it holds first,
	 * a batch at a time so that the next requests find some free too.
	 */
	if (pa->nfree < want && pa->reclaim)
		pa->reclaim(pa->reclaim_ctx, want - pa->nfree < 64 ? 64 : want - pa->nfree);
	if (pa->nfree == 0 || want == 0)
		return -ENOMEM;
	start = find_free(pa, pa->next);
	if (start >= pa->npages)
		start = find_free(pa, 1);
	if (start >= pa->npages)
		gk_panic(__func__, "nfree %llu but no free frame", (unsigned long long)pa->nfree);
	for (n = 0; n < want && start + n < pa->npages && !bit_test(pa->bitmap, start + n); n++) {
		bit_set(pa->bitmap, start + n);
		pa->ref[start + n] = 1;
		if (bit_test(pa->clean, start + n))
			bit_clear(pa->clean, start + n);
		else
			memset(pa->ram + (start + n) * GK_PAGE, 0, GK_PAGE);
	}
	pa->nfree -= n;
	pa->next = start + n;
	if (pa->npages - pa->nfree > pa->peak_used)
		pa->peak_used = pa->npages - pa->nfree;
	*ret_gpa = start * GK_PAGE;
	return (long)n;
}

/*
 * gk_frame_ok - whether gpa names a frame the allocator handed out: page
 * aligned, inside RAM, not frame 0, in use. Every frame number read back
 * from a page table goes through here before it indexes anything: the
 * tables live in guest RAM, and an entry that fails this can only be
 * corruption (the caller kills the process that owns the table).
 */
bool
gk_frame_ok(const struct gk_palloc *pa, uint64_t gpa)
{
	uint64_t f = gpa / GK_PAGE;

	return !(gpa & (GK_PAGE - 1)) && f != 0 && f < pa->npages && bit_test(pa->bitmap, f);
}

/*
 * gk_frame_set_table - mark the frame at gpa (in use) as a page-table page,
 * or not. A table page is never a leaf: gk_leaf_frame_ok refuses it, so no
 * path can map a process's own tables into it.
 */
void
gk_frame_set_table(struct gk_palloc *pa, uint64_t gpa, bool table)
{
	GK_DEBUG_CHECK(gk_frame_ok(pa, gpa), "table frame %#llx not in use",
		       (unsigned long long)gpa);
	if (!gk_frame_ok(pa, gpa))
		return;
	if (table)
		bit_set(pa->table, gpa / GK_PAGE);
	else
		bit_clear(pa->table, gpa / GK_PAGE);
}

/* gk_frame_is_table - gk_frame_ok, and a page-table page. */
bool
gk_frame_is_table(const struct gk_palloc *pa, uint64_t gpa)
{
	return gk_frame_ok(pa, gpa) && bit_test(pa->table, gpa / GK_PAGE);
}

/* gk_leaf_frame_ok - gk_frame_ok, and not a page-table page: what a leaf may map. */
bool
gk_leaf_frame_ok(const struct gk_palloc *pa, uint64_t gpa)
{
	return gk_frame_ok(pa, gpa) && !bit_test(pa->table, gpa / GK_PAGE);
}

/*
 * gk_palloc_free - give npages frames from gpa back, whatever their
 * reference counts. Returns 0, or -EFAULT if some frame was not in use or
 * lies outside RAM: those are skipped (never indexed), the others freed.
 */
int
gk_palloc_free(struct gk_palloc *pa, uint64_t gpa, uint64_t npages)
{
	uint64_t f = gpa / GK_PAGE, i, freed = 0;
	int err = 0;

	if ((gpa & (GK_PAGE - 1)) || f >= pa->npages || npages > pa->npages - f) {
		GK_DEBUG_CHECK(0, "freeing frames %#llx+%llu outside RAM", (unsigned long long)gpa,
			       (unsigned long long)npages);
		return -EFAULT;
	}
	for (i = 0; i < npages; i++) {
		if (f + i == 0 || !bit_test(pa->bitmap, f + i)) {
			GK_DEBUG_CHECK(0, "freeing free frame %#llx",
				       (unsigned long long)((f + i) * GK_PAGE));
			err = -EFAULT;
			continue;
		}
		bit_clear(pa->bitmap, f + i);
		bit_clear(pa->table, f + i);
		pa->ref[f + i] = 0;
		freed++;
	}
	pa->nfree += freed;
	/* Small runs are cheaper to zero on reuse than to discard now. */
	if (!err && npages >= 16 && uvk_pmem_discard(pa->pm, gpa, npages * GK_PAGE) == 0)
		for (i = 0; i < npages; i++)
			bit_set(pa->clean, f + i);
	return err;
}

/*
 * gk_page_ref - one more mapping of the frame at gpa. Returns 0, -EFAULT if
 * gpa is not a frame in use (see gk_frame_ok), or -EAGAIN if its count is
 * at its maximum (the caller fails the fork that wanted it).
 */
int
gk_page_ref(struct gk_palloc *pa, uint64_t gpa)
{
	uint64_t f = gpa / GK_PAGE;

	if (!gk_leaf_frame_ok(pa, gpa) || pa->ref[f] == 0) {
		GK_DEBUG_CHECK(0, "reference to frame %#llx not in use", (unsigned long long)gpa);
		return -EFAULT;
	}
	if (pa->ref[f] == UINT16_MAX)
		return -EAGAIN;
	pa->ref[f]++;
	return 0;
}

/*
 * gk_page_drop - drop one reference; returns 1 when it was the last (the
 * caller then frees the frame, with others in a run, by gk_palloc_free), 0
 * when others remain, -EFAULT if gpa is not a referenced frame in use
 * (nothing is touched then).
 */
int
gk_page_drop(struct gk_palloc *pa, uint64_t gpa)
{
	uint64_t f = gpa / GK_PAGE;

	if (!gk_leaf_frame_ok(pa, gpa) || pa->ref[f] == 0) {
		GK_DEBUG_CHECK(0, "dropping frame %#llx not in use", (unsigned long long)gpa);
		return -EFAULT;
	}
	return --pa->ref[f] == 0;
}

/*
 * gk_page_unref - drop one reference; frees the frame and returns 1 when it
 * was the last, 0 when others remain, -EFAULT as gk_page_drop.
 */
int
gk_page_unref(struct gk_palloc *pa, uint64_t gpa)
{
	int rc = gk_page_drop(pa, gpa);

	if (rc == 1)
		gk_palloc_free(pa, gpa, 1);
	return rc;
}

/* gk_page_refs - the reference count of a frame in use, 0 for anything else. */
unsigned
gk_page_refs(const struct gk_palloc *pa, uint64_t gpa)
{
	return gk_frame_ok(pa, gpa) ? pa->ref[gpa / GK_PAGE] : 0;
}
