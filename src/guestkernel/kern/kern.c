/*
 * kern.c - the guest kernel's panic, its clock, and marking a process done.
 *
 * Layer src/guestkernel/kern.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "kern.h"

void
gk_panic(const char *fn, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "uvk: guest kernel panic in %s: ", fn);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

uint64_t
gk_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* gk_proc_exit - p is done with wait status wstatus; the run loop stops running it. */
void
gk_proc_exit(struct gk_proc *p, int wstatus)
{
	struct gk_proc *t;

	if (p->tg->exited)
		return;
	p->tg->exited = 1;
	p->tg->wstatus = wstatus;
	if (p->k->trace_exit)
		p->k->trace_exit(p, wstatus);
	/* Its tasks in guest code on other vCPUs come back to die. */
	for (t = p->tg->tasks; t; t = t->tg_next)
		gk_cpu_interrupt(t);
}

/* gk_proc_kill - p dies of sig; why (may be NULL) is said on stderr. */
void
gk_proc_kill(struct gk_proc *p, int sig, const char *why)
{
	if (p->tg->exited)
		return;
	if (why)
		fprintf(stderr, "uvk: pid %d: %s\n", p->tg->gpid, why);
	gk_proc_exit(p, sig & 0x7f);
}

/* gk_sys_undo - give back what p's blocked call claimed, if it still holds it. */
void
gk_sys_undo(struct gk_proc *p)
{
	void (*undo)(struct gk_proc *) = p->sys_undo;

	if (!undo)
		return;
	p->sys_undo = NULL;
	undo(p);
	p->undo_obj = p->undo_node = NULL;
}
