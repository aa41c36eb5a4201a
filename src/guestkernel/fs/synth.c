/*
 * synth.c - the synthetic file systems: /dev and /proc.
 *
 * Layer src/guestkernel/fs, under vfs.c. Nothing here is a host file: /dev
 * holds the devices (dev.c, the console's console.c), /proc is rendered from guest state
 * when a file is opened (one snapshot per open, as seq_file gives for small
 * files). Paths arrive normalized, split at the mount:
 *
 *   /dev   null zero full random urandom tty console, stdin stdout stderr fd (links)
 *   /proc  self -> PID, PID/{exe,cwd,fd/N,maps,cmdline,stat,status,environ}, cpuinfo,
 *          meminfo, uptime, version, mounts
 *
 * Must not: open host files other than /proc/cpuinfo of the host, which it
 * filters to one processor (the guest has one).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

struct node {
	mode_t mode;
	const struct gk_file_ops *fops; /* character devices */
	dev_t rdev;
	char link[GK_PATH_MAX]; /* symlinks */
	struct gk_file *fdfile; /* /proc/PID/fd/N: the open file itself (borrowed) */
	int proc_pid_dir;	/* which directory to list: 1 /proc/PID, 2 its fd */
	const char *name;	/* last component */
};

static const struct {
	const char *name;
	const struct gk_file_ops *fops;
	int major, minor;
	const char *link;
} devs[] = {
    {"null", &gk_dev_null_ops, 1, 3, NULL},
    {"zero", &gk_dev_zero_ops, 1, 5, NULL},
    {"full", &gk_dev_full_ops, 1, 7, NULL},
    {"random", &gk_dev_random_ops, 1, 8, NULL},
    {"urandom", &gk_dev_random_ops, 1, 9, NULL},
    {"tty", &gk_console_ops, 5, 0, NULL},
    {"console", &gk_console_ops, 5, 1, NULL},
    {"stdin", NULL, 0, 0, "/proc/self/fd/0"},
    {"stdout", NULL, 0, 0, "/proc/self/fd/1"},
    {"stderr", NULL, 0, 0, "/proc/self/fd/2"},
    {"fd", NULL, 0, 0, "/proc/self/fd"},
};

static const char proc_top[][8] = {"cpuinfo", "meminfo", "uptime", "version", "mounts"};
static const char proc_pid[][8] = {"cmdline", "stat", "status", "maps", "environ"};

/* Split "a/b/c" into at most max components; returns the count. */
static int
split(char *s, char **comp, int max)
{
	int n = 0;

	while (*s && n < max) {
		comp[n++] = s;
		s = strchrnul(s, '/');
		if (*s)
			*s++ = '\0';
	}
	return *s ? -1 : n;
}

static int
lookup_dev(struct gk_proc *p, char **c, int n, struct node *nd)
{
	size_t i;

	if (n == 0) {
		nd->mode = S_IFDIR | 0755;
		return 0;
	}
	if (n > 1)
		return -ENOENT;
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		if (strcmp(c[0], devs[i].name) != 0)
			continue;
		if (devs[i].link) {
			nd->mode = S_IFLNK | 0777;
			strcpy(nd->link, devs[i].link);
		} else {
			nd->mode = S_IFCHR | 0666;
			nd->fops = devs[i].fops;
			nd->rdev = makedev(devs[i].major, devs[i].minor);
		}
		return 0;
	}
	return -ENOENT;
}

static int
lookup_proc_real(struct gk_proc *p, char **c, int n, int follow, struct node *nd)
{
	char *end;
	long pid;
	size_t i;

	if (n == 0) {
		nd->mode = S_IFDIR | 0555;
		return 0;
	}
	if (strcmp(c[0], "self") == 0) {
		if (n == 1 && !follow) {
			nd->mode = S_IFLNK | 0777;
			snprintf(nd->link, sizeof(nd->link), "%d", p->tg->gpid);
			return 0;
		}
		pid = p->tg->gpid;
	} else {
		pid = strtol(c[0], &end, 10);
		if (*end || end == c[0]) {
			for (i = 0; i < sizeof(proc_top) / sizeof(proc_top[0]); i++) {
				if (n == 1 && strcmp(c[0], proc_top[i]) == 0) {
					nd->mode = S_IFREG | 0444;
					return 0;
				}
			}
			return -ENOENT;
		}
	}
	/* Part 1 has one process; every other pid does not exist. */
	if (pid != p->tg->gpid)
		return -ENOENT;
	if (n == 1) {
		nd->mode = S_IFDIR | 0555;
		nd->proc_pid_dir = 1;
		return 0;
	}
	if (strcmp(c[1], "exe") == 0 || strcmp(c[1], "cwd") == 0) {
		if (n > 2)
			return -ENOTDIR;
		nd->mode = S_IFLNK | 0777;
		if (c[1][0] == 'e') {
			snprintf(nd->link, sizeof(nd->link), "%s", p->tg->exe);
		} else if (gk_dentry_path(p->fs->cwd, nd->link, sizeof(nd->link) - 10) >= 0 &&
			   p->fs->cwd->dead) {
			strcat(nd->link, " (deleted)"); /* as Linux's d_path says it */
		}
		return 0;
	}
	if (strcmp(c[1], "fd") == 0) {
		struct gk_file *f;

		if (n == 2) {
			nd->mode = S_IFDIR | 0500;
			nd->proc_pid_dir = 2;
			return 0;
		}
		/*
		 * Digits only and in range before the lookup, as Linux's
		 * name_to_int: fd/4294967299 is no name for descriptor 3.
		 */
		pid = strtol(c[2], &end, 10);
		if (n > 3 || *end || end == c[2] || c[2][0] < '0' || c[2][0] > '9' || pid < 0 ||
		    pid >= GK_NFD || !(f = gk_fd_get(p, (int)pid)))
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
		if (n == 2 && strcmp(c[1], proc_pid[i]) == 0) {
			nd->mode = S_IFREG | 0444;
			return 0;
		}
	}
	return -ENOENT;
}

/* Look path up; follow says whether a symlink as last component is followed by the caller. */
static int
lookup(struct gk_proc *p, struct gk_path *path, int follow, struct node *nd)
{
	char buf[GK_PATH_MAX], *c[8];
	int n;

	memset(nd, 0, sizeof(*nd));
	snprintf(buf, sizeof(buf), "%s", path->rest);
	n = split(buf, c, 8);
	if (n < 0)
		return -ENOENT;
	nd->name = n ? path->rest + (c[n - 1] - buf) : "";
	if (path->mnt->kind == GK_MNT_DEV)
		return lookup_dev(p, c, n, nd);
	if (!p)
		return -ENOENT; /* a kernel with no process (unit tests) has no /proc */
	return lookup_proc_real(p, c, n, follow, nd);
}

/*
 * gk_synth_node - what rest (below mnt, a /dev or /proc mount) is, for the
 * walker: its mode, a symlink's target into link (GK_PATH_MAX), and for
 * /proc/PID/fd/N the open file itself (borrowed) in *ret_file. Returns 0
 * or -ENOENT, -ENOTDIR.
 */
int
gk_synth_node(struct gk_proc *p, struct gk_mount *mnt, const char *rest, mode_t *ret_mode,
	      char *link, struct gk_file **ret_file)
{
	struct gk_path path;
	struct node nd;
	int err;

	path.mnt = mnt;
	path.rest = path.mrest = rest;
	err = lookup(p, &path, 0, &nd);
	if (err < 0)
		return err;
	*ret_mode = nd.mode;
	memcpy(link, nd.link, strlen(nd.link) + 1);
	*ret_file = nd.fdfile;
	return 0;
}

static void
fake_stat(struct gk_proc *p, struct gk_path *path, const struct node *nd, struct stat *st)
{
	uint64_t h = 1469598103934665603ULL;
	const char *s;

	for (s = path->gpath; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	memset(st, 0, sizeof(*st));
	st->st_dev = path->mnt->kind == GK_MNT_DEV ? makedev(0, 5) : makedev(0, 21);
	st->st_ino = (ino_t)(h & 0xffffffff) | 1;
	st->st_mode = nd->mode;
	st->st_nlink = S_ISDIR(nd->mode) ? 2 : 1;
	st->st_uid = p->k->uid;
	st->st_gid = p->k->gid;
	st->st_rdev = nd->rdev;
	st->st_size = S_ISLNK(nd->mode) ? (off_t)strlen(nd->link) : 0;
	st->st_blksize = 4096;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
	    (time_t)(p->k->boot_realtime_ns / 1000000000ULL);
}

int
gk_synth_stat(struct gk_proc *p, struct gk_path *path, int follow, struct stat *st)
{
	struct node nd;
	int err = lookup(p, path, follow, &nd);

	if (err < 0)
		return err;
	/* The walker followed every other link: only /proc/PID/fd/N, the file itself, is left. */
	if (follow && S_ISLNK(nd.mode) && nd.fdfile)
		return gk_file_stat(nd.fdfile, st);
	fake_stat(p, path, &nd, st);
	return 0;
}

long
gk_synth_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size)
{
	struct node nd;
	size_t n;
	int err = lookup(p, path, 0, &nd);

	if (err < 0)
		return err;
	if (!S_ISLNK(nd.mode))
		return -EINVAL;
	n = strlen(nd.link);
	if (n > size)
		n = size;
	memcpy(buf, nd.link, n);
	return (long)n;
}

/* A growing text buffer; out of memory, it stops growing and says so (oom). */
struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

/* Make room for more bytes after len; 0, or -ENOMEM (then b->oom, b->s kept as it was). */
static int
sb_room(struct sbuf *b, size_t more)
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

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
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

static void
sb_dirent(struct sbuf *b, const char *name, unsigned type, uint64_t ino)
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

static void
render_dir(struct gk_proc *p, struct gk_path *path, const struct node *nd, struct sbuf *b)
{
	char num[32];
	size_t i;
	int fd;

	sb_dirent(b, ".", DT_DIR, 1);
	sb_dirent(b, "..", DT_DIR, 2);
	if (path->mnt->kind == GK_MNT_DEV) {
		for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
			sb_dirent(b, devs[i].name, devs[i].link ? DT_LNK : DT_CHR, 10 + i);
	} else if (nd->proc_pid_dir == 0) {
		snprintf(num, sizeof(num), "%d", p->tg->gpid);
		sb_dirent(b, "self", DT_LNK, 3);
		sb_dirent(b, num, DT_DIR, 4);
		for (i = 0; i < sizeof(proc_top) / sizeof(proc_top[0]); i++)
			sb_dirent(b, proc_top[i], DT_REG, 10 + i);
	} else if (nd->proc_pid_dir == 1) {
		sb_dirent(b, "exe", DT_LNK, 5);
		sb_dirent(b, "cwd", DT_LNK, 6);
		sb_dirent(b, "fd", DT_DIR, 7);
		for (i = 0; i < sizeof(proc_pid) / sizeof(proc_pid[0]); i++)
			sb_dirent(b, proc_pid[i], DT_REG, 20 + i);
	} else {
		for (fd = 0; fd < GK_NFD; fd++) {
			if (!p->fdt->f[fd])
				continue;
			snprintf(num, sizeof(num), "%d", fd);
			sb_dirent(b, num, DT_LNK, 100 + (uint64_t)fd);
		}
	}
}

static void
render_cpuinfo(struct sbuf *b)
{
	char line[1024];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f) {
		sb_printf(b, "processor\t: 0\nvendor_id\t: unknown\n\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			break;
		sb_printf(b, "%s", line);
	}
	sb_printf(b, "\n");
	fclose(f);
}

/* gk_proc_maps - /proc/PID/maps of p, malloc'd; NULL if out of memory. */
char *
gk_proc_maps(struct gk_proc *p, size_t *ret_len)
{
	struct sbuf b = {0};
	struct gk_vm *vm = p->vm;
	int i;

	sb_printf(&b, "%s", "");
	for (i = 0; i < vm->nvma; i++) {
		const struct gk_vma *v = &vm->vma[i];
		const char *name = "";

		if (v->file)
			name = v->file->gpath;
		else if (v->flags & GK_VMA_HEAP)
			name = "[heap]";
		else if (v->flags & GK_VMA_GROWSDOWN)
			name = "[stack]";
		sb_printf(&b, "%012llx-%012llx %c%c%c%c %08llx %02x:%02x %-10llu %s%s\n",
			  (unsigned long long)v->start, (unsigned long long)v->end,
			  (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
			  (v->prot & PROT_EXEC) ? 'x' : '-', (v->flags & GK_VMA_SHARED) ? 's' : 'p',
			  (unsigned long long)(v->file ? v->foff : 0),
			  v->file ? major(v->file->dev) : 0, v->file ? minor(v->file->dev) : 0,
			  (unsigned long long)(v->file ? v->file->ino : 0), *name ? "    " : "",
			  name);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	*ret_len = b.len;
	return b.s;
}

static void
render_file(struct gk_proc *p, const char *name, struct sbuf *b)
{
	struct gk_kernel *k = p->k;
	uint64_t kb = GK_PAGE / 1024, up = gk_now_ns(CLOCK_MONOTONIC) - k->boot_ns;
	size_t i;

	if (strcmp(name, "cpuinfo") == 0) {
		render_cpuinfo(b);
	} else if (strcmp(name, "meminfo") == 0) {
		sb_printf(b,
			  "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
			  "MemAvailable:   %8llu kB\nBuffers:               0 kB\n"
			  "Cached:                0 kB\nSwapTotal:             0 kB\n"
			  "SwapFree:              0 kB\n",
			  (unsigned long long)(k->pa->npages * kb),
			  (unsigned long long)(k->pa->nfree * kb),
			  (unsigned long long)(k->pa->nfree * kb));
	} else if (strcmp(name, "uptime") == 0) {
		sb_printf(b, "%llu.%02llu 0.00\n", (unsigned long long)(up / 1000000000ULL),
			  (unsigned long long)(up / 10000000ULL % 100));
	} else if (strcmp(name, "version") == 0) {
		sb_printf(b, "Linux version 6.1.0-uvk (uvk@uvk) #1 SMP uvk %s\n", uvk_version());
	} else if (strcmp(name, "mounts") == 0) {
		for (i = 0; i < (size_t)k->nmounts; i++) {
			static const char fs[][9] = {"hostfs", "devtmpfs", "proc", "tmpfs"};
			struct gk_mount *m = &k->mounts[i];

			sb_printf(b, "%s %s %s %s 0 0\n", fs[m->kind], m->gpath, fs[m->kind],
				  m->writable ? "rw" : "ro");
		}
	} else if (strcmp(name, "cmdline") == 0 || strcmp(name, "environ") == 0) {
		/* Read from the process's memory, as Linux does: what the program made of it. */
		uint64_t from = name[0] == 'c' ? p->tg->arg_start : p->tg->env_start;
		uint64_t to = name[0] == 'c' ? p->tg->env_start : p->tg->env_end;

		b->s = malloc(to - from + 1);
		if (!b->s) {
			b->oom = 1;
			return;
		}
		b->len = gk_copyin(p, b->s, from, to - from) == 0 ? to - from : 0;
	} else if (strcmp(name, "maps") == 0) {
		b->s = gk_proc_maps(p, &b->len);
		b->oom = !b->s;
	} else if (strcmp(name, "stat") == 0) {
		sb_printf(b, "%d (%s) R %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 0 %llu %llu\n",
			  p->tg->gpid, p->comm, p->tg->gppid, p->tg->gpid, p->tg->gpid,
			  (unsigned long long)(p->vm->pages * GK_PAGE),
			  (unsigned long long)p->vm->pages);
	} else if (strcmp(name, "status") == 0) {
		sb_printf(
		    b,
		    "Name:\t%s\nState:\tR (running)\nPid:\t%d\nPPid:\t%d\nUid:\t%d\t%d\t%d\t%d\n"
		    "Gid:\t%d\t%d\t%d\t%d\nVmRSS:\t%llu kB\nThreads:\t1\n",
		    p->comm, p->tg->gpid, p->tg->gppid, k->uid, k->uid, k->uid, k->uid, k->gid,
		    k->gid, k->gid, k->gid, (unsigned long long)(p->vm->pages * kb));
	}
}

/*
 * gk_synth_open - open a /dev or /proc file. Writes are allowed to the
 * devices only (-EACCES elsewhere). Returns 0 with a new file in *ret.
 */
int
gk_synth_open(struct gk_proc *p, struct gk_path *path, int flags, struct gk_file **ret)
{
	struct sbuf b = {0};
	struct gk_file *f;
	struct node nd;
	int err = lookup(p, path, !(flags & O_NOFOLLOW), &nd);

	if (err < 0)
		return err;
	if (S_ISLNK(nd.mode)) {
		if ((flags & O_NOFOLLOW) && !(flags & O_PATH))
			return -ELOOP;
		if (nd.fdfile && !(flags & O_NOFOLLOW)) {
			*ret = gk_file_ref(nd.fdfile);
			return 0;
		}
		if (!(flags & O_PATH))
			return -ELOOP; /* the walker followed every other link */
	}
	if (flags & O_CREAT && (flags & O_EXCL))
		return -EEXIST;
	if ((flags & O_DIRECTORY) && !S_ISDIR(nd.mode))
		return -ENOTDIR;
	if (!S_ISCHR(nd.mode) && (flags & O_ACCMODE) != O_RDONLY)
		return S_ISDIR(nd.mode) ? -EISDIR : -EACCES;
	if (S_ISCHR(nd.mode) && nd.fops == &gk_console_ops) {
		err = gk_console_open(p->k, flags & ~(O_CREAT | O_TRUNC | O_CLOEXEC), path->gpath, &f);
		if (err < 0)
			return err;
	} else {
		f = gk_file_new(p->k,
				S_ISCHR(nd.mode)   ? nd.fops
				: S_ISDIR(nd.mode) ? &gk_synthdir_ops
						   : &gk_synthfile_ops,
				-1, gk_file_open_flags(flags), path->gpath);
	}
	if (!f)
		return -ENOMEM;
	fake_stat(p, path, &nd, &f->st);
	f->mnt = path->mnt;
	if (S_ISDIR(nd.mode)) {
		f->isdir = 1;
		render_dir(p, path, &nd, &b);
	} else if (S_ISREG(nd.mode)) {
		render_file(p, nd.name, &b);
	}
	if (b.oom) {
		free(b.s);
		gk_file_unref(f);
		return -ENOMEM;
	}
	f->buf = b.s;
	f->len = b.len;
	/* A rendering is tracer heap the guest asked for: charged while open. */
	f->kmem = b.cap > b.len ? b.cap : b.len;
	if (f->kmem && gk_kmem_charge(p->k, f->kmem) < 0) {
		f->kmem = 0;
		gk_file_unref(f);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}
