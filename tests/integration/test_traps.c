/*
 * test_traps.c - synchronous faults come back as traps; host signals reach
 * neither the child's handlers nor the tracer; ticks and kicks interrupt.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t tracer_got_signal;

static void
count_signal(int sig)
{
	tracer_got_signal++;
}

static int
setup_handlers(void **state)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGUSR1, SIGTERM };

	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], count_signal);
	return 0;
}

static int
check_handlers(void **state)
{
	/* no fault of a guest ever raised a signal in the tracer */
	return tracer_got_signal == 0 ? 0 : -1;
}

static void
expect_fault(enum probe p, int signo, int code)
{
	struct mini m;
	struct uvk_trap t;

	probe_setup(&m, p);
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_FAULT);
	assert_int_equal(t.fault.signo, signo);
	assert_int_equal(t.fault.code, code);
	/* the child survives its fault: the guest kernel decides what happens */
	assert_int_equal(kill(uvk_vmspace_host_pid(m.vms), 0), 0);
	mini_fini(&m);
}

static void
test_sigill(void **state)
{
	expect_fault(P_UD2, SIGILL, ILL_ILLOPN);
}

static void
test_sigfpe(void **state)
{
	expect_fault(P_DIV0, SIGFPE, FPE_INTDIV);
}

static void
test_sigtrap(void **state)
{
	expect_fault(P_INT3, SIGTRAP, SI_KERNEL);
}

static void
test_unmapped_page(void **state)
{
	struct mini m;
	struct uvk_trap t;

	probe_setup(&m, P_READ_AT);
	m.arg[1] = 0x666660008;
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_PAGE_FAULT);
	assert_int_equal(t.page_fault.gva, 0x666660008);
	assert_int_equal(t.page_fault.access, UVK_ACCESS_READ);
	assert_int_equal(t.page_fault.error, -ENOENT);
	mini_fini(&m);
}

/* The stub is readable guest memory but never writable, whatever the table says. */
static void
test_stub_write_faults(void **state)
{
	struct mini m;
	struct uvk_trap t;

	probe_setup(&m, P_STUB_WRITE);
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_PAGE_FAULT);
	assert_int_equal(t.page_fault.gva, UVK_STUB_BASE);
	assert_int_equal(t.page_fault.access, UVK_ACCESS_WRITE);
	assert_int_equal(uvk_vmspace_invalidate(m.vms, UVK_STUB_BASE, UVK_PAGE_SIZE), -EINVAL);
	mini_fini(&m);
}

/* Signals sent to the child from outside are dropped; a tick ends the spin. */
static void
test_host_signals_dropped(void **state)
{
	struct mini m;
	struct uvk_trap t;
	pid_t pid;

	probe_setup(&m, P_SPIN);
	pid = uvk_vmspace_host_pid(m.vms);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(kill(pid, SIGSEGV), 0);
	assert_int_equal(kill(pid, SIGUSR1), 0);
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(uvk_tick_start(10 * 1000 * 1000), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(uvk_vmspace_run(m.vms, &m.regs, &t), 0);
		assert_int_equal(t.kind, UVK_TRAP_INTERRUPT);
		assert_int_equal(t.interrupt.reason, UVK_INTR_TICK);
	}
	assert_int_equal(uvk_tick_start(0), 0);
	assert_int_equal(kill(pid, 0), 0);
	mini_fini(&m);
}

struct kicker {
	struct uvk_vmspace *vms;
	int stop; /* atomic: the kicker reads it while the test sets it */
};

static void *
kicker_main(void *p)
{
	struct kicker *k = p;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		uvk_vmspace_interrupt(k->vms);
		usleep(5000);
	}
	return NULL;
}

/* uvk_vmspace_interrupt from another thread stops a spinning guest. */
static void
test_kick_from_thread(void **state)
{
	struct kicker k;
	struct mini m;
	struct uvk_trap t;
	pthread_t th;

	probe_setup(&m, P_SPIN);
	k.vms = m.vms;
	k.stop = 0;
	assert_int_equal(pthread_create(&th, NULL, kicker_main, &k), 0);
	assert_int_equal(uvk_vmspace_run(m.vms, &m.regs, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_INTERRUPT);
	assert_int_equal(t.interrupt.reason, UVK_INTR_KICK);
	/* the spin goes on where it was interrupted */
	assert_true(m.regs.rip > 0x400000 && m.regs.rip < 0x500000);
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	mini_fini(&m);
}

/* FPU state: read what the guest loaded, load what the guest then stores. */
static void
test_fpstate(void **state)
{
	static struct uvk_fpstate fp;
	struct mini m;
	struct uvk_trap t;
	uint8_t a[16], b[16];

	for (int i = 0; i < 16; i++) {
		a[i] = 0xa0 + i;
		b[i] = 0x30 + i;
	}
	probe_setup(&m, P_XMM);
	memcpy((char *)m.arg + 64, a, 16);
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(uvk_vmspace_get_fpstate(m.vms, &fp), 0);
	assert_true(fp.len >= 512);
	/* FXSAVE layout: xmm0 at byte 160, xmm1 at 176 */
	assert_memory_equal(fp.data + 160, a, 16);
	memcpy(fp.data + 176, b, 16);
	assert_int_equal(uvk_vmspace_set_fpstate(m.vms, &fp), 0);
	m.regs.rax = 0;
	assert_int_equal(mini_run_to_exit(&m, NULL, 0, NULL, NULL), 0);
	assert_memory_equal((char *)m.arg + 128, b, 16);
	mini_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigill),
		cmocka_unit_test(test_sigfpe),
		cmocka_unit_test(test_sigtrap),
		cmocka_unit_test(test_unmapped_page),
		cmocka_unit_test(test_stub_write_faults),
		cmocka_unit_test(test_host_signals_dropped),
		cmocka_unit_test(test_kick_from_thread),
		cmocka_unit_test(test_fpstate),
	};

	return cmocka_run_group_tests(tests, setup_handlers, check_handlers);
}
