/*
 * t_signalfd - signal descriptors as signalfd(2) describes them.
 *
 * Usage: t_signalfd
 *
 * Checks:
 *   - with SIGUSR1 blocked (sigprocmask), a signalfd on it reads what
 *     raise() and kill(getpid()) sent: ssi_signo, ssi_code SI_USER (SI_TKILL
 *     for raise), ssi_pid, ssi_uid; a sigqueue() value arrives in ssi_int
 *     with ssi_code SI_QUEUE; the read consumed it (nothing pending after);
 *   - two pending signals (SIGUSR1, SIGUSR2) come out of one read of 256
 *     bytes; a read of fewer than 128 bytes is EINVAL;
 *   - SFD_NONBLOCK: a read with none pending is EAGAIN; SFD_CLOEXEC shows
 *     as FD_CLOEXEC;
 *   - poll(2): no POLLIN while none pending, POLLIN once one is; epoll(7)
 *     reports it too;
 *   - a blocking read (in a forked reader) sleeps until its own child's
 *     kill(getppid());
 *   - the second form (fd of a signalfd) replaces the mask and returns fd;
 *   - ERRORS: unknown flags EINVAL; sizemask other than 8 EINVAL; an fd
 *     that is no signalfd EINVAL; a closed fd EBADF.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define SFD_CLOEXEC_  O_CLOEXEC
#define SFD_NONBLOCK_ O_NONBLOCK
#define BIT(sig)      (1ULL << ((sig)-1))

/* struct signalfd_siginfo, spelled out: <sys/signalfd.h> differs between libcs. */
struct sfd_info {
	uint32_t ssi_signo;
	int32_t ssi_errno, ssi_code;
	uint32_t ssi_pid, ssi_uid;
	int32_t ssi_fd;
	uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
	int32_t ssi_status, ssi_int;
	uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;
	uint16_t ssi_addr_lsb;
	uint8_t pad[46];
};

static int
sfd(int fd, uint64_t mask, int flags)
{
	return (int)syscall(SYS_signalfd4, fd, &mask, 8, flags);
}

static short
revents(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

static void
check_read(void)
{
	struct sfd_info si[2];
	union sigval v;
	int fd = sfd(-1, BIT(SIGUSR1), SFD_NONBLOCK_);

	if (!CHECK_OK("signalfd4(-1, {SIGUSR1}, SFD_NONBLOCK)", fd))
		return;
	CHECK_ERR("read with none pending (SFD_NONBLOCK)", read(fd, si, sizeof(si[0])), EAGAIN);
	CHECK_EQ("revents with none pending", revents(fd), 0);
	CHECK_OK("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1));
	CHECK_EQ("revents with SIGUSR1 pending", revents(fd), POLLIN);
	CHECK_ERR("read of 127 bytes", read(fd, si, 127), EINVAL);
	memset(si, 0, sizeof(si));
	CHECK_EQ("read of 128 bytes", read(fd, si, sizeof(si[0])), 128);
	CHECK_EQ("ssi_signo", si[0].ssi_signo, SIGUSR1);
	CHECK_EQ("ssi_code is SI_USER", si[0].ssi_code, SI_USER);
	CHECK_EQ("ssi_pid", si[0].ssi_pid, (uint32_t)getpid());
	CHECK_EQ("ssi_uid", si[0].ssi_uid, (uint32_t)getuid());
	CHECK_ERR("the read consumed it", read(fd, si, sizeof(si[0])), EAGAIN);

	CHECK_OK("raise(SIGUSR1)", raise(SIGUSR1));
	CHECK_EQ("read after raise", read(fd, si, sizeof(si[0])), 128);
	CHECK_EQ("its ssi_signo", si[0].ssi_signo, SIGUSR1);
	CHECK_EQ("its ssi_code is SI_TKILL", si[0].ssi_code, SI_TKILL);

	v.sival_int = 0x5eed;
	CHECK_OK("sigqueue(getpid(), SIGUSR1, 0x5eed)", sigqueue(getpid(), SIGUSR1, v));
	CHECK_EQ("read after sigqueue", read(fd, si, sizeof(si[0])), 128);
	CHECK_EQ("ssi_code is SI_QUEUE", si[0].ssi_code, SI_QUEUE);
	CHECK_EQX("ssi_int", si[0].ssi_int, 0x5eed);

	/* A signal out of the mask stays pending for someone else. */
	CHECK_OK("kill SIGUSR2 (not in the mask)", kill(getpid(), SIGUSR2));
	CHECK_EQ("revents with only SIGUSR2 pending", revents(fd), 0);
	CHECK_EQ("second form: mask {SIGUSR1, SIGUSR2} returns fd",
		 sfd(fd, BIT(SIGUSR1) | BIT(SIGUSR2), 0), fd);
	CHECK_EQ("revents after the mask update", revents(fd), POLLIN);
	CHECK_OK("kill SIGUSR1 too", kill(getpid(), SIGUSR1));
	memset(si, 0, sizeof(si));
	CHECK_EQ("one read of 256 bytes takes both", read(fd, si, sizeof(si)), 256);
	CHECK_EQ("first: SIGUSR1", si[0].ssi_signo, SIGUSR1);
	CHECK_EQ("second: SIGUSR2", si[1].ssi_signo, SIGUSR2);
	CHECK_ERR("none left", read(fd, si, sizeof(si)), EAGAIN);
	close(fd);
}

static void
check_epoll(void)
{
	struct epoll_event ev = {EPOLLIN, {.u64 = 7}}, out;
	struct sfd_info si;
	int ep, fd = sfd(-1, BIT(SIGUSR1), SFD_NONBLOCK_);

	if (!CHECK_OK("signalfd for epoll", fd))
		return;
	ep = epoll_create1(0);
	CHECK_OK("epoll_create1", ep);
	CHECK_OK("EPOLL_CTL_ADD", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ("epoll_wait with none pending", epoll_wait(ep, &out, 1, 0), 0);
	kill(getpid(), SIGUSR1);
	CHECK_EQ("epoll_wait with SIGUSR1 pending", epoll_wait(ep, &out, 1, 0), 1);
	CHECK_EQ("its data", out.data.u64, 7);
	CHECK_EQ("read it", read(fd, &si, sizeof(si)), 128);
	CHECK_EQ("epoll_wait after the read", epoll_wait(ep, &out, 1, 0), 0);
	close(ep);
	close(fd);
}

/*
 * The blocking read runs in a forked reader (which reads its own signals
 * through the inherited signalfd, as signalfd(2) says of fork): under uvk
 * this program is the guest's init, to which a sibling's signal at SIG_DFL
 * would not come. The reader's exit status says what went wrong: 0 all
 * good, 2 read, 3 signo, 4 pid, 5 the killer.
 */
static int
blocking_reader(int fd)
{
	struct sfd_info si;
	pid_t killer;
	int st;

	killer = fork();
	if (killer == 0) {
		usleep(20000);
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	}
	memset(&si, 0, sizeof(si));
	if (read(fd, &si, sizeof(si)) != 128)
		return 2;
	if (si.ssi_signo != SIGUSR1)
		return 3;
	if (si.ssi_pid != (uint32_t)killer)
		return 4;
	if (waitpid(killer, &st, 0) != killer || st != 0)
		return 5;
	return 0;
}

static void
check_blocking(void)
{
	pid_t pid;
	int st, fd = sfd(-1, BIT(SIGUSR1), SFD_CLOEXEC_);

	if (!CHECK_OK("signalfd4(SFD_CLOEXEC)", fd))
		return;
	CHECK_EQ("FD_CLOEXEC set", fcntl(fd, F_GETFD), FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
		_exit(blocking_reader(fd));
	CHECK_EQ("a blocking read in a child wakes on its child's kill(getppid()) with ssi_signo "
		 "and ssi_pid right (exit status)",
		 waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	close(fd);
}

static void
check_errors(void)
{
	uint64_t mask = BIT(SIGUSR1);
	int fd, pfd[2];

	CHECK_ERR("unknown flag", sfd(-1, mask, 1), EINVAL);
	CHECK_ERR("sizemask 4", syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
	CHECK_ERR("sizemask 16", syscall(SYS_signalfd4, -1, &mask, 16, 0), EINVAL);
	if (CHECK_OK("pipe", pipe(pfd))) {
		CHECK_ERR("fd is a pipe, no signalfd", sfd(pfd[0], mask, 0), EINVAL);
		close(pfd[0]);
		close(pfd[1]);
		CHECK_ERR("fd is closed", sfd(pfd[0], mask, 0), EBADF);
	}
	fd = sfd(-1, mask, 0);
	if (CHECK_OK("signalfd4(-1, mask, 0)", fd)) {
		CHECK_EQ("no FD_CLOEXEC without SFD_CLOEXEC", fcntl(fd, F_GETFD), 0);
		close(fd);
	}
}

int
main(void)
{
	sigset_t set;

	guest_begin("t_signalfd", "signalfd read, siginfo, poll, epoll, blocking, mask update");
	alarm(30); /* a call that never wakes fails the run instead of hanging it */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (!CHECK_OK("sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})",
		      sigprocmask(SIG_BLOCK, &set, NULL)))
		return guest_end();
	check_read();
	check_epoll();
	check_blocking();
	check_errors();
	return guest_end();
}
