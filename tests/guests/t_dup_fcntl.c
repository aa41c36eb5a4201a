/*
 * t_dup_fcntl - the descriptor table: dup, dup2, dup3 and fcntl.
 *
 * Usage: t_dup_fcntl
 *
 * Works on one file in a fresh directory under /tmp, removed at the end. The
 * semantics checked are POSIX's and Linux's: a duplicate shares the open file
 * (offset and status flags) but not the close-on-exec flag, and new
 * descriptors take the lowest free number.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

static int
cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f < 0 ? -1 : !!(f & FD_CLOEXEC);
}

static void
check_dup(int fd)
{
	int d, d2;
	char b[8];

	d = dup(fd);
	CHECK_TRUE("dup returns a new descriptor", d >= 0 && d != fd, "got %d", d);
	CHECK_EQ("dup's descriptor is not close-on-exec", cloexec(d), 0);

	/* Shared offset: move it through one, see it through the other. */
	CHECK_EQ("lseek(fd, 3, SEEK_SET)", lseek(fd, 3, SEEK_SET), 3);
	CHECK_EQ("the duplicate sees offset 3", lseek(d, 0, SEEK_CUR), 3);
	CHECK_EQ("read 2 bytes through the duplicate", read(d, b, 2), 2);
	CHECK_TRUE("they are \"de\"", memcmp(b, "de", 2) == 0, "got \"%.2s\"", b);
	CHECK_EQ("the original's offset moved to 5", lseek(fd, 0, SEEK_CUR), 5);

	/* Lowest free number: free one below d and dup again. */
	d2 = dup(fd);
	close(d);
	CHECK_EQ("dup takes the lowest free descriptor", dup(fd), d);
	close(d);
	close(d2);

	CHECK_ERR("dup of a closed descriptor is EBADF", dup(999), EBADF);
	CHECK_ERR("dup of -1 is EBADF", dup(-1), EBADF);
}

static void
check_dup2(int fd)
{
	int other = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat a, b;

	CHECK_EQ("dup2(fd, 50) returns 50", dup2(fd, 50), 50);
	CHECK_EQ("descriptor 50 is not close-on-exec", cloexec(50), 0);
	CHECK_TRUE("descriptor 50 is the same file",
		   fstat(50, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino, "got another");
	CHECK_EQ("dup2(fd, fd) returns fd", dup2(fd, fd), fd);
	CHECK_EQ("dup2 onto an open descriptor replaces it", dup2(other, 50), 50);
	CHECK_TRUE("descriptor 50 is now the directory", fstat(50, &a) == 0 && S_ISDIR(a.st_mode),
		   "got mode %#o", (unsigned)a.st_mode);
	CHECK_ERR("dup2 of a closed descriptor is EBADF", dup2(999, 51), EBADF);
	CHECK_ERR("dup2 to a negative descriptor is EBADF", dup2(fd, -1), EBADF);
	CHECK_ERR("dup2 of a closed descriptor onto itself is EBADF", dup2(999, 999), EBADF);
	CHECK_EQ("close(50)", close(50), 0);

	CHECK_EQ("dup3(fd, 52, O_CLOEXEC) returns 52", dup3(fd, 52, O_CLOEXEC), 52);
	CHECK_EQ("descriptor 52 is close-on-exec", cloexec(52), 1);
	CHECK_EQ("dup3(fd, 52, 0) returns 52", dup3(fd, 52, 0), 52);
	CHECK_EQ("descriptor 52 is no longer close-on-exec", cloexec(52), 0);
	CHECK_ERR("dup3(fd, fd, 0) is EINVAL", dup3(fd, fd, 0), EINVAL);
	CHECK_ERR("dup3 with an unknown flag is EINVAL", syscall(SYS_dup3, fd, 53, 0x1), EINVAL);
	close(52);
	close(other);
}

static void
check_fcntl_fd(int fd)
{
	struct rlimit rl;
	int d, lo;

	/* Make a hole at 20 with 21 taken, so the lowest free >= 20 is 20, >= 21 is 22. */
	CHECK_EQ("dup2(fd, 21)", dup2(fd, 21), 21);
	d = fcntl(fd, F_DUPFD, 20);
	CHECK_EQ("F_DUPFD 20 gives 20", d, 20);
	CHECK_EQ("F_DUPFD's descriptor is not close-on-exec", cloexec(d), 0);
	d = fcntl(fd, F_DUPFD, 21);
	CHECK_EQ("F_DUPFD 21 skips the busy 21 and gives 22", d, 22);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	CHECK_EQ("F_DUPFD_CLOEXEC 20 gives 23", d, 23);
	CHECK_EQ("F_DUPFD_CLOEXEC's descriptor is close-on-exec", cloexec(d), 1);
	lo = fcntl(fd, F_DUPFD, 0);
	CHECK_TRUE("F_DUPFD 0 gives the lowest free descriptor (below 20)", lo >= 0 && lo < 20,
		   "got %d", lo);
	close(lo);
	close(20);
	close(21);
	close(22);
	close(23);
	CHECK_ERR("F_DUPFD with a negative minimum is EINVAL", fcntl(fd, F_DUPFD, -1), EINVAL);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1UL << 30)
		CHECK_ERR("F_DUPFD at RLIMIT_NOFILE is EINVAL",
			  fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL);

	CHECK_EQ("F_GETFD of a plain descriptor is 0", fcntl(fd, F_GETFD), 0);
	CHECK_EQ("F_SETFD FD_CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ("F_GETFD reads FD_CLOEXEC back", fcntl(fd, F_GETFD), FD_CLOEXEC);
	d = dup(fd);
	CHECK_EQ("close-on-exec is per descriptor: dup's copy is clear", cloexec(d), 0);
	close(d);
	CHECK_EQ("F_SETFD 0", fcntl(fd, F_SETFD, 0), 0);
	CHECK_EQ("F_GETFD reads 0 back", fcntl(fd, F_GETFD), 0);
	CHECK_ERR("F_GETFD of a closed descriptor is EBADF", fcntl(999, F_GETFD), EBADF);
	CHECK_ERR("an unknown fcntl command is EINVAL", fcntl(fd, 0x7fff), EINVAL);
}

static void
check_fcntl_fl(int fd, const char *file)
{
	int fl = fcntl(fd, F_GETFL);
	int d = dup(fd);
	int ro;
	char b[4];

	CHECK_EQ("F_GETFL access mode is O_RDWR", fl & O_ACCMODE, O_RDWR);
	/* x86-64 open() forces it; glibc's own O_LARGEFILE is 0, so the kernel's value. */
	CHECK_EQ("F_GETFL has the kernel's O_LARGEFILE (0100000)", fl & 0100000, 0100000);
	CHECK_EQ("F_GETFL: no O_APPEND, no O_NONBLOCK", fl & (O_APPEND | O_NONBLOCK), 0);
	CHECK_EQ("F_SETFL O_APPEND|O_NONBLOCK", fcntl(fd, F_SETFL, fl | O_APPEND | O_NONBLOCK), 0);
	fl = fcntl(fd, F_GETFL);
	CHECK_EQ("F_GETFL reads O_APPEND|O_NONBLOCK back", fl & (O_APPEND | O_NONBLOCK),
		 O_APPEND | O_NONBLOCK);
	CHECK_EQ("status flags are shared: the dup sees O_APPEND",
		 fcntl(d, F_GETFL) & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK);
	lseek(d, 0, SEEK_SET);
	CHECK_EQ("write through the dup", write(d, "Z", 1), 1);
	CHECK_EQ("it went to the end (O_APPEND via the other descriptor)", lseek(fd, 0, SEEK_CUR),
		 11);
	CHECK_EQ("F_SETFL ignores the access mode", fcntl(fd, F_SETFL, O_RDONLY), 0);
	fl = fcntl(fd, F_GETFL);
	CHECK_TRUE("access mode still O_RDWR, O_APPEND|O_NONBLOCK cleared",
		   (fl & O_ACCMODE) == O_RDWR && !(fl & (O_APPEND | O_NONBLOCK)), "got %#x", fl);
	close(d);

	ro = open(file, O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open the file O_RDONLY", ro)) {
		CHECK_EQ("F_GETFL of it says O_RDONLY", fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
		CHECK_ERR("write to it is EBADF", write(ro, "x", 1), EBADF);
		CHECK_EQ("read from it works", read(ro, b, 1), 1);
		close(ro);
	}
	/*
	 * The flags that act at open time are not the file's (Linux's
	 * do_dentry_open drops O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC), on a
	 * device as on a file; O_LARGEFILE is forced there too.
	 */
	ro = open("/dev/null", O_RDONLY | O_NOCTTY | O_EXCL | O_CLOEXEC);
	if (CHECK_OK("open(/dev/null, O_NOCTTY|O_EXCL)", ro)) {
		fl = fcntl(ro, F_GETFL);
		CHECK_EQ("F_GETFL of it: no O_NOCTTY, no O_EXCL", fl & (O_NOCTTY | O_EXCL), 0);
		CHECK_EQ("F_GETFL of it has O_LARGEFILE", fl & 0100000, 0100000);
		close(ro);
	}
}

static void
check_close(int fd)
{
	int d = dup(fd);

	CHECK_EQ("close of a dup", close(d), 0);
	CHECK_ERR("close of it again is EBADF", close(d), EBADF);
	CHECK_ERR("close(-1) is EBADF", close(-1), EBADF);
	CHECK_ERR("close(999) is EBADF", close(999), EBADF);
	CHECK_ERR("F_GETFL of a closed descriptor is EBADF", fcntl(d, F_GETFL), EBADF);
	CHECK_EQ("the original survives the dup's close", lseek(fd, 0, SEEK_SET), 0);
}

int
main(void)
{
	char top[64] = "/tmp/t_dup_fcntl.XXXXXX";
	char file[128];
	int fd;

	guest_begin("t_dup_fcntl", "dup, dup2, dup3 and fcntl on descriptors");
	if (!CHECK_TRUE("mkdtemp(/tmp/t_dup_fcntl.XXXXXX)", mkdtemp(top), "got errno %s",
			errname(errno)))
		return guest_end();
	snprintf(file, sizeof(file), "%s/f", top);
	/* Not O_CLOEXEC: the F_GETFD checks start from a clear flag. */
	fd = open(file, O_CREAT | O_RDWR, 0644);
	if (CHECK_OK("create a file", fd)) {
		CHECK_EQ("write \"abcdefghij\"", write(fd, "abcdefghij", 10), 10);
		check_dup(fd);
		check_dup2(fd);
		check_fcntl_fd(fd);
		check_fcntl_fl(fd, file);
		check_close(fd);
		close(fd);
	}
	unlink(file);
	rmdir(top);
	return guest_end();
}
