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
 * A small "kernel" for the src/emu tests: it programs the simulated CPU
 * the way a hypervisor programs hardware (VMXON, a VMCS, EPT tables, host
 * and guest state through VMWRITE) so each test can run a guest from
 * testdata/ and look at the exits.
 */

#ifndef VMMSIM_TESTS_EMU_FIXTURE_H
#define VMMSIM_TESTS_EMU_FIXTURE_H

#include <sys/mman.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#ifndef TESTDATA_DIR
#define TESTDATA_DIR "testdata"
#endif

#define GUEST_RAM	(2UL << 20)	/* 2 MiB at GPA 0 */

struct fx {
	struct emu_host	*host;
	struct emu_cpu	*cpu;
	struct hostmem	*hm;
	const struct vmx_caps *caps;
	uint8_t		*ram;		/* guest RAM, GPA 0 */
	uint64_t	 ram_hpa;
	uint64_t	 vmxon, vmcs, eptp, msr_bitmap, io_a, io_b;
	struct emu_gprs	 regs;
};

static uint64_t
fx_vmread(struct fx *fx, uint32_t f)
{
	uint64_t v = 0;

	ck_assert_int_eq(vmx_vmread(fx->cpu, f, &v), VMX_SUCCEED);
	return (v);
}

static void
fx_vmwrite(struct fx *fx, uint32_t f, uint64_t v)
{
	ck_assert_msg(vmx_vmwrite(fx->cpu, f, v) == VMX_SUCCEED,
	    "vmwrite %s", vmcs_field_lookup(f) ? vmcs_field_lookup(f)->name :
	    "?");
}

/* A control value: what we want, plus what must be 1, minus what can't. */
static uint32_t
fx_ctl(uint64_t capmsr, uint32_t want)
{
	return ((want | vmx_ctl_allowed0(capmsr)) & vmx_ctl_allowed1(capmsr));
}

/* Map one 4 KiB guest page in the EPT at fx->eptp. */
static void
fx_ept_map(struct fx *fx, uint64_t gpa, uint64_t hpa, uint64_t perms)
{
	uint64_t table = fx->eptp & ~0xFFFULL, e, *p;
	int level;

	for (level = 4; level > 1; level--) {
		p = hostmem_ptr(fx->hm, table + ((gpa >> (12 + 9 * (level - 1))) &
		    0x1FF) * 8, 8);
		ck_assert_ptr_nonnull(p);
		e = *p;
		if ((e & 7) == 0) {
			e = hostmem_alloc(fx->hm, 1) | 7;
			*p = e;
		}
		table = e & ~0xFFFULL & ((1ULL << 52) - 1);
	}
	p = hostmem_ptr(fx->hm, table + ((gpa >> 12) & 0x1FF) * 8, 8);
	*p = (hpa & ~0xFFFULL) | (6 << 3) | perms;
}

static void
fx_load(struct fx *fx, const char *name, uint64_t gpa)
{
	char path[512];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(fx->ram + gpa, 1, GUEST_RAM - gpa, fp);
	ck_assert_int_gt(n, 0);
	fclose(fp);
}

/*
 * VMXON, a fresh VMCS with controls for an OpenBSD-like monitor (I/O,
 * HLT, MSR bitmaps, EPT, VPID, unrestricted guest), and a valid host state.
 */
static void
fx_init(struct fx *fx)
{
	const struct vmx_caps *c;
	uint32_t rev;
	int error;

	memset(fx, 0, sizeof(*fx));
	fx->host = emu_host_create(NULL, &error);
	ck_assert_ptr_nonnull(fx->host);
	fx->cpu = emu_cpu_create(fx->host, &error);
	ck_assert_msg(fx->cpu != NULL, "emu_cpu_create: %d", error);
	fx->hm = emu_host_mem(fx->host);
	fx->caps = c = emu_host_caps(fx->host);
	fx->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(fx->ram, MAP_FAILED);
	ck_assert_int_eq(hostmem_add_ram(fx->hm, fx->ram, GUEST_RAM,
	    &fx->ram_hpa), 0);

	rev = (uint32_t)(c->basic & IA32_VMX_BASIC_REVISION_MASK);
	ck_assert_int_eq(emu_write_cr(fx->cpu, 4,
	    emu_read_cr(fx->cpu, 4) | CR4_VMXE), 0);
	fx->vmxon = hostmem_alloc(fx->hm, 1);
	hostmem_write(fx->hm, fx->vmxon, &rev, 4);
	ck_assert_int_eq(vmx_vmxon(fx->cpu, fx->vmxon), VMX_SUCCEED);
	fx->vmcs = hostmem_alloc(fx->hm, 1);
	hostmem_write(fx->hm, fx->vmcs, &rev, 4);
	ck_assert_int_eq(vmx_vmclear(fx->cpu, fx->vmcs), VMX_SUCCEED);
	ck_assert_int_eq(vmx_vmptrld(fx->cpu, fx->vmcs), VMX_SUCCEED);

	fx->eptp = hostmem_alloc(fx->hm, 1) | 6 | (3 << 3);
	fx->msr_bitmap = hostmem_alloc(fx->hm, 1);
	memset(hostmem_ptr(fx->hm, fx->msr_bitmap, 4096), 0xFF, 4096);
	fx->io_a = hostmem_alloc(fx->hm, 1);
	fx->io_b = hostmem_alloc(fx->hm, 1);

	fx_vmwrite(fx, VMCS_PINBASED_CTLS, fx_ctl(vmx_caps_pinbased_ctls(c),
	    IA32_VMX_EXTERNAL_INT_EXITING | IA32_VMX_NMI_EXITING));
	fx_vmwrite(fx, VMCS_PROCBASED_CTLS, fx_ctl(vmx_caps_procbased_ctls(c),
	    IA32_VMX_HLT_EXITING | IA32_VMX_UNCONDITIONAL_IO_EXITING |
	    IA32_VMX_USE_MSR_BITMAPS | IA32_VMX_USE_TSC_OFFSETTING |
	    IA32_VMX_ACTIVATE_SECONDARY_CONTROLS));
	fx_vmwrite(fx, VMCS_PROCBASED2_CTLS, fx_ctl(c->procbased2,
	    IA32_VMX_ENABLE_EPT | IA32_VMX_ENABLE_VPID |
	    IA32_VMX_UNRESTRICTED_GUEST));
	fx_vmwrite(fx, VMCS_EXIT_CTLS, fx_ctl(vmx_caps_exit_ctls(c),
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE | IA32_VMX_SAVE_IA32_EFER_ON_EXIT |
	    IA32_VMX_LOAD_IA32_EFER_ON_EXIT));
	fx_vmwrite(fx, VMCS_ENTRY_CTLS, fx_ctl(vmx_caps_entry_ctls(c),
	    IA32_VMX_LOAD_IA32_EFER_ON_ENTRY));
	fx_vmwrite(fx, VMCS_GUEST_IA32_EPTP, fx->eptp);
	fx_vmwrite(fx, VMCS_GUEST_VPID, 1);
	fx_vmwrite(fx, VMCS_MSR_BITMAP_ADDRESS, fx->msr_bitmap);
	fx_vmwrite(fx, VMCS_IO_BITMAP_A, fx->io_a);
	fx_vmwrite(fx, VMCS_IO_BITMAP_B, fx->io_b);
	fx_vmwrite(fx, VMCS_LINK_POINTER, ~0ULL);
	fx_vmwrite(fx, VMCS_CR0_MASK, CR0_NE);
	fx_vmwrite(fx, VMCS_CR4_MASK, CR4_VMXE);

	/* Host state: the simulated CPU as it is now, 64-bit. */
	fx_vmwrite(fx, VMCS_HOST_IA32_CR0, emu_read_cr(fx->cpu, 0));
	fx_vmwrite(fx, VMCS_HOST_IA32_CR3, 0x1000);
	fx_vmwrite(fx, VMCS_HOST_IA32_CR4, emu_read_cr(fx->cpu, 4));
	fx_vmwrite(fx, VMCS_HOST_IA32_CS_SEL, 0x08);
	fx_vmwrite(fx, VMCS_HOST_IA32_SS_SEL, 0x10);
	fx_vmwrite(fx, VMCS_HOST_IA32_DS_SEL, 0x10);
	fx_vmwrite(fx, VMCS_HOST_IA32_ES_SEL, 0x10);
	fx_vmwrite(fx, VMCS_HOST_IA32_TR_SEL, 0x18);
	fx_vmwrite(fx, VMCS_HOST_IA32_RIP, 0xffffffff81000000ULL);
	fx_vmwrite(fx, VMCS_HOST_IA32_RSP, 0xffffffff81100000ULL);
	fx_vmwrite(fx, VMCS_HOST_IA32_EFER, EFER_LME | EFER_LMA | EFER_SCE |
	    EFER_NXE);
	fx_vmwrite(fx, VMCS_HOST_IA32_PAT, 0x0007040600070406ULL);
}

/* EPT: GPA [0, npages * 4K) -> guest RAM, RWX. */
static void
fx_map_ram(struct fx *fx, size_t npages)
{
	size_t i;

	for (i = 0; i < npages; i++)
		fx_ept_map(fx, i * 4096, fx->ram_hpa + i * 4096, 7);
}

static void
fx_seg(struct fx *fx, int i, uint16_t sel, uint64_t base, uint32_t limit,
    uint32_t ar)
{
	fx_vmwrite(fx, VMCS_GUEST_IA32_ES_SEL + 2 * i, sel);
	fx_vmwrite(fx, VMCS_GUEST_IA32_ES_BASE + 2 * i, base);
	fx_vmwrite(fx, VMCS_GUEST_IA32_ES_LIMIT + 2 * i, limit);
	fx_vmwrite(fx, VMCS_GUEST_IA32_ES_AR + 2 * i, ar);
}

/* A flat real-mode guest (unrestricted guest) with CS = cs_sel. */
static void
fx_guest_real(struct fx *fx, uint16_t cs_sel, uint64_t cs_base, uint64_t rip)
{
	int i;

	for (i = 0; i < 6; i++)
		fx_seg(fx, i, 0, 0, 0xFFFF, 0x93);
	fx_seg(fx, 1, cs_sel, cs_base, 0xFFFF, 0x9B);
	fx_seg(fx, 6, 0, 0, 0xFFFF, 0x82);
	fx_seg(fx, 7, 0, 0, 0xFFFF, 0x8B);
	fx_vmwrite(fx, VMCS_GUEST_IA32_GDTR_LIMIT, 0xFFFF);
	fx_vmwrite(fx, VMCS_GUEST_IA32_IDTR_LIMIT, 0x3FF);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR0, CR0_ET | CR0_NE);
	fx_vmwrite(fx, VMCS_CR0_READ_SHADOW, CR0_ET);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR4, CR4_VMXE);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR3, 0);
	fx_vmwrite(fx, VMCS_GUEST_IA32_EFER, 0);
	fx_vmwrite(fx, VMCS_GUEST_IA32_DR7, 0x400);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RFLAGS, 0x2);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RSP, 0x8000);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, rip);
	fx_vmwrite(fx, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
}

/*
 * A 64-bit ring-0 guest: GDT at 0x500 (null, code64 0x08, data 0x10, TSS
 * 0x18), IDT at 0x600, TSS at 0x700, page tables at 0x10000 identity-
 * mapping the first 2 MiB with one large page.
 */
#define FX_GDT	0x500
#define FX_IDT	0x600
#define FX_TSS	0x700
#define FX_PML4	0x10000

static void
fx_guest_long(struct fx *fx, uint64_t rip)
{
	uint64_t *gdt = (uint64_t *)(fx->ram + FX_GDT);
	uint64_t *pt = (uint64_t *)(fx->ram + FX_PML4);
	int i;

	gdt[0] = 0;
	gdt[1] = 0x00AF9B000000FFFFULL;		/* code64, DPL 0 */
	gdt[2] = 0x00CF93000000FFFFULL;		/* data, DPL 0 */
	gdt[3] = 0x67ULL | ((uint64_t)FX_TSS << 16) | (0x8BULL << 40);
	gdt[4] = 0;
	pt[0] = (FX_PML4 + 0x1000) | 3;				/* PML4[0] */
	pt[512] = (FX_PML4 + 0x2000) | 3;			/* PDPT[0] */
	pt[1024] = 0 | 0x83;					/* PD[0]: 2M */
	for (i = 0; i < 6; i++)
		fx_seg(fx, i, 0x10, 0, 0xFFFFFFFF, 0xC093);
	fx_seg(fx, 1, 0x08, 0, 0xFFFFFFFF, 0xA09B);
	fx_seg(fx, 6, 0, 0, 0, 0x10000);
	fx_seg(fx, 7, 0x18, FX_TSS, 0x67, 0x8B);
	fx_vmwrite(fx, VMCS_GUEST_IA32_GDTR_BASE, FX_GDT);
	fx_vmwrite(fx, VMCS_GUEST_IA32_GDTR_LIMIT, 0x27);
	fx_vmwrite(fx, VMCS_GUEST_IA32_IDTR_BASE, FX_IDT);
	fx_vmwrite(fx, VMCS_GUEST_IA32_IDTR_LIMIT, 0xFFF);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR0, CR0_PE | CR0_ET | CR0_NE |
	    CR0_WP | CR0_PG);
	fx_vmwrite(fx, VMCS_CR0_READ_SHADOW, CR0_PE | CR0_ET | CR0_WP |
	    CR0_PG);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR4, CR4_PAE | CR4_VMXE);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR3, FX_PML4);
	fx_vmwrite(fx, VMCS_GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	fx_vmwrite(fx, VMCS_ENTRY_CTLS, fx_vmread(fx, VMCS_ENTRY_CTLS) |
	    IA32_VMX_IA32E_MODE_GUEST);
	fx_vmwrite(fx, VMCS_GUEST_IA32_DR7, 0x400);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RFLAGS, 0x2);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RSP, 0x80000);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, rip);
	fx_vmwrite(fx, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
}

/* Set a 64-bit interrupt gate in the guest IDT. */
static void
fx_idt64(struct fx *fx, int vector, uint64_t handler, int ist)
{
	uint64_t *g = (uint64_t *)(fx->ram + FX_IDT + 16 * vector);

	g[0] = (handler & 0xFFFF) | (0x08ULL << 16) | ((uint64_t)ist << 32) |
	    (0x8EULL << 40) | ((handler & 0xFFFF0000ULL) << 32);
	g[1] = handler >> 32;
}

static uint32_t
fx_run(struct fx *fx, int launch)
{
	enum vmx_result r;

	r = launch ? vmx_vmlaunch(fx->cpu, &fx->regs) :
	    vmx_vmresume(fx->cpu, &fx->regs);
	if (r == VMX_FAIL_VALID)
		vmx_explain_entry_failure(fx->cpu, stderr);
	ck_assert_msg(r == VMX_SUCCEED, "VM entry failed: %d (error %u)", r,
	    vmx_last_error(fx->cpu));
	return ((uint32_t)fx_vmread(fx, VMCS_EXIT_REASON));
}

/* What a monitor does after an instruction exit: skip the instruction. */
static void
fx_skip(struct fx *fx)
{
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, fx_vmread(fx, VMCS_GUEST_IA32_RIP) +
	    fx_vmread(fx, VMCS_INSTRUCTION_LENGTH));
}

static void
fx_fini(struct fx *fx)
{
	vmx_vmclear(fx->cpu, fx->vmcs);
	vmx_vmxoff(fx->cpu);
	emu_cpu_destroy(fx->cpu);
	emu_host_destroy(fx->host);
	munmap(fx->ram, GUEST_RAM);
}

#endif /* VMMSIM_TESTS_EMU_FIXTURE_H */
