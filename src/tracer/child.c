/*
 * child.c - starting and ending vmspace children.
 *
 * Layer: src/tracer. A child is forked from the tracer, seized before it
 * does anything of its own, and then strips itself down: its descriptor
 * table to the pmem memfd, its address space to the stub area. From the
 * moment it loads the seccomp filter it can run no call but the stub's.
 *
 * Start-up, child side                     tracer side
 *   fork --------------------------------- PTRACE_SEIZE(EXITKILL|TRACESYSGOOD)
 *   wait on the sync pipe <--------------- write one byte
 *   setsid, fds -> {3: memfd}, map stub
 *   no_new_privs, seccomp filter
 *   jump to stub: munmap [0, stub) and
 *   [stub end, top): no stack, no libc,
 *   no vdso left. int3 ------------------> waitpid: SIGTRAP stop = ready
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"

/*
 * Every host thread is seized with these. TRACECLONE: the threads the stub
 * clones (tracer_make_spare) start stopped and traced, never running free
 * under nobody's eye; guest code runs under SYSEMU and clones nothing.
 */
#define SEIZE_OPTIONS (PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE)

/*
 * ThreadSanitizer builds: the tool's fork() starts its background thread
 * again in the child, which the sweep then unmaps under it (the child
 * dies of it). The vmspace child needs nothing of the tool, so it is made
 * with the raw system call, and what it runs is not instrumented.
 */
#ifdef __SANITIZE_THREAD__
#define CHILD_NOSAN __attribute__((no_sanitize("thread")))
#define CHILD_FORK() ((pid_t)syscall(SYS_fork))
#else
#define CHILD_NOSAN
#define CHILD_FORK() fork()
#endif

/*
 * Forget the per-thread user memory the kernel would touch on our behalf:
 * glibc's rseq area (the kernel updates it on every return to user mode and
 * SIGSEGVs the thread when it has been unmapped) and the tid to clear on
 * exit. Both live in the tracer's TLS, which the sweep unmaps.
 */
static void CHILD_NOSAN
forget_thread_memory(void)
{
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;

	if (__rseq_size &&
	    syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) &&
	    errno == EINVAL)
		syscall(SYS_rseq, area, sizeof(struct rseq), RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	syscall(SYS_set_tid_address, NULL);
}

/*
 * Runs in the forked child only: raw system calls (the child of a
 * multithreaded tracer may call nothing that takes a lock another thread
 * held at the fork, nor anything a sanitizer intercepts), no return.
 */
static void __attribute__((noreturn)) CHILD_NOSAN
child_main(const struct tracer_layout *lay, const struct sock_fprog *prog, int syncfd,
	   pid_t parent)
{
	uint64_t base = lay->stub_base;
	uint64_t none = 0;
	char go;

	/* Until the seize is done, a dying tracer must take us along. */
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, ECHILD);
	if (syscall(SYS_read, syncfd, &go, 1) != 1)
		syscall(SYS_exit_group, ECHILD);
	/* Out of the tracer's session: terminal signals are for the tracer. */
	syscall(SYS_setsid);
	if (syscall(SYS_dup2, lay->pmem_fd, TRACER_PMEM_FD) < 0)
		syscall(SYS_exit_group, errno);
	for (int fd = 0; fd < TRACER_PMEM_FD; fd++)
		syscall(SYS_close, fd);
	if (syscall(SYS_close_range, TRACER_PMEM_FD + 1, ~0U, 0))
		syscall(SYS_exit_group, errno);
	if (syscall(SYS_mmap, base + TRACER_CODE_OFF, 4096, PROT_READ | PROT_EXEC,
		    MAP_SHARED | MAP_FIXED_NOREPLACE, TRACER_PMEM_FD, lay->code_off) == -1)
		syscall(SYS_exit_group, errno);
	if (syscall(SYS_mmap, base + TRACER_CMD_OFF, TRACER_CMD_PAGES * 4096, PROT_READ,
		    MAP_SHARED | MAP_FIXED_NOREPLACE, TRACER_PMEM_FD, lay->cmd_off) == -1)
		syscall(SYS_exit_group, errno);
	forget_thread_memory();
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none)))
		syscall(SYS_exit_group, errno);
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		syscall(SYS_exit_group, errno);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog))
		syscall(SYS_exit_group, errno);
	/* The sweep commands are in the command page: run them and trap. */
	__asm__ volatile("mov %0, %%rbx\n\t"
			 "mov $2, %%r12\n\t"
			 "jmp *%1"
			 :
			 : "r"(base + TRACER_CMD_OFF), "r"(base + TRACER_CODE_OFF)
			 : "rbx", "r12", "memory");
	__builtin_unreachable();
}

/* Pin the calling thread to the CPU it runs on; the child inherits it. */
static void
pin_here(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1)
		return;
	cpu = sched_getcpu();
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void
reap(struct tracer_child *c)
{
	int st = 0;

	for (;;) {
		pid_t got = waitpid(c->pid, &st, __WALL);

		if (got < 0 && errno == EINTR)
			continue;
		if (got == c->pid && !WIFEXITED(st) && !WIFSIGNALED(st))
			continue; /* a last stop before SIGKILL lands */
		break;
	}
	c->wstatus = st;
	c->alive = false;
}

/*
 * tracer_spawn - start a child as the stub layout says and wait until it has
 * stripped itself. Returns 0 with *ret filled (the child stopped, registers
 * fetched), or a negative errno: EPERM when ptrace or seccomp is refused,
 * EEXIST when the stub address is taken in the tracer, or the host's error.
 */
int
tracer_spawn(const struct tracer_layout *lay, struct tracer_child *ret)
{
	uint64_t stub_end = lay->stub_base + 0x10000;
	struct tracer_child c = { .stub_base = lay->stub_base, .cmds = lay->cmd_hva };
	struct tracer_stop stop;
	struct sock_fprog prog;
	pid_t parent = getpid();
	int sync[2], rc;

	rc = tracer_filter(lay->stub_base, &prog);
	if (rc)
		return rc;
	if (lay->pin)
		pin_here();
	lay->cmd_hva[0] = (struct tracer_cmd){ SYS_munmap, { 0, lay->stub_base } };
	lay->cmd_hva[1] = (struct tracer_cmd){ SYS_munmap, { stub_end, TRACER_TASK_TOP - stub_end } };
	if (pipe2(sync, O_CLOEXEC))
		return -errno;
	c.pid = CHILD_FORK();
	if (c.pid < 0) {
		rc = -errno;
		goto out_close;
	}
	if (c.pid == 0)
		child_main(lay, &prog, sync[0], parent);
	c.alive = true;
	/*
	 * Not TRACECLONE yet: a thread the C library or a sanitizer runtime
	 * starts in the child before it strips itself must not become a
	 * tracee nobody waits for (its leader could never be reaped).
	 */
	if (ptrace(PTRACE_SEIZE, c.pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) {
		rc = -errno;
		kill(c.pid, SIGKILL);
		reap(&c);
		goto out_close;
	}
	if (write(sync[1], "g", 1) != 1) {
		rc = -errno;
		tracer_kill(&c);
		goto out_close;
	}
	for (;;) {
		rc = tracer_wait(&c, &stop);
		if (rc)
			break;
		if (stop.kind == TRACER_SIGNAL && stop.code == SIGTRAP)
			break;
		if (stop.kind == TRACER_EXITED) {
			rc = stop.code ? -stop.code : -EIO;
			break;
		}
		if (stop.kind == TRACER_KILLED) {
			rc = stop.code == SIGSYS ? -EPERM : -EIO;
			break;
		}
		/* A stray signal stop before the stub ran: swallow it. */
		if (stop.kind != TRACER_SIGNAL || stop.code == SIGILL) {
			rc = -EIO;
			break;
		}
		rc = tracer_resume(&c, TRACER_RESUME_CONT);
		if (rc)
			break;
	}
	if (!rc && ptrace(PTRACE_SETOPTIONS, c.pid, 0, SEIZE_OPTIONS))
		rc = -errno;
	if (!rc)
		rc = tracer_fetch_regs(&c);
	c.tmpl = c.regs;
	if (rc)
		tracer_kill(&c);
	else
		*ret = c;
out_close:
	close(sync[0]);
	close(sync[1]);
	return rc;
}

/* tracer_kill - kill the child if it is still there and reap it. */
void
tracer_kill(struct tracer_child *c)
{
	if (!c || !c->alive)
		return;
	kill(c->pid, SIGKILL);
	reap(c);
}

/* tracer_kill_process - see tracer.h. */
void
tracer_kill_process(pid_t pid)
{
	kill(pid, SIGKILL);
}

/* tracer_reap - see tracer.h. */
void
tracer_reap(struct tracer_child *c)
{
	if (c && c->alive)
		reap(c);
}

/*
 * Why a spare thread, parked, rather than a thread handed from tracer to
 * tracer on demand: ptrace belongs to one tracer thread, and the tracer
 * thread that wants a host thread in a vmspace (a vCPU running it for the
 * first time) has, by definition, no stopped thread there to inject a clone
 * with, while the threads that are there belong to other tracer threads,
 * busy with their own guests. A thread parked in pause(2) needs nobody: it
 * executes nothing (the child has no signal handlers, so pause never
 * returns to user mode), it is not traced, so no stop of it waits for
 * anyone, and any thread of the tracer process may seize it. The handover
 * window (after the detach here, before the seize in tracer_adopt) is
 * spent inside pause. Its only instructions are the stub's, under the
 * child's filter, which allows this clone (exact flags) and pause from the
 * stub's syscall instruction only.
 */
int
tracer_make_spare(struct tracer_child *c, pid_t *ret_tid)
{
	struct tracer_child t;
	struct user_regs_struct r;
	struct tracer_stop stop;
	unsigned failed;
	int err = 0, rc;

	c->cmds[0] = (struct tracer_cmd){ SYS_clone, { TRACER_THREAD_CLONE_FLAGS } };
	c->cmds[TRACER_CMD_PARK] = (struct tracer_cmd){ SYS_pause, { 0 } };
	c->clone_tid = 0;
	rc = tracer_run_stub(c, 1, &failed, &err);
	if (rc == -EIO && err > 0)
		return -err; /* the clone failed (EAGAIN...): c is fine */
	if (rc)
		return rc;
	if (c->clone_tid <= 0)
		return -EIO;
	t = *c;
	t.pid = c->clone_tid;
	t.alive = true;
	t.regs_valid = false;
	/* Its first stop (PTRACE_EVENT_STOP): it has run nothing yet. */
	do {
		rc = tracer_wait(&t, &stop);
		if (!rc && (stop.kind == TRACER_EXITED || stop.kind == TRACER_KILLED))
			rc = -ESRCH;
	} while (!rc && stop.kind == TRACER_SIGNAL && !tracer_resume(&t, TRACER_RESUME_CONT));
	if (rc) {
		kill(t.pid, SIGKILL);
		if (t.alive)
			reap(&t);
		return rc == -ESRCH ? rc : -EIO;
	}
	r = c->tmpl;
	r.rip = c->stub_base + TRACER_CODE_OFF;
	r.rbx = c->stub_base + TRACER_CMD_OFF + TRACER_CMD_PARK * sizeof(struct tracer_cmd);
	r.r12 = 1;
	rc = tracer_load_regs(&t, &r);
	if (!rc && ptrace(PTRACE_DETACH, t.pid, 0, 0))
		rc = -errno;
	if (rc) {
		/*
		 * It is ours and stopped, or gone: either way it must not stay,
		 * and a traced thread must be reaped by us (its leader cannot
		 * be reaped before it). The process dies with it.
		 */
		kill(t.pid, SIGKILL);
		reap(&t);
		return -EIO;
	}
	*ret_tid = t.pid;
	return 0;
}

/* tracer_adopt - see tracer.h. */
int
tracer_adopt(pid_t tid, const struct tracer_child *like, const cpu_set_t *cpus,
	     struct tracer_child *ret)
{
	struct tracer_child t = { .pid = tid, .alive = true, .stub_base = like->stub_base,
				  .cmds = like->cmds, .tmpl = like->tmpl };
	struct tracer_stop stop;
	int rc;

	/* Pinned before it is ours: it runs nothing until we resume it. */
	if (cpus && sched_setaffinity(tid, sizeof(*cpus), cpus) && errno == ESRCH)
		return -ESRCH;
	if (ptrace(PTRACE_SEIZE, tid, 0, SEIZE_OPTIONS))
		return errno == EPERM ? -EPERM : -ESRCH;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
		rc = -errno;
		goto out_kill;
	}
	for (;;) {
		rc = tracer_wait(&t, &stop);
		if (rc)
			goto out_kill;
		if (stop.kind == TRACER_EXITED || stop.kind == TRACER_KILLED) {
			rc = -ESRCH;
			goto out_kill;
		}
		if (stop.kind == TRACER_INTERRUPTED)
			break;
		/* a signal someone sent it: dropped; the interrupt stop still comes */
		rc = tracer_resume(&t, TRACER_RESUME_CONT);
		if (rc)
			goto out_kill;
	}
	*ret = t;
	return 0;
out_kill:
	/* half adopted: it dies (with the process) rather than park untended */
	kill(tid, SIGKILL);
	if (t.alive)
		reap(&t);
	return rc;
}

/* tracer_stub_code - the stub's bytes, for src/vmspace to copy into the pmem tail. */
const void *
tracer_stub_code(size_t *ret_len)
{
	*ret_len = (size_t)(tracer_stub_end - tracer_stub_start);
	return tracer_stub_start;
}
