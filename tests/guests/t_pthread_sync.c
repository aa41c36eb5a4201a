/*
 * t_pthread_sync - the synchronisation objects of POSIX threads: mutexes
 * (normal, recursive, error-checking, robust, priority-inheritance,
 * process-shared), condition variables, read-write locks, barriers,
 * semaphores (also between processes) and spinlocks.
 *
 * Usage: t_pthread_sync
 *
 * Under contention each object guards a counter that is read and written
 * back in two steps: a lost update (two holders at once) leaves the count
 * short, and every count is checked exactly. The error cases are those of
 * the man pages' ERRORS sections: EBUSY, EDEADLK, EPERM, EOWNERDEAD then
 * ENOTRECOVERABLE, ETIMEDOUT for a deadline already past, EAGAIN, EINVAL.
 * A call that must fail because another thread holds an object is made in
 * a second thread while the main thread holds it (run_in_thread), so no
 * ordering needs more than a join.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

/* Read the counter, then write it back one more: a lost update if two do it at once. */
static void
bump(volatile long *counter)
{
	long v = *counter;

	__asm__ volatile("" ::: "memory");
	*counter = v + 1;
}

/* A deadline on clock c, seconds from now (negative: already past). */
static struct timespec
deadline(clockid_t c, int seconds)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	ts.tv_sec += seconds;
	return ts;
}

/* Run fn(arg) in a new thread and return what it returns (-1000 if the thread failed). */
static int
run_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, fn, arg) != 0 || pthread_join(t, &ret) != 0)
		return -1000;
	return (int)(intptr_t)ret;
}

/* Start n copies of fn(arg) and join them; the number that ran and were joined. */
static int
run_n(int n, void *(*fn)(void *), void *arg)
{
	pthread_t t[16];
	int i, started, joined = 0;

	for (started = 0; started < n; started++)
		if (pthread_create(&t[started], NULL, fn, arg) != 0)
			break;
	for (i = 0; i < started; i++)
		joined += pthread_join(t[i], NULL) == 0;
	return joined;
}

/* -- mutexes ------------------------------------------------------------------ */

#define MUTEX_THREADS 4
#define MUTEX_ITERS   20000

static pthread_mutex_t *contended;
static volatile long counter;

static void *
mutex_worker(void *arg)
{
	int i, iters = (int)(intptr_t)arg;

	for (i = 0; i < iters; i++) {
		pthread_mutex_lock(contended);
		bump(&counter);
		pthread_mutex_unlock(contended);
	}
	return NULL;
}

/* MUTEX_THREADS threads bump one counter under m; the count must be exact. */
static void
check_contention(const char *what, pthread_mutex_t *m, int iters)
{
	char msg[128];
	int ran;

	contended = m;
	counter = 0;
	ran = run_n(MUTEX_THREADS, mutex_worker, (void *)(intptr_t)iters);
	snprintf(msg, sizeof(msg), "%s: %d threads x %d locked increments", what, MUTEX_THREADS,
		 iters);
	check(ran == MUTEX_THREADS && counter == (long)MUTEX_THREADS * iters, msg,
	      "%d threads ran, count %ld, want %ld", ran, counter, (long)MUTEX_THREADS * iters);
}

static pthread_mutex_t *probed;

static void *
try_other(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_mutex_trylock(probed);
}

static void *
unlock_other(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_mutex_unlock(probed);
}

static void *
timedlock_other(void *arg)
{
	struct timespec past = deadline(CLOCK_REALTIME, -1);

	(void)arg;
	return (void *)(intptr_t)pthread_mutex_timedlock(probed, &past);
}

/* Try m from another thread, then unlock it there if that took it. */
static void *
try_other_release(void *arg)
{
	int e = pthread_mutex_trylock(probed);

	(void)arg;
	if (e == 0)
		pthread_mutex_unlock(probed);
	return (void *)(intptr_t)e;
}

static int
mutex_of_type(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t a;
	int e;

	pthread_mutexattr_init(&a);
	e = pthread_mutexattr_settype(&a, type);
	if (e == 0)
		e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return e;
}

static void
check_normal(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	check_contention("normal mutex", &m, MUTEX_ITERS);
	probed = &m;
	pthread_mutex_lock(&m);
	CHECK_EQ("normal: trylock by another thread while held is EBUSY",
		 run_in_thread(try_other, NULL), EBUSY);
	CHECK_EQ("normal: timedlock by another thread, deadline past, is ETIMEDOUT",
		 run_in_thread(timedlock_other, NULL), ETIMEDOUT);
	CHECK_EQ("normal: trylock by the holder is EBUSY", pthread_mutex_trylock(&m), EBUSY);
	pthread_mutex_unlock(&m);
	CHECK_EQ("normal: trylock by another thread once released",
		 run_in_thread(try_other_release, NULL), 0);
}

static void
check_recursive(void)
{
	pthread_mutex_t m;

	if (!CHECK_EQ("recursive: init", mutex_of_type(&m, PTHREAD_MUTEX_RECURSIVE), 0))
		return;
	probed = &m;
	CHECK_EQ("recursive: lock", pthread_mutex_lock(&m), 0);
	CHECK_EQ("recursive: lock again by the holder", pthread_mutex_lock(&m), 0);
	CHECK_EQ("recursive: trylock by the holder", pthread_mutex_trylock(&m), 0);
	CHECK_EQ("recursive: trylock by another thread is EBUSY", run_in_thread(try_other, NULL),
		 EBUSY);
	CHECK_EQ("recursive: unlock by another thread is EPERM", run_in_thread(unlock_other, NULL),
		 EPERM);
	CHECK_EQ("recursive: unlock 1 of 3", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("recursive: unlock 2 of 3", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("recursive: still held after 2 of 3 unlocks", run_in_thread(try_other, NULL),
		 EBUSY);
	CHECK_EQ("recursive: unlock 3 of 3", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("recursive: unlock once more is EPERM", pthread_mutex_unlock(&m), EPERM);
	CHECK_EQ("recursive: free for another thread", run_in_thread(try_other_release, NULL), 0);
	check_contention("recursive mutex", &m, MUTEX_ITERS / 2);
	pthread_mutex_destroy(&m);
}

static void
check_errorcheck(void)
{
	pthread_mutex_t m;

	if (!CHECK_EQ("errorcheck: init", mutex_of_type(&m, PTHREAD_MUTEX_ERRORCHECK), 0))
		return;
	probed = &m;
	CHECK_EQ("errorcheck: lock", pthread_mutex_lock(&m), 0);
	CHECK_EQ("errorcheck: lock again by the holder is EDEADLK", pthread_mutex_lock(&m),
		 EDEADLK);
	CHECK_EQ("errorcheck: unlock by another thread is EPERM", run_in_thread(unlock_other, NULL),
		 EPERM);
	CHECK_EQ("errorcheck: trylock by another thread is EBUSY", run_in_thread(try_other, NULL),
		 EBUSY);
	CHECK_EQ("errorcheck: unlock", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("errorcheck: unlock of an unlocked mutex is EPERM", pthread_mutex_unlock(&m),
		 EPERM);
	check_contention("errorcheck mutex", &m, MUTEX_ITERS / 2);
	pthread_mutex_destroy(&m);
}

/* -- robust mutexes: an owner that dies ------------------------------------------- */

static int
robust_init(pthread_mutex_t *m, int pshared)
{
	pthread_mutexattr_t a;
	int e;

	pthread_mutexattr_init(&a);
	e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (e == 0 && pshared)
		e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (e == 0)
		e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return e;
}

static int died_pipe[2];

/* Lock probed, say so, and end the thread holding it. */
static void *
lock_and_die(void *arg)
{
	int e = pthread_mutex_lock(probed);

	(void)arg;
	write_full(died_pipe[1], &e, sizeof(e));
	return NULL;
}

/*
 * A thread locks m and ends without unlocking. With a blocking take (lock)
 * the main thread asks for m right after the thread said it holds it:
 * whether the thread is gone by then or the main thread must sleep until
 * the kernel, ending the thread, marks m's owner dead and wakes it, the
 * answer is EOWNERDEAD. A take that does not wait (trylock) is made after
 * the join: before the owner is gone it is rightly EBUSY.
 */
static int
owner_dies(pthread_mutex_t *m, int (*take)(pthread_mutex_t *), int join_first)
{
	pthread_t t;
	int e = -1;

	probed = m;
	if (pthread_create(&t, NULL, lock_and_die, NULL) != 0)
		return -1000;
	read_full(died_pipe[0], &e, sizeof(e));
	if (e != 0) {
		pthread_join(t, NULL);
		return -1001;
	}
	if (join_first) {
		pthread_join(t, NULL);
		return take(m);
	}
	e = take(m);
	pthread_join(t, NULL);
	return e;
}

static void
check_robust(void)
{
	pthread_mutex_t m;
	int st;

	if (!CHECK_OK("pipe", pipe(died_pipe)))
		return;
	if (!CHECK_EQ("robust: init", robust_init(&m, 0), 0))
		return;
	CHECK_EQ("robust: lock after the owner thread died is EOWNERDEAD",
		 owner_dies(&m, pthread_mutex_lock, 0), EOWNERDEAD);
	CHECK_EQ("robust: pthread_mutex_consistent", pthread_mutex_consistent(&m), 0);
	CHECK_EQ("robust: unlock the recovered mutex", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("robust: lock again is 0", pthread_mutex_lock(&m), 0);
	CHECK_EQ("robust: unlock", pthread_mutex_unlock(&m), 0);

	CHECK_EQ("robust: trylock after the owner thread died is EOWNERDEAD",
		 owner_dies(&m, pthread_mutex_trylock, 1), EOWNERDEAD);
	CHECK_EQ("robust: unlock without pthread_mutex_consistent", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("robust: then lock is ENOTRECOVERABLE", pthread_mutex_lock(&m), ENOTRECOVERABLE);
	pthread_mutex_destroy(&m);

	/* Between processes: only the kernel's robust-list walk at exit can mark the owner dead. */
	{
		pthread_mutex_t *sm = mmap(NULL, sizeof(*sm), PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		pid_t pid;

		if (!check(sm != MAP_FAILED, "mmap MAP_SHARED", "errno %s", errname(errno)))
			return;
		if (!CHECK_EQ("robust, process-shared: init", robust_init(sm, 1), 0))
			return;
		pid = fork();
		if (pid == 0)
			_exit(pthread_mutex_lock(sm) == 0 ? 0 : 1);
		st = -1;
		waitpid(pid, &st, 0);
		CHECK_EQ("robust, process-shared: a child locks and exits", st, 0);
		CHECK_EQ("robust, process-shared: lock after the owner process died is EOWNERDEAD",
			 pthread_mutex_lock(sm), EOWNERDEAD);
		CHECK_EQ("robust, process-shared: pthread_mutex_consistent",
			 pthread_mutex_consistent(sm), 0);
		CHECK_EQ("robust, process-shared: unlock", pthread_mutex_unlock(sm), 0);
		pthread_mutex_destroy(sm);
		munmap(sm, sizeof(*sm));
	}
}

/* -- priority inheritance ---------------------------------------------------------------- */

static void
check_pi(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	int proto = -1;

	pthread_mutexattr_init(&a);
	if (!CHECK_EQ("PTHREAD_PRIO_INHERIT: setprotocol",
		      pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0))
		return;
	pthread_mutexattr_getprotocol(&a, &proto);
	CHECK_EQ("PTHREAD_PRIO_INHERIT: getprotocol", proto, PTHREAD_PRIO_INHERIT);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	if (!CHECK_EQ("PTHREAD_PRIO_INHERIT: init", pthread_mutex_init(&m, &a), 0))
		return;
	pthread_mutexattr_destroy(&a);
	probed = &m;
	CHECK_EQ("PI: lock", pthread_mutex_lock(&m), 0);
	CHECK_EQ("PI: lock again by the holder is EDEADLK", pthread_mutex_lock(&m), EDEADLK);
	CHECK_EQ("PI: trylock by another thread is EBUSY", run_in_thread(try_other, NULL), EBUSY);
	CHECK_EQ("PI: timedlock by another thread, deadline past, is ETIMEDOUT",
		 run_in_thread(timedlock_other, NULL), ETIMEDOUT);
	CHECK_EQ("PI: unlock by another thread is EPERM", run_in_thread(unlock_other, NULL), EPERM);
	CHECK_EQ("PI: unlock", pthread_mutex_unlock(&m), 0);
	CHECK_EQ("PI: trylock by another thread once released",
		 run_in_thread(try_other_release, NULL), 0);
	check_contention("PI mutex", &m, MUTEX_ITERS / 4);
	pthread_mutex_destroy(&m);
}

/* -- a process-shared mutex between two processes ----------------------------------------- */

struct shared_count {
	pthread_mutex_t m;
	long count;
};

#define PSHARED_ITERS 5000

static void
pshared_bump(struct shared_count *sc)
{
	int i;

	for (i = 0; i < PSHARED_ITERS; i++) {
		pthread_mutex_lock(&sc->m);
		bump(&sc->count);
		pthread_mutex_unlock(&sc->m);
	}
}

static void
check_pshared_mutex(void)
{
	struct shared_count *sc =
	    mmap(NULL, sizeof(*sc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;
	pid_t pid;
	int st = -1;

	if (!check(sc != MAP_FAILED, "mmap MAP_SHARED", "errno %s", errname(errno)))
		return;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!CHECK_EQ("process-shared mutex: init", pthread_mutex_init(&sc->m, &a), 0))
		return;
	pthread_mutexattr_destroy(&a);
	pid = fork();
	if (pid == 0) {
		pshared_bump(sc);
		_exit(0);
	}
	pshared_bump(sc);
	waitpid(pid, &st, 0);
	CHECK_EQ("process-shared mutex: the child ran", st, 0);
	CHECK_EQ("process-shared mutex: two processes' locked increments all count", sc->count,
		 2 * PSHARED_ITERS);
	pthread_mutex_destroy(&sc->m);
	munmap(sc, sizeof(*sc));
}

/* -- condition variables ------------------------------------------------------------ */

#define QUEUE_SIZE  8
#define QUEUE_ITEMS 3000
#define CONSUMERS   3

static struct {
	pthread_mutex_t m;
	pthread_cond_t not_empty, not_full;
	int items[QUEUE_SIZE];
	int head, len;
	long sum;
	int taken;
} q = {.m = PTHREAD_MUTEX_INITIALIZER,
       .not_empty = PTHREAD_COND_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER};

/* Take items until a 0 (the end marker); values 1..QUEUE_ITEMS are summed. */
static void *
consumer(void *arg)
{
	(void)arg;
	for (;;) {
		int v;

		pthread_mutex_lock(&q.m);
		while (q.len == 0)
			pthread_cond_wait(&q.not_empty, &q.m);
		v = q.items[q.head];
		q.head = (q.head + 1) % QUEUE_SIZE;
		q.len--;
		if (v != 0) {
			q.sum += v;
			q.taken++;
		}
		pthread_cond_signal(&q.not_full);
		pthread_mutex_unlock(&q.m);
		if (v == 0)
			return NULL;
	}
}

static void
produce(int v)
{
	pthread_mutex_lock(&q.m);
	while (q.len == QUEUE_SIZE)
		pthread_cond_wait(&q.not_full, &q.m);
	q.items[(q.head + q.len) % QUEUE_SIZE] = v;
	q.len++;
	pthread_cond_signal(&q.not_empty);
	pthread_mutex_unlock(&q.m);
}

static void
check_queue(void)
{
	pthread_t t[CONSUMERS];
	int i, started, joined = 0;

	for (started = 0; started < CONSUMERS; started++)
		if (pthread_create(&t[started], NULL, consumer, NULL) != 0)
			break;
	if (!CHECK_EQ("condvar queue: start the consumers", started, CONSUMERS)) {
		for (i = 0; i < started; i++)
			produce(0);
	} else {
		for (i = 1; i <= QUEUE_ITEMS; i++)
			produce(i);
		for (i = 0; i < CONSUMERS; i++)
			produce(0);
	}
	for (i = 0; i < started; i++)
		joined += pthread_join(t[i], NULL) == 0;
	CHECK_EQ("condvar queue: consumers joined", joined, started);
	CHECK_EQ("condvar queue (signal): every item taken once", q.taken, QUEUE_ITEMS);
	CHECK_EQ("condvar queue (signal): the sum of the items taken", q.sum,
		 (long)QUEUE_ITEMS * (QUEUE_ITEMS + 1) / 2);
}

#define WAITERS 5

static struct {
	pthread_mutex_t m;
	pthread_cond_t go_cv, ready_cv;
	int ready, go, woke;
} bc = {.m = PTHREAD_MUTEX_INITIALIZER,
	.go_cv = PTHREAD_COND_INITIALIZER,
	.ready_cv = PTHREAD_COND_INITIALIZER};

static void *
bc_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&bc.m);
	bc.ready++;
	pthread_cond_signal(&bc.ready_cv);
	while (!bc.go)
		pthread_cond_wait(&bc.go_cv, &bc.m);
	bc.woke++;
	pthread_mutex_unlock(&bc.m);
	return NULL;
}

/*
 * WAITERS threads wait on one condition variable. Seeing ready == WAITERS
 * while holding the mutex means every one of them is inside
 * pthread_cond_wait (which gave the mutex up atomically); one broadcast
 * must then wake them all: a missed one would never return to be joined.
 */
static void
check_broadcast(void)
{
	pthread_t t[WAITERS];
	int i, started, joined = 0;

	for (started = 0; started < WAITERS; started++)
		if (pthread_create(&t[started], NULL, bc_waiter, NULL) != 0)
			break;
	pthread_mutex_lock(&bc.m);
	while (bc.ready < started)
		pthread_cond_wait(&bc.ready_cv, &bc.m);
	bc.go = 1;
	CHECK_EQ("broadcast", pthread_cond_broadcast(&bc.go_cv), 0);
	pthread_mutex_unlock(&bc.m);
	for (i = 0; i < started; i++)
		joined += pthread_join(t[i], NULL) == 0;
	CHECK_EQ("broadcast: start the waiters", started, WAITERS);
	CHECK_EQ("broadcast: one broadcast wakes every waiter", bc.woke, WAITERS);
	CHECK_EQ("broadcast: the waiters joined", joined, WAITERS);
}

#define PINGPONG_ROUNDS 2000

static struct {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int turn, rounds, out_of_turn;
} pp = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Player me (0 or 1) moves when turn == me, PINGPONG_ROUNDS times. */
static void *
player(void *arg)
{
	int me = (int)(intptr_t)arg, i;

	for (i = 0; i < PINGPONG_ROUNDS; i++) {
		pthread_mutex_lock(&pp.m);
		while (pp.turn != me)
			pthread_cond_wait(&pp.cv, &pp.m);
		pp.out_of_turn += pp.rounds % 2 != me;
		pp.rounds++;
		pp.turn = !me;
		pthread_cond_signal(&pp.cv);
		pthread_mutex_unlock(&pp.m);
	}
	return NULL;
}

static void
check_pingpong(void)
{
	pthread_t a, b;

	if (!CHECK_EQ("ping-pong: create", pthread_create(&a, NULL, player, (void *)0), 0))
		return;
	if (!CHECK_EQ("ping-pong: create", pthread_create(&b, NULL, player, (void *)1), 0)) {
		pthread_cancel(a);
		return;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ("ping-pong: two threads alternate through one condvar", pp.rounds,
		 2 * PINGPONG_ROUNDS);
	CHECK_EQ("ping-pong: no move out of turn", pp.out_of_turn, 0);
}

static void
check_timedwait(void)
{
	pthread_mutex_t m;
	pthread_cond_t cv;
	pthread_condattr_t ca;
	struct timespec ts;

	mutex_of_type(&m, PTHREAD_MUTEX_ERRORCHECK);
	pthread_cond_init(&cv, NULL);
	pthread_mutex_lock(&m);
	ts = deadline(CLOCK_REALTIME, -1);
	CHECK_EQ("cond_timedwait, realtime deadline past, is ETIMEDOUT",
		 pthread_cond_timedwait(&cv, &m, &ts), ETIMEDOUT);
	CHECK_EQ("cond_timedwait returns holding the mutex", pthread_mutex_lock(&m), EDEADLK);
	/* A short deadline ahead: no one signals, so the kernel's timeout must end the wait. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	CHECK_EQ("cond_timedwait, deadline 20 ms ahead, nobody signals: ETIMEDOUT",
		 pthread_cond_timedwait(&cv, &m, &ts), ETIMEDOUT);
	ts.tv_nsec = 1000000000;
	CHECK_EQ("cond_timedwait with tv_nsec 1e9 is EINVAL", pthread_cond_timedwait(&cv, &m, &ts),
		 EINVAL);
	pthread_cond_destroy(&cv);

	pthread_condattr_init(&ca);
	CHECK_EQ("condattr_setclock CLOCK_MONOTONIC",
		 pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	ts = deadline(CLOCK_MONOTONIC, -1);
	CHECK_EQ("cond_timedwait, monotonic deadline past, is ETIMEDOUT",
		 pthread_cond_timedwait(&cv, &m, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	pthread_cond_destroy(&cv);
	pthread_mutex_destroy(&m);
}

/* -- read-write locks ------------------------------------------------------------- */

#define READERS 3

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t rw_held, rw_release;

/* Hold a read lock until the main thread has probed the lock. */
static void *
reader_holds(void *arg)
{
	int e = pthread_rwlock_rdlock(&rw);

	(void)arg;
	pthread_barrier_wait(&rw_held);
	pthread_barrier_wait(&rw_release);
	if (e == 0)
		pthread_rwlock_unlock(&rw);
	return (void *)(intptr_t)e;
}

static void *
try_rd(void *arg)
{
	int e = pthread_rwlock_tryrdlock(&rw);

	(void)arg;
	if (e == 0)
		pthread_rwlock_unlock(&rw);
	return (void *)(intptr_t)e;
}

static void *
try_wr(void *arg)
{
	int e = pthread_rwlock_trywrlock(&rw);

	(void)arg;
	if (e == 0)
		pthread_rwlock_unlock(&rw);
	return (void *)(intptr_t)e;
}

static void *
timed_rd(void *arg)
{
	struct timespec past = deadline(CLOCK_REALTIME, -1);
	int e = pthread_rwlock_timedrdlock(&rw, &past);

	(void)arg;
	if (e == 0)
		pthread_rwlock_unlock(&rw);
	return (void *)(intptr_t)e;
}

#define RW_ITERS 5000

static volatile long rw_a, rw_b;
static int torn;

static void *
rw_writer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < RW_ITERS; i++) {
		pthread_rwlock_wrlock(&rw);
		bump(&rw_a);
		bump(&rw_b);
		pthread_rwlock_unlock(&rw);
	}
	return NULL;
}

static void *
rw_reader(void *arg)
{
	int i, bad = 0;

	(void)arg;
	for (i = 0; i < RW_ITERS; i++) {
		pthread_rwlock_rdlock(&rw);
		bad += rw_a != rw_b;
		pthread_rwlock_unlock(&rw);
	}
	__atomic_add_fetch(&torn, bad, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
check_rwlock(void)
{
	pthread_t t[READERS + 4];
	struct timespec past;
	void *ret;
	int i, started, ok = 0;

	pthread_barrier_init(&rw_held, NULL, READERS + 1);
	pthread_barrier_init(&rw_release, NULL, READERS + 1);
	for (started = 0; started < READERS; started++)
		if (pthread_create(&t[started], NULL, reader_holds, NULL) != 0)
			break;
	if (!CHECK_EQ("rwlock: start the readers", started, READERS))
		return; /* the barriers would never open */
	/* Every reader holds its read lock at once, or this would never return. */
	pthread_barrier_wait(&rw_held);
	CHECK_EQ("rwlock: tryrdlock while 3 readers hold it", (intptr_t)try_rd(NULL), 0);
	CHECK_EQ("rwlock: trywrlock while readers hold it is EBUSY", (intptr_t)try_wr(NULL), EBUSY);
	past = deadline(CLOCK_REALTIME, -1);
	CHECK_EQ("rwlock: timedwrlock while readers hold it, deadline past, is ETIMEDOUT",
		 pthread_rwlock_timedwrlock(&rw, &past), ETIMEDOUT);
	pthread_barrier_wait(&rw_release);
	for (i = 0; i < started; i++)
		ok += pthread_join(t[i], &ret) == 0 && ret == NULL;
	CHECK_EQ("rwlock: three readers held the read lock together", ok, READERS);

	CHECK_EQ("rwlock: wrlock", pthread_rwlock_wrlock(&rw), 0);
	CHECK_EQ("rwlock: tryrdlock by another thread while written is EBUSY",
		 run_in_thread(try_rd, NULL), EBUSY);
	CHECK_EQ("rwlock: trywrlock by another thread while written is EBUSY",
		 run_in_thread(try_wr, NULL), EBUSY);
	CHECK_EQ("rwlock: timedrdlock by another thread, deadline past, is ETIMEDOUT",
		 run_in_thread(timed_rd, NULL), ETIMEDOUT);
	CHECK_EQ("rwlock: unlock", pthread_rwlock_unlock(&rw), 0);

	started = 0;
	for (i = 0; i < 2; i++) {
		started += pthread_create(&t[2 * i], NULL, rw_writer, NULL) == 0;
		started += pthread_create(&t[2 * i + 1], NULL, rw_reader, NULL) == 0;
	}
	if (!CHECK_EQ("rwlock: start 2 writers and 2 readers", started, 4))
		return;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ("rwlock: 2 writers' increments all count", rw_a, 2 * RW_ITERS);
	CHECK_EQ("rwlock: no reader saw a write half done", torn, 0);
	pthread_barrier_destroy(&rw_held);
	pthread_barrier_destroy(&rw_release);
}

/* -- barriers ------------------------------------------------------------------------ */

#define BAR_THREADS 4
#define BAR_ROUNDS  200

static pthread_barrier_t bar;
static int slots[2][BAR_THREADS];
static int serial[BAR_ROUNDS];
static int early[BAR_THREADS];

/*
 * Each round every thread writes its slot of the round's row and waits;
 * after the barrier all slots of the row must hold the round. Two rows
 * suffice: a thread writes this row again two rounds on, after a barrier
 * every thread passes only once done reading it.
 */
static void *
bar_worker(void *arg)
{
	int me = (int)(intptr_t)arg, r, j, e;

	for (r = 0; r < BAR_ROUNDS; r++) {
		slots[r % 2][me] = r;
		e = pthread_barrier_wait(&bar);
		if (e == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serial[r], 1, __ATOMIC_SEQ_CST);
		else if (e != 0)
			early[me]++;
		for (j = 0; j < BAR_THREADS; j++)
			early[me] += __atomic_load_n(&slots[r % 2][j], __ATOMIC_SEQ_CST) != r;
	}
	return NULL;
}

static void
check_barrier(void)
{
	pthread_t t[BAR_THREADS];
	int i, started, bad = 0, serial_bad = 0;

	CHECK_EQ("barrier_init with count 0 is EINVAL", pthread_barrier_init(&bar, NULL, 0),
		 EINVAL);
	pthread_barrier_init(&bar, NULL, BAR_THREADS);
	for (started = 0; started < BAR_THREADS; started++)
		if (pthread_create(&t[started], NULL, bar_worker, (void *)(intptr_t)started) != 0)
			break;
	if (!CHECK_EQ("barrier: start the threads", started, BAR_THREADS))
		return;
	for (i = 0; i < BAR_THREADS; i++) {
		pthread_join(t[i], NULL);
		bad += early[i];
	}
	for (i = 0; i < BAR_ROUNDS; i++)
		serial_bad += serial[i] != 1;
	CHECK_EQ("barrier: no thread passed before all had written (200 rounds)", bad, 0);
	CHECK_EQ("barrier: one PTHREAD_BARRIER_SERIAL_THREAD per round", serial_bad, 0);
	pthread_barrier_destroy(&bar);
}

/* -- semaphores ------------------------------------------------------------------ */

#define SEM_ITEMS 5000

static sem_t items, spaces, got_one;
static long sem_sum;

static void *
sem_consumer(void *arg)
{
	int i;

	(void)arg;
	for (i = 1; i <= SEM_ITEMS; i++) {
		sem_wait(&items);
		bump(&sem_sum);
		sem_post(&spaces);
	}
	return NULL;
}

static void *
sem_waiter(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(sem_wait(&got_one) == 0 ? 0 : errno);
}

struct sem_pair {
	sem_t ping, pong;
	int rounds;
};

#define SEM_PINGPONG 1000

static void
sem_child(void *arg)
{
	struct sem_pair *sp = arg;
	int i;

	for (i = 0; i < SEM_PINGPONG; i++) {
		if (sem_wait(&sp->ping) != 0)
			_exit(1);
		sp->rounds++;
		sem_post(&sp->pong);
	}
}

static void
check_sem(void)
{
	struct timespec ts;
	struct sem_pair *sp;
	pthread_t t;
	sem_t s;
	int v = -1, i, ok = 0, st;

	if (!CHECK_OK("sem_init 0", sem_init(&s, 0, 0)))
		return;
	CHECK_ERR("sem_trywait at 0 is EAGAIN", sem_trywait(&s), EAGAIN);
	ts = deadline(CLOCK_REALTIME, -1);
	CHECK_ERR("sem_timedwait at 0, deadline past, is ETIMEDOUT", sem_timedwait(&s, &ts),
		  ETIMEDOUT);
	ts.tv_nsec = 1000000000;
	CHECK_ERR("sem_timedwait at 0 with tv_nsec 1e9 is EINVAL", sem_timedwait(&s, &ts), EINVAL);
	for (i = 0; i < 3; i++)
		ok += sem_post(&s) == 0;
	CHECK_EQ("sem_post 3 times", ok, 3);
	sem_getvalue(&s, &v);
	CHECK_EQ("sem_getvalue after 3 posts", v, 3);
	ok = 0;
	for (i = 0; i < 3; i++)
		ok += sem_trywait(&s) == 0;
	CHECK_EQ("sem_trywait 3 times", ok, 3);
	CHECK_ERR("sem_trywait once more is EAGAIN", sem_trywait(&s), EAGAIN);
	sem_destroy(&s);

	/* A thread blocked in sem_wait is woken by a post. */
	sem_init(&got_one, 0, 0);
	if (CHECK_EQ("create a sem_wait thread", pthread_create(&t, NULL, sem_waiter, NULL), 0)) {
		void *ret = (void *)-1;

		sem_post(&got_one);
		pthread_join(t, &ret);
		CHECK_EQ("sem_wait in another thread returns after sem_post", (intptr_t)ret, 0);
	}

	/* Producer and consumer through a bounded buffer of 4 counted by two semaphores. */
	sem_init(&items, 0, 0);
	sem_init(&spaces, 0, 4);
	if (CHECK_EQ("create a consumer", pthread_create(&t, NULL, sem_consumer, NULL), 0)) {
		for (i = 1; i <= SEM_ITEMS; i++) {
			sem_wait(&spaces);
			sem_post(&items);
		}
		pthread_join(t, NULL);
		CHECK_EQ("semaphores: producer and consumer, every item counted", sem_sum,
			 SEM_ITEMS);
		sem_getvalue(&spaces, &v);
		CHECK_EQ("semaphores: every space given back", v, 4);
	}

	/* Process-shared semaphores in shared memory: ping-pong with a child. */
	sp = mmap(NULL, sizeof(*sp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!check(sp != MAP_FAILED, "mmap MAP_SHARED", "errno %s", errname(errno)))
		return;
	if (!CHECK_OK("sem_init pshared", sem_init(&sp->ping, 1, 0)) ||
	    !CHECK_OK("sem_init pshared", sem_init(&sp->pong, 1, 0)))
		return;
	{
		pid_t pid = fork();

		if (pid == 0) {
			sem_child(sp);
			_exit(0);
		}
		ok = 0;
		for (i = 0; i < SEM_PINGPONG && pid > 0; i++)
			ok += sem_post(&sp->ping) == 0 && sem_wait(&sp->pong) == 0;
		st = -1;
		if (pid > 0)
			waitpid(pid, &st, 0);
	}
	CHECK_EQ("process-shared semaphores: the child ran", st, 0);
	CHECK_EQ("process-shared semaphores: 1000 rounds of ping-pong with a child",
		 ok == SEM_PINGPONG ? sp->rounds : -ok, SEM_PINGPONG);
	munmap(sp, sizeof(*sp));
}

/* -- spinlocks --------------------------------------------------------------------- */

#define SPIN_THREADS 2
#define SPIN_ITERS   20000

static pthread_spinlock_t spin;
static volatile long spin_count;

static void *
spin_worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < SPIN_ITERS; i++) {
		pthread_spin_lock(&spin);
		bump(&spin_count);
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void *
spin_try(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)pthread_spin_trylock(&spin);
}

static void
check_spin(void)
{
	if (!CHECK_EQ("pthread_spin_init", pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), 0))
		return;
	pthread_spin_lock(&spin);
	CHECK_EQ("spin_trylock by another thread while held is EBUSY",
		 run_in_thread(spin_try, NULL), EBUSY);
	pthread_spin_unlock(&spin);
	CHECK_EQ("spinlock: start and join the threads", run_n(SPIN_THREADS, spin_worker, NULL),
		 SPIN_THREADS);
	CHECK_EQ("spinlock: 2 threads' locked increments all count", spin_count,
		 SPIN_THREADS * SPIN_ITERS);
	pthread_spin_destroy(&spin);
}

int
main(void)
{
	guest_begin("t_pthread_sync",
		    "mutexes, condvars, rwlocks, barriers, semaphores, spinlocks");
	check_normal();
	check_recursive();
	check_errorcheck();
	check_robust();
	check_pi();
	check_pshared_mutex();
	check_queue();
	check_broadcast();
	check_pingpong();
	check_timedwait();
	check_rwlock();
	check_barrier();
	check_sem();
	check_spin();
	return guest_end();
}
