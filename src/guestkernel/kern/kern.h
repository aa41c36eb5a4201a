/*
 * kern.h - the bottom of the guest kernel: the kernel object, processes as
 * data, sleeping and waking, posting signals, the kernel-heap budget.
 *
 * Layer src/guestkernel/kern. Every other folder of the guest kernel
 * includes this header; it includes none of theirs (only <uvk/...> and the
 * boundary header guestkernel.h). What it declares is what every subsystem
 * needs of the others without depending on them: tasks, thread groups and
 * the objects tasks share (fs reads the descriptor table and cwd, mm the
 * address space), wait queues, and sending a signal (a pipe's SIGPIPE, the
 * console's job-control signals). Types owned by a subsystem appear here
 * only as incomplete pointers (struct gk_palloc, struct gk_mount, ...).
 *
 * Naming: gva/gpa for guest virtual/physical addresses, hva for pointers
 * into the tracer's mapping of pmem, gpid for guest process ids.
 *
 * Locks, in the order they nest (outermost first):
 *   k->bkl     the big kernel lock (cpu.c): held by a vCPU whenever it runs
 *              kernel code; guards every field of every kernel object.
 *              Dropped only while guest code runs and while idle (the idle
 *              condvars wait on it). One vCPU never takes it.
 *   vms->lock  per vmspace, the library's (src/vmspace/internal.h): taken
 *              inside uvk_vmspace_* calls and by the fault shortcut, which
 *              reads page-table entries without the bkl: the kernel changes
 *              live entries only atomically, in mm's clear-invalidate-free
 *              order (mm/vm.c).
 *   pm->lock   pmem slots, then the library's vCPU table; nothing nests inside.
 */
#ifndef UVK_GUESTKERNEL_KERN_H
#define UVK_GUESTKERNEL_KERN_H

#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <uvk/uvk.h>
#include "../guestkernel.h"
#include "ktimer.h"

#define GK_PAGE	    UVK_PAGE_SIZE
#define GK_NFD	    1024
#define GK_NSIG	    65
#define GK_PATH_MAX 4096
#define GK_IO_MAX   (8u << 20)

#define gk_page_down(x) ((uint64_t)(x)&UVK_PAGE_MASK)
#define gk_page_up(x)	(((uint64_t)(x) + GK_PAGE - 1) & UVK_PAGE_MASK)

struct gk_proc;
struct gk_kernel;
struct gk_file;
struct gk_hwatch;
struct gk_pidref;
struct gk_flctx;
struct gk_net;
struct gk_fsnotify;

/* gk_panic - a broken invariant of the guest kernel itself; never reachable from a guest. */
void gk_panic(const char *fn, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/*
 * GK_DEBUG_CHECK - an invariant checked only in the debug/sanitizer build
 * (meson option debug_checks): a failure panics there. In a release build
 * the code that follows must cope with the broken case on its own (it only
 * ever comes from corrupt guest RAM, which costs the guest its process).
 */
#ifdef UVK_DEBUG_CHECKS
#define GK_DEBUG_CHECK(cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond))                                                                       \
			gk_panic(__func__, __VA_ARGS__);                                           \
	} while (0)
#else
#define GK_DEBUG_CHECK(cond, ...) ((void)0)
#endif

/*
 * The kernel-heap budget: tracer heap that guest-made objects (tmpfs
 * metadata, pipes) may take, RAM / GK_KMEM_DIV bytes in all (32 MiB for
 * the default 512 MiB). With it the tracer's RSS stays below guest RAM +
 * RAM/GK_KMEM_DIV + 32 MiB + a few KiB per guest process and its VMAs,
 * and its descriptors below ~10 + GK_MAPFD_MAX + GK_HOSTFD_FILES + two
 * ELF images per process, whatever the guest does (README.md, "What the
 * guest can make the tracer hold"; run-guest.sh's res_* cases check it).
 */
#define GK_KMEM_DIV 16
int gk_kmem_charge(struct gk_kernel *k, size_t bytes);
void gk_kmem_uncharge(struct gk_kernel *k, size_t bytes);
void *gk_kzalloc(struct gk_kernel *k, size_t size);
void gk_kfree(struct gk_kernel *k, void *ptr, size_t size);
void gk_hostfd_count(struct gk_kernel *k, int delta);
void gk_hostfd_file(struct gk_kernel *k, int delta);
/* Host files the guest may hold open at once, all processes together (ENFILE past it). */
#define GK_HOSTFD_FILES 8192
int gk_hostfd_room(struct gk_kernel *k);
void gk_tracer_usage(const struct gk_kernel *k, long *ret_rss_kib, int *ret_fds,
		     int *ret_fds_peak);

struct gk_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/*
 * siginfo_t as the x86-64 kernel lays it out (128 bytes). The union at 16
 * is read by si_code: kill/queue/timer/child use proc (a timer's id and
 * overrun sit in pid and uid; a child's status is value's low half), faults
 * use addr.
 */
struct gk_siginfo {
	int32_t signo, err, code, pad0;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			uint64_t value;
		} proc;
		uint64_t addr;
	};
	uint64_t rest[12];
};

/* A queued signal: standard signals queue at most once, real-time ones in order. */
struct gk_sigq {
	struct gk_siginfo info;
	struct gk_sigq *next;
};

/*
 * A pending set: the signals queued and the queue. A thread group has one
 * for signals sent to the process (kill, the child's exit signal), each
 * task one for signals sent to it (tkill, tgkill, its own faults).
 */
struct gk_sigpend {
	uint64_t set; /* signals with an entry on q */
	struct gk_sigq *q;
};

/* A POSIX timer (timer_create). */
struct gk_ptimer {
	int used;
	int notify; /* SIGEV_SIGNAL or SIGEV_NONE */
	int signo;
	uint64_t value;	   /* sigev_value */
	uint64_t next;	   /* CLOCK_MONOTONIC ns of the next expiry, 0 disarmed */
	uint64_t interval; /* ns, 0 for one shot */
	int queued;	   /* its signal is pending, not yet delivered */
	int overrun;	   /* expiries while queued */
	int last_overrun;  /* timer_getoverrun: at the last delivery */
	int realtime;	   /* CLOCK_REALTIME: gettime reports against that clock */
	int tid;	   /* SIGEV_THREAD_ID: the thread of the process its signal goes to, 0: the process */
	/* taskproc: a CPU-time timer counts its process's or a thread's CPU time (next is in it). */
	int cpu; /* 0, GK_PTIMER_CPU_PROCESS or GK_PTIMER_CPU_THREAD */
	int cpu_tid;
};
#define GK_PTIMER_CPU_PROCESS 1
#define GK_PTIMER_CPU_THREAD  2

#define GK_NTIMERS 32
#define GK_SIGQ_MAX 1024 /* queued real-time signals a process may hold */

#define gk_sigbit(sig) (1ULL << ((sig)-1))

/* Signal sets the posting and the delivery side both test. */
#define SIG_RTMIN_K 32 /* the kernel's first real-time signal (glibc keeps 32, 33) */
#define SIG_NEVER_MASKED (gk_sigbit(SIGKILL) | gk_sigbit(SIGSTOP))
#define SIG_STOPS                                                                          \
	(gk_sigbit(SIGSTOP) | gk_sigbit(SIGTSTP) | gk_sigbit(SIGTTIN) | gk_sigbit(SIGTTOU))
#define SIG_DFL_IGNORED                                                                    \
	(gk_sigbit(SIGCHLD) | gk_sigbit(SIGURG) | gk_sigbit(SIGWINCH) | gk_sigbit(SIGCONT))
#define SIG_SYNC                                                                           \
	(gk_sigbit(SIGSEGV) | gk_sigbit(SIGBUS) | gk_sigbit(SIGILL) | gk_sigbit(SIGTRAP) |  \
	 gk_sigbit(SIGFPE) | gk_sigbit(SIGSYS))

#define SIG_RTMIN_K 32 /* the kernel's first real-time signal (glibc keeps 32, 33) */

/* The kernel's values, which libc headers do not all give. */
#define GK_SA_RESTORER	  0x04000000u
#define GK_SS_AUTODISARM (1u << 31)
#define GK_MINSIGSTKSZ	  2048u

/*
 * Wait queues (wait.c). Every object a task can block on embeds a struct
 * gk_waitq (a pipe has one per end, a thread group one for its children's
 * exits, a watched host descriptor one); a blocked task has one entry on
 * the queue of each object it waits on, and its wait record (struct
 * gk_wait, in the task) lists them, so that waking, killing or freeing the
 * task takes every entry off every queue and no queue keeps a pointer to
 * a task that is gone.
 *
 * Blocking keeps the restart model: a handler that cannot finish returns
 * -GK_EBLOCK and runs again from its start when the task is woken. The
 * order that loses no wake-up is prepare, check, commit:
 *
 *	gk_wait_prepare(p, &obj->wq, POLLIN);	   the task is on the queue
 *	if (condition)				   look only now
 *		{ gk_wait_cancel(p); return result; }
 *	return gk_wait_commit(p);		   asleep, unless woken since prepare
 *
 * A wake between prepare and commit marks the record woken and commit then
 * leaves the task runnable (its call simply runs again). gk_block() is the
 * three in one, for a caller that has just checked the condition with no
 * lock dropped between. poll and select register through struct
 * gk_pollreg: each file's poll calls gk_poll_wait() on its queue(s) before
 * it looks at its state, one entry per (poller, queue) on the file's
 * queue, so a wake reaches only the pollers of that object (epoll will add
 * entries with a callback, func, in place of a task to wake).
 *
 * Locks. One virtual CPU today: the tracer thread is the only one and no
 * lock is taken. When SMP comes, the big kernel lock guards every queue,
 * every wait record and the task's state (it is held whenever kernel code
 * runs, so the check and the enqueue above are one critical section);
 * splitting it later gives each queue a lock, taken after the lock of the
 * object that owns the queue and before the task's wait lock:
 * object -> waitq -> task wait record.
 */
struct gk_wentry;

struct gk_waitq {
	struct gk_wentry *first, *last; /* oldest first; all zero is an empty queue */
};

struct gk_wentry {
	struct gk_wentry *next, *prev; /* on q */
	struct gk_waitq *q;		/* NULL: on no queue */
	struct gk_proc *p;	  /* the task it wakes */
	short events;		  /* poll bits it waits for; 0 any wake */
	struct gk_wentry *tnext;  /* p's next entry (struct gk_wait.list) */
	/* epoll's hook: called in place of waking p (p is then NULL; gk_waitq_add). */
	void (*func)(struct gk_wentry *e, short key);
};

#define GK_WAIT_INLINE 4  /* entries a task holds without allocating (a block, a small poll) */
#define GK_WAIT_CHUNK  32 /* entries per allocated chunk past those */

struct gk_wchunk {
	struct gk_wchunk *next;
	struct gk_wentry e[GK_WAIT_CHUNK];
};

/* A task's wait record: what it waits on now. */
struct gk_wait {
	struct gk_wentry *list;	 /* entries queued now (tnext) */
	unsigned used;		 /* entries handed out since the last finish */
	int woken;		 /* a wake came after prepare: commit does not sleep */
	struct gk_proc *wake_next; /* gk_waitq_wake's list of the tasks it woke */
	struct gk_wentry inl[GK_WAIT_INLINE];
	struct gk_wchunk *more; /* entries past inl, kept for the next call, freed with the task */
	struct gk_wchunk *cur;	/* the chunk entries are handed out from */
};

/*
 * poll/select's registration (sys_poll.c): the poller, and the first
 * failure to register (-ENOMEM), which the caller returns. With queue set
 * (epoll), gk_poll_wait calls it in place of queueing p: the registrant
 * links an entry of its own (gk_waitq_add) that stays until it takes it
 * off (gk_waitq_del).
 */
struct gk_pollreg {
	struct gk_proc *p;
	int err;
	int (*queue)(struct gk_pollreg *reg, struct gk_waitq *q, short events);
};

/*
 * Futexes (proc/futex.c). A futex is named by its key: the address space
 * and virtual address of the word (private futexes, and shared ones in a
 * private mapping, told apart by kind as Linux's FUT_OFF_MMSHARED does),
 * or the guest-physical address of the word (a MAP_SHARED mapping: the
 * same futex in every process that maps the page). A task waiting on one
 * has its struct gk_futex_q on a chain of k->futex_hash, oldest first,
 * for the whole of its sleep; the sleep itself is wait.c's (on no queue:
 * a futex wake is gk_wake_task), and the record keeps what the woken call
 * returns when it runs again (the restart model). Requeue moves records
 * between keys keeping their order; a wake picks them by key and bitset.
 */
struct gk_futex_key {
	const void *space; /* struct gk_vm for a virtual key, NULL for a physical one */
	uint64_t addr;	   /* gva, or gpa */
	int kind;	   /* GK_FUTEX_KEY_* (futex.c) */
};

struct gk_futex_q {
	struct gk_futex_q *next, *prev; /* on its chain while state is GK_FQ_WAIT */
	struct gk_proc *p;		/* the waiting task */
	struct gk_futex_key key;	/* what it waits on */
	struct gk_futex_key key2;	/* FUTEX_WAIT_REQUEUE_PI: the PI futex it may move to */
	uint64_t uaddr;			/* gva of the PI word it waits to own, in p's space */
	uint32_t bitset;
	int state;  /* GK_FQ_NONE, GK_FQ_WAIT, GK_FQ_DONE (result says what the call returns) */
	int result;
	int pi;	    /* waits to own a PI futex (FUTEX_LOCK_PI, or requeued onto one) */
	int rqpi;   /* FUTEX_WAIT_REQUEUE_PI, not requeued yet */
	struct gk_proc *pi_owner; /* pi: the task that owns the lock now */
};

enum { GK_FQ_NONE, GK_FQ_WAIT, GK_FQ_DONE };

#define GK_FUTEX_HASH 256 /* chains of k->futex_hash */

struct gk_futex_chain {
	struct gk_futex_q *first, *last;
};

/*
 * File locks (fs/lock.c). A task asleep in fcntl(F_SETLKW, F_OFD_SETLKW)
 * or flock keeps here what it waits for, valid while it sleeps in that
 * call: the deadlock check follows waiting owners through it, and
 * /proc/locks lists it. The owners are opaque here: a descriptor table
 * for a traditional (POSIX) lock, an open file for OFD locks and flock.
 */
struct gk_lockwait {
	const void *owner;   /* who would own the lock, NULL: not waiting */
	const void *blocker; /* the owner of the first lock in the way */
	int blocker_posix;   /* ... which is a traditional lock's owner (a descriptor table) */
	int kind;	     /* fs/lock.c's GK_LK_* */
	short type;	     /* F_RDLCK, F_WRLCK */
	int64_t start, end;  /* the range asked for (flock: the whole file) */
	uint64_t dev, ino;   /* the inode, as /proc/locks names it */
	int cls;	     /* ... and whose numbers those are (fs/lock.c) */
};

#define GK_LOCK_HASH 64 /* chains of k->lock_hash */

/*
 * Task states. A task blocked in a syscall keeps the call (sys_nr,
 * sys_args) and runs it again from the start when woken: handlers that
 * would block return gk_block() or gk_wait_commit(), which record the
 * queues to wait on (struct gk_wait).
 */
enum gk_pstate {
	GK_P_RUN = 1, /* runnable */
	GK_P_SLEEP,   /* blocked in a syscall (p->wait says on what) */
	GK_P_VFORK,   /* parent of a vfork child that has not yet exec'd or exited */
	GK_P_ZOMBIE,  /* its process exited: resources freed, waiting for the parent's wait */
	GK_P_DEAD,    /* the task exited (exit(2)) while other tasks of its group run on */
};

/*
 * A process stopped by a signal keeps its state (it may be asleep in a
 * syscall) and does not run until SIGCONT; the wait reports are what
 * wait4(WUNTRACED/WCONTINUED) has yet to tell the parent.
 */
void gk_sys_undo(struct gk_proc *p);
#define GK_EBLOCK 1024 /* internal: -GK_EBLOCK from a handler means "blocked" */
#define GK_TICK_NS 4000000ULL /* the time slice: guest code is interrupted this often */
#define GK_NPROC  256  /* the guest's task limit (threads count): fork or clone beyond it is -EAGAIN */
#define GK_PID_MAX 32768 /* pids wrap here (proc.c): /proc/sys/kernel/pid_max */
#define GK_NCPU_MAX 64 /* virtual CPUs at most (the library's UVK_VCPU_MAX) */

/*
 * What clone() may share between tasks: each is a refcounted object, held
 * once by every task that uses it, and copied instead when clone does not
 * ask to share it (fork shares none, a thread shares all).
 *
 * The address space is struct gk_vm (mm/, CLONE_VM), the descriptor table
 * struct gk_fdtable (fs/, CLONE_FILES). Root, cwd and umask (CLONE_FS):
 */
struct gk_dentry;
struct gk_fs_ctx {
	int refs;
	struct gk_dentry *cwd; /* held (fs/dcache.c): follows its directory through renames */
	mode_t umask;
};

/* The signal handlers (CLONE_SIGHAND; Linux allows it only with CLONE_VM). */
struct gk_sighand {
	int refs;
	struct gk_sigaction action[GK_NSIG];
};

/*
 * A thread group: the process. Everything a process has once, whatever
 * number of threads run in it: its ids, its parent, the signals sent to it
 * (shared pending set), its exit and stop state, limits, timers and CPU
 * time, its name and image. Owned by its tasks: it goes with the last one
 * (gk_proc_free). clone(CLONE_THREAD) adds tasks; the leader (first on
 * tasks, its tid the pid) stays on the list until the group is reaped,
 * even when it exits before the others (GK_P_DEAD), as a zombie leader
 * does on Linux; an exec from another task makes that task the leader
 * (gk_dethread).
 */
struct gk_tgroup {
	int gpid, gppid; /* gpid is the leader task's tid */
	int pgid, sid;
	struct gk_tgroup *parent; /* the process that made us (its tasks all wait for us); NULL for pid 1 */
	struct gk_proc *tasks;	  /* linked by task->tg_next, the leader first */
	int ntasks;		  /* on tasks, dead ones included */
	int nlive;		  /* tasks that have not exited */
	int subreaper, dumpable;  /* prctl PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE */
	/* Exit: set once (gk_proc_exit), then the group is released and a zombie. */
	int exited;
	int wstatus;	 /* as wait(2) encodes it */
	int exit_signal; /* sent to the parent at exit: SIGCHLD, or what clone asked */
	int released;	 /* its resources are freed: a zombie until reaped */

	/* Job control (kern/signal.c) and what wait4 has yet to report. */
	int stopped, stop_sig;
	int report_stop, report_cont; /* for wait4 WUNTRACED / WCONTINUED */
	struct gk_waitq child_wq;     /* our wait4 sleeps here: a child exited, stopped, continued */

	/* Signals sent to the process: any of its tasks may take them. */
	struct gk_sigpend shared;
	int nsigq; /* queued entries, shared and every task's own together */
	struct gk_waitq sig_wq; /* signalfd readers and pollers: woken (POLLIN) when a signal is queued */
	struct gk_pidref *pidref; /* what its pidfds hold (proc/pidref.c), NULL before the first */
	struct rlimit rlim[RLIM_NLIMITS];

	/* Timers (timer.c) and CPU time. */
	uint64_t it_real_next, it_real_interval;
	uint64_t it_virt_left, it_virt_interval; /* ITIMER_VIRTUAL/PROF: guest CPU ns */
	uint64_t it_prof_left, it_prof_interval;
	uint64_t cpu_ns; /* time spent running guest code */
	uint64_t cchild_ns; /* taskproc: CPU time of the children it waited for, theirs included */
	uint64_t start_ns;
	struct gk_ptimer *ptimers; /* GK_NTIMERS of them once timer_create is called */

	char *exe;				/* the image (exec.c): its guest path, for /proc */
	uint64_t arg_start, env_start, env_end; /* gva of the argv and envp strings */
	uint64_t *auxv, auxv_len;		/* a copy of the auxv exec gave it, bytes (/proc/PID/auxv) */
};

/*
 * A task: one schedulable guest thread. Its registers and FPU state, its
 * signal mask and alternate stack, the syscall it is blocked in, the fault
 * it took; its process (tg) and the objects it shares with other tasks
 * (vm, fdt, fs, sighand), each held by one reference. Handlers take the
 * calling task as `struct gk_proc *p`.
 *
 * FPU state is loaded lazily: the vmspace holds the state of one task,
 * vm->fp_owner; every other task using that vmspace keeps its own in fp
 * (fp_saved). gk_task_fp_load() makes a task's state the live one before
 * it runs or its state is read.
 */
struct gk_proc {
	struct gk_kernel *k;
	struct gk_tgroup *tg;
	struct gk_proc *next;	 /* in k->procs: every task, zombies included */
	struct gk_proc *tg_next; /* in tg->tasks */
	int tid;
	enum gk_pstate state;
	struct gk_wait wait; /* GK_P_SLEEP: the queues we are on (wait.c) */

	/* Shared objects (clone flags): one reference each; NULL once released. */
	struct gk_vm *vm;
	struct gk_fdtable *fdt;
	struct gk_fs_ctx *fs;
	struct gk_sighand *sighand;

	struct gk_proc *vfork_child;  /* GK_P_VFORK: whom we wait for */
	struct gk_proc *vfork_parent; /* suspended until we exec or exit */

	struct uvk_regs regs;
	int regs_final;		/* the handler set every register: rax is not the result */
	int resched;		/* give up the CPU after this syscall (sched_yield) */
	int pdeath_sig, nnp, keepcaps; /* prctl: PR_SET_PDEATHSIG, NO_NEW_PRIVS, KEEPCAPS */
	struct uvk_fpstate *fp; /* our FPU state while another task's is live; else scratch */
	int fp_saved;		/* fp holds our state, to be loaded before we run */

	/* Restart state: a blocked syscall runs again from its start when woken. */
	int insys; /* a blocked syscall to run again */
	uint64_t sys_nr, sys_args[6];
	int sys_rerun;	   /* the blocked call is running again after a wake */
	uint64_t deadline; /* CLOCK_MONOTONIC ns a blocked call times out, 0 none */
	size_t io_done;	   /* bytes a blocked pipe write moved so far (read on a re-run) */
	/*
	 * A claim a blocked call holds across its sleep (a FIFO open counts
	 * its end while it waits for the other side): undo gives it back if
	 * the call ends without taking it over, as a signal ends it, a re-run
	 * fails, or the task goes (gk_sys_undo).
	 */
	void (*sys_undo)(struct gk_proc *p);
	void *undo_obj, *undo_node;
	int undo_flags;

	/* Signals (signal.c). */
	struct gk_sigpend pend; /* sent to this task alone (tkill, tgkill, faults) */
	uint64_t sigmask;
	uint64_t saved_mask; /* sigsuspend/ppoll/pselect6: the mask to go back to */
	int restore_mask;
	uint64_t sigwait;	 /* rt_sigtimedwait: these wake the task too */
	uint64_t ss_sp, ss_size; /* sigaltstack; ss_size 0: none */
	int ss_flags;		 /* SS_AUTODISARM */
	int fault_sig;		 /* a fault raised this signal: its frame tells the trap */
	int fault_trapno;	 /* the x86 vector: 14 page fault, 13 #GP, 6 #UD, 3 #BP, 0 #DE */
	uint64_t fault_err;	 /* the error code (page faults: user, write, fetch, protection) */

	uint64_t clear_tid; /* clear_child_tid: zeroed (and woken) when the task exits */

	/*
	 * Where the task runs (cpu.c; the big kernel lock guards these):
	 * on_cpu the vCPU running it now, in the kernel or in guest code
	 * (in_guest, the lock dropped), -1 when it is not running; fp_cpu the
	 * vCPU whose host thread holds its live FPU state, -1 when fp holds
	 * it or it has none yet. A task whose state is live on one vCPU runs
	 * only there until it is saved (proc/task.c).
	 */
	int on_cpu, in_guest, fp_cpu;
	uint64_t cpus_allowed; /* sched_setaffinity: bit i, vCPU i may run it */

	/* futex (proc/futex.c): */
	struct gk_futex_q futex; /* the futex a blocked futex call waits on */
	uint64_t robust_list;	 /* set_robust_list's head, walked when the task exits or execs */

	/* taskproc: what Linux keeps per thread, not per process. */
	char comm[16];	 /* the name prctl(PR_SET_NAME), /proc/PID/task/TID/comm and exec set */
	uint64_t cpu_ns; /* time this task spent running guest code (tg->cpu_ns sums them) */

	/* locks: */
	struct gk_lockwait lkw; /* a blocked lock call: what it waits for (fs/lock.c) */
	/* trace (sys/trace.c, while k->tr is set): when its call began; "<unfinished ...>" out. */
	uint64_t tr_t0;
	int tr_unfinished;
};

struct gk_kstats {
	uint64_t syscalls;
	uint64_t enosys;
	uint64_t faults;      /* page faults handled by the guest kernel (traps + copyin/out) */
	uint64_t fault_pages; /* pages populated */
	uint64_t oom;
	uint64_t corrupt; /* processes killed for a corrupt page-table entry */
};

/*
 * A virtual CPU (cpu.c): one tracer thread, which runs tasks through its
 * own host thread in each vmspace (the library's struct uvk_vcpu). An idle
 * vCPU sleeps: vCPU 0 on the host epoll set (console.c), which also
 * watches timers and host descriptors, the others on their condition
 * variable; gk_cpu_kick wakes one for a task that became runnable.
 */
struct uvk_vcpu;
struct gk_cpu {
	struct gk_kernel *k;
	int id;
	struct uvk_vcpu *vcpu;
	pthread_t thread;
	pthread_cond_t cv;   /* an idle vCPU but 0 waits here, under the kernel lock */
	int idle;	     /* asleep in idle: a runnable task for it needs a kick */
	int kicked;	     /* a kick came while it was not yet asleep */
	struct gk_proc *cur; /* the task it runs now, NULL when between tasks */
	struct gk_proc *rr;  /* where its next pick starts (round robin) */
	sem_t ready;	     /* its thread made its vCPU (gk_cpus_init waits) */
	uint64_t user_ns;    /* guest code it ran (/proc/stat) */
	int start_err, started;
};

struct gk_kernel {
	const struct gk_config *cfg;
	struct uvk_pmem *pm;
	const struct uvk_vpt_mem *vmem;
	uint8_t *ram; /* hva of gpa 0 */
	struct gk_palloc *pa; /* mm: the frame allocator */
	struct gk_mount *mounts; /* fs: GK_MAX_MOUNTS of them */
	int nmounts;
	struct gk_mount *tmp_mnt;
	struct gk_tnode *troot; /* the root of /tmp */
	struct gk_mapcache *mapcache; /* fs: the files mappings read (mapfile.c), made on first use */
	uint64_t tmpfs_next_ino;
	uint64_t name_key[2];	  /* secret key of directory-name hashes (tmpfs, dcache) */
	struct gk_dentry *droot;  /* the guest's "/" (fs/dcache.c) */
	struct gk_dentry **dcache; /* live dentries by (parent, name): dcache_cap chains */
	size_t dcache_cap, dcache_n;
	uint64_t tmpfs_pages;	/* frames holding /tmp file data */
	uint64_t kmem, kmem_peak, kmem_max; /* tracer heap charged to guest objects (gk_kmem_charge) */
	/*
	 * Host descriptors held for the guest (kmem.c): open host files, one
	 * an open file description, and the mapfile cache's; counted for
	 * --stats. hostfd_files is the open host files alone, which
	 * gk_hostfd_room holds below hostfd_max (worked out on first use).
	 */
	int hostfd_held, hostfd_peak, hostfd_files, hostfd_max;
	uint64_t pipe_user_pages; /* pages of capacity of every pipe (pipe-user-pages-*) */
	uint64_t pipe_next_ino;	  /* the next pipe's inode number (pipe.c), 0 before the first */
	int pipe_caps;		  /* pipe.c: uvk's CAP_SYS_RESOURCE/ADMIN bits + 1, 0 until asked */
	struct gk_net *net; /* unixsock: net/'s state (sockets), made with the first socket */
	uint64_t tmpfs_inodes;	/* nodes of /tmp */
	uint64_t tmpfs_lookups, tmpfs_probes; /* name lookups and entries compared (--stats) */
	FILE *trace;
	/*
	 * --trace, --trace-summary and --stats (sys/trace*.c): NULL when all
	 * are off, so that an untraced syscall pays one test and no decoding.
	 * The hooks let kern/ and proc/ report a signal taken and a process's
	 * end without calling up into sys/; set together with tr.
	 */
	struct gk_trace *tr;
	void (*trace_signal)(struct gk_proc *p, const struct gk_siginfo *si);
	void (*trace_exit)(struct gk_proc *p, int wstatus);
	struct gk_kstats st;
	struct uvk_stats lib; /* the library's counters of every vmspace freed so far */
	struct gk_proc *init;
	struct gk_proc *procs; /* every process, zombies included */
	int nprocs;
	int next_pid;
	uint64_t boot_ns;
	uint64_t boot_realtime_ns;
	uid_t uid;
	gid_t gid;
	int fg_pgrp; /* the console's foreground process group */
	int epfd;    /* the host epoll set the idle wait sleeps on (console.c), -1 before init */
	struct gk_hwatch *hwatch; /* host descriptors tasks wait on, each with its queue */
	int nhwatch;
	uint32_t hwatch_gen;
	int tty_fd; /* uvk's terminal, -1 if none: its modes are restored at exit */
	uint64_t host_ignored; /* gk_sigbit() of each signal uvk inherited as SIG_IGN */
	int tty_saved;
	char tty_modes[64]; /* struct termios */
	/* FPU images in flight (fork, signal frames), under the bkl; a task's own is in the task. */
	struct uvk_fpstate *fp_scratch;
	uint64_t xfeatures;   /* XSAVE features a signal frame may carry (proc/sigframe.c) */
	uint32_t xstate_size; /* ... and the bytes they take */
	struct gk_ktimer *ktimers; /* armed kernel timers (ktimer.c), in no order */
	/*
	 * The task whose system call runs now (sys/systab.c), NULL between
	 * calls: a file whose state depends on who asks (signalfd) reads it
	 * in a poll that gets no task (epoll, poll's first look).
	 */
	struct gk_proc *sys_task;
	/* Tasks waiting on futexes (proc/futex.c), by a hash of the key. */
	struct gk_futex_chain futex_hash[GK_FUTEX_HASH];

	pthread_mutex_t bkl; /* the big kernel lock: see "Locks" at the top */
	int ncpus;
	struct gk_cpu *cpus; /* ncpus of them */
	int kick_fd;	     /* an eventfd in the host epoll set: wakes vCPU 0 from its idle wait */
	int running;	     /* tasks inside a run on some vCPU (on_cpu >= 0) */
	int shutdown;	     /* pid 1 exited: every vCPU leaves its loop */
	/* Inodes with file locks (fs/lock.c), by a hash of the inode, and the lock records held. */
	struct gk_flctx *lock_hash[GK_LOCK_HASH];
	unsigned nlocks;
	struct gk_fsnotify *fsn; /* watched inodes (fs/fsnotify.c), while any: hooks test it */
	/* inotify instances and watches (ipc/inotify.c), eventfds made (eventfd-id, ipc/eventfd.c) */
	unsigned inotify_instances, inotify_watches, eventfd_ids;
};

uint64_t gk_now_ns(clockid_t clk);
void gk_proc_exit(struct gk_proc *p, int wstatus);
/* The leader of p's group (its first task), and whether p is it. */
#define gk_tg_leader(tg) ((tg)->tasks)
#define gk_is_leader(p)	 ((p) == (p)->tg->tasks)
void gk_proc_kill(struct gk_proc *p, int sig, const char *why);

/* cpu.c: virtual CPUs and the big kernel lock (see struct gk_cpu). */
void gk_bkl_lock(struct gk_kernel *k);
void gk_bkl_unlock(struct gk_kernel *k);
void gk_cpu_kick(struct gk_proc *p);
void gk_cpu_interrupt(struct gk_proc *p);
void gk_cpu_kick_all(struct gk_kernel *k);

/* wait.c: wait queues (see struct gk_waitq). */
int gk_wait_prepare(struct gk_proc *p, struct gk_waitq *q, short events);
long gk_wait_commit(struct gk_proc *p);
void gk_wait_cancel(struct gk_proc *p);
long gk_block(struct gk_proc *p, struct gk_waitq *q, short events);
void gk_waitq_wake(struct gk_waitq *q, short key);
int gk_waitq_wake_one(struct gk_waitq *q, short key);
void gk_waitq_fini(struct gk_waitq *q);
int gk_waitq_empty(const struct gk_waitq *q);
void gk_wake_task(struct gk_proc *p);
void gk_wait_finish(struct gk_proc *p);
void gk_wait_free(struct gk_proc *p);
void gk_poll_wait(struct gk_pollreg *reg, struct gk_waitq *q, short events);
void gk_waitq_add(struct gk_waitq *q, struct gk_wentry *e);
void gk_waitq_del(struct gk_wentry *e);

/* signal.c: posting signals (delivery is proc/'s). */
int gk_sig_send(struct gk_proc *t, const struct gk_siginfo *si);
int gk_sig_send_task(struct gk_proc *t, const struct gk_siginfo *si);
uint64_t gk_sig_pending(const struct gk_proc *p);
int gk_sig_init_ignores(const struct gk_proc *t, int sig, int from_pid);
int gk_sig_init_drops(const struct gk_proc *t, const struct gk_siginfo *si);
int gk_sig_kill(struct gk_proc *t, int sig, int code, int from_pid);
int gk_sig_pgrp(struct gk_kernel *k, int pgid, int sig, int code, int from_pid);
void gk_sig_force(struct gk_proc *p, int sig, int code, uint64_t addr);
int gk_sig_pick(uint64_t set);
void gk_sig_discard(struct gk_proc *p, uint64_t set);
void gk_sig_stop(struct gk_proc *p, int sig);
int gk_sig_default(int sig); /* what SIG_DFL does: 0 ignore, 1 terminate, 2 stop */
int gk_sig_dequeue(struct gk_proc *p, uint64_t set, struct gk_siginfo *ret);
void gk_sig_flush(struct gk_proc *p);
void gk_sig_continue(struct gk_proc *p);
int gk_sig_ignored(const struct gk_proc *p, int sig);
void gk_sig_set_mask(struct gk_proc *p, uint64_t mask);
int gk_sig_on_altstack(const struct gk_proc *p, uint64_t sp);
void gk_timer_dequeued(struct gk_proc *p, struct gk_siginfo *si);

#endif /* UVK_GUESTKERNEL_KERN_H */
