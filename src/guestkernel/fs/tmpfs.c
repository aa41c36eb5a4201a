/*
 * tmpfs.c - the guest's /tmp: a file system in guest RAM.
 *
 * Layer src/guestkernel/fs, under vfs.c. Nodes live in the tracer's heap; the
 * contents of regular files live in pmem frames from the page allocator,
 * one gpa per page (0: a hole, reads as zeroes), so /tmp competes with the
 * guest's processes for its RAM as Linux's tmpfs does. A file may hold at
 * most half the guest's RAM in all (-ENOSPC past that), Linux's default.
 *
 * Symlinks are resolved in the guest's name space by the walker (namei.c),
 * not here: a path arrives canonical, relative to a directory node (the
 * root of /tmp, or a cwd's or dirfd's), with only real directories on the
 * way, and each function acts on the last component itself. Directories
 * are tmpfs_dir.c's. Nothing here can name a host file.
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

struct timespec
gk_tmpfs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
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
	n->ino = k->tmpfs_next_ino++;
	n->uid = p ? k->uid : getuid();
	n->gid = p ? k->gid : getgid();
	n->atime = n->mtime = n->ctime = gk_tmpfs_now();
	n->next_seq = 2;
	return n;
}

/* Free n if nothing links or holds it any more. */
void
gk_tnode_maybe_free(struct gk_kernel *k, struct gk_tnode *n)
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
	gk_pipe_fifo_free(n->fifo);
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
	gk_tnode_maybe_free(k, n);
}

int
gk_tmpfs_init(struct gk_kernel *k)
{
	if (getrandom(k->name_key, sizeof(k->name_key), 0) != sizeof(k->name_key)) {
		/* No entropy: lookups stay right, only collisions become easier to aim. */
		k->name_key[0] = (uint64_t)gk_now_ns(CLOCK_MONOTONIC);
		k->name_key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	}
	k->tmpfs_next_ino = 2;
	k->troot = tnode_new(k, NULL, S_IFDIR | 01777);
	if (!k->troot)
		return -ENOMEM;
	k->troot->nlink = 2;
	return 0;
}

void
gk_tmpfs_fini(struct gk_kernel *k)
{
	if (!k->troot)
		return;
	gk_mapfile_fini(k);
	gk_tmpfs_tree_free(k, k->troot);
	k->troot->nlink = 0;
	gk_tnode_maybe_free(k, k->troot);
	k->troot = NULL;
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
	struct gk_tnode *d = path->tbase ? path->tbase : p->k->troot;
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
		i = gk_tdir_find(p->k, d, s, (size_t)(e - s));
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

/* The node at path: 0 with it in *ret_node, or -ENOENT / -ENOTDIR. */
static int
lookup_node(struct gk_proc *p, struct gk_path *path, struct gk_tnode **ret_node)
{
	struct gk_tnode *d;
	const char *name;
	size_t len;
	int err = lookup(p, path, &d, &name, &len, ret_node);

	if (err < 0)
		return err;
	return *ret_node ? 0 : -ENOENT;
}

int
gk_tmpfs_stat(struct gk_proc *p, struct gk_path *path, struct stat *st)
{
	struct gk_tnode *n;
	int err = lookup_node(p, path, &n);

	if (err < 0)
		return err;
	gk_tnode_stat(p->k, n, st);
	return 0;
}

long
gk_tmpfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size)
{
	struct gk_tnode *n;
	int err = lookup_node(p, path, &n);
	size_t len;

	if (err < 0)
		return err;
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
	if (d->nlink == 0)
		return -ENOENT; /* the directory was removed (a cwd, a dirfd): Linux's IS_DEADDIR */
	memcpy(nm, name, len);
	nm[len] = '\0';
	n = tnode_new(p->k, p, mode);
	if (!n)
		return -ENOSPC;
	err = gk_tdir_add(p->k, d, nm, n);
	if (err < 0) {
		gk_tnode_maybe_free(p->k, n);
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

/* mknod(2) in /tmp: a regular file, a FIFO or a socket node (the caller checked the type). */
int
gk_tmpfs_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode)
{
	struct gk_tnode *n;

	return create(p, path, (mode & S_IFMT) | (mode & ~p->fs->umask & 07777), &n);
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
	gk_tdir_remove(p->k, d, gk_tdir_find(p->k, d, name, len));
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
		gk_tdir_remove(p->k, td, gk_tdir_find(p->k, td, tname, tlen));
	err = gk_tdir_add(p->k, td, nm, fn);
	if (err == 0) {
		/* The old entry took the directory's "." link with it: give it back. */
		gk_tdir_remove(p->k, fd, gk_tdir_find(p->k, fd, fname, flen));
		if (S_ISDIR(fn->mode))
			fn->nlink++;
	}
	fn->opens--;
	gk_tnode_maybe_free(p->k, fn);
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
	err = gk_tdir_add(p->k, td, nm, fn);
	if (err == 0)
		fn->ctime = gk_tmpfs_now();
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
	if (S_ISSOCK(n->mode) && !(flags & O_PATH))
		return -ENXIO; /* open(2): a socket is connected to, not opened */
	if (S_ISFIFO(n->mode) && !(flags & O_PATH)) {
		struct stat st;

		gk_tnode_stat(p->k, n, &st);
		return gk_pipe_fifo_open(p, &n->fifo, n, flags, path->gpath, &st, ret);
	}
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

int
gk_tmpfs_setattr(struct gk_proc *p, struct gk_path *path, int what, mode_t mode, uid_t uid,
		 gid_t gid, const struct timespec *ts, off_t size)
{
	struct gk_tnode *n;
	int err = lookup_node(p, path, &n);

	if (err < 0)
		return err;
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
	struct gk_tnode *n;
	int err = lookup_node(p, path, &n);

	if (err < 0)
		return err;
	if (!S_ISREG(n->mode) || !(n->mode & 0111))
		return -EACCES;
	return gk_tnode_memfd(p->k, n, ret_hfd);
}
