/*
 * namei.c - the one path walker: a guest path name to a place in the
 * guest's name space, for every file system.
 *
 * Layer src/guestkernel/fs, under vfs.c and the syscall layer. A walk
 * starts at a dentry (the root for an absolute name, else the cwd or a
 * dirfd's directory) and takes one component at a time, as Linux's
 * link_path_walk does:
 *
 *   name     looked up in the file system of the current mount; a mount
 *            whose root is the new position is crossed into
 *   "."      stays (the position must be a directory)
 *   ".."     goes to the parent: out of a mount's root to the directory
 *            above its mount point, up a dentry to its parent (so a
 *            renamed or removed cwd still has one), never above "/"
 *   symlink  its target is walked in the guest's name space from the
 *            directory holding the link ("/..." restarts at the guest's
 *            root, never the host's); 40 links a walk at most (-ELOOP)
 *
 * The last component is followed if the caller asks (GK_LOOKUP_FOLLOW)
 * or the name ends in "/", "." or "..". The result (struct gk_path) is
 * canonical: a path with no symlink, "." or "..", split at its mount,
 * plus a base the file system can start from (a dentry's host descriptor
 * or tmpfs node) so that a cwd or dirfd that was renamed keeps working.
 *
 * Host directories are read without following any host symlink: a run of
 * plain components is checked in one openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) from the base; if that
 * meets a symlink (-ELOOP) the run is walked again one component at a
 * time, the link read with readlinkat and its target walked here. No
 * host lookup leaves the directory it starts from, and every mount
 * boundary is the walker's: nothing a guest writes skips a guest mount or
 * leaves the root.
 *
 * Must not: resolve a host symlink on the host side; keep anything past
 * the walk but the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define MAX_LINKS 40 /* Linux's MAXSYMLINKS */
#define NAME_MAX_ 255

struct walk {
	struct gk_kernel *k;
	struct gk_proc *p;
	struct gk_dentry *d;	/* the dentry the position is at or below (borrowed) */
	size_t dlen;		/* path[0..dlen) is d's position */
	char path[GK_PATH_MAX]; /* the position: "" for "/", else "/a/b" */
	size_t len;
	struct gk_mount *mnt; /* the mount the position lies in */
	size_t mlen;	      /* path[0..mlen) is its root */
	struct gk_tnode *tn;  /* tmpfs: the node at the position (NULL: absent) */
	int isdir;	      /* the position may be a directory (host runs: not yet known) */
	int careful;	      /* host: check each component as it comes */
	int cfd;	      /* careful: the host directory at the position, owned, or -1 */
	int links;
	int follow, must_dir;
	int last_type;
	int lazy;    /* GK_LOOKUP_LAZY: the last host run was left unchecked */
	int onelink; /* GK_LOOKUP_ONELINK: host names one at a time until a link is followed */
	char todo[GK_PATH_MAX]; /* the name still to walk */
	size_t tpos;
};

static size_t
mount_len(const struct gk_mount *m)
{
	return m->glen == 1 ? 0 : m->glen;
}

static void
close_cfd(struct walk *w)
{
	if (w->cfd >= 0)
		close(w->cfd);
	w->cfd = -1;
}

/* The host directory the position's run starts from, and its position's length. */
static int
host_base(const struct walk *w, size_t *ret_blen)
{
	if (w->d->mnt == w->mnt && w->d->hfd >= 0 && w->dlen >= w->mlen) {
		*ret_blen = w->dlen;
		return w->d->hfd;
	}
	*ret_blen = w->mlen;
	return w->mnt->hfd;
}

/* The path from position blen to the end, without its leading '/'. */
static const char *
run_from(const struct walk *w, size_t blen)
{
	return w->len > blen ? w->path + blen + 1 : "";
}

/* A tmpfs node by its path below the mount's root (canonical), or NULL. */
static struct gk_tnode *
tmpfs_at(struct gk_kernel *k, const char *s)
{
	struct gk_tnode *n = k->troot;

	while (n && *s) {
		const char *e;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = gk_tmpfs_child(k, n, s, (size_t)(e - s));
		s = e;
	}
	return n;
}

/* Check host names one at a time from here on? (A settle, until its first link.) */
static int
want_careful(const struct walk *w)
{
	return w->onelink && w->links == 0;
}

/* The mount the position now lies in, after the position moved up or restarted. */
static void
settle_mount(struct walk *w)
{
	w->mnt = gk_mount_under(w->k, w->path, w->len);
	w->mlen = mount_len(w->mnt);
	close_cfd(w);
	w->careful = want_careful(w);
	w->isdir = 1;
	w->tn = NULL;
	if (w->mnt->kind == GK_MNT_TMPFS)
		w->tn = w->len == w->dlen && w->d->tnode ? w->d->tnode
							 : tmpfs_at(w->k, w->path + w->mlen);
}

/*
 * Walk again from the host base, one component at a time, what lies
 * between it and the position, then tail and the rest of the name.
 * Called when a batched lookup met a host symlink.
 */
static int
replay(struct walk *w, const char *tail)
{
	const char *rest = w->todo + w->tpos;
	char buf[GK_PATH_MAX];
	size_t blen;
	int n;

	host_base(w, &blen);
	n = snprintf(buf, sizeof(buf), "%s%s%s%s%s", run_from(w, blen),
		     *tail && w->len > blen ? "/" : "", tail, *rest ? "/" : "", rest);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(w->todo, buf, (size_t)n + 1);
	w->tpos = 0;
	w->len = blen;
	w->path[w->len] = '\0';
	w->careful = 1;
	close_cfd(w);
	return 0;
}

/*
 * Check the host run from the base to the position: 0 when it has no
 * symlink, 1 after setting up a careful replay of it followed by tail and
 * the rest. Another failure is the error when strict, else 0 (the
 * operation will meet the same error, or a mount point needs no directory).
 */
static int
check_run(struct walk *w, int flags, const char *tail, int strict)
{
	size_t blen;
	int base = host_base(w, &blen), fd;

	if (w->careful || w->mnt->kind != GK_MNT_HOST || w->len <= blen)
		return 0;
	fd = gk_host_openat2(base, run_from(w, blen), O_PATH | flags, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -ELOOP)
		return strict ? fd : 0;
	fd = replay(w, tail);
	return fd < 0 ? fd : 1;
}

/* Replace the rest of the walk with target + "/" + what followed the link. */
static int
follow_link(struct walk *w, const char *target)
{
	char buf[GK_PATH_MAX];
	const char *rest = w->todo + w->tpos;
	int n;

	if (++w->links > MAX_LINKS)
		return -ELOOP;
	if (!*target)
		return -ENOENT;
	n = snprintf(buf, sizeof(buf), "%s%s%s", target, *rest ? "/" : "", rest);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(w->todo, buf, (size_t)n + 1);
	w->tpos = 0;
	if (target[0] == '/') {
		/* An absolute link restarts at the guest's root. */
		w->d = w->k->droot;
		w->dlen = w->len = 0;
		w->path[0] = '\0';
		settle_mount(w);
	} else {
		/* Relative: from the directory holding the link; batch again from there. */
		close_cfd(w);
		w->careful = want_careful(w);
	}
	return 0;
}

static int
append(struct walk *w, const char *c, size_t n)
{
	if (w->len + 1 + n + 1 > GK_PATH_MAX)
		return -ENAMETOOLONG;
	w->path[w->len++] = '/';
	memcpy(w->path + w->len, c, n);
	w->len += n;
	w->path[w->len] = '\0';
	return 0;
}

static void
unappend(struct walk *w)
{
	while (w->len > 0 && w->path[w->len - 1] != '/')
		w->len--;
	if (w->len > 0)
		w->len--;
	w->path[w->len] = '\0';
}

/*
 * Is the position on the way to a mount point? Such a directory need not
 * exist in the file system below: a --bind may name a path its parent
 * mount lacks, and the way to it is the mount table's.
 */
static int
above_mount(const struct walk *w)
{
	int i;

	for (i = 0; i < w->k->nmounts; i++) {
		const struct gk_mount *m = &w->k->mounts[i];

		if (m->glen > w->len && memcmp(m->gpath, w->path, w->len) == 0 &&
		    m->gpath[w->len] == '/')
			return 1;
	}
	return 0;
}

static int
dotdot(struct walk *w)
{
	int err;

	if (!w->isdir)
		return -ENOTDIR;
	/* The run must exist, be directories and have no symlink before ".." undoes it. */
	err = check_run(w, O_DIRECTORY, "..", !above_mount(w));
	if (err != 0)
		return err < 0 ? err : 0;
	if (w->len == 0)
		return 0; /* "/.." is "/" */
	if (w->len == w->dlen) {
		/* Up the dentry: a renamed or removed directory still knows its parent. */
		w->d = w->d->parent ? w->d->parent : w->k->droot;
		unappend(w);
		w->dlen = w->len;
		settle_mount(w);
		return 0;
	}
	if (w->mnt->kind == GK_MNT_TMPFS && w->len > w->mlen) {
		/* Inside /tmp: up the node's parent. */
		unappend(w);
		w->tn = w->tn ? w->tn->parent : NULL;
		if (w->len == w->dlen && w->d->tnode)
			w->tn = w->d->tnode;
		if (!w->tn)
			w->tn = tmpfs_at(w->k, w->path + w->mlen);
		w->isdir = 1;
		return 0;
	}
	unappend(w);
	settle_mount(w);
	return 0;
}

/* A name in a host directory, checked now (careful) or batched with its neighbours. */
static int
host_name(struct walk *w, const char *c, size_t n, int last)
{
	char name[NAME_MAX_ + 1], target[GK_PATH_MAX];
	int dir, fd;
	long len;

	if (!w->careful)
		return append(w, c, n);
	if (w->cfd >= 0) {
		dir = w->cfd;
	} else {
		size_t blen;
		int base = host_base(w, &blen);

		dir = base; /* at the base itself: its descriptor, borrowed */
		if (w->len > blen) {
			w->cfd = gk_host_openat2(base, run_from(w, blen), O_PATH | O_DIRECTORY, 0);
			if (w->cfd < 0) {
				fd = w->cfd;
				w->cfd = -1;
				return fd;
			}
			dir = w->cfd;
		}
	}
	memcpy(name, c, n);
	name[n] = '\0';
	if (last && !w->follow)
		return append(w, c, n); /* not followed: the operation acts on the name itself */
	/*
	 * readlinkat of one name beneath a directory we hold follows nothing,
	 * and says in one call whether the name is a link and where it points.
	 */
	len = readlinkat(dir, name, target, sizeof(target) - 1);
	if (len >= 0) {
		target[len] = '\0';
		return follow_link(w, target);
	}
	if (errno == ENOENT && last)
		return append(w, c, n); /* absent: the operation decides (create, or -ENOENT) */
	if (errno == ENOENT) {
		/* On the way to a mount point, a directory need not exist (above_mount). */
		if (append(w, c, n) < 0)
			return -ENAMETOOLONG;
		if (above_mount(w)) {
			close_cfd(w);
			return 0;
		}
		unappend(w);
		return -ENOENT;
	}
	if (errno != EINVAL)
		return -errno;
	if (last)
		return append(w, c, n); /* not a link; what it is, the operation sees */
	fd = gk_host_openat2(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd; /* "file/x": -ENOTDIR */
	if (append(w, c, n) < 0) {
		close(fd);
		return -ENAMETOOLONG;
	}
	close_cfd(w);
	w->cfd = fd;
	w->isdir = 1;
	return 0;
}

static int
tmpfs_name(struct walk *w, const char *c, size_t n, int last)
{
	struct gk_tnode *child;

	if (!w->tn)
		return -ENOENT;
	if (!S_ISDIR(w->tn->mode))
		return -ENOTDIR;
	child = gk_tmpfs_child(w->k, w->tn, c, n);
	if (!child) {
		if (!last)
			return -ENOENT;
		w->tn = NULL;
		return append(w, c, n);
	}
	if (S_ISLNK(child->mode) && (!last || w->follow))
		return follow_link(w, child->target);
	w->tn = child;
	w->isdir = S_ISDIR(child->mode);
	return append(w, c, n);
}

static int start_at(struct walk *w, struct gk_dentry *d);

static int
synth_name(struct walk *w, const char *c, size_t n, int last)
{
	char link[GK_PATH_MAX];
	struct gk_file *f = NULL;
	mode_t mode;
	int err = append(w, c, n);

	if (err < 0)
		return err;
	err = gk_synth_node(w->p, w->mnt, w->path + w->mlen + 1, &mode, link, &f);
	if (err == -ENOENT && last)
		return 0;
	if (err < 0)
		return err;
	if (!S_ISLNK(mode) || (last && !w->follow) || (f && last)) {
		/* /proc/PID/fd/N, last: it names the open file itself, synth.c opens it. */
		w->isdir = S_ISDIR(mode);
		return 0;
	}
	unappend(w);
	if (f && f->dentry) {
		/* An open directory on the way: its dentry, wherever it was renamed to. */
		if (++w->links > MAX_LINKS)
			return -ELOOP;
		return start_at(w, f->dentry);
	}
	return follow_link(w, f ? f->gpath : link);
}

/* One component c[0..n) of the name; last says nothing follows it. */
static int
step(struct walk *w, const char *c, size_t n, int last)
{
	struct gk_mount *m;
	int err;

	if (n == 1 && c[0] == '.')
		return w->isdir ? 0 : -ENOTDIR;
	if (n == 2 && c[0] == '.' && c[1] == '.')
		return dotdot(w);
	if (n > NAME_MAX_)
		return -ENAMETOOLONG;
	if (!w->isdir)
		return -ENOTDIR;
	if (w->len + 1 + n + 1 > GK_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(w->path + w->len, "/", 1);
	memcpy(w->path + w->len + 1, c, n);
	m = gk_mount_at(w->k, w->path, w->len + 1 + n);
	w->path[w->len] = '\0';
	if (m) {
		/* The way to a mount point is walked first: it may hold a symlink. */
		err = check_run(w, O_DIRECTORY, c, 0);
		if (err != 0)
			return err < 0 ? err : 0;
		if (w->mnt->kind == GK_MNT_TMPFS && w->tn && !S_ISDIR(w->tn->mode))
			return -ENOTDIR;
		append(w, c, n);
		w->mnt = m;
		w->mlen = w->len;
		close_cfd(w);
		w->careful = want_careful(w);
		w->isdir = 1;
		w->tn = m->kind == GK_MNT_TMPFS ? w->k->troot : NULL;
		return 0;
	}
	switch (w->mnt->kind) {
	case GK_MNT_HOST:
		return host_name(w, c, n, last);
	case GK_MNT_TMPFS:
		return tmpfs_name(w, c, n, last);
	default:
		return synth_name(w, c, n, last);
	}
}

/* Set w at dentry d's position. */
static int
start_at(struct walk *w, struct gk_dentry *d)
{
	long n = gk_dentry_path(d, w->path, sizeof(w->path));

	if (n < 0)
		return (int)n;
	w->len = n == 1 ? 0 : (size_t)n;
	w->path[w->len] = '\0';
	w->d = d;
	w->dlen = w->len;
	settle_mount(w);
	return 0;
}

/* The final host run: follow or check what the last component needs. */
static int
finish_host(struct walk *w)
{
	size_t blen;

	if (w->careful || w->mnt->kind != GK_MNT_HOST)
		return 0;
	host_base(w, &blen);
	if (w->len <= blen)
		return 0;
	if (w->lazy)
		return 0; /* the operation's own lookup checks it (gk_path_settle) */
	if (w->must_dir) {
		/* "file/" is ENOTDIR for every call; a missing name is the call's to judge. */
		int err = check_run(w, O_DIRECTORY, "", 1);

		return err == -ENOTDIR || err > 0 ? err : 0;
	}
	if (w->follow)
		return check_run(w, 0, "", 0);
	/* The last name is not followed: only the directories above it are checked. */
	if (strrchr(w->path + blen + 1, '/')) {
		char last[NAME_MAX_ + 2];
		size_t end = w->len;
		int err;

		unappend(w);
		memcpy(last, w->path + w->len + 1, end - w->len - 1);
		last[end - w->len - 1] = '\0';
		err = check_run(w, O_DIRECTORY, last, 0);
		if (err != 0)
			return err;
		w->path[w->len] = '/';
		w->len = end;
	}
	return 0;
}

static void
result(struct walk *w, struct gk_path *ret)
{
	size_t blen;

	if (w->len == 0)
		strcpy(ret->gpath, "/");
	else
		memcpy(ret->gpath, w->path, w->len + 1);
	ret->mnt = w->mnt;
	ret->mrest = w->len > w->mlen ? ret->gpath + w->mlen + 1 : "";
	ret->rest = ret->mrest;
	ret->hbase = -1;
	ret->tbase = NULL;
	ret->must_dir = w->must_dir;
	ret->dentry = w->len == w->dlen ? w->d : NULL;
	ret->last_type = w->last_type;
	ret->lazy = w->lazy && w->mnt->kind == GK_MNT_HOST && !w->careful;
	if (w->mnt->kind == GK_MNT_HOST) {
		ret->hbase = host_base(w, &blen);
		ret->rest = w->len > blen ? ret->gpath + blen + 1 : "";
	} else if (w->mnt->kind == GK_MNT_TMPFS) {
		ret->tbase = w->k->troot;
		if (w->d->mnt == w->mnt && w->d->tnode && w->dlen >= w->mlen) {
			ret->tbase = w->d->tnode;
			ret->rest = w->len > w->dlen ? ret->gpath + w->dlen + 1 : "";
		}
	}
}

/*
 * gk_walk - walk upath from start (an absolute name from the root) for
 * process p (whose /proc it sees; NULL in tests without /proc). Returns 0
 * with the place in *ret (its last component may be absent), or -ENOENT
 * (empty name, a missing directory on the way), -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG, or a host error.
 */
int
gk_walk(struct gk_kernel *k, struct gk_proc *p, struct gk_dentry *start, const char *upath,
	int flags, struct gk_path *ret)
{
	struct walk *w;
	size_t n = strlen(upath);
	int err;

	if (n == 0)
		return -ENOENT;
	if (n >= GK_PATH_MAX)
		return -ENAMETOOLONG;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->k = k;
	w->p = p;
	w->cfd = -1;
	w->follow = (flags & GK_LOOKUP_FOLLOW) != 0;
	w->lazy = (flags & GK_LOOKUP_LAZY) != 0;
	w->onelink = (flags & GK_LOOKUP_ONELINK) != 0;
	w->last_type = GK_LAST_ROOT;
	memcpy(w->todo, upath, n + 1);
	err = start_at(w, upath[0] == '/' ? k->droot : start);
	for (;;) {
		while (err == 0) {
			const char *c, *e;
			size_t len;
			int last;

			while (w->todo[w->tpos] == '/')
				w->tpos++;
			c = w->todo + w->tpos;
			if (!*c)
				break;
			e = strchrnul(c, '/');
			len = (size_t)(e - c);
			w->tpos = (size_t)(e - w->todo);
			while (w->todo[w->tpos] == '/')
				w->tpos++;
			last = w->todo[w->tpos] == '\0';
			if (last) {
				int dot = len == 1 && c[0] == '.';
				int dotdot = len == 2 && c[0] == '.' && c[1] == '.';

				if (*e == '/' || dot || dotdot)
					w->must_dir = 1;
				if (*e == '/' && (flags & GK_LOOKUP_SLASH))
					w->follow = 1;
				w->last_type = dot	? GK_LAST_DOT
					       : dotdot ? GK_LAST_DOTDOT
							: GK_LAST_NORM;
			}
			/* step() may rewrite todo: give it its own copy of the name. */
			{
				char name[NAME_MAX_ + 2];

				if (len > NAME_MAX_) {
					err = -ENAMETOOLONG;
					break;
				}
				memcpy(name, c, len);
				name[len] = '\0';
				err = step(w, name, len, last);
			}
		}
		if (err < 0)
			break;
		err = finish_host(w);
		if (err <= 0)
			break;
		err = 0; /* a replay was set up: walk it */
	}
	if (err == 0 && w->must_dir && !w->isdir)
		err = -ENOTDIR; /* "file/", known not to be a directory */
	if (err == 0) {
		result(w, ret);
		ret->start = start;
		ret->name = upath;
		ret->flags = flags;
	}
	close_cfd(w);
	free(w);
	return err;
}
