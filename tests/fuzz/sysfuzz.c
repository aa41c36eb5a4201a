/*
 * sysfuzz.c - the random-syscall guest of the fuzz suite. Runs under uvk
 * only: natively it would make random system calls on the host (unlink,
 * kill, mmap over itself, ...), so it refuses to start unless uname(2)
 * names uvk's guest kernel.
 *
 *   sysfuzz SEED START BATCHES CALLS
 *
 * Each batch runs in a forked child, in its own process group, with its own
 * stream (SEED, batch): CALLS system calls with random numbers (the table's
 * range, past it, with high bits set) and arguments drawn from boundary
 * classes: 0, -1, small, 1<<32|small, INT_MIN/MAX, huge lengths, descriptors
 * open and not, pointers to good memory, to page edges that straddle into
 * unmapped, read-only or PROT_NONE pages, into the stub area, the vsyscall
 * page, kernel addresses (0xffff8000_00000000 and up) and non-canonical
 * ones. Calls that return into a forked copy (fork, vfork, clone, clone3)
 * exit at once in the copy. The only calls rewritten are those that would
 * end the run rather than the batch: signals sent to anything but the
 * batch's own process or group, prlimit/setpgid/pidfd aimed at another
 * process; exit and exit_group only end the batch and are kept, rarely.
 *
 * A 10 ms one-shot timer is re-armed before every call (handler, mask and
 * timer restored with raw calls, as the previous call may have changed
 * them), so a call that blocks ends in EINTR; a batch that still does not
 * end in BACKSTOP_S seconds (the timer blocked by the call's own mask, say)
 * is killed by the parent. The parent counts the calls made (a byte each
 * down a pipe, see COUNT_FD) and prints the totals. Pass or fail is the harness's
 * judgement of uvk, not this program's: it fails only when it cannot run
 * batches at all.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "fz.h"

#define BACKSTOP_S 3
#define PG	   4096UL

/* The arena every batch aims its pointers at, made before the first fork. */
struct arena {
	unsigned char *base; /* 8 pages: */
	/* 0 rw zero  1 rw random  2 ro strings  3 none  4 rw  5 hole  6 rw  7 hole */
};

static struct arena ar;

/*
 * Each call made is one byte down this pipe (write end COUNT_FD in the
 * batch, out of the range the random descriptors aim at): the parent counts
 * calls even of a batch that died. A batch that closes COUNT_FD itself
 * (close_range) is undercounted from there on, never overcounted.
 */
#define COUNT_FD 500

static const char *const paths[] = {
    "/tmp/fz",
    "/tmp",
    "/",
    "/proc/self/mem",
    "/proc/1/mem",
    "/proc/self/maps",
    "/dev/null",
    "..",
    "/bin/fz_target-static",
    "/tmp/fz/../../..",
    "/proc/self/fd/0",
    "",
    "/proc/self/exe",
    "/dev/zero",
    "/proc/1/status",
    "/tmp/fzdir",
    "/tmp/fzlink",
    "/etc",
    "/proc",
};

static long
raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * raw6_forklike - the same for fork, vfork, clone and clone3: the copy
 * exits in the same asm block, touching no memory (it may share ours, or
 * run on a stack the call chose at random).
 */
static long
raw6_forklike(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static uint64_t
any_int(struct fz_rng *r)
{
	static const uint64_t v[] = {
	    0,
	    1,
	    2,
	    3,
	    4,
	    0xffffffffffffffffULL,
	    0xfffffffffffffffeULL,
	    0x7fffffff,
	    0x80000000,
	    0xffffffff,
	    0xffffffff80000000ULL,
	    0x100000000ULL,
	    0x100000001ULL,
	    0x100000003ULL,
	    0x7fffffffffffffffULL,
	    0x8000000000000000ULL,
	    64,
	    65,
	    255,
	    256,
	    1024,
	    4096,
	};

	switch (fz_below(r, 5)) {
	case 0:
		return fz_below(r, 64);
	case 1:
		return (1ULL << 32) | fz_below(r, 64);
	case 2:
		return fz_next(r);
	case 3:
		return (uint32_t)fz_next(r);
	default:
		return FZ_PICK(r, v);
	}
}

static uint64_t
any_size(struct fz_rng *r)
{
	static const uint64_t v[] = {
	    0,
	    1,
	    8,
	    16,
	    4095,
	    4096,
	    4097,
	    8192,
	    1 << 20,
	    0x7fffffff,
	    0x80000000,
	    0xffffffff,
	    0x100000000ULL,
	    0x100001000ULL,
	    0xffffffffffffffffULL,
	    0x7fffffffffffffffULL,
	    0xfffffffffffff000ULL,
	    0x800000000000ULL,
	};

	if (fz_below(r, 3) == 0)
		return (1ULL << 32) | fz_below(r, 8192);
	return FZ_PICK(r, v);
}

static uint64_t
any_fd(struct fz_rng *r)
{
	static const uint64_t v[] = {
	    0,
	    1,
	    2,
	    3,
	    4,
	    5,
	    6,
	    7,
	    8,
	    9,
	    10,
	    11,
	    0xffffffffffffffffULL,
	    0xffffff9cULL /* AT_FDCWD */,
	    0xffffffffffffff9cULL,
	    1023,
	    1024,
	    65535,
	    0x7fffffff,
	    0x100000000ULL,
	};

	if (fz_below(r, 4) == 0)
		return (1ULL << 32) | fz_below(r, 12);
	return FZ_PICK(r, v);
}

static uint64_t
any_ptr(struct fz_rng *r)
{
	unsigned char *b = ar.base;
	static const uint64_t wild[] = {
	    0,
	    1,
	    0xfff,
	    0x100000, /* the stub area */
	    0x100000 + 0x1000,
	    0x10fff8,
	    0x7ffffffff000ULL,
	    0x7fffffffeff8ULL,
	    0x7ffffffffff8ULL,
	    0x800000000000ULL, /* the first non-canonical address */
	    0x0000800000000000ULL - 8,
	    0x8000000000000000ULL,
	    0xffff800000000000ULL, /* kernel */
	    0xffff888000000000ULL,
	    0xffffffff81000000ULL,
	    0xffffffffff600000ULL, /* vsyscall */
	    0xfffffffffffff000ULL,
	    0xffffffffffffffffULL,
	    0x100000000ULL,
	};
	static const unsigned edge[] = {1, 2, 3, 4, 7, 8, 12, 16, 24, 32, 64, 128, 200};

	switch (fz_below(r, 10)) {
	case 0:
		return FZ_PICK(r, wild);
	case 1: /* kernel or non-canonical, at random */
		return 0xffff800000000000ULL | fz_next(r);
	case 2:
		return (fz_next(r) & 0x7fffffffffffULL) | (fz_below(r, 2) ? 0x800000000000ULL : 0);
	case 3: /* good, zeroed */
		return (uint64_t)(b + fz_below(r, 64) * 8);
	case 4: /* good, random contents */
		return (uint64_t)(b + PG + fz_below(r, PG / 8) * 8);
	case 5: { /* a path */
		unsigned i = (unsigned)fz_below(r, sizeof(paths) / sizeof(paths[0]));
		const char *s = (const char *)b + 2 * PG;
		unsigned k;

		for (k = 0; k < i; k++)
			s += strlen(s) + 1;
		return (uint64_t)s;
	}
	case 6: /* straddling a page edge into read-only, PROT_NONE or unmapped */
		return (uint64_t)(b + (fz_below(r, 2) ? 2 : 3) * PG - FZ_PICK(r, edge));
	case 7:
		return (uint64_t)(b + (fz_below(r, 2) ? 5 : 7) * PG - FZ_PICK(r, edge));
	case 8: /* inside PROT_NONE or the hole */
		return (uint64_t)(b + (fz_below(r, 2) ? 3 : 5) * PG + fz_below(r, PG));
	default:
		return (1ULL << 32) | fz_below(r, 4096);
	}
}

static uint64_t
any_arg(struct fz_rng *r)
{
	switch (fz_below(r, 4)) {
	case 0:
		return any_int(r);
	case 1:
		return any_size(r);
	case 2:
		return any_fd(r);
	default:
		return any_ptr(r);
	}
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* The kernel's struct sigaction for SIGALRM as libc installed it. */
static struct {
	uint64_t handler, flags, restorer, mask;
} alarm_act;

static void
rearm(void)
{
	uint64_t set = 1ULL << (SIGALRM - 1);
	long it[4] = {0, 0, 0, 10000}; /* it_interval 0, it_value 10 ms */

	raw6(SYS_rt_sigaction, SIGALRM, (long)&alarm_act, 0, 8, 0, 0);
	raw6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8, 0, 0);
	raw6(SYS_setitimer, ITIMER_REAL, (long)it, 0, 0, 0, 0);
}

/*
 * keep_in - rewrite what would reach outside the batch: the low 32 bits
 * (what Linux reads of a pid) become the batch itself (0 or its pid, or
 * minus its group for kill); the high bits stay random, to try the decoder.
 */
static uint64_t
self_pid(struct fz_rng *r, long self, int group_ok)
{
	uint64_t hi = fz_below(r, 2) ? (fz_next(r) & 0xffffffff00000000ULL) : 0;
	uint32_t lo;

	switch (fz_below(r, group_ok ? 3 : 2)) {
	case 0:
		lo = 0;
		break;
	case 1:
		lo = (uint32_t)self;
		break;
	default:
		lo = (uint32_t)-self;
		break;
	}
	return hi | lo;
}

static unsigned long
batch(uint64_t seed, uint64_t index, unsigned calls)
{
	struct fz_rng r;
	unsigned long done = 0;
	long self;
	unsigned i;

	fz_seed(&r, seed, index);
	setpgid(0, 0);
	self = raw6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	/* A few open descriptors for the random ones to hit. */
	open("/tmp/fz", O_RDWR | O_CREAT, 0644);
	open("/", O_RDONLY | O_DIRECTORY);
	open("/proc/self/maps", O_RDONLY);
	{
		int p[2];

		(void)!pipe(p);
	}
	for (i = 0; i < calls; i++) {
		uint64_t a[6], nr;
		int k;

		switch (fz_below(&r, 16)) {
		case 0:
			nr = (1ULL << 32) | fz_below(&r, 460);
			break;
		case 1:
			nr = fz_below(&r, 2) ? fz_next(&r) : 460 + fz_below(&r, 600);
			break;
		default:
			nr = fz_below(&r, 460);
			break;
		}
		for (k = 0; k < 6; k++)
			a[k] = any_arg(&r);
		switch ((uint32_t)nr) {
		case SYS_exit:
		case SYS_exit_group:
			if (fz_below(&r, 8))
				continue;
			break;
		case SYS_kill:
			a[0] = self_pid(&r, self, 1);
			break;
		case SYS_tkill:
		case SYS_rt_sigqueueinfo:
		case SYS_prlimit64:
		case SYS_pidfd_open:
			a[0] = self_pid(&r, self, 0);
			break;
		case SYS_tgkill:
		case SYS_rt_tgsigqueueinfo:
			a[0] = self_pid(&r, self, 0);
			a[1] = self_pid(&r, self, 0);
			break;
		case SYS_setpgid:
			a[0] = 0;
			a[1] = 0;
			break;
		case SYS_pidfd_send_signal:
		case SYS_process_vm_writev:
		case SYS_ptrace:
		case SYS_setpriority:
			continue;
		}
		rearm();
		done++;
		raw6(SYS_write, COUNT_FD, (long)"", 1, 0, 0, 0);
		switch ((uint32_t)nr) {
		case SYS_fork:
		case SYS_vfork:
		case SYS_clone:
		case SYS_clone3:
			raw6_forklike((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			break;
		default:
			raw6((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			break;
		}
	}
	return done;
}

static void
arena_init(uint64_t seed)
{
	struct fz_rng r;
	unsigned char *b;
	char *s;
	unsigned i;

	b = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED) {
		fz_say("sysfuzz: mmap: %s\n", strerror(errno));
		exit(2);
	}
	fz_seed(&r, seed, ~0ULL);
	for (i = 0; i < PG; i++)
		b[PG + i] = (unsigned char)fz_next(&r);
	s = (char *)b + 2 * PG;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		s = stpcpy(s, paths[i]) + 1;
	/* A string with no end: it runs into the PROT_NONE page. */
	memset(b + 3 * PG - 256, 'A', 256);
	if (mprotect(b + 2 * PG, PG, PROT_READ) < 0 || mprotect(b + 3 * PG, PG, PROT_NONE) < 0 ||
	    munmap(b + 5 * PG, PG) < 0 || munmap(b + 7 * PG, PG) < 0) {
		fz_say("sysfuzz: arena: %s\n", strerror(errno));
		exit(2);
	}
	ar.base = b;
}

int
main(int argc, char **argv)
{
	struct utsname u;
	struct sigaction sa;
	uint64_t seed, start, nbatch, b;
	unsigned calls;
	unsigned long exited = 0, killed = 0, backstop = 0, sigs[65] = {0};
	unsigned long made = 0;
	int status, i, cpipe[2];

	if (argc != 5) {
		fz_say("usage: sysfuzz SEED START BATCHES CALLS (under uvk only)\n");
		return 2;
	}
	if (uname(&u) < 0 || !strstr(u.version, " uvk ")) {
		fz_say("sysfuzz: refusing to run outside uvk (uname version \"%s\"): it would make "
		       "random system calls on the host\n",
		       u.version);
		return 3;
	}
	seed = strtoull(argv[1], NULL, 0);
	start = strtoull(argv[2], NULL, 0);
	nbatch = strtoull(argv[3], NULL, 0);
	calls = (unsigned)strtoul(argv[4], NULL, 0);
	arena_init(seed);
	if (pipe2(cpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		fz_say("sysfuzz: count pipe: %s\n", strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked call ends in EINTR */
	sigaction(SIGALRM, &sa, NULL);
	raw6(SYS_rt_sigaction, SIGALRM, 0, (long)&alarm_act, 8, 0, 0);

	fz_mark("begin");
	for (b = start; b < start + nbatch; b++) {
		pid_t pid = fork(), w;

		if (pid < 0) {
			fz_say("sysfuzz: fork: %s\n", strerror(errno));
			return 2;
		}
		if (pid == 0) {
			/*
			 * The batch gets the write end, at COUNT_FD, and not the
			 * read end: nothing it does (an fcntl(F_SETFL) clearing
			 * O_NONBLOCK, say) reaches the parent's read end, whose
			 * reads must never block.
			 */
			close(cpipe[0]);
			if (dup2(cpipe[1], COUNT_FD) < 0)
				_exit(2);
			close(cpipe[1]);
			_exit(batch(seed, b, calls) ? 0 : 1);
		}
		alarm(BACKSTOP_S);
		for (;;) {
			w = waitpid(pid, &status, 0);
			if (w == pid)
				break;
			if (w < 0 && errno == EINTR) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				backstop++;
				continue;
			}
			fz_say("sysfuzz: waitpid: %s\n", strerror(errno));
			return 2;
		}
		alarm(0);
		kill(-pid, SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (;;) {
			char sink[4096];
			ssize_t n = read(cpipe[0], sink, sizeof(sink));

			if (n <= 0)
				break;
			made += (unsigned long)n;
		}
		if (WIFEXITED(status)) {
			exited++;
		} else {
			killed++;
			sigs[WTERMSIG(status) < 65 ? WTERMSIG(status) : 0]++;
		}
	}
	fz_say("sysfuzz: seed %llu batches %llu..%llu: %lu syscalls made; %lu batches exited, "
	       "%lu killed by a signal (%lu by the %d s backstop)\n",
	       (unsigned long long)seed, (unsigned long long)start,
	       (unsigned long long)(start + nbatch - 1), made, exited, killed, backstop,
	       BACKSTOP_S);
	{
		char line[900];
		size_t off = 0;

		line[0] = '\0';
		for (i = 1; i < 65; i++)
			if (sigs[i] && off < sizeof(line) - 40)
				off += (size_t)snprintf(line + off, sizeof(line) - off, " %s:%lu",
							sigabbrev_np(i) ? sigabbrev_np(i) : "RT",
							sigs[i]);
		fz_say("sysfuzz: signals:%s\n", off ? line : " none");
	}
	fz_mark("end");
	fz_say("sysfuzz: syscalls %lu\n", made);
	return 0;
}
