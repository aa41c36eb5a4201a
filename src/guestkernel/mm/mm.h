/*
 * mm.h - guest memory: physical frames of pmem, address spaces and their
 * VMAs, page faults, copy-on-write, copyin/copyout.
 *
 * Layer src/guestkernel/mm. Includes kern/ only. File pages come through
 * struct gk_mapfile's operations, which fs/ implements (host files, tmpfs),
 * so that mm never calls into fs.
 */
#ifndef UVK_GUESTKERNEL_MM_H
#define UVK_GUESTKERNEL_MM_H

#include "../kern/kern.h"

/* ---- palloc.c: physical pages of pmem -------------------------------------------------- */

struct gk_palloc {
	struct uvk_pmem *pm;
	uint8_t *ram;
	uint64_t npages;
	uint64_t *bitmap; /* 1 = frame in use */
	uint64_t *clean;  /* 1 = frame known to hold zeroes (a hole of the memfd) */
	uint16_t *ref;	  /* mappings of each frame, for copy-on-write in part 2 */
	uint64_t *table;  /* 1 = frame holds a page table (never mapped as a leaf) */
	uint64_t next;	  /* next-fit cursor, in frames */
	uint64_t nfree;
	uint64_t peak_used;
	/*
	 * Frees up to want frames held only by a cache (fs/pcache.c), least
	 * recently used first, when a request finds too few free: returns how
	 * many. NULL while nothing caches. Called with ctx, from gk_palloc_run.
	 */
	uint64_t (*reclaim)(void *ctx, uint64_t want);
	void *reclaim_ctx;
};

int gk_palloc_init(struct gk_palloc *pa, struct uvk_pmem *pm);
void gk_palloc_fini(struct gk_palloc *pa);
long gk_palloc_run(struct gk_palloc *pa, uint64_t want, uint64_t *ret_gpa);
int gk_palloc_free(struct gk_palloc *pa, uint64_t gpa, uint64_t npages);
bool gk_frame_ok(const struct gk_palloc *pa, uint64_t gpa);
bool gk_leaf_frame_ok(const struct gk_palloc *pa, uint64_t gpa);
bool gk_frame_is_table(const struct gk_palloc *pa, uint64_t gpa);
void gk_frame_set_table(struct gk_palloc *pa, uint64_t gpa, bool table);
int gk_page_ref(struct gk_palloc *pa, uint64_t gpa);
int gk_page_unref(struct gk_palloc *pa, uint64_t gpa);
int gk_page_drop(struct gk_palloc *pa, uint64_t gpa);
unsigned gk_page_refs(const struct gk_palloc *pa, uint64_t gpa);

/* ---- vm.c, vma.c, fault.c: address spaces, their VMAs, page faults --------------------- */

/* VMA flags beyond PROT_*. */
#define GK_VMA_FILE	 0x1u /* pages come from file, beyond fend they are zero */
#define GK_VMA_GROWSDOWN 0x2u /* the stack: grows down on a fault below start */
#define GK_VMA_SHARED	 0x4u /* MAP_SHARED (private in effect until part 2) */
#define GK_VMA_HEAP	 0x8u /* [heap] for /proc/self/maps */
#define GK_VMA_EOFBUS	 0x10u /* mmap of a file: a page wholly past its end is SIGBUS */

/*
 * A file VMAs read their pages from: one per host inode or /tmp node,
 * shared by every mapping of it; refs counts the VMAs holding it. fs/
 * makes them (fs/mapfile.c) and owns every field past ops; mm reaches the
 * file only through ops, so memory never calls into the file system.
 */
struct gk_mapfile;
struct gk_mapfile_ops {
	/* len bytes at off into buf (a pmem hva), zeroes past the end: 0 or -EIO. */
	int (*pread)(struct gk_mapfile *mf, uint8_t *buf, size_t len, uint64_t off);
	/* The file's size now: 0 or -EIO. */
	int (*size)(struct gk_mapfile *mf, uint64_t *ret_size);
	/*
	 * NULL for a file whose pages are not in guest RAM; else the frame
	 * holding page idx (a /tmp file's own, a host file's page-cache copy,
	 * read in on first use), which a private mapping shares copy-on-write,
	 * or 0 for a hole, past the end, or when it cannot be had (the caller
	 * then reads the page into a frame of its own with pread).
	 */
	uint64_t (*page)(struct gk_mapfile *mf, uint64_t idx);
	/*
	 * NULL for a file whose MAP_SHARED mappings are private copies still;
	 * else the frame holding page idx for a shared mapping, made (zeroed)
	 * if it is a hole: a store through the mapping is a store into the
	 * file. 0 with *ret_err -EIO past the end (SIGBUS) or when the file
	 * has no room for the page (as Linux's shmem: SIGBUS).
	 */
	uint64_t (*shared_page)(struct gk_mapfile *mf, uint64_t idx, int *ret_err);
	/*
	 * NULL when there is nothing to write back (the file lives in guest
	 * RAM); else write what stores through shared mappings changed back
	 * to where the file lives (msync): 0 or -EIO.
	 */
	int (*sync)(struct gk_mapfile *mf);
	/* Drop one reference; the last frees the entry. */
	void (*unref)(struct gk_mapfile *mf);
};

struct gk_mapfile {
	int refs;
	const struct gk_mapfile_ops *ops;
	char *gpath; /* what /proc/PID/maps names it */
	dev_t dev;
	ino_t ino;
	/* fs/mapfile.c's own: */
	int hfd; /* host descriptor, O_RDONLY|O_CLOEXEC, or -1 (closed by the cache; a tmpfs file) */
	struct gk_mount *mnt;	/* host files mapped by path: reopen hpath under it */
	char *hpath;
	struct gk_tnode *tnode; /* a /tmp file: pages come from its frames */
	struct gk_kernel *k;	/* whose cache (k->mapcache) holds the entry */
	struct gk_mapfile *hnext; /* hash chain by (dev, ino) */
	struct gk_mapfile *lprev, *lnext; /* LRU of closable descriptors */
	int on_lru;
	/*
	 * fs/pcache.c's: a host file's cached pages by index (chunks of
	 * pointers, made as needed), how many, and the host's stat when
	 * they were read (a change from outside drops them). An entry no
	 * mapping holds (refs 0) stays while it caches pages.
	 */
	struct gk_pcpage ***pcdir;
	uint64_t pcdir_n;
	uint64_t ncached;
	uint64_t nshared; /* cached pages a shared mapping was given: written back by sync */
	int wfd;	  /* host descriptor open for writing them back, or -1 */
	int64_t pc_size;
	struct timespec pc_mtime, pc_ctime;
};

static inline void
gk_mapfile_unref(struct gk_mapfile *mf)
{
	if (mf)
		mf->ops->unref(mf);
}

static inline int
gk_mapfile_pread(struct gk_mapfile *mf, uint8_t *buf, size_t len, uint64_t off)
{
	return mf->ops->pread(mf, buf, len, off);
}

static inline int
gk_mapfile_size(struct gk_mapfile *mf, uint64_t *ret_size)
{
	return mf->ops->size(mf, ret_size);
}

struct gk_vma {
	uint64_t start, end; /* gva, page aligned */
	unsigned prot;	     /* PROT_READ|PROT_WRITE|PROT_EXEC */
	unsigned flags;	     /* GK_VMA_* */
	struct gk_mapfile *file;
	uint64_t foff; /* file offset of start */
	uint64_t fend; /* gva past which file content is zero (bss of an ELF segment) */
};

struct gk_vm {
	int refs; /* processes using it: a vfork child shares its parent's */
	struct gk_kernel *k;
	struct uvk_vmspace *vms; /* NULL for an unbound vm (gk_vm_new_unbound) */
	uint64_t root;	    /* gpa of the level-4 table */
	struct gk_vma *vma; /* sorted by start, never overlapping */
	int nvma, cap;
	uint64_t brk_start, brk;
	uint64_t mmap_top;  /* top-down search for mmap starts below here */
	uint64_t stack_top; /* one past the highest stack byte */
	uint64_t stack_max; /* RLIMIT_STACK: the stack VMA never grows below top - max */
	uint64_t pages;	    /* resident pages */
	int max_map_count;  /* VMAs it may have: vm.max_map_count (GK_MAX_MAP_COUNT, or its parent's) */
	/* Per vCPU, the task whose FPU state that vCPU's host thread in the vmspace holds (proc/task.c). */
	struct gk_proc *fp_owner[GK_NCPU_MAX];
};

/* vm.max_map_count's default: VMAs a process may have (mmap, mprotect, munmap: ENOMEM past it). */
#define GK_MAX_MAP_COUNT 65530
#define GK_VA_MIN 0x10000ULL /* vm.mmap_min_addr: no mapping below */

struct gk_vm *gk_vm_new(struct gk_kernel *k);
struct gk_vm *gk_vm_new_unbound(struct gk_kernel *k);
void gk_vm_free(struct gk_vm *vm);
struct gk_vm *gk_vm_ref(struct gk_vm *vm);
struct gk_vma *gk_vma_find(struct gk_vm *vm, uint64_t gva);
int gk_vm_map(struct gk_vm *vm, uint64_t start, uint64_t len, unsigned prot, unsigned flags,
	      struct gk_mapfile *file, uint64_t foff, uint64_t fend);
int gk_vm_unmap(struct gk_vm *vm, uint64_t start, uint64_t len);
int gk_vm_protect(struct gk_vm *vm, uint64_t start, uint64_t len, unsigned prot);
int gk_vm_discard(struct gk_vm *vm, uint64_t start, uint64_t len);
int gk_vm_move(struct gk_vm *vm, uint64_t old, uint64_t oldlen, uint64_t new, uint64_t newlen);
int gk_vm_fault(struct gk_vm *vm, uint64_t gva, unsigned access);
uint64_t gk_vm_find_free(struct gk_vm *vm, uint64_t len, uint64_t hint);
int gk_vm_range_free(struct gk_vm *vm, uint64_t start, uint64_t len);
int gk_vm_prefault(struct gk_vm *vm, uint64_t start, uint64_t len);
struct gk_vm *gk_vm_fork(struct gk_vm *parent);
int gk_vm_cow_fault(struct gk_vm *vm, uint64_t page, uint64_t pte, uint64_t bits,
		    unsigned access);
int gk_vm_table_alloc(void *ctx, uint64_t *ret_gpa);
int gk_vm_enter(struct gk_vm *vm, uint64_t gva, uint64_t pte);
int gk_vm_invalidate(struct gk_vm *vm, uint64_t start, uint64_t end);
void gk_vm_corrupt(struct gk_vm *vm, uint64_t gva, uint64_t pte);

/* ---- uaccess.c: copyin/copyout through the guest page table ---------------------------- */

int gk_copyin(struct gk_proc *p, void *dst, uint64_t gva, size_t len);
int gk_copyout(struct gk_proc *p, uint64_t gva, const void *src, size_t len);
long gk_strncpyin(struct gk_proc *p, char *dst, uint64_t gva, size_t max);
int gk_user_iov(struct gk_proc *p, uint64_t gva, size_t len, unsigned access, struct iovec *iov,
		int maxiov, size_t *ret_len);


#endif /* UVK_GUESTKERNEL_MM_H */
