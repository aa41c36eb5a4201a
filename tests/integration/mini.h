/*
 * mini.h - the tests' own little guest kernel: just enough to load a
 * freestanding static guest into a vmspace and drive it, through the
 * public API only. Physical pages come from a bump allocator; the page
 * table, image, stack and an argument page are entered up front (the
 * pages themselves are left for the fault shortcut to map).
 */
#ifndef UVK_TESTS_MINI_H
#define UVK_TESTS_MINI_H

#include <stdint.h>

#include <uvk/uvk.h>

#define MINI_ARG_GVA   0x10000000ULL /* one writable page: the guest's arg[] */
#define MINI_STACK_TOP 0x7ff000000000ULL
#define MINI_STACK_PAGES 16
#define SYS_REPORT 501

struct mini {
	struct uvk_pmem *pm;
	struct uvk_vmspace *vms;
	uint64_t root;
	uint64_t next_gpa; /* bump allocator */
	struct uvk_regs regs;
	long *arg;	   /* the tracer's view of the argument page */
};

/* Set up pmem (mem bytes), a vmspace and an empty table. 0 or -errno. */
int mini_init(struct mini *m, uint64_t mem);
/* Load the static ELF at path, with stack and argument page. 0 or -errno. */
int mini_load(struct mini *m, const char *path);
void mini_fini(struct mini *m);

uint64_t mini_page(struct mini *m); /* a zeroed page, its gpa */
int mini_enter(struct mini *m, uint64_t gva, uint64_t gpa, uint64_t flags);
uint8_t *mini_hva(struct mini *m, uint64_t gpa);

/* Run until a trap that is not an interrupt. */
int mini_run(struct mini *m, struct uvk_trap *t);
/*
 * Run to the exit syscall (60), answering SYS_REPORT by recording its
 * argument in reports[] and everything else with -ENOSYS. Returns the exit
 * status, or -1000 - kind for a trap it could not serve (stored in *last).
 */
int mini_run_to_exit(struct mini *m, long *reports, int max, int *nreports,
		     struct uvk_trap *last);

/* Where the guest programs are (set by Meson). */
const char *mini_guest(const char *name);

#endif /* UVK_TESTS_MINI_H */
