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
 * Legacy virtio-PCI transport and split virtqueues (virtio.h), after the
 * virtio 0.9.5 draft and the legacy interface sections of virtio 1.0.
 *
 * The rings are not mapped: each index, descriptor and used element is
 * copied with guestmem_read/write, so a ring the guest moves, or one that
 * straddles two contiguous ranges, needs no special case, and a ring
 * outside guest memory is an EFAULT, never a wild pointer.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"
#include "devices/snapbuf.h"

/* Offsets inside the rings (virtio 0.9.5, 2.3). */
#define VRING_AVAIL_FLAGS	0
#define VRING_AVAIL_IDX		2
#define VRING_AVAIL_RING	4
#define VRING_USED_IDX		2
#define VRING_USED_RING		4

/* Legacy header fields, for writes that may cover several of them. */
struct virtio_field {
	unsigned	off;
	unsigned	len;
};
static const struct virtio_field virtio_fields[] = {
	{ VIRTIO_PCI_HOST_FEATURES, 4 },
	{ VIRTIO_PCI_GUEST_FEATURES, 4 },
	{ VIRTIO_PCI_QUEUE_PFN, 4 },
	{ VIRTIO_PCI_QUEUE_NUM, 2 },
	{ VIRTIO_PCI_QUEUE_SEL, 2 },
	{ VIRTIO_PCI_QUEUE_NOTIFY, 2 },
	{ VIRTIO_PCI_STATUS, 1 },
	{ VIRTIO_PCI_ISR, 1 },
};
#define VIRTIO_NFIELDS	(sizeof(virtio_fields) / sizeof(virtio_fields[0]))

static int
gm_read16(const struct guestmem *gm, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];

	if (guestmem_read(gm, gpa, b, sizeof(b)) != 0)
		return (EFAULT);
	*v = (uint16_t)(b[0] | b[1] << 8);
	return (0);
}

static int
gm_write16(const struct guestmem *gm, uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return (guestmem_write(gm, gpa, b, sizeof(b)));
}

static uint64_t
le_get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return (v);
}

static void
le_put(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Is every byte of [gpa, gpa+len) backed guest memory? */
static bool
gm_backed(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	while (len > 0) {
		const struct vm_mem_range *r = guestmem_find(gm, gpa);
		uint64_t n;

		if (r == NULL || r->vmr_va == 0 || r->vmr_type == VM_MEM_MMIO)
			return (false);
		n = r->vmr_size - (gpa - r->vmr_gpa);
		if (n >= len)
			return (true);
		gpa += n;
		len -= n;
	}
	return (true);
}

static void
virtio_update_intx(struct virtio_dev *vd)
{
	pci_set_intx(vd->pci, vd->slot, vd->isr != 0);
}

static void
virtio_raise(struct virtio_dev *vd, uint8_t bits)
{
	vd->isr |= bits;
	virtio_update_intx(vd);
}

void
virtio_dev_error(struct virtio_dev *vd)
{
	vd->broken = true;
	vd->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	virtio_raise(vd, VIRTIO_ISR_CONFIG);
}

static void
virtio_queue_reset(struct virtio_queue *q)
{
	q->pfn = 0;
	q->desc = q->avail = q->used = 0;
	q->last_avail = 0;
	q->used_idx = 0;
}

/* Writing 0 to the status register: everything back to power-on. */
static void
virtio_reset(struct virtio_dev *vd)
{
	unsigned i;

	vd->guest_features = 0;
	vd->queue_sel = 0;
	vd->status = 0;
	vd->isr = 0;
	vd->broken = false;
	for (i = 0; i < vd->nqueues; i++)
		virtio_queue_reset(&vd->q[i]);
	virtio_update_intx(vd);
	if (vd->ops->reset != NULL)
		vd->ops->reset(vd);
}

/* The legacy layout: descriptors, avail ring, used ring on a 4 KiB edge. */
static void
virtio_queue_set_pfn(struct virtio_queue *q, uint32_t pfn)
{
	uint64_t avail_end;

	virtio_queue_reset(q);
	if (pfn == 0)
		return;
	q->pfn = pfn;
	q->desc = (uint64_t)pfn << VIRTIO_PCI_QUEUE_ADDR_SHIFT;
	q->avail = q->desc + (uint64_t)VRING_DESC_SIZE * q->size;
	avail_end = q->avail + VRING_AVAIL_RING + 2ULL * q->size + 2;
	q->used = (avail_end + VIRTIO_PCI_VRING_ALIGN - 1) &
	    ~(uint64_t)(VIRTIO_PCI_VRING_ALIGN - 1);
}

/* The header as the guest would read it now (ISR without clearing). */
static void
virtio_header(const struct virtio_dev *vd, uint8_t *h)
{
	const struct virtio_queue *q = vd->queue_sel < vd->nqueues ?
	    &vd->q[vd->queue_sel] : NULL;

	memset(h, 0, VIRTIO_PCI_CONFIG);
	le_put(h + VIRTIO_PCI_HOST_FEATURES, vd->host_features, 4);
	le_put(h + VIRTIO_PCI_GUEST_FEATURES, vd->guest_features, 4);
	le_put(h + VIRTIO_PCI_QUEUE_PFN, q != NULL ? q->pfn : 0, 4);
	le_put(h + VIRTIO_PCI_QUEUE_NUM, q != NULL ? q->size : 0, 2);
	le_put(h + VIRTIO_PCI_QUEUE_SEL, vd->queue_sel, 2);
	h[VIRTIO_PCI_STATUS] = vd->status;
	h[VIRTIO_PCI_ISR] = vd->isr;
}

/* Commit a new value of the header field at `off`. */
static void
virtio_field_write(struct virtio_dev *vd, unsigned off, uint32_t v)
{
	switch (off) {
	case VIRTIO_PCI_GUEST_FEATURES:
		vd->guest_features = v & vd->host_features;
		break;
	case VIRTIO_PCI_QUEUE_PFN:
		if (vd->queue_sel < vd->nqueues)
			virtio_queue_set_pfn(&vd->q[vd->queue_sel], v);
		break;
	case VIRTIO_PCI_QUEUE_SEL:
		vd->queue_sel = (uint16_t)v;
		break;
	case VIRTIO_PCI_QUEUE_NOTIFY:
		if (v < vd->nqueues && vd->q[v].pfn != 0 && !vd->broken)
			vd->ops->notify(vd, v);
		break;
	case VIRTIO_PCI_STATUS:
		if ((v & 0xFF) == 0)
			virtio_reset(vd);
		else
			vd->status = (uint8_t)v;
		break;
	default:
		break;		/* read-only */
	}
}

/*
 * BAR 0.  Reads see the header and config as one byte array (past its end
 * the bus floats); a read covering the ISR clears it.  A write replaces
 * the covered bytes of each field it touches and commits that field, so
 * byte-wise and odd-sized accesses mean what they say.  Config writes are
 * ignored, as in vmd: no device here has a writable config field.
 */
static int
virtio_bar_io(void *cookie, int bar, uint32_t off, int dir, int size,
    uint32_t *data)
{
	struct virtio_dev *vd = cookie;
	uint8_t h[VIRTIO_PCI_CONFIG];
	unsigned i;

	(void)bar;
	if (dir == DEV_IO_IN) {
		uint32_t v = 0;
		bool isr = false;

		virtio_header(vd, h);
		for (i = 0; i < (unsigned)size; i++) {
			uint64_t o = (uint64_t)off + i;
			uint32_t b;

			if (o < VIRTIO_PCI_CONFIG) {
				b = h[o];
				isr |= o == VIRTIO_PCI_ISR;
			} else if (o - VIRTIO_PCI_CONFIG < vd->config_len)
				b = vd->config[o - VIRTIO_PCI_CONFIG];
			else
				b = 0xFF;
			v |= b << (8 * i);
		}
		*data = v;
		if (isr) {
			vd->isr = 0;
			virtio_update_intx(vd);
		}
		return (0);
	}

	for (i = 0; i < VIRTIO_NFIELDS; i++) {
		const struct virtio_field *f = &virtio_fields[i];
		unsigned j;
		uint8_t *p = h + f->off;

		if ((uint64_t)off + size <= f->off || off >= f->off + f->len)
			continue;
		virtio_header(vd, h);
		/* Write-only notify has no old value to keep. */
		if (f->off == VIRTIO_PCI_QUEUE_NOTIFY)
			memset(p, 0, f->len);
		for (j = 0; j < (unsigned)size; j++) {
			uint64_t o = (uint64_t)off + j;

			if (o >= f->off && o < f->off + f->len)
				p[o - f->off] = (uint8_t)(*data >> (8 * j));
		}
		virtio_field_write(vd, f->off, (uint32_t)le_get(p, f->len));
	}
	return (0);
}

int
virtio_dev_init(struct virtio_dev *vd, struct pci_bus *pci,
    const struct guestmem *gm, const struct virtio_dev_params *p)
{
	struct pci_device_params pp;
	unsigned i;
	int error;

	memset(vd, 0, sizeof(*vd));
	if (p->nqueues > VIRTIO_MAX_QUEUES || p->ops == NULL ||
	    p->ops->notify == NULL)
		return (EINVAL);
	for (i = 0; i < p->nqueues; i++) {
		uint16_t n = p->queue_size[i];

		if (n == 0 || n > VIRTIO_MAX_QUEUE_SIZE || (n & (n - 1)) != 0)
			return (EINVAL);
	}
	vd->pci = pci;
	vd->gm = gm;
	vd->ops = p->ops;
	vd->config = p->config;
	vd->config_len = p->config_len;
	vd->host_features = p->host_features;
	vd->nqueues = p->nqueues;
	for (i = 0; i < p->nqueues; i++) {
		vd->q[i].size = p->queue_size[i];
		vd->q[i].segs = calloc(vd->q[i].size, sizeof(struct virtio_seg));
		if (vd->q[i].segs == NULL) {
			virtio_dev_fini(vd);
			return (ENOMEM);
		}
	}

	memset(&pp, 0, sizeof(pp));
	pp.vendor = VIRTIO_PCI_VENDOR;
	pp.product = p->product;
	pp.revision = VIRTIO_PCI_REVISION;
	pp.class = p->class;
	pp.subclass = p->subclass;
	pp.subsys_vendor = PCI_VENDOR_OPENBSD;
	pp.subsys_id = p->type;
	pp.intr = true;
	pp.io_bar_size[0] = VIRTIO_PCI_BAR_SIZE;
	pp.bar_io = virtio_bar_io;
	pp.cookie = vd;
	if ((error = pci_add_device(pci, &pp, &vd->slot)) != 0) {
		virtio_dev_fini(vd);
		return (error);
	}
	return (0);
}

void
virtio_dev_fini(struct virtio_dev *vd)
{
	unsigned i;

	if (vd->pci != NULL && vd->slot != 0)
		pci_remove_device(vd->pci, vd->slot);
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		free(vd->q[i].segs);
		vd->q[i].segs = NULL;
	}
	vd->pci = NULL;
}

/* Follow the chain at `head` into q->segs; EINVAL for a bad chain. */
static int
virtio_walk_chain(struct virtio_dev *vd, struct virtio_queue *q,
    uint16_t head, struct virtio_chain *c)
{
	uint16_t idx = head;
	unsigned n;

	memset(c, 0, sizeof(*c));
	c->head = head;
	c->seg = q->segs;
	for (n = 0; ; n++) {
		uint8_t d[VRING_DESC_SIZE];
		uint64_t addr;
		uint32_t len;
		uint16_t flags;

		/* More descriptors than the table holds: a loop. */
		if (idx >= q->size || n >= q->size)
			return (EINVAL);
		if (guestmem_read(vd->gm, q->desc + (uint64_t)idx *
		    VRING_DESC_SIZE, d, sizeof(d)) != 0)
			return (EFAULT);
		addr = le_get(d, 8);
		len = (uint32_t)le_get(d + 8, 4);
		flags = (uint16_t)le_get(d + 12, 2);
		if (flags & VRING_DESC_F_INDIRECT)
			return (EINVAL);	/* not offered */
		if (!gm_backed(vd->gm, addr, len) ||
		    (len > 0 && addr + len - 1 < addr))
			return (EFAULT);
		if (flags & VRING_DESC_F_WRITE) {
			c->wlen += len;
		} else {
			/* Readable after writable breaks the layout rule. */
			if (c->nread != n)
				return (EINVAL);
			c->nread++;
			c->rlen += len;
		}
		c->seg[n].gpa = addr;
		c->seg[n].len = len;
		c->seg[n].write = (flags & VRING_DESC_F_WRITE) != 0;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = (uint16_t)le_get(d + 14, 2);
	}
	c->nseg = n + 1;
	return (0);
}

int
virtio_queue_pop(struct virtio_dev *vd, unsigned qi, struct virtio_chain *c)
{
	struct virtio_queue *q;
	uint16_t avail_idx, head;

	if (qi >= vd->nqueues || vd->broken)
		return (0);
	q = &vd->q[qi];
	if (q->pfn == 0)
		return (0);
	if (gm_read16(vd->gm, q->avail + VRING_AVAIL_IDX, &avail_idx) != 0)
		goto bad;
	if (avail_idx == q->last_avail)
		return (0);
	/* The guest cannot have more than a ring's worth outstanding. */
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		goto bad;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (gm_read16(vd->gm, q->avail + VRING_AVAIL_RING +
	    2ULL * (q->last_avail % q->size), &head) != 0)
		goto bad;
	q->last_avail++;
	if (virtio_walk_chain(vd, q, head, c) != 0)
		goto bad;
	return (1);
bad:
	virtio_dev_error(vd);
	return (-1);
}

int
virtio_queue_push(struct virtio_dev *vd, unsigned qi,
    const struct virtio_chain *c, uint32_t len)
{
	struct virtio_queue *q;
	uint8_t e[VRING_USED_ELEM_SIZE];

	if (qi >= vd->nqueues || vd->q[qi].pfn == 0)
		return (EINVAL);
	q = &vd->q[qi];
	le_put(e, c->head, 4);
	le_put(e + 4, len, 4);
	if (guestmem_write(vd->gm, q->used + VRING_USED_RING +
	    (uint64_t)VRING_USED_ELEM_SIZE * (q->used_idx % q->size), e,
	    sizeof(e)) != 0)
		goto bad;
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->used_idx++;
	if (gm_write16(vd->gm, q->used + VRING_USED_IDX, q->used_idx) != 0)
		goto bad;
	return (0);
bad:
	virtio_dev_error(vd);
	return (EFAULT);
}

void
virtio_queue_interrupt(struct virtio_dev *vd, unsigned qi)
{
	uint16_t flags;

	if (qi >= vd->nqueues || vd->q[qi].pfn == 0)
		return;
	if (gm_read16(vd->gm, vd->q[qi].avail + VRING_AVAIL_FLAGS,
	    &flags) != 0) {
		virtio_dev_error(vd);
		return;
	}
	if (!(flags & VRING_AVAIL_F_NO_INTERRUPT))
		virtio_raise(vd, VIRTIO_ISR_QUEUE);
}

/*
 * Copy between buf and the chain's readable (to_buf) or writable part,
 * starting `off` bytes into that part.
 */
static size_t
virtio_chain_copy(const struct virtio_dev *vd, const struct virtio_chain *c,
    bool writable, uint64_t off, uint8_t *buf, size_t len)
{
	unsigned i = writable ? c->nread : 0;
	unsigned end = writable ? c->nseg : c->nread;
	size_t done = 0;

	for (; i < end && done < len; i++) {
		const struct virtio_seg *s = &c->seg[i];
		uint64_t n;
		int error;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off;
		if (n > len - done)
			n = len - done;
		if (writable)
			error = guestmem_write(vd->gm, s->gpa + off,
			    buf + done, n);
		else
			error = guestmem_read(vd->gm, s->gpa + off,
			    buf + done, n);
		if (error != 0)
			break;
		done += n;
		off = 0;
	}
	return (done);
}

size_t
virtio_chain_read(const struct virtio_dev *vd, const struct virtio_chain *c,
    uint64_t off, void *buf, size_t len)
{
	return (virtio_chain_copy(vd, c, false, off, buf, len));
}

size_t
virtio_chain_write(const struct virtio_dev *vd, const struct virtio_chain *c,
    uint64_t off, const void *buf, size_t len)
{
	return (virtio_chain_copy(vd, c, true, off,
	    (uint8_t *)(uintptr_t)buf, len));
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
virtio_dev_snap(struct virtio_dev *vd, struct snapbuf *sb)
{
	struct virtio_queue *q;
	unsigned i;

	SB_INT(sb, vd->guest_features);
	SB_INT(sb, vd->queue_sel);
	SB_INT(sb, vd->status);
	SB_INT(sb, vd->isr);
	SB_BOOL(sb, vd->broken);
	for (i = 0; i < vd->nqueues; i++) {
		q = &vd->q[i];
		SB_INT(sb, q->pfn);
		SB_INT(sb, q->desc);
		SB_INT(sb, q->avail);
		SB_INT(sb, q->used);
		SB_INT(sb, q->last_avail);
		SB_INT(sb, q->used_idx);
	}
}
