/*
 * t_timer - timers and sleeps: alarm, setitimer and getitimer (ITIMER_REAL),
 * POSIX timers, nanosleep and clock_nanosleep.
 *
 * Usage: t_timer
 *
 * The POSIX timers are driven through raw system calls with the kernel's own
 * struct sigevent and an int timer id, so that glibc and musl (whose timer_t
 * and SIGEV_THREAD machinery differ) test the same thing.
 *
 * Lower bounds on elapsed time are exact, since a timer never fires early and
 * a sleep never ends early; upper bounds are loose (a loaded host may run a
 * 100 ms timer two seconds late). Every wait for a timer's signal blocks the
 * signal before arming the timer and waits in sigsuspend(), so no delivery
 * can slip in between; pause(), which cannot work that way, is retried when
 * the alarm beats it. A watchdog process makes the program fail loudly,
 * rather than hang, if it is still running after 30 s.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define NSEC	   1000000000LL
#define MSEC	   1000000LL
#define WATCHDOG_S 30

/* The kernel's struct sigevent: 64 bytes, the same for every libc. */
struct ksigevent {
	union sigval value;
	int signo;
	int notify;
	int pad[12];
};

static volatile sig_atomic_t alrm_count;
static volatile sig_atomic_t rt_count;
static volatile int rt_signo, rt_code, rt_value, rt_timerid, rt_overrun;
static pid_t watchdog_pid = -1;
static int watchdog_fd = -1;

static long long
ns(const struct timespec *t)
{
	return t->tv_sec * NSEC + t->tv_nsec;
}

static long long
now_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return ns(&t);
}

static struct timespec
ts_of(long long n)
{
	struct timespec t = {n / NSEC, n % NSEC};

	return t;
}

static long long
tv_us(const struct timeval *t)
{
	return t->tv_sec * 1000000LL + t->tv_usec;
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
on_alrm(int sig)
{
	(void)sig;
	alrm_count++;
}

static void
on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_count++;
	rt_signo = si->si_signo;
	rt_code = si->si_code;
	rt_value = si->si_value.sival_int;
	rt_timerid = si->si_timerid;
	rt_overrun = si->si_overrun;
}

static void
on_watchdog(int sig)
{
	(void)sig;
	say("FAIL: %s still running after %d s: stopped by the watchdog\n", guest_name, WATCHDOG_S);
	_exit(2);
}

/*
 * watchdog_start - fork a process that sends us SIGUSR2 (whose handler says
 * so and exits) if we are still running after WATCHDOG_S seconds. It leaves
 * as soon as its pipe reports that our end is closed. SIGUSR2 rather than
 * SIGKILL, so that the handler can say why the program ends.
 */
static void
watchdog_start(void)
{
	pid_t parent = getpid();
	int fd[2];

	signal(SIGUSR2, on_watchdog);
	if (pipe2(fd, O_CLOEXEC) < 0)
		return;
	watchdog_pid = fork();
	if (watchdog_pid == 0) {
		struct pollfd p = {fd[0], POLLIN, 0};

		close(fd[1]);
		if (poll(&p, 1, WATCHDOG_S * 1000) == 0)
			kill(parent, SIGUSR2);
		_exit(0);
	}
	close(fd[0]);
	watchdog_fd = fd[1];
}

static void
watchdog_stop(void)
{
	close(watchdog_fd);
	if (watchdog_pid > 0)
		reap(watchdog_pid);
}

/*
 * wait_signals - wait until *count reaches want. The caller has blocked sig;
 * it is unblocked only inside sigsuspend().
 */
static void
wait_signals(volatile sig_atomic_t *count, int want, int sig)
{
	sigset_t m;

	sigprocmask(SIG_BLOCK, NULL, &m);
	sigdelset(&m, sig);
	while (*count < want)
		sigsuspend(&m);
}

static void
block(int sig, sigset_t *ret_old)
{
	sigset_t m;

	sigemptyset(&m);
	sigaddset(&m, sig);
	sigprocmask(SIG_BLOCK, &m, ret_old);
}

static int
pending(int sig)
{
	sigset_t m;

	sigpending(&m);
	return sigismember(&m, sig);
}

/* -- alarm ----------------------------------------------------------------- */

static void
check_alarm(void)
{
	struct sigaction sa;
	struct itimerval it;
	unsigned left;
	long long t0 = 0, t1 = 0;
	pid_t inh, victim;
	int r = 0, e = 0, tries, st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	CHECK_EQ("alarm(5) with no alarm set returns 0", alarm(5), 0);
	inh = fork();
	if (inh == 0)
		_exit(alarm(0) == 0 ? 0 : 1);
	memset(&it, 0xff, sizeof(it));
	check(getitimer(ITIMER_REAL, &it) == 0 && tv_us(&it.it_value) > 1000000 &&
		  tv_us(&it.it_value) <= 5000000 && tv_us(&it.it_interval) == 0,
	      "getitimer(ITIMER_REAL) sees the alarm: one timer", "value %lld us, interval %lld us",
	      tv_us(&it.it_value), tv_us(&it.it_interval));
	left = alarm(0);
	check(left >= 1 && left <= 5, "alarm(0) returns the seconds left of a 5 s alarm",
	      "got %u, want 1..5", left);
	CHECK_EQ("alarm(0) again returns 0: the alarm is off", alarm(0), 0);
	st = reap(inh);
	check(st == 0, "a forked child does not inherit the alarm", "status %#x", st);

	/* The default action of SIGALRM ends a child that waits for it. */
	victim = fork();
	if (victim == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(1);
		for (;;)
			pause();
	}

	for (tries = 0; tries < 3; tries++) {
		alrm_count = 0;
		t0 = now_ns(CLOCK_MONOTONIC);
		alarm(1);
		if (alrm_count)
			continue; /* the alarm came before pause(): a very slow host */
		errno = 0;
		r = pause();
		e = errno;
		t1 = now_ns(CLOCK_MONOTONIC);
		break;
	}
	if (check(tries < 3, "alarm(1) then pause()", "the alarm beat pause() 3 times")) {
		check(r == -1 && e == EINTR, "pause() returns -1 EINTR when SIGALRM arrives",
		      "got %d errno %s", r, errname(e));
		CHECK_EQ("the SIGALRM handler ran once", alrm_count, 1);
		check(t1 - t0 >= 900 * MSEC && t1 - t0 < 10 * NSEC,
		      "pause() lasted about the 1 s of the alarm", "%lld ms", (t1 - t0) / MSEC);
	}
	st = reap(victim);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM,
	      "an alarm with the default action kills the child", "status %#x", st);
}

/* -- setitimer ------------------------------------------------------------- */

static void
check_setitimer(void)
{
	struct itimerval v, old, cur;
	sigset_t orig;
	long long t0, t1;
	int r;

	block(SIGALRM, &orig);

	/* One shot of 50 ms. */
	alrm_count = 0;
	memset(&v, 0, sizeof(v));
	v.it_value.tv_usec = 50000;
	memset(&old, 0xff, sizeof(old));
	t0 = now_ns(CLOCK_MONOTONIC);
	r = setitimer(ITIMER_REAL, &v, &old);
	check(r == 0 && tv_us(&old.it_value) == 0 && tv_us(&old.it_interval) == 0,
	      "setitimer 50 ms one-shot; the old value is zero", "r %d errno %s, old %lld/%lld us",
	      r, errname(errno), tv_us(&old.it_value), tv_us(&old.it_interval));
	r = getitimer(ITIMER_REAL, &cur);
	check(r == 0 && tv_us(&cur.it_value) >= 0 && tv_us(&cur.it_value) <= 50000 &&
		  tv_us(&cur.it_interval) == 0,
	      "getitimer: at most 50 ms left, no interval", "value %lld us, interval %lld us",
	      tv_us(&cur.it_value), tv_us(&cur.it_interval));
	wait_signals(&alrm_count, 1, SIGALRM);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC, "SIGALRM after at least 50 ms",
	      "%lld us", (t1 - t0) / 1000);
	r = getitimer(ITIMER_REAL, &cur);
	check(r == 0 && tv_us(&cur.it_value) == 0 && tv_us(&cur.it_interval) == 0,
	      "a one-shot timer that fired reads zero", "value %lld us, interval %lld us",
	      tv_us(&cur.it_value), tv_us(&cur.it_interval));

	/* Periodic, every 20 ms: three deliveries take at least 60 ms. */
	alrm_count = 0;
	v.it_value.tv_usec = 20000;
	v.it_interval.tv_usec = 20000;
	memset(&old, 0xff, sizeof(old));
	t0 = now_ns(CLOCK_MONOTONIC);
	r = setitimer(ITIMER_REAL, &v, &old);
	check(r == 0 && tv_us(&old.it_value) == 0 && tv_us(&old.it_interval) == 0,
	      "setitimer 20 ms periodic", "r %d errno %s, old %lld/%lld us", r, errname(errno),
	      tv_us(&old.it_value), tv_us(&old.it_interval));
	r = getitimer(ITIMER_REAL, &cur);
	check(r == 0 && tv_us(&cur.it_value) <= 20000 && tv_us(&cur.it_interval) == 20000,
	      "getitimer: at most 20 ms left, interval 20 ms", "value %lld us, interval %lld us",
	      tv_us(&cur.it_value), tv_us(&cur.it_interval));
	wait_signals(&alrm_count, 3, SIGALRM);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(t1 - t0 >= 60 * MSEC && t1 - t0 < 10 * NSEC,
	      "three SIGALRMs of a 20 ms timer after at least 60 ms", "%lld us", (t1 - t0) / 1000);

	/* Disarm: the old value is the periodic timer's. */
	memset(&v, 0, sizeof(v));
	memset(&old, 0xff, sizeof(old));
	r = setitimer(ITIMER_REAL, &v, &old);
	check(r == 0 && tv_us(&old.it_value) >= 0 && tv_us(&old.it_value) <= 20000 &&
		  tv_us(&old.it_interval) == 20000,
	      "setitimer(zero) disarms and returns the old value",
	      "value %lld us, interval %lld us", tv_us(&old.it_value), tv_us(&old.it_interval));
	r = getitimer(ITIMER_REAL, &cur);
	check(r == 0 && tv_us(&cur.it_value) == 0 && tv_us(&cur.it_interval) == 0,
	      "getitimer after disarming reads zero", "value %lld us, interval %lld us",
	      tv_us(&cur.it_value), tv_us(&cur.it_interval));

	/* Bad arguments. */
	v.it_value.tv_usec = 1000000;
	CHECK_ERR("setitimer with tv_usec 1000000 is EINVAL", setitimer(ITIMER_REAL, &v, NULL),
		  EINVAL);
	v.it_value.tv_usec = 1000;
	CHECK_ERR("setitimer of timer 99 is EINVAL", setitimer(99, &v, NULL), EINVAL);
	CHECK_ERR("getitimer of timer 99 is EINVAL", getitimer(99, &cur), EINVAL);

	/* A SIGALRM still pending from the periodic timer goes to the handler here. */
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* -- POSIX timers ---------------------------------------------------------- */

static long
ktimer_create(clockid_t clock, int notify, int signo, int value, int *ret_id)
{
	struct ksigevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.value.sival_int = value;
	ev.signo = signo;
	ev.notify = notify;
	return syscall(SYS_timer_create, clock, &ev, ret_id);
}

static long
ktimer_settime(int id, int flags, long long value_ns, long long interval_ns,
	       struct itimerspec *ret_old)
{
	struct itimerspec v;

	v.it_value = ts_of(value_ns);
	v.it_interval = ts_of(interval_ns);
	return syscall(SYS_timer_settime, id, flags, &v, ret_old);
}

static long
ktimer_gettime(int id, struct itimerspec *ret)
{
	return syscall(SYS_timer_gettime, id, ret);
}

static long
ktimer_delete(int id)
{
	return syscall(SYS_timer_delete, id);
}

static void
setup_rt(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* A SIGEV_SIGNAL timer on clock: relative, absolute, old values, deletion. */
static void
check_posix_signal(clockid_t clock, const char *cname)
{
	int sig = SIGRTMIN + 1, value = 0x5eed + (int)clock, id = -1;
	struct itimerspec old, cur;
	char what[160];
	long long t0, t1, target;
	sigset_t orig;
	long r;

	setup_rt(sig);
	block(sig, &orig);
	rt_count = 0;
	r = ktimer_create(clock, SIGEV_SIGNAL, sig, value, &id);
	snprintf(what, sizeof(what), "timer_create(%s, SIGEV_SIGNAL SIGRTMIN+1)", cname);
	if (!check(r == 0 && id >= 0, what, "r %ld errno %s id %d", r, errname(errno), id))
		goto out;

	/* Relative, 30 ms. */
	memset(&old, 0xff, sizeof(old));
	t0 = now_ns(CLOCK_MONOTONIC);
	r = ktimer_settime(id, 0, 30 * MSEC, 0, &old);
	check(r == 0 && ns(&old.it_value) == 0 && ns(&old.it_interval) == 0,
	      "timer_settime 30 ms relative; the old value is zero", "r %ld errno %s old %lld ns",
	      r, errname(errno), ns(&old.it_value));
	r = ktimer_gettime(id, &cur);
	check(r == 0 && ns(&cur.it_value) >= 0 && ns(&cur.it_value) <= 30 * MSEC &&
		  ns(&cur.it_interval) == 0,
	      "timer_gettime: at most 30 ms left, no interval", "value %lld ns interval %lld ns",
	      ns(&cur.it_value), ns(&cur.it_interval));
	wait_signals(&rt_count, 1, sig);
	t1 = now_ns(CLOCK_MONOTONIC);
	snprintf(what, sizeof(what), "%s timer: signal after at least 30 ms", cname);
	check(t1 - t0 >= 30 * MSEC && t1 - t0 < 10 * NSEC, what, "%lld us", (t1 - t0) / 1000);
	check(rt_signo == sig && rt_code == SI_TIMER,
	      "the handler sees si_signo SIGRTMIN+1, si_code SI_TIMER", "signo %d code %d",
	      rt_signo, rt_code);
	check(rt_value == value && rt_timerid == id, "the handler sees si_value and si_timerid",
	      "value %#x timerid %d, want %#x and %d", rt_value, rt_timerid, value, id);
	CHECK_EQ("si_overrun is 0 for a timer serviced in time", rt_overrun, 0);
	r = ktimer_gettime(id, &cur);
	check(r == 0 && ns(&cur.it_value) == 0 && ns(&cur.it_interval) == 0,
	      "a one-shot timer that fired reads zero", "value %lld ns", ns(&cur.it_value));
	CHECK_EQ("timer_getoverrun is 0", syscall(SYS_timer_getoverrun, id), 0);

	/* Absolute, 40 ms from now on the timer's own clock. */
	target = now_ns(clock) + 40 * MSEC;
	r = ktimer_settime(id, TIMER_ABSTIME, target, 0, NULL);
	CHECK_EQ("timer_settime TIMER_ABSTIME now + 40 ms", r, 0);
	r = ktimer_gettime(id, &cur);
	check(r == 0 && ns(&cur.it_value) >= 0 && ns(&cur.it_value) <= 40 * MSEC,
	      "timer_gettime of an absolute timer: the time left, at most 40 ms", "value %lld ns",
	      ns(&cur.it_value));
	wait_signals(&rt_count, 2, sig);
	t1 = now_ns(clock);
	snprintf(what, sizeof(what), "%s absolute timer: signal at or after its time", cname);
	check(t1 >= target && t1 - target < 10 * NSEC, what, "%lld us after it",
	      (t1 - target) / 1000);

	/* Re-arming returns the old value; zero disarms. */
	r = ktimer_settime(id, 0, 10 * NSEC, 0, NULL);
	memset(&old, 0xff, sizeof(old));
	r |= ktimer_settime(id, 0, 0, 0, &old);
	check(r == 0 && ns(&old.it_value) > 0 && ns(&old.it_value) <= 10 * NSEC &&
		  ns(&old.it_interval) == 0,
	      "timer_settime(zero) disarms a 10 s timer and returns what was left",
	      "r %ld, old %lld ns", r, ns(&old.it_value));
	r = ktimer_gettime(id, &cur);
	check(r == 0 && ns(&cur.it_value) == 0, "a disarmed timer reads zero", "value %lld ns",
	      ns(&cur.it_value));
	check(rt_count == 2 && !pending(sig), "the disarmed timer sent nothing",
	      "%d signals, pending %d", (int)rt_count, pending(sig));

	/* An absolute time in the past expires at once. */
	r = ktimer_settime(id, TIMER_ABSTIME, 1, 0, NULL);
	CHECK_EQ("timer_settime TIMER_ABSTIME in the past", r, 0);
	wait_signals(&rt_count, 3, sig);
	CHECK_EQ("a timer set in the past fires at once", rt_count, 3);

	/* Bad times. */
	{
		struct itimerspec v = {{0, 0}, {0, NSEC}};

		CHECK_ERR("timer_settime with tv_nsec 1e9 is EINVAL",
			  syscall(SYS_timer_settime, id, 0, &v, NULL), EINVAL);
		v.it_value.tv_nsec = -1;
		CHECK_ERR("timer_settime with tv_nsec -1 is EINVAL",
			  syscall(SYS_timer_settime, id, 0, &v, NULL), EINVAL);
	}

	CHECK_EQ("timer_delete", ktimer_delete(id), 0);
	CHECK_ERR("timer_settime of a deleted timer is EINVAL",
		  ktimer_settime(id, 0, 10 * MSEC, 0, NULL), EINVAL);
	CHECK_ERR("timer_gettime of a deleted timer is EINVAL", ktimer_gettime(id, &cur), EINVAL);
	CHECK_ERR("timer_getoverrun of a deleted timer is EINVAL",
		  syscall(SYS_timer_getoverrun, id), EINVAL);
	CHECK_ERR("timer_delete of a deleted timer is EINVAL", ktimer_delete(id), EINVAL);
out:
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* A 1 ms periodic timer whose signal stays blocked for 50 ms overruns. */
static void
check_posix_overrun(void)
{
	int sig = SIGRTMIN + 1, id = -1;
	struct timespec nap = {0, 50 * MSEC};
	struct itimerspec cur;
	sigset_t orig;
	long r, over;

	setup_rt(sig);
	block(sig, &orig);
	rt_count = 0;
	rt_overrun = -1;
	r = ktimer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 77, &id);
	if (!check(r == 0, "timer_create for a periodic timer", "errno %s", errname(errno)))
		goto out;
	r = ktimer_settime(id, 0, MSEC, MSEC, NULL);
	CHECK_EQ("timer_settime 1 ms periodic", r, 0);
	r = ktimer_gettime(id, &cur);
	check(r == 0 && ns(&cur.it_interval) == MSEC, "timer_gettime shows the 1 ms interval",
	      "interval %lld ns", ns(&cur.it_interval));
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
	wait_signals(&rt_count, 1, sig);
	over = syscall(SYS_timer_getoverrun, id);
	check(rt_overrun >= 20, "50 ms of a blocked 1 ms timer: si_overrun counts the lost ones",
	      "si_overrun %d, want >= 20", rt_overrun);
	check(over == rt_overrun, "timer_getoverrun agrees with si_overrun", "got %ld, want %d",
	      over, rt_overrun);
	CHECK_EQ("timer_delete of the periodic timer", ktimer_delete(id), 0);
out:
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* SIGEV_NONE: no signal, but timer_gettime counts down. */
static void
check_posix_none(void)
{
	struct timespec nap = {0, 20 * MSEC};
	struct itimerspec a, b;
	int id = -1;
	long r;

	r = ktimer_create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, &id);
	if (!check(r == 0, "timer_create(CLOCK_MONOTONIC, SIGEV_NONE)", "errno %s", errname(errno)))
		return;
	r = ktimer_settime(id, 0, 10 * NSEC, 0, NULL);
	r |= ktimer_gettime(id, &a);
	check(r == 0 && ns(&a.it_value) > 0 && ns(&a.it_value) <= 10 * NSEC,
	      "a 10 s SIGEV_NONE timer reads at most 10 s", "value %lld ns", ns(&a.it_value));
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
	r = ktimer_gettime(id, &b);
	check(r == 0 && ns(&a.it_value) - ns(&b.it_value) >= 20 * MSEC && ns(&b.it_value) > 0,
	      "20 ms later it reads at least 20 ms less", "%lld ns, then %lld ns", ns(&a.it_value),
	      ns(&b.it_value));
	r = ktimer_settime(id, 0, MSEC, 0, NULL);
	nap.tv_nsec = 20 * MSEC;
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
	r |= ktimer_gettime(id, &b);
	check(r == 0 && ns(&b.it_value) == 0, "an expired SIGEV_NONE timer reads zero",
	      "value %lld ns", ns(&b.it_value));
	CHECK_EQ("timer_delete of the SIGEV_NONE timer", ktimer_delete(id), 0);
}

static void
check_posix_errors(void)
{
	int id = -1;

	CHECK_ERR("timer_create on clock 1234 is EINVAL",
		  ktimer_create(1234, SIGEV_SIGNAL, SIGRTMIN + 1, 0, &id), EINVAL);
	CHECK_ERR("timer_create with signal 0 is EINVAL",
		  ktimer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 0, &id), EINVAL);
	CHECK_ERR("timer_create with signal 65 is EINVAL",
		  ktimer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL, 65, 0, &id), EINVAL);
	CHECK_ERR("timer_settime of timer 12345 (never created) is EINVAL",
		  ktimer_settime(12345, 0, MSEC, 0, NULL), EINVAL);
}

/* -- sleeps ---------------------------------------------------------------- */

static volatile sig_atomic_t cpu_sig;

static void
on_cpu(int sig)
{
	cpu_sig = sig;
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF count CPU time, not wall time: a one-shot
 * 30 ms timer fires while the process spins in user space, with the right
 * signal, and reads as disarmed afterwards. The spin gives up after 10 s of
 * wall time, which fails the check rather than hanging.
 */
static void
check_cpu_timers(void)
{
	static const struct {
		int which, sig;
		const char *name;
	} t[] = {{ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL"}, {ITIMER_PROF, SIGPROF, "ITIMER_PROF"}};
	struct itimerval v = {{0, 0}, {0, 30000}}, left;
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long long start = now_ns(CLOCK_MONOTONIC);
		volatile unsigned long spins = 0;

		signal(t[i].sig, on_cpu);
		cpu_sig = 0;
		check(setitimer(t[i].which, &v, NULL) == 0, "setitimer of a 30 ms CPU timer", "%s", t[i].name);
		while (!cpu_sig && now_ns(CLOCK_MONOTONIC) - start < 10000000000LL)
			for (unsigned long k = 0; k < 1000000 && !cpu_sig; k++)
				spins++;
		check(cpu_sig == t[i].sig, "a 30 ms CPU timer fires while spinning", "%s: signal %d",
		      t[i].name, (int)cpu_sig);
		getitimer(t[i].which, &left);
		check(left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0,
		      "the one-shot CPU timer is disarmed after firing", "%s: %ld.%06ld left",
		      t[i].name, (long)left.it_value.tv_sec, (long)left.it_value.tv_usec);
		signal(t[i].sig, SIG_DFL);
	}
}

static void
check_sleeps(void)
{
	struct timespec req, rem;
	struct itimerval v;
	long long t0, t1, target;
	int r, e;

	req = ts_of(50 * MSEC);
	t0 = now_ns(CLOCK_MONOTONIC);
	r = nanosleep(&req, NULL);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "nanosleep 50 ms sleeps at least 50 ms", "r %d, %lld us", r, (t1 - t0) / 1000);

	t0 = now_ns(CLOCK_MONOTONIC);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(r == 0 && t1 - t0 >= 50 * MSEC && t1 - t0 < 10 * NSEC,
	      "clock_nanosleep(CLOCK_MONOTONIC) 50 ms relative", "r %d, %lld us", r,
	      (t1 - t0) / 1000);

	target = now_ns(CLOCK_MONOTONIC) + 50 * MSEC;
	req = ts_of(target);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(r == 0 && t1 >= target && t1 - target < 10 * NSEC,
	      "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) wakes at or after its time",
	      "r %d, %lld us after it", r, (t1 - target) / 1000);

	target = now_ns(CLOCK_REALTIME) + 30 * MSEC;
	req = ts_of(target);
	r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &req, NULL);
	t1 = now_ns(CLOCK_REALTIME);
	check(r == 0 && t1 >= target && t1 - target < 10 * NSEC,
	      "clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME) wakes at or after its time",
	      "r %d, %lld us after it", r, (t1 - target) / 1000);

	req = ts_of(NSEC);
	t0 = now_ns(CLOCK_MONOTONIC);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL);
	t1 = now_ns(CLOCK_MONOTONIC);
	check(r == 0 && t1 - t0 < 5 * NSEC,
	      "clock_nanosleep TIMER_ABSTIME in the past returns 0 at once", "r %d, %lld us", r,
	      (t1 - t0) / 1000);

	/* Bad timespecs: nanosleep says -1 EINVAL, clock_nanosleep returns EINVAL. */
	req.tv_sec = 0;
	req.tv_nsec = NSEC;
	CHECK_ERR("nanosleep with tv_nsec 1e9 is EINVAL", nanosleep(&req, NULL), EINVAL);
	req.tv_nsec = -1;
	CHECK_ERR("nanosleep with tv_nsec -1 is EINVAL", nanosleep(&req, NULL), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_ERR("nanosleep with tv_sec -1 is EINVAL", nanosleep(&req, NULL), EINVAL);
	req.tv_sec = 0;
	req.tv_nsec = NSEC;
	CHECK_EQ("clock_nanosleep with tv_nsec 1e9 returns EINVAL",
		 clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
	CHECK_EQ("clock_nanosleep TIMER_ABSTIME with tv_nsec 1e9 returns EINVAL",
		 clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL), EINVAL);
	req.tv_nsec = 0;
	CHECK_EQ("clock_nanosleep on clock 1234 returns EINVAL",
		 clock_nanosleep(1234, 0, &req, NULL), EINVAL);

	/*
	 * A signal ends a sleep with EINTR and the time left. The timer is
	 * periodic so that a tick lost before the sleep began (on a slow host)
	 * is followed by another during it.
	 */
	memset(&v, 0, sizeof(v));
	v.it_value.tv_usec = 50000;
	v.it_interval.tv_usec = 50000;
	alrm_count = 0;
	req = ts_of(10 * NSEC);
	rem.tv_sec = rem.tv_nsec = -1;
	t0 = now_ns(CLOCK_MONOTONIC);
	setitimer(ITIMER_REAL, &v, NULL);
	errno = 0;
	r = nanosleep(&req, &rem);
	e = errno;
	t1 = now_ns(CLOCK_MONOTONIC);
	memset(&v, 0, sizeof(v));
	setitimer(ITIMER_REAL, &v, NULL);
	check(r == -1 && e == EINTR && alrm_count >= 1,
	      "SIGALRM interrupts nanosleep: -1 EINTR, the handler ran",
	      "r %d errno %s, %d signals", r, errname(e), (int)alrm_count);
	check(t1 - t0 >= 50 * MSEC, "the interrupted nanosleep lasted at least 50 ms", "%lld us",
	      (t1 - t0) / 1000);
	check(ns(&rem) > 0 && ns(&rem) <= 10 * NSEC && rem.tv_nsec < NSEC,
	      "nanosleep's remainder is what was left of 10 s", "rem %lld.%09ld",
	      (long long)rem.tv_sec, rem.tv_nsec);

	/* The same for clock_nanosleep, relative and absolute (no remainder then). */
	v.it_value.tv_usec = 50000;
	v.it_interval.tv_usec = 50000;
	rem.tv_sec = rem.tv_nsec = -1;
	setitimer(ITIMER_REAL, &v, NULL);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	memset(&v, 0, sizeof(v));
	setitimer(ITIMER_REAL, &v, NULL);
	check(r == EINTR && ns(&rem) > 0 && ns(&rem) <= 10 * NSEC,
	      "SIGALRM interrupts a relative clock_nanosleep: EINTR and the time left",
	      "r %d, rem %lld ns", r, ns(&rem));
	v.it_value.tv_usec = 50000;
	v.it_interval.tv_usec = 50000;
	rem.tv_sec = 12345;
	rem.tv_nsec = 6789;
	req = ts_of(now_ns(CLOCK_MONOTONIC) + 10 * NSEC);
	setitimer(ITIMER_REAL, &v, NULL);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, &rem);
	memset(&v, 0, sizeof(v));
	setitimer(ITIMER_REAL, &v, NULL);
	check(r == EINTR && rem.tv_sec == 12345 && rem.tv_nsec == 6789,
	      "an interrupted TIMER_ABSTIME clock_nanosleep: EINTR, remainder untouched",
	      "r %d, rem %lld.%09ld", r, (long long)rem.tv_sec, rem.tv_nsec);
}

int
main(void)
{
	guest_begin("t_timer", "alarm, itimers, POSIX timers, nanosleep");
	watchdog_start();
	check_alarm();
	check_setitimer();
	check_posix_signal(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_posix_signal(CLOCK_REALTIME, "CLOCK_REALTIME");
	check_posix_overrun();
	check_posix_none();
	check_posix_errors();
	check_cpu_timers();
	check_sleeps();
	watchdog_stop();
	return guest_end();
}
