/*
 * g_bench.c - the freestanding guest the host-layer benchmark runs. arg[0]
 * picks the loop; arg[1..] are its parameters. See bench_host.c.
 */
#include "../tests/integration/guests/gsys.h"

long
guest_main(long *arg)
{
	long n = arg[1], sum = 0;
	volatile long *base = (volatile long *)arg[2];

	switch (arg[0]) {
	case 0: /* n syscalls */
		for (long i = 0; i < n; i++)
			sum += gsys0(110);
		break;
	case 1: /* read one long from each of n pages */
		for (long i = 0; i < n; i++)
			sum += base[i * 512];
		break;
	case 2: /* n times: read page, syscall (the kernel invalidates it) */
		for (long i = 0; i < n; i++) {
			sum += *base;
			gsys0(110);
		}
		break;
	}
	return sum == 42424242;
}
