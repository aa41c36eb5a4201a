/*
 * t_sigproc - signals between processes: default actions seen through wait
 * statuses, stop and continue, SIGCHLD and its flags, interrupted system
 * calls with and without SA_RESTART, kill to another process and to process
 * groups, signals to a zombie, and SIGPIPE.
 *
 * Usage: t_sigproc
 *
 * Nothing here depends on timing. A child that must stop stops itself with
 * raise(); the parent's waitpid(WUNTRACED) blocks until it has. A child that
 * must be signalled blocks the signal before it says it is ready, so the
 * signal waits for it. A call that must be interrupted runs with a periodic
 * ITIMER_REAL ticking, and where the call must also complete, the handler
 * itself completes it (writes the pipe, kills the child) only after it has
 * been called three times while the main code was in the call.
 *
 * Linux behaviour the checks pin down, beyond POSIX:
 *  - SIGTSTP stops a process only in a process group that is not orphaned:
 *    the child makes its own group, with its parent (us) in another group
 *    of the same session, so that it is not;
 *  - a stop notification is queued before or after waitpid(WUNTRACED) can
 *    see the stop, so SIGCHLD for stops is collected with sigtimedwait;
 *  - SIGCHLD is still sent with SA_NOCLDWAIT (not with SIG_IGN);
 *  - nanosleep and pause are not restarted even with SA_RESTART;
 *  - SIGPIPE is sent by the kernel as if by kill from the writer itself:
 *    SI_USER with si_pid the writer's pid.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "gsig.h"


static void
set_kmask(uint64_t m)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
}

static void
arm_timer(long first_us, long interval_us)
{
	struct itimerval it;

	it.it_value.tv_sec = first_us / 1000000;
	it.it_value.tv_usec = first_us % 1000000;
	it.it_interval.tv_sec = interval_us / 1000000;
	it.it_interval.tv_usec = interval_us % 1000000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Wait for pid with the options; its raw status, or -1. */
static int
reap(pid_t pid, int options)
{
	int st;

	return waitpid(pid, &st, options) == pid ? st : -1;
}

/* Read exactly n bytes (a child's report); 0 or -1. */
static int
read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static void
child_pause_forever(void)
{
	for (;;)
		pause();
}

/* -- default actions ----------------------------------------------------------- */

static void
check_defaults(void)
{
	static const struct {
		int sig, dies;
		const char *what;
	} cases[] = {
	    {SIGTERM, 1, "SIGTERM terminates"},
	    {SIGUSR1, 1, "SIGUSR1 terminates"},
	    {SIGUSR2, 1, "SIGUSR2 terminates"},
	    {SIGHUP, 1, "SIGHUP terminates"},
	    {SIGINT, 1, "SIGINT terminates"},
	    {SIGALRM, 1, "SIGALRM terminates"},
	    {SIGQUIT, 1, "SIGQUIT terminates (core)"},
	    {SIGABRT, 1, "SIGABRT terminates (core)"},
	    {SIGCHLD, 0, "SIGCHLD is ignored"},
	    {SIGURG, 0, "SIGURG is ignored"},
	    {SIGWINCH, 0, "SIGWINCH is ignored"},
	    {SIGCONT, 0, "SIGCONT on a running process does nothing"},
	};
	unsigned i;
	pid_t pid;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = fork();
		if (pid == 0) {
			dispose(cases[i].sig, SIG_DFL);
			raise(cases[i].sig);
			_exit(7);
		}
		st = reap(pid, 0);
		if (cases[i].dies)
			check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig,
			      cases[i].what, "status %#x", st);
		else
			check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 7, cases[i].what,
			      "status %#x", st);
	}
}

/* -- stop and continue ---------------------------------------------------------- */

static void
check_stop(void)
{
	siginfo_t si;
	int fd[2], st;
	pid_t pid;
	char c;

	/* SIGSTOP, SIGCONT, SIGKILL through waitpid. */
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		child_pause_forever();
	}
	st = reap(pid, WUNTRACED);
	check(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "raise(SIGSTOP): waitpid(WUNTRACED) sees it stopped by SIGSTOP", "status %#x", st);
	CHECK_EQ("the stop is reported once: WUNTRACED|WNOHANG again gives 0",
		 waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	CHECK_OK("kill(SIGCONT)", kill(pid, SIGCONT));
	st = reap(pid, WCONTINUED);
	check(st != -1 && WIFCONTINUED(st), "waitpid(WCONTINUED) sees it continued", "status %#x",
	      st);
	kill(pid, SIGKILL);
	st = reap(pid, 0);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "then SIGKILL kills it",
	      "status %#x", st);

	/* SIGTSTP, in a process group of its own that is not orphaned. */
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		raise(SIGTSTP);
		child_pause_forever();
	}
	st = reap(pid, WUNTRACED);
	check(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	      "raise(SIGTSTP): stopped by SIGTSTP", "status %#x", st);
	/* A signal sent while it is stopped waits for SIGCONT, then acts. */
	CHECK_OK("kill(stopped child, SIGTERM)", kill(pid, SIGTERM));
	CHECK_OK("kill(stopped child, SIGCONT)", kill(pid, SIGCONT));
	st = reap(pid, 0);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "SIGTERM sent while stopped kills it once continued", "status %#x", st);

	/* The same through waitid. */
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		child_pause_forever();
	}
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_signo == SIGCHLD &&
		  si.si_code == CLD_STOPPED && si.si_status == SIGSTOP && si.si_pid == pid,
	      "waitid(WSTOPPED): CLD_STOPPED, si_status SIGSTOP", "code %d status %d pid %d",
	      si.si_code, si.si_status, (int)si.si_pid);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED &&
		  si.si_status == SIGCONT && si.si_pid == pid,
	      "waitid(WCONTINUED): CLD_CONTINUED, si_status SIGCONT", "code %d status %d",
	      si.si_code, si.si_status);
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WEXITED) == 0 && si.si_code == CLD_KILLED &&
		  si.si_status == SIGKILL,
	      "waitid(WEXITED): CLD_KILLED, si_status SIGKILL", "code %d status %d", si.si_code,
	      si.si_status);

	/* Stopped from outside in a read, continued: the read goes on (no handler). */
	if (pipe(fd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(fd[1]);
		_exit(read(fd[0], &c, 1) == 1 ? (unsigned char)c : 99);
	}
	close(fd[0]);
	kill(pid, SIGSTOP);
	st = reap(pid, WUNTRACED);
	check(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "kill(SIGSTOP) from the parent stops the child", "status %#x", st);
	kill(pid, SIGCONT);
	(void)!write(fd[1], "A", 1);
	close(fd[1]);
	st = reap(pid, 0);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 'A',
	      "continued, its read returns the data written after", "status %#x", st);
}

/* -- SIGCHLD --------------------------------------------------------------------- */

static volatile struct {
	int n, signo, code, pid, status, uid;
} chld;

static void
h_chld(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	chld.n++;
	chld.signo = si->si_signo;
	chld.code = si->si_code;
	chld.pid = si->si_pid;
	chld.status = si->si_status;
	chld.uid = (int)si->si_uid;
}

/* Collect a pending or coming SIGCHLD with sigtimedwait (up to 2 s); its si_code or -1. */
static int
collect_chld(siginfo_t *si)
{
	struct timespec ts = {2, 0};
	sigset_t set = sigset_of(BIT(SIGCHLD));

	memset(si, 0, sizeof(*si));
	return sigtimedwait(&set, si, &ts) == SIGCHLD ? si->si_code : -1;
}

static void
check_sigchld(void)
{
	sigset_t unblocked = sigset_of(0);
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t set;
	pid_t pid;
	int st, r;

	/* A handler with SA_SIGINFO: exit and kill. */
	set_kmask(BIT(SIGCHLD));
	handle(SIGCHLD, h_chld, 0);
	memset((void *)&chld, 0, sizeof(chld));
	pid = fork();
	if (pid == 0)
		_exit(42);
	r = sigsuspend(&unblocked);
	check(r == -1 && chld.n == 1, "SIGCHLD handler runs when the child exits",
	      "sigsuspend %d, %d calls", r, chld.n);
	check(chld.signo == SIGCHLD && chld.code == CLD_EXITED && chld.pid == pid &&
		  chld.status == 42 && chld.uid == (int)getuid(),
	      "SIGCHLD: CLD_EXITED, si_pid, si_status 42, si_uid",
	      "signo %d code %d pid %d (want %d) status %d uid %d", chld.signo, chld.code, chld.pid,
	      (int)pid, chld.status, chld.uid);
	st = reap(pid, 0);
	CHECK_EQ("the child is still there to reap, exit 42", st, 42 << 8);

	memset((void *)&chld, 0, sizeof(chld));
	pid = fork();
	if (pid == 0)
		child_pause_forever();
	kill(pid, SIGKILL);
	r = sigsuspend(&unblocked);
	check(r == -1 && chld.n == 1 && chld.code == CLD_KILLED && chld.status == SIGKILL &&
		  chld.pid == pid,
	      "SIGCHLD for a killed child: CLD_KILLED, si_status SIGKILL",
	      "%d calls, code %d status %d", chld.n, chld.code, chld.status);
	reap(pid, 0);

	/* Stop and continue notifications, collected in order. */
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		child_pause_forever();
	}
	reap(pid, WUNTRACED);
	r = collect_chld(&si);
	check(r == CLD_STOPPED && si.si_status == SIGSTOP && si.si_pid == pid,
	      "SIGCHLD when the child stops: CLD_STOPPED, SIGSTOP", "code %d status %d", r,
	      si.si_status);
	kill(pid, SIGCONT);
	r = collect_chld(&si);
	check(r == CLD_CONTINUED && si.si_status == SIGCONT,
	      "SIGCHLD when it continues: CLD_CONTINUED, SIGCONT", "code %d status %d", r,
	      si.si_status);
	kill(pid, SIGKILL);
	reap(pid, 0);
	r = collect_chld(&si);
	CHECK_EQ("SIGCHLD when it is killed: CLD_KILLED", r, CLD_KILLED);

	/*
	 * SA_NOCLDSTOP: no SIGCHLD for the stop and the continue. Standard
	 * signals do not queue: had one been sent for the stop, the pending
	 * SIGCHLD would still carry CLD_STOPPED after the kill.
	 */
	handle(SIGCHLD, h_chld, SA_NOCLDSTOP);
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		child_pause_forever();
	}
	st = reap(pid, WUNTRACED);
	check(st != -1 && WIFSTOPPED(st), "SA_NOCLDSTOP: the child stopped", "status %#x", st);
	kill(pid, SIGCONT);
	reap(pid, WCONTINUED);
	kill(pid, SIGKILL);
	reap(pid, 0);
	r = collect_chld(&si);
	CHECK_EQ("SA_NOCLDSTOP: the only SIGCHLD is for the kill (CLD_KILLED)", r, CLD_KILLED);
	CHECK_EQX("and nothing else pending", kpending(), 0);

	/* SA_NOCLDWAIT: children are reaped by the kernel, SIGCHLD still comes. */
	handle(SIGCHLD, h_chld, SA_NOCLDWAIT);
	pid = fork();
	if (pid == 0)
		_exit(5);
	errno = 0;
	r = wait(&st);
	check(r == -1 && errno == ECHILD, "SA_NOCLDWAIT: wait finds no child (ECHILD)",
	      "%d errno %s", r, errname(errno));
	set = sigset_of(BIT(SIGCHLD));
	memset(&si, 0, sizeof(si));
	r = sigtimedwait(&set, &si, &zero);
	check(r == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 5 && si.si_pid == pid,
	      "SA_NOCLDWAIT: SIGCHLD was still sent (CLD_EXITED, 5)", "%d code %d status %d", r,
	      si.si_code, si.si_status);

	/* SIG_IGN: reaped by the kernel, no SIGCHLD. */
	dispose(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid == 0)
		_exit(6);
	errno = 0;
	r = wait(&st);
	check(r == -1 && errno == ECHILD, "SIGCHLD ignored: wait waits for the child, then ECHILD",
	      "%d errno %s", r, errname(errno));
	CHECK_ERR("and the child is gone, no zombie (kill ESRCH)", kill(pid, 0), ESRCH);
	CHECK_EQX("and no SIGCHLD pending", kpending(), 0);

	dispose(SIGCHLD, SIG_DFL);
	set_kmask(0);
}

/* -- interrupted system calls: EINTR and SA_RESTART ----------------------------------- */

enum tick_action { TICK_NONE, TICK_WRITE, TICK_KILL };

static volatile int ticks, in_call, in_ticks;
static volatile enum tick_action tick_action;
static volatile int tick_fd = -1;
static volatile pid_t tick_pid;

/* SIGALRM: counts; the third tick during the call completes it. */
static void
h_tick(int sig, siginfo_t *si, void *ctx)
{
	int e = errno;

	(void)sig, (void)si, (void)ctx;
	ticks++;
	if (!in_call)
		return;
	if (++in_ticks == 3) {
		if (tick_action == TICK_WRITE)
			(void)!write(tick_fd, "x", 1);
		else if (tick_action == TICK_KILL)
			kill(tick_pid, SIGKILL);
	}
	errno = e;
}

/* Install h_tick with the flags and start a 10 ms periodic ITIMER_REAL. */
static void
ticks_start(int flags, enum tick_action action)
{
	ticks = in_ticks = in_call = 0;
	tick_action = action;
	handle(SIGALRM, h_tick, flags);
	arm_timer(10000, 10000);
}

static void
ticks_stop(void)
{
	in_call = 0;
	arm_timer(0, 0);
	dispose(SIGALRM, SIG_DFL);
}

static void
check_restart(void)
{
	struct timespec req, rem;
	int fd[2], r, e, st;
	pid_t pid;
	char c = 0;

	if (pipe(fd) < 0)
		return;
	tick_fd = fd[1];

	/* read: EINTR without SA_RESTART. */
	ticks_start(0, TICK_NONE);
	in_call = 1;
	r = read(fd[0], &c, 1);
	e = errno;
	ticks_stop();
	check(r == -1 && e == EINTR, "read on an empty pipe, handler without SA_RESTART: EINTR",
	      "%d errno %s", r, errname(e));
	CHECK_TRUE("the handler ran during the read", in_ticks >= 1, "%d ticks", in_ticks);

	/* read: restarted with SA_RESTART until the handler writes on the third tick. */
	ticks_start(SA_RESTART, TICK_WRITE);
	in_call = 1;
	r = read(fd[0], &c, 1);
	e = errno;
	ticks_stop();
	check(r == 1 && c == 'x', "read with SA_RESTART is restarted and gets the data",
	      "%d errno %s", r, r < 0 ? errname(e) : "-");
	CHECK_TRUE("the handler ran 3 times during the read", in_ticks >= 3, "%d ticks", in_ticks);

	/* waitpid: EINTR without SA_RESTART. */
	pid = fork();
	if (pid == 0)
		child_pause_forever();
	tick_pid = pid;
	ticks_start(0, TICK_NONE);
	in_call = 1;
	r = waitpid(pid, &st, 0);
	e = errno;
	ticks_stop();
	check(r == -1 && e == EINTR, "waitpid for a pausing child, no SA_RESTART: EINTR",
	      "%d errno %s", r, errname(e));
	kill(pid, SIGKILL);
	reap(pid, 0);

	/* waitpid: restarted until the handler kills the child on the third tick. */
	pid = fork();
	if (pid == 0)
		child_pause_forever();
	tick_pid = pid;
	ticks_start(SA_RESTART, TICK_KILL);
	in_call = 1;
	r = waitpid(pid, &st, 0);
	e = errno;
	ticks_stop();
	check(r == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "waitpid with SA_RESTART is restarted and reaps the child the handler killed",
	      "%d errno %s status %#x", r, r < 0 ? errname(e) : "-", st);
	CHECK_TRUE("the handler ran 3 times during waitpid", in_ticks >= 3, "%d ticks", in_ticks);
	if (r != pid) {
		kill(pid, SIGKILL);
		reap(pid, 0);
	}

	/* nanosleep: EINTR with the time left, even with SA_RESTART. */
	ticks_start(SA_RESTART, TICK_NONE);
	req.tv_sec = 1;
	req.tv_nsec = 0;
	rem.tv_sec = rem.tv_nsec = -1;
	r = nanosleep(&req, &rem);
	e = errno;
	ticks_stop();
	check(r == -1 && e == EINTR, "nanosleep(1 s) interrupted, SA_RESTART or not: EINTR",
	      "%d errno %s", r, errname(e));
	check(rem.tv_sec == 0 && rem.tv_nsec > 0 && rem.tv_nsec < 1000000000L,
	      "nanosleep: the remaining time is less than asked and more than 0", "rem %ld.%09ld",
	      (long)rem.tv_sec, (long)rem.tv_nsec);

	/* pause: EINTR, SA_RESTART or not. */
	ticks_start(SA_RESTART, TICK_NONE);
	in_call = 1;
	r = pause();
	e = errno;
	ticks_stop();
	check(r == -1 && e == EINTR && in_ticks >= 1,
	      "pause returns EINTR after the handler, SA_RESTART or not", "%d errno %s, %d ticks",
	      r, errname(e), in_ticks);

	close(fd[0]);
	close(fd[1]);
	tick_fd = -1;
}

/* -- kill to other processes and groups ------------------------------------------------ */

struct report {
	int signo, code, pid, uid, value;
};

static volatile int got_usr1, got_usr2;
static volatile int report_fd = -1;
static volatile struct report child_seen;

/* In the children: record, and tell the parent which child got which signal. */
static volatile char child_tag;

static void
h_child(int sig, siginfo_t *si, void *ctx)
{
	char msg[2];

	(void)ctx;
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_usr2 = 1;
	child_seen.signo = si->si_signo;
	child_seen.code = si->si_code;
	child_seen.pid = si->si_pid;
	child_seen.uid = (int)si->si_uid;
	msg[0] = child_tag;
	msg[1] = sig == SIGUSR1 ? '1' : '2';
	if (report_fd >= 0)
		(void)!write(report_fd, msg, 2);
}

/* Child in a group: ready, wait for SIGUSR1, (sender: kill(0, SIGUSR2)), wait for SIGUSR2. */
static void
group_child(char tag, pid_t pgid, int ready_fd, int sender)
{
	sigset_t wait_mask = sigset_of(0);

	child_tag = tag;
	setpgid(0, pgid);
	set_kmask(BIT(SIGUSR1) | BIT(SIGUSR2));
	handle(SIGUSR1, h_child, 0);
	handle(SIGUSR2, h_child, 0);
	if (write(ready_fd, &tag, 1) != 1)
		_exit(2);
	while (!got_usr1)
		sigsuspend(&wait_mask);
	if (sender && kill(0, SIGUSR2) != 0)
		_exit(3);
	while (!got_usr2)
		sigsuspend(&wait_mask);
	_exit(0);
}

static void
check_kill(void)
{
	sigset_t wait_mask = sigset_of(0);
	int ready[2], rep[2], st, st2, counts[2][2] = {{0, 0}, {0, 0}}, i, bad = 0;
	struct report rpt;
	siginfo_t si;
	pid_t pid, pid2;
	char c, msg[8];

	if (pipe(ready) < 0 || pipe(rep) < 0)
		return;

	/* The parent signals a child that waits in sigsuspend. */
	pid = fork();
	if (pid == 0) {
		set_kmask(BIT(SIGUSR1));
		handle(SIGUSR1, h_child, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		while (!got_usr1)
			sigsuspend(&wait_mask);
		rpt = child_seen;
		_exit(write(rep[1], &rpt, sizeof(rpt)) == sizeof(rpt) ? 0 : 2);
	}
	memset(&rpt, 0, sizeof(rpt));
	check(read_all(ready[0], &c, 1) == 0, "child ready", "no");
	CHECK_OK("kill(child, SIGUSR1)", kill(pid, SIGUSR1));
	if (CHECK_EQ("the child's handler ran and reported", read_all(rep[0], &rpt, sizeof(rpt)),
		     0))
		check(rpt.signo == SIGUSR1 && rpt.code == SI_USER && rpt.pid == getpid() &&
			  rpt.uid == (int)getuid(),
		      "the child saw SI_USER from our pid and uid",
		      "signo %d code %d pid %d uid %d", rpt.signo, rpt.code, rpt.pid, rpt.uid);
	CHECK_EQ("the child exited 0", reap(pid, 0), 0);

	/* sigqueue to another process: the value arrives. */
	pid = fork();
	if (pid == 0) {
		sigset_t set = sigset_of(BIT(SIGUSR2));

		set_kmask(BIT(SIGUSR2));
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		memset(&si, 0, sizeof(si));
		if (sigwaitinfo(&set, &si) != SIGUSR2)
			_exit(3);
		rpt.signo = si.si_signo;
		rpt.code = si.si_code;
		rpt.pid = si.si_pid;
		rpt.uid = (int)si.si_uid;
		rpt.value = si.si_value.sival_int;
		_exit(write(rep[1], &rpt, sizeof(rpt)) == sizeof(rpt) ? 0 : 2);
	}
	read_all(ready[0], &c, 1);
	{
		union sigval v;

		v.sival_int = 31337;
		CHECK_OK("sigqueue(child, SIGUSR2, 31337)", sigqueue(pid, SIGUSR2, v));
	}
	memset(&rpt, 0, sizeof(rpt));
	if (CHECK_EQ("the child's sigwaitinfo got it", read_all(rep[0], &rpt, sizeof(rpt)), 0))
		check(rpt.code == SI_QUEUE && rpt.value == 31337 && rpt.pid == getpid(),
		      "the child saw SI_QUEUE, the value and our pid", "code %d value %d pid %d",
		      rpt.code, rpt.value, rpt.pid);
	CHECK_EQ("the child exited 0", reap(pid, 0), 0);

	/*
	 * A process group of two children. We send SIGUSR1 to the group; the
	 * second child then sends SIGUSR2 to its own group with kill(0, ...).
	 * We block both and must see neither.
	 */
	set_kmask(BIT(SIGUSR1) | BIT(SIGUSR2));
	pid = fork();
	if (pid == 0) {
		report_fd = rep[1];
		group_child('a', 0, ready[1], 0);
	}
	setpgid(pid, pid);
	pid2 = fork();
	if (pid2 == 0) {
		report_fd = rep[1];
		group_child('b', pid, ready[1], 1);
	}
	setpgid(pid2, pid);
	check(read_all(ready[0], msg, 2) == 0, "both group children ready", "no");
	CHECK_EQ("the second child is in the first one's group", getpgid(pid2), pid);
	CHECK_OK("kill(-pgid, SIGUSR1)", kill(-pid, SIGUSR1));
	if (CHECK_EQ("four deliveries reported", read_all(rep[0], msg, 8), 0)) {
		for (i = 0; i < 8; i += 2) {
			if ((msg[i] != 'a' && msg[i] != 'b') ||
			    (msg[i + 1] != '1' && msg[i + 1] != '2'))
				bad++;
			else
				counts[msg[i] - 'a'][msg[i + 1] - '1']++;
		}
		check(!bad && counts[0][0] == 1 && counts[1][0] == 1,
		      "kill(-pgid, SIGUSR1) reached both members once", "a %d, b %d, bad %d",
		      counts[0][0], counts[1][0], bad);
		check(!bad && counts[0][1] == 1 && counts[1][1] == 1,
		      "kill(0, SIGUSR2) from a member reached both members once", "a %d, b %d",
		      counts[0][1], counts[1][1]);
	}
	st = reap(pid, 0);
	st2 = reap(pid2, 0);
	check(st == 0 && st2 == 0, "both group children exited 0", "status %#x, %#x", st, st2);
	CHECK_EQX("neither group signal reached us", kpending(), 0);
	CHECK_ERR("kill(-pgid) of a group that is gone is ESRCH", kill(-pid, SIGUSR1), ESRCH);
	set_kmask(0);

	/* A zombie can be signalled; it stays dead with its own status. */
	pid = fork();
	if (pid == 0)
		_exit(9);
	memset(&si, 0, sizeof(si));
	check(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_code == CLD_EXITED,
	      "waitid(WNOWAIT): the child is a zombie", "errno %s", errname(errno));
	CHECK_OK("kill(zombie, 0) succeeds", kill(pid, 0));
	CHECK_OK("kill(zombie, SIGKILL) succeeds", kill(pid, SIGKILL));
	CHECK_EQ("the zombie's status is still exit 9", reap(pid, 0), 9 << 8);

	close(ready[0]);
	close(ready[1]);
	close(rep[0]);
	close(rep[1]);
}

/* -- SIGPIPE -------------------------------------------------------------------------- */

static volatile struct {
	int n, code, pid;
} pipesig;

static void
h_pipe(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	pipesig.n++;
	pipesig.code = si->si_code;
	pipesig.pid = si->si_pid;
}

static void
check_sigpipe(void)
{
	struct timespec zero = {0, 0};
	sigset_t set;
	int fd[2], st, e;
	ssize_t r;
	pid_t pid;

	if (pipe(fd) < 0)
		return;
	close(fd[0]);

	pid = fork();
	if (pid == 0) {
		dispose(SIGPIPE, SIG_DFL);
		(void)!write(fd[1], "x", 1);
		_exit(0);
	}
	st = reap(pid, 0);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
	      "write to a pipe with no reader: killed by SIGPIPE", "status %#x", st);

	dispose(SIGPIPE, SIG_IGN);
	errno = 0;
	r = write(fd[1], "x", 1);
	e = errno;
	check(r == -1 && e == EPIPE, "SIGPIPE ignored: write is EPIPE", "%zd errno %s", r,
	      errname(e));

	memset((void *)&pipesig, 0, sizeof(pipesig));
	handle(SIGPIPE, h_pipe, 0);
	errno = 0;
	r = write(fd[1], "x", 1);
	e = errno;
	check(r == -1 && e == EPIPE, "SIGPIPE caught: write is EPIPE", "%zd errno %s", r,
	      errname(e));
	CHECK_EQ("SIGPIPE caught: the handler ran before write returned", pipesig.n, 1);
	check(pipesig.code == SI_USER && pipesig.pid == getpid(),
	      "SIGPIPE: SI_USER from our own pid", "code %d pid %d", pipesig.code, pipesig.pid);

	set_kmask(BIT(SIGPIPE));
	errno = 0;
	r = write(fd[1], "x", 1);
	e = errno;
	check(r == -1 && e == EPIPE, "SIGPIPE blocked: write is EPIPE", "%zd errno %s", r,
	      errname(e));
	CHECK_EQX("SIGPIPE blocked: it is pending", kpending(), BIT(SIGPIPE));
	set = sigset_of(BIT(SIGPIPE));
	sigtimedwait(&set, NULL, &zero);
	set_kmask(0);
	CHECK_EQ("the pending SIGPIPE was collected, not delivered", pipesig.n, 1);
	dispose(SIGPIPE, SIG_DFL);
	close(fd[1]);
}

/*
 * A zombie is still a process to kill(2): until it is reaped, kill, killpg,
 * tkill and sigqueue reach it and return 0 (the signal has no effect), and
 * kill(-1) counts it. Only the reaped pid is ESRCH.
 */
static void
check_zombie(void)
{
	siginfo_t si;
	union sigval v;
	pid_t z, ok;
	int st;

	z = fork();
	if (z == 0) {
		setpgid(0, 0);
		_exit(7);
	}
	/* WNOWAIT: wait until it is a zombie, and leave it one. */
	memset(&si, 0, sizeof(si));
	CHECK_OK("waitid(WEXITED|WNOWAIT) for the child", waitid(P_PID, z, &si, WEXITED | WNOWAIT));
	CHECK_OK("kill(zombie, 0)", kill(z, 0));
	CHECK_OK("kill(zombie, SIGTERM)", kill(z, SIGTERM));
	CHECK_OK("kill(-its group, SIGTERM), a group of one zombie", kill(-z, SIGTERM));
	CHECK_OK("tkill(zombie, SIGTERM)", (int)syscall(SYS_tkill, z, SIGTERM));
	CHECK_OK("tgkill(zombie, zombie, 0)", (int)syscall(SYS_tgkill, z, z, 0));
	v.sival_int = 1;
	CHECK_OK("sigqueue(zombie, SIGUSR1)", sigqueue(z, SIGUSR1, v));
	ok = waitpid(z, &st, 0);
	CHECK_EQ("reaped the zombie", ok, z);
	CHECK_EQ("it exited 7, not of a signal", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 7);
	CHECK_ERR("kill(reaped pid, 0)", kill(z, 0), ESRCH);
}

int
main(void)
{
	struct rlimit nocore = {0, 0};

	guest_begin("t_sigproc", "signals between processes, stops, SIGCHLD, EINTR, SIGPIPE");
	/* The children killed by SIGQUIT and SIGABRT leave no core files. */
	setrlimit(RLIMIT_CORE, &nocore);
	set_kmask(0);
	check_defaults();
	check_stop();
	check_sigchld();
	check_restart();
	check_kill();
	check_zombie();
	check_sigpipe();
	return guest_end();
}
