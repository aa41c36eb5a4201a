/*
 * guest.h - what the freestanding example guests (hello.c, count.c) share:
 * the entry point and a raw three-argument system call. No libc.
 *
 * The kernel starts a program with rsp at argc (16-byte aligned), argv and
 * envp above it. _start hands that pointer to start() with rsp as the ABI
 * expects at a function entry; start() never returns, ud2 guards it anyway.
 */
#ifndef UVK_EXAMPLES_GUEST_H
#define UVK_EXAMPLES_GUEST_H

#include <stdint.h>

#define SYS_WRITE  1
#define SYS_GETPID 39
#define SYS_EXIT   60

__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call start\n"
	"	ud2\n");

void start(uint64_t *sp) __attribute__((noreturn, used));

static inline long
syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif /* UVK_EXAMPLES_GUEST_H */
