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
 * The machine-independent monitor: VM bookkeeping and the ioctls that need
 * no CPU (CREATE, INFO, TERM, SHAREMEM), plus RESETCPU's lookup and state
 * rules.  Follows vmm-contract.md §3–§6 with the 2024 (vmm.h rev 1.4)
 * memory semantics of DESIGN.md §2.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_nested.h"

__thread struct proc *curproc;

static struct vmm_softc *vmm_softcs[3];		/* indexed by mode */
static pthread_mutex_t vmm_attach_mtx = PTHREAD_MUTEX_INITIALIZER;

/*
 * vmm_attach
 *
 * Attaches the simulated vmm(4) for one vendor (mode): the softc and its
 * machine-dependent half.  Idempotent; the softc lives for the process.
 *
 * Return values:
 *  0: success, *res set
 *  ENODEV: the mode is unknown or the machine-dependent attach failed
 */
int
vmm_attach(int mode, struct vmm_softc **res)
{
	struct vmm_softc *sc;
	int ret = 0;

	if (mode != VMM_MODE_EPT && mode != VMM_MODE_RVI)
		return (ENODEV);

	pthread_mutex_lock(&vmm_attach_mtx);
	if ((sc = vmm_softcs[mode]) != NULL)
		goto out;

	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		ret = ENOMEM;
		goto out;
	}
	sc->sc_status = VMM_ACTIVE;
	sc->mode = mode;
	sc->vcpu_ct = 0;
	sc->vcpu_max = VMM_MAX_VCPUS;
	sc->vm_ct = 0;
	sc->vm_idx = 0;
	SLIST_INIT(&sc->vm_list);
	pthread_rwlock_init(&sc->vm_lock, NULL);
	pthread_mutex_init(&sc->vpid_lock, NULL);

	if ((ret = vmm_attach_machdep(sc)) != 0) {
		pthread_mutex_destroy(&sc->vpid_lock);
		pthread_rwlock_destroy(&sc->vm_lock);
		free(sc);
		sc = NULL;
		ret = ENODEV;
		goto out;
	}
	vmm_softcs[mode] = sc;
	copy_init();
out:
	pthread_mutex_unlock(&vmm_attach_mtx);
	*res = sc;
	return (ret);
}

struct vmm_softc *
vmm_softc_for_mode(int mode)
{
	struct vmm_softc *sc = NULL;

	if (mode == VMM_MODE_EPT || mode == VMM_MODE_RVI)
		sc = __atomic_load_n(&vmm_softcs[mode], __ATOMIC_ACQUIRE);
	return (sc);
}

/*
 * pledge_fail
 *
 * What OpenBSD's pledge layer does on a violation, without killing the
 * caller: the violation is logged and the call fails with EPERM (ENOSYS
 * for a process that pledged "error", as in OpenBSD).
 */
int
pledge_fail(struct proc *p, int error, uint32_t code)
{
	vmm_printf("pid %d: pledge \"%s\" violation on /dev/vmm (%s)\n",
	    (int)p->p_pid, code == PLEDGE_VMM ? "vmm" : "proc",
	    (p->p_pledge & PLEDGE_ERROR) ? "returning ENOSYS" :
	    "process would be killed; returning EPERM");
	if (p->p_pledge & PLEDGE_ERROR)
		return (ENOSYS);
	return (error);
}

/*
 * vm_find
 *
 * Finds a VM by id and takes a reference on it.
 *
 * Return values:
 *  0: found, *res holds a reference the caller must release
 *  ENOENT: no such VM
 *  EPERM: a process pledged "vmm" without "proc" asked for a VM it did not
 *   create
 */
int
vm_find(struct vmm_softc *sc, uint32_t id, struct vm **res)
{
	struct proc *p = curproc;
	struct vm *vm;
	int ret = ENOENT;

	*res = NULL;

	pthread_rwlock_rdlock(&sc->vm_lock);
	SLIST_FOREACH(vm, &sc->vm_list, vm_link) {
		if (vm->vm_id == id) {
			if (p->p_pledged && (p->p_pledge &
			    (PLEDGE_VMM | PLEDGE_PROC)) == PLEDGE_VMM &&
			    vm->vm_creator_pid != p->p_pid)
				ret = EPERM;
			else {
				refcnt_take(&vm->vm_refcnt);
				*res = vm;
				ret = 0;
			}
			break;
		}
	}
	pthread_rwlock_unlock(&sc->vm_lock);

	if (ret == EPERM)
		return (pledge_fail(p, EPERM, PLEDGE_VMM));
	return (ret);
}

/*
 * vm_find_vcpu
 *
 * Looks a vcpu up by id in a VM's vcpu list; NULL if there is none.
 */
struct vcpu *
vm_find_vcpu(struct vm *vm, uint32_t id)
{
	struct vcpu *vcpu, *found = NULL;

	if (vm == NULL)
		return (NULL);

	pthread_rwlock_rdlock(&vm->vm_vcpu_lock);
	SLIST_FOREACH(vcpu, &vm->vm_vcpu_list, vc_vcpu_link) {
		if (vcpu->vc_id == id) {
			found = vcpu;
			break;
		}
	}
	pthread_rwlock_unlock(&vm->vm_vcpu_lock);
	return (found);
}

/*
 * pledge_ioctl_vmm
 *
 * Which ioctls a process pledged "vmm" may issue: CREATE, INFO and
 * SHAREMEM only with "proc" as well (vmd's parent), the per-VM operations
 * always.
 */
int
pledge_ioctl_vmm(struct proc *p, unsigned long com)
{
	switch (com) {
	case VMM_IOC_CREATE:
	case VMM_IOC_INFO:
	case VMM_IOC_SHAREMEM:
		if (p->p_pledge & PLEDGE_PROC)
			return (0);
		break;
	case VMM_IOC_TERM:
	case VMM_IOC_RUN:
	case VMM_IOC_RESETCPU:
	case VMM_IOC_READREGS:
	case VMM_IOC_WRITEREGS:
	case VMM_IOC_READVMPARAMS:
	case VMM_IOC_WRITEVMPARAMS:
		return (0);
	default:
		return (pledge_ioctl_vmm_machdep(p, com));
	}

	return (EPERM);
}

/*
 * vmmioctl
 *
 * The /dev/vmm ioctl switch.  'data' is the monitor's own copy of the
 * argument (the device layer copied it in and copies it back out on
 * success, as sys_ioctl does).
 */
int
vmmioctl(struct vmm_softc *sc, unsigned long cmd, void *data)
{
	int ret;

	switch (cmd) {
	case VMM_IOC_CREATE:
		if ((ret = vmm_start(sc)) != 0) {
			vmm_stop(sc);
			break;
		}
		ret = vm_create(sc, (struct vm_create_params *)data, curproc);
		break;
	case VMM_IOC_RUN:
		ret = vm_run(sc, (struct vm_run_params *)data);
		break;
	case VMM_IOC_INFO:
		ret = vm_get_info(sc, (struct vm_info_params *)data);
		break;
	case VMM_IOC_TERM:
		ret = vm_terminate(sc, (struct vm_terminate_params *)data);
		break;
	case VMM_IOC_RESETCPU:
		ret = vm_resetcpu(sc, (struct vm_resetcpu_params *)data);
		break;
	case VMM_IOC_READREGS:
		ret = vm_rwregs(sc, (struct vm_rwregs_params *)data, 0);
		break;
	case VMM_IOC_WRITEREGS:
		ret = vm_rwregs(sc, (struct vm_rwregs_params *)data, 1);
		break;
	case VMM_IOC_READVMPARAMS:
		ret = vm_rwvmparams(sc, (struct vm_rwvmparams_params *)data, 0);
		break;
	case VMM_IOC_WRITEVMPARAMS:
		ret = vm_rwvmparams(sc, (struct vm_rwvmparams_params *)data, 1);
		break;
	case VMM_IOC_SHAREMEM:
		ret = vm_share_mem(sc, (struct vm_sharemem_params *)data,
		    curproc);
		break;
	default:
		ret = vmmioctl_machdep(sc, cmd, data);
		break;
	}

	return (ret);
}

/*
 * vm_create_check_mem_ranges
 *
 * Validates the guest memory ranges of a CREATE request: 1..16 ranges,
 * page-aligned gpa/va/size with size != 0, each range below 128 GiB, each
 * va inside user space without wrapping, ascending and non-overlapping.
 * Types are not validated.
 *
 * Return values:
 *  the total size of the non-MMIO ranges, or 0 if a rule is broken (or
 *  every range is MMIO)
 */
size_t
vm_create_check_mem_ranges(struct vm_create_params *vcp)
{
	size_t i, memsize = 0;
	struct vm_mem_range *vmr, *pvmr = NULL;
	const paddr_t maxgpa = VMM_MAX_VM_MEM_SIZE;

	if (vcp->vcp_nmemranges == 0 ||
	    vcp->vcp_nmemranges > VMM_MAX_MEM_RANGES)
		return (0);

	for (i = 0; i < vcp->vcp_nmemranges; i++) {
		vmr = &vcp->vcp_memranges[i];

		/* Only page-aligned addresses and sizes are permitted. */
		if ((vmr->vmr_gpa & PAGE_MASK) || (vmr->vmr_va & PAGE_MASK) ||
		    (vmr->vmr_size & PAGE_MASK) || vmr->vmr_size == 0)
			return (0);

		/* The range must end at or below VMM_MAX_VM_MEM_SIZE. */
		if (vmr->vmr_gpa >= maxgpa ||
		    vmr->vmr_size > maxgpa - vmr->vmr_gpa)
			return (0);

		/* The va must lie in user space and not wrap around. */
		if (vmr->vmr_va < VM_MIN_ADDRESS ||
		    vmr->vmr_va >= VM_MAXUSER_ADDRESS ||
		    vmr->vmr_size >= VM_MAXUSER_ADDRESS - vmr->vmr_va)
			return (0);

		/* Ascending and non-overlapping (adjacency is fine). */
		if (pvmr != NULL && pvmr->vmr_gpa + pvmr->vmr_size >
		    vmr->vmr_gpa)
			return (0);

		/* MMIO ranges have no memory behind them. */
		if (vmr->vmr_type != VM_MEM_MMIO)
			memsize += vmr->vmr_size;
		pvmr = vmr;
	}

	return (memsize);
}

static struct vm *
vm_alloc(void)
{
	struct vm *vm;

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		return (NULL);
	SLIST_INIT(&vm->vm_vcpu_list);
	pthread_rwlock_init(&vm->vm_vcpu_lock, NULL);
	refcnt_init(&vm->vm_refcnt);
	return (vm);
}

/*
 * vm_create
 *
 * Creates a VM from 'vcp' on behalf of process 'p': checks the memory
 * ranges, shares the caller's guest memory into the VM, sets up the
 * machine-dependent state and the vcpu, and publishes the VM with a new id.
 *
 * Return values:
 *  0: success, vcp->vcp_id set
 *  EINVAL: bad memory ranges, or vcp_ncpus != 1
 *  ENOMEM: vcpu capacity reached, guest memory could not be shared, or
 *   VPID/ASID or page allocation failed
 *  other: from the machine-dependent vcpu setup
 */
int
vm_create(struct vmm_softc *sc, struct vm_create_params *vcp, struct proc *p)
{
	size_t i, memsize;
	struct vm *vm;
	struct vcpu *vcpu;
	struct vm_mem_range *vmr;
	int ret;

	memsize = vm_create_check_mem_ranges(vcp);
	if (memsize == 0)
		return (EINVAL);

	/* Uniprocessor guests only. */
	if (vcp->vcp_ncpus != 1)
		return (EINVAL);

	/* Bail early if we're already at vcpu capacity. */
	pthread_rwlock_rdlock(&sc->vm_lock);
	if (sc->vcpu_ct + vcp->vcp_ncpus > sc->vcpu_max) {
		pthread_rwlock_unlock(&sc->vm_lock);
		return (ENOMEM);
	}
	pthread_rwlock_unlock(&sc->vm_lock);

	if ((vm = vm_alloc()) == NULL)
		return (ENOMEM);

	vm->vm_creator_pid = p->p_pid;
	vm->vm_redeliver = p->p_redeliver;
	vm->vm_bare = p->p_bare;
	vm->vm_nmemranges = vcp->vcp_nmemranges;
	memcpy(vm->vm_memranges, vcp->vcp_memranges,
	    vm->vm_nmemranges * sizeof(vm->vm_memranges[0]));
	vm->vm_memory_size = memsize;
	/* At most 63 bytes of the name, always NUL-terminated. */
	memcpy(vm->vm_name, vcp->vcp_name,
	    strnlen(vcp->vcp_name, VMM_MAX_NAME_LEN - 1));

	/* Share the caller's guest memory into the VM (uvm_share). */
	for (i = 0; i < vm->vm_nmemranges; i++) {
		vmr = &vm->vm_memranges[i];
		if (vmr->vmr_type == VM_MEM_MMIO)
			continue;
		if (vm_mem_obj_share_in(vmr->vmr_va, vmr->vmr_size,
		    &vm->vm_memory_slot[i]) != 0) {
			vmm_printf("vm_impl_init: uvm_share failed for range "
			    "%zu\n", i);
			vm_teardown(sc, &vm);
			return (ENOMEM);
		}
	}

	if (vm_impl_init(sc, vm) != 0) {
		vm_teardown(sc, &vm);
		return (ENOMEM);
	}

	for (i = 0; i < vcp->vcp_ncpus; i++) {
		if ((vcpu = calloc(1, sizeof(*vcpu))) == NULL) {
			vm_teardown(sc, &vm);
			return (ENOMEM);
		}
		vcpu->vc_parent = vm;
		vcpu->vc_id = vm->vm_vcpu_ct;
		vcpu->vc_state = VCPU_STATE_STOPPED;
		pthread_rwlock_init(&vcpu->vc_lock, NULL);
		pthread_mutex_init(&vcpu->vc_wlock, NULL);
		vm->vm_vcpu_ct++;
		if ((ret = vcpu_init(sc, vcpu, vcp)) != 0) {
			pthread_rwlock_destroy(&vcpu->vc_lock);
			pthread_mutex_destroy(&vcpu->vc_wlock);
			free(vcpu);
			vm->vm_vcpu_ct--;
			vm_teardown(sc, &vm);
			return (ret);
		}
		pthread_rwlock_wrlock(&vm->vm_vcpu_lock);
		SLIST_INSERT_HEAD(&vm->vm_vcpu_list, vcpu, vc_vcpu_link);
		pthread_rwlock_unlock(&vm->vm_vcpu_lock);
	}

	/* Publish, unless someone took our capacity meanwhile. */
	pthread_rwlock_wrlock(&sc->vm_lock);
	if (sc->vcpu_ct + vm->vm_vcpu_ct > sc->vcpu_max) {
		pthread_rwlock_unlock(&sc->vm_lock);
		vm_teardown(sc, &vm);
		return (ENOMEM);
	}
	sc->vm_idx++;
	vm->vm_id = (uint32_t)sc->vm_idx;
	vcp->vcp_id = vm->vm_id;
	vm->vm_dying = 0;
	SLIST_INSERT_HEAD(&sc->vm_list, vm, vm_link);
	sc->vm_ct++;
	sc->vcpu_ct += vm->vm_vcpu_ct;
	pthread_rwlock_unlock(&sc->vm_lock);

	return (0);
}

/*
 * vm_teardown
 *
 * Destroys a VM that is off the global list (or never was on it): its
 * vcpus (and their VPIDs), its machine-dependent state and its references
 * to guest memory.  Mappings in processes stay.
 */
void
vm_teardown(struct vmm_softc *sc, struct vm **target)
{
	struct vcpu *vcpu, *tmp;
	struct vm *vm = *target;
	size_t i;

	SLIST_FOREACH_SAFE(vcpu, &vm->vm_vcpu_list, vc_vcpu_link, tmp) {
		SLIST_REMOVE(&vm->vm_vcpu_list, vcpu, vcpu, vc_vcpu_link);
		vcpu_deinit(sc, vcpu);
		vmm_nested_free(vcpu);
		pthread_rwlock_destroy(&vcpu->vc_lock);
		pthread_mutex_destroy(&vcpu->vc_wlock);
		free(vcpu);
	}

	vm_impl_deinit(sc, vm);

	for (i = 0; i < vm->vm_nmemranges; i++) {
		if (vm->vm_memory_slot[i] != NULL)
			vm_mem_obj_rele(vm->vm_memory_slot[i]);
		vm->vm_memory_slot[i] = NULL;
	}

	pthread_rwlock_destroy(&vm->vm_vcpu_lock);
	refcnt_destroy(&vm->vm_refcnt);
	free(vm);
	*target = NULL;
}

/*
 * vm_get_info
 *
 * Fills the caller's buffer with one vm_info_result per VM, newest first.
 * A buffer that is too small is not an error: vip_size is set to the size
 * needed and vip_info_ct to 0.
 *
 * Return values:
 *  0: success (or size query answered)
 *  ENOMEM: the monitor could not allocate its copy
 *  EFAULT: the caller's buffer could not be written
 */
int
vm_get_info(struct vmm_softc *sc, struct vm_info_params *vip)
{
	struct vm_info_result *out;
	struct vm *vm;
	struct vcpu *vcpu;
	size_t need, vm_ct, i = 0;
	uint32_t j;

	pthread_rwlock_rdlock(&sc->vm_lock);
	vm_ct = sc->vm_ct;
	pthread_rwlock_unlock(&sc->vm_lock);

	need = vm_ct * sizeof(struct vm_info_result);
	if (vip->vip_size < need) {
		vip->vip_info_ct = 0;
		vip->vip_size = need;
		return (0);
	}

	/* malloc(9) with M_ZERO; a zero-length request is fine. */
	out = calloc(1, need ? need : 1);
	if (out == NULL) {
		vip->vip_info_ct = 0;
		return (ENOMEM);
	}

	vip->vip_info_ct = vm_ct;

	pthread_rwlock_rdlock(&sc->vm_lock);
	SLIST_FOREACH(vm, &sc->vm_list, vm_link) {
		if (i == vm_ct)
			break;	/* Truncate to keep within bounds of 'out'. */
		refcnt_take(&vm->vm_refcnt);

		out[i].vir_memory_size = vm->vm_memory_size;
		out[i].vir_used_size = vm_resident_count(sc, vm) * PAGE_SIZE;
		out[i].vir_ncpus = vm->vm_vcpu_ct;
		out[i].vir_id = vm->vm_id;
		out[i].vir_creator_pid = vm->vm_creator_pid;
		memcpy(out[i].vir_name, vm->vm_name,
		    strnlen(vm->vm_name, VMM_MAX_NAME_LEN - 1));

		pthread_rwlock_rdlock(&vm->vm_vcpu_lock);
		for (j = 0; j < vm->vm_vcpu_ct && j < VMM_MAX_VCPUS_PER_VM;
		    j++) {
			out[i].vir_vcpu_state[j] = VCPU_STATE_UNKNOWN;
			SLIST_FOREACH(vcpu, &vm->vm_vcpu_list, vc_vcpu_link) {
				if (vcpu->vc_id == j)
					out[i].vir_vcpu_state[j] =
					    (uint8_t)__atomic_load_n(
					    &vcpu->vc_state, __ATOMIC_ACQUIRE);
			}
		}
		pthread_rwlock_unlock(&vm->vm_vcpu_lock);

		refcnt_rele_wake(&vm->vm_refcnt);
		i++;
	}
	pthread_rwlock_unlock(&sc->vm_lock);

	if (copyout(out, vip->vip_info, need) != 0) {
		free(out);
		return (EFAULT);
	}

	free(out);
	return (0);
}

/*
 * vm_terminate
 *
 * Removes a VM from the list and tears it down once every in-flight
 * operation on it (a RUN on another thread, say) has let go.  Nothing
 * forces a running vcpu out: TERM waits for it.
 *
 * Return values:
 *  0: the VM was terminated
 *  ENOENT/EPERM: from vm_find
 *  EBUSY: the VM is already being terminated
 */
int
vm_terminate(struct vmm_softc *sc, struct vm_terminate_params *vtp)
{
	struct vm *vm;
	int error;

	if ((error = vm_find(sc, vtp->vtp_vm_id, &vm)) != 0)
		return (error);
	return (vm_terminate_found(sc, vm));
}

/*
 * vm_terminate_found
 *
 * The body of vm_terminate once vm_find has returned the VM with a
 * reference, which this function consumes.
 */
int
vm_terminate_found(struct vmm_softc *sc, struct vm *vm)
{
	uint32_t nvcpu;

	/* Only proceed through remove and teardown once. */
	if (__atomic_exchange_n(&vm->vm_dying, 1, __ATOMIC_ACQ_REL) == 1) {
		refcnt_rele_wake(&vm->vm_refcnt);
		return (EBUSY);
	}

	pthread_rwlock_wrlock(&sc->vm_lock);
	SLIST_REMOVE(&sc->vm_list, vm, vm, vm_link);
	pthread_rwlock_unlock(&sc->vm_lock);

	/* Drop the list's reference; ours from vm_find remains. */
	if (refcnt_rele(&vm->vm_refcnt))
		abort();	/* the kernel panics here */

	/* Wait until our reference is the last one, then drop it. */
	refcnt_finalize(&vm->vm_refcnt);

	nvcpu = vm->vm_vcpu_ct;
	vm_teardown(sc, &vm);

	pthread_rwlock_wrlock(&sc->vm_lock);
	sc->vm_ct--;
	sc->vcpu_ct -= nvcpu;
	if (sc->vm_ct < 1)
		vmm_stop(sc);
	pthread_rwlock_unlock(&sc->vm_lock);

	return (0);
}

/*
 * vm_resetcpu
 *
 * Loads a vcpu with a complete initial register state.
 *
 * Return values:
 *  0: success
 *  ENOENT: unknown VM or vcpu
 *  EPERM: from vm_find
 *  EBUSY: the vcpu is not STOPPED (running, or terminated by a failed RUN)
 *  EIO: the state was refused (fixed CR0/CR4 bits, ...)
 */
int
vm_resetcpu(struct vmm_softc *sc, struct vm_resetcpu_params *vrp)
{
	struct vm *vm;
	struct vcpu *vcpu;
	int error, ret = 0;

	if ((error = vm_find(sc, vrp->vrp_vm_id, &vm)) != 0)
		return (error);

	vcpu = vm_find_vcpu(vm, vrp->vrp_vcpu_id);
	if (vcpu == NULL) {
		ret = ENOENT;
		goto out;
	}

	pthread_rwlock_wrlock(&vcpu->vc_lock);
	if (__atomic_load_n(&vcpu->vc_state, __ATOMIC_ACQUIRE) !=
	    VCPU_STATE_STOPPED)
		ret = EBUSY;
	else if (vcpu_reset_regs(vcpu, &vrp->vrp_init_state) != 0) {
		vmm_printf("vm_resetcpu: failed\n");
		ret = EIO;
	}
	pthread_rwlock_unlock(&vcpu->vc_lock);
out:
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}

/*
 * vcpu_must_stop
 *
 * Whether the run loop must return to userland now: the VM is being
 * terminated, or a signal for the calling thread arrived that its own
 * mask lets through (OpenBSD's SIGPENDING); vmm_signal.c keeps it from
 * being handled before RUN returns.
 */
int
vcpu_must_stop(struct vcpu *vcpu)
{
	if (__atomic_load_n(&vcpu->vc_state, __ATOMIC_ACQUIRE) ==
	    VCPU_STATE_REQTERM)
		return (1);
	return (vmm_sig_pending(&vcpu->vc_sigrun));
}

/*
 * The program's sigaction, called through a pointer from outside the file
 * that defines ours, so that it is the one the dynamic linker chose: ours
 * (vmm_signal.c) unless the library came in by dlopen or something before
 * it defines sigaction too.
 */
int
vmm_sig_probe(int sig, const struct sigaction *act, struct sigaction *oact)
{
	int (*volatile fn)(int, const struct sigaction *, struct sigaction *) =
	    sigaction;

	return (fn(sig, act, oact));
}

/*
 * vm_share_mem
 *
 * Maps every non-MMIO range of a VM into the calling process at the
 * addresses the caller chose (vsp_memranges[i].vmr_va).
 *
 * Return values:
 *  0: success
 *  ENOENT/EPERM: from vm_find
 *  EINVAL: the count, a type, gpa or size differs from the VM's ranges,
 *   or a destination address is not page aligned
 *  ENOMEM: a destination is not free or not in user space; nothing of this
 *   call stays mapped
 */
int
vm_share_mem(struct vmm_softc *sc, struct vm_sharemem_params *vsp,
    struct proc *p)
{
	struct vm *vm;
	struct vm_mem_range *src, *dst;
	size_t i, j, n;
	int ret;

	(void)p;
	if ((ret = vm_find(sc, vsp->vsp_vm_id, &vm)) != 0)
		return (ret);

	ret = EINVAL;
	if (vm->vm_nmemranges != vsp->vsp_nmemranges)
		goto out;
	n = vm->vm_nmemranges;

	for (i = 0; i < n; i++) {
		src = &vm->vm_memranges[i];
		dst = &vsp->vsp_memranges[i];
		if (src->vmr_type != dst->vmr_type ||
		    src->vmr_gpa != dst->vmr_gpa ||
		    src->vmr_size != dst->vmr_size ||
		    (dst->vmr_va & PAGE_MASK))
			goto out;
	}

	for (i = 0; i < n; i++) {
		src = &vm->vm_memranges[i];
		dst = &vsp->vsp_memranges[i];
		if (src->vmr_type == VM_MEM_MMIO)
			continue;
		ret = vm_mem_obj_map_at(vm->vm_memory_slot[i], dst->vmr_va);
		if (ret != 0) {
			/* Undo this call's earlier mappings. */
			for (j = 0; j < i; j++) {
				if (vm->vm_memranges[j].vmr_type == VM_MEM_MMIO)
					continue;
				(void)munmap_range(vsp->vsp_memranges[j].vmr_va,
				    vm->vm_memranges[j].vmr_size);
			}
			goto out;
		}
	}
	ret = 0;
out:
	refcnt_rele_wake(&vm->vm_refcnt);
	return (ret);
}
