/*
 * fz.h - what the fuzz guests share: a seeded PRNG, output without stdio,
 * and the mark handshake with the host harness (fuzz.py).
 *
 * Every random choice comes from one splitmix64 stream seeded from the run's
 * seed and a per-item index, so a mutant or a batch of syscalls is
 * reproduced from (seed, index) alone, whatever ran before it.
 *
 * A mark is a line "@@mark NAME" on stdout after which the guest blocks
 * reading one byte from stdin: the harness samples uvk's descriptors and
 * RSS while nothing runs, then writes the byte. Outside the harness (stdin
 * at end of file) the read returns at once and the mark costs nothing.
 */
#ifndef UVK_TESTS_FUZZ_FZ_H
#define UVK_TESTS_FUZZ_FZ_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct fz_rng {
	uint64_t s;
};

static inline uint64_t
fz_next(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* fz_seed - the stream for item index of the run seeded with seed. */
static inline void
fz_seed(struct fz_rng *r, uint64_t seed, uint64_t index)
{
	r->s = seed * 0x2545f4914f6cdd1dULL + index;
	(void)fz_next(r);
}

/*
 * fz_below - uniform-enough in [0, n); 0 when n is 0 (a bound computed from
 * corrupted fields, a p_filesz of ~0 plus one, say, may wrap to 0).
 */
static inline uint64_t
fz_below(struct fz_rng *r, uint64_t n)
{
	uint64_t v = fz_next(r);

	return n ? v % n : 0;
}

#define FZ_PICK(r, arr) ((arr)[fz_below((r), sizeof(arr) / sizeof((arr)[0]))])

static void fz_say(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void fz_mark(const char *name) __attribute__((unused));

/* fz_say - one formatted line to stdout with one write, no stdio buffer. */
static void
fz_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int len, off = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len >= (int)sizeof(buf))
		len = sizeof(buf) - 1;
	while (off < len) {
		ssize_t n = write(1, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += n;
	}
}

/* fz_mark - print the mark and wait for the harness to have sampled. */
static void
fz_mark(const char *name)
{
	char c;

	fz_say("\n@@mark %s\n", name);
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
}

#endif /* UVK_TESTS_FUZZ_FZ_H */
