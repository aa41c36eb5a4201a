/*
 * lock.c - advisory file locks between guest processes: fcntl's record
 * locks, traditional (POSIX) and open file description (OFD) ones, and
 * flock(2), as Linux's fs/locks.c keeps them.
 *
 * Layer src/guestkernel/fs, the mechanism under sys_file.c's fcntl and
 * flock. Locks belong to an inode: the context of every inode that has a
 * lock (struct gk_flctx) sits on a chain of k->lock_hash, keyed by the
 * inode's numbers as fstat gives them, with whose numbers they are: the
 * guest kernel's own (tmpfs nodes, pipes and FIFOs, /dev, /proc) or the
 * host's (st_dev, st_ino of the host file behind the open file), so that
 * two opens of one file, host or tmpfs, see each other's locks. A context
 * lives while it holds a lock; its wait queue is where blocked calls sleep.
 *
 * Owners. A traditional lock belongs to the process, which is Linux's
 * files_struct: the descriptor table (struct gk_fdtable), shared by a
 * process's threads; l_pid is the thread group's pid when it was taken.
 * All of an owner's locks on an inode go when it closes any descriptor of
 * the inode (gk_lock_close from gk_fd_close and gk_fdt_free: close, dup2
 * over it, close-on-exec, exit), none is inherited by fork (the child has a
 * table of its own) and exec keeps them. OFD locks and flock locks belong
 * to the open file (struct gk_file), shared by dup and fork, and go with
 * its last reference (gk_lock_file_gone). Traditional and OFD locks are
 * one list per inode and conflict with each other; flock locks are a
 * second list, independent of them, as on Linux.
 *
 * Blocking keeps the restart model: F_SETLKW, F_OFD_SETLKW and a flock
 * without LOCK_NB that meet a conflict sleep on the inode's queue (with
 * the nothing-changed-yet rule of Linux: a traditional request changes no
 * lock before it is granted) and run again from the start when any lock
 * of the inode goes or shrinks. While asleep a task's p->lkw says what it
 * waits for: the deadlock check (a traditional F_SETLKW that would close a
 * cycle of processes waiting on each other is EDEADLK, as Linux's
 * posix_locks_deadlock) and /proc/locks read it.
 *
 * Records are charged to the kernel heap (gk_kzalloc) and counted, at most
 * GK_LOCKS_MAX in the whole guest: past either a new lock is ENOLCK.
 *
 * Locks of host processes outside the guest are not seen, and the guest's
 * locks are not taken on the host: the tracer is one host process, so
 * host POSIX locks would merge every guest process into one owner and any
 * close in the tracer would drop them all, and a blocking host lock would
 * stall the one tracer thread that runs every guest process.
 *
 * Must not: touch guest memory (sys_file.c copies struct flock in and out)
 * or ask what kind a file is beyond whether a host descriptor backs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lock_impl.h"

/*
 * The inode f's locks go on, worked out once (its numbers do not change
 * while it is open): 0, or the error of its stat.
 */
static int
file_key(struct gk_file *f)
{
	struct stat st;
	int err;

	if (f->lk_cls)
		return 0;
	err = f->ops->stat(f, &st);
	if (err < 0)
		return err;
	f->lk_dev = st.st_dev;
	f->lk_ino = st.st_ino;
	f->lk_cls = f->hfd >= 0 ? GK_LKEY_HOST : GK_LKEY_GUEST;
	return 0;
}

/* The chain of k->lock_hash an inode's context is on. */
static struct gk_flctx **
chain_of(struct gk_kernel *k, int cls, uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ULL ^ dev ^ (uint64_t)cls << 62;

	return &k->lock_hash[(h >> 32) % GK_LOCK_HASH];
}

/*
 * The lock context of f's inode into *ret: the one there is, or (create)
 * a new empty one, else NULL. 0, or -errno (-ENOLCK: the kernel heap is
 * spent).
 */
int
gk_lk_ctx_get(struct gk_file *f, int create, struct gk_flctx **ret)
{
	struct gk_flctx *c, **chain;
	int err = file_key(f);

	*ret = NULL;
	if (err < 0)
		return err;
	chain = chain_of(f->k, f->lk_cls, f->lk_dev, f->lk_ino);
	for (c = *chain; c; c = c->next) {
		if (c->cls == f->lk_cls && c->dev == f->lk_dev && c->ino == f->lk_ino) {
			*ret = c;
			return 0;
		}
	}
	if (!create)
		return 0;
	c = gk_kzalloc(f->k, sizeof(*c));
	if (!c)
		return -ENOLCK;
	c->cls = f->lk_cls;
	c->dev = f->lk_dev;
	c->ino = f->lk_ino;
	c->next = *chain;
	*chain = c;
	*ret = c;
	return 0;
}

/*
 * After a change to c: its waiters run again (a lock went, shrank or was
 * downgraded), and a context with no lock left goes.
 */
void
gk_lk_ctx_done(struct gk_kernel *k, struct gk_flctx *c, int changed)
{
	struct gk_flctx **cc;

	if (changed)
		gk_waitq_wake(&c->wq, 0);
	if (c->posix || c->flocks)
		return;
	gk_waitq_fini(&c->wq);
	for (cc = chain_of(k, c->cls, c->dev, c->ino); *cc; cc = &(*cc)->next) {
		if (*cc == c) {
			*cc = c->next;
			gk_kfree(k, c, sizeof(*c));
			return;
		}
	}
	gk_panic(__func__, "lock context not on its chain");
}

/* A new record copying tmpl, counted on its owner; NULL at the limits (-ENOLCK). */
struct gk_flock *
gk_lk_new(struct gk_kernel *k, const struct gk_flock *tmpl)
{
	struct gk_flock *l;

	if (k->nlocks >= GK_LOCKS_MAX || !(l = gk_kzalloc(k, sizeof(*l))))
		return NULL;
	*l = *tmpl;
	l->next = NULL;
	k->nlocks++;
	if (l->fdt)
		l->fdt->nlocks++;
	else
		l->file->nlocks++;
	return l;
}

void
gk_lk_free(struct gk_kernel *k, struct gk_flock *l)
{
	if (l->fdt)
		l->fdt->nlocks--;
	else
		l->file->nlocks--;
	k->nlocks--;
	gk_kfree(k, l, sizeof(*l));
}

/* p sleeps on c's queue until a lock of it changes, waiting for req behind bl. */
long
gk_lk_wait(struct gk_proc *p, struct gk_flctx *c, const struct gk_flock *req, int kind,
	const struct gk_flock *bl)
{
	long r;

	p->lkw.owner = gk_lk_owner(req);
	p->lkw.blocker = gk_lk_owner(bl);
	p->lkw.blocker_posix = bl->fdt != NULL;
	p->lkw.kind = kind;
	p->lkw.type = req->type;
	p->lkw.start = req->start;
	p->lkw.end = req->end;
	p->lkw.cls = c->cls;
	p->lkw.dev = c->dev;
	p->lkw.ino = c->ino;
	r = gk_block(p, &c->wq, 0);
	if (r != -GK_EBLOCK) {
		p->lkw.owner = NULL;
		return -ENOLCK;
	}
	return r;
}

/*
 * gk_lock_flock - flock(2) on f for p: type F_RDLCK (LOCK_SH), F_WRLCK
 * (LOCK_EX) or F_UNLCK (LOCK_UN); nb for LOCK_NB. A lock f holds already
 * of the other type goes first and the new one is then asked for, so a
 * conversion is not atomic (flock(2)): another process may get in
 * between, and a conversion that fails leaves f with no lock. 0,
 * -EWOULDBLOCK, -GK_EBLOCK (asleep), -EBADF (f open for neither reading
 * nor writing), -ENOLCK.
 */
long
gk_lock_flock(struct gk_proc *p, struct gk_file *f, int type, int nb)
{
	struct gk_flock req, *l, **ll;
	struct gk_flctx *c;
	int err, changed = 0;

	p->lkw.owner = NULL;
	if (type != F_UNLCK && !gk_lk_readable(f) && !gk_lk_writable(f))
		return -EBADF;
	err = gk_lk_ctx_get(f, type != F_UNLCK, &c);
	if (err < 0 || !c)
		return err;
	for (ll = &c->flocks; (l = *ll); ll = &l->next) {
		if (l->file != f)
			continue;
		if (l->type == type)
			return 0;
		*ll = l->next;
		gk_lk_free(f->k, l);
		changed = 1;
		break;
	}
	memset(&req, 0, sizeof(req));
	req.file = f;
	req.type = (short)type;
	req.end = GK_OFF_MAX;
	req.pid = p->tg->gpid;
	if (type != F_UNLCK) {
		for (l = c->flocks; l; l = l->next) {
			if (l->file == f || (l->type != F_WRLCK && type != F_WRLCK))
				continue;
			if (changed)
				gk_waitq_wake(&c->wq, 0);
			if (nb)
				return -EWOULDBLOCK;
			return gk_lk_wait(p, c, &req, GK_LK_FLOCK, l);
		}
		if (!(l = gk_lk_new(f->k, &req))) {
			gk_lk_ctx_done(f->k, c, changed);
			return -ENOLCK;
		}
		for (ll = &c->flocks; *ll; ll = &(*ll)->next)
			;
		*ll = l;
	}
	gk_lk_ctx_done(f->k, c, changed);
	return 0;
}

/* Free every lock of list *ll that match says goes; 1 if any went. */
static int
drop_locks(struct gk_kernel *k, struct gk_flock **ll, const struct gk_fdtable *fdt,
	   const struct gk_file *file)
{
	struct gk_flock *l;
	int n = 0;

	while ((l = *ll)) {
		if ((fdt && l->fdt == fdt) || (file && l->file == file)) {
			*ll = l->next;
			gk_lk_free(k, l);
			n = 1;
		} else {
			ll = &l->next;
		}
	}
	return n;
}

/*
 * gk_lock_close - the process whose descriptor table is fdt closes a
 * descriptor of f (close, dup2 over it, close-on-exec, exit): every
 * traditional lock it holds on f's inode goes, whichever descriptor took
 * it (fcntl(2): the POSIX rule).
 */
void
gk_lock_close(struct gk_fdtable *fdt, struct gk_file *f)
{
	struct gk_flctx *c;

	if (!fdt->nlocks || gk_lk_ctx_get(f, 0, &c) < 0 || !c)
		return;
	gk_lk_ctx_done(f->k, c, drop_locks(f->k, &c->posix, fdt, NULL));
}

/* gk_lock_file_gone - f's last reference went: its OFD and flock locks go. */
void
gk_lock_file_gone(struct gk_file *f)
{
	struct gk_flctx *c;
	int n;

	if (!f->nlocks || gk_lk_ctx_get(f, 0, &c) < 0 || !c)
		return;
	n = drop_locks(f->k, &c->posix, NULL, f);
	n |= drop_locks(f->k, &c->flocks, NULL, f);
	gk_lk_ctx_done(f->k, c, n);
	if (f->nlocks)
		gk_panic(__func__, "%d locks of a file outlive it", f->nlocks);
}

/*
 * gk_lock_fdt_gone - fdt is freed: any traditional lock it still owns
 * goes. Closing its descriptors took every one already; this keeps a lock
 * from naming a table that is gone whatever path dropped a descriptor.
 */
void
gk_lock_fdt_gone(struct gk_kernel *k, struct gk_fdtable *fdt)
{
	struct gk_flctx *c, *next;
	int i;

	for (i = 0; i < GK_LOCK_HASH && fdt->nlocks; i++) {
		for (c = k->lock_hash[i]; c; c = next) {
			next = c->next;
			gk_lk_ctx_done(k, c, drop_locks(k, &c->posix, fdt, NULL));
		}
	}
}

/* One /proc/locks line. */
static void
proc_line(FILE *m, int id, int waiter, int kind, short type, int pid, const struct gk_flctx *c,
	  int64_t start, int64_t end)
{
	static const char what[][16] = {"", "POSIX  ADVISORY", "OFDLCK ADVISORY", "FLOCK  ADVISORY"};

	fprintf(m, "%d: %s%s  %s %d %02x:%02x:%llu ", id, waiter ? "-> " : "", what[kind],
		type == F_WRLCK ? "WRITE" : "READ", kind == GK_LK_OFD ? -1 : pid,
		major((dev_t)c->dev), minor((dev_t)c->dev), (unsigned long long)c->ino);
	if (kind == GK_LK_FLOCK || end == GK_OFF_MAX)
		fprintf(m, "%lld EOF\n", kind == GK_LK_FLOCK ? 0LL : (long long)start);
	else
		fprintf(m, "%lld %lld\n", (long long)start, (long long)end);
}

/* The tasks asleep waiting behind l (the first lock of its owner on c they wait for). */
static void
proc_waiters(FILE *m, struct gk_kernel *k, int id, const struct gk_flctx *c,
	     const struct gk_flock *l, int flock)
{
	const struct gk_flock *o;
	struct gk_proc *t;

	for (o = flock ? c->flocks : c->posix; o != l; o = o->next)
		if (gk_lk_owner(o) == gk_lk_owner(l))
			return;
	for (t = k->procs; t; t = t->next) {
		if (t->state != GK_P_SLEEP || !t->lkw.owner || t->lkw.blocker != gk_lk_owner(l) ||
		    t->lkw.cls != c->cls || t->lkw.dev != c->dev || t->lkw.ino != c->ino ||
		    (t->lkw.kind == GK_LK_FLOCK) != flock ||
		    t->sys_nr != (uint64_t)(flock ? __NR_flock : __NR_fcntl))
			continue;
		proc_line(m, id, 1, t->lkw.kind, t->lkw.type, t->tg->gpid, c, t->lkw.start,
			  t->lkw.end);
	}
}

/*
 * gk_lock_proc_text - /proc/locks: every lock of the guest, one line each
 * in Linux's format, each followed by the lines of the calls blocked
 * behind it ("->"). A malloc'd string (its length in *ret_len), NULL on
 * ENOMEM.
 */
char *
gk_lock_proc_text(struct gk_kernel *k, size_t *ret_len)
{
	const struct gk_flctx *c;
	const struct gk_flock *l;
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);
	int i, id = 0;

	if (!m)
		return NULL;
	for (i = 0; i < GK_LOCK_HASH; i++) {
		for (c = k->lock_hash[i]; c; c = c->next) {
			for (l = c->flocks; l; l = l->next) {
				proc_line(m, ++id, 0, GK_LK_FLOCK, l->type, l->pid, c, 0, GK_OFF_MAX);
				proc_waiters(m, k, id, c, l, 1);
			}
			for (l = c->posix; l; l = l->next) {
				proc_line(m, ++id, 0, l->fdt ? GK_LK_POSIX : GK_LK_OFD, l->type,
					  l->pid, c, l->start, l->end);
				proc_waiters(m, k, id, c, l, 0);
			}
		}
	}
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	*ret_len = len;
	return s;
}
