/*
 * internal.h - what the files of src/vmspace share: the pmem and vmspace
 * structures and the batch queue.
 *
 * Layer: src/vmspace, above src/tracer and src/vpt. Reaches the host
 * process only through tracer.h.
 */
#ifndef UVK_VMSPACE_INTERNAL_H
#define UVK_VMSPACE_INTERNAL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uvk/uvk.h>

#include "compiler.h"
#include "tracer/tracer.h"

/*
 * pmem layout: [0, size) is guest RAM; the private tail that follows holds
 * the stub code page and one command slot per vmspace. No gpa reaches the
 * tail: the walker refuses frames >= size.
 */
#define PMEM_SLOT_SIZE (TRACER_CMD_PAGES * 4096ULL)
#define PMEM_SLOTS     4096
#define PMEM_TAIL      (4096ULL + PMEM_SLOTS * PMEM_SLOT_SIZE)

struct uvk_pmem {
	int fd; /* memfd, O_CLOEXEC; closed by uvk_pmem_free */
	uint8_t *base;
	uint64_t size;
	uint64_t total; /* size + PMEM_TAIL */
	struct uvk_vpt_mem vpt;
	pthread_mutex_t lock; /* guards slots and nvms */
	uint64_t slots[PMEM_SLOTS / 64];
	int nvms;
};

int pmem_slot_get(struct uvk_pmem *pm);
void pmem_slot_put(struct uvk_pmem *pm, int slot);
uint64_t pmem_code_off(const struct uvk_pmem *pm);
uint64_t pmem_slot_off(const struct uvk_pmem *pm, int slot);

/* Fault-around window: an aligned block of this many pages around the fault. */
#define VMS_FAULT_AROUND 16

/* No forwarded fault to retry, no root: the value that stands for "none". */
#define VMS_NONE UINT64_MAX

/*
 * A virtual CPU: one tracer thread (vcpu.c). Immutable after creation but
 * for kick. The registry (vcpu.c) maps ids to tids for uvk_vmspace_interrupt.
 */
struct uvk_vcpu {
	int id;		 /* 0 .. UVK_VCPU_MAX-1, its bit in vms->active */
	uint64_t serial; /* unique for the process's lifetime: a record of an older vCPU with the same id is stale */
	pid_t tid;	 /* the tracer thread */
	int host_cpu;	 /* pinned there, or -1 */
	bool implicit;	 /* made by uvk_vcpu_self for a thread that made none */
	atomic_int kick; /* uvk_vcpu_interrupt pending */
};

struct uvk_vcpu *vcpu_self(void);      /* the calling thread's, made if need be; NULL: ENOMEM/ENOSPC */
struct uvk_vcpu *vcpu_self_peek(void); /* the calling thread's or NULL, never made */
int vcpu_count(void);
pid_t vcpu_tid_of(int id); /* async-signal-safe; 0 if none */
int vcpu_cpus(const struct uvk_vcpu *v, cpu_set_t *ret);

/*
 * One host thread of a vmspace, run by one vCPU (the tracer thread that
 * traces it). Its fields belong to that vCPU, which uses them without the
 * vmspace lock; the one exception is a kill (vms_kill_locked), which reaps
 * the thread under the lock while its vCPU is not running it -- and a vCPU
 * that finds vms->pending set takes the lock before it touches child.
 */
struct vms_thread {
	struct tracer_child child;
	uint64_t serial;     /* the vCPU's serial */
	uint64_t kick_seen;  /* vms->kick_gen last reported to this vCPU */
	uint64_t map_seen;   /* vms->map_gen when it last resumed */
	uint64_t retry_gva;  /* last forwarded fault, VMS_NONE if none */
	unsigned retry_access;
	uint64_t last_fault_gva, last_fault_rip;
	unsigned fault_repeats; /* the same fault resolved again and again */
	bool exit_reported;
	bool fp_pending;
	struct uvk_fpstate *fp; /* state to load before the next run */
	uint64_t runs, syscalls, interrupts; /* one writer: relaxed atomics */
};

/*
 * A vmspace: one host process, one host thread in it per vCPU that used it
 * (thr[vcpu id]), plus at most one spare thread parked untraced for the
 * next vCPU to adopt (tracer_make_spare).
 *
 * Lock order: vms->lock, then pm->lock (pmem slots). Nothing else nests.
 *
 * What vms->lock guards: the command queue (cmds, ncmds), thr[] (written
 * under it, read by each vCPU for its own entry with an atomic load), spare,
 * dead, wstatus, stats, and every mapping change of the host process: a walk
 * of the guest tables and the mapping call it leads to happen under one hold
 * of the lock, so an invalidation (which takes it) comes wholly before or
 * wholly after any fault resolution. The lock is never held while guest code
 * runs.
 *
 * active is DragonFly's pm_active: the vCPUs inside uvk_vcpu_run on it,
 * between the check of pending and their host thread's stop. Every mapping
 * change is made on the host at once if any vCPU is active (the host kernel
 * shoots the stale TLB entries of every thread of the process down before
 * munmap returns), else queued: an inactive vCPU flushes the queue before it
 * resumes. The order that makes it safe (both sides sequentially
 * consistent): a runner sets its active bit, then reads pending; a writer
 * sets pending, then reads active. One of them sees the other.
 */
struct uvk_vmspace {
	struct uvk_pmem *pm;
	pid_t hpid;		      /* the host process (its leader's tid) */
	struct user_regs_struct tmpl; /* segment registers etc. as the host set them */
	struct tracer_child like;     /* stub layout and template for adopted threads */
	int slot;
	struct tracer_cmd *cmds;      /* the tracer's view of the command pages */
	pthread_mutex_t lock;
	pthread_cond_t drained;	      /* active lost a bit while someone waits (waiters) */
	unsigned ncmds;		      /* queued, not yet run */
	bool dead;		      /* killed: pending stays set */
	int wstatus;		      /* its death as a wait status, once dead */
	pid_t spare;		      /* a parked thread to adopt, 0 if none */
	struct vms_thread *thr[UVK_VCPU_MAX];
	struct uvk_stats stats;	      /* the lock's part: faults and mappings */
	_Atomic uint64_t root;	      /* the table root, VMS_NONE until set_root */
	_Atomic uint64_t active;      /* bit per vCPU id: inside run on it */
	_Atomic uint64_t map_gen;     /* bumped by every batch of mapping calls */
	_Atomic uint64_t kick_gen;    /* bumped by uvk_vmspace_interrupt */
	atomic_int pending;	      /* queue not empty, or dead: take the lock first */
	atomic_int waiters;	      /* a kill waits for active to drain */
	atomic_bool gone;	      /* dead, for lock-free readers */
};

/* The vCPU's host thread in vms, or NULL; its owner may call this without the lock. */
static inline struct vms_thread *
vms_thread_peek(struct uvk_vmspace *vms, const struct uvk_vcpu *v)
{
	struct vms_thread *t = __atomic_load_n(&vms->thr[v->id], __ATOMIC_ACQUIRE);

	return t && t->serial == v->serial ? t : NULL;
}

/* Under vms->lock: */
int vms_thread_get(struct uvk_vmspace *vms, struct uvk_vcpu *v, struct vms_thread **ret);
int vms_make_spare(struct uvk_vmspace *vms, struct vms_thread *t);
void vms_kill_locked(struct uvk_vmspace *vms, const struct uvk_vcpu *self);
void vms_set_pending(struct uvk_vmspace *vms);
int vms_queue(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t nr, uint64_t a0,
	      uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
int vms_flush(struct uvk_vmspace *vms, struct vms_thread *t);
int vms_queue_map(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t gva, uint64_t len,
		  unsigned prot, uint64_t gpa);

/* fault.c, under vms->lock */
int vms_fault(struct uvk_vmspace *vms, struct vms_thread *t, const siginfo_t *si,
	      const struct user_regs_struct *r, struct uvk_trap *trap);
int vms_retry_forwarded(struct uvk_vmspace *vms, struct vms_thread *t);
int vms_map_range(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t gva, uint64_t end,
		  long *ret_pages);

/* Relaxed single-writer counter (see ptrace.c's STAT_ADD). */
#define VMS_STAT_ADD(x, n) \
	__atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

static inline bool
vms_overlaps_stub(uint64_t gva, uint64_t len)
{
	return gva < UVK_STUB_BASE + UVK_STUB_SIZE && UVK_STUB_BASE < gva + len;
}

#endif /* UVK_VMSPACE_INTERNAL_H */
