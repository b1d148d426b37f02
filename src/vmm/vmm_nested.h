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
 * Bare-metal mode (a vmmsim extension, not OpenBSD's ABI): the VM's guest
 * is itself a hypervisor ("L1").  Its VMX or SVM instructions exit to the
 * monitor like any other, and vmm_nested.c carries them out on an inner
 * simulated machine whose host-physical memory is the VM's guest-physical
 * memory at the same addresses, so L1's VMCS, VMCB, EPT and NPT tables are
 * read where L1 put them.  docs/bare-metal.md tells the design.
 *
 * vmm_vmx.c and vmm_svm.c call in at their exit dispatch only; what
 * they hand over is the outer CPU's view of L1 (its VMCS is current, or
 * its VMCB's bytes), L1's general-purpose registers and where L1's MSRs
 * live.
 */

#ifndef VMMSIM_VMM_NESTED_H
#define VMMSIM_VMM_NESTED_H

#include <stdint.h>

struct vcpu;
struct emu_cpu;
struct emu_gprs;
struct hostmem;

/* The outer side of a VMX vcpu, as vmm_vmx.c keeps it. */
struct vmm_nested_vmx {
	struct emu_cpu	*cpu;		/* its VMCS is current */
	struct emu_gprs	*g;		/* L1's GPRs (RSP is in the VMCS) */
	struct hostmem	*hm;		/* the outer host's memory */
	uint64_t	 msr_area;	/* HPA of the guest MSR store/load list */
	int		 efer_slot;	/* IA32_EFER's index in that list */
};

/*
 * A VMX-instruction exit (VMXON ... VMFUNC) of an L1 vcpu: carried out,
 * RIP and RFLAGS updated, or #UD/#GP put in the entry
 * interruption-information field.  0, or an errno when the vcpu cannot go
 * on (out of memory making the inner machine).
 */
int	vmm_nested_vmx_exit(struct vcpu *, const struct vmm_nested_vmx *,
	    uint32_t reason);
/*
 * L1's MOV to CR0 or CR4: the bits the outer VMCS forces (CR0.NE,
 * CR4.VMXE) go to the read shadow as L1 wrote them, so L1 reads back what
 * it wrote and VMXON sees L1's own values.
 */
void	vmm_nested_vmx_cr(struct vcpu *, struct emu_cpu *, int cr, uint64_t);

/*
 * CPUID as an L1 sees it: the vendor's virtualization feature on top of
 * what vmm_guest_cpuid() gave.
 */
void	vmm_nested_cpuid(struct vcpu *, int vmx, uint32_t leaf,
	    uint32_t subleaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
	    uint32_t *edx);

/*
 * RDMSR/WRMSR of the MSRs that bare-metal mode adds (the VMX capability
 * MSRs, IA32_FEATURE_CONTROL): 0 done, EINVAL for
 * #GP, ENOENT when the MSR is not one of them.
 */
int	vmm_nested_rdmsr(struct vcpu *, int vmx, uint32_t msr, uint64_t *);
int	vmm_nested_wrmsr(struct vcpu *, int vmx, uint32_t msr, uint64_t);

/*
 * A host interrupt of the vcpu (VMM_IOC_INTR) for L2 too; and whether
 * interrupts into L1 wait: while L2 is stopped between two runs of the
 * outer loop (L1 does not see that), and while L1's GIF is clear.
 */
void	vmm_nested_kick(struct vcpu *);
void	vmm_nested_host_wrote(struct vcpu *, uint64_t gpa, uint64_t len);
int	vmm_nested_holds_irq(struct vcpu *);

/* The outer side of an SVM vcpu, as vmm_svm.c keeps it. */
struct vmm_nested_svm {
	uint8_t		*vmcb;		/* L1's VMCB (RAX, RSP, RIP in it) */
	struct emu_gprs	*g;		/* L1's other GPRs */
	uint64_t	*rip;		/* the monitor's copy of RIP */
	struct emu_cpu	*cpu;		/* the outer CPU (its virtual time) */
};

/*
 * An SVM-instruction intercept (VMRUN, VMLOAD, VMSAVE, STGI, CLGI,
 * INVLPGA, SKINIT, VMMCALL) of an L1 vcpu: carried out and RIP moved, or
 * #UD/#GP(0) put in EVENTINJ.  0, or an errno when the vcpu cannot go on.
 */
int	vmm_nested_svm_exit(struct vcpu *, const struct vmm_nested_svm *,
	    uint64_t code);
/*
 * RDMSR/WRMSR (write != 0) of EFER (L1's own SVME), VM_CR and
 * VM_HSAVE_PA on an L1 vcpu: 0 done, EINVAL for #GP, ENOENT when the
 * monitor handles it (an EFER write goes on to the monitor, SVME kept).
 */
int	vmm_nested_svm_msr(struct vcpu *, const struct vmm_nested_svm *,
	    uint32_t msr, int write, uint64_t *);

/* Free the inner machine, if any (vcpu teardown). */
void	vmm_nested_free(struct vcpu *);

#endif /* VMMSIM_VMM_NESTED_H */
