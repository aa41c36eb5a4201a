/*
 * test_confine.c - uvk_confine(): after it, the process reads only beneath
 * its read rules, writes only beneath its write rules (Landlock), and a
 * forbidden system call kills it (seccomp); vmspaces created afterwards
 * still run. Confinement is for good, so each check runs in a forked
 * child that confines itself, tries one thing and reports by its exit
 * status (or dies of SIGSYS, which is the point of some checks).
 *
 * The files are the test's own, in a fresh directory: "shadow-copy" lies
 * outside the root the child is confined to, and is readable before. No
 * real system file is read.
 *
 * Landlock must be there (this suite's machines have it). Where it is not,
 * UVK_TEST_NO_LANDLOCK=1 says so and the file checks expect no Landlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

static char work[64], root[96], bindir[96], shadow[96], inside[128];

static void
put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
setup(void **state)
{
	strcpy(work, "/tmp/uvk-confine-XXXXXX");
	assert_non_null(mkdtemp(work));
	snprintf(root, sizeof(root), "%s/root", work);
	snprintf(bindir, sizeof(bindir), "%s/bind", work);
	snprintf(shadow, sizeof(shadow), "%s/shadow-copy", work);
	snprintf(inside, sizeof(inside), "%s/inside", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(bindir, 0755), 0);
	put(shadow, "root:$y$not-a-real-hash:19000:0:99999:7:::\n");
	put(inside, "inside the root\n");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	return system(cmd) == 0 ? 0 : -1;
}

static int
landlock_expected(void)
{
	const char *no = getenv("UVK_TEST_NO_LANDLOCK");

	return !(no && strcmp(no, "1") == 0);
}

/* Confine to read beneath root (and the guest programs), write beneath bindir. */
static int
confine_here(struct uvk_confine_status *st)
{
	const char *reads[] = {root, getenv("UVK_TEST_GUESTS") ? getenv("UVK_TEST_GUESTS")
								: GUEST_DIR, NULL};
	const char *writes[] = {bindir, NULL};
	struct uvk_confine_rules rules = {.read = reads, .write = writes};

	return uvk_confine(&rules, st);
}

/* Run fn in a child; return its wait status. */
static int
in_child(int (*fn)(void))
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* Exit codes of the children: 0 all as expected, else which step differed. */
static int
child_files(void)
{
	struct uvk_confine_status st;
	char path[160], buf[64];
	int fd;

	/* Before: the copy outside the root is readable, so only confinement can refuse it. */
	fd = open(shadow, O_RDONLY);
	if (fd < 0)
		return 10;
	close(fd);
	if (confine_here(&st) != 0)
		return 11;
	if (st.landlock_abi <= 0 || !st.seccomp)
		return 12;
	fd = open(shadow, O_RDONLY);
	if (fd >= 0 || errno != EACCES)
		return 13; /* outside the root: EACCES */
	fd = open(inside, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 14; /* beneath the root: readable */
	close(fd);
	fd = open(inside, O_WRONLY);
	if (fd >= 0 || errno != EACCES)
		return 15; /* but not writable */
	snprintf(path, sizeof(path), "%s/new", root);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0 || errno != EACCES)
		return 16; /* nor can anything be made there */
	snprintf(path, sizeof(path), "%s/new", bindir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return 17; /* beneath a bindir: writable */
	close(fd);
	if (unlink(path) != 0)
		return 18;
	if (mkdir(path, 0755) != 0 || rmdir(path) != 0)
		return 19;
	return 0;
}

static void
test_landlock_files(void **state)
{
	int st;

	if (!landlock_expected())
		fail_msg("UVK_TEST_NO_LANDLOCK=1: this kernel has no Landlock, nothing to check");
	st = in_child(child_files);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int
child_signal_scope(void)
{
	struct uvk_confine_status st;

	if (confine_here(&st) != 0)
		return 11;
	if (st.landlock_abi < 6) {
		/* No signal scoping before ABI 6, as documented: the parent is reachable. */
		return kill(getppid(), 0) == 0 ? 0 : 12;
	}
	/* The parent is outside the domain: signal scoping refuses it. */
	if (kill(getppid(), 0) == 0 || errno != EPERM)
		return 13;
	/* Itself is inside. */
	if (kill(getpid(), 0) != 0)
		return 14;
	return 0;
}

static void
test_landlock_signal_scope(void **state)
{
	int st = in_child(child_signal_scope);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int
child_execve(void)
{
	char *argv[] = {"true", NULL};

	if (confine_here(NULL) != 0)
		return 11;
	execve("/bin/true", argv, argv + 1);
	return 20; /* survived: the filter did not kill */
}

static int
child_ptrace_attach(void)
{
	if (confine_here(NULL) != 0)
		return 11;
	ptrace(PTRACE_ATTACH, getppid(), 0, 0);
	return 20;
}

static int
child_unshare(void)
{
	if (confine_here(NULL) != 0)
		return 11;
	unshare(CLONE_NEWUSER);
	return 20;
}

static int
child_traceme(void)
{
	if (confine_here(NULL) != 0)
		return 11;
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	return 20;
}

/* Each of these dies of SIGSYS: SECCOMP_RET_KILL_PROCESS. */
static void
test_seccomp_kills(void **state)
{
	int (*fns[])(void) = {child_execve, child_ptrace_attach, child_unshare, child_traceme};
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		int st = in_child(fns[i]);

		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("forbidden call %zu: wait status %#x, want death by SIGSYS", i, st);
	}
}

static int
child_socket(void)
{
	if (confine_here(NULL) != 0)
		return 11;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		return 12;
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		return 13;
	return 0;
}

/* Sockets: EPERM, not a kill, since C libraries probe them. */
static void
test_seccomp_socket_eperm(void **state)
{
	int st = in_child(child_socket);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int
child_vmspace(void)
{
	struct mini m;
	long rep[4];
	int n = 0;

	if (confine_here(NULL) != 0)
		return 11;
	/* A vmspace made now inherits both; its start-up and stub calls must pass. */
	if (mini_init(&m, 64ULL << 20) != 0)
		return 12;
	if (mini_load(&m, mini_guest("g_probe")) != 0)
		return 13;
	m.arg[0] = P_ARGS;
	if (mini_run_to_exit(&m, rep, 4, &n, NULL) != 0 || n != 1)
		return 14;
	mini_fini(&m);
	return 0;
}

static void
test_vmspace_after_confine(void **state)
{
	int st = in_child(child_vmspace);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void *
idle_thread(void *arg)
{
	pause();
	return arg;
}

static int
child_threads(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, idle_thread, NULL) != 0)
		return 10;
	return confine_here(NULL) == -EBUSY ? 0 : 12;
}

/* Landlock binds one thread: a second one is refused rather than left free. */
static void
test_refuses_threads(void **state)
{
	int st = in_child(child_threads);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_landlock_files),
	    cmocka_unit_test(test_landlock_signal_scope),
	    cmocka_unit_test(test_seccomp_kills),
	    cmocka_unit_test(test_seccomp_socket_eperm),
	    cmocka_unit_test(test_vmspace_after_confine),
	    cmocka_unit_test(test_refuses_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
