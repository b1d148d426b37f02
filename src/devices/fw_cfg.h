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
 * QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.rst), the
 * x86 I/O port flavour SeaBIOS and Linux's qemu_fw_cfg driver use:
 *
 *	0x510	selector, written as 16 bits; selecting resets the offset
 *	0x511	data, read a byte at a time; past an item's end reads 0
 *		(as in QEMU, an 8-bit read of 0x510 is also a data read)
 *	0x514	DMA address, high 32 bits, big-endian (bswapped in EAX)
 *	0x518	DMA address, low 32 bits; writing it runs the transfer
 *		(reading 0x514-0x51B gives the signature "QEMU CFG")
 *
 * A DMA descriptor is {be32 control, be32 length, be64 address}; control
 * bits ERROR 0x01, READ 0x02, SKIP 0x04, SELECT 0x08 (selector in bits
 * 31:16), WRITE 0x10.  READ copies from the current offset and zero-fills
 * past the item's end, SKIP advances, WRITE fails with ERROR (as in vmd;
 * no item is writable).  Only the control word is written back: 0 when
 * done, ERROR on a failure.
 *
 * Items hold little-endian integers (fw_cfg_add_u16/32/64); the file
 * directory (key 0x19) is big-endian: a be32 count, then per file {be32
 * size, be16 select, be16 reserved, char name[56]}, in add order, as vmd
 * (QEMU sorts by name; SeaBIOS and Linux search the whole list).  Files
 * get keys from 0x20 on.
 *
 * What fw_cfg_create() sets up: "QEMU" at 0x00, id 3 (traditional + DMA)
 * at 0x01, NOGRAPHIC 1 at 0x04 (vmd), an empty directory.  The caller adds
 * the rest, typically:
 *	fw = fw_cfg_create(&gm);
 *	fw_cfg_set_machine(fw, guestmem_ram_bytes(&gm), 1);
 *	fw_cfg_add_e820(fw, &gm);			// "etc/e820"
 *	fw_cfg_add_file(fw, "etc/screen-and-debug", "\0\0\0\0\0\0\0\0", 8);
 *	fw_cfg_add_file(fw, "bootorder", order, strlen(order));
 *	fw_cfg_register(fw, &ports);
 *	...
 *	fw_cfg_destroy(fw);		// gives its ports back
 * vmd adds fw_cfg last because bootorder names PCI slots: for a disk in
 * slot 3 the order is "/pci@i0cf8/" "*@3" "\nHALT".
 */

#ifndef VMMSIM_FW_CFG_H
#define VMMSIM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "devices/devices.h"
#include "devices/guestmem.h"

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_PORT_DMA		0x514	/* 8 ports: high half, low half */
#define FW_CFG_DMA_NPORTS	8

/* Selector keys. */
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_UUID		0x0002
#define FW_CFG_RAM_SIZE		0x0003	/* u64 */
#define FW_CFG_NOGRAPHIC	0x0004	/* u16 */
#define FW_CFG_NB_CPUS		0x0005	/* u16 */
#define FW_CFG_MACHINE_ID	0x0006
#define FW_CFG_KERNEL_ADDR	0x0007
#define FW_CFG_KERNEL_SIZE	0x0008
#define FW_CFG_KERNEL_CMDLINE	0x0009
#define FW_CFG_INITRD_ADDR	0x000a
#define FW_CFG_INITRD_SIZE	0x000b
#define FW_CFG_BOOT_DEVICE	0x000c
#define FW_CFG_NUMA		0x000d	/* u64 node count, then data */
#define FW_CFG_BOOT_MENU	0x000e	/* u16 */
#define FW_CFG_MAX_CPUS		0x000f	/* u16 */
#define FW_CFG_FILE_DIR		0x0019
#define FW_CFG_FILE_FIRST	0x0020
#define FW_CFG_WRITE_CHANNEL	0x4000
#define FW_CFG_ARCH_LOCAL	0x8000
#define FW_CFG_INVALID		0xffff
/* x86's arch-local keys. */
#define FW_CFG_ACPI_TABLES	(FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES	(FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE	(FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE	(FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET		(FW_CFG_ARCH_LOCAL + 4)

#define FW_CFG_ID_TRADITIONAL	0x01
#define FW_CFG_ID_DMA		0x02
#define FW_CFG_MAX_FILE_PATH	56
#define FW_CFG_MAX_FILES	256
#define FW_CFG_DIR_ENTRY_SIZE	64

#define FW_CFG_DMA_CTL_ERROR	0x01
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SKIP	0x04
#define FW_CFG_DMA_CTL_SELECT	0x08
#define FW_CFG_DMA_CTL_WRITE	0x10
#define FW_CFG_DMA_SIGNATURE	"QEMU CFG"

struct fw_cfg;

/* NULL and errno on failure.  gm (for DMA) must outlive the device. */
struct fw_cfg	*fw_cfg_create(const struct guestmem *gm);
void		 fw_cfg_destroy(struct fw_cfg *);
int		 fw_cfg_register(struct fw_cfg *, struct dev_port_table *);

/*
 * Set item `key` to a copy of data (replacing an earlier value).  EINVAL
 * for FW_CFG_FILE_DIR, a file's key or FW_CFG_INVALID, ENOMEM.
 */
int	fw_cfg_add_item(struct fw_cfg *, uint16_t key, const void *data,
	    size_t len);
int	fw_cfg_add_u16(struct fw_cfg *, uint16_t key, uint16_t);
int	fw_cfg_add_u32(struct fw_cfg *, uint16_t key, uint32_t);
int	fw_cfg_add_u64(struct fw_cfg *, uint16_t key, uint64_t);

/*
 * Add a named file with a copy of data, listed in the directory; *key
 * (may be NULL) gets its selector.  EEXIST for a name already there,
 * ENAMETOOLONG for a name of 56 bytes or more, EINVAL for an empty one,
 * ENOSPC past FW_CFG_MAX_FILES, ENOMEM.
 */
int	fw_cfg_add_file(struct fw_cfg *, const char *name, const void *data,
	    size_t len, uint16_t *key);

/* RAM_SIZE (u64), NB_CPUS and MAX_CPUS (u16), NUMA 0, BOOT_MENU 0. */
int	fw_cfg_set_machine(struct fw_cfg *, uint64_t ram_bytes,
	    uint16_t ncpus);

/*
 * "etc/e820" from the guest memory layout, QEMU's format: per range
 * {le64 address, le64 length, le32 type}, RAM type 1, others 2 (vmd).
 */
int	fw_cfg_add_e820(struct fw_cfg *, const struct guestmem *);

struct snapbuf;
void	fw_cfg_snap(struct fw_cfg *, struct snapbuf *);

#endif /* VMMSIM_FW_CFG_H */
