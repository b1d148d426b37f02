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
 * The PCI host bridge as a guest's PCI code sees it through configuration
 * mechanism #1: header bytes, masks, BAR sizing, BARs moving in the port
 * table, INTx.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/pci.h"

#define NCALLS	16

static struct dev_port_table	*ports;
static struct pci_bus		*pci;
static int			 line_irq[NCALLS], line_level[NCALLS];
static size_t			 nline;

/* What the BAR handler saw. */
struct bar_call {
	void		*cookie;
	int		 bar;
	uint32_t	 off;
	int		 dir;
	int		 size;
	uint32_t	 data;
};
static struct bar_call	calls[NCALLS];
static size_t		ncalls;
static int		cookie_a, cookie_b;

static void
irq_set(void *arg, int irq, int level)
{
	ck_assert_ptr_eq(arg, &nline);
	ck_assert_uint_lt(nline, NCALLS);
	line_irq[nline] = irq;
	line_level[nline] = level;
	nline++;
}

static const struct dev_irq irq_line = { irq_set, &nline };

static int
bar_io(void *cookie, int bar, uint32_t off, int dir, int size,
    uint32_t *data)
{
	struct bar_call *c;

	ck_assert_uint_lt(ncalls, NCALLS);
	c = &calls[ncalls++];
	c->cookie = cookie;
	c->bar = bar;
	c->off = off;
	c->dir = dir;
	c->size = size;
	c->data = *data;
	if (dir == DEV_IO_IN)
		*data = 0xA5A5A5A5U & (size == 4 ? 0xFFFFFFFFU :
		    (1U << (8 * size)) - 1);
	return (0);
}

static int
other_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	if (dir == DEV_IO_IN)
		*data = 0x42;
	return (0);
}

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	nline = 0;
	ncalls = 0;
	pci = pci_create(&irq_line);
	ck_assert_ptr_nonnull(pci);
	ck_assert_int_eq(pci_register(pci, ports), 0);
}

static void
teardown(void)
{
	pci_destroy(pci);
	free(ports);
}

static void
outl(uint16_t port, uint32_t v)
{
	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_OUT, 4, &v), 0);
}

static uint32_t
in(uint16_t port, int size)
{
	uint32_t v = 0xDEADBEEF;

	dev_ports_io(ports, port, DEV_IO_IN, size, &v);
	return (v);
}

static uint32_t
cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return (PCI_CONFIG_ENABLE | bus << 16 | dev << 11 | fn << 8 |
	    (reg & 0xFC));
}

/* Read `size` bytes of device dev's header at reg, as a guest does. */
static uint32_t
cfg_read(unsigned dev, unsigned reg, int size)
{
	outl(PCI_CONFIG_ADDR_PORT, cfg_addr(0, dev, 0, reg));
	return (in(PCI_CONFIG_DATA_PORT + (reg & 3), size));
}

static void
cfg_write(unsigned dev, unsigned reg, int size, uint32_t v)
{
	outl(PCI_CONFIG_ADDR_PORT, cfg_addr(0, dev, 0, reg));
	ck_assert_int_eq(dev_ports_io(ports, PCI_CONFIG_DATA_PORT + (reg & 3),
	    DEV_IO_OUT, size, &v), 0);
}

/* A device like a legacy virtio one: one 4 KiB I/O BAR and an IRQ. */
static unsigned
add_dev(void *cookie, uint32_t bar0, bool intr)
{
	struct pci_device_params p;
	unsigned slot = 99;

	memset(&p, 0, sizeof(p));
	p.vendor = 0x1af4;
	p.product = 0x1001;
	p.class = 0x01;
	p.subclass = 0x00;
	p.subsys_vendor = 0x0b5d;
	p.subsys_id = 2;
	p.intr = intr;
	p.io_bar_size[0] = bar0;
	p.bar_io = bar_io;
	p.cookie = cookie;
	ck_assert_int_eq(pci_add_device(pci, &p, &slot), 0);
	return (slot);
}

/* --- the host bridge and mechanism #1 ---------------------------------- */

START_TEST(test_host_bridge_header)
{
	ck_assert_uint_eq(cfg_read(0, PCI_VENDOR_ID, 4), 0x06660b5d);
	ck_assert_uint_eq(cfg_read(0, PCI_REVISION_ID, 4), 0x06000000);
	ck_assert_uint_eq(cfg_read(0, PCI_CACHE_LINE_SIZE, 4), 0x00000000);
	ck_assert_uint_eq(cfg_read(0, PCI_SUBSYS_VENDOR_ID, 4), 0x00000b5d);
	ck_assert_uint_eq(cfg_read(0, PCI_BAR(0), 4), 0);
	ck_assert_uint_eq(cfg_read(0, PCI_INTERRUPT_LINE, 4), 0);
	ck_assert_uint_eq(cfg_read(0, 0x40, 4), 0);
	ck_assert_uint_eq(cfg_read(0, 0xFC, 4), 0);
}
END_TEST

START_TEST(test_data_window_every_size_and_byte_offset)
{
	/* Bytes of dword 0: 5d 0b 66 06. */
	ck_assert_uint_eq(cfg_read(0, 0, 1), 0x5d);
	ck_assert_uint_eq(cfg_read(0, 1, 1), 0x0b);
	ck_assert_uint_eq(cfg_read(0, 2, 1), 0x66);
	ck_assert_uint_eq(cfg_read(0, 3, 1), 0x06);
	ck_assert_uint_eq(cfg_read(0, 0, 2), 0x0b5d);
	ck_assert_uint_eq(cfg_read(0, 1, 2), 0x660b);
	ck_assert_uint_eq(cfg_read(0, 2, 2), 0x0666);
	/* Past 0xCFF the bytes float. */
	ck_assert_uint_eq(cfg_read(0, 3, 2), 0xFF06);
	ck_assert_uint_eq(cfg_read(0, 2, 4), 0xFFFF0666);
}
END_TEST

START_TEST(test_config_address_register)
{
	outl(PCI_CONFIG_ADDR_PORT, 0xFFFFFFFF);
	/* Reserved bits 30:24 and 1:0 read as zero. */
	ck_assert_uint_eq(in(PCI_CONFIG_ADDR_PORT, 4), 0x80FFFFFC);
	outl(PCI_CONFIG_ADDR_PORT, 0x80000804);
	ck_assert_uint_eq(in(PCI_CONFIG_ADDR_PORT, 4), 0x80000804);
	/* Only dword accesses reach CONFIG_ADDRESS. */
	ck_assert_uint_eq(in(PCI_CONFIG_ADDR_PORT, 1), 0xFF);
	ck_assert_uint_eq(in(PCI_CONFIG_ADDR_PORT, 2), 0xFFFF);
}
END_TEST

START_TEST(test_absent_devices_read_all_ones)
{
	ck_assert_uint_eq(cfg_read(5, 0, 4), 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(31, 0, 2), 0xFFFF);
	/* Bus 1 and function 1 of an existing device: nothing there. */
	outl(PCI_CONFIG_ADDR_PORT, cfg_addr(1, 0, 0, 0));
	ck_assert_uint_eq(in(PCI_CONFIG_DATA_PORT, 4), 0xFFFFFFFF);
	outl(PCI_CONFIG_ADDR_PORT, cfg_addr(0, 0, 1, 0));
	ck_assert_uint_eq(in(PCI_CONFIG_DATA_PORT, 4), 0xFFFFFFFF);
	/* Enable bit clear: no configuration cycle. */
	outl(PCI_CONFIG_ADDR_PORT, 0);
	ck_assert_uint_eq(in(PCI_CONFIG_DATA_PORT, 4), 0xFFFFFFFF);
}
END_TEST

START_TEST(test_read_only_fields_stay)
{
	unsigned s = add_dev(&cookie_a, 0x1000, true);

	cfg_write(s, PCI_VENDOR_ID, 4, 0x12345678);
	cfg_write(s, PCI_REVISION_ID, 4, 0xFFFFFFFF);
	cfg_write(s, PCI_SUBSYS_VENDOR_ID, 4, 0);
	cfg_write(s, PCI_INTERRUPT_PIN, 1, 4);
	cfg_write(s, PCI_HEADER_TYPE, 1, 0x80);
	cfg_write(s, 0x80, 4, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(s, PCI_VENDOR_ID, 4), 0x10011af4);
	ck_assert_uint_eq(cfg_read(s, PCI_REVISION_ID, 4), 0x01000000);
	ck_assert_uint_eq(cfg_read(s, PCI_SUBSYS_VENDOR_ID, 4), 0x00020b5d);
	ck_assert_uint_eq(cfg_read(s, PCI_INTERRUPT_PIN, 1), 1);
	ck_assert_uint_eq(cfg_read(s, PCI_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(cfg_read(s, 0x80, 4), 0);
}
END_TEST

START_TEST(test_writable_fields_and_masks)
{
	unsigned s = add_dev(&cookie_a, 0x1000, true);

	/* Command: only the implemented bits take. */
	cfg_write(s, PCI_COMMAND, 2, 0xFFFF);
	ck_assert_uint_eq(cfg_read(s, PCI_COMMAND, 2), 0x0547);
	/* Status error bits are write-1-to-clear, and clear already. */
	cfg_write(s, PCI_STATUS, 2, 0xFFFF);
	ck_assert_uint_eq(cfg_read(s, PCI_STATUS, 2), 0);
	cfg_write(s, PCI_CACHE_LINE_SIZE, 1, 0x10);
	cfg_write(s, PCI_LATENCY_TIMER, 1, 0x40);
	ck_assert_uint_eq(cfg_read(s, PCI_CACHE_LINE_SIZE, 2), 0x4010);
	/* Interrupt line is the OS's scratch byte. */
	cfg_write(s, PCI_INTERRUPT_LINE, 1, 11);
	ck_assert_uint_eq(cfg_read(s, PCI_INTERRUPT_LINE, 4), 0x0000010B);
	/* A dword write over command and status changes only command. */
	cfg_write(s, PCI_COMMAND, 4, 0xFFFF0000);
	ck_assert_uint_eq(cfg_read(s, PCI_COMMAND, 4), 0x00000000);
}
END_TEST

/* --- devices, BARs, IRQs ------------------------------------------------ */

START_TEST(test_devices_get_vmd_slots_irqs_and_bars)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	unsigned b = add_dev(&cookie_b, 0x1000, true);

	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_int_eq(pci_device_irq(pci, a), 3);
	ck_assert_int_eq(pci_device_irq(pci, b), 5);
	ck_assert_int_eq(pci_device_irq(pci, 0), PCI_NO_IRQ);
	ck_assert_uint_eq(pci_irq_mask(pci), (1U << 3) | (1U << 5));
	ck_assert_uint_eq(cfg_read(a, PCI_INTERRUPT_LINE, 2), 0x0103);
	ck_assert_uint_eq(cfg_read(b, PCI_INTERRUPT_LINE, 2), 0x0105);
	ck_assert_uint_eq(cfg_read(a, PCI_BAR(0), 4), 0x1001);
	ck_assert_uint_eq(cfg_read(b, PCI_BAR(0), 4), 0x2001);
	ck_assert_uint_eq(cfg_read(a, PCI_COMMAND, 2), PCI_COMMAND_IO);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x1000);
	ck_assert_int_eq(pci_bar_port(pci, b, 0), 0x2000);
}
END_TEST

START_TEST(test_bar_sizing_returns_size_mask)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	unsigned b = add_dev(&cookie_b, 0x100, true);

	cfg_write(a, PCI_BAR(0), 4, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(a, PCI_BAR(0), 4), 0xFFFFF001);
	cfg_write(b, PCI_BAR(0), 4, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(b, PCI_BAR(0), 4), 0xFFFFFF01);
	/* No BAR 1, no expansion ROM: sizing reads 0. */
	cfg_write(a, PCI_BAR(1), 4, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(a, PCI_BAR(1), 4), 0);
	cfg_write(a, PCI_ROM_ADDRESS, 4, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg_read(a, PCI_ROM_ADDRESS, 4), 0);
	/* Low bits of an address are hardwired by the size. */
	cfg_write(b, PCI_BAR(0), 4, 0xC0FF);
	ck_assert_uint_eq(cfg_read(b, PCI_BAR(0), 4), 0xC001);
}
END_TEST

START_TEST(test_bar_io_reaches_device_with_offset)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	uint32_t v = 0x1234;

	ck_assert_uint_eq(a, 1);
	ck_assert_int_eq(dev_ports_io(ports, 0x1012, DEV_IO_OUT, 2, &v), 0);
	ck_assert_uint_eq(in(0x1FFF, 1), 0xA5);
	ck_assert_uint_eq(ncalls, 2);
	ck_assert_ptr_eq(calls[0].cookie, &cookie_a);
	ck_assert_int_eq(calls[0].bar, 0);
	ck_assert_uint_eq(calls[0].off, 0x12);
	ck_assert_int_eq(calls[0].dir, DEV_IO_OUT);
	ck_assert_int_eq(calls[0].size, 2);
	ck_assert_uint_eq(calls[0].data, 0x1234);
	ck_assert_uint_eq(calls[1].off, 0xFFF);
	ck_assert_int_eq(calls[1].dir, DEV_IO_IN);
	/* Past the BAR: nobody. */
	ck_assert_int_eq(dev_ports_io(ports, 0x2000, DEV_IO_IN, 1, &v), ENODEV);
}
END_TEST

START_TEST(test_moving_a_bar_moves_its_ports)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	uint32_t v;

	cfg_write(a, PCI_BAR(0), 4, 0x5000);
	ck_assert_uint_eq(cfg_read(a, PCI_BAR(0), 4), 0x5001);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x5000);
	ck_assert_int_eq(dev_ports_io(ports, 0x1004, DEV_IO_IN, 1, &v), ENODEV);
	ck_assert_uint_eq(ncalls, 0);
	ck_assert_uint_eq(in(0x5004, 1), 0xA5);
	ck_assert_uint_eq(ncalls, 1);
	ck_assert_uint_eq(calls[0].off, 4);
}
END_TEST

START_TEST(test_io_decode_off_unmaps_bars)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	uint32_t v;

	cfg_write(a, PCI_COMMAND, 2, 0);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), -1);
	ck_assert_int_eq(dev_ports_io(ports, 0x1000, DEV_IO_IN, 1, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFF);
	cfg_write(a, PCI_COMMAND, 2, PCI_COMMAND_IO);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x1000);
	ck_assert_uint_eq(in(0x1000, 1), 0xA5);
}
END_TEST

START_TEST(test_sizing_with_decode_on_then_restore)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);

	/* All ones puts the BAR at 0xFFFFF000, outside port space. */
	cfg_write(a, PCI_BAR(0), 4, 0xFFFFFFFF);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), -1);
	cfg_write(a, PCI_BAR(0), 4, 0x1000);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x1000);
	ck_assert_uint_eq(in(0x1000, 1), 0xA5);
}
END_TEST

START_TEST(test_bars_trade_places)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	unsigned b = add_dev(&cookie_b, 0x1000, true);

	/* a onto b's ports: a cannot decode while b is there. */
	cfg_write(a, PCI_BAR(0), 4, 0x2000);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), -1);
	ck_assert_int_eq(pci_bar_port(pci, b, 0), 0x2000);
	in(0x2000, 1);
	ck_assert_ptr_eq(calls[0].cookie, &cookie_b);
	/* b moves to where a was: both decode again. */
	cfg_write(b, PCI_BAR(0), 4, 0x1000);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x2000);
	ck_assert_int_eq(pci_bar_port(pci, b, 0), 0x1000);
	in(0x2000, 1);
	in(0x1000, 1);
	ck_assert_ptr_eq(calls[1].cookie, &cookie_a);
	ck_assert_ptr_eq(calls[2].cookie, &cookie_b);
}
END_TEST

START_TEST(test_bar_never_takes_another_devices_ports)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);

	ck_assert_int_eq(dev_ports_register(ports, 0x6010, 1, other_io, NULL),
	    0);
	cfg_write(a, PCI_BAR(0), 4, 0x6000);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), -1);
	ck_assert_uint_eq(in(0x6010, 1), 0x42);
	/* Moving away and back to a free place works. */
	cfg_write(a, PCI_BAR(0), 4, 0x7000);
	ck_assert_int_eq(pci_bar_port(pci, a, 0), 0x7000);
	ck_assert_uint_eq(in(0x6010, 1), 0x42);
}
END_TEST

START_TEST(test_intx_status_and_disable)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);

	pci_set_intx(pci, a, 1);
	ck_assert_uint_eq(nline, 1);
	ck_assert_int_eq(line_irq[0], 3);
	ck_assert_int_eq(line_level[0], 1);
	ck_assert_uint_eq(cfg_read(a, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
	    PCI_STATUS_INTERRUPT);
	/* Asserting again is not a new edge. */
	pci_set_intx(pci, a, 1);
	ck_assert_uint_eq(nline, 1);
	/* INTx disable masks the line but not the status bit. */
	cfg_write(a, PCI_COMMAND, 2, PCI_COMMAND_IO |
	    PCI_COMMAND_INTX_DISABLE);
	ck_assert_uint_eq(nline, 2);
	ck_assert_int_eq(line_level[1], 0);
	ck_assert_uint_eq(cfg_read(a, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
	    PCI_STATUS_INTERRUPT);
	cfg_write(a, PCI_COMMAND, 2, PCI_COMMAND_IO);
	ck_assert_uint_eq(nline, 3);
	ck_assert_int_eq(line_level[2], 1);
	pci_set_intx(pci, a, 0);
	ck_assert_uint_eq(nline, 4);
	ck_assert_int_eq(line_level[3], 0);
	ck_assert_uint_eq(cfg_read(a, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
}
END_TEST

START_TEST(test_ten_irqs_then_enospc)
{
	static const int want[] = { 3, 5, 6, 7, 9, 10, 11, 12, 14, 15 };
	struct pci_device_params p;
	unsigned i, s;

	for (i = 0; i < 10; i++) {
		s = add_dev(&cookie_a, 0, true);
		ck_assert_int_eq(pci_device_irq(pci, s), want[i]);
	}
	memset(&p, 0, sizeof(p));
	p.vendor = 0x1234;
	p.intr = true;
	ck_assert_int_eq(pci_add_device(pci, &p, &s), ENOSPC);
	/* Devices without an interrupt still fit, up to 32 slots. */
	p.intr = false;
	for (i = 11; i < PCI_MAX_DEVICES; i++) {
		ck_assert_int_eq(pci_add_device(pci, &p, &s), 0);
		ck_assert_uint_eq(s, i);
		ck_assert_uint_eq(cfg_read(s, PCI_INTERRUPT_LINE, 2), 0);
	}
	ck_assert_int_eq(pci_add_device(pci, &p, &s), ENOSPC);
}
END_TEST

START_TEST(test_bad_bar_sizes_refused)
{
	struct pci_device_params p;
	unsigned s;

	memset(&p, 0, sizeof(p));
	p.bar_io = bar_io;
	p.io_bar_size[0] = 3;
	ck_assert_int_eq(pci_add_device(pci, &p, &s), EINVAL);
	p.io_bar_size[0] = 0x300;
	ck_assert_int_eq(pci_add_device(pci, &p, &s), EINVAL);
	p.io_bar_size[0] = 0x20000;
	ck_assert_int_eq(pci_add_device(pci, &p, &s), EINVAL);
	p.io_bar_size[0] = 0x100;
	p.bar_io = NULL;
	ck_assert_int_eq(pci_add_device(pci, &p, &s), EINVAL);
	ck_assert_uint_eq(cfg_read(1, 0, 4), 0xFFFFFFFF);
}
END_TEST

START_TEST(test_remove_device_frees_slot_and_ports)
{
	unsigned a = add_dev(&cookie_a, 0x1000, true);
	uint32_t v;

	pci_set_intx(pci, a, 1);
	pci_remove_device(pci, a);
	ck_assert_uint_eq(cfg_read(a, 0, 4), 0xFFFFFFFF);
	ck_assert_int_eq(dev_ports_io(ports, 0x1000, DEV_IO_IN, 1, &v), ENODEV);
	ck_assert_int_eq(line_level[nline - 1], 0);
	/* The host bridge cannot be removed. */
	pci_remove_device(pci, 0);
	ck_assert_uint_eq(cfg_read(0, 0, 4), 0x06660b5d);
}
END_TEST

START_TEST(test_destroy_gives_ports_back)
{
	uint32_t v;

	add_dev(&cookie_a, 0x1000, true);
	pci_destroy(pci);
	pci = NULL;
	ck_assert_int_eq(dev_ports_io(ports, PCI_CONFIG_ADDR_PORT, DEV_IO_IN,
	    4, &v), ENODEV);
	ck_assert_int_eq(dev_ports_io(ports, PCI_CONFIG_DATA_PORT + 3,
	    DEV_IO_IN, 1, &v), ENODEV);
	ck_assert_int_eq(dev_ports_io(ports, 0x1000, DEV_IO_IN, 1, &v), ENODEV);
	/* A new bus can take the ports again. */
	pci = pci_create(&irq_line);
	ck_assert_int_eq(pci_register(pci, ports), 0);
}
END_TEST

START_TEST(test_register_refuses_taken_ports)
{
	struct pci_bus *other = pci_create(NULL);

	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(pci_register(other, ports), EBUSY);
	pci_destroy(other);
	/* The first bus still answers. */
	ck_assert_uint_eq(cfg_read(0, 0, 4), 0x06660b5d);
}
END_TEST

/* dev_ports_unregister frees only the owner's ports. */
START_TEST(test_ports_unregister_only_owner)
{
	uint32_t v;
	int mine, theirs;

	ck_assert_int_eq(dev_ports_register(ports, 0x8000, 2, other_io, &mine),
	    0);
	ck_assert_int_eq(dev_ports_register(ports, 0x8002, 2, other_io,
	    &theirs), 0);
	ck_assert_int_eq(dev_ports_unregister(ports, 0x8000, 4, &mine), 0);
	ck_assert_int_eq(dev_ports_io(ports, 0x8001, DEV_IO_IN, 1, &v), ENODEV);
	ck_assert_uint_eq(in(0x8002, 1), 0x42);
	ck_assert_uint_eq(in(0x8003, 1), 0x42);
	ck_assert_int_eq(dev_ports_unregister(ports, 0xFFFF, 2, &theirs),
	    EINVAL);
	ck_assert_int_eq(dev_ports_unregister(ports, 0x8000, 0, &theirs),
	    EINVAL);
	/* Freed ports can be taken again. */
	ck_assert_int_eq(dev_ports_register(ports, 0x8000, 2, other_io,
	    &theirs), 0);
}
END_TEST

static Suite *
pci_suite(void)
{
	Suite *s = suite_create("dev_pci");
	TCase *tc = tcase_create("pci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_bridge_header);
	tcase_add_test(tc, test_data_window_every_size_and_byte_offset);
	tcase_add_test(tc, test_config_address_register);
	tcase_add_test(tc, test_absent_devices_read_all_ones);
	tcase_add_test(tc, test_read_only_fields_stay);
	tcase_add_test(tc, test_writable_fields_and_masks);
	tcase_add_test(tc, test_devices_get_vmd_slots_irqs_and_bars);
	tcase_add_test(tc, test_bar_sizing_returns_size_mask);
	tcase_add_test(tc, test_bar_io_reaches_device_with_offset);
	tcase_add_test(tc, test_moving_a_bar_moves_its_ports);
	tcase_add_test(tc, test_io_decode_off_unmaps_bars);
	tcase_add_test(tc, test_sizing_with_decode_on_then_restore);
	tcase_add_test(tc, test_bars_trade_places);
	tcase_add_test(tc, test_bar_never_takes_another_devices_ports);
	tcase_add_test(tc, test_intx_status_and_disable);
	tcase_add_test(tc, test_ten_irqs_then_enospc);
	tcase_add_test(tc, test_bad_bar_sizes_refused);
	tcase_add_test(tc, test_remove_device_frees_slot_and_ports);
	tcase_add_test(tc, test_destroy_gives_ports_back);
	tcase_add_test(tc, test_register_refuses_taken_ports);
	tcase_add_test(tc, test_ports_unregister_only_owner);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
