/*
 * t_taskproc - what Linux keeps per thread, and per process, seen through
 * /proc, prctl, the CPU clocks and timers, and getrusage.
 *
 * Usage: t_taskproc            one thread (the program as it starts)
 *        t_taskproc threads    more threads
 *        t_taskproc rlimit     RLIMIT_CPU (about 3 s of CPU time)
 *
 * One thread:
 *   proc(5): /proc/self/task lists the one task, its tid; /proc/thread-self
 *     is a link to PID/task/TID; task/TID lists its files, not task/;
 *     task/TID/stat says the tid, the name, the parent, group and session
 *     and num_threads 1 (field 20) in 52 fields; task/TID/status says
 *     Name, Tgid = pid, Pid = tid, Threads: 1; /proc/TID, the tid of the
 *     caller's task, is found; task/NOTATID, task/+TID, task/0TID are not;
 *     status's SigBlk, SigPnd (the thread's: raise), ShdPnd (the
 *     process's: kill) and SigIgn masks;
 *   another process (a forked child) is listed in /proc, its stat, status,
 *     task/, cmdline and exe describe it, its comm is EINVAL to write, and
 *     /proc/PID goes when it is reaped; sysinfo(2) counts its task;
 *     /proc/stat has the cpu line and the boot time (procps's ps needs
 *     it); getloadavg(3) reads /proc/loadavg; /proc/self/statm has 7
 *     fields, size >= resident > 0;
 *   prctl(2) PR_SET_NAME shows in task/TID/comm, /proc/self/comm and
 *     /proc/thread-self/comm (the caller is the leader); a write to
 *     task/TID/comm renames the task: 15 bytes kept, a newline too, the
 *     whole count returned (fs/proc/base.c's comm_write), pwrite is
 *     ESPIPE; the same file inherited by a forked child is EINVAL there
 *     (not a task of its process);
 *   clock_gettime(2): CLOCK_THREAD_CPUTIME_ID and pthread_getcpuclockid's
 *     clock of the calling thread advance while it computes, read the
 *     same clock (between two reads of the other), and at most the
 *     process's; their resolution is 1 ns (the SCHED kind), a PROF
 *     clock's coarser; clock_getcpuclockid(getpid()) is a clock; a child
 *     process's thread clock is EINVAL (another process's thread), its
 *     process clock is readable until it is reaped, then EINVAL (for
 *     clock_getres too, which glibc's clock_getcpuclockid asks); a clockid
 *     of the CLOCKFD kind is EINVAL; clock_nanosleep(2) on
 *     CLOCK_THREAD_CPUTIME_ID is EOPNOTSUPP, on a CLOCKFD id too, and on
 *     the caller's own thread clock EINVAL (kernel/time/posix-cpu-timers.c);
 *   timer_create(2) on CLOCK_PROCESS_CPUTIME_ID does not fire during a
 *     200 ms sleep and fires once the process computed 50 ms, periodically
 *     too; on pthread_getcpuclockid's clock once the thread computed
 *     20 ms, and at once for TIMER_ABSTIME at a time already past; on a
 *     child's thread clock EINVAL, on a CLOCKFD id (a dynamic clock)
 *     EOPNOTSUPP;
 *   getrusage(2): RUSAGE_THREAD's time advances while the thread computes
 *     and is at most RUSAGE_SELF's read after it; neither, nor times(2),
 *     counts a 200 ms sleep as CPU time (less than 100 ms of it); wait4(2)
 *     and waitid(2) report a child's CPU time with that of the children it
 *     waited for, and RUSAGE_CHILDREN and times()'s children's time grow
 *     by it once it is reaped.
 *
 * threads: a second thread B starts with its creator's name, renames
 *   itself; /proc/self/task lists both tids, Threads: 2 and num_threads 2,
 *   task/B/status says Pid B, Tgid the pid, B's name and B's signal mask
 *   (SigBlk, not the main thread's), and /proc/B is found though /proc
 *   does not list it; B's /proc/thread-self names B; the main thread
 *   renames B through pthread_setname_np (task/B/comm) and B sees it with
 *   PR_GET_NAME; B's CPU clock (pthread_getcpuclockid) stands still while
 *   B sleeps and the main thread computes, and advances while B computes
 *   and the main thread sleeps (a 20 ms timer on it fires then, not
 *   before), while the main thread's own clock advances less than B's
 *   then; B's RUSAGE_THREAD counts B's time. Then the main thread calls
 *   pthread_exit and a third thread C sees it stay, a zombie (stat and
 *   status Z, still listed, Threads: 2, its thread clock readable,
 *   /proc/self/cmdline and maps empty, exe and cwd ENOENT), and ends the
 *   program.
 *
 * rlimit: setrlimit(2) RLIMIT_CPU in a child that computes: soft 1 s,
 *   hard 2 s, SIGXCPU caught: it comes, the soft limit then reads 2
 *   (Linux moves it a second on), and SIGKILL ends the child at the hard
 *   limit; soft 1 s alone: SIGXCPU's default action ends it. (Not checked:
 *   how much CPU time the child had then. Linux samples it by the tick and
 *   its rusage can say much less than the limit on a loaded machine.)
 *
 * No upper bound on how long anything takes: the only bounds are CPU time
 * against the wall time of a sleep.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define MS 1000000LL

/* Linux's CPU clockids (include/linux/posix-timers.h), as the libcs build them. */
#define CPU_PROCESS(pid)     ((clockid_t)((~(unsigned)(pid) << 3) | 2))
#define CPU_THREAD(tid)	     ((clockid_t)((~(unsigned)(tid) << 3) | 6))
#define CPU_THREAD_PROF(tid) ((clockid_t)((~(unsigned)(tid) << 3) | 4))
#define CPU_CLOCKFD(fd)	     ((clockid_t)((~(unsigned)(fd) << 3) | 3))

static long long
ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* A clock's reading in ns, -1 if it cannot be read (errno says why). */
static long long
clock_ns(clockid_t c)
{
	struct timespec t;

	if (syscall(SYS_clock_gettime, c, &t) != 0)
		return -1;
	return ts_ns(&t);
}

static long long
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

/* Compute for wall-clock ms milliseconds (the CPU time it takes is what is measured). */
static void
compute(long long ms)
{
	volatile unsigned long x = 1;
	long long end = mono() + ms * MS;
	int i;

	while (mono() < end)
		for (i = 0; i < 100000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
}

static int
gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

/* The contents of a small file, NUL-terminated; its length or -1. */
static long
slurp(const char *path, char *buf, size_t size)
{
	long n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	buf[total] = '\0';
	close(fd);
	return total;
}

/* The value of "Key:" in a status text, as a string (to its newline), or "" if absent. */
static const char *
status_field(const char *text, const char *key)
{
	static char val[128];
	size_t kl = strlen(key);
	const char *s = text;

	val[0] = '\0';
	while (s && *s) {
		if (strncmp(s, key, kl) == 0 && s[kl] == ':') {
			s += kl + 1;
			while (*s == '\t' || *s == ' ')
				s++;
			snprintf(val, sizeof(val), "%.*s", (int)strcspn(s, "\n"), s);
			return val;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return val;
}

/*
 * Field n (1-based, n >= 3) of a stat line, as a number; the name (field
 * 2) into name when asked. -1 when the line is not as proc(5) says.
 */
static long long
stat_field(const char *line, int n, char *name, size_t size)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')'), *s;
	int i;

	if (!open || !close || close < open)
		return -1;
	if (name)
		snprintf(name, size, "%.*s", (int)(close - open - 1), open + 1);
	s = close + 1;
	for (i = 3; i <= n; i++) {
		while (*s == ' ')
			s++;
		if (!*s)
			return -1;
		if (i == n)
			return *s >= '0' && *s <= '9' ? atoll(s) : (*s == '-' ? atoll(s) : *s);
		s += strcspn(s, " ");
	}
	return -1;
}

/* The names in a directory other than . and .., joined by spaces, sorted as listed. */
static int
list_dir(const char *path, char *out, size_t size)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	out[0] = '\0';
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n++)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, e->d_name, size - strlen(out) - 1);
	}
	closedir(d);
	return n;
}

/* Whether a directory lists name. */
static int
dir_has(const char *path, const char *name)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		found |= strcmp(e->d_name, name) == 0;
	closedir(d);
	return found;
}

static long long
ru_ns(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		return -1;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* ---- one thread ---------------------------------------------------------------------- */

static void
check_proc_task(void)
{
	char path[128], buf[4096], want[128], name[32], list[256];
	int pid = getpid(), tid = gettid_();
	long n;

	CHECK_EQ("the first thread's tid is the pid", tid, pid);
	snprintf(want, sizeof(want), "%d", tid);
	CHECK_EQ("/proc/self/task lists one task", list_dir("/proc/self/task", list, sizeof(list)),
		 1);
	CHECK_STR("... the caller's tid", list, want);
	CHECK_EQ("/proc lists thread-self", dir_has("/proc", "thread-self"), 1);

	n = readlink("/proc/thread-self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "%d/task/%d", pid, tid);
	CHECK_STR("readlink(/proc/thread-self) is PID/task/TID", buf, want);

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	CHECK_TRUE("task/TID lists comm, stat, status, fd, exe",
		   dir_has(path, "comm") == 1 && dir_has(path, "stat") == 1 &&
		       dir_has(path, "status") == 1 && dir_has(path, "fd") == 1 &&
		       dir_has(path, "exe") == 1,
		   "%d %d %d %d %d", dir_has(path, "comm"), dir_has(path, "stat"),
		   dir_has(path, "status"), dir_has(path, "fd"), dir_has(path, "exe"));
	CHECK_EQ("task/TID does not list task", dir_has(path, "task"), 0);
	CHECK_EQ("/proc/self lists task", dir_has("/proc/self", "task"), 1);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (CHECK_OK("read /proc/self/task/TID/stat", slurp(path, buf, sizeof(buf)))) {
		CHECK_EQ("stat field 1 is the tid", atoi(buf), tid);
		prctl(PR_GET_NAME, want);
		stat_field(buf, 3, name, sizeof(name));
		CHECK_STR("stat field 2 is the name", name, want);
		CHECK_EQ("stat field 3 (state) is R", stat_field(buf, 3, NULL, 0), 'R');
		CHECK_EQ("stat field 4 is the parent", stat_field(buf, 4, NULL, 0), getppid());
		CHECK_EQ("stat field 5 is the process group", stat_field(buf, 5, NULL, 0),
			 getpgrp());
		CHECK_EQ("stat field 6 is the session", stat_field(buf, 6, NULL, 0), getsid(0));
		CHECK_EQ("stat field 20 (num_threads) is 1", stat_field(buf, 20, NULL, 0), 1);
		CHECK_TRUE("stat has 52 fields", stat_field(buf, 52, NULL, 0) >= 0, "got \"%s\"",
			   buf);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (CHECK_OK("read /proc/self/task/TID/status", slurp(path, buf, sizeof(buf)))) {
		prctl(PR_GET_NAME, want);
		CHECK_STR("status Name: is the name", status_field(buf, "Name"), want);
		snprintf(want, sizeof(want), "%d", pid);
		CHECK_STR("status Tgid: is the pid", status_field(buf, "Tgid"), want);
		snprintf(want, sizeof(want), "%d", tid);
		CHECK_STR("status Pid: is the tid", status_field(buf, "Pid"), want);
		CHECK_STR("status Threads: is 1", status_field(buf, "Threads"), "1");
	}
	if (CHECK_OK("read /proc/self/status", slurp("/proc/self/status", buf, sizeof(buf))))
		CHECK_STR("/proc/self/status Threads: is 1", status_field(buf, "Threads"), "1");

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	CHECK_OK("/proc/TID/status of the caller is there", slurp(path, buf, sizeof(buf)));
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", 999999999);
	CHECK_ERR("/proc/self/task/999999999/stat is ENOENT", open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof(path), "/proc/self/task/+%d/stat", tid);
	CHECK_ERR("/proc/self/task/+TID/stat is ENOENT", open(path, O_RDONLY), ENOENT);
	snprintf(path, sizeof(path), "/proc/self/task/0%d/stat", tid);
	CHECK_ERR("/proc/self/task/0TID/stat is ENOENT", open(path, O_RDONLY), ENOENT);
	CHECK_ERR("/proc/self/task/0 is ENOENT", open("/proc/self/task/0", O_RDONLY), ENOENT);
}

/* A status line's hex mask, -1 if absent. */
static long long
status_mask(const char *path, const char *key)
{
	char buf[4096];
	const char *v;

	if (slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	v = status_field(buf, key);
	return *v ? (long long)strtoull(v, NULL, 16) : -1;
}

/*
 * Another process, a forked child asleep in read: /proc lists it and its
 * files describe it (as procps's ps reads them), but its comm is not ours
 * to write.
 */
static void
check_other_process(void)
{
	char path[128], buf[4096], mine[4096], want[64], name[32], exe[256];
	struct sysinfo si;
	int pfd[2], fd, st, i;
	long n;
	pid_t ch;

	if (!CHECK_OK("pipe", pipe(pfd)))
		return;
	prctl(PR_GET_NAME, name);
	ch = fork();
	if (ch == 0) {
		char x;

		close(pfd[1]);
		prctl(PR_SET_NAME, "tp-child");
		_exit(read(pfd[0], &x, 1) == 0 ? 0 : 1);
	}
	close(pfd[0]);
	snprintf(want, sizeof(want), "%d", ch);
	CHECK_EQ("/proc lists the child", dir_has("/proc", want), 1);
	CHECK_TRUE("sysinfo counts the child's task and ours", sysinfo(&si) == 0 && si.procs >= 2,
		   "procs %u", (unsigned)si.procs);
	snprintf(path, sizeof(path), "/proc/%d/stat", ch);
	/* Until the child has renamed itself and gone to sleep in its read. */
	for (i = 0; i < 10000; i++) {
		if (slurp(path, buf, sizeof(buf)) > 0 && stat_field(buf, 3, NULL, 0) == 'S' &&
		    strstr(buf, "(tp-child)"))
			break;
		usleep(1000);
	}
	CHECK_EQ("its stat: pid", atoi(buf), ch);
	stat_field(buf, 3, name, sizeof(name));
	CHECK_STR("its stat: name", name, "tp-child");
	CHECK_EQ("its stat: asleep (S)", stat_field(buf, 3, NULL, 0), 'S');
	CHECK_EQ("its stat: parent", stat_field(buf, 4, NULL, 0), getpid());
	snprintf(path, sizeof(path), "/proc/%d/status", ch);
	slurp(path, buf, sizeof(buf));
	CHECK_STR("its status: Pid", status_field(buf, "Pid"), want);
	snprintf(path, sizeof(path), "/proc/%d/task", ch);
	CHECK_EQ("its task/ lists its one task", dir_has(path, want), 1);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", ch);
	n = slurp(path, buf, sizeof(buf));
	CHECK_TRUE("its cmdline is ours (forked)",
		   n > 0 && n == slurp("/proc/self/cmdline", mine, sizeof(mine)) &&
		       memcmp(buf, mine, (size_t)n) == 0,
		   "%ld bytes", n);
	snprintf(path, sizeof(path), "/proc/%d/exe", ch);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	n = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
	mine[n > 0 ? n : 0] = '\0';
	CHECK_STR("its exe is ours", exe, mine);
	snprintf(path, sizeof(path), "/proc/%d/comm", ch);
	fd = open(path, O_WRONLY);
	if (CHECK_OK("open its comm for writing", fd)) {
		CHECK_ERR("a write to another process's comm is EINVAL", write(fd, "x", 1), EINVAL);
		close(fd);
	}
	close(pfd[1]);
	CHECK_TRUE("the child ends", waitpid(ch, &st, 0) == ch && WIFEXITED(st), "status %#x", st);
	snprintf(path, sizeof(path), "/proc/%d/stat", ch);
	CHECK_ERR("a reaped child's /proc/PID is gone", open(path, O_RDONLY), ENOENT);

	/* getloadavg(3) reads /proc/loadavg. */
	{
		double la[3] = {-1, -1, -1};

		CHECK_EQ("getloadavg gives 3 averages", getloadavg(la, 3), 3);
		CHECK_TRUE("... none negative", la[0] >= 0 && la[1] >= 0 && la[2] >= 0, "%f %f %f",
			   la[0], la[1], la[2]);
	}
	/* statm: 7 numbers of pages, the size at least the resident set, which is some. */
	if (CHECK_OK("read /proc/self/statm", slurp("/proc/self/statm", buf, sizeof(buf)))) {
		long long f[7] = {-1, -1, -1, -1, -1, -1, -1};
		int got = sscanf(buf, "%lld %lld %lld %lld %lld %lld %lld", &f[0], &f[1], &f[2],
				 &f[3], &f[4], &f[5], &f[6]);

		CHECK_EQ("statm has 7 fields", got, 7);
		CHECK_TRUE("statm size >= resident > 0", f[0] >= f[1] && f[1] > 0,
			   "size %lld resident %lld", f[0], f[1]);
	}
	/* /proc/stat: what ps needs of it, the boot time. */
	if (CHECK_OK("read /proc/stat", slurp("/proc/stat", buf, sizeof(buf)))) {
		const char *bt = strstr(buf, "\nbtime ");
		long long btime = bt ? atoll(bt + 7) : -1;

		CHECK_TRUE("/proc/stat starts with the cpu line", strncmp(buf, "cpu ", 4) == 0,
			   "\"%.20s\"", buf);
		CHECK_TRUE("/proc/stat btime is a time before now",
			   btime > 0 && btime <= time(NULL), "btime %lld, now %lld", btime,
			   (long long)time(NULL));
	}
}

static void
check_status_signals(void)
{
	unsigned long long usr1 = 1ULL << (SIGUSR1 - 1), usr2 = 1ULL << (SIGUSR2 - 1);
	sigset_t set, old;
	char path[128];
	int sig;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", gettid_());
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	raise(SIGUSR1);		 /* tgkill: the thread's own */
	kill(getpid(), SIGUSR2); /* the process's */
	CHECK_EQX("status SigBlk: has USR1 and USR2", status_mask(path, "SigBlk") & (usr1 | usr2),
		  usr1 | usr2);
	CHECK_EQX("status SigPnd: has USR1 (raise), not USR2",
		  status_mask(path, "SigPnd") & (usr1 | usr2), usr1);
	CHECK_EQX("status ShdPnd: has USR2 (kill), not USR1",
		  status_mask(path, "ShdPnd") & (usr1 | usr2), usr2);
	CHECK_EQX("status SigIgn: has PIPE", status_mask(path, "SigIgn") & (1ULL << (SIGPIPE - 1)),
		  1ULL << (SIGPIPE - 1));
	sigwait(&set, &sig);
	sigwait(&set, &sig);
	CHECK_EQX("status SigPnd and ShdPnd are clear once taken",
		  (status_mask(path, "SigPnd") | status_mask(path, "ShdPnd")) & (usr1 | usr2), 0);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
check_comm(void)
{
	char path[128], buf[64], name[32];
	int tid = gettid_(), fd, st;
	pid_t c;

	CHECK_EQ("prctl(PR_SET_NAME, tp-one)", prctl(PR_SET_NAME, "tp-one"), 0);
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	slurp(path, buf, sizeof(buf));
	CHECK_STR("task/TID/comm shows it", buf, "tp-one\n");
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK_STR("/proc/self/comm shows it", buf, "tp-one\n");
	slurp("/proc/thread-self/comm", buf, sizeof(buf));
	CHECK_STR("/proc/thread-self/comm shows it", buf, "tp-one\n");

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (!CHECK_OK("open task/TID/comm for writing", fd))
		return;
	CHECK_EQ("write 27 bytes to comm: 27", write(fd, "written-name-longer-than-15", 27), 27);
	prctl(PR_GET_NAME, name);
	CHECK_STR("PR_GET_NAME has the first 15", name, "written-name-lo");
	CHECK_EQ("write \"nl\\n\" to comm", write(fd, "nl\n", 3), 3);
	slurp(path, buf, sizeof(buf));
	CHECK_STR("the newline is part of the name", buf, "nl\n\n");
	CHECK_ERR("pwrite to comm is ESPIPE", pwrite(fd, "x", 1, 0), ESPIPE);

	c = fork();
	if (c == 0) {
		/* Not a task of the child's process: Linux's comm_write says EINVAL. */
		_exit(write(fd, "child", 5) == -1 && errno == EINVAL ? 0 : 1);
	}
	CHECK_TRUE("a forked child's write to its parent's comm is EINVAL",
		   c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "child status %#x", c > 0 ? st : -1);
	prctl(PR_GET_NAME, name);
	CHECK_STR("... and the name stays", name, "nl\n");
	close(fd);
	prctl(PR_SET_NAME, "t_taskproc");
}

static void
check_clocks(void)
{
	struct timespec res;
	clockid_t cid = 0, pcid = 0;
	long long a, b, c, d, pr;
	int tid = gettid_(), pfd[2], st;
	timer_t tm;
	char x;
	pid_t ch;

	CHECK_EQ("pthread_getcpuclockid(pthread_self())",
		 pthread_getcpuclockid(pthread_self(), &cid), 0);
	CHECK_EQ("... is the thread's clock as Linux encodes it", cid, CPU_THREAD(tid));
	a = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK_OK("clock_gettime(CLOCK_THREAD_CPUTIME_ID)", a);
	compute(30);
	b = clock_ns(cid);
	CHECK_OK("clock_gettime(pthread_getcpuclockid's clock)", b);
	c = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	pr = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	d = clock_ns(CPU_THREAD(0));
	CHECK_TRUE("the thread clock advanced while computing", c > a, "from %lld to %lld", a, c);
	CHECK_TRUE("the two name one clock: thread <= pthread clock <= thread", a <= b && b <= c,
		   "%lld, %lld, %lld", a, b, c);
	CHECK_TRUE("thread clock <= process clock", c <= pr, "thread %lld, process %lld", c, pr);
	CHECK_TRUE("clockid of tid 0 is the caller's thread clock", d >= c, "%lld after %lld", d,
		   c);

	res.tv_sec = res.tv_nsec = -1;
	CHECK_EQ("clock_getres(pthread clock)", syscall(SYS_clock_getres, cid, &res), 0);
	CHECK_EQ("... is 1 ns", ts_ns(&res), 1);
	res.tv_sec = res.tv_nsec = -1;
	CHECK_EQ("clock_getres(CLOCK_THREAD_CPUTIME_ID)",
		 syscall(SYS_clock_getres, CLOCK_THREAD_CPUTIME_ID, &res), 0);
	CHECK_EQ("... is 1 ns", ts_ns(&res), 1);
	res.tv_sec = res.tv_nsec = -1;
	CHECK_EQ("clock_getres(the thread's PROF clock)",
		 syscall(SYS_clock_getres, CPU_THREAD_PROF(tid), &res), 0);
	CHECK_TRUE("... is a tick: (1 ns, 10 ms]", ts_ns(&res) > 1 && ts_ns(&res) <= 10 * MS,
		   "got %lld ns", ts_ns(&res));
	CHECK_EQ("clock_getres(a thread clock, NULL)", syscall(SYS_clock_getres, cid, NULL), 0);
	CHECK_EQ("clock_getcpuclockid(getpid())", clock_getcpuclockid(getpid(), &pcid), 0);
	CHECK_OK("clock_gettime(clock_getcpuclockid's clock)", clock_ns(pcid));
	CHECK_ERR("a clockid of the CLOCKFD kind is EINVAL", clock_ns(CPU_CLOCKFD(0)), EINVAL);
	CHECK_ERR("clock kind 3 of a thread (7) is EINVAL",
		  clock_ns((clockid_t)((~(unsigned)tid << 3) | 7)), EINVAL);
	res.tv_sec = 0;
	res.tv_nsec = 1;
	CHECK_ERR("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID) is EOPNOTSUPP",
		  syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &res, NULL), EOPNOTSUPP);
	CHECK_ERR("clock_nanosleep(own thread clock) is EINVAL",
		  syscall(SYS_clock_nanosleep, cid, 0, &res, NULL), EINVAL);
	CHECK_ERR("clock_nanosleep on a CLOCKFD clockid is EOPNOTSUPP",
		  syscall(SYS_clock_nanosleep, CPU_CLOCKFD(0), 0, &res, NULL), EOPNOTSUPP);

	/* Another process: its process clock is readable, its thread clock is not ours. */
	if (!CHECK_OK("pipe", pipe(pfd)))
		return;
	ch = fork();
	if (ch == 0) {
		close(pfd[1]);
		_exit(read(pfd[0], &x, 1) == 0 ? 0 : 1);
	}
	close(pfd[0]);
	CHECK_OK("a child's process clock is readable", clock_ns(CPU_PROCESS(ch)));
	CHECK_ERR("a child's thread clock is EINVAL", clock_ns(CPU_THREAD(ch)), EINVAL);
	CHECK_ERR("clock_getres of a child's thread clock is EINVAL",
		  syscall(SYS_clock_getres, CPU_THREAD(ch), &res), EINVAL);
	CHECK_ERR("clock_nanosleep on a child's thread clock is EINVAL",
		  syscall(SYS_clock_nanosleep, CPU_THREAD(ch), 0, &res, NULL), EINVAL);
	CHECK_ERR("timer_create on a child's thread clock is EINVAL",
		  timer_create(CPU_THREAD(ch), NULL, &tm), EINVAL);
	close(pfd[1]);
	CHECK_TRUE("the child ends", waitpid(ch, &st, 0) == ch && WIFEXITED(st), "status %#x", st);
	CHECK_ERR("a reaped child's process clock is EINVAL", clock_ns(CPU_PROCESS(ch)), EINVAL);
	CHECK_ERR("clock_getres of a reaped child's process clock is EINVAL",
		  syscall(SYS_clock_getres, CPU_PROCESS(ch), NULL), EINVAL);
}

static volatile sig_atomic_t fired[2]; /* SIGUSR1, SIGUSR2 */

static void
on_timer(int sig)
{
	fired[sig == SIGUSR2]++;
}

/* Compute until fired[i] reaches n, or 30 s of wall time pass (a timer that never fires). */
static void
compute_until(int i, int n)
{
	long long end = mono() + 30000 * MS;

	while (fired[i] < n && mono() < end)
		compute(1);
}

static void
check_cpu_timers(void)
{
	struct itimerspec its = {{0, 0}, {0, 50 * MS}}, cur;
	struct timespec ts = {0, 200 * MS};
	struct sigevent ev;
	long long t0;
	clockid_t cid;
	timer_t pt, tt;

	signal(SIGUSR1, on_timer);
	signal(SIGUSR2, on_timer);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	if (!CHECK_EQ("timer_create(CLOCK_PROCESS_CPUTIME_ID)",
		      timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &pt), 0))
		return;
	t0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK_EQ("timer_settime 50 ms of process CPU time", timer_settime(pt, 0, &its, NULL), 0);
	CHECK_EQ("timer_gettime", timer_gettime(pt, &cur), 0);
	CHECK_TRUE("... says (0, 50 ms] left",
		   ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 50 * MS, "%lld ns",
		   ts_ns(&cur.it_value));
	nanosleep(&ts, NULL);
	CHECK_EQ("it did not fire during a 200 ms sleep", fired[0], 0);
	compute_until(0, 1);
	CHECK_EQ("it fired once the process had computed", fired[0], 1);
	CHECK_TRUE("... at 50 ms of CPU time or later",
		   clock_ns(CLOCK_PROCESS_CPUTIME_ID) >= t0 + 50 * MS, "%lld ns after arming",
		   clock_ns(CLOCK_PROCESS_CPUTIME_ID) - t0);
	timer_gettime(pt, &cur);
	CHECK_EQ("a one-shot timer that fired is disarmed", ts_ns(&cur.it_value), 0);

	/* Periodic, every 10 ms of CPU time: three expiries. */
	its.it_value.tv_nsec = its.it_interval.tv_nsec = 10 * MS;
	timer_settime(pt, 0, &its, NULL);
	compute_until(0, 4);
	CHECK_TRUE("a periodic process CPU timer fires again", fired[0] >= 4, "%d signals",
		   (int)fired[0]);
	timer_delete(pt);

	pthread_getcpuclockid(pthread_self(), &cid);
	ev.sigev_signo = SIGUSR2;
	if (!CHECK_EQ("timer_create(pthread_getcpuclockid's clock)", timer_create(cid, &ev, &tt),
		      0))
		return;
	t0 = clock_ns(cid);
	its.it_interval.tv_nsec = 0;
	its.it_value.tv_nsec = 20 * MS;
	CHECK_EQ("timer_settime 20 ms of thread CPU time", timer_settime(tt, 0, &its, NULL), 0);
	compute_until(1, 1);
	CHECK_EQ("it fired once the thread had computed", fired[1], 1);
	CHECK_TRUE("... at 20 ms of its CPU time or later", clock_ns(cid) >= t0 + 20 * MS,
		   "%lld ns after arming", clock_ns(cid) - t0);
	/* TIMER_ABSTIME: a reading of the clock itself; one already past fires at once. */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1;
	CHECK_EQ("timer_settime TIMER_ABSTIME at 1 ns of thread CPU time",
		 timer_settime(tt, TIMER_ABSTIME, &its, NULL), 0);
	compute_until(1, 2);
	CHECK_EQ("... fires", fired[1], 2);
	timer_delete(tt);
	CHECK_ERR("timer_create on a CLOCKFD clockid is EOPNOTSUPP",
		  timer_create(CPU_CLOCKFD(0), &ev, &tt), EOPNOTSUPP);
	CHECK_ERR("timer_create on a thread clock of kind 3 is EINVAL",
		  timer_create((clockid_t)((~(unsigned)gettid_() << 3) | 7), &ev, &tt), EINVAL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* Compute until the calling thread's own CPU clock advanced ms milliseconds. */
static void
compute_cpu(long long ms)
{
	long long start = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < start + ms * MS)
		compute(1);
}

static long long
tv_sum(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
}

/*
 * A child that computes 20 ms after waiting for a grandchild that computed
 * 30: its wait4 rusage holds both (RUSAGE_BOTH), and the parent's
 * RUSAGE_CHILDREN and times()'s children's time grow by that once it is
 * reaped (wait_task_zombie); waitid's rusage says the same.
 */
static void
check_children(void)
{
	long long c0, c1;
	struct rusage ru;
	struct tms tm0, tm1;
	int st, i;
	pid_t ch;

	for (i = 0; i < 2; i++) {
		c0 = ru_ns(RUSAGE_CHILDREN);
		times(&tm0);
		ch = fork();
		if (ch == 0) {
			pid_t g = fork();

			if (g == 0) {
				compute_cpu(30);
				_exit(0);
			}
			waitpid(g, NULL, 0);
			compute_cpu(20);
			_exit(0);
		}
		memset(&ru, 0, sizeof(ru));
		if (i == 0) {
			CHECK_EQ("wait4 with a rusage", wait4(ch, &st, 0, &ru), ch);
			CHECK_TRUE("wait4's rusage holds the child's 20 ms and its child's 30 ms",
				   tv_sum(&ru) >= 50 * MS, "%lld ns", tv_sum(&ru));
		} else {
			siginfo_t si;

			CHECK_EQ("waitid with a rusage",
				 syscall(SYS_waitid, P_PID, ch, &si, WEXITED, &ru), 0);
			CHECK_TRUE("waitid's rusage holds the child's and its child's 50 ms",
				   tv_sum(&ru) >= 50 * MS, "%lld ns", tv_sum(&ru));
		}
		c1 = ru_ns(RUSAGE_CHILDREN);
		times(&tm1);
		CHECK_TRUE("RUSAGE_CHILDREN grew by at least that", c1 - c0 >= tv_sum(&ru),
			   "grew %lld ns, the child's rusage %lld ns", c1 - c0, tv_sum(&ru));
		CHECK_TRUE("times() children's time grew",
			   tm1.tms_cutime + tm1.tms_cstime > tm0.tms_cutime + tm0.tms_cstime,
			   "%ld to %ld ticks", (long)(tm0.tms_cutime + tm0.tms_cstime),
			   (long)(tm1.tms_cutime + tm1.tms_cstime));
	}
}

static void
check_rusage(void)
{
	struct timespec ts = {0, 200 * MS};
	long long t0, t1, s1, s0, w0, w1;
	struct tms tm;
	clock_t k0, k1;

	t0 = ru_ns(RUSAGE_THREAD);
	CHECK_OK("getrusage(RUSAGE_THREAD)", t0);
	compute(30);
	t1 = ru_ns(RUSAGE_THREAD);
	s1 = ru_ns(RUSAGE_SELF);
	CHECK_TRUE("RUSAGE_THREAD advanced while computing", t1 > t0, "from %lld to %lld ns", t0,
		   t1);
	CHECK_TRUE("RUSAGE_THREAD <= RUSAGE_SELF read after it", t1 <= s1, "thread %lld, self %lld",
		   t1, s1);

	/* A sleep is not CPU time: 200 ms of it cost less than 100 ms. */
	s0 = ru_ns(RUSAGE_SELF);
	times(&tm);
	k0 = tm.tms_utime + tm.tms_stime;
	w0 = mono();
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	w1 = mono();
	s1 = ru_ns(RUSAGE_SELF);
	times(&tm);
	k1 = tm.tms_utime + tm.tms_stime;
	CHECK_TRUE("the sleep lasted 200 ms", w1 - w0 >= 200 * MS, "%lld ns", w1 - w0);
	CHECK_TRUE("RUSAGE_SELF grew by less than 100 ms over it", s1 - s0 < 100 * MS,
		   "grew %lld ns", s1 - s0);
	CHECK_TRUE("times() grew by less than 100 ms over it",
		   (k1 - k0) * 1000LL / sysconf(_SC_CLK_TCK) < 100, "grew %ld ticks",
		   (long)(k1 - k0));
}

/* ---- two threads --------------------------------------------------------------------- */

/* What B and the main thread tell each other. */
static struct {
	int go[2], done[2]; /* pipes: main -> B commands, B -> main answers */
	int tid;
	char first_name[16], renamed[16], self_link[64];
	long long rusage_before, rusage_after;
} bs;

/* One byte from fd, blocking (B and main wait so: asleep, no CPU). */
static char
get(int fd)
{
	char c = 0;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	return c;
}

static void
put(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void *
thread_b(void *arg)
{
	long n;
	char cmd;

	sigset_t usr2;

	(void)arg;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL); /* B's mask alone: status shows it per task */
	bs.tid = gettid_();
	prctl(PR_GET_NAME, bs.first_name);
	prctl(PR_SET_NAME, "tp-b");
	n = readlink("/proc/thread-self", bs.self_link, sizeof(bs.self_link) - 1);
	bs.self_link[n > 0 ? n : 0] = '\0';
	put(bs.done[1], 'r');
	while ((cmd = get(bs.go[0])) != 'q') {
		if (cmd == 'n') {
			prctl(PR_GET_NAME, bs.renamed);
		} else if (cmd == 'c') {
			long long start = clock_ns(CLOCK_THREAD_CPUTIME_ID);

			/* 60 ms of B's own CPU time, however long that takes. */
			bs.rusage_before = ru_ns(RUSAGE_THREAD);
			while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < start + 60 * MS)
				compute(1);
			bs.rusage_after = ru_ns(RUSAGE_THREAD);
		}
		put(bs.done[1], cmd);
	}
	return NULL;
}

/* B's state letter from its stat file, 0 if unreadable. */
static int
b_state(void)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", bs.tid);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return 0;
	return (int)stat_field(buf, 3, NULL, 0);
}

/* Wait until B is asleep in its read (a blocked thread spends no CPU). */
static int
b_asleep(void)
{
	struct timespec ts = {0, 1 * MS};
	int i;

	for (i = 0; i < 10000; i++) {
		if (b_state() == 'S')
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
check_threads(void)
{
	char path[128], buf[4096], want[128], list[256], name[32];
	int pid = getpid(), err;
	long long b0, b1, m0, m1, b2, b3;
	struct itimerspec its = {{0, 0}, {0, 20 * MS}};
	struct sigevent ev;
	clockid_t bc;
	timer_t bt;
	pthread_t b;

	prctl(PR_SET_NAME, "tp-main");
	if (!CHECK_OK("pipes", pipe(bs.go) | pipe(bs.done)))
		return;
	err = pthread_create(&b, NULL, thread_b, NULL);
	if (!CHECK_EQ("pthread_create", err, 0))
		return;
	CHECK_EQ("B is ready", get(bs.done[0]), 'r');
	CHECK_STR("B started with its creator's name", bs.first_name, "tp-main");
	snprintf(want, sizeof(want), "%d/task/%d", pid, bs.tid);
	CHECK_STR("B's /proc/thread-self is PID/task/B", bs.self_link, want);

	CHECK_EQ("/proc/self/task lists two tasks", list_dir("/proc/self/task", list, sizeof(list)),
		 2);
	snprintf(want, sizeof(want), "%d", pid);
	CHECK_EQ("... the main thread", dir_has("/proc/self/task", want), 1);
	snprintf(want, sizeof(want), "%d", bs.tid);
	CHECK_EQ("... and B", dir_has("/proc/self/task", want), 1);
	CHECK_EQ("/proc does not list B", dir_has("/proc", want), 0);
	slurp("/proc/self/status", buf, sizeof(buf));
	CHECK_STR("/proc/self/status Threads: 2", status_field(buf, "Threads"), "2");
	CHECK_STR("/proc/self/status Name: is the leader's", status_field(buf, "Name"), "tp-main");
	slurp("/proc/self/stat", buf, sizeof(buf));
	CHECK_EQ("/proc/self/stat num_threads 2", stat_field(buf, 20, NULL, 0), 2);

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", bs.tid);
	if (CHECK_OK("read task/B/status", slurp(path, buf, sizeof(buf)))) {
		CHECK_STR("task/B/status Name: tp-b", status_field(buf, "Name"), "tp-b");
		snprintf(want, sizeof(want), "%d", bs.tid);
		CHECK_STR("task/B/status Pid: is B's tid", status_field(buf, "Pid"), want);
		snprintf(want, sizeof(want), "%d", pid);
		CHECK_STR("task/B/status Tgid: is the pid", status_field(buf, "Tgid"), want);
		CHECK_STR("task/B/status Threads: 2", status_field(buf, "Threads"), "2");
	}
	CHECK_EQX("task/B/status SigBlk: has USR2, B's mask",
		  status_mask(path, "SigBlk") & (1ULL << (SIGUSR2 - 1)), 1ULL << (SIGUSR2 - 1));
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", pid);
	CHECK_EQX("task/PID/status SigBlk: has not, the main thread's",
		  status_mask(path, "SigBlk") & (1ULL << (SIGUSR2 - 1)), 0);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", bs.tid);
	if (CHECK_OK("read task/B/stat", slurp(path, buf, sizeof(buf)))) {
		CHECK_EQ("task/B/stat field 1 is B's tid", atoi(buf), bs.tid);
		stat_field(buf, 3, name, sizeof(name));
		CHECK_STR("task/B/stat field 2 is B's name", name, "tp-b");
		CHECK_EQ("task/B/stat field 20 is 2", stat_field(buf, 20, NULL, 0), 2);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", pid);
	slurp(path, buf, sizeof(buf));
	CHECK_STR("task/PID/comm is the main thread's", buf, "tp-main\n");
	snprintf(path, sizeof(path), "/proc/%d/status", bs.tid);
	if (CHECK_OK("/proc/B/status is there", slurp(path, buf, sizeof(buf))))
		CHECK_STR("... and says B's name", status_field(buf, "Name"), "tp-b");

	/* pthread_setname_np on another thread writes task/B/comm. */
	CHECK_EQ("pthread_setname_np(B, tp-renamed)", pthread_setname_np(b, "tp-renamed"), 0);
	put(bs.go[1], 'n');
	get(bs.done[0]);
	CHECK_STR("B's PR_GET_NAME sees it", bs.renamed, "tp-renamed");
	CHECK_EQ("pthread_getname_np(B)", pthread_getname_np(b, name, sizeof(name)), 0);
	CHECK_STR("... reads it back", name, "tp-renamed");
	prctl(PR_GET_NAME, name);
	CHECK_STR("the main thread keeps its own name", name, "tp-main");

	/* CPU clocks: B's stands still while B sleeps, and moves while it computes. */
	CHECK_EQ("pthread_getcpuclockid(B)", pthread_getcpuclockid(b, &bc), 0);
	CHECK_TRUE("B is asleep in read", b_asleep(), "state %c", b_state());
	/* A timer on B's clock: 20 ms of B's CPU time, whoever else computes. */
	signal(SIGUSR1, on_timer);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	CHECK_EQ("timer_create(B's clock)", timer_create(bc, &ev, &bt), 0);
	CHECK_EQ("timer_settime 20 ms", timer_settime(bt, 0, &its, NULL), 0);
	b0 = clock_ns(bc);
	m0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	compute(30);
	m1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	b1 = clock_ns(bc);
	CHECK_OK("B's clock is readable from the main thread", b0);
	CHECK_TRUE("the main thread's clock advanced while it computed", m1 > m0, "%lld to %lld",
		   m0, m1);
	CHECK_EQ("B's clock stood still while B slept", b1, b0);
	CHECK_EQ("the timer on B's clock did not fire while the main thread computed", fired[0], 0);

	m0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	put(bs.go[1], 'c');
	get(bs.done[0]);
	m1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	b2 = clock_ns(bc);
	CHECK_TRUE("B's clock advanced while B computed", b2 > b1, "%lld to %lld", b1, b2);
	CHECK_EQ("the timer on B's clock fired while B computed 60 ms", fired[0], 1);
	timer_delete(bt);
	signal(SIGUSR1, SIG_DFL);
	CHECK_TRUE("the main thread's advanced less, waiting", m1 - m0 < b2 - b1,
		   "main %lld ns, B %lld ns", m1 - m0, b2 - b1);
	CHECK_TRUE("B's RUSAGE_THREAD counted B's computing", bs.rusage_after > bs.rusage_before,
		   "%lld to %lld", bs.rusage_before, bs.rusage_after);
	b3 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK_TRUE("the process clock holds both threads' time", b3 >= m1 + b2,
		   "process %lld, main %lld + B %lld", b3, m1, b2);

	put(bs.go[1], 'q');
	CHECK_EQ("pthread_join(B)", pthread_join(b, NULL), 0);
}

/* ---- the leader gone ------------------------------------------------------------------ */

static int leader_pid;

/* The state letter of task tid of this process, 0 if unreadable. */
static int
task_state(int tid)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return 0;
	return (int)stat_field(buf, 3, NULL, 0);
}

/*
 * C, once the main thread has called pthread_exit: the leader stays a
 * zombie in the listing until the process ends; C ends the program.
 */
static void *
thread_c(void *arg)
{
	struct timespec ts = {0, 1 * MS};
	char buf[4096], want[64], list[256];
	int i, tid = gettid_();
	long n;

	(void)arg;
	for (i = 0; i < 10000 && task_state(leader_pid) != 'Z'; i++)
		nanosleep(&ts, NULL);
	CHECK_EQ("the leader that called pthread_exit is a zombie (stat Z)", task_state(leader_pid),
		 'Z');
	slurp("/proc/self/status", buf, sizeof(buf));
	CHECK_EQ("/proc/self/status State: Z, the leader's", status_field(buf, "State")[0], 'Z');
	CHECK_STR("/proc/self/status Threads: 2, the zombie leader counted",
		  status_field(buf, "Threads"), "2");
	CHECK_EQ("/proc/self/task still lists the leader and C",
		 list_dir("/proc/self/task", list, sizeof(list)), 2);
	n = readlink("/proc/thread-self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "%d/task/%d", leader_pid, tid);
	CHECK_STR("C's /proc/thread-self is PID/task/C", buf, want);
	CHECK_EQ("/proc/self/cmdline is empty (the leader has no memory)",
		 slurp("/proc/self/cmdline", buf, sizeof(buf)), 0);
	CHECK_EQ("/proc/self/maps is empty", slurp("/proc/self/maps", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "/proc/self/task/%d/maps", tid);
	CHECK_TRUE("C's own maps are not", slurp(want, buf, sizeof(buf)) > 0, "empty");
	CHECK_ERR("readlink(/proc/self/exe) is ENOENT", readlink("/proc/self/exe", buf, 64),
		  ENOENT);
	CHECK_ERR("readlink(/proc/self/cwd) is ENOENT", readlink("/proc/self/cwd", buf, 64),
		  ENOENT);
	CHECK_OK("the zombie leader's thread clock is readable", clock_ns(CPU_THREAD(leader_pid)));
	CHECK_OK("C's own thread clock is readable", clock_ns(CLOCK_THREAD_CPUTIME_ID));
	exit(guest_end());
}

static void
leader_exits(void)
{
	pthread_t c;

	leader_pid = getpid();
	if (!CHECK_EQ("pthread_create(C)", pthread_create(&c, NULL, thread_c, NULL), 0))
		return;
	pthread_exit(NULL);
}

/* ---- RLIMIT_CPU ----------------------------------------------------------------------- */

static int xcpu_pipe = -1;

static void
on_xcpu(int sig)
{
	char c = 'x';

	(void)sig;
	write(xcpu_pipe, &c, 1);
}

/*
 * A child with RLIMIT_CPU soft/hard (seconds) that computes until it dies:
 * with catch, SIGXCPU is caught and the child says each one on the pipe,
 * and once the soft limit it then reads. Returns the child's wait status,
 * the bytes it sent in out.
 */
static int
cpu_limited_child(rlim_t soft, rlim_t hard, int catch, char *out, size_t size)
{
	int pfd[2], st = -1;
	size_t got = 0;
	long n;
	pid_t ch;

	if (pipe(pfd) != 0)
		return -1;
	ch = fork();
	if (ch == 0) {
		struct rlimit rl = {soft, hard};
		int said = 0;

		close(pfd[0]);
		xcpu_pipe = pfd[1];
		if (catch)
			signal(SIGXCPU, on_xcpu);
		long long give_up = mono() + 20000 * MS; /* a limit never enforced: exit 4 */

		if (setrlimit(RLIMIT_CPU, &rl) != 0)
			_exit(3);
		while (mono() < give_up) {
			compute(1);
			if (catch && !said && getrlimit(RLIMIT_CPU, &rl) == 0 &&
			    rl.rlim_cur != soft) {
				char line[32];
				int len = snprintf(line, sizeof(line), "soft %llu;",
						   (unsigned long long)rl.rlim_cur);

				write(pfd[1], line, (size_t)len);
				said = 1;
			}
		}
		_exit(4);
	}
	close(pfd[1]);
	while (got < size - 1 && (n = read(pfd[0], out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pfd[0]);
	waitpid(ch, &st, 0);
	return st;
}

static void
check_rlimit_cpu(void)
{
	char out[256];
	int st;

	/* Soft 1 s, hard 2 s, caught: SIGXCPU, the soft limit moves to 2, SIGKILL at 2. */
	st = cpu_limited_child(1, 2, 1, out, sizeof(out));
	CHECK_TRUE("RLIMIT_CPU 1/2: the child caught SIGXCPU", strchr(out, 'x') != NULL,
		   "said \"%s\"", out);
	CHECK_TRUE("... and its soft limit then read 2", strstr(out, "soft 2;") != NULL,
		   "said \"%s\"", out);
	CHECK_TRUE("... then SIGKILL at the hard limit", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "status %#x", st);

	/* Soft 1 s, no hard limit, SIGXCPU at its default: the child dies of it. */
	st = cpu_limited_child(1, RLIM_INFINITY, 0, out, sizeof(out));
	CHECK_TRUE("RLIMIT_CPU 1/unlimited: SIGXCPU (default) ends the child",
		   WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU, "status %#x", st);
}

int
main(int argc, char **argv)
{
	int threads = argc > 1 && strcmp(argv[1], "threads") == 0;

	if (argc > 1 && strcmp(argv[1], "rlimit") == 0) {
		guest_begin("t_taskproc",
			    "RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard");
		check_rlimit_cpu();
		return guest_end();
	}

	guest_begin("t_taskproc", threads ? "two threads: /proc/self/task, comm, CPU clocks"
					  : "/proc/self/task, comm, CPU clocks, RUSAGE_THREAD");
	prctl(PR_SET_NAME, "t_taskproc");
	if (threads) {
		check_threads();
		leader_exits(); /* returns only if C could not start */
	} else {
		check_proc_task();
		check_status_signals();
		check_other_process();
		check_comm();
		check_clocks();
		check_cpu_timers();
		check_rusage();
		check_children();
	}
	return guest_end();
}
