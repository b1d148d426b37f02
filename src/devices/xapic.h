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
 * A local APIC's xAPIC register page at 0xFEE00000, for bare-metal mode
 * (docs/bare-metal.md): enough for a kernel that brings its APIC up.  It
 * keeps what is written to the ID, TPR, LDR, DFR, SVR, ESR, the LVT
 * entries, ICR (both halves), the timer's initial count and divide
 * configuration, and reads it back; EOI is accepted; the version reads
 * 0x00050014 (an integrated APIC, six LVT entries).  Nothing is
 * delivered: no timer counts (current count reads 0), an ICR write sends
 * no IPI (its delivery status reads idle), ISR/IRR/TMR read 0.  The PIC
 * stays the interrupt source.  Registers are 32 bits wide at 16-byte
 * steps (SDM Vol. 3A §11.4.1): any other access is refused.
 */

#ifndef VMMSIM_DEVICES_XAPIC_H
#define VMMSIM_DEVICES_XAPIC_H

#include <stdint.h>

#include "devices/mmio.h"

#define XAPIC_BASE		0xFEE00000ULL
#define XAPIC_SIZE		0x1000ULL

struct xapic {
	uint32_t	reg[XAPIC_SIZE / 16];	/* by offset / 16 */
};

/* Registers at their reset values (SDM Vol. 3A §11.4.7.1). */
void	xapic_reset(struct xapic *);
/* The mmio_fn of the page. */
int	xapic_mmio(void *dev, uint64_t off, int is_write, int size,
	    uint64_t *data);
/* Reset and give it XAPIC_BASE in t: mmio_register()'s errors. */
int	xapic_attach(struct xapic *, struct mmio_table *t);

#endif /* VMMSIM_DEVICES_XAPIC_H */
