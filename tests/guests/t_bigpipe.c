/*
 * t_bigpipe - writes larger than a pipe holds: blocking ones are delivered
 * whole, non-blocking ones are partial, and writes of at most PIPE_BUF bytes
 * are atomic (pipe(7), "PIPE_BUF"; signal(7), "Interruption of system calls").
 *
 * Usage: t_bigpipe
 *
 * Checks:
 *   - a blocking write(2) of 1 MiB to a child that reads 4096 bytes at a time
 *     and yields between reads returns 1048576, and the child receives every
 *     byte in order (a position-dependent pattern); the same with writev(2)
 *     of three pieces;
 *   - with a SA_RESTART handler for a signal the reader sends while the pipe
 *     is full and the write has moved nothing yet (or before the write
 *     began): the write is restarted and still returns 1048576;
 *   - with the same handler for a signal the reader sends after reading
 *     128 KiB: the write returns what it moved by then, at least 128 KiB and
 *     less than 1 MiB (signal(7): a call on a slow device that "has already
 *     transferred some data" returns it), and writing the rest delivers every
 *     byte once, in order;
 *   - O_NONBLOCK: 1 MiB into an empty pipe of the default 65536 bytes
 *     writes 65536, then 1 byte more is EAGAIN; a pipe with 1000 bytes of
 *     room takes no write of 4096 or of 1001 bytes (EAGAIN, nothing written:
 *     at most PIPE_BUF bytes go in whole or not at all), takes 1000, and the
 *     reader then finds exactly what was written.
 *
 * The reader waits for the handler's acknowledgement through a second pipe,
 * so the order of events is fixed by the program, not by timing; the 20 s
 * bound on that wait only turns a hang into a failure.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define BIG   (1 << 20)
#define CHUNK 4096
#define EARLY (128 << 10)

static unsigned char wbuf[BIG];
static volatile sig_atomic_t handled;
static int ack_fd = -1;

/* The byte at offset i of the stream. */
static unsigned char
pattern(uint32_t i)
{
	uint32_t x = i * 2654435761u;

	return (unsigned char)(x >> 11);
}

static void
on_usr1(int sig)
{
	(void)sig;
	handled++;
	if (ack_fd >= 0)
		(void)write(ack_fd, "a", 1);
}

/*
 * read_stream - read from fd, CHUNK bytes at a time with a yield between,
 * until EOF, or until stop bytes when stop > 0; check each byte against the
 * pattern starting at *pos. Returns 0, or -1 after printing what went wrong.
 */
static int
read_stream(int fd, uint32_t *pos, uint32_t stop)
{
	static unsigned char buf[CHUNK];
	uint32_t i;
	ssize_t n;

	for (;;) {
		size_t want = CHUNK;

		if (stop > 0 && stop - *pos < want)
			want = stop - *pos;
		if (stop > 0 && want == 0)
			return 0;
		n = read(fd, buf, want);
		if (n == 0)
			return 0;
		if (n < 0) {
			say("FAIL: reader: read at %u: errno %s\n", *pos, errname(errno));
			return -1;
		}
		for (i = 0; i < (uint32_t)n; i++)
			if (buf[i] != pattern(*pos + i)) {
				say("FAIL: reader: byte %u is %#x, want %#x\n", *pos + i, buf[i],
				    pattern(*pos + i));
				return -1;
			}
		*pos += (uint32_t)n;
		sched_yield();
	}
}

/* read_fill - read and check len bytes of 'P', the prefill. */
static int
read_fill(int fd, int len)
{
	char buf[CHUNK];
	int got = 0, i;

	while (got < len) {
		ssize_t n = read(fd, buf, len - got < CHUNK ? len - got : CHUNK);

		if (n <= 0)
			return -1;
		for (i = 0; i < n; i++)
			if (buf[i] != 'P')
				return -1;
		got += (int)n;
	}
	return 0;
}

/* wait_ack - the reader's wait for the handler's byte; 1 if it came. */
static int
wait_ack(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&p, 1, 20000) != 1 || read(fd, &c, 1) != 1) {
		say("FAIL: reader: no acknowledgement from the writer's handler in 20 s\n");
		return 0;
	}
	return 1;
}

/* end_reader - the reader child's exit: 0 when it got exactly BIG bytes. */
static void
end_reader(int ok, uint32_t pos)
{
	if (ok && pos != BIG)
		say("FAIL: reader: got %u bytes, want %u\n", pos, (unsigned)BIG);
	_exit(ok && pos == BIG ? 0 : 1);
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
check_whole(int vectored)
{
	const char *what = vectored ? "writev of 1 MiB in 3 pieces to a slow reader returns 1 MiB"
				    : "write of 1 MiB to a slow reader returns 1 MiB";
	struct iovec iov[3] = {
	    {.iov_base = wbuf, .iov_len = 1000},
	    {.iov_base = wbuf + 1000, .iov_len = BIG / 2},
	    {.iov_base = wbuf + 1000 + BIG / 2, .iov_len = BIG / 2 - 1000},
	};
	int fd[2], st;
	ssize_t n;
	pid_t pid;

	if (!CHECK_EQ("pipe", pipe(fd), 0))
		return;
	pid = fork();
	if (pid == 0) {
		uint32_t pos = 0;

		int ok;

		close(fd[1]);
		ok = read_stream(fd[0], &pos, 0) == 0;
		end_reader(ok, pos);
	}
	close(fd[0]);
	n = vectored ? writev(fd[1], iov, 3) : write(fd[1], wbuf, BIG);
	CHECK_EQ(what, n, BIG);
	close(fd[1]);
	st = reap(pid);
	CHECK_TRUE("the reader got every byte in order", st == 0, "reader status %#x", st);
}

/* The pipe's capacity filled with 'P' without blocking; the byte count. */
static int
prefill(int fd)
{
	static char p[CHUNK];
	int total = 0;
	ssize_t n;

	memset(p, 'P', sizeof(p));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = write(fd, p, sizeof(p))) > 0)
		total += (int)n;
	fcntl(fd, F_SETFL, 0);
	return total;
}

static void
check_restart(void)
{
	int fd[2], ack[2], fill, st;
	ssize_t n;
	pid_t pid;

	if (!CHECK_EQ("pipe", pipe(fd), 0) || !CHECK_EQ("ack pipe", pipe(ack), 0))
		return;
	fill = prefill(fd[1]);
	CHECK_TRUE("the pipe is filled", fill > 0, "got %d bytes", fill);
	handled = 0;
	ack_fd = ack[1];
	pid = fork();
	if (pid == 0) {
		uint32_t pos = 0;
		int ok;

		close(fd[1]);
		kill(getppid(), SIGUSR1);
		ok = wait_ack(ack[0]) && read_fill(fd[0], fill) == 0;
		if (!ok)
			say("FAIL: reader: the %d bytes of prefill did not come back\n", fill);
		ok = ok && read_stream(fd[0], &pos, 0) == 0;
		end_reader(ok, pos);
	}
	close(fd[0]);
	n = write(fd[1], wbuf, BIG);
	CHECK_EQ("a write of 1 MiB interrupted before moving anything (SA_RESTART) returns 1 MiB",
		 n, BIG);
	CHECK_EQ("the handler ran once", handled, 1);
	ack_fd = -1;
	close(fd[1]);
	st = reap(pid);
	CHECK_TRUE("the reader got the prefill and every byte in order", st == 0,
		   "reader status %#x", st);
	close(ack[0]);
	close(ack[1]);
}

static void
check_partial(void)
{
	int fd[2], ack[2], st;
	ssize_t n, m = -1;
	pid_t pid;

	if (!CHECK_EQ("pipe", pipe(fd), 0) || !CHECK_EQ("ack pipe", pipe(ack), 0))
		return;
	handled = 0;
	ack_fd = ack[1];
	pid = fork();
	if (pid == 0) {
		uint32_t pos = 0;
		int ok;

		close(fd[1]);
		ok = read_stream(fd[0], &pos, EARLY) == 0 && pos == EARLY;
		kill(getppid(), SIGUSR1);
		ok = ok && wait_ack(ack[0]);
		ok = ok && read_stream(fd[0], &pos, 0) == 0;
		end_reader(ok, pos);
	}
	close(fd[0]);
	n = write(fd[1], wbuf, BIG);
	CHECK_TRUE("a write of 1 MiB interrupted after 128 KiB returns what it moved",
		   n >= EARLY && n < BIG, "got %ld errno %s, want %d <= n < %d", (long)n,
		   n < 0 ? errname(errno) : "-", EARLY, BIG);
	CHECK_EQ("the handler ran once", handled, 1);
	ack_fd = -1;
	if (n > 0 && n < BIG) {
		m = write(fd[1], wbuf + n, BIG - n);
		CHECK_EQ("writing the rest returns the rest", m, BIG - n);
	}
	close(fd[1]);
	st = reap(pid);
	CHECK_TRUE("the reader got every byte once, in order", st == 0, "reader status %#x", st);
	close(ack[0]);
	close(ack[1]);
}

static void
check_nonblock(void)
{
	static char back[BIG];
	int fd[2], size, i, ok;
	ssize_t n;

	if (!CHECK_EQ("pipe2(O_NONBLOCK)", pipe2(fd, O_NONBLOCK | O_CLOEXEC), 0))
		return;
	size = fcntl(fd[0], F_GETPIPE_SZ);
	CHECK_EQ("F_GETPIPE_SZ of a new pipe is 65536", size, 65536);
	CHECK_EQ("a non-blocking write of 1 MiB to an empty pipe writes 65536",
		 write(fd[1], wbuf, BIG), 65536);
	CHECK_ERR("then 1 byte more is EAGAIN", write(fd[1], wbuf, 1), EAGAIN);
	n = read(fd[0], back, sizeof(back));
	CHECK_EQ("the reader finds 65536 bytes", n, 65536);
	CHECK_TRUE("the first 65536 of the stream", n == 65536 && memcmp(back, wbuf, 65536) == 0,
		   "other bytes");

	/* 1000 bytes of room left: in the last page, as Linux fills it. */
	CHECK_EQ("write 64536 bytes", write(fd[1], wbuf, 65536 - 1000), 65536 - 1000);
	CHECK_ERR("with 1000 bytes of room, a write of 4096 (= PIPE_BUF) is EAGAIN",
		  write(fd[1], wbuf + 64536, 4096), EAGAIN);
	CHECK_ERR("and a write of 1001 is EAGAIN", write(fd[1], wbuf + 64536, 1001), EAGAIN);
	CHECK_EQ("a write of 1000 fits", write(fd[1], wbuf + 64536, 1000), 1000);
	CHECK_ERR("then the pipe is full: 1 byte is EAGAIN", write(fd[1], wbuf, 1), EAGAIN);
	n = read(fd[0], back, sizeof(back));
	CHECK_EQ("the reader finds exactly 65536 bytes", n, 65536);
	ok = n == 65536;
	for (i = 0; ok && i < 65536; i++)
		ok = back[i] == (char)wbuf[i];
	CHECK_TRUE("in order, none of the refused writes among them", ok, "byte %d differs", i - 1);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	struct sigaction sa;
	uint32_t i;

	guest_begin("t_bigpipe", "pipe writes larger than the pipe, and PIPE_BUF atomicity");
	for (i = 0; i < BIG; i++)
		wbuf[i] = pattern(i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ("sigaction(SIGUSR1, SA_RESTART)", sigaction(SIGUSR1, &sa, NULL), 0);

	check_whole(0);
	check_whole(1);
	check_restart();
	check_partial();
	check_nonblock();
	return guest_end();
}
