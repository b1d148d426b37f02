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
 * The 8254 PIT and port 0x61 (i8253.h), from the Intel 8254 datasheet.
 *
 * Like vmd, counters are not ticked: a running counter keeps the virtual
 * time it was loaded (t0) and a tick offset, and its clock-edge count at
 * time t is d = floor((t - t0) * 1193182 / 1e9) - off, in 128-bit
 * arithmetic, so periods never drift and the time of edge d is exactly
 * t0 + ceil((off + d) * 1e9 / 1193182).  Count and OUT are functions of d
 * per mode.  Counter 0's OUT is mirrored onto IRQ 0, with a dev_timer
 * armed for its next transition.
 *
 * Unlike vmd, all six modes, the three access modes, BCD, gates and the
 * status byte are modelled; counter 0 alone drives IRQ 0.  Simplification
 * kept from vmd: a count is loaded at the instant it is written, not on
 * the following clock edge, so mode 0's OUT rises N clocks after the
 * write rather than N + 1.
 */

#include <errno.h>
#include <stdlib.h>

#include "devices/i8253.h"
#include "devices/snapbuf.h"

/* Control word (port 0x43). */
#define CW_SC_SHIFT	6		/* counter select */
#define CW_SC_READBACK	3
#define CW_RW_SHIFT	4		/* read/write access */
#define CW_RW_MASK	0x3
#define CW_RW_LATCH	0		/* counter latch command */
#define CW_RW_LSB	1
#define CW_RW_MSB	2
#define CW_RW_WORD	3		/* LSB then MSB */
#define CW_MODE_SHIFT	1
#define CW_MODE_MASK	0x7
#define CW_BCD		0x01

/* Read-back command: 11 /COUNT /STATUS CNT2 CNT1 CNT0 0. */
#define RB_NO_COUNT	0x20		/* 0 latches the counts */
#define RB_NO_STATUS	0x10		/* 0 latches the statuses */
#define RB_CNT_SHIFT	1		/* CNT0 is bit 1 */

/* Status byte. */
#define ST_OUTPUT	0x80
#define ST_NULL_COUNT	0x40
#define ST_RW_SHIFT	4
#define ST_MODE_SHIFT	1
#define ST_BCD		0x01

/* Counting modes; modes 6 and 7 are aliases of 2 and 3. */
#define MODE_INTR_ON_TC		0
#define MODE_ONESHOT		1
#define MODE_RATE		2
#define MODE_SQUARE		3
#define MODE_SW_STROBE		4
#define MODE_HW_STROBE		5
#define MODE_ALIAS_FIRST	6
#define MODE_ALIAS_OFFSET	4

#define MOD_BINARY	65536		/* a count of 0 is 2^16 */
#define MOD_BCD		10000		/* a count of 0 is 10^4 */
#define BYTE_BITS	8
#define BYTE_MASK	0xFF
#define BCD_DIGIT_BITS	4
#define BCD_DIGIT_MASK	0xF
#define BCD_DIGITS	4
#define DECIMAL		10

#define SPKR_COUNTER	2		/* gated and read through 0x61 */

#define NO_CHANGE	(-1)		/* OUT will not change by itself */

enum counter_state {
	CTR_IDLE,	/* no count loaded, or waiting for a gate edge */
	CTR_RUNNING,
	CTR_PAUSED	/* modes 0 and 4 with the gate low */
};

struct pit_counter {
	/* As programmed. */
	uint8_t		 mode;		/* control word bits 3-1, raw */
	uint8_t		 rw;		/* CW_RW_LSB, _MSB or _WORD */
	bool		 bcd;
	uint16_t	 cr;		/* count register, as written */
	bool		 cr_valid;	/* a whole count since the CW */
	bool		 null_count;	/* CR not yet moved to the CE */
	bool		 gate;

	/* Byte pointers and latches. */
	bool		 write_msb;	/* CW_RW_WORD: next write is MSB */
	uint8_t		 write_lsb;
	bool		 read_msb;	/* CW_RW_WORD: next read is MSB */
	bool		 count_latched;
	uint16_t	 latch;		/* as the guest reads it (BCD) */
	bool		 status_latched;
	uint8_t		 status;

	/* The counting element. */
	enum counter_state state;
	uint64_t	 t0;		/* ns the run's ticks count from */
	int64_t		 off;		/* d = ticks(t - t0) - off */
	uint32_t	 n;		/* modes 2, 3: the reload value */
	uint32_t	 start;		/* modes 0, 1, 4, 5: CE at d = 0 */
	bool		 tc;		/* modes 0, 4: terminal count passed */
	uint32_t	 frozen;	/* CE when not running */
	bool		 out_idle;	/* OUT when not running */

	/* Modes 2, 3: a new count waits for the period's end. */
	bool		 pending;
	uint32_t	 pending_n;
	int64_t		 pending_d;
	bool		 pending_low;	/* mode 3: reload into the low half */
};

/*
 * The timer.  Locking: one thread at a time (devices.h).
 */
struct i8253 {
	struct pit_counter	 ctr[I8253_NCOUNTERS];
	uint8_t			 portb;		/* writable bits of 0x61 */
	bool			 irq_level;	/* what IRQ 0 was last set to */
	struct dev_clock	 clock;		/* [I] */
	struct dev_irq		 irq;		/* [I] */
	struct dev_timer	 timer;		/* counter 0's next OUT edge */
};

static uint64_t
pit_now(const struct i8253 *pit)
{
	return (pit->clock.now(pit->clock.arg));
}

/* 128-bit products: 2^64 ns times 1193182 Hz overflows 64 bits. */
__extension__ typedef unsigned __int128 u128;

/* Clock edges in ns nanoseconds, rounded down. */
static uint64_t
ns_to_ticks(uint64_t ns)
{
	return ((uint64_t)((u128)ns * I8253_HZ / I8253_NS_PER_SEC));
}

/* The first nanosecond by which ticks clock edges have happened. */
static uint64_t
ticks_to_ns(uint64_t ticks)
{
	return ((uint64_t)(((u128)ticks * I8253_NS_PER_SEC +
	    I8253_HZ - 1) / I8253_HZ));
}

static int
ctr_mode(const struct pit_counter *c)
{
	return (c->mode >= MODE_ALIAS_FIRST ? c->mode - MODE_ALIAS_OFFSET :
	    c->mode);
}

static uint32_t
ctr_modulus(const struct pit_counter *c)
{
	return (c->bcd ? MOD_BCD : MOD_BINARY);
}

/* The count register as a number of clocks: BCD decoded, 0 = modulus. */
static uint32_t
ctr_cr_value(const struct pit_counter *c)
{
	uint32_t v = 0;
	int i;

	if (!c->bcd)
		v = c->cr;
	else
		for (i = BCD_DIGITS - 1; i >= 0; i--)
			v = v * DECIMAL +
			    ((c->cr >> (i * BCD_DIGIT_BITS)) & BCD_DIGIT_MASK);
	return (v == 0 ? ctr_modulus(c) : v);
}

static uint16_t
bcd_encode(uint32_t v)
{
	uint16_t r = 0;
	int i;

	for (i = 0; i < BCD_DIGITS; i++) {
		r |= (uint16_t)((v % DECIMAL) << (i * BCD_DIGIT_BITS));
		v /= DECIMAL;
	}
	return (r);
}

/* Clock edges of the current run up to now. */
static int64_t
ctr_ticks(const struct pit_counter *c, uint64_t now)
{
	return ((int64_t)ns_to_ticks(now - c->t0) - c->off);
}

/* The time edge d of the current run happens. */
static uint64_t
ctr_tick_time(const struct pit_counter *c, int64_t d)
{
	return (c->t0 + ticks_to_ns((uint64_t)(c->off + d)));
}

/* Mode 3's high half: (N + 1) / 2 clocks, so odd counts are high longer. */
static int64_t
square_high_len(uint32_t n)
{
	return ((n + 1) / 2);
}

/*
 * The counting element d clocks into a run, as a binary number below the
 * modulus.  Mode 3 counts down by two each clock, from N (even) or N - 1
 * (odd) in each half.
 */
static uint32_t
ctr_ce_at(const struct pit_counter *c, int64_t d)
{
	int64_t m = ctr_modulus(c), r, p, hl;

	switch (ctr_mode(c)) {
	case MODE_RATE:
		r = c->n - d % c->n;
		break;
	case MODE_SQUARE:
		p = d % c->n;
		hl = square_high_len(c->n);
		if (p >= hl)
			p -= hl;
		r = (c->n & 1 ? c->n - 1 : c->n) - 2 * p;
		break;
	default:
		r = ((int64_t)c->start - d) % m;
		if (r < 0)
			r += m;
		break;
	}
	return ((uint32_t)(r % m));
}

/*
 * OUT d clocks into a run.  Mode 0 rises at the terminal count and stays
 * high; mode 1 is low until it; modes 4 and 5 strobe low for the clock at
 * it; mode 2 is low for the last clock of each period; mode 3 is high for
 * the first half.  A count of 1 in modes 2 and 3 (illegal) keeps OUT high.
 */
static bool
ctr_out_at(const struct pit_counter *c, int64_t d)
{
	switch (ctr_mode(c)) {
	case MODE_INTR_ON_TC:
		return (c->tc || d >= c->start);
	case MODE_ONESHOT:
		return (d >= c->start);
	case MODE_SW_STROBE:
		return (c->tc || d != c->start);
	case MODE_HW_STROBE:
		return (d != c->start);
	case MODE_RATE:
		return (c->n < 2 || d % c->n != c->n - 1);
	default:
		return (c->n < 2 || d % c->n < square_high_len(c->n));
	}
}

/* The clock after d at which OUT next changes, or NO_CHANGE. */
static int64_t
ctr_next_change(const struct pit_counter *c, int64_t d)
{
	int64_t p, hl;

	switch (ctr_mode(c)) {
	case MODE_INTR_ON_TC:
		return (!c->tc && d < c->start ? (int64_t)c->start :
		    NO_CHANGE);
	case MODE_ONESHOT:
		return (d < c->start ? (int64_t)c->start : NO_CHANGE);
	case MODE_SW_STROBE:
	case MODE_HW_STROBE:
		if (c->tc && ctr_mode(c) == MODE_SW_STROBE)
			return (NO_CHANGE);
		if (d < c->start)
			return (c->start);
		return (d == c->start ? d + 1 : NO_CHANGE);
	case MODE_RATE:
		if (c->n < 2)
			return (NO_CHANGE);
		p = d % c->n;
		return (p < c->n - 1 ? d + (c->n - 1 - p) : d + 1);
	default:
		if (c->n < 2)
			return (NO_CHANGE);
		p = d % c->n;
		hl = square_high_len(c->n);
		return (p < hl ? d + (hl - p) : d + (c->n - p));
	}
}

/* Start a run now: CE = start (modes 0, 1, 4, 5) or the CR (2, 3). */
static void
ctr_load(struct pit_counter *c, uint64_t now, uint32_t start)
{
	c->state = CTR_RUNNING;
	c->t0 = now;
	c->off = 0;
	c->start = start;
	c->n = ctr_cr_value(c);
	c->tc = false;
	c->null_count = false;
	c->pending = false;
}

/*
 * Bring a counter up to now: a count written during a mode 2 period or a
 * mode 3 half-cycle is loaded when that ends.  The run's ticks continue
 * across the reload; only the offset moves.
 */
static void
ctr_sync(struct pit_counter *c, uint64_t now)
{
	if (c->state != CTR_RUNNING || !c->pending ||
	    ctr_ticks(c, now) < c->pending_d)
		return;
	c->off += c->pending_d;
	c->n = c->pending_n;
	if (c->pending_low)
		c->off -= square_high_len(c->n);
	c->pending = false;
	c->null_count = false;
}

/* The CE as of now, as a binary number. */
static uint32_t
ctr_value(struct pit_counter *c, uint64_t now)
{
	ctr_sync(c, now);
	if (c->state != CTR_RUNNING)
		return (c->frozen);
	return (ctr_ce_at(c, ctr_ticks(c, now)));
}

static bool
ctr_out(struct pit_counter *c, uint64_t now)
{
	ctr_sync(c, now);
	if (c->state != CTR_RUNNING)
		return (c->out_idle);
	return (ctr_out_at(c, ctr_ticks(c, now)));
}

/* Stop a run, keeping the CE and OUT as they are now. */
static void
ctr_stop(struct pit_counter *c, uint64_t now, enum counter_state state)
{
	int64_t d;

	if (c->state != CTR_RUNNING)
		return;
	d = ctr_ticks(c, now);
	c->frozen = ctr_ce_at(c, d);
	c->out_idle = ctr_out_at(c, d);
	if (!c->tc && d >= c->start)
		c->tc = true;
	c->state = state;
}

/* The status byte of the read-back command, as of now. */
static uint8_t
ctr_status(struct pit_counter *c, uint64_t now)
{
	uint8_t st;

	st = (uint8_t)(c->rw << ST_RW_SHIFT | c->mode << ST_MODE_SHIFT);
	if (ctr_out(c, now))
		st |= ST_OUTPUT;
	if (c->null_count)
		st |= ST_NULL_COUNT;
	if (c->bcd)
		st |= ST_BCD;
	return (st);
}

/* Counter latch command; a second latch before the read is ignored. */
static void
ctr_latch(struct pit_counter *c, uint64_t now)
{
	uint32_t v;

	if (c->count_latched)
		return;
	v = ctr_value(c, now);
	c->latch = c->bcd ? bcd_encode(v) : (uint16_t)v;
	c->count_latched = true;
}

static void
ctr_latch_status(struct pit_counter *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = ctr_status(c, now);
	c->status_latched = true;
}

/*
 * A control word: new mode and access, everything else reset.  OUT goes
 * low in mode 0 and high in the others; the CE stops until a count comes.
 */
static void
ctr_control(struct pit_counter *c, uint64_t now, uint8_t v)
{
	ctr_stop(c, now, CTR_IDLE);
	c->mode = (v >> CW_MODE_SHIFT) & CW_MODE_MASK;
	c->rw = (v >> CW_RW_SHIFT) & CW_RW_MASK;
	c->bcd = (v & CW_BCD) != 0;
	c->state = CTR_IDLE;
	c->cr_valid = false;
	c->null_count = true;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->status_latched = false;
	c->pending = false;
	c->tc = false;
	c->out_idle = ctr_mode(c) != MODE_INTR_ON_TC;
}

/*
 * A whole count was written.  Modes 0 and 4 load it at once (and count
 * while the gate is high); modes 1 and 5 wait for a gate edge; modes 2
 * and 3 start at once if idle with the gate high, else take it at the end
 * of the current period (mode 2) or half-cycle (mode 3).
 */
static void
ctr_count_written(struct pit_counter *c, uint64_t now, uint16_t cr)
{
	int64_t d, boundary;

	ctr_sync(c, now);
	c->cr = cr;
	c->cr_valid = true;
	c->null_count = true;
	switch (ctr_mode(c)) {
	case MODE_INTR_ON_TC:
	case MODE_SW_STROBE:
		ctr_load(c, now, ctr_cr_value(c));
		if (!c->gate) {
			c->state = CTR_PAUSED;
			c->frozen = c->start % ctr_modulus(c);
			c->out_idle = ctr_mode(c) != MODE_INTR_ON_TC;
		}
		break;
	case MODE_ONESHOT:
	case MODE_HW_STROBE:
		break;
	default:
		if (c->state != CTR_RUNNING) {
			if (c->gate)
				ctr_load(c, now, 0);
			break;
		}
		d = ctr_ticks(c, now);
		if (ctr_mode(c) == MODE_RATE)
			boundary = (d / c->n + 1) * c->n;
		else
			boundary = ctr_next_change(c, d);
		if (boundary == NO_CHANGE) {
			ctr_load(c, now, 0);
			break;
		}
		c->pending = true;
		c->pending_n = ctr_cr_value(c);
		c->pending_d = boundary;
		c->pending_low = ctr_mode(c) == MODE_SQUARE &&
		    ctr_out_at(c, d);
		break;
	}
}

/*
 * A byte written to a counter port.  In LSB-then-MSB access the first
 * byte of a mode 0 count stops the counter and drops OUT (datasheet).
 */
static void
ctr_write(struct pit_counter *c, uint64_t now, uint8_t v)
{
	switch (c->rw) {
	case CW_RW_LSB:
		ctr_count_written(c, now, v);
		break;
	case CW_RW_MSB:
		ctr_count_written(c, now, (uint16_t)(v << BYTE_BITS));
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			if (ctr_mode(c) == MODE_INTR_ON_TC) {
				ctr_stop(c, now, CTR_IDLE);
				c->out_idle = false;
			}
			break;
		}
		c->write_msb = false;
		ctr_count_written(c, now,
		    (uint16_t)(c->write_lsb | v << BYTE_BITS));
		break;
	}
}

/*
 * A byte read from a counter port: a latched status first, then a latched
 * count (released once fully read), else the live count.
 */
static uint8_t
ctr_read(struct pit_counter *c, uint64_t now)
{
	uint32_t live;
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return (c->status);
	}
	if (c->count_latched)
		v = c->latch;
	else {
		live = ctr_value(c, now);
		v = c->bcd ? bcd_encode(live) : (uint16_t)live;
	}
	switch (c->rw) {
	case CW_RW_LSB:
		msb = false;
		c->count_latched = false;
		break;
	case CW_RW_MSB:
		msb = true;
		c->count_latched = false;
		break;
	default:
		msb = c->read_msb;
		c->read_msb = !c->read_msb;
		if (msb)
			c->count_latched = false;
		break;
	}
	return ((uint8_t)((msb ? v >> BYTE_BITS : v) & BYTE_MASK));
}

/*
 * A gate input change.  Modes 0 and 4 count only while it is high; modes
 * 2 and 3 stop (OUT high) while it is low and restart on the rising edge;
 * modes 1 and 5 (re)trigger on the rising edge.
 */
static void
ctr_set_gate(struct pit_counter *c, uint64_t now, bool gate)
{
	uint32_t start;
	int64_t d;

	if (gate == c->gate)
		return;
	ctr_sync(c, now);
	c->gate = gate;
	switch (ctr_mode(c)) {
	case MODE_INTR_ON_TC:
	case MODE_SW_STROBE:
		if (!gate && c->state == CTR_RUNNING) {
			d = ctr_ticks(c, now);
			/* Keep 65536 (not 0) clocks left before a TC. */
			start = !c->tc && d < c->start ?
			    c->start - (uint32_t)d : 0;
			ctr_stop(c, now, CTR_PAUSED);
			c->start = c->tc ? c->frozen : start;
		} else if (gate && c->state == CTR_PAUSED) {
			c->state = CTR_RUNNING;
			c->t0 = now;
			c->off = 0;
		}
		break;
	case MODE_ONESHOT:
	case MODE_HW_STROBE:
		if (gate && c->cr_valid)
			ctr_load(c, now, ctr_cr_value(c));
		break;
	default:
		if (!gate) {
			ctr_stop(c, now, CTR_IDLE);
			c->out_idle = true;
			c->pending = false;
		} else if (c->cr_valid)
			ctr_load(c, now, 0);
		break;
	}
}

/*
 * Mirror counter 0's OUT onto IRQ 0 and arm the timer for its next
 * transition (a mode 2/3 reload always coincides with one).
 */
static void
pit_update_irq(struct i8253 *pit)
{
	struct pit_counter *c = &pit->ctr[0];
	uint64_t now = pit_now(pit);
	int64_t next;
	bool out;

	out = ctr_out(c, now);
	if (out != pit->irq_level) {
		pit->irq_level = out;
		dev_irq_set(&pit->irq, I8253_IRQ, out);
	}
	next = c->state == CTR_RUNNING ?
	    ctr_next_change(c, ctr_ticks(c, now)) : NO_CHANGE;
	if (next != NO_CHANGE)
		pit->clock.arm(pit->clock.arg, &pit->timer,
		    ctr_tick_time(c, next));
	else
		pit->clock.disarm(pit->clock.arg, &pit->timer);
}

static void
pit_timer_fire(void *dev)
{
	pit_update_irq(dev);
}

/* Port 0x43: control word, counter latch or read-back. */
static void
pit_control(struct i8253 *pit, uint64_t now, uint8_t v)
{
	int sc = v >> CW_SC_SHIFT, i;

	if (sc == CW_SC_READBACK) {
		for (i = 0; i < I8253_NCOUNTERS; i++) {
			if (!(v & (1U << (RB_CNT_SHIFT + i))))
				continue;
			if (!(v & RB_NO_COUNT))
				ctr_latch(&pit->ctr[i], now);
			if (!(v & RB_NO_STATUS))
				ctr_latch_status(&pit->ctr[i], now);
		}
	} else if (((v >> CW_RW_SHIFT) & CW_RW_MASK) == CW_RW_LATCH)
		ctr_latch(&pit->ctr[sc], now);
	else
		ctr_control(&pit->ctr[sc], now, v);
}

/*
 * Ports 0x40-0x43, byte access only; 0x43 is write-only and reads as a
 * floating bus.  EINVAL for a wider access.
 */
static int
i8253_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct i8253 *pit = dev;
	uint64_t now = pit_now(pit);

	if (size != 1)
		return (EINVAL);
	if (dir == DEV_IO_IN)
		*data = port == I8253_CONTROL ? BYTE_MASK :
		    ctr_read(&pit->ctr[port - I8253_COUNTER0], now);
	else if (port == I8253_CONTROL)
		pit_control(pit, now, (uint8_t)*data);
	else
		ctr_write(&pit->ctr[port - I8253_COUNTER0], now,
		    (uint8_t)*data);
	pit_update_irq(pit);
	return (0);
}

/*
 * Port 0x61, system control port B: bits 0-3 are stored (bit 0 gates
 * counter 2); bit 4 toggles with each DRAM refresh request of virtual
 * time, bit 5 is counter 2's OUT.  Byte access only.
 */
static int
i8253_portb_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct i8253 *pit = dev;
	struct pit_counter *c2 = &pit->ctr[SPKR_COUNTER];
	uint64_t now = pit_now(pit);
	uint8_t v;

	if (size != 1)
		return (EINVAL);
	if (dir == DEV_IO_IN) {
		v = pit->portb;
		if ((now / I8253_REFRESH_NS) & 1)
			v |= I8253_PORTB_REFRESH;
		if (ctr_out(c2, now))
			v |= I8253_PORTB_OUT2;
		*data = v;
		return (0);
	}
	pit->portb = *data & I8253_PORTB_WRITABLE;
	ctr_set_gate(c2, now, (pit->portb & I8253_PORTB_GATE2) != 0);
	return (0);
}

/*
 * Allocate a PIT on clock whose counter 0 drives IRQ 0 of irq (either may
 * be copied and need not outlive the call; the clock's arg must outlive
 * the PIT).  The counters start in mode 0 with no count, OUT low, LSB
 * then MSB access; the gates of counters 0 and 1 are tied high, counter
 * 2's follows port 0x61 (low).  NULL on ENOMEM or a NULL clock.
 */
struct i8253 *
i8253_create(const struct dev_clock *clock, const struct dev_irq *irq)
{
	struct i8253 *pit;
	int i;

	if (clock == NULL)
		return (NULL);
	if ((pit = calloc(1, sizeof(*pit))) == NULL)
		return (NULL);
	pit->clock = *clock;
	if (irq != NULL)
		pit->irq = *irq;
	pit->timer.fire = pit_timer_fire;
	pit->timer.dev = pit;
	for (i = 0; i < I8253_NCOUNTERS; i++) {
		pit->ctr[i].mode = MODE_INTR_ON_TC;
		pit->ctr[i].rw = CW_RW_WORD;
		pit->ctr[i].null_count = true;
		pit->ctr[i].gate = i != SPKR_COUNTER;
	}
	return (pit);
}

void
i8253_destroy(struct i8253 *pit)
{
	if (pit == NULL)
		return;
	pit->clock.disarm(pit->clock.arg, &pit->timer);
	free(pit);
}

/*
 * Claim ports 0x40-0x43 and 0x61 in t.  Returns 0 or the errno of
 * dev_ports_register (EBUSY if a port is taken).
 */
int
i8253_register(struct i8253 *pit, struct dev_port_table *t)
{
	int error;

	if ((error = dev_ports_register(t, I8253_COUNTER0,
	    I8253_NCOUNTERS + 1, i8253_io, pit)) != 0)
		return (error);
	return (dev_ports_register(t, I8253_PORT_B, 1, i8253_portb_io, pit));
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
i8253_snap(struct i8253 *pit, struct snapbuf *sb)
{
	struct pit_counter *c;
	uint32_t state;
	int i;

	for (i = 0; i < I8253_NCOUNTERS; i++) {
		c = &pit->ctr[i];
		SB_INT(sb, c->mode);
		snapbuf_check(sb, c->mode, 8);
		SB_INT(sb, c->rw);
		snapbuf_check(sb, c->rw, 4);
		SB_BOOL(sb, c->bcd);
		SB_INT(sb, c->cr);
		SB_BOOL(sb, c->cr_valid);
		SB_BOOL(sb, c->null_count);
		SB_BOOL(sb, c->gate);
		SB_BOOL(sb, c->write_msb);
		SB_INT(sb, c->write_lsb);
		SB_BOOL(sb, c->read_msb);
		SB_BOOL(sb, c->count_latched);
		SB_INT(sb, c->latch);
		SB_BOOL(sb, c->status_latched);
		SB_INT(sb, c->status);
		state = (uint32_t)c->state;
		SB_INT(sb, state);
		snapbuf_check(sb, state, CTR_PAUSED + 1);
		c->state = (enum counter_state)(state <= CTR_PAUSED ? state : 0);
		SB_INT(sb, c->t0);
		SB_INT(sb, c->off);
		SB_INT(sb, c->n);
		SB_INT(sb, c->start);
		SB_BOOL(sb, c->tc);
		SB_INT(sb, c->frozen);
		SB_BOOL(sb, c->out_idle);
		SB_BOOL(sb, c->pending);
		SB_INT(sb, c->pending_n);
		SB_INT(sb, c->pending_d);
		SB_BOOL(sb, c->pending_low);
	}
	SB_INT(sb, pit->portb);
	SB_BOOL(sb, pit->irq_level);
	snapbuf_timer(sb, &pit->clock, &pit->timer);
}
