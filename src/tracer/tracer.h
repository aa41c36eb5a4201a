/*
 * tracer.h - boundary of src/tracer: host process control for vmspaces.
 *
 * Layer: the lowest. This module alone calls ptrace, waitpid, seccomp and
 * process_vm_*; src/vmspace reaches the host process only through the
 * functions here. It knows nothing of page tables or guest kernels.
 *
 * Every function returns >= 0 or a negative errno, converted from the host
 * errno at once, in the wrapper that made the call. -ESRCH from any of them
 * means the child is gone (reap it with tracer_wait).
 *
 * Stub memory map (UVK_STUB_BASE, 64 KiB reserved):
 *
 *   +0x0000  code page, r-x, shared by all vmspaces (pmem private tail)
 *   +0x1000  command pages, r--, TRACER_CMD_PAGES per vmspace (pmem tail)
 *   ...      unused, never mapped
 *
 * The stub runs a list of struct tracer_cmd (rbx = first, r12 = count) with
 * its single syscall instruction, then stops with int3 (SIGTRAP); a failed
 * call stops it with ud2 (SIGILL) and rax = -errno, rbx at the failed entry.
 */
#ifndef UVK_TRACER_TRACER_H
#define UVK_TRACER_TRACER_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* The child's only descriptor: the pmem memfd. */
#define TRACER_PMEM_FD 3

#define TRACER_CODE_OFF	 0x0000ULL
#define TRACER_CMD_OFF	 0x1000ULL
#define TRACER_CMD_PAGES 2
#define TRACER_CMD_MAX	 ((TRACER_CMD_PAGES * 4096) / sizeof(struct tracer_cmd))
/*
 * The last command entry is not the queue's: it holds the pause(2) a spare
 * host thread parks in (tracer_make_spare), written there at each spare.
 */
#define TRACER_CMD_PARK	 (TRACER_CMD_MAX - 1)
#define TRACER_CMD_QUEUE (TRACER_CMD_MAX - 1)

/*
 * The clone(2) flags of a host thread made inside a vmspace child: a thread
 * sharing everything, with no tid written anywhere (no SETTID flag) and no
 * new stack (the stub uses none). filter.c allows clone with exactly these.
 */
#define TRACER_THREAD_CLONE_FLAGS                                                \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM)

/* Top of the host's user address space (47-bit): the sweep unmaps up to here. */
#define TRACER_TASK_TOP 0x7ffffffff000ULL

/* One system call for the stub to run. */
struct tracer_cmd {
	uint64_t nr;
	uint64_t args[6];
};

/* The stub's code, copied into the pmem tail by src/vmspace. */
const void *tracer_stub_code(size_t *ret_len);

/* Counters kept by the tracer for one child. */
struct tracer_stats {
	uint64_t stops;
	uint64_t regs_loaded;
	uint64_t batches;
	uint64_t map_calls;
};

/*
 * One traced host thread of a vmspace child, as the tracer thread that
 * traces it sees it. The first one (the group leader) is the child that
 * tracer_spawn forked; the others are spares (tracer_make_spare) that a
 * tracer thread adopted (tracer_adopt). Only the tracer thread that traces
 * it may pass it to the functions below, except tracer_reap.
 */
struct tracer_child {
	pid_t pid;	 /* host tid (the leader's is the process id) */
	bool alive;	 /* not yet reaped */
	bool regs_valid; /* regs is what the child holds now */
	int wstatus;	 /* wait status once it is reaped */
	struct user_regs_struct regs;
	struct user_regs_struct tmpl; /* as at start-up: segment registers for the stub */
	uint64_t stub_base; /* where its stub area sits */
	struct tracer_cmd *cmds; /* the tracer's view of the command pages */
	pid_t clone_tid;	 /* the last thread its stub cloned */
	struct tracer_stats stats; /* written by its tracer thread only (relaxed atomics) */
};

/* Where the child finds its stub: offsets in the memfd and the base address. */
struct tracer_layout {
	int pmem_fd;	   /* the tracer's descriptor; it becomes TRACER_PMEM_FD */
	uint64_t code_off; /* memfd offset of the code page */
	uint64_t cmd_off;  /* memfd offset of this child's command pages */
	uint64_t stub_base;
	struct tracer_cmd *cmd_hva; /* the tracer's mapping of those command pages */
	bool pin;	   /* pin the calling thread and the child to one CPU */
};

int tracer_spawn(const struct tracer_layout *lay, struct tracer_child *ret);
void tracer_kill(struct tracer_child *c);

/*
 * Several host threads in one child (one per vCPU, see src/vmspace/vcpu.c).
 *
 * tracer_make_spare - have c (stopped, traced by the caller) clone a thread
 * that parks in pause(2), untraced, and return its tid. The new thread is
 * auto-attached to the caller (PTRACE_O_TRACECLONE) in a stop before it
 * runs a single instruction; it is pointed at the park command and
 * detached there, so whatever happens between the detach and an adoption
 * it can only sit in pause (which never returns: the child has no signal
 * handler) or die with the process. Returns 0, the stub's -errno for the
 * clone, or -ESRCH/-EIO (c is then dead or unusable, as tracer_run_stub).
 *
 * tracer_adopt - make the parked thread tid a tracee of the calling thread
 * (PTRACE_SEIZE, PTRACE_INTERRUPT, wait), pinned to cpus if not NULL, with
 * like's stub layout. Returns 0 or -ESRCH if it is gone.
 *
 * tracer_kill_process - SIGKILL the whole child (every thread) by its pid.
 * tracer_reap - wait for c, killed, to be gone; any thread of the tracer
 * process may reap any of its tracees. A group leader is reapable only
 * once every other traced thread of its group has been reaped.
 */
int tracer_make_spare(struct tracer_child *c, pid_t *ret_tid);
int tracer_adopt(pid_t tid, const struct tracer_child *like, const cpu_set_t *cpus,
		 struct tracer_child *ret);
void tracer_kill_process(pid_t pid);
void tracer_reap(struct tracer_child *c);

/* How a wait ended. */
enum tracer_stop_kind {
	TRACER_EXITED = 1, /* code = exit status */
	TRACER_KILLED,	   /* code = signal */
	TRACER_SYSCALL,	   /* SYSEMU syscall-entry stop */
	TRACER_SIGNAL,	   /* signal-delivery stop, code = signal */
	TRACER_INTERRUPTED, /* PTRACE_EVENT_STOP from PTRACE_INTERRUPT */
	TRACER_EVENT,	    /* another PTRACE_EVENT_* stop, code = the event */
};

struct tracer_stop {
	enum tracer_stop_kind kind;
	int code;
	int wstatus;
};

enum tracer_resume_mode {
	TRACER_RESUME_SYSEMU, /* guest code: no syscall ever runs */
	TRACER_RESUME_CONT,   /* stub code only: its calls run under the filter */
};

int tracer_resume(struct tracer_child *c, enum tracer_resume_mode mode);
int tracer_wait(struct tracer_child *c, struct tracer_stop *ret);

int tracer_fetch_regs(struct tracer_child *c);
int tracer_load_regs(struct tracer_child *c, const struct user_regs_struct *want);
int tracer_getsiginfo(struct tracer_child *c, siginfo_t *ret);
int tracer_get_xstate(struct tracer_child *c, void *buf, size_t cap, size_t *ret_len);
int tracer_set_xstate(struct tracer_child *c, const void *buf, size_t len);

/*
 * tracer_run_stub - run count commands from the child's command pages and
 * stop. The child's registers are clobbered (regs_valid is cleared): the
 * caller loads the guest registers before resuming guest code. Returns 0,
 * -EIO with *ret_failed set to the index of the failed command (its errno in
 * *ret_err), or -ESRCH.
 */
int tracer_run_stub(struct tracer_child *c, unsigned count, unsigned *ret_failed, int *ret_err);

/*
 * Interruption. tracer_running() tells the calling thread's kick handler
 * which child to PTRACE_INTERRUPT while it waits for it (pid 0: none).
 */
int tracer_kick_init(void);
void tracer_running(pid_t pid);
bool tracer_tick_take(void);
int tracer_kick_thread(pid_t tid);
int tracer_tick_start(uint64_t period_ns);
pid_t tracer_gettid(void);

#endif /* UVK_TRACER_TRACER_H */
