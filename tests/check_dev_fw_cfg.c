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
 * QEMU fw_cfg as SeaBIOS and Linux read it: selector and data ports, the
 * big-endian file directory, little-endian items, and the DMA interface.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "devices/devices.h"
#include "devices/fw_cfg.h"
#include "devices/guestmem.h"

#define MiB		(1024ULL * 1024ULL)
#define DESC_GPA	0x10000ULL
#define DEST_GPA	0x20000ULL

static struct dev_port_table	*ports;
static struct guestmem		 gm;
static struct fw_cfg		*fw;

static void
setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	dev_ports_init(ports);
	ck_assert_int_eq(guestmem_alloc(&gm, 16 * MiB), 0);
	fw = fw_cfg_create(&gm);
	ck_assert_ptr_nonnull(fw);
	ck_assert_int_eq(fw_cfg_register(fw, ports), 0);
}

static void
teardown(void)
{
	fw_cfg_destroy(fw);
	guestmem_free(&gm);
	free(ports);
}

static void
pout(uint16_t port, int size, uint32_t v)
{
	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_OUT, size, &v), 0);
}

static uint32_t
pin(uint16_t port, int size)
{
	uint32_t v = 0xDEADBEEF;

	ck_assert_int_eq(dev_ports_io(ports, port, DEV_IO_IN, size, &v), 0);
	return (v);
}

static void
select_key(uint16_t key)
{
	pout(FW_CFG_PORT_SEL, 2, key);
}

/* n data bytes, one inb at a time (SeaBIOS's insb). */
static void
read_data(uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)pin(FW_CFG_PORT_DATA, 1);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* --- the traditional interface ------------------------------------------- */

START_TEST(test_signature_and_id)
{
	uint8_t b[8];

	select_key(FW_CFG_SIGNATURE);
	read_data(b, 6);
	ck_assert_mem_eq(b, "QEMU\0\0", 6);
	select_key(FW_CFG_ID);
	read_data(b, 4);
	ck_assert_mem_eq(b, "\x03\x00\x00\x00", 4);
	select_key(FW_CFG_NOGRAPHIC);
	read_data(b, 2);
	ck_assert_mem_eq(b, "\x01\x00", 2);
}
END_TEST

START_TEST(test_select_resets_offset)
{
	uint8_t b[4];

	select_key(FW_CFG_SIGNATURE);
	read_data(b, 2);
	ck_assert_mem_eq(b, "QE", 2);
	select_key(FW_CFG_SIGNATURE);
	read_data(b, 4);
	ck_assert_mem_eq(b, "QEMU", 4);
	/* The write-channel bit is not part of the item's name. */
	select_key(FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL);
	read_data(b, 4);
	ck_assert_mem_eq(b, "QEMU", 4);
}
END_TEST

START_TEST(test_unknown_key_reads_zero)
{
	uint8_t b[4];

	select_key(0x0123);
	read_data(b, 4);
	ck_assert_mem_eq(b, "\0\0\0\0", 4);
	select_key(FW_CFG_E820_TABLE);
	read_data(b, 4);
	ck_assert_mem_eq(b, "\0\0\0\0", 4);
}
END_TEST

START_TEST(test_port_access_sizes_as_qemu)
{
	uint32_t v;

	/* An 8-bit read of the selector port reads data, as in QEMU. */
	select_key(FW_CFG_SIGNATURE);
	ck_assert_uint_eq(pin(FW_CFG_PORT_SEL, 1), 'Q');
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 'E');
	/* Wider data reads and a 32-bit select are not decoded. */
	ck_assert_int_eq(dev_ports_io(ports, FW_CFG_PORT_DATA, DEV_IO_IN, 2,
	    &v), EINVAL);
	ck_assert_uint_eq(v, 0xFFFF);
	v = FW_CFG_ID;
	ck_assert_int_eq(dev_ports_io(ports, FW_CFG_PORT_SEL, DEV_IO_OUT, 4,
	    &v), EINVAL);
	/* A data write is dropped and does not move the offset. */
	pout(FW_CFG_PORT_DATA, 1, 0x55);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 'M');
}
END_TEST

START_TEST(test_machine_items_little_endian)
{
	uint8_t b[8];

	ck_assert_int_eq(fw_cfg_set_machine(fw, 0x12345678ABULL, 2), 0);
	select_key(FW_CFG_RAM_SIZE);
	read_data(b, 8);
	ck_assert_mem_eq(b, "\xAB\x78\x56\x34\x12\x00\x00\x00", 8);
	select_key(FW_CFG_NB_CPUS);
	read_data(b, 2);
	ck_assert_mem_eq(b, "\x02\x00", 2);
	select_key(FW_CFG_MAX_CPUS);
	read_data(b, 2);
	ck_assert_mem_eq(b, "\x02\x00", 2);
	select_key(FW_CFG_NUMA);
	read_data(b, 8);
	ck_assert_mem_eq(b, "\0\0\0\0\0\0\0\0", 8);
	/* Replacing an item. */
	ck_assert_int_eq(fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, 0x0304), 0);
	select_key(FW_CFG_NB_CPUS);
	read_data(b, 3);
	ck_assert_mem_eq(b, "\x04\x03\x00", 3);
}
END_TEST

/* --- files and the directory ---------------------------------------------- */

START_TEST(test_empty_directory)
{
	uint8_t b[8];

	select_key(FW_CFG_FILE_DIR);
	read_data(b, 8);
	ck_assert_mem_eq(b, "\0\0\0\0\0\0\0\0", 8);
}
END_TEST

START_TEST(test_directory_big_endian_in_add_order)
{
	uint8_t dir[4 + 2 * 64], want[64], b[32];
	uint16_t key = 0;

	ck_assert_int_eq(fw_cfg_add_file(fw, "etc/screen-and-debug",
	    "\0\0\0\0\0\0\0\0", 8, &key), 0);
	ck_assert_uint_eq(key, 0x20);
	ck_assert_int_eq(fw_cfg_add_file(fw, "bootorder",
	    "/pci@i0cf8/" "*@2\nHALT", 19, &key), 0);
	ck_assert_uint_eq(key, 0x21);

	select_key(FW_CFG_FILE_DIR);
	read_data(dir, sizeof(dir));
	ck_assert_uint_eq(be32(dir), 2);
	memset(want, 0, sizeof(want));
	memcpy(want, "\x00\x00\x00\x08\x00\x20\x00\x00", 8);
	strcpy((char *)want + 8, "etc/screen-and-debug");
	ck_assert_mem_eq(dir + 4, want, 64);
	memset(want, 0, sizeof(want));
	memcpy(want, "\x00\x00\x00\x13\x00\x21\x00\x00", 8);
	strcpy((char *)want + 8, "bootorder");
	ck_assert_mem_eq(dir + 4 + 64, want, 64);
	/* Past the directory: zeros. */
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 0);

	select_key(0x21);
	read_data(b, 19);
	ck_assert_mem_eq(b, "/pci@i0cf8/" "*@2\nHALT", 19);
}
END_TEST

START_TEST(test_e820_file_from_layout)
{
	uint8_t dir[4 + 64], map[5 * 20];
	static const uint8_t ram_1m[20] = {
		0x00, 0x00, 0x10, 0, 0, 0, 0, 0,	/* 0x100000 */
		0x00, 0x00, 0xF0, 0, 0, 0, 0, 0,	/* 15 MiB */
		1, 0, 0, 0
	};
	static const uint8_t mmio[20] = {
		0, 0, 0, 0xF0, 0, 0, 0, 0,		/* 0xF0000000 */
		0, 0, 0xC0, 0x0F, 0, 0, 0, 0,		/* 252 MiB */
		2, 0, 0, 0
	};

	ck_assert_int_eq(fw_cfg_add_e820(fw, &gm), 0);
	select_key(FW_CFG_FILE_DIR);
	read_data(dir, sizeof(dir));
	ck_assert_uint_eq(be32(dir), 1);
	ck_assert_uint_eq(be32(dir + 4), 100);
	ck_assert_str_eq((char *)dir + 12, "etc/e820");
	select_key(FW_CFG_FILE_FIRST);
	read_data(map, sizeof(map));
	/* 640 KiB RAM, the reserved hole, RAM, the MMIO window, high BIOS. */
	ck_assert_mem_eq(map, "\0\0\0\0\0\0\0\0\x00\x00\x0A\0\0\0\0\0"
	    "\x01\0\0\0", 20);
	ck_assert_mem_eq(map + 20, "\x00\x00\x0A\0\0\0\0\0\x00\x00\x06\0\0\0"
	    "\0\0\x02\0\0\0", 20);
	ck_assert_mem_eq(map + 40, ram_1m, 20);
	ck_assert_mem_eq(map + 60, mmio, 20);
	ck_assert_uint_eq(map[80 + 3], 0xFF);		/* 0xFFC00000 */
	ck_assert_uint_eq(map[80 + 16], 2);
}
END_TEST

START_TEST(test_add_errors)
{
	char name[FW_CFG_MAX_FILE_PATH + 1];
	int i;

	ck_assert_int_eq(fw_cfg_add_file(fw, "a", "x", 1, NULL), 0);
	ck_assert_int_eq(fw_cfg_add_file(fw, "a", "y", 1, NULL), EEXIST);
	ck_assert_int_eq(fw_cfg_add_file(fw, "", "y", 1, NULL), EINVAL);
	memset(name, 'n', sizeof(name) - 1);
	name[FW_CFG_MAX_FILE_PATH] = '\0';
	ck_assert_int_eq(fw_cfg_add_file(fw, name, "y", 1, NULL),
	    ENAMETOOLONG);
	name[FW_CFG_MAX_FILE_PATH - 1] = '\0';		/* 55: fits */
	ck_assert_int_eq(fw_cfg_add_file(fw, name, "y", 1, NULL), 0);
	ck_assert_int_eq(fw_cfg_add_item(fw, FW_CFG_FILE_DIR, "x", 1), EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fw, FW_CFG_FILE_FIRST, "x", 1),
	    EINVAL);
	ck_assert_int_eq(fw_cfg_add_item(fw, FW_CFG_INVALID, "x", 1), EINVAL);
	for (i = 2; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(fw_cfg_add_file(fw, name, NULL, 0, NULL), 0);
	}
	ck_assert_int_eq(fw_cfg_add_file(fw, "last", "x", 1, NULL), ENOSPC);
	select_key(FW_CFG_FILE_DIR);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 0);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 0);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 1);	/* 256, BE */
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), 0);
}
END_TEST

/* --- DMA -------------------------------------------------------------------- */

static void
dma_desc(uint32_t control, uint32_t length, uint64_t addr)
{
	uint8_t d[16];
	int i;

	for (i = 0; i < 4; i++) {
		d[i] = (uint8_t)(control >> (24 - 8 * i));
		d[4 + i] = (uint8_t)(length >> (24 - 8 * i));
	}
	for (i = 0; i < 8; i++)
		d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
	ck_assert_int_eq(guestmem_write(&gm, DESC_GPA, d, sizeof(d)), 0);
}

/* As a driver does: outl(0x514, cpu_to_be32(hi)); outl(0x518, ...lo). */
static void
dma_kick(uint64_t desc)
{
	pout(FW_CFG_PORT_DMA, 4, __builtin_bswap32((uint32_t)(desc >> 32)));
	pout(FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32((uint32_t)desc));
}

static uint32_t
dma_control(void)
{
	uint8_t c[4];

	ck_assert_int_eq(guestmem_read(&gm, DESC_GPA, c, 4), 0);
	return (be32(c));
}

START_TEST(test_dma_signature_ports)
{
	/* EAX holds "QEMU" / " CFG" in memory order. */
	ck_assert_uint_eq(pin(FW_CFG_PORT_DMA, 4), 0x554D4551);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DMA + 4, 4), 0x47464320);
	ck_assert_uint_eq(pin(FW_CFG_PORT_DMA + 1, 1), 'E');
}
END_TEST

START_TEST(test_dma_select_read_zero_fills)
{
	uint8_t b[8];

	ck_assert_int_eq(guestmem_write(&gm, DEST_GPA, "\xAA\xAA\xAA\xAA"
	    "\xAA\xAA\xAA\xAA\xAA", 9), 0);
	dma_desc((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 8, DEST_GPA);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), 0);
	ck_assert_int_eq(guestmem_read(&gm, DEST_GPA, b, 8), 0);
	ck_assert_mem_eq(b, "QEMU\0\0\0\0", 8);
	ck_assert_int_eq(guestmem_read(&gm, DEST_GPA + 8, b, 1), 0);
	ck_assert_uint_eq(b[0], 0xAA);
}
END_TEST

START_TEST(test_dma_skip_then_read_and_port_offset)
{
	uint8_t b[4];

	ck_assert_int_eq(fw_cfg_add_file(fw, "etc/x", "0123456789", 10, NULL),
	    0);
	dma_desc((uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_SKIP, 4, 0);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), 0);
	dma_desc(FW_CFG_DMA_CTL_READ, 3, DEST_GPA);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), 0);
	ck_assert_int_eq(guestmem_read(&gm, DEST_GPA, b, 3), 0);
	ck_assert_mem_eq(b, "456", 3);
	/* DMA and the data port share the offset. */
	ck_assert_uint_eq(pin(FW_CFG_PORT_DATA, 1), '7');
}
END_TEST

START_TEST(test_dma_errors)
{
	uint8_t before[4], after[4];

	/* Writes are refused. */
	dma_desc((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_WRITE, 4, DEST_GPA);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), FW_CFG_DMA_CTL_ERROR);
	/* A destination in the MMIO hole. */
	dma_desc((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 4, 0xF0000000ULL);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), FW_CFG_DMA_CTL_ERROR);
	/* A destination running off the end of RAM, zero-fill included. */
	dma_desc((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 0xFFFFFFFF, 16 * MiB - 16);
	dma_kick(DESC_GPA);
	ck_assert_uint_eq(dma_control(), FW_CFG_DMA_CTL_ERROR);
	/* A descriptor outside memory: nothing to write back, no crash. */
	ck_assert_int_eq(guestmem_read(&gm, DESC_GPA, before, 4), 0);
	dma_kick(0x100000000ULL + DESC_GPA);
	ck_assert_int_eq(guestmem_read(&gm, DESC_GPA, after, 4), 0);
	ck_assert_mem_eq(before, after, 4);
	/* The address register was cleared: a low-half write alone runs. */
	dma_desc((uint32_t)FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT |
	    FW_CFG_DMA_CTL_READ, 4, DEST_GPA);
	pout(FW_CFG_PORT_DMA + 4, 4, __builtin_bswap32((uint32_t)DESC_GPA));
	ck_assert_uint_eq(dma_control(), 0);
	ck_assert_int_eq(guestmem_read(&gm, DEST_GPA, after, 4), 0);
	ck_assert_mem_eq(after, "\x03\0\0\0", 4);
}
END_TEST

START_TEST(test_destroy_gives_ports_back)
{
	uint32_t v;

	fw_cfg_destroy(fw);
	fw = NULL;
	ck_assert_int_eq(dev_ports_io(ports, FW_CFG_PORT_SEL, DEV_IO_IN, 1,
	    &v), ENODEV);
	ck_assert_int_eq(dev_ports_io(ports, FW_CFG_PORT_DMA + 7, DEV_IO_IN, 1,
	    &v), ENODEV);
	fw = fw_cfg_create(&gm);
	ck_assert_int_eq(fw_cfg_register(fw, ports), 0);
	ck_assert_int_eq(fw_cfg_register(fw, ports), EBUSY);
}
END_TEST

static Suite *
fw_cfg_suite(void)
{
	Suite *s = suite_create("dev_fw_cfg");
	TCase *tc = tcase_create("fw_cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_signature_and_id);
	tcase_add_test(tc, test_select_resets_offset);
	tcase_add_test(tc, test_unknown_key_reads_zero);
	tcase_add_test(tc, test_port_access_sizes_as_qemu);
	tcase_add_test(tc, test_machine_items_little_endian);
	tcase_add_test(tc, test_empty_directory);
	tcase_add_test(tc, test_directory_big_endian_in_add_order);
	tcase_add_test(tc, test_e820_file_from_layout);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_dma_signature_ports);
	tcase_add_test(tc, test_dma_select_read_zero_fills);
	tcase_add_test(tc, test_dma_skip_then_read_and_port_offset);
	tcase_add_test(tc, test_dma_errors);
	tcase_add_test(tc, test_destroy_gives_ports_back);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(fw_cfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
