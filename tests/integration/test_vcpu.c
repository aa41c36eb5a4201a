/*
 * test_vcpu.c - several vCPUs (tracer threads) running one vmspace at once,
 * each through its own host thread of the one host process: shared
 * mappings, a fault two vCPUs take at once resolved once, an invalidation
 * reaching a vCPU that is running guest code, interrupts (the IPI) of a
 * vCPU blocked in its wait, and kill and free with other vCPUs' threads in
 * the vmspace.
 *
 * The main thread is vCPU "A"; workers are vCPUs on threads of their own
 * that run jobs handed to them. Waits are for conditions the guests write
 * in guest memory (seen through pmem), never for an amount of time; each
 * has a generous bound so that a bug fails the test rather than hangs it.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define DATA_GVA   0x20000000ULL
#define SHARED_GVA 0x30000000ULL /* counters and flags the contexts share */
#define ARG2_GVA   (MINI_ARG_GVA + 0x1000)
#define STACK2_TOP (MINI_STACK_TOP - 8 * UVK_PAGE_SIZE)

/* A vCPU on a thread of its own, running one job at a time. */
struct worker {
	pthread_t th;
	int cpu;
	struct uvk_vcpu *vcpu;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*job)(struct worker *w, void *ctx); /* NULL: idle */
	void *ctx;
	bool quit, made;
};

static void *
worker_main(void *p)
{
	struct worker *w = p;

	w->vcpu = uvk_vcpu_create(w->cpu);
	pthread_mutex_lock(&w->lock);
	w->made = true;
	pthread_cond_broadcast(&w->cond);
	while (!w->quit) {
		if (w->job) {
			pthread_mutex_unlock(&w->lock);
			w->job(w, w->ctx);
			pthread_mutex_lock(&w->lock);
			w->job = NULL;
			pthread_cond_broadcast(&w->cond);
			continue;
		}
		pthread_cond_wait(&w->cond, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	uvk_vcpu_free(w->vcpu);
	return NULL;
}

static int
ncpus(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
}

/* The i-th CPU this process may use (modulo their number). */
static int
nth_cpu(int i)
{
	cpu_set_t set;
	int n = 0;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	i %= CPU_COUNT(&set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && n++ == i)
			return c;
	return -1;
}

static void
worker_start(struct worker *w, int cpu)
{
	memset(w, 0, sizeof(*w));
	w->cpu = cpu;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	assert_int_equal(pthread_create(&w->th, NULL, worker_main, w), 0);
	pthread_mutex_lock(&w->lock);
	while (!w->made)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	assert_non_null(w->vcpu);
}

static void
worker_give(struct worker *w, void (*job)(struct worker *, void *), void *ctx)
{
	pthread_mutex_lock(&w->lock);
	w->job = job;
	w->ctx = ctx;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void
worker_wait(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->job)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void
worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
}

/* A guest context: its registers and its argument page. */
struct ctx {
	struct mini *m;
	struct uvk_regs regs;
	long *arg;
	/* results of a run on a worker */
	int status;
	long reports[4];
	int nrep;
	struct uvk_trap last;
	int rc;
};

/*
 * A second context in m's vmspace: its own argument page and a stack below
 * the first context's, as a guest kernel gives a second thread.
 */
static void
ctx_second(struct mini *m, struct ctx *c)
{
	uint64_t gpa = mini_page(m);

	memset(c, 0, sizeof(*c));
	c->m = m;
	assert_int_equal(
	    mini_enter(m, ARG2_GVA, gpa, UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX | UVK_PTE_M), 0);
	c->arg = (long *)mini_hva(m, gpa);
	c->regs = m->regs;
	c->regs.rdi = ARG2_GVA;
	c->regs.rsp = STACK2_TOP;
}

static void
ctx_first(struct mini *m, struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->m = m;
	c->arg = m->arg;
	c->regs = m->regs;
}

/* Run c on the calling thread's vCPU v to its exit, as mini_run_to_exit. */
static int
run_to_exit(struct uvk_vcpu *v, struct ctx *c)
{
	struct uvk_trap t;
	int rc;

	c->nrep = 0;
	for (;;) {
		rc = uvk_vcpu_run(v, c->m->vms, &c->regs, &t);
		if (rc)
			return rc;
		c->last = t;
		if (t.kind == UVK_TRAP_INTERRUPT)
			continue;
		if (t.kind != UVK_TRAP_SYSCALL)
			return -1000 - (int)t.kind;
		if (t.syscall.nr == 60)
			return (int)t.syscall.args[0];
		if (t.syscall.nr == SYS_REPORT && c->nrep < 4)
			c->reports[c->nrep++] = (long)t.syscall.args[0];
		c->regs.rax = t.syscall.nr == SYS_REPORT ? 0 : (uint64_t)-ENOSYS;
	}
}

static void
job_run_to_exit(struct worker *w, void *p)
{
	struct ctx *c = p;

	c->status = run_to_exit(w->vcpu, c);
}

/* One run: the first trap that is not an interrupt, in c->last. */
static void
job_run_once(struct worker *w, void *p)
{
	struct ctx *c = p;

	do
		c->rc = uvk_vcpu_run(w->vcpu, c->m->vms, &c->regs, &c->last);
	while (!c->rc && c->last.kind == UVK_TRAP_INTERRUPT);
}

/* One run, interrupts included. */
static void
job_run_raw(struct worker *w, void *p)
{
	struct ctx *c = p;

	c->rc = uvk_vcpu_run(w->vcpu, c->m->vms, &c->regs, &c->last);
}

static int
set_m(void *ctx, uint64_t gva, uint64_t *pte)
{
	if (*pte & UVK_PTE_W)
		*pte |= UVK_PTE_M;
	return 0;
}

/*
 * Map everything but the pages under test now, writable where the table
 * says so (M set): the only faults left are the ones a test counts.
 */
static void
prep_mapped(struct mini *m)
{
	assert_int_equal(uvk_vpt_foreach(uvk_pmem_vpt(m->pm), m->root, 0, UVK_VA_MAX, set_m, NULL),
			 0);
	assert_true(uvk_vmspace_prefault(m->vms, 0x400000, 0x10000) > 0);
	assert_true(uvk_vmspace_prefault(m->vms, MINI_ARG_GVA, 2 * UVK_PAGE_SIZE) > 0);
	assert_int_equal(uvk_vmspace_prefault(m->vms, MINI_STACK_TOP - MINI_STACK_PAGES * 4096,
					      MINI_STACK_PAGES * 4096),
			 MINI_STACK_PAGES);
	assert_int_equal(uvk_vmspace_prefault(m->vms, SHARED_GVA, UVK_PAGE_SIZE), 1);
}

/* A shared page of counters and flags at SHARED_GVA; the tracer's view of it. */
static volatile long *
shared_page(struct mini *m)
{
	uint64_t gpa = mini_page(m);

	assert_int_equal(
	    mini_enter(m, SHARED_GVA, gpa, UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX | UVK_PTE_M), 0);
	return (volatile long *)mini_hva(m, gpa);
}

/* Wait until *p is nonzero; false after a bound no healthy run comes near. */
static bool
wait_set(volatile long *p)
{
	for (long i = 0; i < 20L * 1000 * 1000; i++) {
		if (__atomic_load_n(p, __ATOMIC_SEQ_CST))
			return true;
		sched_yield();
	}
	return false;
}

static int
task_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The main thread's vCPU "A", pinned to the first CPU; made once, it
 * stays for every test (the process's other tests use it implicitly).
 */
static struct uvk_vcpu *
vcpu_a(void)
{
	static struct uvk_vcpu *a;

	if (!a)
		a = uvk_vcpu_create(nth_cpu(0));
	assert_non_null(a);
	return a;
}

/*
 * Two guest contexts of one process on two vCPUs at once, each counting in
 * its own word of a shared page: one host process, two host threads (and
 * the spare), the exact counts, and the second thread pinned with its vCPU.
 */
static void
test_two_vcpus_one_process(void **state)
{
	const long n = 200000, every = 1000;
	struct uvk_vcpu *a = vcpu_a();
	struct worker b;
	struct ctx ca, cb;
	struct mini m;
	struct uvk_stats s;
	volatile long *sh;

	worker_start(&b, nth_cpu(1));
	probe_setup(&m, P_COUNT);
	sh = shared_page(&m);
	ctx_first(&m, &ca);
	ctx_second(&m, &cb);
	ca.arg[0] = cb.arg[0] = P_COUNT;
	ca.arg[1] = SHARED_GVA;
	cb.arg[1] = SHARED_GVA + 8;
	ca.arg[2] = cb.arg[2] = n;
	ca.arg[3] = cb.arg[3] = every;
	worker_give(&b, job_run_to_exit, &cb);
	assert_int_equal(run_to_exit(a, &ca), 0);
	worker_wait(&b);
	assert_int_equal(cb.status, 0);
	assert_int_equal(ca.nrep, 1);
	assert_int_equal(cb.nrep, 1);
	assert_int_equal(ca.reports[0], n);
	assert_int_equal(cb.reports[0], n);
	assert_int_equal(sh[0], n);
	assert_int_equal(sh[1], n);
	/* one process: the leader (A's), B's thread and the spare for the next vCPU */
	uvk_vmspace_stats(m.vms, &s);
	assert_int_equal(s.host_threads, 3);
	assert_int_equal(task_count(uvk_vmspace_host_pid(m.vms)), 3);
	assert_int_equal(s.syscalls, 2 * (n / every + 2));
	mini_fini(&m);
	worker_stop(&b);
}

/*
 * Two vCPUs meet at a counter before each of 32 reads of a page nobody has
 * mapped yet, so that both fault on it at about the same moment: each page
 * is resolved once (the second fault finds the first one's mapping and is
 * resumed as it was), and both read the right values. Frames are scattered
 * so that fault-around maps one page per fault.
 */
static void
test_same_page_fault_resolved_once(void **state)
{
	const int rounds = 32;
	struct uvk_vcpu *a = vcpu_a();
	struct worker b;
	struct ctx ca, cb;
	struct mini m;
	struct uvk_stats s0, s1;
	long want = 0;

	worker_start(&b, nth_cpu(1));
	probe_setup(&m, P_RACE);
	shared_page(&m);
	for (int r = 0; r < rounds; r++) {
		uint64_t gpa = mini_page(&m);

		mini_page(&m);
		*(long *)mini_hva(&m, gpa) = r + 1;
		want += r + 1;
		assert_int_equal(
		    mini_enter(&m, DATA_GVA + r * UVK_PAGE_SIZE, gpa, UVK_PTE_U | UVK_PTE_NX), 0);
	}
	ctx_first(&m, &ca);
	ctx_second(&m, &cb);
	prep_mapped(&m);
	for (struct ctx *c = &ca; c; c = c == &ca ? &cb : NULL) {
		c->arg[0] = P_RACE;
		c->arg[1] = SHARED_GVA;
		c->arg[2] = rounds;
		c->arg[3] = DATA_GVA;
		c->arg[4] = 2;
	}
	uvk_vmspace_stats(m.vms, &s0);
	worker_give(&b, job_run_to_exit, &cb);
	assert_int_equal(run_to_exit(a, &ca), 0);
	worker_wait(&b);
	assert_int_equal(cb.status, 0);
	assert_int_equal(ca.reports[0], want);
	assert_int_equal(cb.reports[0], want);
	uvk_vmspace_stats(m.vms, &s1);
	assert_int_equal(s1.faults_resolved - s0.faults_resolved, rounds);
	assert_int_equal(s1.faults_forwarded - s0.faults_forwarded, 0);
	mini_fini(&m);
	worker_stop(&b);
}

/* Job: remove the page at arg and invalidate it, on a vCPU with no thread in the vmspace. */
struct inval {
	struct mini *m;
	uint64_t gva;
	int rc;
};

static void
job_invalidate(struct worker *w, void *p)
{
	struct inval *iv = p;

	assert_int_equal(uvk_vpt_remove(uvk_pmem_vpt(iv->m->pm), iv->m->root, iv->gva, NULL), 0);
	iv->rc = uvk_vmspace_invalidate(iv->m->vms, iv->gva, UVK_PAGE_SIZE);
}

/*
 * munmap on one vCPU while another is reading the page in a loop: once
 * uvk_vmspace_invalidate has returned (and the fence is set), the reader
 * either still gets a page-fault trap or ... nothing else: reading the old
 * page after the fence would be a stale host mapping (the guest exits 1).
 * The invalidating vCPU is A, which has a thread there, or C, which has
 * none yet and adopts the spare to unmap at once.
 */
static void
invalidate_case(bool from_other_vcpu)
{
	struct worker b, c;
	struct ctx cb;
	struct mini m;
	struct inval iv;
	volatile long *sh;
	uint64_t gpa;

	vcpu_a();
	worker_start(&b, nth_cpu(1));
	worker_start(&c, nth_cpu(0));
	probe_setup(&m, P_WATCH);
	sh = shared_page(&m);
	gpa = mini_page(&m);
	*(long *)mini_hva(&m, gpa) = 111;
	assert_int_equal(mini_enter(&m, DATA_GVA, gpa, UVK_PTE_U | UVK_PTE_NX), 0);
	ctx_second(&m, &cb);
	cb.arg[0] = P_WATCH;
	cb.arg[1] = DATA_GVA;
	cb.arg[2] = SHARED_GVA; /* the fence */
	cb.arg[3] = 0;
	cb.arg[4] = 111;
	worker_give(&b, job_run_once, &cb);
	/* B is in its run, the page mapped and being read */
	assert_true(wait_set(&cb.arg[3]));
	iv = (struct inval){.m = &m, .gva = DATA_GVA};
	if (from_other_vcpu) {
		worker_give(&c, job_invalidate, &iv);
		worker_wait(&c);
	} else {
		job_invalidate(NULL, &iv);
	}
	assert_int_equal(iv.rc, 0);
	__atomic_store_n(&sh[0], 1, __ATOMIC_SEQ_CST);
	worker_wait(&b);
	assert_int_equal(cb.rc, 0);
	/* a stale read would have ended the guest with exit(1): a syscall trap */
	assert_int_equal(cb.last.kind, UVK_TRAP_PAGE_FAULT);
	assert_int_equal(cb.last.page_fault.gva, DATA_GVA);
	assert_int_equal(cb.last.page_fault.error, -ENOENT);
	mini_fini(&m);
	worker_stop(&b);
	worker_stop(&c);
}

static void
test_invalidate_reaches_running_vcpu(void **state)
{
	invalidate_case(false);
}

static void
test_invalidate_from_vcpu_without_thread(void **state)
{
	invalidate_case(true);
}

/*
 * The IPI: a vCPU blocked in its wait for a spinning guest returns
 * UVK_INTR_KICK when interrupted from another thread; an interrupt sent
 * while it is not running is returned by its next run before any guest
 * instruction; uvk_vmspace_interrupt reaches every vCPU running the vmspace.
 */
static void
test_interrupt_vcpu(void **state)
{
	struct worker b, c;
	struct ctx cb, cc;
	struct uvk_regs start;
	struct mini m;
	volatile long *sh;
	uint64_t rip;

	vcpu_a();
	worker_start(&b, nth_cpu(1));
	worker_start(&c, nth_cpu(0));
	probe_setup(&m, P_FLAG_SPIN);
	sh = shared_page(&m);
	ctx_second(&m, &cb);
	cb.arg[0] = P_FLAG_SPIN;
	cb.arg[1] = SHARED_GVA;
	start = cb.regs;
	worker_give(&b, job_run_raw, &cb);
	assert_true(wait_set(&sh[0]));
	assert_int_equal(uvk_vcpu_interrupt(b.vcpu), 0);
	worker_wait(&b);
	assert_int_equal(cb.rc, 0);
	assert_int_equal(cb.last.kind, UVK_TRAP_INTERRUPT);
	assert_int_equal(cb.last.interrupt.reason, UVK_INTR_KICK);

	/* not running: the next run returns it at once, where the guest was */
	rip = cb.regs.rip;
	assert_int_equal(uvk_vcpu_interrupt(b.vcpu), 0);
	worker_give(&b, job_run_raw, &cb);
	worker_wait(&b);
	assert_int_equal(cb.rc, 0);
	assert_int_equal(cb.last.kind, UVK_TRAP_INTERRUPT);
	assert_int_equal(cb.last.interrupt.reason, UVK_INTR_KICK);
	assert_int_equal(cb.regs.rip, rip);

	/*
	 * Two vCPUs spinning in one vmspace (both contexts start from the top
	 * and raise their own flag): one uvk_vmspace_interrupt stops both.
	 */
	sh[0] = 0;
	cb.regs = start;
	worker_give(&b, job_run_raw, &cb);
	assert_true(wait_set(&sh[0]));
	ctx_first(&m, &cc);
	cc.arg[0] = P_FLAG_SPIN;
	cc.arg[1] = SHARED_GVA + 8;
	worker_give(&c, job_run_raw, &cc);
	assert_true(wait_set(&sh[1]));
	assert_int_equal(uvk_vmspace_interrupt(m.vms), 0);
	worker_wait(&b);
	worker_wait(&c);
	assert_int_equal(cb.rc, 0);
	assert_int_equal(cc.rc, 0);
	assert_int_equal(cb.last.kind, UVK_TRAP_INTERRUPT);
	assert_int_equal(cc.last.kind, UVK_TRAP_INTERRUPT);
	assert_int_equal(cb.last.interrupt.reason, UVK_INTR_KICK);
	assert_int_equal(cc.last.interrupt.reason, UVK_INTR_KICK);
	mini_fini(&m);
	worker_stop(&b);
	worker_stop(&c);
}

/*
 * uvk_vmspace_kill from A while B is running the vmspace: it returns only
 * when B's run has seen the death (B's run reports SIGKILL), and the host
 * process is gone by then, every thread reaped.
 */
static void
test_kill_while_other_vcpu_runs(void **state)
{
	struct worker b;
	struct ctx cb;
	struct mini m;
	volatile long *sh;
	pid_t hpid;

	vcpu_a();
	worker_start(&b, nth_cpu(1));
	probe_setup(&m, P_FLAG_SPIN);
	sh = shared_page(&m);
	ctx_second(&m, &cb);
	cb.arg[0] = P_FLAG_SPIN;
	cb.arg[1] = SHARED_GVA;
	hpid = uvk_vmspace_host_pid(m.vms);
	worker_give(&b, job_run_raw, &cb);
	assert_true(wait_set(&sh[0]));
	uvk_vmspace_kill(m.vms);
	assert_int_equal(kill(hpid, 0), -1);
	assert_int_equal(errno, ESRCH);
	worker_wait(&b);
	assert_int_equal(cb.rc, 0);
	assert_int_equal(cb.last.kind, UVK_TRAP_EXIT);
	assert_int_equal(cb.last.exit.exited, 0);
	assert_int_equal(cb.last.exit.code, SIGKILL);
	/* reported once to each vCPU, then -ESRCH */
	worker_give(&b, job_run_raw, &cb);
	worker_wait(&b);
	assert_int_equal(cb.rc, -ESRCH);
	assert_int_equal(uvk_vmspace_invalidate(m.vms, DATA_GVA, UVK_PAGE_SIZE), -ESRCH);
	mini_fini(&m);
	worker_stop(&b);
}

/*
 * Free from A while B has a host thread stopped in the vmspace (B ran it
 * to a syscall): everything is reaped, the host process is gone, and B goes
 * on with another vmspace.
 */
static void
test_free_with_other_vcpu_thread(void **state)
{
	struct worker b;
	struct ctx cb;
	struct mini m, m2;
	pid_t hpid;

	vcpu_a();
	worker_start(&b, nth_cpu(1));
	probe_setup(&m, P_ARGS);
	ctx_second(&m, &cb);
	cb.arg[0] = P_ARGS;
	worker_give(&b, job_run_once, &cb);
	worker_wait(&b);
	assert_int_equal(cb.rc, 0);
	assert_int_equal(cb.last.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(cb.last.syscall.nr, 500);
	hpid = uvk_vmspace_host_pid(m.vms);
	assert_int_equal(task_count(hpid), 3);
	mini_fini(&m);
	assert_int_equal(kill(hpid, 0), -1);
	assert_int_equal(errno, ESRCH);

	probe_setup(&m2, P_ARGS);
	ctx_second(&m2, &cb);
	cb.arg[0] = P_ARGS;
	worker_give(&b, job_run_to_exit, &cb);
	worker_wait(&b);
	assert_int_equal(cb.status, 0);
	assert_int_equal(cb.reports[0], -ENOSYS);
	mini_fini(&m2);
	worker_stop(&b);
}

static void
job_run_other(struct worker *w, void *p)
{
	struct ctx *c = p;

	/* A's vCPU on B's thread: refused */
	c->rc = uvk_vcpu_run(vcpu_a(), c->m->vms, &c->regs, &c->last);
}

/* A vCPU is its thread's: not run from another one, not made twice. */
static void
test_vcpu_is_its_threads(void **state)
{
	struct worker b;
	struct ctx ca;
	struct mini m;

	vcpu_a();
	assert_null(uvk_vcpu_create(-1));
	assert_int_equal(errno, EBUSY);
	assert_ptr_equal(uvk_vcpu_self(), vcpu_a());
	assert_null(uvk_vcpu_create(-2));
	worker_start(&b, -1);
	assert_true(uvk_vcpu_id(b.vcpu) != uvk_vcpu_id(vcpu_a()));
	probe_setup(&m, P_ARGS);
	ctx_first(&m, &ca);
	worker_give(&b, job_run_other, &ca);
	worker_wait(&b);
	assert_int_equal(ca.rc, -EINVAL);
	mini_fini(&m);
	worker_stop(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vcpu_is_its_threads),
	    cmocka_unit_test(test_two_vcpus_one_process),
	    cmocka_unit_test(test_same_page_fault_resolved_once),
	    cmocka_unit_test(test_invalidate_reaches_running_vcpu),
	    cmocka_unit_test(test_invalidate_from_vcpu_without_thread),
	    cmocka_unit_test(test_interrupt_vcpu),
	    cmocka_unit_test(test_kill_while_other_vcpu_runs),
	    cmocka_unit_test(test_free_with_other_vcpu_thread),
	};

	(void)ncpus;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
