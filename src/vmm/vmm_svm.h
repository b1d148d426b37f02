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
 * The SVM half of the monitor (vmm_svm.c), as vmm_machdep.c calls it: the
 * twin of vmm_vmx.h for AMD CPUs in RVI mode.  Everything here programs
 * the simulated CPU only through its SVM instructions (src/emu/emu.h) and
 * the VMCB, MSR/IO permission maps and nested page tables in simulated
 * host-physical memory.
 */

#ifndef VMMSIM_VMM_SVM_H
#define VMMSIM_VMM_SVM_H

#include "vmm.h"

int	svm_attach(struct vmm_softc *);
void	svm_detach(struct vmm_softc *);
int	svm_start(struct vmm_softc *);
void	svm_stop(struct vmm_softc *);
uint16_t svm_min_asid(struct vmm_softc *);
int	svm_vm_init(struct vmm_softc *, struct vm *);
void	svm_vm_deinit(struct vmm_softc *, struct vm *);
size_t	svm_vm_resident(struct vm *);
int	vcpu_init_svm(struct vmm_softc *, struct vcpu *);
void	vcpu_deinit_svm(struct vmm_softc *, struct vcpu *);
int	vcpu_reset_regs_svm(struct vcpu *, struct vcpu_reg_state *);
int	vcpu_readregs_svm(struct vcpu *, uint64_t, struct vcpu_reg_state *);
int	vcpu_writeregs_svm(struct vcpu *, uint64_t, struct vcpu_reg_state *);
int	vcpu_run_svm(struct vcpu *, struct vm_run_params *);
void	vcpu_kick_svm(struct vcpu *);
void	vcpu_vmparams_svm(struct vcpu *, uint64_t **, uint32_t **,
	    struct vcpu_inject_event **);
struct vm_exit *vcpu_exit_svm(struct vcpu *);
void	vcpu_set_event_svm(struct vcpu *, const struct vcpu_inject_event *);
uint64_t vcpu_last_exit_svm(struct vcpu *);
uint64_t vcpu_vtime_svm(struct vcpu *);
struct emu_cpu *vcpu_emu_svm(struct vcpu *, const uint64_t **);
struct vmmsim_vcpu_snap;
int	vcpu_snap_svm(struct vcpu *, struct vmmsim_vcpu_snap *, int write);
int	vcpu_snap_pages_svm(struct vcpu *, uint64_t, uint64_t, uint8_t *, int);

/*
 * cpuid.c: the documented AMD host CPU (its CPUID, leaf by leaf) and the
 * guest's view of it; vmm_guest_cpuid(..., vmx = 0, ...) answers for it.
 */
void	vmm_host_cpuid_amd(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
	    uint32_t *ebx, uint32_t *ecx, uint32_t *edx);

/* CPUID 0x8000000A EDX: the SVM features of the AMD host profile. */
#define SVM_FEAT_NP		(1U << 0)
#define SVM_FEAT_NRIPS		(1U << 3)
#define SVM_FEAT_VMCB_CLEAN	(1U << 5)
#define SVM_FEAT_FLUSH_BY_ASID	(1U << 6)
#define SVM_FEAT_DECODE_ASSISTS	(1U << 7)

#endif /* VMMSIM_VMM_SVM_H */
