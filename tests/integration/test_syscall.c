/*
 * test_syscall.c - guest syscalls reach the guest kernel with the right
 * number and arguments, the value it returns is what the guest sees, and
 * the real call never runs on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common.h"

static void
test_args_and_return(void **state)
{
	struct mini m;
	struct uvk_trap t;
	long rep[4];
	int n;

	probe_setup(&m, P_ARGS);
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(t.syscall.nr, 500);
	assert_int_equal(t.syscall.abi, UVK_ABI_X86_64);
	for (int i = 0; i < 6; i++)
		assert_int_equal(t.syscall.args[i], i + 1);
	m.regs.rax = 0x1234abcd;
	assert_int_equal(mini_run_to_exit(&m, rep, 4, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rep[0], 0x1234abcd);
	mini_fini(&m);
}

static void
test_host_untouched(void **state)
{
	char dir[] = "/tmp/uvk-it-XXXXXX", mk[64], victim[64], created[64];
	struct mini m;
	struct uvk_trap t;
	long seen[3];
	int n = 0, fd;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(mk, sizeof(mk), "%s/made", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(created, sizeof(created), "%s/created", dir);
	fd = open(victim, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);

	probe_setup(&m, P_HOSTCALLS);
	strcpy((char *)m.arg + 256, mk);
	strcpy((char *)m.arg + 512, victim);
	strcpy((char *)m.arg + 768, created);
	for (;;) {
		assert_int_equal(mini_run(&m, &t), 0);
		assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
		if (t.syscall.nr == 60)
			break;
		assert_true(n < 3);
		seen[n++] = (long)t.syscall.nr;
		m.regs.rax = 0; /* the guest kernel "succeeds": the host must not know */
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 83);
	assert_int_equal(seen[1], 87);
	assert_int_equal(seen[2], 2);
	assert_int_equal(stat(mk, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(stat(created, &st), -1);
	mini_fini(&m);
	unlink(victim);
	rmdir(dir);
}

/* A syscall instruction inside the stub, reached by guest code, is only a syscall trap. */
static void
test_stub_jump_runs_nothing(void **state)
{
	char path[64], line[256];
	struct mini m;
	struct uvk_trap t;
	FILE *f;

	probe_setup(&m, P_STUB_JUMP);
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_SYSCALL);
	assert_int_equal(t.syscall.nr, 9);
	assert_int_equal(t.syscall.args[0], 0x500000);
	assert_int_equal(t.syscall.args[4], 3);
	snprintf(path, sizeof(path), "/proc/%d/maps", uvk_vmspace_host_pid(m.vms));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		assert_null(strstr(line, "00500000-"));
	fclose(f);
	m.regs.rax = (uint64_t)-ENOSYS;
	/* The stub's code goes on to its failure exit: a SIGILL for the guest, nothing more. */
	assert_int_equal(mini_run(&m, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_FAULT);
	assert_int_equal(t.fault.signo, SIGILL);
	mini_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_and_return),
		cmocka_unit_test(test_host_untouched),
		cmocka_unit_test(test_stub_jump_runs_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
