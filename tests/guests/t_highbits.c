/*
 * t_highbits - every system call the guest kernel implements, called with the
 * high half of its 32-bit arguments set, behaves as with the truncated value.
 *
 * Usage: t_highbits
 *
 * Linux reads each argument register through the C type of the syscall's
 * prototype: an int, unsigned int, pid_t, uid_t or umode_t argument keeps
 * its low bits only, so ioctl(3 | 1L << 32, FIOCLEX) is ioctl(3, FIOCLEX).
 * For each call below the program runs a benign argument set (the base), then
 * the same set with 0xdeadbeef00000000 and then 1 << 32 ORed into every
 * 32-bit argument at once, then 0xdeadbeef00000000 into each such argument
 * alone; calls that take no argument get junk in all six registers. Each run
 * happens in a fresh child forked from the same state (after the call's own
 * preparation, run in the child), so that a call that changes state, exits
 * or kills its caller is compared fairly: the return value, errno, one
 * observation of the state the call changed (a descriptor flag, a signal
 * mask, a status word) and the child's wait status must be those of the
 * base run. The 64-bit arguments (pointers, sizes, unsigned long flags and
 * offsets) are left alone here; where Linux refuses their high bits the
 * last checks expect its errno.
 *
 * Runs natively first (Linux is the reference: a row that differs there is
 * a wrong row), then under uvk. Every argument is harmless natively as root:
 * signals are 0 and go to the parent, ids are the caller's own, owners are
 * -1 (no change), files live in a fresh directory under /tmp.
 * tests/unit/sysarg_check.sh checks that every handler in uvk's syscall
 * table has a row here (T, or SKIP with the reason it cannot be called).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_rseq
#define SYS_rseq 334
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_statx
#define SYS_statx 332
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 316
#endif

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define PR_GET_NAME 16
#define PR_SET_NAME 15
#define RUSAGE_THREAD_ 1
#define CPUCLOCK_SELF_THREAD 0xfffffffeU /* (~0 << 3) | 6: the calling thread's CPU clock */
#define FIOCLEX_    0x5451
#define FIONCLEX_   0x5450
#define FUTEX_WAKE_ 1
#define STATX_BASIC 0x7ffU
#define EFD_SEMAPHORE_ 1
#define EFD_CLOEXEC_   O_CLOEXEC

/* The fixture: descriptors every child inherits, at fixed numbers. */
#define FD_FILE	 10 /* work/file, read-write, FILE_DATA */
#define FD_DIR	 11 /* work, O_DIRECTORY */
#define FD_PR	 12 /* a pipe's read end (non-blocking) */
#define FD_PW	 13 /* and its write end */
#define FD_SPARE 20

#define FILE_DATA "0123456789abcdefghij"

#define HI1  0xdeadbeef00000000ULL
#define HI2  0x0000000100000000ULL
#define JUNK 0xdeadbeef0000beefULL

/* Flags of a row. */
#define F_PID	1 /* the result is the caller's pid: compare ret - getpid() */
#define F_SIGN	2 /* the result varies (an address, a time, a pid): compare its sign */
#define F_NOARG 4 /* takes no argument: the variants fill every register with junk */
#define F_SKIP	8 /* not called; the row says why */

struct tcase {
	const char *name;
	long nr;
	unsigned mask; /* bit i: argument i is 32 bits wide in Linux's prototype */
	unsigned flags;
	void (*prep)(void); /* in the child, before the call */
	long (*obs)(void);  /* in the child, after it: the state the call changed */
	uint64_t a[6];
	const char *skip;
};

/* clang-format off */
#define T(n, m, fl, pr, ob, ...) {#n, SYS_##n, (m), (fl), (pr), (ob), {__VA_ARGS__}, NULL}
#define SKIP(n, why)		 {#n, SYS_##n, 0, F_SKIP, NULL, NULL, {0}, (why)}
#define A(i)			 (1u << (i))
/* clang-format on */

struct result {
	long ret, obs;
	int err, reported, wstatus;
};

static char work[64], p_file[96], p_link[96], p_dir[96], p_new[96], p_new2[96];
static char buf[4096], buf2[4096];
static uint64_t page;	      /* a private page the memory calls work on */
static struct rlimit core_rl; /* RLIMIT_CORE as it is, set back unchanged */
static uint64_t cpumask[16];
static long cpumask_len;
static struct timespec ts0;
static struct epoll_event epev = {.events = EPOLLIN}, epbuf[4];
static struct timeval tv0;
static struct iovec iov1;
static uint64_t sigset_usr1, sigset_none;
static struct {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
} ksa;
static struct {
	int si_signo, si_errno, si_code, pad;
	char rest[112];
} qinfo;
static int pipefds[2], futex_word, tid_word;
static struct itimerspec its_set = {{5, 0}, {100, 0}}, its_old;
static uint64_t fsbase, fdset_w;
static struct {
	void *ss;
	long size;
} sig6 = {&sigset_none, 8};
static struct {
	uint64_t value;
	int32_t signo, notify;
	int32_t rest[12];
} sevp;
static struct {
	struct timespec interval, value;
} its0;
static struct {
	struct timeval interval, value;
} itv0, itv_short = {{0, 0}, {0, 2000}};
static struct {
	void *next;
	long off;
	void *pending;
} robust;
static pid_t parent;
static uid_t my_uid;
static gid_t my_gid;
static int sched_prio0;
static char *const no_argv[] = {"none", NULL};

/* ---- preparations (in the child) ---------------------------------------------- */

static void
prep_timerfd(void)
{
	int fd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);

	if (fd >= 0 && fd != FD_SPARE) {
		dup2(fd, FD_SPARE);
		close(fd);
	}
}

/* FD_SPARE: an inotify instance watching p_file (wd 1). */
static void
prep_inotify(void)
{
	int fd = inotify_init1(0);

	if (fd >= 0 && fd != FD_SPARE) {
		dup2(fd, FD_SPARE);
		close(fd);
	}
	inotify_add_watch(FD_SPARE, p_file, IN_ATTRIB);
}

static void
prep_rewind(void)
{
	lseek(FD_FILE, 0, SEEK_SET);
	lseek(FD_DIR, 0, SEEK_SET);
}

/* The pipe drained, so that writes to it never block. */
static void
prep_drain(void)
{
	while (read(FD_PR, buf2, sizeof(buf2)) > 0)
		;
	prep_rewind();
}

static void
prep_no_new(void)
{
	unlink(p_new);
	unlink(p_new2);
	rmdir(p_dir);
}

static void
prep_new_file(void)
{
	prep_no_new();
	close(open(p_new, O_CREAT | O_WRONLY, 0644));
}

static void
prep_dir(void)
{
	prep_no_new();
	mkdir(p_dir, 0755);
}

static void
prep_spare(void)
{
	dup2(FD_FILE, FD_SPARE);
}

/* An epoll instance at FD_SPARE watching the pipe's write end (ready: writable). */
static void
prep_epoll(void)
{
	struct epoll_event ev = {.events = EPOLLOUT};
	int e = epoll_create1(0);

	dup2(e, FD_SPARE);
	close(e);
	epoll_ctl(FD_SPARE, EPOLL_CTL_ADD, FD_PW, &ev);
}

/* A child that has exited, for wait4 and waitid to reap. */
static void
prep_child(void)
{
	pid_t c = fork();

	if (c == 0)
		_exit(7);
}

/* FD_SPARE: a pidfd of the parent, for pidfd_send_signal and pidfd_getfd. */
static void
prep_pidfd(void)
{
	int fd = (int)syscall(SYS_pidfd_open, parent, 0);

	dup2(fd, FD_SPARE);
	close(fd);
}

/* clone3's struct as fork's (flags 0, exit signal SIGCHLD): version 0, 64 bytes. */
static uint64_t clone3_fork[8] = {0, 0, 0, 0, SIGCHLD, 0, 0, 0};

/* A posix timer (id 0 in a fresh process) for the timer_* calls. */
static void
prep_timer(void)
{
	int id = -1;

	syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id);
}

/* For calls that wait for any signal: SIGALRM (default action) ends the wait. */
static void
prep_alarm(void)
{
	setitimer(ITIMER_REAL, (struct itimerval *)&itv_short, NULL);
}

/* unixsock: sockets at FD_SPARE (and FD_SPARE + 1) for the socket calls. */
#define FD_SPARE2 (FD_SPARE + 1)
static struct {
	uint16_t family;
	char path[108];
} sun_abs = {1 /* AF_UNIX */, "\0t_highbits.sock"};
#define SUN_ABS_LEN (2 + 1 + 15)
static int optlen_v = 4, one_v = 1, namelen_v = 110;
static struct {
	void *name;
	int namelen, pad0;
	void *iov;
	size_t iovlen;
	void *control;
	size_t controllen;
	int flags, pad1;
	unsigned len, pad2;
} smsg, rmsg;

static void
to_spare(int fd, int at)
{
	if (fd >= 0 && fd != at) {
		dup2(fd, at);
		close(fd);
	}
}

/* A connected stream pair at FD_SPARE and FD_SPARE2. */
static void
prep_pair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		to_spare(sv[0], FD_SPARE);
		to_spare(sv[1], FD_SPARE2);
	}
	smsg.iov = &iov1;
	smsg.iovlen = 1;
	rmsg = smsg;
}

/* The pair with 8 bytes waiting at FD_SPARE. */
static void
prep_pair_data(void)
{
	prep_pair();
	write(FD_SPARE2, FILE_DATA, 8);
}

/* An unbound stream socket at FD_SPARE. */
static void
prep_sock(void)
{
	to_spare(socket(AF_UNIX, SOCK_STREAM, 0), FD_SPARE);
}

/* A stream socket at FD_SPARE bound to sun_abs. */
static void
prep_bound(void)
{
	prep_sock();
	bind(FD_SPARE, (struct sockaddr *)&sun_abs, SUN_ABS_LEN);
}

/* A listener on sun_abs at FD_SPARE and an unconnected socket at FD_SPARE2. */
static void
prep_listener(void)
{
	prep_bound();
	listen(FD_SPARE, 4);
	to_spare(socket(AF_UNIX, SOCK_STREAM, 0), FD_SPARE2);
}

/* The listener with a connection waiting from FD_SPARE2. */
static void
prep_pending(void)
{
	prep_listener();
	connect(FD_SPARE2, (struct sockaddr *)&sun_abs, SUN_ABS_LEN);
}

/* ---- observations (in the child) ---------------------------------------------- */

static long
obs_cloexec(void)
{
	return fcntl(FD_FILE, F_GETFD);
}

static long
obs_spare(void)
{
	return fcntl(FD_SPARE, F_GETFD);
}

static long
obs_umask(void)
{
	return umask(0);
}

static long
obs_mask(void)
{
	sigset_t s;

	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, SIGUSR1) * 2 + sigismember(&s, SIGUSR2);
}

static long
obs_status(void)
{
	return *(int *)buf;
}

static long
obs_pipefds(void)
{
	return pipefds[0] * 1000 + pipefds[1];
}

/* The calling task's name, its first 8 bytes as a number. */
static long
obs_comm(void)
{
	char name[16] = {0};
	long v;

	syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
	memcpy(&v, name, sizeof(v));
	return v;
}

static long
obs_buf(void)
{
	long h = 0;
	size_t i;

	for (i = 0; i < 64; i++)
		h = h * 31 + (unsigned char)buf[i];
	return h;
}

static long
obs_mode(void)
{
	struct stat st;

	return stat(p_file, &st) == 0 ? (long)st.st_mode : -1;
}

static long
obs_size(void)
{
	struct stat st;

	return stat(p_file, &st) == 0 ? (long)st.st_size : -1;
}

/*
 * The eventfd the call made (the lowest descriptor that is one): what a read
 * gives (5, or 1 in semaphore mode), times 2, plus its close-on-exec flag.
 */
static long
obs_eventfd(void)
{
	char path[32], link[64];
	uint64_t v = 0;
	ssize_t n;
	int fd;

	for (fd = 3; fd < FD_FILE; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:[eventfd]") != 0)
			continue;
		if (read(fd, &v, sizeof(v)) != sizeof(v))
			return -1;
		return (long)v * 2 + (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	return -2;
}

/* The timerfd the call made: 1 if found, plus 2 if close-on-exec. */
static long
obs_timerfd(void)
{
	char path[32], link[64];
	ssize_t n;
	int fd;

	for (fd = 3; fd < FD_FILE; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:[timerfd]") == 0)
			return 1 + 2 * (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	return -2;
}

/* The inotify instance the call made: 1 if found, plus 2 if close-on-exec, 4 if non-blocking. */
static long
obs_inotify(void)
{
	char path[32], link[64];
	ssize_t n;
	int fd;

	for (fd = 3; fd < FD_FILE; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:inotify") == 0)
			return 1 + 2 * (fcntl(fd, F_GETFD) & FD_CLOEXEC) +
			       ((fcntl(fd, F_GETFL) & O_NONBLOCK) ? 4 : 0);
	}
	return -2;
}

/* The signalfd the call made: 1 if found, plus 2 if close-on-exec. */
static long
obs_signalfd(void)
{
	char path[32], link[64];
	ssize_t n;
	int fd;

	for (fd = 3; fd < FD_FILE; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:[signalfd]") == 0)
			return 1 + 2 * (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	return -2;
}

/* What timerfd_settime set: the interval's seconds, and whether it is armed. */
static long
obs_timerfd_set(void)
{
	struct itimerspec cur;

	if (syscall(SYS_timerfd_gettime, FD_SPARE, &cur) < 0)
		return -1;
	return cur.it_interval.tv_sec * 2 + (cur.it_value.tv_sec > 0);
}

/* ---- running one variant --------------------------------------------------------- */

static void
run(const struct tcase *t, const uint64_t *a, struct result *r)
{
	int fds[2], st;
	pid_t c;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) < 0) {
		r->reported = -1;
		return;
	}
	c = fork();
	if (c == 0) {
		struct result out = {0};
		pid_t me;

		close(fds[0]);
		if (t->prep)
			t->prep();
		memset(buf, 0, sizeof(buf));
		errno = 0;
		me = getpid();
		out.ret = syscall(t->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		/* The new child of a fork or clone row: only its parent reports. */
		if (getpid() != me)
			_exit(0);
		out.err = out.ret == -1 ? errno : 0;
		if (t->flags & F_PID)
			out.ret -= getpid();
		if (t->flags & F_SIGN)
			out.ret = out.ret > 0 ? 1 : out.ret;
		if (t->obs)
			out.obs = t->obs();
		out.reported = 1;
		if (write(fds[1], &out, sizeof(out)) != sizeof(out))
			_exit(100);
		_exit(0);
	}
	close(fds[1]);
	if (c < 0) {
		close(fds[0]);
		r->reported = -1;
		return;
	}
	if (read(fds[0], r, sizeof(*r)) != sizeof(*r))
		memset(r, 0, sizeof(*r));
	close(fds[0]);
	if (waitpid(c, &st, 0) != c)
		st = -1;
	r->wstatus = st;
}

static int
same(const struct result *x, const struct result *y)
{
	return x->reported == y->reported && x->ret == y->ret && x->err == y->err &&
	       x->obs == y->obs && x->wstatus == y->wstatus;
}

static void
show(char *out, size_t n, const struct result *r)
{
	if (!r->reported)
		snprintf(out, n, "no result, wait status %#x", r->wstatus);
	else
		snprintf(out, n, "ret %ld errno %s obs %ld status %#x", r->ret, errname(r->err),
			 r->obs, r->wstatus);
}

static void
check_case(const struct tcase *t)
{
	struct result base, r;
	uint64_t v[6];
	char what[320], got[128], want[128];
	int nvar = 0, bad = 0, i, k;

	if (t->flags & F_SKIP) {
		say("     %s: not called: %s\n", t->name, t->skip);
		return;
	}
	run(t, t->a, &base);
	if (!check(base.reported == 1 || WIFSIGNALED(base.wstatus) || WIFEXITED(base.wstatus),
		   t->name, "the base run gave no result (wait status %#x)", base.wstatus))
		return;
	/* Variants: 0 and 1 every 32-bit argument at once, 2.. one argument each. */
	for (k = 0; k < 2 + 6; k++) {
		memcpy(v, t->a, sizeof(v));
		if (t->flags & F_NOARG) {
			if (k > 1)
				break;
			for (i = 0; i < 6; i++)
				v[i] = k == 0 ? JUNK : ~0ULL;
		} else if (k < 2) {
			if (!t->mask)
				break;
			for (i = 0; i < 6; i++)
				if (t->mask & A(i))
					v[i] |= k == 0 ? HI1 : HI2;
		} else {
			if (!(t->mask & A(k - 2)))
				continue;
			/* One argument alone matters only when there are several. */
			if ((t->mask & (t->mask - 1)) == 0)
				continue;
			v[k - 2] |= HI1;
		}
		run(t, v, &r);
		nvar++;
		if (!same(&base, &r)) {
			bad++;
			show(got, sizeof(got), &r);
			show(want, sizeof(want), &base);
			snprintf(what, sizeof(what), "%s with high bits (%s)", t->name,
				 k == 0	  ? "0xdeadbeef00000000 in each"
				 : k == 1 ? "1 << 32 in each"
					  : "0xdeadbeef00000000 in one");
			check(0, what, "got %s; the truncated call gave %s", got, want);
		}
	}
	if (!bad) {
		show(want, sizeof(want), &base);
		snprintf(what, sizeof(what), "%s: %d variant%s as the truncated call (%s)", t->name,
			 nvar, nvar == 1 ? "" : "s", want);
		check(1, what, "-");
	}
}

/*
 * Every argument high: pointers become non-canonical, sizes and offsets
 * huge or negative. Linux's answer is mostly EFAULT or EINVAL, in an order
 * this program does not model, so the result is printed, not compared; the
 * check is that the call cost the calling process at most (the child
 * terminated and the parent goes on), under uvk as natively.
 */
static void
wide_case(const struct tcase *t)
{
	struct result r;
	uint64_t v[6];
	char what[128], got[128];
	int i;

	if (t->flags & (F_SKIP | F_NOARG))
		return;
	for (i = 0; i < 6; i++)
		v[i] = t->a[i] | HI1;
	run(t, v, &r);
	show(got, sizeof(got), &r);
	snprintf(what, sizeof(what), "%s with 0xdeadbeef00000000 in every argument returns",
		 t->name);
	if (check(r.wstatus != -1 && (WIFEXITED(r.wstatus) || WIFSIGNALED(r.wstatus)), what,
		  "wait status %#x", r.wstatus))
		say("     %s: %s\n", t->name, got);
}

/* ---- the fixture ------------------------------------------------------------------- */

static int
setup(void)
{
	int fd;
	sigset_t s;

	parent = getpid();
	my_uid = getuid();
	my_gid = getgid();
	snprintf(work, sizeof(work), "/tmp/t_highbits.%d", (int)parent);
	snprintf(p_file, sizeof(p_file), "%s/file", work);
	snprintf(p_link, sizeof(p_link), "%s/link", work);
	snprintf(p_dir, sizeof(p_dir), "%s/d", work);
	snprintf(p_new, sizeof(p_new), "%s/n", work);
	snprintf(p_new2, sizeof(p_new2), "%s/n2", work);
	if (mkdir(work, 0755) < 0)
		return -1;
	fd = open(p_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, FILE_DATA, strlen(FILE_DATA)) != (ssize_t)strlen(FILE_DATA))
		return -1;
	if (dup2(fd, FD_FILE) < 0 || close(fd) < 0)
		return -1;
	if (symlink("file", p_link) < 0)
		return -1;
	fd = open(work, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || dup2(fd, FD_DIR) < 0 || close(fd) < 0)
		return -1;
	if (pipe(pipefds) < 0 || dup2(pipefds[0], FD_PR) < 0 || dup2(pipefds[1], FD_PW) < 0)
		return -1;
	close(pipefds[0]);
	close(pipefds[1]);
	if (fcntl(FD_PR, F_SETFL, O_NONBLOCK) < 0)
		return -1;
	page =
	    (uint64_t)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == (uint64_t)MAP_FAILED)
		return -1;
	getrlimit(RLIMIT_CORE, &core_rl);
	cpumask_len = syscall(SYS_sched_getaffinity, 0, sizeof(cpumask), cpumask);
	if (cpumask_len <= 0)
		return -1;
	iov1.iov_base = buf;
	iov1.iov_len = 8;
	sigset_usr1 = 1ULL << (SIGUSR1 - 1);
	ksa.handler = SIG_IGN;
	qinfo.si_code = -1; /* SI_QUEUE: allowed to another process */
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fsbase);
	fdset_w = 1ULL << FD_PW;
	/* No signal is blocked in the children unless a row blocks one. */
	sigemptyset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	return 0;
}

static void
teardown(void)
{
	unlink(p_new);
	unlink(p_new2);
	rmdir(p_dir);
	unlink(p_link);
	unlink(p_file);
	rmdir(work);
}

/* Linux refuses high bits in these 64-bit arguments: its errno, here too. */
static void
check_wide(void)
{
	struct iovec iov = {buf, 4};

	CHECK_ERR("mprotect: prot with bit 32 is EINVAL (prot is unsigned long)",
		  syscall(SYS_mprotect, page, 4096, PROT_READ | HI2), EINVAL);
	CHECK_ERR("mremap: flags with bit 32 is EINVAL (flags is unsigned long)",
		  syscall(SYS_mremap, page, 4096, 4096, HI2, 0), EINVAL);
	CHECK_ERR("munmap: a length past user space is EINVAL",
		  syscall(SYS_munmap, page, 0x800000000000ULL), EINVAL);
	CHECK_ERR("preadv: a negative position is EINVAL",
		  syscall(SYS_preadv, FD_FILE, &iov, 1, -1L, 0), EINVAL);
}

/*
 * Calls with nothing to do in a one-CPU guest without swap still check their
 * arguments as Linux does (they were one no-op handler that took anything).
 */
static void
check_noops(void)
{
	uint64_t one = 1;

	CHECK_ERR("flock on a closed descriptor is EBADF", syscall(SYS_flock, 999, 1), EBADF);
	CHECK_ERR("flock with command 0 is EINVAL", syscall(SYS_flock, FD_FILE, 0), EINVAL);
	CHECK_EQ("flock(LOCK_UN) is allowed", syscall(SYS_flock, FD_FILE, 8), 0);
	CHECK_ERR("syncfs on a closed descriptor is EBADF", syscall(SYS_syncfs, 999), EBADF);
	CHECK_ERR("sync_file_range on a closed descriptor is EBADF",
		  syscall(SYS_sync_file_range, 999, 0, 0, 0), EBADF);
	CHECK_ERR("sync_file_range with an unknown flag is EINVAL",
		  syscall(SYS_sync_file_range, FD_FILE, 0, 0, 8), EINVAL);
	CHECK_ERR("sync_file_range at a negative offset is EINVAL",
		  syscall(SYS_sync_file_range, FD_FILE, -1L, 0, 0), EINVAL);
	CHECK_ERR("sync_file_range on a pipe is ESPIPE",
		  syscall(SYS_sync_file_range, FD_PR, 0, 0, 0), ESPIPE);
	CHECK_ERR("msync at an unaligned address is EINVAL",
		  syscall(SYS_msync, page + 1, 4096, MS_ASYNC), EINVAL);
	CHECK_ERR("msync with MS_ASYNC | MS_SYNC is EINVAL",
		  syscall(SYS_msync, page, 4096, MS_ASYNC | MS_SYNC), EINVAL);
	CHECK_ERR("msync of an unmapped range is ENOMEM",
		  syscall(SYS_msync, 0x7fff00000000ULL, 4096, MS_ASYNC), ENOMEM);
	CHECK_EQ("mlock of a mapped page, unaligned, is allowed", syscall(SYS_mlock, page + 8, 16),
		 0);
	CHECK_EQ("munlock of it", syscall(SYS_munlock, page + 8, 16), 0);
	CHECK_ERR("mlock of an unmapped range is ENOMEM",
		  syscall(SYS_mlock, 0x7fff00000000ULL, 4096), ENOMEM);
	CHECK_ERR("mlockall(0) is EINVAL", syscall(SYS_mlockall, 0), EINVAL);
	CHECK_ERR("mlockall(MCL_ONFAULT) alone is EINVAL", syscall(SYS_mlockall, 4), EINVAL);
	CHECK_ERR("sched_setaffinity from an unreadable mask is EFAULT",
		  syscall(SYS_sched_setaffinity, 0, 8, 0x10), EFAULT);
	CHECK_ERR("sched_setaffinity of no such pid is ESRCH",
		  syscall(SYS_sched_setaffinity, 0x7fffffff, 8, &one), ESRCH);
	CHECK_ERR("fadvise64 on a closed descriptor is EBADF", syscall(SYS_fadvise64, 999, 0, 0, 0),
		  EBADF);
	CHECK_ERR("fadvise64 on a pipe is ESPIPE", syscall(SYS_fadvise64, FD_PR, 0, 0, 0), ESPIPE);
	CHECK_ERR("fadvise64 with advice 99 is EINVAL", syscall(SYS_fadvise64, FD_FILE, 0, 0, 99),
		  EINVAL);
	CHECK_ERR("fadvise64 of a length negative as loff_t is EINVAL",
		  syscall(SYS_fadvise64, FD_FILE, 0, -1L, 0), EINVAL);
	CHECK_ERR("futex(FUTEX_WAKE) on an unaligned word is EINVAL",
		  syscall(SYS_futex, (char *)&futex_word + 1, FUTEX_WAKE_, 1, 0, 0, 0), EINVAL);
	CHECK_ERR("futex(FUTEX_WAKE) on a kernel address is EFAULT",
		  syscall(SYS_futex, 0xffff800000000000ULL, FUTEX_WAKE_, 1, 0, 0, 0), EFAULT);
	CHECK_ERR("sched_setaffinity to no CPU is EINVAL",
		  syscall(SYS_sched_setaffinity, 0, 8, &(uint64_t){0}), EINVAL);
}

/* The syscall number is an int too: Linux dispatches on its low 32 bits. */
static void
check_number(void)
{
	CHECK_EQ("syscall(SYS_getpid | 1 << 32) is getpid", syscall(SYS_getpid | HI2), getpid());
	CHECK_EQ("syscall(SYS_getppid | 0xdeadbeef00000000) is getppid", syscall(SYS_getppid | HI1),
		 getppid());
	CHECK_ERR("syscall(0xffffffff) is ENOSYS", syscall(0xffffffffL), ENOSYS);
	CHECK_ERR("syscall(-1) is ENOSYS", syscall(-1L), ENOSYS);
}

/* A descriptor number in a name is parsed as Linux does: digits, in range, or no name. */
static void
check_names(void)
{
	struct stat st;

	CHECK_EQ("/proc/self/fd/10 names descriptor 10", stat("/proc/self/fd/10", &st), 0);
	CHECK_ERR("/proc/self/fd/4294967306 (10 | 1 << 32) is ENOENT",
		  stat("/proc/self/fd/4294967306", &st), ENOENT);
	CHECK_ERR("/proc/self/fd/+10 is ENOENT", stat("/proc/self/fd/+10", &st), ENOENT);
}

int
main(void)
{
	const char *s_file = p_file, *s_new = p_new, *s_new2 = p_new2, *s_dir = p_dir;
	const uint64_t B = (uint64_t)buf, F = FD_FILE, D = FD_DIR;
	size_t i;

	guest_begin("t_highbits", "32-bit arguments with the high half set act as truncated");
	if (setup() < 0) {
		check(0, "set up the fixture", "errno %s", errname(errno));
		return guest_end();
	}
	{
		/* clang-format off */
		struct tcase cases[] = {
		    /* descriptors: read, write, seek, dup, fcntl, ioctl */
		    T(read, A(0), 0, prep_rewind, obs_buf, F, B, 8),
		    T(write, A(0), 0, prep_drain, NULL, FD_PW, B, 8),
		    T(pread64, A(0), 0, NULL, obs_buf, F, B, 8, 2),
		    T(pwrite64, A(0), 0, NULL, obs_size, F, (uint64_t)FILE_DATA, 4, 0),
		    T(readv, A(0) | A(2), 0, prep_rewind, obs_buf, F, (uint64_t)&iov1, 1),
		    T(writev, A(0) | A(2), 0, prep_drain, NULL, FD_PW, (uint64_t)&iov1, 1),
		    T(preadv, A(0) | A(2), 0, NULL, obs_buf, F, (uint64_t)&iov1, 1, 3, 0),
		    T(pwritev, A(0) | A(2), 0, NULL, obs_size, F, (uint64_t)&iov1, 1, 0, 0),
		    T(lseek, A(0) | A(2), 0, prep_rewind, NULL, F, 5, SEEK_SET),
		    T(open, A(1) | A(2), 0, NULL, NULL, (uint64_t)s_file, O_RDONLY, 0),
		    T(openat, A(0) | A(2) | A(3), 0, NULL, obs_mode, D, (uint64_t)"file", O_RDONLY, 0),
		    T(creat, A(1), 0, prep_no_new, NULL, (uint64_t)s_new, 0600),
		    T(close, A(0), 0, prep_spare, obs_spare, FD_SPARE),
		    T(dup, A(0), 0, NULL, NULL, F),
		    T(dup2, A(0) | A(1), 0, NULL, obs_spare, F, FD_SPARE),
		    T(dup3, A(0) | A(1) | A(2), 0, NULL, obs_spare, F, FD_SPARE, O_CLOEXEC),
		    T(fcntl, A(0) | A(1), 0, NULL, NULL, F, F_GETFL),
		    T(fcntl, A(0) | A(1) | A(2), 0, NULL, obs_cloexec, F, F_SETFD, FD_CLOEXEC),
		    T(fcntl, A(0) | A(1) | A(2), 0, NULL, NULL, F, F_DUPFD, FD_SPARE),
		    T(ioctl, A(0) | A(1), 0, NULL, obs_cloexec, F, FIOCLEX_, 0),
		    T(ioctl, A(0) | A(1), 0, NULL, obs_cloexec, F, FIONCLEX_, 0),
		    T(getdents64, A(0) | A(2), 0, prep_rewind, NULL, D, B, sizeof(buf)),
		    T(fstat, A(0), 0, NULL, NULL, F, B),
		    T(ftruncate, A(0), 0, NULL, obs_size, F, 20),
		    T(fsync, A(0), 0, NULL, NULL, F),
		    T(fdatasync, A(0), 0, NULL, NULL, F),
		    T(syncfs, A(0), 0, NULL, NULL, F),
		    T(sync_file_range, A(0) | A(3), 0, NULL, NULL, F, 0, 0, 0),
		    T(flock, A(0) | A(1), 0, NULL, NULL, F, 1 /* LOCK_SH */),
		    T(fadvise64, A(0) | A(3), 0, NULL, NULL, F, 0, 0, 0 /* NORMAL */),
		    T(sendfile, A(0) | A(1), 0, prep_drain, NULL, FD_PW, F, (uint64_t)&ts0, 4),
		    T(fchmod, A(0) | A(1), 0, NULL, obs_mode, F, 0640),
		    T(fchown, A(0) | A(1) | A(2), 0, NULL, NULL, F, (uint32_t)-1, (uint32_t)-1),
		    T(fchdir, A(0), 0, NULL, NULL, D),
		    T(fstatfs, A(0), 0, NULL, NULL, F, B),
		    T(pipe, 0, 0, NULL, obs_pipefds, (uint64_t)pipefds),
		    T(pipe2, A(1), 0, NULL, obs_pipefds, (uint64_t)pipefds, O_CLOEXEC),
		    /* eventfd: counter 5, so a read tells the semaphore flag (1) from none (5) */
		    T(eventfd, A(0), 0, NULL, obs_eventfd, 5),
		    T(eventfd2, A(0) | A(1), 0, NULL, obs_eventfd, 5, EFD_CLOEXEC_ | EFD_SEMAPHORE_),
		    /* signalfd: fd -1 (an int: high bits ignored) makes one; size_t sizemask has none */
		    T(signalfd, A(0), 0, NULL, obs_signalfd, (uint32_t)-1, (uint64_t)&sigset_usr1, 8),
		    T(signalfd4, A(0) | A(3), 0, NULL, obs_signalfd, (uint32_t)-1,
		      (uint64_t)&sigset_usr1, 8, O_CLOEXEC),
		    /* timerfd: FD_SPARE is a disarmed CLOCK_MONOTONIC timerfd (prep_timerfd) */
		    T(timerfd_create, A(0) | A(1), 0, NULL, obs_timerfd, CLOCK_MONOTONIC, O_CLOEXEC),
		    T(timerfd_settime, A(0) | A(1), 0, prep_timerfd, obs_timerfd_set, FD_SPARE, 0,
		      (uint64_t)&its_set, (uint64_t)&its_old),
		    T(timerfd_gettime, A(0), 0, prep_timerfd, NULL, FD_SPARE, (uint64_t)&its_old),
		    /* unixsock: sockets (prep_pair and friends put them at FD_SPARE) */
		    T(socket, A(0) | A(1) | A(2), 0, NULL, NULL, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
		    T(socketpair, A(0) | A(1) | A(2), 0, NULL, obs_pipefds, AF_UNIX, SOCK_DGRAM, 0,
		      (uint64_t)pipefds),
		    T(bind, A(0) | A(2), 0, prep_sock, NULL, FD_SPARE, (uint64_t)&sun_abs, SUN_ABS_LEN),
		    T(listen, A(0) | A(1), 0, prep_bound, NULL, FD_SPARE, 3),
		    T(connect, A(0) | A(2), 0, prep_listener, NULL, FD_SPARE2, (uint64_t)&sun_abs,
		      SUN_ABS_LEN),
		    T(accept, A(0), 0, prep_pending, NULL, FD_SPARE, 0, 0),
		    T(accept4, A(0) | A(3), 0, prep_pending, NULL, FD_SPARE, B, (uint64_t)&namelen_v,
		      SOCK_CLOEXEC),
		    T(shutdown, A(0) | A(1), 0, prep_pair, NULL, FD_SPARE, SHUT_WR),
		    T(getsockname, A(0), 0, prep_bound, obs_buf, FD_SPARE, B, (uint64_t)&namelen_v),
		    T(getpeername, A(0), 0, prep_pair, NULL, FD_SPARE, B, (uint64_t)&namelen_v),
		    T(getsockopt, A(0) | A(1) | A(2), 0, prep_pair, obs_buf, FD_SPARE, SOL_SOCKET,
		      SO_TYPE, B, (uint64_t)&optlen_v),
		    T(setsockopt, A(0) | A(1) | A(2) | A(4), 0, prep_pair, NULL, FD_SPARE, SOL_SOCKET,
		      SO_PASSCRED, (uint64_t)&one_v, 4),
		    T(sendto, A(0) | A(3) | A(5), 0, prep_pair, NULL, FD_SPARE, B, 8, 0, 0, 0),
		    T(recvfrom, A(0) | A(3) | A(5), 0, prep_pair_data, obs_buf, FD_SPARE, B, 64,
		      MSG_DONTWAIT, 0, 0),
		    T(sendmsg, A(0) | A(2), 0, prep_pair, NULL, FD_SPARE, (uint64_t)&smsg, 0),
		    T(recvmsg, A(0) | A(2), 0, prep_pair_data, obs_buf, FD_SPARE, (uint64_t)&rmsg,
		      MSG_DONTWAIT),
		    T(sendmmsg, A(0) | A(2) | A(3), 0, prep_pair, NULL, FD_SPARE, (uint64_t)&smsg, 1, 0),
		    T(recvmmsg, A(0) | A(2) | A(3), 0, prep_pair_data, obs_buf, FD_SPARE,
		      (uint64_t)&rmsg, 1, MSG_DONTWAIT, 0),
		    /* inotify: FD_SPARE watches p_file as wd 1 (prep_inotify) */
		    T(inotify_init, 0, 0, NULL, obs_inotify),
		    T(inotify_init1, A(0), 0, NULL, obs_inotify, IN_CLOEXEC | IN_NONBLOCK),
		    T(inotify_add_watch, A(0) | A(2), 0, prep_inotify, NULL, FD_SPARE,
		      (uint64_t)p_file, IN_MODIFY | IN_MASK_ADD),
		    T(inotify_rm_watch, A(0) | A(1), 0, prep_inotify, NULL, FD_SPARE, 1),
		    /* paths */
		    T(stat, 0, 0, NULL, NULL, (uint64_t)s_file, B),
		    T(lstat, 0, 0, NULL, NULL, (uint64_t)p_link, B),
		    T(newfstatat, A(0) | A(3), 0, NULL, NULL, D, (uint64_t)"link", B, 0x100),
		    T(statx, A(0) | A(2) | A(3), 0, NULL, NULL, D, (uint64_t)"file", 0, STATX_BASIC, B),
		    T(access, A(1), 0, NULL, NULL, (uint64_t)s_file, R_OK),
		    T(faccessat, A(0) | A(2), 0, NULL, NULL, D, (uint64_t)"file", R_OK),
		    T(faccessat2, A(0) | A(2) | A(3), 0, NULL, NULL, D, (uint64_t)"file", R_OK, 0),
		    T(readlink, A(2), 0, NULL, obs_buf, (uint64_t)p_link, B, 64),
		    T(readlinkat, A(0) | A(3), 0, NULL, obs_buf, D, (uint64_t)"link", B, 64),
		    T(getcwd, 0, 0, NULL, NULL, B, 256),
		    T(chdir, 0, 0, NULL, NULL, (uint64_t)work),
		    T(mkdir, A(1), 0, prep_no_new, NULL, (uint64_t)s_dir, 0755),
		    T(mkdirat, A(0) | A(2), 0, prep_no_new, NULL, D, (uint64_t)"d", 0755),
		    /* fifo: */
		    T(mknod, A(1) | A(2), 0, prep_no_new, NULL, (uint64_t)s_new, S_IFIFO | 0600, 0),
		    T(mknodat, A(0) | A(2) | A(3), 0, prep_no_new, NULL, D, (uint64_t)"n",
		      S_IFIFO | 0600, 0),
		    T(rmdir, 0, 0, prep_dir, NULL, (uint64_t)s_dir),
		    T(unlink, 0, 0, prep_new_file, NULL, (uint64_t)s_new),
		    T(unlinkat, A(0) | A(2), 0, prep_new_file, NULL, D, (uint64_t)"n", 0),
		    T(unlinkat, A(0) | A(2), 0, prep_dir, NULL, D, (uint64_t)"d", 0x200),
		    T(rename, 0, 0, prep_new_file, NULL, (uint64_t)s_new, (uint64_t)s_new2),
		    T(renameat, A(0) | A(2), 0, prep_new_file, NULL, D, (uint64_t)"n", D, (uint64_t)"n2"),
		    T(renameat2, A(0) | A(2) | A(4), 0, prep_new_file, NULL, D, (uint64_t)"n", D,
		      (uint64_t)"n2", 0),
		    T(link, 0, 0, prep_no_new, NULL, (uint64_t)s_file, (uint64_t)s_new),
		    T(linkat, A(0) | A(2) | A(4), 0, prep_no_new, NULL, D, (uint64_t)"file", D,
		      (uint64_t)"n", 0),
		    T(symlink, 0, 0, prep_no_new, NULL, (uint64_t)"file", (uint64_t)s_new),
		    T(symlinkat, A(1), 0, prep_no_new, NULL, (uint64_t)"file", D, (uint64_t)"n"),
		    T(chmod, A(1), 0, NULL, obs_mode, (uint64_t)s_file, 0604),
		    T(fchmodat, A(0) | A(2), 0, NULL, obs_mode, D, (uint64_t)"file", 0660),
		    T(chown, A(1) | A(2), 0, NULL, NULL, (uint64_t)s_file, (uint32_t)-1, (uint32_t)-1),
		    T(lchown, A(1) | A(2), 0, NULL, NULL, (uint64_t)p_link, (uint32_t)-1, (uint32_t)-1),
		    T(fchownat, A(0) | A(2) | A(3) | A(4), 0, NULL, NULL, D, (uint64_t)"file",
		      (uint32_t)-1, (uint32_t)-1, 0),
		    T(umask, A(0), 0, NULL, obs_umask, 027),
		    T(utimensat, A(0) | A(3), 0, NULL, NULL, D, (uint64_t)"file", 0, 0),
		    T(utimensat, A(0) | A(3), 0, NULL, NULL, F, 0, 0, 0),
		    T(truncate, 0, 0, NULL, obs_size, (uint64_t)s_file, 20),
		    T(statfs, 0, 0, NULL, NULL, (uint64_t)s_file, B),
		    T(setxattr, A(4), 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.t", B, 1, 0),
		    T(lsetxattr, A(4), 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.t", B, 1, 0),
		    T(fsetxattr, A(0) | A(4), 0, NULL, NULL, F, (uint64_t)"user.t", B, 1, 0),
		    T(getxattr, 0, 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.none", B, 64),
		    T(lgetxattr, 0, 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.none", B, 64),
		    T(fgetxattr, A(0), 0, NULL, NULL, F, (uint64_t)"user.none", B, 64),
		    T(listxattr, 0, 0, NULL, NULL, (uint64_t)s_file, B, 0),
		    T(llistxattr, 0, 0, NULL, NULL, (uint64_t)s_file, B, 0),
		    T(flistxattr, A(0), 0, NULL, NULL, F, B, 0),
		    T(removexattr, 0, 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.none"),
		    T(lremovexattr, 0, 0, NULL, NULL, (uint64_t)s_file, (uint64_t)"user.none"),
		    T(fremovexattr, A(0), 0, NULL, NULL, F, (uint64_t)"user.none"),
		    /* memory */
		    T(brk, 0, F_SIGN, NULL, NULL, 0),
		    T(mmap, A(2) | A(3) | A(4), F_SIGN, NULL, NULL, 0, 4096, PROT_READ, MAP_PRIVATE, F, 0),
		    T(mmap, A(4), F_SIGN, NULL, NULL, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		      (uint32_t)-1, 0),
		    T(mprotect, 0, 0, NULL, NULL, page, 4096, PROT_READ),
		    T(munmap, 0, 0, NULL, NULL, page, 4096),
		    T(mremap, 0, 0, NULL, NULL, page, 4096, 4096, 0, 0),
		    T(madvise, A(2), 0, NULL, NULL, page, 4096, 0 /* NORMAL */),
		    T(msync, A(2), 0, NULL, NULL, page, 4096, MS_ASYNC),
		    T(mlock, 0, 0, NULL, NULL, page, 4096),
		    T(munlock, 0, 0, NULL, NULL, page, 4096),
		    T(mlockall, A(0), 0, NULL, NULL, 0 /* no flag: EINVAL */),
		    T(munlockall, 0, F_NOARG, NULL, NULL, 0),
		    T(sync, 0, F_NOARG, NULL, NULL, 0),
		    /* polling */
		    T(poll, A(1) | A(2), 0, NULL, NULL, (uint64_t)&sevp, 0, 0),
		    T(ppoll, A(1), 0, NULL, NULL, (uint64_t)&sevp, 0, (uint64_t)&ts0, 0, 8),
		    T(select, A(0), 0, prep_drain, NULL, FD_PW + 1, 0, (uint64_t)&fdset_w, 0,
		      (uint64_t)&tv0),
		    T(pselect6, A(0), 0, prep_drain, NULL, FD_PW + 1, 0, (uint64_t)&fdset_w, 0,
		      (uint64_t)&ts0, (uint64_t)&sig6),
		    T(epoll_create, A(0), 0, NULL, NULL, 1),
		    T(epoll_create1, A(0), 0, NULL, NULL, EPOLL_CLOEXEC),
		    T(epoll_ctl, A(0) | A(1) | A(2), 0, prep_epoll, NULL, FD_SPARE, EPOLL_CTL_ADD,
		      FD_PR, (uint64_t)&epev),
		    T(epoll_wait, A(0) | A(2) | A(3), 0, prep_epoll, NULL, FD_SPARE, (uint64_t)epbuf,
		      4, 0),
		    T(epoll_pwait, A(0) | A(2) | A(3), 0, prep_epoll, NULL, FD_SPARE,
		      (uint64_t)epbuf, 4, 0, 0, 8),
		    T(epoll_pwait2, A(0) | A(2), 0, prep_epoll, NULL, FD_SPARE, (uint64_t)epbuf, 4,
		      (uint64_t)&ts0, 0, 8),
		    /* signals */
		    T(rt_sigaction, A(0), 0, NULL, NULL, SIGUSR1, (uint64_t)&ksa, B, 8),
		    T(rt_sigprocmask, A(0), 0, NULL, obs_mask, SIG_BLOCK, (uint64_t)&sigset_usr1, B, 8),
		    T(rt_sigpending, 0, 0, NULL, NULL, B, 8),
		    T(rt_sigsuspend, 0, 0, prep_alarm, NULL, (uint64_t)&sigset_none, 8),
		    T(rt_sigtimedwait, 0, 0, NULL, NULL, (uint64_t)&sigset_usr1, 0, (uint64_t)&ts0, 8),
		    T(pause, 0, F_NOARG, prep_alarm, NULL, 0),
		    T(kill, A(0) | A(1), 0, NULL, NULL, (uint64_t)parent, 0),
		    T(tkill, A(0) | A(1), 0, NULL, NULL, (uint64_t)parent, 0),
		    T(tgkill, A(0) | A(1) | A(2), 0, NULL, NULL, (uint64_t)parent, (uint64_t)parent, 0),
		    T(rt_sigqueueinfo, A(0) | A(1), 0, NULL, NULL, (uint64_t)parent, 0,
		      (uint64_t)&qinfo),
		    T(rt_tgsigqueueinfo, A(0) | A(1) | A(2), 0, NULL, NULL, (uint64_t)parent,
		      (uint64_t)parent, 0, (uint64_t)&qinfo),
		    T(sigaltstack, 0, 0, NULL, NULL, 0, B),
		    SKIP(rt_sigreturn, "its argument is the frame on the stack (t_signal, t_sigfault)"),
		    /* processes */
		    T(exit, A(0), 0, NULL, NULL, 3),
		    T(exit_group, A(0), 0, NULL, NULL, 4),
		    T(fork, 0, F_NOARG | F_SIGN, NULL, NULL, 0),
		    SKIP(vfork, "takes no argument, and a vfork child may not return from syscall()"),
		    T(clone, A(0), F_SIGN, NULL, NULL, SIGCHLD, 0, 0, 0, 0),
		    /* clone3: a pointer and a size_t, no 32-bit argument: the base run only */
		    T(clone3, 0, F_SIGN, NULL, NULL, (uint64_t)clone3_fork, sizeof(clone3_fork)),
		    /* pidfds: of the parent, signal 0 */
		    T(pidfd_open, A(0) | A(1), 0, NULL, NULL, (uint64_t)parent, 0),
		    T(pidfd_send_signal, A(0) | A(1) | A(3), 0, prep_pidfd, NULL, FD_SPARE, 0, 0, 0),
		    T(pidfd_getfd, A(0) | A(1) | A(2), 0, prep_pidfd, NULL, FD_SPARE, FD_FILE, 0),
		    T(execve, 0, 0, NULL, NULL, (uint64_t)"/nonexistent/t_highbits", (uint64_t)no_argv,
		      (uint64_t)no_argv),
		    T(wait4, A(0) | A(2), F_SIGN, prep_child, obs_status, (uint64_t)-1, B, 0, 0),
		    T(waitid, A(0) | A(1) | A(3), 0, prep_child, NULL, P_ALL, 0, B, WEXITED, 0),
		    T(getpid, 0, F_NOARG | F_PID, NULL, NULL, 0),
		    T(gettid, 0, F_NOARG | F_PID, NULL, NULL, 0),
		    T(getppid, 0, F_NOARG, NULL, NULL, 0),
		    T(getuid, 0, F_NOARG, NULL, NULL, 0),
		    T(geteuid, 0, F_NOARG, NULL, NULL, 0),
		    T(getgid, 0, F_NOARG, NULL, NULL, 0),
		    T(getegid, 0, F_NOARG, NULL, NULL, 0),
		    T(getpgrp, 0, F_NOARG, NULL, NULL, 0),
		    T(setsid, 0, F_NOARG | F_PID, NULL, NULL, 0),
		    T(getpgid, A(0), 0, NULL, NULL, 0),
		    T(getsid, A(0), 0, NULL, NULL, 0),
		    T(setpgid, A(0) | A(1), 0, NULL, NULL, 0, 0),
		    T(getgroups, A(0), 0, NULL, NULL, 0, 0),
		    T(getresuid, 0, 0, NULL, NULL, B, B + 4, B + 8),
		    T(getresgid, 0, 0, NULL, NULL, B, B + 4, B + 8),
		    T(setuid, A(0), 0, NULL, NULL, my_uid),
		    T(setgid, A(0), 0, NULL, NULL, my_gid),
		    T(setreuid, A(0) | A(1), 0, NULL, NULL, (uint32_t)-1, (uint32_t)-1),
		    T(setregid, A(0) | A(1), 0, NULL, NULL, (uint32_t)-1, (uint32_t)-1),
		    T(setresuid, A(0) | A(1) | A(2), 0, NULL, NULL, (uint32_t)-1, (uint32_t)-1,
		      (uint32_t)-1),
		    T(setresgid, A(0) | A(1) | A(2), 0, NULL, NULL, (uint32_t)-1, (uint32_t)-1,
		      (uint32_t)-1),
		    T(setfsuid, A(0), 0, NULL, NULL, my_uid),
		    T(setfsgid, A(0), 0, NULL, NULL, my_gid),
		    T(getrlimit, A(0), 0, NULL, NULL, RLIMIT_NOFILE, B),
		    T(setrlimit, A(0), 0, NULL, NULL, RLIMIT_CORE, (uint64_t)&core_rl),
		    T(prlimit64, A(0) | A(1), 0, NULL, NULL, 0, RLIMIT_NOFILE, 0, B),
		    T(getrusage, A(0), 0, NULL, NULL, RUSAGE_SELF, B),
		    T(getrusage, A(0), 0, NULL, NULL, RUSAGE_THREAD_, B),
		    T(arch_prctl, A(0), 0, NULL, NULL, ARCH_GET_FS, B),
		    T(arch_prctl, A(0), 0, NULL, NULL, ARCH_SET_FS, 0 /* fsbase: set below */),
		    T(prctl, A(0), 0, NULL, obs_buf, PR_GET_NAME, B, 0, 0, 0),
		    T(prctl, A(0), 0, NULL, obs_comm, PR_SET_NAME, (uint64_t)"hb-name", 0, 0, 0),
		    SKIP(ptrace, "EPERM under uvk whatever its arguments; natively it would trace"),
		    T(set_tid_address, 0, F_PID, NULL, NULL, (uint64_t)&tid_word),
		    T(set_robust_list, 0, 0, NULL, NULL, (uint64_t)&robust, 24),
		    T(futex, A(1) | A(2), 0, NULL, NULL, (uint64_t)&futex_word, FUTEX_WAKE_, 1, 0, 0,
		      0),
		    /* futex: a WAIT_BITSET on a word that changed, a CMP_REQUEUE whose count is arg 3 */
		    T(futex, A(1) | A(2) | A(5), 0, NULL, NULL, (uint64_t)&futex_word, 9, 12345, 0, 0,
		      1),
		    T(futex, A(1) | A(2) | A(3) | A(5), 0, NULL, NULL, (uint64_t)&futex_word, 4, 1, 1,
		      (uint64_t)&futex_word, 0),
		    T(get_robust_list, A(0), 0, NULL, NULL, 0, B, B + 8),
		    T(rseq, A(1) | A(2) | A(3), 0, NULL, NULL, 0, 0, 0, 0),
		    /* scheduling */
		    T(sched_yield, 0, F_NOARG, NULL, NULL, 0),
		    T(sched_getscheduler, A(0), 0, NULL, NULL, 0),
		    T(sched_getparam, A(0), 0, NULL, NULL, 0, B),
		    T(sched_setscheduler, A(0) | A(1), 0, NULL, NULL, 0, SCHED_OTHER,
		      (uint64_t)&sched_prio0),
		    T(sched_setparam, A(0), 0, NULL, NULL, 0, (uint64_t)&sched_prio0),
		    T(sched_get_priority_max, A(0), 0, NULL, NULL, SCHED_OTHER),
		    T(sched_get_priority_min, A(0), 0, NULL, NULL, SCHED_OTHER),
		    T(sched_getaffinity, A(0) | A(1), 0, NULL, NULL, 0, sizeof(cpumask), B),
		    T(sched_setaffinity, A(0) | A(1), 0, NULL, NULL, 0, (uint64_t)cpumask_len,
		      (uint64_t)cpumask),
		    T(getcpu, 0, 0, NULL, NULL, B, B, 0),
		    /* time */
		    T(clock_gettime, A(0), 0, NULL, NULL, CLOCK_MONOTONIC, B),
		    T(clock_getres, A(0), 0, NULL, NULL, CLOCK_MONOTONIC, B),
		    T(clock_gettime, A(0), 0, NULL, NULL, CLOCK_THREAD_CPUTIME_ID, B),
		    T(clock_getres, A(0), 0, NULL, NULL, CPUCLOCK_SELF_THREAD, B),
		    T(clock_nanosleep, A(0) | A(1), 0, NULL, NULL, CLOCK_MONOTONIC, 0, (uint64_t)&ts0, 0),
		    T(clock_nanosleep, A(0) | A(1), 0, NULL, NULL, CLOCK_THREAD_CPUTIME_ID, 0,
		      (uint64_t)&ts0, 0),
		    T(nanosleep, 0, 0, NULL, NULL, (uint64_t)&ts0, 0),
		    T(gettimeofday, 0, 0, NULL, NULL, B, 0),
		    T(time, 0, F_SIGN, NULL, NULL, 0),
		    T(times, 0, F_SIGN, NULL, NULL, 0),
		    T(getitimer, A(0), 0, NULL, NULL, ITIMER_REAL, B),
		    T(setitimer, A(0), 0, NULL, NULL, ITIMER_REAL, (uint64_t)&itv0, B),
		    T(alarm, A(0), 0, NULL, NULL, 0),
		    T(timer_create, A(0), 0, NULL, obs_status, CLOCK_MONOTONIC, 0, B),
		    T(timer_create, A(0), 0, NULL, obs_status, CLOCK_PROCESS_CPUTIME_ID, 0, B),
		    T(timer_create, A(0), 0, NULL, obs_status, CLOCK_MONOTONIC, (uint64_t)&sevp, B),
		    T(timer_settime, A(0) | A(1), 0, prep_timer, NULL, 0, 0, (uint64_t)&its0, B),
		    T(timer_gettime, A(0), 0, prep_timer, NULL, 0, B),
		    T(timer_getoverrun, A(0), 0, prep_timer, NULL, 0),
		    T(timer_delete, A(0), 0, prep_timer, NULL, 0),
		    /* the rest */
		    T(uname, 0, 0, NULL, NULL, B),
		    T(sysinfo, 0, 0, NULL, NULL, B),
		    T(getrandom, A(2), 0, NULL, NULL, B, 16, 0),
		};
		/* clang-format on */
		struct tcase *c;

		sevp.notify = 1; /* SIGEV_NONE: the timer_create row with a sigevent */
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			c = &cases[i];
			if (c->nr == SYS_arch_prctl && c->a[0] == ARCH_SET_FS)
				c->a[1] = fsbase;
			check_case(c);
		}
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			wide_case(&cases[i]);
	}
	check_wide();
	check_number();
	check_noops();
	check_names();
	teardown();
	return guest_end();
}
