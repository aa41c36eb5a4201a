/*
 * scm.c - socket control messages: SCM_RIGHTS (descriptors in flight) and
 * SCM_CREDENTIALS, parsed from a sendmsg and built into a recvmsg.
 *
 * Layer src/guestkernel/net. The sender's descriptors become held files
 * (struct gk_scm) at send time, as Linux's scm_fp_copy, so a descriptor
 * closed or reused after sendmsg does not change what is received; they
 * become the receiver's descriptors at recvmsg (scm_detach_fds), and the
 * ones that do not fit the receiver's control buffer are closed, with
 * MSG_CTRUNC. At most SCM_MAX_FD (253) descriptors a message.
 *
 * Must not: read syscall arguments (sys/sys_socket.c copies the control
 * buffer in and gives where to build the answer).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "net.h"

/* CMSG_ALIGN etc. for the kernel's 64-bit layout (struct cmsghdr is 16 bytes). */
#define CM_ALIGN(n) (((n) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CM_HDR	    CM_ALIGN(sizeof(struct cmsghdr))
#define CM_LEN(n)   (CM_HDR + (n))
#define CM_SPACE(n) (CM_HDR + CM_ALIGN(n))

/* gk_scm_drop - give back what scm holds (the files in flight). */
void
gk_scm_drop(struct gk_kernel *k, struct gk_scm *scm)
{
	int i;

	if (!scm->fp)
		return;
	for (i = 0; i < scm->nfd; i++)
		if (scm->fp[i])
			gk_file_unref(scm->fp[i]);
	gk_kfree(k, scm->fp, (size_t)scm->nfd * sizeof(*scm->fp));
	scm->fp = NULL;
	scm->nfd = 0;
}

/* Add the n descriptors at fds to scm (held). -EINVAL past SCM_MAX_FD, -EBADF, -ENOMEM. */
static int
add_rights(struct gk_proc *p, struct gk_scm *scm, const int *fds, int n)
{
	struct gk_file **fp;
	int i, old = scm->nfd;

	if (n <= 0)
		return 0;
	if (old + n > GK_SCM_MAX_FD)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!gk_fd_get(p, fds[i]))
			return -EBADF;
	fp = gk_kzalloc(p->k, (size_t)(old + n) * sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	if (old)
		memcpy(fp, scm->fp, (size_t)old * sizeof(*fp));
	for (i = 0; i < n; i++)
		fp[old + i] = gk_file_ref(gk_fd_get(p, fds[i]));
	if (scm->fp)
		gk_kfree(p->k, scm->fp, (size_t)old * sizeof(*fp));
	scm->fp = fp;
	scm->nfd = old + n;
	return 0;
}

/*
 * SCM_CREDENTIALS as scm_check_creds allows them without privilege: the
 * caller's own pid, uid and gid (the guest holds no CAP_SYS_ADMIN, CAP_SETUID
 * or CAP_SETGID of its own). -EPERM otherwise.
 */
static int
check_cred(struct gk_proc *p, const struct gk_ucred *c)
{
	struct gk_ucred me;

	gk_sock_cred(p, &me);
	if (c->pid != me.pid || c->uid != me.uid || c->gid != me.gid)
		return -EPERM;
	return 0;
}

/*
 * gk_scm_parse - the control messages of a sendmsg (a kernel copy of len
 * bytes) into *ret (zeroed first; the caller drops it). Messages of other
 * levels are skipped, as Linux's __scm_send. -EINVAL (a malformed header,
 * an unknown SOL_SOCKET type, too many descriptors, a credentials message
 * of the wrong size), -EBADF, -EPERM, -ENOMEM.
 */
int
gk_scm_parse(struct gk_proc *p, const void *ctl, size_t len, struct gk_scm *ret)
{
	const unsigned char *b = ctl;
	size_t off = 0;
	int err;

	memset(ret, 0, sizeof(*ret));
	while (len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;

		memcpy(&h, b + off, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off)
			return -EINVAL;
		if (h.cmsg_level == SOL_SOCKET) {
			switch (h.cmsg_type) {
			case SCM_RIGHTS: {
				size_t n = (h.cmsg_len - CM_HDR) / sizeof(int);
				int fds[GK_SCM_MAX_FD + 1];

				if (h.cmsg_len < CM_HDR)
					return -EINVAL;
				if (n > GK_SCM_MAX_FD)
					return -EINVAL;
				memcpy(fds, b + off + CM_HDR, n * sizeof(int));
				err = add_rights(p, ret, fds, (int)n);
				if (err < 0)
					return err;
				break;
			}
			case SCM_CREDENTIALS:
				if (h.cmsg_len != CM_LEN(sizeof(struct gk_ucred)))
					return -EINVAL;
				memcpy(&ret->cred, b + off + CM_HDR, sizeof(ret->cred));
				err = check_cred(p, &ret->cred);
				if (err < 0)
					return err;
				ret->has_cred = 1;
				break;
			default:
				return -EINVAL;
			}
		}
		if (CM_ALIGN(h.cmsg_len) >= len - off)
			break;
		off += CM_ALIGN(h.cmsg_len);
	}
	return 0;
}

/*
 * One control message into the guest's buffer at *gva (*room bytes left),
 * cut to what fits (MSG_CTRUNC), as put_cmsg. 0 or -EFAULT.
 */
static int
put_cmsg(struct gk_proc *p, uint64_t *gva, size_t *room, int type, const void *data, size_t n,
	 int *flags)
{
	unsigned char buf[CM_SPACE(GK_SCM_MAX_FD * sizeof(int))];
	struct cmsghdr h;
	size_t cmlen = CM_LEN(n), adv;

	if (*room < sizeof(h)) {
		*flags |= MSG_CTRUNC;
		return 0;
	}
	if (*room < cmlen) {
		*flags |= MSG_CTRUNC;
		cmlen = *room;
	}
	memset(buf, 0, sizeof(buf));
	h.cmsg_len = CM_LEN(n) <= *room ? CM_LEN(n) : cmlen;
	h.cmsg_level = SOL_SOCKET;
	h.cmsg_type = type;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + CM_HDR, data, n);
	if (gk_copyout(p, *gva, buf, cmlen) < 0)
		return -EFAULT;
	adv = CM_SPACE(n) < *room ? CM_SPACE(n) : *room;
	*gva += adv;
	*room -= adv;
	return 0;
}

/*
 * gk_scm_put - build the control messages of a recvmsg at guest gva (len
 * bytes): SCM_CREDENTIALS if m->want_cred, then SCM_RIGHTS, installing as
 * many of m's descriptors as fit (O_CLOEXEC if cloexec) and leaving the
 * rest in m for the caller to drop. Returns the bytes used (the new
 * msg_controllen), MSG_CTRUNC in *ret_flags if something was cut, or
 * -EFAULT.
 */
long
gk_scm_put(struct gk_proc *p, const struct gk_msg *m, int cloexec, uint64_t gva, size_t len,
	   int *ret_flags)
{
	size_t room = len;
	int fds[GK_SCM_MAX_FD], i, n, max;

	if (m->want_cred && m->scm.has_cred &&
	    put_cmsg(p, &gva, &room, SCM_CREDENTIALS, &m->scm.cred, sizeof(m->scm.cred),
		     ret_flags) < 0)
		return -EFAULT;
	if (m->scm.nfd) {
		max = room > CM_HDR ? (int)((room - CM_HDR) / sizeof(int)) : 0;
		for (n = 0, i = 0; i < m->scm.nfd && n < max; i++) {
			int fd = gk_fd_install(p->fdt, m->scm.fp[i], 0, cloexec);

			if (fd < 0)
				break;
			m->scm.fp[i] = NULL; /* the table holds it now */
			fds[n++] = fd;
		}
		if (n < m->scm.nfd)
			*ret_flags |= MSG_CTRUNC;
		if (n && put_cmsg(p, &gva, &room, SCM_RIGHTS, fds, (size_t)n * sizeof(int),
				  ret_flags) < 0)
			return -EFAULT;
	}
	return (long)(len - room);
}
