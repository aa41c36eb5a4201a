/*
 * tests/unit/vpt/test_edit.c - unit tests of the table editors
 * (uvk_vpt_enter, lookup, update, remove, foreach, destroy) against a fake
 * pmem with a bump allocator for table pages.
 *
 * Suite unit. Uses only <uvk/vpt.h>.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <uvk/vpt.h>

#define V  UVK_PTE_V
#define W  UVK_PTE_W
#define U  UVK_PTE_U
#define A  UVK_PTE_A
#define M  UVK_PTE_M
#define PS UVK_PTE_PS
#define NX UVK_PTE_NX

#define PAGE  UVK_PAGE_SIZE
#define ROOT  0ULL
#define PAGES 256

/* Pages from here up are data frames; tables are bump-allocated below. */
#define DATA_FIRST 200

enum alloc_mode { ALLOC_OK, ALLOC_UNALIGNED, ALLOC_OUTSIDE, ALLOC_DIRTY, ALLOC_ROOT };

struct pm {
	struct uvk_vpt_mem mem;
	uint64_t next;	/* next page the bump allocator hands out */
	uint64_t limit; /* first page it may not hand out */
	int allocs;	/* successful allocations */
	int fail_at;	/* allocation number that fails with -ENOMEM, or -1 */
	enum alloc_mode mode;
	uint64_t freed[PAGES];
	int nfreed;
	bool freed_dirty; /* free_fn got a page that was not zeroed */
};

static struct pm *
pm_new(uint64_t pages)
{
	struct pm *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->mem.size = pages * PAGE;
	p->mem.base = aligned_alloc(PAGE, p->mem.size);
	assert_non_null(p->mem.base);
	memset(p->mem.base, 0, p->mem.size);
	p->next = 1; /* page 0 is the root */
	p->limit = pages < DATA_FIRST ? pages : DATA_FIRST;
	p->fail_at = -1;
	return p;
}

static void
pm_free(struct pm *p)
{
	free(p->mem.base);
	free(p);
}

static int
setup(void **state)
{
	*state = pm_new(PAGES);
	return 0;
}

static int
teardown(void **state)
{
	pm_free(*state);
	return 0;
}

static int
bump_alloc(void *ctx, uint64_t *ret_gpa)
{
	struct pm *p = ctx;
	int n = p->allocs + 1;

	if (n == p->fail_at)
		return -ENOMEM;
	switch (p->mode) {
	case ALLOC_UNALIGNED:
		*ret_gpa = 10 * PAGE + 8;
		return 0;
	case ALLOC_OUTSIDE:
		*ret_gpa = p->mem.size;
		return 0;
	case ALLOC_DIRTY:
		*(uint64_t *)(void *)(p->mem.base + 10 * PAGE + 256) = 1;
		*ret_gpa = 10 * PAGE;
		return 0;
	case ALLOC_ROOT:
		*ret_gpa = ROOT;
		return 0;
	case ALLOC_OK:
		break;
	}
	if (p->next >= p->limit)
		return -ENOSPC;
	p->allocs++;
	*ret_gpa = p->next++ * PAGE;
	return 0;
}

static void
record_free(void *ctx, uint64_t gpa)
{
	struct pm *p = ctx;
	const uint8_t *b = p->mem.base + gpa;
	size_t i;

	assert_true(p->nfreed < PAGES);
	p->freed[p->nfreed++] = gpa;
	for (i = 0; i < PAGE; i++)
		if (b[i])
			p->freed_dirty = true;
	/* Scribble, as a real allocator's free list would. */
	memset(p->mem.base + gpa, 0xa5, 64);
}

static uint64_t *
ent(struct pm *p, uint64_t gpa)
{
	return (uint64_t *)(void *)(p->mem.base + gpa);
}

static unsigned
idx(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t
data(int n)
{
	return (uint64_t)(DATA_FIRST + n) * PAGE;
}

static int
enter(struct pm *p, uint64_t gva, uint64_t pte)
{
	return uvk_vpt_enter(&p->mem, ROOT, gva, pte, bump_alloc, p, NULL);
}

#define GVA 0x00007f0000123000ULL

static void
test_enter_builds_tables(void **state)
{
	struct pm *p = *state;
	uint64_t old = 77, pte = 0, pte_gpa = 0, t3, t2, t1;
	struct uvk_vpt_walk w;

	assert_int_equal(uvk_vpt_enter(&p->mem, ROOT, GVA, data(0) | V | U, bump_alloc, p, &old),
			 0);
	assert_int_equal(old, 0);
	assert_int_equal(p->allocs, 3);

	/* Intermediate entries are V|W|U links to the pages alloc handed out. */
	t3 = *ent(p, ROOT + 8 * idx(GVA, 4));
	assert_int_equal(t3, 1 * PAGE | V | W | U);
	t2 = *ent(p, (t3 & UVK_PTE_FRAME) + 8 * idx(GVA, 3));
	assert_int_equal(t2, 2 * PAGE | V | W | U);
	t1 = *ent(p, (t2 & UVK_PTE_FRAME) + 8 * idx(GVA, 2));
	assert_int_equal(t1, 3 * PAGE | V | W | U);
	assert_int_equal(*ent(p, 3 * PAGE + 8 * idx(GVA, 1)), data(0) | V | U);

	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, &pte, &pte_gpa), 0);
	assert_int_equal(pte, data(0) | V | U);
	assert_int_equal(pte_gpa, 3 * PAGE + 8 * idx(GVA, 1));
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA + 0x456, NULL, NULL), 0);

	/* The leaf alone decides the permission. */
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA + 0x10, UVK_ACCESS_READ, 0, &w), 0);
	assert_int_equal(w.gpa, data(0) + 0x10);
	assert_int_equal(w.prot, UVK_ACCESS_READ | UVK_ACCESS_EXEC);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, UVK_ACCESS_WRITE, 0, &w), -EACCES);
	assert_int_equal(w.level, 1);

	/* A neighbour reuses the tables; replacing returns the old leaf. */
	assert_int_equal(enter(p, GVA + PAGE, data(1) | V | W | U), 0);
	assert_int_equal(p->allocs, 3);
	old = 0;
	assert_int_equal(
	    uvk_vpt_enter(&p->mem, ROOT, GVA, data(2) | V | W | U | NX, bump_alloc, p, &old), 0);
	assert_int_equal(old, data(0) | V | U);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, &pte, NULL), 0);
	assert_int_equal(pte, data(2) | V | W | U | NX);

	/* Replacing a non-present entry hands back its raw value. */
	*ent(p, 3 * PAGE + 8 * idx(GVA + 2 * PAGE, 1)) = 0xabc0ULL;
	assert_int_equal(
	    uvk_vpt_enter(&p->mem, ROOT, GVA + 2 * PAGE, data(3) | V | U, bump_alloc, p, &old), 0);
	assert_int_equal(old, 0xabc0ULL);

	/* Top and bottom of the address space. */
	assert_int_equal(enter(p, 0, data(4) | V | U), 0);
	assert_int_equal(enter(p, UVK_VA_MAX - PAGE, data(5) | V | U), 0);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, UVK_VA_MAX - 1, UVK_ACCESS_READ, 0, &w), 0);
	assert_int_equal(w.gpa, data(5) + 0xfff);
}

static void
test_enter_invalid(void **state)
{
	struct pm *p = *state;
	uint64_t *snap = malloc(p->mem.size), old = 99;
	int bit;

	assert_non_null(snap);
	memcpy(snap, p->mem.base, p->mem.size);

	assert_int_equal(enter(p, GVA, data(0) | W | U), -EINVAL);
	assert_int_equal(enter(p, GVA, data(0) | V | U | PS), -EINVAL);
	assert_int_equal(enter(p, GVA, p->mem.size | V | U), -EINVAL);
	assert_int_equal(enter(p, GVA, UVK_PTE_FRAME | V | U), -EINVAL);
	for (bit = 0; bit < 64; bit++)
		if (UVK_PTE_RESERVED & (1ULL << bit))
			assert_int_equal(enter(p, GVA, data(0) | V | U | (1ULL << bit)), -EINVAL);
	assert_int_equal(enter(p, GVA + 8, data(0) | V | U), -EINVAL);
	assert_int_equal(enter(p, GVA + 0x800, data(0) | V | U), -EINVAL);
	assert_int_equal(enter(p, UVK_VA_MAX, data(0) | V | U), -EINVAL);
	assert_int_equal(enter(p, 0xffff800000000000ULL, data(0) | V | U), -EINVAL);
	assert_int_equal(uvk_vpt_enter(&p->mem, ROOT, GVA, 0, bump_alloc, p, &old), -EINVAL);
	assert_int_equal(old, 99);
	assert_int_equal(p->allocs, 0);
	assert_memory_equal(snap, p->mem.base, p->mem.size);

	/* A bad root is a garbage table, not a bad argument. */
	assert_int_equal(uvk_vpt_enter(&p->mem, 0x10, GVA, data(0) | V, bump_alloc, p, NULL),
			 -EFAULT);
	assert_int_equal(uvk_vpt_enter(&p->mem, p->mem.size, GVA, data(0) | V, bump_alloc, p, NULL),
			 -EFAULT);
	assert_int_equal(p->allocs, 0);
	free(snap);
}

/* Build ROOT -> 1 -> 2 by hand with a 2 MiB leaf for GVA in table 2. */
static void
huge_at(struct pm *p, uint64_t gva)
{
	*ent(p, ROOT + 8 * idx(gva, 4)) = 1 * PAGE | V | W | U;
	*ent(p, 1 * PAGE + 8 * idx(gva, 3)) = 2 * PAGE | V | W | U;
	*ent(p, 2 * PAGE + 8 * idx(gva, 2)) = 0x200000 | V | W | U | PS;
	p->next = 3;
}

static int
count_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	(*(int *)ctx)++;
	return 0;
}

static void
test_huge_leaf_is_not_edited(void **state)
{
	struct pm *p = pm_new(1040);
	uint64_t pte = 5, pte_gpa = 6, old = 7;
	int n = 0;

	(void)state;
	p->limit = 16;
	huge_at(p, GVA);
	assert_int_equal(enter(p, GVA, data(0) | V | U), -EEXIST);
	assert_int_equal(enter(p, (GVA & ~0x1fffffULL) + 0x1ff000, data(0) | V | U), -EEXIST);
	assert_int_equal(p->allocs, 0);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, &pte, &pte_gpa), -ENOENT);
	assert_int_equal(pte, 5);
	assert_int_equal(pte_gpa, 6);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, NX, 0, &old), -ENOENT);
	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, &old), -ENOENT);
	assert_int_equal(old, 7);
	assert_int_equal(*ent(p, 2 * PAGE + 8 * idx(GVA, 2)), 0x200000 | V | W | U | PS);
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, count_leaf, &n), 0);
	assert_int_equal(n, 0);

	/* A misaligned one is garbage, not a huge leaf. */
	*ent(p, 2 * PAGE + 8 * idx(GVA, 2)) = 0x201000 | V | W | U | PS;
	assert_int_equal(enter(p, GVA, data(0) | V | U), -EFAULT);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -EFAULT);

	/* destroy frees the three tables and not the 2 MiB frame. */
	*ent(p, 2 * PAGE + 8 * idx(GVA, 2)) = 0x200000 | V | W | U | PS;
	uvk_vpt_destroy(&p->mem, ROOT, record_free, p);
	assert_int_equal(p->nfreed, 3);
	assert_int_equal(p->freed[0], 2 * PAGE);
	assert_int_equal(p->freed[1], 1 * PAGE);
	assert_int_equal(p->freed[2], ROOT);
	pm_free(p);
}

/* Garbage on the way down: the editors stop with -EFAULT and write nothing. */
static void
test_garbage_intermediate(void **state)
{
	static const uint64_t bad[] = {
	    1 * PAGE | V | W | U | (1ULL << 3), /* reserved bit */
	    1 * PAGE | V | W | U | (1ULL << 60),
	    1 * PAGE | V | W | U | PS, /* PS at level 4 */
	    PAGES * PAGE | V | W | U,  /* beyond pmem */
	    ROOT | V | W | U,	       /* loop to the root */
	};
	struct pm *p = *state;
	uint64_t old = 3;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(p->mem.base, 0, p->mem.size);
		*ent(p, ROOT + 8 * idx(GVA, 4)) = bad[i];
		assert_int_equal(enter(p, GVA, data(0) | V | U), -EFAULT);
		assert_int_equal(p->allocs, 0);
		assert_int_equal(*ent(p, ROOT + 8 * idx(GVA, 4)), bad[i]);
		assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -EFAULT);
		assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, W, 0, &old), -EFAULT);
		assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, &old), -EFAULT);
		assert_int_equal(old, 3);
		assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, count_leaf, &n),
				 -EFAULT);
		assert_int_equal(n, 0);
	}

	/* Deeper: a level-2 entry pointing back at its parent. */
	memset(p->mem.base, 0, p->mem.size);
	assert_int_equal(enter(p, GVA, data(0) | V | U), 0);
	*ent(p, 2 * PAGE + 8 * idx(GVA, 2)) = 1 * PAGE | V | W | U;
	assert_int_equal(enter(p, GVA, data(0) | V | U), -EFAULT);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -EFAULT);
	assert_int_equal(p->allocs, 3);

	/* gva out of range. */
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, UVK_VA_MAX, NULL, NULL), -EFAULT);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, ~0ULL, W, 0, NULL), -EFAULT);
	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, UVK_VA_MAX + PAGE, NULL), -EFAULT);
}

static void
test_alloc_failure(void **state)
{
	struct pm *p = *state;
	uint64_t l4 = ROOT + 8 * idx(GVA, 4), old = 42;

	/* The first allocation fails: nothing changes. */
	p->fail_at = 1;
	assert_int_equal(uvk_vpt_enter(&p->mem, ROOT, GVA, data(0) | V, bump_alloc, p, &old),
			 -ENOMEM);
	assert_int_equal(*ent(p, l4), 0);
	assert_int_equal(old, 42);

	/* The second fails: the first table stays linked, empty. */
	p->fail_at = 2;
	assert_int_equal(enter(p, GVA, data(0) | V), -ENOMEM);
	assert_int_equal(*ent(p, l4), 1 * PAGE | V | W | U);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -ENOENT);
	assert_int_equal(p->allocs, 1);

	/* A retry picks up where it stopped. */
	p->fail_at = -1;
	assert_int_equal(enter(p, GVA, data(0) | V), 0);
	assert_int_equal(p->allocs, 3);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, &old, NULL), 0);
	assert_int_equal(old, data(0) | V);

	/* Running out is reported as the allocator says. */
	p->next = p->limit;
	assert_int_equal(enter(p, 0, data(0) | V), -ENOSPC);
}

static void
test_alloc_bad_page(void **state)
{
	static const enum alloc_mode modes[] = {
	    ALLOC_UNALIGNED,
	    ALLOC_OUTSIDE,
	    ALLOC_DIRTY,
	    ALLOC_ROOT,
	};
	struct pm *p = *state;
	size_t i;

	/* ALLOC_ROOT hands back the (still all-zero) root: a loop. */
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		memset(p->mem.base, 0, p->mem.size);
		p->mode = modes[i];
		assert_int_equal(enter(p, GVA, data(0) | V), -EFAULT);
		assert_int_equal(*ent(p, ROOT + 8 * idx(GVA, 4)), 0);
	}
}

static void
test_lookup(void **state)
{
	struct pm *p = *state;
	uint64_t pte = 1, pte_gpa = 2;

	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, &pte, &pte_gpa), -ENOENT);
	assert_int_equal(pte, 1);
	assert_int_equal(pte_gpa, 2);
	assert_int_equal(enter(p, GVA, data(0) | V | W | U), 0);

	/* Same L1 table, no leaf; then a non-present leaf with bits in it. */
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA + PAGE, &pte, &pte_gpa), -ENOENT);
	*ent(p, 3 * PAGE + 8 * idx(GVA + PAGE, 1)) = data(1) | W | U;
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA + PAGE, &pte, &pte_gpa), -ENOENT);
	assert_int_equal(pte, 1);

	/* Lookup reads only: A and M are not set. */
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA + 0xfff, &pte, &pte_gpa), 0);
	assert_int_equal(pte, data(0) | V | W | U);
	assert_int_equal(*ent(p, ROOT + 8 * idx(GVA, 4)), 1 * PAGE | V | W | U);

	assert_int_equal(uvk_vpt_lookup(&p->mem, 0x123000 + p->mem.size, GVA, NULL, NULL), -EFAULT);
	assert_int_equal(uvk_vpt_lookup(NULL, ROOT, GVA, NULL, NULL), -EFAULT);
}

static void
test_update(void **state)
{
	struct pm *p = *state;
	uint64_t old = 0, pte = 0, leaf;
	struct uvk_vpt_walk w;
	int bit;

	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, W, 0, &old), -ENOENT);
	assert_int_equal(enter(p, GVA, data(0) | V | W | U), 0);
	leaf = 3 * PAGE + 8 * idx(GVA, 1);

	/* Write-protect it (as for COW) and mark it with a SW bit. */
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, UVK_PTE_SW0, W, &old), 0);
	assert_int_equal(old, data(0) | V | W | U);
	assert_int_equal(*ent(p, leaf), data(0) | V | U | UVK_PTE_SW0);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, UVK_ACCESS_WRITE, 0, &w), -EACCES);

	/* Move it to another frame. */
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, data(1) | W | NX, UVK_PTE_FRAME, NULL),
			 0);
	assert_int_equal(*ent(p, leaf), data(1) | V | W | U | NX | UVK_PTE_SW0);

	/* Results that would be garbage are refused and change nothing. */
	pte = *ent(p, leaf);
	for (bit = 0; bit < 64; bit++)
		if (UVK_PTE_RESERVED & (1ULL << bit))
			assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, 1ULL << bit, 0, &old),
					 -EINVAL);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, PS, 0, &old), -EINVAL);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, p->mem.size, UVK_PTE_FRAME, &old),
			 -EINVAL);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, UVK_PTE_FRAME, 0, &old), -EINVAL);
	assert_int_equal(*ent(p, leaf), pte);

	/* Without V anything goes: it is only a non-present entry now. */
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, 0x7ff0000000000000ULL | PS, V, &old),
			 0);
	assert_int_equal(old, pte);
	assert_int_equal(*ent(p, leaf), (pte & ~V) | 0x7ff0000000000000ULL | PS);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -ENOENT);
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, GVA, V, 0, &old), -ENOENT);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, 0, 0, &w), -ENOENT);
}

static void
test_remove(void **state)
{
	struct pm *p = *state;
	uint64_t old = 0, leaf;

	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, &old), -ENOENT);
	assert_int_equal(enter(p, GVA, data(0) | V | W | U), 0);
	assert_int_equal(enter(p, GVA + PAGE, data(1) | V | U), 0);
	leaf = 3 * PAGE + 8 * idx(GVA, 1);

	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, &old), 0);
	assert_int_equal(old, data(0) | V | W | U);
	assert_int_equal(*ent(p, leaf), 0);
	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, &old), -ENOENT);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA, NULL, NULL), -ENOENT);
	/* The neighbour is untouched. */
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, GVA + PAGE, &old, NULL), 0);
	assert_int_equal(old, data(1) | V | U);

	/* A non-present entry is not removed, nor cleared. */
	*ent(p, leaf) = 0x5000;
	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA, NULL), -ENOENT);
	assert_int_equal(*ent(p, leaf), 0x5000);
	assert_int_equal(uvk_vpt_remove(&p->mem, ROOT, GVA + PAGE, NULL), 0);
}

struct visits {
	int n;
	int stop_at; /* return 42 from this visit (1-based), or 0 */
	uint64_t gva[64];
	uint64_t *pte[64];
};

static int
record_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct visits *v = ctx;

	assert_true(v->n < 64);
	v->gva[v->n] = gva;
	v->pte[v->n] = pte;
	v->n++;
	return v->n == v->stop_at ? 42 : 0;
}

static int
set_sw1(void *ctx, uint64_t gva, uint64_t *pte)
{
	*pte |= UVK_PTE_SW1;
	return 0;
}

/* Sorted, spread over many L4 entries, with some neighbours. */
static const uint64_t sparse[] = {
    0x0000000000000000ULL,
    0x0000000000001000ULL,
    0x0000000000200000ULL,
    0x0000008000000000ULL,		   /* L4 1 */
    (37ULL << 39) | (3ULL << 30) | 0x5000, /* L4 37 */
    (100ULL << 39) | (511ULL << 21),	   /* L4 100 */
    (100ULL << 39) | (511ULL << 21) | 0x1ff000,
    (200ULL << 39) | (7ULL << 30) | (9ULL << 21) | 0x3000,
    UVK_VA_MAX - 2 * PAGE, /* L4 255 */
    UVK_VA_MAX - PAGE,
};
#define NSPARSE (sizeof(sparse) / sizeof(sparse[0]))

static void
enter_sparse(struct pm *p)
{
	size_t i;

	for (i = 0; i < NSPARSE; i++)
		assert_int_equal(enter(p, sparse[i], data((int)i) | V | U), 0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_foreach_sparse(void **state)
{
	struct pm *p = *state;
	struct visits v = {0};
	uint64_t pte_gpa;
	double t0;
	size_t i;

	enter_sparse(p);
	t0 = now();
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, ~0ULL, record_leaf, &v), 0);
	/* 2^35 pages in range; descending level by level takes microseconds. */
	assert_true(now() - t0 < 1.0);
	assert_int_equal(v.n, NSPARSE);
	for (i = 0; i < NSPARSE; i++) {
		assert_int_equal(v.gva[i], sparse[i]);
		assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, sparse[i], NULL, &pte_gpa), 0);
		assert_ptr_equal(v.pte[i], ent(p, pte_gpa));
		assert_int_equal(*v.pte[i], data((int)i) | V | U);
	}

	/* [start, end): end exclusive, an unaligned start takes its page. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0x1fff, sparse[6], record_leaf, &v), 0);
	assert_int_equal(v.n, 5);
	assert_int_equal(v.gva[0], sparse[1]);
	assert_int_equal(v.gva[4], sparse[5]);

	memset(&v, 0, sizeof(v));
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, sparse[6], sparse[6] + 1, record_leaf, &v),
			 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.gva[0], sparse[6]);

	memset(&v, 0, sizeof(v));
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0x2000, 0x200000, record_leaf, &v), 0);
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, sparse[5], sparse[5], record_leaf, &v), 0);
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, UVK_VA_MAX, ~0ULL, record_leaf, &v), 0);
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, sparse[7], sparse[2], record_leaf, &v), 0);
	assert_int_equal(v.n, 0);

	/* Early stop hands back fn's value. */
	memset(&v, 0, sizeof(v));
	v.stop_at = 3;
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, record_leaf, &v), 42);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.gva[2], sparse[2]);

	/* fn may change the entry in place. */
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, set_sw1, NULL), 0);
	for (i = 0; i < NSPARSE; i++) {
		uint64_t pte;

		assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, sparse[i], &pte, NULL), 0);
		assert_int_equal(pte, data((int)i) | V | U | UVK_PTE_SW1);
	}

	/* Non-present leaves are skipped. */
	assert_int_equal(uvk_vpt_update(&p->mem, ROOT, sparse[4], 0, V, NULL), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, record_leaf, &v), 0);
	assert_int_equal(v.n, NSPARSE - 1);
	assert_int_equal(v.gva[4], sparse[5]);

	assert_int_equal(uvk_vpt_foreach(&p->mem, 0x800, 0, UVK_VA_MAX, record_leaf, &v), -EFAULT);
}

static void
test_foreach_stops_at_garbage(void **state)
{
	struct pm *p = *state;
	struct visits v = {0};
	uint64_t l4 = ROOT + 8 * (37 * 1ULL);

	enter_sparse(p);
	/* Corrupt the L4 entry of sparse[4]: everything before it is visited. */
	*ent(p, l4) |= 1ULL << 55;
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, 0, UVK_VA_MAX, record_leaf, &v), -EFAULT);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.gva[3], sparse[3]);
	/* A range that does not reach it does not see it. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(uvk_vpt_foreach(&p->mem, ROOT, sparse[5], UVK_VA_MAX, record_leaf, &v), 0);
	assert_int_equal(v.n, NSPARSE - 5);
}

/* Collect the (parent, child) links of a sound tree, for the order check. */
static int
collect_links(struct pm *p, uint64_t table, int level, uint64_t links[][2], int n)
{
	int i;

	if (level == 1)
		return n;
	for (i = 0; i < 512; i++) {
		uint64_t pte = *ent(p, table + 8 * i);

		if (!(pte & V) || (pte & PS))
			continue;
		links[n][0] = table;
		links[n][1] = pte & UVK_PTE_FRAME;
		n = collect_links(p, pte & UVK_PTE_FRAME, level - 1, links, n + 1);
	}
	return n;
}

static int
freed_pos(struct pm *p, uint64_t gpa)
{
	int i, pos = -1;

	for (i = 0; i < p->nfreed; i++) {
		if (p->freed[i] == gpa) {
			assert_int_equal(pos, -1); /* freed once */
			pos = i;
		}
	}
	return pos;
}

static void
test_destroy(void **state)
{
	struct pm *p = *state;
	uint64_t links[PAGES][2];
	int nlinks, i;
	uint64_t t;

	enter_sparse(p);
	nlinks = collect_links(p, ROOT, 4, links, 0);
	assert_int_equal(nlinks, p->allocs);
	uvk_vpt_destroy(&p->mem, ROOT, record_free, p);

	/* Every table once, root last, children before parents, all zeroed. */
	assert_int_equal(p->nfreed, p->allocs + 1);
	assert_int_equal(p->freed[p->nfreed - 1], ROOT);
	for (t = 0; t < p->next; t++)
		assert_true(freed_pos(p, t * PAGE) >= 0);
	for (i = 0; i < nlinks; i++)
		assert_true(freed_pos(p, links[i][1]) < freed_pos(p, links[i][0]));
	assert_false(p->freed_dirty);
	/* Leaf frames are the caller's. */
	for (i = 0; i < (int)NSPARSE; i++)
		assert_int_equal(freed_pos(p, data(i)), -1);
}

static void
test_destroy_skips_garbage(void **state)
{
	struct pm *p = *state;
	int i;

	assert_int_equal(enter(p, 10ULL << 39, data(0) | V | U), 0); /* tables 1, 2, 3 */
	assert_int_equal(enter(p, 11ULL << 39, data(1) | V | U), 0); /* tables 4, 5, 6 */
	assert_int_equal(p->allocs, 6);

	/*
	 * L4 entries 10 and 12 share table 1, with another subtree between
	 * them; the walker accepts that (no loop), destroy frees it once.
	 */
	*ent(p, ROOT + 8 * 12) = *ent(p, ROOT + 8 * 10);
	assert_int_equal(uvk_vpt_lookup(&p->mem, ROOT, 12ULL << 39, NULL, NULL), 0);
	/* Loops, garbage and out-of-range entries that destroy must not follow. */
	*ent(p, ROOT + 8 * 20) = ROOT | V | W | U;
	*ent(p, ROOT + 8 * 21) = 50 * PAGE | V | W | U | (1ULL << 4);
	*ent(p, ROOT + 8 * 22) = 51 * PAGE | V | W | U | PS;
	*ent(p, ROOT + 8 * 23) = PAGES * PAGE | V | W | U;
	*ent(p, ROOT + 8 * 24) = 52 * PAGE | W | U;	  /* not present */
	*ent(p, 1 * PAGE + 8 * 1) = 1 * PAGE | V | W | U; /* self */
	*ent(p, 2 * PAGE + 8 * 2) = ROOT | V | W | U;	  /* the root */
	/* 50..52 would be freed if followed: make them look like tables. */
	*ent(p, 50 * PAGE) = 60 * PAGE | V;
	*ent(p, 51 * PAGE) = 61 * PAGE | V;
	*ent(p, 52 * PAGE) = 62 * PAGE | V;

	uvk_vpt_destroy(&p->mem, ROOT, record_free, p);
	assert_int_equal(p->nfreed, 7);
	for (i = 0; i < 7; i++)
		assert_true(freed_pos(p, (uint64_t)i * PAGE) >= 0);
	assert_int_equal(p->freed[6], ROOT);
	assert_true(freed_pos(p, 3 * PAGE) < freed_pos(p, 2 * PAGE));
	assert_true(freed_pos(p, 2 * PAGE) < freed_pos(p, 1 * PAGE));
	assert_true(freed_pos(p, 6 * PAGE) < freed_pos(p, 5 * PAGE));
	assert_true(freed_pos(p, 5 * PAGE) < freed_pos(p, 4 * PAGE));
	assert_false(p->freed_dirty);

	/* Bad root, NULL free_fn: nothing happens. */
	p->nfreed = 0;
	uvk_vpt_destroy(&p->mem, 0x10, record_free, p);
	uvk_vpt_destroy(&p->mem, p->mem.size, record_free, p);
	uvk_vpt_destroy(NULL, ROOT, record_free, p);
	uvk_vpt_destroy(&p->mem, ROOT, NULL, p);
	assert_int_equal(p->nfreed, 0);

	/* An empty root is freed alone. */
	memset(p->mem.base, 0, PAGE);
	uvk_vpt_destroy(&p->mem, ROOT, record_free, p);
	assert_int_equal(p->nfreed, 1);
	assert_int_equal(p->freed[0], ROOT);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * foreach and destroy over random garbage: they must end, foreach with 0 or
 * -EFAULT, destroy giving back each page at most once. Entries are sparse
 * (one in 32 present) so that shared subtrees do not multiply foreach's
 * work beyond reason.
 */
static void
test_random_garbage(void **state)
{
	struct pm *p = pm_new(64);
	uint64_t *words = (uint64_t *)(void *)p->mem.base;
	uint64_t s = 0x243f6a8885a308d3ULL, n = p->mem.size / 8, root, i, r;
	int iter, leaves, rc, j, faults = 0;

	(void)state;
	for (iter = 0; iter < 300; iter++) {
		for (i = 0; i < n; i++) {
			r = rnd(&s);
			words[i] = 0;
			if (r % 32)
				continue;
			words[i] = ((rnd(&s) % (p->mem.size + p->mem.size / 8)) & UVK_PAGE_MASK) |
				   ((r >> 8) & 0xfff) | V;
			if ((r >> 24) % 8 == 0)
				words[i] |= 1ULL << (52 + (r >> 28) % 11);
		}
		root = (rnd(&s) % (p->mem.size + p->mem.size / 16)) & UVK_PAGE_MASK;
		leaves = 0;
		rc = uvk_vpt_foreach(&p->mem, root, 0, UVK_VA_MAX, count_leaf, &leaves);
		assert_true(rc == 0 || rc == -EFAULT);
		faults += rc == -EFAULT;

		p->nfreed = 0;
		uvk_vpt_destroy(&p->mem, root, record_free, p);
		for (j = 0; j < p->nfreed; j++) {
			assert_true(p->freed[j] < p->mem.size);
			assert_int_equal(p->freed[j] & ~UVK_PAGE_MASK, 0);
			freed_pos(p, p->freed[j]);
		}
		if (root < p->mem.size)
			assert_int_equal(p->freed[p->nfreed - 1], root);
		else
			assert_int_equal(p->nfreed, 0);
	}
	assert_true(faults > 0);
	pm_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enter_builds_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enter_invalid, setup, teardown),
	    cmocka_unit_test(test_huge_leaf_is_not_edited),
	    cmocka_unit_test_setup_teardown(test_garbage_intermediate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_bad_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreach_sparse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreach_stops_at_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_skips_garbage, setup, teardown),
	    cmocka_unit_test(test_random_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
