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
 * src/emu: AMD-V (AMD64 APM Vol. 2 ch. 15) as a kernel sees it: the VMCB
 * layout, EFER.SVME and the SVM MSRs, VMRUN's consistency checks, and
 * guests run to their intercepts with the exact EXITCODE, EXITINFO1,
 * EXITINFO2 and nRIP, nested page faults, event injection, the virtual
 * interrupt, ASIDs with TLB_CONTROL and the VMCB clean bits.
 */

#include <sys/mman.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "emu/emu_impl.h"
#include "emu/svm_vmcb.h"

#ifndef TESTDATA_DIR
#define TESTDATA_DIR "testdata"
#endif

#define GUEST_RAM	(2UL << 20)	/* 2 MiB at GPA 0 */
#define G_GDT		0x500
#define G_IDT		0x600
#define G_TSS		0x700
#define G_PML4		0x10000

struct sfx {
	struct emu_host	*host;
	struct emu_cpu	*cpu;
	struct hostmem	*hm;
	uint8_t		*ram;
	uint64_t	 ram_hpa;
	uint64_t	 vmcb_pa, hsave, iopm, msrpm, ncr3;
	uint8_t		*vmcb;
	struct emu_gprs	 regs;
};

static uint64_t
v64(struct sfx *fx, unsigned off)
{
	return (vmcb_get64(fx->vmcb, off));
}

static void
s64(struct sfx *fx, unsigned off, uint64_t v)
{
	vmcb_set64(fx->vmcb, off, v);
}

static void
s32(struct sfx *fx, unsigned off, uint32_t v)
{
	vmcb_write(fx->vmcb, off, 4, v);
}

static void
sseg(struct sfx *fx, unsigned off, uint16_t sel, uint16_t attrib,
    uint32_t limit, uint64_t base)
{
	struct vmcb_seg s = { sel, attrib, limit, base };

	vmcb_set_seg(fx->vmcb, off, &s);
}

/* Map one 4 KiB page in the AMD64-format nested tables. */
static void
npt_map(struct sfx *fx, uint64_t gpa, uint64_t hpa, uint64_t flags)
{
	uint64_t table = fx->ncr3, e, *p;
	int level;

	for (level = 4; level > 1; level--) {
		p = hostmem_ptr(fx->hm, table + ((gpa >> (12 + 9 * (level - 1))) &
		    0x1FF) * 8, 8);
		ck_assert_ptr_nonnull(p);
		if ((*p & 1) == 0)
			*p = hostmem_alloc(fx->hm, 1) | 7;
		e = *p;
		table = e & 0x000FFFFFFFFFF000ULL;
	}
	p = hostmem_ptr(fx->hm, table + ((gpa >> 12) & 0x1FF) * 8, 8);
	*p = (hpa & ~0xFFFULL) | flags;
}

static uint64_t *
npt_leaf(struct sfx *fx, uint64_t gpa)
{
	uint64_t table = fx->ncr3, *p;
	int level;

	for (level = 4; level > 1; level--) {
		p = hostmem_ptr(fx->hm, table + ((gpa >> (12 + 9 * (level - 1))) &
		    0x1FF) * 8, 8);
		table = *p & 0x000FFFFFFFFFF000ULL;
	}
	return (hostmem_ptr(fx->hm, table + ((gpa >> 12) & 0x1FF) * 8, 8));
}

static void
sfx_load(struct sfx *fx, const char *name, uint64_t gpa)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_gt(fread(fx->ram + gpa, 1, GUEST_RAM - gpa, fp), 0);
	fclose(fp);
}

/* Set a 64-bit interrupt gate in the guest IDT. */
static void
idt64(struct sfx *fx, int vector, uint64_t handler)
{
	uint64_t *g = (uint64_t *)(fx->ram + G_IDT + 16 * vector);

	g[0] = (handler & 0xFFFF) | (0x08ULL << 16) | (0x8EULL << 40) |
	    ((handler & 0xFFFF0000ULL) << 32);
	g[1] = handler >> 32;
}

/*
 * An AMD CPU with SVM on, a VMCB with OpenBSD's intercepts (vmm_machdep.c
 * vcpu_reset_regs_svm), all ports and MSRs intercepted, nested paging of
 * the first 2 MiB of GPA onto guest RAM, and a 64-bit ring-0 guest
 * (svm_guest.asm at 0x1000, identity paging of 0-4 MiB with 2 MiB pages).
 */
static void
sfx_init(struct sfx *fx, uint64_t rip)
{
	uint64_t *gdt, *pt, efer;
	size_t i;
	int error;

	memset(fx, 0, sizeof(*fx));
	fx->host = emu_host_create("amd", &error);
	ck_assert_ptr_nonnull(fx->host);
	ck_assert_int_eq(emu_host_vendor(fx->host), EMU_VENDOR_AMD);
	fx->cpu = emu_cpu_create(fx->host, &error);
	ck_assert_ptr_nonnull(fx->cpu);
	fx->hm = emu_host_mem(fx->host);
	fx->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(fx->ram, MAP_FAILED);
	ck_assert_int_eq(hostmem_add_ram(fx->hm, fx->ram, GUEST_RAM,
	    &fx->ram_hpa), 0);

	ck_assert_int_eq(emu_rdmsr(fx->cpu, MSR_EFER, &efer), 0);
	ck_assert_int_eq(emu_wrmsr(fx->cpu, MSR_EFER, efer | EFER_SVME), 0);
	fx->hsave = hostmem_alloc(fx->hm, 1);
	ck_assert_int_eq(emu_wrmsr(fx->cpu, MSR_VM_HSAVE_PA, fx->hsave), 0);
	fx->vmcb_pa = hostmem_alloc(fx->hm, 1);
	fx->vmcb = hostmem_ptr(fx->hm, fx->vmcb_pa, VMCB_SIZE);
	fx->iopm = hostmem_alloc(fx->hm, 3);
	memset(hostmem_ptr(fx->hm, fx->iopm, 3 * 4096), 0xFF, 3 * 4096);
	fx->msrpm = hostmem_alloc(fx->hm, 2);
	memset(hostmem_ptr(fx->hm, fx->msrpm, 2 * 4096), 0xFF, 2 * 4096);
	fx->ncr3 = hostmem_alloc(fx->hm, 1);
	for (i = 0; i < GUEST_RAM / 4096; i++)
		npt_map(fx, i * 4096, fx->ram_hpa + i * 4096, 7);

	s32(fx, VMCB_INTERCEPT_MISC1, SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI |
	    SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_IOIO_PROT |
	    SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN |
	    SVM_INTERCEPT_INVLPGA);
	s32(fx, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT2_VMRUN |
	    SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
	    SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
	    SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_ICEBP |
	    SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_MONITOR |
	    SVM_INTERCEPT2_RDTSCP);
	s64(fx, VMCB_IOPM_BASE_PA, fx->iopm);
	s64(fx, VMCB_MSRPM_BASE_PA, fx->msrpm);
	s32(fx, VMCB_GUEST_ASID, 1);
	vmcb_write(fx->vmcb, VMCB_TLB_CONTROL, 1, VMCB_TLB_FLUSH_ALL);
	s64(fx, VMCB_VINTR, VMCB_V_INTR_MASKING);
	s64(fx, VMCB_NP_CONTROL, VMCB_NP_ENABLE);
	s64(fx, VMCB_N_CR3, fx->ncr3);

	gdt = (uint64_t *)(fx->ram + G_GDT);
	gdt[1] = 0x00AF9B000000FFFFULL;		/* code64, DPL 0 */
	gdt[2] = 0x00CF93000000FFFFULL;		/* data, DPL 0 */
	gdt[3] = 0x67ULL | ((uint64_t)G_TSS << 16) | (0x8BULL << 40);
	pt = (uint64_t *)(fx->ram + G_PML4);
	pt[0] = (G_PML4 + 0x1000) | 3;			/* PML4[0] */
	pt[512] = (G_PML4 + 0x2000) | 3;		/* PDPT[0] */
	pt[513] = 0x380000 | 3;				/* PDPT[1]: no NPT */
	pt[1024] = 0x000000 | 0x83;			/* PD[0]: 2 MiB */
	pt[1025] = 0x200000 | 0x83;			/* PD[1]: 2 MiB */
	sseg(fx, VMCB_ES, 0x10, 0xC93, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_CS, 0x08, 0xA9B, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_SS, 0x10, 0xC93, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_DS, 0x10, 0xC93, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_FS, 0x10, 0xC93, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_GS, 0x10, 0xC93, 0xFFFFFFFF, 0);
	sseg(fx, VMCB_LDTR, 0, 0, 0, 0);
	sseg(fx, VMCB_TR, 0x18, 0x08B, 0x67, G_TSS);
	sseg(fx, VMCB_GDTR, 0, 0, 0x27, G_GDT);
	sseg(fx, VMCB_IDTR, 0, 0, 0xFFF, G_IDT);
	s64(fx, VMCB_EFER, EFER_LME | EFER_LMA | EFER_SVME);
	s64(fx, VMCB_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	s64(fx, VMCB_CR3, G_PML4);
	s64(fx, VMCB_CR4, CR4_PAE);
	s64(fx, VMCB_DR6, 0xFFFF0FF0);
	s64(fx, VMCB_DR7, 0x400);
	s64(fx, VMCB_RFLAGS, 0x2);
	s64(fx, VMCB_RSP, 0x80000);
	s64(fx, VMCB_RIP, rip);
	s64(fx, VMCB_G_PAT, 0x0007010600070106ULL);
	ck_assert_int_eq(svm_vmload(fx->cpu, fx->vmcb_pa), SVM_SUCCEED);
	sfx_load(fx, "svm_guest.bin", 0x1000);
}

/* VMRUN; the EXITCODE. */
static uint64_t
sfx_run(struct sfx *fx)
{
	ck_assert_int_eq(svm_vmrun(fx->cpu, fx->vmcb_pa, &fx->regs),
	    SVM_SUCCEED);
	vmcb_write(fx->vmcb, VMCB_TLB_CONTROL, 1, VMCB_TLB_NOTHING);
	return (v64(fx, VMCB_EXITCODE));
}

/* What a monitor does after an instruction intercept. */
static void
sfx_skip(struct sfx *fx)
{
	s64(fx, VMCB_RIP, v64(fx, VMCB_NRIP));
}

static void
sfx_fini(struct sfx *fx)
{
	emu_cpu_destroy(fx->cpu);
	emu_host_destroy(fx->host);
	munmap(fx->ram, GUEST_RAM);
}

/* The VMCB layout (APM Vol. 2 Appendix B) */

START_TEST(test_vmcb_offsets_match_the_apm)
{
	static const struct {
		const char *name;
		unsigned off;
	} apm[] = {
		{ "VMCB_CR_INTERCEPTS", 0x000 }, { "VMCB_EXC_INTERCEPTS", 0x008 },
		{ "VMCB_IOPM_BASE_PA", 0x040 }, { "VMCB_MSRPM_BASE_PA", 0x048 },
		{ "VMCB_TSC_OFFSET", 0x050 }, { "VMCB_GUEST_ASID", 0x058 },
		{ "VMCB_TLB_CONTROL", 0x05C }, { "VMCB_VINTR", 0x060 },
		{ "VMCB_INTR_SHADOW", 0x068 }, { "VMCB_EXITCODE", 0x070 },
		{ "VMCB_EXITINFO1", 0x078 }, { "VMCB_EXITINFO2", 0x080 },
		{ "VMCB_EXITINTINFO", 0x088 }, { "VMCB_NP_CONTROL", 0x090 },
		{ "VMCB_EVENTINJ", 0x0A8 }, { "VMCB_N_CR3", 0x0B0 },
		{ "VMCB_CLEAN_BITS", 0x0C0 }, { "VMCB_NRIP", 0x0C8 },
		{ "VMCB_INSN_LEN", 0x0D0 }, { "VMCB_INSN_BYTES", 0x0D1 },
		{ "VMCB_ES", 0x400 }, { "VMCB_TR", 0x490 }, { "VMCB_CPL", 0x4CB },
		{ "VMCB_EFER", 0x4D0 }, { "VMCB_CR4", 0x548 },
		{ "VMCB_CR3", 0x550 }, { "VMCB_CR0", 0x558 },
		{ "VMCB_DR7", 0x560 }, { "VMCB_DR6", 0x568 },
		{ "VMCB_RFLAGS", 0x570 }, { "VMCB_RIP", 0x578 },
		{ "VMCB_RSP", 0x5D8 }, { "VMCB_RAX", 0x5F8 },
		{ "VMCB_STAR", 0x600 }, { "VMCB_KERNEL_GS_BASE", 0x620 },
		{ "VMCB_SYSENTER_EIP", 0x638 }, { "VMCB_CR2", 0x640 },
		{ "VMCB_G_PAT", 0x668 },
	};
	const struct vmcb_field *f;
	size_t i;

	for (i = 0; i < sizeof(apm) / sizeof(apm[0]); i++) {
		f = vmcb_field_by_name(apm[i].name);
		ck_assert_msg(f != NULL, "%s missing", apm[i].name);
		ck_assert_msg(f->offset == apm[i].off, "%s at %#x, APM %#x",
		    apm[i].name, f->offset, apm[i].off);
		ck_assert_ptr_eq(vmcb_field_at(apm[i].off), f);
	}
	ck_assert_ptr_null(vmcb_field_by_name("VMCB_NONE"));
}
END_TEST

START_TEST(test_vmcb_fields_do_not_overlap)
{
	size_t i, j;

	for (i = 0; i < vmcb_nfields; i++) {
		ck_assert_uint_le(vmcb_fields[i].offset + vmcb_fields[i].width,
		    VMCB_SIZE);
		for (j = i + 1; j < vmcb_nfields; j++)
			ck_assert_msg(vmcb_fields[i].offset + vmcb_fields[i].width <=
			    vmcb_fields[j].offset || vmcb_fields[j].offset +
			    vmcb_fields[j].width <= vmcb_fields[i].offset,
			    "%s overlaps %s", vmcb_fields[i].name,
			    vmcb_fields[j].name);
	}
}
END_TEST

START_TEST(test_vmcb_segment_is_sel_attrib_limit_base)
{
	uint8_t page[VMCB_SIZE];
	struct vmcb_seg s = { 0x18, 0x08B, 0x67, 0x1122334455667788ULL };

	memset(page, 0, sizeof(page));
	vmcb_set_seg(page, VMCB_TR, &s);
	ck_assert_uint_eq(vmcb_read(page, VMCB_TR + 0, 2), 0x18);
	ck_assert_uint_eq(vmcb_read(page, VMCB_TR + 2, 2), 0x08B);
	ck_assert_uint_eq(vmcb_read(page, VMCB_TR + 4, 4), 0x67);
	ck_assert_uint_eq(vmcb_read(page, VMCB_TR + 8, 8),
	    0x1122334455667788ULL);
}
END_TEST

START_TEST(test_exit_code_names)
{
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_IOIO), "IOIO");
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_NPF), "NPF");
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_INVALID), "INVALID");
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_CR0_WRITE + 3),
	    "CR3_WRITE");
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_DR0_READ + 7), "DR7_READ");
	ck_assert_str_eq(svm_exit_code_name(VMEXIT_EXCP0 + 14), "EXCP14");
	ck_assert_uint_eq(VMEXIT_VINTR, 0x64);
	ck_assert_uint_eq(VMEXIT_XSETBV, 0x8D);
	ck_assert_ptr_null(svm_exit_code_name(0x3FF));
}
END_TEST

/* EFER.SVME and the SVM MSRs (APM §15.4, §15.30) */

START_TEST(test_vmrun_ud_without_svme)
{
	struct sfx fx;
	uint64_t efer;

	sfx_init(&fx, 0x1040);
	ck_assert_int_eq(emu_rdmsr(fx.cpu, MSR_EFER, &efer), 0);
	ck_assert_int_eq(emu_wrmsr(fx.cpu, MSR_EFER, efer & ~EFER_SVME), 0);
	ck_assert_int_eq(svm_vmrun(fx.cpu, fx.vmcb_pa, &fx.regs),
	    SVM_FAULT_UD);
	ck_assert_int_eq(svm_vmload(fx.cpu, fx.vmcb_pa), SVM_FAULT_UD);
	ck_assert_int_eq(svm_stgi(fx.cpu), SVM_FAULT_UD);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_vmrun_gp_on_unaligned_vmcb)
{
	struct sfx fx;

	sfx_init(&fx, 0x1040);
	ck_assert_int_eq(svm_vmrun(fx.cpu, fx.vmcb_pa + 8, &fx.regs),
	    SVM_FAULT_GP);
	ck_assert_int_eq(svm_vmrun(fx.cpu, 1ULL << 50, &fx.regs), SVM_FAULT_GP);
	ck_assert_int_eq(svm_vmsave(fx.cpu, fx.vmcb_pa + 1), SVM_FAULT_GP);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_svm_msrs)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	uint64_t v, efer;
	int error;

	h = emu_host_create("amd", &error);
	cpu = emu_cpu_create(h, &error);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_HSAVE_PA, 0x1234), EINVAL);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_HSAVE_PA, 1ULL << 52), EINVAL);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_HSAVE_PA, 0x100000000ULL), 0);
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_VM_HSAVE_PA, &v), 0);
	ck_assert_uint_eq(v, 0x100000000ULL);
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_EFER, &efer), 0);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_EFER, efer | (1ULL << 20)), EINVAL);
	/* SVMDIS forbids SVME (§15.30.1), and LOCK freezes VM_CR. */
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_CR, VM_CR_SVMDIS | VM_CR_LOCK),
	    0);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_EFER, efer | EFER_SVME), EINVAL);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_CR, 0), EINVAL);
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_VM_CR, &v), 0);
	ck_assert_uint_eq(v, VM_CR_SVMDIS | VM_CR_LOCK);
	/* No VMX on an AMD CPU: no VMXON, no VMX MSRs. */
	ck_assert_int_eq(vmx_vmxon(cpu, 0x100000000ULL), VMX_FAULT_UD);
	ck_assert_int_eq(emu_rdmsr(cpu, IA32_VMX_BASIC, &v), EINVAL);
	ck_assert_int_eq(emu_rdmsr(cpu, IA32_VMX_CR0_FIXED0, &v), EINVAL);
	ck_assert_int_eq(emu_rdmsr(cpu, IA32_VMX_VMFUNC, &v), EINVAL);
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_IA32_FEATURE_CONTROL, &v), EINVAL);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_IA32_FEATURE_CONTROL, 5), EINVAL);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

START_TEST(test_svm_instructions_ud_on_intel)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	struct emu_gprs regs;
	int error;

	memset(&regs, 0, sizeof(regs));
	h = emu_host_create(NULL, &error);
	cpu = emu_cpu_create(h, &error);
	ck_assert_int_eq(emu_host_vendor(h), EMU_VENDOR_INTEL);
	ck_assert_int_eq(svm_vmrun(cpu, 0x100000000ULL, &regs), SVM_FAULT_UD);
	ck_assert_int_eq(svm_clgi(cpu), SVM_FAULT_UD);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_VM_HSAVE_PA, 0x100000000ULL),
	    EINVAL);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

/* VMRUN consistency checks (APM §15.5.1) */

static void
break_svme(struct sfx *fx)
{
	s64(fx, VMCB_EFER, v64(fx, VMCB_EFER) & ~EFER_SVME);
}
static void
break_cd_nw(struct sfx *fx)
{
	s64(fx, VMCB_CR0, v64(fx, VMCB_CR0) | CR0_NW);
}
static void
break_cr0_high(struct sfx *fx)
{
	s64(fx, VMCB_CR0, v64(fx, VMCB_CR0) | (1ULL << 32));
}
static void
break_cr3(struct sfx *fx)
{
	s64(fx, VMCB_CR3, G_PML4 | (1ULL << 60));
}
static void
break_cr4(struct sfx *fx)
{
	s64(fx, VMCB_CR4, v64(fx, VMCB_CR4) | CR4_VMXE);
}
static void
break_dr6(struct sfx *fx)
{
	s64(fx, VMCB_DR6, 0x1FFFF0FF0ULL);
}
static void
break_dr7(struct sfx *fx)
{
	s64(fx, VMCB_DR7, 0x100000400ULL);
}
static void
break_efer(struct sfx *fx)
{
	s64(fx, VMCB_EFER, v64(fx, VMCB_EFER) | (1ULL << 2));
}
static void
break_pae(struct sfx *fx)
{
	s64(fx, VMCB_CR4, 0);
}
static void
break_pe(struct sfx *fx)
{
	s64(fx, VMCB_CR0, v64(fx, VMCB_CR0) & ~CR0_PE);
}
static void
break_cs_l_d(struct sfx *fx)
{
	sseg(fx, VMCB_CS, 0x08, 0xE9B, 0xFFFFFFFF, 0);
}
static void
break_vmrun_intercept(struct sfx *fx)
{
	s32(fx, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT2_VMMCALL);
}
static void
break_iopm(struct sfx *fx)
{
	s64(fx, VMCB_IOPM_BASE_PA, (1ULL << 46) - 0x2000);
}
static void
break_msrpm(struct sfx *fx)
{
	s64(fx, VMCB_MSRPM_BASE_PA, (1ULL << 46) - 0x1000);
}
static void
break_event_type(struct sfx *fx)
{
	s64(fx, VMCB_EVENTINJ, SVM_EVTINJ_V | (5ULL << 8) | 0x20);
}
static void
break_event_nmi_vector(struct sfx *fx)
{
	s64(fx, VMCB_EVENTINJ, SVM_EVTINJ_V | (3ULL << 8) | 2);
}
static void
break_asid(struct sfx *fx)
{
	s32(fx, VMCB_GUEST_ASID, 0);
}

static const struct {
	const char	*rule;
	void		(*mutate)(struct sfx *);
} broken[] = {
	{ "svme_zero", break_svme },
	{ "cr0_cd_nw", break_cd_nw },
	{ "cr0_high", break_cr0_high },
	{ "cr3_mbz", break_cr3 },
	{ "cr4_mbz", break_cr4 },
	{ "dr6_high", break_dr6 },
	{ "dr7_high", break_dr7 },
	{ "efer_mbz", break_efer },
	{ "lme_pg_no_pae", break_pae },
	{ "lme_pg_no_pe", break_pe },
	{ "lme_pg_cs_l_d", break_cs_l_d },
	{ "vmrun_intercept", break_vmrun_intercept },
	{ "pm_beyond_max", break_iopm },
	{ "pm_beyond_max", break_msrpm },
	{ "bad_event_inj", break_event_type },
	{ "bad_event_inj", break_event_nmi_vector },
	{ "asid_zero", break_asid },
};
#define NBROKEN	(sizeof(broken) / sizeof(broken[0]))

/* Each broken rule: VMEXIT_INVALID, that rule named, guest not run. */
START_TEST(test_vmrun_consistency_check)
{
	struct sfx fx;
	char buf[512];
	FILE *fp;

	sfx_init(&fx, 0x1040);
	broken[_i].mutate(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INVALID);
	ck_assert_ptr_nonnull(fx.cpu->svm->failure.rule);
	ck_assert_str_eq(fx.cpu->svm->failure.rule->name, broken[_i].rule);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1040);
	ck_assert_uint_eq(emu_cpu_vtime(fx.cpu), 0);
	fp = fmemopen(buf, sizeof(buf), "w");
	svm_explain_vmrun_failure(fx.cpu, fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, broken[_i].rule));
	ck_assert_ptr_nonnull(strstr(buf, "15."));
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_every_rule_is_tested)
{
	size_t i, j;
	bool seen;

	for (i = 0; i < svm_check_nrules; i++) {
		seen = false;
		for (j = 0; j < NBROKEN; j++)
			if (strcmp(broken[j].rule, svm_check_rules[i].name) == 0)
				seen = true;
		ck_assert_msg(seen, "rule %s has no test",
		    svm_check_rules[i].name);
	}
}
END_TEST

/* Guests run to their intercepts (APM §15.7-§15.13) */

START_TEST(test_ioio_out_imm8)
{
	struct sfx fx;

	sfx_init(&fx, 0x1040);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), (0x80ULL << 16) |
	    SVM_IOIO_SZ8 | SVM_IOIO_A64);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x1042);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1042);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1040);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_ioio_in_dx_32)
{
	struct sfx fx;

	sfx_init(&fx, 0x1080);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), (0x3F8ULL << 16) |
	    SVM_IOIO_SZ32 | SVM_IOIO_A64 | SVM_IOIO_TYPE_IN);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x1085);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1084);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_ioio_rep_outsw)
{
	struct sfx fx;

	sfx_init(&fx, 0x10C0);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), (0x1F0ULL << 16) |
	    SVM_IOIO_STR | SVM_IOIO_REP | SVM_IOIO_SZ16 | SVM_IOIO_A64 |
	    (3ULL << SVM_IOIO_SEG_SHIFT));
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x10D1);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 4);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_ioio_port_clear_in_iopm_does_not_exit)
{
	struct sfx fx;
	uint8_t *iopm;

	sfx_init(&fx, 0x1040);
	iopm = hostmem_ptr(fx.hm, fx.iopm, 3 * 4096);
	iopm[0x80 / 8] &= ~(1U << (0x80 % 8));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1042);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1043);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_cpuid_and_hlt)
{
	struct sfx fx;

	sfx_init(&fx, 0x1100);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CPUID);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1102);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1102);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1103);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_cpuid_not_intercepted_runs)
{
	struct sfx fx;

	sfx_init(&fx, 0x1100);
	s32(&fx, VMCB_INTERCEPT_MISC1, (uint32_t)v64(&fx,
	    VMCB_INTERCEPT_MISC1) & ~SVM_INTERCEPT_CPUID);
	fx.regs.r[EMU_RAX] = 0;
	s64(&fx, VMCB_RAX, 0);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_ne(v64(&fx, VMCB_RAX), 0);	/* max leaf */
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_msr_read_and_write_exitinfo1)
{
	struct sfx fx;
	uint8_t *pm;

	sfx_init(&fx, 0x1140);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_MSR);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1147);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_MSR);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 1);
	/* Clear EFER's write bit (0xC0000080: byte 0x800 + 0x20). */
	pm = hostmem_ptr(fx.hm, fx.msrpm, 2 * 4096);
	pm[0x800 + 0x80 * 2 / 8] &= ~(1U << 1);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_vmload_state_and_msrpm_pass_through)
{
	struct sfx fx;
	uint8_t *pm;
	uint64_t other;

	sfx_init(&fx, 0x13C0);
	s64(&fx, VMCB_KERNEL_GS_BASE, 0x1122334455667788ULL);
	ck_assert_int_eq(svm_vmload(fx.cpu, fx.vmcb_pa), SVM_SUCCEED);
	s64(&fx, VMCB_KERNEL_GS_BASE, 0);	/* VMRUN does not load it */
	pm = hostmem_ptr(fx.hm, fx.msrpm, 2 * 4096);
	pm[0x800 + 0x102 * 2 / 8] &= ~(1U << ((0x102 * 2) % 8));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 0x55667788);
	ck_assert_uint_eq(fx.regs.r[EMU_RDX], 0x11223344);
	other = hostmem_alloc(fx.hm, 1);
	ck_assert_int_eq(svm_vmsave(fx.cpu, other), SVM_SUCCEED);
	ck_assert_uint_eq(vmcb_get64(hostmem_ptr(fx.hm, other, VMCB_SIZE),
	    VMCB_KERNEL_GS_BASE), 0x1122334455667788ULL);
	ck_assert_uint_eq(vmcb_read(hostmem_ptr(fx.hm, other, VMCB_SIZE),
	    VMCB_TR + VMCB_SEG_SEL, 2), 0x18);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_cr_read_and_write_intercepts_decode_assist)
{
	struct sfx fx;

	sfx_init(&fx, 0x12C0);
	s32(&fx, VMCB_CR_INTERCEPTS, (1U << 0) | (1U << (16 + 4)));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CR0_READ);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_CR_VALID | EMU_RAX);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x12C3);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CR0_WRITE + 4);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_CR_VALID | EMU_RBX);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x12C3);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_vmmcall_intercept_and_ud)
{
	struct sfx fx;

	sfx_init(&fx, 0x1280);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_VMMCALL);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x1283);
	/* Without its intercept VMMCALL raises #UD (here intercepted). */
	s32(&fx, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT2_VMRUN);
	s32(&fx, VMCB_EXC_INTERCEPTS, 1U << 6);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 6);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1280);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_exception_intercept_ud2)
{
	struct sfx fx;

	sfx_init(&fx, 0x1300);
	s32(&fx, VMCB_EXC_INTERCEPTS, 1U << 6);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 6);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1300);
	sfx_fini(&fx);
}
END_TEST

/*
 * LOCK BT on a register (ROBUSTNESS.md finding 12), which Unicorn's
 * translator cannot take: #UD at it, as on a VMX CPU; here in the middle
 * of a page and with the LOCK on the page before the rest.
 */
START_TEST(test_lock_bt_register_is_ud)
{
	static const uint8_t code[] = { 0x90, 0xF0, 0x0F, 0xAB, 0xC1, 0xF4 };
	uint64_t at = _i == 0 ? 0x8100 : 0x8FFE;
	struct sfx fx;

	sfx_init(&fx, at);
	memcpy(fx.ram + at, code, sizeof(code));
	s32(&fx, VMCB_EXC_INTERCEPTS, 1U << 6);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 6);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), at + 1);
	sfx_fini(&fx);
}
END_TEST

/*
 * MOV DR without a DR intercept runs in the guest (on the simulated CPU,
 * never the engine: ROBUSTNESS.md finding 7): VMRUN loads DR6 and DR7
 * from the VMCB and #VMEXIT saves them there (APM Vol. 2 §15.5.1, §15.6);
 * DR0-DR3 come and go with the GPRs.
 */
START_TEST(test_mov_dr_not_intercepted_runs_with_vmcb_dr6_dr7)
{
	static const uint8_t code[] = {
		0x0f, 0x21, 0xf3,		/* mov rbx, dr6 */
		0x0f, 0x21, 0xf9,		/* mov rcx, dr7 */
		0xb8, 0x55, 0x01, 0x00, 0x00,	/* mov eax, 0x155 */
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0xba, 0x01, 0x00, 0x00, 0x00,	/* mov edx, 1 */
		0x0f, 0x23, 0xf2,		/* mov dr6, rdx */
		0x0f, 0x23, 0xda,		/* mov dr3, rdx */
		0xf4,				/* hlt */
	};
	struct sfx fx;

	sfx_init(&fx, 0x9000);
	memcpy(fx.ram + 0x9000, code, sizeof(code));
	s64(&fx, VMCB_DR6, 0xFFFF0FF8);
	s64(&fx, VMCB_DR7, 0x401);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0xFFFF0FF8);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0x401);
	ck_assert_uint_eq(v64(&fx, VMCB_DR7), 0x555);
	ck_assert_uint_eq(v64(&fx, VMCB_DR6), 0xFFFF0FF1);
	ck_assert_uint_eq(fx.regs.dr[3], 1);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_page_fault_intercept_exitinfo)
{
	struct sfx fx;
	uint8_t *b;

	sfx_init(&fx, 0x1240);
	s32(&fx, VMCB_EXC_INTERCEPTS, 1U << 14);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 14);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);	/* read, !P */
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0xFFFFFFFF80000000ULL);
	b = fx.vmcb + VMCB_INSN_BYTES;
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_INSN_LEN, 1), 15);
	ck_assert(b[0] == 0x48 && b[1] == 0x8B && b[2] == 0x04);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_shutdown_on_triple_fault)
{
	struct sfx fx;

	sfx_init(&fx, 0x1300);
	sseg(&fx, VMCB_IDTR, 0, 0, 0, G_IDT);	/* every vector faults */
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_SHUTDOWN);
	sfx_fini(&fx);
}
END_TEST

/* Nested paging (APM §15.25) */

START_TEST(test_npf_not_present_final)
{
	struct sfx fx;
	uint8_t *b;

	sfx_init(&fx, 0x1180);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_NPF_US |
	    SVM_NPF_GUEST_FINAL);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x300123);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1180);
	/* Decode assist: the faulting instruction's bytes. */
	b = fx.vmcb + VMCB_INSN_BYTES;
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_INSN_LEN, 1), 15);
	ck_assert(b[0] == 0x48 && b[1] == 0x8B && b[2] == 0x04 &&
	    b[3] == 0x25 && b[4] == 0x23 && b[5] == 0x01 && b[6] == 0x30 &&
	    b[8] == 0xF4);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_npf_write_to_read_only)
{
	struct sfx fx;

	sfx_init(&fx, 0x11C0);
	npt_map(&fx, 0x5000, fx.ram_hpa + 0x5000, 5);	/* P, U, no W */
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_NPF_P | SVM_NPF_RW |
	    SVM_NPF_US | SVM_NPF_GUEST_FINAL);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x5000);
	/* The monitor makes it writable: the store completes. */
	npt_map(&fx, 0x5000, fx.ram_hpa + 0x5000, 7);
	vmcb_write(fx.vmcb, VMCB_TLB_CONTROL, 1, VMCB_TLB_FLUSH_ASID);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_eq(fx.ram[0x5000], 1);
	ck_assert(*npt_leaf(&fx, 0x5000) & (1ULL << 6));	/* D */
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_npf_during_guest_page_walk)
{
	struct sfx fx;

	sfx_init(&fx, 0x1200);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_NPF_US |
	    SVM_NPF_GUEST_TABLE);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x380000);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_npf_reserved_bit)
{
	struct sfx fx;

	sfx_init(&fx, 0x1380);
	npt_map(&fx, 0x4000, fx.ram_hpa + 0x4000, 7 | (1ULL << 51));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_NPF_P | SVM_NPF_RSV |
	    SVM_NPF_US | SVM_NPF_GUEST_FINAL);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x4000);
	sfx_fini(&fx);
}
END_TEST

/* Event injection (APM §15.20) */

START_TEST(test_eventinj_external_interrupt)
{
	struct sfx fx;
	uint64_t rsp, *frame;

	sfx_init(&fx, 0x1000);
	idt64(&fx, 0x20, 0x1400);
	s64(&fx, VMCB_EVENTINJ, SVM_EVTINJ_V | 0x20);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1) >> 16, 0x81);
	rsp = v64(&fx, VMCB_RSP);
	ck_assert_uint_eq(rsp, 0x80000 - 40);
	frame = (uint64_t *)(fx.ram + rsp);
	ck_assert_uint_eq(frame[0], 0x1000);		/* RIP */
	ck_assert_uint_eq(frame[1], 0x08);		/* CS */
	ck_assert_uint_eq(v64(&fx, VMCB_EVENTINJ) & SVM_EVTINJ_V, 0);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINTINFO), 0);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_eventinj_exception_with_error_code)
{
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	idt64(&fx, 13, 0x1440);
	s64(&fx, VMCB_EVENTINJ, SVM_EVTINJ_V | SVM_EVTINJ_EV |
	    ((uint64_t)SVM_EVTINJ_TYPE_EXCEPT << 8) | 13 |
	    (0x1234ULL << SVM_EVTINJ_ERR_SHIFT));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1) >> 16, 0x82);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x1234);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_eventinj_delivery_npf_sets_exitintinfo)
{
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	idt64(&fx, 0x20, 0x1400);
	/* The stack page is not in the nested tables: the push faults. */
	s64(&fx, VMCB_RSP, 0x300000);
	s64(&fx, VMCB_EVENTINJ, SVM_EVTINJ_V | 0x20);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2) & ~0xFFFULL, 0x2FF000);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINTINFO), (1ULL << 31) | 0x20);
	sfx_fini(&fx);
}
END_TEST

/* The virtual interrupt (APM §15.21) */

START_TEST(test_vintr_intercept_when_window_opens)
{
	struct sfx fx;

	sfx_init(&fx, 0x1340);
	s32(&fx, VMCB_INTERCEPT_MISC1, (uint32_t)v64(&fx,
	    VMCB_INTERCEPT_MISC1) | SVM_INTERCEPT_VINTR);
	s64(&fx, VMCB_VINTR, VMCB_V_INTR_MASKING | VMCB_V_IRQ |
	    VMCB_V_IGN_TPR);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_VINTR);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1342);	/* after STI's shadow */
	ck_assert(v64(&fx, VMCB_VINTR) & VMCB_V_IRQ);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_virq_taken_by_guest_without_intercept)
{
	struct sfx fx;

	sfx_init(&fx, 0x1340);
	idt64(&fx, 0x30, 0x1480);
	s64(&fx, VMCB_VINTR, VMCB_V_INTR_MASKING | VMCB_V_IRQ |
	    (2ULL << VMCB_V_INTR_PRIO_SHIFT) | (0x30ULL <<
	    VMCB_V_INTR_VECTOR_SHIFT));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1) >> 16, 0x83);
	ck_assert_uint_eq(*(uint64_t *)(fx.ram + v64(&fx, VMCB_RSP)), 0x1342);
	ck_assert_uint_eq(v64(&fx, VMCB_VINTR) & VMCB_V_IRQ, 0);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_virq_held_by_v_tpr)
{
	struct sfx fx;

	sfx_init(&fx, 0x1340);
	idt64(&fx, 0x30, 0x1480);
	/* Priority 2 is not above V_TPR 5: the guest runs on to HLT. */
	s64(&fx, VMCB_VINTR, VMCB_V_INTR_MASKING | VMCB_V_IRQ | 5 |
	    (2ULL << VMCB_V_INTR_PRIO_SHIFT) | (0x30ULL <<
	    VMCB_V_INTR_VECTOR_SHIFT));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert(v64(&fx, VMCB_VINTR) & VMCB_V_IRQ);
	sfx_fini(&fx);
}
END_TEST

/* ASIDs and TLB_CONTROL (APM §15.16) */

static uint64_t
read_0x4000(struct sfx *fx, uint8_t tlb_control)
{
	s64(fx, VMCB_RIP, 0x1380);
	vmcb_write(fx->vmcb, VMCB_TLB_CONTROL, 1, tlb_control);
	ck_assert_uint_eq(sfx_run(fx), VMEXIT_HLT);
	return (v64(fx, VMCB_RAX));
}

START_TEST(test_asid_tlb_stale_until_tlb_control_flush)
{
	struct sfx fx;

	sfx_init(&fx, 0x1380);
	*(uint64_t *)(fx.ram + 0x4000) = 0x1111;
	*(uint64_t *)(fx.ram + 0x6000) = 0x2222;
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	/* Remap GPA 0x4000 without a flush: ASID 1 keeps the old page. */
	npt_map(&fx, 0x4000, fx.ram_hpa + 0x6000, 7);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	/* Another ASID walks afresh. */
	s32(&fx, VMCB_GUEST_ASID, 2);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x2222);
	/* Back to ASID 1: still stale until TLB_CONTROL flushes it. */
	s32(&fx, VMCB_GUEST_ASID, 1);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_FLUSH_ASID), 0x2222);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_tlb_control_flush_all_and_invlpga)
{
	struct sfx fx;

	sfx_init(&fx, 0x1380);
	*(uint64_t *)(fx.ram + 0x4000) = 0x1111;
	*(uint64_t *)(fx.ram + 0x6000) = 0x2222;
	*(uint64_t *)(fx.ram + 0x7000) = 0x3333;
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	npt_map(&fx, 0x4000, fx.ram_hpa + 0x6000, 7);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_FLUSH_ALL), 0x2222);
	npt_map(&fx, 0x4000, fx.ram_hpa + 0x7000, 7);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x2222);
	ck_assert_int_eq(svm_invlpga(fx.cpu, 0x4000, 1), SVM_SUCCEED);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x3333);
	sfx_fini(&fx);
}
END_TEST

/*
 * The nested mapping of the code page goes without a flush: the ASID's
 * TLB still reaches it, so new code there runs, and its intercepts exit.
 */
START_TEST(test_stale_code_translation_still_intercepts)
{
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	emu_cpu_set_host_tick(fx.cpu, 1000);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INTR);
	*npt_leaf(&fx, 0x1000) = 0;
	s64(&fx, VMCB_RIP, 0x1040);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1) >> 16, 0x80);
	/* Flushed, the fetch itself faults. */
	vmcb_write(fx.vmcb, VMCB_TLB_CONTROL, 1, VMCB_TLB_FLUSH_ASID);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NPF);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_NPF_US | SVM_NPF_ID |
	    SVM_NPF_GUEST_FINAL);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x1040);
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_INSN_LEN, 1), 0);
	sfx_fini(&fx);
}
END_TEST

/* VMCB clean bits (APM §15.15) */

START_TEST(test_clean_bits_use_cached_fields)
{
	struct sfx fx;

	sfx_init(&fx, 0x1100);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CPUID);
	sfx_skip(&fx);
	/* A dropped intercept with the I bit clean stays in force. */
	s32(&fx, VMCB_INTERCEPT_MISC1, (uint32_t)v64(&fx,
	    VMCB_INTERCEPT_MISC1) & ~SVM_INTERCEPT_HLT);
	s32(&fx, VMCB_CLEAN_BITS, VMCB_CLEAN_I);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	/* A broken CR4 with CRx clean is not even seen. */
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) | CR4_VMXE);
	s32(&fx, VMCB_CLEAN_BITS, VMCB_CLEAN_CRX | VMCB_CLEAN_I);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	/* The #VMEXIT wrote the CR4 the guest ran with. */
	ck_assert_uint_eq(v64(&fx, VMCB_CR4), CR4_PAE);
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) | CR4_VMXE);
	s32(&fx, VMCB_CLEAN_BITS, VMCB_CLEAN_I);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INVALID);
	sfx_fini(&fx);
}
END_TEST

START_TEST(test_clean_bits_ignored_for_another_vmcb)
{
	struct sfx fx;
	uint64_t other;

	sfx_init(&fx, 0x1100);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CPUID);
	other = hostmem_alloc(fx.hm, 1);
	memcpy(hostmem_ptr(fx.hm, other, VMCB_SIZE), fx.vmcb, VMCB_SIZE);
	fx.vmcb_pa = other;
	fx.vmcb = hostmem_ptr(fx.hm, other, VMCB_SIZE);
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) | CR4_VMXE);
	s32(&fx, VMCB_CLEAN_BITS, 0xFFFFFFFF);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INVALID);
	sfx_fini(&fx);
}
END_TEST

/* World switch */

START_TEST(test_guest_state_round_trip_and_host_state_kept)
{
	struct sfx fx;
	uint64_t efer, efer2;

	sfx_init(&fx, 0x1000);
	ck_assert_int_eq(emu_rdmsr(fx.cpu, MSR_EFER, &efer), 0);
	emu_write_cr(fx.cpu, 3, 0x123000);
	emu_cpu_set_host_tick(fx.cpu, 1000);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INTR);
	ck_assert_uint_eq(emu_cpu_vtime(fx.cpu), 1000);
	/* Two instructions a loop: RAX counts half the instructions. */
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 500);
	ck_assert_uint_eq(v64(&fx, VMCB_CR3), G_PML4);
	ck_assert_uint_eq(v64(&fx, VMCB_EFER), EFER_LME | EFER_LMA | EFER_SVME);
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_CS + VMCB_SEG_ATTRIB, 2),
	    0xA9B);
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_CPL, 1), 0);
	ck_assert_uint_eq(emu_read_cr(fx.cpu, 3), 0x123000);
	ck_assert_int_eq(emu_rdmsr(fx.cpu, MSR_EFER, &efer2), 0);
	ck_assert_uint_eq(efer, efer2);
	ck_assert_uint_eq(fx.cpu->svm->gif, false);
	/* Again: the guest goes on where it stopped. */
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_INTR);
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 1000);
	/* The monitor's RAX and RIP are what the next VMRUN loads. */
	s64(&fx, VMCB_RIP, 0x1040);
	s64(&fx, VMCB_RAX, 0x77);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 0x77);
	sfx_fini(&fx);
}
END_TEST

/*
 * The CPL is VMCB.CPL, not SS.DPL (APM §15.5.1): a VMCB whose SS
 * attribute says DPL 3 with CPL 0 runs at CPL 0 (RDMSR is not a #GP, it
 * exits), and #VMEXIT hands back the SS attribute the VMCB had.
 */
START_TEST(test_cpl_comes_from_vmcb_not_ss_dpl)
{
	struct sfx fx;
	static const uint8_t code[] = {
		0xB9, 0x10, 0x00, 0x00, 0x00,	/* mov ecx, 0x10 */
		0x0F, 0x32,			/* rdmsr */
		0xF4				/* hlt */
	};

	sfx_init(&fx, 0x1000);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	sseg(&fx, VMCB_SS, 0x10, 0xCF3, 0xFFFFFFFF, 0);	/* DPL 3 */
	vmcb_write(fx.vmcb, VMCB_CPL, 1, 0);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_MSR);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);	/* a read */
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_CPL, 1), 0);
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_SS + VMCB_SEG_ATTRIB, 2),
	    0xCF3);
	sfx_fini(&fx);
}
END_TEST

/* Code for the tests below, at GPA 0x3000 in the 64-bit guest. */
static void
sfx_code(struct sfx *fx, const uint8_t *code, size_t len)
{
	memcpy(fx->ram + 0x3000, code, len);
	s64(fx, VMCB_RIP, 0x3000);
}

/* DR reads and writes (APM §15.8): code 0x20 + n / 0x30 + n, GPR decoded. */
START_TEST(test_dr_read_and_write_intercepts)
{
	static const uint8_t code[] = {
		0x0F, 0x21, 0xF8,		/* mov rax, dr7 */
		0x0F, 0x23, 0xC3,		/* mov dr0, rbx */
		0xF4,				/* hlt */
	};
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	sfx_code(&fx, code, sizeof(code));
	s32(&fx, VMCB_DR_INTERCEPTS, (1U << 7) | (1U << (16 + 0)));
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_DR0_READ + 7);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_CR_VALID | EMU_RAX);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x3003);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_DR0_WRITE);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_CR_VALID | EMU_RBX);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x3003);
	/* Without the intercepts the guest runs on to HLT. */
	s32(&fx, VMCB_DR_INTERCEPTS, 0);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	sfx_fini(&fx);
}
END_TEST

/*
 * On AMD a MOV DR's exceptions come before its DR intercept (KVM's
 * maintainers measured it, Linux 2026-06): #UD for DR4/DR5 with CR4.DE,
 * #DB with DR7.GD, #GP for bits 63:32 written to DR6/DR7.  Without them
 * the intercept of the register named (DR4, not DR6) is taken.
 */
START_TEST(test_dr_exceptions_before_dr_intercepts)
{
	static const uint8_t code[] = {
		0x0F, 0x21, 0xE0,		/* mov rax, dr4 */
		0xF4,				/* hlt */
	};
	static const uint8_t high[] = {
		0x48, 0xB8, 0x00, 0x04, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00,		/* mov rax, 0x100000400 */
		0x0F, 0x23, 0xF8,		/* mov dr7, rax */
		0xF4,				/* hlt */
	};
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	sfx_code(&fx, code, sizeof(code));
	s32(&fx, VMCB_DR_INTERCEPTS, 0xFFFFFFFF);
	s32(&fx, VMCB_EXC_INTERCEPTS, (1U << 1) | (1U << 6) | (1U << 13));
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) | CR4_DE);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 6);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x3000);
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) & ~(uint64_t)CR4_DE);
	s64(&fx, VMCB_DR7, 0x2400);			/* GD */
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 1);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x3000);
	s64(&fx, VMCB_DR7, 0x400);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_DR0_READ + 4);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), SVM_CR_VALID | EMU_RAX);
	sfx_fini(&fx);

	sfx_init(&fx, 0x1000);
	sfx_code(&fx, high, sizeof(high));
	s32(&fx, VMCB_DR_INTERCEPTS, 0xFFFFFFFF);
	s32(&fx, VMCB_EXC_INTERCEPTS, 1U << 13);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_EXCP0 + 13);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), 0);	/* error code */
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x300A);
	sfx_fini(&fx);
}
END_TEST

/* XSETBV, CLGI and STGI intercepts, with next RIP. */
START_TEST(test_xsetbv_clgi_stgi_intercepts)
{
	static const uint8_t code[] = {
		0x31, 0xC9,			/* xor ecx, ecx */
		0xB8, 0x03, 0x00, 0x00, 0x00,	/* mov eax, 3 */
		0x31, 0xD2,			/* xor edx, edx */
		0x0F, 0x01, 0xD1,		/* xsetbv */
		0x0F, 0x01, 0xDD,		/* clgi */
		0x0F, 0x01, 0xDC,		/* stgi */
		0xF4,				/* hlt */
	};
	struct sfx fx;

	sfx_init(&fx, 0x1000);
	sfx_code(&fx, code, sizeof(code));
	s64(&fx, VMCB_CR4, v64(&fx, VMCB_CR4) | (1ULL << 18));	/* OSXSAVE */
	s32(&fx, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT2_VMRUN |
	    SVM_INTERCEPT2_XSETBV | SVM_INTERCEPT2_CLGI | SVM_INTERCEPT2_STGI);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_XSETBV);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x3009);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x300C);
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 3);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_CLGI);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x300F);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_STGI);
	ck_assert_uint_eq(v64(&fx, VMCB_NRIP), 0x3012);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	sfx_fini(&fx);
}
END_TEST

struct stale_seen {
	int			n;
	struct emu_stale_report	last;
};

static void
count_stale(void *arg, const struct emu_stale_report *r)
{
	struct stale_seen *s = arg;

	s->n++;
	s->last = *r;
}

/*
 * The checked mode of the stale-translation model reports, under ASIDs
 * as under VPIDs, every use of a translation a fresh walk would not give.
 */
START_TEST(test_asid_checked_mode_reports_stale_use)
{
	struct sfx fx;
	struct stale_seen seen;

	memset(&seen, 0, sizeof(seen));
	sfx_init(&fx, 0x1380);
	emu_cpu_set_tlb_check(fx.cpu, count_stale, &seen);
	*(uint64_t *)(fx.ram + 0x4000) = 0x1111;
	*(uint64_t *)(fx.ram + 0x6000) = 0x2222;
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	ck_assert_int_eq(seen.n, 0);
	npt_map(&fx, 0x4000, fx.ram_hpa + 0x6000, 7);
	ck_assert_uint_eq(read_0x4000(&fx, VMCB_TLB_NOTHING), 0x1111);
	ck_assert_int_ge(seen.n, 1);
	ck_assert_uint_eq(seen.last.vpid, 1);		/* the ASID */
	ck_assert_uint_eq(seen.last.va, 0x4000);
	ck_assert_uint_eq(seen.last.cached.hpa, fx.ram_hpa + 0x4000);
	ck_assert_uint_eq(seen.last.now.hpa, fx.ram_hpa + 0x6000);
	ck_assert_uint_eq(emu_cpu_stale_count(fx.cpu), (uint64_t)seen.n);
	sfx_fini(&fx);
}
END_TEST

/* A host NMI with the NMI intercept: VMEXIT_NMI (APM §15.9.1). */
START_TEST(test_host_nmi_intercept)
{
	struct sfx fx;
	static const uint8_t code[] = { 0xEB, 0xFE };	/* jmp $ */

	sfx_init(&fx, 0x1000);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	vmcb_write(fx.vmcb, VMCB_INTERCEPT_MISC1, 4,
	    vmcb_read(fx.vmcb, VMCB_INTERCEPT_MISC1, 4) | SVM_INTERCEPT_NMI);
	emu_cpu_nmi(fx.cpu);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_NMI);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x1000);
	sfx_fini(&fx);
}
END_TEST

/* A real-mode guest, as vmd's flat 16-bit reset state gives one. */
START_TEST(test_real_mode_guest_ioio_a16)
{
	struct sfx fx;
	static const uint8_t code[] = {
		0xB8, 0x34, 0x12,	/* mov ax, 0x1234 */
		0xE6, 0x80,		/* out 0x80, al */
		0xF4			/* hlt */
	};
	int i;

	sfx_init(&fx, 0x7C00);
	memcpy(fx.ram + 0x7C00, code, sizeof(code));
	for (i = 0; i < 4; i++)
		sseg(&fx, VMCB_ES + 16 * i, 0, 0x93, 0xFFFF, 0);
	sseg(&fx, VMCB_CS, 0x0700, 0x9B, 0xFFFF, 0x7000);
	sseg(&fx, VMCB_IDTR, 0, 0, 0x3FF, 0);
	s64(&fx, VMCB_CR0, CR0_ET | CR0_NE);
	s64(&fx, VMCB_CR4, 0);
	s64(&fx, VMCB_CR3, 0);
	s64(&fx, VMCB_EFER, EFER_SVME);
	s64(&fx, VMCB_RIP, 0x0C00);
	s64(&fx, VMCB_RSP, 0x7000);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_IOIO);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO1), (0x80ULL << 16) |
	    SVM_IOIO_SZ8 | SVM_IOIO_A16);
	ck_assert_uint_eq(v64(&fx, VMCB_EXITINFO2), 0x0C05);
	ck_assert_uint_eq(v64(&fx, VMCB_RAX), 0x1234);
	ck_assert_uint_eq(vmcb_read(fx.vmcb, VMCB_CPL, 1), 0);
	ck_assert_uint_eq(v64(&fx, VMCB_EFER), EFER_SVME);
	sfx_skip(&fx);
	ck_assert_uint_eq(sfx_run(&fx), VMEXIT_HLT);
	ck_assert_uint_eq(v64(&fx, VMCB_RIP), 0x0C05);
	sfx_fini(&fx);
}
END_TEST

static Suite *
svm_suite(void)
{
	Suite *s = suite_create("emu_svm");
	TCase *tc;

	tc = tcase_create("vmcb");
	tcase_add_test(tc, test_vmcb_offsets_match_the_apm);
	tcase_add_test(tc, test_vmcb_fields_do_not_overlap);
	tcase_add_test(tc, test_vmcb_segment_is_sel_attrib_limit_base);
	tcase_add_test(tc, test_exit_code_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("instructions");
	tcase_add_test(tc, test_vmrun_ud_without_svme);
	tcase_add_test(tc, test_vmrun_gp_on_unaligned_vmcb);
	tcase_add_test(tc, test_svm_msrs);
	tcase_add_test(tc, test_svm_instructions_ud_on_intel);
	suite_add_tcase(s, tc);

	tc = tcase_create("checks");
	tcase_add_loop_test(tc, test_vmrun_consistency_check, 0, NBROKEN);
	tcase_add_test(tc, test_every_rule_is_tested);
	suite_add_tcase(s, tc);

	tc = tcase_create("intercepts");
	tcase_add_test(tc, test_ioio_out_imm8);
	tcase_add_test(tc, test_ioio_in_dx_32);
	tcase_add_test(tc, test_ioio_rep_outsw);
	tcase_add_test(tc, test_ioio_port_clear_in_iopm_does_not_exit);
	tcase_add_test(tc, test_cpuid_and_hlt);
	tcase_add_test(tc, test_cpuid_not_intercepted_runs);
	tcase_add_test(tc, test_msr_read_and_write_exitinfo1);
	tcase_add_test(tc, test_vmload_state_and_msrpm_pass_through);
	tcase_add_test(tc, test_cr_read_and_write_intercepts_decode_assist);
	tcase_add_test(tc, test_vmmcall_intercept_and_ud);
	tcase_add_test(tc, test_exception_intercept_ud2);
	tcase_add_loop_test(tc, test_lock_bt_register_is_ud, 0, 2);
	tcase_add_test(tc, test_mov_dr_not_intercepted_runs_with_vmcb_dr6_dr7);
	tcase_add_test(tc, test_dr_exceptions_before_dr_intercepts);
	tcase_add_test(tc, test_page_fault_intercept_exitinfo);
	tcase_add_test(tc, test_shutdown_on_triple_fault);
	tcase_add_test(tc, test_guest_state_round_trip_and_host_state_kept);
	tcase_add_test(tc, test_cpl_comes_from_vmcb_not_ss_dpl);
	tcase_add_test(tc, test_dr_read_and_write_intercepts);
	tcase_add_test(tc, test_xsetbv_clgi_stgi_intercepts);
	tcase_add_test(tc, test_asid_checked_mode_reports_stale_use);
	tcase_add_test(tc, test_host_nmi_intercept);
	tcase_add_test(tc, test_real_mode_guest_ioio_a16);
	suite_add_tcase(s, tc);

	tc = tcase_create("npt");
	tcase_add_test(tc, test_npf_not_present_final);
	tcase_add_test(tc, test_npf_write_to_read_only);
	tcase_add_test(tc, test_npf_during_guest_page_walk);
	tcase_add_test(tc, test_npf_reserved_bit);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_test(tc, test_eventinj_external_interrupt);
	tcase_add_test(tc, test_eventinj_exception_with_error_code);
	tcase_add_test(tc, test_eventinj_delivery_npf_sets_exitintinfo);
	tcase_add_test(tc, test_vintr_intercept_when_window_opens);
	tcase_add_test(tc, test_virq_taken_by_guest_without_intercept);
	tcase_add_test(tc, test_virq_held_by_v_tpr);
	suite_add_tcase(s, tc);

	tc = tcase_create("tlb");
	tcase_add_test(tc, test_asid_tlb_stale_until_tlb_control_flush);
	tcase_add_test(tc, test_tlb_control_flush_all_and_invlpga);
	tcase_add_test(tc, test_stale_code_translation_still_intercepts);
	tcase_add_test(tc, test_clean_bits_use_cached_fields);
	tcase_add_test(tc, test_clean_bits_ignored_for_another_vmcb);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(svm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
