/*
 * fz_target.c - the valid program the ELF mutator starts from (built as a
 * glibc static ET_EXEC and as a static PIE) and the interpreter of its
 * scripts. It says it ran, with its first argument, and exits 0.
 */
#include <stdio.h>

int
main(int argc, char **argv)
{
	printf("fz_target ok%s%s\n", argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	return 0;
}
