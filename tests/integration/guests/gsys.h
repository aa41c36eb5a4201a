/*
 * gsys.h - what a freestanding guest test program needs: raw system calls
 * and an entry point. No libc: these programs run inside bare vmspaces
 * driven by the tests' own little kernel (tests/integration/mini.c).
 *
 * _start passes rdi (the argument page the test filled) to guest_main and
 * exits with its return value.
 */
#ifndef UVK_TESTS_GSYS_H
#define UVK_TESTS_GSYS_H

static inline long
gsys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define gsys0(n)	  gsys6(n, 0, 0, 0, 0, 0, 0)
#define gsys1(n, a)	  gsys6(n, (long)(a), 0, 0, 0, 0, 0)
#define gsys2(n, a, b)	  gsys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define gsys3(n, a, b, c) gsys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

long guest_main(long *arg);

__asm__(".globl _start\n"
	"_start:\n\t"
	"and $-16, %rsp\n\t"
	"call guest_main\n\t"
	"mov %rax, %rdi\n\t"
	"mov $60, %eax\n\t"
	"syscall\n\t"
	"ud2\n");

#endif /* UVK_TESTS_GSYS_H */
