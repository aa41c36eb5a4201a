/*
 * t_files_tmp - writing files and directories under /tmp, and failing to
 * write anywhere else.
 *
 * Usage: t_files_tmp [--ro-dir DIR --ro-file FILE] [--marker NAME]
 *
 * Everything is made in a fresh directory /tmp/t_files_tmp.XXXXXX and removed
 * at the end (natively /tmp is the host's, shared with other runs).
 *
 * --ro-dir DIR --ro-file FILE: DIR must not be writable and FILE (an existing
 *	file) not openable for writing: creating DIR/uvk-test-*, mkdir there and
 *	open(FILE, O_WRONLY) must fail with EROFS or EACCES. The harness passes
 *	these under uvk (the root is read-only) and natively only when it is not
 *	root (root may write anywhere on the host). Nothing is truncated or
 *	removed there, and a file created by mistake is removed again.
 * --marker NAME: create /tmp/NAME and leave it. The harness checks that it
 *	appears on the host natively and does not under uvk, whose /tmp is the
 *	guest's own tmpfs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest.h"

static char top[64];

static const char *
path(const char *name)
{
	static char buf[4][512];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(buf[turn], sizeof(buf[turn]), "%s/%s", top, name);
	return buf[turn];
}

static long
fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static int
content_is(int fd, off_t off, const char *want, size_t len)
{
	char buf[256];

	return len <= sizeof(buf) && pread(fd, buf, len, off) == (ssize_t)len &&
	       memcmp(buf, want, len) == 0;
}

static void
check_create(void)
{
	struct stat st;
	int fd;

	umask(022);
	fd = open(path("a"), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	if (!CHECK_OK("open(a, O_CREAT|O_EXCL|O_WRONLY)", fd))
		return;
	CHECK_EQ("write 5 bytes", write(fd, "hello", 5), 5);
	CHECK_EQ("fstat", fstat(fd, &st), 0);
	CHECK_EQ("fstat size is 5", st.st_size, 5);
	CHECK_TRUE("mode is 0666 & ~umask 022", S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
		   "got %#o, want 0100644", (unsigned)st.st_mode);
	CHECK_ERR("read from an O_WRONLY descriptor is EBADF", read(fd, top, 1), EBADF);
	CHECK_EQ("fsync", fsync(fd), 0);
	CHECK_EQ("fdatasync", fdatasync(fd), 0);
	CHECK_EQ("close", close(fd), 0);
	CHECK_ERR("O_CREAT|O_EXCL of an existing file is EEXIST",
		  open(path("a"), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644), EEXIST);

	fd = open(path("a"), O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open(a, O_RDONLY)", fd)) {
		CHECK_TRUE("a reads \"hello\"", content_is(fd, 0, "hello", 5), "got other bytes");
		CHECK_ERR("write to an O_RDONLY descriptor is EBADF", write(fd, "x", 1), EBADF);
		close(fd);
	}
	CHECK_ERR("O_CREAT in a missing directory is ENOENT",
		  open(path("nodir/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644), ENOENT);
	CHECK_ERR("opening a missing file without O_CREAT is ENOENT",
		  open(path("nofile"), O_RDWR | O_CLOEXEC), ENOENT);
}

static void
check_writes(void)
{
	static const char zeros[100];
	struct iovec iov[3] = {
	    {.iov_base = "one,", .iov_len = 4},
	    {.iov_base = "", .iov_len = 0},
	    {.iov_base = "two", .iov_len = 3},
	};
	int fd = open(path("b"), O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (!CHECK_OK("open(b, O_CREAT|O_RDWR)", fd))
		return;
	CHECK_EQ("writev of 4 + 0 + 3 bytes", writev(fd, iov, 3), 7);
	CHECK_EQ("writev advances the offset", lseek(fd, 0, SEEK_CUR), 7);
	CHECK_TRUE("b reads \"one,two\"", content_is(fd, 0, "one,two", 7), "got other bytes");

	CHECK_EQ("pwrite64 of 3 bytes at 100", pwrite(fd, "end", 3, 100), 3);
	CHECK_EQ("pwrite64 leaves the offset", lseek(fd, 0, SEEK_CUR), 7);
	CHECK_EQ("pwrite64 past the end extends the file", fsize(path("b")), 103);
	CHECK_TRUE("the hole reads as zeros", content_is(fd, 7, zeros, 93), "got other bytes");
	CHECK_TRUE("the pwrite64 bytes are at 100", content_is(fd, 100, "end", 3),
		   "got other bytes");
	CHECK_EQ("pwrite64 of 3 bytes at 0 overwrites", pwrite(fd, "ONE", 3, 0), 3);
	CHECK_TRUE("b starts \"ONE,two\"", content_is(fd, 0, "ONE,two", 7), "got other bytes");
	CHECK_ERR("pwrite64 at a negative offset is EINVAL", pwrite(fd, "x", 1, -1), EINVAL);

	CHECK_EQ("ftruncate to 5", ftruncate(fd, 5), 0);
	CHECK_EQ("size is 5", fsize(path("b")), 5);
	CHECK_EQ("ftruncate to 50", ftruncate(fd, 50), 0);
	CHECK_TRUE("growing by ftruncate reads zeros", content_is(fd, 5, zeros, 45),
		   "got other bytes");
	CHECK_TRUE("and keeps what was before", content_is(fd, 0, "ONE,t", 5), "got other bytes");
	CHECK_EQ("truncate(b, 2) by path", truncate(path("b"), 2), 0);
	CHECK_EQ("fstat after truncate sees 2", fsize(path("b")), 2);
	CHECK_ERR("ftruncate to a negative length is EINVAL", ftruncate(fd, -1), EINVAL);
	close(fd);

	/* O_APPEND: each write goes to the end, wherever the offset was. */
	fd = open(path("b"), O_WRONLY | O_APPEND | O_CLOEXEC);
	if (CHECK_OK("open(b, O_WRONLY|O_APPEND)", fd)) {
		lseek(fd, 0, SEEK_SET);
		CHECK_EQ("write with O_APPEND", write(fd, "xyz", 3), 3);
		CHECK_EQ("O_APPEND wrote at the end", fsize(path("b")), 5);
		CHECK_EQ("the offset is the new end", lseek(fd, 0, SEEK_CUR), 5);
		/*
		 * pwrite(2), BUGS: with O_APPEND, Linux appends "regardless of
		 * the value of offset"; the offset stays where it was.
		 */
		CHECK_EQ("pwrite64 at 0 with O_APPEND", pwrite(fd, "!", 1, 0), 1);
		CHECK_EQ("it appended", fsize(path("b")), 6);
		CHECK_EQ("and left the offset", lseek(fd, 0, SEEK_CUR), 5);
		close(fd);
		fd = open(path("b"), O_RDWR | O_CLOEXEC);
		CHECK_TRUE("b reads \"ONxyz!\"", content_is(fd, 0, "ONxyz!", 6), "got other bytes");
		/* A pwrite64 at the very offset the file is at leaves it there too. */
		CHECK_EQ("pwrite64 at the offset (0)", pwrite(fd, "o", 1, 0), 1);
		CHECK_EQ("the offset is still 0", lseek(fd, 0, SEEK_CUR), 0);
		CHECK_EQ("write() after it", write(fd, "0", 1), 1);
		CHECK_TRUE("write() went to 0, over the pwrite64", content_is(fd, 0, "0Nxyz!", 6),
			   "got other bytes");
		close(fd);
	}

	fd = open(path("b"), O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (CHECK_OK("open(b, O_WRONLY|O_TRUNC)", fd)) {
		CHECK_EQ("O_TRUNC empties the file", fsize(path("b")), 0);
		close(fd);
	}
}

/* A 1 MiB file written in odd pieces, read back across page boundaries. */
static void
check_big(void)
{
	static unsigned char buf[1 << 20];
	static unsigned char back[1 << 20];
	size_t off = 0;
	size_t i;
	int fd = open(path("big"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);

	if (!CHECK_OK("open(big, O_CREAT|O_RDWR)", fd))
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 12));
	while (off < sizeof(buf)) {
		size_t n = sizeof(buf) - off < 3001 ? sizeof(buf) - off : 3001;

		if (write(fd, buf + off, n) != (ssize_t)n)
			break;
		off += n;
	}
	CHECK_EQ("1 MiB written in 3001-byte pieces", off, sizeof(buf));
	CHECK_EQ("pread64 of the whole MiB", pread(fd, back, sizeof(back), 0), sizeof(back));
	CHECK_TRUE("it reads back as written", memcmp(buf, back, sizeof(buf)) == 0,
		   "got other bytes");
	close(fd);
}

/* list - the names in d other than . and .., via getdents64, comma-joined and sorted. */
static void
list(const char *d, char *out, size_t outlen)
{
	char buf[1024];
	char names[16][64];
	int n = 0;
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long got;
	int i, j;

	out[0] = 0;
	if (fd < 0)
		return;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long pos = 0;

		while (pos < got) {
			struct dirent64 *de = (struct dirent64 *)(buf + pos);

			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && n < 16)
				snprintf(names[n++], sizeof(names[0]), "%.63s", de->d_name);
			pos += de->d_reclen;
		}
	}
	close(fd);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[64];

			memcpy(t, names[j], sizeof(t));
			memcpy(names[j], names[j - 1], sizeof(t));
			memcpy(names[j - 1], t, sizeof(t));
		}
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static void
check_dirs(void)
{
	char names[512];
	struct stat st;
	int dfd;
	int fd;

	CHECK_EQ("mkdir(sub, 0755)", mkdir(path("sub"), 0755), 0);
	CHECK_ERR("mkdir of an existing name is EEXIST", mkdir(path("sub"), 0755), EEXIST);
	CHECK_TRUE("sub is a directory", stat(path("sub"), &st) == 0 && S_ISDIR(st.st_mode),
		   "got mode %#o", (unsigned)st.st_mode);
	fd = open(path("sub/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK_OK("create sub/f", fd);
	close(fd);

	list(top, names, sizeof(names));
	CHECK_STR("getdents64 lists what was created", names, "a,b,big,sub");
	list(path("sub"), names, sizeof(names));
	CHECK_STR("getdents64 of sub lists f", names, "f");

	CHECK_ERR("rmdir of a non-empty directory is ENOTEMPTY", rmdir(path("sub")), ENOTEMPTY);
	CHECK_ERR("unlink of a directory is EISDIR", unlink(path("sub")), EISDIR);
	CHECK_ERR("rmdir of a file is ENOTDIR", rmdir(path("a")), ENOTDIR);
	CHECK_ERR("mkdir below a file is ENOTDIR", mkdir(path("a/x"), 0755), ENOTDIR);

	CHECK_EQ("rename(a, c)", rename(path("a"), path("c")), 0);
	CHECK_ERR("the old name is gone", access(path("a"), F_OK), ENOENT);
	CHECK_EQ("the new name has the content", fsize(path("c")), 5);
	CHECK_EQ("rename(c, b) replaces b", rename(path("c"), path("b")), 0);
	CHECK_EQ("b now has c's 5 bytes", fsize(path("b")), 5);
	CHECK_EQ("rename(b, sub/b) into a subdirectory", rename(path("b"), path("sub/b")), 0);
	CHECK_EQ("rename(sub, sub2) of a directory", rename(path("sub"), path("sub2")), 0);
	CHECK_EQ("its files moved with it", fsize(path("sub2/b")), 5);
	CHECK_ERR("rename of a missing file is ENOENT", rename(path("nofile"), path("x")), ENOENT);
	CHECK_ERR("rename of a directory into itself is EINVAL",
		  rename(path("sub2"), path("sub2/in")), EINVAL);
	/*
	 * Across mounts (rename(2), link(2): "oldpath and newpath are not on
	 * the same mounted filesystem"): EXDEV, even from a mount the caller
	 * cannot write, since Linux compares the mounts first. /dev is never
	 * /tmp's mount, natively or under uvk.
	 */
	CHECK_ERR("rename(/dev/null, tmp) is EXDEV", rename("/dev/null", path("devnull")), EXDEV);
	CHECK_ERR("link(/dev/null, tmp) is EXDEV", link("/dev/null", path("devnull")), EXDEV);
	CHECK_ERR("link(/dev/null, an existing tmp name) is EEXIST",
		  link("/dev/null", path("sub2/b")), EEXIST);
	CHECK_ERR("link(/dev/nonexistent, tmp) is ENOENT", link("/dev/uvk-none", path("x")), ENOENT);

	dfd = open(path("sub2"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(sub2, O_DIRECTORY)", dfd)) {
		/* read(2): EISDIR, whatever the count (Linux's generic_read_dir). */
		CHECK_ERR("read() of a directory is EISDIR", read(dfd, names, sizeof(names)), EISDIR);
		CHECK_ERR("read() of 0 bytes from a directory is EISDIR", read(dfd, names, 0), EISDIR);
		CHECK_EQ("mkdirat(dirfd, \"d\")", mkdirat(dfd, "d", 0700), 0);
		fd = openat(dfd, "d/g", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		CHECK_OK("openat(dirfd, \"d/g\", O_CREAT)", fd);
		close(fd);
		CHECK_EQ("renameat(dirfd, \"d/g\", dirfd, \"h\")", renameat(dfd, "d/g", dfd, "h"),
			 0);
		CHECK_EQ("unlinkat(dirfd, \"h\", 0)", unlinkat(dfd, "h", 0), 0);
		CHECK_EQ("unlinkat(dirfd, \"d\", AT_REMOVEDIR)", unlinkat(dfd, "d", AT_REMOVEDIR),
			 0);
		close(dfd);
	}
	list(path("sub2"), names, sizeof(names));
	CHECK_STR("sub2 holds b and f", names, "b,f");
	CHECK_EQ("unlink(sub2/b)", unlink(path("sub2/b")), 0);
	CHECK_EQ("unlink(sub2/f)", unlink(path("sub2/f")), 0);
	CHECK_ERR("unlink of a missing file is ENOENT", unlink(path("sub2/f")), ENOENT);
	CHECK_EQ("rmdir(sub2) once empty", rmdir(path("sub2")), 0);
	CHECK_ERR("sub2 is gone", access(path("sub2"), F_OK), ENOENT);
}

/* An unlinked file stays readable and writable through an open descriptor. */
static void
check_unlinked_open(void)
{
	struct stat st;
	int fd = open(path("ghost"), O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (!CHECK_OK("create ghost", fd))
		return;
	CHECK_EQ("write to ghost", write(fd, "boo", 3), 3);
	CHECK_EQ("unlink(ghost) while open", unlink(path("ghost")), 0);
	CHECK_ERR("the name is gone", access(path("ghost"), F_OK), ENOENT);
	CHECK_TRUE("the open file still reads \"boo\"", content_is(fd, 0, "boo", 3),
		   "got other bytes");
	CHECK_EQ("and can still be written", pwrite(fd, "!", 1, 3), 1);
	CHECK_TRUE("fstat of it works, with no links",
		   fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == 4,
		   "got nlink %lu size %ld", (unsigned long)st.st_nlink, (long)st.st_size);
	close(fd);
}

static int
refused(long ret, int err)
{
	return ret == -1 && (err == EROFS || err == EACCES);
}

static void
check_read_only(const char *ro_dir, const char *ro_file)
{
	char name[512];
	long ret;
	int e;

	snprintf(name, sizeof(name), "%s/uvk-test-%ld-%s", ro_dir, (long)getpid(), top + 5);
	ret = open(name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	e = errno;
	CHECK_TRUE("creating a file outside /tmp fails with EROFS or EACCES", refused(ret, e),
		   "got %ld errno %s, want -1 EROFS or EACCES", ret, ret == -1 ? errname(e) : "-");
	if (ret >= 0) {
		close(ret);
		unlink(name);
	}
	ret = mkdir(name, 0755);
	e = errno;
	CHECK_TRUE("mkdir outside /tmp fails with EROFS or EACCES", refused(ret, e),
		   "got %ld errno %s, want -1 EROFS or EACCES", ret, ret == -1 ? errname(e) : "-");
	if (ret == 0)
		rmdir(name);
	/* Never O_TRUNC: should the open wrongly succeed, the file must stay as it is. */
	ret = open(ro_file, O_WRONLY | O_CLOEXEC);
	e = errno;
	CHECK_TRUE("opening an existing file outside /tmp for writing fails with EROFS or EACCES",
		   refused(ret, e), "got %ld errno %s, want -1 EROFS or EACCES", ret,
		   ret == -1 ? errname(e) : "-");
	if (ret >= 0)
		close(ret);
	ret = open(ro_file, O_RDONLY | O_CLOEXEC);
	CHECK_OK("the same file opens read-only", ret);
	if (ret >= 0)
		close(ret);
}

int
main(int argc, char **argv)
{
	const char *ro_dir = NULL, *ro_file = NULL, *marker = NULL;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ro-dir") == 0)
			ro_dir = argv[i + 1];
		else if (strcmp(argv[i], "--ro-file") == 0)
			ro_file = argv[i + 1];
		else if (strcmp(argv[i], "--marker") == 0)
			marker = argv[i + 1];
		else
			break;
	}
	if (i != argc || !ro_dir != !ro_file) {
		say("usage: t_files_tmp [--ro-dir DIR --ro-file FILE] [--marker NAME]\n");
		return 2;
	}
	guest_begin("t_files_tmp", "writing under /tmp, and not outside it");
	snprintf(top, sizeof(top), "/tmp/t_files_tmp.XXXXXX");
	if (!CHECK_TRUE("mkdtemp(/tmp/t_files_tmp.XXXXXX)", mkdtemp(top), "got errno %s",
			errname(errno)))
		return guest_end();
	say("     working in %s\n", top);

	check_create();
	check_writes();
	check_big();
	check_dirs();
	check_unlinked_open();
	unlink(path("big"));
	CHECK_EQ("rmdir of the emptied working directory", rmdir(top), 0);

	if (ro_dir)
		check_read_only(ro_dir, ro_file);
	else
		say("     not checking writes outside /tmp (no --ro-dir given)\n");
	if (marker) {
		char m[512];
		int fd;

		snprintf(m, sizeof(m), "/tmp/%s", marker);
		fd = open(m, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		CHECK_OK("create the marker file in /tmp", fd);
		close(fd);
	}
	return guest_end();
}
