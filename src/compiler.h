/*
 * compiler.h - attributes shared by every module of libuvk.
 *
 * Private to src/. The library is built with hidden visibility; a public
 * function says so with UVK_EXPORT at its definition.
 */
#ifndef UVK_SRC_COMPILER_H
#define UVK_SRC_COMPILER_H

#define UVK_EXPORT __attribute__((visibility("default")))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * UVK_DEBUG_CHECK - an invariant checked in the debug/sanitizer build only
 * (meson option debug_checks). A failure traps at once (SIGILL, with the
 * location in the core or under a debugger): no message, since src/vpt may
 * not make a system call. Release code after it copes with the case itself.
 */
#ifdef UVK_DEBUG_CHECKS
#define UVK_DEBUG_CHECK(cond)                                                                      \
	do {                                                                                       \
		if (unlikely(!(cond)))                                                             \
			__builtin_trap();                                                          \
	} while (0)
#else
#define UVK_DEBUG_CHECK(cond) ((void)0)
#endif

#endif /* UVK_SRC_COMPILER_H */
