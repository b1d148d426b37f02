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
 * A simulated VT-x machine for the src/emu fuzz targets, set up as
 * tests/emu_fixture.h does but without Check: VMXON, a current VMCS with
 * the controls of an OpenBSD-like monitor, EPT over 64 KiB of guest RAM at
 * GPA 0, a valid host state, and a real-mode, protected-mode or long-mode
 * guest starting at GUEST_CODE.
 */

#ifndef VMMSIM_FUZZ_FUZZ_MACH_H
#define VMMSIM_FUZZ_FUZZ_MACH_H

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

enum mach_mode {
	MACH_REAL = 0,
	MACH_PROT,
	MACH_LONG
};

#define RAM_SIZE	(64 * 1024)
#define GUEST_CODE	0x1000

struct mach {
	struct emu_host	*host;
	struct emu_cpu	*cpu;
	struct hostmem	*hm;
	const struct vmx_caps *caps;
	uint8_t		*ram;
	uint64_t	 ram_hpa, vmcs, eptp;
	uint64_t	 pages[32];	/* host pages to free at the end */
	size_t		 npages;
};

static uint64_t
mach_alloc(struct mach *m)
{
	uint64_t pa = hostmem_alloc(m->hm, 1);

	if (pa == 0 || m->npages == sizeof(m->pages) / sizeof(m->pages[0]))
		abort();
	m->pages[m->npages++] = pa;
	memset(hostmem_ptr(m->hm, pa, 4096), 0, 4096);
	return (pa);
}

static void
wr(struct mach *m, uint32_t field, uint64_t v)
{
	if (vmx_vmwrite(m->cpu, field, v) != VMX_SUCCEED)
		abort();	/* the baseline itself must be writable */
}

static uint64_t
rd(struct mach *m, uint32_t field)
{
	uint64_t v = 0;

	(void)vmx_vmread(m->cpu, field, &v);
	return (v);
}

static uint32_t
ctl(uint64_t capmsr, uint32_t want)
{
	return ((want | vmx_ctl_allowed0(capmsr)) & vmx_ctl_allowed1(capmsr));
}

static void
ept_map(struct mach *m, uint64_t gpa, uint64_t hpa)
{
	uint64_t table = m->eptp & ~0xFFFULL, *p;
	int level;

	for (level = 4; level > 1; level--) {
		p = hostmem_ptr(m->hm, table + ((gpa >> (12 + 9 *
		    (level - 1))) & 0x1FF) * 8, 8);
		if ((*p & 7) == 0)
			*p = mach_alloc(m) | 7;
		table = *p & 0x000FFFFFFFFFF000ULL;
	}
	p = hostmem_ptr(m->hm, table + ((gpa >> 12) & 0x1FF) * 8, 8);
	*p = (hpa & ~0xFFFULL) | (6 << 3) | 7;
}

static void
seg(struct mach *m, int i, uint16_t sel, uint64_t base, uint32_t limit,
    uint32_t ar)
{
	wr(m, VMCS_GUEST_IA32_ES_SEL + 2 * i, sel);
	wr(m, VMCS_GUEST_IA32_ES_BASE + 2 * i, base);
	wr(m, VMCS_GUEST_IA32_ES_LIMIT + 2 * i, limit);
	wr(m, VMCS_GUEST_IA32_ES_AR + 2 * i, ar);
}

static void
guest_real(struct mach *m)
{
	int i;

	for (i = 0; i < 6; i++)
		seg(m, i, 0, 0, 0xFFFF, 0x93);
	seg(m, 1, 0, 0, 0xFFFF, 0x9B);
	seg(m, 6, 0, 0, 0xFFFF, 0x82);
	seg(m, 7, 0, 0, 0xFFFF, 0x8B);
	wr(m, VMCS_GUEST_IA32_GDTR_LIMIT, 0xFFFF);
	wr(m, VMCS_GUEST_IA32_IDTR_LIMIT, 0x3FF);
	wr(m, VMCS_GUEST_IA32_CR0, CR0_ET | CR0_NE);
	wr(m, VMCS_CR0_READ_SHADOW, CR0_ET);
	wr(m, VMCS_GUEST_IA32_CR4, CR4_VMXE);
	wr(m, VMCS_GUEST_IA32_EFER, 0);
	wr(m, VMCS_GUEST_IA32_RSP, 0x8000);
}

/* Long mode: GDT at 0x500, TSS at 0x700, a 2 MiB page at 0 via 0x2000. */
static void
guest_long(struct mach *m)
{
	uint64_t *gdt = (uint64_t *)(m->ram + 0x500);
	uint64_t *pt = (uint64_t *)(m->ram + 0x2000);
	int i;

	gdt[0] = 0;
	gdt[1] = 0x00AF9B000000FFFFULL;
	gdt[2] = 0x00CF93000000FFFFULL;
	gdt[3] = 0x67ULL | (0x700ULL << 16) | (0x8BULL << 40);
	gdt[4] = 0;
	memset(pt, 0, 3 * 4096);
	pt[0] = 0x3000 | 3;
	pt[512] = 0x4000 | 3;
	pt[1024] = 0x83;
	for (i = 0; i < 6; i++)
		seg(m, i, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(m, 1, 0x08, 0, 0xFFFFFFFF, 0xA09B);
	seg(m, 6, 0, 0, 0, 0x10000);
	seg(m, 7, 0x18, 0x700, 0x67, 0x8B);
	wr(m, VMCS_GUEST_IA32_GDTR_BASE, 0x500);
	wr(m, VMCS_GUEST_IA32_GDTR_LIMIT, 0x27);
	wr(m, VMCS_GUEST_IA32_IDTR_BASE, 0x600);
	wr(m, VMCS_GUEST_IA32_IDTR_LIMIT, 0xFF);
	wr(m, VMCS_GUEST_IA32_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	wr(m, VMCS_CR0_READ_SHADOW, CR0_PE | CR0_ET | CR0_WP | CR0_PG);
	wr(m, VMCS_GUEST_IA32_CR4, CR4_PAE | CR4_VMXE);
	wr(m, VMCS_GUEST_IA32_CR3, 0x2000);
	wr(m, VMCS_GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	wr(m, VMCS_ENTRY_CTLS, rd(m, VMCS_ENTRY_CTLS) |
	    IA32_VMX_IA32E_MODE_GUEST);
	wr(m, VMCS_GUEST_IA32_RSP, 0x8000);
}

/* Flat 32-bit protected mode, paging off: GDT at 0x500, TSS at 0x700. */
static void
guest_prot(struct mach *m)
{
	uint64_t *gdt = (uint64_t *)(m->ram + 0x500);
	int i;

	gdt[0] = 0;
	gdt[1] = 0x00CF9B000000FFFFULL;
	gdt[2] = 0x00CF93000000FFFFULL;
	gdt[3] = 0x67ULL | (0x700ULL << 16) | (0x8BULL << 40);
	for (i = 0; i < 6; i++)
		seg(m, i, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(m, 1, 0x08, 0, 0xFFFFFFFF, 0xC09B);
	seg(m, 6, 0, 0, 0, 0x10000);
	seg(m, 7, 0x18, 0x700, 0x67, 0x8B);
	wr(m, VMCS_GUEST_IA32_GDTR_BASE, 0x500);
	wr(m, VMCS_GUEST_IA32_GDTR_LIMIT, 0x1F);
	wr(m, VMCS_GUEST_IA32_IDTR_BASE, 0x600);
	wr(m, VMCS_GUEST_IA32_IDTR_LIMIT, 0xFF);
	wr(m, VMCS_GUEST_IA32_CR0, CR0_PE | CR0_ET | CR0_NE);
	wr(m, VMCS_CR0_READ_SHADOW, CR0_PE | CR0_ET);
	wr(m, VMCS_GUEST_IA32_CR4, CR4_VMXE);
	wr(m, VMCS_GUEST_IA32_EFER, 0);
	wr(m, VMCS_GUEST_IA32_RSP, 0x8000);
}

static int
mach_init(struct mach *m, enum mach_mode mode, uint8_t fill)
{
	const struct vmx_caps *c;
	uint64_t vmxon, bm;
	uint32_t rev;
	int error;
	size_t i;

	memset(m, 0, sizeof(*m));
	/* A fresh machine per input: nothing carries over between inputs. */
	if ((m->host = emu_host_create(NULL, &error)) == NULL ||
	    (m->cpu = emu_cpu_create(m->host, &error)) == NULL)
		abort();
	m->hm = emu_host_mem(m->host);
	m->caps = c = emu_host_caps(m->host);
	m->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->ram == MAP_FAILED ||
	    hostmem_add_ram(m->hm, m->ram, RAM_SIZE, &m->ram_hpa) != 0)
		abort();
	/*
	 * RAM not set up here is fill: the descriptor tables and the TSS
	 * (0x500-0x7FF) and the page tables stay zero but for their entries.
	 */
	memset(m->ram, fill, RAM_SIZE);
	memset(m->ram + 0x500, 0, 0x300);

	rev = (uint32_t)(c->basic & IA32_VMX_BASIC_REVISION_MASK);
	emu_write_cr(m->cpu, 4, emu_read_cr(m->cpu, 4) | CR4_VMXE);
	vmxon = mach_alloc(m);
	hostmem_write(m->hm, vmxon, &rev, 4);
	m->vmcs = mach_alloc(m);
	hostmem_write(m->hm, m->vmcs, &rev, 4);
	if (vmx_vmxon(m->cpu, vmxon) != VMX_SUCCEED ||
	    vmx_vmclear(m->cpu, m->vmcs) != VMX_SUCCEED ||
	    vmx_vmptrld(m->cpu, m->vmcs) != VMX_SUCCEED)
		abort();

	m->eptp = mach_alloc(m) | 6 | (3 << 3);
	for (i = 0; i < RAM_SIZE / 4096; i++)
		ept_map(m, i * 4096, m->ram_hpa + i * 4096);
	bm = mach_alloc(m);
	memset(hostmem_ptr(m->hm, bm, 4096), 0xFF, 4096);

	wr(m, VMCS_PINBASED_CTLS, ctl(vmx_caps_pinbased_ctls(c),
	    IA32_VMX_EXTERNAL_INT_EXITING | IA32_VMX_NMI_EXITING));
	wr(m, VMCS_PROCBASED_CTLS, ctl(vmx_caps_procbased_ctls(c),
	    IA32_VMX_HLT_EXITING | IA32_VMX_UNCONDITIONAL_IO_EXITING |
	    IA32_VMX_USE_MSR_BITMAPS | IA32_VMX_ACTIVATE_SECONDARY_CONTROLS));
	wr(m, VMCS_PROCBASED2_CTLS, ctl(c->procbased2, IA32_VMX_ENABLE_EPT |
	    IA32_VMX_ENABLE_VPID | IA32_VMX_UNRESTRICTED_GUEST));
	wr(m, VMCS_EXIT_CTLS, ctl(vmx_caps_exit_ctls(c),
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE | IA32_VMX_SAVE_IA32_EFER_ON_EXIT |
	    IA32_VMX_LOAD_IA32_EFER_ON_EXIT));
	wr(m, VMCS_ENTRY_CTLS, ctl(vmx_caps_entry_ctls(c),
	    IA32_VMX_LOAD_IA32_EFER_ON_ENTRY));
	wr(m, VMCS_GUEST_IA32_EPTP, m->eptp);
	wr(m, VMCS_GUEST_VPID, 1);
	wr(m, VMCS_MSR_BITMAP_ADDRESS, bm);
	wr(m, VMCS_IO_BITMAP_A, mach_alloc(m));
	wr(m, VMCS_IO_BITMAP_B, mach_alloc(m));
	wr(m, VMCS_LINK_POINTER, ~0ULL);
	wr(m, VMCS_CR0_MASK, CR0_NE);
	wr(m, VMCS_CR4_MASK, CR4_VMXE);

	wr(m, VMCS_HOST_IA32_CR0, emu_read_cr(m->cpu, 0));
	wr(m, VMCS_HOST_IA32_CR3, 0x1000);
	wr(m, VMCS_HOST_IA32_CR4, emu_read_cr(m->cpu, 4));
	wr(m, VMCS_HOST_IA32_CS_SEL, 0x08);
	wr(m, VMCS_HOST_IA32_SS_SEL, 0x10);
	wr(m, VMCS_HOST_IA32_DS_SEL, 0x10);
	wr(m, VMCS_HOST_IA32_ES_SEL, 0x10);
	wr(m, VMCS_HOST_IA32_TR_SEL, 0x18);
	wr(m, VMCS_HOST_IA32_RIP, 0xffffffff81000000ULL);
	wr(m, VMCS_HOST_IA32_RSP, 0xffffffff81100000ULL);
	wr(m, VMCS_HOST_IA32_EFER, EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE);
	wr(m, VMCS_HOST_IA32_PAT, 0x0007040600070406ULL);

	if (mode == MACH_LONG)
		guest_long(m);
	else if (mode == MACH_PROT)
		guest_prot(m);
	else
		guest_real(m);
	wr(m, VMCS_GUEST_IA32_DR7, 0x400);
	wr(m, VMCS_GUEST_IA32_RFLAGS, 0x2);
	wr(m, VMCS_GUEST_IA32_RIP, GUEST_CODE);
	wr(m, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
	return (0);
}

static void
mach_fini(struct mach *m)
{
	(void)vmx_vmclear(m->cpu, m->vmcs);
	(void)vmx_vmxoff(m->cpu);
	emu_cpu_destroy(m->cpu);
	while (m->npages > 0)
		hostmem_free(m->hm, m->pages[--m->npages], 1);
	hostmem_remove_ram(m->hm, m->ram_hpa);
	emu_host_destroy(m->host);
	munmap(m->ram, RAM_SIZE);
}

#endif /* VMMSIM_FUZZ_FUZZ_MACH_H */
