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
 * Device state for snapshots (snapbuf.h).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "devices/snapbuf.h"

void
snapbuf_init_save(struct snapbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->save = 1;
}

void
snapbuf_init_restore(struct snapbuf *sb, const uint8_t *buf, size_t len)
{
	memset(sb, 0, sizeof(*sb));
	sb->buf = (uint8_t *)(uintptr_t)buf;	/* only read */
	sb->len = len;
}

void
snapbuf_free(struct snapbuf *sb)
{
	if (sb->save)
		free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

static void
put(struct snapbuf *sb, const void *p, size_t n)
{
	uint8_t *nb;
	size_t nc;

	if (sb->error != 0)
		return;
	if (sb->cap - sb->len < n) {
		nc = sb->cap != 0 ? sb->cap : 4096;
		while (nc - sb->len < n)
			nc *= 2;
		if ((nb = realloc(sb->buf, nc)) == NULL) {
			sb->error = ENOMEM;
			return;
		}
		sb->buf = nb;
		sb->cap = nc;
	}
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
}

static void
get(struct snapbuf *sb, void *p, size_t n)
{
	if (sb->error != 0 || sb->len - sb->pos < n) {
		sb->error = EINVAL;
		memset(p, 0, n);
		return;
	}
	memcpy(p, sb->buf + sb->pos, n);
	sb->pos += n;
}

void
snapbuf_int(struct snapbuf *sb, void *p, size_t size)
{
	uint8_t le[8];
	uint64_t v = 0;
	size_t i;

	if (sb->save) {
		switch (size) {
		case 1: v = *(uint8_t *)p; break;
		case 2: v = *(uint16_t *)p; break;
		case 4: v = *(uint32_t *)p; break;
		default: v = *(uint64_t *)p; break;
		}
		for (i = 0; i < size; i++)
			le[i] = (uint8_t)(v >> (8 * i));
		put(sb, le, size);
		return;
	}
	get(sb, le, size);
	for (i = 0; i < size; i++)
		v |= (uint64_t)le[i] << (8 * i);
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

void
snapbuf_bool(struct snapbuf *sb, bool *b)
{
	uint8_t v = *b ? 1 : 0;

	snapbuf_int(sb, &v, 1);
	if (v > 1)
		sb->error = EINVAL;
	*b = v == 1;
}

void
snapbuf_bytes(struct snapbuf *sb, void *p, size_t n)
{
	if (sb->save)
		put(sb, p, n);
	else
		get(sb, p, n);
}

void
snapbuf_timer(struct snapbuf *sb, const struct dev_clock *clock,
    struct dev_timer *t)
{
	bool armed = t->armed;
	uint64_t at = t->at;

	SB_BOOL(sb, armed);
	SB_INT(sb, at);
	if (sb->save || sb->error != 0)
		return;
	clock->disarm(clock->arg, t);
	if (armed)
		clock->arm(clock->arg, t, at);
}

void
snapbuf_check(struct snapbuf *sb, uint64_t v, uint64_t limit)
{
	if (!sb->save && v >= limit)
		sb->error = EINVAL;
}
