/*
 * t_signal - signal delivery inside one process: the frame a handler gets
 * (registers, FPU state, flags, stack alignment, the red zone, the return
 * through sa_restorer), siginfo, masks and sigaction flags, blocking and the
 * pending set, coalescing and queueing, sigsuspend, sigtimedwait, ignored
 * signals, kill's argument checks, what execve keeps, and sigaltstack.
 *
 * Usage: t_signal
 *        t_signal --exec-child	(the image t_signal re-executes itself as)
 *
 * Handlers only record what they saw; main checks afterwards. A signal that
 * a process sends itself while it is unblocked is delivered before the
 * sending call returns (POSIX for kill, Linux for the others), and a signal
 * that a sigprocmask call unblocks is delivered before that call returns, so
 * no check depends on timing: where a wait must be interrupted, a timer
 * armed while its signal is blocked does it. Masks are compared as the
 * kernel's 64-bit word, read and written with raw rt_sigprocmask.
 *
 * Linux behaviour the checks pin down, beyond POSIX:
 *  - a handler starts with DF clear and MXCSR at 0x1f80, whatever the
 *    interrupted code had; sigreturn gives that code back its own;
 *  - the frame leaves the 128-byte red zone below the interrupted %rsp
 *    alone, and its ucontext sits just above the return address (the
 *    rt_sigframe layout that unwinders read);
 *  - SA_RESETHAND still blocks the signal while its handler runs (POSIX
 *    lets it act as SA_NODEFER; Linux does not);
 *  - a blocked signal whose action is "ignore" is still made pending; it is
 *    discarded when it is unblocked or when the action is set to SIG_IGN;
 *  - SIGALRM from setitimer has si_code SI_KERNEL.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest.h"
#include "gsig.h"


/* struct sigaction as the rt_sigaction system call sees it. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#define KSA_RESTORER 0x04000000UL

/* -- helpers ---------------------------------------------------------------- */

static void
set_kmask(uint64_t m)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
}

/* The action of sig as the kernel holds it; flags 0 and handler (void *)-1 if the query fails. */
static struct ksigaction
kaction(int sig)
{
	struct ksigaction ka;

	memset(&ka, 0, sizeof(ka));
	if (syscall(SYS_rt_sigaction, sig, NULL, &ka, 8) != 0)
		ka.handler = (void *)-1;
	return ka;
}

/* Back to a clean state between parts: default actions, nothing blocked. */
static void
reset(void)
{
	static const int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGURG, SIGWINCH};
	unsigned i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		dispose(sigs[i], SIG_DFL);
	for (i = 0; i < 4; i++)
		dispose(SIGRTMIN + i, SIG_DFL);
	set_kmask(0);
}

static long long
elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static void
arm_timer(long first_us, long interval_us)
{
	struct itimerval it;

	it.it_value.tv_sec = first_us / 1000000;
	it.it_value.tv_usec = first_us % 1000000;
	it.it_interval.tv_sec = interval_us / 1000000;
	it.it_interval.tv_usec = interval_us % 1000000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* -- a recording handler ---------------------------------------------------- */

#define NSEEN 8

struct seen {
	int signo, code, pid, uid, value;
	uint64_t mask;	 /* the kernel's mask while the handler ran */
	uint64_t ucmask; /* uc_sigmask: what sigreturn restores */
	uintptr_t local; /* the address of a local: which stack it ran on */
};

static volatile int nseen;
static volatile struct seen seen[NSEEN];
/* Set by a part that wants h_record to add SIGUSR2 to the mask sigreturn restores. */
static volatile int record_edits_ucmask;

static void
h_record(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	volatile int local = sig;
	int i = nseen;
	uint64_t ucm;

	memcpy(&ucm, &uc->uc_sigmask, sizeof(ucm));
	if (i < NSEEN) {
		seen[i].signo = si->si_signo;
		seen[i].code = si->si_code;
		seen[i].pid = si->si_pid;
		seen[i].uid = (int)si->si_uid;
		seen[i].value = si->si_value.sival_int;
		seen[i].mask = kmask();
		seen[i].ucmask = ucm;
		seen[i].local = (uintptr_t)&local;
	}
	if (record_edits_ucmask)
		sigaddset(&uc->uc_sigmask, SIGUSR2);
	nseen = i + 1;
}

static void
seen_clear(void)
{
	nseen = 0;
	memset((void *)seen, 0, sizeof(seen));
}

/* -- the frame: registers, FPU state, flags, stack ---------------------------- */

#define R8_IN	  0x0808080808080808ULL
#define R9_IN	  0x0909090909090909ULL
#define R10_IN	  0x1010101010101010ULL
#define RDX_IN	  0x0d0d0d0d0d0d0d0dULL
#define R12_IN	  0x1212121212121212ULL
#define R12_OUT	  0x5eed5eed5eed5eedULL
#define R13_IN	  0x1313131313131313ULL
#define RAX_OUT	  0x0a0a0a0a0a0a0a0aULL
#define REDZONE	  0x2ed20e2ed20e2ed2ULL
#define MXCSR_DEF 0x1f80u
#define MXCSR_IN  0x7f80u /* all exceptions masked, round toward zero */
#define MXCSR_OUT 0x3f80u /* all exceptions masked, round down */
#define EFLAGS_DF 0x400UL

static const uint32_t x0_in[4] = {0x00000001, 0x00000002, 0x00000003, 0x00000004};
static const uint32_t x0_out[4] = {0xc0ffee00, 0xc0ffee01, 0xc0ffee02, 0xc0ffee03};
static const uint32_t x1_in[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
static const uint32_t x15_in[4] = {0xf15f15f1, 0x5f15f15f, 0x15f15f15, 0xf00df00d};

/* What tsig_frame saw. */
static volatile struct {
	int ran, signo, code;
	uintptr_t entry_rsp, retaddr, uc;
	uint64_t r8, r9, r10, rdx, r12, r13, rax, rip, rsp, efl;
	uint64_t eflags_entry;
	uint32_t mxcsr_entry, mxcsr_frame;
	uint32_t x0[4], x1[4], x15[4];
	uintptr_t fpregs;
} fr;

/*
 * tsig_frame_entry is the handler: it records %rsp at the first instruction
 * of the handler, where [%rsp] is the return address and %rsp + 8 must be
 * 16-byte aligned, and jumps on to tsig_frame with the stack untouched. Both
 * have external linkage so that the assembler names them as written.
 */
void tsig_frame_entry(int sig, siginfo_t *si, void *ctx);
void tsig_frame(int sig, siginfo_t *si, void *ctx);
volatile uintptr_t tsig_entry_rsp;

__asm__(".text\n"
	".globl tsig_frame_entry\n"
	".type tsig_frame_entry, @function\n"
	"tsig_frame_entry:\n"
	"	movq %rsp, tsig_entry_rsp(%rip)\n"
	"	jmp tsig_frame\n"
	".size tsig_frame_entry, .-tsig_frame_entry\n");

void
tsig_frame(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t fl;
	uint32_t mx;
	int i;

	(void)sig;
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(fl));
	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	fr.eflags_entry = fl;
	fr.mxcsr_entry = mx;
	fr.signo = si->si_signo;
	fr.code = si->si_code;
	fr.entry_rsp = tsig_entry_rsp;
	fr.retaddr = *(uintptr_t *)tsig_entry_rsp;
	fr.uc = (uintptr_t)uc;
	fr.r8 = g[REG_R8];
	fr.r9 = g[REG_R9];
	fr.r10 = g[REG_R10];
	fr.rdx = g[REG_RDX];
	fr.r12 = g[REG_R12];
	fr.r13 = g[REG_R13];
	fr.rax = g[REG_RAX];
	fr.rip = g[REG_RIP];
	fr.rsp = g[REG_RSP];
	fr.efl = g[REG_EFL];
	fr.fpregs = (uintptr_t)uc->uc_mcontext.fpregs;
	if (uc->uc_mcontext.fpregs) {
		fr.mxcsr_frame = uc->uc_mcontext.fpregs->mxcsr;
		for (i = 0; i < 4; i++) {
			fr.x0[i] = uc->uc_mcontext.fpregs->_xmm[0].element[i];
			fr.x1[i] = uc->uc_mcontext.fpregs->_xmm[1].element[i];
			fr.x15[i] = uc->uc_mcontext.fpregs->_xmm[15].element[i];
			uc->uc_mcontext.fpregs->_xmm[0].element[i] = x0_out[i];
		}
		uc->uc_mcontext.fpregs->mxcsr = MXCSR_OUT;
	}
	g[REG_R12] = (greg_t)R12_OUT;
	g[REG_RAX] = (greg_t)RAX_OUT;
	/* Clobber what the interrupted code must get back from the frame alone. */
	__asm__ volatile("xorl %%r8d, %%r8d\n\t"
			 "xorl %%r9d, %%r9d\n\t"
			 "xorl %%r10d, %%r10d\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "pxor %%xmm0, %%xmm0\n\t"
			 "pxor %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm15, %%xmm15\n\t"
			 "ldmxcsr %0"
			 :
			 : "m"(mx)
			 : "r8", "r9", "r10", "rdx", "xmm0", "xmm1", "xmm15");
	fr.ran++;
}

/*
 * The interrupted side. frame_kill loads known values into general, SSE and
 * control registers, writes the red zone, sets DF and MXCSR, sends SIGUSR1
 * to this process with a raw syscall instruction, and reads everything back.
 * It reaches its inputs and outputs through one pointer, at the offsets
 * asserted below. It first moves %rsp 256 bytes down, so that the red zone
 * it writes is below anything the compiler may keep in its own.
 */
struct frame_io {
	uint32_t x0in[4], x1in[4], x15in[4]; /* 0, 16, 32 */
	uint32_t x0[4], x1[4], x15[4];	     /* 48, 64, 80 */
	uint64_t r12, r13;		     /* 96, 104 */
	uint64_t rz8, rz64, rz128;	     /* 112, 120, 128 */
	uint64_t fl, lbl;		     /* 136, 144 */
	uint32_t mxin, mxout, mxdef, pad;    /* 152, 156, 160 */
	uint64_t rax, rdx, r8, r9, r10;	     /* not used by the asm */
};
_Static_assert(offsetof(struct frame_io, x15) == 80 && offsetof(struct frame_io, r12) == 96 &&
		   offsetof(struct frame_io, lbl) == 144 && offsetof(struct frame_io, mxdef) == 160,
	       "the asm in frame_kill uses these offsets");

static void frame_kill(struct frame_io *io, long pid) __attribute__((noinline));

static void
frame_kill(struct frame_io *io, long pid)
{
	/* Register variables hold their register only as asm operands, with no call between. */
	register long rax __asm__("rax") = SYS_kill;
	register long rdx __asm__("rdx") = (long)RDX_IN;
	register long r8 __asm__("r8") = (long)R8_IN;
	register long r9 __asm__("r9") = (long)R9_IN;
	register long r10 __asm__("r10") = (long)R10_IN;

	__asm__ volatile("leaq -256(%%rsp), %%rsp\n\t"
			 "leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, 144(%[io])\n\t"
			 "movabsq %[r12in], %%r12\n\t"
			 "movabsq %[r13in], %%r13\n\t"
			 "movabsq %[rz], %%r11\n\t"
			 "movq %%r11, -8(%%rsp)\n\t"
			 "movq %%r11, -64(%%rsp)\n\t"
			 "movq %%r11, -128(%%rsp)\n\t"
			 "movdqu 0(%[io]), %%xmm0\n\t"
			 "movdqu 16(%[io]), %%xmm1\n\t"
			 "movdqu 32(%[io]), %%xmm15\n\t"
			 "ldmxcsr 152(%[io])\n\t"
			 "std\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "movq -8(%%rsp), %%r11\n\t"
			 "movq %%r11, 112(%[io])\n\t"
			 "movq -64(%%rsp), %%r11\n\t"
			 "movq %%r11, 120(%[io])\n\t"
			 "movq -128(%%rsp), %%r11\n\t"
			 "movq %%r11, 128(%[io])\n\t"
			 "pushfq\n\t"
			 "popq %%r11\n\t"
			 "movq %%r11, 136(%[io])\n\t"
			 "cld\n\t"
			 "stmxcsr 156(%[io])\n\t"
			 "ldmxcsr 160(%[io])\n\t"
			 "movq %%r12, 96(%[io])\n\t"
			 "movq %%r13, 104(%[io])\n\t"
			 "movdqu %%xmm0, 48(%[io])\n\t"
			 "movdqu %%xmm1, 64(%[io])\n\t"
			 "movdqu %%xmm15, 80(%[io])\n\t"
			 "leaq 256(%%rsp), %%rsp"
			 : "+a"(rax), "+d"(rdx), "+r"(r8), "+r"(r9), "+r"(r10)
			 : "D"(pid), "S"((long)SIGUSR1), [io] "r"(io), [r12in] "i"(R12_IN),
			   [r13in] "i"(R13_IN), [rz] "i"(REDZONE)
			 : "rcx", "r11", "r12", "r13", "xmm0", "xmm1", "xmm15", "memory", "cc");
	io->rax = rax;
	io->rdx = rdx;
	io->r8 = r8;
	io->r9 = r9;
	io->r10 = r10;
}

static void
check_frame(void)
{
	struct frame_io io;
	struct ksigaction ka;

	memset((void *)&fr, 0, sizeof(fr));
	memset(&io, 0, sizeof(io));
	memcpy(io.x0in, x0_in, 16);
	memcpy(io.x1in, x1_in, 16);
	memcpy(io.x15in, x15_in, 16);
	io.mxin = MXCSR_IN;
	io.mxdef = MXCSR_DEF;
	if (!CHECK_OK("sigaction SIGUSR1 with SA_SIGINFO", handle_mask(SIGUSR1, tsig_frame_entry, 0, 0)))
		return;
	frame_kill(&io, getpid());

	if (!CHECK_EQ("SA_SIGINFO handler ran once for kill() through a raw syscall", fr.ran, 1))
		return;
	CHECK_EQ("handler: si_signo", fr.signo, SIGUSR1);
	CHECK_EQ("handler: si_code SI_USER", fr.code, SI_USER);

	/* Where the handler started. */
	check((fr.entry_rsp + 8) % 16 == 0, "handler entry: %rsp + 8 is 16-byte aligned",
	      "%%rsp %#lx", (unsigned long)fr.entry_rsp);
	ka = kaction(SIGUSR1);
	check(ka.flags & KSA_RESTORER, "the kernel's action has SA_RESTORER (set by libc)",
	      "flags %#lx", ka.flags);
	CHECK_EQX("handler returns to sa_restorer ([%rsp] at entry)", fr.retaddr,
		  (uintptr_t)ka.restorer);
	CHECK_EQX("ucontext sits at entry %rsp + 8 (rt_sigframe layout)", fr.uc, fr.entry_rsp + 8);
	check(fr.entry_rsp + 128 < fr.rsp, "the frame is below the red zone",
	      "entry %#lx, rsp %#lx", (unsigned long)fr.entry_rsp, (unsigned long)fr.rsp);
	check(!(fr.eflags_entry & EFLAGS_DF), "handler starts with DF clear", "eflags %#llx",
	      (unsigned long long)fr.eflags_entry);
	CHECK_EQX("handler starts with MXCSR at its default", fr.mxcsr_entry, MXCSR_DEF);

	/* What the frame says about the interrupted code. */
	CHECK_EQX("frame REG_RIP is just after the syscall instruction", fr.rip, io.lbl);
	CHECK_EQX("frame REG_RAX is kill's result, 0", fr.rax, 0);
	CHECK_EQX("frame REG_R12", fr.r12, R12_IN);
	CHECK_EQX("frame REG_R13", fr.r13, R13_IN);
	CHECK_EQX("frame REG_R8", fr.r8, R8_IN);
	CHECK_EQX("frame REG_R9", fr.r9, R9_IN);
	CHECK_EQX("frame REG_R10", fr.r10, R10_IN);
	CHECK_EQX("frame REG_RDX", fr.rdx, RDX_IN);
	check(fr.efl & EFLAGS_DF, "frame REG_EFL has the DF the code set", "eflags %#llx",
	      (unsigned long long)fr.efl);
	if (check(fr.fpregs != 0, "frame uc_mcontext.fpregs is not NULL", "NULL")) {
		check(fr.fpregs % 16 == 0, "fpregs is 16-byte aligned (fxsave layout)", "%#lx",
		      (unsigned long)fr.fpregs);
		check(memcmp((void *)fr.x0, x0_in, 16) == 0, "frame xmm0 holds the code's value",
		      "got %08x %08x %08x %08x", fr.x0[0], fr.x0[1], fr.x0[2], fr.x0[3]);
		check(memcmp((void *)fr.x1, x1_in, 16) == 0, "frame xmm1 holds the code's value",
		      "got %08x %08x %08x %08x", fr.x1[0], fr.x1[1], fr.x1[2], fr.x1[3]);
		check(memcmp((void *)fr.x15, x15_in, 16) == 0, "frame xmm15 holds the code's value",
		      "got %08x %08x %08x %08x", fr.x15[0], fr.x15[1], fr.x15[2], fr.x15[3]);
		CHECK_EQX("frame MXCSR holds the code's value", fr.mxcsr_frame, MXCSR_IN);
	}

	/* What sigreturn gave back. */
	CHECK_EQX("after return: r12 is what the handler wrote into the frame", io.r12, R12_OUT);
	CHECK_EQX("after return: rax is what the handler wrote into the frame", io.rax, RAX_OUT);
	CHECK_EQX("after return: r13 kept", io.r13, R13_IN);
	CHECK_EQX("after return: r8 kept though the handler zeroed it", io.r8, R8_IN);
	CHECK_EQX("after return: r9 kept though the handler zeroed it", io.r9, R9_IN);
	CHECK_EQX("after return: r10 kept though the handler zeroed it", io.r10, R10_IN);
	CHECK_EQX("after return: rdx kept though the handler zeroed it", io.rdx, RDX_IN);
	check(memcmp(io.x0, x0_out, 16) == 0, "after return: xmm0 is what the handler wrote",
	      "got %08x %08x %08x %08x", io.x0[0], io.x0[1], io.x0[2], io.x0[3]);
	check(memcmp(io.x1, x1_in, 16) == 0, "after return: xmm1 kept though the handler zeroed it",
	      "got %08x %08x %08x %08x", io.x1[0], io.x1[1], io.x1[2], io.x1[3]);
	check(memcmp(io.x15, x15_in, 16) == 0,
	      "after return: xmm15 kept though the handler zeroed it", "got %08x %08x %08x %08x",
	      io.x15[0], io.x15[1], io.x15[2], io.x15[3]);
	CHECK_EQX("after return: MXCSR is what the handler wrote", io.mxout, MXCSR_OUT);
	check(io.fl & EFLAGS_DF, "after return: DF is set again", "eflags %#llx",
	      (unsigned long long)io.fl);
	check(io.rz8 == REDZONE && io.rz64 == REDZONE && io.rz128 == REDZONE,
	      "after return: the 128-byte red zone below %rsp is intact",
	      "-8: %#llx, -64: %#llx, -128: %#llx", (unsigned long long)io.rz8,
	      (unsigned long long)io.rz64, (unsigned long long)io.rz128);
	reset();
}

/* The upper halves of the ymm registers survive a handler that zeroes them. */
static volatile int avx_ran;

static void
h_avx(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	__asm__ volatile("vzeroall" ::
			     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			       "xmm15");
	avx_ran++;
}

static void
check_avx(void)
{
	static const uint32_t in[8] = {1, 2, 3, 4, 0xa5a5a5a5, 0x5a5a5a5a, 0xdeadbeef, 0xfeedface};
	uint32_t out[8];
	long pid = getpid(), nr = SYS_kill;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx")) {
		say("no AVX: ymm check skipped\n");
		return;
	}
	avx_ran = 0;
	handle_mask(SIGUSR1, h_avx, 0, 0);
	__asm__ volatile("vmovdqu %[in], %%ymm2\n\t"
			 "syscall\n\t"
			 "vmovdqu %%ymm2, %[out]\n\t"
			 "vzeroupper"
			 : "+a"(nr), [out] "=m"(out)
			 : "D"(pid), "S"((long)SIGUSR1), [in] "m"(in)
			 : "rcx", "r11", "xmm2", "memory");
	CHECK_EQ("AVX: handler ran", avx_ran, 1);
	check(memcmp(out, in, 32) == 0,
	      "after return: all of ymm2 kept though the handler zeroed it",
	      "upper half %08x %08x %08x %08x", out[4], out[5], out[6], out[7]);
	reset();
}

/* -- siginfo ---------------------------------------------------------------- */

static void
check_siginfo(void)
{
	union sigval v;

	seen_clear();
	handle_mask(SIGUSR1, h_record, 0, 0);
	CHECK_OK("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1));
	if (CHECK_EQ("kill: delivered before kill returned", nseen, 1)) {
		CHECK_EQ("kill: si_signo", seen[0].signo, SIGUSR1);
		CHECK_EQ("kill: si_code SI_USER", seen[0].code, SI_USER);
		CHECK_EQ("kill: si_pid is ours", seen[0].pid, getpid());
		CHECK_EQ("kill: si_uid is ours", seen[0].uid, getuid());
	}

	seen_clear();
	CHECK_OK("tgkill(getpid(), gettid(), SIGUSR1)",
		 syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	if (CHECK_EQ("tgkill: delivered before it returned", nseen, 1)) {
		CHECK_EQ("tgkill: si_code SI_TKILL", seen[0].code, SI_TKILL);
		CHECK_EQ("tgkill: si_pid is ours", seen[0].pid, getpid());
		CHECK_EQ("tgkill: si_uid is ours", seen[0].uid, getuid());
	}

	seen_clear();
	CHECK_OK("tkill(gettid(), SIGUSR1)", syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1));
	if (CHECK_EQ("tkill: delivered before it returned", nseen, 1))
		CHECK_EQ("tkill: si_code SI_TKILL", seen[0].code, SI_TKILL);

	seen_clear();
	CHECK_OK("raise(SIGUSR1)", raise(SIGUSR1));
	if (CHECK_EQ("raise: delivered before it returned", nseen, 1))
		CHECK_EQ("raise: si_code SI_TKILL", seen[0].code, SI_TKILL);

	seen_clear();
	v.sival_int = 4242;
	CHECK_OK("sigqueue(getpid(), SIGUSR1, 4242)", sigqueue(getpid(), SIGUSR1, v));
	if (CHECK_EQ("sigqueue: delivered before it returned", nseen, 1)) {
		CHECK_EQ("sigqueue: si_code SI_QUEUE", seen[0].code, SI_QUEUE);
		CHECK_EQ("sigqueue: si_value", seen[0].value, 4242);
		CHECK_EQ("sigqueue: si_pid is ours", seen[0].pid, getpid());
		CHECK_EQ("sigqueue: si_uid is ours", seen[0].uid, getuid());
	}
	reset();
}

/* -- masks and sigaction flags ------------------------------------------------- */

static volatile int depth, maxdepth, calls;

static void
h_recurse(int sig, siginfo_t *si, void *ctx)
{
	(void)si, (void)ctx;
	depth++;
	if (depth > maxdepth)
		maxdepth = depth;
	if (calls++ == 0)
		raise(sig);
	depth--;
}

static void
check_masks(void)
{
	struct ksigaction ka;
	uint64_t want;

	/* The signal and sa_mask are blocked inside; the old mask comes back. */
	seen_clear();
	set_kmask(BIT(SIGHUP));
	handle_mask(SIGUSR1, h_record, 0, BIT(SIGUSR2));
	raise(SIGUSR1);
	if (CHECK_EQ("handler with sa_mask {SIGUSR2} ran", nseen, 1)) {
		CHECK_EQX("inside: mask is old | signal | sa_mask", seen[0].mask,
			  BIT(SIGHUP) | BIT(SIGUSR1) | BIT(SIGUSR2));
		CHECK_EQX("inside: uc_sigmask is the old mask", seen[0].ucmask, BIT(SIGHUP));
	}
	CHECK_EQX("after return: the old mask is back", kmask(), BIT(SIGHUP));

	/* sigreturn restores uc_sigmask as the handler left it. */
	seen_clear();
	record_edits_ucmask = 1;
	raise(SIGUSR1);
	record_edits_ucmask = 0;
	CHECK_EQX("after return: the mask is the uc_sigmask the handler edited", kmask(),
		  BIT(SIGHUP) | BIT(SIGUSR2));
	set_kmask(0);

	/* SA_NODEFER: the signal itself is not blocked. */
	seen_clear();
	handle_mask(SIGUSR1, h_record, SA_NODEFER, BIT(SIGUSR2));
	raise(SIGUSR1);
	if (CHECK_EQ("SA_NODEFER handler ran", nseen, 1))
		CHECK_EQX("SA_NODEFER: inside, only sa_mask is added", seen[0].mask, BIT(SIGUSR2));

	/* SIGKILL and SIGSTOP in sa_mask are dropped silently. */
	seen_clear();
	handle_mask(SIGUSR1, h_record, 0, BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGUSR2));
	ka = kaction(SIGUSR1);
	CHECK_EQX("sa_mask with SIGKILL and SIGSTOP: the kernel keeps only SIGUSR2", ka.mask,
		  BIT(SIGUSR2));
	raise(SIGUSR1);
	if (CHECK_EQ("handler ran", nseen, 1))
		CHECK_EQX("inside: neither SIGKILL nor SIGSTOP blocked", seen[0].mask,
			  BIT(SIGUSR1) | BIT(SIGUSR2));

	/* SA_NODEFER lets the handler interrupt itself; without it, the second waits. */
	depth = maxdepth = calls = 0;
	handle_mask(SIGUSR1, h_recurse, SA_NODEFER, 0);
	raise(SIGUSR1);
	check(calls == 2 && maxdepth == 2, "SA_NODEFER: raise in the handler nests (depth 2)",
	      "calls %d, depth %d", calls, maxdepth);
	depth = maxdepth = calls = 0;
	handle_mask(SIGUSR1, h_recurse, 0, 0);
	raise(SIGUSR1);
	check(calls == 2 && maxdepth == 1,
	      "without SA_NODEFER: raise in the handler runs it again after it returns",
	      "calls %d, depth %d", calls, maxdepth);

	/* SA_RESETHAND: one delivery, then SIG_DFL (SIGURG's default is to ignore). */
	seen_clear();
	handle_mask(SIGURG, h_record, SA_RESETHAND, 0);
	raise(SIGURG);
	if (CHECK_EQ("SA_RESETHAND handler ran", nseen, 1))
		CHECK_EQX("SA_RESETHAND: inside, the signal is still blocked", seen[0].mask,
			  BIT(SIGURG));
	ka = kaction(SIGURG);
	CHECK_EQX("SA_RESETHAND: the action is SIG_DFL afterwards", (uintptr_t)ka.handler,
		  (uintptr_t)SIG_DFL);
	raise(SIGURG);
	CHECK_EQ("SA_RESETHAND: a second SIGURG does not run the handler", nseen, 1);

	/* sigaction reports the old action. */
	{
		struct sigaction sa, old;

		handle_mask(SIGUSR2, h_record, SA_RESTART | SA_ONSTACK, BIT(SIGHUP));
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		memset(&old, 0, sizeof(old));
		CHECK_OK("sigaction(SIGUSR2, SIG_IGN, &old)", sigaction(SIGUSR2, &sa, &old));
		check(old.sa_sigaction == h_record && (old.sa_flags & SA_SIGINFO) &&
			  (old.sa_flags & SA_RESTART) && (old.sa_flags & SA_ONSTACK) &&
			  sigismember(&old.sa_mask, SIGHUP) && !sigismember(&old.sa_mask, SIGINT),
		      "the old action comes back: handler, flags, mask", "flags %#x",
		      (unsigned)old.sa_flags);
		CHECK_EQX("and the new one is in place", (uintptr_t)kaction(SIGUSR2).handler,
			  (uintptr_t)SIG_IGN);
	}

	/* Bad arguments. */
	{
		struct sigaction sa;
		struct ksigaction kq;
		uint64_t m = 0;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = h_record;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		CHECK_ERR("sigaction(SIGKILL, handler) is EINVAL", sigaction(SIGKILL, &sa, NULL),
			  EINVAL);
		CHECK_ERR("sigaction(SIGSTOP, handler) is EINVAL", sigaction(SIGSTOP, &sa, NULL),
			  EINVAL);
		sa.sa_handler = SIG_IGN;
		sa.sa_flags = 0;
		CHECK_ERR("sigaction(SIGKILL, SIG_IGN) is EINVAL", sigaction(SIGKILL, &sa, NULL),
			  EINVAL);
		CHECK_ERR("sigaction(SIGSTOP, SIG_IGN) is EINVAL", sigaction(SIGSTOP, &sa, NULL),
			  EINVAL);
		CHECK_OK("querying SIGKILL's action is allowed",
			 syscall(SYS_rt_sigaction, SIGKILL, NULL, &kq, 8));
		CHECK_ERR("rt_sigaction(0) is EINVAL", syscall(SYS_rt_sigaction, 0, NULL, &kq, 8),
			  EINVAL);
		CHECK_ERR("rt_sigaction(65) is EINVAL", syscall(SYS_rt_sigaction, 65, NULL, &kq, 8),
			  EINVAL);
		CHECK_ERR("rt_sigaction with sigsetsize 4 is EINVAL",
			  syscall(SYS_rt_sigaction, SIGUSR1, NULL, &kq, 4), EINVAL);
		CHECK_ERR("rt_sigprocmask with how 99 is EINVAL",
			  syscall(SYS_rt_sigprocmask, 99, &m, NULL, 8), EINVAL);
		CHECK_ERR("rt_sigprocmask with sigsetsize 16 is EINVAL",
			  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 16), EINVAL);
	}

	/* SIGKILL and SIGSTOP cannot be blocked: dropped from the mask silently. */
	want = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGUSR1);
	CHECK_OK("rt_sigprocmask(SIG_BLOCK, {SIGKILL, SIGSTOP, SIGUSR1})",
		 syscall(SYS_rt_sigprocmask, SIG_BLOCK, &want, NULL, 8));
	CHECK_EQX("the mask has SIGUSR1 but not SIGKILL or SIGSTOP", kmask(), BIT(SIGUSR1));
	want = ~0ULL;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &want, NULL, 8);
	CHECK_EQX("SIG_SETMASK of all ones leaves SIGKILL and SIGSTOP out", kmask(),
		  ~0ULL & ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	reset();
}

/* -- blocking, pending, coalescing, queueing ------------------------------------ */

static void
check_blocking(void)
{
	sigset_t set, pend;
	union sigval v;
	int i;

	seen_clear();
	handle_mask(SIGUSR1, h_record, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK_OK("sigprocmask(SIG_BLOCK, {SIGUSR1})", sigprocmask(SIG_BLOCK, &set, NULL));
	kill(getpid(), SIGUSR1);
	CHECK_EQ("blocked: the handler has not run", nseen, 0);
	sigemptyset(&pend);
	check(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1), "blocked: sigpending shows it",
	      "errno %s", errname(errno));
	CHECK_OK("sigprocmask(SIG_UNBLOCK, {SIGUSR1})", sigprocmask(SIG_UNBLOCK, &set, NULL));
	CHECK_EQ("unblocked: delivered before sigprocmask returned", nseen, 1);
	CHECK_EQX("and no longer pending", kpending(), 0);

	/* Standard signals coalesce. */
	seen_clear();
	set_kmask(BIT(SIGUSR1));
	for (i = 0; i < 3; i++)
		kill(getpid(), SIGUSR1);
	CHECK_EQX("SIGUSR1 sent 3 times while blocked: pending once", kpending(), BIT(SIGUSR1));
	set_kmask(0);
	CHECK_EQ("SIGUSR1 sent 3 times while blocked: delivered once", nseen, 1);

	/* Realtime signals queue, each with its value, in order. */
	seen_clear();
	handle_mask(SIGRTMIN, h_record, 0, 0);
	set_kmask(BIT(SIGRTMIN));
	for (i = 1; i <= 3; i++) {
		v.sival_int = i;
		sigqueue(getpid(), SIGRTMIN, v);
	}
	CHECK_EQ("SIGRTMIN queued 3 times while blocked: not yet delivered", nseen, 0);
	CHECK_EQX("SIGRTMIN pending", kpending(), BIT(SIGRTMIN));
	set_kmask(0);
	if (CHECK_EQ("SIGRTMIN queued 3 times: delivered 3 times", nseen, 3))
		check(seen[0].value == 1 && seen[1].value == 2 && seen[2].value == 3 &&
			  seen[0].code == SI_QUEUE,
		      "SIGRTMIN: values 1, 2, 3 in order, SI_QUEUE", "values %d %d %d, code %d",
		      seen[0].value, seen[1].value, seen[2].value, seen[0].code);
	CHECK_EQX("nothing pending after", kpending(), 0);

	/*
	 * Two realtime signals pending: the lower-numbered is delivered first.
	 * Each blocks the other while it runs, so the order handlers start in
	 * is the order of delivery.
	 */
	seen_clear();
	handle_mask(SIGRTMIN, h_record, 0, BIT(SIGRTMIN + 1));
	handle_mask(SIGRTMIN + 1, h_record, 0, BIT(SIGRTMIN));
	set_kmask(BIT(SIGRTMIN) | BIT(SIGRTMIN + 1));
	v.sival_int = 10;
	sigqueue(getpid(), SIGRTMIN + 1, v);
	v.sival_int = 20;
	sigqueue(getpid(), SIGRTMIN, v);
	set_kmask(0);
	if (CHECK_EQ("SIGRTMIN+1 then SIGRTMIN queued: both delivered", nseen, 2))
		check(seen[0].signo == SIGRTMIN && seen[0].value == 20 &&
			  seen[1].signo == SIGRTMIN + 1 && seen[1].value == 10,
		      "the lower-numbered realtime signal first",
		      "first %d (value %d), then %d (value %d)", seen[0].signo, seen[0].value,
		      seen[1].signo, seen[1].value);
	reset();
}

/* -- sigsuspend ---------------------------------------------------------------- */

static volatile int alarms;

static void
h_alarm(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	alarms++;
}

static void
check_sigsuspend(void)
{
	sigset_t wait_mask;
	int r, e;

	/* Already pending: sigsuspend returns at once, after the handler. */
	seen_clear();
	handle_mask(SIGUSR1, h_record, 0, 0);
	set_kmask(BIT(SIGUSR1) | BIT(SIGHUP));
	raise(SIGUSR1);
	wait_mask = sigset_of(BIT(SIGHUP));
	errno = 0;
	r = sigsuspend(&wait_mask);
	e = errno;
	check(r == -1 && e == EINTR, "sigsuspend with SIGUSR1 pending: -1 EINTR", "%d errno %s", r,
	      errname(e));
	if (CHECK_EQ("sigsuspend: the handler ran before it returned", nseen, 1)) {
		CHECK_EQX("inside: the mask is sigsuspend's mask | the signal", seen[0].mask,
			  BIT(SIGHUP) | BIT(SIGUSR1));
		CHECK_EQX("inside: uc_sigmask is the mask from before sigsuspend", seen[0].ucmask,
			  BIT(SIGUSR1) | BIT(SIGHUP));
	}
	CHECK_EQX("after sigsuspend: the old mask is back", kmask(), BIT(SIGUSR1) | BIT(SIGHUP));

	/* Waiting for a signal that comes later: a timer armed while SIGALRM is blocked. */
	alarms = 0;
	handle_mask(SIGALRM, h_alarm, 0, 0);
	set_kmask(BIT(SIGALRM));
	arm_timer(20000, 0);
	wait_mask = sigset_of(0);
	errno = 0;
	r = sigsuspend(&wait_mask);
	e = errno;
	check(r == -1 && e == EINTR && alarms == 1,
	      "sigsuspend waits for a timer's SIGALRM: -1 EINTR after the handler",
	      "%d errno %s, %d handler calls", r, errname(e), alarms);
	CHECK_EQX("after sigsuspend: SIGALRM blocked again", kmask(), BIT(SIGALRM));
	arm_timer(0, 0);
	reset();
}

/* -- sigtimedwait ----------------------------------------------------------------- */

static void
check_sigwait(void)
{
	struct timespec ts, t0, t1;
	siginfo_t si;
	sigset_t set;
	union sigval v;
	int r, e;

	seen_clear();
	handle_mask(SIGUSR1, h_record, 0, 0);
	handle_mask(SIGUSR2, h_record, 0, 0);
	set_kmask(BIT(SIGUSR1) | BIT(SIGUSR2));
	kill(getpid(), SIGUSR1);
	set = sigset_of(BIT(SIGUSR1));
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	memset(&si, 0, sizeof(si));
	r = sigtimedwait(&set, &si, &ts);
	CHECK_EQ("sigtimedwait collects the pending SIGUSR1", r, SIGUSR1);
	check(si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == getpid() &&
		  si.si_uid == getuid(),
	      "sigtimedwait: siginfo of the kill", "signo %d code %d pid %d uid %d", si.si_signo,
	      si.si_code, (int)si.si_pid, (int)si.si_uid);
	CHECK_EQ("sigtimedwait: the handler did not run", nseen, 0);
	CHECK_EQX("sigtimedwait: no longer pending", kpending(), 0);

	v.sival_int = 5;
	sigqueue(getpid(), SIGUSR2, v);
	set = sigset_of(BIT(SIGUSR1) | BIT(SIGUSR2));
	memset(&si, 0, sizeof(si));
	r = sigwaitinfo(&set, &si);
	CHECK_EQ("sigwaitinfo collects the queued SIGUSR2", r, SIGUSR2);
	check(si.si_code == SI_QUEUE && si.si_value.sival_int == 5,
	      "sigwaitinfo: SI_QUEUE with the value", "code %d value %d", si.si_code,
	      si.si_value.sival_int);
	CHECK_EQ("sigwaitinfo: the handler did not run", nseen, 0);

	/* Timeouts. */
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	errno = 0;
	r = sigtimedwait(&set, &si, &ts);
	e = errno;
	check(r == -1 && e == EAGAIN,
	      "sigtimedwait with a zero timeout and nothing pending: EAGAIN", "%d errno %s", r,
	      errname(e));
	ts.tv_nsec = 50 * 1000000L;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	r = sigtimedwait(&set, &si, &ts);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(r == -1 && e == EAGAIN, "sigtimedwait with a 50 ms timeout: EAGAIN", "%d errno %s", r,
	      errname(e));
	check(elapsed_ns(&t0, &t1) >= 50000000LL, "sigtimedwait waited the whole 50 ms", "%lld ns",
	      elapsed_ns(&t0, &t1));
	ts.tv_nsec = 1000000000L;
	errno = 0;
	r = sigtimedwait(&set, &si, &ts);
	e = errno;
	check(r == -1 && e == EINVAL, "sigtimedwait with tv_nsec 1e9: EINVAL", "%d errno %s", r,
	      errname(e));

	/* A signal that arrives during the wait: SIGALRM from a timer. */
	set_kmask(BIT(SIGALRM));
	arm_timer(20000, 0);
	set = sigset_of(BIT(SIGALRM));
	memset(&si, 0, sizeof(si));
	r = sigwaitinfo(&set, &si);
	CHECK_EQ("sigwaitinfo waits for the timer's SIGALRM", r, SIGALRM);
	CHECK_EQ("SIGALRM from setitimer: si_code SI_KERNEL", si.si_code, SI_KERNEL);
	arm_timer(0, 0);
	reset();
}

/* -- ignored signals, kill's checks ---------------------------------------------- */

static void
check_ignore(void)
{
	pid_t pid;
	int st;

	seen_clear();
	dispose(SIGUSR1, SIG_IGN);
	CHECK_OK("kill of an ignored SIGUSR1", kill(getpid(), SIGUSR1));
	CHECK_EQX("ignored and unblocked: discarded, not pending", kpending(), 0);

	set_kmask(BIT(SIGUSR1));
	kill(getpid(), SIGUSR1);
	CHECK_EQX("ignored but blocked: pending (Linux keeps it, the action may change)",
		  kpending(), BIT(SIGUSR1));
	set_kmask(0);
	CHECK_EQX("ignored, then unblocked: discarded", kpending(), 0);

	/* Setting SIG_IGN discards what is pending. */
	handle_mask(SIGUSR1, h_record, 0, 0);
	set_kmask(BIT(SIGUSR1));
	kill(getpid(), SIGUSR1);
	CHECK_EQX("caught and blocked: pending", kpending(), BIT(SIGUSR1));
	dispose(SIGUSR1, SIG_IGN);
	CHECK_EQX("setting SIG_IGN discards the pending signal", kpending(), 0);
	handle_mask(SIGUSR1, h_record, 0, 0);
	set_kmask(0);
	CHECK_EQ("and the handler set again later does not see it", nseen, 0);

	/* A signal whose default action is to ignore: the same. */
	dispose(SIGURG, SIG_DFL);
	kill(getpid(), SIGURG);
	CHECK_EQX("SIGURG (default: ignore) unblocked: discarded", kpending(), 0);
	set_kmask(BIT(SIGURG));
	kill(getpid(), SIGURG);
	CHECK_EQX("SIGURG (default: ignore) blocked: pending", kpending(), BIT(SIGURG));
	set_kmask(0);
	CHECK_EQX("SIGURG unblocked: discarded", kpending(), 0);

	/* kill's argument checks. */
	CHECK_OK("kill(getpid(), 0): we exist", kill(getpid(), 0));
	CHECK_ERR("kill with signal 65 is EINVAL", kill(getpid(), 65), EINVAL);
	CHECK_ERR("kill with signal -1 is EINVAL", kill(getpid(), -1), EINVAL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	CHECK_ERR("kill(reaped child, 0) is ESRCH", kill(pid, 0), ESRCH);
	CHECK_ERR("kill(reaped child, SIGUSR1) is ESRCH", kill(pid, SIGUSR1), ESRCH);
	CHECK_ERR("tgkill with a tid that is not ours is ESRCH",
		  syscall(SYS_tgkill, getpid(), pid, SIGUSR1), ESRCH);
	CHECK_ERR("tgkill with tid 0 is EINVAL", syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	reset();
}

/* -- execve ------------------------------------------------------------------------- */

static char altstack[65536] __attribute__((aligned(16)));

/* The image t_signal --exec-child runs: what did execve keep? */
static int
exec_child(void)
{
	struct timespec ts = {0, 0};
	stack_t ss;
	sigset_t set;
	int r;

	guest_begin("t_signal-exec", "the signal state execve passed on");
	CHECK_EQX("execve: caught SIGUSR1 is reset to SIG_DFL", (uintptr_t)kaction(SIGUSR1).handler,
		  (uintptr_t)SIG_DFL);
	CHECK_EQX("execve: ignored SIGUSR2 stays SIG_IGN", (uintptr_t)kaction(SIGUSR2).handler,
		  (uintptr_t)SIG_IGN);
	CHECK_EQX("execve: the signal mask is kept", kmask(), BIT(SIGHUP) | BIT(SIGRTMIN + 2));
	CHECK_EQX("execve: the pending SIGHUP is kept", kpending(), BIT(SIGHUP));
	memset(&ss, 0, sizeof(ss));
	check(sigaltstack(NULL, &ss) == 0 && ss.ss_flags == SS_DISABLE,
	      "execve: the alternate stack is gone", "flags %d", ss.ss_flags);
	set = sigset_of(BIT(SIGHUP));
	r = sigtimedwait(&set, NULL, &ts);
	CHECK_EQ("the pending SIGHUP can be collected", r, SIGHUP);
	return guest_end();
}

static void
check_exec(void)
{
	struct timespec ts = {0, 0};
	stack_t ss;
	sigset_t set;
	pid_t pid;
	int st;

	handle_mask(SIGUSR1, h_record, 0, 0);
	dispose(SIGUSR2, SIG_IGN);
	set_kmask(BIT(SIGHUP) | BIT(SIGRTMIN + 2));
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	kill(getpid(), SIGHUP);
	pid = fork();
	if (pid == 0) {
		/* Pending signals are not inherited by fork; the mask is. */
		if (kpending() != 0)
			_exit(90);
		if (kmask() != (BIT(SIGHUP) | BIT(SIGRTMIN + 2)))
			_exit(91);
		kill(getpid(), SIGHUP);
		execl("/proc/self/exe", "t_signal", "--exec-child", (char *)NULL);
		_exit(92);
	}
	if (!CHECK_OK("fork", pid))
		return;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) != 90, "fork: the child has no pending signal",
	      "status %#x", st);
	check(WIFEXITED(st) && WEXITSTATUS(st) != 91, "fork: the child has the parent's mask",
	      "status %#x", st);
	check(WIFEXITED(st) && WEXITSTATUS(st) != 92, "execve(/proc/self/exe) worked", "status %#x",
	      st);
	CHECK_EQ("the re-executed image passed its checks", st, 0);
	set = sigset_of(BIT(SIGHUP));
	CHECK_EQ("our own SIGHUP is still pending", sigtimedwait(&set, NULL, &ts), SIGHUP);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	reset();
}

/* -- sigaltstack --------------------------------------------------------------------- */

static volatile struct {
	int n;
	uintptr_t local[2];
	int flags[2];
	uintptr_t uc_sp, uc_size;
	int eperm;
} alt;

static void
h_alt(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	volatile int local = 0;
	stack_t cur, ss;
	int i = alt.n++;

	(void)si;
	if (i >= 2)
		return;
	alt.local[i] = (uintptr_t)&local;
	memset(&cur, 0, sizeof(cur));
	alt.flags[i] = sigaltstack(NULL, &cur) == 0 ? cur.ss_flags : -1;
	if (i == 0 && alt.flags[0] == SS_ONSTACK) {
		alt.uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
		alt.uc_size = uc->uc_stack.ss_size;
		/* Changing the alternate stack while on it is EPERM. */
		ss.ss_sp = altstack;
		ss.ss_size = sizeof(altstack);
		ss.ss_flags = 0;
		alt.eperm = sigaltstack(&ss, NULL) == -1 ? errno : 0;
		/* A second signal while on it nests further down the same stack. */
		if (sig == SIGUSR1)
			raise(SIGUSR2);
	}
}

static int
on_alt(uintptr_t a)
{
	return a >= (uintptr_t)altstack && a < (uintptr_t)altstack + sizeof(altstack);
}

static void
check_altstack(void)
{
	static char small[1024];
	stack_t ss, old;

	memset(&old, 0, sizeof(old));
	check(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE,
	      "sigaltstack: none at first (SS_DISABLE)", "flags %d", old.ss_flags);
	ss.ss_sp = small;
	ss.ss_size = sizeof(small);
	ss.ss_flags = 0;
	CHECK_ERR("sigaltstack of 1024 bytes is ENOMEM", sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0x1234;
	CHECK_ERR("sigaltstack with bad flags is EINVAL", sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = 0;
	CHECK_OK("sigaltstack of 64 KiB", sigaltstack(&ss, &old));
	check(old.ss_flags == SS_DISABLE, "the old stack it reports is SS_DISABLE", "flags %d",
	      old.ss_flags);
	memset(&old, 0, sizeof(old));
	sigaltstack(NULL, &old);
	check(old.ss_sp == altstack && old.ss_size == sizeof(altstack) && old.ss_flags == 0,
	      "sigaltstack query: our stack, flags 0", "sp %p size %zu flags %d", old.ss_sp,
	      old.ss_size, old.ss_flags);

	/* SA_ONSTACK: on the alternate stack, nested signals further down it. */
	memset((void *)&alt, 0, sizeof(alt));
	handle_mask(SIGUSR1, h_alt, SA_ONSTACK, 0);
	handle_mask(SIGUSR2, h_alt, SA_ONSTACK, 0);
	raise(SIGUSR1);
	if (CHECK_EQ("SA_ONSTACK handler ran, and the one it raised", alt.n, 2)) {
		check(on_alt(alt.local[0]), "SA_ONSTACK: the handler runs on the alternate stack",
		      "local at %#lx, stack %p+%zu", (unsigned long)alt.local[0], altstack,
		      sizeof(altstack));
		CHECK_EQ("SA_ONSTACK: sigaltstack inside says SS_ONSTACK", alt.flags[0],
			 SS_ONSTACK);
		check(alt.uc_sp == (uintptr_t)altstack && alt.uc_size == sizeof(altstack),
		      "SA_ONSTACK: uc_stack describes the alternate stack", "sp %#lx size %lu",
		      (unsigned long)alt.uc_sp, (unsigned long)alt.uc_size);
		CHECK_EQ("changing the alternate stack while on it is EPERM", alt.eperm, EPERM);
		check(on_alt(alt.local[1]) && alt.local[1] < alt.local[0],
		      "a nested SA_ONSTACK signal goes further down the alternate stack",
		      "outer %#lx, inner %#lx", (unsigned long)alt.local[0],
		      (unsigned long)alt.local[1]);
	}
	memset(&old, 0, sizeof(old));
	sigaltstack(NULL, &old);
	CHECK_EQ("after the handlers: not on the alternate stack (flags 0)", old.ss_flags, 0);

	/* Without SA_ONSTACK: the normal stack. */
	memset((void *)&alt, 0, sizeof(alt));
	handle_mask(SIGUSR2, h_alt, 0, 0);
	raise(SIGUSR2);
	if (CHECK_EQ("handler without SA_ONSTACK ran", alt.n, 1)) {
		check(!on_alt(alt.local[0]), "without SA_ONSTACK: the normal stack",
		      "local at %#lx", (unsigned long)alt.local[0]);
		CHECK_EQ("without SA_ONSTACK: sigaltstack inside says flags 0", alt.flags[0], 0);
	}

	/* SS_DISABLE: SA_ONSTACK handlers run on the normal stack. */
	ss.ss_flags = SS_DISABLE;
	CHECK_OK("sigaltstack(SS_DISABLE)", sigaltstack(&ss, NULL));
	memset(&old, 0, sizeof(old));
	sigaltstack(NULL, &old);
	CHECK_EQ("query after SS_DISABLE", old.ss_flags, SS_DISABLE);
	memset((void *)&alt, 0, sizeof(alt));
	handle_mask(SIGUSR1, h_alt, SA_ONSTACK, 0);
	dispose(SIGUSR2, SIG_IGN);
	raise(SIGUSR1);
	if (CHECK_EQ("SA_ONSTACK handler with the stack disabled ran", alt.n, 1)) {
		check(!on_alt(alt.local[0]), "disabled: the handler runs on the normal stack",
		      "local at %#lx", (unsigned long)alt.local[0]);
		CHECK_EQ("disabled: sigaltstack inside says SS_DISABLE", alt.flags[0], SS_DISABLE);
	}
	reset();
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child();
	guest_begin("t_signal", "signal frames, siginfo, masks, waiting, sigaltstack");
	reset();
	check_frame();
	check_avx();
	check_siginfo();
	check_masks();
	check_blocking();
	check_sigsuspend();
	check_sigwait();
	check_ignore();
	check_exec();
	check_altstack();
	return guest_end();
}
