/*
 * dcache.c - directory entries: the names that cwds and open directories
 * hold, so that they follow a directory through renames.
 *
 * Layer src/guestkernel/fs, beside the walker (namei.c). A dentry exists
 * while something holds it: a process's cwd, an open directory, a child
 * dentry (each holds its parent), the kernel (the root). The cache is the
 * set of those, found by (parent, name) with the kernel's keyed name hash,
 * so two holders of one directory share its dentry and one rename moves
 * both. Nothing else is cached: a walk reads names off the file systems.
 *
 * Memory: every dentry costs sizeof(struct gk_dentry) + its name + 1
 * bytes and each table slot a pointer, all charged to the kernel-heap
 * budget (gk_kmem_charge), so a guest holding many deep directories runs
 * into -ENOMEM, never the tracer's own heap. The number of dentries is at
 * most the held positions (GK_NFD descriptors a process, one cwd) times
 * their depth, and a host dentry's descriptor counts as a host file
 * (gk_hostfd_room).
 *
 * Must not: follow a host symlink (handles are opened by gk_host_openat2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

static uint64_t
key(const struct gk_kernel *k, const struct gk_dentry *parent, const char *name, size_t len)
{
	return gk_name_hash(k, name, len) ^ ((uint64_t)(uintptr_t)parent * 0x9e3779b97f4a7c15ULL);
}

static void
unhash(struct gk_dentry *d)
{
	struct gk_kernel *k = d->k;
	struct gk_dentry **pp;

	if (!k->dcache)
		return;
	for (pp = &k->dcache[d->hval & (k->dcache_cap - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == d) {
			*pp = d->hnext;
			d->hnext = NULL;
			k->dcache_n--;
			return;
		}
	}
}

/* Insert d, growing the table to keep chains short; a table that cannot grow stays. */
static void
hash_in(struct gk_dentry *d)
{
	struct gk_kernel *k = d->k;
	size_t h;

	if (k->dcache_n + 1 > k->dcache_cap &&
	    gk_kmem_charge(k, k->dcache_cap * sizeof(*k->dcache)) == 0) {
		size_t cap = k->dcache_cap * 2, i;
		struct gk_dentry **t = calloc(cap, sizeof(*t));

		if (!t) {
			gk_kmem_uncharge(k, k->dcache_cap * sizeof(*k->dcache));
		} else {
			for (i = 0; i < k->dcache_cap; i++) {
				while (k->dcache[i]) {
					struct gk_dentry *e = k->dcache[i];

					k->dcache[i] = e->hnext;
					e->hnext = t[e->hval & (cap - 1)];
					t[e->hval & (cap - 1)] = e;
				}
			}
			free(k->dcache);
			k->dcache = t;
			k->dcache_cap = cap;
		}
	}
	h = d->hval & (k->dcache_cap - 1);
	d->hnext = k->dcache[h];
	k->dcache[h] = d;
	k->dcache_n++;
}

static struct gk_dentry *
find_child(struct gk_kernel *k, struct gk_dentry *parent, const char *name, size_t len)
{
	uint64_t hv = key(k, parent, name, len);
	struct gk_dentry *d;

	for (d = k->dcache[hv & (k->dcache_cap - 1)]; d; d = d->hnext)
		if (d->hval == hv && d->parent == parent && d->nlen == len &&
		    memcmp(d->name, name, len) == 0)
			return d;
	return NULL;
}

/* A new dentry, one reference, holding parent (the caller's reference passes to it). */
static struct gk_dentry *
dentry_new(struct gk_kernel *k, struct gk_dentry *parent, const char *name, size_t len)
{
	struct gk_dentry *d;

	if (gk_kmem_charge(k, sizeof(*d) + len + 1) < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d)
		d->name = malloc(len + 1);
	if (!d || !d->name) {
		free(d);
		gk_kmem_uncharge(k, sizeof(*d) + len + 1);
		return NULL;
	}
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->nlen = len;
	d->refs = 1;
	d->k = k;
	d->hfd = -1;
	d->parent = parent;
	d->hval = key(k, parent, name, len);
	return d;
}

static void
drop_handle(struct gk_dentry *d)
{
	if (d->hfd >= 0) {
		close(d->hfd);
		gk_hostfd_file(d->k, -1);
		d->hfd = -1;
	}
	if (d->tnode) {
		gk_tnode_release(d->k, d->tnode);
		d->tnode = NULL;
	}
}

struct gk_dentry *
gk_dentry_get(struct gk_dentry *d)
{
	d->refs++;
	return d;
}

/* gk_dentry_put - drop a reference; the last one frees d and drops its parent. NULL is fine. */
void
gk_dentry_put(struct gk_dentry *d)
{
	while (d && --d->refs == 0) {
		struct gk_dentry *parent = d->parent;

		if (!d->dead)
			unhash(d);
		drop_handle(d);
		gk_kmem_uncharge(d->k, sizeof(*d) + d->nlen + 1);
		free(d->name);
		free(d);
		d = parent;
	}
}

int
gk_dcache_init(struct gk_kernel *k)
{
	k->dcache_cap = 64;
	if (gk_kmem_charge(k, k->dcache_cap * sizeof(*k->dcache)) < 0)
		return -ENOMEM;
	k->dcache = calloc(k->dcache_cap, sizeof(*k->dcache));
	k->droot = k->dcache ? dentry_new(k, NULL, "", 0) : NULL;
	if (!k->droot)
		return -ENOMEM;
	k->droot->mnt = gk_mount_root(k);
	return 0;
}

void
gk_dcache_fini(struct gk_kernel *k)
{
	gk_dentry_put(k->droot);
	k->droot = NULL;
	free(k->dcache);
	if (k->dcache)
		gk_kmem_uncharge(k, k->dcache_cap * sizeof(*k->dcache));
	k->dcache = NULL;
	k->dcache_cap = k->dcache_n = 0;
}

/*
 * gk_dentry_path - d's guest path, from the names up to the root, into
 * buf (NUL-terminated). Returns its length, or -ENAMETOOLONG.
 */
long
gk_dentry_path(const struct gk_dentry *d, char *buf, size_t size)
{
	size_t pos = size;
	const struct gk_dentry *e;

	if (size < 2)
		return -ENAMETOOLONG;
	buf[--pos] = '\0';
	for (e = d; e && e->parent; e = e->parent) {
		if (e->nlen + 1 > pos)
			return -ENAMETOOLONG;
		pos -= e->nlen;
		memcpy(buf + pos, e->name, e->nlen);
		buf[--pos] = '/';
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	return (long)(size - pos - 1);
}

/*
 * Walk the cache along canonical gpath (absolute). create: make the
 * missing dentries (no handles). Returns the dentry with a reference, NULL
 * when absent (or -ENOMEM when create, errno set).
 */
static struct gk_dentry *
chain(struct gk_kernel *k, const char *gpath, int create)
{
	struct gk_dentry *d = gk_dentry_get(k->droot);
	const char *s = gpath;

	for (;;) {
		struct gk_dentry *c;
		const char *e;

		while (*s == '/')
			s++;
		if (!*s)
			return d;
		e = strchrnul(s, '/');
		c = find_child(k, d, s, (size_t)(e - s));
		if (c) {
			gk_dentry_get(c);
			gk_dentry_put(d);
		} else if (create) {
			c = dentry_new(k, d, s, (size_t)(e - s));
			if (!c) {
				gk_dentry_put(d);
				errno = ENOMEM;
				return NULL;
			}
			c->mnt = gk_mount_under(k, gpath, (size_t)(e - gpath));
			hash_in(c);
		} else {
			gk_dentry_put(d);
			return NULL;
		}
		d = c;
		s = e;
	}
}

/* Does d's handle still name what path names now? (Only a host directory can change under us.) */
static int
still_valid(const struct gk_dentry *d, int hfd)
{
	struct stat a, b;

	return fstat(d->hfd, &a) == 0 && fstat(hfd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * gk_dentry_at - the dentry of the directory path names (a walker result),
 * with a reference, and its handle (host O_PATH descriptor, tmpfs node).
 * Returns 0, -ENOMEM, -ENFILE, or the error of opening the directory.
 */
int
gk_dentry_at(struct gk_kernel *k, const struct gk_path *path, struct gk_dentry **ret)
{
	struct gk_tnode *tn = NULL;
	struct gk_dentry *d = path->dentry;
	int hfd = -1, err;

	/* The walk ended on a dentry ("cd .", "cd .."): that one, removed or not, with its handle.
	 */
	if (d && (d->hfd >= 0 || d->tnode || !path->mrest[0] ||
		  (path->mnt->kind != GK_MNT_HOST && path->mnt->kind != GK_MNT_TMPFS))) {
		*ret = gk_dentry_get(d);
		return 0;
	}
	if (path->mnt->kind == GK_MNT_HOST && path->mrest[0]) {
		/* A mount's root needs no handle of its own: the mount holds one. */
		if ((err = gk_hostfd_room(k)) < 0)
			return err;
		hfd = gk_host_openat2(path->hbase, path->rest, O_PATH | O_DIRECTORY, 0);
		if (hfd < 0)
			return hfd;
	} else if (path->mnt->kind == GK_MNT_TMPFS) {
		const char *s = path->rest;

		tn = path->tbase ? path->tbase : k->troot;
		while (tn && *s) {
			const char *e = strchrnul(s, '/');

			tn = gk_tmpfs_child(k, tn, s, (size_t)(e - s));
			s = *e ? e + 1 : e;
		}
		if (!tn)
			return -ENOENT;
		if (!S_ISDIR(tn->mode))
			return -ENOTDIR;
	}
	d = chain(k, path->gpath, 1);
	if (!d) {
		if (hfd >= 0)
			close(hfd);
		return -ENOMEM;
	}
	if ((d->hfd >= 0 && !still_valid(d, hfd)) || (d->tnode && d->tnode != tn)) {
		/*
		 * The name now holds another directory (changed on the host
		 * side): the old dentry keeps its holders, leaves the cache.
		 */
		struct gk_dentry *nd = dentry_new(k, gk_dentry_get(d->parent), d->name, d->nlen);

		if (!nd) {
			gk_dentry_put(d->parent);
			gk_dentry_put(d);
			if (hfd >= 0)
				close(hfd);
			return -ENOMEM;
		}
		nd->mnt = d->mnt;
		unhash(d);
		d->dead = 1;
		hash_in(nd);
		gk_dentry_put(d);
		d = nd;
	}
	d->mnt = path->mnt;
	if (d->hfd < 0 && hfd >= 0) {
		d->hfd = hfd;
		gk_hostfd_file(k, 1);
	} else if (hfd >= 0) {
		close(hfd);
	}
	if (!d->tnode && tn) {
		gk_tnode_hold(tn);
		d->tnode = tn;
	}
	*ret = d;
	return 0;
}

/* gk_dcache_find - the live dentry of canonical gpath, with a reference, or NULL. */
struct gk_dentry *
gk_dcache_find(struct gk_kernel *k, const char *gpath)
{
	return chain(k, gpath, 0);
}

/*
 * gk_dcache_prepare_move - before a rename to canonical path to: the
 * dentry of to's parent, made if need be, so that the move after the
 * rename cannot fail. Returns 0 (*ret_parent held) or -ENOMEM.
 */
int
gk_dcache_prepare_move(struct gk_kernel *k, const char *to, struct gk_dentry **ret_parent)
{
	char dir[GK_PATH_MAX];
	const char *slash = strrchr(to, '/');
	struct gk_dentry *d;

	memcpy(dir, to, (size_t)(slash - to));
	dir[slash - to] = '\0';
	d = chain(k, dir, 1);
	if (!d)
		return -ENOMEM;
	*ret_parent = d;
	return 0;
}

/*
 * gk_dcache_move - after a rename of d's directory to canonical path to
 * (whose parent is np, from gk_dcache_prepare_move): d takes the new name
 * and parent. If the heap refuses a longer name, d still moves but keeps
 * its old last name (getcwd says it): the only loss, and only at -ENOMEM.
 */
void
gk_dcache_move(struct gk_dentry *d, struct gk_dentry *np, const char *to)
{
	struct gk_kernel *k = d->k;
	const char *name = strrchr(to, '/') + 1;
	size_t len = strlen(name);
	struct gk_dentry *old = d->parent;

	unhash(d);
	if (len != d->nlen && gk_kmem_charge(k, len + 1) == 0) {
		char *s = malloc(len + 1);

		if (s) {
			gk_kmem_uncharge(k, d->nlen + 1);
			free(d->name);
			d->name = s;
			d->nlen = len;
		} else {
			gk_kmem_uncharge(k, len + 1);
		}
	}
	if (len == d->nlen)
		memcpy(d->name, name, len + 1);
	d->parent = gk_dentry_get(np);
	d->hval = key(k, np, d->name, d->nlen);
	hash_in(d);
	gk_dentry_put(old);
}

/* gk_dcache_kill - canonical gpath was removed: its dentry (if any) is dead, out of the cache. */
void
gk_dcache_kill(struct gk_kernel *k, const char *gpath)
{
	struct gk_dentry *d = chain(k, gpath, 0);

	if (!d || d == k->droot) {
		gk_dentry_put(d);
		return;
	}
	unhash(d);
	d->dead = 1;
	gk_dentry_put(d);
}
