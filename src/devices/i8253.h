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
 * The PC/AT programmable interval timer, an Intel 8254 (a superset of the
 * 8253: read-back command, status byte), and system control port B.
 *
 * Three counters clocked at 1,193,182 Hz of the dev_clock's virtual time.
 * Counter 0's OUT drives IRQ 0; counter 1 (DRAM refresh) has no output
 * anyone sees; counter 2's gate and OUT are bits of port 0x61 (the
 * speaker).  Counters are computed from their load time, never ticked, so
 * results depend only on the clock: the same clock gives the same IRQs.
 */

#ifndef VMMSIM_I8253_H
#define VMMSIM_I8253_H

#include <stdint.h>

#include "devices/devices.h"

/* PC/AT port assignments. */
#define I8253_COUNTER0		0x40
#define I8253_COUNTER1		0x41
#define I8253_COUNTER2		0x42
#define I8253_CONTROL		0x43
#define I8253_PORT_B		0x61	/* system control port B */

#define I8253_NCOUNTERS		3
#define I8253_IRQ		0	/* counter 0's OUT */
#define I8253_HZ		1193182ULL	/* the input clock */
#define I8253_NS_PER_SEC	1000000000ULL

/* Port 0x61 bits. */
#define I8253_PORTB_GATE2	0x01	/* R/W: counter 2 gate */
#define I8253_PORTB_SPKR	0x02	/* R/W: speaker data enable */
#define I8253_PORTB_PARITY_EN	0x04	/* R/W: stored only */
#define I8253_PORTB_IOCHK_EN	0x08	/* R/W: stored only */
#define I8253_PORTB_REFRESH	0x10	/* RO: toggles every refresh */
#define I8253_PORTB_OUT2	0x20	/* RO: counter 2 OUT */
#define I8253_PORTB_WRITABLE	0x0F

/* The refresh request period the bit 4 toggle follows, in ns. */
#define I8253_REFRESH_NS	15085

struct i8253;

struct i8253	*i8253_create(const struct dev_clock *, const struct dev_irq *);
void		 i8253_destroy(struct i8253 *);
int		 i8253_register(struct i8253 *, struct dev_port_table *);

struct snapbuf;
void		i8253_snap(struct i8253 *, struct snapbuf *);

#endif /* VMMSIM_I8253_H */
