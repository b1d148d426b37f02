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
 * The VMCB as data (AMD64 APM Vol. 2, Appendix B): a C layout checked
 * against the APM's offsets at compile time, the field table that names
 * every architectural field with its width and clean bit, and the #VMEXIT
 * code names of Appendix C.
 */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "svm_vmcb.h"

/* The layout, spelled out so the compiler checks every offset. */
struct vmcb_control_area {
	uint32_t	cr_intercepts;		/* 0x000 */
	uint32_t	dr_intercepts;		/* 0x004 */
	uint32_t	exc_intercepts;		/* 0x008 */
	uint32_t	intercept_misc1;	/* 0x00C */
	uint32_t	intercept_misc2;	/* 0x010 */
	uint32_t	intercept_misc3;	/* 0x014 */
	uint8_t		reserved1[0x03C - 0x018];
	uint16_t	pause_filter_thresh;	/* 0x03C */
	uint16_t	pause_filter_count;	/* 0x03E */
	uint64_t	iopm_base_pa;		/* 0x040 */
	uint64_t	msrpm_base_pa;		/* 0x048 */
	uint64_t	tsc_offset;		/* 0x050 */
	uint32_t	guest_asid;		/* 0x058 */
	uint8_t		tlb_control;		/* 0x05C */
	uint8_t		reserved2[3];
	uint64_t	vintr;			/* 0x060 */
	uint64_t	intr_shadow;		/* 0x068 */
	uint64_t	exitcode;		/* 0x070 */
	uint64_t	exitinfo1;		/* 0x078 */
	uint64_t	exitinfo2;		/* 0x080 */
	uint64_t	exitintinfo;		/* 0x088 */
	uint64_t	np_control;		/* 0x090 */
	uint64_t	avic_apic_bar;		/* 0x098 */
	uint64_t	ghcb_pa;		/* 0x0A0 */
	uint64_t	eventinj;		/* 0x0A8 */
	uint64_t	n_cr3;			/* 0x0B0 */
	uint64_t	lbr_virt;		/* 0x0B8 */
	uint32_t	clean_bits;		/* 0x0C0 */
	uint32_t	reserved3;
	uint64_t	nrip;			/* 0x0C8 */
	uint8_t		insn_len;		/* 0x0D0 */
	uint8_t		insn_bytes[15];		/* 0x0D1 */
	uint8_t		reserved4[0x400 - 0x0E0];
} __attribute__((__packed__));

struct vmcb_save_area {
	struct vmcb_seg	es, cs, ss, ds, fs, gs;	/* 0x400 */
	struct vmcb_seg	gdtr, ldtr, idtr, tr;	/* 0x460 */
	uint8_t		reserved1[0x4CB - 0x4A0];
	uint8_t		cpl;			/* 0x4CB */
	uint32_t	reserved2;
	uint64_t	efer;			/* 0x4D0 */
	uint8_t		reserved3[0x548 - 0x4D8];
	uint64_t	cr4;			/* 0x548 */
	uint64_t	cr3;			/* 0x550 */
	uint64_t	cr0;			/* 0x558 */
	uint64_t	dr7;			/* 0x560 */
	uint64_t	dr6;			/* 0x568 */
	uint64_t	rflags;			/* 0x570 */
	uint64_t	rip;			/* 0x578 */
	uint8_t		reserved4[0x5D8 - 0x580];
	uint64_t	rsp;			/* 0x5D8 */
	uint8_t		reserved5[0x5F8 - 0x5E0];
	uint64_t	rax;			/* 0x5F8 */
	uint64_t	star;			/* 0x600 */
	uint64_t	lstar;			/* 0x608 */
	uint64_t	cstar;			/* 0x610 */
	uint64_t	sfmask;			/* 0x618 */
	uint64_t	kernel_gs_base;		/* 0x620 */
	uint64_t	sysenter_cs;		/* 0x628 */
	uint64_t	sysenter_esp;		/* 0x630 */
	uint64_t	sysenter_eip;		/* 0x638 */
	uint64_t	cr2;			/* 0x640 */
	uint8_t		reserved6[0x668 - 0x648];
	uint64_t	g_pat;			/* 0x668 */
	uint64_t	dbgctl;			/* 0x670 */
	uint64_t	br_from;		/* 0x678 */
	uint64_t	br_to;			/* 0x680 */
	uint64_t	lastexcpfrom;		/* 0x688 */
	uint64_t	lastexcpto;		/* 0x690 */
} __attribute__((__packed__));

struct vmcb {
	struct vmcb_control_area control;
	struct vmcb_save_area	 save;
	uint8_t			 rest[VMCB_SIZE - VMCB_USED];
} __attribute__((__packed__));

#define AT(m, off) \
	_Static_assert(offsetof(struct vmcb, m) == (off), #m " offset")
AT(control.cr_intercepts, VMCB_CR_INTERCEPTS);
AT(control.dr_intercepts, VMCB_DR_INTERCEPTS);
AT(control.exc_intercepts, VMCB_EXC_INTERCEPTS);
AT(control.intercept_misc1, VMCB_INTERCEPT_MISC1);
AT(control.intercept_misc2, VMCB_INTERCEPT_MISC2);
AT(control.pause_filter_thresh, VMCB_PAUSE_FILTER_THRESH);
AT(control.pause_filter_count, VMCB_PAUSE_FILTER_COUNT);
AT(control.iopm_base_pa, VMCB_IOPM_BASE_PA);
AT(control.msrpm_base_pa, VMCB_MSRPM_BASE_PA);
AT(control.tsc_offset, VMCB_TSC_OFFSET);
AT(control.guest_asid, VMCB_GUEST_ASID);
AT(control.tlb_control, VMCB_TLB_CONTROL);
AT(control.vintr, VMCB_VINTR);
AT(control.intr_shadow, VMCB_INTR_SHADOW);
AT(control.exitcode, VMCB_EXITCODE);
AT(control.exitinfo1, VMCB_EXITINFO1);
AT(control.exitinfo2, VMCB_EXITINFO2);
AT(control.exitintinfo, VMCB_EXITINTINFO);
AT(control.np_control, VMCB_NP_CONTROL);
AT(control.eventinj, VMCB_EVENTINJ);
AT(control.n_cr3, VMCB_N_CR3);
AT(control.clean_bits, VMCB_CLEAN_BITS);
AT(control.nrip, VMCB_NRIP);
AT(control.insn_len, VMCB_INSN_LEN);
AT(control.insn_bytes, VMCB_INSN_BYTES);
AT(save.es, VMCB_ES);
AT(save.cs, VMCB_CS);
AT(save.ss, VMCB_SS);
AT(save.ds, VMCB_DS);
AT(save.fs, VMCB_FS);
AT(save.gs, VMCB_GS);
AT(save.gdtr, VMCB_GDTR);
AT(save.ldtr, VMCB_LDTR);
AT(save.idtr, VMCB_IDTR);
AT(save.tr, VMCB_TR);
AT(save.cpl, VMCB_CPL);
AT(save.efer, VMCB_EFER);
AT(save.cr4, VMCB_CR4);
AT(save.cr3, VMCB_CR3);
AT(save.cr0, VMCB_CR0);
AT(save.dr7, VMCB_DR7);
AT(save.dr6, VMCB_DR6);
AT(save.rflags, VMCB_RFLAGS);
AT(save.rip, VMCB_RIP);
AT(save.rsp, VMCB_RSP);
AT(save.rax, VMCB_RAX);
AT(save.star, VMCB_STAR);
AT(save.lstar, VMCB_LSTAR);
AT(save.cstar, VMCB_CSTAR);
AT(save.sfmask, VMCB_SFMASK);
AT(save.kernel_gs_base, VMCB_KERNEL_GS_BASE);
AT(save.sysenter_cs, VMCB_SYSENTER_CS);
AT(save.sysenter_esp, VMCB_SYSENTER_ESP);
AT(save.sysenter_eip, VMCB_SYSENTER_EIP);
AT(save.cr2, VMCB_CR2);
AT(save.g_pat, VMCB_G_PAT);
AT(save.dbgctl, VMCB_DBGCTL);
AT(save.lastexcpto, VMCB_LASTEXCPTO);
_Static_assert(sizeof(struct vmcb) == VMCB_SIZE, "VMCB is one page");
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment is 16 bytes");
#undef AT

#define F(n, w, c)	{ n, w, c, #n }
#define NC		(-1)
/* Clean-bit numbers, for the table. */
#define C_I	0
#define C_IOPM	1
#define C_ASID	2
#define C_TPR	3
#define C_NP	4
#define C_CRX	5
#define C_DRX	6
#define C_DT	7
#define C_SEG	8
#define C_CR2	9
#define C_LBR	10

const struct vmcb_field vmcb_fields[] = {
	F(VMCB_CR_INTERCEPTS, 4, C_I),
	F(VMCB_DR_INTERCEPTS, 4, C_I),
	F(VMCB_EXC_INTERCEPTS, 4, C_I),
	F(VMCB_INTERCEPT_MISC1, 4, C_I),
	F(VMCB_INTERCEPT_MISC2, 4, C_I),
	F(VMCB_INTERCEPT_MISC3, 4, C_I),
	F(VMCB_PAUSE_FILTER_THRESH, 2, C_I),
	F(VMCB_PAUSE_FILTER_COUNT, 2, C_I),
	F(VMCB_IOPM_BASE_PA, 8, C_IOPM),
	F(VMCB_MSRPM_BASE_PA, 8, C_IOPM),
	F(VMCB_TSC_OFFSET, 8, C_I),
	F(VMCB_GUEST_ASID, 4, C_ASID),
	F(VMCB_TLB_CONTROL, 1, NC),
	F(VMCB_VINTR, 8, C_TPR),
	F(VMCB_INTR_SHADOW, 8, NC),
	F(VMCB_EXITCODE, 8, NC),
	F(VMCB_EXITINFO1, 8, NC),
	F(VMCB_EXITINFO2, 8, NC),
	F(VMCB_EXITINTINFO, 8, NC),
	F(VMCB_NP_CONTROL, 8, C_NP),
	F(VMCB_AVIC_APIC_BAR, 8, NC),
	F(VMCB_GHCB_PA, 8, NC),
	F(VMCB_EVENTINJ, 8, NC),
	F(VMCB_N_CR3, 8, C_NP),
	F(VMCB_LBR_VIRT, 8, C_LBR),
	F(VMCB_CLEAN_BITS, 4, NC),
	F(VMCB_NRIP, 8, NC),
	F(VMCB_INSN_LEN, 1, NC),
	F(VMCB_INSN_BYTES, 15, NC),
	F(VMCB_ES, 16, C_SEG),
	F(VMCB_CS, 16, C_SEG),
	F(VMCB_SS, 16, C_SEG),
	F(VMCB_DS, 16, C_SEG),
	F(VMCB_FS, 16, NC),
	F(VMCB_GS, 16, NC),
	F(VMCB_GDTR, 16, C_DT),
	F(VMCB_LDTR, 16, NC),
	F(VMCB_IDTR, 16, C_DT),
	F(VMCB_TR, 16, NC),
	F(VMCB_CPL, 1, C_SEG),
	F(VMCB_EFER, 8, C_CRX),
	F(VMCB_CR4, 8, C_CRX),
	F(VMCB_CR3, 8, C_CRX),
	F(VMCB_CR0, 8, C_CRX),
	F(VMCB_DR7, 8, C_DRX),
	F(VMCB_DR6, 8, C_DRX),
	F(VMCB_RFLAGS, 8, NC),
	F(VMCB_RIP, 8, NC),
	F(VMCB_RSP, 8, NC),
	F(VMCB_RAX, 8, NC),
	F(VMCB_STAR, 8, NC),
	F(VMCB_LSTAR, 8, NC),
	F(VMCB_CSTAR, 8, NC),
	F(VMCB_SFMASK, 8, NC),
	F(VMCB_KERNEL_GS_BASE, 8, NC),
	F(VMCB_SYSENTER_CS, 8, NC),
	F(VMCB_SYSENTER_ESP, 8, NC),
	F(VMCB_SYSENTER_EIP, 8, NC),
	F(VMCB_CR2, 8, C_CR2),
	F(VMCB_G_PAT, 8, C_NP),
	F(VMCB_DBGCTL, 8, C_LBR),
	F(VMCB_BR_FROM, 8, C_LBR),
	F(VMCB_BR_TO, 8, C_LBR),
	F(VMCB_LASTEXCPFROM, 8, C_LBR),
	F(VMCB_LASTEXCPTO, 8, C_LBR),
};
const size_t vmcb_nfields = sizeof(vmcb_fields) / sizeof(vmcb_fields[0]);

const struct vmcb_field *
vmcb_field_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < vmcb_nfields; i++)
		if (strcmp(vmcb_fields[i].name, name) == 0)
			return (&vmcb_fields[i]);
	return (NULL);
}

/* The field that starts at offset, or NULL. */
const struct vmcb_field *
vmcb_field_at(unsigned offset)
{
	size_t i;

	for (i = 0; i < vmcb_nfields; i++)
		if (vmcb_fields[i].offset == offset)
			return (&vmcb_fields[i]);
	return (NULL);
}

static const struct {
	uint64_t	 code;
	const char	*name;
} exit_names[] = {
	{ VMEXIT_INTR, "INTR" }, { VMEXIT_NMI, "NMI" }, { VMEXIT_SMI, "SMI" },
	{ VMEXIT_INIT, "INIT" }, { VMEXIT_VINTR, "VINTR" },
	{ VMEXIT_CR0_SEL_WRITE, "CR0_SEL_WRITE" },
	{ VMEXIT_RDTSC, "RDTSC" }, { VMEXIT_RDPMC, "RDPMC" },
	{ VMEXIT_PUSHF, "PUSHF" }, { VMEXIT_POPF, "POPF" },
	{ VMEXIT_CPUID, "CPUID" }, { VMEXIT_RSM, "RSM" },
	{ VMEXIT_IRET, "IRET" }, { VMEXIT_SWINT, "SWINT" },
	{ VMEXIT_INVD, "INVD" }, { VMEXIT_PAUSE, "PAUSE" },
	{ VMEXIT_HLT, "HLT" }, { VMEXIT_INVLPG, "INVLPG" },
	{ VMEXIT_INVLPGA, "INVLPGA" }, { VMEXIT_IOIO, "IOIO" },
	{ VMEXIT_MSR, "MSR" }, { VMEXIT_TASK_SWITCH, "TASK_SWITCH" },
	{ VMEXIT_FERR_FREEZE, "FERR_FREEZE" }, { VMEXIT_SHUTDOWN, "SHUTDOWN" },
	{ VMEXIT_VMRUN, "VMRUN" }, { VMEXIT_VMMCALL, "VMMCALL" },
	{ VMEXIT_VMLOAD, "VMLOAD" }, { VMEXIT_VMSAVE, "VMSAVE" },
	{ VMEXIT_STGI, "STGI" }, { VMEXIT_CLGI, "CLGI" },
	{ VMEXIT_SKINIT, "SKINIT" }, { VMEXIT_RDTSCP, "RDTSCP" },
	{ VMEXIT_ICEBP, "ICEBP" }, { VMEXIT_WBINVD, "WBINVD" },
	{ VMEXIT_MONITOR, "MONITOR" }, { VMEXIT_MWAIT, "MWAIT" },
	{ VMEXIT_MWAIT_CONDITIONAL, "MWAIT_CONDITIONAL" },
	{ VMEXIT_XSETBV, "XSETBV" }, { VMEXIT_NPF, "NPF" },
	{ VMEXIT_INVALID, "INVALID" },
};

/* "CR3_WRITE", "EXCP14", "IOIO", ... or NULL for an unknown code. */
const char *
svm_exit_code_name(uint64_t code)
{
	static const char *const cr[] = {
		"CR0", "CR1", "CR2", "CR3", "CR4", "CR5", "CR6", "CR7", "CR8",
		"CR9", "CR10", "CR11", "CR12", "CR13", "CR14", "CR15"
	};
	static char buf[4][24];
	static unsigned slot;
	size_t i;

	for (i = 0; i < sizeof(exit_names) / sizeof(exit_names[0]); i++)
		if (exit_names[i].code == code)
			return (exit_names[i].name);
	if (code >= VMEXIT_EXCP0 + 32)
		return (NULL);
	/* Computed names: a small ring so two can be printed together. */
	slot = (slot + 1) % 4;
	if (code < VMEXIT_DR0_READ)
		snprintf(buf[slot], sizeof(buf[slot]), "%s_%s",
		    cr[code & 15], code < VMEXIT_CR0_WRITE ? "READ" : "WRITE");
	else if (code < VMEXIT_EXCP0)
		snprintf(buf[slot], sizeof(buf[slot]), "DR%u_%s",
		    (unsigned)(code & 15), code < VMEXIT_DR0_WRITE ? "READ" :
		    "WRITE");
	else
		snprintf(buf[slot], sizeof(buf[slot]), "EXCP%u",
		    (unsigned)(code - VMEXIT_EXCP0));
	return (buf[slot]);
}

void
vmcb_get_seg(const void *vmcb, unsigned offset, struct vmcb_seg *s)
{
	memcpy(s, (const uint8_t *)vmcb + offset, sizeof(*s));
}

void
vmcb_set_seg(void *vmcb, unsigned offset, const struct vmcb_seg *s)
{
	memcpy((uint8_t *)vmcb + offset, s, sizeof(*s));
}
