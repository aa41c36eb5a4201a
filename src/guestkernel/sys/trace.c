/*
 * trace.c - --trace: each guest syscall decoded as strace(1) prints it.
 *
 *   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1289
 *   foo(0x1) = -1 ENOSYS (Function not implemented)
 *
 * Layer src/guestkernel/sys. Reads guest memory only through uaccess.c and only
 * after the call returned (so output buffers hold their results); execve and
 * exit print before the call, since afterwards their arguments are gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

struct flagname {
	uint64_t v;
	const char *n;
};

static const struct flagname open_flags[] = {
    {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"},
    {O_DIRECTORY, "O_DIRECTORY"},
    {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_CLOEXEC, "O_CLOEXEC"},
    {O_PATH, "O_PATH"},
    {O_LARGEFILE, "O_LARGEFILE"},
    {O_NOATIME, "O_NOATIME"},
    {0, NULL},
};

static const struct flagname mmap_flags[] = {
    {MAP_SHARED, "MAP_SHARED"},	       {MAP_PRIVATE, "MAP_PRIVATE"},
    {MAP_FIXED, "MAP_FIXED"},	       {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {MAP_GROWSDOWN, "MAP_GROWSDOWN"},  {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_POPULATE, "MAP_POPULATE"},    {MAP_STACK, "MAP_STACK"},
    {0x100000, "MAP_FIXED_NOREPLACE"}, {0, NULL},
};

static const struct flagname prot_flags[] = {
    {PROT_READ, "PROT_READ"},
    {PROT_WRITE, "PROT_WRITE"},
    {PROT_EXEC, "PROT_EXEC"},
    {0, NULL},
};

static const char *const fcntl_cmds[] = {
    "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_GETLK", "F_SETLK", "F_SETLKW",
};

static const char *const errnames[] = {
    [EPERM] = "EPERM",	   [ENOENT] = "ENOENT",
    [ESRCH] = "ESRCH",	   [EINTR] = "EINTR",
    [EIO] = "EIO",	   [ENXIO] = "ENXIO",
    [E2BIG] = "E2BIG",	   [ENOEXEC] = "ENOEXEC",
    [EBADF] = "EBADF",	   [ECHILD] = "ECHILD",
    [EAGAIN] = "EAGAIN",   [ENOMEM] = "ENOMEM",
    [EACCES] = "EACCES",   [EFAULT] = "EFAULT",
    [EBUSY] = "EBUSY",	   [EEXIST] = "EEXIST",
    [EXDEV] = "EXDEV",	   [ENODEV] = "ENODEV",
    [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
    [EINVAL] = "EINVAL",   [ENFILE] = "ENFILE",
    [EMFILE] = "EMFILE",   [ENOTTY] = "ENOTTY",
    [EFBIG] = "EFBIG",	   [ENOSPC] = "ENOSPC",
    [ESPIPE] = "ESPIPE",   [EROFS] = "EROFS",
    [EPIPE] = "EPIPE",	   [ERANGE] = "ERANGE",
    [EDEADLK] = "EDEADLK", [ENAMETOOLONG] = "ENAMETOOLONG",
    [ENOSYS] = "ENOSYS",   [ENOTEMPTY] = "ENOTEMPTY",
    [ELOOP] = "ELOOP",	   [ETIMEDOUT] = "ETIMEDOUT",
    [ELIBBAD] = "ELIBBAD",
};

static void
put_flags(FILE *o, uint64_t v, const struct flagname *t, const char *zero)
{
	int first = 1;

	if (v == 0 && zero) {
		fputs(zero, o);
		return;
	}
	for (; t->n; t++) {
		if ((v & t->v) == t->v && t->v) {
			fprintf(o, "%s%s", first ? "" : "|", t->n);
			v &= ~t->v;
			first = 0;
		}
	}
	if (v || first)
		fprintf(o, "%s%#llx", first ? "" : "|", (unsigned long long)v);
}

static void
put_open_flags(FILE *o, uint64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};

	fputs(acc[v & O_ACCMODE], o);
	v &= ~(uint64_t)O_ACCMODE;
	if (v) {
		fputc('|', o);
		put_flags(o, v, open_flags, NULL);
	}
}

/* A guest byte string, escaped as strace does, at most 32 bytes shown. */
static void
put_bytes(FILE *o, struct gk_proc *p, uint64_t gva, long len, int is_string)
{
	unsigned char buf[33];
	long n = len < 32 ? len : 32, i;

	if (is_string) {
		char s[GK_PATH_MAX];
		long l = gk_strncpyin(p, s, gva, sizeof(s));

		if (l < 0) {
			fprintf(o, "%#llx", (unsigned long long)gva);
			return;
		}
		len = l;
		n = l < 256 ? l : 256;
		memcpy(buf, s, n < 32 ? (size_t)n : 32);
		fputc('"', o);
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '"' || c == '\\')
				fprintf(o, "\\%c", c);
			else if (c >= 32 && c < 127)
				fputc(c, o);
			else
				fprintf(o, "\\%o", c);
		}
		fputc('"', o);
		if (n < len)
			fputs("...", o);
		return;
	}
	if (len < 0 || gk_copyin(p, buf, gva, (size_t)n) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	fputc('"', o);
	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

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
		put_bytes(o, p, ptr, 0, 1);
	}
	if (i == 16)
		fputs(", ...", o);
	fputc(']', o);
}

/* A socket address the guest passes in (bind, connect, sendto): AF_UNIX names decoded. */
static void
put_sockaddr(FILE *o, struct gk_proc *p, uint64_t gva, long len)
{
	unsigned char buf[112];
	uint16_t fam;
	long n = len < (long)sizeof(buf) ? len : (long)sizeof(buf), i;

	if (len < 2 || gk_copyin(p, buf, gva, (size_t)n) < 0) {
		fprintf(o, "%#llx", (unsigned long long)gva);
		return;
	}
	memcpy(&fam, buf, sizeof(fam));
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

static void
put_arg(FILE *o, struct gk_proc *p, char kind, const uint64_t *a, int i, long ret)
{
	uint64_t v = a[i];

	switch (kind) {
	case 'd':
		fprintf(o, "%d", (int)v);
		break;
	case 'u':
		fprintf(o, "%llu", (unsigned long long)v);
		break;
	case 'f':
		if ((int)v == AT_FDCWD)
			fputs("AT_FDCWD", o);
		else
			fprintf(o, "%d", (int)v);
		break;
	case 's':
		put_bytes(o, p, v, 0, 1);
		break;
	case 'b':
		put_bytes(o, p, v, (long)a[i + 1], 0);
		break;
	case 'B':
		if (ret >= 0)
			put_bytes(o, p, v, ret, 0);
		else
			fprintf(o, "%#llx", (unsigned long long)v);
		break;
	case 'o':
		put_open_flags(o, v);
		break;
	case 'm':
		fprintf(o, "0%llo", (unsigned long long)v);
		break;
	case 'P':
		put_flags(o, v, prot_flags, "PROT_NONE");
		break;
	case 'M':
		put_flags(o, v, mmap_flags, "0");
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
		if ((int)v > 0 && (int)v < 32 && sigabbrev_np((int)v))
			fprintf(o, "SIG%s", sigabbrev_np((int)v));
		else
			fprintf(o, "%d", (int)v);
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
		fputs(v == SEEK_SET   ? "SEEK_SET"
		      : v == SEEK_CUR ? "SEEK_CUR"
		      : v == SEEK_END ? "SEEK_END"
				      : "?",
		      o);
		break;
	case 'v':
		put_vector(o, p, v);
		break;
	case 'A':
		fputs(v == AF_UNIX    ? "AF_UNIX"
		      : v == AF_INET  ? "AF_INET"
		      : v == AF_INET6 ? "AF_INET6"
				      : "",
		      o);
		if (v != AF_UNIX && v != AF_INET && v != AF_INET6)
			fprintf(o, "%d", (int)v);
		break;
	case 'T':
		fputs((v & 0xf) == SOCK_STREAM	    ? "SOCK_STREAM"
		      : (v & 0xf) == SOCK_DGRAM	    ? "SOCK_DGRAM"
		      : (v & 0xf) == SOCK_SEQPACKET ? "SOCK_SEQPACKET"
						    : "SOCK_?",
		      o);
		fprintf(o, "%s%s", (v & SOCK_NONBLOCK) ? "|SOCK_NONBLOCK" : "",
			(v & SOCK_CLOEXEC) ? "|SOCK_CLOEXEC" : "");
		break;
	case 'U':
		if (v == 0)
			fputs("NULL", o);
		else
			put_sockaddr(o, p, v, (long)(int)a[i + 1]);
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

static void
put_call(FILE *o, struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret)
{
	const struct gk_syscall *s = nr < GK_NSYSCALLS ? &gk_systab[nr] : NULL;
	int i;

	if (p->tg->gpid != 1)
		fprintf(o, "[pid %d] ", p->tg->gpid);
	if (!s || !s->name) {
		fprintf(o, "syscall_%#llx(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)",
			(unsigned long long)nr, (unsigned long long)a[0], (unsigned long long)a[1],
			(unsigned long long)a[2], (unsigned long long)a[3],
			(unsigned long long)a[4], (unsigned long long)a[5]);
		return;
	}
	fprintf(o, "%s(", s->name);
	for (i = 0; s->args[i]; i++) {
		/* As strace: the mode of open(2) only when the flags create a file. */
		if (s->args[i] == 'm' && i > 0 && s->args[i - 1] == 'o' &&
		    !(a[i - 1] & (O_CREAT | __O_TMPFILE)))
			break;
		if (i)
			fputs(", ", o);
		put_arg(o, p, s->args[i], a, i, ret);
	}
	fputc(')', o);
}

static void
put_result(FILE *o, uint64_t nr, long ret)
{
	if (ret < 0 && ret > -4096) {
		int e = (int)-ret;

		fprintf(o, " = -1 %s (%s)\n",
			e < (int)(sizeof(errnames) / sizeof(errnames[0])) && errnames[e]
			    ? errnames[e]
			    : "E?",
			strerror(e));
	} else if (nr == __NR_mmap || nr == __NR_brk || nr == __NR_mremap) {
		fprintf(o, " = %#lx\n", ret);
	} else {
		fprintf(o, " = %ld\n", ret);
	}
}

/* gk_trace_enter - for calls whose arguments vanish with them (execve, exit). */
void
gk_trace_enter(struct gk_proc *p, uint64_t nr, const uint64_t *a)
{
	FILE *o = p->k->trace;

	put_call(o, p, nr, a, 0);
	if (nr == __NR_exit || nr == __NR_exit_group)
		fputs(" = ?\n", o);
	fflush(o);
}

/* gk_trace_exit - the whole line of a returned call (or the result of one gk_trace_enter began). */
void
gk_trace_exit(struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret)
{
	FILE *o = p->k->trace;

	if (nr == __NR_exit || nr == __NR_exit_group)
		return;
	if (nr != __NR_execve)
		put_call(o, p, nr, a, ret);
	put_result(o, nr, ret);
	fflush(o);
}
