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
 * The replay hash (statehash.h).  Four lanes of multiply-rotate over
 * 32-byte stripes, the tail folded in word by word and then byte by
 * byte, and the splitmix64 finalizer to spread every input bit over the
 * result.  The exact steps are in docs/replay-format.md.
 */

#include <string.h>

#include "devices/statehash.h"

#define K1	0x9E3779B97F4A7C15ULL	/* 2^64 / golden ratio */
#define K2	0xBF58476D1CE4E5B9ULL	/* splitmix64's multipliers */
#define K3	0x94D049BB133111EBULL
#define K4	0xD6E8FEB86659FD93ULL

static inline uint64_t
rotl(uint64_t v, int n)
{
	return ((v << n) | (v >> (64 - n)));
}

/* Little-endian whatever the host is: a log is portable. */
static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return (v);
}

static inline uint64_t
lane(uint64_t v, uint64_t w)
{
	v += w * K2;
	v = rotl(v, 31);
	return (v * K1);
}

static inline uint64_t
mix64(uint64_t z)
{
	z ^= z >> 30;
	z *= K2;
	z ^= z >> 27;
	z *= K3;
	z ^= z >> 31;
	return (z);
}

uint64_t
statehash_buf(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;
	uint64_t v[4], h;
	size_t left = len;
	int i;

	for (i = 0; i < 4; i++)
		v[i] = seed + K1 * (uint64_t)(i + 1);
	while (left >= 32) {
		v[0] = lane(v[0], load_le64(p));
		v[1] = lane(v[1], load_le64(p + 8));
		v[2] = lane(v[2], load_le64(p + 16));
		v[3] = lane(v[3], load_le64(p + 24));
		p += 32;
		left -= 32;
	}
	h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
	h ^= (uint64_t)len * K4;
	while (left >= 8) {
		h = lane(h, load_le64(p));
		p += 8;
		left -= 8;
	}
	while (left > 0) {
		h = lane(h, *p++);
		left--;
	}
	return (mix64(h));
}

void
statehash_init(struct statehash *sh)
{
	sh->h = STATEHASH_SEED;
	sh->n = 0;
}

void
statehash_u64(struct statehash *sh, uint64_t v)
{
	sh->h = lane(sh->h ^ K3, v);
	sh->n++;
}

void
statehash_bytes(struct statehash *sh, const void *buf, size_t len)
{
	statehash_u64(sh, statehash_buf(buf, len, STATEHASH_SEED));
}

uint64_t
statehash_final(const struct statehash *sh)
{
	return (mix64(sh->h ^ (sh->n * K4)));
}
