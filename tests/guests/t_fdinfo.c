/*
 * t_fdinfo - /proc/PID/fdinfo/N as proc(5) describes it, for each kind of
 * descriptor.
 *
 * Usage: t_fdinfo DIR   (DIR: a writable directory)
 *
 * Checks:
 *   - the common lines: pos (a host file after lseek, a file after writes),
 *     flags in octal as F_GETFL gives them with O_CLOEXEC added when the
 *     descriptor has FD_CLOEXEC (set at open or by F_SETFD), mnt_id a
 *     number, ino what fstat says; for a file, a directory, an O_PATH
 *     descriptor, pipe ends;
 *   - eventfd: eventfd-count (%16llx), eventfd-id, eventfd-semaphore;
 *   - timerfd: clockid, ticks, settime flags, it_value, it_interval,
 *     disarmed, armed relative and armed absolute;
 *   - signalfd: sigmask; pidfd: Pid and NSpid, Pid -1 once reaped;
 *   - inotify: a watch's wd, ino, sdev, mask (IN_ONESHOT included);
 *   - epoll: the tfd line of an entry (events with EPOLLERR|EPOLLHUP added);
 *   - /proc/self/fdinfo lists the open descriptors, as /proc/PID/fdinfo;
 *     a closed one is ENOENT.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

/* The kernel's O_LARGEFILE, which open forces on x86-64 (libcs define it as 0). */
#define LF 0100000

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static char text[8192];

/* The text of /proc/self/fdinfo/fd (or of pid's), into text; -1 and errno on failure. */
static int
fdinfo_of(int pid, int fd)
{
	char path[64];
	ssize_t n, got = 0;
	int f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	while ((n = read(f, text + got, sizeof(text) - 1 - got)) > 0)
		got += n;
	text[got] = '\0';
	close(f);
	return 0;
}

/* The value after "name" at a line's start, or NULL. */
static const char *
field(const char *name)
{
	size_t len = strlen(name);
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, name, len) == 0)
			return s + len;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return NULL;
}

/* The line starting with name, without its newline, or "(none)". */
static const char *
line(const char *name)
{
	static char buf[512];
	const char *v = field(name);
	size_t n;

	if (!v)
		return "(none)";
	v -= strlen(name);
	n = strcspn(v, "\n");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* The four common lines of fd: pos, flags, a numeric mnt_id, ino as fstat. */
static void
common(const char *what, int fd, long long pos, unsigned flags)
{
	char want[128], name[160];
	struct stat st;
	const char *m;

	if (fdinfo_of(0, fd) < 0) {
		check(0, what, "(got errno %s, want the file)", errname(errno));
		return;
	}
	fstat(fd, &st);
	snprintf(name, sizeof(name), "%s: pos", what);
	snprintf(want, sizeof(want), "pos:\t%lld", pos);
	CHECK_STR(name, line("pos:"), want);
	snprintf(name, sizeof(name), "%s: flags", what);
	snprintf(want, sizeof(want), "flags:\t0%o", flags);
	CHECK_STR(name, line("flags:"), want);
	snprintf(name, sizeof(name), "%s: ino", what);
	snprintf(want, sizeof(want), "ino:\t%llu", (unsigned long long)st.st_ino);
	CHECK_STR(name, line("ino:"), want);
	m = field("mnt_id:\t");
	snprintf(name, sizeof(name), "%s: mnt_id a number", what);
	CHECK_TRUE(name, m && *m >= '0' && *m <= '9', "(got \"%s\")", line("mnt_id:"));
	snprintf(name, sizeof(name), "%s: flags as F_GETFL and FD_CLOEXEC", what);
	CHECK_EQX(name, flags, (unsigned)fcntl(fd, F_GETFL) |
				   ((fcntl(fd, F_GETFD) & FD_CLOEXEC) ? O_CLOEXEC : 0));
}

static unsigned
kdev(dev_t d)
{
	return major(d) << 20 | minor(d);
}

static void
files(const char *dir, const char *self)
{
	char path[600];
	int fd, p[2];

	fd = open(self, O_RDONLY | O_CLOEXEC);
	lseek(fd, 5, SEEK_SET);
	common("host file, O_CLOEXEC, at 5", fd, 5, O_RDONLY | LF | O_CLOEXEC);
	fcntl(fd, F_SETFD, 0);
	common("FD_CLOEXEC cleared", fd, 5, O_RDONLY | LF);
	close(fd);
	snprintf(path, sizeof(path), "%s/fdinfo.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0600);
	write(fd, "abc", 3);
	common("O_APPEND file after 3 bytes", fd, 3, O_RDWR | O_APPEND | LF);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	common("FD_CLOEXEC set", fd, 3, O_RDWR | O_APPEND | LF | O_CLOEXEC);
	close(fd);
	unlink(path);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	common("directory", fd, 0, O_RDONLY | O_DIRECTORY | LF);
	close(fd);
	fd = open(dir, O_PATH);
	common("O_PATH", fd, 0, O_PATH);
	close(fd);
	pipe2(p, O_NONBLOCK);
	common("pipe read end", p[0], 0, O_RDONLY | O_NONBLOCK);
	common("pipe write end", p[1], 0, O_WRONLY | O_NONBLOCK);
	close(p[0]);
	close(p[1]);
}

static void
kinds(void)
{
	struct itimerspec its = {{1, 0}, {100, 0}};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	char want[256];
	struct stat st;
	sigset_t set;
	int e, t, s, pf, in, ep, st2;
	unsigned long long sec = 0, nsec = 0;
	pid_t pid;

	e = eventfd(5, EFD_SEMAPHORE | EFD_NONBLOCK);
	common("eventfd", e, 0, O_RDWR | O_NONBLOCK);
	CHECK_STR("eventfd-count", line("eventfd-count:"), "eventfd-count:                5");
	CHECK_STR("eventfd-semaphore", line("eventfd-semaphore:"), "eventfd-semaphore: 1");
	CHECK_TRUE("eventfd-id a number", field("eventfd-id: ") && *field("eventfd-id: ") >= '0' &&
		   *field("eventfd-id: ") <= '9', "(got \"%s\")", line("eventfd-id:"));

	t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	common("timerfd", t, 0, O_RDWR | O_CLOEXEC);
	CHECK_STR("timerfd clockid", line("clockid:"), "clockid: 1");
	CHECK_STR("timerfd ticks", line("ticks:"), "ticks: 0");
	CHECK_STR("timerfd settime flags", line("settime flags:"), "settime flags: 00");
	CHECK_STR("timerfd disarmed it_value", line("it_value:"), "it_value: (0, 0)");
	CHECK_STR("timerfd disarmed it_interval", line("it_interval:"), "it_interval: (0, 0)");
	timerfd_settime(t, 0, &its, NULL);
	fdinfo_of(0, t);
	CHECK_STR("armed it_interval", line("it_interval:"), "it_interval: (1, 0)");
	sscanf(field("it_value: ") ? field("it_value: ") : "", "(%llu, %llu)", &sec, &nsec);
	CHECK_TRUE("armed it_value below 100 s", sec >= 90 && sec <= 99 && nsec < 1000000000ULL,
		   "(got \"%s\")", line("it_value:"));
	clock_gettime(CLOCK_MONOTONIC, &its.it_value);
	its.it_value.tv_sec += 1000;
	its.it_interval.tv_sec = 0;
	timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
	fdinfo_of(0, t);
	CHECK_STR("TFD_TIMER_ABSTIME: settime flags", line("settime flags:"), "settime flags: 01");
	CHECK_STR("one-shot it_interval", line("it_interval:"), "it_interval: (0, 0)");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	s = signalfd(-1, &set, 0);
	common("signalfd", s, 0, O_RDWR);
	CHECK_STR("signalfd sigmask", line("sigmask:"), "sigmask:\t0000000000004200");

	pf = (int)syscall(SYS_pidfd_open, getpid(), 0);
	common("pidfd", pf, 0, O_RDWR | O_CLOEXEC);
	snprintf(want, sizeof(want), "Pid:\t%d", (int)getpid());
	CHECK_STR("pidfd Pid", line("Pid:"), want);
	snprintf(want, sizeof(want), "NSpid:\t%d", (int)getpid());
	CHECK_STR("pidfd NSpid", line("NSpid:"), want);
	close(pf);
	pid = fork();
	if (pid == 0)
		_exit(0);
	pf = (int)syscall(SYS_pidfd_open, pid, 0);
	waitpid(pid, &st2, 0);
	fdinfo_of(0, pf);
	CHECK_STR("pidfd of a reaped child: Pid -1", line("Pid:"), "Pid:\t-1");
	CHECK_STR("... and NSpid -1", line("NSpid:"), "NSpid:\t-1");
	close(pf);

	in = inotify_init1(0);
	inotify_add_watch(in, "/", IN_MODIFY | IN_ONESHOT);
	common("inotify", in, 0, O_RDONLY);
	stat("/", &st);
	snprintf(want, sizeof(want), "inotify wd:1 ino:%llx sdev:%x mask:80000002 ignored_mask:0",
		 (unsigned long long)st.st_ino, kdev(st.st_dev));
	CHECK_TRUE("inotify watch line", strncmp(line("inotify "), want, strlen(want)) == 0,
		   "(got \"%s\", want \"%s...\")", line("inotify "), want);

	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
	common("epoll", ep, 0, O_RDWR);
	fstat(e, &st);
	snprintf(want, sizeof(want), "tfd: %8d events: %8x data: %16llx  pos:0 ino:%llx sdev:%x", e,
		 EPOLLIN | EPOLLERR | EPOLLHUP, 0x1234ULL, (unsigned long long)st.st_ino,
		 kdev(st.st_dev));
	CHECK_STR("epoll tfd line", line("tfd:"), want);

	/* The same through /proc/PID. */
	{
		char again[sizeof(text)];

		fdinfo_of(0, ep);
		memcpy(again, text, sizeof(text));
		CHECK_OK("/proc/PID/fdinfo/N", fdinfo_of((int)getpid(), ep));
		CHECK_STR("/proc/PID/fdinfo/N as /proc/self's", text, again);
	}
	close(ep);
	close(in);
	close(s);
	close(t);
	close(e);
}

static void
listing(void)
{
	char seen[64] = {0}, path[64];
	struct dirent *d;
	DIR *dir;
	int fd, i, ok = 1, n = 0;

	fd = dup(1); /* one more descriptor to list */
	dir = opendir("/proc/self/fdinfo");
	CHECK_TRUE("opendir /proc/self/fdinfo", dir != NULL, "(got errno %s)", errname(errno));
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		int v = atoi(d->d_name);

		if (d->d_name[0] == '.')
			continue;
		n++;
		if (v >= 0 && v < 64)
			seen[v] = 1;
		if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
			ok = 0;
	}
	closedir(dir);
	CHECK_TRUE("listed entries are regular files", ok, "(a d_type not DT_REG)");
	for (i = 0; i < 64; i++) {
		int open_ = fcntl(i, F_GETFD) >= 0;

		/* The directory stream's own descriptor was open while listing. */
		if (seen[i] != open_ && !(seen[i] && !open_))
			ok = 0;
	}
	CHECK_TRUE("every open descriptor listed", ok && seen[0] && seen[1] && seen[fd],
		   "(0:%d 1:%d %d:%d)", seen[0], seen[1], fd, seen[fd]);
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	CHECK_ERR("a closed descriptor ENOENT", open(path, O_RDONLY), ENOENT);
	CHECK_ERR("fdinfo/999 ENOENT", open("/proc/self/fdinfo/999", O_RDONLY), ENOENT);
	CHECK_TRUE("entries counted", n >= 3, "(got %d)", n);
}

int
main(int argc, char **argv)
{
	guest_begin("t_fdinfo", "/proc/PID/fdinfo");
	if (argc < 2) {
		say("usage: t_fdinfo DIR\n");
		return 2;
	}
	files(argv[1], "/proc/self/exe");
	kinds();
	listing();
	return guest_end();
}
