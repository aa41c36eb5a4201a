/*
 * pcache.c - the page cache of host files: their pages, once, in guest RAM.
 *
 * Layer src/guestkernel/fs, beside mapfile.c (whose entries, one per host
 * inode, carry the pages) and under mm/fault.c, which asks for a page
 * through the entry's page op and maps the frame into a private mapping
 * copy-on-write, as it does a /tmp file's own frames. So N processes
 * running one program, or mapping one library, hold its pages once:
 *
 *   entry (dev, ino) --pcdir[idx / CHUNK][idx % CHUNK]--> page {gpa, LRU links}
 *   ref[gpa] = 1 (the cache) + 1 per page-table entry naming the frame
 *
 * A page is read from the host on first use. The host's stat (size,
 * mtime, ctime) is remembered when pages are read; an entry found again by
 * exec or mmap whose file changed since (from outside the guest) drops its
 * pages, and they are read anew. Writes and truncations through the guest
 * (hostfile.c) re-read the cached pages they touch, so read(), write() and
 * the pages of private mappings not yet copied agree, as on Linux.
 *
 * When guest RAM runs short, palloc calls gk_pcache_reclaim, which frees
 * the least recently used pages that only the cache holds (a frame some
 * mapping still names stays: there is no reverse map to take it from
 * there). An entry no mapping holds stays while it caches pages and goes
 * with its last one.
 *
 * Must not: enter page-table entries, or decode syscall arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define CHUNK 512
/*
 * Pages at or past this index (2 TiB into a file) are not cached: a
 * mapping far into a huge sparse file would otherwise cost the tracer a
 * directory of that size. Such pages are read into private frames as
 * before the cache.
 */
#define MAX_IDX (CHUNK * (1ULL << 20))

struct gk_pcpage {
	struct gk_mapfile *mf;
	uint64_t idx, gpa;
	/*
	 * A shared mapping was given it (shared_page). While a file has such
	 * pages, sync compares every cached page of it with the host's: a
	 * shared mapping also maps the neighbours of a faulting page through
	 * the page op, which cannot tell it from a private one.
	 */
	int shared;
	struct gk_pcpage *prev, *next; /* the kernel's LRU, most recently used first */
};

static void
lru_unlink(struct gk_pcache *pc, struct gk_pcpage *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		pc->head = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	else
		pc->tail = pg->prev;
	pg->prev = pg->next = NULL;
}

static void
lru_front(struct gk_pcache *pc, struct gk_pcpage *pg)
{
	pg->next = pc->head;
	pg->prev = NULL;
	if (pc->head)
		pc->head->prev = pg;
	pc->head = pg;
	if (!pc->tail)
		pc->tail = pg;
}

/* The slot of page idx of mf, made when make (NULL if it cannot be, or is not there). */
static struct gk_pcpage **
slot(struct gk_mapfile *mf, uint64_t idx, int make)
{
	uint64_t c = idx / CHUNK;

	if (c >= mf->pcdir_n) {
		struct gk_pcpage ***d;
		uint64_t n = mf->pcdir_n ? mf->pcdir_n : 4;

		if (!make)
			return NULL;
		while (n <= c)
			n *= 2;
		d = realloc(mf->pcdir, n * sizeof(*d));
		if (!d)
			return NULL;
		memset(d + mf->pcdir_n, 0, (n - mf->pcdir_n) * sizeof(*d));
		mf->pcdir = d;
		mf->pcdir_n = n;
	}
	if (!mf->pcdir[c]) {
		if (!make)
			return NULL;
		mf->pcdir[c] = calloc(CHUNK, sizeof(**mf->pcdir));
		if (!mf->pcdir[c])
			return NULL;
	}
	return &mf->pcdir[c][idx % CHUNK];
}

/* Forget cached page pg (its slot is *sp): the cache's reference to the frame goes. */
static void
page_drop(struct gk_pcache *pc, struct gk_pcpage **sp)
{
	struct gk_pcpage *pg = *sp;

	lru_unlink(pc, pg);
	*sp = NULL;
	if (pg->shared) {
		pg->mf->nshared--;
		pc->nshared--;
	}
	gk_page_unref(pg->mf->k->pa, pg->gpa);
	pg->mf->ncached--;
	pc->npages--;
	free(pg);
}

/*
 * Pages read from the host at once on a miss: the fault window's worth,
 * into physically contiguous frames, so that every later mapping of them
 * is one host mapping call per run, as private copies were.
 */
#define READAHEAD 16

/*
 * gk_pcache_page - host file mf's page idx as a frame of the cache, read
 * from the host now if it is not there (with the uncached pages after
 * it, up to READAHEAD): the page op of host entries. Returns its gpa, or
 * 0 past the end of the file as last seen, when guest RAM or tracer
 * memory is exhausted, or on a read error (the caller then reads the
 * page itself, and sees the error).
 */
uint64_t
gk_pcache_page(struct gk_mapfile *mf, uint64_t idx)
{
	struct gk_pcache *pc = gk_pcache_of(mf->k);
	uint64_t gpa, end, want, i;
	struct gk_pcpage **sp;
	long n;

	end = mf->pc_size < 0 ? 0 : ((uint64_t)mf->pc_size + GK_PAGE - 1) / GK_PAGE;
	if (end > MAX_IDX)
		end = MAX_IDX;
	if (!pc || idx >= end)
		return 0;
	sp = slot(mf, idx, 0);
	if (sp && *sp) {
		lru_unlink(pc, *sp);
		lru_front(pc, *sp);
		return (*sp)->gpa;
	}
	for (want = 1; want < READAHEAD && idx + want < end; want++) {
		sp = slot(mf, idx + want, 0);
		if (sp && *sp)
			break;
	}
	/* The frames first: reclaiming may drop pages of mf too, and slots with them. */
	n = gk_palloc_run(mf->k->pa, want, &gpa);
	if (n < 0)
		return 0;
	if (mf->ops->pread(mf, mf->k->ram + gpa, (uint64_t)n * GK_PAGE, idx * GK_PAGE) < 0) {
		gk_palloc_free(mf->k->pa, gpa, (uint64_t)n);
		return 0;
	}
	for (i = (uint64_t)n; i-- > 0;) {
		struct gk_pcpage *pg = calloc(1, sizeof(*pg));

		sp = pg ? slot(mf, idx + i, 1) : NULL;
		if (!sp) {
			/* Tracer memory: this one is not cached (nor idx, if it is idx). */
			free(pg);
			gk_palloc_free(mf->k->pa, gpa + i * GK_PAGE, 1);
			if (i == 0)
				return 0;
			continue;
		}
		pg->mf = mf;
		pg->idx = idx + i;
		pg->gpa = gpa + i * GK_PAGE;
		*sp = pg;
		lru_front(pc, pg);
		mf->ncached++;
		pc->npages++;
	}
	return gpa;
}

/* gk_pcache_drop - forget mf's cached pages from index from on (mappings keep their frames). */
void
gk_pcache_drop(struct gk_mapfile *mf, uint64_t from)
{
	struct gk_pcache *pc = gk_pcache_of(mf->k);
	uint64_t c, i;

	for (c = from / CHUNK; pc && c < mf->pcdir_n && mf->ncached; c++) {
		if (!mf->pcdir[c])
			continue;
		for (i = c == from / CHUNK ? from % CHUNK : 0; i < CHUNK; i++)
			if (mf->pcdir[c][i])
				page_drop(pc, &mf->pcdir[c][i]);
	}
	if (from == 0 || !mf->ncached) {
		for (c = 0; c < mf->pcdir_n; c++)
			free(mf->pcdir[c]);
		free(mf->pcdir);
		mf->pcdir = NULL;
		mf->pcdir_n = 0;
	}
}

static int
stat_same(const struct gk_mapfile *mf, const struct stat *st)
{
	return mf->pc_size == (int64_t)st->st_size &&
	       mf->pc_mtime.tv_sec == st->st_mtim.tv_sec &&
	       mf->pc_mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       mf->pc_ctime.tv_sec == st->st_ctim.tv_sec && mf->pc_ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static void
stat_note(struct gk_mapfile *mf, const struct stat *st)
{
	mf->pc_size = (int64_t)st->st_size;
	mf->pc_mtime = st->st_mtim;
	mf->pc_ctime = st->st_ctim;
}

/*
 * gk_pcache_check - the host says st of mf's file now: if it changed since
 * its pages were read (size, mtime or ctime), they are stale: drop them.
 */
void
gk_pcache_check(struct gk_mapfile *mf, const struct stat *st)
{
	if (stat_same(mf, st))
		return;
	/* Pages shared mappings hold are the file as the guest sees it: they stay. */
	if (!mf->nshared)
		gk_pcache_drop(mf, 0);
	stat_note(mf, st);
}

/*
 * gk_pcache_wrote - the guest wrote [off, off+len) of the host file open
 * on hfd, or truncated it (len 0, off the new size): the cached pages it
 * touched are read again (frames keep their place, so private mappings
 * that share them see the new bytes, as on Linux), pages past a new end
 * go, and the new stat is noted so the write is not taken for a change
 * from outside.
 */
void
gk_pcache_wrote(struct gk_kernel *k, int hfd, uint64_t off, uint64_t len)
{
	struct gk_pcache *pc = gk_pcache_of(k);
	uint8_t buf[GK_PAGE];
	struct gk_mapfile *mf;
	struct stat st;
	uint64_t idx, last;

	if (!pc || fstat(hfd, &st) < 0)
		return;
	mf = gk_mapfile_find_host(k, st.st_dev, st.st_ino);
	if (!mf)
		return;
	if (!len)
		gk_pcache_drop(mf, (off + GK_PAGE - 1) / GK_PAGE);
	last = len ? (off + len - 1) / GK_PAGE : off / GK_PAGE;
	for (idx = off / GK_PAGE; idx <= last && mf->ncached; idx++) {
		struct gk_pcpage **sp = slot(mf, idx, 0);

		if (!sp || !*sp)
			continue;
		/* Through a buffer: the frame never shows a half-read page, and a short tail is zero. */
		memset(buf, 0, sizeof(buf));
		if (mf->ops->pread(mf, buf, GK_PAGE, idx * GK_PAGE) < 0)
			page_drop(pc, sp);
		else
			memcpy(k->ram + (*sp)->gpa, buf, GK_PAGE);
	}
	stat_note(mf, &st);
	if (!mf->ncached) {
		gk_pcache_drop(mf, 0);
		if (mf->refs == 0)
			gk_mapfile_idle_free(mf);
	}
}

/*
 * Write page pg of mf back to the host if a shared mapping changed it,
 * up to the file's size now (size; stores past the end reach nothing, as
 * on Linux). Compared first, so that mappings only read leave the host
 * file and its mtime alone. 0 or -EIO.
 */
static int
page_writeback(struct gk_mapfile *mf, const struct gk_pcpage *pg, uint64_t size)
{
	const uint8_t *frame = mf->k->ram + pg->gpa;
	uint64_t off = pg->idx * GK_PAGE, len;
	uint8_t buf[GK_PAGE];

	if (off >= size)
		return 0;
	len = size - off < GK_PAGE ? size - off : GK_PAGE;
	if (pread(mf->wfd, buf, len, (off_t)off) == (ssize_t)len && memcmp(buf, frame, len) == 0)
		return 0;
	return pwrite(mf->wfd, frame, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

/* One page of mf, a file with shared mappings, written back alone (reclaim). 0 or -EIO. */
static int
writeback_one(struct gk_mapfile *mf, const struct gk_pcpage *pg)
{
	struct stat st;

	if (mf->wfd < 0 || fstat(mf->wfd, &st) < 0)
		return -EIO;
	if (page_writeback(mf, pg, (uint64_t)st.st_size) < 0)
		return -EIO;
	if (fstat(mf->wfd, &st) == 0)
		stat_note(mf, &st);
	return 0;
}

/*
 * gk_pcache_sync - write back to the host what stores through shared
 * mappings changed in mf's pages (every cached page is compared) (msync, a mapping going, read/write
 * of the file): the sync op of host entries. 0, or -EIO when a page
 * could not be written (or mf has no descriptor to write with).
 */
int
gk_pcache_sync(struct gk_mapfile *mf)
{
	struct stat st;
	uint64_t c, i;
	int err = 0;

	if (!mf->nshared)
		return 0;
	if (mf->wfd < 0 || fstat(mf->wfd, &st) < 0)
		return -EIO;
	for (c = 0; c < mf->pcdir_n; c++)
		for (i = 0; mf->pcdir[c] && i < CHUNK; i++)
			if (mf->pcdir[c][i] &&
			    page_writeback(mf, mf->pcdir[c][i], (uint64_t)st.st_size) < 0)
				err = -EIO;
	/* The guest's own write-back is no change from outside. */
	if (fstat(mf->wfd, &st) == 0)
		stat_note(mf, &st);
	return err;
}

/* gk_pcache_unshare - no shared mapping of mf is left (and sync ran): its pages are plain cache. */
void
gk_pcache_unshare(struct gk_mapfile *mf)
{
	struct gk_pcache *pc = gk_pcache_of(mf->k);
	uint64_t c, i;

	for (c = 0; pc && mf->nshared && c < mf->pcdir_n; c++)
		for (i = 0; mf->pcdir[c] && i < CHUNK; i++)
			if (mf->pcdir[c][i] && mf->pcdir[c][i]->shared) {
				mf->pcdir[c][i]->shared = 0;
				mf->nshared--;
				pc->nshared--;
			}
}

/*
 * gk_pcache_flush - the guest is about to read or write the host file
 * open on hfd: stores through its shared mappings reach the host first,
 * so read() sees them and write() lands on them. Free when no shared
 * mapping of a host file has been made.
 */
void
gk_pcache_flush(struct gk_kernel *k, int hfd)
{
	struct gk_pcache *pc = gk_pcache_of(k);
	struct gk_mapfile *mf;
	struct stat st;

	if (!pc || !pc->nshared || fstat(hfd, &st) < 0)
		return;
	mf = gk_mapfile_find_host(k, st.st_dev, st.st_ino);
	if (mf && mf->nshared)
		gk_pcache_sync(mf);
}

/*
 * gk_pcache_shared_page - host file mf's page idx for a MAP_SHARED
 * mapping: the cache's frame itself (stores into it are stores into the
 * file, written back by sync). 0 with *ret_err -EIO past the end of the
 * file or when the page cannot be had (SIGBUS for the access).
 */
uint64_t
gk_pcache_shared_page(struct gk_mapfile *mf, uint64_t idx, int *ret_err)
{
	struct gk_pcache *pc = gk_pcache_of(mf->k);
	struct gk_pcpage **sp;
	uint64_t gpa, size;

	/* Past the end as last seen: the file may have grown from outside since. */
	if (idx * GK_PAGE >= (uint64_t)mf->pc_size && mf->ops->size(mf, &size) == 0 &&
	    size > (uint64_t)mf->pc_size)
		mf->pc_size = (int64_t)size;
	gpa = gk_pcache_page(mf, idx);
	sp = gpa ? slot(mf, idx, 0) : NULL;
	if (!pc || !sp || !*sp) {
		*ret_err = -EIO;
		return 0;
	}
	if (!(*sp)->shared) {
		(*sp)->shared = 1;
		mf->nshared++;
		pc->nshared++;
	}
	return gpa;
}

/*
 * gk_pcache_reclaim - palloc's reclaim hook (ctx is the kernel): free up
 * to want frames that only the cache holds, least recently used first.
 * Returns how many went.
 */
uint64_t
gk_pcache_reclaim(void *ctx, uint64_t want)
{
	struct gk_kernel *k = ctx;
	struct gk_pcache *pc = gk_pcache_of(k);
	struct gk_pcpage *pg, *prev;
	uint64_t done = 0;

	for (pg = pc ? pc->tail : NULL; pg && done < want; pg = prev) {
		struct gk_mapfile *mf = pg->mf;

		prev = pg->prev;
		if (gk_page_refs(k->pa, pg->gpa) != 1)
			continue;
		/* Stores a shared mapping left in it reach the host first, or it stays. */
		if (mf->nshared && writeback_one(mf, pg) < 0)
			continue;
		page_drop(pc, slot(mf, pg->idx, 0));
		done++;
		pc->evicted++;
		if (!mf->ncached) {
			gk_pcache_drop(mf, 0);
			if (mf->refs == 0)
				gk_mapfile_idle_free(mf);
		}
	}
	return done;
}
