/*
 * t_sched - sharing one CPU: processes that never enter the kernel are
 * preempted, so that others make progress; sched_yield and the scheduler's
 * view of a process.
 *
 * Usage: t_sched
 *
 * The program first pins itself (and so its children) to one CPU, so that
 * natively too the processes share a single CPU. A spinner counts in user
 * space with no system call at all, reports once with a byte on a pipe, and
 * then spins forever: nothing else would ever run again on its CPU if the
 * kernel did not take the CPU away from it. The parent waits for the reports
 * with infinite timeouts; an alarm after 30 s makes a hang fail loudly (and
 * kills the children), and each spinner ends itself after 60 s should the
 * parent be gone.
 */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define NSEC	      1000000000LL
#define MSEC	      1000000LL
#define SPIN_MS	      50 /* how long a spinner counts before it reports, natively */
#define PRINT_LINES   20
#define SAFETY_S      30
#define SELF_DESTRUCT 60

static pid_t kids[8];
static int nkids;
static unsigned long spin_iters = 100000000UL; /* set by calibrate() */

static long long
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * NSEC + t.tv_nsec;
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
on_alarm(int sig)
{
	int i;

	(void)sig;
	say("FAIL: %s: no progress after %d s: are spinning processes preempted?\n", guest_name,
	    SAFETY_S);
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	_exit(2);
}

/*
 * calibrate - set spin_iters to what counts for SPIN_MS here: the fastest of
 * ten timed runs of a million, scaled (time lost to other processes during
 * a run only makes the count smaller).
 */
static void
calibrate(void)
{
	long long best = 0, t;
	volatile unsigned long n;
	int i;

	for (i = 0; i < 10; i++) {
		t = now_ns();
		for (n = 0; n < 1000000; n++)
			;
		t = now_ns() - t;
		if (best == 0 || t < best)
			best = t;
	}
	if (best < 1)
		best = 1;
	spin_iters = (unsigned long)(SPIN_MS * MSEC * 1000000 / best);
	if (spin_iters < 1000000)
		spin_iters = 1000000;
	if (spin_iters > 4000000000UL)
		spin_iters = 4000000000UL;
	say("     a spinner counts to %lu (a million in %lld us)\n", spin_iters, best / 1000);
}

/*
 * spinner - count to spin_iters in user space, without a system call, write
 * tag to fd, then spin forever, again without a system call.
 */
static _Noreturn void
spinner(int fd, char tag)
{
	volatile unsigned long n;

	signal(SIGALRM, SIG_DFL);
	alarm(SELF_DESTRUCT);
	for (n = 0; n < spin_iters; n++)
		;
	if (write(fd, &tag, 1) != 1)
		_exit(1);
	for (;;)
		n++;
}

/* printer - write PRINT_LINES lines to fd, a 1 ms sleep after each, and exit 0. */
static _Noreturn void
printer(int fd)
{
	struct timespec nap = {0, MSEC};
	char line[16];
	int i;

	for (i = 0; i < PRINT_LINES; i++) {
		snprintf(line, sizeof(line), "line %02d\n", i);
		if (write(fd, line, 8) != 8)
			_exit(1);
		nanosleep(&nap, NULL);
	}
	_exit(0);
}

static pid_t
spawn(void)
{
	pid_t pid = fork();

	if (pid > 0)
		kids[nkids++] = pid;
	return pid;
}

static void
pin_one_cpu(void)
{
	cpu_set_t set, one;
	int cpu, online = (int)sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	if (!CHECK_EQ("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set), 0))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	if (!check(cpu < CPU_SETSIZE, "the affinity mask names a CPU", "empty mask"))
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CHECK_EQ("sched_setaffinity to one CPU", sched_setaffinity(0, sizeof(one), &one), 0);
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	check(CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set), "the process now runs on that CPU only",
	      "%d CPUs in the mask", CPU_COUNT(&set));
	say("     pinned to CPU %d of %d online\n", cpu, online);
}

static void
check_scheduler(void)
{
	struct sched_param sp;
	int i, bad = 0;

	for (i = 0; i < 100; i++)
		bad += sched_yield() != 0;
	CHECK_EQ("sched_yield returns 0, 100 times", bad, 0);
	/* Raw calls: musl's wrappers say ENOSYS, Linux's calls being per thread. */
	CHECK_EQ("sched_getscheduler(0) is SCHED_OTHER", syscall(SYS_sched_getscheduler, 0),
		 SCHED_OTHER);
	sp.sched_priority = -1;
	check(syscall(SYS_sched_getparam, 0, &sp) == 0 && sp.sched_priority == 0,
	      "sched_getparam(0): priority 0", "priority %d errno %s", sp.sched_priority,
	      errname(errno));
	check(sched_get_priority_min(SCHED_OTHER) == 0 && sched_get_priority_max(SCHED_OTHER) == 0,
	      "SCHED_OTHER priorities are 0..0", "%d..%d", sched_get_priority_min(SCHED_OTHER),
	      sched_get_priority_max(SCHED_OTHER));
	check(sched_get_priority_min(SCHED_FIFO) == 1 && sched_get_priority_max(SCHED_FIFO) == 99,
	      "SCHED_FIFO priorities are 1..99", "%d..%d", sched_get_priority_min(SCHED_FIFO),
	      sched_get_priority_max(SCHED_FIFO));
}

/*
 * A spinner and a printer on one CPU: the printer's 20 lines and the
 * spinner's report must both arrive, although the spinner never gives the
 * CPU back.
 */
static void
check_spinner_printer(void)
{
	char want[PRINT_LINES * 8 + 1], got[PRINT_LINES * 8 + 64];
	struct pollfd p[2];
	int sp[2], pr[2], st, i, spun = 0, eof = 0, len = 0;
	long long t0, t_spin = 0, t_eof = 0;
	pid_t spin, prn;
	ssize_t n;
	char c = 0;

	if (!check(pipe(sp) == 0 && pipe(pr) == 0, "pipes", "errno %s", errname(errno)))
		return;
	t0 = now_ns();
	spin = spawn();
	if (spin == 0) {
		close(sp[0]);
		close(pr[0]);
		close(pr[1]);
		spinner(sp[1], 's');
	}
	prn = spawn();
	if (prn == 0) {
		close(sp[0]);
		close(sp[1]);
		close(pr[0]);
		printer(pr[1]);
	}
	close(sp[1]);
	close(pr[1]);
	if (!check(spin > 0 && prn > 0, "fork a spinner and a printer", "errno %s", errname(errno)))
		return;

	p[0] = (struct pollfd){sp[0], POLLIN, 0};
	p[1] = (struct pollfd){pr[0], POLLIN, 0};
	while (!spun || !eof) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			check(0, "poll on the two pipes", "errno %s", errname(errno));
			break;
		}
		if (p[0].revents) {
			n = read(sp[0], &c, 1);
			spun = 1;
			t_spin = now_ns();
			p[0].fd = -1;
			check(n == 1 && c == 's', "the spinner reports", "read %zd, byte %#x", n,
			      c);
		}
		if (p[1].revents) {
			n = read(pr[0], got + len, sizeof(got) - 1 - len);
			if (n > 0) {
				len += (int)n;
			} else {
				eof = 1;
				t_eof = now_ns();
				p[1].fd = -1;
			}
		}
	}
	say("     spinner reported after %lld ms, printer done after %lld ms\n",
	    (t_spin - t0) / MSEC, (t_eof - t0) / MSEC);
	for (i = 0; i < PRINT_LINES; i++)
		snprintf(want + i * 8, sizeof(want) - i * 8, "line %02d\n", i);
	got[len] = 0;
	check(len == PRINT_LINES * 8 && strcmp(got, want) == 0,
	      "the printer's 20 lines all arrive, in order, beside the spinner", "%d bytes", len);

	kill(spin, SIGKILL);
	st = reap(spin);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "the spinner was still spinning: killed by SIGKILL", "status %#x", st);
	st = reap(prn);
	check(st == 0, "the printer exits 0", "status %#x", st);
	close(sp[0]);
	close(pr[0]);
	nkids = 0;
}

/* Two spinners on one CPU both report: each is preempted for the other. */
static void
check_two_spinners(void)
{
	int fd[2], st, seen_a = 0, seen_b = 0, other = 0;
	long long t0;
	pid_t a, b;
	char c;

	if (!check(pipe(fd) == 0, "pipe", "errno %s", errname(errno)))
		return;
	t0 = now_ns();
	a = spawn();
	if (a == 0) {
		close(fd[0]);
		spinner(fd[1], 'a');
	}
	b = spawn();
	if (b == 0) {
		close(fd[0]);
		spinner(fd[1], 'b');
	}
	close(fd[1]);
	if (!check(a > 0 && b > 0, "fork two spinners", "errno %s", errname(errno)))
		return;
	while (!seen_a || !seen_b) {
		ssize_t n = read(fd[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			break;
		if (c == 'a')
			seen_a++;
		else if (c == 'b')
			seen_b++;
		else
			other++;
	}
	say("     both spinners reported after %lld ms\n", (now_ns() - t0) / MSEC);
	check(seen_a == 1 && seen_b == 1 && other == 0, "both spinners report, once each",
	      "a %d b %d other %d", seen_a, seen_b, other);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	st = reap(a);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the first spinner killed by SIGKILL",
	      "status %#x", st);
	st = reap(b);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the second spinner killed by SIGKILL",
	      "status %#x", st);
	close(fd[0]);
	nkids = 0;
}

int
main(void)
{
	guest_begin("t_sched", "preemption on one CPU, sched_yield");
	signal(SIGALRM, on_alarm);
	alarm(SAFETY_S);
	pin_one_cpu();
	calibrate();
	check_scheduler();
	check_spinner_printer();
	check_two_spinners();
	alarm(0);
	return guest_end();
}
