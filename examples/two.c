/*
 * two.c - a guest kernel with two processes and a scheduler: round robin,
 * one system call a turn.
 *
 * An example of libuvk's public API (<uvk/uvk.h>) and nothing else, grown
 * from minimal.c: the same bump allocator, ELF loader, stack and write, but
 * two vmspaces on one pmem, each with a page table of its own (so both load
 * the program at the same addresses into different frames). A process runs
 * until its next system call; the call is served and the other process gets
 * the CPU. Since every line the count program prints is one write, the output
 * interleaves deterministically:
 *
 *	A 0, B 0, A 1, B 1, ... A 4, B 4
 *
 * Page faults inside a process's stack region get a zeroed page without a
 * switch; other faults kill that process (status 139, or 128 + signal) and
 * the other one carries on.
 *
 * Usage: two [PROGRAM]; runs "PROGRAM A" and "PROGRAM B", by default the count
 * program built next to it. Exits 0 when both exited 0, 1 when either did
 * not, 125 on a host error (message on stderr).
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

#ifndef TWO_DEFAULT_PROGRAM
#define TWO_DEFAULT_PROGRAM "count"
#endif

#define PMEM_BYTES (16ULL << 20)

/* The stack region of each process, as in minimal.c. */
#define STACK_TOP  0x7ff000000000ULL
#define STACK_MAX  (1ULL << 20)
#define STACK_INIT (4 * UVK_PAGE_SIZE)

#define EXIT_HOST_ERROR 125
#define EXIT_SEGV	139

#define RW_MAX 0x7ffff000ULL

#define NPROC 2

/* Physical memory, shared by every process. */
struct kernel {
	struct uvk_pmem *pm;
	const struct uvk_vpt_mem *mem;
	uint8_t *ram;	   /* the tracer's view of gpa 0 */
	uint64_t next_gpa; /* bump allocator: the next page never handed out */
};

/* A process: its own page table, vmspace and saved registers. */
struct proc {
	struct kernel *k;
	char name[2];  /* "A" or "B": its argv[1] and its name in messages */
	uint64_t root; /* gpa of its level-4 table */
	struct uvk_vmspace *vms;
	struct uvk_regs regs; /* where it stopped, valid between turns */
	int alive;
	int status; /* exit status, once !alive */
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* die - report a host-side error on stderr and exit EXIT_HOST_ERROR. */
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("two: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_HOST_ERROR);
}

/*
 * page_alloc - the uvk_vpt_alloc_fn: a bump allocator over the shared pmem.
 * Nothing is freed before exit, so every page handed out is still zero from
 * uvk_pmem_create(). gpa 0 is kept back so that no frame number is zero.
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

/* map_zero_page - give gva in p a fresh zeroed page with leaf flags prot. Returns its gpa. */
static uint64_t
map_zero_page(struct proc *p, uint64_t gva, uint64_t prot)
{
	uint64_t gpa;
	int err;

	err = page_alloc(p->k, &gpa);
	if (err == 0)
		err = uvk_vpt_enter(p->k->mem, p->root, gva, gpa | prot, page_alloc, p->k, NULL);
	if (err < 0)
		die("%s: cannot map page at %#llx: %s", p->name, (unsigned long long)gva,
		    strerror(-err));
	return gpa;
}

/* copy_to_guest - copy len bytes to gva in p through its page table; 0 or the walk's error. */
static int
copy_to_guest(struct proc *p, uint64_t gva, const void *src, uint64_t len)
{
	const uint8_t *s = src;

	while (len > 0) {
		struct uvk_vpt_walk w;
		uint64_t chunk = UVK_PAGE_SIZE - (gva & ~UVK_PAGE_MASK);
		int err;

		err = uvk_vpt_walk(p->k->mem, p->root, gva, UVK_ACCESS_WRITE, UVK_VPT_SET_AM, &w);
		if (err < 0)
			return err;
		if (chunk > len)
			chunk = len;
		memcpy(p->k->ram + w.gpa, s, chunk);
		gva += chunk;
		s += chunk;
		len -= chunk;
	}
	return 0;
}

/* read_file - the whole of path in a malloc'ed buffer (the caller frees it). Dies on failure. */
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
 * load_segment - map one PT_LOAD segment into p: file bytes copied, the rest
 * zero, W only for PF_W, NX unless PF_X; a page two segments share gets the
 * union of their permissions (see minimal.c).
 */
static void
load_segment(struct proc *p, const uint8_t *file, size_t size, const Elf64_Phdr *ph)
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

		if (uvk_vpt_lookup(p->k->mem, p->root, gva, &old, NULL) == 0) {
			gpa = old & UVK_PTE_FRAME;
			uvk_vpt_update(p->k->mem, p->root, gva, prot & UVK_PTE_W,
				       prot & UVK_PTE_NX ? 0 : UVK_PTE_NX, NULL);
		} else {
			gpa = map_zero_page(p, gva, prot);
		}
		if (file_lo < gva)
			file_lo = gva;
		if (file_hi > gva + UVK_PAGE_SIZE)
			file_hi = gva + UVK_PAGE_SIZE;
		if (file_lo < file_hi)
			memcpy(p->k->ram + gpa + (file_lo - gva),
			       file + ph->p_offset + (file_lo - ph->p_vaddr), file_hi - file_lo);
	}
}

/* load_elf - load a static x86-64 executable into p; returns the entry point, dies on a bad one. */
static uint64_t
load_elf(struct proc *p, const char *path, const uint8_t *file, size_t size)
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
			load_segment(p, file, size, ph);
	}
	return eh->e_entry;
}

/*
 * setup_stack - map the top of p's stack and lay out argc, argv = {path,
 * name}, an empty envp and an empty auxv there, as minimal.c does. Returns
 * the initial rsp.
 */
static uint64_t
setup_stack(struct proc *p, const char *path)
{
	const char *args[2] = {path, p->name};
	uint64_t vec[1 + 2 + 1 + 1 + 2] = {2};
	uint64_t sp = STACK_TOP;
	uint64_t gva;
	int i;

	if (strlen(path) + sizeof(p->name) + sizeof(vec) + 16 > STACK_INIT)
		die("%s: path too long for the initial stack", path);
	for (gva = STACK_TOP - STACK_INIT; gva < STACK_TOP; gva += UVK_PAGE_SIZE)
		map_zero_page(p, gva, UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);
	for (i = 1; i >= 0; i--) {
		size_t len = strlen(args[i]) + 1;

		sp -= len;
		if (copy_to_guest(p, sp, args[i], len) < 0)
			die("%s: cannot write the arguments", p->name);
		vec[1 + i] = sp;
	}
	sp = (sp - sizeof(vec)) & ~15ULL;
	if (copy_to_guest(p, sp, vec, sizeof(vec)) < 0)
		die("%s: cannot write the argument vector", p->name);
	return sp;
}

/* sys_write - write(fd, buf, count) to the host's fd 1 or 2, as in minimal.c. */
static long
sys_write(struct proc *p, uint64_t fd, uint64_t buf, uint64_t count)
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

		if (uvk_vpt_walk(p->k->mem, p->root, gva, UVK_ACCESS_READ, UVK_VPT_SET_AM, &w) < 0)
			return done > 0 ? (long)done : -EFAULT;
		if (chunk > count - done)
			chunk = count - done;
		n = write((int)fd, p->k->ram + w.gpa, chunk);
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

/* proc_exit - p is done with status; its vmspace goes now, the other process is untouched. */
static void
proc_exit(struct proc *p, int status)
{
	p->alive = 0;
	p->status = status;
	uvk_vmspace_free(p->vms);
	p->vms = NULL;
}

/*
 * turn - run p until its next system call and serve that call: one turn of
 * the round robin. Stack faults and interruptions are served inside the
 * turn, since neither is a point where the program could tell that the
 * other one ran. On return p has either a served call behind it or has ended.
 */
static void
turn(struct proc *p)
{
	for (;;) {
		struct uvk_trap trap;
		uint64_t gva;
		int err;

		err = uvk_vmspace_run(p->vms, &p->regs, &trap);
		if (err < 0)
			die("%s: uvk_vmspace_run: %s", p->name, strerror(-err));

		switch (trap.kind) {
		case UVK_TRAP_SYSCALL:
			if (trap.syscall.abi != UVK_ABI_X86_64) {
				p->regs.rax = (uint64_t)-ENOSYS;
				return;
			}
			switch (trap.syscall.nr) {
			case 1: /* write */
				p->regs.rax = sys_write(p, trap.syscall.args[0],
							trap.syscall.args[1], trap.syscall.args[2]);
				return;
			case 60:  /* exit */
			case 231: /* exit_group */
				proc_exit(p, (int)(trap.syscall.args[0] & 0xff));
				return;
			default:
				p->regs.rax = (uint64_t)-ENOSYS;
				return;
			}
		case UVK_TRAP_PAGE_FAULT:
			gva = trap.page_fault.gva;
			if (trap.page_fault.error == -ENOENT && gva >= STACK_TOP - STACK_MAX &&
			    gva < STACK_TOP) {
				map_zero_page(p, gva & UVK_PAGE_MASK,
					      UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);
				break;
			}
			fprintf(stderr, "two: %s: segmentation fault at %#llx (rip %#llx)\n",
				p->name, (unsigned long long)gva, (unsigned long long)p->regs.rip);
			proc_exit(p, EXIT_SEGV);
			return;
		case UVK_TRAP_FAULT:
			fprintf(stderr, "two: %s: killed by signal %d at rip %#llx\n", p->name,
				trap.fault.signo, (unsigned long long)p->regs.rip);
			proc_exit(p, 128 + trap.fault.signo);
			return;
		case UVK_TRAP_INTERRUPT:
			break;
		case UVK_TRAP_EXIT:
			die("%s: the vmspace process died (%s %d)", p->name,
			    trap.exit.exited ? "exit status" : "signal", trap.exit.code);
		}
	}
}

/* proc_start - build process p running path with argv {path, p->name}, ready for its first turn. */
static void
proc_start(struct proc *p, const char *path, const uint8_t *file, size_t size)
{
	int err;

	if (page_alloc(p->k, &p->root) < 0)
		die("%s: no page for the root table", p->name);
	memset(&p->regs, 0, sizeof(p->regs));
	p->regs.rip = load_elf(p, path, file, size);
	p->regs.rsp = setup_stack(p, path);
	p->regs.rflags = 0x202; /* IF, and the always-one bit */

	p->vms = uvk_vmspace_create(p->k->pm, 0);
	if (p->vms == NULL)
		die("%s: uvk_vmspace_create: %s", p->name, strerror(errno));
	err = uvk_vmspace_set_root(p->vms, p->root);
	if (err < 0)
		die("%s: uvk_vmspace_set_root: %s", p->name, strerror(-err));
	p->alive = 1;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : TWO_DEFAULT_PROGRAM;
	struct kernel k = {0};
	struct proc procs[NPROC];
	uint8_t *file;
	size_t size;
	int live = NPROC;
	int i, status = 0;

	k.pm = uvk_pmem_create(PMEM_BYTES);
	if (k.pm == NULL)
		die("uvk_pmem_create: %s", strerror(errno));
	k.mem = uvk_pmem_vpt(k.pm);
	k.ram = uvk_pmem_base(k.pm);
	k.next_gpa = UVK_PAGE_SIZE;

	file = read_file(path, &size);
	for (i = 0; i < NPROC; i++) {
		memset(&procs[i], 0, sizeof(procs[i]));
		procs[i].k = &k;
		procs[i].name[0] = (char)('A' + i);
		proc_start(&procs[i], path, file, size);
	}
	free(file);

	/* Round robin: each live process in turn, one system call each. */
	for (i = 0; live > 0; i = (i + 1) % NPROC) {
		if (!procs[i].alive)
			continue;
		turn(&procs[i]);
		if (!procs[i].alive)
			live--;
	}

	for (i = 0; i < NPROC; i++) {
		if (procs[i].status != 0) {
			fprintf(stderr, "two: %s exited with status %d\n", procs[i].name,
				procs[i].status);
			status = 1;
		}
	}
	uvk_pmem_free(k.pm);
	return status;
}
