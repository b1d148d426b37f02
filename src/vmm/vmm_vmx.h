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
 * The VMX half of the monitor (vmm_vmx.c, cpuid.c), as vmm_machdep.c calls
 * it.  Everything here programs the simulated CPU only through its
 * instruction-level interface (src/emu/emu.h) and host-physical memory.
 */

#ifndef VMMSIM_VMM_VMX_H
#define VMMSIM_VMM_VMX_H

#include "vmm.h"

struct emu_cpu;

int	vmx_attach(struct vmm_softc *);
void	vmx_detach(struct vmm_softc *);
int	vmx_start(struct vmm_softc *);
void	vmx_stop(struct vmm_softc *);
int	vmx_vm_init(struct vmm_softc *, struct vm *);
void	vmx_vm_deinit(struct vm *);
size_t	vmx_vm_resident(struct vm *);
int	vcpu_init_vmx(struct vmm_softc *, struct vcpu *);
void	vcpu_deinit_vmx(struct vmm_softc *, struct vcpu *);
int	vcpu_reset_regs_vmx(struct vcpu *, struct vcpu_reg_state *);
int	vcpu_readregs_vmx(struct vcpu *, uint64_t, struct vcpu_reg_state *);
int	vcpu_writeregs_vmx(struct vcpu *, uint64_t, struct vcpu_reg_state *);
int	vcpu_run_vmx(struct vcpu *, struct vm_run_params *);
void	vcpu_kick_vmx(struct vcpu *);
void	vcpu_vmparams_vmx(struct vcpu *, uint64_t **, uint32_t **,
	    struct vcpu_inject_event **);
struct vm_exit *vcpu_exit_vmx(struct vcpu *);
void	vcpu_set_event_vmx(struct vcpu *, const struct vcpu_inject_event *);
uint32_t vcpu_last_exit_vmx(struct vcpu *);
uint64_t vcpu_vtime_vmx(struct vcpu *);
struct emu_cpu *vcpu_emu_vmx(struct vcpu *, const uint64_t **);
struct vmmsim_vcpu_snap;
int	vcpu_snap_vmx(struct vcpu *, struct vmmsim_vcpu_snap *, int write);
int	vcpu_snap_pages_vmx(struct vcpu *, uint64_t, uint64_t, uint8_t *, int);

/* cpuid.c: the documented host CPU and the guest's view of it (§14). */
void	vmm_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
	    uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
void	vmm_guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t vcpu_id,
	    uint64_t guest_cr4, uint64_t guest_xcr0, uint64_t misc_enable,
	    int vmx, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
	    uint32_t *edx);

struct hostmem;
int	 vmm_pat_valid(uint64_t);

#endif /* VMMSIM_VMM_VMX_H */
