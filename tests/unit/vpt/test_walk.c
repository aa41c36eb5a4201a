/*
 * tests/unit/vpt/test_walk.c - unit tests of uvk_vpt_walk() against a fake
 * pmem: every permission case at every level, A/M updates, 2 MiB leaves,
 * garbage tables, and a randomized run over garbage that must never crash.
 *
 * Suite unit. Uses only <uvk/vpt.h>; tables are built by hand so that each
 * test controls every bit of every level.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uvk/vpt.h>

#define V  UVK_PTE_V
#define W  UVK_PTE_W
#define U  UVK_PTE_U
#define A  UVK_PTE_A
#define M  UVK_PTE_M
#define PS UVK_PTE_PS
#define NX UVK_PTE_NX

#define R_ UVK_ACCESS_READ
#define W_ UVK_ACCESS_WRITE
#define X_ UVK_ACCESS_EXEC

/* Fixed layout of the hand-built chain: one table per level, one data page. */
#define ROOT 0x0000ULL
#define T3   0x1000ULL
#define T2   0x2000ULL
#define T1   0x3000ULL
#define DATA 0x8000ULL

/* An address with a different index at each level and an offset. */
#define GVA ((5ULL << 39) | (6ULL << 30) | (7ULL << 21) | (8ULL << 12) | 0x123)

#define SMALL_PAGES 64
#define BIG_PAGES   1040 /* a little over 4 MiB, for 2 MiB leaves */

struct pm {
	struct uvk_vpt_mem mem;
	uint8_t *snap;
};

static struct pm *
pm_new(uint64_t pages)
{
	struct pm *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->mem.size = pages * UVK_PAGE_SIZE;
	p->mem.base = aligned_alloc(UVK_PAGE_SIZE, p->mem.size);
	p->snap = malloc(p->mem.size);
	assert_non_null(p->mem.base);
	assert_non_null(p->snap);
	memset(p->mem.base, 0, p->mem.size);
	return p;
}

static void
pm_free(struct pm *p)
{
	free(p->mem.base);
	free(p->snap);
	free(p);
}

static int
setup_small(void **state)
{
	*state = pm_new(SMALL_PAGES);
	return 0;
}

static int
setup_big(void **state)
{
	*state = pm_new(BIG_PAGES);
	return 0;
}

static int
teardown(void **state)
{
	pm_free(*state);
	return 0;
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

/* Table holding the level-`level` entry in the fixed chain. */
static uint64_t
table_of(int level)
{
	static const uint64_t t[5] = {0, T1, T2, T3, ROOT};

	return t[level];
}

static uint64_t
entry_gpa(uint64_t gva, int level)
{
	return table_of(level) + 8 * idx(gva, level);
}

/* Next thing each level points to in the fixed chain. */
static uint64_t
target_of(int level)
{
	static const uint64_t t[5] = {0, DATA, T1, T2, T3};

	return t[level];
}

/* Build ROOT -> T3 -> T2 -> T1 -> DATA for gva, flags[level] on each entry. */
static void
chain(struct pm *p, uint64_t gva, const uint64_t flags[5])
{
	int level;

	for (level = 4; level >= 1; level--)
		*ent(p, entry_gpa(gva, level)) = target_of(level) | flags[level];
}

static void
chain_all(struct pm *p, uint64_t gva, uint64_t f)
{
	const uint64_t flags[5] = {0, f, f, f, f};

	chain(p, gva, flags);
}

static void
snap(struct pm *p)
{
	memcpy(p->snap, p->mem.base, p->mem.size);
}

static void
assert_unchanged(struct pm *p)
{
	assert_memory_equal(p->snap, p->mem.base, p->mem.size);
}

static void
assert_failed_at(const struct uvk_vpt_walk *w, int level, uint64_t pte_gpa, uint64_t pte)
{
	assert_int_equal(w->level, level);
	assert_int_equal(w->pte_gpa, pte_gpa);
	assert_int_equal(w->pte, pte);
	assert_int_equal(w->gpa, 0);
}

static void
test_full_chain_translates(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	chain_all(p, GVA, V | W | U);
	snap(p);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_ | W_ | X_, 0, &w), 0);
	assert_int_equal(w.gpa, DATA + 0x123);
	assert_int_equal(w.pte, DATA | V | W | U);
	assert_int_equal(w.pte_gpa, entry_gpa(GVA, 1));
	assert_int_equal(w.page_size, UVK_PAGE_SIZE);
	assert_int_equal(w.prot, R_ | W_ | X_);
	assert_int_equal(w.level, 1);
	/* Without UVK_VPT_SET_AM the walk must not write a byte. */
	assert_unchanged(p);

	/* ret may be NULL. */
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, NULL), 0);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA + 0x1000, R_, 0, NULL), -ENOENT);
}

/*
 * The permission matrix: at each level, one of V, U, W removed or NX added,
 * under every access mask, with and without UVK_VPT_SET_AM. The expected
 * outcome is spelled out here independently of the walker.
 */
enum fault { DROP_V, DROP_U, DROP_W, ADD_NX, NO_FAULT };

static void
check_case(struct pm *p, int level, enum fault fault, unsigned access, unsigned flags)
{
	uint64_t f[5] = {0, V | W | U, V | W | U, V | W | U, V | W | U};
	unsigned prot;
	struct uvk_vpt_walk w;
	int rc, want, l;

	memset(p->mem.base, 0, p->mem.size);
	switch (fault) {
	case DROP_V:
		f[level] &= ~V;
		break;
	case DROP_U:
		f[level] &= ~U;
		break;
	case DROP_W:
		f[level] &= ~W;
		break;
	case ADD_NX:
		f[level] |= NX;
		break;
	case NO_FAULT:
		break;
	}
	chain(p, GVA, f);
	snap(p);

	switch (fault) {
	case DROP_U:
		prot = 0;
		break;
	case DROP_W:
		prot = R_ | X_;
		break;
	case ADD_NX:
		prot = R_ | W_;
		break;
	default:
		prot = R_ | W_ | X_;
		break;
	}
	if (fault == DROP_V)
		want = -ENOENT;
	else
		want = (access & ~prot) ? -EACCES : 0;

	rc = uvk_vpt_walk(&p->mem, ROOT, GVA, access, flags, &w);
	if (rc != want)
		fail_msg("level %d fault %d access %u flags %u: got %d want %d", level, fault,
			 access, flags, rc, want);

	if (want) {
		/* Failed: stopped at the faulty entry, and pmem untouched. */
		assert_failed_at(&w, level, entry_gpa(GVA, level), f[level] | target_of(level));
		assert_unchanged(p);
		return;
	}

	assert_int_equal(w.gpa, DATA + 0x123);
	assert_int_equal(w.prot, prot);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.page_size, UVK_PAGE_SIZE);
	assert_int_equal(w.pte_gpa, entry_gpa(GVA, 1));
	if (!(flags & UVK_VPT_SET_AM)) {
		assert_unchanged(p);
		assert_int_equal(w.pte, DATA | f[1]);
		return;
	}
	for (l = 4; l >= 1; l--) {
		uint64_t want_bits = A;

		if (l == 1 && (access & W_))
			want_bits |= M;
		assert_int_equal(*ent(p, entry_gpa(GVA, l)), target_of(l) | f[l] | want_bits);
	}
	assert_int_equal(w.pte, *ent(p, entry_gpa(GVA, 1)));
}

static void
test_permission_matrix(void **state)
{
	static const unsigned accesses[] = {
	    0, R_, W_, X_, R_ | W_, R_ | X_, W_ | X_, R_ | W_ | X_,
	};
	struct pm *p = *state;
	int level, fault, flags;
	size_t i;

	for (level = 1; level <= 4; level++)
		for (fault = DROP_V; fault <= NO_FAULT; fault++)
			for (i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++)
				for (flags = 0; flags <= 1; flags++)
					check_case(p, level, fault, accesses[i],
						   flags ? UVK_VPT_SET_AM : 0);
}

/* A present U-less chain still translates with access 0, and prot says 0. */
static void
test_access_zero_needs_no_u(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	chain_all(p, GVA, V | NX);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, 0, UVK_VPT_SET_AM, &w), 0);
	assert_int_equal(w.prot, 0);
	assert_int_equal(w.gpa, DATA + 0x123);
	/* A is set even for a pure translation; M is not. */
	assert_int_equal(*ent(p, entry_gpa(GVA, 1)), DATA | V | NX | A);
	assert_int_equal(*ent(p, entry_gpa(GVA, 4)), T3 | V | NX | A);
}

/* A missing entry below a forbidding one is reported as missing. */
static void
test_enoent_outranks_eacces(void **state)
{
	struct pm *p = *state;
	const uint64_t f[5] = {0, W | U, V | W | U, V | W | U, V | W};
	struct uvk_vpt_walk w;

	chain(p, GVA, f);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -ENOENT);
	assert_int_equal(w.level, 1);
}

/* -EACCES names the first forbidding entry from the root. */
static void
test_eacces_names_first_denier(void **state)
{
	struct pm *p = *state;
	const uint64_t f[5] = {0, V | U, V | W | U, V | U, V | W | U};
	struct uvk_vpt_walk w;

	chain(p, GVA, f);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, W_, UVK_VPT_SET_AM, &w), -EACCES);
	assert_failed_at(&w, 3, entry_gpa(GVA, 3), T2 | V | U);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, UVK_VPT_SET_AM, &w), 0);
	assert_int_equal(w.prot, R_ | X_);
}

/* M on a non-leaf is allowed and means nothing; SW bits are ignored. */
static void
test_m_and_sw_on_tables(void **state)
{
	struct pm *p = *state;
	const uint64_t sw = UVK_PTE_SW0 | UVK_PTE_SW1 | UVK_PTE_SW2;
	struct uvk_vpt_walk w;

	chain_all(p, GVA, V | W | U | M | sw);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_ | W_ | X_, 0, &w), 0);
	assert_int_equal(w.gpa, DATA + 0x123);
	assert_int_equal(w.prot, R_ | W_ | X_);
}

/* A already set stays set; a write on a leaf with M already set is fine. */
static void
test_am_idempotent(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	chain_all(p, GVA, V | W | U | A);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, W_, UVK_VPT_SET_AM, &w), 0);
	assert_int_equal(w.pte, DATA | V | W | U | A | M);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, W_, UVK_VPT_SET_AM, &w), 0);
	assert_int_equal(w.pte, DATA | V | W | U | A | M);
	assert_int_equal(*ent(p, entry_gpa(GVA, 2)), T1 | V | W | U | A);
}

/* Build ROOT -> T3 -> T2 whose entry is l2 (a 2 MiB leaf, say). */
static void
huge_chain(struct pm *p, uint64_t gva, uint64_t l2)
{
	*ent(p, entry_gpa(gva, 4)) = T3 | V | W | U;
	*ent(p, entry_gpa(gva, 3)) = T2 | V | W | U;
	*ent(p, entry_gpa(gva, 2)) = l2;
}

static void
test_huge_leaf(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	huge_chain(p, GVA, 0x200000 | V | W | U | PS);
	snap(p);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_ | X_, 0, &w), 0);
	assert_unchanged(p);
	assert_int_equal(w.gpa, 0x200000 + (GVA & 0x1fffff));
	assert_int_equal(w.page_size, UVK_HUGE_SIZE);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.pte_gpa, entry_gpa(GVA, 2));
	assert_int_equal(w.prot, R_ | W_ | X_);

	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, W_, UVK_VPT_SET_AM, &w), 0);
	assert_int_equal(w.pte, 0x200000 | V | W | U | PS | A | M);
	assert_int_equal(*ent(p, entry_gpa(GVA, 2)), 0x200000 | V | W | U | PS | A | M);
	assert_int_equal(*ent(p, entry_gpa(GVA, 3)), T2 | V | W | U | A);
	assert_int_equal(*ent(p, entry_gpa(GVA, 4)), T3 | V | W | U | A);

	/* Permissions of a huge leaf combine as usual. */
	huge_chain(p, GVA, 0x200000 | V | U | PS | NX);
	snap(p);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, W_, UVK_VPT_SET_AM, &w), -EACCES);
	assert_failed_at(&w, 2, entry_gpa(GVA, 2), 0x200000 | V | U | PS | NX);
	assert_unchanged(p);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), 0);
	assert_int_equal(w.prot, R_);
}

static void
test_huge_misaligned(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	huge_chain(p, GVA, 0x201000 | V | W | U | PS);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, 0, 0, &w), -EFAULT);
	assert_failed_at(&w, 2, entry_gpa(GVA, 2), 0x201000 | V | W | U | PS);
}

/* A 2 MiB leaf whose first page is in pmem but not the whole of it. */
static void
test_huge_crosses_end(void **state)
{
	struct pm *p = pm_new(512 + 64);
	struct uvk_vpt_walk w;

	huge_chain(p, GVA, 0x200000 | V | W | U | PS);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 2);
	/*
	 * The one at gpa 0 fits in pmem, but it holds the very tables that
	 * lead to it: a process must never reach its own tables.
	 */
	huge_chain(p, GVA, 0 | V | W | U | PS);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 2);
	pm_free(p);
}

static void
test_ps_reserved_outside_l2(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	int level;

	for (level = 1; level <= 4; level++) {
		uint64_t f[5] = {0, V | W | U, V | W | U, V | W | U, V | W | U};

		if (level == 2)
			continue;
		memset(p->mem.base, 0, p->mem.size);
		f[level] |= PS;
		chain(p, GVA, f);
		snap(p);
		assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, UVK_VPT_SET_AM, &w), -EFAULT);
		assert_failed_at(&w, level, entry_gpa(GVA, level), target_of(level) | f[level]);
		assert_unchanged(p);
	}
}

/* Every reserved bit, at every level, with V set: -EFAULT there. */
static void
test_reserved_bits(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	int level, bit, n = 0;

	for (level = 1; level <= 4; level++) {
		for (bit = 0; bit < 64; bit++) {
			uint64_t f[5] = {0, V | W | U, V | W | U, V | W | U, V | W | U};

			if (!(UVK_PTE_RESERVED & (1ULL << bit)))
				continue;
			n++;
			memset(p->mem.base, 0, p->mem.size);
			f[level] |= 1ULL << bit;
			chain(p, GVA, f);
			snap(p);
			assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, UVK_VPT_SET_AM, &w),
					 -EFAULT);
			assert_failed_at(&w, level, entry_gpa(GVA, level),
					 target_of(level) | f[level]);
			assert_unchanged(p);

			/* Without V the same bits are just a non-present entry. */
			f[level] &= ~V;
			chain(p, GVA, f);
			assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -ENOENT);
			assert_int_equal(w.level, level);
		}
	}
	assert_int_equal(n, 4 * 14);
}

/* A frame at or past the end of pmem, at each level. */
static void
test_frame_beyond_pmem(void **state)
{
	static const uint64_t frames[] = {SMALL_PAGES * UVK_PAGE_SIZE, 0x000ffffffffff000ULL};
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	int level;
	size_t i;

	for (level = 1; level <= 4; level++) {
		for (i = 0; i < 2; i++) {
			memset(p->mem.base, 0, p->mem.size);
			chain_all(p, GVA, V | W | U);
			*ent(p, entry_gpa(GVA, level)) = frames[i] | V | W | U;
			snap(p);
			assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, UVK_VPT_SET_AM, &w),
					 -EFAULT);
			assert_failed_at(&w, level, entry_gpa(GVA, level), frames[i] | V | W | U);
			assert_unchanged(p);
		}
	}
	/* The last page of pmem is fine, as a leaf and as a table. */
	memset(p->mem.base, 0, p->mem.size);
	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 1)) = (SMALL_PAGES - 1) * UVK_PAGE_SIZE | V | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), 0);
	assert_int_equal(w.gpa, (SMALL_PAGES - 1) * UVK_PAGE_SIZE + 0x123);
}

static void
test_bad_root(void **state)
{
	static const uint64_t roots[] = {
	    SMALL_PAGES * UVK_PAGE_SIZE,       0x10,	   0x1008,
	    (SMALL_PAGES + 7) * UVK_PAGE_SIZE, 1ULL << 63, ~0ULL & UVK_PAGE_MASK,
	};
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	struct uvk_vpt_mem none = {.base = NULL, .size = 0};
	size_t i;

	chain_all(p, GVA, V | W | U);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		memset(&w, 0xaa, sizeof(w));
		assert_int_equal(uvk_vpt_walk(&p->mem, roots[i], GVA, R_, 0, &w), -EFAULT);
		assert_failed_at(&w, 4, 0, 0);
	}
	assert_int_equal(uvk_vpt_walk(&none, 0, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(uvk_vpt_walk(NULL, 0, GVA, R_, 0, &w), -EFAULT);
	/* The last page is a valid (empty) root. */
	assert_int_equal(uvk_vpt_walk(&p->mem, (SMALL_PAGES - 1) * UVK_PAGE_SIZE, GVA, R_, 0, &w),
			 -ENOENT);
	assert_failed_at(&w, 4, (SMALL_PAGES - 1) * UVK_PAGE_SIZE + 8 * idx(GVA, 4), 0);
}

static void
test_bad_gva(void **state)
{
	static const uint64_t gvas[] = {
	    UVK_VA_MAX,
	    UVK_VA_MAX + 0x1000,
	    0xffff800000000000ULL,
	    0xffffffffffffffffULL,
	    0x0001000000000000ULL,
	};
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	const uint64_t top = UVK_VA_MAX - 1;
	size_t i;

	/* Map the top page, so that the failures below are about gva only. */
	chain_all(p, top, V | W | U);
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, top, R_, 0, &w), 0);
	assert_int_equal(w.gpa, DATA + 0xfff);
	for (i = 0; i < sizeof(gvas) / sizeof(gvas[0]); i++) {
		assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, gvas[i], R_, 0, &w), -EFAULT);
		assert_failed_at(&w, 4, 0, 0);
	}
}

/* A table that points at itself, at each level above 1. */
static void
test_table_points_to_itself(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;
	int level;

	for (level = 2; level <= 4; level++) {
		uint64_t self = table_of(level);

		memset(p->mem.base, 0, p->mem.size);
		chain_all(p, GVA, V | W | U);
		*ent(p, entry_gpa(GVA, level)) = self | V | W | U;
		snap(p);
		assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, UVK_VPT_SET_AM, &w), -EFAULT);
		assert_failed_at(&w, level, entry_gpa(GVA, level), self | V | W | U);
		assert_unchanged(p);
	}
}

/* A table that points back at its parent or at the root. */
static void
test_table_points_to_ancestor(void **state)
{
	struct pm *p = *state;
	struct uvk_vpt_walk w;

	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 2)) = T3 | V | W | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_failed_at(&w, 2, entry_gpa(GVA, 2), T3 | V | W | U);

	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 2)) = ROOT | V | W | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 2);

	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 3)) = ROOT | V | W | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 3);

	/*
	 * A leaf may not map a table of its own path (a self-map): the
	 * process could then write its own translations.
	 */
	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 1)) = ROOT | V | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 1);

	memset(p->mem.base, 0, p->mem.size);
	chain_all(p, GVA, V | W | U);
	*ent(p, entry_gpa(GVA, 1)) = T1 | V | U;
	assert_int_equal(uvk_vpt_walk(&p->mem, ROOT, GVA, R_, 0, &w), -EFAULT);
	assert_int_equal(w.level, 1);
}

/* Tiny deterministic generator, so the run is the same everywhere. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Mostly plausible entries (frames near pmem, assorted flag bits), with some
 * pure noise, so that walks get deep and sometimes succeed.
 */
static uint64_t
random_entry(uint64_t *s, uint64_t size)
{
	uint64_t r = rnd(s), e;

	switch (r % 8) {
	case 0:
		return rnd(s);
	case 1:
		return 0;
	default:
		e = (rnd(s) % (size + size / 8)) & UVK_PAGE_MASK;
		if (r % 16 == 2)
			e &= ~(UVK_HUGE_SIZE - 1);
		e |= (r >> 8) & 0xfff & ~UVK_PTE_RESERVED;
		if ((r >> 20) % 16 == 0)
			e |= (1ULL << (52 + (r >> 24) % 11)) | ((r >> 30) & 0x118);
		if ((r >> 40) & 1)
			e |= NX;
		return e | ((r >> 41) % 4 ? V : 0);
	}
}

static void
test_random_garbage(void **state)
{
	struct pm *p = pm_new(SMALL_PAGES);
	uint64_t *words = (uint64_t *)(void *)p->mem.base;
	uint64_t s = 0x9e3779b97f4a7c15ULL, n = p->mem.size / 8, root, gva, i;
	int counts[5] = {0};
	struct uvk_vpt_walk w;
	int rc;

	(void)state;
	for (i = 0; i < n; i++)
		words[i] = random_entry(&s, p->mem.size);
	for (i = 0; i < 10000; i++) {
		uint64_t r = rnd(&s);

		root = (rnd(&s) % (p->mem.size + p->mem.size / 16)) & UVK_PAGE_MASK;
		if (r % 32 == 0)
			root |= r >> 60;
		gva = rnd(&s) & (UVK_VA_MAX - 1);
		if (r % 64 == 1)
			gva = rnd(&s);
		rc = uvk_vpt_walk(&p->mem, root, gva, (r >> 8) & 7, (r >> 11) & 1, &w);
		switch (rc) {
		case 0:
			counts[0]++;
			assert_true(w.gpa < p->mem.size);
			assert_true(w.page_size == UVK_PAGE_SIZE || w.page_size == UVK_HUGE_SIZE);
			assert_true(w.level == 1 || w.level == 2);
			assert_true(w.pte_gpa < p->mem.size);
			assert_true((w.pte_gpa & ~UVK_PAGE_MASK) == 8 * idx(gva, w.level));
			assert_true(w.pte & V);
			break;
		case -ENOENT:
			counts[1]++;
			assert_int_equal(w.gpa, 0);
			assert_false(w.pte & V);
			break;
		case -EACCES:
			counts[2]++;
			assert_int_equal(w.gpa, 0);
			break;
		case -EFAULT:
			counts[3]++;
			assert_int_equal(w.gpa, 0);
			break;
		default:
			fail_msg("walk returned %d", rc);
		}
		assert_true(w.level >= 1 && w.level <= 4);
	}
	/* The generator is meant to reach every outcome; make sure it does. */
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0 && counts[3] > 0);
	pm_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full_chain_translates, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_permission_matrix, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_access_zero_needs_no_u, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_enoent_outranks_eacces, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_eacces_names_first_denier, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_m_and_sw_on_tables, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_am_idempotent, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_huge_leaf, setup_big, teardown),
	    cmocka_unit_test_setup_teardown(test_huge_misaligned, setup_big, teardown),
	    cmocka_unit_test(test_huge_crosses_end),
	    cmocka_unit_test_setup_teardown(test_ps_reserved_outside_l2, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_reserved_bits, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_beyond_pmem, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_root, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_gva, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_table_points_to_itself, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_table_points_to_ancestor, setup_small, teardown),
	    cmocka_unit_test(test_random_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
