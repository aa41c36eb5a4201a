/*
 * pmem.c - guest physical memory: one memfd, mapped whole into the tracer.
 *
 * Layer: src/vmspace. The memfd is guest RAM followed by a private tail
 * (stub code, per-vmspace command pages). Every vmspace child inherits the
 * descriptor; the guest kernel reads and writes guest memory through the
 * tracer's shared mapping, never through process_vm_*.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "internal.h"

/* The largest guest RAM we agree to make: 64 GiB (the memfd is sparse). */
#define PMEM_MAX (64ULL << 30)

/*
 * uvk_pmem_create - see uvk/pmem.h. The memfd is sealed against shrinking,
 * so that no mapping of it can ever SIGBUS the tracer.
 */
UVK_EXPORT struct uvk_pmem *
uvk_pmem_create(uint64_t bytes)
{
	struct uvk_pmem *pm;
	const void *code;
	size_t code_len;
	int err;

	if (bytes == 0 || bytes > PMEM_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->size = (bytes + UVK_PAGE_SIZE - 1) & UVK_PAGE_MASK;
	pm->total = pm->size + PMEM_TAIL;
	pthread_mutex_init(&pm->lock, NULL);
	pm->fd = memfd_create("uvk-pmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (pm->fd < 0)
		goto out_free;
	if (ftruncate(pm->fd, (off_t)pm->total))
		goto out_close;
	if (fcntl(pm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		goto out_close;
	pm->base = mmap(NULL, pm->total, PROT_READ | PROT_WRITE, MAP_SHARED, pm->fd, 0);
	if (pm->base == MAP_FAILED)
		goto out_close;
	pm->vpt.base = pm->base;
	pm->vpt.size = pm->size;
	code = tracer_stub_code(&code_len);
	memcpy(pm->base + pmem_code_off(pm), code, code_len);
	return pm;
out_close:
	err = errno;
	close(pm->fd);
	errno = err;
out_free:
	err = errno;
	free(pm);
	errno = err;
	return NULL;
}

/* uvk_pmem_free - see uvk/pmem.h. */
UVK_EXPORT void
uvk_pmem_free(struct uvk_pmem *pm)
{
	if (!pm)
		return;
	munmap(pm->base, pm->total);
	close(pm->fd);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

UVK_EXPORT uint8_t *
uvk_pmem_base(const struct uvk_pmem *pm)
{
	return pm->base;
}

UVK_EXPORT uint64_t
uvk_pmem_size(const struct uvk_pmem *pm)
{
	return pm->size;
}

UVK_EXPORT const struct uvk_vpt_mem *
uvk_pmem_vpt(const struct uvk_pmem *pm)
{
	return &pm->vpt;
}

/* uvk_pmem_discard - see uvk/pmem.h. A hole punched in shmem reads as zeroes. */
UVK_EXPORT int
uvk_pmem_discard(struct uvk_pmem *pm, uint64_t gpa, uint64_t len)
{
	if ((gpa | len) & ~UVK_PAGE_MASK || gpa > pm->size || len > pm->size - gpa)
		return -EINVAL;
	if (len && fallocate(pm->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)gpa,
			     (off_t)len))
		return -errno;
	return 0;
}

/* uvk_pmem_resident - see uvk/pmem.h (the tail's few pages included). */
UVK_EXPORT uint64_t
uvk_pmem_resident(const struct uvk_pmem *pm)
{
	struct stat st;

	if (fstat(pm->fd, &st))
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

uint64_t
pmem_code_off(const struct uvk_pmem *pm)
{
	return pm->size;
}

uint64_t
pmem_slot_off(const struct uvk_pmem *pm, int slot)
{
	return pm->size + 4096 + (uint64_t)slot * PMEM_SLOT_SIZE;
}

/* pmem_slot_get - claim a command slot for a new vmspace: its index or -ENOSPC. */
int
pmem_slot_get(struct uvk_pmem *pm)
{
	int slot = -ENOSPC;

	pthread_mutex_lock(&pm->lock);
	for (int w = 0; w < PMEM_SLOTS / 64; w++) {
		if (pm->slots[w] == ~0ULL)
			continue;
		int bit = __builtin_ctzll(~pm->slots[w]);
		pm->slots[w] |= 1ULL << bit;
		slot = w * 64 + bit;
		pm->nvms++;
		break;
	}
	pthread_mutex_unlock(&pm->lock);
	return slot;
}

void
pmem_slot_put(struct uvk_pmem *pm, int slot)
{
	pthread_mutex_lock(&pm->lock);
	pm->slots[slot / 64] &= ~(1ULL << (slot % 64));
	pm->nvms--;
	pthread_mutex_unlock(&pm->lock);
}
