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
 * Address translation: the two-dimensional walk.
 *
 * Unicorn runs in UC_TLB_VIRTUAL mode, so every TLB miss comes here
 * (emu_tlb_fill).  The guest's own paging (none, 32-bit, PAE, 4-level) is
 * walked with each paging-structure access itself translated through EPT
 * (SDM Vol. 3A ch. 4, Vol. 3C §29.3), and the result is the host-physical
 * page, which is Unicorn's "physical" address space.  A failed walk is
 * precise: the hook records a guest #PF or an EPT violation/misconfiguration
 * and refuses the fill, and Unicorn stops with RIP on the faulting
 * instruction.  Unicorn's TLB is then the processor's TLB.
 */

#include <string.h>

#include "emu_impl.h"

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_U		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)

#define EPT_R		(1ULL << 0)
#define EPT_W		(1ULL << 1)
#define EPT_X		(1ULL << 2)
#define EPT_MT(e)	(((e) >> 3) & 7)
#define EPT_LEAF	(1ULL << 7)
#define EPT_A		(1ULL << 8)
#define EPT_D		(1ULL << 9)

#define PFEC_P		(1U << 0)
#define PFEC_W		(1U << 1)
#define PFEC_U		(1U << 2)
#define PFEC_RSVD	(1U << 3)
#define PFEC_I		(1U << 4)

#define ADDR_MASK	(((1ULL << HOSTMEM_PHYS_BITS) - 1) & ~0xFFFULL)

/* EPT violation qualification bits (SDM Vol. 3C Table 28-7). */
#define EPTQ_READ	(1ULL << 0)
#define EPTQ_WRITE	(1ULL << 1)
#define EPTQ_FETCH	(1ULL << 2)
#define EPTQ_GLA_VALID	(1ULL << 7)
#define EPTQ_GLA_FINAL	(1ULL << 8)

static void
record_exit(struct emu_cpu *cpu, uint32_t reason, uint64_t qual)
{
	if (cpu->walk_probe)
		return;
	cpu->exit.pending = true;
	cpu->exit.reason = reason;
	cpu->exit.qual = qual;
	cpu->stop_why = EMU_STOP_EXIT;
}

/*
 * Translate a guest-physical address through the current EPT (SDM Vol. 3C
 * §29.3.2).  access is EMU_ACC_*.  On success *hpa is the host-physical
 * address and the return value the permissions granted (EPT_R|W|X).  On a
 * violation or misconfiguration the exit is recorded and -1 returned.
 */
int
ept_translate(struct emu_cpu *cpu, uint64_t gpa, int access, uint64_t *hpa,
    uint64_t gla, bool gla_valid, bool paging_struct)
{
	struct hostmem *hm = cpu->host->mem;
	uint64_t table, e, perms = EPT_R | EPT_W | EPT_X, ad, rsvd, q;
	uint64_t cap = cpu->host->caps->ept_vpid_cap;
	int level, shift;
	uint64_t ea;

	if (cpu->svm_guest)
		return (npt_translate(cpu, gpa, access, hpa, gla, gla_valid,
		    paging_struct));
	if (!(cpu->ctl_proc2 & IA32_VMX_ENABLE_EPT)) {
		*hpa = gpa;
		return (EPT_R | EPT_W | EPT_X);
	}
	ad = cpu->eptp & IA32_EPT_AD_BITS_ENABLE;
	table = cpu->eptp & ADDR_MASK;
	rsvd = ~((1ULL << HOSTMEM_PHYS_BITS) - 1) & ~(0xFFFULL << 52);
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		ea = table + ((gpa >> shift) & 0x1FF) * 8;
		if (hostmem_read64(hm, ea, &e) != 0)
			e = 0;		/* unbacked table: reads as not present */
		if ((e & 7) == 0) {
			perms = 0;
			goto violation;
		}
		/* Misconfigurations (SDM §29.3.3.1). */
		if ((e & 3) == EPT_W ||
		    ((e & 7) == EPT_X && !(cap & IA32_EPT_VPID_CAP_XO_TRANSLATIONS)) ||
		    (e & rsvd) != 0)
			goto misconfig;
		perms &= e & 7;
		if (level == 1 || ((level == 2 || level == 3) && (e & EPT_LEAF))) {
			if ((level == 3 && !(cap & IA32_EPT_VPID_CAP_1G_PAGES)) ||
			    EPT_MT(e) == 2 || EPT_MT(e) == 3 || EPT_MT(e) == 7)
				goto misconfig;
			if (level > 1 && ((e >> 12) &
			    ((1ULL << (shift - 12)) - 1)) != 0)
				goto misconfig;
			if (((access & EMU_ACC_READ) && !(perms & EPT_R)) ||
			    ((access & EMU_ACC_WRITE) && !(perms & EPT_W)) ||
			    ((access & EMU_ACC_FETCH) && !(perms & EPT_X)))
				goto violation;
			if (ad && !cpu->walk_probe) {
				uint64_t set = EPT_A;

				if ((access & EMU_ACC_WRITE) || paging_struct)
					set |= EPT_D;
				if ((e & set) != set)
					hostmem_write64(hm, ea, e | set);
			}
			*hpa = ((e & ADDR_MASK) & ~((1ULL << shift) - 1)) |
			    (gpa & ((1ULL << shift) - 1));
			return ((int)perms);
		}
		if ((e & 0xF8) != 0 && level == 4)
			goto misconfig;
		if (ad && !(e & EPT_A) && !cpu->walk_probe)
			hostmem_write64(hm, ea, e | EPT_A);
		table = e & ADDR_MASK;
	}
	/* NOTREACHED */
misconfig:
	if (!cpu->walk_probe) {
		cpu->exit.gpa = gpa;
		cpu->exit.gla_valid = false;
	}
	record_exit(cpu, VMX_EXIT_EPT_MISCONFIGURATION, 0);
	return (-1);
violation:
	q = 0;
	if (access & EMU_ACC_READ)
		q |= EPTQ_READ;
	if (access & EMU_ACC_WRITE)
		q |= EPTQ_WRITE;
	if (access & EMU_ACC_FETCH)
		q |= EPTQ_FETCH;
	q |= (perms & 7) << 3;
	if (gla_valid) {
		q |= EPTQ_GLA_VALID;
		if (!paging_struct)
			q |= EPTQ_GLA_FINAL;
	}
	if (!cpu->walk_probe) {
		cpu->exit.gpa = gpa;
		cpu->exit.gla = gla;
		cpu->exit.gla_valid = gla_valid;
	}
	record_exit(cpu, VMX_EXIT_EPT_VIOLATION, q);
	return (-1);
}

/* The guest's paging registers, read from the engine. */
struct walk_regs {
	uint64_t	cr0, cr3, cr4, efer, rflags;
	unsigned	cpl;
};

static void
walk_regs(struct emu_cpu *cpu, struct walk_regs *w)
{
	uint64_t cs = 0;
	uc_x86_msr efer = { MSR_EFER, 0 };
	uint16_t sel;

	if (emu_live_walk_state(cpu, &w->cr0, &w->cr3, &w->cr4, &w->efer,
	    &w->rflags, &sel)) {
		cs = sel;
		goto have;
	}
	uc_reg_read(cpu->uc, UC_X86_REG_CR0, &w->cr0);
	uc_reg_read(cpu->uc, UC_X86_REG_CR3, &w->cr3);
	uc_reg_read(cpu->uc, UC_X86_REG_CR4, &w->cr4);
	uc_reg_read(cpu->uc, UC_X86_REG_MSR, &efer);
	uc_reg_read(cpu->uc, UC_X86_REG_RFLAGS, &w->rflags);
	uc_reg_read(cpu->uc, UC_X86_REG_CS, &cs);
	w->efer = efer.value;
	/*
	 * Mid-block the lazy flags may be garbage (see emu_engine_eflags);
	 * they can only add bits, so look closer when VM or AC seem set.
	 */
	if (w->rflags & (PSL_VM | PSL_AC))
		w->rflags = (w->rflags & ~(uint64_t)(PSL_VM | PSL_AC)) |
		    (emu_engine_eflags(cpu) & (PSL_VM | PSL_AC));
have:
	if (!(w->cr0 & CR0_PE))
		w->cpl = 0;
	else if (w->rflags & PSL_VM)
		w->cpl = 3;
	else
		w->cpl = (unsigned)(cs & 3);
	w->cr0 &= 0xFFFFFFFFULL;
	w->cr4 &= 0xFFFFFFFFULL;
}

/* A guest page fault found by the walk: exec.c decides exit or delivery. */
static void
record_pf(struct emu_cpu *cpu, uint64_t va, uint32_t pfec)
{
	if (cpu->walk_probe)
		return;
	cpu->guest_event = 14;
	cpu->event_pf = true;
	cpu->event_has_err = true;
	cpu->event_err = pfec;
	cpu->event_cr2 = va;
	cpu->stop_why = EMU_STOP_EVENT;
}

static int
read_gpa64(struct emu_cpu *cpu, uint64_t gpa, uint64_t *v, uint64_t va,
    uint64_t *hpa_out)
{
	uint64_t hpa;

	if (ept_translate(cpu, gpa, EMU_ACC_READ, &hpa, va, true, true) < 0)
		return (-1);
	if (hostmem_read64(cpu->host->mem, hpa, v) != 0)
		*v = 0;
	*hpa_out = hpa;
	return (0);
}

/*
 * Walk the guest's page tables for va.  Returns 0 with *gpa and the rights
 * along the walk in *xl, or -1 with the #PF or EPT exit recorded.
 */
static int
guest_walk(struct emu_cpu *cpu, const struct walk_regs *r, uint64_t va,
    int access, uint64_t *gpa, struct emu_xlat *xl)
{
	uint64_t e, ea_hpa, table, rsvd_hi, pdpte;
	uint64_t ents_hpa[5];
	uint64_t ents[5];
	int levels, level, shift, n = 0, i;
	bool w = true, u = true, x = true, leaf = false, nxe;
	uint32_t pfec = 0;
	bool user = r->cpl == 3;

	nxe = (r->efer & EFER_NXE) != 0;
	rsvd_hi = (~((1ULL << HOSTMEM_PHYS_BITS) - 1)) & ~(0xFFFULL << 52);
	if (r->efer & EFER_LMA) {
		levels = 4;
		table = r->cr3 & ADDR_MASK;
	} else if (r->cr4 & CR4_PAE) {
		levels = 2;
		if (read_gpa64(cpu, (r->cr3 & 0xFFFFFFE0ULL) + ((va >> 30) & 3) * 8,
		    &pdpte, va, &ea_hpa) < 0)
			return (-1);
		if (!(pdpte & PTE_P))
			goto pf;
		table = pdpte & ADDR_MASK;
	} else {
		levels = 2;
		table = r->cr3 & 0xFFFFF000ULL;
	}
	for (level = levels; level >= 1; level--) {
		if (levels == 2 && !(r->cr4 & CR4_PAE) && !(r->efer & EFER_LMA)) {
			uint32_t e32;
			uint64_t hpa;

			shift = level == 2 ? 22 : 12;
			if (ept_translate(cpu, table + ((va >> shift) & 0x3FF) * 4,
			    EMU_ACC_READ, &hpa, va, true, true) < 0)
				return (-1);
			if (hostmem_read(cpu->host->mem, hpa, &e32, 4) != 0)
				e32 = 0;
			e = e32;
			ea_hpa = hpa;
			if (!(e & PTE_P))
				goto pf;
			w &= (e & PTE_W) != 0;
			u &= (e & PTE_U) != 0;
			ents[n] = e;
			ents_hpa[n++] = ea_hpa;
			if (level == 2 && (e & PTE_PS) && (r->cr4 & CR4_PSE)) {
				*gpa = ((e & 0xFFC00000ULL) |
				    ((e & 0x1FE000ULL) << 19)) |
				    (va & 0x3FFFFF);
				leaf = true;
				break;
			}
			if (level == 1) {
				*gpa = (e & 0xFFFFF000ULL) | (va & 0xFFF);
				leaf = true;
				break;
			}
			table = e & 0xFFFFF000ULL;
			continue;
		}
		shift = 12 + 9 * (level - 1);
		if (read_gpa64(cpu, table + ((va >> shift) & 0x1FF) * 8, &e, va,
		    &ea_hpa) < 0)
			return (-1);
		if (!(e & PTE_P))
			goto pf;
		if ((e & rsvd_hi) || (!nxe && (e & PTE_NX)) ||
		    (level == 4 && (e & PTE_PS))) {
			pfec |= PFEC_RSVD | PFEC_P;
			goto pf;
		}
		w &= (e & PTE_W) != 0;
		u &= (e & PTE_U) != 0;
		if (nxe && (e & PTE_NX))
			x = false;
		ents[n] = e;
		ents_hpa[n++] = ea_hpa;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			*gpa = ((e & ADDR_MASK) & ~((1ULL << shift) - 1)) |
			    (va & ((1ULL << shift) - 1));
			leaf = true;
			break;
		}
		table = e & ADDR_MASK;
	}
	if (!leaf)
		goto pf;
	/* Access rights (SDM Vol. 3A §4.6). */
	pfec = PFEC_P;
	if (user && !u)
		goto pf;
	if (access & EMU_ACC_WRITE) {
		if (!w && (user || (r->cr0 & CR0_WP)))
			goto pf;
		if (!user && u && (r->cr4 & CR4_SMAP) && !(r->rflags & PSL_AC))
			goto pf;
	}
	if (access & EMU_ACC_FETCH) {
		if (!x)
			goto pf;
		if (!user && u && (r->cr4 & CR4_SMEP))
			goto pf;
	}
	if ((access & EMU_ACC_READ) && !user && u && (r->cr4 & CR4_SMAP) &&
	    !(r->rflags & PSL_AC))
		goto pf;
	/* Accessed flags on every entry, dirty on the leaf for writes. */
	for (i = 0; i < n && !cpu->walk_probe; i++) {
		uint64_t set = PTE_A;

		if (i == n - 1 && (access & EMU_ACC_WRITE))
			set |= PTE_D;
		if ((ents[i] & set) != set) {
			if (levels == 2 && !(r->cr4 & CR4_PAE) &&
			    !(r->efer & EFER_LMA)) {
				uint32_t v32 = (uint32_t)(ents[i] | set);

				hostmem_write(cpu->host->mem, ents_hpa[i], &v32, 4);
			} else {
				hostmem_write64(cpu->host->mem, ents_hpa[i],
				    ents[i] | set);
			}
		}
	}
	xl->w = w;
	xl->u = u;
	xl->nx = !x;
	xl->dirty = (ents[n - 1] & PTE_D) || (access & EMU_ACC_WRITE);
	xl->global = (ents[n - 1] & (1ULL << 8)) && (r->cr4 & CR4_PGE);
	return (0);
pf:
	if (access & EMU_ACC_WRITE)
		pfec |= PFEC_W;
	if (user)
		pfec |= PFEC_U;
	if ((access & EMU_ACC_FETCH) && (nxe || (r->cr4 & CR4_SMEP)))
		pfec |= PFEC_I;
	record_pf(cpu, va, pfec);
	return (-1);
}

/*
 * Take a region out of the engine (outside hooks), its translated blocks
 * first: Unicorn finds them through its TLB, so for these calls the fill
 * hook maps every address to itself, and the region is one range of the
 * engine's RAM, so one call finds them all.  A region mapped later at the
 * same address can then run none of them.
 */
void
emu_unmap_hpa(struct emu_cpu *cpu, uint64_t hpa, uint64_t len)
{
	bool identity = cpu->fill_identity;

	cpu->fill_identity = true;
	emu_code_forget(cpu, hpa, len);
	uc_ctl_flush_tlb(cpu->uc);
	uc_ctl_remove_cache(cpu->uc, hpa, hpa + len);
	uc_mem_unmap(cpu->uc, hpa, len);
	uc_ctl_flush_tlb(cpu->uc);
	cpu->fill_identity = identity;
}

/* Map every live host-memory region into the engine (outside hooks). */
void
emu_map_hpa(struct emu_cpu *cpu, uint64_t unused)
{
	struct hostmem *hm = cpu->host->mem;
	const struct hostmem_region *r;
	unsigned gen = hostmem_generation(hm);
	uint64_t hpa;
	size_t i;

	(void)unused;
	if (gen == cpu->map_gen && cpu->nmapped > 0)
		return;
	/* Drop mappings whose region went away. */
	for (i = 0; i < cpu->nmapped; ) {
		hpa = cpu->mapped[i].hpa;
		r = hostmem_region(hm, hpa);
		if (r == NULL || r->hpa != hpa || r->len != cpu->mapped[i].len ||
		    r->host != cpu->mapped[i].host) {
			emu_unmap_hpa(cpu, hpa, cpu->mapped[i].len);
			cpu->mapped[i] = cpu->mapped[--cpu->nmapped];
			continue;
		}
		i++;
	}
	cpu->map_gen = gen;
}

static bool
fill_fail(struct emu_cpu *cpu)
{
	uc_emu_stop(cpu->uc);
	return (false);
}

/* Make sure the region holding hpa is mapped in the engine. */
int
emu_ensure_mapped(struct emu_cpu *cpu, uint64_t hpa)
{
	const struct hostmem_region *r;
	size_t i;

	for (i = 0; i < cpu->nmapped; i++) {
		r = hostmem_region(cpu->host->mem, cpu->mapped[i].hpa);
		if (r != NULL && hpa >= r->hpa && hpa - r->hpa < r->len)
			return (0);
	}
	if ((r = hostmem_region(cpu->host->mem, hpa)) == NULL)
		return (-1);
	if (cpu->nmapped == HOSTMEM_MAX_REGIONS)
		return (-1);
	if (uc_mem_map_ptr(cpu->uc, r->hpa, r->len, UC_PROT_ALL, r->host) !=
	    UC_ERR_OK)
		return (-1);
	cpu->mapped[cpu->nmapped].hpa = r->hpa;
	cpu->mapped[cpu->nmapped].len = r->len;
	cpu->mapped[cpu->nmapped++].host = r->host;
	return (0);
}

uint16_t
emu_vpid_tag(struct emu_cpu *cpu)
{
	return ((cpu->ctl_proc2 & IA32_VMX_ENABLE_VPID) ? cpu->vpid : 0);
}

uint64_t
emu_eptp_tag(struct emu_cpu *cpu)
{
	/* AMD tags translations by ASID alone: nCR3 is not part of it. */
	if (cpu->svm_guest)
		return (0);
	return ((cpu->ctl_proc2 & IA32_VMX_ENABLE_EPT) ?
	    (cpu->eptp & ADDR_MASK) : 0);
}

/* Unicorn rights for a translation at the current CPL and controls. */
static uint32_t
xlat_perms(const struct emu_xlat *x, const struct walk_regs *r)
{
	bool user = r->cpl == 3, smap;
	uint32_t p = 0;

	smap = !user && x->u && (r->cr4 & CR4_SMAP) && !(r->rflags & PSL_AC);
	if ((!user || x->u) && !smap && (x->ept & EPT_R))
		p |= UC_PROT_READ;
	if ((user ? (x->u && x->w) : (x->w || !(r->cr0 & CR0_WP))) &&
	    (!user || x->u) && !smap && x->dirty && (x->ept & EPT_W))
		p |= UC_PROT_WRITE;
	if ((!user || x->u) && !x->nx && !(!user && x->u &&
	    (r->cr4 & CR4_SMEP)) && (x->ept & EPT_X))
		p |= UC_PROT_EXEC;
	return (p);
}

static uint32_t
access_prot(int access)
{
	return (access == EMU_ACC_WRITE ? UC_PROT_WRITE :
	    access == EMU_ACC_FETCH ? UC_PROT_EXEC : UC_PROT_READ);
}

/*
 * A fresh two-dimensional walk for va.  Returns 0 with *x filled, or -1
 * with the fault recorded (nothing recorded when probing).
 */
static int
fresh_walk(struct emu_cpu *cpu, const struct walk_regs *r, uint64_t va,
    int access, struct emu_xlat *x)
{
	uint64_t gpa, hpa;
	int eperm;

	memset(x, 0, sizeof(*x));
	if (r->cr0 & CR0_PG) {
		if (guest_walk(cpu, r, va, access, &gpa, x) < 0)
			return (-1);
	} else {
		gpa = (r->efer & EFER_LMA) ? va : (va & 0xFFFFFFFFULL);
		x->w = x->u = x->dirty = true;
	}
	eperm = ept_translate(cpu, gpa & ~0xFFFULL, access, &hpa, va, true,
	    false);
	if (eperm < 0) {
		if (!cpu->walk_probe)
			cpu->exit.gpa = gpa;
		return (-1);
	}
	x->gpa = gpa & ~0xFFFULL;
	x->hpa = hpa & ~0xFFFULL;
	x->ept = (uint8_t)eperm;
	return (0);
}

/* Checked mode: is the cached translation still what a walk gives? */
static void
check_stale(struct emu_cpu *cpu, const struct walk_regs *r, uint64_t va,
    int access, const struct emu_xlat *cached)
{
	struct emu_stale_report rep;
	int rc;

	memset(&rep, 0, sizeof(rep));
	cpu->walk_probe = true;
	rc = fresh_walk(cpu, r, va, access, &rep.now);
	cpu->walk_probe = false;
	if (rc == 0 && rep.now.hpa == cached->hpa &&
	    rep.now.ept == cached->ept && rep.now.w == cached->w &&
	    rep.now.u == cached->u && rep.now.nx == cached->nx)
		return;
	rep.vtime = cpu->vtime;
	rep.vpid = emu_vpid_tag(cpu);
	rep.eptp = emu_eptp_tag(cpu);
	rep.va = va & ~0xFFFULL;
	rep.cached = *cached;
	rep.now_faults = rc != 0;
	cpu->stale_count++;
	cpu->stale_fn(cpu->stale_arg, &rep);
}

/*
 * Unicorn's TLB-miss hook: translate linear va for one access.  A cached
 * translation of the current context (VPID, EPTP) is used when it allows
 * the access; otherwise the guest's paging and EPT are walked and the
 * result cached.  Returns true with the host-physical page and its rights,
 * or false after recording the fault.
 */
bool
emu_tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type,
    uc_tlb_entry *result, void *arg)
{
	struct emu_cpu *cpu = arg;
	const struct emu_xlat *c;
	struct emu_xlat x;
	struct walk_regs r;
	bool gp_only;
	int access;

	(void)uc;
	if (cpu->fill_identity) {
		/* emu_invalidate_hpa: a host-physical page, mapped already. */
		result->paddr = va & ~0xFFFULL;
		result->perms = UC_PROT_ALL;
		return (true);
	}
	switch (type) {
	case UC_MEM_WRITE:
		access = EMU_ACC_WRITE;
		break;
	case UC_MEM_FETCH:
		access = EMU_ACC_FETCH;
		break;
	default:
		access = EMU_ACC_READ;
		break;
	}
	walk_regs(cpu, &r);
	gp_only = !(r.cr0 & CR0_PG);
	c = tlb_lookup(cpu->tlb, emu_vpid_tag(cpu), emu_eptp_tag(cpu), gp_only,
	    va);
	if (c != NULL && (xlat_perms(c, &r) & access_prot(access))) {
		if (cpu->stale_fn != NULL)
			check_stale(cpu, &r, va, access, c);
		x = *c;
	} else {
		if (fresh_walk(cpu, &r, va, access, &x) != 0) {
			cpu->fault_page = va & ~0xFFFULL;
			cpu->fault_access = access;
			return (fill_fail(cpu));
		}
		if (emu_ensure_mapped(cpu, x.hpa) != 0) {
			/* EPT points at no memory: the access cannot complete. */
			cpu->exit.gpa = x.gpa | (va & 0xFFF);
			record_exit(cpu, VMX_EXIT_EPT_MISCONFIGURATION, 0);
			return (fill_fail(cpu));
		}
		tlb_insert(cpu->tlb, emu_vpid_tag(cpu), emu_eptp_tag(cpu),
		    gp_only, va, &x);
	}
	result->paddr = cpu->nheavy != 0 ? emu_code_paddr(cpu, x.hpa) : x.hpa;
	result->perms = xlat_perms(&x, &r);
	/*
	 * The engine translates only code weighed first (emu_code_gate):
	 * execute rights come with a fetch, or with a page weighed already.
	 */
	if (access == EMU_ACC_FETCH) {
		if (!emu_code_gate(cpu, x.hpa))
			return (fill_fail(cpu));
	} else if (!emu_code_ok(cpu, x.hpa)) {
		result->perms &= ~UC_PROT_EXEC;
	}
	if (emu_wp_has(cpu, x.hpa)) {
		if (access == EMU_ACC_WRITE) {
			/* Code is being written: decode and weigh it again. */
			emu_wp_written(cpu, x.hpa);
			result->perms &= ~UC_PROT_EXEC;
		} else {
			result->perms &= ~UC_PROT_WRITE;
		}
	}
	if (access == EMU_ACC_FETCH)
		emu_code_page_filled(cpu, va, x.hpa);
	return (true);
}

/*
 * Read code as the engine fetches it: through the current context's
 * cached translation when the TLB holds one (a stale one included, as
 * the engine runs from it), else by a fresh walk.  0 or -1.
 */
int
emu_read_guest_code(struct emu_cpu *cpu, uint64_t va, void *buf, size_t len)
{
	const struct emu_xlat *c;
	struct walk_regs r;
	uint8_t *out = buf;
	size_t chunk;
	uint64_t hpa;
	void *p;

	walk_regs(cpu, &r);
	while (len > 0) {
		chunk = 4096 - (va & 0xFFF);
		if (chunk > len)
			chunk = len;
		c = tlb_lookup(cpu->tlb, emu_vpid_tag(cpu), emu_eptp_tag(cpu),
		    !(r.cr0 & CR0_PG), va);
		if (c != NULL)
			hpa = c->hpa | (va & 0xFFF);
		else if (emu_translate_probe(cpu, va, EMU_ACC_FETCH, &hpa) != 0)
			return (-1);
		if ((p = hostmem_ptr(cpu->host->mem, hpa, chunk)) == NULL)
			return (-1);
		memcpy(out, p, chunk);
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return (0);
}

/*
 * Translate linear va as the guest would for an access, with no side
 * effects (no A/D updates, no exit recorded, no caching): for decoding
 * instructions and for the CPU's own accesses during event delivery.
 */
int
emu_translate_probe(struct emu_cpu *cpu, uint64_t va, int access,
    uint64_t *hpa)
{
	struct walk_regs r;
	struct emu_xlat x;
	int rc;

	cpu->walk_probe = true;
	walk_regs(cpu, &r);
	rc = fresh_walk(cpu, &r, va, access, &x);
	cpu->walk_probe = false;
	if (rc == 0)
		*hpa = x.hpa | (va & 0xFFF);
	return (rc);
}

/*
 * Translate linear va for an access the CPU itself makes (event
 * delivery: IVT/IDT/GDT/TSS reads, frame pushes), with the walk's side
 * effects.  Returns 0 with *hpa; -2 with an EPT violation or
 * misconfiguration recorded as the pending exit; -3 with a guest #PF in
 * event_cr2/event_err.
 */
int
emu_translate_access(struct emu_cpu *cpu, uint64_t va, int access,
    uint64_t *hpa)
{
	struct walk_regs r;
	struct emu_xlat x;
	int stop = cpu->stop_why;

	walk_regs(cpu, &r);
	/*
	 * The CPU's own accesses while delivering an event (IDT, GDT, TSS,
	 * the handler's stack) are implicit supervisor accesses (SDM Vol. 3A
	 * §4.6), whatever the CPL of the interrupted code; SMAP applies to
	 * them whatever RFLAGS.AC says.  (A handler at CPL 3 would push at
	 * CPL 3; no OS vmmsim runs does that.)
	 */
	r.cpl = 0;
	r.rflags &= ~PSL_AC;
	cpu->event_pf = false;
	if (fresh_walk(cpu, &r, va, access, &x) == 0) {
		*hpa = x.hpa | (va & 0xFFF);
		return (0);
	}
	cpu->stop_why = stop;
	if (cpu->event_pf) {
		cpu->event_pf = false;
		cpu->event_cr2 = va;
		return (-3);
	}
	return (-2);
}

/* Read guest memory by linear address (for decoding), no side effects. */
int
emu_read_guest_linear(struct emu_cpu *cpu, uint64_t va, void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t chunk;
	uint64_t hpa;
	void *p;

	while (len > 0) {
		chunk = 4096 - (va & 0xFFF);
		if (chunk > len)
			chunk = len;
		if (emu_translate_probe(cpu, va, EMU_ACC_READ, &hpa) != 0)
			return (-1);
		if ((p = hostmem_ptr(cpu->host->mem, hpa, chunk)) == NULL)
			return (-1);
		memcpy(out, p, chunk);
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return (0);
}

/*
 * After an invalidation removed the entries in r from the TLB: does the
 * engine's own TLB, which may still hold them, need flushing?  Not if a
 * fresh walk of every one gives the same translation (hardware would walk
 * again and get exactly that).  Needs the engine to hold the guest.
 */
bool
emu_removed_still_valid(struct emu_cpu *cpu, const struct tlb_removed *r)
{
	struct walk_regs w;
	struct emu_xlat x;
	size_t i;
	int rc;

	if (r->overflow || cpu->engine_vmcs == VMCS_PA_NONE)
		return (r->n == 0 && !r->overflow);
	walk_regs(cpu, &w);
	for (i = 0; i < r->n; i++) {
		if (r->gp_only[i] != !(w.cr0 & CR0_PG))
			return (false);
		cpu->walk_probe = true;
		rc = fresh_walk(cpu, &w, r->va[i], EMU_ACC_READ, &x);
		cpu->walk_probe = false;
		if (rc != 0 || x.hpa != r->x[i].hpa || x.ept != r->x[i].ept ||
		    x.w != r->x[i].w || x.u != r->x[i].u ||
		    x.nx != r->x[i].nx || x.global != r->x[i].global)
			return (false);
	}
	return (true);
}
