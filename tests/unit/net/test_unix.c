/*
 * tests/unit/net/test_unix.c - AF_UNIX sockets (src/guestkernel/net)
 * against an explicit kernel made by the test: the kernel-heap budget and
 * two tasks, no guest RAM touched (the data are host iovecs, as the
 * syscall layer hands them), no guest program, no ptrace. A stream sender
 * held at SO_SNDBUF that sleeps and runs again (the restart state) until
 * all of it is in, the datagram queue limit, every byte of heap back once
 * the sockets close, ENOBUFS when the budget is spent, and the collector
 * of sockets kept alive only by their own descriptors in flight.
 *
 * Suite unit. Expectations are unix(7)'s and socket(7)'s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guestkernel/net/net.h"

struct fixture {
	struct gk_kernel k;
	struct gk_tgroup tg;
	struct gk_proc *a, *b; /* two tasks of one process */
	struct gk_file *fa, *fb;
	struct gk_sock *sa, *sb;
};

static struct gk_proc *
task_new(struct fixture *f)
{
	struct gk_proc *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->k = &f->k;
	p->tg = &f->tg;
	p->state = GK_P_RUN;
	return p;
}

/* A connected pair of type at fa/fb. */
static void
pair(struct fixture *f, int type)
{
	struct gk_sock *s0, *s1;

	assert_int_equal(gk_sock_create(&f->k, AF_UNIX, type, 0, &s0), 0);
	assert_int_equal(gk_sock_create(&f->k, AF_UNIX, type, 0, &s1), 0);
	assert_int_equal(s0->ops->pair(s0, s1), 0);
	assert_int_equal(gk_sock_file(s0, 0, &f->fa), 0);
	assert_int_equal(gk_sock_file(s1, 0, &f->fb), 0);
	gk_sock_unref(s0); /* the files hold them */
	gk_sock_unref(s1);
	f->sa = s0;
	f->sb = s1;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->k.kmem_max = 8u << 20;
	f->tg.gpid = 42;
	f->a = task_new(f);
	f->b = task_new(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gk_file_unref(f->fa);
	gk_file_unref(f->fb);
	/* Both ends closed: every byte of the kernel heap went back. */
	assert_int_equal(f->k.kmem, 0);
	assert_null(f->k.net->unix_names);
	gk_net_fini(&f->k);
	gk_wait_free(f->a);
	gk_wait_free(f->b);
	free(f->a);
	free(f->b);
	free(f);
	return 0;
}

static uint8_t
pat(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

static long
xfer(struct gk_proc *p, struct gk_sock *s, int send, uint64_t from, size_t len, int flags)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct iovec iov = {buf, len};
	struct gk_msg m;
	uint64_t i;
	long r;

	assert_non_null(buf);
	memset(&m, 0, sizeof(m));
	m.iov = &iov;
	m.iovcnt = 1;
	m.flags = flags;
	if (send) {
		for (i = 0; i < len; i++)
			buf[i] = pat(from + i);
		r = s->ops->sendmsg(p, s, &m);
	} else {
		r = s->ops->recvmsg(p, s, &m);
		for (i = 0; r > 0 && i < (uint64_t)r; i++)
			if (buf[i] != pat(from + i))
				fail_msg("byte %llu of the read at %llu", (unsigned long long)i,
					 (unsigned long long)from);
		gk_scm_drop(p->k, &m.scm);
	}
	free(buf);
	return r;
}

/* A new unconnected socket of type, as an open file. */
static struct gk_file *
sock_new(struct fixture *f, int type)
{
	struct gk_sock *s;
	struct gk_file *file;

	assert_int_equal(gk_sock_create(&f->k, AF_UNIX, type, 0, &s), 0);
	assert_int_equal(gk_sock_file(s, 0, &file), 0);
	gk_sock_unref(s);
	return file;
}

/*
 * A blocking stream send of 1 MiB: it moves what SO_SNDBUF allows and
 * sleeps with the count in the restart state; each read of the peer wakes
 * it, and its re-runs go on from there until all of it is in, in order.
 * Meanwhile the heap holds at most 1.5 x SO_SNDBUF and some overhead.
 */
static void
test_stream_blocking(void **state)
{
	struct fixture *f = *state;
	const size_t n = 1 << 20;
	uint64_t got = 0;
	long r;
	int sleeps = 0;

	pair(f, SOCK_STREAM);
	r = xfer(f->a, f->sa, 1, 0, n, 0);
	while (r == -GK_EBLOCK) {
		sleeps++;
		assert_int_equal(f->a->state, GK_P_SLEEP);
		assert_true(f->a->io_done > 0 && f->a->io_done < n);
		assert_true(f->k.kmem <= (size_t)f->sa->sndbuf * 3 / 2 + 4096);
		while (f->a->state == GK_P_SLEEP) {
			long c = xfer(f->b, f->sb, 0, got, 65536, MSG_DONTWAIT);

			assert_true(c > 0);
			got += (uint64_t)c;
		}
		f->a->sys_rerun = 1;
		r = xfer(f->a, f->sa, 1, 0, n, 0);
	}
	f->a->sys_rerun = 0;
	assert_int_equal(r, (long)n);
	assert_true(sleeps >= 3);
	while (got < n) {
		long c = xfer(f->b, f->sb, 0, got, 65536, MSG_DONTWAIT);

		assert_true(c > 0);
		got += (uint64_t)c;
	}
	assert_int_equal(xfer(f->b, f->sb, 0, got, 1, MSG_DONTWAIT), -EAGAIN);
	assert_int_equal(gk_unix_ops.outq(f->sa), 0);
}

/*
 * unix(7): a datagram sender that is not the receiver's peer finds its
 * queue full past max_dgram_qlen (EAGAIN, not writable), and room again
 * once the receiver reads.
 */
static void
test_dgram_qlen(void **state)
{
	struct fixture *f = *state;
	struct gk_file *rcv = sock_new(f, SOCK_DGRAM), *snd = sock_new(f, SOCK_DGRAM);
	struct gk_sock *rs = gk_sock_of(rcv), *ss = gk_sock_of(snd);
	struct {
		sa_family_t fam;
		char path[8];
	} addr = {AF_UNIX, "\0unit"};
	char b = 'd';
	struct iovec iov = {&b, 1};
	struct gk_msg m;
	int i;

	pair(f, SOCK_DGRAM);
	assert_int_equal(rs->ops->bind(f->a, rs, &addr, 2 + 5), 0);
	for (i = 0; i < GK_UNIX_DGRAM_QLEN + 1; i++) {
		memset(&m, 0, sizeof(m));
		m.iov = &iov;
		m.iovcnt = 1;
		m.addr = &addr;
		m.addrlen = 2 + 5;
		m.flags = MSG_DONTWAIT;
		assert_int_equal(ss->ops->sendmsg(f->b, ss, &m), 1);
	}
	m.flags = MSG_DONTWAIT;
	assert_int_equal(ss->ops->sendmsg(f->b, ss, &m), -EAGAIN);
	/* A read of 0 bytes takes one datagram (cut to nothing): room for one more. */
	assert_int_equal(gk_unix_ops.inq(rs), 1);
	assert_int_equal(xfer(f->a, rs, 0, 0, 0, MSG_DONTWAIT), 0);
	assert_int_equal(ss->ops->sendmsg(f->b, ss, &m), 1);
	gk_file_unref(rcv);
	/* Its name went with it. */
	assert_int_equal(ss->ops->sendmsg(f->b, ss, &m), -ECONNREFUSED);
	gk_file_unref(snd);
}

/* With the kernel-heap budget spent, a send is ENOBUFS and nothing is held. */
static void
test_budget(void **state)
{
	struct fixture *f = *state;
	size_t before;

	pair(f, SOCK_STREAM);
	before = f->k.kmem;
	f->k.kmem_max = before + 32768;
	assert_int_equal(xfer(f->a, f->sa, 1, 0, 1 << 20, MSG_DONTWAIT), -ENOBUFS);
	assert_int_equal(f->k.kmem, before);
	assert_int_equal(xfer(f->a, f->sa, 1, 0, 1000, MSG_DONTWAIT), 1000);
	assert_int_equal(xfer(f->b, f->sb, 0, 0, 1000, MSG_DONTWAIT), 1000);
	assert_int_equal(f->k.kmem, before);
}

/*
 * A socket whose only reference is itself in flight on its own queue goes
 * when another socket closes (the collector), with its heap.
 */
static void
test_gc_cycle(void **state)
{
	struct fixture *f = *state;
	char b = 'g';
	struct iovec iov = {&b, 1};
	struct gk_msg m;

	pair(f, SOCK_STREAM);
	memset(&m, 0, sizeof(m));
	m.iov = &iov;
	m.iovcnt = 1;
	m.scm.fp = gk_kzalloc(&f->k, sizeof(*m.scm.fp));
	assert_non_null(m.scm.fp);
	m.scm.fp[0] = gk_file_ref(f->fb);
	m.scm.nfd = 1;
	/* fb's own file goes onto fb's queue. */
	assert_int_equal(f->sa->ops->sendmsg(f->a, f->sa, &m), 1);
	gk_scm_drop(&f->k, &m.scm);
	assert_non_null(f->k.net->unix_inflight);
	gk_file_unref(f->fb);
	f->fb = NULL;
	assert_true(f->k.kmem > 0);
	assert_non_null(f->k.net->unix_inflight); /* it lives on, in flight */
	gk_file_unref(f->fa);
	f->fa = NULL;
	/* teardown checks the heap is all back */
	assert_null(f->k.net->unix_inflight);
}

/*
 * A blocking connect to a listener whose queue is full (backlog 0 takes
 * one request) sleeps; an accept makes room and wakes it, and its re-run
 * connects.
 */
static void
test_connect_waits(void **state)
{
	struct fixture *f = *state;
	struct gk_file *lf = sock_new(f, SOCK_STREAM), *c1 = sock_new(f, SOCK_STREAM),
		       *c2 = sock_new(f, SOCK_STREAM);
	struct gk_sock *l = gk_sock_of(lf), *s1 = gk_sock_of(c1), *s2 = gk_sock_of(c2), *acc;
	struct {
		sa_family_t fam;
		char path[8];
	} addr = {AF_UNIX, "\0lst"};
	struct gk_file *af;

	pair(f, SOCK_STREAM);
	assert_int_equal(l->ops->bind(f->a, l, &addr, 2 + 4), 0);
	assert_int_equal(l->ops->listen(l, 0), 0);
	assert_int_equal(s1->ops->connect(f->b, s1, &addr, 2 + 4, 0), 0);
	assert_int_equal(s2->ops->connect(f->b, s2, &addr, 2 + 4, 1), -EAGAIN);
	assert_int_equal(s2->ops->connect(f->b, s2, &addr, 2 + 4, 0), -GK_EBLOCK);
	assert_int_equal(f->b->state, GK_P_SLEEP);
	assert_int_equal(gk_unix_ops.poll(l, POLLIN, NULL), POLLIN);
	assert_int_equal(l->ops->accept(f->a, l, 1, &acc), 0);
	assert_int_equal(f->b->state, GK_P_RUN); /* room: the connect runs again */
	f->b->sys_rerun = 1;
	assert_int_equal(s2->ops->connect(f->b, s2, &addr, 2 + 4, 0), 0);
	f->b->sys_rerun = 0;
	assert_int_equal(gk_sock_file(acc, 0, &af), 0);
	gk_sock_unref(acc);
	/* The listener closes with s2's connection not accepted: s2 sees ECONNRESET. */
	gk_file_unref(lf);
	assert_int_equal(s2->err, ECONNRESET);
	assert_int_equal(s2->shut, GK_SHUT_RD | GK_SHUT_WR);
	assert_int_equal(s1->err, 0);
	gk_file_unref(af);
	gk_file_unref(c1);
	gk_file_unref(c2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stream_blocking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dgram_qlen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc_cycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connect_waits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
