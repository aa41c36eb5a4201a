/* fib.c - Fibonacci numbers by iteration. */
#include "parts.h"

unsigned long
fib(unsigned n)
{
	unsigned long a = 0, b = 1;

	while (n-- > 0) {
		unsigned long t = a + b;

		a = b;
		b = t;
	}
	return a;
}
