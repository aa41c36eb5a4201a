/*
 * t_unix_dgram - AF_UNIX datagram and seqpacket sockets (unix(7),
 * send(2), recv(2), connect(2)): message boundaries, 0-length
 * datagrams, MSG_TRUNC in and out, MSG_PEEK, FIONREAD, sendto/recvfrom
 * with names (bound and unbound senders), connect and AF_UNSPEC, EPERM
 * to a socket connected elsewhere, ENOTCONN, EMSGSIZE, EPROTOTYPE, the
 * receive queue limit (max_dgram_qlen), SO_PASSCRED credentials from
 * another process, sendmmsg/recvmmsg, and seqpacket listen/accept/EOF.
 *
 * Usage: t_unix_dgram
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif
#ifndef SO_PASSCRED
#define SO_PASSCRED 16
#endif
#ifndef SCM_CREDENTIALS
#define SCM_CREDENTIALS 2
#endif

struct ucred_ {
	int pid;
	unsigned uid, gid;
};

static char dir[64];
static volatile int sigpipes;

static void
on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static socklen_t
mkaddr(struct sockaddr_un *sun, const char *name, int abstract)
{
	size_t n = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun->sun_path + 1, name, n);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	memcpy(sun->sun_path, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* recvmsg of up to len bytes with flags: the result; msg_flags in *oflags. */
static long
rmsg(int fd, char *buf, size_t len, int flags, int *oflags)
{
	struct iovec v = {buf, len};
	struct msghdr m;
	long r;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	r = recvmsg(fd, &m, flags);
	*oflags = m.msg_flags;
	return r;
}

static void
check_boundaries(int type, const char *tn)
{
	int sv[2], of = -1, n = -1;
	char buf[64], what[128];

	if (!CHECK_OK(tn, socketpair(AF_UNIX, type, 0, sv)))
		return;
	send(sv[0], "a", 1, 0);
	send(sv[0], "bb", 2, 0);
	send(sv[0], "", 0, 0);
	send(sv[0], "ccccc", 5, 0);
	send(sv[0], "dddd", 4, 0);
	/* unix(7): SIOCINQ is the next datagram's length, or a seqpacket's queued bytes. */
	snprintf(what, sizeof(what), "%s: FIONREAD", tn);
	CHECK_EQ(what, ioctl(sv[1], FIONREAD, &n) == 0 ? n : -1, type == SOCK_DGRAM ? 1 : 12);
	snprintf(what, sizeof(what), "%s: one message a read (1)", tn);
	CHECK_EQ(what, read(sv[1], buf, sizeof(buf)), 1);
	snprintf(what, sizeof(what), "%s: MSG_PEEK sees the next (2)", tn);
	CHECK_EQ(what, recv(sv[1], buf, sizeof(buf), MSG_PEEK), 2);
	snprintf(what, sizeof(what), "%s: one message a read (2)", tn);
	CHECK_EQ(what, read(sv[1], buf, sizeof(buf)), 2);
	snprintf(what, sizeof(what), "%s: a 0-length message reads as 0", tn);
	CHECK_EQ(what, recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	snprintf(what, sizeof(what), "%s: a short read of 5 gets 2", tn);
	CHECK_EQ(what, rmsg(sv[1], buf, 2, 0, &of), 2);
	snprintf(what, sizeof(what), "%s: ... with MSG_TRUNC in msg_flags", tn);
	CHECK_EQ(what, of & MSG_TRUNC, MSG_TRUNC);
	snprintf(what, sizeof(what), "%s: MSG_TRUNC asks the real length (4)", tn);
	CHECK_EQ(what, recv(sv[1], buf, 1, MSG_TRUNC), 4);
	snprintf(what, sizeof(what), "%s: the rest went with the message", tn);
	CHECK_ERR(what, recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	snprintf(what, sizeof(what), "%s: write() of 0 bytes sends an empty message", tn);
	CHECK_EQ(what, write(sv[0], "", 0), 0);
	snprintf(what, sizeof(what), "%s: ... which a read gets as 0", tn);
	CHECK_EQ(what, recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	close(sv[0]);
	close(sv[1]);
}

static void
check_names(void)
{
	struct sockaddr_un a1, a2, from;
	socklen_t l1, l2, fl;
	char p1[100], p2[100], buf[64];
	int s1, s2, s3, i, n;

	snprintf(p1, sizeof(p1), "%s/d1", dir);
	l1 = mkaddr(&a1, p1, 0);
	snprintf(p2, sizeof(p2), "t_unix_dgram.%d", getpid());
	l2 = mkaddr(&a2, p2, 1);
	s1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	s3 = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK_OK("bind a path", bind(s1, (struct sockaddr *)&a1, l1));
	CHECK_OK("bind an abstract name", bind(s2, (struct sockaddr *)&a2, l2));
	CHECK_ERR("send unconnected without an address is ENOTCONN", send(s3, "x", 1, 0),
		  ENOTCONN);
	CHECK_EQ("sendto the path from the abstract name", sendto(s2, "one", 3, 0,
								 (struct sockaddr *)&a1, l1),
		 3);
	fl = sizeof(from);
	CHECK_EQ("recvfrom gets it", recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl),
		 3);
	CHECK_TRUE("... from the abstract name", fl == l2 && memcmp(&from, &a2, l2) == 0,
		   "len %u want %u", fl, l2);
	CHECK_EQ("sendto from an unbound socket", sendto(s3, "two", 3, 0, (struct sockaddr *)&a1, l1),
		 3);
	fl = sizeof(from);
	recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	CHECK_EQ("recvfrom of an unbound sender gives length 0", fl, 0);
	CHECK_ERR("sendto an unbound abstract name is ECONNREFUSED",
		  sendto(s3, "x", 1, 0, (struct sockaddr *)&a2, l2 - 1), ECONNREFUSED);
	{
		struct sockaddr_un bad;
		socklen_t bl = mkaddr(&bad, "/nonexistent/sock", 0);

		CHECK_ERR("sendto a missing path is ENOENT",
			  sendto(s3, "x", 1, 0, (struct sockaddr *)&bad, bl), ENOENT);
		bad.sun_family = AF_INET;
		CHECK_ERR("sendto an AF_INET address is EINVAL",
			  sendto(s3, "x", 1, 0, (struct sockaddr *)&bad, bl), EINVAL);
		CHECK_ERR("sendto with addrlen 200 is EINVAL",
			  sendto(s3, "x", 1, 0, (struct sockaddr *)&bad, 200), EINVAL);
	}
	{
		static char huge[300000];

		CHECK_ERR("a datagram larger than SO_SNDBUF is EMSGSIZE",
			  send(s3, huge, sizeof(huge), 0) < 0 ? -1 : 0, EMSGSIZE);
		CHECK_ERR("... by sendto too",
			  sendto(s3, huge, sizeof(huge), 0, (struct sockaddr *)&a1, l1), EMSGSIZE);
	}
	/* s1 connects to s2: s2 now takes datagrams only from... anyone; s1 only sends to s2. */
	CHECK_OK("connect a datagram socket", connect(s1, (struct sockaddr *)&a2, l2));
	CHECK_EQ("send to the connected peer", send(s1, "c", 1, 0), 1);
	CHECK_EQ("it arrives", recv(s2, buf, sizeof(buf), 0), 1);
	fl = sizeof(from);
	CHECK_EQ("getpeername of a connected datagram socket",
		 getpeername(s1, (struct sockaddr *)&from, &fl) == 0 ? (int)fl : -1, (int)l2);
	CHECK_OK("s2 connects back", connect(s2, (struct sockaddr *)&a1, l1));
	CHECK_ERR("a third socket's sendto s1 (connected to s2) is EPERM",
		  sendto(s3, "x", 1, 0, (struct sockaddr *)&a1, l1), EPERM);
	{
		struct sockaddr sa = {.sa_family = AF_UNSPEC};

		CHECK_OK("connect(AF_UNSPEC) disconnects", connect(s1, &sa, sizeof(sa)));
		CHECK_ERR("then send without an address is ENOTCONN", send(s1, "x", 1, 0), ENOTCONN);
	}
	/* The receive queue: a sender that is not its peer waits past max_dgram_qlen. */
	close(s2);
	s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(s2, (struct sockaddr *)&a2, l2);
	for (n = 0, i = 0; i < 20; i++) {
		if (sendto(s3, "q", 1, 0, (struct sockaddr *)&a2, l2) != 1)
			break;
		n++;
	}
	CHECK_EQ("max_dgram_qlen 10: 11 datagrams queue, then EAGAIN", n, 11);
	CHECK_EQ("... and errno is EAGAIN", i < 20 ? errno : 0, EAGAIN);
	{
		struct pollfd pf = {s3, POLLOUT, 0};

		connect(s3, (struct sockaddr *)&a2, l2);
		CHECK_EQ("poll: not writable to a full receiver", poll(&pf, 1, 0), 0);
		recv(s2, buf, sizeof(buf), 0);
		recv(s2, buf, sizeof(buf), 0);
		CHECK_EQ("writable once it reads", poll(&pf, 1, 0) == 1 ? pf.revents : -1, POLLOUT);
	}
	close(s2);
	CHECK_ERR("send to a closed peer is ECONNREFUSED", send(s3, "x", 1, 0), ECONNREFUSED);
	CHECK_ERR("then the socket is disconnected: ENOTCONN", send(s3, "x", 1, 0), ENOTCONN);
	{
		int st = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa;
		socklen_t sl = mkaddr(&sa, "t_unix_dgram.stream", 1);

		bind(st, (struct sockaddr *)&sa, sl);
		listen(st, 1);
		CHECK_ERR("sendto the abstract name of a stream listener is ECONNREFUSED",
			  sendto(s3, "x", 1, 0, (struct sockaddr *)&sa, sl), ECONNREFUSED);
		s1 = socket(AF_UNIX, SOCK_DGRAM, 0);
		CHECK_OK("a datagram socket binds the same abstract name",
			 bind(s1, (struct sockaddr *)&sa, sl));
		close(st);
			st = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(p2, sizeof(p2), "%s/st", dir);
		sl = mkaddr(&sa, p2, 0);
		bind(st, (struct sockaddr *)&sa, sl);
		CHECK_ERR("sendto the path of a stream socket is EPROTOTYPE",
			  sendto(s3, "x", 1, 0, (struct sockaddr *)&sa, sl), EPROTOTYPE);
		close(st);
		unlink(p2);
	}
	close(s1);
	close(s3);
	unlink(p1);
}

/* A child sends; the receiver with SO_PASSCRED sees the child's pid and ids. */
static void
check_cred(void)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred_))];
	} cb;
	struct msghdr m;
	struct iovec v;
	struct cmsghdr *c;
	struct ucred_ cr = {0, 0, 0};
	int sv[2], st, got = 0;
	char buf[8];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int));
	pid = fork();
	if (pid == 0)
		_exit(send(sv[0], "c", 1, 0) == 1 ? 0 : 1);
	waitpid(pid, &st, 0);
	memset(&m, 0, sizeof(m));
	v.iov_base = buf;
	v.iov_len = sizeof(buf);
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	m.msg_control = cb.b;
	m.msg_controllen = sizeof(cb.b);
	CHECK_EQ("recvmsg with SO_PASSCRED", recvmsg(sv[1], &m, 0), 1);
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			got = 1;
		}
	}
	CHECK_EQ("an SCM_CREDENTIALS message came", got, 1);
	CHECK_EQ("... with the child's pid", cr.pid, pid);
	CHECK_EQ("... uid", cr.uid, getuid());
	CHECK_EQ("... gid", cr.gid, getgid());
	CHECK_EQ("msg_controllen is its space", m.msg_controllen, CMSG_SPACE(sizeof(cr)));
	/* No room for it: MSG_CTRUNC. */
	send(sv[0], "d", 1, 0);
	m.msg_control = NULL;
	m.msg_controllen = 0;
	CHECK_EQ("recvmsg with SO_PASSCRED and no control buffer", recvmsg(sv[1], &m, 0), 1);
	CHECK_EQ("... sets MSG_CTRUNC", m.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	close(sv[0]);
	close(sv[1]);

	/* unix(7): a SO_PASSCRED socket sending unbound is autobound first. */
	{
		struct sockaddr_un to, from;
		socklen_t tl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + 20), fl;
		int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);

		memset(&to, 0, sizeof(to));
		to.sun_family = AF_UNIX;
		snprintf(to.sun_path + 1, 32, "t_unix_dgram.ac%05d", getpid() % 100000);
		bind(r, (struct sockaddr *)&to, tl);
		setsockopt(s, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int));
		CHECK_EQ("sendto from an unbound SO_PASSCRED socket",
			 sendto(s, "a", 1, 0, (struct sockaddr *)&to, tl), 1);
		fl = sizeof(from);
		recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		CHECK_EQ("comes from its autobind name (length 8)", fl, 8);
		close(r);
		close(s);
	}
}

static void
check_mmsg(void)
{
	struct mmsghdr mm[4];
	struct iovec v[4];
	char bufs[4][16];
	int sv[2], i;

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 3; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "msg%d-%.*s", i, i, "xyz");
		v[i].iov_base = bufs[i];
		v[i].iov_len = strlen(bufs[i]);
		mm[i].msg_hdr.msg_iov = &v[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ("sendmmsg of 3", sendmmsg(sv[0], mm, 3, 0), 3);
	CHECK_EQ("msg_len of the third", mm[2].msg_len, 7);
	memset(mm, 0, sizeof(mm));
	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < 4; i++) {
		v[i].iov_base = bufs[i];
		v[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &v[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ("recvmmsg of up to 4 (MSG_DONTWAIT) gets 3", recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL),
		 3);
	CHECK_TRUE("each in its buffer", mm[0].msg_len == 5 && mm[1].msg_len == 6 &&
					   strcmp(bufs[2], "msg2-xy") == 0,
		   "lens %u %u, third %s", mm[0].msg_len, mm[1].msg_len, bufs[2]);
	CHECK_ERR("recvmmsg with nothing queued (MSG_DONTWAIT) is EAGAIN",
		  recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL), EAGAIN);
	send(sv[0], "w", 1, 0);
	CHECK_EQ("MSG_WAITFORONE returns after the first", recvmmsg(sv[1], mm, 4, MSG_WAITFORONE, NULL),
		 1);
	/*
	 * A blocking recvmmsg waits for each of vlen messages: the child sends
	 * one, waits until it was read (its SIOCOUTQ back to 0: the receiver
	 * is past it and waiting for the next), then sends two more.
	 */
	{
		pid_t pid = fork();
		int st, q;

		if (pid == 0) {
			send(sv[0], "1", 1, 0);
			do {
				sched_yield();
				if (ioctl(sv[0], SIOCOUTQ, &q) < 0)
					_exit(1);
			} while (q > 0);
			send(sv[0], "22", 2, 0);
			send(sv[0], "333", 3, 0);
			_exit(0);
		}
		CHECK_EQ("a blocking recvmmsg of 3 waits for all 3", recvmmsg(sv[1], mm, 3, 0, NULL),
			 3);
		CHECK_TRUE("in order", mm[0].msg_len == 1 && mm[1].msg_len == 2 && mm[2].msg_len == 3,
			   "lens %u %u %u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
		CHECK_EQ("the sender ended well", waitpid(pid, &st, 0) == pid ? st : -1, 0);
	}
	{
		struct timespec bad = {0, 2000000000L};

		CHECK_ERR("recvmmsg with a bad timeout is EINVAL",
			  recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, &bad), EINVAL);
	}
	close(sv[0]);
	close(sv[1]);
}

static void
check_seqpacket(void)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int l, c, a, st, of = 0;
	char buf[64];
	pid_t pid;

	sl = mkaddr(&sa, "t_unix_dgram.seq", 1);
	l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_OK("bind a seqpacket socket", bind(l, (struct sockaddr *)&sa, sl));
	CHECK_OK("listen", listen(l, 2));
	c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_ERR("send before connect is ENOTCONN", send(c, "x", 1, 0), ENOTCONN);
	CHECK_ERR("recv before connect is ENOTCONN", recv(c, buf, 1, MSG_DONTWAIT), ENOTCONN);
	pid = fork();
	if (pid == 0) {
		close(l);
		if (connect(c, (struct sockaddr *)&sa, sl) < 0)
			_exit(1);
		send(c, "first", 5, 0);
		send(c, "second!", 7, 0);
		_exit(0);
	}
	close(c); /* the child's connection is its own now */
	a = accept(l, NULL, NULL);
	CHECK_OK("accept a seqpacket connection", a);
	waitpid(pid, &st, 0);
	CHECK_EQ("the child connected and sent", st, 0);
	CHECK_EQ("first record", recv(a, buf, sizeof(buf), 0), 5);
	CHECK_EQ("second record cut to 3", rmsg(a, buf, 3, 0, &of), 3);
	CHECK_EQ("... MSG_TRUNC", of & MSG_TRUNC, MSG_TRUNC);
	CHECK_EQ("end of file once the peer is gone", recv(a, buf, sizeof(buf), 0), 0);
	sigpipes = 0;
	CHECK_ERR("send to the gone peer is EPIPE", send(a, "x", 1, 0), EPIPE);
	CHECK_EQ("... without SIGPIPE (a seqpacket send is a datagram send)", sigpipes, 0);
	close(a);
	close(l);
}

int
main(void)
{
	guest_begin("t_unix_dgram", "AF_UNIX datagram and seqpacket sockets");
	signal(SIGPIPE, on_pipe);
	snprintf(dir, sizeof(dir), "/tmp/t_unix_dgram.%d", getpid());
	if (mkdir(dir, 0700) < 0) {
		check(0, "mkdir the work directory", "errno %s", errname(errno));
		return guest_end();
	}
	check_boundaries(SOCK_DGRAM, "SOCK_DGRAM pair");
	check_boundaries(SOCK_SEQPACKET, "SOCK_SEQPACKET pair");
	check_names();
	check_cred();
	check_mmsg();
	check_seqpacket();
	rmdir(dir);
	return guest_end();
}
