/*
 * tests/unit/wait/test_pipe.c - the pipe ring (src/guestkernel/fs/pipe.c)
 * against an explicit kernel made by the test: guest RAM (a memfd pmem)
 * with its frame allocator and kernel-heap budget, two tasks, no guest
 * program and no ptrace. Fill, drain, wraparound, frames given back, size
 * changes that keep the bytes in order, atomic and non-blocking writes,
 * a write larger than the pipe that sleeps and runs again until all of it
 * is in (the restart state), and wakes that reach only the waiters of the
 * end that changed.
 *
 * Suite unit. Expectations are pipe(7)'s and fcntl(2)'s (F_SETPIPE_SZ).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guestkernel/fs/fs.h"

#define RAM_PAGES 512
#define CAP	  GK_PIPE_SIZE

struct fixture {
	struct uvk_pmem *pm;
	struct gk_palloc pa;
	struct gk_kernel k;
	struct gk_tgroup tg; /* the tasks' process: no signals pending */
	struct gk_proc *w, *r; /* writer and reader tasks */
	struct gk_file *rf, *wf;
	uint64_t nfree0; /* free frames before the pipe */
};

static struct gk_proc *
task_new(struct gk_kernel *k, struct gk_tgroup *tg)
{
	struct gk_proc *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->k = k;
	p->tg = tg;
	p->state = GK_P_RUN;
	return p;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pm = uvk_pmem_create(RAM_PAGES * GK_PAGE);
	assert_non_null(f->pm);
	assert_int_equal(gk_palloc_init(&f->pa, f->pm), 0);
	f->k.pm = f->pm;
	f->k.pa = &f->pa;
	f->k.ram = uvk_pmem_base(f->pm);
	f->k.kmem_max = RAM_PAGES * GK_PAGE / GK_KMEM_DIV;
	f->w = task_new(&f->k, &f->tg);
	f->r = task_new(&f->k, &f->tg);
	f->nfree0 = f->pa.nfree;
	assert_int_equal(gk_pipe_new(&f->k, &f->rf, &f->wf), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gk_file_unref(f->rf);
	gk_file_unref(f->wf);
	/* The last end closed: every frame and every byte of heap went back. */
	assert_int_equal(f->pa.nfree, f->nfree0);
	assert_int_equal(f->k.kmem, 0);
	gk_wait_free(f->w);
	gk_wait_free(f->r);
	free(f->w);
	free(f->r);
	gk_palloc_fini(&f->pa);
	uvk_pmem_free(f->pm);
	free(f);
	return 0;
}

/* The byte at offset i of a test stream. */
static uint8_t
pat(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

/* Write len stream bytes from offset from, as one call of the writer task. */
static long
wr(struct fixture *f, uint64_t from, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct iovec iov = {buf, len};
	uint64_t i;
	long r;

	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = pat(from + i);
	r = gk_pipe_write(f->w, f->wf, &iov, 1);
	free(buf);
	return r;
}

/* Read up to len bytes and check they are the stream from offset from. */
static long
rd(struct fixture *f, uint64_t from, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct iovec iov = {buf, len};
	long r, i;

	assert_non_null(buf);
	r = gk_pipe_read(f->r, f->rf, &iov, 1);
	for (i = 0; i < r; i++)
		if (buf[i] != pat(from + (uint64_t)i))
			fail_msg("byte %ld of the read at %llu is %#x, want %#x", i,
				 (unsigned long long)from, buf[i], pat(from + (uint64_t)i));
	free(buf);
	return r;
}

static void
test_fill_and_drain(void **state)
{
	struct fixture *f = *state;

	f->wf->flags |= O_NONBLOCK;
	f->rf->flags |= O_NONBLOCK;
	assert_int_equal(rd(f, 0, 100), -EAGAIN); /* empty, with a writer */
	assert_int_equal(wr(f, 0, 10000), 10000);
	assert_int_equal(gk_pipe_nread(f->rf), 10000);
	assert_int_equal(wr(f, 10000, CAP), CAP - 10000); /* what fits */
	assert_int_equal(gk_pipe_nread(f->rf), CAP);
	assert_int_equal(wr(f, CAP, 1), -EAGAIN);
	assert_int_equal(gk_pipe_poll(f->wf, POLLOUT, NULL), 0);
	assert_int_equal(gk_pipe_poll(f->rf, POLLIN, NULL), POLLIN);
	assert_int_equal(rd(f, 0, 5000), 5000);
	assert_int_equal(rd(f, 5000, 2 * CAP), CAP - 5000);
	assert_int_equal(rd(f, CAP, 1), -EAGAIN);
	/* Drained: the pipe keeps one frame, no more. */
	assert_int_equal(f->nfree0 - f->pa.nfree, 1);
}

/* The ring wraps: data that straddles the end of the slots comes out in order. */
static void
test_wraparound(void **state)
{
	struct fixture *f = *state;
	uint64_t off = 0;
	int i;

	f->wf->flags |= O_NONBLOCK;
	for (i = 0; i < 20; i++) {
		size_t n = 3000 + (size_t)i * 1777; /* never page-aligned */

		assert_int_equal(wr(f, off, n), (long)n);
		assert_int_equal(rd(f, off, n / 2), (long)(n / 2));
		assert_int_equal(rd(f, off + n / 2, n), (long)(n - n / 2));
		off += n;
	}
	assert_true(off > 3 * CAP);
}

/* F_SETPIPE_SZ: a power of two pages, EBUSY below the data held, the bytes kept in order. */
static void
test_size_change(void **state)
{
	struct fixture *f = *state;

	f->wf->flags |= O_NONBLOCK;
	assert_int_equal(wr(f, 0, CAP - 1000), CAP - 1000);
	assert_int_equal(rd(f, 0, CAP - 2000), CAP - 2000);
	assert_int_equal(wr(f, CAP - 1000, 5000), 5000); /* wraps: 6000 bytes held */
	assert_int_equal(gk_pipe_set_size(f->wf, 4096), -EBUSY);
	assert_int_equal(gk_pipe_get_size(f->wf), CAP);
	assert_int_equal(gk_pipe_set_size(f->wf, 6001), 8192);
	assert_int_equal(gk_pipe_get_size(f->rf), 8192);
	assert_int_equal(wr(f, CAP + 4000, 5000), 8192 - 6000); /* > PIPE_BUF: what fits */
	assert_int_equal(rd(f, CAP - 2000, 100000), 8192);
	assert_int_equal(gk_pipe_set_size(f->wf, 1), GK_PAGE);
	assert_int_equal(wr(f, CAP + 4000 + 2192, 5000), GK_PAGE);
	assert_int_equal(gk_pipe_set_size(f->wf, (1ULL << 31) + 1), -EINVAL);
	assert_int_equal(gk_pipe_set_size(f->wf, 1 << 20), 1 << 20);
	assert_int_equal(rd(f, CAP + 4000 + 2192, 100000), GK_PAGE);
}

/* pipe(7): at most PIPE_BUF bytes go in whole or not at all. */
static void
test_atomic_writes(void **state)
{
	struct fixture *f = *state;

	f->wf->flags |= O_NONBLOCK;
	assert_int_equal(wr(f, 0, CAP - 1000), CAP - 1000);
	assert_int_equal(wr(f, 0, PIPE_BUF), -EAGAIN);
	assert_int_equal(wr(f, 0, 1001), -EAGAIN);
	assert_int_equal(gk_pipe_nread(f->rf), CAP - 1000);
	/* Blocking: it sleeps on the write end rather than write part of it. */
	f->wf->flags &= ~O_NONBLOCK;
	assert_int_equal(wr(f, 0, PIPE_BUF), -GK_EBLOCK);
	assert_int_equal(f->w->state, GK_P_SLEEP);
	assert_int_equal(gk_pipe_nread(f->rf), CAP - 1000);
	assert_int_equal(f->w->io_done, 0);
}

/*
 * A blocking write of more than the pipe holds: it moves what fits and
 * sleeps; each read wakes it; each re-run (sys_rerun) moves more; the
 * last returns the whole count. The reader sees every byte once, in order.
 */
static void
test_big_write_runs_again_until_whole(void **state)
{
	struct fixture *f = *state;
	const size_t big = 3 * CAP + 12345;
	uint64_t got = 0;
	long r;
	int runs = 1;

	r = wr(f, 0, big);
	assert_int_equal(r, -GK_EBLOCK);
	assert_int_equal(f->w->state, GK_P_SLEEP);
	assert_int_equal(f->w->io_done, CAP);
	for (;;) {
		r = rd(f, got, 20000);
		assert_true(r > 0);
		got += (uint64_t)r;
		if (f->w->state == GK_P_SLEEP)
			fail_msg("a read of %ld bytes did not wake the writer", r);
		f->w->sys_rerun = 1;
		r = wr(f, 0, big); /* the same call, run again */
		f->w->sys_rerun = 0;
		runs++;
		if (r != -GK_EBLOCK)
			break;
		assert_true(f->w->io_done > 0 && f->w->io_done < big);
	}
	assert_int_equal(r, big);
	assert_int_equal(f->w->io_done, 0);
	assert_true(runs > 3);
	while (got < big) {
		r = rd(f, got, 50000);
		assert_true(r > 0);
		got += (uint64_t)r;
	}
	assert_int_equal(got, big);
}

/* O_NONBLOCK: a write of more than PIPE_BUF moves what fits and returns at once. */
static void
test_big_write_nonblocking_is_partial(void **state)
{
	struct fixture *f = *state;

	f->wf->flags |= O_NONBLOCK;
	assert_int_equal(wr(f, 0, 2 * CAP), CAP);
	assert_int_equal(f->w->io_done, 0);
	assert_int_equal(f->w->state, GK_P_RUN);
}

/*
 * A read wakes only the write end's waiters, a write only the read end's;
 * another pipe's events wake neither.
 */
static void
test_wakes_reach_only_that_end(void **state)
{
	struct fixture *f = *state;
	struct gk_file *r2, *w2;
	struct gk_proc *poller = task_new(&f->k, &f->tg);
	struct gk_pollreg reg = {.p = poller, .err = 0};
	struct iovec iov;
	char c = 'x';

	assert_int_equal(gk_pipe_new(&f->k, &r2, &w2), 0);
	/* The reader sleeps on the empty pipe; the poller polls its read end. */
	assert_int_equal(rd(f, 0, 10), -GK_EBLOCK);
	assert_int_equal(gk_pipe_poll(f->rf, POLLIN, &reg), 0);
	assert_int_equal(gk_wait_commit(poller), -GK_EBLOCK);
	/* Traffic on another pipe wakes neither. */
	iov.iov_base = &c;
	iov.iov_len = 1;
	assert_int_equal(gk_pipe_write(f->w, w2, &iov, 1), 1);
	assert_int_equal(gk_pipe_read(f->w, r2, &iov, 1), 1);
	assert_int_equal(f->r->state, GK_P_SLEEP);
	assert_int_equal(poller->state, GK_P_SLEEP);
	/* A write to this one wakes both, and the poller now sees POLLIN. */
	assert_int_equal(wr(f, 0, 10), 10);
	assert_int_equal(f->r->state, GK_P_RUN);
	assert_int_equal(poller->state, GK_P_RUN);
	assert_int_equal(gk_pipe_poll(f->rf, POLLIN, NULL), POLLIN);
	/* The last writer of pipe 2 leaving wakes its read end's poller with POLLHUP. */
	reg.err = 0;
	assert_int_equal(gk_pipe_poll(r2, POLLIN, &reg), 0);
	gk_wait_commit(poller);
	gk_file_unref(w2);
	assert_int_equal(poller->state, GK_P_RUN);
	assert_int_equal(gk_pipe_poll(r2, POLLIN, NULL), POLLHUP);
	/* A poller still on a pipe when it goes: it is woken and off the queue (ASan). */
	reg.err = 0;
	gk_pipe_poll(r2, POLLIN, &reg);
	gk_wait_commit(poller);
	gk_file_unref(r2);
	assert_int_equal(poller->state, GK_P_RUN);
	assert_null(poller->wait.list);
	gk_wait_free(poller);
	free(poller);
	assert_int_equal(rd(f, 0, 10), 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fill_and_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_write_runs_again_until_whole, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_big_write_nonblocking_is_partial, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_wakes_reach_only_that_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
