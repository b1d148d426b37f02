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
 * vmmsim_vcpu_snap_save() and _restore() (vmmsim.h): the vcpu state a
 * snapshot needs that the ioctl contract has no place for.  Here the VM
 * and vcpu are found and held still; the vendor's half (vmm_vmx.c,
 * vmm_svm.c) reads or writes its VMCS or VMCB and its software state.
 */

#include <errno.h>
#include <pthread.h>

#include "vmmsim.h"
#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_svm.h"
#include "vmm_vmx.h"

int
vm_vcpu_snap(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    struct vmmsim_vcpu_snap *vs, int write)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int vmx = sc->mode == VMM_MODE_EPT, ret;

	/* As vm_run: nobody runs the vcpu while its state moves. */
	if ((ret = vm_vcpu_hold(sc, vm_id, vcpu_id, 1, &vm, &vcpu)) != 0)
		return (ret);
	if (write && vs->vs_vendor != (uint32_t)(vmx ?
	    VMMSIM_OPEN_INTEL : VMMSIM_OPEN_AMD))
		ret = EINVAL;
	else if (vmx)
		ret = vcpu_snap_vmx(vcpu, vs, write);
	else
		ret = vcpu_snap_svm(vcpu, vs, write);
	/* Whether the guest can take an interrupt, as of its last exit. */
	if (ret == 0 && !write) {
		vs->vs_vendor = vmx ? VMMSIM_OPEN_INTEL : VMMSIM_OPEN_AMD;
		vs->vs_irqready = vcpu->vc_irqready;
	} else if (ret == 0)
		vcpu->vc_irqready = vs->vs_irqready != 0;
	vm_vcpu_drop(vm, vcpu);
	return (ret);
}

int
vm_vcpu_snap_pages(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    uint64_t gpa, uint64_t npages, uint8_t *bm, int map)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int ret;

	if ((gpa & 0xFFF) != 0)
		return (EINVAL);
	if ((ret = vm_vcpu_hold(sc, vm_id, vcpu_id, 0, &vm, &vcpu)) != 0)
		return (ret);
	if (sc->mode == VMM_MODE_EPT)
		ret = vcpu_snap_pages_vmx(vcpu, gpa, npages, bm, map);
	else
		ret = vcpu_snap_pages_svm(vcpu, gpa, npages, bm, map);
	vm_vcpu_drop(vm, vcpu);
	return (ret);
}
