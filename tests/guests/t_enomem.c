/*
 * t_enomem - running out of guest RAM is ENOMEM for the program, not death.
 *
 * Usage: t_enomem MIN_MIB MAX_MIB [--rlimit-as MIB]
 *
 * The contract tested. A guest kernel cannot promise memory it does not have
 * and still let every touch succeed, so the program asks for memory the way
 * that makes the promise checkable: 1 MiB at a time with
 * mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE). The kernel must then either
 * back the pages at mmap time or refuse the mmap with ENOMEM; it may refuse
 * early (accounting, a reserve for its own page tables), but once an mmap
 * succeeded, touching its pages must not fail. So:
 *	- mmap eventually fails, with ENOMEM, after MIN_MIB and before MAX_MIB
 *	  (under uvk -m 64M: at least 32 MiB, less than 64);
 *	- every page obtained holds what was written to it, after the failure
 *	  too (no page handed out twice);
 *	- after munmap of it all, as much can be had again (nothing leaked);
 *	- the program is still running at the end and exits 0.
 * A kernel that kills the program on a touch instead fails the test (the
 * harness sees a signal status). Linux itself does not fail MAP_POPULATE for
 * want of RAM (it overcommits, then OOM-kills), so natively the harness
 * passes --rlimit-as, under which Linux refuses the mmap with ENOMEM: the
 * same contract, enforced by an address-space limit instead of RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "guest.h"

#define PAGE	   4096UL
#define MIB	   (1UL << 20)
#define MAX_CHUNKS 8192

static char *chunk[MAX_CHUNKS];

/*
 * prefault - touch, before memory runs out, what the program will touch
 * after: the chunk table and 64 KiB of stack. No kernel can back a first
 * touch of those once RAM is gone, so they must not be what fails; what is
 * left to fail is only the memory of a successful mmap.
 */
static void __attribute__((noinline)) prefault(void)
{
	volatile char stack[64 * 1024];
	size_t i;

	for (i = 0; i < sizeof(stack); i += PAGE / 2)
		stack[i] = 1;
	memset(chunk, 0, sizeof(chunk));
}

/* stamp - the word written at the start of page p of chunk c. */
static uint64_t
stamp(long c, unsigned long p)
{
	return 0x5aa5000000000000ULL | (uint64_t)c << 16 | p;
}

/*
 * grab - mmap 1 MiB chunks until mmap fails or max_mib is reached, writing
 * a stamp on each page. Returns the number of chunks; *err is the errno of
 * the failed mmap, 0 if the limit was reached first.
 */
static long
grab(long max_mib, int *err)
{
	long n;

	*err = 0;
	for (n = 0; n < max_mib && n < MAX_CHUNKS; n++) {
		char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		unsigned long i;

		if (p == MAP_FAILED) {
			*err = errno;
			break;
		}
		for (i = 0; i < MIB / PAGE; i++)
			*(uint64_t *)(p + i * PAGE) = stamp(n, i);
		chunk[n] = p;
	}
	return n;
}

/* intact - every page of the n chunks still holds its stamp; returns the bad page count. */
static long
intact(long n)
{
	long bad = 0;
	long c;
	unsigned long i;

	for (c = 0; c < n; c++)
		for (i = 0; i < MIB / PAGE; i++)
			bad += *(uint64_t *)(chunk[c] + i * PAGE) != stamp(c, i);
	return bad;
}

static long
release(long n)
{
	long failed = 0;
	long c;

	for (c = 0; c < n; c++)
		failed += munmap(chunk[c], MIB) != 0;
	return failed;
}

int
main(int argc, char **argv)
{
	long min_mib, max_mib, got, again;
	int err;

	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--rlimit-as") == 0)) {
		say("usage: t_enomem MIN_MIB MAX_MIB [--rlimit-as MIB]\n");
		return 2;
	}
	min_mib = strtol(argv[1], NULL, 10);
	max_mib = strtol(argv[2], NULL, 10);
	guest_begin("t_enomem", "exhausting memory with mmap(MAP_POPULATE) is ENOMEM");
	if (argc == 5) {
		struct rlimit rl;

		rl.rlim_cur = rl.rlim_max = strtoul(argv[4], NULL, 10) * MIB;
		if (!CHECK_EQ("setrlimit(RLIMIT_AS)", setrlimit(RLIMIT_AS, &rl), 0))
			return guest_end();
	}

	prefault();
	got = grab(max_mib, &err);
	say("     got %ld MiB before mmap failed with %s\n", got, err ? errname(err) : "nothing");
	CHECK_TRUE("mmap fails before MAX_MIB", err != 0, "got %ld MiB, want less than %ld", got,
		   max_mib);
	if (err)
		CHECK_EQ("the failed mmap's errno is ENOMEM", err, ENOMEM);
	CHECK_TRUE("at least MIN_MIB were had first", got >= min_mib,
		   "got %ld MiB, want at least %ld", got, min_mib);
	CHECK_EQ("every page obtained still holds what was written", intact(got), 0);
	CHECK_EQ("munmap of it all", release(got), 0);

	again = grab(max_mib, &err);
	say("     after release, got %ld MiB again\n", again);
	CHECK_TRUE("memory released by munmap can be had again", again >= got - 1 && err == ENOMEM,
		   "got %ld MiB and %s, want at least %ld and ENOMEM", again,
		   err ? errname(err) : "no failure", got - 1);
	CHECK_EQ("every page of the second round holds what was written", intact(again), 0);
	CHECK_EQ("munmap of it all again", release(again), 0);

	/* Still alive, and memory works: a small allocation after the storm. */
	{
		char *p =
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (CHECK_TRUE("a page can be mapped after the exhaustion", p != MAP_FAILED,
			       "got errno %s", errname(errno))) {
			p[0] = 1;
			munmap(p, PAGE);
		}
	}
	say("     %s: %ld MiB obtained\n", guest_name, got);
	return guest_end();
}
