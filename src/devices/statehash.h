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
 * A 64-bit hash for replay identities and checkpoints: image contents,
 * guest memory, device state.  Not cryptographic; it is there to tell a
 * replay that it is not looking at what was recorded, and a single
 * flipped bit changes about half the output bits.
 *
 * Two forms.  statehash_buf() hashes a buffer in one go, reading it 32
 * bytes at a time on four independent lanes so that a multi-GiB guest
 * memory hashes at memory speed.  struct statehash accumulates small
 * values (device registers, counters) one by one, each widened to 64
 * bits so that the same values give the same hash whatever their C type.
 * Both are defined byte for byte in docs/replay-format.md: a log stays
 * readable whoever wrote it.
 */

#ifndef VMMSIM_DEVICES_STATEHASH_H
#define VMMSIM_DEVICES_STATEHASH_H

#include <stddef.h>
#include <stdint.h>

#define STATEHASH_SEED	0x7265706c61796cULL	/* "replayl" */

struct statehash {
	uint64_t	h;
	uint64_t	n;		/* values fed */
};

uint64_t	statehash_buf(const void *, size_t len, uint64_t seed);

void		statehash_init(struct statehash *);
void		statehash_u64(struct statehash *, uint64_t);
void		statehash_bytes(struct statehash *, const void *, size_t);
uint64_t	statehash_final(const struct statehash *);

#endif /* VMMSIM_DEVICES_STATEHASH_H */
