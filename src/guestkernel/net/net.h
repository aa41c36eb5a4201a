/*
 * net.h - sockets: AF_UNIX, the guest's loopback, host sockets held for
 * the guest when networking is allowed.
 *
 * Layer src/guestkernel/net, empty until the sockets issue fills it. May
 * include ipc/, proc/, fs/, mm/ and kern/; sys/ includes it. A socket is
 * one implementation of fs/'s file operations over kern/'s wait queues.
 */
#ifndef UVK_GUESTKERNEL_NET_H
#define UVK_GUESTKERNEL_NET_H

#include "../ipc/ipc.h"

#endif /* UVK_GUESTKERNEL_NET_H */
