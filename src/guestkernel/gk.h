/*
 * gk.h - private sharing of the guest kernel's files.
 *
 * Layer src/guestkernel. Only <uvk/...> from the project below this line:
 * the guest kernel never reaches into src/tracer, src/vmspace or src/vpt.
 * Naming: gva/gpa for guest virtual/physical addresses, hva for pointers
 * into the tracer's mapping of pmem, gpid for guest process ids.
 */
#ifndef UVK_GUESTKERNEL_GK_H
#define UVK_GUESTKERNEL_GK_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <uvk/uvk.h>

#include "guestkernel.h"
#include "sysarg.h"

#define GK_PAGE	    UVK_PAGE_SIZE
#define GK_NFD	    1024
#define GK_NSIG	    65
#define GK_PATH_MAX 4096
#define GK_IO_MAX   (8u << 20)

#define gk_page_down(x) ((uint64_t)(x)&UVK_PAGE_MASK)
#define gk_page_up(x)	(((uint64_t)(x) + GK_PAGE - 1) & UVK_PAGE_MASK)

struct gk_proc;
struct gk_kernel;
struct gk_file;

/* gk_panic - a broken invariant of the guest kernel itself; never reachable from a guest. */
void gk_panic(const char *fn, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/*
 * GK_DEBUG_CHECK - an invariant checked only in the debug/sanitizer build
 * (meson option debug_checks): a failure panics there. In a release build
 * the code that follows must cope with the broken case on its own (it only
 * ever comes from corrupt guest RAM, which costs the guest its process).
 */
#ifdef UVK_DEBUG_CHECKS
#define GK_DEBUG_CHECK(cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond))                                                                       \
			gk_panic(__func__, __VA_ARGS__);                                           \
	} while (0)
#else
#define GK_DEBUG_CHECK(cond, ...) ((void)0)
#endif

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

/* ---- vm.c: address spaces, VMAs, page faults ------------------------------------------- */

/* VMA flags beyond PROT_*. */
#define GK_VMA_FILE	 0x1u /* pages come from file, beyond fend they are zero */
#define GK_VMA_GROWSDOWN 0x2u /* the stack: grows down on a fault below start */
#define GK_VMA_SHARED	 0x4u /* MAP_SHARED (private in effect until part 2) */
#define GK_VMA_HEAP	 0x8u /* [heap] for /proc/self/maps */
#define GK_VMA_EOFBUS	 0x10u /* mmap of a file: a page wholly past its end is SIGBUS */

/*
 * A file VMAs read their pages from (mapfile.c): one per host inode or /tmp
 * node, shared by every mapping of it. refs counts the VMAs holding it.
 */
struct gk_mapfile {
	int refs;
	int hfd; /* host descriptor, O_RDONLY|O_CLOEXEC, or -1 (closed by the cache; a tmpfs file) */
	char *gpath;
	dev_t dev;
	ino_t ino;
	struct gk_mount *mnt;	/* host files mapped by path: reopen hpath under it */
	char *hpath;
	struct gk_tnode *tnode; /* a /tmp file: pages come from its frames */
	struct gk_kernel *k;	/* ... of this kernel */
	struct gk_mapfile *hnext; /* hash chain by (dev, ino) */
	struct gk_mapfile *lprev, *lnext; /* LRU of closable descriptors */
	int on_lru;
};

/*
 * Host descriptors the mapfile cache keeps open for mappings of host files
 * opened by path; past it the least recently used closes (mapfile.c).
 */
#define GK_MAPFD_MAX 64

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
	struct uvk_vmspace *vms;
	uint64_t root;	    /* gpa of the level-4 table */
	struct gk_vma *vma; /* sorted by start, never overlapping */
	int nvma, cap;
	uint64_t brk_start, brk;
	uint64_t mmap_top;  /* top-down search for mmap starts below here */
	uint64_t stack_top; /* one past the highest stack byte */
	uint64_t stack_max; /* RLIMIT_STACK: the stack VMA never grows below top - max */
	uint64_t pages;	    /* resident pages */
};

/* vm.max_map_count's default: VMAs a process may have (mmap, mprotect, munmap: ENOMEM past it). */
#define GK_MAX_MAP_COUNT 65530

struct gk_vm *gk_vm_new(struct gk_kernel *k);
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

/* mapfile.c */
struct gk_mapfile *gk_mapfile_new(int hfd, const char *gpath);
int gk_mapfile_host(struct gk_file *f, struct gk_mapfile **ret_mf);
struct gk_tnode;
int gk_mapfile_tmpfs(struct gk_kernel *k, struct gk_tnode *n, const char *gpath,
		     struct gk_mapfile **ret_mf);
void gk_mapfile_unref(struct gk_mapfile *mf);
int gk_mapfile_pread(struct gk_mapfile *mf, uint8_t *buf, size_t len, uint64_t off);
int gk_mapfile_size(struct gk_mapfile *mf, uint64_t *ret_size);
void gk_mapfile_note_copy(int hfd, struct gk_kernel *k, struct gk_tnode *n);
void gk_mapfile_copies_fini(void);
int gk_mapfile_enter(struct gk_vm *vm, struct gk_vma *v, uint64_t page, uint64_t s, uint64_t e,
		     uint64_t bits, uint64_t fresh);

/* ---- uaccess.c: copyin/copyout through the guest page table ---------------------------- */

int gk_copyin(struct gk_proc *p, void *dst, uint64_t gva, size_t len);
int gk_copyout(struct gk_proc *p, uint64_t gva, const void *src, size_t len);
long gk_strncpyin(struct gk_proc *p, char *dst, uint64_t gva, size_t max);
int gk_user_iov(struct gk_proc *p, uint64_t gva, size_t len, unsigned access, struct iovec *iov,
		int maxiov, size_t *ret_len);

/* ---- vfs.c: mounts, path resolution, host file operations ------------------------------ */

enum gk_mnt_kind { GK_MNT_HOST, GK_MNT_DEV, GK_MNT_PROC, GK_MNT_TMPFS };

struct gk_mount {
	char *gpath; /* "/" or "/tmp", no trailing slash */
	size_t glen;
	enum gk_mnt_kind kind;
	int hfd; /* O_PATH|O_DIRECTORY of the host directory, for GK_MNT_HOST */
	int writable;
};

/* A guest path, normalized and split at its mount. */
struct gk_path {
	char gpath[GK_PATH_MAX]; /* absolute, no ".", "..", "//" */
	struct gk_mount *mnt;
	const char *rest; /* inside the mount: "" for its root, never starting with '/' */
	int must_dir; /* the guest wrote a trailing "/": follow a final symlink, want a directory */
};

enum gk_ftype {
	GK_F_HOST = 1, /* a host file or directory under a host mount */
	GK_F_CONSOLE,  /* one of uvk's own stdin/stdout/stderr */
	GK_F_NULL,
	GK_F_ZERO,
	GK_F_FULL,
	GK_F_RANDOM,
	GK_F_BUF,   /* a rendered synthetic file (/proc), or a synthetic directory's dirents */
	GK_F_TMPFS, /* a regular file of the guest's /tmp */
	GK_F_PIPE,  /* one end of a pipe (pipe.c) */
};

struct gk_pipe;

/*
 * A node of the guest's /tmp (tmpfs.c). A regular file's pages are a sparse
 * 64-way radix tree of gpas (tmpfs_file.c), so a hole costs nothing; a
 * directory's entries are a vector in creation order (the order getdents
 * sees, the seq numbers its offsets are) with an open-addressing hash index
 * by name. Every byte of this, nodes and names included, is charged to
 * the kernel-heap budget (gk_kmem_charge).
 */
struct gk_tdirent;
struct gk_tptn;
struct gk_tnode {
	unsigned nlink; /* links from directories ("." counts for a directory) */
	unsigned opens; /* open files and mappings holding it */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t ino;
	struct timespec atime, mtime, ctime;
	uint64_t size;
	struct gk_tptn *pt; /* regular file: radix tree of page gpas, NULL when empty */
	int pt_height;	    /* levels of pt: it covers 64^pt_height pages */
	uint64_t resident;  /* pages present (st_blocks) */
	char *target;	    /* symlink */
	struct gk_tdirent *ents; /* directory: live entries and tombstones (name NULL) */
	size_t nents, cap;	 /* slots of ents in use, allocated */
	size_t nlive;		 /* live entries */
	uint32_t *hash;		 /* index+1 into ents, 0 empty; hcap slots, a power of two */
	size_t hcap;
	uint64_t next_seq; /* the next entry's seq: getdents offset = seq + 1 */
	struct gk_tnode *parent; /* directory: the one that links it (NULL for the root) */
};

/*
 * Limits of /tmp, as a tmpfs mounted with the defaults: data pages at most
 * half the guest's RAM (size=50%), inodes at most half its pages
 * (nr_inodes), and its tracer-heap metadata within the kernel-heap budget
 * (ENOSPC past any of them).
 */
uint64_t gk_tnode_page(const struct gk_tnode *n, uint64_t idx);
uint64_t gk_tnode_next(const struct gk_tnode *n, uint64_t idx, uint64_t *ret_gpa);
long gk_tmpfs_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len);

enum { GK_SET_MODE = 1, GK_SET_OWNER, GK_SET_TIMES, GK_SET_SIZE };

struct gk_file {
	int refs;
	enum gk_ftype type;
	int hfd;   /* host descriptor for HOST and CONSOLE, else -1; closed by the last unref */
	int flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY ... as the guest sees them */
	char *gpath;
	struct gk_mount *mnt;
	char *buf; /* GK_F_BUF content */
	size_t len;
	off_t pos;
	int isdir;
	struct stat st;		/* synthetic files: what fstat says */
	struct gk_tnode *tnode; /* tmpfs files and directories: held while open */
	struct gk_kernel *tk;	/* ... and the kernel it belongs to */
	struct gk_pipe *pipe;	/* GK_F_PIPE: the pipe; flags say which end */
	size_t kmem;		/* bytes of buf charged to tk's kernel-heap budget */
};

struct gk_fdtable {
	struct gk_file *f[GK_NFD];
	uint8_t cloexec[GK_NFD];
	int limit; /* RLIMIT_NOFILE's soft limit (<= GK_NFD): no descriptor is installed at or past it */
};

int gk_vfs_init(struct gk_kernel *k, const struct gk_config *cfg);
void gk_vfs_fini(struct gk_kernel *k);
int gk_path_resolve(struct gk_proc *p, int dirfd, const char *upath, struct gk_path *ret);
int gk_path_from_user(struct gk_proc *p, int dirfd, uint64_t gva, struct gk_path *ret, char *copy);
int gk_vfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode,
		struct gk_file **ret);
int gk_vfs_stat(struct gk_proc *p, struct gk_path *path, int follow, struct stat *st);
long gk_vfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size);
int gk_vfs_access(struct gk_proc *p, struct gk_path *path, int mode, int follow);
int gk_vfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode);
int gk_vfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir);
int gk_vfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags);
int gk_vfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path);
int gk_vfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to);
int gk_vfs_chmod(struct gk_proc *p, struct gk_path *path, mode_t mode, int follow);
int gk_vfs_chown(struct gk_proc *p, struct gk_path *path, uid_t uid, gid_t gid, int follow);
int gk_vfs_utimens(struct gk_proc *p, struct gk_path *path, const struct timespec *ts, int follow);
int gk_vfs_truncate(struct gk_proc *p, struct gk_path *path, off_t len);
int gk_vfs_open_exec(struct gk_proc *p, struct gk_path *path, int *ret_hfd);

/* ---- synth.c: /dev and /proc ---------------------------------------------------------- */

int gk_synth_open(struct gk_proc *p, struct gk_path *path, int flags, struct gk_file **ret);
int gk_synth_stat(struct gk_proc *p, struct gk_path *path, int follow, struct stat *st);
long gk_synth_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size);
char *gk_proc_maps(struct gk_proc *p, size_t *ret_len);

/* ---- tmpfs.c: the guest's /tmp in guest RAM ----------------------------------------- */

int gk_tmpfs_init(struct gk_kernel *k);
void gk_tmpfs_fini(struct gk_kernel *k);
int gk_tmpfs_walk(struct gk_proc *p, struct gk_path *path, int follow);
int gk_tmpfs_settle(struct gk_proc *p, struct gk_path *path, int follow);
int gk_tmpfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode,
		  struct gk_file **ret);
int gk_tmpfs_stat(struct gk_proc *p, struct gk_path *path, struct stat *st);
long gk_tmpfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size);
int gk_tmpfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode);
int gk_tmpfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path);
int gk_tmpfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir);
int gk_tmpfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags);
int gk_tmpfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to);
int gk_tmpfs_setattr(struct gk_proc *p, struct gk_path *path, int what, mode_t mode, uid_t uid,
		     gid_t gid, const struct timespec *ts, off_t size);
int gk_tmpfs_exec_fd(struct gk_proc *p, struct gk_path *path, int *ret_hfd);
void gk_tnode_hold(struct gk_tnode *n);
void gk_tnode_release(struct gk_kernel *k, struct gk_tnode *n);
void gk_tnode_stat(struct gk_kernel *k, struct gk_tnode *n, struct stat *st);
int gk_tnode_truncate(struct gk_kernel *k, struct gk_tnode *n, uint64_t size);
long gk_tnode_rw(struct gk_kernel *k, struct gk_tnode *n, int write, const struct iovec *iov,
		 int cnt, uint64_t off);
int gk_tnode_setattr(struct gk_tnode *n, int what, mode_t mode, uid_t uid, gid_t gid,
		     const struct timespec *ts);
int gk_tnode_memfd(struct gk_kernel *k, struct gk_tnode *n, int *ret_hfd);
void gk_tnode_free_pages(struct gk_kernel *k, struct gk_tnode *n, uint64_t from);

/* ---- file.c: open files and descriptor tables ------------------------------------------ */

/*
 * The kernel-heap budget: tracer heap that guest-made objects (tmpfs
 * metadata, pipes) may take, RAM / GK_KMEM_DIV bytes in all (32 MiB for
 * the default 512 MiB). With it the tracer's RSS stays below guest RAM +
 * RAM/GK_KMEM_DIV + 32 MiB + a few KiB per guest process and its VMAs,
 * and its descriptors below ~10 + GK_MAPFD_MAX + GK_HOSTFD_FILES + two
 * ELF images per process, whatever the guest does (README.md, "What the
 * guest can make the tracer hold"; run-guest.sh's res_* cases check it).
 */
#define GK_KMEM_DIV 16
int gk_kmem_charge(struct gk_kernel *k, size_t bytes);
void gk_kmem_uncharge(struct gk_kernel *k, size_t bytes);
void gk_hostfd_count(int delta);
/* Host files the guest may hold open at once, all processes together (ENFILE past it). */
#define GK_HOSTFD_FILES 8192
int gk_hostfd_room(void);
void gk_tracer_usage(long *ret_rss_kib, int *ret_fds, int *ret_fds_peak);

struct gk_file *gk_file_new(enum gk_ftype type, int hfd, int flags, const char *gpath);
struct gk_file *gk_file_ref(struct gk_file *f);
void gk_file_unref(struct gk_file *f);
struct gk_fdtable *gk_fdt_new(void);
struct gk_fdtable *gk_fdt_dup(const struct gk_fdtable *fdt);
void gk_fdt_free(struct gk_fdtable *fdt);
void gk_fdt_set_limit(struct gk_fdtable *fdt, uint64_t nofile);
int gk_fd_install(struct gk_fdtable *fdt, struct gk_file *f, int min, int cloexec);
struct gk_file *gk_fd_get(struct gk_proc *p, int fd);
struct gk_file *gk_fd_get_io(struct gk_proc *p, int fd);
int gk_fd_close(struct gk_fdtable *fdt, int fd);
void gk_fd_close_on_exec(struct gk_fdtable *fdt);
long gk_file_readv(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off);
long gk_file_writev(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		    off_t off);
int gk_file_stat(struct gk_file *f, struct stat *st);
long gk_file_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len);
long gk_file_ioctl(struct gk_proc *p, struct gk_file *f, unsigned long cmd, uint64_t arg);
void gk_dirents_add(char **buf, size_t *len, const char *name, unsigned type, uint64_t ino);

/* ---- pipe.c: pipes ------------------------------------------------------------------- */

#define GK_PIPE_SIZE		65536	/* a new pipe's capacity (pipe(7)) */
#define GK_PIPE_MAX_SIZE	1048576 /* /proc/sys/fs/pipe-max-size, Linux's default */
#define GK_PIPE_USER_PAGES_SOFT 16384	/* /proc/sys/fs/pipe-user-pages-soft */
#define GK_PIPE_USER_PAGES_HARD 0	/* /proc/sys/fs/pipe-user-pages-hard: 0, no limit */

int gk_pipe_new(struct gk_kernel *k, struct gk_file **ret_r, struct gk_file **ret_w);
void gk_pipe_close(struct gk_file *f);
long gk_pipe_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n);
long gk_pipe_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n);
short gk_pipe_poll(struct gk_file *f, short events);
long gk_pipe_nread(const struct gk_file *f);
long gk_pipe_get_size(const struct gk_file *f);
long gk_pipe_set_size(struct gk_file *f, uint64_t arg);

/* ---- exec.c: the ELF loader and the initial stack -------------------------------------- */

int gk_exec(struct gk_proc *p, const char *gpath, char *const *argv, char *const *envp);

/* ---- proc.c / kernel.c: processes and the kernel ---------------------------------------- */

struct gk_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/*
 * siginfo_t as the x86-64 kernel lays it out (128 bytes). The union at 16
 * is read by si_code: kill/queue/timer/child use proc (a timer's id and
 * overrun sit in pid and uid; a child's status is value's low half), faults
 * use addr.
 */
struct gk_siginfo {
	int32_t signo, err, code, pad0;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			uint64_t value;
		} proc;
		uint64_t addr;
	};
	uint64_t rest[12];
};

/* A queued signal: standard signals queue at most once, real-time ones in order. */
struct gk_sigq {
	struct gk_siginfo info;
	struct gk_sigq *next;
};

/* A POSIX timer (timer_create). */
struct gk_ptimer {
	int used;
	int notify; /* SIGEV_SIGNAL or SIGEV_NONE */
	int signo;
	uint64_t value;	   /* sigev_value */
	uint64_t next;	   /* CLOCK_MONOTONIC ns of the next expiry, 0 disarmed */
	uint64_t interval; /* ns, 0 for one shot */
	int queued;	   /* its signal is pending, not yet delivered */
	int overrun;	   /* expiries while queued */
	int last_overrun;  /* timer_getoverrun: at the last delivery */
	int realtime;	   /* CLOCK_REALTIME: gettime reports against that clock */
};

#define GK_NTIMERS 32
#define GK_SIGQ_MAX 1024 /* queued real-time signals a process may hold */

#define gk_sigbit(sig) (1ULL << ((sig)-1))

/* The kernel's values, which libc headers do not all give. */
#define GK_SA_RESTORER	  0x04000000u
#define GK_SS_AUTODISARM (1u << 31)
#define GK_MINSIGSTKSZ	  2048u

/*
 * Process states. A process blocked in a syscall keeps the call (sys_nr,
 * sys_args) and runs it again from the start when woken: handlers that
 * would block return gk_block(), which records the channel to wait on.
 */
enum gk_pstate {
	GK_P_RUN = 1, /* runnable */
	GK_P_SLEEP,   /* blocked in a syscall on wchan */
	GK_P_VFORK,   /* parent of a vfork child that has not yet exec'd or exited */
	GK_P_ZOMBIE,  /* exited, resources freed, waiting for its parent's wait */
};

/*
 * A process stopped by a signal keeps its state (it may be asleep in a
 * syscall) and does not run until SIGCONT; the wait reports are what
 * wait4(WUNTRACED/WCONTINUED) has yet to tell the parent.
 */

#define GK_EBLOCK 1024 /* internal: -GK_EBLOCK from a handler means "blocked" */
#define GK_TICK_NS 4000000ULL /* the time slice: guest code is interrupted this often */
#define GK_NPROC  256  /* the guest's process limit: fork beyond it is -EAGAIN */

struct gk_proc {
	struct gk_kernel *k;
	int gpid, gppid;
	int pgid, sid;
	enum gk_pstate state;
	struct gk_proc *parent;	  /* NULL for pid 1 */
	struct gk_proc *next;	  /* in k->procs */
	struct gk_proc *vfork_child; /* GK_P_VFORK: whom we wait for */
	struct gk_proc *vfork_parent; /* suspended until we exec or exit */
	struct uvk_fpstate *vfork_fp; /* our FPU state while a CLONE_VM child uses our vmspace */
	const void *wchan;	  /* GK_P_SLEEP: what we wait for */
	int insys;		  /* a blocked syscall to run again */
	uint64_t sys_nr, sys_args[6];
	int released;		  /* resources of an exited process freed */
	struct gk_vm *vm;
	struct uvk_regs regs;
	struct gk_fdtable *fdt;
	char *cwd; /* normalized absolute guest path */
	mode_t umask;
	char *exe;				/* guest path of the running image */
	char comm[16];				/* the name prctl(PR_SET_NAME) and /proc show */
	uint64_t arg_start, env_start, env_end; /* gva of the argv and envp strings, for /proc */
	int exited;
	int wstatus; /* as wait(2) encodes it */
	uint64_t clear_tid;
	struct rlimit rlim[RLIM_NLIMITS];
	struct gk_sigaction sigact[GK_NSIG];
	uint64_t sigmask;
	uint64_t start_ns;
	int exit_signal; /* sent to the parent at exit: SIGCHLD, or what clone asked */

	/* Signals (signal.c). */
	uint64_t sigpending; /* signals with an entry on sigq */
	struct gk_sigq *sigq;
	int nsigq;
	uint64_t saved_mask; /* sigsuspend/ppoll/pselect6: the mask to go back to */
	int restore_mask;
	uint64_t sigwait; /* rt_sigtimedwait: these wake the process too */
	uint64_t ss_sp, ss_size; /* sigaltstack; ss_size 0: none */
	int ss_flags;		 /* SS_AUTODISARM */
	int stopped, stop_sig;
	int report_stop, report_cont; /* for wait4 WUNTRACED / WCONTINUED */
	int regs_final; /* the handler set every register: rax is not the result */
	int fault_sig;	    /* a fault raised this signal: its frame tells the trap */
	int fault_trapno;   /* the x86 vector: 14 page fault, 13 #GP, 6 #UD, 3 #BP, 0 #DE */
	uint64_t fault_err; /* the error code (page faults: user, write, fetch, protection) */
	int sys_rerun;	/* the blocked call is running again after a wake */
	uint64_t deadline; /* CLOCK_MONOTONIC ns a blocked call times out, 0 none */

	/* Timers (timer.c). */
	uint64_t it_real_next, it_real_interval;
	uint64_t it_virt_left, it_virt_interval; /* ITIMER_VIRTUAL/PROF: guest CPU ns */
	uint64_t it_prof_left, it_prof_interval;
	uint64_t cpu_ns; /* time spent running guest code */
	struct gk_ptimer *ptimers; /* GK_NTIMERS of them once timer_create is called */
};

struct gk_kstats {
	uint64_t syscalls;
	uint64_t enosys;
	uint64_t faults;      /* page faults handled by the guest kernel (traps + copyin/out) */
	uint64_t fault_pages; /* pages populated */
	uint64_t oom;
	uint64_t corrupt; /* processes killed for a corrupt page-table entry */
};

struct gk_kernel {
	const struct gk_config *cfg;
	struct uvk_pmem *pm;
	const struct uvk_vpt_mem *vmem;
	uint8_t *ram; /* hva of gpa 0 */
	struct gk_palloc pa;
	struct gk_mount mounts[GK_MAX_BINDS + 4];
	int nmounts;
	struct gk_mount *tmp_mnt;
	struct gk_tnode *troot; /* the root of /tmp */
	uint64_t tmpfs_pages;	/* frames holding /tmp file data */
	uint64_t kmem, kmem_peak; /* tracer heap charged to guest objects (gk_kmem_charge) */
	uint64_t pipe_user_pages; /* pages of capacity of every pipe (pipe-user-pages-*) */
	uint64_t tmpfs_inodes;	/* nodes of /tmp */
	uint64_t tmpfs_lookups, tmpfs_probes; /* name lookups and entries compared (--stats) */
	FILE *trace;
	struct gk_kstats st;
	struct uvk_stats lib; /* the library's counters of every vmspace freed so far */
	struct gk_proc *init;
	struct gk_proc *procs; /* every process, zombies included */
	int nprocs;
	int next_pid;
	uint64_t boot_ns;
	uint64_t boot_realtime_ns;
	uid_t uid;
	gid_t gid;
	int fg_pgrp; /* the console's foreground process group */
	int nwatch;  /* host descriptors processes sleep on (console.c) */
	struct {
		int hfd;
		short events;
	} watch[8];
	int tty_fd; /* uvk's terminal, -1 if none: its modes are restored at exit */
	uint64_t host_ignored; /* gk_sigbit() of each signal uvk inherited as SIG_IGN */
	int tty_saved;
	char tty_modes[64]; /* struct termios */
};

uint64_t gk_now_ns(clockid_t clk);
void gk_proc_exit(struct gk_proc *p, int wstatus);
void gk_proc_kill(struct gk_proc *p, int sig, const char *why);

/* proc.c: the process table, sleeping and waking. */
struct gk_proc *gk_proc_alloc(struct gk_kernel *k, struct gk_proc *parent);
int gk_proc_release(struct gk_proc *p);
void gk_proc_reap(struct gk_proc *p);
void gk_proc_free(struct gk_proc *p);
struct gk_proc *gk_proc_find(struct gk_kernel *k, int gpid);
long gk_block(struct gk_proc *p, const void *chan);
void gk_wake(struct gk_kernel *k, const void *chan);
void gk_vfork_release(struct gk_proc *child);
#define GK_FORK_VFORK 1 /* the parent waits until the child execs or exits */
#define GK_FORK_VM    2 /* ... and the child runs in the parent's memory meanwhile */
struct gk_proc *gk_proc_fork(struct gk_proc *p, int how, int *ret_err);

#define GK_WCHAN_POLL ((const void *)1) /* poll: woken by any pipe event */

/* sched.c: the run loop. */
int gk_sched_run(struct gk_kernel *k);

/* ---- signal.c: sending, delivering and returning from signals ----------------------- */

int gk_sig_send(struct gk_proc *t, const struct gk_siginfo *si);
int gk_sig_init_ignores(const struct gk_proc *t, int sig, int from_pid);
int gk_sig_kill(struct gk_proc *t, int sig, int code, int from_pid);
int gk_sig_pgrp(struct gk_kernel *k, int pgid, int sig, int code, int from_pid);
void gk_sig_force(struct gk_proc *p, int sig, int code, uint64_t addr);
int gk_sig_deliverable(const struct gk_proc *p);
void gk_sig_deliver(struct gk_proc *p);
int gk_sig_interrupted(struct gk_proc *p);
long gk_sig_return(struct gk_proc *p);
int gk_sig_frame(struct gk_proc *p, int sig, const struct gk_siginfo *info,
		 const struct gk_sigaction *act);
int gk_sig_dequeue(struct gk_proc *p, uint64_t set, struct gk_siginfo *ret);
void gk_sig_flush(struct gk_proc *p);
int gk_sig_child_exit(struct gk_proc *c);
void gk_sig_continue(struct gk_proc *p);
int gk_sig_ignored(const struct gk_proc *p, int sig);
void gk_sig_set_mask(struct gk_proc *p, uint64_t mask);
int gk_sig_on_altstack(const struct gk_proc *p, uint64_t sp);

/* ---- timer.c: itimers, POSIX timers, timeouts of blocked calls --------------------- */

int gk_timeout(struct gk_proc *p, uint64_t rel_ns);
int gk_timespec_in(struct gk_proc *p, uint64_t gva, uint64_t *ret_ns);
int gk_timespec_out(struct gk_proc *p, uint64_t gva, uint64_t ns);
int gk_timeout_abs(struct gk_proc *p, uint64_t deadline);
uint64_t gk_timers_run(struct gk_kernel *k, uint64_t now);
void gk_timers_exec(struct gk_proc *p);
void gk_timer_dequeued(struct gk_proc *p, struct gk_siginfo *si);
void gk_cpu_account(struct gk_proc *p, uint64_t ns);

/* ---- console.c: uvk's terminal, host signals, waiting for input -------------------- */

int gk_console_init(struct gk_kernel *k);
void gk_console_note_ignored(struct gk_kernel *k);
void gk_console_fini(struct gk_kernel *k);
void gk_console_watch(struct gk_kernel *k, int hfd, short events);
void gk_console_check(struct gk_kernel *k, int64_t timeout_ns);
void gk_console_signals(struct gk_kernel *k);
int gk_console_idle_possible(struct gk_kernel *k);
void gk_console_suspend(struct gk_kernel *k);

/* ---- syscall.c / trace.c ---------------------------------------------------------------- */

typedef long (*gk_sys_fn)(struct gk_proc *p, const struct gk_args *a);

struct gk_syscall {
	const char *name;
	gk_sys_fn fn;
	const char *args; /* one letter per argument, see trace.c */
};

#define GK_NSYSCALLS 460
extern const struct gk_syscall gk_systab[GK_NSYSCALLS];

void gk_syscall(struct gk_proc *p, uint64_t nr, const uint64_t *a);
void gk_trace_enter(struct gk_proc *p, uint64_t nr, const uint64_t *a);
void gk_trace_exit(struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret);

/* The handlers, one a syscall, in the sys_*.c files. */
#define GK_SYS(name) long gk_sys_##name(struct gk_proc *p, const struct gk_args *a)
#include "sysdecl.h"

#endif /* UVK_GUESTKERNEL_GK_H */
