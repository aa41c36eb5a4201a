/*
 * fault.c - page faults: filling a VMA's pages on first touch, growing the
 * stack, prefaulting a fresh image.
 *
 * Layer src/guestkernel/mm, under entry/sched.c (traps), uaccess.c
 * (copyin/copyout) and exec.c. Pages are populated lazily, in aligned
 * 64 KiB windows clipped to the VMA, from physically contiguous runs, so
 * that the library's fault-around and the host's VMA merging both work.
 * File pages come through the VMA's gk_mapfile (its ops); a /tmp file's
 * pages are its own frames, shared copy-on-write (cow.c breaks the share).
 * Out of guest RAM is -ENOMEM for the faulting page, never a panic.
 *
 * Must not: decode syscall arguments, print, or exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm_internal.h"

#define FAULT_WINDOW (16 * GK_PAGE)
/*
 * Anonymous memory is filled a larger window at a time and mapped in the
 * host at once: zero pages cost no I/O, and each window is one guest-kernel
 * round trip instead of four.
 */
#define ANON_WINDOW (64 * GK_PAGE)
/* Linux's stack_guard_gap: a stack keeps this far above the mapping below it. */
#define STACK_GUARD_GAP (256 * GK_PAGE)

/*
 * Fill frames [gpa, gpa+n pages) for gva from v: file content below fend,
 * zeroes past it (palloc hands out zeroed frames). Returns 0 or -EIO.
 */
static int
fill_frames(struct gk_vm *vm, struct gk_vma *v, uint64_t gva, uint64_t gpa, uint64_t n)
{
	uint64_t end = gva + n * GK_PAGE, fend = v->fend < end ? v->fend : end;
	uint8_t *hva = vm->k->ram + gpa;

	if (!(v->flags & GK_VMA_FILE) || gva >= fend)
		return 0;
	return gk_mapfile_pread(v->file, hva, fend - gva, v->foff + (gva - v->start));
}

/* The gva past the page holding the last byte of v's file (as it is now). */
static uint64_t
file_end(const struct gk_vma *v)
{
	uint64_t size;

	if (gk_mapfile_size(v->file, &size) < 0)
		return v->start;
	size = gk_page_up(size);
	if (size <= v->foff)
		return v->start;
	return size - v->foff > v->end - v->start ? v->end : v->start + (size - v->foff);
}

/*
 * Sharers one frame may have before a mapping gets its own copy instead:
 * the frame reference counts are 16 bits (palloc.c).
 */
#define SHARE_MAX 60000

/*
 * share_enter - fill the absent pages [s, e) of VMA v of vm, which
 * maps a file whose pages are in guest RAM (ops->page), for a fault at page (within them): a page the
 * file holds is its frame, entered without W and with the COW mark
 * whatever v's protection (a write, or mprotect then a write, copies it
 * first: cow.c); a hole, a page reaching past fend, or a frame with too
 * many sharers, is a private frame with the file's bytes (zeroes past fend). Returns 0 once page is entered (a neighbour
 * that finds no RAM is left for its own fault), or -ENOMEM, or the error
 * of entering it.
 */
static int
share_enter(struct gk_vm *vm, struct gk_vma *v, uint64_t page, uint64_t s, uint64_t e,
		 uint64_t bits, uint64_t fresh)
{
	struct gk_kernel *k = vm->k;
	uint64_t g;
	int err;

	for (g = s; g < e; g += GK_PAGE) {
		uint64_t off = v->foff + (g - v->start), gpa = 0, pte;

		/* A page reaching past fend (an ELF segment's bss) is the process's own. */
		if (g + GK_PAGE <= v->fend)
			gpa = v->file->ops->page(v->file, off / GK_PAGE);
		if (gpa && k->pa->ref[gpa / GK_PAGE] < SHARE_MAX) {
			gk_page_ref(k->pa, gpa);
			pte = gpa | (bits & ~(uint64_t)UVK_PTE_W) | UVK_PTE_A | UVK_PTE_SW0;
		} else {
			if (gk_palloc_run(k->pa, 1, &gpa) < 0) {
				k->st.oom++;
				return g > page ? 0 : -ENOMEM;
			}
			err = fill_frames(vm, v, g, gpa, 1);
			if (err < 0) {
				gk_palloc_free(k->pa, gpa, 1);
				return g > page ? 0 : err;
			}
			pte = gpa | bits | fresh;
		}
		err = uvk_vpt_enter(k->vmem, vm->root, g, pte, gk_vm_table_alloc, vm, NULL);
		if (err < 0) {
			gk_page_unref(k->pa, gpa);
			return g > page ? 0 : err;
		}
		vm->pages++;
		k->st.fault_pages++;
	}
	return 0;
}

static int
vma_allows(const struct gk_vma *v, unsigned access)
{
	if ((access & UVK_ACCESS_WRITE) && !(v->prot & PROT_WRITE))
		return 0;
	if ((access & UVK_ACCESS_EXEC) && !(v->prot & PROT_EXEC))
		return 0;
	return v->prot != PROT_NONE;
}

/*
 * grow_stack - grow the VMA above gva down to cover it if it grows down and
 * the rules allow; returns it or NULL. The rules are Linux's
 * (expand_downwards, acct_stack_growth): the grown VMA is at most
 * RLIMIT_STACK long; it stays STACK_GUARD_GAP above the next lower VMA when
 * that one is accessible and does not grow down itself (right up to it
 * otherwise); never below GK_VA_MIN. The stub counts as an accessible VMA
 * (it is mapped in every host process, code and commands): a stack above it
 * keeps the gap, so that none can ever grow over it, where its host
 * mappings could not be invalidated.
 */
static struct gk_vma *
grow_stack(struct gk_vm *vm, uint64_t gva)
{
	const uint64_t stub_end = UVK_STUB_BASE + UVK_STUB_SIZE;
	int i = gk_vma_index(vm, gva);
	uint64_t start = gk_page_down(gva), floor = GK_VA_MIN;
	const struct gk_vma *prev;
	struct gk_vma *v;

	if (i >= vm->nvma || !(vm->vma[i].flags & GK_VMA_GROWSDOWN))
		return NULL;
	v = &vm->vma[i];
	if (v->end - start > vm->stack_max)
		return NULL;
	if (v->start >= stub_end)
		floor = stub_end + STACK_GUARD_GAP;
	if (i > 0) {
		prev = &vm->vma[i - 1];
		if ((prev->flags & GK_VMA_GROWSDOWN) || prev->prot == PROT_NONE) {
			if (prev->end > floor)
				floor = prev->end;
		} else if (prev->end + STACK_GUARD_GAP > floor) {
			floor = prev->end + STACK_GUARD_GAP;
		}
	}
	if (start < floor)
		return NULL;
	v->start = start;
	gk_vm_check(vm);
	return v;
}

/*
 * gk_vm_fault - resolve a fault at gva for access as the page-fault handler
 * of a real kernel would. Returns 0 (the table now allows the access, or the
 * fault was spurious), -EFAULT (no VMA: SIGSEGV), -EACCES (the VMA forbids
 * the access: SIGSEGV), -ENOMEM (guest RAM exhausted), -EIO (file read: SIGBUS).
 */
int
gk_vm_fault(struct gk_vm *vm, uint64_t gva, unsigned access)
{
	const struct uvk_vpt_mem *mem = vm->k->vmem;
	uint64_t page = gk_page_down(gva), ws, we, s, e, pte, bits, fresh, win, s0;
	struct gk_vma *v;
	int err;

	vm->k->st.faults++;
	if (gva >= GK_VA_TOP)
		return -EFAULT;
	v = gk_vma_find(vm, gva);
	if (!v)
		v = grow_stack(vm, gva);
	if (!v)
		return -EFAULT;
	if (!vma_allows(v, access))
		return -EACCES;
	bits = gk_pte_bits(v->prot);
	if (uvk_vpt_lookup(mem, vm->root, page, &pte, NULL) == 0 && (pte & UVK_PTE_V)) {
		if (pte & UVK_PTE_SW0)
			return gk_vm_cow_fault(vm, page, pte, bits, access);
		/* A stale permission: bring the entry in line with its VMA. */
		if ((pte & GK_PTE_PERM) != bits) {
			uvk_vpt_update(mem, vm->root, page, bits, GK_PTE_PERM & ~bits, NULL);
			gk_vm_invalidate(vm, page, page + GK_PAGE);
		}
		return 0;
	}
	/*
	 * New pages of a writable VMA enter Accessed and Modified: this kernel
	 * never asks whether a private page is dirty (no swap, no write-back),
	 * and a clean writable page would cost the guest a second fault on its
	 * first write, when the host upgrades it (the Modified-bit emulation).
	 */
	fresh = (bits & UVK_PTE_W) ? UVK_PTE_A | UVK_PTE_M : UVK_PTE_A;
	/* The window: the aligned 64 KiB around the page, inside the VMA, of absent pages. */
	win = (v->flags & GK_VMA_FILE) ? FAULT_WINDOW : ANON_WINDOW;
	ws = page & ~(win - 1);
	we = ws + win;
	if (ws < v->start)
		ws = v->start;
	if (we > v->end)
		we = v->end;
	if (v->flags & GK_VMA_EOFBUS) {
		/* Past the file's last page there is nothing to map: SIGBUS, as on Linux. */
		uint64_t eof = file_end(v);

		if (page >= eof)
			return -EIO;
		if (we > eof)
			we = eof;
	}
	for (s = page; s > ws && uvk_vpt_lookup(mem, vm->root, s - GK_PAGE, NULL, NULL) != 0;)
		s -= GK_PAGE;
	for (e = page + GK_PAGE; e < we && uvk_vpt_lookup(mem, vm->root, e, NULL, NULL) != 0;)
		e += GK_PAGE;
	s0 = s;
	/*
	 * A /tmp file's own frames, or a host file's cached ones: shared
	 * copy-on-write. Not for an ELF image's writable segment (exec maps
	 * without EOFBUS): its pages are written soon after, and a private
	 * copy now saves each a copy-on-write fault.
	 */
	if (v->file && v->file->ops->page &&
	    (!(v->prot & PROT_WRITE) || (v->flags & GK_VMA_EOFBUS)))
		return share_enter(vm, v, page, s, e, bits, fresh);
	while (s < e) {
		uint64_t gpa, i;
		long n = gk_palloc_run(vm->k->pa, (e - s) / GK_PAGE, &gpa);

		if (n < 0) {
			vm->k->st.oom++;
			/* Out of RAM after the faulting page was served is fine. */
			return page < s ? 0 : -ENOMEM;
		}
		err = fill_frames(vm, v, s, gpa, (uint64_t)n);
		for (i = 0; i < (uint64_t)n; i++) {
			uint64_t g = s + i * GK_PAGE, f = gpa + i * GK_PAGE;

			if (err == 0)
				err = gk_vm_enter(vm, g, f | bits | fresh);
			if (err < 0) {
				gk_palloc_free(vm->k->pa, f, 1);
				continue;
			}
			vm->pages++;
			vm->k->st.fault_pages++;
		}
		if (err < 0)
			return err;
		s += (uint64_t)n * GK_PAGE;
	}
	/* Beyond what the library maps around a fault by itself: map it all now. */
	if (e - s0 > FAULT_WINDOW && vm->vms)
		uvk_vmspace_prefault(vm->vms, s0, e - s0);
	return 0;
}

/*
 * gk_vm_prefault - populate [start, start+len) and have the library map it
 * now, so that a fresh image does not pay one trap per window (and so that
 * MAP_POPULATE keeps its promise). Returns 0, or the first fault's error
 * (-ENOMEM: guest RAM is exhausted); what was populated stays.
 */
int
gk_vm_prefault(struct gk_vm *vm, uint64_t start, uint64_t len)
{
	uint64_t g, end = gk_page_up(start + len);
	int err;

	start = gk_page_down(start);
	for (g = start; g < end; g += GK_PAGE) {
		if (uvk_vpt_lookup(vm->k->vmem, vm->root, g, NULL, NULL) == 0)
			continue;
		err = gk_vm_fault(vm, g, UVK_ACCESS_READ);
		if (err < 0)
			return err;
	}
	if (vm->vms)
		uvk_vmspace_prefault(vm->vms, start, end - start);
	return 0;
}
