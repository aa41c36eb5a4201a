/*
 * t_eventfd - event descriptors as eventfd(2) describes them.
 *
 * Usage: t_eventfd
 *
 * Checks:
 *   - counter mode: writes add up, a read returns the sum and resets it to
 *     0; the initial value counts; a value that straddles a page boundary
 *     goes whole both ways;
 *   - semaphore mode (EFD_SEMAPHORE): each read returns 1 and takes 1;
 *   - EFD_NONBLOCK: a read of 0 is EAGAIN, a write past 0xfffffffffffffffe
 *     is EAGAIN, and F_GETFL shows O_NONBLOCK and O_RDWR; EFD_CLOEXEC shows
 *     as FD_CLOEXEC through F_GETFD, and its absence as 0;
 *   - the ERRORS of eventfd(2): unknown flags EINVAL; read(2) and write(2)
 *     of fewer than 8 bytes EINVAL; writing 0xffffffffffffffff EINVAL;
 *   - poll(2): POLLOUT only at 0, POLLIN|POLLOUT above 0, POLLIN only at
 *     0xfffffffffffffffe; a poll that sleeps wakes on a child's write;
 *   - blocking: a read of 0 sleeps until a forked child writes, and a
 *     write that would overflow sleeps until a child reads (the result is
 *     checked, never how long it took);
 *   - fork shares the counter both ways; fstat gives mode 0600 with no file
 *     type (an anonymous inode); /proc/self/fd/N reads anon_inode:[eventfd].
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define EFD_SEMAPHORE_ 1
#define EFD_CLOEXEC_   O_CLOEXEC
#define EFD_NONBLOCK_  O_NONBLOCK
#define EFD_MAX	       0xfffffffffffffffeULL

static int
efd(unsigned int init, int flags)
{
	return (int)syscall(SYS_eventfd2, init, flags);
}

static long
put(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v));
}

/* Read the counter (8 bytes); -1 and errno on failure. */
static long long
get(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return (long long)v;
}

static short
revents(int fd)
{
	struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

static int
reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void
check_counter(void)
{
	uint64_t big[2] = {0, 0};
	char bytes[8], *edge;
	int fd = efd(5, 0);

	if (!CHECK_OK("eventfd2(5, 0)", fd))
		return;
	CHECK_EQ("write 3", put(fd, 3), 8);
	CHECK_EQ("write 0", put(fd, 0), 8);
	CHECK_EQ("read returns the initial value plus the writes", get(fd), 8);
	CHECK_EQ("revents after the read (counter 0): POLLOUT only", revents(fd), POLLOUT);
	CHECK_EQ("write 0x1234567890", put(fd, 0x1234567890ULL), 8);
	/* 8 bytes in two pieces, both ways. */
	memcpy(bytes, &(uint64_t){0x0102030405060708ULL}, 8);
	CHECK_EQ("read into a 16-byte buffer returns 8", read(fd, big, sizeof(big)), 8);
	CHECK_EQX("its value", big[0], 0x1234567890ULL);
	/* The 8 bytes straddle a page boundary (two frames under uvk). */
	edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (CHECK_TRUE("mmap of two pages", edge != MAP_FAILED, "MAP_FAILED")) {
		memcpy(edge + 4092, bytes, 8);
		CHECK_EQ("write of 8 bytes across a page boundary", write(fd, edge + 4092, 8), 8);
		memset(edge + 4092, 0, 8);
		CHECK_EQ("read of 8 bytes across a page boundary", read(fd, edge + 4092, 8), 8);
		CHECK_EQ("the value crossed whole", memcmp(edge + 4092, bytes, 8), 0);
		munmap(edge, 8192);
	}
	close(fd);

	fd = (int)syscall(SYS_eventfd, 7);
	if (CHECK_OK("SYS_eventfd(7)", fd)) {
		CHECK_EQ("its counter", get(fd), 7);
		CHECK_EQ("its close-on-exec flag is clear", fcntl(fd, F_GETFD), 0);
		close(fd);
	}
}

static void
check_semaphore(void)
{
	int fd = efd(2, EFD_SEMAPHORE_ | EFD_NONBLOCK_);

	if (!CHECK_OK("eventfd2(2, EFD_SEMAPHORE|EFD_NONBLOCK)", fd))
		return;
	CHECK_EQ("write 1", put(fd, 1), 8);
	CHECK_EQ("semaphore read 1", get(fd), 1);
	CHECK_EQ("semaphore read 2", get(fd), 1);
	CHECK_EQ("semaphore read 3", get(fd), 1);
	CHECK_ERR("semaphore read at 0: EAGAIN", get(fd), EAGAIN);
	close(fd);
}

static void
check_flags_errors(void)
{
	uint64_t v = 1;
	int fd;

	fd = efd(0, EFD_CLOEXEC_ | EFD_NONBLOCK_);
	if (!CHECK_OK("eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK)", fd))
		return;
	CHECK_EQ("F_GETFD: FD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ("F_GETFL: O_RDWR|O_NONBLOCK", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
		 O_RDWR | O_NONBLOCK);
	CHECK_ERR("read at 0 with EFD_NONBLOCK: EAGAIN", get(fd), EAGAIN);
	CHECK_ERR("read of 7 bytes: EINVAL", read(fd, &v, 7), EINVAL);
	CHECK_ERR("write of 4 bytes: EINVAL", write(fd, &v, 4), EINVAL);
	CHECK_ERR("write of 0xffffffffffffffff: EINVAL", put(fd, UINT64_MAX), EINVAL);
	CHECK_EQ("write of 0xfffffffffffffffe", put(fd, EFD_MAX), 8);
	CHECK_EQ("revents at 0xfffffffffffffffe: POLLIN only", revents(fd), POLLIN);
	CHECK_ERR("write of 1 more: EAGAIN", put(fd, 1), EAGAIN);
	CHECK_EQ("write of 0 still fits", put(fd, 0), 8);
	CHECK_EQX("read gives 0xfffffffffffffffe", (uint64_t)get(fd), EFD_MAX);
	CHECK_EQ("revents after: POLLOUT only", revents(fd), POLLOUT);
	CHECK_EQ("F_SETFL clears O_NONBLOCK", fcntl(fd, F_SETFL, 0), 0);
	CHECK_EQ("F_GETFL: no O_NONBLOCK", fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);

	CHECK_ERR("eventfd2 with flag 2: EINVAL", efd(0, 2), EINVAL);
	CHECK_ERR("eventfd2 with O_APPEND: EINVAL", efd(0, O_APPEND), EINVAL);
	CHECK_ERR("eventfd2 with O_RDWR: EINVAL", efd(0, O_RDWR), EINVAL);
}

static void
check_identity(void)
{
	char path[32], link[64];
	struct stat st;
	ssize_t n;
	int fd = efd(0, 0);

	if (!CHECK_OK("eventfd2(0, 0)", fd))
		return;
	if (CHECK_OK("fstat", fstat(fd, &st))) {
		CHECK_EQ("st_mode: 0600, no file type", st.st_mode, 0600);
		CHECK_EQ("st_nlink", st.st_nlink, 1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (CHECK_OK("readlink /proc/self/fd/N", n)) {
		link[n] = 0;
		CHECK_STR("its target", link, "anon_inode:[eventfd]");
	}
	CHECK_ERR("pread: ESPIPE", pread(fd, &st, 8, 0), ESPIPE);
	close(fd);
}

static void
check_blocking(void)
{
	struct pollfd pfd;
	pid_t pid;
	int fd = efd(0, 0);

	if (!CHECK_OK("eventfd2(0, 0) for blocking", fd))
		return;
	/* A read of 0 sleeps until the child writes. */
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(put(fd, 42) == 8 ? 0 : 1);
	}
	CHECK_EQ("blocking read returns the child's write", get(fd), 42);
	CHECK_EQ("the child's write succeeded", reap(pid), 0);

	/* A write that would overflow sleeps until the child reads. */
	CHECK_EQ("fill to 0xfffffffffffffffe - 1", put(fd, EFD_MAX - 1), 8);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(get(fd) == (long long)(EFD_MAX - 1) ? 0 : 1);
	}
	CHECK_EQ("blocking write of 2 completes", put(fd, 2), 8);
	CHECK_EQ("the child read the full counter", reap(pid), 0);
	CHECK_EQ("the counter holds the blocked write", get(fd), 2);

	/* A poll that sleeps wakes on the child's write. */
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(put(fd, 9) == 8 ? 0 : 1);
	}
	pfd = (struct pollfd){fd, POLLIN, 0};
	CHECK_EQ("poll(POLLIN, -1) wakes", poll(&pfd, 1, -1), 1);
	CHECK_EQ("its revents", pfd.revents, POLLIN);
	CHECK_EQ("the child's write succeeded", reap(pid), 0);
	CHECK_EQ("read after poll", get(fd), 9);
	close(fd);
}

static void
check_fork_shared(void)
{
	pid_t pid;
	int fd = efd(0, EFD_NONBLOCK_);

	if (!CHECK_OK("eventfd2(0, EFD_NONBLOCK) for fork", fd))
		return;
	pid = fork();
	if (pid == 0)
		_exit(put(fd, 7) == 8 ? 0 : 1);
	CHECK_EQ("child wrote", reap(pid), 0);
	CHECK_EQ("parent reads the child's 7", get(fd), 7);
	CHECK_EQ("parent writes 3", put(fd, 3), 8);
	pid = fork();
	if (pid == 0)
		_exit(get(fd) == 3 ? 0 : 1);
	CHECK_EQ("child read the parent's 3", reap(pid), 0);
	CHECK_ERR("and took it: EAGAIN in the parent", get(fd), EAGAIN);
	close(fd);
}

/*
 * readv and writev as Linux's eventfd has them: read_iter (the 8 bytes may
 * span iovecs), but a plain write (each iovec alone: 3 + 5 is EINVAL, 8 + 3
 * writes 8), and 0 bytes read or written is EINVAL like any short size.
 */
static void
check_vectors(void)
{
	int fd = efd(0, EFD_NONBLOCK_);
	uint64_t v = 5, r = 0, two[2] = {1, 2};
	char *b = (char *)&v, *rb = (char *)&r;
	struct iovec w35[2] = {{b, 3}, {b + 3, 5}}, w88[2] = {{&two[0], 8}, {&two[1], 8}};
	struct iovec w08[2] = {{b, 0}, {b, 8}}, w83[2] = {{b, 8}, {b, 3}};
	struct iovec r44[2] = {{rb, 4}, {rb + 4, 4}}, r08[2] = {{rb, 0}, {rb, 8}};
	struct iovec r22[2] = {{rb, 2}, {rb + 2, 2}};

	CHECK_ERR("write of 0 bytes EINVAL", write(fd, &v, 0), EINVAL);
	CHECK_ERR("read of 0 bytes EINVAL", read(fd, &v, 0), EINVAL);
	CHECK_ERR("writev 3 + 5 EINVAL (a write an iovec)", writev(fd, w35, 2), EINVAL);
	CHECK_ERR("writev 0 + 8 EINVAL", writev(fd, w08, 2), EINVAL);
	CHECK_EQ("writev 8 + 8: both", writev(fd, w88, 2), 16);
	CHECK_EQ("writev 8 + 3: the first", writev(fd, w83, 2), 8);
	CHECK_EQ("readv 4 + 4: 8 bytes", readv(fd, r44, 2), 8);
	CHECK_EQ("... the sum 1 + 2 + 5", (long)r, 8);
	put(fd, 7);
	CHECK_ERR("readv 2 + 2 EINVAL", readv(fd, r22, 2), EINVAL);
	CHECK_EQ("readv 0 + 8: 8 bytes", readv(fd, r08, 2), 8);
	CHECK_EQ("... the value", (long)r, 7);
	close(fd);
}

int
main(void)
{
	guest_begin("t_eventfd", "eventfd counter, semaphore, flags, poll, blocking, fork");
	alarm(30); /* a call that never wakes fails the run instead of hanging it */
	check_counter();
	check_semaphore();
	check_flags_errors();
	check_identity();
	check_blocking();
	check_fork_shared();
	check_vectors();
	return guest_end();
}
