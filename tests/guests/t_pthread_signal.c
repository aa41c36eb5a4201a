/*
 * t_pthread_signal - signals in a process of several threads: a signal sent
 * to one thread (pthread_kill, tgkill) runs its handler in that thread; one
 * sent to the process (kill) goes to a thread that does not block it, or
 * waits, pending for the whole process, until one unblocks it; masks are
 * per thread and a new thread starts with its creator's; a dedicated thread
 * takes signals with sigwait/sigwaitinfo; a fault is handled in the thread
 * that faulted; each thread has its own alternate signal stack; a fatal
 * signal ends every thread, and stop and continue act on the whole process.
 *
 * Usage: t_pthread_signal
 *
 * Three worker threads obey commands from the main thread, one at a time
 * through a pipe each (block or unblock signals, report the mask or the
 * pending set), and answer through a shared reply pipe. Handlers report
 * the signal and gettid() of the thread they ran in through a third pipe.
 * A handler runs as its thread returns from the system call that made the
 * signal deliverable, before the thread's next step, so a worker's reply
 * to "unblock" comes after the handler it let run, and the main thread
 * needs no other ordering. A signal that never arrives shows as a failed
 * check after a bounded wait (SIG_WAIT_MS), not as a hang.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "gsig.h"
#include "gthr.h"

#define NWORKERS    3
#define SIG_WAIT_MS 20000 /* only a failure waits this long */

struct worker {
	pthread_t t;
	pid_t tid;
	uint64_t start_mask;
	int cmd[2];
};

struct cmd {
	char op; /* 'b' block, 'u' unblock, 'm' mask, 'p' pending */
	uint64_t bits;
};

struct sigrec {
	int sig;
	pid_t tid;
};

static struct worker w[NWORKERS];
static int reply_pipe[2], sig_pipe[2];

static void
on_signal(int sig, siginfo_t *si, void *uc)
{
	struct sigrec r = {sig, gtid()};
	int e = errno;

	(void)si;
	(void)uc;
	write(sig_pipe[1], &r, sizeof(r));
	errno = e;
}

static void *
worker_main(void *arg)
{
	struct worker *me = arg;
	struct cmd c;
	uint64_t r;

	me->tid = gtid();
	me->start_mask = kmask();
	while (read_full(me->cmd[0], &c, sizeof(c)) == 0) {
		sigset_t set = sigset_of(c.bits);

		switch (c.op) {
		case 'b':
			r = pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? kmask() : ~0ULL;
			break;
		case 'u':
			r = pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? kmask() : ~0ULL;
			break;
		case 'm':
			r = kmask();
			break;
		case 'p':
			r = kpending();
			break;
		default:
			return NULL;
		}
		write_full(reply_pipe[1], &r, sizeof(r));
	}
	return NULL;
}

/* Send worker i a command and return its answer (~0 if it did not answer). */
static uint64_t
cmd(int i, char op, uint64_t bits)
{
	struct cmd c;
	uint64_t r = ~0ULL;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.bits = bits;
	if (write_full(w[i].cmd[1], &c, sizeof(c)) != 0 || read_full(reply_pipe[0], &r, sizeof(r)))
		return ~0ULL;
	return r;
}

/* The next handler report, or {0, 0} if none comes within SIG_WAIT_MS (or within ms). */
static struct sigrec
next_report(int ms)
{
	struct pollfd p = {sig_pipe[0], POLLIN, 0};
	struct sigrec r = {0, 0};

	if (poll(&p, 1, ms) == 1)
		read_full(sig_pipe[0], &r, sizeof(r));
	return r;
}

/* Check that the next handler report is sig in thread tid. */
static void
expect_report(const char *what, int sig, pid_t tid)
{
	struct sigrec r = next_report(SIG_WAIT_MS);

	check(r.sig == sig && r.tid == tid, what,
	      "got signal %d in tid %d, want signal %d in tid %d", r.sig, (int)r.tid, sig,
	      (int)tid);
}

/* Check that no handler ran that was not accounted for. */
static void
expect_quiet(const char *what)
{
	struct sigrec r = next_report(0);

	check(r.sig == 0, what, "got signal %d in tid %d, want none", r.sig, (int)r.tid);
}

static int
worker_index(pid_t tid)
{
	int i;

	for (i = 0; i < NWORKERS; i++)
		if (w[i].tid == tid)
			return i;
	return -1;
}

static uint64_t initial_mask;
static int sigwait_sig; /* SIGRTMIN + 1, known at run time */

static int
start_workers(void)
{
	int i, ok = 1;

	for (i = 0; i < NWORKERS; i++) {
		if (pipe(w[i].cmd) != 0 || pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0) {
			ok = 0;
			break;
		}
		/* The answer orders the thread's first writes (tid, start mask) before our reads.
		 */
		cmd(i, 'm', 0);
	}
	return CHECK_EQ("start 3 worker threads", ok, 1);
}

static void
check_start(void)
{
	int i, bad = 0;

	for (i = 0; i < NWORKERS; i++)
		bad += w[i].start_mask != initial_mask;
	check(bad == 0, "a new thread starts with its creator's signal mask", "%d of 3 differ",
	      bad);
	for (i = 0; i < NWORKERS; i++)
		bad += w[i].tid <= 0 || w[i].tid == getpid() || worker_index(w[i].tid) != i;
	CHECK_EQ("the workers have distinct thread ids", bad, 0);
}

/* pthread_kill: the handler runs in the thread named, whichever it is. */
static void
check_directed(void)
{
	char msg[96];
	int i;

	for (i = 0; i < NWORKERS; i++) {
		snprintf(msg, sizeof(msg),
			 "pthread_kill(worker %d, SIGUSR1): the handler runs there", i);
		if (CHECK_EQ("pthread_kill", pthread_kill(w[i].t, SIGUSR1), 0))
			expect_report(msg, SIGUSR1, w[i].tid);
	}
	for (i = NWORKERS - 1; i >= 0; i--) {
		snprintf(msg, sizeof(msg),
			 "tgkill(pid, worker %d, SIGUSR1): the handler runs there", i);
		if (CHECK_OK("tgkill", syscall(SYS_tgkill, getpid(), w[i].tid, SIGUSR1)))
			expect_report(msg, SIGUSR1, w[i].tid);
	}
	CHECK_EQ("pthread_kill(pthread_self(), SIGUSR1)", pthread_kill(pthread_self(), SIGUSR1), 0);
	expect_report(
	    "pthread_kill to oneself: the handler ran in the main thread, before returning",
	    SIGUSR1, gtid());
	CHECK_EQ("pthread_kill with signal 0 checks the thread", pthread_kill(w[0].t, 0), 0);
	expect_quiet("no other handler ran");
}

/* kill(getpid()): the one thread that does not block the signal takes it. */
static void
check_process_directed(void)
{
	char msg[96];
	uint64_t m;
	int i;

	for (i = 0; i < NWORKERS; i++) {
		m = cmd(i, 'u', BIT(SIGUSR2));
		CHECK_EQ("a worker unblocks SIGUSR2", !!(m & BIT(SIGUSR2)), 0);
		snprintf(
		    msg, sizeof(msg),
		    "kill(getpid(), SIGUSR2) goes to worker %d, the only thread not blocking it",
		    i);
		CHECK_OK("kill", kill(getpid(), SIGUSR2));
		expect_report(msg, SIGUSR2, w[i].tid);
		cmd(i, 'b', BIT(SIGUSR2));
	}
	expect_quiet("no other handler ran");

	/* Everyone blocks it: pending for the process, seen by every thread, until one unblocks. */
	CHECK_OK("kill(getpid(), SIGUSR2) with every thread blocking it", kill(getpid(), SIGUSR2));
	CHECK_EQ("process-pending SIGUSR2 shows in the main thread's sigpending",
		 !!(kpending() & BIT(SIGUSR2)), 1);
	CHECK_EQ("process-pending SIGUSR2 shows in a worker's sigpending",
		 !!(cmd(2, 'p', 0) & BIT(SIGUSR2)), 1);
	expect_quiet("a signal every thread blocks runs no handler");
	cmd(1, 'u', BIT(SIGUSR2));
	expect_report("the pending SIGUSR2 runs in worker 1 as it unblocks it", SIGUSR2, w[1].tid);
	CHECK_EQ("delivered: no longer pending", !!(kpending() & BIT(SIGUSR2)), 0);
	cmd(1, 'b', BIT(SIGUSR2));

	/* Thread-directed to a thread that blocks it: pending for that thread only. */
	cmd(0, 'b', BIT(SIGUSR1));
	CHECK_EQ("pthread_kill(worker 0, SIGUSR1) while it blocks SIGUSR1",
		 pthread_kill(w[0].t, SIGUSR1), 0);
	CHECK_EQ("thread-pending SIGUSR1 shows in worker 0's sigpending",
		 !!(cmd(0, 'p', 0) & BIT(SIGUSR1)), 1);
	CHECK_EQ("thread-pending SIGUSR1 is not in worker 1's sigpending",
		 !!(cmd(1, 'p', 0) & BIT(SIGUSR1)), 0);
	CHECK_EQ("thread-pending SIGUSR1 is not in the main thread's sigpending",
		 !!(kpending() & BIT(SIGUSR1)), 0);
	expect_quiet("no other thread took worker 0's SIGUSR1");
	cmd(0, 'u', BIT(SIGUSR1));
	expect_report("worker 0's pending SIGUSR1 runs there as it unblocks it", SIGUSR1, w[0].tid);
}

/* Masks are per thread: what one blocks, the others do not. */
static void
check_masks(void)
{
	uint64_t m0, m1, m2;

	cmd(0, 'b', BIT(SIGHUP));
	cmd(2, 'b', BIT(SIGWINCH));
	m0 = cmd(0, 'm', 0);
	m1 = cmd(1, 'm', 0);
	m2 = cmd(2, 'm', 0);
	CHECK_EQX("worker 0's mask: its own SIGHUP added", m0, initial_mask | BIT(SIGHUP));
	CHECK_EQX("worker 1's mask: unchanged", m1, initial_mask);
	CHECK_EQX("worker 2's mask: its own SIGWINCH added", m2, initial_mask | BIT(SIGWINCH));
	CHECK_EQX("the main thread's mask: unchanged", kmask(), initial_mask);
	cmd(0, 'u', BIT(SIGHUP));
	cmd(2, 'u', BIT(SIGWINCH));
}

/* -- sigwait in a dedicated thread --------------------------------------------------------- */

struct waited {
	int sig, code, value;
	pid_t pid, tid;
};

static int waited_pipe[2];

/*
 * Take SIGTERM and sigwait_sig until a value of -1 comes, with the raw
 * rt_sigtimedwait: glibc's sigwaitinfo turns the kernel's SI_TKILL into
 * SI_USER, musl's does not.
 */
static void *
waiter(void *arg)
{
	uint64_t set = BIT(SIGTERM) | BIT(sigwait_sig);
	siginfo_t si;

	(void)arg;
	for (;;) {
		struct waited r;
		int s;

		memset(&si, 0, sizeof(si));
		s = (int)syscall(SYS_rt_sigtimedwait, &set, &si, NULL, 8);
		if (s < 0 && errno == EINTR)
			continue;
		memset(&r, 0, sizeof(r));
		r.sig = s;
		r.code = si.si_code;
		r.pid = si.si_pid;
		r.value = si.si_value.sival_int;
		r.tid = gtid();
		write_full(waited_pipe[1], &r, sizeof(r));
		if (s < 0 || (s == sigwait_sig && r.value == -1))
			return NULL;
	}
}

static struct waited
next_waited(void)
{
	struct waited r;

	memset(&r, 0, sizeof(r));
	read_full(waited_pipe[0], &r, sizeof(r));
	return r;
}

static int
sigqueue_int(int sig, int v)
{
	union sigval sv;

	sv.sival_int = v;
	return sigqueue(getpid(), sig, sv);
}

static void
check_sigwait(void)
{
	struct waited r;
	pthread_t t;
	pid_t wtid;
	int i, inorder = 0, ok;

	if (!CHECK_OK("pipe", pipe(waited_pipe)) ||
	    !CHECK_EQ("create the sigwait thread", pthread_create(&t, NULL, waiter, NULL), 0))
		return;
	CHECK_OK("kill(getpid(), SIGTERM) with every thread blocking it", kill(getpid(), SIGTERM));
	r = next_waited();
	wtid = r.tid;
	CHECK_EQ("rt_sigtimedwait in the dedicated thread takes SIGTERM", r.sig, SIGTERM);
	CHECK_EQ("... with si_code SI_USER", r.code, SI_USER);
	CHECK_EQ("... and si_pid our pid", r.pid, getpid());
	check(wtid > 0 && wtid != getpid() && worker_index(wtid) < 0, "... in the dedicated thread",
	      "tid %d", (int)wtid);
	CHECK_EQ("pthread_kill(sigwait thread, SIGTERM)", pthread_kill(t, SIGTERM), 0);
	r = next_waited();
	CHECK_EQ("the sigwait thread takes a signal sent to it", r.sig, SIGTERM);
	CHECK_EQ("... with si_code SI_TKILL", r.code, SI_TKILL);
	/* Queued real-time signals: each one taken, in the order sent. */
	ok = 1;
	for (i = 1; i <= 3; i++)
		ok &= sigqueue_int(sigwait_sig, 100 + i) == 0;
	CHECK_EQ("sigqueue 3 real-time signals to the process", ok, 1);
	for (i = 1; i <= 3; i++) {
		r = next_waited();
		inorder += r.sig == sigwait_sig && r.code == SI_QUEUE && r.value == 100 + i &&
			   r.tid == wtid;
	}
	CHECK_EQ("the sigwait thread takes all 3, in order, with their values", inorder, 3);
	sigqueue_int(sigwait_sig, -1);
	next_waited();
	pthread_join(t, NULL);
	CHECK_EQ("nothing the sigwait thread took is left pending",
		 kpending() & (BIT(SIGTERM) | BIT(sigwait_sig)), 0);
	expect_quiet("no handler ran for the waited signals");
}

/* -- a fault in a thread ----------------------------------------------------------------------- */

static char *fault_page;
static volatile pid_t segv_tid;
static void *volatile segv_addr;

static void
on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	segv_tid = gtid();
	segv_addr = si->si_addr;
	/* Make the access legal, so that it succeeds when the thread retries it. */
	mprotect(fault_page, 4096, PROT_READ | PROT_WRITE);
}

static void *
faulter(void *arg)
{
	pid_t *tid = arg;

	*tid = gtid();
	fault_page[8] = 42;
	return (void *)(intptr_t)fault_page[8];
}

static void
thread_faults_and_dies(void *arg)
{
	pthread_t t;
	int block = arg != NULL;

	if (block) {
		/* The handler is there but the thread blocks SIGSEGV: the fault still kills. */
		sigset_t set;

		handle(SIGSEGV, on_segv, 0);
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	} else {
		dispose(SIGSEGV, SIG_DFL);
	}
	mprotect(fault_page, 4096, PROT_NONE);
	if (pthread_create(&t, NULL, faulter, &(pid_t){0}) != 0)
		_exit(3);
	pthread_join(t, NULL);
	_exit(4);
}

static void
check_fault(void)
{
	pthread_t t;
	pid_t tid = 0;
	void *ret = NULL;
	int st;

	fault_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(fault_page != MAP_FAILED, "mmap PROT_NONE", "errno %s", errname(errno)))
		return;
	if (!CHECK_OK("SIGSEGV handler", handle(SIGSEGV, on_segv, 0)))
		return;
	if (!CHECK_EQ("create a thread that faults", pthread_create(&t, NULL, faulter, &tid), 0))
		return;
	pthread_join(t, &ret);
	CHECK_EQ("the SIGSEGV handler ran in the thread that faulted", segv_tid, tid);
	CHECK_TRUE("that thread is not the main thread", tid != gtid(), "tid %d", (int)tid);
	CHECK_EQX("si_addr is the faulting address", (uintptr_t)segv_addr,
		  (uintptr_t)(fault_page + 8));
	CHECK_EQ("the thread's access succeeded once the handler fixed the page", (intptr_t)ret,
		 42);
	dispose(SIGSEGV, SIG_DFL);

	st = fork_status(thread_faults_and_dies, NULL);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "an unhandled fault in a thread kills the whole process with SIGSEGV", "%s",
	      wait_text(st));
	st = fork_status(thread_faults_and_dies, (void *)1);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a fault in a thread that blocks SIGSEGV kills the process despite the handler", "%s",
	      wait_text(st));
	munmap(fault_page, 4096);
}

/* -- alternate signal stacks ----------------------------------------------------------------- */

#define ALT_SIZE (64 * 1024)

struct alt {
	char *buf;
	int initial_flags;
	int set;
	char *local;
	int flags_in_handler;
};

static __thread char *alt_local;
static __thread int alt_flags;
static pthread_barrier_t alt_bar;

static void
on_alt(int sig, siginfo_t *si, void *uc)
{
	char here;
	stack_t ss;

	(void)sig;
	(void)si;
	(void)uc;
	alt_local = &here;
	alt_flags = sigaltstack(NULL, &ss) == 0 ? ss.ss_flags : -1;
}

static void
alt_run(struct alt *a)
{
	stack_t ss, old;

	sigaltstack(NULL, &old);
	a->initial_flags = old.ss_flags;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = a->buf;
	ss.ss_size = ALT_SIZE;
	a->set = sigaltstack(&ss, NULL);
	/* Every thread has installed its own before any takes the signal. */
	pthread_barrier_wait(&alt_bar);
	pthread_kill(pthread_self(), SIGURG);
	a->local = alt_local;
	a->flags_in_handler = alt_flags;
}

static void *
alt_thread(void *arg)
{
	alt_run(arg);
	return NULL;
}

static int
on_its_stack(const struct alt *a)
{
	return a->local >= a->buf && a->local < a->buf + ALT_SIZE;
}

static void
check_altstack(void)
{
	static char bufs[3][ALT_SIZE] __attribute__((aligned(16)));
	struct alt a[3];
	pthread_t t[2];
	stack_t mine;
	int i, started;

	if (!CHECK_OK("SIGURG handler on the alternate stack", handle(SIGURG, on_alt, SA_ONSTACK)))
		return;
	memset(a, 0, sizeof(a));
	for (i = 0; i < 3; i++)
		a[i].buf = bufs[i];
	/* The main thread's own alternate stack, set before the threads start. */
	memset(&mine, 0, sizeof(mine));
	mine.ss_sp = bufs[0];
	mine.ss_size = ALT_SIZE;
	if (!CHECK_OK("sigaltstack in the main thread", sigaltstack(&mine, NULL)))
		return;
	pthread_barrier_init(&alt_bar, NULL, 2);
	for (started = 0; started < 2; started++)
		if (pthread_create(&t[started], NULL, alt_thread, &a[started + 1]) != 0)
			break;
	if (!CHECK_EQ("create 2 threads", started, 2))
		return; /* the barrier would never open */
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 1; i < 3; i++) {
		char msg[96];

		snprintf(msg, sizeof(msg), "thread %d starts with no alternate stack (SS_DISABLE)",
			 i);
		CHECK_EQ(msg, a[i].initial_flags, SS_DISABLE);
		snprintf(msg, sizeof(msg), "thread %d: sigaltstack", i);
		CHECK_EQ(msg, a[i].set, 0);
		snprintf(msg, sizeof(msg), "thread %d's handler ran on its own alternate stack", i);
		CHECK_TRUE(msg, on_its_stack(&a[i]), "local at %p, stack %p + %d",
			   (void *)a[i].local, (void *)a[i].buf, ALT_SIZE);
		snprintf(msg, sizeof(msg), "thread %d's handler sees SS_ONSTACK", i);
		CHECK_EQ(msg, !!(a[i].flags_in_handler & SS_ONSTACK), 1);
	}
	pthread_barrier_destroy(&alt_bar);
	pthread_barrier_init(&alt_bar, NULL, 1);
	alt_run(&a[0]);
	CHECK_TRUE("the main thread's handler ran on the main thread's alternate stack",
		   on_its_stack(&a[0]), "local at %p, stack %p", (void *)a[0].local,
		   (void *)a[0].buf);
	pthread_barrier_destroy(&alt_bar);
	mine.ss_flags = SS_DISABLE;
	sigaltstack(&mine, NULL);
	dispose(SIGURG, SIG_DFL);
}

/* -- the whole process: a fatal signal, stop and continue ---------------------------------------
 */

static int child_ready[2], child_go[2];

static void *
child_thread(void *arg)
{
	char c;

	(void)arg;
	return (void *)(intptr_t)read_full(child_go[0], &c, 1);
}

/* A child of 3 threads: say ready, then each extra thread waits for a byte. */
static void
three_threads(void *arg)
{
	pthread_t t[2];
	sigset_t set;
	void *ret;
	int i, ok = 0;

	(void)arg;
	/* The parent blocks SIGTERM for its sigwait thread; this child must die of it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, child_thread, NULL) != 0)
			_exit(3);
	write_full(child_ready[1], "r", 1);
	for (i = 0; i < 2; i++)
		ok += pthread_join(t[i], &ret) == 0 && ret == NULL;
	_exit(ok == 2 ? 0 : 5);
}

static pid_t
start_child(void)
{
	pid_t pid;
	char c;

	if (pipe(child_ready) != 0 || pipe(child_go) != 0)
		return -1;
	pid = fork();
	if (pid == 0)
		three_threads(NULL);
	close(child_ready[1]);
	close(child_go[0]);
	if (pid > 0 && read_full(child_ready[0], &c, 1) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(child_ready[0]);
	return pid;
}

static void
check_group(void)
{
	pid_t pid;
	int st = -1;

	pid = start_child();
	if (CHECK_OK("fork a child of 3 threads", pid)) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		check(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		      "SIGTERM (default action) ends a process of 3 threads", "%s", wait_text(st));
		close(child_go[1]);
	}

	pid = start_child();
	if (!CHECK_OK("fork a child of 3 threads", pid))
		return;
	kill(pid, SIGSTOP);
	st = -1;
	waitpid(pid, &st, WUNTRACED);
	check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "SIGSTOP stops a process of 3 threads",
	      "status %#x", st);
	kill(pid, SIGCONT);
	st = -1;
	waitpid(pid, &st, WCONTINUED);
	CHECK_EQ("SIGCONT continues it", WIFCONTINUED(st), 1);
	write_full(child_go[1], "gg", 2);
	close(child_go[1]);
	st = -1;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "after the stop its threads run on and it exits 0", "%s", wait_text(st));
}

int
main(void)
{
	sigset_t set;
	int i;

	guest_begin("t_pthread_signal", "signals and threads");
	sigwait_sig = SIGRTMIN + 1;
	if (!CHECK_OK("pipe", pipe(reply_pipe)) || !CHECK_OK("pipe", pipe(sig_pipe)))
		return guest_end();
	for (i = 0; i < 2; i++)
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	CHECK_OK("SIGUSR1 handler", handle(SIGUSR1, on_signal, SA_RESTART));
	CHECK_OK("SIGUSR2 handler", handle(SIGUSR2, on_signal, SA_RESTART));
	/* Blocked here before any thread starts, so in every thread: SIGUSR2 and the waited ones.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, sigwait_sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	initial_mask = kmask();
	if (!start_workers())
		return guest_end();
	check_start();
	check_directed();
	check_process_directed();
	check_masks();
	check_sigwait();
	check_fault();
	check_altstack();
	check_group();
	/* A worker ends on 'q' without answering: closing its pipe is the same command. */
	for (i = 0; i < NWORKERS; i++) {
		close(w[i].cmd[1]);
		pthread_join(w[i].t, NULL);
	}
	return guest_end();
}
