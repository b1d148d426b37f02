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
 * What the machine-independent monitor (vmm.c) needs from its amd64 half
 * (vmm_machdep.c and the VMX/SVM files behind it).  Each returns 0 or an
 * errno value, as in the kernel.
 */

#ifndef VMMSIM_VMM_MACHDEP_H
#define VMMSIM_VMM_MACHDEP_H

#include "vmm.h"

int	vmm_attach_machdep(struct vmm_softc *);
void	vmm_detach_machdep(struct vmm_softc *);
int	vmm_start(struct vmm_softc *);
void	vmm_stop(struct vmm_softc *);

int	vm_impl_init(struct vmm_softc *, struct vm *);
void	vm_impl_deinit(struct vmm_softc *, struct vm *);
size_t	vm_resident_count(struct vmm_softc *, struct vm *);

int	vcpu_init(struct vmm_softc *, struct vcpu *, struct vm_create_params *);
void	vcpu_deinit(struct vmm_softc *, struct vcpu *);
int	vcpu_reset_regs(struct vcpu *, struct vcpu_reg_state *);

int	vm_run(struct vmm_softc *, struct vm_run_params *);
int	vm_rwregs(struct vmm_softc *, struct vm_rwregs_params *, int);
int	vm_rwvmparams(struct vmm_softc *, struct vm_rwvmparams_params *, int);
int	vmmioctl_machdep(struct vmm_softc *, unsigned long, void *);
int	pledge_ioctl_vmm_machdep(struct proc *, unsigned long);
int	vm_vcpu_vtime(struct vmm_softc *, uint32_t, uint32_t, uint64_t *);
int	vm_vcpu_stop_at(struct vmm_softc *, uint32_t, uint32_t, uint64_t);
int	vm_vcpu_idle(struct vmm_softc *, uint32_t, uint32_t, uint64_t);
int	vm_vcpu_hold(struct vmm_softc *, uint32_t, uint32_t, int,
	    struct vm **, struct vcpu **);
void	vm_vcpu_drop(struct vm *, struct vcpu *);
int	vm_guest_written(struct vmm_softc *, uint32_t, uint64_t, uint64_t);
struct vmmsim_vcpu_snap;
int	vm_vcpu_snap(struct vmm_softc *, uint32_t, uint32_t,
	    struct vmmsim_vcpu_snap *, int write);
int	vm_vcpu_snap_pages(struct vmm_softc *, uint32_t, uint32_t, uint64_t,
	    uint64_t, uint8_t *, int);

/* The paravirtual clock (§16), the same for both vendors. */
#define PVCLOCK_TSC_HZ		1000000000ULL	/* the host profile's TSC */
#define PVCLOCK_SIZE		32
#define PVCLOCK_WALL_SIZE	12
#define PVCLOCK_TSC_STABLE	0x1
#define PVCLOCK_SHIFT		12
int	pvclock_gpa_valid(struct vm *, uint64_t, size_t);

#endif /* VMMSIM_VMM_MACHDEP_H */
