/*
 * sys_socket.c - socket calls: socket, socketpair, bind, listen, accept,
 * accept4, connect, shutdown, getsockname, getpeername, getsockopt,
 * setsockopt. The send and receive families are sys_sockmsg.c.
 *
 * Layer src/guestkernel/sys: argument checking, addresses copied in and
 * out with Linux's length rules (move_addr_to_kernel, move_addr_to_user),
 * descriptors; the sockets are net/'s. Reads arguments only through
 * sysarg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sys.h"

/*
 * gk_sock_fd - the socket at descriptor fd: -EBADF if fd is not open (or
 * O_PATH), -ENOTSOCK if it is no socket.
 */
int
gk_sock_fd(struct gk_proc *p, int fd, struct gk_sock **ret)
{
	struct gk_file *f = gk_fd_get_io(p, fd);

	if (!f)
		return -EBADF;
	*ret = gk_sock_of(f);
	return *ret ? 0 : -ENOTSOCK;
}

/*
 * gk_sock_addr_in - an address from the guest (move_addr_to_kernel): len
 * is an int; -EINVAL below 0 or above sizeof(struct sockaddr_storage),
 * -EFAULT.
 */
int
gk_sock_addr_in(struct gk_proc *p, uint64_t gva, int len, struct sockaddr_storage *ret)
{
	if (len < 0 || len > (int)sizeof(*ret))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (len && gk_copyin(p, ret, gva, (size_t)len) < 0)
		return -EFAULT;
	return 0;
}

/*
 * gk_sock_addr_out - an address to the guest (move_addr_to_user): the
 * guest's int length at lgva says how much of it fits; the full length
 * klen goes back there. -EFAULT, -EINVAL (a negative length).
 */
int
gk_sock_addr_out(struct gk_proc *p, const void *addr, int klen, uint64_t gva, uint64_t lgva)
{
	int len;

	if (gk_copyin(p, &len, lgva, sizeof(len)) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && gk_copyout(p, gva, addr, (size_t)len) < 0)
		return -EFAULT;
	return gk_copyout(p, lgva, &klen, sizeof(klen)) < 0 ? -EFAULT : 0;
}

/* A new socket's descriptor; the file takes s's reference. */
static int
install(struct gk_proc *p, struct gk_sock *s, int flags)
{
	struct gk_file *f;
	int err;

	err = gk_sock_file(s, flags & O_NONBLOCK, &f);
	gk_sock_unref(s);
	if (err < 0)
		return err;
	return gk_fd_install_new(p->fdt, f, (flags & O_CLOEXEC) != 0);
}

/*
 * Split socket(2)'s type into the type and its flags: -EINVAL for a type
 * at or past SOCK_MAX or a flag other than SOCK_NONBLOCK and SOCK_CLOEXEC.
 */
static int
split_type(int type, int *ret_flags)
{
	int flags = type & ~0xf;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	type &= 0xf;
	if (type < 1 || type > 10)
		return -EINVAL;
	*ret_flags =
	    (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) | (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	return type;
}

/*
 * socket(2): a socket of a family net/ has (AF_UNIX), else -EAFNOSUPPORT,
 * as Linux for a family it was built without; -EINVAL (type or flags),
 * -ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -EMFILE, -ENFILE, -ENOBUFS.
 */
GK_SYS(socket)
{
	int family = gk_arg_int(a, 0), type, flags, err;
	struct gk_sock *s;

	type = split_type(gk_arg_int(a, 1), &flags);
	if (type < 0)
		return type;
	err = gk_sock_create(p->k, family, type, gk_arg_int(a, 2), &s);
	if (err < 0)
		return err;
	return install(p, s, flags);
}

/*
 * socketpair(2): two connected sockets, their descriptors at sv. The
 * descriptors exist only if both numbers reach the guest (-EFAULT
 * otherwise, as Linux). -EOPNOTSUPP for a family without pairs.
 */
GK_SYS(socketpair)
{
	int family = gk_arg_int(a, 0), type, flags, err, fd[2];
	uint64_t sv = gk_arg_ptr(a, 3);
	struct gk_sock *s0, *s1;

	type = split_type(gk_arg_int(a, 1), &flags);
	if (type < 0)
		return type;
	err = gk_sock_create(p->k, family, type, gk_arg_int(a, 2), &s0);
	if (err < 0)
		return err;
	err = gk_sock_create(p->k, family, type, gk_arg_int(a, 2), &s1);
	if (err < 0) {
		gk_sock_unref(s0);
		return err;
	}
	err = s0->ops->pair(s0, s1);
	if (err < 0) {
		gk_sock_unref(s0);
		gk_sock_unref(s1);
		return err;
	}
	fd[0] = install(p, s0, flags);
	if (fd[0] < 0) {
		gk_sock_unref(s1);
		return fd[0];
	}
	fd[1] = install(p, s1, flags);
	if (fd[1] < 0) {
		gk_fd_close(p->fdt, fd[0]);
		return fd[1];
	}
	if (gk_copyout(p, sv, fd, sizeof(fd)) < 0) {
		gk_fd_close(p->fdt, fd[0]);
		gk_fd_close(p->fdt, fd[1]);
		return -EFAULT;
	}
	return 0;
}

GK_SYS(bind)
{
	struct sockaddr_storage ss;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	err = gk_sock_addr_in(p, gk_arg_ptr(a, 1), gk_arg_int(a, 2), &ss);
	if (err < 0)
		return err;
	return s->ops->bind(p, s, &ss, (unsigned)gk_arg_int(a, 2));
}

/* listen(2): backlog is an int; above somaxconn (or negative) it is somaxconn. */
GK_SYS(listen)
{
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	return s->ops->listen(s, gk_arg_int(a, 1));
}

/*
 * connect(2): -EINPROGRESS never happens for AF_UNIX: a connect completes
 * at once or, non-blocking against a full backlog, is -EAGAIN.
 */
GK_SYS(connect)
{
	struct sockaddr_storage ss;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	err = gk_sock_addr_in(p, gk_arg_ptr(a, 1), gk_arg_int(a, 2), &ss);
	if (err < 0)
		return err;
	return s->ops->connect(p, s, &ss, (unsigned)gk_arg_int(a, 2),
			       (s->file->flags & O_NONBLOCK) != 0);
}

/*
 * accept4(2): the new connection's descriptor, its peer's address at
 * addr if addr is not NULL. -EINVAL for flags other than SOCK_NONBLOCK
 * and SOCK_CLOEXEC; -EFAULT loses the connection, as on Linux.
 */
static long
do_accept(struct gk_proc *p, int fd, uint64_t addr, uint64_t lenp, int flags)
{
	struct sockaddr_storage ss;
	struct gk_sock *s, *ns;
	int err, nfd, len, ff;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	err = gk_sock_fd(p, fd, &s);
	if (err < 0)
		return err;
	/* A full table is EMFILE before the connection is taken, as Linux's get_unused_fd. */
	for (nfd = 0; nfd < p->fdt->limit && p->fdt->f[nfd]; nfd++)
		;
	if (nfd >= p->fdt->limit)
		return -EMFILE;
	err = s->ops->accept(p, s, (s->file->flags & O_NONBLOCK) != 0, &ns);
	if (err < 0)
		return err;
	if (addr) {
		len = ns->ops->name(ns, 1, &ss);
		if (len < 0)
			len = ns->ops->name(ns, 0, &ss) >= 0 ? (int)sizeof(sa_family_t) : len;
		err = len < 0 ? len : gk_sock_addr_out(p, &ss, len, addr, lenp);
		if (err < 0) {
			ns->ops->release(ns);
			gk_sock_unref(ns);
			return err;
		}
	}
	ff = (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) | (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	nfd = install(p, ns, ff);
	return nfd;
}

GK_SYS(accept)
{
	return do_accept(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_ptr(a, 2), 0);
}

GK_SYS(accept4)
{
	return do_accept(p, gk_arg_fd(a, 0), gk_arg_ptr(a, 1), gk_arg_ptr(a, 2), gk_arg_int(a, 3));
}

GK_SYS(shutdown)
{
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	return s->ops->shutdown(s, gk_arg_int(a, 1));
}

static long
do_name(struct gk_proc *p, const struct gk_args *a, int peer)
{
	struct sockaddr_storage ss;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s), len;

	if (err < 0)
		return err;
	len = s->ops->name(s, peer, &ss);
	if (len < 0)
		return len;
	return gk_sock_addr_out(p, &ss, len, gk_arg_ptr(a, 1), gk_arg_ptr(a, 2));
}

GK_SYS(getsockname)
{
	return do_name(p, a, 0);
}

GK_SYS(getpeername)
{
	return do_name(p, a, 1);
}

/* getsockopt(2): the value cut to the guest's int length, which gets the length copied. */
GK_SYS(getsockopt)
{
	uint64_t val = gk_arg_ptr(a, 3), lenp = gk_arg_ptr(a, 4);
	unsigned char buf[64];
	struct gk_sock *s;
	unsigned ulen;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s), len;

	if (err < 0)
		return err;
	if (gk_copyin(p, &len, lenp, sizeof(len)) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	ulen = (unsigned)len;
	memset(buf, 0, sizeof(buf));
	err = gk_sock_getopt(p, s, gk_arg_int(a, 1), gk_arg_int(a, 2), buf, &ulen);
	if (err < 0)
		return err;
	if (ulen && gk_copyout(p, val, buf, ulen) < 0)
		return -EFAULT;
	len = (int)ulen;
	return gk_copyout(p, lenp, &len, sizeof(len)) < 0 ? -EFAULT : 0;
}

/* setsockopt(2): optlen is an int (negative: -EINVAL); the value is read as the option needs. */
GK_SYS(setsockopt)
{
	unsigned char buf[32];
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s), len = gk_arg_int(a, 4);
	size_t n;

	if (err < 0)
		return err;
	if (len < 0)
		return -EINVAL;
	n = (size_t)len < sizeof(buf) ? (size_t)len : sizeof(buf);
	memset(buf, 0, sizeof(buf));
	if (n && gk_copyin(p, buf, gk_arg_ptr(a, 3), n) < 0)
		return -EFAULT;
	return gk_sock_setopt(s, gk_arg_int(a, 1), gk_arg_int(a, 2), buf, (unsigned)len);
}
