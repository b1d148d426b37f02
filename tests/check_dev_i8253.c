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
 * The i8253/8254 PIT and port 0x61 on a hand-advanced dev_vclock.
 *
 * Clock edge k of a run loaded at t0 happens at t0 + ceil(k * 1e9 /
 * 1193182) ns; the tick times below are that formula's values (T(k)):
 * T(1) = 839, T(10) = 8381, T(11931) = 9999313, T(11932) = 10000151, ...
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/i8253.h"

/* Control words (port 0x43): SC RW M BCD. */
#define CW0_WORD_MODE0	0x30
#define CW0_WORD_MODE1	0x32
#define CW0_WORD_MODE2	0x34
#define CW0_WORD_MODE3	0x36
#define CW0_WORD_MODE4	0x38
#define CW0_LSB_MODE2	0x14
#define CW0_MSB_MODE2	0x24
#define CW0_WORD_MODE2_BCD 0x35
#define CW0_WORD_MODE6	0x3C	/* an alias of mode 2 */
#define CW0_LATCH	0x00
#define CW1_WORD_MODE2	0x74
#define CW1_LATCH	0x40
#define CW2_WORD_MODE0	0xB0
#define CW2_WORD_MODE1	0xB2
#define CW2_WORD_MODE3	0xB6
#define CW2_WORD_MODE5	0xBA
#define CW2_WORD_MODE0_BCD 0xB1
#define CW2_LATCH	0x80
#define RB_COUNT_ALL	0xDE	/* read-back: counts of 0, 1, 2 */
#define RB_STATUS_0	0xE2	/* read-back: status of counter 0 */
#define RB_BOTH_0	0xC2	/* read-back: status and count of 0 */
#define RB_STATUS_02	0xEA	/* read-back: status of counters 0, 2 */
#define RB_STATUS_2	0xE8	/* read-back: status of counter 2 */

/* Status byte bits. */
#define ST_OUT		0x80
#define ST_NULL		0x40
#define ST_RW_WORD	0x30

#define MAX_EVENTS	64

static struct dev_vclock vc;
static struct dev_port_table *ports;
static struct i8253 *pit;

/* IRQ 0 as the PIC would see it: (time, level) pairs. */
static struct irq_event {
	uint64_t	at;
	int		level;
} events[MAX_EVENTS], last_event;
static int nevents;		/* all of them; the first MAX_EVENTS kept */

static void
record_irq(void *arg, int irq, int level)
{
	struct dev_vclock *c = arg;

	ck_assert_int_eq(irq, I8253_IRQ);
	last_event.at = c->now;
	last_event.level = level;
	if (nevents < MAX_EVENTS)
		events[nevents] = last_event;
	nevents++;
}

static void
setup(void)
{
	struct dev_irq line = { .set = record_irq, .arg = &vc };

	dev_vclock_init(&vc);
	nevents = 0;
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	pit = i8253_create(&vc.clock, &line);
	ck_assert_ptr_nonnull(pit);
	ck_assert_int_eq(i8253_register(pit, ports), 0);
}

static void
teardown(void)
{
	i8253_destroy(pit);
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

/* Program a counter: control word, then the count LSB then MSB. */
static void
program(uint8_t cw, uint16_t count)
{
	uint16_t port = I8253_COUNTER0 + (cw >> 6);

	outb(I8253_CONTROL, cw);
	outb(port, count & 0xFF);
	outb(port, count >> 8);
}

/* Read a 16-bit count or latch, LSB then MSB. */
static uint16_t
inw_pair(uint16_t port)
{
	uint16_t v;

	v = inb(port);
	return (v | inb(port) << 8);
}

/* Latch a counter and read the 16-bit count (LSB/MSB access). */
static uint16_t
latched_count(int counter)
{
	outb(I8253_CONTROL, (uint8_t)(counter << 6));
	return (inw_pair(I8253_COUNTER0 + counter));
}

static void
assert_event(int i, uint64_t at, int level)
{
	ck_assert_int_gt(nevents, i);
	ck_assert_uint_eq(events[i].at, at);
	ck_assert_int_eq(events[i].level, level);
}

static bool
out2(void)
{
	return ((inb(I8253_PORT_B) & I8253_PORTB_OUT2) != 0);
}

START_TEST(test_create_is_idle_with_no_timer)
{
	ck_assert_uint_eq(dev_vclock_next(&vc), UINT64_MAX);
	dev_vclock_advance(&vc, 1000000000);
	ck_assert_int_eq(nevents, 0);
	ck_assert_uint_eq(inb(I8253_CONTROL), 0xFF);	/* write-only */
}
END_TEST

START_TEST(test_mode2_fires_irq0_every_10ms)
{
	program(CW0_WORD_MODE2, 11932);
	/* OUT goes high with the mode 2 control word: one edge at once. */
	assert_event(0, 0, 1);
	ck_assert_uint_eq(dev_vclock_next(&vc), 9999313);
	dev_vclock_advance(&vc, 30000453);
	ck_assert_int_eq(nevents, 7);
	assert_event(1, 9999313, 0);	/* T(11931): count 1, OUT low */
	assert_event(2, 10000151, 1);	/* T(11932): reload, rising edge */
	assert_event(3, 19999464, 0);
	assert_event(4, 20000302, 1);	/* T(23864) */
	assert_event(5, 29999615, 0);
	assert_event(6, 30000453, 1);	/* T(35796) */
}
END_TEST

START_TEST(test_mode2_period_does_not_drift)
{
	program(CW0_WORD_MODE2, 11932);
	/* 1000 periods: T(11932000), not 1000 * T(11932). */
	dev_vclock_advance(&vc, 10000150857ULL);
	ck_assert_int_eq(nevents, 2000);
	ck_assert_uint_eq(last_event.at, 10000150020ULL); /* T(11931999) */
	ck_assert_int_eq(last_event.level, 0);
	dev_vclock_advance(&vc, 10000150858ULL);
	ck_assert_int_eq(nevents, 2001);
	ck_assert_uint_eq(last_event.at, 10000150858ULL);
	ck_assert_int_eq(last_event.level, 1);
}
END_TEST

START_TEST(test_mode2_count_reads_at_chosen_instants)
{
	program(CW0_WORD_MODE2, 11932);
	ck_assert_uint_eq(latched_count(0), 11932);
	dev_vclock_advance(&vc, 838);		/* T(1) - 1 */
	ck_assert_uint_eq(latched_count(0), 11932);
	dev_vclock_advance(&vc, 839);		/* T(1) */
	ck_assert_uint_eq(latched_count(0), 11931);
	dev_vclock_advance(&vc, 9999313);	/* T(11931) */
	ck_assert_uint_eq(latched_count(0), 1);
	dev_vclock_advance(&vc, 10000151);	/* T(11932): reloaded */
	ck_assert_uint_eq(latched_count(0), 11932);
}
END_TEST

START_TEST(test_mode2_new_count_waits_for_period_end)
{
	program(CW0_WORD_MODE2, 10);
	dev_vclock_advance(&vc, 4191);		/* T(5): count 5 */
	outb(I8253_COUNTER0, 20);
	outb(I8253_COUNTER0, 0);
	ck_assert_uint_eq(latched_count(0), 5);	/* current period goes on */
	nevents = 0;
	dev_vclock_advance(&vc, 8381);		/* T(10): reload with 20 */
	ck_assert_uint_eq(latched_count(0), 20);
	assert_event(1, 8381, 1);
	dev_vclock_advance(&vc, 25143);		/* T(30) */
	ck_assert_int_eq(nevents, 4);
	assert_event(2, 24305, 0);		/* T(29) */
	assert_event(3, 25143, 1);
}
END_TEST

START_TEST(test_mode6_is_mode2)
{
	program(CW0_WORD_MODE6, 10);
	dev_vclock_advance(&vc, 8381);
	ck_assert_int_eq(nevents, 3);
	assert_event(2, 8381, 1);
	outb(I8253_CONTROL, RB_STATUS_0);
	ck_assert_uint_eq(inb(I8253_COUNTER0), ST_OUT | ST_RW_WORD | 6 << 1);
}
END_TEST

START_TEST(test_mode0_interrupt_on_terminal_count)
{
	dev_vclock_advance(&vc, 1000);
	program(CW0_WORD_MODE0, 1000);
	ck_assert_int_eq(nevents, 0);		/* OUT low */
	dev_vclock_advance(&vc, 1000 + 838095);	/* T(1000) - 1 */
	ck_assert_int_eq(nevents, 0);
	ck_assert_uint_eq(latched_count(0), 1);
	dev_vclock_advance(&vc, 1000 + 838096);	/* T(1000) */
	ck_assert_int_eq(nevents, 1);
	assert_event(0, 1000 + 838096, 1);
	ck_assert_uint_eq(latched_count(0), 0);
	/* OUT stays high; the counter wraps and keeps counting. */
	dev_vclock_advance(&vc, 1000 + 838934);	/* T(1001) */
	ck_assert_uint_eq(latched_count(0), 0xFFFF);
	ck_assert_uint_eq(dev_vclock_next(&vc), UINT64_MAX);
	dev_vclock_advance(&vc, 1000000000);
	ck_assert_int_eq(nevents, 1);
}
END_TEST

START_TEST(test_mode0_new_count_restarts_and_drops_out)
{
	program(CW0_WORD_MODE0, 10);
	dev_vclock_advance(&vc, 8381);		/* T(10): OUT high */
	ck_assert_int_eq(nevents, 1);
	outb(I8253_COUNTER0, 5);		/* LSB stops the count */
	assert_event(1, 8381, 0);
	dev_vclock_advance(&vc, 100000);
	ck_assert_uint_eq(latched_count(0), 0);	/* held while stopped */
	outb(I8253_COUNTER0, 0);		/* MSB: count 5 from now */
	dev_vclock_advance(&vc, 100000 + 4191);	/* + T(5) */
	assert_event(2, 100000 + 4191, 1);
}
END_TEST

START_TEST(test_mode1_oneshot_triggered_by_gate)
{
	program(CW2_WORD_MODE1, 100);
	ck_assert(out2());			/* high until triggered */
	dev_vclock_advance(&vc, 5000);
	ck_assert(out2());
	outb(I8253_PORT_B, I8253_PORTB_GATE2);	/* rising gate: trigger */
	ck_assert(!out2());
	ck_assert_uint_eq(latched_count(2), 100);
	dev_vclock_advance(&vc, 5000 + 83809);	/* T(100) - 1 */
	ck_assert(!out2());
	dev_vclock_advance(&vc, 5000 + 83810);	/* T(100) */
	ck_assert(out2());
	/* Retrigger: low again for a full count. */
	outb(I8253_PORT_B, 0);
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	ck_assert(!out2());
	dev_vclock_advance(&vc, 5000 + 83810 + 83810);
	ck_assert(out2());
}
END_TEST

START_TEST(test_mode1_counter0_never_triggers)
{
	/* Counter 0's gate is tied high: no rising edge, no one-shot. */
	outb(I8253_CONTROL, CW0_WORD_MODE1);
	outb(I8253_COUNTER0, 10);
	outb(I8253_COUNTER0, 0);
	assert_event(0, 0, 1);
	dev_vclock_advance(&vc, 1000000);
	ck_assert_int_eq(nevents, 1);
}
END_TEST

START_TEST(test_mode3_square_wave_even_count)
{
	program(CW0_WORD_MODE3, 10);
	assert_event(0, 0, 1);
	dev_vclock_advance(&vc, 16762);		/* T(20) */
	ck_assert_int_eq(nevents, 5);
	assert_event(1, 4191, 0);		/* T(5): half */
	assert_event(2, 8381, 1);		/* T(10) */
	assert_event(3, 12572, 0);		/* T(15) */
	assert_event(4, 16762, 1);
}
END_TEST

START_TEST(test_mode3_square_wave_odd_count)
{
	program(CW0_WORD_MODE3, 9);
	dev_vclock_advance(&vc, 15086);		/* T(18) */
	ck_assert_int_eq(nevents, 5);
	assert_event(1, 4191, 0);		/* T(5): high (9 + 1) / 2 */
	assert_event(2, 7543, 1);		/* T(9): low (9 - 1) / 2 */
	assert_event(3, 11734, 0);		/* T(14) */
	assert_event(4, 15086, 1);		/* T(18) */
}
END_TEST

START_TEST(test_mode3_counts_down_by_two)
{
	program(CW0_WORD_MODE3, 10);
	ck_assert_uint_eq(latched_count(0), 10);
	dev_vclock_advance(&vc, 839);		/* T(1) */
	ck_assert_uint_eq(latched_count(0), 8);
	dev_vclock_advance(&vc, 4191);		/* T(5): low half, reloaded */
	ck_assert_uint_eq(latched_count(0), 10);
	dev_vclock_advance(&vc, 5867);		/* T(7) */
	ck_assert_uint_eq(latched_count(0), 6);
}
END_TEST

START_TEST(test_mode3_new_count_at_half_cycle)
{
	program(CW0_WORD_MODE3, 10);
	dev_vclock_advance(&vc, 1677);		/* T(2) */
	outb(I8253_COUNTER0, 4);
	outb(I8253_COUNTER0, 0);
	dev_vclock_advance(&vc, 13410);		/* T(16) */
	/* High to T(5), then halves of 2 clocks from the new count. */
	ck_assert_int_eq(nevents, 7);
	assert_event(1, 4191, 0);		/* T(5) */
	assert_event(2, 5867, 1);		/* T(7) */
	assert_event(3, 7543, 0);		/* T(9) */
	assert_event(4, 9220, 1);		/* T(11) */
	assert_event(5, 10896, 0);		/* T(13) */
	assert_event(6, 12572, 1);		/* T(15) */
}
END_TEST

START_TEST(test_mode4_software_strobe)
{
	program(CW0_WORD_MODE4, 50);
	assert_event(0, 0, 1);			/* OUT high after the CW */
	dev_vclock_advance(&vc, 1000000);
	ck_assert_int_eq(nevents, 3);
	assert_event(1, 41905, 0);		/* T(50): the strobe */
	assert_event(2, 42743, 1);		/* T(51) */
}
END_TEST

START_TEST(test_mode5_hardware_strobe)
{
	program(CW2_WORD_MODE5, 50);
	dev_vclock_advance(&vc, 100000);
	ck_assert(out2());			/* waits for the gate */
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	dev_vclock_advance(&vc, 100000 + 41904);
	ck_assert(out2());
	dev_vclock_advance(&vc, 100000 + 41905);	/* T(50) */
	ck_assert(!out2());
	dev_vclock_advance(&vc, 100000 + 42743);	/* T(51) */
	ck_assert(out2());
}
END_TEST

START_TEST(test_latch_holds_value_as_time_moves)
{
	program(CW0_WORD_MODE2, 11932);
	dev_vclock_advance(&vc, 8381);		/* T(10) */
	outb(I8253_CONTROL, CW0_LATCH);
	dev_vclock_advance(&vc, 5000000);
	ck_assert_uint_eq(inb(I8253_COUNTER0), (11922 & 0xFF));
	dev_vclock_advance(&vc, 6000000);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 11922 >> 8);
	/* Released: the next latch sees the time now, T(7159) < 6 ms. */
	ck_assert_uint_eq(latched_count(0), 11932 - 7159);
}
END_TEST

START_TEST(test_second_latch_ignored_until_read)
{
	program(CW0_WORD_MODE2, 1000);
	outb(I8253_CONTROL, CW0_LATCH);
	dev_vclock_advance(&vc, 8381);
	outb(I8253_CONTROL, CW0_LATCH);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 1000 & 0xFF);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 1000 >> 8);
	ck_assert_uint_eq(latched_count(0), 990);
}
END_TEST

START_TEST(test_readback_status_byte)
{
	outb(I8253_CONTROL, CW0_WORD_MODE2);
	outb(I8253_CONTROL, RB_STATUS_0);
	/* OUT high, null count (no count yet), LSB/MSB, mode 2, binary. */
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0xF4);
	outb(I8253_COUNTER0, 100);
	outb(I8253_COUNTER0, 0);
	outb(I8253_CONTROL, RB_STATUS_0);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0xB4);	/* loaded */

	outb(I8253_CONTROL, CW2_WORD_MODE0_BCD);
	outb(I8253_CONTROL, RB_STATUS_02);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0xB4);
	/* OUT low, null count, LSB/MSB, mode 0, BCD. */
	ck_assert_uint_eq(inb(I8253_COUNTER2), 0x71);
}
END_TEST

START_TEST(test_readback_null_count_until_gate_loads)
{
	program(CW2_WORD_MODE1, 10);
	outb(I8253_CONTROL, RB_STATUS_2);
	ck_assert_uint_eq(inb(I8253_COUNTER2), ST_OUT | ST_NULL |
	    ST_RW_WORD | 1 << 1);
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	outb(I8253_CONTROL, RB_STATUS_2);
	ck_assert_uint_eq(inb(I8253_COUNTER2), ST_RW_WORD | 1 << 1);
}
END_TEST

START_TEST(test_readback_latches_multiple_counters)
{
	program(CW0_WORD_MODE2, 1000);
	program(CW1_WORD_MODE2, 2000);
	program(CW2_WORD_MODE0, 3000);
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	dev_vclock_advance(&vc, 8381);		/* T(10) */
	outb(I8253_CONTROL, RB_COUNT_ALL);
	dev_vclock_advance(&vc, 1000000);
	ck_assert_uint_eq(inw_pair(I8253_COUNTER0),
	    990);
	ck_assert_uint_eq(inw_pair(I8253_COUNTER1),
	    1990);
	ck_assert_uint_eq(inw_pair(I8253_COUNTER2),
	    2990);
}
END_TEST

START_TEST(test_readback_status_then_count)
{
	program(CW0_WORD_MODE2, 1000);
	dev_vclock_advance(&vc, 8381);
	outb(I8253_CONTROL, RB_BOTH_0);
	dev_vclock_advance(&vc, 9000);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0xB4);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 990 & 0xFF);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 990 >> 8);
}
END_TEST

START_TEST(test_lsb_only_access)
{
	outb(I8253_CONTROL, CW0_LSB_MODE2);
	outb(I8253_COUNTER0, 0x20);		/* the whole count: 0x0020 */
	dev_vclock_advance(&vc, 839);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x1F);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x1F);	/* no toggle */
	outb(I8253_CONTROL, RB_STATUS_0);
	ck_assert_uint_eq(inb(I8253_COUNTER0), ST_OUT | 0x10 | 2 << 1);
}
END_TEST

START_TEST(test_msb_only_access)
{
	outb(I8253_CONTROL, CW0_MSB_MODE2);
	outb(I8253_COUNTER0, 0x01);		/* the whole count: 0x0100 */
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x01);
	dev_vclock_advance(&vc, 839);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x00);	/* 0x00FF */
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x00);
	dev_vclock_advance(&vc, 214553);	/* T(256): reloaded */
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x01);
}
END_TEST

START_TEST(test_lsb_msb_toggling)
{
	program(CW0_WORD_MODE2, 0x1234);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x34);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x12);
	ck_assert_uint_eq(inb(I8253_COUNTER0), 0x34);
	/* Writes toggle too: one byte leaves the count incomplete. */
	outb(I8253_CONTROL, CW0_WORD_MODE2);
	outb(I8253_COUNTER0, 0x10);
	outb(I8253_CONTROL, RB_STATUS_0);
	ck_assert_uint_eq(inb(I8253_COUNTER0) & ST_NULL, ST_NULL);
	outb(I8253_COUNTER0, 0x00);
	ck_assert_uint_eq(latched_count(0), 0x0010);
}
END_TEST

START_TEST(test_count_zero_is_65536)
{
	program(CW0_WORD_MODE2, 0);
	ck_assert_uint_eq(latched_count(0), 0);
	dev_vclock_advance(&vc, 839);
	ck_assert_uint_eq(latched_count(0), 0xFFFF);
	dev_vclock_advance(&vc, 54925402);	/* T(65536) */
	ck_assert_int_eq(nevents, 3);
	assert_event(2, 54925402, 1);
}
END_TEST

START_TEST(test_bcd_count_zero_is_10000)
{
	program(CW0_WORD_MODE2_BCD, 0);
	dev_vclock_advance(&vc, 839);
	ck_assert_uint_eq(latched_count(0), 0x9999);
	dev_vclock_advance(&vc, 8380952);	/* T(10000) */
	ck_assert_int_eq(nevents, 3);
	assert_event(2, 8380952, 1);
	ck_assert_uint_eq(latched_count(0), 0x0000);	/* 10000 */
}
END_TEST

START_TEST(test_bcd_count_decodes_digits)
{
	program(CW0_WORD_MODE2_BCD, 0x0050);	/* 50 decimal */
	dev_vclock_advance(&vc, 8381);	/* T(10) */
	ck_assert_uint_eq(latched_count(0), 0x0040);
	dev_vclock_advance(&vc, 41905);		/* T(50) */
	assert_event(2, 41905, 1);
}
END_TEST

START_TEST(test_gate2_from_port61_controls_square_wave)
{
	program(CW2_WORD_MODE3, 4);
	ck_assert(out2());			/* gate low: OUT high */
	dev_vclock_advance(&vc, 10000);
	ck_assert_uint_eq(latched_count(2), 0);	/* not loaded yet */
	outb(I8253_PORT_B, I8253_PORTB_GATE2 | I8253_PORTB_SPKR);
	ck_assert_uint_eq(inb(I8253_PORT_B) & 0x0F,
	    I8253_PORTB_GATE2 | I8253_PORTB_SPKR);
	ck_assert(out2());
	dev_vclock_advance(&vc, 10000 + 1677);	/* T(2) */
	ck_assert(!out2());
	dev_vclock_advance(&vc, 10000 + 3353);	/* T(4) */
	ck_assert(out2());
	dev_vclock_advance(&vc, 10000 + 5029);	/* T(6) */
	ck_assert(!out2());
	/* Gate low forces OUT high and stops the counter. */
	outb(I8253_PORT_B, 0);
	ck_assert(out2());
	ck_assert_uint_eq(latched_count(2), 4);
	dev_vclock_advance(&vc, 100000);
	ck_assert(out2());
	ck_assert_uint_eq(latched_count(2), 4);
}
END_TEST

START_TEST(test_gate2_low_pauses_mode0)
{
	program(CW2_WORD_MODE0, 100);
	ck_assert_uint_eq(latched_count(2), 100);	/* loaded, held */
	dev_vclock_advance(&vc, 50000);
	ck_assert_uint_eq(latched_count(2), 100);
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	dev_vclock_advance(&vc, 50000 + 25143);	/* T(30) */
	ck_assert_uint_eq(latched_count(2), 70);
	outb(I8253_PORT_B, 0);
	dev_vclock_advance(&vc, 1000000);
	ck_assert_uint_eq(latched_count(2), 70);
	ck_assert(!out2());
	outb(I8253_PORT_B, I8253_PORTB_GATE2);
	dev_vclock_advance(&vc, 1000000 + 58666);	/* + T(70) - 1 */
	ck_assert(!out2());
	dev_vclock_advance(&vc, 1000000 + 58667);	/* + T(70) */
	ck_assert(out2());
}
END_TEST

START_TEST(test_port61_refresh_bit_toggles)
{
	ck_assert_uint_eq(inb(I8253_PORT_B) & I8253_PORTB_REFRESH, 0);
	dev_vclock_advance(&vc, I8253_REFRESH_NS);
	ck_assert_uint_eq(inb(I8253_PORT_B) & I8253_PORTB_REFRESH,
	    I8253_PORTB_REFRESH);
	dev_vclock_advance(&vc, 2 * I8253_REFRESH_NS);
	ck_assert_uint_eq(inb(I8253_PORT_B) & I8253_PORTB_REFRESH, 0);
}
END_TEST

START_TEST(test_port61_read_only_bits_ignore_writes)
{
	outb(I8253_PORT_B, 0xFC);
	ck_assert_uint_eq(inb(I8253_PORT_B) & 0xCF, 0x0C);
	ck_assert(!out2());		/* mode 0 with no count: low */
}
END_TEST

/* Advance the clock to "to" in steps of at most step ns. */
static void
advance_in_steps(uint64_t to, uint64_t step)
{
	uint64_t t;

	while (vc.now < to) {
		t = vc.now + step < to ? vc.now + step : to;
		dev_vclock_advance(&vc, t);
	}
}

/*
 * Run a fixed guest program on a fresh PIT, advancing in steps of step;
 * returns the number of IRQ 0 events, copied to out.
 */
static int
run_program(uint64_t step, struct irq_event *out)
{
	teardown();
	setup();
	program(CW0_WORD_MODE3, 1193);
	advance_in_steps(5000000, step);
	program(CW0_WORD_MODE2, 597);
	advance_in_steps(10000000, step);
	ck_assert_int_le(nevents, MAX_EVENTS);
	memcpy(out, events, sizeof(events));
	return (nevents);
}

START_TEST(test_deterministic_irq_times)
{
	static struct irq_event a[MAX_EVENTS], b[MAX_EVENTS];
	int na, nb;

	na = run_program(1000000, a);
	nb = run_program(1000000, b);
	ck_assert_int_eq(na, nb);
	ck_assert_mem_eq(a, b, sizeof(a[0]) * (size_t)na);
	ck_assert_int_gt(na, 10);
}
END_TEST

START_TEST(test_irq_times_do_not_depend_on_advance_steps)
{
	static struct irq_event a[MAX_EVENTS], b[MAX_EVENTS];
	int na, nb;

	na = run_program(1000000, a);
	nb = run_program(1000000 / 7, b);
	ck_assert_int_eq(na, nb);
	ck_assert_mem_eq(a, b, sizeof(a[0]) * (size_t)na);
}
END_TEST

START_TEST(test_control_word_stops_timer)
{
	program(CW0_WORD_MODE2, 100);
	ck_assert_uint_ne(dev_vclock_next(&vc), UINT64_MAX);
	outb(I8253_CONTROL, CW0_WORD_MODE0);
	ck_assert_uint_eq(dev_vclock_next(&vc), UINT64_MAX);
	assert_event(nevents - 1, 0, 0);	/* mode 0: OUT low */
}
END_TEST

START_TEST(test_counter1_does_not_drive_irq)
{
	program(CW1_WORD_MODE2, 18);
	dev_vclock_advance(&vc, 1000000);
	ck_assert_int_eq(nevents, 0);
	outb(I8253_CONTROL, CW1_LATCH);
	ck_assert_uint_eq(inb(I8253_COUNTER1), 18 - (1193 % 18));
}
END_TEST

START_TEST(test_register_claims_ports_once)
{
	struct i8253 *other = i8253_create(&vc.clock, NULL);
	uint32_t w = 0;

	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(i8253_register(other, ports), EBUSY);
	i8253_destroy(other);
	ck_assert_ptr_eq(ports->dev[I8253_CONTROL], pit);
	ck_assert_ptr_eq(ports->dev[I8253_PORT_B], pit);
	ck_assert_int_eq(dev_ports_io(ports, I8253_COUNTER0, DEV_IO_IN, 2,
	    &w), EINVAL);
	ck_assert_ptr_null(i8253_create(NULL, NULL));
}
END_TEST

START_TEST(test_destroy_disarms_timer)
{
	program(CW0_WORD_MODE2, 100);
	ck_assert_uint_ne(dev_vclock_next(&vc), UINT64_MAX);
	i8253_destroy(pit);
	ck_assert_uint_eq(dev_vclock_next(&vc), UINT64_MAX);
	pit = i8253_create(&vc.clock, NULL);
	ck_assert_ptr_nonnull(pit);
}
END_TEST

static Suite *
i8253_suite(void)
{
	Suite *s = suite_create("i8253");
	TCase *tc;

	tc = tcase_create("modes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_is_idle_with_no_timer);
	tcase_add_test(tc, test_mode2_fires_irq0_every_10ms);
	tcase_add_test(tc, test_mode2_period_does_not_drift);
	tcase_add_test(tc, test_mode2_count_reads_at_chosen_instants);
	tcase_add_test(tc, test_mode2_new_count_waits_for_period_end);
	tcase_add_test(tc, test_mode6_is_mode2);
	tcase_add_test(tc, test_mode0_interrupt_on_terminal_count);
	tcase_add_test(tc, test_mode0_new_count_restarts_and_drops_out);
	tcase_add_test(tc, test_mode1_oneshot_triggered_by_gate);
	tcase_add_test(tc, test_mode1_counter0_never_triggers);
	tcase_add_test(tc, test_mode3_square_wave_even_count);
	tcase_add_test(tc, test_mode3_square_wave_odd_count);
	tcase_add_test(tc, test_mode3_counts_down_by_two);
	tcase_add_test(tc, test_mode3_new_count_at_half_cycle);
	tcase_add_test(tc, test_mode4_software_strobe);
	tcase_add_test(tc, test_mode5_hardware_strobe);
	tcase_add_test(tc, test_control_word_stops_timer);
	tcase_add_test(tc, test_counter1_does_not_drive_irq);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_latch_holds_value_as_time_moves);
	tcase_add_test(tc, test_second_latch_ignored_until_read);
	tcase_add_test(tc, test_readback_status_byte);
	tcase_add_test(tc, test_readback_null_count_until_gate_loads);
	tcase_add_test(tc, test_readback_latches_multiple_counters);
	tcase_add_test(tc, test_readback_status_then_count);
	tcase_add_test(tc, test_lsb_only_access);
	tcase_add_test(tc, test_msb_only_access);
	tcase_add_test(tc, test_lsb_msb_toggling);
	tcase_add_test(tc, test_count_zero_is_65536);
	tcase_add_test(tc, test_bcd_count_zero_is_10000);
	tcase_add_test(tc, test_bcd_count_decodes_digits);
	tcase_add_test(tc, test_register_claims_ports_once);
	tcase_add_test(tc, test_destroy_disarms_timer);
	suite_add_tcase(s, tc);

	tc = tcase_create("port61");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gate2_from_port61_controls_square_wave);
	tcase_add_test(tc, test_gate2_low_pauses_mode0);
	tcase_add_test(tc, test_port61_refresh_bit_toggles);
	tcase_add_test(tc, test_port61_read_only_bits_ignore_writes);
	suite_add_tcase(s, tc);

	tc = tcase_create("determinism");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_deterministic_irq_times);
	tcase_add_test(tc, test_irq_times_do_not_depend_on_advance_steps);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(i8253_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
