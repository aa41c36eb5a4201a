/*
 * trace_decode.c - --trace's symbolic names: flags, request codes, errno
 * and signal names, and the structures calls take or fill (stat, rlimit,
 * wait status, sigaction, sigset, siginfo, clone_args), in strace's forms.
 *
 * Layer src/guestkernel/sys, trace only. Reads guest memory only through
 * uaccess.c; a pointer it cannot read is shown as its value, never a
 * failure. Constants are the x86-64 ABI's, written out where the C
 * library's headers would clash with the kernel's or may lack them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "trace_impl.h"

static const char *const errnames[] = {
    [EPERM] = "EPERM",		 [ENOENT] = "ENOENT",		[ESRCH] = "ESRCH",
    [EINTR] = "EINTR",		 [EIO] = "EIO",			[ENXIO] = "ENXIO",
    [E2BIG] = "E2BIG",		 [ENOEXEC] = "ENOEXEC",		[EBADF] = "EBADF",
    [ECHILD] = "ECHILD",	 [EAGAIN] = "EAGAIN",		[ENOMEM] = "ENOMEM",
    [EACCES] = "EACCES",	 [EFAULT] = "EFAULT",		[ENOTBLK] = "ENOTBLK",
    [EBUSY] = "EBUSY",		 [EEXIST] = "EEXIST",		[EXDEV] = "EXDEV",
    [ENODEV] = "ENODEV",	 [ENOTDIR] = "ENOTDIR",		[EISDIR] = "EISDIR",
    [EINVAL] = "EINVAL",	 [ENFILE] = "ENFILE",		[EMFILE] = "EMFILE",
    [ENOTTY] = "ENOTTY",	 [ETXTBSY] = "ETXTBSY",		[EFBIG] = "EFBIG",
    [ENOSPC] = "ENOSPC",	 [ESPIPE] = "ESPIPE",		[EROFS] = "EROFS",
    [EMLINK] = "EMLINK",	 [EPIPE] = "EPIPE",		[EDOM] = "EDOM",
    [ERANGE] = "ERANGE",	 [EDEADLK] = "EDEADLK",		[ENAMETOOLONG] = "ENAMETOOLONG",
    [ENOLCK] = "ENOLCK",	 [ENOSYS] = "ENOSYS",		[ENOTEMPTY] = "ENOTEMPTY",
    [ELOOP] = "ELOOP",		 [ENOMSG] = "ENOMSG",		[EIDRM] = "EIDRM",
    [ENOSTR] = "ENOSTR",	 [ENODATA] = "ENODATA",		[ETIME] = "ETIME",
    [EOVERFLOW] = "EOVERFLOW",	 [EBADFD] = "EBADFD",		[ELIBBAD] = "ELIBBAD",
    [EILSEQ] = "EILSEQ",	 [ENOTSOCK] = "ENOTSOCK",	[EDESTADDRREQ] = "EDESTADDRREQ",
    [EMSGSIZE] = "EMSGSIZE",	 [EPROTOTYPE] = "EPROTOTYPE",	[ENOPROTOOPT] = "ENOPROTOOPT",
    [EPROTONOSUPPORT] = "EPROTONOSUPPORT",			[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT",
    [EOPNOTSUPP] = "EOPNOTSUPP", [EPFNOSUPPORT] = "EPFNOSUPPORT", [EAFNOSUPPORT] = "EAFNOSUPPORT",
    [EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENETDOWN] = "ENETDOWN",
    [ENETUNREACH] = "ENETUNREACH", [ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET",
    [ENOBUFS] = "ENOBUFS",	 [EISCONN] = "EISCONN",		[ENOTCONN] = "ENOTCONN",
    [ETIMEDOUT] = "ETIMEDOUT",	 [ECONNREFUSED] = "ECONNREFUSED", [EHOSTUNREACH] = "EHOSTUNREACH",
    [EALREADY] = "EALREADY",	 [EINPROGRESS] = "EINPROGRESS", [ESTALE] = "ESTALE",
    [EDQUOT] = "EDQUOT",	 [ECANCELED] = "ECANCELED",	[EOWNERDEAD] = "EOWNERDEAD",
    [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
};

/* gk_trace_errname - "ENOENT" for ENOENT, NULL for a number without a name here. */
const char *
gk_trace_errname(int e)
{
	return e > 0 && e < (int)(sizeof(errnames) / sizeof(errnames[0])) ? errnames[e] : NULL;
}

/* gk_trace_signame - "SIGCHLD", "SIGRT_2" (32 + 2), or the number. */
const char *
gk_trace_signame(int sig, char *buf, size_t len)
{
	if (sig > 0 && sig < 32 && sigabbrev_np(sig))
		snprintf(buf, len, "SIG%s", sigabbrev_np(sig));
	else if (sig >= 32 && sig <= 64)
		snprintf(buf, len, "SIGRT_%d", sig - 32);
	else
		snprintf(buf, len, "%d", sig);
	return buf;
}

/* gk_trace_put_flags - "A|B|0x40" from table t; zero (if not NULL) for 0. */
void
gk_trace_put_flags(FILE *o, uint64_t v, const struct gk_flagname *t, const char *zero)
{
	int first = 1;

	if (v == 0 && zero) {
		fputs(zero, o);
		return;
	}
	for (; t->n; t++) {
		if (t->v && (v & t->v) == t->v) {
			fprintf(o, "%s%s", first ? "" : "|", t->n);
			v &= ~t->v;
			first = 0;
		}
	}
	if (v || first)
		fprintf(o, "%s%#llx", first ? "" : "|", (unsigned long long)v);
}

/* gk_trace_put_enum - the name of v in t, else v in decimal. */
void
gk_trace_put_enum(FILE *o, uint64_t v, const struct gk_flagname *t)
{
	for (; t->n; t++) {
		if (t->v == v) {
			fputs(t->n, o);
			return;
		}
	}
	fprintf(o, "%#llx", (unsigned long long)v);
}

static const struct gk_flagname clone_flags[] = {
    {0x00000100, "CLONE_VM"},		  {0x00000200, "CLONE_FS"},
    {0x00000400, "CLONE_FILES"},	  {0x00000800, "CLONE_SIGHAND"},
    {0x00001000, "CLONE_PIDFD"},	  {0x00002000, "CLONE_PTRACE"},
    {0x00004000, "CLONE_VFORK"},	  {0x00008000, "CLONE_PARENT"},
    {0x00010000, "CLONE_THREAD"},	  {0x00020000, "CLONE_NEWNS"},
    {0x00040000, "CLONE_SYSVSEM"},	  {0x00080000, "CLONE_SETTLS"},
    {0x00100000, "CLONE_PARENT_SETTID"},  {0x00200000, "CLONE_CHILD_CLEARTID"},
    {0x00400000, "CLONE_DETACHED"},	  {0x00800000, "CLONE_UNTRACED"},
    {0x01000000, "CLONE_CHILD_SETTID"},	  {0x02000000, "CLONE_NEWCGROUP"},
    {0x04000000, "CLONE_NEWUTS"},	  {0x08000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},	  {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},	  {0x80000000ULL, "CLONE_IO"},
    {0x100000000ULL, "CLONE_CLEAR_SIGHAND"}, {0x200000000ULL, "CLONE_INTO_CGROUP"},
    {0x400000000ULL, "CLONE_NEWTIME"},	  {0, NULL},
};

/*
 * clone(2)'s flags: the low byte is the exit signal, as strace shows it
 * after the flags (CLONE_VM|...|SIGCHLD).
 */
void
gk_trace_put_clone_flags(FILE *o, uint64_t v, int with_signal)
{
	char buf[16];
	uint64_t sig = with_signal ? v & 0xff : 0;

	v &= with_signal ? ~(uint64_t)0xff : ~(uint64_t)0;
	if (v || !sig)
		gk_trace_put_flags(o, v, clone_flags, "0");
	if (sig)
		fprintf(o, "%s%s", v ? "|" : "", gk_trace_signame((int)sig, buf, sizeof(buf)));
}

/* clone3's struct clone_args, as strace: {flags=..., exit_signal=SIGCHLD, stack=..., ...}. */
void
gk_trace_put_clone_args(FILE *o, struct gk_proc *p, uint64_t gva, uint64_t size)
{
	uint64_t ca[11] = {0}; /* flags pidfd child_tid parent_tid exit_signal stack stack_size tls */
	char buf[16];

	if (size < 64 || gk_copyin(p, ca, gva, 64) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	fputs("{flags=", o);
	gk_trace_put_clone_flags(o, ca[0], 0);
	if (ca[0] & 0x1000)
		fprintf(o, ", pidfd=%#llx", (unsigned long long)ca[1]);
	if (ca[0] & 0x01200000)
		fprintf(o, ", child_tid=%#llx", (unsigned long long)ca[2]);
	if (ca[0] & 0x00100000)
		fprintf(o, ", parent_tid=%#llx", (unsigned long long)ca[3]);
	fprintf(o, ", exit_signal=%s, stack=%#llx, stack_size=%#llx",
		ca[4] ? gk_trace_signame((int)ca[4], buf, sizeof(buf)) : "0",
		(unsigned long long)ca[5], (unsigned long long)ca[6]);
	if (ca[0] & 0x00080000)
		fprintf(o, ", tls=%#llx", (unsigned long long)ca[7]);
	fputc('}', o);
}

const struct gk_flagname gk_trace_prctl_opts[] = {
    {1, "PR_SET_PDEATHSIG"},	     {2, "PR_GET_PDEATHSIG"},	      {3, "PR_GET_DUMPABLE"},
    {4, "PR_SET_DUMPABLE"},	     {5, "PR_GET_UNALIGN"},	      {6, "PR_SET_UNALIGN"},
    {7, "PR_GET_KEEPCAPS"},	     {8, "PR_SET_KEEPCAPS"},	      {9, "PR_GET_FPEMU"},
    {10, "PR_SET_FPEMU"},	     {11, "PR_GET_FPEXC"},	      {12, "PR_SET_FPEXC"},
    {13, "PR_GET_TIMING"},	     {14, "PR_SET_TIMING"},	      {15, "PR_SET_NAME"},
    {16, "PR_GET_NAME"},	     {19, "PR_GET_ENDIAN"},	      {20, "PR_SET_ENDIAN"},
    {21, "PR_GET_SECCOMP"},	     {22, "PR_SET_SECCOMP"},	      {23, "PR_CAPBSET_READ"},
    {24, "PR_CAPBSET_DROP"},	     {25, "PR_GET_TSC"},	      {26, "PR_SET_TSC"},
    {27, "PR_GET_SECUREBITS"},	     {28, "PR_SET_SECUREBITS"},	      {29, "PR_SET_TIMERSLACK"},
    {30, "PR_GET_TIMERSLACK"},	     {31, "PR_TASK_PERF_EVENTS_DISABLE"},
    {32, "PR_TASK_PERF_EVENTS_ENABLE"}, {33, "PR_MCE_KILL"},	      {34, "PR_MCE_KILL_GET"},
    {35, "PR_SET_MM"},		     {36, "PR_SET_CHILD_SUBREAPER"},  {37, "PR_GET_CHILD_SUBREAPER"},
    {38, "PR_SET_NO_NEW_PRIVS"},     {39, "PR_GET_NO_NEW_PRIVS"},     {40, "PR_GET_TID_ADDRESS"},
    {41, "PR_SET_THP_DISABLE"},	     {42, "PR_GET_THP_DISABLE"},      {45, "PR_SET_FP_MODE"},
    {46, "PR_GET_FP_MODE"},	     {47, "PR_CAP_AMBIENT"},	      {52, "PR_GET_SPECULATION_CTRL"},
    {53, "PR_SET_SPECULATION_CTRL"}, {55, "PR_SET_TAGGED_ADDR_CTRL"}, {56, "PR_GET_TAGGED_ADDR_CTRL"},
    {57, "PR_SET_IO_FLUSHER"},	     {58, "PR_GET_IO_FLUSHER"},	      {59, "PR_SET_SYSCALL_USER_DISPATCH"},
    {62, "PR_SCHED_CORE"},	     {65, "PR_SET_MDWE"},	      {66, "PR_GET_MDWE"},
    {0x53564d41, "PR_SET_VMA"},	     {0x41555856, "PR_GET_AUXV"},     {0, NULL},
};

const struct gk_flagname gk_trace_arch_prctl_codes[] = {
    {0x1001, "ARCH_SET_GS"},	     {0x1002, "ARCH_SET_FS"},	     {0x1003, "ARCH_GET_FS"},
    {0x1004, "ARCH_GET_GS"},	     {0x1011, "ARCH_GET_CPUID"},     {0x1012, "ARCH_SET_CPUID"},
    {0x1021, "ARCH_GET_XCOMP_SUPP"}, {0x1022, "ARCH_GET_XCOMP_PERM"}, {0x1023, "ARCH_REQ_XCOMP_PERM"},
    {0x1024, "ARCH_GET_XCOMP_GUEST_PERM"}, {0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
    {0x2001, "ARCH_MAP_VDSO_X32"},   {0x2002, "ARCH_MAP_VDSO_32"},   {0x2003, "ARCH_MAP_VDSO_64"},
    {0x4001, "ARCH_GET_UNTAG_MASK"}, {0x4002, "ARCH_ENABLE_TAGGED_ADDR"},
    {0x4003, "ARCH_GET_MAX_TAG_BITS"}, {0x4004, "ARCH_FORCE_TAGGED_SVA"},
    {0x5001, "ARCH_SHSTK_ENABLE"},   {0x5002, "ARCH_SHSTK_DISABLE"}, {0x5003, "ARCH_SHSTK_LOCK"},
    {0x5004, "ARCH_SHSTK_UNLOCK"},   {0x5005, "ARCH_SHSTK_STATUS"},  {0, NULL},
};

const struct gk_flagname gk_trace_rlimits[] = {
    {RLIMIT_CPU, "RLIMIT_CPU"},	      {RLIMIT_FSIZE, "RLIMIT_FSIZE"},
    {RLIMIT_DATA, "RLIMIT_DATA"},     {RLIMIT_STACK, "RLIMIT_STACK"},
    {RLIMIT_CORE, "RLIMIT_CORE"},     {RLIMIT_RSS, "RLIMIT_RSS"},
    {RLIMIT_NPROC, "RLIMIT_NPROC"},   {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {RLIMIT_AS, "RLIMIT_AS"},
    {RLIMIT_LOCKS, "RLIMIT_LOCKS"},   {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"}, {RLIMIT_NICE, "RLIMIT_NICE"},
    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"}, {RLIMIT_RTTIME, "RLIMIT_RTTIME"},
    {0, NULL},
};

/* RLIMIT_CPU is 0: the table's end marker cannot hold it, hence this. */
void
gk_trace_put_rlimit_res(FILE *o, uint64_t v)
{
	if (v == RLIMIT_CPU)
		fputs("RLIMIT_CPU", o);
	else
		gk_trace_put_enum(o, v, gk_trace_rlimits + 1);
}

static void
put_rlim_val(FILE *o, uint64_t v)
{
	if (v == RLIM64_INFINITY)
		fputs("RLIM64_INFINITY", o);
	else if (v > 1024 && v % 1024 == 0)
		fprintf(o, "%llu*1024", (unsigned long long)(v / 1024));
	else
		fprintf(o, "%llu", (unsigned long long)v);
}

/* {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY} */
void
gk_trace_put_rlimit(FILE *o, struct gk_proc *p, uint64_t gva)
{
	uint64_t r[2];

	if (!gva) {
		fputs("NULL", o);
		return;
	}
	if (gk_copyin(p, r, gva, sizeof(r)) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	fputs("{rlim_cur=", o);
	put_rlim_val(o, r[0]);
	fputs(", rlim_max=", o);
	put_rlim_val(o, r[1]);
	fputc('}', o);
}

/* {st_mode=S_IFREG|0644, st_size=1289, ...} (strace's short form) */
void
gk_trace_put_stat(FILE *o, struct gk_proc *p, uint64_t gva)
{
	static const char *const types[16] = {
	    [S_IFIFO >> 12] = "S_IFIFO", [S_IFCHR >> 12] = "S_IFCHR", [S_IFDIR >> 12] = "S_IFDIR",
	    [S_IFBLK >> 12] = "S_IFBLK", [S_IFREG >> 12] = "S_IFREG", [S_IFLNK >> 12] = "S_IFLNK",
	    [S_IFSOCK >> 12] = "S_IFSOCK",
	};
	struct stat st;
	const char *t;

	if (gk_copyin(p, &st, gva, sizeof(st)) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	t = types[(st.st_mode & S_IFMT) >> 12];
	fprintf(o, "{st_mode=%s|%#o, ", t ? t : "0", (unsigned)(st.st_mode & 07777));
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		fprintf(o, "st_rdev=makedev(%#x, %#x), ...}", (unsigned)((st.st_rdev >> 8) & 0xfff),
			(unsigned)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00)));
	else
		fprintf(o, "st_size=%lld, ...}", (long long)st.st_size);
}

/* wait4's status, as strace: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}] */
void
gk_trace_put_wstatus(FILE *o, struct gk_proc *p, uint64_t gva, long ret)
{
	char buf[16];
	int s;

	if (!gva) {
		fputs("NULL", o);
		return;
	}
	if (ret <= 0 || gk_copyin(p, &s, gva, sizeof(s)) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	if (WIFEXITED(s))
		fprintf(o, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(s));
	else if (WIFSIGNALED(s))
		fprintf(o, "[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]",
			gk_trace_signame(WTERMSIG(s), buf, sizeof(buf)),
			WCOREDUMP(s) ? " && WCOREDUMP(s)" : "");
	else if (WIFSTOPPED(s))
		fprintf(o, "[{WIFSTOPPED(s) && WSTOPSIG(s) == %s}]",
			gk_trace_signame(WSTOPSIG(s), buf, sizeof(buf)));
	else if (WIFCONTINUED(s))
		fputs("[{WIFCONTINUED(s)}]", o);
	else
		fprintf(o, "[%#x]", (unsigned)s);
}

/* A signal set as strace: [INT TERM], or ~[KILL STOP] when most are in it. */
void
gk_trace_put_sigset_val(FILE *o, uint64_t set)
{
	char buf[16];
	int sig, first = 1;

	if (__builtin_popcountll(set) > 32) {
		fputc('~', o);
		set = ~set;
	}
	fputc('[', o);
	for (sig = 1; sig <= 64; sig++) {
		if (!(set & (1ULL << (sig - 1))))
			continue;
		/* strace drops the SIG of every name in a set. */
		fprintf(o, "%s%s", first ? "" : " ", gk_trace_signame(sig, buf, sizeof(buf)) + 3);
		first = 0;
	}
	fputc(']', o);
}

void
gk_trace_put_sigset(FILE *o, struct gk_proc *p, uint64_t gva)
{
	uint64_t set;

	if (!gva)
		fputs("NULL", o);
	else if (gk_copyin(p, &set, gva, sizeof(set)) < 0)
		fprintf(o, "%#llx", (unsigned long long)gva);
	else
		gk_trace_put_sigset_val(o, set);
}

static const struct gk_flagname sa_flags[] = {
    {0x00000001, "SA_NOCLDSTOP"}, {0x00000002, "SA_NOCLDWAIT"}, {0x00000004, "SA_SIGINFO"},
    {0x04000000, "SA_RESTORER"},  {0x08000000, "SA_ONSTACK"},	{0x10000000, "SA_RESTART"},
    {0x40000000, "SA_NODEFER"},	  {0x80000000, "SA_RESETHAND"}, {0, NULL},
};

/* The kernel's struct sigaction: {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, ...}. */
void
gk_trace_put_sigaction(FILE *o, struct gk_proc *p, uint64_t gva)
{
	uint64_t sa[4]; /* handler, flags, restorer, mask */

	if (!gva) {
		fputs("NULL", o);
		return;
	}
	if (gk_copyin(p, sa, gva, sizeof(sa)) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	fputs("{sa_handler=", o);
	if (sa[0] == (uint64_t)SIG_DFL)
		fputs("SIG_DFL", o);
	else if (sa[0] == (uint64_t)SIG_IGN)
		fputs("SIG_IGN", o);
	else
		fprintf(o, "%#llx", (unsigned long long)sa[0]);
	fputs(", sa_mask=", o);
	gk_trace_put_sigset_val(o, sa[3]);
	fputs(", sa_flags=", o);
	gk_trace_put_flags(o, sa[1], sa_flags, "0");
	if (sa[1] & 0x04000000)
		fprintf(o, ", sa_restorer=%#llx", (unsigned long long)sa[2]);
	fputc('}', o);
}

static const char *
si_code_name(int sig, int code)
{
	static const char *const segv[] = {NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
					   "SEGV_PKUERR"};
	static const char *const bus[] = {NULL, "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"};
	static const char *const ill[] = {NULL,	 "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR",
					  "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC",
					  "ILL_BADSTK"};
	static const char *const fpe[] = {NULL,	 "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV",
					  "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV",
					  "FPE_FLTSUB"};
	static const char *const cld[] = {NULL,	    "CLD_EXITED",  "CLD_KILLED",   "CLD_DUMPED",
					  "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
	static const char *const trap[] = {NULL, "TRAP_BRKPT", "TRAP_TRACE"};
	static const char *const poll[] = {NULL,      "POLL_IN",  "POLL_OUT", "POLL_MSG",
					   "POLL_ERR", "POLL_PRI", "POLL_HUP"};

	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TIMER:
		return "SI_TIMER";
	case SI_MESGQ:
		return "SI_MESGQ";
	case SI_ASYNCIO:
		return "SI_ASYNCIO";
	case SI_SIGIO:
		return "SI_SIGIO";
	case SI_TKILL:
		return "SI_TKILL";
	}
#define PICK(t) (code > 0 && code < (int)(sizeof(t) / sizeof(t[0])) ? t[code] : NULL)
	switch (sig) {
	case SIGSEGV:
		return PICK(segv);
	case SIGBUS:
		return PICK(bus);
	case SIGILL:
		return PICK(ill);
	case SIGFPE:
		return PICK(fpe);
	case SIGCHLD:
		return PICK(cld);
	case SIGTRAP:
		return PICK(trap);
	case SIGIO:
		return PICK(poll);
	}
#undef PICK
	return NULL;
}

/* {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, si_uid=0, si_status=0, ...} */
void
gk_trace_put_siginfo(FILE *o, const struct gk_siginfo *si)
{
	char buf[16];
	const char *code = si_code_name(si->signo, si->code);
	int sig = si->signo;

	fprintf(o, "{si_signo=%s, si_code=", gk_trace_signame(sig, buf, sizeof(buf)));
	if (code)
		fputs(code, o);
	else
		fprintf(o, "%d", si->code);
	if (si->err)
		fprintf(o, ", si_errno=%d", si->err);
	if (si->code <= 0 && si->code != SI_TIMER) {
		/* Sent by a process (kill, tkill, sigqueue): who, and the value queued. */
		fprintf(o, ", si_pid=%d, si_uid=%u", si->proc.pid, si->proc.uid);
		if (si->code == SI_QUEUE)
			fprintf(o, ", si_value={int=%d, ptr=%#llx}", (int)si->proc.value,
				(unsigned long long)si->proc.value);
	} else if (si->code == SI_TIMER) {
		fprintf(o, ", si_timerid=%#x, si_overrun=%d, si_value={int=%d, ptr=%#llx}",
			(unsigned)si->proc.pid, (int)si->proc.uid, (int)si->proc.value,
			(unsigned long long)si->proc.value);
	} else if (sig == SIGCHLD) {
		int status = (int)si->proc.value;

		fprintf(o, ", si_pid=%d, si_uid=%u, si_status=", si->proc.pid, si->proc.uid);
		if (si->code == 1)
			fprintf(o, "%d", status);
		else
			fputs(gk_trace_signame(status, buf, sizeof(buf)), o);
		fprintf(o, ", si_utime=%lld, si_stime=%lld", (long long)si->rest[0],
			(long long)si->rest[1]);
	} else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		   sig == SIGTRAP) {
		if (si->addr)
			fprintf(o, ", si_addr=%#llx", (unsigned long long)si->addr);
		else
			fputs(", si_addr=NULL", o);
	}
	fputc('}', o);
}

struct ioctl_name {
	uint32_t v;
	const char *n;
};

static const struct ioctl_name ioctls[] = {
    {0x5401, "TCGETS"},	     {0x5402, "TCSETS"},	{0x5403, "TCSETSW"},
    {0x5404, "TCSETSF"},     {0x5405, "TCGETA"},	{0x5406, "TCSETA"},
    {0x5407, "TCSETAW"},     {0x5408, "TCSETAF"},	{0x5409, "TCSBRK"},
    {0x540a, "TCXONC"},	     {0x540b, "TCFLSH"},	{0x540c, "TIOCEXCL"},
    {0x540d, "TIOCNXCL"},    {0x540e, "TIOCSCTTY"},	{0x540f, "TIOCGPGRP"},
    {0x5410, "TIOCSPGRP"},   {0x5411, "TIOCOUTQ"},	{0x5412, "TIOCSTI"},
    {0x5413, "TIOCGWINSZ"},  {0x5414, "TIOCSWINSZ"},	{0x5415, "TIOCMGET"},
    {0x5416, "TIOCMBIS"},    {0x5417, "TIOCMBIC"},	{0x5418, "TIOCMSET"},
    {0x541b, "FIONREAD"},    {0x541c, "TIOCLINUX"},	{0x541d, "TIOCCONS"},
    {0x5420, "TIOCPKT"},     {0x5421, "FIONBIO"},	{0x5422, "TIOCNOTTY"},
    {0x5423, "TIOCSETD"},    {0x5424, "TIOCGETD"},	{0x5425, "TCSBRKP"},
    {0x5427, "TIOCSBRK"},    {0x5428, "TIOCCBRK"},	{0x5429, "TIOCGSID"},
    {0x802c542a, "TCGETS2"}, {0x402c542b, "TCSETS2"},	{0x402c542c, "TCSETSW2"},
    {0x402c542d, "TCSETSF2"}, {0x80045430, "TIOCGPTN"}, {0x40045431, "TIOCSPTLCK"},
    {0x80045432, "TIOCGDEV"}, {0x40045436, "TIOCSIG"},	{0x5437, "TIOCVHANGUP"},
    {0x80045438, "TIOCGPKT"}, {0x80045439, "TIOCGPTLCK"}, {0x80045440, "TIOCGEXCL"},
    {0x5441, "TIOCGPTPEER"}, {0x5450, "FIONCLEX"},	{0x5451, "FIOCLEX"},
    {0x5452, "FIOASYNC"},    {0x5459, "TIOCSERGETLSR"}, {0x5460, "FIOQSIZE"},
    {0x8901, "FIOSETOWN"},   {0x8902, "SIOCSPGRP"},	{0x8903, "FIOGETOWN"},
    {0x8904, "SIOCGPGRP"},   {0x8905, "SIOCATMARK"},	{0x8906, "SIOCGSTAMP"},
    {0x8910, "SIOCGIFNAME"}, {0x8912, "SIOCGIFCONF"},	{0x8913, "SIOCGIFFLAGS"},
    {0x8914, "SIOCSIFFLAGS"}, {0x8915, "SIOCGIFADDR"},	{0x8921, "SIOCGIFMTU"},
    {0x8927, "SIOCGIFHWADDR"}, {0x8933, "SIOCGIFINDEX"}, {0x80086601, "FS_IOC_GETFLAGS"},
    {0x40086602, "FS_IOC_SETFLAGS"}, {0x80087601, "FS_IOC_GETVERSION"},
    {0x40049409, "FICLONE"}, {0x4020940d, "FICLONERANGE"}, {0x80081272, "BLKGETSIZE64"},
    {0xc0481273, "FIDEDUPERANGE"}, {0x80046601, "FS_IOC32_GETFLAGS"},
};

/* An ioctl request by name (TCGETS, FIONBIO), else _IOC(dir, type, nr, size) in hex. */
void
gk_trace_put_ioctl(FILE *o, uint64_t req)
{
	size_t i;

	for (i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		if (ioctls[i].v == (uint32_t)req) {
			fputs(ioctls[i].n, o);
			return;
		}
	}
	fprintf(o, "%#x", (unsigned)req);
}
