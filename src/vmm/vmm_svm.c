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
 * The SVM monitor: OpenBSD's vmm_machdep.c logic for AMD CPUs in RVI mode
 * (vmm-contract.md §7, §10, §11, §13, §15.2), programming the simulated
 * CPU of src/emu only through SVM instructions (VMRUN, VMLOAD, VMSAVE,
 * CLGI, STGI), its MSRs and host-physical memory, where the VMCB, the MSR
 * and I/O permission maps, the host save area and the nested page tables
 * live in the APM's formats.
 *
 * As on VMX, every vcpu runs on a simulated host CPU of its own, with a
 * host timer tick in virtual time (SVM_HOST_TICK instructions) and the
 * kicks of VMM_IOC_INTR as its external interrupts: each ends the guest
 * with an INTR intercept, after which the loop looks at vcpu_must_stop()
 * and the pending-interrupt rule.
 *
 * The quirks of the kernel are kept (vmm-contract.md §17.7): WRITEREGS
 * and RESETCPU OR EFER into the VMCB, reads show EFER.SVME, the exit's
 * cpl is always 0, and a queued exception OpenBSD cannot inject on SVM
 * (#UD, #DE, #NMI, ...) kills the vcpu.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_nested.h"
#include "vmm_npmap.h"
#include "vmm_svm.h"
#include "vmm_trace.h"
#include "vmm_vmx.h"
#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/svm_vmcb.h"
#include "emu/vmx_caps.h"

#define SVM_HOST_TICK		1000000ULL	/* instructions: 1 ms, 1 GHz */
#define SVM_MAX_ASID_CAP	0xFFF		/* the vpids[] bitmap */
#define NPT_MAX_GPA		(128ULL << 30)
#define NPT_P			0x1ULL
#define NPT_RW			0x2ULL
#define NPT_US			0x4ULL
#define NPT_ADDR		0x000FFFFFFFFFF000ULL

#define SVM_IOPM_PAGES		3
#define SVM_MSRPM_PAGES		2
#define SVM_CLEANBITS_ALL	((1U << VMCB_CLEAN_NBITS) - 1)

/* AMD MSRs the monitor knows (APM Vol. 2 appendix A, BKDG/PPR). */
#define MSR_TSC			0x010
#define MSR_BIOS_SIGN		0x08B
#define MSR_PLATFORM_ID		0x017
#define MSR_HWCR		0xC0010015
#define MSR_INT_PEN_MSG		0xC0010055
#define MSR_PSTATEDEF0		0xC0010064
#define MSR_SEV_STATUS		0xC0010131
#define MSR_DE_CFG		0xC0011029
#define DE_CFG_SERIALIZE_LFENCE	0x2ULL
#define KVM_MSR_WALL_CLOCK	0x4B564D00
#define KVM_MSR_SYSTEM_TIME	0x4B564D01

/* The guest PAT reset gives: WB, WC, UC-, UC, twice (§13). */
#define SVM_GUEST_PAT		0x0007010600070106ULL

/* The paravirtual clock (§16), as vmm_vmx.c keeps it. */

/*
 * The machine-dependent parts.  struct vmm_softc, vm and vcpu hold them
 * as opaque pointers; on an RVI softc they point at these.
 */
struct svm_softc {
	struct emu_host		*host;		/* [I] the simulated machine */
	int			 started;	/* [a] vmm_start() ran */
	uint16_t		 min_asid;	/* [I] CPUID 0x8000001F EDX */
	uint32_t		 features;	/* [I] CPUID 0x8000000A EDX */
};

struct svm_vm {
	struct npmap		 pm;		/* the nested page tables */
};

/*
 * NPT entries (AMD64 format): every entry present, writable and user
 * (nested accesses are user accesses, APM §15.25.5); no NX, so the
 * mapping is RWX, as pmap_enter() makes it for an RVI pmap.
 */
static const struct npmap_fmt npt_fmt = {
	NPT_P, NPT_P | NPT_RW | NPT_US, NPT_P | NPT_RW | NPT_US, NPT_ADDR
};

struct svm_vcpu {
	struct emu_cpu		*cpu;		/* [I] its host CPU */
	uint64_t		 vmcb;		/* [I] HPAs of its pages */
	uint64_t		 msrpm;
	uint64_t		 hsa;
	uint64_t		 iopm;
	uint8_t			*vmcb_va;	/* [I] the VMCB's bytes */
	int			 ran;		/* [l] has run on its CPU */
	struct emu_gprs		 g;		/* [l] vc_gueststate */
	uint64_t		 cr2;		/* [l] vg_cr2 (software only) */
	uint64_t		 rip;		/* [l] vg_rip */
	uint64_t		 rflags;	/* [l] vg_rflags */
	uint64_t		 exit_reason;	/* [l] vg_exit_reason */
	struct vm_exit		 exit;		/* [l] vc_exit */
	struct vcpu_inject_event event;		/* [l] vc_inject */
	uint64_t		 intinfo;	/* [l] event to deliver again */
	uint64_t		 shadow_pat;	/* [l] */
	uint64_t		 pvclock_gpa;	/* [l] */
	uint32_t		 pvclock_version; /* [l] */
};

static struct svm_softc *
svm_sc(struct vmm_softc *sc)
{
	return ((struct svm_softc *)(void *)sc->sc_md);
}

static struct svm_vm *
svm_vm(struct vm *vm)
{
	return ((struct svm_vm *)(void *)vm->vm_md);
}

static struct svm_vcpu *
svm_vcpu(struct vcpu *vcpu)
{
	return ((struct svm_vcpu *)(void *)vcpu->vc_md);
}

static struct svm_softc *
rvi_sc(void)
{
	return (svm_sc(vmm_softc_for_mode(VMM_MODE_RVI)));
}

static struct hostmem *
rvi_hm(void)
{
	return (emu_host_mem(rvi_sc()->host));
}

/* VMCB field access, in the APM's byte layout. */
static uint64_t
vmcb_rd(struct vcpu *vcpu, unsigned off, unsigned width)
{
	return (vmcb_read(svm_vcpu(vcpu)->vmcb_va, off, width));
}

static void
vmcb_wr(struct vcpu *vcpu, unsigned off, unsigned width, uint64_t v)
{
	vmcb_write(svm_vcpu(vcpu)->vmcb_va, off, width, v);
}

static uint64_t
vmcb_rd64(struct vcpu *vcpu, unsigned off)
{
	return (vmcb_rd(vcpu, off, 8));
}

static void
vmcb_wr64(struct vcpu *vcpu, unsigned off, uint64_t v)
{
	vmcb_wr(vcpu, off, 8, v);
}

/*
 * svm_set_clean / svm_set_dirty: the VMCB clean bits, used only when the
 * CPU advertises VMCB-clean support (§13).
 */
static void
svm_set_clean(struct vcpu *vcpu, uint32_t bits)
{
	if (!(rvi_sc()->features & SVM_FEAT_VMCB_CLEAN))
		return;
	vmcb_wr(vcpu, VMCB_CLEAN_BITS, 4,
	    vmcb_rd(vcpu, VMCB_CLEAN_BITS, 4) | bits);
}

static void
svm_set_dirty(struct vcpu *vcpu, uint32_t bits)
{
	if (!(rvi_sc()->features & SVM_FEAT_VMCB_CLEAN))
		return;
	vmcb_wr(vcpu, VMCB_CLEAN_BITS, 4,
	    vmcb_rd(vcpu, VMCB_CLEAN_BITS, 4) & ~bits);
}

/* --- attach, start, stop -------------------------------------------------- */

/*
 * svm_attach: the simulated AMD machine.  The ASID limit and the SVM
 * features come from the host's CPUID, as OpenBSD's identcpu reads them:
 * max_vpid is the ASID count capped at the 4096-bit bitmap (§12.2).
 */
int
svm_attach(struct vmm_softc *sc)
{
	struct svm_softc *ssc;
	uint32_t a, b, c, d;
	int error;

	if ((ssc = calloc(1, sizeof(*ssc))) == NULL)
		return (ENOMEM);
	ssc->host = emu_host_create("amd", &error);
	if (ssc->host == NULL) {
		free(ssc);
		return (error);
	}
	vmm_host_cpuid_amd(0x8000000A, 0, &a, &b, &c, &d);
	ssc->features = d;
	sc->max_vpid = b < SVM_MAX_ASID_CAP ? (uint16_t)b : SVM_MAX_ASID_CAP;
	vmm_host_cpuid_amd(0x8000001F, 0, &a, &b, &c, &d);
	ssc->min_asid = (uint16_t)d;
	/* Nested paging is what RVI mode means. */
	if (!(ssc->features & SVM_FEAT_NP) || sc->max_vpid == 0) {
		emu_host_destroy(ssc->host);
		free(ssc);
		return (ENODEV);
	}
	sc->sc_md = (struct vmm_softc_md *)(void *)ssc;
	return (0);
}

void
svm_detach(struct vmm_softc *sc)
{
	struct svm_softc *ssc = svm_sc(sc);

	if (ssc == NULL)
		return;
	emu_host_destroy(ssc->host);
	free(ssc);
	sc->sc_md = NULL;
}

/*
 * SVM is on while any VM exists; each vcpu's CPU sets EFER.SVME when it is
 * brought up (start_vmm_on_cpu) and clears it when it goes away.
 */
int
svm_start(struct vmm_softc *sc)
{
	__atomic_store_n(&svm_sc(sc)->started, 1, __ATOMIC_RELAXED);
	return (0);
}

void
svm_stop(struct vmm_softc *sc)
{
	svm_sc(sc)->started = 0;
}

/*
 * The first ASID a non-SEV-ES guest may take: the CPU's minimum non-ES
 * ASID (CPUID 0x8000001F EDX) when it has one, else 1 (§12.2).
 */
uint16_t
svm_min_asid(struct vmm_softc *sc)
{
	uint16_t m = svm_sc(sc)->min_asid;

	return (m != 0 ? m : 1);
}

int
svm_vm_init(struct vmm_softc *sc, struct vm *vm)
{
	struct svm_vm *md;

	if ((md = calloc(1, sizeof(*md))) == NULL)
		return (ENOMEM);
	vm->vm_md = (struct vm_md *)(void *)md;
	return (npmap_init(&md->pm, &npt_fmt, emu_host_mem(svm_sc(sc)->host),
	    vm));
}

void
svm_vm_deinit(struct vmm_softc *sc, struct vm *vm)
{
	struct svm_vm *md = svm_vm(vm);

	if (md == NULL)
		return;
	npmap_fini(&md->pm, emu_host_mem(svm_sc(sc)->host), vm);
	free(md);
	vm->vm_md = NULL;
}

/* Resident pages of the nested pmap (quirk 13). */
size_t
svm_vm_resident(struct vm *vm)
{
	return (svm_vm(vm) == NULL ? 0 : npmap_resident(&svm_vm(vm)->pm));
}

/* Install a 4 KiB leaf GPA -> HPA in the nested tables: 0 or ENOMEM. */
static int
npt_enter(struct vm *vm, struct hostmem *hm, uint64_t gpa, uint64_t hpa)
{
	return (npmap_enter(&svm_vm(vm)->pm, hm, gpa, hpa));
}

/* Is the GPA's page mapped in the nested tables (pmap_extract)? */
static int
npt_present(struct vm *vm, struct hostmem *hm, uint64_t gpa, uint64_t *hpa)
{
	return (npmap_extract(&svm_vm(vm)->pm, hm, gpa, hpa));
}

/* The HPA behind a GPA in a non-MMIO range, or ENOENT. */
static int
vm_gpa_to_hpa(struct vm *vm, uint64_t gpa, uint64_t *hpa)
{
	return (npmap_gpa_to_hpa(&svm_vm(vm)->pm, vm, gpa, hpa));
}

/* --- vcpu init (§13) ------------------------------------------------------ */

static void
vcpu_free_pages_svm(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct hostmem *hm = rvi_hm();
	uint64_t efer;

	if (md->cpu != NULL) {
		/* stop_vmm_on_cpu: SVM off again. */
		if (emu_rdmsr(md->cpu, MSR_EFER, &efer) == 0)
			(void)emu_wrmsr(md->cpu, MSR_EFER, efer & ~EFER_SVME);
		emu_cpu_destroy(md->cpu);
		md->cpu = NULL;
	}
	hostmem_free(hm, md->vmcb, 1);
	hostmem_free(hm, md->msrpm, SVM_MSRPM_PAGES);
	hostmem_free(hm, md->hsa, 1);
	hostmem_free(hm, md->iopm, SVM_IOPM_PAGES);
}

/*
 * vcpu_init_svm (§13): bring up the vcpu's CPU with EFER.SVME set, and
 * allocate its VMCB (1 page), MSR permission map (2, contiguous), host
 * save area (1) and I/O permission map (3, contiguous).  The ASID was
 * allocated by the caller, first.  The shadow PAT starts as the host's
 * (vcpu_init).  The 2024 vm_create_params has no vcp_poscbit or
 * vcp_asid[], so nothing is reported back.
 */
int
vcpu_init_svm(struct vmm_softc *sc, struct vcpu *vcpu)
{
	struct hostmem *hm = emu_host_mem(svm_sc(sc)->host);
	struct svm_vcpu *md;
	uint64_t efer;
	int error;

	if ((md = calloc(1, sizeof(*md))) == NULL)
		return (ENOMEM);
	vcpu->vc_md = (struct vcpu_md *)(void *)md;
	md->vmcb = hostmem_alloc(hm, 1);
	md->msrpm = hostmem_alloc(hm, SVM_MSRPM_PAGES);
	md->hsa = hostmem_alloc(hm, 1);
	md->iopm = hostmem_alloc(hm, SVM_IOPM_PAGES);
	if (!md->vmcb || !md->msrpm || !md->hsa || !md->iopm)
		return (ENOMEM);
	if ((md->vmcb_va = hostmem_ptr(hm, md->vmcb, VMCB_SIZE)) == NULL)
		return (ENOMEM);
	if ((md->cpu = emu_cpu_create(svm_sc(sc)->host, &error)) == NULL)
		return (error);
	if (emu_rdmsr(md->cpu, MSR_EFER, &efer) != 0 ||
	    emu_wrmsr(md->cpu, MSR_EFER, efer | EFER_SVME) != 0)
		return (EIO);
	if (emu_rdmsr(md->cpu, MSR_CR_PAT, &md->shadow_pat) != 0)
		md->shadow_pat = 0x0007040600070406ULL;
	emu_cpu_set_host_tick(md->cpu, SVM_HOST_TICK);
	return (0);
}

void
vcpu_deinit_svm(struct vmm_softc *sc, struct vcpu *vcpu)
{
	(void)sc;
	if (vcpu->vc_md == NULL)
		return;
	vcpu_free_pages_svm(vcpu);
	free(vcpu->vc_md);
	vcpu->vc_md = NULL;
}

/* --- registers (§7) ------------------------------------------------------- */

static const unsigned svm_seg_off[VCPU_REGS_NSREGS] = {
	VMCB_ES, VMCB_CS, VMCB_SS, VMCB_DS, VMCB_FS, VMCB_GS, VMCB_LDTR,
	VMCB_TR
};

/*
 * §7.1: the VMCB keeps 12 attribute bits; vsi_ar has the VMX layout.  The
 * low byte is common, VMCB bits 8-11 (AVL, L, D/B, G) are vsi_ar's 12-15.
 * Everything else of vsi_ar, the VMX "unusable" bit 16 included, is lost
 * on the way in.
 */
static uint32_t
svm_attrib_to_ar(uint16_t attrib)
{
	return ((attrib & 0xFFU) | (((uint32_t)attrib << 4) & 0xF000U));
}

static uint16_t
svm_ar_to_attrib(uint32_t ar)
{
	return ((uint16_t)((ar & 0xFFU) | ((ar >> 4) & 0xF00U)));
}

/*
 * vcpu_readregs_svm: RAX, RIP, RSP, RFLAGS, the segments, CR0/3/4, the
 * MSRs but MISC_ENABLE, DR6 and DR7 from the VMCB; the other GPRs, CR2,
 * XCR0 and DR0-3 from the software save area.  PDPTEs and MISC_ENABLE
 * are not filled.
 */
int
vcpu_readregs_svm(struct vcpu *vcpu, uint64_t mask, struct vcpu_reg_state *vrs)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct vmcb_seg s;
	int i;

	if (mask & VM_RWREGS_GPRS) {
		for (i = 0; i < 16; i++)
			if (i != VCPU_REGS_RSP)
				vrs->vrs_gprs[i] = md->g.r[i];
		vrs->vrs_gprs[VCPU_REGS_RAX] = vmcb_rd64(vcpu, VMCB_RAX);
		vrs->vrs_gprs[VCPU_REGS_RIP] = vmcb_rd64(vcpu, VMCB_RIP);
		vrs->vrs_gprs[VCPU_REGS_RSP] = vmcb_rd64(vcpu, VMCB_RSP);
		vrs->vrs_gprs[VCPU_REGS_RFLAGS] = vmcb_rd64(vcpu, VMCB_RFLAGS);
	}
	if (mask & VM_RWREGS_SREGS) {
		for (i = 0; i < VCPU_REGS_NSREGS; i++) {
			vmcb_get_seg(md->vmcb_va, svm_seg_off[i], &s);
			vrs->vrs_sregs[i].vsi_sel = s.sel;
			vrs->vrs_sregs[i].vsi_limit = s.limit;
			vrs->vrs_sregs[i].vsi_ar = svm_attrib_to_ar(s.attrib);
			vrs->vrs_sregs[i].vsi_base = s.base;
		}
		vmcb_get_seg(md->vmcb_va, VMCB_GDTR, &s);
		vrs->vrs_gdtr.vsi_limit = s.limit;
		vrs->vrs_gdtr.vsi_base = s.base;
		vmcb_get_seg(md->vmcb_va, VMCB_IDTR, &s);
		vrs->vrs_idtr.vsi_limit = s.limit;
		vrs->vrs_idtr.vsi_base = s.base;
	}
	if (mask & VM_RWREGS_CRS) {
		vrs->vrs_crs[VCPU_REGS_CR0] = vmcb_rd64(vcpu, VMCB_CR0);
		vrs->vrs_crs[VCPU_REGS_CR3] = vmcb_rd64(vcpu, VMCB_CR3);
		vrs->vrs_crs[VCPU_REGS_CR4] = vmcb_rd64(vcpu, VMCB_CR4);
		vrs->vrs_crs[VCPU_REGS_CR2] = md->cr2;
		vrs->vrs_crs[VCPU_REGS_XCR0] = md->g.xcr0;
	}
	if (mask & VM_RWREGS_MSRS) {
		vrs->vrs_msrs[VCPU_REGS_EFER] = vmcb_rd64(vcpu, VMCB_EFER);
		vrs->vrs_msrs[VCPU_REGS_STAR] = vmcb_rd64(vcpu, VMCB_STAR);
		vrs->vrs_msrs[VCPU_REGS_LSTAR] = vmcb_rd64(vcpu, VMCB_LSTAR);
		vrs->vrs_msrs[VCPU_REGS_CSTAR] = vmcb_rd64(vcpu, VMCB_CSTAR);
		vrs->vrs_msrs[VCPU_REGS_SFMASK] = vmcb_rd64(vcpu, VMCB_SFMASK);
		vrs->vrs_msrs[VCPU_REGS_KGSBASE] = vmcb_rd64(vcpu,
		    VMCB_KERNEL_GS_BASE);
	}
	if (mask & VM_RWREGS_DRS) {
		for (i = 0; i < 4; i++)
			vrs->vrs_drs[VCPU_REGS_DR0 + i] = md->g.dr[i];
		vrs->vrs_drs[VCPU_REGS_DR6] = vmcb_rd64(vcpu, VMCB_DR6);
		vrs->vrs_drs[VCPU_REGS_DR7] = vmcb_rd64(vcpu, VMCB_DR7);
	}
	return (0);
}

/*
 * vcpu_writeregs_svm: the groups in mask.  EFER is OR-ed into the VMCB,
 * so its bits can never be cleared this way (quirk); MISC_ENABLE and the
 * PDPTEs are ignored; CR2 goes to the software save area only.
 *
 * OpenBSD 1.64 leaves the VMCB clean bits alone here, and a CPU that
 * honours them would keep running on the state it cached (a reset
 * vcpu would go on in long mode).  Hardware evidently reloads (vmd reboots
 * AMD guests), so the new state is marked dirty, as OpenBSD does when a
 * vcpu moves to another CPU.
 */
int
vcpu_writeregs_svm(struct vcpu *vcpu, uint64_t mask,
    struct vcpu_reg_state *vrs)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct vmcb_seg s;
	int i;

	if (mask & VM_RWREGS_GPRS) {
		for (i = 0; i < 16; i++)
			if (i != VCPU_REGS_RSP)
				md->g.r[i] = vrs->vrs_gprs[i];
		md->rip = vrs->vrs_gprs[VCPU_REGS_RIP];
		vmcb_wr64(vcpu, VMCB_RAX, vrs->vrs_gprs[VCPU_REGS_RAX]);
		vmcb_wr64(vcpu, VMCB_RIP, vrs->vrs_gprs[VCPU_REGS_RIP]);
		vmcb_wr64(vcpu, VMCB_RSP, vrs->vrs_gprs[VCPU_REGS_RSP]);
		vmcb_wr64(vcpu, VMCB_RFLAGS, vrs->vrs_gprs[VCPU_REGS_RFLAGS]);
	}
	if (mask & VM_RWREGS_SREGS) {
		for (i = 0; i < VCPU_REGS_NSREGS; i++) {
			s.sel = vrs->vrs_sregs[i].vsi_sel;
			s.attrib = svm_ar_to_attrib(vrs->vrs_sregs[i].vsi_ar);
			s.limit = vrs->vrs_sregs[i].vsi_limit;
			s.base = vrs->vrs_sregs[i].vsi_base;
			vmcb_set_seg(md->vmcb_va, svm_seg_off[i], &s);
		}
		/* GDTR/IDTR: limit and base only. */
		vmcb_wr(vcpu, VMCB_GDTR + VMCB_SEG_LIMIT, 4,
		    vrs->vrs_gdtr.vsi_limit);
		vmcb_wr64(vcpu, VMCB_GDTR + VMCB_SEG_BASE,
		    vrs->vrs_gdtr.vsi_base);
		vmcb_wr(vcpu, VMCB_IDTR + VMCB_SEG_LIMIT, 4,
		    vrs->vrs_idtr.vsi_limit);
		vmcb_wr64(vcpu, VMCB_IDTR + VMCB_SEG_BASE,
		    vrs->vrs_idtr.vsi_base);
	}
	if (mask & VM_RWREGS_CRS) {
		vmcb_wr64(vcpu, VMCB_CR0, vrs->vrs_crs[VCPU_REGS_CR0]);
		vmcb_wr64(vcpu, VMCB_CR3, vrs->vrs_crs[VCPU_REGS_CR3]);
		vmcb_wr64(vcpu, VMCB_CR4, vrs->vrs_crs[VCPU_REGS_CR4]);
		md->cr2 = vrs->vrs_crs[VCPU_REGS_CR2];
		md->g.xcr0 = vrs->vrs_crs[VCPU_REGS_XCR0];
	}
	if (mask & VM_RWREGS_MSRS) {
		vmcb_wr64(vcpu, VMCB_EFER, vmcb_rd64(vcpu, VMCB_EFER) |
		    vrs->vrs_msrs[VCPU_REGS_EFER]);
		vmcb_wr64(vcpu, VMCB_STAR, vrs->vrs_msrs[VCPU_REGS_STAR]);
		vmcb_wr64(vcpu, VMCB_LSTAR, vrs->vrs_msrs[VCPU_REGS_LSTAR]);
		vmcb_wr64(vcpu, VMCB_CSTAR, vrs->vrs_msrs[VCPU_REGS_CSTAR]);
		vmcb_wr64(vcpu, VMCB_SFMASK, vrs->vrs_msrs[VCPU_REGS_SFMASK]);
		vmcb_wr64(vcpu, VMCB_KERNEL_GS_BASE,
		    vrs->vrs_msrs[VCPU_REGS_KGSBASE]);
	}
	if (mask & VM_RWREGS_DRS) {
		for (i = 0; i < 4; i++)
			md->g.dr[i] = vrs->vrs_drs[VCPU_REGS_DR0 + i];
		vmcb_wr64(vcpu, VMCB_DR6, vrs->vrs_drs[VCPU_REGS_DR6]);
		vmcb_wr64(vcpu, VMCB_DR7, vrs->vrs_drs[VCPU_REGS_DR7]);
	}
	svm_set_dirty(vcpu, SVM_CLEANBITS_ALL);
	return (0);
}

/* --- RESETCPU (§13) ------------------------------------------------------- */

/*
 * The MSR permission map (APM §15.11): two bits per MSR (read, then
 * write), MSRs 0-0x1FFF at byte 0, 0xC0000000-0xC0001FFF at 0x800,
 * 0xC0010000-0xC0011FFF at 0x1000.  A clear bit lets the access through.
 */
static void
svm_msrpm_pass(uint8_t *pm, uint32_t msr, int read, int write)
{
	unsigned base, n;

	if (msr <= 0x1FFF) {
		base = 0;
		n = msr;
	} else if (msr >= 0xC0000000 && msr <= 0xC0001FFF) {
		base = 0x800;
		n = msr - 0xC0000000;
	} else if (msr >= 0xC0010000 && msr <= 0xC0011FFF) {
		base = 0x1000;
		n = msr - 0xC0010000;
	} else
		return;
	if (read)
		pm[base + n / 4] &= (uint8_t)~(1U << (2 * (n % 4)));
	if (write)
		pm[base + n / 4] &= (uint8_t)~(1U << (2 * (n % 4) + 1));
}

/*
 * vcpu_reset_regs_svm: OpenBSD's intercepts (every port, every MSR but
 * the pass-through list, INTR, NMI, CPUID, HLT, SHUTDOWN, the SVM
 * instructions, MWAIT/MONITOR, RDTSCP, XSETBV as the host uses XSAVE; no
 * CR, DR or exception intercepts), the ASID with a full TLB flush for
 * the first entry, V_INTR_MASKING, the guest PAT, nested paging at the
 * VM's tables, EFER.SVME; then the register state (EFER OR-ed) and XCR0
 * reset to x87 only.
 *
 * Like the kernel, it leaves V_IRQ and V_INTR_VECTOR as they were: an
 * interrupt window armed when the vcpu stopped stays pending, without
 * its intercept (quirk).
 */
int
vcpu_reset_regs_svm(struct vcpu *vcpu, struct vcpu_reg_state *vrs)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct hostmem *hm = rvi_hm();
	uint8_t *pm;
	int error;

	vmcb_wr(vcpu, VMCB_INTERCEPT_MISC1, 4, SVM_INTERCEPT_INTR |
	    SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT |
	    SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
	    SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_INVLPGA);
	vmcb_wr(vcpu, VMCB_INTERCEPT_MISC2, 4, SVM_INTERCEPT2_VMRUN |
	    SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD |
	    SVM_INTERCEPT2_VMSAVE | SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
	    SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_ICEBP |
	    SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_MONITOR |
	    SVM_INTERCEPT2_MWAIT_ARMED | SVM_INTERCEPT2_RDTSCP |
	    SVM_INTERCEPT2_XSETBV);		/* the host uses XSAVE */

	/* Every port exits. */
	if ((pm = hostmem_ptr(hm, md->iopm, SVM_IOPM_PAGES * PAGE_SIZE)) ==
	    NULL)
		return (EINVAL);
	memset(pm, 0xFF, SVM_IOPM_PAGES * PAGE_SIZE);
	vmcb_wr64(vcpu, VMCB_IOPM_BASE_PA, md->iopm);

	/* Every MSR exits, but these. */
	if ((pm = hostmem_ptr(hm, md->msrpm, SVM_MSRPM_PAGES * PAGE_SIZE)) ==
	    NULL)
		return (EINVAL);
	memset(pm, 0xFF, SVM_MSRPM_PAGES * PAGE_SIZE);
	vmcb_wr64(vcpu, VMCB_MSRPM_BASE_PA, md->msrpm);
	svm_msrpm_pass(pm, MSR_IA32_FEATURE_CONTROL, 1, 1);
	svm_msrpm_pass(pm, MSR_SYSENTER_CS, 1, 1);
	svm_msrpm_pass(pm, MSR_SYSENTER_ESP, 1, 1);
	svm_msrpm_pass(pm, MSR_SYSENTER_EIP, 1, 1);
	svm_msrpm_pass(pm, MSR_STAR, 1, 1);
	svm_msrpm_pass(pm, MSR_LSTAR, 1, 1);
	svm_msrpm_pass(pm, MSR_CSTAR, 1, 1);
	svm_msrpm_pass(pm, MSR_SFMASK, 1, 1);
	svm_msrpm_pass(pm, MSR_FSBASE, 1, 1);
	svm_msrpm_pass(pm, MSR_GSBASE, 1, 1);
	svm_msrpm_pass(pm, MSR_KERNELGSBASE, 1, 1);
	svm_msrpm_pass(pm, MSR_SEV_STATUS, 1, 1);
	/*
	 * EFER is read-only, so that the guest keeps SVME; a bare-metal
	 * guest reads its own SVME (vmm_nested.c).
	 */
	svm_msrpm_pass(pm, MSR_EFER, !vcpu->vc_parent->vm_bare, 0);
	svm_msrpm_pass(pm, MSR_TSC, 1, 0);
	svm_msrpm_pass(pm, MSR_HWCR, 1, 0);
	svm_msrpm_pass(pm, MSR_PSTATEDEF0, 1, 0);

	vmcb_wr(vcpu, VMCB_GUEST_ASID, 4, vcpu->vc_vpid);
	vmcb_wr(vcpu, VMCB_TLB_CONTROL, 1, VMCB_TLB_FLUSH_ALL);
	vmcb_wr64(vcpu, VMCB_VINTR, vmcb_rd64(vcpu, VMCB_VINTR) |
	    VMCB_V_INTR_MASKING);
	vmcb_wr64(vcpu, VMCB_G_PAT, SVM_GUEST_PAT);
	vmcb_wr64(vcpu, VMCB_NP_CONTROL, VMCB_NP_ENABLE);
	vmcb_wr64(vcpu, VMCB_N_CR3, svm_vm(vcpu->vc_parent)->pm.root);
	vmcb_wr64(vcpu, VMCB_EFER, vmcb_rd64(vcpu, VMCB_EFER) | EFER_SVME);

	/* vmmsim: an event owed to the old state is not owed to the new. */
	md->intinfo = 0;
	if ((error = vcpu_writeregs_svm(vcpu, VM_RWREGS_ALL, vrs)) != 0)
		return (error);
	md->g.xcr0 = 1;				/* XFEATURE_X87 */
	md->pvclock_gpa = 0;
	md->pvclock_version = 0;
	return (0);
}

/* --- the paravirtual clock (§16) ------------------------------------------ */

/* The guest's pvclock page, from virtual time, once it is mapped. */
static void
pvclock_update(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct hostmem *hm = rvi_hm();
	uint64_t hpa, now = emu_cpu_vtime(md->cpu);
	uint8_t *p;
	uint32_t version, mul = (uint32_t)((1000000000ULL << 20) /
	    PVCLOCK_TSC_HZ);

	if (!(md->pvclock_gpa & 1) ||
	    !npt_present(vcpu->vc_parent, hm, md->pvclock_gpa & ~0xFULL,
	    &hpa) ||
	    (p = hostmem_ptr(hm, hpa, PVCLOCK_SIZE)) == NULL)
		return;
	version = (++md->pvclock_version << 1) | 1;
	memcpy(p, &version, 4);
	memcpy(p + 8, &now, 8);			/* tsc_timestamp */
	memcpy(p + 16, &now, 8);		/* system_time, ns */
	memcpy(p + 24, &mul, 4);		/* tsc_to_system_mul */
	p[28] = PVCLOCK_SHIFT;
	p[29] = PVCLOCK_TSC_STABLE;
	version &= ~1U;
	memcpy(p, &version, 4);
}

/* KVM_MSR_WALL_CLOCK: the boot time, fixed at the epoch (deterministic). */
static void
pvclock_wall(struct vcpu *vcpu, uint64_t gpa)
{
	struct hostmem *hm = rvi_hm();
	uint64_t hpa;
	uint32_t w[3] = { 1, 0, 0 };
	uint8_t *p;

	if (!npt_present(vcpu->vc_parent, hm, gpa, &hpa) &&
	    vm_gpa_to_hpa(vcpu->vc_parent, gpa, &hpa) != 0)
		return;
	if ((p = hostmem_ptr(hm, hpa, PVCLOCK_WALL_SIZE)) == NULL)
		return;
	memcpy(p, w, sizeof(w));
	w[0] = 2;
	memcpy(p, w, 4);
}

/* --- exit handlers (§10, §14, §15.2, §15.3) ------------------------------- */

static void
vcpu_queue_ex(struct vcpu *vcpu, uint8_t vector, uint32_t err)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);

	md->event.vie_type = VCPU_INJECT_EX;
	md->event.vie_vector = vector;
	md->event.vie_errorcode = err;
}

/* The guest's CPL (vmm_get_guest_cpu_cpl): 0 in real mode, else VMCB's. */
static int
svm_guest_cpl(struct vcpu *vcpu)
{
	if (!(vmcb_rd64(vcpu, VMCB_CR0) & CR0_PE))
		return (0);
	return ((int)(vmcb_rd(vcpu, VMCB_CPL, 1) & 3));
}

/* CPUID (§14): RAX from the VMCB, RIP += 2, the AMD host's answers. */
static int
svm_handle_cpuid(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint32_t a, b, c, d;

	md->rip += 2;
	vmm_guest_cpuid((uint32_t)vmcb_rd64(vcpu, VMCB_RAX),
	    (uint32_t)md->g.r[VCPU_REGS_RCX], vcpu->vc_id,
	    vmcb_rd64(vcpu, VMCB_CR4), md->g.xcr0, 0, 0, &a, &b, &c, &d);
	if (vcpu->vc_parent->vm_bare)
		vmm_nested_cpuid(vcpu, 0, (uint32_t)vmcb_rd64(vcpu, VMCB_RAX),
		    (uint32_t)md->g.r[VCPU_REGS_RCX], &a, &b, &c, &d);
	vmcb_wr64(vcpu, VMCB_RAX, a);
	md->g.r[VCPU_REGS_RAX] = a;
	md->g.r[VCPU_REGS_RBX] = b;
	md->g.r[VCPU_REGS_RCX] = c;
	md->g.r[VCPU_REGS_RDX] = d;
	return (0);
}

/*
 * The MSR intercept (§15.2): EXITINFO1 = 1 is WRMSR.  RAX is the VMCB's,
 * RCX and RDX the save area's; MSR numbers are compared in all 64 bits of
 * RCX, as the kernel does.  RIP += 2 but when #GP is queued.
 */
static int
svm_handle_msr(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint64_t rax = vmcb_rd64(vcpu, VMCB_RAX), msr = md->g.r[VCPU_REGS_RCX];
	uint64_t *rdx = &md->g.r[VCPU_REGS_RDX];
	uint64_t v = (*rdx << 32) | (rax & 0xFFFFFFFFULL);
	struct vmm_nested_svm o = { md->vmcb_va, &md->g, &md->rip,
	    md->cpu };
	int wr = vmcb_rd64(vcpu, VMCB_EXITINFO1) == 1;

	/* Bare metal: EFER.SVME, VM_CR and VM_HSAVE_PA are L1's. */
	switch (vcpu->vc_parent->vm_bare && (msr >> 32) == 0 ?
	    vmm_nested_svm_msr(vcpu, &o, (uint32_t)msr, wr, &v) : ENOENT) {
	case 0:
		if (!wr) {
			vmcb_wr64(vcpu, VMCB_RAX, v & 0xFFFFFFFFULL);
			*rdx = v >> 32;
		}
		md->rip += 2;
		return (0);
	case ENOENT:
		break;
	default:
		vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
		return (0);
	}
	if (wr) {
		switch (msr) {
		case MSR_CR_PAT:
			if (!vmm_pat_valid(v)) {
				vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
				return (0);
			}
			md->shadow_pat = v;
			break;
		case MSR_EFER:
			/* EDX is ignored; SVME stays. */
			vmcb_wr64(vcpu, VMCB_EFER, rax | EFER_SVME);
			break;
		case KVM_MSR_SYSTEM_TIME:
			if (!pvclock_gpa_valid(vcpu->vc_parent, v,
			    PVCLOCK_SIZE)) {
				vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
				return (0);
			}
			md->pvclock_gpa = v;
			pvclock_update(vcpu);
			break;
		case KVM_MSR_WALL_CLOCK:
			if (!pvclock_gpa_valid(vcpu->vc_parent, v,
			    PVCLOCK_WALL_SIZE)) {
				vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
				return (0);
			}
			pvclock_wall(vcpu, v & ~0xFULL);
			break;
		default:
			break;		/* silently discarded */
		}
	} else {
		switch (msr) {
		case MSR_BIOS_SIGN:
		case MSR_INT_PEN_MSG:
		case MSR_PLATFORM_ID:
			v = 0;
			break;
		case MSR_CR_PAT:
			v = md->shadow_pat;
			break;
		case MSR_DE_CFG:
			v = DE_CFG_SERIALIZE_LFENCE;
			break;
		default:
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			return (0);	/* RIP stays */
		}
		vmcb_wr64(vcpu, VMCB_RAX, v & 0xFFFFFFFFULL);
		*rdx = v >> 32;
	}
	md->rip += 2;
	return (0);
}

/*
 * XSETBV (§15.3): #GP at CPL > 0, for XCR != 0 or bits outside the host's
 * XCR0 (x87 | SSE); RIP += 3 even then (quirk).
 */
static int
svm_handle_xsetbv(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint64_t v = vmcb_rd64(vcpu, VMCB_RAX) + (md->g.r[VCPU_REGS_RDX] << 32);

	if (svm_guest_cpl(vcpu) != 0 || md->g.r[VCPU_REGS_RCX] != 0 ||
	    (v & ~0x3ULL) != 0)
		vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
	else
		md->g.xcr0 = v;
	md->rip += 3;
	return (0);
}

/*
 * Nested page faults (§10, §9.3's classification): the GPA is EXITINFO2.
 * RAM and RESERVED ranges get a RWX mapping of the page (no protection
 * classification on SVM); MMIO goes to userland with the instruction
 * bytes the decode assists fetched; a GPA in no range kills the guest.
 */
static int
svm_handle_np_fault(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vc_parent;
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct vm_exit_eptviolation *vee = &md->exit.vee;
	uint64_t gpa = vmcb_rd64(vcpu, VMCB_EXITINFO2), hpa;
	const struct vm_mem_range *r = NULL;
	size_t i;

	memset(vee, 0, sizeof(*vee));
	for (i = 0; i < vm->vm_nmemranges; i++) {
		const struct vm_mem_range *ri = &vm->vm_memranges[i];

		if (gpa < ri->vmr_gpa)
			break;			/* ascending: none further */
		if (gpa - ri->vmr_gpa < ri->vmr_size) {
			r = ri;
			break;
		}
	}
	if (r == NULL) {
		vmm_printf("svm_handle_np_fault: unknown memory type for GPA "
		    "%#llx\n", (unsigned long long)gpa);
		return (EINVAL);
	}
	if (r->vmr_type == VM_MEM_MMIO) {
		vee->vee_fault_type = VEE_FAULT_MMIO_ASSIST;
		if (rvi_sc()->features & SVM_FEAT_DECODE_ASSISTS) {
			vee->vee_insn_len = (uint8_t)vmcb_rd(vcpu,
			    VMCB_INSN_LEN, 1);
			memcpy(vee->vee_insn_bytes, md->vmcb_va +
			    VMCB_INSN_BYTES, sizeof(vee->vee_insn_bytes));
			vee->vee_insn_info |= VEE_BYTES_VALID;
		}
		return (EAGAIN);
	}
	vee->vee_fault_type = VEE_FAULT_HANDLED;
	if (gpa >= NPT_MAX_GPA || vm_gpa_to_hpa(vm, gpa, &hpa) != 0)
		return (ENOMEM);
	return (npt_enter(vm, rvi_hm(), gpa & ~0xFFFULL, hpa));
}

/*
 * IOIO (§10): the direction, string, REP and size bits of EXITINFO1, the
 * port, RAX's low 32 bits, and the length from nRIP (EXITINFO2) - RIP.
 * There is no operand-encoding bit on SVM: vei_encoding stays 0.
 */
static int
svm_handle_inout(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint64_t q = vmcb_rd64(vcpu, VMCB_EXITINFO1);
	struct vm_exit_inout *vei = &md->exit.vei;

	vei->vei_dir = (q & SVM_IOIO_TYPE_IN) ? VEI_DIR_IN : VEI_DIR_OUT;
	vei->vei_string = (q & SVM_IOIO_STR) ? 1 : 0;
	vei->vei_rep = (q & SVM_IOIO_REP) ? 1 : 0;
	if (q & SVM_IOIO_SZ8)
		vei->vei_size = 1;
	else if (q & SVM_IOIO_SZ16)
		vei->vei_size = 2;
	else if (q & SVM_IOIO_SZ32)
		vei->vei_size = 4;
	vei->vei_port = (uint16_t)(q >> SVM_IOIO_PORT_SHIFT);
	vei->vei_data = (uint32_t)vmcb_rd64(vcpu, VMCB_RAX);
	vei->vei_insn_len = (uint8_t)(vmcb_rd64(vcpu, VMCB_EXITINFO2) -
	    vmcb_rd64(vcpu, VMCB_RIP));
	return (0);
}

/*
 * svm_handle_exit (§10): 0 to go on, EAGAIN to userland, else fatal.
 * RIP moves in the save area (vg_rip) and, for the handlers that move
 * it, into the VMCB at the end, with #DB queued under RFLAGS.TF.
 */
static int
svm_handle_exit(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint64_t rflags = md->rflags, vintr;
	int update_rip = 0, ret = 0;

	switch (md->exit_reason) {
	case VMEXIT_VINTR:
		if (!(rflags & PSL_I)) {
			ret = EINVAL;
			break;
		}
		/* The guest can take interrupts: disarm the window. */
		vintr = vmcb_rd64(vcpu, VMCB_VINTR) & ~(VMCB_V_IRQ |
		    VMCB_V_INTR_VECTOR_MASK);
		vmcb_wr64(vcpu, VMCB_VINTR, vintr);
		vmcb_wr(vcpu, VMCB_INTERCEPT_MISC1, 4,
		    vmcb_rd(vcpu, VMCB_INTERCEPT_MISC1, 4) &
		    ~SVM_INTERCEPT_VINTR);
		svm_set_dirty(vcpu, VMCB_CLEAN_TPR | VMCB_CLEAN_I);
		break;
	case VMEXIT_INTR:
		break;		/* the host's interrupt, taken at STGI */
	case VMEXIT_SHUTDOWN:
		ret = EAGAIN;
		break;
	case VMEXIT_NPF:
		ret = svm_handle_np_fault(vcpu);
		break;
	case VMEXIT_CPUID:
		ret = svm_handle_cpuid(vcpu);
		update_rip = 1;
		break;
	case VMEXIT_MSR:
		ret = svm_handle_msr(vcpu);
		update_rip = 1;
		break;
	case VMEXIT_XSETBV:
		ret = svm_handle_xsetbv(vcpu);
		update_rip = 1;
		break;
	case VMEXIT_IOIO:
		if (svm_handle_inout(vcpu) == 0)
			ret = EAGAIN;
		break;
	case VMEXIT_HLT:
		/* All HLTs are one byte; RIP moves even when the vcpu dies. */
		md->rip += 1;
		ret = (rflags & PSL_I) ? EAGAIN : EIO;
		update_rip = 1;
		break;
	case VMEXIT_MWAIT: case VMEXIT_MWAIT_CONDITIONAL: case VMEXIT_MONITOR:
	case VMEXIT_VMRUN: case VMEXIT_VMMCALL: case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE: case VMEXIT_STGI: case VMEXIT_CLGI:
	case VMEXIT_SKINIT: case VMEXIT_RDTSCP: case VMEXIT_ICEBP:
	case VMEXIT_INVLPGA:
		if (vcpu->vc_parent->vm_bare &&
		    (md->exit_reason == VMEXIT_INVLPGA ||
		    (md->exit_reason >= VMEXIT_VMRUN &&
		    md->exit_reason <= VMEXIT_SKINIT))) {
			struct vmm_nested_svm o = { md->vmcb_va, &md->g,
			    &md->rip, md->cpu };

			ret = vmm_nested_svm_exit(vcpu, &o, md->exit_reason);
			break;
		}
		/* #UD, which the SVM loop then cannot inject (quirk). */
		vcpu_queue_ex(vcpu, VMM_EX_UD, 0);
		break;
	default:
		vmm_printf("svm_handle_exit: unhandled exit %#llx (%s)\n",
		    (unsigned long long)md->exit_reason,
		    svm_exit_code_name(md->exit_reason));
		return (EINVAL);
	}
	if (update_rip) {
		vmcb_wr64(vcpu, VMCB_RIP, md->rip);
		if (rflags & PSL_T)
			vcpu_queue_ex(vcpu, VMM_EX_DB, 0);
	}
	vmcb_wr64(vcpu, VMCB_EFER, vmcb_rd64(vcpu, VMCB_EFER) | EFER_SVME);
	svm_set_dirty(vcpu, VMCB_CLEAN_CRX);
	return (ret);
}

/* --- the run loop (§8, §10, §11) ------------------------------------------ */

/*
 * The queued exception into EVENTINJ (§10 step 4): #BP, #OF and #DB as
 * software exceptions; #AC (error code 0), #DF, #TS, #NP, #SS, #GP, #PF as
 * hardware exceptions with their error code when CR0.PE; any other
 * vector is refused with EINVAL, which kills the vcpu (quirk).
 */
static int
svm_inject_ex(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	uint64_t ev = md->event.vie_vector;

	switch (md->event.vie_vector) {
	case VMM_EX_BP:
	case VMM_EX_OF:
	case VMM_EX_DB:
		ev |= (uint64_t)SVM_EVTINJ_TYPE_SOFT << SVM_EVTINJ_TYPE_SHIFT;
		break;
	case VMM_EX_AC:
		md->event.vie_errorcode = 0;
		/* FALLTHROUGH */
	case VMM_EX_DF: case VMM_EX_TS: case VMM_EX_NP: case VMM_EX_SS:
	case VMM_EX_GP: case VMM_EX_PF:
		ev |= (uint64_t)SVM_EVTINJ_TYPE_EXCEPT << SVM_EVTINJ_TYPE_SHIFT;
		if (vmcb_rd64(vcpu, VMCB_CR0) & CR0_PE)
			ev |= SVM_EVTINJ_EV | ((uint64_t)md->event.vie_errorcode
			    << SVM_EVTINJ_ERR_SHIFT);
		break;
	default:
		vmm_printf("vcpu_run_svm: unsupported exception vector %u\n",
		    md->event.vie_vector);
		return (EINVAL);
	}
	vmcb_wr64(vcpu, VMCB_EVENTINJ, ev | SVM_EVTINJ_V);
	md->event.vie_type = VCPU_INJECT_NONE;
	return (0);
}

/* A VMRUN that failed its checks explains itself on the console. */
static void
log_vmrun_failure(struct emu_cpu *cpu)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	svm_explain_vmrun_failure(cpu, fp);
	fclose(fp);
	vmm_printf("%s", buf);
	free(buf);
}

/*
 * One world switch, as svm_enter_guest does it: interrupts (GIF) off, the
 * host save area's address in VM_HSAVE_PA, VMLOAD of the guest's FS, GS,
 * TR, LDTR and syscall MSRs, VMRUN, VMSAVE of the same, GIF on (a pending
 * host interrupt is taken here).  0, or EINVAL when an SVM instruction
 * faulted.
 */
static int
svm_enter_guest(struct vcpu *vcpu)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	enum svm_result r;

	if (svm_clgi(md->cpu) != SVM_SUCCEED)
		return (EINVAL);
	emu_cpu_set_stop_at(md->cpu, __atomic_load_n(&vcpu->vc_stop_at,
	    __ATOMIC_RELAXED));
	if (emu_wrmsr(md->cpu, MSR_VM_HSAVE_PA, md->hsa) != 0 ||
	    (r = svm_vmload(md->cpu, md->vmcb)) != SVM_SUCCEED ||
	    (r = svm_vmrun(md->cpu, md->vmcb, &md->g)) != SVM_SUCCEED) {
		(void)svm_stgi(md->cpu);
		return (EINVAL);
	}
	r = svm_vmsave(md->cpu, md->vmcb);
	(void)svm_stgi(md->cpu);
	return (r == SVM_SUCCEED ? 0 : EINVAL);
}

/*
 * vcpu_run_svm: complete the previous exit with what userland passed,
 * then loop: inject, VMRUN, handle the exit, until userland must help
 * (EAGAIN), the thread must stop (0), or the guest or the monitor fails
 * (an errno).
 */
int
vcpu_run_svm(struct vcpu *vcpu, struct vm_run_params *vrp)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	struct vm_exit *ue = &md->exit;	/* holds the copied-in vm_exit */
	uint64_t vintr;
	int ret = 0, held, redeliver = vcpu->vc_parent->vm_redeliver;

	__atomic_store_n(&vcpu->vc_intr, vrp->vrp_intr_pending ? 1 : 0,
	    __ATOMIC_RELAXED);
	vmm_trace_tlb_check(vcpu, md->cpu);

	/* Complete the previous exit (§8 step 2). */
	switch (md->exit_reason) {
	case VMEXIT_IOIO:
		if (ue->vei.vei_dir == VEI_DIR_IN) {
			md->g.r[VCPU_REGS_RAX] = ue->vei.vei_data;
			vmcb_wr64(vcpu, VMCB_RAX, md->g.r[VCPU_REGS_RAX]);
		}
		md->rip = ue->vrs.vrs_gprs[VCPU_REGS_RIP];
		vmcb_wr64(vcpu, VMCB_RIP, md->rip);
		break;
	case VMEXIT_NPF:
		if (vcpu_writeregs_svm(vcpu, VM_RWREGS_GPRS, &ue->vrs) != 0)
			return (EINVAL);
		break;
	default:
		break;
	}
	memset(ue, 0, sizeof(*ue));

	while (ret == 0) {
		pvclock_update(vcpu);
		if (!md->ran) {
			/* First time on this CPU: flush the ASID, reload. */
			md->ran = 1;
			vmcb_wr(vcpu, VMCB_TLB_CONTROL, 1,
			    (rvi_sc()->features & SVM_FEAT_FLUSH_BY_ASID) ?
			    VMCB_TLB_FLUSH_ASID : VMCB_TLB_FLUSH_ALL);
			svm_set_dirty(vcpu, SVM_CLEANBITS_ALL);
		}

		/*
		 * vmmsim with VMMSIM_OPEN_REDELIVER: the event an exit
		 * interrupted goes in again, before anything else.
		 */
		if (md->intinfo & SVM_EVTINJ_V) {
			vmcb_wr64(vcpu, VMCB_EVENTINJ, md->intinfo);
			md->intinfo = 0;
		} else {
			/* An interrupt, when the guest was ready (§11). */
			if (md->event.vie_type == VCPU_INJECT_INTR &&
			    vcpu->vc_irqready) {
				vmcb_wr64(vcpu, VMCB_EVENTINJ,
				    md->event.vie_vector | SVM_EVTINJ_V);
				md->event.vie_type = VCPU_INJECT_NONE;
			}
			if (md->event.vie_type == VCPU_INJECT_EX &&
			    (ret = svm_inject_ex(vcpu)) != 0)
				break;
		}

		/* An XCR0 the host cannot load kills the vcpu. */
		if ((md->g.xcr0 & ~0x3ULL) != 0 || !(md->g.xcr0 & 1)) {
			ret = EINVAL;
			break;
		}
		if ((ret = svm_enter_guest(vcpu)) != 0) {
			vmm_printf("vcpu_run_svm: SVM instruction fault\n");
			break;
		}

		md->rip = vmcb_rd64(vcpu, VMCB_RIP);
		vmcb_wr(vcpu, VMCB_TLB_CONTROL, 1, VMCB_TLB_NOTHING);
		svm_set_clean(vcpu, SVM_CLEANBITS_ALL);
		md->exit_reason = vmcb_rd64(vcpu, VMCB_EXITCODE);
		md->rflags = vmcb_rd64(vcpu, VMCB_RFLAGS);
		if (md->exit_reason == VMEXIT_INVALID)
			log_vmrun_failure(md->cpu);

		/*
		 * An exit in the middle of delivering an event (a nested
		 * page fault on the guest's IDT or stack, most often) owes
		 * the guest that event (APM §15.7.2).  OpenBSD ignores
		 * EXITINTINFO and the event is lost (quirk); with
		 * VMMSIM_OPEN_REDELIVER it goes in again.
		 */
		md->intinfo = redeliver ? vmcb_rd64(vcpu, VMCB_EXITINTINFO) : 0;

		if (vcpu->vc_trace == NULL)
			ret = svm_handle_exit(vcpu);
		else {
			struct vmm_trace_exit te;

			vmm_trace_exit_svm(vcpu, md->cpu, md->vmcb_va, rvi_hm(),
			    &te);
			ret = svm_handle_exit(vcpu);
			vmm_trace_exit_done(vcpu, &te, ret, &md->event);
			if (md->exit_reason == VMEXIT_INVALID)
				vmm_trace_entry_fail_svm(vcpu, md->cpu, &te);
		}

		/* Owing the guest an event, it cannot take an interrupt. */
		vcpu->vc_irqready = ((md->rflags & PSL_I) &&
		    !(md->intinfo & SVM_EVTINJ_V)) ? 1 : 0;
		/*
		 * Bare metal: none into L1 while its GIF is clear (APM
		 * §15.17) or while L2 is stopped unseen; no window either,
		 * L1's next SVM instruction decides.
		 */
		held = vcpu->vc_parent->vm_bare && vmm_nested_holds_irq(vcpu);
		if (held)
			vcpu->vc_irqready = 0;
		if (!vcpu->vc_irqready && !held &&
		    __atomic_load_n(&vcpu->vc_intr, __ATOMIC_RELAXED)) {
			/* Arm the virtual interrupt window (V_IRQ, VINTR). */
			vmcb_wr(vcpu, VMCB_INTERCEPT_MISC1, 4,
			    vmcb_rd(vcpu, VMCB_INTERCEPT_MISC1, 4) |
			    SVM_INTERCEPT_VINTR);
			vintr = vmcb_rd64(vcpu, VMCB_VINTR) &
			    ~(VMCB_V_INTR_PRIO_MASK | VMCB_V_INTR_VECTOR_MASK);
			vmcb_wr64(vcpu, VMCB_VINTR, vintr | VMCB_V_IRQ |
			    VMCB_V_IGN_TPR);
			svm_set_dirty(vcpu, VMCB_CLEAN_TPR | VMCB_CLEAN_I);
		}
		if (ret != 0 || vcpu_must_stop(vcpu))
			break;
		/* vmmsim's extension: back to the caller at its time. */
		if (vcpu->vc_stop_at != 0 &&
		    emu_cpu_vtime(md->cpu) >= __atomic_load_n(&vcpu->vc_stop_at,
		    __ATOMIC_RELAXED))
			break;
		if (vcpu->vc_irqready &&
		    __atomic_load_n(&vcpu->vc_intr, __ATOMIC_RELAXED)) {
			ret = EAGAIN;
			break;
		}
	}
	/* The exit snapshot (§7.2): every group; cpl is never set (quirk). */
	if (vcpu_readregs_svm(vcpu, VM_RWREGS_ALL, &md->exit.vrs) != 0)
		return (EINVAL);
	return (ret);
}

/* VMM_IOC_INTR from another thread: a host interrupt on the vcpu's CPU. */
void
vcpu_kick_svm(struct vcpu *vcpu)
{
	if (vcpu->vc_md != NULL && svm_vcpu(vcpu)->cpu != NULL)
		emu_cpu_kick(svm_vcpu(vcpu)->cpu);
	if (vcpu->vc_parent->vm_bare)
		vmm_nested_kick(vcpu);
}

/* What READVMPARAMS / WRITEVMPARAMS reach (§16), and the event to queue. */
void
vcpu_vmparams_svm(struct vcpu *vcpu, uint64_t **gpa, uint32_t **version,
    struct vcpu_inject_event **event)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);

	*gpa = &md->pvclock_gpa;
	*version = &md->pvclock_version;
	*event = &md->event;
}

/* Accessors for vm_run (vmm_machdep.c). */
struct vm_exit *
vcpu_exit_svm(struct vcpu *vcpu)
{
	return (&svm_vcpu(vcpu)->exit);
}

void
vcpu_set_event_svm(struct vcpu *vcpu, const struct vcpu_inject_event *e)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);

	md->event.vie_type = e->vie_type;
	md->event.vie_vector = e->vie_vector;
	md->event.vie_errorcode = e->vie_errorcode;
}

uint64_t
vcpu_last_exit_svm(struct vcpu *vcpu)
{
	return (svm_vcpu(vcpu)->exit_reason);
}

uint64_t
vcpu_vtime_svm(struct vcpu *vcpu)
{
	return (emu_cpu_vtime(svm_vcpu(vcpu)->cpu));
}

/* The vcpu's CPU, and the HPA of each memory range (0: none). */
struct emu_cpu *
vcpu_emu_svm(struct vcpu *vcpu, const uint64_t **slot_hpa)
{
	*slot_hpa = svm_vm(vcpu->vc_parent)->pm.slot_hpa;
	return (svm_vcpu(vcpu)->cpu);
}

/*
 * vmmsim_vcpu_snap_save/_restore (vmm_snap.c) for SVM: the VMCB words
 * vm_rwregs lacks, in the order docs/snapshot-format.md lists, and the
 * monitor's software state.  Restore is into a vcpu that never ran; the
 * whole VMCB is marked dirty so the CPU caches none of the old values.
 */
static const struct {
	unsigned	off, width;
} snap_fields_svm[] = {
	{ VMCB_VINTR, 8 }, { VMCB_INTR_SHADOW, 8 },
	{ VMCB_INTERCEPT_MISC1, 4 }, { VMCB_SYSENTER_CS, 8 },
	{ VMCB_SYSENTER_ESP, 8 }, { VMCB_SYSENTER_EIP, 8 },
	{ VMCB_DBGCTL, 8 }, { VMCB_G_PAT, 8 }, { VMCB_TSC_OFFSET, 8 },
};

int
vcpu_snap_svm(struct vcpu *vcpu, struct vmmsim_vcpu_snap *vs, int write)
{
	struct svm_vcpu *md = svm_vcpu(vcpu);
	size_t i, n = sizeof(snap_fields_svm) / sizeof(snap_fields_svm[0]);

	if (!write) {
		/* The next RUN would complete this exit with its result. */
		if (md->exit_reason == VMEXIT_IOIO ||
		    md->exit_reason == VMEXIT_NPF)
			return (EBUSY);
		memset(vs, 0, sizeof(*vs));
		vs->vs_exit_reason = (uint32_t)md->exit_reason;
		vs->vs_vtime = emu_cpu_vtime(md->cpu);
		vs->vs_shadow_pat = md->shadow_pat;
		vs->vs_event_type = md->event.vie_type;
		vs->vs_event_vector = md->event.vie_vector;
		vs->vs_event_error = md->event.vie_errorcode;
		vs->vs_redeliver[0] = md->intinfo;
		vs->vs_rng = emu_cpu_rng(md->cpu);
		vs->vs_cr2 = md->cr2;
		for (i = 0; i < n; i++)
			vs->vs_field[i] = vmcb_rd(vcpu, snap_fields_svm[i].off,
			    snap_fields_svm[i].width);
		return (emu_fpu_save(md->cpu, vs->vs_fpu) != 0 ? EIO : 0);
	}
	if (md->ran)
		return (EBUSY);
	for (i = 0; i < n; i++)
		vmcb_wr(vcpu, snap_fields_svm[i].off, snap_fields_svm[i].width,
		    vs->vs_field[i]);
	svm_set_dirty(vcpu, ~0U);
	if (emu_fpu_restore(md->cpu, vs->vs_fpu) != 0)
		return (EIO);
	emu_cpu_set_vtime(md->cpu, vs->vs_vtime);
	emu_cpu_set_rng(md->cpu, vs->vs_rng);
	md->cr2 = vs->vs_cr2;	/* as WRITEREGS did: one format for both */
	md->exit_reason = vs->vs_exit_reason;
	md->shadow_pat = vs->vs_shadow_pat;
	md->event.vie_type = (uint8_t)vs->vs_event_type;
	md->event.vie_vector = (uint8_t)vs->vs_event_vector;
	md->event.vie_errorcode = vs->vs_event_error;
	md->intinfo = vs->vs_redeliver[0];
	return (0);
}

/*
 * Snapshots: which pages of [gpa, gpa + npages pages) the nested page
 * tables map (one bit each in bm), or (map) enter exactly those, so a
 * restored VM faults where the saved one would have: an event whose
 * delivery faults is lost on this monitor (a quirk), so the mapped set
 * is guest-visible.
 */
int
vcpu_snap_pages_svm(struct vcpu *vcpu, uint64_t gpa, uint64_t npages,
    uint8_t *bm, int map)
{
	struct vm *vm = vcpu->vc_parent;
	struct hostmem *hm = rvi_hm();
	uint64_t i, a, hpa;

	for (i = 0; i < npages; i++) {
		a = gpa + i * 4096;
		if (!map) {
			if (npt_present(vm, hm, a, &hpa))
				bm[i / 8] |= (uint8_t)(1U << (i % 8));
			continue;
		}
		if (!(bm[i / 8] & (1U << (i % 8))))
			continue;
		if (a >= NPT_MAX_GPA || vm_gpa_to_hpa(vm, a, &hpa) != 0)
			return (EINVAL);
		if (npt_enter(vm, hm, a, hpa) != 0)
			return (ENOMEM);
	}
	return (0);
}
