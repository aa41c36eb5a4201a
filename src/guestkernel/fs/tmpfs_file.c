/*
 * tmpfs_file.c - the contents and attributes of /tmp files.
 *
 * Layer src/guestkernel/fs, beside tmpfs.c (which keeps the names). A regular
 * file is a sparse tree of pmem frames, one per page that holds data (a
 * hole has no frame and no entry); reads and writes copy through the
 * tracer's mapping of pmem. Frames count against the limit of half the
 * guest's RAM for all of /tmp, tree nodes against its metadata limit.
 *
 * Must not: look up names (tmpfs.c does) or reach host files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

static struct timespec
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/*
 * The page tree: a radix tree of 64-way nodes in the tracer's heap, like a
 * page table with 6 index bits a level. Leaves hold gpas (0: a hole),
 * interior nodes hold child pointers (NULL: a hole). A file of npages needs
 * height ceil(log64(npages)); a sparse file costs one node per 64 pages that
 * hold data on the way down, never an entry per page of its size.
 */
#define PT_BITS 6
#define PT_FAN	(1u << PT_BITS)

struct gk_tptn {
	union {
		uint64_t gpa[PT_FAN];	     /* leaf level */
		struct gk_tptn *sub[PT_FAN]; /* above it */
	};
};

/* Pages a tree of height h covers (h <= 10 keeps it within 64 bits). */
static uint64_t
pt_cover(int h)
{
	return h <= 0 ? 0 : h >= 10 ? UINT64_MAX : 1ULL << (PT_BITS * h);
}

/* gk_tnode_page - the gpa of page idx of n, 0 for a hole. */
uint64_t
gk_tnode_page(const struct gk_tnode *n, uint64_t idx)
{
	const struct gk_tptn *t = n->pt;
	int h;

	if (!t || idx >= pt_cover(n->pt_height))
		return 0;
	for (h = n->pt_height; h > 1; h--) {
		t = t->sub[(idx >> (PT_BITS * (h - 1))) & (PT_FAN - 1)];
		if (!t)
			return 0;
	}
	return t->gpa[idx & (PT_FAN - 1)];
}

/* The first present page at or after idx in subtree t (height h, first page base). */
static uint64_t
pt_next(const struct gk_tptn *t, int h, uint64_t base, uint64_t idx, uint64_t *ret_gpa)
{
	uint64_t step = h > 1 ? pt_cover(h - 1) : 1;
	unsigned i = idx > base ? (unsigned)((idx - base) / step) : 0;

	for (; i < PT_FAN; i++) {
		uint64_t b = base + i * step, r;

		if (h == 1) {
			if (t->gpa[i]) {
				*ret_gpa = t->gpa[i];
				return b;
			}
		} else if (t->sub[i]) {
			r = pt_next(t->sub[i], h - 1, b, idx > b ? idx : b, ret_gpa);
			if (r != UINT64_MAX)
				return r;
		}
	}
	return UINT64_MAX;
}

/*
 * gk_tnode_next - the index of the first page of n at or after idx that
 * holds data (its gpa in *ret_gpa), or UINT64_MAX: walks only what exists.
 */
uint64_t
gk_tnode_next(const struct gk_tnode *n, uint64_t idx, uint64_t *ret_gpa)
{
	if (!n->pt || idx >= pt_cover(n->pt_height))
		return UINT64_MAX;
	return pt_next(n->pt, n->pt_height, 0, idx, ret_gpa);
}

static struct gk_tptn *
ptn_new(struct gk_kernel *k)
{
	struct gk_tptn *t;

	if (gk_kmem_charge(k, sizeof(*t)) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		gk_kmem_uncharge(k, sizeof(*t));
	return t;
}

static void
ptn_free(struct gk_kernel *k, struct gk_tptn *t)
{
	free(t);
	gk_kmem_uncharge(k, sizeof(*t));
}

/* The leaf entry for page idx, building the way down; NULL on -ENOSPC. */
static uint64_t *
pt_slot(struct gk_kernel *k, struct gk_tnode *n, uint64_t idx)
{
	struct gk_tptn **tp;
	int h;

	while (!n->pt || idx >= pt_cover(n->pt_height)) {
		struct gk_tptn *r = ptn_new(k);

		if (!r)
			return NULL;
		if (n->pt)
			r->sub[0] = n->pt;
		n->pt = r;
		n->pt_height++;
	}
	tp = &n->pt;
	for (h = n->pt_height; h > 1; h--) {
		tp = &(*tp)->sub[(idx >> (PT_BITS * (h - 1))) & (PT_FAN - 1)];
		if (!*tp && !(*tp = ptn_new(k)))
			return NULL;
	}
	return &(*tp)->gpa[idx & (PT_FAN - 1)];
}

/*
 * Free the pages of subtree t (height h, first page base) from page from
 * on, and the nodes left empty. Returns 1 if t itself is now empty and gone.
 */
static int
pt_trim(struct gk_kernel *k, struct gk_tnode *n, struct gk_tptn *t, int h, uint64_t base,
	uint64_t from)
{
	uint64_t step = pt_cover(h - 1) ? pt_cover(h - 1) : 1;
	unsigned i, left = 0;

	for (i = 0; i < PT_FAN; i++) {
		uint64_t b = base + i * step;

		if (h == 1) {
			if (t->gpa[i] && b >= from) {
				gk_page_unref(k->pa, t->gpa[i]);
				t->gpa[i] = 0;
				k->tmpfs_pages--;
				n->resident--;
			}
			left += t->gpa[i] != 0;
		} else if (t->sub[i]) {
			if (b + step > from && pt_trim(k, n, t->sub[i], h - 1, b, from))
				t->sub[i] = NULL;
			left += t->sub[i] != NULL;
		}
	}
	if (left)
		return 0;
	ptn_free(k, t);
	return 1;
}

/* gk_tnode_free_pages - give back the frames of pages from on. */
void
gk_tnode_free_pages(struct gk_kernel *k, struct gk_tnode *n, uint64_t from)
{
	if (n->pt && pt_trim(k, n, n->pt, n->pt_height, 0, from)) {
		n->pt = NULL;
		n->pt_height = 0;
	}
	/* A root with only its first child left shrinks, so lookups stay short. */
	while (n->pt && n->pt_height > 1) {
		struct gk_tptn *r = n->pt;
		unsigned i;

		for (i = 1; i < PT_FAN && !r->sub[i]; i++)
			;
		if (i < PT_FAN || !r->sub[0])
			break;
		n->pt = r->sub[0];
		n->pt_height--;
		ptn_free(k, r);
	}
}

void
gk_tnode_stat(struct gk_kernel *k, struct gk_tnode *n, struct stat *st)
{
	(void)k;
	memset(st, 0, sizeof(*st));
	st->st_dev = 0x2a;
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = S_ISLNK(n->mode)	 ? (off_t)strlen(n->target)
		      : S_ISDIR(n->mode) ? (off_t)(n->nlive + 2) * 20
					 : (off_t)n->size;
	st->st_blksize = GK_PAGE;
	st->st_blocks = (blkcnt_t)(S_ISREG(n->mode) ? n->resident * (GK_PAGE / 512) : 0);
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/*
 * gk_tnode_truncate - set the size; pages past it go. Returns 0, -EISDIR,
 * -EFBIG (past the size of /tmp).
 */
int
gk_tnode_truncate(struct gk_kernel *k, struct gk_tnode *n, uint64_t size)
{
	uint64_t keep = gk_page_up(size) / GK_PAGE;

	if (S_ISDIR(n->mode))
		return -EISDIR;
	/* As Linux's tmpfs: any size up to MAX_LFS_FILESIZE; only pages written cost. */
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if (size < n->size) {
		uint64_t last = keep ? gk_tnode_page(n, keep - 1) : 0;

		gk_tnode_free_pages(k, n, keep);
		/* The tail of the last page must read as zero if the file grows again. */
		if (size % GK_PAGE && last)
			memset(k->ram + last + size % GK_PAGE, 0, GK_PAGE - size % GK_PAGE);
	}
	n->size = size;
	n->mtime = n->ctime = now();
	return 0;
}

/* The hva of byte off of n, allocating its page if alloc; NULL for a hole. */
static uint8_t *
page_at(struct gk_kernel *k, struct gk_tnode *n, uint64_t off, int alloc, int *err)
{
	uint64_t i = off / GK_PAGE, gpa = gk_tnode_page(n, i), *slot;

	if (!gpa) {
		if (!alloc)
			return NULL;
		if (k->tmpfs_pages >= k->pa->npages / 2 || !(slot = pt_slot(k, n, i)) ||
		    gk_palloc_run(k->pa, 1, &gpa) < 0) {
			*err = -ENOSPC;
			return NULL;
		}
		*slot = gpa;
		k->tmpfs_pages++;
		n->resident++;
	}
	return k->ram + gpa + off % GK_PAGE;
}

/*
 * gk_tnode_rw - read or write n at off through host iovecs. Returns bytes
 * moved (short at end of file) or -ENOSPC / -EFBIG with nothing written.
 */
long
gk_tnode_rw(struct gk_kernel *k, struct gk_tnode *n, int write, const struct iovec *iov, int cnt,
	    uint64_t off)
{
	uint64_t total = 0, end, oldsize = n->size;
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
			if (err < 0) {
				uint64_t moved = total - (end - off);

				/* The size grows only as far as the data written. */
				if (write && off > oldsize)
					n->size = off;
				else if (write)
					n->size = oldsize;
				return moved > 0 ? (long)moved : err;
			}
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

/*
 * gk_tnode_memfd - a host memfd holding a copy of n's bytes, for exec to
 * read headers from; the segments it maps come from n's frames (mapfile.c
 * recognises the copy), so the copy lives only as long as the exec.
 */
int
gk_tnode_memfd(struct gk_kernel *k, struct gk_tnode *n, int *ret_hfd)
{
	uint64_t idx, gpa, pages = gk_page_up(n->size) / GK_PAGE;
	int hfd = memfd_create("uvk-tmpfs", MFD_CLOEXEC);

	if (hfd < 0)
		return -errno;
	if (ftruncate(hfd, (off_t)n->size) < 0) {
		close(hfd);
		return -ENOMEM;
	}
	for (idx = gk_tnode_next(n, 0, &gpa); idx < pages; idx = gk_tnode_next(n, idx + 1, &gpa)) {
		uint64_t off = idx * GK_PAGE;
		uint64_t c = n->size - off < GK_PAGE ? n->size - off : GK_PAGE;

		if (pwrite(hfd, k->ram + gpa, c, (off_t)off) != (ssize_t)c) {
			close(hfd);
			return -EIO;
		}
	}
	gk_mapfile_note_copy(hfd, k, n);
	*ret_hfd = hfd;
	return 0;
}

/* ---- open files of /tmp: the tnode is held while the file is open ------------------ */

static long
tfile_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	long r;

	(void)p;
	r = gk_tnode_rw(f->k, f->tnode, 0, iov, n, (uint64_t)(off < 0 ? f->pos : off));
	if (r > 0 && off < 0)
		f->pos += r;
	return r;
}

/*
 * At the position, which advances, or at off (pwrite), which leaves it;
 * with O_APPEND at the end either way (pwrite(2), BUGS).
 */
static long
tfile_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off)
{
	off_t at = (f->flags & O_APPEND) ? (off_t)f->tnode->size : off < 0 ? f->pos : off;
	long r;

	(void)p;
	r = gk_tnode_rw(f->k, f->tnode, 1, iov, n, (uint64_t)at);
	if (r > 0 && off < 0)
		f->pos = at + r;
	return r;
}

/* FIONREAD on a regular file: its size less the offset, as an int (Linux's file_ioctl). */
static long
tfile_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg)
{
	int avail;

	if (cmd != FIONREAD)
		return -ENOTTY;
	avail = (int)((off_t)f->tnode->size - f->pos);
	return gk_copyout(p, arg, &avail, sizeof(avail));
}

static off_t
tfile_llseek(struct gk_file *f, off_t off, int whence)
{
	return gk_file_llseek_size(f, off, whence, (off_t)f->tnode->size);
}

static int
tnode_fstat(struct gk_file *f, struct stat *st)
{
	gk_tnode_stat(f->k, f->tnode, st);
	return 0;
}

static int
tnode_fsetattr(struct gk_file *f, const struct gk_iattr *ia)
{
	if (ia->what == GK_SET_SIZE)
		return S_ISREG(f->tnode->mode) ? gk_tnode_truncate(f->k, f->tnode, (uint64_t)ia->size)
					       : -EINVAL;
	return gk_tnode_setattr(f->tnode, ia->what, ia->mode, ia->uid, ia->gid, ia->ts);
}

/* A mapping pages from the file's own frames, through its one mapfile (mapfile.c). */
static int
tfile_mmap(struct gk_file *f, struct gk_mapfile **ret)
{
	return gk_mapfile_tmpfs(f->k, f->tnode, f->gpath, ret);
}

static void
tnode_frelease(struct gk_file *f)
{
	gk_tnode_release(f->k, f->tnode);
}

/* A directory's position is a getdents cookie (gk_tmpfs_getdents); SEEK_END is its 0. */
static off_t
tdir_llseek(struct gk_file *f, off_t off, int whence)
{
	return gk_file_llseek_size(f, off, whence, 0);
}

const struct gk_file_ops gk_tmpfs_file_ops = {
	.read = tfile_read,
	.write = tfile_write,
	.poll = gk_file_poll_ready,
	.ioctl = tfile_ioctl,
	.llseek = tfile_llseek,
	.setfl = gk_file_setfl,
	.stat = tnode_fstat,
	.setattr = tnode_fsetattr,
	.getdents = gk_file_no_getdents,
	.mmap = tfile_mmap,
	.release = tnode_frelease,
};

const struct gk_file_ops gk_tmpfs_dir_ops = {
	.read = gk_file_dir_read,
	.write = gk_file_no_write,
	.poll = gk_file_poll_ready,
	.ioctl = gk_file_no_ioctl,
	.llseek = tdir_llseek,
	.setfl = gk_file_setfl,
	.stat = tnode_fstat,
	.setattr = tnode_fsetattr,
	.getdents = gk_tmpfs_getdents,
	.mmap = gk_file_no_mmap,
	.release = tnode_frelease,
};
