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
 * virtio block device on a raw image (virtio.h).
 *
 * A request is a 16-byte readable header {type u32, ioprio u32, sector
 * u64}, data, and a writable status byte at the very end.  The device
 * reads it by byte offset, not by descriptor, so any split of the same
 * bytes into descriptors means the same request.
 *
 * Differences from vmd's vioblk: FLUSH (fdatasync) and GET_ID are
 * implemented and offered, a read-only image is announced with
 * VIRTIO_BLK_F_RO and refuses writes with IOERR, and only the raw
 * format is supported (no qcow2).  Data whose length is not a whole
 * number of sectors, or that runs past the capacity, gets IOERR, as in
 * QEMU.
 *
 * The image is read and written through libuv's file-system layer, in its
 * synchronous form (no callback), on the notifying vcpu's thread: a
 * request completes at the virtual instant the guest made it, so the
 * guest sees the same completion order whatever the host's disk does --
 * what deterministic mode needs, and what vmd's vioblk does too.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "devices/virtio.h"
#include "devices/snapbuf.h"

#define VIRTIO_BLK_HDR_SIZE	16
#define VIRTIO_BLK_BOUNCE	65536
#define VIRTIO_BLK_CLASS	0x01	/* mass storage */
#define VIRTIO_BLK_SUBCLASS	0x00	/* SCSI, as vmd and QEMU */

struct virtio_blk {
	struct virtio_dev	 vd;		/* first: the ops' argument */
	int			 fd;		/* [I] */
	bool			 readonly;	/* [I] */
	uint64_t		 capacity;	/* [I] sectors */
	char			 id[VIRTIO_BLK_ID_BYTES];	/* [I] */
	uint8_t			 config[VIRTIO_BLK_CFG_LEN];	/* [I] */
	uint8_t			*bounce;	/* [I] */
};

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return (v);
}

/* Is [sector, sector + bytes/512) inside the disk, in whole sectors? */
static bool
blk_range_ok(const struct virtio_blk *sc, uint64_t sector, uint64_t bytes)
{
	if (bytes % VIRTIO_BLK_SECTOR_SIZE != 0)
		return (false);
	return (sector <= sc->capacity &&
	    bytes / VIRTIO_BLK_SECTOR_SIZE <= sc->capacity - sector);
}

/*
 * n bytes between the bounce buffer and the image at pos, through libuv:
 * the byte count, or a negative libuv error (UV_EINTR to retry).
 */
static ssize_t
blk_pio(struct virtio_blk *sc, bool write, size_t n, off_t pos)
{
	uv_fs_t req;
	uv_buf_t buf = uv_buf_init((char *)sc->bounce, (unsigned int)n);
	ssize_t r;

	if (write)
		r = uv_fs_write(NULL, &req, sc->fd, &buf, 1, pos, NULL);
	else
		r = uv_fs_read(NULL, &req, sc->fd, &buf, 1, pos, NULL);
	uv_fs_req_cleanup(&req);
	return (r);
}

static int
blk_sync(struct virtio_blk *sc)
{
	uv_fs_t req;
	int r;

	r = uv_fs_fdatasync(NULL, &req, sc->fd, NULL);
	uv_fs_req_cleanup(&req);
	return (r);
}

/* T_IN: file to the writable bytes before the status byte. */
static uint8_t
blk_read(struct virtio_blk *sc, const struct virtio_chain *c,
    uint64_t sector, uint32_t *used)
{
	uint64_t len = c->wlen - 1, done = 0;
	off_t pos = (off_t)(sector * VIRTIO_BLK_SECTOR_SIZE);

	if (!blk_range_ok(sc, sector, len))
		return (VIRTIO_BLK_S_IOERR);
	while (done < len) {
		size_t n = len - done < VIRTIO_BLK_BOUNCE ?
		    (size_t)(len - done) : VIRTIO_BLK_BOUNCE;
		ssize_t r = blk_pio(sc, false, n, pos + (off_t)done);

		if (r == UV_EINTR)
			continue;
		/* Short: the file shrank under us. */
		if (r != (ssize_t)n)
			return (VIRTIO_BLK_S_IOERR);
		if (virtio_chain_write(&sc->vd, c, done, sc->bounce, n) != n)
			return (VIRTIO_BLK_S_IOERR);
		done += n;
	}
	*used = (uint32_t)len + 1;
	return (VIRTIO_BLK_S_OK);
}

/* T_OUT: the readable bytes after the header to the file. */
static uint8_t
blk_write(struct virtio_blk *sc, const struct virtio_chain *c,
    uint64_t sector)
{
	uint64_t len = c->rlen - VIRTIO_BLK_HDR_SIZE, done = 0;
	off_t pos = (off_t)(sector * VIRTIO_BLK_SECTOR_SIZE);

	if (sc->readonly || !blk_range_ok(sc, sector, len))
		return (VIRTIO_BLK_S_IOERR);
	while (done < len) {
		size_t n = len - done < VIRTIO_BLK_BOUNCE ?
		    (size_t)(len - done) : VIRTIO_BLK_BOUNCE;
		ssize_t w;

		if (virtio_chain_read(&sc->vd, c, VIRTIO_BLK_HDR_SIZE + done,
		    sc->bounce, n) != n)
			return (VIRTIO_BLK_S_IOERR);
		w = blk_pio(sc, true, n, pos + (off_t)done);
		if (w == UV_EINTR)
			continue;
		if (w != (ssize_t)n)
			return (VIRTIO_BLK_S_IOERR);
		done += n;
	}
	return (VIRTIO_BLK_S_OK);
}

/*
 * One request.  Returns false for a chain too malformed to carry a
 * status (no header, no writable byte): the device is then broken.
 */
static bool
blk_request(struct virtio_blk *sc, const struct virtio_chain *c)
{
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE], status;
	uint32_t type, used = 1;
	uint64_t sector;
	size_t n;

	if (c->rlen < VIRTIO_BLK_HDR_SIZE || c->wlen < 1 ||
	    virtio_chain_read(&sc->vd, c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return (false);
	type = (uint32_t)get_le(hdr, 4);
	sector = get_le(hdr + 8, 8);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		status = blk_read(sc, c, sector, &used);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_write(sc, c, sector);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = sc->readonly || blk_sync(sc) == 0 ?
		    VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = c->wlen - 1 < VIRTIO_BLK_ID_BYTES ? (size_t)c->wlen - 1 :
		    VIRTIO_BLK_ID_BYTES;
		virtio_chain_write(&sc->vd, c, 0, sc->id, n);
		used = (uint32_t)n + 1;
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != VIRTIO_BLK_S_OK)
		used = 1;
	virtio_chain_write(&sc->vd, c, c->wlen - 1, &status, 1);
	return (virtio_queue_push(&sc->vd, 0, c, used) == 0);
}

static void
blk_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_blk *sc = (struct virtio_blk *)vd;
	struct virtio_chain c;
	bool done = false;

	while (virtio_queue_pop(vd, q, &c) == 1) {
		if (!blk_request(sc, &c)) {
			virtio_dev_error(vd);
			return;
		}
		done = true;
	}
	if (done)
		virtio_queue_interrupt(vd, q);
}

static const struct virtio_ops blk_ops = {
	.notify = blk_notify,
};

struct virtio_blk *
virtio_blk_create(struct pci_bus *pci, const struct guestmem *gm,
    const char *path, bool readonly, const char *serial)
{
	struct virtio_blk *sc;
	struct virtio_dev_params p;
	struct stat st;
	int error;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return (NULL);
	sc->fd = -1;
	if ((sc->bounce = malloc(VIRTIO_BLK_BOUNCE)) == NULL)
		goto fail;
	sc->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (sc->fd == -1)
		goto fail;
	if (fstat(sc->fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	sc->readonly = readonly;
	sc->capacity = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR_SIZE;
	/* GET_ID: up to 20 bytes, NUL-padded, not necessarily terminated. */
	if (serial != NULL)
		memcpy(sc->id, serial, strnlen(serial, sizeof(sc->id)));

	put_le(sc->config + VIRTIO_BLK_CFG_CAPACITY, sc->capacity, 8);
	put_le(sc->config + VIRTIO_BLK_CFG_SEG_MAX,
	    VIRTIO_BLK_QUEUE_SIZE - 2, 4);

	memset(&p, 0, sizeof(p));
	p.product = VIRTIO_PCI_PRODUCT_BLOCK;
	p.type = VIRTIO_ID_BLOCK;
	p.class = VIRTIO_BLK_CLASS;
	p.subclass = VIRTIO_BLK_SUBCLASS;
	p.host_features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH |
	    (readonly ? VIRTIO_BLK_F_RO : 0);
	p.nqueues = 1;
	p.queue_size[0] = VIRTIO_BLK_QUEUE_SIZE;
	p.config = sc->config;
	p.config_len = sizeof(sc->config);
	p.ops = &blk_ops;
	if ((error = virtio_dev_init(&sc->vd, pci, gm, &p)) != 0) {
		errno = error;
		goto fail;
	}
	return (sc);
fail:
	error = errno;
	if (sc->fd != -1)
		close(sc->fd);
	free(sc->bounce);
	free(sc);
	errno = error;
	return (NULL);
}

void
virtio_blk_destroy(struct virtio_blk *sc)
{
	if (sc == NULL)
		return;
	virtio_dev_fini(&sc->vd);
	close(sc->fd);
	free(sc->bounce);
	free(sc);
}

unsigned
virtio_blk_slot(const struct virtio_blk *sc)
{
	return (sc->vd.slot);
}

uint64_t
virtio_blk_capacity(const struct virtio_blk *sc)
{
	return (sc->capacity);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
virtio_blk_snap(struct virtio_blk *sc, struct snapbuf *sb)
{
	/* The disk's contents are the file's; the snapshot names its hash. */
	virtio_dev_snap(&sc->vd, sb);
}
