/*
 * t_fifo - FIFOs in /tmp (fifo(7), mknod(2)): mkfifo and stat, EEXIST, a
 * writer child and a reader opening by name (each open waits for the
 * other side, whichever comes first), O_NONBLOCK opens, EOF, EPIPE and
 * SIGPIPE, unlink while open, mknod of a regular file and its errors.
 *
 * Usage: t_fifo
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static char dir[64], fifo[96];

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
check_make(void)
{
	struct stat st;
	char reg[128];
	int e;

	check(mkfifo(fifo, 0600) == 0, "mkfifo", "errno %s", errname(errno));
	check(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600,
	      "stat says S_IFIFO 0600", "mode %#o", (unsigned)st.st_mode);
	errno = 0;
	e = mkfifo(fifo, 0600) < 0 ? errno : 0;
	check(e == EEXIST, "mkfifo of an existing name", "errno %s, want EEXIST", errname(e));
	snprintf(reg, sizeof(reg), "%s/nodir/f", dir);
	e = mknod(reg, S_IFIFO | 0600, 0) < 0 ? errno : 0;
	check(e == ENOENT, "mknod under a missing directory", "errno %s, want ENOENT",
	      errname(e));
	snprintf(reg, sizeof(reg), "%s/reg", dir);
	check(mknod(reg, S_IFREG | 0640, 0) == 0, "mknod S_IFREG", "errno %s", errname(errno));
	check(stat(reg, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
		  (st.st_mode & 0777) == 0640,
	      "an empty regular file 0640", "mode %#o size %lld", (unsigned)st.st_mode,
	      (long long)st.st_size);
	e = mknodat(AT_FDCWD, reg, S_IFREG | 0600, 0) < 0 ? errno : 0;
	check(e == EEXIST, "mknodat of an existing name", "errno %s, want EEXIST", errname(e));
	unlink(reg);
	check(mknod(reg, 0600, 0) == 0 && stat(reg, &st) == 0 && S_ISREG(st.st_mode),
	      "mknod type 0 makes a regular file", "errno %s", errname(errno));
	unlink(reg);
	e = mknod(reg, S_IFDIR | 0700, 0) < 0 ? errno : 0;
	check(e == EPERM, "mknod S_IFDIR", "errno %s, want EPERM", errname(e));
	if (geteuid() != 0) {
		/* Root may make device nodes natively: only an unprivileged user sees EPERM. */
		e = mknod(reg, S_IFCHR | 0600, makedev(1, 3)) < 0 ? errno : 0;
		check(e == EPERM, "mknod S_IFCHR unprivileged", "errno %s, want EPERM",
		      errname(e));
	}
}

/* A child writes through the FIFO to its parent; each open waits for the other. */
static void
check_exchange(int reader_first)
{
	char buf[32];
	pid_t pid;
	ssize_t n;
	int fd, st;

	pid = fork();
	if (pid == 0) {
		int w = open(fifo, O_WRONLY);

		if (w < 0)
			_exit(2);
		if (write(w, "hello fifo", 10) != 10)
			_exit(3);
		_exit(close(w) == 0 ? 0 : 4);
	}
	if (!reader_first) {
		/* Likely let the child block in its open first; either order must work. */
		for (int i = 0; i < 100; i++)
			sched_yield();
	}
	fd = open(fifo, O_RDONLY);
	if (!check(fd >= 0, "blocking O_RDONLY open returns once a writer opened", "errno %s",
		   errname(errno))) {
		kill(pid, SIGKILL);
		reap(pid);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	check(n == 10 && memcmp(buf, "hello fifo", 10) == 0, "read what the child wrote",
	      "%zd bytes", n);
	st = reap(pid);
	check(st == 0, "writer child exit", "status %#x", st);
	n = read(fd, buf, sizeof(buf));
	check(n == 0, "EOF once the writer closed", "read returned %zd", n);
	close(fd);
}

static void
check_nonblock(void)
{
	char buf[8];
	int r, w, e;
	ssize_t n;

	errno = 0;
	w = open(fifo, O_WRONLY | O_NONBLOCK);
	e = w < 0 ? errno : 0;
	check(w < 0 && e == ENXIO, "O_WRONLY|O_NONBLOCK with no reader", "errno %s, want ENXIO",
	      errname(e));
	r = open(fifo, O_RDONLY | O_NONBLOCK);
	if (!check(r >= 0, "O_RDONLY|O_NONBLOCK opens at once", "errno %s", errname(errno)))
		return;
	n = read(r, buf, sizeof(buf));
	check(n == 0, "no writer ever: read is EOF", "read returned %zd", n);
	w = open(fifo, O_WRONLY | O_NONBLOCK);
	if (check(w >= 0, "O_WRONLY|O_NONBLOCK with a reader", "errno %s", errname(errno))) {
		errno = 0;
		n = read(r, buf, sizeof(buf));
		e = n < 0 ? errno : 0;
		check(n < 0 && e == EAGAIN, "empty with a writer: EAGAIN", "read %zd errno %s", n,
		      errname(e));
		check(write(w, "xy", 2) == 2, "write through the non-blocking pair", "errno %s",
		      errname(errno));
		n = read(r, buf, sizeof(buf));
		check(n == 2 && memcmp(buf, "xy", 2) == 0, "read it back", "%zd bytes", n);
		close(w);
	}
	close(r);
	/* Bytes left when the last end closes go with it (the pipe is freed). */
	r = open(fifo, O_RDWR | O_NONBLOCK);
	if (check(r >= 0 && write(r, "zz", 2) == 2, "O_RDWR end writes", "errno %s",
		  errname(errno))) {
		close(r);
		r = open(fifo, O_RDWR | O_NONBLOCK);
		errno = 0;
		n = read(r, buf, sizeof(buf));
		e = n < 0 ? errno : 0;
		check(n < 0 && e == EAGAIN, "a reopened FIFO is empty", "read %zd errno %s", n,
		      errname(e));
		close(r);
	}
}

static void
check_epipe_unlink(void)
{
	struct sigaction sa = {.sa_handler = SIG_IGN}, old;
	char buf[8];
	int r, w, rw, e;
	ssize_t n;

	rw = open(fifo, O_RDWR);
	if (!check(rw >= 0, "O_RDWR opens at once (Linux)", "errno %s", errname(errno)))
		return;
	r = open(fifo, O_RDONLY);
	w = open(fifo, O_WRONLY);
	check(r >= 0 && w >= 0, "blocking opens succeed with an O_RDWR end open", "r %d w %d",
	      r, w);
	close(rw);
	check(unlink(fifo) == 0, "unlink while open", "errno %s", errname(errno));
	check(write(w, "abc", 3) == 3, "write after unlink", "errno %s", errname(errno));
	n = read(r, buf, sizeof(buf));
	check(n == 3 && memcmp(buf, "abc", 3) == 0, "read after unlink", "%zd bytes", n);
	close(r);
	sigaction(SIGPIPE, &sa, &old);
	errno = 0;
	n = write(w, "x", 1);
	e = n < 0 ? errno : 0;
	check(n < 0 && e == EPIPE, "write with the reader gone", "%zd errno %s, want EPIPE", n,
	      errname(e));
	sigaction(SIGPIPE, &old, NULL);
	close(w);
}

/* SIGPIPE by default kills a writer whose reader closed. */
static void
check_sigpipe(void)
{
	pid_t pid;
	int r, st;

	check(mkfifo(fifo, 0600) == 0, "mkfifo again", "errno %s", errname(errno));
	pid = fork();
	if (pid == 0) {
		int w = open(fifo, O_WRONLY);

		if (w < 0)
			_exit(2);
		/* The parent closes its end once it has seen this byte. */
		if (write(w, "s", 1) != 1)
			_exit(3);
		for (;;)
			if (write(w, "x", 1) < 0)
				_exit(4);
	}
	r = open(fifo, O_RDONLY);
	if (r >= 0) {
		char c;

		check(read(r, &c, 1) == 1, "first byte from the child", "errno %s",
		      errname(errno));
		close(r);
	}
	st = reap(pid);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "writer killed by SIGPIPE",
	      "status %#x", st);
	unlink(fifo);
}

int
main(void)
{
	guest_begin("t_fifo", "FIFOs in /tmp");
	snprintf(dir, sizeof(dir), "/tmp/t_fifo.XXXXXX");
	if (!check(mkdtemp(dir) != NULL, "mkdtemp", "errno %s", errname(errno)))
		return guest_end();
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	check_make();
	check_exchange(1);
	check_exchange(0);
	check_nonblock();
	check_epipe_unlink();
	check_sigpipe();
	rmdir(dir);
	return guest_end();
}
