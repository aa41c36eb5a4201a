/*
 * hs_badelf.c - write small x86-64 ELF executables, one valid and the
 * others broken in one header field each, for the loader tests.
 *
 *   hs_badelf DIR     writes DIR/NAME for every variant below (mode 0755)
 *
 * The valid one ("ok") is an ELF header, one PT_LOAD at 0x400000 and the
 * code of exit(0): it runs natively and under uvk, which shows that each
 * refusal is the broken field's doing. The variants whose execve(2) fails
 * with ENOEXEC on Linux before the point of no return are listed in
 * NATIVE_ENOEXEC (run.sh passes them to the guest natively too); the rest
 * are refused by Linux only after the old image is gone (the process is
 * killed), and uvk must refuse them with ENOEXEC while the caller lives.
 */
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	unsigned char code[16];
	char interp[16];
};

#define BASE 0x400000ULL

static void
valid(struct image *im)
{
	static const unsigned char code[] = {
	    0xb8, 0x3c, 0x00, 0x00, 0x00, /* mov $60, %eax (exit) */
	    0x31, 0xff,			  /* xor %edi, %edi */
	    0x0f, 0x05,			  /* syscall */
	};

	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = BASE + offsetof(struct image, code);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph[0].p_type = PT_LOAD;
	im->ph[0].p_flags = PF_R | PF_X;
	im->ph[0].p_offset = 0;
	im->ph[0].p_vaddr = im->ph[0].p_paddr = BASE;
	im->ph[0].p_filesz = im->ph[0].p_memsz = sizeof(*im);
	im->ph[0].p_align = 0x1000;
	memcpy(im->code, code, sizeof(code));
}

/* A second header, PT_INTERP, naming interp[] with filesz bytes. */
static void
interp(struct image *im, uint64_t filesz, const char *path)
{
	im->eh.e_phnum = 2;
	im->ph[1] = im->ph[0];
	im->ph[0].p_type = PT_INTERP;
	im->ph[0].p_flags = PF_R;
	im->ph[0].p_offset = offsetof(struct image, interp);
	im->ph[0].p_vaddr = im->ph[0].p_paddr = BASE + offsetof(struct image, interp);
	im->ph[0].p_filesz = im->ph[0].p_memsz = filesz;
	memcpy(im->interp, path, strlen(path));
}

static int
put_len(const char *dir, const char *name, const struct image *im, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, im, len) != (ssize_t)len || close(fd) < 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int
put(const char *dir, const char *name, const struct image *im)
{
	return put_len(dir, name, im, sizeof(*im));
}

int
main(int argc, char **argv)
{
	struct image im;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: hs_badelf DIR\n");
		return 2;
	}
#define VARIANT(name, change)                  \
	do {                                   \
		valid(&im);                    \
		change;                        \
		err |= put(argv[1], name, &im); \
	} while (0)
	VARIANT("ok", (void)0);
	/* Refused by Linux itself with ENOEXEC (binfmt_elf, before the point of no return). */
	VARIANT("machine", im.eh.e_machine = EM_AARCH64);
	VARIANT("type", im.eh.e_type = ET_REL);
	VARIANT("phentsize", im.eh.e_phentsize = 40);
	VARIANT("phnum0", im.eh.e_phnum = 0);
	VARIANT("phnum_huge", im.eh.e_phnum = 2000);
	VARIANT("interp_short", interp(&im, 1, "/"));
	VARIANT("interp_unterminated", interp(&im, 8, "/nonexis"));
	valid(&im);
	err |= put_len(argv[1], "truncated", &im, 48); /* ends inside the ELF header */
	/* Refused by Linux after the point of no return; by uvk before it. */
	VARIANT("at0", (im.ph[0].p_vaddr = 0, im.eh.e_entry = offsetof(struct image, code)));
	VARIANT("over_stub", (im.ph[0].p_vaddr = 0x100000,
			      im.eh.e_entry = 0x100000 + offsetof(struct image, code)));
	VARIANT("beyond_user", (im.ph[0].p_vaddr = 0x7ffffffff000ULL, im.ph[0].p_memsz = 0x10000));
	VARIANT("offset_wrap", (im.ph[0].p_offset = 0xfffffffffffff000ULL,
				im.ph[0].p_filesz = 0x2000, im.ph[0].p_memsz = 0x2000));
	VARIANT("filesz_gt_memsz", im.ph[0].p_memsz = 16);
	VARIANT("misaligned", im.ph[0].p_vaddr = BASE + 1);
	VARIANT("phoff_outside", im.eh.e_phoff = 1 << 20);
	VARIANT("memsz_huge", im.ph[0].p_memsz = 1ULL << 40);
	VARIANT("vaddr_wrap", (im.ph[0].p_vaddr = 0xfffffffffffff000ULL));
	return err;
}
