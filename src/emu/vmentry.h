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
 * The VM-entry checks of SDM Vol. 3C §27 ("VM Entries") as a table of
 * named rules: §27.2 (VMX controls and host state, failing with
 * VMfailValid), §27.3 (guest state, failing with exit reason 33) and
 * §27.4 (MSR loading, exit reason 34).  The VMX engine gives the checks a
 * read-only view of the current VMCS and of physical memory.
 */

#ifndef VMMSIM_EMU_VMENTRY_H
#define VMMSIM_EMU_VMENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/vmx_caps.h"

struct vmentry_rule;

/* What the checks may look at; every member is [I] for one VM entry. */
struct vmentry_view {
	/* Reads a VMCS field by encoding (full-width encodings only). */
	uint64_t (*read)(const void *ctx, uint32_t encoding);
	/*
	 * Reads guest/host physical memory (for PDPTEs, MSR-load lists,
	 * the VMCS link pointer's page); returns 0 or -1 if the address
	 * is not backed.
	 */
	int      (*read_phys)(const void *ctx, uint64_t pa, void *buf,
		    size_t len);
	const void *ctx;
	const struct vmx_caps *caps;
	/* the simulated host's current values where a check needs them */
	uint64_t host_cr0, host_cr4, host_efer;
	int      physaddr_bits;			/* e.g. 46 */
	int      is_vmresume;
};

struct vmentry_failure {
	const struct vmentry_rule *rule;	/* which check failed */
	/*
	 * VMfailValid number (VMXERR_ENTRY_INVALID_CONTROL_FIELDS 7,
	 * VMXERR_ENTRY_INVALID_HOST_STATE 8) or 0.
	 */
	uint32_t  vm_error;
	/*
	 * VMX_EXIT_ENTRY_FAILED_GUEST_STATE (33) or
	 * VMX_EXIT_ENTRY_FAILED_MSR_LOAD (34), without the entry-failure
	 * bit 31 (the caller adds it), or 0.
	 */
	uint32_t  exit_reason;
	/*
	 * §27.3 failures: 0 default, 2 PDPTE load failed, 3 NMI injection
	 * while blocked by STI, 4 invalid VMCS link pointer; exit reason
	 * 34: the MSR-load entry index (1-based).
	 */
	uint64_t  exit_qual;
	/* the field names and values involved */
	char      detail[256];
};

enum vmentry_kind {
	VMENTRY_CONTROL,	/* §27.2.1: VMfailValid 7 */
	VMENTRY_HOST,		/* §27.2.2-§27.2.4: VMfailValid 8 */
	VMENTRY_GUEST,		/* §27.3.1: exit reason 33 */
	VMENTRY_MSRLOAD		/* §27.4: exit reason 34 */
};

struct vmentry_rule {
	const char *name;	/* e.g. "guest_cr0_fixed_bits" */
	const char *sdm;	/* e.g. "27.3.1.1" */
	const char *what;	/* one line */
	enum vmentry_kind kind;
	/* 0 pass, -1 fail (fills detail) */
	int (*check)(const struct vmentry_view *, struct vmentry_failure *);
};

extern const struct vmentry_rule vmentry_rules[];
extern const size_t vmentry_nrules;

/*
 * Run the rules in SDM order: controls, then host state (first
 * function), then guest state (second); each stops at the first failure
 * and fills *f (f->rule, vm_error or exit_reason/exit_qual).  Return 0 if
 * all pass, -1 otherwise.
 */
int	vmentry_check_controls_and_host(const struct vmentry_view *,
	    struct vmentry_failure *);
int	vmentry_check_guest(const struct vmentry_view *,
	    struct vmentry_failure *);

/*
 * MSR-load list check and iteration (§27.4): calls load(uctx, msr, value)
 * for each entry in order; a bad entry, or a load() that returns non-zero
 * (the WRMSR would #GP), stops with exit_reason 34 and exit_qual = the
 * 1-based index.  Returns 0 or -1.
 */
int	vmentry_load_msrs(const struct vmentry_view *,
	    int (*load)(void *uctx, uint32_t msr, uint64_t val), void *uctx,
	    struct vmentry_failure *);

/*
 * The subset a VMRESUME runs when the VMCS changed since the last
 * successful entry only in the fields rewritten on every exit (see
 * vmentry.c): same result as the full checks, a fraction of the work.
 */
#define VMENTRY_DIRTY_RIP		0x01
#define VMENTRY_DIRTY_RSP		0x02
#define VMENTRY_DIRTY_RFLAGS		0x04
#define VMENTRY_DIRTY_INTR		0x08
#define VMENTRY_DIRTY_ACTIVITY		0x10
#define VMENTRY_DIRTY_PENDING_DBG	0x20
#define VMENTRY_DIRTY_PREEMPT		0x40
/*
 * The rules a VMRESUME always runs (the ones that may read memory) need
 * not run again when the last run read no memory and no field rewritten
 * at every exit, and no field has changed since: the result would be the
 * same.  The caller owns one memo per VMCS checked and names the state of
 * its fields with a generation number that changes whenever a field
 * changes other than by a VMWRITE of a per-exit field (VMENTRY_DIRTY_*):
 * a VMWRITE of any other field calls for the full checks (and
 * vmentry_memo_reset), the CPU saving guest state at an exit bumps it.
 */
#define VMENTRY_MEMO_RULES	16
struct vmentry_memo_rule {
	int		valid;
	uint64_t	gen;
	uint64_t	host_cr0, host_cr4, host_efer;
};
/*
 * The whole check passes again without running a rule when its last run
 * passed with every always-run rule memoised, nothing changed since but
 * per-exit fields no rule reads (RSP, preemption-timer value) and guest
 * RIP, and RIP's bits 63:32 are what they were: the RIP rules (§27.3.1.4)
 * look at no lower bit, since a linear address is at least 48 bits wide.
 */
struct vmentry_memo_pass {
	int		valid;
	uint64_t	gen;
	uint64_t	host_cr0, host_cr4, host_efer;
	uint64_t	rip_hi;
};
struct vmentry_memo {
	struct vmentry_memo_rule rule[VMENTRY_MEMO_RULES];
	struct vmentry_memo_pass pass;
};
void	vmentry_memo_reset(struct vmentry_memo *);
int	vmentry_check_resume(const struct vmentry_view *,
	    struct vmentry_failure *, unsigned dirty, struct vmentry_memo *,
	    uint64_t gen);

const struct vmentry_rule *vmentry_rule_by_name(const char *);

/* Print the failed rule's name, SDM section, one-line summary, detail. */
void	vmentry_explain(const struct vmentry_failure *, FILE *);

#endif /* VMMSIM_EMU_VMENTRY_H */
