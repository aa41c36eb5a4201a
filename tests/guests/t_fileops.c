/*
 * t_fileops.c - what each kind of open file answers to the calls that
 * depend on its kind, with the errno the man pages give: a regular file
 * and a directory of /tmp and of the root, both ends of a pipe, /dev/null,
 * /dev/zero, /dev/full, a /proc file and /proc itself.
 *
 *   - read(2) of a directory is EISDIR; getdents64 of anything else is
 *     ENOTDIR; a directory lists entries;
 *   - ioctl(2) TCGETS on anything but a terminal is ENOTTY; FIONREAD on a
 *     regular file is its size less the offset, on a pipe the bytes in it;
 *   - lseek(2), pread(2), pwrite(2) and posix_fadvise(2) on a pipe are
 *     ESPIPE; F_GETPIPE_SZ is the capacity on a pipe, EBADF elsewhere;
 *   - mmap(2) of a pipe's write end is EACCES (not open for reading comes
 *     first); of its read end, a directory, /dev/null and /dev/full
 *     ENODEV; a regular file and /dev/zero map (a /proc file is not
 *     checked: Linux gives EIO for some and ENODEV for others);
 *   - ftruncate(2) of what is not a regular file is EINVAL;
 *   - null(4), zero(4), full(4): end of file, zeros, ENOSPC.
 *
 * Usage: t_fileops
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "guest.h"

enum { DIR_ = 1, REG = 2, PIPE_R = 4, PIPE_W = 8, MAPS = 16, PROC = 32 };

static char name[160];

#define WHAT(fmt, ...) (snprintf(name, sizeof(name), "%s: " fmt, what, ##__VA_ARGS__), name)

/* The calls every kind answers, each by its kind. */
static void
check_kind(const char *what, int fd, int kind)
{
	char buf[4096];
	struct termios t;
	void *m;
	int avail;

	CHECK_ERR(WHAT("ioctl TCGETS is ENOTTY"), ioctl(fd, TCGETS, &t), ENOTTY);
	if (kind & DIR_) {
		CHECK_ERR(WHAT("read is EISDIR"), read(fd, buf, 16), EISDIR);
		CHECK_ERR(WHAT("read of 0 bytes is EISDIR"), read(fd, buf, 0), EISDIR);
		CHECK_TRUE(WHAT("getdents64 lists entries"),
			   syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0, "got none");
	} else {
		CHECK_ERR(WHAT("getdents64 is ENOTDIR"), syscall(SYS_getdents64, fd, buf, sizeof(buf)),
			  ENOTDIR);
	}
	if (kind & (PIPE_R | PIPE_W)) {
		CHECK_ERR(WHAT("lseek is ESPIPE"), lseek(fd, 0, SEEK_CUR), ESPIPE);
		if (kind & PIPE_R)
			CHECK_ERR(WHAT("pread is ESPIPE"), pread(fd, buf, 1, 0), ESPIPE);
		else
			CHECK_ERR(WHAT("pwrite is ESPIPE"), pwrite(fd, "x", 1, 0), ESPIPE);
		CHECK_EQ(WHAT("posix_fadvise is ESPIPE"), posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL),
			 ESPIPE);
		CHECK_TRUE(WHAT("F_GETPIPE_SZ is the capacity"), fcntl(fd, F_GETPIPE_SZ) >= 4096,
			   "got %d", fcntl(fd, F_GETPIPE_SZ));
	} else {
		CHECK_ERR(WHAT("F_GETPIPE_SZ is EBADF"), fcntl(fd, F_GETPIPE_SZ), EBADF);
		CHECK_EQ(WHAT("posix_fadvise works"), posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL), 0);
	}
	if (kind & REG) {
		struct stat st = {0};
		off_t pos = lseek(fd, 0, SEEK_CUR);
		int ok = fstat(fd, &st) == 0;

		avail = -1;
		ok = ok && ioctl(fd, FIONREAD, &avail) == 0;
		CHECK_TRUE(WHAT("FIONREAD is the size less the offset"),
			   ok && avail == (int)(st.st_size - pos), "got %d (%s), size %lld, offset %lld",
			   avail, ok ? "ok" : errname(errno), (long long)st.st_size, (long long)pos);
	}
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (kind & MAPS)
		CHECK_TRUE(WHAT("mmap maps it"), m != MAP_FAILED, "errno %s", errname(errno));
	else if (kind & PIPE_W)
		CHECK_ERR(WHAT("mmap is EACCES"), m == MAP_FAILED ? -1 : 0, EACCES);
	else if (!(kind & PROC))
		CHECK_ERR(WHAT("mmap is ENODEV"), m == MAP_FAILED ? -1 : 0, ENODEV);
	if (m != MAP_FAILED)
		munmap(m, 4096);
	if (!(kind & REG) && (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
		CHECK_ERR(WHAT("ftruncate is EINVAL"), ftruncate(fd, 0), EINVAL);
}

static void
check_pipe(void)
{
	int p[2], avail = -1;

	if (!CHECK_OK("pipe2", pipe2(p, O_CLOEXEC)))
		return;
	check_kind("pipe read end", p[0], PIPE_R);
	check_kind("pipe write end", p[1], PIPE_W);
	CHECK_EQ("write 3 bytes to the pipe", write(p[1], "abc", 3), 3);
	CHECK_TRUE("FIONREAD on the read end is 3", ioctl(p[0], FIONREAD, &avail) == 0 && avail == 3,
		   "got %d", avail);
	close(p[0]);
	close(p[1]);
}

static void
check_devs(void)
{
	char buf[64];
	unsigned char *m;
	int fd, i, zero = 1;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (CHECK_OK("open(/dev/null, O_RDWR)", fd)) {
		check_kind("/dev/null", fd, 0);
		CHECK_EQ("/dev/null reads end of file", read(fd, buf, sizeof(buf)), 0);
		CHECK_EQ("/dev/null takes a whole write", write(fd, buf, sizeof(buf)), sizeof(buf));
		CHECK_EQ("lseek(/dev/null, 0, SEEK_END) is 0", lseek(fd, 0, SEEK_END), 0);
		close(fd);
	}
	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (CHECK_OK("open(/dev/zero, O_RDWR)", fd)) {
		check_kind("/dev/zero", fd, MAPS);
		memset(buf, 1, sizeof(buf));
		CHECK_EQ("/dev/zero reads what was asked", read(fd, buf, sizeof(buf)), sizeof(buf));
		for (i = 0; i < (int)sizeof(buf); i++)
			zero &= buf[i] == 0;
		CHECK_TRUE("as zeros", zero, "a byte was not 0");
		m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (CHECK_TRUE("a shared writable mapping of /dev/zero", m != MAP_FAILED, "errno %s",
			       errname(errno))) {
			m[4096] = 7;
			CHECK_TRUE("is memory, zero where untouched", m[0] == 0 && m[4096] == 7,
				   "got %d %d", m[0], m[4096]);
			munmap(m, 8192);
		}
		close(fd);
	}
	fd = open("/dev/full", O_RDWR | O_CLOEXEC);
	if (CHECK_OK("open(/dev/full, O_RDWR)", fd)) {
		check_kind("/dev/full", fd, 0);
		CHECK_ERR("a write to /dev/full is ENOSPC", write(fd, "x", 1), ENOSPC);
		CHECK_EQ("/dev/full reads zeros", read(fd, buf, 8), 8);
		close(fd);
	}
}

int
main(void)
{
	char dir[] = "/tmp/t_fileops.XXXXXX", path[64];
	int fd;

	guest_begin("t_fileops", "each kind of open file");
	if (!CHECK_TRUE("mkdtemp in /tmp", mkdtemp(dir) != NULL, "errno %s", errname(errno)))
		return guest_end();
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (CHECK_OK("create a /tmp file", fd)) {
		CHECK_EQ("write 10 bytes", write(fd, "0123456789", 10), 10);
		CHECK_EQ("back to offset 3", lseek(fd, 3, SEEK_SET), 3);
		check_kind("/tmp file", fd, REG | MAPS);
		close(fd);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open the /tmp directory", fd)) {
		check_kind("/tmp directory", fd, DIR_);
		close(fd);
	}
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open(/proc/self/exe), a file of the root", fd)) {
		check_kind("root file", fd, REG | MAPS);
		close(fd);
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(/)", fd)) {
		check_kind("root directory", fd, DIR_);
		close(fd);
	}
	fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open(/proc/version)", fd)) {
		check_kind("/proc/version", fd, PROC);
		close(fd);
	}
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(/proc)", fd)) {
		check_kind("/proc", fd, DIR_);
		close(fd);
	}
	check_pipe();
	check_devs();
	unlink(path);
	CHECK_OK("rmdir", rmdir(dir));
	return guest_end();
}
