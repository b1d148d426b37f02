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
 * Legacy (0.9.5) virtio over PCI, and the devices built on it: block
 * (virtio_blk.c), entropy (virtio_rnd.c) and console (virtio_con.c).
 *
 * The transport is what vmd used up to 2024 and what Linux's
 * virtio_pci_legacy and SeaBIOS drive: vendor 0x1af4, a transitional
 * product ID (0x1000-0x103f), revision 0, subsystem id = virtio device
 * type (subsystem vendor OpenBSD, as vmd), and one I/O BAR (BAR 0, 4 KiB
 * as every vmd BAR) holding the legacy header followed by the device's
 * configuration.  Queues are split virtqueues at QUEUE_PFN << 12, with
 * the used ring aligned to 4096.  No MSI-X: interrupts are INTx, raised
 * while the ISR is non-zero; reading the ISR clears it and lowers the line.
 *
 * A hostile guest cannot crash or hang the device: every ring and buffer
 * access goes through guestmem_read/write, descriptor indices are checked
 * against the queue size, a chain longer than the queue size (a loop) is
 * refused, readable descriptors must come before writable ones, indirect
 * descriptors (not offered) are refused, and an avail index that runs more
 * than a queue size ahead is refused.  A refusal marks the device broken
 * as vmd and QEMU do: status gets DEVICE_NEEDS_RESET (0x40), the ISR the
 * config-change bit, and nothing is processed until the guest resets it
 * (status 0).
 *
 * Using a device (the run loop's side):
 *	pci = pci_create(&irq_line); pci_register(pci, &ports);
 *	rnd = virtio_rnd_create(pci, &gm, &seed);	// slot 1, IRQ 3
 *	blk = virtio_blk_create(pci, &gm, "disk.img", false, "serial");
 *	con = virtio_con_create(pci, &gm, tx_fn, tx_arg);
 *	... the guest finds them by probing PCI; their BARs and IRQs are
 *	the bus's business (pci.h), so nothing else is registered ...
 *	virtio_*_destroy() each (they leave the bus), then pci_destroy().
 * Requests are processed synchronously, inside the guest's notify write
 * (the OUT exit), so an I/O exit returns with the used ring updated.
 * The guestmem must outlive the devices.
 */

#ifndef VMMSIM_VIRTIO_H
#define VMMSIM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"
#include "devices/guestmem.h"
#include "devices/pci.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_REVISION		0	/* legacy ABI */
#define VIRTIO_PCI_BAR_SIZE		0x1000

/* Transitional PCI product IDs (virtio 1.0, 4.1.2.1). */
#define VIRTIO_PCI_PRODUCT_NET		0x1000
#define VIRTIO_PCI_PRODUCT_BLOCK	0x1001
#define VIRTIO_PCI_PRODUCT_CONSOLE	0x1003
#define VIRTIO_PCI_PRODUCT_ENTROPY	0x1005

/* Device types: the subsystem id. */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_ENTROPY		4

/* The legacy header in BAR 0. */
#define VIRTIO_PCI_HOST_FEATURES	0x00	/* 32, RO */
#define VIRTIO_PCI_GUEST_FEATURES	0x04	/* 32, RW */
#define VIRTIO_PCI_QUEUE_PFN		0x08	/* 32, RW */
#define VIRTIO_PCI_QUEUE_NUM		0x0C	/* 16, RO */
#define VIRTIO_PCI_QUEUE_SEL		0x0E	/* 16, RW */
#define VIRTIO_PCI_QUEUE_NOTIFY		0x10	/* 16, WO */
#define VIRTIO_PCI_STATUS		0x12	/* 8, RW */
#define VIRTIO_PCI_ISR			0x13	/* 8, RO, read clears */
#define VIRTIO_PCI_CONFIG		0x14	/* device config (no MSI-X) */
#define VIRTIO_PCI_QUEUE_ADDR_SHIFT	12
#define VIRTIO_PCI_VRING_ALIGN		4096

/* Device status. */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE	0x01
#define VIRTIO_CONFIG_S_DRIVER		0x02
#define VIRTIO_CONFIG_S_DRIVER_OK	0x04
#define VIRTIO_CONFIG_S_FEATURES_OK	0x08
#define VIRTIO_CONFIG_S_NEEDS_RESET	0x40
#define VIRTIO_CONFIG_S_FAILED		0x80

/* ISR bits. */
#define VIRTIO_ISR_QUEUE		0x01
#define VIRTIO_ISR_CONFIG		0x02

/* Split virtqueue layout. */
#define VRING_DESC_SIZE			16	/* addr 8, len 4, flags 2, next 2 */
#define VRING_DESC_F_NEXT		0x0001
#define VRING_DESC_F_WRITE		0x0002
#define VRING_DESC_F_INDIRECT		0x0004
#define VRING_AVAIL_F_NO_INTERRUPT	0x0001
#define VRING_USED_ELEM_SIZE		8	/* id 4, len 4 */

#define VIRTIO_MAX_QUEUES		3
#define VIRTIO_MAX_QUEUE_SIZE		1024

/* One descriptor of a chain, checked to lie in guest memory. */
struct virtio_seg {
	uint64_t	gpa;
	uint32_t	len;
	bool		write;
};

/* A popped chain: readable segments [0, nread), writable the rest. */
struct virtio_chain {
	uint16_t		 head;
	unsigned		 nseg;
	unsigned		 nread;
	uint64_t		 rlen;	/* bytes the device may read */
	uint64_t		 wlen;	/* bytes the device may write */
	struct virtio_seg	*seg;	/* the queue's scratch; valid until
					   the next pop on that queue */
};

struct virtio_queue {
	uint16_t		 size;		/* [I] */
	uint32_t		 pfn;
	uint64_t		 desc;		/* guest physical addresses */
	uint64_t		 avail;
	uint64_t		 used;
	uint16_t		 last_avail;
	uint16_t		 used_idx;
	struct virtio_seg	*segs;		/* [I] size entries */
};

struct virtio_dev;

struct virtio_ops {
	void	(*notify)(struct virtio_dev *, unsigned queue);
	void	(*reset)(struct virtio_dev *);		/* may be NULL */
};

/* What a device model gives virtio_dev_init. */
struct virtio_dev_params {
	uint16_t		 product;	/* VIRTIO_PCI_PRODUCT_* */
	uint16_t		 type;		/* VIRTIO_ID_* */
	uint8_t			 class;
	uint8_t			 subclass;
	uint32_t		 host_features;
	unsigned		 nqueues;
	uint16_t		 queue_size[VIRTIO_MAX_QUEUES];	/* powers of 2 */
	uint8_t			*config;	/* device config image (LE) */
	size_t			 config_len;
	const struct virtio_ops	*ops;
};

/*
 * The transport state a device model embeds.  Used from one thread at a
 * time (the vcpu's run loop, or the event loop with the vcpu stopped).
 */
struct virtio_dev {
	struct pci_bus		*pci;		/* [I] */
	unsigned		 slot;		/* [I] */
	const struct guestmem	*gm;		/* [I] */
	const struct virtio_ops	*ops;		/* [I] */
	uint8_t			*config;	/* [I] */
	size_t			 config_len;	/* [I] */
	uint32_t		 host_features;	/* [I] */
	uint32_t		 guest_features;
	uint16_t		 queue_sel;
	uint8_t			 status;
	uint8_t			 isr;
	bool			 broken;	/* refused the guest's rings */
	unsigned		 nqueues;	/* [I] */
	struct virtio_queue	 q[VIRTIO_MAX_QUEUES];
};

/*
 * Put the device on the bus (BAR 0, the next IRQ).  EINVAL for a bad
 * queue count or size, ENOMEM, or pci_add_device's error.
 */
int	virtio_dev_init(struct virtio_dev *, struct pci_bus *,
	    const struct guestmem *, const struct virtio_dev_params *);
void	virtio_dev_fini(struct virtio_dev *);

/*
 * Take the next available chain of queue q.  Returns 1 with *chain
 * filled, 0 if none is available (or the queue is not set up, or the
 * device is broken), -1 if the guest's ring was refused (the device is
 * broken now).
 */
int	virtio_queue_pop(struct virtio_dev *, unsigned q,
	    struct virtio_chain *);

/* Return a chain with `len` bytes written; 0 or EFAULT (then broken). */
int	virtio_queue_push(struct virtio_dev *, unsigned q,
	    const struct virtio_chain *, uint32_t len);

/* Tell the guest about used entries, unless it asked for no interrupt. */
void	virtio_queue_interrupt(struct virtio_dev *, unsigned q);

/*
 * Copy from the chain's readable bytes starting at `off`, or into its
 * writable bytes; returns the bytes copied (short at the chain's end).
 */
size_t	virtio_chain_read(const struct virtio_dev *,
	    const struct virtio_chain *, uint64_t off, void *buf, size_t len);
size_t	virtio_chain_write(const struct virtio_dev *,
	    const struct virtio_chain *, uint64_t off, const void *buf,
	    size_t len);

/* Mark the device broken: NEEDS_RESET and a config-change interrupt. */
void	virtio_dev_error(struct virtio_dev *);

/* --- the devices -------------------------------------------------------- */

/*
 * Block device on a raw image file (capacity = file size / 512, rounded
 * down).  `serial` (up to 20 bytes, may be NULL) answers GET_ID.  Returns
 * NULL with errno set (open(2)'s error, ENOSPC from the bus, ...).
 */
#define VIRTIO_BLK_QUEUE_SIZE		128
#define VIRTIO_BLK_SECTOR_SIZE		512
#define VIRTIO_BLK_ID_BYTES		20
#define VIRTIO_BLK_F_SEG_MAX		(1U << 2)
#define VIRTIO_BLK_F_RO			(1U << 5)
#define VIRTIO_BLK_F_FLUSH		(1U << 9)
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
#define VIRTIO_BLK_CFG_CAPACITY		0	/* u64 sectors */
#define VIRTIO_BLK_CFG_SEG_MAX		12	/* u32 */
#define VIRTIO_BLK_CFG_LEN		24

struct virtio_blk;
struct virtio_blk	*virtio_blk_create(struct pci_bus *,
			    const struct guestmem *, const char *path,
			    bool readonly, const char *serial);
void			 virtio_blk_destroy(struct virtio_blk *);
unsigned		 virtio_blk_slot(const struct virtio_blk *);
uint64_t		 virtio_blk_capacity(const struct virtio_blk *);

/*
 * Entropy device.  With seed != NULL (deterministic mode) the bytes are
 * the ChaCha20 keystream (RFC 8439 block function, nonce 0, counter from
 * 0) under a key made from the seed with splitmix64, so the same seed and
 * the same requests give the same bytes on every run and host.  With
 * seed NULL the key comes from getrandom(2).  Each request gets at most
 * 64 KiB, as in vmd.
 */
#define VIRTIO_RND_QUEUE_SIZE		64
#define VIRTIO_RND_MAX_REQUEST		65536

struct virtio_rnd;
struct virtio_rnd	*virtio_rnd_create(struct pci_bus *,
			    const struct guestmem *, const uint64_t *seed);
void			 virtio_rnd_destroy(struct virtio_rnd *);
unsigned		 virtio_rnd_slot(const struct virtio_rnd *);

/*
 * Console with one port (no MULTIPORT): queue 0 receives (host to
 * guest), queue 1 transmits.  Guest output goes to tx(tx_arg, buf, len)
 * as the guest notifies.  virtio_con_rx() takes host input into a 4 KiB
 * buffer and hands it to the guest's posted receive buffers as they
 * come; it returns how many bytes it took (the caller keeps the rest and
 * offers them again later, as with ns8250_rx).
 */
#define VIRTIO_CON_QUEUE_SIZE		64
#define VIRTIO_CON_RXQ			0
#define VIRTIO_CON_TXQ			1
#define VIRTIO_CON_RX_BUFFER		4096
#define VIRTIO_CON_CFG_LEN		12	/* cols, rows, max_nr_ports,
						   emerg_wr */

struct virtio_con;
struct virtio_con	*virtio_con_create(struct pci_bus *,
			    const struct guestmem *,
			    void (*tx)(void *, const uint8_t *, size_t),
			    void *tx_arg);
void			 virtio_con_destroy(struct virtio_con *);
unsigned		 virtio_con_slot(const struct virtio_con *);
size_t			 virtio_con_rx(struct virtio_con *, const uint8_t *,
			    size_t);

struct snapbuf;
void	virtio_dev_snap(struct virtio_dev *, struct snapbuf *);
void	virtio_rnd_snap(struct virtio_rnd *, struct snapbuf *);
void	virtio_blk_snap(struct virtio_blk *, struct snapbuf *);
void	virtio_con_snap(struct virtio_con *, struct snapbuf *);

#endif /* VMMSIM_VIRTIO_H */
