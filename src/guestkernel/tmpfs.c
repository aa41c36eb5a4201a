/*
 * tmpfs.c - the guest's /tmp: a file system in guest RAM.
 *
 * Layer src/guestkernel, under vfs.c. Nodes live in the tracer's heap; the
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
#include <time.h>
#include <unistd.h>

#include "gk.h"

#define MAX_LINKS 40

struct gk_tdirent {
	char *name;
	struct gk_tnode *node;
};

static uint64_t next_ino = 2;

static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static struct gk_tnode *
tnode_new(struct gk_proc *p, mode_t mode)
{
	struct gk_tnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->mode = mode;
	n->ino = next_ino++;
	n->uid = p ? p->k->uid : getuid();
	n->gid = p ? p->k->gid : getgid();
	n->atime = n->mtime = n->ctime = now();
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
	for (i = 0; i < n->nents; i++)
		free(n->ents[i].name);
	free(n->pages);
	free(n->ents);
	free(n->target);
	free(n);
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
	k->troot = tnode_new(NULL, S_IFDIR | 01777);
	if (!k->troot)
		return -ENOMEM;
	k->troot->nlink = 2;
	return 0;
}

static void
tree_free(struct gk_kernel *k, struct gk_tnode *n)
{
	size_t i;

	for (i = 0; i < n->nents; i++) {
		struct gk_tnode *c = n->ents[i].node;

		if (S_ISDIR(c->mode))
			tree_free(k, c);
		c->nlink = 0;
		c->opens = 0;
		tnode_maybe_free(k, c);
	}
	n->nents = 0;
}

void
gk_tmpfs_fini(struct gk_kernel *k)
{
	if (!k->troot)
		return;
	tree_free(k, k->troot);
	k->troot->nlink = 0;
	k->troot->opens = 0;
	tnode_maybe_free(k, k->troot);
	k->troot = NULL;
}

static struct gk_tdirent *
dir_find(struct gk_tnode *d, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < d->nents; i++)
		if (strlen(d->ents[i].name) == len && memcmp(d->ents[i].name, name, len) == 0)
			return &d->ents[i];
	return NULL;
}

static int
dir_add(struct gk_tnode *d, const char *name, struct gk_tnode *n)
{
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (d->nents == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct gk_tdirent *e = realloc(d->ents, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		d->ents = e;
		d->cap = cap;
	}
	d->ents[d->nents].name = strdup(name);
	if (!d->ents[d->nents].name)
		return -ENOMEM;
	d->ents[d->nents].node = n;
	d->nents++;
	n->nlink++;
	if (S_ISDIR(n->mode))
		d->nlink++;
	d->mtime = d->ctime = now();
	return 0;
}

/* Remove entry e of d; the node goes once nothing holds it. */
static void
dir_remove(struct gk_kernel *k, struct gk_tnode *d, struct gk_tdirent *e)
{
	struct gk_tnode *n = e->node;

	free(e->name);
	*e = d->ents[--d->nents];
	n->nlink -= S_ISDIR(n->mode) ? 2 : 1;
	if (S_ISDIR(n->mode))
		d->nlink--;
	n->ctime = d->mtime = d->ctime = now();
	tnode_maybe_free(k, n);
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
		struct gk_tdirent *de;

		e = strchrnul(s, '/');
		if (!S_ISDIR(d->mode))
			return -ENOTDIR;
		de = dir_find(d, s, (size_t)(e - s));
		if (!*e) {
			*ret_dir = d;
			*ret_name = s;
			*ret_len = (size_t)(e - s);
			*ret_node = de ? de->node : NULL;
			return 0;
		}
		if (!de)
			return -ENOENT;
		d = de->node;
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

		e = strchrnul(s, '/');
		if (!S_ISDIR(d->mode))
			return 0;
		de = dir_find(d, s, (size_t)(e - s));
		if (!de)
			return 0;
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
	n = tnode_new(p, mode);
	if (!n)
		return -ENOMEM;
	err = dir_add(d, nm, n);
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

	return create(p, path, S_IFDIR | (mode & ~p->umask & 07777), &n);
}

int
gk_tmpfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path)
{
	struct gk_tnode *n;
	char *t = strdup(target);
	int err;

	if (!t)
		return -ENOMEM;
	err = create(p, path, S_IFLNK | 0777, &n);
	if (err < 0) {
		free(t);
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
	if (rmdir && n->nents > 0)
		return -ENOTEMPTY;
	dir_remove(p->k, d, dir_find(d, name, len));
	return 0;
}

static int
is_ancestor(struct gk_tnode *a, struct gk_tnode *n)
{
	size_t i;

	if (a == n)
		return 1;
	for (i = 0; i < a->nents; i++)
		if (S_ISDIR(a->ents[i].node->mode) && is_ancestor(a->ents[i].node, n))
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
		if (S_ISDIR(tn->mode) && tn->nents > 0)
			return -ENOTEMPTY;
	}
	if (tlen > 255)
		return -ENAMETOOLONG;
	memcpy(nm, tname, tlen);
	nm[tlen] = '\0';
	/* Link the new name first, so that the node never has no link at all. */
	fn->opens++;
	if (tn)
		dir_remove(p->k, td, dir_find(td, tname, tlen));
	err = dir_add(td, nm, fn);
	if (err == 0) {
		/* The old entry took the directory's "." link with it: give it back. */
		dir_remove(p->k, fd, dir_find(fd, fname, flen));
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
	err = dir_add(td, nm, fn);
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
		err = create(p, path, S_IFREG | (mode & ~p->umask & 07777), &n);
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
	f = gk_file_new(S_ISDIR(n->mode) ? GK_F_BUF : GK_F_TMPFS, -1,
			flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC), path->gpath);
	if (!f)
		return -ENOMEM;
	f->mnt = path->mnt;
	f->tnode = n;
	f->tk = p->k;
	gk_tnode_hold(n);
	if (S_ISDIR(n->mode)) {
		size_t i;

		f->isdir = 1;
		gk_dirents_add(&f->buf, &f->len, ".", DT_DIR, n->ino);
		gk_dirents_add(&f->buf, &f->len, "..", DT_DIR, 1);
		for (i = 0; i < n->nents; i++) {
			struct gk_tnode *c = n->ents[i].node;

			gk_dirents_add(&f->buf, &f->len, n->ents[i].name,
				       S_ISDIR(c->mode)	  ? DT_DIR
				       : S_ISLNK(c->mode) ? DT_LNK
							  : DT_REG,
				       c->ino);
		}
	}
	*ret = f;
	return 0;
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
