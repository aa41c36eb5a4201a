/*
 * hello.c - the guest program that examples/minimal runs.
 *
 * Freestanding on purpose: no libc, its _start and system call stub from
 * guest.h, so that the smallest guest kernel has nothing to serve but write and
 * exit, and the program reads the same natively and as a guest. It must not
 * call memset/memcpy (there is none to link), which is why the loops below
 * touch volatile memory and the build passes -fno-tree-loop-distribute-patterns.
 *
 * It says hello, sums a 64 KiB array on its stack (more than the kernel maps
 * at start, so the stack has to grow by page faults), shows what an
 * unimplemented call returns, and exits with the status given as argv[1]
 * (7 without one).
 */
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

static size_t
length(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

static void
put(const char *s)
{
	syscall3(SYS_WRITE, 1, (long)s, (long)length(s));
}

/*
 * Kept in .data and .bss rather than on the stack so that the program has a
 * writable segment whose memory size exceeds its file size: the kernel must
 * copy the one and zero the other.
 */
static char greeting[] = "hello from the guest\n";
static char line[96];

/* Print "label value\n" in one write, value in decimal, so a line is never split. */
static void
put_num(const char *label, long value)
{
	char digits[24];
	unsigned long u = value < 0 ? -(unsigned long)value : (unsigned long)value;
	size_t n = 0;
	size_t d = 0;

	while (label[n] != '\0' && n < sizeof(line) - 32) {
		line[n] = label[n];
		n++;
	}
	do {
		digits[d++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (value < 0)
		line[n++] = '-';
	while (d > 0)
		line[n++] = digits[--d];
	line[n++] = '\n';
	syscall3(SYS_WRITE, 1, (long)line, (long)n);
}

/* A decimal argument, or def when there is none or it is not a plain number. */
static int
parse_status(const char *s, int def)
{
	int v = 0;

	if (s == NULL || *s == '\0')
		return def;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 255)
			return def;
		v = v * 10 + (*s - '0');
	}
	return v;
}

void
start(uint64_t *sp)
{
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1);
	/* volatile: the compiler must really store and load every element. */
	volatile uint32_t big[16384];
	uint64_t sum = 0;
	int i;

	for (i = 0; i < 3; i++)
		put(greeting);

	for (i = 0; i < 16384; i++)
		big[i] = (uint32_t)i + 1;
	for (i = 0; i < 16384; i++)
		sum += big[i];
	put_num("sum of 1..16384 on a 64 KiB stack array: ", (long)sum);

	put_num("getpid() returned ", syscall3(SYS_GETPID, 0, 0, 0));

	syscall3(SYS_EXIT, parse_status(argc > 1 ? argv[1] : NULL, 7), 0, 0);
	for (;;)
		;
}
