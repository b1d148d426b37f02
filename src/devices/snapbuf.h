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
 * A byte buffer for device state in snapshots (docs/snapshot-format.md).
 * Each device has one transfer function that walks its state in a fixed
 * order and either appends every field (saving) or takes it back
 * (restoring), so the two directions cannot drift apart.  Integers are
 * little-endian at their C width; a bool is one byte, 0 or 1.  Reading
 * past the end or a bool that is neither sets error and yields zeros, so
 * a transfer function checks once at its end, not at every field.
 */

#ifndef VMMSIM_DEVICES_SNAPBUF_H
#define VMMSIM_DEVICES_SNAPBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dev_clock;
struct dev_timer;

struct snapbuf {
	uint8_t		*buf;
	size_t		 len;		/* saving: bytes written */
	size_t		 cap;
	size_t		 pos;		/* restoring: bytes taken */
	int		 error;		/* ENOMEM saving, EINVAL restoring */
	int		 save;		/* the direction */
};

void	snapbuf_init_save(struct snapbuf *);
void	snapbuf_init_restore(struct snapbuf *, const uint8_t *, size_t);
void	snapbuf_free(struct snapbuf *);

/* One field of size bytes at p, either way; size is 1, 2, 4 or 8. */
void	snapbuf_int(struct snapbuf *, void *p, size_t size);
void	snapbuf_bool(struct snapbuf *, bool *);
void	snapbuf_bytes(struct snapbuf *, void *, size_t);
/*
 * A timer: armed and deadline.  Restoring disarms it and arms it again
 * on clock if it was armed.
 */
void	snapbuf_timer(struct snapbuf *, const struct dev_clock *,
	    struct dev_timer *);
/* Restoring: fail unless v < limit (an index, a count). */
void	snapbuf_check(struct snapbuf *, uint64_t v, uint64_t limit);

#define SB_INT(sb, f)	snapbuf_int((sb), &(f), sizeof(f))
#define SB_BOOL(sb, f)	snapbuf_bool((sb), &(f))

#endif /* VMMSIM_DEVICES_SNAPBUF_H */
