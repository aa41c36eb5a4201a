/*
 * lock_posix.c - fcntl's record locks: traditional (POSIX) locks, owned by
 * the process, and open file description (OFD) locks, owned by the open
 * file; one list per inode, where they conflict with each other.
 *
 * Layer src/guestkernel/fs, beside lock.c (its header comment gives the
 * model: inode contexts, owners, blocking, the limits). Here: the request
 * as Linux's flock64_to_posix_lock reads struct flock, the conflict test
 * (F_GETLK), setting a lock with the merge and split of an owner's ranges
 * (posix_lock_inode), and the deadlock check of a traditional F_SETLKW.
 *
 * Must not: touch guest memory (sys_file.c copies struct flock in and out).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "lock_impl.h"

#define DEADLK_HOPS 10 /* owners the deadlock check follows, as MAX_DEADLK_ITERATIONS */

static int
overlap(const struct gk_flock *a, const struct gk_flock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* a and b overlap or b starts right after a ends, or the other way round. */
static int
touch(const struct gk_flock *a, const struct gk_flock *b)
{
	return (a->end == GK_OFF_MAX || a->end + 1 >= b->start) &&
	       (b->end == GK_OFF_MAX || b->end + 1 >= a->start);
}

/*
 * The first traditional or OFD lock of c that req (not F_UNLCK) conflicts
 * with: another owner's, overlapping, one of them a write lock. NULL if
 * none.
 */
static struct gk_flock *
posix_conflict(const struct gk_flctx *c, const struct gk_flock *req)
{
	struct gk_flock *l;

	for (l = c->posix; l; l = l->next) {
		if (gk_lk_owner(l) == gk_lk_owner(req) || !overlap(l, req))
			continue;
		if (l->type == F_WRLCK || req->type == F_WRLCK)
			return l;
	}
	return NULL;
}

/*
 * req, a traditional F_SETLKW blocked by lock bl, would wait for a process
 * that waits, maybe through others, for req's owner: EDEADLK. Follows the
 * chain of sleeping F_SETLKW callers from bl's owner, as Linux's
 * posix_locks_deadlock does through its blocked list; an OFD lock's owner
 * waits for no one there.
 */
static int
posix_deadlock(struct gk_kernel *k, const struct gk_flock *req, const struct gk_flock *bl)
{
	const void *who = gk_lk_owner(bl);
	struct gk_proc *t;
	int hop;

	if (!bl->fdt)
		return 0;
	for (hop = 0; hop < DEADLK_HOPS; hop++) {
		for (t = k->procs; t; t = t->next) {
			if (t->state == GK_P_SLEEP && t->sys_nr == __NR_fcntl &&
			    t->lkw.kind == GK_LK_POSIX && t->lkw.owner == who)
				break;
		}
		if (!t)
			return 0;
		if (t->lkw.blocker == gk_lk_owner(req))
			return 1;
		if (!t->lkw.blocker_posix)
			return 0;
		who = t->lkw.blocker;
	}
	return 0;
}

/*
 * Apply req (owner, type, range) to the owner's locks on c as Linux's
 * posix_lock_inode does once nothing conflicts: same-type locks that
 * overlap or adjoin it merge into it, others it overlaps are cut back or
 * split around it; F_UNLCK only cuts. 0, or -ENOLCK with nothing changed.
 */
static int
posix_apply(struct gk_kernel *k, struct gk_flctx *c, const struct gk_flock *req)
{
	const void *me = gk_lk_owner(req);
	struct gk_flock r = *req, *l, **ll, *spare[2] = {NULL, NULL};
	int need = 0, i;

	if (r.type != F_UNLCK) {
		for (l = c->posix; l; l = l->next) {
			if (gk_lk_owner(l) != me || l->type != r.type || !touch(l, &r))
				continue;
			r.start = l->start < r.start ? l->start : r.start;
			r.end = l->end > r.end ? l->end : r.end;
		}
		need++;
	}
	for (l = c->posix; l; l = l->next)
		if (gk_lk_owner(l) == me && l->start < r.start && l->end > r.end)
			need++; /* split in two around r: one record more */
	if (need > 2) /* an owner's locks never overlap: one at most contains r */
		gk_panic(__func__, "%d locks of one owner around one range", need - 1);
	for (i = 0; i < need; i++) {
		if (!(spare[i] = gk_lk_new(k, &r))) {
			while (i--)
				gk_lk_free(k, spare[i]);
			return -ENOLCK;
		}
	}
	for (ll = &c->posix; (l = *ll);) {
		if (gk_lk_owner(l) != me || !overlap(l, &r)) {
			ll = &l->next;
			continue;
		}
		if (l->start >= r.start && l->end <= r.end) {
			*ll = l->next;
			gk_lk_free(k, l);
			continue;
		}
		if (l->start < r.start && l->end > r.end) {
			struct gk_flock *tail = spare[--need];

			spare[need] = NULL;
			*tail = *l;
			tail->start = r.end + 1;
			l->end = r.start - 1;
			tail->next = l->next;
			l->next = tail;
			ll = &tail->next;
			continue;
		}
		if (l->start < r.start)
			l->end = r.start - 1;
		else
			l->start = r.end + 1;
		ll = &l->next;
	}
	if (r.type != F_UNLCK) {
		struct gk_flock *n = spare[0];

		*n = r;
		/* Into the owner's run, by start; a new owner's run goes last. */
		for (ll = &c->posix; *ll && gk_lk_owner(*ll) != me; ll = &(*ll)->next)
			;
		while (*ll && gk_lk_owner(*ll) == me && (*ll)->start < n->start)
			ll = &(*ll)->next;
		n->next = *ll;
		*ll = n;
	}
	gk_lk_ctx_done(k, c, 1);
	return 0;
}

/*
 * The traditional or OFD request fl makes on f into *req, as Linux's
 * flock64_to_posix_lock: l_whence from the start, the file position or its
 * end; l_len 0 to the end of any file, negative the bytes before l_start.
 * 0, -EINVAL (whence, a range starting before 0, l_type), -EOVERFLOW (past
 * the largest offset).
 */
static int
posix_req(struct gk_proc *p, struct gk_file *f, int ofd, const struct flock *fl,
	  struct gk_flock *req)
{
	int64_t base, start, len = fl->l_len;
	struct stat st;

	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->ops->llseek(f, 0, SEEK_CUR);
		if (base < 0)
			base = 0; /* a stream's position is 0, as f_pos of a pipe */
		break;
	case SEEK_END:
		base = f->ops->stat(f, &st) == 0 && st.st_size > 0 ? st.st_size : 0;
		break;
	default:
		return -EINVAL;
	}
	if (fl->l_start > GK_OFF_MAX - base)
		return -EOVERFLOW;
	start = base + fl->l_start;
	if (start < 0)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	if (len > 0) {
		if (len - 1 > GK_OFF_MAX - start)
			return -EOVERFLOW;
		req->start = start;
		req->end = start + (len - 1);
	} else if (len < 0) {
		if (start + len < 0)
			return -EINVAL;
		req->start = start + len;
		req->end = start - 1;
	} else {
		req->start = start;
		req->end = GK_OFF_MAX;
	}
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	req->type = fl->l_type;
	if (ofd)
		req->file = f;
	else
		req->fdt = p->fdt;
	req->pid = p->tg->gpid;
	return 0;
}

/*
 * gk_lock_test - F_GETLK (ofd 0) or F_OFD_GETLK (ofd 1) on f for p, fl
 * copied in: the first lock of another owner that would block fl goes
 * into fl (l_whence SEEK_SET, l_len 0 for "to the end", l_pid its
 * process, -1 for an OFD lock), else fl's l_type becomes F_UNLCK and the
 * rest stays. F_OFD_GETLK with F_UNLCK asks for f's own first lock on the
 * range instead (Linux 6.6). 0, -EINVAL (l_type, whence, range, an OFD
 * l_pid other than 0), -EOVERFLOW.
 */
int
gk_lock_test(struct gk_proc *p, struct gk_file *f, int ofd, struct flock *fl)
{
	struct gk_flock req, *l = NULL;
	struct gk_flctx *c;
	int err;

	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && !(ofd && fl->l_type == F_UNLCK))
		return -EINVAL;
	err = posix_req(p, f, ofd, fl, &req);
	if (err < 0)
		return err;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	err = gk_lk_ctx_get(f, 0, &c);
	if (err < 0)
		return err;
	if (c && req.type != F_UNLCK) {
		l = posix_conflict(c, &req);
	} else if (c) {
		for (l = c->posix; l; l = l->next)
			if (gk_lk_owner(l) == gk_lk_owner(&req) && overlap(l, &req))
				break;
	}
	if (!l) {
		fl->l_type = F_UNLCK;
		return 0;
	}
	fl->l_type = l->type;
	fl->l_whence = SEEK_SET;
	fl->l_start = l->start;
	fl->l_len = l->end == GK_OFF_MAX ? 0 : l->end - l->start + 1;
	fl->l_pid = l->fdt ? l->pid : -1;
	return 0;
}

/*
 * gk_lock_set - F_SETLK, F_SETLKW (wait) or their OFD forms on f for p.
 * 0; -EAGAIN (a conflict, not waiting), -EDEADLK (waiting would close a
 * cycle of processes), -GK_EBLOCK (asleep until a lock of the inode
 * changes: the call runs again), -EBADF (a read lock on a file not open
 * for reading, a write lock on one not open for writing), -EINVAL,
 * -EOVERFLOW (the request), -ENOLCK (no room for a record).
 */
long
gk_lock_set(struct gk_proc *p, struct gk_file *f, int ofd, int wait, const struct flock *fl)
{
	struct gk_flock req, *bl;
	struct gk_flctx *c;
	int err;

	p->lkw.owner = NULL;
	err = posix_req(p, f, ofd, fl, &req);
	if (err < 0)
		return err;
	if ((req.type == F_RDLCK && !gk_lk_readable(f)) || (req.type == F_WRLCK && !gk_lk_writable(f)))
		return -EBADF;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	err = gk_lk_ctx_get(f, req.type != F_UNLCK, &c);
	if (err < 0 || !c)
		return err;
	if (req.type != F_UNLCK && (bl = posix_conflict(c, &req))) {
		if (!wait)
			return -EAGAIN;
		if (!ofd && posix_deadlock(f->k, &req, bl))
			return -EDEADLK;
		return gk_lk_wait(p, c, &req, ofd ? GK_LK_OFD : GK_LK_POSIX, bl);
	}
	err = posix_apply(f->k, c, &req);
	if (err < 0)
		gk_lk_ctx_done(f->k, c, 0);
	return err;
}
