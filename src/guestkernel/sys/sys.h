/*
 * sys.h - system calls: the table, the dispatcher, the tracer of calls
 * (--trace), and the handlers, one file per family.
 *
 * Layer src/guestkernel/sys. Includes proc/, fs/, mm/, kern/ (and ipc/,
 * net/ when they exist). Handlers read their arguments only through
 * sysarg.h (tests/unit/sysarg checks it).
 */
#ifndef UVK_GUESTKERNEL_SYS_H
#define UVK_GUESTKERNEL_SYS_H

#include "../net/net.h"
#include "sysarg.h"

/* ---- syscall.c / trace.c ---------------------------------------------------------------- */

typedef long (*gk_sys_fn)(struct gk_proc *p, const struct gk_args *a);

struct gk_syscall {
	const char *name;
	gk_sys_fn fn;
	const char *args; /* one letter per argument, see trace.c */
};

#define GK_NSYSCALLS 460
extern const struct gk_syscall gk_systab[GK_NSYSCALLS];

void gk_syscall(struct gk_proc *p, uint64_t nr, const uint64_t *a);
/* What became of a call (gk_sys_dispatch): done, asleep, or it set every register itself. */
enum { GK_SYS_DONE, GK_SYS_BLOCKED, GK_SYS_FINAL };
int gk_sys_dispatch(struct gk_proc *p, uint64_t nr, const uint64_t *a, long *ret);

/*
 * trace*.c: --trace, --trace-summary and --stats. gk_trace_init sets
 * k->tr (and the hooks) when cfg asks for any of them; it returns 0, or
 * -EINVAL after saying on stderr what is wrong with cfg's filter.
 * gk_trace_syscall runs one call traced (gk_syscall calls it when k->tr
 * is set). gk_trace_interrupted reports the end of p's blocked call that
 * a signal ended (the run loop calls it). gk_trace_first_exec shows the
 * exec gk_run made for pid 1; gk_trace_fini prints the summary and the
 * stats and frees what gk_trace_init made.
 */
struct gk_config;
int gk_trace_init(struct gk_kernel *k, const struct gk_config *cfg);
void gk_trace_syscall(struct gk_proc *p, uint64_t nr, const uint64_t *a);
void gk_trace_interrupted(struct gk_proc *p);
void gk_trace_first_exec(struct gk_proc *p, const char *prog, char *const *argv,
			 char *const *envp);
void gk_trace_fini(struct gk_kernel *k, uint64_t wall_ns);
/* gk_trace_i386 counts an int $0x80 call; gk_trace_snapshot notes the guest's CPU time (vCPUs still up). */
void gk_trace_i386(struct gk_proc *p);
void gk_trace_snapshot(struct gk_kernel *k);

/* sys_clone.c: the process a pidfd descriptor names (waitid's P_PIDFD). */
struct gk_pidref;
int gk_sys_pidfd_get(struct gk_proc *p, int fd, struct gk_pidref **ret_r, int *ret_flags);
/* sys_socket.c: what sys_sockmsg.c shares of it. */
int gk_sock_fd(struct gk_proc *p, int fd, struct gk_sock **ret);
int gk_sock_addr_in(struct gk_proc *p, uint64_t gva, int len, struct sockaddr_storage *ret);
int gk_sock_addr_out(struct gk_proc *p, const void *addr, int klen, uint64_t gva, uint64_t lgva);

/* The handlers, one a syscall, in the sys_*.c files. */
#define GK_SYS(name) long gk_sys_##name(struct gk_proc *p, const struct gk_args *a)
#include "sysdecl.h"

#endif /* UVK_GUESTKERNEL_SYS_H */
