/*
 * tests/unit/vpt/test_hostile.c - the walker and the editors over tables a
 * hostile guest wrote: frame numbers beyond pmem at every level, leaves that
 * map their own tables, and random garbage in a pmem fenced by inaccessible
 * pages, so that any read or write outside it kills the test.
 *
 * Suite unit. Uses only <uvk/vpt.h>. The fake pmem is an anonymous mapping
 * with a PROT_NONE page on each side (mmap/mprotect are the test's own
 * calls; src/vpt makes none).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <uvk/vpt.h>

#define V    UVK_PTE_V
#define W    UVK_PTE_W
#define U    UVK_PTE_U
#define PS   UVK_PTE_PS
#define PAGE UVK_PAGE_SIZE
#define LINK (V | W | U)

/* The chain for GVA: one table per level, then data pages. */
#define ROOT 0x0000ULL
#define T3   0x1000ULL
#define T2   0x2000ULL
#define T1   0x3000ULL
#define DATA 0x8000ULL

#define GVA ((5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12))

#define PAGES 64

struct fenced {
	struct uvk_vpt_mem mem;
	uint8_t *map;
	size_t maplen;
};

/* pages of zeroed pmem between two inaccessible pages. */
static struct fenced *
fenced_new(uint64_t pages)
{
	struct fenced *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->maplen = (pages + 2) * PAGE;
	f->map = mmap(NULL, f->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->map != MAP_FAILED);
	assert_int_equal(mprotect(f->map, PAGE, PROT_NONE), 0);
	assert_int_equal(mprotect(f->map + (pages + 1) * PAGE, PAGE, PROT_NONE), 0);
	f->mem.base = f->map + PAGE;
	f->mem.size = pages * PAGE;
	return f;
}

static int
setup(void **state)
{
	*state = fenced_new(PAGES);
	return 0;
}

static int
teardown(void **state)
{
	struct fenced *f = *state;

	munmap(f->map, f->maplen);
	free(f);
	return 0;
}

static uint64_t *
ent(struct fenced *f, uint64_t gpa)
{
	return (uint64_t *)(void *)(f->mem.base + gpa);
}

static unsigned
idx(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

/* ROOT -> T3 -> T2 -> T1 for GVA, the leaf left empty; returns the leaf's gpa. */
static uint64_t
chain(struct fenced *f)
{
	memset(f->mem.base, 0, f->mem.size);
	*ent(f, ROOT + 8 * idx(GVA, 4)) = T3 | LINK;
	*ent(f, T3 + 8 * idx(GVA, 3)) = T2 | LINK;
	*ent(f, T2 + 8 * idx(GVA, 2)) = T1 | LINK;
	return T1 + 8 * idx(GVA, 1);
}

/* Frame numbers a guest could write that are not inside pmem. */
static uint64_t
bad_frame(const struct fenced *f, int i)
{
	const uint64_t frames[] = {
	    f->mem.size,	       /* one page past the end */
	    f->mem.size + 1000 * PAGE, /* far past it */
	    0x000ffffffff00000ULL,     /* the finding's frame: near 2^52 */
	    UVK_PTE_FRAME,	       /* every frame bit */
	    1ULL << 32,		       /* a 32-bit wrap */
	};

	return i < (int)(sizeof(frames) / sizeof(frames[0])) ? frames[i] : ~0ULL;
}

static int
no_alloc(void *ctx, uint64_t *ret_gpa)
{
	(void)ctx;
	(void)ret_gpa;
	fail_msg("no table should be allocated");
	return -ENOMEM;
}

struct seen {
	const struct fenced *f;
	int calls;
	uint64_t last;
};

static int
count_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct seen *s = ctx;

	(void)gva;
	s->calls++;
	s->last = *pte;
	return 0;
}

/* Each level in turn holds a frame beyond pmem: nothing follows it, nothing reads past pmem. */
static void
test_frames_beyond_pmem_at_every_level(void **state)
{
	struct fenced *f = *state;
	const uint64_t tables[] = {ROOT, T3, T2, T1};
	struct uvk_vpt_walk w;
	uint64_t pte, old;
	int level, i;

	for (level = 4; level >= 1; level--) {
		for (i = 0; bad_frame(f, i) != ~0ULL; i++) {
			uint64_t leaf = chain(f), e = tables[4 - level] + 8 * idx(GVA, level);
			struct seen s = {f, 0, 0};

			*ent(f, leaf) = DATA | V | U;
			*ent(f, e) = bad_frame(f, i) | (level == 1 ? V | U : LINK);

			assert_int_equal(uvk_vpt_walk(&f->mem, ROOT, GVA, UVK_ACCESS_READ,
						      UVK_VPT_SET_AM, &w),
					 -EFAULT);
			assert_int_equal(w.level, level);
			assert_int_equal(w.pte_gpa, e);
			assert_int_equal(uvk_vpt_lookup(&f->mem, ROOT, GVA, &pte, NULL), -EFAULT);
			/* A new leaf over a garbage table is refused, the garbage kept. */
			if (level > 1) {
				assert_int_equal(uvk_vpt_enter(&f->mem, ROOT, GVA, DATA | V | U,
							       no_alloc, NULL, &old),
						 -EFAULT);
				assert_int_equal(uvk_vpt_remove(&f->mem, ROOT, GVA, &old), -EFAULT);
				assert_int_equal(uvk_vpt_foreach(&f->mem, ROOT, 0, UVK_VA_MAX,
								 count_leaf, &s),
						 -EFAULT);
				assert_int_equal(s.calls, 0);
			} else {
				/* foreach hands the raw leaf over for its caller to judge... */
				assert_int_equal(uvk_vpt_foreach(&f->mem, ROOT, 0, UVK_VA_MAX,
								 count_leaf, &s),
						 0);
				assert_int_equal(s.calls, 1);
				assert_int_equal(s.last, *ent(f, e));
				/* ...update refuses to keep it valid, remove clears it. */
				assert_int_equal(uvk_vpt_update(&f->mem, ROOT, GVA, W, 0, &old),
						 -EINVAL);
				assert_int_equal(uvk_vpt_remove(&f->mem, ROOT, GVA, &old), 0);
				assert_int_equal(old, bad_frame(f, i) | V | U);
				assert_int_equal(*ent(f, e), 0);
			}
			assert_int_equal(*ent(f, e) & UVK_PTE_A, 0);
		}
	}
}

/* Updates and enters cannot make a leaf beyond pmem out of a sound one. */
static void
test_editors_refuse_frames_beyond_pmem(void **state)
{
	struct fenced *f = *state;
	uint64_t leaf = chain(f), old;
	int i;

	assert_int_equal(uvk_vpt_enter(&f->mem, ROOT, GVA, DATA | V | U, no_alloc, NULL, &old), 0);
	for (i = 0; bad_frame(f, i) != ~0ULL; i++) {
		uint64_t frame = bad_frame(f, i) & UVK_PTE_FRAME;

		assert_int_equal(uvk_vpt_enter(&f->mem, ROOT, GVA, frame | V | U, no_alloc, NULL,
					       &old),
				 -EINVAL);
		assert_int_equal(uvk_vpt_update(&f->mem, ROOT, GVA, frame, UVK_PTE_FRAME, &old),
				 -EINVAL);
		assert_int_equal(*ent(f, leaf), DATA | V | U);
	}
}

/* A leaf over one of its own tables would let the process write its translations. */
static void
test_leaf_maps_own_table(void **state)
{
	struct fenced *f = *state;
	const uint64_t tables[] = {ROOT, T3, T2, T1};
	struct uvk_vpt_walk w;
	uint64_t leaf, old;
	int i;

	for (i = 0; i < 4; i++) {
		leaf = chain(f);
		*ent(f, leaf) = tables[i] | V | W | U;
		assert_int_equal(uvk_vpt_walk(&f->mem, ROOT, GVA, UVK_ACCESS_WRITE, UVK_VPT_SET_AM,
					      &w),
				 -EFAULT);
		assert_int_equal(w.level, 1);
		assert_int_equal(uvk_vpt_lookup(&f->mem, ROOT, GVA, NULL, NULL), -EFAULT);
		assert_int_equal(uvk_vpt_update(&f->mem, ROOT, GVA, UVK_PTE_A, 0, &old), -EINVAL);
		assert_int_equal(uvk_vpt_remove(&f->mem, ROOT, GVA, &old), 0);
		assert_int_equal(uvk_vpt_enter(&f->mem, ROOT, GVA, tables[i] | V | U, no_alloc,
					       NULL, &old),
				 -EFAULT);
		assert_int_equal(*ent(f, leaf), 0);
		/* Moving a sound leaf onto a table is refused too. */
		assert_int_equal(uvk_vpt_enter(&f->mem, ROOT, GVA, DATA | V | U, no_alloc, NULL,
					       &old),
				 0);
		assert_int_equal(uvk_vpt_update(&f->mem, ROOT, GVA, tables[i], UVK_PTE_FRAME,
						&old),
				 -EINVAL);
		assert_int_equal(*ent(f, leaf), DATA | V | U);
	}
}

/* A 2 MiB leaf whose range holds one of the tables above it is garbage. */
static void
test_huge_leaf_over_own_table(void **state)
{
	struct fenced *f;
	struct uvk_vpt_walk w;

	(void)state;
	f = fenced_new(1024 + 16); /* a little over 4 MiB */
	chain(f);
	*ent(f, T2 + 8 * idx(GVA, 2)) = 0 | PS | V | U;
	assert_int_equal(uvk_vpt_walk(&f->mem, ROOT, GVA, UVK_ACCESS_READ, 0, &w), -EFAULT);
	assert_int_equal(w.level, 2);
	*ent(f, T2 + 8 * idx(GVA, 2)) = UVK_HUGE_SIZE | PS | V | U;
	assert_int_equal(uvk_vpt_walk(&f->mem, ROOT, GVA, UVK_ACCESS_READ, 0, &w), 0);
	assert_int_equal(w.gpa, UVK_HUGE_SIZE + (GVA & (UVK_HUGE_SIZE - 1)));
	teardown((void **)&f);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* An entry a hostile guest might write: mostly plausible, with bad frames and bits. */
static uint64_t
garbage(const struct fenced *f)
{
	uint64_t frame;

	switch (rnd() % 6) {
	case 0:
		return 0;
	case 1:
		frame = bad_frame(f, (int)(rnd() % 5));
		break;
	case 2:
		frame = rnd();
		break;
	default:
		frame = (rnd() % PAGES) * PAGE;
		break;
	}
	return (frame & UVK_PTE_FRAME) | LINK | (rnd() % 4 == 0 ? rnd() & ~UVK_PTE_FRAME : 0);
}

static int
check_leaf(void *ctx, uint64_t gva, uint64_t *pte)
{
	struct seen *s = ctx;

	assert_true(gva < UVK_VA_MAX);
	/* The entry itself lies in pmem: reading it did not fault. */
	assert_true((uint8_t *)pte >= s->f->mem.base &&
		    (uint8_t *)pte < s->f->mem.base + s->f->mem.size);
	s->calls++;
	if (s->calls % 3 == 0)
		*pte = 0;
	return 0;
}

static void
check_free(void *ctx, uint64_t gpa)
{
	struct seen *s = ctx;

	assert_int_equal(gpa & (PAGE - 1), 0);
	assert_true(gpa < s->f->mem.size);
	s->calls++;
}

static int
bump(void *ctx, uint64_t *ret_gpa)
{
	struct fenced *f = ctx;
	uint64_t p;

	/* A zeroed page from the top quarter, or a refusal. */
	p = (PAGES - 1 - rnd() % (PAGES / 4)) * PAGE;
	memset(f->mem.base + p, 0, PAGE);
	*ret_gpa = p;
	return rnd() % 8 == 0 ? -ENOMEM : 0;
}

/* Random garbage everywhere: every call returns, nothing outside pmem is touched. */
static void
test_random_tables_stay_inside(void **state)
{
	struct fenced *f = *state;
	struct uvk_vpt_walk w;
	uint64_t gva, old, *e;
	int round, i;

	for (round = 0; round < 2000; round++) {
		struct seen s = {f, 0, 0};

		for (i = 0; i < 64; i++) {
			e = ent(f, (rnd() % PAGES) * PAGE + 8 * (rnd() % 512));
			*e = garbage(f);
		}
		/* Addresses that use the entries the chain walk meets most. */
		gva = (rnd() & (UVK_VA_MAX - 1)) & UVK_PAGE_MASK;
		if (rnd() % 2)
			gva = GVA;
		(void)uvk_vpt_walk(&f->mem, ROOT, gva, (unsigned)rnd() & 7, UVK_VPT_SET_AM, &w);
		(void)uvk_vpt_lookup(&f->mem, ROOT, gva, &old, NULL);
		(void)uvk_vpt_update(&f->mem, ROOT, gva, rnd() & ~UVK_PTE_V, rnd(), &old);
		(void)uvk_vpt_enter(&f->mem, ROOT, gva, DATA | V | U, bump, f, &old);
		(void)uvk_vpt_remove(&f->mem, ROOT, gva, &old);
		(void)uvk_vpt_foreach(&f->mem, ROOT, 0, UVK_VA_MAX, check_leaf, &s);
		if (round % 100 == 99) {
			s.calls = 0;
			uvk_vpt_destroy(&f->mem, ROOT, check_free, &s);
			assert_true(s.calls >= 1 && s.calls <= PAGES);
			memset(f->mem.base, 0, f->mem.size);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_frames_beyond_pmem_at_every_level, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_editors_refuse_frames_beyond_pmem, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_leaf_maps_own_table, setup, teardown),
	    cmocka_unit_test(test_huge_leaf_over_own_table),
	    cmocka_unit_test_setup_teardown(test_random_tables_stay_inside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
