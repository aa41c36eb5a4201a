/*
 * count.c - the guest program that examples/two runs twice.
 *
 * Freestanding like hello.c (entry and system call from guest.h), no libc.
 * It writes "L 0" to "L 4", one write per line, where L is the first letter
 * of argv[1] ('?' without one), and exits 0. Each line is one system call, so
 * a kernel that switches processes at every call interleaves two of them line
 * by line.
 */
#include <stdint.h>

#include "guest.h"

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
