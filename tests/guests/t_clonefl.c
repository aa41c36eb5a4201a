/*
 * t_clonefl - what clone()'s flags share between two processes: the
 * descriptor table (CLONE_FILES), cwd and umask (CLONE_FS), the signal
 * handlers (CLONE_SIGHAND, which needs CLONE_VM), and the combinations
 * man 2 clone's ERRORS section names EINVAL; and what is never shared,
 * FPU state, even between processes that share memory.
 *
 * Usage: t_clonefl [--exit]
 *
 * --exit  exit 0 at once: the image a sharing child execs, to show that
 *         exec unshares the descriptor table and the handlers (Linux's
 *         begin_new_exec), so close-on-exec and the reset of handlers
 *         stay in the child.
 *
 * A child that shares nothing but descriptors or cwd is made with the raw
 * clone syscall and no stack, as fork makes it (its memory is a copy).
 * One that shares memory (CLONE_VM, which CLONE_SIGHAND requires) runs on
 * a stack of its own through libc's clone(), and with CLONE_VFORK, so the
 * parent waits until it exits or execs (a guest kernel without threads
 * offers CLONE_VM only so). Each case's result is the same for root and
 * for an unprivileged user.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

/* Not in every libc's <sched.h>: the kernel's values (include/uapi/linux/sched.h). */
#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

#define FAR_FD 100 /* a descriptor number nothing else uses */

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static char tmpdir[64];

/* Raw clone with no stack: the child returns 0 here, like fork. */
static long
raw_clone(unsigned long flags)
{
	return syscall(SYS_clone, flags, 0UL, 0UL, 0UL, 0UL);
}

/* Wait for pid and check it exited with 0 (its own checks passed). */
static void
check_child(const char *what, pid_t pid)
{
	int st = -1, e = errno;

	if (pid < 0) {
		check(0, what, "clone: errno %s", errname(e));
		return;
	}
	if (waitpid(pid, &st, 0) != pid)
		st = -1;
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what, "wait status %#x, want exit 0", st);
}

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/*
 * The child closes descriptor a and makes FAR_FD: with CLONE_FILES the
 * parent sees both, without it neither.
 */
static void
check_files(int share)
{
	const char *what = share ? "CLONE_FILES" : "no CLONE_FILES";
	char msg[96];
	int a = open("/dev/null", O_RDONLY);
	long pid;

	if (!CHECK_OK("open /dev/null", a))
		return;
	close(FAR_FD);
	pid = raw_clone((share ? CLONE_FILES : 0) | SIGCHLD);
	if (pid == 0) {
		close(a);
		_exit(dup2(1, FAR_FD) == FAR_FD ? 0 : 1);
	}
	snprintf(msg, sizeof(msg), "%s: the child closes and dups", what);
	check_child(msg, pid);
	snprintf(msg, sizeof(msg), "%s: the parent's descriptor %s", what,
		 share ? "is closed by the child" : "stays open");
	CHECK_EQ(msg, fd_open(a), !share);
	snprintf(msg, sizeof(msg), "%s: the child's new descriptor %s", what,
		 share ? "is the parent's too" : "is not the parent's");
	CHECK_EQ(msg, fd_open(FAR_FD), share);
	close(a);
	close(FAR_FD);
}

/*
 * The child moves into tmpdir and sets umask 077: with CLONE_FS the
 * parent is there too and has that umask, without it neither.
 */
static void
check_fs(int share)
{
	const char *what = share ? "CLONE_FS" : "no CLONE_FS";
	struct stat dot, dir, root;
	mode_t old;
	char msg[96];
	long pid;

	if (!CHECK_OK("chdir /", chdir("/")) || !CHECK_OK("stat tmpdir", stat(tmpdir, &dir)) ||
	    !CHECK_OK("stat /", stat("/", &root)))
		return;
	old = umask(022);
	pid = raw_clone((share ? CLONE_FS : 0) | SIGCHLD);
	if (pid == 0) {
		umask(077);
		_exit(chdir(tmpdir) == 0 ? 0 : 1);
	}
	snprintf(msg, sizeof(msg), "%s: the child changes directory and umask", what);
	check_child(msg, pid);
	if (CHECK_OK("stat .", stat(".", &dot))) {
		const struct stat *want = share ? &dir : &root;

		snprintf(msg, sizeof(msg), "%s: the parent's cwd is %s", what,
			 share ? "the child's new one" : "still /");
		check(dot.st_dev == want->st_dev && dot.st_ino == want->st_ino, msg,
		      "got inode %llu, want %llu", (unsigned long long)dot.st_ino,
		      (unsigned long long)want->st_ino);
	}
	snprintf(msg, sizeof(msg), "%s: the parent's umask is %s", what,
		 share ? "the child's 077" : "still 022");
	CHECK_EQ(msg, umask(old), share ? 077 : 022);
	chdir("/");
}

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Child of check_sighand: install on_usr1 for SIGUSR1. */
static int
install_usr1(void *arg)
{
	struct sigaction sa;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	return sigaction(SIGUSR1, &sa, NULL) == 0 ? 0 : 1;
}

/* Start fn in a child sharing memory (CLONE_VM | CLONE_VFORK) and what flags add. */
static pid_t
vm_child(int (*fn)(void *), void *arg, int flags)
{
	return clone(fn, child_stack + sizeof(child_stack),
		     CLONE_VM | CLONE_VFORK | flags | SIGCHLD, arg);
}

/*
 * The child installs a handler: with CLONE_SIGHAND it is the parent's
 * too (and runs when the parent takes the signal), without it the
 * parent's SIGUSR1 stays SIG_DFL.
 */
static void
check_sighand(int share)
{
	const char *what = share ? "CLONE_SIGHAND" : "no CLONE_SIGHAND";
	struct sigaction dfl, now;
	char msg[96];

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &dfl, NULL);
	snprintf(msg, sizeof(msg), "%s: the child installs a handler", what);
	check_child(msg, vm_child(install_usr1, NULL, share ? CLONE_SIGHAND : 0));
	if (!CHECK_OK("sigaction SIGUSR1", sigaction(SIGUSR1, NULL, &now)))
		return;
	snprintf(msg, sizeof(msg), "%s: the parent's SIGUSR1 handler is %s", what,
		 share ? "the child's" : "still SIG_DFL");
	CHECK_EQX(msg, (uintptr_t)now.sa_handler, share ? (uintptr_t)on_usr1 : (uintptr_t)SIG_DFL);
	if (share && now.sa_handler == on_usr1) {
		got_usr1 = 0;
		raise(SIGUSR1);
		CHECK_EQ("CLONE_SIGHAND: the shared handler runs in the parent", got_usr1, 1);
	}
	sigaction(SIGUSR1, &dfl, NULL);
}

/* Child of check_exec: exec this program with --exit. */
static int
exec_self(void *arg)
{
	char *argv[] = {"t_clonefl", "--exit", NULL};

	(void)arg;
	execv("/proc/self/exe", argv);
	return 127;
}

/*
 * A child sharing the descriptor table and the handlers execs: exec
 * gives it tables of its own first, so its close-on-exec does not close
 * the parent's descriptor and its reset of handlers leaves the parent's.
 */
static void
check_exec(void)
{
	struct sigaction sa, now;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (!CHECK_OK("open /dev/null O_CLOEXEC", fd))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	check_child("CLONE_FILES|CLONE_SIGHAND: the child execs",
		    vm_child(exec_self, NULL, CLONE_FILES | CLONE_SIGHAND));
	CHECK_EQ("exec in a CLONE_FILES child: the parent's close-on-exec descriptor stays open",
		 fd_open(fd), 1);
	sigaction(SIGUSR1, NULL, &now);
	CHECK_EQX("exec in a CLONE_SIGHAND child: the parent's handler stays",
		  (uintptr_t)now.sa_handler, (uintptr_t)on_usr1);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	close(fd);
}

static unsigned
mxcsr_get(void)
{
	unsigned v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void
mxcsr_set(unsigned v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

#define MXCSR_RC_MASK 0x6000u
#define MXCSR_RC_DOWN 0x2000u
#define MXCSR_RC_UP   0x4000u

/* Child of check_fpu: exit 0 if it started with rounding down, then round up. */
static int
fpu_child(void *arg)
{
	unsigned v = mxcsr_get();

	(void)arg;
	mxcsr_set((v & ~MXCSR_RC_MASK) | MXCSR_RC_UP);
	return (v & MXCSR_RC_MASK) == MXCSR_RC_DOWN ? 0 : 1;
}

/*
 * FPU state is each task's own: a child starts with a copy of its
 * parent's (here MXCSR's rounding control, which calls preserve) and what
 * it changes stays its own, whether it has a vmspace of its own (fork) or
 * runs in its parent's (CLONE_VM), where the guest kernel keeps the
 * parent's state aside while the child runs.
 */
static void
check_fpu(void)
{
	unsigned saved = mxcsr_get();
	long pid;

	mxcsr_set((saved & ~MXCSR_RC_MASK) | MXCSR_RC_DOWN);
	pid = raw_clone(SIGCHLD);
	if (pid == 0)
		_exit(fpu_child(NULL));
	check_child("fork: the child starts with the parent's MXCSR", pid);
	CHECK_EQX("fork: the child's MXCSR change stays in the child", mxcsr_get() & MXCSR_RC_MASK,
		  MXCSR_RC_DOWN);
	check_child("CLONE_VM: the child starts with the parent's MXCSR",
		    vm_child(fpu_child, NULL, 0));
	CHECK_EQX("CLONE_VM: the child's MXCSR change stays in the child",
		  mxcsr_get() & MXCSR_RC_MASK, MXCSR_RC_DOWN);
	check_child("CLONE_VM|CLONE_SIGHAND: the child starts with the parent's MXCSR",
		    vm_child(fpu_child, NULL, CLONE_SIGHAND));
	CHECK_EQX("CLONE_VM|CLONE_SIGHAND: the child's MXCSR change stays in the child",
		  mxcsr_get() & MXCSR_RC_MASK, MXCSR_RC_DOWN);
	mxcsr_set(saved);
}

/* A combination man 2 clone calls EINVAL, whoever asks: no child may appear. */
static void
check_einval(const char *what, unsigned long flags)
{
	long pid;
	int e;

	errno = 0;
	pid = raw_clone(flags | SIGCHLD);
	if (pid == 0)
		_exit(99);
	e = errno;
	if (pid > 0)
		waitpid(pid, NULL, 0);
	check(pid == -1 && e == EINVAL, what, "got %ld errno %s, want -1 EINVAL", pid, errname(e));
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0;
	guest_begin("t_clonefl", "what clone's flags share");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/t_clonefl.XXXXXX");
	if (!check(mkdtemp(tmpdir) != NULL, "mkdtemp", "errno %s", errname(errno)))
		return guest_end();
	check_files(1);
	check_files(0);
	check_fs(1);
	check_fs(0);
	check_sighand(1);
	check_sighand(0);
	check_exec();
	check_fpu();
	check_einval("CLONE_SIGHAND without CLONE_VM is EINVAL", CLONE_SIGHAND);
	check_einval("CLONE_THREAD without CLONE_SIGHAND is EINVAL", CLONE_THREAD);
	check_einval("CLONE_THREAD|CLONE_SIGHAND without CLONE_VM is EINVAL",
		     CLONE_THREAD | CLONE_SIGHAND);
	check_einval("CLONE_FS|CLONE_NEWNS is EINVAL", CLONE_FS | CLONE_NEWNS);
	check_einval("CLONE_FS|CLONE_NEWUSER is EINVAL", CLONE_FS | CLONE_NEWUSER);
	rmdir(tmpdir);
	return guest_end();
}
