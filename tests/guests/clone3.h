/*
 * clone3.h - clone3(2) and the pidfd calls for the guest test programs
 * (t_clone3, t_pidfd), through raw system calls: neither libc wraps all of
 * them and musl's headers have no struct clone_args.
 */
#ifndef UVK_TESTS_GUESTS_CLONE3_H
#define UVK_TESTS_GUESTS_CLONE3_H

#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's numbers and values (include/uapi/linux/sched.h, pidfd.h). */
#define NR_clone3	      435
#define NR_pidfd_getfd	      438
#define NR_pidfd_open	      434
#define NR_pidfd_send_signal  424
#define K_CLONE_PIDFD	      0x00001000ULL
#define K_CLONE_DETACHED      0x00400000ULL
#define K_CLONE_NEWCGROUP     0x02000000ULL
#define K_CLONE_CLEAR_SIGHAND 0x100000000ULL
#define K_CLONE_INTO_CGROUP   0x200000000ULL
#define K_P_PIDFD	      3
#define K_PIDFD_NONBLOCK      O_NONBLOCK

/* struct clone_args: version 0 is 64 bytes, 1 is 80 (set_tid), 2 is 88 (cgroup). */
struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* clone3 as fork: the child returns 0 here. */
static long __attribute__((unused)) sys_clone3(struct k_clone_args *ca, size_t size)
{
	return syscall(NR_clone3, ca, size);
}

/*
 * clone3_run - clone3 whose child calls fn(arg) on whatever stack the
 * struct gives it and exits with fn's value (exit, not exit_group: the
 * child may share memory with its parent and must not run libc's exit).
 * Returns the child's pid or -errno. Written in assembly because the
 * child starts on a new stack, where no C frame of the caller exists.
 */
long clone3_run(struct k_clone_args *ca, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl clone3_run\n"
	".type clone3_run, @function\n"
	"clone3_run:\n"
	"	mov %rdx, %r8\n" /* fn and arg in registers syscall keeps */
	"	mov %rcx, %r9\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size clone3_run, .-clone3_run\n");

static inline int __attribute__((unused)) pidfd_open_(int pid, unsigned flags)
{
	return (int)syscall(NR_pidfd_open, pid, flags);
}

static inline int __attribute__((unused))
pidfd_send_signal_(int fd, int sig, void *info, unsigned flags)
{
	return (int)syscall(NR_pidfd_send_signal, fd, sig, info, flags);
}

#endif /* UVK_TESTS_GUESTS_CLONE3_H */
