/*
 * t_bigfork - copy-on-write at scale: a parent with 64 MiB of touched memory
 * forks 100 children, ten alive at a time, each of which reads the parent's
 * pages and writes one page of its own copy.
 *
 * Usage: t_bigfork
 *
 * Every page of the area holds a 32-bit tag of its own, at an offset that
 * depends on the page, and zeros elsewhere. In each round of ten children:
 *
 *   1. each child reads 16 pages and checks their tags, writes its own page
 *      (a copy on write in the child), checks that it reads back its value
 *      and that the next page is unchanged, and says "ready";
 *   2. when all ten are ready the parent rewrites one page (a copy on write
 *      in the parent) and says "go";
 *   3. each child then checks that neither the parent's write nor its
 *      siblings' writes reached it and that its own page kept its value,
 *      and exits with a status made of what it saw: a sum of the tags it
 *      read, or 0x80 plus bits naming what was wrong.
 *
 * The parent checks every status against the sum it computes itself and, at
 * the end, all 16384 pages of its own area. Under uvk, run-guest.sh also
 * checks that guest memory never held a second copy of the 64 MiB.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

#define PAGE	  4096UL
#define AREA	  (64UL << 20)
#define NPAGES	  (AREA / PAGE)
#define ROUNDS	  10
#define PER_ROUND 10
#define NCHILD	  (ROUNDS * PER_ROUND)
#define SAMPLES	  16
#define SAFETY_S  110

/* What a child saw wrong: its exit status is 0x80 | these bits. */
#define BAD_SAMPLE  0x01 /* a sampled page did not hold the parent's tag */
#define BAD_OWN	    0x02 /* its own write did not read back, or spilled */
#define BAD_GO	    0x04 /* the parent's "go" never came */
#define BAD_PARENT  0x08 /* the parent's later write reached the child */
#define BAD_SIBLING 0x10 /* a sibling's write reached the child */
#define BAD_KEPT    0x20 /* its own page lost its value */

static unsigned char *area;
/* The pages the parent rewrote, in order; a child sees those made before its fork. */
static size_t parent_mod[ROUNDS];
static int nmod;

static uint32_t *
slot(size_t page)
{
	return (uint32_t *)(area + page * PAGE + (page % 1021) * 4);
}

static uint32_t
tag(size_t page)
{
	return (uint32_t)page * 2654435761u ^ 0xa5a5a5a5u;
}

/* What page holds in this process, as far as the parent's writes go. */
static uint32_t
expected(size_t page)
{
	int i;

	for (i = 0; i < nmod; i++)
		if (parent_mod[i] == page)
			return ~tag(page);
	return tag(page);
}

static size_t
sample_page(int k, int j)
{
	return ((size_t)k * 524287 + (size_t)j * 1031 + 17) % NPAGES;
}

/* Child k's own page: distinct for every k, since 163 is odd. */
static size_t
own_page(int k)
{
	return ((size_t)k * 163 + 11) % NPAGES;
}

/* The page the parent rewrites in round r. */
static size_t
parent_page(int r)
{
	return ((size_t)r * 4099 + 2048) % NPAGES;
}

static uint32_t
child_value(int k)
{
	return 0xc0de0000u | (uint32_t)k;
}

/* The exit status of child k that read sum: 0..126, never with 0x80 set. */
static int
status_of(uint32_t sum, int k)
{
	return (int)((sum ^ (uint32_t)k) % 127);
}

static void
on_alarm(int sig)
{
	(void)sig;
	say("FAIL: %s still running after %d s\n", guest_name, SAFETY_S);
	_exit(2);
}

/* child - what child k of round r does; returns its exit status. */
static int
child(int k, int r, int ready_fd, int go_fd)
{
	size_t w = own_page(k), x = parent_page(r), p;
	uint32_t sum = 0, v;
	int j, bad = 0, first = r * PER_ROUND;
	char c;

	for (j = 0; j < SAMPLES; j++) {
		p = sample_page(k, j);
		v = *slot(p);
		if (v != expected(p) || area[p * PAGE + PAGE - 1] != 0)
			bad |= BAD_SAMPLE;
		sum += v;
	}
	*slot(w) = child_value(k);
	if (*slot(w) != child_value(k) || *slot((w + 1) % NPAGES) != expected((w + 1) % NPAGES))
		bad |= BAD_OWN;
	if (write(ready_fd, "r", 1) != 1)
		bad |= BAD_GO;
	close(ready_fd);
	if (read(go_fd, &c, 1) != 1)
		bad |= BAD_GO;

	/* The parent and the siblings have written their pages by now. */
	if (x != w && *slot(x) != expected(x))
		bad |= BAD_PARENT;
	for (j = first; j < first + PER_ROUND; j++) {
		p = own_page(j);
		if (j != k && p != w && *slot(p) != expected(p))
			bad |= BAD_SIBLING;
	}
	if (*slot(w) != child_value(k))
		bad |= BAD_KEPT;
	return bad ? 0x80 | bad : status_of(sum, k);
}

/* One round: PER_ROUND children alive together. */
static void
round_of(int r)
{
	pid_t pids[PER_ROUND];
	int want[PER_ROUND];
	int ready[2], go[2], i, j, k, st, forked = 0, nready = 0, wrong = 0;
	char what[96], c;
	uint32_t sum;

	if (pipe(ready) < 0 || pipe(go) < 0) {
		check(0, "pipes for a round", "errno %s", errname(errno));
		return;
	}
	for (i = 0; i < PER_ROUND; i++) {
		k = r * PER_ROUND + i;
		pids[i] = fork();
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			_exit(child(k, r, ready[1], go[0]));
		}
		forked += pids[i] > 0;
		for (sum = 0, j = 0; j < SAMPLES; j++)
			sum += expected(sample_page(k, j));
		want[i] = status_of(sum, k);
	}
	close(ready[1]);
	close(go[0]);
	snprintf(what, sizeof(what), "round %d: %d children forked", r, PER_ROUND);
	check(forked == PER_ROUND, what, "%d forked, errno %s", forked, errname(errno));

	/* EOF once every child has said ready and closed its end, or died. */
	while (read(ready[0], &c, 1) == 1)
		nready++;
	*slot(parent_page(r)) = ~tag(parent_page(r));
	parent_mod[nmod++] = parent_page(r);
	for (i = 0; i < forked; i++)
		(void)write(go[1], "g", 1);
	close(ready[0]);
	close(go[1]);

	for (i = 0; i < PER_ROUND; i++) {
		if (pids[i] <= 0)
			continue;
		if (waitpid(pids[i], &st, 0) != pids[i])
			st = -1;
		if (st != want[i] << 8) {
			if (!wrong)
				say("     child %d: status %#x, want exit(%d)\n", r * PER_ROUND + i,
				    st, want[i]);
			wrong++;
		}
	}
	snprintf(what, sizeof(what), "round %d: each child saw the parent's pages, its own write",
		 r);
	check(wrong == 0 && nready == forked, what, "%d wrong statuses, %d of %d ready", wrong,
	      nready, forked);
}

int
main(void)
{
	size_t i, bad = 0, first_bad = 0;
	int r;

	guest_begin("t_bigfork", "64 MiB shared copy-on-write by 100 children");
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(SAFETY_S);

	area = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(area != MAP_FAILED, "mmap 64 MiB", "errno %s", errname(errno)))
		return guest_end();
	for (i = 0; i < NPAGES; i++)
		*slot(i) = tag(i);
	check(*slot(0) == tag(0) && *slot(NPAGES - 1) == tag(NPAGES - 1),
	      "every page of the 64 MiB written with its own tag", "first %#x last %#x", *slot(0),
	      *slot(NPAGES - 1));

	for (r = 0; r < ROUNDS; r++)
		round_of(r);
	CHECK_EQ("no child left", waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, 1);

	for (i = 0; i < NPAGES; i++) {
		if (*slot(i) != expected(i) || area[i * PAGE + PAGE - 1] != 0) {
			if (!bad)
				first_bad = i;
			bad++;
		}
	}
	check(bad == 0, "the parent's 16384 pages hold its own values, no child's",
	      "%zu pages wrong, the first %zu: %#x, want %#x", bad, first_bad, *slot(first_bad),
	      expected(first_bad));
	munmap(area, AREA);
	alarm(0);
	return guest_end();
}
