/*
 * fsnotify.c - telling watchers (inotify, ipc/inotify.c) what changed.
 *
 * Layer src/guestkernel/fs. The name operations (vfs.c, vfs_change.c) and
 * file I/O (file.c) call the hooks here after a change succeeded; a hook
 * finds the marks on the inodes concerned and calls each mark's ops. fs/
 * never calls ipc/: the watcher hands its mark with an ops table in, as mm/
 * is handed struct gk_mapfile's. While no mark exists (k->fsn NULL)
 * every hook returns at once, before any lookup.
 *
 * An inode is named by (st_dev, st_ino) as fstat gives them, for tmpfs
 * nodes and host files alike. What Linux reports as an event on a child
 * of a watched directory is found through names: the directory of the
 * object's guest path (a file's path as opened), looked up again when a
 * mark exists. Events follow Linux's order for each operation (fsnotify.h):
 * the directory's event with the name, then the object's own; an unlink
 * that drops the last link gives IN_ATTRIB, IN_DELETE_SELF (and the marks
 * go, IN_IGNORED), then the directory's IN_DELETE. A watched file still
 * open somewhere when its last link goes lives on, as Linux's inode does
 * while a dentry reference holds it: its IN_DELETE_SELF comes at the last
 * close of a guest file on it (gk_fsn_closed). A directory's comes at its
 * rmdir. Changes made on the host behind the guest's back are not seen.
 *
 * Must not: call ipc/ (only through a mark's ops); act when nothing watches.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "fs.h"

static unsigned
bucket(uint64_t dev, uint64_t ino)
{
	return (unsigned)(((ino ^ (dev << 32)) * 0x9e3779b97f4a7c15ULL) >> 58) % GK_FSN_HASH;
}

/* gk_fsn_mark_add - m (dev, ino, mask, ops filled) sees changes from now on. 0 or -ENOMEM. */
int
gk_fsn_mark_add(struct gk_kernel *k, struct gk_fsn_mark *m)
{
	unsigned b = bucket(m->dev, m->ino);

	if (!k->fsn) {
		k->fsn = gk_kzalloc(k, sizeof(*k->fsn));
		if (!k->fsn)
			return -ENOMEM;
	}

	m->prev = NULL;
	m->next = k->fsn->hash[b];
	if (m->next)
		m->next->prev = m;
	k->fsn->hash[b] = m;
	k->fsn->nmarks++;
	k->fsn->mask |= m->mask;
	return 0;
}

/* gk_fsn_mark_changed - a mark's mask changed: the union is worked out again. */
void
gk_fsn_mark_changed(struct gk_kernel *k)
{
	struct gk_fsn_mark *m;
	uint32_t mask = 0;
	unsigned b;

	for (b = 0; b < GK_FSN_HASH; b++)
		for (m = k->fsn->hash[b]; m; m = m->next)
			mask |= m->mask;
	k->fsn->mask = mask;
}

/* gk_fsn_mark_del - m, on the table, sees nothing more. */
void
gk_fsn_mark_del(struct gk_kernel *k, struct gk_fsn_mark *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		k->fsn->hash[bucket(m->dev, m->ino)] = m->next;
	if (m->next)
		m->next->prev = m->prev;
	m->next = m->prev = NULL;
	if (--k->fsn->nmarks == 0) {
		/* The last: the table goes, and every hook is off again. */
		gk_kfree(k, k->fsn, sizeof(*k->fsn));
		k->fsn = NULL;
		return;
	}
	gk_fsn_mark_changed(k);
}

/*
 * Tell the marks on (dev, ino) that ask for mask's event. unlinked: the
 * event comes through an open file whose name is gone, which a mark with
 * IN_EXCL_UNLINK does not want. A mark's event op may drop that mark
 * (IN_ONESHOT), never another.
 */
static void
emit(struct gk_kernel *k, uint64_t dev, uint64_t ino, uint32_t mask, uint32_t cookie,
     const char *name, int unlinked)
{
	struct gk_fsn_mark *m, *next;
	size_t len = name ? strlen(name) : 0;

	if (!k->fsn)
		return; /* an earlier event of the operation ended the last mark (IN_ONESHOT) */
	for (m = k->fsn->hash[bucket(dev, ino)]; m; m = next) {
		next = m->next;
		if (m->dev != dev || m->ino != ino || !(m->mask & mask & IN_ALL_EVENTS))
			continue;
		if (unlinked && (m->mask & IN_EXCL_UNLINK))
			continue;
		m->ops->event(m, mask, cookie, name, len);
	}
}

/* The inode (dev, ino) is gone: IN_DELETE_SELF, then every mark on it goes. */
static void
self_gone(struct gk_kernel *k, uint64_t dev, uint64_t ino)
{
	struct gk_fsn_mark *m;

	emit(k, dev, ino, IN_DELETE_SELF, 0, NULL, 0);
	while (k->fsn) {
		for (m = k->fsn->hash[bucket(dev, ino)]; m; m = m->next)
			if (m->dev == dev && m->ino == ino)
				break;
		if (!m)
			return;
		gk_fsn_mark_del(k, m);
		m->ops->gone(m);
	}
}

/* Some mark is on (dev, ino). */
static struct gk_fsn_mark *
marked(struct gk_kernel *k, uint64_t dev, uint64_t ino)
{
	struct gk_fsn_mark *m;

	for (m = k->fsn ? k->fsn->hash[bucket(dev, ino)] : NULL; m; m = m->next)
		if (m->dev == dev && m->ino == ino)
			return m;
	return NULL;
}

/*
 * An open file of a guest process other than skip is on (dev, ino), so an
 * inode with no link left lives on. Asked only when a watched inode loses
 * its last link or an open file of one closes: every descriptor table is
 * looked through.
 */
static int
open_elsewhere(struct gk_kernel *k, uint64_t dev, uint64_t ino, const struct gk_file *skip)
{
	struct gk_proc *t;
	struct stat st;
	int i;

	for (t = k->procs; t; t = t->next) {
		for (i = 0; t->fdt && i < GK_NFD; i++) {
			struct gk_file *f = t->fdt->f[i];

			if (!f || f == skip || !f->mnt ||
			    (f->mnt->kind != GK_MNT_HOST && f->mnt->kind != GK_MNT_TMPFS))
				continue;
			if (f->ops->stat(f, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
				return 1;
		}
	}
	return 0;
}

/*
 * The inode (dev, ino) lost its last link: it is gone now, or, a file
 * still open on it, at that file's last close (the marks say unlinked).
 */
static void
last_link(struct gk_kernel *k, uint64_t dev, uint64_t ino, int isdir)
{
	struct gk_fsn_mark *m;

	if (!marked(k, dev, ino))
		return;
	if (isdir || !open_elsewhere(k, dev, ino, NULL)) {
		self_gone(k, dev, ino);
		return;
	}
	for (m = k->fsn->hash[bucket(dev, ino)]; m; m = m->next)
		if (m->dev == dev && m->ino == ino)
			m->unlinked = 1;
}

/*
 * gk_fsn_closed - f's last reference is going: if it was the last open
 * file of a watched inode that lost its last link, the inode goes now
 * (IN_DELETE_SELF, the marks' end).
 */
void
gk_fsn_closed(struct gk_file *f)
{
	struct gk_kernel *k = f->k;
	struct gk_fsn_mark *m;
	struct stat st;

	if (!gk_fsn_active(k) || !f->mnt ||
	    (f->mnt->kind != GK_MNT_HOST && f->mnt->kind != GK_MNT_TMPFS))
		return;
	if (f->ops->stat(f, &st) < 0 || st.st_nlink != 0)
		return;
	m = marked(k, st.st_dev, st.st_ino);
	if (m && m->unlinked && !open_elsewhere(k, st.st_dev, st.st_ino, f))
		self_gone(k, st.st_dev, st.st_ino);
}

/* stat (follow) or lstat the absolute guest path gpath, walked afresh. */
static int
stat_gpath(struct gk_proc *p, const char *gpath, int follow, struct stat *st)
{
	struct gk_path path;
	int err;

	err = gk_walk(p->k, p, p->k->droot, gpath, follow ? GK_LOOKUP_FOLLOW : 0, &path);
	return err < 0 ? err : gk_vfs_stat(p, &path, follow, st);
}

/*
 * Split gpath into its directory's inode (*ret_st, 0 returned) and its last
 * name (name, NAME_MAX + 1 bytes). -ENOENT for "/", which has no parent.
 */
static int
parent_of(struct gk_proc *p, const char *gpath, char *name, struct stat *ret_st)
{
	const char *slash = strrchr(gpath, '/');
	char dir[GK_PATH_MAX];
	size_t dlen;

	if (!slash || slash[1] == '\0')
		return -ENOENT;
	snprintf(name, 256, "%s", slash + 1);
	dlen = slash == gpath ? 1 : (size_t)(slash - gpath);
	memcpy(dir, gpath, dlen);
	dir[dlen] = '\0';
	return stat_gpath(p, dir, 1, ret_st);
}

/*
 * gk_fsn_look - before a change to path: note the object's inode (stat if
 * follow, else lstat), if it exists, its directory's and its name.
 */
void
gk_fsn_look(struct gk_proc *p, struct gk_path *path, int follow, struct gk_fsn_obj *o)
{
	struct stat st;

	o->ok = 0;
	if (!gk_fsn_active(p->k))
		return;
	o->ok = 1;
	o->have = gk_vfs_stat(p, path, follow, &st) == 0;
	if (o->have) {
		o->dev = st.st_dev;
		o->ino = st.st_ino;
		o->isdir = S_ISDIR(st.st_mode);
		o->nlink = st.st_nlink;
	}
	o->dir_ok = parent_of(p, path->gpath, o->name, &st) == 0;
	if (o->dir_ok) {
		o->ddev = st.st_dev;
		o->dino = st.st_ino;
	}
}

/* gk_fsn_create - o's name was made (mkdir: isdir): IN_CREATE in its directory. */
void
gk_fsn_create(struct gk_proc *p, struct gk_fsn_obj *o, int isdir)
{
	if (o->ok && o->dir_ok)
		emit(p->k, o->ddev, o->dino, IN_CREATE | (isdir ? IN_ISDIR : 0), 0, o->name, 0);
}

/*
 * gk_fsn_remove - o's name was unlinked or removed (rmdir): as Linux's
 * vfs_unlink, IN_ATTRIB (a link fewer) on a non-directory, IN_DELETE_SELF
 * and the marks' end when no link is left (or at the last close, when
 * open), IN_DELETE in the directory.
 */
void
gk_fsn_remove(struct gk_proc *p, struct gk_fsn_obj *o)
{
	if (!o->ok || !o->have)
		return;
	if (!o->isdir)
		emit(p->k, o->dev, o->ino, IN_ATTRIB, 0, NULL, 0);
	if (o->isdir || o->nlink <= 1)
		last_link(p->k, o->dev, o->ino, o->isdir);
	if (o->dir_ok)
		emit(p->k, o->ddev, o->dino, IN_DELETE | (o->isdir ? IN_ISDIR : 0), 0, o->name, 0);
}

/* gk_fsn_attrib - o's attributes changed (mask IN_ATTRIB, IN_MODIFY or IN_ACCESS). */
void
gk_fsn_attrib(struct gk_proc *p, struct gk_fsn_obj *o, uint32_t mask)
{
	uint32_t isd;

	if (!o->ok || !o->have || !mask)
		return;
	isd = o->isdir ? IN_ISDIR : 0;
	if (o->dir_ok)
		emit(p->k, o->ddev, o->dino, mask | isd, 0, o->name, 0);
	emit(p->k, o->dev, o->ino, mask | isd, 0, NULL, 0);
}

/* gk_fsn_link - from got the new name to: IN_ATTRIB on it, IN_CREATE in to's directory. */
void
gk_fsn_link(struct gk_proc *p, struct gk_fsn_obj *from, struct gk_fsn_obj *to)
{
	if (!from->ok || !from->have)
		return;
	emit(p->k, from->dev, from->ino, IN_ATTRIB, 0, NULL, 0);
	gk_fsn_create(p, to, from->isdir);
}

/*
 * gk_fsn_move - from was renamed to (which it replaced if it existed, or,
 * exchange, swapped with): IN_MOVED_FROM and IN_MOVED_TO with one cookie,
 * IN_ATTRIB on a replaced inode, IN_MOVE_SELF on the moved one, then the
 * replaced one's end if that was its last link (Linux's fsnotify_move).
 */
void
gk_fsn_move(struct gk_proc *p, struct gk_fsn_obj *from, struct gk_fsn_obj *to, int exchange)
{
	struct gk_kernel *k = p->k;
	uint32_t cookie, isd;
	int target;

	if (!from->ok || !from->have || !k->fsn)
		return;
	if (to->have && to->dev == from->dev && to->ino == from->ino)
		return; /* two links of one inode: rename(2) does nothing */
	if (++k->fsn->cookie == 0)
		k->fsn->cookie = 1;
	cookie = k->fsn->cookie;
	isd = from->isdir ? IN_ISDIR : 0;
	if (from->dir_ok)
		emit(k, from->ddev, from->dino, IN_MOVED_FROM | isd, cookie, from->name, 0);
	if (to->dir_ok)
		emit(k, to->ddev, to->dino, IN_MOVED_TO | isd, cookie, to->name, 0);
	target = !exchange && to->have;
	if (target)
		emit(k, to->dev, to->ino, IN_ATTRIB | (to->isdir ? IN_ISDIR : 0), 0, NULL, 0);
	emit(k, from->dev, from->ino, IN_MOVE_SELF, 0, NULL, 0);
	if (target && (to->isdir || to->nlink <= 1))
		last_link(k, to->dev, to->ino, to->isdir);
	if (exchange && to->have)
		gk_fsn_move(p, to, from, 0);
}

/*
 * gk_fsn_file - an event on an open file (IN_OPEN, IN_ACCESS, IN_MODIFY,
 * IN_ATTRIB, IN_CLOSE_*): to its directory's marks with its name, then to
 * its own. Files of host mounts and /tmp only; O_PATH files have no I/O.
 */
void
gk_fsn_file(struct gk_file *f, uint32_t mask)
{
	struct gk_kernel *k = f->k;
	struct gk_proc *p;
	struct stat st, cst, dst;
	char name[256];
	uint32_t isd;
	int linked;

	if (!gk_fsn_active(k) || !(k->fsn->mask & mask) || !f->mnt || (f->flags & O_PATH))
		return;
	if (f->mnt->kind != GK_MNT_HOST && f->mnt->kind != GK_MNT_TMPFS)
		return;
	/* The walk needs a task: the caller's, or init's for a last close outside any call. */
	p = k->sys_task ? k->sys_task : k->init;
	if (!p || f->ops->stat(f, &st) < 0)
		return;
	isd = S_ISDIR(st.st_mode) ? IN_ISDIR : 0;
	linked = stat_gpath(p, f->gpath, 0, &cst) == 0 && cst.st_dev == st.st_dev &&
		 cst.st_ino == st.st_ino;
	if (parent_of(p, f->gpath, name, &dst) == 0)
		emit(k, dst.st_dev, dst.st_ino, mask | isd, 0, name, !linked);
	emit(k, st.st_dev, st.st_ino, mask | isd, 0, NULL, !linked);
}

/*
 * gk_fsn_times_mask - the event of a utimensat(ts): IN_ATTRIB when both
 * times are set (ts NULL: both now), IN_ACCESS for the access time alone,
 * IN_MODIFY for the modification time alone, none when both are omitted
 * (Linux's fsnotify_change).
 */
uint32_t
gk_fsn_times_mask(const struct timespec *ts)
{
	int a, m;

	if (!ts)
		return IN_ATTRIB;
	a = ts[0].tv_nsec != UTIME_OMIT;
	m = ts[1].tv_nsec != UTIME_OMIT;
	return a && m ? IN_ATTRIB : a ? IN_ACCESS : m ? IN_MODIFY : 0;
}

/* gk_fsn_setattr_mask - the event of a change of attributes ia (fchmod, ftruncate...). */
uint32_t
gk_fsn_setattr_mask(const struct gk_iattr *ia)
{
	switch (ia->what) {
	case GK_SET_SIZE:
		return IN_MODIFY;
	case GK_SET_TIMES:
		return gk_fsn_times_mask(ia->ts);
	default:
		return IN_ATTRIB;
	}
}
