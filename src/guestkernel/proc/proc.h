/*
 * proc.h - processes: the process table, fork, exec, exit, signal
 * delivery and frames, timers.
 *
 * Layer src/guestkernel/proc. Includes fs/, mm/ and kern/.
 */
#ifndef UVK_GUESTKERNEL_PROC_H
#define UVK_GUESTKERNEL_PROC_H

#include "../fs/fs.h"

/* ---- exec.c: the ELF loader and the initial stack -------------------------------------- */

int gk_exec(struct gk_proc *p, const char *gpath, char *const *argv, char *const *envp);


/* ---- proc.c, fork.c: the process table, fork ------------------------------------------- */
struct gk_proc *gk_proc_alloc(struct gk_kernel *k, struct gk_proc *parent);
int gk_proc_release(struct gk_proc *p);
void gk_proc_reap(struct gk_proc *p);
void gk_proc_free(struct gk_proc *p);
struct gk_proc *gk_proc_find(struct gk_kernel *k, int gpid);
struct gk_proc *gk_task_find(struct gk_kernel *k, int tid);
struct gk_proc *gk_thread_alloc(struct gk_proc *p);
void gk_task_exit(struct gk_proc *p, int wstatus);
void gk_dethread(struct gk_proc *p);
int gk_tg_free_threads(struct gk_tgroup *tg);
void gk_vfork_release(struct gk_proc *child);
/*
 * What gk_proc_fork shares with the parent rather than copies: clone's
 * CLONE_VM, CLONE_FILES, CLONE_FS, CLONE_SIGHAND; CLONE_VFORK suspends the
 * parent until the child execs or exits; CLONE_THREAD makes the child a
 * task of the caller's process. sys_task.c checks the combinations.
 */
struct gk_proc *gk_proc_fork(struct gk_proc *p, uint64_t clone_flags, int *ret_err);

/* ---- pidref.c: a process as its pidfds name it, past its reaping ---------------------- */

/*
 * Held by the thread group (tg->pidref, one reference) and by each pidfd
 * file (one each). tg is NULL once the group is reaped.
 */
struct gk_pidref {
	int refs;
	struct gk_kernel *k;
	struct gk_tgroup *tg; /* the process, NULL once reaped */
	int gpid;	      /* its pid, for /proc fdinfo and messages */
	int exited;	      /* it has exited (a zombie or gone): POLLIN */
	struct gk_waitq wq;   /* pollers: woken at exit (POLLIN) and reap (POLLHUP) */
};
struct gk_pidref *gk_pidref_get(struct gk_kernel *k, struct gk_tgroup *tg);
void gk_pidref_put(struct gk_pidref *r);
void gk_pidref_exit(struct gk_tgroup *tg);
void gk_pidref_detach(struct gk_tgroup *tg);

/* ---- task.c: shared objects, lazy FPU state ------------------------------------------- */

struct gk_fs_ctx *gk_fsctx_new(struct gk_dentry *cwd, mode_t umask_);
struct gk_fs_ctx *gk_fsctx_copy(const struct gk_fs_ctx *fs);
struct gk_fs_ctx *gk_fsctx_ref(struct gk_fs_ctx *fs);
void gk_fsctx_unref(struct gk_fs_ctx *fs);
struct gk_sighand *gk_sighand_new(void);
struct gk_sighand *gk_sighand_copy(const struct gk_sighand *sh);
struct gk_sighand *gk_sighand_ref(struct gk_sighand *sh);
void gk_sighand_unref(struct gk_sighand *sh);
int gk_task_fp_share(struct gk_proc *p, struct gk_proc *c);
int gk_task_fp_load(struct gk_proc *p);
int gk_task_fp_save(struct gk_proc *p);
void gk_task_fp_fork(struct gk_proc *p, struct gk_proc *c);
void gk_task_vm_set(struct gk_proc *p, struct gk_vm *vm);

/* ---- signal.c, sigframe.c: delivering and returning from signals ------------------- */

int gk_sig_deliverable(const struct gk_proc *p);
void gk_sig_deliver(struct gk_proc *p);
int gk_sig_call_mask(struct gk_proc *p, uint64_t gva, uint64_t size);
int gk_sig_interrupted(struct gk_proc *p);
long gk_sig_return(struct gk_proc *p);
int gk_sig_frame(struct gk_proc *p, int sig, const struct gk_siginfo *info,
		 const struct gk_sigaction *act);
int gk_sig_child_exit(struct gk_proc *c);

/* ---- timer.c: itimers, POSIX timers, timeouts of blocked calls --------------------- */

int gk_timeout(struct gk_proc *p, uint64_t rel_ns);
int gk_timespec_in(struct gk_proc *p, uint64_t gva, uint64_t *ret_ns);
int gk_timespec_out(struct gk_proc *p, uint64_t gva, uint64_t ns);
int gk_timeout_abs(struct gk_proc *p, uint64_t deadline);
uint64_t gk_timers_run(struct gk_kernel *k, uint64_t now);
void gk_timers_exec(struct gk_proc *p);
void gk_cpu_account(struct gk_proc *p, uint64_t ns);
int gk_cpu_clock(struct gk_proc *p, clockid_t c, int gettime, uint64_t *ret_ns, uint64_t *ret_res,
		 int *ret_self);
int gk_ptimer_clock(struct gk_proc *p, struct gk_ptimer *t, clockid_t c);
uint64_t gk_ptimer_now(struct gk_proc *p, const struct gk_ptimer *t);
#define GK_RUSAGE_BOTH (-2) /* getrusage's self and children, as Linux's RUSAGE_BOTH */
void gk_cpu_rusage(const struct gk_proc *p, int who, struct rusage *ru);
void gk_cpu_reaped(struct gk_proc *p, const struct gk_proc *c);

/* ---- futex.c, futex_pi.c: futex words, robust lists ------------------------------------ */

/*
 * The restart classes of Linux a futex call can end in when a signal
 * handler interrupts it (gk_futex_interrupt): run again under SA_RESTART
 * or -EINTR, and run again whatever the handler's flags.
 */
#define GK_ERESTARTSYS	  512
#define GK_ERESTARTNOINTR 513

long gk_futex_wait(struct gk_proc *p, uint64_t uaddr, int shared, uint32_t val, uint32_t bitset);
long gk_futex_wake(struct gk_proc *p, uint64_t uaddr, int shared, int nr, uint32_t bitset);
long gk_futex_requeue(struct gk_proc *p, uint64_t uaddr, int shared, uint64_t uaddr2, int nr_wake,
		      int nr_requeue, const uint32_t *cmpval, int requeue_pi);
long gk_futex_wake_op(struct gk_proc *p, uint64_t uaddr, int shared, uint64_t uaddr2, int nr_wake,
		      int nr_wake2, uint32_t encoded);
long gk_futex_lock_pi(struct gk_proc *p, uint64_t uaddr, int shared, int trylock);
long gk_futex_unlock_pi(struct gk_proc *p, uint64_t uaddr, int shared);
long gk_futex_wait_requeue_pi(struct gk_proc *p, uint64_t uaddr, int shared, uint32_t val,
			      uint64_t uaddr2);
long gk_futex_interrupt(struct gk_proc *p);
void gk_futex_exit(struct gk_proc *p);
void gk_futex_exec(struct gk_proc *p);


#endif /* UVK_GUESTKERNEL_PROC_H */
