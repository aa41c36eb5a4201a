/*
 * unix_io.c - AF_UNIX's data path: receive queues, send and receive for
 * streams, datagrams and seqpackets, poll, the queue lengths.
 *
 * Layer src/guestkernel/net, under unix.c. A message (struct gk_skb) goes
 * on the receiver's queue; its bytes and overhead (truesize) count against
 * its sender's SO_SNDBUF until read, so a sender blocks (or gets EAGAIN)
 * while it has a full SO_SNDBUF unread, as Linux's sock_alloc_send_pskb:
 * one socket holds at most 1.5 x SO_SNDBUF of tracer heap, charged to the
 * kernel-heap budget besides. A stream write is cut into messages of at
 * most half SO_SNDBUF; a stream read joins them, stopping after one that
 * carried descriptors. A datagram socket that is not its receiver's peer
 * also waits while the receiver has more than max_dgram_qlen messages.
 *
 * Calls that would block follow the restart model; what a blocked stream
 * send or MSG_WAITALL receive moved so far is p->io_done, as a pipe's.
 *
 * Must not: read syscall arguments or guest memory (the iovecs point into
 * pmem already).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "unix_impl.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

/* Copy len bytes from byte skip of the iovecs into dst. */
static void
iov_get(const struct iovec *iov, int n, size_t skip, unsigned char *dst, size_t len)
{
	int i;

	for (i = 0; i < n && len > 0; i++) {
		size_t l = iov[i].iov_len, c;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		c = l - skip < len ? l - skip : len;
		memcpy(dst, (const unsigned char *)iov[i].iov_base + skip, c);
		dst += c;
		len -= c;
		skip = 0;
	}
}

/* Copy len bytes of src into the iovecs from their byte skip on. */
static void
iov_put(const struct iovec *iov, int n, size_t skip, const unsigned char *src, size_t len)
{
	int i;

	for (i = 0; i < n && len > 0; i++) {
		size_t l = iov[i].iov_len, c;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		c = l - skip < len ? l - skip : len;
		memcpy((unsigned char *)iov[i].iov_base + skip, src, c);
		src += c;
		len -= c;
		skip = 0;
	}
}

/*
 * gk_unix_skb_new - a message of len bytes from from (held, charged to its
 * SO_SNDBUF; NULL for a connection request) with p's credentials. NULL
 * when the kernel-heap budget is spent.
 */
struct gk_skb *
gk_unix_skb_new(struct gk_proc *p, struct gk_sock *from, size_t len)
{
	struct gk_skb *skb = gk_kzalloc(p->k, sizeof(*skb) + len);

	if (!skb)
		return NULL;
	skb->len = len;
	skb->truesize = sizeof(*skb) + len;
	gk_sock_cred(p, &skb->scm.cred);
	if (from) {
		skb->from = gk_sock_ref(from);
		gk_unix(from)->wmem += skb->truesize;
	}
	return skb;
}

/* gk_unix_skb_free - a message read or dropped: its sender may send again. */
void
gk_unix_skb_free(struct gk_kernel *k, struct gk_skb *skb)
{
	struct gk_sock *from = skb->from;

	gk_unix_flight(k, &skb->scm, -1);
	gk_scm_drop(k, &skb->scm);
	if (skb->conn) {
		gk_unix_close(skb->conn, 1);
		gk_sock_unref(skb->conn);
	}
	if (from) {
		gk_unix(from)->wmem -= skb->truesize;
		gk_waitq_wake(&gk_unix(from)->wq, POLLOUT);
		gk_sock_unref(from);
	}
	gk_kfree(k, skb, sizeof(*skb) + skb->len);
}

/* gk_unix_queue - put skb on to's receive queue and wake its readers. */
void
gk_unix_queue(struct gk_sock *to, struct gk_skb *skb)
{
	struct gk_unix *u = gk_unix(to);

	skb->next = NULL;
	if (u->qtail)
		u->qtail->next = skb;
	else
		u->qhead = skb;
	u->qtail = skb;
	u->qbytes += skb->len;
	u->qcount++;
	gk_waitq_wake(&u->wq, POLLIN);
}

static void
dequeue(struct gk_sock *s)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_skb *skb = u->qhead;

	u->qhead = skb->next;
	if (!u->qhead)
		u->qtail = NULL;
	u->qbytes -= skb->len - skb->off;
	u->qcount--;
	gk_unix_skb_free(s->k, skb);
	/* Datagram senders waiting for room on our queue. */
	gk_waitq_wake(&u->wq, POLLOUT);
}

/* gk_unix_purge - drop every message queued on s. */
void
gk_unix_purge(struct gk_sock *s)
{
	while (gk_unix(s)->qhead)
		dequeue(s);
}

/* The end of a stream write that found no reader: SIGPIPE unless MSG_NOSIGNAL. */
static long
pipe_err(struct gk_proc *p, const struct gk_msg *m, size_t moved)
{
	if (moved)
		return (long)moved;
	if (!(m->flags & MSG_NOSIGNAL))
		gk_sig_kill(p, SIGPIPE, SI_USER, p->tg->gpid);
	return -EPIPE;
}

/* Hand the descriptors of the call to skb (it now holds them). */
static void
take_scm(struct gk_kernel *k, struct gk_skb *skb, struct gk_msg *m)
{
	skb->scm.nfd = m->scm.nfd;
	skb->scm.fp = m->scm.fp;
	m->scm.nfd = 0;
	m->scm.fp = NULL;
	gk_unix_flight(k, &skb->scm, 1);
	if (m->scm.has_cred)
		skb->scm.cred = m->scm.cred;
}

static long
stream_send(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	struct gk_unix *u = gk_unix(s);
	size_t total = gk_iov_total(m->iov, m->iovcnt), moved;
	long r;

	moved = p->sys_rerun ? p->io_done : 0;
	p->io_done = 0;
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->addr)
		return u->state == GK_U_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != GK_U_CONNECTED || !u->peer)
		return -ENOTCONN;
	if (moved > total)
		moved = total;
	while (moved < total) {
		struct gk_sock *peer = u->peer;
		size_t chunk = total - moved, max = (size_t)s->sndbuf / 2 - 64;
		struct gk_skb *skb;

		if ((s->shut & GK_SHUT_WR) || !peer || gk_unix(peer)->closed ||
		    (peer->shut & GK_SHUT_RD))
			return pipe_err(p, m, moved);
		if (u->wmem >= (size_t)s->sndbuf) {
			if (m->flags & MSG_DONTWAIT)
				return moved ? (long)moved : -EAGAIN;
			r = gk_sock_wait(p, s, &u->wq, POLLOUT, 1);
			if (r == -GK_EBLOCK)
				p->io_done = moved;
			else if (moved)
				r = (long)moved;
			return r;
		}
		if (chunk > max)
			chunk = max;
		skb = gk_unix_skb_new(p, s, chunk);
		if (!skb)
			return moved ? (long)moved : -ENOBUFS;
		iov_get(m->iov, m->iovcnt, moved, skb->data, chunk);
		if (moved == 0 || m->scm.nfd)
			take_scm(s->k, skb, m);
		gk_unix_queue(peer, skb);
		moved += chunk;
	}
	if ((s->shut & GK_SHUT_WR) && total == 0)
		return pipe_err(p, m, 0);
	return (long)moved;
}

static long
dgram_send(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	struct gk_unix *u = gk_unix(s);
	size_t len = gk_iov_total(m->iov, m->iovcnt);
	struct gk_sock *other;
	struct gk_skb *skb;
	int err;

	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET) {
		if (u->state != GK_U_CONNECTED)
			return -ENOTCONN;
		m->addr = NULL; /* a seqpacket socket sends to its peer whatever the address */
	} else if (m->addr && (err = gk_unix_addr_check(m->addr, m->addrlen)) < 0) {
		return err;
	}
	/* EPIPE without SIGPIPE: seqpacket sends are datagram sends (unix_dgram_sendmsg). */
	if (s->shut & GK_SHUT_WR)
		return -EPIPE;
	if (len > (size_t)s->sndbuf - 32)
		return -EMSGSIZE;
	if (s->passcred && !u->addrlen && (err = gk_unix_autobind(s)) < 0)
		return err;
	if (m->addr) {
		err = gk_unix_find(p, m->addr, m->addrlen, s->type, &other);
		if (err < 0)
			return err;
	} else {
		if (!u->peer)
			return -ENOTCONN;
		other = gk_sock_ref(u->peer);
	}
	if (gk_unix(other)->closed) {
		if (s->type == SOCK_SEQPACKET) {
			err = -EPIPE;
		} else {
			/* Our peer is gone: we are disconnected (unix_dgram_sendmsg). */
			if (u->peer == other) {
				gk_sock_unref(u->peer);
				u->peer = NULL;
				u->state = GK_U_UNCONN;
			}
			err = -ECONNREFUSED;
		}
		goto out;
	}
	if (other->shut & GK_SHUT_RD) {
		err = -EPIPE;
		goto out;
	}
	if (s->type == SOCK_DGRAM && gk_unix(other)->peer && gk_unix(other)->peer != s) {
		err = -EPERM;
		goto out;
	}
	if (u->wmem >= (size_t)s->sndbuf) {
		err = (m->flags & MSG_DONTWAIT) ? -EAGAIN
						: (int)gk_sock_wait(p, s, &u->wq, POLLOUT, 1);
		goto out;
	}
	if (gk_unix(other)->peer != s && gk_unix(other)->qcount > GK_UNIX_DGRAM_QLEN) {
		err = (m->flags & MSG_DONTWAIT)
			  ? -EAGAIN
			  : (int)gk_sock_wait(p, s, &gk_unix(other)->wq, POLLOUT, 1);
		goto out;
	}
	skb = gk_unix_skb_new(p, s, len);
	if (!skb) {
		err = -ENOBUFS;
		goto out;
	}
	iov_get(m->iov, m->iovcnt, 0, skb->data, len);
	take_scm(s->k, skb, m);
	gk_unix_queue(other, skb);
	err = 0;
out:
	gk_sock_unref(other);
	return err < 0 ? err : (long)len;
}

long
gk_unix_sendmsg(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	if (s->type == SOCK_STREAM)
		return stream_send(p, s, m);
	return dgram_send(p, s, m);
}

/* What a message gives the receiver besides bytes: descriptors (dup'd on a peek), credentials. */
static void
give_scm(struct gk_kernel *k, struct gk_skb *skb, struct gk_msg *m, int peek)
{
	int i;

	m->scm.cred = skb->scm.cred;
	m->scm.has_cred = 1;
	if (!skb->scm.nfd || m->scm.nfd)
		return;
	if (!peek) {
		gk_unix_flight(k, &skb->scm, -1);
		m->scm.nfd = skb->scm.nfd;
		m->scm.fp = skb->scm.fp;
		skb->scm.nfd = 0;
		skb->scm.fp = NULL;
		return;
	}
	m->scm.fp = gk_kzalloc(k, (size_t)skb->scm.nfd * sizeof(*m->scm.fp));
	if (!m->scm.fp)
		return; /* out of kernel heap: the peek shows no descriptors */
	for (i = 0; i < skb->scm.nfd; i++)
		m->scm.fp[i] = gk_file_ref(skb->scm.fp[i]);
	m->scm.nfd = skb->scm.nfd;
}

/* The sender's address for recvfrom. */
static void
give_from(struct gk_skb *skb, struct gk_msg *m)
{
	/* An unbound sender gives no name at all (length 0), as unix_copy_addr. */
	if (skb->from && gk_unix(skb->from)->addrlen)
		m->fromlen = (unsigned)gk_unix_ops.name(skb->from, 0, &m->from);
}

static long
stream_recv(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	struct gk_unix *u = gk_unix(s);
	size_t total = gk_iov_total(m->iov, m->iovcnt), copied, target;
	int peek = (m->flags & MSG_PEEK) != 0;
	struct gk_skb *skb;
	size_t peek_off = 0;
	long r;

	copied = p->sys_rerun ? p->io_done : 0;
	p->io_done = 0;
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (u->state != GK_U_CONNECTED)
		return -EINVAL;
	if (copied > total)
		copied = total;
	target = (m->flags & MSG_WAITALL) && !peek ? total : 1;
	if (total == 0)
		return 0;
	skb = u->qhead;
	for (;;) {
		size_t avail, c;
		int had_fds;

		if (!skb) {
			if (copied >= target)
				break;
			if (s->err && !copied) {
				r = -s->err;
				s->err = 0;
				return r;
			}
			if (s->shut & GK_SHUT_RD)
				break;
			if (m->flags & MSG_DONTWAIT)
				return copied ? (long)copied : -EAGAIN;
			r = gk_sock_wait(p, s, &u->wq, POLLIN, 0);
			if (r == -GK_EBLOCK)
				p->io_done = copied;
			else if (copied)
				r = (long)copied;
			return r;
		}
		/* With SO_PASSCRED, one read gives bytes of one sender's credentials only. */
		if (copied && s->passcred && m->scm.has_cred &&
		    memcmp(&skb->scm.cred, &m->scm.cred, sizeof(m->scm.cred)) != 0)
			break;
		avail = skb->len - skb->off - (peek ? peek_off : 0);
		c = avail < total - copied ? avail : total - copied;
		iov_put(m->iov, m->iovcnt, copied, skb->data + skb->off + (peek ? peek_off : 0), c);
		had_fds = skb->scm.nfd > 0;
		if (!m->fromlen)
			give_from(skb, m);
		if (!m->scm.has_cred || had_fds)
			give_scm(s->k, skb, m, peek);
		copied += c;
		if (peek) {
			peek_off += c;
			if (peek_off == skb->len - skb->off) {
				skb = skb->next;
				peek_off = 0;
			}
		} else {
			skb->off += c;
			u->qbytes -= c;
			if (skb->off == skb->len)
				dequeue(s);
			skb = u->qhead;
		}
		if (had_fds || copied >= total)
			break;
	}
	return (long)copied;
}

static long
dgram_recv(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	struct gk_unix *u = gk_unix(s);
	size_t total = gk_iov_total(m->iov, m->iovcnt), c;
	struct gk_skb *skb = u->qhead;
	long r;

	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET && u->state != GK_U_CONNECTED)
		return -ENOTCONN;
	if (!skb) {
		if (s->err) {
			r = -s->err;
			s->err = 0;
			return r;
		}
		if (s->shut & GK_SHUT_RD)
			return 0;
		if (m->flags & MSG_DONTWAIT)
			return -EAGAIN;
		return gk_sock_wait(p, s, &u->wq, POLLIN, 0);
	}
	c = skb->len < total ? skb->len : total;
	iov_put(m->iov, m->iovcnt, 0, skb->data, c);
	if (skb->len > total)
		m->oflags |= MSG_TRUNC;
	r = (m->flags & MSG_TRUNC) ? (long)skb->len : (long)c;
	give_from(skb, m);
	give_scm(s->k, skb, m, (m->flags & MSG_PEEK) != 0);
	if (!(m->flags & MSG_PEEK))
		dequeue(s);
	return r;
}

long
gk_unix_recvmsg(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m)
{
	if (s->type == SOCK_STREAM)
		return stream_recv(p, s, m);
	return dgram_recv(p, s, m);
}

/* As unix_poll and unix_dgram_poll. */
short
gk_unix_poll(struct gk_sock *s, short events, struct gk_pollreg *reg)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_sock *other = u->peer;
	int writable;
	short r = 0;

	if (reg) {
		gk_poll_wait(reg, &u->wq, (short)(events | POLLHUP | POLLERR));
		if (s->type == SOCK_DGRAM && other && gk_unix(other)->peer != s)
			gk_poll_wait(reg, &gk_unix(other)->wq, POLLOUT);
	}
	if (s->err)
		r |= POLLERR;
	if (s->shut == (GK_SHUT_RD | GK_SHUT_WR))
		r |= POLLHUP;
	if (s->shut & GK_SHUT_RD)
		r |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->qhead)
		r |= POLLIN | POLLRDNORM;
	if (s->type != SOCK_DGRAM && u->state == GK_U_UNCONN)
		r |= POLLHUP;
	writable = u->state != GK_U_LISTEN && u->wmem * 4 <= (size_t)s->sndbuf;
	if (s->type == SOCK_DGRAM && other && gk_unix(other)->peer != s &&
	    gk_unix(other)->qcount > GK_UNIX_DGRAM_QLEN)
		writable = 0;
	if (writable)
		r |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return r & (short)(events | POLLERR | POLLHUP);
}

/* FIONREAD/SIOCINQ: a stream's or seqpacket's unread bytes, a datagram socket's next message's
 * length. */
long
gk_unix_inq(struct gk_sock *s)
{
	struct gk_unix *u = gk_unix(s);

	if (u->state == GK_U_LISTEN)
		return -EINVAL;
	if (s->type != SOCK_DGRAM)
		return (long)u->qbytes;
	return u->qhead ? (long)u->qhead->len : 0;
}

/* SIOCOUTQ: what we sent that is not read yet, as Linux counts it (with overhead). */
long
gk_unix_outq(struct gk_sock *s)
{
	return (long)gk_unix(s)->wmem;
}
