/*
 * t_mremap.c - mremap that moves and shrinks at once touches nothing but
 * the new range: the pages past the new length go with the old range, and a
 * mapping right after the new range is left as it was.
 *
 * Guest test program (see guest.h). mremap(2): the old mapping is moved to
 * new_address and resized; with MREMAP_FIXED "any previous mapping at the
 * address range specified by new_address and new_size is unmapped", that
 * range only. Under uvk the entries of the pages beyond the new size used to
 * move too, landing over whatever followed the new range (or the stub).
 *
 * Usage: t_mremap
 */
#include <stdint.h>
#include <sys/mman.h>

#include "guest.h"

#define PAGE 4096UL

static char *
filled(size_t pages, char c)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < pages; i++)
		memset(m + i * PAGE, c + (char)i, PAGE);
	return m;
}

int
main(void)
{
	char *r, *area, *dst, *x, *m;

	guest_begin("t_mremap", "a move that shrinks leaves the pages after the new range alone");
	/* Room for dst (1 page) and a neighbour X right after it. */
	area = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = filled(4, 'a');
	if (!CHECK_OK("mmap", area == MAP_FAILED || !r ? -1 : 0))
		return guest_end();
	munmap(area, 8 * PAGE);
	dst = area + 2 * PAGE;
	x = mmap(dst + PAGE, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (!CHECK_EQX("the neighbour X right after dst", x, dst + PAGE))
		return guest_end();
	memset(x, 'X', PAGE);

	m = mremap(r, 4 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (!CHECK_EQX("mremap 4 pages to 1 at dst", m, dst))
		return guest_end();
	CHECK_EQ("dst holds the first page", dst[0] + dst[PAGE - 1], 2 * 'a');
	CHECK_EQ("X is still X (first byte)", x[0], 'X');
	CHECK_EQ("X is still X (last byte)", x[PAGE - 1], 'X');
	x[0] = 'Y';
	CHECK_EQ("X still takes writes", x[0], 'Y');

	/* The same with MREMAP_MAYMOVE alone: the new range is wherever it lands. */
	r = filled(6, 'k');
	if (!CHECK_OK("mmap", r ? 0 : -1))
		return guest_end();
	m = mremap(r, 6 * PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	CHECK_EQX("shrinking in place keeps the address", m, r);
	CHECK_EQ("and the content", m[PAGE] + m[2 * PAGE - 1], 2 * ('k' + 1));
	return guest_end();
}
