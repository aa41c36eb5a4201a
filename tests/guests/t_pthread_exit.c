/*
 * t_pthread_exit - how threaded processes end, exec and fork: exit() and
 * exit_group from a thread end the process with that status; the main
 * thread's own exit (the raw exit system call, or pthread_exit) leaves the
 * process running until its last thread ends; execve from any thread
 * leaves one thread, with the old process id; fork from a thread copies
 * only that thread, and pthread_atfork handlers let the child take a mutex
 * another thread held when fork was called.
 *
 * Usage: t_pthread_exit
 *        t_pthread_exit --after-exec PID PPID   (the image execve starts)
 *        t_pthread_exit --main-leaves RAW REPORTFD GOFD   (a child's image)
 *
 * Each case runs in a forked child (it ends that process) and is judged
 * by the status the parent gets from waitpid. For a process whose threads
 * all left by the plain exit system call, the main thread with 5 and the
 * last one with 9, Linux has given either: older kernels the group
 * leader's status (wait_task_zombie read the leader's exit_code), newer
 * ones (6.18 here) the last thread's. Both are accepted.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

/* futex(2) operations, as linux/futex.h has them (musl-gcc cannot see that header). */
#define FUTEX_WAIT 0

static const char *self_exe = "/proc/self/exe";
static int report[2]; /* child -> parent */
static int go[2];     /* parent -> child */
static int never[2];  /* a pipe nobody writes: threads block reading it */

/* Block forever in read (a thread that must still exist when something else ends the process). */
static void *
blocker(void *arg)
{
	char c;

	(void)arg;
	read(never[0], &c, 1);
	return NULL;
}

static int
start_blockers(int n)
{
	pthread_t t;

	while (n-- > 0)
		if (pthread_create(&t, NULL, blocker, NULL) != 0)
			return -1;
	return 0;
}

static int
make_pipes(void)
{
	return pipe(report) == 0 && pipe(go) == 0 && pipe(never) == 0 ? 0 : -1;
}

/* Close what is still open of the three pipes (an end already closed is -1). */
static void
close_pipes(void)
{
	int *ends[] = {report, go, never};
	int i;

	for (i = 0; i < 6; i++) {
		if (ends[i / 2][i % 2] >= 0)
			close(ends[i / 2][i % 2]);
		ends[i / 2][i % 2] = -1;
	}
}

/* -- exit() from a thread -------------------------------------------------------- */

static void
at_exit_report(void)
{
	write_full(report[1], "A", 1);
}

static void *
exit_thread(void *arg)
{
	(void)arg;
	exit(42);
}

static void
child_exit_from_thread(void *arg)
{
	pthread_t t;

	(void)arg;
	atexit(at_exit_report);
	if (start_blockers(2) != 0 || pthread_create(&t, NULL, exit_thread, NULL) != 0)
		_exit(3);
	pthread_join(t, NULL);
	_exit(4);
}

static void *
exit_group_thread(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 33);
	return NULL;
}

static void
child_exit_group_from_thread(void *arg)
{
	pthread_t t;

	(void)arg;
	if (start_blockers(2) != 0 || pthread_create(&t, NULL, exit_group_thread, NULL) != 0)
		_exit(3);
	pthread_join(t, NULL);
	_exit(4);
}

static void
check_exit_from_thread(void)
{
	char c = 0;
	int st;

	if (!CHECK_OK("pipes", make_pipes()))
		return;
	st = fork_status(child_exit_from_thread, NULL);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 42,
	      "exit(42) in a thread ends the process of 4 threads with status 42", "%s",
	      wait_text(st));
	close(report[1]);
	report[1] = -1;
	CHECK_EQ("exit() in a thread runs the atexit handlers",
		 read(report[0], &c, 1) == 1 && c == 'A', 1);
	close_pipes();

	if (!CHECK_OK("pipes", make_pipes()))
		return;
	st = fork_status(child_exit_group_from_thread, NULL);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 33,
	      "exit_group(33) in a thread ends the process of 4 threads with status 33", "%s",
	      wait_text(st));
	close_pipes();
}

/* -- the main thread leaves first ---------------------------------------------------------- */

/* Cleared by the kernel, and waited on, when the main thread is gone (set_tid_address). */
static volatile int main_gone = 1;
static pid_t main_tid;

struct survivor {
	pid_t pid;
	int saw_main_gone;
};

/*
 * Wait until the thread tid of this process shows as a zombie ('Z') in
 * /proc/self/task/TID/stat, as an exited thread-group leader does while
 * other threads run; 1 if it did within GTHR_POLL_SECONDS.
 */
static int
wait_zombie(pid_t tid)
{
	struct timespec t0, now;
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return 0;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		/* The state follows the command name in parentheses. */
		p = strrchr(buf, ')');
		if (p != NULL && p[1] == ' ' && p[2] == 'Z')
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > GTHR_POLL_SECONDS)
			return 0;
		sched_yield();
	}
}

/*
 * The thread left behind: wait until the main thread has exited, tell the
 * parent the process still runs, and end when the parent says. After the
 * raw exit the kernel clears main_gone (the main thread named it with
 * set_tid_address), and this thread too leaves by the raw exit system
 * call (libc's thread exit would count threads and call exit(0) for the
 * last one). After pthread_exit the word is libc's (musl keeps a lock
 * there that the kernel must release), and musl's pthread_join of the
 * main thread never returns, so the thread watches /proc until the main
 * thread is a zombie.
 */
static void *
survivor_thread(void *arg)
{
	struct survivor s;
	char c;
	int raw = arg != NULL;

	if (raw) {
		while (main_gone != 0)
			syscall(SYS_futex, &main_gone, FUTEX_WAIT, 1, NULL, NULL, 0);
		s.saw_main_gone = 1;
	} else {
		s.saw_main_gone = wait_zombie(main_tid);
	}
	s.pid = getpid();
	write_full(report[1], &s, sizeof(s));
	read_full(go[0], &c, 1);
	if (raw)
		syscall(SYS_exit, 9);
	return NULL;
}

/*
 * The child's main thread leaves with the raw exit(5) (raw != NULL) or
 * with pthread_exit, while a second thread runs on.
 */
static void
child_main_leaves(void *raw)
{
	pthread_t t;

	main_tid = gtid();
	if (pthread_create(&t, NULL, survivor_thread, raw) != 0)
		_exit(3);
	if (raw) {
		syscall(SYS_set_tid_address, &main_gone);
		syscall(SYS_exit, 5);
	}
	pthread_exit(NULL);
}

static void
check_main_leaves(int raw)
{
	const char *how = raw ? "exit system call" : "pthread_exit";
	struct survivor s;
	char msg[128];
	pid_t pid, got;
	int st = -1;

	if (!CHECK_OK("pipes", make_pipes()))
		return;
	pid = fork();
	if (pid == 0) {
		/*
		 * In a fresh image, not the forked copy: musl 1.2.3's fork does not
		 * give the child's main thread back the set_tid_address word its
		 * pthread_exit relies on, so a forked child's main thread cannot
		 * pthread_exit while others run (it hangs natively too).
		 */
		char rawarg[4], rfd[16], gfd[16];
		char *argv[] = {"t_pthread_exit", "--main-leaves", rawarg, rfd, gfd, NULL};

		snprintf(rawarg, sizeof(rawarg), "%d", raw);
		snprintf(rfd, sizeof(rfd), "%d", report[1]);
		snprintf(gfd, sizeof(gfd), "%d", go[0]);
		execv(self_exe, argv);
		_exit(6);
	}
	if (!CHECK_OK("fork", pid))
		return;
	/* Only the child's ends stay open: a child that dies early is an EOF here, not a hang. */
	close(report[1]);
	close(go[0]);
	report[1] = go[0] = -1;
	memset(&s, 0, sizeof(s));
	read_full(report[0], &s, sizeof(s));
	snprintf(msg, sizeof(msg), "main thread gone by the %s: the other thread runs on", how);
	CHECK_EQ(msg, s.saw_main_gone, 1);
	snprintf(msg, sizeof(msg), "main thread gone by the %s: getpid() is unchanged", how);
	CHECK_EQ(msg, s.pid, pid);
	got = waitpid(pid, &st, WNOHANG);
	snprintf(msg, sizeof(msg), "main thread gone by the %s: the process is not reapable yet",
		 how);
	CHECK_EQ(msg, got, 0);
	CHECK_OK("... and kill(pid, 0) finds it", kill(pid, 0));
	write_full(go[1], "g", 1);
	st = -1;
	waitpid(pid, &st, 0);
	if (raw) {
		check(WIFEXITED(st) && (WEXITSTATUS(st) == 5 || WEXITSTATUS(st) == 9),
		      "main thread gone by the exit system call: the process ends with its last "
		      "thread, status 9 (the last thread's) or 5 (the leader's)",
		      "%s", wait_text(st));
	} else {
		check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "main thread gone by pthread_exit: the process ends with its last thread, "
		      "status 0",
		      "%s", wait_text(st));
	}
	close_pipes();
}

/* -- execve from a thread ------------------------------------------------------------------ */

/* The new image: one thread, the old process id, the old parent. */
static int
after_exec(pid_t pid, pid_t ppid)
{
	pid_t tids[8];
	int n, before;

	guest_begin("t_pthread_exit/after-exec", "the image a thread's execve started");
	before = guest_failures;
	CHECK_EQ("after execve from a thread: getpid() is the old process id", getpid(), pid);
	CHECK_EQ("after execve from a thread: getppid() is the old parent", getppid(), ppid);
	CHECK_EQ("after execve from a thread: gettid() is the process id", gtid(), pid);
	n = task_list("/proc/self/task", tids, 8);
	CHECK_EQ("after execve from a thread: /proc/self/task has one entry", n, 1);
	if (n == 1)
		CHECK_EQ("... and it is the process id", tids[0], pid);
	CHECK_EQ("after execve from a thread: Threads: 1 in /proc/self/status",
		 status_field("/proc/self/status", "Threads"), 1);
	guest_end();
	return guest_failures != before;
}

static void *
exec_thread(void *arg)
{
	char pid[16], ppid[16];
	char *argv[] = {"t_pthread_exit", "--after-exec", pid, ppid, NULL};

	(void)arg;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(ppid, sizeof(ppid), "%d", (int)getppid());
	execv(self_exe, argv);
	return (void *)(intptr_t)errno;
}

/* A process of 4 threads where one (the main thread if arg is NULL) execs. */
static void
child_exec(void *from_thread)
{
	pthread_t t;

	if (start_blockers(2) != 0)
		_exit(3);
	if (from_thread == NULL) {
		if (start_blockers(1) != 0)
			_exit(3);
		exec_thread(NULL);
		_exit(5);
	}
	if (pthread_create(&t, NULL, exec_thread, NULL) != 0)
		_exit(3);
	pthread_join(t, NULL);
	_exit(5);
}

static void
check_exec(void)
{
	int st;

	if (!CHECK_OK("pipes", make_pipes()))
		return;
	st = fork_status(child_exec, (void *)1);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "execve from a non-main thread of 4: the new image's checks pass", "%s",
	      wait_text(st));
	st = fork_status(child_exec, NULL);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "execve from the main thread of 4: the new image's checks pass", "%s", wait_text(st));
	close_pipes();
}

/* -- fork from a thread, and pthread_atfork ------------------------------------------------------
 */

static pthread_mutex_t covered = PTHREAD_MUTEX_INITIALIZER;   /* atfork takes it around fork */
static pthread_mutex_t uncovered = PTHREAD_MUTEX_INITIALIZER; /* held across fork, by another */
static int atfork_armed;
static int release_covered[2], holder_ready[2], release_uncovered[2];

/*
 * prepare runs in the forking thread before fork: it lets the holder go
 * and takes the mutex, so no thread is inside it at the fork, and the
 * parent and the child each give it back after.
 */
static void
prepare(void)
{
	if (!atfork_armed)
		return;
	write_full(release_covered[1], "c", 1);
	pthread_mutex_lock(&covered);
}

static void
in_parent(void)
{
	if (atfork_armed)
		pthread_mutex_unlock(&covered);
}

static void
in_child(void)
{
	if (atfork_armed)
		pthread_mutex_unlock(&covered);
}

static void *
holder(void *arg)
{
	char c;

	(void)arg;
	pthread_mutex_lock(&covered);
	pthread_mutex_lock(&uncovered);
	write_full(holder_ready[1], "h", 1);
	read_full(release_covered[0], &c, 1);
	pthread_mutex_unlock(&covered);
	read_full(release_uncovered[0], &c, 1);
	pthread_mutex_unlock(&uncovered);
	return NULL;
}

static void *
trivial(void *arg)
{
	return arg;
}

/* The child of a fork made by a thread: single-threaded, it checks itself. */
static int
forked_child(void)
{
	pid_t tids[8];
	pthread_t t;
	void *ret = NULL;
	int n, before = guest_failures;

	atfork_armed = 0;
	CHECK_EQ("child of a fork from a thread: gettid() is its process id", gtid(), getpid());
	n = task_list("/proc/self/task", tids, 8);
	CHECK_EQ("child of a fork from a thread: /proc/self/task has one entry", n, 1);
	CHECK_EQ("child of a fork from a thread: Threads: 1",
		 status_field("/proc/self/status", "Threads"), 1);
	CHECK_EQ("child: the atfork-covered mutex, held by another thread at fork(), can be locked",
		 pthread_mutex_lock(&covered), 0);
	pthread_mutex_unlock(&covered);
	CHECK_EQ("child: a mutex another thread held at the fork, uncovered, stays locked",
		 pthread_mutex_trylock(&uncovered), EBUSY);
	if (CHECK_EQ("child: pthread_create", pthread_create(&t, NULL, trivial, (void *)7), 0)) {
		pthread_join(t, &ret);
		CHECK_EQ("child: a new thread runs and is joined", (intptr_t)ret, 7);
	}
	return guest_failures != before;
}

static void *
forker(void *arg)
{
	pid_t pid;
	int st = -1;

	(void)arg;
	pid = fork();
	if (pid == 0)
		_exit(forked_child());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return (void *)(intptr_t)-1;
	return (void *)(intptr_t)st;
}

static void
check_fork(void)
{
	pthread_t h, f;
	void *st = (void *)(intptr_t)-1;
	char c;

	if (!CHECK_OK("pipe", pipe(release_covered)) || !CHECK_OK("pipe", pipe(holder_ready)) ||
	    !CHECK_OK("pipe", pipe(release_uncovered)))
		return;
	if (!CHECK_EQ("pthread_atfork", pthread_atfork(prepare, in_parent, in_child), 0))
		return;
	if (!CHECK_EQ("create the holder", pthread_create(&h, NULL, holder, NULL), 0))
		return;
	read_full(holder_ready[0], &c, 1);
	atfork_armed = 1;
	if (CHECK_EQ("create the forking thread", pthread_create(&f, NULL, forker, NULL), 0))
		pthread_join(f, &st);
	atfork_armed = 0;
	check(WIFEXITED((int)(intptr_t)st) && WEXITSTATUS((int)(intptr_t)st) == 0,
	      "fork from a thread while another holds mutexes: the child's checks pass", "%s",
	      wait_text((int)(intptr_t)st));
	CHECK_EQ("parent: the covered mutex is free again after fork",
		 pthread_mutex_trylock(&covered), 0);
	pthread_mutex_unlock(&covered);
	write_full(release_uncovered[1], "u", 1);
	pthread_join(h, NULL);
	CHECK_EQ("parent: the holder gave the other mutex back", pthread_mutex_trylock(&uncovered),
		 0);
	pthread_mutex_unlock(&uncovered);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "--main-leaves") == 0) {
		report[1] = atoi(argv[3]);
		go[0] = atoi(argv[4]);
		child_main_leaves(atoi(argv[2]) ? (void *)1 : NULL);
		return 6;
	}
	guest_begin("t_pthread_exit", "exit, exec and fork in threaded processes");
	check_exit_from_thread();
	check_main_leaves(1);
	check_main_leaves(0);
	check_exec();
	check_fork();
	return guest_end();
}
