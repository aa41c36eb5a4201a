/*
 * vm_internal.h - what vm.c, vma.c, fault.c and cow.c share about an
 * address space and nothing outside mm/ may use: the user range, the
 * permission bits of a leaf, the VMA index, dropping pages, the debug
 * build's check of the VMA list.
 *
 * Layer src/guestkernel/mm, private: only the .c files of mm/ include it (other folders
 * include mm.h).
 */
#ifndef UVK_GUESTKERNEL_MM_VM_INTERNAL_H
#define UVK_GUESTKERNEL_MM_VM_INTERNAL_H

#include "mm.h"

/*
 * One past the highest user address the host can map (its TASK_SIZE_MAX):
 * the page below UVK_VA_MAX is not the guest's either, as on Linux.
 */
#define GK_VA_TOP 0x7ffffffff000ULL

/* The leaf bits a VMA's protection decides; the rest (frame, A, M, SW0) are the page's. */
#define GK_PTE_PERM (UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX)

uint64_t gk_pte_bits(unsigned prot);
int gk_vma_index(struct gk_vm *vm, uint64_t gva);
void gk_vm_drop_pages(struct gk_vm *vm, uint64_t start, uint64_t end);
void gk_vm_check(const struct gk_vm *vm);

#endif /* UVK_GUESTKERNEL_MM_VM_INTERNAL_H */
