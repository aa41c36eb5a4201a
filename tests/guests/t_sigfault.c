/*
 * t_sigfault - signals from faults: SIGSEGV (an unmapped page, a write to a
 * read-only page, a PROT_NONE page, a jump to a non-executable page, a
 * privileged instruction, a stack pointer into nowhere), SIGBUS (past the end
 * of a mapped file), SIGILL (ud2), SIGFPE (divide by zero, divide overflow),
 * SIGTRAP (int3). For each: the siginfo and the ucontext (REG_RIP, and the
 * REG_TRAPNO, REG_ERR and REG_CR2 that Linux fills in), recovery by
 * siglongjmp or by moving REG_RIP on, a handler that returns and has the
 * access retried, handlers on the alternate stack, and the cases that kill
 * the process: no handler, the signal blocked or ignored, a fault inside the
 * handler for it, no stack to put the frame on.
 *
 * Usage: t_sigfault
 *
 * The cases that kill are run in forked children, one each, and judged by
 * their wait status. Linux behaviour the checks pin down, beyond POSIX:
 *  - si_addr is the exact faulting address for SIGSEGV and SIGBUS, and the
 *    address of the instruction for SIGILL and SIGFPE;
 *  - page faults have REG_TRAPNO 14 and REG_CR2 == si_addr, and REG_ERR has
 *    the user bit (4), the write bit (2) for writes, the instruction-fetch
 *    bit (16) for a jump to a non-executable page;
 *  - divide overflow (INT_MIN / -1) is FPE_INTDIV like divide by zero;
 *  - int3 and hlt give si_code SI_KERNEL (hlt as SIGSEGV, trap 13);
 *  - a fault signal that is blocked or ignored kills the process: the kernel
 *    resets the action to SIG_DFL and unblocks it.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest.h"
#include "gsig.h"

static int unknown_write_bit; /* main: --unmapped-write-as-read */

#define PAGE 4096UL

#define PF_WRITE 0x2UL
#define PF_USER	 0x4UL
#define PF_INSTR 0x10UL

#define TRAP_DE 0  /* divide error */
#define TRAP_BP 3  /* int3 */
#define TRAP_UD 6  /* invalid opcode */
#define TRAP_GP 13 /* general protection */
#define TRAP_PF 14 /* page fault */

/* What the last fault handler saw. */
static volatile struct {
	int n, signo, code;
	uintptr_t addr, rip, rsp, trapno, err, cr2, local;
} f;

static sigjmp_buf jb;
/* h_fault: < 0 siglongjmp out; >= 0 move REG_RIP on by that many bytes and return. */
static volatile int resume = -1;
/* h_fault: if > 0, return (retry the access) until the fault count reaches it, then unprotect. */
static volatile int fix_after;
static void *volatile fix_page;

/* Pages prepared once: unmapped, read-only, PROT_NONE, writable, and a file mapping. */
static char *unmapped, *rdonly, *noaccess, *rw;
static char *filemap; /* 2 pages over a 1-page file: the second is past EOF */
static char *altstack;
static size_t altsize = 64 * 1024;

static void
h_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	volatile int local = 0;

	f.n++;
	f.signo = si->si_signo;
	f.code = si->si_code;
	f.addr = (uintptr_t)si->si_addr;
	f.rip = g[REG_RIP];
	f.rsp = g[REG_RSP];
	f.trapno = g[REG_TRAPNO];
	f.err = g[REG_ERR];
	f.cr2 = g[REG_CR2];
	f.local = (uintptr_t)&local;
	(void)sig;
	if (fix_after > 0) {
		if (f.n >= fix_after)
			mprotect(fix_page, PAGE, PROT_READ | PROT_WRITE);
		return;
	}
	if (resume >= 0) {
		g[REG_RIP] += resume;
		return;
	}
	siglongjmp(jb, 1);
}

static void
handle_all(int flags)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
	unsigned i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		handle(sigs[i], h_fault, flags);
}

static void
f_clear(void)
{
	memset((void *)&f, 0, sizeof(f));
}

static int
on_alt(uintptr_t a)
{
	return a >= (uintptr_t)altstack && a < (uintptr_t)altstack + altsize;
}

/* -- the faulting instructions ------------------------------------------------ */

/* Not inlined: each is one access or instruction the caller can point at. */
static void touch_read(volatile char *p) __attribute__((noinline));
static void touch_write(volatile char *p, char v) __attribute__((noinline));
static uintptr_t do_ud2(void) __attribute__((noinline));
static uintptr_t do_div0(void) __attribute__((noinline));
static uintptr_t do_divovf(void) __attribute__((noinline));
static uintptr_t do_int3(void) __attribute__((noinline));
static uintptr_t do_hlt(void) __attribute__((noinline));
static void push_at(uintptr_t sp) __attribute__((noinline));

static void
touch_read(volatile char *p)
{
	(void)*p;
}

static void
touch_write(volatile char *p, char v)
{
	*p = v;
}

/* Each returns the address of its faulting instruction (int3: the one after). */
static uintptr_t
do_ud2(void)
{
	uintptr_t at;

	__asm__ volatile("leaq 1f(%%rip), %0\n1:\tud2" : "=r"(at) : : "memory");
	return at;
}

static uintptr_t
do_div0(void)
{
	unsigned a = 1, d = 0, c = 0;
	uintptr_t at;

	/* divl %ecx is 2 bytes (f7 f1). */
	__asm__ volatile("leaq 1f(%%rip), %[at]\n1:\tdivl %%ecx"
			 : [at] "=&r"(at), "+a"(a), "+d"(d)
			 : "c"(c)
			 : "memory", "cc");
	return at;
}

static uintptr_t
do_divovf(void)
{
	unsigned a = 0x80000000u, d = 0xffffffffu, c = 0xffffffffu;
	uintptr_t at;

	/* INT_MIN / -1 does not fit; idivl %ecx is 2 bytes (f7 f9). */
	__asm__ volatile("leaq 1f(%%rip), %[at]\n1:\tidivl %%ecx"
			 : [at] "=&r"(at), "+a"(a), "+d"(d)
			 : "c"(c)
			 : "memory", "cc");
	return at;
}

static uintptr_t
do_int3(void)
{
	uintptr_t after;

	__asm__ volatile("leaq 1f(%%rip), %0\n\tint3\n1:" : "=r"(after) : : "memory");
	return after;
}

static uintptr_t
do_hlt(void)
{
	uintptr_t at;

	__asm__ volatile("leaq 1f(%%rip), %0\n1:\thlt" : "=r"(at) : : "memory");
	return at;
}

/* Move %rsp to sp and push: the push faults at sp - 8. Does not return. */
static void
push_at(uintptr_t sp)
{
	__asm__ volatile("movq %0, %%rsp\n\tpushq $0" : : "r"(sp) : "memory");
}

/* -- set-up --------------------------------------------------------------------- */

static int
prepare(void)
{
	char path[] = "/tmp/t_sigfault.XXXXXX";
	char buf[PAGE];
	int fd;

	unmapped = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rdonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	noaccess = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rw = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	altstack = mmap(NULL, altsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(unmapped != MAP_FAILED && rdonly != MAP_FAILED && noaccess != MAP_FAILED &&
		       rw != MAP_FAILED && altstack != MAP_FAILED,
		   "mmap the test pages", "errno %s", errname(errno)))
		return -1;
	if (!CHECK_OK("munmap one of them", munmap(unmapped, PAGE)))
		return -1;
	fd = mkstemp(path);
	if (!CHECK_OK("mkstemp in /tmp", fd))
		return -1;
	unlink(path);
	memset(buf, 'F', sizeof(buf));
	if (!CHECK_EQ("write one page to the file", write(fd, buf, sizeof(buf)), PAGE))
		return -1;
	filemap = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (!check(filemap != MAP_FAILED, "mmap 2 pages of the 1-page file", "errno %s",
		   errname(errno)))
		return -1;
	return 0;
}

/* -- SIGSEGV ------------------------------------------------------------------- */

static void
check_segv(void)
{
	volatile int reached;

	handle_all(0);

	/* A read of an unmapped page. */
	f_clear();
	reached = 0;
	if (sigsetjmp(jb, 1) == 0) {
		touch_read(unmapped + 123);
		reached = 1;
	}
	CHECK_EQ("read of an unmapped page: the access did not complete", reached, 0);
	if (CHECK_EQ("read of an unmapped page: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("si_signo SIGSEGV", f.signo, SIGSEGV);
		CHECK_EQ("si_code SEGV_MAPERR", f.code, SEGV_MAPERR);
		CHECK_EQX("si_addr is the address read", f.addr, (uintptr_t)(unmapped + 123));
		CHECK_EQ("REG_TRAPNO is the page fault", f.trapno, TRAP_PF);
		CHECK_EQX("REG_CR2 is the address read", f.cr2, (uintptr_t)(unmapped + 123));
		check((f.err & (PF_USER | PF_WRITE)) == PF_USER,
		      "REG_ERR: user access, not a write", "err %#lx", (unsigned long)f.err);
	}
	CHECK_EQX("siglongjmp restored the mask (SIGSEGV unblocked)", kmask(), 0);

	/* A write to an unmapped page. */
	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		touch_write(unmapped + 4000, 1);
	if (CHECK_EQ("write to an unmapped page: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("si_code SEGV_MAPERR", f.code, SEGV_MAPERR);
		CHECK_EQX("si_addr is the address written", f.addr, (uintptr_t)(unmapped + 4000));
		if (unknown_write_bit)
			check(f.err & PF_USER, "REG_ERR: user access (write bit unknown: --unmapped-write-as-read)",
			      "err %#lx", (unsigned long)f.err);
		else
			check((f.err & (PF_USER | PF_WRITE)) == (PF_USER | PF_WRITE),
			      "REG_ERR: user write", "err %#lx", (unsigned long)f.err);
	}

	/* A write to a read-only page (read first, so that it is mapped). */
	touch_read(rdonly + 77);
	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		touch_write(rdonly + 77, 1);
	if (CHECK_EQ("write to a PROT_READ page: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("si_code SEGV_ACCERR", f.code, SEGV_ACCERR);
		CHECK_EQX("si_addr is the address written", f.addr, (uintptr_t)(rdonly + 77));
		CHECK_EQ("REG_TRAPNO is the page fault", f.trapno, TRAP_PF);
		CHECK_EQX("REG_CR2 is the address written", f.cr2, (uintptr_t)(rdonly + 77));
		check((f.err & (PF_USER | PF_WRITE)) == (PF_USER | PF_WRITE), "REG_ERR: user write",
		      "err %#lx", (unsigned long)f.err);
	}
	CHECK_EQ("the read-only page is unchanged", rdonly[77], 0);

	/* A read of a PROT_NONE page. */
	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		touch_read(noaccess + 5);
	if (CHECK_EQ("read of a PROT_NONE page: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("si_code SEGV_ACCERR", f.code, SEGV_ACCERR);
		CHECK_EQX("si_addr is the address read", f.addr, (uintptr_t)(noaccess + 5));
	}

	/* A call into a page that is not executable. */
	rw[0] = (char)0xc3; /* ret */
	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		((void (*)(void))(uintptr_t)rw)();
	if (CHECK_EQ("call into a PROT_READ|PROT_WRITE page: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("si_code SEGV_ACCERR", f.code, SEGV_ACCERR);
		CHECK_EQX("si_addr is the page", f.addr, (uintptr_t)rw);
		CHECK_EQX("REG_RIP is the page", f.rip, (uintptr_t)rw);
		check(f.err & PF_INSTR, "REG_ERR: instruction fetch", "err %#lx",
		      (unsigned long)f.err);
	}

	/* A privileged instruction: a general protection fault, not a page fault. */
	f_clear();
	resume = 1;
	{
		uintptr_t at = do_hlt();

		resume = -1;
		if (CHECK_EQ("hlt: one SIGSEGV, and on past it", f.n, 1)) {
			CHECK_EQ("hlt: si_signo SIGSEGV", f.signo, SIGSEGV);
			CHECK_EQ("hlt: si_code SI_KERNEL", f.code, SI_KERNEL);
			CHECK_EQX("hlt: si_addr 0", f.addr, 0);
			CHECK_EQX("hlt: REG_RIP is the instruction", f.rip, at);
			CHECK_EQ("hlt: REG_TRAPNO is the general protection fault", f.trapno,
				 TRAP_GP);
		}
	}

	/* Returning from the handler retries the access; the third time it works. */
	f_clear();
	fix_page = rdonly;
	fix_after = 3;
	touch_write(rdonly + 200, 42);
	fix_after = 0;
	CHECK_EQ("a handler that returns has the write retried (3 faults)", f.n, 3);
	CHECK_EQ("the write done once the handler made the page writable", rdonly[200], 42);
	mprotect(rdonly, PAGE, PROT_READ);
}

/* -- SIGBUS, SIGILL, SIGFPE, SIGTRAP ------------------------------------------- */

static void
check_others(void)
{
	uintptr_t at;

	handle_all(0);

	CHECK_EQ("the file's page reads back", filemap[PAGE - 1], 'F');
	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		touch_read(filemap + PAGE + 5);
	if (CHECK_EQ("read past the end of a mapped file: one signal", f.n, 1)) {
		CHECK_EQ("si_signo SIGBUS", f.signo, SIGBUS);
		CHECK_EQ("si_code BUS_ADRERR", f.code, BUS_ADRERR);
		CHECK_EQX("si_addr is the address read", f.addr, (uintptr_t)(filemap + PAGE + 5));
	}

	f_clear();
	resume = 2;
	at = do_ud2();
	resume = -1;
	if (CHECK_EQ("ud2: one signal, and on past it", f.n, 1)) {
		CHECK_EQ("ud2: si_signo SIGILL", f.signo, SIGILL);
		CHECK_EQ("ud2: si_code ILL_ILLOPN", f.code, ILL_ILLOPN);
		CHECK_EQX("ud2: si_addr is the instruction", f.addr, at);
		CHECK_EQX("ud2: REG_RIP is the instruction", f.rip, at);
		CHECK_EQ("ud2: REG_TRAPNO is the invalid opcode", f.trapno, TRAP_UD);
	}

	f_clear();
	resume = 2;
	at = do_div0();
	resume = -1;
	if (CHECK_EQ("divl by zero: one signal, and on past it", f.n, 1)) {
		CHECK_EQ("divide by zero: si_signo SIGFPE", f.signo, SIGFPE);
		CHECK_EQ("divide by zero: si_code FPE_INTDIV", f.code, FPE_INTDIV);
		CHECK_EQX("divide by zero: si_addr is the instruction", f.addr, at);
		CHECK_EQX("divide by zero: REG_RIP is the instruction", f.rip, at);
		CHECK_EQ("divide by zero: REG_TRAPNO is the divide error", f.trapno, TRAP_DE);
	}

	f_clear();
	resume = 2;
	at = do_divovf();
	resume = -1;
	if (CHECK_EQ("idivl INT_MIN / -1: one signal, and on past it", f.n, 1)) {
		CHECK_EQ("divide overflow: si_signo SIGFPE", f.signo, SIGFPE);
		CHECK_EQ("divide overflow: si_code FPE_INTDIV (Linux)", f.code, FPE_INTDIV);
		CHECK_EQX("divide overflow: si_addr is the instruction", f.addr, at);
	}

	f_clear();
	resume = 0;
	at = do_int3();
	resume = -1;
	if (CHECK_EQ("int3: one signal, and on after it", f.n, 1)) {
		CHECK_EQ("int3: si_signo SIGTRAP", f.signo, SIGTRAP);
		CHECK_EQ("int3: si_code SI_KERNEL", f.code, SI_KERNEL);
		CHECK_EQX("int3: REG_RIP is the next instruction", f.rip, at);
		CHECK_EQ("int3: REG_TRAPNO is the breakpoint", f.trapno, TRAP_BP);
	}
}

/* -- the alternate stack -------------------------------------------------------- */

static volatile int usr1_ran;

/* A SIGUSR1 handler that faults: the SIGSEGV handler siglongjmps out of both. */
static void
h_usr1_faults(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	usr1_ran = 1;
	touch_read(unmapped + 9);
	usr1_ran = 2;
}

/* In a child: a fault with %rsp in an unmapped page, the handler on the alternate stack. */
static void
bad_stack_child(int fd)
{
	volatile uintptr_t sp = (uintptr_t)unmapped + PAGE;

	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		push_at(sp);
	if (write(fd, (void *)&f, sizeof(f)) != sizeof(f))
		_exit(2);
	_exit(0);
}

static void
check_altstack(void)
{
	stack_t ss;
	int fd[2], st;
	pid_t pid;

	ss.ss_sp = altstack;
	ss.ss_size = altsize;
	ss.ss_flags = 0;
	if (!CHECK_OK("sigaltstack", sigaltstack(&ss, NULL)))
		return;
	handle_all(SA_ONSTACK);

	f_clear();
	if (sigsetjmp(jb, 1) == 0)
		touch_read(unmapped + 1);
	if (CHECK_EQ("SA_ONSTACK SIGSEGV handler ran", f.n, 1)) {
		check(on_alt(f.local), "the SIGSEGV handler ran on the alternate stack",
		      "local at %#lx", (unsigned long)f.local);
		check(!on_alt(f.rsp), "and the frame's REG_RSP is the normal stack", "rsp %#lx",
		      (unsigned long)f.rsp);
	}

	/* A fault inside another handler. */
	f_clear();
	usr1_ran = 0;
	handle(SIGUSR1, h_usr1_faults, 0);
	if (sigsetjmp(jb, 1) == 0)
		raise(SIGUSR1);
	CHECK_EQ("a fault inside a SIGUSR1 handler stopped it", usr1_ran, 1);
	if (CHECK_EQ("the SIGSEGV handler ran for it", f.n, 1)) {
		CHECK_EQX("si_addr", f.addr, (uintptr_t)(unmapped + 9));
		check(on_alt(f.local), "on the alternate stack", "local at %#lx",
		      (unsigned long)f.local);
	}
	CHECK_EQX("siglongjmp out of both handlers: nothing blocked", kmask(), 0);
	dispose(SIGUSR1, SIG_DFL);

	/* %rsp into nowhere: only the alternate stack can take the frame. */
	if (pipe(fd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		bad_stack_child(fd[1]);
	}
	close(fd[1]);
	f_clear();
	if (read(fd[0], (void *)&f, sizeof(f)) != sizeof(f))
		f.n = -1;
	close(fd[0]);
	waitpid(pid, &st, 0);
	CHECK_EQ("bad %rsp, SA_ONSTACK: the child recovered and exited 0", st, 0);
	if (CHECK_EQ("bad %rsp, SA_ONSTACK: one SIGSEGV", f.n, 1)) {
		CHECK_EQ("bad %rsp: si_code SEGV_MAPERR", f.code, SEGV_MAPERR);
		CHECK_EQX("bad %rsp: si_addr is where the push wrote", f.addr,
			  (uintptr_t)unmapped + PAGE - 8);
		CHECK_EQX("bad %rsp: the frame's REG_RSP is the bad one", f.rsp,
			  (uintptr_t)unmapped + PAGE);
		check(on_alt(f.local), "bad %rsp: the handler ran on the alternate stack",
		      "local at %#lx", (unsigned long)f.local);
	}

	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	handle_all(0);
}

/* -- faults that kill ------------------------------------------------------------- */

enum fault { F_SEGV, F_BUS, F_ILL, F_FPE, F_TRAP, F_BADSTACK };

static void
do_fault(enum fault what)
{
	switch (what) {
	case F_SEGV:
		touch_read(unmapped + 16);
		break;
	case F_BUS:
		touch_read(filemap + PAGE);
		break;
	case F_ILL:
		do_ud2();
		break;
	case F_FPE:
		do_div0();
		break;
	case F_TRAP:
		do_int3();
		break;
	case F_BADSTACK:
		push_at((uintptr_t)unmapped + PAGE);
		break;
	}
}

/* A handler that must not run: the child exits 3 instead of dying. */
static void
h_exit3(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	_exit(3);
}

/* A SIGSEGV handler that faults again, with SIGSEGV blocked (no SA_NODEFER). */
static void
h_refault(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	touch_read(unmapped + 32);
	_exit(4);
}

enum setup { S_DEFAULT, S_BLOCKED, S_IGNORED, S_REFAULT, S_NOALT };

/* Fork a child that sets up, faults and should die; its wait status. */
static int
fault_child(int sig, enum fault what, enum setup how)
{
	uint64_t m;
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		switch (how) {
		case S_DEFAULT:
			dispose(sig, SIG_DFL);
			break;
		case S_BLOCKED:
			handle(sig, h_exit3, 0);
			m = 1ULL << (sig - 1);
			syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 8);
			break;
		case S_IGNORED:
			dispose(sig, SIG_IGN);
			break;
		case S_REFAULT:
			handle(sig, h_refault, 0);
			break;
		case S_NOALT:
			/* A handler, SA_ONSTACK even, but no alternate stack. */
			handle(sig, h_exit3, SA_ONSTACK);
			break;
		}
		do_fault(what);
		_exit(100);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void
check_deadly(void)
{
	static const struct {
		const char *what;
		int sig;
		enum fault fault;
		enum setup how;
	} cases[] = {
	    {"unmapped read, no handler: killed by SIGSEGV", SIGSEGV, F_SEGV, S_DEFAULT},
	    {"read past EOF, no handler: killed by SIGBUS", SIGBUS, F_BUS, S_DEFAULT},
	    {"ud2, no handler: killed by SIGILL", SIGILL, F_ILL, S_DEFAULT},
	    {"divide by zero, no handler: killed by SIGFPE", SIGFPE, F_FPE, S_DEFAULT},
	    {"int3, no handler: killed by SIGTRAP", SIGTRAP, F_TRAP, S_DEFAULT},
	    {"unmapped read with SIGSEGV blocked: killed by SIGSEGV, handler not run", SIGSEGV,
	     F_SEGV, S_BLOCKED},
	    {"unmapped read with SIGSEGV ignored: killed by SIGSEGV", SIGSEGV, F_SEGV, S_IGNORED},
	    {"ud2 with SIGILL blocked: killed by SIGILL", SIGILL, F_ILL, S_BLOCKED},
	    {"divide by zero with SIGFPE ignored: killed by SIGFPE", SIGFPE, F_FPE, S_IGNORED},
	    {"read past EOF with SIGBUS blocked: killed by SIGBUS", SIGBUS, F_BUS, S_BLOCKED},
	    {"a fault inside the SIGSEGV handler: killed by SIGSEGV", SIGSEGV, F_SEGV, S_REFAULT},
	    {"bad %rsp and no alternate stack: killed by SIGSEGV, handler not run", SIGSEGV,
	     F_BADSTACK, S_NOALT},
	};
	unsigned i;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = fault_child(cases[i].sig, cases[i].fault, cases[i].how);
		check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig, cases[i].what,
		      "status %#x, want killed by signal %d", st, cases[i].sig);
	}
}

int
main(int argc, char **argv)
{
	struct rlimit nocore = {0, 0};

	/*
	 * uvk's known gap: a write to a page the host never mapped reaches
	 * the guest kernel as a read (the host does not tell ptrace the error
	 * code), so REG_ERR lacks the write bit there. run-guest.sh says so
	 * under uvk; natively the strict check runs.
	 */
	unknown_write_bit = argc > 1 && strcmp(argv[1], "--unmapped-write-as-read") == 0;
	guest_begin("t_sigfault", "SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP from faults");
	/* The children killed on purpose leave no core files. */
	setrlimit(RLIMIT_CORE, &nocore);
	if (prepare() == 0) {
		check_segv();
		check_others();
		check_altstack();
		check_deadly();
	}
	return guest_end();
}
