/*
 * t_hostlimits - register values a process sets are checked against the
 * host's user-space limit, and a bad one costs that process only.
 *
 * Usage: t_hostlimits
 *
 * x86-64 Linux refuses an fs or gs base at or above TASK_SIZE_MAX
 * (0x7ffffffff000, the 47-bit limit less a page): arch_prctl(ARCH_SET_FS/GS)
 * and clone(CLONE_SETTLS) say EPERM. A guest kernel that checked against its
 * page table's limit instead (0x800000000000) let 0x7ffffffff800 through;
 * the host then refused to load the register and the whole guest ended.
 * Each bad value here is tried in a child, so that such a failure shows as
 * that child's death and the program goes on; the parent must survive it
 * and see the wait status Linux gives. rt_sigreturn to a non-canonical rip,
 * and a handler at a non-canonical address, are SIGSEGV for the process that
 * asked; to a non-canonical rsp, SIGBUS (the stack-segment fault), as on
 * Linux.
 */
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define TASK_SIZE_MAX 0x7ffffffff000ULL

static const uint64_t bad_bases[] = {
    0x7ffffffff800ULL,	   /* below the page table's limit, above the host's */
    TASK_SIZE_MAX,	   /* the first refused address */
    0x800000000000ULL,	   /* the page table's limit */
    0xffff800000000000ULL, /* the kernel's half */
    0xffffffffff600000ULL, /* the vsyscall page */
};
#define NBAD (sizeof(bad_bases) / sizeof(bad_bases[0]))

/*
 * Run fn in a child and return its wait status (-1 if fork or wait failed).
 * The child makes one more system call after fn, so that whatever fn set
 * is loaded into the registers before the child reports.
 */
static int
in_child(int (*fn)(uint64_t), uint64_t arg)
{
	pid_t c = fork();
	int st;

	if (c == 0) {
		int code = fn(arg);

		syscall(SYS_getpid);
		_exit(code);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		return -1;
	return st;
}

/* Exit code 0: the call said EPERM and changed nothing; 1: it did not. */
static int
set_fs(uint64_t v)
{
	uint64_t now = 1;

	if (syscall(SYS_arch_prctl, ARCH_SET_FS, v) != -1 || errno != EPERM)
		return 1;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &now);
	return now == v ? 1 : 0;
}

static int
set_gs(uint64_t v)
{
	uint64_t now = 1;

	if (syscall(SYS_arch_prctl, ARCH_SET_GS, v) != -1 || errno != EPERM)
		return 1;
	syscall(SYS_arch_prctl, ARCH_GET_GS, &now);
	return now == v ? 1 : 0;
}

/* clone with CLONE_SETTLS: EPERM and no child; a child that appears leaves at once. */
static int
clone_tls(uint64_t tls)
{
	long r = syscall(SYS_clone, CLONE_SETTLS | SIGCHLD, 0, 0, 0, tls);

	if (r == 0)
		syscall(SYS_exit, 3);
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		return 1;
	}
	return errno == EPERM ? 0 : 2;
}

static void
check_bases(void)
{
	char what[128];
	uint64_t gs = 1;
	size_t i;
	int st;

	for (i = 0; i < NBAD; i++) {
		snprintf(what, sizeof(what), "arch_prctl(ARCH_SET_FS, %#llx) is EPERM",
			 (unsigned long long)bad_bases[i]);
		st = in_child(set_fs, bad_bases[i]);
		check(st == 0, what, "child wait status %#x, want exit 0", st);
		snprintf(what, sizeof(what), "arch_prctl(ARCH_SET_GS, %#llx) is EPERM",
			 (unsigned long long)bad_bases[i]);
		st = in_child(set_gs, bad_bases[i]);
		check(st == 0, what, "child wait status %#x, want exit 0", st);
		snprintf(what, sizeof(what), "clone(CLONE_SETTLS, tls %#llx) is EPERM",
			 (unsigned long long)bad_bases[i]);
		st = in_child(clone_tls, bad_bases[i]);
		check(st == 0, what, "child wait status %#x, want exit 0", st);
	}
	/* The last page below the limit is a valid base: gs, which libc does not use. */
	CHECK_EQ("arch_prctl(ARCH_SET_GS, TASK_SIZE_MAX - 4096) is allowed",
		 syscall(SYS_arch_prctl, ARCH_SET_GS, TASK_SIZE_MAX - 4096), 0);
	syscall(SYS_getpid);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	CHECK_EQX("and reads back", gs, TASK_SIZE_MAX - 4096);
	CHECK_EQ("arch_prctl(ARCH_SET_GS, 0) puts it back", syscall(SYS_arch_prctl, ARCH_SET_GS, 0),
		 0);
}

/*
 * A fixed mapping that reaches past TASK_SIZE_MAX is ENOMEM (mmap) or EINVAL
 * (mremap's target), as Linux: the host could not place it in the vmspace.
 */
static void
check_fixed_maps(void)
{
	void *p;

	p = mmap((void *)TASK_SIZE_MAX, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_ERR("mmap(MAP_FIXED) at TASK_SIZE_MAX is ENOMEM", p == MAP_FAILED ? -1 : 0, ENOMEM);
	p = mmap((void *)(TASK_SIZE_MAX - 4096), 8192, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_ERR("mmap(MAP_FIXED) across TASK_SIZE_MAX is ENOMEM", p == MAP_FAILED ? -1 : 0,
		  ENOMEM);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK_TRUE("mmap a page to move", p != MAP_FAILED, "errno %s", errname(errno)))
		return;
	CHECK_ERR("mremap(MREMAP_FIXED) to TASK_SIZE_MAX is EINVAL",
		  syscall(SYS_mremap, p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, TASK_SIZE_MAX),
		  EINVAL);
	munmap(p, 4096);
}

/* rt_sigreturn to a frame whose rip or rsp was edited to a value the host cannot run. */
static uint64_t edit_rip, edit_rsp;

static void
editor(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	if (edit_rip)
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)edit_rip;
	if (edit_rsp)
		uc->uc_mcontext.gregs[REG_RSP] = (greg_t)edit_rsp;
}

static int
sigreturn_to(uint64_t which)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = editor;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	if (which == 0)
		edit_rip = 0x8000000000000000ULL;
	else if (which == 1)
		edit_rip = 0x7ffffffff800ULL;
	else
		edit_rsp = 0x8000000000000000ULL;
	raise(SIGUSR1);
	return 1; /* not reached: the edited context cannot run */
}

/* A handler whose address is non-canonical: the delivery itself faults. */
static int
handler_at(uint64_t addr)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = (void (*)(int))addr;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	return 1;
}

static void
check_contexts(void)
{
	static const char *const what[] = {
	    "rt_sigreturn to a non-canonical rip kills the process with SIGSEGV",
	    "rt_sigreturn to a rip above TASK_SIZE_MAX kills the process with SIGSEGV",
	    "rt_sigreturn to a non-canonical rsp kills the process with SIGBUS",
	};
	static const int want[] = {SIGSEGV, SIGSEGV, SIGBUS};
	uint64_t i;
	int st;

	for (i = 0; i < 3; i++) {
		st = in_child(sigreturn_to, i);
		check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == want[i], what[i],
		      "wait status %#x, want killed by signal %d", st, want[i]);
	}
	st = in_child(handler_at, 0x8000000000000000ULL);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a handler at a non-canonical address kills the process with SIGSEGV",
	      "wait status %#x, want killed by SIGSEGV", st);
}

int
main(void)
{
	guest_begin("t_hostlimits", "register values checked against the host's limits");
	check_bases();
	check_fixed_maps();
	check_contexts();
	/* Reaching this line is the check that every death above was the child's alone. */
	CHECK_EQ("the parent outlived every child above", getppid() >= 0, 1);
	return guest_end();
}
