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
 * PCI host bridge and configuration mechanism #1 (pci.h).
 *
 * Each device's 256-byte header is three arrays, as hardware registers
 * are: the value, a mask of writable bits and a mask of write-1-to-clear
 * bits.  A config write is applied byte by byte through the masks, so any
 * access size at any offset behaves; then the command register and BARs
 * are looked at again and the port table follows them.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/snapbuf.h"

#define PCI_ADDR_RESERVED	0x7F000003U	/* read as 0 in CONFIG_ADDRESS */
#define PCI_ADDR_BUS(a)		(((a) >> 16) & 0xFF)
#define PCI_ADDR_DEV(a)		(((a) >> 11) & 0x1F)
#define PCI_ADDR_FUNC(a)	(((a) >> 8) & 0x07)
#define PCI_ADDR_REG(a)		((a) & 0xFC)

#define PCI_COMMAND_WMASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
				 PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
				 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_IO_SPACE_END	0x10000U
#define PCI_IO_BAR_MAX		0x10000U

/* vmd's PCI IRQs, handed out in add order. */
static const uint8_t pci_irqs[] = { 3, 5, 6, 7, 9, 10, 11, 12, 14, 15 };
#define PCI_NIRQS	(sizeof(pci_irqs) / sizeof(pci_irqs[0]))

struct pci_device;

/* One BAR as the port table sees it: the dev pointer of its ports. */
struct pci_bar {
	struct pci_device	*pd;		/* [I] */
	int			 index;		/* [I] */
	uint32_t		 size;		/* [I] 0: no BAR */
	bool			 mapped;	/* ports registered */
	uint32_t		 mapped_base;
};

struct pci_device {
	bool		 present;
	uint8_t		 cfg[PCI_CFG_SIZE];
	uint8_t		 wmask[PCI_CFG_SIZE];
	uint8_t		 w1cmask[PCI_CFG_SIZE];
	struct pci_bar	 bar[PCI_NBARS];
	pci_bar_io_fn	 bar_io;		/* [I] */
	void		*cookie;		/* [I] */
	int		 irq;			/* [I] or PCI_NO_IRQ */
	int		 intx;			/* the device's wire */
	int		 line_out;		/* what the IRQ line was told */
};

struct pci_bus {
	struct dev_irq		 line;		/* [I] */
	struct dev_port_table	*ports;		/* NULL until pci_register */
	uint32_t		 addr;		/* CONFIG_ADDRESS */
	uint32_t		 next_io_bar;
	unsigned		 nirqs;		/* pci_irqs[] handed out */
	struct pci_device	 dev[PCI_MAX_DEVICES];
};

static void
cfg_put(uint8_t *a, unsigned off, uint32_t v, int size)
{
	int i;

	for (i = 0; i < size; i++)
		a[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
cfg_get(const uint8_t *a, unsigned off, int size)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < size; i++)
		v |= (uint32_t)a[off + i] << (8 * i);
	return (v);
}

static uint32_t
bar_value(const struct pci_device *pd, int n)
{
	return (cfg_get(pd->cfg, PCI_BAR(n), 4) & ~PCI_BAR_IO);
}

static int
pci_bar_dispatch(void *arg, uint16_t port, int dir, int size, uint32_t *data)
{
	struct pci_bar *b = arg;
	struct pci_device *pd = b->pd;

	return (pd->bar_io(pd->cookie, b->index, port - b->mapped_base, dir,
	    size, data));
}

/*
 * Make the port table agree with every device's command register and
 * BARs.  Unmapping comes first so two BARs can trade places; a BAR whose
 * ports are taken (by another BAR or an ISA device) stays unmapped until
 * a later change frees them, as a decode conflict on a real bus would
 * leave one side unreachable.
 */
static void
pci_remap(struct pci_bus *pci)
{
	unsigned s;
	int n;

	if (pci->ports == NULL)
		return;
	for (s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_device *pd = &pci->dev[s];

		for (n = 0; n < PCI_NBARS; n++) {
			struct pci_bar *b = &pd->bar[n];
			uint32_t base = bar_value(pd, n);
			bool want = pd->present && b->size != 0 &&
			    (cfg_get(pd->cfg, PCI_COMMAND, 2) &
			    PCI_COMMAND_IO) && base != 0 &&
			    base < PCI_IO_SPACE_END &&
			    b->size <= PCI_IO_SPACE_END - base;

			if (b->mapped && (!want || base != b->mapped_base)) {
				dev_ports_unregister(pci->ports,
				    (uint16_t)b->mapped_base, b->size, b);
				b->mapped = false;
			}
		}
	}
	for (s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_device *pd = &pci->dev[s];

		for (n = 0; n < PCI_NBARS; n++) {
			struct pci_bar *b = &pd->bar[n];
			uint32_t base = bar_value(pd, n);

			if (b->mapped || !pd->present || b->size == 0 ||
			    !(cfg_get(pd->cfg, PCI_COMMAND, 2) &
			    PCI_COMMAND_IO) || base == 0 ||
			    base >= PCI_IO_SPACE_END ||
			    b->size > PCI_IO_SPACE_END - base)
				continue;
			if (dev_ports_register(pci->ports, (uint16_t)base,
			    b->size, pci_bar_dispatch, b) == 0) {
				b->mapped = true;
				b->mapped_base = base;
			}
		}
	}
}

/* Drive the IRQ line from the device's wire and its INTx mask. */
static void
pci_update_line(struct pci_bus *pci, struct pci_device *pd)
{
	int out;
	uint16_t st;

	st = (uint16_t)cfg_get(pd->cfg, PCI_STATUS, 2);
	st = pd->intx ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT;
	cfg_put(pd->cfg, PCI_STATUS, st, 2);
	out = pd->intx && !(cfg_get(pd->cfg, PCI_COMMAND, 2) &
	    PCI_COMMAND_INTX_DISABLE);
	if (pd->irq == PCI_NO_IRQ || out == pd->line_out)
		return;
	pd->line_out = out;
	dev_irq_set(&pci->line, pd->irq, out);
}

/* Build the header of a new device in slot s. */
static void
pci_dev_init(struct pci_bus *pci, unsigned s,
    const struct pci_device_params *p, int irq)
{
	struct pci_device *pd = &pci->dev[s];
	uint16_t cmd = 0;
	int n;

	memset(pd, 0, sizeof(*pd));
	pd->present = true;
	pd->bar_io = p->bar_io;
	pd->cookie = p->cookie;
	pd->irq = irq;

	cfg_put(pd->cfg, PCI_VENDOR_ID, p->vendor, 2);
	cfg_put(pd->cfg, PCI_DEVICE_ID, p->product, 2);
	pd->cfg[PCI_REVISION_ID] = p->revision;
	pd->cfg[PCI_CLASS_PROG] = p->interface;
	pd->cfg[PCI_SUBCLASS] = p->subclass;
	pd->cfg[PCI_CLASS] = p->class;
	pd->cfg[PCI_HEADER_TYPE] = 0x00;	/* type 0, single function */
	cfg_put(pd->cfg, PCI_SUBSYS_VENDOR_ID, p->subsys_vendor, 2);
	cfg_put(pd->cfg, PCI_SUBSYS_ID, p->subsys_id, 2);

	cfg_put(pd->wmask, PCI_COMMAND, PCI_COMMAND_WMASK, 2);
	cfg_put(pd->w1cmask, PCI_STATUS, PCI_STATUS_ERRORS, 2);
	pd->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
	pd->wmask[PCI_LATENCY_TIMER] = 0xFF;

	for (n = 0; n < PCI_NBARS; n++) {
		uint32_t size = p->io_bar_size[n], base;

		pd->bar[n].pd = pd;
		pd->bar[n].index = n;
		pd->bar[n].size = size;
		if (size == 0)
			continue;
		/* Natural alignment, and vmd's 4 KiB steps. */
		base = (pci->next_io_bar + size - 1) & ~(size - 1);
		pci->next_io_bar = base + (size > PCI_IO_BAR_STEP ? size :
		    PCI_IO_BAR_STEP);
		if (base + size > PCI_IO_SPACE_END)
			base = 0;	/* left for firmware to place */
		cfg_put(pd->cfg, PCI_BAR(n), base | PCI_BAR_IO, 4);
		cfg_put(pd->wmask, PCI_BAR(n), ~(size - 1) & ~3U, 4);
		cmd = PCI_COMMAND_IO;
	}
	cfg_put(pd->cfg, PCI_COMMAND, cmd, 2);

	if (irq != PCI_NO_IRQ) {
		pd->cfg[PCI_INTERRUPT_LINE] = (uint8_t)irq;
		pd->cfg[PCI_INTERRUPT_PIN] = PCI_INTERRUPT_PIN_A;
		/* The OS's scratch byte for its routing, per the spec. */
		pd->wmask[PCI_INTERRUPT_LINE] = 0xFF;
	}
}

struct pci_bus *
pci_create(const struct dev_irq *line)
{
	struct pci_bus *pci;
	struct pci_device_params hb;

	if ((pci = calloc(1, sizeof(*pci))) == NULL)
		return (NULL);
	if (line != NULL)
		pci->line = *line;
	pci->next_io_bar = PCI_IO_BAR_BASE;

	memset(&hb, 0, sizeof(hb));
	hb.vendor = PCI_VENDOR_OPENBSD;
	hb.product = PCI_PRODUCT_OPENBSD_PCHB;
	hb.class = PCI_CLASS_BRIDGE;
	hb.subclass = PCI_SUBCLASS_BRIDGE_HOST;
	hb.subsys_vendor = PCI_VENDOR_OPENBSD;
	pci_dev_init(pci, 0, &hb, PCI_NO_IRQ);
	return (pci);
}

void
pci_destroy(struct pci_bus *pci)
{
	unsigned s;

	if (pci == NULL)
		return;
	for (s = 0; s < PCI_MAX_DEVICES; s++)
		pci->dev[s].present = false;
	pci_remap(pci);
	if (pci->ports != NULL) {
		dev_ports_unregister(pci->ports, PCI_CONFIG_ADDR_PORT, 1, pci);
		dev_ports_unregister(pci->ports, PCI_CONFIG_DATA_PORT, 4, pci);
	}
	free(pci);
}

/* Read `size` bytes of the selected device's header at off. */
static uint32_t
pci_cfg_read(struct pci_device *pd, unsigned off, int size)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < size; i++) {
		uint32_t b = off + i < PCI_CFG_SIZE ? pd->cfg[off + i] : 0xFF;

		v |= b << (8 * i);
	}
	return (v);
}

static void
pci_cfg_write(struct pci_bus *pci, struct pci_device *pd, unsigned off,
    int size, uint32_t v)
{
	bool remap = false, intx = false;
	int i;

	for (i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(v >> (8 * i));

		if (o >= PCI_CFG_SIZE)
			break;
		pd->cfg[o] = (pd->cfg[o] & ~pd->wmask[o]) | (b & pd->wmask[o]);
		pd->cfg[o] &= ~(b & pd->w1cmask[o]);
		if (o >= PCI_COMMAND && o < PCI_COMMAND + 2)
			remap = intx = true;
		if (o >= PCI_BAR0 && o < PCI_BAR(PCI_NBARS))
			remap = true;
	}
	if (remap)
		pci_remap(pci);
	if (intx)
		pci_update_line(pci, pd);
}

/* The device CONFIG_ADDRESS selects, or NULL (the access then floats). */
static struct pci_device *
pci_selected(struct pci_bus *pci)
{
	uint32_t a = pci->addr;
	struct pci_device *pd;

	if (!(a & PCI_CONFIG_ENABLE) || PCI_ADDR_BUS(a) != 0 ||
	    PCI_ADDR_FUNC(a) != 0)
		return (NULL);
	pd = &pci->dev[PCI_ADDR_DEV(a)];
	return (pd->present ? pd : NULL);
}

/*
 * 0xCF8: only a dword access reaches CONFIG_ADDRESS (byte and word
 * accesses to 0xCF8-0xCFB are other registers on a real chipset).
 */
static int
pci_addr_io(void *arg, uint16_t port, int dir, int size, uint32_t *data)
{
	struct pci_bus *pci = arg;

	(void)port;
	if (size != 4)
		return (EINVAL);
	if (dir == DEV_IO_IN)
		*data = pci->addr;
	else
		pci->addr = *data & ~PCI_ADDR_RESERVED;
	return (0);
}

/*
 * 0xCFC-0xCFF: bytes (port - 0xCFC) onwards of the selected dword.  An
 * access running past 0xCFF reads the missing bytes as ones and drops
 * them on writes.
 */
static int
pci_data_io(void *arg, uint16_t port, int dir, int size, uint32_t *data)
{
	struct pci_bus *pci = arg;
	struct pci_device *pd = pci_selected(pci);
	unsigned k = port - PCI_CONFIG_DATA_PORT;
	int n = (int)(4 - k) < size ? (int)(4 - k) : size;
	unsigned off = PCI_ADDR_REG(pci->addr) + k;

	if (dir == DEV_IO_IN) {
		uint32_t ones = size == 4 ? 0xFFFFFFFFU : (1U << (8 * size)) - 1;

		if (pd == NULL) {
			*data = ones;
			return (0);
		}
		*data = pci_cfg_read(pd, off, n) |
		    (ones & ~(n == 4 ? 0xFFFFFFFFU : (1U << (8 * n)) - 1));
		return (0);
	}
	if (pd != NULL)
		pci_cfg_write(pci, pd, off, n, *data);
	return (0);
}

int
pci_register(struct pci_bus *pci, struct dev_port_table *t)
{
	int error;

	if (pci->ports != NULL)
		return (EBUSY);
	if ((error = dev_ports_register(t, PCI_CONFIG_ADDR_PORT, 1,
	    pci_addr_io, pci)) != 0)
		return (error);
	if ((error = dev_ports_register(t, PCI_CONFIG_DATA_PORT, 4,
	    pci_data_io, pci)) != 0) {
		dev_ports_unregister(t, PCI_CONFIG_ADDR_PORT, 1, pci);
		return (error);
	}
	pci->ports = t;
	pci_remap(pci);
	return (0);
}

int
pci_add_device(struct pci_bus *pci, const struct pci_device_params *p,
    unsigned *slot)
{
	unsigned s;
	int n, irq = PCI_NO_IRQ;
	bool bars = false;

	for (n = 0; n < PCI_NBARS; n++) {
		uint32_t size = p->io_bar_size[n];

		if (size == 0)
			continue;
		if (size < 4 || size > PCI_IO_BAR_MAX ||
		    (size & (size - 1)) != 0)
			return (EINVAL);
		bars = true;
	}
	if (bars && p->bar_io == NULL)
		return (EINVAL);
	for (s = 0; s < PCI_MAX_DEVICES && pci->dev[s].present; s++)
		;
	if (s == PCI_MAX_DEVICES)
		return (ENOSPC);
	if (p->intr) {
		if (pci->nirqs == PCI_NIRQS)
			return (ENOSPC);
		irq = pci_irqs[pci->nirqs++];
	}
	pci_dev_init(pci, s, p, irq);
	pci_remap(pci);
	if (slot != NULL)
		*slot = s;
	return (0);
}

void
pci_remove_device(struct pci_bus *pci, unsigned slot)
{
	struct pci_device *pd;

	if (slot == 0 || slot >= PCI_MAX_DEVICES || !pci->dev[slot].present)
		return;
	pd = &pci->dev[slot];
	pd->intx = 0;
	pci_update_line(pci, pd);
	pd->present = false;
	pci_remap(pci);
	memset(pd, 0, sizeof(*pd));
}

void
pci_set_intx(struct pci_bus *pci, unsigned slot, int level)
{
	struct pci_device *pd;

	if (slot >= PCI_MAX_DEVICES || !pci->dev[slot].present)
		return;
	pd = &pci->dev[slot];
	pd->intx = level != 0;
	pci_update_line(pci, pd);
}

int
pci_device_irq(const struct pci_bus *pci, unsigned slot)
{
	if (slot >= PCI_MAX_DEVICES || !pci->dev[slot].present)
		return (PCI_NO_IRQ);
	return (pci->dev[slot].irq);
}

uint16_t
pci_irq_mask(const struct pci_bus *pci)
{
	uint16_t mask = 0;
	unsigned s;

	for (s = 0; s < PCI_MAX_DEVICES; s++)
		if (pci->dev[s].present && pci->dev[s].irq != PCI_NO_IRQ)
			mask |= 1U << pci->dev[s].irq;
	return (mask);
}

int
pci_bar_port(const struct pci_bus *pci, unsigned slot, int bar)
{
	const struct pci_bar *b;

	if (slot >= PCI_MAX_DEVICES || !pci->dev[slot].present ||
	    bar < 0 || bar >= PCI_NBARS)
		return (-1);
	b = &pci->dev[slot].bar[bar];
	return (b->mapped ? (int)b->mapped_base : -1);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
pci_snap(struct pci_bus *pci, struct snapbuf *sb)
{
	struct pci_device *pd;
	unsigned s;
	bool present;

	SB_INT(sb, pci->addr);
	SB_INT(sb, pci->next_io_bar);
	for (s = 0; s < PCI_MAX_DEVICES; s++) {
		pd = &pci->dev[s];
		/* The same devices in the same slots, or it is another VM. */
		present = pd->present;
		SB_BOOL(sb, present);
		if (present != pd->present)
			sb->error = EINVAL;
		if (!pd->present)
			continue;
		snapbuf_bytes(sb, pd->cfg, sizeof(pd->cfg));
		SB_INT(sb, pd->intx);
		snapbuf_check(sb, (uint32_t)pd->intx, 2);
		SB_INT(sb, pd->line_out);
		snapbuf_check(sb, (uint32_t)pd->line_out, 2);
	}
	/* The port table follows the restored command registers and BARs. */
	if (!sb->save && sb->error == 0)
		pci_remap(pci);
}
