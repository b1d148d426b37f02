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
 * VMX capability profiles: the capability-MSR values a simulated CPU
 * reports, and RDMSR of those MSRs.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu/vmx_caps.h"

/*
 * "skylake-server": a Xeon Scalable (Skylake-SP) class CPU.
 *
 * IA32_VMX_BASIC	VMCS revision 4, VMCS region 4096 bytes, VMCS memory
 *			type WB, INS/OUTS instruction information reported
 *			(bit 54), TRUE_* control MSRs present (bit 55); no
 *			32-bit physical-address limit, no dual-monitor SMM
 *			treatment, the error-code consistency check of event
 *			injection still applies (bit 56 clear).
 * pin-based		default1 bits 1, 2, 4; may set external-interrupt,
 *			NMI exiting, virtual NMIs, preemption timer, posted
 *			interrupts.
 * primary proc-based	default1 0x0401E172; the TRUE_ MSR lets CR3-load and
 *			CR3-store exiting (bits 15, 16) be cleared, as on real
 *			CPUs.  Everything except bits 0, 17 (no tertiary
 *			controls) and 18 may be 1.
 * secondary proc-based	APIC-access virtualization, EPT, descriptor-table
 *			exiting, RDTSCP, x2APIC virtualization, VPID, WBINVD
 *			exiting, unrestricted guest, APIC-register
 *			virtualization, virtual-interrupt delivery, PAUSE-loop
 *			exiting, RDRAND exiting, INVPCID, VM functions, VMCS
 *			shadowing, RDSEED exiting, PML, EPT-violation #VE,
 *			conceal VMX from PT, XSAVES/XRSTORS, mode-based
 *			execute control for EPT, TSC scaling (0x025F7FFF).
 * exit			default1 0x00036DFF (TRUE_: "save debug controls" may
 *			be cleared); may-be-1 up to bit 24.
 * entry		default1 0x000011FF (TRUE_: "load debug controls" may
 *			be cleared); may-be-1 up to bit 17 (BNDCFGS, PT).
 * IA32_VMX_MISC	preemption timer at TSC >> 5, EFER.LMA stored into
 *			"IA-32e mode guest" on exit, activity states HLT,
 *			shutdown and wait-for-SIPI, PT in VMX operation,
 *			RDMSR of IA32_SMBASE in SMM, 4 CR3-target values, MSR
 *			lists of up to 512 entries, VMWRITE to exit-information
 *			fields, zero-length software-event injection.
 * CR0 fixed		FIXED0 0x80000021 (PE, NE, PG), FIXED1 0xFFFFFFFF.
 * CR4 fixed		FIXED0 0x2000 (VMXE), FIXED1 0x3767FF (no UMIP, LA57,
 *			PKE, CET, PKS).
 * VMCS_ENUM		highest field index 0x17.
 * EPT_VPID_CAP		execute-only, 4-level walk, UC and WB paging-structure
 *			memory types, 2M and 1G pages, INVEPT single-context
 *			and all-context, EPT A/D flags; INVVPID individual
 *			address, single-context, all-context and
 *			single-context-retaining-globals.
 * VMFUNC		EPTP switching.
 */
static const struct vmx_caps vmx_caps_skylake_server = {
	.name = "skylake-server",
	.description = "Xeon Scalable (Skylake-SP) class, EPT/VPID/UG",
	.basic = 0x00D8100000000004ULL,
	.pinbased = 0x000000FF00000016ULL,
	.procbased = 0xFFF9FFFE0401E172ULL,
	.exit = 0x01FFFFFF00036DFFULL,
	.entry = 0x0003FFFF000011FFULL,
	.misc = 0x000000007004C1E5ULL,
	.cr0_fixed0 = 0x0000000080000021ULL,
	.cr0_fixed1 = 0x00000000FFFFFFFFULL,
	.cr4_fixed0 = 0x0000000000002000ULL,
	.cr4_fixed1 = 0x00000000003767FFULL,
	.vmcs_enum = 0x000000000000002EULL,
	.procbased2 = 0x025F7FFF00000000ULL,
	.ept_vpid_cap = 0x00000F0106334141ULL,
	.true_pinbased = 0x000000FF00000016ULL,
	.true_procbased = 0xFFF9FFFE04006172ULL,
	.true_exit = 0x01FFFFFF00036DFBULL,
	.true_entry = 0x0003FFFF000011FBULL,
	.vmfunc = 0x0000000000000001ULL,
	.procbased3 = 0,
	.exit2 = 0,
};

/*
 * "vmmsim" (the default): the skylake-server CPU less what the simulated
 * CPU does not implement yet, so that a monitor can never enable a
 * feature that would silently do nothing.  Differences:
 * pin-based		no posted interrupts (may-be-1 0x7F).
 * primary proc-based	no monitor trap flag (bit 27).
 * secondary proc-based	EPT, RDTSCP, VPID, WBINVD exiting, unrestricted
 *			guest, RDRAND exiting, INVPCID, RDSEED exiting,
 *			conceal VMX from PT, XSAVES/XRSTORS (0x001918EA):
 *			no APIC virtualization, descriptor-table exiting,
 *			PAUSE-loop exiting, VM functions, VMCS shadowing,
 *			PML, #VE, mode-based execute control or TSC scaling.
 * IA32_VMX_MISC	activity states active and HLT only.
 * CR4 fixed		FIXED1 0x376FFF: CR4.UMIP may be 1, because the
 *			monitor's CPUID (like OpenBSD's) always advertises
 *			UMIP and the engine implements it; a guest that
 *			believes it would otherwise fail VM entry.
 * VMFUNC		none.
 */
static const struct vmx_caps vmx_caps_vmmsim = {
	.name = "vmmsim",
	.description = "skylake-server less what vmmsim does not implement",
	.basic = 0x00D8100000000004ULL,
	.pinbased = 0x0000007F00000016ULL,
	.procbased = 0xF7F9FFFE0401E172ULL,
	.exit = 0x01FFFFFF00036DFFULL,
	.entry = 0x0003FFFF000011FFULL,
	.misc = 0x000000007004C065ULL,
	.cr0_fixed0 = 0x0000000080000021ULL,
	.cr0_fixed1 = 0x00000000FFFFFFFFULL,
	.cr4_fixed0 = 0x0000000000002000ULL,
	.cr4_fixed1 = 0x0000000000376FFFULL,
	.vmcs_enum = 0x000000000000002EULL,
	.procbased2 = 0x001918EA00000000ULL,
	.ept_vpid_cap = 0x00000F0106334141ULL,
	.true_pinbased = 0x0000007F00000016ULL,
	.true_procbased = 0xF7F9FFFE04006172ULL,
	.true_exit = 0x01FFFFFF00036DFBULL,
	.true_entry = 0x0003FFFF000011FBULL,
	.vmfunc = 0,
	.procbased3 = 0,
	.exit2 = 0,
};

static const struct vmx_caps *const vmx_caps_profiles[] = {
	&vmx_caps_vmmsim,
	&vmx_caps_skylake_server,
};

#define VMX_CAPS_NPROFILES \
	(sizeof(vmx_caps_profiles) / sizeof(vmx_caps_profiles[0]))

/*
 * Returns the profile called name, the default ("vmmsim") for
 * NULL or "default", or NULL if there is no such profile.
 */
const struct vmx_caps *
vmx_caps_profile(const char *name)
{
	size_t i;

	if (name == NULL || strcmp(name, "default") == 0)
		return (vmx_caps_profiles[0]);
	for (i = 0; i < VMX_CAPS_NPROFILES; i++)
		if (strcmp(vmx_caps_profiles[i]->name, name) == 0)
			return (vmx_caps_profiles[i]);
	return (NULL);
}

/* The name of the i-th profile, or NULL past the last one. */
const char *
vmx_caps_profile_name(size_t i)
{
	if (i >= VMX_CAPS_NPROFILES)
		return (NULL);
	return (vmx_caps_profiles[i]->name);
}

/*
 * RDMSR of a VMX capability MSR.  An MSR the profile does not enumerate
 * (SDM Appendix A: PROCBASED2 needs secondary controls, EPT_VPID_CAP needs
 * EPT or VPID, TRUE_* need IA32_VMX_BASIC[55], VMFUNC needs VM functions,
 * PROCBASED3 needs tertiary controls, EXIT_CTLS2 secondary exit controls)
 * is treated like any other non-VMX MSR.
 * Returns 0 and stores the value in *val, or -1 (the caller raises #GP).
 */
int
vmx_caps_rdmsr(const struct vmx_caps *c, uint32_t msr, uint64_t *val)
{
	uint32_t p1 = vmx_ctl_allowed1(c->procbased);
	uint32_t p2 = (p1 & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS) ?
	    vmx_ctl_allowed1(c->procbased2) : 0;
	int truectls = (c->basic & IA32_VMX_TRUE_CTLS_AVAIL) != 0;

	switch (msr) {
	case IA32_VMX_BASIC:		*val = c->basic; break;
	case IA32_VMX_PINBASED_CTLS:	*val = c->pinbased; break;
	case IA32_VMX_PROCBASED_CTLS:	*val = c->procbased; break;
	case IA32_VMX_EXIT_CTLS:	*val = c->exit; break;
	case IA32_VMX_ENTRY_CTLS:	*val = c->entry; break;
	case IA32_VMX_MISC:		*val = c->misc; break;
	case IA32_VMX_CR0_FIXED0:	*val = c->cr0_fixed0; break;
	case IA32_VMX_CR0_FIXED1:	*val = c->cr0_fixed1; break;
	case IA32_VMX_CR4_FIXED0:	*val = c->cr4_fixed0; break;
	case IA32_VMX_CR4_FIXED1:	*val = c->cr4_fixed1; break;
	case IA32_VMX_VMCS_ENUM:	*val = c->vmcs_enum; break;
	case IA32_VMX_PROCBASED2_CTLS:
		if (!(p1 & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS))
			return (-1);
		*val = c->procbased2;
		break;
	case IA32_VMX_EPT_VPID_CAP:
		if (!(p2 & (IA32_VMX_ENABLE_EPT | IA32_VMX_ENABLE_VPID)))
			return (-1);
		*val = c->ept_vpid_cap;
		break;
	case IA32_VMX_TRUE_PINBASED_CTLS:
		if (!truectls)
			return (-1);
		*val = c->true_pinbased;
		break;
	case IA32_VMX_TRUE_PROCBASED_CTLS:
		if (!truectls)
			return (-1);
		*val = c->true_procbased;
		break;
	case IA32_VMX_TRUE_EXIT_CTLS:
		if (!truectls)
			return (-1);
		*val = c->true_exit;
		break;
	case IA32_VMX_TRUE_ENTRY_CTLS:
		if (!truectls)
			return (-1);
		*val = c->true_entry;
		break;
	case IA32_VMX_VMFUNC:
		if (!(p2 & IA32_VMX_ENABLE_VM_FUNCTIONS))
			return (-1);
		*val = c->vmfunc;
		break;
	case IA32_VMX_PROCBASED3_CTLS:
		if (!(p1 & IA32_VMX_ACTIVATE_TERTIARY_CONTROLS))
			return (-1);
		*val = c->procbased3;
		break;
	case IA32_VMX_EXIT_CTLS2:
		if (!(vmx_ctl_allowed1(c->exit) &
		    IA32_VMX_ACTIVATE_SECONDARY_EXIT_CONTROLS))
			return (-1);
		*val = c->exit2;
		break;
	default:
		return (-1);
	}
	return (0);
}

/*
 * The MSR that VM entry checks a 32-bit control field against: the TRUE_
 * one when IA32_VMX_BASIC[55] is 1 (SDM Appendix A.3.1-A.5).
 */
uint64_t
vmx_caps_pinbased_ctls(const struct vmx_caps *c)
{
	return ((c->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    c->true_pinbased : c->pinbased);
}

uint64_t
vmx_caps_procbased_ctls(const struct vmx_caps *c)
{
	return ((c->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    c->true_procbased : c->procbased);
}

uint64_t
vmx_caps_exit_ctls(const struct vmx_caps *c)
{
	return ((c->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    c->true_exit : c->exit);
}

uint64_t
vmx_caps_entry_ctls(const struct vmx_caps *c)
{
	return ((c->basic & IA32_VMX_TRUE_CTLS_AVAIL) ?
	    c->true_entry : c->entry);
}
