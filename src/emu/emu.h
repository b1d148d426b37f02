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
 * The simulated CPU's interface to the layer above (src/vmm): what a kernel
 * has on real silicon.  A host (struct emu_host) is a machine: physical
 * memory and a CPU model.  A CPU (struct emu_cpu) is one logical processor
 * with control registers, MSRs and VMX operation.  The monitor drives it
 * only through the instructions below, each with the SDM's semantics and
 * results (VMsucceed, VMfailInvalid, VMfailValid with the error number in
 * the current VMCS), and through host-physical memory (hostmem.h).
 *
 * Guest general-purpose registers are not part of the VMCS: as on hardware,
 * the caller of VMLAUNCH/VMRESUME hands them in and gets them back
 * (struct emu_gprs), the way a kernel's entry trampoline loads and saves
 * them around the instruction.
 */

#ifndef VMMSIM_EMU_EMU_H
#define VMMSIM_EMU_EMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hostmem.h"

struct emu_host;
struct emu_cpu;
struct vmx_caps;

/* Results of a VMX instruction (SDM Vol. 3C §31.2). */
enum vmx_result {
	VMX_SUCCEED = 0,	/* VMsucceed; for VMLAUNCH/VMRESUME: a VM exit */
	VMX_FAIL_INVALID,	/* VMfailInvalid: CF=1 */
	VMX_FAIL_VALID,		/* VMfailValid: ZF=1, error in the VMCS */
	VMX_FAULT_UD,		/* the instruction raised #UD */
	VMX_FAULT_GP		/* the instruction raised #GP(0) */
};

/* Register numbers of emu_gprs.r[]: ModRM order, as vmmvar.h's. */
#define EMU_RAX	0
#define EMU_RCX	1
#define EMU_RDX	2
#define EMU_RBX	3
#define EMU_RSP	4	/* ignored: RSP is in the VMCS */
#define EMU_RBP	5
#define EMU_RSI	6
#define EMU_RDI	7
#define EMU_NGPRS 16

struct emu_gprs {
	uint64_t	r[EMU_NGPRS];
	uint64_t	cr2;
	uint64_t	dr[4];		/* DR0-DR3 */
	uint64_t	dr6;
	uint64_t	xcr0;
};

/* INVEPT / INVVPID descriptors (SDM Vol. 3C §31.3). */
struct vmx_invept_desc {
	uint64_t	eptp;
	uint64_t	reserved;
};
struct vmx_invvpid_desc {
	uint64_t	vpid;		/* bits 15:0; 63:16 reserved */
	uint64_t	linear;
};

/*
 * The vendor of a host's CPU: profile "amd" gives an AMD-V CPU (SVM
 * instructions, VMX ones #UD), every other profile a VT-x CPU.
 */
enum emu_vendor {
	EMU_VENDOR_INTEL = 0,
	EMU_VENDOR_AMD
};

/* Results of an SVM instruction (APM Vol. 2 §15.5, §15.9). */
enum svm_result {
	SVM_SUCCEED = 0,	/* done; for VMRUN: a #VMEXIT, EXITCODE in the VMCB */
	SVM_FAULT_UD,		/* the instruction raised #UD */
	SVM_FAULT_GP		/* the instruction raised #GP(0) */
};

/* Host (machine) */
struct emu_host	*emu_host_create(const char *profile, int *errorp);
enum emu_vendor	 emu_host_vendor(struct emu_host *);
void		 emu_host_destroy(struct emu_host *);
struct hostmem	*emu_host_mem(struct emu_host *);
const struct vmx_caps *emu_host_caps(struct emu_host *);

/* Logical processors */
struct emu_cpu	*emu_cpu_create(struct emu_host *, int *errorp);
void		 emu_cpu_destroy(struct emu_cpu *);
/*
 * Destroyed CPUs leave their engines to the next CPUs created (a pool of
 * a few, per process): how many CPUs got one, and closing those waiting.
 */
uint64_t	 emu_engine_reused(void);
void		 emu_engine_pool_drain(void);

/* Host control registers and MSRs of the CPU (outside any guest). */
uint64_t	 emu_read_cr(struct emu_cpu *, int cr);
int		 emu_write_cr(struct emu_cpu *, int cr, uint64_t);
int		 emu_rdmsr(struct emu_cpu *, uint32_t msr, uint64_t *);
int		 emu_wrmsr(struct emu_cpu *, uint32_t msr, uint64_t);

/* VMX instructions */
enum vmx_result	 vmx_vmxon(struct emu_cpu *, uint64_t pa);
enum vmx_result	 vmx_vmxoff(struct emu_cpu *);
enum vmx_result	 vmx_vmclear(struct emu_cpu *, uint64_t pa);
enum vmx_result	 vmx_vmptrld(struct emu_cpu *, uint64_t pa);
enum vmx_result	 vmx_vmptrst(struct emu_cpu *, uint64_t *pa);
enum vmx_result	 vmx_vmread(struct emu_cpu *, uint64_t field, uint64_t *);
enum vmx_result	 vmx_vmread_n(struct emu_cpu *, const uint32_t *fields,
		    unsigned int n, uint64_t *values);
enum vmx_result	 vmx_vmwrite(struct emu_cpu *, uint64_t field, uint64_t);
enum vmx_result	 vmx_vmlaunch(struct emu_cpu *, struct emu_gprs *);
enum vmx_result	 vmx_vmresume(struct emu_cpu *, struct emu_gprs *);
enum vmx_result	 vmx_invept(struct emu_cpu *, uint64_t type,
		    const struct vmx_invept_desc *);
enum vmx_result	 vmx_invvpid(struct emu_cpu *, uint64_t type,
		    const struct vmx_invvpid_desc *);
/* VMCALL executed in VMX root operation (a hypervisor calling itself). */
enum vmx_result	 vmx_vmcall(struct emu_cpu *);

/*
 * SVM instructions.  VMRUN takes the VMCB's host-physical address (rAX on
 * hardware) and the guest GPRs but RAX and RSP, which are in the VMCB; it
 * returns at the #VMEXIT with the GPRs the guest left and the exit in the
 * VMCB (EXITCODE VMEXIT_INVALID when a consistency check failed).
 */
enum svm_result	 svm_vmrun(struct emu_cpu *, uint64_t vmcb_pa,
		    struct emu_gprs *);
enum svm_result	 svm_vmload(struct emu_cpu *, uint64_t vmcb_pa);
enum svm_result	 svm_vmsave(struct emu_cpu *, uint64_t vmcb_pa);
enum svm_result	 svm_stgi(struct emu_cpu *);
enum svm_result	 svm_clgi(struct emu_cpu *);
enum svm_result	 svm_invlpga(struct emu_cpu *, uint64_t va, uint32_t asid);
/* Why the last VMRUN gave VMEXIT_INVALID, for people. */
void		 svm_explain_vmrun_failure(struct emu_cpu *, FILE *);

/* The VM-instruction error of the current VMCS after VMX_FAIL_VALID. */
uint32_t	 vmx_last_error(struct emu_cpu *);

/*
 * An external interrupt arriving at this CPU from another thread (a host
 * IPI or device interrupt).  With external-interrupt exiting it ends guest
 * execution with exit reason 1 at the next instruction boundary.
 * Safe to call from any thread.
 */
void		 emu_cpu_kick(struct emu_cpu *);

/*
 * A non-maskable interrupt arriving at this CPU (a host NMI).  With NMI
 * exiting (SVM: the NMI intercept) the guest exits with it: exit reason 0
 * with an NMI in the interruption information (SVM: VMEXIT_NMI).  Without,
 * the guest takes it through vector 2 once NMIs are not blocked; taking
 * one (or having one injected) blocks NMIs until the next IRET, which
 * the interruptibility state reports as bit 3.  An NMI also ends HLT.
 * Safe to call from any thread.
 */
void		 emu_cpu_nmi(struct emu_cpu *);

/*
 * The host's timer interrupt, in virtual time: with external-interrupt
 * exiting, guest execution ends with exit reason 1 every interval retired
 * instructions (0 turns it off), so a monitor regains control from a guest
 * that never exits, deterministically.
 */
void		 emu_cpu_set_host_tick(struct emu_cpu *, uint64_t interval);

/*
 * A host interrupt at an absolute virtual time (0: none): with
 * external-interrupt exiting, guest execution ends with exit reason 1
 * when vtime reaches it, as for a host tick.  For a monitor that must
 * return to its caller at a virtual time (vmmsim_vcpu_stop_at).
 */
void		 emu_cpu_set_stop_at(struct emu_cpu *, uint64_t vtime);

/*
 * Host interrupts (kicks, the host tick, stop_at) end guest execution
 * with exit reason 1 (SVM: VMEXIT_INTR) whatever the guest's controls
 * say: for a CPU that runs the guests of a guest hypervisor, whose owner
 * takes such an exit back from the guest's VMCS (VMCB) unseen.
 */
void		 emu_cpu_set_host_exits(struct emu_cpu *, int on);

/*
 * Memory at host-physical [hpa, hpa + len) was written by someone other
 * than this CPU: a DMA engine, or the host through its own mapping of
 * guest RAM.  On hardware instruction fetch is coherent with such writes;
 * here the writer has to say so, and the CPU then forgets the code it
 * decoded and translated from those pages (at the next block it runs).
 * Stores the CPU's own guests make need none of this.  Outside guest
 * execution (the owner's thread, between entries).
 */
void		 emu_cpu_host_wrote(struct emu_cpu *, uint64_t hpa,
		    uint64_t len);

/* SVM: the global interrupt flag (1 after reset). */
int		 svm_gif(struct emu_cpu *);

/* Virtual time: instructions retired by guests on this CPU (plus set). */
uint64_t	 emu_cpu_vtime(struct emu_cpu *);

/*
 * Set virtual time, outside guest execution: for restoring a snapshot
 * (snap.c), and for a monitor whose guest stayed halted in the host for
 * a while (its TSC runs on); and the x87/SSE registers as a monitor switches them
 * (EMU_FPU_BYTES: FCW, FSW with TOP, the tag word, MXCSR at 8, ST0-7
 * as 16-byte slots from 16 (80 bits used), XMM0-15 from 144).
 */
#define EMU_FPU_BYTES	400
void		 emu_cpu_set_vtime(struct emu_cpu *, uint64_t vtime);
int		 emu_fpu_save(struct emu_cpu *, uint8_t *buf);
int		 emu_fpu_restore(struct emu_cpu *, const uint8_t *buf);
/* The state of the RDRAND/RDSEED generator (guest-visible: see snap.c). */
uint64_t	 emu_cpu_rng(struct emu_cpu *);
void		 emu_cpu_set_rng(struct emu_cpu *, uint64_t);

/*
 * TLB checked mode: every use of a cached translation (VPID- and
 * EPTP-tagged, see tlb.c) that a fresh walk would no longer give is
 * reported: to stderr, or to a function given by
 * emu_cpu_set_tlb_check() below.  VMMSIM_CHECK_TLB=1 in the
 * environment turns it on for every CPU.
 */
void		 emu_cpu_tlb_check_stderr(struct emu_cpu *);

/* One cached translation (tlb.c): a 4 KiB page's mapping and rights. */
struct emu_xlat {
	uint64_t	hpa;		/* host-physical page */
	uint64_t	gpa;		/* guest-physical page */
	uint8_t		ept;		/* EPT R/W/X along the walk */
	bool		w, u, nx;	/* guest paging rights along the walk */
	bool		dirty;		/* leaf's D flag set */
	bool		global;		/* leaf's G flag with CR4.PGE */
};

/*
 * A use of a stale translation, found in checked mode: what the cached
 * translation said and what a fresh walk says now.  A monitor that
 * records them installs its own function with emu_cpu_set_tlb_check()
 * (NULL, NULL turns checked mode off).
 */
struct emu_stale_report {
	uint64_t	vtime;
	uint16_t	vpid;
	uint64_t	eptp;
	uint64_t	va;
	struct emu_xlat	cached;
	bool		now_faults;	/* a fresh walk faults */
	struct emu_xlat	now;		/* else what a fresh walk gives */
};
typedef void emu_stale_fn(void *, const struct emu_stale_report *);
void		 emu_cpu_set_tlb_check(struct emu_cpu *, emu_stale_fn *,
		    void *);
uint64_t	 emu_cpu_stale_count(struct emu_cpu *);

/* Why the last VM entry failed, for people: rule, SDM section, values. */
void		 vmx_explain_entry_failure(struct emu_cpu *, FILE *);

/*
 * Why the last VM entry (VMLAUNCH/VMRESUME) or VMRUN failed a check, as
 * data for a monitor to record: the check's name, its SDM Vol. 3C or APM
 * Vol. 2 section, the rule in one line, the field values that broke it,
 * and what the instruction reported.  The strings stay valid until the
 * next entry on this CPU.  0, or -1 when the last entry failed no check
 * (it succeeded, or it failed before the checks: VMfailInvalid, a VMCS
 * in the wrong launch state).
 */
struct emu_entry_failure {
	const char	*rule;		/* e.g. "guest_cr0_fixed_bits" */
	const char	*section;	/* e.g. "27.3.1.1" */
	const char	*what;		/* the rule, in one line */
	const char	*detail;	/* field names and values */
	uint32_t	 vm_error;	/* VMX: VMfailValid number, or 0 */
	uint32_t	 exit_reason;	/* VMX: 33 or 34 (bit 31 clear), or 0 */
	uint64_t	 exit_qual;	/* VMX: the exit's qualification */
};
int		 vmx_entry_failure(struct emu_cpu *, struct emu_entry_failure *);
int		 svm_vmrun_failure(struct emu_cpu *, struct emu_entry_failure *);

#endif /* VMMSIM_EMU_EMU_H */
