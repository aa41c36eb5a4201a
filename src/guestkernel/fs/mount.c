/*
 * mount.c - the guest's mount table and the one way host files are opened.
 *
 * Layer src/guestkernel/fs. The mounts are fixed at boot:
 *
 *   /            the --root host directory, read-only
 *   /tmp         the guest's tmpfs, in guest RAM (tmpfs.c)
 *   --bind dirs  host directories, writable
 *   /dev /proc   synthetic (synth.c)
 *
 * A mount is named by its canonical guest path; the walker (namei.c)
 * crosses into one when its position becomes that path, and out of one
 * when ".." leaves its root. Every host file is opened by gk_host_openat2
 * relative to a directory descriptor, beneath it, with no symlink followed
 * on the host side (the walker follows them in the guest's name space).
 *
 * Must not: open a host path given by the guest with plain open(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

/*
 * gk_host_openat2 - open rest ("" for dirfd itself) beneath dirfd, never
 * through a symlink or a magic link, never above dirfd. A symlink as the
 * last component is -ELOOP, or with O_PATH|O_NOFOLLOW the link itself.
 * Returns the descriptor (O_CLOEXEC) or a negative errno.
 */
int
gk_host_openat2(int dirfd, const char *rest, int flags, mode_t mode)
{
	struct open_how how = {
	    /* openat2 refuses O_PATH with any flag O_PATH ignores, O_NOCTTY included. */
	    .flags = (uint64_t)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
	    .mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode & 07777) : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, *rest ? rest : ".", &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int
add_mount(struct gk_kernel *k, const char *gpath, enum gk_mnt_kind kind, const char *host,
	  int writable)
{
	struct gk_mount *m = &k->mounts[k->nmounts];

	m->hfd = -1;
	if (host) {
		m->hfd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (m->hfd < 0)
			return -errno;
	}
	m->gpath = strdup(gpath);
	if (!m->gpath) {
		if (m->hfd >= 0)
			close(m->hfd);
		return -ENOMEM;
	}
	m->glen = strlen(gpath);
	m->kind = kind;
	m->writable = writable;
	k->nmounts++;
	return 0;
}

/* The mount's path as the walker writes positions: "" for "/". */
static size_t
mlen(const struct gk_mount *m)
{
	return m->glen == 1 ? 0 : m->glen;
}

/* gk_mount_root - the mount at "/" (a --bind at "/" replaces the root). */
struct gk_mount *
gk_mount_root(struct gk_kernel *k)
{
	return gk_mount_at(k, "", 0);
}

/* gk_mount_at - the mount whose root is the position gpath[0..len) ("" is "/"), or NULL. */
struct gk_mount *
gk_mount_at(struct gk_kernel *k, const char *gpath, size_t len)
{
	struct gk_mount *best = NULL;
	int i;

	/* Later mounts win: a --bind at /tmp replaces the private /tmp. */
	for (i = 0; i < k->nmounts; i++)
		if (mlen(&k->mounts[i]) == len && memcmp(k->mounts[i].gpath, gpath, len) == 0)
			best = &k->mounts[i];
	return best;
}

/* gk_mount_under - the mount that position gpath[0..len) lies in: the longest root above it. */
struct gk_mount *
gk_mount_under(struct gk_kernel *k, const char *gpath, size_t len)
{
	struct gk_mount *best = NULL;
	int i;

	for (i = 0; i < k->nmounts; i++) {
		struct gk_mount *m = &k->mounts[i];
		size_t n = mlen(m);

		if (n > len || memcmp(gpath, m->gpath, n) != 0 || (n < len && gpath[n] != '/'))
			continue;
		if (!best || n >= mlen(best))
			best = m;
	}
	if (!best)
		gk_panic(__func__, "no root mount");
	return best;
}

/* Lexically normalize an absolute path from the command line into out ("/" at least). */
static int
normalize(const char *path, char *out)
{
	size_t len = 0;
	const char *s = path;

	while (*s) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			if (len + 1 + n + 1 > GK_PATH_MAX)
				return -ENAMETOOLONG;
			out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
		}
		s = e;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

/*
 * gk_vfs_init - the mounts of cfg, the guest's /tmp and the root dentry.
 * Returns 0, or a negative errno with a message on stderr.
 */
int
gk_vfs_init(struct gk_kernel *k, const struct gk_config *cfg)
{
	struct stat st;
	int err, i;

	k->mounts = calloc(GK_MAX_MOUNTS, sizeof(*k->mounts));
	if (!k->mounts) {
		fprintf(stderr, "uvk: out of memory\n");
		return -ENOMEM;
	}
	err = add_mount(k, "/", GK_MNT_HOST, cfg->root, 0);
	if (err < 0) {
		fprintf(stderr, "uvk: cannot use root %s: %s\n", cfg->root, strerror(-err));
		return err;
	}
	err = gk_tmpfs_init(k);
	if (err < 0) {
		fprintf(stderr, "uvk: cannot make the guest /tmp: %s\n", strerror(-err));
		return err;
	}
	k->tmp_mnt = &k->mounts[k->nmounts];
	if (add_mount(k, "/tmp", GK_MNT_TMPFS, NULL, 1) < 0 ||
	    add_mount(k, "/dev", GK_MNT_DEV, NULL, 0) < 0 ||
	    add_mount(k, "/proc", GK_MNT_PROC, NULL, 0) < 0) {
		fprintf(stderr, "uvk: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0; i < cfg->nbinds; i++) {
		char gpath[GK_PATH_MAX];

		if (cfg->binds[i].guest[0] != '/' || normalize(cfg->binds[i].guest, gpath) < 0 ||
		    stat(cfg->binds[i].host, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "uvk: cannot bind %s: not a directory\n",
				cfg->binds[i].host);
			return -ENOTDIR;
		}
		err = add_mount(k, gpath, GK_MNT_HOST, cfg->binds[i].host, 1);
		if (err < 0) {
			fprintf(stderr, "uvk: cannot bind %s: %s\n", cfg->binds[i].host,
				strerror(-err));
			return err;
		}
	}
	err = gk_dcache_init(k);
	if (err < 0) {
		fprintf(stderr, "uvk: out of memory\n");
		return err;
	}
	return 0;
}

/* gk_vfs_fini - close the mounts and remove the private /tmp with everything in it. */
void
gk_vfs_fini(struct gk_kernel *k)
{
	int i;

	gk_dcache_fini(k);
	for (i = 0; i < k->nmounts; i++) {
		if (k->mounts[i].hfd >= 0)
			close(k->mounts[i].hfd);
		free(k->mounts[i].gpath);
	}
	k->nmounts = 0;
	free(k->mounts);
	k->mounts = NULL;
	gk_tmpfs_fini(k);
}
