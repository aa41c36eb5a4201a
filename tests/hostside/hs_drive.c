/*
 * hs_drive.c - run a command the way a shell, nohup or a service manager
 * would start uvk, signal it at fixed points and check how it ends.
 *
 *   hs_drive [-c MASK] [-i SIG]... [STEP]... [-x TEXT]... -e STATUS -- CMD [ARG...]
 *
 *   -c MASK    start CMD with descriptor i closed for each bit i of MASK (0-7)
 *   -i SIG     start CMD with SIG ignored (as nohup does with HUP); the
 *              others of HUP, INT, QUIT, TERM start at their default
 *   STEP       done in order once CMD printed a line "ready":
 *                -s SIG   send SIG to CMD's process
 *                -l       write a line to CMD's stdin, wait for a line "alive"
 *                -z       close CMD's stdin, wait for a line "sleeping"
 *   -x TEXT    CMD's output must contain TEXT
 *   -e STATUS  how CMD must end: its exit status, or 128+N for signal N
 *
 * CMD's stdin is a pipe from here, its stdout and stderr one pipe to here
 * (echoed to our stdout). Every step waits for what CMD printed, so
 * nothing races: a signal is sent only after CMD said it is ready. While
 * CMD waits, each descriptor of MASK must be closed or /dev/null in CMD's
 * process (uvk reserves them), never one of uvk's own (memfd, pipe), and
 * every descriptor of that process from 3 up must be close-on-exec.
 * Exit 0 if everything held, 1 if not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STEPS 16

static char outbuf[1 << 16];
static size_t outlen, scanned;
static int outfd;

/* Read CMD's output until a line equal to want (1), or end of output (0). */
static int
wait_line(const char *want)
{
	for (;;) {
		char *nl;

		while ((nl = memchr(outbuf + scanned, '\n', outlen - scanned)) != NULL) {
			size_t len = (size_t)(nl - (outbuf + scanned));
			int hit = len == strlen(want) && memcmp(outbuf + scanned, want, len) == 0;

			scanned += len + 1;
			if (hit)
				return 1;
		}
		if (outlen == sizeof(outbuf) - 1)
			return 0;
		ssize_t n = read(outfd, outbuf + outlen, sizeof(outbuf) - 1 - outlen);

		if (n <= 0)
			return 0;
		fwrite(outbuf + outlen, 1, (size_t)n, stdout);
		fflush(stdout);
		outlen += (size_t)n;
		outbuf[outlen] = '\0';
	}
}

static int
signum(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} t[] = {{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"TERM", SIGTERM}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].sig;
	fprintf(stderr, "hs_drive: unknown signal %s\n", name);
	exit(2);
}

/* Descriptor fd of process pid: absent or /dev/null is fine, anything else is not. */
static int
reserved_ok(pid_t pid, int fd)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		printf("check: descriptor %d of the process: closed\n", fd);
		return errno == ENOENT;
	}
	target[n] = '\0';
	printf("check: descriptor %d of the process: %s\n", fd, target);
	return strcmp(target, "/dev/null") == 0;
}

/* Every descriptor from 3 up of process pid is close-on-exec (fdinfo's octal flags). */
static int
cloexec_ok(pid_t pid)
{
	char path[64], line[128];
	struct dirent *de;
	int ok = 1, n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name), flags = -1;
		FILE *f;

		if (de->d_name[0] == '.' || fd < 3)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "flags: %o", (unsigned *)&flags) == 1)
				break;
		if (f)
			fclose(f);
		n++;
		if (flags < 0 || !(flags & O_CLOEXEC)) {
			printf("check: descriptor %d of the process is not close-on-exec\n", fd);
			ok = 0;
		}
	}
	closedir(d);
	printf("check: %d descriptor(s) from 3 up, %s close-on-exec\n", n, ok ? "all" : "not all");
	return ok;
}

int
main(int argc, char **argv)
{
	struct {
		char kind;
		int sig;
	} steps[MAX_STEPS];
	const char *texts[16];
	int nsteps = 0, ntexts = 0, nign = 0, ign[4], mask = 0, want = -1, c, i, st, got;
	int fails = 0, in[2], outp[2];
	pid_t pid;

	while ((c = getopt(argc, argv, "+c:i:s:lzx:e:")) != -1) {
		switch (c) {
		case 'c':
			mask = atoi(optarg) & 7;
			break;
		case 'i':
			if (nign < 4)
				ign[nign++] = signum(optarg);
			break;
		case 's':
		case 'l':
		case 'z':
			if (nsteps == MAX_STEPS)
				return 2;
			steps[nsteps].kind = (char)c;
			steps[nsteps++].sig = c == 's' ? signum(optarg) : 0;
			break;
		case 'x':
			if (ntexts < 16)
				texts[ntexts++] = optarg;
			break;
		case 'e':
			want = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || want < 0) {
		fprintf(stderr, "usage: hs_drive [-c MASK] [-i SIG] [-s SIG|-l]... [-x TEXT] "
				"-e STATUS -- CMD...\n");
		return 2;
	}
	if (pipe(in) < 0 || pipe(outp) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE};
		sigset_t none;

		for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
			signal(sigs[i], SIG_DFL);
		for (i = 0; i < nign; i++)
			signal(ign[i], SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		for (i = 0; i < 3; i++)
			if (mask & (1 << i))
				close(i);
		/* Nothing of ours beyond 0-2: the program must find 3 and up closed. */
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	outfd = outp[0];
	if (nsteps > 0) {
		if (!wait_line("ready")) {
			printf("FAIL: the program ended before it said ready\n");
			fails++;
			goto end;
		}
		for (i = 0; i < 3; i++)
			if ((mask & (1 << i)) && !reserved_ok(pid, i))
				fails++;
		if (!cloexec_ok(pid))
			fails++;
	}
	for (i = 0; i < nsteps; i++) {
		if (steps[i].kind == 's') {
			printf("step: send SIG%s\n", sigabbrev_np(steps[i].sig));
			fflush(stdout);
			kill(pid, steps[i].sig);
		} else if (steps[i].kind == 'z') {
			printf("step: close stdin\n");
			fflush(stdout);
			close(in[1]);
			in[1] = -1;
			if (!wait_line("sleeping")) {
				printf("FAIL: the program did not say sleeping\n");
				fails++;
				goto end;
			}
		} else {
			printf("step: a line to stdin\n");
			fflush(stdout);
			if (write(in[1], "x\n", 2) != 2 || !wait_line("alive")) {
				printf("FAIL: the program did not answer the line\n");
				fails++;
				goto end;
			}
		}
	}
end:
	wait_line("\001never\001");
	if (waitpid(pid, &st, 0) != pid)
		return 2;
	got = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("check: the program ended with status %d, want %d\n", got, want);
	if (got != want)
		fails++;
	for (i = 0; i < ntexts; i++) {
		int found = strstr(outbuf, texts[i]) != NULL;

		printf("check: output %s '%s'\n", found ? "has" : "LACKS", texts[i]);
		fails += !found;
	}
	printf("%s\n", fails ? "FAIL" : "PASS");
	return fails ? 1 : 0;
}
