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
 * The monitor's side of exit traces (vmm_trace.c): what vmm_dev.c,
 * vm_run and the VMX/SVM run loops call.
 */

#ifndef VMMSIM_VMM_TRACE_H
#define VMMSIM_VMM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm.h"
#include "vmmsim_trace.h"
#include "emu/emu.h"

struct emu_cpu;
struct hostmem;
struct vcpu_inject_event;

/* One exit between its capture and the handler's result. */
struct vmm_trace_exit {
	uint8_t		 rec[VMMSIM_TREC_EXIT_SIZE];
	uint8_t		*snap;		/* its snapshot record, or NULL */
	size_t		 snaplen;
};

int	vmm_trace_start(struct proc *, int mode, const char *path, int flags);
int	vmm_trace_snap_at(struct proc *, uint64_t seq);
int	vmm_trace_stop(struct proc *);
struct vmm_trace *vmm_trace_hold(struct proc *);
void	vmm_trace_rele(struct vmm_trace *);

void	vmm_trace_exit_vmx(struct vcpu *, struct emu_cpu *, struct hostmem *,
	    struct vmm_trace_exit *);
void	vmm_trace_exit_svm(struct vcpu *, struct emu_cpu *, const uint8_t *,
	    struct hostmem *, struct vmm_trace_exit *);
void	vmm_trace_exit_done(struct vcpu *, struct vmm_trace_exit *, int,
	    const struct vcpu_inject_event *);

void	vmm_trace_entry_fail_vmx(struct vcpu *, struct emu_cpu *,
	    struct hostmem *, int resume, enum vmx_result);
void	vmm_trace_entry_fail_svm(struct vcpu *, struct emu_cpu *,
	    const struct vmm_trace_exit *);
void	vmm_trace_tlb_check(struct vcpu *, struct emu_cpu *);

/*
 * Bare-metal mode (vmm_nested.c): L1's VMLAUNCH (resume 0) or VMRESUME
 * on the inner CPU returned r.  With VMX_SUCCEED, L2's exit is in L1's
 * VMCS (current on cpu) and g holds L2's registers; it is recorded as a
 * nested exit (with L1's VMCS and EPT when a snapshot is asked for), and
 * as an entry failure too when the exit has the entry-failure bit.
 * VMfailInvalid and VMfailValid are recorded as nested entry failures
 * of L1's exit.  hm is the inner machine's memory (L1's EPT is there).
 * The records go to the file after the exit of L1 being handled.
 */
void	vmm_trace_nested_vmx(struct vcpu *, struct emu_cpu *, struct hostmem *,
	    const struct emu_gprs *, int resume, enum vmx_result);
/*
 * L1's VMRUN of the VMCB at vmcb_pa (a VM guest-physical address) on the
 * inner CPU gave a #VMEXIT; g holds L2's registers but RAX (in the
 * VMCB).  VMEXIT_INVALID is recorded as an entry failure too.
 */
void	vmm_trace_nested_svm(struct vcpu *, struct emu_cpu *, struct hostmem *,
	    uint64_t vmcb_pa, const struct emu_gprs *);

#endif /* VMMSIM_VMM_TRACE_H */
