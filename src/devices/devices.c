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
 * The port table and the virtual clock (devices.h).
 */

#include <errno.h>
#include <string.h>

#include "devices/devices.h"

void
dev_ports_init(struct dev_port_table *t)
{
	memset(t, 0, sizeof(*t));
}

/* Give ports [first, first + count) to a device; EBUSY if one is taken. */
int
dev_ports_register(struct dev_port_table *t, uint16_t first, unsigned count,
    dev_io_fn fn, void *dev)
{
	unsigned i;

	if (count == 0 || (unsigned)first + count > 65536 || fn == NULL)
		return (EINVAL);
	for (i = 0; i < count; i++)
		if (t->fn[first + i] != NULL)
			return (EBUSY);
	for (i = 0; i < count; i++) {
		t->fn[first + i] = fn;
		t->dev[first + i] = dev;
	}
	return (0);
}

/*
 * Release ports [first, first + count) that belong to dev; ports held by
 * someone else are left alone, so a device that moves (a PCI BAR) cannot
 * take a neighbour's ports down with it.
 */
int
dev_ports_unregister(struct dev_port_table *t, uint16_t first,
    unsigned count, void *dev)
{
	unsigned i;

	if (count == 0 || (unsigned)first + count > 65536)
		return (EINVAL);
	for (i = 0; i < count; i++)
		if (t->fn[first + i] != NULL && t->dev[first + i] == dev) {
			t->fn[first + i] = NULL;
			t->dev[first + i] = NULL;
		}
	return (0);
}

/*
 * Dispatch one access.  A port nobody claimed reads as all ones and
 * ignores writes, like an ISA bus with nothing on it; returns ENODEV then.
 */
int
dev_ports_io(struct dev_port_table *t, uint16_t port, int dir, int size,
    uint32_t *data)
{
	int error;

	if (t->fn[port] == NULL) {
		if (dir == DEV_IO_IN)
			*data = size == 4 ? 0xFFFFFFFFU : (1U << (8 * size)) - 1;
		return (ENODEV);
	}
	error = t->fn[port](t->dev[port], port, dir, size, data);
	if (error != 0 && dir == DEV_IO_IN)
		*data = size == 4 ? 0xFFFFFFFFU : (1U << (8 * size)) - 1;
	return (error);
}

static uint64_t
vclock_now(void *arg)
{
	return (((struct dev_vclock *)arg)->now);
}

static void
vclock_unlink(struct dev_vclock *c, struct dev_timer *t)
{
	struct dev_timer **pp;

	for (pp = &c->timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->next = NULL;
	t->armed = false;
}

static void
vclock_arm(void *arg, struct dev_timer *t, uint64_t at)
{
	struct dev_vclock *c = arg;
	struct dev_timer **pp;

	if (t->armed)
		vclock_unlink(c, t);
	t->at = at;
	t->armed = true;
	for (pp = &c->timers; *pp != NULL && (*pp)->at <= at; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
}

static void
vclock_disarm(void *arg, struct dev_timer *t)
{
	if (t->armed)
		vclock_unlink(arg, t);
}

void
dev_vclock_init(struct dev_vclock *c)
{
	memset(c, 0, sizeof(*c));
	c->clock.now = vclock_now;
	c->clock.arm = vclock_arm;
	c->clock.disarm = vclock_disarm;
	c->clock.arg = c;
}

/*
 * Move time forward to "to", firing every timer due by then in deadline
 * order; the clock reads each timer's own deadline while it fires, so a
 * periodic device re-arms relative to the exact tick.
 */
void
dev_vclock_advance(struct dev_vclock *c, uint64_t to)
{
	struct dev_timer *t;

	while ((t = c->timers) != NULL && t->at <= to) {
		vclock_unlink(c, t);
		if (t->at > c->now)
			c->now = t->at;
		t->fire(t->dev);
	}
	if (to > c->now)
		c->now = to;
}

uint64_t
dev_vclock_next(const struct dev_vclock *c)
{
	return (c->timers != NULL ? c->timers->at : UINT64_MAX);
}
