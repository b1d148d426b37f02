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
 * An NS16550A UART (8250 family) as a PC serial port: COM1 is base 0x3F8,
 * IRQ 4.  Register layout and bits follow the National Semiconductor
 * PC16550D datasheet; the names are OpenBSD comreg.h's where it has one.
 *
 * Unlike vmd's ns8250.c this model has the 16-byte FIFOs, loopback and
 * OUT2 gating.  The transmitter is infinitely fast: every byte written to
 * THR goes to the tx sink at once, so THR is always empty again by the
 * time the guest looks.
 */

#ifndef VMMSIM_NS8250_H
#define VMMSIM_NS8250_H

#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"

#define NS8250_COM1_BASE	0x3F8
#define NS8250_COM1_IRQ		4
#define NS8250_NPORTS		8

/* Register offsets from the base port. */
#define NS8250_RBR		0	/* receive buffer (read, DLAB=0) */
#define NS8250_THR		0	/* transmit holding (write, DLAB=0) */
#define NS8250_DLL		0	/* divisor latch low (DLAB=1) */
#define NS8250_IER		1	/* interrupt enable (DLAB=0) */
#define NS8250_DLM		1	/* divisor latch high (DLAB=1) */
#define NS8250_IIR		2	/* interrupt identification (read) */
#define NS8250_FCR		2	/* FIFO control (write) */
#define NS8250_LCR		3	/* line control */
#define NS8250_MCR		4	/* modem control */
#define NS8250_LSR		5	/* line status */
#define NS8250_MSR		6	/* modem status */
#define NS8250_SCR		7	/* scratch */

/* IER */
#define NS8250_IER_ERBFI	0x01	/* received data available */
#define NS8250_IER_ETBEI	0x02	/* THR empty */
#define NS8250_IER_ELSI		0x04	/* receiver line status */
#define NS8250_IER_EDSSI	0x08	/* modem status */
#define NS8250_IER_MASK		0x0F

/* IIR: bit 0 is "no interrupt pending", bits 3:1 the source. */
#define NS8250_IIR_NOPEND	0x01
#define NS8250_IIR_MLSC		0x00	/* modem status (priority 4) */
#define NS8250_IIR_TXRDY	0x02	/* THR empty (priority 3) */
#define NS8250_IIR_RXRDY	0x04	/* data available (priority 2) */
#define NS8250_IIR_RLS		0x06	/* line status (priority 1) */
#define NS8250_IIR_RXTOUT	0x0C	/* character timeout (priority 2) */
#define NS8250_IIR_IMASK	0x0F
#define NS8250_IIR_FIFO_MASK	0xC0	/* both set while FIFOs enabled */

/* FCR */
#define NS8250_FCR_ENABLE	0x01
#define NS8250_FCR_RCV_RST	0x02
#define NS8250_FCR_XMT_RST	0x04
#define NS8250_FCR_DMA		0x08
#define NS8250_FCR_TRIGGER_1	0x00
#define NS8250_FCR_TRIGGER_4	0x40
#define NS8250_FCR_TRIGGER_8	0x80
#define NS8250_FCR_TRIGGER_14	0xC0
#define NS8250_FCR_TRIGGER_MASK	0xC0

/* LCR */
#define NS8250_LCR_WLS_MASK	0x03	/* word length - 5 */
#define NS8250_LCR_8BITS	0x03
#define NS8250_LCR_STB		0x04
#define NS8250_LCR_PEN		0x08
#define NS8250_LCR_EPS		0x10
#define NS8250_LCR_SPAR		0x20
#define NS8250_LCR_SBRK		0x40
#define NS8250_LCR_DLAB		0x80

/* MCR */
#define NS8250_MCR_DTR		0x01
#define NS8250_MCR_RTS		0x02
#define NS8250_MCR_OUT1		0x04
#define NS8250_MCR_OUT2		0x08	/* PC: gates INTR onto the IRQ line */
#define NS8250_MCR_LOOP		0x10
#define NS8250_MCR_MASK		0x1F

/* LSR */
#define NS8250_LSR_DR		0x01	/* data ready */
#define NS8250_LSR_OE		0x02	/* overrun error */
#define NS8250_LSR_PE		0x04	/* parity error */
#define NS8250_LSR_FE		0x08	/* framing error */
#define NS8250_LSR_BI		0x10	/* break interrupt */
#define NS8250_LSR_THRE		0x20	/* THR (transmit FIFO) empty */
#define NS8250_LSR_TEMT		0x40	/* THR and shift register empty */
#define NS8250_LSR_RCV_ERR	0x80	/* error in the receive FIFO */

/* MSR */
#define NS8250_MSR_DCTS		0x01
#define NS8250_MSR_DDSR		0x02
#define NS8250_MSR_TERI		0x04	/* RI went from on to off */
#define NS8250_MSR_DDCD		0x08
#define NS8250_MSR_CTS		0x10
#define NS8250_MSR_DSR		0x20
#define NS8250_MSR_RI		0x40
#define NS8250_MSR_DCD		0x80
#define NS8250_MSR_DELTA_MASK	0x0F

#define NS8250_FIFO_SIZE	16
#define NS8250_CLOCK_HZ		1843200	/* PC crystal: 115200 baud at 1 */

struct ns8250;

struct ns8250	*ns8250_create(uint16_t base, int irq, const struct dev_irq *,
		    void (*tx)(void *, uint8_t), void *tx_arg);
void		 ns8250_destroy(struct ns8250 *);
int		 ns8250_register(struct ns8250 *, struct dev_port_table *);
int		 ns8250_rx(struct ns8250 *, const uint8_t *, size_t);
unsigned	 ns8250_baud(const struct ns8250 *);

/*
 * Feed the registers and the receiver's contents (in arrival order) to a
 * replay checkpoint's hash.
 */
struct statehash;
void		 ns8250_hash(const struct ns8250 *, struct statehash *);
struct snapbuf;
void		 ns8250_snap(struct ns8250 *, struct snapbuf *);

#endif /* VMMSIM_NS8250_H */
