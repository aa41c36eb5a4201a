/*
 * vmspace.c - guest address spaces: create, destroy, set the page-table
 * root, invalidate, and the queue of host mapping calls.
 *
 * Layer: src/vmspace. Mapping calls are never made one at a time: they are
 * queued in the vmspace's command pages and the stub runs the whole queue in
 * one resume, either when the fault shortcut needs its mapping now or just
 * before guest code runs again. That is the DragonFly contract too: an
 * invalidation only has to be done by the time the guest next touches memory.
 * With several vCPUs, "next" may be now: a vCPU running the vmspace touches
 * memory at any moment, so a change made while one is active is run at once
 * (internal.h: the active set, the pending flag and the order between them).
 *
 * Every function that changes the queue or the host mappings holds
 * vms->lock; the queue runs through the calling vCPU's own host thread.
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
	struct vms_thread *t;
	struct uvk_vcpu *v;
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
	v = vcpu_self();
	if (!v)
		return NULL;
	vms = calloc(1, sizeof(*vms));
	t = calloc(1, sizeof(*t));
	if (!vms || !t) {
		rc = -ENOMEM;
		goto out_free;
	}
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
		/* an explicit vCPU's thread is pinned as it was made; the child inherits that */
		.pin = v->implicit && !(flags & UVK_VMS_NOPIN),
	};
	rc = tracer_spawn(&lay, &t->child);
	if (rc)
		goto out_slot;
	pthread_mutex_init(&vms->lock, NULL);
	pthread_cond_init(&vms->drained, NULL);
	vms->hpid = t->child.pid;
	vms->tmpl = t->child.regs;
	vms->like = t->child;
	atomic_init(&vms->root, VMS_NONE);
	t->serial = v->serial;
	t->retry_gva = VMS_NONE;
	t->last_fault_gva = VMS_NONE;
	vms->thr[v->id] = t;
	if (vcpu_count() > 1) {
		/* another vCPU may want it before this one runs it: its spare now */
		pthread_mutex_lock(&vms->lock);
		vms_make_spare(vms, t);
		pthread_mutex_unlock(&vms->lock);
	}
	return vms;
out_slot:
	pmem_slot_put(pm, vms->slot);
out_free:
	free(t);
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
	pthread_mutex_lock(&vms->lock);
	vms_kill_locked(vms, vcpu_self_peek());
	pthread_mutex_unlock(&vms->lock);
	for (int id = 0; id < UVK_VCPU_MAX; id++) {
		if (vms->thr[id]) {
			free(vms->thr[id]->fp);
			free(vms->thr[id]);
		}
	}
	pmem_slot_put(vms->pm, vms->slot);
	pthread_cond_destroy(&vms->drained);
	pthread_mutex_destroy(&vms->lock);
	free(vms);
}

static int queue_unmap_all(struct uvk_vmspace *vms, struct vms_thread *t);

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
reset_mappings(struct uvk_vmspace *vms, struct vms_thread *t)
{
	unsigned failed;
	int err, rc;

	vms->ncmds = 0;
	rc = queue_unmap_all(vms, t);
	if (rc)
		return rc;
	rc = tracer_run_stub(&t->child, vms->ncmds, &failed, &err);
	if (!rc)
		vms->stats.map_resets++;
	return rc;
}

/*
 * vms_flush - run every queued call in one stub resume of t (the caller's
 * own host thread, stopped). The host kernel has made the change in every
 * thread of the process when the stub stops (munmap and mprotect shoot the
 * stale translations down on every CPU first). Under vms->lock.
 */
int
vms_flush(struct uvk_vmspace *vms, struct vms_thread *t)
{
	unsigned failed = 0;
	int err = 0, rc;

	if (vms->dead)
		return -ESRCH;
	if (!vms->ncmds) {
		atomic_store(&vms->pending, 0);
		return 0;
	}
	if (!t || !t->child.alive)
		return -ESRCH;
	rc = tracer_run_stub(&t->child, vms->ncmds, &failed, &err);
	if (rc == -EIO && err == ENOMEM && failed < vms->ncmds)
		rc = reset_mappings(vms, t);
	vms->ncmds = 0;
	atomic_store(&vms->map_gen, atomic_load(&vms->map_gen) + 1);
	if (rc) {
		/*
		 * The queue is gone, run or not: a mapping call that failed
		 * (-EIO), or a batch that never ran, leaves the child's
		 * address space out of step with the tables, with mappings of
		 * frames the guest kernel may be handing out again. Kill it
		 * rather than let the guest run on a lie; its mappings die
		 * with it.
		 */
		vms_kill_locked(vms, vcpu_self_peek());
		return rc == -ESRCH ? -ESRCH : -EIO;
	}
	atomic_store(&vms->pending, 0);
	return 0;
}

/*
 * vms_queue - queue one host call for the stub; flushes first when the
 * pages are full, through t (NULL: the caller has no thread, -EAGAIN then).
 * Under vms->lock.
 */
int
vms_queue(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t nr, uint64_t a0, uint64_t a1,
	  uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (vms->ncmds == TRACER_CMD_QUEUE) {
		int rc = t ? vms_flush(vms, t) : -EAGAIN;

		if (rc)
			return rc;
	}
	vms->cmds[vms->ncmds++] = (struct tracer_cmd){ nr, { a0, a1, a2, a3, a4, a5 } };
	vms_set_pending(vms);
	return 0;
}

/* vms_queue_map - queue mapping [gva, gva+len) to pmem at gpa with UVK_ACCESS_* prot. */
int
vms_queue_map(struct uvk_vmspace *vms, struct vms_thread *t, uint64_t gva, uint64_t len,
	      unsigned prot, uint64_t gpa)
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
	return vms_queue(vms, t, SYS_mmap, gva, len, hprot, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 TRACER_PMEM_FD, gpa);
}

/* Queue unmapping of everything the guest could have mapped. */
static int
queue_unmap_all(struct uvk_vmspace *vms, struct vms_thread *t)
{
	uint64_t stub_end = UVK_STUB_BASE + UVK_STUB_SIZE;
	int rc;

	rc = vms_queue(vms, t, SYS_munmap, 0, UVK_STUB_BASE, 0, 0, 0, 0);
	if (!rc)
		rc = vms_queue(vms, t, SYS_munmap, stub_end, TRACER_TASK_TOP - stub_end, 0, 0, 0, 0);
	return rc;
}

/*
 * A mapping change has been queued by the calling vCPU v: if a vCPU is
 * running vms it could be using the old mapping right now, so the queue
 * runs at once through v's own thread (adopted if it has none). Else it
 * waits for the next resume, whoever does it. Under vms->lock; *t is v's
 * thread or NULL.
 */
static int
publish(struct uvk_vmspace *vms, struct uvk_vcpu *v, struct vms_thread *t)
{
	int rc;

	if (!atomic_load(&vms->active))
		return 0;
	if (!t) {
		rc = vms_thread_get(vms, v, &t);
		if (rc)
			return rc;
	}
	return vms_flush(vms, t);
}

/*
 * Lock vms for a call of the calling thread's vCPU; its thread in vms (or
 * NULL: none yet) in *ret_t. -ENOMEM/-ENOSPC if the caller cannot have a
 * vCPU (then nothing is locked).
 */
static int
lock_for(struct uvk_vmspace *vms, struct uvk_vcpu **ret_v, struct vms_thread **ret_t)
{
	struct uvk_vcpu *v = vcpu_self();

	if (!v)
		return -errno;
	pthread_mutex_lock(&vms->lock);
	*ret_v = v;
	*ret_t = vms_thread_peek(vms, v);
	return 0;
}

/* uvk_vmspace_set_root - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_set_root(struct uvk_vmspace *vms, uint64_t root)
{
	struct vms_thread *t;
	struct uvk_vcpu *v;
	int rc;

	if (root & ~UVK_PAGE_MASK || root >= vms->pm->size)
		return -EINVAL;
	rc = lock_for(vms, &v, &t);
	if (rc)
		return rc;
	if (vms->dead) {
		rc = -ESRCH;
		goto out;
	}
	atomic_store(&vms->root, root);
	rc = queue_unmap_all(vms, t);
	if (!rc)
		rc = publish(vms, v, t);
out:
	pthread_mutex_unlock(&vms->lock);
	return rc;
}

/* uvk_vmspace_kill - see uvk/vmspace.h. */
UVK_EXPORT void
uvk_vmspace_kill(struct uvk_vmspace *vms)
{
	if (!vms)
		return;
	pthread_mutex_lock(&vms->lock);
	vms_kill_locked(vms, vcpu_self_peek());
	pthread_mutex_unlock(&vms->lock);
}

/* uvk_vmspace_invalidate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_invalidate(struct uvk_vmspace *vms, uint64_t gva, uint64_t len)
{
	struct vms_thread *t;
	struct uvk_vcpu *v;
	int rc;

	if ((gva | len) & ~UVK_PAGE_MASK || gva >= UVK_VA_MAX || len > UVK_VA_MAX - gva)
		return -EINVAL;
	if (vms_overlaps_stub(gva, len))
		return -EINVAL;
	if (atomic_load(&vms->gone))
		return -ESRCH;
	if (!len)
		return 0;
	if (gva + len > TRACER_TASK_TOP)
		len = gva < TRACER_TASK_TOP ? TRACER_TASK_TOP - gva : 0;
	if (!len)
		return 0;
	rc = lock_for(vms, &v, &t);
	if (rc)
		return rc;
	if (vms->dead)
		rc = -ESRCH;
	else
		rc = vms_queue(vms, t, SYS_munmap, gva, len, 0, 0, 0, 0);
	if (!rc)
		rc = publish(vms, v, t);
	pthread_mutex_unlock(&vms->lock);
	return rc;
}

/* uvk_vmspace_prefault - see uvk/vmspace.h. */
UVK_EXPORT long
uvk_vmspace_prefault(struct uvk_vmspace *vms, uint64_t gva, uint64_t len)
{
	struct vms_thread *t;
	struct uvk_vcpu *v;
	long pages = 0;
	int rc;

	if ((gva | len) & ~UVK_PAGE_MASK || gva >= UVK_VA_MAX || len > UVK_VA_MAX - gva ||
	    vms_overlaps_stub(gva, len))
		return -EINVAL;
	if (atomic_load(&vms->gone))
		return -ESRCH;
	rc = lock_for(vms, &v, &t);
	if (rc)
		return rc;
	rc = vms_thread_get(vms, v, &t);
	if (!rc)
		rc = vms_map_range(vms, t, gva, gva + len, &pages);
	if (!rc)
		rc = vms_flush(vms, t);
	pthread_mutex_unlock(&vms->lock);
	return rc ? rc : pages;
}

/*
 * vCPU v's thread in vms for an FPU call, made if need be: v must be the
 * calling thread's. Under no lock on return; 0 or -errno.
 */
static int
fp_thread(struct uvk_vcpu *v, struct uvk_vmspace *vms, struct vms_thread **ret)
{
	struct vms_thread *t;
	int rc = 0;

	if (!v || !vms || v != vcpu_self_peek())
		return -EINVAL;
	t = vms_thread_peek(vms, v);
	if (!t || atomic_load(&vms->pending)) {
		pthread_mutex_lock(&vms->lock);
		rc = vms->dead ? -ESRCH : vms_thread_get(vms, v, &t);
		pthread_mutex_unlock(&vms->lock);
	}
	if (!rc && !t->child.alive)
		rc = -ESRCH;
	if (!rc)
		*ret = t;
	return rc;
}

/* uvk_vcpu_get_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vcpu_get_fpstate(struct uvk_vcpu *vcpu, struct uvk_vmspace *vms, struct uvk_fpstate *fp)
{
	struct vms_thread *t;
	size_t len;
	int rc;

	rc = fp_thread(vcpu, vms, &t);
	if (rc)
		return rc;
	if (t->fp_pending) {
		fp->len = t->fp->len;
		memcpy(fp->data, t->fp->data, t->fp->len);
		return 0;
	}
	rc = tracer_get_xstate(&t->child, fp->data, sizeof(fp->data), &len);
	if (!rc)
		fp->len = (uint32_t)len;
	return rc;
}

/* uvk_vcpu_set_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vcpu_set_fpstate(struct uvk_vcpu *vcpu, struct uvk_vmspace *vms, const struct uvk_fpstate *fp)
{
	struct vms_thread *t;
	int rc;

	if (fp->len == 0 || fp->len > sizeof(fp->data))
		return -EINVAL;
	rc = fp_thread(vcpu, vms, &t);
	if (rc)
		return rc;
	if (!t->fp) {
		t->fp = aligned_alloc(64, sizeof(*t->fp));
		if (!t->fp)
			return -ENOMEM;
	}
	t->fp->len = fp->len;
	memcpy(t->fp->data, fp->data, fp->len);
	t->fp_pending = true;
	return 0;
}

/* uvk_vmspace_get_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_get_fpstate(struct uvk_vmspace *vms, struct uvk_fpstate *fp)
{
	struct uvk_vcpu *v = vcpu_self();

	return v ? uvk_vcpu_get_fpstate(v, vms, fp) : -errno;
}

/* uvk_vmspace_set_fpstate - see uvk/vmspace.h. */
UVK_EXPORT int
uvk_vmspace_set_fpstate(struct uvk_vmspace *vms, const struct uvk_fpstate *fp)
{
	struct uvk_vcpu *v = vcpu_self();

	return v ? uvk_vcpu_set_fpstate(v, vms, fp) : -errno;
}

/*
 * uvk_vmspace_interrupt - see uvk/vmspace.h. Async-signal-safe: atomics and
 * tgkill, no lock, no pointer into a vCPU. The generation first, then the
 * active set: a vCPU that joins the set after the read below finds the new
 * generation before it resumes (run.c).
 */
UVK_EXPORT int
uvk_vmspace_interrupt(struct uvk_vmspace *vms)
{
	uint64_t active;

	if (atomic_load(&vms->gone))
		return -ESRCH;
	atomic_fetch_add(&vms->kick_gen, 1);
	active = atomic_load(&vms->active);
	while (active) {
		int id = __builtin_ctzll(active);
		pid_t tid = vcpu_tid_of(id);

		active &= active - 1;
		if (tid)
			tracer_kick_thread(tid);
	}
	return 0;
}

UVK_EXPORT int
uvk_tick_start(uint64_t period_ns)
{
	return tracer_tick_start(period_ns);
}

UVK_EXPORT void
uvk_vmspace_stats(const struct uvk_vmspace *cvms, struct uvk_stats *ret)
{
	struct uvk_vmspace *vms = (struct uvk_vmspace *)cvms;
	struct uvk_stats s;

	pthread_mutex_lock(&vms->lock);
	s = vms->stats;
	for (int id = 0; id < UVK_VCPU_MAX; id++) {
		const struct vms_thread *t = vms->thr[id];

		if (!t)
			continue;
		s.runs += __atomic_load_n(&t->runs, __ATOMIC_RELAXED);
		s.syscalls += __atomic_load_n(&t->syscalls, __ATOMIC_RELAXED);
		s.interrupts += __atomic_load_n(&t->interrupts, __ATOMIC_RELAXED);
		s.stops += __atomic_load_n(&t->child.stats.stops, __ATOMIC_RELAXED);
		s.regs_loaded += __atomic_load_n(&t->child.stats.regs_loaded, __ATOMIC_RELAXED);
		s.batches += __atomic_load_n(&t->child.stats.batches, __ATOMIC_RELAXED);
		s.map_calls += __atomic_load_n(&t->child.stats.map_calls, __ATOMIC_RELAXED);
		s.host_threads += t->child.alive;
	}
	s.host_threads += vms->spare != 0;
	pthread_mutex_unlock(&vms->lock);
	*ret = s;
}

UVK_EXPORT int
uvk_vmspace_host_pid(const struct uvk_vmspace *vms)
{
	return vms->hpid;
}
