/*
 * hs_guest.c - the guest side of the host-side tests (tests/hostside): what
 * a program sees of the descriptors, signals and exec failures uvk's own
 * start-up hands it. Runs natively (suite guests-native) and under uvk
 * (suite integration) with the same expectations, taken from Linux.
 *
 *   hs_guest closed MASK   bit i of MASK set: descriptor i must be closed
 *                          (fstat, read, write and fcntl fail with EBADF),
 *                          the others open; 3..63 closed (nothing of uvk's
 *                          leaks in). Then as "wait". Exit 1 on a mismatch.
 *   hs_guest wait|pause    print which of SIGHUP, SIGINT, SIGQUIT, SIGTERM
 *                          start ignored, then "ready"; then for each line
 *                          read on stdin print "alive"; at end of input (or
 *                          with stdin closed) print "sleeping" and sleep
 *                          forever: in nanosleep (a timer) for "wait", in
 *                          pause() (nothing but a signal ends it) for "pause".
 *   hs_guest exec PATH...  execve each PATH and print "PATH: ERRNO-NAME".
 *
 * Messages go to stdout, or stderr when stdout is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int out = 1;

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (out >= 0 && n > 0 && write(out, buf, (size_t)n) < 0) {
		/* Nowhere else to say it. */
	}
}

/* 1 closed, 0 open, -1 neither (some calls say EBADF, others not). */
static int
is_closed(int fd)
{
	struct stat st;
	char c;
	int bad = 0;

	/* On a closed descriptor each fails with EBADF (their ERRORS sections). */
	errno = 0;
	bad += fstat(fd, &st) < 0 && errno == EBADF;
	errno = 0;
	bad += fcntl(fd, F_GETFD) < 0 && errno == EBADF;
	if (bad == 0)
		return 0;
	errno = 0;
	bad += read(fd, &c, 0) < 0 && errno == EBADF;
	errno = 0;
	bad += write(fd, &c, 0) < 0 && errno == EBADF;
	return bad == 4 ? 1 : -1;
}

static int
do_closed(unsigned mask)
{
	int fd, fails = 0, c;

	out = !(mask & 2) ? 1 : !(mask & 4) ? 2 : -1;
	for (fd = 0; fd < 64; fd++) {
		int want = fd < 3 ? !!(mask & (1u << fd)) : 1;

		c = is_closed(fd);
		if (fd < 3 || c != want)
			say("check: fd %d %s, want %s\n", fd,
			    c == 1 ? "closed" : c == 0 ? "open" : "half-closed",
			    want ? "closed" : "open");
		if (c != want)
			fails++;
	}
	return fails;
}

static void
wait_mode(int use_pause)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
	struct sigaction sa;
	char line[128];
	size_t i;
	ssize_t n;

	say("ignored:");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			say(" %s", sigabbrev_np(sigs[i]));
	}
	say("\nready\n");
	while ((n = read(0, line, sizeof(line))) > 0)
		say("alive\n");
	say("sleeping\n");
	for (;;) {
		struct timespec ts = {.tv_sec = 1000};

		if (use_pause)
			pause();
		else
			nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	int i;

	if (argc == 3 && strcmp(argv[1], "closed") == 0) {
		int fails = do_closed((unsigned)strtoul(argv[2], NULL, 0));

		if (fails)
			return 1;
		if ((strtoul(argv[2], NULL, 0) & 6) == 6)
			return 0; /* nowhere to say "ready" */
		wait_mode(0);
	}
	if (argc == 2 && (strcmp(argv[1], "wait") == 0 || strcmp(argv[1], "pause") == 0))
		wait_mode(strcmp(argv[1], "pause") == 0);
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		for (i = 2; i < argc; i++) {
			char *args[] = {argv[i], NULL};

			execve(argv[i], args, args + 1);
			say("%s: %s\n", argv[i], strerrorname_np(errno));
		}
		return 0;
	}
	fprintf(stderr, "usage: hs_guest closed MASK | wait | pause | exec PATH...\n");
	return 2;
}
