/*
 * ktimer.h - kernel timers (ktimer.c), part of kern.h: included by it alone,
 * so that other folders still include kern.h only.
 *
 * Layer src/guestkernel/kern.
 */
#ifndef UVK_GUESTKERNEL_KERN_KTIMER_H
#define UVK_GUESTKERNEL_KERN_KTIMER_H

#include <stdint.h>

struct gk_kernel;

/*
 * A kernel timer (ktimer.c): fire(t, now) runs from the run loop's timer
 * pass once CLOCK_MONOTONIC reaches when; the owner embeds it (all zero:
 * disarmed) and disarms it before freeing it. A callback must not disarm
 * or free another timer.
 */
struct gk_ktimer {
	uint64_t when; /* CLOCK_MONOTONIC ns, 0: disarmed */
	void (*fire)(struct gk_ktimer *t, uint64_t now);
	struct gk_ktimer *next, **pprev; /* on k->ktimers while armed */
};

void gk_ktimer_arm(struct gk_kernel *k, struct gk_ktimer *t, uint64_t when);
void gk_ktimer_disarm(struct gk_ktimer *t);
uint64_t gk_ktimers_run(struct gk_kernel *k, uint64_t now);

#endif /* UVK_GUESTKERNEL_KERN_KTIMER_H */
