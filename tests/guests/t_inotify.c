/*
 * t_inotify - inotify(7) as the man pages describe it, for changes made
 * through the kernel itself.
 *
 * Usage: t_inotify DIR   (DIR: a writable directory: /tmp, or a host bind)
 *
 * Checks:
 *   - inotify_init1: flags other than IN_NONBLOCK|IN_CLOEXEC are EINVAL;
 *     IN_NONBLOCK shows in F_GETFL, IN_CLOEXEC as FD_CLOEXEC;
 *   - inotify_add_watch ERRORS: EBADF, EINVAL (not an inotify descriptor, a
 *     mask of no event, IN_MASK_ADD|IN_MASK_CREATE), ENOENT, ENOTDIR
 *     (IN_ONLYDIR), EEXIST (IN_MASK_CREATE on a watched inode), EFAULT; the
 *     same inode twice is the same wd; IN_DONT_FOLLOW watches a link;
 *   - inotify_rm_watch: EINVAL for an unknown wd and a non-inotify fd, EBADF;
 *     an IN_IGNORED event, then silence;
 *   - the events of creating, writing, reading, closing, chmod, renaming
 *     (MOVED_FROM/MOVED_TO with one nonzero cookie, MOVE_SELF), mkdir, rmdir,
 *     unlink (ATTRIB, DELETE_SELF, IGNORED on the file's own watch), with
 *     IN_ISDIR on directories, in the order Linux queues them, on a watch of
 *     the directory and of the file itself;
 *   - IN_ONESHOT, IN_MASK_ADD, a mask replaced without it; IN_EXCL_UNLINK;
 *   - coalescing of identical consecutive events, and none of others;
 *   - read(2): EINVAL when the buffer cannot hold the next event, names
 *     padded with NULs to a multiple of 16 bytes; FIONREAD; EAGAIN empty;
 *   - poll, select and epoll report readability only with events queued; a
 *     blocking read wakes on a forked child's change;
 *   - IN_Q_OVERFLOW (wd -1) once the queue holds max_queued_events.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static char dir[512];

static const char *
P(const char *name)
{
	static char buf[4][600];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(buf[turn], sizeof(buf[turn]), "%s/%s", dir, name);
	return buf[turn];
}

/* Labels of wds for the event text: wd i is labels[i]. */
static const char *labels[64];

static void
masktext(uint32_t m, char *out, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
	    {IN_ACCESS, "ACCESS"},	   {IN_MODIFY, "MODIFY"},
	    {IN_ATTRIB, "ATTRIB"},	   {IN_CLOSE_WRITE, "CLOSE_WRITE"},
	    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
	    {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
	    {IN_CREATE, "CREATE"},	   {IN_DELETE, "DELETE"},
	    {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
	    {IN_UNMOUNT, "UNMOUNT"},	   {IN_Q_OVERFLOW, "Q_OVERFLOW"},
	    {IN_IGNORED, "IGNORED"},	   {IN_ISDIR, "ISDIR"},
	};
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(m & names[i].bit))
			continue;
		off += snprintf(out + off, size - off, "%s%s", off ? "|" : "", names[i].name);
		m &= ~names[i].bit;
	}
	if (m)
		snprintf(out + off, size - off, "%s0x%x", off ? "|" : "", m);
}

/*
 * drain - read every queued event (the descriptor is non-blocking) into
 * text "label:MASK[:name] ..." ; cookies of MOVED_FROM/TO pairs must be
 * equal and nonzero, others zero: a break of that shows as "cookie?".
 */
static void
drain(int fd, char *out, size_t size)
{
	char buf[8192] __attribute__((aligned(8)));
	uint32_t from_cookie = 0;
	size_t off = 0;
	ssize_t n;

	out[0] = '\0';
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *q = buf;

		while (q < buf + n) {
			struct inotify_event *e = (struct inotify_event *)q;
			char m[160];
			const char *l = e->wd > 0 && e->wd < 64 && labels[e->wd] ? labels[e->wd] : "?";
			int bad = 0;

			if (e->wd == -1)
				l = "-1";
			masktext(e->mask, m, sizeof(m));
			if (e->mask & IN_MOVED_FROM)
				from_cookie = e->cookie, bad = e->cookie == 0;
			else if (e->mask & IN_MOVED_TO)
				bad = e->cookie != from_cookie || e->cookie == 0;
			else
				bad = e->cookie != 0;
			off += snprintf(out + off, size - off, "%s%s:%s%s%s%s", off ? " " : "", l, m,
					e->len ? ":" : "", e->len ? e->name : "", bad ? ":cookie?" : "");
			if (off >= size)
				off = size - 1;
			q += sizeof(*e) + e->len;
		}
	}
}

static void
expect(int fd, const char *what, const char *want)
{
	char got[4096];

	drain(fd, got, sizeof(got));
	CHECK_STR(what, got, want);
}

static int
mkfile(const char *name, const char *data)
{
	int fd = open(P(name), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (data)
		write(fd, data, strlen(data));
	return close(fd);
}

static void
errors(void)
{
	int in = inotify_init1(IN_NONBLOCK), pfd[2], fd, wd, wd2;

	CHECK_ERR("inotify_init1(O_APPEND) EINVAL", inotify_init1(O_APPEND), EINVAL);
	CHECK_ERR("inotify_init1(0x1) EINVAL", inotify_init1(1), EINVAL);
	CHECK_EQX("IN_NONBLOCK in F_GETFL", fcntl(in, F_GETFL) & (O_NONBLOCK | O_ACCMODE),
		  O_NONBLOCK | O_RDONLY);
	CHECK_EQ("no FD_CLOEXEC without IN_CLOEXEC", fcntl(in, F_GETFD), 0);
	fd = inotify_init1(IN_CLOEXEC);
	CHECK_EQ("IN_CLOEXEC is FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ("IN_CLOEXEC: blocking", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	fd = inotify_init();
	CHECK_OK("inotify_init", fd);
	close(fd);

	mkfile("e", "x");
	CHECK_ERR("add_watch bad fd EBADF", inotify_add_watch(999, dir, IN_ALL_EVENTS), EBADF);
	CHECK_OK("pipe", pipe(pfd));
	CHECK_ERR("add_watch on a pipe EINVAL", inotify_add_watch(pfd[0], dir, IN_ALL_EVENTS),
		  EINVAL);
	CHECK_ERR("rm_watch on a pipe EINVAL", inotify_rm_watch(pfd[0], 1), EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	CHECK_ERR("add_watch mask 0 EINVAL", inotify_add_watch(in, dir, 0), EINVAL);
	CHECK_ERR("add_watch MASK_ADD|MASK_CREATE EINVAL",
		  inotify_add_watch(in, dir, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
	CHECK_ERR("add_watch missing ENOENT", inotify_add_watch(in, P("nope"), IN_MODIFY), ENOENT);
	CHECK_ERR("add_watch ONLYDIR on a file ENOTDIR",
		  inotify_add_watch(in, P("e"), IN_MODIFY | IN_ONLYDIR), ENOTDIR);
	CHECK_ERR("add_watch file/x ENOTDIR", inotify_add_watch(in, P("e/x"), IN_MODIFY), ENOTDIR);
	CHECK_ERR("add_watch bad path EFAULT",
		  (int)syscall(SYS_inotify_add_watch, in, (char *)8, IN_MODIFY), EFAULT);
	/* A mask of flags alone is no zero mask: a watch of no event. */
	CHECK_EQ("only IN_ONLYDIR: the first wd, 1", inotify_add_watch(in, dir, IN_ONLYDIR), 1);
	wd = inotify_add_watch(in, P("e"), IN_MODIFY);
	CHECK_EQ("next wd 2", wd, 2);
	wd2 = inotify_add_watch(in, P("e"), IN_ATTRIB);
	CHECK_EQ("same inode, same wd", wd2, wd);
	CHECK_ERR("MASK_CREATE on a watched inode EEXIST",
		  inotify_add_watch(in, P("e"), IN_ATTRIB | IN_MASK_CREATE), EEXIST);
	CHECK_ERR("MASK_CREATE on the watched dir EEXIST",
		  inotify_add_watch(in, dir, IN_ATTRIB | IN_MASK_CREATE), EEXIST);
	CHECK_EQ("the dir's mask replaced", inotify_add_watch(in, dir, IN_ATTRIB), 1);
	CHECK_OK("symlink", symlink("e", P("l")));
	CHECK_EQ("a link followed: the file's wd", inotify_add_watch(in, P("l"), IN_ATTRIB), wd);
	CHECK_EQ("IN_DONT_FOLLOW: the link's own wd",
		 inotify_add_watch(in, P("l"), IN_ATTRIB | IN_DONT_FOLLOW), 3);
	CHECK_ERR("rm_watch unknown wd EINVAL", inotify_rm_watch(in, 77), EINVAL);
	CHECK_ERR("rm_watch wd 0 EINVAL", inotify_rm_watch(in, 0), EINVAL);
	CHECK_ERR("rm_watch wd -1 EINVAL", inotify_rm_watch(in, -1), EINVAL);
	CHECK_ERR("rm_watch bad fd EBADF", inotify_rm_watch(999, 1), EBADF);
	labels[1] = "D";
	labels[2] = "e";
	labels[3] = "l";
	CHECK_OK("rm_watch", inotify_rm_watch(in, wd));
	CHECK_ERR("rm_watch twice EINVAL", inotify_rm_watch(in, wd), EINVAL);
	expect(in, "rm_watch queues IN_IGNORED", "e:IGNORED");
	CHECK_OK("chmod e", chmod(P("e"), 0600));
	expect(in, "after rm_watch: only the dir's watch", "D:ATTRIB:e");
	unlink(P("l"));
	unlink(P("e"));
	/* The link's watch asked for IN_ATTRIB only: IN_IGNORED comes anyway. */
	expect(in, "unlink of a link: its watch goes", "l:ATTRIB l:IGNORED");
	close(in);
}

/* The events of a file's life, seen from its directory. */
static void
lifecycle(void)
{
	int in = inotify_init1(IN_NONBLOCK), wd, fd, fw;
	char c[4];

	wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
	labels[wd] = "D";
	fd = open(P("f"), O_CREAT | O_WRONLY | O_EXCL, 0644);
	write(fd, "abc", 3);
	close(fd);
	expect(in, "create, write, close", "D:CREATE:f D:OPEN:f D:MODIFY:f D:CLOSE_WRITE:f");
	fd = open(P("f"), O_RDONLY);
	read(fd, c, 2);
	read(fd, c, 2);
	read(fd, c, 2); /* end of file: no event */
	close(fd);
	expect(in, "open, read twice (coalesced), close",
	       "D:OPEN:f D:ACCESS:f D:CLOSE_NOWRITE:f");
	fd = open(P("f"), O_WRONLY | O_TRUNC);
	close(fd);
	expect(in, "O_TRUNC", "D:OPEN:f D:MODIFY:f D:CLOSE_WRITE:f");
	fw = inotify_add_watch(in, P("f"), IN_ALL_EVENTS);
	labels[fw] = "f";
	chmod(P("f"), 0600);
	expect(in, "chmod: the dir's then the file's", "D:ATTRIB:f f:ATTRIB");
	rename(P("f"), P("g"));
	expect(in, "rename", "D:MOVED_FROM:f D:MOVED_TO:g f:MOVE_SELF");
	fd = open(P("g"), O_RDWR);
	write(fd, "x", 1);
	pread(fd, c, 1, 0);
	write(fd, "x", 1);
	close(fd);
	expect(in, "write read write: not coalesced",
	       "D:OPEN:g f:OPEN D:MODIFY:g f:MODIFY D:ACCESS:g f:ACCESS D:MODIFY:g f:MODIFY "
	       "D:CLOSE_WRITE:g f:CLOSE_WRITE");
	truncate(P("g"), 1);
	expect(in, "truncate", "D:MODIFY:g f:MODIFY");
	mkdir(P("sub"), 0755);
	fd = open(P("sub"), O_RDONLY | O_DIRECTORY);
	close(fd);
	rmdir(P("sub"));
	expect(in, "mkdir, open dir, rmdir",
	       "D:CREATE|ISDIR:sub D:OPEN|ISDIR:sub D:CLOSE_NOWRITE|ISDIR:sub D:DELETE|ISDIR:sub");
	link(P("g"), P("h"));
	expect(in, "link", "f:ATTRIB D:CREATE:h");
	unlink(P("h"));
	expect(in, "unlink of one of two links", "f:ATTRIB D:DELETE:h");
	unlink(P("g"));
	expect(in, "unlink of the last link", "f:ATTRIB f:DELETE_SELF f:IGNORED D:DELETE:g");
	close(in);
}

/* Moves between two watched directories; a watched directory moved and removed. */
static void
moves(void)
{
	int in = inotify_init1(IN_NONBLOCK), a, b, s;

	mkdir(P("a"), 0755);
	mkdir(P("b"), 0755);
	mkfile("a/x", NULL);
	mkfile("b/y", NULL);
	a = inotify_add_watch(in, P("a"), IN_MOVE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
	b = inotify_add_watch(in, P("b"), IN_MOVE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
	labels[a] = "a";
	labels[b] = "b";
	rename(P("a/x"), P("b/x"));
	expect(in, "move between directories", "a:MOVED_FROM:x b:MOVED_TO:x");
	rename(P("b/x"), P("b/y"));
	expect(in, "a rename over a file", "b:MOVED_FROM:x b:MOVED_TO:y");
	mkdir(P("a/s"), 0755);
	s = inotify_add_watch(in, P("a/s"), IN_ALL_EVENTS);
	labels[s] = "s";
	rename(P("a/s"), P("b/s"));
	expect(in, "a directory moved", "a:MOVED_FROM|ISDIR:s b:MOVED_TO|ISDIR:s s:MOVE_SELF");
	rmdir(P("b/s"));
	expect(in, "a watched directory removed",
	       "s:DELETE_SELF s:IGNORED b:DELETE|ISDIR:s");
	unlink(P("b/y"));
	rmdir(P("b"));
	expect(in, "rmdir of a watched directory", "b:DELETE:y b:DELETE_SELF b:IGNORED");
	rmdir(P("a"));
	expect(in, "rmdir of a watched directory (2)", "a:DELETE_SELF a:IGNORED");
	close(in);
}

static void
masks(void)
{
	int in = inotify_init1(IN_NONBLOCK), wd, fd;

	mkfile("m", NULL);
	wd = inotify_add_watch(in, P("m"), IN_ATTRIB | IN_ONESHOT);
	labels[wd] = "m";
	chmod(P("m"), 0600);
	chmod(P("m"), 0644);
	expect(in, "IN_ONESHOT: one event then IGNORED", "m:ATTRIB m:IGNORED");
	CHECK_ERR("the oneshot wd is gone", inotify_rm_watch(in, wd), EINVAL);
	wd = inotify_add_watch(in, P("m"), IN_ATTRIB);
	labels[wd] = "m2";
	CHECK_EQ("a new wd after IN_ONESHOT", wd, 2);
	inotify_add_watch(in, P("m"), IN_MODIFY | IN_MASK_ADD);
	fd = open(P("m"), O_WRONLY);
	write(fd, "1", 1);
	close(fd);
	chmod(P("m"), 0600);
	expect(in, "IN_MASK_ADD keeps ATTRIB", "m2:MODIFY m2:ATTRIB");
	inotify_add_watch(in, P("m"), IN_MODIFY);
	chmod(P("m"), 0644);
	fd = open(P("m"), O_WRONLY);
	write(fd, "1", 1);
	write(fd, "2", 1);
	close(fd);
	expect(in, "a mask replaced; identical events coalesced", "m2:MODIFY");
	unlink(P("m"));
	expect(in, "unlink with no DELETE_SELF asked: still IGNORED", "m2:IGNORED");
	close(in);
}

/*
 * IN_EXCL_UNLINK: no events for a child once it is unlinked (an open file
 * written after its unlink); without it they still come, with the name.
 */
static void
excl_unlink(void)
{
	int in = inotify_init1(IN_NONBLOCK), wd, fd;

	mkfile("u", NULL);
	wd = inotify_add_watch(in, dir, IN_MODIFY);
	labels[wd] = "D";
	fd = open(P("u"), O_WRONLY);
	unlink(P("u"));
	write(fd, "1", 1);
	expect(in, "unlinked child, no IN_EXCL_UNLINK: still seen", "D:MODIFY:u");
	inotify_add_watch(in, dir, IN_MODIFY | IN_EXCL_UNLINK);
	write(fd, "2", 1);
	expect(in, "unlinked child, IN_EXCL_UNLINK: nothing", "");
	close(fd);
	mkfile("u", "x");
	expect(in, "a linked child, IN_EXCL_UNLINK: seen", "D:MODIFY:u");
	unlink(P("u"));
	close(in);
}

/*
 * An open file unlinked: its inode lives until the last close, and only
 * then comes IN_DELETE_SELF (and the watch's end); a dup and a forked
 * child's copy keep it too.
 */
static void
delete_open(void)
{
	int in = inotify_init1(IN_NONBLOCK), wd, fd, fd2;
	pid_t pid;
	int st;

	mkfile("o", NULL);
	fd = open(P("o"), O_RDONLY);
	fd2 = open(P("o"), O_RDONLY);
	wd = inotify_add_watch(in, P("o"), IN_ATTRIB | IN_DELETE_SELF | IN_CLOSE);
	labels[wd] = "o";
	unlink(P("o"));
	expect(in, "unlink of an open file: IN_ATTRIB only", "o:ATTRIB");
	close(fd);
	expect(in, "one of two opens closed: no end yet", "o:CLOSE_NOWRITE");
	pid = fork();
	if (pid == 0) {
		close(in);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	expect(in, "a child's copy closed at its exit: still not the last", "");
	close(fd2);
	expect(in, "the last close: DELETE_SELF, IGNORED", "o:CLOSE_NOWRITE o:DELETE_SELF o:IGNORED");
	close(in);
}

/* read(2) sizes, padding, FIONREAD, poll, select, epoll, a blocking read. */
static void
reading(void)
{
	int in = inotify_init1(IN_NONBLOCK), wd, n = -1, ep, i, pad_ok = 1;
	char buf[256] __attribute__((aligned(8)));
	struct inotify_event *e = (struct inotify_event *)buf;
	struct pollfd pfd = {.events = POLLIN};
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct timeval tv = {0, 0};
	fd_set rs;
	pid_t pid;
	int st;

	wd = inotify_add_watch(in, dir, IN_CREATE);
	pfd.fd = in;
	CHECK_EQ("poll empty", poll(&pfd, 1, 0), 0);
	FD_ZERO(&rs);
	FD_SET(in, &rs);
	CHECK_EQ("select empty", select(in + 1, &rs, NULL, NULL, &tv), 0);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev);
	CHECK_EQ("epoll empty", epoll_wait(ep, &out, 1, 0), 0);
	CHECK_ERR("read empty EAGAIN", read(in, buf, sizeof(buf)), EAGAIN);
	CHECK_OK("FIONREAD empty", ioctl(in, FIONREAD, &n));
	CHECK_EQ("FIONREAD empty is 0", n, 0);
	mkfile("abcde", NULL);
	CHECK_EQ("poll: POLLIN", poll(&pfd, 1, 0) == 1 ? pfd.revents : -1, POLLIN);
	FD_SET(in, &rs);
	CHECK_EQ("select: readable", select(in + 1, &rs, NULL, NULL, &tv), 1);
	CHECK_EQ("epoll: EPOLLIN", epoll_wait(ep, &out, 1, 0) == 1 ? (int)out.events : -1, EPOLLIN);
	ioctl(in, FIONREAD, &n);
	CHECK_EQ("FIONREAD: 16 + name padded to 16", n, 32);
	CHECK_ERR("read of 16 bytes EINVAL", read(in, buf, 16), EINVAL);
	CHECK_ERR("read of 31 bytes EINVAL", read(in, buf, 31), EINVAL);
	memset(buf, 0x55, sizeof(buf));
	CHECK_EQ("read of exactly 32", read(in, buf, 32), 32);
	CHECK_EQ("wd", e->wd, wd);
	CHECK_EQX("mask", e->mask, IN_CREATE);
	CHECK_EQ("len 16", e->len, 16);
	CHECK_STR("name", e->name, "abcde");
	for (i = 5; i < 16; i++)
		pad_ok &= e->name[i] == 0;
	CHECK_TRUE("name padded with NULs", pad_ok, "got non-zero padding");
	mkfile("a123456789abcdef", NULL); /* 16 bytes: padded to 32 */
	mkfile("b", NULL);
	ioctl(in, FIONREAD, &n);
	CHECK_EQ("FIONREAD two events", n, 16 + 32 + 16 + 16);
	CHECK_EQ("a read takes whole events only", read(in, buf, 64), 48);
	CHECK_EQ("len of a 16-byte name", e->len, 32);
	CHECK_EQ("then the next", read(in, buf, sizeof(buf)), 32);
	CHECK_EQ("poll after draining", poll(&pfd, 1, 0), 0);

	/* A blocking read wakes on a child's change. */
	fcntl(in, F_SETFL, 0);
	pid = fork();
	if (pid == 0) {
		mkfile("child", NULL);
		_exit(0);
	}
	CHECK_EQ("blocking read", read(in, buf, sizeof(buf)), 32);
	CHECK_STR("the child's file", e->name, "child");
	waitpid(pid, &st, 0);
	close(ep);
	close(in);
	unlink(P("abcde"));
	unlink(P("a123456789abcdef"));
	unlink(P("b"));
	unlink(P("child"));
}

/* The queue holds max_queued_events; then one IN_Q_OVERFLOW. */
static void
overflow(void)
{
	int in = inotify_init1(IN_NONBLOCK), fd, i, max = 16384, n = 0, over = 0, last = 0;
	char buf[4096] __attribute__((aligned(8)));
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	ssize_t r;

	if (fp) {
		if (fscanf(fp, "%d", &max) != 1)
			max = 16384;
		fclose(fp);
	}
	mkfile("o", NULL);
	inotify_add_watch(in, P("o"), IN_MODIFY | IN_ACCESS);
	fd = open(P("o"), O_RDWR);
	/* Alternate MODIFY and ACCESS so that nothing coalesces: max + 10 events. */
	for (i = 0; i < max + 10; i++) {
		if (i % 2 == 0)
			pwrite(fd, "z", 1, 0);
		else
			pread(fd, buf, 1, 0);
	}
	close(fd);
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		char *q = buf;

		while (q < buf + r) {
			struct inotify_event *e = (struct inotify_event *)q;

			if (e->mask & IN_Q_OVERFLOW) {
				over++;
				CHECK_EQ("overflow wd -1", e->wd, -1);
				last = n;
			}
			n++;
			q += sizeof(*e) + e->len;
		}
	}
	CHECK_EQ("events read: max_queued_events + the overflow", n, max + 1);
	CHECK_EQ("one IN_Q_OVERFLOW", over, 1);
	CHECK_EQ("IN_Q_OVERFLOW last", last, max);
	close(in);
	unlink(P("o"));
}

int
main(int argc, char **argv)
{
	guest_begin("t_inotify", "inotify");
	if (argc < 2) {
		say("usage: t_inotify DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/inotify.%d", argv[1], (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		say("FAIL: mkdir %s: %s\n", dir, errname(errno));
		return 1;
	}
	errors();
	memset(labels, 0, sizeof(labels));
	lifecycle();
	memset(labels, 0, sizeof(labels));
	moves();
	memset(labels, 0, sizeof(labels));
	masks();
	memset(labels, 0, sizeof(labels));
	excl_unlink();
	memset(labels, 0, sizeof(labels));
	delete_open();
	memset(labels, 0, sizeof(labels));
	reading();
	overflow();
	rmdir(dir);
	return guest_end();
}
