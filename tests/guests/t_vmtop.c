/*
 * t_vmtop.c - the top of the user address space is 0x7ffffffff000 (x86-64
 * TASK_SIZE with 4-level tables): nothing is ever mapped at or above it.
 *
 * Guest test program (see guest.h). mmap(2): without MAP_FIXED the address
 * is a hint, and a hint the kernel cannot use is ignored (the mapping lands
 * elsewhere and works); with MAP_FIXED a range past the top is ENOMEM
 * (mm/mmap.c: addr + len > TASK_SIZE). The last page below 2^47 is not
 * usable either, though it lies below the 47-bit limit.
 *
 * Usage: t_vmtop
 */
#include <stdint.h>
#include <sys/mman.h>

#include "guest.h"

#define PAGE 4096UL
#define TOP  0x7ffffffff000UL

static void
hint(uintptr_t at, size_t len)
{
	char what[96];
	char *m = mmap((void *)at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	snprintf(what, sizeof(what), "hint %#lx + %zu: mapped", (unsigned long)at, len);
	if (!CHECK_OK(what, m == MAP_FAILED ? -1 : 0))
		return;
	snprintf(what, sizeof(what), "hint %#lx + %zu: below the top", (unsigned long)at, len);
	check((uintptr_t)m + len <= TOP, what, "got %p", (void *)m);
	m[0] = 7;
	m[len - 1] = 9;
	snprintf(what, sizeof(what), "hint %#lx + %zu: usable", (unsigned long)at, len);
	CHECK_EQ(what, m[0] + m[len - 1], 16);
	munmap(m, len);
}

int
main(void)
{
	void *m;

	guest_begin("t_vmtop", "nothing is mapped at or above 0x7ffffffff000");
	hint(TOP, PAGE);
	hint(TOP - PAGE, 2 * PAGE);
	hint(0x7ffffffffff000UL, PAGE);
	m = mmap((void *)TOP, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	CHECK_ERR("MAP_FIXED at the top", m == MAP_FAILED ? -1 : 0, ENOMEM);
	m = mmap((void *)(0x800000000000UL - PAGE), PAGE, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_ERR("MAP_FIXED at the last page below 2^47", m == MAP_FAILED ? -1 : 0, ENOMEM);
	return guest_end();
}
