/*
 * timer.c - time in the guest kernel: timeouts of blocked calls, interval
 * timers (alarm, setitimer) and POSIX timers (timer_create).
 *
 * Layer src/guestkernel/proc. Every expiry is an absolute CLOCK_MONOTONIC time
 * kept on the process; nothing here arms a host timer. The run loop calls
 * gk_timers_run() whenever it takes a scheduling decision (a process
 * blocked or the tick preempted it) and sleeps on the host until the
 * earliest time it returns when nothing is runnable. So a timer fires late
 * by at most one tick of the run loop, and an idle guest costs no CPU.
 *
 * ITIMER_VIRTUAL and ITIMER_PROF count the time the process spends running
 * guest code (gk_cpu_account), the only CPU time the guest kernel can see;
 * each task counts its own too, which its CPU clock reads (gk_cpu_clock).
 * The same accounting fires the POSIX timers on CPU clocks and enforces
 * RLIMIT_CPU.
 *
 * Must not: decode syscall arguments (sys_time.c does).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"

/*
 * gk_timeout - on the first run of a blocking call, its timeout starts:
 * rel_ns from now. Returns 1 once it has expired, 0 before. A call run
 * again after a wake keeps its first deadline.
 */
int
gk_timeout(struct gk_proc *p, uint64_t rel_ns)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

	if (!p->sys_rerun || !p->deadline)
		p->deadline = rel_ns > UINT64_MAX - now ? UINT64_MAX : now + rel_ns;
	return now >= p->deadline;
}

/* gk_timeout_abs - the same with an absolute CLOCK_MONOTONIC deadline. */
int
gk_timeout_abs(struct gk_proc *p, uint64_t deadline)
{
	p->deadline = deadline ? deadline : 1;
	return gk_now_ns(CLOCK_MONOTONIC) >= p->deadline;
}

/*
 * gk_timespec_in - a guest struct timespec at gva, as nanoseconds. Returns
 * 0, -EFAULT, or -EINVAL for a negative time or tv_nsec out of range.
 */
int
gk_timespec_in(struct gk_proc *p, uint64_t gva, uint64_t *ret_ns)
{
	struct timespec ts;

	if (gk_copyin(p, &ts, gva, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	/* As Linux's KTIME_MAX: a timeout past 292 years is "forever", not a wrapped short one. */
	if ((uint64_t)ts.tv_sec >= (uint64_t)INT64_MAX / 1000000000ULL)
		*ret_ns = INT64_MAX;
	else
		*ret_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return 0;
}

/* gk_timespec_out - ns as a guest struct timespec at gva. 0 or -EFAULT. */
int
gk_timespec_out(struct gk_proc *p, uint64_t gva, uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_nsec = (long)(ns % 1000000000ULL)};

	return gk_copyout(p, gva, &ts, sizeof(ts));
}

static void
fire_ptimer(struct gk_proc *p, int id, struct gk_ptimer *t)
{
	struct gk_siginfo si;

	if (t->notify != SIGEV_SIGNAL)
		return;
	if (t->queued) {
		/* Its signal has not been taken yet: one more overrun, not one more signal. */
		if (t->overrun < INT32_MAX)
			t->overrun++;
		return;
	}
	memset(&si, 0, sizeof(si));
	si.signo = t->signo;
	si.code = SI_TIMER;
	si.proc.pid = id;
	si.proc.value = t->value;
	if (t->tid) {
		struct gk_proc *to = gk_task_find(p->k, t->tid);

		/* The thread it names is gone: the process takes the signal. */
		if (to && to->tg == p->tg && to->state != GK_P_DEAD) {
			if (gk_sig_send_task(to, &si) == 0 && (to->pend.set & gk_sigbit(t->signo)))
				t->queued = 1;
			return;
		}
	}
	if (gk_sig_send(p, &si) == 0 && (p->tg->shared.set & gk_sigbit(t->signo)))
		t->queued = 1;
}

/* The next expiry after now of a timer that was due at *next, or 0 if one-shot. */
static uint64_t
rearm(uint64_t next, uint64_t interval, uint64_t now, int *ret_missed)
{
	uint64_t n;

	if (!interval)
		return 0;
	n = (now - next) / interval + 1;
	*ret_missed = n > 1 ? (int)(n - 1 < INT32_MAX ? n - 1 : INT32_MAX) : 0;
	return next + n * interval;
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/*
 * gk_timers_run - fire what is due at now in every process: timeouts wake
 * their sleepers, timers queue their signals; and the kernel timers. Returns the earliest time
 * something is due later, 0 if nothing is.
 */
uint64_t
gk_timers_run(struct gk_kernel *k, uint64_t now)
{
	uint64_t next = gk_ktimers_run(k, now); /* kernel timers: timerfds */
	struct gk_proc *p;
	int i, missed;

	for (p = k->procs; p; p = p->next) {
		if (p->tg->exited || p->state == GK_P_ZOMBIE)
			continue;
		if (p->state == GK_P_SLEEP && p->deadline) {
			if (p->deadline <= now)
				gk_wake_task(p);
			else
				next = earliest(next, p->deadline);
		}
		/* The rest is the process's: looked at once, through its leader. */
		if (!gk_is_leader(p))
			continue;
		if (p->tg->it_real_next && p->tg->it_real_next <= now) {
			p->tg->it_real_next =
			    rearm(p->tg->it_real_next, p->tg->it_real_interval, now, &missed);
			gk_sig_kill(p, SIGALRM, SI_KERNEL, 0);
		}
		next = earliest(next, p->tg->it_real_next);
		for (i = 0; p->tg->ptimers && i < GK_NTIMERS; i++) {
			struct gk_ptimer *t = &p->tg->ptimers[i];

			if (!t->used || !t->next || t->cpu) /* CPU timers: gk_cpu_account's */
				continue;
			if (t->next <= now) {
				missed = 0;
				t->next = rearm(t->next, t->interval, now, &missed);
				fire_ptimer(p, i, t);
				if (missed && t->notify == SIGEV_SIGNAL)
					t->overrun = t->overrun + missed < 0 ? INT32_MAX
									     : t->overrun + missed;
			}
			if (t->notify == SIGEV_SIGNAL)
				next = earliest(next, t->next);
		}
	}
	return next;
}

/* gk_timer_dequeued - a timer's signal was taken: its overrun count is final. */
void
gk_timer_dequeued(struct gk_proc *p, struct gk_siginfo *si)
{
	struct gk_ptimer *t;
	int id = si->proc.pid;

	if (!p->tg->ptimers || id < 0 || id >= GK_NTIMERS)
		return;
	t = &p->tg->ptimers[id];
	if (!t->used || !t->queued)
		return;
	t->queued = 0;
	t->last_overrun = t->overrun;
	si->proc.uid = (uint32_t)t->overrun; /* si_overrun */
	t->overrun = 0;
}

/* One CPU interval timer: ns more of guest CPU time consumed. */
static void
cpu_timer(struct gk_proc *p, uint64_t *left, uint64_t interval, uint64_t ns, int sig)
{
	if (!*left)
		return;
	if (*left > ns) {
		*left -= ns;
		return;
	}
	*left = interval ? interval - (ns - *left) % interval : 0;
	if (interval && !*left)
		*left = interval;
	gk_sig_kill(p, sig, SI_KERNEL, 0);
}

/*
 * CPU-time clocks as Linux encodes them in a negative clockid (and as
 * libcs build them: pthread_getcpuclockid, clock_getcpuclockid): the pid
 * complemented, shifted left by 3; bit 2 says a thread's clock (the pid is
 * a tid then); the low two bits the kind, PROF, VIRT or SCHED, or 3 for a
 * clock descriptor (CLOCKFD, a dynamic clock uvk has none of). Pid 0 is
 * the caller, or the caller's process.
 */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_KIND	   3
#define CPUCLOCK_SCHED	   2
#define CPUCLOCK_FD	   3

/*
 * The task clock c of p names (a CPU clock: see gk_cpu_clock) in *ret_t,
 * whether it is that task's own clock (else its process's) in
 * *ret_thread, and its kind in *ret_kind. 0 or -EINVAL.
 */
static int
cpu_clock_task(struct gk_proc *p, clockid_t c, int gettime, struct gk_proc **ret_t,
	       int *ret_thread, int *ret_kind)
{
	uint32_t id = (uint32_t)c;
	struct gk_proc *t = NULL;
	int pid, thread;

	if (c == CLOCK_PROCESS_CPUTIME_ID)
		id = (~0u << 3) | CPUCLOCK_SCHED;
	else if (c == CLOCK_THREAD_CPUTIME_ID)
		id = (~0u << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED;
	else if (c >= 0)
		return -EINVAL;
	if ((id & CPUCLOCK_KIND) == CPUCLOCK_FD)
		return -EINVAL;
	thread = (id & CPUCLOCK_PERTHREAD) != 0;
	pid = (int)~(id >> 3 | 0xe0000000u); /* the complement of a 29-bit field, sign-filled */
	if (pid == 0) {
		t = p;
	} else if (thread) {
		/* A task that exited alone is gone; a dead leader stays until the reap. */
		for (t = p->tg->tasks; t; t = t->tg_next)
			if (t->tid == pid && (t->state != GK_P_DEAD || gk_is_leader(t)))
				break;
	} else if (gettime && pid == p->tid) {
		t = p;
	} else {
		t = gk_proc_find(p->k, pid);
	}
	if (!t)
		return -EINVAL;
	*ret_t = t;
	*ret_thread = thread;
	*ret_kind = (int)(id & CPUCLOCK_KIND);
	return 0;
}

/*
 * gk_cpu_clock - read CPU clock c (CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID or a negative clockid) for p: the CPU time it
 * names in *ret_ns and its resolution in *ret_res (either may be NULL),
 * and in *ret_self whether it is the caller's own thread clock. A process
 * clock may name any process, zombies too; a thread clock only a task of
 * p's process, as Linux's pid_for_clock; gettime says clock_gettime
 * asks, which also takes p's own tid for its process. Returns 0, or
 * -EINVAL for a clock that names nothing it may read, or a descriptor.
 */
int
gk_cpu_clock(struct gk_proc *p, clockid_t c, int gettime, uint64_t *ret_ns, uint64_t *ret_res,
	     int *ret_self)
{
	struct gk_proc *t;
	int thread, kind, err = cpu_clock_task(p, c, gettime, &t, &thread, &kind);

	if (err < 0)
		return err;
	if (ret_ns)
		*ret_ns = thread ? t->cpu_ns : t->tg->cpu_ns;
	if (ret_res)
		*ret_res = kind == CPUCLOCK_SCHED ? 1 : GK_TICK_NS;
	if (ret_self)
		*ret_self = thread && t == p;
	return 0;
}

/*
 * gk_ptimer_clock - a new POSIX timer t of p counts clock c: a CPU clock
 * (its process's, or a thread's of it) or, for any other c, the
 * monotonic time the caller checked c for. Returns 0, or -EINVAL for a
 * CPU clock that names nothing, or another process (Linux allows that;
 * uvk counts a timer only in the process that owns it).
 */
int
gk_ptimer_clock(struct gk_proc *p, struct gk_ptimer *t, clockid_t c)
{
	struct gk_proc *on;
	int thread, kind, err;

	if (c >= 0 && c != CLOCK_PROCESS_CPUTIME_ID && c != CLOCK_THREAD_CPUTIME_ID)
		return 0;
	err = cpu_clock_task(p, c, 0, &on, &thread, &kind);
	if (err < 0)
		return err;
	if (on->tg != p->tg)
		return -EINVAL;
	t->cpu = thread ? GK_PTIMER_CPU_THREAD : GK_PTIMER_CPU_PROCESS;
	t->cpu_tid = on->tid;
	return 0;
}

/*
 * gk_ptimer_now - what timer t of p's clock reads now: CLOCK_MONOTONIC,
 * or the CPU time it counts (0 for a thread that is gone: it never fires).
 */
uint64_t
gk_ptimer_now(struct gk_proc *p, const struct gk_ptimer *t)
{
	struct gk_proc *u;

	if (t->cpu == GK_PTIMER_CPU_PROCESS)
		return p->tg->cpu_ns;
	if (t->cpu == GK_PTIMER_CPU_THREAD) {
		for (u = p->tg->tasks; u; u = u->tg_next)
			if (u->tid == t->cpu_tid && u->state != GK_P_DEAD)
				return u->cpu_ns;
		return 0;
	}
	return gk_now_ns(CLOCK_MONOTONIC);
}

/* p ran: the CPU-time POSIX timers of its process whose clock moved fire when due. */
static void
cpu_ptimers(struct gk_proc *p)
{
	struct gk_ptimer *t;
	uint64_t now;
	int i, missed;

	for (i = 0; i < GK_NTIMERS; i++) {
		t = &p->tg->ptimers[i];
		if (!t->used || !t->next || !t->cpu)
			continue;
		if (t->cpu == GK_PTIMER_CPU_THREAD && t->cpu_tid != p->tid)
			continue;
		now = t->cpu == GK_PTIMER_CPU_THREAD ? p->cpu_ns : p->tg->cpu_ns;
		if (now < t->next)
			continue;
		missed = 0;
		t->next = rearm(t->next, t->interval, now, &missed);
		fire_ptimer(p, i, t);
		if (missed && t->notify == SIGEV_SIGNAL)
			t->overrun = t->overrun + missed < 0 ? INT32_MAX : t->overrun + missed;
	}
}

/*
 * RLIMIT_CPU, in seconds of the process's CPU time, as Linux's
 * check_process_timers: at the hard limit SIGKILL; at the soft limit
 * SIGXCPU, and the soft limit moves a second on, so that it comes again
 * every second until the hard limit.
 */
static void
cpu_rlimit(struct gk_proc *p)
{
	struct rlimit *rl = &p->tg->rlim[RLIMIT_CPU];
	uint64_t secs = p->tg->cpu_ns / 1000000000ULL;

	if (rl->rlim_max != RLIM_INFINITY && secs >= rl->rlim_max) {
		gk_sig_kill(p, SIGKILL, SI_KERNEL, 0);
		return;
	}
	if (secs >= rl->rlim_cur) {
		gk_sig_kill(p, SIGXCPU, SI_KERNEL, 0);
		rl->rlim_cur++;
	}
}

/*
 * gk_cpu_account - task p ran guest code for ns: its CPU time and its
 * process's advance (the process's keeps what its exited tasks ran); the
 * process's CPU interval timers, the POSIX timers on those clocks and
 * RLIMIT_CPU act on it.
 */
void
gk_cpu_account(struct gk_proc *p, uint64_t ns)
{
	p->cpu_ns += ns;
	p->tg->cpu_ns += ns;
	cpu_timer(p, &p->tg->it_virt_left, p->tg->it_virt_interval, ns, SIGVTALRM);
	cpu_timer(p, &p->tg->it_prof_left, p->tg->it_prof_interval, ns, SIGPROF);
	if (p->tg->ptimers)
		cpu_ptimers(p);
	if (p->tg->rlim[RLIMIT_CPU].rlim_cur != RLIM_INFINITY)
		cpu_rlimit(p);
}

/*
 * gk_cpu_rusage - getrusage's view of p into ru: who is RUSAGE_SELF (p's
 * process), RUSAGE_THREAD (p alone), RUSAGE_CHILDREN (the children its
 * process waited for, and theirs) or GK_RUSAGE_BOTH (self and children,
 * what wait4 reports of a child). All CPU time is user time: the guest
 * kernel sees no system time of its own.
 */
void
gk_cpu_rusage(const struct gk_proc *p, int who, struct rusage *ru)
{
	uint64_t ns = 0;

	memset(ru, 0, sizeof(*ru));
	if (who == RUSAGE_THREAD)
		ns = p->cpu_ns;
	if (who == RUSAGE_SELF || who == GK_RUSAGE_BOTH)
		ns += p->tg->cpu_ns;
	if (who == RUSAGE_CHILDREN || who == GK_RUSAGE_BOTH)
		ns += p->tg->cchild_ns;
	ru->ru_utime.tv_sec = (time_t)(ns / 1000000000ULL);
	ru->ru_utime.tv_usec = (suseconds_t)(ns / 1000 % 1000000);
	/* The process's own: the pages it holds now, the best peak the kernel knows. */
	if (who != RUSAGE_CHILDREN && p->vm)
		ru->ru_maxrss = (long)(p->vm->pages * GK_PAGE / 1024);
}

/*
 * gk_cpu_reaped - p's process waited for child c (a zombie it now reaps):
 * c's CPU time and that of the children c waited for become p's
 * children's, as Linux's wait_task_zombie adds them to cutime.
 */
void
gk_cpu_reaped(struct gk_proc *p, const struct gk_proc *c)
{
	p->tg->cchild_ns += c->tg->cpu_ns + c->tg->cchild_ns;
}

/* gk_timers_exec - execve: POSIX timers are deleted; interval timers live on. */
void
gk_timers_exec(struct gk_proc *p)
{
	free(p->tg->ptimers);
	p->tg->ptimers = NULL;
}
