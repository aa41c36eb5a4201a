/*
 * t_args - the initial stack: argv, envp and the auxiliary vector.
 *
 * Usage: t_args [ARG...], with the environment variables
 *	UVK_T_ARGS_ARGV	the expected argv[1..], joined with newlines
 *	UVK_T_ARGS_ENV	any value; it must be seen, and it must be "a b=c d"
 * The harness (run-guest.sh) passes the arguments and sets both variables
 * (with -E under uvk, with env(1) natively), so the program checks what the
 * harness really passed rather than a list of its own.
 *
 * The stack layout checked is the one Linux builds and libc start-up relies
 * on: argv[argc] == NULL, envp right after it, auxv right after envp's NULL.
 * The auxv values are checked against the program's own ELF headers
 * (__ehdr_start, which the linker defines for static and static-PIE programs
 * alike) and against _start.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

extern const Elf64_Ehdr __ehdr_start;
extern char _start[];

/* find_aux - the entry of type in the raw vector, or NULL if absent. */
static const Elf64_auxv_t *
find_aux(const Elf64_auxv_t *auxv, unsigned long type)
{
	for (; auxv->a_type != AT_NULL; auxv++)
		if (auxv->a_type == type)
			return auxv;
	return NULL;
}

static void
check_argv(int argc, char **argv)
{
	const char *expect = getenv("UVK_T_ARGS_ARGV");
	const char *p;
	int nfields;
	int i;

	CHECK_TRUE("argv[argc] is NULL", argv[argc] == NULL, "got %p, want NULL",
		   (void *)argv[argc]);
	CHECK_TRUE("argv[0] is a non-empty string", argv[0] && argv[0][0], "got \"%s\"",
		   argv[0] ? argv[0] : "(null)");
	if (!CHECK_TRUE("UVK_T_ARGS_ARGV is in the environment", expect, "got none, want a list"))
		return;

	/* The list has one field per argument; an argument may be empty. */
	nfields = 1;
	for (p = expect; *p; p++)
		nfields += *p == '\n';
	CHECK_EQ("argc is 1 + the number of arguments passed", argc, nfields + 1);

	p = expect;
	for (i = 1; i < argc && i <= nfields; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char what[96];

		snprintf(what, sizeof(what), "argv[%d] is the argument passed (%zu bytes)", i, len);
		CHECK_TRUE(what, strlen(argv[i]) == len && memcmp(argv[i], p, len) == 0,
			   "got %zu bytes \"%.40s\", want %zu bytes \"%.*s\"", strlen(argv[i]),
			   argv[i], len, (int)(len < 40 ? len : 40), p);
		p = nl ? nl + 1 : p + len;
	}
}

static void
check_env(int argc, char **argv, char **envp)
{
	const char *v = getenv("UVK_T_ARGS_ENV");

	CHECK_TRUE("envp follows argv's NULL on the stack", envp == argv + argc + 1,
		   "got %p, want %p", (void *)envp, (void *)(argv + argc + 1));
	CHECK_STR("UVK_T_ARGS_ENV passed with -E is seen", v, "a b=c d");
}

static void
check_auxv(char **argv, char **envp)
{
	const Elf64_Ehdr *eh = &__ehdr_start;
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	const Elf64_auxv_t *auxv;
	const Elf64_auxv_t *a;
	unsigned long bias = 0;
	char **e = envp;
	/* clang-format off */
	static const struct {
		unsigned long type;
		const char *name;
	} required[] = {
		{ AT_PHDR, "AT_PHDR" },		{ AT_PHENT, "AT_PHENT" },
		{ AT_PHNUM, "AT_PHNUM" },	{ AT_PAGESZ, "AT_PAGESZ" },
		{ AT_ENTRY, "AT_ENTRY" },	{ AT_UID, "AT_UID" },
		{ AT_EUID, "AT_EUID" },		{ AT_GID, "AT_GID" },
		{ AT_EGID, "AT_EGID" },		{ AT_HWCAP, "AT_HWCAP" },
		{ AT_RANDOM, "AT_RANDOM" },	{ AT_EXECFN, "AT_EXECFN" },
	};
	/* clang-format on */
	unsigned i;
	int n;

	while (*e)
		e++;
	auxv = (const Elf64_auxv_t *)(e + 1);

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "auxv has %s", required[i].name);
		CHECK_TRUE(what, find_aux(auxv, required[i].type), "got none, want an entry");
	}
	/*
	 * getauxval() must hand back what the kernel put on the stack. glibc
	 * answers AT_HWCAP and AT_HWCAP2 from its own CPU feature bits, so those
	 * two are left out of the comparison.
	 */
	for (a = auxv; a->a_type != AT_NULL; a++) {
		char what[80];

		if (a->a_type == AT_HWCAP || a->a_type == AT_HWCAP2)
			continue;
		snprintf(what, sizeof(what), "getauxval(%lu) agrees with the raw vector",
			 (unsigned long)a->a_type);
		CHECK_EQX(what, getauxval(a->a_type), a->a_un.a_val);
	}

	CHECK_EQ("AT_PAGESZ is 4096", getauxval(AT_PAGESZ), 4096);
	CHECK_EQ("AT_PHENT is sizeof(Elf64_Phdr)", getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	CHECK_EQ("AT_PHNUM is the ELF header's e_phnum", getauxval(AT_PHNUM), eh->e_phnum);
	CHECK_EQX("AT_PHDR is where this program's headers are", getauxval(AT_PHDR),
		  (uintptr_t)phdr);
	CHECK_EQX("AT_ENTRY is the address of _start", getauxval(AT_ENTRY), (uintptr_t)_start);
	for (n = 0; n < eh->e_phnum; n++)
		if (phdr[n].p_type == PT_LOAD && phdr[n].p_offset == 0)
			bias = (uintptr_t)eh - phdr[n].p_vaddr;
	CHECK_EQX("AT_ENTRY is e_entry plus the load bias", getauxval(AT_ENTRY),
		  eh->e_entry + bias);
	say("     load bias %#lx (%s)\n", bias, eh->e_type == ET_DYN ? "static PIE" : "ET_EXEC");

	a = find_aux(auxv, AT_RANDOM);
	if (a && a->a_un.a_val) {
		const unsigned char *r = (const unsigned char *)a->a_un.a_val;
		unsigned nonzero = 0;

		/* Reading them is the check that they are mapped; zero is 2^-128. */
		for (i = 0; i < 16; i++)
			nonzero |= r[i];
		CHECK_TRUE("AT_RANDOM points to 16 bytes, not all zero", nonzero,
			   "got 16 zero bytes");
	}

	a = find_aux(auxv, AT_EXECFN);
	if (a && a->a_un.a_val) {
		const char *fn = (const char *)a->a_un.a_val;
		const char *base0 = strrchr(argv[0], '/');
		const char *basef = strrchr(fn, '/');
		struct stat st;

		base0 = base0 ? base0 + 1 : argv[0];
		basef = basef ? basef + 1 : fn;
		say("     AT_EXECFN \"%s\", argv[0] \"%s\"\n", fn, argv[0]);
		CHECK_STR("AT_EXECFN names the program argv[0] names", basef, base0);
		CHECK_OK("AT_EXECFN is a path that stat() finds", stat(fn, &st));
	}

	CHECK_EQ("AT_UID is getuid()", getauxval(AT_UID), getuid());
	CHECK_EQ("AT_EUID is geteuid()", getauxval(AT_EUID), geteuid());
	CHECK_EQ("AT_GID is getgid()", getauxval(AT_GID), getgid());
	CHECK_EQ("AT_EGID is getegid()", getauxval(AT_EGID), getegid());
}

/* The stack pointer the kernel gave _start is 16-byte aligned; main's frame keeps that. */
static void
check_stack(char **argv)
{
	CHECK_EQ("argv is 8-byte aligned (argc sits just below it)", (uintptr_t)argv % 8, 0);
	CHECK_EQ("argc slot below argv is 16-byte aligned", ((uintptr_t)argv - 8) % 16, 0);
}

int
main(int argc, char **argv, char **envp)
{
	guest_begin("t_args", "argv, envp and auxv of the initial stack");
	check_argv(argc, argv);
	check_env(argc, argv, envp);
	check_auxv(argv, envp);
	check_stack(argv);
	return guest_end();
}
