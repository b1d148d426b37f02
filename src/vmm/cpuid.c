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
 * CPUID: the documented host CPU and what a guest sees of it
 * (vmm-contract.md §14).
 *
 * The simulated machine's processor ("vmmsim-host") is a fixed profile so
 * that results never depend on the machine vmmsim runs on: an Intel
 * family 6 model 0x55 (Skylake-SP) class CPU, 1.0 GHz invariant TSC
 * (25 MHz crystal x 40, so one TSC tick is one retired instruction's
 * nanosecond of virtual time), XSAVE of x87 and SSE state only, and only
 * instruction-set extensions that the simulated CPU executes (no AVX, no
 * AVX-512, no TSX).  The guest's view is derived from it by the kernel's
 * rules, quirks included.  An AMD twin (below) answers on RVI softcs.
 */

#include <string.h>

#include "vmm_svm.h"
#include "vmm_vmx.h"

#define HOST_MAX_LEAF		0x16
#define HOST_MAX_EXT_LEAF	0x80000008U

/* Leaf 1 ECX */
#define CPUIDECX_SSE3		(1U << 0)
#define CPUIDECX_PCLMUL		(1U << 1)
#define CPUIDECX_DTES64		(1U << 2)
#define CPUIDECX_MWAIT		(1U << 3)
#define CPUIDECX_DSCPL		(1U << 4)
#define CPUIDECX_VMX		(1U << 5)
#define CPUIDECX_SMX		(1U << 6)
#define CPUIDECX_EST		(1U << 7)
#define CPUIDECX_TM2		(1U << 8)
#define CPUIDECX_SSSE3		(1U << 9)
#define CPUIDECX_CNXTID		(1U << 10)
#define CPUIDECX_SDBG		(1U << 11)
#define CPUIDECX_CX16		(1U << 13)
#define CPUIDECX_XTPR		(1U << 14)
#define CPUIDECX_PDCM		(1U << 15)
#define CPUIDECX_PCID		(1U << 17)
#define CPUIDECX_DCA		(1U << 18)
#define CPUIDECX_SSE41		(1U << 19)
#define CPUIDECX_SSE42		(1U << 20)
#define CPUIDECX_X2APIC		(1U << 21)
#define CPUIDECX_MOVBE		(1U << 22)
#define CPUIDECX_POPCNT		(1U << 23)
#define CPUIDECX_DEADLINE	(1U << 24)
#define CPUIDECX_AES		(1U << 25)
#define CPUIDECX_XSAVE		(1U << 26)
#define CPUIDECX_OSXSAVE	(1U << 27)
#define CPUIDECX_RDRAND		(1U << 30)
#define CPUIDECX_HV		(1U << 31)

/* Leaf 1 EDX */
#define CPUID_MCE		(1U << 7)
#define CPUID_APIC		(1U << 9)
#define CPUID_MTRR		(1U << 12)
#define CPUID_MCA		(1U << 14)
#define CPUID_PSN		(1U << 18)
#define CPUID_DS		(1U << 21)
#define CPUID_ACPI		(1U << 22)
#define CPUID_SS		(1U << 27)
#define CPUID_HTT		(1U << 28)
#define CPUID_TM		(1U << 29)
#define CPUID_PBE		(1U << 31)

/* Leaf 7 subleaf 0 */
#define SEFF0EBX_FSGSBASE	(1U << 0)
#define SEFF0EBX_TSC_ADJUST	(1U << 1)
#define SEFF0EBX_SGX		(1U << 2)
#define SEFF0EBX_BMI1		(1U << 3)
#define SEFF0EBX_HLE		(1U << 4)
#define SEFF0EBX_SMEP		(1U << 7)
#define SEFF0EBX_BMI2		(1U << 8)
#define SEFF0EBX_ERMS		(1U << 9)
#define SEFF0EBX_INVPCID	(1U << 10)
#define SEFF0EBX_RTM		(1U << 11)
#define SEFF0EBX_PQM		(1U << 12)
#define SEFF0EBX_MPX		(1U << 14)
#define SEFF0EBX_AVX512F	(1U << 16)
#define SEFF0EBX_AVX512DQ	(1U << 17)
#define SEFF0EBX_RDSEED		(1U << 18)
#define SEFF0EBX_ADX		(1U << 19)
#define SEFF0EBX_SMAP		(1U << 20)
#define SEFF0EBX_AVX512IFMA	(1U << 21)
#define SEFF0EBX_PCOMMIT	(1U << 22)
#define SEFF0EBX_CLFLUSHOPT	(1U << 23)
#define SEFF0EBX_PT		(1U << 25)
#define SEFF0EBX_AVX512PF	(1U << 26)
#define SEFF0EBX_AVX512ER	(1U << 27)
#define SEFF0EBX_AVX512CD	(1U << 28)
#define SEFF0EBX_AVX512BW	(1U << 30)
#define SEFF0EBX_AVX512VL	(1U << 31)
#define SEFF0ECX_UMIP		(1U << 2)
#define SEFF0EDX_MD_CLEAR	(1U << 10)

/* Extended leaves */
#define CPUIDECX_SVM		(1U << 2)
#define CPUIDECX_MWAITX		(1U << 29)
#define CPUID_RDTSCP		(1U << 27)
#define CPUIDEDX_ITSC		(1U << 8)

/* KVM paravirtual features (leaves 0x40000001 and 0x40000101) */
#define KVM_FEATURE_NOP_IO_DELAY	(1U << 1)
#define KVM_FEATURE_CLOCKSOURCE2	(1U << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE	(1U << 24)

#define XSAVE_X87_SSE		0x3U
#define XSAVE_LEGACY_SIZE	576	/* 512-byte legacy area + header */

struct leaf {
	uint32_t	leaf, subleaf;
	uint32_t	a, b, c, d;
};

/* A documented host CPU: its CPUID table and what the kernel reads of it. */
struct cpu_profile {
	uint32_t		 max_leaf;	/* CPUID 0 EAX */
	uint32_t		 max_ext_leaf;	/* CPUID 0x80000000 EAX */
	const struct leaf	*leaves;
	size_t			 nleaves;
	const char		*brand;		/* 48 bytes */
	int			 tsc_invariant;	/* 0x80000007 EDX bit 8 */
	uint64_t		 tsc_hz;
};

static const char intel_brand[48] = "vmmsim simulated Intel(R) CPU @ 1.00GHz";

/* The host's CPUID, leaf by leaf (subleaf ~0 matches any subleaf). */
static const struct leaf intel_leaves[] = {
	{ 0x0, ~0U, HOST_MAX_LEAF, 0x756e6547, 0x6c65746e, 0x49656e69 },
	{ 0x1, ~0U, 0x00050654, 0x00020800,
	    CPUIDECX_SSE3 | CPUIDECX_PCLMUL | CPUIDECX_DTES64 |
	    CPUIDECX_MWAIT | CPUIDECX_DSCPL | CPUIDECX_VMX | CPUIDECX_EST |
	    CPUIDECX_TM2 | CPUIDECX_SSSE3 | CPUIDECX_CX16 | CPUIDECX_XTPR |
	    CPUIDECX_PDCM | CPUIDECX_PCID | CPUIDECX_SSE41 | CPUIDECX_SSE42 |
	    CPUIDECX_X2APIC | CPUIDECX_MOVBE | CPUIDECX_POPCNT |
	    CPUIDECX_DEADLINE | CPUIDECX_AES | CPUIDECX_XSAVE |
	    CPUIDECX_OSXSAVE | CPUIDECX_RDRAND,
	    0xBFEBFBFF },
	{ 0x2, ~0U, 0x00FEFF01, 0, 0, 0 },
	{ 0x4, 0, 0x1C004121, 0x01C0003F, 0x0000003F, 0 },
	{ 0x4, 1, 0x1C004122, 0x01C0003F, 0x0000003F, 0 },
	{ 0x4, 2, 0x1C004143, 0x03C0003F, 0x000003FF, 0 },
	{ 0x4, 3, 0x1C03C163, 0x0280003F, 0x00009FFF, 0x4 },
	{ 0x7, 0, 0,
	    SEFF0EBX_FSGSBASE | SEFF0EBX_TSC_ADJUST | SEFF0EBX_BMI1 |
	    SEFF0EBX_SMEP | SEFF0EBX_BMI2 | SEFF0EBX_ERMS | SEFF0EBX_INVPCID |
	    SEFF0EBX_RDSEED | SEFF0EBX_ADX | SEFF0EBX_SMAP |
	    SEFF0EBX_CLFLUSHOPT, SEFF0ECX_UMIP, SEFF0EDX_MD_CLEAR },
	{ 0xD, 0, XSAVE_X87_SSE, XSAVE_LEGACY_SIZE, XSAVE_LEGACY_SIZE, 0 },
	{ 0xD, 1, 0x1, 0, 0, 0 },
	{ 0x15, ~0U, 1, 40, 25000000, 0 },
	{ 0x16, ~0U, 1000, 1000, 100, 0 },
	{ 0x80000000, ~0U, HOST_MAX_EXT_LEAF, 0, 0, 0 },
	{ 0x80000001, ~0U, 0, 0, 0x00000121,
	    (1U << 11) | (1U << 20) | (1U << 26) | CPUID_RDTSCP | (1U << 29) },
	{ 0x80000006, ~0U, 0, 0, 0x04008040, 0 },
	{ 0x80000007, ~0U, 0, 0, 0, CPUIDEDX_ITSC },
	{ 0x80000008, ~0U, 0x0000302E, 0, 0, 0 },
};

static const struct cpu_profile intel_profile = {
	HOST_MAX_LEAF, HOST_MAX_EXT_LEAF, intel_leaves,
	sizeof(intel_leaves) / sizeof(intel_leaves[0]), intel_brand,
	1, 1000000000ULL
};

/*
 * The AMD host ("vmmsim-host-amd", VMMSIM_CPU=amd): an AMD family 0x17
 * model 0x31 (Zen 2, EPYC class) signature with the same 1.0 GHz
 * invariant TSC, XSAVE of x87 and SSE state only, and the same
 * instruction-set extensions as the Intel profile, since both run on one
 * engine (no AVX, no SSE4A, no XOP, no TBM).  Its maximum basic leaf is
 * 0x10, as on Zen 2, so the guest's leaf 0x15 is the kernel's own TSC
 * leaf.  SVM (CPUID 0x8000000A): revision 1, 32768 ASIDs, nested paging,
 * nRIP save, VMCB clean bits, flush by ASID and decode assists, what the
 * simulated CPU implements; no SEV (leaf 0x8000001F reads 0, so the first
 * ASID is 1).
 */
static const char amd_brand[48] = "vmmsim simulated AMD(R) CPU @ 1.00GHz";

#define AMD_MAX_LEAF		0x10
#define AMD_MAX_EXT_LEAF	0x8000001FU
#define AMD_SIGNATURE		0x00830F10

static const struct leaf amd_leaves[] = {
	{ 0x0, ~0U, AMD_MAX_LEAF, 0x68747541, 0x444D4163, 0x69746E65 },
	{ 0x1, ~0U, AMD_SIGNATURE, 0x00020800,
	    CPUIDECX_SSE3 | CPUIDECX_PCLMUL | CPUIDECX_MWAIT |
	    CPUIDECX_SSSE3 | CPUIDECX_CX16 | CPUIDECX_SSE41 | CPUIDECX_SSE42 |
	    CPUIDECX_MOVBE | CPUIDECX_POPCNT | CPUIDECX_AES | CPUIDECX_XSAVE |
	    CPUIDECX_OSXSAVE | CPUIDECX_RDRAND,
	    0x178BFBFF },
	{ 0x7, 0, 0,
	    SEFF0EBX_FSGSBASE | SEFF0EBX_BMI1 | SEFF0EBX_SMEP |
	    SEFF0EBX_BMI2 | SEFF0EBX_RDSEED | SEFF0EBX_ADX | SEFF0EBX_SMAP |
	    SEFF0EBX_CLFLUSHOPT, SEFF0ECX_UMIP, 0 },
	{ 0xD, 0, XSAVE_X87_SSE, XSAVE_LEGACY_SIZE, XSAVE_LEGACY_SIZE, 0 },
	{ 0xD, 1, 0x1, 0, 0, 0 },
	{ 0x80000000, ~0U, AMD_MAX_EXT_LEAF, 0x68747541, 0x444D4163,
	    0x69746E65 },
	{ 0x80000001, ~0U, AMD_SIGNATURE, 0x20000000,
	    0x00000121 | CPUIDECX_SVM,
	    0x0183F3FF | (1U << 11) | (1U << 20) | (1U << 26) |
	    CPUID_RDTSCP | (1U << 29) },
	{ 0x80000005, ~0U, 0xFF40FF40, 0xFF40FF40, 0x20080140, 0x20080140 },
	{ 0x80000006, ~0U, 0x26006400, 0x66006400, 0x02006140, 0x00808140 },
	{ 0x80000007, ~0U, 0, 0, 0, CPUIDEDX_ITSC },
	{ 0x80000008, ~0U, 0x0000302E, 0x00001000, 0, 0 },
	{ 0x8000000A, ~0U, 0x1, 0x8000, 0,
	    SVM_FEAT_NP | SVM_FEAT_NRIPS | SVM_FEAT_VMCB_CLEAN |
	    SVM_FEAT_FLUSH_BY_ASID | SVM_FEAT_DECODE_ASSISTS },
};

static const struct cpu_profile amd_profile = {
	AMD_MAX_LEAF, AMD_MAX_EXT_LEAF, amd_leaves,
	sizeof(amd_leaves) / sizeof(amd_leaves[0]), amd_brand,
	1, 1000000000ULL
};

/*
 * A host's CPUID.  Brand-string leaves come from the profile's brand; any
 * leaf the table lacks reads as zeros.
 */
static void
profile_cpuid(const struct cpu_profile *p, uint32_t leaf, uint32_t subleaf,
    uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	size_t i;

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf >= 0x80000002 && leaf <= 0x80000004) {
		const char *w = p->brand + 16 * (leaf - 0x80000002);

		memcpy(eax, w, 4);
		memcpy(ebx, w + 4, 4);
		memcpy(ecx, w + 8, 4);
		memcpy(edx, w + 12, 4);
		return;
	}
	for (i = 0; i < p->nleaves; i++) {
		const struct leaf *l = &p->leaves[i];

		if (l->leaf == leaf && (l->subleaf == ~0U ||
		    l->subleaf == subleaf)) {
			*eax = l->a;
			*ebx = l->b;
			*ecx = l->c;
			*edx = l->d;
			return;
		}
	}
}

void
vmm_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
    uint32_t *ecx, uint32_t *edx)
{
	profile_cpuid(&intel_profile, leaf, subleaf, eax, ebx, ecx, edx);
}

void
vmm_host_cpuid_amd(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
    uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	profile_cpuid(&amd_profile, leaf, subleaf, eax, ebx, ecx, edx);
}

/*
 * The guest's CPUID (vmm_handle_cpuid): the requested leaf is clamped to
 * the advertised maximum, the host's answer filtered as the kernel does.
 * vmx selects the host (the Intel profile, else the AMD one) and the
 * VMX-only rule (MISC_ENABLE "limit CPUID" caps the maximum basic leaf
 * at 2).  The advertised maximum L is the host's, raised to 0x15 when the
 * host's is lower and its TSC invariant; the host is asked only for
 * leaves up to its own maximum or above 0x80000000, so leaves in
 * (host max, L] start from zeros.
 */
void
vmm_guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t vcpu_id,
    uint64_t guest_cr4, uint64_t guest_xcr0, uint64_t misc_enable, int vmx,
    uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	const struct cpu_profile *p = vmx ? &intel_profile : &amd_profile;
	uint32_t max = p->max_leaf, a, b, c, d;

	(void)guest_xcr0;
	if (max < 0x15 && p->tsc_invariant)
		max = 0x15;
	if (vmx && (misc_enable & (1ULL << 22)))
		max = 2;
	if ((leaf > max && leaf < 0x40000000) || leaf > p->max_ext_leaf)
		leaf = max;
	if (leaf <= p->max_leaf || leaf > 0x80000000)
		profile_cpuid(p, leaf, subleaf, &a, &b, &c, &d);
	else
		a = b = c = d = 0;
	*eax = *ebx = *ecx = *edx = 0;

	switch (leaf) {
	case 0x0:
		*eax = max;
		*ebx = b;
		*ecx = c;
		*edx = d;
		break;
	case 0x1:
		*eax = a;
		*ebx = (b & 0xFFFF) | (vcpu_id << 24);
		*ecx = (c | CPUIDECX_HV) & ~(CPUIDECX_DTES64 | CPUIDECX_MWAIT |
		    CPUIDECX_DSCPL | CPUIDECX_VMX | CPUIDECX_SMX | CPUIDECX_EST |
		    CPUIDECX_TM2 | CPUIDECX_CNXTID | CPUIDECX_SDBG |
		    CPUIDECX_XTPR | CPUIDECX_PDCM | CPUIDECX_PCID | CPUIDECX_DCA |
		    CPUIDECX_X2APIC | CPUIDECX_DEADLINE | CPUIDECX_OSXSAVE);
		if (guest_cr4 & (1ULL << 18))		/* CR4.OSXSAVE */
			*ecx |= CPUIDECX_OSXSAVE;
		*edx = d & ~(CPUID_MCE | CPUID_APIC | CPUID_MTRR | CPUID_MCA |
		    CPUID_PSN | CPUID_DS | CPUID_ACPI | CPUID_SS | CPUID_HTT |
		    CPUID_TM | CPUID_PBE);
		break;
	case 0x2: case 0x16: case 0x80000005: case 0x80000006:
	case 0x8000001D: case 0x8000001F:
		*eax = a;
		*ebx = b;
		*ecx = c;
		*edx = d;
		break;
	case 0x4:
		*eax = a & 0x3FF;
		*ebx = b;
		*ecx = c;
		*edx = d;
		break;
	case 0x7:
		if (subleaf != 0)
			break;
		*ebx = b & ~(SEFF0EBX_TSC_ADJUST | SEFF0EBX_SGX | SEFF0EBX_HLE |
		    SEFF0EBX_INVPCID | SEFF0EBX_RTM | SEFF0EBX_PQM |
		    SEFF0EBX_MPX | SEFF0EBX_AVX512F | SEFF0EBX_AVX512DQ |
		    SEFF0EBX_AVX512IFMA | SEFF0EBX_PCOMMIT | SEFF0EBX_PT |
		    SEFF0EBX_AVX512PF | SEFF0EBX_AVX512ER | SEFF0EBX_AVX512CD |
		    SEFF0EBX_AVX512BW | SEFF0EBX_AVX512VL);
		*ecx = c & SEFF0ECX_UMIP;
		*edx = d & SEFF0EDX_MD_CLEAR;
		break;
	case 0xD:
		if (subleaf == 0) {
			*eax = XSAVE_X87_SSE;
			*ecx = XSAVE_LEGACY_SIZE;
			*ebx = XSAVE_LEGACY_SIZE;	/* x87|SSE for any XCR0 */
		} else if (subleaf == 1) {
			*eax = a & 0x5;		/* XSAVEOPT, XGETBV1 */
		}
		break;
	case 0x15:
		if (p->max_leaf >= 0x15) {
			*eax = a;
			*ebx = b;
			*ecx = c;
			*edx = d;
		} else {
			/* The TSC leaf the kernel makes up: 1 GHz / 100. */
			*eax = 1;
			*ebx = 100;
			*ecx = (uint32_t)(p->tsc_hz / 100);
		}
		break;
	case 0x40000000:
		memcpy(ebx, "Open", 4);
		memcpy(ecx, "BSDV", 4);
		memcpy(edx, "MM58", 4);
		break;
	case 0x40000001:
		*eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE;
		break;
	case 0x40000100:
		*eax = 0x40000101;
		memcpy(ebx, "KVMK", 4);
		memcpy(ecx, "VMKV", 4);
		memcpy(edx, "M\0\0\0", 4);
		break;
	case 0x40000101:
		*eax = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE |
		    KVM_FEATURE_NOP_IO_DELAY;
		break;
	case 0x80000000:
		*eax = p->max_ext_leaf < 0x8000001FU ? p->max_ext_leaf :
		    0x8000001FU;
		break;
	case 0x80000001:
		*eax = a;
		*ecx = c & ~(CPUIDECX_SVM | CPUIDECX_MWAITX);
		*edx = d & ~CPUID_RDTSCP;
		break;
	case 0x80000002: case 0x80000003: case 0x80000004:
		*eax = a;
		*ebx = b;
		*ecx = c;
		*edx = d;
		break;
	case 0x80000007:
		*eax = a;
		*ebx = b;
		*ecx = c;
		*edx = d & CPUIDEDX_ITSC;
		break;
	case 0x80000008:
		*eax = a;
		/* minus IBPB, IBRS, STIBP, their always-on and preferred bits,
		 * SSBD, VIRT_SSBD and SSBD-not-required */
		*ebx = b & ~0x0707D000U;
		*edx = d;
		break;
	default:
		break;
	}
}
