/*
 * stub.S - the code every vmspace child runs to change its own mappings.
 *
 * Layer: src/tracer. These bytes are never executed in the tracer: they sit
 * in .rodata and are copied into the code page of the pmem tail, which every
 * child maps at its stub base. Position independent, no stack, no data: the
 * child's stack and everything else are gone by the time it runs.
 *
 * Entry at offset 0 with rbx = first struct tracer_cmd, r12 = count. The one
 * syscall instruction is the only one the seccomp filter lets run a call;
 * it must stay the only one (filter.c computes its address from
 * tracer_stub_syscall_end).
 *
 * Ends in int3 (SIGTRAP) when every call succeeded, in ud2 (SIGILL) at the
 * first failure with rax = -errno and rbx pointing at the failed command, so
 * the tracer learns the outcome from the stop signal alone.
 */
/* The CET property note (IBT, SHSTK) under -fcf-protection: these bytes never run here. */
#include <cet.h>

	.section .rodata.uvk_stub, "a"
	.p2align 4
	.globl tracer_stub_start, tracer_stub_end, tracer_stub_syscall_end
	.hidden tracer_stub_start, tracer_stub_end, tracer_stub_syscall_end
tracer_stub_start:
1:	test	%r12, %r12
	jz	3f
	mov	0(%rbx), %rax
	mov	8(%rbx), %rdi
	mov	16(%rbx), %rsi
	mov	24(%rbx), %rdx
	mov	32(%rbx), %r10
	mov	40(%rbx), %r8
	mov	48(%rbx), %r9
	syscall
tracer_stub_syscall_end:
	cmp	$-4095, %rax
	jae	2f
	add	$56, %rbx
	dec	%r12
	jmp	1b
2:	ud2
3:	int3
tracer_stub_end:

	.section .note.GNU-stack, "", @progbits
