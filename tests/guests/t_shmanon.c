/*
 * t_shmanon.c - MAP_SHARED|MAP_ANONYMOUS memory is one memory for a process
 * and the children it forks (mmap(2): "Updates to the mapping are visible to
 * other processes mapping the same region"), while MAP_PRIVATE memory is
 * copied on write.
 *
 * Guest test program (see guest.h). Checks, with pages touched before the
 * fork and pages first touched after it, by the parent or by the child:
 *   - a store by the child is seen by the parent, and the other way round;
 *   - the same through a second fork (a grandchild);
 *   - private memory next to it stays private both ways;
 *   - after the child exits, the parent still reads what it stored.
 *
 * Usage: t_shmanon
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "guest.h"

#define PAGE  4096UL
#define PAGES 8

/* Wait for pid; 1 if it exited 0. */
static int
reaped_ok(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int
main(void)
{
	volatile uint32_t *sh, *pv;
	int up[2], down[2]; /* child -> parent, parent -> child */
	pid_t pid;
	char c;

	guest_begin("t_shmanon", "MAP_SHARED|MAP_ANONYMOUS is shared with forked children");
	sh = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pv = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK_OK("mmap shared", sh == MAP_FAILED ? -1 : 0) ||
	    !CHECK_OK("mmap private", pv == MAP_FAILED ? -1 : 0))
		return guest_end();
	/* Pages 0-3 touched before the fork; 4-7 first touched after it. */
	for (int i = 0; i < 4; i++) {
		sh[i * PAGE / 4] = 100 + i;
		pv[i * PAGE / 4] = 200 + i;
	}
	CHECK_OK("pipe", pipe(up));
	CHECK_OK("pipe", pipe(down));

	pid = fork();
	if (pid == 0) {
		/* Child: store into both, touched and untouched pages; a grandchild too. */
		for (int i = 0; i < PAGES; i++) {
			sh[i * PAGE / 4] = 1000 + i;
			pv[i * PAGE / 4] = 2000 + i;
		}
		pid = fork();
		if (pid == 0) {
			sh[1] = 4242;
			_exit(0);
		}
		if (!reaped_ok(pid))
			_exit(3);
		/* Tell the parent, then wait for its stores. */
		if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		_exit(sh[5 * PAGE / 4] == 3005 && sh[2] == 3002 && pv[0] == 2000 ? 0 : 1);
	}
	if (!CHECK_OK("fork", pid))
		return guest_end();
	if (!CHECK_EQ("child signalled", read(up[0], &c, 1), 1))
		return guest_end();
	for (int i = 0; i < PAGES; i++) {
		char what[64];

		snprintf(what, sizeof(what), "shared page %d holds the child's store", i);
		CHECK_EQ(what, sh[i * PAGE / 4], 1000 + i);
		snprintf(what, sizeof(what), "private page %d keeps the parent's value", i);
		CHECK_EQ(what, pv[i * PAGE / 4], i < 4 ? 200 + i : 0);
	}
	CHECK_EQ("the grandchild's store is seen too", sh[1], 4242);
	sh[5 * PAGE / 4] = 3005;
	sh[2] = 3002;
	pv[0] = 9999;
	CHECK_EQ("wake the child", write(down[1], "y", 1), 1);
	CHECK_EQ("the child saw the parent's stores (shared) and not the private one",
		 reaped_ok(pid), 1);
	CHECK_EQ("after the child is gone the page keeps the parent's store", sh[5 * PAGE / 4],
		 3005);
	return guest_end();
}
