/*
 * filter.c - the seccomp filter every vmspace child runs under.
 *
 * Layer: src/tracer. Guest code runs only under PTRACE_SYSEMU, where no
 * system call executes and the filter is not even consulted. The filter is
 * the second wall, for the moments the child runs under PTRACE_CONT (the
 * stub running a batch) and for any bug that would let guest code run so:
 *
 *   1. a prologue (hand-written: libseccomp cannot test the instruction
 *      pointer) kills the process unless the call comes from the stub's one
 *      syscall instruction, or from the vsyscall page;
 *   2. the body, built with libseccomp, allows only what the stub needs:
 *      mmap of the pmem descriptor, MAP_SHARED|MAP_FIXED (optionally
 *      MAP_POPULATE), prot within rwx; munmap; mprotect within rwx; and,
 *      for the vCPUs' host threads (tracer_make_spare), clone with exactly
 *      TRACER_THREAD_CLONE_FLAGS (a thread of this process: no new
 *      namespace, no tid written anywhere) and pause, the spare's park.
 *      Anything else kills the process.
 *
 * Jumping into the stub gains guest code nothing: under SYSEMU the stub's
 * syscall is emulated like any other, and only the tracer ever resumes the
 * child with PTRACE_CONT, with rip at the stub entry.
 *
 * The vsyscall page: a guest call to 0xffffffffff600000 (gettimeofday),
 * +0x400 (time) or +0x800 (getcpu) is no syscall instruction, so SYSEMU does
 * not stop it: the host kernel emulates it (vsyscall=xonly) and asks the
 * filter first, with the instruction pointer in that page. The filter
 * answers SECCOMP_RET_TRAP: the host then skips the call, performs the
 * emulated ret (rip = the caller, rsp + 8) and raises SIGSYS with
 * si_call_addr in the page, which run.c turns into a UVK_ABI_VSYSCALL trap
 * so the guest kernel answers the call, as Linux does. (SECCOMP_RET_TRACE
 * would stop the child inside the emulation, where any change of rip, a
 * signal handler's for one, makes the host kill it with SIGSYS.) The host
 * has checked the entry point, the stack and the pointers before it asks;
 * nothing is executed or written on the host's behalf.
 */
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "internal.h"

#define PROLOGUE_LEN 10
#define VSYSCALL_PAGE 0xffffffffff600000ULL

static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_filter *filter_insns;
static unsigned short filter_len;
static uint64_t filter_ip;

/* Build the libseccomp body and return its BPF in a malloc'd buffer. */
static int
build_body(struct sock_filter **ret, size_t *ret_len)
{
	scmp_filter_ctx ctx;
	const uint64_t rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
	int rc, fd;
	off_t len;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 3,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, ~rwx, 0),
			      SCMP_A3(SCMP_CMP_MASKED_EQ, ~(uint64_t)MAP_POPULATE,
				      MAP_SHARED | MAP_FIXED),
			      SCMP_A4(SCMP_CMP_EQ, TRACER_PMEM_FD));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(munmap), 0);
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, ~rwx, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_EQ, (uint64_t)TRACER_THREAD_CLONE_FLAGS));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pause), 0);
	if (rc)
		goto out_release;

	/* libseccomp 2.5 exports only to a descriptor; a memfd holds it. */
	fd = memfd_create("uvk-filter", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out_release;
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc)
		goto out_close;
	len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % sizeof(struct sock_filter) || len > 65536) {
		rc = -EINVAL;
		goto out_close;
	}
	*ret = malloc(len);
	if (!*ret) {
		rc = -ENOMEM;
		goto out_close;
	}
	if (pread(fd, *ret, len, 0) != len) {
		free(*ret);
		rc = -EIO;
		goto out_close;
	}
	*ret_len = len / sizeof(struct sock_filter);
out_close:
	close(fd);
out_release:
	seccomp_release(ctx);
	return rc;
}

/*
 * tracer_filter - the whole program for a stub at stub_base, built once and
 * shared (every pmem places its stub at the same address). Returns 0 and
 * fills *ret, or a negative errno.
 */
int
tracer_filter(uint64_t stub_base, struct sock_fprog *ret)
{
	uint64_t ip = stub_base + tracer_stub_syscall_offset();
	struct sock_filter *body = NULL, *prog;
	size_t body_len = 0;
	int rc = 0;

	pthread_mutex_lock(&filter_lock);
	if (filter_insns && filter_ip == ip)
		goto out;
	rc = build_body(&body, &body_len);
	if (rc)
		goto out;
	prog = calloc(PROLOGUE_LEN + body_len, sizeof(*prog));
	if (!prog) {
		free(body);
		rc = -ENOMEM;
		goto out;
	}
	/*
	 * seccomp_data.instruction_pointer, high word then low word (little
	 * endian): the stub's instruction goes on to the body (10), the
	 * vsyscall page traps (8), anything else is killed (9).
	 */
	prog[0] = (struct sock_filter)BPF_STMT(
		BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
	prog[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 0, 2);
	prog[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, instruction_pointer));
	prog[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 6, 5);
	prog[4] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					       (uint32_t)(VSYSCALL_PAGE >> 32), 0, 4);
	prog[5] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					       offsetof(struct seccomp_data, instruction_pointer));
	prog[6] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfffff000u);
	prog[7] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)VSYSCALL_PAGE,
					       0, 1);
	prog[8] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog[9] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	memcpy(prog + PROLOGUE_LEN, body, body_len * sizeof(*body));
	free(body);
	free(filter_insns);
	filter_insns = prog;
	filter_len = PROLOGUE_LEN + body_len;
	filter_ip = ip;
out:
	if (!rc) {
		ret->filter = filter_insns;
		ret->len = filter_len;
	}
	pthread_mutex_unlock(&filter_lock);
	return rc;
}
