/*
 * net.h - sockets: the generic layer (socket.c) and its families; AF_UNIX
 * (unix.c names and connections, unix_io.c the data path, scm.c control
 * messages). The guest's loopback and host sockets plug in later as more
 * families (struct gk_proto_ops).
 *
 * Layer src/guestkernel/net. May include ipc/, proc/, fs/, mm/ and kern/;
 * sys/ includes it. A socket is one implementation of fs/'s file
 * operations (gk_sock_file_ops) over kern/'s wait queues; what differs by
 * family sits behind struct gk_proto_ops, so sys/sys_socket.c never asks
 * which family a socket is.
 *
 * Buffers: every queued message is charged to the kernel-heap budget
 * (gk_kzalloc) and a sender is held below its SO_SNDBUF of unread bytes,
 * so the guest cannot make the tracer grow without bound.
 */
#ifndef UVK_GUESTKERNEL_NET_H
#define UVK_GUESTKERNEL_NET_H

#include <sys/socket.h>

#include "../ipc/ipc.h"

#define GK_SCM_MAX_FD	   253	  /* SCM_MAX_FD: descriptors in one SCM_RIGHTS message */
#define GK_SOCK_BUF_DEF	   212992 /* net.core.wmem_default and rmem_default */
#define GK_SOCK_BUF_MAX	   212992 /* net.core.wmem_max and rmem_max */
#define GK_SOCK_SNDBUF_MIN 4608	  /* SOCK_MIN_SNDBUF on x86-64 */
#define GK_SOCK_RCVBUF_MIN 2304	  /* SOCK_MIN_RCVBUF */
#define GK_UNIX_DGRAM_QLEN 10	  /* net.unix.max_dgram_qlen */
#define GK_SOMAXCONN	   4096	  /* net.core.somaxconn */
#define GK_UNIX_PATH_MAX   108	  /* sizeof(sun_path) */

struct gk_sock;

/* Credentials a message carries (SCM_CREDENTIALS, SO_PEERCRED): as the guest sees them. */
struct gk_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

/*
 * What travels with a message besides its bytes (scm.c): descriptors in
 * flight, each an open file held by one reference until the receiver
 * installs it or the message is dropped, and the sender's credentials.
 */
struct gk_scm {
	int nfd;
	struct gk_file **fp; /* nfd held files, or NULL */
	int has_cred;	     /* the sender gave SCM_CREDENTIALS */
	struct gk_ucred cred;
};

/*
 * One sendmsg or recvmsg as the family sees it: the data as host iovecs
 * into pmem, the address (a kernel copy), the control data parsed (send)
 * or to be built (recv), the MSG_* flags.
 */
struct gk_msg {
	const struct iovec *iov;
	int iovcnt;
	const void *addr; /* send: destination, or NULL */
	unsigned addrlen;
	struct sockaddr_storage from; /* recv: the sender's address ... */
	unsigned fromlen;	      /* ... and its full length (0: none) */
	struct gk_scm scm;	      /* send: what the caller gave; recv: what came */
	int flags;		      /* MSG_* of the call */
	int oflags;		      /* recv: msg_flags (MSG_TRUNC, MSG_EOR...) */
	int want_cred;		      /* recv: the receiver asks credentials (SO_PASSCRED) */
};

/*
 * gk_proto_ops - what a family does. Every member is set. Calls that can
 * block follow the restart model (-GK_EBLOCK, run again from the start).
 *
 * init       - a new socket of type/protocol (checked against the family
 *              here: -EPROTONOSUPPORT, -ESOCKTNOSUPPORT); s->proto set.
 * pair       - connect two new sockets to each other (socketpair).
 * bind, connect, listen, accept, shutdown - as the syscalls; accept gives
 *              a new socket (one reference) in *ret.
 * sendmsg    - bytes sent, or -errno; recvmsg - bytes (or the datagram's
 *              full length with MSG_TRUNC), 0 at end of stream.
 * poll       - revents, with gk_pollreg as a file's poll.
 * name       - the bound (peer 0) or connected (peer 1) address into buf
 *              (sizeof(struct sockaddr_storage)); its length, or -ENOTCONN.
 * getopt/setopt - SOL_SOCKET options the generic layer leaves
 *              (SO_PEERCRED, SO_ACCEPTCONN...): -ENOPROTOOPT if unknown.
 * inq, outq  - FIONREAD/SIOCINQ and SIOCOUTQ.
 * release    - the last file of the socket closed.
 * free       - the last reference went: free s->proto.
 */
struct gk_proto_ops {
	int family;
	int (*init)(struct gk_sock *s, int type, int protocol);
	int (*pair)(struct gk_sock *a, struct gk_sock *b);
	int (*bind)(struct gk_proc *p, struct gk_sock *s, const void *addr, unsigned len);
	int (*connect)(struct gk_proc *p, struct gk_sock *s, const void *addr, unsigned len,
		       int nonblock);
	int (*listen)(struct gk_sock *s, int backlog);
	int (*accept)(struct gk_proc *p, struct gk_sock *s, int nonblock, struct gk_sock **ret);
	int (*shutdown)(struct gk_sock *s, int how);
	long (*sendmsg)(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m);
	long (*recvmsg)(struct gk_proc *p, struct gk_sock *s, struct gk_msg *m);
	short (*poll)(struct gk_sock *s, short events, struct gk_pollreg *reg);
	int (*name)(struct gk_sock *s, int peer, void *buf);
	int (*getopt)(struct gk_proc *p, struct gk_sock *s, int opt, void *val, unsigned *len);
	int (*setopt)(struct gk_sock *s, int opt, const void *val, unsigned len);
	long (*inq)(struct gk_sock *s);
	long (*outq)(struct gk_sock *s);
	void (*release)(struct gk_sock *s);
	void (*free)(struct gk_sock *s);
};

/*
 * A socket: the generic state and options every family has, and the
 * family's object (proto). Held by its open file (one reference for all
 * the descriptors sharing it) and by whatever the family points at it
 * from (a peer, a listener's queue, a message it sent); freed with the
 * last reference. A socket made by accept has no file until accept gives
 * it one.
 */
struct gk_sock {
	int refs;
	struct gk_kernel *k;
	const struct gk_proto_ops *ops;
	struct gk_file *file; /* the open file, not held; NULL before accept or after close */
	int family, type, protocol;
	uint64_t ino; /* socket:[ino] */
	int err;      /* SO_ERROR: a pending error, cleared by reading it */
	int sndbuf, rcvbuf;
	uint64_t sndtimeo, rcvtimeo; /* ns, 0: none */
	int reuseaddr, passcred, keepalive, oobinline, broadcast, dontroute, priority;
	struct linger linger;
	int shut; /* GK_SHUT_RD | GK_SHUT_WR: this side's shutdown */
	void *proto;
};

#define GK_SHUT_RD 1
#define GK_SHUT_WR 2

/*
 * What net/ keeps kernel-wide (k->net): made with the first socket,
 * freed by gk_net_fini.
 */
struct gk_unix_name;
struct gk_unix;
struct gk_net {
	uint64_t sock_next_ino;		 /* the next socket's inode number */
	struct gk_unix_name *unix_names; /* AF_UNIX names bound now (unix.c) */
	uint32_t unix_autobind;		 /* the next autobind name to try */
	struct gk_unix *unix_inflight;	 /* AF_UNIX sockets with files in flight (unix_gc.c) */
	int unix_gc_busy; /* the collector runs: a release inside it does not start it */
};

/* socket.c: the generic layer. */
extern const struct gk_file_ops gk_sock_file_ops;
int gk_sock_create(struct gk_kernel *k, int family, int type, int protocol, struct gk_sock **ret);
struct gk_sock *gk_sock_ref(struct gk_sock *s);
void gk_sock_unref(struct gk_sock *s);
int gk_sock_file(struct gk_sock *s, int flags, struct gk_file **ret);
struct gk_sock *gk_sock_of(struct gk_file *f);
int gk_sock_getopt(struct gk_proc *p, struct gk_sock *s, int level, int opt, void *val,
		   unsigned *len);
int gk_sock_setopt(struct gk_sock *s, int level, int opt, const void *val, unsigned len);
long gk_sock_wait(struct gk_proc *p, struct gk_sock *s, struct gk_waitq *q, short events, int send);
void gk_sock_cred(struct gk_proc *p, struct gk_ucred *ret);

/* unix.c, unix_io.c: AF_UNIX. */
extern const struct gk_proto_ops gk_unix_ops;

/* unix_gc.c: the kernel's teardown, once every process is gone: collect, free k->net. */
void gk_net_fini(struct gk_kernel *k);

/* scm.c: control messages. */
int gk_scm_parse(struct gk_proc *p, const void *ctl, size_t len, struct gk_scm *ret);
void gk_scm_drop(struct gk_kernel *k, struct gk_scm *scm);
long gk_scm_put(struct gk_proc *p, const struct gk_msg *m, int cloexec, uint64_t gva, size_t len,
		int *ret_flags);

#endif /* UVK_GUESTKERNEL_NET_H */
