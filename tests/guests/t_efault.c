/*
 * t_efault - bad pointers passed to system calls are EFAULT, not a crash.
 *
 * Usage: t_efault
 *
 * Every call goes through syscall(2), so that libc cannot dereference the
 * pointer first. Each bad address is tried as every input and output pointer:
 *	NULL + 0x10		the first, never-mapped page
 *	0xdead0000		unmapped user space (a static program's image
 *				and heap sit far below, its mmaps far above)
 *	a PROT_NONE page	mapped, but not accessible
 *	0x800000000000		the first address past the user half
 *	0xffff800000000000	a kernel address
 * and, for pointers the kernel writes through, a PROT_READ page. After each
 * failed call the program carries on; a failed write must not have written
 * and a failed read must not have moved the file offset.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define PAGE	    4096UL
#define ARCH_GET_FS 0x1003

struct bad {
	const char *name;
	uintptr_t addr;
	int readable; /* the kernel may read through it (PROT_READ page) */
};

static struct bad bad[6];
static int nbad;
static int file_fd = -1; /* a /tmp file holding 8192 bytes, read-write */
static int dir_fd = -1;

static void
add_bad(const char *name, uintptr_t addr, int readable)
{
	bad[nbad].name = name;
	bad[nbad].addr = addr;
	bad[nbad].readable = readable;
	nbad++;
}

/* efault - check that the call returned -1 with EFAULT. */
static void
efault(const char *call, const struct bad *b, long ret)
{
	char what[160];

	snprintf(what, sizeof(what), "%s with %s is EFAULT", call, b->name);
	CHECK_ERR(what, ret, EFAULT);
}

/* Calls whose pointer the kernel writes through: every bad address, the read-only page too. */
static void
check_out_pointers(const struct bad *b)
{
	void *p = (void *)b->addr;
	struct iovec iov = {.iov_base = p, .iov_len = 16};
	struct iovec *iovp = p;
	off_t before = lseek(file_fd, 0, SEEK_CUR);

	efault("read(file, p, 16)", b, syscall(SYS_read, file_fd, p, 16));
	efault("pread64(file, p, 16, 0)", b, syscall(SYS_pread64, file_fd, p, 16, 0));
	efault("readv(file, {p, 16})", b, syscall(SYS_readv, file_fd, &iov, 1));
	CHECK_EQ("the failed reads left the file offset", lseek(file_fd, 0, SEEK_CUR), before);
	efault("fstat(file, p)", b, syscall(SYS_fstat, file_fd, p));
	efault("stat(\"/\", p)", b, syscall(SYS_stat, "/", p));
	efault("newfstatat(AT_FDCWD, \"/\", p, 0)", b,
	       syscall(SYS_newfstatat, AT_FDCWD, "/", p, 0));
	efault("getcwd(p, 4096)", b, syscall(SYS_getcwd, p, 4096));
	efault("clock_gettime(CLOCK_MONOTONIC, p)", b,
	       syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
	efault("clock_getres(CLOCK_MONOTONIC, p)", b,
	       syscall(SYS_clock_getres, CLOCK_MONOTONIC, p));
	efault("gettimeofday(p, NULL)", b, syscall(SYS_gettimeofday, p, NULL));
	efault("uname(p)", b, syscall(SYS_uname, p));
	efault("sysinfo(p)", b, syscall(SYS_sysinfo, p));
	efault("getrandom(p, 16, 0)", b, syscall(SYS_getrandom, p, 16, 0));
	efault("getrlimit(RLIMIT_NOFILE, p)", b, syscall(SYS_getrlimit, RLIMIT_NOFILE, p));
	efault("prlimit64(0, RLIMIT_NOFILE, NULL, p)", b,
	       syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p));
	efault("getdents64(dir, p, 4096)", b, syscall(SYS_getdents64, dir_fd, p, 4096));
	lseek(dir_fd, 0, SEEK_SET);
	efault("arch_prctl(ARCH_GET_FS, p)", b, syscall(SYS_arch_prctl, ARCH_GET_FS, p));
	if (!b->readable)
		efault("readv(file, iov = p)", b, syscall(SYS_readv, file_fd, iovp, 1));
}

/* Calls whose pointer the kernel only reads: not the read-only page, which is fine to read. */
static void
check_in_pointers(const struct bad *b)
{
	void *p = (void *)b->addr;
	struct iovec iov = {.iov_base = p, .iov_len = 16};
	struct stat st;
	char buf[64];

	efault("write(file, p, 16)", b, syscall(SYS_write, file_fd, p, 16));
	efault("pwrite64(file, p, 16, 0)", b, syscall(SYS_pwrite64, file_fd, p, 16, 0));
	efault("writev(file, {p, 16})", b, syscall(SYS_writev, file_fd, &iov, 1));
	efault("writev(file, iov = p)", b, syscall(SYS_writev, file_fd, p, 1));
	CHECK_TRUE("the failed writes wrote nothing",
		   fstat(file_fd, &st) == 0 && st.st_size == 8192, "got size %ld, want 8192",
		   (long)st.st_size);
	efault("open(p, O_RDONLY)", b, syscall(SYS_open, p, O_RDONLY | O_CLOEXEC));
	efault("openat(AT_FDCWD, p, O_RDONLY)", b,
	       syscall(SYS_openat, AT_FDCWD, p, O_RDONLY | O_CLOEXEC));
	efault("open(p, O_CREAT|O_WRONLY)", b,
	       syscall(SYS_open, p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	efault("stat(p, &st)", b, syscall(SYS_stat, p, &st));
	efault("lstat(p, &st)", b, syscall(SYS_lstat, p, &st));
	efault("access(p, F_OK)", b, syscall(SYS_access, p, F_OK));
	efault("chdir(p)", b, syscall(SYS_chdir, p));
	efault("mkdir(p, 0755)", b, syscall(SYS_mkdir, p, 0755));
	efault("unlink(p)", b, syscall(SYS_unlink, p));
	efault("readlink(p, buf, 64)", b, syscall(SYS_readlink, p, buf, sizeof(buf)));
	efault("nanosleep(p, NULL)", b, syscall(SYS_nanosleep, p, NULL));
	efault("prlimit64(0, RLIMIT_NOFILE, p, NULL)", b,
	       syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, p, NULL));
}

/* A buffer whose first page is fine and second is not: a short read or EFAULT, no more. */
static void
check_straddle(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long ret;
	int e;

	if (p == MAP_FAILED || mprotect(p + PAGE, PAGE, PROT_NONE))
		return;
	ret = syscall(SYS_pread64, file_fd, p, 2 * PAGE, 0);
	e = errno;
	CHECK_TRUE("pread64 of 8192 bytes into one good page and one PROT_NONE page "
		   "reads 4096 or is EFAULT",
		   ret == (long)PAGE || (ret == -1 && e == EFAULT),
		   "got %ld errno %s, want 4096 or -1 EFAULT", ret, ret == -1 ? errname(e) : "-");
	if (ret == (long)PAGE)
		CHECK_TRUE("the good page holds the file's first 4096 bytes",
			   p[0] == 'A' && p[PAGE - 1] == 'A', "got %#x %#x", p[0], p[PAGE - 1]);
	ret = syscall(SYS_write, file_fd, p + PAGE - 8, 16);
	e = errno;
	CHECK_TRUE("write of 16 bytes of which 8 are in a PROT_NONE page writes 8 or is EFAULT",
		   ret == 8 || (ret == -1 && e == EFAULT), "got %ld errno %s, want 8 or -1 EFAULT",
		   ret, ret == -1 ? errname(e) : "-");
	munmap(p, 2 * PAGE);
}

/* The good-pointer version of a few of the calls, so that EFAULT is not all they return. */
static void
check_good(void)
{
	struct utsname u;
	struct timespec ts;
	char cwd[256];
	char b[16];

	CHECK_EQ("uname with a good pointer", syscall(SYS_uname, &u), 0);
	CHECK_EQ("clock_gettime with a good pointer",
		 syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts), 0);
	CHECK_OK("getcwd with a good pointer", syscall(SYS_getcwd, cwd, sizeof(cwd)));
	CHECK_EQ("pread64 with a good pointer", syscall(SYS_pread64, file_fd, b, 16, 0), 16);
}

int
main(void)
{
	char top[64] = "/tmp/t_efault.XXXXXX";
	char file[128];
	char *none, *ro;
	static char fill[8192];
	int i;

	guest_begin("t_efault", "bad pointers to system calls are EFAULT");
	if (!CHECK_TRUE("mkdtemp(/tmp/t_efault.XXXXXX)", mkdtemp(top), "got errno %s",
			errname(errno)))
		return guest_end();
	snprintf(file, sizeof(file), "%s/f", top);
	file_fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	memset(fill, 'A', sizeof(fill));
	if (!CHECK_EQ("write 8192 bytes to a /tmp file", write(file_fd, fill, sizeof(fill)),
		      sizeof(fill)))
		return guest_end();
	lseek(file_fd, 100, SEEK_SET);
	dir_fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK_TRUE("mmap of a PROT_NONE and a PROT_READ page",
			none != MAP_FAILED && ro != MAP_FAILED, "got errno %s", errname(errno)))
		return guest_end();

	add_bad("NULL+0x10", 0x10, 0);
	add_bad("0xdead0000", 0xdead0000UL, 0);
	add_bad("a PROT_NONE page", (uintptr_t)none, 0);
	add_bad("0x800000000000", 0x800000000000UL, 0);
	add_bad("0xffff800000000000", 0xffff800000000000UL, 0);
	add_bad("a PROT_READ page", (uintptr_t)ro, 1);

	check_good();
	for (i = 0; i < nbad; i++) {
		check_out_pointers(&bad[i]);
		if (!bad[i].readable)
			check_in_pointers(&bad[i]);
	}
	check_straddle();
	check_good();

	close(dir_fd);
	close(file_fd);
	unlink(file);
	rmdir(top);
	return guest_end();
}
