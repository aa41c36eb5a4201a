/*
 * sys_proc.c - process syscalls: exit, execve, identities, limits, TLS.
 *
 * Layer src/guestkernel/sys. Argument checking and the small state these calls
 * keep in struct gk_proc. Signals are in sys_signal.c; fork, wait and
 * process groups in sys_task.c.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sys.h"

/* exit ends the calling thread; the process ends with its last thread. */
GK_SYS(exit)
{
	gk_task_exit(p, (gk_arg_int(a, 0) & 0xff) << 8);
	return 0;
}

GK_SYS(exit_group)
{
	gk_proc_exit(p, (gk_arg_int(a, 0) & 0xff) << 8);
	return 0;
}

GK_SYS(arch_prctl)
{
	int option = gk_arg_int(a, 0);
	unsigned long arg2 = gk_arg_ulong(a, 1);

	/*
	 * A base at or above the host's TASK_SIZE_MAX is EPERM, as Linux: the
	 * host would refuse to load it into the vmspace, and the guest's page
	 * table limit (UVK_VA_MAX) is a page higher.
	 */
	switch (option) {
	case ARCH_SET_FS:
		if (arg2 >= GK_TASK_SIZE)
			return -EPERM;
		p->regs.fs_base = arg2;
		return 0;
	case ARCH_SET_GS:
		if (arg2 >= GK_TASK_SIZE)
			return -EPERM;
		p->regs.gs_base = arg2;
		return 0;
	case ARCH_GET_FS:
		return gk_copyout(p, arg2, &p->regs.fs_base, 8);
	case ARCH_GET_GS:
		return gk_copyout(p, arg2, &p->regs.gs_base, 8);
	}
	return -EINVAL;
}

GK_SYS(set_tid_address)
{
	p->clear_tid = gk_arg_ptr(a, 0);
	return p->tid;
}

GK_SYS(getpid)
{
	return p->tg->gpid;
}

GK_SYS(gettid)
{
	return p->tid;
}

GK_SYS(getppid)
{
	return p->tg->gppid;
}

GK_SYS(getuid)
{
	return p->k->uid;
}

GK_SYS(getgid)
{
	return p->k->gid;
}

GK_SYS(getgroups)
{
	gid_t g = p->k->gid;

	int size = gk_arg_int(a, 0);

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return 1;
	return gk_copyout(p, gk_arg_ptr(a, 1), &g, sizeof(g)) < 0 ? -EFAULT : 1;
}

GK_SYS(getresuid)
{
	uid_t u = p->k->uid;

	if (gk_copyout(p, gk_arg_ptr(a, 0), &u, 4) < 0 || gk_copyout(p, gk_arg_ptr(a, 1), &u, 4) < 0 ||
	    gk_copyout(p, gk_arg_ptr(a, 2), &u, 4) < 0)
		return -EFAULT;
	return 0;
}

GK_SYS(getresgid)
{
	gid_t g = p->k->gid;

	if (gk_copyout(p, gk_arg_ptr(a, 0), &g, 4) < 0 || gk_copyout(p, gk_arg_ptr(a, 1), &g, 4) < 0 ||
	    gk_copyout(p, gk_arg_ptr(a, 2), &g, 4) < 0)
		return -EFAULT;
	return 0;
}

/* setuid and friends: only to the identity the guest already has. */
GK_SYS(setid)
{
	return gk_arg_uint(a, 0) == (uint32_t)p->k->uid || gk_arg_uint(a, 0) == (uint32_t)p->k->gid ||
		       gk_arg_int(a, 0) == -1
		   ? 0
		   : -EPERM;
}

GK_SYS(prlimit64)
{
	struct rlimit nl;
	int pid = gk_arg_int(a, 0);
	unsigned int r = gk_arg_uint(a, 1);
	uint64_t newp = gk_arg_ptr(a, 2), oldp = gk_arg_ptr(a, 3);

	if (pid != 0 && pid != p->tg->gpid)
		return -ESRCH;
	/* r indexes rlim[] only after this check, on the same value. */
	if (r >= RLIM_NLIMITS)
		return -EINVAL;
	if (newp && gk_copyin(p, &nl, newp, sizeof(nl)) < 0)
		return -EFAULT;
	if (newp && nl.rlim_cur > nl.rlim_max)
		return -EINVAL;
	if (oldp && gk_copyout(p, oldp, &p->tg->rlim[r], sizeof(struct rlimit)) < 0)
		return -EFAULT;
	if (newp) {
		if (nl.rlim_max > p->tg->rlim[r].rlim_max)
			return -EPERM;
		p->tg->rlim[r] = nl;
		if (r == RLIMIT_STACK)
			p->vm->stack_max = nl.rlim_cur < (1ULL << 32) ? nl.rlim_cur : (1ULL << 32);
		if (r == RLIMIT_NOFILE)
			gk_fdt_set_limit(p->fdt, nl.rlim_cur);
	}
	return 0;
}

GK_SYS(getrlimit)
{
	struct gk_args b = gk_args_make(0, gk_arg_uint(a, 0), 0, gk_arg_ptr(a, 1), 0, 0);

	return gk_sys_prlimit64(p, &b);
}

GK_SYS(setrlimit)
{
	struct gk_args b = gk_args_make(0, gk_arg_uint(a, 0), gk_arg_ptr(a, 1), 0, 0, 0);

	return gk_sys_prlimit64(p, &b);
}

/* Copy a NULL-terminated guest vector of strings in; *ret is one malloc'd block. */
static long
strv_in(struct gk_proc *p, uint64_t gva, char ***ret)
{
	size_t n = 0, cap = 16, used = 0;
	char **v = malloc(cap * sizeof(*v)), *pool = malloc(1 << 21);
	uint64_t ptr;
	long len;

	if (!v || !pool)
		goto fail_nomem;
	while (gva) {
		if (gk_copyin(p, &ptr, gva + n * 8, 8) < 0) {
			free(v);
			free(pool);
			return -EFAULT;
		}
		if (!ptr)
			break;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (!nv)
				goto fail_nomem;
			v = nv;
		}
		len = gk_strncpyin(p, pool + used, ptr, (1 << 21) - used);
		if (len < 0) {
			free(v);
			free(pool);
			return len == -ENAMETOOLONG ? -E2BIG : len;
		}
		v[n++] = (char *)used;
		used += (size_t)len + 1;
	}
	v[n] = NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = pool + (size_t)v[i];
	/* The pool hangs off the vector: v[n+1] keeps it for strv_free. */
	if (n + 2 > cap) {
		char **nv = realloc(v, (n + 2) * sizeof(*v));

		if (!nv)
			goto fail_nomem;
		v = nv;
	}
	v[n + 1] = pool;
	*ret = v;
	return (long)n;
fail_nomem:
	free(v);
	free(pool);
	return -ENOMEM;
}

static void
strv_free(char **v, long n)
{
	if (!v)
		return;
	free(v[n + 1]);
	free(v);
}

GK_SYS(execve)
{
	char path[GK_PATH_MAX], **argv = NULL, **envp = NULL;
	long n = gk_strncpyin(p, path, gk_arg_ptr(a, 0), sizeof(path)), argc = 0, envc = 0;
	int err;

	if (n < 0)
		return n;
	argc = strv_in(p, gk_arg_ptr(a, 1), &argv);
	if (argc < 0)
		return argc;
	envc = strv_in(p, gk_arg_ptr(a, 2), &envp);
	if (envc < 0) {
		strv_free(argv, argc);
		return envc;
	}
	err = gk_exec(p, path, argv, envp);
	if (err == 0)
		gk_vfork_release(p);
	strv_free(argv, argc);
	strv_free(envp, envc);
	/* On success the registers are the new image's: rax must stay 0. */
	return err;
}

GK_SYS(prctl)
{
	int option = gk_arg_int(a, 0);
	unsigned long arg2 = gk_arg_ulong(a, 1);
	/* arg3..arg5 are unsigned long: a call that wants them 0 checks all 64 bits. */
	int rest = gk_arg_ulong(a, 2) || gk_arg_ulong(a, 3) || gk_arg_ulong(a, 4);
	char name[16];
	int r;

	switch (option) {
	case PR_SET_NAME:
		if (gk_strncpyin(p, name, arg2, sizeof(name)) == -EFAULT)
			return -EFAULT;
		name[15] = '\0';
		memcpy(p->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return gk_copyout(p, arg2, p->comm, sizeof(p->comm));
	case PR_GET_DUMPABLE:
		return p->tg->dumpable;
	case PR_SET_DUMPABLE:
		/* SUID_DUMP_DISABLE or SUID_DUMP_USER; 2 (root-only dumps) is not settable. */
		if (arg2 > 1)
			return -EINVAL;
		p->tg->dumpable = (int)arg2;
		return 0;
	case PR_SET_PDEATHSIG:
		if (arg2 >= GK_NSIG)
			return -EINVAL;
		p->pdeath_sig = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return gk_copyout(p, arg2, &p->pdeath_sig, sizeof(int));
	case PR_SET_CHILD_SUBREAPER:
		p->tg->subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return gk_copyout(p, arg2, &p->tg->subreaper, sizeof(int));
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || rest)
			return -EINVAL;
		p->nnp = 1; /* for good: inherited by fork, clone and exec, never cleared */
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return arg2 || rest ? -EINVAL : p->nnp;
	case PR_GET_KEEPCAPS:
		return p->keepcaps;
	case PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		p->keepcaps = (int)arg2;
		return 0;
	case PR_CAPBSET_READ:
		/*
		 * The guest has the tracer's bounding set, as a child of the
		 * same process would: the host answers, EINVAL for a
		 * capability it does not know included.
		 */
		if (arg2 > INT_MAX)
			return -EINVAL;
		r = prctl(PR_CAPBSET_READ, arg2, 0, 0, 0);
		return r < 0 ? -errno : r;
	}
	return -EINVAL;
}

/*
 * ptrace: not offered inside the guest, which a container forbids the
 * same way: EPERM, so that strace and gdb say they may not trace.
 */
GK_SYS(ptrace)
{
	(void)p;
	(void)a;
	return -EPERM;
}
