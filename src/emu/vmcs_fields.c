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
 * The VMCS field table (SDM Vol. 3D Appendix B), its O(1) lookup for
 * VMREAD/VMWRITE, field access on a raw VMCS region, and the name tables
 * for VM-instruction errors and basic exit reasons.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "vmcs_fields.h"

/*
 * Every field, in Appendix B order: name (without "VMCS_"), width, type,
 * dump group.  Width and type restate the encoding's bits on purpose:
 * the compile-time checks below and tests/check_emu_fields.c hold the two
 * against each other.
 */
#define VMCS_FIELD_LIST(F)						\
	/* 16-bit control fields */					\
	F(GUEST_VPID,			W16,	CONTROL, EXEC_CTL)	\
	F(POSTED_INT_NOTIF_VECTOR,	W16,	CONTROL, EXEC_CTL)	\
	F(EPTP_INDEX,			W16,	CONTROL, EXEC_CTL)	\
	F(HLAT_PREFIX_SIZE,		W16,	CONTROL, EXEC_CTL)	\
	F(LAST_PID_POINTER_INDEX,	W16,	CONTROL, EXEC_CTL)	\
	/* 16-bit guest-state fields */					\
	F(GUEST_IA32_ES_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CS_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SS_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DS_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_FS_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GS_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_LDTR_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_IA32_TR_SEL,		W16,	GUEST,	 GUEST)		\
	F(GUEST_INTERRUPT_STATUS,	W16,	GUEST,	 GUEST)		\
	F(GUEST_PML_INDEX,		W16,	GUEST,	 GUEST)		\
	F(GUEST_UINV,			W16,	GUEST,	 GUEST)		\
	/* 16-bit host-state fields */					\
	F(HOST_IA32_ES_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_CS_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_SS_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_DS_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_FS_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_GS_SEL,		W16,	HOST,	 HOST)		\
	F(HOST_IA32_TR_SEL,		W16,	HOST,	 HOST)		\
	/* 64-bit control fields */					\
	F(IO_BITMAP_A,			W64,	CONTROL, EXEC_CTL)	\
	F(IO_BITMAP_B,			W64,	CONTROL, EXEC_CTL)	\
	F(MSR_BITMAP_ADDRESS,		W64,	CONTROL, EXEC_CTL)	\
	F(EXIT_STORE_MSR_ADDRESS,	W64,	CONTROL, EXIT_CTL)	\
	F(EXIT_LOAD_MSR_ADDRESS,	W64,	CONTROL, EXIT_CTL)	\
	F(ENTRY_LOAD_MSR_ADDRESS,	W64,	CONTROL, ENTRY_CTL)	\
	F(EXECUTIVE_VMCS_POINTER,	W64,	CONTROL, EXEC_CTL)	\
	F(PML_ADDRESS,			W64,	CONTROL, EXEC_CTL)	\
	F(TSC_OFFSET,			W64,	CONTROL, EXEC_CTL)	\
	F(VIRTUAL_APIC_ADDRESS,		W64,	CONTROL, EXEC_CTL)	\
	F(APIC_ACCESS_ADDRESS,		W64,	CONTROL, EXEC_CTL)	\
	F(POSTED_INTERRUPT_DESC,	W64,	CONTROL, EXEC_CTL)	\
	F(VM_FUNCTION_CONTROLS,		W64,	CONTROL, EXEC_CTL)	\
	F(GUEST_IA32_EPTP,		W64,	CONTROL, EXEC_CTL)	\
	F(EOI_EXIT_BITMAP_0,		W64,	CONTROL, EXEC_CTL)	\
	F(EOI_EXIT_BITMAP_1,		W64,	CONTROL, EXEC_CTL)	\
	F(EOI_EXIT_BITMAP_2,		W64,	CONTROL, EXEC_CTL)	\
	F(EOI_EXIT_BITMAP_3,		W64,	CONTROL, EXEC_CTL)	\
	F(EPTP_LIST_ADDRESS,		W64,	CONTROL, EXEC_CTL)	\
	F(VMREAD_BITMAP_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(VMWRITE_BITMAP_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(VIRTUALIZATION_EXC_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(XSS_EXITING_BITMAP,		W64,	CONTROL, EXEC_CTL)	\
	F(ENCLS_EXITING_BITMAP,		W64,	CONTROL, EXEC_CTL)	\
	F(SPP_TABLE_POINTER,		W64,	CONTROL, EXEC_CTL)	\
	F(TSC_MULTIPLIER,		W64,	CONTROL, EXEC_CTL)	\
	F(PROCBASED3_CTLS,		W64,	CONTROL, EXEC_CTL)	\
	F(ENCLV_EXITING_BITMAP,		W64,	CONTROL, EXEC_CTL)	\
	F(LOW_PASID_DIR_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(HIGH_PASID_DIR_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(SHARED_EPTP,			W64,	CONTROL, EXEC_CTL)	\
	F(PCONFIG_EXITING_BITMAP,	W64,	CONTROL, EXEC_CTL)	\
	F(HLAT_POINTER,			W64,	CONTROL, EXEC_CTL)	\
	F(PID_POINTER_TABLE_ADDRESS,	W64,	CONTROL, EXEC_CTL)	\
	F(SECONDARY_EXIT_CTLS,		W64,	CONTROL, EXIT_CTL)	\
	F(IA32_SPEC_CTRL_MASK,		W64,	CONTROL, EXEC_CTL)	\
	F(IA32_SPEC_CTRL_SHADOW,	W64,	CONTROL, EXEC_CTL)	\
	/* 64-bit read-only data field */				\
	F(GUEST_PHYSICAL_ADDRESS,	W64,	RODATA,	 EXIT_INFO)	\
	/* 64-bit guest-state fields */					\
	F(LINK_POINTER,			W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DEBUGCTL,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_PAT,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_EFER,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_PERF_GBL_CTRL,	W64,	GUEST,	 GUEST)		\
	F(GUEST_PDPTE0,			W64,	GUEST,	 GUEST)		\
	F(GUEST_PDPTE1,			W64,	GUEST,	 GUEST)		\
	F(GUEST_PDPTE2,			W64,	GUEST,	 GUEST)		\
	F(GUEST_PDPTE3,			W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_BNDCFGS,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_RTIT_CTL,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_LBR_CTL,		W64,	GUEST,	 GUEST)		\
	F(GUEST_IA32_PKRS,		W64,	GUEST,	 GUEST)		\
	/* 64-bit host-state fields */					\
	F(HOST_IA32_PAT,		W64,	HOST,	 HOST)		\
	F(HOST_IA32_EFER,		W64,	HOST,	 HOST)		\
	F(HOST_IA32_PERF_GBL_CTRL,	W64,	HOST,	 HOST)		\
	F(HOST_IA32_PKRS,		W64,	HOST,	 HOST)		\
	/* 32-bit control fields */					\
	F(PINBASED_CTLS,		W32,	CONTROL, EXEC_CTL)	\
	F(PROCBASED_CTLS,		W32,	CONTROL, EXEC_CTL)	\
	F(EXCEPTION_BITMAP,		W32,	CONTROL, EXEC_CTL)	\
	F(PF_ERROR_CODE_MASK,		W32,	CONTROL, EXEC_CTL)	\
	F(PF_ERROR_CODE_MATCH,		W32,	CONTROL, EXEC_CTL)	\
	F(CR3_TARGET_COUNT,		W32,	CONTROL, EXEC_CTL)	\
	F(EXIT_CTLS,			W32,	CONTROL, EXIT_CTL)	\
	F(EXIT_MSR_STORE_COUNT,		W32,	CONTROL, EXIT_CTL)	\
	F(EXIT_MSR_LOAD_COUNT,		W32,	CONTROL, EXIT_CTL)	\
	F(ENTRY_CTLS,			W32,	CONTROL, ENTRY_CTL)	\
	F(ENTRY_MSR_LOAD_COUNT,		W32,	CONTROL, ENTRY_CTL)	\
	F(ENTRY_INTERRUPTION_INFO,	W32,	CONTROL, ENTRY_CTL)	\
	F(ENTRY_EXCEPTION_ERROR_CODE,	W32,	CONTROL, ENTRY_CTL)	\
	F(ENTRY_INSTRUCTION_LENGTH,	W32,	CONTROL, ENTRY_CTL)	\
	F(TPR_THRESHOLD,		W32,	CONTROL, EXEC_CTL)	\
	F(PROCBASED2_CTLS,		W32,	CONTROL, EXEC_CTL)	\
	F(PLE_GAP,			W32,	CONTROL, EXEC_CTL)	\
	F(PLE_WINDOW,			W32,	CONTROL, EXEC_CTL)	\
	F(INSTRUCTION_TIMEOUT_CTL,	W32,	CONTROL, EXEC_CTL)	\
	/* 32-bit read-only data fields */				\
	F(INSTRUCTION_ERROR,		W32,	RODATA,	 EXIT_INFO)	\
	F(EXIT_REASON,			W32,	RODATA,	 EXIT_INFO)	\
	F(EXIT_INTERRUPTION_INFO,	W32,	RODATA,	 EXIT_INFO)	\
	F(EXIT_INTERRUPTION_ERR_CODE,	W32,	RODATA,	 EXIT_INFO)	\
	F(IDT_VECTORING_INFO,		W32,	RODATA,	 EXIT_INFO)	\
	F(IDT_VECTORING_ERROR_CODE,	W32,	RODATA,	 EXIT_INFO)	\
	F(INSTRUCTION_LENGTH,		W32,	RODATA,	 EXIT_INFO)	\
	F(EXIT_INSTRUCTION_INFO,	W32,	RODATA,	 EXIT_INFO)	\
	/* 32-bit guest-state fields */					\
	F(GUEST_IA32_ES_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CS_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SS_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DS_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_FS_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GS_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_LDTR_LIMIT,	W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_TR_LIMIT,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GDTR_LIMIT,	W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_IDTR_LIMIT,	W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_ES_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CS_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SS_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DS_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_FS_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GS_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_LDTR_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_TR_AR,		W32,	GUEST,	 GUEST)		\
	F(GUEST_INTERRUPTIBILITY_ST,	W32,	GUEST,	 GUEST)		\
	F(GUEST_ACTIVITY_STATE,		W32,	GUEST,	 GUEST)		\
	F(GUEST_SMBASE,			W32,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SYSENTER_CS,	W32,	GUEST,	 GUEST)		\
	F(VMX_PREEMPTION_TIMER_VAL,	W32,	GUEST,	 GUEST)		\
	/* 32-bit host-state field */					\
	F(HOST_IA32_SYSENTER_CS,	W32,	HOST,	 HOST)		\
	/* Natural-width control fields */				\
	F(CR0_MASK,			WNAT,	CONTROL, EXEC_CTL)	\
	F(CR4_MASK,			WNAT,	CONTROL, EXEC_CTL)	\
	F(CR0_READ_SHADOW,		WNAT,	CONTROL, EXEC_CTL)	\
	F(CR4_READ_SHADOW,		WNAT,	CONTROL, EXEC_CTL)	\
	F(CR3_TARGET_0,			WNAT,	CONTROL, EXEC_CTL)	\
	F(CR3_TARGET_1,			WNAT,	CONTROL, EXEC_CTL)	\
	F(CR3_TARGET_2,			WNAT,	CONTROL, EXEC_CTL)	\
	F(CR3_TARGET_3,			WNAT,	CONTROL, EXEC_CTL)	\
	/* Natural-width read-only data fields */			\
	F(GUEST_EXIT_QUALIFICATION,	WNAT,	RODATA,	 EXIT_INFO)	\
	F(IO_RCX,			WNAT,	RODATA,	 EXIT_INFO)	\
	F(IO_RSI,			WNAT,	RODATA,	 EXIT_INFO)	\
	F(IO_RDI,			WNAT,	RODATA,	 EXIT_INFO)	\
	F(IO_RIP,			WNAT,	RODATA,	 EXIT_INFO)	\
	F(GUEST_LINEAR_ADDRESS,		WNAT,	RODATA,	 EXIT_INFO)	\
	/* Natural-width guest-state fields */				\
	F(GUEST_IA32_CR0,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CR3,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CR4,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_ES_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_CS_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SS_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DS_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_FS_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GS_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_LDTR_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_TR_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_GDTR_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_IDTR_BASE,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_DR7,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_RSP,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_RIP,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_RFLAGS,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_PENDING_DBG_EXC,	WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SYSENTER_ESP,	WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SYSENTER_EIP,	WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_S_CET,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_SSP,		WNAT,	GUEST,	 GUEST)		\
	F(GUEST_IA32_INTR_SSP_TABLE_ADDR, WNAT,	GUEST,	 GUEST)		\
	/* Natural-width host-state fields */				\
	F(HOST_IA32_CR0,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_CR3,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_CR4,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_FS_BASE,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_GS_BASE,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_TR_BASE,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_GDTR_BASE,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_IDTR_BASE,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_SYSENTER_ESP,	WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_SYSENTER_EIP,	WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_RSP,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_RIP,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_S_CET,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_SSP,		WNAT,	HOST,	 HOST)		\
	F(HOST_IA32_INTR_SSP_TABLE_ADDR, WNAT,	HOST,	 HOST)

/* A field's slot is its position in VMCS_FIELD_LIST. */
enum vmcs_slot {
#define VMCS_SLOT_ENUM(n, w, t, g)	VMCS_SLOT_##n,
	VMCS_FIELD_LIST(VMCS_SLOT_ENUM)
#undef VMCS_SLOT_ENUM
	VMCS_SLOT_COUNT
};

_Static_assert(VMCS_SLOT_COUNT == VMCS_NFIELDS,
    "VMCS_NFIELDS does not match the field list");

/* Each row's width, type and index agree with its encoding. */
#define VMCS_ROW_CHECK(n, w, t, g)					\
	_Static_assert(VMCS_ENC_WIDTH_BITS(VMCS_##n) == VMCS_##w &&	\
	    VMCS_ENC_TYPE_BITS(VMCS_##n) == VMCS_T_##t &&		\
	    ((VMCS_##n) & (VMCS_ENC_RESERVED_MASK |			\
	    VMCS_ENC_ACCESS_HIGH)) == 0 &&				\
	    VMCS_ENC_INDEX_BITS(VMCS_##n) < VMCS_LOOKUP_NINDEX,		\
	    "bad VMCS field table row: VMCS_" #n);
VMCS_FIELD_LIST(VMCS_ROW_CHECK)
#undef VMCS_ROW_CHECK

const struct vmcs_field vmcs_fields[VMCS_NFIELDS] = {
#define VMCS_ROW(n, w, t, g)						\
	[VMCS_SLOT_##n] = {						\
		.encoding = VMCS_##n,					\
		.name = "VMCS_" #n,					\
		.width = VMCS_##w,					\
		.type = VMCS_T_##t,					\
		.group = VMCS_G_##g,					\
		.slot = VMCS_SLOT_##n,					\
		.lazy = VMCS_FIELD_LAZY(VMCS_##n, VMCS_T_##t)		\
	},
	VMCS_FIELD_LIST(VMCS_ROW)
#undef VMCS_ROW
};

/* A duplicate encoding here draws -Woverride-init (in -Wextra). */
const uint16_t vmcs_lookup_tab[VMCS_LOOKUP_SIZE] = {
#define VMCS_KEY(n, w, t, g)	\
	[VMCS_LOOKUP_KEY(VMCS_##n)] = VMCS_SLOT_##n + 1,
	VMCS_FIELD_LIST(VMCS_KEY)
#undef VMCS_KEY
};

/*
 * The descriptors (vmcs_desc_tab, vmcs_fields.h): each field's encoding,
 * and the _HI encoding of each 64-bit field.  The row a narrower field
 * would give its _HI encoding lands in a tail entry past VMCS_DESC_N,
 * which no lookup reads, so that the table stays one constant
 * initializer.
 */
const uint16_t vmcs_desc_tab[VMCS_DESC_N + VMCS_NFIELDS] = {
#define VMCS_DESC_ROW(n, w, t, g)					\
	[VMCS_##n] = VMCS_DESC(VMCS_SLOT_##n, VMCS_##w,			\
	    VMCS_FIELD_LAZY(VMCS_##n, VMCS_T_##t), 0),			\
	[VMCS_##w == VMCS_W64 ? (VMCS_##n | VMCS_ENC_ACCESS_HIGH) :	\
	    VMCS_DESC_N + VMCS_SLOT_##n] = VMCS_DESC(VMCS_SLOT_##n,	\
	    VMCS_##w, VMCS_FIELD_LAZY(VMCS_##n, VMCS_T_##t), 1),
	VMCS_FIELD_LIST(VMCS_DESC_ROW)
#undef VMCS_DESC_ROW
};

#define VMCS_NAME_PREFIX	"VMCS_"
#define VMCS_NAME_PREFIX_LEN	(sizeof(VMCS_NAME_PREFIX) - 1)

/* VMREAD/VMWRITE of a high part moves bits 63:32 of the field. */
#define VMCS_HI_SHIFT		32
#define VMCS_LO32_MASK		0x00000000FFFFFFFFULL

/* Bits a field of each width holds; natural width is 64 bits here. */
static const uint64_t vmcs_width_mask[] = {
	[VMCS_W16] = UINT16_MAX,
	[VMCS_W64] = UINT64_MAX,
	[VMCS_W32] = UINT32_MAX,
	[VMCS_WNAT] = UINT64_MAX
};

static const char *const vmcs_group_names[VMCS_G_NGROUPS] = {
	[VMCS_G_GUEST] = "guest state",
	[VMCS_G_HOST] = "host state",
	[VMCS_G_EXEC_CTL] = "VM-execution controls",
	[VMCS_G_EXIT_CTL] = "VM-exit controls",
	[VMCS_G_ENTRY_CTL] = "VM-entry controls",
	[VMCS_G_EXIT_INFO] = "VM-exit information"
};

/* SDM Vol. 3C §31.4, Table 31-1 "VM-Instruction Error Numbers". */
static const char *const vmx_instruction_errors[] = {
	[VMXERR_VMCALL_IN_VMX_ROOT] =
	    "VMCALL executed in VMX root operation",
	[VMXERR_VMCLEAR_INVALID_ADDRESS] =
	    "VMCLEAR with invalid physical address",
	[VMXERR_VMCLEAR_VMXON_POINTER] =
	    "VMCLEAR with VMXON pointer",
	[VMXERR_VMLAUNCH_NONCLEAR_VMCS] =
	    "VMLAUNCH with non-clear VMCS",
	[VMXERR_VMRESUME_NONLAUNCHED_VMCS] =
	    "VMRESUME with non-launched VMCS",
	[VMXERR_VMRESUME_AFTER_VMXOFF] =
	    "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and "
	    "VMRESUME)",
	[VMXERR_ENTRY_INVALID_CONTROL_FIELDS] =
	    "VM entry with invalid control field(s)",
	[VMXERR_ENTRY_INVALID_HOST_STATE] =
	    "VM entry with invalid host-state field(s)",
	[VMXERR_VMPTRLD_INVALID_ADDRESS] =
	    "VMPTRLD with invalid physical address",
	[VMXERR_VMPTRLD_VMXON_POINTER] =
	    "VMPTRLD with VMXON pointer",
	[VMXERR_VMPTRLD_INCORRECT_REVISION] =
	    "VMPTRLD with incorrect VMCS revision identifier",
	[VMXERR_UNSUPPORTED_COMPONENT] =
	    "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMXERR_VMWRITE_READ_ONLY_COMPONENT] =
	    "VMWRITE to read-only VMCS component",
	[VMXERR_VMXON_IN_VMX_ROOT] =
	    "VMXON executed in VMX root operation",
	[VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER] =
	    "VM entry with invalid executive-VMCS pointer",
	[VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS] =
	    "VM entry with non-launched executive VMCS",
	[VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER] =
	    "VM entry with executive-VMCS pointer not VMXON pointer (when "
	    "attempting to deactivate the dual-monitor treatment of SMIs "
	    "and SMM)",
	[VMXERR_VMCALL_NONCLEAR_VMCS] =
	    "VMCALL with non-clear VMCS (when attempting to activate the "
	    "dual-monitor treatment of SMIs and SMM)",
	[VMXERR_VMCALL_INVALID_EXIT_CONTROL_FIELDS] =
	    "VMCALL with invalid VM-exit control fields",
	[VMXERR_VMCALL_INCORRECT_MSEG_REVISION] =
	    "VMCALL with incorrect MSEG revision identifier (when attempting "
	    "to activate the dual-monitor treatment of SMIs and SMM)",
	[VMXERR_VMXOFF_UNDER_DUAL_MONITOR] =
	    "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES] =
	    "VMCALL with invalid SMM-monitor features (when attempting to "
	    "activate the dual-monitor treatment of SMIs and SMM)",
	[VMXERR_ENTRY_INVALID_EXECUTIVE_EXEC_CONTROLS] =
	    "VM entry with invalid VM-execution control fields in executive "
	    "VMCS (when attempting to return from SMM)",
	[VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS] =
	    "VM entry with events blocked by MOV SS",
	[VMXERR_INVALID_INVEPT_INVVPID_OPERAND] =
	    "Invalid operand to INVEPT/INVVPID"
};

/* SDM Vol. 3D Appendix C, "VMX Basic Exit Reasons". */
#define VMX_EXIT_NAME(n)	[n] = #n
static const char *const vmx_exit_reasons[] = {
	VMX_EXIT_NAME(VMX_EXIT_NMI),
	VMX_EXIT_NAME(VMX_EXIT_EXTINT),
	VMX_EXIT_NAME(VMX_EXIT_TRIPLE_FAULT),
	VMX_EXIT_NAME(VMX_EXIT_INIT),
	VMX_EXIT_NAME(VMX_EXIT_SIPI),
	VMX_EXIT_NAME(VMX_EXIT_IO_SMI),
	VMX_EXIT_NAME(VMX_EXIT_OTHER_SMI),
	VMX_EXIT_NAME(VMX_EXIT_INT_WINDOW),
	VMX_EXIT_NAME(VMX_EXIT_NMI_WINDOW),
	VMX_EXIT_NAME(VMX_EXIT_TASK_SWITCH),
	VMX_EXIT_NAME(VMX_EXIT_CPUID),
	VMX_EXIT_NAME(VMX_EXIT_GETSEC),
	VMX_EXIT_NAME(VMX_EXIT_HLT),
	VMX_EXIT_NAME(VMX_EXIT_INVD),
	VMX_EXIT_NAME(VMX_EXIT_INVLPG),
	VMX_EXIT_NAME(VMX_EXIT_RDPMC),
	VMX_EXIT_NAME(VMX_EXIT_RDTSC),
	VMX_EXIT_NAME(VMX_EXIT_RSM),
	VMX_EXIT_NAME(VMX_EXIT_VMCALL),
	VMX_EXIT_NAME(VMX_EXIT_VMCLEAR),
	VMX_EXIT_NAME(VMX_EXIT_VMLAUNCH),
	VMX_EXIT_NAME(VMX_EXIT_VMPTRLD),
	VMX_EXIT_NAME(VMX_EXIT_VMPTRST),
	VMX_EXIT_NAME(VMX_EXIT_VMREAD),
	VMX_EXIT_NAME(VMX_EXIT_VMRESUME),
	VMX_EXIT_NAME(VMX_EXIT_VMWRITE),
	VMX_EXIT_NAME(VMX_EXIT_VMXOFF),
	VMX_EXIT_NAME(VMX_EXIT_VMXON),
	VMX_EXIT_NAME(VMX_EXIT_CR_ACCESS),
	VMX_EXIT_NAME(VMX_EXIT_MOV_DR),
	VMX_EXIT_NAME(VMX_EXIT_IO),
	VMX_EXIT_NAME(VMX_EXIT_RDMSR),
	VMX_EXIT_NAME(VMX_EXIT_WRMSR),
	VMX_EXIT_NAME(VMX_EXIT_ENTRY_FAILED_GUEST_STATE),
	VMX_EXIT_NAME(VMX_EXIT_ENTRY_FAILED_MSR_LOAD),
	VMX_EXIT_NAME(VMX_EXIT_MWAIT),
	VMX_EXIT_NAME(VMX_EXIT_MTF),
	VMX_EXIT_NAME(VMX_EXIT_MONITOR),
	VMX_EXIT_NAME(VMX_EXIT_PAUSE),
	VMX_EXIT_NAME(VMX_EXIT_ENTRY_FAILED_MCE),
	VMX_EXIT_NAME(VMX_EXIT_TPR_BELOW_THRESHOLD),
	VMX_EXIT_NAME(VMX_EXIT_APIC_ACCESS),
	VMX_EXIT_NAME(VMX_EXIT_VIRTUALIZED_EOI),
	VMX_EXIT_NAME(VMX_EXIT_GDTR_IDTR),
	VMX_EXIT_NAME(VMX_EXIT_LDTR_TR),
	VMX_EXIT_NAME(VMX_EXIT_EPT_VIOLATION),
	VMX_EXIT_NAME(VMX_EXIT_EPT_MISCONFIGURATION),
	VMX_EXIT_NAME(VMX_EXIT_INVEPT),
	VMX_EXIT_NAME(VMX_EXIT_RDTSCP),
	VMX_EXIT_NAME(VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED),
	VMX_EXIT_NAME(VMX_EXIT_INVVPID),
	VMX_EXIT_NAME(VMX_EXIT_WBINVD),
	VMX_EXIT_NAME(VMX_EXIT_XSETBV),
	VMX_EXIT_NAME(VMX_EXIT_APIC_WRITE),
	VMX_EXIT_NAME(VMX_EXIT_RDRAND),
	VMX_EXIT_NAME(VMX_EXIT_INVPCID),
	VMX_EXIT_NAME(VMX_EXIT_VMFUNC),
	VMX_EXIT_NAME(VMX_EXIT_ENCLS),
	VMX_EXIT_NAME(VMX_EXIT_RDSEED),
	VMX_EXIT_NAME(VMX_EXIT_PML_FULL),
	VMX_EXIT_NAME(VMX_EXIT_XSAVES),
	VMX_EXIT_NAME(VMX_EXIT_XRSTORS),
	VMX_EXIT_NAME(VMX_EXIT_PCONFIG),
	VMX_EXIT_NAME(VMX_EXIT_SPP_EVENT),
	VMX_EXIT_NAME(VMX_EXIT_UMWAIT),
	VMX_EXIT_NAME(VMX_EXIT_TPAUSE),
	VMX_EXIT_NAME(VMX_EXIT_LOADIWKEY),
	VMX_EXIT_NAME(VMX_EXIT_ENCLV),
	VMX_EXIT_NAME(VMX_EXIT_ENQCMD_PASID_FAIL),
	VMX_EXIT_NAME(VMX_EXIT_ENQCMDS_PASID_FAIL),
	VMX_EXIT_NAME(VMX_EXIT_BUS_LOCK),
	VMX_EXIT_NAME(VMX_EXIT_INSTRUCTION_TIMEOUT),
	VMX_EXIT_NAME(VMX_EXIT_SEAMCALL),
	VMX_EXIT_NAME(VMX_EXIT_TDCALL),
	VMX_EXIT_NAME(VMX_EXIT_RDMSRLIST),
	VMX_EXIT_NAME(VMX_EXIT_WRMSRLIST)
};
#undef VMX_EXIT_NAME

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * vmcs_field_lookup
 *
 * Finds the field an encoding names, in constant time (VMREAD/VMWRITE
 * hot path).
 *
 * Parameters:
 *  encoding: a VMCS field encoding, full or high access
 *
 * Return values:
 *  the field's table entry (for a high-access encoding, the 64-bit field's
 *  entry), or NULL if the encoding names no supported field: reserved bits
 *  set, high access to a field that is not 64-bit, or no such field.
 */
const struct vmcs_field *
vmcs_field_lookup(uint32_t encoding)
{
	return vmcs_field_find(encoding);
}

/*
 * vmcs_field_is_high
 *
 * Returns 1 if the encoding is the high-access encoding of a supported
 * 64-bit field, 0 otherwise.
 */
int
vmcs_field_is_high(uint32_t encoding)
{
	return vmcs_enc_is_high(encoding) &&
	    vmcs_field_lookup(encoding) != NULL;
}

/*
 * vmcs_field_by_name
 *
 * Finds a field by its constant's name, with or without the "VMCS_"
 * prefix, ignoring case ("VMCS_GUEST_IA32_RIP", "guest_ia32_rip").  _HI
 * names are not fields and are not found.  A linear scan: for dumps and
 * tools, not for the VMREAD/VMWRITE path.
 *
 * Return values:
 *  the field's table entry, or NULL if no field has that name.
 */
const struct vmcs_field *
vmcs_field_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	if (strncasecmp(name, VMCS_NAME_PREFIX, VMCS_NAME_PREFIX_LEN) == 0)
		name += VMCS_NAME_PREFIX_LEN;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		if (strcasecmp(vmcs_fields[i].name + VMCS_NAME_PREFIX_LEN,
		    name) == 0)
			return &vmcs_fields[i];
	}
	return NULL;
}

/*
 * vmcs_group_name
 *
 * Returns the SDM's name for a VMCS area, or NULL for an unknown group.
 */
const char *
vmcs_group_name(enum vmcs_group g)
{
	if ((unsigned int)g >= nitems(vmcs_group_names))
		return NULL;
	return vmcs_group_names[g];
}

/*
 * vmx_instruction_error_name
 *
 * Returns the SDM's description of VM-instruction error number n, or NULL
 * if n is not an assigned error number.
 */
const char *
vmx_instruction_error_name(uint32_t n)
{
	if (n >= nitems(vmx_instruction_errors))
		return NULL;
	return vmx_instruction_errors[n];
}

/*
 * vmx_exit_reason_name
 *
 * Returns the VMX_EXIT_* constant's name for a basic exit reason (bits
 * 15:0 of the exit-reason field), or NULL if the reason is not assigned.
 */
const char *
vmx_exit_reason_name(uint32_t basic_reason)
{
	if (basic_reason >= nitems(vmx_exit_reasons))
		return NULL;
	return vmx_exit_reasons[basic_reason];
}

/*
 * vmcs_data_read
 *
 * Reads a field from a VMCS region as VMREAD does: a 16- or 32-bit field
 * zero-extended, a 64-bit or natural-width field whole, a high-access
 * encoding bits 63:32 of the 64-bit field in bits 31:0.
 *
 * Parameters:
 *  page: the VMCS region (VMCS_REGION_SIZE bytes)
 *  encoding: a field encoding the caller has checked with vmcs_field_lookup
 *
 * Return values:
 *  the value; 0 for an unsupported encoding.
 */
uint64_t
vmcs_data_read(const void *page, uint32_t encoding)
{
	const struct vmcs_field *f;
	uint64_t v;

	if ((f = vmcs_field_lookup(encoding)) == NULL)
		return 0;

	memcpy(&v, (const uint8_t *)page + vmcs_field_offset(f), sizeof(v));
	if (vmcs_enc_is_high(encoding))
		return v >> VMCS_HI_SHIFT;
	return v & vmcs_width_mask[f->width];
}

/*
 * vmcs_data_write
 *
 * Writes a field of a VMCS region as VMWRITE does: a 16- or 32-bit field
 * takes the low bits of value and drops the rest, a 64-bit or natural-width
 * field takes all of it, a high-access encoding puts bits 31:0 of value in
 * bits 63:32 of the 64-bit field and leaves bits 31:0 alone.  Read-only
 * fields are written too: refusing VMWRITE to them is the caller's job.
 *
 * Parameters:
 *  page: the VMCS region (VMCS_REGION_SIZE bytes)
 *  encoding: a field encoding the caller has checked with vmcs_field_lookup
 *  value: the source operand
 *
 * An unsupported encoding writes nothing.
 */
void
vmcs_data_write(void *page, uint32_t encoding, uint64_t value)
{
	const struct vmcs_field *f;
	uint8_t *p;
	uint64_t v;

	if ((f = vmcs_field_lookup(encoding)) == NULL)
		return;

	p = (uint8_t *)page + vmcs_field_offset(f);
	if (vmcs_enc_is_high(encoding)) {
		memcpy(&v, p, sizeof(v));
		v = (v & VMCS_LO32_MASK) |
		    ((value & VMCS_LO32_MASK) << VMCS_HI_SHIFT);
	} else
		v = value & vmcs_width_mask[f->width];
	memcpy(p, &v, sizeof(v));
}
