/*
 * t_clone3 - clone3(2): its struct and the size rules, each field, the
 * combinations man 2 clone's ERRORS section and Linux's
 * copy_clone_args_from_user/clone3_args_valid refuse; and the clone(2)
 * flags a plain process may pass (CLONE_PARENT, CLONE_SYSVSEM and the
 * ignored ones), with legacy clone's own EINVAL combinations.
 *
 * Usage: t_clone3 [--thread]
 *
 * --thread  the thread flavours instead: clone3 with CLONE_THREAD and the
 *           flags pthread_create passes, a thread's ids, the cleared
 *           child_tid word at its exit, pidfd_open of a thread that leads
 *           no group. Its child makes only raw system calls (it shares
 *           the caller's TLS), and the caller waits for it by watching
 *           the child_tid word with sched_yield, not a futex, so that the
 *           case needs threads alone.
 *
 * Expectations are Linux's (6.x). Where Linux's answer depends on the
 * caller's privileges the program asks capget, as the kernel would: set_tid
 * and the namespace flags need CAP_SYS_ADMIN; without it both are EPERM
 * (with it a namespace is made natively, which a guest of uvk is not
 * offered, so the namespace rows run only without the capability, which
 * the unprivileged run gives). A guest that is pid 1 (the guest's init,
 * under uvk) may not use CLONE_PARENT: EINVAL. Children that share memory
 * use CLONE_VFORK, so the program needs no threads.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone3.h"
#include "guest.h"

#define TASK_SIZE_MAX  0x7ffffffff000ULL
#define CAP_SYS_ADMIN_ 21

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static volatile uintptr_t child_sp; /* written by a CLONE_VM child */

/* Does the caller hold CAP_SYS_ADMIN (effective)? As the kernel's checks ask. */
static int
cap_sys_admin(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0};
	struct {
		uint32_t effective, permitted, inheritable;
	} d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &hdr, d) != 0)
		return 0;
	return (d[0].effective >> CAP_SYS_ADMIN_) & 1;
}

static void
ca_init(struct k_clone_args *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->exit_signal = SIGCHLD;
}

/* clone3 as fork with ca; the child exits 7 at once. Returns the pid or -1 with errno. */
static long
fork3(struct k_clone_args *ca, size_t size)
{
	long pid = sys_clone3(ca, size);

	if (pid == 0)
		_exit(7);
	return pid;
}

/* Reap pid and check its wait status. */
static void
check_status(const char *what, long pid, int want)
{
	int st = -1;

	if (pid <= 0) {
		check(0, what, "no child: %ld errno %s", pid, errname(errno));
		return;
	}
	if (waitpid((pid_t)pid, &st, __WALL) != pid)
		st = -1;
	check(st == want, what, "wait status %#x, want %#x", st, want);
}

/* A request that must fail with want, making no child. */
static void
check_fail(const char *what, struct k_clone_args *ca, size_t size, int want)
{
	long pid;
	int e;

	errno = 0;
	pid = fork3(ca, size);
	e = errno;
	if (pid > 0)
		waitpid((pid_t)pid, NULL, __WALL);
	check(pid == -1 && e == want, what, "got %ld errno %s, want -1 %s", pid, errname(e),
	      errname(want));
}

static void
check_fork(void)
{
	struct k_clone_args ca;
	unsigned char big[200];
	long pid;

	ca_init(&ca);
	pid = fork3(&ca, 64);
	check_status("clone3 flags 0 exit_signal SIGCHLD, size 64: a child that exits 7", pid,
		     7 << 8);
	ca_init(&ca);
	check_status("size 88 (version 2) is accepted", fork3(&ca, 88), 7 << 8);
	memset(big, 0, sizeof(big));
	ca_init(&ca);
	memcpy(big, &ca, sizeof(ca));
	check_status("size 200, the bytes past version 2 zero: accepted",
		     fork3((struct k_clone_args *)big, sizeof(big)), 7 << 8);
	big[150] = 1;
	check_fail("size 200 with a non-zero byte past the known struct is E2BIG",
		   (struct k_clone_args *)big, sizeof(big), E2BIG);
	ca_init(&ca);
	check_fail("size 63 (under version 0) is EINVAL", &ca, 63, EINVAL);
	check_fail("size 0 is EINVAL", &ca, 0, EINVAL);
	check_fail("size past a page is E2BIG", &ca, 4097, E2BIG);
	check_fail("a NULL struct is EFAULT", NULL, 64, EFAULT);
	check_fail("a struct at an unmapped address is EFAULT", (void *)8, 64, EFAULT);
}

static void
check_flags(void)
{
	struct k_clone_args ca;

	ca_init(&ca);
	ca.flags = 1ULL << 40;
	check_fail("an unknown flag above bit 31 is EINVAL", &ca, 64, EINVAL);
	ca.flags = SIGCHLD;
	check_fail("the CSIGNAL byte in flags is EINVAL (clone3 takes exit_signal)", &ca, 64,
		   EINVAL);
	ca.flags = K_CLONE_DETACHED;
	check_fail("CLONE_DETACHED is EINVAL in clone3", &ca, 64, EINVAL);
	ca.flags = 0;
	ca.exit_signal = 65;
	check_fail("exit_signal 65 (no such signal) is EINVAL", &ca, 64, EINVAL);
	ca.exit_signal = (1ULL << 32) | SIGCHLD;
	check_fail("exit_signal with a bit above CSIGNAL is EINVAL", &ca, 64, EINVAL);
	ca_init(&ca);
	ca.flags = CLONE_PARENT;
	check_fail("CLONE_PARENT with an exit_signal is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	check_fail("CLONE_THREAD with an exit_signal is EINVAL", &ca, 64, EINVAL);
	ca_init(&ca);
	ca.flags = CLONE_SIGHAND;
	check_fail("CLONE_SIGHAND without CLONE_VM is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_SIGHAND | CLONE_VM | K_CLONE_CLEAR_SIGHAND;
	check_fail("CLONE_SIGHAND with CLONE_CLEAR_SIGHAND is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_THREAD;
	check_fail("CLONE_THREAD without CLONE_SIGHAND is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_FS | CLONE_NEWNS;
	check_fail("CLONE_FS with CLONE_NEWNS is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_FS | CLONE_NEWUSER;
	check_fail("CLONE_FS with CLONE_NEWUSER is EINVAL", &ca, 64, EINVAL);
	ca.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID;
	ca.exit_signal = 0;
	check_fail("CLONE_THREAD with CLONE_NEWPID is EINVAL", &ca, 64, EINVAL);
	ca_init(&ca);
	ca.flags = K_CLONE_INTO_CGROUP;
	check_fail("CLONE_INTO_CGROUP with a version-0 struct is EINVAL", &ca, 64, EINVAL);
	ca.cgroup = 1ULL << 31;
	check_fail("CLONE_INTO_CGROUP with cgroup past INT_MAX is EINVAL", &ca, 88, EINVAL);
	ca.cgroup = 0; /* stdin: not a cgroup directory */
	check_fail("CLONE_INTO_CGROUP with a descriptor that is no cgroup is EBADF", &ca, 88,
		   EBADF);
}

/* The child of check_stack: where its stack is, seen through shared memory. */
static int
note_sp(void *arg)
{
	volatile char here;

	(void)arg;
	child_sp = (uintptr_t)&here;
	return 5;
}

static void
check_stack(void)
{
	struct k_clone_args ca;
	long pid;

	ca_init(&ca);
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = 0;
	check_fail("a stack with stack_size 0 is EINVAL", &ca, 64, EINVAL);
	ca.stack = 0;
	ca.stack_size = 4096;
	check_fail("a stack_size with no stack is EINVAL", &ca, 64, EINVAL);
	ca.stack = TASK_SIZE_MAX - 4096;
	ca.stack_size = 8192;
	check_fail("a stack ending past the user address space is EINVAL", &ca, 64, EINVAL);
	ca.stack = UINT64_MAX - 100;
	ca.stack_size = 4096;
	check_fail("a stack whose end wraps is EINVAL", &ca, 64, EINVAL);

	ca_init(&ca);
	ca.flags = CLONE_VM | CLONE_VFORK;
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	child_sp = 0;
	pid = clone3_run(&ca, 64, note_sp, NULL);
	check_status("CLONE_VM|CLONE_VFORK with a stack: the child runs fn and exits 5", pid,
		     5 << 8);
	check(child_sp > (uintptr_t)child_stack + sizeof(child_stack) - 4096 &&
		  child_sp < (uintptr_t)child_stack + sizeof(child_stack),
	      "the child's stack is the top of [stack, stack + stack_size)",
	      "child local at %#lx, stack %p..%p", (unsigned long)child_sp, (void *)child_stack,
	      (void *)(child_stack + sizeof(child_stack)));

	ca_init(&ca);
	ca.flags = CLONE_SETTLS;
	ca.tls = 1ULL << 47;
	check_fail("CLONE_SETTLS past the user address space is EPERM", &ca, 64, EPERM);
}

/* The child of check_tids: is the word at child_tid its own pid? */
static int
tid_child(void *arg)
{
	return *(volatile int *)arg == (int)syscall(SYS_getpid) ? 0 : 1;
}

static void
check_tids(void)
{
	struct k_clone_args ca;
	static int ptid, ctid;
	long pid;

	ca_init(&ca);
	ca.flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
	ca.parent_tid = (uintptr_t)&ptid;
	ca.child_tid = (uintptr_t)&ctid;
	ptid = ctid = -1;
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	pid = clone3_run(&ca, 64, tid_child, &ctid);
	CHECK_EQ("CLONE_PARENT_SETTID: parent_tid holds the child's pid", ptid, pid);
	CHECK_EQ("CLONE_CHILD_SETTID: the parent's copy of child_tid is untouched (no CLONE_VM)",
		 ctid, -1);
	check_status("CLONE_CHILD_SETTID: the child finds its pid at child_tid", pid, 0);
}

static void
on_usr1(int sig)
{
	(void)sig;
}

/* The child of check_clear_sighand: SIGUSR1 back at SIG_DFL, SIGUSR2 still ignored? */
static int
clear_child(void *arg)
{
	struct sigaction a1, a2;

	(void)arg;
	if (sigaction(SIGUSR1, NULL, &a1) != 0 || sigaction(SIGUSR2, NULL, &a2) != 0)
		return 3;
	if (a1.sa_handler != SIG_DFL)
		return 1;
	return a2.sa_handler == SIG_IGN ? 0 : 2;
}

static void
check_clear_sighand(void)
{
	struct sigaction sa;
	struct k_clone_args ca;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	ca_init(&ca);
	ca.flags = K_CLONE_CLEAR_SIGHAND;
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	check_status("CLONE_CLEAR_SIGHAND: a caught signal is SIG_DFL in the child, an "
		     "ignored one stays ignored",
		     clone3_run(&ca, 64, clear_child, NULL), 0);
	if (CHECK_OK("sigaction", sigaction(SIGUSR1, NULL, &sa)))
		check(sa.sa_handler == on_usr1, "CLONE_CLEAR_SIGHAND: the parent's handler stays",
		      "handler %p", (void *)sa.sa_handler);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

/* A pid no process has: a child's, reaped (pids are not reused until they wrap). */
static int
free_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void
check_set_tid(void)
{
	struct k_clone_args ca;
	int tid[2], admin = cap_sys_admin();
	long pid;

	ca_init(&ca);
	ca.set_tid_size = 1;
	check_fail("set_tid_size without set_tid is EINVAL", &ca, 80, EINVAL);
	ca.set_tid = (uintptr_t)tid;
	ca.set_tid_size = 0;
	check_fail("set_tid without set_tid_size is EINVAL", &ca, 80, EINVAL);
	ca.set_tid_size = 33;
	check_fail("set_tid_size past 32 (MAX_PID_NS_LEVEL) is EINVAL", &ca, 80, EINVAL);
	tid[0] = tid[1] = getpid();
	ca.set_tid_size = 2;
	check_fail("set_tid_size 2 in a pid namespace of one level is EINVAL", &ca, 80, EINVAL);
	ca.set_tid_size = 1;
	tid[0] = 0;
	check_fail("set_tid pid 0 is EINVAL", &ca, 80, EINVAL);
	tid[0] = -5;
	check_fail("set_tid pid -5 is EINVAL", &ca, 80, EINVAL);
	ca.set_tid = 8;
	check_fail("set_tid at an unmapped address is EFAULT", &ca, 80, EFAULT);
	ca.set_tid = (uintptr_t)tid;
	tid[0] = getpid();
	if (!admin) {
		check_fail("set_tid without CAP_SYS_ADMIN is EPERM", &ca, 80, EPERM);
		return;
	}
	check_fail("set_tid of a pid in use is EEXIST", &ca, 80, EEXIST);
	tid[0] = free_pid();
	pid = fork3(&ca, 80);
	CHECK_EQ("set_tid of a free pid: the child gets that pid", pid, tid[0]);
	check_status("set_tid: the child exits 7", pid, 7 << 8);
}

static void
check_namespaces(void)
{
	static const struct {
		const char *what;
		uint64_t flag;
	} ns[] = {
	    {"CLONE_NEWNS", CLONE_NEWNS},
	    {"CLONE_NEWUTS", CLONE_NEWUTS},
	    {"CLONE_NEWIPC", CLONE_NEWIPC},
	    {"CLONE_NEWPID", CLONE_NEWPID},
	    {"CLONE_NEWNET", CLONE_NEWNET},
	    {"CLONE_NEWCGROUP", K_CLONE_NEWCGROUP},
	    {"CLONE_NEWTIME (clone3's bit 7)", 0x80},
	    /* copy_namespaces asks the capability before this pair's EINVAL */
	    {"CLONE_NEWIPC|CLONE_SYSVSEM", CLONE_NEWIPC | CLONE_SYSVSEM},
	};
	struct k_clone_args ca;
	char msg[96];
	size_t i;

	if (cap_sys_admin()) {
		say("note: namespaces not checked: the caller holds CAP_SYS_ADMIN (the "
		    "unprivileged run checks them)\n");
		return;
	}
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		ca_init(&ca);
		ca.flags = ns[i].flag;
		snprintf(msg, sizeof(msg), "%s without CAP_SYS_ADMIN is EPERM", ns[i].what);
		check_fail(msg, &ca, 64, EPERM);
	}
}

/* Legacy clone as fork: the child exits 9. */
static long
raw_clone(unsigned long flags, void *ptid)
{
	long pid = syscall(SYS_clone, flags, 0UL, ptid, 0UL, 0UL);

	if (pid == 0)
		_exit(9);
	return pid;
}

static void
check_legacy(void)
{
	int fd = -1;
	long pid;

	check_status("clone CLONE_SYSVSEM is accepted", raw_clone(CLONE_SYSVSEM | SIGCHLD, NULL),
		     9 << 8);
	check_status("clone CLONE_DETACHED, CLONE_UNTRACED, CLONE_IO are accepted (ignored)",
		     raw_clone(K_CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO | SIGCHLD, NULL),
		     9 << 8);
	check_status("clone with exit signal 200 (none): accepted, high flag bits ignored",
		     raw_clone((0xdeadULL << 32) | 200, NULL), 9 << 8);
	errno = 0;
	pid = raw_clone(K_CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, &fd);
	check(pid == -1 && errno == EINVAL, "clone CLONE_PIDFD with CLONE_PARENT_SETTID is EINVAL",
	      "got %ld errno %s", pid, errname(errno));
	errno = 0;
	pid = raw_clone(K_CLONE_PIDFD | K_CLONE_DETACHED | SIGCHLD, &fd);
	check(pid == -1 && errno == EINVAL, "clone CLONE_PIDFD with CLONE_DETACHED is EINVAL",
	      "got %ld errno %s", pid, errname(errno));
	errno = 0;
	pid = raw_clone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER | SIGCHLD, NULL);
	check(pid == -1 && errno == EINVAL, "clone CLONE_THREAD with CLONE_NEWUSER is EINVAL",
	      "got %ld errno %s", pid, errname(errno));
}

/*
 * CLONE_PARENT: a child (the middle one) makes a sibling of itself; the
 * sibling's parent is ours, so we, its grandparent by descent, wait for it,
 * and its getppid() is our pid.
 */
static void
check_parent(void)
{
	int fds[2], sib = -1, st = -1, mst = -1;
	pid_t mid, me = getpid();
	long r;

	if (getpid() == 1) {
		errno = 0;
		r = raw_clone(CLONE_PARENT | SIGCHLD, NULL);
		check(r == -1 && errno == EINVAL, "clone CLONE_PARENT by init (pid 1) is EINVAL",
		      "got %ld errno %s", r, errname(errno));
	}
	if (!CHECK_OK("pipe", pipe(fds)))
		return;
	mid = fork();
	if (mid == 0) {
		long s =
		    syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL, 0UL, 0UL, 0UL);

		if (s == 0)
			_exit(getppid() == me ? 11 : 12);
		write(fds[1], &s, sizeof(int));
		_exit(s > 0 ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &sib, sizeof(sib)) != sizeof(sib))
		sib = -1;
	close(fds[0]);
	waitpid(mid, &mst, 0);
	CHECK_EQ("CLONE_PARENT: the middle child made its sibling", mst, 0);
	if (sib <= 0)
		return;
	r = waitpid(sib, &st, 0);
	CHECK_EQ("CLONE_PARENT: the grandparent waits for the sibling", r, sib);
	CHECK_EQX("CLONE_PARENT: the sibling's getppid() was the grandparent's pid", st, 11 << 8);
	errno = 0;
	CHECK_ERR("no child left afterwards", waitpid(-1, NULL, WNOHANG), ECHILD);
}

static short
poll_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static short
poll_wait(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, -1) == 1 ? p.revents : 0;
}

static volatile int thr_tid, thr_pid, thr_ctid, thr_ptid;

static long
raw0(long nr)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static int thr_pipe[2];

static long
raw3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

/* A thread that stays until the pipe is written, for pidfd_open of a thread. */
static int
waiting_fn(void *arg)
{
	char c;

	(void)arg;
	raw3(SYS_read, thr_pipe[0], (long)&c, 1);
	return 0;
}

/* A thread that waits for the pipe, then ends the whole process with status 5. */
static int
group_exit_fn(void *arg)
{
	char c;

	(void)arg;
	raw3(SYS_read, thr_pipe[0], (long)&c, 1);
	raw3(SYS_exit_group, 5, 0, 0);
	return 1;
}

/*
 * A process whose leader thread exits first: its pidfd says nothing until
 * the last thread is gone (Linux polls thread_group_empty), and the
 * process's status is the exit_group's.
 */
static void
check_leader_exit(void)
{
	struct k_clone_args ca;
	siginfo_t si;
	pid_t pid;
	int pfd;

	if (!CHECK_OK("pipe", pipe(thr_pipe)))
		return;
	pid = fork();
	if (pid == 0) {
		memset(&ca, 0, sizeof(ca));
		ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
		ca.stack = (uintptr_t)child_stack;
		ca.stack_size = sizeof(child_stack);
		if (clone3_run(&ca, 64, group_exit_fn, NULL) <= 0)
			_exit(99);
		raw3(SYS_exit, 0, 0, 0); /* the leader alone */
	}
	pfd = pidfd_open_(pid, 0);
	if (!CHECK_OK("pidfd_open of a child", pfd))
		return;
	/*
	 * Whether the leader has exited yet or not, a thread of the process
	 * lives until the pipe is written: not readable either way.
	 */
	CHECK_EQX("a process with a live thread does not poll readable (leader gone or not)",
		  poll_now(pfd), 0);
	write(thr_pipe[1], "x", 1);
	CHECK_EQX("it polls POLLIN once its last thread ends it", poll_wait(pfd) & POLLIN, POLLIN);
	memset(&si, 0, sizeof(si));
	CHECK_EQ("waitid(P_PIDFD) reaps it", waitid(K_P_PIDFD, pfd, &si, WEXITED), 0);
	check(si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 5,
	      "its status is the thread's exit_group(5)", "pid %d code %d status %d", si.si_pid,
	      si.si_code, si.si_status);
	close(pfd);
	close(thr_pipe[0]);
	close(thr_pipe[1]);
}

/* The thread: its ids, through raw system calls only (no libc: the TLS is the caller's). */
static int
thread_fn(void *arg)
{
	(void)arg;
	thr_pid = (int)raw0(SYS_getpid);
	thr_tid = (int)raw0(SYS_gettid);
	return 0;
}

static void
check_thread(void)
{
	const uint64_t fl = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	struct k_clone_args ca;
	long tid;
	int fd;

	memset(&ca, 0, sizeof(ca));
	ca.flags = fl;
	ca.parent_tid = (uintptr_t)&thr_ptid;
	ca.child_tid = (uintptr_t)&thr_ctid;
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	thr_ctid = -1;
	tid = clone3_run(&ca, 64, thread_fn, NULL);
	if (!check(tid > 0, "clone3 CLONE_THREAD with pthread_create's flags makes a thread",
		   "got %ld", tid))
		return;
	/* Woken by the kernel's clear of child_tid at the thread's exit. */
	while (thr_ctid != 0)
		sched_yield();
	CHECK_EQ("CLONE_PARENT_SETTID: parent_tid holds the thread's id", thr_ptid, tid);
	CHECK_EQ("CLONE_CHILD_CLEARTID: child_tid is 0 after the thread exits", thr_ctid, 0);
	CHECK_EQ("the thread's getpid() is the process's", thr_pid, getpid());
	CHECK_EQ("the thread's gettid() is what clone3 returned", thr_tid, tid);
	check(tid != getpid(), "the thread's id is not the process's", "both %ld", tid);
	errno = 0;
	CHECK_ERR("waitpid of a thread's id is ECHILD (a thread is no child)",
		  waitpid((pid_t)tid, NULL, WNOHANG | __WALL), ECHILD);

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_THREAD | CLONE_SIGHAND;
	check_fail("CLONE_THREAD|CLONE_SIGHAND without CLONE_VM is EINVAL", &ca, 64, EINVAL);

	/* A thread that stays (reading a pipe) for pidfd_open. */
	if (!CHECK_OK("pipe", pipe(thr_pipe)))
		return;
	memset(&ca, 0, sizeof(ca));
	ca.flags = fl;
	ca.parent_tid = (uintptr_t)&thr_ptid;
	ca.child_tid = (uintptr_t)&thr_ctid;
	ca.stack = (uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	thr_ctid = -1;
	tid = clone3_run(&ca, 64, waiting_fn, NULL);
	if (!check(tid > 0, "a second thread", "got %ld", tid))
		return;
	errno = 0;
	CHECK_ERR("pidfd_open of a thread that leads no group is ENOENT (Linux 6.9 on)",
		  pidfd_open_((int)tid, 0), ENOENT);
	fd = pidfd_open_(getpid(), 0);
	CHECK_OK("pidfd_open of the thread group's leader", fd);
	CHECK_EQX("the leader's pidfd does not poll readable while a thread lives", poll_now(fd),
		  0);
	write(thr_pipe[1], "x", 1);
	while (thr_ctid != 0)
		sched_yield();
	CHECK_EQX("... nor after the thread exits (the process lives)", poll_now(fd), 0);
	if (fd >= 0)
		close(fd);
	close(thr_pipe[0]);
	close(thr_pipe[1]);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--thread") == 0) {
		guest_begin("t_clone3", "clone3 making threads");
		check_thread();
		check_leader_exit();
		return guest_end();
	}
	guest_begin("t_clone3", "clone3's struct and the flags a process may pass");
	check_fork();
	check_flags();
	check_stack();
	check_tids();
	check_clear_sighand();
	check_set_tid();
	check_namespaces();
	check_legacy();
	check_parent();
	return guest_end();
}
