/*
 * t_pcache.c - pages of host files: what mappings of them show, against
 * read() and write(), and a changed file; many processes mapping one file.
 *
 * Guest test program (see guest.h). Files hold a pattern: page i of
 * variant v is bytes (i * 7 + 1 + v) & 255, but for its first eight bytes,
 * which hold i. Modes:
 *
 *   mkfile PATH MIB V   write the pattern (variant V) into PATH, in place
 *                       (no truncation: same inode), creating it if need be;
 *                       the harness runs this natively to make fixtures.
 *   share N PATH MIB    N children, each this program exec'd again, map the
 *                       file MAP_PRIVATE, read every page and find the
 *                       pattern; all hold their mapping at once (each says
 *                       so through a pipe, then waits for the pipe from the
 *                       parent to close) and exit 0. Under uvk the harness
 *                       reads --stats: the guest memory peak must be about
 *                       one copy of the file, not N.
 *   stale PATH MIB      map the file, find variant 0, unmap; print "ready"
 *                       and wait for a line on stdin (the harness rewrites
 *                       the file from outside as variant 1 meanwhile); map
 *                       it again, and read() it: variant 1 both times.
 *   coherent DIR        in DIR (writable): a MAP_PRIVATE mapping sees a
 *                       later pwrite() to a page it has not written (Linux
 *                       shares the page cache's page until the first store),
 *                       a page it stored to keeps its own bytes, a new
 *                       mapping sees the pwrite too; after ftruncate
 *                       shorter the page holding the new end reads zeroes
 *                       past it, in a mapping made before and in one made
 *                       after, whose page wholly past the end is SIGBUS;
 *                       a pwrite() on an O_APPEND descriptor appends, and
 *                       a mapping of the file's last page shows it.
 *   mapshared PATH      make PATH (3 pages, variant 0) and map it
 *                       MAP_SHARED: a store is seen by pread(), a pwrite()
 *                       by the mapping; stores reach the file by msync
 *                       (MS_SYNC), by munmap, by a child's exit, and by this
 *                       process's exit, where the harness reads the bytes
 *                       from outside: 0xa1 at 100, 0xb2 at 4096+200, 0xc3
 *                       at 8192+300, 0xd4 at 8192+400, 0xe5 at 4096+500,
 *                       0xf6 at 600.
 *   pressure PATH MIB ANON  map the file (bigger than half the guest's RAM
 *                       under uvk), check it, unmap; then touch ANON MiB of
 *                       anonymous memory: it must be had (the cached pages
 *                       of the file give way); then the file again, intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define PAGE 4096UL

static unsigned char
pat(uint64_t i, int v)
{
	return (unsigned char)((i * 7 + 1 + (uint64_t)v) & 255);
}

static void
fill_page(unsigned char *b, uint64_t i, int v)
{
	memset(b, pat(i, v), PAGE);
	memcpy(b, &i, sizeof(i));
}

/* The first page of npages at p not holding variant v, or npages. */
static uint64_t
bad_page(const unsigned char *p, uint64_t npages, int v)
{
	for (uint64_t i = 0; i < npages; i++) {
		const unsigned char *b = p + i * PAGE;
		uint64_t got;

		memcpy(&got, b, sizeof(got));
		if (got != i)
			return i;
		for (size_t j = sizeof(got); j < PAGE; j += 61)
			if (b[j] != pat(i, v))
				return i;
		if (b[PAGE - 1] != pat(i, v))
			return i;
	}
	return npages;
}

static int
mkfile(const char *path, uint64_t mib, int v)
{
	static unsigned char b[PAGE];
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		return 1;
	for (uint64_t i = 0; i < mib * 256; i++) {
		fill_page(b, i, v);
		if (write(fd, b, PAGE) != (ssize_t)PAGE)
			return 1;
	}
	return close(fd) < 0;
}

/* Map path's first mib MiB read-only private and check variant v; the mapping, or NULL. */
static unsigned char *
map_check(const char *path, uint64_t mib, int v, const char *what)
{
	int fd = open(path, O_RDONLY);
	unsigned char *p;

	if (!CHECK_OK("open the file", fd))
		return NULL;
	p = mmap(NULL, mib << 20, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (!CHECK_OK("mmap the file MAP_PRIVATE", p == MAP_FAILED ? -1 : 0))
		return NULL;
	CHECK_EQ(what, bad_page(p, mib * 256, v), mib * 256);
	return p;
}

/* A child of share: map, check, say so, hold until the parent's pipe closes. */
static int
hold(const char *path, uint64_t mib)
{
	int fd = open(path, O_RDONLY);
	unsigned char *p = fd < 0 ? MAP_FAILED : mmap(NULL, mib << 20, PROT_READ, MAP_PRIVATE, fd, 0);
	char c = p != MAP_FAILED && bad_page(p, mib * 256, 0) == mib * 256 ? 'y' : 'n';

	if (write(3, &c, 1) != 1)
		return 1;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

static void
share(int n, const char *path, uint64_t mib)
{
	char arg[32];
	int ready[2], go[2], yes = 0, got = 0, ok = 0, st;
	char c;

	/* Close-on-exec: a child keeps only what it dup2s (or it holds the other end open too). */
	if (!CHECK_OK("pipes", pipe2(ready, O_CLOEXEC)) || !CHECK_OK("pipes", pipe2(go, O_CLOEXEC)))
		return;
	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)mib);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			dup2(go[0], 0);
			dup2(ready[1], 3);
			execl("/proc/self/exe", "t_pcache", "hold", path, arg, (char *)NULL);
			_exit(127);
		}
		if (pid < 0)
			break;
	}
	close(go[0]);
	close(ready[1]);
	while (got < n && read(ready[0], &c, 1) == 1) {
		got++;
		yes += c == 'y';
	}
	CHECK_EQ("children that mapped the file at once and found it whole", yes, n);
	close(go[1]);
	while (wait(&st) > 0)
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	CHECK_EQ("children that exited 0", ok, n);
}

static void
stale(const char *path, uint64_t mib)
{
	static unsigned char b[PAGE];
	unsigned char *p = map_check(path, mib, 0, "pages of the first mapping: variant 0");
	char line[16];
	int fd;

	if (p)
		munmap(p, mib << 20);
	say("ready\n");
	CHECK_OK("a line on stdin once the file changed", read(0, line, sizeof(line)) > 0 ? 0 : -1);
	p = map_check(path, mib, 1, "pages of a mapping made after the change: variant 1");
	if (p)
		munmap(p, mib << 20);
	fd = open(path, O_RDONLY);
	CHECK_EQ("read() of page 3 after the change", pread(fd, b, PAGE, 3 * PAGE), PAGE);
	CHECK_EQ("its bytes: variant 1", b[100], pat(3, 1));
	close(fd);
}

static sigjmp_buf bus_jmp;

static void
on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/*
 * A file ending inside a page a private mapping shows: pwrite() on an
 * O_APPEND descriptor appends whatever its offset says (pwrite(2), BUGS),
 * and the mapping's page, never stored to, shows the appended bytes.
 */
static void
coherent_append(const char *dir)
{
	static unsigned char b[PAGE + 100];
	volatile unsigned char *p;
	char path[256];
	int fd, afd;

	snprintf(path, sizeof(path), "%s/t_pcache_app.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!CHECK_OK("create a second file", fd))
		return;
	afd = open(path, O_WRONLY | O_APPEND);
	unlink(path);
	memset(b, 0x55, sizeof(b));
	CHECK_EQ("write a page and 100 bytes", write(fd, b, sizeof(b)), sizeof(b));
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (CHECK_OK("map its two pages", p == MAP_FAILED ? -1 : 0) &&
	    CHECK_OK("open O_APPEND", afd)) {
		CHECK_EQ("byte 50 through the mapping", p[50], 0x55);
		CHECK_EQ("byte 4096+150, past the end, reads zero", p[PAGE + 150], 0);
		memset(b, 0x77, 100);
		CHECK_EQ("pwrite at offset 0 on the O_APPEND descriptor", pwrite(afd, b, 100, 0), 100);
		CHECK_EQ("byte 50 as it was: the pwrite appended", p[50], 0x55);
		CHECK_EQ("byte 4096+150 through the mapping: the appended bytes", p[PAGE + 150], 0x77);
	}
	close(afd);
	close(fd);
}

static void
coherent(const char *dir)
{
	static unsigned char b[PAGE];
	char path[256];
	volatile unsigned char *p, *q;
	int fd;

	snprintf(path, sizeof(path), "%s/t_pcache.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!CHECK_OK("create a file in the directory", fd))
		return;
	unlink(path);
	for (uint64_t i = 0; i < 4; i++) {
		fill_page(b, i, 0);
		CHECK_EQ("write a page", write(fd, b, PAGE), PAGE);
	}
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!CHECK_OK("mmap it MAP_PRIVATE, writable", p == MAP_FAILED ? -1 : 0))
		return;
	CHECK_EQ("the mapping's pages: variant 0", bad_page((unsigned char *)p, 4, 0), 4);
	p[PAGE + 100] = 0xee; /* page 1 is the process's own from now on */
	fill_page(b, 0, 5);
	CHECK_EQ("pwrite page 0 anew", pwrite(fd, b, PAGE, 0), PAGE);
	fill_page(b, 1, 5);
	CHECK_EQ("pwrite page 1 anew", pwrite(fd, b, PAGE, PAGE), PAGE);
	CHECK_EQ("the mapping's page 0, never stored to, shows the pwrite", p[200], pat(0, 5));
	CHECK_EQ("its page 1, stored to, keeps its own bytes", p[PAGE + 100], 0xee);
	CHECK_EQ("and the rest of page 1 as it was", p[PAGE + 200], pat(1, 0));
	q = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (CHECK_OK("a second mapping", q == MAP_FAILED ? -1 : 0)) {
		CHECK_EQ("page 0 through it", q[300], pat(0, 5));
		CHECK_EQ("page 1 through it: the file's, not the first mapping's", q[PAGE + 100],
			 pat(1, 5));
		CHECK_EQ("page 2 through it", q[2 * PAGE + 100], pat(2, 0));
	}
	/* Shorter: two and a half pages. */
	CHECK_OK("ftruncate to 2.5 pages", ftruncate(fd, 2 * PAGE + PAGE / 2));
	if (q != MAP_FAILED)
		CHECK_EQ("page 2 of the second mapping past the new end reads zero",
			 q[2 * PAGE + PAGE / 2 + 8], 0);
	q = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (CHECK_OK("a mapping made after it", q == MAP_FAILED ? -1 : 0)) {
		signal(SIGBUS, on_bus);
		CHECK_EQ("its page 2 before the new end", q[2 * PAGE + 100], pat(2, 0));
		CHECK_EQ("its page 2 past the new end reads zero", q[2 * PAGE + PAGE / 2 + 8], 0);
		if (sigsetjmp(bus_jmp, 1) == 0) {
			unsigned char c = q[3 * PAGE];

			check(0, "its page 3, wholly past the end, is SIGBUS", "read %u", c);
		} else {
			check(1, "its page 3, wholly past the end, is SIGBUS", "%s", "");
		}
		signal(SIGBUS, SIG_DFL);
	}
	close(fd);
	coherent_append(dir);
}

/* The byte at off of the file open on fd, read with pread, or -1. */
static int
byte_at(int fd, off_t off)
{
	unsigned char c;

	return pread(fd, &c, 1, off) == 1 ? c : -1;
}

static void
mapshared(const char *path)
{
	static unsigned char b[PAGE];
	volatile unsigned char *p, *q;
	int fd, fd2, st;
	pid_t pid;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!CHECK_OK("create the file", fd))
		return;
	for (uint64_t i = 0; i < 3; i++) {
		fill_page(b, i, 0);
		CHECK_EQ("write a page", write(fd, b, PAGE), PAGE);
	}
	p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK_OK("mmap it MAP_SHARED, writable", p == MAP_FAILED ? -1 : 0))
		return;
	CHECK_EQ("the mapping's pages: variant 0", bad_page((unsigned char *)p, 3, 0), 3);
	p[100] = 0xa1;
	CHECK_EQ("pread sees a store through the mapping", byte_at(fd, 100), 0xa1);
	CHECK_EQ("pwrite a byte of page 1", pwrite(fd, "\xb2", 1, PAGE + 200), 1);
	CHECK_EQ("the mapping sees the pwrite", p[PAGE + 200], 0xb2);
	p[2 * PAGE + 300] = 0xc3;
	CHECK_OK("msync(MS_SYNC)", msync((void *)p, 3 * PAGE, MS_SYNC));
	fd2 = open(path, O_RDONLY);
	CHECK_EQ("after msync, another descriptor reads the store", byte_at(fd2, 2 * PAGE + 300),
		 0xc3);
	p[2 * PAGE + 400] = 0xd4;
	CHECK_OK("munmap", munmap((void *)p, 3 * PAGE));
	CHECK_EQ("after munmap, the store is in the file", byte_at(fd2, 2 * PAGE + 400), 0xd4);
	q = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK_OK("mmap it again", q == MAP_FAILED ? -1 : 0))
		return;
	CHECK_EQ("the new mapping holds the earlier stores", q[100] + q[2 * PAGE + 400],
		 0xa1 + 0xd4);
	pid = fork();
	if (pid == 0) {
		q[600] = 0xf6;
		_exit(0);
	}
	CHECK_EQ("a child stored through the inherited mapping and exited 0",
		 waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, 1);
	CHECK_EQ("the parent's mapping sees the child's store", q[600], 0xf6);
	CHECK_EQ("so does pread", byte_at(fd2, 600), 0xf6);
	/* Left for exit to write back: the harness looks from outside. */
	q[PAGE + 500] = 0xe5;
	close(fd2);
	close(fd);
}

static void
pressure(const char *path, uint64_t mib, uint64_t anon)
{
	unsigned char *p = map_check(path, mib, 0, "the file's pages: variant 0");
	volatile unsigned char *a;

	if (p)
		munmap(p, mib << 20);
	a = mmap(NULL, anon << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (CHECK_OK("mmap anonymous memory", a == MAP_FAILED ? -1 : 0)) {
		uint64_t i, bad = 0;

		for (i = 0; i < (anon << 20); i += PAGE)
			a[i] = (unsigned char)(i / PAGE);
		for (i = 0; i < (anon << 20); i += PAGE)
			bad += a[i] != (unsigned char)(i / PAGE);
		CHECK_EQ("anonymous pages touched, each holding its byte", bad, 0);
		munmap((void *)a, anon << 20);
	}
	p = map_check(path, mib, 0, "the file's pages again: variant 0");
	if (p)
		munmap(p, mib << 20);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "mkfile") == 0 && argc == 5)
		return mkfile(argv[2], strtoull(argv[3], NULL, 10), atoi(argv[4]));
	if (strcmp(mode, "hold") == 0 && argc == 4)
		return hold(argv[2], strtoull(argv[3], NULL, 10));
	guest_begin("t_pcache", "pages of host files: mappings, read/write, changes, pressure");
	if (strcmp(mode, "share") == 0 && argc == 5)
		share(atoi(argv[2]), argv[3], strtoull(argv[4], NULL, 10));
	else if (strcmp(mode, "stale") == 0 && argc == 4)
		stale(argv[2], strtoull(argv[3], NULL, 10));
	else if (strcmp(mode, "coherent") == 0 && argc == 3)
		coherent(argv[2]);
	else if (strcmp(mode, "mapshared") == 0 && argc == 3)
		mapshared(argv[2]);
	else if (strcmp(mode, "pressure") == 0 && argc == 5)
		pressure(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
	else
		check(0, "usage", "unknown mode or arguments");
	return guest_end();
}
