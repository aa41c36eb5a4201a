/*
 * t_pthread_basic - threads of one process: 100 created at once and joined
 * with their return values; what each has of its own (thread id, stack,
 * __thread variables, errno, pthread_key_t values and their destructors)
 * and what they share (the process id); pthread_exit from deep in a
 * thread; detached threads.
 *
 * Usage: t_pthread_basic
 *
 * The threads record what they see and the main thread checks it (guest.h
 * is not thread-safe). A barrier holds all 100 alive at once, so their
 * thread ids must all differ (a thread id is reused only after its thread
 * is gone) and each one's thread-local values must survive the others'
 * writes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

#define NTHREADS 100

/* Thread-local storage of each kind: initialised (.tdata), zeroed (.tbss), an array. */
static __thread int tls_data = 7;
static __thread long tls_bss;
static __thread char tls_buf[64] = "tls image";

/* What one of the 100 threads saw. */
struct rec {
	int idx;
	pthread_t self;
	pid_t tid, pid;
	int data_init, buf_init;
	long bss_init;
	void *key_init;
	int data_after, errno_after, buf_after;
	long bss_after;
	void *key_after;
	void *data_addr;
	int on_own_stack;
};

static struct rec recs[NTHREADS];
static pthread_barrier_t all_up;
static pthread_key_t key;
/* Destructor calls for key, by thread index, and the thread each ran in. */
static int dtor_calls[NTHREADS];
static pid_t dtor_tid[NTHREADS];

static void
key_dtor(void *v)
{
	struct rec *r = v;

	if (r >= recs && r < recs + NTHREADS) {
		dtor_calls[r->idx]++;
		dtor_tid[r->idx] = gtid();
	}
}

/* Is the address of a local variable inside the stack pthread gives this thread? */
static int
on_own_stack(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	char here;
	int ok;

	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	ok = pthread_attr_getstack(&a, &addr, &size) == 0 && &here >= (char *)addr &&
	     &here < (char *)addr + size;
	pthread_attr_destroy(&a);
	return ok;
}

static void *
worker(void *arg)
{
	struct rec *r = arg;
	int i = r->idx;

	r->self = pthread_self();
	r->tid = gtid();
	r->pid = getpid();
	r->data_init = tls_data;
	r->bss_init = tls_bss;
	r->buf_init = strcmp(tls_buf, "tls image") == 0;
	r->key_init = pthread_getspecific(key);
	r->data_addr = &tls_data;
	r->on_own_stack = on_own_stack();

	/* Each writes its own values, then waits until every thread has. */
	tls_data = 1000 + i;
	tls_bss = -i;
	snprintf(tls_buf, sizeof(tls_buf), "thread %d", i);
	errno = 3000 + i;
	pthread_setspecific(key, r);
	pthread_barrier_wait(&all_up);

	r->data_after = tls_data;
	r->bss_after = tls_bss;
	r->errno_after = errno;
	{
		char want[64];

		snprintf(want, sizeof(want), "thread %d", i);
		r->buf_after = strcmp(tls_buf, want) == 0;
	}
	r->key_after = pthread_getspecific(key);
	return (void *)(uintptr_t)(i * 3 + 1);
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* How many of n values are equal to another (n sorted copies compared neighbour to neighbour). */
static int
duplicates(const long *vals, int n)
{
	long sorted[NTHREADS];
	int i, dups = 0;

	memcpy(sorted, vals, n * sizeof(long));
	qsort(sorted, n, sizeof(long), cmp_long);
	for (i = 1; i < n; i++)
		dups += sorted[i] == sorted[i - 1];
	return dups;
}

/* Count the threads whose field differs from what it should be; report the first. */
#define COUNT_BAD(what, cond_ok, got_expr, want_expr)                                              \
	do {                                                                                       \
		int _bad = 0, _first = -1;                                                         \
		long long _g = 0, _w = 0;                                                          \
		for (int i = 0; i < NTHREADS; i++) {                                               \
			if (!(cond_ok)) {                                                          \
				if (_first < 0) {                                                  \
					_first = i;                                                \
					_g = (long long)(got_expr);                                \
					_w = (long long)(want_expr);                               \
				}                                                                  \
				_bad++;                                                            \
			}                                                                          \
		}                                                                                  \
		check(_bad == 0, (what), "%d threads wrong, first thread %d: got %lld, want %lld", \
		      _bad, _first, _g, _w);                                                       \
	} while (0)

static void
check_hundred(void)
{
	static pthread_t th[NTHREADS];
	static int create_err[NTHREADS];
	static void *ret[NTHREADS];
	static long vals[NTHREADS];
	int created = 0, joined = 0;

	if (!CHECK_EQ("pthread_key_create", pthread_key_create(&key, key_dtor), 0))
		return;
	pthread_barrier_init(&all_up, NULL, NTHREADS + 1);
	tls_data = 99;
	for (int i = 0; i < NTHREADS; i++) {
		recs[i].idx = i;
		create_err[i] = gthr_start(&th[i], worker, &recs[i], GTHR_SMALL_STACK);
		created += create_err[i] == 0;
	}
	if (!check(created == NTHREADS, "pthread_create 100 threads", "%d created, first error %s",
		   created, errname(create_err[created < NTHREADS ? created : 0]))) {
		/* The barrier would never open: the threads that exist cannot be joined. */
		return;
	}
	pthread_barrier_wait(&all_up);
	for (int i = 0; i < NTHREADS; i++)
		joined += pthread_join(th[i], &ret[i]) == 0;
	CHECK_EQ("pthread_join all 100", joined, NTHREADS);

	COUNT_BAD("each thread's return value reaches pthread_join",
		  ret[i] == (void *)(uintptr_t)(i * 3 + 1), (uintptr_t)ret[i], i * 3 + 1);
	COUNT_BAD("pthread_self in the thread equals what pthread_create gave",
		  pthread_equal(recs[i].self, th[i]), 0, 1);
	COUNT_BAD("getpid is the same in every thread", recs[i].pid == getpid(), recs[i].pid,
		  getpid());
	CHECK_EQ("the main thread's gettid is the process id", gtid(), getpid());
	COUNT_BAD("no thread's gettid is the process id",
		  recs[i].tid > 0 && recs[i].tid != getpid(), recs[i].tid, -1);
	for (int i = 0; i < NTHREADS; i++)
		vals[i] = recs[i].tid;
	CHECK_EQ("the 100 live threads' gettid values are distinct", duplicates(vals, NTHREADS), 0);
	COUNT_BAD("a thread's stack holds its local variables", recs[i].on_own_stack, 0, 1);

	COUNT_BAD("__thread int starts at its initial value", recs[i].data_init == 7,
		  recs[i].data_init, 7);
	COUNT_BAD("__thread long (bss) starts at zero", recs[i].bss_init == 0, recs[i].bss_init, 0);
	COUNT_BAD("__thread char[] starts as its initial image", recs[i].buf_init, 0, 1);
	COUNT_BAD("__thread int keeps the thread's own value", recs[i].data_after == 1000 + i,
		  recs[i].data_after, 1000 + i);
	COUNT_BAD("__thread long keeps the thread's own value", recs[i].bss_after == -i,
		  recs[i].bss_after, -i);
	COUNT_BAD("__thread char[] keeps the thread's own text", recs[i].buf_after, 0, 1);
	COUNT_BAD("errno is per thread", recs[i].errno_after == 3000 + i, recs[i].errno_after,
		  3000 + i);
	for (int i = 0; i < NTHREADS; i++)
		vals[i] = (long)(uintptr_t)recs[i].data_addr;
	CHECK_EQ("the 100 threads' __thread addresses are distinct", duplicates(vals, NTHREADS), 0);
	CHECK_EQ("the main thread's __thread value is its own", tls_data, 99);

	COUNT_BAD("a new thread's pthread_getspecific is NULL", recs[i].key_init == NULL,
		  (uintptr_t)recs[i].key_init, 0);
	COUNT_BAD("pthread_getspecific returns the thread's own value",
		  recs[i].key_after == &recs[i], (uintptr_t)recs[i].key_after, (uintptr_t)&recs[i]);
	CHECK_EQX("the main thread's pthread_getspecific is still NULL",
		  (uintptr_t)pthread_getspecific(key), 0);
	COUNT_BAD("the key's destructor ran once per thread", dtor_calls[i] == 1, dtor_calls[i], 1);
	COUNT_BAD("the destructor ran in the exiting thread", dtor_tid[i] == recs[i].tid,
		  dtor_tid[i], recs[i].tid);
	pthread_barrier_destroy(&all_up);
	pthread_key_delete(key);
}

/* -- pthread_exit ---------------------------------------------------------- */

static pthread_key_t exit_key;
static int exit_dtor_ran;
static int after_exit_ran;
/* Destructor rounds: the second key's destructor sets its value again once. */
static pthread_key_t again_key;
static int again_calls;

static void
exit_dtor(void *v)
{
	exit_dtor_ran = v == (void *)&exit_dtor_ran;
}

static void
again_dtor(void *v)
{
	(void)v;
	if (++again_calls == 1)
		pthread_setspecific(again_key, &again_calls);
}

/* Nonzero: deep() calls pthread_exit at the bottom (volatile: a path the compiler sees return). */
static volatile int exit_at_bottom = 1;

/* Recurse n frames down, then pthread_exit: it must unwind past all of them. */
static void
deep(int n)
{
	if (n > 0)
		deep(n - 1);
	else if (exit_at_bottom)
		pthread_exit((void *)0x5eed);
	after_exit_ran = 1;
}

static void *
exiter(void *arg)
{
	(void)arg;
	pthread_setspecific(exit_key, &exit_dtor_ran);
	pthread_setspecific(again_key, &again_calls);
	deep(10);
	after_exit_ran = 1;
	return (void *)1;
}

static void
check_exit(void)
{
	pthread_t t;
	void *ret = NULL;

	if (!CHECK_EQ("pthread_key_create", pthread_key_create(&exit_key, exit_dtor), 0) ||
	    !CHECK_EQ("pthread_key_create", pthread_key_create(&again_key, again_dtor), 0))
		return;
	if (!CHECK_EQ("pthread_create (default stack)", pthread_create(&t, NULL, exiter, NULL), 0))
		return;
	CHECK_EQ("pthread_join a thread that called pthread_exit", pthread_join(t, &ret), 0);
	CHECK_EQX("pthread_exit's value reaches pthread_join", (uintptr_t)ret, 0x5eed);
	CHECK_EQ("nothing after pthread_exit ran", after_exit_ran, 0);
	CHECK_EQ("pthread_exit runs key destructors", exit_dtor_ran, 1);
	CHECK_EQ("a destructor that sets its value again is called again", again_calls, 2);
	pthread_key_delete(exit_key);
	pthread_key_delete(again_key);
}

/* -- detached threads ------------------------------------------------------- */

static int report_pipe[2], go_pipe[2];
static pthread_key_t report_key;

/* Runs as the detached thread exits: proves it got as far as its destructors. */
static void
report_dtor(void *v)
{
	char c = (char)(uintptr_t)v;

	write_full(report_pipe[1], &c, 1);
}

/* The thread detached by its attributes. */
static void *
by_attr(void *arg)
{
	(void)arg;
	pthread_setspecific(report_key, (void *)(uintptr_t)'A');
	return NULL;
}

/* The thread that detaches itself; it reports pthread_detach's result. */
static void *
by_self(void *arg)
{
	(void)arg;
	pthread_setspecific(report_key,
			    (void *)(uintptr_t)(pthread_detach(pthread_self()) == 0 ? 'S' : 's'));
	return NULL;
}

/* The thread main detaches: it waits until it has been. */
static void *
by_other(void *arg)
{
	char c;

	(void)arg;
	read_full(go_pipe[0], &c, 1);
	pthread_setspecific(report_key, (void *)(uintptr_t)'O');
	return NULL;
}

static void
check_detach(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int state = -1;
	char c = 0;

	if (!CHECK_OK("pipe", pipe(report_pipe)) || !CHECK_OK("pipe", pipe(go_pipe)) ||
	    !CHECK_EQ("pthread_key_create", pthread_key_create(&report_key, report_dtor), 0))
		return;
	pthread_attr_init(&attr);
	CHECK_EQ("pthread_attr_setdetachstate DETACHED",
		 pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
	pthread_attr_getdetachstate(&attr, &state);
	CHECK_EQ("pthread_attr_getdetachstate", state, PTHREAD_CREATE_DETACHED);
	if (CHECK_EQ("pthread_create detached", pthread_create(&t, &attr, by_attr, NULL), 0)) {
		CHECK_OK("read the detached thread's report", read_full(report_pipe[0], &c, 1));
		CHECK_EQ("a thread created detached runs to its exit", c, 'A');
	}
	pthread_attr_destroy(&attr);

	c = 0;
	if (CHECK_EQ("pthread_create", pthread_create(&t, NULL, by_self, NULL), 0)) {
		CHECK_OK("read the self-detached thread's report",
			 read_full(report_pipe[0], &c, 1));
		CHECK_EQ("pthread_detach(pthread_self()) is 0 and the thread runs to its exit", c,
			 'S');
	}

	c = 0;
	if (CHECK_EQ("pthread_create", pthread_create(&t, NULL, by_other, NULL), 0)) {
		CHECK_EQ("pthread_detach of a running thread", pthread_detach(t), 0);
		write_full(go_pipe[1], "g", 1);
		CHECK_OK("read the detached thread's report", read_full(report_pipe[0], &c, 1));
		CHECK_EQ("a thread detached by another runs to its exit", c, 'O');
	}
}

int
main(void)
{
	guest_begin("t_pthread_basic",
		    "threads: create, join, ids, thread-local data, exit, detach");
	check_hundred();
	check_exit();
	check_detach();
	return guest_end();
}
