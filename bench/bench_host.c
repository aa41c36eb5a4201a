/*
 * bench_host.c - host-layer benchmark: ns/op of each uvk mechanism, next to
 * the bare ptrace mechanism measured in the same run, and their ratio.
 *
 * The process pins itself to one CPU first, as uvk does by default, so the
 * uvk rows and the bare rows pay the same (same-CPU) stop cost.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../tests/integration/mini.h"
#include "bench.h"

#define DATA_GVA 0x20000000ULL

static long scale = 1;

static void
row(const char *name, double uvk, double bare, const char *vs)
{
	printf("%-28s %10.0f ns/op   %-22s %10.0f ns/op   ratio %5.2fx\n", name, uvk, vs, bare,
	       uvk / bare);
	fflush(stdout);
}

static void
setup(struct mini *m, long mode, long n)
{
	if (mini_init(m, 256ULL << 20) || mini_load(m, mini_guest("g_bench"))) {
		fprintf(stderr, "bench: cannot set up a vmspace\n");
		exit(1);
	}
	m->arg[0] = mode;
	m->arg[1] = n;
	m->arg[2] = DATA_GVA;
}

/* Run to exit; serve syscalls with 1 and page faults by filling pages. Returns seconds. */
static double
drive(struct mini *m, int invalidate_on_syscall)
{
	struct uvk_trap t;
	double t0 = now_s();

	for (;;) {
		if (mini_run(m, &t)) {
			fprintf(stderr, "bench: run failed\n");
			exit(1);
		}
		if (t.kind == UVK_TRAP_SYSCALL && t.syscall.nr == 60)
			break;
		if (t.kind == UVK_TRAP_SYSCALL) {
			if (invalidate_on_syscall)
				uvk_vmspace_invalidate(m->vms, DATA_GVA, UVK_PAGE_SIZE);
			m->regs.rax = 1;
		} else if (t.kind == UVK_TRAP_PAGE_FAULT) {
			mini_enter(m, t.page_fault.gva & UVK_PAGE_MASK, mini_page(m),
				   UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX);
		} else {
			fprintf(stderr, "bench: unexpected trap %d\n", t.kind);
			exit(1);
		}
	}
	return now_s() - t0;
}

static double
uvk_syscall(long n)
{
	struct mini m;

	setup(&m, 0, n);
	double s = drive(&m, 0);
	mini_fini(&m);
	return s * 1e9 / n;
}

/* n pages pre-entered; scattered frames defeat fault-around when scatter is set. */
static double
uvk_faults(long n, int scatter, uint64_t extra_flags)
{
	struct mini m;

	setup(&m, 1, n);
	uint64_t first = mini_page(&m);
	for (long i = 1; i < n * (scatter ? 2 : 1); i++)
		mini_page(&m);
	for (long i = 0; i < n; i++)
		mini_enter(&m, DATA_GVA + i * UVK_PAGE_SIZE, first + i * (scatter ? 2 : 1) * 4096,
			   UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX | extra_flags);
	double s = drive(&m, 0);
	mini_fini(&m);
	return s * 1e9 / n;
}

static double
uvk_forwarded(long n)
{
	struct mini m;
	struct uvk_stats st;

	setup(&m, 1, n);
	double s = drive(&m, 0);
	uvk_vmspace_stats(m.vms, &st);
	if (getenv("BENCH_STATS"))
		fprintf(stderr, "forwarded: stops %lu runs %lu fres %lu ffwd %lu batches %lu regs %lu\n",
			st.stops, st.runs, st.faults_resolved, st.faults_forwarded, st.batches, st.regs_loaded);
	mini_fini(&m);
	return s * 1e9 / n;
}

static double
uvk_invalidate(long n)
{
	struct mini m;

	setup(&m, 2, n);
	mini_enter(&m, DATA_GVA, mini_page(&m), UVK_PTE_U | UVK_PTE_NX);
	double s = drive(&m, 1);
	mini_fini(&m);
	return s * 1e9 / n;
}

/* Two vmspaces making syscalls, the kernel switching on every one. */
static double
uvk_switch(long n)
{
	struct mini a, b, *cur;
	struct uvk_trap t;

	setup(&a, 0, n);
	setup(&b, 0, n);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		cur = i & 1 ? &b : &a;
		if (mini_run(cur, &t) || t.kind != UVK_TRAP_SYSCALL) {
			fprintf(stderr, "bench: switch run failed\n");
			exit(1);
		}
		cur->regs.rax = 1;
	}
	double s = now_s() - t0;
	mini_fini(&a);
	mini_fini(&b);
	return s * 1e9 / n;
}

/* uvk_vmspace_prefault of a 16-page run, then invalidate it: one batch each way... */
static double
uvk_map16(long n)
{
	struct mini m;

	setup(&m, 0, 0);
	m.next_gpa = (m.next_gpa + 0xffff) & ~0xffffULL;
	uint64_t first = mini_page(&m);
	for (int i = 1; i < 16; i++)
		mini_page(&m);
	for (int i = 0; i < 16; i++)
		mini_enter(&m, DATA_GVA + i * 4096, first + i * 4096,
			   UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX | UVK_PTE_M);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		uvk_vmspace_invalidate(m.vms, DATA_GVA, 16 * 4096);
		if (uvk_vmspace_prefault(m.vms, DATA_GVA, 16 * 4096) != 16) {
			fprintf(stderr, "bench: prefault failed\n");
			exit(1);
		}
	}
	double s = now_s() - t0;
	mini_fini(&m);
	return s * 1e9 / n;
}

int
main(int argc, char **argv)
{
	cpu_set_t set;
	int memfd;

	if (argc > 1)
		scale = atol(argv[1]);
	if (scale < 1)
		scale = 1;
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	memfd = memfd_create("bench", 0);
	if (memfd < 0 || ftruncate(memfd, REGION_BYTES)) {
		perror("bench: memfd");
		return 1;
	}
	long ns = 20000 * scale, nf = 8000 * scale;

	printf("uvk %s host-layer benchmark (one CPU; bare = same ptrace calls, no uvk)\n",
	       uvk_version());
	double sysemu = bare_sysemu(ns), inject = bare_inject(ns), fault = bare_fault(nf, memfd);
	row("syscall round trip", uvk_syscall(ns), sysemu, "bare SYSEMU");
	row("  (seccomp RET_TRACE floor)", bare_seccomp(ns), sysemu, "bare SYSEMU");
	row("fault, shortcut", uvk_faults(nf, 1, 0), fault, "bare fault+mmap");
	row("fault, shortcut, 16-around", uvk_faults(nf, 0, UVK_PTE_M), fault / 16,
	    "bare fault+mmap / 16");
	row("fault, forwarded+resolved", uvk_forwarded(nf), fault, "bare fault+mmap");
	row("syscall+invalidate+refault", uvk_invalidate(nf), sysemu + inject + fault,
	    "bare sys+munmap+fault");
	row("switch between 2 vmspaces", uvk_switch(ns), bare_sysemu_two(ns), "bare 2-child SYSEMU");
	row("map 16 pages (prefault)", uvk_map16(nf), native_map16(nf, memfd, 0),
	    "native mmap POPULATE");
	row("map 16 pages (first touch)", uvk_faults(16 * (nf / 16), 0, UVK_PTE_M) * 16,
	    native_map16(nf, memfd, 1), "native mmap+touch");
	return 0;
}
