/*
 * ipc.h - inter-process objects that are files: epoll, eventfd, signalfd,
 * timerfd, pidfd, inotify, and shared memory (SysV shm, memfd).
 *
 * Layer src/guestkernel/ipc, filled by the issues that add them (event
 * descriptors, shared memory). May include proc/, fs/, mm/ and kern/;
 * sys/ includes it. Each kind is one implementation of fs/'s file
 * operations over kern/'s wait queues.
 */
#ifndef UVK_GUESTKERNEL_IPC_H
#define UVK_GUESTKERNEL_IPC_H

#include "../proc/proc.h"

/* ---- eventfd.c: event descriptors ------------------------------------------------- */

#define GK_EFD_SEMAPHORE 1 /* EFD_SEMAPHORE; EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC, O_NONBLOCK */

extern const struct gk_file_ops gk_eventfd_ops;
int gk_eventfd_new(struct gk_kernel *k, uint64_t count, int flags, struct gk_file **ret);

/* ---- timerfd.c: timer descriptors --------------------------------------------------- */

extern const struct gk_file_ops gk_timerfd_ops;
int gk_timerfd_new(struct gk_kernel *k, clockid_t clock, int flags, struct gk_file **ret);
int gk_timerfd_get(struct gk_file *f, uint64_t *ret_value, uint64_t *ret_interval);
int gk_timerfd_set(struct gk_file *f, int abs, uint64_t value, uint64_t interval,
		   uint64_t *ret_old_value, uint64_t *ret_old_interval);

/* ---- signalfd.c: signal descriptors ------------------------------------------------ */

extern const struct gk_file_ops gk_signalfd_ops;
int gk_signalfd_new(struct gk_kernel *k, uint64_t mask, int flags, struct gk_file **ret);
int gk_signalfd_set_mask(struct gk_file *f, uint64_t mask);

/* ---- epoll.c: epoll instances (over the watched files' wait queues) ---------------- */

struct gk_epevent {
	uint32_t events;
	uint64_t data;
};
extern const struct gk_file_ops gk_epoll_ops;
struct gk_file *gk_epoll_new(struct gk_kernel *k, int flags);
int gk_is_epoll(const struct gk_file *f);
int gk_epoll_ctl(struct gk_file *epf, int op, struct gk_file *f, int fd, uint32_t events,
		 uint64_t data);
int gk_epoll_collect(struct gk_file *epf, struct gk_epevent *out, int max, int commit);
struct gk_waitq *gk_epoll_waitq(struct gk_file *epf);

/* ---- pidfd.c: process descriptors ---------------------------------------------------- */

extern const struct gk_file_ops gk_pidfd_ops;
int gk_pidfd_new(struct gk_kernel *k, struct gk_tgroup *tg, int flags, struct gk_file **ret);
struct gk_pidref *gk_pidfd_ref(const struct gk_file *f);

/* ---- inotify.c: inotify instances (over fs/fsnotify.c's marks) ---------------------- */

#define GK_INOTIFY_MAX_EVENTS	 16384 /* /proc/sys/fs/inotify/max_queued_events */
#define GK_INOTIFY_MAX_INSTANCES 128   /* .../max_user_instances */
#define GK_INOTIFY_MAX_WATCHES	 8192  /* .../max_user_watches, Linux's smallest default */

extern const struct gk_file_ops gk_inotify_ops;
int gk_inotify_new(struct gk_kernel *k, int flags, struct gk_file **ret);
int gk_is_inotify(const struct gk_file *f);
int gk_inotify_add(struct gk_file *f, uint64_t dev, uint64_t ino, uint32_t mask);
int gk_inotify_rm(struct gk_file *f, int wd);

/* anon.c: files with no name. */
struct gk_file *gk_anon_file_new(struct gk_kernel *k, const struct gk_file_ops *ops, void *priv,
				 int flags, const char *name);

#endif /* UVK_GUESTKERNEL_IPC_H */
