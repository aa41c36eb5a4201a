/*
 * kmem.c - what the guest makes the tracer hold: the kernel-heap budget
 * and the count of host descriptors held for the guest.
 *
 * Layer src/guestkernel/kern.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kern.h"

/*
 * gk_kmem_charge - account bytes of tracer heap that a guest-made kernel
 * object takes (tmpfs nodes, names, indexes and page trees; pipes and
 * their slot arrays). The budget is the guest's RAM / GK_KMEM_DIV: a
 * guest cannot grow the tracer's heap past it whatever it creates.
 * Returns 0, or -ENOSPC with nothing charged (the caller says what errno
 * its syscall gives).
 */
int
gk_kmem_charge(struct gk_kernel *k, size_t bytes)
{
	uint64_t max = k->kmem_max;

	if (bytes > max || k->kmem > max - bytes)
		return -ENOSPC;
	k->kmem += bytes;
	if (k->kmem > k->kmem_peak)
		k->kmem_peak = k->kmem;
	return 0;
}

/* gk_kmem_uncharge - the object of bytes charged by gk_kmem_charge is gone. */
void
gk_kmem_uncharge(struct gk_kernel *k, size_t bytes)
{
	if (bytes > k->kmem)
		gk_panic(__func__, "uncharging %zu bytes of %llu", bytes,
			 (unsigned long long)k->kmem);
	k->kmem -= bytes;
}

/*
 * gk_hostfd_room - may one more host file be opened for k's guest? 0, or
 * -ENFILE (Linux's answer at its file-max) once GK_HOSTFD_FILES are open,
 * or fewer if the tracer's RLIMIT_NOFILE leaves less than that beyond a
 * reserve of 256 for its own use (the memfd, the mapfile cache, exec).
 * The limit is worked out on the first call and kept.
 */
int
gk_hostfd_room(struct gk_kernel *k)
{
	struct rlimit rl;
	int max = k->hostfd_max;

	if (max <= 0) {
		max = GK_HOSTFD_FILES;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (rlim_t)max + 256)
			max = rl.rlim_cur > 512 ? (int)rl.rlim_cur - 256 : (int)rl.rlim_cur / 2;
		k->hostfd_max = max;
	}
	return k->hostfd_files < max ? 0 : -ENFILE;
}

/* gk_hostfd_count - a host descriptor held for k's guest was opened (+1) or closed (-1). */
void
gk_hostfd_count(struct gk_kernel *k, int delta)
{
	k->hostfd_held += delta;
	if (k->hostfd_held > k->hostfd_peak)
		k->hostfd_peak = k->hostfd_held;
}

/*
 * gk_tracer_usage - the tracer's own resources, for --stats: its peak RSS
 * (KiB, the kernel's VmHWM through getrusage), its descriptors now, and the
 * most it held at once: those it holds for itself (now, less those held
 * for k's guest now) plus the most held for the guest.
 */
void
gk_tracer_usage(const struct gk_kernel *k, long *ret_rss_kib, int *ret_fds, int *ret_fds_peak)
{
	struct rusage ru;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		n--; /* the directory's own */
	}
	*ret_rss_kib = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
	*ret_fds = n;
	*ret_fds_peak = n - k->hostfd_held + k->hostfd_peak;
}

/* gk_hostfd_file - an open host file (gk_file.hfd) of k was opened (+1) or closed (-1). */
void
gk_hostfd_file(struct gk_kernel *k, int delta)
{
	k->hostfd_files += delta;
	gk_hostfd_count(k, delta);
}

/*
 * gk_kzalloc - size zeroed bytes of tracer heap charged to the kernel-heap
 * budget, for an object a guest made; NULL when the budget is spent or
 * malloc fails (the caller says -ENOMEM). Freed with gk_kfree(k, ptr, size).
 */
void *
gk_kzalloc(struct gk_kernel *k, size_t size)
{
	void *ptr;

	if (gk_kmem_charge(k, size) < 0)
		return NULL;
	ptr = calloc(1, size);
	if (!ptr)
		gk_kmem_uncharge(k, size);
	return ptr;
}

/* gk_kfree - free what gk_kzalloc(k, size) returned (NULL is nothing). */
void
gk_kfree(struct gk_kernel *k, void *ptr, size_t size)
{
	if (!ptr)
		return;
	free(ptr);
	gk_kmem_uncharge(k, size);
}
