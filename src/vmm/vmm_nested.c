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
 * Bare-metal mode: the guest's own VMX and SVM instructions, carried out
 * on an inner simulated machine (docs/bare-metal.md).
 *
 * The guest ("L1") runs as an ordinary VM on the outer simulated CPU.
 * Every VMX instruction exits there unconditionally, every SVM
 * instruction is intercepted; the monitor hands the exit to this file,
 * which decodes the instruction's operands from L1's memory and performs
 * it with the same src/emu call that src/vmm uses for its own VMCS, on an
 * inner host (struct emu_host) whose physical address space is L1's
 * guest-physical memory, page for page.  So L1's VMXON region, VMCS,
 * bitmaps, EPT tables, VMCB and NPT tables are wherever L1 put them, and
 * the inner CPU walks them as it walks src/vmm's.  VMLAUNCH, VMRESUME and
 * VMRUN run L1's guest ("L2") on the inner CPU until it exits; then L1
 * goes on from the host state its VMCS (or its VMCB's host save area)
 * names, with L2's general-purpose registers, as on hardware.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "vmm.h"
#include "vmm_nested.h"
#include "vmm_svm.h"
#include "vmm_trace.h"
#include "vmm_vmx.h"
#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/svm_vmcb.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#define MAX_INSN		15
#ifndef nitems
#define nitems(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define PTE_P			0x001ULL
#define PTE_PS			0x080ULL
#define PTE_ADDR		0x000FFFFFFFFFF000ULL

#define CPUIDECX_VMX		(1U << 5)	/* leaf 1 */
#define CPUIDECX_SVM		(1U << 2)	/* leaf 0x80000001 */

/* Segment access rights in the VMCS format (SDM Vol. 3C §25.4.1). */
#define AR_CODE64		0xA09BU	/* code, accessed, P, L, G */
#define AR_CODE32		0xC09BU	/* code, accessed, P, D, G */
#define AR_DATA			0xC093U	/* data, accessed, P, D/B, G */
#define AR_TSS_BUSY		0x008BU	/* 64-bit busy TSS, P */
#define AR_UNUSABLE		0x10000U

struct vmm_nested {
	struct emu_host	*host;		/* [l] the inner machine */
	struct emu_cpu	*cpu;		/* [l] its CPU, running L2 */
	uint64_t	 feature_control; /* [l] L1's IA32_FEATURE_CONTROL */
	int		 vmx_on;	/* [l] L1 is in VMX operation */
	int		 svme;		/* [l] L1's EFER.SVME */
	uint64_t	 scratch;	/* [l] inner HPA: a VMCB for L1's state */
	int		 l2_live;	/* [l] L2 stopped unseen, to go on */
	struct emu_gprs	 l2g;		/* [l] its GPRs meanwhile */
	uint64_t	 exitinfo[16];	/* [l] L1's exit fields, kept */
	int		 gif;		/* [l] L1's GIF before its VMRUN */
};

/*
 * The inner CPU's host tick: as the monitor's (VMX_HOST_TICK,
 * SVM_HOST_TICK), so L2 comes back to the outer run loop as often as L1
 * would, at the same virtual times.
 */
#define NESTED_HOST_TICK	1000000ULL

/* The exit-information fields a stop of L2 that L1 does not see keeps. */
static const uint32_t vmx_exit_fields[] = {
	VMCS_INSTRUCTION_ERROR, VMCS_EXIT_REASON, VMCS_EXIT_INTERRUPTION_INFO,
	VMCS_EXIT_INTERRUPTION_ERR_CODE, VMCS_IDT_VECTORING_INFO,
	VMCS_IDT_VECTORING_ERROR_CODE, VMCS_INSTRUCTION_LENGTH,
	VMCS_EXIT_INSTRUCTION_INFO, VMCS_GUEST_EXIT_QUALIFICATION,
	VMCS_IO_RCX, VMCS_IO_RSI, VMCS_IO_RDI, VMCS_IO_RIP,
	VMCS_GUEST_LINEAR_ADDRESS, VMCS_GUEST_PHYSICAL_ADDRESS
};
static const unsigned svm_exit_fields[] = {
	VMCB_EXITCODE, VMCB_EXITINFO1, VMCB_EXITINFO2, VMCB_EXITINTINFO,
	VMCB_NRIP
};

/* --- the inner machine --------------------------------------------------- */

/*
 * The inner machine of a vcpu, made at its first VMX or SVM instruction:
 * the outer host's CPU profile, and every RAM range of the VM added at
 * its GPA.  NULL with *errorp set when it cannot be made.
 */
static struct vmm_nested *
nested_get(struct vcpu *vcpu, int vmx, int *errorp)
{
	struct vmm_nested *n = vcpu->vc_nested;
	struct vm *vm = vcpu->vc_parent;
	struct vm_mem_range *r;
	struct emu_cpu *cpu;
	size_t i;
	int error = 0;

	if (n != NULL && n->cpu != NULL)
		return (n);
	if (n == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL) {
			*errorp = ENOMEM;
			return (NULL);
		}
		__atomic_store_n(&vcpu->vc_nested, n, __ATOMIC_RELEASE);
	}
	if ((n->host = emu_host_create(vmx ? NULL : "amd", &error)) == NULL)
		goto fail;
	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		if (vm->vm_memory_slot[i] == NULL || r->vmr_type == VM_MEM_MMIO)
			continue;
		if ((error = hostmem_add_ram_at(emu_host_mem(n->host),
		    vm->vm_memory_slot[i]->mo_kva, r->vmr_size,
		    r->vmr_gpa)) != 0)
			goto fail;
	}
	if ((cpu = emu_cpu_create(n->host, &error)) == NULL)
		goto fail;
	/* Host interrupts stop L2 whatever L1's controls (below). */
	emu_cpu_set_host_exits(cpu, 1);
	emu_cpu_set_host_tick(cpu, NESTED_HOST_TICK);
	__atomic_store_n(&n->cpu, cpu, __ATOMIC_RELEASE);
	return (n);
fail:
	if (n->host != NULL)
		emu_host_destroy(n->host);
	n->host = NULL;
	*errorp = error ? error : ENOMEM;
	return (NULL);
}

void
vmm_nested_free(struct vcpu *vcpu)
{
	struct vmm_nested *n = vcpu->vc_nested;

	if (n == NULL)
		return;
	if (n->cpu != NULL)
		emu_cpu_destroy(n->cpu);
	if (n->scratch != 0)
		hostmem_free(emu_host_mem(n->host), n->scratch, 1);
	if (n->host != NULL)
		emu_host_destroy(n->host);
	free(n);
	vcpu->vc_nested = NULL;
}

/*
 * VMM_IOC_INTR from another thread: the host interrupt reaches L2 too,
 * which goes back to the outer run loop as L1 would.
 */
void
vmm_nested_kick(struct vcpu *vcpu)
{
	struct vmm_nested *n;
	struct emu_cpu *cpu;

	n = __atomic_load_n(&vcpu->vc_nested, __ATOMIC_ACQUIRE);
	if (n != NULL &&
	    (cpu = __atomic_load_n(&n->cpu, __ATOMIC_ACQUIRE)) != NULL)
		emu_cpu_kick(cpu);
}

/*
 * vmmsim_guest_written for the guest's own guests: the inner machine's
 * host-physical memory is the VM's guest memory, address for address.
 */
void
vmm_nested_host_wrote(struct vcpu *vcpu, uint64_t gpa, uint64_t len)
{
	struct vmm_nested *n = vcpu->vc_nested;

	if (n != NULL && n->cpu != NULL)
		emu_cpu_host_wrote(n->cpu, gpa, len);
}

int
vmm_nested_holds_irq(struct vcpu *vcpu)
{
	struct vmm_nested *n = vcpu->vc_nested;

	if (n == NULL || n->cpu == NULL)
		return (0);
	return (n->l2_live || !svm_gif(n->cpu));
}

/*
 * Around a run of L2: the inner CPU goes on from the outer vcpu's virtual
 * time, with the outer stop time (vmmsim_vcpu_stop_at); after it, L2's
 * instructions are the outer vcpu's time too.
 */
static void
inner_time_in(struct vcpu *vcpu, struct vmm_nested *n, struct emu_cpu *outer)
{
	emu_cpu_set_vtime(n->cpu, emu_cpu_vtime(outer));
	emu_cpu_set_stop_at(n->cpu, __atomic_load_n(&vcpu->vc_stop_at,
	    __ATOMIC_RELAXED));
}

static void
inner_time_out(struct vmm_nested *n, struct emu_cpu *outer)
{
	emu_cpu_set_vtime(outer, emu_cpu_vtime(n->cpu));
}

/* The state bare-metal mode keeps even before any VMX instruction. */
static struct vmm_nested *
nested_state(struct vcpu *vcpu)
{
	if (vcpu->vc_nested == NULL)
		vcpu->vc_nested = calloc(1, sizeof(struct vmm_nested));
	return (vcpu->vc_nested);
}

/* --- L1's memory ---------------------------------------------------------- */

/* len bytes of L1's guest-physical memory at gpa, in one RAM range. */
static uint8_t *
l1_phys(struct vcpu *vcpu, uint64_t gpa, size_t len)
{
	struct vm *vm = vcpu->vc_parent;
	struct vm_mem_range *r;
	size_t i;

	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		if (vm->vm_memory_slot[i] == NULL || r->vmr_type == VM_MEM_MMIO)
			continue;
		if (gpa >= r->vmr_gpa && len <= r->vmr_size &&
		    gpa - r->vmr_gpa <= r->vmr_size - len)
			return ((uint8_t *)vm->vm_memory_slot[i]->mo_kva +
			    (gpa - r->vmr_gpa));
	}
	return (NULL);
}

/* L1's paging state, for the walk below. */
struct l1_paging {
	uint64_t	cr0, cr3, cr4, efer;
};

/*
 * Translate an L1 linear address through L1's page tables (none, 32-bit,
 * PAE or 4-level).  Rights are not checked: a VMX or SVM instruction runs
 * at CPL 0, and its operands are in the kernel's own memory.  0, or
 * EFAULT where L1 would take a page fault.
 */
static int
l1_walk(struct vcpu *vcpu, const struct l1_paging *pg, uint64_t la,
    uint64_t *gpa)
{
	uint64_t e, table;
	uint8_t *p;
	int level, shift;

	if (!(pg->cr0 & CR0_PG)) {
		*gpa = la & 0xFFFFFFFFULL;
		return (0);
	}
	if (!(pg->cr4 & CR4_PAE)) {
		uint32_t e32;

		la &= 0xFFFFFFFFULL;
		if ((p = l1_phys(vcpu, (pg->cr3 & 0xFFFFF000ULL) +
		    4 * (la >> 22), 4)) == NULL)
			return (EFAULT);
		memcpy(&e32, p, 4);
		if (!(e32 & PTE_P))
			return (EFAULT);
		if ((e32 & PTE_PS) && (pg->cr4 & CR4_PSE)) {
			*gpa = (e32 & 0xFFC00000U) | (la & 0x3FFFFF);
			return (0);
		}
		if ((p = l1_phys(vcpu, (e32 & 0xFFFFF000U) +
		    4 * ((la >> 12) & 0x3FF), 4)) == NULL)
			return (EFAULT);
		memcpy(&e32, p, 4);
		if (!(e32 & PTE_P))
			return (EFAULT);
		*gpa = (e32 & 0xFFFFF000U) | (la & 0xFFF);
		return (0);
	}
	if (pg->efer & EFER_LMA) {
		level = 4;
		table = pg->cr3 & PTE_ADDR;
	} else {
		la &= 0xFFFFFFFFULL;
		if ((p = l1_phys(vcpu, (pg->cr3 & 0xFFFFFFE0ULL) +
		    8 * (la >> 30), 8)) == NULL)
			return (EFAULT);
		memcpy(&e, p, 8);
		if (!(e & PTE_P))
			return (EFAULT);
		level = 2;
		table = e & PTE_ADDR;
	}
	for (; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if ((p = l1_phys(vcpu, table + 8 * ((la >> shift) & 0x1FF),
		    8)) == NULL)
			return (EFAULT);
		memcpy(&e, p, 8);
		if (!(e & PTE_P))
			return (EFAULT);
		if (level == 1 || ((e & PTE_PS) && level <= 3)) {
			*gpa = (e & PTE_ADDR & ~((1ULL << shift) - 1)) |
			    (la & ((1ULL << shift) - 1));
			return (0);
		}
		table = e & PTE_ADDR;
	}
	return (EFAULT);
}

/* Copy between L1's linear memory and buf, page by page. */
static int
l1_copy(struct vcpu *vcpu, const struct l1_paging *pg, uint64_t la,
    void *buf, size_t len, int write)
{
	uint64_t gpa;
	size_t chunk;
	uint8_t *p, *b = buf;

	while (len > 0) {
		chunk = 4096 - (la & 0xFFF);
		if (chunk > len)
			chunk = len;
		if (l1_walk(vcpu, pg, la, &gpa) != 0 ||
		    (p = l1_phys(vcpu, gpa, chunk)) == NULL)
			return (EFAULT);
		if (write)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		la += chunk;
		b += chunk;
		len -= chunk;
	}
	return (0);
}

/* --- VMX: L1's state in the outer VMCS ------------------------------------ */

static uint64_t
ovr(const struct vmm_nested_vmx *o, uint32_t field)
{
	uint64_t v = 0;

	(void)vmx_vmread(o->cpu, field, &v);
	return (v);
}

static void
ovw(const struct vmm_nested_vmx *o, uint32_t field, uint64_t v)
{
	(void)vmx_vmwrite(o->cpu, field, v);
}

static uint64_t
l1_efer(const struct vmm_nested_vmx *o)
{
	uint64_t v = 0;

	(void)hostmem_read64(o->hm, o->msr_area + 16 * o->efer_slot + 8, &v);
	return (v);
}

/*
 * A control register as L1 has it: the bits the outer VMCS owns (CR0.NE,
 * CR4.VMXE) are L1's in the read shadow (vmm_nested_vmx_cr).
 */
static uint64_t
l1_cr(const struct vmm_nested_vmx *o, int cr)
{
	uint64_t v, mask, shadow;

	v = ovr(o, cr == 0 ? VMCS_GUEST_IA32_CR0 : VMCS_GUEST_IA32_CR4);
	mask = ovr(o, cr == 0 ? VMCS_CR0_MASK : VMCS_CR4_MASK);
	shadow = ovr(o, cr == 0 ? VMCS_CR0_READ_SHADOW : VMCS_CR4_READ_SHADOW);
	return ((v & ~mask) | (shadow & mask));
}

static void
l1_paging_vmx(const struct vmm_nested_vmx *o, struct l1_paging *pg)
{
	pg->cr0 = ovr(o, VMCS_GUEST_IA32_CR0);
	pg->cr3 = ovr(o, VMCS_GUEST_IA32_CR3);
	pg->cr4 = ovr(o, VMCS_GUEST_IA32_CR4);
	pg->efer = l1_efer(o);
}

/* Queue #UD or #GP(0) for L1 on the next entry; RIP stays. */
static void
vmx_inject(const struct vmm_nested_vmx *o, uint8_t vector)
{
	uint32_t info = vector | (3U << 8) | (1U << 31);

	if (vector == VMM_EX_GP || vector == VMM_EX_PF) {
		info |= 1U << 11;
		ovw(o, VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0);
	}
	ovw(o, VMCS_ENTRY_INTERRUPTION_INFO, info);
}

/* Past the instruction, with the arithmetic flags a VMX result sets. */
static void
vmx_complete(const struct vmm_nested_vmx *o, enum vmx_result r)
{
	uint64_t fl = ovr(o, VMCS_GUEST_IA32_RFLAGS) & ~PSL_CC;
	uint64_t intr;

	if (r == VMX_FAULT_UD || r == VMX_FAULT_GP) {
		vmx_inject(o, r == VMX_FAULT_UD ? VMM_EX_UD : VMM_EX_GP);
		return;
	}
	if (r == VMX_FAIL_INVALID)
		fl |= PSL_C;
	else if (r == VMX_FAIL_VALID)
		fl |= PSL_Z;
	ovw(o, VMCS_GUEST_IA32_RFLAGS, fl);
	ovw(o, VMCS_GUEST_IA32_RIP, ovr(o, VMCS_GUEST_IA32_RIP) +
	    ovr(o, VMCS_INSTRUCTION_LENGTH));
	intr = ovr(o, VMCS_GUEST_INTERRUPTIBILITY_ST);
	if (intr & 3)
		ovw(o, VMCS_GUEST_INTERRUPTIBILITY_ST, intr & ~3ULL);
}

/* --- decoding an L1 instruction's operands -------------------------------- */

struct l1_insn {
	ZydisDecodedInstruction	zi;
	ZydisDecodedOperand	ops[ZYDIS_MAX_OPERAND_COUNT];
	int			long64;
};

static const uint32_t seg_base_field[] = {
	VMCS_GUEST_IA32_ES_BASE, VMCS_GUEST_IA32_CS_BASE,
	VMCS_GUEST_IA32_SS_BASE, VMCS_GUEST_IA32_DS_BASE,
	VMCS_GUEST_IA32_FS_BASE, VMCS_GUEST_IA32_GS_BASE
};

/* A GPR's number (0-15) by Zydis register, -1 for anything else. */
static int
gpr_index(ZydisRegister r)
{
	ZydisRegister r64;

	if (r == ZYDIS_REGISTER_NONE)
		return (-1);
	r64 = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (r64 < ZYDIS_REGISTER_RAX || r64 > ZYDIS_REGISTER_R15)
		return (-1);
	return ((int)(r64 - ZYDIS_REGISTER_RAX));
}

/* The instruction L1 exited on, decoded in L1's mode. */
static int
vmx_decode(struct vcpu *vcpu, const struct vmm_nested_vmx *o,
    const struct l1_paging *pg, struct l1_insn *in)
{
	ZydisDecoder dec;
	uint8_t buf[MAX_INSN];
	uint64_t rip, len;
	uint32_t cs_ar = (uint32_t)ovr(o, VMCS_GUEST_IA32_CS_AR);

	len = ovr(o, VMCS_INSTRUCTION_LENGTH);
	if (len == 0 || len > MAX_INSN)
		return (EINVAL);
	rip = ovr(o, VMCS_GUEST_IA32_RIP) + ovr(o, VMCS_GUEST_IA32_CS_BASE);
	if (l1_copy(vcpu, pg, rip, buf, len, 0) != 0)
		return (EFAULT);
	in->long64 = (pg->efer & EFER_LMA) && (cs_ar & (1U << 13));
	if (in->long64)
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
		    ZYDIS_STACK_WIDTH_64);
	else if (cs_ar & (1U << 14))
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32,
		    ZYDIS_STACK_WIDTH_32);
	else
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_16,
		    ZYDIS_STACK_WIDTH_16);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, len, &in->zi,
	    in->ops)))
		return (EINVAL);
	return (0);
}

static uint64_t
gpr_get(const struct vmm_nested_vmx *o, int i)
{
	return (i == EMU_RSP ? ovr(o, VMCS_GUEST_IA32_RSP) : o->g->r[i]);
}

/* The linear address of memory operand op. */
static uint64_t
vmx_operand_la(const struct vmm_nested_vmx *o, const struct l1_insn *in,
    const ZydisDecodedOperand *op)
{
	uint64_t a = (uint64_t)op->mem.disp.value;
	int b = gpr_index(op->mem.base), x = gpr_index(op->mem.index), s;

	if (op->mem.base == ZYDIS_REGISTER_RIP)
		a += ovr(o, VMCS_GUEST_IA32_RIP) + in->zi.length;
	if (b >= 0)
		a += gpr_get(o, b);
	if (x >= 0)
		a += gpr_get(o, x) * (op->mem.scale ? op->mem.scale : 1);
	if (in->zi.address_width == 32)
		a &= 0xFFFFFFFFULL;
	else if (in->zi.address_width == 16)
		a &= 0xFFFF;
	switch (op->mem.segment) {
	case ZYDIS_REGISTER_ES: s = 0; break;
	case ZYDIS_REGISTER_CS: s = 1; break;
	case ZYDIS_REGISTER_SS: s = 2; break;
	case ZYDIS_REGISTER_FS: s = 4; break;
	case ZYDIS_REGISTER_GS: s = 5; break;
	default: s = 3; break;
	}
	if (!in->long64 || s >= 4)
		a += ovr(o, seg_base_field[s]);
	return (a);
}

/* Read (write) operand op, 2-16 bytes: a register or L1 memory. */
static int
vmx_operand(struct vcpu *vcpu, const struct vmm_nested_vmx *o,
    const struct l1_paging *pg, const struct l1_insn *in,
    const ZydisDecodedOperand *op, void *buf, size_t len, int write)
{
	uint64_t v;
	int r;

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if ((r = gpr_index(op->reg.value)) < 0 || len > 8)
			return (EINVAL);
		if (write) {
			v = 0;
			memcpy(&v, buf, len);
			if (r == EMU_RSP)
				ovw(o, VMCS_GUEST_IA32_RSP, v);
			else
				o->g->r[r] = v;
		} else {
			v = gpr_get(o, r);
			memcpy(buf, &v, len);
		}
		return (0);
	}
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return (EINVAL);
	return (l1_copy(vcpu, pg, vmx_operand_la(o, in, op), buf, len, write));
}

/* --- VMX instructions ------------------------------------------------------ */

static uint64_t
ivr(struct vmm_nested *n, uint32_t field)
{
	uint64_t v = 0;

	(void)vmx_vmread(n->cpu, field, &v);
	return (v);
}

/*
 * The checks every VMX instruction makes before anything else (SDM Vol.
 * 3C ch. 31, each instruction's "Operation"): #UD outside protected mode,
 * in virtual-8086 and compatibility mode, and (but VMXON) outside VMX
 * operation, VMXON with CR4.VMXE clear; then #GP(0) above CPL 0.
 */
static enum vmx_result
vmx_mode_fault(struct vmm_nested *n, const struct vmm_nested_vmx *o,
    const struct l1_paging *pg, uint32_t reason)
{
	uint32_t cs_ar = (uint32_t)ovr(o, VMCS_GUEST_IA32_CS_AR);
	uint32_t ss_ar = (uint32_t)ovr(o, VMCS_GUEST_IA32_SS_AR);

	if (!(l1_cr(o, 0) & CR0_PE) ||
	    (ovr(o, VMCS_GUEST_IA32_RFLAGS) & PSL_VM) ||
	    ((pg->efer & EFER_LMA) && !(cs_ar & (1U << 13))))
		return (VMX_FAULT_UD);
	if (reason == VMX_EXIT_VMXON ? !(l1_cr(o, 4) & CR4_VMXE) : !n->vmx_on)
		return (VMX_FAULT_UD);
	if (reason == VMX_EXIT_VMFUNC)
		return (VMX_FAULT_UD);	/* VMX non-root operation only */
	if (((ss_ar >> 5) & 3) != 0)
		return (VMX_FAULT_GP);
	if (reason == VMX_EXIT_VMXON && !n->vmx_on &&
	    (n->feature_control & (IA32_FEATURE_CONTROL_LOCK |
	    IA32_FEATURE_CONTROL_VMX_EN)) != (IA32_FEATURE_CONTROL_LOCK |
	    IA32_FEATURE_CONTROL_VMX_EN))
		return (VMX_FAULT_GP);
	return (VMX_SUCCEED);
}

/* The inner CPU takes L1's control registers and EFER, as L1 sees them. */
static void
vmx_sync_inner(struct vmm_nested *n, const struct vmm_nested_vmx *o,
    const struct l1_paging *pg)
{
	(void)emu_write_cr(n->cpu, 0, l1_cr(o, 0));
	(void)emu_write_cr(n->cpu, 3, pg->cr3);
	(void)emu_write_cr(n->cpu, 4, l1_cr(o, 4));
	(void)emu_wrmsr(n->cpu, MSR_EFER, pg->efer);
}

/*
 * After L2's VM exit (or a VM-entry failure that is one), L1 goes on at
 * the host state of its VMCS (SDM Vol. 3C §28.5 "Loading Host State"):
 * control registers, RSP, RIP, segments rebuilt from the selectors, flat
 * with the architectural access rights, descriptor-table bases with limit
 * 0xFFFF, RFLAGS with only bit 1, DR7 0x400, IA32_EFER and the SYSENTER
 * MSRs.  L2's general-purpose registers stay in L1's.
 */
static void
vmx_load_host_state(struct vmm_nested *n, const struct vmm_nested_vmx *o)
{
	static const uint32_t sel_h[] = {
		VMCS_HOST_IA32_ES_SEL, VMCS_HOST_IA32_CS_SEL,
		VMCS_HOST_IA32_SS_SEL, VMCS_HOST_IA32_DS_SEL,
		VMCS_HOST_IA32_FS_SEL, VMCS_HOST_IA32_GS_SEL
	};
	static const uint32_t sel_g[] = {
		VMCS_GUEST_IA32_ES_SEL, VMCS_GUEST_IA32_CS_SEL,
		VMCS_GUEST_IA32_SS_SEL, VMCS_GUEST_IA32_DS_SEL,
		VMCS_GUEST_IA32_FS_SEL, VMCS_GUEST_IA32_GS_SEL
	};
	static const uint32_t lim_g[] = {
		VMCS_GUEST_IA32_ES_LIMIT, VMCS_GUEST_IA32_CS_LIMIT,
		VMCS_GUEST_IA32_SS_LIMIT, VMCS_GUEST_IA32_DS_LIMIT,
		VMCS_GUEST_IA32_FS_LIMIT, VMCS_GUEST_IA32_GS_LIMIT
	};
	static const uint32_t ar_g[] = {
		VMCS_GUEST_IA32_ES_AR, VMCS_GUEST_IA32_CS_AR,
		VMCS_GUEST_IA32_SS_AR, VMCS_GUEST_IA32_DS_AR,
		VMCS_GUEST_IA32_FS_AR, VMCS_GUEST_IA32_GS_AR
	};
	uint64_t exit_ctl = ivr(n, VMCS_EXIT_CTLS), cr0, cr4, efer, entry;
	int lm = (exit_ctl & IA32_VMX_HOST_SPACE_ADDRESS_SIZE) != 0, i;
	uint16_t sel;
	uint32_t ar;

	cr0 = ivr(n, VMCS_HOST_IA32_CR0);
	cr4 = ivr(n, VMCS_HOST_IA32_CR4);
	ovw(o, VMCS_GUEST_IA32_CR0, cr0 | CR0_NE);
	vmm_nested_vmx_cr(NULL, o->cpu, 0, cr0);
	ovw(o, VMCS_GUEST_IA32_CR3, ivr(n, VMCS_HOST_IA32_CR3));
	ovw(o, VMCS_GUEST_IA32_CR4, cr4 | CR4_VMXE);
	vmm_nested_vmx_cr(NULL, o->cpu, 4, cr4);
	ovw(o, VMCS_GUEST_IA32_DR7, 0x400);
	ovw(o, VMCS_GUEST_IA32_DEBUGCTL, 0);
	ovw(o, VMCS_GUEST_IA32_SYSENTER_CS,
	    ivr(n, VMCS_HOST_IA32_SYSENTER_CS));
	ovw(o, VMCS_GUEST_IA32_SYSENTER_ESP,
	    ivr(n, VMCS_HOST_IA32_SYSENTER_ESP));
	ovw(o, VMCS_GUEST_IA32_SYSENTER_EIP,
	    ivr(n, VMCS_HOST_IA32_SYSENTER_EIP));

	efer = l1_efer(o);
	if (exit_ctl & IA32_VMX_LOAD_IA32_EFER_ON_EXIT)
		efer = ivr(n, VMCS_HOST_IA32_EFER);
	else if (lm)
		efer |= EFER_LMA | EFER_LME;
	else
		efer &= ~(EFER_LMA | EFER_LME);
	(void)hostmem_write64(o->hm, o->msr_area + 16 * o->efer_slot + 8, efer);
	entry = ovr(o, VMCS_ENTRY_CTLS);
	if (efer & EFER_LMA)
		entry |= IA32_VMX_IA32E_MODE_GUEST;
	else
		entry &= ~IA32_VMX_IA32E_MODE_GUEST;
	ovw(o, VMCS_ENTRY_CTLS, entry);

	for (i = 0; i < 6; i++) {
		sel = (uint16_t)ivr(n, sel_h[i]);
		ovw(o, sel_g[i], sel);
		if (i == 1)
			ar = lm ? AR_CODE64 : AR_CODE32;
		else
			ar = (sel & ~7U) == 0 ? AR_DATA | AR_UNUSABLE : AR_DATA;
		ovw(o, ar_g[i], ar);
		ovw(o, lim_g[i], 0xFFFFFFFF);
		ovw(o, seg_base_field[i], 0);
	}
	ovw(o, VMCS_GUEST_IA32_FS_BASE, ivr(n, VMCS_HOST_IA32_FS_BASE));
	ovw(o, VMCS_GUEST_IA32_GS_BASE, ivr(n, VMCS_HOST_IA32_GS_BASE));
	ovw(o, VMCS_GUEST_IA32_TR_SEL, ivr(n, VMCS_HOST_IA32_TR_SEL));
	ovw(o, VMCS_GUEST_IA32_TR_BASE, ivr(n, VMCS_HOST_IA32_TR_BASE));
	ovw(o, VMCS_GUEST_IA32_TR_LIMIT, 0x67);
	ovw(o, VMCS_GUEST_IA32_TR_AR, AR_TSS_BUSY);
	ovw(o, VMCS_GUEST_IA32_LDTR_SEL, 0);
	ovw(o, VMCS_GUEST_IA32_LDTR_AR, AR_UNUSABLE);
	ovw(o, VMCS_GUEST_IA32_GDTR_BASE, ivr(n, VMCS_HOST_IA32_GDTR_BASE));
	ovw(o, VMCS_GUEST_IA32_GDTR_LIMIT, 0xFFFF);
	ovw(o, VMCS_GUEST_IA32_IDTR_BASE, ivr(n, VMCS_HOST_IA32_IDTR_BASE));
	ovw(o, VMCS_GUEST_IA32_IDTR_LIMIT, 0xFFFF);
	ovw(o, VMCS_GUEST_IA32_RSP, ivr(n, VMCS_HOST_IA32_RSP));
	ovw(o, VMCS_GUEST_IA32_RIP, ivr(n, VMCS_HOST_IA32_RIP));
	ovw(o, VMCS_GUEST_IA32_RFLAGS, PSL_MBO);
	ovw(o, VMCS_GUEST_INTERRUPTIBILITY_ST, 0);
	ovw(o, VMCS_GUEST_ACTIVITY_STATE, 0);
}

/*
 * VMLAUNCH/VMRESUME: L2 runs on the inner CPU until its VM exit, which
 * the RUN caller's trace records as a nested exit with L1's VMCS.
 *
 * A host interrupt of the inner CPU (the outer stop time, the host tick,
 * a kick; nothing else interrupts it) is no exit of L1's: L2's state
 * stays in L1's VMCS, whose exit-information fields get back what L1
 * left there, L1 stays at its VMLAUNCH/VMRESUME, and the outer run loop
 * decides (its stop time, signals); L1 re-executing the instruction
 * resumes L2 (l2_live), with its GPRs.  VMX_SUCCEED with *stopped set.
 */
static enum vmx_result
vmx_enter_l2(struct vcpu *vcpu, struct vmm_nested *n,
    const struct vmm_nested_vmx *o, int resume, int *stopped)
{
	struct emu_gprs g;
	enum vmx_result r;
	uint64_t reason = 0;
	size_t i;

	*stopped = 0;
	if (n->l2_live) {
		g = n->l2g;
		resume = 1;
	} else {
		g = *o->g;
		for (i = 0; i < nitems(vmx_exit_fields); i++)
			(void)vmx_vmread(n->cpu, vmx_exit_fields[i],
			    &n->exitinfo[i]);
	}
	n->l2_live = 0;
	inner_time_in(vcpu, n, o->cpu);
	r = resume ? vmx_vmresume(n->cpu, &g) : vmx_vmlaunch(n->cpu, &g);
	inner_time_out(n, o->cpu);
	if (r == VMX_SUCCEED &&
	    vmx_vmread(n->cpu, VMCS_EXIT_REASON, &reason) == VMX_SUCCEED &&
	    (reason & 0xFFFF) == VMX_EXIT_EXTINT) {
		for (i = 0; i < nitems(vmx_exit_fields); i++)
			(void)vmx_vmwrite(n->cpu, vmx_exit_fields[i],
			    n->exitinfo[i]);
		n->l2g = g;
		n->l2_live = 1;
		*stopped = 1;
		return (VMX_SUCCEED);
	}
	if (vcpu->vc_trace != NULL)
		vmm_trace_nested_vmx(vcpu, n->cpu, emu_host_mem(n->host), &g,
		    resume, r);
	if (r != VMX_SUCCEED)
		return (r);
	g.r[EMU_RSP] = o->g->r[EMU_RSP];
	*o->g = g;
	vmx_load_host_state(n, o);
	return (VMX_SUCCEED);
}

int
vmm_nested_vmx_exit(struct vcpu *vcpu, const struct vmm_nested_vmx *o,
    uint32_t reason)
{
	struct vmm_nested *n;
	struct l1_paging pg;
	struct l1_insn in;
	struct vmx_invept_desc ed;
	struct vmx_invvpid_desc vd;
	enum vmx_result r;
	uint64_t a = 0, b = 0;
	size_t w;
	int error = 0, stopped;

	if ((n = nested_get(vcpu, 1, &error)) == NULL)
		return (error);
	l1_paging_vmx(o, &pg);
	if ((r = vmx_mode_fault(n, o, &pg, reason)) != VMX_SUCCEED) {
		vmx_complete(o, r);
		return (0);
	}
	vmx_sync_inner(n, o, &pg);
	switch (reason) {
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMRESUME:
		r = vmx_enter_l2(vcpu, n, o, reason == VMX_EXIT_VMRESUME,
		    &stopped);
		if (r == VMX_SUCCEED)
			return (0);	/* at its host RIP, or L2 stopped */
		vmx_complete(o, r);
		return (0);
	case VMX_EXIT_VMXOFF:
		if ((r = vmx_vmxoff(n->cpu)) == VMX_SUCCEED)
			n->vmx_on = 0;
		vmx_complete(o, r);
		return (0);
	case VMX_EXIT_VMCALL:
		vmx_complete(o, vmx_vmcall(n->cpu));
		return (0);
	default:
		break;
	}

	/* The rest have operands. */
	if (vmx_decode(vcpu, o, &pg, &in) != 0)
		goto pf;
	w = in.long64 ? 8 : 4;
	switch (reason) {
	case VMX_EXIT_VMXON:
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMPTRLD:
		if (in.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) {
			r = VMX_FAULT_UD;
			break;
		}
		if (vmx_operand(vcpu, o, &pg, &in, &in.ops[0], &a, 8, 0) != 0)
			goto pf;
		if (reason == VMX_EXIT_VMXON) {
			if ((r = vmx_vmxon(n->cpu, a)) == VMX_SUCCEED)
				n->vmx_on = 1;
		} else if (reason == VMX_EXIT_VMCLEAR)
			r = vmx_vmclear(n->cpu, a);
		else
			r = vmx_vmptrld(n->cpu, a);
		break;
	case VMX_EXIT_VMPTRST:
		if ((r = vmx_vmptrst(n->cpu, &a)) == VMX_SUCCEED &&
		    vmx_operand(vcpu, o, &pg, &in, &in.ops[0], &a, 8, 1) != 0)
			goto pf;
		break;
	case VMX_EXIT_VMREAD:
		if (vmx_operand(vcpu, o, &pg, &in, &in.ops[1], &b, w, 0) != 0)
			goto pf;
		if ((r = vmx_vmread(n->cpu, b, &a)) == VMX_SUCCEED &&
		    vmx_operand(vcpu, o, &pg, &in, &in.ops[0], &a, w, 1) != 0)
			goto pf;
		break;
	case VMX_EXIT_VMWRITE:
		if (vmx_operand(vcpu, o, &pg, &in, &in.ops[0], &b, w, 0) != 0 ||
		    vmx_operand(vcpu, o, &pg, &in, &in.ops[1], &a, w, 0) != 0)
			goto pf;
		r = vmx_vmwrite(n->cpu, b, a);
		break;
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
		if (vmx_operand(vcpu, o, &pg, &in, &in.ops[0], &b, w, 0) != 0 ||
		    in.ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY)
			goto pf;
		if (reason == VMX_EXIT_INVEPT) {
			if (vmx_operand(vcpu, o, &pg, &in, &in.ops[1], &ed,
			    sizeof(ed), 0) != 0)
				goto pf;
			r = vmx_invept(n->cpu, b, &ed);
		} else {
			if (vmx_operand(vcpu, o, &pg, &in, &in.ops[1], &vd,
			    sizeof(vd), 0) != 0)
				goto pf;
			r = vmx_invvpid(n->cpu, b, &vd);
		}
		break;
	default:
		r = VMX_FAULT_UD;
		break;
	}
	vmx_complete(o, r);
	return (0);
pf:
	/*
	 * An operand L1's page tables do not map (or an instruction that
	 * cannot be fetched): #GP(0) here, where hardware would raise #PF
	 * with CR2; docs/bare-metal.md lists it.
	 */
	vmx_complete(o, VMX_FAULT_GP);
	return (0);
}

void
vmm_nested_vmx_cr(struct vcpu *vcpu, struct emu_cpu *cpu, int cr, uint64_t v)
{
	uint32_t mf = cr == 0 ? VMCS_CR0_MASK : VMCS_CR4_MASK;
	uint32_t sf = cr == 0 ? VMCS_CR0_READ_SHADOW : VMCS_CR4_READ_SHADOW;
	uint64_t mask = 0, sh = 0;

	(void)vcpu;
	(void)vmx_vmread(cpu, mf, &mask);
	(void)vmx_vmread(cpu, sf, &sh);
	(void)vmx_vmwrite(cpu, sf, (sh & ~mask) | (v & mask));
}

/* --- SVM: L1's state in the outer VMCB -------------------------------------- */

static uint64_t
vmcb_get(const struct vmm_nested_svm *o, unsigned off, unsigned width)
{
	uint64_t v = 0;

	memcpy(&v, o->vmcb + off, width);
	return (v);
}

static void
vmcb_put(const struct vmm_nested_svm *o, unsigned off, unsigned width,
    uint64_t v)
{
	memcpy(o->vmcb + off, &v, width);
}

/*
 * L1's EFER as L1 sees it: the outer VMCB keeps SVME set for the outer
 * VMRUN's consistency check (APM §15.5.1), L1's own bit is kept here.
 */
static uint64_t
svm_l1_efer(struct vmm_nested *n, const struct vmm_nested_svm *o)
{
	uint64_t efer = vmcb_get(o, VMCB_EFER, 8) & ~EFER_SVME;

	return (n != NULL && n->svme ? efer | EFER_SVME : efer);
}

/*
 * What VMLOAD and VMSAVE move (APM §15.5.2): FS, GS, TR, LDTR with their
 * hidden state, KernelGSbase, STAR, LSTAR, CSTAR, SFMASK and the
 * SYSENTER MSRs.  L1's current values of them are in the outer VMCB,
 * which the monitor VMLOADs before each outer VMRUN.
 */
static const struct {
	unsigned	off, len;
} svm_vmload_state[] = {
	{ VMCB_FS, 16 }, { VMCB_GS, 16 }, { VMCB_LDTR, 16 }, { VMCB_TR, 16 },
	{ VMCB_STAR, VMCB_SYSENTER_EIP + 8 - VMCB_STAR },
};
#define SVM_NSTATE	(sizeof(svm_vmload_state) / sizeof(svm_vmload_state[0]))

/*
 * Move that state between L1 (the outer VMCB) and the inner CPU, through
 * a scratch VMCB in the inner pool: before an instruction the inner CPU
 * takes L1's (so L2 starts with L1's FS, GS, TR, ... unless L1 VMLOADs
 * its own, and VMSAVE stores L1's); after VMLOAD and after L2's #VMEXIT
 * L1 has what the inner CPU holds, as on hardware, where #VMEXIT leaves
 * the guest's values in the processor.
 */
static int
svm_state_move(struct vmm_nested *n, const struct vmm_nested_svm *o, int in)
{
	uint8_t *sp;
	size_t i;

	if (n->scratch == 0 &&
	    (n->scratch = hostmem_alloc(emu_host_mem(n->host), 1)) == 0)
		return (ENOMEM);
	if ((sp = hostmem_ptr(emu_host_mem(n->host), n->scratch,
	    VMCB_SIZE)) == NULL)
		return (ENOMEM);
	if (in) {
		for (i = 0; i < SVM_NSTATE; i++)
			memcpy(sp + svm_vmload_state[i].off,
			    o->vmcb + svm_vmload_state[i].off,
			    svm_vmload_state[i].len);
		return (svm_vmload(n->cpu, n->scratch) == SVM_SUCCEED ? 0 :
		    EINVAL);
	}
	if (svm_vmsave(n->cpu, n->scratch) != SVM_SUCCEED)
		return (EINVAL);
	for (i = 0; i < SVM_NSTATE; i++)
		memcpy(o->vmcb + svm_vmload_state[i].off,
		    sp + svm_vmload_state[i].off, svm_vmload_state[i].len);
	return (0);
}

/* #UD or #GP(0) into L1 through EVENTINJ (APM §15.20); RIP stays. */
static void
svm_inject(const struct vmm_nested_svm *o, uint8_t vector)
{
	uint64_t ev = vector | SVM_EVTINJ_V |
	    ((uint64_t)SVM_EVTINJ_TYPE_EXCEPT << SVM_EVTINJ_TYPE_SHIFT);

	if (vector == VMM_EX_GP)
		ev |= SVM_EVTINJ_EV;	/* error code 0 */
	vmcb_put(o, VMCB_EVENTINJ, 8, ev);
}

/* L1 past its SVM instruction: nRIP when the outer CPU gave it. */
static void
svm_next(const struct vmm_nested_svm *o)
{
	uint64_t nrip = vmcb_get(o, VMCB_NRIP, 8);

	*o->rip = nrip != 0 ? nrip : vmcb_get(o, VMCB_RIP, 8) + 3;
	vmcb_put(o, VMCB_RIP, 8, *o->rip);
}

/*
 * An SVM-instruction intercept of an L1 vcpu (APM Vol. 3, VMRUN ...
 * INVLPGA "Exceptions"): #UD with L1's EFER.SVME clear or outside
 * protected mode (the emu's own rule, on the inner CPU that has L1's
 * CR0 and EFER), #GP(0) above CPL 0, then the instruction on the inner
 * CPU with rAX (EAX outside 64-bit mode) as L1 has it.
 */
int
vmm_nested_svm_exit(struct vcpu *vcpu, const struct vmm_nested_svm *o,
    uint64_t code)
{
	struct vmm_nested *n;
	struct emu_gprs g;
	enum svm_result r;
	uint8_t *p;
	size_t i;
	uint64_t rax, cr0 = vmcb_get(o, VMCB_CR0, 8), efer;
	uint16_t cs_attr = (uint16_t)vmcb_get(o, VMCB_CS + VMCB_SEG_ATTRIB, 2);
	int error = 0, cpl;

	if (code == VMEXIT_VMMCALL || code == VMEXIT_SKINIT) {
		/* L1 is the host: nothing intercepts them; no SKINIT. */
		svm_inject(o, VMM_EX_UD);
		return (0);
	}
	if ((n = nested_get(vcpu, 0, &error)) == NULL)
		return (error);
	efer = svm_l1_efer(n, o);
	cpl = (cr0 & CR0_PE) ? (int)(vmcb_get(o, VMCB_CPL, 1) & 3) : 0;
	if ((vmcb_get(o, VMCB_RFLAGS, 8) & PSL_VM) && (cr0 & CR0_PE))
		cpl = 3;
	(void)emu_write_cr(n->cpu, 0, cr0);
	(void)emu_write_cr(n->cpu, 3, vmcb_get(o, VMCB_CR3, 8));
	(void)emu_write_cr(n->cpu, 4, vmcb_get(o, VMCB_CR4, 8));
	if (emu_wrmsr(n->cpu, MSR_EFER, efer) != 0)
		return (EINVAL);
	if (!(efer & EFER_SVME) || !(cr0 & CR0_PE)) {
		svm_inject(o, VMM_EX_UD);
		return (0);
	}
	if (cpl != 0) {
		svm_inject(o, VMM_EX_GP);
		return (0);
	}
	rax = vmcb_get(o, VMCB_RAX, 8);
	if (!((efer & EFER_LMA) && (cs_attr & VMCB_ATTR_L)))
		rax &= 0xFFFFFFFFULL;
	if ((error = svm_state_move(n, o, 1)) != 0)
		return (error);

	switch (code) {
	case VMEXIT_VMRUN:
		/* A stop of L2 that L1 does not see: as vmx_enter_l2(). */
		if (n->l2_live)
			g = n->l2g;
		else {
			g = *o->g;
			n->gif = svm_gif(n->cpu);
			if ((p = l1_phys(vcpu, rax, VMCB_SIZE)) != NULL)
				for (i = 0; i < nitems(svm_exit_fields); i++)
					memcpy(&n->exitinfo[i],
					    p + svm_exit_fields[i], 8);
		}
		n->l2_live = 0;
		inner_time_in(vcpu, n, o->cpu);
		r = svm_vmrun(n->cpu, rax, &g);
		inner_time_out(n, o->cpu);
		if (r != SVM_SUCCEED)
			break;
		if ((p = l1_phys(vcpu, rax, VMCB_SIZE)) != NULL)
			memcpy(&code, p + VMCB_EXITCODE, sizeof(code));
		if (p != NULL && code == VMEXIT_INTR) {
			for (i = 0; i < nitems(svm_exit_fields); i++)
				memcpy(p + svm_exit_fields[i],
				    &n->exitinfo[i], 8);
			n->l2g = g;
			n->l2_live = 1;
			r = n->gif ? svm_stgi(n->cpu) : svm_clgi(n->cpu);
			/* L2's FS, GS, TR ... stay the CPU's, as below. */
			if ((error = svm_state_move(n, o, 0)) != 0)
				return (error);
			return (0);	/* L1 stays at its VMRUN */
		}
		if (vcpu->vc_trace != NULL)
			vmm_trace_nested_svm(vcpu, n->cpu,
			    emu_host_mem(n->host), rax, &g);
		/*
		 * #VMEXIT (APM §15.6): L1 goes on after its VMRUN with its
		 * own RAX, RSP, RFLAGS, control registers and segments
		 * (the outer VMCB still holds them), L2's other GPRs, and
		 * GIF clear (the inner CPU's).
		 */
		g.r[EMU_RAX] = o->g->r[EMU_RAX];
		g.r[EMU_RSP] = o->g->r[EMU_RSP];
		*o->g = g;
		if ((error = svm_state_move(n, o, 0)) != 0)
			return (error);
		break;
	case VMEXIT_VMLOAD:
		if ((r = svm_vmload(n->cpu, rax)) == SVM_SUCCEED &&
		    (error = svm_state_move(n, o, 0)) != 0)
			return (error);
		break;
	case VMEXIT_VMSAVE:
		r = svm_vmsave(n->cpu, rax);
		break;
	case VMEXIT_STGI:
		r = svm_stgi(n->cpu);
		break;
	case VMEXIT_CLGI:
		r = svm_clgi(n->cpu);
		break;
	case VMEXIT_INVLPGA:
		r = svm_invlpga(n->cpu, rax,
		    (uint32_t)o->g->r[EMU_RCX]);
		break;
	default:
		r = SVM_FAULT_UD;
		break;
	}
	if (r == SVM_FAULT_UD || r == SVM_FAULT_GP)
		svm_inject(o, r == SVM_FAULT_UD ? VMM_EX_UD : VMM_EX_GP);
	else
		svm_next(o);
	return (0);
}

int
vmm_nested_svm_msr(struct vcpu *vcpu, const struct vmm_nested_svm *o,
    uint32_t msr, int write, uint64_t *v)
{
	struct vmm_nested *n;
	uint64_t vm_cr = 0;
	int error;

	switch (msr) {
	case MSR_EFER:
		if ((n = nested_state(vcpu)) == NULL)
			return (EINVAL);
		if (!write) {
			*v = svm_l1_efer(n, o);
			return (0);
		}
		/* §15.30.1: SVME cannot be set while VM_CR.SVMDIS is. */
		if (n->cpu != NULL)
			(void)emu_rdmsr(n->cpu, MSR_VM_CR, &vm_cr);
		if ((*v & EFER_SVME) && (vm_cr & VM_CR_SVMDIS))
			return (EINVAL);
		n->svme = (*v & EFER_SVME) != 0;
		return (ENOENT);	/* the monitor stores the rest */
	case MSR_VM_CR:
	case MSR_VM_HSAVE_PA:
		/* The inner CPU's own: its rules, its GIF and VMRUN use them. */
		if ((n = nested_get(vcpu, 0, &error)) == NULL)
			return (EINVAL);
		if (!write)
			return (emu_rdmsr(n->cpu, msr, v) == 0 ? 0 : EINVAL);
		if (msr == MSR_VM_CR && (*v & VM_CR_SVMDIS) && n->svme)
			return (EINVAL);
		return (emu_wrmsr(n->cpu, msr, *v) == 0 ? 0 : EINVAL);
	default:
		return (ENOENT);
	}
}

/* --- CPUID and MSRs ---------------------------------------------------------- */

void
vmm_nested_cpuid(struct vcpu *vcpu, int vmx, uint32_t leaf, uint32_t subleaf,
    uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	(void)vcpu;
	if (vmx) {
		if (leaf == 1)
			*ecx |= CPUIDECX_VMX;
		return;
	}
	if (leaf == 0x80000001)
		*ecx |= CPUIDECX_SVM;
	else if (leaf == 0x8000000A)
		vmm_host_cpuid_amd(leaf, subleaf, eax, ebx, ecx, edx);
}

int
vmm_nested_rdmsr(struct vcpu *vcpu, int vmx, uint32_t msr, uint64_t *v)
{
	struct vmm_nested *n;
	int error;

	if (vmx && msr == MSR_IA32_FEATURE_CONTROL) {
		if ((n = nested_state(vcpu)) == NULL)
			return (EINVAL);
		*v = n->feature_control;
		return (0);
	}
	if (vmx && msr >= IA32_VMX_BASIC && msr <= IA32_VMX_VMFUNC) {
		if ((n = nested_get(vcpu, vmx, &error)) == NULL)
			return (EINVAL);
		return (emu_rdmsr(n->cpu, msr, v) == 0 ? 0 : EINVAL);
	}
	return (ENOENT);
}

int
vmm_nested_wrmsr(struct vcpu *vcpu, int vmx, uint32_t msr, uint64_t v)
{
	struct vmm_nested *n;

	if (vmx && msr == MSR_IA32_FEATURE_CONTROL) {
		/* Writable until locked; only lock, SMX and VMX bits exist. */
		if ((n = nested_state(vcpu)) == NULL ||
		    (n->feature_control & IA32_FEATURE_CONTROL_LOCK) ||
		    (v & ~0x7ULL) != 0)
			return (EINVAL);
		n->feature_control = v;
		return (0);
	}
	if (vmx && msr >= IA32_VMX_BASIC && msr <= IA32_VMX_VMFUNC)
		return (EINVAL);	/* read-only */
	return (ENOENT);
}
