/*
 * test_lifecycle.c - what a vmspace child is made of, and how it ends:
 * killed from outside (reported, the others carry on) or with its tracer.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common.h"

/* Only the stub area (and the fixed vsyscall page) is mapped; only fd 3 is open. */
static void
test_child_is_bare(void **state)
{
	char path[64], line[512];
	struct mini m;
	struct dirent *de;
	int maps = 0, fds = 0, nnp = 0, seccomp = 0;
	DIR *d;
	FILE *f;

	assert_int_equal(mini_init(&m, 16 << 20), 0);
	snprintf(path, sizeof(path), "/proc/%d/maps", uvk_vmspace_host_pid(m.vms));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		assert_int_equal(sscanf(line, "%lx-%lx", &lo, &hi), 2);
		if (strstr(line, "[vsyscall]"))
			continue;
		assert_true(lo >= UVK_STUB_BASE && hi <= UVK_STUB_BASE + UVK_STUB_SIZE);
		assert_non_null(strstr(line, "uvk-pmem"));
		maps++;
	}
	fclose(f);
	assert_true(maps >= 1);
	snprintf(path, sizeof(path), "/proc/%d/fd", uvk_vmspace_host_pid(m.vms));
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		assert_string_equal(de->d_name, "3");
		fds++;
	}
	closedir(d);
	assert_int_equal(fds, 1);
	snprintf(path, sizeof(path), "/proc/%d/status", uvk_vmspace_host_pid(m.vms));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		nnp |= !strcmp(line, "NoNewPrivs:\t1\n");
		seccomp |= !strcmp(line, "Seccomp:\t2\n");
	}
	fclose(f);
	assert_true(nnp);
	assert_true(seccomp);
	mini_fini(&m);
}

/* A child killed from outside is reported dead once; the tracer carries on with the others. */
static void
test_killed_from_outside(void **state)
{
	struct mini a, b;
	struct uvk_trap t;
	long rep[2];
	int n;

	probe_setup(&a, P_SPIN);
	probe_setup(&b, P_ARGS);
	assert_int_equal(kill(uvk_vmspace_host_pid(a.vms), SIGKILL), 0);
	assert_int_equal(uvk_vmspace_run(a.vms, &a.regs, &t), 0);
	assert_int_equal(t.kind, UVK_TRAP_EXIT);
	assert_int_equal(t.exit.exited, 0);
	assert_int_equal(t.exit.code, SIGKILL);
	assert_int_equal(uvk_vmspace_run(a.vms, &a.regs, &t), -ESRCH);
	assert_int_equal(uvk_vmspace_invalidate(a.vms, 0x400000, 4096), -ESRCH);
	assert_int_equal(mini_run_to_exit(&b, rep, 2, &n, NULL), 0);
	mini_fini(&a);
	mini_fini(&b);
}

static bool
gone(pid_t pid)
{
	char path[64], st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fscanf(f, "%*d %*s %c", &st) != 1)
		st = 'X';
	fclose(f);
	return st == 'Z' || st == 'X';
}

/* Killing the tracer kills every vmspace (PTRACE_O_EXITKILL). */
static void
test_tracer_death_kills_all(void **state)
{
	int p[2];
	pid_t tracer, kids[3];
	int st;

	assert_int_equal(pipe(p), 0);
	tracer = fork();
	assert_true(tracer >= 0);
	if (tracer == 0) {
		struct mini m[3];

		for (int i = 0; i < 3; i++) {
			if (mini_init(&m[i], 16 << 20))
				_exit(1);
			kids[i] = uvk_vmspace_host_pid(m[i].vms);
		}
		/*
		 * This process was forked from a tracer that already ran
		 * vmspaces: kicks must reach this thread, not the parent's.
		 */
		if (uvk_vmspace_interrupt(m[0].vms))
			_exit(1);
		if (write(p[1], kids, sizeof(kids)) != sizeof(kids))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], kids, sizeof(kids)), sizeof(kids));
	for (int i = 0; i < 3; i++)
		assert_false(gone(kids[i]));
	assert_int_equal(kill(tracer, SIGKILL), 0);
	assert_int_equal(waitpid(tracer, &st, 0), tracer);
	/* generous bound: the kill is immediate; this only guards a hang */
	for (int tries = 0; tries < 1000; tries++) {
		if (gone(kids[0]) && gone(kids[1]) && gone(kids[2]))
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	for (int i = 0; i < 3; i++)
		assert_true(gone(kids[i]));
	close(p[0]);
}

static void
test_version(void **state)
{
	assert_string_equal(uvk_version(), UVK_VERSION);
}

/* Bad arguments are errors, never crashes. */
static void
test_bad_arguments(void **state)
{
	struct mini m;

	assert_null(uvk_pmem_create(0));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(mini_init(&m, 16 << 20), 0);
	assert_int_equal(uvk_vmspace_set_root(m.vms, 123), -EINVAL);
	assert_int_equal(uvk_vmspace_set_root(m.vms, 16 << 20), -EINVAL);
	assert_int_equal(uvk_vmspace_invalidate(m.vms, 1, 4096), -EINVAL);
	assert_int_equal(uvk_vmspace_invalidate(m.vms, UVK_VA_MAX, 4096), -EINVAL);
	assert_int_equal(uvk_vmspace_run(m.vms, NULL, NULL), -EINVAL);
	assert_int_equal(uvk_pmem_discard(m.pm, 0, 123), -EINVAL);
	mini_fini(&m);
	uvk_vmspace_free(NULL);
	uvk_pmem_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_is_bare),
		cmocka_unit_test(test_killed_from_outside),
		cmocka_unit_test(test_tracer_death_kills_all),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
