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
 * The NS16550A UART's register model, as a guest driver sees it through
 * the port table: COM1 at 0x3F8, IRQ 4.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/ns8250.h"

#define COM	NS8250_COM1_BASE
#define IRQ	NS8250_COM1_IRQ
#define NLEVELS	64

/* Everything one test touches. */
static struct dev_port_table	*ports;
static struct ns8250		*uart;
static uint8_t			 sink[256];
static size_t			 nsink;
static int			 levels[NLEVELS];	/* IRQ line history */
static size_t			 nlevels;
static int			 line;

static void
tx_sink(void *arg, uint8_t c)
{
	ck_assert_ptr_eq(arg, sink);
	ck_assert_uint_lt(nsink, sizeof(sink));
	sink[nsink++] = c;
}

static void
irq_set(void *arg, int irq, int level)
{
	ck_assert_ptr_eq(arg, &line);
	ck_assert_int_eq(irq, IRQ);
	ck_assert_uint_lt(nlevels, NLEVELS);
	levels[nlevels++] = level;
	line = level;
}

static const struct dev_irq irq_line = { irq_set, &line };

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	nsink = 0;
	nlevels = 0;
	line = 0;
	uart = ns8250_create(COM, IRQ, &irq_line, tx_sink, sink);
	ck_assert_ptr_nonnull(uart);
	ck_assert_int_eq(ns8250_register(uart, ports), 0);
}

static void
teardown(void)
{
	ns8250_destroy(uart);
	free(ports);
}

static uint8_t
in8(unsigned reg)
{
	uint32_t v = 0xDEADBEEF;

	ck_assert_int_eq(dev_ports_io(ports, COM + reg, DEV_IO_IN, 1, &v), 0);
	ck_assert_uint_le(v, 0xFF);
	return ((uint8_t)v);
}

static void
out8(unsigned reg, uint8_t v)
{
	uint32_t d = v;

	ck_assert_int_eq(dev_ports_io(ports, COM + reg, DEV_IO_OUT, 1, &d), 0);
}

static void
rx_str(const char *s, int expect)
{
	ck_assert_int_eq(ns8250_rx(uart, (const uint8_t *)s, strlen(s)),
	    expect);
}

/* --- reset and plain registers -------------------------------------- */

START_TEST(test_reset_values_of_every_register)
{
	ck_assert_uint_eq(in8(NS8250_IER), 0x00);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	ck_assert_uint_eq(in8(NS8250_LCR), 0x00);
	ck_assert_uint_eq(in8(NS8250_MCR), 0x00);
	ck_assert_uint_eq(in8(NS8250_LSR), NS8250_LSR_THRE | NS8250_LSR_TEMT);
	/* The far end is a ready terminal: CTS, DSR, DCD; no deltas. */
	ck_assert_uint_eq(in8(NS8250_MSR),
	    NS8250_MSR_CTS | NS8250_MSR_DSR | NS8250_MSR_DCD);
	ck_assert_uint_eq(in8(NS8250_SCR), 0x00);
	ck_assert_uint_eq(in8(NS8250_RBR), 0x00);
	out8(NS8250_LCR, NS8250_LCR_DLAB);
	ck_assert_uint_eq(in8(NS8250_DLL), 0x01);
	ck_assert_uint_eq(in8(NS8250_DLM), 0x00);
	ck_assert_uint_eq(ns8250_baud(uart), 115200);
	ck_assert_uint_eq(nlevels, 0);
	ck_assert_uint_eq(nsink, 0);
}
END_TEST

START_TEST(test_dlab_switches_ports_0_and_1_to_divisor_latch)
{
	out8(NS8250_IER, NS8250_IER_ERBFI);
	out8(NS8250_LCR, NS8250_LCR_DLAB | NS8250_LCR_8BITS);
	out8(NS8250_DLL, 0x0C);
	out8(NS8250_DLM, 0x00);
	ck_assert_uint_eq(in8(NS8250_DLL), 0x0C);
	ck_assert_uint_eq(in8(NS8250_DLM), 0x00);
	ck_assert_uint_eq(ns8250_baud(uart), 9600);
	ck_assert_uint_eq(nsink, 0);		/* DLL is not THR */

	out8(NS8250_LCR, NS8250_LCR_8BITS);
	ck_assert_uint_eq(in8(NS8250_LCR), NS8250_LCR_8BITS);
	ck_assert_uint_eq(in8(NS8250_IER), NS8250_IER_ERBFI);
	ck_assert_uint_eq(ns8250_baud(uart), 9600);
}
END_TEST

START_TEST(test_divisor_latch_high_byte_and_zero_divisor)
{
	out8(NS8250_LCR, NS8250_LCR_DLAB);
	out8(NS8250_DLL, 0x80);
	out8(NS8250_DLM, 0x01);			/* 384: 300 baud */
	ck_assert_uint_eq(ns8250_baud(uart), 300);
	out8(NS8250_DLL, 0x00);
	out8(NS8250_DLM, 0x00);
	ck_assert_uint_eq(ns8250_baud(uart), 0);
}
END_TEST

START_TEST(test_scratch_register_holds_any_byte)
{
	unsigned v;

	for (v = 0; v < 256; v++) {
		out8(NS8250_SCR, (uint8_t)v);
		ck_assert_uint_eq(in8(NS8250_SCR), v);
	}
	ck_assert_uint_eq(in8(NS8250_LCR), 0);	/* nothing else moved */
	ck_assert_uint_eq(nsink, 0);
}
END_TEST

START_TEST(test_ier_and_mcr_keep_only_defined_bits)
{
	out8(NS8250_IER, 0xFF);
	ck_assert_uint_eq(in8(NS8250_IER), NS8250_IER_MASK);
	out8(NS8250_MCR, 0xFF);
	ck_assert_uint_eq(in8(NS8250_MCR), NS8250_MCR_MASK);
}
END_TEST

START_TEST(test_lsr_and_msr_ignore_writes)
{
	out8(NS8250_LSR, 0xFF);
	out8(NS8250_MSR, 0x0F);
	ck_assert_uint_eq(in8(NS8250_LSR), NS8250_LSR_THRE | NS8250_LSR_TEMT);
	ck_assert_uint_eq(in8(NS8250_MSR) & NS8250_MSR_DELTA_MASK, 0);
}
END_TEST

/* --- transmit ------------------------------------------------------- */

START_TEST(test_thr_write_reaches_sink_immediately)
{
	out8(NS8250_THR, 'o');
	ck_assert_uint_eq(nsink, 1);
	ck_assert_uint_eq(sink[0], 'o');
	out8(NS8250_THR, 'k');
	ck_assert_uint_eq(nsink, 2);
	ck_assert_uint_eq(sink[1], 'k');
	/* The transmitter is instant: THR and the shift register are empty. */
	ck_assert_uint_eq(in8(NS8250_LSR) & (NS8250_LSR_THRE | NS8250_LSR_TEMT),
	    NS8250_LSR_THRE | NS8250_LSR_TEMT);
}
END_TEST

START_TEST(test_thr_write_without_sink_is_dropped)
{
	struct ns8250 *u;
	uint32_t d = 'x';

	u = ns8250_create(0x2F8, 3, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(ns8250_register(u, ports), 0);
	ck_assert_int_eq(dev_ports_io(ports, 0x2F8, DEV_IO_OUT, 1, &d), 0);
	ck_assert_int_eq(dev_ports_io(ports, 0x2F8 + NS8250_LSR, DEV_IO_IN, 1,
	    &d), 0);
	ck_assert_uint_eq(d, NS8250_LSR_THRE | NS8250_LSR_TEMT);
	ck_assert_uint_eq(nsink, 0);
	ns8250_destroy(u);
}
END_TEST

START_TEST(test_thre_interrupt_raised_when_etbei_enabled)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	ck_assert_int_eq(line, 0);
	out8(NS8250_IER, NS8250_IER_ETBEI);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
}
END_TEST

START_TEST(test_thre_interrupt_cleared_by_iir_read_that_reports_it)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ETBEI);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	/* THR is still empty; only the interrupt is gone. */
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_THRE, 0);
}
END_TEST

START_TEST(test_thre_interrupt_not_cleared_by_iir_read_reporting_other)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ETBEI | NS8250_IER_ERBFI);
	rx_str("a", 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	(void)in8(NS8250_RBR);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

START_TEST(test_thre_interrupt_cleared_by_thr_write_then_rearmed)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ETBEI);
	ck_assert_int_eq(line, 1);
	nlevels = 0;
	out8(NS8250_THR, 'z');
	/* Cleared by the write, pending again once the byte has left. */
	ck_assert_uint_eq(nlevels, 2);
	ck_assert_int_eq(levels[0], 0);
	ck_assert_int_eq(levels[1], 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
}
END_TEST

START_TEST(test_thr_write_raises_thre_after_iir_cleared_it)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ETBEI);
	(void)in8(NS8250_IIR);
	ck_assert_int_eq(line, 0);
	out8(NS8250_THR, 'z');
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
}
END_TEST

START_TEST(test_thre_interrupt_needs_etbei)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_THR, 'a');
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	ck_assert_uint_eq(nlevels, 0);
	/* Re-writing IER with ETBEI already set does not re-request it. */
	out8(NS8250_IER, NS8250_IER_ETBEI);
	(void)in8(NS8250_IIR);
	out8(NS8250_IER, NS8250_IER_ETBEI);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

/* --- receive -------------------------------------------------------- */

START_TEST(test_rx_sets_dr_and_reads_in_order)
{
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	rx_str("abc", 3);
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(in8(NS8250_RBR), 'a');
	ck_assert_uint_eq(in8(NS8250_RBR), 'b');
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(in8(NS8250_RBR), 'c');
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	/* An empty receiver reads as the last character again. */
	ck_assert_uint_eq(in8(NS8250_RBR), 'c');
}
END_TEST

START_TEST(test_rx_takes_what_fits_in_fifo)
{
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	rx_str("0123456789abcdefXYZ", NS8250_FIFO_SIZE);
	rx_str("XYZ", 0);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_OE, 0);
	ck_assert_uint_eq(in8(NS8250_RBR), '0');
	rx_str("XYZ", 1);
}
END_TEST

START_TEST(test_rx_takes_one_character_without_fifo)
{
	rx_str("ab", 1);
	rx_str("b", 0);
	ck_assert_uint_eq(in8(NS8250_LSR), NS8250_LSR_DR | NS8250_LSR_THRE |
	    NS8250_LSR_TEMT);
	ck_assert_uint_eq(in8(NS8250_RBR), 'a');
	rx_str("b", 1);
	ck_assert_uint_eq(in8(NS8250_RBR), 'b');
}
END_TEST

START_TEST(test_rx_raises_data_interrupt_until_read)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ERBFI);
	rx_str("q", 1);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	ck_assert_int_eq(line, 1);		/* IIR does not clear it */
	ck_assert_uint_eq(in8(NS8250_RBR), 'q');
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

/*
 * Console input as `vmmsim run` delivers it: a burst into the FIFO at
 * trigger level 1.  The received-data interrupt holds the line up until
 * the last byte is read, so a handler looping on LSR.DR sees them all.
 */
START_TEST(test_rx_burst_holds_irq_until_fifo_empty)
{
	out8(NS8250_FCR, NS8250_FCR_ENABLE | NS8250_FCR_TRIGGER_1);
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ERBFI);
	ck_assert_int_eq(line, 0);
	rx_str("hi\n", 3);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_FIFO_MASK |
	    NS8250_IIR_RXRDY);
	ck_assert_uint_eq(in8(NS8250_RBR), 'h');
	ck_assert_int_eq(line, 1);
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(in8(NS8250_RBR), 'i');
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_RBR), '\n');
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_FIFO_MASK |
	    NS8250_IIR_NOPEND);
}
END_TEST

/* Data that came before the guest enabled ERBFI interrupts once it does. */
START_TEST(test_rx_before_erbfi_interrupts_when_enabled)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	rx_str("x", 1);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	out8(NS8250_IER, NS8250_IER_ERBFI);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	ck_assert_uint_eq(in8(NS8250_RBR), 'x');
	ck_assert_int_eq(line, 0);
}
END_TEST

/*
 * A byte taken as a 16450 (FIFOs off, the power-on state) is lost when
 * the guest turns the FIFOs on: why console input sent before a guest has
 * set up its UART may lose its first byte, as on the chip.
 */
START_TEST(test_fifo_enable_discards_byte_received_before)
{
	rx_str("hello", 1);
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	rx_str("ello", 4);
	ck_assert_uint_eq(in8(NS8250_RBR), 'e');
}
END_TEST

START_TEST(test_rx_below_trigger_reports_character_timeout)
{
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	out8(NS8250_IER, NS8250_IER_ERBFI);
	out8(NS8250_FCR, NS8250_FCR_ENABLE | NS8250_FCR_TRIGGER_4);
	rx_str("abc", 3);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_RXTOUT);
	rx_str("d", 1);
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_RXRDY);
	(void)in8(NS8250_RBR);
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_RXTOUT);
	(void)in8(NS8250_RBR);
	(void)in8(NS8250_RBR);
	(void)in8(NS8250_RBR);
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_NOPEND);
	ck_assert_int_eq(line, 0);
}
END_TEST

START_TEST(test_trigger_levels_1_4_8_14)
{
	static const struct { uint8_t fcr; unsigned level; } t[] = {
		{ NS8250_FCR_TRIGGER_1, 1 }, { NS8250_FCR_TRIGGER_4, 4 },
		{ NS8250_FCR_TRIGGER_8, 8 }, { NS8250_FCR_TRIGGER_14, 14 },
	};
	uint8_t c = 'x';
	unsigned i, n;

	out8(NS8250_IER, NS8250_IER_ERBFI);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out8(NS8250_FCR, NS8250_FCR_ENABLE | NS8250_FCR_RCV_RST |
		    t[i].fcr);
		for (n = 1; n <= t[i].level; n++) {
			ck_assert_int_eq(ns8250_rx(uart, &c, 1), 1);
			ck_assert_uint_eq(in8(NS8250_IIR) & NS8250_IIR_IMASK,
			    n < t[i].level ? NS8250_IIR_RXTOUT :
			    NS8250_IIR_RXRDY);
		}
	}
}
END_TEST

/* --- overrun -------------------------------------------------------- */

START_TEST(test_overrun_sets_oe_when_fifo_full)
{
	unsigned i;

	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	for (i = 0; i < NS8250_FIFO_SIZE; i++)
		out8(NS8250_THR, (uint8_t)('a' + i));
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_OE, 0);
	out8(NS8250_THR, '!');
	ck_assert_uint_eq(in8(NS8250_LSR) & (NS8250_LSR_OE | NS8250_LSR_DR),
	    NS8250_LSR_OE | NS8250_LSR_DR);
	/* Reading LSR cleared OE; the FIFO kept its 16, '!' was lost. */
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_OE, 0);
	for (i = 0; i < NS8250_FIFO_SIZE; i++)
		ck_assert_uint_eq(in8(NS8250_RBR), 'a' + i);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(nsink, 0);
}
END_TEST

START_TEST(test_overrun_without_fifo_overwrites_rbr)
{
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	out8(NS8250_THR, '1');
	out8(NS8250_THR, '2');
	ck_assert_uint_eq(in8(NS8250_LSR) & (NS8250_LSR_OE | NS8250_LSR_DR),
	    NS8250_LSR_OE | NS8250_LSR_DR);
	ck_assert_uint_eq(in8(NS8250_RBR), '2');
	ck_assert_uint_eq(in8(NS8250_LSR) & (NS8250_LSR_OE | NS8250_LSR_DR), 0);
}
END_TEST

START_TEST(test_overrun_raises_line_status_interrupt_until_lsr_read)
{
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	out8(NS8250_IER, NS8250_IER_ELSI);
	out8(NS8250_THR, '1');
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	out8(NS8250_THR, '2');
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RLS);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RLS);
	(void)in8(NS8250_LSR);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

/* --- interrupt identification -------------------------------------- */

START_TEST(test_iir_priority_order)
{
	/* Make all four sources pending at once, through loopback. */
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	(void)in8(NS8250_MSR);
	out8(NS8250_THR, '1');
	out8(NS8250_THR, '2');			/* data ready and overrun */
	out8(NS8250_MCR, NS8250_MCR_LOOP | NS8250_MCR_RTS);	/* DCTS */
	out8(NS8250_IER, NS8250_IER_MASK);	/* and THRE */

	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RLS);
	(void)in8(NS8250_LSR);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	(void)in8(NS8250_RBR);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_TXRDY);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_MLSC);
	ck_assert_uint_eq(in8(NS8250_MSR) & NS8250_MSR_DELTA_MASK,
	    NS8250_MSR_DCTS);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

START_TEST(test_modem_status_interrupt_cleared_by_msr_read)
{
	out8(NS8250_IER, NS8250_IER_EDSSI);
	out8(NS8250_MCR, NS8250_MCR_LOOP);	/* far end drops: deltas */
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_MLSC);
	ck_assert_uint_eq(in8(NS8250_MSR),
	    NS8250_MSR_DCTS | NS8250_MSR_DDSR | NS8250_MSR_DDCD);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
	ck_assert_uint_eq(in8(NS8250_MSR), 0);
}
END_TEST

/* --- FIFO control --------------------------------------------------- */

START_TEST(test_fcr_enable_sets_iir_bits_7_6)
{
	ck_assert_uint_eq(in8(NS8250_IIR) & NS8250_IIR_FIFO_MASK, 0);
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_NOPEND);
	out8(NS8250_FCR, 0);
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_NOPEND);
}
END_TEST

START_TEST(test_fcr_receiver_reset_empties_fifo)
{
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	rx_str("abcd", 4);
	out8(NS8250_FCR, NS8250_FCR_ENABLE | NS8250_FCR_XMT_RST);
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	out8(NS8250_FCR, NS8250_FCR_ENABLE | NS8250_FCR_RCV_RST);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	rx_str("e", 1);
	ck_assert_uint_eq(in8(NS8250_RBR), 'e');
}
END_TEST

START_TEST(test_fcr_enable_change_empties_fifo)
{
	rx_str("a", 1);
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	rx_str("bc", 2);
	out8(NS8250_FCR, 0);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
}
END_TEST

START_TEST(test_fcr_bits_need_enable_in_same_write)
{
	out8(NS8250_IER, NS8250_IER_ERBFI);
	out8(NS8250_FCR, NS8250_FCR_TRIGGER_14);	/* not programmed */
	out8(NS8250_FCR, NS8250_FCR_ENABLE);
	rx_str("a", 1);
	/* Trigger level 1: data available, not a timeout. */
	ck_assert_uint_eq(in8(NS8250_IIR),
	    NS8250_IIR_FIFO_MASK | NS8250_IIR_RXRDY);
}
END_TEST

/* --- loopback and OUT2 ---------------------------------------------- */

START_TEST(test_loopback_routes_thr_to_rbr_not_sink)
{
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	out8(NS8250_THR, 'L');
	ck_assert_uint_eq(nsink, 0);
	ck_assert_uint_ne(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	ck_assert_uint_eq(in8(NS8250_RBR), 'L');
	out8(NS8250_MCR, 0);
	out8(NS8250_THR, 'S');
	ck_assert_uint_eq(nsink, 1);
	ck_assert_uint_eq(sink[0], 'S');
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
}
END_TEST

START_TEST(test_loopback_maps_mcr_outputs_to_msr_inputs)
{
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	ck_assert_uint_eq(in8(NS8250_MSR) & ~NS8250_MSR_DELTA_MASK, 0);
	/* The probe Linux and OpenBSD use: RTS|OUT2 reads back CTS|DCD. */
	out8(NS8250_MCR, NS8250_MCR_LOOP | NS8250_MCR_RTS | NS8250_MCR_OUT2);
	ck_assert_uint_eq(in8(NS8250_MSR),
	    NS8250_MSR_CTS | NS8250_MSR_DCD | NS8250_MSR_DCTS |
	    NS8250_MSR_DDCD);
	out8(NS8250_MCR, NS8250_MCR_LOOP | NS8250_MCR_DTR | NS8250_MCR_OUT1);
	ck_assert_uint_eq(in8(NS8250_MSR),
	    NS8250_MSR_DSR | NS8250_MSR_RI | NS8250_MSR_DCTS |
	    NS8250_MSR_DDSR | NS8250_MSR_DDCD);
	/* RI going off is the trailing edge. */
	out8(NS8250_MCR, NS8250_MCR_LOOP | NS8250_MCR_DTR);
	ck_assert_uint_eq(in8(NS8250_MSR), NS8250_MSR_DSR | NS8250_MSR_TERI);
}
END_TEST

START_TEST(test_loopback_disconnects_serial_input)
{
	out8(NS8250_MCR, NS8250_MCR_LOOP);
	rx_str("abc", 0);
	ck_assert_uint_eq(in8(NS8250_LSR) & NS8250_LSR_DR, 0);
	out8(NS8250_MCR, 0);
	rx_str("abc", 1);
}
END_TEST

START_TEST(test_out2_gates_irq_line)
{
	out8(NS8250_IER, NS8250_IER_ERBFI);
	rx_str("a", 1);
	/* The UART's INTR is up, but OUT2 keeps it off the bus. */
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	ck_assert_uint_eq(nlevels, 0);
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	ck_assert_int_eq(line, 1);
	out8(NS8250_MCR, NS8250_MCR_DTR | NS8250_MCR_RTS);
	ck_assert_int_eq(line, 0);
	out8(NS8250_MCR, NS8250_MCR_OUT2);
	ck_assert_int_eq(line, 1);
	(void)in8(NS8250_RBR);
	ck_assert_int_eq(line, 0);
}
END_TEST

START_TEST(test_loopback_keeps_irq_line_low)
{
	out8(NS8250_IER, NS8250_IER_ERBFI);
	out8(NS8250_MCR, NS8250_MCR_LOOP | NS8250_MCR_OUT2);
	out8(NS8250_THR, 'a');
	ck_assert_uint_eq(in8(NS8250_IIR), NS8250_IIR_RXRDY);
	ck_assert_int_eq(line, 0);
	out8(NS8250_MCR, NS8250_MCR_OUT2);	/* leave loopback */
	ck_assert_int_eq(line, 1);
}
END_TEST

/* --- the port interface --------------------------------------------- */

START_TEST(test_register_claims_eight_ports_once)
{
	uint32_t v;

	ck_assert_int_eq(ns8250_register(uart, ports), EBUSY);
	ck_assert_ptr_nonnull(ports->fn[COM + NS8250_SCR]);
	ck_assert_ptr_null(ports->fn[COM + NS8250_NPORTS]);
	ck_assert_int_eq(dev_ports_io(ports, COM + NS8250_NPORTS, DEV_IO_IN, 1,
	    &v), ENODEV);
}
END_TEST

START_TEST(test_wide_access_splits_into_byte_registers)
{
	uint32_t v = 0x0000A55A;

	/* A word at SCR-1 writes MSR (ignored) and SCR. */
	ck_assert_int_eq(dev_ports_io(ports, COM + NS8250_MSR, DEV_IO_OUT, 2,
	    &v), 0);
	ck_assert_uint_eq(in8(NS8250_SCR), 0xA5);
	v = 0;
	/* A dword at MCR reads MCR, LSR, MSR and SCR. */
	ck_assert_int_eq(dev_ports_io(ports, COM + NS8250_MCR, DEV_IO_IN, 4,
	    &v), 0);
	ck_assert_uint_eq(v, 0xA5U << 24 |
	    (uint32_t)(NS8250_MSR_CTS | NS8250_MSR_DSR | NS8250_MSR_DCD) << 16 |
	    (uint32_t)(NS8250_LSR_THRE | NS8250_LSR_TEMT) << 8);
	ck_assert_int_eq(dev_ports_io(ports, COM + NS8250_SCR, DEV_IO_IN, 2,
	    &v), 0);
	ck_assert_uint_eq(v, 0xFFA5);		/* past the UART: floats */
	ck_assert_int_eq(dev_ports_io(ports, COM, DEV_IO_IN, 3, &v), EINVAL);
}
END_TEST

static Suite *
ns8250_suite(void)
{
	Suite *s = suite_create("ns8250");
	TCase *tc;

	tc = tcase_create("registers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_values_of_every_register);
	tcase_add_test(tc, test_dlab_switches_ports_0_and_1_to_divisor_latch);
	tcase_add_test(tc, test_divisor_latch_high_byte_and_zero_divisor);
	tcase_add_test(tc, test_scratch_register_holds_any_byte);
	tcase_add_test(tc, test_ier_and_mcr_keep_only_defined_bits);
	tcase_add_test(tc, test_lsr_and_msr_ignore_writes);
	suite_add_tcase(s, tc);

	tc = tcase_create("transmit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_thr_write_reaches_sink_immediately);
	tcase_add_test(tc, test_thr_write_without_sink_is_dropped);
	tcase_add_test(tc, test_thre_interrupt_raised_when_etbei_enabled);
	tcase_add_test(tc,
	    test_thre_interrupt_cleared_by_iir_read_that_reports_it);
	tcase_add_test(tc,
	    test_thre_interrupt_not_cleared_by_iir_read_reporting_other);
	tcase_add_test(tc,
	    test_thre_interrupt_cleared_by_thr_write_then_rearmed);
	tcase_add_test(tc, test_thr_write_raises_thre_after_iir_cleared_it);
	tcase_add_test(tc, test_thre_interrupt_needs_etbei);
	suite_add_tcase(s, tc);

	tc = tcase_create("receive");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rx_sets_dr_and_reads_in_order);
	tcase_add_test(tc, test_rx_takes_what_fits_in_fifo);
	tcase_add_test(tc, test_rx_takes_one_character_without_fifo);
	tcase_add_test(tc, test_rx_raises_data_interrupt_until_read);
	tcase_add_test(tc, test_rx_below_trigger_reports_character_timeout);
	tcase_add_test(tc, test_rx_burst_holds_irq_until_fifo_empty);
	tcase_add_test(tc, test_rx_before_erbfi_interrupts_when_enabled);
	tcase_add_test(tc, test_fifo_enable_discards_byte_received_before);
	tcase_add_test(tc, test_trigger_levels_1_4_8_14);
	tcase_add_test(tc, test_overrun_sets_oe_when_fifo_full);
	tcase_add_test(tc, test_overrun_without_fifo_overwrites_rbr);
	tcase_add_test(tc,
	    test_overrun_raises_line_status_interrupt_until_lsr_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_iir_priority_order);
	tcase_add_test(tc, test_modem_status_interrupt_cleared_by_msr_read);
	tcase_add_test(tc, test_out2_gates_irq_line);
	tcase_add_test(tc, test_loopback_keeps_irq_line_low);
	suite_add_tcase(s, tc);

	tc = tcase_create("fifo");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fcr_enable_sets_iir_bits_7_6);
	tcase_add_test(tc, test_fcr_receiver_reset_empties_fifo);
	tcase_add_test(tc, test_fcr_enable_change_empties_fifo);
	tcase_add_test(tc, test_fcr_bits_need_enable_in_same_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("loopback");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_loopback_routes_thr_to_rbr_not_sink);
	tcase_add_test(tc, test_loopback_maps_mcr_outputs_to_msr_inputs);
	tcase_add_test(tc, test_loopback_disconnects_serial_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_claims_eight_ports_once);
	tcase_add_test(tc, test_wide_access_splits_into_byte_registers);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(ns8250_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
