/*
 * entry.h - the top of the guest kernel: boot (gk_run) and the run loop
 * that runs processes on their vmspaces and hands each stop to sys/,
 * mm/ or proc/.
 *
 * Layer src/guestkernel/entry. May include every folder; none includes it.
 */
#ifndef UVK_GUESTKERNEL_ENTRY_H
#define UVK_GUESTKERNEL_ENTRY_H

#include "../sys/sys.h"

int gk_cpus_init(struct gk_kernel *k, int ncpus, const int *cpu_map);
void gk_cpus_fini(struct gk_kernel *k);
int gk_sched_run(struct gk_kernel *k);

#endif /* UVK_GUESTKERNEL_ENTRY_H */
