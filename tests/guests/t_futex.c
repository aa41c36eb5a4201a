/*
 * t_futex - futex(2) through the raw system call, set_robust_list and
 * get_robust_list, the robust-list walk and clear_child_tid at a task's
 * death. Expectations are Linux's (futex(2) and the kernel's futex code); the program
 * runs natively first.
 *
 * Usage: t_futex [--threads | --exit]
 *
 * Without arguments: what one task (and forked or vfork-style children)
 * can show: EAGAIN, ETIMEDOUT for each kind of timeout (relative,
 * absolute monotonic, absolute CLOCK_REALTIME), EINVAL, EFAULT, ENOSYS,
 * wakes and requeues with no waiter, every FUTEX_WAKE_OP operation on the
 * second word, the PI word protocol against no owner, a live owner and a
 * dead one, signals interrupting waits (EINTR, SA_RESTART, the PI ops'
 * restart), a shared futex between two processes over MAP_SHARED memory,
 * the robust list and clear_child_tid of a child that shares our memory
 * (CLONE_VM | CLONE_VFORK) and dies.
 *
 * --threads: what needs several tasks waiting at once, made with clone
 * and the thread flags: the N oldest waiters woken by a wake of N, by
 * bitset; requeue; wake-op's conditional wake; private and shared keys
 * apart; PI handoff on unlock, on requeue and on the owner's death; a
 * robust lock's waiter woken by its owner's death; and pthread_join's
 * wait on clear_child_tid. A thread learns that another waits with
 * FUTEX_REQUEUE of a word onto itself, which returns the number of
 * waiters and moves none: no sleep is ever the synchronisation, only the
 * timeouts under test are timed, and only from below.
 *
 * --exit: exit 0 at once, the image a child execs to show that exec
 * walks the robust list as exit does.
 *
 * The constants are the kernel's (linux/futex.h), written out: musl-gcc
 * does not see <linux/...>.
 */
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_FD	       2
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP	       5
#define FUTEX_LOCK_PI	       6
#define FUTEX_UNLOCK_PI	       7
#define FUTEX_TRYLOCK_PI       8
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_WAIT_REQUEUE_PI  11
#define FUTEX_CMP_REQUEUE_PI   12
#define FUTEX_LOCK_PI2	       13
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_WAITERS	       0x80000000u
#define FUTEX_OWNER_DIED       0x40000000u
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
	((unsigned)(((op)&0xf) << 28) | (unsigned)(((cmp)&0xf) << 24) |                            \
	 (unsigned)(((oparg)&0xfff) << 12) | (unsigned)((cmparg)&0xfff))
#define FUTEX_OP_OPARG_SHIFT 8

#define PRIV FUTEX_PRIVATE_FLAG
#define MS   1000000LL

#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif

/*
 * The raw system call, result -errno: threads made by clone() share the
 * main thread's TLS and so its errno, which this never touches.
 */
static long
rsys(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define FUTEX(ua, op, val, t, ua2, val3)                                                           \
	rsys(SYS_futex, (long)(ua), (long)(op), (long)(val), (long)(t), (long)(ua2), (long)(val3))

/* A call's result against the one wanted, errors by name. */
#define CHECK_RET(what, got, want)                                                                 \
	({                                                                                         \
		long _g = (long)(got), _w = (long)(want);                                          \
		check(_g == _w, (what), "got %ld%s%s, want %ld%s%s", _g, _g < 0 ? " " : "",        \
		      _g < 0 ? errname((int)-_g) : "", _w, _w < 0 ? " " : "",                      \
		      _w < 0 ? errname((int)-_w) : "");                                            \
	})

static long long
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec
ts_of(long long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};

	return ts;
}

static int
gettid_(void)
{
	return (int)rsys(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* A page of each kind the checks need: read-only, and one that is gone. */
static uint32_t *ro_page, *gone_page;

static void
pages_init(void)
{
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED || gone_page == MAP_FAILED) {
		check(0, "mmap the test pages", "mmap failed");
		exit(1);
	}
	munmap(gone_page, 4096);
}

/* A pid nobody has: a child's, after it is reaped. */
static int
dead_pid(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	return pid;
}

/* Wait for a forked checker child; its checks count as one here. */
static void
check_child(const char *what, pid_t pid)
{
	int st = -1;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what, "wait status %#x, want exit 0", st);
}

/* ---- one task: errors, timeouts, wakes of nobody ---------------------------------------- */

static uint32_t word __attribute__((aligned(64)));
static uint32_t word2 __attribute__((aligned(64)));

static void
test_errors(void)
{
	struct timespec ts = {0, 0}, bad = {0, 1000000000L}, neg = {-1, 0};
	char *base = (char *)&word;

	word = 1;
	CHECK_RET("WAIT on a word that changed is EAGAIN", FUTEX(&word, FUTEX_WAIT, 0, 0, 0, 0),
		  -EAGAIN);
	CHECK_RET("WAIT_PRIVATE on a word that changed is EAGAIN",
		  FUTEX(&word, FUTEX_WAIT | PRIV, 0, 0, 0, 0), -EAGAIN);
	CHECK_RET("WAIT with a zero timeout is ETIMEDOUT", FUTEX(&word, FUTEX_WAIT, 1, &ts, 0, 0),
		  -ETIMEDOUT);
	CHECK_RET("EAGAIN comes before an expired timeout", FUTEX(&word, FUTEX_WAIT, 2, &ts, 0, 0),
		  -EAGAIN);
	CHECK_RET("timeout tv_nsec of 1e9 is EINVAL", FUTEX(&word, FUTEX_WAIT, 1, &bad, 0, 0),
		  -EINVAL);
	CHECK_RET("negative timeout is EINVAL", FUTEX(&word, FUTEX_WAIT, 1, &neg, 0, 0), -EINVAL);
	CHECK_RET("unreadable timeout is EFAULT", FUTEX(&word, FUTEX_WAIT, 1, gone_page, 0, 0),
		  -EFAULT);
	CHECK_RET("the timeout is read before the word's alignment is checked",
		  FUTEX(base + 1, FUTEX_WAIT, 1, gone_page, 0, 0), -EFAULT);
	CHECK_RET("WAIT_BITSET with bitset 0 is EINVAL",
		  FUTEX(&word, FUTEX_WAIT_BITSET, 1, 0, 0, 0), -EINVAL);
	CHECK_RET("WAKE_BITSET with bitset 0 is EINVAL",
		  FUTEX(&word, FUTEX_WAKE_BITSET, 1, 0, 0, 0), -EINVAL);
	CHECK_RET("WAIT on an unaligned word is EINVAL", FUTEX(base + 1, FUTEX_WAIT, 1, 0, 0, 0),
		  -EINVAL);
	CHECK_RET("WAKE on an unaligned word is EINVAL", FUTEX(base + 2, FUTEX_WAKE, 1, 0, 0, 0),
		  -EINVAL);
	CHECK_RET("LOCK_PI on an unaligned word is EINVAL",
		  FUTEX(base + 1, FUTEX_LOCK_PI, 0, 0, 0, 0), -EINVAL);
	CHECK_RET("WAIT_PRIVATE on an unmapped word is EFAULT",
		  FUTEX(gone_page, FUTEX_WAIT | PRIV, 0, 0, 0, 0), -EFAULT);
	CHECK_RET("WAIT on an unmapped word is EFAULT", FUTEX(gone_page, FUTEX_WAIT, 0, 0, 0, 0),
		  -EFAULT);
	CHECK_RET("shared WAKE on an unmapped word is EFAULT (its page names the key)",
		  FUTEX(gone_page, FUTEX_WAKE, 1, 0, 0, 0), -EFAULT);
	CHECK_RET("private WAKE on an unmapped word is 0 (the address is the key)",
		  FUTEX(gone_page, FUTEX_WAKE | PRIV, 1, 0, 0, 0), 0);
	CHECK_RET("private WAKE on a kernel address is EFAULT",
		  FUTEX(0xffff800000000000ULL, FUTEX_WAKE | PRIV, 1, 0, 0, 0), -EFAULT);
	CHECK_RET("private WAKE past TASK_SIZE_MAX (the guard page) is EFAULT",
		  FUTEX(0x7ffffffffffcULL, FUTEX_WAKE | PRIV, 1, 0, 0, 0), -EFAULT);
	CHECK_RET("WAIT on a read-only page reads it (timeout 0: ETIMEDOUT)",
		  FUTEX(ro_page, FUTEX_WAIT | PRIV, 0, &ts, 0, 0), -ETIMEDOUT);
	CHECK_RET("TRYLOCK_PI on a read-only page is EFAULT",
		  FUTEX(ro_page, FUTEX_TRYLOCK_PI, 0, 0, 0, 0), -EFAULT);
	CHECK_RET("LOCK_PI on an unmapped word is EFAULT",
		  FUTEX(gone_page, FUTEX_LOCK_PI | PRIV, 0, 0, 0, 0), -EFAULT);
	CHECK_RET("UNLOCK_PI on an unmapped word is EFAULT",
		  FUTEX(gone_page, FUTEX_UNLOCK_PI | PRIV, 0, 0, 0, 0), -EFAULT);
	CHECK_RET("FUTEX_FD is ENOSYS", FUTEX(&word, FUTEX_FD, 0, 0, 0, 0), -ENOSYS);
	CHECK_RET("op 14 is ENOSYS", FUTEX(&word, 14, 0, 0, 0, 0), -ENOSYS);
	CHECK_RET("op 127 is ENOSYS", FUTEX(&word, 127, 0, 0, 0, 0), -ENOSYS);
	CHECK_RET("an unknown flag bit makes WAKE unknown: ENOSYS",
		  FUTEX(&word, FUTEX_WAKE | 0x200, 1, 0, 0, 0), -ENOSYS);
	CHECK_RET("CLOCK_REALTIME with WAIT is ENOSYS",
		  FUTEX(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1, &ts, 0, 0), -ENOSYS);
	CHECK_RET("CLOCK_REALTIME with WAKE is ENOSYS",
		  FUTEX(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0), -ENOSYS);
	CHECK_RET("CLOCK_REALTIME with LOCK_PI is ENOSYS",
		  FUTEX(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, 0, 0, 0), -ENOSYS);
	CHECK_RET("an invalid timeout beats ENOSYS of CLOCK_REALTIME",
		  FUTEX(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1, &bad, 0, 0), -EINVAL);
	CHECK_RET("WAKE with no waiter wakes 0", FUTEX(&word, FUTEX_WAKE, 1, 0, 0, 0), 0);
	CHECK_RET("WAKE_PRIVATE of INT_MAX with no waiter wakes 0",
		  FUTEX(&word, FUTEX_WAKE | PRIV, INT_MAX, 0, 0, 0), 0);
	CHECK_RET("WAKE_BITSET with no waiter wakes 0", FUTEX(&word, FUTEX_WAKE_BITSET, 1, 0, 0, 1),
		  0);
	CHECK_RET("REQUEUE with no waiter is 0", FUTEX(&word, FUTEX_REQUEUE, 1, 1, &word2, 0), 0);
	CHECK_RET("CMP_REQUEUE with the word as given is 0",
		  FUTEX(&word, FUTEX_CMP_REQUEUE, 1, 1, &word2, 1), 0);
	CHECK_RET("CMP_REQUEUE with the word changed is EAGAIN",
		  FUTEX(&word, FUTEX_CMP_REQUEUE, 1, 1, &word2, 2), -EAGAIN);
	CHECK_RET("CMP_REQUEUE with a negative wake count is EINVAL",
		  FUTEX(&word, FUTEX_CMP_REQUEUE, -1, 1, &word2, 1), -EINVAL);
	CHECK_RET("CMP_REQUEUE with a negative requeue count is EINVAL",
		  FUTEX(&word, FUTEX_CMP_REQUEUE, 1, 0xffffffffL, &word2, 1), -EINVAL);
	CHECK_RET("CMP_REQUEUE to an unaligned word is EINVAL",
		  FUTEX(&word, FUTEX_CMP_REQUEUE, 1, 1, (char *)&word2 + 1, 1), -EINVAL);
	CHECK_RET("CMP_REQUEUE_PI waking 2 is EINVAL",
		  FUTEX(&word, FUTEX_CMP_REQUEUE_PI, 2, 1, &word2, 1), -EINVAL);
	CHECK_RET("CMP_REQUEUE_PI onto the same word is EINVAL",
		  FUTEX(&word, FUTEX_CMP_REQUEUE_PI, 1, 1, &word, 1), -EINVAL);
	word2 = 0;
	CHECK_RET("CMP_REQUEUE_PI with no waiter is 0",
		  FUTEX(&word, FUTEX_CMP_REQUEUE_PI, 1, 1, &word2, 1), 0);
	CHECK_RET("CMP_REQUEUE_PI_PRIVATE with no waiter only reads the PI word (read-only: 0)",
		  FUTEX(&word, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 1, ro_page, 1), 0);
	CHECK_RET("CMP_REQUEUE_PI_PRIVATE onto an unmapped PI word is EFAULT",
		  FUTEX(&word, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 1, gone_page, 1), -EFAULT);
	CHECK_RET("WAIT_REQUEUE_PI onto the same word is EINVAL",
		  FUTEX(&word, FUTEX_WAIT_REQUEUE_PI, 1, 0, &word, 0), -EINVAL);
	CHECK_RET("WAIT_REQUEUE_PI on a changed word is EAGAIN",
		  FUTEX(&word, FUTEX_WAIT_REQUEUE_PI, 0, 0, &word2, 0), -EAGAIN);
	CHECK_RET("WAIT_REQUEUE_PI past its (absolute) deadline is ETIMEDOUT",
		  FUTEX(&word, FUTEX_WAIT_REQUEUE_PI, 1, &ts, &word2, 0), -ETIMEDOUT);
}

/* Each kind of timeout ends the wait no earlier than asked. */
static void
test_timeouts(void)
{
	struct timespec rel = ts_of(20 * MS), abs;
	long long t0, dl;
	long r;

	word = 7;
	t0 = now_ns(CLOCK_MONOTONIC);
	r = FUTEX(&word, FUTEX_WAIT | PRIV, 7, &rel, 0, 0);
	CHECK_RET("WAIT with a 20 ms relative timeout is ETIMEDOUT", r, -ETIMEDOUT);
	CHECK_TRUE("... after 20 ms or more", now_ns(CLOCK_MONOTONIC) - t0 >= 20 * MS,
		   "waited %lld ns", now_ns(CLOCK_MONOTONIC) - t0);

	dl = now_ns(CLOCK_MONOTONIC) + 20 * MS;
	abs = ts_of(dl);
	r = FUTEX(&word, FUTEX_WAIT_BITSET | PRIV, 7, &abs, 0, FUTEX_BITSET_MATCH_ANY);
	CHECK_RET("WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline is ETIMEDOUT", r,
		  -ETIMEDOUT);
	CHECK_TRUE("... not before the deadline", now_ns(CLOCK_MONOTONIC) >= dl, "%lld ns early",
		   dl - now_ns(CLOCK_MONOTONIC));

	dl = now_ns(CLOCK_REALTIME) + 20 * MS;
	abs = ts_of(dl);
	r = FUTEX(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &abs, 0, 1);
	CHECK_RET("WAIT_BITSET with an absolute CLOCK_REALTIME deadline is ETIMEDOUT", r,
		  -ETIMEDOUT);
	CHECK_TRUE("... not before the deadline", now_ns(CLOCK_REALTIME) >= dl, "%lld ns early",
		   dl - now_ns(CLOCK_REALTIME));

	abs = ts_of(1);
	CHECK_RET("WAIT_BITSET with a deadline long past is ETIMEDOUT",
		  FUTEX(&word, FUTEX_WAIT_BITSET, 7, &abs, 0, 1), -ETIMEDOUT);
	abs = ts_of(now_ns(CLOCK_MONOTONIC) - 5 * MS);
	CHECK_RET("a CLOCK_REALTIME deadline taken as monotonic (far in the past) is ETIMEDOUT",
		  FUTEX(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 7, &abs, 0, 1),
		  -ETIMEDOUT);
}

/* FUTEX_WAKE_OP's operations on the second word, with nobody to wake. */
static void
test_wake_op(void)
{
	word = 0;
	word2 = 10;
	CHECK_RET("WAKE_OP SET wakes nobody: 0",
		  FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(0, 5, 0, 0)), 0);
	CHECK_EQ("... and sets the second word", word2, 5);
	FUTEX(&word, FUTEX_WAKE_OP | PRIV, 1, 1, &word2, FUTEX_OP(1, -3, 0, 0));
	CHECK_EQ("WAKE_OP ADD with a negative (sign-extended) operand", word2, 2);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(2, 0x30, 0, 0));
	CHECK_EQ("WAKE_OP OR", word2, 0x32);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(3, 0x2, 0, 0));
	CHECK_EQ("WAKE_OP ANDN", word2, 0x30);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(4, 0xff, 0, 0));
	CHECK_EQ("WAKE_OP XOR", word2, 0xcf);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(FUTEX_OP_OPARG_SHIFT | 0, 4, 0, 0));
	CHECK_EQ("WAKE_OP SET with FUTEX_OP_OPARG_SHIFT sets 1 << oparg", word2, 16);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(FUTEX_OP_OPARG_SHIFT | 2, 35, 0, 0));
	CHECK_EQ("WAKE_OP OR with a shift of 35 shifts by 35 & 31", word2, 16 | 8);
	word2 = 0;
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(1, 0x7ff, 0, 0));
	CHECK_EQ("WAKE_OP ADD 0x7ff (largest operand)", word2, 0x7ff);
	FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(1, 0x800, 0, 0));
	CHECK_EQ("WAKE_OP ADD 0x800 (is -2048)", word2, (uint32_t)(0x7ff - 2048));
	word2 = 3;
	CHECK_RET("WAKE_OP with operation 5 is ENOSYS",
		  FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(5, 1, 0, 0)), -ENOSYS);
	CHECK_EQ("... and leaves the word", word2, 3);
	CHECK_RET("WAKE_OP with comparison 6 is ENOSYS",
		  FUTEX(&word, FUTEX_WAKE_OP, 1, 1, &word2, FUTEX_OP(0, 9, 6, 0)), -ENOSYS);
	CHECK_EQ("... after the operation was done", word2, 9);
	CHECK_RET("WAKE_OP on an unaligned second word is EINVAL",
		  FUTEX(&word, FUTEX_WAKE_OP, 1, 1, (char *)&word2 + 2, FUTEX_OP(0, 1, 0, 0)),
		  -EINVAL);
	CHECK_RET("WAKE_OP on a read-only second word is EFAULT",
		  FUTEX(&word, FUTEX_WAKE_OP | PRIV, 1, 1, ro_page, FUTEX_OP(0, 1, 0, 0)), -EFAULT);
	CHECK_RET("WAKE_OP on an unmapped second word is EFAULT",
		  FUTEX(&word, FUTEX_WAKE_OP | PRIV, 1, 1, gone_page, FUTEX_OP(0, 1, 0, 0)),
		  -EFAULT);
	CHECK_EQ("the read-only word is untouched", *ro_page, 0);
}

/* The PI word protocol with no owner but us. */
static void
test_pi_alone(void)
{
	uint32_t tid = (uint32_t)gettid_(), dead = (uint32_t)dead_pid();
	struct timespec abs;

	word = 0;
	CHECK_RET("TRYLOCK_PI on a free word takes it", FUTEX(&word, FUTEX_TRYLOCK_PI, 0, 0, 0, 0),
		  0);
	CHECK_EQX("... the word holds our tid", word, tid);
	CHECK_RET("TRYLOCK_PI again is EDEADLK", FUTEX(&word, FUTEX_TRYLOCK_PI, 0, 0, 0, 0),
		  -EDEADLK);
	CHECK_RET("LOCK_PI on our own lock is EDEADLK",
		  FUTEX(&word, FUTEX_LOCK_PI | PRIV, 0, 0, 0, 0), -EDEADLK);
	CHECK_RET("UNLOCK_PI by the owner", FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0), 0);
	CHECK_EQX("... frees the word", word, 0);
	CHECK_RET("UNLOCK_PI of a free word is EPERM", FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0),
		  -EPERM);
	CHECK_RET("LOCK_PI on a free word", FUTEX(&word, FUTEX_LOCK_PI | PRIV, 0, 0, 0, 0), 0);
	CHECK_EQX("... the word holds our tid", word, tid);
	word |= FUTEX_WAITERS;
	CHECK_RET("UNLOCK_PI with WAITERS set and no waiter",
		  FUTEX(&word, FUTEX_UNLOCK_PI | PRIV, 0, 0, 0, 0), 0);
	CHECK_EQX("... frees the word", word, 0);
	word = FUTEX_OWNER_DIED;
	CHECK_RET("LOCK_PI on a word whose owner died", FUTEX(&word, FUTEX_LOCK_PI, 0, 0, 0, 0), 0);
	CHECK_EQX("... keeps OWNER_DIED for us to see", word, FUTEX_OWNER_DIED | tid);
	FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	CHECK_EQX("UNLOCK_PI clears OWNER_DIED too", word, 0);
	abs = ts_of(now_ns(CLOCK_MONOTONIC) + 1000 * MS);
	CHECK_RET("LOCK_PI2 with a deadline on a free word",
		  FUTEX(&word, FUTEX_LOCK_PI2, 0, &abs, 0, 0), 0);
	FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	abs = ts_of(now_ns(CLOCK_REALTIME) + 1000 * MS);
	CHECK_RET("LOCK_PI2 | CLOCK_REALTIME on a free word",
		  FUTEX(&word, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, &abs, 0, 0), 0);
	FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0);
	word = dead;
	CHECK_RET("LOCK_PI on a word owned by a tid nobody has is ESRCH",
		  FUTEX(&word, FUTEX_LOCK_PI, 0, 0, 0, 0), -ESRCH);
	CHECK_EQX("... after setting WAITERS", word, dead | FUTEX_WAITERS);
	word = dead;
	CHECK_RET("TRYLOCK_PI on it is ESRCH too", FUTEX(&word, FUTEX_TRYLOCK_PI, 0, 0, 0, 0),
		  -ESRCH);
	CHECK_RET("UNLOCK_PI of a word someone else owns is EPERM",
		  FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0), -EPERM);
	CHECK_EQX("... and leaves it", word, dead | FUTEX_WAITERS);
}

/* The PI word protocol against a live owner: our parent, blocked in waitpid. */
static void
test_pi_owned(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint32_t ppid = (uint32_t)getppid();
		struct timespec abs;
		long long dl;

		guest_failures = 0;
		word = ppid;
		CHECK_RET("TRYLOCK_PI on a lock a live task owns is EAGAIN",
			  FUTEX(&word, FUTEX_TRYLOCK_PI, 0, 0, 0, 0), -EAGAIN);
		CHECK_EQX("... with WAITERS now set", word, ppid | FUTEX_WAITERS);
		dl = now_ns(CLOCK_REALTIME) + 20 * MS;
		abs = ts_of(dl);
		CHECK_RET("LOCK_PI times out (absolute CLOCK_REALTIME)",
			  FUTEX(&word, FUTEX_LOCK_PI, 0, &abs, 0, 0), -ETIMEDOUT);
		CHECK_TRUE("... not before the deadline", now_ns(CLOCK_REALTIME) >= dl,
			   "%lld ns early", dl - now_ns(CLOCK_REALTIME));
		dl = now_ns(CLOCK_MONOTONIC) + 20 * MS;
		abs = ts_of(dl);
		CHECK_RET("LOCK_PI2 times out (absolute CLOCK_MONOTONIC)",
			  FUTEX(&word, FUTEX_LOCK_PI2, 0, &abs, 0, 0), -ETIMEDOUT);
		CHECK_TRUE("... not before the deadline", now_ns(CLOCK_MONOTONIC) >= dl,
			   "%lld ns early", dl - now_ns(CLOCK_MONOTONIC));
		CHECK_EQX("the owner still owns the word", word, ppid | FUTEX_WAITERS);
		CHECK_RET("UNLOCK_PI by a waiter is EPERM",
			  FUTEX(&word, FUTEX_UNLOCK_PI, 0, 0, 0, 0), -EPERM);
		CHECK_RET("WAKE on a PI word with no waiter in the kernel is 0",
			  FUTEX(&word, FUTEX_WAKE, 1, 0, 0, 0), 0);
		_exit(guest_failures ? 1 : 0);
	}
	check_child("PI checks against a live owner (child)", pid);
}

/* ---- a shared futex between processes ---------------------------------------------- */

/*
 * Two processes, one MAP_SHARED page (mapped before fork, touched first):
 * a shared futex in it is one futex for both (the key is the page), a
 * private one is each process's own.
 */
static void
test_shared_processes(void)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec ts = ts_of(10000 * MS);
	pid_t pid;
	long r, tries;

	if (w == MAP_FAILED) {
		check(0, "mmap a shared page", "mmap failed");
		return;
	}
	*w = 0;
	pid = fork();
	if (pid == 0) {
		guest_failures = 0;
		/* The parent's shared wait shows here as a waiter of the same word. */
		for (tries = 0; FUTEX(w, FUTEX_REQUEUE, 0, INT_MAX, w, 0) != 1 && tries < 1000000;
		     tries++)
			sched_yield();
		CHECK_TRUE("the other process's shared waiter is on our word", tries < 1000000,
			   "not seen");
		CHECK_RET("... not among its private waiters",
			  FUTEX(w, FUTEX_REQUEUE | PRIV, 0, INT_MAX, w, 0), 0);
		CHECK_RET("... a private WAKE does not reach it",
			  FUTEX(w, FUTEX_WAKE | PRIV, 1, 0, 0, 0), 0);
		*w = 1;
		CHECK_RET("... a shared WAKE does", FUTEX(w, FUTEX_WAKE, 1, 0, 0, 0), 1);
		_exit(guest_failures ? 1 : 0);
	}
	r = FUTEX(w, FUTEX_WAIT, 0, &ts, 0, 0);
	CHECK_RET("a shared WAIT in MAP_SHARED memory is woken from another process", r, 0);
	CHECK_EQ("... which changed the word", *w, 1);
	check_child("the waking process's checks", pid);
	munmap(w, 4096);
}

/* ---- signals --------------------------------------------------------------------------- */

static volatile int hits, hits_to_change;
static uint32_t *sig_word;
static uint32_t sig_new;

static void
on_alarm(int sig)
{
	(void)sig;
	if (++hits == hits_to_change)
		*sig_word = sig_new;
}

/* A SIGALRM every 2 ms; the handler changes *w to v at the n-th (0: never). */
static void
alarms(int restart, uint32_t *w, uint32_t v, int n)
{
	struct sigaction sa;
	struct itimerval it = {{0, 2000}, {0, 2000}};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	hits = 0;
	hits_to_change = n;
	sig_word = w;
	sig_new = v;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
alarms_off(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};

	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN);
}

static void
test_signals(void)
{
	struct timespec long_ts = ts_of(30000 * MS);
	long r;

	word = 5;
	alarms(0, &word, 6, 0);
	r = FUTEX(&word, FUTEX_WAIT | PRIV, 5, 0, 0, 0);
	alarms_off();
	CHECK_RET("WAIT interrupted by a handler without SA_RESTART is EINTR", r, -EINTR);

	word = 5;
	alarms(1, &word, 6, 3);
	r = FUTEX(&word, FUTEX_WAIT | PRIV, 5, 0, 0, 0);
	alarms_off();
	CHECK_RET("WAIT without a timeout restarts after an SA_RESTART handler (then EAGAIN)", r,
		  -EAGAIN);
	CHECK_TRUE("... after the handler ran 3 times", hits >= 3, "%d handler runs", hits);

	word = 5;
	alarms(1, &word, 6, 0);
	r = FUTEX(&word, FUTEX_WAIT | PRIV, 5, &long_ts, 0, 0);
	alarms_off();
	CHECK_RET("WAIT with a timeout is EINTR even after an SA_RESTART handler", r, -EINTR);

	word = 5;
	alarms(0, &word, 6, 3);
	r = FUTEX(&word, FUTEX_WAIT_REQUEUE_PI | PRIV, 5, 0, &word2, 0);
	alarms_off();
	CHECK_RET("WAIT_REQUEUE_PI restarts even without SA_RESTART (then EAGAIN)", r, -EAGAIN);
	CHECK_TRUE("... after the handler ran 3 times", hits >= 3, "%d handler runs", hits);

	pid_t pid = fork();

	if (pid == 0) {
		uint32_t tid = (uint32_t)gettid_();

		guest_failures = 0;
		word = (uint32_t)getppid();
		alarms(0, &word, 0, 3);
		r = FUTEX(&word, FUTEX_LOCK_PI, 0, 0, 0, 0);
		alarms_off();
		CHECK_RET("LOCK_PI restarts even without SA_RESTART, then takes the freed lock", r,
			  0);
		CHECK_TRUE("... after the handler ran 3 times", hits >= 3, "%d handler runs", hits);
		CHECK_EQX("... and owns it", word, tid);
		_exit(guest_failures ? 1 : 0);
	}
	check_child("LOCK_PI interrupted (child)", pid);
}

/* ---- robust lists and clear_child_tid of a child sharing our memory --------------------- */

struct rlock {
	uint64_t next; /* struct robust_list: the next entry, bit 0 = PI */
	uint32_t word;
};

struct rhead {
	uint64_t next;	  /* list.next */
	int64_t offset;	  /* futex_offset: entry to its word */
	uint64_t pending; /* list_op_pending */
};

#define NLONG 2100

static struct rhead rh;
static struct rlock rl[8];
static struct rlock *rlong;
static uint32_t ctid_word, tidaddr_word;
static int child_tid, robust_mode;
static char child_stack[64 * 1024] __attribute__((aligned(16)));

static int
robust_child(void *arg)
{
	uint32_t tid = (uint32_t)gettid_();
	int i;

	(void)arg;
	child_tid = (int)tid;
	rh.offset = offsetof(struct rlock, word);
	rh.pending = 0;
	switch (robust_mode) {
	case 0: /* held, held PI, someone else's, pending held */
		rl[0].word = tid | FUTEX_WAITERS;
		rl[1].word = tid;
		rl[2].word = 12345;
		rl[3].word = tid;
		rl[4].word = tid; /* pending and on the list: handled once */
		rh.next = (uint64_t)&rl[0];
		rl[0].next = (uint64_t)&rl[1] | 1;
		rl[1].next = (uint64_t)&rl[2];
		rl[2].next = (uint64_t)&rl[4];
		rl[4].next = (uint64_t)&rh;
		rh.pending = (uint64_t)&rl[3];
		break;
	case 1: /* a cycle: the walk stops at its limit */
		rl[0].word = tid;
		rl[0].next = (uint64_t)&rl[0];
		rh.next = (uint64_t)&rl[0];
		rh.pending = (uint64_t)&rl[1];
		rl[1].word = 0; /* a free pending lock: no OWNER_DIED */
		break;
	case 2: /* a wild pointer ends the walk, pending too */
		rl[0].word = tid;
		rl[0].next = 0x10;
		rl[1].word = tid;
		rh.next = (uint64_t)&rl[0];
		rh.pending = (uint64_t)&rl[1];
		break;
	case 3: /* longer than ROBUST_LIST_LIMIT */
		for (i = 0; i < NLONG; i++) {
			rlong[i].word = tid;
			rlong[i].next = i + 1 < NLONG ? (uint64_t)&rlong[i + 1] : (uint64_t)&rh;
		}
		rh.next = (uint64_t)&rlong[0];
		break;
	case 4: /* set_tid_address, no robust list */
		rsys(SYS_set_tid_address, (long)&tidaddr_word, 0, 0, 0, 0, 0);
		return 0;
	}
	rsys(SYS_set_robust_list, (long)&rh, sizeof(rh), 0, 0, 0, 0);
	return 0;
}

/* Run robust_child in mode as a CLONE_VM | CLONE_VFORK child with clear_child_tid. */
static void
run_robust_child(int mode)
{
	pid_t pid;
	int st = -1;

	memset(rl, 0, sizeof(rl));
	robust_mode = mode;
	ctid_word = 77;
	tidaddr_word = 78;
	pid = clone(robust_child, child_stack + sizeof(child_stack),
		    CLONE_VM | CLONE_VFORK | CLONE_CHILD_CLEARTID | SIGCHLD, NULL, NULL, NULL,
		    &ctid_word);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		check(0, "run the CLONE_VM child", "clone/wait failed, status %#x", st);
}

static void
test_robust(void)
{
	uint64_t head = 1, len = 0, mine = 0;
	struct rhead other;
	uint32_t tid;
	int i, ok;

	CHECK_RET("set_robust_list with a wrong size is EINVAL",
		  rsys(SYS_set_robust_list, (long)&other, 23, 0, 0, 0, 0), -EINVAL);
	rsys(SYS_get_robust_list, 0, (long)&mine, (long)&len, 0, 0, 0);
	CHECK_RET("set_robust_list", rsys(SYS_set_robust_list, (long)&other, 24, 0, 0, 0, 0), 0);
	CHECK_RET("get_robust_list(0)",
		  rsys(SYS_get_robust_list, 0, (long)&head, (long)&len, 0, 0, 0), 0);
	CHECK_EQX("... gives the head set", head, (uint64_t)&other);
	CHECK_EQ("... and its size", len, 24);
	CHECK_RET("get_robust_list(our tid)",
		  rsys(SYS_get_robust_list, gettid_(), (long)&head, (long)&len, 0, 0, 0), 0);
	CHECK_EQX("... the same head", head, (uint64_t)&other);
	CHECK_RET("get_robust_list of a pid nobody has is ESRCH",
		  rsys(SYS_get_robust_list, dead_pid(), (long)&head, (long)&len, 0, 0, 0), -ESRCH);
	CHECK_RET("get_robust_list into an unmapped head pointer is EFAULT",
		  rsys(SYS_get_robust_list, 0, (long)gone_page, (long)&len, 0, 0, 0), -EFAULT);
	CHECK_RET("get_robust_list into an unmapped length is EFAULT",
		  rsys(SYS_get_robust_list, 0, (long)&head, (long)gone_page, 0, 0, 0), -EFAULT);
	rsys(SYS_set_robust_list, (long)mine, 24, 0, 0, 0, 0);

	{
		int p1[2], p2[2];
		char c = 0;
		pid_t pid;

		if (pipe(p1) < 0 || pipe(p2) < 0) {
			check(0, "pipes", "pipe failed");
			return;
		}
		/*
		 * The raw call: glibc's fork() registers the child's own list
		 * in the child, so whether the parent saw 0 would depend on
		 * which of the two ran first.
		 */
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0) {
			static struct rhead ch;

			read(p1[0], &c, 1);
			rsys(SYS_set_robust_list, (long)&ch, 24, 0, 0, 0, 0);
			write(p2[1], &c, 1);
			read(p1[0], &c, 1);
			_exit(0);
		}
		head = 1;
		rsys(SYS_get_robust_list, pid, (long)&head, (long)&len, 0, 0, 0);
		CHECK_EQX("a forked child starts with no robust list", head, 0);
		write(p1[1], &c, 1);
		read(p2[0], &c, 1);
		rsys(SYS_get_robust_list, pid, (long)&head, (long)&len, 0, 0, 0);
		CHECK_TRUE("get_robust_list(child) gives the head it set",
			   head != 0 && head != mine, "got %#llx", (unsigned long long)head);
		write(p1[1], &c, 1);
		waitpid(pid, NULL, 0);
		close(p1[0]);
		close(p1[1]);
		close(p2[0]);
		close(p2[1]);
	}

	run_robust_child(0);
	tid = (uint32_t)child_tid;
	CHECK_EQX("a held lock of a dead task: OWNER_DIED, WAITERS kept, tid cleared", rl[0].word,
		  FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQX("a held PI lock of a dead task: OWNER_DIED", rl[1].word, FUTEX_OWNER_DIED);
	CHECK_EQX("a lock someone else holds stays", rl[2].word, 12345);
	CHECK_EQX("the pending lock it held: OWNER_DIED", rl[3].word, FUTEX_OWNER_DIED);
	CHECK_EQX("the pending lock also on the list: OWNER_DIED once", rl[4].word,
		  FUTEX_OWNER_DIED);
	CHECK_EQX("clear_child_tid of a task sharing our memory is zeroed at its death", ctid_word,
		  0);
	(void)tid;

	run_robust_child(1);
	CHECK_EQX("a cyclic robust list: the walk marks and ends", rl[0].word, FUTEX_OWNER_DIED);
	CHECK_EQX("... a free pending lock stays free", rl[1].word, 0);

	run_robust_child(2);
	CHECK_EQX("a wild next pointer: the entry before it is marked", rl[0].word,
		  FUTEX_OWNER_DIED);
	CHECK_EQX("... and the walk ends there, pending lock untouched", rl[1].word,
		  (uint32_t)child_tid);

	rlong = calloc(NLONG, sizeof(*rlong));
	if (rlong) {
		run_robust_child(3);
		for (ok = 1, i = 0; i < 2048; i++)
			ok &= rlong[i].word == FUTEX_OWNER_DIED;
		CHECK_TRUE("the first 2048 entries of a long list are marked", ok, "one is not");
		for (ok = 1, i = 2048; i < NLONG; i++)
			ok &= rlong[i].word == (uint32_t)child_tid;
		CHECK_TRUE("... and no more (ROBUST_LIST_LIMIT)", ok, "entry 2048 is %#x",
			   rlong[2048].word);
		free(rlong);
	}

	run_robust_child(4);
	CHECK_EQX("set_tid_address's word is zeroed at death", tidaddr_word, 0);
	CHECK_EQX("... in place of clear_child_tid's", ctid_word, 77);
}

/*
 * exec is an exit for futexes (Linux's exec_mm_release): a lock on the
 * robust list, in memory shared with us, is marked OWNER_DIED by the
 * child's exec of a program that just exits.
 */
static void
test_robust_exec(void)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static struct rhead eh;
	static struct rlock el;
	int st = -1;
	pid_t pid;

	if (w == MAP_FAILED) {
		check(0, "mmap a shared page", "mmap failed");
		return;
	}
	w[0] = 0;
	pid = (pid_t)rsys(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0) {
		char *argv[] = {"t_futex", "--exit", NULL};
		uint32_t tid = (uint32_t)gettid_();

		/* The list in our own memory, its lock word in the shared page. */
		w[0] = tid;
		el.next = (uint64_t)&eh;
		eh.next = (uint64_t)&el;
		eh.offset = (int64_t)((uint64_t)w - (uint64_t)&el);
		eh.pending = 0;
		rsys(SYS_set_robust_list, (long)&eh, 24, 0, 0, 0, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	CHECK_TRUE("the child exec'd and exited", WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "wait status %#x", st);
	CHECK_EQX("exec walks the robust list: the lock it held says OWNER_DIED", w[0],
		  FUTEX_OWNER_DIED);
	munmap(w, 4096);
}

/* ---- threads ------------------------------------------------------------------------------ */

#define NT 4
#define THREAD_FLAGS                                                                               \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |        \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

struct thr {
	int (*fn)(struct thr *);
	uint32_t *w, *w2;
	uint32_t val, bitset;
	int op;
	volatile long ret;
	volatile uint32_t seen;
	volatile int done;
	int ptid;
	uint32_t ctid;
	char stack[32 * 1024] __attribute__((aligned(16)));
};

static struct thr th[NT];

static int
thr_main(void *arg)
{
	struct thr *t = arg;

	t->ret = t->fn(t);
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int
start(struct thr *t, int (*fn)(struct thr *), uint32_t *w, uint32_t val, uint32_t bitset, int op)
{
	t->fn = fn;
	t->w = w;
	t->val = val;
	t->bitset = bitset;
	t->op = op;
	t->ret = 1;
	t->done = 0;
	t->seen = 0;
	t->ctid = 1;
	if (clone(thr_main, t->stack + sizeof(t->stack), THREAD_FLAGS, t, &t->ptid, NULL,
		  &t->ctid) < 0) {
		check(0, "clone a thread", "errno %s", errname(errno));
		return -1;
	}
	return 0;
}

/* pthread_join's wait: clear_child_tid is zeroed and woken (shared) when the thread ends. */
static void
join(struct thr *t)
{
	uint32_t v;

	while ((v = __atomic_load_n(&t->ctid, __ATOMIC_SEQ_CST)) != 0)
		FUTEX(&t->ctid, FUTEX_WAIT, v, 0, 0, 0);
}

/* Waiters on w (of the same privacy): requeued onto w itself, which moves nobody. */
static long
waiters(uint32_t *w, int priv)
{
	return FUTEX(w, FUTEX_REQUEUE | priv, 0, INT_MAX, w, 0);
}

static void
await_waiters(uint32_t *w, int priv, long n)
{
	while (waiters(w, priv) != n)
		sched_yield();
}

static void
await_done(struct thr *t)
{
	while (!__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
		sched_yield();
}

static int
fn_wait(struct thr *t)
{
	return (int)FUTEX(t->w, FUTEX_WAIT_BITSET | t->op, t->val, 0, 0, t->bitset);
}

static int
fn_lock_pi(struct thr *t)
{
	long r = FUTEX(t->w, FUTEX_LOCK_PI | t->op, 0, 0, 0, 0);

	t->seen = *t->w;
	if (r == 0)
		r = FUTEX(t->w, FUTEX_UNLOCK_PI | t->op, 0, 0, 0, 0) ? 100 : 0;
	return (int)r;
}

static int
fn_wait_requeue_pi(struct thr *t)
{
	long r = FUTEX(t->w, FUTEX_WAIT_REQUEUE_PI | t->op, t->val, 0, t->w2, 0);

	t->seen = *t->w2;
	if (r == 0)
		r = FUTEX(t->w2, FUTEX_UNLOCK_PI | t->op, 0, 0, 0, 0) ? 100 : 0;
	return (int)r;
}

static int
woken(int i)
{
	return __atomic_load_n(&th[i].done, __ATOMIC_SEQ_CST);
}

static uint32_t wa, wb, lk;

static void
test_wake_order(void)
{
	int i;

	wa = 0;
	for (i = 0; i < 3; i++) {
		start(&th[i], fn_wait, &wa, 0, FUTEX_BITSET_MATCH_ANY, PRIV);
		await_waiters(&wa, PRIV, i + 1);
	}
	CHECK_RET("WAKE 2 of 3 waiters", FUTEX(&wa, FUTEX_WAKE | PRIV, 2, 0, 0, 0), 2);
	await_done(&th[0]);
	await_done(&th[1]);
	CHECK_TRUE("... wakes the two oldest", woken(0) && woken(1) && !woken(2), "woken %d %d %d",
		   woken(0), woken(1), woken(2));
	CHECK_RET("... whose WAIT returns 0", th[0].ret | th[1].ret, 0);
	CHECK_RET("... and leaves one waiting", waiters(&wa, PRIV), 1);
	CHECK_RET("WAKE with a count of 0 still wakes one",
		  FUTEX(&wa, FUTEX_WAKE | PRIV, 0, 0, 0, 0), 1);
	for (i = 0; i < 3; i++)
		join(&th[i]);
	CHECK_RET("the last one's WAIT returns 0", th[2].ret, 0);

	/* Bitsets: 1, 2, 3 in that order. */
	for (i = 0; i < 3; i++) {
		start(&th[i], fn_wait, &wa, 0, (uint32_t)i + 1, PRIV);
		await_waiters(&wa, PRIV, i + 1);
	}
	CHECK_RET("WAKE_BITSET 4 meets no waiter",
		  FUTEX(&wa, FUTEX_WAKE_BITSET | PRIV, INT_MAX, 0, 0, 4), 0);
	CHECK_RET("WAKE_BITSET 2 of 1", FUTEX(&wa, FUTEX_WAKE_BITSET | PRIV, 1, 0, 0, 2), 1);
	await_done(&th[1]);
	CHECK_TRUE("... wakes the oldest whose bitset has bit 2",
		   !woken(0) && woken(1) && !woken(2), "woken %d %d %d", woken(0), woken(1),
		   woken(2));
	CHECK_RET("WAKE_BITSET 2 of all", FUTEX(&wa, FUTEX_WAKE_BITSET | PRIV, INT_MAX, 0, 0, 2),
		  1);
	await_done(&th[2]);
	CHECK_TRUE("... wakes bitset 3 only", !woken(0), "the bitset-1 waiter woke");
	CHECK_RET("WAKE (any bit) takes the last", FUTEX(&wa, FUTEX_WAKE | PRIV, INT_MAX, 0, 0, 0),
		  1);
	for (i = 0; i < 3; i++)
		join(&th[i]);

	/* Private and shared keys of one word do not meet. */
	start(&th[0], fn_wait, &wa, 0, FUTEX_BITSET_MATCH_ANY, PRIV);
	await_waiters(&wa, PRIV, 1);
	CHECK_RET("a shared WAKE does not reach a private waiter",
		  FUTEX(&wa, FUTEX_WAKE, 1, 0, 0, 0), 0);
	CHECK_RET("a private WAKE does", FUTEX(&wa, FUTEX_WAKE | PRIV, 1, 0, 0, 0), 1);
	join(&th[0]);
}

static void
test_requeue(void)
{
	int i;

	wa = 5;
	wb = 0;
	for (i = 0; i < 3; i++) {
		start(&th[i], fn_wait, &wa, 5, FUTEX_BITSET_MATCH_ANY, 0);
		await_waiters(&wa, 0, i + 1);
	}
	CHECK_RET("CMP_REQUEUE waking 1 and moving 1 counts 2",
		  FUTEX(&wa, FUTEX_CMP_REQUEUE, 1, 1, &wb, 5), 2);
	await_done(&th[0]);
	CHECK_TRUE("... the oldest woken", woken(0) && !woken(1) && !woken(2), "woken %d %d %d",
		   woken(0), woken(1), woken(2));
	CHECK_RET("... the next on the second word", waiters(&wb, 0), 1);
	CHECK_RET("... the last still on the first", waiters(&wa, 0), 1);
	CHECK_RET("WAKE on the second word", FUTEX(&wb, FUTEX_WAKE, INT_MAX, 0, 0, 0), 1);
	await_done(&th[1]);
	CHECK_TRUE("... wakes the requeued one", woken(1) && !woken(2), "woken %d %d", woken(1),
		   woken(2));
	CHECK_RET("REQUEUE moving all counts them", FUTEX(&wa, FUTEX_REQUEUE, 0, INT_MAX, &wb, 0),
		  1);
	CHECK_RET("... and the second word has it", FUTEX(&wb, FUTEX_WAKE, 1, 0, 0, 0), 1);
	for (i = 0; i < 3; i++)
		join(&th[i]);
	CHECK_RET("every requeued WAIT returns 0", th[0].ret | th[1].ret | th[2].ret, 0);

	/* WAKE_OP: the second word's old value decides its wake. */
	wa = 0;
	wb = 0;
	start(&th[0], fn_wait, &wa, 0, FUTEX_BITSET_MATCH_ANY, PRIV);
	start(&th[1], fn_wait, &wb, 0, FUTEX_BITSET_MATCH_ANY, PRIV);
	await_waiters(&wa, PRIV, 1);
	await_waiters(&wb, PRIV, 1);
	CHECK_RET("WAKE_OP whose comparison fails wakes the first word only",
		  FUTEX(&wa, FUTEX_WAKE_OP | PRIV, 1, 1, &wb, FUTEX_OP(0, 0, 1, 0)), 1);
	CHECK_RET("... the second still waits", waiters(&wb, PRIV), 1);
	start(&th[2], fn_wait, &wa, 0, FUTEX_BITSET_MATCH_ANY, PRIV);
	await_waiters(&wa, PRIV, 1);
	CHECK_RET("WAKE_OP whose comparison holds wakes both",
		  FUTEX(&wa, FUTEX_WAKE_OP | PRIV, 1, 1, &wb, FUTEX_OP(0, 7, 0, 0)), 2);
	CHECK_EQ("... after setting the second word", wb, 7);
	for (i = 0; i < 3; i++)
		join(&th[i]);
}

static void
test_pi_threads(void)
{
	uint32_t me = (uint32_t)gettid_();

	/* Handoff on unlock. */
	lk = 0;
	FUTEX(&lk, FUTEX_TRYLOCK_PI, 0, 0, 0, 0);
	start(&th[0], fn_lock_pi, &lk, 0, 0, PRIV);
	while (!(__atomic_load_n(&lk, __ATOMIC_SEQ_CST) & FUTEX_WAITERS))
		sched_yield();
	CHECK_RET("WAKE on a word with a PI waiter is EINVAL",
		  FUTEX(&lk, FUTEX_WAKE | PRIV, 1, 0, 0, 0), -EINVAL);
	CHECK_RET("UNLOCK_PI with a waiter", FUTEX(&lk, FUTEX_UNLOCK_PI | PRIV, 0, 0, 0, 0), 0);
	join(&th[0]);
	CHECK_RET("... the waiter's LOCK_PI returns 0 and its UNLOCK_PI too", th[0].ret, 0);
	CHECK_EQX("... it found the lock handed to it (tid | WAITERS)", th[0].seen,
		  (uint32_t)th[0].ptid | FUTEX_WAITERS);
	CHECK_EQX("... and freed it", lk, 0);

	/* Requeue-PI, the lock free: the oldest waiter gets it at once. */
	wa = 0;
	lk = 0;
	th[0].w2 = &lk;
	start(&th[0], fn_wait_requeue_pi, &wa, 0, 0, PRIV);
	while (FUTEX(&wa, FUTEX_WAKE | PRIV, 1, 0, 0, 0) != -EINVAL)
		sched_yield();
	CHECK_RET("CMP_REQUEUE_PI to a free lock",
		  FUTEX(&wa, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 0, &lk, 0), 1);
	join(&th[0]);
	CHECK_RET("... the waiter returns owning it", th[0].ret, 0);
	CHECK_EQX("... its tid in the word", th[0].seen, (uint32_t)th[0].ptid);

	/* Requeue-PI, the lock ours: the waiter moves onto it and gets it from our unlock. */
	lk = 0;
	FUTEX(&lk, FUTEX_TRYLOCK_PI, 0, 0, 0, 0);
	th[0].w2 = &lk;
	start(&th[0], fn_wait_requeue_pi, &wa, 0, 0, PRIV);
	while (FUTEX(&wa, FUTEX_WAKE | PRIV, 1, 0, 0, 0) != -EINVAL)
		sched_yield();
	CHECK_RET("CMP_REQUEUE_PI to a lock we hold moves the waiter",
		  FUTEX(&wa, FUTEX_CMP_REQUEUE_PI | PRIV, 1, 0, &lk, 0), 1);
	CHECK_EQX("... which set WAITERS in our lock", lk, me | FUTEX_WAITERS);
	CHECK_RET("UNLOCK_PI hands it over", FUTEX(&lk, FUTEX_UNLOCK_PI | PRIV, 0, 0, 0, 0), 0);
	join(&th[0]);
	CHECK_RET("... the requeued waiter returns owning it", th[0].ret, 0);
	CHECK_EQX("... tid | WAITERS", th[0].seen, (uint32_t)th[0].ptid | FUTEX_WAITERS);
}

/* A thread that takes lk (PI, or plain robust) and dies holding it once someone waits. */
static struct rhead trh;
static struct rlock trl;

static int
fn_die_holding(struct thr *t)
{
	uint32_t tid = (uint32_t)gettid_();

	if (t->op) {
		if (t->op == 1)
			trl.word = tid;
		trh.next = (uint64_t)&trl | (t->op == 2);
		trl.next = (uint64_t)&trh;
		trh.offset = offsetof(struct rlock, word);
		trh.pending = 0;
		rsys(SYS_set_robust_list, (long)&trh, 24, 0, 0, 0, 0);
	}
	if (t->op != 1)
		FUTEX(t->w, FUTEX_TRYLOCK_PI, 0, 0, 0, 0);
	__atomic_store_n(&t->seen, 1, __ATOMIC_SEQ_CST);
	/* Wait for a waiter: the plain one queues, the PI one sets WAITERS. */
	if (t->op == 1)
		while (waiters(t->w, 0) != 1)
			sched_yield();
	else
		while (!(__atomic_load_n(t->w, __ATOMIC_SEQ_CST) & FUTEX_WAITERS))
			sched_yield();
	rsys(SYS_exit, 0, 0, 0, 0, 0, 0);
	return 0;
}

static void
test_death(void)
{
	long r;

	/* A robust plain lock: its waiter is woken by the owner's death. */
	start(&th[0], fn_die_holding, &trl.word, 0, 0, 1);
	while (!__atomic_load_n(&th[0].seen, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_fetch_or(&trl.word, FUTEX_WAITERS, __ATOMIC_SEQ_CST);
	r = FUTEX(&trl.word, FUTEX_WAIT, (uint32_t)th[0].ptid | FUTEX_WAITERS, 0, 0, 0);
	CHECK_RET("the waiter of a robust lock is woken when its owner dies", r, 0);
	CHECK_EQX("... the lock says OWNER_DIED", trl.word, FUTEX_WAITERS | FUTEX_OWNER_DIED);
	join(&th[0]);

	/* A PI lock: its owner's death hands it to the waiter. */
	lk = 0;
	start(&th[0], fn_die_holding, &lk, 0, 0, 0);
	while (!__atomic_load_n(&th[0].seen, __ATOMIC_SEQ_CST))
		sched_yield();
	start(&th[1], fn_lock_pi, &lk, 0, 0, 0);
	join(&th[0]);
	join(&th[1]);
	CHECK_RET("a PI waiter gets the lock when its owner dies", th[1].ret, 0);
	CHECK_EQX("... tid | WAITERS | OWNER_DIED (robust or not)", th[1].seen,
		  (uint32_t)th[1].ptid | FUTEX_WAITERS | FUTEX_OWNER_DIED);

	/* A robust PI lock: the same, with OWNER_DIED. */
	trl.word = 0;
	start(&th[0], fn_die_holding, &trl.word, 0, 0, 2);
	while (!__atomic_load_n(&th[0].seen, __ATOMIC_SEQ_CST))
		sched_yield();
	start(&th[1], fn_lock_pi, &trl.word, 0, 0, 0);
	join(&th[0]);
	join(&th[1]);
	CHECK_RET("a robust PI lock goes to its waiter when its owner dies", th[1].ret, 0);
	CHECK_EQX("... OWNER_DIED | WAITERS | tid", th[1].seen,
		  FUTEX_OWNER_DIED | FUTEX_WAITERS | (uint32_t)th[1].ptid);
}

int
main(int argc, char **argv)
{
	int threads = argc > 1 && strcmp(argv[1], "--threads") == 0;

	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0; /* the image test_robust_exec's child execs */

	guest_begin("t_futex", threads ? "futex between threads" : "futex, one task at a time");
	pages_init();
	if (threads) {
		test_wake_order();
		test_requeue();
		test_pi_threads();
		test_death();
	} else {
		test_errors();
		test_timeouts();
		test_wake_op();
		test_pi_alone();
		test_pi_owned();
		test_shared_processes();
		test_signals();
		test_robust();
		test_robust_exec();
	}
	return guest_end();
}
