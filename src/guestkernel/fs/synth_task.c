/*
 * synth_task.c - the files of a process and of a task in /proc: stat,
 * status, statm, comm, cmdline, environ, maps; and writing comm.
 *
 * Layer src/guestkernel/fs, under synth_proc.c, which finds the task a
 * path names (nd->task) and calls here for its files. /proc/ID/stat is
 * the whole process's (its CPU time summed), task/TID/stat the task's
 * alone; status and comm always describe the task (/proc/PID: the
 * leader), as Linux's fs/proc/array.c and base.c.
 *
 * Must not: look up names (synth_proc.c does), or write anything but comm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "synth_impl.h"

/* What statm, stat and status say of a process's memory, in pages (all 0 once it exited). */
struct vm_sizes {
	uint64_t size;	/* every VMA */
	uint64_t rss;	/* pages with a frame */
	uint64_t text;	/* executable mappings */
	uint64_t data;	/* private writable mappings but the stack */
	uint64_t stack; /* the stack VMA */
};

static void
vm_sizes(const struct gk_proc *t, struct vm_sizes *z)
{
	const struct gk_vm *vm = synth_exited(t) ? NULL : t->vm;
	uint64_t len;
	int i;

	memset(z, 0, sizeof(*z));
	for (i = 0; vm && i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];

		len = (v->end - v->start) / GK_PAGE;
		z->size += len;
		if (v->prot & PROT_EXEC)
			z->text += len;
		else if (v->flags & GK_VMA_GROWSDOWN)
			z->stack += len;
		else if ((v->prot & PROT_WRITE) && !(v->flags & GK_VMA_SHARED))
			z->data += len;
	}
	z->rss = vm ? vm->pages : 0;
}

/* The tasks of t's process that /proc shows (task/, Threads:, num_threads). */
static int
count_tasks(const struct gk_proc *t)
{
	const struct gk_proc *u;
	int n = 0;

	for (u = t->tg->tasks; u; u = u->tg_next)
		n += synth_shown(u);
	return n;
}

/* gk_proc_maps - /proc/PID/maps of p, malloc'd; NULL if out of memory. */
char *
gk_proc_maps(struct gk_proc *p, size_t *ret_len)
{
	struct gk_sbuf b = {0};
	struct gk_vm *vm = p->vm;
	int i;

	gk_sb_printf(&b, "%s", "");
	for (i = 0; vm && i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];
		const char *name = "";

		if (v->file)
			name = v->file->gpath;
		else if (v->flags & GK_VMA_HEAP)
			name = "[heap]";
		else if (v->flags & GK_VMA_GROWSDOWN)
			name = "[stack]";
		gk_sb_printf(
		    &b, "%012llx-%012llx %c%c%c%c %08llx %02x:%02x %-10llu %s%s\n",
		    (unsigned long long)v->start, (unsigned long long)v->end,
		    (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
		    (v->prot & PROT_EXEC) ? 'x' : '-', (v->flags & GK_VMA_SHARED) ? 's' : 'p',
		    (unsigned long long)(v->file ? v->foff : 0), v->file ? major(v->file->dev) : 0,
		    v->file ? minor(v->file->dev) : 0,
		    (unsigned long long)(v->file ? v->file->ino : 0), *name ? "    " : "", name);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	*ret_len = b.len;
	return b.s;
}

/* A task's state as stat's one letter and status's word (fs/proc/array.c's table). */
static const char *
task_state(const struct gk_proc *t)
{
	if (t->tg->stopped && t->state != GK_P_ZOMBIE)
		return "T (stopped)";
	switch (t->state) {
	case GK_P_RUN:
		return "R (running)";
	case GK_P_SLEEP:
		return "S (sleeping)";
	case GK_P_VFORK:
		return "D (disk sleep)"; /* Linux's vfork parent waits uninterruptibly */
	default:
		return "Z (zombie)";
	}
}

/*
 * /proc/ID/stat and task/TID/stat: proc(5)'s 52 fields. The whole process
 * (nd->whole) counts every task's CPU time; a task alone, its own.
 */
static void
render_stat(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	const struct gk_proc *t = nd->task;
	const struct gk_tgroup *tg = t->tg;
	uint64_t cpu = nd->whole ? tg->cpu_ns : t->cpu_ns;
	uint64_t arg_end = tg->env_start;
	struct vm_sizes z;

	vm_sizes(t, &z);
	gk_sb_printf(b,
		     "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu 0 0 0 20 0 %d 0 %llu %llu %llu",
		     t->tid, t->comm, task_state(t)[0], tg->gppid, tg->pgid, tg->sid,
		     (unsigned long long)synth_ticks(cpu), count_tasks(t),
		     (unsigned long long)synth_ticks(tg->start_ns - p->k->boot_ns),
		     (unsigned long long)(z.size * GK_PAGE), (unsigned long long)z.rss);
	/* rsslim, the code and stack words, signals (status has them), wchan..policy: 0. */
	gk_sb_printf(b, " %llu 0 0 0 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0 0 0 0 0",
		     (unsigned long long)tg->rlim[RLIMIT_RSS].rlim_cur,
		     nd->whole || gk_is_leader(t) ? tg->exit_signal : -1);
	gk_sb_printf(b, " %llu %llu %llu %llu 0\n", (unsigned long long)tg->arg_start,
		     (unsigned long long)arg_end, (unsigned long long)tg->env_start,
		     (unsigned long long)tg->env_end);
}

/* /proc/ID/status and task/TID/status: the task's name, state and ids, its process's counts. */
static void
render_status(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	const struct gk_proc *t = nd->task;
	const struct gk_tgroup *tg = t->tg;
	struct gk_kernel *k = p->k;
	uint64_t ign = 0, cgt = 0, kb = GK_PAGE / 1024, allowed;
	const char *sep;
	struct vm_sizes z;
	int i, j, ncpu;

	for (i = 1; t->sighand && i < GK_NSIG; i++) {
		uint64_t h = t->sighand->action[i].handler;

		if (h == (uint64_t)(uintptr_t)SIG_IGN)
			ign |= gk_sigbit(i);
		else if (h != (uint64_t)(uintptr_t)SIG_DFL)
			cgt |= gk_sigbit(i);
	}
	gk_sb_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n",
		     t->comm, t->fs ? (unsigned)t->fs->umask : 0u, task_state(t), tg->gpid, t->tid);
	gk_sb_printf(b, "PPid:\t%d\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
		     tg->gppid, k->uid, k->uid, k->uid, k->uid, k->gid, k->gid, k->gid, k->gid);
	gk_sb_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", tg->gpid, t->tid,
		     tg->pgid, tg->sid);
	vm_sizes(t, &z);
	if (z.size) {
		/* Linux shows the Vm lines only for a task with memory: not a zombie. */
		gk_sb_printf(b, "VmSize:\t%8llu kB\nVmLck:\t%8llu kB\nVmPin:\t%8llu kB\n",
			     (unsigned long long)(z.size * kb), 0ULL, 0ULL);
		gk_sb_printf(b, "VmRSS:\t%8llu kB\nVmData:\t%8llu kB\nVmStk:\t%8llu kB\n",
			     (unsigned long long)(z.rss * kb), (unsigned long long)(z.data * kb),
			     (unsigned long long)(z.stack * kb));
		gk_sb_printf(b, "VmExe:\t%8llu kB\nVmLib:\t%8llu kB\nVmSwap:\t%8llu kB\n",
			     (unsigned long long)(z.text * kb), 0ULL, 0ULL);
	}
	gk_sb_printf(b, "Threads:\t%d\n", count_tasks(t));
	gk_sb_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\n", (unsigned long long)t->pend.set,
		     (unsigned long long)tg->shared.set);
	gk_sb_printf(b, "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
		     (unsigned long long)t->sigmask, (unsigned long long)ign,
		     (unsigned long long)cgt);
	/* The vCPUs the task may run on (sched_setaffinity), as a mask and a list. */
	ncpu = k->ncpus > 1 ? k->ncpus : 1;
	allowed = t->cpus_allowed & (ncpu >= 64 ? ~0ULL : (1ULL << ncpu) - 1);
	gk_sb_printf(b, "Cpus_allowed:\t%llx\nCpus_allowed_list:\t", (unsigned long long)allowed);
	for (i = 0, sep = ""; i < ncpu; i++) {
		if (!(allowed & (1ULL << i)))
			continue;
		for (j = i; j + 1 < ncpu && (allowed & (1ULL << (j + 1))); j++)
			;
		if (j > i)
			gk_sb_printf(b, "%s%d-%d", sep, i, j);
		else
			gk_sb_printf(b, "%s%d", sep, i);
		sep = ",";
		i = j;
	}
	gk_sb_printf(b, "\n");
}

/*
 * /proc/ID/statm: in pages, the mapped size, the resident pages, shared
 * (file-backed pages are not counted apart: 0), text (executable
 * mappings), lib 0, data (private writable mappings and the stack), dt 0.
 */
static void
render_statm(const struct gk_proc *t, struct gk_sbuf *b)
{
	struct vm_sizes z;

	vm_sizes(t, &z);
	gk_sb_printf(b, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)z.size,
		     (unsigned long long)z.rss, (unsigned long long)z.text,
		     (unsigned long long)(z.data + z.stack));
}

/* /proc/PID/limits: the process's resource limits, in Linux's layout (fs/proc/base.c). */
static void
render_limits(const struct gk_proc *t, struct gk_sbuf *b)
{
	static const struct {
		int res;
		const char *name, *unit;
	} lim[] = {
	    {RLIMIT_CPU, "Max cpu time", "seconds"},
	    {RLIMIT_FSIZE, "Max file size", "bytes"},
	    {RLIMIT_DATA, "Max data size", "bytes"},
	    {RLIMIT_STACK, "Max stack size", "bytes"},
	    {RLIMIT_CORE, "Max core file size", "bytes"},
	    {RLIMIT_RSS, "Max resident set", "bytes"},
	    {RLIMIT_NPROC, "Max processes", "processes"},
	    {RLIMIT_NOFILE, "Max open files", "files"},
	    {RLIMIT_MEMLOCK, "Max locked memory", "bytes"},
	    {RLIMIT_AS, "Max address space", "bytes"},
	    {RLIMIT_LOCKS, "Max file locks", "locks"},
	    {RLIMIT_SIGPENDING, "Max pending signals", "signals"},
	    {RLIMIT_MSGQUEUE, "Max msgqueue size", "bytes"},
	    {RLIMIT_NICE, "Max nice priority", NULL},
	    {RLIMIT_RTPRIO, "Max realtime priority", NULL},
	    {RLIMIT_RTTIME, "Max realtime timeout", "us"},
	};
	size_t i;

	gk_sb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		const struct rlimit *r = &t->tg->rlim[lim[i].res];
		char cur[24], max[24];

		if (r->rlim_cur == RLIM_INFINITY)
			snprintf(cur, sizeof(cur), "unlimited");
		else
			snprintf(cur, sizeof(cur), "%llu", (unsigned long long)r->rlim_cur);
		if (r->rlim_max == RLIM_INFINITY)
			snprintf(max, sizeof(max), "unlimited");
		else
			snprintf(max, sizeof(max), "%llu", (unsigned long long)r->rlim_max);
		gk_sb_printf(b, "%-25s %-20s %-20s ", lim[i].name, cur, max);
		if (lim[i].unit)
			gk_sb_printf(b, "%-10s\n", lim[i].unit);
		else
			gk_sb_printf(b, "\n");
	}
}

/* gk_procfs_task_render - the text of a file of /proc/ID or task/TID into b. */
void
gk_procfs_task_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	const struct gk_proc *t = nd->task;
	const char *name = nd->name;

	if (strcmp(name, "cmdline") == 0 || strcmp(name, "environ") == 0) {
		/* Read from the process's memory, as Linux does: what the program made of it. */
		uint64_t from = name[0] == 'c' ? t->tg->arg_start : t->tg->env_start;
		uint64_t to = name[0] == 'c' ? t->tg->env_start : t->tg->env_end;

		if (synth_exited(t) || !t->vm || to < from)
			return; /* an exited task's memory is gone: empty, as Linux */
		b->s = malloc(to - from + 1);
		if (!b->s) {
			b->oom = 1;
			return;
		}
		b->len = gk_copyin(nd->task, b->s, from, to - from) == 0 ? to - from : 0;
	} else if (strcmp(name, "statm") == 0) {
		render_statm(t, b);
	} else if (strcmp(name, "maps") == 0) {
		if (synth_exited(t))
			return;
		b->s = gk_proc_maps(nd->task, &b->len);
		b->oom = !b->s;
	} else if (strcmp(name, "stat") == 0) {
		render_stat(p, nd, b);
	} else if (strcmp(name, "status") == 0) {
		render_status(p, nd, b);
	} else if (strcmp(name, "comm") == 0) {
		gk_sb_printf(b, "%s\n", t->comm);
	} else if (strcmp(name, "auxv") == 0) {
		/* Binary: the (type, value) pairs exec gave, AT_NULL last; empty once exited. */
		if (synth_exited(t) || !t->tg->auxv_len)
			return;
		b->s = malloc(t->tg->auxv_len);
		b->oom = !b->s;
		if (b->s) {
			memcpy(b->s, t->tg->auxv, t->tg->auxv_len);
			b->len = t->tg->auxv_len;
		}
	} else if (strcmp(name, "limits") == 0) {
		render_limits(t, b);
	} else if (strcmp(name, "mounts") == 0 || strcmp(name, "mountinfo") == 0) {
		gk_procfs_mounts(p->k, name[5] == 'i', b);
	}
}

/* ---- comm, the writable file ---------------------------------------------------------- */

/* Whose comm an open comm file renames: looked up again at each write. */
struct comm_target {
	int tid;
};

/* gk_procfs_comm_open - f, a new comm file of nd->task, remembers the task. 0 or -ENOMEM. */
int
gk_procfs_comm_open(struct gk_proc *p, const struct synth_node *nd, struct gk_file *f)
{
	struct comm_target *ct = malloc(sizeof(*ct));

	(void)p;
	if (!ct)
		return -ENOMEM;
	ct->tid = nd->task->tid;
	f->priv = ct;
	return 0;
}

/*
 * gk_procfs_comm_write - a write to /proc/ID/comm or task/TID/comm names
 * that task: the first 15 bytes, whatever they are (a newline stays, as
 * on Linux), and the whole count is returned. A task of another process
 * (the file was inherited across fork) is -EINVAL, a task that is gone
 * -ESRCH; there is no position (-ESPIPE for pwrite). The task is found
 * by tid at each write, so it must not be kept past its life: a tid that
 * was freed and given to a new task names that one instead (Linux holds
 * the struct pid and says -ESRCH; tids come back only after a wrap of
 * the pid space).
 */
long
gk_procfs_comm_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		     off_t off)
{
	const struct comm_target *ct = f->priv;
	char name[16] = {0};
	size_t total = 0, got = 0, m;
	struct gk_proc *t;
	int i;

	if (off >= 0)
		return -ESPIPE;
	for (t = p->k->procs; t; t = t->next)
		if (t->tid == ct->tid && synth_shown(t))
			break;
	if (!t)
		return -ESRCH;
	if (t->tg != p->tg)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		m = iov[i].iov_len < sizeof(name) - 1 - got ? iov[i].iov_len
							    : sizeof(name) - 1 - got;
		memcpy(name + got, iov[i].iov_base, m);
		got += m;
		total += iov[i].iov_len;
	}
	memcpy(t->comm, name, sizeof(name));
	return (long)total;
}
