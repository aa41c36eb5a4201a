/*
 * hostile.c - hostile guests (issue 8, item 8): what a guest may try against
 * the tracer, one mode per attack. tests/hostile/hostile.py runs each under
 * uvk and checks the host side (uvk alive, its descriptors and anonymous RSS
 * back where they were at the "before" mark, a sentinel host process alive,
 * nothing outside the guest's root read or changed, no process left).
 *
 *   hostile probe GROUP      every probe of GROUP in a forked child, one line
 *                            "RESULT name: how it ended" each. The harness
 *                            runs this natively first and wants the same
 *                            lines under uvk: the expectation is Linux's,
 *                            read on the host that runs the test.
 *   hostile MODE [ARG...]    an attack that cannot run natively (or whose
 *                            native run means nothing): checks of its own,
 *                            "NAME: N checks, 0 failed: PASS" as in
 *                            tests/guests.
 *
 * Probe groups: int80, sysenter, nr (syscall numbers with high bits),
 * vsyscall, sigreturn, arch_prctl, settls, reparent. Modes: stub, killall,
 * killinit, procmem (uvk's host pid comes from the harness at a mark),
 * escape SECRETPATH TOKEN, fdexhaust/pipeexhaust/mapexhaust HOSTFILE,
 * memexhaust, forkbomb. Every
 * run is between the marks "before" and "after" (fz.h).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sched.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "../fuzz/fz.h"
#include "../guests/guest.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

/* -- probes: run in a child, report how it ended ------------------------------ */

static const char *
sig_name(int s)
{
	static char buf[16];

	if (sigabbrev_np(s))
		return sigabbrev_np(s);
	snprintf(buf, sizeof(buf), "%d", s);
	return buf;
}

/*
 * probe - run fn in a forked child and print how it ended: "exit N" (fn's
 * value, or what it passed to _exit) or "signal NAME".
 */
static void
probe(const char *name, int (*fn)(long), long arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fz_say("RESULT %s: fork failed\n", name);
		return;
	}
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid) {
		fz_say("RESULT %s: waitpid failed\n", name);
		return;
	}
	if (WIFEXITED(status))
		fz_say("RESULT %s: exit %d\n", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fz_say("RESULT %s: signal %s\n", name, sig_name(WTERMSIG(status)));
	else
		fz_say("RESULT %s: status %#x\n", name, status);
}

/* Exit status of a raw result: 0 for success, 100 + errno for -errno, 99 otherwise. */
static int
code(long ret, long want)
{
	if (ret == want)
		return 0;
	if (ret < 0 && ret > -4096)
		return ret < -150 ? 99 : 100 + (int)-ret;
	return 99;
}

static const char int80_msg[] = "int80: written through the 32-bit ABI\n";

/* int $0x80: the 32-bit system call ABI (eax, ebx, ecx, edx). */
static long
int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static int
p_int80_getpid(long arg)
{
	return code(int80(20 /* i386 getpid */, 0, 0, 0), getpid());
}

static int
p_int80_write(long arg)
{
	/* A static non-PIE program's data sits below 4 GiB: a 32-bit pointer reaches it. */
	return code(int80(4 /* i386 write */, 1, (long)(uintptr_t)int80_msg, sizeof(int80_msg) - 1),
		    sizeof(int80_msg) - 1);
}

static int
p_int80_badnr(long arg)
{
	return code(int80(0xfffff, 0, 0, 0), 0);
}

/*
 * The 64-bit reading of an int $0x80 number must never be used: eax 39 is
 * i386 mkdir (here mkdir(NULL): EFAULT on Linux, ENOSYS under uvk) but
 * x86-64 getpid. 0 unless it returned our pid.
 */
static int
p_int80_nr39(long arg)
{
	long r = int80(39 /* i386 mkdir, x86-64 getpid */, 0, 0, 0);

	return r == getpid() ? 98 : 0;
}

/*
 * eax 60 is i386 umask but x86-64 exit: with rdi = 7 and ebx = 022, the
 * 64-bit reading would end the process with status 7. Linux sets the
 * umask (uvk: ENOSYS) and the process goes on to exit 42.
 */
static int
p_int80_nr60(long arg)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(60L), "b"(022L), "D"(7L) : "memory");
	(void)ret;
	return 42;
}

static int
p_sysenter(long arg)
{
	long ret;

	__asm__ volatile("sysenter" : "=a"(ret) : "a"(20L) : "rcx", "r11", "memory");
	return code(ret, getpid());
}

static long
syscall_nr(uint64_t nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static int
p_nr_high(long arg)
{
	return code(syscall_nr((1ULL << 32) | SYS_getpid), getpid());
}

static int
p_nr_x32(long arg)
{
	return code(syscall_nr(0x40000000ULL | SYS_getpid), getpid());
}

static int
p_nr_neg(long arg)
{
	return code(syscall_nr(~0ULL), 0);
}

static int
p_nr_past(long arg)
{
	return code(syscall_nr(1000), 0);
}

/* The vsyscall page: gettimeofday at +0, time at +0x400, getcpu at +0x800. */
static int
p_vsys_gtod(long arg)
{
	struct {
		long s, us;
	} tv = {0, 0};
	long (*fn)(void *, void *) = (long (*)(void *, void *))0xffffffffff600000UL;
	long r = fn(&tv, NULL);

	return r == 0 && tv.s > 0 ? 0 : code(r, 0) + 1;
}

static int
p_vsys_time(long arg)
{
	long (*fn)(long *) = (long (*)(long *))0xffffffffff600400UL;

	return fn(NULL) > 0 ? 0 : 1;
}

static int
p_vsys_read(long arg)
{
	return *(volatile unsigned char *)0xffffffffff600000UL == 0x48 ? 0 : 1;
}

static int
p_vsys_mid(long arg)
{
	/* Not an entry point: Linux's emulation refuses it. */
	void (*fn)(void) = (void (*)(void))0xffffffffff600010UL;

	fn();
	return 0;
}

/*
 * Crafted rt_sigreturn frames: the handler of SIGUSR1 edits the frame the
 * kernel built, then returns through it. How the child ends is the result.
 */
static long craft;
static volatile uint64_t after_flags;

static void
ud2_here(void)
{
	__asm__ volatile("ud2");
}

static void
after_return(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	after_flags = f;
	/* Flags as sigreturn left them, less the arithmetic ones. */
	_exit((int)((f >> 8) & 0x7f) ^ 0x40);
}

static void
crafting_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	/* REG_CSGSFS: cs in bits 0-15, gs 16-31, fs 32-47, ss 48-63. */
	uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];
	static unsigned char junk[4096] __attribute__((aligned(64)));

	switch (craft) {
	case 0: /* non-canonical rip */
		g[REG_RIP] = (greg_t)0x800000000000ULL;
		break;
	case 1: /* kernel rip */
		g[REG_RIP] = (greg_t)0xffffffff81000000ULL;
		break;
	case 2: /* null code segment */
		g[REG_CSGSFS] = (greg_t)(csgsfs & ~0xffffULL);
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 3: /* the 32-bit user code segment, landing on ud2 */
		g[REG_CSGSFS] = (greg_t)((csgsfs & ~0xffffULL) | 0x23);
		g[REG_RIP] = (greg_t)(uintptr_t)ud2_here;
		break;
	case 4: /* a kernel code segment selector */
		g[REG_CSGSFS] = (greg_t)((csgsfs & ~0xffffULL) | 0x10);
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 5: /* garbage stack segment, with the flag that asks to restore it */
		g[REG_CSGSFS] = (greg_t)((csgsfs & 0x0000ffffffffffffULL) | (0x1234ULL << 48));
		uc->uc_flags |= 0x4 /* UC_STRICT_RESTORE_SS */;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 6: /* IOPL 3, NT, VM, VIF, VIP, ID, AC, DF in the flags */
		g[REG_EFL] |= (3 << 12) | (1 << 14) | (1 << 17) | (1 << 19) | (1 << 20) |
			      (1 << 21) | (1 << 18) | (1 << 10);
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 7: /* the trap flag: a single-step trap after the return */
		g[REG_EFL] |= 1 << 8;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 8: /* FPU state pointer into the kernel */
		uc->uc_mcontext.fpregs = (fpregset_t)0xffff800000001000ULL;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 9: /* FPU state of random bytes, XSAVE magic and all */
		for (unsigned i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)(i * 131 + 7);
		uc->uc_mcontext.fpregs = (fpregset_t)junk;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 10: /* reserved MXCSR bits in otherwise good FPU state */
		uc->uc_mcontext.fpregs->mxcsr |= 0xffff0000u;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 11: /* FPU state pointer not 64-byte aligned */
		uc->uc_mcontext.fpregs = (fpregset_t)(junk + 8);
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	case 12: /* rsp non-canonical */
		g[REG_RSP] = (greg_t)0x8000000000000000ULL;
		g[REG_RIP] = (greg_t)(uintptr_t)after_return;
		break;
	}
}

static int
p_sigreturn(long which)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crafting_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	craft = which;
	raise(SIGUSR1);
	return 90; /* the crafted return never comes back here */
}

static long
raw5(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Leave at once, without libc: after a bad %fs, libc may not run. */
static void __attribute__((noreturn)) raw_exit(int status)
{
	for (;;)
		raw5(SYS_exit_group, status, 0, 0, 0, 0);
}

/* arch_prctl and clone(CLONE_SETTLS) with addresses at and past the user limit. */
static const uint64_t tls_addrs[] = {
    0x7fffffffe000ULL, 0x7ffffffff000ULL,     0x7ffffffff800ULL,     0x7fffffffffffULL,
    0x800000000000ULL, 0xffff800000000000ULL, 0xffffffffff600000ULL, 0xffffffffffffffffULL,
};
#define N_TLS (sizeof(tls_addrs) / sizeof(tls_addrs[0]))

static int
p_setfs(long i)
{
	raw_exit(code(raw5(SYS_arch_prctl, ARCH_SET_FS, (long)tls_addrs[i], 0, 0, 0), 0));
}

static int
p_setgs(long i)
{
	raw_exit(code(raw5(SYS_arch_prctl, ARCH_SET_GS, (long)tls_addrs[i], 0, 0, 0), 0));
}

/*
 * clone(CLONE_SETTLS) with tls_addrs[i]: the child exits 0 at once (raw);
 * the parent reports the clone's result and how the child ended.
 */
static int
p_settls(long i)
{
	long r;
	int status;

	r = raw5(SYS_clone, CLONE_SETTLS | SIGCHLD, 0, 0, 0, (long)tls_addrs[i]);
	if (r == 0)
		raw_exit(0);
	if (r < 0)
		return code(r, 0);
	if (waitpid((pid_t)r, &status, 0) != r)
		return 97;
	if (WIFSIGNALED(status))
		return 60 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * reparent: a grandchild cloned with SIGHUP as its exit signal outlives
 * its parent, then exits. Linux hands it to the reaper (pid 1, or here a
 * child subreaper when run natively) with SIGCHLD as its exit signal: the
 * reaper lives and reaps it. (A uvk that kept SIGHUP killed pid 1.)
 */
static int
p_reparent(long sig)
{
	int status;
	pid_t c, w;

	/* Natively, this process is the reaper; under uvk it is pid 1 already. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	c = fork();
	if (c < 0)
		return 96;
	if (c == 0) {
		pid_t me = getpid();
		long g = raw5(SYS_clone, sig, 0, 0, 0, 0);

		if (g == 0) {
			/* Wait until the parent is gone and we were handed on. */
			while (getppid() == me)
				sched_yield();
			raw_exit(0);
		}
		raw_exit(g > 0 ? 0 : 95);
	}
	if (waitpid(c, &status, 0) != c)
		return 94;
	/* The grandchild is ours now; wait for it (any child). */
	w = wait(&status);
	if (w < 0)
		return 93;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 60 + WTERMSIG(status);
}

static int
probe_group(const char *g)
{
	char name[64];
	unsigned i;

	if (strcmp(g, "int80") == 0) {
		probe("int80-getpid", p_int80_getpid, 0);
		probe("int80-write", p_int80_write, 0);
		probe("int80-badnr", p_int80_badnr, 0);
		probe("int80-nr39", p_int80_nr39, 0);
		probe("int80-nr60", p_int80_nr60, 0);
	} else if (strcmp(g, "sysenter") == 0) {
		probe("sysenter-getpid", p_sysenter, 0);
	} else if (strcmp(g, "nr") == 0) {
		probe("nr-high-bits-getpid", p_nr_high, 0);
		probe("nr-x32-getpid", p_nr_x32, 0);
		probe("nr-minus-one", p_nr_neg, 0);
		probe("nr-1000", p_nr_past, 0);
	} else if (strcmp(g, "vsyscall") == 0) {
		probe("vsyscall-gettimeofday", p_vsys_gtod, 0);
		probe("vsyscall-time", p_vsys_time, 0);
		probe("vsyscall-read", p_vsys_read, 0);
		probe("vsyscall-not-an-entry", p_vsys_mid, 0);
	} else if (strcmp(g, "sigreturn") == 0) {
		static const char *const what[] = {
		    "rip-noncanonical", "rip-kernel",	   "cs-null",		"cs-32bit",
		    "cs-kernel",	"ss-garbage",	   "eflags-iopl-nt-vm", "eflags-tf",
		    "fpstate-kernel",	"fpstate-garbage", "mxcsr-reserved",	"fpstate-unaligned",
		    "rsp-noncanonical",
		};

		for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
			snprintf(name, sizeof(name), "sigreturn-%s", what[i]);
			probe(name, p_sigreturn, i);
		}
	} else if (strcmp(g, "arch_prctl") == 0) {
		for (i = 0; i < N_TLS; i++) {
			snprintf(name, sizeof(name), "arch_prctl-set-fs-%#llx",
				 (unsigned long long)tls_addrs[i]);
			probe(name, p_setfs, i);
			snprintf(name, sizeof(name), "arch_prctl-set-gs-%#llx",
				 (unsigned long long)tls_addrs[i]);
			probe(name, p_setgs, i);
		}
	} else if (strcmp(g, "settls") == 0) {
		for (i = 0; i < N_TLS; i++) {
			snprintf(name, sizeof(name), "clone-settls-%#llx",
				 (unsigned long long)tls_addrs[i]);
			probe(name, p_settls, i);
		}
	} else if (strcmp(g, "reparent") == 0) {
		/*
		 * Not in a probe child: the reaper must be this process (pid 1
		 * under uvk, a child subreaper natively), and if the exit
		 * signal killed it, its lines are missing.
		 */
		fz_say("RESULT reparent-exit-signal-hup: exit %d\n", p_reparent(SIGHUP));
		fz_say("RESULT reparent-exit-signal-segv: exit %d\n", p_reparent(SIGSEGV));
		fz_say("RESULT reparent-exit-signal-0: exit %d\n", p_reparent(0));
	} else {
		fz_say("hostile: unknown probe group %s\n", g);
		return 2;
	}
	return 0;
}

/* -- modes with checks of their own (uvk only) -------------------------------- */

static sigjmp_buf jb;
static volatile int caught;

static void
catch_and_jump(int sig)
{
	caught = sig;
	siglongjmp(jb, 1);
}

static void
catch_faults(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_and_jump;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
}

/* touch - read (or write) one byte at addr: 0, or the signal it raised. */
static int
touch(uintptr_t addr, int write)
{
	caught = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*(volatile unsigned char *)addr = 0x90;
		else
			(void)*(volatile unsigned char *)addr;
	}
	return caught;
}

#define STUB_BASE    0x100000UL
#define STUB_SYSCALL (STUB_BASE + 0x20) /* see src/tracer/stub.S: 3+2+3+6*4 bytes in */
#define PROBE_ADDR   0x200000000UL

/*
 * stub - guest code that jumps into the tracer's stub (UVK_STUB_BASE) with a
 * crafted command list: a host mmap of descriptor 3 (the guest-RAM memfd in
 * every vmspace) at PROBE_ADDR. Guest code runs only under PTRACE_SYSEMU,
 * so the stub's syscall is a guest system call like any other: the mmap
 * goes to the guest kernel, where descriptor 3 is closed (EBADF). Checked:
 * the stub cannot be written, the jump ends in a signal the guest can catch,
 * nothing got mapped at PROBE_ADDR, and the vmspace still works after.
 * Natively there is no stub, so nothing to compare with.
 */
static int
mode_stub(void)
{
	static uint64_t cmd[7] = {
	    9, PROBE_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 3, 0};
	void *p;
	int s;

	guest_begin("hostile-stub", "jumps into the tracer's stub with crafted commands");
	catch_faults();
	close(3);
	s = touch(STUB_BASE, 1);
	check(s == SIGSEGV, "writing to the stub raises SIGSEGV", "got signal %d", s);

	/* From the stub's entry: rbx = command list, r12 = count. */
	caught = 0;
	if (sigsetjmp(jb, 1) == 0) {
		__asm__ volatile("mov %0, %%rbx\n\t"
				 "mov $1, %%r12\n\t"
				 "jmp *%1"
				 :
				 : "r"(cmd), "r"(STUB_BASE)
				 : "rbx", "r12", "memory");
	}
	check(caught != 0, "the jump to the stub's entry ends in a signal", "got none");
	s = touch(PROBE_ADDR, 0);
	check(s == SIGSEGV, "nothing mapped at the probe address after it", "got signal %d", s);

	/* Straight at the syscall instruction, registers set as a host mmap. */
	caught = 0;
	if (sigsetjmp(jb, 1) == 0) {
		register long r10 __asm__("r10") = MAP_SHARED | MAP_FIXED;
		register long r8 __asm__("r8") = 3;
		register long r9 __asm__("r9") = 0;

		__asm__ volatile("mov $9, %%eax\n\t"
				 "jmp *%5"
				 :
				 : "D"(PROBE_ADDR), "S"(4096L), "d"((long)(PROT_READ | PROT_WRITE)),
				   "r"(r10), "r"(r8), "r"(STUB_SYSCALL), "r"(r9)
				 : "rax", "rcx", "r11", "memory");
	}
	check(caught != 0, "the jump to the stub's syscall ends in a signal", "got none");
	s = touch(PROBE_ADDR, 0);
	check(s == SIGSEGV, "still nothing mapped at the probe address", "got signal %d", s);

	/* The stub area is not the guest's to map over or unmap. */
	p = mmap((void *)STUB_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check(p == MAP_FAILED, "mmap(MAP_FIXED) over the stub fails", "got %p", p);
	munmap((void *)STUB_BASE, 0x10000);
	mprotect((void *)STUB_BASE, 0x10000, PROT_READ | PROT_WRITE | PROT_EXEC);
	s = touch(STUB_BASE, 1);
	check(s == SIGSEGV, "the stub is still not writable", "got signal %d", s);

	/* The vmspace still works: fresh memory is mapped (by the stub) and usable. */
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (check(p != MAP_FAILED, "mmap after the attack", "failed"))
		memset(p, 0x5a, 1 << 20);
	CHECK_EQ("getpid after the attack", getpid(), raw5(SYS_getpid, 0, 0, 0, 0, 0));
	return guest_end();
}

/* spawn_pausers - n children that wait to be killed; their pids into pids. */
static void
spawn_pausers(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			for (;;)
				pause();
		}
	}
}

/*
 * killall - kill(-1, SIGKILL) from a child: Linux signals every process the
 * caller may signal except the caller and the namespace's init. Natively
 * (as root) that is the whole host: not run natively. Checked: the call
 * succeeds, the caller and pid 1 (this process) live, the others die; the
 * harness checks that a sentinel host process lives too.
 */
static int
mode_killall(void)
{
	pid_t a, kids[4];
	int status, i;

	guest_begin("hostile-killall", "kill(-1, SIGKILL) and kill(-1, SIGTERM) from inside");
	CHECK_EQ("this is pid 1", getpid(), 1);
	a = fork();
	if (a == 0) {
		int bad = 0;

		spawn_pausers(kids, 4);
		if (kill(-1, SIGTERM) != 0)
			bad |= 1;
		if (kill(-1, SIGKILL) != 0)
			bad |= 2;
		for (i = 0; i < 4; i++)
			if (waitpid(kids[i], &status, 0) != kids[i] || !WIFSIGNALED(status))
				bad |= 4;
		_exit(bad);
	}
	CHECK_EQ("waitpid for the killer", waitpid(a, &status, 0), a);
	CHECK_EQ("the killer lived and saw its children die (bits: 1 TERM, 2 KILL, 4 reap)",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	CHECK_EQ("pid 1 still runs", getpid(), 1);
	return guest_end();
}

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	got_usr1 = sig;
}

/*
 * killinit - signals to pid 1 from its child. Linux protects a namespace's
 * init from signals it has no handler for (SIGKILL and SIGSTOP included)
 * when they come from inside: kill() succeeds and nothing happens. A
 * handled signal is delivered. Natively pid 1 is the host's init: not run.
 */
static int
mode_killinit(void)
{
	static const int sigs[] = {SIGKILL, SIGTERM, SIGSEGV, SIGSTOP, SIGINT, SIGHUP, SIGQUIT};
	struct sigaction sa;
	pid_t c;
	int status;

	guest_begin("hostile-killinit", "kill(1, ...) from a child of pid 1");
	CHECK_EQ("this is pid 1", getpid(), 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART; /* else the SIGUSR1 ends the waitpid below with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	c = fork();
	if (c == 0) {
		int bad = 0;

		for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (kill(1, sigs[i]) != 0)
				bad |= 1 << i;
		if (kill(1, SIGUSR1) != 0)
			bad |= 0x80;
		_exit(bad);
	}
	CHECK_EQ("waitpid for the child", waitpid(c, &status, 0), c);
	CHECK_EQ("every kill(1, sig) returned 0 (bit per failed one)",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	CHECK_EQ("pid 1 got the SIGUSR1 it handles", got_usr1, SIGUSR1);

	/*
	 * A signal init blocks is queued even at SIG_DFL (Linux's sig_ignored:
	 * "blocked signals are never ignored"), so sigtimedwait and signalfd
	 * see it; unblocked later, the default action is still not taken on
	 * init (get_signal skips it for SIGNAL_UNKILLABLE).
	 */
	{
		struct timespec zero = {0, 0};
		sigset_t set;
		siginfo_t si;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		c = fork();
		if (c == 0)
			_exit(kill(1, SIGTERM) == 0 && kill(1, SIGHUP) == 0 ? 0 : 1);
		CHECK_EQ("waitpid for the second child", waitpid(c, &status, 0), c);
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		memset(&si, 0, sizeof(si));
		CHECK_EQ("a blocked SIGTERM from a child is queued for sigtimedwait",
			 sigtimedwait(&set, &si, &zero), SIGTERM);
		CHECK_EQ("... sent by that child", si.si_pid, c);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	CHECK_EQ("pid 1 still runs after unblocking a queued SIG_DFL SIGHUP", getpid(), 1);
	return guest_end();
}

/*
 * procmem - /proc/self/mem is the guest's own memory or absent, never the
 * host's; /proc/HOSTPID (uvk's pid on the host) is nobody in the guest.
 */
static int
mode_procmem(const char *hostpid)
{
	static const char *const leaves[] = {"mem", "environ", "maps", "status",   "root",
					     "cwd", "exe",     "fd",   "root/etc", "cwd/.."};
	static volatile uint64_t marker = 0x1122334455667788ULL;
	char path[128];
	uint64_t v = 0;
	int fd;

	guest_begin("hostile-procmem", "/proc/self/mem and /proc/<tracer's host pid>");
	fd = open("/proc/self/mem", O_RDWR);
	if (fd >= 0) {
		CHECK_EQ("pread of /proc/self/mem at a variable", pread(fd, &v, 8, (off_t)&marker),
			 8);
		CHECK_EQX("it reads the guest's own value", v, marker);
		v = 0x8877665544332211ULL;
		if (pwrite(fd, &v, 8, (off_t)&marker) == 8)
			CHECK_EQX("a pwrite through it changes the guest's variable", marker, v);
		close(fd);
	} else {
		check(errno == ENOENT || errno == EACCES || errno == EPERM,
		      "/proc/self/mem absent or refused", "errno %s", errname(errno));
	}
	for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%s/%s", hostpid, leaves[i]);
		fd = open(path, O_RDONLY);
		check(fd < 0 && errno == ENOENT, path, "want ENOENT, got fd %d errno %s", fd,
		      errname(errno));
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%s", hostpid);
	CHECK_ERR("chdir to /proc/<tracer's host pid>", chdir(path), ENOENT);
	/* The memfd is descriptor 3 of every vmspace on the host: not the guest's 3. */
	close(3);
	CHECK_ERR("/proc/self/fd/3 with the guest's 3 closed", open("/proc/self/fd/3", O_RDONLY),
		  ENOENT);
	CHECK_ERR("fstat(3) with the guest's 3 closed", fstat(3, &(struct stat){0}), EBADF);
	return guest_end();
}

/* escape_try - open path (at dirfd) and make sure the token is not what it reads. */
static void
escape_try(int dirfd, const char *path, const char *token, const char *how)
{
	char buf[256], what[400];
	int fd = openat(dirfd, path, O_RDONLY);
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	snprintf(what, sizeof(what), "%s: %s", how, path);
	/* Never print what was read: the harness looks for the token in the output. */
	check(fd < 0 || !strstr(buf, token), what, "read the host file outside the root");
}

/*
 * escape - with -r ROOT, where ROOT/escape -> / and ROOT/up -> ../../../..,
 * every way out of the root: absolute, .., symlinks, O_PATH descriptors,
 * /proc/self/{root,cwd,fd}, symlinks the guest makes in its /tmp, fchdir.
 * SECRET is a host file outside ROOT holding TOKEN. Natively there is no
 * root to leave.
 */
static int
mode_escape(const char *secret, const char *token)
{
	char p[4096];
	int root, fd, i;

	guest_begin("hostile-escape", "leaving the -r root");
	escape_try(AT_FDCWD, secret, token, "absolute host path");
	snprintf(p, sizeof(p), "/../../../../../..%s", secret);
	escape_try(AT_FDCWD, p, token, "dot-dot above /");
	snprintf(p, sizeof(p), "/escape%s", secret);
	escape_try(AT_FDCWD, p, token, "symlink to /");
	snprintf(p, sizeof(p), "/up/up/up%s", secret);
	escape_try(AT_FDCWD, p, token, "relative symlink upwards");
	snprintf(p, sizeof(p), "/proc/self/root/..%s", secret);
	escape_try(AT_FDCWD, p, token, "/proc/self/root");
	snprintf(p, sizeof(p), "/proc/1/cwd/../../..%s", secret);
	escape_try(AT_FDCWD, p, token, "/proc/1/cwd");

	root = open("/", O_PATH | O_DIRECTORY);
	if (root < 0) {
		/* Not every kernel here has O_PATH yet: the same attempts from a plain one. */
		say("no O_PATH (errno %s): plain descriptors instead\n", errname(errno));
		root = open("/", O_RDONLY | O_DIRECTORY);
	}
	check(root >= 0, "a descriptor of /", "errno %s", errname(errno));
	snprintf(p, sizeof(p), "../../../..%s", secret);
	escape_try(root, p, token, "openat(O_PATH /, ..)");
	fd = open("/escape", O_PATH | O_NOFOLLOW);
	if (fd < 0)
		say("no O_PATH descriptor of a symlink (errno %s)\n", errname(errno));
	if (fd >= 0) {
		snprintf(p, sizeof(p), "..%s", secret);
		escape_try(fd, p, token, "openat(O_PATH symlink, ..)");
		snprintf(p, sizeof(p), "/proc/self/fd/%d%s", fd, secret);
		escape_try(AT_FDCWD, p, token, "/proc/self/fd of an O_PATH symlink");
		close(fd);
	}
	fd = open("/escape", O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		escape_try(fd, secret + 1, token, "openat(O_PATH through the symlink)");
		close(fd);
	}
	/* chdir up as far as it goes, then the secret relative. */
	CHECK_OK("chdir /", chdir("/"));
	for (i = 0; i < 40; i++)
		if (chdir("..") != 0)
			break;
	CHECK_EQ("chdir .. forty times from / (it stays at /)", i, 40);
	escape_try(AT_FDCWD, secret + 1, token, "chdir .. forty times");
	if (root >= 0 && fchdir(root) == 0) {
		CHECK_OK("chdir ../../.. from /", chdir("../../.."));
		escape_try(AT_FDCWD, secret + 1, token, "fchdir O_PATH /, then ..");
	}
	/* Symlinks the guest writes itself, in its /tmp. */
	CHECK_OK("symlink in /tmp to the host path", symlink(secret, "/tmp/abs"));
	escape_try(AT_FDCWD, "/tmp/abs", token, "guest symlink to the host path");
	CHECK_OK("symlink in /tmp upwards", symlink("../../../../../../..", "/tmp/upup"));
	snprintf(p, sizeof(p), "/tmp/upup%s", secret);
	escape_try(AT_FDCWD, p, token, "guest symlink upwards");
	/* A hard link or rename out of the read-only root must fail, not move host files. */
	/* What errno (EXDEV before EROFS on Linux) is not the point here: nothing moves. */
	check(link("/escape", "/tmp/esc") != 0, "link of a root entry into /tmp fails",
	      "it worked");
	check(rename("/escape", "/tmp/moved") != 0, "rename of a root entry into /tmp fails",
	      "it worked");
	CHECK_ERR("rename of a root entry", rename("/escape", "/escape2"), EROFS);
	CHECK_ERR("unlink of a root entry", unlink("/up"), EROFS);
	if (root >= 0)
		close(root);
	return guest_end();
}

/*
 * fdexhaust - every descriptor the guest may have (dup), then, with pipes,
 * pipes until they fail; all given back. At the "after" mark uvk must hold
 * as many descriptors as at "before" (and little more memory), and a
 * descriptor opens again.
 */
static int
mode_fdexhaust(const char *hostfile, int pipes)
{
	static int fds[1 << 16];
	int n = 0, i, e, p[2], fd;
	struct rlimit rl;

	guest_begin("hostile-fdexhaust",
		    pipes ? "descriptor exhaustion: pipes" : "descriptor exhaustion: dup");
	getrlimit(RLIMIT_NOFILE, &rl);
	while (n < (int)(sizeof(fds) / sizeof(fds[0])) && (fds[n] = dup(0)) >= 0)
		n++;
	e = errno;
	check(e == EMFILE, "dup stops with EMFILE", "errno %s", errname(e));
	check((rlim_t)n + 3 >= rl.rlim_cur || rl.rlim_cur == RLIM_INFINITY,
	      "as many descriptors as RLIMIT_NOFILE", "got %d, limit %llu", n,
	      (unsigned long long)rl.rlim_cur);
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (!pipes)
		goto out;
	n = 0;
	while (n + 1 < (int)(sizeof(fds) / sizeof(fds[0])) && pipe(p) == 0) {
		fds[n++] = p[0];
		fds[n++] = p[1];
	}
	check(errno == EMFILE || errno == ENFILE, "pipe stops with EMFILE or ENFILE", "errno %s",
	      errname(errno));
	say("%d pipe ends before that\n", n);
	for (i = 0; i < n; i++)
		close(fds[i]);
out:
	fd = open(hostfile, O_RDONLY);
	check(fd >= 0, "a descriptor opens again after it all", "errno %s", errname(errno));
	close(fd);
	return guest_end();
}

/*
 * mapexhaust - 5000 one-page mappings of a host file, each touched so that
 * uvk maps it, then all unmapped. A "during" mark lets the harness see the
 * peak; at "after" uvk's descriptors and RSS must be back.
 */
static int
mode_mapexhaust(const char *hostfile)
{
	enum { NMAP = 5000 };
	static void *maps[NMAP];
	int i, fd, nmap;

	guest_begin("hostile-mapexhaust", "5000 mappings of a host file");
	fd = open(hostfile, O_RDONLY);
	if (!check(fd >= 0, "open the host file", "errno %s", errname(errno)))
		return guest_end();
	for (nmap = 0; nmap < NMAP; nmap++) {
		maps[nmap] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		if (maps[nmap] == MAP_FAILED)
			break;
		(void)*(volatile char *)maps[nmap];
	}
	say("%d one-page mappings of %s made and touched\n", nmap, hostfile);
	check(nmap > 1000, "over a thousand file mappings", "got %d", nmap);
	close(fd);
	fz_mark("during");
	for (i = 0; i < nmap; i++)
		munmap(maps[i], 4096);
	fd = open(hostfile, O_RDONLY);
	check(fd >= 0, "a descriptor opens again after it all", "errno %s", errname(errno));
	close(fd);
	return guest_end();
}

/* fill_child - in a child, run fn; how it ended, as probe() says it. */
static int
in_child(int (*fn)(void))
{
	int status;
	pid_t c = fork();

	if (c == 0)
		_exit(fn());
	if (c < 0 || waitpid(c, &status, 0) != c)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
eat_anon(void)
{
	for (;;) {
		char *p =
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return errno == ENOMEM ? 0 : 1;
		for (int i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
	}
}

static int
eat_brk(void)
{
	for (;;) {
		char *p = sbrk(1 << 20);

		if (p == (void *)-1)
			return errno == ENOMEM ? 0 : 1;
		for (int i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
	}
}

static int
eat_tmpfs(void)
{
	static char chunk[1 << 16];
	int fd = open("/tmp/fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r = 1;

	if (fd < 0)
		return 2;
	memset(chunk, 0x33, sizeof(chunk));
	for (;;) {
		if (write(fd, chunk, sizeof(chunk)) < 0) {
			r = errno == ENOSPC || errno == ENOMEM || errno == EFBIG ? 0 : 1;
			break;
		}
	}
	close(fd);
	unlink("/tmp/fill");
	return r;
}

static int
eat_pipes(void)
{
	static char chunk[4096];
	pid_t kids[20];
	int status, bad = 0;

	for (int k = 0; k < 20; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int p[2];

			if (pipe2(p, O_NONBLOCK) < 0)
				_exit(2);
			fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
			while (write(p[1], chunk, sizeof(chunk)) > 0)
				;
			_exit(errno == EAGAIN ? 0 : 1);
		}
	}
	for (int k = 0; k < 20; k++)
		if (kids[k] < 0 || waitpid(kids[k], &status, 0) != kids[k] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad = 1;
	return bad;
}

/*
 * memexhaust - with -m 64M: anonymous memory, the break, the /tmp tmpfs and
 * pipe buffers, each until the guest kernel says no (or kills the child,
 * as an out-of-memory kill would). Afterwards memory is usable again and,
 * at "after", uvk's anonymous RSS is back near "before".
 */
static int
mode_memexhaust(void)
{
	int r;
	char *p;

	guest_begin("hostile-memexhaust", "memory exhaustion: mmap, brk, tmpfs, pipes");
	r = in_child(eat_anon);
	check(r == 0 || r == 128 + SIGKILL || r == 128 + SIGSEGV || r == 128 + SIGBUS,
	      "anonymous memory until ENOMEM (or killed)", "ended %d", r);
	r = in_child(eat_brk);
	check(r == 0 || r == 128 + SIGKILL || r == 128 + SIGSEGV || r == 128 + SIGBUS,
	      "brk until ENOMEM (or killed)", "ended %d", r);
	r = in_child(eat_tmpfs);
	CHECK_EQ("/tmp until ENOSPC", r, 0);
	r = in_child(eat_pipes);
	CHECK_EQ("20 processes fill their pipes", r, 0);
	p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (check(p != MAP_FAILED, "16 MiB mapped after it all", "errno %s", errname(errno))) {
		memset(p, 1, 16 << 20);
		munmap(p, 16 << 20);
	}
	return guest_end();
}

/*
 * forkbomb - processes that fork until fork fails, each forking once more
 * before it waits; pid 1 kills the lot and reaps it. The guest's process
 * limit must stop it with EAGAIN (or ENOMEM), uvk must stay up and give every
 * host process back. Natively a fork bomb is not safe: not run.
 */
static int
mode_forkbomb(void)
{
	int p[2], status, reaped = 0;
	pid_t leader, w;
	struct {
		int n, err;
	} res = {0, 0};

	guest_begin("hostile-forkbomb", "a fork bomb");
	if (pipe(p) < 0)
		return 2;
	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		for (;;) {
			pid_t c = fork();

			if (c < 0) {
				res.err = errno;
				break;
			}
			if (c == 0) {
				if (fork() == 0) /* one more, from the child itself */
					for (;;)
						pause();
				for (;;)
					pause();
			}
			res.n++;
		}
		(void)!write(p[1], &res, sizeof(res));
		for (;;)
			pause();
	}
	CHECK_EQ("the leader's report", read(p[0], &res, sizeof(res)), (long)sizeof(res));
	say("the bomb made %d processes before fork failed with %s\n", res.n, errname(res.err));
	check(res.err == EAGAIN || res.err == ENOMEM, "fork fails with EAGAIN or ENOMEM",
	      "errno %s", errname(res.err));
	check(res.n >= 50, "the bomb got somewhere first", "only %d", res.n);
	CHECK_OK("kill the bomb's group", kill(-leader, SIGKILL));
	while ((w = wait(&status)) > 0)
		reaped++;
	CHECK_ERR("every process reaped", w, ECHILD);
	say("%d processes reaped\n", reaped);
	w = fork();
	if (w == 0)
		_exit(7);
	CHECK_EQ("fork works again",
		 waitpid(w, &status, 0) == w && WIFEXITED(status) ? WEXITSTATUS(status) : -1, 7);
	return guest_end();
}

/*
 * read_hostpid - at the mark "hostpid" the harness answers with uvk's host
 * pid and a newline instead of a bare newline.
 */
static void
read_hostpid(char *buf, size_t size)
{
	size_t n = 0;

	fz_say("\n@@mark hostpid\n");
	while (n + 1 < size && read(0, buf + n, 1) == 1 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
}

static int
run_mode(int argc, char **argv)
{
	char hostpid[32];

	if (argc == 3 && strcmp(argv[1], "probe") == 0)
		return probe_group(argv[2]);
	if (argc == 2 && strcmp(argv[1], "stub") == 0)
		return mode_stub();
	if (argc == 2 && strcmp(argv[1], "killall") == 0)
		return mode_killall();
	if (argc == 2 && strcmp(argv[1], "killinit") == 0)
		return mode_killinit();
	if (argc == 2 && strcmp(argv[1], "procmem") == 0) {
		read_hostpid(hostpid, sizeof(hostpid));
		return mode_procmem(hostpid);
	}
	if (argc == 4 && strcmp(argv[1], "escape") == 0)
		return mode_escape(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "fdexhaust") == 0)
		return mode_fdexhaust(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "pipeexhaust") == 0)
		return mode_fdexhaust(argv[2], 1);
	if (argc == 3 && strcmp(argv[1], "mapexhaust") == 0)
		return mode_mapexhaust(argv[2]);
	if (argc == 2 && strcmp(argv[1], "memexhaust") == 0)
		return mode_memexhaust();
	if (argc == 2 && strcmp(argv[1], "forkbomb") == 0)
		return mode_forkbomb();
	fz_say("usage: hostile probe GROUP | stub | killall | killinit | procmem | "
	       "escape SECRET TOKEN | fdexhaust|pipeexhaust|mapexhaust HOSTFILE | memexhaust | "
	       "forkbomb\n");
	return 2;
}

/* Every mode between the marks "before" and "after": the harness samples uvk there. */
int
main(int argc, char **argv)
{
	int r;

	fz_mark("before");
	r = run_mode(argc, argv);
	fz_mark("after");
	return r;
}
