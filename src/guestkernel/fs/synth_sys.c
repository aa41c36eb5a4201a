/*
 * synth_sys.c - /proc/sys (the sysctls programs read) and /proc/filesystems.
 *
 * Layer src/guestkernel/fs, under synth_proc.c, which hands it the
 * components after "sys". Each file says what the guest kernel itself
 * does, not what the host has: pid_max is where the guest's pids wrap,
 * nr_open the descriptor table's size (setrlimit(RLIMIT_NOFILE) refuses
 * more), pipe-max-size what F_SETPIPE_SZ allows, max_map_count the VMA
 * limit mmap enforces, osrelease what uname(2) says. All are read-only:
 * the guest kernel has no tunables.
 *
 * Must not: open host files (uname(2) of the host gives the release).
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>

#include "synth_impl.h"
#include "../mm/mm.h"

enum sys_val {
	SV_DIR,
	SV_OSTYPE,
	SV_OSRELEASE,
	SV_VERSION,
	SV_HOSTNAME,
	SV_DOMAINNAME,
	SV_PID_MAX,
	SV_THREADS_MAX,
	SV_NGROUPS_MAX,
	SV_CAP_LAST_CAP,
	SV_BOOT_ID,
	SV_UUID,
	SV_ENTROPY,
	SV_OVERCOMMIT,
	SV_MAX_MAP_COUNT,
	SV_MMAP_MIN_ADDR,
	SV_FILE_MAX,
	SV_NR_OPEN,
	SV_PIPE_MAX,
};

/* Every name under /proc/sys, directories before what they hold, each directory's entries in order. */
static const struct sys_entry {
	const char *path;
	enum sys_val val;
} sys_tree[] = {
    {"fs", SV_DIR},
    {"fs/file-max", SV_FILE_MAX},
    {"fs/nr_open", SV_NR_OPEN},
    {"fs/pipe-max-size", SV_PIPE_MAX},
    {"kernel", SV_DIR},
    {"kernel/cap_last_cap", SV_CAP_LAST_CAP},
    {"kernel/domainname", SV_DOMAINNAME},
    {"kernel/hostname", SV_HOSTNAME},
    {"kernel/ngroups_max", SV_NGROUPS_MAX},
    {"kernel/osrelease", SV_OSRELEASE},
    {"kernel/ostype", SV_OSTYPE},
    {"kernel/pid_max", SV_PID_MAX},
    {"kernel/random", SV_DIR},
    {"kernel/random/boot_id", SV_BOOT_ID},
    {"kernel/random/entropy_avail", SV_ENTROPY},
    {"kernel/random/uuid", SV_UUID},
    {"kernel/threads-max", SV_THREADS_MAX},
    {"kernel/version", SV_VERSION},
    {"vm", SV_DIR},
    {"vm/max_map_count", SV_MAX_MAP_COUNT},
    {"vm/mmap_min_addr", SV_MMAP_MIN_ADDR},
    {"vm/overcommit_memory", SV_OVERCOMMIT},
};

#define NSYS (sizeof(sys_tree) / sizeof(sys_tree[0]))

/* The entry for c[0..n) joined by '/', or NULL. */
static const struct sys_entry *
sys_find(char **c, int n)
{
	char path[128];
	size_t len = 0, i;
	int j;

	for (j = 0; j < n; j++) {
		size_t l = strlen(c[j]);

		if (len + l + 2 > sizeof(path))
			return NULL;
		if (j)
			path[len++] = '/';
		memcpy(path + len, c[j], l);
		len += l;
	}
	path[len] = '\0';
	for (i = 0; i < NSYS; i++)
		if (strcmp(sys_tree[i].path, path) == 0)
			return &sys_tree[i];
	return NULL;
}

/*
 * gk_procfs_sys_lookup - /proc/sys/c[0]/.../c[n-1] (n >= 0) into nd:
 * 0, -ENOENT, or -ENOTDIR for a name under a file.
 */
int
gk_procfs_sys_lookup(char **c, int n, struct synth_node *nd)
{
	const struct sys_entry *e;

	nd->sys = n ? NULL : "";
	if (n == 0) {
		nd->mode = S_IFDIR | 0555;
		nd->dir = SD_SYS;
		return 0;
	}
	e = sys_find(c, n);
	if (!e) {
		/* A name below a file is ENOTDIR, as a path walk finds it. */
		return n > 1 && (e = sys_find(c, n - 1)) && e->val != SV_DIR ? -ENOTDIR : -ENOENT;
	}
	nd->sys = e->path;
	nd->mode = e->val == SV_DIR ? S_IFDIR | 0555 : S_IFREG | 0444;
	nd->dir = SD_SYS;
	return 0;
}

/* The entries of directory nd->sys ("" for /proc/sys itself). */
void
gk_procfs_sys_dir(const struct synth_node *nd, struct gk_sbuf *b)
{
	size_t dl = strlen(nd->sys), i;

	for (i = 0; i < NSYS; i++) {
		const char *p = sys_tree[i].path, *rest;

		if (dl && (strncmp(p, nd->sys, dl) != 0 || p[dl] != '/'))
			continue;
		rest = dl ? p + dl + 1 : p;
		if (strchr(rest, '/'))
			continue; /* deeper than one level */
		gk_sb_dirent(b, rest, sys_tree[i].val == SV_DIR ? DT_DIR : DT_REG, 4000 + i);
	}
}

/* A version 4 UUID from 128 bits, as the kernel prints them. */
static void
put_uuid(struct gk_sbuf *b, uint64_t hi, uint64_t lo)
{
	hi = (hi & ~0xf000ULL) | 0x4000ULL;			      /* version 4 */
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);		      /* variant 10 */
	gk_sb_printf(b, "%08llx-%04llx-%04llx-%04llx-%012llx\n", (unsigned long long)(hi >> 32),
		     (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
		     (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

/* splitmix64: boot_id is a function of the boot, the same for every read of it. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* gk_procfs_sys_render - the text of /proc/sys file nd->sys. */
void
gk_procfs_sys_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b)
{
	const struct sys_entry *e = NULL;
	struct utsname u;
	uint64_t r[2];
	size_t i;

	for (i = 0; i < NSYS; i++)
		if (strcmp(sys_tree[i].path, nd->sys) == 0)
			e = &sys_tree[i];
	if (!e)
		return;
	switch (e->val) {
	case SV_DIR:
		break;
	case SV_OSTYPE:
		gk_sb_printf(b, "Linux\n");
		break;
	case SV_OSRELEASE:
		uname(&u);
		gk_sb_printf(b, "%s\n", u.release);
		break;
	case SV_VERSION:
		gk_sb_printf(b, "#1 SMP uvk %s\n", uvk_version());
		break;
	case SV_HOSTNAME:
		gk_sb_printf(b, "uvk\n"); /* uname(2)'s nodename */
		break;
	case SV_DOMAINNAME:
		gk_sb_printf(b, "(none)\n");
		break;
	case SV_PID_MAX:
		gk_sb_printf(b, "%d\n", GK_PID_MAX);
		break;
	case SV_THREADS_MAX:
		gk_sb_printf(b, "%d\n", GK_NPROC);
		break;
	case SV_NGROUPS_MAX:
		gk_sb_printf(b, "65536\n");
		break;
	case SV_CAP_LAST_CAP:
		gk_sb_printf(b, "40\n"); /* CAP_CHECKPOINT_RESTORE, Linux 5.9 on */
		break;
	case SV_BOOT_ID:
		put_uuid(b, mix(p->k->boot_realtime_ns), mix(p->k->boot_realtime_ns ^ p->k->boot_ns));
		break;
	case SV_UUID:
		/* A fresh one each read; without entropy, a mix of the clock rather than nothing. */
		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
			r[0] = mix(gk_now_ns(CLOCK_MONOTONIC));
			r[1] = mix(r[0]);
		}
		put_uuid(b, r[0], r[1]);
		break;
	case SV_ENTROPY:
		gk_sb_printf(b, "256\n");
		break;
	case SV_OVERCOMMIT:
		/* Strict: private writable memory is committed against guest RAM (sys/sys_mm.c). */
		gk_sb_printf(b, "2\n");
		break;
	case SV_MAX_MAP_COUNT:
		gk_sb_printf(b, "%d\n", GK_MAX_MAP_COUNT);
		break;
	case SV_MMAP_MIN_ADDR:
		gk_sb_printf(b, "%llu\n", (unsigned long long)GK_VA_MIN);
		break;
	case SV_FILE_MAX:
		gk_sb_printf(b, "9223372036854775807\n"); /* no system-wide limit, as Linux 6.x says */
		break;
	case SV_NR_OPEN:
		gk_sb_printf(b, "%d\n", GK_NFD);
		break;
	case SV_PIPE_MAX:
		gk_sb_printf(b, "%d\n", GK_PIPE_MAX_SIZE);
		break;
	}
}

/* gk_procfs_filesystems - /proc/filesystems: the kinds /proc/mounts names. */
void
gk_procfs_filesystems(struct gk_sbuf *b)
{
	gk_sb_printf(b, "nodev\thostfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\ttmpfs\n");
}
