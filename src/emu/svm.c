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
 * AMD-V on the simulated CPU (AMD64 APM Vol. 2 ch. 15, "Secure Virtual
 * Machine"): EFER.SVME, VM_CR and VM_HSAVE_PA, VMRUN with its consistency
 * checks and world switch, #VMEXIT, VMLOAD/VMSAVE, STGI/CLGI, INVLPGA.
 *
 * The guest runs on the engine exec.c drives for VMX.  VMRUN writes the
 * guest state and the controls its intercepts imply into a private
 * VMCS-format page (the "shadow": on-chip state, no software sees it),
 * runs the guest, and at the exit maps what the engine recorded into the
 * VMCB's EXITCODE/EXITINFO1/EXITINFO2/EXITINTINFO/nRIP and writes the
 * guest state back.  Where SVM's rules differ from VMX's (CR, DR and
 * instruction intercepts, the IOPM and MSRPM, nested paging, ASID-only
 * TLB tags), exec.c and translate.c ask this file or npt.c.
 *
 * The engine keeps the guest between VMRUNs: the state VMRUN would load
 * is compared with what the last #VMEXIT wrote (after the VMCB clean bits
 * are applied), and only a difference reloads it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_impl.h"

#define AR_UNUSABLE	0x10000U
#define PA_OK(pa)	(((pa) >> HOSTMEM_PHYS_BITS) == 0)

/* The MSRs VMLOAD/VMSAVE move, in the engine's MSR list order. */
static const struct {
	uint32_t	msr;
	unsigned	off;
} loaded_msrs[] = {
	{ 0xc0000081, VMCB_STAR }, { 0xc0000082, VMCB_LSTAR },
	{ 0xc0000083, VMCB_CSTAR }, { 0xc0000084, VMCB_SFMASK },
	{ MSR_KERNELGSBASE, VMCB_KERNEL_GS_BASE },
	{ MSR_SYSENTER_CS, VMCB_SYSENTER_CS },
	{ MSR_SYSENTER_ESP, VMCB_SYSENTER_ESP },
	{ MSR_SYSENTER_EIP, VMCB_SYSENTER_EIP },
};
#define NLOADED_MSRS	(sizeof(loaded_msrs) / sizeof(loaded_msrs[0]))

/* VMLOAD/VMSAVE ranges (APM §15.5.2): FS, GS, TR, LDTR, the MSRs above. */
static const struct {
	unsigned	off, len;
} vmload_ranges[] = {
	{ VMCB_FS, 16 }, { VMCB_GS, 16 }, { VMCB_LDTR, 16 }, { VMCB_TR, 16 },
	{ VMCB_STAR, VMCB_SYSENTER_EIP + 8 - VMCB_STAR },
};

/* Byte ranges of each clean bit's fields (APM §15.15.3, Table 15-9). */
static const struct {
	unsigned	bit, off, len;
} clean_ranges[] = {
	{ 0, VMCB_CR_INTERCEPTS, 0x18 },
	{ 0, VMCB_PAUSE_FILTER_THRESH, 4 },
	{ 0, VMCB_TSC_OFFSET, 8 },
	{ 1, VMCB_IOPM_BASE_PA, 16 },
	{ 2, VMCB_GUEST_ASID, 4 },
	{ 3, VMCB_VINTR, 8 },
	{ 4, VMCB_NP_CONTROL, 8 }, { 4, VMCB_N_CR3, 8 }, { 4, VMCB_G_PAT, 8 },
	{ 5, VMCB_EFER, 8 }, { 5, VMCB_CR4, 24 },
	{ 6, VMCB_DR7, 16 },
	{ 7, VMCB_GDTR, 16 }, { 7, VMCB_IDTR, 16 },
	{ 8, VMCB_ES, 64 }, { 8, VMCB_CPL, 1 },
	{ 9, VMCB_CR2, 8 },
	{ 10, VMCB_DBGCTL, 0x28 },
};

/* What VMRUN loads from the save area, but RIP, RSP, RAX, RFLAGS, CR2. */
static const struct {
	unsigned	off, len;
} vmrun_ranges[] = {
	{ VMCB_ES, 64 }, { VMCB_GDTR, 16 }, { VMCB_IDTR, 16 },
	{ VMCB_CPL, 1 }, { VMCB_EFER, 8 }, { VMCB_CR4, 0x28 },
	{ VMCB_G_PAT, 8 },
};

/* What #VMEXIT writes into the VMCB (APM §15.6). */
static const struct {
	unsigned	off, len;
} exit_ranges[] = {
	{ VMCB_VINTR, 16 }, { VMCB_EXITCODE, 32 }, { VMCB_EVENTINJ, 8 },
	{ VMCB_NRIP, 24 }, { VMCB_ES, 64 }, { VMCB_GDTR, 16 },
	{ VMCB_IDTR, 16 }, { VMCB_CPL, 1 }, { VMCB_EFER, 8 },
	{ VMCB_CR4, 24 }, { VMCB_RFLAGS, 16 }, { VMCB_RSP, 8 },
	{ VMCB_RAX, 8 }, { VMCB_CR2, 8 }, { VMCB_DR7, 16 },
};

static const unsigned seg_off[SEG_NUM] = {
	VMCB_ES, VMCB_CS, VMCB_SS, VMCB_DS, VMCB_FS, VMCB_GS, VMCB_LDTR,
	VMCB_TR
};

static struct svm_cpu *
svm_state(struct emu_cpu *cpu)
{
	if (cpu->svm == NULL && (cpu->svm = calloc(1, sizeof(*cpu->svm))) !=
	    NULL) {
		cpu->svm->gif = true;
		/* After reset TR and LDTR hold nothing (usable, base 0). */
		vmcb_write(cpu->svm->loaded, VMCB_TR + VMCB_SEG_ATTRIB, 2, 0x8B);
		vmcb_write(cpu->svm->loaded, VMCB_TR + VMCB_SEG_LIMIT, 4, 0xFFFF);
		vmcb_write(cpu->svm->loaded, VMCB_LDTR + VMCB_SEG_ATTRIB, 2, 0x82);
		vmcb_write(cpu->svm->loaded, VMCB_LDTR + VMCB_SEG_LIMIT, 4,
		    0xFFFF);
	}
	return (cpu->svm);
}

void
svm_cpu_fini(struct emu_cpu *cpu)
{
	if (cpu->svm == NULL)
		return;
	if (cpu->svm->shadow_pa != 0)
		hostmem_free(cpu->host->mem, cpu->svm->shadow_pa, 2);
	free(cpu->svm);
	cpu->svm = NULL;
}

/* SVM MSRs (APM §15.30): the value, or -1 when the MSR is not SVM's. */
int
svm_rdmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t *v)
{
	switch (msr) {
	case MSR_VM_CR:
		*v = cpu->svm != NULL ? cpu->svm->vm_cr : 0;
		return (0);
	case MSR_VM_HSAVE_PA:
		*v = cpu->svm != NULL ? cpu->svm->hsave_pa : 0;
		return (0);
	default:
		return (-1);
	}
}

/*
 * WRMSR of an SVM MSR or EFER on an AMD CPU: 0, EINVAL for #GP, or -1
 * when the generic MSR code stores the value.
 */
int
svm_wrmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t v)
{
	struct svm_cpu *s;

	switch (msr) {
	case MSR_EFER:
		/* §15.30.1: SVME cannot be set while VM_CR.SVMDIS is. */
		if (v & ~EFER_AMD_VALID)
			return (EINVAL);
		if ((v & EFER_SVME) && cpu->svm != NULL &&
		    (cpu->svm->vm_cr & VM_CR_SVMDIS))
			return (EINVAL);
		return (-1);
	case MSR_VM_CR:
		if ((s = svm_state(cpu)) == NULL)
			return (ENOMEM);
		if ((v & ~(VM_CR_DPD | VM_CR_R_INIT | VM_CR_DIS_A20M |
		    VM_CR_LOCK | VM_CR_SVMDIS)) != 0 || (s->vm_cr & VM_CR_LOCK))
			return (EINVAL);
		if ((v & VM_CR_SVMDIS) && (cpu->msr.efer & EFER_SVME))
			return (EINVAL);
		s->vm_cr = v;
		return (0);
	case MSR_VM_HSAVE_PA:
		/* §15.30.4: page aligned, within the physical address width. */
		if ((s = svm_state(cpu)) == NULL)
			return (ENOMEM);
		if ((v & 0xFFF) != 0 || !PA_OK(v))
			return (EINVAL);
		s->hsave_pa = v;
		return (0);
	default:
		return (-1);
	}
}

/* #UD unless SVM is on: an AMD CPU with EFER.SVME, in protected mode. */
static bool
svm_ud(struct emu_cpu *cpu)
{
	return (cpu->host->vendor != EMU_VENDOR_AMD ||
	    !(cpu->msr.efer & EFER_SVME) || !(cpu->cr0 & CR0_PE));
}

/*
 * The IOPM (APM §15.10.1): one bit per port, 12 KiB so that an access
 * reaching past port FFFF reads bits of the third page.
 */
bool
svm_io_intercepted(struct emu_cpu *cpu, unsigned port, unsigned size)
{
	struct svm_cpu *s = cpu->svm;
	const uint8_t *p;
	unsigned i, q;

	if (!(s->imisc1 & SVM_INTERCEPT_IOIO_PROT))
		return (false);
	for (i = 0; i < size; i++) {
		q = port + i;
		p = hostmem_ptr(cpu->host->mem, s->iopm + q / 8, 1);
		if (p == NULL || ((*p >> (q % 8)) & 1))
			return (true);
	}
	return (false);
}

/*
 * The MSRPM (APM §15.11): two bits per MSR, read then write, for
 * 0-1FFF at byte 0, C0000000-C0001FFF at 0x800, C0010000-C0011FFF at
 * 0x1000; any other MSR is intercepted.
 */
bool
svm_msr_intercepted(struct emu_cpu *cpu, uint32_t msr, int write)
{
	struct svm_cpu *s = cpu->svm;
	const uint8_t *p;
	unsigned base, bit;

	if (!(s->imisc1 & SVM_INTERCEPT_MSR_PROT))
		return (false);
	if (msr <= 0x1FFF)
		base = 0;
	else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
		base = 0x800;
	else if (msr >= 0xC0010000 && msr <= 0xC0011FFF)
		base = 0x1000;
	else
		return (true);
	bit = (msr & 0x1FFF) * 2 + (write ? 1 : 0);
	p = hostmem_ptr(cpu->host->mem, s->msrpm + base + bit / 8, 1);
	return (p == NULL || ((*p >> (bit % 8)) & 1) != 0);
}

static uint32_t
attrib_to_ar(uint16_t attrib)
{
	uint32_t ar = (attrib & 0xFFU) | ((attrib & 0xF00U) << 4);

	if (!(attrib & VMCB_ATTR_P))
		ar |= AR_UNUSABLE;
	return (ar);
}

static uint16_t
ar_to_attrib(uint32_t ar)
{
	if (ar & AR_UNUSABLE)
		return ((uint16_t)(ar & 0x7F));	/* not present */
	return ((uint16_t)((ar & 0xFF) | ((ar >> 4) & 0xF00)));
}

/*
 * The VMCB VMRUN uses: memory, but for each clean bit set (and the same
 * VMCB as the last VMRUN on this CPU) the values the CPU kept from the
 * last #VMEXIT, as hardware may.
 */
static void
effective_vmcb(struct svm_cpu *s, const uint8_t *vmcb, uint64_t pa)
{
	uint32_t clean;
	size_t i;

	memcpy(s->eff, vmcb, VMCB_USED);
	if (!s->cache_valid || s->cache_pa != pa)
		return;
	clean = (uint32_t)vmcb_read(vmcb, VMCB_CLEAN_BITS, 4);
	for (i = 0; i < sizeof(clean_ranges) / sizeof(clean_ranges[0]); i++)
		if (clean & (1U << clean_ranges[i].bit))
			memcpy(s->eff + clean_ranges[i].off,
			    s->cache + clean_ranges[i].off, clean_ranges[i].len);
}

/* The shadow page (VMCS format) and the MSR list page after it. */
static int
ensure_shadow(struct emu_cpu *cpu, struct svm_cpu *s)
{
	if (s->shadow_pa == 0 &&
	    (s->shadow_pa = hostmem_alloc(cpu->host->mem, 2)) == 0)
		return (ENOMEM);
	return (0);
}

static void
sh(struct emu_cpu *cpu, uint32_t enc, uint64_t v)
{
	vmcs_set(cpu, enc, v);
}

/* Is the virtual interrupt (V_IRQ) deliverable by priority (§15.21.4)? */
static bool
virq_pending(const uint8_t *eff)
{
	uint64_t v = vmcb_get64(eff, VMCB_VINTR);
	unsigned prio = (unsigned)((v & VMCB_V_INTR_PRIO_MASK) >>
	    VMCB_V_INTR_PRIO_SHIFT);

	if (!(v & VMCB_V_IRQ))
		return (false);
	return ((v & VMCB_V_IGN_TPR) || prio > (unsigned)(v & 0xF));
}

/*
 * What shadow_controls() reads: the control area, the guest's EFER and
 * CR0 (long mode), and the host state the exit restores.
 */
struct svm_ctl_key {
	uint8_t		 ctl[VMCB_INSN_LEN];
	uint64_t	 efer, cr0;
	uint64_t	 host[10];
	uint64_t	 shadow_pa;
};

static bool
controls_current(struct emu_cpu *cpu, struct svm_cpu *s)
{
	struct svm_ctl_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.ctl, s->eff, sizeof(k.ctl));
	k.efer = vmcb_get64(s->eff, VMCB_EFER);
	k.cr0 = vmcb_get64(s->eff, VMCB_CR0);
	k.host[0] = cpu->cr0;
	k.host[1] = cpu->cr3;
	k.host[2] = cpu->cr4;
	k.host[3] = cpu->msr.efer;
	k.host[4] = cpu->msr.pat;
	k.host[5] = cpu->msr.sysenter_cs;
	k.host[6] = cpu->msr.sysenter_esp;
	k.host[7] = cpu->msr.sysenter_eip;
	k.host[8] = cpu->msr.fsbase;
	k.host[9] = cpu->msr.gsbase;
	k.shadow_pa = s->shadow_pa;
	if (s->ctl_key_valid && memcmp(&k, s->ctl_key, sizeof(k)) == 0)
		return (true);
	_Static_assert(sizeof(k) <= sizeof(s->ctl_key), "ctl_key size");
	memcpy(s->ctl_key, &k, sizeof(k));
	s->ctl_key_valid = true;
	return (false);
}

/* The VMX controls that make the engine stop where SVM intercepts. */
static void
shadow_controls(struct emu_cpu *cpu, struct svm_cpu *s)
{
	const uint8_t *e = s->eff;
	uint32_t pin = 0, proc, proc2;
	uint64_t efer = vmcb_get64(e, VMCB_EFER);
	bool lma = (efer & EFER_LME) && (vmcb_get64(e, VMCB_CR0) & CR0_PG);

	s->icr = (uint32_t)vmcb_read(e, VMCB_CR_INTERCEPTS, 4);
	s->idr = (uint32_t)vmcb_read(e, VMCB_DR_INTERCEPTS, 4);
	s->iexc = (uint32_t)vmcb_read(e, VMCB_EXC_INTERCEPTS, 4);
	s->imisc1 = (uint32_t)vmcb_read(e, VMCB_INTERCEPT_MISC1, 4);
	s->imisc2 = (uint32_t)vmcb_read(e, VMCB_INTERCEPT_MISC2, 4);
	s->iopm = vmcb_get64(e, VMCB_IOPM_BASE_PA) & ~0xFFFULL;
	s->msrpm = vmcb_get64(e, VMCB_MSRPM_BASE_PA) & ~0xFFFULL;
	s->np = (vmcb_get64(e, VMCB_NP_CONTROL) & VMCB_NP_ENABLE) != 0;
	s->ncr3 = vmcb_get64(e, VMCB_N_CR3);

	if (s->imisc1 & SVM_INTERCEPT_INTR)
		pin |= IA32_VMX_EXTERNAL_INT_EXITING;
	if (s->imisc1 & SVM_INTERCEPT_NMI)
		pin |= IA32_VMX_NMI_EXITING;
	proc = IA32_VMX_ACTIVATE_SECONDARY_CONTROLS |
	    IA32_VMX_USE_TSC_OFFSETTING | IA32_VMX_USE_MSR_BITMAPS;
	if (s->imisc1 & SVM_INTERCEPT_HLT)
		proc |= IA32_VMX_HLT_EXITING;
	if (s->imisc1 & SVM_INTERCEPT_IOIO_PROT)
		proc |= IA32_VMX_USE_IO_BITMAPS;
	if (s->imisc1 & SVM_INTERCEPT_RDTSC)
		proc |= IA32_VMX_RDTSC_EXITING;
	if (s->imisc1 & SVM_INTERCEPT_INVLPG)
		proc |= IA32_VMX_INVLPG_EXITING;
	if (s->imisc1 & SVM_INTERCEPT_PAUSE)
		proc |= IA32_VMX_PAUSE_EXITING;
	if (s->imisc1 & SVM_INTERCEPT_RDPMC)
		proc |= IA32_VMX_RDPMC_EXITING;
	if (s->imisc2 & (SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_MWAIT_ARMED))
		proc |= IA32_VMX_MWAIT_EXITING;
	if (s->imisc2 & SVM_INTERCEPT2_MONITOR)
		proc |= IA32_VMX_MONITOR_EXITING;
	/* A pending V_IRQ: stop where the guest could take it. */
	if (virq_pending(e))
		proc |= IA32_VMX_INTERRUPT_WINDOW_EXITING;
	proc2 = IA32_VMX_ENABLE_RDTSCP | IA32_VMX_ENABLE_VPID;
	if (s->np)
		proc2 |= IA32_VMX_ENABLE_EPT;
	if (s->imisc2 & SVM_INTERCEPT2_WBINVD)
		proc2 |= IA32_VMX_WBINVD_EXITING;

	sh(cpu, VMCS_PINBASED_CTLS, pin);
	sh(cpu, VMCS_PROCBASED_CTLS, proc);
	sh(cpu, VMCS_PROCBASED2_CTLS, proc2);
	/* VMRUN loads DR7 and #VMEXIT saves it (§15.5.1, §15.6). */
	sh(cpu, VMCS_EXIT_CTLS, IA32_VMX_HOST_SPACE_ADDRESS_SIZE |
	    IA32_VMX_SAVE_IA32_EFER_ON_EXIT | IA32_VMX_LOAD_IA32_EFER_ON_EXIT |
	    IA32_VMX_SAVE_DEBUG_CONTROLS);
	sh(cpu, VMCS_ENTRY_CTLS, IA32_VMX_LOAD_IA32_EFER_ON_ENTRY |
	    IA32_VMX_LOAD_DEBUG_CONTROLS | (lma ? IA32_VMX_IA32E_MODE_GUEST : 0));
	sh(cpu, VMCS_IO_BITMAP_A, s->iopm);
	sh(cpu, VMCS_IO_BITMAP_B, s->iopm + 0x1000);
	sh(cpu, VMCS_EXCEPTION_BITMAP, s->iexc);
	sh(cpu, VMCS_PF_ERROR_CODE_MASK, 0);
	sh(cpu, VMCS_PF_ERROR_CODE_MATCH, 0);
	sh(cpu, VMCS_GUEST_VPID, (uint16_t)vmcb_read(e, VMCB_GUEST_ASID, 4));
	sh(cpu, VMCS_GUEST_IA32_EPTP, s->ncr3);
	sh(cpu, VMCS_TSC_OFFSET, vmcb_get64(e, VMCB_TSC_OFFSET));
	sh(cpu, VMCS_CR0_MASK, 0);
	sh(cpu, VMCS_CR4_MASK, 0);
	sh(cpu, VMCS_CR3_TARGET_COUNT, 0);

	/* Host state comes back as it is now. */
	sh(cpu, VMCS_HOST_IA32_CR0, cpu->cr0);
	sh(cpu, VMCS_HOST_IA32_CR3, cpu->cr3);
	sh(cpu, VMCS_HOST_IA32_CR4, cpu->cr4);
	sh(cpu, VMCS_HOST_IA32_EFER, cpu->msr.efer);
	sh(cpu, VMCS_HOST_IA32_PAT, cpu->msr.pat);
	sh(cpu, VMCS_HOST_IA32_SYSENTER_CS, cpu->msr.sysenter_cs);
	sh(cpu, VMCS_HOST_IA32_SYSENTER_ESP, cpu->msr.sysenter_esp);
	sh(cpu, VMCS_HOST_IA32_SYSENTER_EIP, cpu->msr.sysenter_eip);
	sh(cpu, VMCS_HOST_IA32_FS_BASE, cpu->msr.fsbase);
	sh(cpu, VMCS_HOST_IA32_GS_BASE, cpu->msr.gsbase);

	/* The VMLOAD MSRs go in and out through MSR lists. */
	sh(cpu, VMCS_ENTRY_MSR_LOAD_COUNT, NLOADED_MSRS);
	sh(cpu, VMCS_ENTRY_LOAD_MSR_ADDRESS, s->shadow_pa + 4096);
	sh(cpu, VMCS_EXIT_MSR_STORE_COUNT, NLOADED_MSRS);
	sh(cpu, VMCS_EXIT_STORE_MSR_ADDRESS, s->shadow_pa + 4096);
	sh(cpu, VMCS_EXIT_MSR_LOAD_COUNT, 0);
	cpu->ctl_cache_valid = false;
}

/* The guest state VMRUN loads (APM §15.5.1), into the shadow. */
static void
shadow_guest_state(struct emu_cpu *cpu, struct svm_cpu *s)
{
	const uint8_t *e = s->eff;
	struct hostmem *hm = cpu->host->mem;
	struct vmcb_seg seg;
	uint64_t cr0 = vmcb_get64(e, VMCB_CR0), efer = vmcb_get64(e, VMCB_EFER);
	uint64_t rfl = vmcb_get64(e, VMCB_RFLAGS);
	uint32_t ar;
	unsigned cpl = (unsigned)vmcb_read(e, VMCB_CPL, 1) & 3;
	size_t i;

	for (i = 0; i < SEG_NUM; i++) {
		/* FS, GS, LDTR and TR are what VMLOAD put in the CPU. */
		vmcb_get_seg(i == SEG_FS || i == SEG_GS || i == SEG_LDTR ||
		    i == SEG_TR ? s->loaded : e, seg_off[i], &seg);
		ar = attrib_to_ar(seg.attrib);
		/* CPL is the VMCB's; the engine keeps it in SS.DPL. */
		if (i == SEG_SS && (cr0 & CR0_PE))
			ar = (ar & ~0x60U) | ((rfl & PSL_VM) ? 0x60U : cpl << 5);
		if (i == SEG_SS) {
			s->ss_attrib = seg.attrib;
			s->ss_sel = seg.sel;
			s->ss_ar = ar;
		}
		sh(cpu, VMCS_GUEST_IA32_ES_SEL + 2 * (uint32_t)i, seg.sel);
		sh(cpu, VMCS_GUEST_IA32_ES_BASE + 2 * (uint32_t)i, seg.base);
		sh(cpu, VMCS_GUEST_IA32_ES_LIMIT + 2 * (uint32_t)i, seg.limit);
		sh(cpu, VMCS_GUEST_IA32_ES_AR + 2 * (uint32_t)i, ar);
	}
	vmcb_get_seg(e, VMCB_GDTR, &seg);
	sh(cpu, VMCS_GUEST_IA32_GDTR_BASE, seg.base);
	sh(cpu, VMCS_GUEST_IA32_GDTR_LIMIT, seg.limit);
	vmcb_get_seg(e, VMCB_IDTR, &seg);
	sh(cpu, VMCS_GUEST_IA32_IDTR_BASE, seg.base);
	sh(cpu, VMCS_GUEST_IA32_IDTR_LIMIT, seg.limit);
	sh(cpu, VMCS_GUEST_IA32_CR0, cr0);
	sh(cpu, VMCS_GUEST_IA32_CR3, vmcb_get64(e, VMCB_CR3));
	sh(cpu, VMCS_GUEST_IA32_CR4, vmcb_get64(e, VMCB_CR4));
	/*
	 * LMA follows LME and PG.  SVME stays out of the engine, whose own
	 * SVM (QEMU's) must never run a guest's VMRUN.
	 */
	efer &= ~(EFER_SVME | EFER_LMA);
	if ((efer & EFER_LME) && (cr0 & CR0_PG))
		efer |= EFER_LMA;
	sh(cpu, VMCS_GUEST_IA32_EFER, efer);
	sh(cpu, VMCS_GUEST_IA32_PAT, s->np ? vmcb_get64(e, VMCB_G_PAT) :
	    cpu->msr.pat);
	for (i = 0; i < NLOADED_MSRS; i++) {
		hostmem_write(hm, s->shadow_pa + 4096 + 16 * i,
		    &loaded_msrs[i].msr, 4);
		hostmem_write64(hm, s->shadow_pa + 4096 + 16 * i + 8,
		    vmcb_get64(s->loaded, loaded_msrs[i].off));
	}
}

/* TLB_CONTROL (APM §15.16.1): what this VMRUN flushes first. */
static void
tlb_control(struct emu_cpu *cpu, struct svm_cpu *s)
{
	uint16_t asid = (uint16_t)vmcb_read(s->eff, VMCB_GUEST_ASID, 4);

	switch (vmcb_read(s->eff, VMCB_TLB_CONTROL, 1)) {
	case VMCB_TLB_FLUSH_ALL:
		tlb_flush_all(cpu->tlb);
		break;
	case VMCB_TLB_FLUSH_ASID:
		tlb_flush_vpid(cpu->tlb, asid, false);
		break;
	case VMCB_TLB_FLUSH_ASID_NONGLOBAL:
		tlb_flush_vpid(cpu->tlb, asid, true);
		break;
	default:
		return;
	}
	cpu->tlb_ctx_valid = false;	/* the engine's TLB goes too */
}

/* Decode assists (APM §15.33): up to 15 instruction bytes at RIP. */
static void
fetch_insn_bytes(struct emu_cpu *cpu, uint8_t *vmcb, uint64_t rip)
{
	uint64_t lin = rip + emu_engine_cs_base(cpu);
	uint8_t buf[15];
	unsigned n;

	for (n = 0; n < sizeof(buf); n++)
		if (emu_read_guest_linear(cpu, lin + n, &buf[n], 1) != 0)
			break;
	vmcb_write(vmcb, VMCB_INSN_LEN, 1, n);
	memset(vmcb + VMCB_INSN_BYTES, 0, 15);
	memcpy(vmcb + VMCB_INSN_BYTES, buf, n);
}

/*
 * The exit the engine recorded, in SVM terms (APM Appendix C and §15.10,
 * §15.11, §15.12, §15.25.6).  *insn is set for instruction intercepts
 * (nRIP is then meaningful).
 */
static void
exit_code(struct emu_cpu *cpu, uint64_t rip, uint64_t *code, uint64_t *i1,
    uint64_t *i2, bool *insn)
{
	const struct emu_exit *x = &cpu->exit;
	uint64_t q = x->qual;
	unsigned size, asz, mode;

	*i1 = *i2 = 0;
	*insn = false;
	if (x->svm_direct) {
		*code = x->svm_code;
		*i1 = x->svm_info1;
		*insn = true;
		return;
	}
	if (x->reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
		*code = VMEXIT_INVALID;
		return;
	}
	*insn = x->insn_len != 0;
	switch (x->reason) {
	case VMX_EXIT_NMI:
		if (((x->intr_info >> 8) & 7) == 2) {	/* a host NMI */
			*code = VMEXIT_NMI;
			break;
		}
		*code = VMEXIT_EXCP0 + (x->intr_info & 0xFF);
		if (x->intr_info & (1U << 11))
			*i1 = x->intr_err;
		if ((x->intr_info & 0xFF) == 14)
			*i2 = q;		/* the faulting address */
		*insn = false;
		break;
	case VMX_EXIT_EXTINT:
		*code = VMEXIT_INTR;
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		*code = VMEXIT_SHUTDOWN;
		break;
	case VMX_EXIT_INT_WINDOW:
		*code = VMEXIT_VINTR;
		break;
	case VMX_EXIT_CPUID:
		*code = VMEXIT_CPUID;
		break;
	case VMX_EXIT_HLT:
		*code = VMEXIT_HLT;
		break;
	case VMX_EXIT_INVD:
		*code = VMEXIT_INVD;
		break;
	case VMX_EXIT_INVLPG:
		*code = VMEXIT_INVLPG;
		*i1 = q;			/* decode assist: the address */
		break;
	case VMX_EXIT_RDPMC:
		*code = VMEXIT_RDPMC;
		break;
	case VMX_EXIT_RDTSC:
		*code = VMEXIT_RDTSC;
		break;
	case VMX_EXIT_RDTSCP:
		*code = VMEXIT_RDTSCP;
		break;
	case VMX_EXIT_IO:
		/* §15.10.2: EXITINFO1 as below, EXITINFO2 the next RIP. */
		*code = VMEXIT_IOIO;
		size = (unsigned)(q & 7) + 1;
		*i1 = ((q >> 16) & 0xFFFF) << SVM_IOIO_PORT_SHIFT;
		if (q & (1ULL << 3))
			*i1 |= SVM_IOIO_TYPE_IN;
		if (q & (1ULL << 4))
			*i1 |= SVM_IOIO_STR;
		if (q & (1ULL << 5))
			*i1 |= SVM_IOIO_REP;
		*i1 |= size == 1 ? SVM_IOIO_SZ8 : size == 2 ? SVM_IOIO_SZ16 :
		    SVM_IOIO_SZ32;
		if (q & (1ULL << 4)) {
			asz = (x->insn_info >> 7) & 7;
			*i1 |= (uint64_t)((x->insn_info >> 15) & 7) <<
			    SVM_IOIO_SEG_SHIFT;
		} else {
			mode = (unsigned)emu_code_size(cpu);
			asz = mode == 64 ? 2 : mode == 32 ? 1 : 0;
		}
		*i1 |= asz == 0 ? SVM_IOIO_A16 : asz == 1 ? SVM_IOIO_A32 :
		    SVM_IOIO_A64;
		*i2 = rip + x->insn_len;
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		*code = VMEXIT_MSR;
		*i1 = x->reason == VMX_EXIT_WRMSR;
		break;
	case VMX_EXIT_MWAIT:
		*code = VMEXIT_MWAIT;
		break;
	case VMX_EXIT_MONITOR:
		*code = VMEXIT_MONITOR;
		break;
	case VMX_EXIT_PAUSE:
		*code = VMEXIT_PAUSE;
		break;
	case VMX_EXIT_WBINVD:
		*code = VMEXIT_WBINVD;
		break;
	case VMX_EXIT_XSETBV:
		*code = VMEXIT_XSETBV;
		break;
	case VMX_EXIT_EPT_VIOLATION:
		*code = VMEXIT_NPF;
		*i1 = q;
		*i2 = x->gpa;
		*insn = false;
		break;
	case VMX_EXIT_EPT_MISCONFIGURATION:
		/* The nested tables map the page to no memory at all. */
		*code = VMEXIT_NPF;
		*i1 = SVM_NPF_P | SVM_NPF_US | SVM_NPF_GUEST_FINAL;
		*i2 = x->gpa;
		*insn = false;
		break;
	default:
		*code = VMEXIT_INVALID;
		*insn = false;
		break;
	}
}

/* Host state into the host save area (its layout is the CPU's own). */
static void
save_host(struct emu_cpu *cpu, struct svm_cpu *s)
{
	uint8_t *h = hostmem_ptr(cpu->host->mem, s->hsave_pa, VMCB_SIZE);

	if (s->hsave_pa == 0 || h == NULL)
		return;
	vmcb_set64(h, VMCB_CR0, cpu->cr0);
	vmcb_set64(h, VMCB_CR3, cpu->cr3);
	vmcb_set64(h, VMCB_CR4, cpu->cr4);
	vmcb_set64(h, VMCB_EFER, cpu->msr.efer);
	vmcb_set64(h, VMCB_G_PAT, cpu->msr.pat);
}

/* The guest state #VMEXIT saves (APM §15.6), from the shadow. */
static void
write_back(struct emu_cpu *cpu, struct svm_cpu *s, uint8_t *vmcb,
    const struct emu_gprs *regs)
{
	struct hostmem *hm = cpu->host->mem;
	struct vmcb_seg seg;
	uint64_t cr0 = vmcs_get(cpu, VMCS_GUEST_IA32_CR0), v;
	uint64_t rfl = vmcs_get(cpu, VMCS_GUEST_IA32_RFLAGS);
	const uint8_t *ml;
	uint32_t ar;
	size_t i;

	for (i = 0; i < SEG_NUM; i++) {
		seg.sel = (uint16_t)vmcs_get(cpu, VMCS_GUEST_IA32_ES_SEL +
		    2 * (uint32_t)i);
		seg.base = vmcs_get(cpu, VMCS_GUEST_IA32_ES_BASE +
		    2 * (uint32_t)i);
		seg.limit = (uint32_t)vmcs_get(cpu, VMCS_GUEST_IA32_ES_LIMIT +
		    2 * (uint32_t)i);
		ar = (uint32_t)vmcs_get(cpu, VMCS_GUEST_IA32_ES_AR +
		    2 * (uint32_t)i);
		seg.attrib = ar_to_attrib(ar);
		if (i == SEG_SS) {
			vmcb_write(vmcb, VMCB_CPL, 1, !(cr0 & CR0_PE) ? 0 :
			    (rfl & PSL_VM) ? 3 : (ar >> 5) & 3);
			if (seg.sel == s->ss_sel && ar == s->ss_ar)
				seg.attrib = s->ss_attrib;
		}
		vmcb_set_seg(i == SEG_FS || i == SEG_GS || i == SEG_LDTR ||
		    i == SEG_TR ? s->loaded : vmcb, seg_off[i], &seg);
	}
	vmcb_get_seg(vmcb, VMCB_GDTR, &seg);
	seg.base = vmcs_get(cpu, VMCS_GUEST_IA32_GDTR_BASE);
	seg.limit = (uint32_t)vmcs_get(cpu, VMCS_GUEST_IA32_GDTR_LIMIT);
	vmcb_set_seg(vmcb, VMCB_GDTR, &seg);
	vmcb_get_seg(vmcb, VMCB_IDTR, &seg);
	seg.base = vmcs_get(cpu, VMCS_GUEST_IA32_IDTR_BASE);
	seg.limit = (uint32_t)vmcs_get(cpu, VMCS_GUEST_IA32_IDTR_LIMIT);
	vmcb_set_seg(vmcb, VMCB_IDTR, &seg);
	vmcb_set64(vmcb, VMCB_EFER, vmcs_get(cpu, VMCS_GUEST_IA32_EFER) |
	    EFER_SVME);
	vmcb_set64(vmcb, VMCB_CR0, cr0);
	vmcb_set64(vmcb, VMCB_CR3, vmcs_get(cpu, VMCS_GUEST_IA32_CR3));
	vmcb_set64(vmcb, VMCB_CR4, vmcs_get(cpu, VMCS_GUEST_IA32_CR4));
	vmcb_set64(vmcb, VMCB_CR2, regs->cr2);
	vmcb_set64(vmcb, VMCB_DR6, regs->dr6);
	vmcb_set64(vmcb, VMCB_DR7, vmcs_get(cpu, VMCS_GUEST_IA32_DR7));
	vmcb_set64(vmcb, VMCB_RFLAGS, rfl);
	vmcb_set64(vmcb, VMCB_RIP, vmcs_get(cpu, VMCS_GUEST_IA32_RIP));
	vmcb_set64(vmcb, VMCB_RSP, vmcs_get(cpu, VMCS_GUEST_IA32_RSP));
	vmcb_set64(vmcb, VMCB_RAX, regs->r[EMU_RAX]);
	v = (vmcs_get(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST) & 3) ?
	    VMCB_INTR_SHADOW_ON : 0;
	if (rfl & PSL_I)
		v |= VMCB_GUEST_INTR_MASK;
	vmcb_set64(vmcb, VMCB_INTR_SHADOW, v);
	/* The MSR list the exit stored, at once when it is all mapped. */
	if ((ml = hostmem_ptr(hm, s->shadow_pa + 4096,
	    16 * NLOADED_MSRS)) != NULL) {
		for (i = 0; i < NLOADED_MSRS; i++) {
			memcpy(&v, ml + 16 * i + 8, 8);
			vmcb_set64(s->loaded, loaded_msrs[i].off, v);
		}
		return;
	}
	for (i = 0; i < NLOADED_MSRS; i++)
		if (hostmem_read64(hm, s->shadow_pa + 4096 + 16 * i + 8, &v) == 0)
			vmcb_set64(s->loaded, loaded_msrs[i].off, v);
}

/* Has the state VMRUN loads changed since the last #VMEXIT wrote it? */
static bool
guest_changed(struct emu_cpu *cpu, struct svm_cpu *s, uint64_t pa)
{
	size_t i;

	if (!s->held_valid || s->held_pa != pa || s->vmload_dirty ||
	    !s->cache_valid || s->cache_pa != pa ||
	    cpu->engine_vmcs != s->shadow_pa)
		return (true);
	for (i = 0; i < sizeof(vmrun_ranges) / sizeof(vmrun_ranges[0]); i++)
		if (memcmp(s->eff + vmrun_ranges[i].off,
		    s->cache + vmrun_ranges[i].off, vmrun_ranges[i].len) != 0)
			return (true);
	return (false);
}

enum svm_result
svm_vmrun(struct emu_cpu *cpu, uint64_t pa, struct emu_gprs *regs)
{
	struct svm_cpu *s;
	uint8_t *vmcb, *prev_vmcs;
	uint64_t prev_pa, code, i1, i2, ev, vintr, rip;
	size_t i;
	bool insn;

	if (svm_ud(cpu))
		return (SVM_FAULT_UD);
	/* §15.5.1: rAX must be a page-aligned, valid physical address. */
	if ((pa & 0xFFF) != 0 || !PA_OK(pa) ||
	    (vmcb = hostmem_ptr(cpu->host->mem, pa, VMCB_SIZE)) == NULL)
		return (SVM_FAULT_GP);
	if ((s = svm_state(cpu)) == NULL || ensure_shadow(cpu, s) != 0)
		return (SVM_FAULT_GP);
	save_host(cpu, s);
	effective_vmcb(s, vmcb, pa);
	s->failed = false;
	if (svm_check_vmrun(s->eff, &s->failure) != 0) {
		s->failed = true;
		vmcb_set64(vmcb, VMCB_EXITCODE, VMEXIT_INVALID);
		vmcb_set64(vmcb, VMCB_EXITINFO1, 0);
		vmcb_set64(vmcb, VMCB_EXITINFO2, 0);
		s->cache_valid = false;
		return (SVM_SUCCEED);
	}
	s->gif = true;

	prev_vmcs = cpu->vmcs;
	prev_pa = cpu->vmcs_pa;
	cpu->vmcs = hostmem_ptr(cpu->host->mem, s->shadow_pa, VMCS_REGION_SIZE);
	cpu->vmcs_pa = s->shadow_pa;
	cpu->svm_guest = true;
	/* Rewriting the shadow's controls costs more than comparing them. */
	if (!controls_current(cpu, s))
		shadow_controls(cpu, s);
	if (guest_changed(cpu, s, pa)) {
		shadow_guest_state(cpu, s);
		cpu->guest_dirty = true;
		s->vmload_dirty = false;
	}
	s->held_pa = pa;
	s->held_valid = true;
	sh(cpu, VMCS_GUEST_IA32_RIP, vmcb_get64(s->eff, VMCB_RIP));
	sh(cpu, VMCS_GUEST_IA32_RSP, vmcb_get64(s->eff, VMCB_RSP));
	sh(cpu, VMCS_GUEST_IA32_RFLAGS, vmcb_get64(s->eff, VMCB_RFLAGS));
	sh(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST,
	    (vmcb_get64(s->eff, VMCB_INTR_SHADOW) & VMCB_INTR_SHADOW_ON) ? 1 : 0);
	sh(cpu, VMCS_GUEST_ACTIVITY_STATE, 0);
	regs->r[EMU_RAX] = vmcb_get64(s->eff, VMCB_RAX);
	regs->cr2 = vmcb_get64(s->eff, VMCB_CR2);
	regs->dr6 = vmcb_get64(s->eff, VMCB_DR6);
	sh(cpu, VMCS_GUEST_IA32_DR7, vmcb_get64(s->eff, VMCB_DR7));
	tlb_control(cpu, s);

	/* EVENTINJ (§15.20): VMX's entry interruption format is the same. */
	ev = vmcb_get64(s->eff, VMCB_EVENTINJ);
	sh(cpu, VMCS_ENTRY_INTERRUPTION_INFO, (ev & SVM_EVTINJ_V) ?
	    (uint32_t)ev : 0);
	sh(cpu, VMCS_ENTRY_EXCEPTION_ERROR_CODE, ev >> SVM_EVTINJ_ERR_SHIFT);
	sh(cpu, VMCS_ENTRY_INSTRUCTION_LENGTH, 0);

	for (;;) {
		(void)emu_run_guest(cpu, regs);
		emu_sync_vmcs(cpu);
		if (cpu->exit.reason != VMX_EXIT_INT_WINDOW || cpu->exit.svm_direct ||
		    (s->imisc1 & SVM_INTERCEPT_VINTR))
			break;
		/*
		 * §15.21.4: without the VINTR intercept the guest takes the
		 * virtual interrupt itself, as an external interrupt with
		 * V_INTR_VECTOR, and V_IRQ clears.
		 */
		vintr = vmcb_get64(s->eff, VMCB_VINTR);
		vmcb_set64(s->eff, VMCB_VINTR, vintr & ~VMCB_V_IRQ);
		s->ctl_key_valid = false;
		shadow_controls(cpu, s);
		sh(cpu, VMCS_ENTRY_INTERRUPTION_INFO, (1U << 31) |
		    (uint32_t)((vintr & VMCB_V_INTR_VECTOR_MASK) >>
		    VMCB_V_INTR_VECTOR_SHIFT));
	}

	rip = vmcs_get(cpu, VMCS_GUEST_IA32_RIP);
	exit_code(cpu, rip, &code, &i1, &i2, &insn);
	write_back(cpu, s, vmcb, regs);
	vmcb_set64(vmcb, VMCB_EXITCODE, code);
	vmcb_set64(vmcb, VMCB_EXITINFO1, i1);
	vmcb_set64(vmcb, VMCB_EXITINFO2, i2);
	vmcb_set64(vmcb, VMCB_EXITINTINFO, (cpu->exit.idt_info & (1U << 31)) ?
	    (cpu->exit.idt_info | ((uint64_t)cpu->exit.idt_err << 32)) : 0);
	vmcb_set64(vmcb, VMCB_NRIP, insn ? rip + cpu->exit.insn_len : 0);
	/* The event went in (or is in EXITINTINFO): V clears. */
	vmcb_set64(vmcb, VMCB_EVENTINJ, ev & ~SVM_EVTINJ_V);
	/* V_TPR and V_IRQ come back: a taken virtual interrupt cleared V_IRQ. */
	vintr = vmcb_get64(vmcb, VMCB_VINTR) & ~VMCB_V_IRQ;
	vmcb_set64(vmcb, VMCB_VINTR, vintr |
	    (vmcb_get64(s->eff, VMCB_VINTR) & VMCB_V_IRQ));
	if (code == VMEXIT_NPF || code == VMEXIT_EXCP0 + 14)
		fetch_insn_bytes(cpu, vmcb, rip);
	/*
	 * What the CPU keeps for clean bits: the values this VMRUN used,
	 * with what the #VMEXIT wrote.
	 */
	memcpy(s->cache, s->eff, VMCB_USED);
	for (i = 0; i < sizeof(exit_ranges) / sizeof(exit_ranges[0]); i++)
		memcpy(s->cache + exit_ranges[i].off, vmcb + exit_ranges[i].off,
		    exit_ranges[i].len);
	s->cache_pa = pa;
	s->cache_valid = true;

	cpu->svm_guest = false;
	cpu->vmcs = prev_vmcs;
	cpu->vmcs_pa = prev_pa;
	s->gif = false;
	return (SVM_SUCCEED);
}

static enum svm_result
vmcb_operand(struct emu_cpu *cpu, uint64_t pa, uint8_t **vmcb)
{
	if (svm_ud(cpu))
		return (SVM_FAULT_UD);
	if ((pa & 0xFFF) != 0 || !PA_OK(pa) ||
	    (*vmcb = hostmem_ptr(cpu->host->mem, pa, VMCB_SIZE)) == NULL ||
	    svm_state(cpu) == NULL)
		return (SVM_FAULT_GP);
	return (SVM_SUCCEED);
}

/* VMLOAD (APM §15.5.2): FS, GS, TR, LDTR and their MSRs into the CPU. */
enum svm_result
svm_vmload(struct emu_cpu *cpu, uint64_t pa)
{
	enum svm_result r;
	uint8_t *vmcb;
	size_t i;

	if ((r = vmcb_operand(cpu, pa, &vmcb)) != SVM_SUCCEED)
		return (r);
	for (i = 0; i < sizeof(vmload_ranges) / sizeof(vmload_ranges[0]); i++) {
		if (memcmp(cpu->svm->loaded + vmload_ranges[i].off,
		    vmcb + vmload_ranges[i].off, vmload_ranges[i].len) == 0)
			continue;
		memcpy(cpu->svm->loaded + vmload_ranges[i].off,
		    vmcb + vmload_ranges[i].off, vmload_ranges[i].len);
		cpu->svm->vmload_dirty = true;
	}
	return (SVM_SUCCEED);
}

/* VMSAVE: the same state from the CPU into the VMCB. */
enum svm_result
svm_vmsave(struct emu_cpu *cpu, uint64_t pa)
{
	enum svm_result r;
	uint8_t *vmcb;
	size_t i;

	if ((r = vmcb_operand(cpu, pa, &vmcb)) != SVM_SUCCEED)
		return (r);
	for (i = 0; i < sizeof(vmload_ranges) / sizeof(vmload_ranges[0]); i++)
		memcpy(vmcb + vmload_ranges[i].off,
		    cpu->svm->loaded + vmload_ranges[i].off,
		    vmload_ranges[i].len);
	return (SVM_SUCCEED);
}

enum svm_result
svm_stgi(struct emu_cpu *cpu)
{
	if (svm_ud(cpu) || svm_state(cpu) == NULL)
		return (SVM_FAULT_UD);
	cpu->svm->gif = true;
	return (SVM_SUCCEED);
}

int
svm_gif(struct emu_cpu *cpu)
{
	return (cpu->svm == NULL || cpu->svm->gif);
}

enum svm_result
svm_clgi(struct emu_cpu *cpu)
{
	if (svm_ud(cpu) || svm_state(cpu) == NULL)
		return (SVM_FAULT_UD);
	cpu->svm->gif = false;
	return (SVM_SUCCEED);
}

/* INVLPGA (APM §15.16.2): one page of one ASID's translations. */
enum svm_result
svm_invlpga(struct emu_cpu *cpu, uint64_t va, uint32_t asid)
{
	if (svm_ud(cpu))
		return (SVM_FAULT_UD);
	tlb_flush_va(cpu->tlb, (uint16_t)asid, va);
	cpu->tlb_ctx_valid = false;
	return (SVM_SUCCEED);
}

void
svm_explain_vmrun_failure(struct emu_cpu *cpu, FILE *fp)
{
	const struct svm_check_failure *f;

	if (cpu->svm == NULL || !cpu->svm->failed) {
		fprintf(fp, "the last VMRUN did not fail its checks\n");
		return;
	}
	f = &cpu->svm->failure;
	fprintf(fp, "VMRUN: VMEXIT_INVALID: rule %s (APM Vol. 2 §%s): %s: %s\n",
	    f->rule->name, f->rule->apm, f->rule->what, f->detail);
}
