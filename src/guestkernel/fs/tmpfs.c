/*
 * tmpfs.c - the guest's /tmp: a file system in guest RAM.
 *
 * Layer src/guestkernel/fs, under vfs.c. Nodes live in the tracer's heap; the
 * contents of regular files live in pmem frames from the page allocator,
 * one gpa per page (0: a hole, reads as zeroes), so /tmp competes with the
 * guest's processes for its RAM as Linux's tmpfs does. A file may hold at
 * most half the guest's RAM in all (-ENOSPC past that), Linux's default.
 *
 * Symlinks are resolved in the guest's name space, not here: vfs.c calls
 * gk_tmpfs_walk() first, which rewrites a path whose tmpfs part crosses a
 * symlink into the path it names (possibly on another mount), so every
 * other function here sees only real directories on the way and acts on the
 * last component itself. Nothing here can name a host file.
 *
 * A node is freed when its last link and its last open file (or mapping)
 * are gone, as an unlinked-but-open file must keep working.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

#define MAX_LINKS 40

struct gk_tdirent {
	char *name; /* NULL: removed, kept until the vector is compacted */
	struct gk_tnode *node;
	uint64_t seq; /* creation order: getdents offsets, stable across removals */
	uint64_t hash;
	size_t len;
};

static uint64_t next_ino = 2;
static uint64_t hash_key[2]; /* secret, so a guest cannot aim its names at one chain */

static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/*
 * SipHash-1-3 of a name under hash_key: directory lookups hash guest-chosen
 * names, and a keyed hash keeps them from being made to collide.
 */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

static uint64_t
name_hash(const char *s, size_t len)
{
	uint64_t v0 = hash_key[0] ^ 0x736f6d6570736575ULL, v1 = hash_key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = hash_key[0] ^ 0x6c7967656e657261ULL, v3 = hash_key[1] ^ 0x7465646279746573ULL;
	uint64_t m;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (; i < len; i++)
		m |= (uint64_t)(uint8_t)s[i] << (8 * (i % 8));
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static struct gk_tnode *
tnode_new(struct gk_kernel *k, struct gk_proc *p, mode_t mode)
{
	struct gk_tnode *n;

	if (k->tmpfs_inodes >= k->pa->npages / 2 || gk_kmem_charge(k, sizeof(*n)) < 0)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		gk_kmem_uncharge(k, sizeof(*n));
		return NULL;
	}
	k->tmpfs_inodes++;
	n->mode = mode;
	n->ino = next_ino++;
	n->uid = p ? k->uid : getuid();
	n->gid = p ? k->gid : getgid();
	n->atime = n->mtime = n->ctime = now();
	n->next_seq = 2;
	return n;
}

/* Free n if nothing links or holds it any more. */
static void
tnode_maybe_free(struct gk_kernel *k, struct gk_tnode *n)
{
	size_t i;

	if (n->nlink > 0 || n->opens > 0)
		return;
	gk_tnode_free_pages(k, n, 0);
	for (i = 0; i < n->nents; i++) {
		if (n->ents[i].name) {
			gk_kmem_uncharge(k, n->ents[i].len + 1);
			free(n->ents[i].name);
		}
	}
	gk_kmem_uncharge(k, n->cap * sizeof(*n->ents) + n->hcap * sizeof(*n->hash));
	free(n->ents);
	free(n->hash);
	if (n->target)
		gk_kmem_uncharge(k, strlen(n->target) + 1);
	free(n->target);
	free(n);
	gk_kmem_uncharge(k, sizeof(*n));
	k->tmpfs_inodes--;
}

void
gk_tnode_hold(struct gk_tnode *n)
{
	n->opens++;
}

void
gk_tnode_release(struct gk_kernel *k, struct gk_tnode *n)
{
	if (!n)
		return;
	n->opens--;
	tnode_maybe_free(k, n);
}

int
gk_tmpfs_init(struct gk_kernel *k)
{
	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key)) {
		/* No entropy: lookups stay right, only collisions become easier to aim. */
		hash_key[0] = (uint64_t)gk_now_ns(CLOCK_MONOTONIC);
		hash_key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	}
	k->troot = tnode_new(k, NULL, S_IFDIR | 01777);
	if (!k->troot)
		return -ENOMEM;
	k->troot->nlink = 2;
	return 0;
}

/*
 * Unlink everything under directory top (at exit). Each entry goes as an
 * unlink would: a node linked twice goes with its last link, never twice.
 * Iterative, last entry first, since a guest chooses how deep directories
 * nest and the tracer's stack is not that deep.
 */
static void
tree_free(struct gk_kernel *k, struct gk_tnode *top)
{
	struct gk_tnode *d = top;

	for (;;) {
		struct gk_tdirent *e;
		struct gk_tnode *c;

		while (d->nents > 0 && !d->ents[d->nents - 1].name)
			d->nents--;
		if (d->nents == 0) {
			if (d == top)
				return;
			d = d->parent;
			continue;
		}
		e = &d->ents[d->nents - 1];
		c = e->node;
		if (S_ISDIR(c->mode) && c->nlive > 0) {
			d = c;
			continue;
		}
		gk_kmem_uncharge(k, e->len + 1);
		free(e->name);
		e->name = NULL;
		e->node = NULL;
		d->nents--;
		d->nlive--;
		c->nlink -= S_ISDIR(c->mode) ? 2 : 1;
		if (S_ISDIR(c->mode)) {
			d->nlink--;
			c->parent = NULL;
		}
		tnode_maybe_free(k, c);
	}
}

void
gk_tmpfs_fini(struct gk_kernel *k)
{
	if (!k->troot)
		return;
	gk_mapfile_fini(k);
	tree_free(k, k->troot);
	k->troot->nlink = 0;
	tnode_maybe_free(k, k->troot);
	k->troot = NULL;
}

/* Point the hash index of d at entry i (slots for every entry, tombstones included). */
static void
hash_put(struct gk_tnode *d, size_t i)
{
	size_t h = d->ents[i].hash & (d->hcap - 1);

	while (d->hash[h])
		h = (h + 1) & (d->hcap - 1);
	d->hash[h] = (uint32_t)(i + 1);
}

/*
 * Drop d's tombstones (keeping the order, so getdents offsets, which are
 * seqs, stay valid) and rebuild its hash index with hcap slots.
 */
static int
dir_rebuild(struct gk_kernel *k, struct gk_tnode *d, size_t hcap)
{
	uint32_t *h;
	size_t i, j;

	if (hcap != d->hcap) {
		if (hcap > d->hcap && gk_kmem_charge(k, (hcap - d->hcap) * sizeof(*h)) < 0)
			return -ENOSPC;
		h = calloc(hcap, sizeof(*h));
		if (!h) {
			if (hcap > d->hcap)
				gk_kmem_uncharge(k, (hcap - d->hcap) * sizeof(*h));
			return -ENOMEM;
		}
		if (hcap < d->hcap)
			gk_kmem_uncharge(k, (d->hcap - hcap) * sizeof(*h));
		free(d->hash);
		d->hash = h;
		d->hcap = hcap;
	} else {
		memset(d->hash, 0, d->hcap * sizeof(*d->hash));
	}
	for (i = j = 0; i < d->nents; i++)
		if (d->ents[i].name)
			d->ents[j++] = d->ents[i];
	d->nents = j;
	for (i = 0; i < d->nents; i++)
		hash_put(d, i);
	return 0;
}

/* The index in d->ents of the entry name[0..len), or -1. */
static long
dir_find(struct gk_kernel *k, struct gk_tnode *d, const char *name, size_t len)
{
	uint64_t hv;
	size_t h;

	k->tmpfs_lookups++;
	if (!d->hcap)
		return -1;
	hv = name_hash(name, len);
	for (h = hv & (d->hcap - 1); d->hash[h]; h = (h + 1) & (d->hcap - 1)) {
		const struct gk_tdirent *e = &d->ents[d->hash[h] - 1];

		k->tmpfs_probes++;
		if (e->name && e->hash == hv && e->len == len && memcmp(e->name, name, len) == 0)
			return (long)(d->hash[h] - 1);
	}
	return -1;
}

static int
dir_add(struct gk_kernel *k, struct gk_tnode *d, const char *name, struct gk_tnode *n)
{
	size_t len = strlen(name);
	struct gk_tdirent *e;
	int err;

	if (len > 255)
		return -ENAMETOOLONG;
	if (d->nents == d->cap && d->nents - d->nlive > d->nents / 2) {
		err = dir_rebuild(k, d, d->hcap);
		if (err < 0)
			return err;
	}
	if (d->nents == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 2;

		if (cap > UINT32_MAX - 1)
			return -ENOSPC;
		if (gk_kmem_charge(k, (cap - d->cap) * sizeof(*e)) < 0)
			return -ENOSPC;
		e = realloc(d->ents, cap * sizeof(*e));
		if (!e) {
			gk_kmem_uncharge(k, (cap - d->cap) * sizeof(*e));
			return -ENOMEM;
		}
		d->ents = e;
		d->cap = cap;
	}
	/* The index keeps at least half its slots empty, so chains stay short. */
	if (2 * (d->nents + 1) > d->hcap) {
		err = dir_rebuild(k, d, d->cap * 2 > 4 ? d->cap * 2 : 4);
		if (err < 0)
			return err;
	}
	if (gk_kmem_charge(k, len + 1) < 0)
		return -ENOSPC;
	e = &d->ents[d->nents];
	e->name = strdup(name);
	if (!e->name) {
		gk_kmem_uncharge(k, len + 1);
		return -ENOMEM;
	}
	e->len = len;
	e->hash = name_hash(name, len);
	e->node = n;
	e->seq = d->next_seq++;
	hash_put(d, d->nents);
	d->nents++;
	d->nlive++;
	n->nlink++;
	if (S_ISDIR(n->mode)) {
		d->nlink++;
		n->parent = d;
	}
	d->mtime = d->ctime = now();
	return 0;
}

/* Remove entry i of d; the node goes once nothing holds it. */
static void
dir_remove(struct gk_kernel *k, struct gk_tnode *d, long i)
{
	struct gk_tdirent *e = &d->ents[i];
	struct gk_tnode *n = e->node;

	gk_kmem_uncharge(k, e->len + 1);
	free(e->name);
	e->name = NULL;
	e->node = NULL;
	d->nlive--;
	n->nlink -= S_ISDIR(n->mode) ? 2 : 1;
	if (S_ISDIR(n->mode))
		d->nlink--;
	/* A removed directory (not one being renamed) has no parent: d may go first. */
	if (S_ISDIR(n->mode) && n->nlink == 0)
		n->parent = NULL;
	n->ctime = d->mtime = d->ctime = now();
	tnode_maybe_free(k, n);
	/* Mostly tombstones: compact (cannot fail: the index keeps its size). */
	if (d->nents - d->nlive > 64 && d->nents - d->nlive > d->nlive)
		dir_rebuild(k, d, d->hcap);
}

/*
 * Find path's parent directory and last component. *ret_dir is NULL when
 * path is the root. Intermediate components are real directories (the walk
 * saw to that), or missing: -ENOENT / -ENOTDIR.
 */
static int
lookup(struct gk_proc *p, struct gk_path *path, struct gk_tnode **ret_dir, const char **ret_name,
       size_t *ret_len, struct gk_tnode **ret_node)
{
	struct gk_tnode *d = p->k->troot;
	const char *s = path->rest, *e;

	*ret_dir = NULL;
	*ret_node = d;
	*ret_name = "";
	*ret_len = 0;
	while (*s) {
		long i;

		e = strchrnul(s, '/');
		if (!S_ISDIR(d->mode))
			return -ENOTDIR;
		i = dir_find(p->k, d, s, (size_t)(e - s));
		if (!*e) {
			*ret_dir = d;
			*ret_name = s;
			*ret_len = (size_t)(e - s);
			*ret_node = i >= 0 ? d->ents[i].node : NULL;
			return 0;
		}
		if (i < 0)
			return -ENOENT;
		d = d->ents[i].node;
		s = e + 1;
	}
	return 0;
}

/*
 * gk_tmpfs_walk - if the tmpfs part of path crosses a symlink (or ends in
 * one and follow is set), rewrite path to what it names and return 1; the
 * caller dispatches again. 0: nothing to resolve. -ELOOP, -ENOTDIR...
 */
int
gk_tmpfs_walk(struct gk_proc *p, struct gk_path *path, int follow)
{
	struct gk_tnode *d = p->k->troot;
	const char *s = path->rest, *e;
	char buf[GK_PATH_MAX];
	int err;

	while (*s) {
		struct gk_tdirent *de;
		long i;

		e = strchrnul(s, '/');
		if (!S_ISDIR(d->mode))
			return 0;
		i = dir_find(p->k, d, s, (size_t)(e - s));
		if (i < 0)
			return 0;
		de = &d->ents[i];
		if (S_ISLNK(de->node->mode) && (*e || follow)) {
			const char *t = de->node->target;

			/* target, relative to the directory holding the link, then the rest. */
			if (t[0] == '/')
				err = snprintf(buf, sizeof(buf), "%s%s", t, e);
			else
				err = snprintf(buf, sizeof(buf), "%.*s/%s%s",
					       (int)(s - path->gpath - (s > path->gpath ? 1 : 0)),
					       path->gpath, t, e);
			if (err < 0 || (size_t)err >= sizeof(buf))
				return -ENAMETOOLONG;
			err = gk_path_resolve(p, AT_FDCWD, buf, path);
			return err < 0 ? err : 1;
		}
		d = de->node;
		if (!*e)
			break;
		s = e + 1;
	}
	return 0;
}

/* gk_tmpfs_settle - gk_tmpfs_walk until the path needs no more resolving. */
int
gk_tmpfs_settle(struct gk_proc *p, struct gk_path *path, int follow)
{
	int n, err;

	for (n = 0; n < MAX_LINKS && path->mnt->kind == GK_MNT_TMPFS; n++) {
		/* The rewritten path comes from path's own buffer: resolve a copy. */
		struct gk_path tmp = *path;

		tmp.rest = tmp.gpath + (path->rest - path->gpath);
		err = gk_tmpfs_walk(p, &tmp, follow);
		if (err <= 0)
			return err;
		*path = tmp;
		path->rest = path->gpath + (tmp.rest - tmp.gpath);
	}
	return path->mnt->kind == GK_MNT_TMPFS ? -ELOOP : 0;
}

int
gk_tmpfs_stat(struct gk_proc *p, struct gk_path *path, struct stat *st)
{
	struct gk_tnode *d, *n;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (!n)
		return -ENOENT;
	gk_tnode_stat(p->k, n, st);
	return 0;
}

long
gk_tmpfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size)
{
	struct gk_tnode *d, *n;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (!n)
		return -ENOENT;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	len = strlen(n->target);
	if (len > size)
		len = size;
	memcpy(buf, n->target, len);
	return (long)len;
}

/* Make a node of mode at path (which must not exist). Returns it through ret. */
static int
create(struct gk_proc *p, struct gk_path *path, mode_t mode, struct gk_tnode **ret)
{
	struct gk_tnode *d, *n;
	const char *name;
	char nm[256];
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (n)
		return -EEXIST;
	if (len > 255)
		return -ENAMETOOLONG;
	memcpy(nm, name, len);
	nm[len] = '\0';
	n = tnode_new(p->k, p, mode);
	if (!n)
		return -ENOSPC;
	err = dir_add(p->k, d, nm, n);
	if (err < 0) {
		tnode_maybe_free(p->k, n);
		return err;
	}
	if (S_ISDIR(mode))
		n->nlink++;
	*ret = n;
	return 0;
}

int
gk_tmpfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode)
{
	struct gk_tnode *n;

	return create(p, path, S_IFDIR | (mode & ~p->fs->umask & 07777), &n);
}

int
gk_tmpfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
{
	struct gk_tnode *n;
	size_t tl = strlen(target) + 1;
	char *t;
	int err;

	if (gk_kmem_charge(p->k, tl) < 0)
		return -ENOSPC;
	t = strdup(target);
	if (!t) {
		gk_kmem_uncharge(p->k, tl);
		return -ENOMEM;
	}
	err = create(p, path, S_IFLNK | 0777, &n);
	if (err < 0) {
		free(t);
		gk_kmem_uncharge(p->k, tl);
		return err;
	}
	n->target = t;
	return 0;
}

int
gk_tmpfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir)
{
	struct gk_tnode *d, *n;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (!d)
		return -EBUSY;
	if (!n)
		return -ENOENT;
	if (rmdir && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(n->mode))
		return -EISDIR;
	if (rmdir && n->nlive > 0)
		return -ENOTEMPTY;
	dir_remove(p->k, d, dir_find(p->k, d, name, len));
	return 0;
}

/* Is directory a n itself or above it? Up n's parents, not down a's tree. */
static int
is_ancestor(const struct gk_tnode *a, const struct gk_tnode *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return 1;
	return 0;
}

int
gk_tmpfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags)
{
	struct gk_tnode *fd, *fn, *td, *tn;
	const char *fname, *tname;
	size_t flen, tlen;
	char nm[256];
	int err;

	if ((err = lookup(p, from, &fd, &fname, &flen, &fn)) < 0 ||
	    (err = lookup(p, to, &td, &tname, &tlen, &tn)) < 0)
		return err;
	if (!fd || !td)
		return -EBUSY;
	if (!fn)
		return -ENOENT;
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (tn && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (fn == tn)
		return 0;
	if (S_ISDIR(fn->mode) && is_ancestor(fn, td))
		return -EINVAL;
	if (tn) {
		if (S_ISDIR(tn->mode) && !S_ISDIR(fn->mode))
			return -EISDIR;
		if (!S_ISDIR(tn->mode) && S_ISDIR(fn->mode))
			return -ENOTDIR;
		if (S_ISDIR(tn->mode) && tn->nlive > 0)
			return -ENOTEMPTY;
	}
	if (tlen > 255)
		return -ENAMETOOLONG;
	memcpy(nm, tname, tlen);
	nm[tlen] = '\0';
	/* Link the new name first, so that the node never has no link at all. */
	fn->opens++;
	if (tn)
		dir_remove(p->k, td, dir_find(p->k, td, tname, tlen));
	err = dir_add(p->k, td, nm, fn);
	if (err == 0) {
		/* The old entry took the directory's "." link with it: give it back. */
		dir_remove(p->k, fd, dir_find(p->k, fd, fname, flen));
		if (S_ISDIR(fn->mode))
			fn->nlink++;
	}
	fn->opens--;
	tnode_maybe_free(p->k, fn);
	return err;
}

int
gk_tmpfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to)
{
	struct gk_tnode *fd, *fn, *td, *tn;
	const char *fname, *tname;
	size_t flen, tlen;
	char nm[256];
	int err;

	if ((err = lookup(p, from, &fd, &fname, &flen, &fn)) < 0 ||
	    (err = lookup(p, to, &td, &tname, &tlen, &tn)) < 0)
		return err;
	if (!fn)
		return -ENOENT;
	if (!td || tn)
		return -EEXIST;
	if (S_ISDIR(fn->mode))
		return -EPERM;
	if (tlen > 255)
		return -ENAMETOOLONG;
	memcpy(nm, tname, tlen);
	nm[tlen] = '\0';
	err = dir_add(p->k, td, nm, fn);
	if (err == 0)
		fn->ctime = now();
	return err;
}

/* gk_tmpfs_open - open (and with O_CREAT make) a tmpfs file. */
int
gk_tmpfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode, struct gk_file **ret)
{
	struct gk_tnode *d, *n;
	struct gk_file *f;
	const char *name;
	size_t len;
	int acc = flags & O_ACCMODE, err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (n && (flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (!n) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		err = create(p, path, S_IFREG | (mode & ~p->fs->umask & 07777), &n);
		if (err < 0)
			return err;
	}
	if (S_ISLNK(n->mode) && !(flags & O_PATH))
		return -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (S_ISDIR(n->mode) && (acc != O_RDONLY || (flags & O_TRUNC)) && !(flags & O_PATH))
		return -EISDIR;
	if ((flags & O_TRUNC) && acc != O_RDONLY && S_ISREG(n->mode)) {
		err = gk_tnode_truncate(p->k, n, 0);
		if (err < 0)
			return err;
	}
	f = gk_file_new(p->k, S_ISDIR(n->mode) ? &gk_tmpfs_dir_ops : &gk_tmpfs_file_ops, -1,
			gk_file_open_flags(flags), path->gpath);
	if (!f)
		return -ENOMEM;
	f->mnt = path->mnt;
	f->tnode = n;
	gk_tnode_hold(n);
	f->isdir = S_ISDIR(n->mode);
	*ret = f;
	return 0;
}

/* Append one linux_dirent64 with d_off next to buf if it fits in room; its size or 0. */
static size_t
dirent_put(char *buf, size_t room, const char *name, size_t nl, unsigned type, uint64_t ino,
	   int64_t next)
{
	size_t rec = (19 + nl + 1 + 7) & ~(size_t)7;
	uint16_t reclen = (uint16_t)rec;

	if (rec > room)
		return 0;
	memset(buf, 0, rec);
	memcpy(buf, &ino, 8);
	memcpy(buf + 8, &next, 8);
	memcpy(buf + 16, &reclen, 2);
	buf[18] = (char)type;
	memcpy(buf + 19, name, nl);
	return rec;
}

/*
 * gk_tmpfs_getdents - getdents64 of an open tmpfs directory into guest
 * [gva, gva+len), from the directory as it is now. The file position is a
 * cookie: 0 for ".", 1 for "..", else the seq of the next entry to return;
 * each record's d_off is the cookie after it. Entries keep their seq for
 * life, so an offset from telldir stays valid whatever is created or
 * removed meanwhile, and no entry present throughout is skipped or repeated.
 * Returns bytes stored, 0 at the end, -EINVAL (buffer too small), -EFAULT.
 */
long
gk_tmpfs_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len)
{
	struct gk_tnode *d = f->tnode;
	char buf[65536];
	size_t done = 0, r, lo = 0, hi;
	uint64_t pos = f->pos < 0 ? 0 : (uint64_t)f->pos;
	int full = 0;

	if (len > sizeof(buf))
		len = sizeof(buf);
	if (pos == 0) {
		r = dirent_put(buf, len, ".", 1, DT_DIR, d->ino, 1);
		if (!r)
			return -EINVAL;
		done += r;
		pos = 1;
	}
	if (pos == 1) {
		r = dirent_put(buf + done, len - done, "..", 2, DT_DIR,
			       d->parent ? d->parent->ino : 1, 2);
		if (!r) {
			full = 1;
			goto out;
		}
		done += r;
		pos = 2;
	}
	/* The first entry with seq >= pos: ents are in seq order. */
	lo = 0;
	hi = d->nents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->ents[mid].seq < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->nents; lo++) {
		const struct gk_tdirent *e = &d->ents[lo];
		const struct gk_tnode *c = e->node;

		if (!e->name)
			continue;
		r = dirent_put(buf + done, len - done, e->name, e->len,
			       S_ISDIR(c->mode)	  ? DT_DIR
			       : S_ISLNK(c->mode) ? DT_LNK
						  : DT_REG,
			       c->ino, (int64_t)(e->seq + 1));
		if (!r) {
			full = 1;
			break;
		}
		done += r;
		pos = e->seq + 1;
	}
	if (!full)
		pos = d->next_seq;
out:
	if (done == 0 && full)
		return -EINVAL;
	if (done > 0 && gk_copyout(p, gva, buf, done) < 0)
		return -EFAULT;
	f->pos = (off_t)pos;
	return (long)done;
}

int
gk_tmpfs_setattr(struct gk_proc *p, struct gk_path *path, int what, mode_t mode, uid_t uid,
		 gid_t gid, const struct timespec *ts, off_t size)
{
	struct gk_tnode *d, *n;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (!n)
		return -ENOENT;
	if (what == GK_SET_SIZE)
		return S_ISREG(n->mode) ? gk_tnode_truncate(p->k, n, (uint64_t)size) : -EISDIR;
	return gk_tnode_setattr(n, what, mode, uid, gid, ts);
}

/*
 * gk_tmpfs_exec_fd - a host descriptor with the file's bytes, for the ELF
 * loader: a memfd copy (exec from /tmp is rare; a copy is simple).
 */
int
gk_tmpfs_exec_fd(struct gk_proc *p, struct gk_path *path, int *ret_hfd)
{
	struct gk_tnode *d, *n;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, &n);

	if (err < 0)
		return err;
	if (!n)
		return -ENOENT;
	if (!S_ISREG(n->mode) || !(n->mode & 0111))
		return -EACCES;
	return gk_tnode_memfd(p->k, n, ret_hfd);
}
