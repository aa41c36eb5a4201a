/*
 * synth_proc.c - /proc: its names and what its files say.
 *
 * Layer src/guestkernel/fs, under synth.c, which hands /proc paths here
 * split into components and opens what this renders (one snapshot per
 * open, as seq_file gives for small files):
 *
 *   /proc  self -> PID, thread-self -> PID/task/TID, cpuinfo, meminfo, uptime,
 *          version, mounts, PID/{exe,cwd,fd/N,task/,cmdline,stat,status,maps,environ,comm},
 *          PID/task/TID/{exe,cwd,fd/N,cmdline,stat,status,maps,environ,comm}
 *
 * Only the caller's own process is there: its pid, listed, and the tid of
 * each of its tasks, found though not listed (as Linux finds /proc/TID).
 * /proc/ID shows the process through task ID (the leader, for the pid);
 * task/TID shows task TID alone: its name, state, tid and CPU time. comm
 * is the one writable file: a task may rename any task of its process, as
 * pthread_setname_np does through /proc/self/task/TID/comm.
 *
 * Must not: open host files other than /proc/cpuinfo of the host, which it
 * filters to one processor (the guest has one).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "synth_impl.h"

#define USER_HZ_NS 10000000ULL /* clock ticks of /proc/PID/stat: USER_HZ is 100 */

static const char proc_top[][8] = {"cpuinfo", "meminfo", "uptime", "version", "mounts"};
/* The files of a process and of a task; comm alone is writable. */
static const char proc_pid[][8] = {"cmdline", "stat", "status", "maps", "environ", "comm"};

/* ---- the text buffer ------------------------------------------------------------------ */

/* Make room for more bytes after len; 0, or -ENOMEM (then b->oom, b->s kept as it was). */
static int
sb_room(struct gk_sbuf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->oom)
		return -ENOMEM;
	if (b->s && b->len + more < b->cap)
		return 0;
	cap = (b->cap + more + 1) * 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->oom = 1;
		return -ENOMEM;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

void
gk_sb_printf(struct gk_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0 || b->oom)
			return;
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		if (sb_room(b, (size_t)n) < 0)
			return;
	}
}

/* One linux_dirent64 record; its d_off is the offset of the next. */
void
gk_sb_dirent(struct gk_sbuf *b, const char *name, unsigned type, uint64_t ino)
{
	size_t nl = strlen(name), rec = (19 + nl + 1 + 7) & ~7UL;
	char *d;

	if (sb_room(b, rec) < 0)
		return;
	d = b->s + b->len;
	memset(d, 0, rec);
	memcpy(d, &ino, 8);
	b->len += rec;
	memcpy(d + 8, &(int64_t){(int64_t)b->len}, 8);
	memcpy(d + 16, &(uint16_t){(uint16_t)rec}, 2);
	d[18] = (char)type;
	memcpy(d + 19, name, nl);
}

/* ---- names ---------------------------------------------------------------------------- */

/*
 * A pid, tid or descriptor number as Linux's name_to_int reads it: decimal
 * digits only, no sign, no leading zero, at most INT_MAX; else -1. So
 * fd/4294967299 is no name for descriptor 3, nor +3 nor 03.
 */
static long
name_to_int(const char *s)
{
	long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v;
}

/*
 * Whether /proc shows task t: a task that has not exited, or the leader,
 * which stays (a zombie) until its process is reaped, as on Linux. A task
 * that exited alone is on its group's list only until the run loop frees
 * it.
 */
static int
shown(const struct gk_proc *t)
{
	return t->state != GK_P_DEAD || gk_is_leader(t);
}

/*
 * Whether task t has exited (a dead leader still shown): like Linux's
 * zombie, it has no memory, files or cwd left to show, whatever of them
 * the kernel has yet to free.
 */
static int
exited(const struct gk_proc *t)
{
	return t->state == GK_P_DEAD || t->state == GK_P_ZOMBIE;
}

/* The task of p's process whose tid is id, or NULL. */
static struct gk_proc *
group_task(struct gk_proc *p, long id)
{
	struct gk_proc *t;

	for (t = p->tg->tasks; t; t = t->tg_next)
		if (t->tid == id && shown(t))
			return t;
	return NULL;
}

/* The tasks of t's process that /proc shows (task/, Threads:, num_threads). */
static int
count_tasks(const struct gk_proc *t)
{
	const struct gk_proc *u;
	int n = 0;

	for (u = t->tg->tasks; u; u = u->tg_next)
		n += shown(u);
	return n;
}

/* What is under /proc/ID or /proc/PID/task/TID, c[0..n) (n >= 1), for nd->task. */
static int
lookup_entry(char **c, int n, struct synth_node *nd)
{
	struct gk_proc *t = nd->task;
	struct gk_file *f;
	long fd;
	size_t i;

	if (strcmp(c[0], "exe") == 0 || strcmp(c[0], "cwd") == 0) {
		if (n > 1)
			return -ENOTDIR;
		if (exited(t) || !t->fs)
			return -ENOENT; /* Linux's proc_exe_link, proc_cwd_link: no mm, no fs */
		nd->mode = S_IFLNK | 0777;
		if (c[0][0] == 'e') {
			snprintf(nd->link, sizeof(nd->link), "%s", t->tg->exe ? t->tg->exe : "");
		} else if (gk_dentry_path(t->fs->cwd, nd->link, sizeof(nd->link) - 10) >= 0 &&
			   t->fs->cwd->dead) {
			strcat(nd->link, " (deleted)"); /* as Linux's d_path says it */
		}
		return 0;
	}
	if (strcmp(c[0], "fd") == 0) {
		if (n == 1) {
			nd->mode = S_IFDIR | 0500;
			nd->dir = SD_FD;
			return 0;
		}
		fd = name_to_int(c[1]);
		if (n > 2 || fd < 0 || fd >= GK_NFD || exited(t) || !t->fdt || !(f = t->fdt->f[fd]))
			return -ENOENT;
		nd->mode = S_IFLNK | 0700;
		nd->fdfile = f;
		/* An open directory says where its dentry is now, as Linux's d_path. */
		if (!f->dentry || gk_dentry_path(f->dentry, nd->link, sizeof(nd->link) - 10) < 0)
			snprintf(nd->link, sizeof(nd->link), "%s", f->gpath);
		else if (f->dentry->dead)
			strcat(nd->link, " (deleted)");
		return 0;
	}
	for (i = 0; i < sizeof(proc_pid) / sizeof(proc_pid[0]); i++) {
		if (n == 1 && strcmp(c[0], proc_pid[i]) == 0) {
			nd->mode = S_IFREG | 0444;
			if (strcmp(c[0], "comm") == 0) {
				nd->mode = S_IFREG | 0644;
				nd->fops = &gk_synthcomm_ops;
			}
			return 0;
		}
	}
	return -ENOENT;
}

/* /proc/ID/..., c[0] the id: a task of the caller's process, or nothing. */
static int
lookup_id(struct gk_proc *p, char **c, int n, struct synth_node *nd)
{
	nd->task = group_task(p, name_to_int(c[0]));
	nd->whole = 1;
	if (!nd->task)
		return -ENOENT;
	if (n == 1) {
		nd->mode = S_IFDIR | 0555;
		nd->dir = SD_PID;
		return 0;
	}
	if (strcmp(c[1], "task") != 0)
		return lookup_entry(c + 1, n - 1, nd);
	nd->mode = S_IFDIR | 0555;
	if (n == 2) {
		nd->dir = SD_TASKS;
		return 0;
	}
	/* task/TID: a task of the same process (the caller's: no other is shown). */
	nd->task = group_task(p, name_to_int(c[2]));
	nd->whole = 0;
	if (!nd->task)
		return -ENOENT;
	if (n == 3) {
		nd->dir = SD_TID;
		return 0;
	}
	return lookup_entry(c + 3, n - 3, nd);
}

/*
 * gk_procfs_lookup - what /proc/c[0]/.../c[n-1] is, for p, into nd; follow
 * says whether a symlink as last component is followed by the caller.
 * Returns 0, -ENOENT or -ENOTDIR.
 */
int
gk_procfs_lookup(struct gk_proc *p, char **c, int n, int follow, struct synth_node *nd)
{
	char pid[16], tid[16], task[] = "task", *x[8];
	int i, k;
	size_t j;

	if (n == 0) {
		nd->mode = S_IFDIR | 0555;
		nd->dir = SD_TOP;
		return 0;
	}
	if (strcmp(c[0], "self") == 0 || strcmp(c[0], "thread-self") == 0) {
		int thread = c[0][0] == 't';

		snprintf(pid, sizeof(pid), "%d", p->tg->gpid);
		snprintf(tid, sizeof(tid), "%d", p->tid);
		if (n == 1 && !follow) {
			nd->mode = S_IFLNK | 0777;
			snprintf(nd->link, sizeof(nd->link), thread ? "%s/task/%s" : "%s", pid,
				 tid);
			return 0;
		}
		/* The walker follows the link itself; a caller that did not gets its target. */
		if (n + 2 * thread > 8)
			return -ENOENT;
		k = 0;
		x[k++] = pid;
		if (thread) {
			x[k++] = task;
			x[k++] = tid;
		}
		for (i = 1; i < n; i++)
			x[k++] = c[i];
		return lookup_id(p, x, k, nd);
	}
	if (name_to_int(c[0]) < 0) {
		for (j = 0; j < sizeof(proc_top) / sizeof(proc_top[0]); j++) {
			if (n == 1 && strcmp(c[0], proc_top[j]) == 0) {
				nd->mode = S_IFREG | 0444;
				return 0;
			}
		}
		return -ENOENT;
	}
	return lookup_id(p, c, n, nd);
}

/* ---- rendering ------------------------------------------------------------------------ */

static void
render_dir(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	const struct gk_proc *t = nd->task, *u;
	char num[32];
	size_t i;
	int fd;

	gk_sb_dirent(b, ".", DT_DIR, 1);
	gk_sb_dirent(b, "..", DT_DIR, 2);
	switch (nd->dir) {
	case SD_TOP:
		snprintf(num, sizeof(num), "%d", p->tg->gpid);
		gk_sb_dirent(b, "self", DT_LNK, 3);
		gk_sb_dirent(b, "thread-self", DT_LNK, 8);
		gk_sb_dirent(b, num, DT_DIR, 4);
		for (i = 0; i < sizeof(proc_top) / sizeof(proc_top[0]); i++)
			gk_sb_dirent(b, proc_top[i], DT_REG, 10 + i);
		break;
	case SD_PID:
	case SD_TID:
		gk_sb_dirent(b, "exe", DT_LNK, 5);
		gk_sb_dirent(b, "cwd", DT_LNK, 6);
		gk_sb_dirent(b, "fd", DT_DIR, 7);
		if (nd->dir == SD_PID)
			gk_sb_dirent(b, "task", DT_DIR, 9);
		for (i = 0; i < sizeof(proc_pid) / sizeof(proc_pid[0]); i++)
			gk_sb_dirent(b, proc_pid[i], DT_REG, 20 + i);
		break;
	case SD_TASKS:
		for (u = t->tg->tasks; u; u = u->tg_next) {
			if (!shown(u))
				continue;
			snprintf(num, sizeof(num), "%d", u->tid);
			gk_sb_dirent(b, num, DT_DIR, 1000 + (uint64_t)u->tid);
		}
		break;
	case SD_FD:
		for (fd = 0; !exited(t) && t->fdt && fd < GK_NFD; fd++) {
			if (!t->fdt->f[fd])
				continue;
			snprintf(num, sizeof(num), "%d", fd);
			gk_sb_dirent(b, num, DT_LNK, 100 + (uint64_t)fd);
		}
		break;
	}
}

static void
render_cpuinfo(struct gk_sbuf *b)
{
	char line[1024];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f) {
		gk_sb_printf(b, "processor\t: 0\nvendor_id\t: unknown\n\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			break;
		gk_sb_printf(b, "%s", line);
	}
	gk_sb_printf(b, "\n");
	fclose(f);
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

static uint64_t
ticks(uint64_t ns)
{
	return ns / USER_HZ_NS;
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
	uint64_t pages = t->vm ? t->vm->pages : 0;
	uint64_t arg_end = tg->env_start;

	gk_sb_printf(b,
		     "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu 0 0 0 20 0 %d 0 %llu %llu %llu",
		     t->tid, t->comm, task_state(t)[0], tg->gppid, tg->pgid, tg->sid,
		     (unsigned long long)ticks(cpu), count_tasks(t),
		     (unsigned long long)ticks(tg->start_ns - p->k->boot_ns),
		     (unsigned long long)(pages * GK_PAGE), (unsigned long long)pages);
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
	uint64_t ign = 0, cgt = 0, kb = GK_PAGE / 1024;
	int i;

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
	gk_sb_printf(b, "VmRSS:\t%8llu kB\nThreads:\t%d\n",
		     (unsigned long long)((t->vm ? t->vm->pages : 0) * kb), count_tasks(t));
	gk_sb_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\n", (unsigned long long)t->pend.set,
		     (unsigned long long)tg->shared.set);
	gk_sb_printf(b, "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
		     (unsigned long long)t->sigmask, (unsigned long long)ign,
		     (unsigned long long)cgt);
}

static void
render_file(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	struct gk_kernel *k = p->k;
	const char *name = nd->name;
	const struct gk_proc *t = nd->task;
	uint64_t kb = GK_PAGE / 1024, up = gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns;
	size_t i;

	if (strcmp(name, "cpuinfo") == 0) {
		render_cpuinfo(b);
	} else if (strcmp(name, "meminfo") == 0) {
		gk_sb_printf(b,
			     "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
			     "MemAvailable:   %8llu kB\nBuffers:               0 kB\n"
			     "Cached:                0 kB\nSwapTotal:             0 kB\n"
			     "SwapFree:              0 kB\n",
			     (unsigned long long)(k->pa->npages * kb),
			     (unsigned long long)(k->pa->nfree * kb),
			     (unsigned long long)(k->pa->nfree * kb));
	} else if (strcmp(name, "uptime") == 0) {
		gk_sb_printf(b, "%llu.%02llu 0.00\n", (unsigned long long)(up / 1000000000ULL),
			     (unsigned long long)(up / 10000000ULL % 100));
	} else if (strcmp(name, "version") == 0) {
		gk_sb_printf(b, "Linux version 6.1.0-uvk (uvk@uvk) #1 SMP uvk %s\n", uvk_version());
	} else if (strcmp(name, "mounts") == 0) {
		for (i = 0; i < (size_t)k->nmounts; i++) {
			static const char fs[][9] = {"hostfs", "devtmpfs", "proc", "tmpfs"};
			struct gk_mount *m = &k->mounts[i];

			gk_sb_printf(b, "%s %s %s %s 0 0\n", fs[m->kind], m->gpath, fs[m->kind],
				     m->writable ? "rw" : "ro");
		}
	} else if (strcmp(name, "cmdline") == 0 || strcmp(name, "environ") == 0) {
		/* Read from the process's memory, as Linux does: what the program made of it. */
		uint64_t from = name[0] == 'c' ? t->tg->arg_start : t->tg->env_start;
		uint64_t to = name[0] == 'c' ? t->tg->env_start : t->tg->env_end;

		if (exited(t) || !t->vm || to < from)
			return; /* an exited task's memory is gone: empty, as Linux */
		b->s = malloc(to - from + 1);
		if (!b->s) {
			b->oom = 1;
			return;
		}
		b->len = gk_copyin(nd->task, b->s, from, to - from) == 0 ? to - from : 0;
	} else if (strcmp(name, "maps") == 0) {
		if (exited(t))
			return;
		b->s = gk_proc_maps(nd->task, &b->len);
		b->oom = !b->s;
	} else if (strcmp(name, "stat") == 0) {
		render_stat(p, nd, b);
	} else if (strcmp(name, "status") == 0) {
		render_status(p, nd, b);
	} else if (strcmp(name, "comm") == 0) {
		gk_sb_printf(b, "%s\n", t->comm);
	}
}

/* gk_procfs_render - the listing of a /proc directory, or the text of a /proc file, into b. */
void
gk_procfs_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	if (S_ISDIR(nd->mode))
		render_dir(p, nd, b);
	else if (S_ISREG(nd->mode))
		render_file(p, nd, b);
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
		if (t->tid == ct->tid && shown(t))
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
