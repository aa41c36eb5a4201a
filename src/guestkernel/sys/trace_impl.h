/*
 * trace_impl.h - what the files of --trace share: trace.c (the lines),
 * trace_args.c (arguments and results decoded), trace_filter.c (the
 * --trace-filter expression and syscall classes), trace_stats.c (the
 * --trace-summary table and the --stats counters).
 *
 * Layer src/guestkernel/sys, private to the trace*.c files. Nothing here is
 * touched unless k->tr is set: the decoder tables stay out of the way of
 * untraced calls.
 */
#ifndef UVK_GUESTKERNEL_SYS_TRACE_IMPL_H
#define UVK_GUESTKERNEL_SYS_TRACE_IMPL_H

#include <stdio.h>

#include "sys.h"

/* Calls counted one by one below this number; the rest share the last slot. */
#define GK_TRACE_NR 1024

struct gk_sysacct {
	uint64_t calls;	 /* calls that ended (a call that slept counts once) */
	uint64_t errors; /* ... with a result from -4095 to -1 */
	uint64_t enosys; /* ... with -ENOSYS */
	uint64_t ns;	 /* time in the guest kernel, every run of a call that slept included */
};

struct gk_trace {
	FILE *out;	  /* the lines, NULL for none (a summary or stats alone) */
	FILE *sum_out;	  /* where the --trace-summary table goes, NULL for none */
	int stats;	  /* --stats: 1 text lines, 2 JSON */
	FILE *stats_out;  /* where --stats=json goes */
	int time;	  /* lines start with the time of day (strace -tt) */
	int duration;	  /* lines end with <seconds> the call took (strace -T) */
	int strsize;	  /* bytes of a buffer shown (strace -s) */
	int fdpaths;	  /* 3</etc/passwd> (strace -y) */
	uint8_t want[GK_TRACE_NR / 8 + 1]; /* the filter: bit nr set, the call is shown */
	struct gk_sysacct acct[GK_TRACE_NR + 1];
	uint64_t i386_calls; /* int $0x80 calls: -ENOSYS */
	uint64_t user_ns, sys_ns; /* the guest's CPU time (gk_trace_snapshot) */
};

static inline int
gk_trace_wanted(const struct gk_trace *tr, uint64_t nr)
{
	if (nr >= GK_TRACE_NR)
		nr = GK_TRACE_NR;
	return (tr->want[nr / 8] >> (nr % 8)) & 1;
}

/* trace_filter.c: parse expr into want; 0, or -EINVAL after a message on stderr. */
int gk_trace_filter_parse(struct gk_trace *tr, const char *expr);
/* The name of call nr into buf (libseccomp's for numbers the table does not name). */
const char *gk_trace_name(uint64_t nr, char *buf, size_t len);
int gk_trace_number(const char *name);

/* trace_args.c: the call's arguments (from the first output one when resumed), its result. */
void gk_trace_put_args(FILE *o, struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret,
		       int part);
#define GK_TRACE_ALL 0	  /* every argument, the call ended */
#define GK_TRACE_INPUT 1  /* the arguments before the first one the call writes */
#define GK_TRACE_OUTPUT 2 /* that one and the rest */
void gk_trace_put_result(FILE *o, uint64_t nr, const uint64_t *a, long ret);
void gk_trace_put_siginfo(FILE *o, const struct gk_siginfo *si);
const char *gk_trace_errname(int e);
const char *gk_trace_signame(int sig, char *buf, size_t len);

/* trace_decode.c: names, flags and structures. */
struct gk_flagname {
	uint64_t v;
	const char *n;
};
extern const struct gk_flagname gk_trace_prctl_opts[], gk_trace_arch_prctl_codes[],
    gk_trace_rlimits[];
void gk_trace_put_flags(FILE *o, uint64_t v, const struct gk_flagname *t, const char *zero);
void gk_trace_put_enum(FILE *o, uint64_t v, const struct gk_flagname *t);
void gk_trace_put_clone_flags(FILE *o, uint64_t v, int with_signal);
void gk_trace_put_clone_args(FILE *o, struct gk_proc *p, uint64_t gva, uint64_t size);
void gk_trace_put_rlimit_res(FILE *o, uint64_t v);
void gk_trace_put_rlimit(FILE *o, struct gk_proc *p, uint64_t gva);
void gk_trace_put_stat(FILE *o, struct gk_proc *p, uint64_t gva);
void gk_trace_put_wstatus(FILE *o, struct gk_proc *p, uint64_t gva, long ret);
void gk_trace_put_sigset_val(FILE *o, uint64_t set);
void gk_trace_put_sigset(FILE *o, struct gk_proc *p, uint64_t gva);
void gk_trace_put_sigaction(FILE *o, struct gk_proc *p, uint64_t gva);
void gk_trace_put_ioctl(FILE *o, uint64_t req);

/* trace_stats.c */
void gk_trace_summary(struct gk_kernel *k);
void gk_trace_stats(struct gk_kernel *k, uint64_t wall_ns);

#endif /* UVK_GUESTKERNEL_SYS_TRACE_IMPL_H */
