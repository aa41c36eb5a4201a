/*
 * sys_poll.c - waiting for descriptors: poll, ppoll, select, pselect6.
 *
 * Layer src/guestkernel/sys. Each file answers for itself (its poll
 * operation): pipes from pipe.c, host descriptors (the console, host files)
 * by asking the host with a zero timeout, the rest (/dev/null, /proc, tmpfs
 * files) always ready. With nothing ready, no signal and time left, the
 * entries are looked at once more with a registration (struct gk_pollreg):
 * each pipe end puts the caller on its queue, each host descriptor on its
 * watch in the host epoll set (console.c), before it answers, and the
 * caller sleeps on all of them (gk_wait_commit) unless one was ready after
 * all (gk_wait_cancel). A wake reaches only the pollers of the object that
 * changed. Its timeout is a deadline kept by timer.c. The tracer itself
 * never blocks here. Buffers are the call's own (the stack, or the heap
 * past 64 entries, bounded by RLIMIT_NOFILE for poll and by FD_SETSIZE for
 * select).
 *
 * Must not: block on the host.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "sys.h"

#define NS 1000000000ULL
#define POLL_MAX GK_NFD

/*
 * Fill in the revents of every entry from its file's poll; returns how many
 * are ready. With reg, the caller first goes on the wait queue of every
 * object it watches (each file's poll registers it).
 */
static int
scan(struct gk_proc *p, struct pollfd *pfd, int n, struct gk_pollreg *reg)
{
	int i, ready = 0;

	for (i = 0; i < n; i++) {
		struct gk_file *f;

		pfd[i].revents = 0;
		if (pfd[i].fd < 0)
			continue;
		f = gk_fd_get_io(p, pfd[i].fd);
		if (!f)
			pfd[i].revents = POLLNVAL;
		else
			pfd[i].revents = f->ops->poll(f, pfd[i].events, reg);
		if (pfd[i].revents)
			ready++;
	}
	return ready;
}

/*
 * Wait on pfd: ready entries, else a signal (-EINTR), else the timeout
 * (rel_ns; UINT64_MAX forever, 0 not at all), else sleep. Returns the
 * ready count, 0 on timeout, -EINTR or -GK_EBLOCK.
 */
static long
wait_fds(struct gk_proc *p, struct pollfd *pfd, int n, uint64_t rel_ns)
{
	struct gk_pollreg reg = {.p = p, .err = 0};
	long ready = scan(p, pfd, n, NULL);

	if (ready != 0)
		return ready;
	if (gk_sig_deliverable(p))
		return -EINTR;
	if (rel_ns != UINT64_MAX && gk_timeout(p, rel_ns))
		return 0;
	/* Prepare (on every queue), check, commit: a change after the look wakes us. */
	ready = scan(p, pfd, n, &reg);
	if (ready != 0 || reg.err) {
		gk_wait_cancel(p);
		return ready != 0 ? ready : reg.err;
	}
	return gk_wait_commit(p);
}

/* What is left of the call's timeout, for ppoll, select and pselect6 to write back. */
static uint64_t
time_left(struct gk_proc *p, uint64_t rel_ns)
{
	uint64_t now = gk_now_ns(CLOCK_MONOTONIC);

	if (!p->deadline)
		return rel_ns; /* ready at once: the timeout never started */
	return p->deadline > now ? p->deadline - now : 0;
}

static long
do_poll(struct gk_proc *p, uint64_t gva, uint64_t nfds, uint64_t rel_ns)
{
	struct pollfd stackbuf[64], *pfd = stackbuf;
	long r;

	if (nfds > POLL_MAX || nfds > p->tg->rlim[RLIMIT_NOFILE].rlim_cur)
		return -EINVAL;
	if (nfds > 64 && !(pfd = malloc(nfds * sizeof(*pfd))))
		return -ENOMEM;
	r = nfds && gk_copyin(p, pfd, gva, nfds * sizeof(*pfd)) < 0 ? -EFAULT : 0;
	if (r == 0)
		r = wait_fds(p, pfd, (int)nfds, rel_ns);
	if (r >= 0 && nfds && gk_copyout(p, gva, pfd, nfds * sizeof(*pfd)) < 0)
		r = -EFAULT;
	if (pfd != stackbuf)
		free(pfd);
	return r;
}

GK_SYS(poll)
{
	int ms = gk_arg_int(a, 2);

	return do_poll(p, gk_arg_ptr(a, 0), gk_arg_uint(a, 1),
		       ms < 0 ? UINT64_MAX : (uint64_t)ms * 1000000ULL);
}

GK_SYS(ppoll)
{
	uint64_t rel = UINT64_MAX, tsp = gk_arg_ptr(a, 2);
	long r;

	if (tsp && (r = gk_timespec_in(p, tsp, &rel)) < 0)
		return r;
	if ((r = gk_sig_call_mask(p, gk_arg_ptr(a, 3), gk_arg_size(a, 4))) < 0)
		return r;
	r = do_poll(p, gk_arg_ptr(a, 0), gk_arg_uint(a, 1), rel);
	if (r != -GK_EBLOCK && tsp && rel)
		gk_timespec_out(p, tsp, r == 0 ? 0 : time_left(p, rel));
	return r;
}

/*
 * select and pselect6: the three sets become poll entries and back. A bit
 * set for a descriptor that is not open is -EBADF.
 */
static long
do_select(struct gk_proc *p, int nfds, const uint64_t *sets, uint64_t rel_ns)
{
	struct pollfd stackbuf[64], *pfd = stackbuf;
	fd_set in[3];
	size_t bytes;
	int fd, n = 0, k, i;
	long r, count = 0;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	bytes = ((size_t)nfds + 63) / 64 * 8;
	for (k = 0; k < 3; k++) {
		memset(&in[k], 0, sizeof(in[k]));
		if (sets[k] && gk_copyin(p, &in[k], sets[k], bytes) < 0)
			return -EFAULT;
	}
	for (fd = 0; fd < nfds; fd++) {
		short ev = (FD_ISSET(fd, &in[0]) ? POLLIN : 0) | (FD_ISSET(fd, &in[1]) ? POLLOUT : 0) |
			   (FD_ISSET(fd, &in[2]) ? POLLPRI : 0);

		if (!ev)
			continue;
		if (!gk_fd_get(p, fd)) {
			r = -EBADF;
			goto out;
		}
		if (n == 64 && pfd == stackbuf) {
			/* Past 64 descriptors: room for every one select may name. */
			pfd = malloc((size_t)nfds * sizeof(*pfd));
			if (!pfd) {
				pfd = stackbuf;
				r = -ENOMEM;
				goto out;
			}
			memcpy(pfd, stackbuf, sizeof(stackbuf));
		}
		pfd[n].fd = fd;
		pfd[n++].events = ev;
	}
	r = wait_fds(p, pfd, n, rel_ns);
	if (r < 0)
		goto out;
	for (k = 0; k < 3; k++)
		memset(&in[k], 0, sizeof(in[k]));
	for (i = 0; r > 0 && i < n; i++) {
		short rev = pfd[i].revents;

		if ((pfd[i].events & POLLIN) && (rev & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(pfd[i].fd, &in[0]);
			count++;
		}
		if ((pfd[i].events & POLLOUT) && (rev & (POLLOUT | POLLERR))) {
			FD_SET(pfd[i].fd, &in[1]);
			count++;
		}
		if ((pfd[i].events & POLLPRI) && (rev & POLLPRI)) {
			FD_SET(pfd[i].fd, &in[2]);
			count++;
		}
	}
	r = count;
	for (k = 0; k < 3; k++)
		if (sets[k] && gk_copyout(p, sets[k], &in[k], bytes) < 0)
			r = -EFAULT;
out:
	if (pfd != stackbuf)
		free(pfd);
	return r;
}

GK_SYS(select)
{
	struct timeval tv;
	uint64_t rel = UINT64_MAX, left, tvp = gk_arg_ptr(a, 4);
	uint64_t sets[3] = {gk_arg_ptr(a, 1), gk_arg_ptr(a, 2), gk_arg_ptr(a, 3)};
	long r;

	if (tvp) {
		if (gk_copyin(p, &tv, tvp, sizeof(tv)) < 0)
			return -EFAULT;
		/* As Linux: whole seconds in tv_usec carry over; negative is -EINVAL. */
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Past KTIME_MAX is forever, as there: no wrap into a short timeout. */
		if ((uint64_t)tv.tv_sec >= (uint64_t)INT64_MAX / NS / 2 ||
		    (uint64_t)tv.tv_usec >= (uint64_t)INT64_MAX / 1000 / 2)
			rel = INT64_MAX;
		else
			rel = (uint64_t)tv.tv_sec * NS + (uint64_t)tv.tv_usec * 1000;
	}
	r = do_select(p, gk_arg_int(a, 0), sets, rel);
	if (r >= 0 && tvp && rel) {
		left = r == 0 ? 0 : time_left(p, rel);
		tv.tv_sec = (time_t)(left / NS);
		tv.tv_usec = (long)(left % NS / 1000);
		gk_copyout(p, tvp, &tv, sizeof(tv));
	}
	return r;
}

GK_SYS(pselect6)
{
	uint64_t rel = UINT64_MAX, sig[2] = {0, 0}, tsp = gk_arg_ptr(a, 4), sigp = gk_arg_ptr(a, 5);
	uint64_t sets[3] = {gk_arg_ptr(a, 1), gk_arg_ptr(a, 2), gk_arg_ptr(a, 3)};
	long r;

	if (tsp && (r = gk_timespec_in(p, tsp, &rel)) < 0)
		return r;
	if (sigp && gk_copyin(p, sig, sigp, sizeof(sig)) < 0)
		return -EFAULT;
	if ((r = gk_sig_call_mask(p, sig[0], sig[1])) < 0)
		return r;
	r = do_select(p, gk_arg_int(a, 0), sets, rel);
	if (r >= 0 && tsp && rel)
		gk_timespec_out(p, tsp, r == 0 ? 0 : time_left(p, rel));
	return r;
}
