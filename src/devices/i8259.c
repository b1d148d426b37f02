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
 * Two cascaded Intel 8259A programmable interrupt controllers and the
 * ELCR pair (i8259.h).  Register meanings follow the 8259A datasheet
 * (ICW1-4, OCW1-3) and the PIIX ELCR description; behaviour a guest relies
 * on follows vmd's i8259.c where vmd is stricter or simpler, with these
 * deliberate differences, all towards the datasheet:
 *
 * - priority resolution honours the in-service register, rotation,
 *   special mask mode and special fully nested mode;
 * - auto-EOI and the poll command are implemented;
 * - an INTA with no request left yields the spurious IR7 vector of the
 *   chip concerned (IRQ 7 or, through the cascade, IRQ 15).
 *
 * Edge-triggered inputs latch a rising edge in IRR until INTA, as in vmd
 * (device models pulse their lines), rather than dropping the request when
 * the line falls as the 8259A itself would.  Trigger mode comes from the
 * ELCR only; ICW1's LTIM bit is ignored, as on PIIX-class chipsets.
 */

#include <errno.h>
#include <stdlib.h>

#include "devices/i8259.h"
#include "devices/statehash.h"
#include "devices/snapbuf.h"

/* ICW1: written to the command port with bit 4 set. */
#define ICW1_SELECT	0x10
#define ICW1_IC4	0x01	/* ICW4 follows */
#define ICW1_SNGL	0x02	/* single chip, no ICW3 */
#define ICW1_LTIM	0x08	/* level triggered (ignored, see above) */

/* ICW2: the vector base; the low 3 bits are the IRQ in 8086 mode. */
#define ICW2_BASE_MASK	0xF8

/* ICW4. */
#define ICW4_UPM	0x01	/* 8086/8088 mode */
#define ICW4_AEOI	0x02	/* automatic end of interrupt */
#define ICW4_SFNM	0x10	/* special fully nested mode */

/* Command-port writes with bit 4 clear: bit 3 tells OCW3 from OCW2. */
#define OCW_SELECT_OCW3	0x08

/* OCW2: R, SL, EOI in bits 7-5, the level in bits 2-0. */
#define OCW2_CMD_MASK		0xE0
#define OCW2_LEVEL_MASK		0x07
#define OCW2_ROT_AEOI_CLEAR	0x00
#define OCW2_EOI		0x20
#define OCW2_NOP		0x40
#define OCW2_SPECIFIC_EOI	0x60
#define OCW2_ROT_AEOI_SET	0x80
#define OCW2_ROT_EOI		0xA0
#define OCW2_SET_PRIORITY	0xC0
#define OCW2_ROT_SPECIFIC_EOI	0xE0

/* OCW3. */
#define OCW3_RIS	0x01	/* read ISR rather than IRR */
#define OCW3_RR		0x02	/* RIS is valid */
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20	/* special mask mode on */
#define OCW3_ESMM	0x40	/* SMM is valid */

/* A poll read: bit 7 says an interrupt was pending, bits 2-0 which. */
#define POLL_INT	0x80

#define PIC_NLEVELS	8
#define PIC_IRQ_MASK	(PIC_NLEVELS - 1)
#define PIC_SPURIOUS	7	/* IR7: the default vector with no request */
#define PIC_LOWEST_INIT	7	/* after ICW1, IR0 has top priority */
#define PIC_ALL_MASKED	0xFF

/*
 * ELCR bits that must stay edge: IRQ 0 (PIT), 1 (keyboard), 2 (cascade),
 * 8 (RTC) and 13 (FPU error) are edge-only on a PC.
 */
#define ELCR0_WRITABLE	0xF8
#define ELCR1_WRITABLE	0xDE

enum pic_id {
	PIC_MASTER,
	PIC_SLAVE,
	PIC_NCHIPS
};

/* What the next write to the data port is. */
enum pic_init_step {
	PIC_READY,		/* OCW1 */
	PIC_WANT_ICW2,
	PIC_WANT_ICW3,
	PIC_WANT_ICW4
};

/* One 8259A. */
struct pic {
	uint8_t		 irr;		/* interrupt request register */
	uint8_t		 isr;		/* in-service register */
	uint8_t		 imr;		/* interrupt mask register */
	uint8_t		 lines;		/* input levels seen (edge sense) */
	uint8_t		 elcr;		/* 1 = level triggered */
	uint8_t		 elcr_writable;	/* [I] */
	uint8_t		 base;		/* ICW2 vector base */
	uint8_t		 icw3;		/* slave mask (master) or id (slave) */
	enum pic_init_step step;
	bool		 want_icw4;
	bool		 single;
	bool		 upm;		/* recorded; vectors are 8086-style */
	bool		 aeoi;
	bool		 sfnm;
	bool		 rotate_aeoi;
	uint8_t		 lowest;	/* the level with the lowest priority */
	bool		 read_isr;	/* OCW3: the command port reads ISR */
	bool		 poll;		/* OCW3: next command-port read polls */
	bool		 smm;		/* special mask mode */
};

/*
 * The pair.  Locking: one thread at a time (devices.h); vmd's pic_mtx
 * becomes the caller's job.
 */
struct i8259 {
	struct pic	 pic[PIC_NCHIPS];
	bool		 intr;		/* the master's INTR output */
	bool		 intr_seen;	/* INTR went up since the last INTA */
	i8259_intr_fn	 intr_changed;
	void		*intr_arg;
};

static inline uint8_t
irq_bit(int level)
{
	return ((uint8_t)(1U << level));
}

/* Priority of a level: 0 is the highest, 7 the lowest. */
static inline int
pic_priority(const struct pic *c, int level)
{
	return ((level - c->lowest - 1) & PIC_IRQ_MASK);
}

/* The highest-priority level set in mask, or -1. */
static int
pic_highest(const struct pic *c, uint8_t mask)
{
	int i, level;

	for (i = 0; i < PIC_NLEVELS; i++) {
		level = (c->lowest + 1 + i) & PIC_IRQ_MASK;
		if (mask & irq_bit(level))
			return (level);
	}
	return (-1);
}

/*
 * Priority resolution: the level this chip would present on INTA, or -1.
 * A request must be unmasked and of higher priority than every level in
 * service; special mask mode ignores in-service levels that are masked,
 * and special fully nested mode lets the master's cascade input through
 * while the cascade itself is in service (the slave resolves priority
 * among its own levels).
 */
static int
pic_resolve(const struct pic *c, bool master)
{
	uint8_t inservice;
	int req, cur;

	req = pic_highest(c, c->irr & ~c->imr);
	if (req < 0)
		return (-1);
	inservice = c->isr;
	if (c->smm)
		inservice &= ~c->imr;
	cur = pic_highest(c, inservice);
	if (cur < 0 || pic_priority(c, req) < pic_priority(c, cur))
		return (req);
	if (master && c->sfnm && req == I8259_CASCADE_IRQ &&
	    cur == I8259_CASCADE_IRQ)
		return (req);
	return (-1);
}

/* Is the master's IR2 wired to a slave (ICW1 cascade mode, ICW3 bit)? */
static bool
pic_cascaded(const struct pic *master)
{
	return (!master->single &&
	    (master->icw3 & irq_bit(I8259_CASCADE_IRQ)) != 0);
}

/*
 * Feed one input of one chip.  Level-triggered inputs make IRR follow the
 * line; edge-triggered ones latch a request on a rising edge.
 */
static void
pic_input(struct pic *c, int level, int high)
{
	uint8_t bit = irq_bit(level);

	if (c->elcr & bit) {
		if (high)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (high && !(c->lines & bit))
		c->irr |= bit;
	if (high)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/*
 * The INTA work on one chip for a resolved level: set ISR, clear an edge
 * request (a level request stays while its line is high), and in
 * auto-EOI mode end the interrupt at once, rotating if asked to.
 */
static void
pic_intack(struct pic *c, int level)
{
	uint8_t bit = irq_bit(level);

	c->isr |= bit;
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->aeoi) {
		c->isr &= ~bit;
		if (c->rotate_aeoi)
			c->lowest = level;
	}
}

/*
 * Recompute the cascade and the master's INTR, and tell the run loop
 * when INTR changes.  The slave's INT output is an edge into the master's
 * IR2 (IRQ 2 is edge-only on a PC), so a master request survives the
 * slave's request vanishing and the INTA that follows reads IRQ 15.
 */
static void
pic_update(struct i8259 *p)
{
	struct pic *m = &p->pic[PIC_MASTER];
	bool out;

	pic_input(m, I8259_CASCADE_IRQ,
	    pic_resolve(&p->pic[PIC_SLAVE], false) >= 0);
	out = pic_resolve(m, true) >= 0;
	if (out)
		p->intr_seen = true;
	if (out != p->intr) {
		p->intr = out;
		if (p->intr_changed != NULL)
			p->intr_changed(p->intr_arg, out);
	}
}

/*
 * ICW1: start the initialisation sequence.  Per the datasheet the edge
 * sense is reset (an input must rise again), IMR is cleared, IR7 gets the
 * lowest priority, special mask mode is cleared, reads select IRR, and
 * without IC4 the ICW4 functions are zero.  In-service and latched edge
 * requests are dropped as vmd does; a level input still high requests.
 */
static void
pic_icw1(struct pic *c, uint8_t v)
{
	c->want_icw4 = (v & ICW1_IC4) != 0;
	c->single = (v & ICW1_SNGL) != 0;
	c->isr = 0;
	c->imr = 0;
	c->irr = c->lines & c->elcr;
	c->lowest = PIC_LOWEST_INIT;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	c->aeoi = false;
	c->sfnm = false;
	c->upm = false;
	c->step = PIC_WANT_ICW2;
}

/* A data-port write during initialisation: ICW2, ICW3 or ICW4. */
static void
pic_icw(struct pic *c, uint8_t v)
{
	switch (c->step) {
	case PIC_WANT_ICW2:
		c->base = v & ICW2_BASE_MASK;
		if (!c->single)
			c->step = PIC_WANT_ICW3;
		else
			c->step = c->want_icw4 ? PIC_WANT_ICW4 : PIC_READY;
		break;
	case PIC_WANT_ICW3:
		c->icw3 = v;
		c->step = c->want_icw4 ? PIC_WANT_ICW4 : PIC_READY;
		break;
	case PIC_WANT_ICW4:
		c->upm = (v & ICW4_UPM) != 0;
		c->aeoi = (v & ICW4_AEOI) != 0;
		c->sfnm = (v & ICW4_SFNM) != 0;
		c->step = PIC_READY;
		break;
	case PIC_READY:
		break;
	}
}

/* OCW2: end of interrupt, rotation and priority commands. */
static void
pic_ocw2(struct pic *c, uint8_t v)
{
	int level = v & OCW2_LEVEL_MASK;

	switch (v & OCW2_CMD_MASK) {
	case OCW2_ROT_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case OCW2_ROT_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case OCW2_EOI:
	case OCW2_ROT_EOI:
		level = pic_highest(c, c->isr);
		if (level < 0)
			break;
		c->isr &= ~irq_bit(level);
		if ((v & OCW2_CMD_MASK) == OCW2_ROT_EOI)
			c->lowest = level;
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= ~irq_bit(level);
		break;
	case OCW2_ROT_SPECIFIC_EOI:
		c->isr &= ~irq_bit(level);
		c->lowest = level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = level;
		break;
	case OCW2_NOP:
		break;
	}
}

/* OCW3: register read select, poll, special mask mode. */
static void
pic_ocw3(struct pic *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->smm = (v & OCW3_SMM) != 0;
	if (v & OCW3_RR)
		c->read_isr = (v & OCW3_RIS) != 0;
	if (v & OCW3_POLL)
		c->poll = true;
}

/*
 * The read after a poll command: acknowledge this chip's highest request
 * as an INTA would (without the cascade; software polls the slave itself)
 * and return 0x80 | level, or 0 when nothing is pending.
 */
static uint8_t
pic_poll(struct pic *c, bool master)
{
	int level;

	c->poll = false;
	level = pic_resolve(c, master);
	if (level < 0)
		return (0);
	pic_intack(c, level);
	return (POLL_INT | (uint8_t)level);
}

/*
 * The PIC ports, 0x20-0x21 and 0xA0-0xA1, byte access only.  Returns 0,
 * or EINVAL for a wider access.
 */
static int
i8259_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct i8259 *p = dev;
	bool master = (port & ~1U) == I8259_MASTER_CMD;
	struct pic *c = &p->pic[master ? PIC_MASTER : PIC_SLAVE];
	bool cmd = (port & 1U) == 0;
	uint8_t v;

	if (size != 1)
		return (EINVAL);
	if (dir == DEV_IO_IN) {
		if (!cmd)
			v = c->imr;
		else if (c->poll)
			v = pic_poll(c, master);
		else
			v = c->read_isr ? c->isr : c->irr;
		*data = v;
	} else {
		v = (uint8_t)*data;
		if (cmd && (v & ICW1_SELECT))
			pic_icw1(c, v);
		else if (cmd && (v & OCW_SELECT_OCW3))
			pic_ocw3(c, v);
		else if (cmd)
			pic_ocw2(c, v);
		else if (c->step != PIC_READY)
			pic_icw(c, v);
		else
			c->imr = v;
	}
	pic_update(p);
	return (0);
}

/* Change one chip's ELCR; a line switched to level re-reads its input. */
static void
pic_set_elcr(struct pic *c, uint8_t v)
{
	uint8_t now_level;

	v &= c->elcr_writable;
	now_level = v & ~c->elcr;
	c->elcr = v;
	c->irr = (c->irr & ~now_level) | (c->lines & now_level);
}

/*
 * The ELCR ports, 0x4D0 (IRQ 0-7) and 0x4D1 (IRQ 8-15): a byte at either,
 * or a word at 0x4D0 covering both.  Bits of edge-only IRQs read 0 and
 * ignore writes.
 */
static int
i8259_elcr_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct i8259 *p = dev;
	int first = port - I8259_ELCR0;
	int i, n;

	if (size == 1)
		n = 1;
	else if (size == 2 && port == I8259_ELCR0)
		n = PIC_NCHIPS;
	else
		return (EINVAL);
	if (dir == DEV_IO_IN) {
		*data = 0;
		for (i = 0; i < n; i++)
			*data |= (uint32_t)p->pic[first + i].elcr << (8 * i);
		return (0);
	}
	for (i = 0; i < n; i++)
		pic_set_elcr(&p->pic[first + i], (uint8_t)(*data >> (8 * i)));
	pic_update(p);
	return (0);
}

/*
 * Allocate the pair in the state a PC BIOS leaves it: vector bases 0x08
 * and 0x70, the slave on IR2 with id 2, all edge triggered, every IRQ
 * masked until the guest programs the chips.  NULL on ENOMEM.
 */
struct i8259 *
i8259_create(void)
{
	struct i8259 *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	for (i = 0; i < PIC_NCHIPS; i++) {
		p->pic[i].imr = PIC_ALL_MASKED;
		p->pic[i].lowest = PIC_LOWEST_INIT;
		p->pic[i].upm = true;
		p->pic[i].step = PIC_READY;
	}
	p->pic[PIC_MASTER].base = I8259_MASTER_DEFAULT_BASE;
	p->pic[PIC_MASTER].icw3 = irq_bit(I8259_CASCADE_IRQ);
	p->pic[PIC_MASTER].elcr_writable = ELCR0_WRITABLE;
	p->pic[PIC_SLAVE].base = I8259_SLAVE_DEFAULT_BASE;
	p->pic[PIC_SLAVE].icw3 = I8259_CASCADE_IRQ;
	p->pic[PIC_SLAVE].elcr_writable = ELCR1_WRITABLE;
	return (p);
}

void
i8259_destroy(struct i8259 *p)
{
	free(p);
}

/*
 * Claim the master, slave and ELCR ports in t.  Returns 0 or the errno of
 * dev_ports_register (EBUSY if a port is taken; earlier ranges stay
 * claimed).
 */
int
i8259_register(struct i8259 *p, struct dev_port_table *t)
{
	int error;

	if ((error = dev_ports_register(t, I8259_MASTER_CMD, 2, i8259_io,
	    p)) != 0)
		return (error);
	if ((error = dev_ports_register(t, I8259_SLAVE_CMD, 2, i8259_io,
	    p)) != 0)
		return (error);
	return (dev_ports_register(t, I8259_ELCR0, PIC_NCHIPS, i8259_elcr_io,
	    p));
}

/* Set the callback run when INTR changes (NULL for none). */
void
i8259_set_intr_changed(struct i8259 *p, i8259_intr_fn fn, void *arg)
{
	p->intr_changed = fn;
	p->intr_arg = arg;
}

/*
 * Drive IRQ line irq (0-15) to level (non-zero is high).  IRQ 2 is the
 * cascade, driven by the slave; it and out-of-range numbers are ignored.
 */
void
i8259_set_irq(struct i8259 *p, int irq, int level)
{
	if (irq < 0 || irq >= I8259_NIRQ || irq == I8259_CASCADE_IRQ)
		return;
	pic_input(&p->pic[irq / PIC_NLEVELS], irq & PIC_IRQ_MASK,
	    level != 0);
	pic_update(p);
}

static void
i8259_line_set(void *arg, int irq, int level)
{
	i8259_set_irq(arg, irq, level);
}

/* The interrupt line to hand to device models. */
struct dev_irq
i8259_irq_line(struct i8259 *p)
{
	struct dev_irq l = { .set = i8259_line_set, .arg = p };

	return (l);
}

/*
 * Make irq level (true) or edge (false) triggered, as vmd does for the
 * PCI IRQs it hands out.  EINVAL for a bad or edge-only IRQ.
 */
int
i8259_set_elcr(struct i8259 *p, int irq, bool level)
{
	struct pic *c;
	uint8_t bit;

	if (irq < 0 || irq >= I8259_NIRQ)
		return (EINVAL);
	c = &p->pic[irq / PIC_NLEVELS];
	bit = irq_bit(irq & PIC_IRQ_MASK);
	if (!(c->elcr_writable & bit))
		return (EINVAL);
	pic_set_elcr(c, level ? c->elcr | bit : c->elcr & ~bit);
	pic_update(p);
	return (0);
}

/* Would the master raise INTR: is an unmasked request deliverable? */
bool
i8259_pending(struct i8259 *p)
{
	return (p->intr);
}

/*
 * The INTA cycle.  Resolves the master; for its cascade input the slave
 * supplies the vector.  Updates IRR and ISR (auto-EOI included) and
 * returns the vector.  If INTR went up since the last INTA but its
 * request has gone (a level line dropped, an IRQ masked), returns the
 * spurious IR7 vector of the chip that lost it, leaving its ISR alone.
 * Returns -1 when INTR never went up.
 */
int
i8259_ack(struct i8259 *p)
{
	struct pic *m = &p->pic[PIC_MASTER];
	struct pic *s = &p->pic[PIC_SLAVE];
	int level, slevel, vector;

	level = pic_resolve(m, true);
	if (level < 0) {
		vector = p->intr_seen ? m->base | PIC_SPURIOUS : -1;
		p->intr_seen = false;
		return (vector);
	}
	pic_intack(m, level);
	if (level == I8259_CASCADE_IRQ && pic_cascaded(m)) {
		slevel = pic_resolve(s, false);
		if (slevel < 0)
			vector = s->base | PIC_SPURIOUS;
		else {
			pic_intack(s, slevel);
			vector = s->base | slevel;
		}
		/* The slave's INT drops during INTA; a new one is an edge. */
		m->lines &= ~irq_bit(I8259_CASCADE_IRQ);
	} else
		vector = m->base | level;
	p->intr_seen = false;
	pic_update(p);
	return (vector);
}

/* Field by field: padding and the callback pointers are not state. */
void
i8259_hash(const struct i8259 *sc, struct statehash *sh)
{
	const struct pic *c;
	int i;

	for (i = 0; i < PIC_NCHIPS; i++) {
		c = &sc->pic[i];
		statehash_u64(sh, c->irr);
		statehash_u64(sh, c->isr);
		statehash_u64(sh, c->imr);
		statehash_u64(sh, c->lines);
		statehash_u64(sh, c->elcr);
		statehash_u64(sh, c->elcr_writable);
		statehash_u64(sh, c->base);
		statehash_u64(sh, c->icw3);
		statehash_u64(sh, (uint64_t)c->step);
		statehash_u64(sh, c->want_icw4);
		statehash_u64(sh, c->single);
		statehash_u64(sh, c->upm);
		statehash_u64(sh, c->aeoi);
		statehash_u64(sh, c->sfnm);
		statehash_u64(sh, c->rotate_aeoi);
		statehash_u64(sh, c->lowest);
		statehash_u64(sh, c->read_isr);
		statehash_u64(sh, c->poll);
		statehash_u64(sh, c->smm);
	}
	statehash_u64(sh, sc->intr);
	statehash_u64(sh, sc->intr_seen);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
i8259_snap(struct i8259 *pic, struct snapbuf *sb)
{
	struct pic *p;
	uint32_t step;
	int i;

	for (i = 0; i < PIC_NCHIPS; i++) {
		p = &pic->pic[i];
		SB_INT(sb, p->irr);
		SB_INT(sb, p->isr);
		SB_INT(sb, p->imr);
		SB_INT(sb, p->lines);
		SB_INT(sb, p->elcr);
		SB_INT(sb, p->base);
		SB_INT(sb, p->icw3);
		step = (uint32_t)p->step;
		SB_INT(sb, step);
		snapbuf_check(sb, step, PIC_WANT_ICW4 + 1);
		p->step = (enum pic_init_step)(step <= PIC_WANT_ICW4 ? step : 0);
		SB_BOOL(sb, p->want_icw4);
		SB_BOOL(sb, p->single);
		SB_BOOL(sb, p->upm);
		SB_BOOL(sb, p->aeoi);
		SB_BOOL(sb, p->sfnm);
		SB_BOOL(sb, p->rotate_aeoi);
		SB_INT(sb, p->lowest);
		snapbuf_check(sb, p->lowest, 8);
		SB_BOOL(sb, p->read_isr);
		SB_BOOL(sb, p->poll);
		SB_BOOL(sb, p->smm);
	}
	SB_BOOL(sb, pic->intr);
	SB_BOOL(sb, pic->intr_seen);
}
