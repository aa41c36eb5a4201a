/*
 * sys_misc.c - clocks, uname, randomness, sysinfo, scheduling.
 *
 * Layer src/guestkernel/sys. Argument checking; the host's clocks and random
 * source answer directly (the guest has no vDSO, so every clock read is a
 * syscall), except the CPU clocks, getrusage and times, which read the guest
 * CPU time the kernel measures (proc/timer.c). futex is sys_futex.c's.
 * Sleeping and timers are in sys_time.c, poll and select in sys_poll.c.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

static int
valid_clock(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_MONOTONIC_RAW ||
	       c == CLOCK_REALTIME_COARSE || c == CLOCK_MONOTONIC_COARSE || c == CLOCK_BOOTTIME;
}

/*
 * CPU clocks: the process's and the calling thread's, and the negative
 * clockids that name a process's or a thread's (gk_cpu_clock). They count
 * the guest CPU time the guest kernel measured, never the tracer's own.
 */
static int
cpu_clock(clockid_t c)
{
	return c < 0 || c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID;
}

GK_SYS(clock_gettime)
{
	struct timespec ts;
	clockid_t c = gk_arg_int(a, 0);
	uint64_t ns;
	int err;

	if (cpu_clock(c)) {
		err = gk_cpu_clock(p, c, 1, &ns, NULL, NULL);
		return err < 0 ? err : gk_timespec_out(p, gk_arg_ptr(a, 1), ns);
	}
	if (!valid_clock(c))
		return -EINVAL;
	clock_gettime(c, &ts);
	return gk_copyout(p, gk_arg_ptr(a, 1), &ts, sizeof(ts));
}

GK_SYS(clock_getres)
{
	struct timespec ts;
	clockid_t c = gk_arg_int(a, 0);
	uint64_t res;
	int err;

	if (cpu_clock(c)) {
		/* glibc's clock_getcpuclockid asks with a NULL buffer whether the clock exists. */
		err = gk_cpu_clock(p, c, 0, NULL, &res, NULL);
		if (err < 0 || !gk_arg_ptr(a, 1))
			return err;
		return gk_timespec_out(p, gk_arg_ptr(a, 1), res);
	}
	if (!valid_clock(c))
		return -EINVAL;
	clock_getres(c, &ts);
	return gk_arg_ptr(a, 1) ? gk_copyout(p, gk_arg_ptr(a, 1), &ts, sizeof(ts)) : 0;
}

GK_SYS(gettimeofday)
{
	struct timeval tv;
	uint64_t tz[1] = {0};

	gettimeofday(&tv, NULL);
	if (gk_arg_ptr(a, 0) && gk_copyout(p, gk_arg_ptr(a, 0), &tv, sizeof(tv)) < 0)
		return -EFAULT;
	if (gk_arg_ptr(a, 1) && gk_copyout(p, gk_arg_ptr(a, 1), tz, sizeof(tz)) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(time)
{
	int64_t t = (int64_t)time(NULL);

	if (gk_arg_ptr(a, 0) && gk_copyout(p, gk_arg_ptr(a, 0), &t, sizeof(t)) < 0)
		return -EFAULT;
	return (long)t;
}

GK_SYS(uname)
{
	struct utsname u, h;

	memset(&u, 0, sizeof(u));
	uname(&h);
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, "uvk");
	/* The host's release: libcs compare it against their minimum kernel. */
	memcpy(u.release, h.release, sizeof(u.release));
	snprintf(u.version, sizeof(u.version), "#1 SMP uvk %s", uvk_version());
	strcpy(u.machine, "x86_64");
	strcpy(u.domainname, "(none)");
	return gk_copyout(p, gk_arg_ptr(a, 0), &u, sizeof(u));
}

GK_SYS(getrandom)
{
	struct iovec iov[16];
	size_t n;
	long r, total = 0;
	int cnt, i;

	uint64_t buf = gk_arg_ptr(a, 0);
	size_t count = gk_arg_size(a, 1);
	unsigned int flags = gk_arg_uint(a, 2);

	if (flags & ~(unsigned int)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (count == 0)
		return 0;
	cnt = gk_user_iov(p, buf, count < (1u << 20) ? count : (1u << 20), UVK_ACCESS_WRITE, iov, 16,
			  &n);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++) {
		r = getrandom(iov[i].iov_base, iov[i].iov_len, flags);
		if (r < 0)
			return total ? total : -errno;
		total += r;
	}
	return total;
}

GK_SYS(sysinfo)
{
	struct sysinfo si;
	struct gk_kernel *k = p->k;

	memset(&si, 0, sizeof(si));
	si.uptime = (long)((gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns) / 1000000000ULL);
	si.totalram = k->pa->npages;
	si.freeram = k->pa->nfree;
	si.procs = (unsigned short)k->nprocs; /* tasks, as Linux's nr_threads */
	si.mem_unit = GK_PAGE;
	return gk_copyout(p, gk_arg_ptr(a, 0), &si, sizeof(si));
}

/* sched_yield: the rest of the slice goes to the next runnable task, a sibling thread or not. */
GK_SYS(sched_yield)
{
	p->resched = 1;
	return 0;
}

/* One policy: SCHED_OTHER at priority 0. The real-time ones need privilege the guest lacks. */
static int
sched_target_ok(struct gk_proc *p, int pid)
{
	return pid == 0 || pid == p->tg->gpid || (pid > 0 && gk_proc_find(p->k, pid));
}

GK_SYS(sched_getscheduler)
{
	if (gk_arg_int(a, 0) < 0)
		return -EINVAL;
	return sched_target_ok(p, gk_arg_int(a, 0)) ? SCHED_OTHER : -ESRCH;
}

GK_SYS(sched_getparam)
{
	int prio = 0;

	if (gk_arg_int(a, 0) < 0 || !gk_arg_ptr(a, 1))
		return -EINVAL;
	if (!sched_target_ok(p, gk_arg_int(a, 0)))
		return -ESRCH;
	return gk_copyout(p, gk_arg_ptr(a, 1), &prio, sizeof(prio));
}

GK_SYS(sched_setscheduler)
{
	int prio;

	if (gk_arg_int(a, 0) < 0 || !gk_arg_ptr(a, 2))
		return -EINVAL;
	if (gk_copyin(p, &prio, gk_arg_ptr(a, 2), sizeof(prio)) < 0)
		return -EFAULT;
	if (!sched_target_ok(p, gk_arg_int(a, 0)))
		return -ESRCH;
	switch (gk_arg_int(a, 1) & ~SCHED_RESET_ON_FORK) {
	case SCHED_OTHER:
	case SCHED_BATCH:
	case SCHED_IDLE:
		return prio == 0 ? 0 : -EINVAL;
	case SCHED_FIFO:
	case SCHED_RR:
		return prio >= 1 && prio <= 99 ? -EPERM : -EINVAL;
	}
	return -EINVAL;
}

GK_SYS(sched_setparam)
{
	struct gk_args b = gk_args_make((uint32_t)gk_arg_int(a, 0), SCHED_OTHER, gk_arg_ptr(a, 1),
					0, 0, 0);

	return gk_sys_sched_setscheduler(p, &b);
}

GK_SYS(sched_get_priority_max)
{
	int pol = gk_arg_int(a, 0);

	return pol == SCHED_FIFO || pol == SCHED_RR ? 99
	       : pol == SCHED_OTHER || pol == SCHED_BATCH || pol == SCHED_IDLE ? 0
										: -EINVAL;
}

GK_SYS(sched_get_priority_min)
{
	int pol = gk_arg_int(a, 0);

	return pol == SCHED_FIFO || pol == SCHED_RR ? 1
	       : pol == SCHED_OTHER || pol == SCHED_BATCH || pol == SCHED_IDLE ? 0
										: -EINVAL;
}

/* The task sched_*affinity names: the caller for 0, else any thread of the guest's. */
static struct gk_proc *
affinity_target(struct gk_proc *p, int tid)
{
	struct gk_proc *t = tid == 0 ? p : tid > 0 ? gk_task_find(p->k, tid) : NULL;

	return t && t->state != GK_P_DEAD && t->state != GK_P_ZOMBIE ? t : NULL;
}

/* The vCPUs the guest has: bits 0 .. ncpus-1. */
static uint64_t
online_mask(const struct gk_kernel *k)
{
	int n = k->ncpus > 1 ? k->ncpus : 1;

	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* sched_getaffinity: the task's mask among the vCPUs (at most 64: 8 bytes, as Linux's size). */
GK_SYS(sched_getaffinity)
{
	unsigned int len = gk_arg_uint(a, 1);
	struct gk_proc *t;
	uint64_t mask;

	if (len < sizeof(mask) || (len & 7))
		return -EINVAL;
	t = affinity_target(p, gk_arg_int(a, 0));
	if (!t)
		return -ESRCH;
	mask = t->cpus_allowed & online_mask(p->k);
	if (gk_copyout(p, gk_arg_ptr(a, 2), &mask, sizeof(mask)) < 0)
		return -EFAULT;
	return sizeof(mask);
}

/* getcpu: the vCPU the caller runs on, node 0; the cache argument is unused, as on Linux. */
GK_SYS(getcpu)
{
	uint32_t cpu = p->on_cpu > 0 ? (uint32_t)p->on_cpu : 0, zero = 0;
	uint64_t ucpu = gk_arg_ptr(a, 0), unode = gk_arg_ptr(a, 1);

	if (ucpu && gk_copyout(p, ucpu, &cpu, sizeof(cpu)) < 0)
		return -EFAULT;
	if (unode && gk_copyout(p, unode, &zero, sizeof(zero)) < 0)
		return -EFAULT;
	return 0;
}

/*
 * sched_setaffinity: the vCPUs a thread may run on. The mask is read as
 * Linux does (at most the kernel's mask size, the rest taken as clear);
 * it must name an online vCPU (EINVAL). The caller moves at once if its
 * vCPU is no longer allowed: it gives up the CPU, and its FPU state goes
 * with it.
 */
GK_SYS(sched_setaffinity)
{
	unsigned int len = gk_arg_uint(a, 1);
	uint64_t mask = 0;
	struct gk_proc *t;

	if (len > sizeof(mask))
		len = sizeof(mask);
	if (len && gk_copyin(p, &mask, gk_arg_ptr(a, 2), len) < 0)
		return -EFAULT;
	t = gk_arg_int(a, 0) < 0 ? NULL : affinity_target(p, gk_arg_int(a, 0));
	if (!t)
		return -ESRCH;
	if (!(mask & online_mask(p->k)))
		return -EINVAL;
	t->cpus_allowed = mask;
	if (t == p && p->on_cpu >= 0 && !(mask & (1ULL << p->on_cpu)))
		p->resched = 1;
	return 0;
}

GK_SYS(getrusage)
{
	int who = gk_arg_int(a, 0);
	struct rusage ru;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	gk_cpu_rusage(p, who, &ru);
	return gk_copyout(p, gk_arg_ptr(a, 1), &ru, sizeof(ru));
}

GK_SYS(times)
{
	uint64_t ticks = (gk_now_ns(CLOCK_MONOTONIC) - p->k->boot_ns) / 10000000ULL;
	struct tms t = {0};

	/* Guest CPU time, the process's and its waited-for children's, in USER_HZ ticks. */
	t.tms_utime = (clock_t)(p->tg->cpu_ns / 10000000ULL);
	t.tms_cutime = (clock_t)(p->tg->cchild_ns / 10000000ULL);
	if (gk_arg_ptr(a, 0) && gk_copyout(p, gk_arg_ptr(a, 0), &t, sizeof(t)) < 0)
		return -EFAULT;
	return (long)ticks;
}

/* The calls libc start-up probes and copes without: rseq and its kind. */
GK_SYS(enosys)
{
	return -ENOSYS;
}
