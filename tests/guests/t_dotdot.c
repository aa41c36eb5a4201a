/*
 * t_dotdot - ".." and symlinks in path resolution, as Linux's path walk does
 * them (path_resolution(7), symlink(7)).
 *
 * Usage: t_dotdot BASE
 *
 * BASE is a writable directory given by its physical path: /tmp, or under
 * uvk a --bind directory (natively the same host directory). Everything is
 * made in a fresh BASE/t_dotdot.XXXXXX and removed at the end. Checks:
 *
 *   - ".." after a symlink is the parent of the link's target, not of the
 *     link: with link -> a/b/c, a/b/x of 2 bytes and x of 1 byte next to
 *     link, "link/../x" is a/b/x, by absolute and relative path, through an
 *     absolute link, through openat() of a dirfd, and "link/../../b/x" is
 *     a/b/x too; a link whose target ends in ".." (a/b/c/..) or climbs out
 *     of another link (link/../x) resolves the same way; chdir("link") then
 *     chdir("..") lands in a/b and getcwd() says so;
 *   - "x/..", "x/." and "x/" of a regular file x are ENOTDIR;
 *   - symlink loops are ELOOP: a link to itself, two links to each other,
 *     also with a component after them; a chain of 40 links resolves and
 *     41 is ELOOP (Linux's MAXSYMLINKS is 40, counted over the whole walk:
 *     a directory link followed by a chain of 39 resolves, by 40 is ELOOP);
 *   - at the root, ".." is the root: "/..", "/../..", chdir("/") then
 *     chdir("..") (getcwd() is "/"), a relative link that climbs higher
 *     than the root, and "/../" followed by a name.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

#define CHAIN 41

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

/* size_of - st_size of what stat(p) reaches, or -errno. */
static long
size_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -errno;
}

/* same_path - stat(a) and stat(b) succeed and name one file. */
static int
same_path(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* make - a file of len bytes of 'z' at p. */
static int
make(const char *p, size_t len)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "zzzz", len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static const char *
cwd(char *buf, size_t len)
{
	if (getcwd(buf, len) == NULL)
		snprintf(buf, len, "(errno %s)", errname(errno));
	return buf;
}

static void
check_dotdot(void)
{
	char buf[1024];
	struct stat st;
	int tfd, fd;

	CHECK_EQ("mkdir a", mkdir(path("a"), 0755), 0);
	CHECK_EQ("mkdir a/b", mkdir(path("a/b"), 0755), 0);
	CHECK_EQ("mkdir a/b/c", mkdir(path("a/b/c"), 0755), 0);
	CHECK_EQ("a/b/x, 2 bytes", make(path("a/b/x"), 2), 0);
	CHECK_EQ("x, 1 byte", make(path("x"), 1), 0);
	CHECK_EQ("symlink link -> a/b/c", symlink("a/b/c", path("link")), 0);
	CHECK_EQ("symlink alink -> TOP/a/b/c", symlink(path("a/b/c"), path("alink")), 0);
	CHECK_EQ("symlink uplink -> a/b/c/..", symlink("a/b/c/..", path("uplink")), 0);
	CHECK_EQ("symlink xlink -> link/../x", symlink("link/../x", path("xlink")), 0);

	CHECK_EQ("stat(TOP/link/../x) is a/b/x (2 bytes), not x (1)", size_of(path("link/../x")),
		 2);
	CHECK_EQ("stat(TOP/alink/../x) through an absolute link", size_of(path("alink/../x")), 2);
	CHECK_EQ("stat(TOP/link/../../b/x)", size_of(path("link/../../b/x")), 2);
	CHECK_EQ("stat(TOP/uplink/x), a link ending in ..", size_of(path("uplink/x")), 2);
	CHECK_EQ("stat(TOP/xlink), a link to link/../x", size_of(path("xlink")), 2);
	CHECK_TRUE("stat(TOP/link/..) is a/b", same_path(path("link/.."), path("a/b")),
		   "another file, or an error");
	CHECK_EQ("lstat(TOP/link/../x) follows the link too",
		 lstat(path("link/../x"), &st) == 0 ? (long)st.st_size : -errno, 2);

	tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(TOP, O_DIRECTORY)", tfd)) {
		fd = openat(tfd, "link/../x", O_RDONLY | O_CLOEXEC);
		if (CHECK_OK("openat(TOP fd, \"link/../x\")", fd)) {
			CHECK_TRUE("is a/b/x", fstat(fd, &st) == 0 && st.st_size == 2,
				   "got size %ld, want 2", (long)st.st_size);
			close(fd);
		}
		close(tfd);
	}

	if (!CHECK_EQ("chdir(TOP)", chdir(top), 0))
		return;
	CHECK_EQ("stat(\"link/../x\") relative to the cwd", size_of("link/../x"), 2);
	CHECK_EQ("stat(\"./link/../x\")", size_of("./link/../x"), 2);
	CHECK_EQ("chdir(\"link\")", chdir("link"), 0);
	CHECK_STR("getcwd() is the target a/b/c", cwd(buf, sizeof(buf)), path("a/b/c"));
	CHECK_EQ("chdir(\"..\")", chdir(".."), 0);
	CHECK_STR("lands in a/b, the target's parent", cwd(buf, sizeof(buf)), path("a/b"));
	CHECK_EQ("and finds a/b/x as \"x\"", size_of("x"), 2);
	CHECK_EQ("chdir(\"/\")", chdir("/"), 0);

	CHECK_ERR("stat(\"x/..\") of a file is ENOTDIR", stat(path("x/.."), &st), ENOTDIR);
	CHECK_ERR("stat(\"x/.\") is ENOTDIR", stat(path("x/."), &st), ENOTDIR);
	CHECK_ERR("stat(\"x/\") is ENOTDIR", stat(path("x/"), &st), ENOTDIR);
	CHECK_ERR("open(\"x/..\") is ENOTDIR", open(path("x/.."), O_RDONLY | O_CLOEXEC), ENOTDIR);
	CHECK_ERR("stat(\"xlink/..\") through a link to a file is ENOTDIR",
		  stat(path("xlink/.."), &st), ENOTDIR);
}

static void
check_loops(void)
{
	char name[32], next[32];
	struct stat st;
	int i, fd;

	CHECK_EQ("symlink self -> self", symlink("self", path("self")), 0);
	CHECK_ERR("stat(self) is ELOOP", stat(path("self"), &st), ELOOP);
	CHECK_TRUE("lstat(self) is the link", lstat(path("self"), &st) == 0 && S_ISLNK(st.st_mode),
		   "got %s mode %#o", errname(errno), (unsigned)st.st_mode);
	CHECK_ERR("open(self, O_CREAT) is ELOOP",
		  open(path("self"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644), ELOOP);
	CHECK_EQ("symlink ping -> pong", symlink("pong", path("ping")), 0);
	CHECK_EQ("symlink pong -> ping", symlink("ping", path("pong")), 0);
	CHECK_ERR("stat(ping) is ELOOP", stat(path("ping"), &st), ELOOP);
	CHECK_ERR("stat(ping/x) is ELOOP", stat(path("ping/x"), &st), ELOOP);
	CHECK_ERR("chdir(ping) is ELOOP", chdir(path("ping")), ELOOP);

	/* l1 -> l2 -> ... -> l41 -> x: resolving lK follows 42 - K links. */
	for (i = 1; i <= CHAIN; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		if (i < CHAIN)
			snprintf(next, sizeof(next), "l%d", i + 1);
		else
			snprintf(next, sizeof(next), "x");
		if (symlink(next, path(name)) != 0)
			break;
	}
	CHECK_EQ("a chain of 41 links made", i, CHAIN + 1);
	CHECK_EQ("stat(l41), one link", size_of(path("l41")), 1);
	CHECK_EQ("stat(l2), a chain of 40 links, resolves", size_of(path("l2")), 1);
	CHECK_EQ("stat(l1), a chain of 41 links, is ELOOP", size_of(path("l1")), -ELOOP);
	fd = open(path("l2"), O_RDONLY | O_CLOEXEC);
	if (CHECK_OK("open(l2) resolves", fd))
		close(fd);
	CHECK_ERR("open(l1) is ELOOP", open(path("l1"), O_RDONLY | O_CLOEXEC), ELOOP);
	CHECK_EQ("symlink here -> .", symlink(".", path("here")), 0);
	CHECK_EQ("stat(here/l3): 1 + 39 links resolves", size_of(path("here/l3")), 1);
	CHECK_EQ("stat(here/l2): 1 + 40 links is ELOOP", size_of(path("here/l2")), -ELOOP);
}

static void
check_root(void)
{
	char buf[1024];
	struct stat st;
	char up[256];
	int i, rfd, fd;

	CHECK_TRUE("stat(\"/..\") is \"/\"", same_path("/..", "/"), "another directory");
	CHECK_TRUE("stat(\"/../..\") is \"/\"", same_path("/../..", "/"), "another directory");
	CHECK_TRUE("\"/../tmp\" is \"/tmp\"", same_path("/../tmp", "/tmp"), "another directory");
	CHECK_TRUE("\"/../../.\" is \"/\"", same_path("/../../.", "/"), "another directory");
	rfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (CHECK_OK("open(\"/\")", rfd)) {
		fd = openat(rfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (CHECK_OK("openat(root fd, \"..\")", fd)) {
			struct stat r;

			CHECK_TRUE("is \"/\"",
				   fstat(fd, &st) == 0 && stat("/", &r) == 0 &&
				       st.st_ino == r.st_ino && st.st_dev == r.st_dev,
				   "another directory");
			close(fd);
		}
		close(rfd);
	}
	CHECK_EQ("chdir(\"/\")", chdir("/"), 0);
	CHECK_EQ("chdir(\"..\") at the root", chdir(".."), 0);
	CHECK_STR("stays at the root", cwd(buf, sizeof(buf)), "/");
	CHECK_EQ("chdir(\"../../..\")", chdir("../../.."), 0);
	CHECK_STR("still the root", cwd(buf, sizeof(buf)), "/");

	/* More ".." than TOP is deep: the walk stops at the root. */
	up[0] = 0;
	for (i = 0; i < 40; i++)
		strcat(up, "../");
	strcat(up, "..");
	CHECK_EQ("symlink up -> ../ x 40", symlink(up, path("up")), 0);
	CHECK_TRUE("stat(up) is \"/\"", same_path(path("up"), "/"), "another directory");
	CHECK_TRUE("stat(up/tmp) is \"/tmp\"", same_path(path("up/tmp"), "/tmp"),
		   "another directory");
}

static void
cleanup(void)
{
	static const char *const files[] = {"a/b/x", "x",    "link", "alink", "uplink", "xlink",
					    "self",  "ping", "pong", "here",  "up"};
	char name[32];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		bad |= unlink(path(files[i]));
	for (i = 1; i <= CHAIN; i++) {
		snprintf(name, sizeof(name), "l%zu", i);
		bad |= unlink(path(name));
	}
	bad |= rmdir(path("a/b/c"));
	bad |= rmdir(path("a/b"));
	bad |= rmdir(path("a"));
	bad |= rmdir(top);
	CHECK_EQ("everything made is removed again", bad, 0);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		say("usage: t_dotdot BASE\n");
		return 2;
	}
	guest_begin("t_dotdot", "\"..\" after symlinks, symlink loops, \"..\" at the root");
	snprintf(top, sizeof(top), "%s/t_dotdot.XXXXXX", argv[1]);
	if (!CHECK_TRUE("mkdtemp(BASE/t_dotdot.XXXXXX)", mkdtemp(top), "got errno %s",
			errname(errno)))
		return guest_end();
	say("     working in %s\n", top);
	check_dotdot();
	check_loops();
	check_root();
	cleanup();
	return guest_end();
}
