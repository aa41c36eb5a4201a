/*
 * t_pthread_cancel - pthread_cancel: deferred cancellation acting at a
 * cancellation point (read on an empty pipe, nanosleep, pthread_cond_wait,
 * pthread_testcancel), with the cleanup handlers run in reverse order;
 * cancellation held off while disabled; asynchronous cancellation of a
 * thread spinning in plain code.
 *
 * Usage: t_pthread_cancel
 *
 * libc cancels by sending the thread a signal (SIGCANCEL, one of the
 * real-time signals it keeps for itself) whose handler unwinds it, so the
 * guest kernel must interrupt the right thread's blocking call, or stop a
 * thread running user code to run that handler.
 *
 * Each target thread says "ready" through a pipe before it enters the call
 * it is to be cancelled in. The cancel may come before the thread is in
 * the call (it then acts as the call starts) or while it sleeps there (the
 * signal interrupts it): both end in PTHREAD_CANCELED with the same
 * cleanup, so the checks do not depend on which. The condition-variable
 * case is the exception that pins the second: holding the mutex proves
 * the thread is inside pthread_cond_wait when it is cancelled.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

static int ready_pipe[2]; /* targets -> main: "about to enter the call" */
static int empty_pipe[2]; /* never written while a target reads it */

/* The cleanup handlers that ran, in order, as characters. */
static char ran[16];
static int nran;

static void
cleanup(void *arg)
{
	if (nran < (int)sizeof(ran) - 1)
		ran[nran++] = (char)(uintptr_t)arg;
}

static void
reset(void)
{
	memset(ran, 0, sizeof(ran));
	nran = 0;
}

static void
say_ready(void)
{
	write_full(ready_pipe[1], "r", 1);
}

static int
wait_ready(void)
{
	char c;

	return read_full(ready_pipe[0], &c, 1);
}

/* Whatever a cancelled call would have returned, reaching here is a failure: say so. */
static int reached_after;

static void *
in_read(void *arg)
{
	char c;

	(void)arg;
	pthread_cleanup_push(cleanup, (void *)'1');
	pthread_cleanup_push(cleanup, (void *)'2');
	pthread_cleanup_push(cleanup, (void *)'x');
	pthread_cleanup_pop(0); /* removed, not run */
	say_ready();
	read(empty_pipe[0], &c, 1);
	reached_after = 1;
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *
in_nanosleep(void *arg)
{
	struct timespec ts = {1000, 0};

	(void)arg;
	pthread_cleanup_push(cleanup, (void *)'n');
	say_ready();
	nanosleep(&ts, NULL);
	reached_after = 1;
	pthread_cleanup_pop(0);
	return NULL;
}

static volatile unsigned long spins;

static void *
in_testcancel(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)'t');
	say_ready();
	for (;;) {
		spins++;
		pthread_testcancel();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

/* Start fn, wait until it is ready, cancel it and join; 1 if it ended cancelled. */
static int
cancel_one(const char *what, void *(*fn)(void *))
{
	char msg[128];
	pthread_t t;
	void *ret = NULL;

	reset();
	reached_after = 0;
	snprintf(msg, sizeof(msg), "%s: create", what);
	if (!CHECK_EQ(msg, pthread_create(&t, NULL, fn, NULL), 0))
		return 0;
	wait_ready();
	snprintf(msg, sizeof(msg), "%s: pthread_cancel", what);
	CHECK_EQ(msg, pthread_cancel(t), 0);
	pthread_join(t, &ret);
	snprintf(msg, sizeof(msg), "%s: pthread_join gives PTHREAD_CANCELED", what);
	CHECK_EQX(msg, (uintptr_t)ret, (uintptr_t)PTHREAD_CANCELED);
	snprintf(msg, sizeof(msg), "%s: the code after the cancellation point did not run", what);
	CHECK_EQ(msg, reached_after, 0);
	return ret == PTHREAD_CANCELED;
}

static void
check_deferred(void)
{
	cancel_one("deferred, in read on an empty pipe", in_read);
	CHECK_STR("read: the cleanup handlers ran last pushed first, a popped one not", ran, "21");
	cancel_one("deferred, in nanosleep for 1000 s", in_nanosleep);
	CHECK_STR("nanosleep: the cleanup handler ran", ran, "n");
	cancel_one("deferred, at pthread_testcancel in a loop", in_testcancel);
	CHECK_STR("testcancel: the cleanup handler ran", ran, "t");
}

/* -- in pthread_cond_wait ---------------------------------------------------------- */

static pthread_mutex_t cw_m;
static pthread_cond_t cw_cv = PTHREAD_COND_INITIALIZER, cw_ready = PTHREAD_COND_INITIALIZER;
static int cw_waiting;
static int cw_unlock_result = -1;

/* Cleanup of the waiter: cancelled in cond_wait, it holds the mutex again (man pthread_cond_wait).
 */
static void
cw_cleanup(void *arg)
{
	(void)arg;
	cw_unlock_result = pthread_mutex_unlock(&cw_m);
}

static void *
cw_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cw_m);
	cw_waiting = 1;
	pthread_cond_signal(&cw_ready);
	pthread_cleanup_push(cw_cleanup, NULL);
	for (;;)
		pthread_cond_wait(&cw_cv, &cw_m);
	pthread_cleanup_pop(1);
	return NULL;
}

static void
check_condwait(void)
{
	pthread_mutexattr_t a;
	pthread_t t;
	void *ret = NULL;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&cw_m, &a);
	pthread_mutexattr_destroy(&a);
	if (!CHECK_EQ("in cond_wait: create", pthread_create(&t, NULL, cw_waiter, NULL), 0))
		return;
	/* Holding the mutex with cw_waiting set: the waiter is asleep in cond_wait. */
	pthread_mutex_lock(&cw_m);
	while (!cw_waiting)
		pthread_cond_wait(&cw_ready, &cw_m);
	CHECK_EQ("in cond_wait: pthread_cancel", pthread_cancel(t), 0);
	pthread_mutex_unlock(&cw_m);
	pthread_join(t, &ret);
	CHECK_EQX("in cond_wait: pthread_join gives PTHREAD_CANCELED", (uintptr_t)ret,
		  (uintptr_t)PTHREAD_CANCELED);
	CHECK_EQ("in cond_wait: the cleanup handler ran holding the mutex (its unlock is 0)",
		 cw_unlock_result, 0);
	CHECK_EQ("in cond_wait: the mutex is free afterwards", pthread_mutex_trylock(&cw_m), 0);
	pthread_mutex_unlock(&cw_m);
}

/* -- disabled, then enabled ------------------------------------------------------------ */

static int go_pipe[2];
static int disabled_read = -2, old_state = -1;

static void *
disabled(void *arg)
{
	char c;
	int ignored;

	(void)arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_state);
	say_ready();
	/* A cancellation point, but cancelling is off: the read must complete. */
	disabled_read = (int)read(go_pipe[0], &c, 1);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &ignored);
	pthread_testcancel();
	reached_after = 1;
	return NULL;
}

static void
check_disabled(void)
{
	pthread_t t;
	void *ret = NULL;

	reached_after = 0;
	if (!CHECK_EQ("disabled: create", pthread_create(&t, NULL, disabled, NULL), 0))
		return;
	wait_ready();
	CHECK_EQ("disabled: pthread_cancel", pthread_cancel(t), 0);
	write_full(go_pipe[1], "g", 1);
	pthread_join(t, &ret);
	CHECK_EQ("disabled: the old state was PTHREAD_CANCEL_ENABLE", old_state,
		 PTHREAD_CANCEL_ENABLE);
	CHECK_EQ("disabled: a read while cancelling is disabled completes", disabled_read, 1);
	CHECK_EQX("disabled: the pending cancel acts once enabled, at testcancel", (uintptr_t)ret,
		  (uintptr_t)PTHREAD_CANCELED);
	CHECK_EQ("disabled: nothing after testcancel ran", reached_after, 0);
}

/* -- asynchronous ----------------------------------------------------------------------- */

static int old_type = -1;

static void *
async_spin(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)'a');
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
	say_ready();
	/* No call at all: only the signal can stop this loop. */
	for (;;)
		spins++;
	pthread_cleanup_pop(0);
	return NULL;
}

static void
check_async(void)
{
	spins = 0;
	cancel_one("asynchronous, spinning in plain code", async_spin);
	CHECK_STR("asynchronous: the cleanup handler ran", ran, "a");
	CHECK_EQ("asynchronous: the old type was PTHREAD_CANCEL_DEFERRED", old_type,
		 PTHREAD_CANCEL_DEFERRED);
}

/* -- a thread cancels itself ----------------------------------------------------------------- */

static void *
self_cancel(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)'s');
	if (pthread_cancel(pthread_self()) == 0)
		pthread_testcancel();
	reached_after = 1;
	pthread_cleanup_pop(0);
	return NULL;
}

static void
check_self(void)
{
	pthread_t t;
	void *ret = NULL;

	reset();
	reached_after = 0;
	if (!CHECK_EQ("self: create", pthread_create(&t, NULL, self_cancel, NULL), 0))
		return;
	pthread_join(t, &ret);
	CHECK_EQX("self: pthread_cancel(pthread_self()) then testcancel ends it cancelled",
		  (uintptr_t)ret, (uintptr_t)PTHREAD_CANCELED);
	CHECK_STR("self: the cleanup handler ran", ran, "s");
	CHECK_EQ("self: nothing after testcancel ran", reached_after, 0);
}

int
main(void)
{
	guest_begin("t_pthread_cancel", "pthread_cancel: deferred, disabled, asynchronous");
	if (!CHECK_OK("pipe", pipe(ready_pipe)) || !CHECK_OK("pipe", pipe(empty_pipe)) ||
	    !CHECK_OK("pipe", pipe(go_pipe)))
		return guest_end();
	check_deferred();
	check_condwait();
	check_disabled();
	check_async();
	check_self();
	return guest_end();
}
