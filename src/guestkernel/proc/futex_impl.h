/*
 * futex_impl.h - what futex.c and futex_pi.c share: keys, chains, words.
 *
 * Layer src/guestkernel/proc: not for other folders (they see proc.h).
 */
#ifndef GK_PROC_FUTEX_IMPL_H
#define GK_PROC_FUTEX_IMPL_H

#include "proc.h"

/* Key kinds (struct gk_futex_key): never 0, so a zeroed key matches nothing. */
#define GK_FUTEX_KEY_PRIVATE 1 /* FUTEX_PRIVATE_FLAG: (address space, gva) */
#define GK_FUTEX_KEY_MM	     2 /* shared, in a private mapping: (address space, gva) */
#define GK_FUTEX_KEY_PHYS    3 /* shared, in a MAP_SHARED mapping: gpa of the word */

/* Linux's access_ok() limit (TASK_SIZE_MAX): a word must end below it. */
#define GK_FUTEX_TOP 0x7ffffffff000ULL

/* The futex word's bits (linux/futex.h). */
#define GK_FUTEX_WAITERS    0x80000000u
#define GK_FUTEX_OWNER_DIED 0x40000000u
#define GK_FUTEX_TID_MASK   0x3fffffffu

uint32_t *gk_futex_word(struct gk_proc *p, uint64_t uaddr, unsigned access);
int gk_futex_key(struct gk_proc *p, uint64_t uaddr, int shared, unsigned access,
		 struct gk_futex_key *ret_key);
int gk_futex_key_eq(const struct gk_futex_key *a, const struct gk_futex_key *b);
struct gk_futex_chain *gk_futex_chain(struct gk_kernel *k, const struct gk_futex_key *key);
void gk_futex_link(struct gk_kernel *k, struct gk_futex_q *q);
int gk_futex_q_gone(const struct gk_futex_q *q);
struct gk_futex_q *gk_futex_next(struct gk_kernel *k, const struct gk_futex_key *key,
				 struct gk_futex_q *q);
void gk_futex_done(struct gk_kernel *k, struct gk_futex_q *q, int result);
void gk_futex_move(struct gk_kernel *k, struct gk_futex_q *q, const struct gk_futex_key *key);
long gk_futex_sleep(struct gk_proc *p);
int gk_futex_rerun(struct gk_proc *p, long *ret);
void gk_futex_wake_one(struct gk_proc *p, uint64_t uaddr);

/* futex_pi.c */
int gk_futex_pi_proxy(struct gk_proc *p, const struct gk_futex_key *key1,
		      const struct gk_futex_key *key2, uint64_t uaddr2, int set_waiters,
		      struct gk_proc **ret_owner);
void gk_futex_pi_exit(struct gk_proc *p);
void gk_futex_robust_walk(struct gk_proc *p);

#endif /* GK_PROC_FUTEX_IMPL_H */
