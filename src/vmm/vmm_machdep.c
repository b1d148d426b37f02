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
 * The amd64 half of the monitor: per-mode dispatch and the ioctls that
 * need a CPU (RUN, RESETCPU, READREGS, WRITEREGS, READVMPARAMS,
 * WRITEVMPARAMS, INTR).  Intel (EPT mode) runs on the simulated VT-x CPU
 * through vmm_vmx.c, AMD (RVI mode) on the simulated AMD-V CPU through
 * vmm_svm.c.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_nested.h"
#include "vmm_svm.h"
#include "vmm_trace.h"
#include "vmm_vmx.h"

static int
is_vmx(const struct vmm_softc *sc)
{
	return (sc->mode == VMM_MODE_EPT);
}

int
vmm_attach_machdep(struct vmm_softc *sc)
{
	/* VPIDs are 16 bits but OpenBSD caps the bitmap at 0xFFF. */
	sc->max_vpid = 0xFFF;
	if (is_vmx(sc))
		return (vmx_attach(sc));
	/* ASIDs: as many as the CPU has, capped the same (§12.2). */
	return (svm_attach(sc));
}

void
vmm_detach_machdep(struct vmm_softc *sc)
{
	if (is_vmx(sc))
		vmx_detach(sc);
	else
		svm_detach(sc);
}

int
vmm_start(struct vmm_softc *sc)
{
	if (is_vmx(sc))
		return (vmx_start(sc));
	return (svm_start(sc));
}

void
vmm_stop(struct vmm_softc *sc)
{
	if (is_vmx(sc))
		vmx_stop(sc);
	else
		svm_stop(sc);
}

int
vm_impl_init(struct vmm_softc *sc, struct vm *vm)
{
	if (is_vmx(sc))
		return (vmx_vm_init(sc, vm));
	return (svm_vm_init(sc, vm));
}

void
vm_impl_deinit(struct vmm_softc *sc, struct vm *vm)
{
	if (vm->vm_md == NULL)
		return;
	if (is_vmx(sc))
		vmx_vm_deinit(vm);
	else
		svm_vm_deinit(sc, vm);
}

size_t
vm_resident_count(struct vmm_softc *sc, struct vm *vm)
{
	if (vm->vm_md == NULL)
		return (1);	/* the nested-paging PML4 */
	return (is_vmx(sc) ? vmx_vm_resident(vm) : svm_vm_resident(vm));
}

int
vcpu_init(struct vmm_softc *sc, struct vcpu *vcpu, struct vm_create_params *vcp)
{
	int error;

	(void)vcp;
	vcpu->vc_virt_mode = sc->mode;
	/* The VPID or ASID first, so that exhaustion costs nothing. */
	if ((error = vmm_alloc_vpid(sc, is_vmx(sc) ? 1 : svm_min_asid(sc),
	    &vcpu->vc_vpid)) != 0)
		return (error);
	error = is_vmx(sc) ? vcpu_init_vmx(sc, vcpu) : vcpu_init_svm(sc, vcpu);
	if (error != 0) {
		if (is_vmx(sc))
			vcpu_deinit_vmx(sc, vcpu);
		else
			vcpu_deinit_svm(sc, vcpu);
		vmm_free_vpid(sc, vcpu->vc_vpid);
		return (error);
	}
	return (0);
}

void
vcpu_deinit(struct vmm_softc *sc, struct vcpu *vcpu)
{
	if (is_vmx(sc))
		vcpu_deinit_vmx(sc, vcpu);
	else
		vcpu_deinit_svm(sc, vcpu);
	vmm_free_vpid(sc, vcpu->vc_vpid);
	vcpu->vc_md = NULL;
}

int
vcpu_reset_regs(struct vcpu *vcpu, struct vcpu_reg_state *vrs)
{
	if (vcpu->vc_md == NULL)
		return (ENODEV);
	if (vcpu->vc_virt_mode == VMM_MODE_EPT)
		return (vcpu_reset_regs_vmx(vcpu, vrs));
	return (vcpu_reset_regs_svm(vcpu, vrs));
}

/* The vcpu's exit structure (vc_exit), whichever its mode. */
static struct vm_exit *
vcpu_exit(struct vcpu *vcpu)
{
	return (vcpu->vc_virt_mode == VMM_MODE_EPT ? vcpu_exit_vmx(vcpu) :
	    vcpu_exit_svm(vcpu));
}

/* The vcpu's simulated CPU, and the HPA of each memory range (0: none). */
static struct emu_cpu *
vcpu_emu(struct vcpu *vcpu, const uint64_t **slot_hpa)
{
	return (vcpu->vc_virt_mode == VMM_MODE_EPT ?
	    vcpu_emu_vmx(vcpu, slot_hpa) : vcpu_emu_svm(vcpu, slot_hpa));
}

/* Find the VM and vcpu of an ioctl; the VM reference is the caller's. */
static int
find_vcpu(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    struct vm **vmp, struct vcpu **vcpup)
{
	int error;

	if ((error = vm_find(sc, vm_id, vmp)) != 0)
		return (error);
	if ((*vcpup = vm_find_vcpu(*vmp, vcpu_id)) == NULL) {
		refcnt_rele_wake(&(*vmp)->vm_refcnt);
		return (ENOENT);
	}
	return (0);
}

/*
 * Find a vcpu and hold it still for an extension (vmmsim.h): the VM
 * reference and the vcpu lock, which waits for an in-flight RUN as
 * READREGS does.  ENODEV for a vcpu without its machine-dependent part
 * and, with stopped, EBUSY for one that is not STOPPED; then nothing is
 * held.  vm_vcpu_drop() lets go.
 */
int
vm_vcpu_hold(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    int stopped, struct vm **vmp, struct vcpu **vcpup)
{
	struct vcpu *vcpu;
	int error;

	if ((error = find_vcpu(sc, vm_id, vcpu_id, vmp, vcpup)) != 0)
		return (error);
	vcpu = *vcpup;
	pthread_rwlock_wrlock(&vcpu->vc_lock);
	if (vcpu->vc_md == NULL)
		error = ENODEV;
	else if (stopped && __atomic_load_n(&vcpu->vc_state,
	    __ATOMIC_ACQUIRE) != VCPU_STATE_STOPPED)
		error = EBUSY;
	if (error != 0)
		vm_vcpu_drop(*vmp, vcpu);
	return (error);
}

void
vm_vcpu_drop(struct vm *vm, struct vcpu *vcpu)
{
	pthread_rwlock_unlock(&vcpu->vc_lock);
	refcnt_rele_wake(&vm->vm_refcnt);
}

/*
 * The CPU forgets code decoded from [gpa, gpa + len), range by range of
 * the VM's memory (a range's pages lie at consecutive HPAs), and so does
 * the CPU of a bare-metal guest's guests.
 */
static void
vcpu_host_wrote(struct vcpu *vcpu, uint64_t gpa, uint64_t len)
{
	struct vm *vm = vcpu->vc_parent;
	const struct vm_mem_range *r;
	const uint64_t *slot_hpa;
	struct emu_cpu *cpu;
	uint64_t lo, hi, last = gpa + (len - 1), rlast;
	size_t i;

	cpu = vcpu_emu(vcpu, &slot_hpa);
	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		rlast = r->vmr_gpa + (r->vmr_size - 1);
		if (r->vmr_type == VM_MEM_MMIO || slot_hpa[i] == 0 ||
		    last < r->vmr_gpa || gpa > rlast)
			continue;
		lo = gpa > r->vmr_gpa ? gpa : r->vmr_gpa;
		hi = last < rlast ? last : rlast;
		emu_cpu_host_wrote(cpu, slot_hpa[i] + (lo - r->vmr_gpa),
		    hi - lo + 1);
	}
	vmm_nested_host_wrote(vcpu, gpa, len);
}

/* Before an entry: what vm_guest_written noted goes to the CPU. */
static void
vcpu_apply_written(struct vcpu *vcpu)
{
	uint64_t w[VCPU_WRITTEN_MAX][2];
	unsigned int i, n;

	pthread_mutex_lock(&vcpu->vc_wlock);
	n = vcpu->vc_nwritten;
	if (n != VCPU_WRITTEN_ALL)
		memcpy(w, vcpu->vc_written, n * sizeof(w[0]));
	__atomic_store_n(&vcpu->vc_nwritten, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vcpu->vc_wlock);
	if (n == VCPU_WRITTEN_ALL) {
		w[0][0] = 0;
		w[0][1] = UINT64_MAX;
		n = 1;
	}
	for (i = 0; i < n; i++)
		vcpu_host_wrote(vcpu, w[i][0], w[i][1]);
}

/*
 * vm_run (vmm-contract.md §4.3): the vcpu goes STOPPED -> RUNNING for the
 * whole call; on success or EAGAIN it returns to STOPPED with the exit
 * copied out, on any other result it is TERMINATED for good.
 */
int
vm_run(struct vmm_softc *sc, struct vm_run_params *vrp)
{
	struct vm *vm;
	struct vcpu *vcpu;
	unsigned int old = VCPU_STATE_STOPPED;
	struct vmm_sig_run sr;
	int ret, entered = 0;

	if ((ret = find_vcpu(sc, vrp->vrp_vm_id, vrp->vrp_vcpu_id, &vm,
	    &vcpu)) != 0)
		return (ret);
	pthread_rwlock_wrlock(&vcpu->vc_lock);
	if (!__atomic_compare_exchange_n(&vcpu->vc_state, &old,
	    VCPU_STATE_RUNNING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		ret = EBUSY;
		goto out;
	}
	if (vcpu->vc_md == NULL) {
		__atomic_store_n(&vcpu->vc_state, VCPU_STATE_STOPPED,
		    __ATOMIC_RELEASE);
		ret = ENODEV;
		goto out;
	}
	/* Quirk: a bad vrp_exit leaves the vcpu RUNNING (EBUSY forever). */
	if (copyin(vrp->vrp_exit, vcpu_exit(vcpu),
	    sizeof(struct vm_exit)) != 0) {
		ret = EFAULT;
		goto out;
	}
	if (__atomic_load_n(&vcpu->vc_nwritten, __ATOMIC_ACQUIRE) != 0)
		vcpu_apply_written(vcpu);
	if (is_vmx(sc))
		vcpu_set_event_vmx(vcpu, &vrp->vrp_inject);
	else
		vcpu_set_event_svm(vcpu, &vrp->vrp_inject);

	/*
	 * As in the kernel, a signal for this thread ends the run
	 * (vcpu_must_stop) and is handled when RUN returns (vmm_signal.c).
	 */
	vmm_sig_enter(&vcpu->vc_sigrun);
	entered = 1;
	vcpu->vc_trace = vmm_trace_hold(curproc);	/* vmmsim_trace_start */
	ret = is_vmx(sc) ? vcpu_run_vmx(vcpu, vrp) : vcpu_run_svm(vcpu, vrp);
	vmm_trace_rele(vcpu->vc_trace);
	vcpu->vc_trace = NULL;
	if (ret == 0 || ret == EAGAIN) {
		/* vrp_exit_reason is 16 bits: SVM codes are truncated. */
		vrp->vrp_exit_reason = ret == 0 ? VM_EXIT_NONE : is_vmx(sc) ?
		    (uint16_t)vcpu_last_exit_vmx(vcpu) :
		    (uint16_t)vcpu_last_exit_svm(vcpu);
		vrp->vrp_irqready = vcpu->vc_irqready;
		__atomic_store_n(&vcpu->vc_state, VCPU_STATE_STOPPED,
		    __ATOMIC_RELEASE);
		ret = copyout(vcpu_exit(vcpu), vrp->vrp_exit,
		    sizeof(struct vm_exit)) != 0 ? EFAULT : 0;
	} else {
		vrp->vrp_exit_reason = VM_EXIT_TERMINATED;
		__atomic_store_n(&vcpu->vc_state, VCPU_STATE_TERMINATED,
		    __ATOMIC_RELEASE);
	}
out:
	if (entered)
		sr = vcpu->vc_sigrun;
	pthread_rwlock_unlock(&vcpu->vc_lock);
	refcnt_rele_wake(&vm->vm_refcnt);
	if (entered)
		vmm_sig_leave(&sr);
	return (ret);
}

/* READREGS / WRITEREGS (§4.8): the vcpu lock, no state check. */
int
vm_rwregs(struct vmm_softc *sc, struct vm_rwregs_params *vrwp, int dir)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int ret;

	if ((ret = find_vcpu(sc, vrwp->vrwp_vm_id, vrwp->vrwp_vcpu_id, &vm,
	    &vcpu)) != 0)
		return (ret);
	pthread_rwlock_wrlock(&vcpu->vc_lock);
	if (vcpu->vc_md == NULL)
		ret = ENODEV;
	else if (is_vmx(sc))
		ret = dir == 0 ? vcpu_readregs_vmx(vcpu, vrwp->vrwp_mask,
		    &vrwp->vrwp_regs) : vcpu_writeregs_vmx(vcpu,
		    vrwp->vrwp_mask, &vrwp->vrwp_regs);
	else
		ret = dir == 0 ? vcpu_readregs_svm(vcpu, vrwp->vrwp_mask,
		    &vrwp->vrwp_regs) : vcpu_writeregs_svm(vcpu,
		    vrwp->vrwp_mask, &vrwp->vrwp_regs);
	pthread_rwlock_unlock(&vcpu->vc_lock);
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}

/*
 * Is the pvclock structure at gpa acceptable: inside one memory range
 * with room for it (the kernel's comparison is strict, so the last slot
 * of a range is refused: off by one, reproduced), within one page.
 */
int
pvclock_gpa_valid(struct vm *vm, uint64_t gpa, size_t size)
{
	const struct vm_mem_range *r;
	size_t i;

	gpa &= ~0xFULL;
	if ((gpa & 0xFFF) + size > 4096)
		return (0);
	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		if (gpa >= r->vmr_gpa && gpa + size < r->vmr_gpa + r->vmr_size)
			return (1);
	}
	return (0);
}

/*
 * The pvclock parameters (§16).  A write of an invalid address queues #GP
 * (which the next RUN's injection overwrites) and stores nothing; the
 * ioctl still succeeds.
 */
static void
rwvmparams(struct vcpu *vcpu, struct vm_rwvmparams_params *vpp, int write,
    uint64_t *gpa, uint32_t *version, struct vcpu_inject_event *event)
{
	if (!write) {
		if (vpp->vpp_mask & VM_RWVMPARAMS_PVCLOCK_VERSION)
			vpp->vpp_pvclock_version = *version;
		if (vpp->vpp_mask & VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA)
			vpp->vpp_pvclock_system_gpa = *gpa;
		return;
	}
	if (vpp->vpp_mask & VM_RWVMPARAMS_PVCLOCK_VERSION)
		*version = vpp->vpp_pvclock_version;
	if (vpp->vpp_mask & VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA) {
		if (pvclock_gpa_valid(vcpu->vc_parent,
		    vpp->vpp_pvclock_system_gpa, PVCLOCK_SIZE))
			*gpa = vpp->vpp_pvclock_system_gpa;
		else {
			event->vie_type = VCPU_INJECT_EX;
			event->vie_vector = VMM_EX_GP;
			event->vie_errorcode = 0;
		}
	}
}

/* READVMPARAMS / WRITEVMPARAMS (§4.9): no lock. */
int
vm_rwvmparams(struct vmm_softc *sc, struct vm_rwvmparams_params *vpp, int dir)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vcpu_inject_event *event;
	uint64_t *gpa;
	uint32_t *version;
	int ret;

	if ((ret = find_vcpu(sc, vpp->vpp_vm_id, vpp->vpp_vcpu_id, &vm,
	    &vcpu)) != 0)
		return (ret);
	if (vcpu->vc_md == NULL)
		ret = ENODEV;
	else {
		if (is_vmx(sc))
			vcpu_vmparams_vmx(vcpu, &gpa, &version, &event);
		else
			vcpu_vmparams_svm(vcpu, &gpa, &version, &event);
		rwvmparams(vcpu, vpp, dir, gpa, version, event);
	}
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}

/*
 * VMM_IOC_INTR (§4.7): store the pending word, and if the vcpu is in RUN
 * make its CPU leave the guest (a no-op IPI).
 */
static int
vm_intr_pending(struct vmm_softc *sc, struct vm_intr_params *vip)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int ret;

	if ((ret = find_vcpu(sc, vip->vip_vm_id, vip->vip_vcpu_id, &vm,
	    &vcpu)) != 0)
		return (ret);
	if (vcpu->vc_md == NULL) {
		ret = ENODEV;
	} else {
		__atomic_store_n(&vcpu->vc_intr, vip->vip_intr,
		    __ATOMIC_RELEASE);
		if (__atomic_load_n(&vcpu->vc_state, __ATOMIC_ACQUIRE) ==
		    VCPU_STATE_RUNNING) {
			if (is_vmx(sc))
				vcpu_kick_vmx(vcpu);
			else
				vcpu_kick_svm(vcpu);
		}
	}
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}

int
vmmioctl_machdep(struct vmm_softc *sc, unsigned long cmd, void *data)
{
	switch (cmd) {
	case VMM_IOC_INTR:
		return (vm_intr_pending(sc, data));
	default:
		return (ENOTTY);
	}
}

int
pledge_ioctl_vmm_machdep(struct proc *p, unsigned long com)
{
	(void)p;
	switch (com) {
	case VMM_IOC_INTR:
		return (0);
	default:
		return (EPERM);
	}
}

/* vmmsim_vcpu_stop_at(): where RUN must come back, in virtual ns. */
int
vm_vcpu_stop_at(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    uint64_t ns)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int ret;

	if ((ret = find_vcpu(sc, vm_id, vcpu_id, &vm, &vcpu)) != 0)
		return (ret);
	if (vcpu->vc_md == NULL)
		ret = ENODEV;
	else
		__atomic_store_n(&vcpu->vc_stop_at, ns, __ATOMIC_RELAXED);
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}

/*
 * vmmsim_vcpu_idle(): the vcpu stayed halted for ns outside RUN, so its
 * CPU's virtual time (TSC, pvclock) moves on by ns.  As READREGS, it
 * waits for an in-flight RUN; a vcpu that is not STOPPED then is EBUSY.
 */
int
vm_vcpu_idle(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    uint64_t ns)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct emu_cpu *cpu;
	const uint64_t *slot_hpa;
	int ret;

	if ((ret = vm_vcpu_hold(sc, vm_id, vcpu_id, 1, &vm, &vcpu)) != 0)
		return (ret);
	cpu = vcpu_emu(vcpu, &slot_hpa);
	if (ns > UINT64_MAX - emu_cpu_vtime(cpu))
		ret = EINVAL;
	else
		emu_cpu_set_vtime(cpu, emu_cpu_vtime(cpu) + ns);
	vm_vcpu_drop(vm, vcpu);
	return (ret);
}

/*
 * vmmsim_guest_written(): [gpa, gpa + len) of the VM's memory was written
 * from outside.  Each vcpu notes it, merging with the range before when
 * they touch, and forgets the code decoded from there before it next
 * runs (vcpu_apply_written).  Does not wait for a RUN in flight: a
 * device's completion interrupt comes with a later RUN anyway.
 */
int
vm_guest_written(struct vmm_softc *sc, uint32_t vm_id, uint64_t gpa,
    uint64_t len)
{
	struct vm *vm;
	struct vcpu *vcpu;
	uint64_t *last;
	unsigned int n;
	int ret;

	if (len != 0 && gpa + (len - 1) < gpa)
		return (EINVAL);
	if ((ret = vm_find(sc, vm_id, &vm)) != 0)
		return (ret);
	if (len == 0)
		goto out;
	pthread_rwlock_rdlock(&vm->vm_vcpu_lock);
	SLIST_FOREACH(vcpu, &vm->vm_vcpu_list, vc_vcpu_link) {
		pthread_mutex_lock(&vcpu->vc_wlock);
		n = vcpu->vc_nwritten;
		last = n != 0 && n != VCPU_WRITTEN_ALL ?
		    vcpu->vc_written[n - 1] : NULL;
		if (n == VCPU_WRITTEN_ALL)
			;			/* everything already */
		else if (last != NULL && gpa <= last[0] + last[1] &&
		    last[0] <= gpa + len) {
			uint64_t lo = gpa < last[0] ? gpa : last[0];
			uint64_t hi = gpa + len > last[0] + last[1] ?
			    gpa + len : last[0] + last[1];

			last[0] = lo;
			last[1] = hi - lo;
		} else if (n == VCPU_WRITTEN_MAX)
			__atomic_store_n(&vcpu->vc_nwritten, VCPU_WRITTEN_ALL,
			    __ATOMIC_RELEASE);
		else {
			vcpu->vc_written[n][0] = gpa;
			vcpu->vc_written[n][1] = len;
			__atomic_store_n(&vcpu->vc_nwritten, n + 1,
			    __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&vcpu->vc_wlock);
	}
	pthread_rwlock_unlock(&vm->vm_vcpu_lock);
out:
	refcnt_rele_wake(&vm->vm_refcnt);
	return (0);
}

/* vmmsim_vcpu_vtime(): the vcpu's CPU's virtual time, in ns. */
int
vm_vcpu_vtime(struct vmm_softc *sc, uint32_t vm_id, uint32_t vcpu_id,
    uint64_t *ns)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int ret;

	if ((ret = find_vcpu(sc, vm_id, vcpu_id, &vm, &vcpu)) != 0)
		return (ret);
	if (vcpu->vc_md == NULL)
		ret = ENODEV;
	else
		*ns = is_vmx(sc) ? vcpu_vtime_vmx(vcpu) : vcpu_vtime_svm(vcpu);
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}
