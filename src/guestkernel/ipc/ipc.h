/*
 * ipc.h - inter-process objects that are files: epoll, eventfd, signalfd,
 * timerfd, and shared memory (SysV shm, memfd).
 *
 * Layer src/guestkernel/ipc, empty until the issues that fill it (event
 * descriptors, shared memory). May include proc/, fs/, mm/ and kern/;
 * sys/ includes it. Each kind is one implementation of fs/'s file
 * operations over kern/'s wait queues.
 */
#ifndef UVK_GUESTKERNEL_IPC_H
#define UVK_GUESTKERNEL_IPC_H

#include "../proc/proc.h"

#endif /* UVK_GUESTKERNEL_IPC_H */
