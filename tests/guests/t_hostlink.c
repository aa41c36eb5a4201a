/*
 * t_hostlink - a symlink in the host tree under the root that points into
 * /tmp resolves in the /tmp the program sees: under uvk the guest's own
 * tmpfs, never the host's /tmp behind it.
 *
 * Usage: t_hostlink FIXTURE NAME
 *
 * FIXTURE is a host directory outside /tmp (physical path) that the harness
 * filled with three symlinks into /tmp/NAME:
 *
 *	flink -> /tmp/NAME/f              absolute, to a file
 *	dlink -> /tmp/NAME                absolute, to a directory
 *	rlink -> ../../(to the root)/tmp/NAME/f   relative, climbing to the root
 *
 * The harness also made the host's /tmp/NAME/f hold "decoy". The program
 * makes /tmp/NAME (natively it exists already) and writes a token of its own
 * into /tmp/NAME/f, then reads it back through each link: natively the links
 * reach that same host file, which the program overwrote; under uvk they
 * must reach the guest's /tmp, so reading "decoy" or failing is the bug.
 * It also creates dlink/new, checks that it is /tmp/NAME/new, and that
 * dlink/.. is /tmp and getcwd() after chdir(dlink) is /tmp/NAME. The harness
 * checks afterwards that under uvk the host's /tmp/NAME still holds the decoy
 * and no "new" (natively both changed).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

static const char *fixture;
static char token[64];

/* fix - FIXTURE/rest, in one of four rotating buffers. */
static const char *
fix(const char *rest)
{
	static char buf[4][640];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(buf[turn], sizeof(buf[turn]), "%s/%s", fixture, rest);
	return buf[turn];
}

/* contents - the first bytes of the file at p as a string, or "(errno NAME)". */
static const char *
contents(const char *p, char *buf, size_t len)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(buf, len, "(errno %s)", errname(errno));
		return buf;
	}
	n = read(fd, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "(read errno %s)", errname(errno));
	else
		buf[n] = 0;
	close(fd);
	return buf;
}

static int
same_path(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int
main(int argc, char **argv)
{
	char dir[256], f[300], newf[300], buf[300];
	struct timespec ts;
	ssize_t n;
	int fd;

	if (argc != 3) {
		say("usage: t_hostlink FIXTURE NAME\n");
		return 2;
	}
	fixture = argv[1];
	guest_begin("t_hostlink", "host symlinks into /tmp reach the /tmp the program sees");
	snprintf(dir, sizeof(dir), "/tmp/%s", argv[2]);
	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(newf, sizeof(newf), "%s/new", dir);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(token, sizeof(token), "token %ld.%09ld pid %ld", (long)ts.tv_sec, ts.tv_nsec,
		 (long)getpid());

	CHECK_TRUE("mkdir(/tmp/NAME), or it exists (natively)",
		   mkdir(dir, 0755) == 0 || errno == EEXIST, "got errno %s", errname(errno));
	fd = open(f, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (!CHECK_OK("open(/tmp/NAME/f, O_CREAT|O_TRUNC)", fd))
		return guest_end();
	CHECK_EQ("write the token", write(fd, token, strlen(token)), (long)strlen(token));
	close(fd);
	CHECK_STR("/tmp/NAME/f reads the token", contents(f, buf, sizeof(buf)), token);

	n = readlink(fix("flink"), buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	CHECK_STR("readlink(FIXTURE/flink)", buf, f);
	CHECK_STR("FIXTURE/flink reads the token", contents(fix("flink"), buf, sizeof(buf)), token);
	CHECK_STR("FIXTURE/dlink/f reads the token", contents(fix("dlink/f"), buf, sizeof(buf)),
		  token);
	CHECK_STR("FIXTURE/rlink reads the token", contents(fix("rlink"), buf, sizeof(buf)), token);
	CHECK_TRUE("stat(FIXTURE/flink) is /tmp/NAME/f", same_path(fix("flink"), f),
		   "another file, or an error");
	CHECK_TRUE("stat(FIXTURE/dlink/..) is /tmp", same_path(fix("dlink/.."), "/tmp"),
		   "another directory, or an error");

	fd = open(fix("dlink/new"), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (CHECK_OK("create FIXTURE/dlink/new", fd)) {
		CHECK_EQ("write to it", write(fd, "new", 3), 3);
		close(fd);
		CHECK_STR("it is /tmp/NAME/new", contents(newf, buf, sizeof(buf)), "new");
	}
	if (CHECK_EQ("chdir(FIXTURE/dlink)", chdir(fix("dlink")), 0)) {
		if (getcwd(buf, sizeof(buf)) == NULL)
			snprintf(buf, sizeof(buf), "(errno %s)", errname(errno));
		CHECK_STR("getcwd() is /tmp/NAME", buf, dir);
		CHECK_STR("\"f\" there reads the token", contents("f", buf, sizeof(buf)), token);
	}
	say("     wrote \"%s\"\n", token);
	return guest_end();
}
