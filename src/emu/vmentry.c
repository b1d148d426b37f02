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
 * The checks VM entry makes (SDM Vol. 3C §27.2-§27.4), one small function
 * per check, listed in vmentry_rules[] in the order the SDM gives them.
 * A check reads the VMCS through the view, never writes it, and on failure
 * says in f->detail which fields and values broke it.
 *
 * The simulated CPU is never in SMM and has no dual-monitor treatment, so
 * the checks that depend on "in SMM" take the not-in-SMM branch.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

#include "emu/vmcs_fields.h"
#include "emu/vmentry.h"
#include "emu/vmx_caps.h"

#define nitems_(a)	(sizeof(a) / sizeof((a)[0]))

/* A rule's check function. */
typedef int vmentry_check_fn(const struct vmentry_view *,
    struct vmentry_failure *);

/*
 * Helpers
 */

static uint64_t
rd(const struct vmentry_view *v, uint32_t enc)
{
	return (v->read(v->ctx, enc));
}

/* The VMCS_* name of a field, for details. */
static const char *
fname(uint32_t enc)
{
	const struct vmcs_field *fl = vmcs_field_lookup(enc);

	return (fl != NULL ? fl->name : "VMCS_?");
}

/* Fill f->detail and return -1 (the failing result of a check). */
static int fail(struct vmentry_failure *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static int
fail(struct vmentry_failure *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return (-1);
}

static uint32_t
pin(const struct vmentry_view *v)
{
	return ((uint32_t)rd(v, VMCS_PINBASED_CTLS));
}

static uint32_t
proc(const struct vmentry_view *v)
{
	return ((uint32_t)rd(v, VMCS_PROCBASED_CTLS));
}

/* Secondary controls; all 0 when "activate secondary controls" is 0. */
static uint32_t
proc2(const struct vmentry_view *v)
{
	if (!(proc(v) & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS))
		return (0);
	return ((uint32_t)rd(v, VMCS_PROCBASED2_CTLS));
}

/* Tertiary controls; all 0 when "activate tertiary controls" is 0. */
static uint64_t
proc3(const struct vmentry_view *v)
{
	if (!(proc(v) & IA32_VMX_ACTIVATE_TERTIARY_CONTROLS))
		return (0);
	return (rd(v, VMCS_PROCBASED3_CTLS));
}

static uint32_t
exitc(const struct vmentry_view *v)
{
	return ((uint32_t)rd(v, VMCS_EXIT_CTLS));
}

static uint32_t
entryc(const struct vmentry_view *v)
{
	return ((uint32_t)rd(v, VMCS_ENTRY_CTLS));
}

static int
pa_ok(const struct vmentry_view *v, uint64_t pa)
{
	return (v->physaddr_bits >= 64 || (pa >> v->physaddr_bits) == 0);
}

static int
linear_bits(const struct vmentry_view *v)
{
	return ((v->caps->cr4_fixed1 & CR4_LA57) ? LINEAR_ADDR_BITS_LA57 :
	    LINEAR_ADDR_BITS);
}

/* Bits 63:N-1 of a linear address all equal (N the linear width). */
static int
canonical(const struct vmentry_view *v, uint64_t va)
{
	int sh = 64 - linear_bits(v);

	return ((uint64_t)((int64_t)(va << sh) >> sh) == va);
}

/* A field holding a linear address must be canonical. */
static int
check_canonical(const struct vmentry_view *v, struct vmentry_failure *f,
    uint32_t enc)
{
	uint64_t va = rd(v, enc);

	if (!canonical(v, va))
		return (fail(f, "%s=%#" PRIx64 ": not canonical (%d-bit "
		    "linear addresses)", fname(enc), va, linear_bits(v)));
	return (0);
}

/*
 * A field holding a physical address must be aligned to align bytes and
 * set no bit beyond the physical-address width.
 */
static int
check_paddr(const struct vmentry_view *v, struct vmentry_failure *f,
    uint32_t enc, uint64_t align, const char *why)
{
	uint64_t pa = rd(v, enc);

	if ((pa & (align - 1)) != 0)
		return (fail(f, "%s=%#" PRIx64 ": not %" PRIu64 "-byte aligned "
		    "(%s)", fname(enc), pa, align, why));
	if (!pa_ok(v, pa))
		return (fail(f, "%s=%#" PRIx64 ": sets bits beyond the %d-bit "
		    "physical-address width (%s)", fname(enc), pa,
		    v->physaddr_bits, why));
	return (0);
}

/*
 * An MSR-load/store area (§27.2.1.2, §27.2.1.3): when the count is not 0,
 * the address is 16-byte aligned and neither it nor the address of the
 * area's last byte sets a bit beyond the physical-address width.
 */
static int
check_msr_area(const struct vmentry_view *v, struct vmentry_failure *f,
    uint32_t count_enc, uint32_t addr_enc)
{
	uint64_t count = rd(v, count_enc), pa = rd(v, addr_enc);
	uint64_t last;

	if (count == 0)
		return (0);
	if (check_paddr(v, f, addr_enc, VMX_MSR_AREA_ALIGN, "MSR area") != 0)
		return (-1);
	last = pa + count * VMX_MSR_ENTRY_SIZE - 1;
	if (!pa_ok(v, last))
		return (fail(f, "%s=%#" PRIx64 " %s=%" PRIu64 ": last byte %#"
		    PRIx64 " beyond the %d-bit physical-address width",
		    fname(addr_enc), pa, fname(count_enc), count, last,
		    v->physaddr_bits));
	return (0);
}

/* A 32-bit control field against its capability MSR (Appendix A.3-A.5). */
static int
check_ctls(struct vmentry_failure *f, uint32_t enc, uint32_t val,
    uint64_t cap, const char *capname)
{
	uint32_t must1 = vmx_ctl_allowed0(cap), may1 = vmx_ctl_allowed1(cap);

	if ((val & must1) != must1)
		return (fail(f, "%s=%#x: bits %#x clear but %s requires them "
		    "set", fname(enc), val, must1 & ~val, capname));
	if ((val & ~may1) != 0)
		return (fail(f, "%s=%#x: bits %#x set but %s allows only %#x",
		    fname(enc), val, val & ~may1, capname, may1));
	return (0);
}

/* Each byte of an IA32_PAT value is a valid memory type. */
static int
check_pat(struct vmentry_failure *f, uint32_t enc, uint64_t pat)
{
	unsigned int i, type;

	for (i = 0; i < 8; i++) {
		type = (pat >> (8 * i)) & 0xFF;
		if (type > 7 || !(PAT_ENTRY_VALID_TYPES & (1U << type)))
			return (fail(f, "%s=%#" PRIx64 ": PA%u is %u (reserved "
			    "memory type; only 0, 1, 4, 5, 6, 7)", fname(enc),
			    pat, i, type));
	}
	return (0);
}

/*
 * §27.2.1.1 VM-execution control fields
 */

static int
chk_ctl_pinbased_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_ctls(f, VMCS_PINBASED_CTLS, pin(v),
	    vmx_caps_pinbased_ctls(v->caps),
	    (v->caps->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    "IA32_VMX_TRUE_PINBASED_CTLS" : "IA32_VMX_PINBASED_CTLS"));
}

static int
chk_ctl_procbased_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_ctls(f, VMCS_PROCBASED_CTLS, proc(v),
	    vmx_caps_procbased_ctls(v->caps),
	    (v->caps->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    "IA32_VMX_TRUE_PROCBASED_CTLS" : "IA32_VMX_PROCBASED_CTLS"));
}

static int
chk_ctl_procbased2_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc(v) & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS))
		return (0);
	return (check_ctls(f, VMCS_PROCBASED2_CTLS, proc2(v),
	    v->caps->procbased2, "IA32_VMX_PROCBASED2_CTLS"));
}

static int
chk_ctl_procbased3_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t p3 = proc3(v);

	if ((p3 & ~v->caps->procbased3) != 0)
		return (fail(f, "%s=%#" PRIx64 ": bits %#" PRIx64 " set but "
		    "IA32_VMX_PROCBASED3_CTLS allows only %#" PRIx64,
		    fname(VMCS_PROCBASED3_CTLS), p3, p3 & ~v->caps->procbased3,
		    v->caps->procbased3));
	return (0);
}

static int
chk_ctl_cr3_target_count(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t n = rd(v, VMCS_CR3_TARGET_COUNT);
	uint64_t max = (v->caps->misc & IA32_VMX_CR3_TGT_SIZE_MASK) >>
	    IA32_VMX_CR3_TGT_SIZE_SHIFT;

	if (n > max)
		return (fail(f, "%s=%" PRIu64 ": more than the %" PRIu64
		    " CR3-target values IA32_VMX_MISC[24:16] allows",
		    fname(VMCS_CR3_TARGET_COUNT), n, max));
	return (0);
}

static int
chk_ctl_io_bitmap_a(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(proc(v) & IA32_VMX_USE_IO_BITMAPS))
		return (0);
	return (check_paddr(v, f, VMCS_IO_BITMAP_A, VMX_PAGE_SIZE,
	    "use I/O bitmaps"));
}

static int
chk_ctl_io_bitmap_b(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(proc(v) & IA32_VMX_USE_IO_BITMAPS))
		return (0);
	return (check_paddr(v, f, VMCS_IO_BITMAP_B, VMX_PAGE_SIZE,
	    "use I/O bitmaps"));
}

static int
chk_ctl_msr_bitmap(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(proc(v) & IA32_VMX_USE_MSR_BITMAPS))
		return (0);
	return (check_paddr(v, f, VMCS_MSR_BITMAP_ADDRESS, VMX_PAGE_SIZE,
	    "use MSR bitmaps"));
}

static int
chk_ctl_virtual_apic_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc(v) & IA32_VMX_USE_TPR_SHADOW))
		return (0);
	return (check_paddr(v, f, VMCS_VIRTUAL_APIC_ADDRESS, VMX_PAGE_SIZE,
	    "use TPR shadow"));
}

static int
chk_ctl_tpr_threshold_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t t = rd(v, VMCS_TPR_THRESHOLD);

	if (!(proc(v) & IA32_VMX_USE_TPR_SHADOW) ||
	    (proc2(v) & IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY))
		return (0);
	if (t & VMX_TPR_THRESHOLD_RESERVED)
		return (fail(f, "%s=%#" PRIx64 ": bits 31:4 set (use TPR "
		    "shadow without virtual-interrupt delivery)",
		    fname(VMCS_TPR_THRESHOLD), t));
	return (0);
}

/*
 * With a TPR shadow and neither APIC-access virtualization nor virtual-
 * interrupt delivery, TPR threshold bits 3:0 must not exceed VTPR bits 7:4
 * (read from the virtual-APIC page).
 */
static int
chk_ctl_tpr_threshold_vtpr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t t = rd(v, VMCS_TPR_THRESHOLD) & 0xF;
	uint64_t pa = rd(v, VMCS_VIRTUAL_APIC_ADDRESS) + VAPIC_VTPR_OFFSET;
	uint8_t vtpr;

	if (!(proc(v) & IA32_VMX_USE_TPR_SHADOW) ||
	    (proc2(v) & (IA32_VMX_VIRTUALIZE_APIC |
	    IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY)))
		return (0);
	/* A threshold of 0 is below any VTPR: nothing to read. */
	if (t == 0)
		return (0);
	if (v->read_phys(v->ctx, pa, &vtpr, sizeof(vtpr)) != 0)
		return (fail(f, "%s=%#" PRIx64 ": VTPR at %#" PRIx64 " is not "
		    "backed by memory", fname(VMCS_VIRTUAL_APIC_ADDRESS),
		    pa - VAPIC_VTPR_OFFSET, pa));
	if (t > (uint64_t)(vtpr >> 4))
		return (fail(f, "%s[3:0]=%#" PRIx64 " > VTPR[7:4]=%#x (VTPR "
		    "%#x at %#" PRIx64 ")", fname(VMCS_TPR_THRESHOLD), t,
		    vtpr >> 4, vtpr, pa));
	return (0);
}

static int
chk_ctl_apic_virt_needs_tpr_shadow(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t bad = proc2(v) & (IA32_VMX_VIRTUALIZE_X2APIC_MODE |
	    IA32_VMX_APIC_REGISTER_VIRTUALIZATION |
	    IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY);

	if (!(proc(v) & IA32_VMX_USE_TPR_SHADOW) && bad != 0)
		return (fail(f, "%s=%#x: x2APIC/APIC-register virtualization "
		    "or virtual-interrupt delivery (%#x) without use TPR "
		    "shadow (%s=%#x)", fname(VMCS_PROCBASED2_CTLS), proc2(v),
		    bad, fname(VMCS_PROCBASED_CTLS), proc(v)));
	return (0);
}

static int
chk_ctl_virtual_nmis_need_nmi_exiting(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((pin(v) & IA32_VMX_VIRTUAL_NMIS) && !(pin(v) & IA32_VMX_NMI_EXITING))
		return (fail(f, "%s=%#x: virtual NMIs set but NMI exiting "
		    "clear", fname(VMCS_PINBASED_CTLS), pin(v)));
	return (0);
}

static int
chk_ctl_nmi_window_needs_virtual_nmis(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((proc(v) & IA32_VMX_NMI_WINDOW_EXITING) &&
	    !(pin(v) & IA32_VMX_VIRTUAL_NMIS))
		return (fail(f, "%s=%#x: NMI-window exiting set but virtual "
		    "NMIs clear (%s=%#x)", fname(VMCS_PROCBASED_CTLS), proc(v),
		    fname(VMCS_PINBASED_CTLS), pin(v)));
	return (0);
}

static int
chk_ctl_apic_access_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_VIRTUALIZE_APIC))
		return (0);
	return (check_paddr(v, f, VMCS_APIC_ACCESS_ADDRESS, VMX_PAGE_SIZE,
	    "virtualize APIC accesses"));
}

static int
chk_ctl_x2apic_excludes_apic_access(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t p2 = proc2(v);

	if ((p2 & IA32_VMX_VIRTUALIZE_X2APIC_MODE) &&
	    (p2 & IA32_VMX_VIRTUALIZE_APIC))
		return (fail(f, "%s=%#x: virtualize x2APIC mode and "
		    "virtualize APIC accesses both set",
		    fname(VMCS_PROCBASED2_CTLS), p2));
	return (0);
}

static int
chk_ctl_vid_needs_ext_int_exiting(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((proc2(v) & IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY) &&
	    !(pin(v) & IA32_VMX_EXTERNAL_INT_EXITING))
		return (fail(f, "%s=%#x: virtual-interrupt delivery set but "
		    "external-interrupt exiting clear (%s=%#x)",
		    fname(VMCS_PROCBASED2_CTLS), proc2(v),
		    fname(VMCS_PINBASED_CTLS), pin(v)));
	return (0);
}

static int
chk_ctl_posted_int_needs_vid(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((pin(v) & IA32_VMX_PROCESS_POSTED_INTERRUPTS) &&
	    !(proc2(v) & IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY))
		return (fail(f, "%s=%#x: process posted interrupts set but "
		    "virtual-interrupt delivery clear (%s=%#x)",
		    fname(VMCS_PINBASED_CTLS), pin(v),
		    fname(VMCS_PROCBASED2_CTLS), proc2(v)));
	return (0);
}

static int
chk_ctl_posted_int_needs_ack(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((pin(v) & IA32_VMX_PROCESS_POSTED_INTERRUPTS) &&
	    !(exitc(v) & IA32_VMX_ACKNOWLEDGE_INTERRUPT_ON_EXIT))
		return (fail(f, "%s=%#x: process posted interrupts set but "
		    "acknowledge interrupt on exit clear (%s=%#x)",
		    fname(VMCS_PINBASED_CTLS), pin(v), fname(VMCS_EXIT_CTLS),
		    exitc(v)));
	return (0);
}

static int
chk_ctl_posted_int_vector(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t nv = rd(v, VMCS_POSTED_INT_NOTIF_VECTOR);

	if ((pin(v) & IA32_VMX_PROCESS_POSTED_INTERRUPTS) &&
	    (nv & VMX_PI_NV_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": bits 15:8 set (process "
		    "posted interrupts)", fname(VMCS_POSTED_INT_NOTIF_VECTOR),
		    nv));
	return (0);
}

static int
chk_ctl_posted_int_desc_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(pin(v) & IA32_VMX_PROCESS_POSTED_INTERRUPTS))
		return (0);
	return (check_paddr(v, f, VMCS_POSTED_INTERRUPT_DESC,
	    VMX_PI_DESC_ALIGN, "process posted interrupts"));
}

static int
chk_ctl_vpid_nonzero(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if ((proc2(v) & IA32_VMX_ENABLE_VPID) && rd(v, VMCS_GUEST_VPID) == 0)
		return (fail(f, "%s=0 with enable VPID set (%s=%#x)",
		    fname(VMCS_GUEST_VPID), fname(VMCS_PROCBASED2_CTLS),
		    proc2(v)));
	return (0);
}

static int
chk_ctl_eptp_memtype(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t eptp = rd(v, VMCS_GUEST_IA32_EPTP);
	uint64_t mt = eptp & IA32_EPT_PAGING_CACHE_MASK;
	uint64_t cap = v->caps->ept_vpid_cap;

	if (!(proc2(v) & IA32_VMX_ENABLE_EPT))
		return (0);
	if ((mt == IA32_EPT_PAGING_CACHE_TYPE_UC &&
	    (cap & IA32_EPT_VPID_CAP_UC)) ||
	    (mt == IA32_EPT_PAGING_CACHE_TYPE_WB &&
	    (cap & IA32_EPT_VPID_CAP_WB)))
		return (0);
	return (fail(f, "%s=%#" PRIx64 ": memory type %" PRIu64 " not "
	    "supported (IA32_VMX_EPT_VPID_CAP=%#" PRIx64 ": UC %s, WB %s)",
	    fname(VMCS_GUEST_IA32_EPTP), eptp, mt, cap,
	    (cap & IA32_EPT_VPID_CAP_UC) ? "yes" : "no",
	    (cap & IA32_EPT_VPID_CAP_WB) ? "yes" : "no"));
}

static int
chk_ctl_eptp_walk_length(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t eptp = rd(v, VMCS_GUEST_IA32_EPTP);
	uint64_t wl = ((eptp & IA32_EPT_PAGE_WALK_MASK) >>
	    IA32_EPT_PAGE_WALK_SHIFT) + 1;
	uint64_t cap = v->caps->ept_vpid_cap;

	if (!(proc2(v) & IA32_VMX_ENABLE_EPT))
		return (0);
	if ((wl == 4 && (cap & IA32_EPT_VPID_CAP_PAGE_WALK_4)) ||
	    (wl == 5 && (cap & IA32_EPT_VPID_CAP_PAGE_WALK_5)))
		return (0);
	return (fail(f, "%s=%#" PRIx64 ": bits 5:3 give a %" PRIu64 "-level "
	    "walk, not supported (IA32_VMX_EPT_VPID_CAP=%#" PRIx64 ")",
	    fname(VMCS_GUEST_IA32_EPTP), eptp, wl, cap));
}

static int
chk_ctl_eptp_ad(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t eptp = rd(v, VMCS_GUEST_IA32_EPTP);

	if ((proc2(v) & IA32_VMX_ENABLE_EPT) &&
	    (eptp & IA32_EPT_AD_BITS_ENABLE) &&
	    !(v->caps->ept_vpid_cap & IA32_EPT_VPID_CAP_AD_BITS))
		return (fail(f, "%s=%#" PRIx64 ": bit 6 (accessed/dirty flags) "
		    "set but IA32_VMX_EPT_VPID_CAP[21] is 0",
		    fname(VMCS_GUEST_IA32_EPTP), eptp));
	return (0);
}

static int
chk_ctl_eptp_sss(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t eptp = rd(v, VMCS_GUEST_IA32_EPTP);

	if ((proc2(v) & IA32_VMX_ENABLE_EPT) && (eptp & IA32_EPT_SSS_ENABLE) &&
	    !(v->caps->ept_vpid_cap & IA32_EPT_VPID_CAP_SSS))
		return (fail(f, "%s=%#" PRIx64 ": bit 7 (supervisor shadow-"
		    "stack control) set but IA32_VMX_EPT_VPID_CAP[23] is 0",
		    fname(VMCS_GUEST_IA32_EPTP), eptp));
	return (0);
}

static int
chk_ctl_eptp_reserved(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t eptp = rd(v, VMCS_GUEST_IA32_EPTP);

	if (!(proc2(v) & IA32_VMX_ENABLE_EPT))
		return (0);
	if (eptp & IA32_EPT_RESERVED_LOW)
		return (fail(f, "%s=%#" PRIx64 ": reserved bits 11:8 set",
		    fname(VMCS_GUEST_IA32_EPTP), eptp));
	if (!pa_ok(v, eptp))
		return (fail(f, "%s=%#" PRIx64 ": sets bits beyond the %d-bit "
		    "physical-address width", fname(VMCS_GUEST_IA32_EPTP),
		    eptp, v->physaddr_bits));
	return (0);
}

static int
chk_ctl_pml_needs_ept(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint32_t p2 = proc2(v);

	if ((p2 & IA32_VMX_ENABLE_PML) && !(p2 & IA32_VMX_ENABLE_EPT))
		return (fail(f, "%s=%#x: enable PML set but enable EPT clear",
		    fname(VMCS_PROCBASED2_CTLS), p2));
	return (0);
}

static int
chk_ctl_pml_addr(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_ENABLE_PML))
		return (0);
	return (check_paddr(v, f, VMCS_PML_ADDRESS, VMX_PAGE_SIZE,
	    "enable PML"));
}

static int
chk_ctl_unrestricted_needs_ept(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t p2 = proc2(v);

	if ((p2 & IA32_VMX_UNRESTRICTED_GUEST) && !(p2 & IA32_VMX_ENABLE_EPT))
		return (fail(f, "%s=%#x: unrestricted guest set but enable EPT "
		    "clear", fname(VMCS_PROCBASED2_CTLS), p2));
	return (0);
}

static int
chk_ctl_mbec_needs_ept(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint32_t p2 = proc2(v);

	if ((p2 & IA32_VMX_MODE_BASED_EPT_EXEC) && !(p2 & IA32_VMX_ENABLE_EPT))
		return (fail(f, "%s=%#x: mode-based execute control for EPT "
		    "set but enable EPT clear", fname(VMCS_PROCBASED2_CTLS),
		    p2));
	return (0);
}

static int
chk_ctl_spp_needs_ept(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint32_t p2 = proc2(v);

	if ((p2 & IA32_VMX_EPT_SUBPAGE_WRITE) && !(p2 & IA32_VMX_ENABLE_EPT))
		return (fail(f, "%s=%#x: sub-page write permissions for EPT "
		    "set but enable EPT clear", fname(VMCS_PROCBASED2_CTLS),
		    p2));
	return (0);
}

static int
chk_ctl_spp_table_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_EPT_SUBPAGE_WRITE))
		return (0);
	return (check_paddr(v, f, VMCS_SPP_TABLE_POINTER, VMX_PAGE_SIZE,
	    "sub-page write permissions for EPT"));
}

static int
chk_ctl_vmfunc_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t vf = rd(v, VMCS_VM_FUNCTION_CONTROLS);

	if ((proc2(v) & IA32_VMX_ENABLE_VM_FUNCTIONS) &&
	    (vf & ~v->caps->vmfunc))
		return (fail(f, "%s=%#" PRIx64 ": bits %#" PRIx64 " set but "
		    "IA32_VMX_VMFUNC allows only %#" PRIx64,
		    fname(VMCS_VM_FUNCTION_CONTROLS), vf, vf & ~v->caps->vmfunc,
		    v->caps->vmfunc));
	return (0);
}

static int
eptp_switching(const struct vmentry_view *v)
{
	return ((proc2(v) & IA32_VMX_ENABLE_VM_FUNCTIONS) &&
	    (rd(v, VMCS_VM_FUNCTION_CONTROLS) &
	    IA32_VMX_VMFUNC_EPTP_SWITCHING));
}

static int
chk_ctl_eptp_switching_needs_ept(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (eptp_switching(v) && !(proc2(v) & IA32_VMX_ENABLE_EPT))
		return (fail(f, "%s=%#" PRIx64 ": EPTP switching set but "
		    "enable EPT clear (%s=%#x)",
		    fname(VMCS_VM_FUNCTION_CONTROLS),
		    rd(v, VMCS_VM_FUNCTION_CONTROLS),
		    fname(VMCS_PROCBASED2_CTLS), proc2(v)));
	return (0);
}

static int
chk_ctl_eptp_list_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!eptp_switching(v))
		return (0);
	return (check_paddr(v, f, VMCS_EPTP_LIST_ADDRESS, VMX_PAGE_SIZE,
	    "EPTP switching"));
}

static int
chk_ctl_vmread_bitmap_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_VMCS_SHADOWING))
		return (0);
	return (check_paddr(v, f, VMCS_VMREAD_BITMAP_ADDRESS, VMX_PAGE_SIZE,
	    "VMCS shadowing"));
}

static int
chk_ctl_vmwrite_bitmap_addr(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_VMCS_SHADOWING))
		return (0);
	return (check_paddr(v, f, VMCS_VMWRITE_BITMAP_ADDRESS, VMX_PAGE_SIZE,
	    "VMCS shadowing"));
}

static int
chk_ctl_ve_info_addr(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(proc2(v) & IA32_VMX_EPT_VIOLATION_VE))
		return (0);
	return (check_paddr(v, f, VMCS_VIRTUALIZATION_EXC_ADDRESS,
	    VMX_PAGE_SIZE, "EPT-violation #VE"));
}

/*
 * §27.2.1.2 VM-exit control fields
 */

static int
chk_ctl_exit_reserved(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_ctls(f, VMCS_EXIT_CTLS, exitc(v),
	    vmx_caps_exit_ctls(v->caps),
	    (v->caps->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    "IA32_VMX_TRUE_EXIT_CTLS" : "IA32_VMX_EXIT_CTLS"));
}

static int
chk_ctl_exit2_reserved(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t e2;

	if (!(exitc(v) & IA32_VMX_ACTIVATE_SECONDARY_EXIT_CONTROLS))
		return (0);
	e2 = rd(v, VMCS_SECONDARY_EXIT_CTLS);
	if (e2 & ~v->caps->exit2)
		return (fail(f, "%s=%#" PRIx64 ": bits %#" PRIx64 " set but "
		    "IA32_VMX_EXIT_CTLS2 allows only %#" PRIx64,
		    fname(VMCS_SECONDARY_EXIT_CTLS), e2, e2 & ~v->caps->exit2,
		    v->caps->exit2));
	return (0);
}

static int
chk_ctl_save_preempt_needs_activate(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((exitc(v) & IA32_VMX_SAVE_VMX_PREEMPTION_TIMER) &&
	    !(pin(v) & IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER))
		return (fail(f, "%s=%#x: save VMX-preemption-timer value set "
		    "but activate VMX-preemption timer clear (%s=%#x)",
		    fname(VMCS_EXIT_CTLS), exitc(v), fname(VMCS_PINBASED_CTLS),
		    pin(v)));
	return (0);
}

static int
chk_ctl_exit_msr_store_area(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_msr_area(v, f, VMCS_EXIT_MSR_STORE_COUNT,
	    VMCS_EXIT_STORE_MSR_ADDRESS));
}

static int
chk_ctl_exit_msr_load_area(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_msr_area(v, f, VMCS_EXIT_MSR_LOAD_COUNT,
	    VMCS_EXIT_LOAD_MSR_ADDRESS));
}

/*
 * §27.2.1.3 VM-entry control fields
 */

static int
chk_ctl_entry_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_ctls(f, VMCS_ENTRY_CTLS, entryc(v),
	    vmx_caps_entry_ctls(v->caps),
	    (v->caps->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    "IA32_VMX_TRUE_ENTRY_CTLS" : "IA32_VMX_ENTRY_CTLS"));
}

/* The VM-entry interruption-information field, 0 when not valid. */
static uint32_t
intr_info(const struct vmentry_view *v)
{
	uint32_t ii = (uint32_t)rd(v, VMCS_ENTRY_INTERRUPTION_INFO);

	return ((ii & VMX_INTR_INFO_VALID) ? ii : 0);
}

static unsigned int
intr_type(uint32_t ii)
{
	return ((ii & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT);
}

static unsigned int
intr_vector(uint32_t ii)
{
	return (ii & VMX_INTR_INFO_VECTOR_MASK);
}

/* Valid and of the given type. */
static int
injecting(const struct vmentry_view *v, unsigned int type)
{
	uint32_t ii = intr_info(v);

	return (ii != 0 && intr_type(ii) == type);
}

static int
chk_ctl_intr_type_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii != 0 && intr_type(ii) == VMX_INTR_TYPE_RESERVED)
		return (fail(f, "%s=%#x: interruption type 1 is reserved",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii));
	return (0);
}

static int
chk_ctl_intr_type_other(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii != 0 && intr_type(ii) == VMX_INTR_TYPE_OTHER &&
	    !(vmx_ctl_allowed1(vmx_caps_procbased_ctls(v->caps)) &
	    IA32_VMX_MONITOR_TRAP_FLAG))
		return (fail(f, "%s=%#x: interruption type 7 (other event) "
		    "but the monitor trap flag is not supported",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii));
	return (0);
}

static int
chk_ctl_intr_nmi_vector(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii != 0 && intr_type(ii) == VMX_INTR_TYPE_NMI &&
	    intr_vector(ii) != VMX_VEC_NMI)
		return (fail(f, "%s=%#x: NMI with vector %u, not 2",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii, intr_vector(ii)));
	return (0);
}

static int
chk_ctl_intr_hw_exc_vector(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii != 0 && intr_type(ii) == VMX_INTR_TYPE_HW_EXC &&
	    intr_vector(ii) > VMX_HW_EXC_VECTOR_MAX)
		return (fail(f, "%s=%#x: hardware exception with vector %u > "
		    "31", fname(VMCS_ENTRY_INTERRUPTION_INFO), ii,
		    intr_vector(ii)));
	return (0);
}

static int
chk_ctl_intr_other_vector(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii != 0 && intr_type(ii) == VMX_INTR_TYPE_OTHER &&
	    intr_vector(ii) != 0)
		return (fail(f, "%s=%#x: other event (pending MTF VM exit) "
		    "with vector %u, not 0", fname(VMCS_ENTRY_INTERRUPTION_INFO),
		    ii, intr_vector(ii)));
	return (0);
}

/* "Unrestricted guest" is 0 or guest CR0.PE is 1. */
static int
intr_prot_mode(const struct vmentry_view *v)
{
	return (!(proc2(v) & IA32_VMX_UNRESTRICTED_GUEST) ||
	    (rd(v, VMCS_GUEST_IA32_CR0) & CR0_PE));
}

/*
 * Deliver-error-code must be 0 for anything but a hardware exception and
 * for any event into an unrestricted guest with CR0.PE clear.
 */
static int
chk_ctl_intr_errcode_not_allowed(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii == 0 || !(ii & VMX_INTR_INFO_ERRCODE))
		return (0);
	if (intr_type(ii) != VMX_INTR_TYPE_HW_EXC)
		return (fail(f, "%s=%#x: deliver error code set for "
		    "interruption type %u (not a hardware exception)",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii, intr_type(ii)));
	if (!intr_prot_mode(v))
		return (fail(f, "%s=%#x: deliver error code set but %s=%#"
		    PRIx64 " has PE clear (unrestricted guest)",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii,
		    fname(VMCS_GUEST_IA32_CR0), rd(v, VMCS_GUEST_IA32_CR0)));
	return (0);
}

/*
 * A hardware exception in protected mode delivers an error code iff its
 * vector has one (8, 10-14, 17, and 21 with CET), unless
 * IA32_VMX_BASIC[56] lifts the check.
 */
static int
chk_ctl_intr_errcode_consistency(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v), vecs = VMX_ERRCODE_VECTORS;
	int want, has;

	if (ii == 0 || intr_type(ii) != VMX_INTR_TYPE_HW_EXC ||
	    !intr_prot_mode(v) ||
	    (v->caps->basic & IA32_VMX_BASIC_NO_ERRCODE_CHECK))
		return (0);
	if (vmx_ctl_allowed1(vmx_caps_entry_ctls(v->caps)) &
	    IA32_VMX_LOAD_GUEST_CET_STATE)
		vecs |= 1U << VMX_VEC_CP;
	want = intr_vector(ii) < 32 && (vecs & (1U << intr_vector(ii)));
	has = (ii & VMX_INTR_INFO_ERRCODE) != 0;
	if (want != has)
		return (fail(f, "%s=%#x: vector %u %s an error code but "
		    "deliver error code is %d",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii, intr_vector(ii),
		    want ? "has" : "has no", has));
	return (0);
}

static int
chk_ctl_intr_info_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (ii & VMX_INTR_INFO_RESERVED)
		return (fail(f, "%s=%#x: reserved bits 30:12 set",
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii));
	return (0);
}

static int
chk_ctl_intr_errcode_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);
	uint64_t ec = rd(v, VMCS_ENTRY_EXCEPTION_ERROR_CODE);

	if ((ii & VMX_INTR_INFO_ERRCODE) && (ec & VMX_ERRCODE_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": bits 31:16 set (deliver "
		    "error code in %s=%#x)",
		    fname(VMCS_ENTRY_EXCEPTION_ERROR_CODE), ec,
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii));
	return (0);
}

static int
chk_ctl_intr_insn_length(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);
	uint64_t len = rd(v, VMCS_ENTRY_INSTRUCTION_LENGTH);
	uint64_t min = (v->caps->misc & IA32_VMX_MISC_ZERO_LEN_INJECT) ? 0 : 1;

	if (ii == 0 || (intr_type(ii) != VMX_INTR_TYPE_SW_INT &&
	    intr_type(ii) != VMX_INTR_TYPE_PRIV_SW_EXC &&
	    intr_type(ii) != VMX_INTR_TYPE_SW_EXC))
		return (0);
	if (len < min || len > VMX_MAX_INSN_LENGTH)
		return (fail(f, "%s=%" PRIu64 ": not in %" PRIu64 "..15 for a "
		    "software event (%s=%#x)",
		    fname(VMCS_ENTRY_INSTRUCTION_LENGTH), len, min,
		    fname(VMCS_ENTRY_INTERRUPTION_INFO), ii));
	return (0);
}

static int
chk_ctl_entry_msr_load_area(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_msr_area(v, f, VMCS_ENTRY_MSR_LOAD_COUNT,
	    VMCS_ENTRY_LOAD_MSR_ADDRESS));
}

static int
chk_ctl_entry_smm_and_dual_monitor(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t both = IA32_VMX_ENTRY_TO_SMM |
	    IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT;

	if ((entryc(v) & both) == both)
		return (fail(f, "%s=%#x: entry to SMM and deactivate "
		    "dual-monitor treatment both set", fname(VMCS_ENTRY_CTLS),
		    entryc(v)));
	return (0);
}

static int
chk_ctl_entry_to_smm_outside_smm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (entryc(v) & IA32_VMX_ENTRY_TO_SMM)
		return (fail(f, "%s=%#x: entry to SMM set outside SMM",
		    fname(VMCS_ENTRY_CTLS), entryc(v)));
	return (0);
}

static int
chk_ctl_dual_monitor_outside_smm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (entryc(v) & IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT)
		return (fail(f, "%s=%#x: deactivate dual-monitor treatment set "
		    "outside SMM", fname(VMCS_ENTRY_CTLS), entryc(v)));
	return (0);
}

/*
 * §27.2.2 host control registers, MSRs
 */

/* A CR0/CR4 value against IA32_VMX_CRn_FIXED0/1. */
static int
check_fixed(struct vmentry_failure *f, uint32_t enc, uint64_t val,
    uint64_t fixed0, uint64_t fixed1, uint64_t ignore, const char *crn)
{
	uint64_t must1 = fixed0 & ~ignore, may1 = fixed1 | ignore;

	if ((val & must1) != must1)
		return (fail(f, "%s=%#" PRIx64 ": bits %#" PRIx64 " clear but "
		    "%s_FIXED0 requires them", fname(enc), val, must1 & ~val,
		    crn));
	if (val & ~may1)
		return (fail(f, "%s=%#" PRIx64 ": bits %#" PRIx64 " set but "
		    "%s_FIXED1 forbids them", fname(enc), val, val & ~may1,
		    crn));
	return (0);
}

static int
host_ia32e(const struct vmentry_view *v)
{
	return ((exitc(v) & IA32_VMX_HOST_SPACE_ADDRESS_SIZE) != 0);
}

static int
chk_host_cr0_fixed(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_fixed(f, VMCS_HOST_IA32_CR0, rd(v, VMCS_HOST_IA32_CR0),
	    v->caps->cr0_fixed0, v->caps->cr0_fixed1, 0, "IA32_VMX_CR0"));
}

static int
chk_host_cr4_fixed(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_fixed(f, VMCS_HOST_IA32_CR4, rd(v, VMCS_HOST_IA32_CR4),
	    v->caps->cr4_fixed0, v->caps->cr4_fixed1, 0, "IA32_VMX_CR4"));
}

static int
chk_host_cr3_width(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t cr3 = rd(v, VMCS_HOST_IA32_CR3);

	if (!pa_ok(v, cr3))
		return (fail(f, "%s=%#" PRIx64 ": sets bits beyond the %d-bit "
		    "physical-address width", fname(VMCS_HOST_IA32_CR3), cr3,
		    v->physaddr_bits));
	return (0);
}

static int
chk_host_cr4_cet_needs_wp(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t cr0 = rd(v, VMCS_HOST_IA32_CR0), cr4 = rd(v, VMCS_HOST_IA32_CR4);

	if ((cr4 & CR4_CET) && !(cr0 & CR0_WP))
		return (fail(f, "%s=%#" PRIx64 ": CET set but %s=%#" PRIx64
		    " has WP clear", fname(VMCS_HOST_IA32_CR4), cr4,
		    fname(VMCS_HOST_IA32_CR0), cr0));
	return (0);
}

static int
chk_host_sysenter_esp(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_SYSENTER_ESP));
}

static int
chk_host_sysenter_eip(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_SYSENTER_EIP));
}

static int
chk_host_perf_global_ctrl(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t val = rd(v, VMCS_HOST_IA32_PERF_GBL_CTRL);

	if ((exitc(v) & IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_EXIT) &&
	    (val & ~PERF_GLOBAL_CTRL_VALID))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set (load IA32_PERF_GLOBAL_CTRL on exit)",
		    fname(VMCS_HOST_IA32_PERF_GBL_CTRL), val,
		    (uint64_t)(val & ~PERF_GLOBAL_CTRL_VALID)));
	return (0);
}

static int
chk_host_pat(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(exitc(v) & IA32_VMX_LOAD_IA32_PAT_ON_EXIT))
		return (0);
	return (check_pat(f, VMCS_HOST_IA32_PAT, rd(v, VMCS_HOST_IA32_PAT)));
}

static int
chk_host_efer_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t efer = rd(v, VMCS_HOST_IA32_EFER);

	if ((exitc(v) & IA32_VMX_LOAD_IA32_EFER_ON_EXIT) &&
	    (efer & EFER_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set (load IA32_EFER on exit)",
		    fname(VMCS_HOST_IA32_EFER), efer, (uint64_t)(efer & EFER_RESERVED)));
	return (0);
}

static int
check_host_efer_bit(const struct vmentry_view *v, struct vmentry_failure *f,
    uint64_t bit, const char *name)
{
	uint64_t efer = rd(v, VMCS_HOST_IA32_EFER);

	if (!(exitc(v) & IA32_VMX_LOAD_IA32_EFER_ON_EXIT))
		return (0);
	if (((efer & bit) != 0) != host_ia32e(v))
		return (fail(f, "%s=%#" PRIx64 ": %s is %d but host address-"
		    "space size is %d (%s=%#x)", fname(VMCS_HOST_IA32_EFER),
		    efer, name, (efer & bit) != 0, host_ia32e(v),
		    fname(VMCS_EXIT_CTLS), exitc(v)));
	return (0);
}

static int
chk_host_efer_lma(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_efer_bit(v, f, EFER_LMA, "LMA"));
}

static int
chk_host_efer_lme(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_efer_bit(v, f, EFER_LME, "LME"));
}

/*
 * §27.2.3 host segment and descriptor-table registers
 */

static int
check_host_sel(const struct vmentry_view *v, struct vmentry_failure *f,
    uint32_t enc)
{
	uint64_t sel = rd(v, enc);

	if (sel & (SEL_RPL_MASK | SEL_TI))
		return (fail(f, "%s=%#" PRIx64 ": RPL or TI not 0", fname(enc),
		    sel));
	return (0);
}

static int
chk_host_es_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_ES_SEL));
}

static int
chk_host_cs_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_CS_SEL));
}

static int
chk_host_ss_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_SS_SEL));
}

static int
chk_host_ds_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_DS_SEL));
}

static int
chk_host_fs_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_FS_SEL));
}

static int
chk_host_gs_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_GS_SEL));
}

static int
chk_host_tr_sel(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_host_sel(v, f, VMCS_HOST_IA32_TR_SEL));
}

static int
chk_host_cs_nonnull(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (rd(v, VMCS_HOST_IA32_CS_SEL) == 0)
		return (fail(f, "%s=0: null CS selector",
		    fname(VMCS_HOST_IA32_CS_SEL)));
	return (0);
}

static int
chk_host_tr_nonnull(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (rd(v, VMCS_HOST_IA32_TR_SEL) == 0)
		return (fail(f, "%s=0: null TR selector",
		    fname(VMCS_HOST_IA32_TR_SEL)));
	return (0);
}

static int
chk_host_ss_nonnull(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!host_ia32e(v) && rd(v, VMCS_HOST_IA32_SS_SEL) == 0)
		return (fail(f, "%s=0: null SS selector with host address-"
		    "space size 0 (%s=%#x)", fname(VMCS_HOST_IA32_SS_SEL),
		    fname(VMCS_EXIT_CTLS), exitc(v)));
	return (0);
}

static int
chk_host_fs_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_FS_BASE));
}

static int
chk_host_gs_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_GS_BASE));
}

static int
chk_host_gdtr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_GDTR_BASE));
}

static int
chk_host_idtr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_IDTR_BASE));
}

static int
chk_host_tr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_HOST_IA32_TR_BASE));
}

/*
 * §27.2.4 checks related to address-space size
 */

static int
chk_host_outside_ia32e_guest(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(v->host_efer & EFER_LMA) &&
	    (entryc(v) & IA32_VMX_IA32E_MODE_GUEST))
		return (fail(f, "%s=%#x: IA-32e mode guest set but the host "
		    "is outside IA-32e mode (IA32_EFER=%#" PRIx64 ")",
		    fname(VMCS_ENTRY_CTLS), entryc(v), v->host_efer));
	return (0);
}

static int
chk_host_outside_ia32e_addr_size(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!(v->host_efer & EFER_LMA) && host_ia32e(v))
		return (fail(f, "%s=%#x: host address-space size set but the "
		    "host is outside IA-32e mode (IA32_EFER=%#" PRIx64 ")",
		    fname(VMCS_EXIT_CTLS), exitc(v), v->host_efer));
	return (0);
}

static int
chk_host_in_ia32e_addr_size(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((v->host_efer & EFER_LMA) && !host_ia32e(v))
		return (fail(f, "%s=%#x: host address-space size clear but "
		    "the host is in IA-32e mode (IA32_EFER=%#" PRIx64 ")",
		    fname(VMCS_EXIT_CTLS), exitc(v), v->host_efer));
	return (0);
}

static int
chk_host_legacy_pcide(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t cr4 = rd(v, VMCS_HOST_IA32_CR4);

	if (!host_ia32e(v) && (cr4 & CR4_PCIDE))
		return (fail(f, "%s=%#" PRIx64 ": PCIDE set with host address-"
		    "space size 0", fname(VMCS_HOST_IA32_CR4), cr4));
	return (0);
}

static int
chk_host_legacy_rip(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t rip = rd(v, VMCS_HOST_IA32_RIP);

	if (!host_ia32e(v) && (rip >> 32) != 0)
		return (fail(f, "%s=%#" PRIx64 ": bits 63:32 set with host "
		    "address-space size 0", fname(VMCS_HOST_IA32_RIP), rip));
	return (0);
}

static int
chk_host_long_pae(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t cr4 = rd(v, VMCS_HOST_IA32_CR4);

	if (host_ia32e(v) && !(cr4 & CR4_PAE))
		return (fail(f, "%s=%#" PRIx64 ": PAE clear with host address-"
		    "space size 1", fname(VMCS_HOST_IA32_CR4), cr4));
	return (0);
}

static int
chk_host_long_rip(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!host_ia32e(v))
		return (0);
	return (check_canonical(v, f, VMCS_HOST_IA32_RIP));
}

/*
 * §27.3.1.1 guest control registers, debug registers and MSRs
 */

static int
g_ia32e(const struct vmentry_view *v)
{
	return ((entryc(v) & IA32_VMX_IA32E_MODE_GUEST) != 0);
}

static int
g_ug(const struct vmentry_view *v)
{
	return ((proc2(v) & IA32_VMX_UNRESTRICTED_GUEST) != 0);
}

static uint64_t
g_cr0(const struct vmentry_view *v)
{
	return (rd(v, VMCS_GUEST_IA32_CR0));
}

static uint64_t
g_cr4(const struct vmentry_view *v)
{
	return (rd(v, VMCS_GUEST_IA32_CR4));
}

static uint64_t
g_rflags(const struct vmentry_view *v)
{
	return (rd(v, VMCS_GUEST_IA32_RFLAGS));
}

static int
g_v86(const struct vmentry_view *v)
{
	return ((g_rflags(v) & PSL_VM) != 0);
}

/*
 * CR0 against the fixed bits; NW and CD are never checked, PE and PG not
 * with "unrestricted guest".
 */
static int
chk_guest_cr0_fixed(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t ignore = CR0_NW | CR0_CD;
	size_t n;

	if (g_ug(v))
		ignore |= CR0_PE | CR0_PG;
	if (check_fixed(f, VMCS_GUEST_IA32_CR0, g_cr0(v), v->caps->cr0_fixed0,
	    v->caps->cr0_fixed1, ignore, "IA32_VMX_CR0") == 0)
		return (0);
	n = strlen(f->detail);
	snprintf(f->detail + n, sizeof(f->detail) - n, " (unrestricted guest "
	    "%s)", g_ug(v) ? "on" : "off");
	return (-1);
}

static int
chk_guest_cr0_pg_needs_pe(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t cr0 = g_cr0(v);

	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return (fail(f, "%s=%#" PRIx64 ": PG set but PE clear",
		    fname(VMCS_GUEST_IA32_CR0), cr0));
	return (0);
}

static int
chk_guest_cr4_fixed(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_fixed(f, VMCS_GUEST_IA32_CR4, g_cr4(v),
	    v->caps->cr4_fixed0, v->caps->cr4_fixed1, 0, "IA32_VMX_CR4"));
}

static int
chk_guest_cr4_cet_needs_wp(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((g_cr4(v) & CR4_CET) && !(g_cr0(v) & CR0_WP))
		return (fail(f, "%s=%#" PRIx64 ": CET set but %s=%#" PRIx64
		    " has WP clear", fname(VMCS_GUEST_IA32_CR4), g_cr4(v),
		    fname(VMCS_GUEST_IA32_CR0), g_cr0(v)));
	return (0);
}

static int
chk_guest_debugctl(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t dc = rd(v, VMCS_GUEST_IA32_DEBUGCTL);

	if ((entryc(v) & IA32_VMX_LOAD_DEBUG_CONTROLS) &&
	    (dc & DEBUGCTL_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set (load debug controls)",
		    fname(VMCS_GUEST_IA32_DEBUGCTL), dc,
		    (uint64_t)(dc & DEBUGCTL_RESERVED)));
	return (0);
}

static int
chk_guest_ia32e_needs_pg(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_ia32e(v) && !(g_cr0(v) & CR0_PG))
		return (fail(f, "%s=%#" PRIx64 ": PG clear with IA-32e mode "
		    "guest", fname(VMCS_GUEST_IA32_CR0), g_cr0(v)));
	return (0);
}

static int
chk_guest_ia32e_needs_pae(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_ia32e(v) && !(g_cr4(v) & CR4_PAE))
		return (fail(f, "%s=%#" PRIx64 ": PAE clear with IA-32e mode "
		    "guest", fname(VMCS_GUEST_IA32_CR4), g_cr4(v)));
	return (0);
}

static int
chk_guest_legacy_pcide(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!g_ia32e(v) && (g_cr4(v) & CR4_PCIDE))
		return (fail(f, "%s=%#" PRIx64 ": PCIDE set without IA-32e "
		    "mode guest", fname(VMCS_GUEST_IA32_CR4), g_cr4(v)));
	return (0);
}

static int
chk_guest_cr3_width(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t cr3 = rd(v, VMCS_GUEST_IA32_CR3);

	if (!pa_ok(v, cr3))
		return (fail(f, "%s=%#" PRIx64 ": sets bits beyond the %d-bit "
		    "physical-address width", fname(VMCS_GUEST_IA32_CR3), cr3,
		    v->physaddr_bits));
	return (0);
}

static int
chk_guest_dr7_high(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t dr7 = rd(v, VMCS_GUEST_IA32_DR7);

	if ((entryc(v) & IA32_VMX_LOAD_DEBUG_CONTROLS) && (dr7 >> 32) != 0)
		return (fail(f, "%s=%#" PRIx64 ": bits 63:32 set (load debug "
		    "controls)", fname(VMCS_GUEST_IA32_DR7), dr7));
	return (0);
}

static int
chk_guest_sysenter_esp(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_SYSENTER_ESP));
}

static int
chk_guest_sysenter_eip(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_SYSENTER_EIP));
}

static int
chk_guest_perf_global_ctrl(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t val = rd(v, VMCS_GUEST_IA32_PERF_GBL_CTRL);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_ENTRY) &&
	    (val & ~PERF_GLOBAL_CTRL_VALID))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set (load IA32_PERF_GLOBAL_CTRL on entry)",
		    fname(VMCS_GUEST_IA32_PERF_GBL_CTRL), val,
		    (uint64_t)(val & ~PERF_GLOBAL_CTRL_VALID)));
	return (0);
}

static int
chk_guest_pat(const struct vmentry_view *v, struct vmentry_failure *f)
{
	if (!(entryc(v) & IA32_VMX_LOAD_IA32_PAT_ON_ENTRY))
		return (0);
	return (check_pat(f, VMCS_GUEST_IA32_PAT, rd(v, VMCS_GUEST_IA32_PAT)));
}

static int
chk_guest_efer_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t efer = rd(v, VMCS_GUEST_IA32_EFER);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_EFER_ON_ENTRY) &&
	    (efer & EFER_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set (load IA32_EFER on entry)",
		    fname(VMCS_GUEST_IA32_EFER), efer,
		    (uint64_t)(efer & EFER_RESERVED)));
	return (0);
}

static int
chk_guest_efer_lma(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t efer = rd(v, VMCS_GUEST_IA32_EFER);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_EFER_ON_ENTRY) &&
	    ((efer & EFER_LMA) != 0) != g_ia32e(v))
		return (fail(f, "%s=%#" PRIx64 ": LMA is %d but IA-32e mode "
		    "guest is %d", fname(VMCS_GUEST_IA32_EFER), efer,
		    (efer & EFER_LMA) != 0, g_ia32e(v)));
	return (0);
}

static int
chk_guest_efer_lme(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t efer = rd(v, VMCS_GUEST_IA32_EFER);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_EFER_ON_ENTRY) &&
	    (g_cr0(v) & CR0_PG) && ((efer & EFER_LME) != 0) != g_ia32e(v))
		return (fail(f, "%s=%#" PRIx64 ": LME is %d but IA-32e mode "
		    "guest is %d (CR0.PG set)", fname(VMCS_GUEST_IA32_EFER),
		    efer, (efer & EFER_LME) != 0, g_ia32e(v)));
	return (0);
}

static int
chk_guest_bndcfgs_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t b = rd(v, VMCS_GUEST_IA32_BNDCFGS);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_BNDCFGS_ON_ENTRY) &&
	    (b & BNDCFGS_RESERVED))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits 11:2 set (load "
		    "IA32_BNDCFGS)", fname(VMCS_GUEST_IA32_BNDCFGS), b));
	return (0);
}

static int
chk_guest_bndcfgs_canonical(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t b = rd(v, VMCS_GUEST_IA32_BNDCFGS);

	if ((entryc(v) & IA32_VMX_LOAD_IA32_BNDCFGS_ON_ENTRY) &&
	    !canonical(v, b & ~(uint64_t)0xFFF))
		return (fail(f, "%s=%#" PRIx64 ": bound-directory base (bits "
		    "63:12) not canonical", fname(VMCS_GUEST_IA32_BNDCFGS), b));
	return (0);
}

/*
 * §27.3.1.2 guest segment registers
 */

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

static const struct seg_fields {
	const char	*name;
	uint32_t	 sel, base, limit, ar;
} seg_fields[] = {
	[SEG_ES] = { "ES", VMCS_GUEST_IA32_ES_SEL, VMCS_GUEST_IA32_ES_BASE,
	    VMCS_GUEST_IA32_ES_LIMIT, VMCS_GUEST_IA32_ES_AR },
	[SEG_CS] = { "CS", VMCS_GUEST_IA32_CS_SEL, VMCS_GUEST_IA32_CS_BASE,
	    VMCS_GUEST_IA32_CS_LIMIT, VMCS_GUEST_IA32_CS_AR },
	[SEG_SS] = { "SS", VMCS_GUEST_IA32_SS_SEL, VMCS_GUEST_IA32_SS_BASE,
	    VMCS_GUEST_IA32_SS_LIMIT, VMCS_GUEST_IA32_SS_AR },
	[SEG_DS] = { "DS", VMCS_GUEST_IA32_DS_SEL, VMCS_GUEST_IA32_DS_BASE,
	    VMCS_GUEST_IA32_DS_LIMIT, VMCS_GUEST_IA32_DS_AR },
	[SEG_FS] = { "FS", VMCS_GUEST_IA32_FS_SEL, VMCS_GUEST_IA32_FS_BASE,
	    VMCS_GUEST_IA32_FS_LIMIT, VMCS_GUEST_IA32_FS_AR },
	[SEG_GS] = { "GS", VMCS_GUEST_IA32_GS_SEL, VMCS_GUEST_IA32_GS_BASE,
	    VMCS_GUEST_IA32_GS_LIMIT, VMCS_GUEST_IA32_GS_AR },
	[SEG_LDTR] = { "LDTR", VMCS_GUEST_IA32_LDTR_SEL,
	    VMCS_GUEST_IA32_LDTR_BASE, VMCS_GUEST_IA32_LDTR_LIMIT,
	    VMCS_GUEST_IA32_LDTR_AR },
	[SEG_TR] = { "TR", VMCS_GUEST_IA32_TR_SEL, VMCS_GUEST_IA32_TR_BASE,
	    VMCS_GUEST_IA32_TR_LIMIT, VMCS_GUEST_IA32_TR_AR },
};

/* The data-segment registers, in the SDM's order. */
static const int data_segs[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
/* The segment registers other than CS that VM entry checks like CS. */
static const int other_segs[] = { SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
/* The registers that virtual-8086 mode constrains. */
static const int v86_segs[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS,
    SEG_GS };

struct seg {
	uint64_t	sel, base;
	uint32_t	limit, ar;
};

static struct seg
seg_read(const struct vmentry_view *v, int i)
{
	struct seg s;

	s.sel = rd(v, seg_fields[i].sel);
	s.base = rd(v, seg_fields[i].base);
	s.limit = (uint32_t)rd(v, seg_fields[i].limit);
	s.ar = (uint32_t)rd(v, seg_fields[i].ar);
	return (s);
}

static int
seg_usable(const struct seg *s)
{
	return (!(s->ar & VMX_AR_UNUSABLE));
}

static unsigned int
seg_type(const struct seg *s)
{
	return (s->ar & VMX_AR_TYPE_MASK);
}

static unsigned int
seg_dpl(const struct seg *s)
{
	return ((s->ar & VMX_AR_DPL_MASK) >> VMX_AR_DPL_SHIFT);
}

static unsigned int
seg_rpl(const struct seg *s)
{
	return ((unsigned int)(s->sel & SEL_RPL_MASK));
}

/* The G bit agrees with the limit: limit[11:0] all ones if G, limit[31:20]
 * all zeros if not G. */
static int
seg_g_ok(const struct seg *s)
{
	if ((s->limit & 0xFFF) != 0xFFF && (s->ar & VMX_AR_G))
		return (0);
	if ((s->limit & 0xFFF00000U) != 0 && !(s->ar & VMX_AR_G))
		return (0);
	return (1);
}

static int
seg_fail(struct vmentry_failure *f, int i, const struct seg *s,
    const char *why)
{
	return (fail(f, "%s: sel %#" PRIx64 " base %#" PRIx64 " limit %#x "
	    "AR %#x: %s", seg_fields[i].name, s->sel, s->base, s->limit,
	    s->ar, why));
}

/* The AR checks of §27.3.1.2 other than for TR and LDTR skip V86 mode. */
static int
seg_ar_checked(const struct vmentry_view *v)
{
	return (!g_v86(v));
}

static int
chk_guest_tr_ti(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (s.sel & SEL_TI)
		return (fail(f, "%s=%#" PRIx64 ": TI set",
		    fname(VMCS_GUEST_IA32_TR_SEL), s.sel));
	return (0);
}

static int
chk_guest_ldtr_ti(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) && (s.sel & SEL_TI))
		return (fail(f, "%s=%#" PRIx64 ": TI set in a usable LDTR",
		    fname(VMCS_GUEST_IA32_LDTR_SEL), s.sel));
	return (0);
}

static int
chk_guest_ss_rpl(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg cs = seg_read(v, SEG_CS), ss = seg_read(v, SEG_SS);

	if (g_v86(v) || g_ug(v))
		return (0);
	if (seg_rpl(&ss) != seg_rpl(&cs))
		return (fail(f, "%s=%#" PRIx64 " RPL %u differs from %s=%#"
		    PRIx64 " RPL %u", fname(VMCS_GUEST_IA32_SS_SEL), ss.sel,
		    seg_rpl(&ss), fname(VMCS_GUEST_IA32_CS_SEL), cs.sel,
		    seg_rpl(&cs)));
	return (0);
}

static int
chk_guest_v86_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!g_v86(v))
		return (0);
	for (i = 0; i < nitems_(v86_segs); i++) {
		s = seg_read(v, v86_segs[i]);
		if (s.base != s.sel << 4)
			return (seg_fail(f, v86_segs[i], &s,
			    "virtual-8086 base is not selector << 4"));
	}
	return (0);
}

static int
chk_guest_v86_limit(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!g_v86(v))
		return (0);
	for (i = 0; i < nitems_(v86_segs); i++) {
		s = seg_read(v, v86_segs[i]);
		if (s.limit != 0xFFFF)
			return (seg_fail(f, v86_segs[i], &s,
			    "virtual-8086 limit is not 0xffff"));
	}
	return (0);
}

static int
chk_guest_v86_ar(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!g_v86(v))
		return (0);
	for (i = 0; i < nitems_(v86_segs); i++) {
		s = seg_read(v, v86_segs[i]);
		if (s.ar != 0xF3)
			return (seg_fail(f, v86_segs[i], &s,
			    "virtual-8086 access rights are not 0xf3"));
	}
	return (0);
}

static int
chk_guest_tr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_TR_BASE));
}

static int
chk_guest_fs_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_FS_BASE));
}

static int
chk_guest_gs_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_GS_BASE));
}

static int
chk_guest_ldtr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (!seg_usable(&s))
		return (0);
	return (check_canonical(v, f, VMCS_GUEST_IA32_LDTR_BASE));
}

/* Bits 63:32 of a base are 0 (for CS always, SS/DS/ES when usable). */
static int
check_base_high(const struct vmentry_view *v, struct vmentry_failure *f,
    int i, int always)
{
	struct seg s = seg_read(v, i);

	if ((always || seg_usable(&s)) && (s.base >> 32) != 0)
		return (fail(f, "%s=%#" PRIx64 ": bits 63:32 set",
		    fname(seg_fields[i].base), s.base));
	return (0);
}

static int
chk_guest_cs_base_high(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_base_high(v, f, SEG_CS, 1));
}

static int
chk_guest_ss_base_high(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_base_high(v, f, SEG_SS, 0));
}

static int
chk_guest_ds_base_high(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_base_high(v, f, SEG_DS, 0));
}

static int
chk_guest_es_base_high(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (check_base_high(v, f, SEG_ES, 0));
}

static int
chk_guest_cs_type(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);
	unsigned int t = seg_type(&s);

	if (!seg_ar_checked(v))
		return (0);
	if (t == 9 || t == 11 || t == 13 || t == 15)
		return (0);
	if (t == SDT_MEMRWA && g_ug(v))
		return (0);
	return (seg_fail(f, SEG_CS, &s, g_ug(v) ?
	    "type not 3, 9, 11, 13 or 15" :
	    "type not 9, 11, 13 or 15 (unrestricted guest off)"));
}

static int
chk_guest_ss_type(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_SS);

	if (!seg_ar_checked(v) || !seg_usable(&s))
		return (0);
	if (seg_type(&s) != SDT_MEMRWA && seg_type(&s) != SDT_MEMRWDA)
		return (seg_fail(f, SEG_SS, &s, "usable SS type not 3 or 7"));
	return (0);
}

static int
chk_guest_data_accessed(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(data_segs); i++) {
		s = seg_read(v, data_segs[i]);
		if (seg_usable(&s) && !(s.ar & VMX_AR_TYPE_ACCESSED))
			return (seg_fail(f, data_segs[i], &s,
			    "usable segment with type bit 0 (accessed) clear"));
	}
	return (0);
}

static int
chk_guest_data_code_readable(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(data_segs); i++) {
		s = seg_read(v, data_segs[i]);
		if (seg_usable(&s) && (s.ar & VMX_AR_TYPE_CODE) &&
		    !(s.ar & VMX_AR_TYPE_RW))
			return (seg_fail(f, data_segs[i], &s,
			    "usable execute-only code segment"));
	}
	return (0);
}

static int
chk_guest_cs_s(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) && !(s.ar & VMX_AR_S))
		return (seg_fail(f, SEG_CS, &s, "S (bit 4) clear"));
	return (0);
}

static int
chk_guest_seg_s(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(other_segs); i++) {
		s = seg_read(v, other_segs[i]);
		if (seg_usable(&s) && !(s.ar & VMX_AR_S))
			return (seg_fail(f, other_segs[i], &s,
			    "usable segment with S (bit 4) clear"));
	}
	return (0);
}

static int
chk_guest_cs_dpl_type3(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) && seg_type(&s) == SDT_MEMRWA && seg_dpl(&s) != 0)
		return (seg_fail(f, SEG_CS, &s, "type 3 (unrestricted guest) "
		    "with DPL not 0"));
	return (0);
}

static int
chk_guest_cs_dpl_nonconforming(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg cs = seg_read(v, SEG_CS), ss = seg_read(v, SEG_SS);
	unsigned int t = seg_type(&cs);

	if (!seg_ar_checked(v) || (t != 9 && t != 11))
		return (0);
	if (seg_dpl(&cs) != seg_dpl(&ss))
		return (fail(f, "%s=%#x: non-conforming code DPL %u differs "
		    "from %s=%#x DPL %u", fname(VMCS_GUEST_IA32_CS_AR), cs.ar,
		    seg_dpl(&cs), fname(VMCS_GUEST_IA32_SS_AR), ss.ar,
		    seg_dpl(&ss)));
	return (0);
}

static int
chk_guest_cs_dpl_conforming(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg cs = seg_read(v, SEG_CS), ss = seg_read(v, SEG_SS);
	unsigned int t = seg_type(&cs);

	if (!seg_ar_checked(v) || (t != 13 && t != 15))
		return (0);
	if (seg_dpl(&cs) > seg_dpl(&ss))
		return (fail(f, "%s=%#x: conforming code DPL %u exceeds "
		    "%s=%#x DPL %u", fname(VMCS_GUEST_IA32_CS_AR), cs.ar,
		    seg_dpl(&cs), fname(VMCS_GUEST_IA32_SS_AR), ss.ar,
		    seg_dpl(&ss)));
	return (0);
}

static int
chk_guest_ss_dpl_rpl(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_SS);

	if (!seg_ar_checked(v) || g_ug(v))
		return (0);
	if (seg_dpl(&s) != seg_rpl(&s))
		return (seg_fail(f, SEG_SS, &s, "DPL differs from the "
		    "selector's RPL (unrestricted guest off)"));
	return (0);
}

static int
chk_guest_ss_dpl_zero(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg cs = seg_read(v, SEG_CS), ss = seg_read(v, SEG_SS);

	if (!seg_ar_checked(v) || seg_dpl(&ss) == 0)
		return (0);
	if (seg_type(&cs) == SDT_MEMRWA)
		return (seg_fail(f, SEG_SS, &ss, "DPL not 0 but CS type is 3"));
	if (!(g_cr0(v) & CR0_PE))
		return (seg_fail(f, SEG_SS, &ss, "DPL not 0 but CR0.PE is 0"));
	return (0);
}

static int
chk_guest_data_dpl_rpl(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v) || g_ug(v))
		return (0);
	for (i = 0; i < nitems_(data_segs); i++) {
		s = seg_read(v, data_segs[i]);
		if (seg_usable(&s) && seg_type(&s) <= 11 &&
		    seg_dpl(&s) < seg_rpl(&s))
			return (seg_fail(f, data_segs[i], &s, "DPL below the "
			    "selector's RPL (data or non-conforming code)"));
	}
	return (0);
}

static int
chk_guest_cs_p(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) && !(s.ar & VMX_AR_P))
		return (seg_fail(f, SEG_CS, &s, "P (bit 7) clear"));
	return (0);
}

static int
chk_guest_seg_p(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(other_segs); i++) {
		s = seg_read(v, other_segs[i]);
		if (seg_usable(&s) && !(s.ar & VMX_AR_P))
			return (seg_fail(f, other_segs[i], &s,
			    "usable segment with P (bit 7) clear"));
	}
	return (0);
}

static int
chk_guest_cs_ar_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) &&
	    (s.ar & (VMX_AR_RESERVED_LOW | VMX_AR_RESERVED_HIGH)))
		return (seg_fail(f, SEG_CS, &s,
		    "reserved bits 11:8 or 31:17 set"));
	return (0);
}

static int
chk_guest_seg_ar_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(other_segs); i++) {
		s = seg_read(v, other_segs[i]);
		if (seg_usable(&s) &&
		    (s.ar & (VMX_AR_RESERVED_LOW | VMX_AR_RESERVED_HIGH)))
			return (seg_fail(f, other_segs[i], &s, "usable segment "
			    "with reserved bits 11:8 or 31:17 set"));
	}
	return (0);
}

static int
chk_guest_cs_db_long(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) && g_ia32e(v) && (s.ar & VMX_AR_L) &&
	    (s.ar & VMX_AR_DB))
		return (seg_fail(f, SEG_CS, &s, "L and D/B both set in an "
		    "IA-32e mode guest"));
	return (0);
}

static int
chk_guest_cs_g_limit(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_CS);

	if (seg_ar_checked(v) && !seg_g_ok(&s))
		return (seg_fail(f, SEG_CS, &s, "G does not match the limit"));
	return (0);
}

static int
chk_guest_seg_g_limit(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s;
	size_t i;

	if (!seg_ar_checked(v))
		return (0);
	for (i = 0; i < nitems_(other_segs); i++) {
		s = seg_read(v, other_segs[i]);
		if (seg_usable(&s) && !seg_g_ok(&s))
			return (seg_fail(f, other_segs[i], &s,
			    "G does not match the limit"));
	}
	return (0);
}

static int
chk_guest_tr_type(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);
	unsigned int t = seg_type(&s);

	if (t == SDT_SYS386BSY || (t == SDT_SYS286BSY && !g_ia32e(v)))
		return (0);
	return (seg_fail(f, SEG_TR, &s, g_ia32e(v) ?
	    "type not 11 (busy 64-bit TSS) in an IA-32e mode guest" :
	    "type not 3 or 11 (busy TSS)"));
}

static int
chk_guest_tr_s(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (s.ar & VMX_AR_S)
		return (seg_fail(f, SEG_TR, &s, "S (bit 4) set"));
	return (0);
}

static int
chk_guest_tr_p(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (!(s.ar & VMX_AR_P))
		return (seg_fail(f, SEG_TR, &s, "P (bit 7) clear"));
	return (0);
}

static int
chk_guest_tr_ar_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (s.ar & (VMX_AR_RESERVED_LOW | VMX_AR_RESERVED_HIGH))
		return (seg_fail(f, SEG_TR, &s,
		    "reserved bits 11:8 or 31:17 set"));
	return (0);
}

static int
chk_guest_tr_g_limit(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (!seg_g_ok(&s))
		return (seg_fail(f, SEG_TR, &s, "G does not match the limit"));
	return (0);
}

static int
chk_guest_tr_usable(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_TR);

	if (!seg_usable(&s))
		return (seg_fail(f, SEG_TR, &s, "unusable (bit 16) set"));
	return (0);
}

static int
chk_guest_ldtr_type(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) && seg_type(&s) != SDT_SYSLDT)
		return (seg_fail(f, SEG_LDTR, &s, "usable LDTR type not 2"));
	return (0);
}

static int
chk_guest_ldtr_s(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) && (s.ar & VMX_AR_S))
		return (seg_fail(f, SEG_LDTR, &s, "usable LDTR with S set"));
	return (0);
}

static int
chk_guest_ldtr_p(const struct vmentry_view *v, struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) && !(s.ar & VMX_AR_P))
		return (seg_fail(f, SEG_LDTR, &s, "usable LDTR with P clear"));
	return (0);
}

static int
chk_guest_ldtr_ar_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) &&
	    (s.ar & (VMX_AR_RESERVED_LOW | VMX_AR_RESERVED_HIGH)))
		return (seg_fail(f, SEG_LDTR, &s, "usable LDTR with reserved "
		    "bits 11:8 or 31:17 set"));
	return (0);
}

static int
chk_guest_ldtr_g_limit(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg s = seg_read(v, SEG_LDTR);

	if (seg_usable(&s) && !seg_g_ok(&s))
		return (seg_fail(f, SEG_LDTR, &s, "G does not match the limit"));
	return (0);
}

/*
 * §27.3.1.3 guest descriptor-table registers
 */

static int
chk_guest_gdtr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_GDTR_BASE));
}

static int
chk_guest_idtr_base(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_canonical(v, f, VMCS_GUEST_IA32_IDTR_BASE));
}

static int
check_dt_limit(const struct vmentry_view *v, struct vmentry_failure *f,
    uint32_t enc)
{
	uint64_t lim = rd(v, enc);

	if (lim & 0xFFFF0000U)
		return (fail(f, "%s=%#" PRIx64 ": bits 31:16 set", fname(enc),
		    lim));
	return (0);
}

static int
chk_guest_gdtr_limit(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_dt_limit(v, f, VMCS_GUEST_IA32_GDTR_LIMIT));
}

static int
chk_guest_idtr_limit(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (check_dt_limit(v, f, VMCS_GUEST_IA32_IDTR_LIMIT));
}

/*
 * §27.3.1.4 guest RIP and RFLAGS
 */

static int
g_long_cs(const struct vmentry_view *v)
{
	return (g_ia32e(v) &&
	    (rd(v, VMCS_GUEST_IA32_CS_AR) & VMX_AR_L) != 0);
}

static int
chk_guest_rip_high(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t rip = rd(v, VMCS_GUEST_IA32_RIP);

	if (!g_long_cs(v) && (rip >> 32) != 0)
		return (fail(f, "%s=%#" PRIx64 ": bits 63:32 set outside 64-bit "
		    "mode (IA-32e mode guest %d, CS.L %d)",
		    fname(VMCS_GUEST_IA32_RIP), rip, g_ia32e(v),
		    (rd(v, VMCS_GUEST_IA32_CS_AR) & VMX_AR_L) != 0));
	return (0);
}

static int
chk_guest_rip_canonical(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (!g_long_cs(v))
		return (0);
	return (check_canonical(v, f, VMCS_GUEST_IA32_RIP));
}

static int
chk_guest_rflags_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t rfl = g_rflags(v);

	if ((rfl & (PSL_RESERVED & ~PSL_MBO)) || !(rfl & PSL_MBO))
		return (fail(f, "%s=%#" PRIx64 ": reserved bits 63:22, 15, 5, "
		    "3 not 0 or bit 1 not 1", fname(VMCS_GUEST_IA32_RFLAGS),
		    rfl));
	return (0);
}

static int
chk_guest_rflags_vm(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t rfl = g_rflags(v);

	if ((rfl & PSL_VM) && (g_ia32e(v) || !(g_cr0(v) & CR0_PE)))
		return (fail(f, "%s=%#" PRIx64 ": VM set with IA-32e mode "
		    "guest %d, %s=%#" PRIx64, fname(VMCS_GUEST_IA32_RFLAGS),
		    rfl, g_ia32e(v), fname(VMCS_GUEST_IA32_CR0), g_cr0(v)));
	return (0);
}

static int
chk_guest_rflags_if(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t rfl = g_rflags(v);

	if (injecting(v, VMX_INTR_TYPE_EXT_INT) && !(rfl & PSL_I))
		return (fail(f, "%s=%#" PRIx64 ": IF clear while injecting an "
		    "external interrupt (%s=%#" PRIx64 ")",
		    fname(VMCS_GUEST_IA32_RFLAGS), rfl,
		    fname(VMCS_ENTRY_INTERRUPTION_INFO),
		    rd(v, VMCS_ENTRY_INTERRUPTION_INFO)));
	return (0);
}

/*
 * §27.3.1.5 guest non-register state
 */

static uint64_t
g_activity(const struct vmentry_view *v)
{
	return (rd(v, VMCS_GUEST_ACTIVITY_STATE));
}

static uint32_t
g_intr(const struct vmentry_view *v)
{
	return ((uint32_t)rd(v, VMCS_GUEST_INTERRUPTIBILITY_ST));
}

static int
chk_guest_activity_supported(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	static const uint64_t need[] = {
		[VMX_ACTIVITY_HLT] = IA32_VMX_MISC_ACTIVITY_HLT,
		[VMX_ACTIVITY_SHUTDOWN] = IA32_VMX_MISC_ACTIVITY_SHUTDOWN,
		[VMX_ACTIVITY_WAIT_SIPI] = IA32_VMX_MISC_ACTIVITY_SIPI,
	};
	uint64_t a = g_activity(v);

	if (a == VMX_ACTIVITY_ACTIVE)
		return (0);
	if (a > VMX_ACTIVITY_WAIT_SIPI || !(v->caps->misc & need[a]))
		return (fail(f, "%s=%" PRIu64 ": activity state not supported "
		    "(IA32_VMX_MISC=%#" PRIx64 ")",
		    fname(VMCS_GUEST_ACTIVITY_STATE), a, v->caps->misc));
	return (0);
}

static int
chk_guest_activity_hlt_dpl(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	struct seg ss = seg_read(v, SEG_SS);

	if (g_activity(v) == VMX_ACTIVITY_HLT && seg_dpl(&ss) != 0)
		return (fail(f, "%s=HLT but %s=%#x has DPL %u",
		    fname(VMCS_GUEST_ACTIVITY_STATE),
		    fname(VMCS_GUEST_IA32_SS_AR), ss.ar, seg_dpl(&ss)));
	return (0);
}

static int
chk_guest_activity_blocking(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_activity(v) != VMX_ACTIVITY_ACTIVE &&
	    (g_intr(v) & (VMX_INTERRUPTIBILITY_STI |
	    VMX_INTERRUPTIBILITY_MOVSS)))
		return (fail(f, "%s=%" PRIu64 " not active but %s=%#x shows "
		    "blocking by STI or MOV SS",
		    fname(VMCS_GUEST_ACTIVITY_STATE), g_activity(v),
		    fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_activity_hlt_event(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);
	unsigned int t = intr_type(ii), vec = intr_vector(ii);

	if (g_activity(v) != VMX_ACTIVITY_HLT || ii == 0)
		return (0);
	if (t == VMX_INTR_TYPE_EXT_INT || t == VMX_INTR_TYPE_NMI ||
	    (t == VMX_INTR_TYPE_HW_EXC &&
	    (vec == VMX_VEC_DB || vec == VMX_VEC_MC)) ||
	    (t == VMX_INTR_TYPE_OTHER && vec == 0))
		return (0);
	return (fail(f, "%s=%#x: event type %u vector %u cannot be injected "
	    "in the HLT state", fname(VMCS_ENTRY_INTERRUPTION_INFO), ii, t,
	    vec));
}

static int
chk_guest_activity_shutdown_event(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);
	unsigned int t = intr_type(ii), vec = intr_vector(ii);

	if (g_activity(v) != VMX_ACTIVITY_SHUTDOWN || ii == 0)
		return (0);
	if (t == VMX_INTR_TYPE_NMI ||
	    (t == VMX_INTR_TYPE_HW_EXC && vec == VMX_VEC_MC))
		return (0);
	return (fail(f, "%s=%#x: event type %u vector %u cannot be injected "
	    "in the shutdown state", fname(VMCS_ENTRY_INTERRUPTION_INFO), ii,
	    t, vec));
}

static int
chk_guest_activity_sipi_event(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t ii = intr_info(v);

	if (g_activity(v) == VMX_ACTIVITY_WAIT_SIPI && ii != 0)
		return (fail(f, "%s=%#x: no event can be injected in the "
		    "wait-for-SIPI state", fname(VMCS_ENTRY_INTERRUPTION_INFO),
		    ii));
	return (0);
}

static int
chk_guest_activity_sipi_smm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_activity(v) == VMX_ACTIVITY_WAIT_SIPI &&
	    (entryc(v) & IA32_VMX_ENTRY_TO_SMM))
		return (fail(f, "%s=wait-for-SIPI with entry to SMM (%s=%#x)",
		    fname(VMCS_GUEST_ACTIVITY_STATE), fname(VMCS_ENTRY_CTLS),
		    entryc(v)));
	return (0);
}

static int
chk_guest_intr_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_intr(v) & VMX_INTERRUPTIBILITY_RESERVED)
		return (fail(f, "%s=%#x: reserved bits 31:5 set",
		    fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_intr_sti_movss(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t both = VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOVSS;

	if ((g_intr(v) & both) == both)
		return (fail(f, "%s=%#x: blocking by STI and by MOV SS both "
		    "set", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_intr_sti_if(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((g_intr(v) & VMX_INTERRUPTIBILITY_STI) && !(g_rflags(v) & PSL_I))
		return (fail(f, "%s=%#x: blocking by STI but %s=%#" PRIx64
		    " has IF clear", fname(VMCS_GUEST_INTERRUPTIBILITY_ST),
		    g_intr(v), fname(VMCS_GUEST_IA32_RFLAGS), g_rflags(v)));
	return (0);
}

static int
chk_guest_intr_ext_int(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (injecting(v, VMX_INTR_TYPE_EXT_INT) &&
	    (g_intr(v) & (VMX_INTERRUPTIBILITY_STI |
	    VMX_INTERRUPTIBILITY_MOVSS)))
		return (fail(f, "%s=%#x: blocking by STI or MOV SS while "
		    "injecting an external interrupt",
		    fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_intr_nmi_movss(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (injecting(v, VMX_INTR_TYPE_NMI) &&
	    (g_intr(v) & VMX_INTERRUPTIBILITY_MOVSS))
		return (fail(f, "%s=%#x: blocking by MOV SS while injecting an "
		    "NMI", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

/*
 * Injecting an NMI while blocking by STI: the simulated CPU is one of
 * those that refuse it, with exit qualification 3.
 */
static int
chk_guest_intr_nmi_sti(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (injecting(v, VMX_INTR_TYPE_NMI) &&
	    (g_intr(v) & VMX_INTERRUPTIBILITY_STI)) {
		f->exit_qual = 3;
		return (fail(f, "%s=%#x: blocking by STI while injecting an "
		    "NMI", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	}
	return (0);
}

static int
chk_guest_intr_smi_outside_smm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if (g_intr(v) & VMX_INTERRUPTIBILITY_SMI)
		return (fail(f, "%s=%#x: blocking by SMI set outside SMM",
		    fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_intr_smi_entry_to_smm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((entryc(v) & IA32_VMX_ENTRY_TO_SMM) &&
	    !(g_intr(v) & VMX_INTERRUPTIBILITY_SMI))
		return (fail(f, "%s=%#x: blocking by SMI clear with entry to "
		    "SMM", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

static int
chk_guest_intr_virtual_nmi(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	if ((pin(v) & IA32_VMX_VIRTUAL_NMIS) &&
	    injecting(v, VMX_INTR_TYPE_NMI) &&
	    (g_intr(v) & VMX_INTERRUPTIBILITY_NMI))
		return (fail(f, "%s=%#x: blocking by NMI while injecting an NMI "
		    "with virtual NMIs", fname(VMCS_GUEST_INTERRUPTIBILITY_ST),
		    g_intr(v)));
	return (0);
}

/* SGX counts as supported when ENCLS exiting can be set. */
static int
chk_guest_intr_enclave(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint32_t in = g_intr(v);
	int sgx = (vmx_ctl_allowed1(v->caps->procbased2) &
	    IA32_VMX_ENABLE_ENCLS_EXITING) != 0;

	if (!(in & VMX_INTERRUPTIBILITY_ENCLAVE))
		return (0);
	if (!sgx)
		return (fail(f, "%s=%#x: enclave interruption set but the CPU "
		    "has no SGX", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), in));
	if (in & VMX_INTERRUPTIBILITY_MOVSS)
		return (fail(f, "%s=%#x: enclave interruption with blocking by "
		    "MOV SS", fname(VMCS_GUEST_INTERRUPTIBILITY_ST), in));
	return (0);
}

static uint64_t
g_pending_dbg(const struct vmentry_view *v)
{
	return (rd(v, VMCS_GUEST_PENDING_DBG_EXC));
}

static int
chk_guest_pending_dbg_reserved(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t pd = g_pending_dbg(v);

	if (pd & VMX_PENDING_DBG_RESERVED)
		return (fail(f, "%s=%#" PRIx64 ": reserved bits 63:17, 15, 13 "
		    "or 11:4 set", fname(VMCS_GUEST_PENDING_DBG_EXC), pd));
	return (0);
}

/*
 * With blocking by STI or MOV SS, or in HLT, BS must show a pending
 * single-step trap exactly when RFLAGS.TF is 1 and DEBUGCTL.BTF is 0.
 */
static int
chk_guest_pending_dbg_bs(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t pd = g_pending_dbg(v), rfl = g_rflags(v);
	uint64_t dc = rd(v, VMCS_GUEST_IA32_DEBUGCTL);
	int want, has;

	if (!(g_intr(v) & (VMX_INTERRUPTIBILITY_STI |
	    VMX_INTERRUPTIBILITY_MOVSS)) && g_activity(v) != VMX_ACTIVITY_HLT)
		return (0);
	want = (rfl & PSL_T) && !(dc & DEBUGCTL_BTF);
	has = (pd & VMX_PENDING_DBG_BS) != 0;
	if (want != has)
		return (fail(f, "%s=%#" PRIx64 ": BS is %d but RFLAGS.TF=%d, "
		    "DEBUGCTL.BTF=%d (STI/MOV-SS blocking or HLT)",
		    fname(VMCS_GUEST_PENDING_DBG_EXC), pd, has,
		    (rfl & PSL_T) != 0, (dc & DEBUGCTL_BTF) != 0));
	return (0);
}

static int
chk_guest_pending_dbg_rtm(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t pd = g_pending_dbg(v);

	if (!(pd & VMX_PENDING_DBG_RTM))
		return (0);
	if ((pd & (0xFFFULL | VMX_PENDING_DBG_BS)) != 0 ||
	    !(pd & VMX_PENDING_DBG_ENABLED_BP))
		return (fail(f, "%s=%#" PRIx64 ": RTM set needs bits 11:0 and "
		    "14 clear except bit 12 set",
		    fname(VMCS_GUEST_PENDING_DBG_EXC), pd));
	if (g_intr(v) & VMX_INTERRUPTIBILITY_MOVSS)
		return (fail(f, "%s=%#" PRIx64 ": RTM set with blocking by "
		    "MOV SS (%s=%#x)", fname(VMCS_GUEST_PENDING_DBG_EXC), pd,
		    fname(VMCS_GUEST_INTERRUPTIBILITY_ST), g_intr(v)));
	return (0);
}

/* VMCS link pointer checks fail with exit qualification 4. */
static int
link_fail_qual(struct vmentry_failure *f)
{
	f->exit_qual = 4;
	return (-1);
}

static int
chk_guest_link_ptr_align(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t lp = rd(v, VMCS_LINK_POINTER);

	if (lp == VMX_LINK_POINTER_NONE || (lp & (VMX_PAGE_SIZE - 1)) == 0)
		return (0);
	fail(f, "%s=%#" PRIx64 ": bits 11:0 set", fname(VMCS_LINK_POINTER),
	    lp);
	return (link_fail_qual(f));
}

static int
chk_guest_link_ptr_width(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t lp = rd(v, VMCS_LINK_POINTER);

	if (lp == VMX_LINK_POINTER_NONE || pa_ok(v, lp))
		return (0);
	fail(f, "%s=%#" PRIx64 ": sets bits beyond the %d-bit physical-address "
	    "width", fname(VMCS_LINK_POINTER), lp, v->physaddr_bits);
	return (link_fail_qual(f));
}

static int
chk_guest_link_ptr_revision(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t lp = rd(v, VMCS_LINK_POINTER);
	uint32_t rev = (uint32_t)(v->caps->basic & IA32_VMX_BASIC_REVISION_MASK);
	uint32_t hdr;

	if (lp == VMX_LINK_POINTER_NONE)
		return (0);
	if (v->read_phys(v->ctx, lp, &hdr, sizeof(hdr)) != 0)
		fail(f, "%s=%#" PRIx64 ": not backed by memory",
		    fname(VMCS_LINK_POINTER), lp);
	else if ((hdr & VMCS_REVISION_MASK) != rev)
		fail(f, "%s=%#" PRIx64 ": revision identifier %#x, not %#x",
		    fname(VMCS_LINK_POINTER), lp, hdr & VMCS_REVISION_MASK, rev);
	else
		return (0);
	return (link_fail_qual(f));
}

static int
chk_guest_link_ptr_shadow(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	uint64_t lp = rd(v, VMCS_LINK_POINTER);
	int shadowing = (proc2(v) & IA32_VMX_VMCS_SHADOWING) != 0;
	uint32_t hdr;

	if (lp == VMX_LINK_POINTER_NONE ||
	    v->read_phys(v->ctx, lp, &hdr, sizeof(hdr)) != 0)
		return (0);
	if (((hdr & VMCS_SHADOW_INDICATOR) != 0) == shadowing)
		return (0);
	fail(f, "%s=%#" PRIx64 ": shadow-VMCS indicator is %d but VMCS "
	    "shadowing is %d", fname(VMCS_LINK_POINTER), lp,
	    (hdr & VMCS_SHADOW_INDICATOR) != 0, shadowing);
	return (link_fail_qual(f));
}

/*
 * §27.3.1.6 PDPTEs (PAE paging outside IA-32e mode); failures give exit
 * qualification 2.
 */

static int
g_pae_paging(const struct vmentry_view *v)
{
	return ((g_cr0(v) & CR0_PG) && (g_cr4(v) & CR4_PAE) && !g_ia32e(v));
}

static uint64_t
pdpte_reserved(const struct vmentry_view *v)
{
	uint64_t high = v->physaddr_bits >= 64 ? 0 :
	    ~0ULL << v->physaddr_bits;

	return (PDPTE_RESERVED_LOW | high);
}

static int
pdpte_bad(const struct vmentry_view *v, uint64_t pdpte)
{
	return ((pdpte & PDPTE_P) && (pdpte & pdpte_reserved(v)));
}

static int
chk_guest_pdpte_vmcs(const struct vmentry_view *v, struct vmentry_failure *f)
{
	static const uint32_t enc[PDPTE_COUNT] = { VMCS_GUEST_PDPTE0,
	    VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3 };
	uint64_t e;
	int i;

	if (!g_pae_paging(v) || !(proc2(v) & IA32_VMX_ENABLE_EPT))
		return (0);
	for (i = 0; i < PDPTE_COUNT; i++) {
		e = rd(v, enc[i]);
		if (pdpte_bad(v, e)) {
			f->exit_qual = 2;
			return (fail(f, "%s=%#" PRIx64 ": present with reserved "
			    "bits %#" PRIx64 " set", fname(enc[i]), e,
			    e & pdpte_reserved(v)));
		}
	}
	return (0);
}

static int
chk_guest_pdpte_mem(const struct vmentry_view *v, struct vmentry_failure *f)
{
	uint64_t cr3 = rd(v, VMCS_GUEST_IA32_CR3);
	uint64_t pa = cr3 & PDPTE_ADDR_MASK, e[PDPTE_COUNT];
	int i;

	if (!g_pae_paging(v) || (proc2(v) & IA32_VMX_ENABLE_EPT))
		return (0);
	f->exit_qual = 2;
	if (v->read_phys(v->ctx, pa, e, sizeof(e)) != 0)
		return (fail(f, "%s=%#" PRIx64 ": PDPT at %#" PRIx64 " not "
		    "backed by memory", fname(VMCS_GUEST_IA32_CR3), cr3, pa));
	for (i = 0; i < PDPTE_COUNT; i++)
		if (pdpte_bad(v, e[i]))
			return (fail(f, "%s=%#" PRIx64 ": PDPTE%d=%#" PRIx64
			    " at %#" PRIx64 " present with reserved bits %#"
			    PRIx64 " set", fname(VMCS_GUEST_IA32_CR3), cr3, i,
			    e[i], pa + 8 * (uint64_t)i,
			    e[i] & pdpte_reserved(v)));
	f->exit_qual = 0;
	return (0);
}

/*
 * §27.4 loading MSRs.  The entry checks run per entry of the VM-entry
 * MSR-load list, in the SDM's order; a failure names the 1-based entry in
 * the exit qualification.
 */

/* One entry of an MSR-load list (§25.8.2, Table 25-15). */
struct msr_entry {
	uint32_t	index;
	uint32_t	reserved;
	uint64_t	value;
};

typedef int msr_entry_fn(const struct vmentry_view *, uint64_t,
    const struct msr_entry *, struct vmentry_failure *);

/* Recommended maximum list length: 512 * (IA32_VMX_MISC[27:25] + 1). */
static uint64_t
msr_list_max(const struct vmentry_view *v)
{
	return (IA32_VMX_MSR_LIST_MULTIPLIER *
	    (((v->caps->misc & IA32_VMX_MSR_LIST_SIZE_MASK) >>
	    IA32_VMX_MSR_LIST_SIZE_SHIFT) + 1));
}

static int
ent_fs_gs_base(const struct vmentry_view *v, uint64_t idx,
    const struct msr_entry *e, struct vmentry_failure *f)
{
	if (e->index == MSR_FSBASE || e->index == MSR_GSBASE)
		return (fail(f, "MSR-load entry %" PRIu64 ": MSR %#x (IA32_%s"
		    "_BASE) is loaded from the guest-state area, not the list",
		    idx, e->index, e->index == MSR_FSBASE ? "FS" : "GS"));
	return (0);
}

static int
ent_x2apic(const struct vmentry_view *v, uint64_t idx,
    const struct msr_entry *e, struct vmentry_failure *f)
{
	if (e->index >= MSR_X2APIC_FIRST && e->index <= MSR_X2APIC_LAST)
		return (fail(f, "MSR-load entry %" PRIu64 ": MSR %#x is an "
		    "x2APIC register (bits 31:8 = 0x8)", idx, e->index));
	return (0);
}

static int
ent_smm_only(const struct vmentry_view *v, uint64_t idx,
    const struct msr_entry *e, struct vmentry_failure *f)
{
	if (e->index == MSR_SMM_MONITOR_CTL)
		return (fail(f, "MSR-load entry %" PRIu64 ": MSR %#x "
		    "(IA32_SMM_MONITOR_CTL) is writable only in SMM", idx,
		    e->index));
	return (0);
}

/* MSRs the simulated CPU refuses to load on VM entry (Vol. 4 ch. 2). */
static int
ent_model_specific(const struct vmentry_view *v, uint64_t idx,
    const struct msr_entry *e, struct vmentry_failure *f)
{
	if (e->index == MSR_SMBASE)
		return (fail(f, "MSR-load entry %" PRIu64 ": MSR %#x "
		    "(IA32_SMBASE) cannot be loaded by VM entry", idx,
		    e->index));
	return (0);
}

static int
ent_reserved(const struct vmentry_view *v, uint64_t idx,
    const struct msr_entry *e, struct vmentry_failure *f)
{
	if (e->reserved != 0)
		return (fail(f, "MSR-load entry %" PRIu64 ": bits 63:32 are "
		    "%#x, not 0 (MSR %#x)", idx, e->reserved, e->index));
	return (0);
}

static const struct msrload_step {
	const char	*rule;
	msr_entry_fn	*check;
} msrload_steps[] = {
	{ "msrload_fs_gs_base", ent_fs_gs_base },
	{ "msrload_x2apic", ent_x2apic },
	{ "msrload_smm_only", ent_smm_only },
	{ "msrload_model_specific", ent_model_specific },
	{ "msrload_reserved", ent_reserved },
};

static int
msrload_wanted(const char *only, const char *rule)
{
	return (only == NULL || strcmp(only, rule) == 0);
}

/* Fill *f for a failure of rule at 1-based entry idx; return -1. */
static int
msrload_failed(struct vmentry_failure *f, const char *rule, uint64_t idx)
{
	f->rule = vmentry_rule_by_name(rule);
	f->vm_error = 0;
	f->exit_reason = VMX_EXIT_ENTRY_FAILED_MSR_LOAD;
	f->exit_qual = idx;
	return (-1);
}

/*
 * Walk the VM-entry MSR-load list: check each entry (all rules, or only
 * the one called only) and, when load is not NULL, load it.
 * Returns 0, or -1 with *f filled.
 */
static int
msrload_walk(const struct vmentry_view *v, struct vmentry_failure *f,
    const char *only, int (*load)(void *, uint32_t, uint64_t), void *uctx)
{
	uint64_t count = rd(v, VMCS_ENTRY_MSR_LOAD_COUNT);
	uint64_t base = rd(v, VMCS_ENTRY_LOAD_MSR_ADDRESS);
	uint64_t idx, pa, max = msr_list_max(v);
	struct msr_entry e;
	size_t s;

	for (idx = 1; idx <= count; idx++) {
		if (idx > max) {
			if (!msrload_wanted(only, "msrload_count_max"))
				return (0);
			fail(f, "%s=%" PRIu64 ": entry %" PRIu64 " is past the "
			    "recommended maximum of %" PRIu64 " (IA32_VMX_MISC"
			    "[27:25])", fname(VMCS_ENTRY_MSR_LOAD_COUNT),
			    count, idx, max);
			return (msrload_failed(f, "msrload_count_max", idx));
		}
		pa = base + (idx - 1) * VMX_MSR_ENTRY_SIZE;
		if (v->read_phys(v->ctx, pa, &e, sizeof(e)) != 0) {
			if (!msrload_wanted(only, "msrload_entry_readable"))
				return (0);
			fail(f, "MSR-load entry %" PRIu64 " at %#" PRIx64
			    " (%s=%#" PRIx64 ") is not backed by memory", idx,
			    pa, fname(VMCS_ENTRY_LOAD_MSR_ADDRESS), base);
			return (msrload_failed(f, "msrload_entry_readable",
			    idx));
		}
		for (s = 0; s < nitems_(msrload_steps); s++)
			if (msrload_wanted(only, msrload_steps[s].rule) &&
			    msrload_steps[s].check(v, idx, &e, f) != 0)
				return (msrload_failed(f,
				    msrload_steps[s].rule, idx));
		if (load != NULL && load(uctx, e.index, e.value) != 0) {
			fail(f, "MSR-load entry %" PRIu64 ": WRMSR of %#" PRIx64
			    " to MSR %#x would #GP", idx, e.value, e.index);
			return (msrload_failed(f, "msrload_wrmsr", idx));
		}
	}
	return (0);
}

static int
chk_msrload_count_max(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_count_max", NULL, NULL));
}

static int
chk_msrload_entry_readable(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_entry_readable", NULL, NULL));
}

static int
chk_msrload_fs_gs_base(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_fs_gs_base", NULL, NULL));
}

static int
chk_msrload_x2apic(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_x2apic", NULL, NULL));
}

static int
chk_msrload_smm_only(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_smm_only", NULL, NULL));
}

static int
chk_msrload_model_specific(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_model_specific", NULL, NULL));
}

static int
chk_msrload_reserved(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (msrload_walk(v, f, "msrload_reserved", NULL, NULL));
}

/*
 * Whether WRMSR would #GP is the caller's load() to say; on its own this
 * rule cannot fail (vmentry_load_msrs() applies it).
 */
static int
chk_msrload_wrmsr(const struct vmentry_view *v, struct vmentry_failure *f)
{
	return (0);
}

/*
 * The rule table, in SDM order within each kind.
 */
#define RULE(n, sec, k, w)	{ #n, sec, w, k, chk_##n }
#define C	VMENTRY_CONTROL
#define H	VMENTRY_HOST
#define G	VMENTRY_GUEST
#define M	VMENTRY_MSRLOAD

const struct vmentry_rule vmentry_rules[] = {
	/* §27.2.1.1 VM-execution control fields */
	RULE(ctl_pinbased_reserved, "27.2.1.1", C,
	    "pin-based controls obey the (TRUE_)PINBASED_CTLS capability"),
	RULE(ctl_procbased_reserved, "27.2.1.1", C,
	    "primary processor-based controls obey (TRUE_)PROCBASED_CTLS"),
	RULE(ctl_procbased2_reserved, "27.2.1.1", C,
	    "secondary processor-based controls obey PROCBASED2_CTLS"),
	RULE(ctl_procbased3_reserved, "27.2.1.1", C,
	    "tertiary processor-based controls obey PROCBASED3_CTLS"),
	RULE(ctl_cr3_target_count, "27.2.1.1", C,
	    "CR3-target count is at most IA32_VMX_MISC[24:16]"),
	RULE(ctl_io_bitmap_a, "27.2.1.1", C,
	    "I/O bitmap A is 4-KByte aligned and within the physical width"),
	RULE(ctl_io_bitmap_b, "27.2.1.1", C,
	    "I/O bitmap B is 4-KByte aligned and within the physical width"),
	RULE(ctl_msr_bitmap, "27.2.1.1", C,
	    "MSR bitmap is 4-KByte aligned and within the physical width"),
	RULE(ctl_virtual_apic_addr, "27.2.1.1", C,
	    "virtual-APIC address is 4-KByte aligned and within the width"),
	RULE(ctl_tpr_threshold_reserved, "27.2.1.1", C,
	    "TPR threshold bits 31:4 are 0 without virtual-interrupt delivery"),
	RULE(ctl_tpr_threshold_vtpr, "27.2.1.1", C,
	    "TPR threshold bits 3:0 do not exceed VTPR bits 7:4"),
	RULE(ctl_apic_virt_needs_tpr_shadow, "27.2.1.1", C,
	    "x2APIC/APIC-register virtualization and VID need TPR shadow"),
	RULE(ctl_virtual_nmis_need_nmi_exiting, "27.2.1.1", C,
	    "virtual NMIs need NMI exiting"),
	RULE(ctl_nmi_window_needs_virtual_nmis, "27.2.1.1", C,
	    "NMI-window exiting needs virtual NMIs"),
	RULE(ctl_apic_access_addr, "27.2.1.1", C,
	    "APIC-access address is 4-KByte aligned and within the width"),
	RULE(ctl_x2apic_excludes_apic_access, "27.2.1.1", C,
	    "virtualize x2APIC mode excludes virtualize APIC accesses"),
	RULE(ctl_vid_needs_ext_int_exiting, "27.2.1.1", C,
	    "virtual-interrupt delivery needs external-interrupt exiting"),
	RULE(ctl_posted_int_needs_vid, "27.2.1.1", C,
	    "posted interrupts need virtual-interrupt delivery"),
	RULE(ctl_posted_int_needs_ack, "27.2.1.1", C,
	    "posted interrupts need acknowledge interrupt on exit"),
	RULE(ctl_posted_int_vector, "27.2.1.1", C,
	    "posted-interrupt notification vector bits 15:8 are 0"),
	RULE(ctl_posted_int_desc_addr, "27.2.1.1", C,
	    "posted-interrupt descriptor is 64-byte aligned, within width"),
	RULE(ctl_vpid_nonzero, "27.2.1.1", C,
	    "enable VPID needs a VPID other than 0"),
	RULE(ctl_eptp_memtype, "27.2.1.1", C,
	    "EPTP memory type is UC or WB as EPT_VPID_CAP allows"),
	RULE(ctl_eptp_walk_length, "27.2.1.1", C,
	    "EPTP bits 5:3 give a supported page-walk length"),
	RULE(ctl_eptp_ad, "27.2.1.1", C,
	    "EPTP bit 6 (A/D flags) only if EPT_VPID_CAP[21]"),
	RULE(ctl_eptp_sss, "27.2.1.1", C,
	    "EPTP bit 7 (supervisor shadow stack) only if EPT_VPID_CAP[23]"),
	RULE(ctl_eptp_reserved, "27.2.1.1", C,
	    "EPTP bits 11:8 and bits beyond the physical width are 0"),
	RULE(ctl_pml_needs_ept, "27.2.1.1", C, "enable PML needs enable EPT"),
	RULE(ctl_pml_addr, "27.2.1.1", C,
	    "PML address is 4-KByte aligned and within the width"),
	RULE(ctl_unrestricted_needs_ept, "27.2.1.1", C,
	    "unrestricted guest needs enable EPT"),
	RULE(ctl_mbec_needs_ept, "27.2.1.1", C,
	    "mode-based execute control for EPT needs enable EPT"),
	RULE(ctl_spp_needs_ept, "27.2.1.1", C,
	    "sub-page write permissions need enable EPT"),
	RULE(ctl_spp_table_addr, "27.2.1.1", C,
	    "SPP-table pointer is 4-KByte aligned and within the width"),
	RULE(ctl_vmfunc_reserved, "27.2.1.1", C,
	    "VM-function controls obey IA32_VMX_VMFUNC"),
	RULE(ctl_eptp_switching_needs_ept, "27.2.1.1", C,
	    "EPTP switching needs enable EPT"),
	RULE(ctl_eptp_list_addr, "27.2.1.1", C,
	    "EPTP-list address is 4-KByte aligned and within the width"),
	RULE(ctl_vmread_bitmap_addr, "27.2.1.1", C,
	    "VMREAD bitmap is 4-KByte aligned and within the width"),
	RULE(ctl_vmwrite_bitmap_addr, "27.2.1.1", C,
	    "VMWRITE bitmap is 4-KByte aligned and within the width"),
	RULE(ctl_ve_info_addr, "27.2.1.1", C,
	    "#VE information address is 4-KByte aligned, within the width"),
	/* §27.2.1.2 VM-exit control fields */
	RULE(ctl_exit_reserved, "27.2.1.2", C,
	    "VM-exit controls obey the (TRUE_)EXIT_CTLS capability"),
	RULE(ctl_exit2_reserved, "27.2.1.2", C,
	    "secondary VM-exit controls obey IA32_VMX_EXIT_CTLS2"),
	RULE(ctl_save_preempt_needs_activate, "27.2.1.2", C,
	    "saving the preemption timer needs the timer activated"),
	RULE(ctl_exit_msr_store_area, "27.2.1.2", C,
	    "VM-exit MSR-store area is 16-byte aligned and within the width"),
	RULE(ctl_exit_msr_load_area, "27.2.1.2", C,
	    "VM-exit MSR-load area is 16-byte aligned and within the width"),
	/* §27.2.1.3 VM-entry control fields */
	RULE(ctl_entry_reserved, "27.2.1.3", C,
	    "VM-entry controls obey the (TRUE_)ENTRY_CTLS capability"),
	RULE(ctl_intr_type_reserved, "27.2.1.3", C,
	    "injected event type is not 1 (reserved)"),
	RULE(ctl_intr_type_other, "27.2.1.3", C,
	    "injected event type 7 only if the monitor trap flag exists"),
	RULE(ctl_intr_nmi_vector, "27.2.1.3", C,
	    "an injected NMI has vector 2"),
	RULE(ctl_intr_hw_exc_vector, "27.2.1.3", C,
	    "an injected hardware exception has a vector of at most 31"),
	RULE(ctl_intr_other_vector, "27.2.1.3", C,
	    "an injected other event has vector 0"),
	RULE(ctl_intr_errcode_not_allowed, "27.2.1.3", C,
	    "no error code but for hardware exceptions in protected mode"),
	RULE(ctl_intr_errcode_consistency, "27.2.1.3", C,
	    "hardware exceptions deliver an error code iff the vector has one"),
	RULE(ctl_intr_info_reserved, "27.2.1.3", C,
	    "interruption-information bits 30:12 are 0"),
	RULE(ctl_intr_errcode_reserved, "27.2.1.3", C,
	    "an injected error code has bits 31:16 clear"),
	RULE(ctl_intr_insn_length, "27.2.1.3", C,
	    "software events have an instruction length of 1 (or 0) to 15"),
	RULE(ctl_entry_msr_load_area, "27.2.1.3", C,
	    "VM-entry MSR-load area is 16-byte aligned and within the width"),
	RULE(ctl_entry_smm_and_dual_monitor, "27.2.1.3", C,
	    "entry to SMM and deactivate dual-monitor are not both 1"),
	RULE(ctl_entry_to_smm_outside_smm, "27.2.1.3", C,
	    "entry to SMM is 0 outside SMM"),
	RULE(ctl_dual_monitor_outside_smm, "27.2.1.3", C,
	    "deactivate dual-monitor treatment is 0 outside SMM"),
	/* §27.2.2 host control registers, MSRs */
	RULE(host_cr0_fixed, "27.2.2", H,
	    "host CR0 obeys IA32_VMX_CR0_FIXED0/FIXED1"),
	RULE(host_cr4_fixed, "27.2.2", H,
	    "host CR4 obeys IA32_VMX_CR4_FIXED0/FIXED1"),
	RULE(host_cr3_width, "27.2.2", H,
	    "host CR3 sets no bit beyond the physical-address width"),
	RULE(host_cr4_cet_needs_wp, "27.2.2", H,
	    "host CR4.CET needs host CR0.WP"),
	RULE(host_sysenter_esp, "27.2.2", H,
	    "host IA32_SYSENTER_ESP is canonical"),
	RULE(host_sysenter_eip, "27.2.2", H,
	    "host IA32_SYSENTER_EIP is canonical"),
	RULE(host_perf_global_ctrl, "27.2.2", H,
	    "loaded host IA32_PERF_GLOBAL_CTRL sets no reserved bit"),
	RULE(host_pat, "27.2.2", H,
	    "loaded host IA32_PAT holds only valid memory types"),
	RULE(host_efer_reserved, "27.2.2", H,
	    "loaded host IA32_EFER sets no reserved bit"),
	RULE(host_efer_lma, "27.2.2", H,
	    "loaded host EFER.LMA equals host address-space size"),
	RULE(host_efer_lme, "27.2.2", H,
	    "loaded host EFER.LME equals host address-space size"),
	/* §27.2.3 host segment and descriptor-table registers */
	RULE(host_es_sel, "27.2.3", H, "host ES selector has RPL 0, TI 0"),
	RULE(host_cs_sel, "27.2.3", H, "host CS selector has RPL 0, TI 0"),
	RULE(host_ss_sel, "27.2.3", H, "host SS selector has RPL 0, TI 0"),
	RULE(host_ds_sel, "27.2.3", H, "host DS selector has RPL 0, TI 0"),
	RULE(host_fs_sel, "27.2.3", H, "host FS selector has RPL 0, TI 0"),
	RULE(host_gs_sel, "27.2.3", H, "host GS selector has RPL 0, TI 0"),
	RULE(host_tr_sel, "27.2.3", H, "host TR selector has RPL 0, TI 0"),
	RULE(host_cs_nonnull, "27.2.3", H, "host CS selector is not null"),
	RULE(host_tr_nonnull, "27.2.3", H, "host TR selector is not null"),
	RULE(host_ss_nonnull, "27.2.3", H,
	    "host SS selector is not null unless host address-space size 1"),
	RULE(host_fs_base, "27.2.3", H, "host FS base is canonical"),
	RULE(host_gs_base, "27.2.3", H, "host GS base is canonical"),
	RULE(host_gdtr_base, "27.2.3", H, "host GDTR base is canonical"),
	RULE(host_idtr_base, "27.2.3", H, "host IDTR base is canonical"),
	RULE(host_tr_base, "27.2.3", H, "host TR base is canonical"),
	/* §27.2.4 address-space size */
	RULE(host_outside_ia32e_guest, "27.2.4", H,
	    "outside IA-32e mode, IA-32e mode guest is 0"),
	RULE(host_outside_ia32e_addr_size, "27.2.4", H,
	    "outside IA-32e mode, host address-space size is 0"),
	RULE(host_in_ia32e_addr_size, "27.2.4", H,
	    "in IA-32e mode, host address-space size is 1"),
	RULE(host_legacy_pcide, "27.2.4", H,
	    "host address-space size 0 needs host CR4.PCIDE 0"),
	RULE(host_legacy_rip, "27.2.4", H,
	    "host address-space size 0 needs host RIP bits 63:32 clear"),
	RULE(host_long_pae, "27.2.4", H,
	    "host address-space size 1 needs host CR4.PAE"),
	RULE(host_long_rip, "27.2.4", H,
	    "host address-space size 1 needs a canonical host RIP"),
	/* §27.3.1.1 guest control registers, debug registers, MSRs */
	RULE(guest_cr0_fixed, "27.3.1.1", G,
	    "guest CR0 obeys CR0_FIXED0/1 (PE, PG free if unrestricted)"),
	RULE(guest_cr0_pg_needs_pe, "27.3.1.1", G, "guest CR0.PG needs CR0.PE"),
	RULE(guest_cr4_fixed, "27.3.1.1", G,
	    "guest CR4 obeys IA32_VMX_CR4_FIXED0/FIXED1"),
	RULE(guest_cr4_cet_needs_wp, "27.3.1.1", G,
	    "guest CR4.CET needs guest CR0.WP"),
	RULE(guest_debugctl, "27.3.1.1", G,
	    "loaded guest IA32_DEBUGCTL sets no reserved bit"),
	RULE(guest_ia32e_needs_pg, "27.3.1.1", G,
	    "IA-32e mode guest needs CR0.PG"),
	RULE(guest_ia32e_needs_pae, "27.3.1.1", G,
	    "IA-32e mode guest needs CR4.PAE"),
	RULE(guest_legacy_pcide, "27.3.1.1", G,
	    "CR4.PCIDE needs IA-32e mode guest"),
	RULE(guest_cr3_width, "27.3.1.1", G,
	    "guest CR3 sets no bit beyond the physical-address width"),
	RULE(guest_dr7_high, "27.3.1.1", G,
	    "loaded guest DR7 has bits 63:32 clear"),
	RULE(guest_sysenter_esp, "27.3.1.1", G,
	    "guest IA32_SYSENTER_ESP is canonical"),
	RULE(guest_sysenter_eip, "27.3.1.1", G,
	    "guest IA32_SYSENTER_EIP is canonical"),
	RULE(guest_perf_global_ctrl, "27.3.1.1", G,
	    "loaded guest IA32_PERF_GLOBAL_CTRL sets no reserved bit"),
	RULE(guest_pat, "27.3.1.1", G,
	    "loaded guest IA32_PAT holds only valid memory types"),
	RULE(guest_efer_reserved, "27.3.1.1", G,
	    "loaded guest IA32_EFER sets no reserved bit"),
	RULE(guest_efer_lma, "27.3.1.1", G,
	    "loaded guest EFER.LMA equals IA-32e mode guest"),
	RULE(guest_efer_lme, "27.3.1.1", G,
	    "loaded guest EFER.LME equals IA-32e mode guest when CR0.PG"),
	RULE(guest_bndcfgs_reserved, "27.3.1.1", G,
	    "loaded guest IA32_BNDCFGS has bits 11:2 clear"),
	RULE(guest_bndcfgs_canonical, "27.3.1.1", G,
	    "loaded guest IA32_BNDCFGS base is canonical"),
	/* §27.3.1.2 segment registers */
	RULE(guest_tr_ti, "27.3.1.2", G, "TR selector TI is 0"),
	RULE(guest_ldtr_ti, "27.3.1.2", G, "usable LDTR selector TI is 0"),
	RULE(guest_ss_rpl, "27.3.1.2", G,
	    "SS RPL equals CS RPL (not V86, unrestricted guest off)"),
	RULE(guest_v86_base, "27.3.1.2", G,
	    "in V86 mode each segment base is selector << 4"),
	RULE(guest_v86_limit, "27.3.1.2", G,
	    "in V86 mode each segment limit is 0xffff"),
	RULE(guest_v86_ar, "27.3.1.2", G,
	    "in V86 mode each segment's access rights are 0xf3"),
	RULE(guest_tr_base, "27.3.1.2", G, "TR base is canonical"),
	RULE(guest_fs_base, "27.3.1.2", G, "FS base is canonical"),
	RULE(guest_gs_base, "27.3.1.2", G, "GS base is canonical"),
	RULE(guest_ldtr_base, "27.3.1.2", G, "usable LDTR base is canonical"),
	RULE(guest_cs_base_high, "27.3.1.2", G, "CS base bits 63:32 are 0"),
	RULE(guest_ss_base_high, "27.3.1.2", G,
	    "usable SS base bits 63:32 are 0"),
	RULE(guest_ds_base_high, "27.3.1.2", G,
	    "usable DS base bits 63:32 are 0"),
	RULE(guest_es_base_high, "27.3.1.2", G,
	    "usable ES base bits 63:32 are 0"),
	RULE(guest_cs_type, "27.3.1.2", G,
	    "CS type is 9, 11, 13, 15 (or 3 with unrestricted guest)"),
	RULE(guest_ss_type, "27.3.1.2", G, "usable SS type is 3 or 7"),
	RULE(guest_data_accessed, "27.3.1.2", G,
	    "usable DS/ES/FS/GS types have the accessed bit"),
	RULE(guest_data_code_readable, "27.3.1.2", G,
	    "usable DS/ES/FS/GS code segments are readable"),
	RULE(guest_cs_s, "27.3.1.2", G, "CS S bit is 1"),
	RULE(guest_seg_s, "27.3.1.2", G, "usable SS/DS/ES/FS/GS S bit is 1"),
	RULE(guest_cs_dpl_type3, "27.3.1.2", G, "CS of type 3 has DPL 0"),
	RULE(guest_cs_dpl_nonconforming, "27.3.1.2", G,
	    "non-conforming CS DPL equals SS DPL"),
	RULE(guest_cs_dpl_conforming, "27.3.1.2", G,
	    "conforming CS DPL is at most SS DPL"),
	RULE(guest_ss_dpl_rpl, "27.3.1.2", G,
	    "SS DPL equals SS RPL (unrestricted guest off)"),
	RULE(guest_ss_dpl_zero, "27.3.1.2", G,
	    "SS DPL is 0 if CS type is 3 or CR0.PE is 0"),
	RULE(guest_data_dpl_rpl, "27.3.1.2", G,
	    "usable DS/ES/FS/GS DPL is at least RPL (types 0-11)"),
	RULE(guest_cs_p, "27.3.1.2", G, "CS is present"),
	RULE(guest_seg_p, "27.3.1.2", G, "usable SS/DS/ES/FS/GS are present"),
	RULE(guest_cs_ar_reserved, "27.3.1.2", G,
	    "CS access-rights bits 11:8 and 31:17 are 0"),
	RULE(guest_seg_ar_reserved, "27.3.1.2", G,
	    "usable SS/DS/ES/FS/GS access-rights reserved bits are 0"),
	RULE(guest_cs_db_long, "27.3.1.2", G,
	    "64-bit CS (L=1) in an IA-32e guest has D/B 0"),
	RULE(guest_cs_g_limit, "27.3.1.2", G, "CS granularity fits the limit"),
	RULE(guest_seg_g_limit, "27.3.1.2", G,
	    "usable SS/DS/ES/FS/GS granularity fits the limit"),
	RULE(guest_tr_type, "27.3.1.2", G,
	    "TR type is 11 (or 3 outside IA-32e mode)"),
	RULE(guest_tr_s, "27.3.1.2", G, "TR S bit is 0"),
	RULE(guest_tr_p, "27.3.1.2", G, "TR is present"),
	RULE(guest_tr_ar_reserved, "27.3.1.2", G,
	    "TR access-rights bits 11:8 and 31:17 are 0"),
	RULE(guest_tr_g_limit, "27.3.1.2", G, "TR granularity fits the limit"),
	RULE(guest_tr_usable, "27.3.1.2", G, "TR is usable"),
	RULE(guest_ldtr_type, "27.3.1.2", G, "usable LDTR type is 2"),
	RULE(guest_ldtr_s, "27.3.1.2", G, "usable LDTR S bit is 0"),
	RULE(guest_ldtr_p, "27.3.1.2", G, "usable LDTR is present"),
	RULE(guest_ldtr_ar_reserved, "27.3.1.2", G,
	    "usable LDTR access-rights reserved bits are 0"),
	RULE(guest_ldtr_g_limit, "27.3.1.2", G,
	    "usable LDTR granularity fits the limit"),
	/* §27.3.1.3 descriptor-table registers */
	RULE(guest_gdtr_base, "27.3.1.3", G, "GDTR base is canonical"),
	RULE(guest_idtr_base, "27.3.1.3", G, "IDTR base is canonical"),
	RULE(guest_gdtr_limit, "27.3.1.3", G, "GDTR limit bits 31:16 are 0"),
	RULE(guest_idtr_limit, "27.3.1.3", G, "IDTR limit bits 31:16 are 0"),
	/* §27.3.1.4 RIP and RFLAGS */
	RULE(guest_rip_high, "27.3.1.4", G,
	    "RIP bits 63:32 are 0 outside 64-bit mode"),
	RULE(guest_rip_canonical, "27.3.1.4", G,
	    "RIP is canonical in 64-bit mode"),
	RULE(guest_rflags_reserved, "27.3.1.4", G,
	    "RFLAGS reserved bits are 0 and bit 1 is 1"),
	RULE(guest_rflags_vm, "27.3.1.4", G,
	    "RFLAGS.VM is 0 in IA-32e mode or with CR0.PE 0"),
	RULE(guest_rflags_if, "27.3.1.4", G,
	    "RFLAGS.IF is 1 when injecting an external interrupt"),
	/* §27.3.1.5 non-register state */
	RULE(guest_activity_supported, "27.3.1.5", G,
	    "activity state is 0-3 and supported by IA32_VMX_MISC"),
	RULE(guest_activity_hlt_dpl, "27.3.1.5", G,
	    "HLT activity state needs SS DPL 0"),
	RULE(guest_activity_blocking, "27.3.1.5", G,
	    "blocking by STI or MOV SS needs the active state"),
	RULE(guest_activity_hlt_event, "27.3.1.5", G,
	    "in HLT only ext. interrupts, NMI, #DB, #MC, MTF are injected"),
	RULE(guest_activity_shutdown_event, "27.3.1.5", G,
	    "in shutdown only NMI and #MC are injected"),
	RULE(guest_activity_sipi_event, "27.3.1.5", G,
	    "in wait-for-SIPI nothing is injected"),
	RULE(guest_activity_sipi_smm, "27.3.1.5", G,
	    "wait-for-SIPI is not entered with entry to SMM"),
	RULE(guest_intr_reserved, "27.3.1.5", G,
	    "interruptibility-state bits 31:5 are 0"),
	RULE(guest_intr_sti_movss, "27.3.1.5", G,
	    "blocking by STI and by MOV SS are not both set"),
	RULE(guest_intr_sti_if, "27.3.1.5", G,
	    "blocking by STI needs RFLAGS.IF"),
	RULE(guest_intr_ext_int, "27.3.1.5", G,
	    "no STI/MOV-SS blocking when injecting an external interrupt"),
	RULE(guest_intr_nmi_movss, "27.3.1.5", G,
	    "no MOV-SS blocking when injecting an NMI"),
	RULE(guest_intr_nmi_sti, "27.3.1.5", G,
	    "no STI blocking when injecting an NMI (exit qualification 3)"),
	RULE(guest_intr_smi_outside_smm, "27.3.1.5", G,
	    "blocking by SMI is 0 outside SMM"),
	RULE(guest_intr_smi_entry_to_smm, "27.3.1.5", G,
	    "blocking by SMI is 1 with entry to SMM"),
	RULE(guest_intr_virtual_nmi, "27.3.1.5", G,
	    "no NMI blocking when injecting an NMI with virtual NMIs"),
	RULE(guest_intr_enclave, "27.3.1.5", G,
	    "enclave interruption needs SGX and no MOV-SS blocking"),
	RULE(guest_pending_dbg_reserved, "27.3.1.5", G,
	    "pending debug exceptions set no reserved bit"),
	RULE(guest_pending_dbg_bs, "27.3.1.5", G,
	    "pending BS matches RFLAGS.TF and DEBUGCTL.BTF when blocked/HLT"),
	RULE(guest_pending_dbg_rtm, "27.3.1.5", G,
	    "pending RTM needs bit 12 alone of 11:0, 14 and no MOV-SS"),
	RULE(guest_link_ptr_align, "27.3.1.5", G,
	    "VMCS link pointer is 4-KByte aligned (exit qualification 4)"),
	RULE(guest_link_ptr_width, "27.3.1.5", G,
	    "VMCS link pointer is within the width (exit qualification 4)"),
	RULE(guest_link_ptr_revision, "27.3.1.5", G,
	    "linked VMCS has the VMCS revision id (exit qualification 4)"),
	RULE(guest_link_ptr_shadow, "27.3.1.5", G,
	    "linked VMCS shadow bit equals VMCS shadowing (exit qual. 4)"),
	/* §27.3.1.6 PDPTEs */
	RULE(guest_pdpte_vmcs, "27.3.1.6", G,
	    "with EPT, present PDPTE fields set no reserved bit (qual. 2)"),
	RULE(guest_pdpte_mem, "27.3.1.6", G,
	    "without EPT, present PDPTEs at CR3 set no reserved bit (qual. 2)"),
	/* §27.4 loading MSRs */
	RULE(msrload_count_max, "27.4", M,
	    "MSR-load list within 512 * (IA32_VMX_MISC[27:25] + 1) entries"),
	RULE(msrload_entry_readable, "27.4", M,
	    "each MSR-load entry is in backed physical memory"),
	RULE(msrload_fs_gs_base, "27.4", M,
	    "no MSR-load entry for IA32_FS_BASE or IA32_GS_BASE"),
	RULE(msrload_x2apic, "27.4", M,
	    "no MSR-load entry for an x2APIC MSR (0x800-0x8ff)"),
	RULE(msrload_smm_only, "27.4", M,
	    "no MSR-load entry for an SMM-only MSR (IA32_SMM_MONITOR_CTL)"),
	RULE(msrload_model_specific, "27.4", M,
	    "no MSR-load entry for an MSR the CPU will not load (IA32_SMBASE)"),
	RULE(msrload_reserved, "27.4", M,
	    "MSR-load entry bits 63:32 are 0"),
	RULE(msrload_wrmsr, "27.4", M,
	    "MSR-load entry value is one WRMSR accepts at CPL 0"),
};

const size_t vmentry_nrules = nitems_(vmentry_rules);

#undef C
#undef H
#undef G
#undef M

/*
 * Run the rules of one kind in table order; stop at the first failure and
 * fill *f.  Return 0 or -1.
 */
static int
run_rules(const struct vmentry_view *v, struct vmentry_failure *f,
    enum vmentry_kind kind)
{
	const struct vmentry_rule *r;
	size_t i;

	for (i = 0; i < vmentry_nrules; i++) {
		r = &vmentry_rules[i];
		if (r->kind != kind)
			continue;
		f->detail[0] = '\0';
		f->exit_qual = 0;
		if (r->check(v, f) == 0)
			continue;
		f->rule = r;
		switch (kind) {
		case VMENTRY_CONTROL:
			f->vm_error = VMXERR_ENTRY_INVALID_CONTROL_FIELDS;
			break;
		case VMENTRY_HOST:
			f->vm_error = VMXERR_ENTRY_INVALID_HOST_STATE;
			break;
		case VMENTRY_GUEST:
			f->exit_reason = VMX_EXIT_ENTRY_FAILED_GUEST_STATE;
			break;
		case VMENTRY_MSRLOAD:
			f->exit_reason = VMX_EXIT_ENTRY_FAILED_MSR_LOAD;
			break;
		}
		return (-1);
	}
	f->detail[0] = '\0';
	f->exit_qual = 0;
	return (0);
}

/*
 * Checks on VMX controls (§27.2.1) and then on host state (§27.2.2-
 * §27.2.4).  Returns 0, or -1 with *f filled (vm_error 7 or 8).
 */
int
vmentry_check_controls_and_host(const struct vmentry_view *v,
    struct vmentry_failure *f)
{
	memset(f, 0, sizeof(*f));
	if (run_rules(v, f, VMENTRY_CONTROL) != 0)
		return (-1);
	return (run_rules(v, f, VMENTRY_HOST));
}

/*
 * Checks on guest state (§27.3.1).  Returns 0, or -1 with *f filled
 * (exit reason 33 and the exit qualification).
 */
int
vmentry_check_guest(const struct vmentry_view *v, struct vmentry_failure *f)
{
	memset(f, 0, sizeof(*f));
	return (run_rules(v, f, VMENTRY_GUEST));
}

/* The rule called name, or NULL. */
/*
 * The rules a VMRESUME still runs when no VMWRITE since the last
 * successful entry touched anything but the fields a monitor rewrites on
 * every exit (guest RIP, RSP, RFLAGS, interruptibility, activity state,
 * pending debug exceptions, preemption-timer value): the rules that read
 * a field written since (dirty, VMENTRY_DIRTY_*), and the rules that read
 * memory (VTPR, VMCS link pointer, PDPTEs), whose inputs a VMWRITE does
 * not guard.  Every other rule would give the result it gave before.
 */
struct resume_group {
	const char	*prefix;
	unsigned	 dirty;		/* 0: always */
};

static const struct resume_group resume_groups[] = {
	{ "ctl_tpr_threshold_vtpr", 0 },
	{ "guest_link_ptr_", 0 },
	{ "guest_pdpte_", 0 },
	{ "guest_rip_", VMENTRY_DIRTY_RIP },
	{ "guest_rflags_", VMENTRY_DIRTY_RFLAGS },
	{ "guest_intr_", VMENTRY_DIRTY_INTR | VMENTRY_DIRTY_RFLAGS |
	    VMENTRY_DIRTY_ACTIVITY },
	{ "guest_activity_", VMENTRY_DIRTY_ACTIVITY | VMENTRY_DIRTY_INTR },
	{ "guest_pending_dbg_", VMENTRY_DIRTY_PENDING_DBG |
	    VMENTRY_DIRTY_INTR | VMENTRY_DIRTY_RFLAGS },
};
#define NRESUME_GROUPS	(sizeof(resume_groups) / sizeof(resume_groups[0]))

static const struct vmentry_rule *resume_sel[NRESUME_GROUPS][16];
static size_t resume_nsel[NRESUME_GROUPS];

static void
resume_rules_init(void)
{
	size_t i, g;

	for (i = 0; i < vmentry_nrules; i++)
		for (g = 0; g < NRESUME_GROUPS; g++)
			if (strncmp(vmentry_rules[i].name,
			    resume_groups[g].prefix,
			    strlen(resume_groups[g].prefix)) == 0 &&
			    resume_nsel[g] < 16)
				resume_sel[g][resume_nsel[g]++] =
				    &vmentry_rules[i];
}

void
vmentry_memo_reset(struct vmentry_memo *m)
{
	size_t i;

	for (i = 0; i < VMENTRY_MEMO_RULES; i++)
		m->rule[i].valid = 0;
	m->pass.valid = 0;
}

/* A view that notes whether a rule's result may change by itself. */
struct memo_rec {
	const struct vmentry_view	*inner;
	bool				 unsure;
};

static uint64_t
memo_read(const void *ctx, uint32_t enc)
{
	struct memo_rec *rc = (struct memo_rec *)(uintptr_t)ctx;

	if (vmcs_field_per_exit(enc))
		rc->unsure = true;
	return (rc->inner->read(rc->inner->ctx, enc));
}

static int
memo_read_phys(const void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct memo_rec *rc = (struct memo_rec *)(uintptr_t)ctx;

	rc->unsure = true;
	return (rc->inner->read_phys(rc->inner->ctx, pa, buf, len));
}

/* Run rule r of the always-run groups, memoised in m when it can be. */
static int
memo_check(const struct vmentry_rule *r, const struct vmentry_view *v,
    struct vmentry_failure *f, struct vmentry_memo_rule *m, uint64_t gen)
{
	struct vmentry_view rv;
	struct memo_rec rc;
	int error;

	if (m == NULL)
		return (r->check(v, f));
	if (m->valid && m->gen == gen && m->host_cr0 == v->host_cr0 &&
	    m->host_cr4 == v->host_cr4 && m->host_efer == v->host_efer)
		return (0);
	rv = *v;
	rv.read = memo_read;
	rv.read_phys = memo_read_phys;
	rv.ctx = &rc;
	rc.inner = v;
	rc.unsure = false;
	m->valid = 0;
	error = r->check(&rv, f);
	if (error == 0 && !rc.unsure) {
		m->gen = gen;
		m->host_cr0 = v->host_cr0;
		m->host_cr4 = v->host_cr4;
		m->host_efer = v->host_efer;
		m->valid = 1;
	}
	return (error);
}

/* The per-exit fields no rule reads (see resume_groups). */
#define DIRTY_UNCHECKED	(VMENTRY_DIRTY_RSP | VMENTRY_DIRTY_PREEMPT)

static int
memo_pass_hit(const struct vmentry_memo_pass *p, const struct vmentry_view *v,
    unsigned dirty, uint64_t gen)
{
	if (!p->valid || p->gen != gen || p->host_cr0 != v->host_cr0 ||
	    p->host_cr4 != v->host_cr4 || p->host_efer != v->host_efer ||
	    (dirty & ~(DIRTY_UNCHECKED | VMENTRY_DIRTY_RIP)) != 0)
		return (0);
	return (!(dirty & VMENTRY_DIRTY_RIP) ||
	    (rd(v, VMCS_GUEST_IA32_RIP) >> 32) == p->rip_hi);
}

int
vmentry_check_resume(const struct vmentry_view *v, struct vmentry_failure *f,
    unsigned dirty, struct vmentry_memo *memo, uint64_t gen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct vmentry_rule *r;
	struct vmentry_memo_rule *m;
	size_t g, i, k = 0;
	bool all_memo = memo != NULL;
	int error;

	if (memo != NULL && memo_pass_hit(&memo->pass, v, dirty, gen))
		return (0);
	if (pthread_once(&once, resume_rules_init) != 0)
		return (run_rules(v, f, VMENTRY_CONTROL));
	if (memo != NULL)
		memo->pass.valid = 0;
	for (g = 0; g < NRESUME_GROUPS; g++) {
		if (resume_groups[g].dirty != 0 &&
		    (resume_groups[g].dirty & dirty) == 0)
			continue;
		for (i = 0; i < resume_nsel[g]; i++) {
			r = resume_sel[g][i];
			f->detail[0] = '\0';
			f->exit_qual = 0;
			if (resume_groups[g].dirty == 0) {
				m = memo != NULL && k < VMENTRY_MEMO_RULES ?
				    &memo->rule[k] : NULL;
				error = memo_check(r, v, f, m, gen);
				if (m == NULL || !m->valid)
					all_memo = false;
				k++;
			} else
				error = r->check(v, f);
			if (error == 0)
				continue;
			f->rule = r;
			if (r->kind == VMENTRY_CONTROL)
				f->vm_error = VMXERR_ENTRY_INVALID_CONTROL_FIELDS;
			else
				f->exit_reason = VMX_EXIT_ENTRY_FAILED_GUEST_STATE;
			return (-1);
		}
	}
	if (all_memo) {
		memo->pass.gen = gen;
		memo->pass.host_cr0 = v->host_cr0;
		memo->pass.host_cr4 = v->host_cr4;
		memo->pass.host_efer = v->host_efer;
		memo->pass.rip_hi = rd(v, VMCS_GUEST_IA32_RIP) >> 32;
		memo->pass.valid = 1;
	}
	return (0);
}

const struct vmentry_rule *
vmentry_rule_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < vmentry_nrules; i++)
		if (strcmp(vmentry_rules[i].name, name) == 0)
			return (&vmentry_rules[i]);
	return (NULL);
}

/*
 * Print a failure: the rule's name, SDM section and summary, the detail,
 * and how the VM entry failed.
 */
void
vmentry_explain(const struct vmentry_failure *f, FILE *fp)
{
	const char *s;

	if (f->rule == NULL) {
		fprintf(fp, "VM entry: no check failed\n");
		return;
	}
	fprintf(fp, "VM entry failed check %s (SDM Vol. 3C §%s)\n",
	    f->rule->name, f->rule->sdm);
	fprintf(fp, "  rule:   %s\n", f->rule->what);
	if (f->detail[0] != '\0')
		fprintf(fp, "  detail: %s\n", f->detail);
	if (f->vm_error != 0) {
		s = vmx_instruction_error_name(f->vm_error);
		fprintf(fp, "  result: VMfailValid, VM-instruction error %u%s%s"
		    "\n", f->vm_error, s != NULL ? " " : "",
		    s != NULL ? s : "");
	} else {
		s = vmx_exit_reason_name(f->exit_reason);
		fprintf(fp, "  result: VM exit, exit reason %u%s%s (entry "
		    "failure), exit qualification %" PRIu64 "\n",
		    f->exit_reason, s != NULL ? " " : "", s != NULL ? s : "",
		    f->exit_qual);
	}
}

/*
 * Check and load the VM-entry MSR-load list (§27.4), calling load() per
 * entry in order.  Returns 0, or -1 with exit reason 34 and the 1-based
 * index of the failing entry in *f.
 */
int
vmentry_load_msrs(const struct vmentry_view *v,
    int (*load)(void *uctx, uint32_t msr, uint64_t val), void *uctx,
    struct vmentry_failure *f)
{
	memset(f, 0, sizeof(*f));
	return (msrload_walk(v, f, NULL, load, uctx));
}
