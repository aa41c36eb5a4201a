/*
 * kctx.c - the unit tests' explicit guest-kernel context (see kctx.h).
 *
 * Boots what entry/boot.c's gk_run() boots before the first exec (pmem,
 * palloc, the kernel-heap budget, the mounts) and stops there: no console
 * (the host's terminal is not the test's to change), no vmspace, no
 * program. Every failure fails the calling test at once, so a test never
 * runs against a half-built kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kctx.h"

/* Where kctx_user_alloc hands out memory: well clear of mmap's top-down search. */
#define USER_BASE 0x100000000ULL

static void
make_tmpdir(char *buf, size_t size)
{
	const char *t = getenv("TMPDIR");

	if (!t || !*t)
		t = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/kctx.XXXXXX", t) >= size)
		fail_msg("TMPDIR %s too long", t);
	if (!mkdtemp(buf))
		fail_msg("mkdtemp %s: %s", buf, strerror(errno));
}

/*
 * The first process, as boot.c's proc_new makes pid 1, without descriptors
 * (tests open what they need) and with an address space no host process runs.
 */
static struct gk_proc *
make_proc(struct gk_kernel *k, struct gk_proc *parent)
{
	struct gk_proc *p = gk_proc_alloc(k, parent);
	int i;

	assert_non_null(p);
	p->fs = gk_fsctx_new(k->droot, 022);
	p->sighand = gk_sighand_new();
	p->tg->exe = strdup("");
	p->fdt = gk_fdt_new();
	assert_non_null(p->fs);
	assert_non_null(p->sighand);
	assert_non_null(p->tg->exe);
	assert_non_null(p->fdt);
	gk_task_vm_set(p, gk_vm_new_unbound(k));
	assert_non_null(p->vm);
	for (i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &p->tg->rlim[i]);
	p->tg->rlim[RLIMIT_STACK].rlim_cur = 8u << 20;
	p->tg->rlim[RLIMIT_NOFILE].rlim_cur = GK_NFD;
	p->tg->rlim[RLIMIT_NOFILE].rlim_max = GK_NFD;
	p->tg->rlim[RLIMIT_AS].rlim_cur = p->tg->rlim[RLIMIT_AS].rlim_max = RLIM_INFINITY;
	return p;
}

struct kctx *
kctx_new(uint64_t ram, const char *const *binds)
{
	struct kctx *c = calloc(1, sizeof(*c));
	struct gk_kernel *k;
	int i;

	assert_non_null(c);
	make_tmpdir(c->root, sizeof(c->root));
	c->cfg.memory = ram ? ram : KCTX_RAM_DEFAULT;
	c->cfg.root = c->root;
	for (i = 0; binds && binds[i]; i++) {
		assert_true(i < KCTX_MAX_BINDS);
		make_tmpdir(c->bind[i], sizeof(c->bind[i]));
		c->cfg.binds[i].guest = binds[i];
		c->cfg.binds[i].host = c->bind[i];
	}
	c->nbinds = c->cfg.nbinds = i;
	c->k = k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->cfg = &c->cfg;
	k->uid = getuid();
	k->gid = getgid();
	k->boot_ns = gk_now_ns(CLOCK_MONOTONIC);
	k->boot_realtime_ns = gk_now_ns(CLOCK_REALTIME);
	k->tty_fd = -1;
	k->pm = uvk_pmem_create(c->cfg.memory);
	if (!k->pm)
		fail_msg("uvk_pmem_create: %s", strerror(errno));
	k->vmem = uvk_pmem_vpt(k->pm);
	k->ram = uvk_pmem_base(k->pm);
	k->pa = calloc(1, sizeof(*k->pa));
	assert_non_null(k->pa);
	assert_int_equal(gk_palloc_init(k->pa, k->pm), 0);
	k->kmem_max = k->pa->npages * GK_PAGE / GK_KMEM_DIV;
	assert_int_equal(gk_vfs_init(k, &c->cfg), 0);
	c->p = k->init = make_proc(k, NULL);
	return c;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void
rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
kctx_free(struct kctx *c)
{
	struct gk_kernel *k;
	int i;

	if (!c)
		return;
	k = c->k;
	/* As boot.c's procs_free: pid 1 last, for children may still point at it. */
	while (k->procs && k->procs != k->init)
		gk_proc_free(k->procs);
	while (k->procs && k->procs->next)
		gk_proc_free(k->procs->next);
	gk_proc_free(k->procs);
	gk_vfs_fini(k);
	if (k->pa)
		gk_palloc_fini(k->pa);
	free(k->pa);
	uvk_pmem_free(k->pm);
	free(k);
	rm_tree(c->root);
	for (i = 0; i < c->nbinds; i++)
		rm_tree(c->bind[i]);
	free(c);
}

struct gk_proc *
kctx_proc_new(struct kctx *c)
{
	return make_proc(c->k, c->p);
}

long
kctx_sys(struct gk_proc *p, long nr, const uint64_t a[6])
{
	uint64_t args[6];

	/* gk_syscall may keep the pointer (a blocked call's arguments): give it a copy of ours. */
	memcpy(args, a, sizeof(args));
	p->insys = 0;
	p->regs.rax = (uint64_t)-ENOSYS;
	gk_syscall(p, (uint64_t)nr, args);
	if (p->insys) {
		p->insys = 0;
		gk_wake_task(p); /* runnable, and off every wait queue it went on */
		return -GK_EBLOCK;
	}
	return (long)p->regs.rax;
}

/*
 * Each process's memory is handed out upwards from USER_BASE, with a page
 * of gap after each allocation so that anonymous neighbours stay separate
 * VMAs; the next address is the end of the highest VMA there.
 */
uint64_t
kctx_user_alloc_in(struct kctx *c, struct gk_proc *p, size_t len)
{
	struct gk_vm *vm = p->vm;
	uint64_t gva = USER_BASE, size = gk_page_up(len ? len : 1);
	int err, i;

	(void)c;
	for (i = 0; i < vm->nvma; i++)
		if (vm->vma[i].end + GK_PAGE > gva && vm->vma[i].start >= USER_BASE &&
		    vm->vma[i].start < USER_BASE + (1ULL << 40))
			gva = vm->vma[i].end + GK_PAGE;
	err = gk_vm_map(vm, gva, size, PROT_READ | PROT_WRITE, 0, NULL, 0, gva + size);
	if (err < 0)
		fail_msg("gk_vm_map %#llx+%#llx: %d", (unsigned long long)gva,
			 (unsigned long long)size, err);
	return gva;
}

uint64_t
kctx_user_str_in(struct kctx *c, struct gk_proc *p, const char *s)
{
	size_t len = strlen(s) + 1;
	uint64_t gva = kctx_user_alloc_in(c, p, len);

	assert_int_equal(gk_copyout(p, gva, s, len), 0);
	return gva;
}

uint64_t
kctx_user_alloc(struct kctx *c, size_t len)
{
	return kctx_user_alloc_in(c, c->p, len);
}

uint64_t
kctx_user_str(struct kctx *c, const char *s)
{
	return kctx_user_str_in(c, c->p, s);
}

static void
host_path(char *buf, size_t size, const char *base, const char *rel)
{
	if ((size_t)snprintf(buf, size, "%s/%s", base, rel) >= size)
		fail_msg("host path %s/%s too long", base, rel);
}

/* Make every directory above path (not path itself). */
static void
mkparents(char *path)
{
	char *s;

	for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
}

void
kctx_host_mkdir(const char *base, const char *rel)
{
	char path[PATH_MAX];

	host_path(path, sizeof(path), base, rel);
	mkparents(path);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

void
kctx_host_write(const char *base, const char *rel, const char *content)
{
	char path[PATH_MAX];
	size_t len = strlen(content);
	int fd;

	host_path(path, sizeof(path), base, rel);
	mkparents(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	if (write(fd, content, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

void
kctx_host_symlink(const char *base, const char *rel, const char *target)
{
	char path[PATH_MAX];

	host_path(path, sizeof(path), base, rel);
	mkparents(path);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}
