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
void gk_trace_enter(struct gk_proc *p, uint64_t nr, const uint64_t *a);
void gk_trace_exit(struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret);

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
