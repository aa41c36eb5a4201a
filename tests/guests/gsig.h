/*
 * gsig.h - signal helpers shared by t_signal, t_sigfault and t_sigproc.
 *
 * Masks are read and set with the raw system calls, as 64-bit words (the
 * kernel's sigset), so that glibc and musl builds see exactly what the
 * kernel keeps, including the signals libc reserves for itself. Include
 * after guest.h.
 */
#ifndef UVK_TESTS_GUESTS_GSIG_H
#define UVK_TESTS_GUESTS_GSIG_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(sig) (1ULL << ((sig)-1))

static uint64_t kmask(void) __attribute__((unused));
static uint64_t kpending(void) __attribute__((unused));

/* The blocked set, as the kernel has it. */
static uint64_t
kmask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	return m;
}

/* The pending set (pending and blocked, as rt_sigpending reports it). */
static uint64_t
kpending(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigpending, &m, 8);
	return m;
}

static sigset_t
sigset_of(uint64_t bits)
{
	sigset_t set;
	int s;

	sigemptyset(&set);
	for (s = 1; s <= 64; s++)
		if (bits & BIT(s))
			sigaddset(&set, s);
	return set;
}

/* Install fn for sig with SA_SIGINFO, the extra flags and sa_mask bits. */
static int
handle_mask(int sig, void (*fn)(int, siginfo_t *, void *), int flags, uint64_t mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sa.sa_mask = sigset_of(mask);
	return sigaction(sig, &sa, NULL);
}

static int handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
    __attribute__((unused));

/* The same with an empty sa_mask. */
static int
handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	return handle_mask(sig, fn, flags, 0);
}

/* Set sig to SIG_DFL or SIG_IGN. */
static int
dispose(int sig, void (*disp)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = disp;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

#endif /* UVK_TESTS_GUESTS_GSIG_H */
