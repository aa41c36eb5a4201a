/*
 * gthr.h - helpers shared by the thread test programs (t_pthread_*).
 *
 * guest.h's say() and check() keep their counts and their line buffer in
 * plain statics: only one thread at a time may call them. The programs
 * therefore have their threads record what they saw in memory and let the
 * main thread check it after a join or a barrier (which orders the memory).
 *
 * Nothing here synchronises by time: events are ordered with pipes, barriers
 * and joins. Where a program must wait for the kernel to finish something no
 * call reports (a joined thread's task leaving /proc/self/task), it polls
 * with sched_yield() and gives up only after a generous bound, so the bound
 * decides nothing but how long a failure takes to show. Include after
 * guest.h.
 */
#ifndef UVK_TESTS_GUESTS_GTHR_H
#define UVK_TESTS_GUESTS_GTHR_H

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A small stack for the programs that start many threads (more than PTHREAD_STACK_MIN). */
#define GTHR_SMALL_STACK (64 * 1024)

/* A bound on waits for the kernel that no call reports: only a failure takes this long. */
#define GTHR_POLL_SECONDS 20

static pid_t gtid(void) __attribute__((unused));
static int gthr_start(pthread_t *t, void *(*fn)(void *), void *arg, size_t stack)
    __attribute__((unused));
static int read_full(int fd, void *buf, size_t n) __attribute__((unused));
static int write_full(int fd, const void *buf, size_t n) __attribute__((unused));
static int fork_status(void (*fn)(void *), void *arg) __attribute__((unused));
static int task_list(const char *dir, pid_t *tids, int max) __attribute__((unused));
static long status_field(const char *path, const char *name) __attribute__((unused));
static int wait_tasks(int want) __attribute__((unused));
static const char *wait_text(int st) __attribute__((unused));

/* The caller's thread id: gettid(2), through syscall() since older libcs lack the wrapper. */
static pid_t
gtid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * gthr_start - pthread_create with a stack of the given size (0: the
 * default). Returns pthread_create's result: 0 or an error number.
 */
static int
gthr_start(pthread_t *t, void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	int e;

	if (stack == 0)
		return pthread_create(t, NULL, fn, arg);
	if ((e = pthread_attr_init(&attr)) != 0)
		return e;
	e = pthread_attr_setstacksize(&attr, stack);
	if (e == 0)
		e = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return e;
}

/* Read exactly n bytes, retrying EINTR and short reads; 0, or -1 on EOF or error. */
static int
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* Write exactly n bytes, retrying EINTR and short writes; 0 or -1. */
static int
write_full(int fd, const void *buf, size_t n)
{
	size_t put = 0;
	ssize_t r;

	while (put < n) {
		r = write(fd, (const char *)buf + put, n - put);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		put += r;
	}
	return 0;
}

/*
 * fork_status - run fn(arg) in a forked child, which exits 0 if fn returns,
 * and wait for it. Returns the child's raw wait status, or -1 if fork or
 * waitpid failed.
 */
static int
fork_status(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* A wait status in words, for messages (one static buffer: main thread only). */
static const char *
wait_text(int st)
{
	static char buf[48];

	if (st == -1)
		snprintf(buf, sizeof(buf), "fork or waitpid failed");
	else if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

/*
 * task_list - the numeric entries of a /proc task directory (for example
 * "/proc/self/task"), at most max of them into tids. Returns how many there
 * are (which may exceed max), or -1 with errno if the directory cannot be
 * read.
 */
static int
task_list(const char *dir, pid_t *tids, int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (end == de->d_name || *end != '\0')
			continue;
		if (n < max)
			tids[n] = (pid_t)v;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * status_field - the number after "name:" in a /proc status file (for
 * example "Threads" in /proc/self/status); -1 if the file cannot be read
 * or has no such line.
 */
static long
status_field(const char *path, const char *name)
{
	char buf[4096];
	size_t len = strlen(name);
	ssize_t n;
	int fd = open(path, O_RDONLY);
	char *line;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (line = buf; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/*
 * wait_tasks - wait until /proc/self/task has want entries: a joined
 * thread's task may still be leaving when pthread_join returns (the kernel
 * wakes the joiner before it unlists the task). Returns the last count seen.
 */
static int
wait_tasks(int want)
{
	struct timespec t0, now;
	pid_t dummy[1];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = task_list("/proc/self/task", dummy, 0);
		if (n == want || n < 0)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > GTHR_POLL_SECONDS)
			return n;
		sched_yield();
	}
}

#endif /* UVK_TESTS_GUESTS_GTHR_H */
