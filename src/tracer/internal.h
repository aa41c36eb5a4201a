/*
 * internal.h - what the files of src/tracer share and nobody else sees.
 */
#ifndef UVK_TRACER_INTERNAL_H
#define UVK_TRACER_INTERNAL_H

#include <linux/filter.h>

#include "compiler.h"
#include "tracer.h"

extern const char tracer_stub_start[], tracer_stub_end[], tracer_stub_syscall_end[];

/* Offset of the address right after the stub's syscall instruction. */
static inline uint64_t
tracer_stub_syscall_offset(void)
{
	return (uint64_t)(tracer_stub_syscall_end - tracer_stub_start);
}

int tracer_filter(uint64_t stub_base, struct sock_fprog *ret);

#endif /* UVK_TRACER_INTERNAL_H */
