/*
 * t_pthread_bad - threads made from bad input: a raw clone of a thread
 * (CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) whose stack pointer is unmapped
 * or nearly zero dies of SIGSEGV on its first use of the stack (of SIGBUS
 * when it is non-canonical: x86 raises a stack-segment fault) and takes
 * only its own process with it; a thread bomb (threads
 * created until pthread_create fails) ends in EAGAIN or at a cap, every
 * thread it made is joined, and the process works on.
 *
 * Usage: t_pthread_bad [--expect-eagain]
 *
 * --expect-eagain  the thread limit is below the cap (BOMB_CAP threads):
 *                  pthread_create must fail with EAGAIN before it. Under
 *                  uvk, whose guest has room for 256 tasks. Natively root
 *                  has no such limit (RLIMIT_NPROC does not bind it), so
 *                  there the bomb may also stop at the cap.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "gthr.h"

#define BOMB_CAP 2000

/*
 * The child process for one bad stack: clone a thread of itself onto the
 * stack pointer sp (the new thread returns from the system call into
 * libc's syscall(), whose return pops from that stack) and wait. The
 * fault must end the whole child; if it did not, the child gives up
 * after GTHR_POLL_SECONDS and exits 7.
 */
static void
bad_stack_child(void *sp)
{
	struct pollfd p;
	int never[2];
	long r;

	if (pipe(never) != 0)
		_exit(2);
	r = syscall(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD, sp,
		    NULL, NULL, 0UL);
	if (r < 0)
		_exit(3);
	p.fd = never[0];
	p.events = POLLIN;
	poll(&p, 1, GTHR_POLL_SECONDS * 1000);
	_exit(7);
}

static void
check_bad_stack(const char *what, void *sp, int sig)
{
	char msg[128];
	int st = fork_status(bad_stack_child, sp);

	snprintf(msg, sizeof(msg), "a thread cloned onto %s dies of %s with its process", what,
		 sig == SIGSEGV ? "SIGSEGV" : "SIGBUS");
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig, msg, "%s", wait_text(st));
}

static void
check_bad_stacks(void)
{
	char *gone =
	    mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!check(gone != MAP_FAILED, "mmap", "errno %s", errname(errno)))
		return;
	munmap(gone, 2 * 4096);
	check_bad_stack("an unmapped page", gone + 4096, SIGSEGV);
	/* A stack access at a non-canonical address is a stack-segment fault: SIGBUS on Linux. */
	check_bad_stack("a non-canonical address", (void *)0x8000000000000000UL, SIGBUS);
	check_bad_stack("address 16", (void *)16, SIGSEGV);
}

/* -- thread bomb --------------------------------------------------------------------------- */

static int hold[2]; /* the bomb's threads block reading it until it is closed */

static void *
bomb_thread(void *arg)
{
	char c;

	(void)arg;
	while (read(hold[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void *
plain(void *arg)
{
	return arg;
}

static void
nothing(void *arg)
{
	(void)arg;
}

static void
check_bomb(int expect_eagain)
{
	static pthread_t t[BOMB_CAP];
	int n, e = 0, joined = 0, i, st;
	void *ret = NULL;
	pthread_t p;

	if (!CHECK_OK("pipe", pipe(hold)))
		return;
	for (n = 0; n < BOMB_CAP; n++) {
		e = gthr_start(&t[n], bomb_thread, NULL, GTHR_SMALL_STACK);
		if (e != 0)
			break;
	}
	say("thread bomb: %d threads, then %s\n", n, n < BOMB_CAP ? errname(e) : "the cap");
	if (expect_eagain)
		check(n < BOMB_CAP && e == EAGAIN,
		      "thread bomb: pthread_create fails with EAGAIN "
		      "before the cap",
		      "%d threads, error %s", n, errname(e));
	else
		check(n == BOMB_CAP || e == EAGAIN, "thread bomb: EAGAIN or the cap",
		      "%d threads, error %s", n, errname(e));
	CHECK_TRUE("thread bomb: at least 100 threads before the limit", n >= 100, "%d", n);
	/* Closing the write end ends every read: all threads return. */
	close(hold[1]);
	for (i = 0; i < n; i++)
		joined += pthread_join(t[i], NULL) == 0;
	CHECK_EQ("thread bomb: every thread made is joined", joined, n);
	close(hold[0]);
	CHECK_EQ("after the bomb: /proc/self/task is down to one entry", wait_tasks(1), 1);
	if (CHECK_EQ("after the bomb: pthread_create works",
		     pthread_create(&p, NULL, plain, (void *)9), 0)) {
		pthread_join(p, &ret);
		CHECK_EQ("after the bomb: the new thread ran", (intptr_t)ret, 9);
	}
	st = fork_status(nothing, NULL);
	CHECK_EQ("after the bomb: fork works", st, 0);
}

int
main(int argc, char **argv)
{
	int expect_eagain = argc > 1 && strcmp(argv[1], "--expect-eagain") == 0;

	guest_begin("t_pthread_bad", "bad thread stacks and a thread bomb");
	check_bad_stacks();
	check_bomb(expect_eagain);
	return guest_end();
}
