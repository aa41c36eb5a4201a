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

struct uvk_vmspace {
	struct uvk_pmem *pm;
	struct tracer_child child;
	struct user_regs_struct tmpl; /* segment registers etc. as the host set them */
	int slot;
	struct tracer_cmd *cmds; /* the tracer's view of the command pages */
	unsigned ncmds;		 /* queued, not yet run */
	uint64_t root;
	bool has_root;		 /* false until set_root: every access traps */
	uint64_t last_fault_gva, last_fault_rip;
	unsigned fault_repeats;	 /* the same fault resolved again and again */
	uint64_t retry_gva;	 /* last forwarded fault, UINT64_MAX if none */
	unsigned retry_access;
	pid_t owner_tid;	 /* the tracing thread */
	atomic_int kick;	 /* uvk_vmspace_interrupt pending */
	bool exit_reported;
	bool fp_pending;
	struct uvk_fpstate *fp; /* state to load before the next run */
	struct uvk_stats stats;
};

/* Queue one host call for the stub; flushes first when the pages are full. */
int vms_queue(struct uvk_vmspace *vms, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
	      uint64_t a3, uint64_t a4, uint64_t a5);
int vms_flush(struct uvk_vmspace *vms);
int vms_queue_map(struct uvk_vmspace *vms, uint64_t gva, uint64_t len, unsigned prot,
		  uint64_t gpa);

/* fault.c */
int vms_fault(struct uvk_vmspace *vms, const siginfo_t *si, const struct user_regs_struct *r,
	      struct uvk_trap *trap);
int vms_retry_forwarded(struct uvk_vmspace *vms);
int vms_map_range(struct uvk_vmspace *vms, uint64_t gva, uint64_t end, long *ret_pages);

static inline bool
vms_overlaps_stub(uint64_t gva, uint64_t len)
{
	return gva < UVK_STUB_BASE + UVK_STUB_SIZE && UVK_STUB_BASE < gva + len;
}

#endif /* UVK_VMSPACE_INTERNAL_H */
