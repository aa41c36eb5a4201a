/*
 * test_fault.c - the fault shortcut and the M bit, forwarded faults,
 * invalidation, and guest memory being the memfd both ways.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define DATA_GVA 0x20000000ULL

static uint64_t
pte_of(struct mini *m, uint64_t gva)
{
	uint64_t pte = 0;

	assert_int_equal(uvk_vpt_lookup(uvk_pmem_vpt(m->pm), m->root, gva, &pte, NULL), 0);
	return pte;
}

/* Pages the table maps are resolved with no trap, and counted as such. */
static void
test_shortcut_resolves(void **state)
{
	struct mini m;
	struct uvk_stats s;
	long rep[2], want = 0;
	int n;

	probe_setup(&m, P_TOUCH);
	for (int i = 0; i < 32; i++) {
		uint64_t gpa = mini_page(&m);

		*(long *)mini_hva(&m, gpa) = 1000 + i;
		want += 1000 + i;
		assert_int_equal(mini_enter(&m, DATA_GVA + i * UVK_PAGE_SIZE, gpa,
					    UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX), 0);
	}
	m.arg[1] = DATA_GVA;
	m.arg[2] = 32;
	m.arg[3] = 0;
	assert_int_equal(mini_run_to_exit(&m, rep, 2, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rep[0], want); /* tracer wrote, guest read */
	uvk_vmspace_stats(m.vms, &s);
	assert_int_equal(s.faults_forwarded, 0);
	assert_true(s.faults_resolved >= 1);
	/* fault-around: 32 contiguous pages need far fewer than 32 faults */
	assert_true(s.faults_resolved < 16);
	assert_true(s.pages_mapped >= 32);
	mini_fini(&m);
}

/* No entry: a page-fault trap; once the kernel fills it, the program goes on. */
static void
test_forward_then_fill(void **state)
{
	struct mini m;
	struct uvk_trap t;
	struct uvk_stats s;
	uint64_t gpas[4];
	int faults = 0;

	probe_setup(&m, P_TOUCH);
	m.arg[1] = DATA_GVA;
	m.arg[2] = 4;
	m.arg[3] = 1;
	for (;;) {
		assert_int_equal(mini_run(&m, &t), 0);
		if (t.kind == UVK_TRAP_SYSCALL && t.syscall.nr == 60)
			break;
		if (t.kind == UVK_TRAP_SYSCALL) {
			m.regs.rax = 0;
			continue;
		}
		assert_int_equal(t.kind, UVK_TRAP_PAGE_FAULT);
		assert_int_equal(t.page_fault.gva, DATA_GVA + faults * UVK_PAGE_SIZE);
		assert_int_equal(t.page_fault.error, -ENOENT);
		/* a write to a page never mapped shows as a read (see uvk/vmspace.h) */
		assert_int_equal(t.page_fault.access, UVK_ACCESS_READ);
		gpas[faults] = mini_page(&m);
		assert_int_equal(mini_enter(&m, t.page_fault.gva, gpas[faults],
					    UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX), 0);
		faults++;
		assert_true(faults <= 4);
	}
	assert_int_equal(t.syscall.args[0], 0);
	assert_int_equal(faults, 4);
	/* guest wrote, tracer reads through its own mapping */
	for (int i = 0; i < 4; i++)
		assert_int_equal(*(long *)mini_hva(&m, gpas[i]), i + 1);
	uvk_vmspace_stats(m.vms, &s);
	assert_int_equal(s.faults_forwarded, 4);
	mini_fini(&m);
}

/* A read sets A only; a write sets A and M (the page was mapped read-only first). */
static void
test_accessed_modified(void **state)
{
	struct mini m;
	uint64_t gpa;
	long rep[4];
	int n;

	probe_setup(&m, P_READ_TWICE);
	gpa = mini_page(&m);
	assert_int_equal(mini_enter(&m, DATA_GVA, gpa, UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX), 0);
	assert_false(pte_of(&m, DATA_GVA) & (UVK_PTE_A | UVK_PTE_M));
	m.arg[1] = DATA_GVA;
	assert_int_equal(mini_run_to_exit(&m, rep, 4, &n, NULL), 0);
	assert_true(pte_of(&m, DATA_GVA) & UVK_PTE_A);
	assert_false(pte_of(&m, DATA_GVA) & UVK_PTE_M);
	mini_fini(&m);

	probe_setup(&m, P_WRITE_AT);
	gpa = mini_page(&m);
	assert_int_equal(mini_enter(&m, DATA_GVA, gpa, UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX), 0);
	m.arg[1] = DATA_GVA;
	m.arg[2] = 0x77;
	assert_int_equal(mini_run_to_exit(&m, rep, 4, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rep[1], 0x77);
	assert_true(pte_of(&m, DATA_GVA) & UVK_PTE_A);
	assert_true(pte_of(&m, DATA_GVA) & UVK_PTE_M);
	assert_int_equal(*(long *)mini_hva(&m, gpa), 0x77);
	mini_fini(&m);
}

/* A write to a page whose entry is read-only comes back as a WRITE fault (-EACCES). */
static void
test_write_to_readonly_forwarded(void **state)
{
	struct mini m;
	struct uvk_trap t;
	uint64_t gpa;

	probe_setup(&m, P_WRITE_AT);
	gpa = mini_page(&m);
	assert_int_equal(mini_enter(&m, DATA_GVA, gpa, UVK_PTE_U | UVK_PTE_NX), 0);
	m.arg[1] = DATA_GVA;
	m.arg[2] = 5;
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_PAGE_FAULT);
	assert_int_equal(t.page_fault.gva, DATA_GVA);
	assert_int_equal(t.page_fault.access, UVK_ACCESS_WRITE);
	assert_int_equal(t.page_fault.error, -EACCES);
	/* the kernel makes it writable (say, after a COW copy) and invalidates */
	assert_int_equal(uvk_vpt_update(uvk_pmem_vpt(m.pm), m.root, DATA_GVA, UVK_PTE_W, 0, NULL), 0);
	assert_int_equal(uvk_vmspace_invalidate(m.vms, DATA_GVA, UVK_PAGE_SIZE), 0);
	long rep[4];
	int n;
	assert_int_equal(mini_run_to_exit(&m, rep, 4, &n, NULL), 0);
	assert_int_equal(rep[1], 5);
	mini_fini(&m);
}

/*
 * After invalidate, the next access walks again and sees the new entry; and
 * without it the old mapping stays (the library never guesses), which shows
 * it is the invalidation that did it.
 */
static void
invalidate_case(bool invalidate)
{
	struct mini m;
	struct uvk_trap t;
	uint64_t a, b;

	probe_setup(&m, P_READ_TWICE);
	a = mini_page(&m);
	b = mini_page(&m);
	*(long *)mini_hva(&m, a) = 111;
	*(long *)mini_hva(&m, b) = 222;
	assert_int_equal(mini_enter(&m, DATA_GVA, a, UVK_PTE_U | UVK_PTE_NX), 0);
	m.arg[1] = DATA_GVA;
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(t.syscall.args[0], 111);
	assert_int_equal(mini_enter(&m, DATA_GVA, b, UVK_PTE_U | UVK_PTE_NX), 0);
	if (invalidate)
		assert_int_equal(uvk_vmspace_invalidate(m.vms, DATA_GVA, UVK_PAGE_SIZE), 0);
	m.regs.rax = 0;
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(t.syscall.args[0], invalidate ? 222 : 111);
	mini_fini(&m);
}

static void
test_invalidate_refaults(void **state)
{
	invalidate_case(true);
}

static void
test_no_invalidate_keeps_old(void **state)
{
	invalidate_case(false);
}

/* Contiguous frames mapped by the shortcut end up as one host mapping. */
static void
test_fault_around_merges(void **state)
{
	char path[64], line[256];
	struct mini m;
	long rep[2];
	int n, lines = 0;
	FILE *f;

	probe_setup(&m, P_TOUCH);
	/* frames first, so that the tables the entries need do not split the run */
	m.next_gpa = (m.next_gpa + 0xffff) & ~0xffffULL;
	uint64_t first = mini_page(&m);
	for (int i = 1; i < 64; i++)
		assert_int_equal(mini_page(&m), first + i * UVK_PAGE_SIZE);
	for (int i = 0; i < 64; i++)
		assert_int_equal(mini_enter(&m, DATA_GVA + i * UVK_PAGE_SIZE, first + i * UVK_PAGE_SIZE,
					    UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX | UVK_PTE_M), 0);
	m.arg[1] = DATA_GVA;
	m.arg[2] = 64;
	m.arg[3] = 1;
	assert_int_equal(mini_run(&m, &(struct uvk_trap){ 0 }), 0); /* the report */
	snprintf(path, sizeof(path), "/proc/%d/maps", uvk_vmspace_host_pid(m.vms));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < DATA_GVA + 64 * 4096 &&
		    hi > DATA_GVA) {
			lines++;
			assert_int_equal(lo, DATA_GVA);
			assert_int_equal(hi, DATA_GVA + 64 * 4096);
		}
	}
	fclose(f);
	assert_int_equal(lines, 1);
	m.regs.rax = 0;
	assert_int_equal(mini_run_to_exit(&m, rep, 2, &n, NULL), 0);
	mini_fini(&m);
}

/*
 * uvk_vmspace_prefault maps pages in one batch: the guest then takes no fault
 * on them. The frames are scattered (every other page) so that fault-around
 * cannot hide the difference: without the prefault each page faults.
 */
static uint64_t
prefault_case(bool prefault)
{
	struct mini m;
	struct uvk_stats s;
	long rep[2];
	int n;

	probe_setup(&m, P_TOUCH);
	for (int i = 0; i < 16; i++) {
		uint64_t gpa = mini_page(&m);

		mini_page(&m);
		assert_int_equal(mini_enter(&m, DATA_GVA + i * UVK_PAGE_SIZE, gpa,
					    UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX), 0);
	}
	if (prefault)
		assert_int_equal(uvk_vmspace_prefault(m.vms, DATA_GVA, 16 * UVK_PAGE_SIZE), 16);
	assert_int_equal(uvk_vmspace_prefault(m.vms, UVK_STUB_BASE, UVK_PAGE_SIZE), -EINVAL);
	m.arg[1] = DATA_GVA;
	m.arg[2] = 16;
	m.arg[3] = 0;
	assert_int_equal(mini_run_to_exit(&m, rep, 2, &n, NULL), 0);
	uvk_vmspace_stats(m.vms, &s);
	mini_fini(&m);
	return s.faults_resolved;
}

static void
test_prefault(void **state)
{
	uint64_t without = prefault_case(false), with = prefault_case(true);

	assert_int_equal(without - with, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shortcut_resolves),
		cmocka_unit_test(test_forward_then_fill),
		cmocka_unit_test(test_accessed_modified),
		cmocka_unit_test(test_write_to_readonly_forwarded),
		cmocka_unit_test(test_invalidate_refaults),
		cmocka_unit_test(test_no_invalidate_keeps_old),
		cmocka_unit_test(test_fault_around_merges),
		cmocka_unit_test(test_prefault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
