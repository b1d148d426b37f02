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
 * QEMU fw_cfg over I/O ports, with DMA (fw_cfg.h).
 *
 * Items live in a small array looked up by key; a selector names an item
 * by its low 14 bits plus the arch-local bit (the write-channel bit is
 * not part of the name).  Selecting a key nobody set is allowed: reads
 * then give zeros, as in QEMU.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/loader.h"
#include "devices/snapbuf.h"

#define FW_CFG_KEY_MASK		(~FW_CFG_WRITE_CHANNEL & 0xFFFF)
#define FW_CFG_DMA_DESC_SIZE	16
#define FW_CFG_E820_ENTRY_SIZE	20
#define FW_CFG_MAX_E820		VMM_MAX_MEM_RANGES

struct fw_cfg_item {
	uint16_t	 key;
	uint8_t		*data;
	size_t		 len;
	char		 name[FW_CFG_MAX_FILE_PATH];	/* files only */
};

struct fw_cfg {
	const struct guestmem	*gm;		/* [I] */
	struct dev_port_table	*ports;
	struct fw_cfg_item	*items;
	size_t			 nitems;
	unsigned		 nfiles;
	uint16_t		 cur_key;
	size_t			 cur_offset;
	uint8_t			 dma_reg[8];	/* the address, big-endian */
};

static void
be_put(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
be_get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
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

static struct fw_cfg_item *
fw_cfg_find(struct fw_cfg *fw, uint16_t key)
{
	size_t i;

	key &= FW_CFG_KEY_MASK;
	for (i = 0; i < fw->nitems; i++)
		if (fw->items[i].key == key)
			return (&fw->items[i]);
	return (NULL);
}

/* Set an item, creating it if needed; the caller checks the key. */
static int
fw_cfg_set(struct fw_cfg *fw, uint16_t key, const void *data, size_t len,
    const char *name)
{
	struct fw_cfg_item *it;
	uint8_t *copy = NULL;

	if (len > 0) {
		if ((copy = malloc(len)) == NULL)
			return (ENOMEM);
		memcpy(copy, data, len);
	}
	if ((it = fw_cfg_find(fw, key)) == NULL) {
		it = reallocarray(fw->items, fw->nitems + 1, sizeof(*it));
		if (it == NULL) {
			free(copy);
			return (ENOMEM);
		}
		fw->items = it;
		it = &fw->items[fw->nitems++];
		memset(it, 0, sizeof(*it));
		it->key = key;
	}
	free(it->data);
	it->data = copy;
	it->len = len;
	if (name != NULL)	/* its length was checked */
		memcpy(it->name, name, strlen(name) + 1);
	return (0);
}

/* Rebuild the directory item from the files, in add order. */
static int
fw_cfg_update_dir(struct fw_cfg *fw)
{
	size_t len = 4 + (size_t)fw->nfiles * FW_CFG_DIR_ENTRY_SIZE, i;
	uint8_t *dir, *e;
	int error;

	if ((dir = calloc(1, len)) == NULL)
		return (ENOMEM);
	be_put(dir, fw->nfiles, 4);
	e = dir + 4;
	for (i = 0; i < fw->nitems; i++) {
		const struct fw_cfg_item *it = &fw->items[i];

		if (it->key < FW_CFG_FILE_FIRST ||
		    it->key >= FW_CFG_FILE_FIRST + fw->nfiles)
			continue;
		e = dir + 4 + (size_t)(it->key - FW_CFG_FILE_FIRST) *
		    FW_CFG_DIR_ENTRY_SIZE;
		be_put(e, it->len, 4);
		be_put(e + 4, it->key, 2);
		/* e + 6: reserved, 0 */
		memcpy(e + 8, it->name, FW_CFG_MAX_FILE_PATH);
	}
	error = fw_cfg_set(fw, FW_CFG_FILE_DIR, dir, len, NULL);
	free(dir);
	return (error);
}

static bool
fw_cfg_is_file_key(uint16_t key)
{
	key &= FW_CFG_KEY_MASK;
	return (key >= FW_CFG_FILE_FIRST &&
	    key < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES);
}

int
fw_cfg_add_item(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
	if ((key & FW_CFG_KEY_MASK) == FW_CFG_FILE_DIR ||
	    key == FW_CFG_INVALID || (key & FW_CFG_WRITE_CHANNEL) ||
	    fw_cfg_is_file_key(key) || (len > 0 && data == NULL))
		return (EINVAL);
	return (fw_cfg_set(fw, key, data, len, NULL));
}

int
fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
	uint8_t b[2];

	le_put(b, v, 2);
	return (fw_cfg_add_item(fw, key, b, sizeof(b)));
}

int
fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	le_put(b, v, 4);
	return (fw_cfg_add_item(fw, key, b, sizeof(b)));
}

int
fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	le_put(b, v, 8);
	return (fw_cfg_add_item(fw, key, b, sizeof(b)));
}

int
fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
    size_t len, uint16_t *keyp)
{
	size_t i, nlen = strlen(name);
	uint16_t key;
	int error;

	if (nlen == 0 || (len > 0 && data == NULL))
		return (EINVAL);
	if (nlen >= FW_CFG_MAX_FILE_PATH)
		return (ENAMETOOLONG);
	if (len > UINT32_MAX)
		return (EFBIG);
	for (i = 0; i < fw->nitems; i++)
		if (fw->items[i].name[0] != '\0' &&
		    strcmp(fw->items[i].name, name) == 0)
			return (EEXIST);
	if (fw->nfiles == FW_CFG_MAX_FILES)
		return (ENOSPC);
	key = FW_CFG_FILE_FIRST + fw->nfiles;
	if ((error = fw_cfg_set(fw, key, data, len, name)) != 0)
		return (error);
	fw->nfiles++;
	if ((error = fw_cfg_update_dir(fw)) != 0)
		return (error);
	if (keyp != NULL)
		*keyp = key;
	return (0);
}

int
fw_cfg_set_machine(struct fw_cfg *fw, uint64_t ram_bytes, uint16_t ncpus)
{
	int error;

	if ((error = fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, ram_bytes)) != 0 ||
	    (error = fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, ncpus)) != 0 ||
	    (error = fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, ncpus)) != 0 ||
	    (error = fw_cfg_add_u64(fw, FW_CFG_NUMA, 0)) != 0 ||
	    (error = fw_cfg_add_u16(fw, FW_CFG_BOOT_MENU, 0)) != 0)
		return (error);
	return (0);
}

int
fw_cfg_add_e820(struct fw_cfg *fw, const struct guestmem *gm)
{
	struct loader_e820 map[FW_CFG_MAX_E820];
	uint8_t buf[FW_CFG_MAX_E820 * FW_CFG_E820_ENTRY_SIZE];
	size_t n, i;

	n = loader_e820(gm, map, FW_CFG_MAX_E820);
	for (i = 0; i < n; i++) {
		uint8_t *e = buf + i * FW_CFG_E820_ENTRY_SIZE;

		le_put(e, map[i].addr, 8);
		le_put(e + 8, map[i].size, 8);
		le_put(e + 16, map[i].type, 4);
	}
	return (fw_cfg_add_file(fw, "etc/e820", buf,
	    n * FW_CFG_E820_ENTRY_SIZE, NULL));
}

static void
fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
	fw->cur_key = key;
	fw->cur_offset = 0;
}

static uint8_t
fw_cfg_read_byte(struct fw_cfg *fw)
{
	struct fw_cfg_item *it = fw_cfg_find(fw, fw->cur_key);

	if (it == NULL || fw->cur_offset >= it->len)
		return (0);
	return (it->data[fw->cur_offset++]);
}

/*
 * Run the descriptor at `addr` (QEMU's fw_cfg_dma_transfer): select, then
 * read/skip/write `length` bytes, then write the control word back.
 */
static void
fw_cfg_dma(struct fw_cfg *fw, uint64_t addr)
{
	uint8_t d[FW_CFG_DMA_DESC_SIZE], ctl[4];
	uint32_t control, length, result = 0;
	uint64_t gpa;
	struct fw_cfg_item *it;
	enum { OP_NONE, OP_READ, OP_SKIP, OP_WRITE } op;

	if (guestmem_read(fw->gm, addr, d, sizeof(d)) != 0) {
		be_put(ctl, FW_CFG_DMA_CTL_ERROR, 4);
		(void)guestmem_write(fw->gm, addr, ctl, sizeof(ctl));
		return;
	}
	control = (uint32_t)be_get(d, 4);
	length = (uint32_t)be_get(d + 4, 4);
	gpa = be_get(d + 8, 8);

	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fw, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_READ)
		op = OP_READ;
	else if (control & FW_CFG_DMA_CTL_WRITE)
		op = OP_WRITE;
	else if (control & FW_CFG_DMA_CTL_SKIP)
		op = OP_SKIP;
	else
		op = OP_NONE;

	it = fw_cfg_find(fw, fw->cur_key);
	if (op == OP_WRITE) {
		result = FW_CFG_DMA_CTL_ERROR;
	} else if (op != OP_NONE && length > 0) {
		size_t avail = it != NULL && fw->cur_offset < it->len ?
		    it->len - fw->cur_offset : 0;
		size_t n = length < avail ? length : avail;

		if (op == OP_READ) {
			/* The item's bytes, then zeros for the rest. */
			if (guestmem_write(fw->gm, gpa, it != NULL ?
			    it->data + fw->cur_offset : NULL, n) != 0 ||
			    guestmem_write(fw->gm, gpa + n, NULL,
			    length - n) != 0)
				result = FW_CFG_DMA_CTL_ERROR;
		}
		if (result == 0)
			fw->cur_offset += n;
	}
	be_put(ctl, result, 4);
	(void)guestmem_write(fw->gm, addr, ctl, sizeof(ctl));
}

/*
 * 0x510-0x511, as QEMU's combined port: a 16-bit write to 0x510 selects,
 * an 8-bit read of either port reads data, an 8-bit write is a data
 * write (ignored since QEMU 2.4); anything else is not decoded.
 */
static int
fw_cfg_io(void *arg, uint16_t port, int dir, int size, uint32_t *data)
{
	struct fw_cfg *fw = arg;

	if (dir == DEV_IO_IN) {
		if (size != 1)
			return (EINVAL);
		*data = fw_cfg_read_byte(fw);
		return (0);
	}
	if (size == 2 && port == FW_CFG_PORT_SEL) {
		fw_cfg_select(fw, (uint16_t)*data);
		return (0);
	}
	return (size == 1 ? 0 : EINVAL);
}

/*
 * 0x514-0x51B: an 8-byte big-endian register seen through little-endian
 * port accesses, so EAX holds the bytes in memory order.  Writing 32 bits
 * at 0x518 (the low half) runs the transfer and clears the register.
 */
static int
fw_cfg_dma_io(void *arg, uint16_t port, int dir, int size, uint32_t *data)
{
	static const char sig[] = FW_CFG_DMA_SIGNATURE;
	struct fw_cfg *fw = arg;
	unsigned off = port - FW_CFG_PORT_DMA;
	int i;

	if (dir == DEV_IO_IN) {
		uint32_t v = 0;

		for (i = 0; i < size; i++) {
			uint32_t b = off + i < 8 ? (uint8_t)sig[off + i] : 0xFF;

			v |= b << (8 * i);
		}
		*data = v;
		return (0);
	}
	if (size != 4 || (off != 0 && off != 4))
		return (EINVAL);
	for (i = 0; i < 4; i++)
		fw->dma_reg[off + i] = (uint8_t)(*data >> (8 * i));
	if (off == 0)
		return (0);
	fw_cfg_dma(fw, be_get(fw->dma_reg, 8));
	memset(fw->dma_reg, 0, sizeof(fw->dma_reg));
	return (0);
}

struct fw_cfg *
fw_cfg_create(const struct guestmem *gm)
{
	struct fw_cfg *fw;
	int error;

	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		return (NULL);
	fw->gm = gm;
	if ((error = fw_cfg_add_item(fw, FW_CFG_SIGNATURE, "QEMU", 4)) != 0 ||
	    (error = fw_cfg_add_u32(fw, FW_CFG_ID,
	    FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA)) != 0 ||
	    (error = fw_cfg_add_u16(fw, FW_CFG_NOGRAPHIC, 1)) != 0 ||
	    (error = fw_cfg_update_dir(fw)) != 0) {
		fw_cfg_destroy(fw);
		errno = error;
		return (NULL);
	}
	return (fw);
}

void
fw_cfg_destroy(struct fw_cfg *fw)
{
	size_t i;

	if (fw == NULL)
		return;
	if (fw->ports != NULL) {
		dev_ports_unregister(fw->ports, FW_CFG_PORT_SEL, 2, fw);
		dev_ports_unregister(fw->ports, FW_CFG_PORT_DMA,
		    FW_CFG_DMA_NPORTS, fw);
	}
	for (i = 0; i < fw->nitems; i++)
		free(fw->items[i].data);
	free(fw->items);
	free(fw);
}

int
fw_cfg_register(struct fw_cfg *fw, struct dev_port_table *t)
{
	int error;

	if (fw->ports != NULL)
		return (EBUSY);
	if ((error = dev_ports_register(t, FW_CFG_PORT_SEL, 2, fw_cfg_io,
	    fw)) != 0)
		return (error);
	if ((error = dev_ports_register(t, FW_CFG_PORT_DMA, FW_CFG_DMA_NPORTS,
	    fw_cfg_dma_io, fw)) != 0) {
		dev_ports_unregister(t, FW_CFG_PORT_SEL, 2, fw);
		return (error);
	}
	fw->ports = t;
	return (0);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
fw_cfg_snap(struct fw_cfg *fw, struct snapbuf *sb)
{
	uint64_t off = fw->cur_offset;

	SB_INT(sb, fw->cur_key);
	SB_INT(sb, off);
	fw->cur_offset = (size_t)off;
	snapbuf_bytes(sb, fw->dma_reg, sizeof(fw->dma_reg));
}
