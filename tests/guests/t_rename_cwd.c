/*
 * t_rename_cwd - a working directory and directory descriptors name a
 * directory, not a path: they follow it when it is renamed, and a removed
 * working directory refuses new entries.
 *
 * Usage: t_rename_cwd BASE
 *
 * BASE is a writable directory given by its physical path (no symlink on the
 * way, so that getcwd() can be compared with it): /tmp, or under uvk a --bind
 * directory (natively the same host directory). Everything is made in a fresh
 * BASE/t_rename_cwd.XXXXXX and removed at the end. Checks, with Linux's
 * behaviour as the reference (rename(2), getcwd(3), rmdir(2), openat(2)):
 *
 *   - mkdir d, chdir d, keep d open twice (a dirfd and a descriptor to list),
 *     then rename d -> e by absolute paths: creat("x") relative to the cwd
 *     lands in e/x, getcwd() (libc and the raw call) says .../e,
 *     openat(dirfd, "y", O_CREAT) lands in e/y, and getdents64 on the
 *     descriptor opened before the rename lists x, y and z (z made through
 *     the new absolute name), and w too after a rewind;
 *   - rename e -> f by paths relative to the cwd ("../e"), then f -> p/q into
 *     another parent: getcwd follows, chdir("..") reaches p, fchdir(dirfd)
 *     comes back to p/q, and openat(dirfd, "..") is p;
 *   - rmdir of the cwd itself succeeds (Linux allows it); then getcwd() is
 *     ENOENT (getcwd(3): "The current working directory has been
 *     unlinked"), creat, mkdir and openat(removed dirfd, O_CREAT) are ENOENT,
 *     stat(".") still works with no links left, getdents64 on the removed
 *     directory is ENOENT, and chdir("..") returns to the old parent.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

static char top[512];

/* path - top/name, in one of four rotating buffers. */
static const char *
path(const char *name)
{
	static char buf[4][640];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(buf[turn], sizeof(buf[turn]), "%s/%s", top, name);
	return buf[turn];
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* same_as - stat(p) names the same file as fstat(fd). */
static int
same_as(const char *p, int fd)
{
	struct stat a, b;

	return stat(p, &a) == 0 && fstat(fd, &b) == 0 && same_file(&a, &b);
}

/* cwd - getcwd() into buf, or "(errno NAME)" when it fails. */
static const char *
cwd(char *buf, size_t len)
{
	if (getcwd(buf, len) == NULL)
		snprintf(buf, len, "(errno %s)", errname(errno));
	return buf;
}

/* raw_cwd - the getcwd system call itself, which libc may not use alone. */
static const char *
raw_cwd(char *buf, size_t len)
{
	long r = syscall(SYS_getcwd, buf, len);

	if (r < 0)
		snprintf(buf, len, "(errno %s)", errname(errno));
	return buf;
}

/*
 * list - the names getdents64 gives from fd's current offset to the end,
 * other than . and .., sorted and comma-joined; "(errno NAME)" on failure.
 */
static const char *
list(int fd, char *out, size_t outlen)
{
	char buf[2048];
	char names[32][64];
	int n = 0;
	long got;
	int i, j;

	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long pos = 0;

		while (pos < got) {
			/* d_reclen at 16, d_name at 19 in struct linux_dirent64. */
			unsigned short reclen;
			const char *name = buf + pos + 19;

			memcpy(&reclen, buf + pos + 16, sizeof(reclen));
			if (strcmp(name, ".") && strcmp(name, "..") && n < 32)
				snprintf(names[n++], sizeof(names[0]), "%.63s", name);
			pos += reclen;
		}
	}
	if (got < 0) {
		snprintf(out, outlen, "(errno %s)", errname(errno));
		return out;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[64];

			memcpy(t, names[j], sizeof(t));
			memcpy(names[j], names[j - 1], sizeof(t));
			memcpy(names[j - 1], t, sizeof(t));
		}
	out[0] = 0;
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", names[i]);
	return out;
}

static int
make(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void
check_renamed(void)
{
	char buf[1024], names[512];
	int dfd, lfd, fd;

	CHECK_EQ("mkdir(d)", mkdir(path("d"), 0755), 0);
	dfd = open(path("d"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lfd = open(path("d"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!CHECK_OK("open(d, O_DIRECTORY) as a dirfd", dfd) ||
	    !CHECK_OK("open(d, O_DIRECTORY) to list", lfd) ||
	    !CHECK_EQ("chdir(d)", chdir(path("d")), 0))
		return;
	CHECK_STR("getcwd() in d", cwd(buf, sizeof(buf)), path("d"));

	CHECK_EQ("rename(top/d, top/e) by absolute paths", rename(path("d"), path("e")), 0);
	CHECK_ERR("the old name is gone", access(path("d"), F_OK), ENOENT);

	fd = creat("x", 0644);
	if (CHECK_OK("creat(\"x\") in the renamed cwd", fd)) {
		CHECK_TRUE("x is e/x", same_as(path("e/x"), fd), "stat(e/x) is another file");
		close(fd);
	}
	CHECK_STR("getcwd() says the new name", cwd(buf, sizeof(buf)), path("e"));
	CHECK_STR("the getcwd system call says it too", raw_cwd(buf, sizeof(buf)), path("e"));
	CHECK_TRUE("stat(\".\") is e", same_as(".", dfd), "another directory");

	fd = openat(dfd, "y", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (CHECK_OK("openat(dirfd of d, \"y\", O_CREAT) after the rename", fd)) {
		CHECK_TRUE("y is e/y", same_as(path("e/y"), fd), "stat(e/y) is another file");
		close(fd);
	}
	CHECK_OK("create e/z by its new absolute name", make(AT_FDCWD, path("e/z")));
	CHECK_STR("getdents64 on d opened before the rename lists what came after",
		  list(lfd, names, sizeof(names)), "x,y,z");
	CHECK_OK("create w", make(AT_FDCWD, "w"));
	CHECK_EQ("lseek(listing fd, 0) rewinds", lseek(lfd, 0, SEEK_SET), 0);
	CHECK_STR("and it lists w too", list(lfd, names, sizeof(names)), "w,x,y,z");

	/* Renamed again, now by names relative to the renamed cwd itself. */
	CHECK_EQ("rename(\"../e\", \"../f\") from the cwd", rename("../e", "../f"), 0);
	CHECK_STR("getcwd() says f", cwd(buf, sizeof(buf)), path("f"));
	CHECK_EQ("stat(\"x\") still finds x", access("x", F_OK), 0);

	/* Into another parent: ".." is the new parent, not the old one. */
	CHECK_EQ("mkdir(p)", mkdir(path("p"), 0755), 0);
	CHECK_EQ("rename(top/f, top/p/q) into another directory", rename(path("f"), path("p/q")),
		 0);
	CHECK_STR("getcwd() says p/q", cwd(buf, sizeof(buf)), path("p/q"));
	fd = openat(dfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("openat(dirfd, \"..\")", fd)) {
		CHECK_TRUE("is p, the new parent", same_as(path("p"), fd), "another directory");
		close(fd);
	}
	CHECK_EQ("chdir(\"..\")", chdir(".."), 0);
	CHECK_STR("reaches p", cwd(buf, sizeof(buf)), path("p"));
	CHECK_EQ("fchdir(dirfd of d)", fchdir(dfd), 0);
	CHECK_STR("comes back to p/q", cwd(buf, sizeof(buf)), path("p/q"));
	CHECK_OK("creat(\"v\") there", make(AT_FDCWD, "v"));
	CHECK_EQ("p/q/v exists", access(path("p/q/v"), F_OK), 0);

	CHECK_EQ("chdir(\"/\")", chdir("/"), 0);
	close(dfd);
	close(lfd);
	CHECK_EQ("unlink p/q/v", unlink(path("p/q/v")), 0);
	CHECK_EQ("unlink p/q/w", unlink(path("p/q/w")), 0);
	CHECK_EQ("unlink p/q/x", unlink(path("p/q/x")), 0);
	CHECK_EQ("unlink p/q/y", unlink(path("p/q/y")), 0);
	CHECK_EQ("unlink p/q/z", unlink(path("p/q/z")), 0);
	CHECK_EQ("rmdir p/q", rmdir(path("p/q")), 0);
	CHECK_EQ("rmdir p", rmdir(path("p")), 0);
}

static void
check_removed(void)
{
	char buf[1024], names[512];
	struct stat st;
	long ret;
	int rfd;

	CHECK_EQ("mkdir(r)", mkdir(path("r"), 0755), 0);
	if (!CHECK_EQ("chdir(r)", chdir(path("r")), 0))
		return;
	rfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_OK("open(\".\", O_DIRECTORY)", rfd);
	CHECK_EQ("rmdir(top/r), the cwd itself", rmdir(path("r")), 0);
	CHECK_ERR("r is gone", access(path("r"), F_OK), ENOENT);

	CHECK_STR("getcwd() in a removed directory", cwd(buf, sizeof(buf)), "(errno ENOENT)");
	CHECK_STR("the getcwd system call there", raw_cwd(buf, sizeof(buf)), "(errno ENOENT)");
	CHECK_ERR("creat(\"x\") in a removed directory is ENOENT", creat("x", 0644), ENOENT);
	CHECK_ERR("mkdir(\"s\") there is ENOENT", mkdir("s", 0755), ENOENT);
	CHECK_ERR("openat(its dirfd, \"y\", O_CREAT) is ENOENT",
		  openat(rfd, "y", O_CREAT | O_WRONLY | O_CLOEXEC, 0644), ENOENT);
	memset(&st, 0, sizeof(st));
	ret = stat(".", &st);
	CHECK_TRUE("stat(\".\") works, with no links left", ret == 0 && st.st_nlink == 0,
		   "got %ld (%s) nlink %lu, want 0 nlink 0", ret, ret ? errname(errno) : "-",
		   (unsigned long)st.st_nlink);
	CHECK_STR("getdents64 on the removed directory", list(rfd, names, sizeof(names)),
		  "(errno ENOENT)");
	CHECK_EQ("chdir(\"..\") from it", chdir(".."), 0);
	CHECK_STR("returns to the old parent", cwd(buf, sizeof(buf)), top);
	close(rfd);
	CHECK_EQ("chdir(\"/\")", chdir("/"), 0);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		say("usage: t_rename_cwd BASE\n");
		return 2;
	}
	guest_begin("t_rename_cwd", "a cwd and dirfds follow a renamed directory");
	snprintf(top, sizeof(top), "%s/t_rename_cwd.XXXXXX", argv[1]);
	if (!CHECK_TRUE("mkdtemp(BASE/t_rename_cwd.XXXXXX)", mkdtemp(top), "got errno %s",
			errname(errno)))
		return guest_end();
	say("     working in %s\n", top);
	check_renamed();
	check_removed();
	CHECK_EQ("rmdir of the emptied working directory", rmdir(top), 0);
	return guest_end();
}
