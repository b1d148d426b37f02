/*
 * Copyright (c) 2026 The vmmsim authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * ELF kernels as vmd's loadfile_elf boots an OpenBSD kernel: the program
 * segments at their physical addresses masked to 256 MiB, the BSS zeroed,
 * the ELF header, section headers and symbol tables appended for ddb, then
 * the pages the OpenBSD boot loader would have left: boot arguments at
 * 0x2000, the boot stack below 0x10000, a GDT at 0x10000 and identity page
 * tables at 0x11000.
 *
 * Differences from vmd, on purpose:
 * - The whole file is validated first; vmd trusts the headers (it mallocs
 *   e_phnum * sizeof(Phdr) and reads section names without bounds).
 * - vmd copies a segment to its unmasked p_paddr while the marks (entry,
 *   end) are masked; here both are masked, so a kernel linked with
 *   p_paddr == p_vaddr lands where its entry point says.
 * - PT_OPENBSD_RANDOMIZE segments get bytes from a fixed-seed generator,
 *   not arc4random: the same image boots the same way every time, which
 *   deterministic replay needs (the bytes are no secret).
 * - The command line is ignored: OpenBSD's boot protocol has none (boot(8)
 *   passes flags in howto, here 0).
 * - No BOOTARG_BOOTMAC record: there is no network boot device here.
 */

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/loader_impl.h"

#define PAGE		4096ULL

/* Fixed low pages of the OpenBSD boot protocol. */
#define BOOTARGS_PAGE	0x2000ULL
#define STACK_PAGE	0xF000ULL
#define GDT_PAGE	0x10000ULL
#define PML4_PAGE	0x11000ULL
#define PML3_PAGE	0x12000ULL
#define PML2_PAGE	0x13000ULL
#define BOOT_PAGES_END	0x14000ULL

#define LOADADDR_MASK	0x0FFFFFFFULL	/* kernel VA -> PA, as vmd */

#define PT_OPENBSD_RANDOMIZE	0x65a3dbe6
#define ELF_CTF			".SUNW_ctf"

/* Page-table entry bits. */
#define PG_V		0x001ULL
#define PG_RW		0x002ULL
#define PG_u		0x004ULL
#define PG_PS		0x080ULL

/* machine/biosvar.h */
#define BOOTARG_MEMMAP	0
#define BOOTARG_CONSDEV	5
#define BOOTARG_END	0xFFFFFFFFU
#define BIOS_MAP_END	0
#define BIOS_MAP_FREE	1
#define BIOS_MAP_RES	2
#define BOOTARG_APIVER	0x0E
/* MAKEBOOTDEV(type 4 (sd), adaptor 0, controller 0, unit 0, partition 0) */
#define BOOTDEV_SD0A	0xA0000004U
#define COM_MAJOR	8

struct bios_memmap {
	uint64_t	addr;
	uint64_t	size;
	uint32_t	type;
} __attribute__((packed));

/* The amd64 layout since the MMIO-console fields were added. */
struct bios_consdev {
	int32_t		consdev;
	int32_t		conspeed;
	uint64_t	consaddr;
	int32_t		consfreq;
	uint32_t	flags;
	uint32_t	reg_width;
	uint32_t	reg_shift;
} __attribute__((packed));

/* Seed of the PT_OPENBSD_RANDOMIZE fill ("vmmsim" in ASCII). */
#define RANDOMIZE_SEED	0x766d6d73696dULL

int
loader_fail(char err[LOADER_ERRLEN], int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, LOADER_ERRLEN, fmt, ap);
	va_end(ap);
	return (error);
}

int
loader_span_ok(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	const struct vm_mem_range *r;
	uint64_t n;

	if (len > 0 && gpa + len - 1 < gpa)
		return (0);
	while (len > 0) {
		if ((r = guestmem_find(gm, gpa)) == NULL ||
		    r->vmr_type == VM_MEM_MMIO)
			return (0);
		n = r->vmr_size - (gpa - r->vmr_gpa);
		if (n >= len)
			return (1);
		gpa += n;
		len -= n;
	}
	return (1);
}

void
loader_elf_plan_free(struct loader_elf_plan *p)
{
	free(p->segs);
	free(p->rnd);
	free(p->meta);
	free(p->syms);
	memset(p, 0, sizeof(*p));
}

/* a + b, or 1 in *ovf when it wraps. */
static uint64_t
add(uint64_t a, uint64_t b, int *ovf)
{
	if (a + b < a)
		*ovf = 1;
	return (a + b);
}

static uint64_t
roundup8(uint64_t v, int *ovf)
{
	return (add(v, 7, ovf) & ~7ULL);
}

/* A copy of [gpa, gpa+len) must land in memory and avoid the boot pages. */
static int
check_place(const struct guestmem *gm, const struct loader_elf_opts *o,
    const char *what, size_t i, uint64_t gpa, uint64_t len,
    char err[LOADER_ERRLEN])
{
	if (len == 0)
		return (0);
	if (gpa + len - 1 < gpa || !loader_span_ok(gm, gpa, len))
		return (loader_fail(err, EFBIG, "%s %zu at 0x%llx (0x%llx bytes) "
		    "is not in guest memory", what, i, (unsigned long long)gpa,
		    (unsigned long long)len));
	if (gpa < o->resv_hi && gpa + len > o->resv_lo)
		return (loader_fail(err, EINVAL, "%s %zu at 0x%llx overlaps the "
		    "loader's pages at 0x%llx-0x%llx", what, i,
		    (unsigned long long)gpa, (unsigned long long)o->resv_lo,
		    (unsigned long long)o->resv_hi - 1));
	return (0);
}

/* The class-independent fields of an ELF header or program header. */
struct ehdr {
	uint16_t	type, machine, ehsize, phentsize, phnum;
	uint16_t	shentsize, shnum, shstrndx;
	uint32_t	version;
	uint64_t	entry, phoff, shoff;
};

struct phdr {
	uint32_t	type, flags;
	uint64_t	offset, paddr, filesz, memsz;
};

struct shdr {
	uint32_t	name, type;
	uint64_t	offset, size;
};

static void
get_ehdr(const uint8_t *d, int is64, struct ehdr *h)
{
	if (is64) {
		Elf64_Ehdr e;

		memcpy(&e, d, sizeof(e));
		h->type = e.e_type;
		h->machine = e.e_machine;
		h->version = e.e_version;
		h->entry = e.e_entry;
		h->phoff = e.e_phoff;
		h->shoff = e.e_shoff;
		h->ehsize = e.e_ehsize;
		h->phentsize = e.e_phentsize;
		h->phnum = e.e_phnum;
		h->shentsize = e.e_shentsize;
		h->shnum = e.e_shnum;
		h->shstrndx = e.e_shstrndx;
	} else {
		Elf32_Ehdr e;

		memcpy(&e, d, sizeof(e));
		h->type = e.e_type;
		h->machine = e.e_machine;
		h->version = e.e_version;
		h->entry = e.e_entry;
		h->phoff = e.e_phoff;
		h->shoff = e.e_shoff;
		h->ehsize = e.e_ehsize;
		h->phentsize = e.e_phentsize;
		h->phnum = e.e_phnum;
		h->shentsize = e.e_shentsize;
		h->shnum = e.e_shnum;
		h->shstrndx = e.e_shstrndx;
	}
}

static void
get_phdr(const uint8_t *d, int is64, struct phdr *p)
{
	if (is64) {
		Elf64_Phdr e;

		memcpy(&e, d, sizeof(e));
		p->type = e.p_type;
		p->flags = e.p_flags;
		p->offset = e.p_offset;
		p->paddr = e.p_paddr;
		p->filesz = e.p_filesz;
		p->memsz = e.p_memsz;
	} else {
		Elf32_Phdr e;

		memcpy(&e, d, sizeof(e));
		p->type = e.p_type;
		p->flags = e.p_flags;
		p->offset = e.p_offset;
		p->paddr = e.p_paddr;
		p->filesz = e.p_filesz;
		p->memsz = e.p_memsz;
	}
}

static void
get_shdr(const uint8_t *d, int is64, struct shdr *s)
{
	if (is64) {
		Elf64_Shdr e;

		memcpy(&e, d, sizeof(e));
		s->name = e.sh_name;
		s->type = e.sh_type;
		s->offset = e.sh_offset;
		s->size = e.sh_size;
	} else {
		Elf32_Shdr e;

		memcpy(&e, d, sizeof(e));
		s->name = e.sh_name;
		s->type = e.sh_type;
		s->offset = e.sh_offset;
		s->size = e.sh_size;
	}
}

/* Rewrite a section header in the appended copy: new offset, SHF_ALLOC. */
static void
put_shdr(uint8_t *d, int is64, uint64_t offset)
{
	if (is64) {
		Elf64_Shdr e;

		memcpy(&e, d, sizeof(e));
		e.sh_offset = offset;
		e.sh_flags |= SHF_ALLOC;
		memcpy(d, &e, sizeof(e));
	} else {
		Elf32_Shdr e;

		memcpy(&e, d, sizeof(e));
		e.sh_offset = (Elf32_Off)offset;
		e.sh_flags |= SHF_ALLOC;
		memcpy(d, &e, sizeof(e));
	}
}

/* The header as the kernel finds it at esym: no program headers. */
static void
put_ehdr(uint8_t *d, int is64)
{
	if (is64) {
		Elf64_Ehdr e;

		memcpy(&e, d, sizeof(e));
		e.e_phoff = 0;
		e.e_shoff = sizeof(Elf64_Ehdr);
		e.e_phentsize = 0;
		e.e_phnum = 0;
		memcpy(d, &e, sizeof(e));
	} else {
		Elf32_Ehdr e;

		memcpy(&e, d, sizeof(e));
		e.e_phoff = 0;
		e.e_shoff = sizeof(Elf32_Ehdr);
		e.e_phentsize = 0;
		e.e_phnum = 0;
		memcpy(d, &e, sizeof(e));
	}
}

/* Is section name `off` in the string table `want`? Bounded. */
static int
name_is(const uint8_t *strtab, uint64_t strsz, uint64_t off, const char *want)
{
	size_t n = strlen(want) + 1;

	if (strtab == NULL || off >= strsz || strsz - off < n)
		return (0);
	return (memcmp(strtab + off, want, n) == 0);
}

/*
 * The appended symbols, as the OpenBSD boot loader lays them out at the
 * 8-aligned end of the image: the ELF header (no program headers), the
 * section headers, then each SYMTAB and STRTAB section (and .debug_line,
 * and CTF for ELF64) with its sh_offset rewritten relative to the header.
 * As there, the tables are copied only when a SYMTAB exists, but end
 * counts them either way.
 */
static int
plan_syms(const struct guestmem *gm, const struct loader_image *img,
    const struct ehdr *h, const struct loader_elf_opts *o,
    struct loader_elf_plan *p, uint64_t maxp, char err[LOADER_ERRLEN])
{
	const size_t ehsz = p->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	const size_t shsz = p->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	const uint8_t *strtab = NULL;
	struct shdr s;
	uint64_t sz, off, strsz = 0, elfp;
	size_t i;
	int ovf = 0, havesyms = 0, wanted;

	if (h->shnum != 0) {
		if (h->shentsize != shsz)
			return (loader_fail(err, EINVAL, "section header size "
			    "%u, expected %zu", h->shentsize, shsz));
		sz = (uint64_t)h->shnum * shsz;
		if (h->shoff > img->len || img->len - h->shoff < sz)
			return (loader_fail(err, EINVAL, "section headers beyond "
			    "the end of the file"));
		if (h->shstrndx >= h->shnum && h->shstrndx != SHN_UNDEF)
			return (loader_fail(err, EINVAL, "section name table "
			    "index %u out of range", h->shstrndx));
	} else
		sz = 0;
	if ((p->meta = calloc(1, ehsz + sz)) == NULL)
		return (loader_fail(err, ENOMEM, "out of memory"));
	memcpy(p->meta, img->data, ehsz);
	put_ehdr(p->meta, p->is64);
	if (sz > 0)
		memcpy(p->meta + ehsz, img->data + h->shoff, sz);
	p->metalen = ehsz + sz;

	if (h->shnum != 0 && h->shstrndx != SHN_UNDEF) {
		get_shdr(img->data + h->shoff + h->shstrndx * shsz, p->is64, &s);
		if (s.offset > img->len || img->len - s.offset < s.size)
			return (loader_fail(err, EINVAL, "section name table "
			    "beyond the end of the file"));
		strtab = img->data + s.offset;
		strsz = s.size;
	}
	for (i = 0; i < h->shnum; i++) {
		get_shdr(p->meta + ehsz + i * shsz, p->is64, &s);
		if (s.type == SHT_SYMTAB)
			havesyms = 1;
	}
	if ((p->syms = calloc(h->shnum + 1, sizeof(*p->syms))) == NULL)
		return (loader_fail(err, ENOMEM, "out of memory"));

	elfp = maxp = roundup8(maxp, &ovf);
	maxp = add(maxp, ehsz, &ovf);
	maxp = add(maxp, roundup8(sz, &ovf), &ovf);
	off = roundup8(ehsz + sz, &ovf);
	for (i = 0; i < h->shnum; i++) {
		uint8_t *sh = p->meta + ehsz + i * shsz;

		get_shdr(sh, p->is64, &s);
		wanted = s.type == SHT_SYMTAB || s.type == SHT_STRTAB ||
		    name_is(strtab, strsz, s.name, ".debug_line") ||
		    (p->is64 && name_is(strtab, strsz, s.name, ELF_CTF));
		if (!wanted)
			continue;
		if (havesyms) {
			if (s.offset > img->len || img->len - s.offset < s.size)
				return (loader_fail(err, EINVAL, "section %zu "
				    "beyond the end of the file", i));
			p->syms[p->nsyms].gpa = maxp;
			p->syms[p->nsyms].off = s.offset;
			p->syms[p->nsyms].filesz = s.size;
			p->syms[p->nsyms].memsz = s.size;
			p->nsyms++;
		}
		maxp = add(maxp, roundup8(s.size, &ovf), &ovf);
		put_shdr(sh, p->is64, off);
		off = add(off, roundup8(s.size, &ovf), &ovf);
	}
	if (ovf || maxp > o->mask)
		return (loader_fail(err, EFBIG, "symbols end beyond 0x%llx",
		    (unsigned long long)o->mask));
	p->meta_gpa = elfp;
	p->end = maxp;
	if (check_place(gm, o, "ELF header copy", 0, elfp, p->metalen,
	    err) != 0)
		return (EFBIG);
	for (i = 0; i < p->nsyms; i++)
		if (check_place(gm, o, "symbol section", i, p->syms[i].gpa,
		    p->syms[i].memsz, err) != 0)
			return (EFBIG);
	return (0);
}

/*
 * Validate an ELF executable and work out where everything goes.  Returns
 * 0, or ENOEXEC (not ELF), EINVAL (broken or unsupported ELF), EFBIG (does
 * not fit the guest's memory) or ENOMEM, with err set.  On error the plan
 * holds nothing.
 */
int
loader_elf_plan(const struct guestmem *gm, const struct loader_image *img,
    const struct loader_elf_opts *o, struct loader_elf_plan *p,
    char err[LOADER_ERRLEN])
{
	const uint8_t *d = img->data;
	struct ehdr h;
	struct phdr ph;
	size_t ehsz, phsz, i;
	uint64_t minp = UINT64_MAX, maxp = 0, gpa;
	int error, entry_ok = 0;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	if (img->len < SELFMAG || memcmp(d, ELFMAG, SELFMAG) != 0)
		return (loader_fail(err, ENOEXEC, "not an ELF file"));
	if (img->len < EI_NIDENT)
		return (loader_fail(err, EINVAL, "ELF identification truncated "
		    "at %zu bytes", img->len));
	if (d[EI_CLASS] == ELFCLASS64 && (o->flags & LOADER_ELF64))
		p->is64 = 1;
	else if (d[EI_CLASS] == ELFCLASS32 && (o->flags & LOADER_ELF32))
		p->is64 = 0;
	else
		return (loader_fail(err, EINVAL, "unsupported ELF class %u",
		    d[EI_CLASS]));
	if (d[EI_DATA] != ELFDATA2LSB)
		return (loader_fail(err, EINVAL, "not a little-endian ELF file"));
	if (d[EI_VERSION] != EV_CURRENT)
		return (loader_fail(err, EINVAL, "unsupported ELF version %u",
		    d[EI_VERSION]));
	ehsz = p->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	phsz = p->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (img->len < ehsz)
		return (loader_fail(err, EINVAL, "ELF header truncated at %zu "
		    "bytes", img->len));
	get_ehdr(d, p->is64, &h);
	if (h.machine != (p->is64 ? EM_X86_64 : EM_386))
		return (loader_fail(err, EINVAL, "ELF machine %u is not %s",
		    h.machine, p->is64 ? "x86-64" : "i386"));
	if (h.type != ET_EXEC)
		return (loader_fail(err, EINVAL, "ELF type %u is not an "
		    "executable", h.type));
	if (h.version != EV_CURRENT)
		return (loader_fail(err, EINVAL, "unsupported ELF version %u",
		    h.version));
	if (h.phnum == 0 || h.phnum == PN_XNUM)
		return (loader_fail(err, EINVAL, "%s program headers",
		    h.phnum == 0 ? "no" : "extended numbering of"));
	if (h.phentsize != phsz)
		return (loader_fail(err, EINVAL, "program header size %u, "
		    "expected %zu", h.phentsize, phsz));
	if (h.phoff > img->len || (img->len - h.phoff) / phsz < h.phnum)
		return (loader_fail(err, EINVAL, "program headers beyond the "
		    "end of the file"));

	p->segs = calloc(h.phnum, sizeof(*p->segs));
	p->rnd = calloc(h.phnum, sizeof(*p->rnd));
	if (p->segs == NULL || p->rnd == NULL) {
		error = loader_fail(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < h.phnum; i++) {
		get_phdr(d + h.phoff + i * phsz, p->is64, &ph);
		if (ph.type == PT_OPENBSD_RANDOMIZE) {
			gpa = ph.paddr & o->mask;
			if ((error = check_place(gm, o, "random segment", i,
			    gpa, ph.filesz, err)) != 0)
				goto fail;
			p->rnd[p->nrnd].gpa = gpa;
			p->rnd[p->nrnd].memsz = ph.filesz;
			p->nrnd++;
			continue;
		}
		/* As vmd: only loadable segments with some permission. */
		if (ph.type != PT_LOAD ||
		    (ph.flags & (PF_R | PF_W | PF_X)) == 0)
			continue;
		if (ph.filesz > ph.memsz) {
			error = loader_fail(err, EINVAL, "segment %zu: file size "
			    "0x%llx > memory size 0x%llx", i,
			    (unsigned long long)ph.filesz,
			    (unsigned long long)ph.memsz);
			goto fail;
		}
		if (ph.offset > img->len || img->len - ph.offset < ph.filesz) {
			error = loader_fail(err, EINVAL, "segment %zu beyond the "
			    "end of the file", i);
			goto fail;
		}
		gpa = ph.paddr & o->mask;
		if (ph.memsz > o->mask || gpa + ph.memsz < gpa) {
			error = loader_fail(err, EFBIG, "segment %zu: 0x%llx "
			    "bytes do not fit", i,
			    (unsigned long long)ph.memsz);
			goto fail;
		}
		if ((error = check_place(gm, o, "segment", i, gpa, ph.memsz,
		    err)) != 0)
			goto fail;
		p->segs[p->nsegs].gpa = gpa;
		p->segs[p->nsegs].off = ph.offset;
		p->segs[p->nsegs].filesz = ph.filesz;
		p->segs[p->nsegs].memsz = ph.memsz;
		p->nsegs++;
		if (gpa < minp)
			minp = gpa;
		if (gpa + ph.memsz > maxp)
			maxp = gpa + ph.memsz;
		if ((h.entry & o->mask) >= gpa &&
		    (h.entry & o->mask) - gpa < ph.memsz)
			entry_ok = 1;
	}
	if (p->nsegs == 0) {
		error = loader_fail(err, EINVAL, "no loadable segments");
		goto fail;
	}
	p->entry = h.entry & o->mask;
	if (!entry_ok) {
		error = loader_fail(err, EINVAL, "entry point 0x%llx is outside "
		    "the loaded segments", (unsigned long long)p->entry);
		goto fail;
	}
	p->start = minp;
	p->end = maxp;
	if ((o->flags & LOADER_ELFSYMS) &&
	    (error = plan_syms(gm, img, &h, o, p, maxp, err)) != 0)
		goto fail;
	return (0);
fail:
	loader_elf_plan_free(p);
	return (error);
}

/* splitmix64: a fixed sequence for the randomize segments. */
static uint64_t
next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

static int
copy(const struct guestmem *gm, const struct loader_image *img,
    const struct loader_copy *c)
{
	int error;

	if ((error = guestmem_write(gm, c->gpa, img->data + c->off,
	    c->filesz)) != 0)
		return (error);
	return (guestmem_write(gm, c->gpa + c->filesz, NULL,
	    c->memsz - c->filesz));
}

/*
 * Carry out a plan: segments, BSS, the symbols, then the randomize fills
 * (after the PT_LOAD copies, which would otherwise overwrite them with the
 * file's zeros whatever the program header order).
 */
int
loader_elf_apply(const struct guestmem *gm, const struct loader_image *img,
    const struct loader_elf_plan *p)
{
	uint64_t state = RANDOMIZE_SEED, r = 0;
	uint8_t buf[512];
	size_t i, n, k;
	uint64_t pos;
	int error;

	for (i = 0; i < p->nsegs; i++)
		if ((error = copy(gm, img, &p->segs[i])) != 0)
			return (error);
	if (p->meta != NULL &&
	    (error = guestmem_write(gm, p->meta_gpa, p->meta, p->metalen)) != 0)
		return (error);
	for (i = 0; i < p->nsyms; i++)
		if ((error = copy(gm, img, &p->syms[i])) != 0)
			return (error);
	for (i = 0; i < p->nrnd; i++) {
		for (pos = 0; pos < p->rnd[i].memsz; pos += n) {
			n = sizeof(buf);
			if (n > p->rnd[i].memsz - pos)
				n = p->rnd[i].memsz - pos;
			for (k = 0; k < n; k++) {
				if (k % 8 == 0)
					r = next_rand(&state);
				buf[k] = (uint8_t)(r >> (8 * (k % 8)));
			}
			if ((error = guestmem_write(gm, p->rnd[i].gpa + pos, buf,
			    n)) != 0)
				return (error);
		}
	}
	return (0);
}

/* GDT descriptor: flat base 0, limit 4 GiB, the given access and flags. */
static uint64_t
desc(uint8_t access, uint8_t flags)
{
	return (0xFFFFULL | ((uint64_t)access << 40) |
	    (0xFULL << 48) | ((uint64_t)flags << 52));
}

/*
 * The GDT of the OpenBSD boot loader: null, 0x08 32-bit code, 0x10 data,
 * 0x18 64-bit code (present, DPL 0, accessed, 4 KiB granularity).
 */
static int
push_gdt(const struct guestmem *gm)
{
	uint64_t gdt[PAGE / 8];

	memset(gdt, 0, sizeof(gdt));
	gdt[1] = desc(0x9B, 0xC);		/* G, D */
	gdt[2] = desc(0x93, 0xC);
	gdt[3] = desc(0x9B, 0xA);		/* G, L */
	return (guestmem_write(gm, GDT_PAGE, gdt, sizeof(gdt)));
}

/*
 * Identity map the first 1 GiB with 2 MiB pages (vmd's push_pt_64, whose
 * PML4 entry is present but read-only: CR0.WP is clear at entry).
 */
static int
push_pt_64(const struct guestmem *gm)
{
	uint64_t pt[PAGE / 8];
	size_t i;
	int error;

	memset(pt, 0, sizeof(pt));
	pt[0] = PML3_PAGE | PG_V;
	if ((error = guestmem_write(gm, PML4_PAGE, pt, sizeof(pt))) != 0)
		return (error);
	pt[0] = PML2_PAGE | PG_V | PG_RW | PG_u;
	if ((error = guestmem_write(gm, PML3_PAGE, pt, sizeof(pt))) != 0)
		return (error);
	for (i = 0; i < PAGE / 8; i++)
		pt[i] = (i << 21) | PG_V | PG_RW | PG_u | PG_PS;
	return (guestmem_write(gm, PML2_PAGE, pt, sizeof(pt)));
}

/* i386: a 4 MiB-page directory mapping all 4 GiB, at PML3_PAGE. */
static int
push_pt_32(const struct guestmem *gm)
{
	uint32_t pd[PAGE / 4];
	size_t i;

	for (i = 0; i < PAGE / 4; i++)
		pd[i] = (uint32_t)(i << 22) | PG_V | PG_RW | PG_u | PG_PS;
	return (guestmem_write(gm, PML3_PAGE, pd, sizeof(pd)));
}

/*
 * The boot-arguments page: a memory map record (one bios_memmap per range
 * of the layout, RAM free and the rest reserved, then an END entry), the
 * console record (com0 at 0x3F8, 115200 baud) and the end marker.  Each
 * record is headed by type, size and size again (the "next" offset).
 * Returns the bytes used.
 */
static int
push_bootargs(const struct guestmem *gm, uint32_t *sizep)
{
	uint32_t ba[PAGE / 4];
	struct bios_memmap mm;
	struct bios_consdev cd;
	uint32_t sz, i;
	size_t r;

	memset(ba, 0, sizeof(ba));
	sz = 3 * 4 + (uint32_t)(gm->nranges + 1) * sizeof(mm);
	ba[0] = BOOTARG_MEMMAP;
	ba[1] = sz;
	ba[2] = sz;
	for (r = 0; r <= gm->nranges; r++) {
		memset(&mm, 0, sizeof(mm));
		if (r < gm->nranges) {
			mm.addr = gm->ranges[r].vmr_gpa;
			mm.size = gm->ranges[r].vmr_size;
			mm.type = gm->ranges[r].vmr_type == VM_MEM_RAM ?
			    BIOS_MAP_FREE : BIOS_MAP_RES;
		} else
			mm.type = BIOS_MAP_END;
		memcpy((uint8_t *)&ba[3] + r * sizeof(mm), &mm, sizeof(mm));
	}
	i = sz / 4;

	memset(&cd, 0, sizeof(cd));
	cd.consdev = COM_MAJOR << 8;		/* makedev(8, 0): com0 */
	cd.conspeed = 115200;
	cd.consaddr = 0x3F8;
	sz = 3 * 4 + sizeof(cd);
	ba[i] = BOOTARG_CONSDEV;
	ba[i + 1] = sz;
	ba[i + 2] = sz;
	memcpy(&ba[i + 3], &cd, sizeof(cd));
	i += sz / 4;

	ba[i++] = BOOTARG_END;
	*sizep = i * 4;
	return (guestmem_write(gm, BOOTARGS_PAGE, ba, sizeof(ba)));
}

/*
 * The boot stack, as the boot loader's exec() call leaves it: from RSP
 * up, a return address, howto, bootdev, bootapiver, end, extmem, cnvmem
 * (both 0: the kernel then uses the memory map), the size and address of
 * the boot arguments.  Returns the initial RSP.
 */
static int
push_stack(const struct guestmem *gm, uint32_t bootargsz, uint32_t end,
    uint64_t *rsp)
{
	uint32_t st[PAGE / 4];
	size_t loc = PAGE / 4;

	memset(st, 0, sizeof(st));
	st[--loc] = BOOTARGS_PAGE;
	st[--loc] = bootargsz;
	st[--loc] = 0;			/* cnvmem (biosbasemem) */
	st[--loc] = 0;			/* extmem (biosextmem) */
	st[--loc] = end;
	st[--loc] = BOOTARG_APIVER;
	st[--loc] = BOOTDEV_SD0A;
	st[--loc] = 0;			/* howto */
	--loc;				/* the return address, 0 */
	*rsp = STACK_PAGE + loc * 4;
	return (guestmem_write(gm, STACK_PAGE, st, sizeof(st)));
}

int
loader_elf(const struct guestmem *gm, const struct loader_image *img,
    const char *cmdline, struct vcpu_reg_state *vrs,
    char err[LOADER_ERRLEN])
{
	struct loader_elf_opts o;
	struct loader_elf_plan p;
	uint32_t bootargsz;
	uint64_t rsp;
	int error;

	(void)cmdline;			/* OpenBSD's boot protocol has none */
	memset(&o, 0, sizeof(o));
	o.flags = LOADER_ELF32 | LOADER_ELF64 | LOADER_ELFSYMS;
	o.mask = LOADADDR_MASK;
	o.resv_lo = BOOTARGS_PAGE;
	o.resv_hi = BOOT_PAGES_END;
	if (!loader_span_ok(gm, BOOTARGS_PAGE, BOOT_PAGES_END - BOOTARGS_PAGE))
		return (loader_fail(err, EFBIG, "no guest memory at 0x%llx-"
		    "0x%llx for the boot pages",
		    (unsigned long long)BOOTARGS_PAGE,
		    (unsigned long long)BOOT_PAGES_END - 1));
	if ((error = loader_elf_plan(gm, img, &o, &p, err)) != 0)
		return (error);
	if ((error = loader_elf_apply(gm, img, &p)) != 0 ||
	    (error = push_gdt(gm)) != 0 ||
	    (error = p.is64 ? push_pt_64(gm) : push_pt_32(gm)) != 0 ||
	    (error = push_bootargs(gm, &bootargsz)) != 0 ||
	    (error = push_stack(gm, bootargsz, (uint32_t)p.end, &rsp)) != 0) {
		loader_elf_plan_free(&p);
		return (loader_fail(err, error, "writing guest memory: %s",
		    strerror(error)));
	}

	/* vmd starts from flat64 and turns it into paged 32-bit for i386. */
	loader_regs_flat64(vrs, p.entry, PML4_PAGE);
	if (!p.is64) {
		vrs->vrs_crs[VCPU_REGS_CR3] = PML3_PAGE;
		vrs->vrs_crs[VCPU_REGS_CR4] = 0x10;	/* PSE */
		vrs->vrs_msrs[VCPU_REGS_EFER] = 0;
	}
	vrs->vrs_gprs[VCPU_REGS_RSP] = rsp;
	vrs->vrs_gdtr.vsi_base = GDT_PAGE;
	loader_elf_plan_free(&p);
	err[0] = '\0';
	return (0);
}
