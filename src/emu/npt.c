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
 * Nested paging (AMD64 APM Vol. 2 §15.25): guest-physical addresses are
 * translated by a walk of the AMD64-format tables at nCR3, in the host's
 * paging mode (4-level long mode here), with every access a user access
 * (§15.25.5).  A walk that fails records a #VMEXIT(NPF) with the error
 * code of §15.25.6 in EXITINFO1 and the guest-physical address in
 * EXITINFO2.  A and D flags are set as a host walk sets them.
 */

#include "emu_impl.h"

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_U		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	(((1ULL << HOSTMEM_PHYS_BITS) - 1) & ~0xFFFULL)

/* The EPT_R/W/X permission bits translate.c keeps in a TLB entry. */
#define PERM_R		1
#define PERM_W		2
#define PERM_X		4

/* Reserved bits of an entry at a level (APM Vol. 2 §5.3.3, §5.4.1). */
static uint64_t
rsvd_bits(int level, uint64_t e, bool nxe)
{
	uint64_t r = ~((1ULL << HOSTMEM_PHYS_BITS) - 1) & ((1ULL << 52) - 1);

	if (!nxe)
		r |= PTE_NX;
	if (level == 4)
		r |= PTE_PS | (1ULL << 8);	/* no PS or G in a PML4E */
	else if (level == 3 && (e & PTE_PS))
		r |= 0x3FFFE000ULL;		/* 1 GiB page: 29:13 */
	else if (level == 2 && (e & PTE_PS))
		r |= 0x1FE000ULL;		/* 2 MiB page: 20:13 */
	return (r);
}

int
npt_translate(struct emu_cpu *cpu, uint64_t gpa, int access, uint64_t *hpa,
    uint64_t gla, bool gla_valid, bool paging_struct)
{
	struct svm_cpu *s = cpu->svm;
	struct hostmem *hm = cpu->host->mem;
	uint64_t table, e, t, ea, code, set, ents[4];
	bool nxe = (cpu->msr.efer & EFER_NXE) != 0, w = true, u = true;
	bool x = true, present = false, rsv = false;
	int level, shift, n = 0, i;

	if (!s->np) {
		*hpa = gpa;
		return (PERM_R | PERM_W | PERM_X);
	}
	table = s->ncr3 & PTE_ADDR;
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		ea = table + ((gpa >> shift) & 0x1FF) * 8;
		if (hostmem_read64(hm, ea, &e) != 0)
			e = 0;		/* unbacked table: reads as not present */
		present = (e & PTE_P) != 0;
		if (!present)
			goto fault;
		if (e & rsvd_bits(level, e, nxe)) {
			rsv = true;
			goto fault;
		}
		ents[n++] = ea;
		w = w && (e & PTE_W);
		u = u && (e & PTE_U);
		x = x && !(nxe && (e & PTE_NX));
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			if (!u || ((access & EMU_ACC_WRITE) && !w) ||
			    ((access & EMU_ACC_FETCH) && !x))
				goto fault;
			if (!cpu->walk_probe) {
				for (i = 0; i < n - 1; i++)
					if (hostmem_read64(hm, ents[i], &t) == 0 &&
					    !(t & PTE_A))
						hostmem_write64(hm, ents[i],
						    t | PTE_A);
				set = PTE_A | ((access & EMU_ACC_WRITE) ? PTE_D : 0);
				if ((e & set) != set)
					hostmem_write64(hm, ents[n - 1], e | set);
			}
			*hpa = ((e & PTE_ADDR) & ~((1ULL << shift) - 1)) |
			    (gpa & ((1ULL << shift) - 1));
			return (PERM_R | (w ? PERM_W : 0) | (x ? PERM_X : 0));
		}
		table = e & PTE_ADDR;
	}
fault:
	if (cpu->walk_probe)
		return (-1);
	code = SVM_NPF_US | (paging_struct ? SVM_NPF_GUEST_TABLE :
	    SVM_NPF_GUEST_FINAL);
	if (present)
		code |= SVM_NPF_P;
	if (rsv)
		code |= SVM_NPF_RSV;
	if (access & EMU_ACC_WRITE)
		code |= SVM_NPF_RW;
	if (access & EMU_ACC_FETCH)
		code |= SVM_NPF_ID;
	cpu->exit.pending = true;
	cpu->exit.reason = VMX_EXIT_EPT_VIOLATION;	/* svm.c: NPF */
	cpu->exit.qual = code;
	cpu->exit.gpa = gpa;
	cpu->exit.gla = gla;
	cpu->exit.gla_valid = gla_valid;
	cpu->stop_why = EMU_STOP_EXIT;
	return (-1);
}
