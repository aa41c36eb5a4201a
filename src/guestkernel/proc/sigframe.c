/*
 * sigframe.c - the signal frame: entering a handler and rt_sigreturn.
 *
 * Layer src/guestkernel/proc, under signal.c. A handler is entered through a
 * frame built exactly as Linux x86-64 builds one, so that programs that
 * read or edit their ucontext work unchanged:
 *
 *	high	interrupted stack (minus the 128-byte red zone) or sigaltstack top
 *		XSAVE image of the FPU, 64-byte aligned, then FP_XSTATE_MAGIC2
 *		struct k_frame: pretcode (sa_restorer), ucontext, siginfo
 *	low	rsp at handler entry = &pretcode, so rsp + 8 is 16-byte aligned
 *
 * The handler starts with the FPU in its init state. rt_sigreturn (the
 * restorer's syscall) reads the ucontext back: every general register, the
 * user-changeable flags, the mask, the alternate stack and the FPU image,
 * whatever the handler wrote there.
 *
 * Must not: trust anything read from the guest frame; a frame Linux would
 * refuse (bad selectors, an FPU image the CPU would not load, a
 * non-canonical rip) forces SIGSEGV on the guest process, never reaches
 * the host, never ends uvk.
 */
#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "proc.h"

/* struct _fpx_sw_bytes: what the 48 software bytes of an FXSAVE area hold in a frame. */
struct fpx_sw {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, pad[7];
};

/* Linux x86-64 struct sigcontext: 256 bytes. */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* gva of the XSAVE image, 0 for none */
	uint64_t reserved1[8];
};

struct k_ucontext {
	uint64_t flags;
	uint64_t link;
	uint64_t ss_sp;
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	struct k_sigcontext mc;
	uint64_t sigmask;
};

struct k_frame {
	uint64_t pretcode;
	struct k_ucontext uc;
	struct gk_siginfo info;
};

_Static_assert(sizeof(struct gk_siginfo) == 128, "siginfo is 128 bytes");
_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext is 256 bytes");
_Static_assert(sizeof(struct k_frame) == 440, "rt_sigframe is 440 bytes");

#define UC_FP_XSTATE	     0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define K_FP_XSTATE_MAGIC1     0x46505853u
#define K_FP_XSTATE_MAGIC2     0x46505845u
#define FX_SW_OFF	     464 /* struct _fpx_sw_bytes inside the 512-byte FXSAVE area */
#define USER_CS		     0x33
#define USER_SS		     0x2b
#define USER32_CS	     0x23

/* The flags sigreturn may change: AC OF DF TF SF ZF AF PF CF RF. */
#define FIX_EFLAGS 0x50dd5ULL
#define EFLAGS_TF  0x100ULL
#define EFLAGS_DF  0x400ULL
#define EFLAGS_RF  0x10000ULL

/*
 * The XSAVE features a frame may carry: the host's XCR0 (the tracer and
 * its vmspaces run on one host), without AMX, which a process must ask
 * the host for, and without anything the kernel does not take from user
 * space (bits above PKRU). A frame claiming more would make the host
 * refuse the whole image.
 */
static uint64_t
user_xfeatures(struct gk_kernel *k)
{
	uint32_t lo, hi;

	if (!k->xfeatures) {
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		k->xfeatures = ((uint64_t)hi << 32 | lo) & 0x2ffULL;
	}
	return k->xfeatures;
}

/*
 * How much of the XSAVE image those features need (CPUID leaf 0xD gives
 * each one's offset and size in the standard format): what a frame holds,
 * as Linux sizes it. ptrace's image is larger (it has room for AMX), and a
 * frame that large would overflow a sigaltstack sized by AT_MINSIGSTKSZ.
 */
static uint32_t
user_xstate_size(struct gk_kernel *k)
{
	unsigned a, b, c, d, i;
	uint64_t mask = user_xfeatures(k);
	uint32_t size;

	if (k->xstate_size)
		return k->xstate_size;
	size = 576;
	for (i = 2; i < 64; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		if (a + b > size)
			size = a + b;
	}
	k->xstate_size = (size + 63) & ~63u;
	return k->xstate_size;
}

/*
 * The FPU image a handler starts with: the init state (XSTATE_BV 0), the
 * default x87 control word and MXCSR, as Linux gives a handler.
 */
static void
fp_init_state(struct uvk_fpstate *fp)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mask;
	struct fpx_sw sw;

	/* The MXCSR mask and the host's software bytes say what the host supports: kept. */
	memcpy(&mask, fp->data + 28, 4);
	memcpy(&sw, fp->data + FX_SW_OFF, sizeof(sw));
	memset(fp->data, 0, fp->len);
	memcpy(fp->data, &fcw, 2);
	memcpy(fp->data + 24, &mxcsr, 4);
	memcpy(fp->data + 28, &mask, 4);
	memcpy(fp->data + FX_SW_OFF, &sw, sizeof(sw));
}

/*
 * Build the frame for sig on p's stack and point the registers at the
 * handler. Returns 0, or -EFAULT if the stack cannot take the frame.
 */
int
gk_sig_frame(struct gk_proc *p, int sig, const struct gk_siginfo *info,
	     const struct gk_sigaction *act)
{
	struct uvk_vmspace *vms = p->vm->vms;
	struct uvk_fpstate *fp = p->k->fp_scratch;
	struct k_frame fr;
	struct uvk_regs *r = &p->regs;
	uint64_t sp = r->rsp, fpgva = 0, gva;
	int onstack = gk_sig_on_altstack(p, sp);
	struct fpx_sw sw;
	uint32_t flen;

	if (!(act->flags & GK_SA_RESTORER) || !act->restorer)
		return -EFAULT; /* x86-64 has no vDSO trampoline to fall back on */
	if (gk_task_fp_load(p) < 0 || uvk_vmspace_get_fpstate(vms, fp) < 0 || fp->len < 576)
		fp->len = 0;
	if ((act->flags & SA_ONSTACK) && p->ss_size && !onstack)
		sp = p->ss_sp + p->ss_size;
	else
		sp -= 128; /* the red zone */
	if (fp->len > user_xstate_size(p->k))
		flen = user_xstate_size(p->k);
	else
		flen = fp->len;
	if (flen) {
		/* sw_reserved tells a reader the layout: features, sizes, magic. */
		memset(&sw, 0, sizeof(sw));
		sw.magic1 = K_FP_XSTATE_MAGIC1;
		sw.xfeatures = user_xfeatures(p->k);
		sw.extended_size = flen + 4;
		sw.xstate_size = flen;
		memcpy(fp->data + FX_SW_OFF, &sw, sizeof(sw));
		sp = (sp - flen - 4) & ~63ULL;
		fpgva = sp;
	}
	gva = ((sp - sizeof(fr)) & ~15ULL) - 8;
	memset(&fr, 0, sizeof(fr));
	fr.pretcode = act->restorer;
	fr.uc.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (flen ? UC_FP_XSTATE : 0);
	fr.uc.ss_sp = p->ss_sp;
	fr.uc.ss_size = p->ss_size;
	fr.uc.ss_flags = !p->ss_size ? SS_DISABLE : onstack ? SS_ONSTACK : 0;
	fr.uc.ss_flags |= p->ss_flags;
	fr.uc.mc = (struct k_sigcontext){
	    .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
	    .r13 = r->r13, .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi,
	    .rbp = r->rbp, .rbx = r->rbx, .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx,
	    .rsp = r->rsp, .rip = r->rip, .eflags = r->rflags, .cs = USER_CS, .ss = USER_SS,
	    .fpstate = fpgva,
	};
	if (p->fault_sig == sig) {
		/* The trap that raised it, as the host's ucontext would tell. */
		fr.uc.mc.trapno = p->fault_trapno;
		fr.uc.mc.err = p->fault_err;
		if (p->fault_trapno == 14)
			fr.uc.mc.cr2 = info->addr;
		p->fault_sig = 0;
	}
	fr.uc.sigmask = p->restore_mask ? p->saved_mask : p->sigmask;
	fr.uc.mc.oldmask = fr.uc.sigmask;
	fr.info = *info;
	if (fpgva && (gk_copyout(p, fpgva, fp->data, flen) < 0 ||
		      gk_copyout(p, fpgva + flen, &(uint32_t){K_FP_XSTATE_MAGIC2}, 4) < 0))
		return -EFAULT;
	if (gk_copyout(p, gva, &fr, sizeof(fr)) < 0)
		return -EFAULT;
	if (p->ss_flags & GK_SS_AUTODISARM) {
		p->ss_sp = p->ss_size = 0;
		p->ss_flags = 0;
	}
	r->rsp = gva;
	r->rip = act->handler;
	r->rdi = (uint64_t)sig;
	r->rsi = gva + offsetof(struct k_frame, info);
	r->rdx = gva + offsetof(struct k_frame, uc);
	r->rax = 0;
	r->rflags &= ~(EFLAGS_DF | EFLAGS_RF | EFLAGS_TF);
	if (fp->len) {
		fp_init_state(fp);
		uvk_vmspace_set_fpstate(vms, fp);
	}
	return 0;
}


/* XCR0 itself: an XSTATE_BV bit the CPU has not enabled makes XRSTOR fault. */
static uint64_t
host_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/*
 * Read the FPU image a handler may have edited, at gva, into fp (which
 * holds the current state, so its length and the host's MXCSR mask).
 * Linux restores it with XRSTOR (or FXRSTOR when the software bytes or
 * FP_XSTATE_MAGIC2 do not describe an XSAVE image) straight from the
 * frame, and an image the CPU refuses is a bad frame: SIGSEGV. The same
 * checks are made here, before the image reaches the host, so that the
 * guest process dies where Linux would kill it and the host never sees
 * an image it would refuse:
 *
 *	misaligned		FXRSTOR wants 16 bytes, XRSTOR 64
 *	MXCSR			a bit outside the host's MXCSR mask
 *	XSAVE header		XSTATE_BV beyond XCR0, XCOMP_BV or reserved bytes set
 *
 * One deviation: a compacted image (XCOMP_BV bit 63), which XRSTOR would
 * take, is refused too; nothing Linux writes into a frame is compacted.
 * Returns 0, or -EFAULT for a frame Linux would refuse.
 */
static int
fp_from_frame(struct gk_proc *p, struct uvk_fpstate *fp, uint64_t gva)
{
	struct fpx_sw sw;
	uint32_t len = 512, mxcsr, mask, magic2;
	uint64_t hdr[8], rfbm = 3; /* FXRSTOR restores x87 and SSE */
	int fx_only = 1;
	unsigned i;

	memcpy(&mask, fp->data + 28, 4);
	if (!mask)
		mask = 0xffbf; /* the architectural default when FXSAVE stores none */
	if (gk_copyin(p, &sw, gva + FX_SW_OFF, sizeof(sw)) < 0)
		return -EFAULT;
	if (sw.magic1 == K_FP_XSTATE_MAGIC1 && sw.xstate_size >= 576 &&
	    sw.xstate_size <= user_xstate_size(p->k) && sw.xstate_size <= sw.extended_size) {
		if (gk_copyin(p, &magic2, gva + sw.xstate_size, 4) < 0)
			return -EFAULT;
		fx_only = magic2 != K_FP_XSTATE_MAGIC2;
	}
	if (gva & (fx_only ? 15 : 63))
		return -EFAULT;
	if (!fx_only) {
		len = sw.xstate_size < fp->len ? sw.xstate_size : fp->len;
		rfbm = sw.xfeatures & user_xfeatures(p->k);
	}
	if (gk_copyin(p, fp->data, gva, len) < 0)
		return -EFAULT;
	memcpy(&mxcsr, fp->data + 24, 4);
	/* XRSTOR loads (and checks) MXCSR only with SSE or AVX requested. */
	if ((rfbm & 6) && (mxcsr & ~mask))
		return -EFAULT;
	if (!(rfbm & 6))
		mxcsr = 0x1f80;
	if (!fx_only) {
		memcpy(hdr, fp->data + 512, sizeof(hdr));
		if (hdr[0] & ~host_xcr0())
			return -EFAULT;
		for (i = 1; i < 8; i++)
			if (hdr[i])
				return -EFAULT;
	} else {
		memset(hdr, 0, sizeof(hdr));
		hdr[0] = 3;
	}
	/* What is not requested, or not in XSTATE_BV, comes back in its init state. */
	hdr[0] &= rfbm;
	memcpy(fp->data + 24, &mxcsr, 4);
	memcpy(fp->data + 28, &mask, 4);
	memset(fp->data + FX_SW_OFF, 0, sizeof(sw));
	memcpy(fp->data + 512, hdr, sizeof(hdr));
	return 0;
}

/*
 * A code or stack selector the return to user mode would fault on. Linux
 * sets the RPL bits of both and returns with IRET; a descriptor that is
 * not a user code (cs) or writable user data (ss) segment is a #GP there,
 * so SIGSEGV. uvk's guests have no LDT and no TLS descriptors, which
 * leaves the GDT's user segments: __USER_CS (0x33), __USER32_CS (0x23),
 * __USER_DS (0x2b). ss is used only with UC_STRICT_RESTORE_SS; otherwise
 * Linux replaces a bad one with __USER_DS. A process keeps running in
 * 64-bit mode after a frame with __USER32_CS (the host runs it): a
 * documented deviation, as uvk does not run 32-bit code.
 */
static int
bad_selectors(const struct k_ucontext *uc)
{
	unsigned cs = uc->mc.cs | 3, ss = uc->mc.ss | 3;

	if (cs != USER_CS && cs != USER32_CS)
		return 1;
	return (uc->flags & UC_STRICT_RESTORE_SS) && ss != USER_SS;
}

/*
 * gk_sig_return - rt_sigreturn: restore what the frame at rsp - 8 holds,
 * in Linux's order: the mask, the registers, the FPU image, the alternate
 * stack. Returns the restored rax (p->regs_final tells the dispatcher so).
 * A frame Linux would refuse forces SIGSEGV on p as Linux's signal_fault()
 * does (a handler runs if p has one, else p dies): one that cannot be read
 * or whose FPU image the CPU would refuse (rax is then 0, as Linux's
 * return value), or one whose rip, cs or ss the return to user mode would
 * fault on.
 */
long
gk_sig_return(struct gk_proc *p)
{
	struct uvk_regs *r = &p->regs;
	struct uvk_fpstate *fp = p->k->fp_scratch;
	struct k_ucontext uc;

	if (gk_copyin(p, &uc, r->rsp - 8 + offsetof(struct k_frame, uc), sizeof(uc)) < 0)
		goto badframe;
	gk_sig_set_mask(p, uc.sigmask);
	r->r8 = uc.mc.r8;
	r->r9 = uc.mc.r9;
	r->r10 = uc.mc.r10;
	r->r11 = uc.mc.r11;
	r->r12 = uc.mc.r12;
	r->r13 = uc.mc.r13;
	r->r14 = uc.mc.r14;
	r->r15 = uc.mc.r15;
	r->rdi = uc.mc.rdi;
	r->rsi = uc.mc.rsi;
	r->rbp = uc.mc.rbp;
	r->rbx = uc.mc.rbx;
	r->rdx = uc.mc.rdx;
	r->rax = uc.mc.rax;
	r->rcx = uc.mc.rcx;
	r->rsp = uc.mc.rsp;
	r->rip = uc.mc.rip;
	r->rflags = (r->rflags & ~FIX_EFLAGS) | (uc.mc.eflags & FIX_EFLAGS);
	if (gk_task_fp_load(p) == 0 && uvk_vmspace_get_fpstate(p->vm->vms, fp) == 0 &&
	    fp->len >= 576) {
		if (!uc.mc.fpstate)
			fp_init_state(fp);
		else if (fp_from_frame(p, fp, uc.mc.fpstate) < 0)
			goto badframe;
		uvk_vmspace_set_fpstate(p->vm->vms, fp);
	}
	/* The alternate stack comes back too, unless we are running on it. */
	if (!gk_sig_on_altstack(p, r->rsp)) {
		if (uc.ss_flags & SS_DISABLE) {
			p->ss_sp = p->ss_size = 0;
			p->ss_flags = 0;
		} else if (uc.ss_size >= GK_MINSIGSTKSZ) {
			p->ss_sp = uc.ss_sp;
			p->ss_size = uc.ss_size;
			p->ss_flags = uc.ss_flags & GK_SS_AUTODISARM;
		}
	}
	p->regs_final = 1;
	if (uc.mc.rip >= UVK_VA_MAX || bad_selectors(&uc)) {
		/* The IRET's general protection fault, taken at the restored rip. */
		p->fault_sig = SIGSEGV;
		p->fault_trapno = 13;
		p->fault_err = 0;
		gk_sig_force(p, SIGSEGV, SI_KERNEL, 0);
	}
	return (long)r->rax;
badframe:
	r->rax = 0;
	p->regs_final = 1;
	gk_sig_force(p, SIGSEGV, SI_KERNEL, 0);
	return 0;
}
