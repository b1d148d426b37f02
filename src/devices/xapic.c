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
 * The xAPIC register page (xapic.h says what it models and what not).
 */

#include <errno.h>
#include <string.h>

#include "devices/xapic.h"

#define XAPIC_VERSION	0x00050014U	/* max LVT entry 5, version 0x14 */
#define LVT_MASKED	0x00010000U

/*
 * The registers that exist, with their reset value and the bits a write
 * changes (SDM Vol. 3A Table 11-1 and §11.4-§11.6).  A write to a
 * read-only one (version, APR, PPR, ISR, TMR, IRR, current count) or to
 * EOI is accepted and changes nothing.
 */
static const struct xapic_reg {
	uint16_t	off;
	uint32_t	reset;
	uint32_t	wmask;
} xapic_regs[] = {
	{ 0x020, 0,		0xFF000000 },	/* ID */
	{ 0x030, XAPIC_VERSION,	0 },		/* version */
	{ 0x080, 0,		0x000000FF },	/* TPR */
	{ 0x090, 0,		0 },		/* APR */
	{ 0x0A0, 0,		0 },		/* PPR */
	{ 0x0B0, 0,		0 },		/* EOI */
	{ 0x0D0, 0,		0xFF000000 },	/* LDR */
	{ 0x0E0, 0xFFFFFFFF,	0xF0000000 },	/* DFR */
	{ 0x0F0, 0x000000FF,	0x000013FF },	/* SVR */
	{ 0x280, 0,		0x000000EF },	/* ESR */
	{ 0x2F0, LVT_MASKED,	0x000107FF },	/* LVT CMCI */
	{ 0x300, 0,		0x000CCFFF },	/* ICR low, delivery idle */
	{ 0x310, 0,		0xFF000000 },	/* ICR high */
	{ 0x320, LVT_MASKED,	0x000700FF },	/* LVT timer */
	{ 0x330, LVT_MASKED,	0x000107FF },	/* LVT thermal */
	{ 0x340, LVT_MASKED,	0x000107FF },	/* LVT performance */
	{ 0x350, LVT_MASKED,	0x0001A7FF },	/* LVT LINT0 */
	{ 0x360, LVT_MASKED,	0x0001A7FF },	/* LVT LINT1 */
	{ 0x370, LVT_MASKED,	0x000100FF },	/* LVT error */
	{ 0x380, 0,		0xFFFFFFFF },	/* timer initial count */
	{ 0x390, 0,		0 },		/* timer current count */
	{ 0x3E0, 0,		0x0000000B },	/* timer divide */
};

static const struct xapic_reg *
xapic_reg(uint64_t off)
{
	size_t i;

	for (i = 0; i < sizeof(xapic_regs) / sizeof(xapic_regs[0]); i++)
		if (xapic_regs[i].off == off)
			return (&xapic_regs[i]);
	return (NULL);
}

void
xapic_reset(struct xapic *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < sizeof(xapic_regs) / sizeof(xapic_regs[0]); i++)
		a->reg[xapic_regs[i].off / 16] = xapic_regs[i].reset;
}

int
xapic_mmio(void *dev, uint64_t off, int is_write, int size, uint64_t *data)
{
	struct xapic *a = dev;
	const struct xapic_reg *r;
	uint32_t *p;

	/* Only aligned 32-bit accesses are defined (§11.4.1). */
	if (size != 4 || (off & 0xF) != 0 || off >= XAPIC_SIZE)
		return (EINVAL);
	p = &a->reg[off / 16];
	r = xapic_reg(off);
	if (!is_write) {
		/* The ISR, TMR and IRR banks and reserved offsets read 0. */
		*data = r != NULL ? *p : 0;
		return (0);
	}
	if (r != NULL)
		*p = (*p & ~r->wmask) | ((uint32_t)*data & r->wmask);
	return (0);
}

int
xapic_attach(struct xapic *a, struct mmio_table *t)
{
	xapic_reset(a);
	return (mmio_register(t, XAPIC_BASE, XAPIC_SIZE, xapic_mmio, a));
}
