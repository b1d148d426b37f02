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
 * Multiboot (version 0.6.96) kernels: find the header in the first 8 KiB,
 * load the image by the header's address fields (the "a.out kludge", flag
 * bit 16) or as an ELF32 executable at its physical addresses, place one
 * optional module on the next page after the kernel, and build the
 * multiboot information structure with the memory map, the command line
 * and the boot loader's name.  The kernel starts in flat 32-bit protected
 * mode, paging off, with EAX = 0x2BADB002 and EBX = the information.
 *
 * The loader's own pages (below 1 MiB, where kernels do not load):
 *   0x8000  a GDT matching the start state: 0x08 code, 0x10 data (the spec
 *           leaves GDTR undefined; a valid one costs nothing), and the top
 *           of a small boot stack below it (ESP, undefined in the spec)
 *   0x9000  multiboot_info, the loader name, the module list, the mmap
 *   0xA000  the command line (at most 4095 bytes)
 *
 * Not supported, refused with EINVAL: header flag bits 2-15 other than the
 * ones below (bit 2 asks for a video mode there is no display for), ELF64
 * kernels.  Not provided: boot_device, symbols, drives, APM, VBE.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/loader_impl.h"

#define MB_MAGIC		0x1BADB002U
#define MB_BOOT_MAGIC		0x2BADB002U
#define MB_SEARCH		8192
#define MB_HDR_MIN		12		/* magic, flags, checksum */
#define MB_HDR_AOUT		32		/* + the address fields */

#define MB_F_PAGE_ALIGN		0x00000001U	/* modules on 4 KiB */
#define MB_F_MEMORY		0x00000002U	/* mem_* fields wanted */
#define MB_F_VIDEO		0x00000004U
#define MB_F_AOUT_KLUDGE	0x00010000U
#define MB_F_KNOWN_REQUIRED	(MB_F_PAGE_ALIGN | MB_F_MEMORY)

#define MBI_MEMORY		0x00000001U
#define MBI_CMDLINE		0x00000004U
#define MBI_MODS		0x00000008U
#define MBI_MEM_MAP		0x00000040U
#define MBI_LOADER_NAME		0x00000200U

#define MB_GDT			0x8000ULL
#define MB_INFO			0x9000ULL
#define MB_NAME			0x9080ULL
#define MB_MODSTR		0x9090ULL
#define MB_MODS			0x90A0ULL
#define MB_MMAP			0x9100ULL
#define MB_CMDLINE		0xA000ULL
#define MB_CMDLINE_MAX		4096ULL
#define MB_PAGES_END		0xB000ULL

#define MB_LOADER_NAME		"vmmsim"
#define PAGE			4096ULL
#define MiB			(1024ULL * 1024ULL)

struct mb_header {
	uint32_t	magic, flags, checksum;
	uint32_t	header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t	entry_addr;
};

struct mb_info {
	uint32_t	flags;
	uint32_t	mem_lower, mem_upper;
	uint32_t	boot_device;
	uint32_t	cmdline;
	uint32_t	mods_count, mods_addr;
	uint32_t	syms[4];
	uint32_t	mmap_length, mmap_addr;
	uint32_t	drives_length, drives_addr;
	uint32_t	config_table;
	uint32_t	boot_loader_name;
	uint32_t	apm_table;
	uint32_t	vbe[6];
	uint8_t		framebuffer[28];
} __attribute__((packed));

struct mb_module {
	uint32_t	mod_start, mod_end, string, reserved;
};

struct mb_mmap {
	uint32_t	size;		/* of the rest: 20 */
	uint64_t	base_addr;
	uint64_t	length;
	uint32_t	type;
} __attribute__((packed));

/* Where the image goes: one copy (a.out kludge) or an ELF plan. */
struct mb_load {
	int			is_elf;
	struct loader_copy	aout;
	struct loader_elf_plan	elf;
	uint64_t		entry;
	uint64_t		end;
};

/* The first valid header, longword aligned in the first 8 KiB. */
static int
find_header(const struct loader_image *img, size_t *offp, char err[LOADER_ERRLEN])
{
	size_t off, lim;
	uint32_t w[3];
	int badsum = 0;

	lim = img->len < MB_SEARCH ? img->len : MB_SEARCH;
	for (off = 0; off + MB_HDR_MIN <= lim; off += 4) {
		memcpy(w, img->data + off, sizeof(w));
		if (w[0] != MB_MAGIC)
			continue;
		if (w[0] + w[1] + w[2] != 0) {
			badsum = 1;
			continue;
		}
		*offp = off;
		return (0);
	}
	return (loader_fail(err, ENOEXEC, badsum ? "multiboot header with a "
	    "bad checksum" : "no multiboot header in the first 8 KiB"));
}

static int
check_place(const struct guestmem *gm, const char *what, uint64_t gpa,
    uint64_t len, char err[LOADER_ERRLEN])
{
	if (len == 0)
		return (0);
	if (gpa + len - 1 < gpa || gpa + len > 0x100000000ULL ||
	    !loader_span_ok(gm, gpa, len))
		return (loader_fail(err, EFBIG, "%s at 0x%llx (0x%llx bytes) is "
		    "not in guest memory below 4 GiB", what,
		    (unsigned long long)gpa, (unsigned long long)len));
	if (gpa < MB_PAGES_END && gpa + len > MB_GDT)
		return (loader_fail(err, EINVAL, "%s at 0x%llx overlaps the "
		    "loader's pages at 0x%llx-0x%llx", what,
		    (unsigned long long)gpa, (unsigned long long)MB_GDT,
		    (unsigned long long)MB_PAGES_END - 1));
	return (0);
}

/* The a.out kludge: the header says which bytes of the file go where. */
static int
plan_aout(const struct guestmem *gm, const struct loader_image *img,
    size_t hoff, const struct mb_header *h, struct mb_load *l,
    char err[LOADER_ERRLEN])
{
	uint64_t foff, loadlen, memsz;
	int error;

	if (h->header_addr < h->load_addr)
		return (loader_fail(err, EINVAL, "header_addr 0x%x below "
		    "load_addr 0x%x", h->header_addr, h->load_addr));
	if (h->header_addr - h->load_addr > hoff)
		return (loader_fail(err, EINVAL, "load_addr 0x%x is before the "
		    "start of the file", h->load_addr));
	foff = hoff - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0)
		loadlen = img->len - foff;
	else if (h->load_end_addr <= h->load_addr)
		return (loader_fail(err, EINVAL, "load_end_addr 0x%x not above "
		    "load_addr 0x%x", h->load_end_addr, h->load_addr));
	else
		loadlen = (uint64_t)h->load_end_addr - h->load_addr;
	if (loadlen > img->len - foff)
		return (loader_fail(err, EINVAL, "load_end_addr 0x%x is beyond "
		    "the end of the file", h->load_end_addr));
	if (h->bss_end_addr == 0)
		memsz = loadlen;
	else if (h->bss_end_addr < h->load_addr + loadlen)
		return (loader_fail(err, EINVAL, "bss_end_addr 0x%x below the "
		    "end of the loaded image", h->bss_end_addr));
	else
		memsz = (uint64_t)h->bss_end_addr - h->load_addr;
	if (h->entry_addr < h->load_addr ||
	    h->entry_addr - h->load_addr >= memsz)
		return (loader_fail(err, EINVAL, "entry_addr 0x%x is outside "
		    "the image", h->entry_addr));
	if ((error = check_place(gm, "kernel", h->load_addr, memsz,
	    err)) != 0)
		return (error);
	l->aout.gpa = h->load_addr;
	l->aout.off = foff;
	l->aout.filesz = loadlen;
	l->aout.memsz = memsz;
	l->entry = h->entry_addr;
	l->end = h->load_addr + memsz;
	return (0);
}

static int
plan_elf(const struct guestmem *gm, const struct loader_image *img,
    struct mb_load *l, char err[LOADER_ERRLEN])
{
	struct loader_elf_opts o;
	int error;

	memset(&o, 0, sizeof(o));
	o.flags = LOADER_ELF32;
	o.mask = UINT32_MAX;
	o.resv_lo = MB_GDT;
	o.resv_hi = MB_PAGES_END;
	if ((error = loader_elf_plan(gm, img, &o, &l->elf, err)) != 0) {
		if (error == ENOEXEC)
			return (loader_fail(err, EINVAL, "no address fields "
			    "(flag 16) and not an ELF file"));
		return (error);
	}
	l->is_elf = 1;
	l->entry = l->elf.entry;
	l->end = l->elf.end;
	return (0);
}

/* KiB of RAM contiguous from gpa (mem_lower from 0, mem_upper from 1 MiB). */
static uint32_t
ram_kib_from(const struct guestmem *gm, uint64_t gpa)
{
	const struct vm_mem_range *r;
	uint64_t n = 0;

	while ((r = guestmem_find(gm, gpa)) != NULL &&
	    r->vmr_type == VM_MEM_RAM) {
		n += r->vmr_gpa + r->vmr_size - gpa;
		gpa = r->vmr_gpa + r->vmr_size;
	}
	n /= 1024;
	return (n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

static int
write_info(const struct guestmem *gm, const char *cmdline,
    const struct loader_image *module, uint64_t modgpa)
{
	struct loader_e820 e820[VMM_MAX_MEM_RANGES];
	struct mb_mmap mm[VMM_MAX_MEM_RANGES];
	struct mb_module mod;
	struct mb_info mi;
	uint64_t gdt[3];
	size_t i, n;
	int error;

	gdt[0] = 0;
	gdt[1] = 0x00CF9B000000FFFFULL;		/* flat 32-bit code */
	gdt[2] = 0x00CF93000000FFFFULL;		/* flat data */
	if ((error = guestmem_write(gm, MB_GDT, gdt, sizeof(gdt))) != 0)
		return (error);

	memset(&mi, 0, sizeof(mi));
	mi.flags = MBI_MEMORY | MBI_MODS | MBI_MEM_MAP | MBI_LOADER_NAME;
	mi.mem_lower = ram_kib_from(gm, 0);
	mi.mem_upper = ram_kib_from(gm, MiB);
	if (cmdline != NULL) {
		mi.flags |= MBI_CMDLINE;
		mi.cmdline = MB_CMDLINE;
		if ((error = guestmem_write(gm, MB_CMDLINE, cmdline,
		    strlen(cmdline) + 1)) != 0)
			return (error);
	}
	mi.mods_addr = MB_MODS;
	if (module != NULL) {
		mi.mods_count = 1;
		mod.mod_start = (uint32_t)modgpa;
		mod.mod_end = (uint32_t)(modgpa + module->len);
		mod.string = MB_MODSTR;
		mod.reserved = 0;
		if ((error = guestmem_write(gm, MB_MODS, &mod,
		    sizeof(mod))) != 0 ||
		    (error = guestmem_write(gm, MB_MODSTR, "", 1)) != 0 ||
		    (error = guestmem_write(gm, modgpa, module->data,
		    module->len)) != 0)
			return (error);
	}
	n = loader_e820(gm, e820, VMM_MAX_MEM_RANGES);
	for (i = 0; i < n; i++) {
		mm[i].size = sizeof(mm[i]) - sizeof(mm[i].size);
		mm[i].base_addr = e820[i].addr;
		mm[i].length = e820[i].size;
		mm[i].type = e820[i].type;
	}
	mi.mmap_length = (uint32_t)(n * sizeof(mm[0]));
	mi.mmap_addr = MB_MMAP;
	mi.boot_loader_name = MB_NAME;
	if ((error = guestmem_write(gm, MB_MMAP, mm, n * sizeof(mm[0]))) != 0 ||
	    (error = guestmem_write(gm, MB_NAME, MB_LOADER_NAME,
	    sizeof(MB_LOADER_NAME))) != 0)
		return (error);
	return (guestmem_write(gm, MB_INFO, &mi, sizeof(mi)));
}

int
loader_multiboot(const struct guestmem *gm, const struct loader_image *img,
    const char *cmdline, const struct loader_image *module,
    struct vcpu_reg_state *vrs, char err[LOADER_ERRLEN])
{
	struct mb_header h;
	struct mb_load l;
	uint64_t modgpa = 0;
	size_t hoff = 0;
	int error;

	memset(&l, 0, sizeof(l));
	err[0] = '\0';
	if ((error = find_header(img, &hoff, err)) != 0)
		return (error);
	memset(&h, 0, sizeof(h));
	memcpy(&h, img->data + hoff, MB_HDR_MIN);
	if ((h.flags & 0xFFFF) & ~MB_F_KNOWN_REQUIRED)
		return (loader_fail(err, EINVAL, "unsupported required "
		    "multiboot flags 0x%x%s", h.flags & 0xFFFF &
		    ~MB_F_KNOWN_REQUIRED, (h.flags & MB_F_VIDEO) ?
		    " (video mode)" : ""));
	if (!loader_span_ok(gm, MB_GDT, MB_PAGES_END - MB_GDT))
		return (loader_fail(err, EFBIG, "no guest memory at 0x%llx-"
		    "0x%llx for the multiboot information",
		    (unsigned long long)MB_GDT,
		    (unsigned long long)MB_PAGES_END - 1));
	if (cmdline != NULL && strlen(cmdline) >= MB_CMDLINE_MAX)
		return (loader_fail(err, EINVAL, "command line longer than "
		    "%llu bytes", (unsigned long long)MB_CMDLINE_MAX - 1));
	if (h.flags & MB_F_AOUT_KLUDGE) {
		if (img->len - hoff < MB_HDR_AOUT ||
		    hoff + MB_HDR_AOUT > MB_SEARCH)
			return (loader_fail(err, EINVAL, "multiboot header "
			    "address fields truncated"));
		memcpy(&h, img->data + hoff, MB_HDR_AOUT);
		error = plan_aout(gm, img, hoff, &h, &l, err);
	} else
		error = plan_elf(gm, img, &l, err);
	if (error != 0)
		return (error);

	if (module != NULL) {
		modgpa = (l.end + PAGE - 1) & ~(PAGE - 1);
		if ((error = check_place(gm, "module", modgpa,
		    module->len, err)) != 0) {
			loader_elf_plan_free(&l.elf);
			return (error);
		}
	}

	if (l.is_elf)
		error = loader_elf_apply(gm, img, &l.elf);
	else
		error = guestmem_write(gm, l.aout.gpa, img->data + l.aout.off,
		    l.aout.filesz) ||
		    guestmem_write(gm, l.aout.gpa + l.aout.filesz, NULL,
		    l.aout.memsz - l.aout.filesz) ? EFAULT : 0;
	if (error == 0)
		error = write_info(gm, cmdline, module, modgpa);
	loader_elf_plan_free(&l.elf);
	if (error != 0)
		return (loader_fail(err, error, "writing guest memory: %s",
		    strerror(error)));

	loader_regs_flat32(vrs, l.entry);
	vrs->vrs_gprs[VCPU_REGS_RAX] = MB_BOOT_MAGIC;
	vrs->vrs_gprs[VCPU_REGS_RBX] = MB_INFO;
	vrs->vrs_gprs[VCPU_REGS_RSP] = MB_GDT;
	vrs->vrs_gdtr.vsi_base = MB_GDT;
	vrs->vrs_gdtr.vsi_limit = sizeof(uint64_t) * 3 - 1;
	return (0);
}
