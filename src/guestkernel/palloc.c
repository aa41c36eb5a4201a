/*
 * palloc.c - the physical page allocator over pmem.
 *
 * Layer src/guestkernel. A bitmap with a next-fit cursor: a request for n
 * pages gets the longest free run up to n starting at the cursor, so that
 * consecutive requests (a VMA faulted in chunk by chunk) land on consecutive
 * frames and the host mappings the library makes from them merge. Frame 0 is
 * never handed out, so gpa 0 can mean "none". Page-table pages come from here
 * too. Frames are zeroed when handed out (a freed frame holds its last
 * user's data), unless they are known clean: never used since boot, or
 * since a large freed run was given back to the host with uvk_pmem_discard
 * (so that a guest that frees memory frees host RAM). A clean frame is a
 * hole of the memfd: zeroing it in the tracer would only make the host
 * allocate and clear it twice.
 *
 * Must not: touch page tables or vmspaces. Callers keep track of what they own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gk.h"

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
	if (!pa->bitmap || !pa->clean || !pa->ref) {
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

/* gk_palloc_free - give npages frames from gpa back, whatever their reference counts. */
void
gk_palloc_free(struct gk_palloc *pa, uint64_t gpa, uint64_t npages)
{
	uint64_t f = gpa / GK_PAGE, i;

	for (i = 0; i < npages; i++) {
		if (f + i == 0 || f + i >= pa->npages || !bit_test(pa->bitmap, f + i))
			gk_panic(__func__, "freeing free frame %#llx",
				 (unsigned long long)((f + i) * GK_PAGE));
		bit_clear(pa->bitmap, f + i);
		pa->ref[f + i] = 0;
	}
	pa->nfree += npages;
	/* Small runs are cheaper to zero on reuse than to discard now. */
	if (npages >= 16 && uvk_pmem_discard(pa->pm, gpa, npages * GK_PAGE) == 0)
		for (i = 0; i < npages; i++)
			bit_set(pa->clean, f + i);
}

void
gk_page_ref(struct gk_palloc *pa, uint64_t gpa)
{
	pa->ref[gpa / GK_PAGE]++;
}

/*
 * gk_page_drop - drop one reference; returns 1 when it was the last, and
 * the caller then frees the frame (with others, in a run) by gk_palloc_free.
 */
int
gk_page_drop(struct gk_palloc *pa, uint64_t gpa)
{
	uint64_t f = gpa / GK_PAGE;

	if (pa->ref[f] == 0)
		gk_panic(__func__, "frame %#llx has no reference", (unsigned long long)gpa);
	return --pa->ref[f] == 0;
}

/* gk_page_unref - drop one reference; frees the frame and returns 1 when it was the last. */
int
gk_page_unref(struct gk_palloc *pa, uint64_t gpa)
{
	uint64_t f = gpa / GK_PAGE;

	if (pa->ref[f] == 0)
		gk_panic(__func__, "frame %#llx has no reference", (unsigned long long)gpa);
	if (--pa->ref[f] > 0)
		return 0;
	gk_palloc_free(pa, gpa, 1);
	return 1;
}
