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
 * A PCI bus 0 behind a host bridge, reached through configuration
 * mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2): the dword address
 * register at 0xCF8 and the data window 0xCFC-0xCFF.
 *
 * As in vmd's pci.c: bus 0 and function 0 only, at most 32 devices, slot
 * 0 is the host bridge (vendor OpenBSD 0x0b5d, product PCHB 0x0666, class
 * bridge/host), only I/O BARs, pre-assigned from 0x1000 in 4 KiB steps in
 * add order, and each device that wants an interrupt takes the next IRQ
 * from {3, 5, 6, 7, 9, 10, 11, 12, 14, 15} on INTA#, with no sharing.
 *
 * Unlike vmd, the configuration header is a real one: read-only fields
 * stay read-only, BAR sizing returns the BAR's own size mask, and a BAR
 * the guest moves (or whose decoding it turns off with the command
 * register) really moves in the port table.  Devices start with I/O
 * decoding on at their pre-assigned BARs, the state firmware would leave
 * them in, so a directly booted kernel finds them working; SeaBIOS may
 * reassign them and the ports follow.  Bit 3 of the status register
 * reflects the device's INTx state and command bit 10 masks it.
 *
 * Using it:
 *	pci = pci_create(&irq_line);		// host bridge at 00:00.0
 *	pci_register(pci, &ports);		// 0xCF8, 0xCFC-0xCFF, BARs
 *	pci_add_device(pci, &params, &slot);	// or a virtio_*_create()
 *	for each irq in pci_irq_mask(pci): i8259_set_elcr(pic, irq, true)
 *	...
 *	remove or destroy the devices, then pci_destroy(pci), which gives
 *	its ports back to the table.
 * irq_line->set(arg, irq, level) gets the device's IRQ number and a
 * level: PCI interrupts are level-triggered, so the PIC input must be set
 * to level mode in the ELCR (vmd does this for every PCI IRQ).
 */

#ifndef VMMSIM_PCI_H
#define VMMSIM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"

#define PCI_CONFIG_ADDR_PORT	0xCF8
#define PCI_CONFIG_DATA_PORT	0xCFC	/* four ports, 0xCFC-0xCFF */
#define PCI_CONFIG_ENABLE	0x80000000U
#define PCI_MAX_DEVICES		32
#define PCI_NBARS		6
#define PCI_CFG_SIZE		256
#define PCI_IO_BAR_BASE		0x1000	/* vmd's VM_PCI_IO_BAR_BASE */
#define PCI_IO_BAR_STEP		0x1000
#define PCI_NO_IRQ		(-1)

/* Type 0 configuration header offsets. */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_SUBCLASS		0x0A
#define PCI_CLASS		0x0B
#define PCI_CACHE_LINE_SIZE	0x0C
#define PCI_LATENCY_TIMER	0x0D
#define PCI_HEADER_TYPE		0x0E
#define PCI_BIST		0x0F
#define PCI_BAR0		0x10
#define PCI_BAR(n)		(PCI_BAR0 + 4 * (n))
#define PCI_CARDBUS_CIS		0x28
#define PCI_SUBSYS_VENDOR_ID	0x2C
#define PCI_SUBSYS_ID		0x2E
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3C
#define PCI_INTERRUPT_PIN	0x3D
#define PCI_MIN_GNT		0x3E
#define PCI_MAX_LAT		0x3F

/* Command register bits the model implements (the rest read 0). */
#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_PARITY	0x0040
#define PCI_COMMAND_SERR	0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

/* Status register. */
#define PCI_STATUS_INTERRUPT	0x0008	/* INTx asserted (read-only) */
#define PCI_STATUS_ERRORS	0xF900	/* write 1 to clear */

#define PCI_BAR_IO		0x00000001U	/* bit 0 of an I/O BAR */
#define PCI_INTERRUPT_PIN_A	1

/* IDs and classes used here (OpenBSD pcidevs / pcireg.h values). */
#define PCI_VENDOR_OPENBSD	0x0b5d
#define PCI_PRODUCT_OPENBSD_PCHB 0x0666
#define PCI_CLASS_BRIDGE	0x06
#define PCI_SUBCLASS_BRIDGE_HOST 0x00

/*
 * An access to one of a device's I/O BARs: off is the port minus the
 * BAR's current base, size 1, 2 or 4; for DEV_IO_IN store the value in
 * *data.  Returns 0 or an errno value (the access then floats).
 */
typedef int (*pci_bar_io_fn)(void *cookie, int bar, uint32_t off, int dir,
    int size, uint32_t *data);

struct pci_device_params {
	uint16_t	vendor;
	uint16_t	product;
	uint8_t		revision;
	uint8_t		class;
	uint8_t		subclass;
	uint8_t		interface;
	uint16_t	subsys_vendor;
	uint16_t	subsys_id;
	bool		intr;		/* wants an IRQ on INTA# */
	uint32_t	io_bar_size[PCI_NBARS];	/* 0 none; power of 2, 4..64K */
	pci_bar_io_fn	bar_io;
	void		*cookie;
};

struct pci_bus;

/* The bus with its host bridge; NULL and errno (ENOMEM) on failure. */
struct pci_bus	*pci_create(const struct dev_irq *line);
void		 pci_destroy(struct pci_bus *);

/*
 * Claim 0xCF8 and 0xCFC-0xCFF and map every decoding BAR; from now on
 * BARs follow the guest's writes.  EBUSY if a config port is taken.
 */
int		 pci_register(struct pci_bus *, struct dev_port_table *);

/*
 * Put a device in the next free slot and give it its BARs and IRQ.
 * ENOSPC when the 32 slots or the 10 IRQs are used up, EINVAL for a bad
 * BAR size or a missing bar_io with BARs.  *slot gets the device number.
 */
int		 pci_add_device(struct pci_bus *,
		    const struct pci_device_params *, unsigned *slot);

/* Unplug: BAR ports go back to the table, the line is lowered. */
void		 pci_remove_device(struct pci_bus *, unsigned slot);

/*
 * The device's INTx wire: level 1 asserted.  Reaches the IRQ line unless
 * the guest set PCI_COMMAND_INTX_DISABLE.
 */
void		 pci_set_intx(struct pci_bus *, unsigned slot, int level);

/* The IRQ the device was given, or PCI_NO_IRQ. */
int		 pci_device_irq(const struct pci_bus *, unsigned slot);

/* Bit n set for each IRQ n given to a device (to set ELCR level mode). */
uint16_t	 pci_irq_mask(const struct pci_bus *);

/* The port where BAR n decodes now, or -1 if it does not. */
int		 pci_bar_port(const struct pci_bus *, unsigned slot, int bar);

struct snapbuf;
void	pci_snap(struct pci_bus *, struct snapbuf *);

#endif /* VMMSIM_PCI_H */
