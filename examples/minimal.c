/*
 * minimal.c - the smallest guest kernel: one process, one static program,
 * two system calls.
 *
 * An example of libuvk's public API (<uvk/uvk.h>) and nothing else. It makes
 * 16 MiB of guest RAM, hands out its pages with a bump allocator, loads a
 * static ELF executable into a page table of its own making, gives it a stack
 * with argv, and runs it in a vmspace. Every trap comes back here:
 *
 *	write(1 or 2, ...)	copied in through the page table to the host fd
 *	exit, exit_group	the program's status becomes ours
 *	any other call		-ENOSYS
 *	page fault		a zeroed page if it is in the stack region;
 *				anywhere else a segfault, exit status 139
 *	SIGILL and the like	exit status 128 + signal
 *
 * Usage: minimal [PROGRAM [ARG...]]; without arguments it runs the hello
 * program built next to it. Stdout carries only what the guest writes there;
 * our own complaints go to stderr with exit status 125. Being an example, it
 * stops at the first host error rather than unwinding: the process exit frees
 * the pmem, and the vmspace child dies with its tracer.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvk/uvk.h>

#ifndef MINIMAL_DEFAULT_PROGRAM
#define MINIMAL_DEFAULT_PROGRAM "hello"
#endif

#define PMEM_BYTES (16ULL << 20)

/*
 * The stack region: [STACK_TOP - STACK_MAX, STACK_TOP). STACK_INIT bytes at
 * the top are mapped before the start (they hold argv); the rest is filled
 * in by page faults as the program reaches down into it.
 */
#define STACK_TOP  0x7ff000000000ULL
#define STACK_MAX  (1ULL << 20)
#define STACK_INIT (4 * UVK_PAGE_SIZE)

#define EXIT_HOST_ERROR 125
#define EXIT_SEGV	139

/* Linux's cap on one read or write, so that a count never overflows a ssize_t. */
#define RW_MAX 0x7ffff000ULL

/* The kernel's state: one address space, so one root. */
struct kernel {
	struct uvk_pmem *pm;
	const struct uvk_vpt_mem *mem;
	uint8_t *ram;	   /* the tracer's view of gpa 0 */
	uint64_t next_gpa; /* bump allocator: the next page never handed out */
	uint64_t root;	   /* gpa of the level-4 table */
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* die - report a host-side error on stderr and exit EXIT_HOST_ERROR. */
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("minimal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_HOST_ERROR);
}

/*
 * page_alloc - the uvk_vpt_alloc_fn of this kernel, used for table pages and
 * data pages alike. Pages are never freed (the process runs once and the
 * whole pmem goes at exit), so a bump pointer suffices, and every page it
 * hands out is still as zeroed as uvk_pmem_create() made it. gpa 0 is kept
 * back so that a zero frame number never names a real page.
 */
static int
page_alloc(void *ctx, uint64_t *ret_gpa)
{
	struct kernel *k = ctx;

	if (k->next_gpa + UVK_PAGE_SIZE > k->mem->size)
		return -ENOMEM;
	*ret_gpa = k->next_gpa;
	k->next_gpa += UVK_PAGE_SIZE;
	return 0;
}

/* map_zero_page - give gva a fresh zeroed page with leaf flags prot; returns its gpa or dies. */
static uint64_t
map_zero_page(struct kernel *k, uint64_t gva, uint64_t prot)
{
	uint64_t gpa;
	int err;

	err = page_alloc(k, &gpa);
	if (err == 0)
		err = uvk_vpt_enter(k->mem, k->root, gva, gpa | prot, page_alloc, k, NULL);
	if (err < 0)
		die("cannot map page at %#llx: %s", (unsigned long long)gva, strerror(-err));
	return gpa;
}

/*
 * copy_to_guest - copy len bytes to gva through the page table, page by page,
 * since contiguous guest pages need not be contiguous in pmem. Returns 0 or
 * the failed walk's error.
 */
static int
copy_to_guest(struct kernel *k, uint64_t gva, const void *src, uint64_t len)
{
	const uint8_t *p = src;

	while (len > 0) {
		struct uvk_vpt_walk w;
		uint64_t chunk = UVK_PAGE_SIZE - (gva & ~UVK_PAGE_MASK);
		int err;

		err = uvk_vpt_walk(k->mem, k->root, gva, UVK_ACCESS_WRITE, UVK_VPT_SET_AM, &w);
		if (err < 0)
			return err;
		if (chunk > len)
			chunk = len;
		memcpy(k->ram + w.gpa, p, chunk);
		gva += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * read_file - the whole of path in a malloc'ed buffer (the caller frees it),
 * its size in *ret_size. Dies on failure.
 */
static uint8_t *
read_file(const char *path, size_t *ret_size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > PMEM_BYTES)
		die("%s: not a regular file of a sensible size", path);
	buf = malloc(st.st_size);
	if (buf == NULL)
		die("%s: %s", path, strerror(errno));
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s: short read", path);
		done += n;
	}
	close(fd);
	*ret_size = done;
	return buf;
}

/*
 * load_segment - map one PT_LOAD segment: every page it touches gets a frame,
 * the file bytes are copied in and the rest stays zero. The leaf is writable
 * only for PF_W and executable only for PF_X. Two segments may share a page
 * at their edges; the page then keeps its first frame and gets the union of
 * both permissions, as a real kernel's page-granular mapping would give.
 */
static void
load_segment(struct kernel *k, const uint8_t *file, size_t size, const Elf64_Phdr *ph)
{
	uint64_t prot = UVK_PTE_V | UVK_PTE_U;
	uint64_t start, end, gva;

	if (ph->p_memsz == 0)
		return;
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		die("segment at %#llx: file range outside the file",
		    (unsigned long long)ph->p_vaddr);
	if (ph->p_vaddr >= UVK_VA_MAX || ph->p_memsz > UVK_VA_MAX - ph->p_vaddr)
		die("segment at %#llx: outside user space", (unsigned long long)ph->p_vaddr);
	start = ph->p_vaddr & UVK_PAGE_MASK;
	end = (ph->p_vaddr + ph->p_memsz + UVK_PAGE_SIZE - 1) & UVK_PAGE_MASK;
	if (start < UVK_STUB_BASE + UVK_STUB_SIZE && end > UVK_STUB_BASE)
		die("segment at %#llx: overlaps the stub area", (unsigned long long)ph->p_vaddr);
	if (end > STACK_TOP - STACK_MAX)
		die("segment at %#llx: overlaps the stack", (unsigned long long)ph->p_vaddr);

	if (ph->p_flags & PF_W)
		prot |= UVK_PTE_W;
	if (!(ph->p_flags & PF_X))
		prot |= UVK_PTE_NX;

	for (gva = start; gva < end; gva += UVK_PAGE_SIZE) {
		uint64_t file_lo = ph->p_vaddr, file_hi = ph->p_vaddr + ph->p_filesz;
		uint64_t old, gpa;

		if (uvk_vpt_lookup(k->mem, k->root, gva, &old, NULL) == 0) {
			gpa = old & UVK_PTE_FRAME;
			uvk_vpt_update(k->mem, k->root, gva, prot & UVK_PTE_W,
				       prot & UVK_PTE_NX ? 0 : UVK_PTE_NX, NULL);
		} else {
			gpa = map_zero_page(k, gva, prot);
		}
		/* The part of [file_lo, file_hi) that falls in this page. */
		if (file_lo < gva)
			file_lo = gva;
		if (file_hi > gva + UVK_PAGE_SIZE)
			file_hi = gva + UVK_PAGE_SIZE;
		if (file_lo < file_hi)
			memcpy(k->ram + gpa + (file_lo - gva),
			       file + ph->p_offset + (file_lo - ph->p_vaddr), file_hi - file_lo);
	}
}

/*
 * load_elf - check that file is a static x86-64 executable and load its
 * PT_LOAD segments. Position-independent and dynamically linked programs are
 * refused: this kernel has no loader to relocate them. Returns the entry
 * point; dies on a bad file.
 */
static uint64_t
load_elf(struct kernel *k, const char *path, const uint8_t *file, size_t size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
	int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		die("%s: not an x86-64 ELF file", path);
	if (eh->e_type != ET_EXEC)
		die("%s: not a static, non-PIE executable", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		die("%s: program headers outside the file", path);

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff) + i;

		if (ph->p_type == PT_INTERP)
			die("%s: dynamically linked", path);
		if (ph->p_type == PT_LOAD)
			load_segment(k, file, size, ph);
	}
	return eh->e_entry;
}

/*
 * setup_stack - map the top of the stack and lay out what _start finds there,
 * as on Linux (low to high, rsp pointing at argc, 16-byte aligned):
 *
 *	argc | argv[0] .. argv[argc-1] | NULL | NULL (no envp) | AT_NULL, 0 | strings
 *
 * A libc would also want AT_PHDR, AT_RANDOM and friends; the freestanding
 * programs this kernel runs read argc and argv only. Returns the initial rsp.
 */
static uint64_t
setup_stack(struct kernel *k, int argc, char **argv)
{
	uint64_t nwords = 1 + (uint64_t)argc + 1 + 1 + 2;
	uint64_t *vec;
	uint64_t sp = STACK_TOP;
	uint64_t need = nwords * 8 + 16;
	uint64_t gva;
	int i;

	for (i = 0; i < argc; i++)
		need += strlen(argv[i]) + 1;
	if (need > STACK_INIT)
		die("arguments too long for the initial stack");
	for (gva = STACK_TOP - STACK_INIT; gva < STACK_TOP; gva += UVK_PAGE_SIZE)
		map_zero_page(k, gva, UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);

	vec = calloc(nwords, sizeof(*vec));
	if (vec == NULL)
		die("%s", strerror(errno));
	vec[0] = argc;
	for (i = argc - 1; i >= 0; i--) {
		size_t len = strlen(argv[i]) + 1;

		sp -= len;
		if (copy_to_guest(k, sp, argv[i], len) < 0)
			die("cannot write the arguments");
		vec[1 + i] = sp;
	}
	/* vec[argc + 1] ends argv, vec[argc + 2] ends envp, then the AT_NULL pair: all zero. */
	sp = (sp - nwords * 8) & ~15ULL;
	if (copy_to_guest(k, sp, vec, nwords * 8) < 0)
		die("cannot write the argument vector");
	free(vec);
	return sp;
}

/*
 * sys_write - write(fd, buf, count) for fd 1 and 2, which are ours too. The
 * bytes go to the host straight from pmem, one guest page at a time. As on
 * Linux, a fault after some bytes went out is a short write, not -EFAULT.
 */
static long
sys_write(struct kernel *k, uint64_t fd, uint64_t buf, uint64_t count)
{
	uint64_t done = 0;

	if (fd != 1 && fd != 2)
		return -EBADF;
	if (count > RW_MAX)
		count = RW_MAX;
	while (done < count) {
		uint64_t gva = buf + done;
		uint64_t chunk = UVK_PAGE_SIZE - (gva & ~UVK_PAGE_MASK);
		struct uvk_vpt_walk w;
		ssize_t n;

		if (uvk_vpt_walk(k->mem, k->root, gva, UVK_ACCESS_READ, UVK_VPT_SET_AM, &w) < 0)
			return done > 0 ? (long)done : -EFAULT;
		if (chunk > count - done)
			chunk = count - done;
		n = write((int)fd, k->ram + w.gpa, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done > 0 ? (long)done : -errno;
		done += n;
		if ((uint64_t)n < chunk)
			break;
	}
	return (long)done;
}

/*
 * stack_fault - serve a page fault by growing the stack: a missing page
 * inside the stack region gets a zeroed writable page (writable even for a
 * read, since the library reports a write to a never-mapped page as a read).
 * Returns 1 if served, 0 if the fault is the program's own doing.
 */
static int
stack_fault(struct kernel *k, const struct uvk_trap *trap)
{
	uint64_t gva = trap->page_fault.gva;

	if (trap->page_fault.error != -ENOENT || gva < STACK_TOP - STACK_MAX || gva >= STACK_TOP)
		return 0;
	map_zero_page(k, gva & UVK_PAGE_MASK, UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);
	return 1;
}

/*
 * run - run the program to its end and return its exit status (or the
 * status a shell would show for the signal that ended it).
 */
static int
run(struct kernel *k, struct uvk_vmspace *vms, struct uvk_regs *regs)
{
	for (;;) {
		struct uvk_trap trap;
		int err;

		err = uvk_vmspace_run(vms, regs, &trap);
		if (err < 0)
			die("uvk_vmspace_run: %s", strerror(-err));

		switch (trap.kind) {
		case UVK_TRAP_SYSCALL:
			if (trap.syscall.abi != UVK_ABI_X86_64) {
				regs->rax = (uint64_t)-ENOSYS;
				break;
			}
			switch (trap.syscall.nr) {
			case 1: /* write */
				regs->rax = sys_write(k, trap.syscall.args[0], trap.syscall.args[1],
						      trap.syscall.args[2]);
				break;
			case 60:  /* exit */
			case 231: /* exit_group: one thread, so the same */
				return (int)(trap.syscall.args[0] & 0xff);
			default:
				regs->rax = (uint64_t)-ENOSYS;
				break;
			}
			break;
		case UVK_TRAP_PAGE_FAULT:
			if (stack_fault(k, &trap))
				break;
			fprintf(stderr, "minimal: segmentation fault at %#llx (rip %#llx)\n",
				(unsigned long long)trap.page_fault.gva,
				(unsigned long long)regs->rip);
			return EXIT_SEGV;
		case UVK_TRAP_FAULT:
			fprintf(stderr, "minimal: guest killed by signal %d at rip %#llx\n",
				trap.fault.signo, (unsigned long long)regs->rip);
			return 128 + trap.fault.signo;
		case UVK_TRAP_INTERRUPT:
			break;
		case UVK_TRAP_EXIT:
			/* Guest code cannot end the host child: something outside us did. */
			die("the vmspace process died (%s %d)",
			    trap.exit.exited ? "exit status" : "signal", trap.exit.code);
		}
	}
}

int
main(int argc, char **argv)
{
	struct kernel k = {0};
	struct uvk_vmspace *vms;
	struct uvk_regs regs = {0};
	char *default_argv[] = {MINIMAL_DEFAULT_PROGRAM, NULL};
	char **gargv = argc > 1 ? argv + 1 : default_argv;
	int gargc = argc > 1 ? argc - 1 : 1;
	uint8_t *file;
	size_t size;
	int err, status;

	k.pm = uvk_pmem_create(PMEM_BYTES);
	if (k.pm == NULL)
		die("uvk_pmem_create: %s", strerror(errno));
	k.mem = uvk_pmem_vpt(k.pm);
	k.ram = uvk_pmem_base(k.pm);
	k.next_gpa = UVK_PAGE_SIZE;
	err = page_alloc(&k, &k.root);
	if (err < 0)
		die("no page for the root table");

	file = read_file(gargv[0], &size);
	regs.rip = load_elf(&k, gargv[0], file, size);
	free(file);
	regs.rsp = setup_stack(&k, gargc, gargv);
	regs.rflags = 0x202; /* IF, and the always-one bit */

	vms = uvk_vmspace_create(k.pm, 0);
	if (vms == NULL)
		die("uvk_vmspace_create: %s", strerror(errno));
	err = uvk_vmspace_set_root(vms, k.root);
	if (err < 0)
		die("uvk_vmspace_set_root: %s", strerror(-err));

	status = run(&k, vms, &regs);

	uvk_vmspace_free(vms);
	uvk_pmem_free(k.pm);
	return status;
}
