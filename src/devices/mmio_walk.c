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
 * The guest's page tables as userspace walks them (mmio.h): what vmd's
 * translate_gva does, for the MMIO emulator to find the instruction and
 * the address it touched.  Formats and rules from SDM Vol. 3A ch. 4:
 * 32-bit paging (§4.3), PAE (§4.4), 4-level (§4.5), access rights
 * (§4.6), accessed and dirty flags (§4.8).
 */

#include <errno.h>
#include <string.h>

#include "devices/mmio.h"

#define CR0_PE		(1ULL << 0)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_NXE	(1ULL << 11)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_VM	(1ULL << 17)
#define AR_L		(1U << 13)

#define PG_P		(1ULL << 0)
#define PG_RW		(1ULL << 1)
#define PG_US		(1ULL << 2)
#define PG_A		(1ULL << 5)
#define PG_D		(1ULL << 6)
#define PG_PS		(1ULL << 7)
#define PG_XD		(1ULL << 63)

#define PG_FRAME	0x000FFFFFFFFFF000ULL	/* MAXPHYADDR 52 */
#define PG_FRAME_2M	0x000FFFFFFFE00000ULL
#define PG_FRAME_1G	0x000FFFFFC0000000ULL

/* One walk: the entries used, so A and D can be set once it succeeds. */
struct walk {
	const struct guestmem	*gm;
	uint64_t		 ea[5];		/* GPA of each entry */
	uint64_t		 e[5];
	int			 n;
	uint64_t		 rw, us, xd;	/* accumulated rights */
};

/* Read an entry (4 or 8 bytes); rights = 0 for a PAE PDPTE (none there). */
static int
entry(struct walk *w, uint64_t ea, size_t size, int rights, uint64_t *e)
{
	*e = 0;
	if (guestmem_read(w->gm, ea, e, size) != 0)
		return (EIO);
	if (!(*e & PG_P))
		return (EFAULT);
	w->ea[w->n] = ea;
	w->e[w->n] = *e;
	w->n++;
	if (rights) {
		w->rw &= *e;
		w->us &= *e;
		w->xd |= size == 8 ? *e : 0;
	}
	return (0);
}

int
mmio_cpl(const struct vcpu_reg_state *s)
{
	if (!(s->vrs_crs[VCPU_REGS_CR0] & CR0_PE))
		return (0);
	if (s->vrs_gprs[VCPU_REGS_RFLAGS] & RFLAGS_VM)
		return (3);
	return ((s->vrs_sregs[VCPU_REGS_SS].vsi_ar >> 5) & 3);
}

/* The walk of 32-bit paging (§4.3): 4 KiB pages, 4 MiB ones under PSE. */
static int
walk32(struct walk *w, uint64_t cr3, uint64_t cr4, uint32_t va,
    uint64_t *gpa)
{
	uint64_t pde, pte;
	int error;

	if ((error = entry(w, (cr3 & 0xFFFFF000) | ((va >> 22) << 2), 4, 1,
	    &pde)) != 0)
		return (error);
	if ((pde & PG_PS) && (cr4 & CR4_PSE)) {
		/* PSE-36: PDE bits 20:13 are physical-address bits 39:32. */
		*gpa = (pde & 0xFFC00000) | (((pde >> 13) & 0xFF) << 32) |
		    (va & 0x3FFFFF);
		return (0);
	}
	if ((error = entry(w, (pde & 0xFFFFF000) | (((va >> 12) & 0x3FF) << 2),
	    4, 1, &pte)) != 0)
		return (error);
	*gpa = (pte & 0xFFFFF000) | (va & 0xFFF);
	return (0);
}

/*
 * The walk below a PDPT entry address (PAE and 4-level share it): a PDPTE
 * may map 1 GiB (4-level only), a PDE 2 MiB.
 */
static int
walk_pdpte(struct walk *w, uint64_t ea, int pae, uint64_t va, uint64_t *gpa)
{
	uint64_t pdpte, pde, pte;
	int error;

	if ((error = entry(w, ea, 8, !pae, &pdpte)) != 0)
		return (error);
	if (!pae && (pdpte & PG_PS)) {
		*gpa = (pdpte & PG_FRAME_1G) | (va & 0x3FFFFFFF);
		return (0);
	}
	if ((error = entry(w, (pdpte & PG_FRAME) | (((va >> 21) & 0x1FF) << 3),
	    8, 1, &pde)) != 0)
		return (error);
	if (pde & PG_PS) {
		*gpa = (pde & PG_FRAME_2M) | (va & 0x1FFFFF);
		return (0);
	}
	if ((error = entry(w, (pde & PG_FRAME) | (((va >> 12) & 0x1FF) << 3),
	    8, 1, &pte)) != 0)
		return (error);
	*gpa = (pte & PG_FRAME) | (va & 0xFFF);
	return (0);
}

int
mmio_translate(const struct guestmem *gm, const struct vcpu_reg_state *s,
    uint64_t gva, int acc, uint64_t *gpa)
{
	uint64_t cr0 = s->vrs_crs[VCPU_REGS_CR0];
	uint64_t cr3 = s->vrs_crs[VCPU_REGS_CR3];
	uint64_t cr4 = s->vrs_crs[VCPU_REGS_CR4];
	uint64_t efer = s->vrs_msrs[VCPU_REGS_EFER];
	struct walk w;
	uint64_t pa = 0;
	uint8_t b;
	int error, i, leaf_dirty;

	if (!(cr0 & CR0_PG)) {
		*gpa = gva & 0xFFFFFFFF;	/* linear is physical */
		return (0);
	}
	memset(&w, 0, sizeof(w));
	w.gm = gm;
	w.rw = w.us = PG_RW | PG_US;
	if (efer & EFER_LMA) {
		if (cr4 & CR4_LA57)
			return (EOPNOTSUPP);
		/* Bits 63:47 must all equal bit 47, or the access faults. */
		if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
			return (EFAULT);
		if ((error = entry(&w, (cr3 & PG_FRAME) |
		    (((gva >> 39) & 0x1FF) << 3), 8, 1, &pa)) != 0)
			return (error);
		error = walk_pdpte(&w, (pa & PG_FRAME) |
		    (((gva >> 30) & 0x1FF) << 3), 0, gva, &pa);
	} else if (cr4 & CR4_PAE) {
		gva &= 0xFFFFFFFF;
		error = walk_pdpte(&w, (cr3 & 0xFFFFFFE0) |
		    (((gva >> 30) & 3) << 3), 1, gva, &pa);
	} else {
		gva &= 0xFFFFFFFF;
		error = walk32(&w, cr3, cr4, (uint32_t)gva, &pa);
	}
	if (error != 0)
		return (error);

	/* Access rights (§4.6): U/S and R/W at every level, XD at any. */
	if ((acc & MMIO_ACC_USER) && !(w.us & PG_US))
		return (EFAULT);
	if ((acc & MMIO_ACC_WRITE) && !(w.rw & PG_RW) &&
	    ((acc & MMIO_ACC_USER) || (cr0 & CR0_WP)))
		return (EFAULT);
	if ((acc & MMIO_ACC_FETCH) && (efer & EFER_NXE) && (w.xd & PG_XD))
		return (EFAULT);

	/*
	 * Accessed on every entry used (not a PAE PDPTE: it has no A bit),
	 * dirty on the leaf for a write.  Only the low byte changes, so only
	 * it is written back.
	 */
	for (i = 0; i < w.n; i++) {
		if (i == 0 && !(efer & EFER_LMA) && (cr4 & CR4_PAE))
			continue;
		leaf_dirty = i == w.n - 1 && (acc & MMIO_ACC_WRITE);
		b = (uint8_t)(w.e[i] | PG_A | (leaf_dirty ? PG_D : 0));
		if (b != (uint8_t)w.e[i])
			(void)guestmem_write(gm, w.ea[i], &b, 1);
	}
	*gpa = pa;
	return (0);
}

int
mmio_fetch(const struct guestmem *gm, const struct vcpu_reg_state *s,
    const struct vm_exit_eptviolation *vee, uint8_t buf[15], size_t *len)
{
	const struct vcpu_segment_info *cs = &s->vrs_sregs[VCPU_REGS_CS];
	int known = vee->vee_insn_info & VEE_LEN_VALID;
	int code64, acc;
	size_t want = 15, got = 0, n;
	uint64_t lin, gpa;

	*len = 0;
	if (known) {
		if (vee->vee_insn_len < 1 || vee->vee_insn_len > 15)
			return (EINVAL);
		want = vee->vee_insn_len;
	}
	/*
	 * SVM's decode assist: the bytes the CPU fetched, vee_insn_len of
	 * them (0 when the fetch itself faulted: then read them here).
	 */
	if ((vee->vee_insn_info & VEE_BYTES_VALID) &&
	    vee->vee_insn_len >= 1 && vee->vee_insn_len <= 15) {
		n = known ? want : vee->vee_insn_len;
		memcpy(buf, vee->vee_insn_bytes, n);
		*len = n;
		return (0);
	}
	code64 = (s->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA) &&
	    (cs->vsi_ar & AR_L);
	/* In 64-bit mode the CS base is ignored; elsewhere 32 bits wrap. */
	lin = code64 ? s->vrs_gprs[VCPU_REGS_RIP] :
	    (cs->vsi_base + s->vrs_gprs[VCPU_REGS_RIP]) & 0xFFFFFFFF;
	acc = MMIO_ACC_FETCH | (mmio_cpl(s) == 3 ? MMIO_ACC_USER : 0);
	while (got < want) {
		n = 4096 - (lin & 0xFFF);
		if (n > want - got)
			n = want - got;
		if (mmio_translate(gm, s, lin, acc, &gpa) != 0 ||
		    guestmem_read(gm, gpa, buf + got, n) != 0) {
			/* Unknown length: the instruction may end before. */
			if (known || got == 0)
				return (EFAULT);
			break;
		}
		got += n;
		lin += n;
		if (!code64)
			lin &= 0xFFFFFFFF;
	}
	*len = got;
	return (0);
}
