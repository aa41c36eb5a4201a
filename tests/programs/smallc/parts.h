/* parts.h - the small project's three computations. */
unsigned long fib(unsigned n);
unsigned crc32_of(const char *s);
unsigned primes_below(unsigned n);
