/*
 * tests/unit/mm/test_vma.c - VMA split and merge as Linux does them, on an
 * address space alone (mm/vma.c and mm/fault.c through gk_vm_map, _unmap,
 * _protect, _move), against the explicit kernel context of tests/unit/kctx.
 *
 * Every expectation is what /proc/self/maps shows natively after the same
 * calls: mprotect of a middle part splits a VMA in three and mprotect back
 * merges them; adjacent mappings with equal attributes are one VMA (a file
 * mapping too, when the offsets continue); munmap leaves holes; mremap
 * moves, grows and shrinks; and vm.max_map_count (vm->max_map_count) is
 * enforced where Linux 6.x enforces it (mm/mmap.c, mm/vma.c, mm/mremap.c:
 * a split that would pass the limit, a hole punched at the limit, a new
 * mapping past it, a move within 3 of it), all ENOMEM. Contents are read
 * back through the page table (gk_copyin), so a VMA whose offset went
 * wrong in a split reads the wrong file page.
 *
 * Suite unit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "kctx.h"

#define PG   GK_PAGE
#define BASE 0x200000000000ULL /* far from kctx_user_alloc's memory */
#define RW   (PROT_READ | PROT_WRITE)

/* gva of page i of the test's region. */
static uint64_t
at(long i)
{
	return BASE + (uint64_t)i * PG;
}

/*
 * The VMAs that start in [BASE, BASE + 1 GiB) as "start-end perms foff"
 * lines, in pages from BASE (foff in pages, for file VMAs only): a small
 * /proc/self/maps to compare with what Linux shows.
 */
static const char *
maps(struct gk_vm *vm)
{
	static char buf[4096];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];

		if (v->start < BASE || v->start >= BASE + (1ULL << 30))
			continue;
		n += (size_t)snprintf(
		    buf + n, sizeof(buf) - n, "%s%llu-%llu %c%c%c", n ? ", " : "",
		    (unsigned long long)((v->start - BASE) / PG),
		    (unsigned long long)((v->end - BASE) / PG), v->prot & PROT_READ ? 'r' : '-',
		    v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-');
		if (v->file)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " @%llu",
					      (unsigned long long)(v->foff / PG));
		assert_true(n < sizeof(buf));
	}
	return buf;
}

/* Fill page i of the region with byte b (the page must be writable). */
static void
put(struct kctx *c, long i, int b)
{
	static uint8_t page[GK_PAGE];

	memset(page, b, sizeof(page));
	assert_int_equal(gk_copyout(c->p, at(i), page, sizeof(page)), 0);
}

/* The first and last byte of page i, which must both be b. */
static void
expect_page(struct kctx *c, long i, int b)
{
	uint8_t x[2];

	assert_int_equal(gk_copyin(c->p, &x[0], at(i), 1), 0);
	assert_int_equal(gk_copyin(c->p, &x[1], at(i) + PG - 1, 1), 0);
	assert_int_equal(x[0], b);
	assert_int_equal(x[1], b);
}

static void
expect_unmapped(struct kctx *c, long i)
{
	uint8_t x;

	assert_null(gk_vma_find(c->p->vm, at(i)));
	assert_int_equal(gk_copyin(c->p, &x, at(i), 1), -EFAULT);
}

static int
setup(void **state)
{
	*state = kctx_new(0, NULL);
	return 0;
}

static int
teardown(void **state)
{
	kctx_free(*state);
	return 0;
}

static void
test_mprotect_splits_in_three_and_merges_back(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	long i;
	uint8_t b = 0;

	assert_int_equal(gk_vm_map(vm, at(0), 8 * PG, RW, 0, NULL, 0, at(8)), 0);
	for (i = 0; i < 8; i++)
		put(c, i, 0x10 + (int)i);
	assert_int_equal(gk_vm_protect(vm, at(2), 3 * PG, PROT_READ), 0);
	assert_string_equal(maps(vm), "0-2 rw-, 2-5 r--, 5-8 rw-");
	/* The pages stay, and the middle is read-only through the page table now. */
	for (i = 0; i < 8; i++)
		expect_page(c, i, 0x10 + (int)i);
	assert_int_equal(gk_copyout(c->p, at(3), &b, 1), -EFAULT);
	assert_int_equal(gk_copyout(c->p, at(5), &b, 1), 0);
	assert_int_equal(gk_vm_protect(vm, at(2), 3 * PG, RW), 0);
	assert_string_equal(maps(vm), "0-8 rw-");
	assert_int_equal(gk_copyout(c->p, at(3), &b, 1), 0);
	/* A head and a tail split in two each; the same prot again changes nothing. */
	assert_int_equal(gk_vm_protect(vm, at(0), PG, PROT_NONE), 0);
	assert_int_equal(gk_vm_protect(vm, at(7), PG, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(gk_vm_protect(vm, at(3), PG, RW), 0);
	assert_string_equal(maps(vm), "0-1 ---, 1-7 rw-, 7-8 r-x");
	/* A range with a hole is ENOMEM and changes nothing (mprotect(2)). */
	assert_int_equal(gk_vm_protect(vm, at(6), 4 * PG, PROT_READ), -ENOMEM);
	assert_string_equal(maps(vm), "0-1 ---, 1-7 rw-, 7-8 r-x");
	/* Spanning several VMAs: they become one. */
	assert_int_equal(gk_vm_protect(vm, at(0), 8 * PG, PROT_READ), 0);
	assert_string_equal(maps(vm), "0-8 r--");
	expect_page(c, 6, 0x16);
}

static void
test_adjacent_mappings_merge(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;

	assert_int_equal(gk_vm_map(vm, at(4), 4 * PG, RW, 0, NULL, 0, at(8)), 0);
	put(c, 4, 0xa4);
	assert_int_equal(gk_vm_map(vm, at(8), 4 * PG, RW, 0, NULL, 0, at(12)), 0);
	assert_int_equal(gk_vm_map(vm, at(0), 4 * PG, RW, 0, NULL, 0, at(4)), 0);
	assert_string_equal(maps(vm), "0-12 rw-");
	/* Other permissions, or the stack's grows-down, are VMAs of their own. */
	assert_int_equal(gk_vm_map(vm, at(12), 2 * PG, PROT_READ, 0, NULL, 0, at(14)), 0);
	assert_int_equal(gk_vm_map(vm, at(16), 2 * PG, RW, GK_VMA_GROWSDOWN, NULL, 0, at(18)), 0);
	assert_int_equal(gk_vm_map(vm, at(14), 2 * PG, RW, 0, NULL, 0, at(16)), 0);
	assert_string_equal(maps(vm), "0-12 rw-, 12-14 r--, 14-16 rw-, 16-18 rw-");
	/* A fixed mapping over a middle part replaces it: its old page is gone. */
	assert_int_equal(gk_vm_map(vm, at(4), PG, RW, 0, NULL, 0, at(5)), 0);
	assert_string_equal(maps(vm), "0-12 rw-, 12-14 r--, 14-16 rw-, 16-18 rw-");
	expect_page(c, 4, 0);
	assert_int_equal(gk_vm_map(vm, at(5), PG, PROT_READ, 0, NULL, 0, at(6)), 0);
	assert_string_equal(maps(vm),
			    "0-5 rw-, 5-6 r--, 6-12 rw-, 12-14 r--, 14-16 rw-, 16-18 rw-");
	assert_int_equal(vm->nvma, 6);
}

static void
test_munmap_holes(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	long i;

	assert_int_equal(gk_vm_map(vm, at(0), 8 * PG, RW, 0, NULL, 0, at(8)), 0);
	for (i = 0; i < 8; i++)
		put(c, i, 0x30 + (int)i);
	assert_int_equal(gk_vm_unmap(vm, at(3), 2 * PG), 0);
	assert_string_equal(maps(vm), "0-3 rw-, 5-8 rw-");
	expect_unmapped(c, 3);
	expect_unmapped(c, 4);
	expect_page(c, 2, 0x32);
	expect_page(c, 5, 0x35);
	/* Across a hole, and over nothing at all: both succeed. */
	assert_int_equal(gk_vm_unmap(vm, at(2), 4 * PG), 0);
	assert_string_equal(maps(vm), "0-2 rw-, 6-8 rw-");
	assert_int_equal(gk_vm_unmap(vm, at(20), 4 * PG), 0);
	assert_string_equal(maps(vm), "0-2 rw-, 6-8 rw-");
	/* Mapping the hole again gives zeroes, not the old pages, and merges. */
	assert_int_equal(gk_vm_map(vm, at(2), 4 * PG, RW, 0, NULL, 0, at(6)), 0);
	assert_string_equal(maps(vm), "0-8 rw-");
	expect_page(c, 3, 0);
	expect_page(c, 7, 0x37);
	assert_int_equal(gk_vm_unmap(vm, at(0), 8 * PG), 0);
	assert_string_equal(maps(vm), "");
	/* Every frame went back. */
	assert_int_equal(vm->pages, 0);
}

static void
test_mremap_move_grow_shrink(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	long i;

	assert_int_equal(gk_vm_map(vm, at(0), 4 * PG, RW, 0, NULL, 0, at(4)), 0);
	for (i = 0; i < 4; i++)
		put(c, i, 0x50 + (int)i);
	/* Move as is. */
	assert_int_equal(gk_vm_move(vm, at(0), 4 * PG, at(10), 4 * PG), 0);
	assert_string_equal(maps(vm), "10-14 rw-");
	for (i = 0; i < 4; i++) {
		expect_unmapped(c, i);
		expect_page(c, 10 + i, 0x50 + (int)i);
	}
	/* Grow while moving: the new tail reads zeroes. */
	assert_int_equal(gk_vm_move(vm, at(10), 4 * PG, at(20), 6 * PG), 0);
	assert_string_equal(maps(vm), "20-26 rw-");
	expect_page(c, 23, 0x53);
	expect_page(c, 24, 0);
	expect_page(c, 25, 0);
	expect_unmapped(c, 10);
	/* Shrink while moving: what does not fit is gone with the old range. */
	assert_int_equal(gk_vm_move(vm, at(20), 6 * PG, at(30), 2 * PG), 0);
	assert_string_equal(maps(vm), "30-32 rw-");
	expect_page(c, 30, 0x50);
	expect_page(c, 31, 0x51);
	expect_unmapped(c, 22);
	assert_int_equal(vm->pages, 2);
	/* Part of a VMA: the rest stays on both sides. */
	assert_int_equal(gk_vm_map(vm, at(40), 4 * PG, RW, 0, NULL, 0, at(44)), 0);
	for (i = 0; i < 4; i++)
		put(c, 40 + i, 0x70 + (int)i);
	assert_int_equal(gk_vm_move(vm, at(41), 2 * PG, at(50), 2 * PG), 0);
	assert_string_equal(maps(vm), "30-32 rw-, 40-41 rw-, 43-44 rw-, 50-52 rw-");
	expect_page(c, 40, 0x70);
	expect_page(c, 43, 0x73);
	expect_page(c, 50, 0x71);
	expect_page(c, 51, 0x72);
	/* Onto a range that is not free: refused, nothing moves. */
	assert_int_equal(gk_vm_move(vm, at(50), 2 * PG, at(42), 2 * PG), -ENOMEM);
	assert_string_equal(maps(vm), "30-32 rw-, 40-41 rw-, 43-44 rw-, 50-52 rw-");
	expect_page(c, 51, 0x72);
}

/*
 * The kernel-heap budget spent (the VMA array cannot grow): an mremap that
 * needs two more VMAs fails with ENOMEM and changes nothing, neither the
 * old range's pages nor the new range, which must hold no stale entry.
 */
static void
test_mremap_without_room_changes_nothing(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	uint64_t kmem_max = c->k->kmem_max;
	long i;

	assert_int_equal(gk_vm_map(vm, at(0), 4 * PG, RW, 0, NULL, 0, at(4)), 0);
	for (i = 0; i < 4; i++)
		put(c, i, 0x90 + (int)i);
	for (i = 0; vm->nvma < vm->cap; i++)
		assert_int_equal(
		    gk_vm_map(vm, at(100 + 2 * i), PG, PROT_READ, 0, NULL, 0, at(101 + 2 * i)), 0);
	c->k->kmem_max = c->k->kmem;
	assert_int_equal(gk_vm_move(vm, at(1), 2 * PG, at(20), 2 * PG), -ENOMEM);
	c->k->kmem_max = kmem_max;
	assert_memory_equal(maps(vm), "0-4 rw-, 100-101 r--, ", 22);
	for (i = 0; i < 4; i++)
		expect_page(c, i, 0x90 + (int)i);
	expect_unmapped(c, 20);
	assert_int_equal(gk_vm_map(vm, at(20), 2 * PG, RW, 0, NULL, 0, at(22)), 0);
	expect_page(c, 20, 0);
	expect_page(c, 21, 0);
}

/*
 * Guest RAM exhausted but for one frame: an mremap whose new range needs
 * two new page tables fails with ENOMEM before anything moves.
 */
static void
test_mremap_without_frames_changes_nothing(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	uint64_t gpa, far = 64ULL << 30; /* 64 GiB up: a directory and a table of its own */
	long i;

	assert_int_equal(gk_vm_map(vm, at(0), 4 * PG, RW, 0, NULL, 0, at(4)), 0);
	for (i = 0; i < 4; i++)
		put(c, i, 0xb0 + (int)i);
	while (gk_palloc_run(c->k->pa, 1, &gpa) > 0)
		;
	gk_palloc_free(c->k->pa, gpa, 1);
	assert_int_equal(c->k->pa->nfree, 1);
	assert_int_equal(gk_vm_move(vm, at(0), 4 * PG, BASE + far, 4 * PG), -ENOMEM);
	assert_string_equal(maps(vm), "0-4 rw-");
	for (i = 0; i < 4; i++)
		expect_page(c, i, 0xb0 + (int)i);
	assert_null(gk_vma_find(vm, BASE + far));
	assert_int_equal(vm->pages, 4);
}

/*
 * A grows-down VMA (the stack) grows to a fault below it, as Linux's
 * expand_downwards: not past RLIMIT_STACK (stack_max), and not within
 * stack_guard_gap (256 pages) of an accessible mapping below it.
 */
static void
test_stack_grows_down(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	long top = 4096; /* the stack's top, in pages */
	uint8_t b = 7;

	vm->stack_max = 64 * PG;
	assert_int_equal(gk_vm_map(vm, at(top - 4), 4 * PG, RW, GK_VMA_GROWSDOWN, NULL, 0, at(top)),
			 0);
	assert_int_equal(gk_copyout(c->p, at(top - 10), &b, 1), 0);
	assert_string_equal(maps(vm), "4086-4096 rw-");
	expect_page(c, top - 9, 0);
	/* 64 pages at most: page top - 64 is the last one. */
	assert_int_equal(gk_copyout(c->p, at(top - 64), &b, 1), 0);
	assert_int_equal(gk_copyout(c->p, at(top - 65), &b, 1), -EFAULT);
	assert_string_equal(maps(vm), "4032-4096 rw-");
	/* A mapping below keeps the stack 256 pages away. */
	vm->stack_max = 1024 * PG;
	assert_int_equal(gk_vm_map(vm, at(top - 400), PG, PROT_READ, 0, NULL, 0, at(top - 399)), 0);
	assert_int_equal(gk_copyout(c->p, at(top - 399 + 256), &b, 1), 0);
	assert_int_equal(gk_copyout(c->p, at(top - 399 + 255), &b, 1), -EFAULT);
	assert_string_equal(maps(vm), "3696-3697 r--, 3953-4096 rw-");
}

/* ---- file VMAs: a fake file of 16 pages, page i all bytes 0xf0 + i ---------------------- */

struct fake_file {
	struct gk_mapfile mf;
	int unrefs;
};

static int
fake_pread(struct gk_mapfile *mf, uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	(void)mf;
	for (i = 0; i < len; i++)
		buf[i] = off + i < 16 * PG ? (uint8_t)(0xf0 + (off + i) / PG) : 0;
	return 0;
}

static int
fake_size(struct gk_mapfile *mf, uint64_t *ret_size)
{
	(void)mf;
	*ret_size = 16 * PG;
	return 0;
}

static void
fake_unref(struct gk_mapfile *mf)
{
	struct fake_file *f = (struct fake_file *)mf;

	assert_true(mf->refs > 0);
	mf->refs--;
	f->unrefs++;
}

static const struct gk_mapfile_ops fake_ops = {
    .pread = fake_pread,
    .size = fake_size,
    .unref = fake_unref,
};

static void
expect_file_page(struct kctx *c, long i, long fpage)
{
	expect_page(c, i, 0xf0 + (int)fpage);
}

static void
test_file_vmas_keep_their_offset(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	/* Static: a failed assertion leaves it mapped until the teardown unrefs it. */
	static struct fake_file ff;
	struct gk_mapfile *mf = &ff.mf;
	long i;

	memset(&ff, 0, sizeof(ff));
	mf->refs = 1;
	mf->ops = &fake_ops;
	/* Pages 0-8 show file pages 2-10. */
	assert_int_equal(gk_vm_map(vm, at(0), 8 * PG, PROT_READ, GK_VMA_FILE, mf, 2 * PG, at(8)),
			 0);
	assert_int_equal(mf->refs, 2);
	assert_int_equal(gk_vm_protect(vm, at(3), 2 * PG, RW), 0);
	assert_string_equal(maps(vm), "0-3 r-- @2, 3-5 rw- @5, 5-8 r-- @7");
	assert_int_equal(mf->refs, 4);
	for (i = 0; i < 8; i++)
		expect_file_page(c, i, i + 2);
	/* Back as it was: one VMA again, each piece's reference dropped. */
	assert_int_equal(gk_vm_protect(vm, at(3), 2 * PG, PROT_READ), 0);
	assert_string_equal(maps(vm), "0-8 r-- @2");
	assert_int_equal(mf->refs, 2);
	/* A hole: the upper part starts 6 pages into the mapping. */
	assert_int_equal(gk_vm_unmap(vm, at(4), 2 * PG), 0);
	assert_string_equal(maps(vm), "0-4 r-- @2, 6-8 r-- @8");
	expect_file_page(c, 7, 9);
	/* The hole mapped again at the offsets that continue: one VMA. */
	assert_int_equal(gk_vm_map(vm, at(4), 2 * PG, PROT_READ, GK_VMA_FILE, mf, 6 * PG, at(6)),
			 0);
	assert_string_equal(maps(vm), "0-8 r-- @2");
	expect_file_page(c, 5, 7);
	/* At offsets that do not continue: three. */
	assert_int_equal(gk_vm_map(vm, at(4), 2 * PG, PROT_READ, GK_VMA_FILE, mf, 0, at(6)), 0);
	assert_string_equal(maps(vm), "0-4 r-- @2, 4-6 r-- @0, 6-8 r-- @8");
	expect_file_page(c, 4, 0);
	expect_file_page(c, 6, 8);
	/* Moved, a part keeps the offset of where it was. */
	assert_int_equal(gk_vm_move(vm, at(1), 2 * PG, at(20), 2 * PG), 0);
	assert_string_equal(maps(vm),
			    "0-1 r-- @2, 3-4 r-- @5, 4-6 r-- @0, 6-8 r-- @8, 20-22 r-- @3");
	expect_file_page(c, 20, 3);
	expect_file_page(c, 21, 4);
	/* An anonymous mapping next to a file mapping stays apart. */
	assert_int_equal(gk_vm_map(vm, at(22), 2 * PG, PROT_READ, 0, NULL, 0, at(24)), 0);
	assert_string_equal(
	    maps(vm), "0-1 r-- @2, 3-4 r-- @5, 4-6 r-- @0, 6-8 r-- @8, 20-22 r-- @3, 22-24 r--");
	assert_int_equal(gk_vm_unmap(vm, at(0), 30 * PG), 0);
	assert_int_equal(mf->refs, 1);
	assert_true(ff.unrefs > 0);
}

/*
 * MADV_DONTNEED (gk_vm_discard), madvise(2): the next access reads zeroes
 * in a private anonymous mapping, the file's bytes again in a private file
 * mapping; the VMAs stay as they were.
 */
static void
test_discard(void **state)
{
	struct kctx *c = *state;
	struct gk_vm *vm = c->p->vm;
	static struct fake_file ff;
	long i;

	memset(&ff, 0, sizeof(ff));
	ff.mf.refs = 1;
	ff.mf.ops = &fake_ops;
	assert_int_equal(gk_vm_map(vm, at(0), 4 * PG, RW, 0, NULL, 0, at(4)), 0);
	assert_int_equal(gk_vm_map(vm, at(4), 4 * PG, RW, GK_VMA_FILE, &ff.mf, 0, at(8)), 0);
	for (i = 0; i < 8; i++)
		put(c, i, 0xc0 + (int)i);
	assert_int_equal(gk_vm_discard(vm, at(2), 4 * PG), 0);
	assert_string_equal(maps(vm), "0-4 rw-, 4-8 rw- @0");
	expect_page(c, 1, 0xc1);
	expect_page(c, 2, 0);
	expect_page(c, 3, 0);
	expect_file_page(c, 4, 0);
	expect_file_page(c, 5, 1);
	expect_page(c, 6, 0xc6);
	assert_int_equal(gk_vm_unmap(vm, at(0), 8 * PG), 0);
	assert_int_equal(ff.mf.refs, 1);
}

/* ---- vm.max_map_count ------------------------------------------------------------------ */

/*
 * Eight 4-page read-write VMAs at 0, 8, ..., 56, each given its own
 * test below, and one-page fillers from page 1024 on, every other page,
 * added or removed so that the count is exactly want before each test.
 */
struct limit {
	struct kctx *c;
	struct gk_vm *vm;
	long fillers;
};

static void
fill(struct limit *l, int want)
{
	while (l->vm->nvma < want) {
		assert_int_equal(gk_vm_map(l->vm, at(1024 + 2 * l->fillers), PG, PROT_READ, 0, NULL,
					   0, at(1025 + 2 * l->fillers)),
				 0);
		l->fillers++;
	}
	while (l->vm->nvma > want) {
		l->fillers--;
		assert_int_equal(gk_vm_unmap(l->vm, at(1024 + 2 * l->fillers), PG), 0);
	}
}

static void
test_max_map_count(void **state)
{
	struct kctx *c = *state;
	struct limit l = {c, c->p->vm, 0};
	const int max = 256;
	int i;

	/*
	 * Every address space starts with Linux's default; a lower limit (as
	 * the sysctl would set) reaches the same boundaries in less time, for
	 * the debug build checks the whole list after every change.
	 * t_mapcount checks the default itself end to end.
	 */
	assert_int_equal(l.vm->max_map_count, GK_MAX_MAP_COUNT);
	l.vm->max_map_count = max;
	for (i = 0; i < 8; i++)
		assert_int_equal(gk_vm_map(l.vm, at(8 * i), 4 * PG, RW, 0, NULL, 0, at(8 * i + 4)),
				 0);
	/* A split that would take the count past the limit is refused. */
	fill(&l, max);
	assert_int_equal(gk_vm_protect(l.vm, at(1), PG, PROT_READ), -ENOMEM);
	fill(&l, max);
	assert_int_equal(gk_vm_protect(l.vm, at(8), PG, PROT_READ), -ENOMEM);
	/* So is a hole punched at the limit ... */
	fill(&l, max);
	assert_int_equal(gk_vm_unmap(l.vm, at(17), PG), -ENOMEM);
	assert_non_null(gk_vma_find(l.vm, at(17)));
	/* ... but not trimming a VMA's head or tail, which adds none. */
	fill(&l, max);
	assert_int_equal(gk_vm_unmap(l.vm, at(24), PG), 0);
	assert_int_equal(gk_vm_unmap(l.vm, at(27), PG), 0);
	assert_int_equal(l.vm->nvma, max);
	/* A fixed mapping over a middle part needs a hole: refused ... */
	fill(&l, max);
	assert_int_equal(gk_vm_map(l.vm, at(33), PG, PROT_READ, 0, NULL, 0, at(34)), -ENOMEM);
	assert_int_equal(gk_vma_find(l.vm, at(33))->prot, RW);
	/* ... over a head: allowed, and the count goes one past the limit ... */
	fill(&l, max);
	assert_int_equal(gk_vm_map(l.vm, at(40), PG, PROT_READ, 0, NULL, 0, at(41)), 0);
	assert_int_equal(l.vm->nvma, max + 1);
	/* ... where a new mapping is refused, as one at the limit is not. */
	assert_int_equal(gk_vm_map(l.vm, at(900), PG, PROT_READ, 0, NULL, 0, at(901)), -ENOMEM);
	fill(&l, max);
	assert_int_equal(gk_vm_map(l.vm, at(900), PG, PROT_READ, 0, NULL, 0, at(901)), 0);
	assert_int_equal(l.vm->nvma, max + 1);
	/* mremap moves nothing within 3 of the limit (mm/mremap.c). */
	fill(&l, max - 3);
	assert_int_equal(gk_vm_move(l.vm, at(48), 4 * PG, at(960), 4 * PG), -ENOMEM);
	assert_non_null(gk_vma_find(l.vm, at(48)));
	fill(&l, max - 4);
	assert_int_equal(gk_vm_move(l.vm, at(48), 4 * PG, at(960), 4 * PG), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mprotect_splits_in_three_and_merges_back, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_adjacent_mappings_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_munmap_holes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mremap_move_grow_shrink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mremap_without_room_changes_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mremap_without_frames_changes_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_stack_grows_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_vmas_keep_their_offset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_map_count, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
