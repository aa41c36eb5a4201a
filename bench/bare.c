/*
 * bare.c - the bare mechanism: the same ptrace operations uvk performs,
 * with no uvk code in the way, measured in the same run as uvk itself.
 *
 * Each loop runs a forked child of this process under ptrace (and, for
 * the seccomp variant, a RET_TRACE filter) doing the least work that
 * exercises one mechanism: a syscall stop answered by the tracer; a page
 * fault answered by an injected mmap; a bare injected call.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "bench.h"

/* syscall; int3 — the injection gadget, in the child's (inherited) text. */
extern const char bare_gadget[];
__asm__(".text\n.globl bare_gadget\nbare_gadget:\n\tsyscall\n\tint3\n");

#define REGION REGION_BYTES

static pid_t
spawn(void (*body)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		body(arg);
		_exit(0);
	}
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP);
	return pid;
}

static void
finish(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
}

static void
body_syscalls(void *arg)
{
	for (;;)
		syscall(SYS_getppid);
}

static void
body_seccomp(void *arg)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE) };
	struct sock_fprog prog = { .len = 1, .filter = f };

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	for (;;)
		syscall(SYS_getppid);
}

/* SYSEMU: stop, read registers, write the result, resume. */
double
bare_sysemu(long n)
{
	struct user_regs_struct r;
	pid_t pid = spawn(body_syscalls, NULL);
	double t0 = now_s();
	int st;

	ptrace(PTRACE_SYSEMU, pid, 0, 0);
	for (long i = 0; i < n; i++) {
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		r.rax = 1;
		ptrace(PTRACE_SETREGS, pid, 0, &r);
		ptrace(PTRACE_SYSEMU, pid, 0, 0);
	}
	waitpid(pid, &st, __WALL);
	double t = (now_s() - t0) * 1e9 / n;
	finish(pid);
	return t;
}

/* Two children under SYSEMU answered in turn: the bare cost of switching. */
double
bare_sysemu_two(long n)
{
	struct user_regs_struct r;
	pid_t pid[2] = { spawn(body_syscalls, NULL), spawn(body_syscalls, NULL) };
	double t0 = now_s();
	int st;

	ptrace(PTRACE_SYSEMU, pid[0], 0, 0);
	for (long i = 0; i < n; i++) {
		pid_t p = pid[i & 1], q = pid[(i + 1) & 1];

		waitpid(p, &st, __WALL);
		ptrace(PTRACE_GETREGS, p, 0, &r);
		r.rax = 1;
		ptrace(PTRACE_SETREGS, p, 0, &r);
		ptrace(PTRACE_SYSEMU, q, 0, 0);
	}
	waitpid(pid[n & 1], &st, __WALL);
	double t = (now_s() - t0) * 1e9 / n;
	finish(pid[0]);
	finish(pid[1]);
	return t;
}

/* seccomp RET_TRACE + PTRACE_CONT: stop, skip the call, write the result, resume. */
double
bare_seccomp(long n)
{
	struct user_regs_struct r;
	pid_t pid = spawn(body_seccomp, NULL);
	double t0;
	int st;

	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, __WALL); /* the seccomp() call's own exit is not traced; first trap */
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		r.orig_rax = -1;
		r.rax = 1;
		ptrace(PTRACE_SETREGS, pid, 0, &r);
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, &st, __WALL);
	}
	double t = (now_s() - t0) * 1e9 / n;
	finish(pid);
	return t;
}

struct touch_arg {
	volatile char *base;
	long n;
};

static void
body_touch(void *p)
{
	struct touch_arg *a = p;

	for (long i = 0; i < a->n; i++)
		(void)a->base[i * 4096];
	raise(SIGKILL);
}

/*
 * A page fault answered by an injected mmap of one memfd page: signal stop,
 * siginfo, registers, mmap through the gadget, restore, resume.
 */
double
bare_fault(long n, int memfd)
{
	struct user_regs_struct r, g;
	struct touch_arg a;
	siginfo_t si;
	pid_t pid;
	double t0;
	int st;

	a.base = mmap(NULL, REGION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a.n = n;
	pid = spawn(body_touch, &a);
	munmap((void *)a.base, REGION);
	t0 = now_s();
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (long i = 0; i < n; i++) {
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		g = r;
		g.rip = (uint64_t)bare_gadget;
		g.rax = SYS_mmap;
		g.rdi = (uint64_t)si.si_addr & ~4095UL;
		g.rsi = 4096;
		g.rdx = PROT_READ | PROT_WRITE;
		g.r10 = MAP_SHARED | MAP_FIXED | MAP_POPULATE;
		g.r8 = memfd;
		g.r9 = (i * 4096) % (REGION / 2);
		ptrace(PTRACE_SETREGS, pid, 0, &g);
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_SETREGS, pid, 0, &r);
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	double t = (now_s() - t0) * 1e9 / n;
	finish(pid);
	return t;
}

/* An injected call (munmap of nothing) through the gadget: the cost of one batch. */
double
bare_inject(long n)
{
	struct user_regs_struct r, g;
	pid_t pid = spawn(body_syscalls, NULL);
	double t0;
	int st;

	ptrace(PTRACE_SYSEMU, pid, 0, 0);
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		g = r;
		g.rip = (uint64_t)bare_gadget;
		g.rax = SYS_munmap;
		g.rdi = 0x7f0000000000;
		g.rsi = 4096;
		ptrace(PTRACE_SETREGS, pid, 0, &g);
		ptrace(PTRACE_CONT, pid, 0, 0);
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_SETREGS, pid, 0, &r);
	}
	double t = (now_s() - t0) * 1e9 / n;
	finish(pid);
	return t;
}

/* Native: mmap a 16-page run of a memfd (populated), then unmap it. No ptrace. */
double
native_map16(long n, int memfd, int touch)
{
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
					MAP_SHARED | (touch ? 0 : MAP_POPULATE), memfd, 0);
		if (touch)
			for (int j = 0; j < 16; j++)
				(void)p[j * 4096];
		munmap((void *)p, 16 * 4096);
	}
	return (now_s() - t0) * 1e9 / n;
}
