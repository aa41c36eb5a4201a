/*
 * t_trace - a program whose system calls are known, for uvk's --trace,
 * --trace-filter, --trace-summary and --stats=json (run-guest.sh's case
 * "trace" compares uvk's account of them with what the program saw).
 *
 * Usage: t_trace [unassigned]
 *
 * The calls, in order, made with syscall(2) so that glibc and musl make the
 * same ones, each checked as Linux defines it:
 *   - getppid, 3 times, the same answer each time ("ppid N" is printed);
 *   - openat(AT_FDCWD, "/nonexistent/uvk-trace-probe", O_RDONLY), twice:
 *     ENOENT (openat(2) ERRORS: a directory component does not exist);
 *   - pipe2(fds, O_CLOEXEC): 0, the two lowest free descriptors, 3 and 4
 *     when only 0-2 are open ("pipe A B");
 *   - write(B, "trace-probe", 11) = 11, read(A, buf, 64) = 11, the bytes back;
 *   - prlimit64(0, RLIMIT_NOFILE, NULL, &old): 0 ("nofile CUR MAX");
 *   - connect of an AF_UNIX socket to an AF_INET address (127.0.0.1:8080):
 *     EINVAL, the family is not the socket's ("sock N");
 *   - with "unassigned": system call 335, twice: unassigned on x86-64, so
 *     ENOSYS (syscall(2)); and tuxcall (184) once, which no Linux
 *     implements: ENOSYS (unimplemented(2)). Only when asked, since a host
 *     that runs the native build in a sandbox may kill a process for them;
 *   - kill(getpid(), SIGUSR1) with a handler: it runs once, and its
 *     siginfo says SI_USER from this pid and uid ("self PID uid UID");
 *   - fork (the raw call): the child exits 3; wait4(child, &st, 0, NULL)
 *     returns the child with WIFEXITED and WEXITSTATUS 3 ("child PID").
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

static volatile sig_atomic_t got_usr1, usr1_code, usr1_pid, usr1_uid;

static void
on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_usr1 += sig == SIGUSR1;
	usr1_code = si->si_code;
	usr1_pid = si->si_pid;
	usr1_uid = (sig_atomic_t)si->si_uid;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = {0};
	uint64_t lim[2];
	char buf[64];
	long r, ppid = -2;
	int fds[2] = {-1, -1}, i, st = 0, sock;
	struct sockaddr_in sin = {0};
	pid_t child, self;

	guest_begin("t_trace", "system calls --trace and --stats account for");
	for (i = 0; i < 3; i++) {
		r = syscall(SYS_getppid);
		if (i == 0)
			ppid = r;
		check(r == ppid && r >= 0, "getppid is stable", "got %ld, want %ld", r, ppid);
	}
	say("ppid %ld\n", ppid);
	for (i = 0; i < 2; i++) {
		errno = 0;
		r = syscall(SYS_openat, AT_FDCWD, "/nonexistent/uvk-trace-probe", O_RDONLY);
		check(r == -1 && errno == ENOENT, "openat of a missing directory: ENOENT",
		      "got %ld %s", r, errname(errno));
	}
	r = syscall(SYS_pipe2, fds, O_CLOEXEC);
	check(r == 0 && fds[0] == 3 && fds[1] == 4, "pipe2 takes the lowest descriptors, 3 and 4",
	      "got %ld [%d, %d]", r, fds[0], fds[1]);
	say("pipe %d %d\n", fds[0], fds[1]);
	r = syscall(SYS_write, fds[1], "trace-probe", 11);
	check(r == 11, "write to the pipe", "got %ld", r);
	r = syscall(SYS_read, fds[0], buf, sizeof(buf));
	check(r == 11 && memcmp(buf, "trace-probe", 11) == 0, "read the bytes back", "got %ld", r);
	syscall(SYS_close, fds[0]);
	syscall(SYS_close, fds[1]);
	r = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, lim);
	check(r == 0, "prlimit64 reads RLIMIT_NOFILE", "got %ld %s", r, errname(errno));
	say("nofile %llu %llu\n", (unsigned long long)lim[0], (unsigned long long)lim[1]);
	sock = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	check(sock >= 0, "socket(AF_UNIX, SOCK_STREAM)", "got %d %s", sock, errname(errno));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	errno = 0;
	r = syscall(SYS_connect, sock, &sin, sizeof(sin));
	check(r == -1 && errno == EINVAL, "connect of AF_UNIX to an AF_INET address: EINVAL",
	      "got %ld %s", r, errname(errno));
	syscall(SYS_close, sock);
	say("sock %d\n", sock);
	for (i = 0; argc > 1 && strcmp(argv[1], "unassigned") == 0 && i < 2; i++) {
		errno = 0;
		r = syscall(335);
		check(r == -1 && errno == ENOSYS, "call 335 (unassigned) is ENOSYS", "got %ld %s", r,
		      errname(errno));
	}
	if (argc > 1 && strcmp(argv[1], "unassigned") == 0) {
		errno = 0;
		r = syscall(184);
		check(r == -1 && errno == ENOSYS, "tuxcall (184, unimplemented) is ENOSYS",
		      "got %ld %s", r, errname(errno));
	}
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	self = (pid_t)syscall(SYS_getpid);
	syscall(SYS_kill, self, SIGUSR1);
	check(got_usr1 == 1 && usr1_code == SI_USER && usr1_pid == self &&
		  usr1_uid == (sig_atomic_t)getuid(),
	      "SIGUSR1 from kill: SI_USER, our pid and uid", "got %d code %d pid %d uid %d",
	      (int)got_usr1, (int)usr1_code, (int)usr1_pid, (int)usr1_uid);
	say("self %d uid %d\n", (int)self, (int)getuid());
	child = (pid_t)syscall(SYS_fork);
	if (child == 0)
		syscall(SYS_exit_group, 3);
	check(child > 0, "fork", "got %d", (int)child);
	say("child %d\n", (int)child);
	r = syscall(SYS_wait4, child, &st, 0, NULL);
	check(r == child && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	      "wait4: the child exited with 3", "got %ld status %#x", r, st);
	return guest_end();
}
