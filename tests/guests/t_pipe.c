/*
 * t_pipe - pipes between processes: EOF, EPIPE and SIGPIPE, pipe2 flags,
 * poll, and 1 MiB from a child to its parent with a checksum.
 *
 * Usage: t_pipe
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define BIG (1u << 20)

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

/* The byte at offset i of the stream the child sends. */
static unsigned char
pattern(uint32_t i)
{
	uint32_t x = i * 2654435761u;

	return (unsigned char)(x >> 13);
}

static void
check_eof(void)
{
	int fd[2], w2, st;
	char buf[16];
	pid_t pid;
	ssize_t n;

	if (!check(pipe(fd) == 0, "pipe", "errno %s", errname(errno)))
		return;
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		_exit(write(fd[1], "hello", 5) == 5 ? 0 : 1);
	}
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf));
	check(n == 5 && memcmp(buf, "hello", 5) == 0, "read what the child wrote", "%zd bytes",
	      n);
	n = read(fd[0], buf, sizeof(buf));
	check(n == 0, "EOF once the last writer is gone", "read returned %zd", n);
	st = reap(pid);
	check(st == 0, "writer child exit", "status %#x", st);
	close(fd[0]);

	/* A dup of the write end keeps the pipe open. */
	if (pipe(fd) < 0)
		return;
	w2 = dup(fd[1]);
	close(fd[1]);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	n = read(fd[0], buf, 1);
	check(n == -1 && errno == EAGAIN, "no EOF while a dup of the write end is open",
	      "read %zd errno %s", n, errname(errno));
	close(w2);
	n = read(fd[0], buf, 1);
	check(n == 0, "EOF after the dup is closed too", "read %zd errno %s", n, errname(errno));
	close(fd[0]);
}

static void
check_epipe(void)
{
	int fd[2], st;
	pid_t pid;
	ssize_t n;

	if (pipe(fd) < 0)
		return;
	close(fd[0]);
	signal(SIGPIPE, SIG_IGN);
	n = write(fd[1], "x", 1);
	check(n == -1 && errno == EPIPE, "write with no reader is EPIPE (SIGPIPE ignored)",
	      "write %zd errno %s", n, errname(errno));
	signal(SIGPIPE, SIG_DFL);
	pid = fork();
	if (pid == 0) {
		(void)write(fd[1], "x", 1);
		_exit(0);
	}
	st = reap(pid);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
	      "write with no reader kills with SIGPIPE by default", "status %#x", st);
	close(fd[1]);
}

static void
check_flags(void)
{
	int fd[2], fl, fd_fl, total = 0;
	struct stat st;
	char buf[4096];
	ssize_t n;

	if (!check(pipe2(fd, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2(O_CLOEXEC|O_NONBLOCK)",
		   "errno %s", errname(errno)))
		return;
	fd_fl = fcntl(fd[0], F_GETFD);
	fl = fcntl(fd[1], F_GETFL);
	check(fd_fl == FD_CLOEXEC, "FD_CLOEXEC set", "%#x", fd_fl);
	check((fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_WRONLY, "write end O_WRONLY|O_NONBLOCK",
	      "%#x", fl);
	n = read(fd[0], buf, 1);
	check(n == -1 && errno == EAGAIN, "empty non-blocking read is EAGAIN", "%zd %s", n,
	      errname(errno));
	memset(buf, 'z', sizeof(buf));
	while ((n = write(fd[1], buf, sizeof(buf))) > 0 && total < (16 << 20))
		total += (int)n;
	check(n == -1 && errno == EAGAIN && total >= 4096,
	      "a full non-blocking pipe says EAGAIN", "after %d bytes: %s", total,
	      errname(errno));
	check(fstat(fd[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat says S_IFIFO", "mode %#o",
	      (unsigned)st.st_mode);
	check(lseek(fd[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek is ESPIPE", "errno %s",
	      errname(errno));
	close(fd[0]);
	close(fd[1]);
}

static void
check_poll(void)
{
	struct pollfd p[2];
	int fd[2], r, st;
	pid_t pid;

	if (pipe(fd) < 0)
		return;
	p[0].fd = fd[0];
	p[0].events = POLLIN;
	p[1].fd = fd[1];
	p[1].events = POLLOUT;
	r = poll(p, 2, 0);
	check(r == 1 && p[0].revents == 0 && p[1].revents == POLLOUT,
	      "poll: empty pipe, write end writable", "r %d revents %#x %#x", r, p[0].revents,
	      p[1].revents);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		_exit(write(fd[1], "y", 1) == 1 ? 0 : 1);
	}
	close(fd[1]);
	r = poll(p, 1, -1);
	check(r == 1 && (p[0].revents & POLLIN), "poll wakes when the child writes",
	      "r %d revents %#x", r, p[0].revents);
	st = reap(pid);
	check(st == 0, "poll writer exit", "status %#x", st);
	{
		char c;

		(void)read(fd[0], &c, 1);
	}
	r = poll(p, 1, -1);
	check(r == 1 && (p[0].revents & POLLHUP), "poll says POLLHUP once the writer is gone",
	      "r %d revents %#x", r, p[0].revents);
	close(fd[0]);
}

static void
check_big(void)
{
	static unsigned char buf[70000];
	uint32_t sum = 0, want = 0, got = 0, i;
	int fd[2], st;
	pid_t pid;
	ssize_t n;

	if (pipe(fd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		uint32_t off = 0, chunk = 1;

		close(fd[0]);
		while (off < BIG) {
			uint32_t len = chunk < BIG - off ? chunk : BIG - off, done = 0;

			for (i = 0; i < len; i++)
				buf[i] = pattern(off + i);
			while (done < len) {
				n = write(fd[1], buf + done, len - done);
				if (n <= 0)
					_exit(1);
				done += (uint32_t)n;
			}
			off += len;
			chunk = chunk * 3 + 7;
			if (chunk > sizeof(buf))
				chunk = 1000;
		}
		_exit(0);
	}
	close(fd[1]);
	for (i = 0; i < BIG; i++)
		want = want * 31 + pattern(i);
	while ((n = read(fd[0], buf, 5000 + got % 9000)) > 0) {
		for (i = 0; i < (uint32_t)n; i++)
			sum = sum * 31 + buf[i];
		got += (uint32_t)n;
	}
	check(got == BIG, "1 MiB through a pipe", "%u bytes", got);
	check(sum == want, "the checksum matches", "%#x, want %#x", sum, want);
	st = reap(pid);
	check(st == 0, "writer exit", "status %#x", st);
	close(fd[0]);
}

int
main(void)
{
	guest_begin("t_pipe", "pipes between processes");
	check_eof();
	check_epipe();
	check_flags();
	check_poll();
	check_big();
	return guest_end();
}
