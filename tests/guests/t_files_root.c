/*
 * t_files_root - reading files, directories and symlinks of the passthrough
 * root.
 *
 * Usage: t_files_root DIR SIZE CKSUM
 *
 * DIR is a directory the harness made in the host tree (outside /tmp, which
 * the guest sees as its own tmpfs), given as a physical path:
 *	DIR/data	a regular file, mode 0644, SIZE bytes, whose POSIX
 *			cksum(1) CRC is CKSUM (both computed natively)
 *	DIR/link	symlink to "data"
 *	DIR/abslink	symlink to "DIR/data"
 *	DIR/sub/	a directory holding one file, "file"
 * Nothing is written to DIR: the root is read-only to the guest.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest.h"

#define PAGE 4096L

static const char *dir;
static long size;
static char *data; /* the whole file, as read() returned it */

/* cksum - the CRC of POSIX cksum(1): CRC-32/CKSUM over the data, then its length. */
static uint32_t
cksum(const unsigned char *p, size_t len)
{
	static uint32_t table[256];
	uint32_t crc = 0;
	size_t i;
	size_t n;

	if (!table[1])
		for (i = 0; i < 256; i++) {
			uint32_t c = (uint32_t)i << 24;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
			table[i] = c;
		}
	for (i = 0; i < len; i++)
		crc = (crc << 8) ^ table[((crc >> 24) ^ p[i]) & 0xff];
	for (n = len; n; n >>= 8)
		crc = (crc << 8) ^ table[((crc >> 24) ^ n) & 0xff];
	return ~crc;
}

static const char *
path(const char *name)
{
	static char buf[2][4096];
	static int turn;

	turn ^= 1;
	snprintf(buf[turn], sizeof(buf[turn]), "%s/%s", dir, name);
	return buf[turn];
}

/* read_whole - read DIR/data with odd-sized reads; checks size and checksum. */
static int
read_whole(uint32_t want_crc)
{
	long got = 0;
	long n;
	int fd = open(path("data"), O_RDONLY | O_CLOEXEC);

	if (!CHECK_OK("open DIR/data read-only", fd))
		return -1;
	/* One page more than needed, so that a read past the size shows. */
	data = mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED) {
		say("FAIL: mmap of a %ld-byte buffer (got errno %s)\n", size + PAGE,
		    errname(errno));
		exit(1);
	}
	while ((n = read(fd, data + got, got + 7919 <= size + PAGE ? 7919 : size + PAGE - got)) > 0)
		got += n;
	CHECK_EQ("read() returns 0 at end of file, not an error", n, 0);
	CHECK_EQ("read() returns the file's size in all", got, size);
	CHECK_EQX("the bytes read have the cksum computed natively",
		  cksum((unsigned char *)data, got), want_crc);
	return fd;
}

/* Minimal struct statx (the kernel ABI), since musl 1.2.3 has no statx(). */
struct statx_abi {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad1;
	uint64_t ino, size, blocks, attributes_mask;
	uint8_t rest[256 - 64];
};

static void
check_stat(int fd)
{
	struct stat fst, st, lst, ast;
	struct statx_abi stx;
	int dfd;

	CHECK_EQ("fstat", fstat(fd, &fst), 0);
	CHECK_EQ("fstat size is the size computed natively", fst.st_size, size);
	CHECK_TRUE("fstat says a regular file of mode 0644",
		   S_ISREG(fst.st_mode) && (fst.st_mode & 07777) == 0644,
		   "got mode %#o, want 0100644", (unsigned)fst.st_mode);
	CHECK_EQ("stat", stat(path("data"), &st), 0);
	CHECK_TRUE("stat and fstat agree on size, inode and device",
		   st.st_size == fst.st_size && st.st_ino == fst.st_ino && st.st_dev == fst.st_dev,
		   "got size %ld ino %lu, want %ld ino %lu", (long)st.st_size,
		   (unsigned long)st.st_ino, (long)fst.st_size, (unsigned long)fst.st_ino);
	CHECK_EQ("lstat of a regular file", lstat(path("data"), &lst), 0);
	CHECK_EQ("lstat size agrees", lst.st_size, size);
	CHECK_TRUE("st_blksize and st_nlink are sane", fst.st_blksize > 0 && fst.st_nlink >= 1,
		   "got blksize %ld nlink %lu", (long)fst.st_blksize, (unsigned long)fst.st_nlink);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open DIR with O_DIRECTORY", dfd)) {
		CHECK_EQ("fstatat(dirfd, \"data\")", fstatat(dfd, "data", &ast, 0), 0);
		CHECK_EQ("fstatat size agrees", ast.st_size, size);
		CHECK_EQ("statx(dirfd, \"data\", STATX_BASIC_STATS)",
			 syscall(SYS_statx, dfd, "data", 0, 0x7ffu, &stx), 0);
		CHECK_TRUE("statx size, inode and mode agree with fstat",
			   stx.size == (uint64_t)size && stx.ino == fst.st_ino &&
			       stx.mode == fst.st_mode,
			   "got size %lu ino %lu mode %#o", (unsigned long)stx.size,
			   (unsigned long)stx.ino, stx.mode);
		CHECK_EQ("fstat of the directory", fstat(dfd, &ast), 0);
		CHECK_TRUE("the directory is S_ISDIR", S_ISDIR(ast.st_mode), "got mode %#o",
			   (unsigned)ast.st_mode);
		close(dfd);
	}
	CHECK_ERR("stat of a missing file is ENOENT", stat(path("missing"), &st), ENOENT);
	CHECK_ERR("stat through a file as a directory is ENOTDIR", stat(path("data/x"), &st),
		  ENOTDIR);
}

static void
check_seek(int fd)
{
	char b[16];

	CHECK_EQ("lseek(0, SEEK_END) is the size", lseek(fd, 0, SEEK_END), size);
	CHECK_EQ("read at end of file returns 0", read(fd, b, sizeof(b)), 0);
	CHECK_EQ("lseek(100, SEEK_SET)", lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ("read 10 bytes at 100", read(fd, b, 10), 10);
	CHECK_TRUE("they are bytes 100..109 of the file", memcmp(b, data + 100, 10) == 0,
		   "got other bytes");
	CHECK_EQ("lseek(0, SEEK_CUR) is 110", lseek(fd, 0, SEEK_CUR), 110);
	CHECK_EQ("lseek(-10, SEEK_CUR) is 100", lseek(fd, -10, SEEK_CUR), 100);
	CHECK_ERR("lseek to a negative offset is EINVAL", lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_EQ("the failed lseek left the offset", lseek(fd, 0, SEEK_CUR), 100);
	CHECK_ERR("lseek with a bad whence is EINVAL", lseek(fd, 0, 42), EINVAL);
	CHECK_EQ("lseek(-10, SEEK_END)", lseek(fd, -10, SEEK_END), size - 10);
	CHECK_EQ("read of 16 returns the last 10 bytes", read(fd, b, 16), 10);
	CHECK_TRUE("they are the file's last 10 bytes", memcmp(b, data + size - 10, 10) == 0,
		   "got other bytes");
	CHECK_EQ("lseek past the end is allowed", lseek(fd, size + 1000, SEEK_SET), size + 1000);
	CHECK_EQ("read past the end returns 0", read(fd, b, 16), 0);
}

static void
check_pread_readv(int fd)
{
	static const long offs[] = {0, 1, 4095, 4096, 4097, 12345};
	char b[8192];
	struct iovec iov[3];
	unsigned i;

	lseek(fd, 77, SEEK_SET);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		long want = offs[i] + 5000 <= size ? 5000 : size - offs[i];
		char what[80];

		if (want < 0)
			continue;
		snprintf(what, sizeof(what), "pread64 of 5000 bytes at %ld", offs[i]);
		if (CHECK_EQ(what, pread(fd, b, 5000, offs[i]), want)) {
			snprintf(what, sizeof(what), "pread64 at %ld returns the file's bytes",
				 offs[i]);
			CHECK_TRUE(what, memcmp(b, data + offs[i], want) == 0, "got other bytes");
		}
	}
	CHECK_EQ("pread64 at the last 5 bytes returns 5", pread(fd, b, 100, size - 5), 5);
	CHECK_EQ("pread64 at the end returns 0", pread(fd, b, 100, size), 0);
	CHECK_ERR("pread64 at a negative offset is EINVAL", pread(fd, b, 1, -1), EINVAL);
	CHECK_EQ("pread64 leaves the file offset alone", lseek(fd, 0, SEEK_CUR), 77);

	lseek(fd, 0, SEEK_SET);
	iov[0].iov_base = b;
	iov[0].iov_len = 1;
	iov[1].iov_base = b + 1;
	iov[1].iov_len = 4095;
	iov[2].iov_base = b + 4096;
	iov[2].iov_len = 3000;
	if (size >= 7096) {
		CHECK_EQ("readv of 1 + 4095 + 3000 bytes", readv(fd, iov, 3), 7096);
		CHECK_TRUE("readv fills the buffers in order", memcmp(b, data, 7096) == 0,
			   "got other bytes");
		CHECK_EQ("readv advances the offset", lseek(fd, 0, SEEK_CUR), 7096);
	}
}

static void
check_cwd(void)
{
	char buf[4096];
	char want[4096];
	int dfd;
	int fd;

	CHECK_EQ("chdir(DIR)", chdir(dir), 0);
	CHECK_STR("getcwd is DIR", getcwd(buf, sizeof(buf)), dir);
	fd = open("data", O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open of \"data\" relative to the cwd", fd)) {
		CHECK_EQ("it reads the same first bytes",
			 read(fd, buf, 64) == 64 && memcmp(buf, data, 64) == 0, 1);
		close(fd);
	}
	CHECK_EQ("chdir(\"sub\")", chdir("sub"), 0);
	snprintf(want, sizeof(want), "%s/sub", dir);
	CHECK_STR("getcwd is DIR/sub", getcwd(buf, sizeof(buf)), want);
	CHECK_EQ("access(\"file\") in the new cwd", access("file", F_OK), 0);
	CHECK_EQ("chdir(\"..\")", chdir(".."), 0);
	CHECK_STR("getcwd is DIR again", getcwd(buf, sizeof(buf)), dir);
	CHECK_ERR("getcwd into a 2-byte buffer is ERANGE", syscall(SYS_getcwd, buf, 2), ERANGE);
	CHECK_ERR("chdir to a file is ENOTDIR", chdir("data"), ENOTDIR);
	CHECK_ERR("chdir to a missing directory is ENOENT", chdir("missing"), ENOENT);

	CHECK_EQ("chdir(\"/\")", chdir("/"), 0);
	CHECK_STR("getcwd is /", getcwd(buf, sizeof(buf)), "/");
	CHECK_EQ("chdir(\"..\") at /", chdir(".."), 0);
	CHECK_STR("\"..\" of / is / itself", getcwd(buf, sizeof(buf)), "/");

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open DIR", dfd)) {
		CHECK_EQ("fchdir(DIR)", fchdir(dfd), 0);
		CHECK_STR("getcwd after fchdir is DIR", getcwd(buf, sizeof(buf)), dir);
		close(dfd);
	}
}

static void
check_links(void)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int dfd;
	int fd;

	n = readlink(path("link"), buf, sizeof(buf));
	CHECK_EQ("readlink(link) returns the target's length", n, 4);
	CHECK_TRUE("readlink(link) is \"data\"", n == 4 && memcmp(buf, "data", 4) == 0,
		   "got \"%.*s\"", n > 0 ? (int)n : 0, buf);
	n = readlink(path("abslink"), buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	CHECK_STR("readlink(abslink) is DIR/data", buf, path("data"));
	n = readlink(path("link"), buf, 2);
	CHECK_TRUE("readlink into a 2-byte buffer truncates to 2",
		   n == 2 && memcmp(buf, "da", 2) == 0, "got %ld", (long)n);
	CHECK_ERR("readlink of a regular file is EINVAL", readlink(path("data"), buf, sizeof(buf)),
		  EINVAL);
	CHECK_ERR("readlink of a missing file is ENOENT",
		  readlink(path("missing"), buf, sizeof(buf)), ENOENT);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		n = readlinkat(dfd, "link", buf, sizeof(buf));
		CHECK_TRUE("readlinkat(dirfd, \"link\") is \"data\"",
			   n == 4 && memcmp(buf, "data", 4) == 0, "got %ld", (long)n);
		close(dfd);
	}

	CHECK_EQ("lstat(link)", lstat(path("link"), &st), 0);
	CHECK_TRUE("lstat(link) is a symlink whose size is its target's length",
		   S_ISLNK(st.st_mode) && st.st_size == 4, "got mode %#o size %ld",
		   (unsigned)st.st_mode, (long)st.st_size);
	CHECK_EQ("stat(link) follows it", stat(path("link"), &st), 0);
	CHECK_TRUE("stat(link) is the data file", S_ISREG(st.st_mode) && st.st_size == size,
		   "got mode %#o size %ld", (unsigned)st.st_mode, (long)st.st_size);
	CHECK_EQ("stat(abslink) follows an absolute symlink", stat(path("abslink"), &st), 0);
	CHECK_EQ("stat(abslink) size", st.st_size, size);
	fd = open(path("abslink"), O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open through the absolute symlink", fd)) {
		CHECK_EQ("it reads the data file",
			 read(fd, buf, 100) == 100 && memcmp(buf, data, 100) == 0, 1);
		close(fd);
	}
	CHECK_ERR("open(link, O_NOFOLLOW) is ELOOP",
		  open(path("link"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ELOOP);
}

static void
check_access(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK_EQ("access(data, R_OK)", access(path("data"), R_OK), 0);
	CHECK_EQ("access(data, F_OK)", access(path("data"), F_OK), 0);
	CHECK_ERR("access(data, X_OK) of a mode-0644 file is EACCES", access(path("data"), X_OK),
		  EACCES);
	CHECK_ERR("access of a missing file is ENOENT", access(path("missing"), F_OK), ENOENT);
	CHECK_EQ("access(DIR/sub, X_OK)", access(path("sub"), X_OK), 0);
	if (dfd >= 0) {
		CHECK_EQ("faccessat(dirfd, \"data\", R_OK)",
			 syscall(SYS_faccessat, dfd, "data", R_OK), 0);
		CHECK_ERR("faccessat(dirfd, \"missing\") is ENOENT",
			  syscall(SYS_faccessat, dfd, "missing", F_OK), ENOENT);
		close(dfd);
	}
}

static void
check_open_errors(void)
{
	char b[16];
	int fd;

	CHECK_ERR("open(data, O_DIRECTORY) is ENOTDIR",
		  open(path("data"), O_RDONLY | O_DIRECTORY | O_CLOEXEC), ENOTDIR);
	CHECK_ERR("open of a missing file is ENOENT", open(path("missing"), O_RDONLY | O_CLOEXEC),
		  ENOENT);
	CHECK_ERR("open below a regular file is ENOTDIR",
		  open(path("data/x"), O_RDONLY | O_CLOEXEC), ENOTDIR);
	fd = open(dir, O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open of a directory read-only", fd)) {
		CHECK_ERR("read() of a directory is EISDIR", read(fd, b, sizeof(b)), EISDIR);
		CHECK_ERR("read() of 0 bytes from a directory is EISDIR", read(fd, b, 0), EISDIR);
		close(fd);
	}
	/* Synthetic directories too (read(2)'s EISDIR does not depend on the count). */
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(/proc, O_DIRECTORY)", fd)) {
		CHECK_ERR("read() of /proc is EISDIR", read(fd, b, sizeof(b)), EISDIR);
		CHECK_ERR("read() of 0 bytes from /proc is EISDIR", read(fd, b, 0), EISDIR);
		close(fd);
	}
	/* pread(2): "The file offset is not changed", on a /proc file too. */
	fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open(/proc/version)", fd)) {
		char a[6] = "", c[6] = "";

		CHECK_EQ("pread(/proc/version, 5, 0)", pread(fd, a, 5, 0), 5);
		CHECK_EQ("the offset is still 0", lseek(fd, 0, SEEK_CUR), 0);
		CHECK_EQ("read() after it", read(fd, c, 5), 5);
		CHECK_STR("read() starts where pread() did, at 0", c, a);
		CHECK_EQ("read() moved the offset", lseek(fd, 0, SEEK_CUR), 5);
		close(fd);
	}
}

/* A private file mapping: the file's bytes, zero after the end, writes stay private. */
static void
check_mmap(int fd)
{
	long maplen = (size + PAGE - 1) & ~(PAGE - 1);
	char *m = mmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, 0);
	char b[64];
	char *w;
	long i;

	if (CHECK_TRUE("mmap(PROT_READ, MAP_PRIVATE) of the file", m != MAP_FAILED, "got errno %s",
		       errname(errno))) {
		CHECK_TRUE("the mapping holds the file's bytes", memcmp(m, data, size) == 0,
			   "got other bytes");
		for (i = size; i < maplen && !m[i]; i++)
			;
		CHECK_EQ("the last page is zero after the end of the file", i, maplen);
		munmap(m, maplen);
	}
	if (size <= 2 * PAGE)
		return;
	w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
	if (CHECK_TRUE("mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE) at file offset 4096",
		       w != MAP_FAILED, "got errno %s", errname(errno))) {
		CHECK_TRUE("it holds the file's second page", memcmp(w, data + PAGE, PAGE) == 0,
			   "got other bytes");
		memset(w, 'X', 64);
		CHECK_EQ("pread after writing to the private mapping", pread(fd, b, 64, PAGE), 64);
		CHECK_TRUE("the file does not see the private write",
			   memcmp(b, data + PAGE, 64) == 0, "got the written bytes");
		munmap(w, PAGE);
	}
	CHECK_ERR("mmap at an unaligned file offset is EINVAL",
		  (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
}

int
main(int argc, char **argv)
{
	uint32_t want_crc;
	int fd;

	if (argc != 4) {
		say("usage: t_files_root DIR SIZE CKSUM\n");
		return 2;
	}
	dir = argv[1];
	size = strtol(argv[2], NULL, 10);
	want_crc = strtoul(argv[3], NULL, 10);
	guest_begin("t_files_root", "reading the read-only passthrough root");
	say("     DIR %s, data %ld bytes, cksum %lu\n", dir, size, (unsigned long)want_crc);

	fd = read_whole(want_crc);
	if (fd < 0)
		return guest_end();
	check_stat(fd);
	check_seek(fd);
	check_pread_readv(fd);
	check_mmap(fd);
	close(fd);
	check_links();
	check_access();
	check_open_errors();
	check_cwd();
	return guest_end();
}
