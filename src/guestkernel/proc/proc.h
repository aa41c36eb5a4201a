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
void gk_vfork_release(struct gk_proc *child);
#define GK_FORK_VFORK 1 /* the parent waits until the child execs or exits */
#define GK_FORK_VM    2 /* ... and the child runs in the parent's memory meanwhile */
struct gk_proc *gk_proc_fork(struct gk_proc *p, int how, int *ret_err);

/* ---- signal.c, sigframe.c: delivering and returning from signals ------------------- */

int gk_sig_deliverable(const struct gk_proc *p);
void gk_sig_deliver(struct gk_proc *p);
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


#endif /* UVK_GUESTKERNEL_PROC_H */
