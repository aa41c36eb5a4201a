/*
 * t_mapcount.c - the number of mappings a process may have, and a process
 * whose memory the host must map in many small pieces.
 *
 * Guest test program (see guest.h). Two cases:
 *
 *   t_mapcount limit      proc(5), /proc/sys/vm/max_map_count: a process
 *                         has at most that many mappings. mprotect(2) that
 *                         must split one past it fails with ENOMEM, as does
 *                         munmap(2) of a page inside a mapping (a split too);
 *                         mmap(2) refuses a new mapping once the count is
 *                         past it, where munmap of a mapping's first or
 *                         last page (no split) still works;
 *                         the process goes on, and its mappings still work.
 *   t_mapcount scatter N  fork, then the child writes every other page of N
 *                         pages: copy-on-write gives those pages frames of
 *                         their own, so under uvk the host must map the
 *                         child's memory in pieces of one page, more than
 *                         the host's own vm.max_map_count allows a process.
 *                         The child must still see every store (natively
 *                         trivially so), and not be killed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define PAGE 4096L
#define FILL 16 /* filler mappings: the limit is 1 or 2 away when the mprotects stop */

/* vm.max_map_count as the running kernel states it; 65530 (its default) if it cannot be read. */
static long
max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = 65530;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}

static void
limit(void)
{
	long max = max_map_count(), npages = 2 * max + 64, i, splits = 0;
	char *base, *m, *fill;
	int err = 0;

	base = mmap(NULL, npages * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (!CHECK_OK("map a region of 2 * max_map_count pages", base == MAP_FAILED ? -1 : 0))
		return;
	/* Every other page read-write: each mprotect adds two mappings, until the limit. */
	for (i = 1; i < npages - 1; i += 2) {
		if (mprotect(base + i * PAGE, PAGE, PROT_READ | PROT_WRITE) < 0) {
			err = errno;
			break;
		}
		base[i * PAGE] = 1;
		splits++;
	}
	CHECK_EQ("mprotect past max_map_count fails with ENOMEM", err, ENOMEM);
	/* The process had some mappings of its own before: allow it 200. */
	CHECK_TRUE("mappings made before the limit: close to max_map_count",
		   2 * splits + 1 > max - 200 && 2 * splits + 1 <= max,
		   "got %ld mappings, max_map_count %ld", 2 * splits + 1, max);
	CHECK_ERR("munmap of a page inside a read-only piece (a split) at the limit",
		  munmap(base + (2 * splits + 2) * PAGE + PAGE, PAGE), ENOMEM);
	/*
	 * New one-page mappings, apart from each other, until mmap refuses:
	 * Linux refuses one only once the count is past the limit, so the
	 * count is then one over it. Trimming a mapping's first or last page
	 * adds no mapping and still works there; a hole still does not.
	 */
	fill = mmap(NULL, FILL * 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (!CHECK_OK("map a region for the filler mappings", fill == MAP_FAILED ? -1 : 0))
		return;
	munmap(fill, FILL * 2 * PAGE);
	for (i = 0; i < FILL; i++) {
		if (mmap(fill + 2 * i * PAGE, PAGE, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) {
			err = errno;
			break;
		}
	}
	CHECK_TRUE("one-page mappings at the limit: mmap refuses one (ENOMEM) within a few",
		   i < FILL && err == ENOMEM, "made %ld, then errno %d", i, err);
	CHECK_OK("munmap of the first page of a mapping (no split) at the limit",
		 munmap(base + (2 * splits) * PAGE, PAGE));
	CHECK_OK("munmap of the last page of a mapping (no split) at the limit",
		 munmap(base + (npages - 1) * PAGE, PAGE));
	CHECK_ERR("munmap of a page inside a mapping is still refused",
		  munmap(base + (2 * splits + 4) * PAGE, PAGE), ENOMEM);
	munmap(fill, FILL * 2 * PAGE);
	CHECK_EQ("the read-write pages kept their contents", base[PAGE] + base[(2 * splits - 1) * PAGE],
		 2);
	CHECK_OK("munmap of the whole region", munmap(base, npages * PAGE));
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (CHECK_OK("a new mapping after the region is gone", m == MAP_FAILED ? -1 : 0)) {
		m[0] = 5;
		CHECK_EQ("the new mapping works", m[0], 5);
	}
}

static void
scatter(long n)
{
	char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;
	pid_t c;
	int st = 0;

	if (!CHECK_OK("map the region", p == MAP_FAILED ? -1 : 0))
		return;
	for (i = 0; i < n; i++)
		p[i * PAGE] = 1;
	c = fork();
	if (c == 0) {
		long sum = 0;

		for (i = 0; i < n; i += 2)
			p[i * PAGE] = 2;
		for (i = 0; i < n; i++)
			sum += p[i * PAGE];
		_exit(sum == n + (n + 1) / 2 ? 0 : 1);
	}
	if (!CHECK_OK("fork", c))
		return;
	CHECK_EQ("waitpid", waitpid(c, &st, 0), c);
	CHECK_EQX("the child saw every store and exited 0", st, 0);
	for (i = 0; i < n; i++)
		if (p[i * PAGE] != 1)
			break;
	CHECK_EQ("the parent's pages are its own (copy-on-write)", i, n);
}

int
main(int argc, char **argv)
{
	guest_begin("t_mapcount", "mappings per process, and memory the host maps in many pieces");
	if (argc > 1 && !strcmp(argv[1], "limit"))
		limit();
	else if (argc > 2 && !strcmp(argv[1], "scatter"))
		scatter(atol(argv[2]));
	else
		CHECK_TRUE("usage: t_mapcount limit | scatter N", 0, "got %d arguments", argc - 1);
	return guest_end();
}
