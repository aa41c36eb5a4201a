/*
 * cpu.c - virtual CPUs and the big kernel lock.
 *
 * Layer src/guestkernel/kern. Each vCPU is a tracer thread (entry/sched.c
 * runs its loop) that holds the big kernel lock, k->bkl, whenever it runs
 * kernel code, and drops it while it runs guest code (uvk_vmspace_run) or
 * sleeps idle. So kernel code never runs on two vCPUs at once, while guest
 * code and the library's fault shortcut run on all of them in parallel:
 * DragonFly's and Linux 2.0's first step to SMP. Splitting the lock comes
 * where the benchmarks show contention.
 *
 * What the lock does not cover is what another vCPU may do meanwhile:
 * wake a task (gk_cpu_kick makes sure some vCPU will run it), or post a
 * signal to, stop or kill a task running guest code on another vCPU
 * (gk_cpu_interrupt: the IPI, uvk_vcpu_interrupt, brings it back into
 * the kernel). With one vCPU every function here but the lock is a no-op
 * and the lock is never taken: the single-CPU path stays as it was.
 *
 * Must not: sleep with the lock held, or call up into the scheduler.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "kern.h"

/* gk_bkl_lock - take the big kernel lock (several vCPUs only). */
void
gk_bkl_lock(struct gk_kernel *k)
{
	if (k->ncpus > 1)
		pthread_mutex_lock(&k->bkl);
}

void
gk_bkl_unlock(struct gk_kernel *k)
{
	if (k->ncpus > 1)
		pthread_mutex_unlock(&k->bkl);
}

/* Wake vCPU c from its idle sleep, or stop it from going to sleep. */
static void
wake_cpu(struct gk_cpu *c)
{
	uint64_t one = 1;

	c->kicked = 1;
	if (!c->idle)
		return;
	if (c->id == 0) {
		/* vCPU 0 sleeps on the host epoll set: the eventfd in it wakes it. */
		if (write(c->k->kick_fd, &one, sizeof(one)) < 0) {
			/* Full (never in practice): it is readable, so vCPU 0 wakes anyway. */
		}
	} else {
		pthread_cond_signal(&c->cv);
	}
}

/*
 * gk_cpu_kick - p has become runnable: make sure a vCPU that may run it
 * looks. The one whose host thread holds p's FPU state if any (only it
 * may run p, proc/task.c), else an idle one its affinity allows (a vCPU
 * outside p->cpus_allowed would wake and find nothing to run); with none
 * idle, every busy vCPU picks again at the end of its time slice at the
 * latest, and one left idle looks for stranded tasks (entry/sched.c).
 */
void
gk_cpu_kick(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	int i;

	if (k->ncpus <= 1 || p->on_cpu >= 0)
		return;
	if (p->fp_cpu >= 0 && p->fp_cpu < k->ncpus) {
		wake_cpu(&k->cpus[p->fp_cpu]);
		return;
	}
	for (i = 0; i < k->ncpus; i++) {
		if ((p->cpus_allowed & (1ULL << i)) && k->cpus[i].idle && !k->cpus[i].kicked) {
			wake_cpu(&k->cpus[i]);
			return;
		}
	}
}

/*
 * gk_cpu_interrupt - p runs guest code on another vCPU and something for
 * it changed (a signal, a stop, its process's death): bring it back into
 * the kernel now rather than at the end of its time slice.
 */
void
gk_cpu_interrupt(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;

	if (k->ncpus <= 1 || !p->in_guest || p->on_cpu < 0 || p->on_cpu >= k->ncpus)
		return;
	uvk_vcpu_interrupt(k->cpus[p->on_cpu].vcpu);
}

/* gk_cpu_kick_all - every vCPU looks again: idle ones wake, running ones come back. */
void
gk_cpu_kick_all(struct gk_kernel *k)
{
	struct gk_proc *p;
	int i;

	if (k->ncpus <= 1)
		return;
	for (i = 0; i < k->ncpus; i++)
		wake_cpu(&k->cpus[i]);
	for (p = k->procs; p; p = p->next)
		gk_cpu_interrupt(p);
}
