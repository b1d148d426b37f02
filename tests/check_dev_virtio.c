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
 * Legacy virtio-PCI devices driven the way a guest driver drives them: a
 * small "driver" here finds each device through PCI configuration space,
 * lays out virtqueues in guest memory, posts descriptor chains and pokes
 * the BAR through the port table.  Also hostile guests: loops, indices
 * and addresses out of range, rings outside memory.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/guestmem.h"
#include "devices/pci.h"
#include "devices/virtio.h"

#define MiB		(1024ULL * 1024ULL)
#define GUEST_MEM	(16 * MiB)
#define RING_GPA	0x100000ULL	/* queues, 64 KiB apart */
#define BUF_GPA		0x200000ULL	/* request buffers */
#define DISK_SECTORS	64
#define NLEVELS		64

static struct dev_port_table	*ports;
static struct guestmem		 gm;
static struct pci_bus		*pci;
static int			 levels[NLEVELS], irqs[NLEVELS];
static size_t			 nlevels;
static int			 line[16];
static char			 disk_path[64];

static void
irq_set(void *arg, int irq, int level)
{
	ck_assert_ptr_eq(arg, line);
	ck_assert_uint_lt(nlevels, NLEVELS);
	ck_assert_int_ge(irq, 0);
	ck_assert_int_lt(irq, 16);
	irqs[nlevels] = irq;
	levels[nlevels++] = level;
	line[irq] = level;
}

static const struct dev_irq irq_line = { irq_set, line };

/* The disk image: byte i of sector s is (s * 31 + i) & 0xFF. */
static uint8_t
disk_byte(uint64_t pos)
{
	return ((uint8_t)((pos / 512) * 31 + pos % 512));
}

static void
make_disk(void)
{
	uint8_t buf[DISK_SECTORS * 512];
	size_t i;
	int fd;

	strcpy(disk_path, "/tmp/check_dev_virtio.XXXXXX");
	fd = mkstemp(disk_path);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = disk_byte(i);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
}

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	ck_assert_int_eq(guestmem_alloc(&gm, GUEST_MEM), 0);
	nlevels = 0;
	memset(line, 0, sizeof(line));
	pci = pci_create(&irq_line);
	ck_assert_ptr_nonnull(pci);
	ck_assert_int_eq(pci_register(pci, ports), 0);
	make_disk();
}

static void
teardown(void)
{
	pci_destroy(pci);
	guestmem_free(&gm);
	free(ports);
	unlink(disk_path);
}

/* --- port and memory helpers ------------------------------------------ */

static uint32_t
pin(uint16_t port, int size)
{
	uint32_t v = 0xDEADBEEF;

	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_IN, size, &v), 0);
	return (v);
}

static void
pout(uint16_t port, int size, uint32_t v)
{
	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_OUT, size, &v), 0);
}

static uint32_t
cfg_read(unsigned slot, unsigned reg, int size)
{
	pout(PCI_CONFIG_ADDR_PORT, 4, PCI_CONFIG_ENABLE | slot << 11 |
	    (reg & 0xFC));
	return (pin(PCI_CONFIG_DATA_PORT + (reg & 3), size));
}

static void
wr(uint64_t gpa, const void *p, size_t n)
{
	ck_assert_int_eq(guestmem_write(&gm, gpa, p, n), 0);
}

static void
wr16(uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	wr(gpa, b, 2);
}

static uint32_t
rd32(uint64_t gpa)
{
	uint8_t b[4];

	ck_assert_int_eq(guestmem_read(&gm, gpa, b, 4), 0);
	return ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24);
}

static uint16_t
rd16(uint64_t gpa)
{
	return ((uint16_t)(rd32(gpa) & 0xFFFF));
}

/* --- the test driver ----------------------------------------------------- */

struct drv_queue {
	uint16_t	io;		/* BAR 0 base */
	unsigned	index;
	uint16_t	size;
	uint64_t	desc, avail, used;
	uint16_t	avail_idx;
};

/* Legacy vring_init: the used ring on the next 4 KiB boundary. */
static void
drv_queue_setup(struct drv_queue *q, uint16_t io, unsigned index,
    uint64_t gpa)
{
	memset(q, 0, sizeof(*q));
	q->io = io;
	q->index = index;
	pout(io + VIRTIO_PCI_QUEUE_SEL, 2, index);
	q->size = (uint16_t)pin(io + VIRTIO_PCI_QUEUE_NUM, 2);
	ck_assert_uint_gt(q->size, 0);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_PFN, 4), 0);
	ck_assert_int_eq(guestmem_write(&gm, gpa, NULL, 0x10000), 0);
	q->desc = gpa;
	q->avail = gpa + 16ULL * q->size;
	q->used = (q->avail + 6 + 2ULL * q->size + 4095) & ~4095ULL;
	pout(io + VIRTIO_PCI_QUEUE_PFN, 4, (uint32_t)(gpa >> 12));
}

static void
drv_desc(struct drv_queue *q, uint16_t i, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	int k;

	for (k = 0; k < 8; k++)
		d[k] = (uint8_t)(addr >> (8 * k));
	for (k = 0; k < 4; k++)
		d[8 + k] = (uint8_t)(len >> (8 * k));
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
	wr(q->desc + 16ULL * i, d, 16);
}

static void
drv_post(struct drv_queue *q, uint16_t head)
{
	wr16(q->avail + 4 + 2ULL * (q->avail_idx % q->size), head);
	q->avail_idx++;
	wr16(q->avail + 2, q->avail_idx);
}

static void
drv_notify(struct drv_queue *q)
{
	pout(q->io + VIRTIO_PCI_QUEUE_NOTIFY, 2, q->index);
}

static uint16_t
used_idx(const struct drv_queue *q)
{
	return (rd16(q->used + 2));
}

static uint32_t
used_id(const struct drv_queue *q, unsigned n)
{
	return (rd32(q->used + 4 + 8ULL * (n % q->size)));
}

static uint32_t
used_len(const struct drv_queue *q, unsigned n)
{
	return (rd32(q->used + 8 + 8ULL * (n % q->size)));
}

static uint16_t
bar0(unsigned slot)
{
	uint32_t bar = cfg_read(slot, PCI_BAR(0), 4);

	ck_assert_uint_eq(bar & 1, 1);
	return ((uint16_t)(bar & ~3U));
}

/* ACK, DRIVER, take the offered features, set up queues, DRIVER_OK. */
static uint16_t
drv_init(unsigned slot, struct drv_queue *qs, unsigned nq)
{
	uint16_t io = bar0(slot);
	unsigned i;

	pout(io + VIRTIO_PCI_STATUS, 1, 0);
	pout(io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	pout(io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	pout(io + VIRTIO_PCI_GUEST_FEATURES, 4,
	    pin(io + VIRTIO_PCI_HOST_FEATURES, 4));
	for (i = 0; i < nq; i++)
		drv_queue_setup(&qs[i], io, i, RING_GPA + 0x10000ULL * i);
	pout(io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	return (io);
}

static uint8_t
status(uint16_t io)
{
	return ((uint8_t)pin(io + VIRTIO_PCI_STATUS, 1));
}

static uint8_t
isr(uint16_t io)
{
	return ((uint8_t)pin(io + VIRTIO_PCI_ISR, 1));
}

/* --- block requests ------------------------------------------------------ */

#define HDR_GPA		(BUF_GPA)
#define DATA_GPA	(BUF_GPA + 0x1000)
#define STATUS_GPA	(BUF_GPA + 0x800)

static void
blk_hdr(uint32_t type, uint64_t sector)
{
	uint8_t h[16];
	int k;

	memset(h, 0, sizeof(h));
	for (k = 0; k < 4; k++)
		h[k] = (uint8_t)(type >> (8 * k));
	for (k = 0; k < 8; k++)
		h[8 + k] = (uint8_t)(sector >> (8 * k));
	wr(HDR_GPA, h, sizeof(h));
	wr(STATUS_GPA, "\x77", 1);
}

static uint8_t
blk_status(void)
{
	return ((uint8_t)(rd32(STATUS_GPA) & 0xFF));
}

/* The usual three-descriptor request at head 0. */
static void
blk_request(struct drv_queue *q, uint32_t type, uint64_t sector,
    uint32_t len)
{
	uint16_t dflags = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;

	blk_hdr(type, sector);
	drv_desc(q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	drv_desc(q, 1, DATA_GPA, len, dflags | VRING_DESC_F_NEXT, 2);
	drv_desc(q, 2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	drv_post(q, 0);
	drv_notify(q);
}

static struct virtio_blk *
make_blk(bool ro)
{
	struct virtio_blk *blk;

	blk = virtio_blk_create(pci, &gm, disk_path, ro, "vmmsim-disk0");
	ck_assert_ptr_nonnull(blk);
	return (blk);
}

static void
file_read(uint64_t pos, void *buf, size_t n)
{
	int fd = open(disk_path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, n, (off_t)pos), (ssize_t)n);
	close(fd);
}

/* --- PCI identity and the legacy header -------------------------------- */

START_TEST(test_pci_identity_in_vmd_order)
{
	uint64_t seed = 1;
	struct virtio_rnd *rnd = virtio_rnd_create(pci, &gm, &seed);
	struct virtio_blk *blk = make_blk(false);
	struct virtio_con *con = virtio_con_create(pci, &gm, NULL, NULL);

	ck_assert_ptr_nonnull(rnd);
	ck_assert_ptr_nonnull(con);
	ck_assert_uint_eq(virtio_rnd_slot(rnd), 1);
	ck_assert_uint_eq(virtio_blk_slot(blk), 2);
	ck_assert_uint_eq(virtio_con_slot(con), 3);

	ck_assert_uint_eq(cfg_read(1, PCI_VENDOR_ID, 4), 0x10051af4);
	ck_assert_uint_eq(cfg_read(1, PCI_REVISION_ID, 4), 0x08800000);
	ck_assert_uint_eq(cfg_read(1, PCI_SUBSYS_VENDOR_ID, 4), 0x00040b5d);
	ck_assert_uint_eq(cfg_read(1, PCI_INTERRUPT_LINE, 2), 0x0103);
	ck_assert_uint_eq(cfg_read(1, PCI_BAR(0), 4), 0x1001);

	ck_assert_uint_eq(cfg_read(2, PCI_VENDOR_ID, 4), 0x10011af4);
	ck_assert_uint_eq(cfg_read(2, PCI_REVISION_ID, 4), 0x01000000);
	ck_assert_uint_eq(cfg_read(2, PCI_SUBSYS_VENDOR_ID, 4), 0x00020b5d);
	ck_assert_uint_eq(cfg_read(2, PCI_INTERRUPT_LINE, 2), 0x0105);
	ck_assert_uint_eq(cfg_read(2, PCI_BAR(0), 4), 0x2001);

	ck_assert_uint_eq(cfg_read(3, PCI_VENDOR_ID, 4), 0x10031af4);
	ck_assert_uint_eq(cfg_read(3, PCI_REVISION_ID, 4), 0x07800000);
	ck_assert_uint_eq(cfg_read(3, PCI_SUBSYS_VENDOR_ID, 4), 0x00030b5d);
	ck_assert_uint_eq(cfg_read(3, PCI_INTERRUPT_LINE, 2), 0x0106);

	/* BAR 0 is 4 KiB, as every vmd BAR. */
	pout(PCI_CONFIG_ADDR_PORT, 4, PCI_CONFIG_ENABLE | 2 << 11 | PCI_BAR(0));
	pout(PCI_CONFIG_DATA_PORT, 4, 0xFFFFFFFF);
	ck_assert_uint_eq(pin(PCI_CONFIG_DATA_PORT, 4), 0xFFFFF001);
	pout(PCI_CONFIG_DATA_PORT, 4, 0x2000);

	virtio_con_destroy(con);
	virtio_blk_destroy(blk);
	virtio_rnd_destroy(rnd);
	ck_assert_uint_eq(cfg_read(1, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
}
END_TEST

START_TEST(test_blk_header_and_config)
{
	struct virtio_blk *blk = make_blk(false);
	uint16_t io = bar0(virtio_blk_slot(blk));
	unsigned i;

	ck_assert_uint_eq(virtio_blk_capacity(blk), DISK_SECTORS);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_HOST_FEATURES, 4),
	    VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH);
	/* Guest features: only what is offered sticks. */
	pout(io + VIRTIO_PCI_GUEST_FEATURES, 4, 0xFFFFFFFF);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_GUEST_FEATURES, 4),
	    VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_NUM, 2), 128);
	pout(io + VIRTIO_PCI_QUEUE_SEL, 2, 1);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_SEL, 2), 1);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_NUM, 2), 0);
	/* Config: capacity (u64 LE) then seg_max at 12, read bytewise. */
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG, 4), DISK_SECTORS);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG + 4, 4), 0);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG + 12, 1), 126);
	for (i = 13; i < VIRTIO_BLK_CFG_LEN; i++)
		ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG + i, 1), 0);
	/* Config writes are ignored; past the config the bus floats. */
	pout(io + VIRTIO_PCI_CONFIG, 4, 0x12345678);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG, 4), DISK_SECTORS);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CFG_LEN, 1),
	    0xFF);
	/* The whole header as one dword at 0x10: notify reads 0. */
	pout(io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_NOTIFY, 4), 0x00010000);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_reset_on_status_zero)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint16_t io = drv_init(virtio_blk_slot(blk), &q, 1);

	blk_request(&q, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert_int_eq(line[3], 1);
	ck_assert_uint_ne(pin(io + VIRTIO_PCI_QUEUE_PFN, 4), 0);
	pout(io + VIRTIO_PCI_STATUS, 1, 0);
	ck_assert_int_eq(line[3], 0);
	ck_assert_uint_eq(status(io), 0);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_GUEST_FEATURES, 4), 0);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_PFN, 4), 0);
	ck_assert_uint_eq(isr(io), 0);
	/* Set up again from scratch: the ring restarts at index 0. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_request(&q, VIRTIO_BLK_T_IN, 1, 512);
	ck_assert_uint_eq(used_idx(&q), 1);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_isr_read_clears_and_lowers_line)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint16_t io = drv_init(virtio_blk_slot(blk), &q, 1);

	blk_request(&q, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert_int_eq(line[3], 1);
	ck_assert_uint_eq(cfg_read(virtio_blk_slot(blk), PCI_STATUS, 2) &
	    PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	ck_assert_uint_eq(isr(io), VIRTIO_ISR_QUEUE);
	ck_assert_int_eq(line[3], 0);
	ck_assert_uint_eq(isr(io), 0);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_no_interrupt_flag_suppresses_isr)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint16_t io = drv_init(virtio_blk_slot(blk), &q, 1);

	wr16(q.avail, VRING_AVAIL_F_NO_INTERRUPT);
	blk_request(&q, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert_uint_eq(used_idx(&q), 1);
	ck_assert_uint_eq(isr(io), 0);
	ck_assert_uint_eq(nlevels, 0);
	virtio_blk_destroy(blk);
}
END_TEST

/* --- block ---------------------------------------------------------------- */

START_TEST(test_blk_read_two_sectors)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint8_t buf[1024];
	size_t i;

	drv_init(virtio_blk_slot(blk), &q, 1);
	ck_assert_uint_eq(q.used - q.desc, 4096);	/* 128 entries */
	blk_request(&q, VIRTIO_BLK_T_IN, 3, sizeof(buf));
	ck_assert_uint_eq(used_idx(&q), 1);
	ck_assert_uint_eq(used_id(&q, 0), 0);
	ck_assert_uint_eq(used_len(&q, 0), 1025);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(guestmem_read(&gm, DATA_GPA, buf, sizeof(buf)), 0);
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], disk_byte(3 * 512 + i));
	ck_assert_uint_eq(nlevels, 1);
	ck_assert_int_eq(irqs[0], 3);
	ck_assert_int_eq(levels[0], 1);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_blk_write_reaches_file)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint8_t data[512], back[512];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xC3 ^ i);
	drv_init(virtio_blk_slot(blk), &q, 1);
	wr(DATA_GPA, data, sizeof(data));
	blk_request(&q, VIRTIO_BLK_T_OUT, 5, sizeof(data));
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(&q, 0), 1);
	file_read(5 * 512, back, sizeof(back));
	ck_assert_mem_eq(back, data, sizeof(data));
	/* Neighbours untouched. */
	file_read(4 * 512, back, sizeof(back));
	ck_assert_uint_eq(back[511], disk_byte(5 * 512 - 1));
	file_read(6 * 512, back, 1);
	ck_assert_uint_eq(back[0], disk_byte(6 * 512));
	virtio_blk_destroy(blk);
}
END_TEST

/* The same bytes split differently: header and data in one descriptor. */
START_TEST(test_blk_request_split_anyhow)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint8_t req[16 + 512], back[512], buf[513];
	size_t i;

	drv_init(virtio_blk_slot(blk), &q, 1);
	memset(req, 0, 16);
	req[0] = VIRTIO_BLK_T_OUT;
	req[8] = 7;
	for (i = 0; i < 512; i++)
		req[16 + i] = (uint8_t)(i * 3);
	wr(BUF_GPA + 0x3000, req, sizeof(req));
	drv_desc(&q, 10, BUF_GPA + 0x3000, sizeof(req), VRING_DESC_F_NEXT, 11);
	drv_desc(&q, 11, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	wr(STATUS_GPA, "\x77", 1);
	drv_post(&q, 10);
	drv_notify(&q);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_id(&q, 0), 10);
	file_read(7 * 512, back, sizeof(back));
	ck_assert_mem_eq(back, req + 16, 512);

	/* A read into 100 + 300 + 113 bytes, the status the last byte. */
	blk_hdr(VIRTIO_BLK_T_IN, 7);
	drv_desc(&q, 20, HDR_GPA, 16, VRING_DESC_F_NEXT, 21);
	drv_desc(&q, 21, BUF_GPA + 0x5000, 100, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 22);
	drv_desc(&q, 22, BUF_GPA + 0x6000, 300, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 23);
	drv_desc(&q, 23, BUF_GPA + 0x7000, 113, VRING_DESC_F_WRITE, 0);
	drv_post(&q, 20);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 2);
	ck_assert_uint_eq(used_len(&q, 1), 513);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA + 0x5000, buf, 100), 0);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA + 0x6000, buf + 100, 300),
	    0);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA + 0x7000, buf + 400, 113),
	    0);
	ck_assert_mem_eq(buf, req + 16, 512);
	ck_assert_uint_eq(buf[512], VIRTIO_BLK_S_OK);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_blk_beyond_capacity_is_ioerr)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	drv_init(virtio_blk_slot(blk), &q, 1);
	/* Last sector is fine, one past it is not. */
	blk_request(&q, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	blk_request(&q, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(&q, 1), 1);
	blk_request(&q, VIRTIO_BLK_T_OUT, DISK_SECTORS, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	/* A sector number whose byte offset overflows 64 bits. */
	blk_request(&q, VIRTIO_BLK_T_IN, 1ULL << 60, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	blk_request(&q, VIRTIO_BLK_T_IN, 0, 100);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_idx(&q), 5);
	ck_assert_uint_eq(status(q.io) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_blk_readonly)
{
	struct virtio_blk *blk = make_blk(true);
	struct drv_queue q;
	uint16_t io;
	uint8_t back[512];

	io = drv_init(virtio_blk_slot(blk), &q, 1);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_HOST_FEATURES, 4),
	    VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO);
	ck_assert_int_eq(guestmem_write(&gm, DATA_GPA, NULL, 512), 0);
	blk_request(&q, VIRTIO_BLK_T_OUT, 0, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_IOERR);
	file_read(0, back, sizeof(back));
	ck_assert_uint_eq(back[1], disk_byte(1));
	blk_request(&q, VIRTIO_BLK_T_IN, 0, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_blk_create_errors)
{
	errno = 0;
	ck_assert_ptr_null(virtio_blk_create(pci, &gm,
	    "/nonexistent/vmmsim.img", false, NULL));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(virtio_blk_create(pci, &gm, "/tmp", true, NULL));
	ck_assert_int_eq(errno, EINVAL);
	/* Nothing was left on the bus. */
	ck_assert_uint_eq(cfg_read(1, 0, 4), 0xFFFFFFFF);
}
END_TEST

START_TEST(test_blk_flush_get_id_unsupported)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	char id[21];

	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_request(&q, VIRTIO_BLK_T_FLUSH, 0, 0);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(guestmem_write(&gm, DATA_GPA, "xxxxxxxxxxxxxxxxxxxx",
	    20), 0);
	blk_request(&q, VIRTIO_BLK_T_GET_ID, 0, 20);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(&q, 1), 21);
	ck_assert_int_eq(guestmem_read(&gm, DATA_GPA, id, 20), 0);
	ck_assert_mem_eq(id, "vmmsim-disk0\0\0\0\0\0\0\0\0", 20);
	blk_request(&q, 99, 0, 512);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(used_idx(&q), 3);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_blk_several_requests_one_notify)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;
	uint8_t b;
	unsigned i;

	drv_init(virtio_blk_slot(blk), &q, 1);
	for (i = 0; i < 3; i++) {
		uint64_t base = BUF_GPA + 0x10000 * (i + 1);
		uint8_t h[16] = { 0 };

		h[8] = (uint8_t)(10 + i);
		wr(base, h, 16);
		drv_desc(&q, 3 * i, base, 16, VRING_DESC_F_NEXT, 3 * i + 1);
		drv_desc(&q, 3 * i + 1, base + 0x100, 512,
		    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3 * i + 2);
		drv_desc(&q, 3 * i + 2, base + 0x80, 1, VRING_DESC_F_WRITE, 0);
		drv_post(&q, 3 * i);
	}
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 3);
	for (i = 0; i < 3; i++) {
		uint64_t base = BUF_GPA + 0x10000 * (i + 1);

		ck_assert_uint_eq(used_id(&q, i), 3 * i);
		ck_assert_int_eq(guestmem_read(&gm, base + 0x100, &b, 1), 0);
		ck_assert_uint_eq(b, disk_byte((10 + i) * 512));
	}
	/* One interrupt for the batch. */
	ck_assert_uint_eq(nlevels, 1);
	virtio_blk_destroy(blk);
}
END_TEST

/* --- hostile guests -------------------------------------------------------- */

/* The device refused the ring: NEEDS_RESET, config ISR, nothing used. */
static void
assert_broken(struct drv_queue *q, uint16_t used_before)
{
	ck_assert_uint_eq(status(q->io) & VIRTIO_CONFIG_S_NEEDS_RESET,
	    VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(used_idx(q), used_before);
	ck_assert_uint_eq(isr(q->io) & VIRTIO_ISR_CONFIG, VIRTIO_ISR_CONFIG);
}

/* After a reset a correct request works again. */
static void
assert_recovers(unsigned slot, struct drv_queue *q)
{
	drv_init(slot, q, 1);
	blk_request(q, VIRTIO_BLK_T_IN, 2, 512);
	ck_assert_uint_eq(used_idx(q), 1);
	ck_assert_uint_eq(blk_status(), VIRTIO_BLK_S_OK);
}

START_TEST(test_hostile_descriptor_loop)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	drv_desc(&q, 1, DATA_GPA, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	    0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);
	/* Broken stays broken: more notifies do nothing. */
	drv_post(&q, 0);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 0);
	assert_recovers(virtio_blk_slot(blk), &q);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_hostile_self_loop)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	drv_init(virtio_blk_slot(blk), &q, 1);
	drv_desc(&q, 5, DATA_GPA, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	    5);
	drv_post(&q, 5);
	drv_notify(&q);
	assert_broken(&q, 0);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_hostile_indices_out_of_range)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	/* A next index past the table. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 128);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* A head index past the table. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	drv_post(&q, 0xFFFF);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* An avail index a whole ring and more ahead. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	wr16(q.avail + 2, 129);
	drv_notify(&q);
	assert_broken(&q, 0);
	assert_recovers(virtio_blk_slot(blk), &q);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_hostile_addresses_outside_memory)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	/* Data buffer in the MMIO hole. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	drv_desc(&q, 1, 0xF0000000ULL, 512, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	drv_desc(&q, 2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* A length running off the end of RAM. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	drv_desc(&q, 1, GUEST_MEM - 512, 0xFFFFFFFF, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	drv_desc(&q, 2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* An address that wraps around 2^64. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	drv_desc(&q, 1, 0xFFFFFFFFFFFFFF00ULL, 512, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	drv_desc(&q, 2, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);
	assert_recovers(virtio_blk_slot(blk), &q);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_hostile_ring_outside_memory)
{
	struct virtio_blk *blk = make_blk(false);
	uint16_t io = drv_init(virtio_blk_slot(blk), NULL, 0);

	/* The queue at 1 GiB, far past 16 MiB of RAM. */
	pout(io + VIRTIO_PCI_QUEUE_SEL, 2, 0);
	pout(io + VIRTIO_PCI_QUEUE_PFN, 4, 0x40000);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_PFN, 4), 0x40000);
	pout(io + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
	ck_assert_uint_eq(status(io) & VIRTIO_CONFIG_S_NEEDS_RESET,
	    VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Notifying a queue that does not exist is ignored. */
	pout(io + VIRTIO_PCI_STATUS, 1, 0);
	pout(io + VIRTIO_PCI_QUEUE_NOTIFY, 2, 7);
	pout(io + VIRTIO_PCI_QUEUE_SEL, 2, 7);
	pout(io + VIRTIO_PCI_QUEUE_PFN, 4, 0x100);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_QUEUE_PFN, 4), 0);
	ck_assert_uint_eq(status(io), 0);
	virtio_blk_destroy(blk);
}
END_TEST

START_TEST(test_hostile_layout_and_indirect)
{
	struct virtio_blk *blk = make_blk(false);
	struct drv_queue q;

	/* Readable after writable. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_OUT, 0);
	drv_desc(&q, 0, STATUS_GPA, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	    1);
	drv_desc(&q, 1, HDR_GPA, 16, 0, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* Indirect descriptors were not offered. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	drv_desc(&q, 0, BUF_GPA + 0x8000, 48, VRING_DESC_F_INDIRECT, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);

	/* No status byte: nowhere to report. */
	drv_init(virtio_blk_slot(blk), &q, 1);
	blk_hdr(VIRTIO_BLK_T_IN, 0);
	drv_desc(&q, 0, HDR_GPA, 16, 0, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	assert_broken(&q, 0);
	assert_recovers(virtio_blk_slot(blk), &q);
	virtio_blk_destroy(blk);
}
END_TEST

/* --- entropy ---------------------------------------------------------------- */

/* Ask a fresh rnd device with this seed for n bytes in one buffer. */
static uint32_t
rnd_bytes(const uint64_t *seed, uint8_t *out, uint32_t n)
{
	struct virtio_rnd *rnd = virtio_rnd_create(pci, &gm, seed);
	struct drv_queue q;
	uint32_t got;

	ck_assert_ptr_nonnull(rnd);
	drv_init(virtio_rnd_slot(rnd), &q, 1);
	ck_assert_uint_eq(q.size, VIRTIO_RND_QUEUE_SIZE);
	ck_assert_int_eq(guestmem_write(&gm, BUF_GPA, NULL, 0x20000), 0);
	drv_desc(&q, 0, BUF_GPA, n, VRING_DESC_F_WRITE, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 1);
	got = used_len(&q, 0);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA, out,
	    got < n ? got : n), 0);
	virtio_rnd_destroy(rnd);
	return (got);
}

START_TEST(test_rnd_same_seed_same_bytes)
{
	/* ChaCha20 keystream, key = splitmix64(1) x 4 (computed apart). */
	static const uint8_t kat0[16] = {
		0x20, 0x45, 0xa5, 0x6a, 0xb9, 0x47, 0x89, 0x28,
		0x66, 0x2a, 0x9e, 0x1f, 0xe5, 0xbb, 0x90, 0xd7
	};
	static const uint8_t kat64[16] = {
		0x6b, 0x69, 0xb2, 0xc2, 0x02, 0xc9, 0x4d, 0xf4,
		0x8f, 0xac, 0x21, 0x50, 0xb6, 0x6e, 0x97, 0x68
	};
	uint64_t seed = 1;
	uint8_t a[256], b[256];

	ck_assert_uint_eq(rnd_bytes(&seed, a, sizeof(a)), sizeof(a));
	ck_assert_uint_eq(rnd_bytes(&seed, b, sizeof(b)), sizeof(b));
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_mem_eq(a, kat0, sizeof(kat0));
	ck_assert_mem_eq(a + 64, kat64, sizeof(kat64));
}
END_TEST

START_TEST(test_rnd_different_seeds_differ)
{
	uint64_t s1 = 1, s2 = 2;
	uint8_t a[64], b[64], c[64];

	rnd_bytes(&s1, a, sizeof(a));
	rnd_bytes(&s2, b, sizeof(b));
	ck_assert_mem_ne(a, b, sizeof(a));
	/* Unseeded: host entropy, not the seeded stream, not zeros. */
	rnd_bytes(NULL, c, sizeof(c));
	ck_assert_mem_ne(c, a, sizeof(c));
	memset(a, 0, sizeof(a));
	ck_assert_mem_ne(c, a, sizeof(c));
}
END_TEST

START_TEST(test_rnd_request_capped_at_64k)
{
	uint64_t seed = 9;
	uint8_t *buf = malloc(0x20000);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(rnd_bytes(&seed, buf, 0x20000),
	    VIRTIO_RND_MAX_REQUEST);
	free(buf);
}
END_TEST

/* A chain exactly as long as the queue is legal; one more is a loop. */
START_TEST(test_rnd_chain_of_queue_size)
{
	uint64_t seed = 1;
	struct virtio_rnd *rnd = virtio_rnd_create(pci, &gm, &seed);
	struct drv_queue q;
	uint8_t got[64];
	uint16_t i;
	static const uint8_t kat0[4] = { 0x20, 0x45, 0xa5, 0x6a };

	drv_init(virtio_rnd_slot(rnd), &q, 1);
	for (i = 0; i < q.size; i++)
		drv_desc(&q, i, BUF_GPA + 16ULL * i, 1, VRING_DESC_F_WRITE |
		    (i + 1 < q.size ? VRING_DESC_F_NEXT : 0), i + 1);
	drv_post(&q, 0);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 1);
	ck_assert_uint_eq(used_len(&q, 0), q.size);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(guestmem_read(&gm, BUF_GPA + 16ULL * i,
		    &got[i], 1), 0);
		ck_assert_uint_eq(got[i], kat0[i]);
	}
	/* The last one now chains back to the first. */
	drv_desc(&q, q.size - 1, BUF_GPA, 1, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 1);
	ck_assert_uint_eq(status(q.io) & VIRTIO_CONFIG_S_NEEDS_RESET,
	    VIRTIO_CONFIG_S_NEEDS_RESET);
	virtio_rnd_destroy(rnd);
}
END_TEST

/* A readable descriptor after a writable one is refused, not written. */
START_TEST(test_rnd_readable_after_writable_refused)
{
	uint64_t seed = 1;
	struct virtio_rnd *rnd = virtio_rnd_create(pci, &gm, &seed);
	struct drv_queue q;

	drv_init(virtio_rnd_slot(rnd), &q, 1);
	wr(BUF_GPA, "WWWW", 4);
	wr(BUF_GPA + 0x100, "RRRR", 4);
	drv_desc(&q, 0, BUF_GPA, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	drv_desc(&q, 1, BUF_GPA + 0x100, 4, 0, 0);
	drv_post(&q, 0);
	drv_notify(&q);
	ck_assert_uint_eq(used_idx(&q), 0);
	ck_assert_uint_eq(rd32(BUF_GPA + 0x100), 0x52525252);
	ck_assert_uint_eq(rd32(BUF_GPA), 0x57575757);
	ck_assert_uint_eq(status(q.io) & VIRTIO_CONFIG_S_NEEDS_RESET,
	    VIRTIO_CONFIG_S_NEEDS_RESET);
	virtio_rnd_destroy(rnd);
}
END_TEST

/* --- console ------------------------------------------------------------- */

static uint8_t	tx_buf[256];
static size_t	tx_len;

static void
tx_sink(void *arg, const uint8_t *p, size_t n)
{
	ck_assert_ptr_eq(arg, tx_buf);
	ck_assert_uint_le(tx_len + n, sizeof(tx_buf));
	memcpy(tx_buf + tx_len, p, n);
	tx_len += n;
}

START_TEST(test_con_transmit)
{
	struct virtio_con *con = virtio_con_create(pci, &gm, tx_sink, tx_buf);
	struct drv_queue q[2];
	uint16_t io;

	tx_len = 0;
	io = drv_init(virtio_con_slot(con), q, 2);
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_HOST_FEATURES, 4), 0);
	/* max_nr_ports = 1 at config offset 4. */
	ck_assert_uint_eq(pin(io + VIRTIO_PCI_CONFIG + 4, 4), 1);
	wr(BUF_GPA, "hello ", 6);
	wr(BUF_GPA + 0x100, "world", 5);
	drv_desc(&q[1], 0, BUF_GPA, 6, VRING_DESC_F_NEXT, 1);
	drv_desc(&q[1], 1, BUF_GPA + 0x100, 5, 0, 0);
	drv_post(&q[1], 0);
	drv_notify(&q[1]);
	ck_assert_uint_eq(tx_len, 11);
	ck_assert_mem_eq(tx_buf, "hello world", 11);
	ck_assert_uint_eq(used_idx(&q[1]), 1);
	ck_assert_uint_eq(used_len(&q[1], 0), 0);
	ck_assert_uint_eq(isr(io), VIRTIO_ISR_QUEUE);
	virtio_con_destroy(con);
}
END_TEST

START_TEST(test_con_receive_waits_for_buffers)
{
	struct virtio_con *con = virtio_con_create(pci, &gm, tx_sink, tx_buf);
	struct drv_queue q[2];
	uint8_t got[8];

	/* Input before the driver is there is held. */
	ck_assert_uint_eq(virtio_con_rx(con, (const uint8_t *)"abc", 3), 3);
	drv_init(virtio_con_slot(con), q, 2);
	ck_assert_uint_eq(used_idx(&q[0]), 0);
	drv_desc(&q[0], 0, BUF_GPA, 2, VRING_DESC_F_WRITE, 0);
	drv_desc(&q[0], 1, BUF_GPA + 0x100, 8, VRING_DESC_F_WRITE, 0);
	drv_post(&q[0], 0);
	drv_post(&q[0], 1);
	drv_notify(&q[0]);
	ck_assert_uint_eq(used_idx(&q[0]), 2);
	ck_assert_uint_eq(used_len(&q[0], 0), 2);
	ck_assert_uint_eq(used_len(&q[0], 1), 1);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA, got, 2), 0);
	ck_assert_mem_eq(got, "ab", 2);
	ck_assert_int_eq(guestmem_read(&gm, BUF_GPA + 0x100, got, 1), 0);
	ck_assert_uint_eq(got[0], 'c');
	ck_assert_int_eq(line[3], 1);

	/* With a buffer posted, input goes straight in. */
	drv_desc(&q[0], 2, BUF_GPA + 0x200, 8, VRING_DESC_F_WRITE, 0);
	drv_post(&q[0], 2);
	drv_notify(&q[0]);
	ck_assert_uint_eq(used_idx(&q[0]), 2);
	ck_assert_uint_eq(virtio_con_rx(con, (const uint8_t *)"xy", 2), 2);
	ck_assert_uint_eq(used_idx(&q[0]), 3);
	ck_assert_uint_eq(used_len(&q[0], 2), 2);
	virtio_con_destroy(con);
}
END_TEST

START_TEST(test_con_receive_buffer_full)
{
	struct virtio_con *con = virtio_con_create(pci, &gm, NULL, NULL);
	uint8_t *big = calloc(1, 5000);

	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(virtio_con_rx(con, big, 5000),
	    VIRTIO_CON_RX_BUFFER);
	ck_assert_uint_eq(virtio_con_rx(con, big, 1), 0);
	free(big);
	virtio_con_destroy(con);
}
END_TEST

static Suite *
virtio_suite(void)
{
	Suite *s = suite_create("dev_virtio");
	TCase *tc;

	tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pci_identity_in_vmd_order);
	tcase_add_test(tc, test_blk_header_and_config);
	tcase_add_test(tc, test_reset_on_status_zero);
	tcase_add_test(tc, test_isr_read_clears_and_lowers_line);
	tcase_add_test(tc, test_no_interrupt_flag_suppresses_isr);
	suite_add_tcase(s, tc);

	tc = tcase_create("blk");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_blk_read_two_sectors);
	tcase_add_test(tc, test_blk_write_reaches_file);
	tcase_add_test(tc, test_blk_request_split_anyhow);
	tcase_add_test(tc, test_blk_beyond_capacity_is_ioerr);
	tcase_add_test(tc, test_blk_readonly);
	tcase_add_test(tc, test_blk_create_errors);
	tcase_add_test(tc, test_blk_flush_get_id_unsupported);
	tcase_add_test(tc, test_blk_several_requests_one_notify);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hostile_descriptor_loop);
	tcase_add_test(tc, test_hostile_self_loop);
	tcase_add_test(tc, test_hostile_indices_out_of_range);
	tcase_add_test(tc, test_hostile_addresses_outside_memory);
	tcase_add_test(tc, test_hostile_ring_outside_memory);
	tcase_add_test(tc, test_hostile_layout_and_indirect);
	suite_add_tcase(s, tc);

	tc = tcase_create("rnd");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rnd_same_seed_same_bytes);
	tcase_add_test(tc, test_rnd_different_seeds_differ);
	tcase_add_test(tc, test_rnd_request_capped_at_64k);
	tcase_add_test(tc, test_rnd_chain_of_queue_size);
	tcase_add_test(tc, test_rnd_readable_after_writable_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("con");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_con_transmit);
	tcase_add_test(tc, test_con_receive_waits_for_buffers);
	tcase_add_test(tc, test_con_receive_buffer_full);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(virtio_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
