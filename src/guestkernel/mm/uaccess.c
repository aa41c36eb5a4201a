/*
 * uaccess.c - copyin/copyout: reading and writing guest memory.
 *
 * Layer src/guestkernel/mm. Every guest pointer goes through the guest's own
 * page table, page by page, exactly as the guest's code would see it; the
 * bytes are then reached through the tracer's mapping of pmem. A page the
 * walk refuses is resolved as a page fault would be (zero fill, file page,
 * stack growth) and walked again; what stays unresolvable is -EFAULT for
 * the syscall, never a crash of the tracer. Writes walk with
 * UVK_ACCESS_WRITE, so they set M and respect W.
 *
 * Must not: touch memory through any other path.
 */
#include <errno.h>
#include <string.h>

#include "mm.h"

/* The gpa of the byte at gva for access, faulting the page in if the VMA allows. */
static int
user_gpa(struct gk_proc *p, uint64_t gva, unsigned access, uint64_t *ret_gpa)
{
	struct gk_vm *vm = p->vm;
	struct uvk_vpt_walk w;
	int err;

	if (gva >= UVK_VA_MAX)
		return -EFAULT;
	err = uvk_vpt_walk(p->k->vmem, vm->root, gva, access, UVK_VPT_SET_AM, &w);
	if (err < 0) {
		if (gk_vm_fault(vm, gva, access) < 0)
			return -EFAULT;
		err = uvk_vpt_walk(p->k->vmem, vm->root, gva, access, UVK_VPT_SET_AM, &w);
		if (err < 0)
			return -EFAULT;
	}
	*ret_gpa = w.gpa;
	return 0;
}

/* gk_copyin - len bytes from guest gva to dst. Returns 0 or -EFAULT. */
int
gk_copyin(struct gk_proc *p, void *dst, uint64_t gva, size_t len)
{
	uint8_t *d = dst;

	while (len > 0) {
		uint64_t gpa, chunk = GK_PAGE - (gva & (GK_PAGE - 1));
		int err = user_gpa(p, gva, UVK_ACCESS_READ, &gpa);

		if (err < 0)
			return err;
		if (chunk > len)
			chunk = len;
		memcpy(d, p->k->ram + gpa, chunk);
		d += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

/* gk_copyout - len bytes from src to guest gva. Returns 0 or -EFAULT. */
int
gk_copyout(struct gk_proc *p, uint64_t gva, const void *src, size_t len)
{
	const uint8_t *s = src;

	while (len > 0) {
		uint64_t gpa, chunk = GK_PAGE - (gva & (GK_PAGE - 1));
		int err = user_gpa(p, gva, UVK_ACCESS_WRITE, &gpa);

		if (err < 0)
			return err;
		if (chunk > len)
			chunk = len;
		memcpy(p->k->ram + gpa, s, chunk);
		s += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * gk_strncpyin - a NUL-terminated string of at most max bytes (NUL included)
 * from gva. Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL came
 * within max bytes.
 */
long
gk_strncpyin(struct gk_proc *p, char *dst, uint64_t gva, size_t max)
{
	size_t n = 0;

	while (n < max) {
		uint64_t gpa, chunk = GK_PAGE - (gva & (GK_PAGE - 1));
		const char *src, *nul;
		int err = user_gpa(p, gva, UVK_ACCESS_READ, &gpa);

		if (err < 0)
			return err;
		if (chunk > max - n)
			chunk = max - n;
		src = (const char *)p->k->ram + gpa;
		nul = memchr(src, 0, chunk);
		if (nul) {
			memcpy(dst + n, src, (size_t)(nul - src) + 1);
			return (long)(n + (size_t)(nul - src));
		}
		memcpy(dst + n, src, chunk);
		n += chunk;
		gva += chunk;
	}
	return -ENAMETOOLONG;
}

/*
 * gk_user_iov - describe guest [gva, gva+len) as host iovecs into pmem, for
 * access (UVK_ACCESS_READ: the host reads them, i.e. write(2); WRITE: the
 * host fills them, i.e. read(2)), merging physically contiguous pages. Stops
 * at maxiov entries or at the first bad page: *ret_len is how much was
 * described. Returns the number of iovecs, or -EFAULT if not even the first
 * byte is accessible (len 0 gives 0 iovecs). At most GK_IO_MAX bytes are
 * described: a caller transfers that much and reports a short count.
 */
int
gk_user_iov(struct gk_proc *p, uint64_t gva, size_t len, unsigned access, struct iovec *iov,
	    int maxiov, size_t *ret_len)
{
	size_t done = 0;
	int n = 0;

	/* A short transfer is legal; faulting in a whole huge buffer first is not wise. */
	if (len > GK_IO_MAX)
		len = GK_IO_MAX;
	while (done < len) {
		uint64_t gpa, chunk = GK_PAGE - (gva & (GK_PAGE - 1));
		uint8_t *hva;

		if (user_gpa(p, gva, access, &gpa) < 0) {
			if (done == 0)
				return -EFAULT;
			break;
		}
		if (chunk > len - done)
			chunk = len - done;
		hva = p->k->ram + gpa;
		if (n > 0 && (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len == hva) {
			iov[n - 1].iov_len += chunk;
		} else {
			if (n == maxiov)
				break;
			iov[n].iov_base = hva;
			iov[n].iov_len = chunk;
			n++;
		}
		done += chunk;
		gva += chunk;
	}
	*ret_len = done;
	return n;
}
