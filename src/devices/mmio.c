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
 * The MMIO range table (mmio.h): regions sorted by base in a growable
 * array, found by binary search.  A machine has a handful of them (PCI
 * BARs, an APIC, fw_cfg), so insertion by moving the tail is cheap.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/mmio.h"

void
mmio_table_init(struct mmio_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
mmio_table_fini(struct mmio_table *t)
{
	free(t->r);
	memset(t, 0, sizeof(*t));
}

/* The index of the first region whose base is above gpa (0..n). */
static size_t
upper_bound(const struct mmio_table *t, uint64_t gpa)
{
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->r[mid].base <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

const struct mmio_region *
mmio_lookup(const struct mmio_table *t, uint64_t gpa)
{
	size_t i = upper_bound(t, gpa);
	const struct mmio_region *r;

	if (i == 0)
		return (NULL);
	r = &t->r[i - 1];
	return (gpa - r->base < r->len ? r : NULL);
}

int
mmio_register(struct mmio_table *t, uint64_t base, uint64_t len, mmio_fn fn,
    void *dev)
{
	struct mmio_region *nr;
	size_t i, cap;

	if (len == 0 || fn == NULL || base + (len - 1) < base)
		return (EINVAL);
	i = upper_bound(t, base);
	/* The region before must end before base, the one after start past. */
	if (i > 0 && base - t->r[i - 1].base < t->r[i - 1].len)
		return (EEXIST);
	if (i < t->n && t->r[i].base - base < len)
		return (EEXIST);
	if (t->n == t->cap) {
		cap = t->cap == 0 ? 8 : t->cap * 2;
		if ((nr = reallocarray(t->r, cap, sizeof(*nr))) == NULL)
			return (ENOMEM);
		t->r = nr;
		t->cap = cap;
	}
	memmove(&t->r[i + 1], &t->r[i], (t->n - i) * sizeof(*t->r));
	t->r[i].base = base;
	t->r[i].len = len;
	t->r[i].fn = fn;
	t->r[i].dev = dev;
	t->n++;
	return (0);
}

int
mmio_unregister(struct mmio_table *t, uint64_t base)
{
	size_t i = upper_bound(t, base);

	if (i == 0 || t->r[i - 1].base != base)
		return (ENOENT);
	i--;
	memmove(&t->r[i], &t->r[i + 1], (t->n - i - 1) * sizeof(*t->r));
	t->n--;
	return (0);
}

static uint64_t
ones(int size)
{
	return (size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1);
}

int
mmio_access(const struct mmio_table *t, uint64_t gpa, int is_write, int size,
    uint64_t *data)
{
	const struct mmio_region *r;
	uint64_t off;
	int error;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return (EINVAL);
	r = mmio_lookup(t, gpa);
	off = r != NULL ? gpa - r->base : 0;
	if (r == NULL || r->len - off < (uint64_t)size) {
		if (!is_write)
			*data = ones(size);
		return (ENODEV);
	}
	if (is_write)
		*data &= ones(size);
	error = r->fn(r->dev, off, is_write, size, data);
	if (!is_write)
		*data = error != 0 ? ones(size) : *data & ones(size);
	return (error);
}
