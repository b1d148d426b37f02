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
 * fuzz_guest: random guest code run by the simulated CPU in real,
 * protected and long mode, under random execution controls.
 *
 * The input picks the mode, flips execution-control bits that need no
 * other VMCS field to be valid (the exiting controls, MTF, the exception
 * bitmap, CR masks and shadows, the preemption timer), maybe an event to
 * inject, the guest's GPRs, and up to 4 KiB of code and data at
 * GUEST_CODE (the rest of the 64 KiB of RAM is HLT, F4, but for the
 * descriptor and page tables of the mode).  Then the guest runs for up to
 * MAX_EXITS exits, the monitor skipping each instruction that exited, as
 * vmm(4) would.
 *
 * External-interrupt exiting stays on with a host tick every few thousand
 * instructions: that is the bound on a guest that never exits, the same
 * one vmm(4) has.  What may not happen: a crash, a sanitizer report, a
 * hang, or a VMLAUNCH/VMRESUME result other than the SDM's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_mach.h"

#define MAX_EXITS	16
#define HOST_TICK	1000

/* Primary controls whose setting needs nothing else in the VMCS. */
#define PROC_FREE	(IA32_VMX_INTERRUPT_WINDOW_EXITING | \
	IA32_VMX_USE_TSC_OFFSETTING | IA32_VMX_HLT_EXITING | \
	IA32_VMX_INVLPG_EXITING | IA32_VMX_MWAIT_EXITING | \
	IA32_VMX_RDPMC_EXITING | IA32_VMX_RDTSC_EXITING | \
	IA32_VMX_CR3_LOAD_EXITING | IA32_VMX_CR3_STORE_EXITING | \
	IA32_VMX_CR8_LOAD_EXITING | IA32_VMX_CR8_STORE_EXITING | \
	IA32_VMX_MOV_DR_EXITING | IA32_VMX_UNCONDITIONAL_IO_EXITING | \
	IA32_VMX_USE_IO_BITMAPS | IA32_VMX_MONITOR_TRAP_FLAG | \
	IA32_VMX_USE_MSR_BITMAPS | IA32_VMX_MONITOR_EXITING | \
	IA32_VMX_PAUSE_EXITING)
#define PROC2_FREE	(IA32_VMX_DESCRIPTOR_TABLE_EXITING | \
	IA32_VMX_ENABLE_RDTSCP | IA32_VMX_WBINVD_EXITING | \
	IA32_VMX_RDRAND_EXITING | IA32_VMX_ENABLE_INVPCID | \
	IA32_VMX_RDSEED_EXITING | IA32_VMX_ENABLE_XSAVES_XRSTORS)

static void
flip(struct mach *m, uint32_t field, uint64_t bits)
{
	(void)vmx_vmwrite(m->cpu, field, rd(m, field) ^ bits);
}

static void
controls(struct mach *m, struct fz *f)
{
	if (fz_u8(f) & 1)
		flip(m, VMCS_PROCBASED_CTLS, fz_u32(f) & PROC_FREE);
	if (fz_u8(f) & 1)
		flip(m, VMCS_PROCBASED2_CTLS, fz_u32(f) & PROC2_FREE);
	if (fz_u8(f) & 1)
		(void)vmx_vmwrite(m->cpu, VMCS_EXCEPTION_BITMAP, fz_u32(f));
	if (fz_u8(f) & 1) {
		(void)vmx_vmwrite(m->cpu, VMCS_CR0_MASK, fz_u64(f));
		(void)vmx_vmwrite(m->cpu, VMCS_CR4_MASK, fz_u64(f) | CR4_VMXE);
		(void)vmx_vmwrite(m->cpu, VMCS_CR0_READ_SHADOW, fz_u64(f));
		(void)vmx_vmwrite(m->cpu, VMCS_CR4_READ_SHADOW, fz_u64(f));
	}
	if (fz_u8(f) & 1) {
		flip(m, VMCS_PINBASED_CTLS,
		    IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER);
		(void)vmx_vmwrite(m->cpu, VMCS_VMX_PREEMPTION_TIMER_VAL,
		    fz_u16(f));
	}
	if (fz_pick(f, 4) == 0) {
		/* An event to inject: valid bit, type and vector random. */
		(void)vmx_vmwrite(m->cpu, VMCS_ENTRY_INTERRUPTION_INFO,
		    0x80000000U | (fz_u16(f) & 0xFFF));
		(void)vmx_vmwrite(m->cpu, VMCS_ENTRY_EXCEPTION_ERROR_CODE,
		    fz_u16(f));
		(void)vmx_vmwrite(m->cpu, VMCS_ENTRY_INSTRUCTION_LENGTH,
		    fz_pick(f, 16));
	}
	if (fz_pick(f, 4) == 0)
		(void)vmx_vmwrite(m->cpu, VMCS_GUEST_IA32_RFLAGS,
		    (fz_u32(f) & 0x3F7FD7) | 2);
	/* Never without a way out: see the comment at the top. */
	(void)vmx_vmwrite(m->cpu, VMCS_PINBASED_CTLS,
	    rd(m, VMCS_PINBASED_CTLS) | IA32_VMX_EXTERNAL_INT_EXITING);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mach m;
	struct emu_gprs regs;
	struct fz f;
	enum vmx_result r;
	uint32_t reason;
	int i;

	fz_init(&f, data, len);
	/*
	 * Memory the input does not write is HLT, not zero: 00 00 is
	 * ADD [RAX],AL, and a guest running into a zero sled had the engine
	 * translate blocks of hundreds of memory-writing instructions (about
	 * 0.7 ms each) at every exit in it, nine tenths of the run time for
	 * nothing the fuzzer could steer.  In two minutes: 2.4 times the
	 * executions, as much code reached (ROBUSTNESS.md, ninth session).
	 */
	mach_init(&m, fz_pick(&f, 3), 0xF4);
	controls(&m, &f);
	fz_bytes(&f, &regs, sizeof(regs));
	fz_bytes_over(&f, m.ram + GUEST_CODE, 4096);
	emu_cpu_set_host_tick(m.cpu, HOST_TICK);

	for (i = 0; i < MAX_EXITS; i++) {
		r = i == 0 ? vmx_vmlaunch(m.cpu, &regs) :
		    vmx_vmresume(m.cpu, &regs);
		if (r == VMX_FAIL_VALID && vmx_last_error(m.cpu) != 0 &&
		    vmx_last_error(m.cpu) <= 28)
			break;		/* e.g. an injected event refused */
		if (r != VMX_SUCCEED) {
			fprintf(stderr, "VM entry %d: result %d, error %u\n",
			    i, r, vmx_last_error(m.cpu));
			abort();
		}
		reason = (uint32_t)rd(&m, VMCS_EXIT_REASON);
		if ((reason & 0x80000000U) || (reason & 0xFFFF) == 2)
			break;		/* entry failure, triple fault */
		/* After an instruction exit the monitor skips it. */
		(void)vmx_vmwrite(m.cpu, VMCS_GUEST_IA32_RIP,
		    rd(&m, VMCS_GUEST_IA32_RIP) +
		    rd(&m, VMCS_INSTRUCTION_LENGTH));
		/* Each injection once. */
		(void)vmx_vmwrite(m.cpu, VMCS_ENTRY_INTERRUPTION_INFO, 0);
	}
	mach_fini(&m);
	return (0);
}
