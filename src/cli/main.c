/*
 * main.c - the uvk command: options, environment, exit status.
 *
 * Layer src/cli, above src/guestkernel. Parses the command line as proot or
 * bwrap users expect, builds a gk_config and hands it to gk_run(), whose
 * result is our exit status: the guest's status, 128+N for a signal, 125
 * for our own errors (bad options included), 126/127 for a program that
 * cannot be run or found, as env(1) does.
 *
 * Before the guest runs, the tracer confines itself (uvk_confine): it may
 * then read only the guest's root, write only the binds, and make only the
 * host calls the guest kernel needs.
 *
 * Must not: know anything of the guest kernel beyond guestkernel.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvk/uvk.h>

#include "guestkernel/guestkernel.h"

extern char **environ;

static void
usage(FILE *o)
{
	fputs(
	    "Usage: uvk [OPTIONS] [--] PROGRAM [ARG...]\n"
	    "Run an unmodified static x86-64 Linux PROGRAM in a user-space virtual kernel.\n"
	    "\n"
	    "  -m, --memory SIZE      guest RAM (suffix K, M or G; default 512M)\n"
	    "  -c, --cpus N           virtual CPUs, each a tracer thread pinned to one of\n"
	    "                         uvk's host CPUs (default: $UVK_CPUS, else as many\n"
	    "                         as uvk's affinity mask has: taskset limits it)\n"
	    "  -r, --root DIR         host directory that is the guest's / (read-only; default /)\n"
	    "  -b, --bind HOST[:GUEST]  a writable host directory, at GUEST (default: same path)\n"
	    "  -w, --workdir DIR      the guest's working directory (default: the current\n"
	      "                         directory when the root is /, else /)\n"
	    "  -E, --env NAME=VALUE   set a variable in the guest's environment\n"
	    "  -u, --unset NAME       remove a variable from the guest's environment\n"
	    "  -i, --clean-env        start from an empty environment (alias "
	    "--ignore-environment)\n"
	    /* trace: the --trace and --stats options (union merge with cli's edits). */
	    "      --trace[=FILE]     print each guest syscall, decoded as strace -f does,\n"
	    "                         to stderr or FILE; '--trace FILE PROGRAM' works too\n"
	    "                         when FILE is not itself a program uvk could run\n"
	    "      --trace-filter=EXPR  only the calls EXPR names (strace's -e trace=):\n"
	    "                         [!]ITEM[,ITEM...], ITEM a call name, %file,\n"
	    "                         %process, %network, %signal, %memory, %desc, all,\n"
	    "                         none or /REGEX; ! shows the calls the rest does not\n"
	    "      --trace-summary    at exit, calls, errors and time per syscall\n"
	    "                         (strace -c), to the --trace FILE if given, else\n"
	    "                         stderr; without --trace, no call lines\n"
	    "      --trace-time       start each line with the time of day in\n"
	    "                         microseconds (strace -tt)\n"
	    "      --trace-duration   end each line with the call's duration <s.us>\n"
	    "                         (strace -T)\n"
	    "      --trace-strsize=N  show at most N bytes of a buffer (strace -s; 32)\n"
	    "      --trace-fd-paths   show descriptors with their path, 3</etc/passwd>\n"
	    "                         (strace -y)\n"
	    "      --stats[=json[:FILE]]  print counters at exit: the syscalls made most,\n"
	    "                         guest CPU time, ENOSYS calls by name, how uvk is\n"
	    "                         confined; =json: one JSON object instead, on\n"
	    "                         stderr or FILE\n"
	    "      --no-confine       do not confine uvk itself (Landlock, seccomp): debugging\n"
	    "  -h, --help             this help\n"
	    "      --version          the version of uvk and of libuvk\n"
	    "\n"
	    "Exit status: the program's, 128+N if signal N killed it, 125 if uvk failed,\n"
	    "126 if PROGRAM cannot be executed, 127 if it was not found.\n"
	    "The guest's /tmp is a tmpfs in guest RAM (at most half of it), empty at start.\n",
	    o);
}

static int
bad_usage(const char *fmt, const char *arg)
{
	fputs("uvk: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see uvk --help)\n", stderr);
	return GK_EXIT_INTERNAL;
}

/* "512M" -> bytes; 0 for garbage. */
static uint64_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	case '\0':
		break;
	default:
		return 0;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end || v > (1ULL << 40) / mult)
		return 0;
	return v * mult;
}

/* The guest environment: a growing vector of "NAME=VALUE". */
struct env {
	char **v;
	size_t n, cap;
};

static int
env_unset(struct env *e, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=') {
			memmove(&e->v[i], &e->v[i + 1], (e->n - i) * sizeof(char *));
			e->n--;
			return 1;
		}
	}
	return 0;
}

static int
env_put(struct env *e, char *kv)
{
	char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return -1;
	env_unset(e, kv, (size_t)(eq - kv));
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
	return 0;
}

/*
 * Put /dev/null on each of descriptors 0, 1, 2 that is closed, before
 * anything else opens a descriptor: otherwise the guest's RAM (a memfd) or
 * a pipe of the tracer's would land there and become the guest's console.
 * Returns the mask of those that were closed, or -1 if /dev/null would not
 * open (nothing is safe then).
 */
static int
reserve_std_fds(void)
{
	int fd, nfd, mask = 0;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor is fd: those below it are open. */
		nfd = open("/dev/null", O_RDWR);
		if (nfd != fd) {
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
		mask |= 1 << fd;
	}
	return mask;
}

/* What the tracer may still reach once confined: filled by main, read by confine(). */
struct confinement {
	const char *read[4];
	const char *write[GK_MAX_BINDS + 1];
	int enabled;
	int done;
	struct uvk_confine_status status;
};

/* gk_config.confine: called by gk_run() once the kernel is set up. */
static int
confine(void *arg)
{
	struct confinement *c = arg;
	struct uvk_confine_rules rules = {.read = c->read, .write = c->write};
	int err;

	if (!c->enabled)
		return 0;
	err = uvk_confine(&rules, &c->status);
	if (err == 0)
		c->done = 1;
	return err;
}

static void
print_confinement(const struct confinement *c, int nbinds)
{
	if (!c->done) {
		fputs("uvk: confinement: none (--no-confine)\n", stderr);
		return;
	}
	if (c->status.landlock_abi > 0)
		fprintf(stderr,
			"uvk: confinement: landlock ABI %d: read beneath %s, /proc/self, "
			"/proc/cpuinfo; write beneath %d bind(s); no TCP, no signal outside; ",
			c->status.landlock_abi, c->read[0], nbinds);
	else
		fputs("uvk: confinement: landlock not available on this kernel (no file rules); ",
		      stderr);
	fprintf(stderr, "seccomp filter %s\n",
		c->status.seccomp ? "loaded (forbidden calls kill uvk)" : "not loaded");
}

enum {
	OPT_TRACE = 256,
	OPT_STATS,
	OPT_VERSION,
	OPT_NO_CONFINE,
	/* trace: */
	OPT_TRACE_FILTER,
	OPT_TRACE_SUMMARY,
	OPT_TRACE_TIME,
	OPT_TRACE_DURATION,
	OPT_TRACE_STRSIZE,
	OPT_TRACE_FDPATHS,
};

/*
 * trace: --trace given without "=FILE": is the next word a trace file, so
 * that "--trace out.txt ls" traces ls into out.txt, while "--trace ls -l"
 * and "--trace busybox echo" still trace the program? It is a file when a
 * program follows it and the word is not itself one uvk could run: not an
 * executable file, by the path it names or in PATH, as exec would look.
 */
static int
trace_file_word(char **argv, int optind_now, int argc)
{
	const char *w = optind_now < argc ? argv[optind_now] : NULL, *path;
	char buf[4096];
	struct stat st;

	if (!w || !*w || w[0] == '-' || optind_now + 1 >= argc)
		return 0;
	if (strchr(w, '/'))
		return !(stat(w, &st) == 0 && S_ISREG(st.st_mode) && access(w, X_OK) == 0);
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", w) <
			(int)sizeof(buf) &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		path += n;
		if (*path == ':')
			path++;
	}
	return 1;
}

static FILE *
open_out(const char *what, const char *name)
{
	FILE *f = fopen(name, "we");

	if (!f)
		fprintf(stderr, "uvk: cannot open %s file %s: %s\n", what, name, strerror(errno));
	return f;
}

/*
 * The host CPU of each vCPU: the CPUs of uvk's own affinity mask in order
 * (taskset and cgroups limit uvk as users expect), round robin when there
 * are more vCPUs than CPUs. One vCPU is not pinned: it runs where the host
 * puts it, as before there were several.
 */
static void
map_cpus(struct gk_config *cfg)
{
	int allowed[64], n = 0, i;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE && n < 64; i++)
			if (CPU_ISSET(i, &set))
				allowed[n++] = i;
	if (cfg->ncpus < 1) {
		/*
		 * No --cpus: UVK_CPUS (so that a whole test suite can run on N
		 * vCPUs), else one vCPU per CPU uvk may run on.
		 */
		const char *e = getenv("UVK_CPUS");
		char *end;
		long v = e ? strtol(e, &end, 10) : 0;

		if (e && *e && !*end && v >= 1 && v <= 64)
			cfg->ncpus = (int)v;
		else
			cfg->ncpus = n > 0 ? n : 1;
	}
	for (i = 0; i < cfg->ncpus; i++)
		cfg->cpu_map[i] = cfg->ncpus > 1 && n ? allowed[i % n] : -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"memory", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"root", required_argument, NULL, 'r'},
	    {"bind", required_argument, NULL, 'b'},
	    {"workdir", required_argument, NULL, 'w'},
	    {"env", required_argument, NULL, 'E'},
	    {"unset", required_argument, NULL, 'u'},
	    {"clean-env", no_argument, NULL, 'i'},
	    {"ignore-environment", no_argument, NULL, 'i'},
	    {"trace", optional_argument, NULL, OPT_TRACE},
	    {"stats", optional_argument, NULL, OPT_STATS},
	    /* trace: */
	    {"trace-filter", required_argument, NULL, OPT_TRACE_FILTER},
	    {"trace-summary", no_argument, NULL, OPT_TRACE_SUMMARY},
	    {"trace-time", no_argument, NULL, OPT_TRACE_TIME},
	    {"trace-duration", no_argument, NULL, OPT_TRACE_DURATION},
	    {"trace-strsize", required_argument, NULL, OPT_TRACE_STRSIZE},
	    {"trace-fd-paths", no_argument, NULL, OPT_TRACE_FDPATHS},
	    {"no-confine", no_argument, NULL, OPT_NO_CONFINE},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	struct gk_config cfg = {.memory = 512ULL << 20, .root = "/"};
	char *sets[256], *unsets[256];
	int nsets = 0, nunsets = 0, clean = 0, c, i, status;
	struct env env = {0};
	struct confinement conf = {.enabled = 1};
	struct stat st;
	int closed = reserve_std_fds();

	if (closed < 0)
		return GK_EXIT_INTERNAL; /* and no stderr to say so, most likely */
	cfg.std_closed = (unsigned)closed;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:c:r:b:w:E:u:ih", opts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 1 || n > 64)
				return bad_usage("invalid number of CPUs '%s' (1 to 64)", optarg);
			cfg.ncpus = (int)n;
			break;
		}
		case 'm':
			cfg.memory = parse_size(optarg);
			if (cfg.memory < (4ULL << 20))
				return bad_usage("invalid memory size '%s' (at least 4M)", optarg);
			break;
		case 'r':
			cfg.root = optarg;
			break;
		case 'b': {
			char *colon = strchr(optarg, ':');

			if (cfg.nbinds == GK_MAX_BINDS)
				return bad_usage("too many --bind options%s", "");
			if (colon)
				*colon = '\0';
			cfg.binds[cfg.nbinds].host = optarg;
			cfg.binds[cfg.nbinds].guest = colon ? colon + 1 : optarg;
			if (!*optarg || cfg.binds[cfg.nbinds].guest[0] != '/')
				return bad_usage("--bind needs HOST[:/GUEST], got '%s'", optarg);
			cfg.nbinds++;
			break;
		}
		case 'w':
			cfg.workdir = optarg;
			break;
		case 'E':
			if (!strchr(optarg, '=') || optarg[0] == '=' || nsets == 256)
				return bad_usage("--env needs NAME=VALUE, got '%s'", optarg);
			sets[nsets++] = optarg;
			break;
		case 'u':
			if (nunsets == 256)
				return bad_usage("too many --unset options%s", "");
			unsets[nunsets++] = optarg;
			break;
		case 'i':
			clean = 1;
			break;
		case OPT_TRACE:
			/* trace: --trace=FILE, --trace FILE PROGRAM, or --trace PROGRAM. */
			if (!optarg && trace_file_word(argv, optind, argc))
				optarg = argv[optind++];
			if (cfg.trace && cfg.trace != stderr)
				fclose(cfg.trace);
			cfg.trace = optarg && *optarg ? open_out("trace", optarg) : stderr;
			if (!cfg.trace)
				return GK_EXIT_INTERNAL;
			break;
		case OPT_STATS:
			cfg.stats = 1;
			if (!optarg)
				break;
			if (strcmp(optarg, "json") == 0) {
				cfg.stats = 2;
			} else if (strncmp(optarg, "json:", 5) == 0 && optarg[5]) {
				cfg.stats = 2;
				cfg.stats_out = open_out("stats", optarg + 5);
				if (!cfg.stats_out)
					return GK_EXIT_INTERNAL;
			} else {
				return bad_usage("--stats takes json or json:FILE, got '%s'", optarg);
			}
			break;
		case OPT_TRACE_FILTER:
			cfg.trace_filter = optarg;
			break;
		case OPT_TRACE_SUMMARY:
			cfg.trace_summary = 1;
			break;
		case OPT_TRACE_TIME:
			cfg.trace_time = 1;
			break;
		case OPT_TRACE_DURATION:
			cfg.trace_duration = 1;
			break;
		case OPT_TRACE_STRSIZE: {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 0 || n > 1 << 20)
				return bad_usage("invalid --trace-strsize '%s' (0 to 1048576)", optarg);
			cfg.trace_strsize = n ? (int)n : -1;
			break;
		}
		case OPT_TRACE_FDPATHS:
			cfg.trace_fdpaths = 1;
			break;
		case OPT_NO_CONFINE:
			conf.enabled = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("uvk %s (libuvk %s)\n", UVK_VERSION, uvk_version());
			return 0;
		case ':':
			return bad_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("missing PROGRAM%s", "");
	/* trace: a --trace-* option alone means --trace to stderr (the summary alone does not). */
	if (!cfg.trace && !cfg.trace_summary &&
	    (cfg.trace_filter || cfg.trace_time || cfg.trace_duration || cfg.trace_strsize ||
	     cfg.trace_fdpaths))
		cfg.trace = stderr;
	if (stat(cfg.root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "uvk: cannot use root %s: %s\n", cfg.root,
			errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
		return GK_EXIT_INTERNAL;
	}
	for (i = 0; !clean && environ[i]; i++)
		env_put(&env, environ[i]);
	for (i = 0; i < nunsets; i++)
		env_unset(&env, unsets[i], strlen(unsets[i]));
	for (i = 0; i < nsets; i++)
		env_put(&env, sets[i]);
	if (!env.v) {
		env.v = calloc(1, sizeof(char *));
		if (!env.v)
			return GK_EXIT_INTERNAL;
	}
	cfg.argv = argv + optind;
	cfg.envp = env.v;
	map_cpus(&cfg);
	/* The root, and what the guest kernel reads of the host itself (synth.c). */
	conf.read[0] = cfg.root;
	i = 1;
	if (access("/proc/self", F_OK) == 0)
		conf.read[i++] = "/proc/self";
	if (access("/proc/cpuinfo", F_OK) == 0)
		conf.read[i++] = "/proc/cpuinfo";
	for (i = 0; i < cfg.nbinds; i++)
		conf.write[i] = cfg.binds[i].host;
	cfg.confine = confine;
	cfg.confine_arg = &conf;
	status = gk_run(&cfg);
	if (cfg.stats == 1)
		print_confinement(&conf, cfg.nbinds);
	if (cfg.trace && cfg.trace != stderr)
		fclose(cfg.trace);
	if (cfg.stats_out)
		fclose(cfg.stats_out);
	free(env.v);
	return status;
}
