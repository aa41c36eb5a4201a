/*
 * kctx.h - an explicit guest-kernel context for unit tests of the kernel's
 * mechanisms (VMAs, the path walker, tmpfs, pipes, wait queues), with no
 * guest process and no ptrace: a struct gk_kernel over a real pmem (a
 * memfd of a few MiB) with its frame allocator, the mounts of a boot (the
 * root a fresh host directory, the guest's /tmp a tmpfs, /dev, /proc, and
 * any binds asked for, each a fresh host directory too), and one process
 * to pass where a function wants the current one.
 *
 * That process's address space is unbound (gk_vm_new_unbound): its page
 * table lives in the pmem like any other, faults fill it, copyin/copyout
 * work through it, but no host process runs it. Layer tests/unit; links
 * the guest kernel's static library (gk_lib) as it is, so a gk_panic()
 * aborts the test, which fails it.
 */
#ifndef UVK_TESTS_KCTX_H
#define UVK_TESTS_KCTX_H

#include <stddef.h>
#include <stdint.h>

#include "guestkernel/entry/entry.h"

#define KCTX_MAX_BINDS	 4
#define KCTX_RAM_DEFAULT (8u << 20)

struct kctx {
	struct gk_kernel *k;
	struct gk_proc *p; /* pid 1: cwd "/", umask 022, no descriptors, an unbound vm */
	char root[64];	   /* host directory that is the guest's "/" */
	char bind[KCTX_MAX_BINDS][64]; /* host directory behind each bind, in order */
	int nbinds;
	struct gk_config cfg; /* what gk_vfs_init was given */
};

/*
 * kctx_new - boot a kernel with ram bytes of guest RAM (0: KCTX_RAM_DEFAULT)
 * and a bind at each guest path of binds (NULL-terminated list, or NULL;
 * at most KCTX_MAX_BINDS). Fails the calling test on any error; never
 * returns NULL.
 */
struct kctx *kctx_new(uint64_t ram, const char *const *binds);

/* kctx_free - free every process, the mounts, /tmp, the RAM, and remove the host directories. */
void kctx_free(struct kctx *c);

/*
 * kctx_proc_new - another process, child of c->p, made as kctx_new makes
 * c->p (own empty unbound vm, own empty descriptor table, cwd "/"): the
 * other end of a pipe, a waiter. kctx_free frees it.
 */
struct gk_proc *kctx_proc_new(struct kctx *c);

/*
 * kctx_sys - run system call nr with arguments a[0..5] as process p would
 * (gk_syscall: the table, its argument decoding, --trace when set). Returns
 * the result the guest would see in rax, or -GK_EBLOCK when the call would
 * block: the process is left runnable (not asleep, insys clear), and the
 * test issues the call again when it has made it ready. KCTX_SYS(p, nr,
 * args...) passes fewer arguments, zeroes for the rest.
 */
long kctx_sys(struct gk_proc *p, long nr, const uint64_t a[6]);
#define KCTX_SYS(p, nr, ...) kctx_sys((p), (nr), (const uint64_t[6]){__VA_ARGS__})

/*
 * kctx_user_alloc - len bytes of fresh anonymous read-write memory in c->p's
 * address space (a new VMA, page-aligned, zero-filled when first
 * touched). Returns its gva; fails the test when the vm refuses.
 */
uint64_t kctx_user_alloc(struct kctx *c, size_t len);

/* kctx_user_str - s copied into fresh user memory of c->p, NUL included: a path argument. */
uint64_t kctx_user_str(struct kctx *c, const char *s);

/* kctx_user_alloc and kctx_user_str in process p's address space (c->p's or kctx_proc_new's). */
uint64_t kctx_user_alloc_in(struct kctx *c, struct gk_proc *p, size_t len);
uint64_t kctx_user_str_in(struct kctx *c, struct gk_proc *p, const char *s);

/*
 * Host-side set-up under base (c->root or c->bind[i]), relative path rel,
 * with the parent directories made as needed. Each fails the test on error.
 */
void kctx_host_mkdir(const char *base, const char *rel);
void kctx_host_write(const char *base, const char *rel, const char *content);
void kctx_host_symlink(const char *base, const char *rel, const char *target);

#endif /* UVK_TESTS_KCTX_H */
