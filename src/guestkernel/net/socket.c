/*
 * socket.c - the generic socket layer: a socket as an open file, the
 * families behind it, the SOL_SOCKET options every family shares.
 *
 * Layer src/guestkernel/net. A socket file (gk_sock_file_ops) turns
 * read/write/readv/writev into its family's recvmsg/sendmsg, poll into the
 * family's poll (so poll, select and epoll work on it unchanged), and
 * FIONREAD/SIOCINQ/SIOCOUTQ into the family's queue lengths. A family is a
 * struct gk_proto_ops in the table below: adding AF_INET is one more row.
 *
 * Must not: read syscall arguments or guest memory (sys/sys_socket.c does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "net.h"

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif
#define SO_RCVTIMEO_OLD_ 20
#define SO_SNDTIMEO_OLD_ 21
#define SO_RCVTIMEO_NEW_ 66
#define SO_SNDTIMEO_NEW_ 67

/* The families the guest may make sockets of. */
static const struct gk_proto_ops *const families[] = {
    &gk_unix_ops,
};

struct gk_sock *
gk_sock_ref(struct gk_sock *s)
{
	s->refs++;
	return s;
}

void
gk_sock_unref(struct gk_sock *s)
{
	if (!s || --s->refs > 0)
		return;
	s->ops->free(s);
	gk_kfree(s->k, s, sizeof(*s));
}

/*
 * gk_sock_create - a socket of family/type/protocol with one reference and
 * no file. Returns 0, -EAFNOSUPPORT (no such family here), the family's
 * -ESOCKTNOSUPPORT/-EPROTONOSUPPORT/-EPROTOTYPE, or -ENOBUFS (the
 * kernel-heap budget is spent).
 */
int
gk_sock_create(struct gk_kernel *k, int family, int type, int protocol, struct gk_sock **ret)
{
	const struct gk_proto_ops *ops = NULL;
	struct gk_sock *s;
	size_t i;
	int err;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i]->family == family)
			ops = families[i];
	if (!ops)
		return -EAFNOSUPPORT;
	if (!k->net) {
		/* Kernel-wide, not the guest's: not charged, freed at teardown. */
		k->net = calloc(1, sizeof(*k->net));
		if (!k->net)
			return -ENOBUFS;
		k->net->sock_next_ino = 0x20000;
	}
	s = gk_kzalloc(k, sizeof(*s));
	if (!s)
		return -ENOBUFS;
	s->refs = 1;
	s->k = k;
	s->ops = ops;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->sndbuf = GK_SOCK_BUF_DEF;
	s->rcvbuf = GK_SOCK_BUF_DEF;
	s->ino = k->net->sock_next_ino++;
	err = ops->init(s, type, protocol);
	if (err < 0) {
		gk_kfree(k, s, sizeof(*s));
		return err;
	}
	*ret = s;
	return 0;
}

/* gk_sock_of - the socket behind f, or NULL if f is no socket (ENOTSOCK). */
struct gk_sock *
gk_sock_of(struct gk_file *f)
{
	return f && f->ops == &gk_sock_file_ops ? f->priv : NULL;
}

/*
 * gk_sock_file - an open file for s (which it holds by a new reference),
 * O_RDWR plus flags' O_NONBLOCK, one reference in *ret. 0 or -ENFILE.
 */
int
gk_sock_file(struct gk_sock *s, int flags, struct gk_file **ret)
{
	char name[48];
	struct gk_file *f;

	snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)s->ino);
	f = gk_file_new(s->k, &gk_sock_file_ops, -1, O_RDWR | (flags & O_NONBLOCK), name);
	if (!f)
		return -ENFILE;
	f->priv = gk_sock_ref(s);
	f->fmode = GK_FMODE_STREAM;
	/* As Linux's sockfs inode: a socket, mode 0777, the creator's. */
	f->st.st_mode = S_IFSOCK | 0777;
	f->st.st_nlink = 1;
	f->st.st_uid = s->k->uid;
	f->st.st_gid = s->k->gid;
	f->st.st_ino = s->ino;
	f->st.st_blksize = 4096;
	s->file = f;
	*ret = f;
	return 0;
}

/* gk_sock_cred - the credentials p sends: its pid and ids as the guest sees them. */
void
gk_sock_cred(struct gk_proc *p, struct gk_ucred *ret)
{
	ret->pid = p->tg->gpid;
	ret->uid = p->k->uid;
	ret->gid = p->k->gid;
}

/*
 * gk_sock_wait - a blocking socket call waits on q for events, within its
 * SO_SNDTIMEO (send) or SO_RCVTIMEO: -GK_EBLOCK, or -EAGAIN once the
 * timeout has passed (socket(7)).
 */
long
gk_sock_wait(struct gk_proc *p, struct gk_sock *s, struct gk_waitq *q, short events, int send)
{
	uint64_t timeo = send ? s->sndtimeo : s->rcvtimeo;

	if (timeo && gk_timeout(p, timeo))
		return -EAGAIN;
	return gk_block(p, q, events);
}

/* ---- the socket as an open file -------------------------------------------------- */

/* read(2) and write(2) on a socket: a message with no name, no control, no flags but O_NONBLOCK's. */
static void
file_msg(struct gk_msg *m, const struct gk_file *f, const struct iovec *iov, int n)
{
	memset(m, 0, sizeof(*m));
	m->iov = iov;
	m->iovcnt = n;
	m->flags = (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0;
}

static long
sock_fread(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_sock *s = f->priv;
	struct gk_msg m;

	(void)off;
	file_msg(&m, f, iov, n);
	return s->ops->recvmsg(p, s, &m);
}

static long
sock_fwrite(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	struct gk_sock *s = f->priv;
	struct gk_msg m;

	(void)off;
	file_msg(&m, f, iov, n);
	return s->ops->sendmsg(p, s, &m);
}

static short
sock_fpoll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_sock *s = f->priv;

	return s->ops->poll(s, events, reg);
}

/* FIONREAD (SIOCINQ) and SIOCOUTQ: bytes queued to read, and sent but unread. */
static long
sock_fioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	struct gk_sock *s = f->priv;
	long v;
	int iv;

	switch (cmd) {
	case SIOCINQ:
		v = s->ops->inq(s);
		break;
	case SIOCOUTQ:
		v = s->ops->outq(s);
		break;
	default:
		return -ENOTTY;
	}
	if (v < 0)
		return v;
	iv = (int)v;
	return gk_copyout(p, arg, &iv, sizeof(iv)) < 0 ? -EFAULT : 0;
}

static void
sock_frelease(struct gk_file *f)
{
	struct gk_sock *s = f->priv;

	if (!s)
		return;
	f->priv = NULL;
	s->file = NULL;
	s->ops->release(s);
	gk_sock_unref(s);
}

const struct gk_file_ops gk_sock_file_ops = {
    .read = sock_fread,
    .write = sock_fwrite,
    .poll = sock_fpoll,
    .ioctl = sock_fioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = sock_frelease,
};

/* ---- SOL_SOCKET options ------------------------------------------------------------ */

static void
ns_to_tv(uint64_t ns, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ns / 1000000000ULL);
	tv->tv_usec = (suseconds_t)(ns % 1000000000ULL / 1000);
}

/*
 * gk_sock_getopt - getsockopt(2) into val (at least 64 bytes), *len in:
 * the caller's length, out: the bytes to copy (the value cut to the
 * caller's length, as Linux does). 0, -ENOPROTOOPT (unknown option),
 * -EOPNOTSUPP (a level other than SOL_SOCKET: AF_UNIX has none), or the
 * family's error.
 */
int
gk_sock_getopt(struct gk_proc *p, struct gk_sock *s, int level, int opt, void *val, unsigned *len)
{
	unsigned lv = sizeof(int);
	int v = 0, err;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (opt) {
	case SO_TYPE:
		v = s->type;
		break;
	case SO_DOMAIN:
		v = s->family;
		break;
	case SO_PROTOCOL:
		v = s->protocol;
		break;
	case SO_ERROR:
		v = s->err;
		s->err = 0;
		break;
	case SO_SNDBUF:
		v = s->sndbuf;
		break;
	case SO_RCVBUF:
		v = s->rcvbuf;
		break;
	case SO_REUSEADDR:
		v = s->reuseaddr;
		break;
	case SO_KEEPALIVE:
		v = s->keepalive;
		break;
	case SO_BROADCAST:
		v = s->broadcast;
		break;
	case SO_DONTROUTE:
		v = s->dontroute;
		break;
	case SO_OOBINLINE:
		v = s->oobinline;
		break;
	case SO_PRIORITY:
		v = s->priority;
		break;
	case SO_PASSCRED:
		v = s->passcred;
		break;
	case SO_LINGER:
		lv = sizeof(struct linger);
		memcpy(val, &s->linger, lv);
		goto out;
	case SO_RCVTIMEO_OLD_:
	case SO_SNDTIMEO_OLD_:
	case SO_RCVTIMEO_NEW_:
	case SO_SNDTIMEO_NEW_: {
		struct timeval tv;
		int rcv = opt == SO_RCVTIMEO_OLD_ || opt == SO_RCVTIMEO_NEW_;

		ns_to_tv(rcv ? s->rcvtimeo : s->sndtimeo, &tv);
		lv = sizeof(tv);
		memcpy(val, &tv, lv);
		goto out;
	}
	default:
		err = s->ops->getopt(p, s, opt, val, &lv);
		if (err < 0)
			return err;
		goto out;
	}
	memcpy(val, &v, sizeof(v));
out:
	if (*len > lv)
		*len = lv;
	return 0;
}

/* SO_RCVTIMEO/SO_SNDTIMEO's struct timeval as a timeout (sock_set_timeout). */
static int
set_timeout(uint64_t *ret, const void *val, unsigned len)
{
	struct timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*ret = 1; /* Linux: a negative time is a timeout of 0, at once */
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		*ret = 0; /* none */
		return 0;
	}
	if ((uint64_t)tv.tv_sec > UINT64_MAX / 2000000000ULL)
		*ret = 0; /* past any deadline: none, as MAX_SCHEDULE_TIMEOUT */
	else
		*ret = (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
	return 0;
}

/*
 * gk_sock_setopt - setsockopt(2) of the value val (len bytes, a kernel
 * copy). 0, -EINVAL (too short), -EDOM (a bad timeval), -ENOPROTOOPT,
 * -EOPNOTSUPP (another level), -EPERM (SO_PRIORITY above 6 without
 * CAP_NET_ADMIN, which the guest never has).
 */
int
gk_sock_setopt(struct gk_sock *s, int level, int opt, const void *val, unsigned len)
{
	int v = 0;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (opt) {
	case SO_LINGER: {
		struct linger l;

		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		s->linger.l_onoff = l.l_onoff != 0;
		s->linger.l_linger = l.l_onoff ? l.l_linger : s->linger.l_linger;
		return 0;
	}
	case SO_RCVTIMEO_OLD_:
	case SO_RCVTIMEO_NEW_:
		return set_timeout(&s->rcvtimeo, val, len);
	case SO_SNDTIMEO_OLD_:
	case SO_SNDTIMEO_NEW_:
		return set_timeout(&s->sndtimeo, val, len);
	}
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	switch (opt) {
	case SO_SNDBUF:
		/* The value is capped at wmem_max, then doubled for overhead (socket(7)). */
		if ((unsigned)v > GK_SOCK_BUF_MAX)
			v = GK_SOCK_BUF_MAX;
		s->sndbuf = v * 2 > GK_SOCK_SNDBUF_MIN ? v * 2 : GK_SOCK_SNDBUF_MIN;
		break;
	case SO_RCVBUF:
		if ((unsigned)v > GK_SOCK_BUF_MAX)
			v = GK_SOCK_BUF_MAX;
		s->rcvbuf = v * 2 > GK_SOCK_RCVBUF_MIN ? v * 2 : GK_SOCK_RCVBUF_MIN;
		break;
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		break;
	case SO_KEEPALIVE:
		s->keepalive = v != 0;
		break;
	case SO_BROADCAST:
		s->broadcast = v != 0;
		break;
	case SO_DONTROUTE:
		s->dontroute = v != 0;
		break;
	case SO_OOBINLINE:
		s->oobinline = v != 0;
		break;
	case SO_PRIORITY:
		if (v < 0 || v > 6)
			return -EPERM;
		s->priority = v;
		break;
	case SO_PASSCRED:
		s->passcred = v != 0;
		break;
	case SO_TYPE:
	case SO_DOMAIN:
	case SO_PROTOCOL:
	case SO_ERROR:
	case SO_ACCEPTCONN:
	case SO_PEERCRED:
		return -ENOPROTOOPT;
	default:
		return s->ops->setopt(s, opt, val, len);
	}
	return 0;
}
