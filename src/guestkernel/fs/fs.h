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

/*
 * A directory entry (dcache.c): a name in the guest's tree, held by what
 * must follow a directory through renames: a process's cwd, an open
 * directory (dirfds). Each holds its parent, so the chain up to the root
 * stays and getcwd reads the names off it. A rename through the guest
 * moves the dentry, a removal marks it dead; a host directory's dentry
 * keeps an O_PATH descriptor, a tmpfs directory's holds the node, so the
 * walk from it reaches the same directory whatever its name became.
 * Only held dentries (and their ancestors) exist: the cache is the set of
 * live ones, found by (parent, name), each charged to the kernel heap.
 */
struct gk_dentry {
	int refs;
	struct gk_dentry *parent; /* held; NULL for the root */
	char *name;		  /* "" for the root */
	size_t nlen;
	struct gk_kernel *k;
	struct gk_mount *mnt;	/* the mount the position belongs to */
	struct gk_tnode *tnode; /* tmpfs directory: held (opens), or NULL */
	int hfd;		/* host directory: O_PATH|O_DIRECTORY, or -1 */
	int dead;		/* removed (rmdir, replaced by a rename): not in the cache */
	uint64_t hval;		/* hash of (parent, name) */
	struct gk_dentry *hnext; /* cache chain */
};

/*
 * The walker's result (namei.c): a guest path with every symlink on the
 * way resolved in the guest's name space, "." and ".." gone, split at its
 * mount. The last component is followed or not as the caller asked.
 */
struct gk_path {
	char gpath[GK_PATH_MAX]; /* absolute and canonical: no ".", "..", "//", symlink */
	struct gk_mount *mnt;
	const char *mrest; /* inside the mount: "" for its root, never starting with '/' */
	const char *rest;  /* relative to the base below ("" the base itself); == mrest without one */
	int hbase;	   /* host mount: the directory rest starts from (borrowed) */
	struct gk_tnode *tbase; /* tmpfs: the directory rest starts from */
	int must_dir; /* the guest wrote a trailing "/", "." or "..": want a directory */
	int last_type; /* GK_LAST_*: what the name's last component was */
	/* GK_LOOKUP_LAZY: the last host run is unchecked; gk_path_settle walks it again. */
	int lazy;
	struct gk_dentry *dentry; /* the place is this dentry's (borrowed), or NULL */
	struct gk_dentry *start;  /* what the walk started from (borrowed), */
	const char *name;	 /* the name it walked (the caller's string), */
	int flags;		 /* and how */
};

enum { GK_LAST_NORM, GK_LAST_DOT, GK_LAST_DOTDOT, GK_LAST_ROOT };

/* gk_path_resolve flags. */
#define GK_LOOKUP_FOLLOW 1 /* follow a symlink as the last component */
/*
 * Leave the last run of host names unchecked: the operation opens it
 * beneath its base with no symlink followed anyway, and on -ELOOP (a host
 * symlink on the way) calls gk_path_settle. Saves a host lookup a call.
 */
#define GK_LOOKUP_LAZY 2
#define GK_LOOKUP_ONELINK 4 /* gk_path_settle's: host names checked up to the first link only */
/*
 * GK_LOOKUP_SLASH: a trailing slash follows a symlink as the last component
 * even without GK_LOOKUP_FOLLOW, as Linux's path_lookupat does for every
 * lookup but those of a name to create or remove (lstat("link/") is the
 * directory's; rmdir("link/") is ENOTDIR).
 */
#define GK_LOOKUP_SLASH 8

struct gk_pipe;

/*
 * A node of the guest's /tmp (tmpfs.c). A regular file's pages are a sparse
 * 64-way radix tree of gpas (tmpfs_file.c), so a hole costs nothing; a
 * directory's entries are a vector in creation order (the order getdents
 * sees, the seq numbers its offsets are) with an open-addressing hash index
 * by name. Every byte of this, nodes and names included, is charged to
 * the kernel-heap budget (gk_kmem_charge).
 */
struct gk_tnode;
struct gk_tdirent {
	char *name; /* NULL: removed, kept until the vector is compacted */
	struct gk_tnode *node;
	uint64_t seq; /* creation order: getdents offsets, stable across removals */
	uint64_t hash;
	size_t len;
};

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
	struct gk_pipe *fifo;	 /* FIFO: its pipe once opened (fifo.c), freed with the node */
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

/* The kernel's O_LARGEFILE, as F_GETFL reports it: open() forces it on x86-64 (glibc's is 0). */
#define GK_O_LARGEFILE 0100000

/* One attribute change on an open file: fchmod, fchown, futimens or ftruncate. */
struct gk_iattr {
	int what; /* GK_SET_MODE, GK_SET_OWNER, GK_SET_TIMES or GK_SET_SIZE */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	const struct timespec *ts; /* GK_SET_TIMES: atime and mtime as utimensat takes them; NULL now */
	off_t size;
};

/*
 * A file's poll gets struct gk_pollreg *reg (kern.h, wait queues): NULL
 * just looks; otherwise the poller is about to sleep, and the file puts it
 * on the queue(s) of what it waits on with gk_poll_wait() before it looks
 * (pipes: the end's queue; host descriptors: gk_host_poll_wait()).
 */

/*
 * gk_file_ops - what an open file does; one table per kind of file, picked
 * when the file is made (gk_file_new), so that no caller asks what kind a
 * file is. Every member is set: a kind points what it does not support at
 * a default helper below (gk_file_no_*), which gives Linux's errno for it.
 * The callers (sys/, file.c) have checked the descriptor (EBADF, O_PATH)
 * and the access mode before calling read, write, getdents, ioctl or mmap.
 *
 * read/write  - transfer between the file and host iovecs that point into
 *               pmem (gk_user_iov), at off, or at the file position if off
 *               < 0 (which then advances). Bytes moved, 0 at end of file,
 *               -EAGAIN, -GK_EBLOCK (the caller sleeps), or -errno.
 * poll        - the poll(2) revents for events, now; with reg, the caller
 *               will sleep: register so that a change wakes it.
 * ioctl       - a command the generic layer (FIOCLEX, FIONBIO...) left.
 * llseek      - lseek(2): the new position or -EINVAL, -ESPIPE, -ENXIO.
 * setfl       - F_SETFL/FIONBIO changed flags (O_APPEND|O_NONBLOCK...) to flags:
 *               tell whatever is behind the file. 0 or -errno.
 * stat        - fstat(2).
 * setattr     - fchmod, fchown, futimens, ftruncate (ftruncate's generic
 *               checks done: open for writing, not a directory).
 * getdents    - getdents64 into guest [gva, gva+len): bytes, 0 at the end.
 * mmap        - the mapfile a mapping of the file pages from (a new
 *               reference in *ret), or *ret NULL: map anonymous memory
 *               (/dev/zero). 0 or -ENODEV, -ENOMEM...
 * release     - the last reference went: give back what the kind holds
 *               (the host descriptor is closed by gk_file_unref).
 * fdinfo      - optional (NULL: nothing): the kind's own lines of
 *               /proc/PID/fdinfo/N, after the common ones, as Linux's
 *               show_fdinfo prints them (gk_sb_printf into b).
 */
struct gk_file;
struct gk_sbuf;
struct gk_file_ops {
	long (*read)(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		     off_t off);
	long (*write)(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		      off_t off);
	short (*poll)(struct gk_file *f, short events, struct gk_pollreg *reg);
	long (*ioctl)(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg);
	off_t (*llseek)(struct gk_file *f, off_t off, int whence);
	int (*setfl)(struct gk_file *f, int flags);
	int (*stat)(struct gk_file *f, struct stat *st);
	int (*setattr)(struct gk_file *f, const struct gk_iattr *ia);
	long (*getdents)(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len);
	int (*mmap)(struct gk_file *f, struct gk_mapfile **ret);
	void (*release)(struct gk_file *f);
	void (*fdinfo)(struct gk_file *f, struct gk_sbuf *b);
};

/* f->fmode: how the file may be used, whatever its kind (Linux's f_mode bits). */
#define GK_FMODE_STREAM 1 /* no position: pread/pwrite, lseek, fadvise are -ESPIPE (pipes) */
/* readv is one read of every segment, as Linux's read_iter (else one read a segment). */
#define GK_FMODE_READ_ITER 2
/* writev is one write a segment, as for a kind with no write_iter (else one of them all). */
#define GK_FMODE_WRITE_LOOP 4
/* A read or write of 0 bytes reaches the kind (else it is 0 at once): eventfd's -EINVAL. */
#define GK_FMODE_ZERO_IO 8

/*
 * gk_fwatch - something above fs/ that keeps a pointer to an open file
 * without holding a reference (an epoll interest entry): the file's last
 * unref calls gone, which must unlink the watch (gk_fwatch_del), before
 * the file is released.
 */
struct gk_fwatch {
	struct gk_fwatch *next, *prev;
	void (*gone)(struct gk_fwatch *w);
};

struct gk_file {
	int refs;
	struct gk_fwatch *watchers; /* gk_fwatch_add's, told when the file goes */
	const struct gk_file_ops *ops;
	struct gk_kernel *k; /* the kernel it belongs to */
	int hfd;   /* host descriptor (host files, the console), else -1; closed by the last unref */
	int flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY ... as the guest sees them */
	int fmode; /* GK_FMODE_* */
	char *gpath;
	struct gk_mount *mnt;
	off_t pos;
	int isdir;
	/* What the kinds keep; only their own ops look. */
	char *buf;		/* synthfile.c: the rendered file, or a directory's dirents */
	size_t len;
	size_t kmem;		/* bytes of buf charged to k's kernel-heap budget */
	struct stat st;		/* synthetic files, devices, pipes: what fstat says */
	struct gk_tnode *tnode; /* tmpfs files and directories: held while open */
	struct gk_pipe *pipe;	/* a pipe end: the pipe; flags say which end */
	struct gk_dentry *dentry; /* a directory opened by name: its entry, for *at() */
	void *priv;		/* ipc/ kinds (eventfd, timerfd, epoll): the object, freed by release */
	/* lock.c: the inode its locks go on, worked out on first use; OFD and flock locks it owns. */
	int lk_cls; /* 0: not yet; GK_LKEY_GUEST or GK_LKEY_HOST */
	uint64_t lk_dev, lk_ino;
	int nlocks;
};

struct gk_fdtable {
	int refs; /* tasks using it: clone(CLONE_FILES) shares it */
	struct gk_file *f[GK_NFD];
	uint8_t cloexec[GK_NFD];
	int limit; /* RLIMIT_NOFILE's soft limit (<= GK_NFD): no descriptor is installed at or past it */
	int nlocks; /* traditional (POSIX) lock records it owns (lock.c): the process's locks */
};

/* mount.c */
int gk_vfs_init(struct gk_kernel *k, const struct gk_config *cfg);
void gk_vfs_fini(struct gk_kernel *k);
struct gk_mount *gk_mount_root(struct gk_kernel *k);
struct gk_mount *gk_mount_at(struct gk_kernel *k, const char *gpath, size_t len);
struct gk_mount *gk_mount_under(struct gk_kernel *k, const char *gpath, size_t len);
int gk_host_openat2(int dirfd, const char *rest, int flags, mode_t mode);

/* namei.c: the one path walker */
int gk_path_resolve(struct gk_proc *p, int dirfd, const char *upath, int flags,
		    struct gk_path *ret);
int gk_path_from_user(struct gk_proc *p, int dirfd, uint64_t gva, int flags, struct gk_path *ret,
		      char *copy);
int gk_walk(struct gk_kernel *k, struct gk_proc *p, struct gk_dentry *start, const char *upath,
	    int flags, struct gk_path *ret);
int gk_path_settle(struct gk_proc *p, struct gk_path *path);

/* dcache.c: directory entries */
int gk_dcache_init(struct gk_kernel *k);
void gk_dcache_fini(struct gk_kernel *k);
struct gk_dentry *gk_dentry_get(struct gk_dentry *d);
void gk_dentry_put(struct gk_dentry *d);
int gk_dentry_at(struct gk_kernel *k, const struct gk_path *path, struct gk_dentry **ret);
long gk_dentry_path(const struct gk_dentry *d, char *buf, size_t size);
struct gk_dentry *gk_dcache_find(struct gk_kernel *k, const char *gpath);
int gk_dcache_prepare_move(struct gk_kernel *k, const char *to, struct gk_dentry **ret_parent);
void gk_dcache_move(struct gk_dentry *d, struct gk_dentry *np, const char *to);
void gk_dcache_kill(struct gk_kernel *k, const char *gpath);

/* vfs.c, vfs_change.c: operations on paths */
int gk_host_parent_fd(struct gk_path *path, const char **ret_base);
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

/* ---- fsnotify.c: telling inotify watchers of changes --------------------------------- */

/*
 * gk_fsn_mark - an inotify watch's hold on an inode, seen by fs/: the
 * watcher (ipc/inotify.c) embeds it and fills ops; fs/ calls ops->event
 * for every change to (dev, ino) whose IN_* bit mask asks for, and
 * ops->gone when the inode goes (the mark is off the table by then).
 * mask holds inotify(7)'s IN_* events and flags (IN_EXCL_UNLINK).
 */
struct gk_fsn_mark;
struct gk_fsn_mark_ops {
	void (*event)(struct gk_fsn_mark *m, uint32_t mask, uint32_t cookie, const char *name,
		      size_t len);
	void (*gone)(struct gk_fsn_mark *m);
};
struct gk_fsn_mark {
	struct gk_fsn_mark *next, *prev; /* chain of k->fsn->hash */
	uint64_t dev, ino;
	uint32_t mask;
	int unlinked; /* the inode lost its last link while open: it goes at the last close */
	const struct gk_fsn_mark_ops *ops;
};

/*
 * What a change looks at before it acts (gk_fsn_look): the object's inode,
 * if it exists, and its directory's, and its name. ok is 0 while nothing
 * watches: then every hook below does nothing.
 */
struct gk_fsn_obj {
	int ok, have, dir_ok, isdir;
	uint64_t dev, ino, ddev, dino;
	nlink_t nlink;
	char name[256];
};

/*
 * The marks (k->fsn, made with the first, freed with the last): by a hash
 * of (dev, ino); mask is the union of theirs, cookie numbers renames.
 */
#define GK_FSN_HASH 64
struct gk_fsnotify {
	struct gk_fsn_mark *hash[GK_FSN_HASH];
	unsigned nmarks;
	uint32_t mask;
	uint32_t cookie;
};

#define gk_fsn_active(k) ((k)->fsn != NULL)
int gk_fsn_mark_add(struct gk_kernel *k, struct gk_fsn_mark *m);
void gk_fsn_mark_del(struct gk_kernel *k, struct gk_fsn_mark *m);
void gk_fsn_mark_changed(struct gk_kernel *k);
void gk_fsn_look(struct gk_proc *p, struct gk_path *path, int follow, struct gk_fsn_obj *o);
void gk_fsn_create(struct gk_proc *p, struct gk_fsn_obj *o, int isdir);
void gk_fsn_remove(struct gk_proc *p, struct gk_fsn_obj *o);
void gk_fsn_attrib(struct gk_proc *p, struct gk_fsn_obj *o, uint32_t mask);
void gk_fsn_link(struct gk_proc *p, struct gk_fsn_obj *from, struct gk_fsn_obj *to);
void gk_fsn_move(struct gk_proc *p, struct gk_fsn_obj *from, struct gk_fsn_obj *to, int exchange);
void gk_fsn_file(struct gk_file *f, uint32_t mask);
void gk_fsn_closed(struct gk_file *f);
uint32_t gk_fsn_times_mask(const struct timespec *ts);
uint32_t gk_fsn_setattr_mask(const struct gk_iattr *ia);

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
struct gk_mapfile *gk_mapfile_find_host(struct gk_kernel *k, dev_t dev, ino_t ino);
void gk_mapfile_idle_free(struct gk_mapfile *mf);

/* ---- pcache.c: host files' pages in guest RAM, shared by their mappings --------------- */

/* A kernel's page cache (in its mapfile cache): every cached page, most recently used first. */
struct gk_pcpage;
struct gk_pcache {
	struct gk_pcpage *head, *tail;
	uint64_t npages;  /* frames the cache holds a reference to */
	uint64_t evicted; /* pages given back to the allocator under pressure */
	uint64_t nshared; /* pages shared mappings were given, over all files (0: no write-back) */
};

struct gk_pcache *gk_pcache_of(struct gk_kernel *k);
uint64_t gk_pcache_page(struct gk_mapfile *mf, uint64_t idx);
void gk_pcache_drop(struct gk_mapfile *mf, uint64_t from);
void gk_pcache_check(struct gk_mapfile *mf, const struct stat *st);
void gk_pcache_wrote(struct gk_kernel *k, int hfd, uint64_t off, uint64_t len);
uint64_t gk_pcache_reclaim(void *ctx, uint64_t want);
uint64_t gk_pcache_shared_page(struct gk_mapfile *mf, uint64_t idx, int *ret_err);
int gk_pcache_sync(struct gk_mapfile *mf);
void gk_pcache_unshare(struct gk_mapfile *mf);
void gk_pcache_flush(struct gk_kernel *k, int hfd);

/* ---- synth.c: /dev and /proc ---------------------------------------------------------- */

int gk_synth_node(struct gk_proc *p, struct gk_mount *mnt, const char *rest, mode_t *ret_mode,
		  char *link, struct gk_file **ret_file);
int gk_synth_open(struct gk_proc *p, struct gk_path *path, int flags, struct gk_file **ret);
int gk_synth_stat(struct gk_proc *p, struct gk_path *path, int follow, struct stat *st);
long gk_synth_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size);
char *gk_proc_maps(struct gk_proc *p, size_t *ret_len);
void gk_sb_printf(struct gk_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned gk_fdinfo_sdev(dev_t dev);

/* ---- tmpfs.c: the guest's /tmp in guest RAM ----------------------------------------- */

int gk_tmpfs_init(struct gk_kernel *k);
void gk_tmpfs_fini(struct gk_kernel *k);
struct gk_tnode *gk_tmpfs_child(struct gk_kernel *k, struct gk_tnode *d, const char *name,
				size_t len);
uint64_t gk_name_hash(const struct gk_kernel *k, const char *s, size_t len);
int gk_tmpfs_open(struct gk_proc *p, struct gk_path *path, int flags, mode_t mode,
		  struct gk_file **ret);
int gk_tmpfs_stat(struct gk_proc *p, struct gk_path *path, struct stat *st);
long gk_tmpfs_readlink(struct gk_proc *p, struct gk_path *path, char *buf, size_t size);
int gk_tmpfs_mkdir(struct gk_proc *p, struct gk_path *path, mode_t mode);
int gk_tmpfs_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode);
int gk_vfs_mknod(struct gk_proc *p, struct gk_path *path, mode_t mode, unsigned int dev);
int gk_tmpfs_symlink(struct gk_proc *p, const char *target, struct gk_path *path);
int gk_tmpfs_unlink(struct gk_proc *p, struct gk_path *path, int rmdir);
int gk_tmpfs_rename(struct gk_proc *p, struct gk_path *from, struct gk_path *to, unsigned flags);
int gk_tmpfs_link(struct gk_proc *p, struct gk_path *from, struct gk_path *to);
int gk_tmpfs_setattr(struct gk_proc *p, struct gk_path *path, int what, mode_t mode, uid_t uid,
		     gid_t gid, const struct timespec *ts, off_t size);
int gk_tmpfs_exec_fd(struct gk_proc *p, struct gk_path *path, int *ret_hfd);
void gk_tnode_hold(struct gk_tnode *n);
void gk_tnode_maybe_free(struct gk_kernel *k, struct gk_tnode *n);
struct timespec gk_tmpfs_now(void);
long gk_tdir_find(struct gk_kernel *k, struct gk_tnode *d, const char *name, size_t len);
int gk_tdir_add(struct gk_kernel *k, struct gk_tnode *d, const char *name, struct gk_tnode *n);
void gk_tdir_remove(struct gk_kernel *k, struct gk_tnode *d, long i);
void gk_tmpfs_tree_free(struct gk_kernel *k, struct gk_tnode *top);
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


struct gk_file *gk_file_new(struct gk_kernel *k, const struct gk_file_ops *ops, int hfd, int flags,
			    const char *gpath);
int gk_file_open_flags(int flags);
struct gk_file *gk_file_ref(struct gk_file *f);
void gk_fwatch_add(struct gk_file *f, struct gk_fwatch *w);
void gk_fwatch_del(struct gk_file *f, struct gk_fwatch *w);
void gk_file_unref(struct gk_file *f);
struct gk_fdtable *gk_fdt_new(void);
struct gk_fdtable *gk_fdt_dup(const struct gk_fdtable *fdt);
struct gk_fdtable *gk_fdt_ref(struct gk_fdtable *fdt);
void gk_fdt_free(struct gk_fdtable *fdt);
void gk_fdt_set_limit(struct gk_fdtable *fdt, uint64_t nofile);
int gk_fd_install(struct gk_fdtable *fdt, struct gk_file *f, int min, int cloexec);
int gk_fd_install_new(struct gk_fdtable *fdt, struct gk_file *f, int cloexec);
struct gk_file *gk_fd_get(struct gk_proc *p, int fd);
struct gk_file *gk_fd_get_io(struct gk_proc *p, int fd);
int gk_fd_close(struct gk_fdtable *fdt, int fd);
void gk_fd_close_on_exec(struct gk_fdtable *fdt);
long gk_file_readv(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n, off_t off);
long gk_file_writev(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		    off_t off);
int gk_file_stat(struct gk_file *f, struct stat *st);
int gk_file_setattr(struct gk_file *f, const struct gk_iattr *ia);
long gk_file_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len);
long gk_file_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg);

/* Defaults for what a kind does not support, each with Linux's errno for it. */
long gk_file_no_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		     off_t off);
long gk_file_dir_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		      off_t off);
long gk_file_no_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		      off_t off);
short gk_file_poll_ready(struct gk_file *f, short events, struct gk_pollreg *reg);
long gk_file_no_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg);
off_t gk_file_no_llseek(struct gk_file *f, off_t off, int whence);
off_t gk_file_llseek_size(struct gk_file *f, off_t off, int whence, off_t size);
int gk_file_setfl(struct gk_file *f, int flags);
int gk_file_stat_st(struct gk_file *f, struct stat *st);
int gk_file_no_setattr(struct gk_file *f, const struct gk_iattr *ia);
long gk_file_no_getdents(struct gk_proc *p, struct gk_file *f, uint64_t gva, size_t len);
int gk_file_no_mmap(struct gk_file *f, struct gk_mapfile **ret);
void gk_file_no_release(struct gk_file *f);
long gk_iov_fill(const struct iovec *iov, int n, const char *src, size_t len);
size_t gk_iov_total(const struct iovec *iov, int n);

/* ---- hostfile.c: files and directories on the host, host-descriptor I/O ------------- */

extern const struct gk_file_ops gk_hostfile_ops, gk_hostdir_ops;
long gk_hostfd_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		    off_t off);
long gk_hostfd_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
		     off_t off);
short gk_hostfd_poll(struct gk_file *f, short events, struct gk_pollreg *reg);
long gk_hostfd_ioctl(struct gk_proc *p, struct gk_file *f, unsigned int cmd, uint64_t arg);
off_t gk_hostfd_llseek(struct gk_file *f, off_t off, int whence);
int gk_hostfd_setfl(struct gk_file *f, int flags);
int gk_hostfd_stat(struct gk_file *f, struct stat *st);

/* ---- dev.c: /dev/null, zero, full, random ------------------------------------------ */

extern const struct gk_file_ops gk_dev_null_ops, gk_dev_zero_ops, gk_dev_full_ops,
    gk_dev_random_ops;

/* ---- synthfile.c: rendered files (/proc) and synthetic directories ---------------- */

extern const struct gk_file_ops gk_synthfile_ops, gk_synthdir_ops;
extern const struct gk_file_ops gk_synthcomm_ops; /* /proc/.../comm: rendered, and writable */

/* ---- tmpfs_file.c: open files of /tmp ---------------------------------------------- */

extern const struct gk_file_ops gk_tmpfs_file_ops, gk_tmpfs_dir_ops;

/* ---- pipe.c: pipes ------------------------------------------------------------------- */

#define GK_PIPE_SIZE		65536	/* a new pipe's capacity (pipe(7)) */
#define GK_PIPE_MAX_SIZE	1048576 /* /proc/sys/fs/pipe-max-size, Linux's default */
#define GK_PIPE_USER_PAGES_SOFT 16384	/* /proc/sys/fs/pipe-user-pages-soft */
#define GK_PIPE_USER_PAGES_HARD 0	/* /proc/sys/fs/pipe-user-pages-hard: 0, no limit */

int gk_pipe_new(struct gk_kernel *k, struct gk_file **ret_r, struct gk_file **ret_w);
void gk_pipe_close(struct gk_file *f);
long gk_pipe_read(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n);
long gk_pipe_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n);
short gk_pipe_poll(struct gk_file *f, short events, struct gk_pollreg *reg);
long gk_pipe_nread(const struct gk_file *f);
extern const struct gk_file_ops gk_pipe_ops;
long gk_pipe_get_size(const struct gk_file *f);
long gk_pipe_set_size(struct gk_file *f, uint64_t arg);

/* ---- fifo.c: FIFOs in tmpfs ---------------------------------------------------------- */

int gk_pipe_fifo_open(struct gk_proc *p, struct gk_pipe **slot, struct gk_tnode *n, int flags,
		      const char *name, const struct stat *st, struct gk_file **ret);
void gk_pipe_fifo_free(struct gk_pipe *pp);

/* ---- lock.c: advisory file locks ----------------------------------------------------- */

/* Lock records the whole guest may hold at once (ENOLCK past it, or past the kernel-heap budget). */
#define GK_LOCKS_MAX 16384
/* Whose numbers an inode key is: the guest kernel's own (tmpfs, pipes, /proc...) or the host's. */
#define GK_LKEY_GUEST 1
#define GK_LKEY_HOST  2

struct flock;
int gk_lock_test(struct gk_proc *p, struct gk_file *f, int ofd, struct flock *fl);
long gk_lock_set(struct gk_proc *p, struct gk_file *f, int ofd, int wait, const struct flock *fl);
long gk_lock_flock(struct gk_proc *p, struct gk_file *f, int type, int nb);
void gk_lock_close(struct gk_fdtable *fdt, struct gk_file *f);
void gk_lock_file_gone(struct gk_file *f);
void gk_lock_fdt_gone(struct gk_kernel *k, struct gk_fdtable *fdt);
char *gk_lock_proc_text(struct gk_kernel *k, size_t *ret_len);

/* ---- console.c: uvk's terminal, host signals, waiting for input -------------------- */

int gk_console_init(struct gk_kernel *k);
void gk_console_note_ignored(struct gk_kernel *k);
void gk_console_fini(struct gk_kernel *k);
long gk_console_wait(struct gk_proc *p, int hfd, short events);
short gk_host_poll_wait(struct gk_kernel *k, struct gk_pollreg *reg, int hfd, short events);
void gk_console_check(struct gk_kernel *k, int64_t timeout_ns);
void gk_console_signals(struct gk_kernel *k);
int gk_console_idle_possible(struct gk_kernel *k);
void gk_console_suspend(struct gk_kernel *k);
extern const struct gk_file_ops gk_console_ops;
int gk_console_open(struct gk_kernel *k, int flags, const char *gpath, struct gk_file **ret);


#endif /* UVK_GUESTKERNEL_FS_H */
