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
 * The MC146818 RTC/CMOS register model through ports 0x70/0x71, on a
 * dev_vclock advanced by hand: time formats, rollovers, the three
 * interrupts, UIP, SET, and the PC memory-size bytes.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/mc146818.h"

#define SEC		1000000000ULL
#define MS		1000000ULL
#define US		1000ULL
#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)

/* Start times, seconds since the epoch (UTC). */
#define T_2026_03_14_150926	1773500966LL	/* a Saturday */
#define T_2026_03_14_003000	1773448200LL
#define T_2026_03_14_115959	1773489599LL
#define T_2024_02_28_235958	1709164798LL	/* leap year */
#define T_2023_02_28_235959	1677628799LL
#define T_2000_02_28_235959	951782399LL	/* leap: divisible by 400 */
#define T_2100_02_28_235959	4107542399LL	/* not leap: by 100 only */
#define T_1999_12_31_235959	946684799LL
#define T_2099_12_31_235959	4102444799LL

static struct dev_vclock	 vc;
static struct dev_port_table	*ports;
static struct mc146818		*rtc;
static int			 line;
static unsigned			 raises;

static void
irq_set(void *arg, int irq, int level)
{
	ck_assert_ptr_eq(arg, &line);
	ck_assert_int_eq(irq, MC146818_IRQ);
	ck_assert_int_ne(level, line);		/* only real transitions */
	if (level)
		raises++;
	line = level;
}

static const struct dev_irq irq_line = { irq_set, &line };

/* Replace the RTC with a fresh one starting at "start", clock at 0. */
static void
restart(int64_t start)
{
	if (rtc != NULL)
		mc146818_destroy(rtc);
	dev_vclock_init(&vc);
	dev_ports_init(ports);
	line = 0;
	raises = 0;
	rtc = mc146818_create(&vc.clock, &irq_line, start);
	ck_assert_ptr_nonnull(rtc);
	ck_assert_int_eq(mc146818_register(rtc, ports), 0);
}

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	rtc = NULL;
	restart(T_2026_03_14_150926);
}

static void
teardown(void)
{
	mc146818_destroy(rtc);
	rtc = NULL;
	free(ports);
}

static uint8_t
rd(uint8_t reg)
{
	uint32_t v = reg;

	ck_assert_int_eq(dev_ports_io(ports, MC146818_INDEX_PORT, DEV_IO_OUT, 1,
	    &v), 0);
	v = 0xDEADBEEF;
	ck_assert_int_eq(dev_ports_io(ports, MC146818_DATA_PORT, DEV_IO_IN, 1,
	    &v), 0);
	ck_assert_uint_le(v, 0xFF);
	return ((uint8_t)v);
}

static void
wr(uint8_t reg, uint8_t val)
{
	uint32_t v = reg;

	ck_assert_int_eq(dev_ports_io(ports, MC146818_INDEX_PORT, DEV_IO_OUT, 1,
	    &v), 0);
	v = val;
	ck_assert_int_eq(dev_ports_io(ports, MC146818_DATA_PORT, DEV_IO_OUT, 1,
	    &v), 0);
}

static void
at(uint64_t ns)
{
	dev_vclock_advance(&vc, ns);
}

/*
 * REGC without PF, for tests about other flags: PF ticks at the reset
 * rate (1024 Hz) whether or not PIE is set, as on the chip.
 */
static uint8_t
regc_no_pf(void)
{
	return (rd(MC_REGC) & ~MC_REGC_PF);
}

/* The time registers, compared as one: sec min hour dow dom mon yr cent. */
struct regs {
	uint8_t	sec, min, hour, dow, dom, mon, year, cent;
};

static struct regs
read_time(void)
{
	struct regs r;

	r.sec = rd(MC_SEC);
	r.min = rd(MC_MIN);
	r.hour = rd(MC_HOUR);
	r.dow = rd(MC_DOW);
	r.dom = rd(MC_DOM);
	r.mon = rd(MC_MONTH);
	r.year = rd(MC_YEAR);
	r.cent = rd(MC_CENTURY);
	return (r);
}

#define ck_time(got, s, mi, h, dw, dm, mo, y, c) do {			\
	struct regs _g = (got);						\
	ck_assert_msg(_g.sec == (s) && _g.min == (mi) && _g.hour == (h) && \
	    _g.dow == (dw) && _g.dom == (dm) && _g.mon == (mo) &&	\
	    _g.year == (y) && _g.cent == (c),				\
	    "time %02x:%02x:%02x dow %x %02x-%02x-%02x%02x, want "	\
	    "%02x:%02x:%02x dow %x %02x-%02x-%02x%02x",			\
	    _g.hour, _g.min, _g.sec, _g.dow, _g.dom, _g.mon, _g.cent,	\
	    _g.year, (h), (mi), (s), (dw), (dm), (mo), (c), (y));	\
} while (0)

/* --- reset state ---------------------------------------------------- */

START_TEST(test_reset_register_values)
{
	ck_assert_uint_eq(rd(MC_REGA), MC_REGA_DV_32KHZ | MC_RATE_1024_HZ);
	ck_assert_uint_eq(rd(MC_REGB), MC_REGB_24HR);
	ck_assert_uint_eq(rd(MC_REGC), 0);
	ck_assert_uint_eq(rd(MC_REGD), MC_REGD_VRT);
	ck_assert_int_eq(line, 0);
	ck_assert(!mc146818_nmi_masked(rtc));
}
END_TEST

START_TEST(test_registers_c_and_d_are_read_only)
{
	wr(MC_REGC, 0xF0);
	wr(MC_REGD, 0x00);
	ck_assert_uint_eq(rd(MC_REGC), 0);
	ck_assert_uint_eq(rd(MC_REGD), MC_REGD_VRT);
	wr(MC_REGA, 0xFF & ~MC_REGA_DV_MASK);	/* UIP is read-only too */
	ck_assert_uint_eq(rd(MC_REGA), MC_REGA_RS_MASK);
}
END_TEST

START_TEST(test_nvram_bytes_read_back)
{
	unsigned i;

	for (i = MC_CENTURY + 1; i < MC146818_NREGS; i++)
		wr((uint8_t)i, (uint8_t)(i ^ 0xA5));
	for (i = MC_CENTURY + 1; i < MC146818_NREGS; i++)
		ck_assert_uint_eq(rd((uint8_t)i), i ^ 0xA5);
	wr(MC_ASEC, 0x42);
	ck_assert_uint_eq(rd(MC_ASEC), 0x42);
}
END_TEST

START_TEST(test_nmi_mask_bit_kept_out_of_index)
{
	uint32_t v = MC146818_NMI_MASK | MC_REGB;

	ck_assert_int_eq(dev_ports_io(ports, MC146818_INDEX_PORT, DEV_IO_OUT, 1,
	    &v), 0);
	ck_assert(mc146818_nmi_masked(rtc));
	ck_assert_int_eq(dev_ports_io(ports, MC146818_DATA_PORT, DEV_IO_IN, 1,
	    &v), 0);
	ck_assert_uint_eq(v, MC_REGB_24HR);	/* register 0x0B, not 0x8B */
	/* Index 0x7F with NMI masked is NVRAM byte 0x7F. */
	wr(0x7F, 0x5A);
	v = MC146818_NMI_MASK | 0x7F;
	ck_assert_int_eq(dev_ports_io(ports, MC146818_INDEX_PORT, DEV_IO_OUT, 1,
	    &v), 0);
	ck_assert_int_eq(dev_ports_io(ports, MC146818_DATA_PORT, DEV_IO_IN, 1,
	    &v), 0);
	ck_assert_uint_eq(v, 0x5A);
	(void)rd(MC_SEC);			/* plain index: NMI unmasked */
	ck_assert(!mc146818_nmi_masked(rtc));
	/* The index port is write-only. */
	ck_assert_int_eq(dev_ports_io(ports, MC146818_INDEX_PORT, DEV_IO_IN, 1,
	    &v), 0);
	ck_assert_uint_eq(v, 0xFF);
}
END_TEST

START_TEST(test_register_claims_ports_0x70_0x71)
{
	ck_assert_int_eq(mc146818_register(rtc, ports), EBUSY);
	ck_assert_ptr_nonnull(ports->fn[MC146818_INDEX_PORT]);
	ck_assert_ptr_nonnull(ports->fn[MC146818_DATA_PORT]);
	ck_assert_ptr_null(ports->fn[MC146818_DATA_PORT + 1]);
}
END_TEST

/* --- time of day ---------------------------------------------------- */

START_TEST(test_time_read_in_bcd_at_chosen_instants)
{
	ck_time(read_time(), 0x26, 0x09, 0x15, 7, 0x14, 0x03, 0x26, 0x20);
	at(999999999);
	ck_time(read_time(), 0x26, 0x09, 0x15, 7, 0x14, 0x03, 0x26, 0x20);
	at(1 * SEC);
	ck_time(read_time(), 0x27, 0x09, 0x15, 7, 0x14, 0x03, 0x26, 0x20);
	at(34 * SEC + 500 * MS);		/* 15:10:00.5 */
	ck_time(read_time(), 0x00, 0x10, 0x15, 7, 0x14, 0x03, 0x26, 0x20);
	at((3600 + 34) * SEC);
	ck_time(read_time(), 0x00, 0x10, 0x16, 7, 0x14, 0x03, 0x26, 0x20);
}
END_TEST

START_TEST(test_time_read_in_binary)
{
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_BINARY);
	ck_time(read_time(), 26, 9, 15, 7, 14, 3, 26, 20);
	at(34 * SEC);
	ck_time(read_time(), 0, 10, 15, 7, 14, 3, 26, 20);
	wr(MC_REGB, MC_REGB_24HR);
	ck_time(read_time(), 0x00, 0x10, 0x15, 7, 0x14, 0x03, 0x26, 0x20);
}
END_TEST

START_TEST(test_twelve_hour_format_sets_pm_bit)
{
	wr(MC_REGB, 0);				/* BCD, 12-hour */
	ck_assert_uint_eq(rd(MC_HOUR), MC_HOUR_PM | 0x03);
	wr(MC_REGB, MC_REGB_BINARY);
	ck_assert_uint_eq(rd(MC_HOUR), MC_HOUR_PM | 3);

	restart(T_2026_03_14_003000);
	wr(MC_REGB, 0);
	ck_assert_uint_eq(rd(MC_HOUR), 0x12);	/* 12 AM */
	restart(T_2026_03_14_115959);
	wr(MC_REGB, 0);
	ck_assert_uint_eq(rd(MC_HOUR), 0x11);	/* 11 AM */
	at(1 * SEC);
	ck_assert_uint_eq(rd(MC_HOUR), MC_HOUR_PM | 0x12);	/* noon */
	ck_assert_uint_eq(rd(MC_MIN), 0x00);
}
END_TEST

START_TEST(test_twelve_hour_time_can_be_set)
{
	wr(MC_REGB, MC_REGB_SET);		/* BCD, 12-hour */
	wr(MC_HOUR, MC_HOUR_PM | 0x11);
	wr(MC_REGB, 0);
	wr(MC_REGB, MC_REGB_24HR);
	ck_assert_uint_eq(rd(MC_HOUR), 0x23);
}
END_TEST

START_TEST(test_rollover_at_midnight)
{
	restart(T_2026_03_14_150926 + 8 * 3600 + 50 * 60 + 33);	/* 23:59:59 */
	ck_time(read_time(), 0x59, 0x59, 0x23, 7, 0x14, 0x03, 0x26, 0x20);
	at(1 * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 1, 0x15, 0x03, 0x26, 0x20);
}
END_TEST

START_TEST(test_rollover_at_year_end)
{
	restart(T_1999_12_31_235959);
	ck_time(read_time(), 0x59, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x19);
	at(1 * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 7, 0x01, 0x01, 0x00, 0x20);
	restart(T_2099_12_31_235959);
	at(1 * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21);
}
END_TEST

START_TEST(test_rollover_in_leap_years)
{
	restart(T_2024_02_28_235958);
	at(2 * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 5, 0x29, 0x02, 0x24, 0x20);
	at((2 + 86400) * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20);

	restart(T_2023_02_28_235959);
	at(1 * SEC);
	ck_assert_uint_eq(rd(MC_DOM), 0x01);
	ck_assert_uint_eq(rd(MC_MONTH), 0x03);
	restart(T_2000_02_28_235959);
	at(1 * SEC);
	ck_assert_uint_eq(rd(MC_DOM), 0x29);
	ck_assert_uint_eq(rd(MC_MONTH), 0x02);
	restart(T_2100_02_28_235959);
	at(1 * SEC);
	ck_assert_uint_eq(rd(MC_DOM), 0x01);
	ck_assert_uint_eq(rd(MC_MONTH), 0x03);
}
END_TEST

START_TEST(test_determinism_same_start_and_clock_same_values)
{
	static const uint64_t steps[] = {
		0, 1, 999999999, 1000000000, 1500000000, 86400 * SEC + 7,
	};
	uint8_t first[sizeof(steps) / sizeof(steps[0])][MC146818_NREGS];
	unsigned run, i, r;

	for (run = 0; run < 2; run++) {
		restart(T_2024_02_28_235958);
		wr(MC_REGA, MC_REGA_DV_32KHZ | MC_RATE_2_HZ);
		wr(MC_REGB, MC_REGB_24HR | MC_REGB_UIE | MC_REGB_PIE);
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			at(steps[i]);
			for (r = 0; r < MC146818_NREGS; r++) {
				uint8_t v = rd((uint8_t)r);

				if (run == 0)
					first[i][r] = v;
				else
					ck_assert_uint_eq(v, first[i][r]);
			}
		}
	}
}
END_TEST

/* --- SET and UIP ---------------------------------------------------- */

START_TEST(test_set_bit_halts_updates)
{
	at(500 * MS);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_SET);
	at(3 * SEC + 500 * MS);
	ck_assert_uint_eq(rd(MC_SEC), 0x26);
	ck_assert_uint_eq(regc_no_pf(), 0);	/* no update, no UF */
	ck_assert_uint_eq(rd(MC_REGA) & MC_REGA_UIP, 0);
	wr(MC_REGB, MC_REGB_24HR);
	ck_assert_uint_eq(rd(MC_SEC), 0x26);
	at(4 * SEC);				/* the divider kept its phase */
	ck_assert_uint_eq(rd(MC_SEC), 0x27);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_UF);
}
END_TEST

START_TEST(test_set_bit_clears_uie)
{
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_UIE | MC_REGB_SET);
	ck_assert_uint_eq(rd(MC_REGB), MC_REGB_24HR | MC_REGB_SET);
}
END_TEST

START_TEST(test_writing_time_while_set_sets_the_time)
{
	at(250 * MS);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_SET);
	wr(MC_SEC, 0x58);
	wr(MC_MIN, 0x59);
	wr(MC_HOUR, 0x23);
	wr(MC_DOM, 0x31);
	wr(MC_MONTH, 0x12);
	wr(MC_YEAR, 0x30);
	wr(MC_CENTURY, 0x20);
	ck_assert_uint_eq(rd(MC_SEC), 0x58);
	wr(MC_REGB, MC_REGB_24HR);
	ck_time(read_time(), 0x58, 0x59, 0x23, 3, 0x31, 0x12, 0x30, 0x20);
	at(2 * SEC);
	ck_time(read_time(), 0x00, 0x00, 0x00, 4, 0x01, 0x01, 0x31, 0x20);
}
END_TEST

START_TEST(test_writing_time_while_running_continues_from_it)
{
	at(1500 * MS);
	wr(MC_MIN, 0x45);
	ck_assert_uint_eq(rd(MC_SEC), 0x27);
	ck_assert_uint_eq(rd(MC_MIN), 0x45);
	at(2 * SEC);
	ck_assert_uint_eq(rd(MC_SEC), 0x28);
	ck_assert_uint_eq(rd(MC_MIN), 0x45);
	ck_assert_uint_eq(rd(MC_HOUR), 0x15);
}
END_TEST

START_TEST(test_uip_set_in_the_244us_before_each_update)
{
	ck_assert_uint_eq(rd(MC_REGA) & MC_REGA_UIP, 0);
	at(1 * SEC - 244 * US - 1);
	ck_assert_uint_eq(rd(MC_REGA) & MC_REGA_UIP, 0);
	at(1 * SEC - 244 * US);
	ck_assert_uint_eq(rd(MC_REGA), MC_REGA_UIP | MC_REGA_DV_32KHZ |
	    MC_RATE_1024_HZ);
	ck_assert_uint_eq(rd(MC_SEC), 0x26);	/* not updated yet */
	at(1 * SEC - 1);
	ck_assert_uint_ne(rd(MC_REGA) & MC_REGA_UIP, 0);
	at(1 * SEC);
	ck_assert_uint_eq(rd(MC_REGA) & MC_REGA_UIP, 0);
	ck_assert_uint_eq(rd(MC_SEC), 0x27);
	at(7 * SEC - 100 * US);
	ck_assert_uint_ne(rd(MC_REGA) & MC_REGA_UIP, 0);
}
END_TEST

START_TEST(test_divider_reset_delays_first_update_half_a_second)
{
	at(200 * MS);
	wr(MC_REGA, MC_REGA_DV_RESET | MC_RATE_1024_HZ);
	at(5 * SEC);
	ck_assert_uint_eq(rd(MC_SEC), 0x26);	/* held */
	ck_assert_uint_eq(rd(MC_REGC) & MC_REGC_UF, 0);
	wr(MC_REGA, MC_REGA_DV_32KHZ | MC_RATE_1024_HZ);
	at(5 * SEC + 500 * MS - 1);
	ck_assert_uint_eq(rd(MC_SEC), 0x26);
	at(5 * SEC + 500 * MS);
	ck_assert_uint_eq(rd(MC_SEC), 0x27);
	ck_assert_uint_eq(rd(MC_REGC) & MC_REGC_UF, MC_REGC_UF);
	at(6 * SEC + 500 * MS);
	ck_assert_uint_eq(rd(MC_SEC), 0x28);
}
END_TEST

/* --- interrupts ----------------------------------------------------- */

START_TEST(test_update_ended_interrupt_at_exact_1s_boundaries)
{
	unsigned s;

	wr(MC_REGB, MC_REGB_24HR | MC_REGB_UIE);
	for (s = 1; s <= 3; s++) {
		at(s * SEC - 1);
		ck_assert_int_eq(line, 0);
		at(s * SEC);
		ck_assert_int_eq(line, 1);
		ck_assert_uint_eq(regc_no_pf(), MC_REGC_IRQF | MC_REGC_UF);
		ck_assert_int_eq(line, 0);
	}
	ck_assert_uint_eq(raises, 3);
	ck_assert_uint_eq(dev_vclock_next(&vc), 4 * SEC);
}
END_TEST

START_TEST(test_update_flag_set_without_uie_but_no_irq)
{
	at(1 * SEC);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_UF);
	/* Enabling UIE with UF pending raises IRQF at once. */
	at(2 * SEC);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_UIE);
	ck_assert_int_eq(line, 1);
}
END_TEST

START_TEST(test_register_c_read_clears_flags_and_lowers_irq)
{
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_UIE);
	at(1 * SEC);
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_IRQF | MC_REGC_UF);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(regc_no_pf(), 0);
	/* Without a read the line stays up: no second edge for the PIC. */
	at(3 * SEC);
	ck_assert_uint_eq(raises, 2);
	ck_assert_int_eq(line, 1);
}
END_TEST

/*
 * Enable PIE at t = 0 with rate rs and check every tick in the first
 * second: the line rises exactly at ceil(k * period) and not 1 ns before.
 */
static void
check_periodic(uint8_t rs, unsigned hz)
{
	uint64_t k, tick;

	wr(MC_REGA, MC_REGA_DV_32KHZ | rs);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_PIE);
	for (k = 1; k <= hz; k++) {
		tick = (k * SEC + hz - 1) / hz;
		at(tick - 1);
		ck_assert_int_eq(line, 0);
		at(tick);
		ck_assert_msg(line == 1, "rate %u tick %ju", rs, (uintmax_t)k);
		ck_assert_uint_eq(rd(MC_REGC) & (MC_REGC_IRQF | MC_REGC_PF),
		    MC_REGC_IRQF | MC_REGC_PF);
	}
	ck_assert_uint_eq(raises, hz);
}

START_TEST(test_periodic_interrupt_period_rate_3)
{
	check_periodic(MC_RATE_8192_HZ, 8192);	/* 122.0703125 us */
}
END_TEST

START_TEST(test_periodic_interrupt_period_rate_6)
{
	check_periodic(MC_RATE_1024_HZ, 1024);	/* 976.5625 us */
}
END_TEST

START_TEST(test_periodic_interrupt_period_rate_15)
{
	check_periodic(MC_RATE_2_HZ, 2);	/* 500 ms */
}
END_TEST

START_TEST(test_periodic_rates_1_and_2_repeat_rates_8_and_9)
{
	check_periodic(1, 256);
	restart(T_2026_03_14_150926);
	check_periodic(2, 128);
}
END_TEST

START_TEST(test_periodic_flag_set_without_pie_but_no_irq)
{
	wr(MC_REGA, MC_REGA_DV_32KHZ | MC_RATE_2_HZ);
	at(499 * MS);
	ck_assert_uint_eq(rd(MC_REGC), 0);
	at(500 * MS);
	ck_assert_uint_eq(rd(MC_REGC), MC_REGC_PF);
	ck_assert_uint_eq(rd(MC_REGC), 0);
	ck_assert_int_eq(line, 0);
	/* No periodic timer: only the update cycle is scheduled. */
	ck_assert_uint_eq(dev_vclock_next(&vc), 1 * SEC);
}
END_TEST

START_TEST(test_periodic_rate_0_never_ticks)
{
	wr(MC_REGA, MC_REGA_DV_32KHZ | MC_RATE_NONE);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_PIE);
	at(10 * SEC);
	ck_assert_uint_eq(raises, 0);
	ck_assert_uint_eq(rd(MC_REGC) & MC_REGC_PF, 0);
}
END_TEST

START_TEST(test_alarm_match_raises_af)
{
	wr(MC_ASEC, 0x30);
	wr(MC_AMIN, 0x09);
	wr(MC_AHOUR, 0x15);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_AIE);
	at(4 * SEC - 1);
	ck_assert_int_eq(line, 0);
	at(4 * SEC);				/* 15:09:30 */
	ck_assert_int_eq(line, 1);
	ck_assert_uint_eq(regc_no_pf(),
	    MC_REGC_IRQF | MC_REGC_AF | MC_REGC_UF);
	at(5 * SEC);
	ck_assert_int_eq(line, 0);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_UF);
}
END_TEST

START_TEST(test_alarm_dont_care_matches_any_value)
{
	unsigned m;

	wr(MC_ASEC, 0x00);
	wr(MC_AMIN, MC_ALARM_DONTCARE);
	wr(MC_AHOUR, 0xFF);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_AIE);
	/* Once a minute, at second 00: 15:10:00 is 34 s away. */
	for (m = 0; m < 3; m++) {
		at((34 + 60 * m) * SEC - 1);
		ck_assert_int_eq(line, 0);
		at((34 + 60 * m) * SEC);
		ck_assert_int_eq(line, 1);
		ck_assert_uint_eq(rd(MC_REGC) & MC_REGC_AF, MC_REGC_AF);
	}
	ck_assert_uint_eq(raises, 3);
}
END_TEST

START_TEST(test_alarm_all_dont_care_fires_every_second)
{
	wr(MC_ASEC, MC_ALARM_DONTCARE);
	wr(MC_AMIN, MC_ALARM_DONTCARE);
	wr(MC_AHOUR, MC_ALARM_DONTCARE);
	wr(MC_REGB, MC_REGB_24HR | MC_REGB_BINARY | MC_REGB_AIE);
	at(1 * SEC);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_IRQF | MC_REGC_AF | MC_REGC_UF);
	at(2 * SEC);
	ck_assert_uint_eq(regc_no_pf(), MC_REGC_IRQF | MC_REGC_AF | MC_REGC_UF);
}
END_TEST

/* --- memory size ---------------------------------------------------- */

struct memsize {
	unsigned	base, ext, post, m16, m4g;
};

static struct memsize
read_memsize(void)
{
	struct memsize m;

	m.base = rd(MC_NVRAM_BASEMEM_LO) | rd(MC_NVRAM_BASEMEM_HI) << 8;
	m.ext = rd(MC_NVRAM_EXTMEM_LO) | rd(MC_NVRAM_EXTMEM_HI) << 8;
	m.post = rd(MC_NVRAM_POSTMEM_LO) | rd(MC_NVRAM_POSTMEM_HI) << 8;
	m.m16 = rd(MC_NVRAM_MEM16M_LO) | rd(MC_NVRAM_MEM16M_HI) << 8;
	m.m4g = rd(MC_NVRAM_MEM4G_LO) | rd(MC_NVRAM_MEM4G_MID) << 8 |
	    rd(MC_NVRAM_MEM4G_HI) << 16;
	return (m);
}

START_TEST(test_memsize_640k)
{
	struct memsize m;

	mc146818_set_memsize(rtc, 640 * KIB);
	m = read_memsize();
	ck_assert_uint_eq(m.base, 640);
	ck_assert_uint_eq(m.ext, 0);
	ck_assert_uint_eq(m.post, 0);
	ck_assert_uint_eq(m.m16, 0);
	ck_assert_uint_eq(m.m4g, 0);
}
END_TEST

START_TEST(test_memsize_1g)
{
	struct memsize m;

	mc146818_set_memsize(rtc, 1 * GIB);
	m = read_memsize();
	ck_assert_uint_eq(m.base, 640);
	ck_assert_uint_eq(m.ext, 63 * 1024);		/* 0xFC00: capped */
	ck_assert_uint_eq(m.post, 63 * 1024);
	ck_assert_uint_eq(m.m16, (1 * GIB - 16 * MIB) / (64 * KIB));
	ck_assert_uint_eq(m.m16, 0x3F00);
	ck_assert_uint_eq(m.m4g, 0);
}
END_TEST

START_TEST(test_memsize_6g)
{
	struct memsize m;

	mc146818_set_memsize(rtc, 6 * GIB);
	m = read_memsize();
	ck_assert_uint_eq(m.base, 640);
	ck_assert_uint_eq(m.ext, 0xFC00);
	/* RAM below 4 GiB ends at the PCI hole (0xF0000000) ... */
	ck_assert_uint_eq(m.m16, (0xF0000000ULL - 16 * MIB) / (64 * KIB));
	ck_assert_uint_eq(m.m16, 0xEF00);
	/* ... and what does not fit there is mapped from 4 GiB. */
	ck_assert_uint_eq(m.m4g, (6 * GIB - 0xF0000000ULL) / (64 * KIB));
	ck_assert_uint_eq(m.m4g, 0x9000);
}
END_TEST

START_TEST(test_memsize_below_16m_uses_extended_kib_only)
{
	struct memsize m;

	mc146818_set_memsize(rtc, 8 * MIB);
	m = read_memsize();
	ck_assert_uint_eq(m.base, 640);
	ck_assert_uint_eq(m.ext, 7 * 1024);
	ck_assert_uint_eq(m.post, 7 * 1024);
	ck_assert_uint_eq(m.m16, 0);
}
END_TEST

static Suite *
mc146818_suite(void)
{
	Suite *s = suite_create("mc146818");
	TCase *tc;

	tc = tcase_create("registers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_register_values);
	tcase_add_test(tc, test_registers_c_and_d_are_read_only);
	tcase_add_test(tc, test_nvram_bytes_read_back);
	tcase_add_test(tc, test_nmi_mask_bit_kept_out_of_index);
	tcase_add_test(tc, test_register_claims_ports_0x70_0x71);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_time_read_in_bcd_at_chosen_instants);
	tcase_add_test(tc, test_time_read_in_binary);
	tcase_add_test(tc, test_twelve_hour_format_sets_pm_bit);
	tcase_add_test(tc, test_twelve_hour_time_can_be_set);
	tcase_add_test(tc, test_rollover_at_midnight);
	tcase_add_test(tc, test_rollover_at_year_end);
	tcase_add_test(tc, test_rollover_in_leap_years);
	tcase_add_test(tc, test_determinism_same_start_and_clock_same_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("update");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_bit_halts_updates);
	tcase_add_test(tc, test_set_bit_clears_uie);
	tcase_add_test(tc, test_writing_time_while_set_sets_the_time);
	tcase_add_test(tc, test_writing_time_while_running_continues_from_it);
	tcase_add_test(tc, test_uip_set_in_the_244us_before_each_update);
	tcase_add_test(tc,
	    test_divider_reset_delays_first_update_half_a_second);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_update_ended_interrupt_at_exact_1s_boundaries);
	tcase_add_test(tc, test_update_flag_set_without_uie_but_no_irq);
	tcase_add_test(tc, test_register_c_read_clears_flags_and_lowers_irq);
	tcase_add_test(tc, test_periodic_interrupt_period_rate_3);
	tcase_add_test(tc, test_periodic_interrupt_period_rate_6);
	tcase_add_test(tc, test_periodic_interrupt_period_rate_15);
	tcase_add_test(tc, test_periodic_rates_1_and_2_repeat_rates_8_and_9);
	tcase_add_test(tc, test_periodic_flag_set_without_pie_but_no_irq);
	tcase_add_test(tc, test_periodic_rate_0_never_ticks);
	tcase_add_test(tc, test_alarm_match_raises_af);
	tcase_add_test(tc, test_alarm_dont_care_matches_any_value);
	tcase_add_test(tc, test_alarm_all_dont_care_fires_every_second);
	suite_add_tcase(s, tc);

	tc = tcase_create("memsize");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_memsize_640k);
	tcase_add_test(tc, test_memsize_1g);
	tcase_add_test(tc, test_memsize_6g);
	tcase_add_test(tc, test_memsize_below_16m_uses_extended_kib_only);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(mc146818_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
