/*
 * systab.c - the syscall table: number -> name, handler, argument kinds.
 *
 * Layer src/guestkernel/sys. Indexed by the x86-64 syscall number, so that
 * dispatch is one array access. A named entry without a handler is a call
 * part 1 knows but does not implement: -ENOSYS, shown by name in --trace.
 * Argument kinds (trace.c prints them): d int, u unsigned, x hex, p pointer,
 * f descriptor, s string, b buffer in (length next), B buffer out (length is
 * the result), o open flags, m mode, P prot, M mmap flags, F fcntl command,
 * S signal, a access mode, w lseek whence, v string vector, A address family,
 * T socket type, U socket address in (length next).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "sys.h"

const struct gk_syscall gk_systab[GK_NSYSCALLS] = {
    [__NR_read] = {"read", gk_sys_read, "fBu"},
    [__NR_write] = {"write", gk_sys_write, "fbu"},
    [__NR_open] = {"open", gk_sys_open, "som"},
    [__NR_close] = {"close", gk_sys_close, "f"},
    [__NR_stat] = {"stat", gk_sys_stat, "sp"},
    [__NR_fstat] = {"fstat", gk_sys_fstat, "fp"},
    [__NR_lstat] = {"lstat", gk_sys_lstat, "sp"},
    [__NR_poll] = {"poll", gk_sys_poll, "pud"},
    [__NR_lseek] = {"lseek", gk_sys_lseek, "fdw"},
    [__NR_mmap] = {"mmap", gk_sys_mmap, "xuPMfx"},
    [__NR_mprotect] = {"mprotect", gk_sys_mprotect, "xuP"},
    [__NR_munmap] = {"munmap", gk_sys_munmap, "xu"},
    [__NR_brk] = {"brk", gk_sys_brk, "x"},
    [__NR_rt_sigaction] = {"rt_sigaction", gk_sys_rt_sigaction, "Sppu"},
    [__NR_rt_sigprocmask] = {"rt_sigprocmask", gk_sys_rt_sigprocmask, "dppu"},
    [__NR_rt_sigreturn] = {"rt_sigreturn", gk_sys_rt_sigreturn, ""},
    [__NR_ioctl] = {"ioctl", gk_sys_ioctl, "fxx"},
    [__NR_pread64] = {"pread64", gk_sys_pread64, "fBud"},
    [__NR_pwrite64] = {"pwrite64", gk_sys_pwrite64, "fbud"},
    [__NR_readv] = {"readv", gk_sys_readv, "fpd"},
    [__NR_writev] = {"writev", gk_sys_writev, "fpd"},
    [__NR_access] = {"access", gk_sys_access, "sa"},
    [__NR_pipe] = {"pipe", gk_sys_pipe, "p"},
    [__NR_select] = {"select", gk_sys_select, "dpppp"},
    [__NR_sched_yield] = {"sched_yield", gk_sys_sched_yield, ""},
    [__NR_mremap] = {"mremap", gk_sys_mremap, "xuuxx"},
    [__NR_msync] = {"msync", gk_sys_msync, "xux"},
    [__NR_mincore] = {"mincore", NULL, "xup"},
    [__NR_madvise] = {"madvise", gk_sys_madvise, "xud"},
    [__NR_dup] = {"dup", gk_sys_dup, "f"},
    [__NR_dup2] = {"dup2", gk_sys_dup2, "ff"},
    [__NR_pause] = {"pause", gk_sys_pause, ""},
    [__NR_nanosleep] = {"nanosleep", gk_sys_nanosleep, "pp"},
    [__NR_getitimer] = {"getitimer", gk_sys_getitimer, "dp"},
    [__NR_alarm] = {"alarm", gk_sys_alarm, "u"},
    [__NR_setitimer] = {"setitimer", gk_sys_setitimer, "dpp"},
    [__NR_getpid] = {"getpid", gk_sys_getpid, ""},
    [__NR_sendfile] = {"sendfile", gk_sys_sendfile, "ffpu"},
    [__NR_socket] = {"socket", gk_sys_socket, "ATd"},
    [__NR_connect] = {"connect", gk_sys_connect, "fUd"},
    [__NR_exit] = {"exit", gk_sys_exit, "d"},
    [__NR_wait4] = {"wait4", gk_sys_wait4, "dpdp"},
    [__NR_kill] = {"kill", gk_sys_kill, "dS"},
    [__NR_uname] = {"uname", gk_sys_uname, "p"},
    [__NR_fcntl] = {"fcntl", gk_sys_fcntl, "fFx"},
    [__NR_flock] = {"flock", gk_sys_flock, "fd"},
    [__NR_fsync] = {"fsync", gk_sys_fsync, "f"},
    [__NR_fdatasync] = {"fdatasync", gk_sys_fsync, "f"},
    [__NR_truncate] = {"truncate", gk_sys_truncate, "sd"},
    [__NR_ftruncate] = {"ftruncate", gk_sys_ftruncate, "fd"},
    [__NR_getdents] = {"getdents", NULL, "fpu"},
    [__NR_getcwd] = {"getcwd", gk_sys_getcwd, "Bu"},
    [__NR_chdir] = {"chdir", gk_sys_chdir, "s"},
    [__NR_fchdir] = {"fchdir", gk_sys_fchdir, "f"},
    [__NR_rename] = {"rename", gk_sys_rename, "ss"},
    [__NR_mkdir] = {"mkdir", gk_sys_mkdir, "sm"},
    [__NR_rmdir] = {"rmdir", gk_sys_rmdir, "s"},
    [__NR_creat] = {"creat", gk_sys_creat, "sm"},
    [__NR_link] = {"link", gk_sys_link, "ss"},
    [__NR_unlink] = {"unlink", gk_sys_unlink, "s"},
    [__NR_symlink] = {"symlink", gk_sys_symlink, "ss"},
    [__NR_readlink] = {"readlink", gk_sys_readlink, "sBu"},
    [__NR_chmod] = {"chmod", gk_sys_chmod, "sm"},
    [__NR_fchmod] = {"fchmod", gk_sys_fchmod, "fm"},
    [__NR_chown] = {"chown", gk_sys_chown, "sdd"},
    [__NR_fchown] = {"fchown", gk_sys_fchown, "fdd"},
    [__NR_lchown] = {"lchown", gk_sys_lchown, "sdd"},
    [__NR_umask] = {"umask", gk_sys_umask, "m"},
    [__NR_gettimeofday] = {"gettimeofday", gk_sys_gettimeofday, "pp"},
    [__NR_getrlimit] = {"getrlimit", gk_sys_getrlimit, "dp"},
    [__NR_getrusage] = {"getrusage", gk_sys_getrusage, "dp"},
    [__NR_sysinfo] = {"sysinfo", gk_sys_sysinfo, "p"},
    [__NR_times] = {"times", gk_sys_times, "p"},
    [__NR_ptrace] = {"ptrace", gk_sys_ptrace, "dddx"},
    [__NR_getuid] = {"getuid", gk_sys_getuid, ""},
    [__NR_syslog] = {"syslog", NULL, "dpd"},
    [__NR_getgid] = {"getgid", gk_sys_getgid, ""},
    [__NR_setuid] = {"setuid", gk_sys_setid, "d"},
    [__NR_setgid] = {"setgid", gk_sys_setid, "d"},
    [__NR_geteuid] = {"geteuid", gk_sys_getuid, ""},
    [__NR_getegid] = {"getegid", gk_sys_getgid, ""},
    [__NR_setpgid] = {"setpgid", gk_sys_setpgid, "dd"},
    [__NR_getppid] = {"getppid", gk_sys_getppid, ""},
    [__NR_getpgrp] = {"getpgrp", gk_sys_getpgrp, ""},
    [__NR_setsid] = {"setsid", gk_sys_setsid, ""},
    [__NR_setreuid] = {"setreuid", gk_sys_setid, "dd"},
    [__NR_setregid] = {"setregid", gk_sys_setid, "dd"},
    [__NR_getgroups] = {"getgroups", gk_sys_getgroups, "dp"},
    [__NR_setgroups] = {"setgroups", NULL, "dp"},
    [__NR_setresuid] = {"setresuid", gk_sys_setid, "ddd"},
    [__NR_getresuid] = {"getresuid", gk_sys_getresuid, "ppp"},
    [__NR_setresgid] = {"setresgid", gk_sys_setid, "ddd"},
    [__NR_getresgid] = {"getresgid", gk_sys_getresgid, "ppp"},
    [__NR_getpgid] = {"getpgid", gk_sys_getpgid, "d"},
    [__NR_setfsuid] = {"setfsuid", gk_sys_setid, "d"},
    [__NR_setfsgid] = {"setfsgid", gk_sys_setid, "d"},
    [__NR_getsid] = {"getsid", gk_sys_getsid, "d"},
    [__NR_rt_sigpending] = {"rt_sigpending", gk_sys_rt_sigpending, "pu"},
    [__NR_rt_sigtimedwait] = {"rt_sigtimedwait", gk_sys_rt_sigtimedwait, "pppu"},
    [__NR_rt_sigsuspend] = {"rt_sigsuspend", gk_sys_rt_sigsuspend, "pu"},
    [__NR_rt_sigqueueinfo] = {"rt_sigqueueinfo", gk_sys_rt_sigqueueinfo, "dSp"},
    [__NR_sigaltstack] = {"sigaltstack", gk_sys_sigaltstack, "pp"},
    [__NR_mknod] = {"mknod", gk_sys_mknod, "smx"},
    [__NR_statfs] = {"statfs", gk_sys_statfs, "sp"},
    [__NR_fstatfs] = {"fstatfs", gk_sys_fstatfs, "fp"},
    [__NR_getpriority] = {"getpriority", NULL, "dd"},
    [__NR_setpriority] = {"setpriority", NULL, "ddd"},
    [__NR_sched_getparam] = {"sched_getparam", gk_sys_sched_getparam, "dp"},
    [__NR_sched_getscheduler] = {"sched_getscheduler", gk_sys_sched_getscheduler, "d"},
    [__NR_sched_setparam] = {"sched_setparam", gk_sys_sched_setparam, "dp"},
    [__NR_sched_setscheduler] = {"sched_setscheduler", gk_sys_sched_setscheduler, "ddp"},
    [__NR_sched_get_priority_max] = {"sched_get_priority_max", gk_sys_sched_get_priority_max, "d"},
    [__NR_sched_get_priority_min] = {"sched_get_priority_min", gk_sys_sched_get_priority_min, "d"},
    [__NR_mlock] = {"mlock", gk_sys_mlock, "xu"},
    [__NR_munlock] = {"munlock", gk_sys_mlock, "xu"},
    [__NR_mlockall] = {"mlockall", gk_sys_mlockall, "x"},
    [__NR_munlockall] = {"munlockall", gk_sys_mnop, ""},
    [__NR_prctl] = {"prctl", gk_sys_prctl, "dxxxx"},
    [__NR_arch_prctl] = {"arch_prctl", gk_sys_arch_prctl, "xx"},
    [__NR_setrlimit] = {"setrlimit", gk_sys_setrlimit, "dp"},
    [__NR_sync] = {"sync", gk_sys_mnop, ""},
    [__NR_gettid] = {"gettid", gk_sys_gettid, ""},
    [__NR_tkill] = {"tkill", gk_sys_tkill, "dS"},
    [__NR_time] = {"time", gk_sys_time, "p"},
    [__NR_futex] = {"futex", gk_sys_futex, "pdxpxx"},
    [__NR_sched_setaffinity] = {"sched_setaffinity", gk_sys_sched_setaffinity, "dup"},
    [__NR_sched_getaffinity] = {"sched_getaffinity", gk_sys_sched_getaffinity, "dup"},
    [__NR_getcpu] = {"getcpu", gk_sys_getcpu, "ppp"},
    [__NR_set_tid_address] = {"set_tid_address", gk_sys_set_tid_address, "p"},
    [__NR_fadvise64] = {"fadvise64", gk_sys_fadvise64, "fddd"},
    [__NR_timer_create] = {"timer_create", gk_sys_timer_create, "dpp"},
    [__NR_timer_settime] = {"timer_settime", gk_sys_timer_settime, "ddpp"},
    [__NR_timer_gettime] = {"timer_gettime", gk_sys_timer_gettime, "dp"},
    [__NR_timer_getoverrun] = {"timer_getoverrun", gk_sys_timer_getoverrun, "d"},
    [__NR_timer_delete] = {"timer_delete", gk_sys_timer_delete, "d"},
    [__NR_clock_gettime] = {"clock_gettime", gk_sys_clock_gettime, "dp"},
    [__NR_clock_getres] = {"clock_getres", gk_sys_clock_getres, "dp"},
    [__NR_clock_nanosleep] = {"clock_nanosleep", gk_sys_clock_nanosleep, "ddpp"},
    [__NR_exit_group] = {"exit_group", gk_sys_exit_group, "d"},
    [__NR_waitid] = {"waitid", gk_sys_waitid, "ddpxp"},
    [__NR_tgkill] = {"tgkill", gk_sys_tgkill, "ddS"},
    [__NR_rt_tgsigqueueinfo] = {"rt_tgsigqueueinfo", gk_sys_rt_tgsigqueueinfo, "ddSp"},
    [__NR_utimes] = {"utimes", NULL, "sp"},
    [__NR_openat] = {"openat", gk_sys_openat, "fsom"},
    [__NR_mkdirat] = {"mkdirat", gk_sys_mkdirat, "fsm"},
    [__NR_mknodat] = {"mknodat", gk_sys_mknodat, "fsmx"},
    [__NR_fchownat] = {"fchownat", gk_sys_fchownat, "fsddx"},
    [__NR_newfstatat] = {"newfstatat", gk_sys_newfstatat, "fspx"},
    [__NR_unlinkat] = {"unlinkat", gk_sys_unlinkat, "fsx"},
    [__NR_renameat] = {"renameat", gk_sys_renameat, "fsfs"},
    [__NR_linkat] = {"linkat", gk_sys_linkat, "fsfsx"},
    [__NR_symlinkat] = {"symlinkat", gk_sys_symlinkat, "sfs"},
    [__NR_readlinkat] = {"readlinkat", gk_sys_readlinkat, "fsBu"},
    [__NR_fchmodat] = {"fchmodat", gk_sys_fchmodat, "fsm"},
    [__NR_faccessat] = {"faccessat", gk_sys_faccessat, "fsa"},
    [__NR_pselect6] = {"pselect6", gk_sys_pselect6, "dpppp"},
    [__NR_ppoll] = {"ppoll", gk_sys_ppoll, "pupp"},
    [__NR_epoll_create] = {"epoll_create", gk_sys_epoll_create, "d"},
    [__NR_epoll_create1] = {"epoll_create1", gk_sys_epoll_create1, "x"},
    [__NR_epoll_ctl] = {"epoll_ctl", gk_sys_epoll_ctl, "fdfp"},
    [__NR_epoll_wait] = {"epoll_wait", gk_sys_epoll_wait, "fpdd"},
    [__NR_epoll_pwait] = {"epoll_pwait", gk_sys_epoll_pwait, "fpddpu"},
    [__NR_epoll_pwait2] = {"epoll_pwait2", gk_sys_epoll_pwait2, "fpdppu"},
    [__NR_set_robust_list] = {"set_robust_list", gk_sys_set_robust_list, "pu"},
    [__NR_get_robust_list] = {"get_robust_list", gk_sys_get_robust_list, "dpp"},
    [__NR_utimensat] = {"utimensat", gk_sys_utimensat, "fspx"},
    [__NR_dup3] = {"dup3", gk_sys_dup3, "ffx"},
    [__NR_pipe2] = {"pipe2", gk_sys_pipe2, "px"},
    [__NR_eventfd] = {"eventfd", gk_sys_eventfd, "u"},
    [__NR_eventfd2] = {"eventfd2", gk_sys_eventfd2, "ux"},
    [__NR_signalfd] = {"signalfd", gk_sys_signalfd, "dpu"},
    [__NR_signalfd4] = {"signalfd4", gk_sys_signalfd4, "dpux"},
    [__NR_timerfd_create] = {"timerfd_create", gk_sys_timerfd_create, "dx"},
    [__NR_timerfd_settime] = {"timerfd_settime", gk_sys_timerfd_settime, "fxpp"},
    [__NR_timerfd_gettime] = {"timerfd_gettime", gk_sys_timerfd_gettime, "fp"},
    [__NR_inotify_init] = {"inotify_init", gk_sys_inotify_init, ""},
    [__NR_inotify_init1] = {"inotify_init1", gk_sys_inotify_init1, "x"},
    [__NR_inotify_add_watch] = {"inotify_add_watch", gk_sys_inotify_add_watch, "fsx"},
    [__NR_inotify_rm_watch] = {"inotify_rm_watch", gk_sys_inotify_rm_watch, "fd"},
    [__NR_preadv] = {"preadv", gk_sys_preadv, "fpdd"},
    [__NR_pwritev] = {"pwritev", gk_sys_pwritev, "fpdd"},
    [__NR_prlimit64] = {"prlimit64", gk_sys_prlimit64, "ddpp"},
    [__NR_getrandom] = {"getrandom", gk_sys_getrandom, "pux"},
    [__NR_renameat2] = {"renameat2", gk_sys_renameat2, "fsfsx"},
    [__NR_statx] = {"statx", gk_sys_statx, "fsxxp"},
    [__NR_rseq] = {"rseq", gk_sys_enosys, "pudx"},
    [__NR_faccessat2] = {"faccessat2", gk_sys_faccessat2, "fsax"},
    [__NR_execve] = {"execve", gk_sys_execve, "svv"},
    [__NR_getdents64] = {"getdents64", gk_sys_getdents64, "fpu"},
    [__NR_fork] = {"fork", gk_sys_fork, ""},
    [__NR_setxattr] = {"setxattr", gk_sys_xattr_set, "spxux"},
    [__NR_lsetxattr] = {"lsetxattr", gk_sys_xattr_set, "spxux"},
    [__NR_fsetxattr] = {"fsetxattr", gk_sys_xattr_set, "fpxux"},
    [__NR_getxattr] = {"getxattr", gk_sys_xattr_get, "sspu"},
    [__NR_lgetxattr] = {"lgetxattr", gk_sys_xattr_get, "sspu"},
    [__NR_fgetxattr] = {"fgetxattr", gk_sys_xattr_get, "fspu"},
    [__NR_listxattr] = {"listxattr", gk_sys_xattr_list, "spu"},
    [__NR_llistxattr] = {"llistxattr", gk_sys_xattr_list, "spu"},
    [__NR_flistxattr] = {"flistxattr", gk_sys_xattr_list, "fpu"},
    [__NR_removexattr] = {"removexattr", gk_sys_xattr_set, "ss"},
    [__NR_lremovexattr] = {"lremovexattr", gk_sys_xattr_set, "ss"},
    [__NR_fremovexattr] = {"fremovexattr", gk_sys_xattr_set, "fs"},
    [__NR_sync_file_range] = {"sync_file_range", gk_sys_sync_file_range, "fddx"},
    [__NR_syncfs] = {"syncfs", gk_sys_syncfs, "f"},
    [__NR_vfork] = {"vfork", gk_sys_vfork, ""},
    [__NR_clone] = {"clone", gk_sys_clone, "xpppx"},
    [__NR_clone3] = {"clone3", gk_sys_clone3, "pu"},
    [__NR_pidfd_open] = {"pidfd_open", gk_sys_pidfd_open, "dx"},
    [__NR_pidfd_send_signal] = {"pidfd_send_signal", gk_sys_pidfd_send_signal, "fdpx"},
    [__NR_pidfd_getfd] = {"pidfd_getfd", gk_sys_pidfd_getfd, "ffx"},
    [__NR_accept] = {"accept", gk_sys_accept, "fpp"},
    [__NR_sendto] = {"sendto", gk_sys_sendto, "fbuxUd"},
    [__NR_recvfrom] = {"recvfrom", gk_sys_recvfrom, "fpuxpp"},
    [__NR_sendmsg] = {"sendmsg", gk_sys_sendmsg, "fpx"},
    [__NR_recvmsg] = {"recvmsg", gk_sys_recvmsg, "fpx"},
    [__NR_shutdown] = {"shutdown", gk_sys_shutdown, "fd"},
    [__NR_bind] = {"bind", gk_sys_bind, "fUd"},
    [__NR_listen] = {"listen", gk_sys_listen, "fd"},
    [__NR_getsockname] = {"getsockname", gk_sys_getsockname, "fpp"},
    [__NR_getpeername] = {"getpeername", gk_sys_getpeername, "fpp"},
    [__NR_socketpair] = {"socketpair", gk_sys_socketpair, "ATdp"},
    [__NR_setsockopt] = {"setsockopt", gk_sys_setsockopt, "fddpd"},
    [__NR_getsockopt] = {"getsockopt", gk_sys_getsockopt, "fddpp"},
    [__NR_accept4] = {"accept4", gk_sys_accept4, "fppx"},
    [__NR_recvmmsg] = {"recvmmsg", gk_sys_recvmmsg, "fpuxp"},
    [__NR_sendmmsg] = {"sendmmsg", gk_sys_sendmmsg, "fpux"},
};

/*
 * dispatch - run the handler of call nr, and leave its result in rax
 * unless the call blocked or set every register itself. Returns what
 * became of it (GK_SYS_DONE, _BLOCKED, _FINAL) and its value in *ret.
 */
static inline int
dispatch(struct gk_proc *p, uint64_t nr, const uint64_t *a, long *ret)
{
	const struct gk_syscall *s = nr < GK_NSYSCALLS ? &gk_systab[nr] : NULL;
	struct gk_args args;
	long r;

	if (s && s->fn) {
		/* Handlers read the registers only through sysarg.h's typed accessors. */
		memcpy(args.reg, a, sizeof(args.reg));
		p->k->sys_task = p;
		r = s->fn(p, &args);
		p->k->sys_task = NULL;
	} else {
		r = -ENOSYS;
		p->k->st.enosys++;
	}
	*ret = r;
	if (p->regs_final) {
		/* rt_sigreturn or execve set every register: rax is not a result. */
		p->regs_final = 0;
		p->deadline = 0;
		return GK_SYS_FINAL;
	}
	if (r == -GK_EBLOCK) {
		/* Asleep: the call runs again from the start when woken. */
		p->insys = 1;
		p->sys_nr = nr;
		if (a != p->sys_args)
			memcpy(p->sys_args, a, sizeof(p->sys_args));
		return GK_SYS_BLOCKED;
	}
	/* A call that prepared to wait and then finished leaves no queue entry behind. */
	if (p->wait.list)
		gk_wait_cancel(p);
	gk_sys_undo(p);
	p->deadline = 0;
	p->regs.rax = (uint64_t)r;
	return GK_SYS_DONE;
}

/* gk_sys_dispatch - dispatch() for the tracer of calls (trace.c), which wraps it. */
int
gk_sys_dispatch(struct gk_proc *p, uint64_t nr, const uint64_t *a, long *ret)
{
	return dispatch(p, nr, a, ret);
}

/*
 * gk_syscall - dispatch one syscall trap; the result goes to rax unless the
 * call blocked. The number is an int to Linux (entry_64 sign-extends eax and
 * compares it unsigned), so getpid | 1L << 32 is getpid: only its low 32
 * bits choose the handler. With --trace, --trace-summary or --stats on,
 * trace.c runs the call; otherwise nothing but this test is paid for them.
 */
void
gk_syscall(struct gk_proc *p, uint64_t rax_nr, const uint64_t *a)
{
	uint64_t nr = (uint32_t)rax_nr;
	long ret;

	p->k->st.syscalls++;
	if (__builtin_expect(p->k->tr != NULL, 0)) {
		gk_trace_syscall(p, nr, a);
		return;
	}
	dispatch(p, nr, a, &ret);
}
