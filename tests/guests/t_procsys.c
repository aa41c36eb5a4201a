/*
 * t_procsys - /proc/sys, /proc/filesystems, /proc/version and the
 * per-process limits, mounts and mountinfo, against what the same system's
 * calls say (proc(5), proc_sys_kernel(5), proc_pid_limits(5),
 * proc_pid_mountinfo(5)).
 *
 * Usage: t_procsys
 *
 * Checks:
 *   - kernel/ostype is "Linux"; osrelease, hostname and domainname are what
 *     uname(2) says; /proc/version starts "Linux version RELEASE ";
 *   - kernel/pid_max is a number above our pid; boot_id is one UUID, the
 *     same on every read; random/uuid is a version 4 UUID, new on each read;
 *   - fs/nr_open caps RLIMIT_NOFILE: the hard limit is at most nr_open, and
 *     nr_open + 1 is EPERM (setrlimit(2));
 *   - fs/pipe-max-size: F_SETPIPE_SZ to it succeeds and F_GETPIPE_SZ says it;
 *   - vm/overcommit_memory is 0, 1 or 2; vm/max_map_count a positive number;
 *   - the files are read-only: open for writing is EACCES (even for root,
 *     whose sysctl access is the owner's bits); a name under a file is
 *     ENOTDIR; /proc/sys lists fs, kernel and vm;
 *   - a trailing slash follows a link: lstat("/proc/self/") is a
 *     directory, readlink of it EINVAL;
 *   - /proc/filesystems has "nodev\tproc" and "nodev\ttmpfs";
 *   - /proc/self/limits has Linux's header and the soft and hard
 *     RLIMIT_NOFILE and RLIMIT_STACK that getrlimit(2) gives;
 *   - /proc/self/mountinfo names "/" and "/proc" (type proc) with the
 *     device stat(2) gives them, each line "ID PARENT MAJ:MIN ROOT POINT OPTS
 *     ... - TYPE SOURCE SUPEROPTS"; /proc/self/mounts has the same mount
 *     points in the same order.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest.h"

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static char buf[65536];

/* The whole of path into buf, NUL-terminated; its length, or -1 with errno. */
static long
slurp(const char *path)
{
	long got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	if (n < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

/* One line of path without its newline into out; 0 or -1. */
static int
line_of(const char *path, char *out, size_t size)
{
	if (slurp(path) < 0)
		return -1;
	snprintf(out, size, "%.*s", (int)strcspn(buf, "\n"), buf);
	return 0;
}

static long long
number_of(const char *path)
{
	char s[64], *end;
	long long v;

	if (line_of(path, s, sizeof(s)) < 0)
		return -1;
	v = strtoll(s, &end, 10);
	return *s && !*end ? v : -1;
}

/* Is s a UUID (8-4-4-4-12 lowercase hex)? */
static int
is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	int i, d = 0;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static void
kernel_files(void)
{
	struct utsname u;
	char s[256], t[256], want[300];

	uname(&u);
	CHECK_OK("/proc/sys/kernel/ostype reads", line_of("/proc/sys/kernel/ostype", s, sizeof(s)));
	CHECK_STR("kernel/ostype", s, "Linux");
	line_of("/proc/sys/kernel/osrelease", s, sizeof(s));
	CHECK_STR("kernel/osrelease is uname's release", s, u.release);
	line_of("/proc/sys/kernel/hostname", s, sizeof(s));
	CHECK_STR("kernel/hostname is uname's nodename", s, u.nodename);
	line_of("/proc/sys/kernel/domainname", s, sizeof(s));
	CHECK_STR("kernel/domainname is uname's domainname", s, u.domainname);
	line_of("/proc/version", s, sizeof(s));
	snprintf(want, sizeof(want), "Linux version %s ", u.release);
	CHECK_TRUE("/proc/version names the release", strncmp(s, want, strlen(want)) == 0,
		   "got \"%s\", want it to start \"%s\"", s, want);
	CHECK_TRUE("kernel/pid_max is above our pid", number_of("/proc/sys/kernel/pid_max") > getpid(),
		   "got %lld, pid %d", number_of("/proc/sys/kernel/pid_max"), (int)getpid());

	line_of("/proc/sys/kernel/random/boot_id", s, sizeof(s));
	line_of("/proc/sys/kernel/random/boot_id", t, sizeof(t));
	CHECK_TRUE("boot_id is a UUID", is_uuid(s), "got \"%s\"", s);
	CHECK_STR("boot_id is the same on every read", t, s);
	line_of("/proc/sys/kernel/random/uuid", s, sizeof(s));
	line_of("/proc/sys/kernel/random/uuid", t, sizeof(t));
	CHECK_TRUE("random/uuid is a version 4 UUID", is_uuid(s) && s[14] == '4' &&
		   strchr("89ab", s[19]), "got \"%s\"", s);
	CHECK_TRUE("random/uuid is new on each read", strcmp(s, t) != 0, "got \"%s\" twice", s);
}

static void
fs_vm_files(void)
{
	long long nr_open = number_of("/proc/sys/fs/nr_open");
	long long pmax = number_of("/proc/sys/fs/pipe-max-size");
	long long oc = number_of("/proc/sys/vm/overcommit_memory");
	struct rlimit old, r;
	int p[2];

	CHECK_TRUE("fs/nr_open is a number", nr_open > 0, "got %lld", nr_open);
	getrlimit(RLIMIT_NOFILE, &old);
	CHECK_TRUE("the RLIMIT_NOFILE hard limit is at most fs/nr_open",
		   old.rlim_max <= (rlim_t)nr_open, "got %llu, nr_open %lld",
		   (unsigned long long)old.rlim_max, nr_open);
	/* Beyond nr_open is EPERM for everyone (and raising the hard limit is, without CAP_SYS_RESOURCE). */
	r.rlim_cur = old.rlim_cur;
	r.rlim_max = (rlim_t)nr_open + 1;
	CHECK_ERR("RLIMIT_NOFILE above fs/nr_open", setrlimit(RLIMIT_NOFILE, &r), EPERM);
	CHECK_TRUE("fs/pipe-max-size is a number", pmax > 0, "got %lld", pmax);
	if (pipe(p) == 0) {
		CHECK_EQ("F_SETPIPE_SZ to fs/pipe-max-size", fcntl(p[0], F_SETPIPE_SZ, (int)pmax),
			 pmax);
		CHECK_EQ("F_GETPIPE_SZ after it", fcntl(p[0], F_GETPIPE_SZ), pmax);
		close(p[0]);
		close(p[1]);
	}
	CHECK_TRUE("vm/overcommit_memory is 0, 1 or 2", oc >= 0 && oc <= 2, "got %lld", oc);
	CHECK_TRUE("vm/max_map_count is a number", number_of("/proc/sys/vm/max_map_count") > 0,
		   "got %lld", number_of("/proc/sys/vm/max_map_count"));
	CHECK_TRUE("fs/file-max is a number", number_of("/proc/sys/fs/file-max") > 0, "got %lld",
		   number_of("/proc/sys/fs/file-max"));
}

static void
shape(void)
{
	int seen = 0;
	struct dirent *e;
	DIR *d;

	CHECK_ERR("open kernel/ostype for writing", open("/proc/sys/kernel/ostype", O_WRONLY),
		  EACCES);
	CHECK_ERR("a name under a file", open("/proc/sys/kernel/ostype/x", O_RDONLY), ENOTDIR);
	CHECK_ERR("a name that is not there", open("/proc/sys/kernel/no-such", O_RDONLY), ENOENT);
	{
		struct stat a, b;

		/* path_resolution(7): a trailing slash follows the link, lstat(2) too. */
		lstat("/proc/self", &a);
		CHECK_TRUE("lstat(\"/proc/self\") is a link", S_ISLNK(a.st_mode), "got %#o",
			   a.st_mode);
		CHECK_TRUE("lstat(\"/proc/self/\") is its directory",
			   lstat("/proc/self/", &b) == 0 && S_ISDIR(b.st_mode), "got %#o errno %s",
			   b.st_mode, errname(errno));
		CHECK_ERR("readlink(\"/proc/self/\"): the directory is no link",
			  readlink("/proc/self/", (char *)&b, sizeof(b)), EINVAL);
	}
	d = opendir("/proc/sys");
	while (d && (e = readdir(d))) {
		seen |= strcmp(e->d_name, "fs") == 0 ? 1 : 0;
		seen |= strcmp(e->d_name, "kernel") == 0 ? 2 : 0;
		seen |= strcmp(e->d_name, "vm") == 0 ? 4 : 0;
	}
	if (d)
		closedir(d);
	CHECK_EQ("/proc/sys lists fs, kernel and vm (bits)", seen, 7);
	slurp("/proc/filesystems");
	CHECK_TRUE("/proc/filesystems has proc and tmpfs",
		   strstr(buf, "nodev\tproc\n") && strstr(buf, "nodev\ttmpfs\n"), "got \"%.200s\"",
		   buf);
}

/* The soft and hard fields of the limits line that starts with name. */
static void
limits_line(const char *name, int res)
{
	struct rlimit r;
	char want[128], cur[32], max[32], *l = strstr(buf, name);

	getrlimit(res, &r);
	if (r.rlim_cur == RLIM_INFINITY)
		snprintf(cur, sizeof(cur), "unlimited");
	else
		snprintf(cur, sizeof(cur), "%llu", (unsigned long long)r.rlim_cur);
	if (r.rlim_max == RLIM_INFINITY)
		snprintf(max, sizeof(max), "unlimited");
	else
		snprintf(max, sizeof(max), "%llu", (unsigned long long)r.rlim_max);
	snprintf(want, sizeof(want), "%-25s %-20s %-20s ", name, cur, max);
	CHECK_TRUE(name, l && strncmp(l, want, strlen(want)) == 0, "got \"%.70s\", want \"%s\"",
		   l ? l : "(none)", want);
}

static void
limits(void)
{
	char head[128];

	CHECK_OK("/proc/self/limits reads", slurp("/proc/self/limits"));
	snprintf(head, sizeof(head), "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit",
		 "Hard Limit", "Units");
	CHECK_TRUE("limits header", strncmp(buf, head, strlen(head)) == 0, "got \"%.80s\"", buf);
	limits_line("Max open files", RLIMIT_NOFILE);
	limits_line("Max stack size", RLIMIT_STACK);
	limits_line("Max core file size", RLIMIT_CORE);
}

/* Check mountinfo's line for mount point point: its type and device. */
static void
mountinfo_point(const char *point, const char *want_type)
{
	char line[1024], *l, *save, *f[12], what[128];
	unsigned maj, min;
	struct stat st;
	int n, found = 0;

	slurp("/proc/self/mountinfo");
	/* The last line for it: a later mount hides an earlier one at the same point. */
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(l, " - ");
		char copy[1024];

		snprintf(copy, sizeof(copy), "%s", l);
		for (n = 0, f[0] = strtok(copy, " "); f[n] && n < 11; f[++n] = strtok(NULL, " "))
			;
		if (n >= 5 && sep && strcmp(f[4], point) == 0) {
			snprintf(line, sizeof(line), "%s", l);
			found = 1;
		}
	}
	snprintf(what, sizeof(what), "mountinfo has %s", point);
	if (!check(found, what, "got no line"))
		return;
	sscanf(line, "%*d %*d %u:%u", &maj, &min);
	stat(point, &st);
	snprintf(what, sizeof(what), "mountinfo's device of %s is stat's", point);
	CHECK_TRUE(what, makedev(maj, min) == st.st_dev, "got %u:%u, want %u:%u", maj, min,
		   major(st.st_dev), minor(st.st_dev));
	if (want_type) {
		char type[64] = "";

		sscanf(strstr(line, " - ") + 3, "%63s", type);
		snprintf(what, sizeof(what), "mountinfo's type of %s", point);
		CHECK_STR(what, type, want_type);
	}
}

static void
mounts(void)
{
	char a[8192] = "", b[8192] = "", *l, *save;

	mountinfo_point("/", NULL);
	mountinfo_point("/proc", "proc");
	/* The mount points of mountinfo (field 5) and mounts (field 2), in order. */
	slurp("/proc/self/mountinfo");
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char p[1024];

		if (sscanf(l, "%*s %*s %*s %*s %1023s", p) == 1 &&
		    strlen(a) + strlen(p) + 2 < sizeof(a)) {
			strcat(a, p);
			strcat(a, " ");
		}
	}
	slurp("/proc/self/mounts");
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char p[1024];

		if (sscanf(l, "%*s %1023s", p) == 1 && strlen(b) + strlen(p) + 2 < sizeof(b)) {
			strcat(b, p);
			strcat(b, " ");
		}
	}
	CHECK_TRUE("mounts and mountinfo list the same points", *a && strcmp(a, b) == 0,
		   "got \"%.200s\" and \"%.200s\"", a, b);
}

int
main(void)
{
	guest_begin("t_procsys", "/proc/sys, /proc/filesystems, limits, mountinfo");
	kernel_files();
	fs_vm_files();
	shape();
	limits();
	mounts();
	return guest_end();
}
