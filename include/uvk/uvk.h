/*
 * uvk/uvk.h - the whole public API of libuvk, and its version.
 *
 * libuvk offers on stock Linux what DragonFly's kernel offers its vkernels:
 * guest physical memory (uvk/pmem.h), page tables that live in it and are
 * walked in software (uvk/vpt.h), and guest address spaces that run guest
 * code and return its syscalls, faults and interruptions (uvk/vmspace.h);
 * and the tracer's confinement of itself (uvk/confine.h).
 *
 * Errors: functions return 0 (or a count) on success and a negative errno on
 * failure; constructors return NULL with errno set. The library never prints
 * and never exits.
 *
 * Threads: each function's comment says which threads may call it, what it
 * locks and whether it is async-signal-safe (uvk/vmspace.h opens with the
 * model: one tracer thread per virtual CPU). Locks of the library, in the
 * order they nest: a vmspace's lock, then its pmem's lock; the vCPU
 * registry's lock nests under neither. No callback of the guest kernel's is
 * ever called with a library lock held.
 */
#ifndef UVK_UVK_H
#define UVK_UVK_H

#include <stddef.h>

#include <uvk/version.h>
#include <uvk/vpt.h>
#include <uvk/pmem.h>
#include <uvk/vmspace.h>
#include <uvk/confine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually loaded, "MAJOR.MINOR.PATCH". Any thread. */
const char *uvk_version(void);

/*
 * uvk_syscall_name - the name of x86-64 system call nr, as libseccomp
 * knows it (so also calls newer than the guest kernel), copied into buf
 * of len bytes. Returns buf, or NULL if no call has that number or buf is
 * too small. Makes no system call but malloc's. Any thread.
 */
const char *uvk_syscall_name(long nr, char *buf, size_t len);

/* uvk_syscall_number - the x86-64 number of the call named name, or -ENOENT. Any thread. */
long uvk_syscall_number(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* UVK_UVK_H */
