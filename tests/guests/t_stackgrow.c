/*
 * t_stackgrow.c - where a stack that grows down must stop.
 *
 * Guest test program (see guest.h). A VMA that grows down (MAP_GROWSDOWN,
 * or the main stack) grows on a fault below its start, and Linux stops it
 * (mm/mmap.c, expand_downwards and acct_stack_growth) at:
 *
 *   - RLIMIT_STACK: the grown VMA may not be larger than the soft limit;
 *   - the guard gap (stack_guard_gap, 256 pages by default) above the next
 *     lower VMA, when that VMA is accessible (not PROT_NONE) and does not
 *     grow down itself;
 *
 * and a fault it does not allow is SIGSEGV at the faulting address. Under
 * uvk there is one more thing below every stack: the stub area at
 * [0x100000, 0x110000), which a guest mapping may never overlap. The
 * program maps a read-only "blocker" there (MAP_FIXED_NOREPLACE: natively
 * it is mapped, under uvk it is refused because the stub is there), so that
 * the same expectations hold natively and under uvk: a stack above the stub
 * never grows into it or below it.
 *
 * Cases, each in its own child process (a fault is caught by a SIGSEGV
 * handler on an alternate stack and the probe reports the address):
 *
 *   stub     a MAP_GROWSDOWN VMA right above the stub. Writes into the stub
 *            and just below it must fault. This is issue 8's finding: the
 *            VMA grew over the stub, its pages below the stub stayed mapped
 *            in the host after munmap (the invalidation of a range over the
 *            stub was refused and ignored) while their frames went to other
 *            processes and to page tables. Should a write get through, the
 *            program goes on as the attacker did: munmap, then look whether
 *            the page still answers (a stale mapping), and if it does,
 *            scribble frame numbers far beyond guest RAM over whatever page
 *            tables land there and unmap everything (the tracer then wrote
 *            out of bounds and died). Meanwhile a bystander process holds
 *            256 pages of entry-like words and checks them afterwards.
 *   gap      a MAP_GROWSDOWN VMA above a read-only page: it grows down to
 *            exactly 256 pages above that page, and faults one page lower.
 *   gapnone  the same above a PROT_NONE page: no gap, it grows right up to it.
 *   rlimit   RLIMIT_STACK of 64 pages: a one-page MAP_GROWSDOWN VMA grows to
 *            64 pages and faults at the 65th.
 *   mainstk  the main stack, moved by mremap to a low address where it is the
 *            lowest VMA above the stub: it grows down to the guard gap above
 *            the stub (the blocker natively) and stops there.
 *
 * Usage: t_stackgrow (every case).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "guest.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE	 4096UL
#define GAP	 (256 * PAGE) /* Linux's default stack_guard_gap */
#define STUB	 0x100000UL   /* uvk's stub area, and the native blocker */
#define STUB_END 0x110000UL

static sigjmp_buf probe_env;
static volatile uintptr_t fault_addr;

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(probe_env, 1);
}

/* Write one byte at addr: 0 if it went through, else the faulting address. */
static uintptr_t
probe_write(uintptr_t addr)
{
	if (sigsetjmp(probe_env, 1))
		return fault_addr ? fault_addr : 1;
	*(volatile char *)addr = 1;
	return 0;
}

static uintptr_t
probe_read(uintptr_t addr)
{
	if (sigsetjmp(probe_env, 1))
		return fault_addr ? fault_addr : 1;
	(void)*(volatile char *)addr;
	return 0;
}

/* Catch SIGSEGV on an alternate stack: the stack under test may be the one that faults. */
static void
catch_segv(void)
{
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};

	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/*
 * Touch the pages below top one by one, down to floor at most, until one
 * faults. Returns the lowest page that took the write; *ret_fault is where
 * the fault was (0 if none down to floor).
 */
static uintptr_t
grow_until_fault(uintptr_t top, uintptr_t floor, uintptr_t *ret_fault)
{
	uintptr_t a, low = top;

	*ret_fault = 0;
	for (a = top - PAGE; a >= floor; a -= PAGE) {
		uintptr_t f = probe_write(a);

		if (f) {
			*ret_fault = f;
			break;
		}
		low = a;
	}
	return low;
}

/* Map the read-only blocker over the stub area; 1 if it is there (natively). */
static int
map_blocker(void)
{
	void *b = mmap((void *)STUB, STUB_END - STUB, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (b == (void *)STUB) {
		say("blocker mapped at %#lx (native run)\n", STUB);
		return 1;
	}
	if (b != MAP_FAILED)
		munmap(b, STUB_END - STUB);
	say("blocker refused (%s): the stub is there (uvk run)\n",
	    b == MAP_FAILED ? errname(errno) : "elsewhere");
	return 0;
}

/*
 * The rest of the finding, run only if the stack got below the stub: after
 * munmap a page there must fault; if it does not, the frame behind it is
 * someone else's. Fill guest RAM with fresh page tables (one touch every
 * 2 MiB) and write an absurd frame number into every entry that looks like
 * one, then unmap it all: the kernel must survive and kill at most us.
 */
static void *
map_at(uintptr_t addr, size_t len, int prot, int flags)
{
	return mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | flags,
		    -1, 0);
}

static int
looks_like_pte(uint64_t v)
{
	return (v & 5) == 5 && !((v >> 52) & 0x7ff) && ((v >> 12) & 0xffffffffffULL);
}

static void
exploit_stale(uintptr_t stale)
{
	enum { REGIONS = 4096 };
	static char *reg[REGIONS];
	uintptr_t f, p;
	int i, n, hits = 0;

	/* The whole VMA, grown over the stub: nothing is left to grow back. */
	munmap((void *)stale, STUB_END + 4 * PAGE - stale);
	f = probe_read(stale);
	if (check(f != 0, "a page below the stub faults after munmap", "it still reads: stale"))
		return;
	/*
	 * One read-only page every 2 MiB: each costs a frame and a new page
	 * table, and frames are handed out again once the allocator wraps.
	 */
	for (n = 0; n < REGIONS && !hits; n++) {
		reg[n] = map_at(0x10000000000UL + ((uintptr_t)n << 21), PAGE, PROT_READ, 0);
		if (reg[n] == MAP_FAILED)
			break;
		(void)*(volatile char *)reg[n];
		for (p = stale; p < STUB && !hits; p += 8) {
			uint64_t v = *(volatile uint64_t *)p;

			if (looks_like_pte(v)) {
				*(volatile uint64_t *)p = (v & 0xfff) | 0x000ffffffff00000ULL;
				hits++;
			}
		}
	}
	say("%d regions mapped; scribbled %d entries through the stale mapping\n", n, hits);
	for (i = 0; i < n; i++)
		munmap(reg[i], PAGE);
}

/*
 * A bystander: another process whose memory holds words that look like
 * page-table entries (what the scribbler overwrites). It fills 256 pages,
 * says so on ready, waits for go, and exits 0 only if every word is intact.
 */
enum { VICTIM_PAGES = 256 };

static uint64_t
victim_word(size_t i)
{
	return ((i & 0xfff) << 12) | 0x8000000000000007ULL;
}

static pid_t
victim_start(int *ret_go)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		uint64_t *m = mmap(NULL, VICTIM_PAGES * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i, bad = 0;

		if (m == MAP_FAILED)
			_exit(2);
		for (i = 0; i < VICTIM_PAGES * PAGE / 8; i++)
			m[i] = victim_word(i);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		for (i = 0; i < VICTIM_PAGES * PAGE / 8; i++)
			bad += m[i] != victim_word(i);
		_exit(bad ? 1 : 0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	*ret_go = go[1];
	return pid;
}

static void
case_stub(void)
{
	uintptr_t f, a;
	int n, go = -1, st = 0;
	pid_t victim = victim_start(&go);
	char *g;

	CHECK_OK("a bystander process with entry-like data", victim);
	map_blocker();
	g = map_at(STUB_END, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_GROWSDOWN);
	if (!CHECK_EQX("MAP_GROWSDOWN right above the stub", g, STUB_END))
		return;
	CHECK_EQX("its own page takes a write", probe_write(STUB_END), 0);
	f = probe_write(STUB - PAGE);
	CHECK_EQX("a write just below the stub faults at that address", f, STUB - PAGE);
	for (a = STUB - PAGE, n = 0; a >= STUB - 16 * PAGE; a -= PAGE)
		n += probe_write(a) == 0;
	if (!CHECK_EQ("none of the 16 pages below the stub takes a write", n, 0))
		exploit_stale(STUB - 16 * PAGE);
	f = probe_write(STUB_END - PAGE);
	check(f != 0, "a write just below the VMA (in the stub area) faults", "it went through");
	if (victim > 0) {
		if (write(go, "g", 1) != 1 || waitpid(victim, &st, 0) != victim)
			st = -1;
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the bystander's memory is intact",
		      "its status %#x", st);
	}
	CHECK_EQX("the VMA is still where it was", probe_write(STUB_END + 3 * PAGE), 0);
}

static void
case_gap(int prot)
{
	const uintptr_t below = 0x40000000, top = below + PAGE + GAP + 4 * PAGE;
	uintptr_t low, f;
	char *b, *g;

	b = map_at(below, PAGE, prot, 0);
	g = map_at(top - PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_GROWSDOWN);
	if (!CHECK_EQX("the page below", b, below) ||
	    !CHECK_EQX("MAP_GROWSDOWN above it", g, top - PAGE))
		return;
	low = grow_until_fault(top - PAGE, below + PAGE, &f);
	if (prot != PROT_NONE) {
		CHECK_EQX("grows down to the guard gap", low, below + PAGE + GAP);
		CHECK_EQX("faults one page into the gap", f, below + GAP);
	} else {
		CHECK_EQX("grows right up to a PROT_NONE page", low, below + PAGE);
		CHECK_EQX("no fault above it", f, 0);
		CHECK_EQX("the PROT_NONE page itself faults", probe_read(below), below);
	}
}

static void
case_rlimit(void)
{
	struct rlimit rl;
	uintptr_t top, low, f;
	char *r, *g;

	/* A free MiB of address space, the stack at its top. */
	r = mmap(NULL, 1UL << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK_OK("reserve 1 MiB", r == MAP_FAILED ? -1 : 0))
		return;
	munmap(r, 1UL << 20);
	top = (uintptr_t)r + (1UL << 20);
	CHECK_OK("getrlimit", getrlimit(RLIMIT_STACK, &rl));
	rl.rlim_cur = 64 * PAGE;
	CHECK_OK("setrlimit RLIMIT_STACK 64 pages", setrlimit(RLIMIT_STACK, &rl));
	g = map_at(top - PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_GROWSDOWN);
	if (!CHECK_EQX("MAP_GROWSDOWN", g, top - PAGE))
		return;
	low = grow_until_fault(top - PAGE, (uintptr_t)r, &f);
	CHECK_EQX("grows to RLIMIT_STACK", low, top - 64 * PAGE);
	CHECK_EQX("faults at the 65th page", f, top - 65 * PAGE);
}

/* The [stack] VMA from /proc/self/maps. */
static int
find_stack(uintptr_t *ret_start, uintptr_t *ret_end)
{
	static char buf[65536];
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n, len = 0;
	char *line;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%lx-%lx", (unsigned long *)ret_start, (unsigned long *)ret_end) == 2)
			return 0;
	}
	return -1;
}

/*
 * Runs on a stack of its own: moves the main stack down to just above the
 * guard gap over the stub (or the blocker) and grows it from there.
 */
static void
mainstk_body(void)
{
	uintptr_t s, e, len, dst, low, f;
	void *m;

	map_blocker();
	if (!CHECK_OK("find [stack] in /proc/self/maps", find_stack(&s, &e)))
		_exit(1);
	len = e - s;
	dst = STUB_END + GAP + 16 * PAGE;
	if (!check(dst + len <= 0x400000, "the main stack fits below the program",
		   "%#lx bytes", (unsigned long)len))
		_exit(1);
	m = mremap((void *)s, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)dst);
	if (!CHECK_EQX("mremap the main stack down", m, dst))
		_exit(1);
	low = grow_until_fault(dst, STUB_END, &f);
	CHECK_EQX("the moved main stack grows down to the gap above the stub", low, STUB_END + GAP);
	CHECK_EQX("and faults one page lower", f, STUB_END + GAP - PAGE);
	/* The frames that called us were on the stack that moved: no way back. */
	_exit(guest_failures ? 1 : 0);
}

static void
case_mainstk(void)
{
	static char stk[256 * 1024] __attribute__((aligned(16)));

	/* Run mainstk_body on stk (it never returns): the main stack may then move. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "call *%1"
			 :
			 : "r"(stk + sizeof(stk)), "r"(mainstk_body)
			 : "memory");
	__builtin_unreachable();
}

/* Run one case in a child; its checks count through its exit status. */
static void
run(const char *name, void (*fn)(void))
{
	pid_t pid;
	int st;

	say("-- %s\n", name);
	pid = fork();
	if (pid == 0) {
		guest_failures = 0;
		catch_segv();
		fn();
		_exit(guest_failures ? 1 : 0);
	}
	if (!CHECK_OK("fork", pid))
		return;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, name, "child status %#x", st);
}

static void
case_gap_ro(void)
{
	case_gap(PROT_READ);
}

static void
case_gap_none(void)
{
	case_gap(PROT_NONE);
}

int
main(void)
{
	guest_begin("t_stackgrow", "stack growth stops at RLIMIT_STACK, the guard gap and the stub");
	run("stub", case_stub);
	run("gap", case_gap_ro);
	run("gapnone", case_gap_none);
	run("rlimit", case_rlimit);
	run("mainstk", case_mainstk);
	return guest_end();
}
