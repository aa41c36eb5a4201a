/*
 * g_probe.c - one freestanding guest, many probes of the host layer; the
 * test picks one with arg[0]. Results go back through syscall 501 (report)
 * and the exit status. See tests/integration/test_*.c for what each checks.
 */
#include "gsys.h"

#define SYS_REPORT 501

enum probe {
	P_ARGS = 0,	/* syscall 500 with six arguments; report its return value */
	P_HOSTCALLS,	/* mkdir, unlink, open(O_CREAT) on host paths from the arg page */
	P_TOUCH,	/* touch arg[2] pages from arg[1]; arg[3]: 1 write, 0 read; report the sum */
	P_UD2,
	P_DIV0,
	P_READ_AT,	/* read the long at arg[1] */
	P_INT3,
	P_SPIN,
	P_READ_TWICE,	/* report the long at arg[1], then report it again */
	P_XMM,		/* xmm0 <- arg+64, report, then store xmm1 -> arg+128 */
	P_STUB_JUMP,	/* find the stub's syscall instruction and jump to it with mmap args */
	P_STUB_WRITE,	/* write to the stub's code page */
	P_WRITE_AT,	/* write arg[2] at arg[1], report, read it back, report */
	/* several vCPUs (test_vcpu.c): each host thread gets its own arg page */
	P_RACE,		/* arg[2] rounds: arrive at the counter arg[1], wait for arg[4]
			 * arrivals, read page arg[3] + round * 4096; report the sum */
	P_WATCH,	/* read arg[1] until it faults: arg[3] = 1 once read, exit 1
			 * if it reads arg[4] after the fence *arg[2] was set */
	P_FLAG_SPIN,	/* *arg[1] = 1, then spin */
	P_COUNT,	/* arg[2] times: ++*arg[1], a syscall every arg[3]; report it */
};

static long
probe_stub_jump(void)
{
	volatile unsigned char *p = (volatile unsigned char *)0x100000;

	for (int i = 0; i < 4095; i++) {
		if (p[i] == 0x0f && p[i + 1] == 0x05) {
			/* mmap(0x500000, 4096, rwx, MAP_SHARED|MAP_FIXED, 3, 0) from the stub's own syscall */
			register long r10 __asm__("r10") = 0x11;
			register long r8 __asm__("r8") = 3;
			register long r9 __asm__("r9") = 0;
			__asm__ volatile("jmp *%0"
					 :
					 : "r"(p + i), "a"(9L), "D"(0x500000L), "S"(4096L), "d"(7L),
					   "r"(r10), "r"(r8), "r"(r9));
		}
	}
	return 99;
}

long
guest_main(long *arg)
{
	volatile long *q = (volatile long *)arg[1];
	long sum = 0;

	switch (arg[0]) {
	case P_ARGS:
		gsys1(SYS_REPORT, gsys6(500, 1, 2, 3, 4, 5, 6));
		return 0;
	case P_HOSTCALLS: {
		char *s = (char *)arg;
		gsys2(83, s + 256, 0755);		/* mkdir */
		gsys1(87, s + 512);			/* unlink */
		gsys3(2, s + 768, 0101, 0644);		/* open(O_WRONLY|O_CREAT) */
		return 0;
	}
	case P_TOUCH:
		for (long i = 0; i < arg[2]; i++) {
			volatile long *p = (volatile long *)(arg[1] + i * 4096);
			if (arg[3])
				*p = i + 1;
			else
				sum += *p;
		}
		gsys1(SYS_REPORT, sum);
		return 0;
	case P_UD2:
		__asm__ volatile("ud2");
		return 1;
	case P_DIV0: {
		volatile long z = 0;
		return 10 / z;
	}
	case P_READ_AT:
		return *q == 0x5a ? 0 : 1;
	case P_INT3:
		__asm__ volatile("int3");
		return 0;
	case P_SPIN:
		for (volatile long i = 0;; i++)
			;
	case P_READ_TWICE:
		gsys1(SYS_REPORT, *q);
		gsys1(SYS_REPORT, *q);
		return 0;
	case P_XMM:
		__asm__ volatile("movdqu (%0), %%xmm0" : : "r"((char *)arg + 64) : "xmm0");
		gsys1(SYS_REPORT, 0);
		__asm__ volatile("movdqu %%xmm1, (%0)" : : "r"((char *)arg + 128) : "memory");
		return 0;
	case P_STUB_JUMP:
		return probe_stub_jump();
	case P_STUB_WRITE:
		*(volatile char *)0x100000 = 1;
		return 0;
	case P_WRITE_AT:
		*q = arg[2];
		gsys1(SYS_REPORT, 0);
		gsys1(SYS_REPORT, *q);
		return 0;
	case P_RACE:
		for (long r = 0; r < arg[2]; r++) {
			__atomic_fetch_add((long *)arg[1], 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n((long *)arg[1], __ATOMIC_SEQ_CST) < (r + 1) * arg[4])
				__asm__ volatile("pause");
			sum += *(volatile long *)(arg[3] + r * 4096);
		}
		gsys1(SYS_REPORT, sum);
		return 0;
	case P_WATCH:
		for (;;) {
			long fence = *(volatile long *)arg[2];
			long v = *q;

			*(volatile long *)&arg[3] = 1;
			if (fence && v == arg[4])
				return 1; /* a stale mapping: the old page after the invalidation */
		}
	case P_FLAG_SPIN:
		*(volatile long *)arg[1] = 1;
		for (;;)
			__asm__ volatile("pause");
	case P_COUNT:
		for (long i = 1; i <= arg[2]; i++) {
			++*q;
			if (i % arg[3] == 0)
				gsys0(39);
		}
		gsys1(SYS_REPORT, *q);
		return 0;
	}
	return 100;
}
