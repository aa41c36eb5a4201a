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
 * Threads and virtual CPUs. A vCPU (struct uvk_vcpu) is one tracer thread:
 * ptrace belongs to a thread, so every host thread is traced, resumed and
 * waited for by one tracer thread only. A vmspace is one host process with
 * one host thread per vCPU that has run it (DragonFly: one vkernel thread
 * per CPU, never one per guest thread): guest threads of a process that run
 * on two vCPUs at once are two host threads of one host process, each with
 * its own registers and FPU state, sharing every mapping. The host thread
 * of (vCPU, vmspace) is made the first time that vCPU needs one there, from
 * a spare thread the vmspace keeps parked (see src/tracer/child.c for why a
 * parked spare and not a handover); vCPUs made after a vmspace was created
 * can use it once it has run again on a vCPU that has a thread in it (it
 * then makes its spare), or get -EAGAIN.
 *
 * A thread that never called uvk_vcpu_create() gets an implicit vCPU at its
 * first call that needs one: the one-thread API (uvk_vmspace_run and
 * friends) is "the calling thread's vCPU", and a program with one thread
 * never sees a vCPU at all.
 *
 * Every call on a vmspace may come from any thread (it acts through the
 * calling thread's vCPU), any number at once, except uvk_vmspace_free (no
 * other call on it may be in progress or come later). Each takes the
 * vmspace's lock for the bookkeeping it changes; none holds it while guest
 * code runs. Invalidation (DragonFly's pm_active and shootdown): a mapping
 * change is made on the host before the call returns if any vCPU is running
 * the vmspace at that moment, otherwise before the next vCPU resumes it.
 * Only uvk_vcpu_interrupt() and uvk_vmspace_interrupt() are
 * async-signal-safe.
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
	uint64_t faults_raced;	  /* faults another vCPU's mapping change had answered: resumed as they were */
	uint64_t host_threads;	  /* host threads in the process now, the parked spare included */
};

struct uvk_vmspace;
struct uvk_vcpu;

/* At most this many vCPUs at once in one process. */
#define UVK_VCPU_MAX 64

/*
 * uvk_vcpu_create - make the calling thread a vCPU, pinned to host CPU
 * host_cpu if it is >= 0 (the host threads it traces are pinned there too:
 * a ptrace stop across two CPUs costs several times one on the same CPU),
 * unpinned for -1. A thread has at most one vCPU: if it has an implicit one
 * (uvk_vcpu_self), that one becomes this one.
 * Threads: call it on the thread that will use the vCPU; it takes the
 * process's vCPU registry lock. Returns the vCPU, or NULL with errno:
 * EBUSY the thread has made one already, ENOSPC UVK_VCPU_MAX in use,
 * EINVAL host_cpu is not a CPU this process may use, ENOMEM.
 */
struct uvk_vcpu *uvk_vcpu_create(int host_cpu);

/*
 * uvk_vcpu_self - the calling thread's vCPU; one is made (implicit,
 * unpinned, freed when the thread exits) if it has none. NULL with errno
 * ENOMEM or ENOSPC. Threads: any; it returns the caller's own.
 */
struct uvk_vcpu *uvk_vcpu_self(void);

/*
 * uvk_vcpu_free - forget vcpu (made by uvk_vcpu_create; NULL is fine).
 * Threads: its own thread, or any thread once its own has stopped using
 * it (exited, say); no call on it may be in progress. Every vmspace it ran
 * should be freed first: a host thread is killed, and its whole vmspace
 * with it, when its tracer thread exits (PTRACE_O_EXITKILL), and a vmspace
 * whose thread belongs to a freed vCPU is killed when a new vCPU with the
 * same id comes to use it.
 */
void uvk_vcpu_free(struct uvk_vcpu *vcpu);

/* uvk_vcpu_id - the vCPU's number, 0 .. UVK_VCPU_MAX - 1. Any thread. */
int uvk_vcpu_id(const struct uvk_vcpu *vcpu);

/*
 * uvk_vcpu_run - uvk_vmspace_run() on vcpu's own host thread in vms, made
 * at the first run (or any call) there. Any number of vCPUs may run one
 * vmspace at once. Threads: vcpu's own thread only (-EINVAL otherwise).
 * Returns as uvk_vmspace_run(), and -EAGAIN if vcpu has no host thread in
 * vms and vms has no spare to give it (see the top of this file), -EPERM if
 * the host forbids seizing the spare (a ptrace policy, Yama's scope 2 or 3).
 * UVK_TRAP_EXIT is reported once to each vCPU that has a host thread in
 * the vmspace (-ESRCH afterwards).
 */
int uvk_vcpu_run(struct uvk_vcpu *vcpu, struct uvk_vmspace *vms, struct uvk_regs *regs,
		 struct uvk_trap *trap);

/*
 * uvk_vcpu_interrupt - the IPI: make vcpu's run in progress return
 * UVK_TRAP_INTERRUPT with UVK_INTR_KICK, or, if it is not inside a run, its
 * next run (of any vmspace) return it at once. A vCPU blocked elsewhere
 * (waiting on a lock of the guest kernel, say) is not woken: waking it is
 * the guest kernel's business. Threads: any thread, and async-signal-safe
 * (an atomic store and a tgkill). Returns 0 or -ESRCH (its thread is gone).
 */
int uvk_vcpu_interrupt(struct uvk_vcpu *vcpu);

/*
 * FPU state of vcpu's host thread in vms (each host thread has its own, as
 * each CPU has its own registers): as uvk_vmspace_get_fpstate and
 * uvk_vmspace_set_fpstate below. A host thread made for a vCPU starts with
 * the FPU state of the thread it was cloned from: set it before the first
 * run of a guest thread there. Threads: vcpu's own thread only (-EINVAL).
 */
int uvk_vcpu_get_fpstate(struct uvk_vcpu *vcpu, struct uvk_vmspace *vms,
			 struct uvk_fpstate *fp);
int uvk_vcpu_set_fpstate(struct uvk_vcpu *vcpu, struct uvk_vmspace *vms,
			 const struct uvk_fpstate *fp);

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
 * Its first host thread is the calling thread's vCPU's; an explicit vCPU
 * is pinned (or not) as it was made, and the flag is ignored for it. When
 * the process has more than one vCPU, a spare thread is parked in it at
 * once for the next vCPU. Threads: any; it takes pm's lock.
 */
struct uvk_vmspace *uvk_vmspace_create(struct uvk_pmem *pm, unsigned flags);

/*
 * uvk_vmspace_free - kill the child, reap every host thread and free
 * everything. NULL is fine. Threads: any thread (a vCPU or not), while no
 * other call on vms is in progress on any thread and none comes later;
 * other vCPUs may still have host threads in it (they are reaped here).
 */
void uvk_vmspace_free(struct uvk_vmspace *vms);

/*
 * uvk_vmspace_set_root - use the page table at gpa root from now on; every
 * mapping made from the old one goes (a full invalidate). A new vmspace has
 * no table: every access traps with -ENOENT. Returns 0, -EINVAL (root not a
 * page inside pmem) or -ESRCH. Threads: any; takes the vmspace lock, and
 * when another vCPU is running it, unmaps on the host before returning.
 */
int uvk_vmspace_set_root(struct uvk_vmspace *vms, uint64_t root);

/*
 * uvk_vmspace_invalidate - drop the host mappings of [gva, gva+len) after the
 * guest kernel changed entries there, so that the next access walks the table
 * again. If a vCPU is running the vmspace (any vCPU but the caller's, which
 * is not running while it calls), the host mappings go before this returns,
 * through the caller's own host thread there (adopted if it has none yet):
 * the host kernel takes the stale translations from every thread of the
 * process before its munmap returns. Otherwise the munmap is queued and
 * executed before any vCPU next resumes it. Either way no vCPU runs guest
 * code against the old mapping once this returns 0, so the frames behind
 * it may be reused at once. A fault being resolved on another vCPU at the
 * same time is wholly before (and undone here) or wholly after (and walks
 * the new entry): both take the vmspace lock. With more than one vCPU the
 * order of a change matters, as on real hardware: a guest kernel that
 * takes a page away or narrows its permissions changes the entry first and
 * invalidates after (then frees the frame); one that gives a present page a
 * different frame clears the entry, invalidates, and only then enters the
 * new frame, since a write fault on a mapped page only upgrades the host
 * mapping that is there. Threads: any; it takes the
 * vmspace lock. Returns 0; -EINVAL for a range that is
 * unaligned, beyond UVK_VA_MAX or overlaps the stub (nothing is done: the
 * caller must not reuse the frames, and kills the child with
 * uvk_vmspace_kill() if it cannot do without the invalidation); or -ESRCH
 * or -EIO when the child is gone or could not run the queue, in which case
 * it is dead (killed here if need be) and no mapping of it survives.
 */
int uvk_vmspace_invalidate(struct uvk_vmspace *vms, uint64_t gva, uint64_t len);

/*
 * uvk_vmspace_kill - kill the child now (the queue of mapping calls is
 * dropped): every host thread of it has stopped running guest code when
 * this returns (it waits for the vCPUs running it to see the death; their
 * runs return UVK_TRAP_EXIT, killed by SIGKILL, as does the next run on
 * every other vCPU with a thread in it). For a guest kernel that finds a
 * process it cannot keep consistent (an invalidation it cannot do, a
 * corrupt page table). NULL or a dead child is fine. Threads: any; it
 * takes the vmspace lock and sleeps on it while other vCPUs finish.
 */
void uvk_vmspace_kill(struct uvk_vmspace *vms);

/*
 * uvk_vmspace_prefault - map [gva, gva+len) now, as the fault shortcut would
 * on a read of each page, so that a freshly built image does not pay one
 * fault per page. Pages the table does not allow are skipped. Returns the
 * number of pages mapped or a negative errno (-EAGAIN as for invalidate).
 * Threads: any; through the caller's vCPU's host thread (adopted if need
 * be), under the vmspace lock.
 */
long uvk_vmspace_prefault(struct uvk_vmspace *vms, uint64_t gva, uint64_t len);

/*
 * uvk_vmspace_run - run guest code with registers *regs until an event the
 * guest kernel must see, and describe it in *trap; *regs then holds the
 * registers at the event. Returns 0 (trap filled), -ESRCH once the child is
 * gone (after its UVK_TRAP_EXIT was returned), -EINVAL for bad arguments, or
 * -EIO if the host misbehaved (the child is then killed and the next run
 * reports its death). Threads: any; it is uvk_vcpu_run() on the calling
 * thread's vCPU (uvk_vcpu_self). The vmspace lock is taken only when a
 * mapping change is queued or a fault must be resolved, never while guest
 * code runs.
 */
int uvk_vmspace_run(struct uvk_vmspace *vms, struct uvk_regs *regs, struct uvk_trap *trap);

/*
 * FPU state: uvk_vmspace_get_fpstate() reads the child's current state;
 * uvk_vmspace_set_fpstate() has it loaded before the next run (only then
 * is it transferred). Both return 0 or a negative errno. Threads: any; the
 * state is that of the calling thread's vCPU's host thread (see
 * uvk_vcpu_get_fpstate).
 */
int uvk_vmspace_get_fpstate(struct uvk_vmspace *vms, struct uvk_fpstate *fp);
int uvk_vmspace_set_fpstate(struct uvk_vmspace *vms, const struct uvk_fpstate *fp);

/*
 * uvk_vmspace_interrupt - make every run of vms in progress, on whatever
 * vCPU, return UVK_TRAP_INTERRUPT with UVK_INTR_KICK; a vCPU that is not
 * running it returns the interrupt at its next run of it (each vCPU once
 * per call, so a vCPU may see an interrupt meant for an earlier run: it is
 * a reschedule point, never harmful). The IPI to the vCPUs in vms's active
 * set. Threads: any thread, and async-signal-safe (atomics and tgkill).
 * Returns 0 or -ESRCH (vms is dead).
 */
int uvk_vmspace_interrupt(struct uvk_vmspace *vms);

/*
 * uvk_tick_start - give the calling thread a periodic timer interrupt: every
 * period_ns the run in progress returns UVK_TRAP_INTERRUPT with
 * UVK_INTR_TICK (a tick while no run is in progress is delivered by the next
 * one). 0 stops it. Returns 0 or a negative errno. Threads: the timer is
 * the calling thread's, so each vCPU has its own tick.
 */
int uvk_tick_start(uint64_t period_ns);

/*
 * Counters and the host pid (for diagnostics only: the host process is not
 * the guest's). Threads: any; stats takes the vmspace lock, and sums every
 * vCPU's counters (those of a vCPU running it may be a moment old).
 */
void uvk_vmspace_stats(const struct uvk_vmspace *vms, struct uvk_stats *ret);
int uvk_vmspace_host_pid(const struct uvk_vmspace *vms);

#ifdef __cplusplus
}
#endif
#endif /* UVK_VMSPACE_H */
