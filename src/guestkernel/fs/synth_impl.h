/*
 * synth_impl.h - what synth.c (the glue and /dev) and synth_proc.c (/proc)
 * share: a looked-up node and the growing text buffer files are rendered
 * into.
 *
 * Layer src/guestkernel/fs: not for other folders (they see fs.h).
 */
#ifndef GK_FS_SYNTH_IMPL_H
#define GK_FS_SYNTH_IMPL_H

#include "fs.h"

/* Which directory a node lists (render_dir, gk_procfs_render). */
enum synth_dir {
	SD_TOP = 0, /* /dev, /proc */
	SD_PID,	    /* /proc/PID: the process of a task */
	SD_FD,	    /* /proc/PID/fd, /proc/PID/task/TID/fd */
	SD_TASKS,   /* /proc/PID/task: every task of the process */
	SD_TID,	    /* /proc/PID/task/TID: one task */
	SD_FDINFO,  /* /proc/PID/fdinfo, /proc/PID/task/TID/fdinfo */
	SD_SYS,	    /* /proc/sys and what is under it: nd->sys names it (synth_sys.c) */
};

struct synth_node {
	mode_t mode;
	const struct gk_file_ops *fops; /* character devices, and writable /proc files */
	dev_t rdev;
	char link[GK_PATH_MAX]; /* symlinks */
	struct gk_file *fdfile; /* /proc/PID/fd/N: the open file itself (borrowed) */
	struct gk_file *info;	/* /proc/PID/fdinfo/N: the open file it describes (borrowed), */
	int info_cloexec;	/* and whether N is close-on-exec */
	enum synth_dir dir;	/* a directory: what it lists */
	/*
	 * /proc/ID/... and /proc/PID/task/TID/...: the task whose files they
	 * are (borrowed: the node lives for one call). whole says the process
	 * is shown (/proc/ID), not the task alone (task/TID): stat sums the
	 * CPU time of every task then, as Linux's do_task_stat(whole).
	 */
	struct gk_proc *task;
	int whole;
	const char *name; /* last component */
	const char *sys;  /* under /proc/sys: the path below it ("" for itself), else NULL */
};

/* A growing text buffer; out of memory, it stops growing and says so (oom). */
struct gk_sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

#define USER_HZ_NS 10000000ULL /* clock ticks of /proc files: USER_HZ is 100 */

/*
 * Whether /proc shows task t: a task that has not exited, or the leader,
 * which stays (a zombie) until its process is reaped, as on Linux. A task
 * that exited alone is on its group's list only until the run loop frees
 * it.
 */
static inline int
synth_shown(const struct gk_proc *t)
{
	return t->state != GK_P_DEAD || gk_is_leader(t);
}

/*
 * Whether task t has exited (a dead leader still shown): like Linux's
 * zombie, it has no memory, files or cwd left to show, whatever of them
 * the kernel has yet to free.
 */
static inline int
synth_exited(const struct gk_proc *t)
{
	return t->state == GK_P_DEAD || t->state == GK_P_ZOMBIE;
}

/* ns as clock ticks. */
static inline uint64_t
synth_ticks(uint64_t ns)
{
	return ns / USER_HZ_NS;
}

void gk_sb_printf(struct gk_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gk_sb_dirent(struct gk_sbuf *b, const char *name, unsigned type, uint64_t ino);

/* synth_proc.c: /proc's names, its own files, its directories */
int gk_procfs_lookup(struct gk_proc *p, char **c, int n, int follow, struct synth_node *nd);
void gk_procfs_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b);
void gk_procfs_mounts(struct gk_kernel *k, int info, struct gk_sbuf *b);

/* synth_sys.c: /proc/sys and /proc/filesystems */
int gk_procfs_sys_lookup(char **c, int n, struct synth_node *nd);
void gk_procfs_sys_dir(const struct synth_node *nd, struct gk_sbuf *b);
void gk_procfs_sys_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b);
void gk_procfs_filesystems(struct gk_sbuf *b);

/* synth_task.c: the files of a process and of a task */
void gk_procfs_task_render(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b);
int gk_procfs_comm_open(struct gk_proc *p, const struct synth_node *nd, struct gk_file *f);
/* synth_fdinfo.c */
void gk_procfs_fdinfo(struct gk_proc *p, const struct synth_node *nd, struct gk_sbuf *b);
long gk_procfs_comm_write(struct gk_proc *p, struct gk_file *f, const struct iovec *iov, int n,
			  off_t off);

#endif
