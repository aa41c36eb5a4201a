/*
 * smp.c - one guest process with two threads running on two virtual CPUs at
 * once: two tracer threads, each running its own host thread of the one
 * vmspace (host process).
 *
 * An example of libuvk's public API (<uvk/uvk.h>) and nothing else, grown
 * from two.c (the same bump allocator and ELF loader). The program is loaded
 * once, into one page table; two guest contexts (registers and a stack each,
 * as a kernel gives two threads of a process) run it with argv[1] "A" and
 * "B". Each context runs on a vCPU of its own: a thread that called
 * uvk_vcpu_create() and runs the vmspace with uvk_vcpu_run(). What the two
 * show:
 *
 *   - both count to a million in their own word of one shared page at the
 *     same time, and each sees the other's count (one address space);
 *   - A asks the kernel to remap a page that B is reading in a loop on the
 *     other vCPU: the kernel repoints the entry and calls
 *     uvk_vmspace_invalidate() on A's vCPU; B sees the new page, which it
 *     can only if the invalidation reached the CPU B runs on (otherwise B
 *     would spin on the old page forever);
 *   - the vmspace has one host process, with a host thread per vCPU.
 *
 * The kernel state here is tiny and shared by the two vCPU threads, so it
 * has one lock (k->lock) for the page allocator, the page table edits and
 * the reports; the library takes its own vmspace lock inside its calls.
 *
 * Usage: smp [PROGRAM]; by default the smpcount program built next to it.
 * Exits 0 when both threads exited 0 and every check held, 1 otherwise, 125
 * on a host error (message on stderr).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvk/uvk.h>

#ifndef SMP_DEFAULT_PROGRAM
#define SMP_DEFAULT_PROGRAM "smpcount"
#endif

#define PMEM_BYTES (16ULL << 20)

/* Two stacks, one below the other, STACK_SIZE each, all mapped up front. */
#define STACK_TOP  0x7ff000000000ULL
#define STACK_SIZE (16 * UVK_PAGE_SIZE)
#define STACK_MAX  (2 * STACK_SIZE) /* both of them: no segment may reach down here */

/* The pages the program expects (see smpcount.c). */
#define SHARED_GVA 0x10000000ULL
#define PROBE_GVA  0x10001000ULL

#define SYS_REPORT 500
#define SYS_REMAP  501

#define EXIT_HOST_ERROR 125

#define NCPU 2

/* The kernel: physical memory and the one process's page table. */
struct kernel {
	struct uvk_pmem *pm;
	const struct uvk_vpt_mem *mem;
	uint8_t *ram;	   /* the tracer's view of gpa 0 */
	uint64_t next_gpa; /* bump allocator: the next page never handed out */
	pthread_mutex_t lock; /* next_gpa, the page table, probe_new, saw */
	pthread_cond_t cond;  /* saw changed */
	uint64_t probe_new;   /* the frame PROBE is remapped to */
	long saw;	      /* what B reported reading at PROBE after the remap */
};

/*
 * The process: its page table and vmspace. two.c's loader takes a struct
 * proc; here there is one, shared by both threads.
 */
struct proc {
	struct kernel *k;
	char name[2];
	uint64_t root;
	struct uvk_vmspace *vms;
};

/* A thread of the process, and the vCPU it runs on. */
struct thread {
	struct proc *p;
	const char *name;  /* "A" or "B" */
	int host_cpu;	   /* where its vCPU is pinned, -1: nowhere */
	struct uvk_vcpu *vcpu;
	pthread_barrier_t *made, *go, *done; /* B's vCPU exists; the vmspace exists; freed */
	struct uvk_regs regs;
	long reports[4];
	int nreports;
	int status;	   /* exit status; 125 on a host error */
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* die - report a host-side error on stderr and exit EXIT_HOST_ERROR. */
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("smp: ", stderr);
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
	if (end > STACK_TOP - STACK_MAX || (start < PROBE_GVA + UVK_PAGE_SIZE && end > SHARED_GVA))
		die("segment at %#llx: overlaps the stacks or the shared pages",
		    (unsigned long long)ph->p_vaddr);

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
 * setup_stack - map the stack whose top is top and lay out argc, argv =
 * {path, name}, an empty envp and an empty auxv there. Returns the rsp.
 */
static uint64_t
setup_stack(struct proc *p, uint64_t top, const char *path, const char *name)
{
	const char *args[2] = {path, name};
	uint64_t vec[1 + 2 + 1 + 1 + 2] = {2};
	uint64_t sp = top;
	uint64_t gva;
	int i;

	if (strlen(path) + strlen(name) + sizeof(vec) + 32 > STACK_SIZE)
		die("%s: path too long for the initial stack", path);
	for (gva = top - STACK_SIZE; gva < top; gva += UVK_PAGE_SIZE)
		map_zero_page(p, gva, UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);
	for (i = 1; i >= 0; i--) {
		size_t len = strlen(args[i]) + 1;

		sp -= len;
		if (copy_to_guest(p, sp, args[i], len) < 0)
			die("%s: cannot write the arguments", name);
		vec[1 + i] = sp;
	}
	sp = (sp - sizeof(vec)) & ~15ULL;
	if (copy_to_guest(p, sp, vec, sizeof(vec)) < 0)
		die("%s: cannot write the argument vector", name);
	return sp;
}

/*
 * sys_remap - point PROBE at a page holding 2 instead of 1, then invalidate.
 * The other thread is reading PROBE on the other vCPU right now; once
 * uvk_vmspace_invalidate returns, no vCPU can read the old page through a
 * stale host mapping, so its frame could be reused at once. To show it, A
 * does not return to its guest (no run of A's could carry the unmap to the
 * host as a side effect) until B has reported the new value.
 */
static long
sys_remap(struct thread *t)
{
	struct kernel *k = t->p->k;
	uint64_t old;
	int err;

	pthread_mutex_lock(&k->lock);
	err = uvk_vpt_lookup(k->mem, t->p->root, PROBE_GVA, &old, NULL);
	if (!err)
		err = uvk_vpt_remove(k->mem, t->p->root, PROBE_GVA, NULL);
	if (!err)
		err = uvk_vpt_enter(k->mem, t->p->root, PROBE_GVA,
				    k->probe_new | UVK_PTE_V | UVK_PTE_U | UVK_PTE_NX, page_alloc, k,
				    NULL);
	pthread_mutex_unlock(&k->lock);
	if (err)
		return err;
	err = uvk_vmspace_invalidate(t->p->vms, PROBE_GVA, UVK_PAGE_SIZE);
	if (err)
		return err;
	pthread_mutex_lock(&k->lock);
	while (!k->saw)
		pthread_cond_wait(&k->cond, &k->lock);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

/* B's second report is the value it read after the remap: wake A's sys_remap. */
static void
note_report(struct thread *t, long v)
{
	struct kernel *k = t->p->k;

	t->reports[t->nreports++] = v;
	if (t->name[0] == 'B' && t->nreports == 2) {
		pthread_mutex_lock(&k->lock);
		k->saw = v;
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->lock);
	}
}

/*
 * run_thread - run guest thread t on its vCPU to the end, serving its
 * system calls. Each uvk_vcpu_run resumes this vCPU's own host thread of the
 * vmspace; on B's vCPU the first one adopts the spare the vmspace was made
 * with. Both vCPUs run the one vmspace at the same time.
 */
static void
run_thread(struct thread *t)
{
	for (;;) {
		struct uvk_trap trap;
		int err = uvk_vcpu_run(t->vcpu, t->p->vms, &t->regs, &trap);

		if (err < 0) {
			fprintf(stderr, "smp: %s: uvk_vcpu_run: %s\n", t->name, strerror(-err));
			t->status = EXIT_HOST_ERROR;
			break;
		}
		if (trap.kind == UVK_TRAP_INTERRUPT)
			continue;
		if (trap.kind != UVK_TRAP_SYSCALL) {
			fprintf(stderr, "smp: %s: trap %d at rip %#llx\n", t->name, trap.kind,
				(unsigned long long)t->regs.rip);
			t->status = 128 + (trap.kind == UVK_TRAP_FAULT ? trap.fault.signo : 11);
			break;
		}
		if (trap.syscall.nr == 60 || trap.syscall.nr == 231) {
			t->status = (int)(trap.syscall.args[0] & 0xff);
			break;
		}
		if (trap.syscall.nr == SYS_REPORT && t->nreports < 4) {
			note_report(t, (long)trap.syscall.args[0]);
			t->regs.rax = 0;
		} else if (trap.syscall.nr == SYS_REMAP) {
			t->regs.rax = (uint64_t)sys_remap(t);
		} else {
			t->regs.rax = (uint64_t)-ENOSYS;
		}
	}
}

/*
 * vcpu_b - the second vCPU's thread: it makes itself a vCPU (pinned to its
 * host CPU together with the host thread it will trace), lets main make the
 * vmspace, then runs B. Its thread must outlive the vmspace: the host
 * threads a tracer thread traces die with it (PTRACE_O_EXITKILL), and the
 * whole vmspace with them. So it waits for main to have freed it.
 */
static void *
vcpu_b(void *arg)
{
	struct thread *t = arg;

	t->vcpu = uvk_vcpu_create(t->host_cpu);
	if (!t->vcpu) {
		fprintf(stderr, "smp: %s: uvk_vcpu_create: %s\n", t->name, strerror(errno));
		t->status = EXIT_HOST_ERROR;
	}
	pthread_barrier_wait(t->made);
	pthread_barrier_wait(t->go);
	if (t->vcpu && t->p->vms)
		run_thread(t);
	pthread_barrier_wait(t->done); /* B is over */
	pthread_barrier_wait(t->done); /* the vmspace is freed */
	uvk_vcpu_free(t->vcpu);
	return NULL;
}

/* The i-th CPU this process may use, modulo their number; -1 if it cannot say. */
static int
nth_cpu(int i)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	i %= CPU_COUNT(&set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && n++ == i)
			return c;
	return -1;
}

/* How many threads the host process has: one per vCPU that ran it, and a spare. */
static int
host_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : SMP_DEFAULT_PROGRAM;
	struct kernel k = {0};
	struct proc p = {.k = &k, .name = "P"};
	struct thread th[NCPU];
	pthread_barrier_t made, go, done;
	pthread_t tid_b;
	uint64_t entry, shared, probe;
	long *sh;
	uint8_t *file;
	size_t size;
	int i, err, nthreads, status = 0;

	k.pm = uvk_pmem_create(PMEM_BYTES);
	if (k.pm == NULL)
		die("uvk_pmem_create: %s", strerror(errno));
	k.mem = uvk_pmem_vpt(k.pm);
	k.ram = uvk_pmem_base(k.pm);
	k.next_gpa = UVK_PAGE_SIZE;
	pthread_mutex_init(&k.lock, NULL);
	pthread_cond_init(&k.cond, NULL);

	/* One process: one page table, the program loaded once, two stacks. */
	if (page_alloc(&k, &p.root) < 0)
		die("no page for the root table");
	file = read_file(path, &size);
	entry = load_elf(&p, path, file, size);
	shared = map_zero_page(&p, SHARED_GVA, UVK_PTE_V | UVK_PTE_W | UVK_PTE_U | UVK_PTE_NX);
	probe = map_zero_page(&p, PROBE_GVA, UVK_PTE_V | UVK_PTE_U | UVK_PTE_NX);
	*(long *)(k.ram + probe) = 1;
	if (page_alloc(&k, &k.probe_new) < 0)
		die("no page for the probe");
	*(long *)(k.ram + k.probe_new) = 2;
	sh = (long *)(k.ram + shared);
	memset(th, 0, sizeof(th));
	for (i = 0; i < NCPU; i++) {
		th[i].p = &p;
		th[i].name = i ? "B" : "A";
		th[i].host_cpu = nth_cpu(i);
		th[i].regs.rip = entry;
		th[i].regs.rsp = setup_stack(&p, STACK_TOP - i * STACK_SIZE, path, th[i].name);
		th[i].regs.rflags = 0x202;
		th[i].made = &made;
		th[i].go = &go;
		th[i].done = &done;
	}
	free(file);

	/*
	 * The vCPUs first: the main thread is A's, a new thread makes B's.
	 * A vmspace made while the process has more than one vCPU gets a
	 * spare host thread at once, which B's first run adopts.
	 */
	th[0].vcpu = uvk_vcpu_create(th[0].host_cpu);
	if (!th[0].vcpu)
		die("uvk_vcpu_create: %s", strerror(errno));
	pthread_barrier_init(&made, NULL, 2);
	pthread_barrier_init(&go, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	if (pthread_create(&tid_b, NULL, vcpu_b, &th[1]))
		die("pthread_create failed");
	pthread_barrier_wait(&made);
	p.vms = uvk_vmspace_create(k.pm, 0);
	if (p.vms == NULL)
		die("uvk_vmspace_create: %s", strerror(errno));
	err = uvk_vmspace_set_root(p.vms, p.root);
	if (err < 0)
		die("uvk_vmspace_set_root: %s", strerror(-err));
	pthread_barrier_wait(&go);
	run_thread(&th[0]);
	pthread_barrier_wait(&done); /* B's run is over too */
	nthreads = host_threads(uvk_vmspace_host_pid(p.vms));
	for (i = 0; i < NCPU; i++) {
		if (th[i].status != 0) {
			fprintf(stderr, "smp: %s exited with status %d\n", th[i].name, th[i].status);
			status = 1;
		}
	}
	printf("A counted %ld, B counted %ld\n", th[0].reports[0], th[1].reports[0]);
	printf("A read the sum from shared memory: %ld\n", th[0].reports[1]);
	printf("the shared page holds %ld and %ld\n", sh[0], sh[1]);
	printf("B, reading on the other vCPU, saw the remapped page: %ld\n", th[1].reports[1]);
	/* A's (the first), B's, and the spare B's adoption left for a next vCPU */
	printf("host threads in the one host process: %d\n", nthreads);
	if (th[0].reports[1] != sh[0] + sh[1] || th[1].reports[1] != 2 || nthreads != 3)
		status = 1;
	uvk_vmspace_free(p.vms);
	pthread_barrier_wait(&done);
	pthread_join(tid_b, NULL);
	uvk_vcpu_free(th[0].vcpu);
	uvk_pmem_free(k.pm);
	return status;
}
