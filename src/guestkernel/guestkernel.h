/*
 * guestkernel.h - the reference guest kernel as its command (src/cli) sees it.
 *
 * Layer src/guestkernel, boundary header. The command fills a gk_config and
 * calls gk_run(); everything else (processes, memory, files, syscalls) stays
 * behind this header. Nothing here prints or exits on the caller's behalf
 * except the messages gk_run() writes to stderr about the guest program.
 */
#ifndef UVK_GUESTKERNEL_GUESTKERNEL_H
#define UVK_GUESTKERNEL_GUESTKERNEL_H

#include <stdint.h>
#include <stdio.h>

#define GK_MAX_BINDS 16

struct gk_bind {
	const char *host;  /* host directory, writable in the guest */
	const char *guest; /* absolute guest path it appears at */
};

struct gk_config {
	uint64_t memory;  /* guest RAM in bytes */
	const char *root; /* host directory that is the guest's read-only / */
	struct gk_bind binds[GK_MAX_BINDS];
	int nbinds;
	const char *workdir; /* guest cwd of the first process, or NULL for / */
	char *const *argv;   /* program and arguments, argv[0] is looked up in PATH */
	char *const *envp;   /* the guest's initial environment */
	FILE *trace;	     /* decoded syscalls go here, or NULL */
	int stats;	     /* print counters to stderr at exit: 1 as text, 2 as one JSON object */
	FILE *stats_out;     /* where the JSON object goes (NULL: stderr) */
	/*
	 * --trace's companions, as strace's options: trace_filter is its
	 * "-e trace=" expression (NULL: every call); trace_summary asks for
	 * the table of calls, errors and time per syscall at exit (-c), to
	 * trace if set, else stderr; trace_time starts each line with the
	 * time of day (-tt), trace_duration ends it with the call's duration
	 * (-T), trace_strsize bounds the bytes of a buffer shown (-s; 0: 32),
	 * trace_fdpaths shows a descriptor's path after it (-y).
	 */
	const char *trace_filter;
	int trace_summary, trace_time, trace_duration, trace_strsize, trace_fdpaths;
	/*
	 * Bit i set: host descriptor i (0, 1 or 2) was closed when uvk started.
	 * The caller has put /dev/null there, so that nothing gk_run() creates
	 * lands on it; the guest's descriptor i is closed (EBADF), as natively.
	 */
	unsigned std_closed;
	/*
	 * Called once, when the kernel is set up (guest RAM, mounts, console,
	 * pid 1's descriptors) and before pid 1's program is loaded, so before
	 * any vmspace exists; NULL for none. It returns 0 or a negative errno,
	 * which ends gk_run() with GK_EXIT_INTERNAL. After it the kernel opens
	 * host files only beneath the root and the binds, and /proc/cpuinfo.
	 * The command confines the tracer here (uvk_confine).
	 */
	int (*confine)(void *arg);
	void *confine_arg;
	/*
	 * Virtual CPUs: one tracer thread each, the first the caller's (0 or
	 * 1: one). cpu_map[i] is the host CPU vCPU i and the host threads it
	 * traces are pinned to, -1 for none.
	 */
	int ncpus;
	int cpu_map[64];
};

/*
 * Exit statuses of gk_run(), those of env(1) and timeout(1): the guest's own
 * exit status (0-255), 128+N if signal N killed it, or one of these.
 */
#define GK_EXIT_INTERNAL 125 /* uvk itself failed: bad root, host refused, ... */
#define GK_EXIT_NOEXEC	 126 /* the program exists but cannot be executed */
#define GK_EXIT_NOTFOUND 127 /* the program was not found */

/*
 * gk_run - boot a guest with cfg, run cfg->argv[0] as pid 1 until it exits,
 * tear everything down. Returns the exit status as above; messages about a
 * failure go to stderr, one line each, prefixed "uvk: ".
 */
int gk_run(const struct gk_config *cfg);

#endif /* UVK_GUESTKERNEL_GUESTKERNEL_H */
