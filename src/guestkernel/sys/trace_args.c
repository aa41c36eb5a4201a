/*
 * trace_args.c - --trace's arguments and results, one letter a kind.
 *
 * Layer src/guestkernel/sys, trace only. The kinds come from systab.c's
 * strings, or from the finer strings here for the calls strace decodes
 * further (flags, structures, results written through pointers). Guest
 * memory is read only through uaccess.c; what cannot be read is shown as
 * the pointer's value.
 *
 * Kinds: d int, u unsigned, x hex, p pointer, f descriptor, s string,
 * b buffer in (length next), B buffer out (length is the result), o open
 * flags, m mode, P prot, M mmap flags, F fcntl command, S signal, a access
 * mode, w lseek whence, v string vector, e environment (counted), A address
 * family, T socket type, U socket address in (length next); and here:
 * K clone_args, R prctl option, Q arch_prctl code, L rlimit resource,
 * l rlimit in, Y rlimit out, G getrandom flags, X AT_* flags, E faccessat2
 * flags, I ioctl request, t stat out, W wait status out, O wait options,
 * g sigaction in, h sigaction out, k sigset in, j sigset out, D sigprocmask
 * how, Z descriptor pair out, y O_CLOEXEC-style flags, c clock, q futex op,
 * V socket address out (its length at the next argument), n socklen out.
 * B, t, W, h, j, Y, Z, V, n are written by the call ("output" kinds).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "trace_impl.h"

/* Finer argument kinds than systab.c's, for the calls strace decodes further. */
static const char *const finer[] = {
    [__NR_clone3] = "Ku",	    [__NR_prctl] = "R",	    [__NR_arch_prctl] = "Qx",
    [__NR_prlimit64] = "dLlY",	    [__NR_getrlimit] = "LY",	    [__NR_setrlimit] = "Ll",
    [__NR_getrandom] = "BuG",	    [__NR_newfstatat] = "fstX",	    [__NR_fstat] = "ft",
    [__NR_stat] = "st",		    [__NR_lstat] = "st",	    [__NR_statx] = "fsXxp",
    [__NR_unlinkat] = "fsX",	    [__NR_linkat] = "fsfsX",	    [__NR_fchownat] = "fsddX",
    [__NR_utimensat] = "fspX",	    [__NR_faccessat2] = "fsaE",	    [__NR_wait4] = "dWOp",
    [__NR_waitid] = "ddpOp",	    [__NR_rt_sigaction] = "Sghu",   [__NR_rt_sigprocmask] = "Dkju",
    [__NR_pipe] = "Z",		    [__NR_pipe2] = "Zy",	    [__NR_socketpair] = "ATdZ",
    [__NR_dup3] = "ffy",	    [__NR_eventfd2] = "uy",	    [__NR_epoll_create1] = "y",
    [__NR_inotify_init1] = "y",	    [__NR_ioctl] = "fIx",	    [__NR_clock_gettime] = "cp",
    [__NR_clock_getres] = "cp",	    [__NR_clock_nanosleep] = "cdpp", [__NR_futex] = "pqxpxx",
    [__NR_execve] = "sve",	    [__NR_rt_sigsuspend] = "ku",    [__NR_rt_sigpending] = "ju",
    [__NR_timerfd_create] = "cx",   [__NR_signalfd4] = "dkuy",	    [__NR_accept4] = "fVny",
    [__NR_accept] = "fVn",	    [__NR_getsockname] = "fVn",	    [__NR_getpeername] = "fVn",
    [__NR_recvfrom] = "fBuxVn",
};

static const struct gk_flagname open_flags[] = {
    {O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},		{O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},	  {O_APPEND, "O_APPEND"},	{O_NONBLOCK, "O_NONBLOCK"},
    {O_SYNC, "O_SYNC"},	  {O_DSYNC, "O_DSYNC"},	  {O_ASYNC, "O_ASYNC"},		{O_DIRECT, "O_DIRECT"},
    {O_LARGEFILE, "O_LARGEFILE"}, {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_NOATIME, "O_NOATIME"},	  {O_CLOEXEC, "O_CLOEXEC"},	
    {O_PATH, "O_PATH"},		  {__O_TMPFILE, "__O_TMPFILE"}, {0, NULL},
};

static const struct gk_flagname mmap_flags[] = {
    {MAP_SHARED, "MAP_SHARED"},	      {MAP_PRIVATE, "MAP_PRIVATE"},
    {MAP_FIXED, "MAP_FIXED"},	      {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {MAP_GROWSDOWN, "MAP_GROWSDOWN"}, {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_POPULATE, "MAP_POPULATE"},   {MAP_STACK, "MAP_STACK"},
    {0x100000, "MAP_FIXED_NOREPLACE"}, {0, NULL},
};

static const struct gk_flagname prot_flags[] = {
    {PROT_READ, "PROT_READ"},
    {PROT_WRITE, "PROT_WRITE"},
    {PROT_EXEC, "PROT_EXEC"},
    {0, NULL},
};

static const struct gk_flagname at_flags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},	 {0x400, "AT_SYMLINK_FOLLOW"},
    {0x800, "AT_NO_AUTOMOUNT"},	    {0x1000, "AT_EMPTY_PATH"},	 {0x2000, "AT_STATX_FORCE_SYNC"},
    {0x4000, "AT_STATX_DONT_SYNC"}, {0x8000, "AT_RECURSIVE"},	 {0, NULL},
};

static const struct gk_flagname faccessat2_flags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_EACCESS"}, {0x1000, "AT_EMPTY_PATH"}, {0, NULL},
};

static const struct gk_flagname grnd_flags[] = {
    {1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}, {0, NULL},
};

static const struct gk_flagname wait_opts[] = {
    {1, "WNOHANG"},	    {2, "WSTOPPED"},	      {4, "WEXITED"},	  {8, "WCONTINUED"},
    {0x1000000, "WNOWAIT"}, {0x20000000, "__WNOTHREAD"}, {0x40000000, "__WALL"},
    {0x80000000, "__WCLONE"}, {0, NULL},
};

static const char *const clocks[] = {
    "CLOCK_REALTIME",	     "CLOCK_MONOTONIC",	     "CLOCK_PROCESS_CPUTIME_ID",
    "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
    "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",	     "CLOCK_REALTIME_ALARM",
    "CLOCK_BOOTTIME_ALARM",   NULL,		     "CLOCK_TAI",
};

static const char *const futex_ops[] = {
    "FUTEX_WAIT",	 "FUTEX_WAKE",	       "FUTEX_FD",	     "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",      "FUTEX_LOCK_PI",	     "FUTEX_UNLOCK_PI",
    "FUTEX_TRYLOCK_PI",	 "FUTEX_WAIT_BITSET",  "FUTEX_WAKE_BITSET",  "FUTEX_WAIT_REQUEUE_PI",
    "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
};

static const char *const fcntl_cmds[] = {
    "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_GETLK", "F_SETLK", "F_SETLKW",
    "F_SETOWN", "F_GETOWN", "F_SETSIG", "F_GETSIG",
};

static const char *
kinds_of(uint64_t nr)
{
	if (nr < sizeof(finer) / sizeof(finer[0]) && finer[nr])
		return finer[nr];
	return nr < GK_NSYSCALLS && gk_systab[nr].name ? gk_systab[nr].args : NULL;
}

/* A kind the call writes: shown after it returned ("<... resumed>" half). */
static int
is_output(char kind)
{
	return kind && strchr("BtWhjYZVn", kind) != NULL;
}

static void
put_open_flags(FILE *o, uint64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};

	fputs(acc[v & O_ACCMODE], o);
	v &= ~(uint64_t)O_ACCMODE;
	if (v) {
		fputc('|', o);
		gk_trace_put_flags(o, v, open_flags, NULL);
	}
}

static void
put_escaped(FILE *o, const unsigned char *s, long n)
{
	long i;

	fputc('"', o);
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\n')
			fputs("\\n", o);
		else if (c == '\t')
			fputs("\\t", o);
		else if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c >= 32 && c < 127)
			fputc(c, o);
		else
			fprintf(o, "\\%o", c);
	}
	fputc('"', o);
}

/* A file name: shown whole, as strace shows paths whatever -s says. */
static void
put_path(FILE *o, struct gk_proc *p, uint64_t gva)
{
	char s[GK_PATH_MAX];
	long l;

	if (!gva) {
		fputs("NULL", o);
		return;
	}
	l = gk_strncpyin(p, s, gva, sizeof(s));
	if (l < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	put_escaped(o, (const unsigned char *)s, l);
	if (l == (long)sizeof(s))
		fputs("...", o);
}

/* A guest buffer of len bytes, the first strsize shown. */
static void
put_bytes(FILE *o, struct gk_proc *p, uint64_t gva, long len)
{
	unsigned char buf[4096];
	int max = p->k->tr->strsize < (int)sizeof(buf) ? p->k->tr->strsize : (int)sizeof(buf);
	long n = len < max ? len : max;

	if (len < 0 || gk_copyin(p, buf, gva, (size_t)n) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	put_escaped(o, buf, n);
	if (n < len)
		fputs("...", o);
}

static void
put_vector(FILE *o, struct gk_proc *p, uint64_t gva)
{
	uint64_t ptr;
	int i;

	fputc('[', o);
	for (i = 0; i < 16; i++) {
		if (gk_copyin(p, &ptr, gva + (uint64_t)i * 8, 8) < 0 || !ptr)
			break;
		if (i)
			fputs(", ", o);
		put_path(o, p, ptr);
	}
	if (i == 16)
		fputs(", ...", o);
	fputc(']', o);
}

/* execve's environment as strace shows it by default: 0x7ffd... / * 23 vars * /. */
static void
put_env(FILE *o, struct gk_proc *p, uint64_t gva)
{
	uint64_t ptr;
	int n;

	for (n = 0; n < 100000; n++)
		if (gk_copyin(p, &ptr, gva + (uint64_t)n * 8, 8) < 0 || !ptr)
			break;
	fprintf(o, "%#llx /* %d vars */", (unsigned long long)gva, n);
}

/*
 * A socket address (bind, connect, sendto in; accept, getsockname, recvfrom
 * out), as strace: AF_UNIX paths, AF_INET and AF_INET6 ports and
 * addresses, AF_NETLINK ids.
 */
static void
put_sockaddr(FILE *o, struct gk_proc *p, uint64_t gva, long len)
{
	unsigned char buf[112];
	char addr[INET6_ADDRSTRLEN];
	uint16_t fam, port;
	uint32_t u32[3];
	long n = len < (long)sizeof(buf) ? len : (long)sizeof(buf), i;

	if (len < 2 || gk_copyin(p, buf, gva, (size_t)n) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	memcpy(&fam, buf, sizeof(fam));
	if (fam == AF_INET && n >= 8) {
		memcpy(&port, buf + 2, 2);
		inet_ntop(AF_INET, buf + 4, addr, sizeof(addr));
		fprintf(o, "{sa_family=AF_INET, sin_port=htons(%u), sin_addr=inet_addr(\"%s\")}",
			ntohs(port), addr);
		return;
	}
	if (fam == AF_INET6 && n >= 28) {
		memcpy(&port, buf + 2, 2);
		memcpy(&u32[0], buf + 4, 4);
		memcpy(&u32[1], buf + 24, 4);
		inet_ntop(AF_INET6, buf + 8, addr, sizeof(addr));
		fprintf(o,
			"{sa_family=AF_INET6, sin6_port=htons(%u), sin6_flowinfo=htonl(%u), "
			"inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u}",
			ntohs(port), ntohl(u32[0]), addr, u32[1]);
		return;
	}
	if (fam == AF_NETLINK && n >= 12) {
		memcpy(u32, buf + 4, 8);
		fprintf(o, "{sa_family=AF_NETLINK, nl_pid=%u, nl_groups=%08x}", u32[0], u32[1]);
		return;
	}
	if (fam != AF_UNIX) {
		fprintf(o, "{sa_family=%u}", fam);
		return;
	}
	fputs("{sa_family=AF_UNIX", o);
	if (n > 2) {
		fputs(buf[2] ? ", sun_path=\"" : ", sun_path=@\"", o);
		for (i = buf[2] ? 2 : 3; i < n && (buf[i] || !buf[2]); i++)
			fprintf(o, buf[i] >= 32 && buf[i] < 127 && buf[i] != '"' ? "%c" : "\\%o",
				buf[i]);
		fputc('"', o);
	}
	fputc('}', o);
}

/* An address a call wrote (accept, getsockname, recvfrom): its length is at lgva. */
static void
put_sockaddr_out(FILE *o, struct gk_proc *p, uint64_t gva, uint64_t lgva, long ret)
{
	uint32_t len;

	if (!gva) {
		fputs("NULL", o);
		return;
	}
	if (ret < 0 || !lgva || gk_copyin(p, &len, lgva, sizeof(len)) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	put_sockaddr(o, p, gva, (long)len);
}

/* A descriptor; with -y its path too: 3</etc/passwd>, as /proc/self/fd/3 names it. */
static void
put_fd(FILE *o, struct gk_proc *p, int fd)
{
	char name[32], target[GK_PATH_MAX];
	struct gk_path path;
	long n;

	if (fd == AT_FDCWD) {
		fputs("AT_FDCWD", o);
		return;
	}
	fprintf(o, "%d", fd);
	if (!p->k->tr->fdpaths || fd < 0)
		return;
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	if (gk_path_resolve(p, AT_FDCWD, name, 0, &path) < 0)
		return;
	n = gk_vfs_readlink(p, &path, target, sizeof(target) - 1);
	if (n > 0)
		fprintf(o, "<%.*s>", (int)n, target);
}

static void
put_prctl(FILE *o, struct gk_proc *p, const uint64_t *a, long ret)
{
	gk_trace_put_enum(o, a[0], gk_trace_prctl_opts);
	switch (a[0]) {
	case 15: /* PR_SET_NAME */
		fputs(", ", o);
		put_path(o, p, a[1]);
		return;
	case 16: /* PR_GET_NAME */
		fputs(", ", o);
		if (ret == 0)
			put_path(o, p, a[1]);
		else
			fprintf(o, "%#llx", (unsigned long long)a[1]);
		return;
	case 1: /* PR_SET_PDEATHSIG */
	{
		char buf[16];

		fprintf(o, ", %s", a[1] ? gk_trace_signame((int)a[1], buf, sizeof(buf)) : "0");
		return;
	}
	case 3: case 7: case 37: case 39: case 42: /* the plain PR_GETs */
		return;
	case 4: case 8: case 23: case 24: case 36: /* one number */
		fprintf(o, ", %llu", (unsigned long long)a[1]);
		return;
	}
	fprintf(o, ", %#llx, %#llx, %#llx, %#llx", (unsigned long long)a[1],
		(unsigned long long)a[2], (unsigned long long)a[3], (unsigned long long)a[4]);
}

/* clone(2) as strace: clone(child_stack=NULL, flags=...|SIGCHLD, child_tidptr=0x...). */
static void
put_clone(FILE *o, const uint64_t *a)
{
	if (a[1])
		fprintf(o, "child_stack=%#llx, flags=", (unsigned long long)a[1]);
	else
		fputs("child_stack=NULL, flags=", o);
	gk_trace_put_clone_flags(o, a[0], 1);
	if (a[0] & 0x00100000)
		fprintf(o, ", parent_tid=%#llx", (unsigned long long)a[2]);
	if (a[0] & 0x01200000)
		fprintf(o, ", child_tidptr=%#llx", (unsigned long long)a[3]);
	if (a[0] & 0x00080000)
		fprintf(o, ", tls=%#llx", (unsigned long long)a[4]);
}

static void
put_arg(FILE *o, struct gk_proc *p, char kind, const uint64_t *a, int i, long ret)
{
	uint64_t v = a[i];
	char buf[16];
	int fds[2];

	switch (kind) {
	case 'd':
		fprintf(o, "%d", (int)v);
		break;
	case 'u':
		fprintf(o, "%llu", (unsigned long long)v);
		break;
	case 'f':
		put_fd(o, p, (int)v);
		break;
	case 's':
		put_path(o, p, v);
		break;
	case 'b':
		put_bytes(o, p, v, (long)a[i + 1]);
		break;
	case 'B':
		if (ret >= 0)
			put_bytes(o, p, v, ret);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'o':
		put_open_flags(o, v);
		break;
	case 'y':
		gk_trace_put_flags(o, v, open_flags, "0");
		break;
	case 'm':
		fprintf(o, "0%llo", (unsigned long long)v);
		break;
	case 'P':
		gk_trace_put_flags(o, v, prot_flags, "PROT_NONE");
		break;
	case 'M':
		gk_trace_put_flags(o, v, mmap_flags, "0");
		break;
	case 'F':
		if (v < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]))
			fputs(fcntl_cmds[v], o);
		else if (v == F_DUPFD_CLOEXEC)
			fputs("F_DUPFD_CLOEXEC", o);
		else
			fprintf(o, "%llu", (unsigned long long)v);
		break;
	case 'S':
		fputs(gk_trace_signame((int)v, buf, sizeof(buf)), o);
		break;
	case 'a':
		if (v == 0)
			fputs("F_OK", o);
		else
			fprintf(o, "%s%s%s", (v & R_OK) ? "R_OK" : "",
				(v & W_OK) ? ((v & R_OK) ? "|W_OK" : "W_OK") : "",
				(v & X_OK) ? ((v & (R_OK | W_OK)) ? "|X_OK" : "X_OK") : "");
		break;
	case 'w':
		fputs(v == SEEK_SET ? "SEEK_SET" : v == SEEK_CUR ? "SEEK_CUR"
				     : v == SEEK_END ? "SEEK_END" : "?", o);
		break;
	case 'v':
		put_vector(o, p, v);
		break;
	case 'e':
		put_env(o, p, v);
		break;
	case 'A':
		if (v == AF_UNIX || v == AF_INET || v == AF_INET6 || v == AF_NETLINK)
			fputs(v == AF_UNIX ? "AF_UNIX" : v == AF_INET ? "AF_INET"
			      : v == AF_INET6 ? "AF_INET6" : "AF_NETLINK", o);
		else
			fprintf(o, "%d", (int)v);
		break;
	case 'T':
		fputs((v & 0xf) == SOCK_STREAM ? "SOCK_STREAM" : (v & 0xf) == SOCK_DGRAM ? "SOCK_DGRAM"
		      : (v & 0xf) == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : (v & 0xf) == SOCK_RAW
		      ? "SOCK_RAW" : "SOCK_?", o);
		fprintf(o, "%s%s", (v & SOCK_NONBLOCK) ? "|SOCK_NONBLOCK" : "",
			(v & SOCK_CLOEXEC) ? "|SOCK_CLOEXEC" : "");
		break;
	case 'U':
		if (v == 0)
			fputs("NULL", o);
		else
			put_sockaddr(o, p, v, (long)(int)a[i + 1]);
		break;
	case 'V':
		put_sockaddr_out(o, p, v, a[i + 1], ret);
		break;
	case 'n': {
		uint32_t len;

		if (!v)
			fputs("NULL", o);
		else if (ret >= 0 && gk_copyin(p, &len, v, sizeof(len)) == 0)
			fprintf(o, "[%u]", len);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	}
	case 'K':
		gk_trace_put_clone_args(o, p, v, a[i + 1]);
		break;
	case 'R':
		put_prctl(o, p, a, ret);
		break;
	case 'Q':
		gk_trace_put_enum(o, v, gk_trace_arch_prctl_codes);
		break;
	case 'L':
		gk_trace_put_rlimit_res(o, v);
		break;
	case 'l':
		gk_trace_put_rlimit(o, p, v);
		break;
	case 'Y':
		if (ret == 0 || !v)
			gk_trace_put_rlimit(o, p, v);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'G':
		gk_trace_put_flags(o, v, grnd_flags, "0");
		break;
	case 'X':
		gk_trace_put_flags(o, v, at_flags, "0");
		break;
	case 'E':
		gk_trace_put_flags(o, v, faccessat2_flags, "0");
		break;
	case 'I':
		gk_trace_put_ioctl(o, v);
		break;
	case 't':
		if (ret == 0)
			gk_trace_put_stat(o, p, v);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'W':
		gk_trace_put_wstatus(o, p, v, ret);
		break;
	case 'O':
		gk_trace_put_flags(o, v, wait_opts, "0");
		break;
	case 'g':
		gk_trace_put_sigaction(o, p, v);
		break;
	case 'h':
		if (ret == 0 || !v)
			gk_trace_put_sigaction(o, p, v);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'k':
		gk_trace_put_sigset(o, p, v);
		break;
	case 'j':
		if (ret == 0 || !v)
			gk_trace_put_sigset(o, p, v);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'D':
		fputs(v == SIG_BLOCK ? "SIG_BLOCK" : v == SIG_UNBLOCK ? "SIG_UNBLOCK"
		      : v == SIG_SETMASK ? "SIG_SETMASK" : "?", o);
		if (v > SIG_SETMASK)
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'Z':
		if (ret == 0 && gk_copyin(p, fds, v, sizeof(fds)) == 0) {
			fputc('[', o);
			put_fd(o, p, fds[0]);
			fputs(", ", o);
			put_fd(o, p, fds[1]);
			fputc(']', o);
		} else {
			fprintf(o, "%#llx", (unsigned long long)v);
		}
		break;
	case 'c':
		if (v < sizeof(clocks) / sizeof(clocks[0]) && clocks[v])
			fputs(clocks[v], o);
		else
			fprintf(o, "%d", (int)v);
		break;
	case 'q':
		if ((v & 127) < sizeof(futex_ops) / sizeof(futex_ops[0])) {
			fputs(futex_ops[v & 127], o);
			fputs((v & 128) ? "_PRIVATE" : "", o);
			fputs((v & 256) ? "|FUTEX_CLOCK_REALTIME" : "", o);
			if (v & ~(uint64_t)(127 | 128 | 256))
				fprintf(o, "|%#llx", (unsigned long long)(v & ~(uint64_t)511));
		} else {
			fprintf(o, "%#llx", (unsigned long long)v);
		}
		break;
	case 'p':
		if (v == 0)
			fputs("NULL", o);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	default:
		fprintf(o, "%#llx", (unsigned long long)v);
		break;
	}
}

/*
 * gk_trace_put_args - the arguments of call nr (a its registers, ret its
 * result), comma-separated: all of them, those before the first one the
 * call writes (ending ", " when one follows), or that one and the rest.
 */
void
gk_trace_put_args(FILE *o, struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret, int part)
{
	const char *k = kinds_of(nr);
	int i, n, from = 0, to;

	if (nr == __NR_clone) {
		if (part != GK_TRACE_OUTPUT)
			put_clone(o, a);
		return;
	}
	if (!k) {
		if (part == GK_TRACE_OUTPUT)
			return;
		fprintf(o, "%#llx, %#llx, %#llx, %#llx, %#llx, %#llx", (unsigned long long)a[0],
			(unsigned long long)a[1], (unsigned long long)a[2],
			(unsigned long long)a[3], (unsigned long long)a[4],
			(unsigned long long)a[5]);
		return;
	}
	n = (int)strlen(k);
	/* As strace: the mode of open(2) only when the flags create a file. */
	for (i = 1; i < n; i++)
		if (k[i] == 'm' && k[i - 1] == 'o' && !(a[i - 1] & (O_CREAT | __O_TMPFILE)))
			n = i;
	for (i = 0; i < n && !is_output(k[i]); i++)
		;
	to = n;
	if (part == GK_TRACE_INPUT)
		to = i;
	else if (part == GK_TRACE_OUTPUT)
		from = i;
	for (i = from; i < to; i++) {
		if (i > from)
			fputs(", ", o);
		put_arg(o, p, k[i], a, i, ret);
	}
	if (part == GK_TRACE_INPUT && to < n && to > 0)
		fputs(", ", o);
}

/* " = 3", " = 0x7f...", " = -1 ENOENT (No such file or directory)" */
void
gk_trace_put_result(FILE *o, uint64_t nr, const uint64_t *a, long ret)
{
	(void)a;
	if (ret < 0 && ret > -4096) {
		int e = (int)-ret;
		const char *n = gk_trace_errname(e);

		if (n)
			fprintf(o, " = -1 %s (%s)", n, strerror(e));
		else
			fprintf(o, " = -1 E%d (%s)", e, strerror(e));
	} else if (nr == __NR_mmap || nr == __NR_brk || nr == __NR_mremap) {
		fprintf(o, " = %#lx", ret);
	} else {
		fprintf(o, " = %ld", ret);
	}
}
