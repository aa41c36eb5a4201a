/*
 * t_prctl - prctl(2) process attributes, ptrace(2) refused, and the
 * RLIMIT_FSIZE, RLIMIT_AS and RLIMIT_DATA limits, as the man pages give
 * them (prctl(2), getrlimit(2), PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG).
 *
 * Usage: t_prctl DIR        (DIR: a writable directory)
 *        t_prctl --exec-probe  (internal: reports prctl state after execve)
 *
 * Checks:
 *   - PR_SET/GET_PDEATHSIG: the value reads back; a bad signal is EINVAL; a
 *     fork child starts with 0; a grandchild that asked for SIGUSR1 gets it
 *     when its parent exits;
 *   - PR_SET/GET_CHILD_SUBREAPER: reads back; an orphaned grandchild is
 *     reparented to us (getppid) and we reap it with waitpid;
 *   - PR_SET/GET_DUMPABLE: 1 at start, 0 after setting it, 2 is EINVAL,
 *     back to 1 after execve;
 *   - PR_SET/GET_NO_NEW_PRIVS: arguments other than 1, 0, 0, 0 are EINVAL;
 *     set for good, kept by fork and execve;
 *   - PR_SET/GET_KEEPCAPS: reads back, 2 is EINVAL, cleared by execve;
 *   - PR_CAPBSET_READ: 0 or 1 for CAP_CHOWN, EINVAL for capability 1000;
 *   - an unknown option is EINVAL;
 *   - ptrace(PTRACE_ATTACH) of our own process is EPERM;
 *   - RLIMIT_FSIZE: a write crossing the limit is cut short at it; one at
 *     the limit is EFBIG and raises SIGXFSZ;
 *   - RLIMIT_AS: an mmap past it is ENOMEM; RLIMIT_DATA: a private
 *     writable mmap past it is ENOMEM while a read-only one is not, and
 *     brk cannot grow past it.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static volatile sig_atomic_t got_xfsz;

static void
on_xfsz(int sig)
{
	(void)sig;
	got_xfsz++;
}

static void
on_usr1(int sig)
{
	(void)sig;
}

static int
get_int(int option)
{
	int v = -1;

	if (prctl(option, &v, 0, 0, 0) < 0)
		return -2;
	return v;
}

static void
pdeathsig(void)
{
	int st, pipefd[2];
	pid_t mid;
	char c = 0;

	CHECK_OK("PR_SET_PDEATHSIG SIGTERM", prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0));
	CHECK_EQ("PR_GET_PDEATHSIG reads it back", get_int(PR_GET_PDEATHSIG), SIGTERM);
	CHECK_ERR("PR_SET_PDEATHSIG 1000", prctl(PR_SET_PDEATHSIG, 1000, 0, 0, 0), EINVAL);
	if (fork() == 0)
		_exit(get_int(PR_GET_PDEATHSIG) == 0 ? 0 : 1);
	wait(&st);
	CHECK_TRUE("a fork child's death signal is 0", WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "got status %#x", st);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

	/* mid forks a grandchild that wants SIGUSR1 at mid's death, then exits. */
	if (pipe(pipefd) < 0)
		return;
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); /* so that we can wait for the grandchild */
	mid = fork();
	if (mid == 0) {
		pid_t g = fork();

		if (g == 0) {
			sigset_t set;
			int sig = 0;

			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
			close(pipefd[0]);
			write(pipefd[1], "r", 1); /* armed */
			close(pipefd[1]);
			sigwait(&set, &sig);
			_exit(sig == SIGUSR1 ? 42 : 1);
		}
		close(pipefd[1]);
		read(pipefd[0], &c, 1); /* wait until it is armed */
		_exit(0);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	waitpid(mid, &st, 0);
	/* The grandchild is ours now (subreaper); it exits 42 once SIGUSR1 came. */
	{
		pid_t got = wait(&st);

		CHECK_TRUE("the grandchild got its death signal and was reaped by us",
			   got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42,
			   "got pid %d status %#x", (int)got, st);
	}
}

static void
subreaper(void)
{
	int st, pipefd[2];
	pid_t mid, me = getpid();

	CHECK_OK("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	CHECK_EQ("PR_GET_CHILD_SUBREAPER reads it back", get_int(PR_GET_CHILD_SUBREAPER), 1);
	if (pipe(pipefd) < 0)
		return;
	mid = fork();
	if (mid == 0) {
		if (fork() == 0) {
			char c;

			close(pipefd[1]);
			read(pipefd[0], &c, 1); /* until the test says its parent is gone */
			_exit(getppid() == me ? 7 : 8);
		}
		_exit(0);
	}
	waitpid(mid, &st, 0);
	close(pipefd[0]);
	write(pipefd[1], "g", 1);
	close(pipefd[1]);
	{
		pid_t got = wait(&st);

		CHECK_TRUE("an orphan goes to the subreaper (getppid, waitpid)",
			   got > 0 && got != mid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
			   "got pid %d status %#x (7: ppid was us, 8: not)", (int)got, st);
	}
	CHECK_ERR("no more children", wait(&st), ECHILD);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	CHECK_EQ("PR_SET_CHILD_SUBREAPER 0 reads back", get_int(PR_GET_CHILD_SUBREAPER), 0);
}

static void
flags(const char *self)
{
	char *argv[] = {(char *)self, "--exec-probe", NULL};
	int st;
	pid_t c;

	CHECK_EQ("PR_GET_DUMPABLE at start", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	CHECK_OK("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	CHECK_EQ("PR_GET_DUMPABLE after it", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	CHECK_ERR("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);

	CHECK_ERR("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	CHECK_ERR("PR_SET_NO_NEW_PRIVS with arg3", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
	CHECK_EQ("PR_GET_NO_NEW_PRIVS at start", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK_OK("PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	CHECK_EQ("PR_GET_NO_NEW_PRIVS after it", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	CHECK_ERR("PR_GET_NO_NEW_PRIVS with arg2", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);

	CHECK_EQ("PR_GET_KEEPCAPS at start", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	CHECK_OK("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_EQ("PR_GET_KEEPCAPS after it", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	CHECK_ERR("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);

	/* The child execs the probe, which exits with NNP*100 + DUMPABLE*10 + KEEPCAPS. */
	c = fork();
	if (c == 0) {
		execv(self, argv);
		_exit(99);
	}
	waitpid(c, &st, 0);
	CHECK_TRUE("after fork+execve: no_new_privs kept, dumpable 1, keepcaps cleared",
		   WIFEXITED(st) && WEXITSTATUS(st) == 110, "got status %#x (want exit 110)", st);
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

	{
		long r = prctl(PR_CAPBSET_READ, 0 /* CAP_CHOWN */, 0, 0, 0);

		CHECK_TRUE("PR_CAPBSET_READ CAP_CHOWN is 0 or 1", r == 0 || r == 1, "got %ld", r);
	}
	CHECK_ERR("PR_CAPBSET_READ 1000", prctl(PR_CAPBSET_READ, 1000, 0, 0, 0), EINVAL);
	CHECK_ERR("an unknown option", prctl(0x7ffffff0, 0, 0, 0, 0), EINVAL);
	CHECK_ERR("ptrace(PTRACE_ATTACH) of our own process", ptrace(PTRACE_ATTACH, getpid(), 0, 0),
		  EPERM);
}

static void
fsize(const char *dir)
{
	struct rlimit old, r = {100, RLIM_INFINITY};
	char path[512], buf[300] = {0};
	long w1, w2, w3;
	int fd, set, x1, x2, e2, e3;

	getrlimit(RLIMIT_FSIZE, &old);
	r.rlim_max = old.rlim_max;
	snprintf(path, sizeof(path), "%s/t_prctl.fsize", dir);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (!CHECK_OK("open a file for RLIMIT_FSIZE", fd))
		return;
	signal(SIGXFSZ, on_xfsz);
	/* Nothing is printed under the limit: stdout may be a file too. */
	set = setrlimit(RLIMIT_FSIZE, &r);
	w1 = write(fd, buf, 300);
	x1 = got_xfsz;
	w2 = write(fd, buf, 10);
	e2 = errno;
	x2 = got_xfsz;
	w3 = pwrite(fd, buf, 10, 500);
	e3 = errno;
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_EQ("setrlimit(RLIMIT_FSIZE, 100)", set, 0);
	CHECK_EQ("a write crossing RLIMIT_FSIZE is cut at it", w1, 100);
	CHECK_EQ("no SIGXFSZ for it", x1, 0);
	errno = e2;
	CHECK_ERR("a write at RLIMIT_FSIZE", w2, EFBIG);
	CHECK_EQ("SIGXFSZ for it", x2, 1);
	errno = e3;
	CHECK_ERR("pwrite past RLIMIT_FSIZE", w3, EFBIG);
	CHECK_EQ("without the limit the write goes on", write(fd, buf, 10), 10);
	close(fd);
	unlink(path);
	signal(SIGXFSZ, SIG_DFL);
}

static void
as_data(void)
{
	struct rlimit old_as, old_data, r;
	void *m, *cur;
	pid_t c;
	int st;

	/* In a child: the limits are for good there, and brk's state stays its own. */
	c = fork();
	if (c != 0) {
		waitpid(c, &st, 0);
		CHECK_TRUE("the RLIMIT_AS/DATA child ran", WIFEXITED(st) && WEXITSTATUS(st) < 100,
			   "got status %#x", st);
		if (WIFEXITED(st))
			guest_failures += WEXITSTATUS(st) < 100 ? WEXITSTATUS(st) : 0;
		return;
	}
	getrlimit(RLIMIT_AS, &old_as);
	getrlimit(RLIMIT_DATA, &old_data);
	r.rlim_cur = 512ULL << 20;
	r.rlim_max = old_as.rlim_max;
	CHECK_OK("setrlimit(RLIMIT_AS, 512 MiB)", setrlimit(RLIMIT_AS, &r));
	m = mmap(NULL, 1ULL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_TRUE("a 1 GiB mmap past RLIMIT_AS is ENOMEM", m == MAP_FAILED && errno == ENOMEM,
		   "got %p errno %s", m, errname(errno));
	m = mmap(NULL, 64 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_TRUE("a 64 MiB one within it is not", m != MAP_FAILED, "got errno %s", errname(errno));
	if (m != MAP_FAILED)
		munmap(m, 64 << 20);
	setrlimit(RLIMIT_AS, &old_as);

	r.rlim_cur = 32ULL << 20;
	r.rlim_max = old_data.rlim_max;
	CHECK_OK("setrlimit(RLIMIT_DATA, 32 MiB)", setrlimit(RLIMIT_DATA, &r));
	m = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_TRUE("a 64 MiB private writable mmap past RLIMIT_DATA is ENOMEM",
		   m == MAP_FAILED && errno == ENOMEM, "got %p errno %s", m, errname(errno));
	m = mmap(NULL, 64 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_TRUE("a read-only one is not data", m != MAP_FAILED, "got errno %s", errname(errno));
	cur = sbrk(0);
	CHECK_TRUE("brk cannot grow 64 MiB past RLIMIT_DATA", sbrk(64 << 20) == (void *)-1,
		   "sbrk succeeded (brk was %p)", cur);
	_exit(guest_failures);
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--exec-probe") == 0)
		return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) * 100 +
		       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) * 10 + prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0);
	guest_begin("t_prctl", "prctl attributes, ptrace EPERM, RLIMIT_FSIZE/AS/DATA");
	if (argc < 2) {
		say("usage: t_prctl DIR\n");
		return 2;
	}
	signal(SIGUSR1, on_usr1);
	pdeathsig();
	subreaper();
	fsize(argv[1]);
	as_data();
	flags(argv[0]);
	return guest_end();
}
