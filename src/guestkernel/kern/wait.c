/*
 * wait.c - wait queues: a task sleeps on the queues of the objects it
 * waits for, and a wake reaches only the tasks on that object's queue.
 *
 * Layer src/guestkernel/kern. kern.h ("Wait queues") gives the model: the
 * restart model of blocking calls, the prepare/check/commit order that
 * loses no wake-up, and the lock that will guard all of this under SMP.
 * Here: a queue is a doubly linked list of entries (all zero is empty); a
 * task's entries come from its wait record (four inline, then chunks of
 * GK_WAIT_CHUNK kept for its next call and charged to the kernel-heap
 * budget) and are listed there, so a woken, killed or freed task leaves
 * every queue at once.
 *
 * Must not: know what the objects are (pipes, host descriptors, children)
 * or touch guest memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "kern.h"

static void
unlink_entry(struct gk_wentry *e)
{
	struct gk_waitq *q = e->q;

	if (!q)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		q->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		q->last = e->prev;
	e->next = e->prev = NULL;
	e->q = NULL;
}

/* The task's next free entry, or NULL (-ENOMEM: the kernel-heap budget is spent). */
static struct gk_wentry *
entry_get(struct gk_proc *p)
{
	struct gk_wait *w = &p->wait;
	struct gk_wchunk *c, **cp;
	unsigned j;

	if (w->used < GK_WAIT_INLINE)
		return &w->inl[w->used++];
	j = w->used - GK_WAIT_INLINE;
	if (j % GK_WAIT_CHUNK == 0) {
		cp = j == 0 ? &w->more : &w->cur->next;
		if (!*cp) {
			if (gk_kmem_charge(p->k, sizeof(*c)) < 0)
				return NULL;
			c = calloc(1, sizeof(*c));
			if (!c) {
				gk_kmem_uncharge(p->k, sizeof(*c));
				return NULL;
			}
			*cp = c;
		}
		w->cur = *cp;
	}
	w->used++;
	return &w->cur->e[j % GK_WAIT_CHUNK];
}

/*
 * gk_wait_prepare - put p on q, waiting for events (poll bits; 0: any
 * wake), before p checks its condition. p does not sleep yet: see
 * gk_wait_commit. Returns 0 or -ENOMEM.
 */
int
gk_wait_prepare(struct gk_proc *p, struct gk_waitq *q, short events)
{
	struct gk_wentry *e = entry_get(p);

	if (!e)
		return -ENOMEM;
	e->q = q;
	e->p = p;
	e->events = events;
	e->func = NULL;
	e->next = NULL;
	e->prev = q->last;
	if (q->last)
		q->last->next = e;
	else
		q->first = e;
	q->last = e;
	e->tnext = p->wait.list;
	p->wait.list = e;
	return 0;
}

/*
 * gk_wait_finish - take p off every queue it is on: it was woken, its call
 * is over, or it exits. Its entries are free for its next wait.
 */
void
gk_wait_finish(struct gk_proc *p)
{
	struct gk_wentry *e;

	for (e = p->wait.list; e; e = e->tnext)
		unlink_entry(e);
	p->wait.list = NULL;
	p->wait.used = 0;
	p->wait.woken = 0;
}

/* gk_wait_cancel - the condition held after prepare: p does not sleep after all. */
void
gk_wait_cancel(struct gk_proc *p)
{
	gk_wait_finish(p);
}

/*
 * gk_wait_commit - p sleeps on the queues it prepared (none: only a
 * signal or its deadline wakes it), unless a wake came since prepare, in
 * which case it stays runnable. Either way its call runs again from the
 * start: returns -GK_EBLOCK, which the handler returns as is.
 */
long
gk_wait_commit(struct gk_proc *p)
{
	/*
	 * A signal p may take is pending already: it does not sleep (Linux's
	 * signal_pending check before schedule). With several vCPUs one can
	 * be posted after p trapped into this call and before the call ran:
	 * nobody would wake p for it.
	 */
	if (p->wait.woken || (gk_sig_pending(p) & (~p->sigmask | p->sigwait))) {
		gk_wait_finish(p);
		return -GK_EBLOCK;
	}
	p->state = GK_P_SLEEP;
	return -GK_EBLOCK;
}

/*
 * gk_block - prepare and commit at once, for a caller that checked its
 * condition just before (one critical section): p sleeps on q (NULL: on
 * nothing) until a wake with a key in events (0: any). Returns -GK_EBLOCK,
 * or -ENOMEM if p could not be queued.
 */
long
gk_block(struct gk_proc *p, struct gk_waitq *q, short events)
{
	int err;

	if (q && (err = gk_wait_prepare(p, q, events)) < 0) {
		gk_wait_cancel(p);
		return err;
	}
	return gk_wait_commit(p);
}

/*
 * gk_wake_task - p's wait is over whatever it waited on (a signal, its
 * deadline): it runs again, off every queue. A task between prepare and
 * commit is marked woken instead, so that it does not go to sleep.
 */
void
gk_wake_task(struct gk_proc *p)
{
	if (p->state == GK_P_SLEEP) {
		p->state = GK_P_RUN;
		gk_wait_finish(p);
		gk_cpu_kick(p);
	} else if (p->wait.list) {
		p->wait.woken = 1;
	}
}

/*
 * gk_waitq_wake - something happened to q's object: key says what (poll
 * bits; 0 anything). Every task waiting on q for it runs again and leaves
 * all its queues; an entry with a func has it called instead. Entries
 * waiting for other events stay.
 */
void
gk_waitq_wake(struct gk_waitq *q, short key)
{
	struct gk_proc *woke = NULL, *t;
	struct gk_wentry *e;

	/*
	 * Two passes: waking a task takes all its entries off their queues,
	 * some maybe further on this one, so the walk only marks, and the
	 * tasks leave their queues after it.
	 */
	for (e = q->first; e; e = e->next) {
		if (key && e->events && !(e->events & key))
			continue;
		if (e->func) {
			e->func(e, key);
			continue;
		}
		t = e->p;
		if (t->state != GK_P_SLEEP) {
			t->wait.woken = 1; /* between prepare and commit, or woken already */
			continue;
		}
		t->state = GK_P_RUN;
		t->wait.wake_next = woke;
		woke = t;
	}
	while ((t = woke)) {
		woke = t->wait.wake_next;
		t->wait.wake_next = NULL;
		gk_wait_finish(t);
		gk_cpu_kick(t);
	}
}

/*
 * gk_waitq_wake_one - wake the task that has waited longest on q for key
 * (a futex wake, a lock handed on). Returns 1 if one was woken, 0 if no
 * sleeping task waits for key. Entries with a func are left alone.
 */
int
gk_waitq_wake_one(struct gk_waitq *q, short key)
{
	struct gk_wentry *e;

	for (e = q->first; e; e = e->next) {
		if ((key && e->events && !(e->events & key)) || e->func)
			continue;
		if (e->p->state == GK_P_SLEEP) {
			gk_wake_task(e->p);
			return 1;
		}
	}
	return 0;
}

/*
 * gk_waitq_fini - q's object is going away: wake everyone still on it and
 * leave no entry pointing at it.
 */
void
gk_waitq_fini(struct gk_waitq *q)
{
	gk_waitq_wake(q, 0);
	while (q->first)
		unlink_entry(q->first);
}

/* gk_waitq_empty - nobody waits on q. */
int
gk_waitq_empty(const struct gk_waitq *q)
{
	return q->first == NULL;
}

/* gk_wait_free - p is being freed: off every queue, its entry chunks given back. */
void
gk_wait_free(struct gk_proc *p)
{
	struct gk_wchunk *c, *next;

	gk_wait_finish(p);
	for (c = p->wait.more; c; c = next) {
		next = c->next;
		free(c);
		gk_kmem_uncharge(p->k, sizeof(*c));
	}
	p->wait.more = p->wait.cur = NULL;
}

/*
 * gk_poll_wait - a file's poll hook: with a registration (poll about to
 * sleep), put its poller on q for events, before the file looks at its
 * state. A failure is kept in reg->err for the caller to return.
 */
void
gk_poll_wait(struct gk_pollreg *reg, struct gk_waitq *q, short events)
{
	int err;

	if (!reg || reg->err)
		return;
	if (reg->queue) {
		reg->err = reg->queue(reg, q, events);
		return;
	}
	if ((err = gk_wait_prepare(reg->p, q, events)) < 0)
		reg->err = err;
}

/*
 * gk_waitq_add - link e, an entry its owner keeps (epoll's: e->func set,
 * e->events the keys it wants), at the end of q. It belongs to no task:
 * it stays until gk_waitq_del or the queue's gk_waitq_fini.
 */
void
gk_waitq_add(struct gk_waitq *q, struct gk_wentry *e)
{
	e->q = q;
	e->p = NULL;
	e->tnext = NULL;
	e->next = NULL;
	e->prev = q->last;
	if (q->last)
		q->last->next = e;
	else
		q->first = e;
	q->last = e;
}

/* gk_waitq_del - take e (gk_waitq_add's) off its queue, if it is on one. */
void
gk_waitq_del(struct gk_wentry *e)
{
	unlink_entry(e);
}
