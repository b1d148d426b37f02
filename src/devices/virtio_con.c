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
 * virtio console, one port (virtio.h).  vmd has none; this is the device
 * Linux's hvc0 (console=hvc0) and QEMU's virtconsole speak, without the
 * MULTIPORT, SIZE and EMERG_WRITE features, so the config space is only
 * read as zeros but for max_nr_ports = 1.
 *
 * Host input waits in a 4 KiB buffer until the guest posts receive
 * buffers; it is handed over when the host adds input and whenever the
 * guest notifies the receive queue.  The buffer survives a device reset,
 * so keys typed before the driver loads are not lost.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"
#include "devices/snapbuf.h"

#define VIRTIO_CON_CLASS	0x07	/* simple communications, as QEMU */
#define VIRTIO_CON_SUBCLASS	0x80	/* other */
#define VIRTIO_CON_CFG_NR_PORTS	4
#define VIRTIO_CON_TX_CHUNK	4096

struct virtio_con {
	struct virtio_dev	 vd;		/* first: the ops' argument */
	void			(*tx)(void *, const uint8_t *, size_t);	/* [I] */
	void			*tx_arg;	/* [I] */
	uint8_t			 config[VIRTIO_CON_CFG_LEN];	/* [I] */
	uint8_t			 rx[VIRTIO_CON_RX_BUFFER];	/* ring */
	size_t			 rx_head;	/* oldest byte */
	size_t			 rx_count;
	uint8_t			 txbuf[VIRTIO_CON_TX_CHUNK];
};

/* Hand pending input to the guest's receive buffers, in order. */
static void
con_drain_rx(struct virtio_con *sc)
{
	struct virtio_chain c;
	bool done = false;

	while (sc->rx_count > 0 &&
	    virtio_queue_pop(&sc->vd, VIRTIO_CON_RXQ, &c) == 1) {
		uint64_t put = 0;

		while (sc->rx_count > 0 && put < c.wlen) {
			size_t n = VIRTIO_CON_RX_BUFFER - sc->rx_head;

			if (n > sc->rx_count)
				n = sc->rx_count;
			if (n > c.wlen - put)
				n = (size_t)(c.wlen - put);
			if (virtio_chain_write(&sc->vd, &c, put,
			    sc->rx + sc->rx_head, n) != n)
				break;
			put += n;
			sc->rx_head = (sc->rx_head + n) % VIRTIO_CON_RX_BUFFER;
			sc->rx_count -= n;
		}
		if (virtio_queue_push(&sc->vd, VIRTIO_CON_RXQ, &c,
		    (uint32_t)put) != 0)
			return;
		done = true;
	}
	if (done)
		virtio_queue_interrupt(&sc->vd, VIRTIO_CON_RXQ);
}

/* Everything the guest queued for output goes to the tx callback. */
static void
con_drain_tx(struct virtio_con *sc)
{
	struct virtio_chain c;
	bool done = false;

	while (virtio_queue_pop(&sc->vd, VIRTIO_CON_TXQ, &c) == 1) {
		uint64_t off = 0;

		while (off < c.rlen) {
			size_t n = virtio_chain_read(&sc->vd, &c, off,
			    sc->txbuf, sizeof(sc->txbuf));

			if (n == 0)
				break;
			if (sc->tx != NULL)
				sc->tx(sc->tx_arg, sc->txbuf, n);
			off += n;
		}
		if (virtio_queue_push(&sc->vd, VIRTIO_CON_TXQ, &c, 0) != 0)
			return;
		done = true;
	}
	if (done)
		virtio_queue_interrupt(&sc->vd, VIRTIO_CON_TXQ);
}

static void
con_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_con *sc = (struct virtio_con *)vd;

	if (q == VIRTIO_CON_RXQ)
		con_drain_rx(sc);
	else
		con_drain_tx(sc);
}

static const struct virtio_ops con_ops = {
	.notify = con_notify,
};

size_t
virtio_con_rx(struct virtio_con *sc, const uint8_t *buf, size_t len)
{
	size_t took = 0;

	while (took < len && sc->rx_count < VIRTIO_CON_RX_BUFFER) {
		sc->rx[(sc->rx_head + sc->rx_count) % VIRTIO_CON_RX_BUFFER] =
		    buf[took++];
		sc->rx_count++;
	}
	con_drain_rx(sc);
	return (took);
}

struct virtio_con *
virtio_con_create(struct pci_bus *pci, const struct guestmem *gm,
    void (*tx)(void *, const uint8_t *, size_t), void *tx_arg)
{
	struct virtio_con *sc;
	struct virtio_dev_params p;
	int error;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	sc->tx = tx;
	sc->tx_arg = tx_arg;
	sc->config[VIRTIO_CON_CFG_NR_PORTS] = 1;

	memset(&p, 0, sizeof(p));
	p.product = VIRTIO_PCI_PRODUCT_CONSOLE;
	p.type = VIRTIO_ID_CONSOLE;
	p.class = VIRTIO_CON_CLASS;
	p.subclass = VIRTIO_CON_SUBCLASS;
	p.nqueues = 2;
	p.queue_size[VIRTIO_CON_RXQ] = VIRTIO_CON_QUEUE_SIZE;
	p.queue_size[VIRTIO_CON_TXQ] = VIRTIO_CON_QUEUE_SIZE;
	p.config = sc->config;
	p.config_len = sizeof(sc->config);
	p.ops = &con_ops;
	if ((error = virtio_dev_init(&sc->vd, pci, gm, &p)) != 0) {
		free(sc);
		errno = error;
		return (NULL);
	}
	return (sc);
}

void
virtio_con_destroy(struct virtio_con *sc)
{
	if (sc == NULL)
		return;
	virtio_dev_fini(&sc->vd);
	free(sc);
}

unsigned
virtio_con_slot(const struct virtio_con *sc)
{
	return (sc->vd.slot);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
virtio_con_snap(struct virtio_con *sc, struct snapbuf *sb)
{
	virtio_dev_snap(&sc->vd, sb);
	snapbuf_bytes(sb, sc->rx, sizeof(sc->rx));
	SB_INT(sb, sc->rx_head);
	snapbuf_check(sb, sc->rx_head, VIRTIO_CON_RX_BUFFER);
	SB_INT(sb, sc->rx_count);
	snapbuf_check(sb, sc->rx_count, VIRTIO_CON_RX_BUFFER + 1);
}
