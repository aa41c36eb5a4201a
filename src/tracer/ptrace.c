/*
 * ptrace.c - stops, resumes and register transfer of a vmspace child.
 *
 * Layer: src/tracer. Each function is one host primitive with the errno
 * turned into a negative return at once. Registers are cached: a load that
 * changes nothing costs no system call, which is what keeps a syscall round
 * trip at four host calls (wait, GETREGS, SETREGS, SYSEMU).
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <uvk/vmspace.h>

#include "internal.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/*
 * Counters: written by the child's tracer thread only, read by
 * uvk_vmspace_stats from any thread. A relaxed load and store (no locked
 * instruction) is enough for one writer and keeps ThreadSanitizer quiet.
 */
#define STAT_ADD(x, n) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + (n), \
					__ATOMIC_RELAXED)

/* tracer_resume - let the child run guest code (SYSEMU) or stub code (CONT). */
int
tracer_resume(struct tracer_child *c, enum tracer_resume_mode mode)
{
	int req = mode == TRACER_RESUME_SYSEMU ? PTRACE_SYSEMU : PTRACE_CONT;

	if (ptrace(req, c->pid, 0, 0))
		return -errno;
	c->regs_valid = false;
	return 0;
}

/*
 * tracer_wait - wait for the child's next stop or death and classify it.
 * Signals to the tracer restart the wait (the kick handler has already
 * interrupted the child when that was their point). Returns 0 or -ECHILD
 * if there is no such child (it was reaped already).
 */
int
tracer_wait(struct tracer_child *c, struct tracer_stop *ret)
{
	int st;

	for (;;) {
		pid_t got = waitpid(c->pid, &st, __WALL);

		if (got == c->pid)
			break;
		if (got < 0 && errno == ECHILD) {
			c->alive = false;
			return -ESRCH;
		}
		if (got < 0 && errno != EINTR)
			return -errno;
	}
	STAT_ADD(c->stats.stops, 1);
	c->regs_valid = false;
	ret->wstatus = st;
	if (WIFEXITED(st) || WIFSIGNALED(st))
		c->wstatus = st;
	if (WIFEXITED(st)) {
		ret->kind = TRACER_EXITED;
		ret->code = WEXITSTATUS(st);
		c->alive = false;
	} else if (WIFSIGNALED(st)) {
		ret->kind = TRACER_KILLED;
		ret->code = WTERMSIG(st);
		c->alive = false;
	} else if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
		ret->kind = TRACER_SYSCALL;
		ret->code = 0;
	} else if ((st >> 16) == PTRACE_EVENT_STOP) {
		ret->kind = TRACER_INTERRUPTED;
		ret->code = WSTOPSIG(st);
	} else if (st >> 16) {
		ret->kind = TRACER_EVENT;
		ret->code = st >> 16;
	} else {
		ret->kind = TRACER_SIGNAL;
		ret->code = WSTOPSIG(st);
	}
	return 0;
}

/* tracer_fetch_regs - read the general registers into c->regs. */
int
tracer_fetch_regs(struct tracer_child *c)
{
	if (ptrace(PTRACE_GETREGS, c->pid, 0, &c->regs))
		return -errno;
	c->regs_valid = true;
	return 0;
}

/*
 * tracer_load_regs - make the child's registers *want, writing only if they
 * differ from what it holds. orig_rax is forced to -1 so that the host never
 * mistakes a guest return value for a restartable syscall.
 */
int
tracer_load_regs(struct tracer_child *c, const struct user_regs_struct *want)
{
	if (c->regs_valid && !memcmp(&c->regs, want, sizeof(*want)))
		return 0;
	c->regs = *want;
	c->regs.orig_rax = (unsigned long long)-1;
	if (ptrace(PTRACE_SETREGS, c->pid, 0, &c->regs)) {
		c->regs_valid = false;
		return -errno;
	}
	c->regs_valid = true;
	STAT_ADD(c->stats.regs_loaded, 1);
	return 0;
}

/* tracer_getsiginfo - the siginfo of the signal the child is stopped for. */
int
tracer_getsiginfo(struct tracer_child *c, siginfo_t *ret)
{
	if (ptrace(PTRACE_GETSIGINFO, c->pid, 0, ret))
		return -errno;
	return 0;
}

/* tracer_get_xstate - the XSAVE area (x87, SSE, AVX...) into buf; its length in *ret_len. */
int
tracer_get_xstate(struct tracer_child *c, void *buf, size_t cap, size_t *ret_len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };

	if (ptrace(PTRACE_GETREGSET, c->pid, (void *)NT_X86_XSTATE, &iov))
		return -errno;
	*ret_len = iov.iov_len;
	return 0;
}

/* tracer_set_xstate - load an XSAVE area read by tracer_get_xstate. */
int
tracer_set_xstate(struct tracer_child *c, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (ptrace(PTRACE_SETREGSET, c->pid, (void *)NT_X86_XSTATE, &iov))
		return -errno;
	return 0;
}

/*
 * Where the stub stops: a signal stop met during a batch is the batch's end
 * only if the child is at the stub's own int3 or ud2, or (SIGSEGV, SIGBUS)
 * faulted on the stub's own pages. Anything else is a signal that was
 * pending before the batch began and is delivered at its first
 * instruction: typically the guest's own page fault, queued while a tick's
 * PTRACE_INTERRUPT was reported first. It is absorbed: the guest's
 * instruction has not completed and faults again when the guest resumes.
 */
enum stub_end { STUB_RUNNING, STUB_DONE, STUB_FAILED, STUB_FAULTED };

static enum stub_end
stub_stop(struct tracer_child *c, int sig)
{
	uint64_t code = c->stub_base + TRACER_CODE_OFF;
	uint64_t end = code + (uint64_t)(tracer_stub_end - tracer_stub_start);
	siginfo_t si;
	long rip;

	if (sig == SIGSEGV || sig == SIGBUS) {
		if (tracer_getsiginfo(c, &si) || si.si_code <= 0)
			return STUB_RUNNING;
		return (uint64_t)si.si_addr - c->stub_base < UVK_STUB_SIZE ? STUB_FAULTED
									      : STUB_RUNNING;
	}
	if (sig != SIGTRAP && sig != SIGILL)
		return STUB_RUNNING;
	errno = 0;
	rip = ptrace(PTRACE_PEEKUSER, c->pid, offsetof(struct user_regs_struct, rip), 0);
	if (errno)
		return STUB_RUNNING;
	if (sig == SIGTRAP && (uint64_t)rip == end)
		return STUB_DONE; /* just past the final int3 */
	if (sig == SIGILL && (uint64_t)rip == end - 3)
		return STUB_FAILED; /* at the ud2 before it */
	return STUB_RUNNING;
}

/*
 * tracer_run_stub - see tracer.h. Interrupt stops and stray signals met on
 * the way are absorbed: the batch always runs to its end.
 */
int
tracer_run_stub(struct tracer_child *c, unsigned count, unsigned *ret_failed, int *ret_err)
{
	struct user_regs_struct r;
	struct tracer_stop stop;
	enum stub_end end;
	int rc;

	/*
	 * Registers the child holds but we have not read are never needed:
	 * whoever resumes guest code afterwards loads a full set. So the
	 * start-up template serves, and the batch costs no GETREGS.
	 */
	r = c->regs_valid ? c->regs : c->tmpl;
	r.rip = c->stub_base + TRACER_CODE_OFF;
	r.rbx = c->stub_base + TRACER_CMD_OFF;
	r.r12 = count;
	rc = tracer_load_regs(c, &r);
	if (rc)
		return rc;
	STAT_ADD(c->stats.batches, 1);
	for (;;) {
		rc = tracer_resume(c, TRACER_RESUME_CONT);
		if (rc)
			return rc;
		rc = tracer_wait(c, &stop);
		if (rc)
			return rc;
		if (stop.kind == TRACER_EXITED || stop.kind == TRACER_KILLED)
			return -ESRCH;
		if (stop.kind == TRACER_EVENT && stop.code == PTRACE_EVENT_CLONE) {
			/* tracer_make_spare's clone: the new thread's tid, then on */
			unsigned long tid = 0;

			if (ptrace(PTRACE_GETEVENTMSG, c->pid, 0, &tid))
				return -errno;
			c->clone_tid = (pid_t)tid;
			continue;
		}
		end = stop.kind == TRACER_SIGNAL ? stub_stop(c, stop.code) : STUB_RUNNING;
		if (end == STUB_DONE)
			break;
		if (end != STUB_RUNNING) {
			rc = tracer_fetch_regs(c);
			if (rc)
				return rc;
			*ret_failed = (c->regs.rbx - (c->stub_base + TRACER_CMD_OFF)) /
				      sizeof(struct tracer_cmd);
			*ret_err = end == STUB_FAILED ? -(long long)c->regs.rax : EFAULT;
			STAT_ADD(c->stats.map_calls, *ret_failed + 1);
			return -EIO;
		}
		/* an interrupt, a host signal or a stale one: absorbed, the batch goes on */
	}
	STAT_ADD(c->stats.map_calls, count);
	c->regs_valid = false;
	return 0;
}
