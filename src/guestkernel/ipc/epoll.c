/*
 * epoll.c - epoll instances: one kind of open file (struct gk_file_ops)
 * whose interest list watches other open files over their wait queues.
 *
 * Layer src/guestkernel/ipc. An interest entry (struct gk_epitem) is keyed
 * by (open file, descriptor number) as Linux's epoll(7) says, holds no
 * reference to the file, and is linked three ways: on its instance's list,
 * on the file's watch list (gk_fwatch: the file's last close drops it, so
 * no entry outlives its file), and on the wait queue(s) the file's poll
 * registered it on (gk_waitq_add, with a callback that marks it pending,
 * puts it on the instance's ready list and wakes the instance's own queue).
 * epoll_wait asks the poll of the entries on the ready list only, as
 * Linux's rdllist: an entry leaves it when its file says it is not ready
 * (the next wake brings it back), or once reported if edge-triggered or
 * one-shot; a level-triggered entry reported stays, moved to the end so
 * that a wait for fewer events than are ready takes turns. An entry whose
 * file could not register it on a queue (a host descriptor that was ready
 * when asked) stays on the list until it can. The pending mark is what edge
 * triggering reports.
 * Nesting is bounded (no cycle, depth <= GK_EP_MAX_NESTS) so the wake and
 * poll recursions are too. Every entry is charged to the kernel heap.
 *
 * Must not: touch guest memory (sys/sys_epoll.c copies events in and out).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "ipc.h"

#define GK_EP_MAX_NESTS 4 /* as Linux's EP_MAX_NESTS */
#define EP_NWE		2 /* queues one file's poll registers on */

struct gk_epoll {
	struct gk_waitq wq; /* epoll_wait sleepers and pollers of the epoll file */
	struct gk_epitem *items;
	struct gk_epitem *rdy_first, *rdy_last; /* the ready list: entries to ask */
	struct gk_kernel *k;
	struct gk_file *self; /* the file it is (not held: it holds us) */
};

/* An entry's place on one watched queue. */
struct ep_wq {
	struct gk_wentry e;
	struct gk_epitem *it;
};

struct gk_epitem {
	struct gk_epitem *next, *prev; /* on ep->items */
	struct gk_epoll *ep;
	struct gk_file *file; /* not held: watch tells us when it goes */
	int fd;
	uint32_t events; /* EPOLL* the guest asked for, with EPOLLET/ONESHOT/EXCLUSIVE */
	uint64_t data;
	int pending;  /* a wake came since last reported (edge triggering) */
	int disabled; /* EPOLLONESHOT fired: nothing until EPOLL_CTL_MOD */
	int on_rdy;   /* on ep's ready list (rnext, rprev) */
	struct gk_epitem *rnext, *rprev;
	struct gk_fwatch watch;
	struct ep_wq we[EP_NWE];
	int nwe;
	struct gk_pollreg reg;
};

#define CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static struct gk_epoll *
ep_of(struct gk_file *f)
{
	return f->priv;
}

/* Put it at the end of its instance's ready list, if it is not on it. */
static void
rdy_add(struct gk_epitem *it)
{
	struct gk_epoll *ep = it->ep;

	if (it->on_rdy)
		return;
	it->on_rdy = 1;
	it->rnext = NULL;
	it->rprev = ep->rdy_last;
	if (ep->rdy_last)
		ep->rdy_last->rnext = it;
	else
		ep->rdy_first = it;
	ep->rdy_last = it;
}

static void
rdy_del(struct gk_epitem *it)
{
	struct gk_epoll *ep = it->ep;

	if (!it->on_rdy)
		return;
	if (it->rprev)
		it->rprev->rnext = it->rnext;
	else
		ep->rdy_first = it->rnext;
	if (it->rnext)
		it->rnext->rprev = it->rprev;
	else
		ep->rdy_last = it->rprev;
	it->rnext = it->rprev = NULL;
	it->on_rdy = 0;
}

/* A watched object changed: the entry is pending and ready to ask, and the instance's waiters look. */
static void
item_wake(struct gk_wentry *e, short key)
{
	struct gk_epitem *it = CONTAINER(e, struct ep_wq, e)->it;

	(void)key;
	it->pending = 1;
	rdy_add(it);
	if (!it->disabled)
		gk_waitq_wake(&it->ep->wq, POLLIN);
}

static int
item_queue(struct gk_pollreg *reg, struct gk_waitq *q, short events)
{
	struct gk_epitem *it = CONTAINER(reg, struct gk_epitem, reg);
	struct gk_wentry *e;

	if (it->nwe == EP_NWE)
		return 0; /* more queues than an entry keeps: the instance's scan still asks */
	it->we[it->nwe].it = it;
	e = &it->we[it->nwe++].e;
	e->events = events;
	e->func = item_wake;
	gk_waitq_add(q, e);
	return 0;
}

static short
to_poll(uint32_t ev)
{
	return (short)(ev & (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND |
			     EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP));
}

/* The entry is on at least one of its file's queues. */
static int
item_queued(const struct gk_epitem *it)
{
	int i;

	for (i = 0; i < it->nwe; i++)
		if (it->we[i].e.q)
			return 1;
	return 0;
}

/*
 * What the entry reports now (0: nothing), without consuming it. A file
 * that was ready when it was asked may not have registered (a host
 * descriptor registers only when it must wait), and a queue that went
 * (gk_waitq_fini) took the entry off: such an entry registers again here,
 * so a wait that follows is woken.
 */
static uint32_t
item_ready(struct gk_epitem *it)
{
	short want = to_poll(it->events);
	uint32_t r;

	if (it->disabled)
		return 0;
	if (item_queued(it) && (it->events & EPOLLET) && !it->pending)
		return 0;
	if (!item_queued(it)) {
		it->nwe = 0;
		it->reg.err = 0;
		r = (uint16_t)it->file->ops->poll(it->file, (short)(want | POLLHUP | POLLERR),
						  &it->reg);
	} else {
		r = (uint16_t)it->file->ops->poll(it->file, (short)(want | POLLHUP | POLLERR),
						  NULL);
	}
	if ((it->events & EPOLLET) && !it->pending)
		return 0;
	return r & ((uint32_t)want | EPOLLHUP | EPOLLERR);
}

/* The entry was reported: edge triggering waits for the next wake, one-shot for a MOD. */
static void
item_consumed(struct gk_epitem *it)
{
	if (it->events & EPOLLET)
		it->pending = 0;
	if (it->events & EPOLLONESHOT)
		it->disabled = 1;
}

/*
 * What an entry of the ready list reports now; one with nothing to report
 * leaves the list, unless its file could not put it on a queue (then only
 * asking again will tell).
 */
static uint32_t
rdy_check(struct gk_epitem *it)
{
	uint32_t r = item_ready(it);

	if (!r && (it->disabled || item_queued(it)))
		rdy_del(it);
	return r;
}

static void
item_unqueue(struct gk_epitem *it)
{
	int i;

	for (i = 0; i < it->nwe; i++)
		gk_waitq_del(&it->we[i].e);
	it->nwe = 0;
}

/* Register it on the queues of its file, and look once (an entry ready now is pending). */
static void
item_arm(struct gk_epitem *it)
{
	item_unqueue(it);
	it->reg.p = NULL;
	it->reg.err = 0;
	it->reg.queue = item_queue;
	it->file->ops->poll(it->file, (short)(to_poll(it->events) | POLLHUP | POLLERR), &it->reg);
	it->pending = 1;
	it->disabled = 0;
	rdy_add(it);
}

static void
item_free(struct gk_epitem *it)
{
	struct gk_epoll *ep = it->ep;

	item_unqueue(it);
	rdy_del(it);
	gk_fwatch_del(it->file, &it->watch);
	if (it->prev)
		it->prev->next = it->next;
	else
		ep->items = it->next;
	if (it->next)
		it->next->prev = it->prev;
	gk_kfree(ep->k, it, sizeof(*it));
}

/* The watched file's last close: its entries go (epoll(7)). */
static void
item_gone(struct gk_fwatch *w)
{
	item_free(CONTAINER(w, struct gk_epitem, watch));
}

static short
ep_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_epoll *ep = ep_of(f);
	struct gk_epitem *it, *next;

	gk_poll_wait(reg, &ep->wq, POLLIN);
	for (it = ep->rdy_first; it; it = next) {
		next = it->rnext;
		if (rdy_check(it))
			return (short)(events & (POLLIN | POLLRDNORM));
	}
	return 0;
}

static void
ep_release(struct gk_file *f)
{
	struct gk_epoll *ep = ep_of(f);

	if (!ep)
		return;
	while (ep->items)
		item_free(ep->items);
	gk_waitq_fini(&ep->wq);
	gk_kfree(ep->k, ep, sizeof(*ep));
	f->priv = NULL;
}

static int
ep_stat(struct gk_file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

/*
 * /proc/PID/fdinfo/N: a tfd line an entry, in Linux's layout; the events
 * show EPOLLERR|EPOLLHUP, which epoll_ctl always adds to what was asked.
 */
static void
ep_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_epoll *ep = f->priv;
	struct gk_epitem *it;
	struct stat st;

	for (it = ep->items; it; it = it->next) {
		if (gk_file_stat(it->file, &st) < 0)
			memset(&st, 0, sizeof(st));
		gk_sb_printf(b, "tfd: %8d events: %8x data: %16llx  pos:%lld ino:%llx sdev:%x\n",
			     it->fd, it->events | EPOLLERR | EPOLLHUP, (unsigned long long)it->data,
			     (long long)it->file->pos, (unsigned long long)st.st_ino,
			     gk_fdinfo_sdev(st.st_dev));
	}
}

const struct gk_file_ops gk_epoll_ops = {
	.read = gk_file_no_read,
	.write = gk_file_no_write,
	.poll = ep_poll,
	.ioctl = gk_file_no_ioctl,
	.llseek = gk_file_no_llseek,
	.setfl = gk_file_setfl,
	.stat = ep_stat,
	.setattr = gk_file_no_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = gk_file_no_mmap,
	.release = ep_release,
	.fdinfo = ep_fdinfo,
};

/*
 * gk_epoll_new - a new epoll instance as an open file (O_RDWR | flags).
 * Returns it with one reference, or NULL (ENOMEM).
 */
struct gk_file *
gk_epoll_new(struct gk_kernel *k, int flags)
{
	struct gk_epoll *ep;
	struct gk_file *f;

	ep = gk_kzalloc(k, sizeof(*ep));
	f = ep ? gk_file_new(k, &gk_epoll_ops, -1, O_RDWR | flags, "anon_inode:[eventpoll]") : NULL;
	if (!f) {
		gk_kfree(k, ep, sizeof(*ep));
		return NULL;
	}
	ep->k = k;
	ep->self = f;
	f->priv = ep;
	f->fmode |= GK_FMODE_STREAM;
	return f;
}

/* gk_is_epoll - f is an epoll instance. */
int
gk_is_epoll(const struct gk_file *f)
{
	return f->ops == &gk_epoll_ops;
}

/* How deep the epolls under f go (f not epoll: 0); stops counting past the limit. */
static int
depth_down(struct gk_file *f, int lim)
{
	struct gk_epitem *it;
	int d, max = 0;

	if (!gk_is_epoll(f))
		return 0;
	if (lim < 0)
		return 1;
	for (it = ep_of(f)->items; it; it = it->next)
		if ((d = depth_down(it->file, lim - 1)) > max)
			max = d;
	return max + 1;
}

/* How many epolls watch f, the longest chain up; stops counting past the limit. */
static int
depth_up(struct gk_file *f, int lim)
{
	struct gk_fwatch *w;
	int d, max = 0;

	if (lim < 0)
		return 0;
	for (w = f->watchers; w; w = w->next) {
		if (w->gone != item_gone)
			continue;
		d = 1 + depth_up(CONTAINER(w, struct gk_epitem, watch)->ep->self, lim - 1);
		if (d > max)
			max = d;
	}
	return max;
}

/* Does target reach ep's file (a cycle if ep watched it)? */
static int
reaches(struct gk_file *target, struct gk_file *epf, int lim)
{
	struct gk_epitem *it;

	if (target == epf)
		return 1;
	if (!gk_is_epoll(target) || lim < 0)
		return 0;
	for (it = ep_of(target)->items; it; it = it->next)
		if (reaches(it->file, epf, lim - 1))
			return 1;
	return 0;
}

static struct gk_epitem *
find(struct gk_epoll *ep, struct gk_file *f, int fd)
{
	struct gk_epitem *it;

	for (it = ep->items; it; it = it->next)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

/*
 * gk_epoll_ctl - EPOLL_CTL_ADD/MOD/DEL of (f, fd) on the instance epf;
 * events and data are the guest's event (ignored for DEL). The caller
 * checked the descriptors (EBADF). Returns 0, -EPERM (f cannot be polled:
 * a regular file, a directory, a kind always ready), -EINVAL (epf not an
 * epoll, or f itself, a bad op, EPOLLEXCLUSIVE misused), -EEXIST, -ENOENT,
 * -ELOOP (a cycle, or nesting past GK_EP_MAX_NESTS), -ENOMEM.
 */
int
gk_epoll_ctl(struct gk_file *epf, int op, struct gk_file *f, int fd, uint32_t events, uint64_t data)
{
	struct gk_epoll *ep;
	struct gk_epitem *it;
	struct stat st;

	if (f->ops->poll == gk_file_poll_ready ||
	    (f->ops->stat(f, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))))
		return -EPERM;
	if (epf == f || !gk_is_epoll(epf))
		return -EINVAL;
	ep = ep_of(epf);
	if ((events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_ADD &&
	    ((events & ~(uint32_t)(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
				   EPOLLET | EPOLLEXCLUSIVE)) ||
	     gk_is_epoll(f)))
		return -EINVAL;
	it = find(ep, f, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (gk_is_epoll(f) &&
		    (reaches(f, epf, GK_EP_MAX_NESTS + 1) ||
		     depth_down(f, GK_EP_MAX_NESTS + 1) + depth_up(epf, GK_EP_MAX_NESTS + 1) + 1 >
			 GK_EP_MAX_NESTS + 1))
			return -ELOOP;
		if (!(it = gk_kzalloc(ep->k, sizeof(*it))))
			return -ENOMEM;
		it->ep = ep;
		it->file = f;
		it->fd = fd;
		it->events = events | EPOLLERR | EPOLLHUP;
		it->data = data;
		it->watch.gone = item_gone;
		gk_fwatch_add(f, &it->watch);
		it->next = ep->items;
		if (ep->items)
			ep->items->prev = it;
		ep->items = it;
		item_arm(it);
		break;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if ((events & EPOLLEXCLUSIVE) || (it->events & EPOLLEXCLUSIVE))
			return -EINVAL;
		it->events = events | EPOLLERR | EPOLLHUP;
		it->data = data;
		item_arm(it);
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	default:
		return -EINVAL;
	}
	if (item_ready(it))
		gk_waitq_wake(&ep->wq, POLLIN);
	return 0;
}

/*
 * gk_epoll_collect - up to max ready entries of epf into out (events,
 * data), consuming them (edge, one-shot) only if commit: the caller first
 * copies them out, then calls again with commit set for the same count.
 * Returns the count.
 */
int
gk_epoll_collect(struct gk_file *epf, struct gk_epevent *out, int max, int commit)
{
	struct gk_epoll *ep = ep_of(epf);
	struct gk_epitem *it, *next, *again = NULL, **tail = &again;
	int n = 0;

	for (it = ep->rdy_first; it && n < max; it = next) {
		uint32_t r;

		next = it->rnext;
		r = rdy_check(it);
		if (!r)
			continue;
		if (commit) {
			item_consumed(it);
			rdy_del(it);
			/* Level-triggered: asked again next time, after the others. */
			if (!(it->events & (EPOLLET | EPOLLONESHOT))) {
				*tail = it;
				tail = &it->rnext;
			}
		} else {
			out[n].events = r;
			out[n].data = it->data;
		}
		n++;
	}
	while (again) {
		it = again;
		again = it->rnext;
		rdy_add(it);
	}
	return n;
}

/* gk_epoll_waitq - the queue epoll_wait sleeps on. */
struct gk_waitq *
gk_epoll_waitq(struct gk_file *epf)
{
	return &ep_of(epf)->wq;
}
