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
 * VMX capabilities of the simulated CPU: the VMX capability MSRs
 * (SDM Vol. 3D Appendix A), the bits of every VMX control field
 * (SDM Vol. 3C §25.6-§25.8) and the architectural register bits that the
 * VM-entry checks (§27) test.  Control-bit names are OpenBSD's
 * (sys/arch/amd64/include/specialreg.h) where OpenBSD has one; the rest
 * follow the same pattern.
 */

#ifndef VMMSIM_EMU_VMX_CAPS_H
#define VMMSIM_EMU_VMX_CAPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * MSR numbers.
 */
#define MSR_IA32_FEATURE_CONTROL	0x03a
#define MSR_SMM_MONITOR_CTL		0x09b
#define MSR_SMBASE			0x09e
#define MSR_SYSENTER_CS			0x174
#define MSR_SYSENTER_ESP		0x175
#define MSR_SYSENTER_EIP		0x176
#define MSR_DEBUGCTLMSR			0x1d9
#define MSR_CR_PAT			0x277
#define MSR_PERF_GLOBAL_CTRL		0x38f
#define MSR_X2APIC_FIRST		0x800
#define MSR_X2APIC_LAST			0x8ff
#define MSR_BNDCFGS			0xd90
#define MSR_EFER			0xc0000080
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SFMASK			0xc0000084
#define MSR_FSBASE			0xc0000100
#define MSR_GSBASE			0xc0000101
#define MSR_KERNELGSBASE		0xc0000102

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C §24.7). */
#define IA32_FEATURE_CONTROL_LOCK	0x01
#define IA32_FEATURE_CONTROL_SMX_EN	0x02	/* VMXON inside SMX */
#define IA32_FEATURE_CONTROL_VMX_EN	0x04	/* VMXON outside SMX */

/* VMX capability MSRs (SDM Vol. 3D Appendix A). */
#define IA32_VMX_BASIC			0x480
#define IA32_VMX_PINBASED_CTLS		0x481
#define IA32_VMX_PROCBASED_CTLS		0x482
#define IA32_VMX_EXIT_CTLS		0x483
#define IA32_VMX_ENTRY_CTLS		0x484
#define IA32_VMX_MISC			0x485
#define IA32_VMX_CR0_FIXED0		0x486
#define IA32_VMX_CR0_FIXED1		0x487
#define IA32_VMX_CR4_FIXED0		0x488
#define IA32_VMX_CR4_FIXED1		0x489
#define IA32_VMX_VMCS_ENUM		0x48A
#define IA32_VMX_PROCBASED2_CTLS	0x48B
#define IA32_VMX_EPT_VPID_CAP		0x48C
#define IA32_VMX_TRUE_PINBASED_CTLS	0x48D
#define IA32_VMX_TRUE_PROCBASED_CTLS	0x48E
#define IA32_VMX_TRUE_EXIT_CTLS		0x48F
#define IA32_VMX_TRUE_ENTRY_CTLS	0x490
#define IA32_VMX_VMFUNC			0x491
#define IA32_VMX_PROCBASED3_CTLS	0x492
#define IA32_VMX_EXIT_CTLS2		0x493

/* IA32_VMX_BASIC fields (Appendix A.1). */
#define IA32_VMX_BASIC_REVISION_MASK	0x7FFFFFFFULL
#define IA32_VMX_BASIC_SIZE_SHIFT	32
#define IA32_VMX_BASIC_SIZE_MASK	0x1FFFULL		/* bits 44:32 */
#define IA32_VMX_BASIC_PA32		(1ULL << 48)
#define IA32_VMX_BASIC_DUAL_MONITOR	(1ULL << 49)
#define IA32_VMX_BASIC_MEMTYPE_SHIFT	50
#define IA32_VMX_BASIC_MEMTYPE_MASK	0xFULL			/* bits 53:50 */
#define IA32_VMX_BASIC_INOUT_INFO	(1ULL << 54)
#define IA32_VMX_TRUE_CTLS_AVAIL	(1ULL << 55)
#define IA32_VMX_BASIC_NO_ERRCODE_CHECK	(1ULL << 56)

/* IA32_VMX_MISC fields (Appendix A.6). */
#define IA32_VMX_MISC_PREEMPT_RATE_MASK	0x1FULL
#define IA32_VMX_MISC_STORE_LMA		(1ULL << 5)
#define IA32_VMX_MISC_ACTIVITY_HLT	(1ULL << 6)
#define IA32_VMX_MISC_ACTIVITY_SHUTDOWN	(1ULL << 7)
#define IA32_VMX_MISC_ACTIVITY_SIPI	(1ULL << 8)
#define IA32_VMX_MISC_PT_IN_VMX		(1ULL << 14)
#define IA32_VMX_MISC_SMBASE_RDMSR	(1ULL << 15)
#define IA32_VMX_CR3_TGT_SIZE_SHIFT	16
#define IA32_VMX_CR3_TGT_SIZE_MASK	(0x1FFULL << 16)
#define IA32_VMX_MSR_LIST_SIZE_SHIFT	25
#define IA32_VMX_MSR_LIST_SIZE_MASK	(7ULL << 25)
#define IA32_VMX_MISC_SMM_VMXOFF_BLOCK	(1ULL << 28)
#define IA32_VMX_MISC_VMWRITE_ALL	(1ULL << 29)
#define IA32_VMX_MISC_ZERO_LEN_INJECT	(1ULL << 30)
#define IA32_VMX_MSR_LIST_MULTIPLIER	512

/* IA32_VMX_EPT_VPID_CAP bits (Appendix A.10). */
#define IA32_EPT_VPID_CAP_XO_TRANSLATIONS	(1ULL << 0)
#define IA32_EPT_VPID_CAP_PAGE_WALK_4		(1ULL << 6)
#define IA32_EPT_VPID_CAP_PAGE_WALK_5		(1ULL << 7)
#define IA32_EPT_VPID_CAP_UC			(1ULL << 8)
#define IA32_EPT_VPID_CAP_WB			(1ULL << 14)
#define IA32_EPT_VPID_CAP_2M_PAGES		(1ULL << 16)
#define IA32_EPT_VPID_CAP_1G_PAGES		(1ULL << 17)
#define IA32_EPT_VPID_CAP_INVEPT		(1ULL << 20)
#define IA32_EPT_VPID_CAP_AD_BITS		(1ULL << 21)
#define IA32_EPT_VPID_CAP_ADV_EXIT_INFO		(1ULL << 22)
#define IA32_EPT_VPID_CAP_SSS			(1ULL << 23)
#define IA32_EPT_VPID_CAP_INVEPT_CONTEXT	(1ULL << 25)
#define IA32_EPT_VPID_CAP_INVEPT_ALL		(1ULL << 26)
#define IA32_EPT_VPID_CAP_INVVPID		(1ULL << 32)
#define IA32_EPT_VPID_CAP_INVVPID_ADDR		(1ULL << 40)
#define IA32_EPT_VPID_CAP_INVVPID_CONTEXT	(1ULL << 41)
#define IA32_EPT_VPID_CAP_INVVPID_ALL		(1ULL << 42)
#define IA32_EPT_VPID_CAP_INVVPID_CONTEXT_GLB	(1ULL << 43)

/* IA32_VMX_VMFUNC bits (Appendix A.11) = VM-function controls (§25.6.14). */
#define IA32_VMX_VMFUNC_EPTP_SWITCHING	(1ULL << 0)

/* The EPT pointer (§25.6.11). */
#define IA32_EPT_PAGING_CACHE_TYPE_UC	0x0
#define IA32_EPT_PAGING_CACHE_TYPE_WB	0x6
#define IA32_EPT_PAGING_CACHE_MASK	0x7ULL
#define IA32_EPT_PAGE_WALK_SHIFT	3
#define IA32_EPT_PAGE_WALK_MASK		(0x7ULL << 3)
#define IA32_EPT_PAGE_WALK_LENGTH	0x4
#define IA32_EPT_AD_BITS_ENABLE		(1ULL << 6)
#define IA32_EPT_SSS_ENABLE		(1ULL << 7)
#define IA32_EPT_RESERVED_LOW		(0xFULL << 8)	/* bits 11:8 */

/* INVEPT / INVVPID types. */
#define IA32_VMX_INVVPID_INDIV_ADDR_CTX	0x0
#define IA32_VMX_INVVPID_SINGLE_CTX	0x1
#define IA32_VMX_INVVPID_ALL_CTX	0x2
#define IA32_VMX_INVVPID_SINGLE_CTX_GLB	0x3
#define IA32_VMX_INVEPT_SINGLE_CTX	0x1
#define IA32_VMX_INVEPT_GLOBAL_CTX	0x2

/*
 * Pin-based VM-execution controls (§25.6.1).
 */
#define IA32_VMX_EXTERNAL_INT_EXITING		(1ULL << 0)
#define IA32_VMX_NMI_EXITING			(1ULL << 3)
#define IA32_VMX_VIRTUAL_NMIS			(1ULL << 5)
#define IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER	(1ULL << 6)
#define IA32_VMX_PROCESS_POSTED_INTERRUPTS	(1ULL << 7)
#define IA32_VMX_PINBASED_DEFAULT1		0x00000016ULL

/*
 * Primary processor-based VM-execution controls (§25.6.2).
 */
#define IA32_VMX_INTERRUPT_WINDOW_EXITING	(1ULL << 2)
#define IA32_VMX_USE_TSC_OFFSETTING		(1ULL << 3)
#define IA32_VMX_HLT_EXITING			(1ULL << 7)
#define IA32_VMX_INVLPG_EXITING			(1ULL << 9)
#define IA32_VMX_MWAIT_EXITING			(1ULL << 10)
#define IA32_VMX_RDPMC_EXITING			(1ULL << 11)
#define IA32_VMX_RDTSC_EXITING			(1ULL << 12)
#define IA32_VMX_CR3_LOAD_EXITING		(1ULL << 15)
#define IA32_VMX_CR3_STORE_EXITING		(1ULL << 16)
#define IA32_VMX_ACTIVATE_TERTIARY_CONTROLS	(1ULL << 17)
#define IA32_VMX_CR8_LOAD_EXITING		(1ULL << 19)
#define IA32_VMX_CR8_STORE_EXITING		(1ULL << 20)
#define IA32_VMX_USE_TPR_SHADOW			(1ULL << 21)
#define IA32_VMX_NMI_WINDOW_EXITING		(1ULL << 22)
#define IA32_VMX_MOV_DR_EXITING			(1ULL << 23)
#define IA32_VMX_UNCONDITIONAL_IO_EXITING	(1ULL << 24)
#define IA32_VMX_USE_IO_BITMAPS			(1ULL << 25)
#define IA32_VMX_MONITOR_TRAP_FLAG		(1ULL << 27)
#define IA32_VMX_USE_MSR_BITMAPS		(1ULL << 28)
#define IA32_VMX_MONITOR_EXITING		(1ULL << 29)
#define IA32_VMX_PAUSE_EXITING			(1ULL << 30)
#define IA32_VMX_ACTIVATE_SECONDARY_CONTROLS	(1ULL << 31)
#define IA32_VMX_PROCBASED_DEFAULT1		0x0401E172ULL

/*
 * Secondary processor-based VM-execution controls (§25.6.2).
 */
#define IA32_VMX_VIRTUALIZE_APIC		(1ULL << 0)
#define IA32_VMX_ENABLE_EPT			(1ULL << 1)
#define IA32_VMX_DESCRIPTOR_TABLE_EXITING	(1ULL << 2)
#define IA32_VMX_ENABLE_RDTSCP			(1ULL << 3)
#define IA32_VMX_VIRTUALIZE_X2APIC_MODE		(1ULL << 4)
#define IA32_VMX_ENABLE_VPID			(1ULL << 5)
#define IA32_VMX_WBINVD_EXITING			(1ULL << 6)
#define IA32_VMX_UNRESTRICTED_GUEST		(1ULL << 7)
#define IA32_VMX_APIC_REGISTER_VIRTUALIZATION	(1ULL << 8)
#define IA32_VMX_VIRTUAL_INTERRUPT_DELIVERY	(1ULL << 9)
#define IA32_VMX_PAUSE_LOOP_EXITING		(1ULL << 10)
#define IA32_VMX_RDRAND_EXITING			(1ULL << 11)
#define IA32_VMX_ENABLE_INVPCID			(1ULL << 12)
#define IA32_VMX_ENABLE_VM_FUNCTIONS		(1ULL << 13)
#define IA32_VMX_VMCS_SHADOWING			(1ULL << 14)
#define IA32_VMX_ENABLE_ENCLS_EXITING		(1ULL << 15)
#define IA32_VMX_RDSEED_EXITING			(1ULL << 16)
#define IA32_VMX_ENABLE_PML			(1ULL << 17)
#define IA32_VMX_EPT_VIOLATION_VE		(1ULL << 18)
#define IA32_VMX_CONCEAL_VMX_FROM_PT		(1ULL << 19)
#define IA32_VMX_ENABLE_XSAVES_XRSTORS		(1ULL << 20)
#define IA32_VMX_MODE_BASED_EPT_EXEC		(1ULL << 22)
#define IA32_VMX_EPT_SUBPAGE_WRITE		(1ULL << 23)
#define IA32_VMX_PT_USES_GUEST_PHYS		(1ULL << 24)
#define IA32_VMX_ENABLE_TSC_SCALING		(1ULL << 25)
#define IA32_VMX_ENABLE_USER_WAIT_PAUSE		(1ULL << 26)
#define IA32_VMX_ENABLE_PCONFIG			(1ULL << 27)
#define IA32_VMX_ENABLE_ENCLV_EXITING		(1ULL << 28)
#define IA32_VMX_BUS_LOCK_DETECTION		(1ULL << 30)
#define IA32_VMX_INSTRUCTION_TIMEOUT		(1ULL << 31)

/*
 * Tertiary processor-based VM-execution controls (§25.6.2, 64 bits).
 */
#define IA32_VMX_LOADIWKEY_EXITING		(1ULL << 0)
#define IA32_VMX_ENABLE_HLAT			(1ULL << 1)
#define IA32_VMX_EPT_PAGING_WRITE_CONTROL	(1ULL << 2)
#define IA32_VMX_GUEST_PAGING_VERIFICATION	(1ULL << 3)
#define IA32_VMX_IPI_VIRTUALIZATION		(1ULL << 4)
#define IA32_VMX_VIRTUALIZE_IA32_SPEC_CTRL	(1ULL << 7)

/*
 * Primary VM-exit controls (§25.7.1).
 */
#define IA32_VMX_SAVE_DEBUG_CONTROLS			(1ULL << 2)
#define IA32_VMX_HOST_SPACE_ADDRESS_SIZE		(1ULL << 9)
#define IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_EXIT	(1ULL << 12)
#define IA32_VMX_ACKNOWLEDGE_INTERRUPT_ON_EXIT		(1ULL << 15)
#define IA32_VMX_SAVE_IA32_PAT_ON_EXIT			(1ULL << 18)
#define IA32_VMX_LOAD_IA32_PAT_ON_EXIT			(1ULL << 19)
#define IA32_VMX_SAVE_IA32_EFER_ON_EXIT			(1ULL << 20)
#define IA32_VMX_LOAD_IA32_EFER_ON_EXIT			(1ULL << 21)
#define IA32_VMX_SAVE_VMX_PREEMPTION_TIMER		(1ULL << 22)
#define IA32_VMX_CLEAR_IA32_BNDCFGS_ON_EXIT		(1ULL << 23)
#define IA32_VMX_CONCEAL_VM_EXITS_FROM_PT		(1ULL << 24)
#define IA32_VMX_CLEAR_IA32_RTIT_CTL_ON_EXIT		(1ULL << 25)
#define IA32_VMX_CLEAR_IA32_LBR_CTL_ON_EXIT		(1ULL << 26)
#define IA32_VMX_CLEAR_UINV_ON_EXIT			(1ULL << 27)
#define IA32_VMX_LOAD_HOST_CET_STATE			(1ULL << 28)
#define IA32_VMX_LOAD_HOST_PKRS				(1ULL << 29)
#define IA32_VMX_SAVE_IA32_PERF_GLOBAL_CTRL_ON_EXIT	(1ULL << 30)
#define IA32_VMX_ACTIVATE_SECONDARY_EXIT_CONTROLS	(1ULL << 31)
#define IA32_VMX_EXIT_DEFAULT1				0x00036DFFULL

/*
 * VM-entry controls (§25.8.1).
 */
#define IA32_VMX_LOAD_DEBUG_CONTROLS			(1ULL << 2)
#define IA32_VMX_IA32E_MODE_GUEST			(1ULL << 9)
#define IA32_VMX_ENTRY_TO_SMM				(1ULL << 10)
#define IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT	(1ULL << 11)
#define IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_ENTRY	(1ULL << 13)
#define IA32_VMX_LOAD_IA32_PAT_ON_ENTRY			(1ULL << 14)
#define IA32_VMX_LOAD_IA32_EFER_ON_ENTRY		(1ULL << 15)
#define IA32_VMX_LOAD_IA32_BNDCFGS_ON_ENTRY		(1ULL << 16)
#define IA32_VMX_CONCEAL_VM_ENTRIES_FROM_PT		(1ULL << 17)
#define IA32_VMX_LOAD_IA32_RTIT_CTL_ON_ENTRY		(1ULL << 18)
#define IA32_VMX_LOAD_UINV_ON_ENTRY			(1ULL << 19)
#define IA32_VMX_LOAD_GUEST_CET_STATE			(1ULL << 20)
#define IA32_VMX_LOAD_IA32_LBR_CTL_ON_ENTRY		(1ULL << 21)
#define IA32_VMX_LOAD_GUEST_PKRS			(1ULL << 22)
#define IA32_VMX_ENTRY_DEFAULT1				0x000011FFULL

/*
 * Control registers.
 */
#define CR0_PE		0x00000001ULL
#define CR0_MP		0x00000002ULL
#define CR0_EM		0x00000004ULL
#define CR0_TS		0x00000008ULL
#define CR0_ET		0x00000010ULL
#define CR0_NE		0x00000020ULL
#define CR0_WP		0x00010000ULL
#define CR0_AM		0x00040000ULL
#define CR0_NW		0x20000000ULL
#define CR0_CD		0x40000000ULL
#define CR0_PG		0x80000000ULL

#define CR4_VME		0x00000001ULL
#define CR4_PVI		0x00000002ULL
#define CR4_TSD		0x00000004ULL
#define CR4_DE		0x00000008ULL
#define CR4_PSE		0x00000010ULL
#define CR4_PAE		0x00000020ULL
#define CR4_MCE		0x00000040ULL
#define CR4_PGE		0x00000080ULL
#define CR4_PCE		0x00000100ULL
#define CR4_OSFXSR	0x00000200ULL
#define CR4_OSXMMEXCPT	0x00000400ULL
#define CR4_UMIP	0x00000800ULL
#define CR4_LA57	0x00001000ULL
#define CR4_VMXE	0x00002000ULL
#define CR4_SMXE	0x00004000ULL
#define CR4_FSGSBASE	0x00010000ULL
#define CR4_PCIDE	0x00020000ULL
#define CR4_OSXSAVE	0x00040000ULL
#define CR4_SMEP	0x00100000ULL
#define CR4_SMAP	0x00200000ULL
#define CR4_PKE		0x00400000ULL
#define CR4_CET		0x00800000ULL
#define CR4_PKS		0x01000000ULL

/*
 * DR6 and DR7 (SDM Vol. 3B §18.2): what a write can change, what reads
 * as one whatever was written (on a CPU without RTM or bus-lock #DB, as
 * the profiles are), and the flags MOV DR uses.
 */
#define DR6_WRITABLE	0x0000E00FULL	/* B0-B3, BD, BS, BT */
#define DR6_FIXED1	0xFFFF0FF0ULL
#define DR6_BD		0x00002000ULL
#define DR7_WRITABLE	0xFFFF23FFULL	/* 10, 11, 12, 14, 15 reserved */
#define DR7_FIXED1	0x00000400ULL
#define DR7_GD		0x00002000ULL

/* IA32_EFER. */
#define EFER_SCE	0x00000001ULL
#define EFER_LME	0x00000100ULL
#define EFER_LMA	0x00000400ULL
#define EFER_NXE	0x00000800ULL
/* Intel: every EFER bit but SCE, LME, LMA and NXE is reserved. */
#define EFER_RESERVED	(~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))

/* RFLAGS (OpenBSD machine/psl.h names). */
#define PSL_C		0x00000001ULL
#define PSL_MBO		0x00000002ULL	/* must be one */
#define PSL_PF		0x00000004ULL
#define PSL_AF		0x00000010ULL
#define PSL_Z		0x00000040ULL
#define PSL_N		0x00000080ULL
#define PSL_T		0x00000100ULL
#define PSL_I		0x00000200ULL
#define PSL_D		0x00000400ULL
#define PSL_V		0x00000800ULL
#define PSL_CC		(PSL_C | PSL_PF | PSL_AF | PSL_Z | PSL_N | PSL_V)
#define PSL_IOPL	0x00003000ULL
#define PSL_NT		0x00004000ULL
#define PSL_RF		0x00010000ULL
#define PSL_VM		0x00020000ULL
#define PSL_AC		0x00040000ULL
#define PSL_VIF		0x00080000ULL
#define PSL_VIP		0x00100000ULL
#define PSL_ID		0x00200000ULL
#define PSL_RESERVED	0xFFFFFFFFFFC0802AULL	/* 63:22, 15, 5, 3, (1) */

/* IA32_DEBUGCTL bits. */
#define DEBUGCTL_LBR	0x0001ULL
#define DEBUGCTL_BTF	0x0002ULL
#define DEBUGCTL_RESERVED 0xFFFFFFFFFFFF003CULL	/* 63:16, 5:2 */

/*
 * IA32_PERF_GLOBAL_CTRL bits the simulated PMU has: 4 general-purpose
 * counters (bits 3:0) and 3 fixed-function counters (bits 34:32).
 */
#define PERF_GLOBAL_CTRL_VALID	0x000000070000000FULL

/* IA32_PAT: memory types a PAT entry may hold (UC, WC, WT, WP, WB, UC-). */
#define PAT_ENTRY_VALID_TYPES	0xF3U	/* bit n set: type n allowed */

/* IA32_BNDCFGS: bits 11:2 reserved, bits 63:12 a linear address. */
#define BNDCFGS_RESERVED	0x0000000000000FFCULL

/* PAE page-directory-pointer-table entry (SDM Vol. 3A §4.4.1). */
#define PDPTE_P			0x0000000000000001ULL
#define PDPTE_RESERVED_LOW	0x00000000000001E6ULL	/* 8:5, 2:1 */
#define PDPTE_ADDR_MASK		0x00000000FFFFFFE0ULL	/* CR3[31:5] */
#define PDPTE_COUNT		4

/* Linear-address width without and with 5-level paging. */
#define LINEAR_ADDR_BITS	48
#define LINEAR_ADDR_BITS_LA57	57

/* Offset of VTPR (the virtual TPR) in the virtual-APIC page. */
#define VAPIC_VTPR_OFFSET	0x80

/*
 * Guest segment access rights as the VMCS holds them (§25.4.1).
 */
#define VMX_AR_TYPE_MASK	0x0000000FU
#define VMX_AR_TYPE_ACCESSED	0x00000001U
#define VMX_AR_TYPE_RW		0x00000002U	/* data writable / code readable */
#define VMX_AR_TYPE_DC		0x00000004U	/* expand-down / conforming */
#define VMX_AR_TYPE_CODE	0x00000008U
#define VMX_AR_S		0x00000010U
#define VMX_AR_DPL_SHIFT	5
#define VMX_AR_DPL_MASK		0x00000060U
#define VMX_AR_P		0x00000080U
#define VMX_AR_RESERVED_LOW	0x00000F00U	/* bits 11:8 */
#define VMX_AR_AVL		0x00001000U
#define VMX_AR_L		0x00002000U
#define VMX_AR_DB		0x00004000U
#define VMX_AR_G		0x00008000U
#define VMX_AR_UNUSABLE		0x00010000U
#define VMX_AR_RESERVED_HIGH	0xFFFE0000U	/* bits 31:17 */

/* Segment-descriptor types used by the checks. */
#define SDT_SYS286BSY		3	/* 16-bit busy TSS */
#define SDT_SYSLDT		2
#define SDT_SYS386BSY		11	/* 32/64-bit busy TSS */
#define SDT_MEMRWA		3	/* read/write data, accessed */
#define SDT_MEMRWDA		7	/* read/write expand-down, accessed */

/* Selector bits. */
#define SEL_RPL_MASK		0x0003U
#define SEL_TI			0x0004U

/*
 * VM-entry interruption-information field (§25.8.3).
 */
#define VMX_INTR_INFO_VECTOR_MASK	0x000000FFU
#define VMX_INTR_INFO_TYPE_SHIFT	8
#define VMX_INTR_INFO_TYPE_MASK		0x00000700U
#define VMX_INTR_INFO_ERRCODE		0x00000800U
#define VMX_INTR_INFO_RESERVED		0x7FFFF000U	/* bits 30:12 */
#define VMX_INTR_INFO_VALID		0x80000000U

#define VMX_INTR_TYPE_EXT_INT		0
#define VMX_INTR_TYPE_RESERVED		1
#define VMX_INTR_TYPE_NMI		2
#define VMX_INTR_TYPE_HW_EXC		3
#define VMX_INTR_TYPE_SW_INT		4
#define VMX_INTR_TYPE_PRIV_SW_EXC	5
#define VMX_INTR_TYPE_SW_EXC		6
#define VMX_INTR_TYPE_OTHER		7

#define VMX_MAX_INSN_LENGTH		15

/* Exception vectors the VM-entry checks name. */
#define VMX_VEC_DB			1
#define VMX_VEC_NMI			2
#define VMX_VEC_MC			18
#define VMX_VEC_CP			21
#define VMX_HW_EXC_VECTOR_MAX		31
/* Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC. */
#define VMX_ERRCODE_VECTORS		0x00027D00U
#define VMX_ERRCODE_RESERVED		0xFFFF0000U	/* bits 31:16 */

/* Posted-interrupt notification vector: bits 15:8 reserved. */
#define VMX_PI_NV_RESERVED		0xFF00U
/* Posted-interrupt descriptor: 64-byte aligned. */
#define VMX_PI_DESC_ALIGN		64
/* TPR threshold: bits 31:4 reserved without virtual-interrupt delivery. */
#define VMX_TPR_THRESHOLD_RESERVED	0xFFFFFFF0U
#define VMX_PAGE_SIZE			4096

/* Guest activity states (§25.4.2). */
#define VMX_ACTIVITY_ACTIVE		0
#define VMX_ACTIVITY_HLT		1
#define VMX_ACTIVITY_SHUTDOWN		2
#define VMX_ACTIVITY_WAIT_SIPI		3

/* Guest interruptibility state (§25.4.2, Table 25-3). */
#define VMX_INTERRUPTIBILITY_STI	0x00000001U
#define VMX_INTERRUPTIBILITY_MOVSS	0x00000002U
#define VMX_INTERRUPTIBILITY_SMI	0x00000004U
#define VMX_INTERRUPTIBILITY_NMI	0x00000008U
#define VMX_INTERRUPTIBILITY_ENCLAVE	0x00000010U
#define VMX_INTERRUPTIBILITY_RESERVED	0xFFFFFFE0U	/* bits 31:5 */

/* Guest pending debug exceptions (§25.4.2, Table 25-4). */
#define VMX_PENDING_DBG_B0_B3		0x000000000000000FULL
#define VMX_PENDING_DBG_ENABLED_BP	0x0000000000001000ULL
#define VMX_PENDING_DBG_BS		0x0000000000004000ULL
#define VMX_PENDING_DBG_RTM		0x0000000000010000ULL
#define VMX_PENDING_DBG_RESERVED	0xFFFFFFFFFFFEAFF0ULL	/* 63:17, 15, 13, 11:4 */

/* Value of the VMCS link pointer when no shadow VMCS is linked. */
#define VMX_LINK_POINTER_NONE		0xFFFFFFFFFFFFFFFFULL

/* Size of one MSR-load/store list entry (§25.7.2, Table 25-15). */
#define VMX_MSR_ENTRY_SIZE		16
#define VMX_MSR_AREA_ALIGN		16

/*
 * The values of every VMX capability MSR of one simulated CPU.  A profile
 * is immutable ([I]); vcpus share it.
 */
struct vmx_caps {
	const char	*name;			/* [I] profile name */
	const char	*description;		/* [I] one line */
	uint64_t	 basic;			/* [I] IA32_VMX_BASIC */
	uint64_t	 pinbased;		/* [I] IA32_VMX_PINBASED_CTLS */
	uint64_t	 procbased;		/* [I] IA32_VMX_PROCBASED_CTLS */
	uint64_t	 exit;			/* [I] IA32_VMX_EXIT_CTLS */
	uint64_t	 entry;			/* [I] IA32_VMX_ENTRY_CTLS */
	uint64_t	 misc;			/* [I] IA32_VMX_MISC */
	uint64_t	 cr0_fixed0;		/* [I] IA32_VMX_CR0_FIXED0 */
	uint64_t	 cr0_fixed1;		/* [I] IA32_VMX_CR0_FIXED1 */
	uint64_t	 cr4_fixed0;		/* [I] IA32_VMX_CR4_FIXED0 */
	uint64_t	 cr4_fixed1;		/* [I] IA32_VMX_CR4_FIXED1 */
	uint64_t	 vmcs_enum;		/* [I] IA32_VMX_VMCS_ENUM */
	uint64_t	 procbased2;		/* [I] IA32_VMX_PROCBASED2_CTLS */
	uint64_t	 ept_vpid_cap;		/* [I] IA32_VMX_EPT_VPID_CAP */
	uint64_t	 true_pinbased;		/* [I] IA32_VMX_TRUE_PINBASED_CTLS */
	uint64_t	 true_procbased;	/* [I] IA32_VMX_TRUE_PROCBASED_CTLS */
	uint64_t	 true_exit;		/* [I] IA32_VMX_TRUE_EXIT_CTLS */
	uint64_t	 true_entry;		/* [I] IA32_VMX_TRUE_ENTRY_CTLS */
	uint64_t	 vmfunc;		/* [I] IA32_VMX_VMFUNC */
	uint64_t	 procbased3;		/* [I] IA32_VMX_PROCBASED3_CTLS
						 * (allowed-1 bits only) */
	uint64_t	 exit2;			/* [I] IA32_VMX_EXIT_CTLS2
						 * (allowed-1 bits only) */
};

const struct vmx_caps	*vmx_caps_profile(const char *);
const char		*vmx_caps_profile_name(size_t);
int			 vmx_caps_rdmsr(const struct vmx_caps *, uint32_t,
			    uint64_t *);

/* The capability MSR that governs each 32-bit control field. */
uint64_t	vmx_caps_pinbased_ctls(const struct vmx_caps *);
uint64_t	vmx_caps_procbased_ctls(const struct vmx_caps *);
uint64_t	vmx_caps_exit_ctls(const struct vmx_caps *);
uint64_t	vmx_caps_entry_ctls(const struct vmx_caps *);

/*
 * A 32-bit control capability MSR: bits 31:0 are the allowed-0 settings
 * (a 1 there means the control must be 1), bits 63:32 the allowed-1
 * settings (a 0 there means the control must be 0); Appendix A.3-A.5.
 */
static inline uint32_t
vmx_ctl_allowed0(uint64_t capmsr)
{
	return ((uint32_t)capmsr);
}

static inline uint32_t
vmx_ctl_allowed1(uint64_t capmsr)
{
	return ((uint32_t)(capmsr >> 32));
}

static inline int
vmx_ctl_valid(uint64_t capmsr, uint32_t value)
{
	return ((value & vmx_ctl_allowed0(capmsr)) ==
	    vmx_ctl_allowed0(capmsr) &&
	    (value & ~vmx_ctl_allowed1(capmsr)) == 0);
}

#endif /* VMMSIM_EMU_VMX_CAPS_H */
