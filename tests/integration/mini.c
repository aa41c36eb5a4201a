/*
 * mini.c - see mini.h. Test support code, public API only.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mini.h"

static int
alloc_table(void *ctx, uint64_t *ret_gpa)
{
	*ret_gpa = mini_page(ctx);
	return *ret_gpa ? 0 : -ENOMEM;
}

uint64_t
mini_page(struct mini *m)
{
	uint64_t gpa = m->next_gpa;

	if (gpa + UVK_PAGE_SIZE > uvk_pmem_size(m->pm))
		return 0;
	m->next_gpa += UVK_PAGE_SIZE;
	memset(mini_hva(m, gpa), 0, UVK_PAGE_SIZE);
	return gpa;
}

uint8_t *
mini_hva(struct mini *m, uint64_t gpa)
{
	return uvk_pmem_base(m->pm) + gpa;
}

int
mini_enter(struct mini *m, uint64_t gva, uint64_t gpa, uint64_t flags)
{
	return uvk_vpt_enter(uvk_pmem_vpt(m->pm), m->root, gva, gpa | UVK_PTE_V | flags,
			     alloc_table, m, NULL);
}

int
mini_init(struct mini *m, uint64_t mem)
{
	memset(m, 0, sizeof(*m));
	m->pm = uvk_pmem_create(mem);
	if (!m->pm)
		return -errno;
	/* gpa 0 is a page like any other; start at 4 KiB only to catch stray zeroes. */
	m->next_gpa = UVK_PAGE_SIZE;
	m->root = mini_page(m);
	m->vms = uvk_vmspace_create(m->pm, 0);
	if (!m->vms)
		return -errno;
	return uvk_vmspace_set_root(m->vms, m->root);
}

void
mini_fini(struct mini *m)
{
	uvk_vmspace_free(m->vms);
	uvk_pmem_free(m->pm);
	memset(m, 0, sizeof(*m));
}

static int
load_segment(struct mini *m, const uint8_t *file, size_t size, const Elf64_Phdr *ph)
{
	uint64_t flags = UVK_PTE_U | (ph->p_flags & PF_W ? UVK_PTE_W : 0) |
			 (ph->p_flags & PF_X ? 0 : UVK_PTE_NX);
	uint64_t start = ph->p_vaddr & UVK_PAGE_MASK;
	uint64_t end = (ph->p_vaddr + ph->p_memsz + UVK_PAGE_SIZE - 1) & UVK_PAGE_MASK;

	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || ph->p_filesz > ph->p_memsz)
		return -ENOEXEC;
	for (uint64_t va = start; va < end; va += UVK_PAGE_SIZE) {
		uint64_t gpa = mini_page(m);
		uint64_t lo = va > ph->p_vaddr ? va : ph->p_vaddr;
		uint64_t hi = ph->p_vaddr + ph->p_filesz;

		if (!gpa)
			return -ENOMEM;
		if (hi > va + UVK_PAGE_SIZE)
			hi = va + UVK_PAGE_SIZE;
		if (hi > lo)
			memcpy(mini_hva(m, gpa) + (lo - va), file + ph->p_offset + (lo - ph->p_vaddr),
			       hi - lo);
		if (mini_enter(m, va, gpa, flags))
			return -EFAULT;
	}
	return 0;
}

int
mini_load(struct mini *m, const char *path)
{
	const Elf64_Ehdr *eh;
	uint8_t *file;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*eh)) {
		close(fd);
		return -ENOEXEC;
	}
	file = malloc(st.st_size);
	if (!file || read(fd, file, st.st_size) != st.st_size) {
		free(file);
		close(fd);
		return -EIO;
	}
	close(fd);
	eh = (const Elf64_Ehdr *)file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_machine != EM_X86_64 ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > (uint64_t)st.st_size) {
		free(file);
		return -ENOEXEC;
	}
	uint64_t entry = eh->e_entry;

	for (int i = 0; i < eh->e_phnum && !rc; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD)
			rc = load_segment(m, file, st.st_size, ph);
	}
	free(file);
	if (rc)
		return rc;
	for (int i = 1; i <= MINI_STACK_PAGES; i++)
		if (mini_enter(m, MINI_STACK_TOP - i * UVK_PAGE_SIZE, mini_page(m),
			       UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX))
			return -ENOMEM;
	uint64_t argpa = mini_page(m);
	if (!argpa || mini_enter(m, MINI_ARG_GVA, argpa, UVK_PTE_U | UVK_PTE_W | UVK_PTE_NX))
		return -ENOMEM;
	m->arg = (long *)mini_hva(m, argpa);
	memset(&m->regs, 0, sizeof(m->regs));
	m->regs.rip = entry;
	m->regs.rsp = MINI_STACK_TOP;
	m->regs.rdi = MINI_ARG_GVA;
	m->regs.rflags = 0x202;
	return 0;
}

int
mini_run(struct mini *m, struct uvk_trap *t)
{
	int rc;

	do
		rc = uvk_vmspace_run(m->vms, &m->regs, t);
	while (!rc && t->kind == UVK_TRAP_INTERRUPT);
	return rc;
}

int
mini_run_to_exit(struct mini *m, long *reports, int max, int *nreports, struct uvk_trap *last)
{
	struct uvk_trap t;
	int n = 0, rc;

	for (;;) {
		rc = mini_run(m, &t);
		if (rc)
			return rc;
		if (last)
			*last = t;
		if (t.kind != UVK_TRAP_SYSCALL)
			return -1000 - (int)t.kind;
		if (t.syscall.nr == 60 || t.syscall.nr == 231) {
			if (nreports)
				*nreports = n;
			return (int)(t.syscall.args[0] & 0xff);
		}
		if (t.syscall.nr == SYS_REPORT && n < max)
			reports[n++] = (long)t.syscall.args[0];
		m->regs.rax = t.syscall.nr == SYS_REPORT ? 0 : (uint64_t)-ENOSYS;
	}
}

const char *
mini_guest(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("UVK_TEST_GUESTS");

	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : GUEST_DIR, name);
	return buf;
}
