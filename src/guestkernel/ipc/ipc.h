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

#endif /* UVK_GUESTKERNEL_IPC_H */
