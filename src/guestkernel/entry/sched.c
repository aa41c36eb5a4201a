/*
 * sched.c - the run loop: one virtual CPU shared by every guest process.
 *
 * Layer src/guestkernel/entry. One tracer thread runs each process's vmspace in
 * turn (uvk_vmspace_run) and turns each trap into a syscall, a signal or a
 * death:
 *
 *   SYSCALL     gk_syscall(): table dispatch, result in rax (int $0x80: -ENOSYS)
 *   PAGE_FAULT  gk_vm_fault(); unresolvable: SIGSEGV (MAPERR/ACCERR), I/O: SIGBUS,
 *               out of guest RAM: SIGKILL
 *   FAULT       the host's signal (SIGILL, SIGFPE, SIGTRAP, SIGSEGV) for the guest
 *   INTERRUPT   the tick: back to the scheduler, which may pick another process
 *   EXIT        the host child died under us: killed by that signal
 *
 * Before every run of guest code the process's signals are acted on
 * (gk_sig_deliver): a handler frame, a stop or a death. A process runs
 * until it blocks (gk_block), stops, exits or its time slice ends: a
 * periodic tick (uvk_tick_start, GK_TICK_NS) interrupts guest code that
 * never makes a syscall, so a spinning process cannot starve the others.
 * A blocked process costs nothing: it is not run until a wake on a queue
 * it waits on (kern/wait.c), a signal or its timeout (timer.c) makes it
 * runnable, and then its syscall is run again from the start before any
 * guest code. At each scheduling decision due timers fire and host signals
 * are passed on (console.c); when nothing is runnable the tracer sleeps on
 * the host (console.c's epoll set) until the next timer, a watched host
 * descriptor or a host signal, with the tick stopped: an idle guest costs
 * no CPU.
 *
 * Must not: decode syscall arguments, or print anything but "uvk: " lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <semaphore.h>
#include <time.h>

#include "entry.h"

/*
 * The page-fault error code for the frame: user mode, write, instruction
 * fetch, protection. A write to a page the host never mapped shows as a
 * read (the host does not say): its write bit is missing.
 */
static uint64_t
pf_error(const struct uvk_trap *t, int err)
{
	unsigned acc = t->page_fault.access;

	return 4 | (acc == UVK_ACCESS_WRITE ? 2 : 0) | (acc == UVK_ACCESS_EXEC ? 0x10 : 0) |
	       (err == -EACCES ? 1 : 0);
}

/* The x86 vector behind a host fault signal, for the frame's trapno. */
static int
trap_vector(int signo, int code)
{
	switch (signo) {
	case SIGILL:
		return 6;
	case SIGTRAP:
		return code == TRAP_TRACE ? 1 : 3;
	case SIGFPE:
		return code == FPE_INTDIV || code == FPE_INTOVF ? 0 : 19;
	case SIGBUS:
		return 17;
	}
	return 13; /* SIGSEGV with SI_KERNEL: a general protection fault */
}

static void
page_fault(struct gk_proc *p, const struct uvk_trap *t, uint64_t *last_gva, int *repeats)
{
	uint64_t gva = t->page_fault.gva;
	char why[128];
	int err;

	if (t->page_fault.error == -EFAULT && gva < UVK_VA_MAX) {
		snprintf(why, sizeof(why), "page table walk failed at %#llx (guest kernel bug)",
			 (unsigned long long)gva);
		gk_proc_kill(p, SIGSEGV, why);
		return;
	}
	err = gk_vm_fault(p->vm, gva, t->page_fault.access);
	if (err == 0) {
		/*
		 * The same fault again and again, with no syscall between, means
		 * the table and the host disagree: better a dead guest than a spin.
		 */
		if (gva == *last_gva && ++*repeats > 8) {
			snprintf(why, sizeof(why),
				 "fault at %#llx (access %u, walk %d) does not resolve",
				 (unsigned long long)gva, t->page_fault.access,
				 t->page_fault.error);
			gk_proc_kill(p, SIGSEGV, why);
		} else if (gva != *last_gva) {
			*last_gva = gva;
			*repeats = 0;
		}
		return;
	}
	*last_gva = UINT64_MAX;
	p->fault_err = pf_error(t, err);
	p->fault_trapno = 14;
	p->fault_sig = err == -EIO ? SIGBUS : SIGSEGV;
	if (err == -ENOMEM)
		gk_proc_kill(p, SIGKILL, "out of guest memory");
	else if (err == -EIO)
		gk_sig_force(p, SIGBUS, BUS_ADRERR, gva);
	else
		gk_sig_force(p, SIGSEGV, err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, gva);
}

static void
i386_syscall(struct gk_proc *p, const struct uvk_trap *t)
{
	/* int $0x80: the i386 ABI is not offered to 64-bit programs. */
	p->regs.rax = (uint64_t)-ENOSYS;
	p->k->st.syscalls++;
	p->k->st.enosys++;
	if (p->k->tr)
		gk_trace_i386(p);
	if (p->k->trace)
		fprintf(p->k->trace,
			"[i386] syscall_%llu(%#llx, %#llx, %#llx) = -1 ENOSYS "
			"(Function not implemented)\n",
			(unsigned long long)t->syscall.nr, (unsigned long long)t->syscall.args[0],
			(unsigned long long)t->syscall.args[1],
			(unsigned long long)t->syscall.args[2]);
}

/*
 * A call into the vsyscall page, as Linux's emulation (vsyscall=xonly)
 * runs it: the call it stands for, rax its result; the host has already
 * returned to the caller. A pointer the call cannot write is SIGSEGV.
 */
static void
vsyscall(struct gk_proc *p, const struct uvk_trap *t)
{
	uint64_t nr = t->syscall.nr;

	if (nr != __NR_gettimeofday && nr != __NR_time && nr != __NR_getcpu) {
		gk_sig_force(p, SIGSEGV, SI_KERNEL, 0); /* the host names no other */
		return;
	}
	gk_syscall(p, nr, t->syscall.args);
	if (p->regs.rax == (uint64_t)-EFAULT)
		gk_sig_force(p, SIGSEGV, SI_KERNEL, 0);
}

static int
runnable(const struct gk_proc *p)
{
	return p->state == GK_P_RUN && !p->tg->exited && !p->tg->stopped;
}

/*
 * A woken process whose syscall sleeps: a signal ends the call (-EINTR, or
 * a restart after the handler), or it runs again from the start.
 */
static void
resume_syscall(struct gk_proc *p)
{
	if (gk_sig_deliverable(p) && gk_sig_interrupted(p)) {
		if (p->k->tr)
			gk_trace_interrupted(p);
		gk_sys_undo(p);
		return;
	}
	gk_sig_deliver(p);
	if (!runnable(p) || !p->insys)
		return;
	p->insys = 0;
	p->sys_rerun = 1;
	gk_syscall(p, p->sys_nr, p->sys_args);
	p->sys_rerun = 0;
}

/*
 * Registers the host will not load (x86-64 refuses an fs or gs base at or
 * above TASK_SIZE_MAX): the syscalls that set them refuse such values with
 * EPERM, so one here is a guest kernel bug, and it costs p alone, SIGSEGV as
 * Linux gives a task whose state cannot be restored. Returns 1 if p may run.
 */
static int
host_loadable(struct gk_proc *p)
{
	if (p->regs.fs_base < GK_TASK_SIZE && p->regs.gs_base < GK_TASK_SIZE)
		return 1;
	gk_proc_kill(p, SIGSEGV, "fs or gs base beyond the host's user space (guest kernel bug)");
	return 0;
}

/*
 * Run p until it blocks, stops, exits or the tick ends its slice. A failure
 * of the host for p's vmspace is p's death (SIGKILL), not the guest's.
 */
static void
run_task(struct gk_proc *p)
{
	struct gk_kernel *k = p->k;
	uint64_t last_gva = UINT64_MAX, t0;
	struct uvk_trap t;
	int repeats = 0, err;

	for (;;) {
		if (p->insys && runnable(p))
			resume_syscall(p);
		if (!runnable(p) || p->insys)
			return;
		if (gk_sig_pending(p) || p->restore_mask)
			gk_sig_deliver(p);
		if (!runnable(p))
			return;
		if (!host_loadable(p))
			return;
		err = gk_task_fp_load(p);
		if (err == -EBUSY)
			return; /* its FPU state is another vCPU's: that one runs it */
		if (err < 0) {
			gk_proc_kill(p, SIGKILL, "no memory to switch FPU state");
			return;
		}
		t0 = gk_now_ns(CLOCK_MONOTONIC);
		/* Guest code runs without the kernel lock; other vCPUs run the kernel meanwhile. */
		p->in_guest = 1;
		gk_bkl_unlock(k);
		err = uvk_vmspace_run(p->vm->vms, &p->regs, &t);
		gk_bkl_lock(k);
		p->in_guest = 0;
		t0 = gk_now_ns(CLOCK_MONOTONIC) - t0;
		gk_cpu_account(p, t0);
		k->cpus[p->on_cpu].user_ns += t0;
		if (p->tg->exited || p->state != GK_P_RUN) {
			/* Killed meanwhile by another vCPU: what it trapped for is moot. */
			return;
		}
		if (err < 0) {
			/*
			 * The host refused something for this vmspace (a register
			 * load, a mapping): the library has killed its host process.
			 * That is this guest process's death, never the guest's.
			 */
			char why[96];

			snprintf(why, sizeof(why), "its vmspace failed on the host (%s): killed",
				 strerror(-err));
			gk_proc_kill(p, SIGKILL, why);
			return;
		}
		switch (t.kind) {
		case UVK_TRAP_SYSCALL:
			/* Progress: a fault at the same address later is a new one. */
			last_gva = UINT64_MAX;
			if (t.syscall.abi == UVK_ABI_VSYSCALL)
				vsyscall(p, &t);
			else if (t.syscall.abi != UVK_ABI_X86_64)
				i386_syscall(p, &t);
			else
				gk_syscall(p, t.syscall.nr, t.syscall.args);
			if (p->resched) {
				p->resched = 0;
				return;
			}
			break;
		case UVK_TRAP_PAGE_FAULT:
			page_fault(p, &t, &last_gva, &repeats);
			break;
		case UVK_TRAP_FAULT:
			p->fault_err = 0;
			p->fault_sig = t.fault.signo;
			p->fault_trapno = trap_vector(t.fault.signo, t.fault.code);
			gk_sig_force(p, t.fault.signo, t.fault.code, t.fault.addr);
			break;
		case UVK_TRAP_INTERRUPT:
			return;
		case UVK_TRAP_EXIT: {
			/* Never expected: something outside killed the host process. */
			char why[96];

			snprintf(why, sizeof(why), "its host process %d %s %d (wait status %#x)",
				 uvk_vmspace_host_pid(p->vm->vms),
				 t.exit.exited ? "exited with" : "was killed by signal", t.exit.code,
				 t.exit.wstatus);
			gk_proc_kill(p, t.exit.exited ? SIGKILL : t.exit.code, why);
			break;
		}
		}
	}
}

/*
 * May vCPU c run p now: runnable, not running elsewhere, and its FPU
 * state not held by another vCPU's host thread?
 */
static int
pickable(const struct gk_cpu *c, const struct gk_proc *p)
{
	return runnable(p) && p->on_cpu < 0 && (p->fp_cpu < 0 || p->fp_cpu == c->id) &&
	       (c->k->ncpus <= 1 || (p->cpus_allowed & (1ULL << c->id)));
}

/* The first task c may run, from c's round-robin point on, wrapping; NULL if none. */
static struct gk_proc *
pick(struct gk_cpu *c)
{
	struct gk_proc *p, *start = c->rr ? c->rr : c->k->procs;

	for (p = start; p; p = p->next)
		if (pickable(c, p))
			return p;
	for (p = c->k->procs; p && p != start; p = p->next)
		if (pickable(c, p))
			return p;
	return NULL;
}

/*
 * Nothing for c: a runnable task c may not run must have a vCPU awake that
 * may: the one holding its FPU state, or one its affinity allows.
 * gk_cpu_kick did it when the task woke; this makes sure, should the wake
 * have come while every such vCPU was busy or on its way to sleep.
 */
static void
kick_stranded(struct gk_cpu *c)
{
	struct gk_kernel *k = c->k;
	struct gk_proc *p;
	int i;

	for (p = k->procs; p; p = p->next) {
		if (!runnable(p) || p->on_cpu >= 0)
			continue;
		if (p->fp_cpu >= 0 && p->fp_cpu != c->id) {
			if (k->cpus[p->fp_cpu].idle)
				gk_cpu_kick(p);
			continue;
		}
		if (p->fp_cpu < 0 && !(p->cpus_allowed & (1ULL << c->id)))
			for (i = 0; i < k->ncpus; i++)
				if ((p->cpus_allowed & (1ULL << i)) && k->cpus[i].idle) {
					gk_cpu_kick(p);
					break;
				}
	}
}

/*
 * Runnable tasks whose FPU state c holds but whose affinity no longer
 * allows c (sched_setaffinity on a task that was not running): c lets go
 * of the state, so that a vCPU they may run on can take them.
 */
static void
release_disallowed(struct gk_cpu *c)
{
	struct gk_proc *p;

	for (p = c->k->procs; p; p = p->next)
		if (p->fp_cpu == c->id && p->on_cpu < 0 && runnable(p) &&
		    !(p->cpus_allowed & (1ULL << c->id)) && gk_task_fp_save(p) == 0)
			gk_cpu_kick(p);
}

/* Is a vCPU other than c idle, and a task other than p waiting that it could run? */
static int
imbalance(const struct gk_cpu *c)
{
	const struct gk_kernel *k = c->k;
	int i;

	for (i = 0; i < k->ncpus; i++)
		if (i != c->id && k->cpus[i].idle)
			return 1;
	return 0;
}

/*
 * Run p on c until it blocks, stops, exits or its slice ends. p is c's
 * until then (on_cpu); with several vCPUs a task preempted while another
 * vCPU idles leaves its FPU state in its buffer, so that the idle one may
 * take it (pickable).
 */
static void
run_proc(struct gk_cpu *c, struct gk_proc *p)
{
	struct gk_kernel *k = c->k;

	p->on_cpu = c->id;
	c->cur = p;
	k->running++;
	run_task(p);
	k->running--;
	c->cur = NULL;
	if (k->ncpus > 1 && runnable(p) && !p->insys &&
	    (imbalance(c) || !(p->cpus_allowed & (1ULL << c->id)))) {
		gk_task_fp_save(p);
		p->on_cpu = -1;
		gk_cpu_kick(p);
	}
	p->on_cpu = -1;
	/* Round robin: c's next pick starts after p (gk_proc_free moves it if p goes). */
	c->rr = p->next;
}

/* Any task of tg on a vCPU now? Its group cannot be released under it. */
static int
tg_on_cpu(const struct gk_tgroup *tg)
{
	const struct gk_proc *t;

	for (t = tg->tasks; t; t = t->tg_next)
		if (t->on_cpu >= 0)
			return 1;
	return 0;
}

/*
 * Release every process that exited (killed while asleep, say), free the
 * tasks that are done (threads that exited, the other tasks of a process
 * that did) and reap those whose parent does not wait. A task still on a
 * vCPU (another one's, running guest code when it died) is left for the
 * pass after that vCPU let go of it.
 */
static void
release_exited(struct gk_kernel *k)
{
	struct gk_proc *p;
	int freed;

	do {
		freed = 0;
		for (p = k->procs; p; p = p->next) {
			struct gk_tgroup *tg = p->tg;

			if (tg->exited && !tg->released) {
				if (tg_on_cpu(tg))
					continue;
				if (gk_proc_release(p) && gk_tg_leader(tg) != k->init) {
					gk_tg_free_threads(tg);
					gk_proc_free(gk_tg_leader(tg));
					freed = 1;
					break;
				}
			}
			if (p->state == GK_P_DEAD && !gk_is_leader(p) && p->on_cpu < 0) {
				gk_proc_free(p);
				freed = 1;
				break;
			}
			if (tg->released && tg->ntasks > 1 && !tg_on_cpu(tg)) {
				gk_tg_free_threads(tg);
				freed = 1;
				break;
			}
		}
	} while (freed);
}

/* Nothing for c to run: sleep until something may be (see struct gk_cpu). */
static int
idle(struct gk_cpu *c, uint64_t next)
{
	struct gk_kernel *k = c->k;
	int64_t wait = -1;

	if (c->id != 0) {
		/*
		 * vCPU 0 watches the host; the others wait for a kick, or for
		 * the next timer: one armed on this vCPU after vCPU 0 went to
		 * sleep is not in vCPU 0's timeout.
		 */
		c->idle = 1;
		if (!c->kicked && !k->shutdown) {
			/* No tick while asleep: an idle guest costs no CPU. */
			uvk_tick_start(0);
			if (next) {
				struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ULL),
						      .tv_nsec = (long)(next % 1000000000ULL)};

				pthread_cond_timedwait(&c->cv, &k->bkl, &ts);
			} else {
				pthread_cond_wait(&c->cv, &k->bkl);
			}
			uvk_tick_start(GK_TICK_NS);
		}
		c->idle = 0;
		c->kicked = 0;
		return 0;
	}
	if (k->init->tg->stopped && k->running == 0) {
		gk_console_suspend(k);
		return 0;
	}
	if (!next && !gk_console_idle_possible(k) && k->running == 0) {
		fprintf(stderr, "uvk: every guest process is blocked: deadlock\n");
		return -EDEADLK;
	}
	if (next) {
		uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

		wait = next > now ? (int64_t)(next - now) : 0;
	}
	uvk_tick_start(0);
	c->idle = 1;
	if (!c->kicked)
		gk_console_check(k, wait); /* drops the kernel lock while it sleeps */
	c->idle = 0;
	c->kicked = 0;
	uvk_tick_start(GK_TICK_NS);
	return 0;
}

/* One vCPU's loop, with the kernel lock held: until pid 1 exits. */
static int
cpu_loop(struct gk_cpu *c)
{
	struct gk_kernel *k = c->k;
	struct gk_proc *p;
	uint64_t next;
	int err = 0;

	while (!k->shutdown) {
		gk_console_signals(k);
		next = gk_timers_run(k, gk_now_ns(CLOCK_MONOTONIC));
		gk_console_check(k, 0);
		release_exited(k);
		if (k->init->tg->exited) {
			/* Killed while asleep (a host signal) is not a deadlock either. */
			k->shutdown = 1;
			gk_cpu_kick_all(k);
			break;
		}
		c->kicked = 0;
		if (k->ncpus > 1)
			release_disallowed(c);
		p = pick(c);
		if (!p && k->ncpus > 1)
			kick_stranded(c);
		if (!p) {
			err = idle(c, next);
			if (err < 0) {
				k->shutdown = 1;
				gk_cpu_kick_all(k);
				break;
			}
			continue;
		}
		run_proc(c, p);
	}
	return err;
}

/*
 * A vCPU beyond the first: its own tracer thread. It makes its vCPU at
 * once (pinned), so that it exists before the first vmspace does, and then
 * waits for the kernel lock, which vCPU 0 holds until it first runs guest
 * code (or shuts down).
 */
static void *
cpu_thread(void *arg)
{
	struct gk_cpu *c = arg;
	struct gk_kernel *k = c->k;

	c->vcpu = uvk_vcpu_create(k->cfg->cpu_map[c->id]);
	c->start_err = c->vcpu ? 0 : -errno;
	sem_post(&c->ready);
	if (!c->vcpu)
		return NULL;
	gk_bkl_lock(k);
	if (!k->shutdown && uvk_tick_start(GK_TICK_NS) == 0)
		cpu_loop(c);
	gk_bkl_unlock(k);
	uvk_tick_start(0);
	return NULL;
}

/*
 * gk_cpus_init - the vCPUs: the calling thread becomes vCPU 0 and takes
 * the kernel lock, which it keeps through boot; each other vCPU is a
 * thread of its own, pinned to cfg->cpu_map. Call it before the first
 * vmspace is made (a vCPU made later cannot run processes that exist
 * already). Returns 0 or a negative errno (the vCPUs made so far are
 * undone by gk_cpus_fini).
 */
int
gk_cpus_init(struct gk_kernel *k, int ncpus, const int *cpu_map)
{
	pthread_condattr_t ca;
	int i, err = 0;

	if (ncpus < 1)
		ncpus = 1;
	if (ncpus > GK_NCPU_MAX)
		return -EINVAL;
	k->cpus = calloc((size_t)ncpus, sizeof(*k->cpus));
	if (!k->cpus)
		return -ENOMEM;
	k->ncpus = ncpus;
	pthread_mutex_init(&k->bkl, NULL);
	/* Idle waits time out on CLOCK_MONOTONIC, the clock timers are kept in. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < ncpus; i++) {
		k->cpus[i].k = k;
		k->cpus[i].id = i;
		pthread_cond_init(&k->cpus[i].cv, &ca);
		sem_init(&k->cpus[i].ready, 0, 0);
	}
	if (ncpus > 1) {
		k->cpus[0].vcpu = uvk_vcpu_create(cpu_map[0]);
		if (!k->cpus[0].vcpu)
			return -errno;
	}
	gk_bkl_lock(k);
	for (i = 1; i < ncpus; i++) {
		err = -pthread_create(&k->cpus[i].thread, NULL, cpu_thread, &k->cpus[i]);
		if (err < 0)
			return err;
		k->cpus[i].started = 1;
		sem_wait(&k->cpus[i].ready);
		if (k->cpus[i].start_err < 0)
			return k->cpus[i].start_err;
	}
	return 0;
}

/*
 * gk_cpus_fini - stop every vCPU thread (they leave their loops once
 * k->shutdown is set) and wait for them; with the kernel lock held by the
 * caller, as gk_cpus_init and gk_sched_run leave it.
 */
void
gk_cpus_fini(struct gk_kernel *k)
{
	int i;

	if (!k->cpus)
		return;
	k->shutdown = 1;
	gk_cpu_kick_all(k);
	for (i = 1; i < k->ncpus; i++)
		pthread_cond_signal(&k->cpus[i].cv);
	gk_bkl_unlock(k);
	for (i = 1; i < k->ncpus; i++)
		if (k->cpus[i].started)
			pthread_join(k->cpus[i].thread, NULL);
	for (i = 0; i < k->ncpus; i++) {
		pthread_cond_destroy(&k->cpus[i].cv);
		sem_destroy(&k->cpus[i].ready);
		uvk_vcpu_free(k->cpus[i].vcpu);
	}
	free(k->cpus);
	k->cpus = NULL;
}

/*
 * gk_sched_run - run the guest on every vCPU until pid 1 exits: the
 * caller's thread is vCPU 0 (gk_cpus_init), holding the kernel lock, and
 * still holds it on return (gk_cpus_fini stops the others). Returns 0,
 * -EDEADLK if every task is blocked with nothing left to wake them, or a
 * negative errno if the tick could not start. One vmspace failing on the
 * host is not an error here: it kills that guest process (run_proc).
 */
int
gk_sched_run(struct gk_kernel *k)
{
	int err;

	err = uvk_tick_start(GK_TICK_NS);
	if (err < 0)
		return err;
	err = cpu_loop(&k->cpus[0]);
	k->shutdown = 1;
	gk_cpu_kick_all(k);
	uvk_tick_start(0);
	return err < 0 ? err : 0;
}
