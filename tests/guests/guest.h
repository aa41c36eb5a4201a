/*
 * guest.h - check helpers shared by the guest test programs.
 *
 * The programs in tests/guests/ run as guests of uvk (and natively, to prove
 * that they are right). Each one checks one area of the kernel, prints a line
 * per check and exits 0 only when every check passed. A failed check prints
 *
 *	FAIL: <what> (got X, want Y)
 *
 * and the program goes on, so that one run shows every failure.
 *
 * Output goes straight to write(2) on descriptor 1 from a static buffer, not
 * through stdio: a program killed by a signal on purpose (t_mprotect) must not
 * lose buffered lines, and a program that moves the break itself (t_brk_mmap)
 * must not have malloc move it too. This header is compiled by both glibc and
 * musl, so it uses nothing but POSIX and the raw system call numbers, never
 * <linux/...> headers, which musl-gcc does not see.
 */
#ifndef UVK_TESTS_GUESTS_GUEST_H
#define UVK_TESTS_GUESTS_GUEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *guest_name = "guest";
static int guest_checks;
static int guest_failures;

/* Not every program uses every helper: declared unused, with printf checking. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static const char *errname(int e) __attribute__((unused));
static void guest_begin(const char *name, const char *what) __attribute__((unused));
static int guest_end(void) __attribute__((unused));
static int check(int ok, const char *what, const char *gotwant_fmt, ...)
    __attribute__((format(printf, 3, 4), unused));

/*
 * say - print a formatted line (the caller gives the newline) with one write
 * per line. Lines longer than the buffer are cut, never split.
 */
static void
say(const char *fmt, ...)
{
	static char buf[2048];
	va_list ap;
	int len;
	int off = 0;

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

/*
 * errname - the symbolic name of an errno value, for messages; the codes a
 * guest kernel returns to these programs, not all of them.
 */
static const char *
errname(int e)
{
	static char other[2][24];
	static int turn;

	/* clang-format off */
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default:
		turn ^= 1;
		snprintf(other[turn], sizeof(other[turn]), "errno %d", e);
		return other[turn];
	}
	/* clang-format on */
}

/* guest_begin - name the program in its messages and print the banner. */
static void
guest_begin(const char *name, const char *what)
{
	guest_name = name;
	say("%s: %s\n", name, what);
}

/* guest_end - print the summary; returns the exit status for main(). */
static int
guest_end(void)
{
	say("%s: %d checks, %d failed: %s\n", guest_name, guest_checks, guest_failures,
	    guest_failures ? "FAIL" : "PASS");
	return guest_failures ? 1 : 0;
}

/*
 * check - record one check. On failure print "FAIL: what (got .., want ..)"
 * with the got/want text formatted by the caller. Returns ok, so that a
 * caller can skip what depends on a failed check.
 */
static int
check(int ok, const char *what, const char *gotwant_fmt, ...)
{
	char detail[512];
	va_list ap;

	guest_checks++;
	if (ok) {
		say("ok   %s\n", what);
		return 1;
	}
	guest_failures++;
	va_start(ap, gotwant_fmt);
	vsnprintf(detail, sizeof(detail), gotwant_fmt, ap);
	va_end(ap);
	say("FAIL: %s (%s)\n", what, detail);
	return 0;
}

/* Checks of integers and strings; got and want are evaluated once. */
#define CHECK_EQ(what, got, want)                                                                  \
	({                                                                                         \
		long long _g = (long long)(got), _w = (long long)(want);                           \
		check(_g == _w, (what), "got %lld, want %lld", _g, _w);                            \
	})

#define CHECK_EQX(what, got, want)                                                                 \
	({                                                                                         \
		unsigned long long _g = (unsigned long long)(got);                                 \
		unsigned long long _w = (unsigned long long)(want);                                \
		check(_g == _w, (what), "got %#llx, want %#llx", _g, _w);                          \
	})

#define CHECK_STR(what, got, want)                                                                 \
	({                                                                                         \
		const char *_g = (got), *_w = (want);                                              \
		check(_g != NULL && _w != NULL && strcmp(_g, _w) == 0, (what),                     \
		      "got \"%s\", want \"%s\"", _g ? _g : "(null)", _w ? _w : "(null)");          \
	})

/*
 * CHECK_OK - a libc or raw syscall() call returned >= 0 (or, for pointer
 * results, anything the caller turned into a non-negative long).
 */
#define CHECK_OK(what, ret)                                                                        \
	({                                                                                         \
		long _r = (long)(ret);                                                             \
		int _e = errno;                                                                    \
		check(_r >= 0, (what), "got %ld errno %s, want >= 0", _r, errname(_e));            \
	})

/* CHECK_ERR - a call returned -1 with errno want. */
#define CHECK_ERR(what, ret, want)                                                                 \
	({                                                                                         \
		long _r = (long)(ret);                                                             \
		int _e = errno;                                                                    \
		check(_r == -1 && _e == (want), (what), "got %ld errno %s, want -1 errno %s", _r,  \
		      _r == -1 ? errname(_e) : "-", errname(want));                                \
	})

/* CHECK_TRUE - a condition, with a free-form got/want text. */
#define CHECK_TRUE(what, cond, ...) check(!!(cond), (what), __VA_ARGS__)

#endif /* UVK_TESTS_GUESTS_GUEST_H */
