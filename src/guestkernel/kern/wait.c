/*
 * wait.c - sleeping on a channel and waking it.
 *
 * Layer src/guestkernel/kern. A blocked syscall is run again from its
 * start when its process is woken (the restart model), so sleeping only
 * records the channel.
 */
#include "kern.h"

/*
 * gk_block - put p to sleep on chan; its syscall runs again when woken.
 * Returns -GK_EBLOCK, which the handler returns as is.
 */
long
gk_block(struct gk_proc *p, const void *chan)
{
	p->state = GK_P_SLEEP;
	p->wchan = chan;
	return -GK_EBLOCK;
}

/* gk_wake - every process sleeping on chan (and every poller) becomes runnable. */
void
gk_wake(struct gk_kernel *k, const void *chan)
{
	struct gk_proc *p;

	for (p = k->procs; p; p = p->next) {
		if (p->state == GK_P_SLEEP && (p->wchan == chan || p->wchan == GK_WCHAN_POLL)) {
			p->state = GK_P_RUN;
			p->wchan = NULL;
		}
	}
}
