/*
 * tests/programs/ptydrive.c - run a command on a new pseudo-terminal and drive it
 * from a script, the way a person at a terminal would: type, wait for text,
 * press Ctrl-C. The `programs` suite uses it for the interactive-shell cases
 * (run.sh, cases tty_*). It is a test tool on the host side: it is no part of
 * uvk and links nothing of it.
 *
 * Usage: ptydrive [--timeout SEC] [-f SCRIPT] -- COMMAND [ARG...]
 *
 * COMMAND runs in a new session with the pty's slave side as its controlling
 * terminal and as stdin, stdout and stderr, all signals at their defaults and
 * none blocked, on an 80x24 window. The driver keeps the master side and one
 * descriptor of the slave side open for the whole run, so the pty outlives the
 * command and its modes can be read after the command exited.
 *
 * The script comes from SCRIPT, else from stdin: one step a line, a verb and
 * its arguments. An argument is a bare word, or a "double-quoted string" that
 * may hold blanks; both take the C escapes \n \r \t \e (ESC) \a \b \\ \" \'
 * \xHH and \NNN (octal), so "\x03" is Ctrl-C and "\x1a" Ctrl-Z. Blank lines
 * and lines starting with # are skipped.
 *
 *   expect TEXT               read output until TEXT appears after the end of
 *                             the last match (each match moves that point on,
 *                             so two `expect PROMPT` need two prompts)
 *   send TEXT                 write TEXT to the terminal, as typed
 *   sendrepeat TEXT UNTIL [MS]  send TEXT, wait up to MS milliseconds (default
 *                             300) for UNTIL, and again until UNTIL appears
 *   sleep MS                  read output for MS milliseconds (printed, but
 *                             left for the next expect to match)
 *   wait STATUS               wait for COMMAND to end: STATUS is an exit
 *                             status (0..255) or `signal N` for death by N
 *   termios-same              the terminal modes now equal those before
 *                             COMMAND started (after `wait`: it restored them)
 *   termios-differ            they do not (while COMMAND runs: its change
 *                             reached the terminal; natively after `wait`:
 *                             termios-same would have caught it)
 *
 * Output is matched as raw bytes, substrings, nothing stripped: the terminal
 * turns "\n" into "\r\n" and echoes what is typed, so a script expects both.
 * Every step is printed with the output it consumed. The whole run has one
 * deadline, --timeout seconds (default 30) from the start.
 *
 * Exit status: 0 when every step passed; 1 on a mismatch or the deadline, with
 * a line starting "FAIL:" and a dump of the output not yet matched; 2 on a bad
 * command line or script. On every exit the processes still in the command's
 * session are killed, so a hung guest does not outlive the test.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

#define MAX_ARGS	  4
#define REPEAT_MS_DEFAULT 300

/* One argument of a step after escapes: bytes and length (it may hold NUL). */
struct arg {
	char *s;
	size_t len;
};

/* The driver's state; one per run. */
struct drive {
	int master;	       /* O_NONBLOCK, FD_CLOEXEC; the child's pty */
	int slave;	       /* FD_CLOEXEC; held so the pty and its modes outlive the child */
	pid_t pid;	       /* the child, leader of its own session */
	bool reaped;	       /* the child was waited for; status is valid */
	int status;	       /* its wait status */
	struct termios before; /* the slave's modes before the child started */
	char *out;	       /* everything read from the master, in order */
	size_t len, cap;
	size_t mark;	    /* end of the last match: expect looks after it */
	long long deadline; /* CLOCK_MONOTONIC milliseconds */
	double timeout;	    /* seconds, for messages */
	int step;	    /* number of the step running, from 1 */
};

static struct drive d = {.master = -1, .slave = -1};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * print_escaped - print BUF as C-escaped text, one output line per "\n" in it,
 * each line starting with PREFIX; nothing of BUF is left out.
 */
static void
print_escaped(const char *prefix, const char *buf, size_t len)
{
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (bol)
			printf("%s", prefix);
		bol = false;
		switch (c) {
		case '\n':
			printf("\\n\n");
			bol = true;
			break;
		case '\r':
			printf("\\r");
			break;
		case '\t':
			printf("\\t");
			break;
		case '\033':
			printf("\\e");
			break;
		case '\\':
			printf("\\\\");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				putchar(c);
			else
				printf("\\x%02x", c);
		}
	}
	if (!bol)
		putchar('\n');
}

/* quoted - BUF C-escaped on one line, in a static buffer, for step titles. */
static const char *
quoted(const char *buf, size_t len)
{
	static char q[2][512];
	static int which;
	char *o = q[which ^= 1];
	size_t n = 0;

	o[n++] = '"';
	for (size_t i = 0; i < len && n < sizeof(q[0]) - 8; i++) {
		unsigned char c = buf[i];

		if (c == '\n')
			n += sprintf(o + n, "\\n");
		else if (c == '\r')
			n += sprintf(o + n, "\\r");
		else if (c == '\033')
			n += sprintf(o + n, "\\e");
		else if (c == '\\' || c == '"')
			n += sprintf(o + n, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			o[n++] = c;
		else
			n += sprintf(o + n, "\\x%02x", c);
	}
	o[n++] = '"';
	o[n] = '\0';
	return o;
}

/*
 * kill_session - SIGKILL every process whose session is SID, the child's
 * session: the child itself and whatever it left behind (a stopped job, a
 * guest process). Only processes the driver started live in that session.
 * Returns how many processes were signalled.
 */
static int
kill_session(pid_t sid)
{
	int killed = 0;

	for (int round = 0; round < 3; round++) {
		DIR *dir = opendir("/proc");
		struct dirent *e;
		int found = 0;

		if (!dir)
			return killed;
		while ((e = readdir(dir))) {
			char path[64], stat[512], *p;
			pid_t pid = atoi(e->d_name);
			int ppid, pgrp, session;
			char state;
			ssize_t n;
			int fd;

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, stat, sizeof(stat) - 1);
			close(fd);
			if (n <= 0)
				continue;
			stat[n] = '\0';
			/* The name may hold blanks and parentheses: parse after the last ')'. */
			p = strrchr(stat, ')');
			if (!p ||
			    sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
				continue;
			if (session == sid && state != 'Z' && kill(pid, SIGKILL) == 0)
				found++;
		}
		closedir(dir);
		killed += found;
		if (!found)
			break;
		usleep(20000);
	}
	return killed;
}

/* reap - collect the child's status if it ended; never blocks. */
static void
reap(void)
{
	int st;

	if (d.reaped || d.pid <= 0)
		return;
	if (waitpid(d.pid, &st, WNOHANG) == d.pid) {
		d.reaped = true;
		d.status = st;
	}
}

/* describe - the child's state in words, for messages. */
static const char *
describe(void)
{
	static char s[64];

	reap();
	if (!d.reaped)
		return "still running";
	if (WIFEXITED(d.status))
		snprintf(s, sizeof(s), "exited with status %d", WEXITSTATUS(d.status));
	else if (WIFSIGNALED(d.status))
		snprintf(s, sizeof(s), "killed by signal %d (%s)", WTERMSIG(d.status),
			 strsignal(WTERMSIG(d.status)));
	else
		snprintf(s, sizeof(s), "wait status 0x%x", d.status);
	return s;
}

/*
 * cleanup - end the run: kill what is left of the child's session, reap the
 * child, close the pty. Safe to call twice.
 */
static void
cleanup(void)
{
	int n;

	if (d.pid > 0) {
		n = kill_session(d.pid);
		if (n)
			printf("ptydrive: killed %d process(es) left in the session\n", n);
		if (!d.reaped) {
			if (waitpid(d.pid, &d.status, 0) == d.pid)
				d.reaped = true;
		}
	}
	if (d.master >= 0)
		close(d.master);
	if (d.slave >= 0)
		close(d.slave);
	d.master = d.slave = -1;
}

/* fail - report a failed step with what was seen, end the run, exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: step %d: ", d.step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nptydrive: the command: %s\n", describe());
	printf("ptydrive: output after the last match (%zu of %zu bytes):\n", d.len - d.mark,
	       d.len);
	print_escaped("ptydrive:   | ", d.out + d.mark, d.len - d.mark);
	if (d.mark > 0) {
		printf("ptydrive: the whole output:\n");
		print_escaped("ptydrive:   | ", d.out, d.len);
	}
	fflush(stdout);
	cleanup();
	exit(1);
}

/*
 * pump - read the master for up to MS milliseconds (never past the deadline),
 * appending to d.out, and reap the child if it ended. Returns early as soon as
 * some output arrived, so callers can look for their text.
 */
static void
pump(long long ms)
{
	long long left = d.deadline - now_ms();
	struct pollfd pfd = {.fd = d.master, .events = POLLIN};
	int r;

	if (ms > left)
		ms = left > 0 ? left : 0;
	/* Wake up now and then to notice the child's exit. */
	if (ms > 50)
		ms = 50;
	r = poll(&pfd, 1, (int)ms);
	if (r < 0 && errno != EINTR)
		fail("poll: %s", strerror(errno));
	for (;;) {
		ssize_t n;

		if (d.cap - d.len < 4096) {
			d.cap = d.cap ? d.cap * 2 : 65536;
			d.out = realloc(d.out, d.cap);
			if (!d.out) {
				printf("FAIL: out of memory\n");
				exit(1);
			}
		}
		n = read(d.master, d.out + d.len, d.cap - d.len);
		if (n > 0) {
			d.len += n;
			continue;
		}
		/* EAGAIN: drained. EIO: no slave open, which the driver prevents. */
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	reap();
}

/* find - offset of the end of TEXT after d.mark in the output, or -1. */
static long
find(const struct arg *text)
{
	char *p;

	if (text->len == 0)
		return d.mark;
	if (!d.out) /* nothing read yet: memmem must not see a null buffer */
		return -1;
	p = memmem(d.out + d.mark, d.len - d.mark, text->s, text->len);
	return p ? (long)(p - d.out + text->len) : -1;
}

/* consume - move the mark to END and print the output it passed over. */
static void
consume(long end)
{
	printf("ptydrive:   seen:\n");
	print_escaped("ptydrive:   | ", d.out + d.mark, end - d.mark);
	d.mark = end;
}

/* send_bytes - write all of TEXT to the master, reading output meanwhile. */
static void
send_bytes(const struct arg *text)
{
	size_t done = 0;

	while (done < text->len) {
		ssize_t n = write(d.master, text->s + done, text->len - done);

		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail("write to the terminal: %s", strerror(errno));
		if (now_ms() >= d.deadline)
			fail("timed out after %g s writing %s", d.timeout,
			     quoted(text->s, text->len));
		pump(10);
	}
}

static void
step_expect(const struct arg *text)
{
	long end;

	while ((end = find(text)) < 0) {
		if (now_ms() >= d.deadline)
			fail("timed out after %g s waiting for %s", d.timeout,
			     quoted(text->s, text->len));
		pump(d.deadline - now_ms());
	}
	consume(end);
}

static void
step_sendrepeat(const struct arg *text, const struct arg *until, long ms)
{
	int sent = 0;
	long end;

	for (;;) {
		long long next = now_ms() + ms;

		if ((end = find(until)) >= 0)
			break;
		send_bytes(text);
		sent++;
		while ((end = find(until)) < 0 && now_ms() < next) {
			if (now_ms() >= d.deadline)
				fail("timed out after %g s, %s sent %d times, waiting for %s",
				     d.timeout, quoted(text->s, text->len), sent,
				     quoted(until->s, until->len));
			pump(next - now_ms());
		}
		if (end >= 0)
			break;
	}
	printf("ptydrive:   sent %d time(s)\n", sent);
	consume(end);
}

/* step_sleep - read output for MS milliseconds; print it, but leave it to be matched. */
static void
step_sleep(long ms)
{
	long long until = now_ms() + ms;
	size_t from = d.len;

	while (now_ms() < until) {
		if (now_ms() >= d.deadline)
			fail("timed out after %g s in sleep", d.timeout);
		pump(until - now_ms());
	}
	printf("ptydrive:   arrived meanwhile:\n");
	print_escaped("ptydrive:   | ", d.out + from, d.len - from);
}

/* step_wait - wait for the child to end with exit status CODE, or signal SIG if > 0. */
static void
step_wait(int code, int sig)
{
	while (reap(), !d.reaped) {
		if (now_ms() >= d.deadline)
			fail("timed out after %g s waiting for the command to end", d.timeout);
		pump(d.deadline - now_ms());
	}
	/* What it wrote last is in the pty already; take it in for the record. */
	pump(0);
	printf("ptydrive:   the command %s\n", describe());
	if (sig > 0) {
		if (!WIFSIGNALED(d.status) || WTERMSIG(d.status) != sig)
			fail("the command %s, want killed by signal %d", describe(), sig);
	} else if (!WIFEXITED(d.status) || WEXITSTATUS(d.status) != code) {
		fail("the command %s, want exit status %d", describe(), code);
	}
}

/* A termios flag and its name, to say which modes differ. */
struct flagname {
	tcflag_t bit;
	const char *name;
};

/* clang-format off */
#define FLAG(f) {f, #f}
/* clang-format on */
static const struct flagname iflags[] = {
    FLAG(IGNBRK), FLAG(BRKINT),	 FLAG(IGNPAR), FLAG(PARMRK), FLAG(INPCK), FLAG(ISTRIP),
    FLAG(INLCR),  FLAG(IGNCR),	 FLAG(ICRNL),  FLAG(IUCLC),  FLAG(IXON),  FLAG(IXANY),
    FLAG(IXOFF),  FLAG(IMAXBEL), FLAG(IUTF8),  {0, NULL},
};
static const struct flagname oflags[] = {
    FLAG(OPOST), FLAG(OLCUC),  FLAG(ONLCR), FLAG(OCRNL),
    FLAG(ONOCR), FLAG(ONLRET), FLAG(OFILL), {0, NULL},
};
static const struct flagname cflags[] = {
    FLAG(CSIZE),  FLAG(CSTOPB), FLAG(CREAD),  FLAG(PARENB),
    FLAG(PARODD), FLAG(HUPCL),	FLAG(CLOCAL), {0, NULL},
};
static const struct flagname lflags[] = {
    FLAG(ISIG),	  FLAG(ICANON), FLAG(ECHO),   FLAG(ECHOE),   FLAG(ECHOK),
    FLAG(ECHONL), FLAG(NOFLSH), FLAG(TOSTOP), FLAG(ECHOCTL), FLAG(ECHOPRT),
    FLAG(ECHOKE), FLAG(IEXTEN), {0, NULL},
};
#undef FLAG

/* diff_flags - print how one flag word changed; returns whether it did. */
static bool
diff_flags(const char *what, tcflag_t was, tcflag_t now, const struct flagname *names)
{
	tcflag_t known = 0;

	if (was == now)
		return false;
	printf("ptydrive:   %s 0%o -> 0%o:", what, (unsigned)was, (unsigned)now);
	for (const struct flagname *f = names; f->name; f++) {
		known |= f->bit;
		if ((was & f->bit) != (now & f->bit))
			printf(" %s%s", (now & f->bit) ? "+" : "-", f->name);
	}
	if ((was ^ now) & ~known)
		printf(" other bits 0%o", (unsigned)((was ^ now) & ~known));
	putchar('\n');
	return true;
}

/* step_termios - compare the pty's modes now with those before the command. */
static void
step_termios(bool want_same)
{
	static const char *ccnames[NCCS] = {
	    [VINTR] = "VINTR",	   [VQUIT] = "VQUIT",	[VERASE] = "VERASE",
	    [VKILL] = "VKILL",	   [VEOF] = "VEOF",	[VTIME] = "VTIME",
	    [VMIN] = "VMIN",	   [VSTART] = "VSTART", [VSTOP] = "VSTOP",
	    [VSUSP] = "VSUSP",	   [VEOL] = "VEOL",	[VREPRINT] = "VREPRINT",
	    [VWERASE] = "VWERASE", [VLNEXT] = "VLNEXT", [VEOL2] = "VEOL2",
	};
	struct termios now;
	bool differ = false;

	if (tcgetattr(d.slave, &now) < 0)
		fail("tcgetattr on the pty: %s", strerror(errno));
	differ |= diff_flags("c_iflag", d.before.c_iflag, now.c_iflag, iflags);
	differ |= diff_flags("c_oflag", d.before.c_oflag, now.c_oflag, oflags);
	differ |= diff_flags("c_cflag", d.before.c_cflag, now.c_cflag, cflags);
	differ |= diff_flags("c_lflag", d.before.c_lflag, now.c_lflag, lflags);
	if (d.before.c_line != now.c_line) {
		printf("ptydrive:   c_line %d -> %d\n", d.before.c_line, now.c_line);
		differ = true;
	}
	for (int i = 0; i < NCCS; i++) {
		if (d.before.c_cc[i] == now.c_cc[i])
			continue;
		printf("ptydrive:   c_cc[%s] %d -> %d\n", ccnames[i] ? ccnames[i] : "?",
		       d.before.c_cc[i], now.c_cc[i]);
		differ = true;
	}
	if (cfgetispeed(&d.before) != cfgetispeed(&now) ||
	    cfgetospeed(&d.before) != cfgetospeed(&now)) {
		printf("ptydrive:   speed changed\n");
		differ = true;
	}
	printf("ptydrive:   the terminal modes %s\n",
	       differ ? "differ from those before the command" : "equal those before the command");
	if (want_same && differ)
		fail("the terminal was not restored");
	if (!want_same && !differ)
		fail("the terminal modes did not change");
}

/* unescape - decode the C escapes of S[0..len) in place; returns the new length. */
static size_t
unescape(char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = s[i++];
		int v, n;

		if (c != '\\' || i == len) {
			s[o++] = c;
			continue;
		}
		c = s[i++];
		switch (c) {
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'e':
			s[o++] = '\033';
			break;
		case 'a':
			s[o++] = '\a';
			break;
		case 'b':
			s[o++] = '\b';
			break;
		case 'x':
			for (v = 0, n = 0; n < 2 && i < len && isxdigit((unsigned char)s[i]);
			     n++, i++)
				v = v * 16 + (isdigit((unsigned char)s[i])
						  ? s[i] - '0'
						  : tolower(s[i]) - 'a' + 10);
			s[o++] = (char)v;
			break;
		default:
			if (c >= '0' && c <= '7') {
				v = c - '0';
				for (n = 1; n < 3 && i < len && s[i] >= '0' && s[i] <= '7'; n++)
					v = v * 8 + (s[i++] - '0');
				s[o++] = (char)v;
			} else {
				s[o++] = c; /* \\ \" \' and anything else: the character itself */
			}
		}
	}
	return o;
}

/*
 * split - cut LINE into words (bare or double-quoted, escapes decoded) in
 * place. Returns the number of words, or -1 on an unterminated quote or too
 * many words.
 */
static int
split(char *line, struct arg *words, int max)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *start, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			start = end = ++p;
			while (*end && *end != '"') {
				if (*end == '\\' && end[1])
					end++;
				end++;
			}
			if (*end != '"')
				return -1;
		} else {
			start = end = p;
			while (*end && *end != ' ' && *end != '\t')
				end++;
		}
		p = *end ? end + 1 : end;
		*end = '\0';
		words[n].s = start;
		words[n].len = unescape(start, end - start);
		n++;
	}
}

/* number - ARG as a non-negative decimal number, or -1. */
static long
number(const struct arg *a)
{
	char *end;
	long v;

	if (a->len == 0 || !isdigit((unsigned char)a->s[0]))
		return -1;
	v = strtol(a->s, &end, 10);
	return *end ? -1 : v;
}

static void __attribute__((noreturn)) bad_script(int line, const char *why)
{
	printf("ptydrive: script line %d: %s\n", line, why);
	cleanup();
	exit(2);
}

enum verb { V_EXPECT, V_SEND, V_SENDREPEAT, V_SLEEP, V_WAIT, V_WAITSIG, V_SAME, V_DIFFER };

/*
 * parse_step - the verb of the step in words W[0..n) and its number (an
 * interval, an exit status, a signal) in *ret_v. A bad step exits 2.
 */
static enum verb
parse_step(const struct arg *w, int n, int lineno, long *ret_v)
{
	const char *verb = w[0].s;

	*ret_v = 0;
	if (!strcmp(verb, "expect") && n == 2)
		return V_EXPECT;
	if (!strcmp(verb, "send") && n == 2)
		return V_SEND;
	if (!strcmp(verb, "sendrepeat") && (n == 3 || n == 4)) {
		*ret_v = n == 4 ? number(&w[3]) : REPEAT_MS_DEFAULT;
		if (*ret_v <= 0)
			bad_script(lineno, "sendrepeat: bad interval");
		return V_SENDREPEAT;
	}
	if (!strcmp(verb, "sleep") && n == 2) {
		if ((*ret_v = number(&w[1])) < 0)
			bad_script(lineno, "sleep: bad milliseconds");
		return V_SLEEP;
	}
	if (!strcmp(verb, "wait") && n == 2) {
		if ((*ret_v = number(&w[1])) < 0 || *ret_v > 255)
			bad_script(lineno, "wait: bad exit status");
		return V_WAIT;
	}
	if (!strcmp(verb, "wait") && n == 3 && !strcmp(w[1].s, "signal")) {
		if ((*ret_v = number(&w[2])) <= 0 || *ret_v >= NSIG)
			bad_script(lineno, "wait signal: bad signal number");
		return V_WAITSIG;
	}
	if (!strcmp(verb, "termios-same") && n == 1)
		return V_SAME;
	if (!strcmp(verb, "termios-differ") && n == 1)
		return V_DIFFER;
	bad_script(lineno, "unknown step or wrong number of arguments");
}

/*
 * run_step - parse one script line and, unless DRY, run it. A bad line exits 2;
 * a dry pass over the whole script finds bad lines before the command starts.
 */
static void
run_step(const char *text, int lineno, bool dry)
{
	struct arg w[MAX_ARGS + 1];
	char *line = strdup(text);
	enum verb verb;
	int n;
	long v;

	if (!line)
		bad_script(lineno, "out of memory");
	line[strcspn(line, "\n")] = '\0';
	n = split(line, w, MAX_ARGS + 1);
	if (n < 0)
		bad_script(lineno, "unterminated quote or too many arguments");
	if (n == 0 || w[0].s[0] == '#')
		goto out_free;
	verb = parse_step(w, n, lineno, &v);
	if (dry)
		goto out_free;

	printf("ptydrive: [%d] %s", ++d.step, w[0].s);
	for (int i = 1; i < n; i++)
		printf(" %s", quoted(w[i].s, w[i].len));
	putchar('\n');
	switch (verb) {
	case V_EXPECT:
		step_expect(&w[1]);
		break;
	case V_SEND:
		send_bytes(&w[1]);
		break;
	case V_SENDREPEAT:
		step_sendrepeat(&w[1], &w[2], v);
		break;
	case V_SLEEP:
		step_sleep(v);
		break;
	case V_WAIT:
		step_wait((int)v, 0);
		break;
	case V_WAITSIG:
		step_wait(0, (int)v);
		break;
	case V_SAME:
		step_termios(true);
		break;
	case V_DIFFER:
		step_termios(false);
		break;
	}
	fflush(stdout);
out_free:
	free(line);
}

/*
 * start - open the pty, remember its modes and start ARGV on it as a new
 * session's leader. Exits 1 if any of it fails.
 */
static void
start(char **argv)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	int errpipe[2], err = 0;
	sigset_t none;

	if (openpty(&d.master, &d.slave, NULL, NULL, &ws) < 0) {
		printf("FAIL: openpty: %s\n", strerror(errno));
		exit(1);
	}
	fcntl(d.master, F_SETFD, FD_CLOEXEC);
	fcntl(d.slave, F_SETFD, FD_CLOEXEC);
	fcntl(d.master, F_SETFL, fcntl(d.master, F_GETFL) | O_NONBLOCK);
	if (tcgetattr(d.slave, &d.before) < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
		printf("FAIL: tcgetattr or pipe: %s\n", strerror(errno));
		exit(1);
	}
	fflush(stdout);
	d.pid = fork();
	if (d.pid < 0) {
		printf("FAIL: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (d.pid == 0) {
		/*
		 * A signal ignored here would stay ignored in the command: a shell
		 * started with SIGINT ignored never lets Ctrl-C kill its jobs.
		 */
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* login_tty: setsid, TIOCSCTTY, the slave on 0, 1 and 2. */
		if (login_tty(dup(d.slave)) == 0)
			execvp(argv[0], argv);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errpipe[1]);
	if (read(errpipe[0], &err, sizeof(err)) == sizeof(err)) {
		printf("FAIL: cannot start %s: %s\n", argv[0], strerror(err));
		waitpid(d.pid, NULL, 0);
		exit(1);
	}
	close(errpipe[0]);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "Usage: ptydrive [--timeout SEC] [-f SCRIPT] -- COMMAND [ARG...]\n"
			"The script (default: stdin) is read before COMMAND starts; see the\n"
			"opening comment of tests/programs/ptydrive.c for its steps.\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *script = NULL;
	char **lines = NULL;
	size_t nlines = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *in = stdin;
	int i;

	d.timeout = 30;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			d.timeout = atof(argv[++i]);
			if (d.timeout <= 0)
				usage();
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			script = argv[++i];
		} else {
			usage();
		}
	}
	if (i + 1 >= argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Read the whole script first: a bad file fails before anything runs. */
	if (script && !(in = fopen(script, "re"))) {
		printf("ptydrive: %s: %s\n", script, strerror(errno));
		return 2;
	}
	while (getline(&line, &cap, in) >= 0) {
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		if (!lines || !(lines[nlines++] = strdup(line))) {
			printf("FAIL: out of memory\n");
			return 1;
		}
	}
	free(line);
	if (in != stdin)
		fclose(in);

	for (size_t l = 0; l < nlines; l++)
		run_step(lines[l], (int)l + 1, true);

	printf("ptydrive: running");
	for (int j = i + 1; j < argc; j++)
		printf(" %s", quoted(argv[j], strlen(argv[j])));
	printf(" on a pty, timeout %g s\n", d.timeout);
	d.deadline = now_ms() + (long long)(d.timeout * 1000);
	start(argv + i + 1);

	for (size_t l = 0; l < nlines; l++)
		run_step(lines[l], (int)l + 1, false);

	reap();
	if (!d.reaped)
		printf("ptydrive: the script ended with the command still running\n");
	cleanup();
	printf("ptydrive: PASS, %d steps\n", d.step);
	for (size_t l = 0; l < nlines; l++)
		free(lines[l]);
	free(lines);
	return 0;
}
