/*
 * t_brk_mmap - growth and release of the break and of anonymous mappings.
 *
 * Usage: t_brk_mmap
 *
 * The break is moved with the raw brk system call: musl's sbrk() refuses any
 * increment other than 0, and glibc's would race its own malloc. Nothing here
 * calls malloc (guest.h prints without stdio buffers), so the break is ours.
 *
 * Released memory is never touched to see it fault: whether a range is mapped
 * is asked of the kernel with mmap(MAP_FIXED_NOREPLACE), which fails with
 * EEXIST over a mapping and succeeds on a free range.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096UL

static uintptr_t
raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

/* pattern - a value for word i of a block, different per block (seed). */
static uint64_t
pattern(uint64_t seed, size_t i)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (i * 0xff51afd7ed558ccdULL) ^ i;
}

/*
 * fill - write the pattern of block (seed) into the first and last word of
 * every page of [block+off, block+off+len). The pattern depends on the offset
 * in the block, so that a page moved or duplicated to the wrong place shows.
 */
static void
fill_at(void *block, size_t off, size_t len, uint64_t seed)
{
	uint64_t *w = block;
	size_t i;

	for (i = off / 8; i < (off + len) / 8; i += PAGE / 8) {
		w[i] = pattern(seed, i);
		w[i + PAGE / 8 - 1] = pattern(seed, i + 1);
	}
}

/* verify_at - the pattern of fill_at() is there; returns the first bad page's offset or -1. */
static long
verify_at(const void *block, size_t off, size_t len, uint64_t seed)
{
	const uint64_t *w = block;
	size_t i;

	for (i = off / 8; i < (off + len) / 8; i += PAGE / 8)
		if (w[i] != pattern(seed, i) || w[i + PAGE / 8 - 1] != pattern(seed, i + 1))
			return i * 8;
	return -1;
}

static void
fill(void *block, size_t len, uint64_t seed)
{
	fill_at(block, 0, len, seed);
}

static long
verify(const void *block, size_t len, uint64_t seed)
{
	return verify_at(block, 0, len, seed);
}

/* zeroed - every byte is zero; returns the offset of the first that is not, or -1. */
static long
zeroed(const void *p, size_t len)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return i * 8;
	return -1;
}

/* is_free - nothing is mapped in [p, p+len): asked of the kernel, not by touching. */
static int
is_free(void *p, size_t len)
{
	void *q = mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (q == MAP_FAILED)
		return 0;
	munmap(q, len);
	return q == p;
}

static void
check_brk(void)
{
	uintptr_t start = raw_brk(0);
	uintptr_t cur;
	const size_t grow = 1UL << 20;
	char *base;

	say("     initial break %#lx\n", (unsigned long)start);
	CHECK_TRUE("brk(0) reports a break", start != 0 && start != (uintptr_t)-1, "got %#lx",
		   (unsigned long)start);
	/* Page-align first so that the released tail is whole pages. */
	base = (char *)((start + PAGE - 1) & ~(PAGE - 1));

	cur = raw_brk((uintptr_t)base + grow);
	if (!CHECK_EQX("brk grows by 1 MiB", cur, (uintptr_t)base + grow))
		return;
	CHECK_EQ("grown break memory reads zero", zeroed(base, grow), -1);
	fill(base, grow, 1);
	CHECK_EQ("grown break memory keeps what was written", verify(base, grow, 1), -1);

	cur = raw_brk((uintptr_t)base + grow / 2);
	CHECK_EQX("brk shrinks by 512 KiB", cur, (uintptr_t)base + grow / 2);
	CHECK_EQX("brk(0) reports the shrunk break", raw_brk(0), (uintptr_t)base + grow / 2);
	CHECK_EQ("the lower half survives the shrink", verify(base, grow / 2, 1), -1);
	CHECK_TRUE("the released upper half is unmapped", is_free(base + grow / 2, grow / 2),
		   "got a mapping there, want none");

	cur = raw_brk((uintptr_t)base + grow);
	if (CHECK_EQX("brk grows again to 1 MiB", cur, (uintptr_t)base + grow))
		CHECK_EQ("memory released by brk comes back zeroed",
			 zeroed(base + grow / 2, grow / 2), -1);
	CHECK_EQ("the lower half survives the regrowth", verify(base, grow / 2, 1), -1);

	/* Below the program's own data: the kernel must refuse, reporting the old break. */
	cur = raw_brk(PAGE);
	CHECK_EQX("brk below the start of the heap fails (returns the old break)", cur,
		  (uintptr_t)base + grow);

	cur = raw_brk(start);
	CHECK_EQX("brk back to where it started", cur, start);
}

/* map_sizes - fresh anonymous mappings of 1, 100 and 10000 pages. */
static void
check_map_sizes(void)
{
	static const size_t pages[] = {1, 100, 10000};
	unsigned i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		size_t len = pages[i] * PAGE;
		char what[96];
		char *p;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		snprintf(what, sizeof(what), "mmap of %zu anonymous pages", pages[i]);
		if (!CHECK_TRUE(what, p != MAP_FAILED, "got MAP_FAILED errno %s", errname(errno)))
			continue;
		snprintf(what, sizeof(what), "%zu-page mapping is page-aligned", pages[i]);
		CHECK_EQ(what, (uintptr_t)p % PAGE, 0);
		snprintf(what, sizeof(what), "%zu-page mapping reads zero", pages[i]);
		CHECK_EQ(what, zeroed(p, len), -1);
		fill(p, len, 100 + i);
		snprintf(what, sizeof(what), "%zu-page mapping keeps what was written", pages[i]);
		CHECK_EQ(what, verify(p, len, 100 + i), -1);
		snprintf(what, sizeof(what), "munmap of the %zu-page mapping", pages[i]);
		CHECK_EQ(what, munmap(p, len), 0);
		snprintf(what, sizeof(what), "the %zu pages are free after munmap", pages[i]);
		CHECK_TRUE(what, is_free(p, len), "got a mapping there, want none");
	}
}

static void
check_map_errors(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_ERR("mmap of length 0 is EINVAL",
		  (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR("mmap with neither MAP_PRIVATE nor MAP_SHARED is EINVAL",
		  (long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR("mmap of a file mapping on a bad descriptor is EBADF",
		  (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 1000, 0), EBADF);
	if (!CHECK_TRUE("mmap of 4 pages", p != MAP_FAILED, "got errno %s", errname(errno)))
		return;
	CHECK_ERR("munmap of an unaligned address is EINVAL", munmap(p + 1, PAGE), EINVAL);
	CHECK_ERR("munmap of length 0 is EINVAL", munmap(p, 0), EINVAL);
	CHECK_ERR("MAP_FIXED_NOREPLACE over a mapping is EEXIST",
		  (long)mmap(p + PAGE, PAGE, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
		  EEXIST);

	/* Unmapping the middle page splits the mapping; both sides stay. */
	fill(p, 4 * PAGE, 7);
	CHECK_EQ("munmap of the second of 4 pages", munmap(p + PAGE, PAGE), 0);
	CHECK_TRUE("the hole is free", is_free(p + PAGE, PAGE), "got a mapping, want none");
	CHECK_EQ("the page before the hole is intact", verify(p, PAGE, 7), -1);
	CHECK_EQ("the pages after the hole are intact", verify_at(p, 2 * PAGE, 2 * PAGE, 7), -1);
	CHECK_EQ("munmap over a hole and both sides", munmap(p, 4 * PAGE), 0);
	CHECK_EQ("munmap of an already free range is not an error", munmap(p, 4 * PAGE), 0);
	CHECK_TRUE("all 4 pages are free", is_free(p, 4 * PAGE), "got a mapping, want none");
}

static void
check_fixed(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	if (!CHECK_TRUE("mmap of 3 pages", p != MAP_FAILED, "got errno %s", errname(errno)))
		return;
	memset(p, 0x5a, 3 * PAGE);
	q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	CHECK_TRUE("MAP_FIXED over the middle page maps there", q == p + PAGE, "got %p, want %p",
		   (void *)q, (void *)(p + PAGE));
	CHECK_EQ("the page replaced by MAP_FIXED reads zero", zeroed(p + PAGE, PAGE), -1);
	CHECK_TRUE("its neighbours are untouched", p[PAGE - 1] == 0x5a && p[2 * PAGE] == 0x5a,
		   "got %#x %#x, want 0x5a 0x5a", p[PAGE - 1], p[2 * PAGE]);
	munmap(p, 3 * PAGE);
}

static void
check_mremap(void)
{
	const size_t small = 10 * PAGE, big = 1000 * PAGE;
	char *p = mmap(NULL, small, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *guard;
	char *q;
	char *r;

	if (!CHECK_TRUE("mmap of 10 pages", p != MAP_FAILED, "got errno %s", errname(errno)))
		return;
	fill(p, small, 11);
	/* Block growth in place so that the kernel has to move the pages. */
	guard = mmap(p + small, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		     -1, 0);
	CHECK_ERR("mremap without MREMAP_MAYMOVE into a mapped neighbour is ENOMEM",
		  (long)mremap(p, small, big, 0), ENOMEM);

	q = mremap(p, small, big, MREMAP_MAYMOVE);
	if (!CHECK_TRUE("mremap grows 10 pages to 1000 (MREMAP_MAYMOVE)", q != MAP_FAILED,
			"got errno %s", errname(errno)))
		goto out_unmap_guard;
	say("     moved from %p to %p\n", (void *)p, (void *)q);
	CHECK_EQ("mremap keeps the content of the 10 pages", verify(q, small, 11), -1);
	CHECK_EQ("the 990 new pages read zero", zeroed(q + small, big - small), -1);
	fill(q + small, big - small, 12);
	CHECK_EQ("the new pages keep what was written", verify(q + small, big - small, 12), -1);
	if (q != p)
		CHECK_TRUE("the old range is free after the move", is_free(p, small),
			   "got a mapping, want none");

	r = mremap(q, big, small, 0);
	CHECK_TRUE("mremap shrinks in place", r == q, "got %p, want %p", (void *)r, (void *)q);
	CHECK_EQ("shrinking keeps the content", verify(q, small, 11), -1);
	CHECK_TRUE("the released tail is free", is_free(q + small, big - small),
		   "got a mapping, want none");
	CHECK_EQ("munmap of the remapped range", munmap(q, small), 0);
out_unmap_guard:
	if (guard != MAP_FAILED)
		munmap(guard, PAGE);
}

static void
check_madvise(void)
{
	const size_t len = 16 * PAGE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!CHECK_TRUE("mmap of 16 pages", p != MAP_FAILED, "got errno %s", errname(errno)))
		return;
	fill(p, len, 21);
	CHECK_EQ("madvise(MADV_DONTNEED) on pages 4..11",
		 madvise(p + 4 * PAGE, 8 * PAGE, MADV_DONTNEED), 0);
	CHECK_EQ("MADV_DONTNEED pages read zero", zeroed(p + 4 * PAGE, 8 * PAGE), -1);
	CHECK_EQ("pages before them are intact", verify(p, 4 * PAGE, 21), -1);
	CHECK_EQ("pages after them are intact", verify_at(p, 12 * PAGE, 4 * PAGE, 21), -1);
	fill_at(p, 4 * PAGE, 8 * PAGE, 22);
	CHECK_EQ("MADV_DONTNEED pages can be written again", verify_at(p, 4 * PAGE, 8 * PAGE, 22),
		 -1);
	CHECK_ERR("madvise on an unaligned address is EINVAL", madvise(p + 1, PAGE, MADV_DONTNEED),
		  EINVAL);
	CHECK_EQ("madvise(MADV_WILLNEED) is accepted", madvise(p, len, MADV_WILLNEED), 0);
	munmap(p, len);
}

int
main(void)
{
	guest_begin("t_brk_mmap", "brk growth and shrink; anonymous mmap, munmap, mremap, madvise");
	check_brk();
	check_map_sizes();
	check_map_errors();
	check_fixed();
	check_mremap();
	check_madvise();
	return guest_end();
}
