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
 * The VMX monitor: OpenBSD's vmm_machdep.c logic for Intel CPUs in EPT
 * mode (vmm-contract.md §7-§16), programming the simulated CPU of src/emu
 * only through VMX instructions, VMREAD/VMWRITE and host-physical memory,
 * as the kernel programs hardware.
 *
 * Host CPUs: every vcpu runs on a simulated host CPU of its own (created
 * with the vcpu, in VMX operation while the vcpu exists), so its VMCS
 * stays current and launched across RUN calls as on a CPU the scheduler
 * never migrates it from.  The host's external interrupts are a timer tick
 * in virtual time (every VMX_HOST_TICK instructions) plus the kicks of
 * VMM_IOC_INTR: each ends guest execution with an external-interrupt exit,
 * after which the loop looks at vcpu_must_stop() and the pending-interrupt
 * rule, as the kernel does after a host interrupt.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_nested.h"
#include "vmm_npmap.h"
#include "vmm_trace.h"
#include "vmm_vmx.h"
#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#define VMX_HOST_TICK		1000000ULL	/* instructions: 1 ms at 1 GHz */
#define VMX_VMCS_PA_CLEAR	0xFFFFFFFFFFFFFFFFULL
#define EPT_MAX_GPA		(128ULL << 30)
#define EPT_R			0x1ULL
#define EPT_W			0x2ULL
#define EPT_X			0x4ULL
#define EPT_WB			(6ULL << 3)
#define EPT_ADDR		0x000FFFFFFFFFF000ULL

/* Host segment selectors and descriptor-table bases of the "kernel". */
#define HOST_CS_SEL		0x08
#define HOST_DS_SEL		0x10
#define HOST_TR_SEL		0x30
#define HOST_GDT_BASE		0xFFFFFFFF81A00000ULL
#define HOST_IDT_BASE		0xFFFFFFFF81A01000ULL
#define HOST_TSS_BASE		0xFFFFFFFF81A02000ULL
#define HOST_FS_BASE		0
#define HOST_GS_BASE		0xFFFFFFFF81A03000ULL
#define HOST_RIP		0xFFFFFFFF81000000ULL	/* vmx_enter_guest */
#define HOST_RSP		0xFFFFFFFF81800000ULL

/* MSR numbers of the guest MSR list, in VCPU_REGS_* order. */
static const uint32_t vmx_msr_list[VCPU_REGS_NMSRS] = {
	MSR_EFER, 0xC0000081 /* STAR */, 0xC0000082 /* LSTAR */,
	0xC0000083 /* CSTAR */, 0xC0000084 /* SFMASK */, MSR_KERNELGSBASE,
	0x1A0 /* MISC_ENABLE */
};

#define MSR_MISC_ENABLE		0x1A0
#define MSR_BIOS_SIGN		0x8B
#define MSR_PLATFORM_ID		0x17
#define MSR_TSC			0x10
#define KVM_MSR_WALL_CLOCK	0x4B564D00
#define KVM_MSR_SYSTEM_TIME	0x4B564D01
#define MISC_ENABLE_TCC		(1ULL << 3)
#define MISC_ENABLE_EIST	(1ULL << 16)
#define MISC_ENABLE_XTPR	(1ULL << 23)

struct vmm_softc_md {
	struct emu_host		*host;		/* [I] the simulated machine */
	int			 started;	/* [a] vmm_start() ran */
};

struct vm_md {
	struct npmap		 pm;		/* the EPT */
};

/* EPT entries: RWX tables, RWX write-back leaves (§12.6). */
static const struct npmap_fmt ept_fmt = {
	EPT_R | EPT_W | EPT_X, EPT_R | EPT_W | EPT_X,
	EPT_WB | EPT_R | EPT_W | EPT_X, EPT_ADDR
};

struct vcpu_md {
	struct emu_cpu		*cpu;		/* [I] its host CPU */
	uint64_t		 vmxon;		/* [I] HPAs of its pages */
	uint64_t		 vmcs;
	uint64_t		 msr_bitmap;
	uint64_t		 msr_exit_save;	/* also the entry-load list */
	uint64_t		 msr_exit_load;
	uint8_t			*msr_save_va;	/* [I] msr_exit_save, mapped */
	int			 launched;	/* [l] VMCS launch state */
	int			 ran;		/* [l] has run on its CPU */
	struct emu_gprs		 g;		/* [l] software save area */
	uint64_t		 rip;		/* [l] RIP at the last exit */
	uint32_t		 exit_reason;	/* [l] last hardware exit */
	struct vm_exit		 exit;		/* [l] vc_exit */
	struct vcpu_inject_event event;		/* [l] pending event */
	uint32_t		 vect_info;	/* [l] event to deliver again */
	uint32_t		 vect_err;	/* [l] its error code */
	uint32_t		 vect_len;	/* [l] its instruction length */
	uint64_t		 shadow_pat;	/* [l] */
	uint64_t		 pvclock_gpa;	/* [l] */
	uint32_t		 pvclock_version; /* [l] */
};

#define VECT_VALID	(1U << 31)

static uint64_t
vmread(struct vcpu *vcpu, uint32_t f)
{
	uint64_t v = 0;

	(void)vmx_vmread(vcpu->vc_md->cpu, f, &v);
	return (v);
}

static int
vmwrite(struct vcpu *vcpu, uint32_t f, uint64_t v)
{
	return (vmx_vmwrite(vcpu->vc_md->cpu, f, v) == VMX_SUCCEED ? 0 :
	    EINVAL);
}

static struct hostmem *
vcpu_hm(struct vcpu *vcpu)
{
	struct vmm_softc *sc = vmm_softc_for_mode(VMM_MODE_EPT);

	return (emu_host_mem(sc->sc_md->host));
}

static const struct vmx_caps *
vcpu_caps(struct vcpu *vcpu)
{
	struct vmm_softc *sc = vmm_softc_for_mode(VMM_MODE_EPT);

	(void)vcpu;
	return (emu_host_caps(sc->sc_md->host));
}

/* --- attach, start, stop -------------------------------------------------- */

int
vmx_attach(struct vmm_softc *sc)
{
	int error;

	if ((sc->sc_md = calloc(1, sizeof(*sc->sc_md))) == NULL)
		return (ENOMEM);
	sc->sc_md->host = emu_host_create(NULL, &error);
	if (sc->sc_md->host == NULL) {
		free(sc->sc_md);
		sc->sc_md = NULL;
		return (error);
	}
	return (0);
}

void
vmx_detach(struct vmm_softc *sc)
{
	if (sc->sc_md == NULL)
		return;
	emu_host_destroy(sc->sc_md->host);
	free(sc->sc_md);
	sc->sc_md = NULL;
}

/*
 * VMX operation is on while any VM exists (vmm_start at the first CREATE,
 * vmm_stop after the last TERM); each vcpu's CPU executes VMXON when it is
 * brought up and VMXOFF when it goes away.
 */
int
vmx_start(struct vmm_softc *sc)
{
	/* CREATEs race here without vm_lock: an atomic store. */
	__atomic_store_n(&sc->sc_md->started, 1, __ATOMIC_RELAXED);
	return (0);
}

void
vmx_stop(struct vmm_softc *sc)
{
	sc->sc_md->started = 0;
}

int
vmx_vm_init(struct vmm_softc *sc, struct vm *vm)
{
	struct vm_md *md;

	if ((md = calloc(1, sizeof(*md))) == NULL)
		return (ENOMEM);
	vm->vm_md = md;
	return (npmap_init(&md->pm, &ept_fmt, emu_host_mem(sc->sc_md->host),
	    vm));
}

void
vmx_vm_deinit(struct vm *vm)
{
	struct vmm_softc *sc = vmm_softc_for_mode(VMM_MODE_EPT);

	if (vm->vm_md == NULL)
		return;
	npmap_fini(&vm->vm_md->pm, emu_host_mem(sc->sc_md->host), vm);
	free(vm->vm_md);
	vm->vm_md = NULL;
}

/* Resident pages of the nested pmap (quirk 13). */
size_t
vmx_vm_resident(struct vm *vm)
{
	return (vm->vm_md == NULL ? 0 : npmap_resident(&vm->vm_md->pm));
}

/*
 * Install a 4 KiB leaf GPA -> HPA, RWX, write-back, creating the table
 * pages on the way, as the kernel's pmap does for EPT (vmm-contract.md
 * §12.6).  Returns 0 or ENOMEM.
 */
static int
ept_enter(struct vm *vm, struct hostmem *hm, uint64_t gpa, uint64_t hpa)
{
	return (npmap_enter(&vm->vm_md->pm, hm, gpa, hpa));
}

/* The HPA behind a GPA in a non-MMIO range of the VM, or ENOENT. */
static int
vm_gpa_to_hpa(struct vm *vm, uint64_t gpa, uint64_t *hpa)
{
	return (npmap_gpa_to_hpa(&vm->vm_md->pm, vm, gpa, hpa));
}

/* --- vcpu init -------------------------------------------------------------- */

static void
vcpu_free_pages(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	struct hostmem *hm = vcpu_hm(vcpu);

	if (md->cpu != NULL) {
		if (md->vmcs != 0)
			(void)vmx_vmclear(md->cpu, md->vmcs);
		(void)vmx_vmxoff(md->cpu);
		emu_cpu_destroy(md->cpu);
		md->cpu = NULL;
	}
	hostmem_free(hm, md->vmxon, 1);
	hostmem_free(hm, md->vmcs, 1);
	hostmem_free(hm, md->msr_bitmap, 1);
	hostmem_free(hm, md->msr_exit_save, 1);
	hostmem_free(hm, md->msr_exit_load, 1);
}

/*
 * vcpu_init_vmx (§12.3): bring up the vcpu's CPU in VMX operation, allocate
 * its VMCS, MSR bitmap and MSR areas, and write the fields that never
 * change.  The VPID was allocated by the caller.
 */
int
vcpu_init_vmx(struct vmm_softc *sc, struct vcpu *vcpu)
{
	struct hostmem *hm = emu_host_mem(sc->sc_md->host);
	const struct vmx_caps *caps = emu_host_caps(sc->sc_md->host);
	struct vm_md *vmd = vcpu->vc_parent->vm_md;
	struct vcpu_md *md;
	uint32_t rev = (uint32_t)(caps->basic & IA32_VMX_BASIC_REVISION_MASK);
	uint64_t eptp;
	int error;

	if ((md = calloc(1, sizeof(*md))) == NULL)
		return (ENOMEM);
	vcpu->vc_md = md;
	md->vmxon = hostmem_alloc(hm, 1);
	md->vmcs = hostmem_alloc(hm, 1);
	md->msr_bitmap = hostmem_alloc(hm, 1);
	md->msr_exit_save = hostmem_alloc(hm, 1);
	md->msr_exit_load = hostmem_alloc(hm, 1);
	if (!md->vmxon || !md->vmcs || !md->msr_bitmap || !md->msr_exit_save ||
	    !md->msr_exit_load)
		return (ENOMEM);
	/* The kernel reaches its save area through a kernel VA: this is it. */
	if ((md->msr_save_va = hostmem_ptr(hm, md->msr_exit_save,
	    PAGE_SIZE)) == NULL)
		return (ENOMEM);
	if ((md->cpu = emu_cpu_create(sc->sc_md->host, &error)) == NULL)
		return (error);
	hostmem_write(hm, md->vmxon, &rev, sizeof(rev));
	hostmem_write(hm, md->vmcs, &rev, sizeof(rev));
	if (emu_write_cr(md->cpu, 4, emu_read_cr(md->cpu, 4) | CR4_VMXE) != 0 ||
	    vmx_vmxon(md->cpu, md->vmxon) != VMX_SUCCEED)
		return (EIO);
	if (vmx_vmclear(md->cpu, md->vmcs) != VMX_SUCCEED ||
	    vmx_vmptrld(md->cpu, md->vmcs) != VMX_SUCCEED)
		return (EINVAL);

	/* EPT pointer: walk length 4, WB if supported, no A/D flags. */
	if (!(caps->ept_vpid_cap & IA32_EPT_VPID_CAP_PAGE_WALK_4))
		return (EINVAL);
	eptp = vmd->pm.root | ((IA32_EPT_PAGE_WALK_LENGTH - 1) <<
	    IA32_EPT_PAGE_WALK_SHIFT);
	if (caps->ept_vpid_cap & IA32_EPT_VPID_CAP_WB)
		eptp |= IA32_EPT_PAGING_CACHE_TYPE_WB;
	error = 0;
	error |= vmwrite(vcpu, VMCS_GUEST_IA32_EPTP, eptp);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_CR0,
	    emu_read_cr(md->cpu, 0) & ~CR0_TS);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_CR4, emu_read_cr(md->cpu, 4));
	error |= vmwrite(vcpu, VMCS_HOST_IA32_CS_SEL, HOST_CS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_DS_SEL, HOST_DS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_ES_SEL, HOST_DS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_FS_SEL, HOST_DS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_GS_SEL, HOST_DS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_SS_SEL, HOST_DS_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_TR_SEL, HOST_TR_SEL);
	error |= vmwrite(vcpu, VMCS_HOST_IA32_IDTR_BASE, HOST_IDT_BASE);
	error |= vmwrite(vcpu, VMCS_LINK_POINTER, VMX_VMCS_PA_CLEAR);
	if (error != 0)
		return (EINVAL);
	if (vmx_vmclear(md->cpu, md->vmcs) != VMX_SUCCEED)
		return (EINVAL);
	emu_cpu_set_host_tick(md->cpu, VMX_HOST_TICK);
	return (0);
}

void
vcpu_deinit_vmx(struct vmm_softc *sc, struct vcpu *vcpu)
{
	(void)sc;
	if (vcpu->vc_md == NULL)
		return;
	vcpu_free_pages(vcpu);
	free(vcpu->vc_md);
	vcpu->vc_md = NULL;
}

/* Make the vcpu's VMCS current on its CPU (vcpu_reload_vmcs_vmx). */
static int
vcpu_reload_vmcs(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t cur = 0;

	if (vmx_vmptrst(md->cpu, &cur) == VMX_SUCCEED && cur == md->vmcs)
		return (0);
	return (vmx_vmptrld(md->cpu, md->vmcs) == VMX_SUCCEED ? 0 : EINVAL);
}

/* --- registers (§7) ---------------------------------------------------------- */

static const uint32_t seg_sel[VCPU_REGS_NSREGS] = {
	VMCS_GUEST_IA32_ES_SEL, VMCS_GUEST_IA32_CS_SEL, VMCS_GUEST_IA32_SS_SEL,
	VMCS_GUEST_IA32_DS_SEL, VMCS_GUEST_IA32_FS_SEL, VMCS_GUEST_IA32_GS_SEL,
	VMCS_GUEST_IA32_LDTR_SEL, VMCS_GUEST_IA32_TR_SEL
};
#define SEG_LIMIT(i)	(VMCS_GUEST_IA32_ES_LIMIT + 2 * (i))
#define SEG_AR(i)	(VMCS_GUEST_IA32_ES_AR + 2 * (i))
#define SEG_BASE(i)	(VMCS_GUEST_IA32_ES_BASE + 2 * (i))

static void
msr_area_rw(struct vcpu *vcpu, int write, uint64_t *vals)
{
	uint8_t *area = vcpu->vc_md->msr_save_va;
	int i;

	for (i = 0; i < VCPU_REGS_NMSRS; i++) {
		if (write)
			memcpy(area + 16 * i + 8, &vals[i], 8);
		else
			memcpy(&vals[i], area + 16 * i + 8, 8);
	}
}

/*
 * The VMCS fields vcpu_readregs_vmx reads, group after group: GPRS (RIP,
 * RSP, RFLAGS), SREGS (each segment's selector, limit, access rights and
 * base, then GDTR and IDTR), CRS, DRS.
 */
static const uint32_t rr_fields[] = {
	VMCS_GUEST_IA32_RIP, VMCS_GUEST_IA32_RSP, VMCS_GUEST_IA32_RFLAGS,
	VMCS_GUEST_IA32_ES_SEL, SEG_LIMIT(0), SEG_AR(0), SEG_BASE(0),
	VMCS_GUEST_IA32_CS_SEL, SEG_LIMIT(1), SEG_AR(1), SEG_BASE(1),
	VMCS_GUEST_IA32_SS_SEL, SEG_LIMIT(2), SEG_AR(2), SEG_BASE(2),
	VMCS_GUEST_IA32_DS_SEL, SEG_LIMIT(3), SEG_AR(3), SEG_BASE(3),
	VMCS_GUEST_IA32_FS_SEL, SEG_LIMIT(4), SEG_AR(4), SEG_BASE(4),
	VMCS_GUEST_IA32_GS_SEL, SEG_LIMIT(5), SEG_AR(5), SEG_BASE(5),
	VMCS_GUEST_IA32_LDTR_SEL, SEG_LIMIT(6), SEG_AR(6), SEG_BASE(6),
	VMCS_GUEST_IA32_TR_SEL, SEG_LIMIT(7), SEG_AR(7), SEG_BASE(7),
	VMCS_GUEST_IA32_GDTR_LIMIT, VMCS_GUEST_IA32_GDTR_BASE,
	VMCS_GUEST_IA32_IDTR_LIMIT, VMCS_GUEST_IA32_IDTR_BASE,
	VMCS_GUEST_IA32_CR0, VMCS_GUEST_IA32_CR3, VMCS_GUEST_IA32_CR4,
	VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2,
	VMCS_GUEST_PDPTE3,
	VMCS_GUEST_IA32_DR7
};
#define RR_GPRS		0
#define RR_SREGS	3
#define RR_CRS		(RR_SREGS + 4 * VCPU_REGS_NSREGS + 4)
#define RR_DRS		(RR_CRS + 7)
#define RR_N		(RR_DRS + 1)

/* VMREADs of rr_fields[from, from + n) into v[from...]. */
static void
rr_read(struct vcpu *vcpu, unsigned int from, unsigned int n, uint64_t *v)
{
	unsigned int i;

	if (vmx_vmread_n(vcpu->vc_md->cpu, &rr_fields[from], n, &v[from]) ==
	    VMX_SUCCEED)
		return;
	for (i = from; i < from + n; i++)	/* as one VMREAD at a time */
		v[i] = vmread(vcpu, rr_fields[i]);
}

/*
 * vcpu_readregs_vmx: the groups in mask, from the VMCS, the software save
 * area and the MSR store area; CR8 and GDTR/IDTR sel/AR are not filled.
 */
int
vcpu_readregs_vmx(struct vcpu *vcpu, uint64_t mask, struct vcpu_reg_state *vrs)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t v[RR_N];
	const uint64_t *sr;
	int i;

	if (vcpu_reload_vmcs(vcpu) != 0)
		return (EINVAL);
	if ((mask & (VM_RWREGS_GPRS | VM_RWREGS_SREGS | VM_RWREGS_CRS |
	    VM_RWREGS_DRS)) == (VM_RWREGS_GPRS | VM_RWREGS_SREGS |
	    VM_RWREGS_CRS | VM_RWREGS_DRS))
		rr_read(vcpu, 0, RR_N, v);
	else {
		if (mask & VM_RWREGS_GPRS)
			rr_read(vcpu, RR_GPRS, 3, v);
		if (mask & VM_RWREGS_SREGS)
			rr_read(vcpu, RR_SREGS, RR_CRS - RR_SREGS, v);
		if (mask & VM_RWREGS_CRS)
			rr_read(vcpu, RR_CRS, 7, v);
		if (mask & VM_RWREGS_DRS)
			rr_read(vcpu, RR_DRS, 1, v);
	}
	if (mask & VM_RWREGS_GPRS) {
		for (i = 0; i < 16; i++)
			if (i != VCPU_REGS_RSP)
				vrs->vrs_gprs[i] = md->g.r[i];
		vrs->vrs_gprs[VCPU_REGS_RIP] = v[RR_GPRS];
		vrs->vrs_gprs[VCPU_REGS_RSP] = v[RR_GPRS + 1];
		vrs->vrs_gprs[VCPU_REGS_RFLAGS] = v[RR_GPRS + 2];
	}
	if (mask & VM_RWREGS_SREGS) {
		for (i = 0; i < VCPU_REGS_NSREGS; i++) {
			sr = &v[RR_SREGS + 4 * i];
			vrs->vrs_sregs[i].vsi_sel = (uint16_t)sr[0];
			vrs->vrs_sregs[i].vsi_limit = (uint32_t)sr[1];
			vrs->vrs_sregs[i].vsi_ar = (uint32_t)sr[2];
			vrs->vrs_sregs[i].vsi_base = sr[3];
		}
		sr = &v[RR_SREGS + 4 * VCPU_REGS_NSREGS];
		vrs->vrs_gdtr.vsi_limit = (uint32_t)sr[0];
		vrs->vrs_gdtr.vsi_base = sr[1];
		vrs->vrs_idtr.vsi_limit = (uint32_t)sr[2];
		vrs->vrs_idtr.vsi_base = sr[3];
	}
	if (mask & VM_RWREGS_CRS) {
		vrs->vrs_crs[VCPU_REGS_CR0] = v[RR_CRS];
		vrs->vrs_crs[VCPU_REGS_CR3] = v[RR_CRS + 1];
		vrs->vrs_crs[VCPU_REGS_CR4] = v[RR_CRS + 2];
		vrs->vrs_crs[VCPU_REGS_CR2] = md->g.cr2;
		vrs->vrs_crs[VCPU_REGS_XCR0] = md->g.xcr0;
		vrs->vrs_crs[VCPU_REGS_PDPTE0] = v[RR_CRS + 3];
		vrs->vrs_crs[VCPU_REGS_PDPTE1] = v[RR_CRS + 4];
		vrs->vrs_crs[VCPU_REGS_PDPTE2] = v[RR_CRS + 5];
		vrs->vrs_crs[VCPU_REGS_PDPTE3] = v[RR_CRS + 6];
	}
	if (mask & VM_RWREGS_MSRS)
		msr_area_rw(vcpu, 0, vrs->vrs_msrs);
	if (mask & VM_RWREGS_DRS) {
		for (i = 0; i < 4; i++)
			vrs->vrs_drs[VCPU_REGS_DR0 + i] = md->g.dr[i];
		vrs->vrs_drs[VCPU_REGS_DR6] = md->g.dr6;
		vrs->vrs_drs[VCPU_REGS_DR7] = v[RR_DRS];
	}
	return (0);
}

/*
 * vcpu_writeregs_vmx: the groups in mask.  CR2 is not written (quirk);
 * the MSRs go to the store area that is also the entry-load list.  Like the
 * kernel's loadvmcs path it ends with VMCLEAR, so the next RUN launches.
 */
int
vcpu_writeregs_vmx(struct vcpu *vcpu, uint64_t mask,
    struct vcpu_reg_state *vrs)
{
	struct vcpu_md *md = vcpu->vc_md;
	int i, error = 0;

	if (vcpu_reload_vmcs(vcpu) != 0)
		return (EINVAL);
	if (mask & VM_RWREGS_GPRS) {
		for (i = 0; i < 16; i++)
			md->g.r[i] = vrs->vrs_gprs[i];
		md->rip = vrs->vrs_gprs[VCPU_REGS_RIP];
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_RIP, md->rip);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_RSP,
		    vrs->vrs_gprs[VCPU_REGS_RSP]);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_RFLAGS,
		    vrs->vrs_gprs[VCPU_REGS_RFLAGS]);
	}
	if (mask & VM_RWREGS_SREGS) {
		for (i = 0; i < VCPU_REGS_NSREGS; i++) {
			error |= vmwrite(vcpu, seg_sel[i],
			    vrs->vrs_sregs[i].vsi_sel);
			error |= vmwrite(vcpu, SEG_LIMIT(i),
			    vrs->vrs_sregs[i].vsi_limit);
			error |= vmwrite(vcpu, SEG_AR(i), vrs->vrs_sregs[i].vsi_ar);
			error |= vmwrite(vcpu, SEG_BASE(i),
			    vrs->vrs_sregs[i].vsi_base);
		}
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_GDTR_LIMIT,
		    vrs->vrs_gdtr.vsi_limit);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_GDTR_BASE,
		    vrs->vrs_gdtr.vsi_base);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_IDTR_LIMIT,
		    vrs->vrs_idtr.vsi_limit);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_IDTR_BASE,
		    vrs->vrs_idtr.vsi_base);
	}
	if (mask & VM_RWREGS_CRS) {
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_CR0,
		    vrs->vrs_crs[VCPU_REGS_CR0]);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_CR3,
		    vrs->vrs_crs[VCPU_REGS_CR3]);
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_CR4,
		    vrs->vrs_crs[VCPU_REGS_CR4]);
		error |= vmwrite(vcpu, VMCS_GUEST_PDPTE0,
		    vrs->vrs_crs[VCPU_REGS_PDPTE0]);
		error |= vmwrite(vcpu, VMCS_GUEST_PDPTE1,
		    vrs->vrs_crs[VCPU_REGS_PDPTE1]);
		error |= vmwrite(vcpu, VMCS_GUEST_PDPTE2,
		    vrs->vrs_crs[VCPU_REGS_PDPTE2]);
		error |= vmwrite(vcpu, VMCS_GUEST_PDPTE3,
		    vrs->vrs_crs[VCPU_REGS_PDPTE3]);
		md->g.xcr0 = vrs->vrs_crs[VCPU_REGS_XCR0];
	}
	if (mask & VM_RWREGS_MSRS)
		msr_area_rw(vcpu, 1, vrs->vrs_msrs);
	if (mask & VM_RWREGS_DRS) {
		for (i = 0; i < 4; i++)
			md->g.dr[i] = vrs->vrs_drs[VCPU_REGS_DR0 + i];
		md->g.dr6 = vrs->vrs_drs[VCPU_REGS_DR6];
		error |= vmwrite(vcpu, VMCS_GUEST_IA32_DR7,
		    vrs->vrs_drs[VCPU_REGS_DR7]);
	}
	if (vmx_vmclear(md->cpu, md->vmcs) != VMX_SUCCEED)
		error |= EINVAL;
	md->launched = 0;
	return (error ? EINVAL : 0);
}

/* --- RESETCPU (§12.4) -------------------------------------------------------- */

/*
 * A control value by the SDM's "formula 2" (Appendix A.2): the CPU's
 * must-be-1 bits, the requested bits, and for the flexible bits nobody
 * asked about the default-1 class value.  EINVAL when a request conflicts
 * with the capability.
 */
static int
vcpu_vmx_ctl(uint64_t cap, uint32_t want1, uint32_t want0, uint32_t def1,
    uint32_t *ctl)
{
	uint32_t a0 = (uint32_t)cap, a1 = (uint32_t)(cap >> 32);

	if ((want1 & ~a1) != 0 || (want0 & a0) != 0)
		return (EINVAL);
	*ctl = (a0 | want1 | (def1 & a1)) & ~want0;
	return (0);
}

#define PIN_DEFAULT1	0x00000016U	/* 1, 2, 4 */
#define PROC_DEFAULT1	0x0401E172U	/* 1, 4-6, 8, 13-16, 26 */
#define EXIT_DEFAULT1	0x00036DFFU	/* 0-8, 10, 11, 13, 14, 16, 17 */
#define ENTRY_DEFAULT1	0x000011FFU	/* 0-8, 12 */

static void
msr_bitmap_pass(uint8_t *bm, uint32_t msr, int read, int write)
{
	unsigned off = msr >= 0xC0000000 ? 1024 : 0;
	unsigned bit = msr & 0x1FFF;

	if (read)
		bm[off + bit / 8] &= ~(1U << (bit % 8));
	if (write)
		bm[2048 + off + bit / 8] &= ~(1U << (bit % 8));
}

int
vcpu_reset_regs_vmx(struct vcpu *vcpu, struct vcpu_reg_state *vrs)
{
	struct vcpu_md *md = vcpu->vc_md;
	const struct vmx_caps *caps = vcpu_caps(vcpu);
	struct hostmem *hm = vcpu_hm(vcpu);
	uint32_t pin, proc, proc2, exit_ctl, entry, want;
	uint64_t cr0, cr4, must1, must0, host_msrs[VCPU_REGS_NMSRS];
	uint8_t *bm;
	int i, ug, error = 0;

	if (vcpu_reload_vmcs(vcpu) != 0)
		return (EINVAL);
	md->vect_info = 0;

	if (vcpu_vmx_ctl(vmx_caps_pinbased_ctls(caps),
	    IA32_VMX_EXTERNAL_INT_EXITING | IA32_VMX_NMI_EXITING, 0,
	    PIN_DEFAULT1, &pin) != 0 ||
	    vcpu_vmx_ctl(vmx_caps_procbased_ctls(caps), IA32_VMX_HLT_EXITING |
	    IA32_VMX_MWAIT_EXITING | IA32_VMX_CR8_LOAD_EXITING |
	    IA32_VMX_CR8_STORE_EXITING | IA32_VMX_USE_TPR_SHADOW |
	    IA32_VMX_UNCONDITIONAL_IO_EXITING | IA32_VMX_USE_MSR_BITMAPS |
	    IA32_VMX_MONITOR_EXITING | IA32_VMX_ACTIVATE_SECONDARY_CONTROLS,
	    IA32_VMX_CR3_LOAD_EXITING | IA32_VMX_CR3_STORE_EXITING,
	    PROC_DEFAULT1, &proc) != 0)
		return (EINVAL);
	want = IA32_VMX_ENABLE_EPT;
	if ((caps->procbased2 >> 32) & IA32_VMX_ENABLE_VPID)
		want |= IA32_VMX_ENABLE_VPID;
	ug = ((caps->procbased2 >> 32) & IA32_VMX_UNRESTRICTED_GUEST) != 0;
	if (ug)
		want |= IA32_VMX_UNRESTRICTED_GUEST;
	if (vcpu_vmx_ctl(caps->procbased2, want, ~want, 0, &proc2) != 0)
		return (EINVAL);
	if (vcpu_vmx_ctl(vmx_caps_exit_ctls(caps), IA32_VMX_SAVE_DEBUG_CONTROLS |
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE |
	    IA32_VMX_ACKNOWLEDGE_INTERRUPT_ON_EXIT, 0, EXIT_DEFAULT1,
	    &exit_ctl) != 0)
		return (EINVAL);
	want = IA32_VMX_LOAD_DEBUG_CONTROLS;
	if (vrs->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA)
		want |= IA32_VMX_IA32E_MODE_GUEST;
	if (vcpu_vmx_ctl(vmx_caps_entry_ctls(caps), want,
	    IA32_VMX_ENTRY_TO_SMM | IA32_VMX_DEACTIVATE_DUAL_MONITOR_TREATMENT |
	    IA32_VMX_LOAD_IA32_PERF_GLOBAL_CTRL_ON_ENTRY |
	    (want & IA32_VMX_IA32E_MODE_GUEST ? 0 : IA32_VMX_IA32E_MODE_GUEST),
	    ENTRY_DEFAULT1 & ~IA32_VMX_IA32E_MODE_GUEST, &entry) != 0)
		return (EINVAL);
	error |= vmwrite(vcpu, VMCS_PINBASED_CTLS, pin);
	error |= vmwrite(vcpu, VMCS_PROCBASED_CTLS, proc);
	error |= vmwrite(vcpu, VMCS_PROCBASED2_CTLS, proc2);
	error |= vmwrite(vcpu, VMCS_EXIT_CTLS, exit_ctl);
	error |= vmwrite(vcpu, VMCS_ENTRY_CTLS, entry);
	if (proc2 & IA32_VMX_ENABLE_VPID)
		error |= vmwrite(vcpu, VMCS_GUEST_VPID, vcpu->vc_vpid);

	/* CR0/CR4 against the fixed bits (32-bit arithmetic, as the kernel). */
	cr0 = vrs->vrs_crs[VCPU_REGS_CR0];
	must1 = (uint32_t)(caps->cr0_fixed0 & caps->cr0_fixed1);
	must0 = (uint32_t)(~caps->cr0_fixed0 & ~caps->cr0_fixed1);
	if (ug)
		must1 &= ~(CR0_PE | CR0_PG);
	if (must1 & CR0_NE)
		cr0 |= CR0_NE;
	if ((cr0 & must1) != must1 || (cr0 & must0) != 0)
		return (EINVAL);
	vrs->vrs_crs[VCPU_REGS_CR0] = cr0;
	cr4 = vrs->vrs_crs[VCPU_REGS_CR4] | CR4_VMXE;
	if ((cr4 & caps->cr4_fixed0) != caps->cr4_fixed0 ||
	    (cr4 & ~caps->cr4_fixed1) != 0)
		return (EINVAL);
	vrs->vrs_crs[VCPU_REGS_CR4] = cr4;

	/* PDPTEs for a PAE guest outside long mode, read at CR3. */
	if (vrs->vrs_crs[VCPU_REGS_CR3] != 0 && (cr4 & CR4_PAE) &&
	    !(vrs->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA)) {
		for (i = 0; i < 4; i++) {
			uint64_t gpa = (vrs->vrs_crs[VCPU_REGS_CR3] &
			    0xFFFFFFE0ULL) + 8 * i, pdpte = 0, hpa;

			if (vm_gpa_to_hpa(vcpu->vc_parent, gpa, &hpa) == 0)
				(void)hostmem_read64(hm, hpa, &pdpte);
			vrs->vrs_crs[VCPU_REGS_PDPTE0 + i] = pdpte;
		}
	}

	/* MSR lists: guest entry-load = exit-store area, host exit-load. */
	error |= vmwrite(vcpu, VMCS_EXIT_MSR_STORE_COUNT, VCPU_REGS_NMSRS);
	error |= vmwrite(vcpu, VMCS_EXIT_MSR_LOAD_COUNT, VCPU_REGS_NMSRS);
	error |= vmwrite(vcpu, VMCS_ENTRY_MSR_LOAD_COUNT, VCPU_REGS_NMSRS);
	error |= vmwrite(vcpu, VMCS_EXIT_STORE_MSR_ADDRESS, md->msr_exit_save);
	error |= vmwrite(vcpu, VMCS_EXIT_LOAD_MSR_ADDRESS, md->msr_exit_load);
	error |= vmwrite(vcpu, VMCS_ENTRY_LOAD_MSR_ADDRESS, md->msr_exit_save);
	for (i = 0; i < VCPU_REGS_NMSRS; i++) {
		uint64_t idx = vmx_msr_list[i];

		hostmem_write64(hm, md->msr_exit_save + 16 * i, idx);
		hostmem_write64(hm, md->msr_exit_load + 16 * i, idx);
		if (emu_rdmsr(md->cpu, vmx_msr_list[i], &host_msrs[i]) != 0)
			host_msrs[i] = 0;
		if (vmx_msr_list[i] == 0xC0000083)		/* CSTAR */
			host_msrs[i] = 0;
		hostmem_write64(hm, md->msr_exit_load + 16 * i + 8,
		    host_msrs[i]);
	}
	/* MISC_ENABLE: a host-derived value, which the register write below
	 * replaces with the caller's (quirk). */
	host_msrs[VCPU_REGS_MISC_ENABLE] &= ~(MISC_ENABLE_TCC |
	    MISC_ENABLE_EIST | MISC_ENABLE_XTPR);
	hostmem_write64(hm, md->msr_exit_save + 16 * VCPU_REGS_MISC_ENABLE + 8,
	    host_msrs[VCPU_REGS_MISC_ENABLE]);

	/* MSR bitmap: everything exits except the pass-through MSRs. */
	bm = hostmem_ptr(hm, md->msr_bitmap, 4096);
	memset(bm, 0xFF, 4096);
	if (!vcpu->vc_parent->vm_bare)	/* bare metal: vmm_nested.c's */
		msr_bitmap_pass(bm, MSR_IA32_FEATURE_CONTROL, 1, 1);
	msr_bitmap_pass(bm, MSR_SYSENTER_CS, 1, 1);
	msr_bitmap_pass(bm, MSR_SYSENTER_ESP, 1, 1);
	msr_bitmap_pass(bm, MSR_SYSENTER_EIP, 1, 1);
	msr_bitmap_pass(bm, MSR_EFER, 1, 1);
	for (i = 0; i < 4; i++)				/* STAR..SFMASK */
		msr_bitmap_pass(bm, 0xC0000081 + i, 1, 1);
	msr_bitmap_pass(bm, MSR_FSBASE, 1, 1);
	msr_bitmap_pass(bm, MSR_GSBASE, 1, 1);
	msr_bitmap_pass(bm, MSR_KERNELGSBASE, 1, 1);
	msr_bitmap_pass(bm, MSR_MISC_ENABLE, 1, 0);
	msr_bitmap_pass(bm, MSR_TSC, 1, 0);
	error |= vmwrite(vcpu, VMCS_MSR_BITMAP_ADDRESS, md->msr_bitmap);
	error |= vmwrite(vcpu, VMCS_CR4_MASK, CR4_VMXE);
	error |= vmwrite(vcpu, VMCS_CR0_MASK, CR0_NE);
	if (error != 0)
		return (EINVAL);

	/* XCR0 reset to x87 only; shadow PAT from the host. */
	vrs->vrs_crs[VCPU_REGS_XCR0] = 1;
	if (emu_rdmsr(md->cpu, MSR_CR_PAT, &md->shadow_pat) != 0)
		md->shadow_pat = 0x0007040600070406ULL;
	md->pvclock_gpa = 0;
	md->pvclock_version = 0;
	return (vcpu_writeregs_vmx(vcpu, VM_RWREGS_ALL, vrs));
}

/* --- the paravirtual clock (§16) ------------------------------------------- */


/* Is the GPA's page mapped in the VM's EPT (the nested pmap)? */
static int
ept_present(struct vm *vm, struct hostmem *hm, uint64_t gpa, uint64_t *hpa)
{
	return (npmap_extract(&vm->vm_md->pm, hm, gpa, hpa));
}

/*
 * Refresh the guest's pvclock page, if it asked for one (bit 0): skipped
 * silently while its page is not yet in the EPT.  Time is the CPU's
 * virtual time: one TSC tick per retired instruction at 1 GHz.
 */
static void
pvclock_update(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	struct hostmem *hm = vcpu_hm(vcpu);
	uint64_t hpa, now = emu_cpu_vtime(md->cpu);
	uint8_t *p;
	uint32_t version, mul = (uint32_t)((1000000000ULL << 20) /
	    PVCLOCK_TSC_HZ);

	if (!(md->pvclock_gpa & 1) ||
	    !ept_present(vcpu->vc_parent, hm, md->pvclock_gpa & ~0xFULL, &hpa) ||
	    (p = hostmem_ptr(hm, hpa, PVCLOCK_SIZE)) == NULL)
		return;
	version = (++md->pvclock_version << 1) | 1;
	memcpy(p, &version, 4);
	memcpy(p + 8, &now, 8);			/* tsc_timestamp */
	memcpy(p + 16, &now, 8);		/* system_time, ns */
	memcpy(p + 24, &mul, 4);		/* tsc_to_system_mul */
	p[28] = PVCLOCK_SHIFT;			/* tsc_shift */
	p[29] = PVCLOCK_TSC_STABLE;		/* flags */
	version &= ~1U;
	memcpy(p, &version, 4);
}

/* KVM_MSR_WALL_CLOCK: the boot time, fixed at the epoch (deterministic). */
static void
pvclock_wall(struct vcpu *vcpu, uint64_t gpa)
{
	struct hostmem *hm = vcpu_hm(vcpu);
	uint64_t hpa;
	uint32_t w[3] = { 1, 0, 0 };
	uint8_t *p;

	if (!ept_present(vcpu->vc_parent, hm, gpa, &hpa) &&
	    vm_gpa_to_hpa(vcpu->vc_parent, gpa, &hpa) != 0)
		return;
	if ((p = hostmem_ptr(hm, hpa, PVCLOCK_WALL_SIZE)) == NULL)
		return;
	memcpy(p, w, sizeof(w));
	w[0] = 2;				/* odd while writing, then even */
	memcpy(p, w, 4);
}

/* --- exit handlers (§9.2 - §9.5, §12.5, §14, §15) --------------------------- */

/*
 * Advance RIP past the instruction that exited; the STI/MOV-SS blocking
 * bits go, and RFLAGS.TF queues a #DB (§8).
 */
static int
vcpu_advance_rip(struct vcpu *vcpu, uint64_t len)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t intr;

	md->rip += len;
	if (vmwrite(vcpu, VMCS_GUEST_IA32_RIP, md->rip) != 0)
		return (EINVAL);
	intr = vmread(vcpu, VMCS_GUEST_INTERRUPTIBILITY_ST);
	if (intr & 3)
		(void)vmwrite(vcpu, VMCS_GUEST_INTERRUPTIBILITY_ST, intr & ~3ULL);
	if (vmread(vcpu, VMCS_GUEST_IA32_RFLAGS) & PSL_T) {
		md->event.vie_type = VCPU_INJECT_EX;
		md->event.vie_vector = VMM_EX_DB;
	}
	return (0);
}

static void
vcpu_queue_ex(struct vcpu *vcpu, uint8_t vector, uint32_t err)
{
	vcpu->vc_md->event.vie_type = VCPU_INJECT_EX;
	vcpu->vc_md->event.vie_vector = vector;
	vcpu->vc_md->event.vie_errorcode = err;
}

static uint64_t
guest_msr(struct vcpu *vcpu, int idx)
{
	uint64_t v;

	memcpy(&v, vcpu->vc_md->msr_save_va + 16 * idx + 8, 8);
	return (v);
}

static int
vmx_handle_cpuid(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint32_t a, b, c, d;
	uint64_t len = vmread(vcpu, VMCS_INSTRUCTION_LENGTH);

	if (vcpu_advance_rip(vcpu, len) != 0)
		return (EINVAL);
	vmm_guest_cpuid((uint32_t)md->g.r[VCPU_REGS_RAX],
	    (uint32_t)md->g.r[VCPU_REGS_RCX], vcpu->vc_id,
	    vmread(vcpu, VMCS_GUEST_IA32_CR4), md->g.xcr0,
	    guest_msr(vcpu, VCPU_REGS_MISC_ENABLE), 1, &a, &b, &c, &d);
	if (vcpu->vc_parent->vm_bare)
		vmm_nested_cpuid(vcpu, 1, (uint32_t)md->g.r[VCPU_REGS_RAX],
		    (uint32_t)md->g.r[VCPU_REGS_RCX], &a, &b, &c, &d);
	md->g.r[VCPU_REGS_RAX] = a;
	md->g.r[VCPU_REGS_RBX] = b;
	md->g.r[VCPU_REGS_RCX] = c;
	md->g.r[VCPU_REGS_RDX] = d;
	return (0);
}

/*
 * A valid IA32_PAT value: every entry a defined memory type (0, 1, 4-7),
 * for WRMSR on both vendors (#GP otherwise).
 */
int
vmm_pat_valid(uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(v >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return (0);
	}
	return (1);
}

/* RDMSR/WRMSR exits (§15.1). */
static int
vmx_handle_msr(struct vcpu *vcpu, int write)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint32_t msr = (uint32_t)md->g.r[VCPU_REGS_RCX];
	uint64_t *rax = &md->g.r[VCPU_REGS_RAX], *rdx = &md->g.r[VCPU_REGS_RDX];
	uint64_t v = (*rdx << 32) | (*rax & 0xFFFFFFFFULL);

	if (vmread(vcpu, VMCS_INSTRUCTION_LENGTH) != 2)
		return (EINVAL);
	if (!write) {
		switch (msr) {
		case MSR_BIOS_SIGN:
		case MSR_PLATFORM_ID:
			v = 0;
			break;
		case MSR_CR_PAT:
			v = md->shadow_pat;
			break;
		default:
			if (vcpu->vc_parent->vm_bare &&
			    vmm_nested_rdmsr(vcpu, 1, msr, &v) == 0)
				break;
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			return (0);		/* RIP stays */
		}
		*rax = v & 0xFFFFFFFFULL;
		*rdx = v >> 32;
		return (vcpu_advance_rip(vcpu, 2));
	}
	switch (vcpu->vc_parent->vm_bare ? vmm_nested_wrmsr(vcpu, 1, msr, v) :
	    ENOENT) {
	case 0:
		return (vcpu_advance_rip(vcpu, 2));
	case EINVAL:
		vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
		return (0);
	}
	switch (msr) {
	case MSR_CR_PAT:
		if (!vmm_pat_valid(v)) {
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			return (0);
		}
		md->shadow_pat = v;
		break;
	case MSR_MISC_ENABLE:
		/* The bits are cleared in the guest's RAX itself (quirk). */
		*rax &= ~(MISC_ENABLE_TCC | MISC_ENABLE_EIST | MISC_ENABLE_XTPR);
		break;
	case MSR_SMM_MONITOR_CTL:
		vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
		return (0);
	case KVM_MSR_SYSTEM_TIME:
		if (!pvclock_gpa_valid(vcpu->vc_parent, v, PVCLOCK_SIZE)) {
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			return (0);
		}
		md->pvclock_gpa = v;
		break;
	case KVM_MSR_WALL_CLOCK:
		if (!pvclock_gpa_valid(vcpu->vc_parent, v, PVCLOCK_WALL_SIZE)) {
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			return (0);
		}
		pvclock_wall(vcpu, v & ~0xFULL);
		break;
	default:
		break;			/* silently discarded */
	}
	return (vcpu_advance_rip(vcpu, 2));
}

/* CR access exits (§12.5). */
static int
vmx_handle_cr(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	const struct vmx_caps *caps = vcpu_caps(vcpu);
	uint64_t qual = vmread(vcpu, VMCS_GUEST_EXIT_QUALIFICATION);
	uint64_t len = vmread(vcpu, VMCS_INSTRUCTION_LENGTH);
	int cr = (int)(qual & 0xF), type = (int)((qual >> 4) & 3);
	int gpr = (int)((qual >> 8) & 0xF);
	uint64_t v, old, must1, entry;
	int i;

	if (type != 0)		/* MOV from CR, CLTS, LMSW: RIP only (quirk) */
		return (vcpu_advance_rip(vcpu, len));
	v = gpr == VCPU_REGS_RSP ? vmread(vcpu, VMCS_GUEST_IA32_RSP) :
	    md->g.r[gpr];
	switch (cr) {
	case 0:
		must1 = (uint32_t)(caps->cr0_fixed0 & caps->cr0_fixed1) &
		    ~(CR0_PE | CR0_PG);
		if ((v & must1) != must1 || (v >> 32) != 0 ||
		    ((v & CR0_PG) && !(v & CR0_PE)) ||
		    ((v & CR0_NW) && !(v & CR0_CD))) {
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			break;
		}
		old = vmread(vcpu, VMCS_GUEST_IA32_CR0);
		if (vmwrite(vcpu, VMCS_GUEST_IA32_CR0, v | CR0_NE) != 0)
			return (EINVAL);
		if (vcpu->vc_parent->vm_bare)
			vmm_nested_vmx_cr(vcpu, md->cpu, 0, v);
		if ((old & CR0_PG) && !(v & CR0_PG)) {
			struct vmx_invvpid_desc d = { vcpu->vc_vpid, 0 };

			(void)vmx_invvpid(md->cpu, 1, &d);
		}
		if (!(old & CR0_PG) && (v & CR0_PG)) {
			entry = vmread(vcpu, VMCS_ENTRY_CTLS);
			if (guest_msr(vcpu, VCPU_REGS_EFER) & EFER_LME)
				entry |= IA32_VMX_IA32E_MODE_GUEST;
			else
				entry &= ~IA32_VMX_IA32E_MODE_GUEST;
			(void)vmwrite(vcpu, VMCS_ENTRY_CTLS, entry);
			if (vmread(vcpu, VMCS_GUEST_IA32_CR4) & CR4_PAE) {
				uint64_t cr3 = vmread(vcpu, VMCS_GUEST_IA32_CR3);

				for (i = 0; i < 4; i++) {
					uint64_t hpa, pdpte = 0;

					if (vm_gpa_to_hpa(vcpu->vc_parent,
					    (cr3 & 0xFFFFFFE0ULL) + 8 * i,
					    &hpa) == 0)
						(void)hostmem_read64(vcpu_hm(vcpu),
						    hpa, &pdpte);
					(void)vmwrite(vcpu, VMCS_GUEST_PDPTE0 +
					    2 * i, pdpte);
				}
			}
		}
		break;
	case 4:
		if ((v & caps->cr4_fixed0 & ~CR4_VMXE) !=
		    (caps->cr4_fixed0 & ~CR4_VMXE) ||
		    ((v | CR4_VMXE) & ~caps->cr4_fixed1) != 0) {
			vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
			break;
		}
		if (vmwrite(vcpu, VMCS_GUEST_IA32_CR4, v | CR4_VMXE) != 0)
			return (EINVAL);
		if (vcpu->vc_parent->vm_bare)
			vmm_nested_vmx_cr(vcpu, md->cpu, 4, v);
		break;
	default:
		break;			/* CR8 writes are dropped */
	}
	return (vcpu_advance_rip(vcpu, len));
}

/* XSETBV (§15.3): RIP advances by 3 even when #GP is queued (quirk). */
static int
vmx_handle_xsetbv(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t v = (md->g.r[VCPU_REGS_RDX] << 32) |
	    (md->g.r[VCPU_REGS_RAX] & 0xFFFFFFFFULL);
	uint32_t ss_ar = (uint32_t)vmread(vcpu, VMCS_GUEST_IA32_SS_AR);

	if (vmread(vcpu, VMCS_INSTRUCTION_LENGTH) != 3)
		return (EINVAL);
	if (((ss_ar >> 5) & 3) != 0 || (md->g.r[VCPU_REGS_RCX] & 0xFFFFFFFF) ||
	    (v & ~0x3ULL) != 0)			/* host XCR0: x87 | SSE */
		vcpu_queue_ex(vcpu, VMM_EX_GP, 0);
	else
		md->g.xcr0 = v;
	return (vcpu_advance_rip(vcpu, 3));
}

/* EPT violations (§9.3). */
static int
vmx_handle_ept(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vc_parent;
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t gpa = vmread(vcpu, VMCS_GUEST_PHYSICAL_ADDRESS);
	uint64_t qual = vmread(vcpu, VMCS_GUEST_EXIT_QUALIFICATION);
	uint64_t len, hpa;
	const struct vm_mem_range *r = NULL;
	size_t i;

	for (i = 0; i < vm->vm_nmemranges; i++) {
		const struct vm_mem_range *ri = &vm->vm_memranges[i];

		if (gpa >= ri->vmr_gpa && gpa - ri->vmr_gpa < ri->vmr_size) {
			r = ri;
			break;
		}
	}
	if (r == NULL)
		return (EINVAL);		/* the guest dies */
	if (r->vmr_type == VM_MEM_MMIO) {
		len = vmread(vcpu, VMCS_INSTRUCTION_LENGTH);
		if (len < 1 || len > 15)
			return (EINVAL);
		md->exit.vee.vee_fault_type = VEE_FAULT_MMIO_ASSIST;
		md->exit.vee.vee_insn_len = (uint8_t)len;
		md->exit.vee.vee_insn_info = VEE_LEN_VALID;
		return (EAGAIN);
	}
	if (qual & 0x38) {
		/* Present: the access was not allowed, or it is a mystery. */
		if (((qual & 1) && !(qual & 0x8)) ||
		    ((qual & 2) && !(qual & 0x10)) ||
		    ((qual & 4) && !(qual & 0x20))) {
			md->exit.vee.vee_fault_type = VEE_FAULT_PROTECT;
			return (EAGAIN);
		}
		return (EINVAL);
	}
	if (gpa >= EPT_MAX_GPA || vm_gpa_to_hpa(vm, gpa, &hpa) != 0)
		return (ENOMEM);
	if (ept_enter(vm, vcpu_hm(vcpu), gpa & ~0xFFFULL, hpa) != 0)
		return (ENOMEM);
	md->exit.vee.vee_fault_type = VEE_FAULT_HANDLED;
	return (0);
}

/* IO exits (§9.5): userland does the rest. */
static int
vmx_handle_io(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t qual = vmread(vcpu, VMCS_GUEST_EXIT_QUALIFICATION);

	md->exit.vei.vei_size = (uint8_t)((qual & 7) + 1);
	md->exit.vei.vei_dir = (qual & 8) ? VEI_DIR_IN : VEI_DIR_OUT;
	md->exit.vei.vei_string = (qual >> 4) & 1;
	md->exit.vei.vei_rep = (qual >> 5) & 1;
	md->exit.vei.vei_encoding = (qual >> 6) & 1;
	md->exit.vei.vei_port = (uint16_t)(qual >> 16);
	md->exit.vei.vei_data = (uint32_t)md->g.r[VCPU_REGS_RAX];
	md->exit.vei.vei_insn_len = (uint8_t)vmread(vcpu,
	    VMCS_INSTRUCTION_LENGTH);
	return (EAGAIN);
}

/* vmx_handle_exit (§9.2): 0 to go on, EAGAIN to userland, else fatal. */
static int
vmx_handle_exit(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t rflags = vmread(vcpu, VMCS_GUEST_IA32_RFLAGS);

	switch (md->exit_reason) {
	case VMX_EXIT_INT_WINDOW:
		if (!(rflags & PSL_I))
			return (EINVAL);
		return (EAGAIN);
	case VMX_EXIT_EPT_VIOLATION:
		return (vmx_handle_ept(vcpu));
	case VMX_EXIT_CPUID:
		return (vmx_handle_cpuid(vcpu));
	case VMX_EXIT_IO:
		return (vmx_handle_io(vcpu));
	case VMX_EXIT_EXTINT:
		return (0);		/* the host's interrupt, taken */
	case VMX_EXIT_CR_ACCESS:
		return (vmx_handle_cr(vcpu));
	case VMX_EXIT_HLT:
		if (vmread(vcpu, VMCS_INSTRUCTION_LENGTH) != 1)
			return (EINVAL);
		if (!(rflags & PSL_I))
			return (EIO);	/* halted with interrupts off */
		if (vcpu_advance_rip(vcpu, 1) != 0)
			return (EINVAL);
		return (EAGAIN);
	case VMX_EXIT_RDMSR:
		return (vmx_handle_msr(vcpu, 0));
	case VMX_EXIT_WRMSR:
		return (vmx_handle_msr(vcpu, 1));
	case VMX_EXIT_XSETBV:
		return (vmx_handle_xsetbv(vcpu));
	case VMX_EXIT_MWAIT: case VMX_EXIT_MONITOR: case VMX_EXIT_VMXON:
	case VMX_EXIT_VMWRITE: case VMX_EXIT_VMREAD: case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMRESUME: case VMX_EXIT_VMPTRLD: case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMCALL: case VMX_EXIT_VMFUNC:
	case VMX_EXIT_VMXOFF: case VMX_EXIT_INVVPID: case VMX_EXIT_INVEPT:
		if (vcpu->vc_parent->vm_bare && md->exit_reason != VMX_EXIT_MWAIT &&
		    md->exit_reason != VMX_EXIT_MONITOR) {
			struct vmm_nested_vmx o = { md->cpu, &md->g,
			    vcpu_hm(vcpu), md->msr_exit_save, VCPU_REGS_EFER };

			return (vmm_nested_vmx_exit(vcpu, &o, md->exit_reason));
		}
		vcpu_queue_ex(vcpu, VMM_EX_UD, 0);
		return (0);
	case VMX_EXIT_TRIPLE_FAULT:
		return (EAGAIN);
	default:
		vmm_printf("vmx_handle_exit: unhandled exit %u\n",
		    md->exit_reason);
		return (EINVAL);
	}
}

/* --- the run loop (§8, §9.1, §11) ------------------------------------------- */

/* The entry's event injection for a queued exception (§9.1 step 3). */
static int
vcpu_inject_ex(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint8_t v = md->event.vie_vector;
	uint32_t info = v | (1U << 31), err = md->event.vie_errorcode;
	int error = 0;

	switch (v) {
	case VMM_EX_BP:
	case VMM_EX_OF:
		info |= 4U << 8;	/* length never programmed (quirk) */
		break;
	case VMM_EX_AC:
		err = 0;
		/* FALLTHROUGH */
	case VMM_EX_DF: case VMM_EX_TS: case VMM_EX_NP: case VMM_EX_SS:
	case VMM_EX_GP: case VMM_EX_PF:
		info |= 3U << 8;
		if (vmread(vcpu, VMCS_GUEST_IA32_CR0) & CR0_PE) {
			info |= 1U << 11;
			error |= vmwrite(vcpu, VMCS_ENTRY_EXCEPTION_ERROR_CODE, err);
		}
		break;
	default:
		break;			/* type 0: an external interrupt (quirk) */
	}
	error |= vmwrite(vcpu, VMCS_ENTRY_INTERRUPTION_INFO, info);
	md->event.vie_type = VCPU_INJECT_NONE;
	return (error);
}

/* The event an exit interrupted, delivered again (SDM 27.2.4). */
static int
vcpu_redeliver(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint32_t info = md->vect_info & (VECT_VALID | 0xFFF), type;
	int error = 0;

	info &= ~(1U << 12);		/* NMI unblocking: not an entry bit */
	type = (info >> 8) & 7;
	if (info & (1U << 11))
		error |= vmwrite(vcpu, VMCS_ENTRY_EXCEPTION_ERROR_CODE,
		    md->vect_err);
	if (type == 4 || type == 5 || type == 6)
		error |= vmwrite(vcpu, VMCS_ENTRY_INSTRUCTION_LENGTH,
		    md->vect_len);
	error |= vmwrite(vcpu, VMCS_ENTRY_INTERRUPTION_INFO, info);
	md->vect_info = 0;
	return (error);
}

/* A failed VM entry explains itself on the console. */
static void
log_entry_failure(struct emu_cpu *cpu)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	vmx_explain_entry_failure(cpu, fp);
	fclose(fp);
	vmm_printf("%s", buf);
	free(buf);
}

/* The exit snapshot (§7.2): every group, and the CPL from SS.DPL. */
static int
vcpu_snapshot(struct vcpu *vcpu)
{
	struct vcpu_md *md = vcpu->vc_md;
	uint64_t cr0;

	if (vcpu_readregs_vmx(vcpu, VM_RWREGS_ALL, &md->exit.vrs) != 0)
		return (EINVAL);
	/* The VMREADs of GUEST_CR0 and GUEST_SS_AR readregs just made. */
	cr0 = md->exit.vrs.vrs_crs[VCPU_REGS_CR0];
	md->exit.cpl = (cr0 & CR0_PE) ? (int)((md->exit.vrs.vrs_sregs[
	    VCPU_REGS_SS].vsi_ar >> 5) & 3) : 0;
	return (0);
}

/*
 * vcpu_run_vmx: complete the previous exit with what userland passed,
 * inject, and run the guest until something needs userland (EAGAIN), the
 * thread must stop (0), or the guest or the monitor fails (an errno).
 */
int
vcpu_run_vmx(struct vcpu *vcpu, struct vm_run_params *vrp)
{
	struct vcpu_md *md = vcpu->vc_md;
	struct vm_exit *ue = &md->exit;	/* holds the copied-in vm_exit */
	struct vmx_invept_desc ed;
	struct vmx_invvpid_desc vd;
	enum vmx_result r;
	uint64_t proc, intr, rflags, stop_at;
	int ret = 0, i, resumed, held;

	if (vcpu_reload_vmcs(vcpu) != 0)
		return (EINVAL);
	vmm_trace_tlb_check(vcpu, md->cpu);
	__atomic_store_n(&vcpu->vc_intr, vrp->vrp_intr_pending ? 1 : 0,
	    __ATOMIC_RELAXED);

	/* Complete the previous exit (§8 step 2). */
	switch (md->exit_reason) {
	case VMX_EXIT_IO:
		if (ue->vei.vei_dir == VEI_DIR_IN)
			md->g.r[VCPU_REGS_RAX] = ue->vei.vei_data;
		md->rip = ue->vrs.vrs_gprs[VCPU_REGS_RIP];
		if (vmwrite(vcpu, VMCS_GUEST_IA32_RIP, md->rip) != 0)
			return (EINVAL);
		break;
	case VMX_EXIT_EPT_VIOLATION:
		for (i = 0; i < 16; i++)
			md->g.r[i] = ue->vrs.vrs_gprs[i];
		md->rip = ue->vrs.vrs_gprs[VCPU_REGS_RIP];
		if (vmwrite(vcpu, VMCS_GUEST_IA32_RIP, md->rip) != 0 ||
		    vmwrite(vcpu, VMCS_GUEST_IA32_RSP,
		    ue->vrs.vrs_gprs[VCPU_REGS_RSP]) != 0 ||
		    vmwrite(vcpu, VMCS_GUEST_IA32_RFLAGS,
		    ue->vrs.vrs_gprs[VCPU_REGS_RFLAGS]) != 0)
			return (EINVAL);
		break;
	default:
		break;
	}
	memset(ue, 0, sizeof(*ue));

	/*
	 * External interrupt injection, once, before the loop (§11); not
	 * while an event whose delivery an exit interrupted is still owed.
	 */
	proc = vmread(vcpu, VMCS_PROCBASED_CTLS);
	if (md->event.vie_type == VCPU_INJECT_INTR &&
	    !(md->vect_info & VECT_VALID)) {
		intr = vmread(vcpu, VMCS_GUEST_INTERRUPTIBILITY_ST);
		if (!(intr & 3) && vcpu->vc_irqready) {
			if (vmwrite(vcpu, VMCS_ENTRY_INTERRUPTION_INFO,
			    md->event.vie_vector | (1U << 31)) != 0)
				return (EINVAL);
			md->event.vie_type = VCPU_INJECT_NONE;
		}
	} else if (!__atomic_load_n(&vcpu->vc_intr, __ATOMIC_RELAXED) &&
	    (proc & IA32_VMX_INTERRUPT_WINDOW_EXITING)) {
		proc &= ~IA32_VMX_INTERRUPT_WINDOW_EXITING;
		if (vmwrite(vcpu, VMCS_PROCBASED_CTLS, proc) != 0)
			return (EINVAL);
	}

	while (ret == 0) {
		pvclock_update(vcpu);
		if (!md->ran) {
			/* First time on this CPU: host fields, INVEPT. */
			md->ran = 1;
			ed.eptp = vmread(vcpu, VMCS_GUEST_IA32_EPTP);
			ed.reserved = 0;
			if (vmx_invept(md->cpu, 1, &ed) != VMX_SUCCEED)
				(void)vmx_invept(md->cpu, 2, &ed);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_CR3,
			    emu_read_cr(md->cpu, 3));
			(void)vmwrite(vcpu, VMCS_HOST_IA32_GDTR_BASE,
			    HOST_GDT_BASE);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_TR_BASE, HOST_TSS_BASE);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_GS_BASE, HOST_GS_BASE);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_FS_BASE, HOST_FS_BASE);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_RIP, HOST_RIP);
			(void)vmwrite(vcpu, VMCS_HOST_IA32_RSP, HOST_RSP);
		}
		if (md->vect_info & VECT_VALID) {
			if (vcpu_redeliver(vcpu) != 0)
				return (EINVAL);
		} else if (md->event.vie_type == VCPU_INJECT_EX &&
		    vcpu_inject_ex(vcpu) != 0)
			return (EINVAL);
		if (vcpu->vc_vpid != 0 && (vmread(vcpu, VMCS_PROCBASED2_CTLS) &
		    IA32_VMX_ENABLE_VPID)) {
			vd.vpid = vcpu->vc_vpid;
			vd.linear = 0;
			(void)vmx_invvpid(md->cpu, 3, &vd);
		}
		/* An XCR0 the host cannot load kills the vcpu. */
		if ((md->g.xcr0 & ~0x3ULL) != 0 || !(md->g.xcr0 & 1))
			return (EINVAL);

		md->g.r[VCPU_REGS_RSP] = 0;
		emu_cpu_set_stop_at(md->cpu, __atomic_load_n(&vcpu->vc_stop_at,
		    __ATOMIC_RELAXED));
		r = md->launched ? vmx_vmresume(md->cpu, &md->g) :
		    vmx_vmlaunch(md->cpu, &md->g);
		if (r != VMX_SUCCEED) {
			vmm_printf("vcpu_run_vmx: VM entry failed: %d, "
			    "VM-instruction error %u\n", r,
			    vmx_last_error(md->cpu));
			log_entry_failure(md->cpu);
			if (vcpu->vc_trace != NULL)
				vmm_trace_entry_fail_vmx(vcpu, md->cpu,
				    vcpu_hm(vcpu), md->launched, r);
			return (EINVAL);
		}
		resumed = md->launched;
		md->launched = 1;
		md->exit_reason = (uint32_t)vmread(vcpu, VMCS_EXIT_REASON);
		md->rip = vmread(vcpu, VMCS_GUEST_IA32_RIP);
		rflags = vmread(vcpu, VMCS_GUEST_IA32_RFLAGS);
		if (md->exit_reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
			vmm_printf("vcpu_run_vmx: VM entry failed, exit "
			    "reason %#x\n", md->exit_reason);
			log_entry_failure(md->cpu);
			if (vcpu->vc_trace != NULL)
				vmm_trace_entry_fail_vmx(vcpu, md->cpu,
				    vcpu_hm(vcpu), resumed, r);
			return (EINVAL);
		}

		/*
		 * An exit in the middle of delivering an event (an EPT
		 * violation on the guest's stack, most often) owes the guest
		 * that event (SDM 27.2.4).  OpenBSD ignores it and the event
		 * is lost (quirk); with VMMSIM_OPEN_REDELIVER it is delivered
		 * again on the next entry.
		 */
		md->vect_info = vcpu->vc_parent->vm_redeliver ?
		    (uint32_t)vmread(vcpu, VMCS_IDT_VECTORING_INFO) : 0;
		if (md->vect_info & VECT_VALID) {
			md->vect_err = (uint32_t)vmread(vcpu,
			    VMCS_IDT_VECTORING_ERROR_CODE);
			md->vect_len = (uint32_t)vmread(vcpu,
			    VMCS_INSTRUCTION_LENGTH);
		}

		if (vcpu->vc_trace == NULL)
			ret = vmx_handle_exit(vcpu);
		else {
			struct vmm_trace_exit te;

			vmm_trace_exit_vmx(vcpu, md->cpu, vcpu_hm(vcpu), &te);
			ret = vmx_handle_exit(vcpu);
			vmm_trace_exit_done(vcpu, &te, ret, &md->event);
		}

		/* Owing the guest an event, it cannot take an interrupt. */
		vcpu->vc_irqready = ((rflags & PSL_I) &&
		    !(md->vect_info & VECT_VALID)) ? 1 : 0;
		/* Bare metal: none into L1 while L2 is stopped unseen. */
		held = vcpu->vc_parent->vm_bare && vmm_nested_holds_irq(vcpu);
		if (held)
			vcpu->vc_irqready = 0;
		if (!vcpu->vc_irqready && !held &&
		    __atomic_load_n(&vcpu->vc_intr, __ATOMIC_RELAXED)) {
			proc = vmread(vcpu, VMCS_PROCBASED_CTLS);
			if (!(proc & IA32_VMX_INTERRUPT_WINDOW_EXITING))
				(void)vmwrite(vcpu, VMCS_PROCBASED_CTLS,
				    proc | IA32_VMX_INTERRUPT_WINDOW_EXITING);
		}
		if (ret != 0 || vcpu_must_stop(vcpu))
			break;
		/* vmmsim's extension: back to the caller at its time. */
		stop_at = __atomic_load_n(&vcpu->vc_stop_at, __ATOMIC_RELAXED);
		if (stop_at != 0 && emu_cpu_vtime(md->cpu) >= stop_at)
			break;
		if (vcpu->vc_irqready &&
		    __atomic_load_n(&vcpu->vc_intr, __ATOMIC_RELAXED)) {
			ret = EAGAIN;
			break;
		}
	}
	if (vcpu_snapshot(vcpu) != 0)
		return (EINVAL);
	return (ret);
}

/* VMM_IOC_INTR from another thread: a host interrupt on the vcpu's CPU. */
void
vcpu_kick_vmx(struct vcpu *vcpu)
{
	if (vcpu->vc_md != NULL && vcpu->vc_md->cpu != NULL)
		emu_cpu_kick(vcpu->vc_md->cpu);
	if (vcpu->vc_parent->vm_bare)
		vmm_nested_kick(vcpu);
}

/* What READVMPARAMS / WRITEVMPARAMS reach (§16), and the event to queue. */
void
vcpu_vmparams_vmx(struct vcpu *vcpu, uint64_t **gpa, uint32_t **version,
    struct vcpu_inject_event **event)
{
	struct vcpu_md *md = vcpu->vc_md;

	*gpa = &md->pvclock_gpa;
	*version = &md->pvclock_version;
	*event = &md->event;
}

/* Accessors for vm_run (vmm_machdep.c). */
struct vm_exit *
vcpu_exit_vmx(struct vcpu *vcpu)
{
	return (&vcpu->vc_md->exit);
}

void
vcpu_set_event_vmx(struct vcpu *vcpu, const struct vcpu_inject_event *e)
{
	vcpu->vc_md->event.vie_type = e->vie_type;
	vcpu->vc_md->event.vie_vector = e->vie_vector;
	vcpu->vc_md->event.vie_errorcode = e->vie_errorcode;
}

uint32_t
vcpu_last_exit_vmx(struct vcpu *vcpu)
{
	return (vcpu->vc_md->exit_reason);
}

/* Virtual time of the vcpu's CPU: retired instructions = ns at 1 GHz. */
uint64_t
vcpu_vtime_vmx(struct vcpu *vcpu)
{
	return (emu_cpu_vtime(vcpu->vc_md->cpu));
}

/* The vcpu's CPU, and the HPA of each memory range (0: none). */
struct emu_cpu *
vcpu_emu_vmx(struct vcpu *vcpu, const uint64_t **slot_hpa)
{
	*slot_hpa = vcpu->vc_parent->vm_md->pm.slot_hpa;
	return (vcpu->vc_md->cpu);
}

/*
 * vmmsim_vcpu_snap_save/_restore (vmm_snap.c) for VMX: the guest fields
 * vm_rwregs lacks, in the order docs/snapshot-format.md lists, and the
 * monitor's own software state.  Restore is into a vcpu that never ran,
 * so VMLAUNCH on a clear VMCS follows, as after a migration.
 */
static const uint32_t snap_fields_vmx[] = {
	VMCS_GUEST_INTERRUPTIBILITY_ST, VMCS_GUEST_ACTIVITY_STATE,
	VMCS_GUEST_PENDING_DBG_EXC, VMCS_GUEST_IA32_SYSENTER_CS,
	VMCS_GUEST_IA32_SYSENTER_ESP, VMCS_GUEST_IA32_SYSENTER_EIP,
	VMCS_GUEST_IA32_DEBUGCTL, VMCS_GUEST_IA32_PAT, VMCS_TSC_OFFSET,
	VMCS_PROCBASED_CTLS,
};

int
vcpu_snap_vmx(struct vcpu *vcpu, struct vmmsim_vcpu_snap *vs, int write)
{
	struct vcpu_md *md = vcpu->vc_md;
	size_t i, n = sizeof(snap_fields_vmx) / sizeof(snap_fields_vmx[0]);

	if (vcpu_reload_vmcs(vcpu) != 0)
		return (EINVAL);
	if (!write) {
		/* The next RUN would complete this exit with its result. */
		if (md->exit_reason == VMX_EXIT_IO ||
		    md->exit_reason == VMX_EXIT_EPT_VIOLATION)
			return (EBUSY);
		memset(vs, 0, sizeof(*vs));
		vs->vs_exit_reason = md->exit_reason;
		vs->vs_vtime = emu_cpu_vtime(md->cpu);
		vs->vs_shadow_pat = md->shadow_pat;
		vs->vs_event_type = md->event.vie_type;
		vs->vs_event_vector = md->event.vie_vector;
		vs->vs_event_error = md->event.vie_errorcode;
		vs->vs_redeliver[0] = md->vect_info;
		vs->vs_redeliver[1] = md->vect_err;
		vs->vs_redeliver[2] = md->vect_len;
		vs->vs_rng = emu_cpu_rng(md->cpu);
		vs->vs_cr2 = md->g.cr2;
		for (i = 0; i < n; i++)
			vs->vs_field[i] = vmread(vcpu, snap_fields_vmx[i]);
		return (emu_fpu_save(md->cpu, vs->vs_fpu) != 0 ? EIO : 0);
	}
	if (md->launched)
		return (EBUSY);
	for (i = 0; i < n; i++)
		if (vmwrite(vcpu, snap_fields_vmx[i], vs->vs_field[i]) != 0)
			return (EINVAL);
	if (emu_fpu_restore(md->cpu, vs->vs_fpu) != 0)
		return (EIO);
	emu_cpu_set_vtime(md->cpu, vs->vs_vtime);
	emu_cpu_set_rng(md->cpu, vs->vs_rng);
	/* CR2 is not in the VMCS, and WRITEREGS does not write it (quirk). */
	md->g.cr2 = vs->vs_cr2;
	md->exit_reason = vs->vs_exit_reason;
	md->shadow_pat = vs->vs_shadow_pat;
	md->event.vie_type = (uint8_t)vs->vs_event_type;
	md->event.vie_vector = (uint8_t)vs->vs_event_vector;
	md->event.vie_errorcode = vs->vs_event_error;
	md->vect_info = (uint32_t)vs->vs_redeliver[0];
	md->vect_err = (uint32_t)vs->vs_redeliver[1];
	md->vect_len = (uint32_t)vs->vs_redeliver[2];
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
vcpu_snap_pages_vmx(struct vcpu *vcpu, uint64_t gpa, uint64_t npages,
    uint8_t *bm, int map)
{
	struct vm *vm = vcpu->vc_parent;
	struct hostmem *hm = vcpu_hm(vcpu);
	uint64_t i, a, hpa;

	for (i = 0; i < npages; i++) {
		a = gpa + i * 4096;
		if (!map) {
			if (ept_present(vm, hm, a, &hpa))
				bm[i / 8] |= (uint8_t)(1U << (i % 8));
			continue;
		}
		if (!(bm[i / 8] & (1U << (i % 8))))
			continue;
		if (a >= EPT_MAX_GPA || vm_gpa_to_hpa(vm, a, &hpa) != 0)
			return (EINVAL);
		if (ept_enter(vm, hm, a, hpa) != 0)
			return (ENOMEM);
	}
	return (0);
}
