/*
 * t_mprotect - page protections, and the fault that breaking one must raise.
 *
 * Usage: t_mprotect [ro|none|rodata]
 *
 * First the checks that need no fault: mprotect's return codes, content kept
 * across PROT_READ and PROT_NONE, writing again after PROT_READ|PROT_WRITE is
 * restored. If any of them failed the program exits 1.
 *
 * Then, as the very last thing, it breaks a protection on purpose:
 *	ro	(default) writes to a resident page that was written before and
 *		then made PROT_READ: a stale writable page-table entry would let
 *		this write through;
 *	none	reads a resident page made PROT_NONE;
 *	rodata	writes to the program's own read-only data (a file page).
 * The kernel must kill the program with SIGSEGV, so the harness expects the
 * status 139 (128 + SIGSEGV) and the line "about to ..." before it. Catching
 * the signal is not tried here: signals come in a later part of the kernel.
 * If the access goes through, the program prints FAIL and exits 1.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest.h"

#define PAGE 4096UL

static const char rodata_text[64] = "read-only data of t_mprotect";

static int
filled(const volatile char *p, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ro";
	volatile char *p;
	char *q;

	guest_begin("t_mprotect", "mprotect, then a fault on a broken protection");
	if (strcmp(mode, "ro") && strcmp(mode, "none") && strcmp(mode, "rodata")) {
		say("usage: t_mprotect [ro|none|rodata]\n");
		return 2;
	}

	q = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK_TRUE("mmap of 4 read-write pages", q != MAP_FAILED, "got errno %s",
			errname(errno)))
		return guest_end();
	p = q;
	memset(q, 'a', 4 * PAGE);

	/*
	 * Raw calls for the error codes: musl's mprotect() rounds the address
	 * down to a page itself. The unmapped range starts the call, since Linux
	 * changes the pages before a hole and only then reports ENOMEM.
	 */
	CHECK_ERR("mprotect of an unaligned address is EINVAL",
		  syscall(SYS_mprotect, q + 1, PAGE, PROT_READ), EINVAL);
	CHECK_ERR("mprotect with unknown PROT bits is EINVAL",
		  syscall(SYS_mprotect, q, PAGE, 0x100), EINVAL);
	CHECK_EQ("munmap of the 4th page", munmap(q + 3 * PAGE, PAGE), 0);
	CHECK_ERR("mprotect of an unmapped page is ENOMEM",
		  syscall(SYS_mprotect, q + 3 * PAGE, PAGE, PROT_READ), ENOMEM);

	CHECK_EQ("mprotect(PROT_READ) on page 1", mprotect(q + PAGE, PAGE, PROT_READ), 0);
	CHECK_TRUE("a read-only page still reads its content", filled(p + PAGE, PAGE, 'a'),
		   "got other bytes");
	p[0] = 'b';
	p[2 * PAGE] = 'c';
	CHECK_TRUE("its neighbours are still writable", p[0] == 'b' && p[2 * PAGE] == 'c',
		   "got '%c' '%c', want 'b' 'c'", p[0], p[2 * PAGE]);

	CHECK_EQ("mprotect(PROT_NONE) on page 2", mprotect(q + 2 * PAGE, PAGE, PROT_NONE), 0);
	CHECK_EQ("mprotect(PROT_READ|PROT_WRITE) on page 2 again",
		 mprotect(q + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
	CHECK_TRUE("content survives PROT_NONE",
		   p[2 * PAGE] == 'c' && filled(p + 2 * PAGE + 1, PAGE - 1, 'a'),
		   "got other bytes");
	p[2 * PAGE + 1] = 'd';
	CHECK_TRUE("writing works after PROT_NONE -> PROT_READ|PROT_WRITE", p[2 * PAGE + 1] == 'd',
		   "got '%c', want 'd'", p[2 * PAGE + 1]);

	CHECK_EQ("mprotect(PROT_READ|PROT_WRITE) on page 1 again",
		 mprotect(q + PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
	p[PAGE] = 'e';
	CHECK_TRUE("writing works after PROT_READ -> PROT_READ|PROT_WRITE", p[PAGE] == 'e',
		   "got '%c', want 'e'", p[PAGE]);

	/* One mprotect over pages of different protections. */
	CHECK_EQ("mprotect(PROT_READ) over pages 0..2", mprotect(q, 3 * PAGE, PROT_READ), 0);
	CHECK_TRUE("all three read back", p[0] == 'b' && p[PAGE] == 'e' && p[2 * PAGE + 1] == 'd',
		   "got other bytes");

	if (guest_failures)
		return guest_end();
	say("%s: %d checks passed\n", guest_name, guest_checks);

	if (strcmp(mode, "none") == 0) {
		CHECK_EQ("mprotect(PROT_NONE) on page 0", mprotect(q, PAGE, PROT_NONE), 0);
		say("about to read a PROT_NONE page: SIGSEGV expected\n");
		say("FAIL: reading a PROT_NONE page (got '%c', want SIGSEGV)\n", p[0]);
	} else if (strcmp(mode, "rodata") == 0) {
		volatile char *r = (volatile char *)rodata_text;

		say("about to write to the program's read-only data: SIGSEGV expected\n");
		r[0] = 'X';
		say("FAIL: writing to read-only data (got '%c' stored, want SIGSEGV)\n", r[0]);
	} else {
		say("about to write to a read-only page: SIGSEGV expected\n");
		p[PAGE] = 'f';
		say("FAIL: writing to a read-only page (got '%c' stored, want SIGSEGV)\n", p[PAGE]);
	}
	return 1;
}
