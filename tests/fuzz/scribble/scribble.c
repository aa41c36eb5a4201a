/*
 * scribble.c - a guest that tries to write over its own page tables (issue 8,
 * item 7(c)).
 *
 * Fuzz guest, run under uvk by scribble.py. The page tables live in guest RAM;
 * if any mapping ever reached a page-table page (or a frame already handed to
 * someone else), writing plausible entries with absurd frame numbers through
 * it would make the guest kernel index outside its arrays. So the program
 * tries, with a seeded random order and random parameters, every way it can
 * think of to get such a mapping:
 *
 *   growsdown  a MAP_GROWSDOWN VMA just above the stub area (0x100000, 64 KiB),
 *              touched downwards into and below the stub;
 *   stale      touch a region, munmap it (or MADV_DONTNEED it, or shrink it by
 *              mremap), then read and write where it was;
 *   fixed      MAP_FIXED and MAP_FIXED_NOREPLACE over, across and next to the
 *              stub, and at the top of the address space;
 *   mremap     move or grow regions onto, across and next to the stub, grow a
 *              growsdown VMA downwards by moving it low;
 *   procmem    /proc/self/mem, written at random addresses (if it opens);
 *   fork       a child scribbles over memory its parent is unmapping;
 *   churn      map and touch many small regions, one page every 2 MiB, so that
 *              page tables come and go in the frames freed before.
 *
 * Every byte it can reach it scans for what looks like a page-table entry and
 * overwrites that with a frame number near 2^52. A fault is caught (SIGSEGV
 * handler on an alternate stack) and is the expected answer. What must never
 * happen is reported with a line "VIOLATION: ..." and exit status 1: a page
 * still readable after munmap, a mapping accepted over the stub, a write
 * that landed in the stub area. The harness judges uvk itself: no crash,
 * no hang, nothing left behind.
 *
 * Natively there is no stub: the program notices (MAP_FIXED_NOREPLACE at
 * 0x100000 succeeds) and checks only what holds on Linux too.
 *
 * Usage: scribble SEED ITERATIONS
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE	 4096UL
#define STUB	 0x100000UL
#define STUB_END 0x110000UL
#define BAD_FRAME 0x000ffffffff00000ULL

static uint64_t rng;
static int under_uvk;
static int violations;
static unsigned long scribbled, faults;

static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
below(uint64_t n)
{
	return next() % n;
}

static void
say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		return;
}

static void
violation(const char *what, uintptr_t addr)
{
	violations++;
	say("VIOLATION: %s at %#lx\n", what, (unsigned long)addr);
}

static sigjmp_buf env;

static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	siglongjmp(env, 1);
}

/* Read the qword at addr: 0 if it faulted (*ok = 0). */
static uint64_t
peek(uintptr_t addr, int *ok)
{
	if (sigsetjmp(env, 1)) {
		faults++;
		*ok = 0;
		return 0;
	}
	*ok = 1;
	return *(volatile uint64_t *)addr;
}

static int
poke(uintptr_t addr, uint64_t v)
{
	if (sigsetjmp(env, 1)) {
		faults++;
		return 0;
	}
	*(volatile uint64_t *)addr = v;
	return 1;
}

static int
looks_like_pte(uint64_t v)
{
	return (v & 5) == 5 && !((v >> 52) & 0x7ff) && ((v >> 12) & 0xffffffffffULL);
}

/*
 * Scan [addr, addr + len) through whatever maps it and replace every
 * entry-like word with one naming a frame far beyond guest RAM. Returns
 * how many pages could be read.
 */
static unsigned
scribble(uintptr_t addr, size_t len)
{
	unsigned pages = 0;
	int ok;

	for (uintptr_t p = addr & ~(PAGE - 1); p < addr + len; p += PAGE) {
		uint64_t v = peek(p, &ok);

		if (!ok)
			continue;
		pages++;
		for (uintptr_t q = p; q < p + PAGE; q += 8) {
			v = peek(q, &ok);
			if (!ok)
				break;
			if (looks_like_pte(v) && poke(q, (v & 0xfff) | BAD_FRAME))
				scribbled++;
		}
	}
	return pages;
}

static void *
map(uintptr_t addr, size_t len, int prot, int flags)
{
	return mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

/* A freshly touched region of n pages, or NULL. */
static char *
touched(size_t n)
{
	char *r = map(0, n * PAGE, PROT_READ | PROT_WRITE, 0);

	if (r == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i * PAGE] = (char)(i + 1);
	return r;
}

static void
try_growsdown(void)
{
	uintptr_t top = STUB_END + below(4) * PAGE;
	size_t len = (1 + below(4)) * PAGE;
	char *g = map(top, len, PROT_READ | PROT_WRITE, MAP_GROWSDOWN | MAP_FIXED_NOREPLACE);
	uintptr_t a;

	if (g == MAP_FAILED)
		return;
	for (int i = 0; i < 24; i++) {
		a = STUB - 32 * PAGE + below(32 + (top - STUB) / PAGE) * PAGE;
		if (poke(a, next()) && under_uvk && a >= STUB && a < STUB_END)
			violation("write into the stub area", a);
	}
	scribble(STUB - 32 * PAGE, 32 * PAGE);
	munmap((void *)(STUB - 64 * PAGE), top + len - (STUB - 64 * PAGE));
	if (under_uvk && scribble(STUB - 32 * PAGE, 32 * PAGE))
		violation("a page below the stub readable after munmap", STUB - PAGE);
}

static void
try_stale(void)
{
	size_t n = 1 + below(32);
	char *r = touched(n);
	int ok;

	if (!r)
		return;
	switch (below(3)) {
	case 0:
		munmap(r, n * PAGE);
		peek((uintptr_t)r + below(n) * PAGE, &ok);
		if (ok)
			violation("a page readable after munmap", (uintptr_t)r);
		scribble((uintptr_t)r, n * PAGE);
		break;
	case 1:
		madvise(r, n * PAGE, MADV_DONTNEED);
		/* Zero-filled again, never the old frame's next owner's data. */
		if (peek((uintptr_t)r, &ok) != 0 && ok)
			violation("MADV_DONTNEED page not zero", (uintptr_t)r);
		scribble((uintptr_t)r, n * PAGE);
		munmap(r, n * PAGE);
		break;
	default:
		if (n > 1 && mremap(r, n * PAGE, PAGE, 0) == r) {
			peek((uintptr_t)r + PAGE, &ok);
			if (ok)
				violation("a page readable after mremap shrank it away",
					  (uintptr_t)r + PAGE);
		}
		munmap(r, n * PAGE);
		break;
	}
}

static void
try_fixed(void)
{
	static const uintptr_t at[] = {STUB - PAGE, STUB, STUB + 3 * PAGE, STUB_END - PAGE,
				       STUB - 16 * PAGE, 0x7ffffffff000UL - PAGE, 0x7ffffffff000UL,
				       0x800000000000UL - PAGE};
	uintptr_t a = at[below(sizeof(at) / sizeof(at[0]))];
	size_t len = (1 + below(40)) * PAGE;
	/* Replacing is only for the low ones: up high natively lives the stack. */
	int flags = below(2) && a < 0x100000000UL ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	char *m = map(a, len, PROT_READ | PROT_WRITE, flags | (below(4) ? 0 : MAP_GROWSDOWN));

	if (m == MAP_FAILED)
		return;
	if (under_uvk && (uintptr_t)m < STUB_END && (uintptr_t)m + len > STUB)
		violation("a mapping accepted over the stub", (uintptr_t)m);
	for (int i = 0; i < 4; i++)
		poke((uintptr_t)m - 8 * PAGE + below(len / PAGE + 16) * PAGE, next());
	scribble((uintptr_t)m, len);
	munmap(m, len);
}

static void
try_mremap(void)
{
	static const uintptr_t at[] = {STUB - PAGE, STUB, STUB_END - PAGE, STUB_END,
				       STUB - 8 * PAGE, STUB + 5 * PAGE};
	size_t n = 1 + below(16), nn = 1 + below(32);
	char *r = touched(n), *m;
	uintptr_t a = at[below(sizeof(at) / sizeof(at[0]))];

	if (!r)
		return;
	if (below(2))
		m = mremap(r, n * PAGE, nn * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)a);
	else
		m = mremap(r, n * PAGE, nn * PAGE, below(2) ? MREMAP_MAYMOVE : 0);
	if (m == MAP_FAILED) {
		munmap(r, n * PAGE);
		return;
	}
	if (under_uvk && (uintptr_t)m < STUB_END && (uintptr_t)m + nn * PAGE > STUB)
		violation("mremap placed a mapping over the stub", (uintptr_t)m);
	scribble((uintptr_t)m - 4 * PAGE, (nn + 8) * PAGE);
	munmap(m, nn * PAGE);
	if (m != r)
		munmap(r, n * PAGE);
}

static void
try_procmem(void)
{
	int fd = open("/proc/self/mem", O_RDWR);
	uint64_t v = BAD_FRAME | 7;
	char *r;

	if (fd < 0)
		return;
	r = touched(4);
	if (r) {
		/* Only our own fresh region: writing elsewhere would kill us, not test uvk. */
		for (int i = 0; i < 64; i++)
			if (pwrite(fd, &v, sizeof(v), (off_t)(uintptr_t)(r + below(4 * PAGE / 8) * 8)) <
			    0)
				break;
		munmap(r, 4 * PAGE);
	}
	/* The stub and tables are not ours to write, by any route. */
	if (pwrite(fd, &v, sizeof(v), (off_t)STUB) == (ssize_t)sizeof(v) && under_uvk)
		violation("/proc/self/mem wrote into the stub", STUB);
	close(fd);
}

static void
try_fork(void)
{
	size_t n = 1 + below(16);
	char *r = touched(n);
	pid_t pid;

	if (!r)
		return;
	pid = fork();
	if (pid == 0) {
		/* Child: the region is ours copy-on-write; unmap half, scribble the rest. */
		munmap(r, (n / 2) * PAGE);
		scribble((uintptr_t)r, n * PAGE);
		_exit(0);
	}
	munmap(r + (n / 2) * PAGE, (n - n / 2) * PAGE);
	scribble((uintptr_t)r, n * PAGE);
	munmap(r, n * PAGE);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
try_churn(void)
{
	enum { MAX = 64 };
	char *reg[MAX];
	int n = 1 + (int)below(MAX), i;
	uintptr_t base = 0x100000000000UL + below(1024) * (2UL << 20);

	for (i = 0; i < n; i++) {
		reg[i] = map(base + (uintptr_t)i * (2UL << 20), PAGE, PROT_READ,
			     MAP_FIXED_NOREPLACE);
		if (reg[i] != MAP_FAILED)
			(void)*(volatile char *)reg[i];
	}
	for (i = 0; i < n; i++)
		if (reg[i] != MAP_FAILED)
			munmap(reg[i], PAGE);
}

int
main(int argc, char **argv)
{
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK};
	void (*const tries[])(void) = {try_growsdown, try_stale, try_fixed, try_mremap,
				       try_procmem,   try_fork,	 try_churn};
	unsigned long iters;
	void *probe;

	if (argc != 3) {
		say("usage: scribble SEED ITERATIONS\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) * 0x2545f4914f6cdd1dULL;
	iters = strtoul(argv[2], NULL, 0);
	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	probe = map(STUB, PAGE, PROT_READ, MAP_FIXED_NOREPLACE);
	under_uvk = probe == MAP_FAILED;
	if (!under_uvk)
		munmap(probe, PAGE);
	for (unsigned long i = 0; i < iters; i++)
		tries[below(sizeof(tries) / sizeof(tries[0]))]();
	say("scribble: seed %s, %lu iterations, %lu faults caught, %lu words scribbled, "
	    "%d violations\n",
	    argv[1], iters, faults, scribbled, violations);
	return violations ? 1 : 0;
}
