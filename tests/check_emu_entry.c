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
 * The VM-entry checks (src/emu/vmentry.c) against a fake VMCS: a VMCS
 * region read and written with vmcs_data_read/vmcs_data_write, holding a
 * valid 64-bit host and a valid 64-bit ring-0 guest, and a few pages of
 * fake physical memory.  Every rule has its own mutation of that state
 * which breaks it and nothing checked before it; the test asserts the
 * rule that fails and how the VM entry fails.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "emu/vmcs_fields.h"
#include "emu/vmentry.h"
#include "emu/vmx_caps.h"

#define PHYS_BITS	46
#define NONCANON	0x0000800000000000ULL	/* first non-canonical VA */

/* Fake physical memory. */
#define VAPIC_PA	0x500000ULL
#define LINK_PA		0x501000ULL
#define PDPT_PA		0x503000ULL
#define MSRLIST_PA	0x510000ULL
#define MSRLIST_SIZE	(3 * 4096)

struct region {
	uint64_t	 pa;
	size_t		 size;
	uint8_t		*buf;
};

static uint8_t vmcs[VMCS_REGION_SIZE];
static uint8_t vapic_page[4096], link_page[4096], pdpt_page[4096];
static uint8_t msrlist[MSRLIST_SIZE];
static struct region regions[] = {
	{ VAPIC_PA, sizeof(vapic_page), vapic_page },
	{ LINK_PA, sizeof(link_page), link_page },
	{ PDPT_PA, sizeof(pdpt_page), pdpt_page },
	{ MSRLIST_PA, sizeof(msrlist), msrlist },
};

static struct vmx_caps caps;
static struct vmentry_view view;

static uint64_t
fake_read(const void *ctx, uint32_t enc)
{
	return (vmcs_data_read(ctx, enc));
}

static int
fake_read_phys(const void *ctx, uint64_t pa, void *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (pa >= regions[i].pa &&
		    pa + len <= regions[i].pa + regions[i].size) {
			memcpy(buf, regions[i].buf + (pa - regions[i].pa), len);
			return (0);
		}
	return (-1);
}

static void
W(uint32_t enc, uint64_t val)
{
	vmcs_data_write(vmcs, enc, val);
}

static uint64_t
R(uint32_t enc)
{
	return (vmcs_data_read(vmcs, enc));
}

static void
SET(uint32_t enc, uint64_t bits)
{
	W(enc, R(enc) | bits);
}

static void
CLR(uint32_t enc, uint64_t bits)
{
	W(enc, R(enc) & ~bits);
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Entry n (1-based) of the MSR-load list. */
static void
msr_entry(unsigned int n, uint32_t msr, uint32_t rsvd, uint64_t val)
{
	uint8_t *p = msrlist + (n - 1) * VMX_MSR_ENTRY_SIZE;

	put32(p, msr);
	put32(p + 4, rsvd);
	put64(p + 8, val);
}

static void
seg(uint32_t sel_enc, uint64_t sel, uint64_t base, uint32_t limit,
    uint32_t ar)
{
	/* the four encodings of one register are at fixed distances */
	uint32_t i = (sel_enc - VMCS_GUEST_IA32_ES_SEL) / 2;

	W(sel_enc, sel);
	W(VMCS_GUEST_IA32_ES_BASE + 2 * i, base);
	W(VMCS_GUEST_IA32_ES_LIMIT + 2 * i, limit);
	W(VMCS_GUEST_IA32_ES_AR + 2 * i, ar);
}

#define VALID_PAT	0x0007040600070406ULL
#define LONG_EFER	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define LONG_CR0	0x80050033ULL	/* PG AM WP NE ET MP PE */
#define LONG_CR4	(CR4_VMXE | CR4_PGE | CR4_PAE)
#define KERNEL_RIP	0xFFFFFFFF81000000ULL

/*
 * A valid 64-bit host and a valid ring-0 64-bit guest with EPT and VPID,
 * I/O and MSR bitmaps, NMI exiting with virtual NMIs.
 */
static void
setup(void)
{
	memset(vmcs, 0, sizeof(vmcs));
	memset(vapic_page, 0, sizeof(vapic_page));
	memset(link_page, 0, sizeof(link_page));
	memset(pdpt_page, 0, sizeof(pdpt_page));
	memset(msrlist, 0, sizeof(msrlist));
	caps = *vmx_caps_profile("skylake-server");

	view.read = fake_read;
	view.read_phys = fake_read_phys;
	view.ctx = vmcs;
	view.caps = &caps;
	view.host_cr0 = LONG_CR0;
	view.host_cr4 = LONG_CR4;
	view.host_efer = LONG_EFER;
	view.physaddr_bits = PHYS_BITS;
	view.is_vmresume = 0;

	vapic_page[VAPIC_VTPR_OFFSET] = 0x20;
	put32(link_page, (uint32_t)(caps.basic & IA32_VMX_BASIC_REVISION_MASK));

	/* controls */
	W(VMCS_PINBASED_CTLS, vmx_ctl_allowed0(caps.true_pinbased) |
	    IA32_VMX_EXTERNAL_INT_EXITING | IA32_VMX_NMI_EXITING |
	    IA32_VMX_VIRTUAL_NMIS);
	W(VMCS_PROCBASED_CTLS, vmx_ctl_allowed0(caps.true_procbased) |
	    IA32_VMX_HLT_EXITING | IA32_VMX_USE_IO_BITMAPS |
	    IA32_VMX_USE_MSR_BITMAPS | IA32_VMX_ACTIVATE_SECONDARY_CONTROLS);
	W(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT | IA32_VMX_ENABLE_VPID);
	W(VMCS_EXIT_CTLS, vmx_ctl_allowed0(caps.true_exit) |
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE |
	    IA32_VMX_ACKNOWLEDGE_INTERRUPT_ON_EXIT |
	    IA32_VMX_SAVE_IA32_PAT_ON_EXIT | IA32_VMX_LOAD_IA32_PAT_ON_EXIT |
	    IA32_VMX_SAVE_IA32_EFER_ON_EXIT | IA32_VMX_LOAD_IA32_EFER_ON_EXIT);
	W(VMCS_ENTRY_CTLS, vmx_ctl_allowed0(caps.true_entry) |
	    IA32_VMX_LOAD_DEBUG_CONTROLS | IA32_VMX_IA32E_MODE_GUEST |
	    IA32_VMX_LOAD_IA32_PAT_ON_ENTRY | IA32_VMX_LOAD_IA32_EFER_ON_ENTRY);
	W(VMCS_IO_BITMAP_A, 0x100000);
	W(VMCS_IO_BITMAP_B, 0x101000);
	W(VMCS_MSR_BITMAP_ADDRESS, 0x102000);
	W(VMCS_VIRTUAL_APIC_ADDRESS, VAPIC_PA);
	W(VMCS_GUEST_VPID, 1);
	W(VMCS_GUEST_IA32_EPTP, 0x200000 | IA32_EPT_PAGING_CACHE_TYPE_WB |
	    ((IA32_EPT_PAGE_WALK_LENGTH - 1) << IA32_EPT_PAGE_WALK_SHIFT));
	W(VMCS_ENTRY_LOAD_MSR_ADDRESS, MSRLIST_PA);

	/* host */
	W(VMCS_HOST_IA32_CR0, LONG_CR0);
	W(VMCS_HOST_IA32_CR3, 0x300000);
	W(VMCS_HOST_IA32_CR4, LONG_CR4);
	W(VMCS_HOST_IA32_CS_SEL, 0x08);
	W(VMCS_HOST_IA32_SS_SEL, 0x10);
	W(VMCS_HOST_IA32_DS_SEL, 0x10);
	W(VMCS_HOST_IA32_ES_SEL, 0x10);
	W(VMCS_HOST_IA32_TR_SEL, 0x40);
	W(VMCS_HOST_IA32_GS_BASE, 0xFFFF888000000000ULL);
	W(VMCS_HOST_IA32_TR_BASE, 0xFFFFFE0000001000ULL);
	W(VMCS_HOST_IA32_GDTR_BASE, 0xFFFFFE0000000000ULL);
	W(VMCS_HOST_IA32_IDTR_BASE, 0xFFFFFE0000002000ULL);
	W(VMCS_HOST_IA32_RSP, 0xFFFFC90000004000ULL);
	W(VMCS_HOST_IA32_RIP, KERNEL_RIP);
	W(VMCS_HOST_IA32_PAT, VALID_PAT);
	W(VMCS_HOST_IA32_EFER, LONG_EFER);

	/* guest */
	W(VMCS_GUEST_IA32_CR0, LONG_CR0);
	W(VMCS_GUEST_IA32_CR3, 0x400000);
	W(VMCS_GUEST_IA32_CR4, LONG_CR4);
	W(VMCS_GUEST_IA32_DR7, 0x400);
	seg(VMCS_GUEST_IA32_CS_SEL, 0x08, 0, 0xFFFFFFFF, 0xA09B);
	seg(VMCS_GUEST_IA32_SS_SEL, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(VMCS_GUEST_IA32_DS_SEL, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(VMCS_GUEST_IA32_ES_SEL, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(VMCS_GUEST_IA32_FS_SEL, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(VMCS_GUEST_IA32_GS_SEL, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(VMCS_GUEST_IA32_LDTR_SEL, 0, 0, 0, VMX_AR_UNUSABLE);
	seg(VMCS_GUEST_IA32_TR_SEL, 0x40, 0xFFFFFE0000001000ULL, 0x67, 0x8B);
	W(VMCS_GUEST_IA32_GDTR_BASE, 0xFFFFFE0000000000ULL);
	W(VMCS_GUEST_IA32_GDTR_LIMIT, 0x7F);
	W(VMCS_GUEST_IA32_IDTR_BASE, 0xFFFFFE0000002000ULL);
	W(VMCS_GUEST_IA32_IDTR_LIMIT, 0xFFF);
	W(VMCS_GUEST_IA32_RSP, 0xFFFFC90000008000ULL);
	W(VMCS_GUEST_IA32_RIP, KERNEL_RIP);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO);
	W(VMCS_GUEST_IA32_PAT, VALID_PAT);
	W(VMCS_GUEST_IA32_EFER, LONG_EFER);
	W(VMCS_LINK_POINTER, VMX_LINK_POINTER_NONE);
}

/*
 * Variants of the valid state.
 */

/* A 32-bit host (outside IA-32e mode), still valid. */
static void
host32(void)
{
	view.host_efer = 0;
	CLR(VMCS_EXIT_CTLS, IA32_VMX_HOST_SPACE_ADDRESS_SIZE);
	CLR(VMCS_ENTRY_CTLS, IA32_VMX_IA32E_MODE_GUEST);
	W(VMCS_HOST_IA32_EFER, EFER_NXE);
	W(VMCS_HOST_IA32_RIP, 0xC0100000);
}

/* A 32-bit protected-mode guest with PAE paging. */
static void
pae32(void)
{
	CLR(VMCS_ENTRY_CTLS, IA32_VMX_IA32E_MODE_GUEST);
	W(VMCS_GUEST_IA32_EFER, EFER_NXE);
	W(VMCS_GUEST_IA32_CS_AR, 0xC09B);
	W(VMCS_GUEST_IA32_RIP, 0xC0100000);
}

/* A virtual-8086 guest under 32-bit protected mode. */
static void
v86(void)
{
	static const uint32_t sels[] = { VMCS_GUEST_IA32_CS_SEL,
	    VMCS_GUEST_IA32_SS_SEL, VMCS_GUEST_IA32_DS_SEL,
	    VMCS_GUEST_IA32_ES_SEL, VMCS_GUEST_IA32_FS_SEL,
	    VMCS_GUEST_IA32_GS_SEL };
	size_t i;

	pae32();
	for (i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		seg(sels[i], 0x1000, 0x10000, 0xFFFF, 0xF3);
	W(VMCS_GUEST_IA32_RIP, 0x100);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_VM);
}

/* The reset state of a CPU as an unrestricted guest: real mode. */
static void
realmode(void)
{
	static const uint32_t sels[] = { VMCS_GUEST_IA32_SS_SEL,
	    VMCS_GUEST_IA32_DS_SEL, VMCS_GUEST_IA32_ES_SEL,
	    VMCS_GUEST_IA32_FS_SEL, VMCS_GUEST_IA32_GS_SEL };
	size_t i;

	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST);
	CLR(VMCS_ENTRY_CTLS, IA32_VMX_IA32E_MODE_GUEST);
	W(VMCS_GUEST_IA32_CR0, 0x60000030);
	W(VMCS_GUEST_IA32_CR3, 0);
	W(VMCS_GUEST_IA32_CR4, CR4_VMXE);
	W(VMCS_GUEST_IA32_EFER, 0);
	seg(VMCS_GUEST_IA32_CS_SEL, 0xF000, 0xFFFF0000, 0xFFFF, 0x9B);
	for (i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		seg(sels[i], 0, 0, 0xFFFF, 0x93);
	seg(VMCS_GUEST_IA32_TR_SEL, 0, 0, 0xFFFF, 0x8B);
	W(VMCS_GUEST_IA32_GDTR_BASE, 0);
	W(VMCS_GUEST_IA32_GDTR_LIMIT, 0xFFFF);
	W(VMCS_GUEST_IA32_IDTR_BASE, 0);
	W(VMCS_GUEST_IA32_IDTR_LIMIT, 0x3FF);
	W(VMCS_GUEST_IA32_RIP, 0xFFF0);
	W(VMCS_GUEST_IA32_RSP, 0);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO);
}

/* A ring-3 64-bit guest. */
static void
ring3(void)
{
	seg(VMCS_GUEST_IA32_CS_SEL, 0x33, 0, 0xFFFFFFFF, 0xA0FB);
	seg(VMCS_GUEST_IA32_SS_SEL, 0x2B, 0, 0xFFFFFFFF, 0xC0F3);
	seg(VMCS_GUEST_IA32_DS_SEL, 0x2B, 0, 0xFFFFFFFF, 0xC0F3);
	seg(VMCS_GUEST_IA32_ES_SEL, 0x2B, 0, 0xFFFFFFFF, 0xC0F3);
	seg(VMCS_GUEST_IA32_FS_SEL, 0, 0x7F0000000000ULL, 0, VMX_AR_UNUSABLE);
	seg(VMCS_GUEST_IA32_GS_SEL, 0, 0, 0, VMX_AR_UNUSABLE);
	W(VMCS_GUEST_IA32_RIP, 0x400000);
	W(VMCS_GUEST_IA32_RSP, 0x7FFFFFFFE000ULL);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
}

/* A usable LDT. */
static void
ldt(void)
{
	seg(VMCS_GUEST_IA32_LDTR_SEL, 0x20, 0xFFFFFE0000003000ULL, 0xFFF, 0x82);
}

/* Posted interrupts with everything they need. */
static void
posted(void)
{
	SET(VMCS_PINBASED_CTLS, IA32_VMX_PROCESS_POSTED_INTERRUPTS);
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY);
	W(VMCS_POSTED_INT_NOTIF_VECTOR, 0xF2);
	W(VMCS_POSTED_INTERRUPT_DESC, 0x700000);
}

static void
inject(unsigned int type, unsigned int vector, int errcode)
{
	W(VMCS_ENTRY_INTERRUPTION_INFO, VMX_INTR_INFO_VALID |
	    (type << VMX_INTR_INFO_TYPE_SHIFT) | vector |
	    (errcode ? VMX_INTR_INFO_ERRCODE : 0));
}

/* Two MSR-load entries, the second one given. */
static void
msrs(uint32_t msr, uint32_t rsvd, uint64_t val)
{
	W(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
	msr_entry(1, MSR_KERNELGSBASE, 0, 0xFFFF888000100000ULL);
	msr_entry(2, msr, rsvd, val);
}

#define BAD_MSR_VALUE	0xBADULL

/* WRMSR as the simulated CPU would do it: value 0xbad #GPs. */
static int
load_ok(void *uctx, uint32_t msr, uint64_t val)
{
	unsigned int *n = uctx;

	if (n != NULL)
		(*n)++;
	return (val == BAD_MSR_VALUE ? -1 : 0);
}

/* The whole VM entry: controls and host, guest, MSR loading. */
static int
enter(struct vmentry_failure *f)
{
	if (vmentry_check_controls_and_host(&view, f) != 0)
		return (-1);
	if (vmentry_check_guest(&view, f) != 0)
		return (-1);
	return (vmentry_load_msrs(&view, load_ok, NULL, f));
}

static void
assert_enters(void)
{
	struct vmentry_failure f;

	ck_assert_msg(enter(&f) == 0, "rule %s failed: %s",
	    f.rule != NULL ? f.rule->name : "?", f.detail);
	ck_assert_ptr_null(f.rule);
}

/*
 * One mutation per rule.
 */

#define BRK(n)	static void brk_##n(void)

/* §27.2.1.1 */
BRK(ctl_pinbased_reserved) { CLR(VMCS_PINBASED_CTLS, 0x2); }
BRK(ctl_procbased_reserved) { CLR(VMCS_PROCBASED_CTLS, 0x2); }
BRK(ctl_procbased2_reserved) { SET(VMCS_PROCBASED2_CTLS, 1ULL << 21); }
BRK(ctl_procbased3_reserved)
{
	caps.true_procbased |= IA32_VMX_ACTIVATE_TERTIARY_CONTROLS << 32;
	caps.procbased3 = IA32_VMX_LOADIWKEY_EXITING;
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_ACTIVATE_TERTIARY_CONTROLS);
	W(VMCS_PROCBASED3_CTLS, IA32_VMX_ENABLE_HLAT);
}
BRK(ctl_cr3_target_count) { W(VMCS_CR3_TARGET_COUNT, 5); }
BRK(ctl_io_bitmap_a) { W(VMCS_IO_BITMAP_A, 0x100800); }
BRK(ctl_io_bitmap_b) { W(VMCS_IO_BITMAP_B, 1ULL << PHYS_BITS); }
BRK(ctl_msr_bitmap) { W(VMCS_MSR_BITMAP_ADDRESS, 0x102010); }
BRK(ctl_virtual_apic_addr)
{
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	W(VMCS_VIRTUAL_APIC_ADDRESS, VAPIC_PA + 0x10);
}
BRK(ctl_tpr_threshold_reserved)
{
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	W(VMCS_TPR_THRESHOLD, 0x10);
}
BRK(ctl_tpr_threshold_vtpr)
{
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	W(VMCS_TPR_THRESHOLD, 3);	/* VTPR is 0x20 */
}
BRK(ctl_apic_virt_needs_tpr_shadow)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_APIC_REGISTER_VIRTUALIZATION);
}
BRK(ctl_virtual_nmis_need_nmi_exiting)
{
	CLR(VMCS_PINBASED_CTLS, IA32_VMX_NMI_EXITING);
}
BRK(ctl_nmi_window_needs_virtual_nmis)
{
	CLR(VMCS_PINBASED_CTLS, IA32_VMX_VIRTUAL_NMIS);
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_NMI_WINDOW_EXITING);
}
BRK(ctl_apic_access_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VIRTUALIZE_APIC);
	W(VMCS_APIC_ACCESS_ADDRESS, 0x600001);
}
BRK(ctl_x2apic_excludes_apic_access)
{
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VIRTUALIZE_X2APIC_MODE |
	    IA32_VMX_VIRTUALIZE_APIC);
	W(VMCS_APIC_ACCESS_ADDRESS, 0x600000);
}
BRK(ctl_vid_needs_ext_int_exiting)
{
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY);
	CLR(VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING);
}
BRK(ctl_posted_int_needs_vid)
{
	SET(VMCS_PINBASED_CTLS, IA32_VMX_PROCESS_POSTED_INTERRUPTS);
}
BRK(ctl_posted_int_needs_ack)
{
	posted();
	CLR(VMCS_EXIT_CTLS, IA32_VMX_ACKNOWLEDGE_INTERRUPT_ON_EXIT);
}
BRK(ctl_posted_int_vector)
{
	posted();
	W(VMCS_POSTED_INT_NOTIF_VECTOR, 0x1F2);
}
BRK(ctl_posted_int_desc_addr)
{
	posted();
	W(VMCS_POSTED_INTERRUPT_DESC, 0x700020);
}
BRK(ctl_vpid_nonzero) { W(VMCS_GUEST_VPID, 0); }
BRK(ctl_eptp_memtype)
{
	W(VMCS_GUEST_IA32_EPTP, (R(VMCS_GUEST_IA32_EPTP) & ~7ULL) | 1);
}
BRK(ctl_eptp_walk_length)
{
	W(VMCS_GUEST_IA32_EPTP, (R(VMCS_GUEST_IA32_EPTP) &
	    ~IA32_EPT_PAGE_WALK_MASK) | (4 << IA32_EPT_PAGE_WALK_SHIFT));
}
BRK(ctl_eptp_ad)
{
	caps.ept_vpid_cap &= ~IA32_EPT_VPID_CAP_AD_BITS;
	SET(VMCS_GUEST_IA32_EPTP, IA32_EPT_AD_BITS_ENABLE);
}
BRK(ctl_eptp_sss) { SET(VMCS_GUEST_IA32_EPTP, IA32_EPT_SSS_ENABLE); }
BRK(ctl_eptp_reserved) { SET(VMCS_GUEST_IA32_EPTP, 1ULL << 8); }
BRK(ctl_pml_needs_ept)
{
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_PML);
}
BRK(ctl_pml_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_PML);
	W(VMCS_PML_ADDRESS, 0x800008);
}
BRK(ctl_unrestricted_needs_ept)
{
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST);
}
BRK(ctl_mbec_needs_ept)
{
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_MODE_BASED_EPT_EXEC);
}
BRK(ctl_spp_needs_ept)
{
	caps.procbased2 |= IA32_VMX_EPT_SUBPAGE_WRITE << 32;
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_EPT_SUBPAGE_WRITE);
}
BRK(ctl_spp_table_addr)
{
	caps.procbased2 |= IA32_VMX_EPT_SUBPAGE_WRITE << 32;
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_EPT_SUBPAGE_WRITE);
	W(VMCS_SPP_TABLE_POINTER, 0x900004);
}
BRK(ctl_vmfunc_reserved)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_VM_FUNCTIONS);
	W(VMCS_VM_FUNCTION_CONTROLS, 0x2);
}
BRK(ctl_eptp_switching_needs_ept)
{
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_VM_FUNCTIONS);
	W(VMCS_VM_FUNCTION_CONTROLS, IA32_VMX_VMFUNC_EPTP_SWITCHING);
	W(VMCS_EPTP_LIST_ADDRESS, 0xA00000);
}
BRK(ctl_eptp_list_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_VM_FUNCTIONS);
	W(VMCS_VM_FUNCTION_CONTROLS, IA32_VMX_VMFUNC_EPTP_SWITCHING);
	W(VMCS_EPTP_LIST_ADDRESS, 0xA00800);
}
BRK(ctl_vmread_bitmap_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VMCS_SHADOWING);
	W(VMCS_VMREAD_BITMAP_ADDRESS, 0xB00010);
}
BRK(ctl_vmwrite_bitmap_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_VMCS_SHADOWING);
	W(VMCS_VMREAD_BITMAP_ADDRESS, 0xB00000);
	W(VMCS_VMWRITE_BITMAP_ADDRESS, 0xB01001);
}
BRK(ctl_ve_info_addr)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_EPT_VIOLATION_VE);
	W(VMCS_VIRTUALIZATION_EXC_ADDRESS, 0xC00040);
}
/* §27.2.1.2 */
BRK(ctl_exit_reserved) { SET(VMCS_EXIT_CTLS, 1ULL << 25); }
BRK(ctl_exit2_reserved)
{
	caps.true_exit |= IA32_VMX_ACTIVATE_SECONDARY_EXIT_CONTROLS << 32;
	SET(VMCS_EXIT_CTLS, IA32_VMX_ACTIVATE_SECONDARY_EXIT_CONTROLS);
	W(VMCS_SECONDARY_EXIT_CTLS, 1);
}
BRK(ctl_save_preempt_needs_activate)
{
	SET(VMCS_EXIT_CTLS, IA32_VMX_SAVE_VMX_PREEMPTION_TIMER);
}
BRK(ctl_exit_msr_store_area)
{
	W(VMCS_EXIT_MSR_STORE_COUNT, 1);
	W(VMCS_EXIT_STORE_MSR_ADDRESS, 0xD00008);
}
BRK(ctl_exit_msr_load_area)
{
	/* aligned, but the last byte is past the width */
	W(VMCS_EXIT_MSR_LOAD_COUNT, 2);
	W(VMCS_EXIT_LOAD_MSR_ADDRESS, (1ULL << PHYS_BITS) - 16);
}
/* §27.2.1.3 */
BRK(ctl_entry_reserved) { SET(VMCS_ENTRY_CTLS, 1ULL << 18); }
BRK(ctl_intr_type_reserved) { inject(VMX_INTR_TYPE_RESERVED, 0x20, 0); }
BRK(ctl_intr_type_other)
{
	caps.true_procbased &= ~(IA32_VMX_MONITOR_TRAP_FLAG << 32);
	inject(VMX_INTR_TYPE_OTHER, 0, 0);
}
BRK(ctl_intr_nmi_vector) { inject(VMX_INTR_TYPE_NMI, 3, 0); }
BRK(ctl_intr_hw_exc_vector) { inject(VMX_INTR_TYPE_HW_EXC, 32, 0); }
BRK(ctl_intr_other_vector) { inject(VMX_INTR_TYPE_OTHER, 1, 0); }
BRK(ctl_intr_errcode_not_allowed)
{
	inject(VMX_INTR_TYPE_SW_INT, 0x80, 1);
	W(VMCS_ENTRY_INSTRUCTION_LENGTH, 2);
}
BRK(ctl_intr_errcode_consistency) { inject(VMX_INTR_TYPE_HW_EXC, 13, 0); }
BRK(ctl_intr_info_reserved)
{
	inject(VMX_INTR_TYPE_HW_EXC, 6, 0);
	SET(VMCS_ENTRY_INTERRUPTION_INFO, 1ULL << 12);
}
BRK(ctl_intr_errcode_reserved)
{
	inject(VMX_INTR_TYPE_HW_EXC, 13, 1);
	W(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0x10000);
}
BRK(ctl_intr_insn_length)
{
	inject(VMX_INTR_TYPE_SW_EXC, 3, 0);
	W(VMCS_ENTRY_INSTRUCTION_LENGTH, 16);
}
BRK(ctl_entry_msr_load_area)
{
	W(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
	W(VMCS_ENTRY_LOAD_MSR_ADDRESS, MSRLIST_PA + 4);
}
BRK(ctl_entry_smm_and_dual_monitor)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_ENTRY_TO_SMM |
	    IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT);
}
BRK(ctl_entry_to_smm_outside_smm)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_ENTRY_TO_SMM);
}
BRK(ctl_dual_monitor_outside_smm)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT);
}
/* §27.2.2 */
BRK(host_cr0_fixed) { CLR(VMCS_HOST_IA32_CR0, CR0_PE); }
BRK(host_cr4_fixed) { CLR(VMCS_HOST_IA32_CR4, CR4_VMXE); }
BRK(host_cr3_width) { W(VMCS_HOST_IA32_CR3, 1ULL << 50); }
BRK(host_cr4_cet_needs_wp)
{
	caps.cr4_fixed1 |= CR4_CET;
	SET(VMCS_HOST_IA32_CR4, CR4_CET);
	CLR(VMCS_HOST_IA32_CR0, CR0_WP);
}
BRK(host_sysenter_esp) { W(VMCS_HOST_IA32_SYSENTER_ESP, NONCANON); }
BRK(host_sysenter_eip) { W(VMCS_HOST_IA32_SYSENTER_EIP, NONCANON); }
BRK(host_perf_global_ctrl)
{
	SET(VMCS_EXIT_CTLS, IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_EXIT);
	W(VMCS_HOST_IA32_PERF_GBL_CTRL, 1ULL << 40);
}
BRK(host_pat) { W(VMCS_HOST_IA32_PAT, 0x0007040600070402ULL); }
BRK(host_efer_reserved) { SET(VMCS_HOST_IA32_EFER, 1ULL << 12); }
BRK(host_efer_lma) { CLR(VMCS_HOST_IA32_EFER, EFER_LMA); }
BRK(host_efer_lme) { CLR(VMCS_HOST_IA32_EFER, EFER_LME); }
/* §27.2.3 */
BRK(host_es_sel) { W(VMCS_HOST_IA32_ES_SEL, 0x13); }
BRK(host_cs_sel) { W(VMCS_HOST_IA32_CS_SEL, 0x0C); }
BRK(host_ss_sel) { W(VMCS_HOST_IA32_SS_SEL, 0x11); }
BRK(host_ds_sel) { W(VMCS_HOST_IA32_DS_SEL, 0x12); }
BRK(host_fs_sel) { W(VMCS_HOST_IA32_FS_SEL, 0x03); }
BRK(host_gs_sel) { W(VMCS_HOST_IA32_GS_SEL, 0x04); }
BRK(host_tr_sel) { W(VMCS_HOST_IA32_TR_SEL, 0x43); }
BRK(host_cs_nonnull) { W(VMCS_HOST_IA32_CS_SEL, 0); }
BRK(host_tr_nonnull) { W(VMCS_HOST_IA32_TR_SEL, 0); }
BRK(host_ss_nonnull) { host32(); W(VMCS_HOST_IA32_SS_SEL, 0); }
BRK(host_fs_base) { W(VMCS_HOST_IA32_FS_BASE, NONCANON); }
BRK(host_gs_base) { W(VMCS_HOST_IA32_GS_BASE, NONCANON); }
BRK(host_gdtr_base) { W(VMCS_HOST_IA32_GDTR_BASE, NONCANON); }
BRK(host_idtr_base) { W(VMCS_HOST_IA32_IDTR_BASE, NONCANON); }
BRK(host_tr_base) { W(VMCS_HOST_IA32_TR_BASE, NONCANON); }
/* §27.2.4 */
BRK(host_outside_ia32e_guest)
{
	host32();
	SET(VMCS_ENTRY_CTLS, IA32_VMX_IA32E_MODE_GUEST);
}
BRK(host_outside_ia32e_addr_size)
{
	host32();
	CLR(VMCS_EXIT_CTLS, IA32_VMX_LOAD_IA32_EFER_ON_EXIT);
	SET(VMCS_EXIT_CTLS, IA32_VMX_HOST_SPACE_ADDRESS_SIZE);
}
BRK(host_in_ia32e_addr_size)
{
	CLR(VMCS_EXIT_CTLS, IA32_VMX_LOAD_IA32_EFER_ON_EXIT |
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE);
}
BRK(host_legacy_pcide) { host32(); SET(VMCS_HOST_IA32_CR4, CR4_PCIDE); }
BRK(host_legacy_rip) { host32(); W(VMCS_HOST_IA32_RIP, 0x100001000ULL); }
BRK(host_long_pae) { CLR(VMCS_HOST_IA32_CR4, CR4_PAE); }
BRK(host_long_rip) { W(VMCS_HOST_IA32_RIP, NONCANON); }
/* §27.3.1.1 */
BRK(guest_cr0_fixed) { CLR(VMCS_GUEST_IA32_CR0, CR0_NE); }
BRK(guest_cr0_pg_needs_pe)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST);
	CLR(VMCS_GUEST_IA32_CR0, CR0_PE);
}
BRK(guest_cr4_fixed) { CLR(VMCS_GUEST_IA32_CR4, CR4_VMXE); }
BRK(guest_cr4_cet_needs_wp)
{
	caps.cr4_fixed1 |= CR4_CET;
	SET(VMCS_GUEST_IA32_CR4, CR4_CET);
	CLR(VMCS_GUEST_IA32_CR0, CR0_WP);
}
BRK(guest_debugctl) { W(VMCS_GUEST_IA32_DEBUGCTL, 0x4); }
BRK(guest_ia32e_needs_pg)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST);
	CLR(VMCS_GUEST_IA32_CR0, CR0_PG);
}
BRK(guest_ia32e_needs_pae) { CLR(VMCS_GUEST_IA32_CR4, CR4_PAE); }
BRK(guest_legacy_pcide)
{
	pae32();
	SET(VMCS_GUEST_IA32_CR4, CR4_PCIDE);
}
BRK(guest_cr3_width) { W(VMCS_GUEST_IA32_CR3, 1ULL << 47); }
BRK(guest_dr7_high) { SET(VMCS_GUEST_IA32_DR7, 1ULL << 32); }
BRK(guest_sysenter_esp) { W(VMCS_GUEST_IA32_SYSENTER_ESP, NONCANON); }
BRK(guest_sysenter_eip) { W(VMCS_GUEST_IA32_SYSENTER_EIP, NONCANON); }
BRK(guest_perf_global_ctrl)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_ENTRY);
	W(VMCS_GUEST_IA32_PERF_GBL_CTRL, 1ULL << 8);
}
BRK(guest_pat) { W(VMCS_GUEST_IA32_PAT, 0x0007040600070403ULL); }
BRK(guest_efer_reserved) { SET(VMCS_GUEST_IA32_EFER, 1ULL << 14); }
BRK(guest_efer_lma) { CLR(VMCS_GUEST_IA32_EFER, EFER_LMA); }
BRK(guest_efer_lme) { CLR(VMCS_GUEST_IA32_EFER, EFER_LME); }
BRK(guest_bndcfgs_reserved)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_LOAD_IA32_BNDCFGS_ON_ENTRY);
	W(VMCS_GUEST_IA32_BNDCFGS, 0x4);
}
BRK(guest_bndcfgs_canonical)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_LOAD_IA32_BNDCFGS_ON_ENTRY);
	W(VMCS_GUEST_IA32_BNDCFGS, NONCANON | 1);
}
/* §27.3.1.2 */
BRK(guest_tr_ti) { W(VMCS_GUEST_IA32_TR_SEL, 0x44); }
BRK(guest_ldtr_ti) { ldt(); W(VMCS_GUEST_IA32_LDTR_SEL, 0x24); }
BRK(guest_ss_rpl) { W(VMCS_GUEST_IA32_SS_SEL, 0x13); }
BRK(guest_v86_base) { v86(); W(VMCS_GUEST_IA32_DS_BASE, 0x10010); }
BRK(guest_v86_limit) { v86(); W(VMCS_GUEST_IA32_ES_LIMIT, 0xFFFFF); }
BRK(guest_v86_ar) { v86(); W(VMCS_GUEST_IA32_GS_AR, 0xF2); }
BRK(guest_tr_base) { W(VMCS_GUEST_IA32_TR_BASE, NONCANON); }
BRK(guest_fs_base) { W(VMCS_GUEST_IA32_FS_BASE, NONCANON); }
BRK(guest_gs_base) { W(VMCS_GUEST_IA32_GS_BASE, NONCANON); }
BRK(guest_ldtr_base) { ldt(); W(VMCS_GUEST_IA32_LDTR_BASE, NONCANON); }
BRK(guest_cs_base_high) { W(VMCS_GUEST_IA32_CS_BASE, 1ULL << 32); }
BRK(guest_ss_base_high) { W(VMCS_GUEST_IA32_SS_BASE, 1ULL << 32); }
BRK(guest_ds_base_high) { W(VMCS_GUEST_IA32_DS_BASE, 1ULL << 32); }
BRK(guest_es_base_high) { W(VMCS_GUEST_IA32_ES_BASE, 1ULL << 32); }
BRK(guest_cs_type) { W(VMCS_GUEST_IA32_CS_AR, 0xA093); }
BRK(guest_ss_type) { W(VMCS_GUEST_IA32_SS_AR, 0xC09B); }
BRK(guest_data_accessed) { W(VMCS_GUEST_IA32_DS_AR, 0xC092); }
BRK(guest_data_code_readable) { W(VMCS_GUEST_IA32_ES_AR, 0xC099); }
BRK(guest_cs_s) { W(VMCS_GUEST_IA32_CS_AR, 0xA08B); }
BRK(guest_seg_s) { W(VMCS_GUEST_IA32_FS_AR, 0xC083); }
BRK(guest_cs_dpl_type3)
{
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST);
	W(VMCS_GUEST_IA32_CS_AR, 0xA0F3);
}
BRK(guest_cs_dpl_nonconforming) { W(VMCS_GUEST_IA32_CS_AR, 0xA0BB); }
BRK(guest_cs_dpl_conforming) { W(VMCS_GUEST_IA32_CS_AR, 0xA0FF); }
BRK(guest_ss_dpl_rpl)
{
	W(VMCS_GUEST_IA32_CS_AR, 0xA09F);	/* conforming, DPL 0 */
	W(VMCS_GUEST_IA32_SS_AR, 0xC0B3);	/* DPL 1, RPL 0 */
}
BRK(guest_ss_dpl_zero)
{
	realmode();
	W(VMCS_GUEST_IA32_CS_AR, 0x9F);		/* conforming, DPL 0 */
	W(VMCS_GUEST_IA32_SS_AR, 0xF3);		/* DPL 3 with CR0.PE 0 */
}
BRK(guest_data_dpl_rpl) { W(VMCS_GUEST_IA32_DS_SEL, 0x13); }
BRK(guest_cs_p) { W(VMCS_GUEST_IA32_CS_AR, 0xA01B); }
BRK(guest_seg_p) { W(VMCS_GUEST_IA32_GS_AR, 0xC013); }
BRK(guest_cs_ar_reserved) { W(VMCS_GUEST_IA32_CS_AR, 0xA19B); }
BRK(guest_seg_ar_reserved) { SET(VMCS_GUEST_IA32_DS_AR, 1ULL << 20); }
BRK(guest_cs_db_long) { W(VMCS_GUEST_IA32_CS_AR, 0xE09B); }
BRK(guest_cs_g_limit) { W(VMCS_GUEST_IA32_CS_LIMIT, 0xFFFFF000); }
BRK(guest_seg_g_limit) { W(VMCS_GUEST_IA32_SS_LIMIT, 0x000FFFFE); }
BRK(guest_tr_type) { W(VMCS_GUEST_IA32_TR_AR, 0x83); }
BRK(guest_tr_s) { W(VMCS_GUEST_IA32_TR_AR, 0x9B); }
BRK(guest_tr_p) { W(VMCS_GUEST_IA32_TR_AR, 0x0B); }
BRK(guest_tr_ar_reserved) { W(VMCS_GUEST_IA32_TR_AR, 0x18B); }
BRK(guest_tr_g_limit) { W(VMCS_GUEST_IA32_TR_LIMIT, 0x00100000); }
BRK(guest_tr_usable) { W(VMCS_GUEST_IA32_TR_AR, 0x1008B); }
BRK(guest_ldtr_type) { ldt(); W(VMCS_GUEST_IA32_LDTR_AR, 0x83); }
BRK(guest_ldtr_s) { ldt(); W(VMCS_GUEST_IA32_LDTR_AR, 0x92); }
BRK(guest_ldtr_p) { ldt(); W(VMCS_GUEST_IA32_LDTR_AR, 0x02); }
BRK(guest_ldtr_ar_reserved) { ldt(); W(VMCS_GUEST_IA32_LDTR_AR, 0x282); }
BRK(guest_ldtr_g_limit)
{
	ldt();
	W(VMCS_GUEST_IA32_LDTR_AR, 0x8082);
	W(VMCS_GUEST_IA32_LDTR_LIMIT, 0x1000);
}
/* §27.3.1.3 */
BRK(guest_gdtr_base) { W(VMCS_GUEST_IA32_GDTR_BASE, NONCANON); }
BRK(guest_idtr_base) { W(VMCS_GUEST_IA32_IDTR_BASE, NONCANON); }
BRK(guest_gdtr_limit) { W(VMCS_GUEST_IA32_GDTR_LIMIT, 0x10000); }
BRK(guest_idtr_limit) { W(VMCS_GUEST_IA32_IDTR_LIMIT, 0x10000); }
/* §27.3.1.4 */
BRK(guest_rip_high) { W(VMCS_GUEST_IA32_CS_AR, 0xC09B); }	/* compat */
BRK(guest_rip_canonical) { W(VMCS_GUEST_IA32_RIP, NONCANON); }
BRK(guest_rflags_reserved) { W(VMCS_GUEST_IA32_RFLAGS, 0); }
BRK(guest_rflags_vm)
{
	v86();
	SET(VMCS_ENTRY_CTLS, IA32_VMX_IA32E_MODE_GUEST);
	W(VMCS_GUEST_IA32_EFER, LONG_EFER);
}
BRK(guest_rflags_if) { inject(VMX_INTR_TYPE_EXT_INT, 0x20, 0); }
/* §27.3.1.5 */
BRK(guest_activity_supported) { W(VMCS_GUEST_ACTIVITY_STATE, 4); }
BRK(guest_activity_hlt_dpl)
{
	ring3();
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT);
}
BRK(guest_activity_blocking)
{
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_STI);
}
BRK(guest_activity_hlt_event)
{
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_HLT);
	inject(VMX_INTR_TYPE_HW_EXC, 6, 0);
}
BRK(guest_activity_shutdown_event)
{
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_SHUTDOWN);
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
	inject(VMX_INTR_TYPE_EXT_INT, 0x20, 0);
}
BRK(guest_activity_sipi_event)
{
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_WAIT_SIPI);
	inject(VMX_INTR_TYPE_NMI, 2, 0);
}
BRK(guest_activity_sipi_smm)
{
	W(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_WAIT_SIPI);
	SET(VMCS_ENTRY_CTLS, IA32_VMX_ENTRY_TO_SMM);
}
BRK(guest_intr_reserved) { W(VMCS_GUEST_INTERRUPTIBILITY_ST, 0x20); }
BRK(guest_intr_sti_movss)
{
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_STI |
	    VMX_INTERRUPTIBILITY_MOVSS);
}
BRK(guest_intr_sti_if)
{
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_STI);
}
BRK(guest_intr_ext_int)
{
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
	inject(VMX_INTR_TYPE_EXT_INT, 0x20, 0);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_MOVSS);
}
BRK(guest_intr_nmi_movss)
{
	inject(VMX_INTR_TYPE_NMI, 2, 0);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_MOVSS);
}
BRK(guest_intr_nmi_sti)
{
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I);
	inject(VMX_INTR_TYPE_NMI, 2, 0);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_STI);
}
BRK(guest_intr_smi_outside_smm)
{
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_SMI);
}
BRK(guest_intr_smi_entry_to_smm)
{
	SET(VMCS_ENTRY_CTLS, IA32_VMX_ENTRY_TO_SMM);
}
BRK(guest_intr_virtual_nmi)
{
	inject(VMX_INTR_TYPE_NMI, 2, 0);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_NMI);
}
BRK(guest_intr_enclave)
{
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_ENCLAVE |
	    VMX_INTERRUPTIBILITY_MOVSS);
}
BRK(guest_pending_dbg_reserved) { W(VMCS_GUEST_PENDING_DBG_EXC, 0x10); }
BRK(guest_pending_dbg_bs)
{
	W(VMCS_GUEST_IA32_RFLAGS, PSL_MBO | PSL_I | PSL_T);
	W(VMCS_GUEST_INTERRUPTIBILITY_ST, VMX_INTERRUPTIBILITY_STI);
}
BRK(guest_pending_dbg_rtm)
{
	W(VMCS_GUEST_PENDING_DBG_EXC, VMX_PENDING_DBG_RTM | 0x1);
}
BRK(guest_link_ptr_align) { W(VMCS_LINK_POINTER, LINK_PA + 8); }
BRK(guest_link_ptr_width) { W(VMCS_LINK_POINTER, 1ULL << PHYS_BITS); }
BRK(guest_link_ptr_revision)
{
	W(VMCS_LINK_POINTER, LINK_PA);
	put32(link_page, 5);
}
BRK(guest_link_ptr_shadow)
{
	W(VMCS_LINK_POINTER, LINK_PA);
	put32(link_page, (uint32_t)(caps.basic &
	    IA32_VMX_BASIC_REVISION_MASK) | VMCS_SHADOW_INDICATOR);
}
/* §27.3.1.6 */
BRK(guest_pdpte_vmcs)
{
	pae32();
	W(VMCS_GUEST_PDPTE0, 0x5000 | PDPTE_P | 0x2);
}
BRK(guest_pdpte_mem)
{
	pae32();
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	W(VMCS_GUEST_IA32_CR3, PDPT_PA);
	put64(pdpt_page + 8, 0x6000 | PDPTE_P | (1ULL << 50));
}
/* §27.4 */
BRK(msrload_count_max)
{
	W(VMCS_ENTRY_MSR_LOAD_COUNT, IA32_VMX_MSR_LIST_MULTIPLIER + 1);
}
BRK(msrload_entry_readable)
{
	W(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
	W(VMCS_ENTRY_LOAD_MSR_ADDRESS, MSRLIST_PA + MSRLIST_SIZE - 16);
}
BRK(msrload_fs_gs_base) { msrs(MSR_GSBASE, 0, 0); }
BRK(msrload_x2apic) { msrs(0x808, 0, 0); }
BRK(msrload_smm_only) { msrs(MSR_SMM_MONITOR_CTL, 0, 0); }
BRK(msrload_model_specific) { msrs(MSR_SMBASE, 0, 0x30000); }
BRK(msrload_reserved) { msrs(MSR_CR_PAT, 1, VALID_PAT); }
BRK(msrload_wrmsr) { msrs(MSR_CR_PAT, 0, BAD_MSR_VALUE); }

#define GUEST_ONLY	1	/* run only the guest-state checks */

struct breaker {
	const char	*rule;
	void		(*mutate)(void);
	uint64_t	 qual;		/* expected exit qualification */
	int		 flags;
};

#define B(n)		{ #n, brk_##n, 0, 0 }
#define BQ(n, q)	{ #n, brk_##n, (q), 0 }
#define BG(n)		{ #n, brk_##n, 0, GUEST_ONLY }

static const struct breaker breakers[] = {
	B(ctl_pinbased_reserved), B(ctl_procbased_reserved),
	B(ctl_procbased2_reserved), B(ctl_procbased3_reserved),
	B(ctl_cr3_target_count), B(ctl_io_bitmap_a), B(ctl_io_bitmap_b),
	B(ctl_msr_bitmap), B(ctl_virtual_apic_addr),
	B(ctl_tpr_threshold_reserved), B(ctl_tpr_threshold_vtpr),
	B(ctl_apic_virt_needs_tpr_shadow), B(ctl_virtual_nmis_need_nmi_exiting),
	B(ctl_nmi_window_needs_virtual_nmis), B(ctl_apic_access_addr),
	B(ctl_x2apic_excludes_apic_access), B(ctl_vid_needs_ext_int_exiting),
	B(ctl_posted_int_needs_vid), B(ctl_posted_int_needs_ack),
	B(ctl_posted_int_vector), B(ctl_posted_int_desc_addr),
	B(ctl_vpid_nonzero), B(ctl_eptp_memtype), B(ctl_eptp_walk_length),
	B(ctl_eptp_ad), B(ctl_eptp_sss), B(ctl_eptp_reserved),
	B(ctl_pml_needs_ept), B(ctl_pml_addr), B(ctl_unrestricted_needs_ept),
	B(ctl_mbec_needs_ept), B(ctl_spp_needs_ept), B(ctl_spp_table_addr),
	B(ctl_vmfunc_reserved), B(ctl_eptp_switching_needs_ept),
	B(ctl_eptp_list_addr), B(ctl_vmread_bitmap_addr),
	B(ctl_vmwrite_bitmap_addr), B(ctl_ve_info_addr),
	B(ctl_exit_reserved), B(ctl_exit2_reserved),
	B(ctl_save_preempt_needs_activate), B(ctl_exit_msr_store_area),
	B(ctl_exit_msr_load_area),
	B(ctl_entry_reserved), B(ctl_intr_type_reserved),
	B(ctl_intr_type_other), B(ctl_intr_nmi_vector),
	B(ctl_intr_hw_exc_vector), B(ctl_intr_other_vector),
	B(ctl_intr_errcode_not_allowed), B(ctl_intr_errcode_consistency),
	B(ctl_intr_info_reserved), B(ctl_intr_errcode_reserved),
	B(ctl_intr_insn_length), B(ctl_entry_msr_load_area),
	B(ctl_entry_smm_and_dual_monitor), B(ctl_entry_to_smm_outside_smm),
	B(ctl_dual_monitor_outside_smm),
	B(host_cr0_fixed), B(host_cr4_fixed), B(host_cr3_width),
	B(host_cr4_cet_needs_wp), B(host_sysenter_esp), B(host_sysenter_eip),
	B(host_perf_global_ctrl), B(host_pat), B(host_efer_reserved),
	B(host_efer_lma), B(host_efer_lme),
	B(host_es_sel), B(host_cs_sel), B(host_ss_sel), B(host_ds_sel),
	B(host_fs_sel), B(host_gs_sel), B(host_tr_sel), B(host_cs_nonnull),
	B(host_tr_nonnull), B(host_ss_nonnull), B(host_fs_base),
	B(host_gs_base), B(host_gdtr_base), B(host_idtr_base), B(host_tr_base),
	B(host_outside_ia32e_guest), B(host_outside_ia32e_addr_size),
	B(host_in_ia32e_addr_size), B(host_legacy_pcide), B(host_legacy_rip),
	B(host_long_pae), B(host_long_rip),
	B(guest_cr0_fixed), B(guest_cr0_pg_needs_pe), B(guest_cr4_fixed),
	B(guest_cr4_cet_needs_wp), B(guest_debugctl), B(guest_ia32e_needs_pg),
	B(guest_ia32e_needs_pae), B(guest_legacy_pcide), B(guest_cr3_width),
	B(guest_dr7_high), B(guest_sysenter_esp), B(guest_sysenter_eip),
	B(guest_perf_global_ctrl), B(guest_pat), B(guest_efer_reserved),
	B(guest_efer_lma), B(guest_efer_lme), B(guest_bndcfgs_reserved),
	B(guest_bndcfgs_canonical),
	B(guest_tr_ti), B(guest_ldtr_ti), B(guest_ss_rpl), B(guest_v86_base),
	B(guest_v86_limit), B(guest_v86_ar), B(guest_tr_base),
	B(guest_fs_base), B(guest_gs_base), B(guest_ldtr_base),
	B(guest_cs_base_high), B(guest_ss_base_high), B(guest_ds_base_high),
	B(guest_es_base_high), B(guest_cs_type), B(guest_ss_type),
	B(guest_data_accessed), B(guest_data_code_readable), B(guest_cs_s),
	B(guest_seg_s), B(guest_cs_dpl_type3), B(guest_cs_dpl_nonconforming),
	B(guest_cs_dpl_conforming), B(guest_ss_dpl_rpl), B(guest_ss_dpl_zero),
	B(guest_data_dpl_rpl), B(guest_cs_p), B(guest_seg_p),
	B(guest_cs_ar_reserved), B(guest_seg_ar_reserved), B(guest_cs_db_long),
	B(guest_cs_g_limit), B(guest_seg_g_limit), B(guest_tr_type),
	B(guest_tr_s), B(guest_tr_p), B(guest_tr_ar_reserved),
	B(guest_tr_g_limit), B(guest_tr_usable), B(guest_ldtr_type),
	B(guest_ldtr_s), B(guest_ldtr_p), B(guest_ldtr_ar_reserved),
	B(guest_ldtr_g_limit),
	B(guest_gdtr_base), B(guest_idtr_base), B(guest_gdtr_limit),
	B(guest_idtr_limit),
	B(guest_rip_high), B(guest_rip_canonical), B(guest_rflags_reserved),
	B(guest_rflags_vm), B(guest_rflags_if),
	B(guest_activity_supported), B(guest_activity_hlt_dpl),
	B(guest_activity_blocking), B(guest_activity_hlt_event),
	B(guest_activity_shutdown_event), B(guest_activity_sipi_event),
	BG(guest_activity_sipi_smm), B(guest_intr_reserved),
	B(guest_intr_sti_movss), B(guest_intr_sti_if), B(guest_intr_ext_int),
	B(guest_intr_nmi_movss), BQ(guest_intr_nmi_sti, 3),
	B(guest_intr_smi_outside_smm), BG(guest_intr_smi_entry_to_smm),
	B(guest_intr_virtual_nmi), B(guest_intr_enclave),
	B(guest_pending_dbg_reserved), B(guest_pending_dbg_bs),
	B(guest_pending_dbg_rtm),
	BQ(guest_link_ptr_align, 4), BQ(guest_link_ptr_width, 4),
	BQ(guest_link_ptr_revision, 4), BQ(guest_link_ptr_shadow, 4),
	BQ(guest_pdpte_vmcs, 2), BQ(guest_pdpte_mem, 2),
	BQ(msrload_count_max, IA32_VMX_MSR_LIST_MULTIPLIER + 1),
	BQ(msrload_entry_readable, 2), BQ(msrload_fs_gs_base, 2),
	BQ(msrload_x2apic, 2), BQ(msrload_smm_only, 2),
	BQ(msrload_model_specific, 2), BQ(msrload_reserved, 2),
	BQ(msrload_wrmsr, 2),
};

#define NBREAKERS	(sizeof(breakers) / sizeof(breakers[0]))

/*
 * Tests
 */

START_TEST(test_entry_rule_breaks_alone)
{
	const struct breaker *b = &breakers[_i];
	const struct vmentry_rule *r = vmentry_rule_by_name(b->rule);
	struct vmentry_failure f;
	int rv;

	ck_assert_msg(r != NULL, "no rule %s", b->rule);
	b->mutate();
	if (b->flags & GUEST_ONLY)
		rv = vmentry_check_guest(&view, &f);
	else
		rv = enter(&f);
	ck_assert_msg(rv == -1, "%s: VM entry succeeded", b->rule);
	ck_assert_msg(f.rule == r, "%s: rule %s failed instead: %s", b->rule,
	    f.rule != NULL ? f.rule->name : "(none)", f.detail);
	ck_assert_str_eq(f.rule->name, b->rule);
	ck_assert_msg(f.detail[0] != '\0', "%s: empty detail", b->rule);
	switch (r->kind) {
	case VMENTRY_CONTROL:
		ck_assert_uint_eq(f.vm_error,
		    VMXERR_ENTRY_INVALID_CONTROL_FIELDS);
		ck_assert_uint_eq(f.exit_reason, 0);
		break;
	case VMENTRY_HOST:
		ck_assert_uint_eq(f.vm_error, VMXERR_ENTRY_INVALID_HOST_STATE);
		ck_assert_uint_eq(f.exit_reason, 0);
		break;
	case VMENTRY_GUEST:
		ck_assert_uint_eq(f.vm_error, 0);
		ck_assert_uint_eq(f.exit_reason,
		    VMX_EXIT_ENTRY_FAILED_GUEST_STATE);
		ck_assert_uint_eq(f.exit_qual, b->qual);
		break;
	case VMENTRY_MSRLOAD:
		ck_assert_uint_eq(f.vm_error, 0);
		ck_assert_uint_eq(f.exit_reason,
		    VMX_EXIT_ENTRY_FAILED_MSR_LOAD);
		ck_assert_uint_eq(f.exit_qual, b->qual);
		break;
	}
}
END_TEST

START_TEST(test_entry_every_rule_has_a_breaking_test)
{
	size_t i, j;

	for (i = 0; i < vmentry_nrules; i++) {
		for (j = 0; j < NBREAKERS; j++)
			if (strcmp(breakers[j].rule, vmentry_rules[i].name) == 0)
				break;
		ck_assert_msg(j < NBREAKERS, "rule %s has no breaking test",
		    vmentry_rules[i].name);
	}
	ck_assert_uint_eq(NBREAKERS, vmentry_nrules);
}
END_TEST

START_TEST(test_entry_rule_count_at_least_120)
{
	ck_assert_uint_ge(vmentry_nrules, 120);
}
END_TEST

START_TEST(test_entry_rules_named_and_unique)
{
	const struct vmentry_rule *r;
	size_t i, j;

	for (i = 0; i < vmentry_nrules; i++) {
		r = &vmentry_rules[i];
		ck_assert_msg(r->name != NULL && r->name[0] != '\0',
		    "rule %zu has no name", i);
		ck_assert_msg(r->sdm != NULL && strncmp(r->sdm, "27.", 3) == 0,
		    "%s: bad SDM section", r->name);
		ck_assert_msg(r->what != NULL && r->what[0] != '\0',
		    "%s: no summary", r->name);
		ck_assert_ptr_nonnull(r->check);
		ck_assert_ptr_eq(vmentry_rule_by_name(r->name), r);
		for (j = i + 1; j < vmentry_nrules; j++)
			ck_assert_msg(strcmp(r->name,
			    vmentry_rules[j].name) != 0, "duplicate %s",
			    r->name);
	}
	ck_assert_ptr_null(vmentry_rule_by_name("no_such_rule"));
}
END_TEST

/* Kinds come in the order the checks run: controls, host, guest, MSRs. */
START_TEST(test_entry_rules_grouped_by_kind)
{
	size_t i;

	for (i = 1; i < vmentry_nrules; i++)
		ck_assert_msg(vmentry_rules[i].kind >= vmentry_rules[i - 1].kind,
		    "%s out of order", vmentry_rules[i].name);
}
END_TEST

START_TEST(test_entry_valid_long_mode_ring0_guest_passes)
{
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_real_mode_unrestricted_guest_passes)
{
	realmode();
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_ring3_long_mode_guest_passes)
{
	ring3();
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_v86_guest_passes)
{
	v86();
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_pae_guest_passes)
{
	pae32();
	W(VMCS_GUEST_PDPTE0, 0x5000 | PDPTE_P);
	assert_enters();
	CLR(VMCS_PROCBASED2_CTLS, IA32_VMX_ENABLE_EPT);
	W(VMCS_GUEST_IA32_CR3, PDPT_PA);
	put64(pdpt_page, 0x6000 | PDPTE_P);
	put64(pdpt_page + 8, 0xFFFF000);	/* not present: ignored */
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_32bit_host_passes)
{
	host32();
	pae32();
	assert_enters();
}
END_TEST

START_TEST(test_entry_valid_features_pass)
{
	posted();
	SET(VMCS_PROCBASED2_CTLS, IA32_VMX_UNRESTRICTED_GUEST |
	    IA32_VMX_ENABLE_PML | IA32_VMX_VMCS_SHADOWING |
	    IA32_VMX_ENABLE_VM_FUNCTIONS | IA32_VMX_EPT_VIOLATION_VE);
	W(VMCS_PML_ADDRESS, 0x800000);
	W(VMCS_VMREAD_BITMAP_ADDRESS, 0xB00000);
	W(VMCS_VMWRITE_BITMAP_ADDRESS, 0xB01000);
	W(VMCS_VM_FUNCTION_CONTROLS, IA32_VMX_VMFUNC_EPTP_SWITCHING);
	W(VMCS_EPTP_LIST_ADDRESS, 0xA00000);
	W(VMCS_VIRTUALIZATION_EXC_ADDRESS, 0xC00000);
	SET(VMCS_GUEST_IA32_EPTP, IA32_EPT_AD_BITS_ENABLE);
	W(VMCS_LINK_POINTER, LINK_PA);
	put32(link_page, (uint32_t)(caps.basic &
	    IA32_VMX_BASIC_REVISION_MASK) | VMCS_SHADOW_INDICATOR);
	inject(VMX_INTR_TYPE_HW_EXC, 14, 1);
	W(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0x2);
	assert_enters();
}
END_TEST

START_TEST(test_entry_real_mode_exception_has_no_error_code)
{
	struct vmentry_failure f;

	realmode();
	inject(VMX_INTR_TYPE_HW_EXC, 13, 0);
	assert_enters();
	inject(VMX_INTR_TYPE_HW_EXC, 13, 1);
	ck_assert_int_eq(enter(&f), -1);
	ck_assert_str_eq(f.rule->name, "ctl_intr_errcode_not_allowed");
}
END_TEST

START_TEST(test_entry_basic56_lifts_error_code_consistency)
{
	caps.basic |= IA32_VMX_BASIC_NO_ERRCODE_CHECK;
	inject(VMX_INTR_TYPE_HW_EXC, 13, 0);
	assert_enters();
}
END_TEST

START_TEST(test_entry_zero_length_injection_needs_misc30)
{
	struct vmentry_failure f;

	inject(VMX_INTR_TYPE_SW_INT, 0x80, 0);
	W(VMCS_ENTRY_INSTRUCTION_LENGTH, 0);
	assert_enters();
	caps.misc &= ~IA32_VMX_MISC_ZERO_LEN_INJECT;
	ck_assert_int_eq(enter(&f), -1);
	ck_assert_str_eq(f.rule->name, "ctl_intr_insn_length");
}
END_TEST

/* Without IA32_VMX_BASIC[55] the default1 CR3-exiting bits are fixed. */
START_TEST(test_entry_non_true_ctls_when_basic55_clear)
{
	struct vmentry_failure f;

	caps.basic &= ~IA32_VMX_TRUE_CTLS_AVAIL;
	ck_assert_int_eq(vmentry_check_controls_and_host(&view, &f), -1);
	ck_assert_str_eq(f.rule->name, "ctl_procbased_reserved");
	ck_assert_ptr_nonnull(strstr(f.detail, "IA32_VMX_PROCBASED_CTLS"));
	SET(VMCS_PROCBASED_CTLS, IA32_VMX_CR3_LOAD_EXITING |
	    IA32_VMX_CR3_STORE_EXITING);
	ck_assert_int_eq(vmentry_check_controls_and_host(&view, &f), -1);
	ck_assert_str_eq(f.rule->name, "ctl_exit_reserved");
}
END_TEST

START_TEST(test_entry_detail_names_field_and_value)
{
	struct vmentry_failure f;

	W(VMCS_GUEST_IA32_CR0, 0x60000010);
	ck_assert_int_eq(enter(&f), -1);
	ck_assert_str_eq(f.rule->name, "guest_cr0_fixed");
	ck_assert_ptr_nonnull(strstr(f.detail,
	    "VMCS_GUEST_IA32_CR0=0x60000010"));
	ck_assert_ptr_nonnull(strstr(f.detail, "unrestricted guest off"));
}
END_TEST

START_TEST(test_entry_msr_load_calls_load_per_entry)
{
	struct vmentry_failure f;
	unsigned int n = 0;

	msrs(MSR_CR_PAT, 0, VALID_PAT);
	ck_assert_int_eq(vmentry_load_msrs(&view, load_ok, &n, &f), 0);
	ck_assert_uint_eq(n, 2);
	msrs(MSR_CR_PAT, 0, BAD_MSR_VALUE);
	n = 0;
	ck_assert_int_eq(vmentry_load_msrs(&view, load_ok, &n, &f), -1);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f.rule->name, "msrload_wrmsr");
	ck_assert_uint_eq(f.exit_qual, 2);
}
END_TEST

START_TEST(test_entry_msr_load_stops_before_bad_entry)
{
	struct vmentry_failure f;
	unsigned int n = 0;

	msrs(MSR_FSBASE, 0, 0);
	ck_assert_int_eq(vmentry_load_msrs(&view, load_ok, &n, &f), -1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f.exit_reason, VMX_EXIT_ENTRY_FAILED_MSR_LOAD);
}
END_TEST

START_TEST(test_entry_explain_prints_rule_and_result)
{
	struct vmentry_failure f;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	brk_guest_link_ptr_align();
	ck_assert_int_eq(enter(&f), -1);
	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	vmentry_explain(&f, fp);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "guest_link_ptr_align"));
	ck_assert_ptr_nonnull(strstr(buf, "27.3.1.5"));
	ck_assert_ptr_nonnull(strstr(buf, f.rule->what));
	ck_assert_ptr_nonnull(strstr(buf, "VMCS_LINK_POINTER"));
	ck_assert_ptr_nonnull(strstr(buf, "exit reason 33"));
	ck_assert_ptr_nonnull(strstr(buf, "qualification 4"));
	free(buf);
}
END_TEST

static Suite *
entry_suite(void)
{
	Suite *s = suite_create("emu_entry");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_entry_rule_count_at_least_120);
	tcase_add_test(tc, test_entry_rules_named_and_unique);
	tcase_add_test(tc, test_entry_rules_grouped_by_kind);
	tcase_add_test(tc, test_entry_every_rule_has_a_breaking_test);
	tcase_add_test(tc, test_entry_valid_long_mode_ring0_guest_passes);
	tcase_add_test(tc, test_entry_valid_real_mode_unrestricted_guest_passes);
	tcase_add_test(tc, test_entry_valid_ring3_long_mode_guest_passes);
	tcase_add_test(tc, test_entry_valid_v86_guest_passes);
	tcase_add_test(tc, test_entry_valid_pae_guest_passes);
	tcase_add_test(tc, test_entry_valid_32bit_host_passes);
	tcase_add_test(tc, test_entry_valid_features_pass);
	tcase_add_test(tc, test_entry_real_mode_exception_has_no_error_code);
	tcase_add_test(tc, test_entry_basic56_lifts_error_code_consistency);
	tcase_add_test(tc, test_entry_zero_length_injection_needs_misc30);
	tcase_add_test(tc, test_entry_non_true_ctls_when_basic55_clear);
	tcase_add_test(tc, test_entry_detail_names_field_and_value);
	tcase_add_test(tc, test_entry_msr_load_calls_load_per_entry);
	tcase_add_test(tc, test_entry_msr_load_stops_before_bad_entry);
	tcase_add_test(tc, test_entry_explain_prints_rule_and_result);
	tcase_add_loop_test(tc, test_entry_rule_breaks_alone, 0,
	    (int)NBREAKERS);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(entry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
