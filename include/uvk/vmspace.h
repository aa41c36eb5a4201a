/*
 * uvk/vmspace.h - guest address spaces and running guest code in them.
 *
 * Public API, layer src/vmspace. A vmspace is a real host process, traced by
 * the thread that created it, whose address space holds only the stub area
 * (UVK_STUB_BASE, UVK_STUB_SIZE) and whatever pages of pmem the fault
 * shortcut maps from the guest page table set with uvk_vmspace_set_root().
 *
 * Trap flow of uvk_vmspace_run():
 *
 *   load changed registers --> resume under PTRACE_SYSEMU --> host stop
 *        ^                                                   |
 *        |        syscall ----------------------------------+--> UVK_TRAP_SYSCALL
 *        |        SIGSEGV: walk the page table              |
 *        +---- allowed: map (fault-around), resume          |
 *                 not allowed ------------------------------+--> UVK_TRAP_PAGE_FAULT
 *                 SIGILL/SIGFPE/SIGBUS/SIGTRAP/#GP ---------+--> UVK_TRAP_FAULT
 *                 tick / uvk_vmspace_interrupt() -----------+--> UVK_TRAP_INTERRUPT
 *                 child gone -------------------------------+--> UVK_TRAP_EXIT
 *
 * Guest code never makes a real system call: it runs only under
 * PTRACE_SYSEMU, which stops at every syscall instruction before the call
 * runs. The stub alone runs real calls (mmap, munmap, mprotect of pmem), under
 * a seccomp filter that kills the process for any other call or any call from
 * another instruction.
 *
 * Lifetime: a vmspace child never outlives the thread that traces it
 * (PTRACE_O_EXITKILL): if the tracer dies, every vmspace dies with it.
 *
 * A fault the shortcut resolves three times in a row at the same address and
 * instruction without the guest making progress (a table changing under it)
 * is forwarded as a page-fault trap with error -EACCES, so that it cannot
 * loop in the library.
 *
 * Threads: a vmspace belongs to the thread that created it (ptrace is per
 * thread); every call on it except uvk_vmspace_interrupt() must come from
 * that thread.
 */
#ifndef UVK_VMSPACE_H
#define UVK_VMSPACE_H

#include <stdint.h>
#include <uvk/pmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The stub area: guest mappings may not overlap it. */
#define UVK_STUB_BASE 0x100000ULL
#define UVK_STUB_SIZE 0x10000ULL

/* The host signal libuvk uses to interrupt a running vmspace (SIGRTMAX - 1 with glibc). */
#define UVK_KICK_SIGNAL 63

/* General registers of a guest context, named as in <sys/user.h>. */
struct uvk_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t rip, rflags, rsp;
	uint64_t fs_base, gs_base;
};

/* FPU/SSE/AVX state in the XSAVE layout; len is how much of data is valid. */
#define UVK_FPSTATE_MAX 16384
struct uvk_fpstate {
	uint32_t len;
	uint32_t pad_;
	uint8_t data[UVK_FPSTATE_MAX] __attribute__((aligned(64)));
};

enum uvk_trap_kind {
	UVK_TRAP_SYSCALL = 1,
	UVK_TRAP_PAGE_FAULT,
	UVK_TRAP_FAULT,
	UVK_TRAP_INTERRUPT,
	UVK_TRAP_EXIT,
};

/* Syscall ABI: how the guest entered the kernel. */
enum uvk_abi {
	UVK_ABI_X86_64 = 0, /* syscall instruction */
	UVK_ABI_I386,	    /* int $0x80 or sysenter: nr and args are the i386 ones */
	UVK_ABI_VSYSCALL,   /* a call into the vsyscall page: nr is the x86-64 call it
			     * stands for (gettimeofday, time, getcpu), the args are
			     * the x86-64 ones, and rip and rsp are already past the
			     * emulated ret: the guest kernel sets rax only */
};

/* Interruption reasons. */
enum uvk_intr {
	UVK_INTR_TICK = 1, /* the calling thread's uvk_tick_start() timer fired */
	UVK_INTR_KICK,	   /* uvk_vmspace_interrupt() */
};

/*
 * What uvk_vmspace_run() came back for. The registers at the event are in
 * the uvk_regs passed to run: for a syscall, rip is past the instruction and
 * the return value goes in rax before the next run.
 */
struct uvk_trap {
	enum uvk_trap_kind kind;
	union {
		struct {
			uint64_t nr;
			uint64_t args[6];
			enum uvk_abi abi;
		} syscall;
		struct {
			uint64_t gva;	 /* faulting address */
			unsigned access; /* UVK_ACCESS_*; a write to a page never mapped shows as READ */
			int error;	 /* walker result: -ENOENT, -EACCES or -EFAULT */
		} page_fault;
		struct {
			int signo; /* SIGILL, SIGFPE, SIGBUS, SIGTRAP, or SIGSEGV for #GP */
			int code;  /* the host si_code (ILL_ILLOPN, FPE_INTDIV, TRAP_BRKPT, SI_KERNEL...) */
			uint64_t addr; /* si_addr */
		} fault;
		struct {
			enum uvk_intr reason;
		} interrupt;
		struct {
			int exited;  /* 1: exit status in code; 0: killed by signal code */
			int code;
			int wstatus; /* the raw wait status */
		} exit;
	};
};

/* Counters, per vmspace. */
struct uvk_stats {
	uint64_t runs;		  /* uvk_vmspace_run calls */
	uint64_t stops;		  /* host ptrace stops of the child */
	uint64_t syscalls;	  /* syscall traps returned */
	uint64_t faults_resolved; /* faults the shortcut resolved without returning */
	uint64_t faults_forwarded; /* page-fault traps returned */
	uint64_t pages_mapped;	  /* pages mapped by the shortcut (fault-around included) */
	uint64_t map_calls;	  /* host mmap/munmap/mprotect calls run by the stub */
	uint64_t batches;	  /* stub resumes that ran those calls */
	uint64_t regs_loaded;	  /* times changed registers were written to the child */
	uint64_t interrupts;	  /* UVK_TRAP_INTERRUPT returned */
	uint64_t map_resets;	  /* host out of mappings (vm.max_map_count): all unmapped */
};

struct uvk_vmspace;

/* uvk_vmspace_create() flags. */
#define UVK_VMS_NOPIN 1u /* do not pin the calling thread and the child to one host CPU */

/*
 * uvk_vmspace_create - start a vmspace child on pm, traced by the calling
 * thread. The child holds only the stub area and pm's memfd. Unless
 * UVK_VMS_NOPIN is given, the calling thread is pinned to the CPU it is on
 * and the child to the same one: a ptrace stop costs several times more when
 * the two sit on different CPUs. Returns NULL with errno set on failure
 * (EPERM if ptrace or seccomp is not allowed here, EAGAIN if the host
 * refuses another process, ENOSPC after too many vmspaces on one pmem).
 */
struct uvk_vmspace *uvk_vmspace_create(struct uvk_pmem *pm, unsigned flags);

/* uvk_vmspace_free - kill the child, reap it and free everything. NULL is fine. */
void uvk_vmspace_free(struct uvk_vmspace *vms);

/*
 * uvk_vmspace_set_root - use the page table at gpa root from now on; every
 * mapping made from the old one goes (a full invalidate). A new vmspace has
 * no table: every access traps with -ENOENT. Returns 0, -EINVAL (root not a
 * page inside pmem) or -ESRCH.
 */
int uvk_vmspace_set_root(struct uvk_vmspace *vms, uint64_t root);

/*
 * uvk_vmspace_invalidate - drop the host mappings of [gva, gva+len) after the
 * guest kernel changed entries there, so that the next access walks the table
 * again. Queued and executed before the child next runs; nothing but the
 * child itself can use a mapping meanwhile, so the frames behind it may be
 * reused as soon as this returns 0. Returns 0; -EINVAL for a range that is
 * unaligned, beyond UVK_VA_MAX or overlaps the stub (nothing is done: the
 * caller must not reuse the frames, and kills the child with
 * uvk_vmspace_kill() if it cannot do without the invalidation); or -ESRCH
 * or -EIO when the child is gone or could not run the queue, in which case
 * it is dead (killed here if need be) and no mapping of it survives.
 */
int uvk_vmspace_invalidate(struct uvk_vmspace *vms, uint64_t gva, uint64_t len);

/*
 * uvk_vmspace_kill - kill the child now (the queue of mapping calls is
 * dropped): every host mapping of it is gone when this returns. The next
 * uvk_vmspace_run() reports UVK_TRAP_EXIT, killed by SIGKILL. For a guest
 * kernel that finds a process it cannot keep consistent (an invalidation it
 * cannot do, a corrupt page table). NULL or a dead child is fine.
 */
void uvk_vmspace_kill(struct uvk_vmspace *vms);

/*
 * uvk_vmspace_prefault - map [gva, gva+len) now, as the fault shortcut would
 * on a read of each page, so that a freshly built image does not pay one
 * fault per page. Pages the table does not allow are skipped. Returns the
 * number of pages mapped or a negative errno.
 */
long uvk_vmspace_prefault(struct uvk_vmspace *vms, uint64_t gva, uint64_t len);

/*
 * uvk_vmspace_run - run guest code with registers *regs until an event the
 * guest kernel must see, and describe it in *trap; *regs then holds the
 * registers at the event. Returns 0 (trap filled), -ESRCH once the child is
 * gone (after its UVK_TRAP_EXIT was returned), -EINVAL for bad arguments, or
 * -EIO if the host misbehaved (the child is then killed and the next run
 * reports its death).
 */
int uvk_vmspace_run(struct uvk_vmspace *vms, struct uvk_regs *regs, struct uvk_trap *trap);

/*
 * FPU state: uvk_vmspace_get_fpstate() reads the child's current state;
 * uvk_vmspace_set_fpstate() has it loaded before the next run (only then
 * is it transferred). Both return 0 or a negative errno.
 */
int uvk_vmspace_get_fpstate(struct uvk_vmspace *vms, struct uvk_fpstate *fp);
int uvk_vmspace_set_fpstate(struct uvk_vmspace *vms, const struct uvk_fpstate *fp);

/*
 * uvk_vmspace_interrupt - make the run in progress (or the next one) return
 * UVK_TRAP_INTERRUPT with UVK_INTR_KICK. Safe from any thread and from a
 * signal handler. Returns 0 or -ESRCH.
 */
int uvk_vmspace_interrupt(struct uvk_vmspace *vms);

/*
 * uvk_tick_start - give the calling thread a periodic timer interrupt: every
 * period_ns the run in progress returns UVK_TRAP_INTERRUPT with
 * UVK_INTR_TICK (a tick while no run is in progress is delivered by the next
 * one). 0 stops it. Returns 0 or a negative errno.
 */
int uvk_tick_start(uint64_t period_ns);

/* Counters and the host pid (for diagnostics only: the host process is not the guest's). */
void uvk_vmspace_stats(const struct uvk_vmspace *vms, struct uvk_stats *ret);
int uvk_vmspace_host_pid(const struct uvk_vmspace *vms);

#ifdef __cplusplus
}
#endif
#endif /* UVK_VMSPACE_H */
