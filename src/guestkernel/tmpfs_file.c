/*
 * tmpfs_file.c - the contents and attributes of /tmp files.
 *
 * Layer src/guestkernel, beside tmpfs.c (which keeps the names). A regular
 * file is an array of pmem frames, one per page, 0 for a hole; reads and
 * writes copy through the tracer's mapping of pmem. Frames count against
 * the limit of half the guest's RAM for all of /tmp.
 *
 * Must not: look up names (tmpfs.c does) or reach host files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gk.h"

static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* gk_tnode_free_pages - give back the frames of pages from on (the array stays). */
void
gk_tnode_free_pages(struct gk_kernel *k, struct gk_tnode *n, uint64_t from)
{
	uint64_t i;

	for (i = from; i < n->npages; i++) {
		if (n->pages[i]) {
			gk_page_unref(&k->pa, n->pages[i]);
			n->pages[i] = 0;
			k->tmpfs_pages--;
		}
	}
}

void
gk_tnode_stat(struct gk_kernel *k, struct gk_tnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 0x2a;
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = S_ISLNK(n->mode)	 ? (off_t)strlen(n->target)
		      : S_ISDIR(n->mode) ? (off_t)(n->nents + 2) * 20
					 : (off_t)n->size;
	st->st_blksize = GK_PAGE;
	st->st_blocks = (blkcnt_t)(S_ISREG(n->mode) ? n->npages * (GK_PAGE / 512) : 0);
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/* gk_tnode_truncate - set the size; pages past it go. Returns 0, -EISDIR, -ENOSPC, -ENOMEM. */
int
gk_tnode_truncate(struct gk_kernel *k, struct gk_tnode *n, uint64_t size)
{
	uint64_t need = gk_page_up(size) / GK_PAGE;

	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (size > (k->pa.npages / 2) * GK_PAGE)
		return -EFBIG;
	if (need > n->npages) {
		uint64_t *pg = realloc(n->pages, need * sizeof(*pg));

		if (!pg)
			return -ENOMEM;
		memset(pg + n->npages, 0, (need - n->npages) * sizeof(*pg));
		n->pages = pg;
		n->npages = need;
	} else {
		gk_tnode_free_pages(k, n, need);
		n->npages = need;
		/* The tail of the last page must read as zero if the file grows again. */
		if (size % GK_PAGE && need && n->pages[need - 1])
			memset(k->ram + n->pages[need - 1] + size % GK_PAGE, 0,
			       GK_PAGE - size % GK_PAGE);
	}
	n->size = size;
	n->mtime = n->ctime = now();
	return 0;
}

/* The hva of byte off of n, allocating its page if alloc; NULL for a hole. */
static uint8_t *
page_at(struct gk_kernel *k, struct gk_tnode *n, uint64_t off, int alloc, int *err)
{
	uint64_t i = off / GK_PAGE, gpa;

	if (!n->pages[i]) {
		if (!alloc)
			return NULL;
		if (k->tmpfs_pages >= k->pa.npages / 2 || gk_palloc_run(&k->pa, 1, &gpa) < 0) {
			*err = -ENOSPC;
			return NULL;
		}
		n->pages[i] = gpa;
		k->tmpfs_pages++;
	}
	return k->ram + n->pages[i] + off % GK_PAGE;
}

/*
 * gk_tnode_rw - read or write n at off through host iovecs. Returns bytes
 * moved (short at end of file) or -ENOSPC / -EFBIG with nothing written.
 */
long
gk_tnode_rw(struct gk_kernel *k, struct gk_tnode *n, int write, const struct iovec *iov, int cnt,
	    uint64_t off)
{
	uint64_t total = 0, end;
	int i, err = 0;

	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (!write) {
		if (off >= n->size)
			return 0;
		if (total > n->size - off)
			total = n->size - off;
	} else if (off + total > n->size) {
		err = gk_tnode_truncate(k, n, off + total);
		if (err < 0)
			return err;
	}
	end = off + total;
	for (i = 0; i < cnt && off < end; i++) {
		uint8_t *buf = iov[i].iov_base;
		uint64_t left = iov[i].iov_len;

		while (left > 0 && off < end) {
			uint64_t c = GK_PAGE - off % GK_PAGE;
			uint8_t *hva = page_at(k, n, off, write, &err);

			if (c > left)
				c = left;
			if (c > end - off)
				c = end - off;
			if (err < 0)
				return total - (end - off) > 0 ? (long)(total - (end - off)) : err;
			if (write)
				memcpy(hva, buf, c);
			else if (hva)
				memcpy(buf, hva, c);
			else
				memset(buf, 0, c);
			buf += c;
			left -= c;
			off += c;
		}
	}
	if (write)
		n->mtime = n->ctime = now();
	return (long)total;
}

/* gk_tnode_setattr - chmod/chown/utimens on a node; a NULL or UTIME_OMIT field stays. */
int
gk_tnode_setattr(struct gk_tnode *n, int what, mode_t mode, uid_t uid, gid_t gid,
		 const struct timespec *ts)
{
	struct timespec t = now();
	int i;

	switch (what) {
	case GK_SET_MODE:
		n->mode = (n->mode & S_IFMT) | (mode & 07777);
		break;
	case GK_SET_OWNER:
		if (uid != (uid_t)-1)
			n->uid = uid;
		if (gid != (gid_t)-1)
			n->gid = gid;
		break;
	case GK_SET_TIMES:
		for (i = 0; i < 2; i++) {
			struct timespec v = ts ? ts[i] : t;

			if (ts && v.tv_nsec == UTIME_OMIT)
				continue;
			if (ts && v.tv_nsec == UTIME_NOW)
				v = t;
			if (i == 0)
				n->atime = v;
			else
				n->mtime = v;
		}
		break;
	}
	n->ctime = t;
	return 0;
}

/* gk_tnode_memfd - a host memfd holding a copy of n's bytes (for mmap and exec). */
int
gk_tnode_memfd(struct gk_kernel *k, struct gk_tnode *n, int *ret_hfd)
{
	static const uint8_t zero[GK_PAGE];
	uint64_t off;
	int hfd = memfd_create("uvk-tmpfs", MFD_CLOEXEC);

	if (hfd < 0)
		return -errno;
	if (ftruncate(hfd, (off_t)n->size) < 0) {
		close(hfd);
		return -ENOMEM;
	}
	for (off = 0; off < n->size; off += GK_PAGE) {
		uint64_t c = n->size - off < GK_PAGE ? n->size - off : GK_PAGE;
		uint64_t gpa = n->pages[off / GK_PAGE];

		if (!gpa)
			continue;
		if (pwrite(hfd, gpa ? k->ram + gpa : zero, c, (off_t)off) != (ssize_t)c) {
			close(hfd);
			return -EIO;
		}
	}
	*ret_hfd = hfd;
	return 0;
}
