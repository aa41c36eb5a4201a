/*
 * smpcount.c - the guest program that examples/smp runs as two threads of
 * one process, on two virtual CPUs at once.
 *
 * Freestanding like hello.c (entry and system call from guest.h), no libc.
 * argv[1] names the thread: "A" or "B". Both count, each in its own word of
 * a page the kernel shares between them (SHARED), then meet there; A adds
 * the two counts and asks the kernel to remap a page (PROBE) that B is
 * reading in a loop at that moment: B must see the new page, which it can
 * only if the invalidation reached the vCPU it runs on. Results go to the
 * kernel through system call 500 (report); the kernel prints them.
 */
#include <stdint.h>

#include "guest.h"

#define SHARED 0x10000000UL /* [0], [1] the counts, [2] arrivals, [3] B is watching */
#define PROBE  0x10001000UL /* holds 1, then (remapped) 2 */
#define COUNT  1000000L

#define SYS_REPORT 500
#define SYS_REMAP  501
#define SYS_YIELD  24

void
start(uint64_t *sp)
{
	char **argv = (char **)(sp + 1);
	volatile long *shared = (volatile long *)SHARED;
	volatile long *probe = (volatile long *)PROBE;
	int me = sp[0] > 1 && argv[1][0] == 'B';

	for (long i = 1; i <= COUNT; i++) {
		shared[me]++;
		if (i % 100000 == 0)
			syscall3(SYS_YIELD, 0, 0, 0); /* a trip through the kernel now and then */
	}
	syscall3(SYS_REPORT, shared[me], 0, 0);
	__atomic_fetch_add(&shared[2], 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&shared[2], __ATOMIC_SEQ_CST) < 2)
		__asm__ volatile("pause");
	if (!me) {
		syscall3(SYS_REPORT, shared[0] + shared[1], 0, 0);
		while (!__atomic_load_n(&shared[3], __ATOMIC_SEQ_CST))
			__asm__ volatile("pause");
		syscall3(SYS_REMAP, 0, 0, 0);
	} else {
		long v = *probe;

		__atomic_store_n(&shared[3], 1, __ATOMIC_SEQ_CST);
		while ((v = *probe) == 1)
			__asm__ volatile("pause");
		syscall3(SYS_REPORT, v, 0, 0);
	}
	syscall3(SYS_EXIT, 0, 0, 0);
	for (;;)
		;
}
