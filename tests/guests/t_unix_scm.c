/*
 * t_unix_scm - descriptor passing over AF_UNIX sockets (unix(7)
 * SCM_RIGHTS, cmsg(3), sendmsg(2)/recvmsg(2) ERRORS): a pipe end and a
 * socket passed to another process, descriptors held in flight across
 * the sender's close, closing a socket with descriptors in flight,
 * MSG_CTRUNC with the ones that do not fit closed, MSG_CMSG_CLOEXEC,
 * MSG_PEEK, recv() without a control buffer, SCM_MAX_FD (253 and 254),
 * a bad descriptor (EBADF), malformed control messages (EINVAL),
 * SCM_CREDENTIALS with the caller's own credentials.
 *
 * Usage: t_unix_scm
 *        t_unix_scm fill NPROC NPAIRS
 *
 * fill: NPROC processes at once each fill NPAIRS stream socket pairs with
 * data and a datagram pair with messages of 253 descriptors each, until
 * the sockets are full (EAGAIN) or the kernel's memory for them is spent
 * (ENOBUFS, ENOMEM), then read the first pair back; run-guest.sh checks
 * that the tracer's memory stayed bounded meanwhile (res_unixfill).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#ifndef SCM_CREDENTIALS
#define SCM_CREDENTIALS 2
#endif
#ifndef SO_PASSCRED
#define SO_PASSCRED 16
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0x40000000
#endif

#define MAXFD 256

struct ucred_ {
	int pid;
	unsigned uid, gid;
};

static union {
	struct cmsghdr h;
	char b[CMSG_SPACE(MAXFD * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred_))];
} cb;

/* Send one byte with n descriptors fds: sendmsg's result. */
static long
send_fds(int s, const int *fds, int n)
{
	struct iovec v = {"F", 1};
	struct msghdr m;
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	memset(&cb, 0, sizeof(cb));
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	if (n > 0) {
		m.msg_control = cb.b;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	/* Raw: musl's sendmsg refuses a control buffer past 1 KiB itself (ENOMEM). */
	return syscall(SYS_sendmsg, s, &m, MSG_NOSIGNAL);
}

/*
 * Receive one message with room for room descriptors (-1: no control
 * buffer): the descriptors into fds, their count in *n, msg_flags in
 * *flags; recvmsg's result.
 */
static long
recv_fds(int s, int room, int flags, int *fds, int *n, int *oflags)
{
	char byte[8];
	struct iovec v = {byte, sizeof(byte)};
	struct msghdr m;
	struct cmsghdr *c;
	long r;

	memset(&m, 0, sizeof(m));
	memset(&cb, 0, sizeof(cb));
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	if (room >= 0) {
		m.msg_control = cb.b;
		m.msg_controllen = room ? CMSG_LEN(room * sizeof(int)) : sizeof(struct cmsghdr);
	}
	r = recvmsg(s, &m, flags);
	*n = 0;
	*oflags = m.msg_flags;
	if (r < 0 || room < 0)
		return r;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			memcpy(fds + *n, CMSG_DATA(c), k * sizeof(int));
			*n += k;
		}
	}
	return r;
}

/* The lowest free descriptor: the table's first hole. */
static int
lowest_free(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static int
open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void
check_pass_pipe(void)
{
	int sv[2], pf[2], got[4], n = 0, of, st;
	char buf[16];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	pid = fork();
	if (pid == 0) {
		/* The child gets the write end and a second socket, and writes to both. */
		int fds[2], k, f;
		char b;

		close(sv[0]);
		close(pf[0]);
		close(pf[1]);
		if (recv_fds(sv[1], 2, 0, fds, &k, &f) != 1 || k != 2)
			_exit(1);
		if (write(fds[0], "via pipe", 8) != 8)
			_exit(2);
		if (write(fds[1], "via sock", 8) != 8)
			_exit(3);
		close(fds[0]);
		close(fds[1]);
		_exit(read(sv[1], &b, 1) == 0 ? 0 : 4);
	}
	close(sv[1]);
	{
		int ss[2], fds[2];

		socketpair(AF_UNIX, SOCK_STREAM, 0, ss);
		fds[0] = pf[1];
		fds[1] = ss[1];
		CHECK_EQ("send a pipe end and a socket", send_fds(sv[0], fds, 2), 1);
		/* Ours go at once: what is in flight holds its own references. */
		close(pf[1]);
		close(ss[1]);
		CHECK_EQ("the child wrote through the passed pipe end", read(pf[0], buf, sizeof(buf)),
			 8);
		CHECK_EQ("and through the passed socket", read(ss[0], buf, sizeof(buf)), 8);
		CHECK_TRUE("the bytes", memcmp(buf, "via sock", 8) == 0, "got %.8s", buf);
		close(sv[0]);
		CHECK_EQ("the child ended well", waitpid(pid, &st, 0) == pid ? st : -1, 0);
		CHECK_EQ("the pipe's last writer is gone: end of file", read(pf[0], buf, 1), 0);
		CHECK_EQ("the passed socket's too", read(ss[0], buf, 1), 0);
		close(ss[0]);
	}
	close(pf[0]);

	/* Descriptors in flight when the receiving socket closes are closed with it. */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	pipe(pf);
	CHECK_EQ("send a pipe's write end", send_fds(sv[0], &pf[1], 1), 1);
	close(pf[1]);
	{
		struct pollfd p = {pf[0], POLLIN, 0};

		CHECK_EQ("in flight it keeps the pipe open", poll(&p, 1, 0), 0);
		close(sv[1]);
		CHECK_EQ("closing the receiver drops it: POLLHUP", poll(&p, 1, 0) == 1 ? p.revents : -1,
			 POLLHUP);
	}
	close(pf[0]);
	close(sv[0]);

	/*
	 * A cycle: b's queue holds b itself and a pipe's write end, and every
	 * descriptor is closed. Only the collector of in-flight sockets frees
	 * it (Linux's unix_gc, which may run a moment later: poll waits up to
	 * 10 s), and then the pipe's reader sees end of file.
	 */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	{
		int fds[2] = {pf[1], sv[1]};
		struct pollfd p = {pf[0], POLLIN, 0};
		char b;

		CHECK_EQ("send a socket's own descriptor to it", send_fds(sv[0], fds, 2), 1);
		close(pf[1]);
		close(sv[1]);
		close(sv[0]);
		CHECK_EQ("the cycle is collected: the pipe's writer goes", poll(&p, 1, 10000), 1);
		CHECK_EQ("... end of file", read(pf[0], &b, 1), 0);
	}
	close(pf[0]);
	(void)got;
	(void)n;
	(void)of;
}

static void
check_limits(void)
{
	int sv[2], fds[MAXFD], got[MAXFD], n, of, i, before, low;
	long r;

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	for (i = 0; i < 254; i++)
		fds[i] = 0;
	CHECK_EQ("253 descriptors in one message (SCM_MAX_FD)", send_fds(sv[0], fds, 253), 1);
	before = open_fds();
	r = recv_fds(sv[1], MAXFD, MSG_DONTWAIT, got, &n, &of);
	CHECK_TRUE("all 253 arrive", r == 1 && n == 253 && !(of & MSG_CTRUNC), "r %ld n %d flags %#x",
		   r, n, of);
	CHECK_EQ("as 253 new descriptors", open_fds() - before, 253);
	for (i = 0; i < n; i++)
		close(got[i]);
	CHECK_ERR("254 descriptors is EINVAL", send_fds(sv[0], fds, 254), EINVAL);
	fds[0] = 999;
	CHECK_ERR("a closed descriptor is EBADF", send_fds(sv[0], fds, 1), EBADF);

	/* Room for 1 of 3: MSG_CTRUNC, and the 2 others are closed, not leaked. */
	fds[0] = fds[1] = fds[2] = 1;
	send_fds(sv[0], fds, 3);
	before = open_fds();
	r = recv_fds(sv[1], 1, MSG_DONTWAIT, got, &n, &of);
	CHECK_TRUE("room for one of three: one arrives with MSG_CTRUNC",
		   r == 1 && n == 1 && (of & MSG_CTRUNC), "r %ld n %d flags %#x", r, n, of);
	CHECK_EQ("and only one descriptor is new", open_fds() - before, 1);
	if (n == 1)
		close(got[0]);
	/* A control buffer too small for any: MSG_CTRUNC, none installed. */
	send_fds(sv[0], fds, 2);
	before = open_fds();
	r = recv_fds(sv[1], 0, MSG_DONTWAIT, got, &n, &of);
	CHECK_TRUE("a control buffer of a bare header: MSG_CTRUNC, none",
		   r == 1 && n == 0 && (of & MSG_CTRUNC), "r %ld n %d flags %#x", r, n, of);
	CHECK_EQ("none installed", open_fds() - before, 0);
	/* recv() has no control buffer at all: the descriptors are closed. */
	send_fds(sv[0], fds, 2);
	before = open_fds();
	{
		char b;

		CHECK_EQ("recv() of a message with descriptors", recv(sv[1], &b, 1, MSG_DONTWAIT), 1);
	}
	CHECK_EQ("installs none", open_fds() - before, 0);
	/* MSG_CMSG_CLOEXEC and MSG_PEEK. */
	send_fds(sv[0], fds, 1);
	low = lowest_free();
	r = recv_fds(sv[1], 1, MSG_PEEK | MSG_DONTWAIT, got, &n, &of);
	CHECK_TRUE("MSG_PEEK gives a descriptor", r == 1 && n == 1, "r %ld n %d", r, n);
	CHECK_EQ("... at the lowest free number", n ? got[0] : -1, low);
	if (n)
		close(got[0]);
	r = recv_fds(sv[1], 1, MSG_CMSG_CLOEXEC | MSG_DONTWAIT, got, &n, &of);
	CHECK_TRUE("then the real receive gives it again", r == 1 && n == 1, "r %ld n %d", r, n);
	CHECK_EQ("MSG_CMSG_CLOEXEC sets FD_CLOEXEC", n ? fcntl(got[0], F_GETFD) : -1, FD_CLOEXEC);
	if (n)
		close(got[0]);
	close(sv[0]);
	close(sv[1]);
}

static void
check_malformed(void)
{
	struct iovec v = {"m", 1};
	struct msghdr m;
	struct cmsghdr *c;
	struct ucred_ cr = {getpid(), getuid(), getgid()};
	int sv[2];

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	memset(&m, 0, sizeof(m));
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	m.msg_control = cb.b;
	memset(&cb, 0, sizeof(cb));
	c = (struct cmsghdr *)cb.b;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int)) + 64;
	m.msg_controllen = CMSG_SPACE(sizeof(int));
	CHECK_ERR("cmsg_len past msg_controllen is EINVAL", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = 4;
	CHECK_ERR("cmsg_len below a header is EINVAL", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	CHECK_ERR("an unknown SOL_SOCKET type is EINVAL", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_level = 99;
	CHECK_EQ("another level is skipped", sendmsg(sv[0], &m, 0), 1);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr) - 4);
	CHECK_ERR("SCM_CREDENTIALS of the wrong size is EINVAL", sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	m.msg_controllen = CMSG_SPACE(sizeof(cr));
	CHECK_EQ("SCM_CREDENTIALS with our own pid, uid and gid", sendmsg(sv[0], &m, 0), 1);
	m.msg_iov = (struct iovec *)8;
	CHECK_ERR("an unreadable iovec array is EFAULT", sendmsg(sv[0], &m, 0), EFAULT);
	m.msg_iov = &v;
	m.msg_iovlen = 1025;
	CHECK_ERR("more than UIO_MAXIOV iovecs is EMSGSIZE", sendmsg(sv[0], &m, 0), EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

/* A stop of a fill: the socket is full, or the memory for sockets is spent. */
static int
fill_stop(int e)
{
	return e == EAGAIN || e == ENOBUFS || e == ENOMEM;
}

/* One filler: 0 if every stop was one fill_stop allows and the first pair reads back. */
static int
fill_one(int npairs)
{
	static unsigned char chunk[65536], got[65536];
	int pairs[512][2], n, i, j, dg[2], fds[253];
	long sent0 = 0, r, back = 0;

	if (npairs > 512)
		npairs = 512;
	for (i = 0; i < 65536; i++)
		chunk[i] = (unsigned char)(i * 13 + 1);
	for (n = 0; n < npairs; n++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pairs[n]) < 0) {
			if (!fill_stop(errno) && errno != EMFILE && errno != ENFILE)
				return 10;
			break;
		}
		while ((r = write(pairs[n][0], chunk, sizeof(chunk))) > 0)
			if (n == 0)
				sent0 += r;
		if (!fill_stop(errno))
			return 11;
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dg) == 0) {
		for (j = 0; j < 253; j++)
			fds[j] = 0;
		for (j = 0; j < 100000 && send_fds(dg[0], fds, 253) == 1; j++)
			;
		if (!fill_stop(errno))
			return 12;
	}
	/* The first pair gives back what went in, in order. */
	while (n > 0 && back < sent0) {
		r = read(pairs[0][1], got, sizeof(got));
		if (r <= 0)
			return 13;
		for (i = 0; i < r; i++)
			if (got[i] != chunk[(back + i) % 65536])
				return 14;
		back += r;
	}
	/* A filler that found the memory spent by the others at once moved nothing: fine. */
	return 0;
}

static int
fill(int nproc, int npairs)
{
	int go[2], i, st, bad = 0;
	pid_t pid;
	char c;

	pipe(go);
	for (i = 0; i < nproc; i++) {
		pid = fork();
		if (pid == 0) {
			close(go[1]);
			/* Start together, once every fork is done. */
			if (read(go[0], &c, 1) != 0)
				_exit(20);
			_exit(fill_one(npairs));
		}
		if (pid < 0)
			bad++;
	}
	close(go[0]);
	close(go[1]);
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			say("a filler ended with status %#x\n", st);
			bad++;
		}
	CHECK_EQ("every filler stopped on EAGAIN, ENOBUFS or ENOMEM and read back", bad, 0);
	return guest_end();
}

int
main(int argc, char **argv)
{
	guest_begin("t_unix_scm", "descriptors and credentials over AF_UNIX sockets");
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return fill(atoi(argv[2]), atoi(argv[3]));
	signal(SIGPIPE, SIG_IGN);
	check_pass_pipe();
	check_limits();
	check_malformed();
	return guest_end();
}
