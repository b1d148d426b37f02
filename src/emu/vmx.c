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
 * The simulated host and its logical processors, and the VMX instructions
 * (SDM Vol. 3C ch. 31 "VMX Instruction Reference"): VMXON, VMXOFF,
 * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT
 * and INVVPID, with their #UD/#GP conditions and VMfailInvalid /
 * VMfailValid results.  The instructions run in VMX root operation at
 * CPL 0 in 64-bit mode: the caller is a kernel.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_impl.h"

static void stale_to_stderr(void *, const struct emu_stale_report *);

/* Host */

struct emu_host *
emu_host_create(const char *profile, int *errorp)
{
	struct emu_host *h;
	const struct vmx_caps *caps;
	enum emu_vendor vendor = EMU_VENDOR_INTEL;

	/* An AMD CPU keeps the default VMX table only for its CR/MSR data. */
	if (profile != NULL && strcmp(profile, "amd") == 0) {
		vendor = EMU_VENDOR_AMD;
		profile = NULL;
	}
	if ((caps = vmx_caps_profile(profile)) == NULL) {
		*errorp = EINVAL;
		return (NULL);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		*errorp = ENOMEM;
		return (NULL);
	}
	h->caps = caps;
	h->vendor = vendor;
	pthread_mutex_init(&h->lock, NULL);
	if ((h->mem = hostmem_create()) == NULL) {
		free(h);
		*errorp = ENOMEM;
		return (NULL);
	}
	*errorp = 0;
	return (h);
}

void
emu_host_destroy(struct emu_host *h)
{
	if (h == NULL)
		return;
	hostmem_destroy(h->mem);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct hostmem *
emu_host_mem(struct emu_host *h)
{
	return (h->mem);
}

enum emu_vendor
emu_host_vendor(struct emu_host *h)
{
	return (h->vendor);
}

const struct vmx_caps *
emu_host_caps(struct emu_host *h)
{
	return (h->caps);
}

/* Logical processors */

/*
 * A CPU as firmware leaves it for the kernel: long mode, paging on,
 * IA32_FEATURE_CONTROL locked with VMX enabled outside SMX, CR4.VMXE
 * clear (the kernel sets it before VMXON).
 */
struct emu_cpu *
emu_cpu_create(struct emu_host *h, int *errorp)
{
	struct emu_cpu *cpu;
	int error;

	if ((cpu = emu_engine_take()) == NULL &&
	    (cpu = calloc(1, sizeof(*cpu))) == NULL) {
		*errorp = ENOMEM;
		return (NULL);
	}
	cpu->host = h;
	cpu->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	cpu->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	cpu->msr.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	cpu->msr.feature_control = IA32_FEATURE_CONTROL_LOCK |
	    IA32_FEATURE_CONTROL_VMX_EN;
	cpu->msr.pat = 0x0007040600070406ULL;	/* power-on PAT */
	cpu->dr[6] = DR6_FIXED1;
	cpu->dr[7] = DR7_FIXED1;
	cpu->vmcs_pa = VMCS_PA_NONE;
	cpu->engine_vmcs = VMCS_PA_NONE;
	pthread_mutex_init(&cpu->halt_lock, NULL);
	pthread_cond_init(&cpu->halt_cv, NULL);
	if ((cpu->tlb = tlb_create()) == NULL) {
		emu_engine_fini(cpu);
		free(cpu);
		*errorp = ENOMEM;
		return (NULL);
	}
	if ((error = emu_engine_init(cpu)) != 0) {
		tlb_destroy(cpu->tlb);
		free(cpu);
		*errorp = error;
		return (NULL);
	}
	if (getenv("VMMSIM_CHECK_TLB") != NULL &&
	    strcmp(getenv("VMMSIM_CHECK_TLB"), "0") != 0)
		cpu->stale_fn = stale_to_stderr;
	*errorp = 0;
	return (cpu);
}



void
emu_cpu_destroy(struct emu_cpu *cpu)
{
	if (cpu == NULL)
		return;
	svm_cpu_fini(cpu);
	tlb_destroy(cpu->tlb);
	cpu->tlb = NULL;
	pthread_mutex_destroy(&cpu->halt_lock);
	pthread_cond_destroy(&cpu->halt_cv);
	if (emu_engine_park(cpu))
		return;		/* kept, with its engine, for the next CPU */
	emu_engine_fini(cpu);
	free(cpu);
}

uint64_t
emu_read_cr(struct emu_cpu *cpu, int cr)
{
	switch (cr) {
	case 0:
		return (cpu->cr0);
	case 3:
		return (cpu->cr3);
	case 4:
		return (cpu->cr4);
	default:
		return (0);
	}
}

/*
 * MOV to CR0/CR3/CR4 on the host.  In VMX operation the CR0/CR4 fixed
 * bits hold (SDM Vol. 3C §24.8): a write that breaks them raises #GP,
 * reported here as EINVAL.
 */
int
emu_write_cr(struct emu_cpu *cpu, int cr, uint64_t v)
{
	const struct vmx_caps *caps = cpu->host->caps;

	switch (cr) {
	case 0:
		if (cpu->vmx_root && ((v & caps->cr0_fixed0) != caps->cr0_fixed0 ||
		    (v & ~caps->cr0_fixed1) != 0))
			return (EINVAL);
		if (cpu->cr0 != v)
			cpu->checks_valid = false;
		cpu->cr0 = v;
		return (0);
	case 3:
		cpu->cr3 = v;
		return (0);
	case 4:
		if (cpu->vmx_root && ((v & caps->cr4_fixed0) != caps->cr4_fixed0 ||
		    (v & ~caps->cr4_fixed1) != 0))
			return (EINVAL);
		if (cpu->cr4 != v)
			cpu->checks_valid = false;
		cpu->cr4 = v;
		return (0);
	default:
		return (EINVAL);
	}
}

static uint64_t *
msr_slot(struct emu_cpu *cpu, uint32_t msr)
{
	struct emu_msrs *m = &cpu->msr;

	switch (msr) {
	case MSR_IA32_FEATURE_CONTROL:	return (&m->feature_control);
	case MSR_EFER:			return (&m->efer);
	case 0xc0000081:		return (&m->star);
	case 0xc0000082:		return (&m->lstar);
	case 0xc0000083:		return (&m->cstar);
	case 0xc0000084:		return (&m->sfmask);
	case MSR_KERNELGSBASE:		return (&m->kgsbase);
	case MSR_FSBASE:		return (&m->fsbase);
	case MSR_GSBASE:		return (&m->gsbase);
	case MSR_SYSENTER_CS:		return (&m->sysenter_cs);
	case MSR_SYSENTER_ESP:		return (&m->sysenter_esp);
	case MSR_SYSENTER_EIP:		return (&m->sysenter_eip);
	case MSR_CR_PAT:		return (&m->pat);
	case 0x1a0:			return (&m->misc_enable);
	case 0xc0000103:		return (&m->tsc_aux);
	case MSR_DEBUGCTLMSR:		return (&m->debugctl);
	default:			return (NULL);
	}
}

/* RDMSR on the host: 0, or EINVAL where the CPU would raise #GP. */
int
emu_rdmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t *v)
{
	uint64_t *p;
	int error;

	if (cpu->host->vendor == EMU_VENDOR_AMD) {
		if ((error = svm_rdmsr(cpu, msr, v)) >= 0)
			return (error);
		/* No VMX on an AMD CPU: its MSRs do not exist there. */
		if (msr == MSR_IA32_FEATURE_CONTROL ||
		    (msr >= IA32_VMX_BASIC && msr <= IA32_VMX_VMFUNC))
			return (EINVAL);
	}
	if (vmx_caps_rdmsr(cpu->host->caps, msr, v) == 0)
		return (0);
	if (msr == 0x10) {		/* IA32_TIME_STAMP_COUNTER */
		*v = cpu->vtime;
		return (0);
	}
	if ((p = msr_slot(cpu, msr)) == NULL)
		return (EINVAL);
	*v = *p;
	return (0);
}

/* WRMSR on the host: 0, or EINVAL where the CPU would raise #GP. */
int
emu_wrmsr(struct emu_cpu *cpu, uint32_t msr, uint64_t v)
{
	uint64_t *p;
	int error;

	if (cpu->host->vendor == EMU_VENDOR_AMD &&
	    (error = svm_wrmsr(cpu, msr, v)) >= 0)
		return (error);
	if (cpu->host->vendor == EMU_VENDOR_AMD &&
	    msr == MSR_IA32_FEATURE_CONTROL)
		return (EINVAL);
	if (msr == MSR_IA32_FEATURE_CONTROL &&
	    (cpu->msr.feature_control & IA32_FEATURE_CONTROL_LOCK))
		return (EINVAL);
	if ((p = msr_slot(cpu, msr)) == NULL)
		return (EINVAL);
	if (msr == MSR_EFER && *p != v)
		cpu->checks_valid = false;	/* host-state checks read it */
	*p = v;
	return (0);
}

/* The VMCS */


static uint32_t
vmcs_revision(struct emu_cpu *cpu)
{
	return ((uint32_t)(cpu->host->caps->basic & IA32_VMX_BASIC_REVISION_MASK));
}

static int
pa_valid(uint64_t pa)
{
	return ((pa & HOSTMEM_PAGE_MASK) == 0 &&
	    (pa >> HOSTMEM_PHYS_BITS) == 0);
}

/*
 * VMfail(n): VMfailValid with error n when there is a current VMCS,
 * VMfailInvalid otherwise (SDM Vol. 3C §31.2).
 */
static enum vmx_result
vmfail(struct emu_cpu *cpu, uint32_t error)
{
	if (cpu->vmcs == NULL)
		return (VMX_FAIL_INVALID);
	vmcs_set(cpu, VMCS_INSTRUCTION_ERROR, error);
	return (VMX_FAIL_VALID);
}

uint32_t
vmx_last_error(struct emu_cpu *cpu)
{
	if (cpu->vmcs == NULL)
		return (0);
	return ((uint32_t)vmcs_get(cpu, VMCS_INSTRUCTION_ERROR));
}

/* #UD conditions common to every VMX instruction but VMXON. */
static int
vmx_ud(struct emu_cpu *cpu)
{
	return (!cpu->vmx_root || !(cpu->cr0 & CR0_PE) ||
	    !(cpu->cr4 & CR4_VMXE));
}

enum vmx_result
vmx_vmxon(struct emu_cpu *cpu, uint64_t pa)
{
	if (cpu->host->vendor == EMU_VENDOR_AMD)
		return (VMX_FAULT_UD);		/* no VMX on an AMD CPU */
	const struct vmx_caps *caps = cpu->host->caps;
	uint32_t rev;

	if (!(cpu->cr0 & CR0_PE) || !(cpu->cr4 & CR4_VMXE))
		return (VMX_FAULT_UD);
	if (cpu->vmx_root)
		return (vmfail(cpu, VMXERR_VMXON_IN_VMX_ROOT));
	if ((cpu->cr0 & caps->cr0_fixed0) != caps->cr0_fixed0 ||
	    (cpu->cr0 & ~caps->cr0_fixed1) != 0 ||
	    (cpu->cr4 & caps->cr4_fixed0) != caps->cr4_fixed0 ||
	    (cpu->cr4 & ~caps->cr4_fixed1) != 0 ||
	    !(cpu->msr.feature_control & IA32_FEATURE_CONTROL_LOCK) ||
	    !(cpu->msr.feature_control & IA32_FEATURE_CONTROL_VMX_EN))
		return (VMX_FAULT_GP);
	if (!pa_valid(pa) ||
	    hostmem_read(cpu->host->mem, pa, &rev, sizeof(rev)) != 0)
		return (VMX_FAIL_INVALID);
	if (rev != vmcs_revision(cpu))
		return (VMX_FAIL_INVALID);
	cpu->vmxon_pa = pa;
	cpu->vmcs_pa = VMCS_PA_NONE;
	cpu->vmcs = NULL;
	cpu->vmx_root = true;
	return (VMX_SUCCEED);
}

enum vmx_result
vmx_vmxoff(struct emu_cpu *cpu)
{
	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	cpu->vmx_root = false;
	cpu->vmcs_pa = VMCS_PA_NONE;
	cpu->vmcs = NULL;
	cpu->in_guest = false;
	cpu->engine_vmcs = VMCS_PA_NONE;
	return (VMX_SUCCEED);
}

/*
 * VMCALL in VMX root operation (SDM Vol. 3C §31.3 "VMCALL"): with the
 * dual-monitor treatment never active on this CPU it only fails, with
 * error 1 when there is a current VMCS.
 */
enum vmx_result
vmx_vmcall(struct emu_cpu *cpu)
{
	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	return (vmfail(cpu, VMXERR_VMCALL_IN_VMX_ROOT));
}

enum vmx_result
vmx_vmclear(struct emu_cpu *cpu, uint64_t pa)
{
	uint8_t *p;
	uint32_t st = VMCS_STATE_CLEAR;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (!pa_valid(pa) ||
	    (p = hostmem_ptr(cpu->host->mem, pa, VMCS_REGION_SIZE)) == NULL)
		return (vmfail(cpu, VMXERR_VMCLEAR_INVALID_ADDRESS));
	if (pa == cpu->vmxon_pa)
		return (vmfail(cpu, VMXERR_VMCLEAR_VMXON_POINTER));
	/* VMCLEAR writes the VMCS data back to memory. */
	if (pa == cpu->engine_vmcs) {
		emu_sync_vmcs(cpu);
		cpu->engine_vmcs = VMCS_PA_NONE;
	}
	if (pa == cpu->checked_vmcs)
		cpu->checks_valid = false;
	cpu->ctl_cache_valid = false;
	memcpy(p + VMCS_LAUNCH_OFFSET, &st, sizeof(st));
	if (pa == cpu->vmcs_pa) {
		cpu->vmcs_pa = VMCS_PA_NONE;
		cpu->vmcs = NULL;
	}
	return (VMX_SUCCEED);
}

enum vmx_result
vmx_vmptrld(struct emu_cpu *cpu, uint64_t pa)
{
	uint8_t *p;
	uint32_t rev;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (!pa_valid(pa) ||
	    (p = hostmem_ptr(cpu->host->mem, pa, VMCS_REGION_SIZE)) == NULL)
		return (vmfail(cpu, VMXERR_VMPTRLD_INVALID_ADDRESS));
	if (pa == cpu->vmxon_pa)
		return (vmfail(cpu, VMXERR_VMPTRLD_VMXON_POINTER));
	memcpy(&rev, p + VMCS_REVISION_OFFSET, sizeof(rev));
	/* The profile has no VMCS shadowing: a shadow VMCS is refused too. */
	if (rev != vmcs_revision(cpu))
		return (vmfail(cpu, VMXERR_VMPTRLD_INCORRECT_REVISION));
	if (pa != cpu->vmcs_pa)
		cpu->ctl_cache_valid = false;
	cpu->vmcs_pa = pa;
	cpu->vmcs = p;
	return (VMX_SUCCEED);
}

enum vmx_result
vmx_vmptrst(struct emu_cpu *cpu, uint64_t *pa)
{
	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	*pa = cpu->vmcs_pa;
	return (VMX_SUCCEED);
}

/* The VMENTRY_DIRTY_* bit of a field saved eagerly at every exit. */
static unsigned
volatile_bit(uint32_t enc)
{
	switch (enc) {
	case VMCS_GUEST_IA32_RIP:		return (VMENTRY_DIRTY_RIP);
	case VMCS_GUEST_IA32_RSP:		return (VMENTRY_DIRTY_RSP);
	case VMCS_GUEST_IA32_RFLAGS:		return (VMENTRY_DIRTY_RFLAGS);
	case VMCS_GUEST_INTERRUPTIBILITY_ST:	return (VMENTRY_DIRTY_INTR);
	case VMCS_GUEST_ACTIVITY_STATE:		return (VMENTRY_DIRTY_ACTIVITY);
	case VMCS_GUEST_PENDING_DBG_EXC:	return (VMENTRY_DIRTY_PENDING_DBG);
	default:				return (VMENTRY_DIRTY_PREEMPT);
	}
}

/* Does accessing field f need the engine's state in the VMCS? */
static inline bool
needs_sync(const struct vmcs_field *f)
{
	return (f->lazy);
}

/* Guest-state fields whose change means the engine must reload. */
static int
field_needs_reload(uint32_t enc)
{
	return ((enc & 0x0C00) == 0x0800 &&	/* type 2: guest state */
	    !vmcs_field_per_exit(enc));
}

/*
 * VMREAD of a field the engine keeps while its state is newer than the
 * current VMCS: sync first.  Out of line and reached by a tail call, so
 * that the common VMREAD makes no call and saves no registers.
 */
static enum vmx_result __attribute__((noinline))
vmread_sync(struct emu_cpu *cpu, unsigned int d, uint64_t *v)
{
	emu_sync_vmcs(cpu);
	*v = vmcs_desc_get(cpu->vmcs, d);
	return (VMX_SUCCEED);
}

static enum vmx_result __attribute__((noinline))
vmread_unsupported(struct emu_cpu *cpu)
{
	return (vmfail(cpu, VMXERR_UNSUPPORTED_COMPONENT));
}

/*
 * The monitor's most frequent instruction (the exit snapshot is some fifty
 * of them): checks, one descriptor load (vmcs_desc_tab) and the load.
 */
enum vmx_result
vmx_vmread(struct emu_cpu *cpu, uint64_t field, uint64_t *v)
{
	unsigned int d;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (cpu->vmcs == NULL)
		return (VMX_FAIL_INVALID);
	if (field >= VMCS_DESC_N || (d = vmcs_desc_tab[field]) == 0)
		return (vmread_unsupported(cpu));
	if ((d & VMCS_DESC_LAZY) && cpu->vmcs_stale &&
	    cpu->vmcs_pa == cpu->engine_vmcs)
		return (vmread_sync(cpu, d, v));
	*v = vmcs_desc_get(cpu->vmcs, d);
	return (VMX_SUCCEED);
}

/*
 * n VMREADs in a row, fields[i] into values[i], as a monitor's loop of
 * them would do: the same checks and the same results, in order.  The
 * first that does not succeed ends it with its result (values[] from it
 * on are not written).  The checks that cannot change between two
 * VMREADs (#UD, a current VMCS) are made once.
 */
enum vmx_result
vmx_vmread_n(struct emu_cpu *cpu, const uint32_t *fields, unsigned int n,
    uint64_t *values)
{
	const void *page;
	unsigned int i, d, f;
	bool stale;

	if (n == 0)
		return (VMX_SUCCEED);
	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if ((page = cpu->vmcs) == NULL)
		return (VMX_FAIL_INVALID);
	/* The sync writes the current VMCS in place; it leaves cpu->vmcs. */
	stale = cpu->vmcs_stale && cpu->vmcs_pa == cpu->engine_vmcs;
	for (i = 0; i < n; i++) {
		f = fields[i];
		if (f >= VMCS_DESC_N || (d = vmcs_desc_tab[f]) == 0)
			return (vmread_unsupported(cpu));
		if (stale && (d & VMCS_DESC_LAZY)) {
			emu_sync_vmcs(cpu);
			stale = false;
		}
		values[i] = vmcs_desc_get(page, d);
	}
	return (VMX_SUCCEED);
}

enum vmx_result
vmx_vmwrite(struct emu_cpu *cpu, uint64_t field, uint64_t v)
{
	const struct vmcs_field *f;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (cpu->vmcs == NULL)
		return (VMX_FAIL_INVALID);
	if ((field >> 32) != 0 ||
	    (f = vmcs_field_find((uint32_t)field)) == NULL)
		return (vmfail(cpu, VMXERR_UNSUPPORTED_COMPONENT));
	if (f->type == VMCS_T_RODATA &&
	    !(cpu->host->caps->misc & IA32_VMX_MISC_VMWRITE_ALL))
		return (vmfail(cpu, VMXERR_VMWRITE_READ_ONLY_COMPONENT));
	if (cpu->vmcs_stale && cpu->vmcs_pa == cpu->engine_vmcs &&
	    needs_sync(f))
		emu_sync_vmcs(cpu);
	vmcs_set(cpu, (uint32_t)field, v);
	if (cpu->vmcs_pa == cpu->engine_vmcs && field_needs_reload(f->encoding))
		cpu->guest_dirty = true;
	if (!vmcs_field_per_exit(f->encoding)) {
		cpu->checks_valid = false;
		cpu->ctl_cache_valid = false;
	} else {
		cpu->volatile_dirty |= volatile_bit(f->encoding);
	}
	return (VMX_SUCCEED);
}

static uint64_t
view_read(const void *ctx, uint32_t enc)
{
	const struct emu_cpu *cpu = ctx;

	return (vmcs_slot_read(cpu->vmcs, enc));
}

static int
view_read_phys(const void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct emu_cpu *cpu = ctx;

	return (hostmem_read(cpu->host->mem, pa, buf, len) == 0 ? 0 : -1);
}

static void
entry_view(struct emu_cpu *cpu, struct vmentry_view *v, int resume)
{
	memset(v, 0, sizeof(*v));
	v->read = view_read;
	v->read_phys = view_read_phys;
	v->ctx = cpu;
	v->caps = cpu->host->caps;
	v->host_cr0 = cpu->cr0;
	v->host_cr4 = cpu->cr4;
	v->host_efer = cpu->msr.efer;
	v->physaddr_bits = HOSTMEM_PHYS_BITS;
	v->is_vmresume = resume;
}

void
emu_entry_msr_view(struct emu_cpu *cpu, struct vmentry_view *v)
{
	entry_view(cpu, v, 1);
}

/*
 * A VM entry that fails after the checks on controls and host state
 * (SDM Vol. 3C §27.8): exit reason with bit 31 set, qualification, and
 * the host state loaded.  To the caller it is a VM exit.
 */
static enum vmx_result
entry_fail_exit(struct emu_cpu *cpu, const struct vmentry_failure *f)
{
	vmcs_set(cpu, VMCS_EXIT_REASON,
	    f->exit_reason | VMX_EXIT_REASON_ENTRY_FAILURE);
	vmcs_set(cpu, VMCS_GUEST_EXIT_QUALIFICATION, f->exit_qual);
	cpu->entry_failure = *f;
	cpu->entry_failed = true;
	cpu->checks_valid = false;
	return (VMX_SUCCEED);
}

static enum vmx_result
vm_entry(struct emu_cpu *cpu, struct emu_gprs *regs, int resume)
{
	struct vmentry_view view;
	struct vmentry_failure f;
	uint32_t launch;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (cpu->vmcs == NULL)
		return (VMX_FAIL_INVALID);
	memcpy(&launch, cpu->vmcs + VMCS_LAUNCH_OFFSET, sizeof(launch));
	if (!resume && launch != VMCS_STATE_CLEAR)
		return (vmfail(cpu, VMXERR_VMLAUNCH_NONCLEAR_VMCS));
	if (resume && launch != VMCS_STATE_LAUNCHED)
		return (vmfail(cpu, VMXERR_VMRESUME_NONLAUNCHED_VMCS));

	cpu->entry_failed = false;
	/* The checks fill in the rest (its detail only on a failure). */
	f.rule = NULL;
	f.vm_error = f.exit_reason = 0;
	f.exit_qual = 0;
	f.detail[0] = '\0';
	entry_view(cpu, &view, resume);
	if (resume && cpu->checks_valid && cpu->checked_vmcs == cpu->vmcs_pa) {
		/*
		 * Nothing the full checks read changed since the last entry
		 * but the per-exit fields and memory: their rules decide.
		 * Without EPT the PDPTE rule reads guest CR0/CR4 and memory,
		 * so the guest state must be current in the VMCS.
		 */
		if (!(cpu->ctl_proc2 & IA32_VMX_ENABLE_EPT) &&
		    cpu->vmcs_pa == cpu->engine_vmcs)
			emu_sync_vmcs(cpu);
		if (vmentry_check_resume(&view, &f, cpu->volatile_dirty,
		    &cpu->resume_memo, cpu->vmcs_gen) != 0) {
			if (f.vm_error != 0) {
				cpu->entry_failure = f;
				cpu->entry_failed = true;
				return (vmfail(cpu, f.vm_error));
			}
			return (entry_fail_exit(cpu, &f));
		}
	} else {
		if (cpu->vmcs_pa == cpu->engine_vmcs)
			emu_sync_vmcs(cpu);
		if (vmentry_check_controls_and_host(&view, &f) != 0) {
			cpu->entry_failure = f;
			cpu->entry_failed = true;
			return (vmfail(cpu, f.vm_error));
		}
		if (vmentry_check_guest(&view, &f) != 0)
			return (entry_fail_exit(cpu, &f));
		cpu->checks_valid = true;
		cpu->checked_vmcs = cpu->vmcs_pa;
		vmentry_memo_reset(&cpu->resume_memo);
	}
	cpu->volatile_dirty = 0;
	if (!resume) {
		launch = VMCS_STATE_LAUNCHED;
		memcpy(cpu->vmcs + VMCS_LAUNCH_OFFSET, &launch, sizeof(launch));
	}
	return (emu_run_guest(cpu, regs));
}

enum vmx_result
vmx_vmlaunch(struct emu_cpu *cpu, struct emu_gprs *regs)
{
	return (vm_entry(cpu, regs, 0));
}

enum vmx_result
vmx_vmresume(struct emu_cpu *cpu, struct emu_gprs *regs)
{
	return (vm_entry(cpu, regs, 1));
}

void
vmx_explain_entry_failure(struct emu_cpu *cpu, FILE *fp)
{
	if (!cpu->entry_failed) {
		fprintf(fp, "the last VM entry did not fail\n");
		return;
	}
	vmentry_explain(&cpu->entry_failure, fp);
}

int
vmx_entry_failure(struct emu_cpu *cpu, struct emu_entry_failure *out)
{
	const struct vmentry_failure *f = &cpu->entry_failure;

	memset(out, 0, sizeof(*out));
	if (!cpu->entry_failed || f->rule == NULL)
		return (-1);
	out->rule = f->rule->name;
	out->section = f->rule->sdm;
	out->what = f->rule->what;
	out->detail = f->detail;
	out->vm_error = f->vm_error;
	out->exit_reason = f->exit_reason;
	out->exit_qual = f->exit_qual;
	return (0);
}

static int
canonical(uint64_t va)
{
	return ((int64_t)(va << 16) >> 16 == (int64_t)va);
}

/*
 * Invalidations: the software TLB drops what the instruction names; the
 * engine's TLB, which caches the current context's translations, is
 * emptied only if one of those it may hold now walks differently.
 */
static void
begin_inval(struct emu_cpu *cpu, struct tlb_removed *rem)
{
	rem->vpid = cpu->tlb_vpid;
	rem->eptp = cpu->tlb_eptp;
	tlb_collect(cpu->tlb, cpu->tlb_ctx_valid ? rem : NULL);
}

static void
end_inval(struct emu_cpu *cpu, struct tlb_removed *rem)
{
	tlb_collect(cpu->tlb, NULL);
	if (!cpu->tlb_ctx_valid || !emu_removed_still_valid(cpu, rem))
		uc_ctl_flush_tlb(cpu->uc);
}

enum vmx_result
vmx_invept(struct emu_cpu *cpu, uint64_t type, const struct vmx_invept_desc *d)
{
	uint64_t cap = cpu->host->caps->ept_vpid_cap;
	struct tlb_removed rem;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (!(cap & IA32_EPT_VPID_CAP_INVEPT) || type < 1 || type > 2 ||
	    !(cap & (1ULL << (24 + type))))
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	if (type == 1 && (d->eptp & 0x7) != 6 && (d->eptp & 0x7) != 0)
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	begin_inval(cpu, &rem);
	if (type == 1)
		tlb_flush_eptp(cpu->tlb, d->eptp & 0x000FFFFFFFFFF000ULL &
		    ((1ULL << HOSTMEM_PHYS_BITS) - 1));
	else
		tlb_flush_all(cpu->tlb);
	end_inval(cpu, &rem);
	return (VMX_SUCCEED);
}

enum vmx_result
vmx_invvpid(struct emu_cpu *cpu, uint64_t type,
    const struct vmx_invvpid_desc *d)
{
	uint64_t cap = cpu->host->caps->ept_vpid_cap;
	struct tlb_removed rem;

	if (vmx_ud(cpu))
		return (VMX_FAULT_UD);
	if (!(cap & IA32_EPT_VPID_CAP_INVVPID) || type > 3 ||
	    !(cap & (1ULL << (40 + type))))
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	if ((d->vpid >> 16) != 0)
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	if (type != 2 && (d->vpid & 0xFFFF) == 0)
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	if (type == 0 && !canonical(d->linear))
		return (vmfail(cpu, VMXERR_INVALID_INVEPT_INVVPID_OPERAND));
	begin_inval(cpu, &rem);
	switch (type) {
	case 0:
		tlb_flush_va(cpu->tlb, (uint16_t)d->vpid, d->linear);
		break;
	case 1:
		tlb_flush_vpid(cpu->tlb, (uint16_t)d->vpid, false);
		break;
	case 2:
		tlb_flush_all_vpids(cpu->tlb);
		break;
	default:
		tlb_flush_vpid(cpu->tlb, (uint16_t)d->vpid, true);
		break;
	}
	end_inval(cpu, &rem);
	return (VMX_SUCCEED);
}

/* From another thread: raise flag, wake a halted CPU, leave the guest. */
static void
cpu_signal(struct emu_cpu *cpu, atomic_int *flag)
{
	pthread_mutex_lock(&cpu->halt_lock);
	atomic_store(flag, 1);
	atomic_store(&cpu->fast_deadline, 0);	/* after the flag: exec.c */
	pthread_cond_broadcast(&cpu->halt_cv);
	pthread_mutex_unlock(&cpu->halt_lock);
	uc_emu_stop(cpu->uc);
}

void
emu_cpu_kick(struct emu_cpu *cpu)
{
	cpu_signal(cpu, &cpu->kicked);
}

void
emu_cpu_nmi(struct emu_cpu *cpu)
{
	cpu_signal(cpu, &cpu->nmi_pending);
}

uint64_t
emu_cpu_vtime(struct emu_cpu *cpu)
{
	return (cpu->vtime);
}

static void
stale_to_stderr(void *arg, const struct emu_stale_report *r)
{
	(void)arg;
	if (r->now_faults)
		fprintf(stderr, "vmmsim: stale translation used at vtime %llu: "
		    "VPID %u EPTP %#llx VA %#llx -> HPA %#llx, but a walk now "
		    "faults\n", (unsigned long long)r->vtime, r->vpid,
		    (unsigned long long)r->eptp, (unsigned long long)r->va,
		    (unsigned long long)r->cached.hpa);
	else
		fprintf(stderr, "vmmsim: stale translation used at vtime %llu: "
		    "VPID %u EPTP %#llx VA %#llx -> HPA %#llx (EPT %x), a walk "
		    "now gives HPA %#llx (EPT %x)\n",
		    (unsigned long long)r->vtime, r->vpid,
		    (unsigned long long)r->eptp, (unsigned long long)r->va,
		    (unsigned long long)r->cached.hpa, r->cached.ept,
		    (unsigned long long)r->now.hpa, r->now.ept);
}

/*
 * Checked mode: report every use of a cached translation that a fresh
 * walk would no longer give.  fn NULL with arg NULL turns it off; the
 * environment variable VMMSIM_CHECK_TLB=1 turns it on for every CPU with
 * reports on stderr.
 */
void
emu_cpu_set_tlb_check(struct emu_cpu *cpu, emu_stale_fn *fn, void *arg)
{
	cpu->stale_fn = fn;
	cpu->stale_arg = arg;
}

void
emu_cpu_tlb_check_stderr(struct emu_cpu *cpu)
{
	emu_cpu_set_tlb_check(cpu, stale_to_stderr, NULL);
}

uint64_t
emu_cpu_stale_count(struct emu_cpu *cpu)
{
	return (cpu->stale_count);
}

void
emu_cpu_set_stop_at(struct emu_cpu *cpu, uint64_t vtime)
{
	cpu->stop_at = vtime;
}

void
emu_cpu_set_host_exits(struct emu_cpu *cpu, int on)
{
	cpu->host_exits = on != 0;
}

void
emu_cpu_set_host_tick(struct emu_cpu *cpu, uint64_t interval)
{
	cpu->tick_interval = interval;
	cpu->next_tick = interval ? (cpu->vtime / interval + 1) * interval : 0;
}
