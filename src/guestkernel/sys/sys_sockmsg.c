/*
 * sys_sockmsg.c - sending and receiving on sockets: sendto, recvfrom,
 * sendmsg, recvmsg, sendmmsg, recvmmsg.
 *
 * Layer src/guestkernel/sys: the guest's msghdr, iovecs, address and
 * control buffer are checked and copied as Linux's ____sys_sendmsg and
 * ____sys_recvmsg do (EMSGSIZE past UIO_MAXIOV iovecs, the name length
 * clamped to a sockaddr_storage, ENOBUFS for a control buffer past
 * optmem_max), the data become host iovecs over pmem, and net/ moves
 * them. Reads arguments only through sysarg.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"

#define UIO_MAXIOV_ 1024
#define OPTMEM_MAX_ 131072 /* net.core.optmem_max: the largest control buffer sendmsg takes */

/* struct msghdr and struct mmsghdr as x86-64 lays them out. */
struct umsg {
	uint64_t name;
	int32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};
struct ummsg {
	struct umsg hdr;
	uint32_t len, pad;
};

/*
 * The guest segments seg[0..nseg) as host iovecs in *ret (malloc'd, the
 * caller frees it), at most GK_IO_MAX bytes in all; access is what the
 * transfer does to guest memory. 0, -EFAULT if any byte is out of reach,
 * -ENOMEM.
 */
static int
user_iovs(struct gk_proc *p, const uint64_t (*seg)[2], unsigned long nseg, unsigned access,
	  struct iovec **ret, int *ret_cnt)
{
	size_t total = 0, max = 1, len, n;
	unsigned long i;
	struct iovec *iov;
	int cnt = 0, r;

	for (i = 0; i < nseg; i++) {
		len = seg[i][1] < GK_IO_MAX - total ? seg[i][1] : GK_IO_MAX - total;
		max += len / GK_PAGE + 2;
		total += len;
	}
	iov = malloc(max * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (total = 0, i = 0; i < nseg; i++) {
		len = seg[i][1] < GK_IO_MAX - total ? seg[i][1] : GK_IO_MAX - total;
		if (len == 0)
			continue;
		r = gk_user_iov(p, seg[i][0], len, access, iov + cnt, (int)(max - cnt), &n);
		if (r < 0 || n < len) {
			free(iov);
			return -EFAULT;
		}
		cnt += r;
		total += len;
	}
	*ret = iov;
	*ret_cnt = cnt;
	return 0;
}

/* The guest's iovec array of a msghdr as host iovecs: -EMSGSIZE past UIO_MAXIOV, -EFAULT. */
static int
msg_iovs(struct gk_proc *p, const struct umsg *mh, unsigned access, struct iovec **ret,
	 int *ret_cnt)
{
	uint64_t(*seg)[2];
	int err;

	if (mh->iovlen > UIO_MAXIOV_)
		return -EMSGSIZE;
	seg = malloc((mh->iovlen ? mh->iovlen : 1) * sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	if (mh->iovlen && gk_copyin(p, seg, mh->iov, mh->iovlen * sizeof(*seg)) < 0) {
		free(seg);
		return -EFAULT;
	}
	err = user_iovs(p, (const uint64_t(*)[2])seg, mh->iovlen, access, ret, ret_cnt);
	free(seg);
	return err;
}

static int
call_flags(const struct gk_sock *s, int flags)
{
	return (s->file && (s->file->flags & O_NONBLOCK)) ? flags | MSG_DONTWAIT : flags;
}

/*
 * One send on s of the data iov (host iovecs, freed here) with the
 * msghdr's name and control buffer: bytes sent or -errno.
 */
static long
send_core(struct gk_proc *p, struct gk_sock *s, const struct umsg *mh, struct iovec *iov, int cnt,
	  int flags)
{
	struct sockaddr_storage ss;
	struct gk_msg m;
	void *ctl = NULL;
	int namelen = mh->name ? mh->namelen : 0;
	long r;

	memset(&m, 0, sizeof(m));
	m.iov = iov;
	m.iovcnt = cnt;
	if (namelen) {
		r = gk_sock_addr_in(p, mh->name, namelen, &ss);
		if (r < 0)
			goto out;
		m.addr = &ss;
		m.addrlen = (unsigned)namelen;
	}
	if (mh->controllen > INT_MAX || mh->controllen > OPTMEM_MAX_) {
		r = -ENOBUFS;
		goto out;
	}
	if (mh->controllen) {
		ctl = malloc(mh->controllen);
		if (!ctl) {
			r = -ENOBUFS;
			goto out;
		}
		if (gk_copyin(p, ctl, mh->control, mh->controllen) < 0) {
			r = -EFAULT;
			goto out;
		}
		r = gk_scm_parse(p, ctl, mh->controllen, &m.scm);
		if (r < 0)
			goto out;
	}
	m.flags = call_flags(s, flags);
	r = s->ops->sendmsg(p, s, &m);
out:
	gk_scm_drop(p->k, &m.scm);
	free(ctl);
	free(iov);
	return r;
}

/* One sendmsg of the guest's msghdr mh. */
static long
send_msg(struct gk_proc *p, struct gk_sock *s, struct umsg *mh, int flags)
{
	struct iovec *iov;
	int cnt, err;

	if (!mh->name)
		mh->namelen = 0;
	if (mh->namelen < 0)
		return -EINVAL;
	if (mh->namelen > (int)sizeof(struct sockaddr_storage))
		mh->namelen = sizeof(struct sockaddr_storage);
	err = msg_iovs(p, mh, UVK_ACCESS_READ, &iov, &cnt);
	if (err < 0)
		return err;
	return send_core(p, s, mh, iov, cnt, flags);
}

/*
 * One receive on s into iov (freed here): bytes or -errno, with what came
 * besides in *m (the caller drops m->scm).
 */
static long
recv_core(struct gk_proc *p, struct gk_sock *s, struct iovec *iov, int cnt, int flags,
	  struct gk_msg *m)
{
	long r;

	memset(m, 0, sizeof(*m));
	m->iov = iov;
	m->iovcnt = cnt;
	m->flags = call_flags(s, flags);
	m->want_cred = s->passcred;
	r = s->ops->recvmsg(p, s, m);
	free(iov);
	m->iov = NULL;
	return r;
}

/*
 * One recvmsg into the guest's msghdr mh (at mgva): bytes or -errno; the
 * name, the control messages, msg_controllen and msg_flags are written
 * back.
 */
static long
recv_msg(struct gk_proc *p, struct gk_sock *s, uint64_t mgva, const struct umsg *mh, int flags)
{
	struct iovec *iov;
	struct gk_msg m;
	int32_t oflags;
	uint64_t used;
	long r, c;
	int cnt;

	r = msg_iovs(p, mh, UVK_ACCESS_WRITE, &iov, &cnt);
	if (r < 0)
		return r;
	r = recv_core(p, s, iov, cnt, flags, &m);
	if (r < 0)
		goto out;
	if (mh->name && gk_sock_addr_out(p, &m.from, (int)m.fromlen, mh->name,
					 mgva + offsetof(struct umsg, namelen)) < 0) {
		r = -EFAULT;
		goto out;
	}
	oflags = m.oflags;
	c = gk_scm_put(p, &m, (flags & MSG_CMSG_CLOEXEC) != 0, mh->control,
		       mh->control ? mh->controllen : 0, &oflags);
	if (c < 0) {
		r = c;
		goto out;
	}
	used = (uint64_t)c;
	if (gk_copyout(p, mgva + offsetof(struct umsg, controllen), &used, sizeof(used)) < 0 ||
	    gk_copyout(p, mgva + offsetof(struct umsg, flags), &oflags, sizeof(oflags)) < 0)
		r = -EFAULT;
out:
	gk_scm_drop(p->k, &m.scm);
	return r;
}

/* The single buffer of send/sendto/recv/recvfrom as host iovecs (len clamped to INT_MAX). */
static int
buf_iovs(struct gk_proc *p, uint64_t buf, size_t len, unsigned access, struct iovec **ret,
	 int *ret_cnt)
{
	uint64_t seg[1][2] = {{buf, len > INT_MAX ? INT_MAX : len}};

	return user_iovs(p, (const uint64_t(*)[2])seg, 1, access, ret, ret_cnt);
}

/* sendto(2) and send(2): an address pointer NULL or of length 0 is none. */
GK_SYS(sendto)
{
	struct iovec *iov;
	struct umsg mh;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s), cnt;

	if (err < 0)
		return err;
	memset(&mh, 0, sizeof(mh));
	mh.name = gk_arg_ptr(a, 4);
	mh.namelen = mh.name ? gk_arg_int(a, 5) : 0;
	if (mh.name && (mh.namelen < 0 || mh.namelen > (int)sizeof(struct sockaddr_storage)))
		return -EINVAL;
	err = buf_iovs(p, gk_arg_ptr(a, 1), gk_arg_size(a, 2), UVK_ACCESS_READ, &iov, &cnt);
	if (err < 0)
		return err;
	return send_core(p, s, &mh, iov, cnt, (int)gk_arg_uint(a, 3));
}

/* recvfrom(2) and recv(2): the sender's address at addr if addr is not NULL. */
GK_SYS(recvfrom)
{
	uint64_t addr = gk_arg_ptr(a, 4);
	struct iovec *iov;
	struct gk_msg m;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s), cnt;
	long r;

	if (err < 0)
		return err;
	err = buf_iovs(p, gk_arg_ptr(a, 1), gk_arg_size(a, 2), UVK_ACCESS_WRITE, &iov, &cnt);
	if (err < 0)
		return err;
	r = recv_core(p, s, iov, cnt, (int)gk_arg_uint(a, 3), &m);
	if (r >= 0 && addr &&
	    (err = gk_sock_addr_out(p, &m.from, (int)m.fromlen, addr, gk_arg_ptr(a, 5))) < 0)
		r = err;
	gk_scm_drop(p->k, &m.scm);
	return r;
}

GK_SYS(sendmsg)
{
	struct umsg mh;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	if (gk_copyin(p, &mh, gk_arg_ptr(a, 1), sizeof(mh)) < 0)
		return -EFAULT;
	return send_msg(p, s, &mh, (int)gk_arg_uint(a, 2));
}

GK_SYS(recvmsg)
{
	struct umsg mh;
	struct gk_sock *s;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	if (gk_copyin(p, &mh, gk_arg_ptr(a, 1), sizeof(mh)) < 0)
		return -EFAULT;
	return recv_msg(p, s, gk_arg_ptr(a, 1), &mh, (int)gk_arg_uint(a, 2));
}

/*
 * sendmmsg(2), recvmmsg(2): up to vlen (at most UIO_MAXIOV) messages, each
 * one's length in its msg_len; the count done, or the first one's error.
 * recvmmsg's timeout is checked (EINVAL, EFAULT) and bounds nothing more
 * than that (Linux's looks only after each message, and a blocked
 * receive never sees it: recvmmsg(2) BUGS).
 */
static long
do_mmsg(struct gk_proc *p, const struct gk_args *a, int recv)
{
	uint64_t vec = gk_arg_ptr(a, 1), tmo = recv ? gk_arg_ptr(a, 4) : 0;
	unsigned int vlen = gk_arg_uint(a, 2), i;
	int keep;
	int flags = (int)gk_arg_uint(a, 3);
	struct gk_sock *s;
	struct ummsg mm;
	uint32_t len;
	long r = 0;
	int err = gk_sock_fd(p, gk_arg_fd(a, 0), &s);

	if (err < 0)
		return err;
	if (tmo) {
		uint64_t ns;

		err = gk_timespec_in(p, tmo, &ns);
		if (err < 0)
			return err;
	}
	if (vlen > UIO_MAXIOV_)
		vlen = UIO_MAXIOV_;
	/*
	 * A blocking recvmmsg on a datagram or seqpacket socket waits for each
	 * message, as Linux's: the ones received by earlier runs of the call
	 * are its restart state (p->io_done, which a signal returns as the
	 * count). A stream socket's receive keeps io_done for its bytes, so
	 * there, and for sendmmsg, a message after the first that would block
	 * ends the call with the count instead.
	 */
	keep = recv && s->type != SOCK_STREAM;
	i = keep && p->sys_rerun ? (unsigned int)p->io_done : 0;
	if (keep)
		p->io_done = 0;
	for (; i < vlen; i++) {
		uint64_t at = vec + (uint64_t)i * sizeof(mm);

		if (gk_copyin(p, &mm, at, sizeof(mm)) < 0) {
			r = -EFAULT;
			break;
		}
		if (recv)
			r = recv_msg(p, s, at, &mm.hdr, flags & ~MSG_WAITFORONE);
		else
			r = send_msg(p, s, &mm.hdr, flags);
		if (r == -GK_EBLOCK && i > 0 && keep) {
			p->io_done = i;
			return r;
		}
		if (r == -GK_EBLOCK && i > 0)
			gk_wake_task(p); /* not asleep after all: the call returns i */
		if (r < 0)
			break;
		len = (uint32_t)r;
		if (gk_copyout(p, at + offsetof(struct ummsg, len), &len, sizeof(len)) < 0) {
			r = -EFAULT;
			break;
		}
		if (recv && (flags & MSG_WAITFORONE))
			flags |= MSG_DONTWAIT;
	}
	return i > 0 ? (long)i : r;
}

GK_SYS(sendmmsg)
{
	return do_mmsg(p, a, 0);
}

GK_SYS(recvmmsg)
{
	return do_mmsg(p, a, 1);
}
