/*
 * t_unix_stream - AF_UNIX stream sockets (unix(7), socket(2), bind(2),
 * listen(2), accept(2), connect(2), send(2), recv(2), shutdown(2),
 * getsockopt(2)): socket's errors, socketpair, fstat and /proc/self/fd,
 * FIONREAD/SIOCOUTQ, MSG_PEEK/DONTWAIT/WAITALL, shutdown and EPOLLRDHUP,
 * EPIPE and SIGPIPE (MSG_NOSIGNAL), names in /tmp and abstract ones and
 * their errors, autobind, backlog, SO_PEERCRED across fork, options, a
 * forking echo server, a 1 MiB transfer, 10000 connections.
 *
 * Usage: t_unix_stream [DIR]
 *
 * File names go in a fresh directory under DIR (default /tmp: the guest's
 * tmpfs; a host directory given to uvk with --bind for the bind case).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#ifndef SIOCOUTQ
#define SIOCOUTQ 0x5411
#endif
#ifndef SIOCINQ
#define SIOCINQ 0x541B
#endif
#ifndef SO_PEERCRED
#define SO_PEERCRED 17
#endif
#ifndef SO_PASSCRED
#define SO_PASSCRED 16
#endif
#ifndef SO_DOMAIN
#define SO_DOMAIN 39
#endif
#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif

struct ucred_ {
	int pid;
	unsigned uid, gid;
};

static char dir[80];
static volatile int sigpipes;
static volatile uintptr_t badp = 8; /* an address nothing maps */

static void
on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* A sockaddr_un for the path (or abstract, with a leading NUL) name; its length. */
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

static void
path(char *buf, const char *name)
{
	snprintf(buf, 100, "%s/%s", dir, name);
}

static int
geti(int fd, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		return -1000 - errno;
	return v;
}

static void
check_socket_errors(void)
{
	int fd;

	CHECK_ERR("socket(12345, SOCK_STREAM) is EAFNOSUPPORT", socket(12345, SOCK_STREAM, 0),
		  EAFNOSUPPORT);
	CHECK_ERR("socket(AF_UNIX, 99) is EINVAL", socket(AF_UNIX, 99, 0), EINVAL);
	CHECK_ERR("socket(AF_UNIX, SOCK_STREAM | 0x100) is EINVAL",
		  socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
	CHECK_ERR("socket(AF_UNIX, SOCK_STREAM, 5) is EPROTONOSUPPORT",
		  socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT);
	CHECK_ERR("socket(AF_UNIX, SOCK_RDM) is ESOCKTNOSUPPORT", socket(AF_UNIX, SOCK_RDM, 0),
		  ESOCKTNOSUPPORT);
	fd = socket(AF_UNIX, SOCK_RAW, 0);
	CHECK_EQ("socket(AF_UNIX, SOCK_RAW) is a datagram socket", fd >= 0 ? geti(fd, SO_TYPE) : -1,
		 SOCK_DGRAM);
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, PF_UNIX);
	CHECK_EQ("SOCK_NONBLOCK gives O_NONBLOCK", fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), 1);
	CHECK_EQ("SOCK_CLOEXEC gives FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ("SO_TYPE", geti(fd, SO_TYPE), SOCK_STREAM);
	CHECK_EQ("SO_DOMAIN", geti(fd, SO_DOMAIN), AF_UNIX);
	CHECK_EQ("SO_PROTOCOL", geti(fd, SO_PROTOCOL), 0);
	CHECK_EQ("SO_ACCEPTCONN of a new socket", geti(fd, SO_ACCEPTCONN), 0);
	CHECK_EQ("SO_ERROR", geti(fd, SO_ERROR), 0);
	close(fd);
	CHECK_ERR("socketpair(AF_UNIX, 99) is EINVAL", socketpair(AF_UNIX, 99, 0, (int[2]){0}),
		  EINVAL);
	CHECK_ERR("socketpair to an unwritable array is EFAULT",
		  socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)(uintptr_t)badp), EFAULT);
	fd = dup(0);
	CHECK_ERR("socketpair's EFAULT left no descriptor behind", fcntl(fd + 1, F_GETFD), EBADF);
	close(fd);
	{
		int pf[2];
		struct sockaddr_un sun;

		pipe(pf);
		CHECK_ERR("bind on a pipe is ENOTSOCK",
			  bind(pf[0], (struct sockaddr *)&sun, mkaddr(&sun, "x", 1)), ENOTSOCK);
		CHECK_ERR("shutdown of a pipe is ENOTSOCK", shutdown(pf[1], SHUT_RD), ENOTSOCK);
		CHECK_ERR("getsockopt on a pipe is ENOTSOCK",
			  getsockopt(pf[1], SOL_SOCKET, SO_TYPE, &fd, &(socklen_t){4}), ENOTSOCK);
		close(pf[0]);
		close(pf[1]);
		CHECK_ERR("bind on a closed descriptor is EBADF",
			  bind(pf[0], (struct sockaddr *)&sun, mkaddr(&sun, "x", 1)), EBADF);
	}
}

static void
check_pair(void)
{
	int sv[2], n = -1;
	char buf[64], link[64], want[64];
	struct sockaddr_un sun;
	struct stat st;
	socklen_t len;

	if (!CHECK_OK("socketpair(AF_UNIX, SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
		return;
	CHECK_EQ("fstat says S_IFSOCK", fstat(sv[0], &st) == 0 ? (int)(st.st_mode & S_IFMT) : -1,
		 S_IFSOCK);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", sv[0]);
	memset(link, 0, sizeof(link));
	readlink(buf, link, sizeof(link) - 1);
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	CHECK_STR("/proc/self/fd/N is socket:[ino]", link, want);
	CHECK_EQ("write 5", write(sv[0], "hello", 5), 5);
	CHECK_EQ("FIONREAD is 5", ioctl(sv[1], FIONREAD, &n) == 0 ? n : -1, 5);
	CHECK_TRUE("SIOCOUTQ of the writer is above 0", ioctl(sv[0], SIOCOUTQ, &n) == 0 && n > 0,
		   "got %d", n);
	CHECK_EQ("MSG_PEEK of 3", recv(sv[1], buf, 3, MSG_PEEK), 3);
	CHECK_EQ("read after the peek gets all 5", read(sv[1], buf, sizeof(buf)), 5);
	CHECK_TRUE("the bytes", memcmp(buf, "hello", 5) == 0, "got %.5s", buf);
	CHECK_EQ("SIOCOUTQ is 0 once read", ioctl(sv[0], SIOCOUTQ, &n) == 0 ? n : -1, 0);
	CHECK_EQ("SIOCINQ is 0", ioctl(sv[1], SIOCINQ, &n) == 0 ? n : -1, 0);
	CHECK_ERR("MSG_DONTWAIT on an empty socket is EAGAIN", recv(sv[1], buf, 1, MSG_DONTWAIT),
		  EAGAIN);
	len = sizeof(sun);
	CHECK_EQ("getsockname of an unbound socket: sizeof(sa_family_t)",
		 getsockname(sv[0], (struct sockaddr *)&sun, &len) == 0 ? (int)len : -1, 2);
	CHECK_EQ("... family AF_UNIX", sun.sun_family, AF_UNIX);
	len = sizeof(sun);
	CHECK_EQ("getpeername of a pair end: sizeof(sa_family_t)",
		 getpeername(sv[0], (struct sockaddr *)&sun, &len) == 0 ? (int)len : -1, 2);
	{
		struct iovec v[3] = {{"ab", 2}, {"", 0}, {"cde", 3}}, r[2];
		char x[2], y[8];

		CHECK_EQ("writev of 2+0+3", writev(sv[1], v, 3), 5);
		r[0].iov_base = x;
		r[0].iov_len = 2;
		r[1].iov_base = y;
		r[1].iov_len = 8;
		CHECK_EQ("readv gets 5", readv(sv[0], r, 2), 5);
		CHECK_TRUE("in order", memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0, "no");
	}
	{
		struct ucred_ c;

		len = sizeof(c);
		CHECK_EQ("SO_PEERCRED of a pair is our pid",
			 getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &len) == 0 ? c.pid : -1,
			 getpid());
		CHECK_EQ("... and uid", c.uid, getuid());
		CHECK_EQ("... length", len, sizeof(c));
	}
	close(sv[0]);
	close(sv[1]);
}

static void
check_shutdown(void)
{
	int sv[2], ep;
	struct pollfd pf;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP}, out;
	char c;

	if (!CHECK_OK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
		return;
	CHECK_ERR("shutdown(how 7) is EINVAL", shutdown(sv[0], 7), EINVAL);
	CHECK_ERR("shutdown of a closed descriptor is EBADF", shutdown(999, SHUT_RD), EBADF);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
	CHECK_EQ("epoll: nothing before the shutdown", epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR), 0);
	pf.fd = sv[1];
	pf.events = POLLIN | POLLRDHUP;
	CHECK_EQ("poll: the peer sees POLLIN|POLLRDHUP", poll(&pf, 1, 0) == 1 ? pf.revents : -1,
		 POLLIN | POLLRDHUP);
	CHECK_EQ("epoll sees EPOLLRDHUP",
		 epoll_wait(ep, &out, 1, 0) == 1 ? (int)out.events : -1, EPOLLIN | EPOLLRDHUP);
	CHECK_EQ("the peer reads end of file", read(sv[1], &c, 1), 0);
	CHECK_EQ("the peer still writes", write(sv[1], "x", 1), 1);
	CHECK_EQ("and we still read", read(sv[0], &c, 1), 1);
	sigpipes = 0;
	CHECK_ERR("write after SHUT_WR is EPIPE", write(sv[0], "x", 1), EPIPE);
	CHECK_EQ("... with SIGPIPE", sigpipes, 1);
	CHECK_ERR("send(MSG_NOSIGNAL) after SHUT_WR is EPIPE", send(sv[0], "x", 1, MSG_NOSIGNAL),
		  EPIPE);
	CHECK_EQ("... without SIGPIPE", sigpipes, 1);
	close(ep);
	close(sv[0]);
	pf.events = POLLIN | POLLOUT | POLLRDHUP;
	CHECK_EQ("poll after the peer closed: POLLIN|POLLOUT|POLLHUP|POLLRDHUP",
		 poll(&pf, 1, 0) == 1 ? pf.revents : -1, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_ERR("write to a closed peer is EPIPE", write(sv[1], "x", 1), EPIPE);
	CHECK_EQ("... with SIGPIPE", sigpipes, 2);
	close(sv[1]);

	/* The peer closes with data we sent unread: we see ECONNRESET, then end of file. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	CHECK_ERR("read after the peer closed with unread data is ECONNRESET", read(sv[1], &c, 1),
		  ECONNRESET);
	CHECK_EQ("then end of file", read(sv[1], &c, 1), 0);
	close(sv[1]);
}

static void
check_names(void)
{
	char p1[100], p2[100], p3[100];
	struct sockaddr_un sun, got;
	socklen_t len, sl;
	int l, c, a, d, fd;
	struct stat st;

	path(p1, "srv");
	sl = mkaddr(&sun, p1, 0);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("listen before bind is EINVAL", listen(l, 5), EINVAL);
	CHECK_ERR("bind with addrlen 1 is EINVAL", bind(l, (struct sockaddr *)&sun, 1), EINVAL);
	CHECK_ERR("bind with addrlen 111 is EINVAL",
		  bind(l, (struct sockaddr *)&sun, sizeof(sun) + 1), EINVAL);
	sun.sun_family = AF_INET;
	CHECK_ERR("bind of family AF_INET is EINVAL", bind(l, (struct sockaddr *)&sun, sl), EINVAL);
	sun.sun_family = AF_UNIX;
	CHECK_OK("bind to a path in /tmp", bind(l, (struct sockaddr *)&sun, sl));
	CHECK_ERR("bind again to the same name is EADDRINUSE", bind(l, (struct sockaddr *)&sun, sl),
		  EADDRINUSE);
	path(p2, "srv2");
	{
		struct sockaddr_un s2;

		CHECK_ERR("bind again to another name is EINVAL",
			  bind(l, (struct sockaddr *)&s2, mkaddr(&s2, p2, 0)), EINVAL);
		CHECK_ERR("... and leaves no file", access(p2, F_OK), ENOENT);
	}
	CHECK_TRUE("the name is a socket inode", stat(p1, &st) == 0 && S_ISSOCK(st.st_mode),
		   "mode %#o", (unsigned)st.st_mode);
	CHECK_ERR("open() of a socket inode is ENXIO", open(p1, O_RDONLY), ENXIO);
	len = sizeof(got);
	getsockname(l, (struct sockaddr *)&got, &len);
	CHECK_EQ("getsockname length: family + path + NUL", len, sl);
	CHECK_STR("getsockname path", got.sun_path, p1);
	len = 4;
	memset(&got, 0, sizeof(got));
	CHECK_EQ("getsockname into 4 bytes gives the full length",
		 getsockname(l, (struct sockaddr *)&got, &len) == 0 ? (int)len : -1, (int)sl);
	CHECK_EQ("... and only 4 bytes", got.sun_path[2], 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("connect to a bound socket not listening is ECONNREFUSED",
		  connect(c, (struct sockaddr *)&sun, sl), ECONNREFUSED);
	CHECK_OK("listen", listen(l, 5));
	CHECK_EQ("SO_ACCEPTCONN of a listener", geti(l, SO_ACCEPTCONN), 1);
	/* Raw: a libc may retry an EINVAL accept4 as accept. */
	CHECK_ERR("accept4 with flags 0x10 is EINVAL", syscall(SYS_accept4, l, NULL, NULL, 0x10),
		  EINVAL);
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK_ERR("accept with none pending (O_NONBLOCK) is EAGAIN", accept(l, NULL, NULL), EAGAIN);
	CHECK_OK("connect", connect(c, (struct sockaddr *)&sun, sl));
	CHECK_ERR("connect again is EISCONN", connect(c, (struct sockaddr *)&sun, sl), EISCONN);
	{
		struct pollfd pf = {l, POLLIN, 0};

		CHECK_EQ("poll: the listener is readable", poll(&pf, 1, 0) == 1 ? pf.revents : -1,
			 POLLIN);
	}
	len = sizeof(got);
	a = accept4(l, (struct sockaddr *)&got, &len, SOCK_CLOEXEC);
	CHECK_OK("accept4(SOCK_CLOEXEC)", a);
	CHECK_EQ("... close-on-exec", fcntl(a, F_GETFD), FD_CLOEXEC);
	CHECK_EQ("accept's address is the unbound client's: sizeof(sa_family_t)", len, 2);
	len = sizeof(got);
	getsockname(a, (struct sockaddr *)&got, &len);
	CHECK_STR("the accepted socket's name is the listener's", got.sun_path, p1);
	len = sizeof(got);
	getpeername(c, (struct sockaddr *)&got, &len);
	CHECK_STR("the client's peer is the listener's name", got.sun_path, p1);
	{
		fd_set rs;
		struct timeval tv0 = {0, 0};

		FD_ZERO(&rs);
		FD_SET(a, &rs);
		CHECK_EQ("select: nothing to read yet", select(a + 1, &rs, NULL, NULL, &tv0), 0);
	}
	CHECK_EQ("client -> server", write(c, "ping", 4), 4);
	{
		fd_set rs;
		struct timeval tv0 = {0, 0};

		FD_ZERO(&rs);
		FD_SET(a, &rs);
		CHECK_EQ("select: the server's end is readable", select(a + 1, &rs, NULL, NULL, &tv0),
			 1);
	}
	CHECK_EQ("server reads it", read(a, p3, sizeof(p3)), 4);
	CHECK_EQ("server -> client", send(a, "pong", 4, 0), 4);
	CHECK_EQ("client reads it", recv(c, p3, sizeof(p3), 0), 4);
	CHECK_ERR("sendto with an address on a connected stream is EISCONN",
		  sendto(c, "x", 1, 0, (struct sockaddr *)&sun, sl), EISCONN);
	CHECK_ERR("accept on a connected socket is EINVAL", accept(c, NULL, NULL), EINVAL);
	CHECK_ERR("listen on a connected socket is EINVAL", listen(c, 1), EINVAL);
	close(a);
	close(c);

	/* Errors of connect and bind by file name. */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	path(p2, "nothing");
	sl = mkaddr(&sun, p2, 0);
	CHECK_ERR("connect to a missing name is ENOENT", connect(c, (struct sockaddr *)&sun, sl),
		  ENOENT);
	path(p2, "regular");
	close(open(p2, O_CREAT | O_WRONLY, 0600));
	sl = mkaddr(&sun, p2, 0);
	CHECK_ERR("connect to a regular file is ECONNREFUSED",
		  connect(c, (struct sockaddr *)&sun, sl), ECONNREFUSED);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERR("bind to an existing file is EADDRINUSE", bind(d, (struct sockaddr *)&sun, sl),
		  EADDRINUSE);
	path(p3, "regular/sub");
	sl = mkaddr(&sun, p3, 0);
	CHECK_ERR("bind under a regular file is ENOTDIR", bind(d, (struct sockaddr *)&sun, sl),
		  ENOTDIR);
	path(p3, "nodir/sub");
	sl = mkaddr(&sun, p3, 0);
	CHECK_ERR("bind under a missing directory is ENOENT", bind(d, (struct sockaddr *)&sun, sl),
		  ENOENT);
	path(p3, "dgram");
	sl = mkaddr(&sun, p3, 0);
	CHECK_OK("bind a datagram socket", bind(d, (struct sockaddr *)&sun, sl));
	CHECK_ERR("connect a stream socket to it is EPROTOTYPE",
		  connect(c, (struct sockaddr *)&sun, sl), EPROTOTYPE);
	CHECK_ERR("listen on a datagram socket is EOPNOTSUPP", listen(d, 1), EOPNOTSUPP);
	CHECK_ERR("accept on a datagram socket is EOPNOTSUPP", accept(d, NULL, NULL), EOPNOTSUPP);
	close(d);
	CHECK_ERR("connect to the name of a closed socket is ECONNREFUSED",
		  connect(c, (struct sockaddr *)&sun, sl), ECONNREFUSED);
	CHECK_ERR("recv on an unconnected stream socket is EINVAL", recv(c, p3, 1, MSG_DONTWAIT),
		  EINVAL);
	CHECK_ERR("send on an unconnected stream socket is ENOTCONN", send(c, "x", 1, 0), ENOTCONN);
	CHECK_ERR("sendto with an address on an unconnected stream is EOPNOTSUPP",
		  sendto(c, "x", 1, 0, (struct sockaddr *)&sun, sl), EOPNOTSUPP);
	len = sizeof(got);
	CHECK_ERR("getpeername unconnected is ENOTCONN", getpeername(c, (struct sockaddr *)&got, &len),
		  ENOTCONN);
	{
		struct pollfd pf = {c, POLLIN | POLLOUT, 0};

		CHECK_EQ("poll of an unconnected stream socket: POLLOUT|POLLHUP",
			 poll(&pf, 1, 0) == 1 ? pf.revents : -1, POLLOUT | POLLHUP);
	}
	close(c);
	/* connect(2) needs write permission on the socket file (root overrides it). */
	chmod(p1, 0500);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	errno = 0;
	a = connect(c, (struct sockaddr *)&sun, mkaddr(&sun, p1, 0)) == 0 ? 0 : errno;
	CHECK_EQ(geteuid() == 0 ? "root connects to a socket file of mode 0500"
				: "connect to a socket file of mode 0500 is EACCES",
		 a, geteuid() == 0 ? 0 : EACCES);
	close(c);
	close(l);
	CHECK_TRUE("a closed socket's file stays", stat(p1, &st) == 0 && S_ISSOCK(st.st_mode),
		   "errno %s", errname(errno));
	unlink(p1);
	unlink(p2);
	unlink(p3);

	/* A path of all 108 bytes of sun_path, no NUL: Linux ends it there (length 111). */
	{
		char longp[120];
		size_t dl = strlen(dir) + 1;

		memset(longp, 'L', sizeof(longp));
		memcpy(longp, dir, dl - 1);
		longp[dl - 1] = '/';
		longp[108] = '\0';
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, longp, 108);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK_OK("bind a 108-byte path without a NUL", bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
		memset(&got, 0, sizeof(got));
		len = sizeof(got);
		CHECK_EQ("getsockname says length 111 (family + 108 + NUL)",
			 getsockname(fd, (struct sockaddr *)&got, &len) == 0 ? (int)len : -1, 111);
		CHECK_TRUE("the file has that name", access(longp, F_OK) == 0, "errno %s",
			   errname(errno));
		close(fd);
		unlink(longp);
	}

	/* bind(2) ERRORS: a name in a directory we cannot write. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	sl = mkaddr(&sun, "/proc/self/nosock", 0);
	CHECK_TRUE("bind in /proc fails", bind(fd, (struct sockaddr *)&sun, sl) < 0, "it bound");
	close(fd);
}

static void
check_abstract(void)
{
	struct sockaddr_un sun, got;
	socklen_t sl, len;
	int l, l2, c, a, i;
	char name[32];

	snprintf(name, sizeof(name), "t_unix_stream.%d", getpid());
	sl = mkaddr(&sun, name, 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_OK("bind an abstract name", bind(l, (struct sockaddr *)&sun, sl));
	len = sizeof(got);
	getsockname(l, (struct sockaddr *)&got, &len);
	CHECK_TRUE("getsockname gives it back, length and bytes",
		   len == sl && memcmp(&got, &sun, sl) == 0, "len %u want %u", len, sl);
	l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("the same name again is EADDRINUSE", bind(l2, (struct sockaddr *)&sun, sl),
		  EADDRINUSE);
	CHECK_OK("a name one byte longer is another name", bind(l2, (struct sockaddr *)&sun, sl + 1));
	close(l2);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR("connect to an abstract name nobody listens on is ECONNREFUSED",
		  connect(c, (struct sockaddr *)&sun, sl - 1), ECONNREFUSED);
	/* Backlog 1: two requests wait, the third is EAGAIN on a non-blocking socket. */
	listen(l, 1);
	{
		int cs[3];

		for (i = 0; i < 3; i++) {
			cs[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			errno = 0;
			cs[i] = connect(cs[i], (struct sockaddr *)&sun, sl) == 0 ? cs[i] : -errno;
		}
		CHECK_TRUE("backlog 1: two connects", cs[0] >= 0 && cs[1] >= 0, "got %d %d", cs[0],
			   cs[1]);
		CHECK_EQ("and the third is EAGAIN", cs[2], -EAGAIN);
		a = accept(l, NULL, NULL);
		CHECK_OK("accept one", a);
		close(a);
		c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		CHECK_OK("then a connect fits", connect(c, (struct sockaddr *)&sun, sl));
		for (i = 0; i < 2; i++)
			if (cs[i] >= 0)
				close(cs[i]);
		close(c);
	}
	close(l);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_OK("the name is free once its socket closed", bind(l, (struct sockaddr *)&sun, sl));
	close(l);

	/* Autobind: bind with the family alone; connect of a SO_PASSCRED socket. */
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_OK("bind with addrlen sizeof(sa_family_t) autobinds",
		 bind(l, (struct sockaddr *)&sun, sizeof(sa_family_t)));
	len = sizeof(got);
	getsockname(l, (struct sockaddr *)&got, &len);
	CHECK_EQ("autobind name length: family + NUL + 5 hex digits", len, 8);
	CHECK_TRUE("... abstract, 5 hex digits",
		   got.sun_path[0] == 0 && strspn(got.sun_path + 1, "0123456789abcdef") >= 5,
		   "got %.6s", got.sun_path + 1);
	listen(l, 5);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	setsockopt(c, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int));
	CHECK_EQ("SO_PASSCRED reads back", geti(c, SO_PASSCRED), 1);
	CHECK_OK("connect to the autobound name", connect(c, (struct sockaddr *)&got, len));
	len = sizeof(got);
	getsockname(c, (struct sockaddr *)&got, &len);
	CHECK_EQ("a SO_PASSCRED socket is autobound by connect", len, 8);
	a = accept(l, (struct sockaddr *)&got, &len);
	CHECK_EQ("accept gives its autobound name", len, 8);
	close(a);
	close(c);
	close(l);
}

static void
check_options(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), v;
	struct timeval tv = {0, 20000}, tg;
	struct linger lg = {1, 5}, lgot;
	socklen_t len;
	short sv;
	int sp[2];
	char c;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){10000}, sizeof(int));
	CHECK_EQ("SO_SNDBUF 10000 reads back doubled", geti(fd, SO_SNDBUF), 20000);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){1}, sizeof(int));
	CHECK_EQ("SO_SNDBUF 1 reads back as the minimum", geti(fd, SO_SNDBUF), 4608);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){1}, sizeof(int));
	CHECK_EQ("SO_RCVBUF 1 reads back as the minimum", geti(fd, SO_RCVBUF), 2304);
	CHECK_ERR("setsockopt of an int with optlen 2 is EINVAL",
		  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, 2), EINVAL);
	CHECK_ERR("setsockopt with optlen -1 is EINVAL",
		  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, (socklen_t)-1), EINVAL);
	CHECK_OK("SO_REUSEADDR", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)));
	CHECK_EQ("SO_REUSEADDR reads back", geti(fd, SO_REUSEADDR), 1);
	CHECK_ERR("setsockopt(SO_TYPE) is ENOPROTOOPT",
		  setsockopt(fd, SOL_SOCKET, SO_TYPE, &(int){1}, sizeof(int)), ENOPROTOOPT);
	CHECK_ERR("getsockopt of option 9999 is ENOPROTOOPT",
		  getsockopt(fd, SOL_SOCKET, 9999, &v, &(socklen_t){4}), ENOPROTOOPT);
	CHECK_ERR("getsockopt at level SOL_IP is EOPNOTSUPP",
		  getsockopt(fd, 0, 1, &v, &(socklen_t){4}), EOPNOTSUPP);
	CHECK_ERR("getsockopt with a negative length is EINVAL",
		  getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &(socklen_t){(socklen_t)-1}), EINVAL);
	CHECK_ERR("getsockopt to a bad length pointer is EFAULT",
		  getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8), EFAULT);
	len = 2;
	sv = -1;
	CHECK_EQ("getsockopt(SO_TYPE) into 2 bytes", getsockopt(fd, SOL_SOCKET, SO_TYPE, &sv, &len),
		 0);
	CHECK_EQ("... gives 2 bytes", len, 2);
	CHECK_EQ("... of the value", sv, SOCK_STREAM);
	CHECK_OK("SO_LINGER", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	len = sizeof(lgot);
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len);
	CHECK_TRUE("SO_LINGER reads back", lgot.l_onoff == 1 && lgot.l_linger == 5 && len == 8,
		   "onoff %d linger %d len %u", lgot.l_onoff, lgot.l_linger, len);
	CHECK_ERR("SO_LINGER with a short length is EINVAL",
		  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL);
	tg.tv_sec = 0;
	tg.tv_usec = 2000000;
	CHECK_ERR("SO_RCVTIMEO with tv_usec 2000000 is EDOM",
		  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tg, sizeof(tg)), EDOM);
	CHECK_ERR("SO_RCVTIMEO with a short length is EINVAL",
		  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
	close(fd);

	/* A receive timeout ends a blocking recv with EAGAIN (socket(7)). */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	CHECK_OK("SO_RCVTIMEO 20 ms", setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	len = sizeof(tg);
	getsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tg, &len);
	CHECK_TRUE("SO_RCVTIMEO reads back", tg.tv_sec == 0 && tg.tv_usec == 20000, "%ld.%06ld",
		   (long)tg.tv_sec, (long)tg.tv_usec);
	CHECK_ERR("a blocking recv past SO_RCVTIMEO is EAGAIN", recv(sp[0], &c, 1, 0), EAGAIN);
	/* A send timeout ends a send into a full buffer with EAGAIN, or a short count. */
	CHECK_OK("SO_SNDTIMEO 20 ms", setsockopt(sp[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	{
		static char big[1 << 20];
		long n;

		while ((n = send(sp[1], big, sizeof(big), 0)) > 0)
			;
		CHECK_ERR("a blocking send past SO_SNDTIMEO into a full socket is EAGAIN", n, EAGAIN);
	}
	close(sp[0]);
	close(sp[1]);
}

/* A child connects and checks SO_PEERCRED; a forking server echoes. */
static void
check_fork(void)
{
	struct sockaddr_un sun;
	socklen_t sl;
	char p1[100];
	int l, i, st, ok = 0;
	pid_t kids[3], srv;

	path(p1, "echo");
	sl = mkaddr(&sun, p1, 0);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!CHECK_OK("bind the echo server", bind(l, (struct sockaddr *)&sun, sl)) ||
	    !CHECK_OK("listen", listen(l, 8)))
		return;
	srv = fork();
	if (srv == 0) {
		/* The server: a child per connection, each echoing until end of file. */
		for (i = 0; i < 3; i++) {
			int a = accept(l, NULL, NULL);
			struct ucred_ c;
			socklen_t cl = sizeof(c);

			if (a < 0)
				_exit(10);
			getsockopt(a, SOL_SOCKET, SO_PEERCRED, &c, &cl);
			if (fork() == 0) {
				char buf[256];
				ssize_t n;

				/* The pid of the client is in its first message. */
				n = read(a, buf, sizeof(buf));
				if (n <= 0 || atoi(buf) != c.pid)
					_exit(11);
				write(a, buf, (size_t)n);
				while ((n = read(a, buf, sizeof(buf))) > 0)
					write(a, buf, (size_t)n);
				_exit(n == 0 ? 0 : 12);
			}
			close(a);
		}
		for (i = 0; i < 3; i++) {
			if (wait(&st) < 0 || st != 0)
				_exit(13);
		}
		_exit(0);
	}
	close(l);
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			int c = socket(AF_UNIX, SOCK_STREAM, 0), j;
			char buf[64], got[64];
			size_t n;

			if (connect(c, (struct sockaddr *)&sun, sl) < 0)
				_exit(20);
			n = (size_t)snprintf(buf, sizeof(buf), "%d", getpid()) + 1;
			for (j = 0; j < 50; j++) {
				if (write(c, buf, n) != (ssize_t)n)
					_exit(21);
				if (recv(c, got, n, MSG_WAITALL) != (ssize_t)n || memcmp(got, buf, n))
					_exit(22);
			}
			shutdown(c, SHUT_WR);
			_exit(read(c, got, 1) == 0 ? 0 : 23);
		}
	}
	for (i = 0; i < 3; i++)
		ok += waitpid(kids[i], &st, 0) == kids[i] && st == 0;
	CHECK_EQ("three clients echoed 50 times each, SO_PEERCRED their pids", ok, 3);
	CHECK_EQ("the forking server ended well", waitpid(srv, &st, 0) == srv ? st : -1, 0);
	unlink(p1);
}

/* 1 MiB through a socket pair: the writer blocks on a full buffer; MSG_WAITALL. */
static void
check_bulk(void)
{
	static unsigned char buf[1 << 20], got[1 << 20];
	int sv[2], st;
	size_t i;
	pid_t pid;
	ssize_t n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(write(sv[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
	}
	close(sv[1]);
	n = recv(sv[0], got, sizeof(got), MSG_WAITALL);
	CHECK_EQ("MSG_WAITALL gets the whole MiB", n, (ssize_t)sizeof(got));
	CHECK_TRUE("the bytes arrived in order", memcmp(buf, got, sizeof(buf)) == 0, "differ");
	CHECK_EQ("the writer's one write moved it all", waitpid(pid, &st, 0) == pid ? st : -1, 0);
	CHECK_EQ("then end of file", read(sv[0], got, 1), 0);
	close(sv[0]);
}

/* accept(2) with the descriptor table full: EMFILE, and the connection waits for a later accept. */
static void
check_emfile(void)
{
	int sv[2], l, c, a, fd, last = -1;
	struct sockaddr_un sun;
	socklen_t sl;
	char name[40], b = 0;

	snprintf(name, sizeof(name), "t_unix_stream.emfile.%d", getpid());
	sl = mkaddr(&sun, name, 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&sun, sl);
	listen(l, 4);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&sun, sl);
	write(c, "e", 1);
	while ((fd = dup(0)) >= 0)
		last = fd;
	CHECK_ERR("accept with the table full is EMFILE", accept(l, NULL, NULL), EMFILE);
	CHECK_ERR("socketpair with the table full is EMFILE", socketpair(AF_UNIX, SOCK_STREAM, 0, sv),
		  EMFILE);
	close(last);
	a = accept(l, NULL, NULL);
	CHECK_OK("then the connection is still there to accept", a);
	CHECK_EQ("... with its byte", read(a, &b, 1), 1);
	close(a);
	for (fd = last - 1; fd > c; fd--)
		close(fd);
	close(c);
	close(l);
}

/* 10000 connections made and closed: no descriptor stays behind. */
static void
check_many(void)
{
	struct sockaddr_un sun;
	socklen_t sl;
	int l, i, bad = 0, before, after;
	char name[40];

	snprintf(name, sizeof(name), "t_unix_stream.many.%d", getpid());
	sl = mkaddr(&sun, name, 1);
	before = dup(0);
	close(before);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&sun, sl);
	listen(l, 4);
	for (i = 0; i < 10000; i++) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0), a;
		char ch = 0;

		if (connect(c, (struct sockaddr *)&sun, sl) < 0) {
			bad++;
			close(c);
			continue;
		}
		a = accept(l, NULL, NULL);
		if (a < 0 || write(c, "z", 1) != 1 || read(a, &ch, 1) != 1 || ch != 'z')
			bad++;
		close(a);
		close(c);
	}
	close(l);
	after = dup(0);
	close(after);
	CHECK_EQ("10000 connections each carried a byte", bad, 0);
	CHECK_EQ("and left no descriptor behind", after, before);
}

int
main(int argc, char **argv)
{
	guest_begin("t_unix_stream", "AF_UNIX stream sockets");
	signal(SIGPIPE, on_pipe);
	snprintf(dir, sizeof(dir), "%s/t_unix_stream.%d", argc > 1 ? argv[1] : "/tmp", getpid());
	if (mkdir(dir, 0700) < 0) {
		check(0, "mkdir the work directory", "errno %s", errname(errno));
		return guest_end();
	}
	check_socket_errors();
	check_pair();
	check_shutdown();
	check_names();
	check_abstract();
	check_options();
	check_fork();
	check_bulk();
	check_emfile();
	check_many();
	{
		char p[100];

		path(p, "regular");
		unlink(p);
		path(p, "dgram");
		unlink(p);
	}
	rmdir(dir);
	return guest_end();
}
