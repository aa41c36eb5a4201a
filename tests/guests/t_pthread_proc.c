/*
 * t_pthread_proc - a process's threads as /proc shows them: /proc/self/task
 * lists exactly the thread ids its threads report with gettid(), from any
 * thread; /proc/self/status counts them ("Threads:"); a thread's own
 * directory (/proc/self/task/TID, /proc/TID, /proc/thread-self) describes
 * that thread of this process; joined and detached threads leave the list.
 *
 * Usage: t_pthread_proc
 *
 * A joined thread may still be leaving when pthread_join returns (the
 * kernel wakes the joiner before it unlists the task), and nothing reports
 * when a detached thread is gone: those two waits poll the list (gthr.h's
 * wait_tasks), all else is ordered by barriers.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

#define NTHREADS 8

static pthread_barrier_t up, done;
static pid_t tids[NTHREADS];
static int seen_by[NTHREADS]; /* how many tasks each thread saw in /proc/self/task */
static char thread_self[NTHREADS][64];

static void *
worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	pid_t dummy[1];
	ssize_t n;

	tids[i] = gtid();
	pthread_barrier_wait(&up);
	/* Everyone is up: each thread lists the tasks too, and reads its thread-self. */
	seen_by[i] = task_list("/proc/self/task", dummy, 0);
	n = readlink("/proc/thread-self", thread_self[i], sizeof(thread_self[i]) - 1);
	thread_self[i][n > 0 ? n : 0] = '\0';
	pthread_barrier_wait(&done);
	return NULL;
}

static int
has(const pid_t *set, int n, pid_t v)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

/* The first number in a /proc stat file: the task's id. */
static long
stat_id(const char *path)
{
	char buf[128];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void
check_listing(void)
{
	pthread_t t[NTHREADS];
	pid_t listed[64];
	char path[96], want[64];
	int i, n, started, missing = 0, bad = 0;

	pthread_barrier_init(&up, NULL, NTHREADS + 1);
	pthread_barrier_init(&done, NULL, NTHREADS + 1);
	for (started = 0; started < NTHREADS; started++)
		if (pthread_create(&t[started], NULL, worker, (void *)(intptr_t)started) != 0)
			break;
	if (!CHECK_EQ("create 8 threads", started, NTHREADS))
		return; /* the barriers would never open */
	pthread_barrier_wait(&up);

	n = task_list("/proc/self/task", listed, 64);
	CHECK_EQ("/proc/self/task has an entry per thread (9)", n, NTHREADS + 1);
	CHECK_EQ("/proc/self/task lists the main thread's id (the process id)",
		 has(listed, n, getpid()), 1);
	for (i = 0; i < NTHREADS; i++)
		missing += !has(listed, n, tids[i]);
	CHECK_EQ("/proc/self/task lists every id gettid() gave a thread", missing, 0);
	CHECK_EQ("Threads: in /proc/self/status", status_field("/proc/self/status", "Threads"),
		 NTHREADS + 1);

	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tids[i]);
		bad += stat_id(path) != tids[i];
	}
	CHECK_EQ("/proc/self/task/TID/stat starts with TID, for each thread", bad, 0);
	bad = 0;
	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)tids[i]);
		bad +=
		    status_field(path, "Tgid") != getpid() || status_field(path, "Pid") != tids[i];
	}
	CHECK_EQ("/proc/TID/status of each thread: Tgid the process id, Pid the thread id", bad, 0);
	pthread_barrier_wait(&done);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);

	bad = 0;
	for (i = 0; i < NTHREADS; i++)
		bad += seen_by[i] != NTHREADS + 1;
	CHECK_EQ("each thread sees all 9 tasks in /proc/self/task", bad, 0);
	bad = 0;
	for (i = 0; i < NTHREADS; i++) {
		snprintf(want, sizeof(want), "%d/task/%d", (int)getpid(), (int)tids[i]);
		bad += strcmp(thread_self[i], want) != 0;
	}
	check(bad == 0, "/proc/thread-self is PID/task/TID in each thread", "%d wrong, first %s",
	      bad, thread_self[0]);

	CHECK_EQ("after the joins /proc/self/task has one entry again", wait_tasks(1), 1);
	CHECK_EQ("after the joins Threads: 1", status_field("/proc/self/status", "Threads"), 1);
	pthread_barrier_destroy(&up);
	pthread_barrier_destroy(&done);
}

static int detached_left[2];

static void *
detached(void *arg)
{
	(void)arg;
	write_full(detached_left[1], "d", 1);
	return NULL;
}

/* Detached threads are never joined: their tasks must still go when they end. */
static void
check_detached(void)
{
	pthread_attr_t a;
	pthread_t t;
	int i, ok = 0;
	char c;

	if (!CHECK_OK("pipe", pipe(detached_left)))
		return;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < 5; i++)
		ok += pthread_create(&t, &a, detached, NULL) == 0;
	pthread_attr_destroy(&a);
	CHECK_EQ("create 5 detached threads", ok, 5);
	for (i = 0; i < ok; i++)
		read_full(detached_left[0], &c, 1);
	CHECK_EQ("ended detached threads leave /proc/self/task", wait_tasks(1), 1);
}

int
main(void)
{
	guest_begin("t_pthread_proc", "threads in /proc/self/task and /proc/self/status");
	CHECK_EQ("one thread at the start: Threads: 1",
		 status_field("/proc/self/status", "Threads"), 1);
	check_listing();
	check_detached();
	return guest_end();
}
