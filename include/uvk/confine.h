/*
 * uvk/confine.h - the tracer confines itself: Landlock and a seccomp filter.
 *
 * Public API, layer src/tracer. A guest kernel runs hostile programs; if one
 * ever corrupted the tracer's memory it would own whatever the tracer may
 * do on the host. uvk_confine() shrinks that, unprivileged and for good,
 * once the tracer has set itself up and before the first guest instruction:
 *
 *   Landlock (when the host kernel has it; ABI 1 and up): the process may
 *     read only beneath rules->read, read and write only beneath
 *     rules->write, execute nothing; with ABI 4 and up it may bind or
 *     connect no TCP port, with ABI 6 and up it may signal no process and
 *     reach no abstract UNIX socket outside its own domain. Landlock also
 *     lets it ptrace only processes created after the call (its vmspaces).
 *   seccomp (a filter built with libseccomp, on every thread): only the
 *     system calls the library and a guest kernel make are allowed. These
 *     kill the whole process (SECCOMP_RET_KILL_PROCESS): execve, execveat,
 *     ptrace requests other than those the library uses on its own
 *     children (PTRACE_ATTACH and PTRACE_TRACEME above all), clone with
 *     namespace flags, and every call not on the list (mount, bpf,
 *     process_vm_writev, io_uring_setup, ...). These fail with an errno,
 *     because a C library probes them: socket and socketpair (EPERM: no
 *     address family is allowed until uvk has networking), clone3
 *     (ENOSYS: the library falls back to clone, whose flags the filter
 *     can check), ioctl requests other than the terminal ones (ENOTTY).
 *
 * vmspaces created afterwards inherit both: their own filter (loaded at
 * start-up) and the stub's mapping calls stay within the tracer's list, and
 * guest code runs under PTRACE_SYSEMU, where no filter is consulted.
 */
#ifndef UVK_CONFINE_H
#define UVK_CONFINE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Debugging: leave one of the two out. */
#define UVK_CONFINE_NO_LANDLOCK 0x1u
#define UVK_CONFINE_NO_SECCOMP	0x2u

struct uvk_confine_rules {
	const char *const *read;  /* NULL-terminated paths readable beneath, or NULL */
	const char *const *write; /* NULL-terminated paths readable and writable beneath */
	unsigned flags;		  /* UVK_CONFINE_* */
};

struct uvk_confine_status {
	int landlock_abi; /* the ABI applied; 0: the kernel has no Landlock (or NO_LANDLOCK) */
	int seccomp;	  /* 1 if the filter is loaded */
};

/*
 * uvk_confine - confine the calling process as above, irreversibly (it also
 * sets no_new_privs). Call it once, while the process has a single thread
 * (Landlock binds the calling thread and the threads and children it
 * creates later) and after every descriptor it needs outside the rules is
 * open: descriptors already open keep working.
 *
 * Returns 0 with *ret_status filled (may be NULL), or a negative errno:
 * -EINVAL no rules, -EBUSY more than one thread, -ENOENT/-EACCES/... a path
 * of the rules cannot be opened, -EPERM the kernel refused, -ENOMEM. A
 * kernel without Landlock is not an error: landlock_abi says 0. On an
 * error the process may be partly confined (Landlock applied, seccomp not):
 * the caller should exit. Threads: the process's only thread (-EBUSY
 * otherwise): vCPU threads are made after it and inherit both walls, and
 * the calls they make (clone of a thread, PTRACE_SEIZE and PTRACE_DETACH of
 * a vmspace's host threads, sched_setaffinity) are on the list.
 */
int uvk_confine(const struct uvk_confine_rules *rules, struct uvk_confine_status *ret_status);

#ifdef __cplusplus
}
#endif
#endif /* UVK_CONFINE_H */
