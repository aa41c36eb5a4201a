/* main.c - prints one line per computation; the output is compared with the native build's. */
#include <stdio.h>
#include "parts.h"

int
main(void)
{
	printf("fib(80) = %lu\n", fib(80));
	printf("crc32(\"uvk\") = %08x\n", crc32_of("uvk"));
	printf("primes below 100000: %u\n", primes_below(100000));
	return 0;
}
