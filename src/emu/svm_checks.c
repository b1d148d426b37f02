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
 * VMRUN's consistency checks (AMD64 APM Vol. 2 §15.5.1, "Canonicalization
 * and Consistency Checks"): the guest state and controls that make VMRUN
 * fail with #VMEXIT(VMEXIT_INVALID) instead of entering the guest, one
 * named rule each, listed in the order the APM gives them.  A rule reads
 * the effective VMCB (after clean-bit caching) and never writes it; on
 * failure it says in detail which field and value broke it.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu_impl.h"
#include "svm_vmcb.h"

static int fail(struct svm_check_failure *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static int
fail(struct svm_check_failure *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return (-1);
}

static uint64_t
g(const uint8_t *vmcb, unsigned off)
{
	return (vmcb_get64(vmcb, off));
}

static bool
long_paging(const uint8_t *v)
{
	return ((g(v, VMCB_EFER) & EFER_LME) && (g(v, VMCB_CR0) & CR0_PG));
}

static int
svme_zero(const uint8_t *v, struct svm_check_failure *f)
{
	if (!(g(v, VMCB_EFER) & EFER_SVME))
		return (fail(f, "EFER=%#" PRIx64 ": SVME is 0", g(v, VMCB_EFER)));
	return (0);
}

static int
cr0_cd_nw(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t cr0 = g(v, VMCB_CR0);

	if (!(cr0 & CR0_CD) && (cr0 & CR0_NW))
		return (fail(f, "CR0=%#" PRIx64 ": CD=0 with NW=1", cr0));
	return (0);
}

static int
cr0_high(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t cr0 = g(v, VMCB_CR0);

	if ((cr0 >> 32) != 0)
		return (fail(f, "CR0=%#" PRIx64 ": bits 63:32 set", cr0));
	return (0);
}

/* CR3: bits above the physical-address width in long mode, 63:32 else. */
static int
cr3_mbz(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t cr3 = g(v, VMCB_CR3);
	uint64_t mbz = long_paging(v) ? ~((1ULL << HOSTMEM_PHYS_BITS) - 1) :
	    0xFFFFFFFF00000000ULL;

	if (cr3 & mbz)
		return (fail(f, "CR3=%#" PRIx64 ": MBZ bits %#" PRIx64 " set",
		    cr3, cr3 & mbz));
	return (0);
}

/* CR4 bits this processor has (no VMXE, LA57, SMXE, CET, PKS on it). */
#define SVM_CR4_VALID	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | \
	CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | \
	CR4_UMIP | CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | \
	CR4_SMAP | CR4_PKE)

static int
cr4_mbz(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t cr4 = g(v, VMCB_CR4);

	if (cr4 & ~SVM_CR4_VALID)
		return (fail(f, "CR4=%#" PRIx64 ": reserved bits %#" PRIx64
		    " set", cr4, (uint64_t)(cr4 & ~SVM_CR4_VALID)));
	return (0);
}

static int
dr6_high(const uint8_t *v, struct svm_check_failure *f)
{
	if ((g(v, VMCB_DR6) >> 32) != 0)
		return (fail(f, "DR6=%#" PRIx64 ": bits 63:32 set",
		    g(v, VMCB_DR6)));
	return (0);
}

static int
dr7_high(const uint8_t *v, struct svm_check_failure *f)
{
	if ((g(v, VMCB_DR7) >> 32) != 0)
		return (fail(f, "DR7=%#" PRIx64 ": bits 63:32 set",
		    g(v, VMCB_DR7)));
	return (0);
}

static int
efer_mbz(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t efer = g(v, VMCB_EFER);

	if (efer & ~EFER_AMD_VALID)
		return (fail(f, "EFER=%#" PRIx64 ": MBZ bits %#" PRIx64 " set",
		    efer, (uint64_t)(efer & ~EFER_AMD_VALID)));
	return (0);
}

static int
lme_pg_no_pae(const uint8_t *v, struct svm_check_failure *f)
{
	if (long_paging(v) && !(g(v, VMCB_CR4) & CR4_PAE))
		return (fail(f, "EFER.LME=1 CR0.PG=1 CR4=%#" PRIx64 ": PAE 0",
		    g(v, VMCB_CR4)));
	return (0);
}

static int
lme_pg_no_pe(const uint8_t *v, struct svm_check_failure *f)
{
	if (long_paging(v) && !(g(v, VMCB_CR0) & CR0_PE))
		return (fail(f, "EFER.LME=1 CR0=%#" PRIx64 ": PG=1 with PE=0",
		    g(v, VMCB_CR0)));
	return (0);
}

static int
lme_pg_cs_l_d(const uint8_t *v, struct svm_check_failure *f)
{
	struct vmcb_seg cs;

	vmcb_get_seg(v, VMCB_CS, &cs);
	if (long_paging(v) && (g(v, VMCB_CR4) & CR4_PAE) &&
	    (cs.attrib & VMCB_ATTR_L) && (cs.attrib & VMCB_ATTR_DB))
		return (fail(f, "long mode with CS.attrib=%#x: L=1 and D=1",
		    cs.attrib));
	return (0);
}

static int
vmrun_intercept(const uint8_t *v, struct svm_check_failure *f)
{
	uint32_t w = (uint32_t)vmcb_read(v, VMCB_INTERCEPT_MISC2, 4);

	if (!(w & SVM_INTERCEPT2_VMRUN))
		return (fail(f, "intercepts at 0x010 = %#x: VMRUN clear", w));
	return (0);
}

/* The 12 KiB IOPM and 8 KiB MSRPM must lie below MAXPHYADDR. */
static int
pm_beyond_max(const uint8_t *v, struct svm_check_failure *f)
{
	uint32_t w = (uint32_t)vmcb_read(v, VMCB_INTERCEPT_MISC1, 4);
	uint64_t io = g(v, VMCB_IOPM_BASE_PA) & ~0xFFFULL;
	uint64_t msr = g(v, VMCB_MSRPM_BASE_PA) & ~0xFFFULL;
	uint64_t max = 1ULL << HOSTMEM_PHYS_BITS;

	if ((w & SVM_INTERCEPT_IOIO_PROT) && (io >= max || max - io < 3 * 4096))
		return (fail(f, "IOPM_BASE_PA=%#" PRIx64 ": the IOPM extends "
		    "beyond MAXPHYADDR (%d bits)", io, HOSTMEM_PHYS_BITS));
	if ((w & SVM_INTERCEPT_MSR_PROT) &&
	    (msr >= max || max - msr < 2 * 4096))
		return (fail(f, "MSRPM_BASE_PA=%#" PRIx64 ": the MSRPM extends "
		    "beyond MAXPHYADDR (%d bits)", msr, HOSTMEM_PHYS_BITS));
	return (0);
}

/*
 * §15.20: a reserved type (1, 5-7), an exception with vector 2 or above
 * 31, or a reserved bit (30:12) makes the injection illegal.
 */
static int
bad_event_inj(const uint8_t *v, struct svm_check_failure *f)
{
	uint64_t e = g(v, VMCB_EVENTINJ);
	unsigned type = (unsigned)((e & SVM_EVTINJ_TYPE_MASK) >>
	    SVM_EVTINJ_TYPE_SHIFT), vec = (unsigned)(e & SVM_EVTINJ_VECTOR_MASK);

	if (!(e & SVM_EVTINJ_V))
		return (0);
	if (type == 1 || type > SVM_EVTINJ_TYPE_SOFT)
		return (fail(f, "EVENTINJ=%#" PRIx64 ": reserved type %u", e,
		    type));
	if (type == SVM_EVTINJ_TYPE_EXCEPT && (vec == 2 || vec > 31))
		return (fail(f, "EVENTINJ=%#" PRIx64 ": exception vector %u",
		    e, vec));
	if (e & SVM_EVTINJ_RESERVED)
		return (fail(f, "EVENTINJ=%#" PRIx64 ": reserved bits 30:12",
		    e));
	return (0);
}

static int
asid_zero(const uint8_t *v, struct svm_check_failure *f)
{
	if (vmcb_read(v, VMCB_GUEST_ASID, 4) == 0)
		return (fail(f, "guest ASID is 0 (the host's)"));
	return (0);
}

#define RULE(n, w)	{ #n, "15.5.1", w, n }
const struct svm_check_rule svm_check_rules[] = {
	RULE(svme_zero, "EFER.SVME is 1"),
	RULE(cr0_cd_nw, "not CR0.CD=0 with CR0.NW=1"),
	RULE(cr0_high, "CR0[63:32] are 0"),
	RULE(cr3_mbz, "CR3's MBZ bits are 0"),
	RULE(cr4_mbz, "CR4's MBZ (reserved) bits are 0"),
	RULE(dr6_high, "DR6[63:32] are 0"),
	RULE(dr7_high, "DR7[63:32] are 0"),
	RULE(efer_mbz, "EFER's MBZ bits are 0"),
	RULE(lme_pg_no_pae, "EFER.LME=1 and CR0.PG=1 need CR4.PAE=1"),
	RULE(lme_pg_no_pe, "EFER.LME=1 and CR0.PG=1 need CR0.PE=1"),
	RULE(lme_pg_cs_l_d, "long mode: not both CS.L and CS.D"),
	RULE(vmrun_intercept, "the VMRUN intercept is set"),
	RULE(pm_beyond_max, "IOPM and MSRPM lie below MAXPHYADDR"),
	{ "bad_event_inj", "15.20", "EVENTINJ is a legal event",
	    bad_event_inj },
	RULE(asid_zero, "the guest ASID is not 0"),
};
const size_t svm_check_nrules = sizeof(svm_check_rules) /
    sizeof(svm_check_rules[0]);

/* Run every rule in order; 0, or -1 with the first failure in *f. */
int
svm_check_vmrun(const uint8_t *vmcb, struct svm_check_failure *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < svm_check_nrules; i++)
		if (svm_check_rules[i].check(vmcb, f) != 0) {
			f->rule = &svm_check_rules[i];
			return (-1);
		}
	return (0);
}

/* The last VMRUN's failed check, for a monitor's trace (emu.h). */
int
svm_vmrun_failure(struct emu_cpu *cpu, struct emu_entry_failure *out)
{
	const struct svm_check_failure *f;

	memset(out, 0, sizeof(*out));
	if (cpu->svm == NULL || !cpu->svm->failed ||
	    cpu->svm->failure.rule == NULL)
		return (-1);
	f = &cpu->svm->failure;
	out->rule = f->rule->name;
	out->section = f->rule->apm;
	out->what = f->rule->what;
	out->detail = f->detail;
	return (0);
}
