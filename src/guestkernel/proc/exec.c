/*
 * exec.c - execve: the ELF loader (libelf) and the initial stack.
 *
 * Layer src/guestkernel/proc. Loads x86-64 ELF executables, ET_EXEC and ET_DYN
 * (static PIE, or a dynamic program with its PT_INTERP loaded beside it),
 * and "#!" scripts. Everything about the file is checked before the old
 * image is touched: a malformed, truncated or foreign file is -ENOEXEC and
 * the caller's image survives. The segments become file-backed VMAs (pages
 * are read on fault, mm/fault.c); the stack is built as Linux builds it:
 *
 *   stack_top -> [ random bytes, "x86_64", strings of argv, envp, execfn ]
 *                [ padding to 16 ]
 *                [ auxv pairs ... AT_NULL ]
 *                [ envp[0..] NULL ]
 *                [ argv[0..] NULL ]
 *       rsp   -> [ argc ]
 *
 * Must not: read guest memory (the caller copied argv and envp in).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "proc.h"

#define PIE_BASE    0x555555554000ULL
#define INTERP_BASE 0x7ffff7fc0000ULL
#define ARG_MAX_B   (2u << 20)
#define STACK_INIT  (128u << 10)
#define EXEC_VA_MIN 0x10000ULL	  /* Linux's default vm.mmap_min_addr */
#define STACK_GAP   (16ULL << 20) /* an image ends this far below the stack top */

struct image {
	int hfd;
	uint64_t fsize;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph; /* malloc'd copy */
	int phnum;
	uint64_t bias;
	uint64_t lo, hi; /* page-aligned extent of the PT_LOAD segments, before bias */
	uint64_t phdr_gva;
	char interp[GK_PATH_MAX];
};

static void
image_fini(struct image *im)
{
	free(im->ph);
	if (im->hfd >= 0)
		close(im->hfd);
}

/* Read and check the ELF headers of hfd. Returns 0 or -ENOEXEC. */
static int
image_read(struct image *im, int hfd)
{
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	size_t phnum;
	struct stat st;
	Elf *elf;
	int i, err = -ENOEXEC;

	memset(im, 0, sizeof(*im));
	im->hfd = hfd;
	im->lo = UINT64_MAX;
	if (fstat(hfd, &st) < 0)
		return -EIO;
	im->fsize = (uint64_t)st.st_size;
	elf_version(EV_CURRENT);
	/* Not ELF_C_READ_MMAP: a file truncated under us must not fault the tracer. */
	elf = elf_begin(hfd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF || elf_getident(elf, NULL)[EI_CLASS] != ELFCLASS64 ||
	    !(eh = elf64_getehdr(elf)) || eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || elf_getphdrnum(elf, &phnum) < 0 ||
	    phnum == 0 || phnum > 256 || eh->e_phoff > im->fsize ||
	    phnum * sizeof(Elf64_Phdr) > im->fsize - eh->e_phoff || !(ph = elf64_getphdr(elf)))
		goto out;
	im->eh = *eh;
	im->phnum = (int)phnum;
	im->ph = malloc(phnum * sizeof(*ph));
	if (!im->ph) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(im->ph, ph, phnum * sizeof(*ph));
	for (i = 0; i < im->phnum; i++) {
		Elf64_Phdr *q = &im->ph[i];

		if (q->p_type == PT_INTERP) {
			/* One interpreter, a NUL-terminated path inside the file. */
			if (im->interp[0] || q->p_filesz < 2 || q->p_filesz >= sizeof(im->interp) ||
			    q->p_offset > im->fsize || q->p_filesz > im->fsize - q->p_offset ||
			    pread(hfd, im->interp, q->p_filesz, (off_t)q->p_offset) !=
				(ssize_t)q->p_filesz ||
			    im->interp[q->p_filesz - 1] != '\0' || im->interp[0] == '\0')
				goto out;
		}
		if (q->p_type != PT_LOAD)
			continue;
		/* A segment must lie in the file and in user space, with offsets congruent. */
		if (q->p_filesz > q->p_memsz || q->p_offset > im->fsize ||
		    q->p_filesz > im->fsize - q->p_offset || q->p_vaddr >= UVK_VA_MAX ||
		    q->p_memsz > UVK_VA_MAX - q->p_vaddr ||
		    (q->p_vaddr & (GK_PAGE - 1)) != (q->p_offset & (GK_PAGE - 1)))
			goto out;
		if (gk_page_down(q->p_vaddr) < im->lo)
			im->lo = gk_page_down(q->p_vaddr);
		if (gk_page_up(q->p_vaddr + q->p_memsz) > im->hi)
			im->hi = gk_page_up(q->p_vaddr + q->p_memsz);
	}
	if (im->lo >= im->hi || im->hi - im->lo > (1ULL << 36))
		goto out;
	err = 0;
out:
	elf_end(elf);
	return err;
}

/*
 * Can im, at its bias, go into vm? Its pages must lie above the lowest
 * address a process may map (Linux's vm.mmap_min_addr), clear of the stub
 * and below the stack's reach, and clear of other (the interpreter, may be
 * NULL). A file whose segments cannot be placed is as foreign as one with
 * bad headers: -ENOEXEC, never a half-built image.
 */
static int
image_fits(const struct gk_vm *vm, const struct image *im, const struct image *other)
{
	uint64_t lo = im->lo + im->bias, hi = im->hi + im->bias;

	if (lo < EXEC_VA_MIN || hi <= lo || hi > vm->stack_top - STACK_GAP ||
	    (lo < UVK_STUB_BASE + UVK_STUB_SIZE && hi > UVK_STUB_BASE))
		return -ENOEXEC;
	if (other && lo < other->hi + other->bias && hi > other->lo + other->bias)
		return -ENOEXEC;
	return 0;
}

static unsigned
seg_prot(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Map im's segments into vm at its bias. Returns 0 or -ENOMEM. */
static int
image_map(struct gk_vm *vm, struct image *im, const char *gpath)
{
	struct gk_mapfile *mf;
	int i, err = 0, hfd = fcntl(im->hfd, F_DUPFD_CLOEXEC, 3);

	if (hfd < 0)
		return -errno;
	mf = gk_mapfile_new(vm->k, hfd, gpath);
	if (!mf) {
		close(hfd);
		return -ENOMEM;
	}
	for (i = 0; i < im->phnum && err == 0; i++) {
		Elf64_Phdr *q = &im->ph[i];
		uint64_t start, end;

		if (q->p_type == PT_PHDR)
			im->phdr_gva = q->p_vaddr + im->bias;
		if (q->p_type != PT_LOAD || q->p_memsz == 0)
			continue;
		start = gk_page_down(q->p_vaddr + im->bias);
		end = gk_page_up(q->p_vaddr + q->p_memsz + im->bias);
		if (q->p_offset == 0 && !im->phdr_gva)
			im->phdr_gva = q->p_vaddr + im->bias + im->eh.e_phoff;
		err = gk_vm_map(vm, start, end - start, seg_prot(q->p_flags), GK_VMA_FILE, mf,
				gk_page_down(q->p_offset), q->p_vaddr + im->bias + q->p_filesz);
	}
	gk_mapfile_unref(mf);
	return err;
}

/* An interpreter line "#!path [arg]": fills interp and arg. Returns 0 or -ENOEXEC. */
static int
parse_shebang(const char *buf, size_t n, char *interp, char *arg)
{
	const char *s = buf + 2, *end = memchr(buf, '\n', n), *e;

	if (!end)
		end = buf + n;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (e = s; e < end && *e != ' ' && *e != '\t'; e++)
		;
	if (e == s || (size_t)(e - s) >= GK_PATH_MAX)
		return -ENOEXEC;
	memcpy(interp, s, (size_t)(e - s));
	interp[e - s] = '\0';
	for (s = e; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
		;
	memcpy(arg, s, (size_t)(e - s));
	arg[e - s] = '\0';
	return 0;
}

static size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/*
 * Build argc, argv, envp and auxv at the top of the stack VMA. Returns the
 * initial rsp, or 0 if the arguments do not fit (-E2BIG for the caller);
 * ret_args gets where the argv strings start, the envp strings start and end.
 */
static uint64_t
build_stack(struct gk_proc *p, char *const *argv, char *const *envp, const char *execfn,
	    const struct image *im, const struct image *interp, uint64_t *ret_args)
{
	size_t argc = strv_len(argv), envc = strv_len(envp), strsz = 0, i, nptr;
	uint64_t top = p->vm->stack_top, str_gva, sp, rnd_gva, plat_gva, execfn_gva;
	uint64_t auxv[2 * 24], *vec, *w;
	char *strs, *at;
	int na = 0, err;

#define AUX(t, v) (auxv[na++] = (t), auxv[na++] = (v))
	for (i = 0; i < argc; i++)
		strsz += strlen(argv[i]) + 1;
	for (i = 0; i < envc; i++)
		strsz += strlen(envp[i]) + 1;
	strsz += strlen(execfn) + 1 + 16 + 7;
	if (strsz > ARG_MAX_B)
		return 0;
	strs = malloc(strsz);
	if (!strs)
		return 0;
	str_gva = (top - 8 - strsz) & ~15ULL;
	at = strs;
	rnd_gva = str_gva;
	if (getrandom(at, 16, 0) != 16) {
		free(strs); /* AT_RANDOM seeds the stack protector: no predictable bytes */
		return 0;
	}
	at += 16;
	plat_gva = str_gva + (uint64_t)(at - strs);
	memcpy(at, "x86_64", 7);
	at += 7;
	execfn_gva = str_gva + (uint64_t)(at - strs);
	at = stpcpy(at, execfn) + 1;

	AUX(AT_PHDR, im->phdr_gva);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, (uint64_t)im->phnum);
	AUX(AT_PAGESZ, GK_PAGE);
	AUX(AT_BASE, interp ? interp->bias : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, im->eh.e_entry + im->bias);
	AUX(AT_UID, p->k->uid);
	AUX(AT_EUID, p->k->uid);
	AUX(AT_GID, p->k->gid);
	AUX(AT_EGID, p->k->gid);
	AUX(AT_SECURE, 0);
	AUX(AT_HWCAP, getauxval(AT_HWCAP));
	AUX(AT_HWCAP2, getauxval(AT_HWCAP2));
	AUX(AT_CLKTCK, 100);
	AUX(AT_PLATFORM, plat_gva);
	AUX(AT_RANDOM, rnd_gva);
	AUX(AT_EXECFN, execfn_gva);
	AUX(AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) ? getauxval(AT_MINSIGSTKSZ) : 2048);
	AUX(AT_NULL, 0);
#undef AUX
	nptr = 1 + argc + 1 + envc + 1 + (size_t)na;
	sp = (str_gva - nptr * 8) & ~15ULL;
	vec = calloc(nptr, 8);
	if (!vec) {
		free(strs);
		return 0;
	}
	w = vec;
	*w++ = argc;
	ret_args[0] = str_gva + (uint64_t)(at - strs);
	for (i = 0; i < argc; i++) {
		*w++ = str_gva + (uint64_t)(at - strs);
		at = stpcpy(at, argv[i]) + 1;
	}
	*w++ = 0;
	ret_args[1] = str_gva + (uint64_t)(at - strs);
	for (i = 0; i < envc; i++) {
		*w++ = str_gva + (uint64_t)(at - strs);
		at = stpcpy(at, envp[i]) + 1;
	}
	*w++ = 0;
	ret_args[2] = str_gva + (uint64_t)(at - strs);
	memcpy(w, auxv, (size_t)na * 8);
	/* Kept for /proc/PID/auxv, which shows what exec gave, not what the stack holds now. */
	free(p->tg->auxv);
	p->tg->auxv = malloc((size_t)na * 8);
	p->tg->auxv_len = p->tg->auxv ? (uint64_t)na * 8 : 0;
	if (p->tg->auxv)
		memcpy(p->tg->auxv, auxv, (size_t)na * 8);
	err = gk_copyout(p, sp, vec, nptr * 8);
	if (err == 0)
		err = gk_copyout(p, str_gva, strs, (size_t)(at - strs));
	free(vec);
	free(strs);
	return err < 0 ? 0 : sp;
}

/*
 * Resolve gpath and open the image. A link in /proc (/proc/self/exe, which
 * busybox execs to run its own applets) is followed here, so that path is
 * the program itself and /proc/PID/exe never names a /proc link.
 */
static int
open_image(struct gk_proc *p, const char *gpath, struct gk_path *path, int *ret_hfd)
{
	char target[GK_PATH_MAX];
	int err = gk_path_resolve(p, AT_FDCWD, gpath, GK_LOOKUP_FOLLOW | GK_LOOKUP_LAZY, path), hops;
	long n;

	for (hops = 0; err == 0 && path->mnt->kind == GK_MNT_PROC; hops++) {
		n = gk_synth_readlink(p, path, target, sizeof(target) - 1);
		if (n < 0 || hops == 8)
			return n < 0 ? -EACCES : -ELOOP;
		target[n] = '\0';
		if (target[0] != '/')
			return -EACCES; /* pipe:[...] and kin */
		err = gk_path_resolve(p, AT_FDCWD, target, GK_LOOKUP_FOLLOW, path);
	}
	if (err < 0)
		return err;
	return gk_vfs_open_exec(p, path, ret_hfd);
}

/* do_exec - gk_exec, depth scripts deep. */
static int
do_exec(struct gk_proc *p, const char *gpath, char *const *argv, char *const *envp, int depth)
{
	struct image im = {.hfd = -1}, in = {.hfd = -1};
	char *nargv[GK_PATH_MAX / 2], interp[GK_PATH_MAX], arg[GK_PATH_MAX], head[256];
	char exe[GK_PATH_MAX];
	struct gk_path path, ipath;
	struct gk_vm *vm, *old;
	struct gk_fdtable *fdt = NULL;
	struct gk_sighand *sh = NULL;
	int hfd, err, i;
	uint64_t entry, sp, args[3];
	ssize_t n;

	snprintf(exe, sizeof(exe), "%s", gpath);
	err = open_image(p, exe, &path, &hfd);
	if (err < 0)
		return err;
	n = pread(hfd, head, sizeof(head), 0);
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		close(hfd);
		if (depth == 4)
			return -ELOOP;
		if (parse_shebang(head, (size_t)n, interp, arg) < 0 || strv_len(argv) > 1000)
			return -ENOEXEC;
		/* The interpreter gets: interp [arg] script argv[1..]. */
		i = 0;
		nargv[i++] = interp;
		if (arg[0])
			nargv[i++] = arg;
		nargv[i++] = exe;
		for (size_t j = 1; argv && argv[j]; j++)
			nargv[i++] = argv[j];
		nargv[i] = NULL;
		return do_exec(p, interp, nargv, envp, depth + 1);
	}
	err = image_read(&im, hfd);
	if (err < 0)
		goto out;
	if (im.eh.e_type == ET_DYN)
		im.bias = PIE_BASE - im.lo;
	if (im.interp[0]) {
		err = open_image(p, im.interp, &ipath, &hfd);
		if (err == 0)
			err = image_read(&in, hfd);
		if (err == 0 && in.interp[0])
			err = -ELIBBAD;
		if (err < 0) {
			err = err == -ENOENT ? -ENOENT : -ELIBBAD;
			goto out;
		}
		in.bias = in.eh.e_type == ET_DYN ? INTERP_BASE - in.lo : 0;
	}
	/* The point of no return, once the new address space exists. */
	vm = gk_vm_new(p->k);
	if (!vm) {
		err = -ENOMEM;
		goto out;
	}
	err = image_fits(vm, &im, in.hfd >= 0 ? &in : NULL);
	if (err == 0 && in.hfd >= 0 && image_fits(vm, &in, NULL) < 0)
		err = -ELIBBAD;
	if (err == 0)
		err = image_map(vm, &im, path.gpath);
	if (err == 0 && in.hfd >= 0)
		err = image_map(vm, &in, ipath.gpath);
	if (err == 0)
		err = gk_vm_map(vm, vm->stack_top - STACK_INIT, STACK_INIT, PROT_READ | PROT_WRITE,
				GK_VMA_GROWSDOWN, NULL, 0, 0);
	/*
	 * The new image has a descriptor table and signal handlers of its
	 * own, as Linux's begin_new_exec() unshares them: close-on-exec and
	 * the reset of handlers must not reach a process that shared them
	 * (clone with CLONE_FILES, CLONE_SIGHAND).
	 */
	if (err == 0 && p->fdt->refs > 1 && !(fdt = gk_fdt_dup(p->fdt)))
		err = -ENOMEM;
	if (err == 0 && p->sighand->refs > 1 && !(sh = gk_sighand_copy(p->sighand)))
		err = -ENOMEM;
	if (err < 0) {
		gk_fdt_free(fdt);
		gk_sighand_unref(sh);
		gk_vm_free(vm);
		goto out;
	}
	vm->brk_start = vm->brk = im.hi + im.bias;
	old = p->vm;
	p->vm = vm;
	entry = in.hfd >= 0 ? in.eh.e_entry + in.bias : im.eh.e_entry + im.bias;
	sp = build_stack(p, argv, envp, path.gpath, &im, in.hfd >= 0 ? &in : NULL, args);
	p->vm = old;
	if (sp == 0) {
		gk_fdt_free(fdt);
		gk_sighand_unref(sh);
		gk_vm_free(vm);
		err = -E2BIG;
		goto out;
	}
	/*
	 * Past every check: the other threads of the process die and p
	 * becomes its leader (Linux's de_thread); then what exit does to
	 * futexes happens to the old image: robust list, PI locks,
	 * clear_child_tid (exec_mm_release).
	 */
	gk_dethread(p);
	gk_futex_exec(p);
	gk_task_vm_set(p, vm);
	if (fdt) {
		gk_fdt_free(p->fdt);
		p->fdt = fdt;
	}
	if (sh) {
		gk_sighand_unref(p->sighand);
		p->sighand = sh;
	}
	p->tg->arg_start = args[0];
	p->tg->env_start = args[1];
	p->tg->env_end = args[2];
	free(p->tg->exe);
	p->tg->exe = strdup(path.gpath);
	snprintf(p->comm, sizeof(p->comm), "%s", strrchr(path.gpath, '/') + 1);
	/* execve(2) clears keepcaps and makes the process dumpable again (no set-user-ID here). */
	p->keepcaps = 0;
	p->tg->dumpable = 1;
	memset(&p->regs, 0, sizeof(p->regs));
	p->regs.rip = entry;
	p->regs.rsp = sp;
	p->regs.rflags = 0x202;
	gk_fd_close_on_exec(p->fdt);
	for (i = 1; i < GK_NSIG; i++) {
		if (p->sighand->action[i].handler != (uint64_t)SIG_IGN)
			memset(&p->sighand->action[i], 0, sizeof(p->sighand->action[i]));
	}
	/* The new image has no alternate stack and no POSIX timers; the mask stays. */
	p->ss_sp = p->ss_size = 0;
	p->ss_flags = 0;
	gk_timers_exec(p);
	/* Prefault the first pages of every segment and the top of the stack. */
	for (i = 0; i < im.phnum; i++) {
		Elf64_Phdr *q = &im.ph[i];
		uint64_t len = q->p_memsz < (1u << 20) ? q->p_memsz : (1u << 20);

		if (q->p_type == PT_LOAD)
			gk_vm_prefault(vm, q->p_vaddr + im.bias, len);
	}
	gk_vm_prefault(vm, gk_page_down(sp) - 4 * GK_PAGE,
		       vm->stack_top - gk_page_down(sp) + 4 * GK_PAGE);
	err = 0;
out:
	image_fini(&im);
	image_fini(&in);
	return err;
}

/*
 * gk_exec - replace p's image with the program at gpath. argv and envp are
 * host copies. Returns 0 (p->regs start the new image) or a negative errno
 * with p unchanged: -ENOENT, -EACCES, -ENOEXEC, -E2BIG, -ENOMEM, -ELOOP.
 */
int
gk_exec(struct gk_proc *p, const char *gpath, char *const *argv, char *const *envp)
{
	return do_exec(p, gpath, argv, envp, 0);
}
