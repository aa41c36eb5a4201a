/*
 * sys_mm.c - memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise.
 *
 * Layer src/guestkernel/sys. Mostly argument checking, since we do not trust
 * guest code; the mechanism is mm/vma.c. Guest RAM is accounted as Linux's
 * strict overcommit would: the writable private memory of all VMAs may not
 * exceed the guest's RAM, so exhaustion shows as -ENOMEM from mmap or a
 * failed brk, and rarely as a kill at fault time.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Pages of writable private memory the address space has promised. */
static uint64_t
committed(struct gk_vm *vm)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < vm->nvma; i++) {
		if ((vm->vma[i].prot & PROT_WRITE) && !(vm->vma[i].flags & GK_VMA_SHARED))
			n += (vm->vma[i].end - vm->vma[i].start) / GK_PAGE;
	}
	return n;
}

/* A sixteenth of RAM stays out of the commit limit, for page tables and file pages. */
static int
can_commit(struct gk_proc *p, uint64_t len)
{
	uint64_t n = p->k->pa->npages;

	return committed(p->vm) + len / GK_PAGE <= n - n / 16;
}

/*
 * Linux's may_expand_vm: len more bytes of mapping at [addr, addr+len)
 * (what of it is mapped now goes, MAP_FIXED) must fit RLIMIT_AS, and
 * private writable memory but the stack (data) RLIMIT_DATA too. 1 if so.
 */
static int
fits_rlimits(struct gk_proc *p, uint64_t addr, uint64_t len, int data)
{
	const struct rlimit *as = &p->tg->rlim[RLIMIT_AS], *ds = &p->tg->rlim[RLIMIT_DATA];
	struct gk_vm *vm = p->vm;
	uint64_t total = 0, dtotal = 0, end = addr + len;
	int i;

	if (as->rlim_cur == RLIM_INFINITY && (!data || ds->rlim_cur == RLIM_INFINITY))
		return 1;
	for (i = 0; i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];
		uint64_t s = v->start > addr ? v->start : addr, e = v->end < end ? v->end : end;
		uint64_t keep = (v->end - v->start) - (e > s ? e - s : 0);

		total += keep;
		if ((v->prot & PROT_WRITE) && !(v->flags & (GK_VMA_SHARED | GK_VMA_GROWSDOWN)))
			dtotal += keep;
	}
	if (as->rlim_cur != RLIM_INFINITY && total + len > as->rlim_cur)
		return 0;
	return !data || ds->rlim_cur == RLIM_INFINITY || dtotal + len <= ds->rlim_cur;
}

GK_SYS(brk)
{
	struct gk_vm *vm = p->vm;
	uint64_t want = gk_arg_ulong(a, 0), old_end = gk_page_up(vm->brk), new_end = gk_page_up(want);

	if (want < vm->brk_start || want > vm->brk_start + (1ULL << 40))
		return (long)vm->brk;
	if (new_end > old_end) {
		if (!gk_vm_range_free(vm, old_end, new_end - old_end) ||
		    !can_commit(p, new_end - old_end) ||
		    !fits_rlimits(p, old_end, new_end - old_end, 1))
			return (long)vm->brk;
		if (gk_vm_map(vm, old_end, new_end - old_end, PROT_READ | PROT_WRITE, GK_VMA_HEAP,
			      NULL, 0, 0) < 0)
			return (long)vm->brk;
	} else if (new_end < old_end) {
		gk_vm_unmap(vm, new_end, old_end - new_end);
	}
	vm->brk = want;
	return (long)vm->brk;
}

/*
 * Where a new mapping of len bytes goes: at *addr for MAP_FIXED (-EINVAL
 * unaligned, -ENOMEM outside the guest's range or over the stub) and
 * MAP_FIXED_NOREPLACE (-EEXIST over a mapping), else a free range near the
 * hint (-ENOMEM: none). A private writable mapping of anonymous memory
 * (mf NULL) must fit the commit limit first.
 */
static int
check_place(struct gk_proc *p, const struct gk_mapfile *mf, uint64_t *addr, uint64_t len,
	    unsigned prot, int type, unsigned flags)
{
	if (!mf && (prot & PROT_WRITE) && type == MAP_PRIVATE && !can_commit(p, len))
		return -ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (*addr & (GK_PAGE - 1))
			return -EINVAL;
		if (*addr + len < *addr || *addr + len > GK_TASK_SIZE ||
		    (*addr < UVK_STUB_BASE + UVK_STUB_SIZE && *addr + len > UVK_STUB_BASE))
			return -ENOMEM;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
		    !gk_vm_range_free(p->vm, *addr, len))
			return -EEXIST;
		return 0;
	}
	*addr = gk_vm_find_free(p->vm, len, *addr);
	return *addr ? 0 : -ENOMEM;
}

/* check_place, then the resource limits for the place it found. */
static int
place(struct gk_proc *p, const struct gk_mapfile *mf, uint64_t *addr, uint64_t len,
      unsigned prot, int type, unsigned flags)
{
	int err = check_place(p, mf, addr, len, prot, type, flags);

	if (err == 0 &&
	    !fits_rlimits(p, *addr, len, (prot & PROT_WRITE) && type == MAP_PRIVATE &&
					     !(flags & MAP_GROWSDOWN)))
		err = -ENOMEM;
	return err;
}

GK_SYS(mmap)
{
	/*
	 * Every argument is unsigned long in Linux's prototype; the descriptor
	 * is looked up by its low 32 bits (fget), prot and flags bits above
	 * those Linux knows are ignored, as there.
	 */
	uint64_t addr = gk_arg_ulong(a, 0), rawlen = gk_arg_size(a, 1), off = gk_arg_ulong(a, 5);
	uint64_t len = gk_page_up(rawlen);
	unsigned prot = (unsigned)gk_arg_ulong(a, 2), flags = (unsigned)gk_arg_ulong(a, 3), vflags = 0;
	int fd = gk_arg_fd(a, 4), type = flags & MAP_TYPE, err;
	struct gk_mapfile *mf = NULL;
	struct gk_file *f;

	if (rawlen == 0 || len < rawlen || (off & (GK_PAGE - 1)) || (prot & ~7u))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type != MAP_PRIVATE)
		vflags |= GK_VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		vflags |= GK_VMA_GROWSDOWN;
	if (!(flags & MAP_ANONYMOUS)) {
		f = gk_fd_get_io(p, fd);
		if (!f)
			return -EBADF;
		/* The access mode first, whatever the file, as Linux's do_mmap. */
		if ((f->flags & O_ACCMODE) == O_WRONLY ||
		    (type != MAP_PRIVATE && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) != O_RDWR))
			return -EACCES;
		/*
		 * The file says what pages the mapping gets: a mapfile (one per
		 * file, not per mapping: mapfile.c), none for anonymous memory
		 * (/dev/zero), or -ENODEV.
		 */
		err = f->ops->mmap(f, &mf);
		if (err < 0)
			return err;
	}
	err = place(p, mf, &addr, len, prot, type, flags);
	if (err < 0) {
		gk_mapfile_unref(mf);
		return err;
	}
	if (mf)
		vflags |= GK_VMA_FILE | GK_VMA_EOFBUS;
	err = gk_vm_map(p->vm, addr, len, prot, vflags, mf, off, addr + len);
	gk_mapfile_unref(mf);
	if (err < 0)
		return err;
	/* MAP_POPULATE is a promise that touching will not fail: keep it or refuse the map. */
	if ((flags & MAP_POPULATE) && gk_vm_prefault(p->vm, addr, len) == -ENOMEM) {
		gk_vm_unmap(p->vm, addr, len);
		return -ENOMEM;
	}
	return (long)addr;
}

GK_SYS(munmap)
{
	uint64_t addr = gk_arg_ulong(a, 0), len = gk_arg_size(a, 1);

	/* Linux: EINVAL for a range that leaves user space or a length that rounds to 0. */
	if ((addr & (GK_PAGE - 1)) || addr > GK_TASK_SIZE || len > GK_TASK_SIZE - addr)
		return -EINVAL;
	len = gk_page_up(len);
	if (len == 0)
		return -EINVAL;
	return gk_vm_unmap(p->vm, addr, len);
}

GK_SYS(mprotect)
{
	/* prot is unsigned long: a bit Linux does not know, high half included, is EINVAL. */
	uint64_t addr = gk_arg_ulong(a, 0), len = gk_arg_size(a, 1);
	unsigned long prot = gk_arg_ulong(a, 2) & ~(unsigned long)(PROT_GROWSDOWN | PROT_GROWSUP);

	if (addr & (GK_PAGE - 1))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = gk_page_up(len);
	if (addr + len <= addr)
		return -ENOMEM;
	if (prot & ~7ul)
		return -EINVAL;
	return gk_vm_protect(p->vm, addr, len, (unsigned)prot);
}

GK_SYS(mremap)
{
	uint64_t old = gk_arg_ulong(a, 0), oldlen = gk_page_up(gk_arg_ulong(a, 1));
	uint64_t newlen = gk_page_up(gk_arg_ulong(a, 2)), dst = gk_arg_ulong(a, 4);
	/* flags is unsigned long: an unknown bit, high half included, is EINVAL. */
	unsigned long flags = gk_arg_ulong(a, 3);
	struct gk_vma *v = gk_vma_find(p->vm, old);
	int err;

	if ((old & (GK_PAGE - 1)) || newlen == 0 || (flags & ~7ul) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && (newlen > GK_TASK_SIZE || dst > GK_TASK_SIZE - newlen))
		return -EINVAL;
	if (!v || oldlen == 0 || old + oldlen > v->end)
		return -EFAULT;
	if (newlen > oldlen && (v->prot & PROT_WRITE) && !(v->flags & GK_VMA_SHARED) &&
	    !can_commit(p, newlen - oldlen))
		return -ENOMEM;
	if (newlen > oldlen &&
	    !fits_rlimits(p, 0, newlen - oldlen, (v->prot & PROT_WRITE) &&
						     !(v->flags & (GK_VMA_SHARED | GK_VMA_GROWSDOWN))))
		return -ENOMEM;
	if (flags & MREMAP_FIXED) {
		if ((dst & (GK_PAGE - 1)) || (dst < old + oldlen && dst + newlen > old))
			return -EINVAL;
		err = gk_vm_unmap(p->vm, dst, newlen);
		if (err == 0)
			err = gk_vm_move(p->vm, old, oldlen, dst, newlen);
		return err < 0 ? err : (long)dst;
	}
	if (newlen <= oldlen) {
		if (newlen < oldlen)
			gk_vm_unmap(p->vm, old + newlen, oldlen - newlen);
		return (long)old;
	}
	if (old + oldlen == v->end && gk_vm_range_free(p->vm, old + oldlen, newlen - oldlen)) {
		err = gk_vm_map(p->vm, old + oldlen, newlen - oldlen, v->prot, v->flags, v->file,
				v->foff + (old + oldlen - v->start), v->fend);
		return err < 0 ? err : (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	dst = gk_vm_find_free(p->vm, newlen, 0);
	if (!dst)
		return -ENOMEM;
	err = gk_vm_move(p->vm, old, oldlen, dst, newlen);
	return err < 0 ? err : (long)dst;
}

GK_SYS(madvise)
{
	uint64_t addr = gk_arg_ulong(a, 0), len = gk_arg_size(a, 1);
	int advice = gk_arg_int(a, 2);

	if (addr & (GK_PAGE - 1))
		return -EINVAL;
	/* Linux: a length that rounds to 0 or a range that wraps is EINVAL. */
	if (len && gk_page_up(len) == 0)
		return -EINVAL;
	len = gk_page_up(len);
	if (addr + len < addr)
		return -EINVAL;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
		return gk_vm_discard(p->vm, addr, len);
	default:
		return 0;
	}
}

/* Is every page of [start, end) inside some VMA? Linux's msync and mlock say ENOMEM if not. */
static int
range_mapped(struct gk_vm *vm, uint64_t start, uint64_t end)
{
	struct gk_vma *v;

	while (start < end) {
		v = gk_vma_find(vm, start);
		if (!v)
			return 0;
		start = v->end;
	}
	return 1;
}

/*
 * msync, mlock, munlock: nothing pageable, and only host files' shared
 * mappings to write back (MS_SYNC), but the arguments are checked as Linux does: EINVAL for a bad flag or alignment,
 * ENOMEM for a range that wraps or is not all mapped.
 */
GK_SYS(msync)
{
	uint64_t start = gk_arg_ulong(a, 0), len = gk_page_up(gk_arg_size(a, 1)), end;
	int flags = gk_arg_int(a, 2);
	struct gk_vma *v;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((start & (GK_PAGE - 1)) || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (!range_mapped(p->vm, start, end))
		return -ENOMEM;
	/* MS_SYNC: stores through shared mappings of files that live elsewhere (the host) go there. */
	for (v = gk_vma_find(p->vm, start); (flags & MS_SYNC) && v && v->start < end;
	     v = gk_vma_find(p->vm, v->end)) {
		if ((v->flags & GK_VMA_SHARED) && v->file && v->file->ops->sync &&
		    v->file->ops->sync(v->file) < 0)
			return -EIO;
	}
	return 0;
}

/* mlock and munlock take any start: the range is widened to whole pages first. */
GK_SYS(mlock)
{
	uint64_t start = gk_arg_ulong(a, 0), len = gk_arg_size(a, 1), end;

	len = gk_page_up(len + (start & (GK_PAGE - 1)));
	start &= ~(uint64_t)(GK_PAGE - 1);
	end = start + len;
	if (end < start)
		return -EINVAL;
	return range_mapped(p->vm, start, end) ? 0 : -ENOMEM;
}

GK_SYS(mlockall)
{
	int flags = gk_arg_int(a, 0);

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	return 0;
}

/* munlockall, sync: nothing to do and no argument. */
GK_SYS(mnop)
{
	return 0;
}
