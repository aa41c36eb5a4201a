/*
 * fault.c - the fault shortcut: resolve a real page fault of a vmspace from
 * the guest page table without waking the guest kernel.
 *
 * Layer: src/vmspace. DragonFly's MAP_VPAGETABLE rules:
 *   - the walker sets A on the entries it uses to map a page;
 *   - a writable entry without M is mapped read-only, so the first write
 *     faults again, sets M and upgrades the mapping (M is exact);
 *   - what the table does not allow becomes a page-fault trap.
 *
 * The host does not tell us whether a fault was a read, a write or a fetch
 * (the error code is only in the signal frame, which a signal-delivery stop
 * precedes). It is recovered from what we mapped:
 *   - SEGV_MAPERR (nothing mapped): a fetch if the page holds rip, else a
 *     read. A write is then seen as a read, mapped read-only unless M is
 *     set, and comes back as SEGV_ACCERR, which is exact:
 *   - SEGV_ACCERR (mapped, forbidden): we always map readable, so it is a
 *     fetch if the page holds (part of) the instruction at rip and was
 *     mapped without exec, and a write otherwise.
 *
 * Fault-around: the neighbours of the faulting page in an aligned window of
 * VMS_FAULT_AROUND pages that are physically contiguous with it and get the
 * same host protection are mapped by the same mmap call, so host mappings
 * stay few and large (the host allows vm.max_map_count per process).
 *
 * Everything here runs under vms->lock (the walk and the mapping it leads
 * to in one hold, see internal.h), through the faulting vCPU's thread t.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include "internal.h"

/* After this many identical faults in a row the shortcut gives up and forwards. */
#define FAULT_REPEAT_MAX 3

/* The host protection (UVK_ACCESS_*) a successful walk earns. */
static unsigned
host_prot(const struct uvk_vpt_walk *w)
{
	unsigned prot = UVK_ACCESS_READ | (w->prot & UVK_ACCESS_EXEC);

	if ((w->prot & UVK_ACCESS_WRITE) && (w->pte & UVK_PTE_M))
		prot |= UVK_ACCESS_WRITE;
	return prot;
}

/* Can page gva join a run whose page at gva0 maps gpa0 with prot? (no side effects) */
static bool
joins_run(struct uvk_vmspace *vms, uint64_t root, uint64_t gva, uint64_t gva0, uint64_t gpa0,
	  unsigned prot)
{
	struct uvk_vpt_walk w;

	if (uvk_vpt_walk(&vms->pm->vpt, root, gva, UVK_ACCESS_READ, 0, &w))
		return false;
	return host_prot(&w) == prot && w.gpa == gpa0 + (gva - gva0);
}

/*
 * Map the run of pages around the one at gva (already walked into *w) and
 * set A on each. The run never leaves the aligned window, the stub, or the
 * host's address space.
 */
static int
map_around(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t root, uint64_t gva,
	   const struct uvk_vpt_walk *w, unsigned prot)
{
	const uint64_t win = VMS_FAULT_AROUND * UVK_PAGE_SIZE;
	uint64_t lo = gva & ~(win - 1), hi = lo + win;
	uint64_t gpa = w->gpa & UVK_PAGE_MASK;
	uint64_t start = gva, end = gva + UVK_PAGE_SIZE;
	struct uvk_vpt_walk nw;

	if (hi > TRACER_TASK_TOP)
		hi = TRACER_TASK_TOP;
	while (start > lo && !vms_overlaps_stub(start - UVK_PAGE_SIZE, UVK_PAGE_SIZE) &&
	       joins_run(vms, root, start - UVK_PAGE_SIZE, gva, gpa, prot))
		start -= UVK_PAGE_SIZE;
	while (end < hi && !vms_overlaps_stub(end, UVK_PAGE_SIZE) &&
	       joins_run(vms, root, end, gva, gpa, prot))
		end += UVK_PAGE_SIZE;
	for (uint64_t p = start; p < end; p += UVK_PAGE_SIZE)
		if (p != gva)
			uvk_vpt_walk(&vms->pm->vpt, root, p, UVK_ACCESS_READ, UVK_VPT_SET_AM, &nw);
	return vms_queue_map(vms, t, start, end - start, prot, gpa - (gva - start));
}

/* Does the page at page hold a byte of the (at most 15-byte) instruction at rip? */
static bool
holds_insn(uint64_t page, uint64_t rip)
{
	return page == (rip & UVK_PAGE_MASK) || page == ((rip + 14) & UVK_PAGE_MASK);
}

static void
forward(struct uvk_vmspace *vms, struct vms_thread *t, struct uvk_trap *trap, uint64_t gva,
	unsigned access, int error)
{
	trap->kind = UVK_TRAP_PAGE_FAULT;
	trap->page_fault.gva = gva;
	trap->page_fault.access = access;
	trap->page_fault.error = error;
	vms->stats.faults_forwarded++;
	t->retry_gva = gva & UVK_PAGE_MASK;
	t->retry_access = access;
}

/*
 * vms_retry_forwarded - before the guest runs again after a forwarded page
 * fault, map the page if the guest kernel has made the table allow the
 * access, so that the faulting instruction does not fault a second time just
 * to find the entry. Queued with the other calls of this resume; a table
 * that still forbids is left to fault (and be forwarded) again.
 */
int
vms_retry_forwarded(struct uvk_vmspace *vms, struct vms_thread *t)
{
	uint64_t gva = t->retry_gva, root = atomic_load(&vms->root);
	struct uvk_vpt_walk w;

	t->retry_gva = VMS_NONE;
	if (gva == VMS_NONE || root == VMS_NONE || vms_overlaps_stub(gva, UVK_PAGE_SIZE) ||
	    gva >= TRACER_TASK_TOP ||
	    uvk_vpt_walk(&vms->pm->vpt, root, gva, t->retry_access, UVK_VPT_SET_AM, &w))
		return 0;
	/* replace whatever is mapped there: the entry may have changed */
	return map_around(vms, t, root, gva, &w, host_prot(&w));
}

/*
 * vms_fault - handle a SIGSEGV page fault (MAPERR or ACCERR) of the guest.
 * Returns 1 when resolved (mapping done: the caller reloads the guest
 * registers and resumes), 0 when *trap now holds a page-fault trap, or a
 * negative errno if the child could not run the mapping.
 */
int
vms_fault(struct uvk_vmspace *vms, struct vms_thread *t, const siginfo_t *si,
	  const struct user_regs_struct *r, struct uvk_trap *trap)
{
	uint64_t gva = (uint64_t)si->si_addr, page = gva & UVK_PAGE_MASK;
	uint64_t root = atomic_load(&vms->root);
	unsigned access = UVK_ACCESS_READ, prot;
	struct uvk_vpt_walk w;
	int rc;

	if (si->si_code == SEGV_ACCERR) {
		rc = root == VMS_NONE ? -ENOENT : uvk_vpt_walk(&vms->pm->vpt, root, gva, 0, 0, &w);
		if (holds_insn(page, r->rip) && (rc || !(w.prot & UVK_ACCESS_EXEC)))
			access = UVK_ACCESS_EXEC;
		else
			access = UVK_ACCESS_WRITE;
	} else if (page == (r->rip & UVK_PAGE_MASK)) {
		access = UVK_ACCESS_EXEC;
	}
	if (root == VMS_NONE) {
		forward(vms, t, trap, gva, access, -ENOENT);
		return 0;
	}
	if (vms_overlaps_stub(page, UVK_PAGE_SIZE) || page >= TRACER_TASK_TOP) {
		forward(vms, t, trap, gva, access, -EACCES);
		return 0;
	}
	/* A resolution that does not stick (a table changing under us) must not spin. */
	if (gva == t->last_fault_gva && r->rip == t->last_fault_rip) {
		if (++t->fault_repeats >= FAULT_REPEAT_MAX) {
			t->fault_repeats = 0;
			forward(vms, t, trap, gva, access, -EACCES);
			return 0;
		}
	} else {
		t->last_fault_gva = gva;
		t->last_fault_rip = r->rip;
		t->fault_repeats = 0;
	}
	rc = uvk_vpt_walk(&vms->pm->vpt, root, gva, access, UVK_VPT_SET_AM, &w);
	if (rc) {
		forward(vms, t, trap, gva, access, rc);
		return 0;
	}
	prot = host_prot(&w);
	if (si->si_code == SEGV_ACCERR) {
		/* An upgrade in place: the page is mapped, only its protection changes. */
		int hprot = 1 | (prot & UVK_ACCESS_WRITE ? 2 : 0) | (prot & UVK_ACCESS_EXEC ? 4 : 0);

		rc = vms_queue(vms, t, SYS_mprotect, page, UVK_PAGE_SIZE, hprot, 0, 0, 0);
	} else {
		rc = map_around(vms, t, root, page, &w, prot);
	}
	if (!rc)
		rc = vms_flush(vms, t);
	if (rc)
		return rc;
	vms->stats.faults_resolved++;
	return 1;
}

/*
 * vms_map_range - queue mappings for every page of [gva, end) the table
 * allows, as a read would have it, in runs of contiguous frames. The count
 * of pages in *ret_pages.
 */
int
vms_map_range(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t gva, uint64_t end,
	      long *ret_pages)
{
	uint64_t root = atomic_load(&vms->root);
	uint64_t run_gva = 0, run_gpa = 0, run_len = 0;
	unsigned run_prot = 0;
	struct uvk_vpt_walk w;
	long pages = 0;
	int rc = 0;

	if (root == VMS_NONE)
		return 0;
	if (end > TRACER_TASK_TOP)
		end = TRACER_TASK_TOP;
	for (uint64_t p = gva; p < end; p += UVK_PAGE_SIZE) {
		bool ok = !uvk_vpt_walk(&vms->pm->vpt, root, p, UVK_ACCESS_READ, UVK_VPT_SET_AM,
					&w);
		unsigned prot = ok ? host_prot(&w) : 0;
		uint64_t pgpa = w.gpa & UVK_PAGE_MASK;

		if (run_len && (!ok || prot != run_prot || pgpa != run_gpa + run_len)) {
			rc = vms_queue_map(vms, t, run_gva, run_len, run_prot, run_gpa);
			if (rc)
				return rc;
			run_len = 0;
		}
		if (!ok)
			continue;
		if (!run_len) {
			run_gva = p;
			run_gpa = pgpa;
			run_prot = prot;
		}
		run_len += UVK_PAGE_SIZE;
		pages++;
	}
	if (run_len)
		rc = vms_queue_map(vms, t, run_gva, run_len, run_prot, run_gpa);
	if (!rc)
		*ret_pages = pages;
	return rc;
}
