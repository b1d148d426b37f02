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
 * Memory-mapped I/O as userspace sees it.
 *
 * When the guest touches a VM_MEM_MMIO range the monitor stops with an
 * EPT violation of type VEE_FAULT_MMIO_ASSIST and leaves the rest to
 * userspace (contract §8, §9.3): the exit names neither the address nor
 * the access, only the instruction length on Intel (the bytes too on AMD
 * with decode assists).  So userspace fetches the instruction at CS:RIP
 * through the guest's page tables, decodes it, computes the address of its
 * memory operand, walks the page tables again to the guest-physical
 * address, performs the access through a range table of devices, and
 * hands the updated registers (RIP past the instruction) back with the
 * next VMM_IOC_RUN, which loads the whole GPR group from vrp_exit->vrs.
 *
 *   mmio.c		the range table
 *   mmio_walk.c	guest-virtual to guest-physical, instruction fetch
 *   mmio_emul.c	decode (Zydis) and emulation
 */

#ifndef VMMSIM_DEVICES_MMIO_H
#define VMMSIM_DEVICES_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include <machine/vmmvar.h>

#include "devices/guestmem.h"

/*
 * One access to a device's registers: off is relative to the base the
 * device registered, size is 1, 2, 4 or 8 bytes.  For a read the handler
 * stores the value in *data (the low size bytes count); for a write it
 * reads *data.  Returns 0, or an errno value for an access the device
 * refuses: a refused read returns all ones, a refused write is dropped.
 */
typedef int (*mmio_fn)(void *dev, uint64_t off, int is_write, int size,
    uint64_t *data);

struct mmio_region {
	uint64_t	 base;
	uint64_t	 len;
	mmio_fn		 fn;
	void		*dev;
};

/*
 * The regions sorted by base, none overlapping, so a lookup is a binary
 * search.  PCI BARs move when the guest reprograms them: unregister and
 * register again.  Used by one vcpu thread at a time, as the port table.
 */
struct mmio_table {
	struct mmio_region	*r;
	size_t			 n;
	size_t			 cap;
};

void	mmio_table_init(struct mmio_table *);
void	mmio_table_fini(struct mmio_table *);

/*
 * Give [base, base + len) to a device.  EINVAL for an empty or wrapping
 * range or no handler, EEXIST if it overlaps a registered region, ENOMEM.
 */
int	mmio_register(struct mmio_table *, uint64_t base, uint64_t len,
	    mmio_fn, void *dev);

/* Remove the region that starts at base; ENOENT if there is none. */
int	mmio_unregister(struct mmio_table *, uint64_t base);

/* The region that holds gpa, or NULL. */
const struct mmio_region *mmio_lookup(const struct mmio_table *,
	    uint64_t gpa);

/*
 * Dispatch one access of size 1, 2, 4 or 8 bytes at gpa.  The access
 * goes to the region holding its first byte if it lies wholly inside;
 * otherwise nobody claims it: a read returns all ones and a write is
 * dropped, as on a PCI bus with no target, and the result is ENODEV.
 * EINVAL for another size (and *data untouched).
 */
int	mmio_access(const struct mmio_table *, uint64_t gpa, int is_write,
	    int size, uint64_t *data);

/*
 * Guest-virtual to guest-physical through the guest's page tables, with
 * the paging mode the registers select (CR0.PG, CR4.PAE/PSE, EFER.LMA):
 * identity with paging off, 2-level with 4 MiB pages under PSE, 3-level
 * PAE and 4-level long mode with 2 MiB and 1 GiB pages.  Accessed bits
 * are set on the way and the dirty bit of the leaf on a write, as the
 * processor does.  acc is a mask of MMIO_ACC_*; user accesses and writes
 * are checked against U/S and R/W (CR0.WP), fetches against NX.
 *
 * Returns 0, or EFAULT for a translation the processor would refuse (a
 * page fault: not present, reserved bit, protection), EOPNOTSUPP for
 * 5-level paging, or EIO if a table lies outside guest memory.
 */
#define MMIO_ACC_WRITE	0x1
#define MMIO_ACC_USER	0x2
#define MMIO_ACC_FETCH	0x4

int	mmio_translate(const struct guestmem *, const struct vcpu_reg_state *,
	    uint64_t gva, int acc, uint64_t *gpa);

/*
 * The guest's current privilege level from the register state: 0 in real
 * mode, 3 in virtual-8086 mode, else SS.DPL.
 */
int	mmio_cpl(const struct vcpu_reg_state *);

/*
 * Fetch the bytes of the instruction at CS:RIP: those the exit carries
 * (VEE_BYTES_VALID), else vee_insn_len bytes (VEE_LEN_VALID), else up to
 * 15, reading through the page tables page by page.  Without a known
 * length, a fetch stops short at the first page it cannot translate.
 * Returns 0 with *len set, or EFAULT when not even the known length (or
 * one byte) can be fetched.
 */
int	mmio_fetch(const struct guestmem *, const struct vcpu_reg_state *,
	    const struct vm_exit_eptviolation *, uint8_t buf[15],
	    size_t *len);

/* Room for the message mmio_emulate() leaves. */
#define MMIO_ERRLEN	160

/*
 * Emulate the instruction that caused an MMIO_ASSIST exit: fetch, decode,
 * perform its memory accesses (through the table for addresses no RAM or
 * reserved range backs, through guest memory otherwise), and update the
 * registers in ve->vrs (GPRs, RFLAGS, RIP past the instruction) ready to
 * be passed back to VMM_IOC_RUN.
 *
 * Emulated: MOV (register, immediate and moffs forms), MOVZX, MOVSX,
 * MOVSXD, MOVNTI, XCHG, ADD, SUB, AND, OR, XOR, CMP, TEST (with flags),
 * and STOS, LODS, MOVS with or without REP.
 *
 * Returns 0, or an errno value with a one-line reason in err (which may
 * be NULL) and ve->vrs untouched: EFAULT when the instruction or an
 * operand cannot be translated or read, EINVAL when the bytes do not
 * decode or disagree with vee_insn_len, or when no access reaches an
 * MMIO address; EOPNOTSUPP for an instruction not emulated.
 */
int	mmio_emulate(const struct mmio_table *, const struct guestmem *,
	    struct vm_exit *ve, char err[MMIO_ERRLEN]);

#endif /* VMMSIM_DEVICES_MMIO_H */
