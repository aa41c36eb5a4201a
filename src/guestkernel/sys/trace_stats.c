/*
 * trace_stats.c - what uvk prints of the guest's calls at exit: the
 * --trace-summary table (strace -c) and --stats' per-call lines, or the
 * whole of --stats as one JSON object (--stats=json).
 *
 * Layer src/guestkernel/sys, trace only. Reads the counters trace.c kept
 * in k->tr, and the kernel's and the library's own (k->st, k->lib).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "trace_impl.h"

/* The rows of the table: call numbers with at least one call, by time then calls. */
struct row {
	int nr;
	const struct gk_sysacct *ac;
};

static int
by_time(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->ac->ns != b->ac->ns)
		return a->ac->ns < b->ac->ns ? 1 : -1;
	if (a->ac->calls != b->ac->calls)
		return a->ac->calls < b->ac->calls ? 1 : -1;
	return a->nr - b->nr;
}

static int
by_calls(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->ac->calls != b->ac->calls)
		return a->ac->calls < b->ac->calls ? 1 : -1;
	return by_time(x, y);
}

/* Rows for the calls with a count (those the filter shows, if filtered); NULL if none. */
static struct row *
rows(const struct gk_trace *tr, int filtered, int (*cmp)(const void *, const void *), int *ret_n)
{
	struct row *r = calloc(GK_TRACE_NR + 1, sizeof(*r));
	int nr, n = 0;

	*ret_n = 0;
	if (!r)
		return NULL;
	for (nr = 0; nr <= GK_TRACE_NR; nr++) {
		if (!tr->acct[nr].calls || (filtered && !gk_trace_wanted(tr, (uint64_t)nr)))
			continue;
		r[n].nr = nr;
		r[n].ac = &tr->acct[nr];
		n++;
	}
	qsort(r, (size_t)n, sizeof(*r), cmp);
	*ret_n = n;
	return r;
}

static const char *
row_name(int nr, char *buf, size_t len)
{
	if (nr == GK_TRACE_NR) {
		snprintf(buf, len, "syscall_%d+", GK_TRACE_NR);
		return buf;
	}
	return gk_trace_name((uint64_t)nr, buf, len);
}

/*
 * gk_trace_summary - strace -c's table: the share of time, seconds,
 * microseconds a call, calls, errors and name of each call the filter
 * shows, most time first, and the total.
 */
void
gk_trace_summary(struct gk_kernel *k)
{
	static const char rule[] = "------ ----------- ----------- --------- --------- ----------------\n";
	struct gk_trace *tr = k->tr;
	FILE *o = tr->sum_out;
	uint64_t ns = 0, calls = 0, errors = 0;
	char buf[40];
	struct row *r;
	int n, i;

	r = rows(tr, 1, by_time, &n);
	if (!r)
		return;
	for (i = 0; i < n; i++) {
		ns += r[i].ac->ns;
		calls += r[i].ac->calls;
		errors += r[i].ac->errors;
	}
	fputs("% time     seconds  usecs/call     calls    errors syscall\n", o);
	fputs(rule, o);
	for (i = 0; i < n; i++) {
		const struct gk_sysacct *ac = r[i].ac;

		fprintf(o, "%6.2f %11.6f %11llu %9llu ", ns ? 100.0 * (double)ac->ns / (double)ns : 0.0,
			(double)ac->ns / 1e9, (unsigned long long)(ac->ns / 1000 / ac->calls),
			(unsigned long long)ac->calls);
		if (ac->errors)
			fprintf(o, "%9llu", (unsigned long long)ac->errors);
		else
			fputs("         ", o);
		fprintf(o, " %s\n", row_name(r[i].nr, buf, sizeof(buf)));
	}
	fputs(rule, o);
	fprintf(o, "%6.2f %11.6f %11llu %9llu ", 100.0, (double)ns / 1e9,
		(unsigned long long)(calls ? ns / 1000 / calls : 0), (unsigned long long)calls);
	if (errors)
		fprintf(o, "%9llu", (unsigned long long)errors);
	else
		fputs("         ", o);
	fputs(" total\n", o);
	fflush(o);
	free(r);
}

/* gk_trace_i386 - an int $0x80 call (always -ENOSYS), for --stats. */
void
gk_trace_i386(struct gk_proc *p)
{
	p->k->tr->i386_calls++;
}

/*
 * gk_trace_snapshot - the guest's CPU time, while the vCPUs still exist:
 * user, the time guest code ran on them; system, the tracer's own CPU
 * time (the guest kernel's work for the guest, ptrace stops included).
 */
void
gk_trace_snapshot(struct gk_kernel *k)
{
	struct rusage ru;
	int i;

	k->tr->user_ns = 0;
	for (i = 0; k->cpus && i < k->ncpus; i++)
		k->tr->user_ns += k->cpus[i].user_ns;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		k->tr->sys_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
				(uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/* A JSON string of a call name: the names are [a-z0-9_+], nothing to escape. */
static void
json_calls(FILE *o, const struct gk_trace *tr, const struct row *r, int n, int enosys)
{
	char buf[40];
	int i, first = 1;

	for (i = 0; i < n; i++) {
		const struct gk_sysacct *ac = r[i].ac;

		if (enosys && !ac->enosys)
			continue;
		fprintf(o, "%s\"%s\": ", first ? "" : ", ", row_name(r[i].nr, buf, sizeof(buf)));
		first = 0;
		if (enosys)
			fprintf(o, "%llu", (unsigned long long)ac->enosys);
		else
			fprintf(o, "{\"calls\": %llu, \"errors\": %llu, \"seconds\": %.9f}",
				(unsigned long long)ac->calls, (unsigned long long)ac->errors,
				(double)ac->ns / 1e9);
	}
	(void)tr;
}

static void
stats_json(struct gk_kernel *k, uint64_t wall_ns, const struct row *r, int n)
{
	const struct uvk_stats *l = &k->lib;
	struct gk_trace *tr = k->tr;
	FILE *o = tr->stats_out;
	int fds, fds_peak;
	long rss;

	gk_tracer_usage(k, &rss, &fds, &fds_peak);
	fprintf(o,
		"{\"syscalls\": %llu, \"enosys\": %llu, \"i386_syscalls\": %llu, "
		"\"wall_seconds\": %.6f, \"guest_user_seconds\": %.6f, "
		"\"guest_system_seconds\": %.6f, ",
		(unsigned long long)k->st.syscalls, (unsigned long long)k->st.enosys,
		(unsigned long long)tr->i386_calls, (double)wall_ns / 1e9,
		(double)tr->user_ns / 1e9, (double)tr->sys_ns / 1e9);
	fprintf(o,
		"\"page_faults\": {\"shortcut\": %llu, \"forwarded\": %llu, \"guest_kernel\": %llu, "
		"\"pages_filled\": %llu}, \"host_map_calls\": %llu, \"map_batches\": %llu, "
		"\"map_count_resets\": %llu, \"pages_mapped\": %llu, \"ptrace_stops\": %llu, "
		"\"guest_memory_peak_kib\": %llu, \"guest_memory_kib\": %llu, "
		"\"tracer_peak_rss_kib\": %ld, \"tracer_fds\": %d, \"tracer_fds_peak\": %d, "
		"\"kernel_heap_peak_kib\": %llu, ",
		(unsigned long long)l->faults_resolved, (unsigned long long)l->faults_forwarded,
		(unsigned long long)k->st.faults, (unsigned long long)k->st.fault_pages,
		(unsigned long long)l->map_calls, (unsigned long long)l->batches,
		(unsigned long long)l->map_resets, (unsigned long long)l->pages_mapped,
		(unsigned long long)l->stops,
		(unsigned long long)(k->pa ? k->pa->peak_used * GK_PAGE / 1024 : 0),
		(unsigned long long)(k->pa ? k->pa->npages * GK_PAGE / 1024 : 0), rss, fds, fds_peak,
		(unsigned long long)(k->kmem_peak / 1024));
	fputs("\"per_syscall\": {", o);
	json_calls(o, tr, r, n, 0);
	fputs("}, \"enosys_calls\": {", o);
	json_calls(o, tr, r, n, 1);
	fputs("}}\n", o);
	fflush(o);
}

/*
 * gk_trace_stats - --stats' part about calls: the guest's CPU time, the 20
 * calls made most often (with their time and errors), the calls the guest
 * kernel does not implement by name; or everything as one JSON object.
 */
void
gk_trace_stats(struct gk_kernel *k, uint64_t wall_ns)
{
	struct gk_trace *tr = k->tr;
	char buf[40];
	struct row *r;
	int n, i, shown = 0;

	r = rows(tr, 0, by_calls, &n);
	if (!r)
		return;
	if (tr->stats == 2) {
		stats_json(k, wall_ns, r, n);
		free(r);
		return;
	}
	fprintf(stderr,
		"uvk: stats: guest CPU: user %.3f s (guest code), system %.3f s (uvk's own: "
		"the guest kernel and the host's ptrace work)\n",
		(double)tr->user_ns / 1e9, (double)tr->sys_ns / 1e9);
	fprintf(stderr, "uvk: stats: top syscalls (of %d called): calls errors seconds name\n", n);
	for (i = 0; i < n && i < 20; i++)
		fprintf(stderr, "uvk: stats: %9llu %6llu %10.6f %s\n",
			(unsigned long long)r[i].ac->calls, (unsigned long long)r[i].ac->errors,
			(double)r[i].ac->ns / 1e9, row_name(r[i].nr, buf, sizeof(buf)));
	fputs("uvk: stats: ENOSYS calls:", stderr);
	for (i = 0; i < n; i++) {
		if (!r[i].ac->enosys)
			continue;
		fprintf(stderr, " %s %llu", row_name(r[i].nr, buf, sizeof(buf)),
			(unsigned long long)r[i].ac->enosys);
		shown = 1;
	}
	if (tr->i386_calls) {
		fprintf(stderr, " int0x80 %llu", (unsigned long long)tr->i386_calls);
		shown = 1;
	}
	fputs(shown ? "\n" : " none\n", stderr);
	free(r);
}
