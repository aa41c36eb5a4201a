/*
 * t_clock - clocks and sleeping.
 *
 * Usage: t_clock
 *
 * CLOCK_MONOTONIC is read 100000 times through libc (which may use a vDSO)
 * with a raw system call every 100th time, and must never go backwards across
 * the two paths. CLOCK_REALTIME, time() and gettimeofday() must agree with
 * each other; sleeps must last at least what was asked. Upper bounds are
 * loose (a traced guest is slow and CI machines are loaded): they catch a
 * clock that runs wild, not one that is a little late.
 */
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define NSEC 1000000000LL

static long long
ns(const struct timespec *t)
{
	return t->tv_sec * NSEC + t->tv_nsec;
}

static long long
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ns(&t);
}

static void
check_monotonic(void)
{
	struct timespec t;
	long long first, prev, now, worst = 0;
	long backwards = 0, bad_nsec = 0, raw_fail = 0;
	long i;

	first = prev = mono();
	for (i = 0; i < 100000; i++) {
		if (i % 100 == 0) {
			raw_fail += syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t) != 0;
		} else if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) {
			raw_fail++;
		}
		bad_nsec += t.tv_nsec < 0 || t.tv_nsec >= NSEC;
		now = ns(&t);
		if (now < prev) {
			backwards++;
			if (prev - now > worst)
				worst = prev - now;
		}
		prev = now;
	}
	say("     100000 reads over %lld us\n", (prev - first) / 1000);
	CHECK_EQ("clock_gettime(CLOCK_MONOTONIC) succeeds 100000 times", raw_fail, 0);
	CHECK_TRUE("CLOCK_MONOTONIC never goes backwards in 100000 reads", backwards == 0,
		   "got %ld steps back, the worst %lld ns", backwards, worst);
	CHECK_EQ("tv_nsec is always in [0, 1e9)", bad_nsec, 0);
	CHECK_TRUE("CLOCK_MONOTONIC advances over 100000 reads", prev > first,
		   "got %lld ns, want > 0", prev - first);
}

static void
check_realtime(void)
{
	struct timespec a, b;
	struct timeval tv;
	time_t t, traw;

	CHECK_EQ("clock_gettime(CLOCK_REALTIME)", clock_gettime(CLOCK_REALTIME, &a), 0);
	t = time(NULL);
	traw = syscall(SYS_time, NULL);
	CHECK_EQ("gettimeofday", gettimeofday(&tv, NULL), 0);
	CHECK_EQ("clock_gettime(CLOCK_REALTIME) again", clock_gettime(CLOCK_REALTIME, &b), 0);
	say("     CLOCK_REALTIME %lld.%09ld\n", (long long)a.tv_sec, a.tv_nsec);

	CHECK_TRUE("CLOCK_REALTIME is after 2020-01-01", a.tv_sec > 1577836800, "got %lld",
		   (long long)a.tv_sec);
	/* time() may read a coarse clock a tick behind: one second of slack below. */
	CHECK_TRUE("time(NULL) lies between two CLOCK_REALTIME reads (1 s slack below)",
		   t >= a.tv_sec - 1 && t <= b.tv_sec, "got %lld, want %lld..%lld", (long long)t,
		   (long long)a.tv_sec, (long long)b.tv_sec);
	CHECK_TRUE("the raw time system call agrees", traw >= a.tv_sec - 1 && traw <= b.tv_sec,
		   "got %lld, want %lld..%lld", (long long)traw, (long long)a.tv_sec,
		   (long long)b.tv_sec);
	CHECK_TRUE("gettimeofday's tv_usec is in [0, 1e6)", tv.tv_usec >= 0 && tv.tv_usec < 1000000,
		   "got %ld", (long)tv.tv_usec);
	CHECK_TRUE("gettimeofday lies between the two CLOCK_REALTIME reads (to the microsecond)",
		   tv.tv_sec * 1000000LL + tv.tv_usec >= ns(&a) / 1000 &&
		       tv.tv_sec * 1000000LL + tv.tv_usec <= ns(&b) / 1000,
		   "got %lld.%06ld, want %lld.%09ld..%lld.%09ld", (long long)tv.tv_sec,
		   (long)tv.tv_usec, (long long)a.tv_sec, a.tv_nsec, (long long)b.tv_sec,
		   b.tv_nsec);
	CHECK_TRUE("CLOCK_REALTIME does not go backwards between the reads", ns(&b) >= ns(&a),
		   "got %lld ns back", ns(&a) - ns(&b));
}

static void
check_sleep(void)
{
	struct timespec req = {0, 10000000}, rem = {7, 7};
	struct timespec bad = {0, NSEC};
	struct timespec target;
	long long t0, t1;

	t0 = mono();
	CHECK_EQ("nanosleep(10 ms)", nanosleep(&req, &rem), 0);
	t1 = mono();
	say("     nanosleep(10 ms) took %lld us\n", (t1 - t0) / 1000);
	CHECK_TRUE("nanosleep(10 ms) sleeps at least 10 ms", t1 - t0 >= 10000000, "got %lld ns",
		   t1 - t0);
	CHECK_TRUE("nanosleep(10 ms) sleeps less than 5 s", t1 - t0 < 5 * NSEC, "got %lld ns",
		   t1 - t0);

	t0 = mono();
	CHECK_EQ(
	    "clock_nanosleep(CLOCK_MONOTONIC, 0, 20 ms)",
	    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &(struct timespec){0, 20000000}, NULL),
	    0);
	t1 = mono();
	CHECK_TRUE("it sleeps at least 20 ms", t1 - t0 >= 20000000, "got %lld ns", t1 - t0);

	clock_gettime(CLOCK_MONOTONIC, &target);
	target.tv_nsec += 15000000;
	if (target.tv_nsec >= NSEC) {
		target.tv_sec++;
		target.tv_nsec -= NSEC;
	}
	CHECK_EQ("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, now + 15 ms)",
		 syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &target, NULL), 0);
	t1 = mono();
	CHECK_TRUE("it wakes no earlier than the target", t1 >= ns(&target), "got %lld ns early",
		   ns(&target) - t1);
	CHECK_EQ("clock_nanosleep to a time already past returns at once",
		 syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME,
			 &(struct timespec){0, 1}, NULL),
		 0);

	CHECK_ERR("nanosleep with tv_nsec = 1e9 is EINVAL", syscall(SYS_nanosleep, &bad, NULL),
		  EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERR("nanosleep with a negative tv_sec is EINVAL", syscall(SYS_nanosleep, &bad, NULL),
		  EINVAL);
	t0 = mono();
	CHECK_EQ("nanosleep(0) returns at once",
		 syscall(SYS_nanosleep, &(struct timespec){0, 0}, NULL), 0);
	CHECK_TRUE("nanosleep(0) takes less than 1 s", mono() - t0 < NSEC, "got %lld ns",
		   mono() - t0);
}

static void
check_res(void)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
	    {CLOCK_REALTIME, "CLOCK_REALTIME"},
	    {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	};
	struct timespec res;
	unsigned i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		char what[64];

		res.tv_sec = res.tv_nsec = -1;
		snprintf(what, sizeof(what), "clock_getres(%s)", clocks[i].name);
		CHECK_EQ(what, clock_getres(clocks[i].id, &res), 0);
		snprintf(what, sizeof(what), "%s resolution is in (0, 10 ms]", clocks[i].name);
		CHECK_TRUE(what, res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000,
			   "got %lld.%09ld", (long long)res.tv_sec, res.tv_nsec);
	}
	CHECK_EQ("clock_getres(CLOCK_MONOTONIC, NULL) is allowed",
		 syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);
	CHECK_ERR("clock_getres of an unknown clock is EINVAL",
		  syscall(SYS_clock_getres, 12345, &res), EINVAL);
	CHECK_ERR("clock_gettime of an unknown clock is EINVAL",
		  syscall(SYS_clock_gettime, 12345, &res), EINVAL);
}

int
main(void)
{
	guest_begin("t_clock", "clock_gettime, time, gettimeofday, clock_getres and sleeps");
	check_monotonic();
	check_realtime();
	check_sleep();
	check_res();
	return guest_end();
}
