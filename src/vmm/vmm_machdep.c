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
 * The amd64 half of the monitor.  This revision has the parts that need no
 * simulated CPU: VPID/ASID allocation per vcpu and the ioctl and pledge
 * tables.  The ioctls that need the CPU (RUN, RESETCPU, READREGS,
 * WRITEREGS, READVMPARAMS, WRITEVMPARAMS, INTR) fail with ENODEV: the
 * device exists, the CPU support behind them does not yet.
 */

#include <errno.h>
#include <stdlib.h>

#include "vmm.h"
#include "vmm_machdep.h"

struct vcpu_md {
	int	unused;
};

int
vmm_attach_machdep(struct vmm_softc *sc)
{
	/* VPIDs are 16 bits but OpenBSD caps the bitmap at 0xFFF. */
	sc->max_vpid = 0xFFF;
	return (0);
}

void
vmm_detach_machdep(struct vmm_softc *sc)
{
	(void)sc;
}

int
vmm_start(struct vmm_softc *sc)
{
	(void)sc;
	return (0);
}

void
vmm_stop(struct vmm_softc *sc)
{
	(void)sc;
}

int
vm_impl_init(struct vmm_softc *sc, struct vm *vm)
{
	(void)sc;
	(void)vm;
	return (0);
}

void
vm_impl_deinit(struct vm *vm)
{
	(void)vm;
}

size_t
vm_resident_count(struct vm *vm)
{
	(void)vm;
	return (1);	/* the nested-paging PML4 */
}

int
vcpu_init(struct vmm_softc *sc, struct vcpu *vcpu, struct vm_create_params *vcp)
{
	(void)vcp;
	return (vmm_alloc_vpid(sc, 1, &vcpu->vc_vpid));
}

void
vcpu_deinit(struct vmm_softc *sc, struct vcpu *vcpu)
{
	vmm_free_vpid(sc, vcpu->vc_vpid);
	free(vcpu->vc_md);
	vcpu->vc_md = NULL;
}

int
vcpu_reset_regs(struct vcpu *vcpu, struct vcpu_reg_state *vrs)
{
	(void)vcpu;
	(void)vrs;
	return (ENODEV);
}

int
vm_run(struct vmm_softc *sc, struct vm_run_params *vrp)
{
	(void)sc;
	(void)vrp;
	return (ENODEV);
}

int
vm_rwregs(struct vmm_softc *sc, struct vm_rwregs_params *vrwp, int dir)
{
	(void)sc;
	(void)vrwp;
	(void)dir;
	return (ENODEV);
}

int
vm_rwvmparams(struct vmm_softc *sc, struct vm_rwvmparams_params *vpp, int dir)
{
	(void)sc;
	(void)vpp;
	(void)dir;
	return (ENODEV);
}

int
vmmioctl_machdep(struct vmm_softc *sc, unsigned long cmd, void *data)
{
	(void)sc;
	(void)data;
	switch (cmd) {
	case VMM_IOC_INTR:
		return (ENODEV);
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
