/*
 * sys_time.c - syscalls that wait or arm timers: nanosleep,
 * clock_nanosleep, alarm, getitimer, setitimer, timer_create,
 * timer_settime, timer_gettime, timer_getoverrun, timer_delete.
 *
 * Layer src/guestkernel/sys. Argument checking and unit conversion; the timers
 * themselves are in timer.c. Guest times are kept as CLOCK_MONOTONIC
 * nanoseconds; an absolute CLOCK_REALTIME time is converted when it is set
 * (a later jump of the host's wall clock does not move it). A POSIX timer
 * on a CPU clock keeps its expiry as a reading of that clock, which the
 * CPU accounting advances (gk_cpu_account).
 *
 * Must not: sleep on the host. A sleeping guest process sleeps in the guest
 * kernel (gk_block) and the others run.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sys.h"

#define NS 1000000000ULL

/*
 * A clockid of the CLOCKFD kind (negative, low three bits 3) names a
 * dynamic clock by descriptor; uvk has none. Linux's clock_posix_dynamic
 * has no nsleep and no timer_create: those say -EOPNOTSUPP before any look
 * at the descriptor (clock_gettime and clock_getres say -EINVAL).
 */
static int
clockfd(clockid_t c)
{
	return c < 0 && (c & 7) == 3;
}

static uint64_t
ts_ns(const struct timespec *ts)
{
	/* Past KTIME_MAX is KTIME_MAX, as Linux: no wrap into a short timer. */
	if ((uint64_t)ts->tv_sec >= (uint64_t)INT64_MAX / NS)
		return INT64_MAX;
	return (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
}

static struct timespec
ns_ts(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / NS), .tv_nsec = (long)(ns % NS)};
}

static int
ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)NS;
}

/* An absolute time on clock c, as CLOCK_MONOTONIC ns (now at the earliest). */
static uint64_t
abs_to_mono(clockid_t c, uint64_t t)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC), ref;

	if (c != CLOCK_REALTIME)
		return t > now ? t : now;
	ref = gk_now_ns(CLOCK_REALTIME);
	return t > ref ? now + (t - ref) : now;
}

static long
sleep_for(struct gk_proc *p, clockid_t c, int flags, uint64_t req)
{
	uint64_t ns;
	int err;

	if (!p->sys_rerun) {
		if ((err = gk_timespec_in(p, req, &ns)) < 0)
			return err;
		if (flags & TIMER_ABSTIME)
			gk_timeout_abs(p, abs_to_mono(c, ns));
		else
			gk_timeout(p, ns);
	}
	if (gk_now_ns(CLOCK_MONOTONIC) >= p->deadline)
		return 0;
	return gk_block(p, NULL, 0);
}

GK_SYS(nanosleep)
{
	return sleep_for(p, CLOCK_MONOTONIC, 0, gk_arg_ptr(a, 0));
}

/*
 * clock_nanosleep: on the wall and monotonic clocks. Not on CPU clocks,
 * which Linux sleeps on but uvk does not (-EOPNOTSUPP, what Linux says of
 * CLOCK_THREAD_CPUTIME_ID), except that a clock naming nothing, and the
 * caller's own thread clock, are -EINVAL as on Linux (a CLOCKFD id,
 * -EOPNOTSUPP).
 */
GK_SYS(clock_nanosleep)
{
	clockid_t c = gk_arg_int(a, 0);
	int err, self;

	if (clockfd(c))
		return -EOPNOTSUPP;
	if (c < 0) {
		err = gk_cpu_clock(p, c, 0, NULL, NULL, &self);
		return err < 0 ? err : self ? -EINVAL : -EOPNOTSUPP;
	}
	if (c != CLOCK_REALTIME && c != CLOCK_MONOTONIC && c != CLOCK_BOOTTIME)
		return c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID ? -EOPNOTSUPP
										       : -EINVAL;
	/* flags is int; Linux acts on TIMER_ABSTIME and ignores every other bit. */
	return sleep_for(p, c, gk_arg_int(a, 1), gk_arg_ptr(a, 2));
}

/* ---- interval timers ---------------------------------------------------------------- */

struct k_itimerval {
	struct timeval interval, value;
};

static uint64_t
tv_ns(const struct timeval *tv)
{
	/* Past KTIME_MAX is KTIME_MAX, as Linux: no wrap into a short timer. */
	if ((uint64_t)tv->tv_sec >= (uint64_t)INT64_MAX / NS)
		return INT64_MAX;
	return (uint64_t)tv->tv_sec * NS + (uint64_t)tv->tv_usec * 1000;
}

static struct timeval
ns_tv(uint64_t ns)
{
	/* Round up: a timer with time left never reads as disarmed. */
	ns += 999;
	return (struct timeval){.tv_sec = (time_t)(ns / NS), .tv_usec = (long)(ns % NS / 1000)};
}

static void
itimer_get(struct gk_proc *p, int which, struct k_itimerval *v)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC), left = 0, interval = 0;

	switch (which) {
	case ITIMER_REAL:
		if (p->tg->it_real_next > now)
			left = p->tg->it_real_next - now;
		else if (p->tg->it_real_next)
			left = 1; /* due, not fired yet */
		interval = p->tg->it_real_interval;
		break;
	case ITIMER_VIRTUAL:
		left = p->tg->it_virt_left;
		interval = p->tg->it_virt_interval;
		break;
	case ITIMER_PROF:
		left = p->tg->it_prof_left;
		interval = p->tg->it_prof_interval;
		break;
	}
	v->value = ns_tv(left);
	v->interval = ns_tv(interval);
}

static void
itimer_set(struct gk_proc *p, int which, const struct k_itimerval *v)
{
	uint64_t value = tv_ns(&v->value), interval = value ? tv_ns(&v->interval) : 0;

	switch (which) {
	case ITIMER_REAL:
		p->tg->it_real_next = value ? gk_now_ns(CLOCK_MONOTONIC) + value : 0;
		p->tg->it_real_interval = interval;
		break;
	case ITIMER_VIRTUAL:
		p->tg->it_virt_left = value;
		p->tg->it_virt_interval = interval;
		break;
	case ITIMER_PROF:
		p->tg->it_prof_left = value;
		p->tg->it_prof_interval = interval;
		break;
	}
}

GK_SYS(getitimer)
{
	struct k_itimerval v;
	int which = gk_arg_int(a, 0);

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	itimer_get(p, which, &v);
	return gk_copyout(p, gk_arg_ptr(a, 1), &v, sizeof(v));
}

GK_SYS(setitimer)
{
	struct k_itimerval v, old;
	int which = gk_arg_int(a, 0);
	uint64_t value = gk_arg_ptr(a, 1), ovalue = gk_arg_ptr(a, 2);

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	if (value && gk_copyin(p, &v, value, sizeof(v)) < 0)
		return -EFAULT;
	if (v.value.tv_usec < 0 || v.value.tv_usec >= 1000000 || v.interval.tv_usec < 0 ||
	    v.interval.tv_usec >= 1000000 || v.value.tv_sec < 0 || v.interval.tv_sec < 0)
		return -EINVAL;
	itimer_get(p, which, &old);
	itimer_set(p, which, &v);
	if (ovalue && gk_copyout(p, ovalue, &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(alarm)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC), left = 0;
	unsigned secs = gk_arg_uint(a, 0);

	if (p->tg->it_real_next > now)
		left = p->tg->it_real_next - now;
	p->tg->it_real_next = secs ? now + secs * NS : 0;
	p->tg->it_real_interval = 0;
	/* Seconds left, rounded to the nearest; never 0 for a pending alarm. */
	if (!left)
		return 0;
	return left < NS / 2 ? 1 : (long)((left + NS / 2) / NS);
}

/* ---- POSIX timers -------------------------------------------------------------------- */

/* struct sigevent as the kernel reads it: 64 bytes. */
struct k_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid;
	int32_t pad[11];
};

#define K_SIGEV_THREAD_ID 4

struct k_itimerspec {
	struct timespec interval, value;
};

static struct gk_ptimer *
ptimer(struct gk_proc *p, int id)
{
	if (!p->tg->ptimers || id < 0 || id >= GK_NTIMERS || !p->tg->ptimers[id].used)
		return NULL;
	return &p->tg->ptimers[id];
}

GK_SYS(timer_create)
{
	clockid_t c = gk_arg_int(a, 0);
	uint64_t sevp = gk_arg_ptr(a, 1);
	struct k_sigevent ev;
	struct gk_ptimer *t;
	int id;

	struct gk_ptimer cpu = {0};
	int err;

	if (clockfd(c))
		return -EOPNOTSUPP;
	if (c != CLOCK_REALTIME && c != CLOCK_MONOTONIC && c != CLOCK_BOOTTIME &&
	    c != CLOCK_PROCESS_CPUTIME_ID && c != CLOCK_THREAD_CPUTIME_ID && c >= 0)
		return -EINVAL;
	if ((err = gk_ptimer_clock(p, &cpu, c)) < 0)
		return err;
	if (sevp) {
		if (gk_copyin(p, &ev, sevp, sizeof(ev)) < 0)
			return -EFAULT;
		if (ev.notify == K_SIGEV_THREAD_ID) {
			/* A thread of the caller's own process (glibc's SIGEV_THREAD helper). */
			struct gk_proc *to = gk_task_find(p->k, ev.tid);

			if (!to || to->tg != p->tg || to->state == GK_P_DEAD)
				return -EINVAL;
		} else {
			ev.tid = 0;
		}
		if (ev.notify == K_SIGEV_THREAD_ID)
			ev.notify = SIGEV_SIGNAL;
		if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE)
			return -EINVAL;
		if (ev.notify == SIGEV_SIGNAL && (ev.signo < 1 || ev.signo >= GK_NSIG))
			return -EINVAL;
	}
	if (!p->tg->ptimers && !(p->tg->ptimers = calloc(GK_NTIMERS, sizeof(*p->tg->ptimers))))
		return -ENOMEM;
	for (id = 0; id < GK_NTIMERS && p->tg->ptimers[id].used; id++)
		;
	if (id == GK_NTIMERS)
		return -EAGAIN;
	if (!sevp) {
		memset(&ev, 0, sizeof(ev));
		ev.notify = SIGEV_SIGNAL;
		ev.signo = SIGALRM;
		ev.value = (uint64_t)id;
	}
	if (gk_copyout(p, gk_arg_ptr(a, 2), &id, sizeof(id)) < 0)
		return -EFAULT;
	t = &p->tg->ptimers[id];
	memset(t, 0, sizeof(*t));
	t->used = 1;
	t->notify = ev.notify;
	t->signo = ev.signo;
	t->value = ev.value;
	t->realtime = c == CLOCK_REALTIME;
	t->tid = sevp ? ev.tid : 0;
	t->cpu = cpu.cpu;
	t->cpu_tid = cpu.cpu_tid;
	return 0;
}

static void
ptimer_get(struct gk_proc *p, const struct gk_ptimer *t, struct k_itimerspec *v)
{
	uint64_t now = gk_ptimer_now(p, t);

	v->value = ns_ts(t->next > now ? t->next - now : t->next ? 1 : 0);
	v->interval = ns_ts(t->interval);
}

GK_SYS(timer_settime)
{
	struct gk_ptimer *t = ptimer(p, gk_arg_int(a, 0));
	int flags = gk_arg_int(a, 1);
	struct k_itimerspec v, old;
	uint64_t value;

	/* flags is int; Linux acts on TIMER_ABSTIME and ignores every other bit. */
	if (!t)
		return -EINVAL;
	if (gk_copyin(p, &v, gk_arg_ptr(a, 2), sizeof(v)) < 0)
		return -EFAULT;
	if (!ts_valid(&v.value) || !ts_valid(&v.interval))
		return -EINVAL;
	ptimer_get(p, t, &old);
	value = ts_ns(&v.value);
	if (!value)
		t->next = 0;
	else if (t->cpu) /* CPU time: an absolute value is a reading of the clock itself */
		t->next = (flags & TIMER_ABSTIME) ? value : gk_ptimer_now(p, t) + value;
	else if (flags & TIMER_ABSTIME)
		t->next = abs_to_mono(t->realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, value);
	else
		t->next = gk_now_ns(CLOCK_MONOTONIC) + value;
	t->interval = value ? ts_ns(&v.interval) : 0;
	t->overrun = 0;
	if (gk_arg_ptr(a, 3) && gk_copyout(p, gk_arg_ptr(a, 3), &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(timer_gettime)
{
	struct gk_ptimer *t = ptimer(p, gk_arg_int(a, 0));
	struct k_itimerspec v;

	if (!t)
		return -EINVAL;
	ptimer_get(p, t, &v);
	return gk_copyout(p, gk_arg_ptr(a, 1), &v, sizeof(v));
}

GK_SYS(timer_getoverrun)
{
	struct gk_ptimer *t = ptimer(p, gk_arg_int(a, 0));

	return t ? t->last_overrun : -EINVAL;
}

GK_SYS(timer_delete)
{
	struct gk_ptimer *t = ptimer(p, gk_arg_int(a, 0));

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	return 0;
}
