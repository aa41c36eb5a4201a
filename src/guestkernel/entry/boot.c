/*
 * boot.c - boot and gk_run() for the command.
 *
 * Layer src/guestkernel/entry. Owns the one pmem and the kernel state; builds the
 * first guest process (pid 1) and hands the CPU to the run loop (sched.c)
 * until pid 1 exits; every other process dies with it.
 *
 * Must not: print anything but one-line "uvk: " messages and --trace/--stats output.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"

static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * Find prog as execvp does: a name with a slash is used as is, otherwise
 * each PATH directory in turn; one that exists but is not executable is
 * remembered as -EACCES. Returns 0 with the guest path in out.
 */
static int
find_program(struct gk_proc *p, const char *prog, char *const *envp, char *out)
{
	const char *path = env_get(envp, "PATH"), *s, *e;
	int err = -ENOENT;

	if (prog[0] == '\0')
		return -ENOENT;
	if (strchr(prog, '/')) {
		snprintf(out, GK_PATH_MAX, "%s", prog);
		return 0;
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (s = path;; s = e + 1) {
		struct gk_path gp;
		struct stat st;

		e = strchrnul(s, ':');
		snprintf(out, GK_PATH_MAX, "%.*s%s%s", (int)(e - s), s, e > s ? "/" : "", prog);
		if (gk_path_resolve(p, AT_FDCWD, out, GK_LOOKUP_FOLLOW, &gp) == 0 &&
		    gk_vfs_stat(p, &gp, 1, &st) == 0) {
			if (S_ISREG(st.st_mode) && (st.st_mode & 0111))
				return 0;
			err = -EACCES;
		}
		if (*e == '\0')
			break;
	}
	return err;
}

/* Make path (a directory) p's cwd. Returns 0 or a negative errno. */
static int
set_cwd(struct gk_proc *p, const struct gk_path *path)
{
	struct gk_dentry *d;
	int err = gk_dentry_at(p->k, path, &d);

	if (err < 0)
		return err;
	gk_dentry_put(p->fs->cwd);
	p->fs->cwd = d;
	return 0;
}

static struct gk_proc *
proc_new(struct gk_kernel *k, const struct gk_config *cfg, mode_t umask_)
{
	struct gk_proc *p = gk_proc_alloc(k, NULL);
	int i;

	if (!p)
		return NULL;
	p->fs = gk_fsctx_new(k->droot, umask_);
	p->sighand = gk_sighand_new();
	p->tg->exe = strdup("");
	p->fdt = gk_fdt_new();
	if (!p->fs || !p->sighand || !p->tg->exe || !p->fdt)
		return NULL;
	for (i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &p->tg->rlim[i]);
	p->tg->rlim[RLIMIT_STACK].rlim_cur = 8u << 20;
	p->tg->rlim[RLIMIT_NOFILE].rlim_cur = GK_NFD;
	p->tg->rlim[RLIMIT_NOFILE].rlim_max = GK_NFD;
	p->tg->rlim[RLIMIT_AS].rlim_cur = p->tg->rlim[RLIMIT_AS].rlim_max = RLIM_INFINITY;
	/* What uvk inherited ignored, pid 1 inherits ignored, as through execve. */
	for (i = 1; i < GK_NSIG; i++)
		if (k->host_ignored & gk_sigbit(i))
			p->sighand->action[i].handler = (uint64_t)SIG_IGN;
	/*
	 * Descriptors 0, 1, 2 are uvk's own; one that was closed when uvk
	 * started (src/cli put /dev/null there) stays closed in the guest.
	 */
	for (i = 0; i < 3; i++) {
		int hfd, fl;
		struct gk_file *f;

		if (cfg->std_closed & (1u << i))
			continue;
		hfd = fcntl(i, F_DUPFD_CLOEXEC, 3);
		if (hfd < 0)
			continue;
		fl = fcntl(hfd, F_GETFL);
		f = gk_file_new(k, &gk_console_ops, hfd, fl & (O_ACCMODE | O_APPEND),
				i == 0	 ? "/dev/stdin"
				: i == 1 ? "/dev/stdout"
					 : "/dev/stderr");
		if (!f) {
			close(hfd);
			continue;
		}
		p->fdt->f[i] = f;
	}
	return p;
}

/* Free every process left, pid 1 last. */
static void
procs_free(struct gk_kernel *k)
{
	while (k->procs && k->procs != k->init)
		gk_proc_free(k->procs);
	while (k->procs && k->procs->next)
		gk_proc_free(k->procs->next);
	gk_proc_free(k->procs);
}

static void
print_stats(struct gk_kernel *k, uint64_t wall_ns)
{
	const struct uvk_stats *l = &k->lib;
	int fds, fds_peak;
	long rss;

	fprintf(stderr,
		"uvk: stats: %llu syscalls (%llu ENOSYS), page faults: %llu resolved by the "
		"shortcut, %llu forwarded, %llu handled by the guest kernel (%llu pages filled), "
		"%llu host map calls in %llu batches (%llu host map-count resets), "
		"%llu pages mapped, %llu ptrace stops, "
		"guest memory peak %llu KiB of %llu KiB, wall %.3f s\n",
		(unsigned long long)k->st.syscalls, (unsigned long long)k->st.enosys,
		(unsigned long long)l->faults_resolved, (unsigned long long)l->faults_forwarded,
		(unsigned long long)k->st.faults, (unsigned long long)k->st.fault_pages,
		(unsigned long long)l->map_calls, (unsigned long long)l->batches,
		(unsigned long long)l->map_resets,
		(unsigned long long)l->pages_mapped, (unsigned long long)l->stops,
		(unsigned long long)(k->pa->peak_used * GK_PAGE / 1024),
		(unsigned long long)(k->pa->npages * GK_PAGE / 1024), (double)wall_ns / 1e9);
	gk_tracer_usage(k, &rss, &fds, &fds_peak);
	fprintf(stderr,
		"uvk: stats: tracer peak RSS %ld KiB, descriptors %d (peak %d), kernel heap charged "
		"to the guest peak %llu KiB, tmpfs lookups %llu comparing %llu entries\n",
		rss, fds, fds_peak, (unsigned long long)(k->kmem_peak / 1024),
		(unsigned long long)k->tmpfs_lookups, (unsigned long long)k->tmpfs_probes);
}

/*
 * Exec errors that mean the program, not uvk, is at fault: what env(1)
 * exits with when its execvp fails so (127 not found, 126 for the rest).
 * ENOMEM is the program's too: an image larger than guest RAM allows.
 */
static int
exec_status(int err)
{
	switch (-err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
		return GK_EXIT_NOTFOUND;
	case EACCES:
	case EPERM:
	case ENOEXEC:
	case ELIBBAD:
	case E2BIG:
	case EISDIR:
	case ETXTBSY:
	case ENOMEM:
		return GK_EXIT_NOEXEC;
	}
	return GK_EXIT_INTERNAL;
}

int
gk_run(const struct gk_config *cfg)
{
	uint64_t t0 = gk_now_ns(CLOCK_MONOTONIC);
	char prog[GK_PATH_MAX];
	struct gk_kernel *k = calloc(1, sizeof(*k));
	struct gk_proc *p = NULL;
	struct gk_path wd;
	struct rlimit nofile;
	struct stat st;
	int status = GK_EXIT_INTERNAL, err;
	mode_t um = umask(0);

	if (!k)
		return GK_EXIT_INTERNAL;
	k->epfd = k->kick_fd = -1;
	gk_console_note_ignored(k);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	k->cfg = cfg;
	k->boot_ns = gk_now_ns(CLOCK_MONOTONIC);
	k->boot_realtime_ns = gk_now_ns(CLOCK_REALTIME);
	if ((err = gk_trace_init(k, cfg)) < 0) {
		if (err != -EINVAL)
			fprintf(stderr, "uvk: out of memory\n");
		goto out;
	}
	k->uid = getuid();
	k->gid = getgid();
	k->pm = uvk_pmem_create(cfg->memory);
	if (!k->pm) {
		fprintf(stderr, "uvk: cannot create %llu bytes of guest memory: %s\n",
			(unsigned long long)cfg->memory, strerror(errno));
		goto out;
	}
	k->vmem = uvk_pmem_vpt(k->pm);
	k->ram = uvk_pmem_base(k->pm);
	k->pa = calloc(1, sizeof(*k->pa));
	if (!k->pa || gk_palloc_init(k->pa, k->pm) < 0) {
		fprintf(stderr, "uvk: out of memory\n");
		goto out;
	}
	k->kmem_max = k->pa->npages * GK_PAGE / GK_KMEM_DIV;
	k->fp_scratch = aligned_alloc(64, sizeof(*k->fp_scratch));
	if (!k->fp_scratch) {
		fprintf(stderr, "uvk: out of memory\n");
		goto out;
	}
	if (gk_vfs_init(k, cfg) < 0)
		goto out;
	if ((err = gk_console_init(k)) < 0) {
		fprintf(stderr, "uvk: cannot set up the console: %s\n", strerror(-err));
		goto out;
	}
	p = proc_new(k, cfg, um);
	if (!p) {
		fprintf(stderr, "uvk: out of memory\n");
		goto out;
	}
	k->init = p;
	if (cfg->workdir) {
		if ((err = gk_path_resolve(p, AT_FDCWD, cfg->workdir, GK_LOOKUP_FOLLOW, &wd)) < 0 ||
		    (err = gk_vfs_stat(p, &wd, 1, &st)) < 0 ||
		    (err = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR) || (err = set_cwd(p, &wd)) < 0) {
			fprintf(stderr, "uvk: cannot use workdir %s: %s\n", cfg->workdir,
				strerror(-err));
			goto out;
		}
	} else if (strcmp(cfg->root, "/") == 0 && getcwd(prog, sizeof(prog)) &&
		   gk_path_resolve(p, AT_FDCWD, prog, GK_LOOKUP_FOLLOW, &wd) == 0 &&
		   wd.mnt->kind == GK_MNT_HOST &&
		   wd.mnt != k->tmp_mnt && gk_vfs_stat(p, &wd, 1, &st) == 0 &&
		   S_ISDIR(st.st_mode)) {
		/*
		 * With the host's own root, stay where the user is, as env(1)
		 * would; not inside the host's /tmp, which the guest's private
		 * /tmp hides.
		 */
		set_cwd(p, &wd);
	}
	if (cfg->confine && (err = cfg->confine(cfg->confine_arg)) < 0) {
		fprintf(stderr, "uvk: cannot confine the tracer: %s\n", strerror(-err));
		goto out;
	}
	if ((err = gk_cpus_init(k, cfg->ncpus, cfg->cpu_map)) < 0) {
		fprintf(stderr, "uvk: cannot start %d virtual CPUs: %s\n", cfg->ncpus,
			strerror(-err));
		goto out;
	}
	err = find_program(p, cfg->argv[0], cfg->envp, prog);
	if (err == 0)
		err = gk_exec(p, prog, cfg->argv, cfg->envp);
	if (err < 0) {
		struct gk_path gp;
		/* The host's /tmp is not the guest's: say so when that is the likely cause. */
		int in_tmp = err == -ENOENT && strchr(cfg->argv[0], '/') &&
			     gk_path_resolve(p, AT_FDCWD, cfg->argv[0], GK_LOOKUP_FOLLOW, &gp) == 0 &&
			     gp.mnt == k->tmp_mnt;

		fprintf(stderr, "uvk: %s: %s%s\n", cfg->argv[0],
			err == -ENOEXEC
			    ? "Exec format error (not an x86-64 ELF executable or script)"
			    : strerror(-err),
			in_tmp ? " (the guest's /tmp is its own: --bind a host directory instead)"
			       : "");
		status = exec_status(err);
		goto out;
	}
	/* The first exec happened in here, not in a syscall: show it as strace would. */
	gk_trace_first_exec(p, prog, cfg->argv, cfg->envp);
	err = gk_sched_run(k);
	if (err < 0) {
		fprintf(stderr, "uvk: host failure while running the guest: %s\n", strerror(-err));
		goto out;
	}
	/* An exec from another thread may have made that task pid 1's leader (gk_dethread). */
	p = k->init;
	if (WIFEXITED(p->tg->wstatus)) {
		status = WEXITSTATUS(p->tg->wstatus);
	} else {
		status = 128 + WTERMSIG(p->tg->wstatus);
	}
out:
	if (k->tr)
		gk_trace_snapshot(k);
	gk_cpus_fini(k);
	gk_console_fini(k);
	procs_free(k);
	gk_net_fini(k);
	if (k->trace)
		fflush(k->trace);
	if (cfg->stats == 1)
		print_stats(k, gk_now_ns(CLOCK_MONOTONIC) - t0);
	gk_trace_fini(k, gk_now_ns(CLOCK_MONOTONIC) - t0);
	gk_vfs_fini(k);
	if (k->pa)
		gk_palloc_fini(k->pa);
	free(k->pa);
	free(k->fp_scratch);
	uvk_pmem_free(k->pm);
	free(k);
	umask(um);
	return status;
}
