/*
 * synth_proc.c - /proc: its names, its directories and its own files
 * (synth_task.c renders those of a process and a task).
 *
 * Layer src/guestkernel/fs, under synth.c, which hands /proc paths here
 * split into components and opens what this renders (one snapshot per
 * open, as seq_file gives for small files):
 *
 *   /proc  self -> PID, thread-self -> PID/task/TID, cpuinfo, meminfo,
 *          uptime, version, mounts, stat, loadavg, locks (fs/lock.c),
 *          PID/{exe,cwd,fd/N,task/,cmdline,stat,status,statm,maps,environ,comm},
 *          PID/task/TID/{exe,cwd,fd/N,cmdline,stat,status,statm,maps,environ,comm},
 *          fdinfo/N beside each fd/N (synth_fdinfo.c)
 *
 * Every guest process is there, zombies too (the guest is one user, who
 * may look at all of them): its pid listed, and the tid of each of its
 * tasks found though not listed (as Linux finds /proc/TID). /proc/ID
 * shows the process through task ID (the leader, for the pid); task/TID
 * shows task TID alone: its name, state, tid and CPU time. comm is the one
 * writable file: a task may rename any task of its own process, as
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
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>

#include "synth_impl.h"

static const char proc_top[][12] = {"cpuinfo", "meminfo", "uptime",  "version",	"mounts",
				    "stat",    "loadavg", "locks",   "filesystems"};
/* The files of a process and of a task; comm alone is writable. */
static const char proc_pid[][12] = {"cmdline", "stat",	"status",    "maps",   "environ", "comm",
				    "statm",   "limits", "mountinfo", "mounts", "auxv"};

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

/* The task of p's process whose tid is id, or NULL. */
static struct gk_proc *
group_task(struct gk_proc *p, long id)
{
	struct gk_proc *t;

	for (t = p->tg->tasks; t; t = t->tg_next)
		if (t->tid == id && synth_shown(t))
			return t;
	return NULL;
}

/* The task whose tid is id, p's own first (the common case), or NULL. */
static struct gk_proc *
find_task(struct gk_proc *p, long id)
{
	struct gk_proc *t = group_task(p, id);

	if (t)
		return t;
	for (t = p->k->procs; t; t = t->next)
		if (t->tid == id && synth_shown(t))
			return t;
	return NULL;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* What is under /proc/ID or /proc/PID/task/TID, c[0..n) (n >= 1), for nd->task. */
static int
lookup_entry(char **c, int n, struct synth_node *nd)
{
	struct gk_proc *t = nd->task;
	struct gk_file *f;
	long fd;
	size_t i;

	if (strcmp(c[0], "root") == 0) {
		/* The guest has one root for every process (no chroot): "/". */
		if (n > 1)
			return -ENOTDIR;
		if (synth_exited(t) || !t->fs)
			return -ENOENT;
		nd->mode = S_IFLNK | 0777;
		snprintf(nd->link, sizeof(nd->link), "/");
		return 0;
	}
	if (strcmp(c[0], "exe") == 0 || strcmp(c[0], "cwd") == 0) {
		if (n > 1)
			return -ENOTDIR;
		if (synth_exited(t) || !t->fs)
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
		if (n > 2 || fd < 0 || fd >= GK_NFD || synth_exited(t) || !t->fdt ||
		    !(f = t->fdt->f[fd]))
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
	if (strcmp(c[0], "fdinfo") == 0) {
		if (n == 1) {
			nd->mode = S_IFDIR | 0500;
			nd->dir = SD_FDINFO;
			return 0;
		}
		fd = name_to_int(c[1]);
		if (n > 2 || fd < 0 || fd >= GK_NFD || synth_exited(t) || !t->fdt ||
		    !(f = t->fdt->f[fd]))
			return -ENOENT;
		nd->mode = S_IFREG | 0444;
		nd->info = f;
		nd->info_cloexec = t->fdt->cloexec[fd];
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

/* /proc/ID/..., c[0] the id of a task. */
static int
lookup_id(struct gk_proc *p, char **c, int n, struct synth_node *nd)
{
	nd->task = find_task(p, name_to_int(c[0]));
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
	/* task/TID: a task of the same process. */
	nd->task = group_task(nd->task, name_to_int(c[2]));
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
	if (strcmp(c[0], "sys") == 0)
		return gk_procfs_sys_lookup(c + 1, n - 1, nd);
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
	int fd, j, n, pids[GK_NPROC];
	char num[32];
	size_t i;

	gk_sb_dirent(b, ".", DT_DIR, 1);
	gk_sb_dirent(b, "..", DT_DIR, 2);
	switch (nd->dir) {
	case SD_SYS:
		gk_procfs_sys_dir(nd, b);
		break;
	case SD_TOP:
		gk_sb_dirent(b, "self", DT_LNK, 3);
		gk_sb_dirent(b, "thread-self", DT_LNK, 8);
		gk_sb_dirent(b, "sys", DT_DIR, 4);
		for (i = 0; i < sizeof(proc_top) / sizeof(proc_top[0]); i++)
			gk_sb_dirent(b, proc_top[i], DT_REG, 10 + i);
		/* Every process by its leader, in pid order as Linux lists them. */
		for (u = p->k->procs, n = 0; u && n < GK_NPROC; u = u->next)
			if (gk_is_leader(u))
				pids[n++] = u->tid;
		qsort(pids, (size_t)n, sizeof(pids[0]), cmp_int);
		for (j = 0; j < n; j++) {
			snprintf(num, sizeof(num), "%d", pids[j]);
			gk_sb_dirent(b, num, DT_DIR, 1000 + (uint64_t)pids[j]);
		}
		break;
	case SD_PID:
	case SD_TID:
		gk_sb_dirent(b, "exe", DT_LNK, 5);
		gk_sb_dirent(b, "cwd", DT_LNK, 6);
		gk_sb_dirent(b, "root", DT_LNK, 12);
		gk_sb_dirent(b, "fd", DT_DIR, 7);
		gk_sb_dirent(b, "fdinfo", DT_DIR, 11);
		if (nd->dir == SD_PID)
			gk_sb_dirent(b, "task", DT_DIR, 9);
		for (i = 0; i < sizeof(proc_pid) / sizeof(proc_pid[0]); i++)
			gk_sb_dirent(b, proc_pid[i], DT_REG, 20 + i);
		break;
	case SD_TASKS:
		for (u = t->tg->tasks; u; u = u->tg_next) {
			if (!synth_shown(u))
				continue;
			snprintf(num, sizeof(num), "%d", u->tid);
			gk_sb_dirent(b, num, DT_DIR, 1000 + (uint64_t)u->tid);
		}
		break;
	case SD_FD:
	case SD_FDINFO:
		for (fd = 0; !synth_exited(t) && t->fdt && fd < GK_NFD; fd++) {
			if (!t->fdt->f[fd])
				continue;
			snprintf(num, sizeof(num), "%d", fd);
			gk_sb_dirent(b, num, nd->dir == SD_FD ? DT_LNK : DT_REG,
				     100 + (uint64_t)fd);
		}
		break;
	}
}

/* The vCPUs the guest sees (1 in a kernel made without the run loop's). */
static int
synth_ncpus(const struct gk_kernel *k)
{
	return k->ncpus > 1 ? k->ncpus : 1;
}

/*
 * /proc/cpuinfo: the host's first processor, once per vCPU, numbered as
 * the guest's CPUs (one core each, one package), so that what counts
 * processors or cores finds the guest's.
 */
static void
render_cpuinfo(struct gk_kernel *k, struct gk_sbuf *b)
{
	static const char *const per_cpu[] = {"processor", "core id", "apicid", "initial apicid"};
	static const char *const counts[] = {"siblings", "cpu cores"};
	char line[1024], *block = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");
	int n = synth_ncpus(k), cpu;

	while (f && fgets(line, sizeof(line), f) && line[0] != '\n') {
		size_t l = strlen(line);

		if (len + l + 1 > cap) {
			char *nb = realloc(block, cap = (len + l + 1) * 2);

			if (!nb)
				break;
			block = nb;
		}
		memcpy(block + len, line, l + 1);
		len += l;
	}
	if (f)
		fclose(f);
	for (cpu = 0; cpu < n; cpu++) {
		char *s = block, *nl;

		if (!block) {
			gk_sb_printf(b, "processor\t: %d\nvendor_id\t: unknown\n\n", cpu);
			continue;
		}
		for (; s && *s; s = nl ? nl + 1 : NULL) {
			size_t i, key = strcspn(s, "\t:");
			int done = 0;

			nl = strchr(s, '\n');
			for (i = 0; i < sizeof(per_cpu) / sizeof(per_cpu[0]) && !done; i++)
				if (key == strlen(per_cpu[i]) && !strncmp(s, per_cpu[i], key)) {
					gk_sb_printf(b, "%.*s: %d\n", (int)(strcspn(s, ":")), s, cpu);
					done = 1;
				}
			for (i = 0; i < sizeof(counts) / sizeof(counts[0]) && !done; i++)
				if (key == strlen(counts[i]) && !strncmp(s, counts[i], key)) {
					gk_sb_printf(b, "%.*s: %d\n", (int)(strcspn(s, ":")), s, n);
					done = 1;
				}
			if (!done)
				gk_sb_printf(b, "%.*s\n", (int)(nl ? (size_t)(nl - s) : strlen(s)), s);
		}
		gk_sb_printf(b, "\n");
	}
	free(block);
}

/*
 * /proc/stat, the kernel's: one CPU whose user time is the guest CPU time
 * of every task there is (the tasks that were reaped are not counted), the
 * rest of the uptime idle, the boot time (procps's ps needs btime) and
 * the task counts.
 */
static void
render_kstat(struct gk_proc *p, struct gk_sbuf *b)
{
	struct gk_kernel *k = p->k;
	uint64_t user = 0, up = synth_ticks(gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns), idle;
	const struct gk_proc *t;
	int running = 0, blocked = 0, i;

	for (t = k->procs; t; t = t->next) {
		user += t->cpu_ns;
		running += t->state == GK_P_RUN;
		blocked += t->state == GK_P_VFORK;
	}
	user = synth_ticks(user);
	idle = up > user ? up - user : 0;
	if (k->cpus && k->ncpus > 1) {
		/* Several vCPUs: the sum of the lines below. */
		for (user = idle = 0, i = 0; i < k->ncpus; i++) {
			uint64_t u = synth_ticks(k->cpus[i].user_ns);

			user += u;
			idle += up > u ? up - u : 0;
		}
	}
	gk_sb_printf(b, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)user,
		     (unsigned long long)idle);
	for (i = 0; i < synth_ncpus(k); i++) {
		/* Each vCPU's own share once there are several; the whole with one. */
		uint64_t u = k->cpus && k->ncpus > 1 ? synth_ticks(k->cpus[i].user_ns) : user;

		gk_sb_printf(b, "cpu%d %llu 0 0 %llu 0 0 0 0 0 0\n", i, (unsigned long long)u,
			     (unsigned long long)(up > u ? up - u : 0));
	}
	gk_sb_printf(b, "intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running %d\n",
		     (unsigned long long)(k->boot_realtime_ns / 1000000000ULL), k->next_pid,
		     running);
	gk_sb_printf(b, "procs_blocked %d\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n", blocked);
}

/* A file of /proc itself. */
static void
render_file(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	struct gk_kernel *k = p->k;
	const char *name = nd->name;
	uint64_t kb = GK_PAGE / 1024, up = gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns;

	if (strcmp(name, "cpuinfo") == 0) {
		render_cpuinfo(k, b);
	} else if (strcmp(name, "meminfo") == 0) {
		/* The page cache's pages are Cached, and available: its LRU gives them back. */
		const struct gk_pcache *pc = gk_pcache_of(k);
		uint64_t cached = pc ? pc->npages : 0;

		gk_sb_printf(b,
			     "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
			     "MemAvailable:   %8llu kB\nBuffers:               0 kB\n"
			     "Cached:         %8llu kB\nSwapTotal:             0 kB\n"
			     "SwapFree:              0 kB\n",
			     (unsigned long long)(k->pa->npages * kb),
			     (unsigned long long)(k->pa->nfree * kb),
			     (unsigned long long)((k->pa->nfree + cached) * kb),
			     (unsigned long long)(cached * kb));
	} else if (strcmp(name, "loadavg") == 0) {
		/* No load average is kept: 0; then runnable/all tasks and the last pid given. */
		const struct gk_proc *t;
		int running = 0;

		for (t = k->procs; t; t = t->next)
			running += t->state == GK_P_RUN;
		gk_sb_printf(b, "0.00 0.00 0.00 %d/%d %d\n", running, k->nprocs,
			     k->next_pid > 1 ? k->next_pid - 1 : 1);
	} else if (strcmp(name, "uptime") == 0) {
		gk_sb_printf(b, "%llu.%02llu 0.00\n", (unsigned long long)(up / 1000000000ULL),
			     (unsigned long long)(up / 10000000ULL % 100));
	} else if (strcmp(name, "version") == 0) {
		struct utsname u;

		/* The release uname(2) gives the guest (the host's), and its version string. */
		uname(&u);
		gk_sb_printf(b, "Linux version %s (uvk@uvk) #1 SMP uvk %s\n", u.release,
			     uvk_version());
	} else if (strcmp(name, "mounts") == 0) {
		gk_procfs_mounts(k, 0, b);
	} else if (strcmp(name, "filesystems") == 0) {
		gk_procfs_filesystems(b);
	} else if (strcmp(name, "locks") == 0) {
		b->s = gk_lock_proc_text(k, &b->len);
		b->oom = !b->s;
	} else if (strcmp(name, "stat") == 0) {
		render_kstat(p, b);
	}
}

/* The device stat(2) gives a mount's files (synth.c, tmpfs_file.c, the host's own). */
static dev_t
mount_dev(const struct gk_mount *m)
{
	struct stat st;

	switch (m->kind) {
	case GK_MNT_DEV:
		return makedev(0, 5);
	case GK_MNT_PROC:
		return makedev(0, 21);
	case GK_MNT_TMPFS:
		return 0x2a; /* tmpfs_file.c */
	default:
		return fstat(m->hfd, &st) == 0 ? st.st_dev : 0;
	}
}

/*
 * gk_procfs_mounts - /proc/mounts (info 0) or /proc/PID/mountinfo (info
 * 1): every mount of the guest's one namespace, in mount order. The ids
 * are made up (20 + index, each under the root; the root's parent, 19,
 * is not shown, as a container's is not), the device numbers are those
 * stat(2) gives the mount's files.
 */
void
gk_procfs_mounts(struct gk_kernel *k, int info, struct gk_sbuf *b)
{
	static const char fs[][9] = {"hostfs", "devtmpfs", "proc", "tmpfs"};
	dev_t dev;
	int i;

	for (i = 0; i < k->nmounts; i++) {
		const struct gk_mount *m = &k->mounts[i];
		const char *opt = m->writable ? "rw" : "ro";

		if (!info) {
			gk_sb_printf(b, "%s %s %s %s 0 0\n", fs[m->kind], m->gpath, fs[m->kind],
				     opt);
			continue;
		}
		dev = mount_dev(m);
		gk_sb_printf(b, "%d %d %u:%u / %s %s,relatime - %s %s %s\n", 20 + i, i ? 20 : 19,
			     major(dev), minor(dev), m->gpath, opt, fs[m->kind], fs[m->kind], opt);
	}
}

/* gk_procfs_render - the listing of a /proc directory, or the text of a /proc file, into b. */
void
gk_procfs_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	if (S_ISDIR(nd->mode))
		render_dir(p, nd, b);
	else if (nd->sys)
		gk_procfs_sys_render(p, nd, b);
	else if (nd->info)
		gk_procfs_fdinfo(p, nd, b);
	else if (S_ISREG(nd->mode) && nd->task)
		gk_procfs_task_render(p, nd, b);
	else if (S_ISREG(nd->mode))
		render_file(p, nd, b);
}
