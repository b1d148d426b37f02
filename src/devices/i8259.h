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
 * The PC/AT interrupt controller: two Intel 8259A PICs, the slave cascaded
 * on the master's IR2, plus the PIIX-style edge/level control registers
 * (ELCR) that choose the trigger mode per IRQ.
 *
 * Devices raise and lower IRQ lines (i8259_set_irq, or the struct dev_irq
 * from i8259_irq_line); the run loop asks i8259_pending() whether INTR is
 * up and runs the INTA cycle with i8259_ack(), as vmd's intr_pending() and
 * intr_ack() do.  The guest programs the chips through the port table.
 */

#ifndef VMMSIM_I8259_H
#define VMMSIM_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"

/* PC/AT port assignments. */
#define I8259_MASTER_CMD	0x20	/* A0 = 0: ICW1, OCW2, OCW3; IRR/ISR */
#define I8259_MASTER_DATA	0x21	/* A0 = 1: ICW2-4, OCW1 (IMR) */
#define I8259_SLAVE_CMD		0xA0
#define I8259_SLAVE_DATA	0xA1
#define I8259_ELCR0		0x4D0	/* trigger mode, IRQ 0-7 */
#define I8259_ELCR1		0x4D1	/* trigger mode, IRQ 8-15 */

#define I8259_NIRQ		16
#define I8259_CASCADE_IRQ	2	/* the master input the slave drives */

/* The vector the BIOS convention gives each chip before the guest's ICWs. */
#define I8259_MASTER_DEFAULT_BASE	0x08
#define I8259_SLAVE_DEFAULT_BASE	0x70

struct i8259;

/* Called with the new level whenever the master's INTR output changes. */
typedef void (*i8259_intr_fn)(void *arg, bool asserted);

struct i8259	*i8259_create(void);
void		 i8259_destroy(struct i8259 *);
int		 i8259_register(struct i8259 *, struct dev_port_table *);

void		 i8259_set_intr_changed(struct i8259 *, i8259_intr_fn,
		    void *arg);
void		 i8259_set_irq(struct i8259 *, int irq, int level);
struct dev_irq	 i8259_irq_line(struct i8259 *);
int		 i8259_set_elcr(struct i8259 *, int irq, bool level);

bool		 i8259_pending(struct i8259 *);
int		 i8259_ack(struct i8259 *);

/* Feed every register of both chips to a replay checkpoint's hash. */
struct statehash;
void		 i8259_hash(const struct i8259 *, struct statehash *);
struct snapbuf;
void		 i8259_snap(struct i8259 *, struct snapbuf *);

#endif /* VMMSIM_I8259_H */
