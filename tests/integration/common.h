/*
 * common.h - CMocka plumbing shared by the integration tests: each test
 * loads g_probe into a fresh vmspace with one probe selected.
 */
#ifndef UVK_TESTS_COMMON_H
#define UVK_TESTS_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mini.h"

enum probe {
	P_ARGS = 0,
	P_HOSTCALLS,
	P_TOUCH,
	P_UD2,
	P_DIV0,
	P_READ_AT,
	P_INT3,
	P_SPIN,
	P_READ_TWICE,
	P_XMM,
	P_STUB_JUMP,
	P_STUB_WRITE,
	P_WRITE_AT,
	P_RACE,
	P_WATCH,
	P_FLAG_SPIN,
	P_COUNT,
};

static inline void
probe_setup(struct mini *m, enum probe p)
{
	assert_int_equal(mini_init(m, 64ULL << 20), 0);
	assert_int_equal(mini_load(m, mini_guest("g_probe")), 0);
	m->arg[0] = p;
}

#endif /* UVK_TESTS_COMMON_H */
