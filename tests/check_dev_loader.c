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
 * The boot-image loaders and the guest memory they write: vmd's memory map
 * for several sizes, copies across contiguous ranges and EFAULT elsewhere;
 * ELF (as vmd boots OpenBSD), multiboot, Linux bzImage (with and without an
 * XZ payload unpacked on the host) and BIOS images built here byte by
 * byte, with every field checked where it lands; malformed and truncated
 * images refused with their errno and nothing written; and three guests
 * from testdata/ booted through the monitor and the run loop, checking the
 * start state from inside.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <check.h>
#include <stddef.h>
#include <elf.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/guestmem.h"
#include "devices/loader.h"
#include "devices/vmrun.h"

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define GiB		(1024ULL * MiB)
#define GUEST		(64 * MiB)
#define JUNK		0xAA

/* --- helpers ------------------------------------------------------------- */

static struct guestmem gm;
static char err[LOADER_ERRLEN];

static void
gm_setup(void)
{
	ck_assert_int_eq(guestmem_alloc(&gm, GUEST), 0);
}

static void
gm_teardown(void)
{
	guestmem_free(&gm);
}

static void
fill(const struct guestmem *g, uint64_t gpa, size_t len, uint8_t v)
{
	uint8_t *p = guestmem_hva(g, gpa, len);

	ck_assert_ptr_nonnull(p);
	memset(p, v, len);
}

static uint8_t
rd8(uint64_t gpa)
{
	uint8_t v;

	ck_assert_int_eq(guestmem_read(&gm, gpa, &v, 1), 0);
	return (v);
}

static uint32_t
rd32(uint64_t gpa)
{
	uint32_t v;

	ck_assert_int_eq(guestmem_read(&gm, gpa, &v, 4), 0);
	return (v);
}

static uint64_t
rd64(uint64_t gpa)
{
	uint64_t v;

	ck_assert_int_eq(guestmem_read(&gm, gpa, &v, 8), 0);
	return (v);
}

/* Every byte of [gpa, gpa+len) is v. */
static int
all(uint64_t gpa, size_t len, uint8_t v)
{
	const uint8_t *p = guestmem_hva(&gm, gpa, len);
	size_t i;

	/* In one mapping, without a check per byte (each one is logged). */
	if (p != NULL) {
		for (i = 0; i < len; i++)
			if (p[i] != v)
				return (0);
		return (1);
	}
	for (i = 0; i < len; i++)
		if (rd8(gpa + i) != v)
			return (0);
	return (1);
}

static void
assert_range(const struct guestmem *g, size_t i, uint64_t gpa, uint64_t size,
    int type)
{
	ck_assert_uint_lt(i, g->nranges);
	ck_assert_uint_eq(g->ranges[i].vmr_gpa, gpa);
	ck_assert_uint_eq(g->ranges[i].vmr_size, size);
	ck_assert_int_eq(g->ranges[i].vmr_type, type);
}

/*
 * An ELF image built field by field: header, program headers, segment
 * data, then section headers and section data when asked for.
 */
struct seg {
	uint32_t	type, flags;
	uint64_t	paddr, filesz, memsz;
	uint8_t		fillb;		/* the segment's bytes */
	uint64_t	offset;		/* filled in by mkelf (or forced) */
};

struct img {
	uint8_t		*d;
	size_t		 len;
	size_t		 phoff, shoff, shnum, dataoff[8];
};

#define SYM_SIZE	48
#define STR_SIZE	10
static const char shstr[] = "\0.symtab\0.strtab\0.shstrtab\0.text";

static void
mkelf(int is64, uint16_t machine, uint64_t entry, struct seg *s, size_t n,
    int withsyms, struct img *im)
{
	size_t ehsz = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsz = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t shsz = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t off, i, total;
	uint8_t *d;

	memset(im, 0, sizeof(*im));
	im->phoff = ehsz;
	off = ehsz + n * phsz;
	for (i = 0; i < n; i++) {
		off = (off + 15) & ~(size_t)15;
		if (s[i].offset == 0)
			s[i].offset = off;
		im->dataoff[i] = off;
		off += s[i].filesz;
	}
	total = off;
	if (withsyms) {
		total = (total + 7) & ~(size_t)7;
		im->dataoff[n] = total;		/* symtab, strtab, shstrtab */
		total += SYM_SIZE + STR_SIZE + sizeof(shstr);
		total = (total + 7) & ~(size_t)7;
		im->shoff = total;
		im->shnum = 5;
		total += 5 * shsz;
	}
	d = calloc(1, total);
	ck_assert_ptr_nonnull(d);
	memcpy(d, ELFMAG, SELFMAG);
	d[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	d[EI_DATA] = ELFDATA2LSB;
	d[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr e;

		memcpy(&e, d, sizeof(e));
		e.e_type = ET_EXEC;
		e.e_machine = machine;
		e.e_version = EV_CURRENT;
		e.e_entry = entry;
		e.e_phoff = ehsz;
		e.e_shoff = im->shoff;
		e.e_ehsize = ehsz;
		e.e_phentsize = phsz;
		e.e_phnum = n;
		e.e_shentsize = shsz;
		e.e_shnum = im->shnum;
		e.e_shstrndx = withsyms ? 3 : 0;
		memcpy(d, &e, sizeof(e));
	} else {
		Elf32_Ehdr e;

		memcpy(&e, d, sizeof(e));
		e.e_type = ET_EXEC;
		e.e_machine = machine;
		e.e_version = EV_CURRENT;
		e.e_entry = entry;
		e.e_phoff = ehsz;
		e.e_shoff = im->shoff;
		e.e_ehsize = ehsz;
		e.e_phentsize = phsz;
		e.e_phnum = n;
		e.e_shentsize = shsz;
		e.e_shnum = im->shnum;
		e.e_shstrndx = withsyms ? 3 : 0;
		memcpy(d, &e, sizeof(e));
	}
	for (i = 0; i < n; i++) {
		if (is64) {
			Elf64_Phdr p = { s[i].type, s[i].flags, s[i].offset,
			    s[i].paddr, s[i].paddr, s[i].filesz, s[i].memsz,
			    16 };
			memcpy(d + ehsz + i * phsz, &p, sizeof(p));
		} else {
			Elf32_Phdr p = { s[i].type, s[i].offset, s[i].paddr,
			    s[i].paddr, s[i].filesz, s[i].memsz, s[i].flags,
			    16 };
			memcpy(d + ehsz + i * phsz, &p, sizeof(p));
		}
		memset(d + im->dataoff[i], s[i].fillb, s[i].filesz);
	}
	if (withsyms) {
		/* null, .symtab, .strtab, .shstrtab, .text (not copied) */
		uint64_t so[5] = { 0, im->dataoff[n], im->dataoff[n] + SYM_SIZE,
		    im->dataoff[n] + SYM_SIZE + STR_SIZE, 0 };
		uint64_t ss[5] = { 0, SYM_SIZE, STR_SIZE, sizeof(shstr), 16 };
		uint32_t st[5] = { SHT_NULL, SHT_SYMTAB, SHT_STRTAB,
		    SHT_STRTAB, SHT_PROGBITS };
		uint32_t sn[5] = { 0, 1, 9, 17, 27 };

		memset(d + so[1], 0x51, SYM_SIZE);
		memset(d + so[2], 0x52, STR_SIZE);
		memcpy(d + so[3], shstr, sizeof(shstr));
		for (i = 0; i < 5; i++) {
			if (is64) {
				Elf64_Shdr h;

				memset(&h, 0, sizeof(h));
				h.sh_name = sn[i];
				h.sh_type = st[i];
				h.sh_offset = so[i];
				h.sh_size = ss[i];
				memcpy(d + im->shoff + i * shsz, &h, sizeof(h));
			} else {
				Elf32_Shdr h;

				memset(&h, 0, sizeof(h));
				h.sh_name = sn[i];
				h.sh_type = st[i];
				h.sh_offset = so[i];
				h.sh_size = ss[i];
				memcpy(d + im->shoff + i * shsz, &h, sizeof(h));
			}
		}
	}
	im->d = d;
	im->len = total;
}

/* Load a copy of the first len bytes, in a buffer of exactly len bytes. */
static int
load_trunc(int (*fn)(const struct loader_image *, struct vcpu_reg_state *),
    const uint8_t *d, size_t len, struct vcpu_reg_state *vrs)
{
	struct loader_image li;
	uint8_t *copy = malloc(len ? len : 1);
	int error;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, d, len);
	li.data = copy;
	li.len = len;
	error = fn(&li, vrs);
	free(copy);
	return (error);
}

static int
do_elf(const struct loader_image *li, struct vcpu_reg_state *vrs)
{
	return (loader_elf(&gm, li, NULL, vrs, err));
}

static int
elf_img(struct img *im)
{
	struct vcpu_reg_state vrs;

	return (load_trunc(do_elf, im->d, im->len, &vrs));
}

/* A typical ELF64 kernel: text, data with BSS, a kernel-VA entry. */
#define K_TEXT		0xFFFFFFFF81000000ULL
#define K_ENTRY		(K_TEXT + 0x10)
static void
std_elf64(struct img *im, struct seg *s)
{
	struct seg def[2] = {
		{ PT_LOAD, PF_R | PF_X, K_TEXT, 0x100, 0x100, 0x11, 0 },
		{ PT_LOAD, PF_R | PF_W, K_TEXT + 0x1000, 0x80, 0x300, 0x22, 0 },
	};

	memcpy(s, def, sizeof(def));
	mkelf(1, EM_X86_64, K_ENTRY, s, 2, 1, im);
}

/* --- guestmem ------------------------------------------------------------ */

START_TEST(test_layout_1mib_is_low_ram_hole_mmio_bios)
{
	struct guestmem g;

	ck_assert_int_eq(guestmem_layout(&g, 1 * MiB), 0);
	ck_assert_uint_eq(g.nranges, 4);
	assert_range(&g, 0, 0, 0xA0000, VM_MEM_RAM);
	assert_range(&g, 1, 0xA0000, 0x60000, VM_MEM_RESERVED);
	assert_range(&g, 2, 0xF0000000, 0x0FC00000, VM_MEM_MMIO);
	assert_range(&g, 3, 0xFFC00000, 0x400000, VM_MEM_RESERVED);
	ck_assert_uint_eq(guestmem_ram_bytes(&g), 0xA0000);
}
END_TEST

START_TEST(test_layout_5mib_and_64mib)
{
	struct guestmem g;

	ck_assert_int_eq(guestmem_layout(&g, 5 * MiB), 0);
	ck_assert_uint_eq(g.nranges, 5);
	assert_range(&g, 0, 0, 0xA0000, VM_MEM_RAM);
	assert_range(&g, 1, 0xA0000, 0x60000, VM_MEM_RESERVED);
	assert_range(&g, 2, 0x100000, 4 * MiB, VM_MEM_RAM);
	assert_range(&g, 3, 0xF0000000, 0x0FC00000, VM_MEM_MMIO);
	assert_range(&g, 4, 0xFFC00000, 0x400000, VM_MEM_RESERVED);

	/* Rounded down to whole MiB. */
	ck_assert_int_eq(guestmem_layout(&g, 64 * MiB + 12345), 0);
	ck_assert_uint_eq(g.nranges, 5);
	assert_range(&g, 2, 0x100000, 63 * MiB, VM_MEM_RAM);
	ck_assert_uint_eq(guestmem_ram_bytes(&g), 64 * MiB - 384 * KiB);
}
END_TEST

START_TEST(test_layout_4gib_and_5gib_put_ram_above_4gib)
{
	struct guestmem g;

	ck_assert_int_eq(guestmem_layout(&g, 4 * GiB), 0);
	ck_assert_uint_eq(g.nranges, 6);
	assert_range(&g, 2, 0x100000, 0xF0000000 - MiB, VM_MEM_RAM);
	assert_range(&g, 3, 0xF0000000, 0x0FC00000, VM_MEM_MMIO);
	assert_range(&g, 4, 0xFFC00000, 0x400000, VM_MEM_RESERVED);
	assert_range(&g, 5, 4 * GiB, 0x10000000, VM_MEM_RAM);

	ck_assert_int_eq(guestmem_layout(&g, 5 * GiB), 0);
	ck_assert_uint_eq(g.nranges, 6);
	assert_range(&g, 0, 0, 0xA0000, VM_MEM_RAM);
	assert_range(&g, 2, 0x100000, 0xF0000000 - MiB, VM_MEM_RAM);
	assert_range(&g, 5, 4 * GiB, 0x50000000, VM_MEM_RAM);
	ck_assert_uint_eq(guestmem_ram_bytes(&g), 5 * GiB - 384 * KiB);
}
END_TEST

START_TEST(test_layout_rejects_sizes_outside_the_limits)
{
	struct guestmem g;

	ck_assert_int_eq(guestmem_layout(&g, 0), EINVAL);
	ck_assert_int_eq(guestmem_layout(&g, MiB - 1), EINVAL);
	ck_assert_int_eq(guestmem_layout(&g, VMM_MAX_VM_MEM_SIZE + MiB),
	    EINVAL);
	ck_assert_int_eq(guestmem_layout(&g, VMM_MAX_VM_MEM_SIZE), 0);
}
END_TEST

START_TEST(test_guestmem_copies_across_contiguous_ranges)
{
	uint8_t in[64], out[64];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i + 1);
	/* RAM -> RESERVED at 640 KiB, RESERVED -> RAM at 1 MiB. */
	ck_assert_int_eq(guestmem_write(&gm, 0xA0000 - 32, in, 64), 0);
	ck_assert_int_eq(guestmem_read(&gm, 0xA0000 - 32, out, 64), 0);
	ck_assert_mem_eq(in, out, 64);
	ck_assert_int_eq(guestmem_write(&gm, MiB - 10, in, 64), 0);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(guestmem_read(&gm, MiB - 10, out, 64), 0);
	ck_assert_mem_eq(in, out, 64);
	ck_assert_uint_eq(rd8(MiB), 11);
	/* NULL zero-fills. */
	ck_assert_int_eq(guestmem_write(&gm, MiB - 10, NULL, 20), 0);
	ck_assert(all(MiB - 10, 20, 0));
	ck_assert_uint_eq(rd8(MiB + 10), 21);
	/* A host pointer only within one range. */
	ck_assert_ptr_nonnull(guestmem_hva(&gm, 0xA0000 - 32, 32));
	ck_assert_ptr_null(guestmem_hva(&gm, 0xA0000 - 32, 33));
	ck_assert_ptr_null(guestmem_hva(&gm, 0xF0000000, 1));
}
END_TEST

START_TEST(test_guestmem_efault_outside_and_nothing_written)
{
	uint8_t buf[32];

	memset(buf, 0x5C, sizeof(buf));
	fill(&gm, GUEST - 16, 16, JUNK);
	/* Straddling the end of RAM: refused whole, nothing written. */
	ck_assert_int_eq(guestmem_write(&gm, GUEST - 16, buf, 32), EFAULT);
	ck_assert(all(GUEST - 16, 16, JUNK));
	ck_assert_int_eq(guestmem_read(&gm, GUEST - 16, buf, 32), EFAULT);
	ck_assert_int_eq(guestmem_read(&gm, GUEST, buf, 1), EFAULT);
	ck_assert_int_eq(guestmem_write(&gm, 0xF0000000, buf, 1), EFAULT);
	ck_assert_int_eq(guestmem_read(&gm, 0x200000000ULL, buf, 1), EFAULT);
	/* Wrapping around the address space. */
	ck_assert_int_eq(guestmem_read(&gm, UINT64_MAX - 3, buf, 8), EFAULT);
	/* The BIOS area ends exactly at 4 GiB. */
	ck_assert_int_eq(guestmem_write(&gm, 4 * GiB - 32, buf, 32), 0);
	ck_assert_int_eq(guestmem_write(&gm, 4 * GiB - 16, buf, 32), EFAULT);
	ck_assert_int_eq(guestmem_read(&gm, 0, buf, 0), 0);
}
END_TEST

/* The written hook: called once per successful write, with its range. */
static uint64_t hook_gpa, hook_len;
static int hook_calls;

static void
hook_written(void *arg, uint64_t gpa, size_t len)
{
	ck_assert_ptr_eq(arg, &hook_calls);
	hook_gpa = gpa;
	hook_len = len;
	hook_calls++;
}

START_TEST(test_guestmem_write_hook_sees_each_write)
{
	uint8_t buf[64];

	memset(buf, 0x3C, sizeof(buf));
	hook_calls = 0;
	gm.written = hook_written;
	gm.written_arg = &hook_calls;
	ck_assert_int_eq(guestmem_write(&gm, 0xA0000 - 32, buf, 64), 0);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_uint_eq(hook_gpa, 0xA0000 - 32);
	ck_assert_uint_eq(hook_len, 64);
	/* Refused writes and empty ones change nothing: no call. */
	ck_assert_int_eq(guestmem_write(&gm, GUEST - 16, buf, 32), EFAULT);
	ck_assert_int_eq(guestmem_write(&gm, 0x1000, buf, 0), 0);
	ck_assert_int_eq(guestmem_read(&gm, 0x1000, buf, 8), 0);
	ck_assert_int_eq(hook_calls, 1);
	gm.written = NULL;
	gm.written_arg = NULL;
}
END_TEST

/* RAM right up to the MMIO window, and above 4 GiB after it. */
START_TEST(test_guestmem_efault_across_the_mmio_hole)
{
	struct guestmem big;
	uint8_t buf[32];

	memset(buf, 0x5C, sizeof(buf));
	ck_assert_int_eq(guestmem_alloc(&big, 4 * GiB + 16 * MiB), 0);
	fill(&big, 0xF0000000 - 16, 16, JUNK);
	ck_assert_int_eq(guestmem_write(&big, 0xF0000000 - 16, buf, 32),
	    EFAULT);
	ck_assert_ptr_nonnull(guestmem_hva(&big, 0xF0000000 - 16, 16));
	ck_assert_uint_eq(*(uint8_t *)guestmem_hva(&big, 0xF0000000 - 1, 1),
	    JUNK);
	ck_assert_int_eq(guestmem_write(&big, 0xF0000000 - 16, buf, 16), 0);
	/* 0xFFC00000..4 GiB (reserved) then RAM at 4 GiB: contiguous. */
	ck_assert_int_eq(guestmem_write(&big, 4 * GiB - 16, buf, 32), 0);
	/* 256 MiB + 16 MiB above 4 GiB. */
	ck_assert_int_eq(guestmem_read(&big, 4 * GiB + 0x11000000ULL - 1, buf,
	    1), 0);
	ck_assert_int_eq(guestmem_read(&big, 4 * GiB + 0x11000000ULL, buf, 1),
	    EFAULT);
	guestmem_free(&big);
}
END_TEST

/* --- loader_read_file ---------------------------------------------------- */

START_TEST(test_read_file_missing_directory_and_too_big)
{
	struct loader_image li;
	char path[] = "/tmp/vmmsim-loader-XXXXXX";
	int fd;

	ck_assert_int_eq(loader_read_file("/nonexistent/vmmsim/kernel", 1024,
	    &li, err), ENOENT);
	ck_assert_ptr_null(li.data);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/vmmsim/kernel"));
	ck_assert_int_eq(loader_read_file("/tmp", 1024, &li, err), EISDIR);
	ck_assert_ptr_null(li.data);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	ck_assert_int_eq(loader_read_file(path, 9, &li, err), EFBIG);
	ck_assert_ptr_null(li.data);
	ck_assert_int_eq(loader_read_file(path, 10, &li, err), 0);
	ck_assert_uint_eq(li.len, 10);
	ck_assert_mem_eq(li.data, "0123456789", 10);
	loader_free_image(&li);
	ck_assert_ptr_null(li.data);
	unlink(path);
}
END_TEST

/* --- ELF ----------------------------------------------------------------- */

START_TEST(test_elf64_segments_masked_bss_zeroed_start_state)
{
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct seg s[2];
	struct img im;

	std_elf64(&im, s);
	fill(&gm, 0x1000000, 0x2000, JUNK);
	li.data = im.d;
	li.len = im.len;
	ck_assert_msg(loader_elf(&gm, &li, "ignored", &vrs, err) == 0, "%s",
	    err);
	/* 0xFFFFFFFF81000000 & 0x0FFFFFFF = 0x1000000 */
	ck_assert(all(0x1000000, 0x100, 0x11));
	ck_assert(all(0x1000100, 0x10, JUNK));		/* between */
	ck_assert(all(0x1001000, 0x80, 0x22));
	ck_assert(all(0x1001080, 0x280, 0));		/* BSS */

	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0x1000010);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RSP], 0x10000 - 36);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RFLAGS], 0x2);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR0], 0x80000011);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR3], 0x11000);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR4], 0x30);
	ck_assert_uint_eq(vrs.vrs_msrs[VCPU_REGS_EFER], 0x500);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_XCR0], 1);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0x08);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar, 0xC09F);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_limit, 0xFFFFFFFF);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_SS].vsi_sel, 0x10);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_ar, 0xC093);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_TR].vsi_ar, 0x8B);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_LDTR].vsi_ar, 0x82);
	ck_assert_uint_eq(vrs.vrs_gdtr.vsi_base, 0x10000);
	ck_assert_uint_eq(vrs.vrs_gdtr.vsi_limit, 0xFFFF);
	ck_assert_uint_eq(vrs.vrs_idtr.vsi_limit, 0xFFFF);
	ck_assert_uint_eq(vrs.vrs_drs[VCPU_REGS_DR6], 0xFFFF0FF0);
	ck_assert_uint_eq(vrs.vrs_drs[VCPU_REGS_DR7], 0x400);
	free(im.d);
}
END_TEST

START_TEST(test_elf64_gdt_and_identity_page_tables)
{
	struct loader_image li;
	struct vcpu_reg_state vrs;
	struct seg s[2];
	struct img im;

	std_elf64(&im, s);
	fill(&gm, 0x10000, 0x4000, JUNK);
	li.data = im.d;
	li.len = im.len;
	ck_assert_int_eq(loader_elf(&gm, &li, NULL, &vrs, err), 0);
	ck_assert_uint_eq(rd64(0x10000), 0);
	ck_assert_uint_eq(rd64(0x10008), 0x00CF9B000000FFFFULL);
	ck_assert_uint_eq(rd64(0x10010), 0x00CF93000000FFFFULL);
	ck_assert_uint_eq(rd64(0x10018), 0x00AF9B000000FFFFULL);
	ck_assert(all(0x10020, 0x1000 - 0x20, 0));
	/* PML4 -> PDPT (present only, as vmd) -> PD of 2 MiB pages. */
	ck_assert_uint_eq(rd64(0x11000), 0x12001);
	ck_assert(all(0x11008, 0x1000 - 8, 0));
	ck_assert_uint_eq(rd64(0x12000), 0x13007);
	ck_assert(all(0x12008, 0x1000 - 8, 0));
	ck_assert_uint_eq(rd64(0x13000), 0x87);
	ck_assert_uint_eq(rd64(0x13008), 0x200087);
	ck_assert_uint_eq(rd64(0x13000 + 511 * 8), 0x3FE00087);
	free(im.d);
}
END_TEST

START_TEST(test_elf_boot_args_memmap_consdev_and_stack)
{
	struct loader_image li;
	struct vcpu_reg_state vrs;
	struct seg s[2];
	struct img im;
	uint64_t ba = 0x2000, e, end;
	size_t i;

	std_elf64(&im, s);
	li.data = im.d;
	li.len = im.len;
	ck_assert_int_eq(loader_elf(&gm, &li, NULL, &vrs, err), 0);
	/* BOOTARG_MEMMAP: 5 ranges and the END entry, 20 bytes each. */
	ck_assert_uint_eq(rd32(ba), 0);
	ck_assert_uint_eq(rd32(ba + 4), 12 + 6 * 20);
	ck_assert_uint_eq(rd32(ba + 8), 12 + 6 * 20);
	for (i = 0; i < gm.nranges; i++) {
		e = ba + 12 + i * 20;
		ck_assert_uint_eq(rd64(e), gm.ranges[i].vmr_gpa);
		ck_assert_uint_eq(rd64(e + 8), gm.ranges[i].vmr_size);
		ck_assert_uint_eq(rd32(e + 16),
		    gm.ranges[i].vmr_type == VM_MEM_RAM ? 1 : 2);
	}
	ck_assert_uint_eq(rd64(ba + 12 + 2 * 20 + 8), 63 * MiB);
	e = ba + 12 + 5 * 20;
	ck_assert_uint_eq(rd64(e), 0);
	ck_assert_uint_eq(rd64(e + 8), 0);
	ck_assert_uint_eq(rd32(e + 16), 0);
	/* BOOTARG_CONSDEV: com0, 115200, 0x3F8. */
	e = ba + 132;
	ck_assert_uint_eq(rd32(e), 5);
	ck_assert_uint_eq(rd32(e + 4), 44);
	ck_assert_uint_eq(rd32(e + 8), 44);
	ck_assert_uint_eq(rd32(e + 12), 0x800);
	ck_assert_uint_eq(rd32(e + 16), 115200);
	ck_assert_uint_eq(rd64(e + 20), 0x3F8);
	ck_assert(all(e + 28, 16, 0));
	ck_assert_uint_eq(rd32(ba + 176), 0xFFFFFFFF);

	/* The stack frame, from RSP up. */
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RSP], 0xFFDC);
	ck_assert_uint_eq(rd32(0xFFDC), 0);		/* return address */
	ck_assert_uint_eq(rd32(0xFFE0), 0);		/* howto */
	ck_assert_uint_eq(rd32(0xFFE4), 0xA0000004);	/* bootdev sd0a */
	ck_assert_uint_eq(rd32(0xFFE8), 0x0E);		/* bootapiver */
	/* end: past the data segment's BSS (8-aligned), ELF header, 5
	 * section headers and the symbol sections. */
	end = 0x1001300 + 64 + 5 * 64 + SYM_SIZE + 16 + 40;
	ck_assert_uint_eq(rd32(0xFFEC), end);
	ck_assert_uint_eq(rd32(0xFFF0), 0);		/* extmem */
	ck_assert_uint_eq(rd32(0xFFF4), 0);		/* cnvmem */
	ck_assert_uint_eq(rd32(0xFFF8), 180);		/* bootargs size */
	ck_assert_uint_eq(rd32(0xFFFC), 0x2000);
	free(im.d);
}
END_TEST

START_TEST(test_elf_symbols_appended_for_ddb)
{
	struct loader_image li;
	struct vcpu_reg_state vrs;
	struct seg s[2];
	struct img im;
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	uint64_t elfp = 0x1001300;
	size_t i;

	std_elf64(&im, s);
	fill(&gm, elfp, 0x400, JUNK);
	li.data = im.d;
	li.len = im.len;
	ck_assert_int_eq(loader_elf(&gm, &li, NULL, &vrs, err), 0);
	ck_assert_int_eq(guestmem_read(&gm, elfp, &eh, sizeof(eh)), 0);
	ck_assert_mem_eq(eh.e_ident, ELFMAG, SELFMAG);
	ck_assert_uint_eq(eh.e_phoff, 0);
	ck_assert_uint_eq(eh.e_phnum, 0);
	ck_assert_uint_eq(eh.e_phentsize, 0);
	ck_assert_uint_eq(eh.e_shoff, 64);
	ck_assert_uint_eq(eh.e_shnum, 5);
	ck_assert_uint_eq(eh.e_entry, K_ENTRY);
	/* symtab at 384 (after the headers), strtab at 432, shstrtab 448. */
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(guestmem_read(&gm, elfp + 64 + i * 64, &sh,
		    sizeof(sh)), 0);
		if (i == 1 || i == 2 || i == 3)
			ck_assert(sh.sh_flags & SHF_ALLOC);
		if (i == 1)
			ck_assert_uint_eq(sh.sh_offset, 384);
		if (i == 2)
			ck_assert_uint_eq(sh.sh_offset, 432);
		if (i == 3)
			ck_assert_uint_eq(sh.sh_offset, 448);
		if (i == 4)			/* .text: not rewritten */
			ck_assert_uint_eq(sh.sh_flags, 0);
	}
	ck_assert(all(elfp + 384, SYM_SIZE, 0x51));
	ck_assert(all(elfp + 432, STR_SIZE, 0x52));
	ck_assert(all(elfp + 442, 6, JUNK));		/* alignment gap */
	ck_assert_uint_eq(rd8(elfp + 448 + 1), '.');
	ck_assert_uint_eq(rd8(elfp + 448 + 2), 's');
	free(im.d);
}
END_TEST

START_TEST(test_elf_without_sections_appends_only_the_header)
{
	struct vcpu_reg_state vrs;
	struct seg s[1] = {
		{ PT_LOAD, PF_R | PF_X, 0x400000, 0x20, 0x25, 0x33, 0 },
	};
	struct img im;

	mkelf(1, EM_X86_64, 0x400000, s, 1, 0, &im);
	ck_assert_int_eq(elf_img(&im), 0);
	ck_assert_uint_eq(rd32(0x400028), 0x464C457F);	/* at 8-aligned end */
	ck_assert_uint_eq(rd32(0xFFEC), 0x400028 + 64);
	(void)vrs;
	free(im.d);
}
END_TEST

START_TEST(test_elf32_paged_protected_mode_4mib_pages)
{
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct seg s[1] = {
		{ PT_LOAD, PF_R | PF_X | PF_W, 0xD0200000, 0x40, 0x1000, 0x44,
		  0 },
	};
	struct img im;

	mkelf(0, EM_386, 0xD0200004, s, 1, 0, &im);
	fill(&gm, 0x200000, 0x2000, JUNK);
	li.data = im.d;
	li.len = im.len;
	ck_assert_msg(loader_elf(&gm, &li, NULL, &vrs, err) == 0, "%s", err);
	ck_assert(all(0x200000, 0x40, 0x44));
	ck_assert(all(0x200040, 0x1000 - 0x40, 0));
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0x200004);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR0], 0x80000011);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR3], 0x12000);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR4], 0x10);
	ck_assert_uint_eq(vrs.vrs_msrs[VCPU_REGS_EFER], 0);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0x08);
	ck_assert_uint_eq(vrs.vrs_gdtr.vsi_base, 0x10000);
	ck_assert_uint_eq(rd32(0x12000), 0x87);
	ck_assert_uint_eq(rd32(0x12004), 0x400087);
	ck_assert_uint_eq(rd32(0x12000 + 1023 * 4), 0xFFC00087);
	ck_assert_uint_eq(rd32(0xFFEC), 0x201000 + 52);
	free(im.d);
}
END_TEST

START_TEST(test_elf_randomize_segment_filled_deterministically)
{
	struct seg s[2] = {
		{ PT_LOAD, PF_R | PF_W, 0x300000, 0x100, 0x100, 0, 0 },
		{ 0x65a3dbe6, PF_R, 0x300040, 0x40, 0x40, 0, 0 },
	};
	uint8_t a[0x40], b[0x40];
	struct img im;

	/* The randomize header last; its bytes are zeros in the file. */
	mkelf(1, EM_X86_64, 0x300000, s, 2, 0, &im);
	ck_assert_int_eq(elf_img(&im), 0);
	ck_assert_int_eq(guestmem_read(&gm, 0x300040, a, sizeof(a)), 0);
	ck_assert(!all(0x300040, 0x40, 0));
	ck_assert(all(0x300000, 0x40, 0));
	ck_assert(all(0x300080, 0x80, 0));
	fill(&gm, 0x300000, 0x100, JUNK);
	ck_assert_int_eq(elf_img(&im), 0);
	ck_assert_int_eq(guestmem_read(&gm, 0x300040, b, sizeof(b)), 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	free(im.d);
}
END_TEST

/* Every strict prefix of a valid image is refused, and nothing written. */
static void
truncations(int is64)
{
	struct vcpu_reg_state vrs;
	struct seg s[2] = {
		{ PT_LOAD, PF_R | PF_X, 0x500000, 0x30, 0x30, 0x11, 0 },
		{ PT_LOAD, PF_R | PF_W, 0x501000, 0x20, 0x80, 0x22, 0 },
	};
	struct img im;
	size_t len;
	int error;

	mkelf(is64, is64 ? EM_X86_64 : EM_386, 0x500000, s, 2, 1, &im);
	fill(&gm, 0x500000, 0x2000, JUNK);
	fill(&gm, 0x2000, 0x12000, JUNK);
	for (len = 0; len < im.len; len++) {
		error = load_trunc(do_elf, im.d, len, &vrs);
		ck_assert_msg(error == (len < 4 ? ENOEXEC : EINVAL),
		    "length %zu: %d (%s)", len, error, err);
		ck_assert_msg(err[0] != '\0', "length %zu: no reason", len);
	}
	ck_assert(all(0x500000, 0x2000, JUNK));
	ck_assert(all(0x2000, 0x12000, JUNK));
	ck_assert_int_eq(load_trunc(do_elf, im.d, im.len, &vrs), 0);
	free(im.d);
}

START_TEST(test_elf64_every_truncation_refused)
{
	truncations(1);
}
END_TEST

START_TEST(test_elf32_every_truncation_refused)
{
	truncations(0);
}
END_TEST

/* Patch a header field of a fresh standard image and expect error. */
static void
expect_hdr(size_t off, const void *val, size_t n, int error)
{
	struct seg s[2];
	struct img im;

	std_elf64(&im, s);
	memcpy(im.d + off, val, n);
	ck_assert_msg(elf_img(&im) == error, "offset %zu: %s", off, err);
	free(im.d);
}

START_TEST(test_elf_bad_header_fields)
{
	uint8_t b;
	uint16_t h;
	uint64_t q;

	b = 'F';
	expect_hdr(1, &b, 1, ENOEXEC);			/* magic */
	b = 3;
	expect_hdr(EI_CLASS, &b, 1, EINVAL);
	b = ELFDATA2MSB;
	expect_hdr(EI_DATA, &b, 1, EINVAL);
	b = 2;
	expect_hdr(EI_VERSION, &b, 1, EINVAL);
	h = ET_DYN;
	expect_hdr(offsetof(Elf64_Ehdr, e_type), &h, 2, EINVAL);
	h = EM_AARCH64;
	expect_hdr(offsetof(Elf64_Ehdr, e_machine), &h, 2, EINVAL);
	h = EM_386;					/* 64-bit class */
	expect_hdr(offsetof(Elf64_Ehdr, e_machine), &h, 2, EINVAL);
	h = 32;
	expect_hdr(offsetof(Elf64_Ehdr, e_phentsize), &h, 2, EINVAL);
	h = 0;
	expect_hdr(offsetof(Elf64_Ehdr, e_phnum), &h, 2, EINVAL);
	h = PN_XNUM;
	expect_hdr(offsetof(Elf64_Ehdr, e_phnum), &h, 2, EINVAL);
	h = 1000;					/* beyond the file */
	expect_hdr(offsetof(Elf64_Ehdr, e_phnum), &h, 2, EINVAL);
	q = UINT64_MAX - 16;				/* phoff wraps */
	expect_hdr(offsetof(Elf64_Ehdr, e_phoff), &q, 8, EINVAL);
	q = UINT64_MAX - 100;
	expect_hdr(offsetof(Elf64_Ehdr, e_shoff), &q, 8, EINVAL);
	h = 5;						/* shstrndx */
	expect_hdr(offsetof(Elf64_Ehdr, e_shstrndx), &h, 2, EINVAL);
	h = 40;
	expect_hdr(offsetof(Elf64_Ehdr, e_shentsize), &h, 2, EINVAL);
	q = K_TEXT + 0x5000;				/* entry outside */
	expect_hdr(offsetof(Elf64_Ehdr, e_entry), &q, 8, EINVAL);
	q = K_TEXT + 0x1300;				/* just past BSS */
	expect_hdr(offsetof(Elf64_Ehdr, e_entry), &q, 8, EINVAL);
	q = K_TEXT + 0x12FF;				/* last BSS byte */
	expect_hdr(offsetof(Elf64_Ehdr, e_entry), &q, 8, 0);
}
END_TEST

/* One PT_LOAD segment with the given fields. */
static int
one_seg(uint64_t paddr, uint64_t off, uint64_t filesz, uint64_t memsz,
    uint64_t entry)
{
	struct seg s[1] = {
		{ PT_LOAD, PF_R | PF_X, paddr, 0x10, 0x10, 0x77, 0 },
	};
	struct img im;
	Elf64_Phdr ph;
	int error;

	mkelf(1, EM_X86_64, entry, s, 1, 0, &im);
	memcpy(&ph, im.d + im.phoff, sizeof(ph));
	if (off != 0)
		ph.p_offset = off;
	ph.p_filesz = filesz;
	ph.p_memsz = memsz;
	memcpy(im.d + im.phoff, &ph, sizeof(ph));
	error = elf_img(&im);
	free(im.d);
	return (error);
}

START_TEST(test_elf_bad_segments)
{
	ck_assert_int_eq(one_seg(0x400000, 0, 0x10, 0x10, 0x400000), 0);
	/* File size above memory size. */
	ck_assert_int_eq(one_seg(0x400000, 0, 0x20, 0x10, 0x400000), EINVAL);
	/* Beyond the end of the file, and offset + size wrapping. */
	ck_assert_int_eq(one_seg(0x400000, 0, 0x1000, 0x1000, 0x400000),
	    EINVAL);
	ck_assert_int_eq(one_seg(0x400000, 0x10000, 0x10, 0x10, 0x400000),
	    EINVAL);
	ck_assert_int_eq(one_seg(0x400000, UINT64_MAX - 8, 0x10, 0x10,
	    0x400000), EINVAL);
	/* Outside guest RAM (64 MiB), straddling its end, huge sizes. */
	ck_assert_int_eq(one_seg(0x0F000000, 0, 0x10, 0x10, 0x0F000000),
	    EFBIG);
	ck_assert_int_eq(one_seg(GUEST - 8, 0, 0x10, 0x10, GUEST - 8), EFBIG);
	ck_assert_int_eq(one_seg(0x400000, 0, 0x10, UINT64_MAX - 0x1000,
	    0x400000), EFBIG);
	ck_assert_int_eq(one_seg(0x400000, 0, 0x10, 0x10000000, 0x400000),
	    EFBIG);
	ck_assert_int_eq(one_seg(0x400000, 0, 0x10, 0x08000000, 0x400000),
	    EFBIG);
	/* Over the boot pages (boot args .. page tables). */
	ck_assert_int_eq(one_seg(0x10000, 0, 0x10, 0x10, 0x10000), EINVAL);
	ck_assert_int_eq(one_seg(0x1000, 0, 0x10, 0x1001, 0x1000), EINVAL);
	ck_assert_int_eq(one_seg(0x14000, 0, 0x10, 0x10, 0x14000), 0);
	/* In the reserved hole below 1 MiB: memory, accepted. */
	ck_assert_int_eq(one_seg(0xB8000, 0, 0x10, 0x10, 0xB8000), 0);
}
END_TEST

START_TEST(test_elf_no_loadable_segment_and_bad_symbols)
{
	struct seg s[2];
	struct img im;
	Elf64_Phdr ph;
	Elf64_Shdr sh;

	/* Only a PT_NOTE, and a PT_LOAD without permissions (skipped). */
	std_elf64(&im, s);
	memcpy(&ph, im.d + im.phoff, sizeof(ph));
	ph.p_type = PT_NOTE;
	memcpy(im.d + im.phoff, &ph, sizeof(ph));
	memcpy(&ph, im.d + im.phoff + sizeof(ph), sizeof(ph));
	ph.p_flags = 0;
	memcpy(im.d + im.phoff + sizeof(ph), &ph, sizeof(ph));
	ck_assert_int_eq(elf_img(&im), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no loadable"));
	free(im.d);

	/* A symbol table beyond the end of the file. */
	std_elf64(&im, s);
	memcpy(&sh, im.d + im.shoff + sizeof(sh), sizeof(sh));
	sh.sh_size = 0x100000;
	memcpy(im.d + im.shoff + sizeof(sh), &sh, sizeof(sh));
	ck_assert_int_eq(elf_img(&im), EINVAL);
	free(im.d);

	/* Symbols too big for the guest (size counted, not in the file:
	 * a string table is counted even without a symbol table). */
	std_elf64(&im, s);
	memcpy(&sh, im.d + im.shoff + sizeof(sh), sizeof(sh));
	sh.sh_type = SHT_PROGBITS;			/* no SYMTAB left */
	memcpy(im.d + im.shoff + sizeof(sh), &sh, sizeof(sh));
	memcpy(&sh, im.d + im.shoff + 2 * sizeof(sh), sizeof(sh));
	sh.sh_size = UINT64_MAX - 4;
	memcpy(im.d + im.shoff + 2 * sizeof(sh), &sh, sizeof(sh));
	ck_assert_int_eq(elf_img(&im), EFBIG);
	free(im.d);

	/* A section name offset past the name table is not a match. */
	std_elf64(&im, s);
	memcpy(&sh, im.d + im.shoff + 4 * sizeof(sh), sizeof(sh));
	sh.sh_name = 0xFFFFFFF0;
	memcpy(im.d + im.shoff + 4 * sizeof(sh), &sh, sizeof(sh));
	ck_assert_int_eq(elf_img(&im), 0);
	free(im.d);
}
END_TEST

START_TEST(test_elf_refused_in_a_guest_too_small)
{
	struct guestmem small;
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct seg s[2];
	struct img im;

	std_elf64(&im, s);
	ck_assert_int_eq(guestmem_alloc(&small, 8 * MiB), 0);
	li.data = im.d;
	li.len = im.len;
	ck_assert_int_eq(loader_elf(&small, &li, NULL, &vrs, err), EFBIG);
	ck_assert_ptr_nonnull(strstr(err, "not in guest memory"));
	guestmem_free(&small);
	free(im.d);
}
END_TEST

/* --- multiboot ----------------------------------------------------------- */

#define MB_HOFF		0x40
struct mbh {
	uint32_t	magic, flags, checksum;
	uint32_t	header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t	entry_addr;
};

/* An a.out-kludge image: 0x200 bytes loaded at load, header at 0x40. */
static uint8_t *
mk_mb(uint32_t load, struct mbh *h, size_t *lenp)
{
	uint8_t *d = malloc(0x200);
	size_t i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 0x200; i++)
		d[i] = (uint8_t)(0x80 + i);
	h->magic = 0x1BADB002;
	h->flags = 0x00010003;
	h->checksum = -(h->magic + h->flags);
	h->header_addr = load + MB_HOFF;
	h->load_addr = load;
	h->load_end_addr = load + 0x200;
	h->bss_end_addr = load + 0x400;
	h->entry_addr = load + 0x60;
	memcpy(d + MB_HOFF, h, sizeof(*h));
	*lenp = 0x200;
	return (d);
}

static int
mb_load(uint8_t *d, size_t len, const char *cmdline,
    const struct loader_image *mod, struct vcpu_reg_state *vrs)
{
	struct loader_image li;
	uint8_t *copy = malloc(len ? len : 1);
	int error;

	memcpy(copy, d, len);
	li.data = copy;
	li.len = len;
	error = loader_multiboot(&gm, &li, cmdline, mod, vrs, err);
	free(copy);
	return (error);
}

/* Re-checksum and put the header back. */
static int
mb_with(const struct mbh *h0, int fixsum)
{
	struct vcpu_reg_state vrs;
	struct mbh h = *h0, tmp;
	uint8_t *d;
	size_t len;
	int error;

	d = mk_mb(0x100000, &tmp, &len);
	if (fixsum)
		h.checksum = -(h.magic + h.flags);
	memcpy(d + MB_HOFF, &h, sizeof(h));
	error = mb_load(d, len, NULL, NULL, &vrs);
	free(d);
	return (error);
}

START_TEST(test_multiboot_aout_info_mmap_cmdline_module)
{
	struct vcpu_reg_state vrs;
	struct loader_image mod;
	uint8_t modbytes[300];
	struct mbh h;
	uint8_t *d;
	size_t len, i;
	uint32_t info, mm;
	char buf[64];

	d = mk_mb(0x100000, &h, &len);
	memset(modbytes, 0x3C, sizeof(modbytes));
	mod.data = modbytes;
	mod.len = sizeof(modbytes);
	fill(&gm, 0x100000, 0x3000, JUNK);
	fill(&gm, 0x8000, 0x3000, JUNK);
	ck_assert_msg(mb_load(d, len, "root=/dev/vda quiet", &mod, &vrs) == 0,
	    "%s", err);
	ck_assert_int_eq(guestmem_read(&gm, 0x100000, buf, 64), 0);
	ck_assert_mem_eq(buf, d, 64);
	ck_assert_uint_eq(rd8(0x1001FF), d[0x1FF]);
	ck_assert(all(0x100200, 0x200, 0));		/* BSS */
	ck_assert(all(0x100400, 0x10, JUNK));

	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RAX], 0x2BADB002);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RBX], 0x9000);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0x100060);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR0], 0x11);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR4], 0);
	ck_assert_uint_eq(vrs.vrs_msrs[VCPU_REGS_EFER], 0);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RFLAGS], 0x2);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0x08);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar, 0xC09B);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_limit, 0xFFFFFFFF);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_sel, 0x10);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_ar, 0xC093);
	ck_assert_uint_eq(vrs.vrs_gdtr.vsi_base, 0x8000);
	ck_assert_uint_eq(vrs.vrs_gdtr.vsi_limit, 23);
	ck_assert_uint_eq(rd64(0x8000), 0);
	ck_assert_uint_eq(rd64(0x8008), 0x00CF9B000000FFFFULL);
	ck_assert_uint_eq(rd64(0x8010), 0x00CF93000000FFFFULL);

	info = 0x9000;
	ck_assert_uint_eq(rd32(info), 0x24D);
	ck_assert_uint_eq(rd32(info + 4), 640);
	ck_assert_uint_eq(rd32(info + 8), (GUEST - MiB) / KiB);
	ck_assert_uint_eq(rd32(info + 16), 0xA000);
	ck_assert_int_eq(guestmem_read(&gm, 0xA000, buf, 20), 0);
	ck_assert_str_eq(buf, "root=/dev/vda quiet");
	/* The module on the page after the kernel's BSS. */
	ck_assert_uint_eq(rd32(info + 20), 1);
	ck_assert_uint_eq(rd32(rd32(info + 24)), 0x101000);
	ck_assert_uint_eq(rd32(rd32(info + 24) + 4), 0x101000 + 300);
	ck_assert_uint_eq(rd8(rd32(rd32(info + 24) + 8)), 0);
	ck_assert(all(0x101000, 300, 0x3C));
	/* The memory map: 24-byte entries whose size field says 20. */
	ck_assert_uint_eq(rd32(info + 44), gm.nranges * 24);
	mm = rd32(info + 48);
	for (i = 0; i < gm.nranges; i++) {
		ck_assert_uint_eq(rd32(mm + i * 24), 20);
		ck_assert_uint_eq(rd64(mm + i * 24 + 4), gm.ranges[i].vmr_gpa);
		ck_assert_uint_eq(rd64(mm + i * 24 + 12),
		    gm.ranges[i].vmr_size);
		ck_assert_uint_eq(rd32(mm + i * 24 + 20),
		    gm.ranges[i].vmr_type == VM_MEM_RAM ? 1 : 2);
	}
	ck_assert_int_eq(guestmem_read(&gm, rd32(info + 64), buf, 7), 0);
	ck_assert_str_eq(buf, "vmmsim");
	free(d);
}
END_TEST

START_TEST(test_multiboot_without_cmdline_or_module)
{
	struct vcpu_reg_state vrs;
	struct mbh h;
	uint8_t *d;
	size_t len;

	d = mk_mb(0x100000, &h, &len);
	ck_assert_int_eq(mb_load(d, len, NULL, NULL, &vrs), 0);
	ck_assert_uint_eq(rd32(0x9000), 0x249);		/* no CMDLINE bit */
	ck_assert_uint_eq(rd32(0x9000 + 16), 0);
	ck_assert_uint_eq(rd32(0x9000 + 20), 0);	/* mods_count */
	free(d);
}
END_TEST

START_TEST(test_multiboot_mem_upper_in_a_1mib_guest)
{
	struct guestmem small, save = gm;
	struct vcpu_reg_state vrs;
	struct mbh h;
	uint8_t *d;
	size_t len;

	ck_assert_int_eq(guestmem_alloc(&small, MiB), 0);
	gm = small;
	d = mk_mb(0x20000, &h, &len);
	ck_assert_msg(mb_load(d, len, NULL, NULL, &vrs) == 0, "%s", err);
	ck_assert_uint_eq(rd32(0x9000 + 4), 640);
	ck_assert_uint_eq(rd32(0x9000 + 8), 0);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0x20060);
	free(d);
	/* A kernel at 1 MiB does not fit. */
	d = mk_mb(0x100000, &h, &len);
	ck_assert_int_eq(mb_load(d, len, NULL, NULL, &vrs), EFBIG);
	free(d);
	gm = save;
	guestmem_free(&small);
}
END_TEST

START_TEST(test_multiboot_elf32_at_physical_addresses)
{
	struct vcpu_reg_state vrs;
	struct seg s[1] = {
		{ PT_LOAD, PF_R | PF_X | PF_W, 0x200000, 0x40, 0x100, 0, 0 },
	};
	struct mbh h = { 0x1BADB002, 0x3, -(0x1BADB002U + 3), 0, 0, 0, 0, 0 };
	struct img im;

	mkelf(0, EM_386, 0x200010, s, 1, 0, &im);
	memcpy(im.d + im.dataoff[0], &h, 12);		/* in the segment */
	fill(&gm, 0x200000, 0x1000, JUNK);
	ck_assert_msg(mb_load(im.d, im.len, "", NULL, &vrs) == 0, "%s", err);
	ck_assert_uint_eq(rd32(0x200000), 0x1BADB002);
	ck_assert(all(0x200040, 0xC0, 0));
	ck_assert(all(0x200100, 0x10, JUNK));		/* no ELF header copy */
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0x200010);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RAX], 0x2BADB002);
	ck_assert_uint_eq(rd8(0xA000), 0);		/* empty cmdline */
	ck_assert_uint_eq(rd32(0x9000) & 4, 4);
	free(im.d);

	/* ELF64 is not a multiboot 1 format here. */
	mkelf(1, EM_X86_64, 0x200010, s, 1, 0, &im);
	memcpy(im.d + im.dataoff[0], &h, 12);
	ck_assert_int_eq(mb_load(im.d, im.len, NULL, NULL, &vrs), EINVAL);
	free(im.d);
}
END_TEST

START_TEST(test_multiboot_header_search)
{
	struct vcpu_reg_state vrs;
	uint8_t *d = calloc(1, 9000);
	uint32_t w[3] = { 0x1BADB002, 0x3, -(0x1BADB002U + 3) };

	/* No header; unaligned; past 8 KiB; bad checksum: ENOEXEC. */
	ck_assert_int_eq(mb_load(d, 9000, NULL, NULL, &vrs), ENOEXEC);
	memcpy(d + 0x102, w, 12);
	ck_assert_int_eq(mb_load(d, 9000, NULL, NULL, &vrs), ENOEXEC);
	memset(d, 0, 9000);
	memcpy(d + 8184, w, 12);		/* ends past 8192 */
	ck_assert_int_eq(mb_load(d, 9000, NULL, NULL, &vrs), ENOEXEC);
	memset(d, 0, 9000);
	w[2]++;
	memcpy(d + 0x100, w, 12);
	ck_assert_int_eq(mb_load(d, 9000, NULL, NULL, &vrs), ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "checksum"));
	/* Found (the last slot), no address fields, not ELF: EINVAL. */
	w[2]--;
	memcpy(d + 8180, w, 12);
	ck_assert_int_eq(mb_load(d, 9000, NULL, NULL, &vrs), EINVAL);
	ck_assert_int_eq(mb_load(d, 0, NULL, NULL, &vrs), ENOEXEC);
	free(d);
}
END_TEST

/* One header field changed (relative to load_addr when rel), and the result. */
static const struct {
	const char	*what;
	size_t		 off;
	int64_t		 val;
	int		 rel;
	int		 error;
} mb_fields[] = {
	{ "as built", offsetof(struct mbh, header_addr), MB_HOFF, 1, 0 },
	{ "video mode", offsetof(struct mbh, flags), 0x00010007, 0, EINVAL },
	{ "unknown required flag", offsetof(struct mbh, flags), 0x00010103, 0,
	  EINVAL },
	{ "unknown optional flag", offsetof(struct mbh, flags), 0x10010003, 0,
	  0 },
	{ "header_addr below load_addr", offsetof(struct mbh, header_addr),
	  -4, 1, EINVAL },
	{ "load_addr before the file", offsetof(struct mbh, load_addr),
	  -0x1000, 1, EINVAL },
	{ "load_end past the file", offsetof(struct mbh, load_end_addr),
	  0x201, 1, EINVAL },
	{ "load_end at load_addr", offsetof(struct mbh, load_end_addr), 0, 1,
	  EINVAL },
	{ "load_end 0: to the file's end", offsetof(struct mbh, load_end_addr),
	  0, 0, 0 },
	{ "bss_end below load_end", offsetof(struct mbh, bss_end_addr), 0x1FF,
	  1, EINVAL },
	{ "bss_end 0: no BSS", offsetof(struct mbh, bss_end_addr), 0, 0, 0 },
	{ "huge BSS", offsetof(struct mbh, bss_end_addr), 0xFFFFFFFF, 0,
	  EFBIG },
	{ "entry at bss_end", offsetof(struct mbh, entry_addr), 0x400, 1,
	  EINVAL },
	{ "entry below load_addr", offsetof(struct mbh, entry_addr), -1, 1,
	  EINVAL },
	{ "entry at the last BSS byte", offsetof(struct mbh, entry_addr),
	  0x3FF, 1, 0 },
};

START_TEST(test_multiboot_bad_address_fields)
{
	struct mbh h, x;
	uint8_t *d;
	size_t len;
	uint32_t v;

	d = mk_mb(0x100000, &h, &len);
	free(d);
	x = h;
	v = (uint32_t)(mb_fields[_i].rel ? h.load_addr + mb_fields[_i].val :
	    mb_fields[_i].val);
	memcpy((uint8_t *)&x + mb_fields[_i].off, &v, sizeof(v));
	ck_assert_msg(mb_with(&x, 1) == mb_fields[_i].error, "%s: %s",
	    mb_fields[_i].what, err);
}
END_TEST

START_TEST(test_multiboot_placement_errors)
{
	struct vcpu_reg_state vrs;
	struct loader_image mod;
	struct mbh h;
	uint8_t *d, *big;
	size_t len;
	char *cl;

	/* Over the loader's pages at 0x8000-0xAFFF. */
	d = mk_mb(0x9000, &h, &len);
	ck_assert_int_eq(mb_load(d, len, NULL, NULL, &vrs), EINVAL);
	free(d);
	/* Beyond guest RAM. */
	d = mk_mb(0x8000000, &h, &len);
	ck_assert_int_eq(mb_load(d, len, NULL, NULL, &vrs), EFBIG);
	free(d);
	/* A module that does not fit what is left. */
	d = mk_mb(0x100000, &h, &len);
	big = calloc(1, GUEST);
	mod.data = big;
	mod.len = GUEST - 0x101000 + 1;
	fill(&gm, 0x100000, 0x1000, JUNK);
	ck_assert_int_eq(mb_load(d, len, NULL, &mod, &vrs), EFBIG);
	ck_assert(all(0x100000, 0x1000, JUNK));		/* nothing written */
	mod.len = GUEST - 0x101000;			/* exactly to the end */
	ck_assert_int_eq(mb_load(d, len, NULL, &mod, &vrs), 0);
	ck_assert_uint_eq(rd32(rd32(0x9000 + 24) + 4), GUEST);
	free(big);
	/* A command line of 4096 bytes is one too many. */
	cl = malloc(4097);
	memset(cl, 'x', 4096);
	cl[4096] = '\0';
	ck_assert_int_eq(mb_load(d, len, cl, NULL, &vrs), EINVAL);
	cl[4095] = '\0';
	ck_assert_int_eq(mb_load(d, len, cl, NULL, &vrs), 0);
	ck_assert_uint_eq(rd8(0xA000 + 4094), 'x');
	ck_assert_uint_eq(rd8(0xA000 + 4095), 0);
	free(cl);
	free(d);
}
END_TEST

START_TEST(test_multiboot_every_truncation_refused)
{
	struct vcpu_reg_state vrs;
	struct mbh h;
	uint8_t *d;
	size_t len, n;
	int error;

	d = mk_mb(0x100000, &h, &len);
	fill(&gm, 0x100000, 0x1000, JUNK);
	for (n = 0; n < len; n++) {
		error = mb_load(d, n, NULL, NULL, &vrs);
		ck_assert_msg(error == (n < MB_HOFF + 12 ? ENOEXEC : EINVAL),
		    "length %zu: %d (%s)", n, error, err);
	}
	ck_assert(all(0x100000, 0x1000, JUNK));
	ck_assert_int_eq(mb_load(d, len, NULL, NULL, &vrs), 0);
	free(d);
}
END_TEST

/* --- Linux bzImage ------------------------------------------------------ */

static uint8_t	pat(size_t);

#define BZ_SETUP	(5 * 512)		/* setup_sects 4, plus the boot sector */
#define BZ_LOAD		(16 * MiB)		/* pref_address */
#define BZ_INIT_SIZE	(1 * MiB)
#define BZ_ZP		0x7000			/* the loader's zero page */
#define BZ_CMDLINE	0x20000

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32le(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/*
 * A bzImage of protocol 2.15 with a 64-bit entry: the setup sectors with
 * the header, then pm (the protected-mode part), whose payload is
 * [poff, poff + plen).
 */
static uint8_t *
mkbz(const uint8_t *pm, size_t pmlen, uint32_t poff, uint32_t plen,
    size_t *len)
{
	/* The build pads the kernel to 16 bytes (syssize counts them). */
	uint8_t *d = calloc(1, BZ_SETUP + ((pmlen + 15) & ~(size_t)15));

	ck_assert_ptr_nonnull(d);
	d[0x1F1] = 4;					/* setup_sects */
	put32le(d + 0x1F4, (uint32_t)((pmlen + 15) / 16));	/* syssize */
	put16(d + 0x1FE, 0xAA55);
	d[0x200] = 0xEB;				/* jmp past the header */
	d[0x201] = 0x66;				/*   to 0x268 */
	memcpy(d + 0x202, "HdrS", 4);
	put16(d + 0x206, 0x20F);
	d[0x211] = 0x01;				/* LOADED_HIGH */
	put32le(d + 0x22C, 0x37FFFFFF);			/* initrd_addr_max */
	put32le(d + 0x230, 2 * MiB);			/* kernel_alignment */
	d[0x234] = 1;					/* relocatable */
	put16(d + 0x236, 0x3);				/* XLF_KERNEL_64 ... */
	put32le(d + 0x238, 2048);			/* cmdline_size */
	put32le(d + 0x248, poff);
	put32le(d + 0x24C, plen);
	put32le(d + 0x258, (uint32_t)BZ_LOAD);		/* pref_address */
	put32le(d + 0x260, (uint32_t)BZ_INIT_SIZE);
	memcpy(d + BZ_SETUP, pm, pmlen);
	*len = BZ_SETUP + ((pmlen + 15) & ~(size_t)15);
	return (d);
}

static int
bz_load(const uint8_t *d, size_t len, const struct loader_image *rd,
    int flags, struct vcpu_reg_state *vrs)
{
	struct loader_image li;

	li.data = d;
	li.len = len;
	err[0] = '\0';
	return (loader_linux_flags(&gm, &li, rd, "console=ttyS0 quiet", flags,
	    vrs, err));
}

/*
 * A protected-mode part of n bytes whose payload, at 0x200, is an .xz
 * stream of data followed by the 32-bit size the kernel's build appends
 * (trailer: that size, or a wrong one to test).
 */
static uint8_t *
mkpm_xz(const uint8_t *data, size_t dlen, uint32_t trailer, size_t *pmlen,
    uint32_t *plen)
{
	size_t cap = lzma_stream_buffer_bound(dlen), xzlen = 0;
	uint8_t *pm = malloc(0x200 + cap + 4);

	ck_assert_ptr_nonnull(pm);
	memset(pm, 0x90, 0x200);
	ck_assert_int_eq(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL,
	    data, dlen, pm + 0x200, &xzlen, cap), LZMA_OK);
	put32le(pm + 0x200 + xzlen, trailer);
	*plen = (uint32_t)(xzlen + 4);
	*pmlen = 0x200 + xzlen + 4;
	return (pm);
}

/* The kernel proper inside: two segments in [load, load + init_size). */
static void
mkvmlinux(uint64_t base, struct img *im)
{
	struct seg s[2] = {
		{ PT_LOAD, PF_R | PF_X, base, 0x3000, 0x3000, 0x11, 0 },
		{ PT_LOAD, PF_R | PF_W, base + 0x10000, 0x1000, 0x5000, 0x22,
		    0 },
	};

	mkelf(1, EM_X86_64, base + 0x40, s, 2, 0, im);
}

/* What every 64-bit entry gets: zero page, command line, tables, GDT. */
static void
assert_linux_entry(const struct vcpu_reg_state *vrs, uint64_t rip)
{
	char cl[32];
	size_t i;

	ck_assert_uint_eq(vrs->vrs_gprs[VCPU_REGS_RIP], rip);
	ck_assert_uint_eq(vrs->vrs_gprs[VCPU_REGS_RSI], BZ_ZP);
	ck_assert_uint_eq(vrs->vrs_crs[VCPU_REGS_CR3], 0x9000);
	ck_assert_uint_eq(vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel, 0x10);
	ck_assert_uint_eq(vrs->vrs_sregs[VCPU_REGS_DS].vsi_sel, 0x18);
	ck_assert_uint_eq(vrs->vrs_msrs[VCPU_REGS_EFER], 0x500);
	/* The header was copied; what the loader sets, it set. */
	ck_assert_uint_eq(rd32(BZ_ZP + 0x202), 0x53726448);	/* HdrS */
	ck_assert_uint_eq(rd8(BZ_ZP + 0x210), 0xFF);	/* type_of_loader */
	ck_assert_uint_eq(rd8(BZ_ZP + 0x211), 0x81);	/* CAN_USE_HEAP */
	ck_assert_uint_eq(rd32(BZ_ZP + 0x228), BZ_CMDLINE);
	ck_assert_uint_gt(rd8(BZ_ZP + 0x1E8), 0);	/* e820 entries */
	for (i = 0; i < sizeof(cl); i++)
		cl[i] = (char)rd8(BZ_CMDLINE + i);
	cl[sizeof(cl) - 1] = '\0';
	ck_assert_str_eq(cl, "console=ttyS0 quiet");
}

START_TEST(test_linux_bzimage_loaded_for_its_own_decompressor)
{
	struct vcpu_reg_state vrs;
	struct loader_image rd;
	uint8_t pm[8192], initrd[5000];
	uint8_t *d;
	size_t len, i;
	uint32_t rd_at;

	for (i = 0; i < sizeof(pm); i++)
		pm[i] = pat(i);
	memset(initrd, 0x5A, sizeof(initrd));
	rd.data = initrd;
	rd.len = sizeof(initrd);
	/* The payload is not XZ: the guest runs the decompressor. */
	d = mkbz(pm, sizeof(pm), 0x200, 0x1000, &len);
	fill(&gm, BZ_LOAD, 2 * sizeof(pm), JUNK);
	ck_assert_msg(bz_load(d, len, &rd, 0, &vrs) == 0, "%s", err);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	ck_assert_mem_eq(guestmem_hva(&gm, BZ_LOAD, sizeof(pm)), pm,
	    sizeof(pm));
	ck_assert(all(BZ_LOAD + sizeof(pm), sizeof(pm), JUNK));
	/* The initramfs at the top of low RAM, page aligned. */
	rd_at = rd32(BZ_ZP + 0x218);
	ck_assert_uint_eq(rd_at & 0xFFF, 0);
	ck_assert_uint_eq(rd32(BZ_ZP + 0x21C), sizeof(initrd));
	ck_assert_uint_ge(rd_at, BZ_LOAD + BZ_INIT_SIZE);
	ck_assert(all(rd_at, sizeof(initrd), 0x5A));
	free(d);
}
END_TEST

START_TEST(test_linux_xz_payload_unpacked_and_entered_on_the_host)
{
	struct vcpu_reg_state vrs;
	struct img k;
	uint8_t *pm, *d;
	size_t pmlen, len;
	uint32_t plen;

	mkvmlinux(BZ_LOAD, &k);
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len, &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	fill(&gm, BZ_LOAD, BZ_INIT_SIZE, JUNK);
	ck_assert_msg(bz_load(d, len, NULL, 0, &vrs) == 0, "%s", err);
	/* The kernel's segments where it was linked, its entry, bss zero. */
	assert_linux_entry(&vrs, BZ_LOAD + 0x40);
	ck_assert(all(BZ_LOAD, 0x3000, 0x11));
	ck_assert(all(BZ_LOAD + 0x3000, 0x10000 - 0x3000, JUNK));
	ck_assert(all(BZ_LOAD + 0x10000, 0x1000, 0x22));
	ck_assert(all(BZ_LOAD + 0x11000, 0x4000, 0));
	ck_assert(all(BZ_LOAD + 0x15000, 0x1000, JUNK));

	/* --guest-unpack: the same file as it is, for its decompressor. */
	fill(&gm, BZ_LOAD, BZ_INIT_SIZE, JUNK);
	ck_assert_msg(bz_load(d, len, NULL, LOADER_LINUX_GUEST_UNPACK,
	    &vrs) == 0, "%s", err);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	ck_assert(all(BZ_LOAD, 0x200, 0x90));
	ck_assert_uint_eq(rd8(BZ_LOAD + 0x200), 0xFD);	/* the .xz magic */
	free(d);
	free(pm);
	free(k.d);
}
END_TEST

/*
 * vmmsim run --reboot loads the same image on every guest reset: with a
 * cache the kernel is unpacked once, and every load writes the same.
 */
START_TEST(test_linux_cache_unpacks_the_same_image_once)
{
	struct loader_linux_cache cache;
	struct vcpu_reg_state vrs;
	struct loader_image li, other;
	struct img k;
	uint8_t *pm, *d, *first, *d2;
	size_t pmlen, len, len2;
	uint32_t plen;
	int i;

	memset(&cache, 0, sizeof(cache));
	mkvmlinux(BZ_LOAD, &k);
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len, &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	li.data = d;
	li.len = len;
	first = malloc(BZ_INIT_SIZE);
	ck_assert_ptr_nonnull(first);
	for (i = 0; i < 3; i++) {
		fill(&gm, BZ_LOAD, BZ_INIT_SIZE, JUNK);
		ck_assert_msg(loader_linux_cached(&gm, &li, NULL,
		    "console=ttyS0 quiet", 0, &cache, &vrs, err) == 0, "%s",
		    err);
		assert_linux_entry(&vrs, BZ_LOAD + 0x40);
		ck_assert_uint_eq(cache.hits, (unsigned long)i);
		ck_assert_ptr_nonnull(cache.unpacked.data);
		if (i == 0)
			memcpy(first, guestmem_hva(&gm, BZ_LOAD, BZ_INIT_SIZE),
			    BZ_INIT_SIZE);
		else
			ck_assert_mem_eq(guestmem_hva(&gm, BZ_LOAD,
			    BZ_INIT_SIZE), first, BZ_INIT_SIZE);
	}
	/* --guest-unpack neither uses nor changes it. */
	ck_assert_int_eq(loader_linux_cached(&gm, &li, NULL,
	    "console=ttyS0 quiet", LOADER_LINUX_GUEST_UNPACK, &cache, &vrs,
	    err), 0);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	ck_assert_uint_eq(cache.hits, 2);

	/* Another image: unpacked (or not) anew, its verdict kept. */
	d2 = mkbz(pm, 0x1000, 0x200, 0x1000, &len2);	/* not XZ */
	other.data = d2;
	other.len = len2;
	ck_assert_int_eq(loader_linux_cached(&gm, &other, NULL,
	    "console=ttyS0 quiet", 0, &cache, &vrs, err), 0);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	ck_assert_ptr_eq(cache.kernel, d2);
	ck_assert_ptr_null(cache.unpacked.data);
	ck_assert_int_eq(loader_linux_cached(&gm, &other, NULL,
	    "console=ttyS0 quiet", 0, &cache, &vrs, err), 0);
	ck_assert_uint_eq(cache.hits, 1);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	loader_linux_cache_free(&cache);
	ck_assert_ptr_null(cache.unpacked.data);
	free(first);
	free(d2);
	free(d);
	free(pm);
	free(k.d);
}
END_TEST

START_TEST(test_linux_kernel_linked_elsewhere_decompresses_in_guest)
{
	struct vcpu_reg_state vrs;
	struct img k;
	uint8_t *pm, *d;
	size_t pmlen, len;
	uint32_t plen;

	/* Linked at 32 MiB, past init_size: only the guest can place it. */
	mkvmlinux(32 * MiB, &k);
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len, &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	fill(&gm, 32 * MiB, 0x1000, JUNK);
	ck_assert_msg(bz_load(d, len, NULL, 0, &vrs) == 0, "%s", err);
	assert_linux_entry(&vrs, BZ_LOAD + 0x200);
	ck_assert(all(BZ_LOAD, 0x200, 0x90));
	ck_assert(all(32 * MiB, 0x1000, JUNK));
	free(d);
	free(pm);
	free(k.d);
}
END_TEST

/* A broken XZ payload: refused, with nothing written. */
static void
assert_refused(const uint8_t *d, size_t len, int want, const char *why)
{
	struct vcpu_reg_state vrs;

	fill(&gm, 0, 0x30000, JUNK);
	fill(&gm, BZ_LOAD, BZ_INIT_SIZE, JUNK);
	ck_assert_int_eq(bz_load(d, len, NULL, 0, &vrs), want);
	ck_assert_msg(strstr(err, why) != NULL, "error '%s', want '%s'", err,
	    why);
	ck_assert(all(0, 0x30000, JUNK));
	ck_assert(all(BZ_LOAD, BZ_INIT_SIZE, JUNK));
}

START_TEST(test_linux_broken_xz_payloads_refused)
{
	struct img k;
	uint8_t *pm, *d, notelf[300];
	size_t pmlen, len;
	uint32_t plen;

	mkvmlinux(BZ_LOAD, &k);
	/* A byte of the compressed data changed: its check fails. */
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len, &pmlen, &plen);
	pm[0x200 + plen / 2] ^= 0x40;
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	assert_refused(d, len, EINVAL, "corrupt XZ data");
	free(d);
	free(pm);
	/* The size the build appended is not what unpacks. */
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len + 1, &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	assert_refused(d, len, EINVAL, "corrupt XZ data");
	free(d);
	free(pm);
	pm = mkpm_xz(k.d, k.len, 0, &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	assert_refused(d, len, EINVAL, "out of bounds");
	free(d);
	free(pm);
	/* More than the guest's RAM (64 MiB here) is refused unread. */
	pm = mkpm_xz(k.d, k.len, (uint32_t)(GUEST + 1), &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	assert_refused(d, len, EINVAL, "out of bounds");
	free(d);
	free(pm);
	/* The stream cut short. */
	pm = mkpm_xz(k.d, k.len, (uint32_t)k.len, &pmlen, &plen);
	memmove(pm + 0x200 + plen - 20, pm + 0x200 + plen - 4, 4);
	d = mkbz(pm, pmlen - 16, 0x200, plen - 16, &len);
	assert_refused(d, len, EINVAL, "corrupt XZ data");
	free(d);
	free(pm);
	/* It unpacks, but not to a kernel. */
	memset(notelf, 0x33, sizeof(notelf));
	pm = mkpm_xz(notelf, sizeof(notelf), sizeof(notelf), &pmlen, &plen);
	d = mkbz(pm, pmlen, 0x200, plen, &len);
	assert_refused(d, len, EINVAL, "unpacked kernel: not an ELF file");
	free(d);
	free(pm);
	free(k.d);
}
END_TEST

START_TEST(test_linux_bad_headers_refused)
{
	struct vcpu_reg_state vrs;
	uint8_t pm[4096], *d;
	size_t len;

	memset(pm, 0x90, sizeof(pm));
	d = mkbz(pm, sizeof(pm), 0x200, 0x100, &len);
	/* Every truncation: not a bzImage, or a truncated one. */
	ck_assert_int_eq(bz_load(d, 0x100, NULL, 0, &vrs), ENOEXEC);
	ck_assert_int_eq(bz_load(d, BZ_SETUP, NULL, 0, &vrs), EINVAL);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
	ck_assert_int_eq(bz_load(d, len - 16, NULL, 0, &vrs), EINVAL);
	ck_assert_msg(strstr(err, "syssize") != NULL, "%s", err);
	/* Protocol 2.11: no 64-bit entry to use. */
	put16(d + 0x206, 0x20B);
	ck_assert_int_eq(bz_load(d, len, NULL, 0, &vrs), EINVAL);
	ck_assert_msg(strstr(err, "2.12") != NULL, "%s", err);
	put16(d + 0x206, 0x20F);
	d[0x236] = 0;
	ck_assert_int_eq(bz_load(d, len, NULL, 0, &vrs), EINVAL);
	ck_assert_msg(strstr(err, "64-bit entry") != NULL, "%s", err);
	d[0x236] = 3;
	memcpy(d + 0x202, "HdrX", 4);
	ck_assert_int_eq(bz_load(d, len, NULL, 0, &vrs), ENOEXEC);
	free(d);
}
END_TEST

/* --- BIOS ---------------------------------------------------------------- */

static int
bios(size_t len, struct vcpu_reg_state *vrs)
{
	struct loader_image li;
	uint8_t *d = malloc(len ? len : 1);
	size_t i;
	int error;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + (i >> 12));
	li.data = d;
	li.len = len;
	error = loader_bios(&gm, &li, vrs, err);
	free(d);
	return (error);
}

static uint8_t
pat(size_t i)
{
	return ((uint8_t)(i * 7 + (i >> 12)));
}

START_TEST(test_bios_64k_at_4g_and_1m_reset_state)
{
	struct vcpu_reg_state vrs;
	size_t i;

	fill(&gm, 0xA0000, 0x60000, JUNK);
	ck_assert_int_eq(bios(64 * KiB, &vrs), 0);
	for (i = 0; i < 64 * KiB; i += 997) {
		ck_assert_uint_eq(rd8(4 * GiB - 64 * KiB + i), pat(i));
		ck_assert_uint_eq(rd8(MiB - 64 * KiB + i), pat(i));
	}
	ck_assert_uint_eq(rd8(4 * GiB - 1), pat(64 * KiB - 1));
	ck_assert_uint_eq(rd8(MiB - 1), pat(64 * KiB - 1));
	ck_assert(all(MiB - 64 * KiB - 16, 16, JUNK));
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RIP], 0xFFF0);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0xF000);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_base, 0xF0000);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_limit, 0xFFFF);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar, 0x809F);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_sel, 0);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_limit, 0xFFFF);
	ck_assert_uint_eq(vrs.vrs_sregs[VCPU_REGS_DS].vsi_ar, 0x8093);
	ck_assert_uint_eq(vrs.vrs_crs[VCPU_REGS_CR0], 0x60000010);
	ck_assert_uint_eq(vrs.vrs_msrs[VCPU_REGS_EFER], 0);
	ck_assert_uint_eq(vrs.vrs_gprs[VCPU_REGS_RFLAGS], 0x2);
}
END_TEST

START_TEST(test_bios_large_image_low_copy_is_its_top_384k)
{
	struct vcpu_reg_state vrs;
	size_t len = MiB, i;

	ck_assert_int_eq(bios(len, &vrs), 0);
	ck_assert_uint_eq(rd8(4 * GiB - MiB), pat(0));
	for (i = 0; i < 384 * KiB; i += 1009)
		ck_assert_uint_eq(rd8(0xA0000 + i), pat(len - 384 * KiB + i));
	ck_assert_uint_eq(rd8(0x9FFFF), 0);		/* low RAM untouched */
	/* Exactly 4 MiB fills the high area. */
	ck_assert_int_eq(bios(4 * MiB, &vrs), 0);
	ck_assert_uint_eq(rd8(0xFFC00000), pat(0));
	ck_assert_uint_eq(rd8(4 * GiB - 1), pat(4 * MiB - 1));
}
END_TEST

START_TEST(test_bios_size_limits)
{
	struct vcpu_reg_state vrs;

	fill(&gm, 0xFFFFF000, 0x1000, JUNK);
	ck_assert_int_eq(bios(0, &vrs), EINVAL);
	ck_assert_int_eq(bios(14, &vrs), EINVAL);
	ck_assert_int_eq(bios(4 * MiB + 1, &vrs), EFBIG);
	ck_assert(all(0xFFFFF000, 0x1000, JUNK));
	ck_assert_int_eq(bios(15, &vrs), 0);
	ck_assert_uint_eq(rd8(0xFFFFFFF1), pat(0));
	ck_assert_uint_eq(rd8(0xFFFF1), pat(0));
	ck_assert_uint_eq(rd8(0xFFFFFFF0), JUNK);
}
END_TEST

/* --- end to end ---------------------------------------------------------- */

struct out {
	char	buf[512];
	size_t	n;
};

static void
console(void *arg, uint8_t b)
{
	struct out *o = arg;

	if (o->n < sizeof(o->buf) - 1)
		o->buf[o->n++] = (char)b;
}

static void
read_testdata(const char *name, struct loader_image *li)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, name);
	ck_assert_msg(loader_read_file(path, 16 * MiB, li, err) == 0, "%s",
	    err);
}

/*
 * Create a VM over the layout's memory (its MMIO window has no memory
 * behind it and is left out), reset vcpu 0 to the loader's state and run
 * it with the PC devices until the guest exits.
 */
static const int vendors[] = { VMMSIM_OPEN_INTEL, VMMSIM_OPEN_AMD };

static void
run(int vendor, const struct vcpu_reg_state *state, struct out *o,
    struct vmrun_result *res)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrp;
	struct vm_terminate_params vtp;
	struct vmrun_params p;
	struct vmrun *r;
	size_t i;
	int fd, error;

	fd = vmmsim_open(vendor);
	ck_assert_int_ge(fd, 0);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	for (i = 0; i < gm.nranges; i++)
		if (gm.ranges[i].vmr_type != VM_MEM_MMIO)
			vcp.vcp_memranges[vcp.vcp_nmemranges++] = gm.ranges[i];
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp), 0);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_init_state = *state;
	ck_assert_msg(vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrp) == 0,
	    "RESETCPU: %s", strerror(errno));

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.vm_id = vcp.vcp_id;
	p.ram_bytes = GUEST;
	p.rtc_start = 1767225600;
	p.console = console;
	p.console_arg = o;
	memset(o, 0, sizeof(*o));
	r = vmrun_create(&p, &error);
	ck_assert_msg(r != NULL, "vmrun_create: %d", error);
	error = vmrun_loop(r, res);
	ck_assert_msg(error == 0, "vmrun_loop: %s (output \"%s\")",
	    strerror(error), o->buf);
	vmrun_destroy(r);
	vtp.vtp_vm_id = vcp.vcp_id;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp), 0);
	vmmsim_close(fd);
}

START_TEST(test_e2e_elf64_kernel_boots_as_vmd_starts_openbsd)
{
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct vmrun_result res;
	struct out o;

	read_testdata("elf64_kernel.bin", &li);
	fill(&gm, 0x200000, 0x1000, JUNK);		/* BSS must be zeroed */
	ck_assert_msg(loader_elf(&gm, &li, NULL, &vrs, err) == 0, "%s", err);
	loader_free_image(&li);
	run(vendors[_i], &vrs, &o, &res);
	ck_assert_str_eq(o.buf, "elf64 ok, RAM above 1 MiB: 0x03f00000\n");
	ck_assert_int_eq(res.status, 1);		/* exit code 0 */
	ck_assert_int_eq(res.reset, 0);
}
END_TEST

START_TEST(test_e2e_multiboot_kernel_reads_its_info)
{
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct vmrun_result res;
	struct out o;

	read_testdata("mb_kernel.bin", &li);
	fill(&gm, 0x100000, 0x1000, JUNK);
	ck_assert_msg(loader_multiboot(&gm, &li, "console=com0 hello", NULL,
	    &vrs, err) == 0, "%s", err);
	loader_free_image(&li);
	run(vendors[_i], &vrs, &o, &res);
	ck_assert_str_eq(o.buf, "multiboot ok, mem_upper=64512 KiB, "
	    "cmdline=console=com0 hello, loader=vmmsim\n");
	ck_assert_int_eq(res.status, 1);
}
END_TEST

START_TEST(test_e2e_bios_runs_from_the_reset_vector)
{
	struct vcpu_reg_state vrs;
	struct loader_image li;
	struct vmrun_result res;
	struct out o;

	read_testdata("bios_rom.bin", &li);
	ck_assert_msg(loader_bios(&gm, &li, &vrs, err) == 0, "%s", err);
	loader_free_image(&li);
	run(vendors[_i], &vrs, &o, &res);
	ck_assert_str_eq(o.buf, "bios ok\n");
	ck_assert_int_eq(res.status, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("loader");
	TCase *tm = tcase_create("guestmem");
	TCase *tf = tcase_create("read_file");
	TCase *te = tcase_create("elf");
	TCase *tb = tcase_create("multiboot");
	TCase *tr = tcase_create("bios");
	TCase *tl = tcase_create("linux");
	TCase *tx = tcase_create("end_to_end");
	SRunner *sr;
	int failed;

	tcase_add_test(tm, test_layout_1mib_is_low_ram_hole_mmio_bios);
	tcase_add_test(tm, test_layout_5mib_and_64mib);
	tcase_add_test(tm, test_layout_4gib_and_5gib_put_ram_above_4gib);
	tcase_add_test(tm, test_layout_rejects_sizes_outside_the_limits);
	tcase_add_checked_fixture(tm, gm_setup, gm_teardown);
	tcase_add_test(tm, test_guestmem_copies_across_contiguous_ranges);
	tcase_add_test(tm, test_guestmem_efault_outside_and_nothing_written);
	tcase_add_test(tm, test_guestmem_write_hook_sees_each_write);
	tcase_add_test(tm, test_guestmem_efault_across_the_mmio_hole);
	suite_add_tcase(s, tm);

	tcase_add_test(tf, test_read_file_missing_directory_and_too_big);
	suite_add_tcase(s, tf);

	tcase_add_checked_fixture(te, gm_setup, gm_teardown);
	tcase_add_test(te, test_elf64_segments_masked_bss_zeroed_start_state);
	tcase_add_test(te, test_elf64_gdt_and_identity_page_tables);
	tcase_add_test(te, test_elf_boot_args_memmap_consdev_and_stack);
	tcase_add_test(te, test_elf_symbols_appended_for_ddb);
	tcase_add_test(te, test_elf_without_sections_appends_only_the_header);
	tcase_add_test(te, test_elf32_paged_protected_mode_4mib_pages);
	tcase_add_test(te, test_elf_randomize_segment_filled_deterministically);
	tcase_add_test(te, test_elf64_every_truncation_refused);
	tcase_add_test(te, test_elf32_every_truncation_refused);
	tcase_add_test(te, test_elf_bad_header_fields);
	tcase_add_test(te, test_elf_bad_segments);
	tcase_add_test(te, test_elf_no_loadable_segment_and_bad_symbols);
	tcase_add_test(te, test_elf_refused_in_a_guest_too_small);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(tb, gm_setup, gm_teardown);
	tcase_add_test(tb, test_multiboot_aout_info_mmap_cmdline_module);
	tcase_add_test(tb, test_multiboot_without_cmdline_or_module);
	tcase_add_test(tb, test_multiboot_mem_upper_in_a_1mib_guest);
	tcase_add_test(tb, test_multiboot_elf32_at_physical_addresses);
	tcase_add_test(tb, test_multiboot_header_search);
	tcase_add_loop_test(tb, test_multiboot_bad_address_fields, 0,
	    sizeof(mb_fields) / sizeof(mb_fields[0]));
	tcase_add_test(tb, test_multiboot_placement_errors);
	tcase_add_test(tb, test_multiboot_every_truncation_refused);
	suite_add_tcase(s, tb);

	tcase_add_checked_fixture(tr, gm_setup, gm_teardown);
	tcase_add_checked_fixture(tl, gm_setup, gm_teardown);
	tcase_add_test(tl, test_linux_bzimage_loaded_for_its_own_decompressor);
	tcase_add_test(tl, test_linux_xz_payload_unpacked_and_entered_on_the_host);
	tcase_add_test(tl, test_linux_cache_unpacks_the_same_image_once);
	tcase_add_test(tl,
	    test_linux_kernel_linked_elsewhere_decompresses_in_guest);
	tcase_add_test(tl, test_linux_broken_xz_payloads_refused);
	tcase_add_test(tl, test_linux_bad_headers_refused);
	suite_add_tcase(s, tl);

	tcase_add_test(tr, test_bios_64k_at_4g_and_1m_reset_state);
	tcase_add_test(tr, test_bios_large_image_low_copy_is_its_top_384k);
	tcase_add_test(tr, test_bios_size_limits);
	suite_add_tcase(s, tr);

	tcase_set_timeout(tx, 60);
	tcase_add_checked_fixture(tx, gm_setup, gm_teardown);
	/* Once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tx,
	    test_e2e_elf64_kernel_boots_as_vmd_starts_openbsd, 0, 2);
	tcase_add_loop_test(tx, test_e2e_multiboot_kernel_reads_its_info, 0, 2);
	tcase_add_loop_test(tx, test_e2e_bios_runs_from_the_reset_vector, 0, 2);
	suite_add_tcase(s, tx);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
