/*
 * confine.c - uvk_confine(): the tracer takes away its own host rights.
 *
 * Layer: src/tracer (with ptrace and the children's filter, the only code
 * that calls seccomp or Landlock). The contract is in <uvk/confine.h>.
 *
 * Order matters: no_new_privs first (both need it when unprivileged), then
 * Landlock (its syscalls must still pass), then the seccomp filter, which
 * allows neither landlock_* nor anything else outside its list. A kernel
 * without Landlock answers landlock_create_ruleset with ENOSYS or
 * EOPNOTSUPP: the file-system rules are skipped and the caller told so.
 *
 * The filter is inherited by every vmspace child forked afterwards, on top
 * of the child's own (filter.c): everything child_main() and the stub call
 * is on the list below. Guest code runs under PTRACE_SYSEMU, where the
 * kernel consults no filter at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <uvk/confine.h>

#include "internal.h"

/*
 * Landlock's ABI, written out: the C library's headers may predate the
 * kernel (Debian 12's know ABI 2 at most), and each field is a fixed part
 * of the kernel's interface.
 */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;  /* ABI 1 */
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;	     /* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION 1u
#define LL_RULE_PATH_BENEATH	  1

#define LL_FS_EXECUTE	  (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE	  (1ULL << 2)
#define LL_FS_READ_DIR	  (1ULL << 3)
#define LL_FS_REMOVE_DIR  (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR	  (1ULL << 6)
#define LL_FS_MAKE_DIR	  (1ULL << 7)
#define LL_FS_MAKE_REG	  (1ULL << 8)
#define LL_FS_MAKE_SOCK	  (1ULL << 9)
#define LL_FS_MAKE_FIFO	  (1ULL << 10)
#define LL_FS_MAKE_BLOCK  (1ULL << 11)
#define LL_FS_MAKE_SYM	  (1ULL << 12)
#define LL_FS_REFER	  (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE	  (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV	  (1ULL << 15) /* ABI 5 */

#define LL_NET_BIND_TCP	   (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL		      (1ULL << 1)

/* Rights that make sense on a file rather than a directory. */
#define LL_FS_FILE_RIGHTS \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_FS_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_FS_WRITE                                                                            \
	(LL_FS_READ | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | \
	 LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER |     \
	 LL_FS_TRUNCATE)

/* Every file-system right the kernel's ABI abi knows: all of them are handled (denied). */
static uint64_t
ll_fs_handled(int abi)
{
	uint64_t all = (LL_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		all |= LL_FS_REFER;
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

/* Allow want beneath path (a directory, or a file for file rights only). */
static int
ll_add(int ruleset, const char *path, uint64_t want, uint64_t handled)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode))
		want &= LL_FS_FILE_RIGHTS;
	pb.allowed_access = want & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		rc = -errno;
out:
	close(fd);
	return rc;
}

/* Apply the Landlock domain. Returns the ABI applied (0: none on this kernel) or -errno. */
static int
ll_confine(const struct uvk_confine_rules *rules)
{
	struct ll_ruleset_attr attr = {0};
	size_t attr_size = sizeof(attr.handled_access_fs);
	const char *const *p;
	int abi, ruleset, rc = 0;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	if (abi < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : -errno;
	attr.handled_access_fs = ll_fs_handled(abi);
	if (abi >= 4) {
		/* No TCP port to bind or connect: uvk has no networking yet. */
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* No signal and no abstract socket beyond the tracer and its vmspaces. */
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0)
		return -errno;
	for (p = rules->read; p && *p && rc == 0; p++)
		rc = ll_add(ruleset, *p, LL_FS_READ, attr.handled_access_fs);
	for (p = rules->write; p && *p && rc == 0; p++)
		rc = ll_add(ruleset, *p, LL_FS_WRITE, attr.handled_access_fs);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = -errno;
	close(ruleset);
	return rc < 0 ? rc : abi;
}

/*
 * The calls the library and a guest kernel make, allowed whatever their
 * arguments. Path calls are here because Landlock, not the filter, says
 * which paths they may reach.
 */
static const char *const allowed[] = {
	/* descriptors and I/O */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
	"pipe", "pipe2", "poll", "ppoll", "select", "pselect6", "sendfile", "copy_file_range",
	"fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs", "statfs", "getdents64",
	"flock", "fsync", "fdatasync", "fadvise64", "ftruncate", "fallocate", "fchmod", "fchown",
	"eventfd2", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "timerfd_create",
	"timerfd_settime", "timerfd_gettime",
	/* paths (Landlock decides where) */
	"open", "openat", "openat2", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat", "chown",
	"lchown", "fchownat", "utimensat", "utimes", "futimesat", "truncate", "mknodat",
	"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "getcwd",
	/* memory: the guest's RAM memfd, the tracer's heap */
	"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "msync", "mincore",
	"memfd_create",
	/* processes: its own and its children */
	"wait4", "waitid", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getgroups", "getresuid", "getresgid", "getpgrp", "getpgid", "getsid",
	"setsid", "umask", "uname", "sysinfo", "getrusage", "times", "prlimit64", "getrlimit",
	"setrlimit", "sched_getaffinity", "sched_setaffinity", "sched_yield", "getcpu",
	"getrandom", "getpriority", "fork", "capget",
	/* time */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
	"timer_create", "timer_settime", "timer_gettime", "timer_delete", "timer_getoverrun",
	"setitimer", "getitimer", "alarm",
	/* signals (Landlock ABI 6 keeps them inside the domain) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "sigaltstack", "kill", "tgkill", "tkill", "pause",
	/* threads and the C library */
	"futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "arch_prctl",
	"exit", "exit_group", "restart_syscall", "membarrier",
	/* a vmspace child's start-up (child.c), inherited: death signal, no_new_privs, its filter */
	"prctl", "seccomp",
#ifdef __SANITIZE_ADDRESS__
	/* The sanitizer runtime's own raw calls (its getdents for /proc/self/task). */
	"getdents",
#endif
};

/*
 * The ptrace requests the library makes (ptrace.c, child.c): PTRACE_SEIZE at
 * spawn and when a vCPU adopts a spare host thread, PTRACE_DETACH when it
 * parks one (tracer_make_spare); both only ever reach the tracer's own
 * vmspace children (Landlock and the host's ptrace rules see to that).
 */
static const long ptrace_requests[] = {
	PTRACE_SEIZE,	   PTRACE_INTERRUPT,  PTRACE_CONT,	PTRACE_SYSEMU,
	PTRACE_GETREGS,	   PTRACE_SETREGS,    PTRACE_GETREGSET, PTRACE_SETREGSET,
	PTRACE_GETSIGINFO, PTRACE_SETSIGINFO, PTRACE_PEEKUSER,	PTRACE_GETEVENTMSG,
	PTRACE_SETOPTIONS, PTRACE_LISTEN,     PTRACE_DETACH,
#ifdef __SANITIZE_ADDRESS__
	/*
	 * Sanitizer builds only: LeakSanitizer stops the world at exit from a
	 * clone of the process, which attaches to every thread. Landlock still
	 * confines it to the process's own domain.
	 */
	PTRACE_ATTACH,
#endif
};

/* Terminal requests the console passes on (file.c, sys_file.c), and isatty's. */
static const unsigned long ioctl_requests[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO,
	TIOCGPGRP,
};

/* clone flags that would take the tracer out of its namespaces. */
#define CLONE_NS_FLAGS                                                                 \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

static int
sc_confine(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0, nr;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	/*
	 * Every thread. The kernel caches the verdict for calls allowed
	 * whatever their arguments; ptrace is not one, so it comes first
	 * (priority). Measured: ~50 ns more per ptrace call, ~20 ns per other
	 * call; a guest syscall round trip is four tracer calls (~3 us).
	 */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; rc == 0 && i < ARRAY_SIZE(allowed); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* The run loop's calls first: a guest syscall costs four of them. */
	if (rc == 0)
		rc = seccomp_syscall_priority(ctx, SCMP_SYS(ptrace), 255);
	if (rc == 0)
		rc = seccomp_syscall_priority(ctx, SCMP_SYS(wait4), 254);
	for (i = 0; rc == 0 && i < ARRAY_SIZE(ptrace_requests); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 1,
				      SCMP_A0(SCMP_CMP_EQ, (uint64_t)ptrace_requests[i]));
	/* The kernel reads ioctl's request as 32 bits: compare only those. */
	for (i = 0; rc == 0 && i < ARRAY_SIZE(ioctl_requests); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
					      ioctl_requests[i] & 0xffffffffULL));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0));
	/* clone3's flags are in memory, out of the filter's sight: glibc falls back to clone. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* Threads of this process, or -errno if /proc cannot say. */
static int
thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

UVK_EXPORT int
uvk_confine(const struct uvk_confine_rules *rules, struct uvk_confine_status *ret_status)
{
	struct uvk_confine_status st = {0};
	int rc;

	if (!rules)
		return -EINVAL;
	if (thread_count() > 1)
		return -EBUSY;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (!(rules->flags & UVK_CONFINE_NO_LANDLOCK)) {
		rc = ll_confine(rules);
		if (rc < 0)
			return rc;
		st.landlock_abi = rc;
	}
	if (!(rules->flags & UVK_CONFINE_NO_SECCOMP)) {
		rc = sc_confine();
		if (rc < 0)
			return rc;
		st.seccomp = 1;
	}
	if (ret_status)
		*ret_status = st;
	return 0;
}
