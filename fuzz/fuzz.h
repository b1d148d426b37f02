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
 * What the libFuzzer targets share: a reader that turns the fuzzer's bytes
 * into choices.  Past the end of the input every read gives 0, so a short
 * input is a valid (and usually the simplest) program, and the mutator's
 * byte flips map onto the choices one for one.
 */

#ifndef VMMSIM_FUZZ_FUZZ_H
#define VMMSIM_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fz {
	const uint8_t	*p;
	size_t		 n;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static inline void
fz_init(struct fz *f, const uint8_t *data, size_t len)
{
	f->p = data;
	f->n = len;
}

static inline int
fz_empty(const struct fz *f)
{
	return (f->n == 0);
}

/* Copies len bytes, zero-filling what the input does not have. */
static inline void
fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	f->p += k;
	f->n -= k;
}

/* Copies up to len bytes, leaving what the input does not have as it was. */
static inline void
fz_bytes_over(struct fz *f, void *dst, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(dst, f->p, k);
	f->p += k;
	f->n -= k;
}

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return (v);
}

static inline uint16_t
fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, 2);
	return (v);
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, 4);
	return (v);
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, 8);
	return (v);
}

/* A choice among n (n >= 1) from one byte. */
static inline unsigned int
fz_pick(struct fz *f, unsigned int n)
{
	return (fz_u8(f) % n);
}

/*
 * A 64-bit value drawn mostly from values that sit on edges (0, all ones,
 * sign bits, page and canonical boundaries), else raw from the input:
 * random 64-bit numbers almost never hit the interesting comparisons.
 */
static inline uint64_t
fz_edge64(struct fz *f)
{
	static const uint64_t edges[] = {
		0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFF, 0x1000, 0xFFFF, 0x10000,
		0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000ULL,
		0x00007FFFFFFFFFFFULL, 0x0000800000000000ULL,
		0xFFFF800000000000ULL, 0x7FFFFFFFFFFFFFFFULL,
		0x8000000000000000ULL, 0xFFFFFFFFFFFFFFFFULL,
		0xFFFFFFFFFFFFF000ULL, 0x000FFFFFFFFFF000ULL
	};
	uint8_t c = fz_u8(f);

	if (c < 2 * (sizeof(edges) / sizeof(edges[0])))
		return (edges[c / 2]);
	return (fz_u64(f));
}

#endif /* VMMSIM_FUZZ_FUZZ_H */
