/*
 * sysname.c - x86-64 system call names and numbers, from libseccomp's
 * tables (uvk_syscall_name, uvk_syscall_number).
 *
 * Layer src/tracer: libseccomp is the tracer's, so the guest kernel asks
 * here for the names its own table lacks (--trace, --trace-filter).
 * Must not: make a system call; these are table look-ups.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include <uvk/uvk.h>

#include "../compiler.h"

UVK_EXPORT const char *
uvk_syscall_name(long nr, char *buf, size_t len)
{
	char *name;
	size_t n;

	if (nr < 0 || nr > 0x7fffffff || !buf || len == 0)
		return NULL;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, (int)nr);
	if (!name)
		return NULL;
	n = strlen(name);
	if (n >= len) {
		free(name);
		return NULL;
	}
	memcpy(buf, name, n + 1);
	free(name);
	return buf;
}

UVK_EXPORT long
uvk_syscall_number(const char *name)
{
	int nr;

	if (!name || !*name)
		return -ENOENT;
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	/* Calls x86-64 lacks come back as negative pseudo-numbers: not ours. */
	return nr < 0 ? -ENOENT : nr;
}
