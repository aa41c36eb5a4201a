/*
 * t_misc - the small system calls libc start-up and common programs make.
 *
 * Usage: t_misc [--first-process] [--uid UID --gid GID] [--max-ram BYTES]
 *
 * --first-process: the program is the guest's first process, so getpid() is 1
 *	and getppid() 0 (as for init in a Linux PID namespace).
 * --uid, --gid: the ids the harness saw natively; the guest reports the
 *	same (uvk runs the program as the user who runs uvk).
 * --max-ram: sysinfo's total RAM may not exceed it (the -m given to uvk).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "guest.h"

#define ARCH_GET_FS 0x1003

static void
check_uname(void)
{
	struct utsname u, raw;

	if (!CHECK_EQ("uname", uname(&u), 0))
		return;
	say("     %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
	CHECK_STR("sysname is Linux", u.sysname, "Linux");
	CHECK_STR("machine is x86_64", u.machine, "x86_64");
	CHECK_TRUE("release starts with a version number",
		   u.release[0] >= '1' && u.release[0] <= '9' && strchr(u.release, '.'),
		   "got \"%s\"", u.release);
	CHECK_TRUE("version and nodename are not empty", u.version[0] && u.nodename[0],
		   "got \"%s\" and \"%s\"", u.version, u.nodename);
	CHECK_TRUE("the raw uname system call agrees",
		   syscall(SYS_uname, &raw) == 0 && memcmp(&u, &raw, sizeof(u)) == 0,
		   "got another answer");
}

static void
check_ids(int first, long uid, long gid)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	gid_t groups[256];
	int n;
	int tid_slot;

	say("     pid %ld ppid %ld uid %ld gid %ld\n", (long)getpid(), (long)getppid(),
	    (long)getuid(), (long)getgid());
	CHECK_EQ("getpid() agrees with the raw system call", getpid(), syscall(SYS_getpid));
	CHECK_EQ("gettid() is getpid() in a one-thread process", syscall(SYS_gettid), getpid());
	CHECK_EQ("set_tid_address returns the thread id", syscall(SYS_set_tid_address, &tid_slot),
		 getpid());
	if (first) {
		CHECK_EQ("the first process has pid 1", getpid(), 1);
		CHECK_EQ("the first process's parent is 0", getppid(), 0);
	} else {
		CHECK_TRUE("getppid() is another process", getppid() > 0 && getppid() != getpid(),
			   "got %ld", (long)getppid());
	}

	CHECK_EQ("getuid() == geteuid()", getuid(), geteuid());
	CHECK_EQ("getgid() == getegid()", getgid(), getegid());
	if (CHECK_EQ("getresuid", getresuid(&r, &e, &s), 0))
		CHECK_TRUE("real, effective and saved uid agree with getuid()",
			   r == getuid() && e == r && s == r, "got %u %u %u", r, e, s);
	if (CHECK_EQ("getresgid", getresgid(&gr, &ge, &gs), 0))
		CHECK_TRUE("real, effective and saved gid agree with getgid()",
			   gr == getgid() && ge == gr && gs == gr, "got %u %u %u", gr, ge, gs);
	if (uid >= 0) {
		CHECK_EQ("getuid() is the uid of the user running the test", getuid(), uid);
		CHECK_EQ("getgid() is the gid of the user running the test", getgid(), gid);
	}
	n = getgroups(0, NULL);
	CHECK_TRUE("getgroups(0, NULL) counts the groups", n >= 0 && n <= 256, "got %d", n);
	if (n >= 0 && n <= 256)
		CHECK_EQ("getgroups(n, list) returns n", getgroups(n, groups), n);
	/* A size of 0 asks for the count, so "too small" needs two groups or more. */
	if (n >= 2)
		CHECK_ERR("getgroups into too small a list is EINVAL",
			  syscall(SYS_getgroups, n - 1, groups), EINVAL);
	CHECK_ERR("getgroups with a negative size is EINVAL", syscall(SYS_getgroups, -1, groups),
		  EINVAL);
}

static void
check_random(void)
{
	unsigned char a[64], b[64];
	unsigned any = 0;
	unsigned i;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ("getrandom(64 bytes)", getrandom(a, sizeof(a), 0), 64);
	CHECK_EQ("getrandom(64 bytes, GRND_NONBLOCK)", getrandom(b, sizeof(b), GRND_NONBLOCK), 64);
	for (i = 0; i < sizeof(a); i++)
		any |= a[i];
	CHECK_TRUE("getrandom's bytes are not all zero", any, "got 64 zero bytes");
	CHECK_TRUE("two draws differ", memcmp(a, b, sizeof(a)) != 0, "got the same 64 bytes");
	CHECK_EQ("getrandom of 0 bytes returns 0", syscall(SYS_getrandom, a, 0, 0), 0);
	CHECK_ERR("getrandom with an unknown flag is EINVAL", syscall(SYS_getrandom, a, 16, 0x1000),
		  EINVAL);
}

static void
check_sysinfo(unsigned long long max_ram)
{
	struct sysinfo si;
	unsigned long long total;

	if (!CHECK_EQ("sysinfo", sysinfo(&si), 0))
		return;
	total = (unsigned long long)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	say("     totalram %llu MiB, freeram %lu units, procs %u, uptime %ld s\n", total >> 20,
	    si.freeram, si.procs, (long)si.uptime);
	CHECK_TRUE("mem_unit is at least 1", si.mem_unit >= 1, "got %u", si.mem_unit);
	CHECK_TRUE("totalram is positive", si.totalram > 0, "got 0");
	CHECK_TRUE("freeram does not exceed totalram", si.freeram <= si.totalram, "got %lu > %lu",
		   si.freeram, si.totalram);
	CHECK_TRUE("at least one process", si.procs >= 1, "got %u", si.procs);
	CHECK_TRUE("uptime is not negative", (long)si.uptime >= 0, "got %ld", (long)si.uptime);
	if (max_ram)
		CHECK_TRUE("totalram does not exceed the guest RAM", total <= max_ram,
			   "got %llu bytes, want at most %llu", total, max_ram);
}

static void
check_sched(void)
{
	cpu_set_t set;
	long ret;

	CPU_ZERO(&set);
	CHECK_EQ("sched_getaffinity(0)", sched_getaffinity(0, sizeof(set), &set), 0);
	say("     %d CPUs in the affinity mask\n", CPU_COUNT(&set));
	CHECK_TRUE("the mask has at least one CPU", CPU_COUNT(&set) >= 1, "got 0");
	ret = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	CHECK_TRUE("the raw call returns the mask size in bytes, a multiple of 8",
		   ret > 0 && ret % 8 == 0 && ret <= (long)sizeof(set), "got %ld", ret);
	CHECK_ERR("sched_getaffinity into 1 byte is EINVAL",
		  syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
	CHECK_EQ("sched_yield", sched_yield(), 0);
}

static void
check_rlimit(void)
{
	struct rlimit rl, old, got;

	CHECK_EQ("getrlimit(RLIMIT_NOFILE)", getrlimit(RLIMIT_NOFILE, &rl), 0);
	say("     RLIMIT_NOFILE %llu/%llu\n", (unsigned long long)rl.rlim_cur,
	    (unsigned long long)rl.rlim_max);
	CHECK_TRUE("RLIMIT_NOFILE soft <= hard, and >= 3",
		   rl.rlim_cur <= rl.rlim_max && rl.rlim_cur >= 3, "got %llu/%llu",
		   (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	CHECK_EQ("prlimit64(0, RLIMIT_NOFILE, NULL, &old)",
		 syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old), 0);
	CHECK_TRUE("prlimit64 agrees with getrlimit",
		   old.rlim_cur == rl.rlim_cur && old.rlim_max == rl.rlim_max, "got %llu/%llu",
		   (unsigned long long)old.rlim_cur, (unsigned long long)old.rlim_max);
	CHECK_EQ("prlimit64 with getpid() as the pid",
		 syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &old), 0);
	CHECK_EQ("getrlimit(RLIMIT_STACK)", getrlimit(RLIMIT_STACK, &got), 0);
	CHECK_TRUE("RLIMIT_STACK is at least 128 KiB", got.rlim_cur >= 128 * 1024, "got %llu",
		   (unsigned long long)got.rlim_cur);

	if (rl.rlim_max >= 64) {
		struct rlimit low = {64, rl.rlim_max};

		CHECK_EQ("setrlimit(RLIMIT_NOFILE) soft to 64", setrlimit(RLIMIT_NOFILE, &low), 0);
		CHECK_TRUE("getrlimit reads 64 back",
			   getrlimit(RLIMIT_NOFILE, &got) == 0 && got.rlim_cur == 64 &&
			       got.rlim_max == rl.rlim_max,
			   "got %llu/%llu", (unsigned long long)got.rlim_cur,
			   (unsigned long long)got.rlim_max);
		CHECK_EQ("prlimit64 sets it back and returns the old value",
			 syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, &old) == 0 &&
			     old.rlim_cur == 64,
			 1);
	}
	if (rl.rlim_max != RLIM_INFINITY) {
		struct rlimit over = {rl.rlim_max + 1, rl.rlim_max};

		CHECK_ERR("setrlimit with soft above hard is EINVAL",
			  syscall(SYS_setrlimit, RLIMIT_NOFILE, &over), EINVAL);
	}
	CHECK_ERR("getrlimit of an unknown resource is EINVAL", syscall(SYS_getrlimit, 1000, &got),
		  EINVAL);
}

static void
check_umask(void)
{
	char top[64] = "/tmp/t_misc.XXXXXX";
	char file[96];
	mode_t first;
	struct stat st;
	int fd;

	first = umask(027);
	CHECK_EQ("umask(022) returns the 027 just set", umask(022), 027);
	CHECK_EQ("umask(first) returns 022", umask(first), 022);
	if (!mkdtemp(top))
		return;
	umask(077);
	snprintf(file, sizeof(file), "%s/f", top);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	CHECK_TRUE("a file created under umask 077 has mode 0600",
		   fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600, "got %#o",
		   (unsigned)st.st_mode & 0777);
	umask(first);
	close(fd);
	unlink(file);
	rmdir(top);
}

static void
check_tls(void)
{
	unsigned long fs = 0, self;

	__asm__("mov %%fs:0, %0" : "=r"(self));
	CHECK_EQ("arch_prctl(ARCH_GET_FS)", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	CHECK_EQX("FS base is the thread pointer libc set up (%fs:0)", fs, self);
}

int
main(int argc, char **argv)
{
	unsigned long long max_ram = 0;
	long uid = -1, gid = -1;
	int first = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--first-process") == 0)
			first = 1;
		else if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc)
			uid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--gid") == 0 && i + 1 < argc)
			gid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--max-ram") == 0 && i + 1 < argc)
			max_ram = strtoull(argv[++i], NULL, 10);
		else
			break;
	}
	if (i != argc || (uid < 0) != (gid < 0)) {
		say("usage: t_misc [--first-process] [--uid UID --gid GID] [--max-ram BYTES]\n");
		return 2;
	}
	guest_begin("t_misc", "uname, ids, getrandom, sysinfo, affinity, rlimits, umask, TLS");
	check_uname();
	check_ids(first, uid, gid);
	check_random();
	check_sysinfo(max_ram);
	check_sched();
	check_rlimit();
	check_umask();
	check_tls();
	return guest_end();
}
