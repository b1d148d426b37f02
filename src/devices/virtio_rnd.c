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
 * virtio entropy device (virtio.h).
 *
 * vmd fills each buffer from arc4random_buf.  Here the bytes come from a
 * ChaCha20 keystream (RFC 8439, 2.3: 20 rounds, 32-bit block counter,
 * 96-bit nonce of zeros) so that a seeded VM is replayable: the guest
 * receives the same bytes in the same order on every run.  The key is
 * the seed run through splitmix64 four times (a 64-bit seed, spread over
 * 256 bits of key), or 32 bytes of getrandom(2) without a seed.  After
 * 2^32 blocks (256 GiB) the counter wraps into the nonce's first word,
 * which keeps the stream unrepeated.  This is a reproducible source for
 * testing, not a cryptographic service: in deterministic mode anybody
 * who knows the seed knows the guest's entropy.
 */

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"
#include "devices/snapbuf.h"

#define VIRTIO_RND_CLASS	0x08	/* base system peripheral, as vmd */
#define VIRTIO_RND_SUBCLASS	0x80	/* other */
#define CHACHA_BLOCK		64

struct virtio_rnd {
	struct virtio_dev	 vd;		/* first: the ops' argument */
	uint32_t		 state[16];	/* constants, key, ctr, nonce */
	uint8_t			 block[CHACHA_BLOCK];
	unsigned		 pos;		/* used bytes of block */
	uint8_t			*buf;		/* [I] one request's bytes */
};

static uint32_t
rotl32(uint32_t v, int n)
{
	return (v << n | v >> (32 - n));
}

#define QR(a, b, c, d) do {						\
	a += b; d ^= a; d = rotl32(d, 16);				\
	c += d; b ^= c; b = rotl32(b, 12);				\
	a += b; d ^= a; d = rotl32(d, 8);				\
	c += d; b ^= c; b = rotl32(b, 7);				\
} while (0)

/* RFC 8439 2.3: one 64-byte block, then the counter moves on. */
static void
chacha20_block(uint32_t *state, uint8_t *out)
{
	uint32_t x[16];
	int i;

	memcpy(x, state, sizeof(x));
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++) {
		uint32_t v = x[i] + state[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
	if (++state[12] == 0)
		state[13]++;
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

static void
rnd_fill(struct virtio_rnd *sc, uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t n;

		if (sc->pos == CHACHA_BLOCK) {
			chacha20_block(sc->state, sc->block);
			sc->pos = 0;
		}
		n = CHACHA_BLOCK - sc->pos;
		if (n > len)
			n = len;
		memcpy(p, sc->block + sc->pos, n);
		sc->pos += (unsigned)n;
		p += n;
		len -= n;
	}
}

static void
rnd_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_rnd *sc = (struct virtio_rnd *)vd;
	struct virtio_chain c;
	bool done = false;

	while (virtio_queue_pop(vd, q, &c) == 1) {
		size_t n = c.wlen < VIRTIO_RND_MAX_REQUEST ? (size_t)c.wlen :
		    VIRTIO_RND_MAX_REQUEST;

		rnd_fill(sc, sc->buf, n);
		n = virtio_chain_write(vd, &c, 0, sc->buf, n);
		if (virtio_queue_push(vd, q, &c, (uint32_t)n) != 0)
			return;
		done = true;
	}
	if (done)
		virtio_queue_interrupt(vd, q);
}

static const struct virtio_ops rnd_ops = {
	.notify = rnd_notify,
};

struct virtio_rnd *
virtio_rnd_create(struct pci_bus *pci, const struct guestmem *gm,
    const uint64_t *seed)
{
	/* "expand 32-byte k" */
	static const uint32_t sigma[4] = {
		0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	};
	struct virtio_rnd *sc;
	struct virtio_dev_params p;
	int error, i;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	if ((sc->buf = malloc(VIRTIO_RND_MAX_REQUEST)) == NULL) {
		free(sc);
		return (NULL);
	}
	memcpy(sc->state, sigma, sizeof(sigma));
	if (seed != NULL) {
		uint64_t s = *seed;

		for (i = 0; i < 4; i++) {
			uint64_t k = splitmix64(&s);

			sc->state[4 + 2 * i] = (uint32_t)k;
			sc->state[5 + 2 * i] = (uint32_t)(k >> 32);
		}
	} else if (getrandom(&sc->state[4], 32, 0) != 32) {
		error = errno;
		free(sc->buf);
		free(sc);
		errno = error;
		return (NULL);
	}
	sc->pos = CHACHA_BLOCK;		/* first use makes block 0 */

	memset(&p, 0, sizeof(p));
	p.product = VIRTIO_PCI_PRODUCT_ENTROPY;
	p.type = VIRTIO_ID_ENTROPY;
	p.class = VIRTIO_RND_CLASS;
	p.subclass = VIRTIO_RND_SUBCLASS;
	p.nqueues = 1;
	p.queue_size[0] = VIRTIO_RND_QUEUE_SIZE;
	p.ops = &rnd_ops;
	if ((error = virtio_dev_init(&sc->vd, pci, gm, &p)) != 0) {
		free(sc->buf);
		free(sc);
		errno = error;
		return (NULL);
	}
	return (sc);
}

void
virtio_rnd_destroy(struct virtio_rnd *sc)
{
	if (sc == NULL)
		return;
	virtio_dev_fini(&sc->vd);
	explicit_bzero(sc->state, sizeof(sc->state));
	free(sc->buf);
	free(sc);
}

unsigned
virtio_rnd_slot(const struct virtio_rnd *sc)
{
	return (sc->vd.slot);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
virtio_rnd_snap(struct virtio_rnd *sc, struct snapbuf *sb)
{
	unsigned i;

	virtio_dev_snap(&sc->vd, sb);
	for (i = 0; i < 16; i++)
		SB_INT(sb, sc->state[i]);
	snapbuf_bytes(sb, sc->block, sizeof(sc->block));
	SB_INT(sb, sc->pos);
	snapbuf_check(sb, sc->pos, CHACHA_BLOCK + 1);
}
