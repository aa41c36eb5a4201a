/*
 * t_resources - kernel objects a guest makes, with Linux's semantics, at
 * sizes that would show a kernel keeping them in a host process's heap.
 *
 * Usage: t_resources MODE [ARG...]
 *
 *   pipeuser BIND      three processes hold 400 pipes each, 1200 pipes of 16
 *                      pages, more than pipe-user-pages-soft (16384 pages):
 *                      when BIND is 1 (the user has neither CAP_SYS_RESOURCE
 *                      nor CAP_SYS_ADMIN) the pipes made past the limit are
 *                      small (pipe(7) says one page, Linux since 5.16 makes
 *                      two) and cannot grow (EPERM); when 0 every pipe has
 *                      16 pages.
 *   pipesize MAX PRIV  F_GETPIPE_SZ/F_SETPIPE_SZ as fcntl(2) and pipe(7) say:
 *                      the default 16 pages, rounding up to a power-of-two
 *                      number of pages, exactly that many bytes fit, EBUSY
 *                      below the data held, data kept across a resize, EINVAL
 *                      above 2^31, EBADF on a non-pipe, and above MAX (the
 *                      pipe-max-size in force) EPERM unless PRIV is 1 (the
 *                      caller has CAP_SYS_RESOURCE), FIONREAD.
 *   pipefill N NPROC   NPROC processes each fill N non-blocking pipes until
 *                      EAGAIN (or ENOMEM: guest RAM is full, as Linux's pipe
 *                      write says); then a pipe still carries data.
 *   sparse N           N files in /tmp with one byte at 1 GiB + i: size right,
 *                      the hole reads as zeroes, the byte reads back, few
 *                      blocks used; a file with a 64 GiB hole too.
 *   maptmp MIB N       a MIB MiB file in /tmp mapped N times (private and
 *                      shared, read-write and read-only), every page of 16 of
 *                      them read: every mapping sees the content, a private
 *                      write (after mprotect too, in a child too) changes
 *                      neither the file nor the others, a write to the file
 *                      shows in a shared mapping.
 *   maphost PATH N DIR the host file PATH mapped N times (never unmapped),
 *                      one page each, every mapping read; then every other
 *                      one unmapped and the file mapped N/2 times more. No
 *                      mmap may fail. Then up to 400 files of the host
 *                      directory DIR each mapped (its descriptor closed at
 *                      once) before any is read: every mapping reads the
 *                      file's first byte.
 *   bigdir N           N files in one /tmp directory: each found by stat,
 *                      getdents lists each once, unlink of every other one,
 *                      telldir/seekdir offsets stay valid while entries are
 *                      added and removed, a missing name is ENOENT.
 *   deepdir K L KEEP   directories nested K*L deep (K chains of L, each moved
 *                      under the bottom of the next): a rename of the top
 *                      into its own subtree is EINVAL, and one out of it
 *                      works; KEEP 0 takes it all down again (natively, so
 *                      the host's /tmp is left clean), KEEP 1 leaves it for
 *                      the kernel to free at exit (under uvk).
 *   openmany NPROC N   NPROC processes each open a host file N times and hold
 *                      them: every open succeeds or fails with EMFILE or
 *                      ENFILE (the system's limit), never anything else, and
 *                      once they exit a file opens again.
 *   procmaps M N       with M extra mappings, /proc/self/maps opened N times
 *                      and held (each a rendering of every mapping): every
 *                      open succeeds or fails with ENOMEM (Linux's answer
 *                      when the kernel cannot allocate), every successful
 *                      one reads the whole listing.
 *   tmpexec N          this program copied into /tmp and run there by N
 *                      processes at once (each waits on its stdin): every
 *                      one runs and exits 0.
 *   nofile             RLIMIT_NOFILE bounds the descriptor table: EMFILE at
 *                      the limit, dup2 to a descriptor past it EBADF,
 *                      F_DUPFD past it EINVAL.
 *
 * The program uses /tmp (the guest's own tmpfs under uvk, the host's
 * natively) under a directory of its own, and removes what it made.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/t_resources.%d", (int)getpid());
	if (!CHECK_OK("mkdir a work directory in /tmp", mkdir(dir, 0700)))
		exit(1);
}

/* Bytes written to non-blocking w in 4 KiB writes until it would block. */
static long
fill(int w)
{
	static char page[4096];
	long total = 0;
	ssize_t n;

	memset(page, 'p', sizeof(page));
	while ((n = write(w, page, sizeof(page))) > 0)
		total += n;
	return n < 0 && errno == EAGAIN ? total : -errno;
}

static void
mode_pipesize(long max, int priv)
{
	char buf[8192], back[8192];
	int fd[2], f, avail = -1;
	long r;
	size_t i;

	if (!CHECK_OK("pipe2(O_NONBLOCK)", pipe2(fd, O_NONBLOCK)))
		return;
	CHECK_EQ("a new pipe holds 16 pages", fcntl(fd[0], F_GETPIPE_SZ), 65536);
	CHECK_EQ("F_GETPIPE_SZ is the same on the write end", fcntl(fd[1], F_GETPIPE_SZ), 65536);
	CHECK_EQ("exactly 64 KiB fit in 4 KiB writes", fill(fd[1]), 65536);
	CHECK_ERR("F_SETPIPE_SZ below the data held is EBUSY", fcntl(fd[1], F_SETPIPE_SZ, 4096),
		  EBUSY);
	CHECK_EQ("the pipe keeps 16 pages after EBUSY", fcntl(fd[1], F_GETPIPE_SZ), 65536);
	for (r = 0; r < 65536; r += (long)sizeof(buf))
		if (read(fd[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
	CHECK_EQ("the 64 KiB read back", r, 65536);

	CHECK_EQ("F_SETPIPE_SZ 1 rounds up to a page", fcntl(fd[0], F_SETPIPE_SZ, 1), 4096);
	CHECK_EQ("F_GETPIPE_SZ then says 4096", fcntl(fd[1], F_GETPIPE_SZ), 4096);
	CHECK_EQ("one page holds 4096 bytes", fill(fd[1]), 4096);
	CHECK_ERR("a full one-page pipe says EAGAIN", write(fd[1], "x", 1), EAGAIN);
	CHECK_EQ("F_SETPIPE_SZ 5000 gives 2 pages", fcntl(fd[1], F_SETPIPE_SZ, 5000), 8192);
	/* 4096 bytes were in it: they survive the resize, and 4096 more fit. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	CHECK_EQ("4096 more bytes fit after growing", write(fd[1], buf, 4096), 4096);
	CHECK_EQ("FIONREAD counts 8192", (ioctl(fd[0], FIONREAD, &avail), avail), 8192);
	CHECK_EQ("read the first 4096 (written before the resize)", read(fd[0], back, 4096), 4096);
	CHECK_EQ("... they are what was written", back[0] == 'p' && back[4095] == 'p', 1);
	CHECK_EQ("read the second 4096", read(fd[0], back, 4096), 4096);
	CHECK_EQ("... byte for byte", memcmp(back, buf, 4096), 0);
	CHECK_EQ("F_SETPIPE_SZ 65537 gives 32 pages", fcntl(fd[0], F_SETPIPE_SZ, 65537), 131072);
	CHECK_EQ("exactly 128 KiB fit", fill(fd[1]), 131072);
	CHECK_EQ("F_SETPIPE_SZ to the same size is that size", fcntl(fd[0], F_SETPIPE_SZ, 131072),
		 131072);
	CHECK_ERR("F_SETPIPE_SZ above 2^31 is EINVAL",
		  fcntl(fd[0], F_SETPIPE_SZ, (int)((1u << 31) + 1)), EINVAL);
	r = fcntl(fd[0], F_SETPIPE_SZ, (int)(max * 2));
	if (priv)
		CHECK_EQ("privileged: F_SETPIPE_SZ above pipe-max-size", r, max * 2);
	else
		CHECK_ERR("unprivileged: F_SETPIPE_SZ above pipe-max-size is EPERM", r, EPERM);
	CHECK_EQ("F_SETPIPE_SZ to pipe-max-size itself", fcntl(fd[0], F_SETPIPE_SZ, (int)max), max);
	close(fd[0]);
	close(fd[1]);

	make_dir();
	snprintf(buf, sizeof(buf), "%s/regular", dir);
	f = open(buf, O_RDWR | O_CREAT, 0600);
	CHECK_ERR("F_GETPIPE_SZ on a regular file is EBADF", fcntl(f, F_GETPIPE_SZ), EBADF);
	CHECK_ERR("F_SETPIPE_SZ on a regular file is EBADF", fcntl(f, F_SETPIPE_SZ, 4096), EBADF);
	close(f);
	unlink(buf);
	rmdir(dir);
}

/*
 * Child c of mode_pipeuser: make 400 pipes, report how many are small and
 * whether growing the last small one was refused, then hold them until the
 * parent closes go.
 */
static void
pipeuser_child(int report, int go)
{
	int i, fd[2], small = 0, odd = 0, eperm = 0, last = -1;
	char b;

	for (i = 0; i < 400; i++) {
		long sz;

		if (pipe(fd) < 0) {
			odd++;
			break;
		}
		sz = fcntl(fd[0], F_GETPIPE_SZ);
		if (sz == 4096 || sz == 8192) {
			small++;
			last = fd[1];
		} else if (sz != 65536) {
			odd++;
		}
	}
	if (last >= 0 && fcntl(last, F_SETPIPE_SZ, 65536) < 0 && errno == EPERM)
		eperm = 1;
	dprintf(report, "%d %d %d\n", small, odd, eperm);
	close(report);
	(void)!read(go, &b, 1);
	_exit(0);
}

static void
mode_pipeuser(int bind)
{
	int c, go[2], rep[2], small = 0, odd = 0, eperm = 0, st;
	char line[64];
	FILE *in;

	if (!CHECK_OK("pipes to the children", pipe(go) | pipe(rep)))
		return;
	for (c = 0; c < 3; c++) {
		if (fork() == 0) {
			close(go[1]);
			close(rep[0]);
			pipeuser_child(rep[1], go[0]);
		}
	}
	close(rep[1]);
	close(go[0]);
	in = fdopen(rep[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		int s1, o1, e1;

		if (sscanf(line, "%d %d %d", &s1, &o1, &e1) == 3) {
			small += s1;
			odd += o1;
			eperm += e1;
		}
	}
	close(go[1]);
	while (wait(&st) > 0)
		;
	CHECK_EQ("every pipe made, of 16 pages or small", odd, 0);
	if (bind) {
		CHECK_EQ("past pipe-user-pages-soft, new pipes are small", small > 0, 1);
		CHECK_EQ("... and growing one is EPERM", eperm > 0, 1);
	} else {
		CHECK_EQ("privileged: every pipe has 16 pages", small, 0);
	}
}

static void
mode_pipefill(int n, int nproc)
{
	int c, st, ok = 0, fd[2];
	char b[4];

	for (c = 0; c < nproc; c++) {
		if (fork() == 0) {
			int i, bad = 0;

			for (i = 0; i < n; i++) {
				long r;

				if (pipe2(fd, O_NONBLOCK) < 0)
					break;
				r = fill(fd[1]);
				/* Full, or guest RAM ran out: both are Linux's answers. */
				if (r < 0 && r != -ENOMEM)
					bad++;
			}
			_exit(bad ? 2 : 0);
		}
	}
	for (c = 0; c < nproc; c++)
		if (wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	CHECK_EQ("every filler saw only EAGAIN or ENOMEM", ok, nproc);
	if (CHECK_OK("a pipe afterwards", pipe(fd))) {
		CHECK_EQ("it carries data", write(fd[1], "abc", 3), 3);
		CHECK_EQ("it reads back", read(fd[0], b, 3), 3);
	}
}

static void
mode_sparse(int n)
{
	char path[128], b = 0, z[4096], zero[4096] = {0};
	struct stat st;
	int i, f, good = 0, zeroes = 0, small = 0;
	const off_t gib = 1LL << 30;

	make_dir();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/s%d", dir, i);
		f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (f < 0 || pwrite(f, "x", 1, gib + i) != 1) {
			say("file %d: %s\n", i, errname(errno));
			break;
		}
		if (fstat(f, &st) == 0 && st.st_size == gib + i + 1)
			good++;
		if (st.st_blocks <= 64)
			small++;
		if (pread(f, z, sizeof(z), gib / 2) == (ssize_t)sizeof(z) &&
		    memcmp(z, zero, sizeof(z)) == 0 && pread(f, &b, 1, gib + i) == 1 && b == 'x')
			zeroes++;
		close(f);
	}
	CHECK_EQ("every sparse file has its size", good, n);
	CHECK_EQ("every hole reads as zeroes and the byte as written", zeroes, n);
	CHECK_EQ("every sparse file uses a few blocks", small, n);
	snprintf(path, sizeof(path), "%s/huge", dir);
	f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_OK("ftruncate to 64 GiB", ftruncate(f, 64 * gib));
	CHECK_EQ("a byte at 64 GiB - 1", pwrite(f, "y", 1, 64 * gib - 1), 1);
	CHECK_EQ("reads back", pread(f, &b, 1, 64 * gib - 1) == 1 && b == 'y', 1);
	CHECK_EQ("the middle of the hole is zero",
		 pread(f, z, 4096, 33 * gib) == 4096 && memcmp(z, zero, 4096) == 0, 1);
	CHECK_OK("ftruncate back to 1 byte", ftruncate(f, 1));
	CHECK_EQ("size is 1", (fstat(f, &st), st.st_size), 1);
	close(f);
	unlink(path);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/s%d", dir, i);
		unlink(path);
	}
	CHECK_OK("the directory empties", rmdir(dir));
}

static unsigned char
pat(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 11);
}

static void
mode_maptmp(int mib, int n)
{
	size_t len = (size_t)mib << 20, i;
	unsigned char *buf = malloc(1 << 20), **m = calloc((size_t)n, sizeof(*m));
	char path[128];
	int f, k, good = 0, mapped = 0;

	make_dir();
	snprintf(path, sizeof(path), "%s/mapped", dir);
	f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < len; i++) {
		buf[i % (1 << 20)] = pat(i);
		if (i % (1 << 20) == (1 << 20) - 1 && write(f, buf, 1 << 20) != 1 << 20)
			break;
	}
	CHECK_EQ("the file is written", i, len);
	for (k = 0; k < n; k++) {
		/* Private read-write, shared read-only, private read-only, in turn. */
		m[k] = mmap(NULL, len, PROT_READ | (k % 3 == 0 ? PROT_WRITE : 0),
			    k % 3 == 1 ? MAP_SHARED : MAP_PRIVATE, f, 0);
		if (m[k] == MAP_FAILED) {
			say("mapping %d: %s\n", k, errname(errno));
			m[k] = NULL;
			continue;
		}
		mapped++;
		/* Every page of the first 16 mappings, the first byte of the rest. */
		if (k < 16) {
			for (i = 0; i < len; i += 4096)
				if (m[k][i + (i / 4096) % 4096] != pat(i + (i / 4096) % 4096))
					break;
			if (i >= len && m[k][len - 1] == pat(len - 1))
				good++;
		} else if (m[k][0] == pat(0)) {
			good++;
		}
	}
	CHECK_EQ("every mapping made", mapped, n);
	CHECK_EQ("every mapping sees the file", good, n);
	if (m[0] && n > 3 && m[1] && m[2] && m[3]) {
		unsigned char nb = (unsigned char)~pat(100), c;
		pid_t pid;
		int st;

		m[0][7] = (unsigned char)~pat(7);
		CHECK_EQ("a private write shows in its mapping", m[0][7], (unsigned char)~pat(7));
		CHECK_EQ("... not in another mapping", m[1][7], pat(7));
		CHECK_EQ("... nor in the file", pread(f, buf, 8, 0) == 8 && buf[7] == pat(7), 1);
		/* A write to the file shows in a shared mapping (mapping 1). */
		CHECK_EQ("pwrite to the mapped file", pwrite(f, &nb, 1, 100), 1);
		CHECK_EQ("a shared mapping sees the file's new byte", m[1][100], nb);
		/* Mapping 2 is private and read-only: mprotect it writable and write. */
		CHECK_OK("mprotect a read-only private mapping writable",
			 mprotect(m[2], 4096, PROT_READ | PROT_WRITE));
		m[2][200] = (unsigned char)~pat(200);
		CHECK_EQ("... its write stays private", pread(f, &c, 1, 200) == 1 && c == pat(200),
			 1);
		CHECK_EQ("... and another mapping keeps the file's byte", m[1][200], pat(200));
		/* A child's write to a private mapping is its own. */
		pid = fork();
		if (pid == 0) {
			m[3][300] = 1;
			_exit(m[3][300] == 1 ? 0 : 1);
		}
		CHECK_EQ("a child writes its copy", waitpid(pid, &st, 0) == pid && st == 0, 1);
		CHECK_EQ("... the parent's mapping keeps the file's byte", m[3][300], pat(300));
		CHECK_EQ("... and so does the file", pread(f, &c, 1, 300) == 1 && c == pat(300), 1);
	}
	for (k = 0; k < n; k++)
		if (m[k])
			munmap(m[k], len);
	close(f);
	unlink(path);
	rmdir(dir);
	free(m);
	free(buf);
}

/* Map up to 400 regular files of dir, close each, then read them all through the maps. */
static void
map_many_files(const char *dirpath)
{
	static unsigned char *m[400], want[400];
	char path[512];
	struct dirent *de;
	struct stat st;
	int n = 0, good = 0, i;
	DIR *d = opendir(dirpath);

	if (!CHECK_OK("opendir the host directory", d ? 0 : -1))
		return;
	while (n < 400 && (de = readdir(d))) {
		int f;

		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		f = open(path, O_RDONLY | O_NOFOLLOW);
		if (f < 0)
			continue;
		if (fstat(f, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    read(f, &want[n], 1) == 1) {
			m[n] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, 0);
			if (m[n] != MAP_FAILED)
				n++;
		}
		close(f);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		if (m[i][0] == want[i])
			good++;
	say("%d files of %s mapped\n", n, dirpath);
	CHECK_EQ("more than 100 host files mapped", n > 100, 1);
	CHECK_EQ("every one reads its first byte through the map", good, n);
	for (i = 0; i < n; i++)
		munmap(m[i], 4096);
}

static void
mode_maphost(const char *path, int n, const char *many)
{
	unsigned char **m = calloc((size_t)n, sizeof(*m)), first;
	int f = open(path, O_RDONLY), k, fails = 0, good = 0, again = 0;

	if (!CHECK_OK("open the host file", f) ||
	    !CHECK_EQ("read its first byte", read(f, &first, 1), 1))
		return;
	for (k = 0; k < n; k++) {
		m[k] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, 0);
		if (m[k] == MAP_FAILED) {
			if (fails++ == 0)
				say("mapping %d: %s\n", k, errname(errno));
			m[k] = NULL;
		}
	}
	close(f);
	CHECK_EQ("every mapping made", fails, 0);
	for (k = 0; k < n; k++)
		if (m[k] && m[k][0] == first)
			good++;
	CHECK_EQ("every mapping reads the file after its descriptor closed", good, n);
	for (k = 0; k < n; k += 2)
		if (m[k])
			munmap(m[k], 4096);
	f = open(path, O_RDONLY);
	for (k = 0; k < n; k += 2) {
		m[k] = mmap(NULL, 4096, PROT_READ, MAP_SHARED, f, 0);
		if (m[k] != MAP_FAILED && m[k][0] == first)
			again++;
	}
	CHECK_EQ("mapped again after unmapping half", again, (n + 1) / 2);
	k = open("/dev/null", O_RDONLY);
	CHECK_OK("the process can still open a file", k);
	close(k);
	close(f);
	map_many_files(many);
}

static void
mode_bigdir(int n)
{
	char path[256];
	struct stat st;
	struct dirent *de;
	unsigned char *seen = calloc((size_t)n, 1);
	int i, made = 0, found = 0, dups = 0, listed = 0, gone = 0, half = 0, rest = 0;
	long pos;
	DIR *d;

	make_dir();
	for (i = 0; i < n; i++) {
		int f;

		snprintf(path, sizeof(path), "%s/entry-%d", dir, i);
		f = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (f < 0) {
			say("create %d: %s\n", i, errname(errno));
			break;
		}
		close(f);
		made++;
	}
	CHECK_EQ("every file made", made, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/entry-%d", dir, i);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			found++;
	}
	CHECK_EQ("every file found by stat", found, n);
	snprintf(path, sizeof(path), "%s/entry-%d", dir, n);
	CHECK_ERR("a name not made is ENOENT", stat(path, &st), ENOENT);
	snprintf(path, sizeof(path), "%s/entry-%d", dir, 0);
	CHECK_ERR("O_EXCL on an existing one is EEXIST", open(path, O_CREAT | O_EXCL, 0600),
		  EEXIST);

	d = opendir(dir);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "entry-", 6) != 0)
			continue;
		i = atoi(de->d_name + 6);
		if (i < 0 || i >= n || seen[i]++)
			dups++;
		listed++;
	}
	CHECK_EQ("getdents lists every file", listed, n);
	CHECK_EQ("... each once", dups, 0);

	for (i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "%s/entry-%d", dir, i);
		if (unlink(path) == 0)
			gone++;
	}
	CHECK_EQ("unlink every other file", gone, (n + 1) / 2);
	for (i = 0, found = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/entry-%d", dir, i);
		if ((stat(path, &st) == 0) == (i % 2 == 1))
			found++;
	}
	CHECK_EQ("stat agrees with every unlink", found, n);

	/*
	 * Read half the directory, remember the offset, add and remove names,
	 * then seek back to it: every name present all along is listed exactly
	 * once in the two halves together.
	 */
	memset(seen, 0, (size_t)n);
	rewinddir(d);
	dups = 0;
	pos = -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "entry-", 6) == 0) {
			i = atoi(de->d_name + 6);
			if (i >= 0 && i < n && seen[i]++)
				dups++;
			if (++half == n / 4) {
				pos = telldir(d);
				break;
			}
		}
	}
	CHECK_OK("telldir halfway", pos);
	for (i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "%s/new-%d", dir, i);
		close(open(path, O_WRONLY | O_CREAT, 0600));
	}
	seekdir(d, pos);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "entry-", 6) == 0) {
			i = atoi(de->d_name + 6);
			if (i >= 0 && i < n && seen[i]++)
				dups++;
			rest++;
		}
	}
	CHECK_EQ("after seekdir: the names present all along, once each", half + rest, n / 2);
	CHECK_EQ("... none twice", dups, 0);
	closedir(d);

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/entry-%d", dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/new-%d", dir, i);
		unlink(path);
	}
	CHECK_OK("the directory empties", rmdir(dir));
	free(seen);
}

static char deep[8192];

/* deep = dir/cK followed by L "/d": the bottom of chain k. */
static int
chain_path(int k, int l)
{
	int n = snprintf(deep, sizeof(deep), "%s/c%d", dir, k), i;

	for (i = 0; i < l; i++)
		n += snprintf(deep + n, sizeof(deep) - (size_t)n, "/d");
	return n;
}

static void
mode_deepdir(int K, int L, int keep)
{
	char top[128], sub[128];
	int k, i, made = 0, moved = 0, back = 0, gone = 0;

	make_dir();
	for (k = 0; k < K; k++) {
		int n = snprintf(deep, sizeof(deep), "%s/c%d", dir, k), ok = mkdir(deep, 0700) == 0;

		for (i = 0; i < L && ok; i++) {
			n += snprintf(deep + n, sizeof(deep) - (size_t)n, "/d");
			ok = mkdir(deep, 0700) == 0;
		}
		if (!ok) {
			say("chain %d: %s\n", k, errname(errno));
			break;
		}
		made++;
		if (k > 0) {
			snprintf(top, sizeof(top), "%s/c%d", dir, k - 1);
			snprintf(deep + n, sizeof(deep) - (size_t)n, "/x");
			if (rename(top, deep) == 0)
				moved++;
		}
	}
	CHECK_EQ("every chain made", made, K);
	CHECK_EQ("each moved under the next", moved, K - 1);
	snprintf(top, sizeof(top), "%s/c%d", dir, K - 1);
	snprintf(sub, sizeof(sub), "%s/c%d/d/d/d", dir, K - 1);
	CHECK_ERR("the top renamed into its own subtree is EINVAL", rename(top, sub), EINVAL);
	snprintf(sub, sizeof(sub), "%s/top", dir);
	CHECK_OK("the top renamed out of it", rename(top, sub));
	CHECK_OK("... and back", rename(sub, top));
	if (keep)
		return;
	/* Down again: each chain moved back out, then removed from the bottom up. */
	for (k = K - 1; k >= 0; k--) {
		int n = chain_path(k, L);

		if (k > 0) {
			snprintf(deep + n, sizeof(deep) - (size_t)n, "/x");
			snprintf(top, sizeof(top), "%s/c%d", dir, k - 1);
			if (rename(deep, top) == 0)
				back++;
		}
		for (i = L; i >= 0; i--) {
			chain_path(k, i);
			if (rmdir(deep) == 0)
				gone++;
		}
	}
	CHECK_EQ("every chain moved back out", back, K - 1);
	CHECK_EQ("every directory removed", gone, K * (L + 1));
	CHECK_OK("the work directory removed", rmdir(dir));
}

static void
mode_openmany(int nproc, int n, const char *path)
{
	int c, st, ok = 0, go[2], rep[2], total = 0, f;
	char line[64];
	FILE *in;

	if (!CHECK_OK("pipes to the children", pipe(go) | pipe(rep)))
		return;
	for (c = 0; c < nproc; c++) {
		if (fork() == 0) {
			int i, got = 0, bad = 0;
			char b;

			close(go[1]);
			close(rep[0]);
			for (i = 0; i < n; i++) {
				if (open(path, O_RDONLY) >= 0)
					got++;
				else if (errno != EMFILE && errno != ENFILE)
					bad++;
			}
			dprintf(rep[1], "%d %d\n", got, bad);
			close(rep[1]);
			(void)!read(go[0], &b, 1);
			_exit(0);
		}
	}
	close(rep[1]);
	close(go[0]);
	in = fdopen(rep[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		int g, b;

		if (sscanf(line, "%d %d", &g, &b) == 2 && b == 0) {
			ok++;
			total += g;
		}
	}
	close(go[1]);
	while (wait(&st) > 0)
		;
	say("%d files open at once\n", total);
	CHECK_EQ("every open succeeded or said EMFILE/ENFILE", ok, nproc);
	f = open(path, O_RDONLY);
	CHECK_OK("a file opens again once they are gone", f);
	close(f);
}

static void
mode_procmaps(int m, int n)
{
	static char buf[65536];
	int i, k, *fd = calloc((size_t)n, sizeof(*fd)), opened = 0, odd = 0, whole = 0;

	/* Alternate protections, so that no two neighbours merge into one line. */
	for (i = 0; i < m; i++)
		if (mmap(NULL, 4096, i % 2 ? PROT_READ : PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0) == MAP_FAILED)
			break;
	CHECK_EQ("the mappings made", i, m);
	for (k = 0; k < n; k++) {
		fd[k] = open("/proc/self/maps", O_RDONLY);
		if (fd[k] >= 0)
			opened++;
		else if (errno != ENOMEM)
			odd++;
	}
	say("%d of %d opens of /proc/self/maps held at once\n", opened, n);
	CHECK_EQ("every open succeeded or said ENOMEM", odd, 0);
	CHECK_EQ("some opened", opened > 0, 1);
	for (k = 0; k < n; k++) {
		long lines = 0, r;

		if (fd[k] < 0)
			continue;
		while ((r = read(fd[k], buf, sizeof(buf))) > 0)
			for (i = 0; i < r; i++)
				lines += buf[i] == '\n';
		if (lines >= m)
			whole++;
		close(fd[k]);
	}
	CHECK_EQ("each open one lists every mapping", whole, opened);
	free(fd);
}

static void
mode_tmpexec(int n)
{
	static char buf[1 << 16];
	char path[128];
	int in, out, go[2], c, ok = 0, st;
	ssize_t r;

	make_dir();
	snprintf(path, sizeof(path), "%s/t_resources", dir);
	in = open("/proc/self/exe", O_RDONLY);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	while (in >= 0 && out >= 0 && (r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r)
			break;
	close(in);
	if (!CHECK_OK("copy this program into /tmp", close(out)) ||
	    !CHECK_OK("a pipe for the children", pipe(go)))
		return;
	for (c = 0; c < n; c++) {
		if (fork() == 0) {
			dup2(go[0], 0);
			close(go[0]);
			close(go[1]);
			execl(path, path, "hold", (char *)NULL);
			_exit(127);
		}
	}
	close(go[0]);
	close(go[1]);
	while (wait(&st) > 0)
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	CHECK_EQ("every copy ran from /tmp and exited 0", ok, n);
	unlink(path);
	rmdir(dir);
}

static void
mode_nofile(void)
{
	struct rlimit rl = {64, 64};
	int fd, last = -1, n = 0;

	if (!CHECK_OK("setrlimit(RLIMIT_NOFILE, 64)", setrlimit(RLIMIT_NOFILE, &rl)))
		return;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		last = fd;
		if (++n > 1000)
			break;
	}
	CHECK_ERR("open at the limit is EMFILE", fd, EMFILE);
	CHECK_EQ("the last descriptor is 63", last, 63);
	CHECK_ERR("dup2 to 64 is EBADF", dup2(0, 64), EBADF);
	close(10);
	CHECK_ERR("F_DUPFD from 64 is EINVAL", fcntl(0, F_DUPFD, 64), EINVAL);
	CHECK_EQ("F_DUPFD below the limit finds 10", fcntl(0, F_DUPFD, 5), 10);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	guest_begin("t_resources", mode);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "pipeuser") == 0 && argc == 3)
		mode_pipeuser(atoi(argv[2]));
	else if (strcmp(mode, "pipesize") == 0 && argc == 4)
		mode_pipesize(atol(argv[2]), atoi(argv[3]));
	else if (strcmp(mode, "pipefill") == 0 && argc == 4)
		mode_pipefill(atoi(argv[2]), atoi(argv[3]));
	else if (strcmp(mode, "sparse") == 0 && argc == 3)
		mode_sparse(atoi(argv[2]));
	else if (strcmp(mode, "maptmp") == 0 && argc == 4)
		mode_maptmp(atoi(argv[2]), atoi(argv[3]));
	else if (strcmp(mode, "maphost") == 0 && argc == 5)
		mode_maphost(argv[2], atoi(argv[3]), argv[4]);
	else if (strcmp(mode, "bigdir") == 0 && argc == 3)
		mode_bigdir(atoi(argv[2]));
	else if (strcmp(mode, "deepdir") == 0 && argc == 5)
		mode_deepdir(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else if (strcmp(mode, "openmany") == 0 && argc == 5)
		mode_openmany(atoi(argv[2]), atoi(argv[3]), argv[4]);
	else if (strcmp(mode, "procmaps") == 0 && argc == 4)
		mode_procmaps(atoi(argv[2]), atoi(argv[3]));
	else if (strcmp(mode, "tmpexec") == 0 && argc == 3)
		mode_tmpexec(atoi(argv[2]));
	else if (strcmp(mode, "hold") == 0 && argc == 2) {
		char b;

		/* A child of tmpexec: runs until its stdin closes, says nothing. */
		while (read(0, &b, 1) > 0)
			;
		return 0;
	} else if (strcmp(mode, "nofile") == 0 && argc == 2)
		mode_nofile();
	else {
		say("usage: t_resources pipeuser BIND | pipesize MAX PRIV | pipefill N NPROC | "
		    "sparse N | "
		    "maptmp MIB N | maphost PATH N DIR | bigdir N | deepdir K L KEEP | openmany "
		    "NPROC N PATH | nofile\n");
		return 2;
	}
	return guest_end();
}
