/*
 * ktimer.c - kernel timers: a callback at an absolute CLOCK_MONOTONIC time,
 * for objects that outlive any one task (a timerfd belongs to its open
 * file, which dup and fork share).
 *
 * Layer src/guestkernel/kern. The armed timers are a list on the kernel;
 * the run loop's timer pass (proc/timer.c gk_timers_run) calls
 * gk_ktimers_run with the time, which fires what is due and says when the
 * next one is, so an idle guest sleeps on the host until then. Like the
 * other timers, a kernel timer fires late by at most one tick of the run
 * loop. The owner embeds a struct gk_ktimer and disarms it before freeing it.
 *
 * Must not: know what the owners are, or arm a host timer.
 */
#include "kern.h"

static void
unlink_timer(struct gk_ktimer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

/*
 * gk_ktimer_arm - t fires at when (CLOCK_MONOTONIC ns; 0 disarms it),
 * replacing any earlier arming. t->fire must be set.
 */
void
gk_ktimer_arm(struct gk_kernel *k, struct gk_ktimer *t, uint64_t when)
{
	unlink_timer(t);
	t->when = when;
	if (!when)
		return;
	t->next = k->ktimers;
	if (t->next)
		t->next->pprev = &t->next;
	k->ktimers = t;
	t->pprev = &k->ktimers;
}

/* gk_ktimer_disarm - t will not fire (it may be disarmed already). */
void
gk_ktimer_disarm(struct gk_ktimer *t)
{
	unlink_timer(t);
	t->when = 0;
}

/*
 * gk_ktimers_run - fire every timer due at now (each is disarmed before
 * its callback, which may arm it again). Returns the earliest time one is
 * due later, 0 if none is armed.
 */
uint64_t
gk_ktimers_run(struct gk_kernel *k, uint64_t now)
{
	struct gk_ktimer *t, *due = NULL;
	uint64_t next = 0;

	/* Take the due ones off first: a callback may arm and disarm timers. */
	for (t = k->ktimers; t;) {
		struct gk_ktimer *n = t->next;

		if (t->when <= now) {
			unlink_timer(t);
			t->when = 0;
			t->next = due;
			due = t;
		}
		t = n;
	}
	while (due) {
		t = due;
		due = t->next;
		t->next = NULL;
		t->fire(t, now);
	}
	for (t = k->ktimers; t; t = t->next)
		if (!next || t->when < next)
			next = t->when;
	return next;
}
