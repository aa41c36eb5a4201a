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

#endif /* UVK_SRC_COMPILER_H */
