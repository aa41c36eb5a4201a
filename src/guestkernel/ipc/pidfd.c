/*
 * pidfd.c - process descriptors (pidfd_open(2), clone's CLONE_PIDFD): a
 * file that names one process for good.
 *
 * Layer src/guestkernel/ipc: one implementation of fs/'s struct
 * gk_file_ops. The file holds a reference on the process's struct
 * gk_pidref (proc/pidref.c), never on the process itself, so it lives on
 * after the process is reaped, when it names nothing (a pid reused by
 * then is another process's). poll says POLLIN once the process has
 * exited and POLLHUP too once it has been reaped, as Linux's pidfd_poll;
 * it cannot be read or written (EINVAL).
 *
 * Must not: read syscall arguments (sys/sys_clone.c does) or send signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "ipc.h"

static short
pidfd_poll(struct gk_file *f, short events, struct gk_pollreg *reg)
{
	struct gk_pidref *r = f->priv;
	short ev = 0;

	if (reg)
		gk_poll_wait(reg, &r->wq, (short)(POLLIN | POLLHUP));
	if (r->exited)
		ev |= POLLIN | POLLRDNORM;
	if (!r->tg)
		ev |= POLLHUP;
	return ev & (events | POLLHUP | POLLERR);
}

static void
pidfd_release(struct gk_file *f)
{
	struct gk_pidref *r = f->priv;

	f->priv = NULL;
	gk_pidref_put(r);
}

/*
 * /proc/PID/fdinfo/N: the process's pid in the guest's one pid name
 * space, or -1 once it is reaped (Linux's pidfd_show_fdinfo).
 */
static void
pidfd_fdinfo(struct gk_file *f, struct gk_sbuf *b)
{
	struct gk_pidref *r = f->priv;

	if (!r->tg) {
		gk_sb_printf(b, "Pid:\t-1\nNSpid:\t-1\n");
		return;
	}
	gk_sb_printf(b, "Pid:\t%d\nNSpid:\t%d\n", r->gpid, r->gpid);
}

const struct gk_file_ops gk_pidfd_ops = {
    .read = gk_file_no_read,
    .write = gk_file_no_write,
    .poll = pidfd_poll,
    .ioctl = gk_file_no_ioctl,
    .llseek = gk_file_no_llseek,
    .setfl = gk_file_setfl,
    .stat = gk_file_stat_st,
    .setattr = gk_file_no_setattr,
    .getdents = gk_file_no_getdents,
    .mmap = gk_file_no_mmap,
    .release = pidfd_release,
    .fdinfo = pidfd_fdinfo,
};

/*
 * gk_pidfd_new - a pidfd for process tg (one reference in *ret), open
 * O_RDWR plus flags' O_NONBLOCK (PIDFD_NONBLOCK: waitid(P_PIDFD) then
 * says EAGAIN rather than wait). Returns 0 or -ENOMEM.
 */
int
gk_pidfd_new(struct gk_kernel *k, struct gk_tgroup *tg, int flags, struct gk_file **ret)
{
	struct gk_pidref *r = gk_pidref_get(k, tg);
	struct gk_file *f;

	if (!r)
		return -ENOMEM;
	f = gk_anon_file_new(k, &gk_pidfd_ops, r, flags, "anon_inode:[pidfd]");
	if (!f) {
		gk_pidref_put(r);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}

/* gk_pidfd_ref - the process pidfd f names, or NULL if f is no pidfd. */
struct gk_pidref *
gk_pidfd_ref(const struct gk_file *f)
{
	return f && f->ops == &gk_pidfd_ops ? f->priv : NULL;
}
