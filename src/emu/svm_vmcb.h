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
 * The AMD-V virtual machine control block (AMD64 APM Vol. 2, Appendix B,
 * "Layout of VMCB"): a 4 KiB page, the control area at 0x000 and the
 * state-save area at 0x400, in the APM's exact byte layout, with the
 * #VMEXIT codes (Appendix C), the intercept bits, the clean bits (§15.15)
 * and the SVM MSRs (§15.30).  Fields are named by the VMCB_ offset
 * constants below and described by a table (svm_vmcb.c) for dumps and
 * tests, as vmcs_fields.c does for the VMCS.
 */

#ifndef VMMSIM_EMU_SVM_VMCB_H
#define VMMSIM_EMU_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VMCB_SIZE		4096

/* Control area (Table B-1). */
#define VMCB_CR_INTERCEPTS	0x000	/* 15:0 reads, 31:16 writes */
#define VMCB_DR_INTERCEPTS	0x004	/* 15:0 reads, 31:16 writes */
#define VMCB_EXC_INTERCEPTS	0x008	/* one bit per vector */
#define VMCB_INTERCEPT_MISC1	0x00C	/* SVM_INTERCEPT_* word 3 */
#define VMCB_INTERCEPT_MISC2	0x010	/* SVM_INTERCEPT2_* word 4 */
#define VMCB_INTERCEPT_MISC3	0x014
#define VMCB_PAUSE_FILTER_THRESH 0x03C
#define VMCB_PAUSE_FILTER_COUNT	0x03E
#define VMCB_IOPM_BASE_PA	0x040
#define VMCB_MSRPM_BASE_PA	0x048
#define VMCB_TSC_OFFSET		0x050
#define VMCB_GUEST_ASID		0x058
#define VMCB_TLB_CONTROL	0x05C
#define VMCB_VINTR		0x060	/* V_TPR .. V_INTR_VECTOR */
#define VMCB_INTR_SHADOW	0x068
#define VMCB_EXITCODE		0x070
#define VMCB_EXITINFO1		0x078
#define VMCB_EXITINFO2		0x080
#define VMCB_EXITINTINFO	0x088
#define VMCB_NP_CONTROL		0x090	/* bit 0 NP_ENABLE */
#define VMCB_AVIC_APIC_BAR	0x098
#define VMCB_GHCB_PA		0x0A0
#define VMCB_EVENTINJ		0x0A8
#define VMCB_N_CR3		0x0B0
#define VMCB_LBR_VIRT		0x0B8
#define VMCB_CLEAN_BITS		0x0C0
#define VMCB_NRIP		0x0C8
#define VMCB_INSN_LEN		0x0D0	/* number of bytes fetched */
#define VMCB_INSN_BYTES		0x0D1	/* 15 bytes */

/* State-save area (Table B-2), at 0x400. */
#define VMCB_SAVE		0x400
#define VMCB_ES			0x400	/* struct vmcb_seg each */
#define VMCB_CS			0x410
#define VMCB_SS			0x420
#define VMCB_DS			0x430
#define VMCB_FS			0x440
#define VMCB_GS			0x450
#define VMCB_GDTR		0x460
#define VMCB_LDTR		0x470
#define VMCB_IDTR		0x480
#define VMCB_TR			0x490
#define VMCB_CPL		0x4CB
#define VMCB_EFER		0x4D0
#define VMCB_CR4		0x548
#define VMCB_CR3		0x550
#define VMCB_CR0		0x558
#define VMCB_DR7		0x560
#define VMCB_DR6		0x568
#define VMCB_RFLAGS		0x570
#define VMCB_RIP		0x578
#define VMCB_RSP		0x5D8
#define VMCB_RAX		0x5F8
#define VMCB_STAR		0x600
#define VMCB_LSTAR		0x608
#define VMCB_CSTAR		0x610
#define VMCB_SFMASK		0x618
#define VMCB_KERNEL_GS_BASE	0x620
#define VMCB_SYSENTER_CS	0x628
#define VMCB_SYSENTER_ESP	0x630
#define VMCB_SYSENTER_EIP	0x638
#define VMCB_CR2		0x640
#define VMCB_G_PAT		0x668
#define VMCB_DBGCTL		0x670
#define VMCB_BR_FROM		0x678
#define VMCB_BR_TO		0x680
#define VMCB_LASTEXCPFROM	0x688
#define VMCB_LASTEXCPTO		0x690
/*
 * Where the fields this CPU model knows end (after LASTEXCPTO); the rest
 * of the page is reserved: VMRUN's effective copy and the clean-bits cache
 * hold only the bytes before it.
 */
#define VMCB_USED		0x698

/* A segment register in the save area: 16 bytes. */
struct vmcb_seg {
	uint16_t	sel;
	uint16_t	attrib;		/* descriptor bits 47:40 and 55:52 */
	uint32_t	limit;
	uint64_t	base;
};

#define VMCB_SEG_SEL		0
#define VMCB_SEG_ATTRIB		2
#define VMCB_SEG_LIMIT		4
#define VMCB_SEG_BASE		8

/* Segment attribute bits (12-bit compressed descriptor flags). */
#define VMCB_ATTR_TYPE_MASK	0x00F
#define VMCB_ATTR_S		0x010
#define VMCB_ATTR_DPL_SHIFT	5
#define VMCB_ATTR_P		0x080
#define VMCB_ATTR_AVL		0x100
#define VMCB_ATTR_L		0x200
#define VMCB_ATTR_DB		0x400
#define VMCB_ATTR_G		0x800

/* Intercept word 3 at 0x00C (Table B-1). */
#define SVM_INTERCEPT_INTR		(1U << 0)
#define SVM_INTERCEPT_NMI		(1U << 1)
#define SVM_INTERCEPT_SMI		(1U << 2)
#define SVM_INTERCEPT_INIT		(1U << 3)
#define SVM_INTERCEPT_VINTR		(1U << 4)
#define SVM_INTERCEPT_CR0_SEL_WRITE	(1U << 5)
#define SVM_INTERCEPT_IDTR_READ		(1U << 6)
#define SVM_INTERCEPT_GDTR_READ		(1U << 7)
#define SVM_INTERCEPT_LDTR_READ		(1U << 8)
#define SVM_INTERCEPT_TR_READ		(1U << 9)
#define SVM_INTERCEPT_IDTR_WRITE	(1U << 10)
#define SVM_INTERCEPT_GDTR_WRITE	(1U << 11)
#define SVM_INTERCEPT_LDTR_WRITE	(1U << 12)
#define SVM_INTERCEPT_TR_WRITE		(1U << 13)
#define SVM_INTERCEPT_RDTSC		(1U << 14)
#define SVM_INTERCEPT_RDPMC		(1U << 15)
#define SVM_INTERCEPT_PUSHF		(1U << 16)
#define SVM_INTERCEPT_POPF		(1U << 17)
#define SVM_INTERCEPT_CPUID		(1U << 18)
#define SVM_INTERCEPT_RSM		(1U << 19)
#define SVM_INTERCEPT_IRET		(1U << 20)
#define SVM_INTERCEPT_INTN		(1U << 21)
#define SVM_INTERCEPT_INVD		(1U << 22)
#define SVM_INTERCEPT_PAUSE		(1U << 23)
#define SVM_INTERCEPT_HLT		(1U << 24)
#define SVM_INTERCEPT_INVLPG		(1U << 25)
#define SVM_INTERCEPT_INVLPGA		(1U << 26)
#define SVM_INTERCEPT_IOIO_PROT		(1U << 27)
#define SVM_INTERCEPT_MSR_PROT		(1U << 28)
#define SVM_INTERCEPT_TASK_SWITCH	(1U << 29)
#define SVM_INTERCEPT_FERR_FREEZE	(1U << 30)
#define SVM_INTERCEPT_SHUTDOWN		(1U << 31)

/* Intercept word 4 at 0x010. */
#define SVM_INTERCEPT2_VMRUN		(1U << 0)
#define SVM_INTERCEPT2_VMMCALL		(1U << 1)
#define SVM_INTERCEPT2_VMLOAD		(1U << 2)
#define SVM_INTERCEPT2_VMSAVE		(1U << 3)
#define SVM_INTERCEPT2_STGI		(1U << 4)
#define SVM_INTERCEPT2_CLGI		(1U << 5)
#define SVM_INTERCEPT2_SKINIT		(1U << 6)
#define SVM_INTERCEPT2_RDTSCP		(1U << 7)
#define SVM_INTERCEPT2_ICEBP		(1U << 8)
#define SVM_INTERCEPT2_WBINVD		(1U << 9)
#define SVM_INTERCEPT2_MONITOR		(1U << 10)
#define SVM_INTERCEPT2_MWAIT		(1U << 11)
#define SVM_INTERCEPT2_MWAIT_ARMED	(1U << 12)
#define SVM_INTERCEPT2_XSETBV		(1U << 13)

/* TLB_CONTROL (§15.16.1). */
#define VMCB_TLB_NOTHING	0x00
#define VMCB_TLB_FLUSH_ALL	0x01
#define VMCB_TLB_FLUSH_ASID	0x03
#define VMCB_TLB_FLUSH_ASID_NONGLOBAL 0x07

/* The virtual-interrupt quadword at 0x060 (§15.21.1). */
#define VMCB_V_TPR_MASK		0x00000000000000FFULL
#define VMCB_V_IRQ		(1ULL << 8)
#define VMCB_V_GIF		(1ULL << 9)
#define VMCB_V_INTR_PRIO_SHIFT	16
#define VMCB_V_INTR_PRIO_MASK	(0xFULL << 16)
#define VMCB_V_IGN_TPR		(1ULL << 20)
#define VMCB_V_INTR_MASKING	(1ULL << 24)
#define VMCB_V_INTR_VECTOR_SHIFT 32
#define VMCB_V_INTR_VECTOR_MASK	(0xFFULL << 32)

#define VMCB_INTR_SHADOW_ON	(1ULL << 0)
#define VMCB_GUEST_INTR_MASK	(1ULL << 1)

#define VMCB_NP_ENABLE		(1ULL << 0)

/* EVENTINJ and EXITINTINFO (§15.20). */
#define SVM_EVTINJ_VECTOR_MASK	0xFFULL
#define SVM_EVTINJ_TYPE_SHIFT	8
#define SVM_EVTINJ_TYPE_MASK	(7ULL << 8)
#define SVM_EVTINJ_TYPE_INTR	0
#define SVM_EVTINJ_TYPE_NMI	2
#define SVM_EVTINJ_TYPE_EXCEPT	3
#define SVM_EVTINJ_TYPE_SOFT	4
#define SVM_EVTINJ_EV		(1ULL << 11)
#define SVM_EVTINJ_RESERVED	0x7FFFF000ULL	/* bits 30:12 */
#define SVM_EVTINJ_V		(1ULL << 31)
#define SVM_EVTINJ_ERR_SHIFT	32

/* VMCB clean bits (§15.15.3). */
#define VMCB_CLEAN_I		(1U << 0)	/* intercepts, TSC offset, pause */
#define VMCB_CLEAN_IOPM		(1U << 1)	/* IOPM/MSRPM base */
#define VMCB_CLEAN_ASID		(1U << 2)
#define VMCB_CLEAN_TPR		(1U << 3)	/* the 0x060 quadword */
#define VMCB_CLEAN_NP		(1U << 4)	/* NP enable, nCR3, gPAT */
#define VMCB_CLEAN_CRX		(1U << 5)	/* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX		(1U << 6)	/* DR6, DR7 */
#define VMCB_CLEAN_DT		(1U << 7)	/* GDTR, IDTR */
#define VMCB_CLEAN_SEG		(1U << 8)	/* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2		(1U << 9)
#define VMCB_CLEAN_LBR		(1U << 10)
#define VMCB_CLEAN_AVIC		(1U << 11)
#define VMCB_CLEAN_NBITS	12

/* IOIO EXITINFO1 (§15.10.2). */
#define SVM_IOIO_TYPE_IN	(1ULL << 0)
#define SVM_IOIO_STR		(1ULL << 2)
#define SVM_IOIO_REP		(1ULL << 3)
#define SVM_IOIO_SZ8		(1ULL << 4)
#define SVM_IOIO_SZ16		(1ULL << 5)
#define SVM_IOIO_SZ32		(1ULL << 6)
#define SVM_IOIO_A16		(1ULL << 7)
#define SVM_IOIO_A32		(1ULL << 8)
#define SVM_IOIO_A64		(1ULL << 9)
#define SVM_IOIO_SEG_SHIFT	10
#define SVM_IOIO_PORT_SHIFT	16

/* Nested page fault EXITINFO1 (§15.25.6). */
#define SVM_NPF_P		(1ULL << 0)	/* the page was present */
#define SVM_NPF_RW		(1ULL << 1)	/* a write */
#define SVM_NPF_US		(1ULL << 2)	/* user access: always */
#define SVM_NPF_RSV		(1ULL << 3)	/* reserved bit set */
#define SVM_NPF_ID		(1ULL << 4)	/* instruction fetch */
#define SVM_NPF_GUEST_FINAL	(1ULL << 32)	/* final GPA translation */
#define SVM_NPF_GUEST_TABLE	(1ULL << 33)	/* guest page-table walk */

/* Decode-assist EXITINFO1 of MOV CRx/DRx intercepts (§15.33.1). */
#define SVM_CR_VALID		(1ULL << 63)
#define SVM_CR_GPR_MASK		0xFULL

/* SVM MSRs (§15.30) and EFER.SVME. */
#define MSR_VM_CR		0xC0010114
#define MSR_VM_HSAVE_PA		0xC0010117
#define VM_CR_DPD		(1ULL << 0)
#define VM_CR_R_INIT		(1ULL << 1)
#define VM_CR_DIS_A20M		(1ULL << 2)
#define VM_CR_LOCK		(1ULL << 3)
#define VM_CR_SVMDIS		(1ULL << 4)
#define EFER_SVME		0x00001000ULL
/* AMD: EFER bits that may be set (SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE). */
#define EFER_AMD_VALID		0x000000000000FD01ULL

/* #VMEXIT codes (Appendix C). */
#define VMEXIT_CR0_READ		0x000	/* + n for CRn */
#define VMEXIT_CR0_WRITE	0x010
#define VMEXIT_DR0_READ		0x020
#define VMEXIT_DR0_WRITE	0x030
#define VMEXIT_EXCP0		0x040	/* + vector */
#define VMEXIT_INTR		0x060
#define VMEXIT_NMI		0x061
#define VMEXIT_SMI		0x062
#define VMEXIT_INIT		0x063
#define VMEXIT_VINTR		0x064
#define VMEXIT_CR0_SEL_WRITE	0x065
#define VMEXIT_IDTR_READ	0x066
#define VMEXIT_GDTR_READ	0x067
#define VMEXIT_LDTR_READ	0x068
#define VMEXIT_TR_READ		0x069
#define VMEXIT_IDTR_WRITE	0x06A
#define VMEXIT_GDTR_WRITE	0x06B
#define VMEXIT_LDTR_WRITE	0x06C
#define VMEXIT_TR_WRITE		0x06D
#define VMEXIT_RDTSC		0x06E
#define VMEXIT_RDPMC		0x06F
#define VMEXIT_PUSHF		0x070
#define VMEXIT_POPF		0x071
#define VMEXIT_CPUID		0x072
#define VMEXIT_RSM		0x073
#define VMEXIT_IRET		0x074
#define VMEXIT_SWINT		0x075
#define VMEXIT_INVD		0x076
#define VMEXIT_PAUSE		0x077
#define VMEXIT_HLT		0x078
#define VMEXIT_INVLPG		0x079
#define VMEXIT_INVLPGA		0x07A
#define VMEXIT_IOIO		0x07B
#define VMEXIT_MSR		0x07C
#define VMEXIT_TASK_SWITCH	0x07D
#define VMEXIT_FERR_FREEZE	0x07E
#define VMEXIT_SHUTDOWN		0x07F
#define VMEXIT_VMRUN		0x080
#define VMEXIT_VMMCALL		0x081
#define VMEXIT_VMLOAD		0x082
#define VMEXIT_VMSAVE		0x083
#define VMEXIT_STGI		0x084
#define VMEXIT_CLGI		0x085
#define VMEXIT_SKINIT		0x086
#define VMEXIT_RDTSCP		0x087
#define VMEXIT_ICEBP		0x088
#define VMEXIT_WBINVD		0x089
#define VMEXIT_MONITOR		0x08A
#define VMEXIT_MWAIT		0x08B
#define VMEXIT_MWAIT_CONDITIONAL 0x08C
#define VMEXIT_XSETBV		0x08D
#define VMEXIT_NPF		0x400
#define VMEXIT_INVALID		0xFFFFFFFFFFFFFFFFULL	/* -1 */

/* One VMCB field, for dumps and tests. */
struct vmcb_field {
	uint16_t	 offset;	/* [I] byte offset in the VMCB */
	uint8_t		 width;		/* [I] bytes: 1, 2, 4, 8 or 16 */
	int8_t		 clean;		/* [I] VMCB_CLEAN_* bit number, -1 */
	const char	*name;		/* [I] the VMCB_ constant's name */
};

extern const struct vmcb_field vmcb_fields[];
extern const size_t vmcb_nfields;

const struct vmcb_field	*vmcb_field_by_name(const char *);
const struct vmcb_field	*vmcb_field_at(unsigned offset);
const char		*svm_exit_code_name(uint64_t);

/*
 * Little-endian access to a VMCB's bytes (the APM's layout).  Inline, so a
 * constant width is one load or store: the VMRUN path makes some hundred
 * of these.  A width other than 1, 2, 4 or 8, or bytes past the VMCB,
 * read 0 and write nothing.
 */
static inline uint64_t
vmcb_read(const void *vmcb, unsigned offset, unsigned width)
{
	const uint8_t *p = (const uint8_t *)vmcb + offset;
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	if (width > 8 || offset > VMCB_SIZE - width)
		return (0);
	switch (width) {
	case 1:
		return (*p);
	case 2:
		memcpy(&v2, p, 2);
		return (v2);
	case 4:
		memcpy(&v4, p, 4);
		return (v4);
	case 8:
		memcpy(&v8, p, 8);
		return (v8);
	default:
		v8 = 0;
		memcpy(&v8, p, width);
		return (v8);
	}
}

static inline void
vmcb_write(void *vmcb, unsigned offset, unsigned width, uint64_t v)
{
	uint8_t *p = (uint8_t *)vmcb + offset;
	uint32_t v4 = (uint32_t)v;
	uint16_t v2 = (uint16_t)v;

	if (width > 8 || offset > VMCB_SIZE - width)
		return;
	switch (width) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		memcpy(p, &v2, 2);
		break;
	case 4:
		memcpy(p, &v4, 4);
		break;
	case 8:
		memcpy(p, &v, 8);
		break;
	default:
		memcpy(p, &v, width);	/* LE host */
		break;
	}
}

static inline uint64_t
vmcb_get64(const void *vmcb, unsigned offset)
{
	return (vmcb_read(vmcb, offset, 8));
}
static inline void
vmcb_set64(void *vmcb, unsigned offset, uint64_t v)
{
	vmcb_write(vmcb, offset, 8, v);
}
void		vmcb_get_seg(const void *vmcb, unsigned offset,
		    struct vmcb_seg *);
void		vmcb_set_seg(void *vmcb, unsigned offset,
		    const struct vmcb_seg *);

#endif /* VMMSIM_EMU_SVM_VMCB_H */
