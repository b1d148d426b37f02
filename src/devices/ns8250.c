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
 * NS16550A UART (ns8250.h).
 *
 * What is modelled, from the PC16550D datasheet:
 *  - all eight registers and the divisor latch behind LCR.DLAB;
 *  - the 16-byte receive FIFO with its trigger levels (FCR bits 7:6), FIFO
 *    enable and reset (FCR bits 0-2) and IIR bits 7:6; with FIFOs off the
 *    receiver holds one character, as a 16450;
 *  - the four interrupt sources in datasheet priority order, with the
 *    THRE rules: pending when THR empties or when IER.ETBEI is turned on,
 *    cleared by an IIR read that reports it or by a THR write;
 *  - loopback (MCR.LOOP): THR feeds the receiver, MCR bits 3:0 drive the
 *    MSR inputs, the serial input is disconnected;
 *  - OUT2 gating the INTR output onto the PC's IRQ line; in loopback the
 *    OUT2 pin is forced inactive, so the IRQ line stays low.
 *
 * What is not:
 *  - Transmit timing.  A THR write reaches the tx sink at once, so THR,
 *    the transmit FIFO and the shift register are always empty (LSR.THRE
 *    and LSR.TEMT read 1) and THRE becomes pending again straight after
 *    each write.  Pacing, if wanted, is the run loop's business.
 *  - The character-timeout timer.  The host side delivers characters in
 *    bursts through ns8250_rx() and is idle in between, so with FIFOs on
 *    and ERBFI set a FIFO holding fewer characters than the trigger level
 *    reports the timeout interrupt (IIR 0x0C) at once.  This is what a
 *    guest relies on: characters below the trigger level still interrupt.
 *  - Line errors from the far end (PE, FE, BI): a virtual line has none.
 *    ns8250_rx() is flow-controlled (it takes what fits and the caller
 *    retries), so receiving never overruns; OE comes only from loopback,
 *    where the transmitter cannot be held off.
 *
 * The far end of the line is a terminal that is always there: CTS, DSR
 * and DCD on, RI off.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ns8250.h"
#include "devices/statehash.h"
#include "devices/snapbuf.h"

#define NS8250_DIVISOR_BASE	(NS8250_CLOCK_HZ / 16)	/* baud at divisor 1 */

/* Reset state (datasheet table "UART reset configuration"). */
#define NS8250_RESET_IER	0x00
#define NS8250_RESET_LCR	0x00
#define NS8250_RESET_MCR	0x00
#define NS8250_RESET_SCR	0x00
#define NS8250_RESET_DIVISOR	1	/* undefined on the chip; 115200 here */

/* Modem inputs from the far end: a terminal that is connected and ready. */
#define NS8250_FAR_END_MSR	(NS8250_MSR_CTS | NS8250_MSR_DSR | \
				 NS8250_MSR_DCD)

#define NS8250_LSR_ERRORS	(NS8250_LSR_OE | NS8250_LSR_PE | \
				 NS8250_LSR_FE | NS8250_LSR_BI)

#define NS8250_FLOATING_BYTE	0xFF

/* Receive FIFO trigger level for each FCR bits 7:6 setting. */
static const unsigned ns8250_trigger_level[] = { 1, 4, 8, 14 };

/*
 * Locking: [I] immutable after create; [d] the device's user, one thread
 * at a time (devices.h).
 */
struct ns8250 {
	uint16_t	 base;			/* [I] */
	int		 irq;			/* [I] */
	struct dev_irq	 line;			/* [I] */
	void		(*tx)(void *, uint8_t);	/* [I] */
	void		*tx_arg;		/* [I] */

	uint8_t		 ier;			/* [d] */
	uint8_t		 fcr;			/* [d] enable, DMA, trigger */
	uint8_t		 lcr;			/* [d] */
	uint8_t		 mcr;			/* [d] */
	uint8_t		 lsr_err;		/* [d] OE (PE, FE, BI) */
	uint8_t		 msr;			/* [d] inputs and deltas */
	uint8_t		 scr;			/* [d] */
	uint8_t		 dll;			/* [d] */
	uint8_t		 dlm;			/* [d] */

	uint8_t		 rx_fifo[NS8250_FIFO_SIZE];	/* [d] */
	unsigned	 rx_head;		/* [d] oldest character */
	unsigned	 rx_count;		/* [d] */
	uint8_t		 rbr;			/* [d] last character read */

	bool		 thre_pending;		/* [d] THRE interrupt latched */
	int		 irq_level;		/* [d] the line's level */
};

static bool
ns8250_fifo_on(const struct ns8250 *sc)
{
	return ((sc->fcr & NS8250_FCR_ENABLE) != 0);
}

/* Characters the receiver holds: the FIFO, or the RBR alone as a 16450. */
static unsigned
ns8250_rx_capacity(const struct ns8250 *sc)
{
	return (ns8250_fifo_on(sc) ? NS8250_FIFO_SIZE : 1);
}

static unsigned
ns8250_rx_trigger(const struct ns8250 *sc)
{
	return (ns8250_trigger_level[(sc->fcr & NS8250_FCR_TRIGGER_MASK) >> 6]);
}

/*
 * The highest-priority pending interrupt as an IIR bits 3:0 value
 * (datasheet table "Interrupt control functions"): line status, then
 * received data or character timeout, then THRE, then modem status.
 */
static uint8_t
ns8250_intr_source(const struct ns8250 *sc)
{
	if ((sc->ier & NS8250_IER_ELSI) && (sc->lsr_err & NS8250_LSR_ERRORS))
		return (NS8250_IIR_RLS);
	if ((sc->ier & NS8250_IER_ERBFI) && sc->rx_count > 0) {
		if (!ns8250_fifo_on(sc) ||
		    sc->rx_count >= ns8250_rx_trigger(sc))
			return (NS8250_IIR_RXRDY);
		return (NS8250_IIR_RXTOUT);
	}
	if ((sc->ier & NS8250_IER_ETBEI) && sc->thre_pending)
		return (NS8250_IIR_TXRDY);
	if ((sc->ier & NS8250_IER_EDSSI) && (sc->msr & NS8250_MSR_DELTA_MASK))
		return (NS8250_IIR_MLSC);
	return (NS8250_IIR_NOPEND);
}

/*
 * Drive the IRQ line from INTR.  On a PC, OUT2 enables the buffer between
 * the UART and the interrupt controller; loopback forces the OUT2 pin
 * inactive, which disconnects it too.
 */
static void
ns8250_update_irq(struct ns8250 *sc)
{
	int level;

	level = ns8250_intr_source(sc) != NS8250_IIR_NOPEND &&
	    (sc->mcr & NS8250_MCR_OUT2) && !(sc->mcr & NS8250_MCR_LOOP);
	if (level != sc->irq_level) {
		sc->irq_level = level;
		dev_irq_set(&sc->line, sc->irq, level);
	}
}

/* The modem inputs: the far end, or in loopback MCR bits 3:0. */
static uint8_t
ns8250_msr_inputs(const struct ns8250 *sc)
{
	uint8_t in = 0;

	if (!(sc->mcr & NS8250_MCR_LOOP))
		return (NS8250_FAR_END_MSR);
	if (sc->mcr & NS8250_MCR_RTS)
		in |= NS8250_MSR_CTS;
	if (sc->mcr & NS8250_MCR_DTR)
		in |= NS8250_MSR_DSR;
	if (sc->mcr & NS8250_MCR_OUT1)
		in |= NS8250_MSR_RI;
	if (sc->mcr & NS8250_MCR_OUT2)
		in |= NS8250_MSR_DCD;
	return (in);
}

/* Latch new modem inputs, setting the delta bits for what changed. */
static void
ns8250_msr_sample(struct ns8250 *sc)
{
	uint8_t old = sc->msr & ~NS8250_MSR_DELTA_MASK;
	uint8_t in = ns8250_msr_inputs(sc);
	uint8_t delta = sc->msr & NS8250_MSR_DELTA_MASK;

	if ((old ^ in) & NS8250_MSR_CTS)
		delta |= NS8250_MSR_DCTS;
	if ((old ^ in) & NS8250_MSR_DSR)
		delta |= NS8250_MSR_DDSR;
	if ((old & NS8250_MSR_RI) && !(in & NS8250_MSR_RI))
		delta |= NS8250_MSR_TERI;
	if ((old ^ in) & NS8250_MSR_DCD)
		delta |= NS8250_MSR_DDCD;
	sc->msr = in | delta;
}

static void
ns8250_rx_flush(struct ns8250 *sc)
{
	sc->rx_head = 0;
	sc->rx_count = 0;
}

static void
ns8250_rx_push(struct ns8250 *sc, uint8_t c)
{
	sc->rx_fifo[(sc->rx_head + sc->rx_count) % NS8250_FIFO_SIZE] = c;
	sc->rx_count++;
}

/*
 * A character from the loopback path reaches the receiver.  If it is
 * full, that is an overrun: a 16450 overwrites the RBR, a 16550 with
 * FIFOs on loses the new character and keeps the FIFO.
 */
static void
ns8250_loop_receive(struct ns8250 *sc, uint8_t c)
{
	if (sc->rx_count < ns8250_rx_capacity(sc)) {
		ns8250_rx_push(sc, c);
		return;
	}
	sc->lsr_err |= NS8250_LSR_OE;
	if (!ns8250_fifo_on(sc))
		sc->rx_fifo[sc->rx_head] = c;
}

/*
 * A THR write: it clears the THRE interrupt, the byte leaves at once (to
 * the sink, or to the receiver in loopback), and THR is empty again.  The
 * IRQ line therefore drops and rises, giving an edge-triggered PIC a new
 * request, as the real chip does one character time later.
 */
static void
ns8250_write_thr(struct ns8250 *sc, uint8_t c)
{
	sc->thre_pending = false;
	ns8250_update_irq(sc);
	if (sc->mcr & NS8250_MCR_LOOP)
		ns8250_loop_receive(sc, c);
	else if (sc->tx != NULL)
		sc->tx(sc->tx_arg, c);
	sc->thre_pending = true;
	ns8250_update_irq(sc);
}

/*
 * FCR: changing bit 0 empties both FIFOs; the other bits are only
 * programmed when bit 0 is set in the same write.  The transmit FIFO is
 * always empty, so its reset bit has nothing to do.
 */
static void
ns8250_write_fcr(struct ns8250 *sc, uint8_t v)
{
	if ((v ^ sc->fcr) & NS8250_FCR_ENABLE)
		ns8250_rx_flush(sc);
	if (!(v & NS8250_FCR_ENABLE)) {
		sc->fcr = 0;
		return;
	}
	if (v & NS8250_FCR_RCV_RST)
		ns8250_rx_flush(sc);
	sc->fcr = v & (NS8250_FCR_ENABLE | NS8250_FCR_DMA |
	    NS8250_FCR_TRIGGER_MASK);
}

static void
ns8250_write_ier(struct ns8250 *sc, uint8_t v)
{
	v &= NS8250_IER_MASK;
	/* Enabling ETBEI while THR is empty requests a THRE interrupt. */
	if ((v & NS8250_IER_ETBEI) && !(sc->ier & NS8250_IER_ETBEI))
		sc->thre_pending = true;
	sc->ier = v;
}

/* One byte written to register "reg" (offset from the base). */
static void
ns8250_write(struct ns8250 *sc, unsigned reg, uint8_t v)
{
	bool dlab = (sc->lcr & NS8250_LCR_DLAB) != 0;

	switch (reg) {
	case NS8250_THR:
		if (dlab)
			sc->dll = v;
		else
			ns8250_write_thr(sc, v);
		break;
	case NS8250_IER:
		if (dlab)
			sc->dlm = v;
		else
			ns8250_write_ier(sc, v);
		break;
	case NS8250_FCR:
		ns8250_write_fcr(sc, v);
		break;
	case NS8250_LCR:
		sc->lcr = v;
		break;
	case NS8250_MCR:
		sc->mcr = v & NS8250_MCR_MASK;
		ns8250_msr_sample(sc);
		break;
	case NS8250_LSR:
	case NS8250_MSR:
		/* Read-only on a PC (writes are factory test on the chip). */
		break;
	case NS8250_SCR:
		sc->scr = v;
		break;
	}
	ns8250_update_irq(sc);
}

static uint8_t
ns8250_read_rbr(struct ns8250 *sc)
{
	if (sc->rx_count > 0) {
		sc->rbr = sc->rx_fifo[sc->rx_head];
		sc->rx_head = (sc->rx_head + 1) % NS8250_FIFO_SIZE;
		sc->rx_count--;
	}
	return (sc->rbr);
}

/* IIR: reading it clears a THRE interrupt when that is what it reports. */
static uint8_t
ns8250_read_iir(struct ns8250 *sc)
{
	uint8_t src = ns8250_intr_source(sc);

	if (src == NS8250_IIR_TXRDY)
		sc->thre_pending = false;
	return (src | (ns8250_fifo_on(sc) ? NS8250_IIR_FIFO_MASK : 0));
}

/* LSR: reading it clears the error bits and so the line status interrupt. */
static uint8_t
ns8250_read_lsr(struct ns8250 *sc)
{
	uint8_t v = NS8250_LSR_THRE | NS8250_LSR_TEMT | sc->lsr_err;

	if (sc->rx_count > 0)
		v |= NS8250_LSR_DR;
	sc->lsr_err = 0;
	return (v);
}

/* MSR: reading it clears the delta bits and so the modem status interrupt. */
static uint8_t
ns8250_read_msr(struct ns8250 *sc)
{
	uint8_t v = sc->msr;

	sc->msr &= ~NS8250_MSR_DELTA_MASK;
	return (v);
}

/* One byte read from register "reg" (offset from the base). */
static uint8_t
ns8250_read(struct ns8250 *sc, unsigned reg)
{
	bool dlab = (sc->lcr & NS8250_LCR_DLAB) != 0;
	uint8_t v = 0;

	switch (reg) {
	case NS8250_RBR:
		v = dlab ? sc->dll : ns8250_read_rbr(sc);
		break;
	case NS8250_IER:
		v = dlab ? sc->dlm : sc->ier;
		break;
	case NS8250_IIR:
		v = ns8250_read_iir(sc);
		break;
	case NS8250_LCR:
		v = sc->lcr;
		break;
	case NS8250_MCR:
		v = sc->mcr;
		break;
	case NS8250_LSR:
		v = ns8250_read_lsr(sc);
		break;
	case NS8250_MSR:
		v = ns8250_read_msr(sc);
		break;
	case NS8250_SCR:
		v = sc->scr;
		break;
	}
	ns8250_update_irq(sc);
	return (v);
}

/*
 * The port handler (dev_io_fn).  The registers are bytes; a wider access
 * is split into byte accesses at consecutive ports, as the ISA bus does
 * for an 8-bit device, and a byte past the last register floats.
 */
static int
ns8250_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct ns8250 *sc = dev;
	unsigned i, reg;
	uint32_t v = 0;

	if (size != 1 && size != 2 && size != 4)
		return (EINVAL);
	for (i = 0; i < (unsigned)size; i++) {
		reg = (unsigned)port + i - sc->base;
		if (dir == DEV_IO_IN) {
			v |= (uint32_t)(reg < NS8250_NPORTS ?
			    ns8250_read(sc, reg) : NS8250_FLOATING_BYTE) <<
			    (8 * i);
		} else if (reg < NS8250_NPORTS)
			ns8250_write(sc, reg, (*data >> (8 * i)) & 0xFF);
	}
	if (dir == DEV_IO_IN)
		*data = v;
	return (0);
}

/*
 * Create a UART at ports [base, base + 8) raising "irq" through "line"
 * (copied; may be NULL).  Every byte the guest transmits is handed to
 * tx(tx_arg, byte), which may be NULL to drop output.  Returns the device
 * in its reset state, or NULL with errno set.
 */
struct ns8250 *
ns8250_create(uint16_t base, int irq, const struct dev_irq *line,
    void (*tx)(void *, uint8_t), void *tx_arg)
{
	struct ns8250 *sc;

	if ((unsigned)base + NS8250_NPORTS > 65536) {
		errno = EINVAL;
		return (NULL);
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	sc->base = base;
	sc->irq = irq;
	if (line != NULL)
		sc->line = *line;
	sc->tx = tx;
	sc->tx_arg = tx_arg;

	sc->ier = NS8250_RESET_IER;
	sc->lcr = NS8250_RESET_LCR;
	sc->mcr = NS8250_RESET_MCR;
	sc->scr = NS8250_RESET_SCR;
	sc->dll = NS8250_RESET_DIVISOR & 0xFF;
	sc->dlm = NS8250_RESET_DIVISOR >> 8;
	sc->msr = ns8250_msr_inputs(sc);	/* no deltas at reset */
	return (sc);
}

void
ns8250_destroy(struct ns8250 *sc)
{
	free(sc);
}

/* Claim the eight ports; EBUSY if one is taken (dev_ports_register). */
int
ns8250_register(struct ns8250 *sc, struct dev_port_table *t)
{
	return (dev_ports_register(t, sc->base, NS8250_NPORTS, ns8250_io, sc));
}

/*
 * Deliver up to "len" received characters.  Returns how many the receiver
 * took: what fits in the FIFO (one character with FIFOs off), or 0 in
 * loopback, where the serial input is disconnected.  The caller keeps the
 * rest and offers them again after the guest has read some, so nothing
 * is lost and nothing overruns.
 */
int
ns8250_rx(struct ns8250 *sc, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (sc->mcr & NS8250_MCR_LOOP)
		return (0);
	while (n < len && sc->rx_count < ns8250_rx_capacity(sc))
		ns8250_rx_push(sc, buf[n++]);
	ns8250_update_irq(sc);
	return ((int)n);
}

/* The line speed the divisor latch selects, or 0 for a zero divisor. */
unsigned
ns8250_baud(const struct ns8250 *sc)
{
	unsigned divisor = sc->dll | (unsigned)sc->dlm << 8;

	return (divisor == 0 ? 0 : NS8250_DIVISOR_BASE / divisor);
}

/*
 * Field by field; the receiver by content in arrival order, not by where
 * it sits in the ring, which no guest can see.
 */
void
ns8250_hash(const struct ns8250 *sc, struct statehash *sh)
{
	unsigned i;

	statehash_u64(sh, sc->ier);
	statehash_u64(sh, sc->fcr);
	statehash_u64(sh, sc->lcr);
	statehash_u64(sh, sc->mcr);
	statehash_u64(sh, sc->lsr_err);
	statehash_u64(sh, sc->msr);
	statehash_u64(sh, sc->scr);
	statehash_u64(sh, sc->dll);
	statehash_u64(sh, sc->dlm);
	statehash_u64(sh, sc->rx_count);
	for (i = 0; i < sc->rx_count && i < NS8250_FIFO_SIZE; i++)
		statehash_u64(sh,
		    sc->rx_fifo[(sc->rx_head + i) % NS8250_FIFO_SIZE]);
	statehash_u64(sh, sc->rbr);
	statehash_u64(sh, sc->thre_pending);
	statehash_u64(sh, (uint64_t)sc->irq_level);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
ns8250_snap(struct ns8250 *sc, struct snapbuf *sb)
{
	SB_INT(sb, sc->ier);
	SB_INT(sb, sc->fcr);
	SB_INT(sb, sc->lcr);
	SB_INT(sb, sc->mcr);
	SB_INT(sb, sc->lsr_err);
	SB_INT(sb, sc->msr);
	SB_INT(sb, sc->scr);
	SB_INT(sb, sc->dll);
	SB_INT(sb, sc->dlm);
	snapbuf_bytes(sb, sc->rx_fifo, sizeof(sc->rx_fifo));
	SB_INT(sb, sc->rx_head);
	snapbuf_check(sb, sc->rx_head, NS8250_FIFO_SIZE);
	SB_INT(sb, sc->rx_count);
	snapbuf_check(sb, sc->rx_count, NS8250_FIFO_SIZE + 1);
	SB_INT(sb, sc->rbr);
	SB_BOOL(sb, sc->thre_pending);
	SB_INT(sb, sc->irq_level);
	snapbuf_check(sb, (uint32_t)sc->irq_level, 2);
}
