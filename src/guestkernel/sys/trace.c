/*
 * trace.c - --trace: each guest syscall decoded as strace(1) -f prints it.
 *
 *   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid 2] read(3, <unfinished ...>
 *   [pid 1] write(4, "x", 1) = 1
 *   [pid 2] <... read resumed>"x", 4096) = 1
 *   --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, ...} ---
 *   [pid 2] +++ exited with 0 +++
 *
 * Layer src/guestkernel/sys. gk_syscall hands a call here only when k->tr
 * is set (--trace, --trace-summary or --stats): untraced calls never reach
 * this file. A call's line is written when it ends, after its output
 * buffers hold their results (trace_args.c reads guest memory through
 * uaccess.c only); execve and exit print before they run, since afterwards
 * their arguments are gone. A call that sleeps while other tasks exist
 * prints its start, "<unfinished ...>", and its end, "<... NAME resumed>",
 * so that the lines keep the order in which things happened.
 *
 * [pid N] (N the task id, as strace -f) starts a line whenever more than one
 * guest task is alive. The lines go to --trace's file, flushed one by one.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "trace_impl.h"
#include "../guestkernel.h"

/* More than one task alive: every line names its task. */
static int
several(const struct gk_kernel *k)
{
	const struct gk_proc *t;
	int n = 0;

	for (t = k->procs; t; t = t->next)
		if (t->state < GK_P_ZOMBIE && ++n > 1)
			return 1;
	return 0;
}

/* [pid N] (N the task id, or id if not 0) and the time of day (strace -tt) of t0. */
static void
leader_id(FILE *o, struct gk_proc *p, int id, uint64_t t0)
{
	struct gk_kernel *k = p->k;

	if (several(k))
		fprintf(o, "[pid %d] ", id ? id : p->tid);
	if (k->tr->time) {
		uint64_t ns = k->boot_realtime_ns + (t0 - k->boot_ns);
		time_t s = (time_t)(ns / 1000000000ULL);
		struct tm tm;

		localtime_r(&s, &tm);
		fprintf(o, "%02d:%02d:%02d.%06llu ", tm.tm_hour, tm.tm_min, tm.tm_sec,
			(unsigned long long)(ns / 1000 % 1000000));
	}
}

static void
leader(FILE *o, struct gk_proc *p, uint64_t t0)
{
	leader_id(o, p, 0, t0);
}

static void
put_name(FILE *o, uint64_t nr)
{
	char buf[40];

	fputs(gk_trace_name(nr, buf, sizeof(buf)), o);
}

/* " <0.000012>" (strace -T): the time since the call was first entered. */
static void
put_duration(FILE *o, struct gk_proc *p, uint64_t now)
{
	uint64_t ns = now - p->tr_t0;

	if (p->k->tr->duration)
		fprintf(o, " <%llu.%06llu>", (unsigned long long)(ns / 1000000000ULL),
			(unsigned long long)(ns / 1000 % 1000000));
}

/* The line of a call that ended with ret (or its second half, when it said unfinished). */
static void
put_end(struct gk_proc *p, uint64_t nr, const uint64_t *a, long ret, uint64_t now)
{
	FILE *o = p->k->tr->out;

	if (p->tr_unfinished) {
		leader(o, p, now);
		fputs("<... ", o);
		put_name(o, nr);
		fputs(" resumed>", o);
		gk_trace_put_args(o, p, nr, a, ret, GK_TRACE_OUTPUT);
		fputc(')', o);
		p->tr_unfinished = 0;
	} else if (nr != __NR_execve) {
		leader(o, p, p->tr_t0);
		put_name(o, nr);
		fputc('(', o);
		gk_trace_put_args(o, p, nr, a, ret, GK_TRACE_ALL);
		fputc(')', o);
	}
	gk_trace_put_result(o, nr, a, ret);
	put_duration(o, p, now);
	fputc('\n', o);
	fflush(o);
}

/* A call went to sleep: with others around to print meanwhile, its start now. */
static void
put_unfinished(struct gk_proc *p, uint64_t nr, const uint64_t *a)
{
	FILE *o = p->k->tr->out;

	if (p->tr_unfinished || !several(p->k))
		return;
	leader(o, p, p->tr_t0);
	put_name(o, nr);
	fputc('(', o);
	gk_trace_put_args(o, p, nr, a, 0, GK_TRACE_INPUT);
	fputs(" <unfinished ...>\n", o);
	fflush(o);
	p->tr_unfinished = 1;
}

/*
 * gk_trace_syscall - run call nr of p, timed and counted, and print its
 * line if --trace shows it.
 */
void
gk_trace_syscall(struct gk_proc *p, uint64_t nr, const uint64_t *a)
{
	struct gk_trace *tr = p->k->tr;
	uint64_t t0 = gk_now_ns(CLOCK_MONOTONIC), t1;
	struct gk_sysacct *ac = &tr->acct[nr < GK_TRACE_NR ? nr : GK_TRACE_NR];
	int shown = tr->out && gk_trace_wanted(tr, nr), what;
	long ret;

	if (!p->sys_rerun) {
		p->tr_t0 = t0;
		p->tr_unfinished = 0;
	}
	if (shown && !p->sys_rerun &&
	    (nr == __NR_execve || nr == __NR_exit || nr == __NR_exit_group)) {
		leader(tr->out, p, t0);
		put_name(tr->out, nr);
		fputc('(', tr->out);
		gk_trace_put_args(tr->out, p, nr, a, 0, GK_TRACE_ALL);
		fputc(')', tr->out);
		if (nr != __NR_execve)
			fputs(" = ?\n", tr->out);
		fflush(tr->out);
	}
	what = gk_sys_dispatch(p, nr, a, &ret);
	t1 = gk_now_ns(CLOCK_MONOTONIC);
	ac->ns += t1 - t0;
	if (what == GK_SYS_BLOCKED) {
		if (shown)
			put_unfinished(p, nr, a);
		return;
	}
	ac->calls++;
	if (what == GK_SYS_DONE && ret < 0 && ret > -4096) {
		ac->errors++;
		if (ret == -ENOSYS)
			ac->enosys++;
	}
	if (!shown || nr == __NR_exit || nr == __NR_exit_group)
		return;
	if (what == GK_SYS_FINAL && nr != __NR_execve) {
		/* rt_sigreturn: what rax now holds is the interrupted code's. */
		put_end(p, nr, a, (long)p->regs.rax, t1);
		return;
	}
	put_end(p, nr, a, what == GK_SYS_FINAL ? 0 : ret, t1);
}

/*
 * gk_trace_interrupted - p's sleeping call was ended by a signal (its
 * result, or a restart, is in rax) or by its death.
 */
void
gk_trace_interrupted(struct gk_proc *p)
{
	struct gk_trace *tr = p->k->tr;
	uint64_t nr = p->sys_nr, now = gk_now_ns(CLOCK_MONOTONIC);
	struct gk_sysacct *ac;
	FILE *o = tr->out;

	ac = &tr->acct[nr < GK_TRACE_NR ? nr : GK_TRACE_NR];
	ac->calls++;
	if (!p->tg->exited && p->regs.rax != nr && (long)p->regs.rax < 0 &&
	    (long)p->regs.rax > -4096)
		ac->errors++; /* -EINTR, mostly */
	if (!o || !gk_trace_wanted(tr, nr))
		return;
	if (p->tr_unfinished) {
		leader(o, p, now);
		fputs("<... ", o);
		put_name(o, nr);
		fputs(" resumed>", o);
	} else {
		leader(o, p, p->tr_t0);
		put_name(o, nr);
		fputc('(', o);
		gk_trace_put_args(o, p, nr, p->sys_args, -EINTR, GK_TRACE_ALL);
	}
	p->tr_unfinished = 0;
	fputc(')', o);
	if (p->tg->exited)
		fputs(" = ?", o);
	else if (p->regs.rax == nr)
		fputs(" = ? ERESTARTSYS (To be restarted if SA_RESTART is set)", o);
	else
		gk_trace_put_result(o, nr, p->sys_args, (long)p->regs.rax);
	put_duration(o, p, now);
	fputc('\n', o);
	fflush(o);
}

/* The exec gk_run made for pid 1, as strace shows the one it started with. */
void
gk_trace_first_exec(struct gk_proc *p, const char *prog, char *const *argv, char *const *envp)
{
	struct gk_trace *tr = p->k->tr;
	int i, n;

	if (!tr || !tr->out || !gk_trace_wanted(tr, __NR_execve))
		return;
	for (n = 0; envp[n]; n++)
		;
	leader(tr->out, p, gk_now_ns(CLOCK_MONOTONIC));
	fprintf(tr->out, "execve(\"%s\", [", prog);
	for (i = 0; argv[i]; i++)
		fprintf(tr->out, "%s\"%s\"", i ? ", " : "", argv[i]);
	fprintf(tr->out, "], %p /* %d vars */) = 0\n", (void *)envp, n);
	fflush(tr->out);
}

/* k->trace_signal: "--- SIGCHLD {si_signo=SIGCHLD, ...} ---" as p takes a signal. */
static void
trace_signal(struct gk_proc *p, const struct gk_siginfo *si)
{
	FILE *o = p->k->tr->out;
	char buf[16];

	if (!o)
		return;
	leader(o, p, gk_now_ns(CLOCK_MONOTONIC));
	fprintf(o, "--- %s ", gk_trace_signame(si->signo, buf, sizeof(buf)));
	gk_trace_put_siginfo(o, si);
	fputs(" ---\n", o);
	fflush(o);
}

/* k->trace_exit: "+++ exited with N +++" or "+++ killed by SIGxxx +++" as p's process ends. */
static void
trace_exit(struct gk_proc *p, int wstatus)
{
	FILE *o = p->k->tr->out;
	char buf[16];

	if (!o)
		return;
	/* The process ends, whichever of its threads ends it: strace names its pid. */
	leader_id(o, p, p->tg->gpid, gk_now_ns(CLOCK_MONOTONIC));
	if (WIFEXITED(wstatus))
		fprintf(o, "+++ exited with %d +++\n", WEXITSTATUS(wstatus));
	else
		fprintf(o, "+++ killed by %s%s +++\n",
			gk_trace_signame(WTERMSIG(wstatus), buf, sizeof(buf)),
			WCOREDUMP(wstatus) ? " (core dumped)" : "");
	fflush(o);
}

/*
 * gk_trace_init - set k->tr up for cfg's --trace, --trace-summary and
 * --stats, or leave it NULL when none is on.
 */
int
gk_trace_init(struct gk_kernel *k, const struct gk_config *cfg)
{
	struct gk_trace *tr;
	int err;

	if (!cfg->trace && !cfg->trace_summary && !cfg->stats)
		return 0;
	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return -ENOMEM;
	tr->out = cfg->trace_summary && !cfg->trace ? NULL : cfg->trace;
	if (cfg->trace_summary)
		tr->sum_out = cfg->trace ? cfg->trace : stderr;
	tr->stats = cfg->stats;
	tr->stats_out = cfg->stats_out ? cfg->stats_out : stderr;
	tr->time = cfg->trace_time;
	tr->duration = cfg->trace_duration;
	tr->strsize = cfg->trace_strsize < 0 ? 0 : cfg->trace_strsize ? cfg->trace_strsize : 32;
	tr->fdpaths = cfg->trace_fdpaths;
	err = gk_trace_filter_parse(tr, cfg->trace_filter);
	if (err < 0) {
		free(tr);
		return err;
	}
	if (tr->time)
		tzset(); /* now: once confined, uvk may not read /etc/localtime */
	k->tr = tr;
	k->trace = tr->out;
	if (tr->out) {
		k->trace_signal = trace_signal;
		k->trace_exit = trace_exit;
	}
	return 0;
}

/* gk_trace_fini - the summary and the stats, then k->tr goes. */
void
gk_trace_fini(struct gk_kernel *k, uint64_t wall_ns)
{
	struct gk_trace *tr = k->tr;

	if (!tr)
		return;
	if (tr->out)
		fflush(tr->out);
	if (tr->sum_out)
		gk_trace_summary(k);
	if (tr->stats)
		gk_trace_stats(k, wall_ns);
	k->trace_signal = NULL;
	k->trace_exit = NULL;
	k->tr = NULL;
	k->trace = NULL;
	free(tr);
}
