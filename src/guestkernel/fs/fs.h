/*
 * fs.h - files: the descriptor table, open files, mounts and path
 * resolution, host files, the guest's /tmp (tmpfs), /proc and /dev, pipes,
 * the console.
 *
 * Layer src/guestkernel/fs. Includes mm/ and kern/.
 */
#ifndef UVK_GUESTKERNEL_FS_H
#define UVK_GUESTKERNEL_FS_H

#include "../mm/mm.h"

#define GK_MAX_MOUNTS (GK_MAX_BINDS + 4)

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
	int refs; /* tasks using it: clone(CLONE_FILES) shares it */
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

/* ---- mapfile.c: the file behind a mapping (mm's struct gk_mapfile) ------------------- */

/*
 * Host descriptors the mapfile cache keeps open for mappings of host files
 * opened by path; past it the least recently used closes (mapfile.c).
 */
#define GK_MAPFD_MAX 64

struct gk_mapfile *gk_mapfile_new(struct gk_kernel *k, int hfd, const char *gpath);
int gk_mapfile_host(struct gk_kernel *k, struct gk_file *f, struct gk_mapfile **ret_mf);
int gk_mapfile_tmpfs(struct gk_kernel *k, struct gk_tnode *n, const char *gpath,
		     struct gk_mapfile **ret_mf);
void gk_mapfile_note_copy(int hfd, struct gk_kernel *k, struct gk_tnode *n);
void gk_mapfile_fini(struct gk_kernel *k);

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


struct gk_file *gk_file_new(enum gk_ftype type, int hfd, int flags, const char *gpath);
struct gk_file *gk_file_ref(struct gk_file *f);
void gk_file_unref(struct gk_file *f);
struct gk_fdtable *gk_fdt_new(void);
struct gk_fdtable *gk_fdt_dup(const struct gk_fdtable *fdt);
struct gk_fdtable *gk_fdt_ref(struct gk_fdtable *fdt);
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

/* ---- console.c: uvk's terminal, host signals, waiting for input -------------------- */

int gk_console_init(struct gk_kernel *k);
void gk_console_note_ignored(struct gk_kernel *k);
void gk_console_fini(struct gk_kernel *k);
void gk_console_watch(struct gk_kernel *k, int hfd, short events);
void gk_console_check(struct gk_kernel *k, int64_t timeout_ns);
void gk_console_signals(struct gk_kernel *k);
int gk_console_idle_possible(struct gk_kernel *k);
void gk_console_suspend(struct gk_kernel *k);


#endif /* UVK_GUESTKERNEL_FS_H */
