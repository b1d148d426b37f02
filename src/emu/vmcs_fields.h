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
 * The VMCS field table of the simulated VT-x CPU: one constant per field
 * encoding of Intel SDM Vol. 3D Appendix B ("Field Encoding in VMCS"),
 * the table that gives each field its width, type, dump group and storage
 * slot, the VM-instruction error numbers (SDM Vol. 3C §31.4) and the
 * layout of the simulated VMCS region.
 *
 * Names are OpenBSD's (sys/arch/amd64/include/specialreg.h) wherever
 * OpenBSD defines the field, so src/vmm reads like vmm_machdep.c; the
 * other names follow the same pattern.  Every 64-bit field also has its
 * high-access encoding (encoding | 1) under the same name with _HI.
 *
 * Encoding layout (SDM Vol. 3C §25.11.2, "VMREAD, VMWRITE, and Encodings
 * of VMCS Fields"):
 *	bit 0		access type (0 full, 1 high: 64-bit fields only)
 *	bits 9:1	index
 *	bits 11:10	type (control, read-only data, guest state, host state)
 *	bit 12		reserved, 0
 *	bits 14:13	width (16-bit, 64-bit, 32-bit, natural)
 *	bits 31:15	reserved, 0
 */

#ifndef VMMSIM_EMU_VMCS_FIELDS_H
#define VMMSIM_EMU_VMCS_FIELDS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <machine/vmmvar.h>

/* 16-bit control fields */
#define VMCS_GUEST_VPID				0x0000
#define VMCS_POSTED_INT_NOTIF_VECTOR		0x0002
#define VMCS_EPTP_INDEX				0x0004
#define VMCS_HLAT_PREFIX_SIZE			0x0006
#define VMCS_LAST_PID_POINTER_INDEX		0x0008

/* 16-bit guest-state fields */
#define VMCS_GUEST_IA32_ES_SEL			0x0800
#define VMCS_GUEST_IA32_CS_SEL			0x0802
#define VMCS_GUEST_IA32_SS_SEL			0x0804
#define VMCS_GUEST_IA32_DS_SEL			0x0806
#define VMCS_GUEST_IA32_FS_SEL			0x0808
#define VMCS_GUEST_IA32_GS_SEL			0x080A
#define VMCS_GUEST_IA32_LDTR_SEL		0x080C
#define VMCS_GUEST_IA32_TR_SEL			0x080E
#define VMCS_GUEST_INTERRUPT_STATUS		0x0810
#define VMCS_GUEST_PML_INDEX			0x0812
#define VMCS_GUEST_UINV				0x0814

/* 16-bit host-state fields */
#define VMCS_HOST_IA32_ES_SEL			0x0C00
#define VMCS_HOST_IA32_CS_SEL			0x0C02
#define VMCS_HOST_IA32_SS_SEL			0x0C04
#define VMCS_HOST_IA32_DS_SEL			0x0C06
#define VMCS_HOST_IA32_FS_SEL			0x0C08
#define VMCS_HOST_IA32_GS_SEL			0x0C0A
#define VMCS_HOST_IA32_TR_SEL			0x0C0C

/* 64-bit control fields */
#define VMCS_IO_BITMAP_A			0x2000
#define VMCS_IO_BITMAP_A_HI			0x2001
#define VMCS_IO_BITMAP_B			0x2002
#define VMCS_IO_BITMAP_B_HI			0x2003
#define VMCS_MSR_BITMAP_ADDRESS			0x2004
#define VMCS_MSR_BITMAP_ADDRESS_HI		0x2005
#define VMCS_EXIT_STORE_MSR_ADDRESS		0x2006
#define VMCS_EXIT_STORE_MSR_ADDRESS_HI		0x2007
#define VMCS_EXIT_LOAD_MSR_ADDRESS		0x2008
#define VMCS_EXIT_LOAD_MSR_ADDRESS_HI		0x2009
#define VMCS_ENTRY_LOAD_MSR_ADDRESS		0x200A
#define VMCS_ENTRY_LOAD_MSR_ADDRESS_HI		0x200B
#define VMCS_EXECUTIVE_VMCS_POINTER		0x200C
#define VMCS_EXECUTIVE_VMCS_POINTER_HI		0x200D
#define VMCS_PML_ADDRESS			0x200E
#define VMCS_PML_ADDRESS_HI			0x200F
#define VMCS_TSC_OFFSET				0x2010
#define VMCS_TSC_OFFSET_HI			0x2011
#define VMCS_VIRTUAL_APIC_ADDRESS		0x2012
#define VMCS_VIRTUAL_APIC_ADDRESS_HI		0x2013
#define VMCS_APIC_ACCESS_ADDRESS		0x2014
#define VMCS_APIC_ACCESS_ADDRESS_HI		0x2015
#define VMCS_POSTED_INTERRUPT_DESC		0x2016
#define VMCS_POSTED_INTERRUPT_DESC_HI		0x2017
#define VMCS_VM_FUNCTION_CONTROLS		0x2018
#define VMCS_VM_FUNCTION_CONTROLS_HI		0x2019
#define VMCS_GUEST_IA32_EPTP			0x201A
#define VMCS_GUEST_IA32_EPTP_HI			0x201B
#define VMCS_EOI_EXIT_BITMAP_0			0x201C
#define VMCS_EOI_EXIT_BITMAP_0_HI		0x201D
#define VMCS_EOI_EXIT_BITMAP_1			0x201E
#define VMCS_EOI_EXIT_BITMAP_1_HI		0x201F
#define VMCS_EOI_EXIT_BITMAP_2			0x2020
#define VMCS_EOI_EXIT_BITMAP_2_HI		0x2021
#define VMCS_EOI_EXIT_BITMAP_3			0x2022
#define VMCS_EOI_EXIT_BITMAP_3_HI		0x2023
#define VMCS_EPTP_LIST_ADDRESS			0x2024
#define VMCS_EPTP_LIST_ADDRESS_HI		0x2025
#define VMCS_VMREAD_BITMAP_ADDRESS		0x2026
#define VMCS_VMREAD_BITMAP_ADDRESS_HI		0x2027
#define VMCS_VMWRITE_BITMAP_ADDRESS		0x2028
#define VMCS_VMWRITE_BITMAP_ADDRESS_HI		0x2029
#define VMCS_VIRTUALIZATION_EXC_ADDRESS		0x202A
#define VMCS_VIRTUALIZATION_EXC_ADDRESS_HI	0x202B
#define VMCS_XSS_EXITING_BITMAP			0x202C
#define VMCS_XSS_EXITING_BITMAP_HI		0x202D
#define VMCS_ENCLS_EXITING_BITMAP		0x202E
#define VMCS_ENCLS_EXITING_BITMAP_HI		0x202F
#define VMCS_SPP_TABLE_POINTER			0x2030
#define VMCS_SPP_TABLE_POINTER_HI		0x2031
#define VMCS_TSC_MULTIPLIER			0x2032
#define VMCS_TSC_MULTIPLIER_HI			0x2033
#define VMCS_PROCBASED3_CTLS			0x2034
#define VMCS_PROCBASED3_CTLS_HI			0x2035
#define VMCS_ENCLV_EXITING_BITMAP		0x2036
#define VMCS_ENCLV_EXITING_BITMAP_HI		0x2037
#define VMCS_LOW_PASID_DIR_ADDRESS		0x2038
#define VMCS_LOW_PASID_DIR_ADDRESS_HI		0x2039
#define VMCS_HIGH_PASID_DIR_ADDRESS		0x203A
#define VMCS_HIGH_PASID_DIR_ADDRESS_HI		0x203B
#define VMCS_SHARED_EPTP			0x203C
#define VMCS_SHARED_EPTP_HI			0x203D
#define VMCS_PCONFIG_EXITING_BITMAP		0x203E
#define VMCS_PCONFIG_EXITING_BITMAP_HI		0x203F
#define VMCS_HLAT_POINTER			0x2040
#define VMCS_HLAT_POINTER_HI			0x2041
#define VMCS_PID_POINTER_TABLE_ADDRESS		0x2042
#define VMCS_PID_POINTER_TABLE_ADDRESS_HI	0x2043
#define VMCS_SECONDARY_EXIT_CTLS		0x2044
#define VMCS_SECONDARY_EXIT_CTLS_HI		0x2045
#define VMCS_IA32_SPEC_CTRL_MASK		0x204A
#define VMCS_IA32_SPEC_CTRL_MASK_HI		0x204B
#define VMCS_IA32_SPEC_CTRL_SHADOW		0x204C
#define VMCS_IA32_SPEC_CTRL_SHADOW_HI		0x204D

/* 64-bit read-only data field */
#define VMCS_GUEST_PHYSICAL_ADDRESS		0x2400
#define VMCS_GUEST_PHYSICAL_ADDRESS_HI		0x2401

/* 64-bit guest-state fields */
#define VMCS_LINK_POINTER			0x2800
#define VMCS_LINK_POINTER_HI			0x2801
#define VMCS_GUEST_IA32_DEBUGCTL		0x2802
#define VMCS_GUEST_IA32_DEBUGCTL_HI		0x2803
#define VMCS_GUEST_IA32_PAT			0x2804
#define VMCS_GUEST_IA32_PAT_HI			0x2805
#define VMCS_GUEST_IA32_EFER			0x2806
#define VMCS_GUEST_IA32_EFER_HI			0x2807
#define VMCS_GUEST_IA32_PERF_GBL_CTRL		0x2808
#define VMCS_GUEST_IA32_PERF_GBL_CTRL_HI	0x2809
#define VMCS_GUEST_PDPTE0			0x280A
#define VMCS_GUEST_PDPTE0_HI			0x280B
#define VMCS_GUEST_PDPTE1			0x280C
#define VMCS_GUEST_PDPTE1_HI			0x280D
#define VMCS_GUEST_PDPTE2			0x280E
#define VMCS_GUEST_PDPTE2_HI			0x280F
#define VMCS_GUEST_PDPTE3			0x2810
#define VMCS_GUEST_PDPTE3_HI			0x2811
#define VMCS_GUEST_IA32_BNDCFGS			0x2812
#define VMCS_GUEST_IA32_BNDCFGS_HI		0x2813
#define VMCS_GUEST_IA32_RTIT_CTL		0x2814
#define VMCS_GUEST_IA32_RTIT_CTL_HI		0x2815
#define VMCS_GUEST_IA32_LBR_CTL			0x2816
#define VMCS_GUEST_IA32_LBR_CTL_HI		0x2817
#define VMCS_GUEST_IA32_PKRS			0x2818
#define VMCS_GUEST_IA32_PKRS_HI			0x2819

/* 64-bit host-state fields */
#define VMCS_HOST_IA32_PAT			0x2C00
#define VMCS_HOST_IA32_PAT_HI			0x2C01
#define VMCS_HOST_IA32_EFER			0x2C02
#define VMCS_HOST_IA32_EFER_HI			0x2C03
#define VMCS_HOST_IA32_PERF_GBL_CTRL		0x2C04
#define VMCS_HOST_IA32_PERF_GBL_CTRL_HI		0x2C05
#define VMCS_HOST_IA32_PKRS			0x2C06
#define VMCS_HOST_IA32_PKRS_HI			0x2C07

/* 32-bit control fields */
#define VMCS_PINBASED_CTLS			0x4000
#define VMCS_PROCBASED_CTLS			0x4002
#define VMCS_EXCEPTION_BITMAP			0x4004
#define VMCS_PF_ERROR_CODE_MASK			0x4006
#define VMCS_PF_ERROR_CODE_MATCH		0x4008
#define VMCS_CR3_TARGET_COUNT			0x400A
#define VMCS_EXIT_CTLS				0x400C
#define VMCS_EXIT_MSR_STORE_COUNT		0x400E
#define VMCS_EXIT_MSR_LOAD_COUNT		0x4010
#define VMCS_ENTRY_CTLS				0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT		0x4014
#define VMCS_ENTRY_INTERRUPTION_INFO		0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE		0x4018
#define VMCS_ENTRY_INSTRUCTION_LENGTH		0x401A
#define VMCS_TPR_THRESHOLD			0x401C
#define VMCS_PROCBASED2_CTLS			0x401E
#define VMCS_PLE_GAP				0x4020
#define VMCS_PLE_WINDOW				0x4022
#define VMCS_INSTRUCTION_TIMEOUT_CTL		0x4024

/* 32-bit read-only data fields */
#define VMCS_INSTRUCTION_ERROR			0x4400
#define VMCS_EXIT_REASON			0x4402
#define VMCS_EXIT_INTERRUPTION_INFO		0x4404
#define VMCS_EXIT_INTERRUPTION_ERR_CODE		0x4406
#define VMCS_IDT_VECTORING_INFO			0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE		0x440A
#define VMCS_INSTRUCTION_LENGTH			0x440C
#define VMCS_EXIT_INSTRUCTION_INFO		0x440E

/* 32-bit guest-state fields */
#define VMCS_GUEST_IA32_ES_LIMIT		0x4800
#define VMCS_GUEST_IA32_CS_LIMIT		0x4802
#define VMCS_GUEST_IA32_SS_LIMIT		0x4804
#define VMCS_GUEST_IA32_DS_LIMIT		0x4806
#define VMCS_GUEST_IA32_FS_LIMIT		0x4808
#define VMCS_GUEST_IA32_GS_LIMIT		0x480A
#define VMCS_GUEST_IA32_LDTR_LIMIT		0x480C
#define VMCS_GUEST_IA32_TR_LIMIT		0x480E
#define VMCS_GUEST_IA32_GDTR_LIMIT		0x4810
#define VMCS_GUEST_IA32_IDTR_LIMIT		0x4812
#define VMCS_GUEST_IA32_ES_AR			0x4814
#define VMCS_GUEST_IA32_CS_AR			0x4816
#define VMCS_GUEST_IA32_SS_AR			0x4818
#define VMCS_GUEST_IA32_DS_AR			0x481A
#define VMCS_GUEST_IA32_FS_AR			0x481C
#define VMCS_GUEST_IA32_GS_AR			0x481E
#define VMCS_GUEST_IA32_LDTR_AR			0x4820
#define VMCS_GUEST_IA32_TR_AR			0x4822
#define VMCS_GUEST_INTERRUPTIBILITY_ST		0x4824
#define VMCS_GUEST_ACTIVITY_STATE		0x4826
#define VMCS_GUEST_SMBASE			0x4828
#define VMCS_GUEST_IA32_SYSENTER_CS		0x482A
#define VMCS_VMX_PREEMPTION_TIMER_VAL		0x482E

/* 32-bit host-state field */
#define VMCS_HOST_IA32_SYSENTER_CS		0x4C00

/* Natural-width control fields */
#define VMCS_CR0_MASK				0x6000
#define VMCS_CR4_MASK				0x6002
#define VMCS_CR0_READ_SHADOW			0x6004
#define VMCS_CR4_READ_SHADOW			0x6006
#define VMCS_CR3_TARGET_0			0x6008
#define VMCS_CR3_TARGET_1			0x600A
#define VMCS_CR3_TARGET_2			0x600C
#define VMCS_CR3_TARGET_3			0x600E

/* Natural-width read-only data fields */
#define VMCS_GUEST_EXIT_QUALIFICATION		0x6400
#define VMCS_IO_RCX				0x6402
#define VMCS_IO_RSI				0x6404
#define VMCS_IO_RDI				0x6406
#define VMCS_IO_RIP				0x6408
#define VMCS_GUEST_LINEAR_ADDRESS		0x640A

/* Natural-width guest-state fields */
#define VMCS_GUEST_IA32_CR0			0x6800
#define VMCS_GUEST_IA32_CR3			0x6802
#define VMCS_GUEST_IA32_CR4			0x6804
#define VMCS_GUEST_IA32_ES_BASE			0x6806
#define VMCS_GUEST_IA32_CS_BASE			0x6808
#define VMCS_GUEST_IA32_SS_BASE			0x680A
#define VMCS_GUEST_IA32_DS_BASE			0x680C
#define VMCS_GUEST_IA32_FS_BASE			0x680E
#define VMCS_GUEST_IA32_GS_BASE			0x6810
#define VMCS_GUEST_IA32_LDTR_BASE		0x6812
#define VMCS_GUEST_IA32_TR_BASE			0x6814
#define VMCS_GUEST_IA32_GDTR_BASE		0x6816
#define VMCS_GUEST_IA32_IDTR_BASE		0x6818
#define VMCS_GUEST_IA32_DR7			0x681A
#define VMCS_GUEST_IA32_RSP			0x681C
#define VMCS_GUEST_IA32_RIP			0x681E
#define VMCS_GUEST_IA32_RFLAGS			0x6820
#define VMCS_GUEST_PENDING_DBG_EXC		0x6822
#define VMCS_GUEST_IA32_SYSENTER_ESP		0x6824
#define VMCS_GUEST_IA32_SYSENTER_EIP		0x6826
#define VMCS_GUEST_IA32_S_CET			0x6828
#define VMCS_GUEST_IA32_SSP			0x682A
#define VMCS_GUEST_IA32_INTR_SSP_TABLE_ADDR	0x682C

/* Natural-width host-state fields */
#define VMCS_HOST_IA32_CR0			0x6C00
#define VMCS_HOST_IA32_CR3			0x6C02
#define VMCS_HOST_IA32_CR4			0x6C04
#define VMCS_HOST_IA32_FS_BASE			0x6C06
#define VMCS_HOST_IA32_GS_BASE			0x6C08
#define VMCS_HOST_IA32_TR_BASE			0x6C0A
#define VMCS_HOST_IA32_GDTR_BASE		0x6C0C
#define VMCS_HOST_IA32_IDTR_BASE		0x6C0E
#define VMCS_HOST_IA32_SYSENTER_ESP		0x6C10
#define VMCS_HOST_IA32_SYSENTER_EIP		0x6C12
#define VMCS_HOST_IA32_RSP			0x6C14
#define VMCS_HOST_IA32_RIP			0x6C16
#define VMCS_HOST_IA32_S_CET			0x6C18
#define VMCS_HOST_IA32_SSP			0x6C1A
#define VMCS_HOST_IA32_INTR_SSP_TABLE_ADDR	0x6C1C

/* Number of entries in vmcs_fields[] (full-width encodings only). */
#define VMCS_NFIELDS				181

/*
 * VM-instruction error numbers, the value of VMCS_INSTRUCTION_ERROR after
 * VMfailValid (SDM Vol. 3C §31.4, "VM Instruction Error Numbers").
 * 14, 21 and 27 are not assigned.
 */
#define VMXERR_VMCALL_IN_VMX_ROOT			1
#define VMXERR_VMCLEAR_INVALID_ADDRESS			2
#define VMXERR_VMCLEAR_VMXON_POINTER			3
#define VMXERR_VMLAUNCH_NONCLEAR_VMCS			4
#define VMXERR_VMRESUME_NONLAUNCHED_VMCS		5
#define VMXERR_VMRESUME_AFTER_VMXOFF			6
#define VMXERR_ENTRY_INVALID_CONTROL_FIELDS		7
#define VMXERR_ENTRY_INVALID_HOST_STATE			8
#define VMXERR_VMPTRLD_INVALID_ADDRESS			9
#define VMXERR_VMPTRLD_VMXON_POINTER			10
#define VMXERR_VMPTRLD_INCORRECT_REVISION		11
#define VMXERR_UNSUPPORTED_COMPONENT			12
#define VMXERR_VMWRITE_READ_ONLY_COMPONENT		13
#define VMXERR_VMXON_IN_VMX_ROOT			15
#define VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER	16
#define VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS		17
#define VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER	18
#define VMXERR_VMCALL_NONCLEAR_VMCS			19
#define VMXERR_VMCALL_INVALID_EXIT_CONTROL_FIELDS	20
#define VMXERR_VMCALL_INCORRECT_MSEG_REVISION		22
#define VMXERR_VMXOFF_UNDER_DUAL_MONITOR		23
#define VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES	24
#define VMXERR_ENTRY_INVALID_EXECUTIVE_EXEC_CONTROLS	25
#define VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS		26
#define VMXERR_INVALID_INVEPT_INVVPID_OPERAND		28

/*
 * Basic exit reasons (SDM Vol. 3D Appendix C) that machine/vmmvar.h, which
 * stops at OpenBSD's last one (VMX_EXIT_XRSTORS, 64), does not define.
 * 71 is not assigned.
 */
#define VMX_EXIT_ENCLS				60
#define VMX_EXIT_PML_FULL			62
#define VMX_EXIT_PCONFIG			65
#define VMX_EXIT_SPP_EVENT			66
#define VMX_EXIT_UMWAIT				67
#define VMX_EXIT_TPAUSE				68
#define VMX_EXIT_LOADIWKEY			69
#define VMX_EXIT_ENCLV				70
#define VMX_EXIT_ENQCMD_PASID_FAIL		72
#define VMX_EXIT_ENQCMDS_PASID_FAIL		73
#define VMX_EXIT_BUS_LOCK			74
#define VMX_EXIT_INSTRUCTION_TIMEOUT		75
#define VMX_EXIT_SEAMCALL			76
#define VMX_EXIT_TDCALL				77
#define VMX_EXIT_RDMSRLIST			78
#define VMX_EXIT_WRMSRLIST			79

/* The exit-reason field: basic reason in bits 15:0, entry failure bit 31. */
#define VMX_EXIT_REASON_BASIC_MASK		0x0000FFFFU
#define VMX_EXIT_REASON_ENTRY_FAILURE		0x80000000U

/* Field encoding bits (SDM Vol. 3C §25.11.2). */
#define VMCS_ENC_ACCESS_HIGH		0x00000001U
#define VMCS_ENC_INDEX_SHIFT		1
#define VMCS_ENC_INDEX_MASK		0x1FFU
#define VMCS_ENC_TYPE_SHIFT		10
#define VMCS_ENC_TYPE_MASK		0x3U
#define VMCS_ENC_WIDTH_SHIFT		13
#define VMCS_ENC_WIDTH_MASK		0x3U
#define VMCS_ENC_RESERVED_MASK		0xFFFF9000U	/* bits 31:15 and 12 */

/*
 * The simulated VMCS region (SDM Vol. 3C §25.2): revision identifier in
 * bits 30:0 of the first dword with the shadow-VMCS indicator in bit 31,
 * the VMX-abort indicator in the second dword, then the field data: one
 * 8-byte slot per field, in host byte order, indexed by vmcs_field.slot.
 */
#define VMCS_REGION_SIZE		4096
#define VMCS_REVISION_OFFSET		0
#define VMCS_REVISION_MASK		0x7FFFFFFFU
#define VMCS_SHADOW_INDICATOR		0x80000000U
#define VMCS_ABORT_OFFSET		4
#define VMCS_DATA_OFFSET		8
#define VMCS_SLOT_SIZE			8

/* END OF FIELD CONSTANTS */

_Static_assert(VMCS_DATA_OFFSET + VMCS_SLOT_SIZE * VMCS_NFIELDS <=
    VMCS_REGION_SIZE, "VMCS field data does not fit in the VMCS region");

/* Encoding bits 14:13. */
enum vmcs_width {
	VMCS_W16,
	VMCS_W64,
	VMCS_W32,
	VMCS_WNAT
};

/* Encoding bits 11:10. */
enum vmcs_type {
	VMCS_T_CONTROL,
	VMCS_T_RODATA,
	VMCS_T_GUEST,
	VMCS_T_HOST
};

/* The VMCS areas of SDM Vol. 3C §25.4-§25.9, in dump order. */
enum vmcs_group {
	VMCS_G_GUEST,		/* §25.4 guest-state area */
	VMCS_G_HOST,		/* §25.5 host-state area */
	VMCS_G_EXEC_CTL,	/* §25.6 VM-execution control fields */
	VMCS_G_EXIT_CTL,	/* §25.7 VM-exit control fields */
	VMCS_G_ENTRY_CTL,	/* §25.8 VM-entry control fields */
	VMCS_G_EXIT_INFO,	/* §25.9 VM-exit information fields */
	VMCS_G_NGROUPS
};

/*
 * One VMCS field.  The table is immutable ([I]) and shared by all vcpus.
 */
struct vmcs_field {
	uint32_t	 encoding;	/* [I] full encoding, never a _HI one */
	const char	*name;		/* [I] the constant's full name, with
					 * the "VMCS_" prefix */
	enum vmcs_width	 width;		/* [I] */
	enum vmcs_type	 type;		/* [I] */
	enum vmcs_group	 group;		/* [I] */
	uint16_t	 slot;		/* [I] 0..VMCS_NFIELDS-1, dense */
	bool		 lazy;		/* [I] guest state src/emu saves only
					 * on demand (VMCS_FIELD_LAZY) */
};

extern const struct vmcs_field vmcs_fields[VMCS_NFIELDS];

const struct vmcs_field	*vmcs_field_lookup(uint32_t);
int			 vmcs_field_is_high(uint32_t);
const struct vmcs_field	*vmcs_field_by_name(const char *);
const char		*vmcs_group_name(enum vmcs_group);
const char		*vmx_instruction_error_name(uint32_t);
const char		*vmx_exit_reason_name(uint32_t);
uint64_t		 vmcs_data_read(const void *, uint32_t);
void			 vmcs_data_write(void *, uint32_t, uint64_t);

/* Decoding of an encoding's bits; no check that the field exists. */
static inline enum vmcs_width
vmcs_enc_width(uint32_t encoding)
{
	return (enum vmcs_width)((encoding >> VMCS_ENC_WIDTH_SHIFT) &
	    VMCS_ENC_WIDTH_MASK);
}

static inline enum vmcs_type
vmcs_enc_type(uint32_t encoding)
{
	return (enum vmcs_type)((encoding >> VMCS_ENC_TYPE_SHIFT) &
	    VMCS_ENC_TYPE_MASK);
}

static inline unsigned int
vmcs_enc_index(uint32_t encoding)
{
	return (encoding >> VMCS_ENC_INDEX_SHIFT) & VMCS_ENC_INDEX_MASK;
}

static inline int
vmcs_enc_is_high(uint32_t encoding)
{
	return (encoding & VMCS_ENC_ACCESS_HIGH) != 0;
}

/* The encoding of the full field: a _HI encoding without its access bit. */
static inline uint32_t
vmcs_enc_full(uint32_t encoding)
{
	return encoding & ~VMCS_ENC_ACCESS_HIGH;
}

/* Byte offset of a field's 8-byte slot in the VMCS region. */
static inline size_t
vmcs_field_offset(const struct vmcs_field *f)
{
	return VMCS_DATA_OFFSET + VMCS_SLOT_SIZE * (size_t)f->slot;
}

/*
 * The lookup index is (width, type, index): 4 x 4 x 64 entries, each the
 * field's slot + 1 (0: no such field).  No Appendix B index reaches 64.
 */
#define VMCS_LOOKUP_NINDEX	64
#define VMCS_LOOKUP_NTYPE	4
#define VMCS_LOOKUP_NWIDTH	4
#define VMCS_LOOKUP_SIZE	\
	(VMCS_LOOKUP_NWIDTH * VMCS_LOOKUP_NTYPE * VMCS_LOOKUP_NINDEX)
#define VMCS_ENC_WIDTH_BITS(e)	\
	(((e) >> VMCS_ENC_WIDTH_SHIFT) & VMCS_ENC_WIDTH_MASK)
#define VMCS_ENC_TYPE_BITS(e)	\
	(((e) >> VMCS_ENC_TYPE_SHIFT) & VMCS_ENC_TYPE_MASK)
#define VMCS_ENC_INDEX_BITS(e)	\
	(((e) >> VMCS_ENC_INDEX_SHIFT) & VMCS_ENC_INDEX_MASK)
#define VMCS_LOOKUP_KEY(e)						\
	((VMCS_ENC_WIDTH_BITS(e) * VMCS_LOOKUP_NTYPE +			\
	    VMCS_ENC_TYPE_BITS(e)) * VMCS_LOOKUP_NINDEX +		\
	    VMCS_ENC_INDEX_BITS(e))

extern const uint16_t vmcs_lookup_tab[VMCS_LOOKUP_SIZE];

/*
 * vmcs_field_lookup inline, for VMREAD and VMWRITE: the field an encoding
 * names, or NULL (reserved bits, a _HI encoding of a field that is not
 * 64-bit, no such field).
 */
static inline const struct vmcs_field *
vmcs_field_find(uint32_t encoding)
{
	unsigned int n;

	if ((encoding & VMCS_ENC_RESERVED_MASK) != 0 ||
	    vmcs_enc_index(encoding) >= VMCS_LOOKUP_NINDEX)
		return NULL;
	if (vmcs_enc_is_high(encoding) && vmcs_enc_width(encoding) != VMCS_W64)
		return NULL;
	n = vmcs_lookup_tab[VMCS_LOOKUP_KEY(encoding)];
	return n == 0 ? NULL : &vmcs_fields[n - 1];
}

/*
 * The CPU's own reads and writes of its VMCS, with encodings it names
 * itself (never a caller's): vmcs_data_read/vmcs_data_write without the
 * checks on the encoding, inline so that a constant encoding costs a
 * table load.  An encoding with no field reads 0 and writes nothing.
 */
static inline uint64_t
vmcs_slot_read(const void *page, uint32_t encoding)
{
	unsigned int n = vmcs_lookup_tab[VMCS_LOOKUP_KEY(encoding) &
	    (VMCS_LOOKUP_SIZE - 1)];
	uint64_t v;

	if (n == 0)
		return 0;
	memcpy(&v, (const uint8_t *)page + VMCS_DATA_OFFSET +
	    VMCS_SLOT_SIZE * (size_t)(n - 1), sizeof(v));
	if (encoding & VMCS_ENC_ACCESS_HIGH)
		return v >> 32;
	switch (VMCS_ENC_WIDTH_BITS(encoding)) {
	case VMCS_W16:
		return v & UINT16_MAX;
	case VMCS_W32:
		return v & UINT32_MAX;
	default:
		return v;
	}
}

static inline void
vmcs_slot_write(void *page, uint32_t encoding, uint64_t value)
{
	unsigned int n = vmcs_lookup_tab[VMCS_LOOKUP_KEY(encoding) &
	    (VMCS_LOOKUP_SIZE - 1)];
	uint8_t *p;
	uint64_t v;

	if (n == 0)
		return;
	p = (uint8_t *)page + VMCS_DATA_OFFSET +
	    VMCS_SLOT_SIZE * (size_t)(n - 1);
	if (encoding & VMCS_ENC_ACCESS_HIGH) {
		memcpy(&v, p, sizeof(v));
		v = (v & UINT32_MAX) | ((value & UINT32_MAX) << 32);
	} else {
		switch (VMCS_ENC_WIDTH_BITS(encoding)) {
		case VMCS_W16:
			v = value & UINT16_MAX;
			break;
		case VMCS_W32:
			v = value & UINT32_MAX;
			break;
		default:
			v = value;
		}
	}
	memcpy(p, &v, sizeof(v));
}

/* VMREAD of field f (found for encoding, maybe its high part) in page. */
static inline uint64_t
vmcs_field_get(const void *page, const struct vmcs_field *f,
    uint32_t encoding)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)page + vmcs_field_offset(f), sizeof(v));
	if (encoding & VMCS_ENC_ACCESS_HIGH)
		return v >> 32;
	switch (f->width) {
	case VMCS_W16:
		return v & UINT16_MAX;
	case VMCS_W32:
		return v & UINT32_MAX;
	default:
		return v;
	}
}

/*
 * VMREAD's lookup in one load: a 16-bit descriptor for every encoding
 * below VMCS_DESC_N (any other sets reserved bits 31:15), 0 where the
 * encoding names no field (bit 12 set, no such field, the _HI encoding of
 * a field that is not 64-bit).  A descriptor holds the field's slot + 1,
 * its width, whether the encoding is the high half, and VMCS_FIELD_LAZY.
 */
#define VMCS_DESC_N		0x8000
#define VMCS_DESC_SLOT		0x03FFU		/* slot + 1 */
#define VMCS_DESC_HIGH		0x0400U
#define VMCS_DESC_WIDTH_SHIFT	11		/* enum vmcs_width, 2 bits */
#define VMCS_DESC_LAZY		0x2000U
#define VMCS_DESC(slot, w, lazy, high)					\
	((uint16_t)(((slot) + 1) | ((unsigned)(w) << VMCS_DESC_WIDTH_SHIFT) | \
	    ((lazy) ? VMCS_DESC_LAZY : 0) | ((high) ? VMCS_DESC_HIGH : 0)))

extern const uint16_t vmcs_desc_tab[VMCS_DESC_N + VMCS_NFIELDS];

/* The bits of its slot a field with descriptor d holds. */
static inline uint64_t
vmcs_desc_mask(unsigned int d)
{
	static const uint64_t width_mask[4] = {
		[VMCS_W16] = UINT16_MAX, [VMCS_W64] = UINT64_MAX,
		[VMCS_W32] = UINT32_MAX, [VMCS_WNAT] = UINT64_MAX
	};

	return width_mask[(d >> VMCS_DESC_WIDTH_SHIFT) & VMCS_ENC_WIDTH_MASK];
}

/* Byte offset of the slot of the field with descriptor d (not 0). */
static inline size_t
vmcs_desc_offset(unsigned int d)
{
	return VMCS_DATA_OFFSET + VMCS_SLOT_SIZE *
	    (size_t)((d & VMCS_DESC_SLOT) - 1);
}

/* The value a VMREAD with descriptor d (not 0) returns from page. */
static inline uint64_t
vmcs_desc_get(const void *page, unsigned int d)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)page + vmcs_desc_offset(d), sizeof(v));
	/* Only a 64-bit field has a high half: its mask is all ones. */
	v >>= (d & VMCS_DESC_HIGH) ? 32 : 0;
	return v & vmcs_desc_mask(d);
}

/*
 * The guest-state fields the CPU rewrites at every VM exit, which
 * src/emu saves eagerly: reading them needs no sync with the engine, and
 * a VMWRITE of one calls for only the VM-entry checks that read it
 * (vmentry.h, VMENTRY_DIRTY_*).  The other guest-state fields, and the
 * VM-entry controls (their IA-32e mode guest bit follows EFER.LMA), are
 * saved from the engine only when someone asks: VMCS_FIELD_LAZY.
 */
#define VMCS_FIELD_PER_EXIT(e)						\
	((e) == VMCS_GUEST_IA32_RIP || (e) == VMCS_GUEST_IA32_RSP ||	\
	 (e) == VMCS_GUEST_IA32_RFLAGS ||				\
	 (e) == VMCS_GUEST_INTERRUPTIBILITY_ST ||			\
	 (e) == VMCS_GUEST_ACTIVITY_STATE ||				\
	 (e) == VMCS_GUEST_PENDING_DBG_EXC ||				\
	 (e) == VMCS_VMX_PREEMPTION_TIMER_VAL)
#define VMCS_FIELD_LAZY(e, t)						\
	(((t) == VMCS_T_GUEST && !VMCS_FIELD_PER_EXIT(e)) ||		\
	 (e) == VMCS_ENTRY_CTLS)

static inline bool
vmcs_field_per_exit(uint32_t encoding)
{
	return VMCS_FIELD_PER_EXIT(encoding);
}

#endif /* VMMSIM_EMU_VMCS_FIELDS_H */
