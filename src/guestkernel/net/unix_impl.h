/*
 * unix_impl.h - AF_UNIX's objects, shared by unix.c (names, connections)
 * and unix_io.c (the data path) only.
 *
 * Layer src/guestkernel/net: not for other folders (they see net.h).
 */
#ifndef GK_NET_UNIX_IMPL_H
#define GK_NET_UNIX_IMPL_H

#include <sys/un.h>

#include "net.h"

/*
 * A message on a receive queue: bytes, the descriptors and credentials
 * that came with them, the socket that sent it (held: its unread bytes
 * count against its SO_SNDBUF, and recvfrom names it). A connection
 * request on a listener is a message too, carrying the new socket (conn,
 * held) that accept will give out. Charged to the kernel-heap budget with
 * its bytes (truesize).
 */
struct gk_skb {
	struct gk_skb *next;
	size_t len, off;      /* bytes, bytes already read (a stream reads a message in parts) */
	size_t truesize;      /* what is charged to the kernel heap and to from's wmem */
	struct gk_sock *from; /* held, or NULL */
	struct gk_sock *conn; /* a listener's: the connection accept takes (held) */
	struct gk_scm scm;    /* descriptors in flight; cred is always the sender's */
	unsigned char data[];
};

enum { GK_U_UNCONN, GK_U_LISTEN, GK_U_CONNECTED };

/* A bound name (k->net->unix_names): an abstract one by its bytes, a file by its inode. */
struct gk_unix_name {
	struct gk_unix_name *next;
	struct gk_sock *s; /* not held: the socket takes its name off when it closes */
	int abstract;
	dev_t dev;
	ino_t ino;
};

struct gk_unix {
	struct gk_sock *s;
	int state;	      /* GK_U_* */
	struct gk_sock *peer; /* held: the other end (connected), the default destination (dgram) */
	struct sockaddr_un addr;      /* bound (or, accepted, the listener's) address */
	unsigned addrlen;	      /* 0: unbound */
	struct gk_unix_name *name;    /* our entry in k->net->unix_names, or NULL */
	struct gk_skb *qhead, *qtail; /* the receive queue */
	size_t qbytes;		      /* unread bytes on it */
	int qcount;		      /* messages on it */
	size_t wmem;		      /* truesize of our messages not yet read */
	int backlog;		      /* a listener's: requests past it wait (backlog + 1 fit) */
	int closed;		      /* the last file went, or (embryo) its listener did */
	struct gk_ucred peercred;     /* SO_PEERCRED */
	int has_peercred;
	struct gk_waitq wq; /* readers POLLIN, writers and connecters POLLOUT, pollers */
	/* unix_gc.c: our file in flight (on k->net->unix_inflight while inflight > 0). */
	int inflight; /* references to our file held by queued messages */
	struct gk_unix *inf_next, *inf_prev;
	int gc_cnt, gc_state; /* the collector's scratch */
};

static inline struct gk_unix *
gk_unix(struct gk_sock *s)
{
	return s->proto;
}

/* unix_io.c */
void gk_unix_queue(struct gk_sock *to, struct gk_skb *skb);
struct gk_skb *gk_unix_skb_new(struct gk_proc *p, struct gk_sock *from, size_t len);
void gk_unix_skb_free(struct gk_kernel *k, struct gk_skb *skb);
void gk_unix_purge(struct gk_sock *s);
long gk_unix_sendmsg(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m);
long gk_unix_recvmsg(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m);
short gk_unix_poll(struct gk_sock *s, short events, struct gk_pollreg *reg);
long gk_unix_inq(struct gk_sock *s);
long gk_unix_outq(struct gk_sock *s);

/* unix_gc.c */
void gk_unix_flight(struct gk_kernel *k, const struct gk_scm *scm, int delta);
void gk_unix_gc(struct gk_kernel *k);

/* unix.c */
int gk_unix_autobind(struct gk_sock *s);
int gk_unix_find(struct gk_proc *p, const void *addr, unsigned len, int type, struct gk_sock **ret);
int gk_unix_addr_check(const void *addr, unsigned len);
void gk_unix_close(struct gk_sock *s, int embryo);

#endif
