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
 * MC146818A RTC and PC CMOS (mc146818.h).
 *
 * Time model.  The chip's divider chain runs from "origin" (clock ns):
 * update cycles end at origin + k s, periodic ticks fall on the same
 * 32.768 kHz grid.  While the time runs (divider at 32.768 kHz and
 * REGB.SET clear) the time of day is computed, not stored:
 * base_secs + whole seconds since base_ns, base_ns being an update
 * boundary.  When it stops (SET, or the divider stopped or in reset) the
 * current time is frozen into the time registers, which the guest may
 * then rewrite; when it starts again the registers are read back.  So
 * reads are exact at any instant and nothing polls.
 *
 * From the datasheet: time and alarm in BCD or binary (REGB.DM) and 12 or
 * 24 hours (REGB.24/12); the update-ended, alarm and periodic flags and
 * interrupts with IRQF = PF.PIE + AF.AIE + UF.UIE; REGC read-to-clear;
 * UIP during the 244 us before an update; SET inhibiting updates and
 * clearing UIE; the first update half a second after the divider leaves
 * reset; periodic rates 1 and 2 giving 256 and 128 Hz at 32.768 kHz.
 *
 * Simplifications, none visible to a guest that follows the datasheet:
 *  - An update is instantaneous at its boundary (the 1984 us during which
 *    the chip's time registers are unavailable is not modelled).
 *  - Registers always hold the time in the current format: changing DM
 *    or 24/12 re-encodes it, where the chip would keep the old bytes.
 *    The day of week is derived from the date; written values outside a
 *    field's range are normalised (as timegm(3) would) when the time runs.
 *  - DSE and SQWE are stored and have no effect (no square-wave pin; the
 *    clock keeps UTC, so daylight saving is left to the guest).
 *  - Years 0-9999.
 *
 * The update-cycle timer always runs with the clock (one event a second,
 * like vmd's); the periodic timer runs only with PIE set, and without it
 * REGC.PF is worked out when REGC is read.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <machine/vmmvar.h>

#include "devices/mc146818.h"
#include "devices/snapbuf.h"

#define NS_PER_SEC		1000000000LL
#define MC_TIMEBASE_HZ		32768		/* the PC's RTC crystal */
#define MC_UIP_NS		244000		/* tBUC: UIP before update */
#define MC_RESET_FIRST_UPDATE_NS (NS_PER_SEC / 2)	/* after DV reset */

#define MC_SECS_PER_DAY		86400
#define MC_DAYS_PER_WEEK	7
#define MC_EPOCH_DOW		5		/* 1970-01-01: Thursday */

/* Reset values: what a PC BIOS leaves behind (32.768 kHz, 1024 Hz, 24h). */
#define MC_RESET_REGA		(MC_REGA_DV_32KHZ | MC_RATE_1024_HZ)
#define MC_RESET_REGB		MC_REGB_24HR
#define MC_FLOATING_BYTE	0xFF

/* PC memory map for the CMOS size bytes (vmd's create_memory_map). */
#define MC_KIB			1024ULL
#define MC_MIB			(1024 * MC_KIB)
#define MC_BASEMEM_TOP		(640 * MC_KIB)
#define MC_EXTMEM_START		MC_MIB
#define MC_EXTMEM_MAX_KIB	(63 * MC_KIB)	/* 0x17/0x30 stop at 64 MiB */
#define MC_MEM16M_START		(16 * MC_MIB)
#define MC_MEM_BLOCK		(64 * MC_KIB)
#define MC_MEM4G_MAX_BLOCKS	0xFFFFFFULL	/* three bytes */
#define MC_LOWMEM_TOP		VMM_PCI_MMIO_BAR_BASE	/* RAM below 4G */

/*
 * Locking: [I] immutable after create; [d] the device's user, one thread
 * at a time (devices.h); the timers are also [clock].
 */
struct mc146818 {
	struct dev_clock	 clock;		/* [I] */
	struct dev_irq		 line;		/* [I] */

	uint8_t			 regs[MC146818_NREGS];	/* [d] */
	uint8_t			 index;		/* [d] selected register */
	bool			 nmi_masked;	/* [d] bit 7 written to 0x70 */

	int64_t			 origin_ns;	/* [d] divider chain phase */
	int64_t			 base_secs;	/* [d] time at base_ns ... */
	int64_t			 base_ns;	/* [d] ... an update boundary */
	int64_t			 pf_from_ns;	/* [d] PF latched up to here */
	int			 irq_level;	/* [d] */

	struct dev_timer	 update_timer;
	struct dev_timer	 periodic_timer;
};

/* The time registers, in the order a broken-down time fills them. */
static const uint8_t mc_time_regs[] = {
	MC_SEC, MC_MIN, MC_HOUR, MC_DOW, MC_DOM, MC_MONTH, MC_YEAR, MC_CENTURY
};

struct mc_tm {
	int64_t	year;
	int	mon;		/* 1-12 */
	int	mday;		/* 1-31 */
	int	hour;
	int	min;
	int	sec;
	int	wday;		/* 1-7, Sunday = 1 */
};

/* --- calendar arithmetic (proleptic Gregorian, UTC) ------------------ */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return ((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q);
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return (a - floor_div(a, b) * b);
}

/*
 * Days since 1970-01-01 of a civil date, counting in 400-year eras that
 * start on March 1 so that the leap day ends the year.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* The inverse of days_from_civil(). */
static void
civil_from_days(int64_t z, struct mc_tm *tm)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static void
secs_to_tm(int64_t secs, struct mc_tm *tm)
{
	int64_t days = floor_div(secs, MC_SECS_PER_DAY);
	int64_t rem = secs - days * MC_SECS_PER_DAY;

	civil_from_days(days, tm);
	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem / 60 % 60);
	tm->sec = (int)(rem % 60);
	tm->wday = (int)floor_mod(days + MC_EPOCH_DOW - 1, MC_DAYS_PER_WEEK) +
	    1;
}

/* Seconds since the epoch; out-of-range fields carry over, as timegm(3). */
static int64_t
tm_to_secs(const struct mc_tm *tm)
{
	int64_t y = tm->year + floor_div(tm->mon - 1, 12);
	int m = (int)floor_mod(tm->mon - 1, 12) + 1;
	int64_t days;

	days = days_from_civil(y, m, 1) + tm->mday - 1;
	return (days * MC_SECS_PER_DAY + tm->hour * 3600LL + tm->min * 60LL +
	    tm->sec);
}

/* --- register formats ------------------------------------------------ */

static uint8_t
mc_to_reg(int v, uint8_t regb)
{
	if (regb & MC_REGB_BINARY)
		return ((uint8_t)v);
	return ((uint8_t)((v / 10 % 10) << 4 | v % 10));
}

static int
mc_from_reg(uint8_t b, uint8_t regb)
{
	if (regb & MC_REGB_BINARY)
		return (b);
	return ((b >> 4) * 10 + (b & 0x0F));
}

/* An hour (0-23) in the REGB format: 12-hour mode is 1-12 plus PM. */
static uint8_t
mc_hour_to_reg(int h, uint8_t regb)
{
	if (regb & MC_REGB_24HR)
		return (mc_to_reg(h, regb));
	return (mc_to_reg(h % 12 == 0 ? 12 : h % 12, regb) |
	    (h >= 12 ? MC_HOUR_PM : 0));
}

static int
mc_hour_from_reg(uint8_t b, uint8_t regb)
{
	if (regb & MC_REGB_24HR)
		return (mc_from_reg(b, regb));
	return (mc_from_reg(b & ~MC_HOUR_PM, regb) % 12 +
	    ((b & MC_HOUR_PM) ? 12 : 0));
}

/* Write the time "secs" into the time registers of "r" in format regb. */
static void
mc_encode_time(uint8_t *r, int64_t secs, uint8_t regb)
{
	struct mc_tm tm;

	secs_to_tm(secs, &tm);
	r[MC_SEC] = mc_to_reg(tm.sec, regb);
	r[MC_MIN] = mc_to_reg(tm.min, regb);
	r[MC_HOUR] = mc_hour_to_reg(tm.hour, regb);
	r[MC_DOW] = mc_to_reg(tm.wday, regb);
	r[MC_DOM] = mc_to_reg(tm.mday, regb);
	r[MC_MONTH] = mc_to_reg(tm.mon, regb);
	r[MC_YEAR] = mc_to_reg((int)(tm.year % 100), regb);
	r[MC_CENTURY] = mc_to_reg((int)(tm.year / 100), regb);
}

/* Read the time registers of "r" in format regb, as seconds. */
static int64_t
mc_decode_time(const uint8_t *r, uint8_t regb)
{
	struct mc_tm tm;

	tm.sec = mc_from_reg(r[MC_SEC], regb);
	tm.min = mc_from_reg(r[MC_MIN], regb);
	tm.hour = mc_hour_from_reg(r[MC_HOUR], regb);
	tm.mday = mc_from_reg(r[MC_DOM], regb);
	tm.mon = mc_from_reg(r[MC_MONTH], regb);
	tm.year = mc_from_reg(r[MC_CENTURY], regb) * 100LL +
	    mc_from_reg(r[MC_YEAR], regb);
	return (tm_to_secs(&tm));
}

static bool
mc_is_time_reg(unsigned reg)
{
	size_t i;

	for (i = 0; i < sizeof(mc_time_regs); i++)
		if (mc_time_regs[i] == reg)
			return (true);
	return (false);
}

/* --- divider chain and time base ------------------------------------- */

static int64_t
mc_now(const struct mc146818 *sc)
{
	return ((int64_t)sc->clock.now(sc->clock.arg));
}

static bool
mc_divider_running(const struct mc146818 *sc)
{
	return ((sc->regs[MC_REGA] & MC_REGA_DV_MASK) == MC_REGA_DV_32KHZ);
}

static bool
mc_time_running(const struct mc146818 *sc)
{
	return (mc_divider_running(sc) && !(sc->regs[MC_REGB] & MC_REGB_SET));
}

/* The last update boundary at or before t. */
static int64_t
mc_boundary(const struct mc146818 *sc, int64_t t)
{
	return (sc->origin_ns + floor_div(t - sc->origin_ns, NS_PER_SEC) *
	    NS_PER_SEC);
}

/* The time of day at clock instant t, while the time runs. */
static int64_t
mc_time_at(const struct mc146818 *sc, int64_t t)
{
	return (sc->base_secs + floor_div(t - sc->base_ns, NS_PER_SEC));
}

/* Stop computing the time: store the time at t in the registers. */
static void
mc_freeze(struct mc146818 *sc, int64_t t)
{
	mc_encode_time(sc->regs, mc_time_at(sc, t), sc->regs[MC_REGB]);
}

/* Start computing the time from the registers, as of the second of t. */
static void
mc_thaw(struct mc146818 *sc, int64_t t)
{
	sc->base_secs = mc_decode_time(sc->regs, sc->regs[MC_REGB]);
	sc->base_ns = mc_boundary(sc, t);
}

/*
 * The periodic interval in 32.768 kHz cycles for rate select rs, or 0 for
 * none.  Rates 1 and 2 would need a faster time base than the divider
 * gives at 32.768 kHz; the datasheet has them repeat rates 8 and 9.
 */
static int64_t
mc_periodic_cycles(const struct mc146818 *sc)
{
	unsigned rs = sc->regs[MC_REGA] & MC_REGA_RS_MASK;

	if (rs == MC_RATE_NONE || !mc_divider_running(sc))
		return (0);
	if (rs < MC_RATE_8192_HZ)
		rs += 7;
	return (1LL << (rs - 1));
}

/*
 * The first periodic tick after t.  Tick k falls at origin + k * cycles
 * of 1/32768 s, rounded up to whole ns; the interval divides a second,
 * so the arithmetic is split at second boundaries to stay in 64 bits.
 */
static int64_t
mc_next_tick(const struct mc146818 *sc, int64_t t, int64_t cycles)
{
	int64_t e = t - sc->origin_ns;
	int64_t sec = floor_div(e, NS_PER_SEC);
	int64_t rem = e - sec * NS_PER_SEC;
	int64_t k;

	k = rem * MC_TIMEBASE_HZ / (cycles * NS_PER_SEC) + 1;
	return (sc->origin_ns + sec * NS_PER_SEC +
	    (k * cycles * NS_PER_SEC + MC_TIMEBASE_HZ - 1) / MC_TIMEBASE_HZ);
}

/* UIP: an update will end within MC_UIP_NS of t. */
static bool
mc_uip(const struct mc146818 *sc, int64_t t)
{
	if (!mc_time_running(sc))
		return (false);
	return (mc_boundary(sc, t) + NS_PER_SEC - t <= MC_UIP_NS);
}

/* --- interrupts ------------------------------------------------------ */

static bool
mc_irqf(const struct mc146818 *sc)
{
	uint8_t b = sc->regs[MC_REGB], c = sc->regs[MC_REGC];

	return (((c & MC_REGC_PF) && (b & MC_REGB_PIE)) ||
	    ((c & MC_REGC_AF) && (b & MC_REGB_AIE)) ||
	    ((c & MC_REGC_UF) && (b & MC_REGB_UIE)));
}

/* IRQ 8 follows IRQF (the chip's IRQ pin is low while IRQF is set). */
static void
mc_update_irq(struct mc146818 *sc)
{
	int level = mc_irqf(sc);

	if (level != sc->irq_level) {
		sc->irq_level = level;
		dev_irq_set(&sc->line, MC146818_IRQ, level);
	}
}

/* Set PF if a periodic tick fell in (pf_from_ns, t]. */
static void
mc_latch_pf(struct mc146818 *sc, int64_t t)
{
	int64_t cycles = mc_periodic_cycles(sc);

	if (t <= sc->pf_from_ns)
		return;
	if (cycles != 0 && mc_next_tick(sc, sc->pf_from_ns, cycles) <= t)
		sc->regs[MC_REGC] |= MC_REGC_PF;
	sc->pf_from_ns = t;
}

static bool
mc_alarm_matches(const struct mc146818 *sc, const uint8_t *now)
{
	static const uint8_t pairs[][2] = {
		{ MC_ASEC, MC_SEC }, { MC_AMIN, MC_MIN }, { MC_AHOUR, MC_HOUR },
	};
	uint8_t a;
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		a = sc->regs[pairs[i][0]];
		if ((a & MC_ALARM_DONTCARE) == MC_ALARM_DONTCARE)
			continue;
		if (a != now[pairs[i][1]])
			return (false);
	}
	return (true);
}

/* Arm or disarm both timers for the state after time t. */
static void
mc_schedule(struct mc146818 *sc, int64_t t)
{
	int64_t cycles = mc_periodic_cycles(sc);

	if (mc_time_running(sc))
		sc->clock.arm(sc->clock.arg, &sc->update_timer,
		    (uint64_t)(mc_boundary(sc, t) + NS_PER_SEC));
	else
		sc->clock.disarm(sc->clock.arg, &sc->update_timer);
	if (cycles != 0 && (sc->regs[MC_REGB] & MC_REGB_PIE))
		sc->clock.arm(sc->clock.arg, &sc->periodic_timer,
		    (uint64_t)mc_next_tick(sc, t, cycles));
	else
		sc->clock.disarm(sc->clock.arg, &sc->periodic_timer);
}

/*
 * The end of an update cycle, at the timer's deadline: UF, then AF if the
 * new time matches the alarm, then the next second.
 */
static void
mc_update_fire(void *dev)
{
	struct mc146818 *sc = dev;
	int64_t t = (int64_t)sc->update_timer.at;
	uint8_t now[MC146818_NREGS];

	sc->regs[MC_REGC] |= MC_REGC_UF;
	mc_encode_time(now, mc_time_at(sc, t), sc->regs[MC_REGB]);
	if (mc_alarm_matches(sc, now))
		sc->regs[MC_REGC] |= MC_REGC_AF;
	sc->clock.arm(sc->clock.arg, &sc->update_timer,
	    (uint64_t)(t + NS_PER_SEC));
	mc_update_irq(sc);
}

/* A periodic tick, at the timer's deadline (armed only with PIE). */
static void
mc_periodic_fire(void *dev)
{
	struct mc146818 *sc = dev;
	int64_t t = (int64_t)sc->periodic_timer.at;
	int64_t cycles = mc_periodic_cycles(sc);

	mc_latch_pf(sc, t);
	if (cycles != 0)
		sc->clock.arm(sc->clock.arg, &sc->periodic_timer,
		    (uint64_t)mc_next_tick(sc, t, cycles));
	mc_update_irq(sc);
}

/* --- register access ------------------------------------------------- */

/*
 * Write REGA or REGB.  The time is frozen across the change and thawed
 * after it if it still runs, so the change takes effect at instant t with
 * no second lost or gained; a new format re-encodes the registers.
 */
static void
mc_write_control(struct mc146818 *sc, unsigned reg, uint8_t v)
{
	int64_t t = mc_now(sc), secs;
	uint8_t oldb = sc->regs[MC_REGB];
	bool divider_was_running = mc_divider_running(sc);

	mc_latch_pf(sc, t);
	if (mc_time_running(sc))
		mc_freeze(sc, t);
	if (reg == MC_REGA)
		sc->regs[MC_REGA] = v & ~MC_REGA_UIP;
	else {
		/* Setting SET clears UIE (datasheet, register B bit 4). */
		if (v & MC_REGB_SET)
			v &= ~MC_REGB_UIE;
		sc->regs[MC_REGB] = v;
	}
	if ((oldb ^ sc->regs[MC_REGB]) & (MC_REGB_BINARY | MC_REGB_24HR)) {
		secs = mc_decode_time(sc->regs, oldb);
		mc_encode_time(sc->regs, secs, sc->regs[MC_REGB]);
	}
	/* Out of reset (or stop), the first update is half a second away. */
	if (!divider_was_running && mc_divider_running(sc))
		sc->origin_ns = t + MC_RESET_FIRST_UPDATE_NS - NS_PER_SEC;
	if (mc_time_running(sc))
		mc_thaw(sc, t);
	mc_schedule(sc, t);
	mc_update_irq(sc);
}

/* Write a time register; while the time runs it continues from the value. */
static void
mc_write_time(struct mc146818 *sc, unsigned reg, uint8_t v)
{
	int64_t t;

	if (!mc_time_running(sc)) {
		sc->regs[reg] = v;
		return;
	}
	t = mc_now(sc);
	mc_freeze(sc, t);
	sc->regs[reg] = v;
	mc_thaw(sc, t);
}

static void
mc_write(struct mc146818 *sc, unsigned reg, uint8_t v)
{
	switch (reg) {
	case MC_REGA:
	case MC_REGB:
		mc_write_control(sc, reg, v);
		break;
	case MC_REGC:
	case MC_REGD:
		break;			/* read-only */
	default:
		if (mc_is_time_reg(reg))
			mc_write_time(sc, reg, v);
		else
			sc->regs[reg] = v;
		break;
	}
}

/* REGC: the flags with IRQF; reading clears them all and lowers IRQ 8. */
static uint8_t
mc_read_regc(struct mc146818 *sc)
{
	uint8_t v;

	mc_latch_pf(sc, mc_now(sc));
	v = sc->regs[MC_REGC] | (mc_irqf(sc) ? MC_REGC_IRQF : 0);
	sc->regs[MC_REGC] = 0;
	mc_update_irq(sc);
	return (v);
}

static uint8_t
mc_read(struct mc146818 *sc, unsigned reg)
{
	uint8_t now[MC146818_NREGS];

	switch (reg) {
	case MC_REGA:
		return (sc->regs[MC_REGA] |
		    (mc_uip(sc, mc_now(sc)) ? MC_REGA_UIP : 0));
	case MC_REGC:
		return (mc_read_regc(sc));
	case MC_REGD:
		return (MC_REGD_VRT);
	default:
		if (mc_is_time_reg(reg) && mc_time_running(sc)) {
			mc_encode_time(now, mc_time_at(sc, mc_now(sc)),
			    sc->regs[MC_REGB]);
			return (now[reg]);
		}
		return (sc->regs[reg]);
	}
}

/*
 * The port handler (dev_io_fn) for 0x70 and 0x71.  0x70 selects the
 * register, bit 7 masking NMI, and is write-only (reads float); 0x71
 * reads or writes it.  A wider access is split into byte accesses at
 * consecutive ports, as the ISA bus does for an 8-bit device.
 */
static int
mc146818_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct mc146818 *sc = dev;
	unsigned i, p;
	uint32_t v = 0;
	uint8_t b;

	if (size != 1 && size != 2 && size != 4)
		return (EINVAL);
	for (i = 0; i < (unsigned)size; i++) {
		p = (unsigned)port + i;
		b = MC_FLOATING_BYTE;
		if (dir == DEV_IO_OUT) {
			b = (*data >> (8 * i)) & 0xFF;
			if (p == MC146818_INDEX_PORT) {
				sc->index = b & MC146818_INDEX_MASK;
				sc->nmi_masked = (b & MC146818_NMI_MASK) != 0;
			} else if (p == MC146818_DATA_PORT)
				mc_write(sc, sc->index, b);
			continue;
		}
		if (p == MC146818_DATA_PORT)
			b = mc_read(sc, sc->index);
		v |= (uint32_t)b << (8 * i);
	}
	if (dir == DEV_IO_IN)
		*data = v;
	return (0);
}

/*
 * Create the RTC on "clock" (copied; must outlive the device), raising
 * IRQ 8 through "line" (copied; may be NULL).  start_time is the time of
 * day, in seconds since 1970-01-01 UTC, at clock time 0.  The registers
 * come up as a PC BIOS leaves them: 32.768 kHz, 1024 Hz rate, BCD, 24
 * hours, interrupts off.  Returns NULL with errno set on failure.
 */
struct mc146818 *
mc146818_create(const struct dev_clock *clock, const struct dev_irq *line,
    int64_t start_time)
{
	struct mc146818 *sc;

	if (clock == NULL || clock->now == NULL || clock->arm == NULL ||
	    clock->disarm == NULL) {
		errno = EINVAL;
		return (NULL);
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	sc->clock = *clock;
	if (line != NULL)
		sc->line = *line;
	sc->regs[MC_REGA] = MC_RESET_REGA;
	sc->regs[MC_REGB] = MC_RESET_REGB;
	sc->origin_ns = 0;
	sc->base_ns = 0;
	sc->base_secs = start_time;
	sc->pf_from_ns = mc_now(sc);
	sc->update_timer.fire = mc_update_fire;
	sc->update_timer.dev = sc;
	sc->periodic_timer.fire = mc_periodic_fire;
	sc->periodic_timer.dev = sc;
	mc_schedule(sc, mc_now(sc));
	return (sc);
}

void
mc146818_destroy(struct mc146818 *sc)
{
	if (sc == NULL)
		return;
	sc->clock.disarm(sc->clock.arg, &sc->update_timer);
	sc->clock.disarm(sc->clock.arg, &sc->periodic_timer);
	free(sc);
}

/* Claim ports 0x70 and 0x71; EBUSY if one is taken. */
int
mc146818_register(struct mc146818 *sc, struct dev_port_table *t)
{
	return (dev_ports_register(t, MC146818_INDEX_PORT, 2, mc146818_io,
	    sc));
}

static void
mc_put16(struct mc146818 *sc, unsigned lo, uint64_t v)
{
	sc->regs[lo] = v & 0xFF;
	sc->regs[lo + 1] = (v >> 8) & 0xFF;
}

/*
 * Record "bytes" of guest RAM in the CMOS as a PC BIOS (SeaBIOS) reads
 * it, for vmd's memory map: RAM from 0 to 640 KiB, from 1 MiB up to the
 * PCI hole at VMM_PCI_MMIO_BAR_BASE, and the rest from 4 GiB.
 *  0x15-0x16  base memory, KiB
 *  0x17-0x18  extended memory above 1 MiB, KiB, at most 63 MiB
 *  0x30-0x31  the same
 *  0x34-0x35  memory from 16 MiB to the hole, 64 KiB blocks
 *  0x5B-0x5D  memory above 4 GiB, 64 KiB blocks
 */
void
mc146818_set_memsize(struct mc146818 *sc, uint64_t bytes)
{
	uint64_t base, ext, low, high;

	base = (bytes < MC_BASEMEM_TOP ? bytes : MC_BASEMEM_TOP) / MC_KIB;
	ext = bytes > MC_EXTMEM_START ? (bytes - MC_EXTMEM_START) / MC_KIB : 0;
	if (ext > MC_EXTMEM_MAX_KIB)
		ext = MC_EXTMEM_MAX_KIB;
	low = bytes < MC_LOWMEM_TOP ? bytes : MC_LOWMEM_TOP;
	low = low > MC_MEM16M_START ? (low - MC_MEM16M_START) / MC_MEM_BLOCK :
	    0;
	high = bytes > MC_LOWMEM_TOP ? (bytes - MC_LOWMEM_TOP) / MC_MEM_BLOCK :
	    0;
	if (high > MC_MEM4G_MAX_BLOCKS)
		high = MC_MEM4G_MAX_BLOCKS;

	mc_put16(sc, MC_NVRAM_BASEMEM_LO, base);
	mc_put16(sc, MC_NVRAM_EXTMEM_LO, ext);
	mc_put16(sc, MC_NVRAM_POSTMEM_LO, ext);
	mc_put16(sc, MC_NVRAM_MEM16M_LO, low);
	sc->regs[MC_NVRAM_MEM4G_LO] = high & 0xFF;
	sc->regs[MC_NVRAM_MEM4G_MID] = (high >> 8) & 0xFF;
	sc->regs[MC_NVRAM_MEM4G_HI] = (high >> 16) & 0xFF;
}

/* Whether the guest's last write to port 0x70 masked NMI. */
bool
mc146818_nmi_masked(const struct mc146818 *sc)
{
	return (sc->nmi_masked);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
mc146818_snap(struct mc146818 *sc, struct snapbuf *sb)
{
	snapbuf_bytes(sb, sc->regs, sizeof(sc->regs));
	SB_INT(sb, sc->index);
	snapbuf_check(sb, sc->index, MC146818_NREGS);
	SB_BOOL(sb, sc->nmi_masked);
	SB_INT(sb, sc->origin_ns);
	SB_INT(sb, sc->base_secs);
	SB_INT(sb, sc->base_ns);
	SB_INT(sb, sc->pf_from_ns);
	SB_INT(sb, sc->irq_level);
	snapbuf_check(sb, (uint32_t)sc->irq_level, 2);
	snapbuf_timer(sb, &sc->clock, &sc->update_timer);
	snapbuf_timer(sb, &sc->clock, &sc->periodic_timer);
}
