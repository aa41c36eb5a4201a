/*
 * t_smp.c - guest programs for several virtual CPUs (issue 11): work that
 * threads and processes do at the same time must come out exact.
 *
 *   t_smp count NTHREADS ITERS    NTHREADS threads add 1 ITERS times each, under a
 *                                 mutex and with atomics: the totals are exact
 *   t_smp sum MIB NTHREADS        a MIB MiB array of 64-bit words, filled and summed
 *                                 by NTHREADS threads (each its own slice, its own
 *                                 page faults); equals the one-thread sum and the
 *                                 closed form
 *   t_smp mm NTHREADS ROUNDS      each thread: mmap, write a pattern, verify,
 *                                 mprotect read-only, fork a child that verifies
 *                                 and exits, verify again, munmap
 *   t_smp unmap ROUNDS            one thread munmaps a page a sibling keeps reading:
 *                                 the sibling sees the old contents or SIGSEGV, and
 *                                 always SIGSEGV once munmap has returned
 *   t_smp pingpong ROUNDS         two processes pass a counter through two pipes,
 *                                 then through a futex word in MAP_SHARED memory
 *                                 made before fork
 *   t_smp affinity NCPUS          sched_getaffinity and sysconf see NCPUS CPUs;
 *                                 a thread pinned to the second CPU of its mask
 *                                 runs there (sched_getcpu, getcpu)
 *
 * No timing: every check is an exact value. The worker threads record what
 * they saw; only the main thread prints (guest.h's helpers are not
 * thread-safe).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "guest.h"

#define MAXTHREADS 16

/* futex(2) operations (no <linux/futex.h>: musl-gcc does not see it). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static long
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		say("t_smp: bad number '%s'\n", s);
		exit(99);
	}
	return v;
}

/* start - start n threads running fn(arg + i * size); 0 or the first error. */
static int
start(pthread_t *tids, int n, void *(*fn)(void *), void *args, size_t size)
{
	for (int i = 0; i < n; i++) {
		int e = pthread_create(&tids[i], NULL, fn, (char *)args + i * size);

		if (e != 0) {
			check(0, "pthread_create", "got %s, want 0", errname(e));
			exit(1);
		}
	}
	return 0;
}

static void
join(pthread_t *tids, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
}

/* -- count ----------------------------------------------------------------- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long count_locked;
static long count_atomic;
static volatile long count_iters;

static void *
count_mutex(void *arg)
{
	(void)arg;
	for (long i = 0; i < count_iters; i++) {
		pthread_mutex_lock(&count_lock);
		count_locked++;
		pthread_mutex_unlock(&count_lock);
	}
	return NULL;
}

static void *
count_atom(void *arg)
{
	(void)arg;
	for (long i = 0; i < count_iters; i++)
		__atomic_fetch_add(&count_atomic, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void
do_count(int n, long iters)
{
	pthread_t tids[MAXTHREADS];

	count_iters = iters;
	start(tids, n, count_mutex, NULL, 0);
	join(tids, n);
	check(count_locked == n * iters, "mutex-guarded counter", "got %ld, want %ld", count_locked,
	    n * iters);
	start(tids, n, count_atom, NULL, 0);
	join(tids, n);
	check(count_atomic == n * iters, "atomic counter", "got %ld, want %ld", count_atomic,
	    n * iters);
}

/* -- sum ------------------------------------------------------------------- */

struct slice {
	uint64_t *a;
	size_t lo, hi;
	uint64_t sum;
};

static uint64_t
word(size_t i)
{
	return (uint64_t)i * 3 + 7;
}

static void *
fill_sum(void *arg)
{
	struct slice *s = arg;

	for (size_t i = s->lo; i < s->hi; i++)
		s->a[i] = word(i);
	s->sum = 0;
	for (size_t i = s->lo; i < s->hi; i++)
		s->sum += s->a[i];
	return NULL;
}

static void
do_sum(long mib, int n)
{
	size_t words = (size_t)mib << 17;
	struct slice sl[MAXTHREADS];
	pthread_t tids[MAXTHREADS];
	uint64_t par = 0, one = 0, closed;
	uint64_t *a;

	a = mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		check(0, "mmap of the array", "got %s, want success", errname(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		sl[i].a = a;
		sl[i].lo = words / n * i;
		sl[i].hi = i == n - 1 ? words : words / n * (i + 1);
	}
	start(tids, n, fill_sum, sl, sizeof(sl[0]));
	join(tids, n);
	for (int i = 0; i < n; i++)
		par += sl[i].sum;
	for (size_t i = 0; i < words; i++)
		one += a[i];
	/* sum of 3i + 7 for i < w: 3 w (w - 1) / 2 + 7 w, modulo 2^64. */
	closed = (uint64_t)words * (words - 1) / 2 * 3 + (uint64_t)words * 7;
	check(par == one, "parallel sum equals the one-thread sum", "got %llu, want %llu",
	    (unsigned long long)par, (unsigned long long)one);
	check(one == closed, "one-thread sum equals the closed form", "got %llu, want %llu",
	    (unsigned long long)one, (unsigned long long)closed);
	munmap(a, words * 8);
}

/* -- mm -------------------------------------------------------------------- */

#define MM_PAGES 16

struct mmjob {
	int id;
	long rounds;
	long bad;		/* rounds whose contents were wrong, in this thread */
	long childbad;		/* children that saw wrong contents or died */
	long failed;		/* system calls that failed */
};

static uint64_t
mm_pattern(int id, long round, size_t i)
{
	return ((uint64_t)id << 48) ^ ((uint64_t)round << 24) ^ (i * 0x9e3779b97f4a7c15ULL);
}

static int
mm_verify(const uint64_t *p, int id, long round)
{
	size_t words = MM_PAGES * 4096 / 8;

	for (size_t i = 0; i < words; i += 61)
		if (p[i] != mm_pattern(id, round, i))
			return 0;
	return p[words - 1] == mm_pattern(id, round, words - 1);
}

static void *
mm_worker(void *arg)
{
	struct mmjob *j = arg;
	size_t len = MM_PAGES * 4096;
	size_t words = len / 8;

	for (long r = 0; r < j->rounds; r++) {
		uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
		int st;
		pid_t pid;

		if (p == MAP_FAILED) {
			j->failed++;
			continue;
		}
		for (size_t i = 0; i < words; i++)
			p[i] = mm_pattern(j->id, r, i);
		if (!mm_verify(p, j->id, r))
			j->bad++;
		if (mprotect(p, len, PROT_READ) != 0)
			j->failed++;
		if (!mm_verify(p, j->id, r))
			j->bad++;
		pid = fork();
		if (pid == 0)
			_exit(mm_verify(p, j->id, r) ? 0 : 3);
		if (pid < 0) {
			j->failed++;
		} else if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			j->childbad++;
		}
		/* Writable again, and a write after the fork copies nothing wrong. */
		if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0)
			j->failed++;
		else
			p[0] ^= 1;
		if (p[0] != (mm_pattern(j->id, r, 0) ^ 1))
			j->bad++;
		if (munmap(p, len) != 0)
			j->failed++;
	}
	return NULL;
}

static void
do_mm(int n, long rounds)
{
	struct mmjob jobs[MAXTHREADS];
	pthread_t tids[MAXTHREADS];
	long bad = 0, childbad = 0, failed = 0;

	for (int i = 0; i < n; i++)
		jobs[i] = (struct mmjob){ .id = i + 1, .rounds = rounds };
	start(tids, n, mm_worker, jobs, sizeof(jobs[0]));
	join(tids, n);
	for (int i = 0; i < n; i++) {
		bad += jobs[i].bad;
		childbad += jobs[i].childbad;
		failed += jobs[i].failed;
	}
	check(failed == 0, "mmap/mprotect/fork/munmap calls all succeed", "got %ld failures, want 0",
	    failed);
	check(bad == 0, "every thread read back its own pattern", "got %ld bad rounds, want 0",
	    bad);
	check(childbad == 0, "every forked child saw its parent thread's pattern",
	    "got %ld bad children, want 0", childbad);
}

/* -- unmap ----------------------------------------------------------------- */

/*
 * Round r: the main thread maps a page full of r and publishes it; the
 * sibling reads it in a loop. Once it has read it once, the main thread
 * munmaps it and then sets done = r. A read the sibling starts after seeing
 * done == r must fault: munmap had returned. A read that succeeds must give
 * r, the old contents. The sibling acknowledges a round with the fault it
 * took after done == r; only then does the next page get mapped.
 */
static uint64_t *volatile um_page;
static volatile long um_round, um_done = -1, um_seen = -1, um_ack = -1;
static long um_stale, um_wrong, um_faults_during, um_reads;
static __thread sigjmp_buf um_jmp;
static __thread volatile int um_armed;

static void
um_segv(int sig)
{
	(void)sig;
	if (um_armed)
		siglongjmp(um_jmp, 1);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

static void *
um_sibling(void *arg)
{
	long rounds = *(long *)arg;

	/* volatile: live across the siglongjmp out of the fault handler. */
	for (volatile long r = 0; r < rounds; r++) {
		volatile uint64_t *p;
		volatile unsigned off = 0;

		while (__atomic_load_n(&um_round, __ATOMIC_ACQUIRE) != r)
			sched_yield();
		p = um_page;
		for (;;) {
			long d = __atomic_load_n(&um_done, __ATOMIC_ACQUIRE);
			uint64_t v;

			um_armed = 1;
			if (sigsetjmp(um_jmp, 1)) {
				um_armed = 0;
				if (d == r)
					break;
				um_faults_during++;
				continue;
			}
			v = p[off];
			um_armed = 0;
			off = (off + 67) % 512;
			um_reads++;
			if (v != (uint64_t)r)
				um_wrong++;
			if (d == r) {
				um_stale++;
				break;
			}
			__atomic_store_n(&um_seen, r, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&um_ack, r, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
do_unmap(long rounds)
{
	struct sigaction sa = { .sa_handler = um_segv };
	pthread_t tid;
	long failed = 0;

	sigaction(SIGSEGV, &sa, NULL);
	um_round = -1;
	start(&tid, 1, um_sibling, &rounds, 0);
	for (long r = 0; r < rounds; r++) {
		uint64_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);

		if (p == MAP_FAILED) {
			check(0, "mmap of the page", "got %s, want success", errname(errno));
			exit(1);
		}
		for (int i = 0; i < 512; i++)
			p[i] = r;
		um_page = p;
		__atomic_store_n(&um_round, r, __ATOMIC_RELEASE);
		while (__atomic_load_n(&um_seen, __ATOMIC_ACQUIRE) != r &&
		    __atomic_load_n(&um_ack, __ATOMIC_ACQUIRE) != r)
			sched_yield();
		if (munmap(p, 4096) != 0)
			failed++;
		__atomic_store_n(&um_done, r, __ATOMIC_RELEASE);
		while (__atomic_load_n(&um_ack, __ATOMIC_ACQUIRE) != r)
			sched_yield();
	}
	join(&tid, 1);
	check(failed == 0, "munmap succeeds", "got %ld failures, want 0", failed);
	check(um_wrong == 0, "reads before munmap returned gave the old contents",
	    "got %ld wrong of %ld, want 0", um_wrong, um_reads);
	check(um_stale == 0, "no read succeeded after munmap returned",
	    "got %ld stale reads in %ld rounds, want 0", um_stale, rounds);
	say("t_smp: %ld reads, %ld faults while munmap ran\n", um_reads, um_faults_during);
}

/* -- pingpong -------------------------------------------------------------- */

static long
futex(volatile int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* pp_futex_side - take turns on *turn: this side moves it from parity to parity+1. */
static int
pp_futex_side(volatile int *turn, int parity, long rounds)
{
	for (long i = 0; i < rounds; i++) {
		int c;

		while (((c = __atomic_load_n(turn, __ATOMIC_ACQUIRE)) & 1) != parity) {
			if (futex(turn, FUTEX_WAIT, c) != 0 && errno != EAGAIN && errno != EINTR)
				return -1;
		}
		__atomic_store_n(turn, c + 1, __ATOMIC_RELEASE);
		if (futex(turn, FUTEX_WAKE, 1) < 0)
			return -1;
	}
	return 0;
}

static void
do_pingpong(long rounds)
{
	int down[2], up[2], st;
	volatile int *turn;
	long v = 0, fails = 0;
	pid_t pid;

	turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (turn == MAP_FAILED || pipe(down) != 0 || pipe(up) != 0) {
		check(0, "setup (mmap MAP_SHARED, pipes)", "got %s, want success", errname(errno));
		return;
	}
	*turn = 0;
	pid = fork();
	if (pid < 0) {
		check(0, "fork", "got %s, want success", errname(errno));
		return;
	}
	if (pid == 0) {
		long x;

		close(down[1]);
		close(up[0]);
		for (long i = 0; i < rounds; i++) {
			if (read(down[0], &x, sizeof(x)) != sizeof(x))
				_exit(2);
			x++;
			if (write(up[1], &x, sizeof(x)) != sizeof(x))
				_exit(2);
		}
		_exit(pp_futex_side(turn, 1, rounds) == 0 ? 0 : 3);
	}
	close(down[0]);
	close(up[1]);
	for (long i = 0; i < rounds; i++) {
		v++;
		if (write(down[1], &v, sizeof(v)) != sizeof(v) || read(up[0], &v, sizeof(v)) !=
		    sizeof(v)) {
			fails++;
			break;
		}
	}
	check(fails == 0 && v == 2 * rounds, "pipe ping-pong counter", "got %ld, want %ld", v,
	    2 * rounds);
	check(pp_futex_side(turn, 0, rounds) == 0, "futex ping-pong calls", "got %s, want success",
	    errname(errno));
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the child's side of both ping-pongs", "got status 0x%x, want exit 0", st);
	check(*turn == 2 * rounds, "futex turn counter in MAP_SHARED memory", "got %d, want %ld",
	    *turn, 2 * rounds);
}

/* -- affinity -------------------------------------------------------------- */

struct pin {
	int target;
	int set_ret, set_err;
	int cpu_before, cpu_after, getcpu_ret, getcpu_cpu;
	int count_after, has_target;
};

static void *
pin_thread(void *arg)
{
	struct pin *p = arg;
	cpu_set_t set;
	unsigned cpu = ~0u, node = ~0u;

	CPU_ZERO(&set);
	CPU_SET(p->target, &set);
	p->set_ret = sched_setaffinity(0, sizeof(set), &set);
	p->set_err = errno;
	p->cpu_before = sched_getcpu();
	/* System calls and yields in between: the pin must hold, not just the first answer. */
	for (int i = 0; i < 200; i++)
		sched_yield();
	p->cpu_after = sched_getcpu();
	p->getcpu_ret = syscall(SYS_getcpu, &cpu, &node, NULL);
	p->getcpu_cpu = cpu;
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	p->count_after = CPU_COUNT(&set);
	p->has_target = CPU_ISSET(p->target, &set);
	return NULL;
}

static void
do_affinity(int ncpus)
{
	cpu_set_t set, bad;
	struct pin pin = { .target = -1 };
	pthread_t tid;
	long online;
	int seen = 0, r;

	CPU_ZERO(&set);
	r = sched_getaffinity(0, sizeof(set), &set);
	check(r == 0 && CPU_COUNT(&set) == ncpus, "sched_getaffinity counts the CPUs",
	    "got %d (ret %d), want %d", CPU_COUNT(&set), r, ncpus);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	check(online == ncpus, "sysconf(_SC_NPROCESSORS_ONLN)", "got %ld, want %d", online, ncpus);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set) && seen++ == 1) {
			pin.target = c;
			break;
		}
	}
	if (pin.target < 0) {
		check(0, "a second CPU to pin to", "got none, want one of %d", ncpus);
		return;
	}
	start(&tid, 1, pin_thread, &pin, 0);
	join(&tid, 1);
	check(pin.set_ret == 0, "sched_setaffinity to the second CPU", "got %s, want 0",
	    pin.set_ret ? errname(pin.set_err) : "0");
	check(pin.cpu_before == pin.target && pin.cpu_after == pin.target,
	    "sched_getcpu in the pinned thread", "got %d then %d, want %d", pin.cpu_before,
	    pin.cpu_after, pin.target);
	check(pin.getcpu_ret == 0 && pin.getcpu_cpu == pin.target, "getcpu(2) in the pinned thread",
	    "got ret %d cpu %d, want 0 and %d", pin.getcpu_ret, pin.getcpu_cpu, pin.target);
	check(pin.count_after == 1 && pin.has_target, "the pinned thread's mask is that CPU alone",
	    "got %d CPUs (target in it: %d), want 1", pin.count_after, pin.has_target);
	/* The main thread's mask is its own: the sibling's pin did not change it. */
	CPU_ZERO(&bad);
	sched_getaffinity(0, sizeof(bad), &bad);
	check(CPU_COUNT(&bad) == ncpus, "the main thread's mask is unchanged", "got %d, want %d",
	    CPU_COUNT(&bad), ncpus);
	/* sched_setaffinity(2): EINVAL when the mask holds no CPU the system has. */
	CPU_ZERO(&bad);
	CPU_SET(CPU_SETSIZE - 1, &bad);
	errno = 0;
	r = sched_setaffinity(0, sizeof(bad), &bad);
	check(r == -1 && errno == EINVAL, "sched_setaffinity to a CPU that is not there",
	    "got %d %s, want -1 EINVAL", r, errname(errno));
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	guest_begin("t_smp", "work shared between threads and processes on several CPUs");
	if (strcmp(mode, "count") == 0 && argc == 4 && num(argv[2]) <= MAXTHREADS)
		do_count(num(argv[2]), num(argv[3]));
	else if (strcmp(mode, "sum") == 0 && argc == 4 && num(argv[3]) <= MAXTHREADS)
		do_sum(num(argv[2]), num(argv[3]));
	else if (strcmp(mode, "mm") == 0 && argc == 4 && num(argv[2]) <= MAXTHREADS)
		do_mm(num(argv[2]), num(argv[3]));
	else if (strcmp(mode, "unmap") == 0 && argc == 3)
		do_unmap(num(argv[2]));
	else if (strcmp(mode, "pingpong") == 0 && argc == 3)
		do_pingpong(num(argv[2]));
	else if (strcmp(mode, "affinity") == 0 && argc == 3)
		do_affinity(num(argv[2]));
	else {
		say("usage: t_smp count N ITERS | sum MIB N | mm N ROUNDS | unmap ROUNDS | "
		    "pingpong ROUNDS | affinity NCPUS\n");
		return 99;
	}
	return guest_end();
}
