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
 * String port I/O (INS, OUTS, with or without REP) in userspace.
 *
 * The I/O exit (contract §9.5) says port, element size, direction, and
 * that the instruction is a string one with or without REP, but not its
 * address size or segment override, and vmd refuses such exits.  So, as
 * for MMIO, the run loop fetches the instruction at CS:RIP, reads its
 * prefixes, and performs the iterations itself: INS stores at ES:rDI,
 * OUTS loads from seg:rSI (DS unless overridden), both through the
 * guest's page tables (mmio_translate), rDI/rSI stepping by the element
 * size (down when RFLAGS.DF), rCX counting REP iterations, every index at
 * the instruction's address size (SDM Vol. 2B, INS/OUTS, REP).
 *
 * A REP runs at most STRIO_BATCH iterations per exit; RIP then stays on
 * the instruction, which the guest re-executes with the updated registers,
 * as after an interrupted REP on hardware, so interrupts are taken between
 * batches.
 *
 * Segment limits and the TSS I/O permission bitmap are not checked: the
 * processor checks I/O permission before the exit, and the guests that
 * matter use flat or real-mode segments.
 */

#ifndef VMMSIM_DEVICES_STRIO_H
#define VMMSIM_DEVICES_STRIO_H

#include <machine/vmmvar.h>

#include "devices/devices.h"
#include "devices/guestmem.h"
#include "devices/mmio.h"

#define STRIO_BATCH	4096

/*
 * Perform the string I/O of an I/O exit with vei_string set.  Memory
 * that a RAM or reserved range backs is accessed in place, anything else
 * through the MMIO table.  On success the GPRs in ve->vrs are updated
 * (rSI or rDI, rCX with REP, RIP past the instruction once it completed)
 * and *done says whether it completed.  Returns 0, or an errno value with
 * a one-line reason in err and ve->vrs untouched: EFAULT when the
 * instruction or the first element cannot be reached through the page
 * tables, EINVAL when the bytes at CS:RIP are not INS or OUTS or disagree
 * with the exit.  A fault after the first iteration ends the batch early
 * (the guest re-executes and faults again on its own).
 */
int	strio_emulate(struct dev_port_table *, const struct mmio_table *,
	    const struct guestmem *, struct vm_exit *ve, int *done,
	    char err[MMIO_ERRLEN]);

#endif /* VMMSIM_DEVICES_STRIO_H */
