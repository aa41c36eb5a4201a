/*
 * trace_filter.c - --trace-filter=EXPR, strace's "-e trace=" syntax, and
 * the names of calls.
 *
 *   EXPR   [trace=][!]ITEM[,ITEM]...
 *   ITEM   a call's name (open, openat), ?NAME (no error if unknown),
 *          %file %process %network (%net) %signal %memory %desc,
 *          all, none, or /REGEX (POSIX extended, matched against names)
 *
 * A leading ! shows every call the rest does not name. The classes are
 * strace's: %file the calls that take a file name, %process those of a
 * process's life (creation, exec, exit, wait, kill), %network the socket
 * calls, %signal those about signals, %memory those that map memory,
 * %desc those that take or make a descriptor.
 *
 * Layer src/guestkernel/sys, trace only. Names the guest kernel's table
 * lacks (calls it does not know) come from libseccomp through libuvk.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvk/uvk.h>

#include "trace_impl.h"

struct tclass {
	const char *name;
	const char *calls; /* names, one space between */
};

static const struct tclass classes[] = {
    {"%file",
     "open stat lstat access execve truncate chdir rename mkdir rmdir creat link unlink symlink "
     "readlink chmod chown lchown utime mknod uselib statfs pivot_root chroot acct mount umount2 "
     "swapon swapoff quotactl setxattr lsetxattr getxattr lgetxattr listxattr llistxattr "
     "removexattr lremovexattr utimes inotify_add_watch openat mkdirat mknodat fchownat "
     "futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat "
     "utimensat fanotify_mark name_to_handle_at renameat2 execveat statx open_tree move_mount "
     "fspick faccessat2 mount_setattr fchmodat2 openat2"},
    {"%process",
     "clone clone3 fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill "
     "rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal unshare"},
    {"%network",
     "socket connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname "
     "getpeername socketpair setsockopt getsockopt accept4 recvmmsg sendmmsg"},
    {"%signal",
     "rt_sigaction rt_sigprocmask rt_sigreturn pause kill rt_sigpending rt_sigtimedwait "
     "rt_sigqueueinfo rt_sigsuspend sigaltstack tkill tgkill signalfd signalfd4 "
     "rt_tgsigqueueinfo pidfd_send_signal"},
    {"%memory",
     "brk mmap mprotect munmap mremap msync mincore madvise shmat shmdt mlock munlock mlockall "
     "munlockall remap_file_pages mbind get_mempolicy set_mempolicy migrate_pages move_pages "
     "mlock2 pkey_mprotect process_madvise map_shadow_stack mseal"},
    {"%desc",
     "read write open close fstat poll lseek mmap ioctl pread64 pwrite64 readv writev pipe "
     "select dup dup2 sendfile fcntl flock fsync fdatasync ftruncate getdents fchdir creat "
     "fchmod fchown fstatfs readahead fsetxattr fgetxattr flistxattr fremovexattr epoll_create "
     "getdents64 fadvise64 epoll_wait epoll_ctl inotify_init inotify_add_watch "
     "inotify_rm_watch openat mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat "
     "linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll splice tee "
     "sync_file_range vmsplice utimensat epoll_pwait signalfd timerfd_create eventfd fallocate "
     "timerfd_settime timerfd_gettime signalfd4 eventfd2 epoll_create1 dup3 pipe2 "
     "inotify_init1 preadv pwritev perf_event_open fanotify_init fanotify_mark "
     "name_to_handle_at open_by_handle_at syncfs setns finit_module renameat2 memfd_create bpf "
     "execveat userfaultfd copy_file_range preadv2 pwritev2 statx io_uring_setup "
     "io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick "
     "pidfd_open pidfd_getfd faccessat2 epoll_pwait2 mount_setattr quotactl_fd "
     "landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret "
     "process_madvise cachestat fchmodat2 openat2"},
};

/* gk_trace_name - the name of call nr: the table's, libseccomp's, or "syscall_0x1c9". */
const char *
gk_trace_name(uint64_t nr, char *buf, size_t len)
{
	if (nr < GK_NSYSCALLS && gk_systab[nr].name)
		return gk_systab[nr].name;
	if (nr <= 0x7fffffff && uvk_syscall_name((long)nr, buf, len))
		return buf;
	snprintf(buf, len, "syscall_%#llx", (unsigned long long)nr);
	return buf;
}

/* gk_trace_number - the number of the call named name, or -1. */
int
gk_trace_number(const char *name)
{
	long nr;
	int i;

	for (i = 0; i < GK_NSYSCALLS; i++)
		if (gk_systab[i].name && strcmp(gk_systab[i].name, name) == 0)
			return i;
	nr = uvk_syscall_number(name);
	return nr >= 0 && nr < GK_TRACE_NR ? (int)nr : -1;
}

static void
want_set(uint8_t *want, int nr)
{
	want[nr / 8] |= (uint8_t)(1u << (nr % 8));
}

/* The calls of one class into want; 0, or -1 for no such class. */
static int
add_class(uint8_t *want, const char *name)
{
	char word[32];
	const char *s, *e;
	size_t i;
	int nr;

	if (strcmp(name, "%net") == 0)
		name = "%network";
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(classes[i].name, name) != 0)
			continue;
		for (s = classes[i].calls; *s; s = *e ? e + 1 : e) {
			e = strchr(s, ' ');
			if (!e)
				e = s + strlen(s);
			if ((size_t)(e - s) >= sizeof(word))
				continue;
			memcpy(word, s, (size_t)(e - s));
			word[e - s] = '\0';
			nr = gk_trace_number(word);
			if (nr >= 0)
				want_set(want, nr); /* a class lists calls x86-64 may lack */
		}
		return 0;
	}
	return -1;
}

/* Every call whose name the extended regular expression re matches; -1 if re is bad. */
static int
add_regex(uint8_t *want, const char *re)
{
	char buf[40];
	regex_t rx;
	int nr, found = 0;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	for (nr = 0; nr < GK_TRACE_NR; nr++) {
		const char *name = nr < GK_NSYSCALLS && gk_systab[nr].name
				       ? gk_systab[nr].name
				       : uvk_syscall_name(nr, buf, sizeof(buf));

		if (name && regexec(&rx, name, 0, NULL, 0) == 0) {
			want_set(want, nr);
			found = 1;
		}
	}
	regfree(&rx);
	return found ? 0 : -1;
}

static int
bad(const char *what, const char *item)
{
	fprintf(stderr, "uvk: --trace-filter: %s '%s' (see uvk --help)\n", what, item);
	return -EINVAL;
}

/* One comma-separated item of the expression into want. */
static int
add_item(uint8_t *want, char *item)
{
	int quiet = 0, nr;

	if (*item == '?') {
		quiet = 1;
		item++;
	}
	if (strcmp(item, "all") == 0) {
		memset(want, 0xff, GK_TRACE_NR / 8 + 1);
		return 0;
	}
	if (strcmp(item, "none") == 0)
		return 0;
	if (*item == '%')
		return add_class(want, item) == 0 || quiet ? 0 : bad("unknown class", item);
	if (*item == '/')
		return add_regex(want, item + 1) == 0 || quiet
			   ? 0
			   : bad("regular expression matches no call", item);
	nr = gk_trace_number(item);
	if (nr < 0)
		return quiet ? 0 : bad("unknown system call", item);
	want_set(want, nr);
	return 0;
}

/*
 * gk_trace_filter_parse - tr->want from expr (NULL: every call). Returns 0,
 * or -EINVAL after saying on stderr which item is wrong.
 */
int
gk_trace_filter_parse(struct gk_trace *tr, const char *expr)
{
	uint8_t want[GK_TRACE_NR / 8 + 1] = {0};
	char *copy, *item, *save = NULL;
	int negate = 0, err = 0;
	size_t i;

	if (!expr) {
		memset(tr->want, 0xff, sizeof(tr->want));
		return 0;
	}
	if (strncmp(expr, "trace=", 6) == 0)
		expr += 6;
	else if (strncmp(expr, "t=", 2) == 0)
		expr += 2;
	if (*expr == '!') {
		negate = 1;
		expr++;
	}
	if (!*expr)
		return bad("empty expression", expr);
	copy = strdup(expr);
	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item && !err; item = strtok_r(NULL, ",", &save))
		err = add_item(want, item);
	free(copy);
	if (err)
		return err;
	for (i = 0; i < sizeof(want); i++)
		tr->want[i] = negate ? (uint8_t)~want[i] : want[i];
	return 0;
}
