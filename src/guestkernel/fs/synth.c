/*
 * synth.c - the synthetic file systems: /dev and /proc, as the walker and
 * vfs.c see them (lookup, stat, readlink, open).
 *
 * Layer src/guestkernel/fs, under vfs.c. Nothing here is a host file: /dev
 * holds the devices (dev.c, the console's console.c), /proc
 * (synth_proc.c, which names its files and renders them) is rendered from
 * guest state when a file is opened (one snapshot per open, as seq_file
 * gives for small files). Paths arrive normalized, split at the mount:
 *
 *   /dev   null zero full random urandom tty console, stdin stdout stderr fd (links)
 *
 * Must not: open host files.
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

#include "synth_impl.h"

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
lookup_dev(struct gk_proc *p, char **c, int n, struct synth_node *nd)
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

/* Look path up; follow says whether a symlink as last component is followed by the caller. */
static int
lookup(struct gk_proc *p, struct gk_path *path, int follow, struct synth_node *nd)
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
	return gk_procfs_lookup(p, c, n, follow, nd);
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
	struct synth_node nd;
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
fake_stat(struct gk_proc *p, struct gk_path *path, const struct synth_node *nd, struct stat *st)
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
	struct synth_node nd;
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
	struct synth_node nd;
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

/* The listing of /dev; /proc's are synth_proc.c's. */
static void
render_dev(struct gk_sbuf *b)
{
	size_t i;

	gk_sb_dirent(b, ".", DT_DIR, 1);
	gk_sb_dirent(b, "..", DT_DIR, 2);
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		gk_sb_dirent(b, devs[i].name, devs[i].link ? DT_LNK : DT_CHR, 10 + i);
}

/*
 * gk_synth_open - open a /dev or /proc file. Writes are allowed to the
 * devices and the /proc files that take them (comm), -EACCES elsewhere.
 * Returns 0 with a new file in *ret.
 */
int
gk_synth_open(struct gk_proc *p, struct gk_path *path, int flags, struct gk_file **ret)
{
	struct gk_sbuf b = {0};
	struct gk_file *f;
	struct synth_node nd;
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
	if (!nd.fops && (flags & O_ACCMODE) != O_RDONLY)
		return S_ISDIR(nd.mode) ? -EISDIR : -EACCES;
	if (S_ISCHR(nd.mode) && nd.fops == &gk_console_ops) {
		err = gk_console_open(p->k, flags & ~(O_CREAT | O_TRUNC | O_CLOEXEC), path->gpath, &f);
		if (err < 0)
			return err;
	} else {
		f = gk_file_new(p->k,
				nd.fops		   ? nd.fops
				: S_ISDIR(nd.mode) ? &gk_synthdir_ops
						   : &gk_synthfile_ops,
				-1, gk_file_open_flags(flags), path->gpath);
	}
	if (!f)
		return -ENOMEM;
	fake_stat(p, path, &nd, &f->st);
	f->mnt = path->mnt;
	if (nd.fops == &gk_synthcomm_ops && gk_procfs_comm_open(p, &nd, f) < 0) {
		gk_file_unref(f);
		return -ENOMEM;
	}
	if (S_ISDIR(nd.mode))
		f->isdir = 1;
	if (path->mnt->kind == GK_MNT_DEV) {
		if (S_ISDIR(nd.mode))
			render_dev(&b);
	} else {
		gk_procfs_render(p, &nd, &b);
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
