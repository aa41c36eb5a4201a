/*
 * unix_gc.c - collecting AF_UNIX sockets kept alive only by their own
 * descriptors in flight.
 *
 * Layer src/guestkernel/net, beside unix.c. A descriptor in flight holds
 * its file; a socket whose file is in flight on its own queue (or on the
 * queue of another socket that is in flight on its queue, and so on) is
 * never closed by the guest once it closes its descriptors: the cycle
 * holds itself. As Linux's unix_gc: a socket is a candidate when every
 * reference to its file is one in flight; candidates referenced from a
 * queue outside the candidates, and what their queues hold, are still
 * reachable; the rest are garbage, and dropping their queued messages
 * breaks the cycles (their files then go the usual way). Runs when an
 * AF_UNIX socket is released while files are in flight, and once at
 * teardown. Cost: the sockets in flight and their queued messages.
 *
 * Must not: read syscall arguments or guest memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "unix_impl.h"

enum { GC_NONE, GC_CAND, GC_REACH };

/* The AF_UNIX socket whose file f is, or NULL. */
static struct gk_unix *
unix_of(struct gk_file *f)
{
	struct gk_sock *s = gk_sock_of(f);

	return s && s->family == AF_UNIX ? gk_unix(s) : NULL;
}

/*
 * gk_unix_flight - the files of scm went into a queued message (delta 1)
 * or left it (delta -1): count the AF_UNIX ones in flight.
 */
void
gk_unix_flight(struct gk_kernel *k, const struct gk_scm *scm, int delta)
{
	int i;

	for (i = 0; i < scm->nfd; i++) {
		struct gk_unix *u = scm->fp[i] ? unix_of(scm->fp[i]) : NULL;

		if (!u)
			continue;
		if (delta > 0 && u->inflight++ == 0) {
			u->inf_prev = NULL;
			u->inf_next = k->net->unix_inflight;
			if (k->net->unix_inflight)
				k->net->unix_inflight->inf_prev = u;
			k->net->unix_inflight = u;
		} else if (delta < 0 && --u->inflight == 0) {
			if (u->inf_prev)
				u->inf_prev->inf_next = u->inf_next;
			else
				k->net->unix_inflight = u->inf_next;
			if (u->inf_next)
				u->inf_next->inf_prev = u->inf_prev;
			u->inf_next = u->inf_prev = NULL;
		}
	}
}

/*
 * Call fn on every candidate whose file a message queued on u holds
 * (and on the queues of the connections waiting on a listener u).
 */
static void
scan(struct gk_unix *u, void (*fn)(struct gk_unix *v, struct gk_unix **work, int *nwork),
     struct gk_unix **work, int *nwork)
{
	struct gk_skb *skb;
	int i;

	for (skb = u->qhead; skb; skb = skb->next) {
		for (i = 0; i < skb->scm.nfd; i++) {
			struct gk_unix *v = skb->scm.fp[i] ? unix_of(skb->scm.fp[i]) : NULL;

			if (v && v->gc_state != GC_NONE)
				fn(v, work, nwork);
		}
		if (skb->conn)
			scan(gk_unix(skb->conn), fn, work, nwork);
	}
}

static void
dec_cnt(struct gk_unix *v, struct gk_unix **work, int *nwork)
{
	(void)work, (void)nwork;
	v->gc_cnt--;
}

static void
reach(struct gk_unix *v, struct gk_unix **work, int *nwork)
{
	if (v->gc_state == GC_CAND) {
		v->gc_state = GC_REACH;
		work[(*nwork)++] = v;
	}
}

/* gk_unix_gc - drop the queues of the sockets only their own flight keeps (see above). */
void
gk_unix_gc(struct gk_kernel *k)
{
	struct gk_unix *u, **work, **garbage;
	int n = 0, nwork = 0, ngarbage = 0, i;

	if (!k->net || k->net->unix_gc_busy || !k->net->unix_inflight)
		return;
	for (u = k->net->unix_inflight; u; u = u->inf_next)
		n++;
	work = malloc((size_t)n * sizeof(*work));
	garbage = malloc((size_t)n * sizeof(*garbage));
	if (!work || !garbage)
		goto out; /* out of memory: the next release tries again */
	k->net->unix_gc_busy = 1;
	for (u = k->net->unix_inflight; u; u = u->inf_next) {
		u->gc_state = u->s->file && u->s->file->refs == u->inflight ? GC_CAND : GC_NONE;
		u->gc_cnt = u->inflight;
	}
	/* References from candidates' own queues do not make a candidate reachable. */
	for (u = k->net->unix_inflight; u; u = u->inf_next)
		if (u->gc_state == GC_CAND)
			scan(u, dec_cnt, NULL, NULL);
	for (u = k->net->unix_inflight; u; u = u->inf_next)
		if (u->gc_state == GC_CAND && u->gc_cnt > 0)
			reach(u, work, &nwork);
	while (nwork > 0)
		scan(work[--nwork], reach, work, &nwork);
	for (u = k->net->unix_inflight; u; u = u->inf_next) {
		if (u->gc_state == GC_CAND)
			garbage[ngarbage++] = u;
		u->gc_state = GC_NONE;
	}
	/* Hold them all first: dropping one queue may release another garbage socket. */
	for (i = 0; i < ngarbage; i++)
		gk_sock_ref(garbage[i]->s);
	for (i = 0; i < ngarbage; i++)
		gk_unix_purge(garbage[i]->s);
	for (i = 0; i < ngarbage; i++)
		gk_sock_unref(garbage[i]->s);
	k->net->unix_gc_busy = 0;
out:
	free(work);
	free(garbage);
}

/* gk_net_fini - every process is gone: what is still in flight is garbage; k->net goes. */
void
gk_net_fini(struct gk_kernel *k)
{
	gk_unix_gc(k);
	free(k->net);
	k->net = NULL;
}
