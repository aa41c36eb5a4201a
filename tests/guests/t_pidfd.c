/*
 * t_pidfd - process descriptors: CLONE_PIDFD (clone3's pidfd field, legacy
 * clone's parent_tid), pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2), poll and epoll
 * on a pidfd, waitid(P_PIDFD); the errors their man pages' ERRORS
 * sections name.
 *
 * Usage: t_pidfd
 *
 * A child that must not exit yet blocks reading a pipe; the parent lets it
 * go by closing the pipe's write end (the child then exits with what it
 * read, 0 bytes: status 0) or kills it through the pidfd. Nothing waits on
 * time: a poll that must not be ready uses timeout 0, one that must become
 * ready follows the event that makes it so.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone3.h"
#include "guest.h"

/* A child blocked on a pipe: *ret_go is the write end that releases it. */
struct held {
	long pid;
	int pidfd, go;
	int rfd; /* the child's descriptor of the pipe's read end (closed in the parent) */
};

/*
 * Start a held child with clone3 CLONE_PIDFD (legacy: clone with the
 * pidfd at parent_tid). Returns 0 or -1.
 */
static int
start_held(struct held *h, int legacy)
{
	struct k_clone_args ca;
	int fds[2], pfd = -1;
	char c;

	if (pipe(fds) != 0)
		return -1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = K_CLONE_PIDFD;
	ca.pidfd = (uintptr_t)&pfd;
	ca.exit_signal = SIGCHLD;
	if (legacy)
		h->pid = syscall(SYS_clone, (unsigned long)(K_CLONE_PIDFD | SIGCHLD), 0UL, &pfd,
				 0UL, 0UL);
	else
		h->pid = sys_clone3(&ca, sizeof(ca));
	if (h->pid == 0) {
		close(fds[1]);
		_exit((int)read(fds[0], &c, 1));
	}
	close(fds[0]);
	h->rfd = fds[0];
	h->pidfd = pfd;
	h->go = fds[1];
	return h->pid > 0 ? 0 : -1;
}

static short
poll_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static short
poll_events(int fd, short events)
{
	struct pollfd p = {fd, events, 0};

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static short
poll_wait(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, -1) == 1 ? p.revents : 0;
}

static void
check_clone_pidfd(int legacy)
{
	const char *how = legacy ? "clone" : "clone3";
	struct held h;
	siginfo_t si;
	char msg[128];
	int r;

	snprintf(msg, sizeof(msg), "%s CLONE_PIDFD makes a child and a pidfd", how);
	memset(&h, 0, sizeof(h));
	r = start_held(&h, legacy);
	if (!check(r == 0 && h.pidfd >= 0, msg, "pid %ld pidfd %d errno %s", h.pid, h.pidfd,
		   errname(errno)))
		return;
	snprintf(msg, sizeof(msg), "%s: the pidfd is close-on-exec", how);
	CHECK_EQ(msg, fcntl(h.pidfd, F_GETFD), FD_CLOEXEC);
	snprintf(msg, sizeof(msg), "%s: the pidfd is open O_RDWR", how);
	CHECK_EQ(msg, fcntl(h.pidfd, F_GETFL) & O_ACCMODE, O_RDWR);
	snprintf(msg, sizeof(msg), "%s: a running child's pidfd does not poll readable", how);
	CHECK_EQX(msg, poll_now(h.pidfd), 0);
	close(h.go);
	snprintf(msg, sizeof(msg), "%s: the pidfd polls POLLIN once the child exits", how);
	CHECK_EQX(msg, poll_wait(h.pidfd) & (POLLIN | POLLHUP), POLLIN);
	snprintf(msg, sizeof(msg), "%s: an exited child's pidfd polled for POLLOUT only says 0",
		 how);
	CHECK_EQX(msg, poll_events(h.pidfd, POLLOUT), 0);
	memset(&si, 0, sizeof(si));
	r = waitid(K_P_PIDFD, h.pidfd, &si, WEXITED);
	snprintf(msg, sizeof(msg), "%s: waitid(P_PIDFD) reaps the child", how);
	CHECK_EQ(msg, r, 0);
	snprintf(msg, sizeof(msg), "%s: waitid(P_PIDFD) reports its pid, CLD_EXITED, status 0",
		 how);
	check(si.si_pid == h.pid && si.si_code == CLD_EXITED && si.si_status == 0 &&
		  si.si_signo == SIGCHLD,
	      msg, "pid %d code %d status %d signo %d", si.si_pid, si.si_code, si.si_status,
	      si.si_signo);
	snprintf(msg, sizeof(msg), "%s: a reaped child's pidfd polls POLLIN|POLLHUP", how);
	CHECK_EQX(msg, poll_now(h.pidfd) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
	snprintf(msg, sizeof(msg), "%s: waitid(P_PIDFD) on a reaped child is ECHILD", how);
	errno = 0;
	CHECK_ERR(msg, waitid(K_P_PIDFD, h.pidfd, &si, WEXITED), ECHILD);
	snprintf(msg, sizeof(msg), "%s: pidfd_send_signal to a reaped child is ESRCH", how);
	errno = 0;
	CHECK_ERR(msg, pidfd_send_signal_(h.pidfd, SIGTERM, NULL, 0), ESRCH);
	close(h.pidfd);
}

static void
check_clone3_pidfd_fault(void)
{
	struct k_clone_args ca;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = K_CLONE_PIDFD;
	ca.pidfd = 8;
	ca.exit_signal = SIGCHLD;
	errno = 0;
	pid = sys_clone3(&ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	check(pid == -1 && errno == EFAULT, "clone3 CLONE_PIDFD at an unmapped address is EFAULT",
	      "got %ld errno %s", pid, errname(errno));
	errno = 0;
	CHECK_ERR("... and makes no child", waitpid(-1, NULL, WNOHANG), ECHILD);
	ca.pidfd = (uintptr_t)&pid;
	ca.parent_tid = (uintptr_t)&pid;
	ca.flags = K_CLONE_PIDFD | CLONE_PARENT_SETTID;
	errno = 0;
	pid = sys_clone3(&ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	check(pid == -1 && errno == EINVAL,
	      "clone3 CLONE_PIDFD|CLONE_PARENT_SETTID at one address is EINVAL", "got %ld errno %s",
	      pid, errname(errno));
}

/* A pid no process has: a child's, reaped (pids are not reused until they wrap). */
static int
free_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void
check_open(void)
{
	struct held h;
	siginfo_t si;
	int fd, nb;
	char b[8];

	fd = pidfd_open_(getpid(), 0);
	if (CHECK_OK("pidfd_open(getpid(), 0)", fd)) {
		CHECK_EQ("pidfd_open's descriptor is close-on-exec", fcntl(fd, F_GETFD),
			 FD_CLOEXEC);
		errno = 0;
		CHECK_ERR("read from a pidfd is EINVAL", read(fd, b, sizeof(b)), EINVAL);
		CHECK_EQX("a live process's pidfd does not poll readable", poll_now(fd), 0);
		errno = 0;
		CHECK_ERR("waitid(P_PIDFD) of the caller itself (no child) is ECHILD",
			  waitid(K_P_PIDFD, fd, &si, WEXITED | WNOHANG), ECHILD);
		close(fd);
	}
	errno = 0;
	CHECK_ERR("pidfd_open pid 0 is EINVAL", pidfd_open_(0, 0), EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_open pid -1 is EINVAL", pidfd_open_(-1, 0), EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_open flags 1 is EINVAL", pidfd_open_(getpid(), 1), EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_open of a free pid is ESRCH", pidfd_open_(free_pid(), 0), ESRCH);
	errno = 0;
	CHECK_ERR("waitid(P_PIDFD) of a descriptor that is no pidfd is EBADF",
		  waitid(K_P_PIDFD, 0, &si, WEXITED), EBADF);
	errno = 0;
	CHECK_ERR("waitid(P_PIDFD) of a closed descriptor is EBADF",
		  waitid(K_P_PIDFD, 999, &si, WEXITED), EBADF);

	if (!CHECK_OK("a held child (fork)", start_held(&h, 0)))
		return;
	nb = pidfd_open_((int)h.pid, K_PIDFD_NONBLOCK);
	if (CHECK_OK("pidfd_open(child, PIDFD_NONBLOCK)", nb)) {
		CHECK_EQ("PIDFD_NONBLOCK: the pidfd is O_NONBLOCK", fcntl(nb, F_GETFL) & O_NONBLOCK,
			 O_NONBLOCK);
		errno = 0;
		CHECK_ERR("waitid(P_PIDFD) on a non-blocking pidfd of a running child is EAGAIN",
			  waitid(K_P_PIDFD, nb, &si, WEXITED), EAGAIN);
		memset(&si, 0, sizeof(si));
		CHECK_EQ("... and with WNOHANG is 0", waitid(K_P_PIDFD, nb, &si, WEXITED | WNOHANG),
			 0);
		CHECK_EQ("... with si_pid 0", si.si_pid, 0);
	}
	close(h.go);
	CHECK_EQX("the pidfd_open pidfd polls POLLIN once the child exits",
		  poll_wait(nb) & (POLLIN | POLLHUP), POLLIN);
	fd = pidfd_open_((int)h.pid, 0);
	if (CHECK_OK("pidfd_open of a zombie (exited, not reaped)", fd)) {
		CHECK_EQX("... polls POLLIN at once", poll_now(fd) & (POLLIN | POLLHUP), POLLIN);
		close(fd);
	}
	memset(&si, 0, sizeof(si));
	CHECK_EQ("waitid(P_PIDFD, WNOWAIT) on the non-blocking pidfd of a zombie",
		 waitid(K_P_PIDFD, nb, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ("... reports the child", si.si_pid, h.pid);
	CHECK_EQ("waitpid reaps it after", waitpid((pid_t)h.pid, NULL, 0), h.pid);
	close(nb);
	close(h.pidfd);
}

static volatile sig_atomic_t usr1_code, usr1_value;

static void
on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	usr1_code = si->si_code;
	usr1_value = si->si_value.sival_int;
}

static void
check_send(void)
{
	struct sigaction sa;
	struct held h;
	siginfo_t si, info;
	int self, pipefd[2];

	if (!CHECK_OK("a held child (clone3)", start_held(&h, 0)))
		return;
	CHECK_EQ("pidfd_send_signal sig 0 to a live child is 0",
		 pidfd_send_signal_(h.pidfd, 0, NULL, 0), 0);
	errno = 0;
	CHECK_ERR("pidfd_send_signal flags 8 is EINVAL", pidfd_send_signal_(h.pidfd, 0, NULL, 8),
		  EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_send_signal two scope flags is EINVAL",
		  pidfd_send_signal_(h.pidfd, 0, NULL, 3), EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_send_signal signal 65 is EINVAL", pidfd_send_signal_(h.pidfd, 65, NULL, 0),
		  EINVAL);
	if (CHECK_OK("pipe", pipe(pipefd))) {
		errno = 0;
		CHECK_ERR("pidfd_send_signal to a pipe is EBADF",
			  pidfd_send_signal_(pipefd[0], 0, NULL, 0), EBADF);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	errno = 0;
	CHECK_ERR("pidfd_send_signal to a closed descriptor is EBADF",
		  pidfd_send_signal_(999, 0, NULL, 0), EBADF);
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGUSR2;
	info.si_code = SI_QUEUE;
	errno = 0;
	CHECK_ERR("pidfd_send_signal with si_signo other than sig is EINVAL",
		  pidfd_send_signal_(h.pidfd, SIGTERM, &info, 0), EINVAL);
	info.si_signo = SIGTERM;
	info.si_code = SI_USER;
	errno = 0;
	CHECK_ERR("pidfd_send_signal with si_code SI_USER to another process is EPERM",
		  pidfd_send_signal_(h.pidfd, SIGTERM, &info, 0), EPERM);
	errno = 0;
	CHECK_ERR("pidfd_send_signal with a bad info pointer is EFAULT",
		  pidfd_send_signal_(h.pidfd, SIGTERM, (void *)8, 0), EFAULT);
	CHECK_EQ("pidfd_send_signal SIGTERM to the child",
		 pidfd_send_signal_(h.pidfd, SIGTERM, NULL, 0), 0);
	CHECK_EQX("the killed child's pidfd polls POLLIN", poll_wait(h.pidfd) & POLLIN, POLLIN);
	CHECK_EQ("pidfd_send_signal to a zombie is 0",
		 pidfd_send_signal_(h.pidfd, SIGTERM, NULL, 0), 0);
	memset(&si, 0, sizeof(si));
	CHECK_EQ("waitid(P_PIDFD) reaps it", waitid(K_P_PIDFD, h.pidfd, &si, WEXITED), 0);
	check(si.si_code == CLD_KILLED && si.si_status == SIGTERM,
	      "waitid: the child was killed by SIGTERM", "code %d status %d", si.si_code,
	      si.si_status);
	close(h.go);
	close(h.pidfd);

	/* To itself: a queued signal with the caller's own siginfo. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	self = pidfd_open_(getpid(), 0);
	if (!CHECK_OK("pidfd_open self", self))
		return;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGUSR1;
	info.si_code = SI_QUEUE;
	info.si_value.sival_int = 42;
	usr1_code = usr1_value = 0;
	CHECK_EQ("pidfd_send_signal SIGUSR1 to itself with SI_QUEUE info",
		 pidfd_send_signal_(self, SIGUSR1, &info, 0), 0);
	CHECK_EQ("the handler saw si_code SI_QUEUE", usr1_code, SI_QUEUE);
	CHECK_EQ("the handler saw si_value 42", usr1_value, 42);
	info.si_code = SI_USER;
	usr1_code = 99;
	CHECK_EQ("to itself even si_code SI_USER (>= 0) is allowed",
		 pidfd_send_signal_(self, SIGUSR1, &info, 0), 0);
	CHECK_EQ("the handler saw si_code SI_USER", usr1_code, SI_USER);
	usr1_code = 99;
	CHECK_EQ("without info: kill's siginfo", pidfd_send_signal_(self, SIGUSR1, NULL, 0), 0);
	CHECK_EQ("the handler saw si_code SI_USER", usr1_code, SI_USER);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	close(self);
}

static void
check_getfd(void)
{
	struct stat got, want;
	struct held h;
	siginfo_t si;
	int fd;

	if (!CHECK_OK("a held child (clone3)", start_held(&h, 0)))
		return;
	fd = (int)syscall(NR_pidfd_getfd, h.pidfd, h.rfd, 0);
	if (CHECK_OK("pidfd_getfd of the child's pipe read end", fd)) {
		CHECK_EQ("pidfd_getfd's descriptor is close-on-exec", fcntl(fd, F_GETFD),
			 FD_CLOEXEC);
		if (CHECK_OK("fstat", fstat(fd, &got)) && CHECK_OK("fstat", fstat(h.go, &want)))
			check(got.st_ino == want.st_ino && got.st_dev == want.st_dev,
			      "pidfd_getfd: the descriptor is the child's pipe (the write end's "
			      "inode)",
			      "inode %llu, want %llu", (unsigned long long)got.st_ino,
			      (unsigned long long)want.st_ino);
		CHECK_EQ("pidfd_getfd: it is the read end", fcntl(fd, F_GETFL) & O_ACCMODE,
			 O_RDONLY);
		close(fd);
	}
	errno = 0;
	CHECK_ERR("pidfd_getfd flags 1 is EINVAL", syscall(NR_pidfd_getfd, h.pidfd, h.rfd, 1),
		  EINVAL);
	errno = 0;
	CHECK_ERR("pidfd_getfd through a descriptor that is no pidfd is EBADF",
		  syscall(NR_pidfd_getfd, h.go, h.rfd, 0), EBADF);
	errno = 0;
	CHECK_ERR("pidfd_getfd of a descriptor the child has not open is EBADF",
		  syscall(NR_pidfd_getfd, h.pidfd, 900, 0), EBADF);
	close(h.go);
	poll_wait(h.pidfd);
	errno = 0;
	CHECK_ERR("pidfd_getfd of an exited child not yet reaped is ESRCH",
		  syscall(NR_pidfd_getfd, h.pidfd, h.rfd, 0), ESRCH);
	CHECK_EQ("waitid(P_PIDFD) reaps it", waitid(K_P_PIDFD, h.pidfd, &si, WEXITED), 0);
	errno = 0;
	CHECK_ERR("pidfd_getfd of a reaped child is ESRCH",
		  syscall(NR_pidfd_getfd, h.pidfd, h.rfd, 0), ESRCH);
	close(h.pidfd);
}

static void
check_epoll(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct held h;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!CHECK_OK("epoll_create1", ep) || !CHECK_OK("a held child", start_held(&h, 0)))
		return;
	ev.data.u64 = 77;
	CHECK_OK("epoll_ctl ADD a pidfd", epoll_ctl(ep, EPOLL_CTL_ADD, h.pidfd, &ev));
	CHECK_EQ("epoll: a running child's pidfd is not ready", epoll_wait(ep, &out, 1, 0), 0);
	close(h.go);
	CHECK_EQ("epoll: the pidfd is ready once the child exits", epoll_wait(ep, &out, 1, -1), 1);
	check(out.data.u64 == 77 && (out.events & EPOLLIN), "epoll: EPOLLIN with the data given",
	      "events %#x data %llu", out.events, (unsigned long long)out.data.u64);
	CHECK_EQ("waitpid reaps it", waitpid((pid_t)h.pid, NULL, 0), h.pid);
	close(h.pidfd);
	close(ep);
}

int
main(void)
{
	guest_begin("t_pidfd", "process descriptors");
	check_clone_pidfd(0);
	check_clone_pidfd(1);
	check_clone3_pidfd_fault();
	check_open();
	check_send();
	check_getfd();
	check_epoll();
	return guest_end();
}
