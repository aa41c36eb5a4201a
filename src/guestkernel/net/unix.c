/*
 * unix.c - AF_UNIX sockets: names, connections, shutdown, options.
 *
 * Layer src/guestkernel/net, one family behind socket.c (gk_unix_ops);
 * the data path is unix_io.c. As Linux's af_unix: a name is abstract
 * (sun_path[0] == 0, bytes up to the address length, in k->net->unix_names)
 * or a file: bind makes a socket inode (mknod S_IFSOCK through the VFS,
 * so tmpfs holds it and every error is the VFS's: ENOENT, ENOTDIR,
 * EACCES, EROFS, EEXIST which becomes EADDRINUSE), and connect finds the
 * socket bound to that inode, if any (ECONNREFUSED when none is).
 *
 * A stream or seqpacket connect makes the listener's end of the
 * connection at once (an embryo: a socket with no file) and queues it on
 * the listener as a message, which accept takes and gives a file; so the
 * connecting side can send before accept, as on Linux. The listener takes
 * backlog + 1 requests (unix_recvq_full); a connect past that waits, or is
 * EAGAIN when non-blocking.
 *
 * Must not: read syscall arguments or guest memory (sys/sys_socket.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unix_impl.h"

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static int
u_init(struct gk_sock *s, int type, int protocol)
{
	struct gk_unix *u;

	if (protocol != 0 && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	if (type == SOCK_RAW)
		s->type = type = SOCK_DGRAM; /* as Linux's unix_create */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	s->protocol = 0;
	u = gk_kzalloc(s->k, sizeof(*u));
	if (!u)
		return -ENOBUFS;
	u->s = s;
	s->proto = u;
	return 0;
}

/* Take s's name off the table (it closed). */
static void
unname(struct gk_sock *s)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_unix_name **pp;

	if (!u->name)
		return;
	for (pp = &s->k->net->unix_names; *pp; pp = &(*pp)->next) {
		if (*pp == u->name) {
			*pp = u->name->next;
			break;
		}
	}
	gk_kfree(s->k, u->name, sizeof(*u->name));
	u->name = NULL;
}

static void
set_peer(struct gk_sock *a, struct gk_sock *b)
{
	struct gk_unix *u = gk_unix(a);
	struct gk_sock *old = u->peer;

	u->peer = b ? gk_sock_ref(b) : NULL;
	gk_sock_unref(old);
}

static int
u_pair(struct gk_sock *a, struct gk_sock *b)
{
	struct gk_unix *ua = gk_unix(a), *ub = gk_unix(b);

	set_peer(a, b);
	set_peer(b, a);
	ua->state = ub->state = GK_U_CONNECTED;
	/* socketpair(2): each end's SO_PEERCRED is the caller's credentials. */
	if (a->k->sys_task) {
		gk_sock_cred(a->k->sys_task, &ua->peercred);
		ub->peercred = ua->peercred;
		ua->has_peercred = ub->has_peercred = 1;
	}
	return 0;
}

/*
 * gk_unix_addr_check - bind/connect's address rules (unix_validate_addr):
 * 0, or -EINVAL for a length under sizeof(sa_family_t) or over
 * sizeof(struct sockaddr_un), or a family other than AF_UNIX.
 */
int
gk_unix_addr_check(const void *addr, unsigned len)
{
	sa_family_t fam;

	if (len < sizeof(fam) || len > sizeof(struct sockaddr_un))
		return -EINVAL;
	memcpy(&fam, addr, sizeof(fam));
	return fam == AF_UNIX ? 0 : -EINVAL;
}

/*
 * A file name from a sockaddr_un: sun_path up to its NUL or the end of the
 * address (Linux terminates it there), in buf (GK_UNIX_PATH_MAX + 1).
 */
static void
path_of(const struct sockaddr_un *sun, unsigned len, char *buf)
{
	size_t n = len - SUN_OFF;

	memcpy(buf, sun->sun_path, n);
	buf[n] = '\0';
}

/*
 * The bound name: an abstract one of type type (each type has its own
 * abstract names, as Linux hashes them), or the file (dev, ino).
 */
static struct gk_unix_name *
name_find(struct gk_kernel *k, int abstract, int type, const void *path, unsigned len, dev_t dev,
	  ino_t ino)
{
	struct gk_unix_name *n;

	for (n = k->net->unix_names; n; n = n->next) {
		struct gk_unix *u = gk_unix(n->s);

		if (n->abstract != abstract || (abstract && n->s->type != type))
			continue;
		if (abstract ? u->addrlen == len && memcmp(&u->addr, path, len) == 0
			     : n->dev == dev && n->ino == ino)
			return n;
	}
	return NULL;
}

static int
name_add(struct gk_sock *s, int abstract, dev_t dev, ino_t ino)
{
	struct gk_unix_name *n = gk_kzalloc(s->k, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->s = s;
	n->abstract = abstract;
	n->dev = dev;
	n->ino = ino;
	n->next = s->k->net->unix_names;
	s->k->net->unix_names = n;
	gk_unix(s)->name = n;
	return 0;
}

/*
 * gk_unix_autobind - give unbound s an abstract name of five hex digits
 * (unix(7), "Autobind feature"). 0, -ENOSPC (every one taken), -ENOMEM.
 */
int
gk_unix_autobind(struct gk_sock *s)
{
	struct gk_unix *u = gk_unix(s);
	struct sockaddr_un sun;
	uint32_t i;

	if (u->addrlen)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	for (i = 0; i < 0x100000; i++) {
		uint32_t n = (s->k->net->unix_autobind + i) & 0xfffff;
		char hex[8];

		snprintf(hex, sizeof(hex), "%05x", n);
		memcpy(sun.sun_path + 1, hex, 5);
		if (!name_find(s->k, 1, s->type, &sun, SUN_OFF + 6, 0, 0)) {
			s->k->net->unix_autobind = n + 1;
			memcpy(&u->addr, &sun, sizeof(sun));
			u->addrlen = SUN_OFF + 6;
			if (name_add(s, 1, 0, 0) < 0) {
				u->addrlen = 0;
				return -ENOMEM;
			}
			return 0;
		}
	}
	return -ENOSPC;
}

/*
 * u_bind - bind(2): an abstract name, a file, or (length
 * sizeof(sa_family_t)) an autobind name. -EINVAL (bad address, already
 * bound), -EADDRINUSE (the name is taken), the VFS's errors for a file.
 */
static int
u_bind(struct gk_proc *p, struct gk_sock *s, const void *addr, unsigned len)
{
	struct gk_unix *u = gk_unix(s);
	const struct sockaddr_un *sun = addr;
	char path[GK_UNIX_PATH_MAX + 1];
	struct gk_path gp;
	struct stat st;
	int err;

	err = gk_unix_addr_check(addr, len);
	if (err < 0)
		return err;
	if (len == sizeof(sa_family_t))
		return u->addrlen ? -EINVAL : gk_unix_autobind(s);
	if (sun->sun_path[0] == '\0') {
		if (u->addrlen)
			return -EINVAL;
		if (name_find(s->k, 1, s->type, addr, len, 0, 0))
			return -EADDRINUSE;
		memcpy(&u->addr, addr, len);
		u->addrlen = len;
		err = name_add(s, 1, 0, 0);
		if (err < 0)
			u->addrlen = 0;
		return err;
	}
	path_of(sun, len, path);
	err = gk_path_resolve(p, AT_FDCWD, path, 0, &gp);
	if (err < 0)
		return err;
	/* The inode's mode is 0777 less the umask, as a socket inode's on Linux. */
	err = gk_vfs_mknod(p, &gp, S_IFSOCK | (0777 & ~p->fs->umask), 0);
	if (err == -EEXIST)
		return -EADDRINUSE;
	if (err < 0)
		return err;
	if (u->addrlen) {
		/* As Linux: the name is made before the socket is found bound, then goes again. */
		gk_vfs_unlink(p, &gp, 0);
		return -EINVAL;
	}
	err = gk_vfs_stat(p, &gp, 0, &st);
	if (err < 0)
		return err;
	/* A stale entry for this inode (its file was removed, the inode reused) goes. */
	{
		struct gk_unix_name *old = name_find(s->k, 0, 0, NULL, 0, st.st_dev, st.st_ino);

		if (old)
			old->ino = 0, old->dev = (dev_t)-1;
	}
	memset(&u->addr, 0, sizeof(u->addr));
	u->addr.sun_family = AF_UNIX;
	memcpy(u->addr.sun_path, path, strlen(path));
	u->addrlen = (unsigned)(SUN_OFF + strlen(path) + 1);
	err = name_add(s, 0, st.st_dev, st.st_ino);
	if (err < 0)
		u->addrlen = 0;
	return err;
}

/*
 * connect(2)'s write permission on a socket inode of /tmp, which the VFS
 * does not check there (a non-root guest owns its tmpfs): the owner's,
 * group's or others' w bit, as generic_permission picks it.
 */
static int
may_write(const struct gk_kernel *k, const struct stat *st)
{
	if (st->st_uid == k->uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == k->gid)
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

/*
 * gk_unix_find - the socket named by addr (checked), of type type, for a
 * connect or a send (a new reference in *ret). -ECONNREFUSED (no socket
 * has the name, or the file is no socket), -EPROTOTYPE (another type),
 * the VFS's errors (ENOENT, ENOTDIR, EACCES...).
 */
int
gk_unix_find(struct gk_proc *p, const void *addr, unsigned len, int type, struct gk_sock **ret)
{
	const struct sockaddr_un *sun = addr;
	struct gk_unix_name *n;
	char path[GK_UNIX_PATH_MAX + 1];
	struct gk_path gp;
	struct stat st;
	int err;

	if (len <= sizeof(sa_family_t))
		return -EINVAL;
	if (sun->sun_path[0] == '\0') {
		n = name_find(p->k, 1, type, addr, len, 0, 0);
	} else {
		path_of(sun, len, path);
		err = gk_path_resolve(p, AT_FDCWD, path, GK_LOOKUP_FOLLOW, &gp);
		if (err < 0)
			return err;
		err = gk_vfs_stat(p, &gp, 1, &st);
		if (err < 0)
			return err;
		if (!S_ISSOCK(st.st_mode))
			return -ECONNREFUSED;
		err = gk_vfs_access(p, &gp, W_OK, 1);
		if (err < 0)
			return err;
		if (gp.mnt->kind == GK_MNT_TMPFS && p->k->uid != 0 && !may_write(p->k, &st))
			return -EACCES;
		n = name_find(p->k, 0, 0, NULL, 0, st.st_dev, st.st_ino);
	}
	if (!n)
		return -ECONNREFUSED;
	if (n->s->type != type)
		return -EPROTOTYPE;
	*ret = gk_sock_ref(n->s);
	return 0;
}

/* listen(2): only a bound stream or seqpacket socket, not connected. */
static int
u_listen(struct gk_sock *s, int backlog)
{
	struct gk_unix *u = gk_unix(s);

	if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	if (!u->addrlen || u->state == GK_U_CONNECTED)
		return -EINVAL;
	if ((unsigned)backlog > GK_SOMAXCONN)
		backlog = GK_SOMAXCONN;
	u->backlog = backlog;
	if (u->state != GK_U_LISTEN && s->k->sys_task) {
		gk_sock_cred(s->k->sys_task, &u->peercred);
		u->has_peercred = 1;
	}
	u->state = GK_U_LISTEN;
	/* A longer backlog may let waiting connecters in. */
	gk_waitq_wake(&u->wq, POLLOUT);
	return 0;
}

/* A datagram socket's connect: its default destination and only sender (AF_UNSPEC: none). */
static int
dgram_connect(struct gk_proc *p, struct gk_sock *s, const void *addr, unsigned len)
{
	struct gk_sock *other;
	sa_family_t fam;
	int err;

	if (len >= sizeof(fam)) {
		memcpy(&fam, addr, sizeof(fam));
		if (fam == AF_UNSPEC) {
			set_peer(s, NULL);
			gk_unix(s)->state = GK_U_UNCONN;
			return 0;
		}
	}
	err = gk_unix_addr_check(addr, len);
	if (err < 0)
		return err;
	if (s->passcred && !gk_unix(s)->addrlen && (err = gk_unix_autobind(s)) < 0)
		return err;
	err = gk_unix_find(p, addr, len, s->type, &other);
	if (err < 0)
		return err;
	if (gk_unix(other)->peer && gk_unix(other)->peer != s) {
		gk_sock_unref(other);
		return -EPERM; /* it takes datagrams from its own peer only */
	}
	set_peer(s, other);
	gk_unix(s)->state = GK_U_CONNECTED;
	gk_sock_unref(other);
	return 0;
}

/*
 * u_connect - connect(2). A stream or seqpacket socket gets a connection
 * to the listener named (-ECONNREFUSED if it is none, -EISCONN if we are
 * connected, -EINVAL if we listen, -EAGAIN non-blocking or past
 * SO_SNDTIMEO when the listener's queue is full).
 */
static int
u_connect(struct gk_proc *p, struct gk_sock *s, const void *addr, unsigned len, int nonblock)
{
	struct gk_unix *u = gk_unix(s), *lu;
	struct gk_sock *l, *emb;
	struct gk_skb *skb;
	int err;

	if (s->type == SOCK_DGRAM)
		return dgram_connect(p, s, addr, len);
	err = gk_unix_addr_check(addr, len);
	if (err < 0)
		return err;
	if (u->state == GK_U_CONNECTED)
		return -EISCONN;
	if (u->state == GK_U_LISTEN)
		return -EINVAL;
	if (s->passcred && !u->addrlen && (err = gk_unix_autobind(s)) < 0)
		return err;
	err = gk_unix_find(p, addr, len, s->type, &l);
	if (err < 0)
		return err;
	lu = gk_unix(l);
	if (lu->state != GK_U_LISTEN || (l->shut & GK_SHUT_RD) || lu->closed) {
		err = -ECONNREFUSED;
		goto out;
	}
	if (lu->qcount > lu->backlog) {
		if (nonblock)
			err = -EAGAIN;
		else
			err = (int)gk_sock_wait(p, s, &lu->wq, POLLOUT, 1);
		goto out;
	}
	err = gk_sock_create(s->k, AF_UNIX, s->type, 0, &emb);
	if (err < 0)
		goto out;
	skb = gk_unix_skb_new(p, NULL, 0);
	if (!skb) {
		gk_sock_unref(emb);
		err = -ENOBUFS;
		goto out;
	}
	skb->conn = emb; /* the queue's reference */
	/* The new end has the listener's address and options, and our credentials. */
	memcpy(&gk_unix(emb)->addr, &lu->addr, sizeof(lu->addr));
	gk_unix(emb)->addrlen = lu->addrlen;
	emb->passcred = l->passcred;
	emb->sndbuf = l->sndbuf;
	emb->rcvbuf = l->rcvbuf;
	gk_sock_cred(p, &gk_unix(emb)->peercred);
	gk_unix(emb)->has_peercred = 1;
	u->peercred = lu->peercred;
	u->has_peercred = lu->has_peercred;
	set_peer(s, emb);
	set_peer(emb, s);
	u->state = gk_unix(emb)->state = GK_U_CONNECTED;
	gk_unix_queue(l, skb);
	err = 0;
out:
	gk_sock_unref(l);
	return err;
}

/*
 * u_accept - accept(2): the oldest connection request's socket (a new
 * reference) in *ret. -EOPNOTSUPP (datagram), -EINVAL (not listening),
 * -EAGAIN (none and non-blocking, or SO_RCVTIMEO passed), -GK_EBLOCK.
 */
static int
u_accept(struct gk_proc *p, struct gk_sock *s, int nonblock, struct gk_sock **ret)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_skb *skb;

	if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	if (u->state != GK_U_LISTEN)
		return -EINVAL;
	skb = u->qhead;
	if (!skb) {
		if (nonblock)
			return -EAGAIN;
		return (int)gk_sock_wait(p, s, &u->wq, POLLIN, 0);
	}
	u->qhead = skb->next;
	if (!u->qhead)
		u->qtail = NULL;
	u->qcount--;
	*ret = skb->conn;
	skb->conn = NULL;
	gk_unix_skb_free(s->k, skb);
	gk_waitq_wake(&u->wq, POLLOUT); /* room for a waiting connect */
	return 0;
}

/*
 * u_shutdown - shutdown(2): how is SHUT_RD, SHUT_WR or SHUT_RDWR (else
 * -EINVAL). A stream or seqpacket peer sees the mirror of it: our SHUT_WR
 * is its end of file, our SHUT_RD its EPIPE. Allowed unconnected, as on
 * Linux.
 */
static int
u_shutdown(struct gk_sock *s, int how)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_sock *peer = u->peer;
	int mode;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = how + 1; /* SHUT_RD 0 -> GK_SHUT_RD 1, SHUT_WR 2, SHUT_RDWR 3 */
	s->shut |= mode;
	gk_waitq_wake(&u->wq, 0);
	if (peer && s->type != SOCK_DGRAM) {
		int pm = 0;

		if (mode & GK_SHUT_RD)
			pm |= GK_SHUT_WR;
		if (mode & GK_SHUT_WR)
			pm |= GK_SHUT_RD;
		peer->shut |= pm;
		gk_waitq_wake(&gk_unix(peer)->wq, 0);
	}
	return 0;
}

/* getsockname/getpeername: the address and its length (sizeof(sa_family_t) unbound). */
static int
u_name(struct gk_sock *s, int peer, void *buf)
{
	struct gk_unix *u = gk_unix(s);
	sa_family_t fam = AF_UNIX;

	if (peer) {
		if (!u->peer || (s->type != SOCK_DGRAM && u->state != GK_U_CONNECTED))
			return -ENOTCONN;
		u = gk_unix(u->peer);
	}
	if (!u->addrlen) {
		memcpy(buf, &fam, sizeof(fam));
		return sizeof(fam);
	}
	memcpy(buf, &u->addr, u->addrlen);
	return (int)u->addrlen;
}

static int
u_getopt(struct gk_proc *p, struct gk_sock *s, int opt, void *val, unsigned *len)
{
	struct gk_unix *u = gk_unix(s);
	int v;

	(void)p;
	switch (opt) {
	case SO_ACCEPTCONN:
		v = u->state == GK_U_LISTEN;
		memcpy(val, &v, sizeof(v));
		*len = sizeof(v);
		return 0;
	case SO_PEERCRED: {
		/* No peer yet: pid 0 and the overflow ids, as Linux's with no peer creds. */
		struct gk_ucred c = {0, 65534, 65534};

		if (u->has_peercred)
			c = u->peercred;
		memcpy(val, &c, sizeof(c));
		*len = sizeof(c);
		return 0;
	}
	}
	return -ENOPROTOOPT;
}

static int
u_setopt(struct gk_sock *s, int opt, const void *val, unsigned len)
{
	(void)s, (void)val, (void)len;
	(void)opt;
	return -ENOPROTOOPT;
}

/*
 * gk_unix_close - s is closed: its last file went, or (embryo) its
 * listener closed before accepting it. The name goes, queued messages are
 * dropped (connection requests on a listener's queue are closed too), and
 * a stream peer sees the connection end: shut both ways, ECONNRESET if we
 * leave data unread or were never accepted, as Linux's unix_release_sock.
 */
void
gk_unix_close(struct gk_sock *s, int embryo)
{
	struct gk_unix *u = gk_unix(s);
	struct gk_sock *peer = u->peer;
	int unread = u->qhead != NULL;

	u->closed = 1;
	s->shut = GK_SHUT_RD | GK_SHUT_WR;
	unname(s);
	if (peer && s->type != SOCK_DGRAM) {
		peer->shut = GK_SHUT_RD | GK_SHUT_WR;
		if (unread || embryo)
			peer->err = ECONNRESET;
	}
	if (peer) {
		gk_waitq_wake(&gk_unix(peer)->wq, 0);
		set_peer(s, NULL);
	}
	gk_unix_purge(s);
	gk_waitq_wake(&u->wq, 0);
}

static void
u_release(struct gk_sock *s)
{
	gk_unix_close(s, 0);
	/* A socket closing may leave others alive only through their own flight. */
	gk_unix_gc(s->k);
}

static void
u_free(struct gk_sock *s)
{
	struct gk_unix *u = gk_unix(s);

	if (!u)
		return;
	unname(s);
	gk_unix_purge(s);
	set_peer(s, NULL);
	gk_waitq_fini(&u->wq);
	gk_kfree(s->k, u, sizeof(*u));
	s->proto = NULL;
}

const struct gk_proto_ops gk_unix_ops = {
    .family = AF_UNIX,
    .init = u_init,
    .pair = u_pair,
    .bind = u_bind,
    .connect = u_connect,
    .listen = u_listen,
    .accept = u_accept,
    .shutdown = u_shutdown,
    .sendmsg = gk_unix_sendmsg,
    .recvmsg = gk_unix_recvmsg,
    .poll = gk_unix_poll,
    .name = u_name,
    .getopt = u_getopt,
    .setopt = u_setopt,
    .inq = gk_unix_inq,
    .outq = gk_unix_outq,
    .release = u_release,
    .free = u_free,
};
