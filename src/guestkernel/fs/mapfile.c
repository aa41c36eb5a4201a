/*
 * mapfile.c - the files that mappings read their pages from.
 *
 * Layer src/guestkernel/fs, under mm/fault.c (page faults), sys_mm.c (mmap) and
 * exec.c (ELF segments). A gk_mapfile is one per file, not one per
 * mapping: every mapping of a host file shares the entry of its (dev,
 * ino), and every mapping of a /tmp file the entry of its node, so that
 * mapping a file 30000 times costs one entry and at most one host
 * descriptor.
 *
 * Host descriptors are a cache: at most GK_MAPFD_MAX of them stay open
 * for mappings of host files that were opened by a path (mmap of a guest
 * descriptor), the least recently used closed first and reopened from the
 * mount and path on the next fault, checked against dev and ino (a file
 * replaced under the same name since reads as an I/O error: SIGBUS). ELF
 * images mapped by exec keep their descriptor while mapped (they have no
 * path to reopen through; that is two per process at most). A /tmp file
 * needs no descriptor at all: gk_mapfile_enter maps its own frames into a
 * faulting address space copy-on-write (cow.c breaks the sharing on the
 * first write), so N mappings of a file cost its frames once.
 *
 * Must not: decode syscall arguments, or enter page-table entries except
 * for the pages of a /tmp file (its page op, called by mm/fault.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

static const struct gk_mapfile_ops host_ops, tmpfs_ops;

#define NBUCKET 4096
#define NCOPY	8

/*
 * A kernel's mapped files (k->mapcache, made on first use, freed by
 * gk_mapfile_fini): kernel-wide state, so it hangs off struct gk_kernel
 * rather than sitting in file-scope statics.
 */
struct gk_mapcache {
	/* Every live entry, by (dev, ino); a /tmp file's dev is 0x2a as its stat says. */
	struct gk_mapfile *bucket[NBUCKET];
	/* Entries with an open descriptor that may be closed, most recently used first. */
	struct gk_mapfile *lru_head, *lru_tail;
	int nopen; /* host descriptors held by entries, pinned or not */
	/*
	 * Host copies of /tmp files made for exec (gk_tnode_memfd): the ELF
	 * loader reads headers from the copy, then maps the segments through
	 * gk_mapfile_new, which finds the copy here and maps the file's own
	 * frames instead, so a running program holds no copy and no
	 * descriptor. A few recent copies are remembered, each holding its node.
	 */
	struct {
		dev_t dev;
		ino_t ino;
		struct gk_tnode *n;
	} copies[NCOPY];
	unsigned copy_next;
	struct gk_pcache pc; /* pcache.c: the pages of host files */
};

/* k's cache, made now if it is not yet: NULL when the tracer is out of memory. */
static struct gk_mapcache *
cache_of(struct gk_kernel *k)
{
	if (!k->mapcache) {
		k->mapcache = calloc(1, sizeof(*k->mapcache));
		/* From now on cached pages exist, and short RAM may take them back. */
		if (k->mapcache && k->pa) {
			k->pa->reclaim = gk_pcache_reclaim;
			k->pa->reclaim_ctx = k;
		}
	}
	return k->mapcache;
}

/* gk_pcache_of - k's page cache, NULL before anything was mapped. */
struct gk_pcache *
gk_pcache_of(struct gk_kernel *k)
{
	return k->mapcache ? &k->mapcache->pc : NULL;
}

/* gk_mapfile_note_copy - memfd hfd holds a copy of /tmp node n of k, for exec. */
void
gk_mapfile_note_copy(int hfd, struct gk_kernel *k, struct gk_tnode *n)
{
	struct gk_mapcache *mc = cache_of(k);
	struct stat st;
	unsigned i;

	/* Not remembering it costs only the sharing: exec then maps the copy. */
	if (!mc || fstat(hfd, &st) < 0)
		return;
	for (i = 0; i < NCOPY; i++)
		if (mc->copies[i].n && mc->copies[i].dev == st.st_dev &&
		    mc->copies[i].ino == st.st_ino)
			break;
	if (i == NCOPY)
		i = mc->copy_next++ % NCOPY;
	if (mc->copies[i].n)
		gk_tnode_release(k, mc->copies[i].n);
	gk_tnode_hold(n);
	mc->copies[i].dev = st.st_dev;
	mc->copies[i].ino = st.st_ino;
	mc->copies[i].n = n;
}

/*
 * gk_mapfile_fini - forget the copies and free k's cache (at exit, before
 * /tmp goes; every mapping, and so every entry, is gone by then).
 */
void
gk_mapfile_fini(struct gk_kernel *k)
{
	struct gk_mapcache *mc = k->mapcache;
	unsigned i;

	if (!mc)
		return;
	/* What is left is entries no mapping holds, kept for their cached pages. */
	for (i = 0; i < NBUCKET; i++) {
		while (mc->bucket[i]) {
			struct gk_mapfile *mf = mc->bucket[i];

			GK_DEBUG_CHECK(mf->refs == 0, "entry %s still mapped", mf->gpath);
			gk_pcache_drop(mf, 0);
			mf->refs = 0;
			gk_mapfile_idle_free(mf);
		}
	}
	GK_DEBUG_CHECK(mc->nopen == 0 && !mc->lru_head, "%d descriptors left", mc->nopen);
	if (k->pa && k->pa->reclaim_ctx == k) {
		k->pa->reclaim = NULL;
		k->pa->reclaim_ctx = NULL;
	}
	for (i = 0; i < NCOPY; i++)
		if (mc->copies[i].n)
			gk_tnode_release(k, mc->copies[i].n);
	free(mc);
	k->mapcache = NULL;
}

static unsigned
bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h =
	    ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)ino * 0xc2b2ae3d27d4eb4fULL);

	return (unsigned)(h >> 40) % NBUCKET;
}

static struct gk_mapfile *
find(struct gk_mapcache *mc, dev_t dev, ino_t ino, int tmpfs)
{
	struct gk_mapfile *mf;

	for (mf = mc->bucket[bucket_of(dev, ino)]; mf; mf = mf->hnext)
		if (mf->dev == dev && mf->ino == ino && (mf->tnode != NULL) == tmpfs)
			return mf;
	return NULL;
}

static void
lru_unlink(struct gk_mapfile *mf)
{
	struct gk_mapcache *mc = mf->k->mapcache;

	if (!mf->on_lru)
		return;
	if (mf->lprev)
		mf->lprev->lnext = mf->lnext;
	else
		mc->lru_head = mf->lnext;
	if (mf->lnext)
		mf->lnext->lprev = mf->lprev;
	else
		mc->lru_tail = mf->lprev;
	mf->lprev = mf->lnext = NULL;
	mf->on_lru = 0;
}

/* mf was just used: to the front, if it is an entry whose descriptor may be closed. */
static void
lru_touch(struct gk_mapfile *mf)
{
	struct gk_mapcache *mc = mf->k->mapcache;

	lru_unlink(mf);
	if (mf->hfd < 0 || !mf->mnt)
		return;
	mf->lnext = mc->lru_head;
	if (mc->lru_head)
		mc->lru_head->lprev = mf;
	mc->lru_head = mf;
	if (!mc->lru_tail)
		mc->lru_tail = mf;
	mf->on_lru = 1;
}

static void
fd_close(struct gk_mapfile *mf)
{
	if (mf->hfd < 0)
		return;
	lru_unlink(mf);
	close(mf->hfd);
	mf->hfd = -1;
	mf->k->mapcache->nopen--;
	gk_hostfd_count(mf->k, -1);
}

/* A descriptor is about to be opened: make room under GK_MAPFD_MAX if one can close. */
static void
fd_room(struct gk_mapcache *mc)
{
	while (mc->nopen >= GK_MAPFD_MAX && mc->lru_tail)
		fd_close(mc->lru_tail);
}

static void
fd_opened(struct gk_mapfile *mf, int hfd)
{
	mf->hfd = hfd;
	mf->k->mapcache->nopen++;
	gk_hostfd_count(mf->k, 1);
	lru_touch(mf);
}

/* The host path of a guest path inside a host mount, from its directory. */
static const char *
mount_rest(const struct gk_mount *mnt, const char *gpath)
{
	const char *r = gpath;

	if (strncmp(gpath, mnt->gpath, mnt->glen) == 0)
		r = gpath + mnt->glen;
	while (*r == '/')
		r++;
	return r;
}

/* Make sure mf has a host descriptor: reopen an evicted one. 0 or -EIO. */
static int
fd_get(struct gk_mapfile *mf)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	long fd;

	if (mf->hfd >= 0) {
		lru_touch(mf);
		return 0;
	}
	if (!mf->mnt)
		return -EIO;
	fd_room(mf->k->mapcache);
	fd = syscall(SYS_openat2, mf->mnt->hfd, *mf->hpath ? mf->hpath : ".", &how, sizeof(how));
	if (fd < 0)
		return -EIO;
	if (fstat((int)fd, &st) < 0 || st.st_dev != mf->dev || st.st_ino != mf->ino) {
		close((int)fd);
		return -EIO;
	}
	fd_opened(mf, (int)fd);
	return 0;
}

static struct gk_mapfile *
entry_new(struct gk_kernel *k, const char *gpath, dev_t dev, ino_t ino)
{
	struct gk_mapfile *mf = calloc(1, sizeof(*mf));
	unsigned b = bucket_of(dev, ino);

	if (!mf)
		return NULL;
	mf->gpath = strdup(gpath ? gpath : "");
	if (!mf->gpath) {
		free(mf);
		return NULL;
	}
	mf->refs = 1;
	mf->ops = &host_ops;
	mf->k = k;
	mf->hfd = -1;
	mf->wfd = -1;
	mf->dev = dev;
	mf->ino = ino;
	mf->hnext = k->mapcache->bucket[b];
	k->mapcache->bucket[b] = mf;
	return mf;
}

/*
 * gk_mapfile_new - the entry of kernel k for the host file open on hfd
 * (which this takes on success: it is kept or closed), for exec; for a
 * copy of a /tmp file (gk_mapfile_note_copy), the entry of the file
 * itself. NULL with errno on ENOMEM or when hfd cannot be stat'ed (hfd is
 * the caller's still).
 */
struct gk_mapfile *
gk_mapfile_new(struct gk_kernel *k, int hfd, const char *gpath)
{
	struct gk_mapcache *mc = cache_of(k);
	struct gk_mapfile *mf;
	struct stat st;
	unsigned i;

	if (!mc) {
		errno = ENOMEM;
		return NULL;
	}
	if (fstat(hfd, &st) < 0)
		return NULL;
	for (i = 0; i < NCOPY; i++) {
		if (mc->copies[i].n && mc->copies[i].dev == st.st_dev &&
		    mc->copies[i].ino == st.st_ino) {
			if (gk_mapfile_tmpfs(k, mc->copies[i].n, gpath, &mf) < 0) {
				errno = ENOMEM;
				return NULL;
			}
			close(hfd);
			return mf;
		}
	}
	mf = find(mc, st.st_dev, st.st_ino, 0);
	if (mf) {
		mf->refs++;
		gk_pcache_check(mf, &st);
		if (mf->hfd < 0 && !mf->mnt) {
			fd_opened(mf, hfd);
			return mf;
		}
		close(hfd);
		return mf;
	}
	mf = entry_new(k, gpath, st.st_dev, st.st_ino);
	if (!mf) {
		errno = ENOMEM;
		return NULL;
	}
	gk_pcache_check(mf, &st);
	fd_opened(mf, hfd);
	return mf;
}

/* mf's descriptor for writing back stores through shared mappings goes. */
static void
wfd_close(struct gk_mapfile *mf)
{
	if (mf->wfd < 0)
		return;
	close(mf->wfd);
	mf->wfd = -1;
	gk_hostfd_count(mf->k, -1);
}

/*
 * A host file mapped through f, open for reading and writing: keep a
 * descriptor to write stores through shared mappings back with (msync,
 * munmap, exit), however f's own is closed meanwhile. Without one (no
 * descriptor left) they stay in the cache until one comes.
 */
static void
wfd_take(struct gk_mapfile *mf, const struct gk_file *f)
{
	/* An O_APPEND descriptor would put every page written back at the end. */
	if (mf->wfd >= 0 || (f->flags & O_ACCMODE) != O_RDWR || (f->flags & O_APPEND))
		return;
	mf->wfd = fcntl(f->hfd, F_DUPFD_CLOEXEC, 3);
	if (mf->wfd >= 0)
		gk_hostfd_count(mf->k, 1);
}

/*
 * gk_mapfile_host - kernel k's entry for mapping the open host file f,
 * sharing the one of its inode if there is one. A new entry holds a
 * descriptor of its own (f's may close first). Returns 0 with *ret_mf,
 * -ENOMEM, or the errno of duplicating f's descriptor.
 */
int
gk_mapfile_host(struct gk_kernel *k, struct gk_file *f, struct gk_mapfile **ret_mf)
{
	struct gk_mapcache *mc = cache_of(k);
	struct gk_mapfile *mf;
	struct stat st;
	int hfd;

	if (!mc)
		return -ENOMEM;
	if (fstat(f->hfd, &st) < 0)
		return -errno;
	mf = find(mc, st.st_dev, st.st_ino, 0);
	if (mf) {
		mf->refs++;
		gk_pcache_check(mf, &st);
		if (!mf->mnt && f->mnt) {
			/* An exec image mapped by path too: now it can be reopened. */
			mf->hpath = strdup(mount_rest(f->mnt, f->gpath));
			if (mf->hpath)
				mf->mnt = f->mnt;
			lru_touch(mf);
		}
		if (mf->hfd < 0 && !mf->mnt) {
			/* Kept for its pages with no way to reopen it: take f's. */
			fd_room(mc);
			hfd = fcntl(f->hfd, F_DUPFD_CLOEXEC, 3);
			if (hfd >= 0)
				fd_opened(mf, hfd);
		}
		wfd_take(mf, f);
		*ret_mf = mf;
		return 0;
	}
	mf = entry_new(k, f->gpath, st.st_dev, st.st_ino);
	if (!mf)
		return -ENOMEM;
	gk_pcache_check(mf, &st);
	if (f->mnt) {
		mf->hpath = strdup(mount_rest(f->mnt, f->gpath));
		if (!mf->hpath) {
			gk_mapfile_unref(mf);
			return -ENOMEM;
		}
		mf->mnt = f->mnt;
	}
	fd_room(mc);
	hfd = fcntl(f->hfd, F_DUPFD_CLOEXEC, 3);
	if (hfd < 0) {
		hfd = -errno;
		gk_mapfile_unref(mf);
		return hfd == -EMFILE ? -ENFILE : hfd;
	}
	fd_opened(mf, hfd);
	wfd_take(mf, f);
	*ret_mf = mf;
	return 0;
}

/*
 * gk_mapfile_tmpfs - the entry for mapping /tmp node n of kernel k, which
 * it holds open (an unlinked file stays while mapped). Returns 0 or -ENOMEM.
 */
int
gk_mapfile_tmpfs(struct gk_kernel *k, struct gk_tnode *n, const char *gpath,
		 struct gk_mapfile **ret_mf)
{
	struct gk_mapcache *mc = cache_of(k);
	struct gk_mapfile *mf;

	if (!mc)
		return -ENOMEM;
	mf = find(mc, 0x2a, n->ino, 1);
	if (mf) {
		mf->refs++;
		*ret_mf = mf;
		return 0;
	}
	mf = entry_new(k, gpath, 0x2a, n->ino);
	if (!mf)
		return -ENOMEM;
	mf->tnode = n;
	mf->ops = &tmpfs_ops;
	gk_tnode_hold(n);
	*ret_mf = mf;
	return 0;
}

/*
 * gk_mapfile_find_host - k's entry of host file (dev, ino), mapped or only
 * caching pages, or NULL.
 */
struct gk_mapfile *
gk_mapfile_find_host(struct gk_kernel *k, dev_t dev, ino_t ino)
{
	return k->mapcache ? find(k->mapcache, dev, ino, 0) : NULL;
}

static void
mf_unref(struct gk_mapfile *mf)
{
	/* A mapping goes (munmap, exit): what stores through shared ones changed reaches the host. */
	if (mf->nshared)
		gk_pcache_sync(mf);
	if (--mf->refs > 0)
		return;
	gk_pcache_unshare(mf);
	wfd_close(mf);
	if (mf->ncached) {
		/* Its pages stay for the next exec or mmap of the file; its descriptor need not. */
		fd_close(mf);
		return;
	}
	gk_mapfile_idle_free(mf);
}

/* gk_mapfile_idle_free - free entry mf, which no mapping holds and which caches nothing. */
void
gk_mapfile_idle_free(struct gk_mapfile *mf)
{
	struct gk_mapfile **pp;

	GK_DEBUG_CHECK(mf->refs == 0 && mf->ncached == 0, "freeing entry %s in use", mf->gpath);
	for (pp = &mf->k->mapcache->bucket[bucket_of(mf->dev, mf->ino)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == mf) {
			*pp = mf->hnext;
			break;
		}
	}
	fd_close(mf);
	wfd_close(mf);
	if (mf->tnode)
		gk_tnode_release(mf->k, mf->tnode);
	free(mf->hpath);
	free(mf->gpath);
	free(mf);
}

/*
 * mf_pread - len bytes of the file at off into buf (pmem, through
 * the tracer's mapping); past the end of the file they are zero. Returns
 * 0, or -EIO (the host file is gone or unreadable).
 */
static int
mf_pread(struct gk_mapfile *mf, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	if (mf->tnode) {
		const struct gk_tnode *n = mf->tnode;

		while (done < len) {
			uint64_t o = off + done, c = GK_PAGE - o % GK_PAGE, gpa;

			if (c > len - done)
				c = len - done;
			gpa = o < n->size ? gk_tnode_page(n, o / GK_PAGE) : 0;
			if (gpa && o + c > n->size)
				c = n->size - o;
			if (gpa)
				memcpy(buf + done, mf->k->ram + gpa + o % GK_PAGE, c);
			else
				memset(buf + done, 0, c);
			done += c;
		}
		return 0;
	}
	if (fd_get(mf) < 0)
		return -EIO;
	r = pread(mf->hfd, buf, len, (off_t)off);
	return r < 0 ? -EIO : 0;
}

/* mf_size - the file's size now. 0 or -EIO. */
static int
mf_size(struct gk_mapfile *mf, uint64_t *ret_size)
{
	struct stat st;

	if (mf->tnode) {
		*ret_size = mf->tnode->size;
		return 0;
	}
	if (fd_get(mf) < 0 || fstat(mf->hfd, &st) < 0)
		return -EIO;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}


/* A /tmp file's page idx: its own frame (shared copy-on-write by mm), or 0 for a hole or past the end. */
static uint64_t
mf_tmpfs_page(struct gk_mapfile *mf, uint64_t idx)
{
	const struct gk_tnode *n = mf->tnode;

	return idx * GK_PAGE < n->size ? gk_tnode_page(n, idx) : 0;
}

static const struct gk_mapfile_ops host_ops = {
	.pread = mf_pread,
	.size = mf_size,
	.page = gk_pcache_page,
	.shared_page = gk_pcache_shared_page,
	.sync = gk_pcache_sync,
	.unref = mf_unref,
};

static const struct gk_mapfile_ops tmpfs_ops = {
	.pread = mf_pread,
	.size = mf_size,
	.page = mf_tmpfs_page,
	.unref = mf_unref,
};
