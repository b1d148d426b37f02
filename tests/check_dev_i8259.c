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
 * The i8259 PIC pair and ELCR, driven through the port table as a guest
 * would, with the run loop's pending/ack calls.
 */

#include <errno.h>
#include <stdlib.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/i8259.h"

/* The vector bases the tests program (Linux's, OpenBSD's are 0x20/0x28). */
#define MBASE		0x20
#define SBASE		0x28

/* Command bytes as a guest writes them. */
#define ICW1_EDGE_ICW4	0x11	/* ICW1, cascade, ICW4 follows */
#define ICW1_SINGLE	0x12	/* ICW1, single, no ICW4 */
#define ICW3_MASTER	0x04	/* slave on IR2 */
#define ICW3_SLAVE	0x02	/* slave id 2 */
#define ICW4_8086	0x01
#define ICW4_8086_AEOI	0x03
#define ICW4_8086_SFNM	0x11
#define OCW2_EOI	0x20
#define OCW2_SEOI	0x60	/* | level */
#define OCW2_ROT_EOI	0xA0
#define OCW2_ROT_AEOI_SET 0x80
#define OCW2_SETPRI	0xC0	/* | level */
#define OCW3_READ_IRR	0x0A
#define OCW3_READ_ISR	0x0B
#define OCW3_POLL	0x0C
#define OCW3_SET_SMM	0x68
#define OCW3_CLR_SMM	0x48
#define POLL_INT	0x80	/* poll byte: a request was pending */
#define ELCR0_FIXED	0xF8	/* writable bits of 0x4D0 */
#define ELCR1_FIXED	0xDE	/* writable bits of 0x4D1 */

static struct dev_port_table *ports;
static struct i8259 *pic;

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	pic = i8259_create();
	ck_assert_ptr_nonnull(pic);
	ck_assert_int_eq(i8259_register(pic, ports), 0);
}

static void
teardown(void)
{
	i8259_destroy(pic);
	free(ports);
}

static void
outb(uint16_t port, uint8_t v)
{
	uint32_t data = v;

	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_OUT, 1, &data), 0);
}

static uint8_t
inb(uint16_t port)
{
	uint32_t data = 0;

	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_IN, 1, &data), 0);
	return ((uint8_t)data);
}

/* The PC initialisation sequence, then everything unmasked. */
static void
pic_init(uint8_t master_icw4, uint8_t slave_icw4)
{
	outb(I8259_MASTER_CMD, ICW1_EDGE_ICW4);
	outb(I8259_MASTER_DATA, MBASE);
	outb(I8259_MASTER_DATA, ICW3_MASTER);
	outb(I8259_MASTER_DATA, master_icw4);
	outb(I8259_SLAVE_CMD, ICW1_EDGE_ICW4);
	outb(I8259_SLAVE_DATA, SBASE);
	outb(I8259_SLAVE_DATA, ICW3_SLAVE);
	outb(I8259_SLAVE_DATA, slave_icw4);
	outb(I8259_MASTER_DATA, 0x00);
	outb(I8259_SLAVE_DATA, 0x00);
}

static void
setup_pc(void)
{
	setup();
	pic_init(ICW4_8086, ICW4_8086);
}

static uint8_t
read_isr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return (inb(cmd));
}

static uint8_t
read_irr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_IRR);
	return (inb(cmd));
}

/* Pulse an edge-triggered line, as device models do. */
static void
pulse(int irq)
{
	i8259_set_irq(pic, irq, 1);
	i8259_set_irq(pic, irq, 0);
}

START_TEST(test_create_masks_everything_before_init)
{
	ck_assert_uint_eq(inb(I8259_MASTER_DATA), 0xFF);
	ck_assert_uint_eq(inb(I8259_SLAVE_DATA), 0xFF);
	pulse(1);
	ck_assert(!i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), -1);
}
END_TEST

START_TEST(test_init_sequence_sets_vector_base)
{
	outb(I8259_MASTER_CMD, ICW1_EDGE_ICW4);
	ck_assert_uint_eq(inb(I8259_MASTER_DATA), 0x00); /* IMR cleared */
	outb(I8259_MASTER_DATA, MBASE | 0x05);	/* low bits ignored */
	outb(I8259_MASTER_DATA, ICW3_MASTER);
	outb(I8259_MASTER_DATA, ICW4_8086);
	outb(I8259_SLAVE_CMD, ICW1_EDGE_ICW4);
	outb(I8259_SLAVE_DATA, SBASE);
	outb(I8259_SLAVE_DATA, ICW3_SLAVE);
	outb(I8259_SLAVE_DATA, ICW4_8086);
	/* The next data write is OCW1 again. */
	outb(I8259_MASTER_DATA, 0xFD);
	ck_assert_uint_eq(inb(I8259_MASTER_DATA), 0xFD);
	outb(I8259_MASTER_DATA, 0x00);
	pulse(1);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	pulse(14);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 6);
}
END_TEST

START_TEST(test_init_without_icw4_or_icw3)
{
	/* Single mode, no ICW4: ICW2 alone finishes the sequence. */
	outb(I8259_MASTER_CMD, ICW1_SINGLE);
	outb(I8259_MASTER_DATA, 0x40);
	outb(I8259_MASTER_DATA, 0x01);		/* OCW1: mask IRQ 0 */
	ck_assert_uint_eq(inb(I8259_MASTER_DATA), 0x01);
	pulse(0);
	ck_assert(!i8259_pending(pic));
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), 0x43);
}
END_TEST

START_TEST(test_imr_masks_request)
{
	outb(I8259_MASTER_DATA, 0x08);
	pulse(3);
	ck_assert(!i8259_pending(pic));
	ck_assert_uint_eq(read_irr(I8259_MASTER_CMD), 0x08);	/* latched */
	outb(I8259_MASTER_DATA, 0x00);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
}
END_TEST

START_TEST(test_slave_imr_masks_slave_irq)
{
	outb(I8259_SLAVE_DATA, 0x04);		/* IRQ 10 */
	pulse(10);
	ck_assert(!i8259_pending(pic));
	outb(I8259_SLAVE_DATA, 0x00);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 2);
}
END_TEST

START_TEST(test_nonspecific_eoi_clears_highest_in_service)
{
	pulse(1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
	pulse(0);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 0);	/* nests */
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x03);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x02);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_specific_eoi_clears_named_level)
{
	pulse(1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
	pulse(0);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 0);
	outb(I8259_MASTER_CMD, OCW2_SEOI | 1);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x01);
}
END_TEST

START_TEST(test_in_service_masks_lower_priority)
{
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	pulse(5);
	ck_assert(!i8259_pending(pic));		/* lower than IRQ 3 */
	pulse(3);
	ck_assert(!i8259_pending(pic));		/* equal */
	pulse(1);
	ck_assert(i8259_pending(pic));		/* higher: nests */
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
	outb(I8259_MASTER_CMD, OCW2_EOI);	/* ends IRQ 1 */
	ck_assert(!i8259_pending(pic));
	outb(I8259_MASTER_CMD, OCW2_EOI);	/* ends IRQ 3 */
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
}
END_TEST

START_TEST(test_priority_picks_lowest_numbered_request)
{
	pulse(6);
	pulse(4);
	pulse(7);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 4);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 6);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 7);
}
END_TEST

START_TEST(test_rotate_on_eoi_makes_serviced_level_lowest)
{
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	outb(I8259_MASTER_CMD, OCW2_ROT_EOI);	/* 3 lowest: 4 highest */
	pulse(1);
	pulse(5);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
}
END_TEST

START_TEST(test_set_priority_command)
{
	outb(I8259_MASTER_CMD, OCW2_SETPRI | 5);	/* 6 highest */
	pulse(4);
	pulse(7);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 7);
}
END_TEST

START_TEST(test_cascade_delivers_slave_vector)
{
	pulse(10);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), SBASE + 2);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x04);
	ck_assert_uint_eq(read_isr(I8259_SLAVE_CMD), 0x04);
	ck_assert_uint_eq(read_irr(I8259_MASTER_CMD), 0x00);
	outb(I8259_SLAVE_CMD, OCW2_EOI);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x00);
	ck_assert_uint_eq(read_isr(I8259_SLAVE_CMD), 0x00);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_cascade_in_service_blocks_slave_until_master_eoi)
{
	pulse(12);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 4);
	outb(I8259_SLAVE_CMD, OCW2_EOI);
	pulse(9);
	ck_assert(!i8259_pending(pic));		/* master ISR2 is set */
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), SBASE + 1);
}
END_TEST

START_TEST(test_cascade_keeps_second_slave_request_with_aeoi)
{
	/* The slave stays asserted across INTA; the master must see it. */
	pic_init(ICW4_8086_AEOI, ICW4_8086_AEOI);
	pulse(9);
	pulse(11);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 1);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), SBASE + 3);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_sfnm_lets_higher_slave_irq_nest)
{
	pic_init(ICW4_8086_SFNM, ICW4_8086);
	pulse(12);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 4);
	pulse(13);
	ck_assert(!i8259_pending(pic));		/* slave: lower than 12 */
	pulse(9);
	ck_assert(i8259_pending(pic));		/* higher: nests via IR2 */
	ck_assert_int_eq(i8259_ack(pic), SBASE + 1);
	ck_assert_uint_eq(read_isr(I8259_SLAVE_CMD), 0x12);
}
END_TEST

START_TEST(test_sfnm_still_blocks_lower_master_irq)
{
	pic_init(ICW4_8086_SFNM, ICW4_8086);
	pulse(12);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 4);
	pulse(5);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_edge_irq_latches_until_ack)
{
	pulse(4);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), MBASE + 4);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(!i8259_pending(pic));
	/* A line held high is one edge, one interrupt. */
	i8259_set_irq(pic, 4, 1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 4);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	i8259_set_irq(pic, 4, 1);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_level_irq_follows_line)
{
	outb(I8259_ELCR0, 0x20);		/* IRQ 5 level */
	i8259_set_irq(pic, 5, 1);
	ck_assert(i8259_pending(pic));
	i8259_set_irq(pic, 5, 0);
	ck_assert(!i8259_pending(pic));
	ck_assert_uint_eq(read_irr(I8259_MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_level_irq_reasserts_after_eoi_while_high)
{
	outb(I8259_ELCR0, 0x20);
	i8259_set_irq(pic, 5, 1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
	ck_assert(!i8259_pending(pic));		/* in service */
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(i8259_pending(pic));		/* still high */
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
	i8259_set_irq(pic, 5, 0);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_level_slave_irq_through_cascade)
{
	ck_assert_int_eq(i8259_set_elcr(pic, 11, true), 0);
	i8259_set_irq(pic, 11, 1);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 3);
	outb(I8259_SLAVE_CMD, OCW2_EOI);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(i8259_pending(pic));		/* still high */
	i8259_set_irq(pic, 11, 0);
	outb(I8259_SLAVE_CMD, OCW2_EOI);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 7);	/* it went away */
}
END_TEST

START_TEST(test_spurious_irq7_when_request_vanishes)
{
	outb(I8259_ELCR0, 0x20);
	i8259_set_irq(pic, 5, 1);
	ck_assert(i8259_pending(pic));
	i8259_set_irq(pic, 5, 0);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 7);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x00);	/* no ISR7 */
	ck_assert_int_eq(i8259_ack(pic), -1);
}
END_TEST

START_TEST(test_spurious_irq7_when_masked_before_inta)
{
	pulse(3);
	ck_assert(i8259_pending(pic));
	outb(I8259_MASTER_DATA, 0x08);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 7);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_spurious_irq15_when_slave_request_vanishes)
{
	outb(I8259_ELCR1, 0x04);		/* IRQ 10 level */
	i8259_set_irq(pic, 10, 1);
	i8259_set_irq(pic, 10, 0);
	/* The master latched the cascade edge and still asks. */
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), SBASE + 7);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x04);
	ck_assert_uint_eq(read_isr(I8259_SLAVE_CMD), 0x00);
}
END_TEST

START_TEST(test_ack_without_request_returns_minus_one)
{
	ck_assert(!i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), -1);
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	ck_assert_int_eq(i8259_ack(pic), -1);
}
END_TEST

START_TEST(test_ocw3_selects_irr_or_isr)
{
	pulse(3);
	pulse(4);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x18);	/* IRR after init */
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	outb(I8259_MASTER_CMD, OCW3_READ_ISR);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x08);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x08);	/* sticks */
	outb(I8259_MASTER_CMD, OCW3_READ_IRR);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x10);
	/* RR clear: the selection is kept. */
	outb(I8259_MASTER_CMD, 0x09);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x10);
}
END_TEST

START_TEST(test_poll_command_acks_highest_request)
{
	pulse(6);
	pulse(7);
	outb(I8259_MASTER_CMD, OCW3_POLL);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), POLL_INT | 6);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x40);
	/* Poll is one-shot: the next plain read is IRR. */
	ck_assert_uint_eq(read_irr(I8259_MASTER_CMD), 0x80);
	outb(I8259_MASTER_CMD, OCW3_POLL);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), 0x00);	/* 7 < 6 in ISR */
	outb(I8259_MASTER_CMD, OCW2_EOI);
	outb(I8259_MASTER_CMD, OCW3_POLL);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), POLL_INT | 7);
}
END_TEST

START_TEST(test_poll_through_cascade)
{
	pulse(13);
	outb(I8259_MASTER_CMD, OCW3_POLL);
	ck_assert_uint_eq(inb(I8259_MASTER_CMD), POLL_INT | 2);
	outb(I8259_SLAVE_CMD, OCW3_POLL);
	ck_assert_uint_eq(inb(I8259_SLAVE_CMD), POLL_INT | 5);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_auto_eoi_leaves_isr_clear)
{
	pic_init(ICW4_8086_AEOI, ICW4_8086);
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x00);
	pulse(5);
	ck_assert(i8259_pending(pic));		/* nothing in service */
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
}
END_TEST

START_TEST(test_auto_eoi_rotation)
{
	pic_init(ICW4_8086_AEOI, ICW4_8086);
	outb(I8259_MASTER_CMD, OCW2_ROT_AEOI_SET);
	pulse(1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);	/* 1 now lowest */
	pulse(1);
	pulse(6);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 6);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 1);
}
END_TEST

START_TEST(test_special_mask_mode_allows_lower_priority)
{
	pulse(3);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 3);
	outb(I8259_MASTER_DATA, 0x08);
	outb(I8259_MASTER_CMD, OCW3_SET_SMM);
	pulse(5);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), MBASE + 5);
	ck_assert_uint_eq(read_isr(I8259_MASTER_CMD), 0x28);
	outb(I8259_MASTER_CMD, OCW3_CLR_SMM);
	pulse(6);
	ck_assert(!i8259_pending(pic));
}
END_TEST

START_TEST(test_elcr_reads_writes_and_fixed_edge_bits)
{
	uint32_t w;

	outb(I8259_ELCR0, 0xFF);
	outb(I8259_ELCR1, 0xFF);
	ck_assert_uint_eq(inb(I8259_ELCR0), ELCR0_FIXED);
	ck_assert_uint_eq(inb(I8259_ELCR1), ELCR1_FIXED);
	w = 0x0820;
	ck_assert_int_eq(dev_ports_io(ports, I8259_ELCR0, DEV_IO_OUT, 2, &w),
	    0);
	ck_assert_int_eq(dev_ports_io(ports, I8259_ELCR0, DEV_IO_IN, 2, &w),
	    0);
	ck_assert_uint_eq(w, 0x0820);
	ck_assert_int_eq(i8259_set_elcr(pic, 0, true), EINVAL);
	ck_assert_int_eq(i8259_set_elcr(pic, 2, true), EINVAL);
	ck_assert_int_eq(i8259_set_elcr(pic, 8, true), EINVAL);
	ck_assert_int_eq(i8259_set_elcr(pic, 13, true), EINVAL);
	ck_assert_int_eq(i8259_set_elcr(pic, 16, true), EINVAL);
	ck_assert_int_eq(i8259_set_elcr(pic, 14, true), 0);
	ck_assert_uint_eq(inb(I8259_ELCR1), 0x48);
	ck_assert_int_eq(i8259_set_elcr(pic, 11, false), 0);
	ck_assert_uint_eq(inb(I8259_ELCR1), 0x40);
}
END_TEST

START_TEST(test_elcr_switch_to_level_reads_line)
{
	i8259_set_irq(pic, 9, 1);
	ck_assert_int_eq(i8259_ack(pic), SBASE + 1);
	outb(I8259_SLAVE_CMD, OCW2_EOI);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert(!i8259_pending(pic));		/* edge: already taken */
	outb(I8259_ELCR1, 0x02);
	ck_assert(i8259_pending(pic));		/* level: line is high */
}
END_TEST

static int intr_calls;
static bool intr_last;

static void
record_intr(void *arg, bool asserted)
{
	ck_assert_ptr_eq(arg, &intr_calls);
	intr_calls++;
	intr_last = asserted;
}

START_TEST(test_intr_changed_reports_each_transition)
{
	i8259_set_intr_changed(pic, record_intr, &intr_calls);
	pulse(4);
	ck_assert_int_eq(intr_calls, 1);
	ck_assert(intr_last);
	pulse(6);				/* INTR already up */
	ck_assert_int_eq(intr_calls, 1);
	ck_assert_int_eq(i8259_ack(pic), MBASE + 4);
	ck_assert_int_eq(intr_calls, 2);	/* 6 < 4 in service */
	ck_assert(!intr_last);
	outb(I8259_MASTER_CMD, OCW2_EOI);
	ck_assert_int_eq(intr_calls, 3);
	ck_assert(intr_last);
}
END_TEST

START_TEST(test_irq_line_drives_pic)
{
	struct dev_irq line = i8259_irq_line(pic);

	dev_irq_set(&line, 12, 1);
	ck_assert(i8259_pending(pic));
	ck_assert_int_eq(i8259_ack(pic), SBASE + 4);
}
END_TEST

START_TEST(test_irq2_and_out_of_range_ignored)
{
	pulse(2);
	pulse(-1);
	pulse(16);
	ck_assert(!i8259_pending(pic));
	ck_assert_uint_eq(read_irr(I8259_MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_register_claims_ports_once)
{
	struct i8259 *other = i8259_create();

	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(i8259_register(other, ports), EBUSY);
	i8259_destroy(other);
	ck_assert_ptr_eq(ports->dev[I8259_MASTER_CMD], pic);
	ck_assert_ptr_eq(ports->dev[I8259_SLAVE_DATA], pic);
	ck_assert_ptr_eq(ports->dev[I8259_ELCR1], pic);
	ck_assert(ports->fn[I8259_MASTER_DATA + 1] == NULL);
}
END_TEST

START_TEST(test_wide_access_refused)
{
	uint32_t w = 0;

	ck_assert_int_eq(dev_ports_io(ports, I8259_MASTER_DATA, DEV_IO_IN, 2,
	    &w), EINVAL);
	ck_assert_uint_eq(w, 0xFFFF);
	ck_assert_int_eq(dev_ports_io(ports, I8259_ELCR1, DEV_IO_IN, 2,
	    &w), EINVAL);
}
END_TEST

static Suite *
i8259_suite(void)
{
	Suite *s = suite_create("i8259");
	TCase *tc;

	tc = tcase_create("create");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_masks_everything_before_init);
	tcase_add_test(tc, test_init_sequence_sets_vector_base);
	tcase_add_test(tc, test_init_without_icw4_or_icw3);
	tcase_add_test(tc, test_register_claims_ports_once);
	tcase_add_test(tc, test_wide_access_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("pc");
	tcase_add_checked_fixture(tc, setup_pc, teardown);
	tcase_add_test(tc, test_imr_masks_request);
	tcase_add_test(tc, test_slave_imr_masks_slave_irq);
	tcase_add_test(tc, test_nonspecific_eoi_clears_highest_in_service);
	tcase_add_test(tc, test_specific_eoi_clears_named_level);
	tcase_add_test(tc, test_in_service_masks_lower_priority);
	tcase_add_test(tc, test_priority_picks_lowest_numbered_request);
	tcase_add_test(tc, test_rotate_on_eoi_makes_serviced_level_lowest);
	tcase_add_test(tc, test_set_priority_command);
	tcase_add_test(tc, test_cascade_delivers_slave_vector);
	tcase_add_test(tc,
	    test_cascade_in_service_blocks_slave_until_master_eoi);
	tcase_add_test(tc, test_cascade_keeps_second_slave_request_with_aeoi);
	tcase_add_test(tc, test_sfnm_lets_higher_slave_irq_nest);
	tcase_add_test(tc, test_sfnm_still_blocks_lower_master_irq);
	tcase_add_test(tc, test_edge_irq_latches_until_ack);
	tcase_add_test(tc, test_level_irq_follows_line);
	tcase_add_test(tc, test_level_irq_reasserts_after_eoi_while_high);
	tcase_add_test(tc, test_level_slave_irq_through_cascade);
	tcase_add_test(tc, test_spurious_irq7_when_request_vanishes);
	tcase_add_test(tc, test_spurious_irq7_when_masked_before_inta);
	tcase_add_test(tc, test_spurious_irq15_when_slave_request_vanishes);
	tcase_add_test(tc, test_ack_without_request_returns_minus_one);
	tcase_add_test(tc, test_ocw3_selects_irr_or_isr);
	tcase_add_test(tc, test_poll_command_acks_highest_request);
	tcase_add_test(tc, test_poll_through_cascade);
	tcase_add_test(tc, test_auto_eoi_leaves_isr_clear);
	tcase_add_test(tc, test_auto_eoi_rotation);
	tcase_add_test(tc, test_special_mask_mode_allows_lower_priority);
	tcase_add_test(tc, test_elcr_reads_writes_and_fixed_edge_bits);
	tcase_add_test(tc, test_elcr_switch_to_level_reads_line);
	tcase_add_test(tc, test_intr_changed_reports_each_transition);
	tcase_add_test(tc, test_irq_line_drives_pic);
	tcase_add_test(tc, test_irq2_and_out_of_range_ignored);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(i8259_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
