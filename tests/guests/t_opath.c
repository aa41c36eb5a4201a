/*
 * t_opath.c - O_PATH descriptors (open(2), "O_PATH"): a descriptor that
 * names a place in the tree without opening the file, usable where only the
 * name matters and refused (EBADF) where the file would be read or changed.
 *
 * Guest test program (see guest.h). Checks, on the root (under uvk the
 * read-only -r root), on a file of it, and on a file, a directory and a
 * symlink of /tmp:
 *   - open with O_PATH, O_PATH|O_DIRECTORY, O_PATH|O_NOFOLLOW (on a
 *     symlink: the link itself) succeed; O_PATH|O_DIRECTORY on a file is
 *     ENOTDIR;
 *   - fstat, fstatat(AT_EMPTY_PATH), the descriptor as dirfd of openat and
 *     fstatat, fchdir, dup, close, fcntl F_GETFL (O_PATH set), F_GETFD and
 *     F_SETFD, readlink of /proc/self/fd/N work;
 *   - read, write, ioctl, fchmod, lseek, mmap, getdents64 give EBADF,
 *     poll POLLNVAL;
 *   - openat(root's O_PATH descriptor, "..") and "../../.." stay at the
 *     root: same device and inode as stat("/"), and "../etc" is the root's.
 *
 * Usage: t_opath
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Every call that needs the file itself is EBADF on an O_PATH descriptor. */
static void
refused(const char *what, int fd)
{
	char buf[64], name[96];
	struct stat st;
	struct pollfd pfd;
	int n;
	void *m;

	snprintf(name, sizeof(name), "%s: read is EBADF", what);
	CHECK_ERR(name, read(fd, buf, sizeof(buf)), EBADF);
	snprintf(name, sizeof(name), "%s: write is EBADF", what);
	CHECK_ERR(name, write(fd, "x", 1), EBADF);
	snprintf(name, sizeof(name), "%s: ioctl(FIONREAD) is EBADF", what);
	CHECK_ERR(name, ioctl(fd, FIONREAD, &n), EBADF);
	/*
	 * The raw call, with the mode the file has: musl's fchmod() retries
	 * an EBADF through chmod("/proc/self/fd/N"), which would change the
	 * file (the host's / when run natively as root).
	 */
	snprintf(name, sizeof(name), "%s: fchmod is EBADF", what);
	CHECK_ERR(name, fstat(fd, &st) == 0 ? syscall(SYS_fchmod, fd, st.st_mode & 07777) : -2,
		  EBADF);
	snprintf(name, sizeof(name), "%s: lseek is EBADF", what);
	CHECK_ERR(name, lseek(fd, 0, SEEK_SET), EBADF);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	snprintf(name, sizeof(name), "%s: mmap is EBADF", what);
	CHECK_ERR(name, m == MAP_FAILED ? -1 : 0, EBADF);
	snprintf(name, sizeof(name), "%s: getdents64 is EBADF", what);
	CHECK_ERR(name, syscall(SYS_getdents64, fd, buf, sizeof(buf)), EBADF);
	pfd.fd = fd;
	pfd.events = POLLIN;
	snprintf(name, sizeof(name), "%s: poll says POLLNVAL", what);
	CHECK_EQ(name, poll(&pfd, 1, 0) == 1 ? pfd.revents : -1, POLLNVAL);
}

int
main(void)
{
	struct stat st, st2, root_st;
	char buf[256], proc[64], cwd[256];
	int root, file, f2, dir, lnk, d, n;

	guest_begin("t_opath", "O_PATH descriptors");
	CHECK_OK("stat(/)", stat("/", &root_st));

	root = open("/", O_PATH | O_DIRECTORY);
	if (!CHECK_OK("open(/, O_PATH|O_DIRECTORY)", root))
		return guest_end();
	CHECK_OK("fstat of it", fstat(root, &st));
	CHECK_TRUE("it is the root", same_file(&st, &root_st), "ino %lu", (unsigned long)st.st_ino);
	CHECK_OK("fstatat(AT_EMPTY_PATH)", fstatat(root, "", &st2, AT_EMPTY_PATH));
	CHECK_TRUE("fstatat(AT_EMPTY_PATH) is the root", same_file(&st2, &root_st), "ino %lu",
		   (unsigned long)st2.st_ino);
	n = fcntl(root, F_GETFL);
	CHECK_TRUE("F_GETFL has O_PATH", n >= 0 && (n & O_PATH), "flags %#x", n);
	CHECK_EQ("F_GETFD is 0", fcntl(root, F_GETFD), 0);
	CHECK_OK("F_SETFD FD_CLOEXEC", fcntl(root, F_SETFD, FD_CLOEXEC));
	CHECK_EQ("F_GETFD is FD_CLOEXEC", fcntl(root, F_GETFD), FD_CLOEXEC);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", root);
	n = readlink(proc, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR("readlink(/proc/self/fd/N) is /", buf, "/");

	/* The descriptor as a directory for the *at calls. */
	file = openat(root, "etc/passwd", O_RDONLY);
	CHECK_OK("openat(it, etc/passwd, O_RDONLY)", file);
	CHECK_TRUE("and it reads", file >= 0 && read(file, buf, 1) == 1, "no");
	close(file);
	CHECK_OK("fstatat(it, etc)", fstatat(root, "etc", &st, 0));
	CHECK_TRUE("etc is a directory", S_ISDIR(st.st_mode), "mode %o", st.st_mode);

	/* ".." at the root stays there. */
	d = openat(root, "..", O_PATH | O_DIRECTORY);
	CHECK_OK("openat(it, .., O_PATH)", d);
	CHECK_TRUE("/.. is the root", d >= 0 && fstat(d, &st) == 0 && same_file(&st, &root_st),
		   "ino %lu", (unsigned long)st.st_ino);
	close(d);
	d = openat(root, "../../..", O_RDONLY | O_DIRECTORY);
	CHECK_TRUE("/../../.. is the root", d >= 0 && fstat(d, &st) == 0 && same_file(&st, &root_st),
		   "fd %d ino %lu", d, (unsigned long)st.st_ino);
	close(d);
	CHECK_OK("stat(/etc)", stat("/etc", &st2));
	CHECK_TRUE("openat(it, ../etc) is /etc", fstatat(root, "../etc", &st, 0) == 0 &&
		   same_file(&st, &st2), "ino %lu", (unsigned long)st.st_ino);

	/* fchdir, dup. */
	d = dup(root);
	CHECK_OK("dup", d);
	CHECK_OK("fchdir(the dup)", fchdir(d));
	CHECK_STR("getcwd after fchdir", getcwd(cwd, sizeof(cwd)) ? cwd : "(null)", "/");
	CHECK_OK("close(the dup)", close(d));
	refused("root directory", root);

	/* A file of the root. */
	file = open("/etc/passwd", O_PATH);
	if (CHECK_OK("open(/etc/passwd, O_PATH)", file)) {
		CHECK_OK("fstat", fstat(file, &st));
		CHECK_TRUE("a regular file", S_ISREG(st.st_mode), "mode %o", st.st_mode);
		refused("/etc/passwd", file);
		CHECK_ERR("openat(file, x) is ENOTDIR", openat(file, "x", O_RDONLY), ENOTDIR);
		close(file);
	}
	CHECK_ERR("open(/etc/passwd, O_PATH|O_DIRECTORY) is ENOTDIR",
		  open("/etc/passwd", O_PATH | O_DIRECTORY), ENOTDIR);

	/* /tmp: a file, a directory, a symlink. */
	snprintf(cwd, sizeof(cwd), "/tmp/t_opath.%d", (int)getpid());
	CHECK_OK("mkdir in /tmp", mkdir(cwd, 0755));
	CHECK_OK("chdir to it", chdir(cwd));
	f2 = open("f", O_CREAT | O_WRONLY, 0644);
	CHECK_EQ("write f", write(f2, "hello", 5), 5);
	close(f2);
	CHECK_OK("symlink l -> f", symlink("f", "l"));
	f2 = open("f", O_PATH);
	if (CHECK_OK("open(tmp file, O_PATH)", f2)) {
		CHECK_TRUE("fstat: 5 bytes", fstat(f2, &st) == 0 && st.st_size == 5, "size %ld",
			   (long)st.st_size);
		refused("tmp file", f2);
		close(f2);
	}
	lnk = open("l", O_PATH | O_NOFOLLOW);
	if (CHECK_OK("open(tmp symlink, O_PATH|O_NOFOLLOW)", lnk)) {
		CHECK_TRUE("fstat: the link itself", fstat(lnk, &st) == 0 && S_ISLNK(st.st_mode),
			   "mode %o", st.st_mode);
		close(lnk);
	}
	dir = open(cwd, O_PATH | O_DIRECTORY);
	if (CHECK_OK("open(tmp dir, O_PATH|O_DIRECTORY)", dir)) {
		f2 = openat(dir, "f", O_RDONLY);
		CHECK_TRUE("openat(it, f) reads hello", f2 >= 0 && read(f2, buf, 5) == 5 &&
			   memcmp(buf, "hello", 5) == 0, "fd %d", f2);
		close(f2);
		CHECK_OK("fstatat(it, l, AT_SYMLINK_NOFOLLOW)",
			 fstatat(dir, "l", &st, AT_SYMLINK_NOFOLLOW));
		refused("tmp directory", dir);
		close(dir);
	}
	unlink("l");
	unlink("f");
	CHECK_OK("chdir(/)", chdir("/"));
	CHECK_OK("rmdir", rmdir(cwd));
	CHECK_OK("close(root)", close(root));
	CHECK_ERR("close again is EBADF", close(root), EBADF);
	return guest_end();
}
