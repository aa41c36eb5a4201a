/*
 * t_vsyscall.c - calls into the legacy vsyscall page, as Linux emulates
 * them with vsyscall=xonly (the default since 5.x; the host that runs the
 * native suite must have it, or this program's native run fails):
 * gettimeofday at 0xffffffffff600000, time at +0x400, getcpu at +0x800
 * return to the caller with the call's result, and a pointer the call
 * cannot write is SIGSEGV (arch/x86/entry/vsyscall: "vsyscall fault").
 *
 * Guest test program (see guest.h). Checks:
 *   - gettimeofday fills tv, within a second of time(2), returns 0;
 *   - time(NULL) and time(&t) agree with time(2), t written;
 *   - getcpu returns 0 and a cpu that sched_getcpu also could give
 *     (below the CPU count), node 0;
 *   - the registers the call must keep (rbx, rbp, r12-r15, rsp) are kept;
 *   - gettimeofday with a kernel pointer and with an unmapped one, and a
 *     call into the page that is not an entry point, each end the
 *     process (a forked child) with SIGSEGV.
 *
 * Usage: t_vsyscall
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "guest.h"

#define VSYS 0xffffffffff600000UL

/* Call the page at off with two arguments; rbx and r12 must come back unchanged. */
static long
vcall(unsigned long off, void *a, void *b, int *kept)
{
	register long r12 __asm__("r12") = 0x1234567812345678L;
	long ret, rbx = 0x0badc0de0badc0deL, r12_out, rbx_out;

	/* Below the red zone: the call pushes its return address. */
	__asm__ volatile("sub $128, %%rsp\n\tcall *%[fn]\n\tadd $128, %%rsp"
			 : "=a"(ret), "+r"(r12), "+b"(rbx), "+D"(a), "+S"(b)
			 : [fn] "r"(VSYS + off)
			 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	r12_out = r12;
	rbx_out = rbx;
	*kept = r12_out == 0x1234567812345678L && rbx_out == 0x0badc0de0badc0deL;
	return ret;
}

/* Run fn in a child; the signal it died of, or 0 if it exited. */
static int
child_signal(void (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void
gtod_kernel_ptr(void)
{
	int kept;

	vcall(0, (void *)0xffff800000000000UL, NULL, &kept);
}

static void *unmapped;

static void
gtod_unmapped(void)
{
	int kept;

	vcall(0, unmapped, NULL, &kept);
}

static void
not_an_entry(void)
{
	int kept;

	vcall(0x100, NULL, NULL, &kept);
}

/* CLOCK_REALTIME's seconds, from the precise clock. */
static long
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long)ts.tv_sec;
}

int
main(void)
{
	struct timeval tv = {0, -1};
	long t1, t2, t3;
	time_t tw = 0;
	unsigned cpu = ~0u, node = ~0u;
	int kept = 0;

	guest_begin("t_vsyscall", "calls into the vsyscall page are emulated");
	/*
	 * Bounds from the precise clock: time(2) may be the coarse one, a tick
	 * behind gettimeofday across a second boundary (Linux's too).
	 */
	t1 = now_sec();
	CHECK_EQ("gettimeofday returns 0", vcall(0, &tv, NULL, &kept), 0);
	CHECK_TRUE("gettimeofday keeps rbx and r12", kept, "kept %d", kept);
	t2 = now_sec();
	CHECK_TRUE("tv_sec within [time before, time after]", tv.tv_sec >= t1 && tv.tv_sec <= t2,
		   "tv_sec %ld, time %ld..%ld", (long)tv.tv_sec, t1, t2);
	CHECK_TRUE("tv_usec in [0, 1000000)", tv.tv_usec >= 0 && tv.tv_usec < 1000000,
		   "tv_usec %ld", (long)tv.tv_usec);
	t3 = vcall(0x400, NULL, NULL, &kept);
	/* time(2) may lag the precise clock by a tick: a second of slack below. */
	CHECK_TRUE("time(NULL) near time(2)", t3 >= t1 - 1 && t3 <= now_sec(), "got %ld", t3);
	CHECK_EQ("time(&t) returns what it stores", vcall(0x400, &tw, NULL, &kept), (long)tw);
	CHECK_TRUE("time keeps rbx and r12", kept, "kept %d", kept);
	CHECK_EQ("getcpu returns 0", vcall(0x800, &cpu, &node, &kept), 0);
	CHECK_TRUE("getcpu's cpu below the CPU count", cpu < (unsigned)get_nprocs_conf(),
		   "cpu %u of %d", cpu, get_nprocs_conf());
	CHECK_TRUE("getcpu keeps rbx and r12", kept, "kept %d", kept);

	unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped != MAP_FAILED)
		munmap(unmapped, 4096);
	CHECK_EQ("gettimeofday into kernel memory: SIGSEGV", child_signal(gtod_kernel_ptr),
		 SIGSEGV);
	CHECK_EQ("gettimeofday into unmapped memory: SIGSEGV", child_signal(gtod_unmapped),
		 SIGSEGV);
	CHECK_EQ("a call to page + 0x100 (no entry): SIGSEGV", child_signal(not_an_entry),
		 SIGSEGV);
	return guest_end();
}
