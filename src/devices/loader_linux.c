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
 * The Linux x86 boot protocol (Documentation/x86/boot.rst), 64-bit entry:
 * the protected-mode kernel of a bzImage at its preferred address, the
 * zero page with the setup header, e820 map, command line and initramfs,
 * identity page tables for the low 4 GiB and a GDT with __BOOT_CS (0x10)
 * and __BOOT_DS (0x18); RSI points at the zero page and RIP is the load
 * address + 0x200.  Protocol 2.12 or later (XLF_KERNEL_64) is required.
 *
 * Low-memory layout the loader uses (all below 640 KiB, where the kernel
 * keeps its hands off until it has its own tables):
 *   0x05000  GDT                 0x07000  zero page (struct boot_params)
 *   0x09000  PML4                0x0A000  PDPT
 *   0x0B000  4 page directories (2 MiB pages, 0 - 4 GiB)
 *   0x20000  command line (up to cmdline_size, at most 64 KiB)
 */

#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/loader.h"
#include "devices/loader_impl.h"

#define LX_GDT		0x5000ULL
#define LX_ZEROPAGE	0x7000ULL
#define LX_PML4		0x9000ULL
#define LX_PDPT		0xA000ULL
#define LX_PD		0xB000ULL
#define LX_CMDLINE	0x20000ULL
#define LX_CMDLINE_MAX	0x10000ULL

/* Offsets into struct boot_params and its embedded setup header. */
#define BP_EXT_RAMDISK_IMAGE	0x0C0
#define BP_EXT_RAMDISK_SIZE	0x0C4
#define BP_EXT_CMD_LINE_PTR	0x0C8
#define BP_E820_ENTRIES		0x1E8
#define BP_SETUP_SECTS		0x1F1
#define BP_VID_MODE		0x1FA
#define BP_BOOT_FLAG		0x1FE
#define BP_JUMP			0x200
#define BP_HEADER		0x202
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21C
#define BP_HEAP_END_PTR		0x224
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22C
#define BP_KERNEL_ALIGNMENT	0x230
#define BP_RELOCATABLE		0x234
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_PREF_ADDRESS		0x258
#define BP_PAYLOAD_OFFSET	0x248
#define BP_PAYLOAD_LENGTH	0x24C
#define BP_INIT_SIZE		0x260
#define BP_E820_TABLE		0x2D0
#define BP_E820_MAX		128

#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02

#define MiB			(1024ULL * 1024ULL)

/* The .xz stream magic, and the most an unpacked kernel may take. */
static const uint8_t xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };
#define UNPACK_MAX		(1024 * MiB)
#define UNPACK_MEMLIMIT		(256 * MiB)	/* the decoder's own */

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Is [gpa, gpa+len) inside RAM, one range? */
static int
in_ram(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	const struct vm_mem_range *r = guestmem_find(gm, gpa);

	return r != NULL && r->vmr_type == VM_MEM_RAM &&
	    len <= r->vmr_size - (gpa - r->vmr_gpa);
}

/* The end of the RAM range that starts at 1 MiB (main RAM below 4 GiB). */
static uint64_t
low_ram_top(const struct guestmem *gm)
{
	const struct vm_mem_range *r = guestmem_find(gm, MiB);

	if (r == NULL || r->vmr_type != VM_MEM_RAM)
		return 0;
	return r->vmr_gpa + r->vmr_size;
}

static int
build_tables(const struct guestmem *gm)
{
	uint64_t gdt[4] = {
		0,
		0,
		0x00AF9B000000FFFFULL,	/* 0x10: 64-bit code */
		0x00CF93000000FFFFULL,	/* 0x18: flat data */
	};
	uint64_t e, i;
	int error;

	if ((error = guestmem_write(gm, LX_GDT, gdt, sizeof(gdt))) != 0)
		return error;
	e = LX_PDPT | 0x3;
	if ((error = guestmem_write(gm, LX_PML4, &e, 8)) != 0 ||
	    (error = guestmem_write(gm, LX_PML4 + 8, NULL, 4096 - 8)) != 0)
		return error;
	for (i = 0; i < 4; i++) {
		e = (LX_PD + i * 4096) | 0x3;
		if ((error = guestmem_write(gm, LX_PDPT + i * 8, &e, 8)) != 0)
			return error;
	}
	if ((error = guestmem_write(gm, LX_PDPT + 32, NULL, 4096 - 32)) != 0)
		return error;
	for (i = 0; i < 4 * 512; i++) {
		e = (i << 21) | 0x83;			/* P | RW | PS */
		if ((error = guestmem_write(gm, LX_PD + i * 8, &e, 8)) != 0)
			return error;
	}
	return 0;
}

/*
 * The kernel proper of an XZ bzImage, unpacked on the host: what the
 * bzImage's own decompressor would do in the guest (it spends billions
 * of guest instructions on it), for a kernel that runs where it was
 * linked.  The payload (protocol 2.08's payload_offset and
 * payload_length, within the protected-mode part pm) is an .xz stream
 * followed by the 32-bit unpacked size; unpacked, it is vmlinux, an ELF64
 * image whose segments go at their physical addresses, all of them
 * inside [load, load + init_size), entered at e_entry as the
 * decompressor enters it: 64-bit mode, RSI at the zero page.
 *
 * decode_payload unpacks the stream: 0 with *out filled (the caller frees
 * it), ENOENT when there is nothing to unpack here (no XZ payload, an
 * older protocol): then the guest runs the decompressor as before; or an
 * errno value with err for a payload that says XZ but is broken, which
 * the guest's decompressor would refuse as well.
 */
static int
decode_payload(const struct guestmem *gm, const uint8_t *k, uint16_t version,
    const uint8_t *pm, uint64_t pm_len, struct loader_image *out,
    char err[LOADER_ERRLEN])
{
	uint64_t off, len, size, memlimit = UNPACK_MEMLIMIT;
	size_t in_pos = 0, out_pos = 0;
	uint8_t *buf;
	lzma_ret ret;

	memset(out, 0, sizeof(*out));
	if (version < 0x208)
		return (ENOENT);
	off = le32(k + BP_PAYLOAD_OFFSET);
	len = le32(k + BP_PAYLOAD_LENGTH);
	if (len < sizeof(xz_magic) + 4 || off > pm_len || len > pm_len - off ||
	    memcmp(pm + off, xz_magic, sizeof(xz_magic)) != 0)
		return (ENOENT);
	/* What does not fit the guest's RAM could not run in it either. */
	size = le32(pm + off + len - 4);
	if (size == 0 || size > UNPACK_MAX || size > guestmem_ram_bytes(gm))
		return (loader_fail(err, EINVAL, "kernel payload: unpacked "
		    "size %llu is out of bounds", (unsigned long long)size));
	if ((buf = malloc(size)) == NULL)
		return (loader_fail(err, ENOMEM, "kernel payload: no memory "
		    "for %llu bytes", (unsigned long long)size));
	ret = lzma_stream_buffer_decode(&memlimit, 0, NULL, pm + off, &in_pos,
	    len - 4, buf, &out_pos, size);
	if (ret != LZMA_OK || out_pos != size) {
		free(buf);
		return (loader_fail(err, EINVAL, "kernel payload: corrupt XZ "
		    "data (liblzma %d, %zu of %llu bytes unpacked)", (int)ret,
		    out_pos, (unsigned long long)size));
	}
	out->data = buf;
	out->len = size;
	return (0);
}

/*
 * plan_vmlinux plans the unpacked image's segments: 0 with *plan filled
 * (the caller applies and frees it), ENOENT for a kernel not linked for
 * where it loads (the decompressor relocates it: the guest runs it), or
 * an errno value with err for an image that is not an ELF64 kernel.
 */
static int
plan_vmlinux(const struct guestmem *gm, const struct loader_image *img,
    uint64_t load, uint64_t init_size, struct loader_elf_plan *plan,
    char err[LOADER_ERRLEN])
{
	struct loader_elf_opts eo;
	int error;

	memset(&eo, 0, sizeof(eo));
	eo.flags = LOADER_ELF64;
	eo.mask = ~0ULL;
	eo.resv_lo = 0;			/* the zero page, tables, cmdline */
	eo.resv_hi = MiB;
	if ((error = loader_elf_plan(gm, img, &eo, plan, err)) != 0) {
		char why[LOADER_ERRLEN];

		snprintf(why, sizeof(why), "%s", err);
		/* Not "not a kernel at all": the bzImage was one. */
		return (loader_fail(err, error == ENOEXEC ? EINVAL : error,
		    "unpacked kernel: %s", why));
	}
	if (plan->start < load || plan->end > load + init_size) {
		loader_elf_plan_free(plan);
		return (ENOENT);
	}
	return (0);
}

void
loader_linux_cache_free(struct loader_linux_cache *c)
{
	loader_free_image(&c->unpacked);
	memset(c, 0, sizeof(*c));
}

int
loader_linux(const struct guestmem *gm, const struct loader_image *kernel,
    const struct loader_image *initrd, const char *cmdline,
    struct vcpu_reg_state *vrs, char err[LOADER_ERRLEN])
{
	return (loader_linux_flags(gm, kernel, initrd, cmdline, 0, vrs, err));
}

int
loader_linux_flags(const struct guestmem *gm,
    const struct loader_image *kernel, const struct loader_image *initrd,
    const char *cmdline, int flags, struct vcpu_reg_state *vrs,
    char err[LOADER_ERRLEN])
{
	return (loader_linux_cached(gm, kernel, initrd, cmdline, flags, NULL,
	    vrs, err));
}

int
loader_linux_cached(const struct guestmem *gm,
    const struct loader_image *kernel, const struct loader_image *initrd,
    const char *cmdline, int flags, struct loader_linux_cache *cache,
    struct vcpu_reg_state *vrs, char err[LOADER_ERRLEN])
{
	const uint8_t *k = kernel->data;
	struct loader_image own;
	const struct loader_image *img = NULL;
	struct loader_elf_plan plan;
	uint64_t entry;
	int unpack;
	uint8_t zp[4096];
	struct loader_e820 map[BP_E820_MAX];
	uint64_t setup_len, pm_len, load, align, init_size, kend, top;
	uint64_t rd_addr = 0, rd_max, cl_len, cl_max;
	uint16_t version;
	size_t hdr_end, n, i;
	int error;

	if (kernel->len < 0x264 || le16(k + BP_BOOT_FLAG) != 0xAA55 ||
	    memcmp(k + BP_HEADER, "HdrS", 4) != 0) {
		snprintf(err, LOADER_ERRLEN, "not a Linux bzImage (no HdrS "
		    "setup header)");
		return ENOEXEC;
	}
	version = le16(k + BP_VERSION);
	if (version < 0x20C) {
		snprintf(err, LOADER_ERRLEN, "boot protocol %u.%02u: 2.12 "
		    "or later needed for the 64-bit entry", version >> 8,
		    version & 0xFF);
		return EINVAL;
	}
	if (!(le16(k + BP_XLOADFLAGS) & XLF_KERNEL_64) ||
	    !(k[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, LOADER_ERRLEN, "kernel has no 64-bit entry "
		    "point (xloadflags 0x%x)", le16(k + BP_XLOADFLAGS));
		return EINVAL;
	}
	setup_len = ((uint64_t)(k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4) +
	    1) * 512;
	if (setup_len >= kernel->len) {
		snprintf(err, LOADER_ERRLEN, "truncated bzImage: %zu bytes, "
		    "setup alone is %llu", kernel->len,
		    (unsigned long long)setup_len);
		return EINVAL;
	}
	pm_len = kernel->len - setup_len;
	if ((uint64_t)le32(k + 0x1F4) * 16 > pm_len) {
		snprintf(err, LOADER_ERRLEN, "truncated bzImage: syssize "
		    "says %llu bytes of kernel, the file has %llu",
		    (unsigned long long)le32(k + 0x1F4) * 16,
		    (unsigned long long)pm_len);
		return EINVAL;
	}
	/* The header ends at 0x202 + the byte at 0x201 (the jump offset). */
	hdr_end = 0x202 + k[0x201];
	if (hdr_end > setup_len || hdr_end > sizeof(zp)) {
		snprintf(err, LOADER_ERRLEN, "setup header length %zu "
		    "is out of bounds", hdr_end);
		return EINVAL;
	}

	/* Where: the preferred address if it is aligned RAM, else 16 MiB. */
	align = le32(k + BP_KERNEL_ALIGNMENT);
	if (align == 0 || (align & (align - 1)) != 0 || align > 1024 * MiB) {
		snprintf(err, LOADER_ERRLEN, "kernel_alignment 0x%llx is "
		    "not a power of two", (unsigned long long)align);
		return EINVAL;
	}
	init_size = le32(k + BP_INIT_SIZE);
	if (init_size < pm_len)
		init_size = pm_len;
	load = le64(k + BP_PREF_ADDRESS);
	if (load < MiB || (load & (align - 1)) != 0)
		load = 16 * MiB;
	if (!in_ram(gm, load, init_size)) {
		snprintf(err, LOADER_ERRLEN, "kernel needs %llu KiB of RAM "
		    "at 0x%llx; give the guest more memory",
		    (unsigned long long)init_size / 1024,
		    (unsigned long long)load);
		return EFBIG;
	}
	kend = load + init_size;

	/* Command line. */
	cl_max = le32(k + BP_CMDLINE_SIZE);
	if (cl_max == 0 || cl_max > LX_CMDLINE_MAX - 1)
		cl_max = LX_CMDLINE_MAX - 1;
	cl_len = cmdline != NULL ? strlen(cmdline) : 0;
	if (cl_len > cl_max) {
		snprintf(err, LOADER_ERRLEN, "command line is %llu bytes, "
		    "the kernel takes %llu", (unsigned long long)cl_len,
		    (unsigned long long)cl_max);
		return EINVAL;
	}

	/* The initramfs goes as high as the kernel lets it, page aligned. */
	if (initrd != NULL && initrd->len > 0) {
		rd_max = le32(k + BP_INITRD_ADDR_MAX);
		top = low_ram_top(gm);
		if (top > rd_max + 1)
			top = rd_max + 1;
		if (initrd->len > top ||
		    ((top - initrd->len) & ~0xFFFULL) < kend) {
			snprintf(err, LOADER_ERRLEN, "initramfs of %zu KiB "
			    "does not fit between the kernel and 0x%llx",
			    initrd->len / 1024, (unsigned long long)top);
			return EFBIG;
		}
		rd_addr = (top - initrd->len) & ~0xFFFULL;
	}

	/*
	 * The kernel proper, unpacked here unless asked not to: the costly
	 * check, so it comes last.
	 */
	unpack = 0;
	memset(&own, 0, sizeof(own));
	if (!(flags & LOADER_LINUX_GUEST_UNPACK)) {
		if (cache != NULL && cache->valid && cache->kernel == k &&
		    cache->kernel_len == kernel->len) {
			/* The same image again (a reboot): no second unpack. */
			cache->hits++;
			error = cache->unpacked.data != NULL ? 0 : ENOENT;
			img = &cache->unpacked;
		} else {
			error = decode_payload(gm, k, version, k + setup_len,
			    pm_len, &own, err);
			if (error != 0 && error != ENOENT)
				return (error);
			img = &own;
			if (cache != NULL) {
				/* Its verdict too: nothing to unpack. */
				loader_linux_cache_free(cache);
				cache->kernel = k;
				cache->kernel_len = kernel->len;
				cache->unpacked = own;
				cache->valid = 1;
				memset(&own, 0, sizeof(own));
				img = &cache->unpacked;
			}
		}
		if (error == 0) {
			error = plan_vmlinux(gm, img, load, init_size, &plan,
			    err);
			if (error != 0 && error != ENOENT) {
				loader_free_image(&own);
				return (error);
			}
		}
		unpack = error == 0;
		err[0] = '\0';
	}

	/* Everything is checked: now write guest memory. */
	memset(zp, 0, sizeof(zp));
	memcpy(zp + BP_SETUP_SECTS, k + BP_SETUP_SECTS,
	    hdr_end - BP_SETUP_SECTS);
	zp[BP_VID_MODE] = 0xFF;				/* "normal" */
	zp[BP_VID_MODE + 1] = 0xFF;
	zp[BP_TYPE_OF_LOADER] = 0xFF;			/* undefined */
	zp[BP_LOADFLAGS] |= CAN_USE_HEAP;
	zp[BP_HEAP_END_PTR] = 0x00;
	zp[BP_HEAP_END_PTR + 1] = 0xFE;
	put32(zp + BP_CMD_LINE_PTR, (uint32_t)LX_CMDLINE);
	put32(zp + BP_EXT_CMD_LINE_PTR, 0);
	put32(zp + BP_RAMDISK_IMAGE, (uint32_t)rd_addr);
	put32(zp + BP_RAMDISK_SIZE, initrd != NULL ? (uint32_t)initrd->len : 0);
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(rd_addr >> 32));
	put32(zp + BP_EXT_RAMDISK_SIZE, 0);
	n = loader_e820(gm, map, BP_E820_MAX);
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (i = 0; i < n; i++)
		memcpy(zp + BP_E820_TABLE + i * 20, &map[i], 20);

	if ((error = guestmem_write(gm, LX_ZEROPAGE, zp, sizeof(zp))) != 0 ||
	    (error = guestmem_write(gm, LX_CMDLINE, cmdline != NULL ?
	    cmdline : "", cl_len)) != 0 ||
	    (error = guestmem_write(gm, LX_CMDLINE + cl_len, NULL, 1)) != 0 ||
	    (error = build_tables(gm)) != 0 ||
	    (rd_addr != 0 && (error = guestmem_write(gm, rd_addr,
	    initrd->data, initrd->len)) != 0)) {
		snprintf(err, LOADER_ERRLEN, "low memory is not RAM: "
		    "the guest needs at least 1 MiB");
		goto out;
	}
	if (unpack) {
		if ((error = loader_elf_apply(gm, img, &plan)) != 0) {
			snprintf(err, LOADER_ERRLEN, "unpacked kernel: "
			    "cannot write guest memory");
			goto out;
		}
		entry = plan.entry;
	} else {
		if ((error = guestmem_write(gm, load, k + setup_len,
		    pm_len)) != 0) {
			snprintf(err, LOADER_ERRLEN, "kernel: cannot write "
			    "guest memory");
			goto out;
		}
		entry = load + 0x200;
	}

	loader_regs_flat64(vrs, entry, LX_PML4);
	vrs->vrs_gprs[VCPU_REGS_RSI] = LX_ZEROPAGE;
	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++)
		vrs->vrs_sregs[i].vsi_sel = 0x18;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x10;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xA09B;	/* G, L, code */
	vrs->vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	vrs->vrs_gdtr.vsi_base = LX_GDT;
	vrs->vrs_gdtr.vsi_limit = 4 * 8 - 1;
out:
	if (unpack)
		loader_elf_plan_free(&plan);
	loader_free_image(&own);
	return error;
}
