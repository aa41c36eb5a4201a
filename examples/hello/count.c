/*
 * count.c - the guest program that examples/two runs twice.
 *
 * Freestanding like hello.c: its own _start and system call stubs, no libc.
 * It writes "L 0" to "L 4", one write per line, where L is the first letter
 * of argv[1] ('?' without one), and exits 0. Each line is one system call, so
 * a kernel that switches processes at every call interleaves two of them line
 * by line.
 */
#include <stdint.h>

#define SYS_WRITE 1
#define SYS_EXIT  60

/* See hello.c: rsp is at argc; call start() with the ABI's entry alignment. */
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

static long
syscall3(long nr, long a0, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

void
start(uint64_t *sp)
{
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1);
	char line[4];
	int i;

	line[0] = argc > 1 && argv[1][0] != '\0' ? argv[1][0] : '?';
	line[1] = ' ';
	line[3] = '\n';
	for (i = 0; i < 5; i++) {
		line[2] = (char)('0' + i);
		syscall3(SYS_WRITE, 1, (long)line, sizeof(line));
	}
	syscall3(SYS_EXIT, 0, 0, 0);
	for (;;)
		;
}
