/*
 * bench.h - timing helpers and the bare-mechanism loops of bench/.
 */
#ifndef UVK_BENCH_BENCH_H
#define UVK_BENCH_BENCH_H

#include <time.h>

#define REGION_BYTES (64UL << 20)

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bare_sysemu(long n);
double bare_sysemu_two(long n);
double bare_seccomp(long n);
double bare_fault(long n, int memfd);
double bare_inject(long n);
double native_map16(long n, int memfd, int touch);

#endif /* UVK_BENCH_BENCH_H */
