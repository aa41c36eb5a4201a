/*
 * tests/unit/palloc/test_palloc.c - the frame allocator given frame numbers
 * a hostile page table could hold: every one outside RAM, unaligned, free,
 * frame 0 or a page-table page is refused with -EFAULT and indexes nothing
 * (ASan and the arrays' bounds would catch it), and reference counts
 * saturate instead of wrapping.
 *
 * Suite unit. Compiles src/guestkernel/mm/palloc.c alone against a real pmem
 * (a memfd: no vmspace, no ptrace). gk_panic is this file's: in the release
 * build no path of palloc may reach it for such input, so it fails the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "guestkernel/mm/mm.h"

#define RAM_PAGES 256

void
gk_panic(const char *fn, const char *fmt, ...)
{
	fail_msg("gk_panic from %s (%s)", fn, fmt);
	abort();
}

struct fixture {
	struct uvk_pmem *pm;
	struct gk_palloc pa;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pm = uvk_pmem_create(RAM_PAGES * GK_PAGE);
	assert_non_null(f->pm);
	assert_int_equal(gk_palloc_init(&f->pa, f->pm), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gk_palloc_fini(&f->pa);
	uvk_pmem_free(f->pm);
	free(f);
	return 0;
}

/* Frame numbers a page table in guest RAM could name that are not frames in use. */
static const uint64_t hostile[] = {
    RAM_PAGES * GK_PAGE,	   /* one past the end */
    (RAM_PAGES + 1) * GK_PAGE,	   /* past it */
    0x000ffffffff00000ULL,	   /* the finding's frame, near 2^52 */
    0x000ffffffffff000ULL,	   /* every frame bit */
    1ULL << 32,			   /* a 32-bit wrap */
    0,				   /* frame 0, never handed out */
    5 * GK_PAGE + 8,		   /* unaligned */
};

static void
test_hostile_frames_are_refused(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_false(gk_frame_ok(&f->pa, hostile[i]));
		assert_false(gk_leaf_frame_ok(&f->pa, hostile[i]));
		assert_int_equal(gk_page_ref(&f->pa, hostile[i]), -EFAULT);
		assert_int_equal(gk_page_drop(&f->pa, hostile[i]), -EFAULT);
		assert_int_equal(gk_page_unref(&f->pa, hostile[i]), -EFAULT);
		assert_int_equal(gk_page_refs(&f->pa, hostile[i]), 0);
		assert_int_equal(gk_palloc_free(&f->pa, hostile[i], 1), -EFAULT);
	}
	/* A run that starts inside RAM and ends past it frees nothing. */
	assert_int_equal(gk_palloc_free(&f->pa, (RAM_PAGES - 2) * GK_PAGE, 4), -EFAULT);
	assert_int_equal(gk_palloc_free(&f->pa, GK_PAGE, UINT64_MAX / GK_PAGE), -EFAULT);
	assert_int_equal(f->pa.nfree, RAM_PAGES - 1);
}

static void
test_free_frames_are_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa;

	assert_int_equal(gk_palloc_run(&f->pa, 1, &gpa), 1);
	assert_true(gk_frame_ok(&f->pa, gpa));
	assert_int_equal(gk_page_unref(&f->pa, gpa), 1); /* the last reference: freed */
	assert_false(gk_frame_ok(&f->pa, gpa));
	assert_int_equal(gk_page_drop(&f->pa, gpa), -EFAULT);
	assert_int_equal(gk_page_ref(&f->pa, gpa), -EFAULT);
	assert_int_equal(gk_palloc_free(&f->pa, gpa, 1), -EFAULT);
	assert_int_equal(f->pa.nfree, RAM_PAGES - 1);
}

static void
test_table_frames_are_no_leaves(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa;

	assert_int_equal(gk_palloc_run(&f->pa, 1, &gpa), 1);
	gk_frame_set_table(&f->pa, gpa, true);
	assert_true(gk_frame_ok(&f->pa, gpa));
	assert_true(gk_frame_is_table(&f->pa, gpa));
	assert_false(gk_leaf_frame_ok(&f->pa, gpa));
	/* A leaf naming a table can neither be shared nor dropped. */
	assert_int_equal(gk_page_ref(&f->pa, gpa), -EFAULT);
	assert_int_equal(gk_page_drop(&f->pa, gpa), -EFAULT);
	/* Freed as a table, the frame forgets it was one. */
	assert_int_equal(gk_palloc_free(&f->pa, gpa, 1), 0);
	assert_int_equal(gk_palloc_run(&f->pa, 1, &gpa), 1);
	assert_false(gk_frame_is_table(&f->pa, gpa));
	assert_true(gk_leaf_frame_ok(&f->pa, gpa));
}

static void
test_refs_saturate(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa;
	unsigned i;

	assert_int_equal(gk_palloc_run(&f->pa, 1, &gpa), 1);
	for (i = 1; i < UINT16_MAX; i++)
		assert_int_equal(gk_page_ref(&f->pa, gpa), 0);
	assert_int_equal(gk_page_refs(&f->pa, gpa), UINT16_MAX);
	/* One more would wrap to 0, and the next drop would free a mapped frame. */
	assert_int_equal(gk_page_ref(&f->pa, gpa), -EAGAIN);
	assert_int_equal(gk_page_refs(&f->pa, gpa), UINT16_MAX);
	assert_int_equal(gk_page_drop(&f->pa, gpa), 0);
	assert_true(gk_frame_ok(&f->pa, gpa));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hostile_frames_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_frames_are_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_frames_are_no_leaves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refs_saturate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
