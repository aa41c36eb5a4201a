/*
 * t_getdents_big - getdents64 over directories larger than one buffer.
 *
 * Usage: t_getdents_big HOSTDIR COUNT NAMEBYTES
 *
 * A directory of 2000 files is made under /tmp and listed with a buffer that
 * holds a few entries at a time: every name must come exactly once, with
 * "." and "..", whatever the buffer size, and again after rewinding with
 * lseek. Then HOSTDIR, a large directory of the passthrough root, is listed
 * the same way: the harness counted its entries natively (COUNT, without "."
 * and "..") and summed the lengths of their names (NAMEBYTES).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

#define NFILES 2000

/* The kernel's struct linux_dirent64; musl and glibc agree, but say it here. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* The name starts at byte 19; sizeof(struct dent64) is 24, padded. */
#define NAME_OFF offsetof(struct dent64, d_name)

struct listing {
	long entries; /* all entries, "." and ".." included */
	long dots;    /* "." and ".." seen */
	long names;   /* other entries */
	long name_bytes;
	long calls;
	long bad;     /* malformed records */
	long dup;     /* f%04d names seen twice (the /tmp directory only) */
	long foreign; /* names that are not f%04d (the /tmp directory only) */
	long not_reg; /* f%04d entries whose d_type is neither DT_REG nor DT_UNKNOWN */
	unsigned char seen[NFILES];
};

/* list_fd - read fd to its end with getdents64 into a bufsize buffer. */
static long
list_fd(int fd, size_t bufsize, int ours, struct listing *l)
{
	char buf[4096] __attribute__((aligned(8)));
	long got;

	memset(l, 0, sizeof(*l));
	while ((got = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		long pos = 0;

		l->calls++;
		while (pos < got) {
			struct dent64 *de = (struct dent64 *)(buf + pos);
			size_t len;

			if (de->d_reclen < NAME_OFF + 2 || pos + de->d_reclen > got ||
			    de->d_reclen % 8) {
				l->bad++;
				break;
			}
			len = strnlen(de->d_name, de->d_reclen - NAME_OFF);
			if (len == de->d_reclen - NAME_OFF) {
				l->bad++; /* no terminating NUL inside the record */
				break;
			}
			pos += de->d_reclen;
			l->entries++;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
				l->dots++;
				continue;
			}
			l->names++;
			l->name_bytes += len;
			if (ours) {
				char *end;
				long i =
				    de->d_name[0] == 'f' ? strtol(de->d_name + 1, &end, 10) : -1;

				if (i < 0 || i >= NFILES || *end || len != 5) {
					l->foreign++;
					continue;
				}
				if (l->seen[i]++)
					l->dup++;
				if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
					l->not_reg++;
			}
		}
	}
	return got;
}

static void
check_ours(const char *top)
{
	static const size_t bufsizes[] = {64, 100, 333, 4096};
	static struct listing l;
	char name[512];
	int made = 0;
	unsigned b;
	int fd;
	int i;

	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "%s/f%04d", top, i);
		fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			break;
		close(fd);
		made++;
	}
	if (!CHECK_EQ("create 2000 files under /tmp", made, NFILES))
		return;

	fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!CHECK_OK("open the directory", fd))
		return;
	for (b = 0; b < sizeof(bufsizes) / sizeof(bufsizes[0]); b++) {
		char what[128];
		long ret;
		long missing = 0;

		lseek(fd, 0, SEEK_SET);
		ret = list_fd(fd, bufsizes[b], 1, &l);
		for (i = 0; i < NFILES; i++)
			missing += !l.seen[i];
		say("     %zu-byte buffer: %ld entries in %ld calls\n", bufsizes[b], l.entries,
		    l.calls);
		snprintf(what, sizeof(what), "%zu-byte buffer: getdents64 ends with 0",
			 bufsizes[b]);
		CHECK_EQ(what, ret, 0);
		snprintf(what, sizeof(what), "%zu-byte buffer: records are well formed",
			 bufsizes[b]);
		CHECK_EQ(what, l.bad, 0);
		snprintf(what, sizeof(what), "%zu-byte buffer: every file listed exactly once",
			 bufsizes[b]);
		CHECK_TRUE(what, missing == 0 && l.dup == 0 && l.foreign == 0,
			   "got %ld missing, %ld twice, %ld unknown names, want none", missing,
			   l.dup, l.foreign);
		snprintf(what, sizeof(what), "%zu-byte buffer: \".\" and \"..\" listed once each",
			 bufsizes[b]);
		CHECK_EQ(what, l.dots, 2);
		snprintf(what, sizeof(what), "%zu-byte buffer: d_type is DT_REG", bufsizes[b]);
		CHECK_EQ(what, l.not_reg, 0);
		if (bufsizes[b] < 200) {
			snprintf(what, sizeof(what), "%zu-byte buffer: more than one call needed",
				 bufsizes[b]);
			CHECK_TRUE(what, l.calls > 10, "got %ld calls", l.calls);
		}
	}
	{
		char buf[16];

		lseek(fd, 0, SEEK_SET);
		CHECK_ERR("getdents64 into a buffer too small for one entry is EINVAL",
			  syscall(SYS_getdents64, fd, buf, sizeof(buf)), EINVAL);
		CHECK_ERR("getdents64 on a closed descriptor is EBADF",
			  syscall(SYS_getdents64, 0x7fff, buf, sizeof(buf)), EBADF);
	}
	close(fd);

	snprintf(name, sizeof(name), "%s/f0000", top);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[256];

		CHECK_ERR("getdents64 on a regular file is ENOTDIR",
			  syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
		close(fd);
	}

	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "%s/f%04d", top, i);
		made -= unlink(name) == 0;
	}
	CHECK_EQ("unlink all 2000 files", made, 0);
	fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		list_fd(fd, 4096, 1, &l);
		CHECK_EQ("the emptied directory lists only \".\" and \"..\"", l.entries, 2);
		close(fd);
	}
	CHECK_EQ("rmdir of the emptied directory", rmdir(top), 0);
}

static void
check_host(const char *dir, long count, long name_bytes)
{
	static const size_t bufsizes[] = {280, 512, 4096};
	static struct listing l;
	unsigned b;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	say("     %s: %ld entries, %ld bytes of names counted natively\n", dir, count, name_bytes);
	if (!CHECK_OK("open the host directory", fd))
		return;
	for (b = 0; b < sizeof(bufsizes) / sizeof(bufsizes[0]); b++) {
		char what[128];
		long ret;

		lseek(fd, 0, SEEK_SET);
		ret = list_fd(fd, bufsizes[b], 0, &l);
		say("     %zu-byte buffer: %ld entries in %ld calls\n", bufsizes[b], l.entries,
		    l.calls);
		snprintf(what, sizeof(what), "%zu-byte buffer: host directory listing ends with 0",
			 bufsizes[b]);
		CHECK_EQ(what, ret, 0);
		snprintf(what, sizeof(what), "%zu-byte buffer: records are well formed",
			 bufsizes[b]);
		CHECK_EQ(what, l.bad, 0);
		snprintf(what, sizeof(what), "%zu-byte buffer: entry count is the native count",
			 bufsizes[b]);
		CHECK_EQ(what, l.names, count);
		snprintf(what, sizeof(what), "%zu-byte buffer: name lengths sum to the native sum",
			 bufsizes[b]);
		CHECK_EQ(what, l.name_bytes, name_bytes);
		snprintf(what, sizeof(what), "%zu-byte buffer: \".\" and \"..\" listed once each",
			 bufsizes[b]);
		CHECK_EQ(what, l.dots, 2);
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	char top[64] = "/tmp/t_getdents_big.XXXXXX";

	if (argc != 4) {
		say("usage: t_getdents_big HOSTDIR COUNT NAMEBYTES\n");
		return 2;
	}
	guest_begin("t_getdents_big", "getdents64 of directories larger than the buffer");
	if (CHECK_TRUE("mkdtemp(/tmp/t_getdents_big.XXXXXX)", mkdtemp(top), "got errno %s",
		       errname(errno)))
		check_ours(top);
	check_host(argv[1], strtol(argv[2], NULL, 10), strtol(argv[3], NULL, 10));
	return guest_end();
}
