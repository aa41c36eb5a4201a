/*
 * gbench.c - the guest-level benchmark rows: one static program that runs the
 * same loop natively or as a uvk guest, times it itself and prints one line
 *
 *   ROW N iterations X ns/op
 *
 * It knows nothing of uvk; bench/run-guest-bench.sh runs it both ways and
 * compares. Any failure is reported on stderr (with strerror, so the runner
 * can tell ENOSYS from a real bug) and ends with status 1.
 *
 * Usage: gbench ROW [SCALE [PATH]]
 *   SCALE multiplies the row's default iteration count (a decimal, default 1).
 *   PATH is the program to exec (forkexec: default "exit0" beside gbench),
 *   the 1 MiB file to read (readfile: default "gbench.dat" beside gbench) or
 *   the busybox binary (shell: default /bin/busybox).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOUCH_BYTES (64UL << 20)
#define FILE_BYTES  (1L << 20)
#define CHUNK	    (64 << 10)

static const char *path;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *what)
{
	fprintf(stderr, "gbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Wait for pid and insist that it exited with status 0. */
static void
reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "gbench: %s: child status %#x\n", what, st);
		exit(1);
	}
}

/* getppid through syscall(2), so that no libc can cache it. */
static long
row_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return n;
}

static long
row_forkexit(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		reap(pid, "forkexit");
	}
	return n;
}

/* fork, exec path with argv and envp in the child, wait: n times. */
static void
spawn_wait(long n, char **argv, char **envp, const char *what)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(path, argv, envp);
			fprintf(stderr, "gbench: execve %s: %s\n", path, strerror(errno));
			_exit(127);
		}
		reap(pid, what);
	}
}

static long
row_forkexec(long n)
{
	char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};

	spawn_wait(n, argv, envp, "forkexec");
	return n;
}

/* Parent writes a byte down one pipe, child sends it back up the other. */
static long
row_pipe(long n)
{
	int down[2], up[2];
	char c = 'x';

	if (pipe(down) || pipe(up))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		for (long i = 0; i < n; i++)
			if (read(down[0], &c, 1) != 1 || write(up[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	for (long i = 0; i < n; i++)
		if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1)
			die("pipe round trip");
	reap(pid, "pipe echo child");
	return n;
}

/* n rounds of mmap 64 MiB / write one byte per page / munmap; counts pages. */
static long
row_touch(long n)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (long r = 0; r < n; r++) {
		volatile char *p = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (unsigned long off = 0; off < TOUCH_BYTES; off += pg)
			p[off] = 1;
		if (munmap((void *)p, TOUCH_BYTES))
			die("munmap");
	}
	return n * (long)(TOUCH_BYTES / pg);
}

/* open, read the whole 1 MiB file in 64 KiB reads, close. */
static long
row_readfile(long n)
{
	static char buf[CHUNK];

	for (long i = 0; i < n; i++) {
		long got = 0;
		ssize_t r;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die(path);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			got += r;
		if (r < 0)
			die("read");
		close(fd);
		if (got != FILE_BYTES) {
			fprintf(stderr, "gbench: %s: read %ld bytes, want %ld\n", path, got,
				FILE_BYTES);
			exit(1);
		}
	}
	return n;
}

/*
 * The shell script: 50 short commands (40 builtins, 10 busybox applets run
 * by path, hence fork+exec each) and one three-stage pipeline; set -e makes
 * any failure the script's exit status.
 */
static char *
shell_script(void)
{
	static const char *const builtin[4] = {"x=$((x + 1))", "[ $x -gt 0 ]", "echo $x >/dev/null",
					       "cd ."};
	static char s[4096];
	int len = snprintf(s, sizeof(s), "set -e; x=0\n");

	for (int i = 1; i <= 50; i++) {
		if (i % 5 == 0)
			len += snprintf(s + len, sizeof(s) - len, "%s true\n", path);
		else
			len += snprintf(s + len, sizeof(s) - len, "%s\n", builtin[i % 5 - 1]);
	}
	snprintf(s + len, sizeof(s) - len,
		 "echo a b c $x | %s tr a-c A-C | %s wc -w | { read w; [ $w = 4 ]; }\n", path,
		 path);
	return s;
}

/* fork + exec busybox sh -c SCRIPT + wait, n times: ns/op is per script run. */
static long
row_shell(long n)
{
	char *argv[] = {"sh", "-c", shell_script(), NULL};
	char *envp[] = {"PATH=/bin:/usr/bin", NULL};

	spawn_wait(n, argv, envp, "busybox sh script");
	return n;
}

/* A thread that returns its argument: thread_create's whole body. */
static void *
give_back(void *arg)
{
	return arg;
}

/* pthread_create + pthread_join of a thread that returns at once. */
static long
row_thread_create(long n)
{
	pthread_t t;
	void *ret;

	for (long i = 0; i < n; i++) {
		int e = pthread_create(&t, NULL, give_back, (void *)i);

		if (e != 0) {
			errno = e;
			die("pthread_create");
		}
		if ((e = pthread_join(t, &ret)) != 0) {
			errno = e;
			die("pthread_join");
		}
		if (ret != (void *)i) {
			fprintf(stderr, "gbench: pthread_join returned another thread's value\n");
			exit(1);
		}
	}
	return n;
}

/* futex_pingpong's two words and its round count. */
static int ping, pong;
static long rounds;

/* Sleep in futex(2) until *w holds want; EAGAIN and EINTR mean look again. */
static void
await_word(int *w, int want)
{
	int v;

	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void
set_word(int *w, int v)
{
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	if (syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		die("futex wake");
}

static void *
answer(void *arg)
{
	(void)arg;
	for (long i = 1; i <= rounds; i++) {
		await_word(&ping, (int)i);
		set_word(&pong, (int)i);
	}
	return NULL;
}

/* Two threads hand a turn back and forth through two words, raw futex calls. */
static long
row_futex_pingpong(long n)
{
	pthread_t t;
	int e;

	rounds = n;
	if ((e = pthread_create(&t, NULL, answer, NULL)) != 0) {
		errno = e;
		die("pthread_create");
	}
	for (long i = 1; i <= n; i++) {
		set_word(&ping, (int)i);
		await_word(&pong, (int)i);
	}
	if ((e = pthread_join(t, NULL)) != 0) {
		errno = e;
		die("pthread_join");
	}
	return n;
}

/* Lock and unlock a free mutex, one thread: no system call, native speed. */
static long
row_mutex_uncontended(long n)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	volatile long held = 0;

	for (long i = 0; i < n; i++) {
		if (pthread_mutex_lock(&m) != 0)
			die("pthread_mutex_lock");
		held++;
		if (pthread_mutex_unlock(&m) != 0)
			die("pthread_mutex_unlock");
	}
	if (held != n) {
		fprintf(stderr, "gbench: %ld increments, want %ld\n", (long)held, n);
		exit(1);
	}
	return n;
}

#define CONTENDERS 4

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter, per_thread;

static void *
add_locked(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		if (pthread_mutex_lock(&count_lock) != 0)
			return (void *)1;
		counter++;
		if (pthread_mutex_unlock(&count_lock) != 0)
			return (void *)1;
	}
	return NULL;
}

/* 4 threads add to one counter under one mutex; ns/op is per locked increment. */
static long
row_mutex_contended(long n)
{
	pthread_t t[CONTENDERS];
	void *ret;
	int e;

	per_thread = (n + CONTENDERS - 1) / CONTENDERS;
	counter = 0;
	for (int i = 0; i < CONTENDERS; i++) {
		if ((e = pthread_create(&t[i], NULL, add_locked, NULL)) != 0) {
			errno = e;
			die("pthread_create");
		}
	}
	for (int i = 0; i < CONTENDERS; i++) {
		if ((e = pthread_join(t[i], &ret)) != 0) {
			errno = e;
			die("pthread_join");
		}
		if (ret != NULL) {
			fprintf(stderr, "gbench: a mutex call failed in a contender\n");
			exit(1);
		}
	}
	if (counter != CONTENDERS * per_thread) {
		fprintf(stderr, "gbench: counter %ld, want %ld\n", counter, CONTENDERS * per_thread);
		exit(1);
	}
	return counter;
}

/* Each row: its loop (returns the ops done) and default count (~0.3-2 s natively). */
/* clang-format off */
static const struct {
	const char *name;
	long (*run)(long n);
	long n;
} rows[] = {
	{"getppid", row_getppid, 5000000},
	{"forkexit", row_forkexit, 10000},
	{"forkexec", row_forkexec, 1500},
	{"pipe", row_pipe, 30000},
	{"touch", row_touch, 30},
	{"readfile", row_readfile, 20000},
	{"shell", row_shell, 100},
	{"thread_create", row_thread_create, 20000},
	{"futex_pingpong", row_futex_pingpong, 100000},
	{"mutex_uncontended", row_mutex_uncontended, 50000000},
	{"mutex_contended", row_mutex_contended, 8000000},
};
/* clang-format on */

int
main(int argc, char **argv)
{
	double scale = argc > 2 ? strtod(argv[2], NULL) : 1.0;
	static char beside[4096];

	if (argc < 2 || scale <= 0) {
		fprintf(stderr, "usage: gbench ROW [SCALE [PATH]]\n");
		return 2;
	}
	if (argc > 3) {
		path = argv[3];
	} else if (strcmp(argv[1], "shell") == 0) {
		path = "/bin/busybox";
	} else {
		/* A file in this program's directory. */
		const char *slash = strrchr(argv[0], '/');
		int dir = slash ? (int)(slash - argv[0] + 1) : 0;
		snprintf(beside, sizeof(beside), "%.*s%s", dir, argv[0],
			 strcmp(argv[1], "readfile") == 0 ? "gbench.dat" : "exit0");
		path = beside;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strcmp(argv[1], rows[i].name) != 0)
			continue;
		long n = (long)(rows[i].n * scale);
		n = n < 1 ? 1 : n;
		double t0 = now_s();
		long ops = rows[i].run(n);
		double t = now_s() - t0;
		printf("%s %ld iterations %.1f ns/op\n", rows[i].name, ops, t * 1e9 / ops);
		return 0;
	}
	fprintf(stderr, "gbench: unknown row %s\n", argv[1]);
	return 2;
}
