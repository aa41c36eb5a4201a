/*
 * sysarg.h - the one typed layer every syscall handler reads its arguments through.
 *
 * Layer src/guestkernel/sys. The six argument registers arrive as 64-bit
 * values the guest chose, every bit of them. Linux reads each through the
 * C type of that syscall's prototype (SYSCALL_DEFINEn casts the register to
 * the declared type), so an int argument keeps its low 32 bits and the high
 * half is simply not there: ioctl(3 | 1L << 32, ...) is ioctl(3, ...). A
 * handler here that reads a register raw can look up descriptor 3 and then
 * index with all 64 bits, so no handler does: it names the C type of each
 * argument by calling one accessor below, which truncates (or not) exactly
 * as that type does.
 *
 *   accessor          Linux type                 used for
 *   gk_arg_int        int                        pid_t, clockid_t, timer_t, flags, how, which,
 * option gk_arg_uint       unsigned int               flags, cmd, whence, counts declared unsigned
 * int gk_arg_fd         int or unsigned int fd     descriptors (same low 32 bits, as int: a value
 *                                                >= 2^31 is negative and no table takes it)
 *   gk_arg_long       long, off_t, loff_t        offsets, signed 64-bit values
 *   gk_arg_ulong      unsigned long              flags and values declared unsigned long
 *   gk_arg_size       size_t                     lengths (check with gk_size_add before sums)
 *   gk_arg_ptr        const void __user *        guest addresses, all 64 bits
 *   gk_arg_mode       umode_t (unsigned short)   modes of open, mkdir, chmod...
 *   gk_arg_uid/gid    uid_t, gid_t (32 bits)     owners; (uid_t)-1 means "no change"
 *
 * The struct hides the registers: a handler that writes a[0] gets a struct,
 * not a number, and does not compile. Only this header and the dispatcher
 * (systab.c) touch reg[]; tests/unit/sysarg/sysarg_check.sh checks the sys_*.c
 * files.
 *
 * Must not: validate meaning (ranges, flags); that is each handler's job,
 * done on the value these accessors return.
 */
#ifndef UVK_GUESTKERNEL_SYSARG_H
#define UVK_GUESTKERNEL_SYSARG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * GK_TASK_SIZE - the host's user-space limit (x86-64 TASK_SIZE_MAX, 47-bit
 * addresses less one guard page). Linux refuses user addresses at or above
 * it (arch_prctl and clone TLS: EPERM, mmap: ENOMEM), and the host refuses to
 * load such a register or place such a mapping in a vmspace, so the guest
 * kernel checks against this, never against the page table's UVK_VA_MAX.
 */
#define GK_TASK_SIZE 0x7ffffffff000ULL

struct gk_args {
	uint64_t reg[6]; /* rdi, rsi, rdx, r10, r8, r9 as trapped: read through gk_arg_* */
};

static inline int
gk_arg_int(const struct gk_args *a, int i)
{
	return (int)(uint32_t)a->reg[i];
}

static inline unsigned int
gk_arg_uint(const struct gk_args *a, int i)
{
	return (uint32_t)a->reg[i];
}

static inline int
gk_arg_fd(const struct gk_args *a, int i)
{
	return (int)(uint32_t)a->reg[i];
}

static inline long
gk_arg_long(const struct gk_args *a, int i)
{
	return (long)a->reg[i];
}

static inline unsigned long
gk_arg_ulong(const struct gk_args *a, int i)
{
	return (unsigned long)a->reg[i];
}

static inline size_t
gk_arg_size(const struct gk_args *a, int i)
{
	return (size_t)a->reg[i];
}

static inline uint64_t
gk_arg_ptr(const struct gk_args *a, int i)
{
	return a->reg[i];
}

static inline mode_t
gk_arg_mode(const struct gk_args *a, int i)
{
	return (mode_t)(uint16_t)a->reg[i];
}

static inline uid_t
gk_arg_uid(const struct gk_args *a, int i)
{
	return (uid_t)(uint32_t)a->reg[i];
}

static inline gid_t
gk_arg_gid(const struct gk_args *a, int i)
{
	return (gid_t)(uint32_t)a->reg[i];
}

/*
 * gk_size_add - *sum = x + y for guest lengths and addresses. Returns 0, or
 * -1 (and *sum untouched) when the sum wraps: check before any arithmetic
 * on a guest size.
 */
static inline int
gk_size_add(uint64_t x, uint64_t y, uint64_t *sum)
{
	if (x + y < x)
		return -1;
	*sum = x + y;
	return 0;
}

/*
 * gk_args_make - build an argument set in the kernel (one handler calling
 * another with a rearranged set, as sched_setparam does).
 */
static inline struct gk_args
gk_args_make(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct gk_args r = {{a0, a1, a2, a3, a4, a5}};

	return r;
}

#endif /* UVK_GUESTKERNEL_SYSARG_H */
