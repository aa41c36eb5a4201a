/*
 * console.c - uvk's own terminal and host signals, seen from the guest.
 *
 * Layer src/guestkernel/fs. The guest's console is uvk's stdin/stdout/stderr.
 * Its line discipline stays the host's: the guest's termios calls go to the
 * host tty (console_ioctl), so with ISIG on, Ctrl-C, Ctrl-\ and Ctrl-Z reach uvk
 * as SIGINT, SIGQUIT and SIGTSTP. uvk's vmspace children sit in sessions
 * of their own, so the host signals only uvk, and here each becomes the
 * same signal for the guest's foreground process group (TIOCSPGRP). A
 * window change goes there too; SIGTERM and SIGHUP go to the guest's pid 1;
 * SIGCONT (uvk continued after a stop) continues the guest. Without a
 * terminal the foreground group stays pid 1's, so SIGINT and SIGQUIT reach
 * pid 1 too. A signal uvk inherited as ignored (nohup, a shell's background
 * job) stays ignored: uvk drops it, and pid 1 starts with it ignored, as
 * execve would have left it.
 *
 * The handlers only note the signal and write a byte to a pipe, which the
 * run loop's idle wait watches along with the host descriptors guest
 * processes sleep on (a console read with no input, a poll): the tracer
 * never blocks in a guest's read. Those descriptors sit in one host epoll
 * set (k->epfd), as many as the guest waits on: each has a watch with a
 * wait queue (struct gk_hwatch), registered one-shot while someone waits
 * on it and taken out of the set once nobody does. The epoll data names
 * the watch by descriptor and generation, never by pointer, so an event
 * the host still reports for a watch that is gone finds nothing.
 *
 * When the whole guest is stopped (pid 1 took SIGTSTP), uvk stops itself,
 * so that the shell that started it gets the terminal back. uvk's terminal
 * modes are saved at boot and restored at exit, whatever the guest did to
 * them.
 *
 * Must not: read guest input itself, or block anywhere but the idle wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

static const int forwarded[] = {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGCONT, SIGTERM, SIGHUP};
#define NFORWARDED ((int)(sizeof(forwarded) / sizeof(forwarded[0])))

static int sig_pipe[2] = {-1, -1};
static volatile unsigned long host_pending;
static unsigned long host_handled; /* bit sig: uvk takes sig (not inherited ignored) */
static struct sigaction old_actions[NFORWARDED];

/* A host descriptor tasks wait on, in k->hwatch while its queue is not empty. */
struct gk_hwatch {
	struct gk_hwatch *next;
	int hfd;
	uint32_t gen;	/* with hfd, the epoll data: a stale event matches no watch */
	uint32_t armed; /* epoll events it is armed for (one-shot), 0 none */
	int inset;	/* in k->epfd (an event or a MOD may still come) */
	struct gk_waitq q;
};

#define SIGPIPE_TOKEN 0 /* the epoll data of the signal pipe; watches have gen >= 1 */
#define KICK_TOKEN    1 /* ... of k->kick_fd, which wakes vCPU 0 (kern/cpu.c) */

static void
host_handler(int sig)
{
	int saved = errno;

	__atomic_fetch_or(&host_pending, 1UL << sig, __ATOMIC_SEQ_CST);
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "", 1) < 0) {
		/* Full pipe: a wakeup is pending already. */
	}
	errno = saved;
}

/* gk_console_init - note uvk's terminal modes and take the host signals. 0 or -errno. */
int
gk_console_init(struct gk_kernel *k)
{
	struct termios *t = (struct termios *)k->tty_modes;
	struct sigaction sa;
	int i;

	_Static_assert(sizeof(struct termios) <= sizeof(k->tty_modes), "termios fits");
	k->fg_pgrp = 1;
	k->tty_fd = isatty(0) ? 0 : isatty(1) ? 1 : isatty(2) ? 2 : -1;
	if (k->tty_fd >= 0 && tcgetattr(k->tty_fd, t) == 0)
		k->tty_saved = 1;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k->epfd < 0)
		return -errno;
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SIGPIPE_TOKEN};

		if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, sig_pipe[0], &ev) < 0)
			return -errno;
		k->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ev.data.u64 = KICK_TOKEN;
		if (k->kick_fd < 0 || epoll_ctl(k->epfd, EPOLL_CTL_ADD, k->kick_fd, &ev) < 0)
			return -errno;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFORWARDED; i++) {
		sigaction(forwarded[i], NULL, &old_actions[i]);
		/* SIGCONT continues uvk even when ignored: the guest must hear of it. */
		if (old_actions[i].sa_handler == SIG_IGN && forwarded[i] != SIGCONT)
			continue;
		if (sigaction(forwarded[i], &sa, NULL) == 0)
			host_handled |= 1UL << forwarded[i];
	}
	return 0;
}

/*
 * gk_console_note_ignored - before uvk changes any disposition, note the
 * signals it inherited as ignored: pid 1 inherits them (entry/boot.c).
 */
void
gk_console_note_ignored(struct gk_kernel *k)
{
	struct sigaction old;
	int sig;

	k->host_ignored = 0;
	for (sig = 1; sig < GK_NSIG && sig <= SIGRTMAX; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			k->host_ignored |= gk_sigbit(sig);
	}
}

/* Put the terminal back as uvk found it; SIGTTOU held, so a background uvk can too. */
static void
restore_tty(struct gk_kernel *k)
{
	sigset_t ttou, old;

	if (!k->tty_saved)
		return;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetattr(k->tty_fd, TCSANOW, (struct termios *)k->tty_modes);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void watch_free(struct gk_kernel *k, struct gk_hwatch *w);

/*
 * gk_console_fini - the terminal back, the host signals back, every watch
 * gone (its waiters off its queue: tasks are freed after this).
 */
void
gk_console_fini(struct gk_kernel *k)
{
	int i;

	while (k->hwatch)
		watch_free(k, k->hwatch);
	if (k->epfd >= 0)
		close(k->epfd);
	k->epfd = -1;
	if (k->kick_fd >= 0)
		close(k->kick_fd);
	k->kick_fd = -1;
	restore_tty(k);
	if (sig_pipe[0] < 0)
		return;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old_actions[i], NULL);
	host_handled = 0;
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

/* Take w out of the set and the list, waking whoever is still on it. */
static void
watch_free(struct gk_kernel *k, struct gk_hwatch *w)
{
	struct gk_hwatch **wp;

	for (wp = &k->hwatch; *wp; wp = &(*wp)->next) {
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	}
	/* A descriptor closed already left the set with it: ENOENT/EBADF are fine. */
	if (w->inset)
		epoll_ctl(k->epfd, EPOLL_CTL_DEL, w->hfd, NULL);
	gk_waitq_fini(&w->q);
	k->nhwatch--;
	gk_kmem_uncharge(k, sizeof(*w));
	free(w);
}

/* hfd's watch, made if need be; NULL when the kernel-heap budget is spent. */
static struct gk_hwatch *
watch_get(struct gk_kernel *k, int hfd)
{
	struct gk_hwatch *w;

	for (w = k->hwatch; w; w = w->next)
		if (w->hfd == hfd)
			return w;
	if (gk_kmem_charge(k, sizeof(*w)) < 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		gk_kmem_uncharge(k, sizeof(*w));
		return NULL;
	}
	w->hfd = hfd;
	if (++k->hwatch_gen == 0)
		k->hwatch_gen = 1;
	w->gen = k->hwatch_gen;
	w->next = k->hwatch;
	k->hwatch = w;
	k->nhwatch++;
	return w;
}

/*
 * Arm w for events (poll bits, which epoll shares) on top of what it is
 * armed for. 0, or -errno from the host (EPERM: a kind of file epoll
 * cannot watch, which poll calls always ready anyway).
 */
static int
watch_arm(struct gk_kernel *k, struct gk_hwatch *w, short events)
{
	struct epoll_event ev;
	uint32_t want = w->armed | (uint16_t)events;

	if (want == w->armed)
		return 0;
	ev.events = want | EPOLLONESHOT;
	ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)w->hfd;
	if (w->inset && epoll_ctl(k->epfd, EPOLL_CTL_MOD, w->hfd, &ev) == 0) {
		w->armed = want;
		return 0;
	}
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, w->hfd, &ev) < 0)
		return -errno;
	w->inset = 1;
	w->armed = want;
	return 0;
}

/*
 * Put reg's poller on hfd's watch for events; the host reports hang-ups
 * and errors whatever was asked, so those wake it too. 0 or -errno.
 */
static int
host_wait(struct gk_kernel *k, struct gk_pollreg *reg, int hfd, short events)
{
	struct gk_hwatch *w = watch_get(k, hfd);
	int err;

	if (!w)
		return -ENOMEM;
	if ((err = watch_arm(k, w, events)) < 0) {
		if (gk_waitq_empty(&w->q))
			watch_free(k, w);
		return err;
	}
	gk_poll_wait(reg, &w->q, (short)(events | POLLHUP | POLLERR));
	return reg->err;
}

/*
 * gk_console_wait - p reads the console (or another host descriptor) hfd
 * and the host has nothing for it: p sleeps until hfd has events. Returns
 * -GK_EBLOCK; 0 if the host will not watch hfd (the caller reads at once,
 * and the host answers); -ENOMEM.
 */
long
gk_console_wait(struct gk_proc *p, int hfd, short events)
{
	struct gk_pollreg reg = {.p = p, .err = 0};
	int err = host_wait(p->k, &reg, hfd, events);

	if (err < 0) {
		gk_wait_cancel(p);
		return err == -ENOMEM ? -ENOMEM : 0;
	}
	return gk_wait_commit(p);
}

/*
 * gk_host_poll_wait - poll found host descriptor hfd not ready: put reg's
 * poller on its watch for events. Returns 0, or the events to report at
 * once when the host will not watch hfd (poll then says what was asked,
 * as it does for files that are always ready).
 */
short
gk_host_poll_wait(struct gk_kernel *k, struct gk_pollreg *reg, int hfd, short events)
{
	int err = host_wait(k, reg, hfd, events);

	if (err < 0 && err != -ENOMEM)
		return (short)(events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
	return 0;
}

/*
 * The one-shot event fired for w: whoever still waits on it waits for
 * other events (POLLOUT while POLLIN came): arm it for those.
 */
static void
rearm(struct gk_kernel *k, struct gk_hwatch *w)
{
	struct gk_wentry *e;
	short want = 0;

	for (e = w->q.first; e; e = e->next)
		want |= e->events;
	if (want && watch_arm(k, w, want) < 0)
		gk_waitq_wake(&w->q, 0); /* cannot watch it now: let them look again */
}

/* Watches nobody waits on any more leave the set (a woken task left their queues). */
static void
watches_gc(struct gk_kernel *k)
{
	struct gk_hwatch *w, *next;

	for (w = k->hwatch; w; w = next) {
		next = w->next;
		if (gk_waitq_empty(&w->q))
			watch_free(k, w);
	}
}

/*
 * gk_console_check - wait up to timeout_ns (0: just look, -1: until
 * something happens) for a watched descriptor or a host signal. A ready
 * descriptor wakes the tasks on its watch's queue, which look again and
 * wait again if need be. The wait is a ppoll on the epoll descriptor, for
 * its nanosecond timeout; the events are then collected without waiting.
 */
void
gk_console_check(struct gk_kernel *k, int64_t timeout_ns)
{
	struct epoll_event ev[64];
	struct timespec ts;
	struct gk_hwatch *w;
	char buf[64];
	int i, n;

	if (k->hwatch)
		watches_gc(k);
	if (timeout_ns == 0 && !k->hwatch)
		return;
	if (timeout_ns != 0) {
		struct pollfd pfd = {.fd = k->epfd, .events = POLLIN};

		int r;

		ts.tv_sec = (time_t)(timeout_ns / 1000000000LL);
		ts.tv_nsec = (long)(timeout_ns % 1000000000LL);
		/* Asleep: other vCPUs run the kernel meanwhile (a kick wakes us, KICK_TOKEN). */
		gk_bkl_unlock(k);
		r = ppoll(&pfd, 1, timeout_ns > 0 ? &ts : NULL, NULL);
		gk_bkl_lock(k);
		if (r <= 0)
			return;
	}
	do {
		n = epoll_wait(k->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), 0);
		for (i = 0; i < n; i++) {
			uint64_t d = ev[i].data.u64;

			if (d == SIGPIPE_TOKEN) {
				while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
					;
				continue;
			}
			if (d == KICK_TOKEN) {
				while (read(k->kick_fd, buf, sizeof(buf)) > 0)
					;
				continue;
			}
			for (w = k->hwatch; w; w = w->next)
				if (w->gen == (uint32_t)(d >> 32) && w->hfd == (int)(uint32_t)d)
					break;
			if (!w)
				continue; /* a watch gone since: one-shot, it will not come back */
			w->armed = 0;
			gk_waitq_wake(&w->q, (short)ev[i].events);
			rearm(k, w);
		}
	} while (n == (int)(sizeof(ev) / sizeof(ev[0])));
	watches_gc(k);
}

/*
 * gk_console_suspend - the guest's pid 1 is stopped and nothing runs: stop
 * uvk too, with the terminal as uvk found it, and carry on (the guest's
 * modes back) when the host continues it. The SIGCONT that does so is
 * passed on to the guest by the next gk_console_signals().
 */
void
gk_console_suspend(struct gk_kernel *k)
{
	struct termios guest;
	int had = k->tty_saved && tcgetattr(k->tty_fd, &guest) == 0;

	restore_tty(k);
	kill(getpid(), SIGSTOP);
	if (had) {
		sigset_t ttou, old;

		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		sigprocmask(SIG_BLOCK, &ttou, &old);
		tcsetattr(k->tty_fd, TCSANOW, &guest);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

/* gk_console_signals - hand the host signals that arrived to the guest. */
void
gk_console_signals(struct gk_kernel *k)
{
	unsigned long got = __atomic_exchange_n(&host_pending, 0, __ATOMIC_SEQ_CST);
	int i, sig;

	for (i = 0; got && i < NFORWARDED; i++) {
		sig = forwarded[i];
		if (!(got & (1UL << sig)))
			continue;
		switch (sig) {
		case SIGTERM:
		case SIGHUP:
			gk_sig_kill(k->init, sig, SI_KERNEL, 0);
			break;
		case SIGCONT:
			gk_sig_kill(k->init, SIGCONT, SI_KERNEL, 0);
			/* fall through */
		default:
			gk_sig_pgrp(k, k->fg_pgrp, sig, SI_KERNEL, 0);
		}
	}
}

/*
 * gk_console_idle_possible - can anything still wake an idle guest? A
 * watched descriptor, a terminal, or a host signal that uvk passes on: a
 * guest in pause() waits for SIGTERM as a native process would. Only with
 * every one of those ignored is the guest blocked for good.
 */
int
gk_console_idle_possible(struct gk_kernel *k)
{
	const unsigned long ends = 1UL << SIGTERM | 1UL << SIGINT | 1UL << SIGHUP | 1UL << SIGQUIT;

	return k->hwatch != NULL || k->tty_fd >= 0 || (host_handled & ends);
}

/* ---- the console as an open file --------------------------------------------------- */

/* Would a read of the host descriptor return at once (data, EOF or an error)? */
static int
console_ready(int hfd)
{
	struct pollfd pfd = {.fd = hfd, .events = POLLIN};

	return poll(&pfd, 1, 0) != 0;
}

/* No input yet: sleep in the guest kernel, never in the host's read. */
static long
console_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	long r;

	if (off < 0 && !console_ready(f->hfd)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		/* 0: the host will not watch it (not pollable there): read now. */
		r = gk_console_wait(p, f->hfd, POLLIN);
		if (r != 0)
			return r;
	}
	return gk_hostfd_read(p, f, iov, n, off);
}

/* tcsetpgrp: the group must exist in the caller's session. */
static long
set_fg_pgrp(struct gk_proc *p, int pgrp)
{
	struct gk_proc *q;

	if (pgrp < 0)
		return -EINVAL;
	for (q = p->k->procs; q; q = q->next) {
		if (gk_is_leader(q) && q->tg->pgid == pgrp && q->state != GK_P_ZOMBIE) {
			if (q->tg->sid != p->tg->sid)
				return -EPERM;
			p->k->fg_pgrp = pgrp;
			return 0;
		}
	}
	return -EPERM;
}

/*
 * The terminal ioctls, passed to the host tty when the console is one
 * (-ENOTTY otherwise). The process group calls are answered from guest
 * state: the host's process groups mean nothing inside the guest.
 */
static long
console_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	/* struct termios as the kernel (not glibc) lays it out: 36 bytes. */
	char kbuf[64];
	size_t size;
	int pgrp;

	if (cmd == FIONREAD)
		return gk_hostfd_ioctl(p, f, cmd, arg);
	if (!isatty(f->hfd))
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
	case TIOCGWINSZ:
		size = cmd == TCGETS ? 36 : sizeof(struct winsize);
		if (ioctl(f->hfd, cmd, kbuf) < 0)
			return -errno;
		return gk_copyout(p, arg, kbuf, size);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TIOCSWINSZ:
		size = cmd == TIOCSWINSZ ? sizeof(struct winsize) : 36;
		if (gk_copyin(p, kbuf, arg, size) < 0)
			return -EFAULT;
		return ioctl(f->hfd, cmd, kbuf) < 0 ? -errno : 0;
	case TIOCGPGRP:
		return gk_copyout(p, arg, &p->k->fg_pgrp, sizeof(pgrp));
	case TIOCSPGRP:
		if (gk_copyin(p, &pgrp, arg, sizeof(pgrp)) < 0)
			return -EFAULT;
		return set_fg_pgrp(p, pgrp);
	case TIOCGSID:
		return gk_copyout(p, arg, &p->k->init->tg->sid, sizeof(pgrp));
	case TIOCSCTTY:
	case TIOCNOTTY:
		return 0;
	}
	return -ENOTTY;
}

/* uvk's stdin, stdout, stderr (boot.c) and /dev/tty, /dev/console (synth.c). */
const struct gk_file_ops gk_console_ops = {
	.read = console_read,
	.write = gk_hostfd_write,
	.poll = gk_hostfd_poll,
	.ioctl = console_ioctl,
	.llseek = gk_hostfd_llseek,
	.setfl = gk_hostfd_setfl,
	.stat = gk_hostfd_stat,
	.setattr = gk_file_no_setattr,
	.getdents = gk_file_no_getdents,
	.mmap = gk_file_no_mmap,
	.release = gk_file_no_release,
};

/*
 * gk_console_open - open /dev/tty or /dev/console: uvk's terminal, the
 * first of its stdin, stdout, stderr that is one. Returns 0 with a new
 * file in *ret, or -ENXIO (no terminal), -ENFILE, -ENOMEM.
 */
int
gk_console_open(struct gk_kernel *k, int flags, const char *gpath, struct gk_file **ret)
{
	int hfd = isatty(0) ? 0 : isatty(1) ? 1 : isatty(2) ? 2 : -1;
	struct gk_file *f;

	if (hfd < 0)
		return -ENXIO;
	if (gk_hostfd_room(k) < 0)
		return -ENFILE;
	hfd = fcntl(hfd, F_DUPFD_CLOEXEC, 3);
	if (hfd < 0)
		return -errno;
	f = gk_file_new(k, &gk_console_ops, hfd, flags, gpath);
	if (!f) {
		close(hfd);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}
