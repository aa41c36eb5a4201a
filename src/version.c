/*
 * version.c - uvk_version(): the version of the library loaded at run time,
 * which a program compares with UVK_VERSION from the headers it built with.
 */
#include <uvk/uvk.h>

#include "compiler.h"

UVK_EXPORT const char *
uvk_version(void)
{
	return UVK_VERSION;
}
