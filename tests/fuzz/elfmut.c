/*
 * elfmut.c - the ELF mutator of the fuzz suite: corrupt copies of a valid
 * static program, of a static PIE and of a #! script, and run them.
 *
 *   elfmut gen SEED INDEX STATIC PIE OUT GSTATIC GPIE
 *	write mutant INDEX of run SEED to OUT (host side: the harness runs
 *	each one as uvk's first program); GSTATIC and GPIE are the paths
 *	under which the guest sees STATIC and PIE.
 *   elfmut run SEED START COUNT STATIC PIE [TIMEOUT_S]
 *	inside uvk: write mutants START.. one at a time to /tmp, execve each
 *	from a forked child (the guest kernel's execve path) and tally how
 *	they ended. A child that has not ended after TIMEOUT_S seconds is
 *	killed: a mutant that loops is an outcome, not a failure.
 *
 * STATIC and PIE are the unmutated programs (fz_target builds), as the
 * guest sees them; the script's interpreter is one of them. Mutant INDEX is
 * of kind INDEX % 3 (static, PIE, script) and is a function of (SEED,
 * INDEX) alone. What it corrupts: bit flips, ELF header and program header
 * fields set to boundary values (e_phoff, e_phnum, e_phentsize, p_offset,
 * p_filesz, p_memsz, p_vaddr, p_align and the rest), a program header made
 * PT_INTERP with a garbage path, overlapping or swapped headers, and
 * truncation; for scripts, the #! line.
 *
 * The harness, not this program, decides pass or fail: it checks that uvk
 * survived all of it (exit status, sanitizer reports, descriptors and RSS at
 * the marks, processes left). This program only fails (exit 2) when it
 * cannot do its own work (read the base programs, write /tmp, fork).
 */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fz.h"

#define MUT_PATH "/tmp/fz-mutant"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static const uint64_t vals64[] = {
    0,
    1,
    2,
    7,
    0x38,
    0x40,
    0x7f,
    0x80,
    0xff,
    0xfff,
    0x1000,
    0x1001,
    0xffff,
    0x10000,
    0x100000,
    0x10fff0,
    0x110000,
    0x200000,
    0x400000,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ULL,
    0x100000001ULL,
    0x100000040ULL,
    0x7ffffffde000ULL,
    0x7ffffffff000ULL,
    0x7fffffffffffULL,
    0x800000000000ULL,
    0xffff800000000000ULL,
    0xffffffffff600000ULL,
    0x8000000000000000ULL,
    0xfffffffffffff000ULL,
    0xffffffffffffffffULL,
    0xfffffffffffffffeULL,
    0xffffffffffffffc0ULL,
};
static const uint32_t vals32[] = {
    0,		1,	    2,		3,	    4,		5,	    6,
    7,		0x8,	    0x6474e550, 0x6474e551, 0x6474e552, 0x6474e553, 0x60000000,
    0x70000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};
static const uint16_t vals16[] = {
    0,	  1,	2,    3,    4,	   0x37,   0x38,   0x39,   0x3e,   0x40,
    0x41, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff,
};

static void
die(const char *what)
{
	fz_say("elfmut: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int
read_file(const char *path, struct buf *b)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	b->len = (size_t)st.st_size;
	b->p = malloc(b->len + 1);
	if (!b->p)
		return -1;
	while (off < b->len) {
		ssize_t n = read(fd, b->p + off, b->len - off);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

/* put - store the low size bytes of v at off, if they fit. */
static void
put(struct buf *m, uint64_t off, unsigned size, uint64_t v)
{
	if (off + size > m->len || off + size < off)
		return;
	memcpy(m->p + off, &v, size);
}

static uint64_t
get(const struct buf *m, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (off + size <= m->len && off + size >= off)
		memcpy(&v, m->p + off, size);
	return v;
}

/* A value for a field of size bytes whose current value is cur. */
static uint64_t
boundary(struct fz_rng *r, unsigned size, uint64_t cur, size_t filelen)
{
	switch (fz_below(r, 6)) {
	case 0: /* near the current value */
		return cur +
		       (uint64_t)(int64_t)(fz_below(r, 9) - 4) * (fz_below(r, 2) ? 1 : 0x1000);
	case 1: /* the file's size and around it */
		return (uint64_t)filelen + (uint64_t)(int64_t)(fz_below(r, 5) - 2);
	case 2:
		return fz_next(r);
	default:
		if (size == 2)
			return FZ_PICK(r, vals16);
		if (size == 4)
			return FZ_PICK(r, vals32);
		return FZ_PICK(r, vals64);
	}
}

static void
flip_bits(struct fz_rng *r, struct buf *m, size_t span)
{
	unsigned n = 1 + (unsigned)fz_below(r, 16);

	if (span > m->len)
		span = m->len;
	if (span == 0)
		return;
	while (n--) {
		size_t at = (size_t)fz_below(r, span);

		m->p[at] ^= (unsigned char)(1u << fz_below(r, 8));
	}
}

/* Field offsets and sizes of Elf64_Ehdr worth corrupting. */
static const struct {
	unsigned off, size;
} ehdr_fields[] = {
    {EI_CLASS, 1},
    {EI_DATA, 1},
    {EI_VERSION, 1},
    {EI_OSABI, 1},
    {offsetof(Elf64_Ehdr, e_type), 2},
    {offsetof(Elf64_Ehdr, e_machine), 2},
    {offsetof(Elf64_Ehdr, e_version), 4},
    {offsetof(Elf64_Ehdr, e_entry), 8},
    {offsetof(Elf64_Ehdr, e_phoff), 8},
    {offsetof(Elf64_Ehdr, e_phoff), 8},
    {offsetof(Elf64_Ehdr, e_shoff), 8},
    {offsetof(Elf64_Ehdr, e_flags), 4},
    {offsetof(Elf64_Ehdr, e_ehsize), 2},
    {offsetof(Elf64_Ehdr, e_phentsize), 2},
    {offsetof(Elf64_Ehdr, e_phentsize), 2},
    {offsetof(Elf64_Ehdr, e_phnum), 2},
    {offsetof(Elf64_Ehdr, e_phnum), 2},
    {offsetof(Elf64_Ehdr, e_shnum), 2},
    {offsetof(Elf64_Ehdr, e_shstrndx), 2},
};

static const struct {
	unsigned off, size;
} phdr_fields[] = {
    {offsetof(Elf64_Phdr, p_type), 4},	 {offsetof(Elf64_Phdr, p_flags), 4},
    {offsetof(Elf64_Phdr, p_offset), 8}, {offsetof(Elf64_Phdr, p_offset), 8},
    {offsetof(Elf64_Phdr, p_vaddr), 8},	 {offsetof(Elf64_Phdr, p_vaddr), 8},
    {offsetof(Elf64_Phdr, p_paddr), 8},	 {offsetof(Elf64_Phdr, p_filesz), 8},
    {offsetof(Elf64_Phdr, p_filesz), 8}, {offsetof(Elf64_Phdr, p_memsz), 8},
    {offsetof(Elf64_Phdr, p_memsz), 8},	 {offsetof(Elf64_Phdr, p_align), 8},
};

/*
 * The program headers as the unmutated file has them: corruptions aim at
 * real headers even after an earlier step broke e_phoff or e_phnum.
 */
struct layout {
	uint64_t phoff;
	unsigned phnum;
};

static uint64_t
phdr_at(const struct layout *lo, unsigned i)
{
	return lo->phoff + (uint64_t)i * sizeof(Elf64_Phdr);
}

static void
interp_garbage(struct fz_rng *r, struct buf *m, const struct layout *lo, const char *stat_path,
	       const char *pie_path)
{
	static const char *const names[] = {
	    "/nonexistent/ld.so", MUT_PATH, "/", "/proc/self/exe", "", "/dev/zero", "/tmp"};
	uint64_t ph = phdr_at(lo, (unsigned)fz_below(r, lo->phnum));
	uint64_t at = m->len > 4096 ? m->len - 1 - fz_below(r, 2048) : m->len / 2;
	char s[300];
	size_t n;

	switch (fz_below(r, 5)) {
	case 0:
		snprintf(s, sizeof(s), "%s", FZ_PICK(r, names));
		break;
	case 1:
		snprintf(s, sizeof(s), "%s", fz_below(r, 2) ? stat_path : pie_path);
		break;
	case 2: /* a path longer than PATH_MAX allows in a header */
		memset(s, 'a', sizeof(s) - 1);
		s[0] = '/';
		s[sizeof(s) - 1] = '\0';
		break;
	default:
		for (n = 0; n < sizeof(s) - 1; n++)
			s[n] = (char)fz_next(r);
		s[sizeof(s) - 1] = '\0';
		break;
	}
	n = strlen(s) + (fz_below(r, 4) ? 1 : 0); /* sometimes without its NUL */
	if (at + n > m->len)
		at = m->len > n ? m->len - n : 0;
	if (n <= m->len)
		memcpy(m->p + at, s, n);
	put(m, ph + offsetof(Elf64_Phdr, p_type), 4, PT_INTERP);
	put(m, ph + offsetof(Elf64_Phdr, p_offset), 8,
	    fz_below(r, 4) ? at : boundary(r, 8, at, m->len));
	put(m, ph + offsetof(Elf64_Phdr, p_filesz), 8,
	    fz_below(r, 3) ? n : boundary(r, 8, n, m->len));
	/* Two interpreters: the first and this one. */
	if (fz_below(r, 4) == 0 && lo->phnum > 1)
		put(m, phdr_at(lo, 0) + offsetof(Elf64_Phdr, p_type), 4, PT_INTERP);
}

static void
mutate_elf(struct fz_rng *r, struct buf *m, const char *stat_path, const char *pie_path)
{
	struct layout lo;
	unsigned steps = 1 + (unsigned)fz_below(r, 3), a, b;

	lo.phoff = get(m, offsetof(Elf64_Ehdr, e_phoff), 8);
	lo.phnum = (unsigned)get(m, offsetof(Elf64_Ehdr, e_phnum), 2);
	if (lo.phnum == 0 || phdr_at(&lo, lo.phnum) > m->len)
		lo.phnum = 1;
	while (steps--) {
		uint64_t ph = phdr_at(&lo, (unsigned)fz_below(r, lo.phnum));
		unsigned k;

		switch (fz_below(r, 12)) {
		case 0:
			flip_bits(r, m, 4096);
			break;
		case 1:
			flip_bits(r, m, m->len);
			break;
		case 2:
		case 3:
		case 4:
			k = (unsigned)fz_below(r, sizeof(ehdr_fields) / sizeof(ehdr_fields[0]));
			put(m, ehdr_fields[k].off, ehdr_fields[k].size,
			    boundary(r, ehdr_fields[k].size,
				     get(m, ehdr_fields[k].off, ehdr_fields[k].size), m->len));
			break;
		case 5:
		case 6:
		case 7:
		case 8:
			k = (unsigned)fz_below(r, sizeof(phdr_fields) / sizeof(phdr_fields[0]));
			put(m, ph + phdr_fields[k].off, phdr_fields[k].size,
			    boundary(r, phdr_fields[k].size,
				     get(m, ph + phdr_fields[k].off, phdr_fields[k].size), m->len));
			break;
		case 9:
			interp_garbage(r, m, &lo, stat_path, pie_path);
			break;
		case 10: /* one header copied over another: overlapping or duplicate segments */
			a = (unsigned)fz_below(r, lo.phnum);
			b = (unsigned)fz_below(r, lo.phnum);
			if (phdr_at(&lo, a + 1) <= m->len && phdr_at(&lo, b + 1) <= m->len) {
				Elf64_Phdr t;

				memcpy(&t, m->p + phdr_at(&lo, a), sizeof(t));
				if (fz_below(r, 2))
					memcpy(m->p + phdr_at(&lo, a), m->p + phdr_at(&lo, b),
					       sizeof(t));
				memcpy(m->p + phdr_at(&lo, b), &t, sizeof(t));
			}
			break;
		default: {
			/* Truncation: at the headers' edges, inside a segment, anywhere. */
			static const uint64_t cuts[] = {0,  1,	4,   16,   52,	63,
							64, 65, 120, 4095, 4096};
			uint64_t at;

			switch (fz_below(r, 4)) {
			case 0:
				at = FZ_PICK(r, cuts);
				break;
			case 1:
				at = phdr_at(&lo, (unsigned)fz_below(r, lo.phnum + 1)) +
				     fz_below(r, 3) - 1;
				break;
			case 2:
				at =
				    get(m, ph + offsetof(Elf64_Phdr, p_offset), 8) +
				    fz_below(r, get(m, ph + offsetof(Elf64_Phdr, p_filesz), 8) + 1);
				break;
			default:
				at = fz_below(r, m->len);
				break;
			}
			if (at < m->len)
				m->len = (size_t)at;
			break;
		}
		}
	}
}

/* A #! script run by one of the base programs, then corrupted. */
static void
make_script(struct fz_rng *r, struct buf *m, const char *stat_path, const char *pie_path)
{
	static const char *const odd[] = {MUT_PATH,    "/nonexistent",	 "/",	      "/tmp",
					  "/dev/null", "/proc/self/exe", "fz_target", ""};
	char line[6000];
	const char *interp;
	int n;

	switch (fz_below(r, 4)) {
	case 0:
		interp = FZ_PICK(r, odd);
		break;
	case 1:
		interp = pie_path;
		break;
	default:
		interp = stat_path;
		break;
	}
	switch (fz_below(r, 6)) {
	case 0: /* an interpreter line longer than the kernel reads */
		n = snprintf(line, sizeof(line), "#!%s %.*s\n", interp,
			     (int)fz_below(r, sizeof(line) - 600), "");
		memset(line + strlen(interp) + 3, 'x', (size_t)n - strlen(interp) - 4);
		break;
	case 1:
		n = snprintf(line, sizeof(line), "#!%s", interp); /* no newline at all */
		break;
	case 2:
		n = snprintf(line, sizeof(line), "#! \t%s \t arg1 arg2\t\n", interp);
		break;
	case 3:
		n = snprintf(line, sizeof(line), "#!\n");
		break;
	default:
		n = snprintf(line, sizeof(line), "#!%s fz-arg\necho never\n", interp);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	memcpy(m->p, line, (size_t)n);
	m->len = (size_t)n;
	if (fz_below(r, 3) == 0)
		flip_bits(r, m, m->len);
	if (fz_below(r, 5) == 0)
		m->len = (size_t)fz_below(r, m->len + 1);
}

/* mutant - mutant index of run seed into m (whose buffer holds at least the larger base). */
static void
mutant(uint64_t seed, uint64_t index, const struct buf *stat, const struct buf *pie,
       const char *stat_path, const char *pie_path, struct buf *m)
{
	struct fz_rng r;

	fz_seed(&r, seed, index);
	switch (index % 3) {
	case 0:
		memcpy(m->p, stat->p, stat->len);
		m->len = stat->len;
		mutate_elf(&r, m, stat_path, pie_path);
		break;
	case 1:
		memcpy(m->p, pie->p, pie->len);
		m->len = pie->len;
		mutate_elf(&r, m, stat_path, pie_path);
		break;
	default:
		make_script(&r, m, stat_path, pie_path);
		break;
	}
}

static int
write_file(const char *path, const struct buf *m)
{
	size_t off = 0;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -1;
	while (off < m->len) {
		ssize_t n = write(fd, m->p + off, m->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* Outcome tallies of a run. */
struct tally {
	unsigned long ran, exit0, exit_other, killed, timeouts;
	unsigned long exec_err[134];
	unsigned long sig[65];
};

/*
 * run_one - fork, execve path from the child with stdio on /dev/null, and
 * wait at most timeout_s seconds. The child reports a failed execve's errno
 * through a close-on-exec pipe, which a successful execve closes empty.
 */
static void
run_one(const char *path, unsigned timeout_s, struct tally *t)
{
	char *argv[] = {(char *)path, "fz-arg", NULL};
	char *envp[] = {"PATH=/bin", NULL};
	int pfd[2], err = 0, status, null;
	pid_t pid, w;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe2");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		setpgid(0, 0);
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execve(path, argv, envp);
		err = errno;
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pfd[1]);
	t->ran++;
	alarmed = 0;
	alarm(timeout_s);
	n = read(pfd[0], &err, sizeof(err));
	close(pfd[0]);
	for (;;) {
		w = waitpid(pid, &status, 0);
		if (w == pid)
			break;
		if (w < 0 && errno == EINTR && alarmed) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			t->timeouts++;
			alarmed = 0;
			continue;
		}
		if (w < 0 && errno != EINTR)
			die("waitpid");
	}
	alarm(0);
	/* Whatever the mutant left behind (it is in its own group) goes too. */
	kill(-pid, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (n == (ssize_t)sizeof(err)) {
		t->exec_err[err > 0 && err < 134 ? err : 0]++;
	} else if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0)
			t->exit0++;
		else
			t->exit_other++;
	} else if (WIFSIGNALED(status)) {
		t->killed++;
		t->sig[WTERMSIG(status) < 65 ? WTERMSIG(status) : 0]++;
	}
}

static void
report(const struct tally *t)
{
	char line[900];
	size_t off = 0;
	int i;

	fz_say("elfmut: %lu mutants run: %lu exit 0, %lu other exit, %lu killed by a signal, "
	       "%lu timed out\n",
	       t->ran, t->exit0, t->exit_other, t->killed, t->timeouts);
	line[0] = '\0';
	for (i = 0; i < 134; i++)
		if (t->exec_err[i] && off < sizeof(line) - 40)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s:%lu",
						i ? strerrorname_np(i) : "?", t->exec_err[i]);
	fz_say("elfmut: execve refused:%s\n", off ? line : " none");
	off = 0;
	line[0] = '\0';
	for (i = 0; i < 65; i++)
		if (t->sig[i] && off < sizeof(line) - 40)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s:%lu",
						i && sigabbrev_np(i) ? sigabbrev_np(i) : "RT",
						t->sig[i]);
	fz_say("elfmut: signals:%s\n", off ? line : " none");
}

int
main(int argc, char **argv)
{
	struct buf stat, pie, m;
	struct tally t;
	struct sigaction sa;
	uint64_t seed, i, start = 0, count = 0;
	unsigned timeout_s = 2;
	const char *stat_path, *pie_path;
	int gen;

	if (argc == 9 && strcmp(argv[1], "gen") == 0) {
		gen = 1;
		start = strtoull(argv[3], NULL, 0);
		stat_path = argv[4];
		pie_path = argv[5];
	} else if ((argc == 7 || argc == 8) && strcmp(argv[1], "run") == 0) {
		gen = 0;
		start = strtoull(argv[3], NULL, 0);
		count = strtoull(argv[4], NULL, 0);
		stat_path = argv[5];
		pie_path = argv[6];
		if (argc == 8)
			timeout_s = (unsigned)strtoul(argv[7], NULL, 0);
	} else {
		fz_say("usage: elfmut gen SEED INDEX STATIC PIE OUT GSTATIC GPIE | "
		       "elfmut run SEED START COUNT STATIC PIE [TIMEOUT_S]\n");
		return 2;
	}
	seed = strtoull(argv[2], NULL, 0);
	if (read_file(stat_path, &stat) < 0)
		die(stat_path);
	if (read_file(pie_path, &pie) < 0)
		die(pie_path);
	m.cap = (stat.len > pie.len ? stat.len : pie.len) + 8192;
	m.p = malloc(m.cap);
	if (!m.p)
		die("malloc");
	if (gen) {
		mutant(seed, start, &stat, &pie, argv[7], argv[8], &m);
		if (write_file(argv[6], &m) < 0)
			die(argv[6]);
		return 0;
	}

	memset(&t, 0, sizeof(t));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: the wait is interrupted */
	sigaction(SIGALRM, &sa, NULL);
	fz_mark("begin");
	for (i = start; i < start + count; i++) {
		mutant(seed, i, &stat, &pie, stat_path, pie_path, &m);
		if (write_file(MUT_PATH, &m) < 0)
			die(MUT_PATH);
		run_one(MUT_PATH, timeout_s, &t);
	}
	unlink(MUT_PATH);
	report(&t);
	fz_mark("end");
	fz_say("elfmut: done seed %llu mutants %llu..%llu\n", (unsigned long long)seed,
	       (unsigned long long)start, (unsigned long long)(start + count - 1));
	return 0;
}
