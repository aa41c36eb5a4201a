/*
 * vmspace.c - guest address spaces: create, destroy, set the page-table
 * root, invalidate, and the queue of host mapping calls.
 *
 * Layer: src/vmspace. Mapping calls are never made one at a time: they are
 * queued in the vmspace's command pages and the stub runs the whole queue in
 * one resume, either when the fault shortcut needs its mapping now or just
 * before guest code runs again. That is the DragonFly contract too: an
 * invalidation only has to be done by the time the guest next touches memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "internal.h"

/*
 * uvk_vmspace_create - see uvk/vmspace.h.
 */
UVK_EXPORT struct uvk_vmspace *
uvk_vmspace_create(struct uvk_pmem *pm, unsigned flags)
{
	struct tracer_layout lay;
	struct uvk_vmspace *vms;
	int rc;

	if (!pm || (flags & ~UVK_VMS_NOPIN)) {
		errno = EINVAL;
		return NULL;
	}
	rc = tracer_kick_init();
	if (rc) {
		errno = -rc;
		return NULL;
	}
	vms = calloc(1, sizeof(*vms));
	if (!vms)
		return NULL;
	vms->pm = pm;
	vms->slot = pmem_slot_get(pm);
	if (vms->slot < 0) {
		rc = vms->slot;
		goto out_free;
	}
	vms->cmds = (struct tracer_cmd *)(pm->base + pmem_slot_off(pm, vms->slot));
	lay = (struct tracer_layout){
		.pmem_fd = pm->fd,
		.code_off = pmem_code_off(pm),
		.cmd_off = pmem_slot_off(pm, vms->slot),
		.stub_base = UVK_STUB_BASE,
		.cmd_hva = vms->cmds,
		.pin = !(flags & UVK_VMS_NOPIN),
	};
	rc = tracer_spawn(&lay, &vms->child);
	if (rc)
		goto out_slot;
	vms->tmpl = vms->child.regs;
	vms->retry_gva = UINT64_MAX;
	vms->owner_tid = tracer_gettid();
	return vms;
out_slot:
	pmem_slot_put(pm, vms->slot);
out_free:
	free(vms);
	errno = -rc;
	return NULL;
}

/* uvk_vmspace_free - see uvk/vmspace.h. */
UVK_EXPORT void
uvk_vmspace_free(struct uvk_vmspace *vms)
{
	if (!vms)
		return;
	tracer_kill(&vms->child);
	pmem_slot_put(vms->pm, vms->slot);
	free(vms->fp);
	free(vms);
}

static int queue_unmap_all(struct uvk_vmspace *vms);

/*
 * The host allows a process vm.max_map_count mappings (65530 by default),
 * and the child's mappings follow the guest's frames: pages whose frames
 * are not contiguous, or whose protections differ, are separate host
 * mappings, so a guest that stays within every limit of its own (copy-on-
 * write after fork scatters frames) can still run the host out of them --
 * and then any call that splits a host mapping fails with ENOMEM, an
 * munmap of one page (an invalidation) included. The host mappings are
 * only a cache of what the page tables allow (the fault shortcut refills
 * it on demand), so such a failure empties the cache: everything the
 * guest could have mapped goes, in two munmaps that split nothing, and the
 * calls left in the batch are dropped, since every one of them is a cache
 * fill (mmap, an mprotect upgrade) or an invalidation (munmap) of what is
 * now unmapped anyway. Returns 0 or the stub's failure.
 */
static int
reset_mappings(struct uvk_vmspace *vms)
{
	unsigned failed;
	int err, rc;

	vms->ncmds = 0;
	rc = queue_unmap_all(vms);
	if (rc)
		return rc;
	rc = tracer_run_stub(&vms->child, vms->ncmds, &failed, &err);
	if (!rc)
		vms->stats.map_resets++;
	return rc;
}

/* vms_flush - run every queued call in one stub resume. */
int
vms_flush(struct uvk_vmspace *vms)
{
	unsigned failed = 0;
	int err = 0, rc;

	if (!vms->ncmds)
		return 0;
	if (!vms->child.alive)
		return -ESRCH;
	rc = tracer_run_stub(&vms->child, vms->ncmds, &failed, &err);
	if (rc == -EIO && err == ENOMEM && failed < vms->ncmds)
		rc = reset_mappings(vms);
	vms->ncmds = 0;
	if (rc) {
		/*
		 * The queue is gone, run or not: a mapping call that failed
		 * (-EIO), or a batch that never ran, leaves the child's
		 * address space out of step with the tables, with mappings of
		 * frames the guest kernel may be handing out again. Kill it
		 * rather than let the guest run on a lie; its mappings die
		 * with it.
		 */
		tracer_kill(&vms->child);
		return rc == -ESRCH ? -ESRCH : -EIO;
	}
	return 0;
}

/* vms_queue - see internal.h. */
int
vms_queue(struct uvk_vmspace *vms, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
	  uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (vms->ncmds == TRACER_CMD_MAX) {
		int rc = vms_flush(vms);

		if (rc)
			return rc;
	}
	vms->cmds[vms->ncmds++] = (struct tracer_cmd){ nr, { a0, a1, a2, a3, a4, a5 } };
	return 0;
}

/* vms_queue_map - queue mapping [gva, gva+len) to pmem at gpa with UVK_ACCESS_* prot. */
int
vms_queue_map(struct uvk_vmspace *vms, uint64_t gva, uint64_t len, unsigned prot, uint64_t gpa)
{
	int hprot = PROT_READ;

	/*
	 * The last wall before a host mmap: only guest RAM (never the private
	 * tail with the stub and command pages), never over the stub, never
	 * past the host's top. The walker guarantees all three; a failure here
	 * is a bug of ours, and the mapping is refused rather than made.
	 */
	UVK_DEBUG_CHECK(gpa <= vms->pm->size && len <= vms->pm->size - gpa &&
			!vms_overlaps_stub(gva, len) && gva + len <= TRACER_TASK_TOP);
	if (gpa > vms->pm->size || len > vms->pm->size - gpa || vms_overlaps_stub(gva, len) ||
	    gva > TRACER_TASK_TOP || len > TRACER_TASK_TOP - gva)
		return -EFAULT;
	if (prot & UVK_ACCESS_WRITE)
		hprot |= PROT_WRITE;
	if (prot & UVK_ACCESS_EXEC)
		hprot |= PROT_EXEC;
	vms->stats.pages_mapped += len / UVK_PAGE_SIZE;
	/* Populate now: the guest is about to touch it, and a host minor fault per page costs more. */
	return vms_queue(vms, SYS_mmap, gva, len, hprot, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 TRACER_PMEM_FD, gpa);
}

/* Queue unmapping of everything the guest could have mapped. */
static int
queue_unmap_all(struct uvk_vmspace *vms)
{
	uint64_t stub_end = UVK_STUB_BASE + UVK_STUB_SIZE;
	int rc;

	rc = vms_queue(vms, SYS_munmap, 0, UVK_STUB_BASE, 0, 0, 0, 0);
	if (!rc)
		rc = vms_queue(vms, SYS_munmap, stub_end, TRACER_TASK_TOP - stub_end, 0, 0, 0, 0);
	return rc;
}

/* uvk_vmspace_set_root - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_set_root(struct uvk_vmspace *vms, uint64_t root)
{
	if (root & ~UVK_PAGE_MASK || root >= vms->pm->size)
		return -EINVAL;
	if (!vms->child.alive)
		return -ESRCH;
	vms->root = root;
	vms->has_root = true;
	return queue_unmap_all(vms);
}

/* uvk_vmspace_kill - see uvk/vmspace.h. */
UVK_EXPORT void
uvk_vmspace_kill(struct uvk_vmspace *vms)
{
	if (!vms)
		return;
	vms->ncmds = 0;
	tracer_kill(&vms->child);
}

/* uvk_vmspace_invalidate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_invalidate(struct uvk_vmspace *vms, uint64_t gva, uint64_t len)
{
	if ((gva | len) & ~UVK_PAGE_MASK || gva >= UVK_VA_MAX || len > UVK_VA_MAX - gva)
		return -EINVAL;
	if (vms_overlaps_stub(gva, len))
		return -EINVAL;
	if (!vms->child.alive)
		return -ESRCH;
	if (!len)
		return 0;
	if (gva + len > TRACER_TASK_TOP)
		len = gva < TRACER_TASK_TOP ? TRACER_TASK_TOP - gva : 0;
	return len ? vms_queue(vms, SYS_munmap, gva, len, 0, 0, 0, 0) : 0;
}

/* uvk_vmspace_prefault - see uvk/vmspace.h. */
UVK_EXPORT long
uvk_vmspace_prefault(struct uvk_vmspace *vms, uint64_t gva, uint64_t len)
{
	long pages = 0;
	int rc;

	if ((gva | len) & ~UVK_PAGE_MASK || gva >= UVK_VA_MAX || len > UVK_VA_MAX - gva ||
	    vms_overlaps_stub(gva, len))
		return -EINVAL;
	if (!vms->child.alive)
		return -ESRCH;
	rc = vms_map_range(vms, gva, gva + len, &pages);
	if (rc)
		return rc;
	rc = vms_flush(vms);
	return rc ? rc : pages;
}

/* uvk_vmspace_get_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_get_fpstate(struct uvk_vmspace *vms, struct uvk_fpstate *fp)
{
	size_t len;
	int rc;

	if (!vms->child.alive)
		return -ESRCH;
	if (vms->fp_pending) {
		fp->len = vms->fp->len;
		memcpy(fp->data, vms->fp->data, vms->fp->len);
		return 0;
	}
	rc = tracer_get_xstate(&vms->child, fp->data, sizeof(fp->data), &len);
	if (!rc)
		fp->len = (uint32_t)len;
	return rc;
}

/* uvk_vmspace_set_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_set_fpstate(struct uvk_vmspace *vms, const struct uvk_fpstate *fp)
{
	if (fp->len == 0 || fp->len > sizeof(fp->data))
		return -EINVAL;
	if (!vms->fp) {
		vms->fp = aligned_alloc(64, sizeof(*vms->fp));
		if (!vms->fp)
			return -ENOMEM;
	}
	vms->fp->len = fp->len;
	memcpy(vms->fp->data, fp->data, fp->len);
	vms->fp_pending = true;
	return 0;
}

/* uvk_vmspace_interrupt - see uvk/vmspace.h. Async-signal-safe: an atomic and a tgkill. */
UVK_EXPORT int
uvk_vmspace_interrupt(struct uvk_vmspace *vms)
{
	atomic_store(&vms->kick, 1);
	return tracer_kick_thread(vms->owner_tid);
}

UVK_EXPORT int
uvk_tick_start(uint64_t period_ns)
{
	return tracer_tick_start(period_ns);
}

UVK_EXPORT void
uvk_vmspace_stats(const struct uvk_vmspace *vms, struct uvk_stats *ret)
{
	*ret = vms->stats;
	ret->stops = vms->child.stats.stops;
	ret->regs_loaded = vms->child.stats.regs_loaded;
	ret->batches = vms->child.stats.batches;
	ret->map_calls = vms->child.stats.map_calls;
}

UVK_EXPORT int
uvk_vmspace_host_pid(const struct uvk_vmspace *vms)
{
	return vms->child.pid;
}
