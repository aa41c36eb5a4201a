/*
 * ipc.h - inter-process objects that are files: epoll, eventfd, signalfd,
 * timerfd, and shared memory (SysV shm, memfd).
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

#endif /* UVK_GUESTKERNEL_IPC_H */
