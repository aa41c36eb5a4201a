/*
 * uvk/pmem.h - guest physical memory: one memfd, mapped whole into the tracer.
 *
 * Public API, layer src/vmspace. Physical address = byte offset in the memfd.
 * The guest kernel owns the allocation of physical pages; the library only
 * creates the memory, maps it, and keeps a small private area past the end
 * (the stub's code and per-vmspace command pages) that no gpa can reach.
 *
 * Threads: every function may be called from any thread. Guest memory
 * itself (uvk_pmem_base) is shared by every thread and every vmspace with
 * no lock of the library's: the guest kernel orders its own accesses, as
 * a kernel orders its accesses to RAM.
 */
#ifndef UVK_PMEM_H
#define UVK_PMEM_H

#include <stdint.h>
#include <uvk/vpt.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvk_pmem;

/*
 * uvk_pmem_create - make bytes (rounded up to a page) of zeroed guest RAM.
 * The memory is sparse: pages cost host RAM only once touched. Returns the
 * pmem, or NULL with errno set (EINVAL for 0 or an absurd size, ENOMEM, or
 * the host's error from memfd_create/ftruncate/mmap). Any thread.
 */
struct uvk_pmem *uvk_pmem_create(uint64_t bytes);

/*
 * uvk_pmem_free - unmap and close. Every vmspace on it must be freed first,
 * and no other call on it may be in progress. NULL is fine.
 */
void uvk_pmem_free(struct uvk_pmem *pm);

/* The tracer's mapping of gpa 0, and the size in bytes. Any thread, no lock (immutable). */
uint8_t *uvk_pmem_base(const struct uvk_pmem *pm);
uint64_t uvk_pmem_size(const struct uvk_pmem *pm);

/* The walker's view of this memory, for the uvk_vpt_* functions. Any thread (immutable). */
const struct uvk_vpt_mem *uvk_pmem_vpt(const struct uvk_pmem *pm);

/*
 * uvk_pmem_discard - give the host RAM behind [gpa, gpa+len) back; the pages
 * read as zero afterwards. Both must be page aligned. Returns 0, -EINVAL, or
 * the host's error. Pages still mapped in a vmspace see the zeroes too: the
 * guest kernel discards only frames it has freed.
 */
int uvk_pmem_discard(struct uvk_pmem *pm, uint64_t gpa, uint64_t len);

/* Host RAM currently resident for guest memory, in bytes (from the memfd's block count). Any thread. */
uint64_t uvk_pmem_resident(const struct uvk_pmem *pm);

#ifdef __cplusplus
}
#endif
#endif /* UVK_PMEM_H */
