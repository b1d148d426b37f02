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
 * MMIO in userspace: the range table, the guest page walker in each
 * paging mode, instruction fetch, the emulator form by form (fed
 * instruction bytes and a register state, checked on the registers, the
 * flags and what the device saw), and a guest that drives a device at
 * 0xF0000000 through the real monitor and the run loop.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "devices/guestmem.h"
#include "devices/mmio.h"
#include "devices/vmrun.h"

#define MMIO		0xF0000000ULL
#define CODE		0x8000ULL
#define PML4		0x10000ULL	/* long-mode tables: PML4 PDPT PD PT */
#define PDPT		0x11000ULL
#define PD		0x12000ULL
#define PT		0x13000ULL
#define VA_HOLE		0x300000ULL	/* not present */
#define VA_ALIAS	0x301000ULL	/* -> MMIO, 0x302000 -> MMIO+0x1000 */
#define VA_APART	0x303000ULL	/* -> MMIO again: not after 0x302000 */
#define VA_CODE2	0x310000ULL	/* -> 0x500000; 0x311000 -> 0x400000 */
#define VA_CODE_END	0x320000ULL	/* present; 0x321000 is not */
#define VA_SUPER	0x330000ULL	/* supervisor only */
#define VA_RO		0x331000ULL	/* read only */
#define VA_NX		0x332000ULL	/* execute disable */
#define VA_BADTABLE	0x400000ULL	/* its PT lies in MMIO */

#define CR0_PE		0x1ULL
#define CR0_WP		0x10000ULL
#define CR0_PG		0x80000000ULL
#define RFLAGS_CF	0x1ULL
#define RFLAGS_PF	0x4ULL
#define RFLAGS_AF	0x10ULL
#define RFLAGS_ZF	0x40ULL
#define RFLAGS_SF	0x80ULL
#define RFLAGS_DF	0x400ULL
#define RFLAGS_OF	0x800ULL

/* A 8 KiB register file that reads back what was written, and a log. */
struct regfile {
	uint8_t		mem[0x2000];
	int		reads, writes;
	uint64_t	last_off;
	int		last_size;
	int		refuse;		/* answer EIO */
};

static struct guestmem gm;
static struct mmio_table tab;
static struct regfile dev;
static struct vm_exit ve;
static char err[MMIO_ERRLEN];

static int
regfile_fn(void *arg, uint64_t off, int is_write, int size, uint64_t *data)
{
	struct regfile *d = arg;

	if (d->refuse)
		return (EIO);
	ck_assert_uint_le(off + size, sizeof(d->mem));
	d->last_off = off;
	d->last_size = size;
	if (is_write) {
		d->writes++;
		memcpy(d->mem + off, data, size);
	} else {
		d->reads++;
		*data = 0;
		memcpy(data, d->mem + off, size);
	}
	return (0);
}

static uint64_t
dev_get(uint64_t off, int size)
{
	uint64_t v = 0;

	memcpy(&v, dev.mem + off, size);
	return (v);
}

static void
dev_put(uint64_t off, uint64_t v, int size)
{
	memcpy(dev.mem + off, &v, size);
}

static void
put64(uint64_t gpa, uint64_t v)
{
	ck_assert_int_eq(guestmem_write(&gm, gpa, &v, 8), 0);
}

static void
put32(uint64_t gpa, uint32_t v)
{
	ck_assert_int_eq(guestmem_write(&gm, gpa, &v, 4), 0);
}

static uint64_t
get64(uint64_t gpa)
{
	uint64_t v = 0;

	ck_assert_int_eq(guestmem_read(&gm, gpa, &v, 8), 0);
	return (v);
}

/* Long mode: 4-level tables with a 1 GiB, a 2 MiB and 4 KiB leaves. */
static void
build_lm_tables(void)
{
	uint64_t i;

	put64(PML4, PDPT | 7);
	put64(PDPT, PD | 7);
	put64(PDPT + 3 * 8, 0xC0000000ULL | 0x87);	/* 1 GiB: 3-4 GiB */
	put64(PD, 0x87);				/* 2 MiB: 0-2 MiB */
	put64(PD + 8, PT | 7);				/* 2-4 MiB in 4 KiB */
	for (i = 0; i < 512; i++)
		put64(PT + i * 8, (0x200000 + i * 0x1000) | 7);
	put64(PT + ((VA_HOLE >> 12) & 0x1FF) * 8, 0);
	put64(PT + ((VA_ALIAS >> 12) & 0x1FF) * 8, MMIO | 7);
	put64(PT + (((VA_ALIAS >> 12) + 1) & 0x1FF) * 8, (MMIO + 0x1000) | 7);
	put64(PT + ((VA_APART >> 12) & 0x1FF) * 8, MMIO | 7);
	put64(PT + ((VA_CODE2 >> 12) & 0x1FF) * 8, 0x500000 | 7);
	put64(PT + (((VA_CODE2 >> 12) + 1) & 0x1FF) * 8, 0x400000 | 7);
	put64(PT + (((VA_CODE_END >> 12) + 1) & 0x1FF) * 8, 0);
	put64(PT + ((VA_SUPER >> 12) & 0x1FF) * 8, VA_SUPER | 3);
	put64(PT + ((VA_RO >> 12) & 0x1FF) * 8, VA_RO | 5);
	put64(PT + ((VA_NX >> 12) & 0x1FF) * 8, VA_NX | 7 | (1ULL << 63));
	put64(PD + 2 * 8, (MMIO + 0x5000) | 7);		/* VA_BADTABLE */
}

static void
seg(int i, uint64_t base, uint32_t ar)
{
	ve.vrs.vrs_sregs[i].vsi_base = base;
	ve.vrs.vrs_sregs[i].vsi_limit = 0xFFFFFFFF;
	ve.vrs.vrs_sregs[i].vsi_ar = ar;
}

static void
mode_lm64(void)
{
	int i;

	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++)
		seg(i, 0, 0xC093);
	seg(VCPU_REGS_CS, 0, 0xA09B);			/* L */
	ve.vrs.vrs_crs[VCPU_REGS_CR0] = CR0_PG | CR0_WP | CR0_PE | 0x10;
	ve.vrs.vrs_crs[VCPU_REGS_CR3] = PML4;
	ve.vrs.vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	ve.vrs.vrs_msrs[VCPU_REGS_EFER] = 0xD00;	/* NXE LMA LME */
}

static void
mode_pm32(void)
{
	int i;

	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++)
		seg(i, 0, 0xC093);
	seg(VCPU_REGS_CS, 0, 0xC09B);			/* D */
	ve.vrs.vrs_crs[VCPU_REGS_CR0] = CR0_PE | 0x10;
	ve.vrs.vrs_crs[VCPU_REGS_CR3] = 0;
	ve.vrs.vrs_crs[VCPU_REGS_CR4] = 0;
	ve.vrs.vrs_msrs[VCPU_REGS_EFER] = 0;
}

/* Real mode; DS may have a base above 1 MiB ("big real" firmware). */
static void
mode_real(void)
{
	int i;

	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++) {
		seg(i, 0, 0x93);
		ve.vrs.vrs_sregs[i].vsi_limit = 0xFFFF;
	}
	seg(VCPU_REGS_CS, 0, 0x9B);
	ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_limit = 0xFFFF;
	ve.vrs.vrs_crs[VCPU_REGS_CR0] = 0x10;
	ve.vrs.vrs_crs[VCPU_REGS_CR3] = 0;
	ve.vrs.vrs_crs[VCPU_REGS_CR4] = 0;
	ve.vrs.vrs_msrs[VCPU_REGS_EFER] = 0;
}

static void
setup(void)
{
	ck_assert_int_eq(guestmem_alloc(&gm, 16ULL << 20), 0);
	mmio_table_init(&tab);
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(mmio_register(&tab, MMIO, sizeof(dev.mem),
	    regfile_fn, &dev), 0);
	memset(&ve, 0, sizeof(ve));
	memset(err, 0, sizeof(err));
	build_lm_tables();
	mode_lm64();
	ve.vrs.vrs_gprs[VCPU_REGS_RIP] = CODE;
	ve.vrs.vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	ve.vrs.vrs_gprs[VCPU_REGS_RBX] = MMIO;
}

static void
teardown(void)
{
	mmio_table_fini(&tab);
	guestmem_free(&gm);
}

/* Put code at RIP (a GPA: identity-mapped there) and emulate it. */
static int
run_(const uint8_t *code, size_t n)
{
	uint64_t lin = ve.vrs.vrs_gprs[VCPU_REGS_RIP] +
	    ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_base;

	ck_assert_int_eq(guestmem_write(&gm, lin, code, n), 0);
	ve.vee.vee_fault_type = VEE_FAULT_MMIO_ASSIST;
	ve.vee.vee_insn_info = VEE_LEN_VALID;
	ve.vee.vee_insn_len = (uint8_t)n;
	return (mmio_emulate(&tab, &gm, &ve, err));
}
#define RUN(...) run_((const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define OK(...) ck_assert_msg(RUN(__VA_ARGS__) == 0, "emulate: %s", err)

#define GPR(r)		ve.vrs.vrs_gprs[VCPU_REGS_##r]

/* --- the range table ---------------------------------------------------- */

static int
nop_fn(void *arg, uint64_t off, int is_write, int size, uint64_t *data)
{
	if (!is_write)
		*data = (uintptr_t)arg + off;
	return (0);
}

START_TEST(test_table_lookup_finds_the_region_by_binary_search)
{
	struct mmio_table t;
	const struct mmio_region *r;

	mmio_table_init(&t);
	ck_assert_int_eq(mmio_register(&t, 0x3000, 0x1000, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_register(&t, 0x1000, 0x100, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_register(&t, 0x2000, 0x800, nop_fn, NULL), 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_uint_eq(t.r[0].base, 0x1000);		/* kept sorted */
	ck_assert_uint_eq(t.r[1].base, 0x2000);
	ck_assert_uint_eq(t.r[2].base, 0x3000);
	ck_assert_ptr_null(mmio_lookup(&t, 0xFFF));
	ck_assert_uint_eq(mmio_lookup(&t, 0x1000)->base, 0x1000);
	ck_assert_uint_eq(mmio_lookup(&t, 0x10FF)->base, 0x1000);
	ck_assert_ptr_null(mmio_lookup(&t, 0x1100));
	ck_assert_uint_eq(mmio_lookup(&t, 0x27FF)->base, 0x2000);
	ck_assert_ptr_null(mmio_lookup(&t, 0x2800));
	r = mmio_lookup(&t, 0x3FFF);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->base, 0x3000);
	ck_assert_ptr_null(mmio_lookup(&t, 0x4000));
	mmio_table_fini(&t);
}
END_TEST

START_TEST(test_table_rejects_overlap_with_eexist)
{
	struct mmio_table t;

	mmio_table_init(&t);
	ck_assert_int_eq(mmio_register(&t, 0x2000, 0x1000, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_register(&t, 0x2000, 0x1000, nop_fn, NULL),
	    EEXIST);
	ck_assert_int_eq(mmio_register(&t, 0x1800, 0x801, nop_fn, NULL),
	    EEXIST);					/* tail into it */
	ck_assert_int_eq(mmio_register(&t, 0x2FFF, 0x10, nop_fn, NULL),
	    EEXIST);					/* head in it */
	ck_assert_int_eq(mmio_register(&t, 0x2400, 0x10, nop_fn, NULL),
	    EEXIST);					/* inside */
	ck_assert_int_eq(mmio_register(&t, 0x1000, 0x4000, nop_fn, NULL),
	    EEXIST);					/* around */
	ck_assert_int_eq(mmio_register(&t, 0x1800, 0x800, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_register(&t, 0x3000, 0x800, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_register(&t, 0x5000, 0, nop_fn, NULL), EINVAL);
	ck_assert_int_eq(mmio_register(&t, 0x5000, 0x10, NULL, NULL), EINVAL);
	ck_assert_int_eq(mmio_register(&t, UINT64_MAX - 0xF, 0x20, nop_fn,
	    NULL), EINVAL);				/* wraps */
	ck_assert_int_eq(mmio_register(&t, UINT64_MAX - 0xF, 0x10, nop_fn,
	    NULL), 0);					/* ends at the top */
	ck_assert_uint_eq(t.n, 4);
	mmio_table_fini(&t);
}
END_TEST

/* A PCI BAR moves: unregister at the old base, register at the new. */
START_TEST(test_table_unregister_lets_a_bar_move)
{
	struct mmio_table t;
	uint64_t v = 0;

	mmio_table_init(&t);
	ck_assert_int_eq(mmio_register(&t, 0x1000, 0x100, nop_fn,
	    (void *)0x500), 0);
	ck_assert_int_eq(mmio_register(&t, 0x2000, 0x100, nop_fn, NULL), 0);
	ck_assert_int_eq(mmio_unregister(&t, 0x1010), ENOENT);
	ck_assert_int_eq(mmio_unregister(&t, 0x3000), ENOENT);
	ck_assert_int_eq(mmio_unregister(&t, 0x1000), 0);
	ck_assert_int_eq(mmio_unregister(&t, 0x1000), ENOENT);
	ck_assert_ptr_null(mmio_lookup(&t, 0x1000));
	ck_assert_int_eq(mmio_access(&t, 0x1004, 0, 4, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFFFFFFFF);
	ck_assert_int_eq(mmio_register(&t, 0x8000, 0x100, nop_fn,
	    (void *)0x500), 0);
	ck_assert_int_eq(mmio_access(&t, 0x8004, 0, 4, &v), 0);
	ck_assert_uint_eq(v, 0x504);
	ck_assert_uint_eq(t.n, 2);
	mmio_table_fini(&t);
}
END_TEST

START_TEST(test_table_grows_past_its_first_allocation)
{
	struct mmio_table t;
	uint64_t v, i;

	mmio_table_init(&t);
	for (i = 0; i < 100; i++)			/* descending bases */
		ck_assert_int_eq(mmio_register(&t, (100 - i) * 0x1000, 0x10,
		    nop_fn, (void *)(uintptr_t)(i << 8)), 0);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(mmio_access(&t, (100 - i) * 0x1000 + 3, 0, 1,
		    &v), 0);
		ck_assert_uint_eq(v, ((i << 8) + 3) & 0xFF);
		ck_assert_int_eq(mmio_access(&t, (100 - i) * 0x1000 + 2, 0, 2,
		    &v), 0);
		ck_assert_uint_eq(v, (i << 8) + 2);
	}
	mmio_table_fini(&t);
}
END_TEST

START_TEST(test_table_unclaimed_reads_all_ones_and_drops_writes)
{
	uint64_t v;

	v = 0;
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x10000, 0, 1, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFF);
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x10000, 0, 2, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFFFF);
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x10000, 0, 4, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFFFFFFFF);
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x10000, 0, 8, &v), ENODEV);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 1;
	ck_assert_int_eq(mmio_access(&tab, MMIO - 4, 1, 4, &v), ENODEV);
	/* Hanging over the end of a region: nobody's. */
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x1FFE, 0, 4, &v), ENODEV);
	ck_assert_uint_eq(v, 0xFFFFFFFF);
	ck_assert_int_eq(mmio_access(&tab, MMIO + 0x1FFC, 1, 8, &v), ENODEV);
	ck_assert_int_eq(dev.writes + dev.reads, 0);
	ck_assert_int_eq(mmio_access(&tab, MMIO, 0, 3, &v), EINVAL);
	/* A device that refuses reads as all ones too. */
	dev.refuse = 1;
	ck_assert_int_eq(mmio_access(&tab, MMIO, 0, 2, &v), EIO);
	ck_assert_uint_eq(v, 0xFFFF);
	dev.refuse = 0;
	/* The handler sees only the access's bytes of a write. */
	v = 0x1122334455667788ULL;
	ck_assert_int_eq(mmio_access(&tab, MMIO + 8, 1, 2, &v), 0);
	ck_assert_uint_eq(dev_get(8, 8), 0x7788);
}
END_TEST

/* --- the page walker ---------------------------------------------------- */

static int
xlate(uint64_t gva, int acc, uint64_t *gpa)
{
	*gpa = 0xDEAD;
	return (mmio_translate(&gm, &ve.vrs, gva, acc, gpa));
}

START_TEST(test_walk_paging_off_is_identity_in_32_bits)
{
	uint64_t gpa;

	mode_pm32();
	ck_assert_int_eq(xlate(0xF0000123, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xF0000123);
	ck_assert_int_eq(xlate(0x1F0000123ULL, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xF0000123);
	mode_real();
	ck_assert_int_eq(xlate(0xB8000, MMIO_ACC_WRITE, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xB8000);
}
END_TEST

START_TEST(test_walk_32bit_paging_4k_4m_pse36_and_not_present)
{
	uint64_t gpa;

	mode_pm32();
	ve.vrs.vrs_crs[VCPU_REGS_CR0] |= CR0_PG;
	ve.vrs.vrs_crs[VCPU_REGS_CR3] = 0x20000;
	ve.vrs.vrs_crs[VCPU_REGS_CR4] = 0x10;			/* PSE */
	put32(0x20000, 0x21000 | 3);
	put32(0x21000 + 8 * 4, 0x9000 | 3);			/* 0x8000 */
	put32(0x20000 + 1 * 4, 0x800000 | 0x83);		/* 4 MiB */
	put32(0x20000 + 2 * 4, 0xC00000 | (0x5 << 13) | 0x83);	/* PSE-36 */
	ck_assert_int_eq(xlate(0x8123, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x9123);
	ck_assert_int_eq(xlate(0x412345, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x812345);
	ck_assert_int_eq(xlate(0x812345, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x500C12345ULL);
	ck_assert_int_eq(xlate(0xC00000, 0, &gpa), EFAULT);	/* PDE 3 */
	ck_assert_int_eq(xlate(0x9000, 0, &gpa), EFAULT);	/* PTE 9 */
	/* The accessed bits of the entries used are set. */
	ck_assert_uint_eq(get64(0x20000) & 0x20, 0x20);
	ck_assert_uint_eq(get64(0x21000 + 8 * 4) & 0x60, 0x20);
	ck_assert_int_eq(xlate(0x8000, MMIO_ACC_WRITE, &gpa), 0);
	ck_assert_uint_eq(get64(0x21000 + 8 * 4) & 0x60, 0x60);	/* D */
}
END_TEST

START_TEST(test_walk_pae_4k_2m_and_not_present_pdpte)
{
	uint64_t gpa;

	mode_pm32();
	ve.vrs.vrs_crs[VCPU_REGS_CR0] |= CR0_PG;
	ve.vrs.vrs_crs[VCPU_REGS_CR3] = 0x22020;	/* 32-byte aligned */
	ve.vrs.vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	put64(0x22020, 0x23000 | 1);
	put64(0x23000, 0x24000 | 3);
	put64(0x24000 + 8 * 8, 0x9000 | 3);
	put64(0x23000 + 2 * 8, 0x600000 | 0x83);	/* 2 MiB */
	put64(0x22020 + 3 * 8, 0x25000 | 1);		/* 3-4 GiB */
	put64(0x25000 + 0x180 * 8, 0x123400000ULL | 0x83);
	ck_assert_int_eq(xlate(0x8ABC, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x9ABC);
	ck_assert_int_eq(xlate(0x412345, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x612345);
	ck_assert_int_eq(xlate(0xF0001234, 0, &gpa), 0);	/* above 4 GiB */
	ck_assert_uint_eq(gpa, 0x123401234ULL);
	ck_assert_int_eq(xlate(0x40000000, 0, &gpa), EFAULT);	/* PDPTE 1 */
	/* A PAE PDPTE has no accessed bit: it is left alone. */
	ck_assert_uint_eq(get64(0x22020), 0x23001);
	ck_assert_uint_eq(get64(0x23000) & 0x20, 0x20);
}
END_TEST

START_TEST(test_walk_long_mode_4k_2m_1g)
{
	uint64_t gpa;

	ck_assert_int_eq(xlate(0x8123, 0, &gpa), 0);		/* 2 MiB */
	ck_assert_uint_eq(gpa, 0x8123);
	ck_assert_int_eq(xlate(VA_ALIAS + 0x44, 0, &gpa), 0);	/* 4 KiB */
	ck_assert_uint_eq(gpa, MMIO + 0x44);
	ck_assert_int_eq(xlate(VA_CODE2 + 0x1010, 0, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x400010);
	ck_assert_int_eq(xlate(0xF1234567, 0, &gpa), 0);	/* 1 GiB */
	ck_assert_uint_eq(gpa, 0xF1234567);
	ck_assert_int_eq(xlate(VA_HOLE + 8, 0, &gpa), EFAULT);
	ck_assert_int_eq(xlate(0x8000000000ULL, 0, &gpa), EFAULT); /* PML4 1 */
	ck_assert_int_eq(xlate(0x0000800000000000ULL, 0, &gpa), EFAULT);
	ck_assert_int_eq(xlate(0xFFFF800000000000ULL, 0, &gpa), EFAULT);
	ck_assert_int_eq(xlate(VA_BADTABLE, 0, &gpa), EIO);
	ve.vrs.vrs_crs[VCPU_REGS_CR4] |= 1ULL << 12;		/* LA57 */
	ck_assert_int_eq(xlate(0x8000, 0, &gpa), EOPNOTSUPP);
}
END_TEST

START_TEST(test_walk_sets_accessed_and_dirty_bits)
{
	uint64_t gpa, pte = PT + ((VA_ALIAS >> 12) & 0x1FF) * 8;

	ck_assert_uint_eq(get64(pte) & 0x60, 0);
	ck_assert_int_eq(xlate(VA_ALIAS, 0, &gpa), 0);
	ck_assert_uint_eq(get64(pte) & 0x60, 0x20);
	ck_assert_uint_eq(get64(PML4) & 0x20, 0x20);
	ck_assert_uint_eq(get64(PDPT) & 0x20, 0x20);
	ck_assert_uint_eq(get64(PD + 8) & 0x60, 0x20);	/* not a leaf: no D */
	ck_assert_int_eq(xlate(VA_ALIAS, MMIO_ACC_WRITE, &gpa), 0);
	ck_assert_uint_eq(get64(pte) & 0x60, 0x60);
	ck_assert_uint_eq(get64(PD + 8) & 0x40, 0);
	ck_assert_uint_eq(get64(pte) & ~0x60ULL, MMIO | 7);	/* rest kept */
}
END_TEST

START_TEST(test_walk_checks_user_write_and_nx_rights)
{
	uint64_t gpa;

	ck_assert_int_eq(xlate(VA_SUPER, 0, &gpa), 0);
	ck_assert_int_eq(xlate(VA_SUPER, MMIO_ACC_USER, &gpa), EFAULT);
	ck_assert_int_eq(xlate(VA_RO, MMIO_ACC_USER, &gpa), 0);
	ck_assert_int_eq(xlate(VA_RO, MMIO_ACC_WRITE | MMIO_ACC_USER, &gpa),
	    EFAULT);
	ck_assert_int_eq(xlate(VA_RO, MMIO_ACC_WRITE, &gpa), EFAULT); /* WP */
	ve.vrs.vrs_crs[VCPU_REGS_CR0] &= ~CR0_WP;
	ck_assert_int_eq(xlate(VA_RO, MMIO_ACC_WRITE, &gpa), 0);
	ck_assert_uint_eq(gpa, VA_RO);
	ck_assert_int_eq(xlate(VA_NX, 0, &gpa), 0);
	ck_assert_int_eq(xlate(VA_NX, MMIO_ACC_FETCH, &gpa), EFAULT);
	ve.vrs.vrs_msrs[VCPU_REGS_EFER] &= ~0x800ULL;		/* NXE off */
	ck_assert_int_eq(xlate(VA_NX, MMIO_ACC_FETCH, &gpa), 0);
}
END_TEST

/* --- instruction fetch -------------------------------------------------- */

START_TEST(test_fetch_crosses_into_a_page_mapped_elsewhere)
{
	/* mov eax, [rbx+0x10]: 8b 43 10; 2 bytes on one page, 1 on the next. */
	static const uint8_t head[] = { 0x90, 0x8B, 0x43 }, tail = 0x10;

	ck_assert_int_eq(guestmem_write(&gm, 0x500FFD, head, 3), 0);
	ck_assert_int_eq(guestmem_write(&gm, 0x400000, &tail, 1), 0);
	dev_put(0x10, 0xFEEDF00D, 4);
	GPR(RIP) = VA_CODE2 + 0xFFE;
	ve.vee.vee_fault_type = VEE_FAULT_MMIO_ASSIST;
	ve.vee.vee_insn_info = VEE_LEN_VALID;
	ve.vee.vee_insn_len = 3;
	ck_assert_msg(mmio_emulate(&tab, &gm, &ve, err) == 0, "%s", err);
	ck_assert_uint_eq(GPR(RAX), 0xFEEDF00D);
	ck_assert_uint_eq(GPR(RIP), VA_CODE2 + 0x1001);
}
END_TEST

START_TEST(test_fetch_of_an_unmapped_page_fails_cleanly)
{
	uint8_t buf[15];
	size_t n;
	static const uint8_t insn[] = { 0x8B, 0x03 };	/* mov eax, [rbx] */

	/* The length is known and runs into the missing page: EFAULT. */
	GPR(RIP) = VA_CODE_END + 0xFFF;
	ve.vee.vee_insn_info = VEE_LEN_VALID;
	ve.vee.vee_insn_len = 2;
	ck_assert_int_eq(mmio_fetch(&gm, &ve.vrs, &ve.vee, buf, &n), EFAULT);
	ck_assert_int_eq(mmio_emulate(&tab, &gm, &ve, err), EFAULT);
	ck_assert_ptr_nonnull(strstr(err, "cannot fetch"));
	ck_assert_uint_eq(GPR(RIP), VA_CODE_END + 0xFFF);
	/* Unknown length: what the present page holds is enough. */
	GPR(RIP) = VA_CODE_END + 0xFFE;
	ck_assert_int_eq(guestmem_write(&gm, VA_CODE_END + 0xFFE, insn, 2), 0);
	ve.vee.vee_insn_info = 0;
	ve.vee.vee_insn_len = 0;
	ck_assert_int_eq(mmio_fetch(&gm, &ve.vrs, &ve.vee, buf, &n), 0);
	ck_assert_uint_eq(n, 2);
	dev_put(0, 0x600DCAFE, 4);
	ck_assert_msg(mmio_emulate(&tab, &gm, &ve, err) == 0, "%s", err);
	ck_assert_uint_eq(GPR(RAX), 0x600DCAFE);
	ck_assert_uint_eq(GPR(RIP), VA_CODE_END + 0x1000);
	/* Nothing at all there. */
	GPR(RIP) = VA_HOLE;
	ck_assert_int_eq(mmio_fetch(&gm, &ve.vrs, &ve.vee, buf, &n), EFAULT);
	ck_assert_int_eq(mmio_emulate(&tab, &gm, &ve, err), EFAULT);
}
END_TEST

/* With decode assists (AMD) the exit carries the bytes; memory is not read. */
START_TEST(test_fetch_uses_the_bytes_the_exit_carries)
{
	static const uint8_t insn[] = { 0x89, 0x0B };	/* mov [rbx], ecx */

	GPR(RIP) = VA_HOLE;				/* nothing to read */
	GPR(RCX) = 0xABCDEF01;
	ve.vee.vee_insn_info = VEE_LEN_VALID | VEE_BYTES_VALID;
	ve.vee.vee_insn_len = 2;
	memcpy(ve.vee.vee_insn_bytes, insn, 2);
	ck_assert_msg(mmio_emulate(&tab, &gm, &ve, err) == 0, "%s", err);
	ck_assert_uint_eq(dev_get(0, 4), 0xABCDEF01);
	ck_assert_uint_eq(GPR(RIP), VA_HOLE + 2);
}
END_TEST

/* --- the emulator: MOV family ------------------------------------------- */

START_TEST(test_emul_mov_store_each_size)
{
	GPR(RAX) = 0x1122334455667788ULL;
	OK(0x88, 0x03);					/* mov [rbx], al */
	ck_assert_uint_eq(dev.last_size, 1);
	ck_assert_uint_eq(dev_get(0, 8), 0x88);
	ck_assert_uint_eq(GPR(RIP), CODE + 2);
	OK(0x66, 0x89, 0x43, 0x08);			/* mov [rbx+8], ax */
	ck_assert_uint_eq(dev.last_size, 2);
	ck_assert_uint_eq(dev.last_off, 8);
	ck_assert_uint_eq(dev_get(8, 8), 0x7788);
	OK(0x89, 0x43, 0x10);				/* mov [rbx+16], eax */
	ck_assert_uint_eq(dev.last_size, 4);
	ck_assert_uint_eq(dev_get(16, 8), 0x55667788);
	OK(0x48, 0x89, 0x43, 0x18);			/* mov [rbx+24], rax */
	ck_assert_uint_eq(dev.last_size, 8);
	ck_assert_uint_eq(dev_get(24, 8), 0x1122334455667788ULL);
	ck_assert_int_eq(dev.writes, 4);
	ck_assert_int_eq(dev.reads, 0);
	ck_assert_uint_eq(GPR(RIP), CODE + 2 + 4 + 3 + 4);
	ck_assert_uint_eq(GPR(RAX), 0x1122334455667788ULL);	/* untouched */
}
END_TEST

START_TEST(test_emul_mov_load_32_zero_extends_8_and_16_merge)
{
	dev_put(0, 0x8899AABBCCDDEEFFULL, 8);
	GPR(RAX) = UINT64_MAX;
	OK(0x8B, 0x03);					/* mov eax, [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0xCCDDEEFF);
	GPR(RAX) = UINT64_MAX;
	OK(0x8A, 0x03);					/* mov al, [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0xFFFFFFFFFFFFFFFFULL);
	GPR(RAX) = 0x1111111111111111ULL;
	OK(0x8A, 0x03);
	ck_assert_uint_eq(GPR(RAX), 0x11111111111111FFULL);
	OK(0x66, 0x8B, 0x03);				/* mov ax, [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0x111111111111EEFFULL);
	OK(0x48, 0x8B, 0x03);				/* mov rax, [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0x8899AABBCCDDEEFFULL);
	ck_assert_int_eq(dev.reads, 5);
}
END_TEST

START_TEST(test_emul_mov_high_byte_registers)
{
	dev_put(0, 0x5A, 1);
	GPR(RAX) = 0x1111111111111111ULL;
	OK(0x8A, 0x23);					/* mov ah, [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0x1111111111115A11ULL);
	GPR(RDX) = 0xA5C3;
	GPR(RBX) = MMIO;
	OK(0x88, 0x73, 0x04);				/* mov [rbx+4], dh */
	ck_assert_uint_eq(dev_get(4, 1), 0xA5);
	GPR(RCX) = 0;
	OK(0x8A, 0x6B, 0x04);				/* mov ch, [rbx+4] */
	ck_assert_uint_eq(GPR(RCX), 0xA500);
}
END_TEST

/* With REX, encodings 4-7 are SPL..DIL and R8B..R15B, not AH..BH. */
START_TEST(test_emul_mov_rex_registers)
{
	dev_put(0, 0x0102030405060708ULL, 8);
	OK(0x4C, 0x8B, 0x0B);				/* mov r9, [rbx] */
	ck_assert_uint_eq(GPR(R9), 0x0102030405060708ULL);
	GPR(RSI) = 0xFFFF;
	OK(0x40, 0x8A, 0x33);				/* mov sil, [rbx] */
	ck_assert_uint_eq(GPR(RSI), 0xFF08);
	GPR(R10) = 0;
	OK(0x44, 0x8A, 0x53, 0x01);			/* mov r10b, [rbx+1] */
	ck_assert_uint_eq(GPR(R10), 0x07);
	GPR(R15) = UINT64_MAX;
	OK(0x44, 0x8B, 0x3B);				/* mov r15d, [rbx] */
	ck_assert_uint_eq(GPR(R15), 0x05060708);
	GPR(R12) = MMIO + 0x100;
	GPR(R13) = 4;
	GPR(R14) = 0xCAFEBABE;
	OK(0x47, 0x89, 0x74, 0xAC, 0x10);	/* mov [r12+r13*4+16], r14d */
	ck_assert_uint_eq(dev.last_off, 0x120);
	ck_assert_uint_eq(dev_get(0x120, 4), 0xCAFEBABE);
}
END_TEST

START_TEST(test_emul_mov_immediates)
{
	OK(0xC6, 0x03, 0xAB);				/* mov byte [rbx], 0xab */
	ck_assert_uint_eq(dev_get(0, 8), 0xAB);
	ck_assert_uint_eq(dev.last_size, 1);
	OK(0x66, 0xC7, 0x43, 0x08, 0xEF, 0xBE);	/* mov word [rbx+8], 0xbeef */
	ck_assert_uint_eq(dev_get(8, 8), 0xBEEF);
	OK(0xC7, 0x43, 0x10, 0x78, 0x56, 0x34, 0x92); /* dword 0x92345678 */
	ck_assert_uint_eq(dev_get(16, 8), 0x92345678);
	/* mov qword [rbx+24], -2: the imm32 is sign-extended to 64 bits. */
	OK(0x48, 0xC7, 0x43, 0x18, 0xFE, 0xFF, 0xFF, 0xFF);
	ck_assert_uint_eq(dev_get(24, 8), 0xFFFFFFFFFFFFFFFEULL);
	ck_assert_uint_eq(dev.last_size, 8);
	ck_assert_uint_eq(GPR(RIP), CODE + 3 + 6 + 7 + 8);
}
END_TEST

START_TEST(test_emul_movzx_movsx_movsxd)
{
	dev_put(0, 0x80, 1);
	dev_put(2, 0x8001, 2);
	dev_put(4, 0x80000001, 4);
	GPR(RCX) = UINT64_MAX;
	OK(0x0F, 0xB6, 0x0B);				/* movzx ecx, byte [rbx] */
	ck_assert_uint_eq(GPR(RCX), 0x80);
	GPR(RCX) = UINT64_MAX;
	OK(0x48, 0x0F, 0xB7, 0x4B, 0x02);		/* movzx rcx, word [rbx+2] */
	ck_assert_uint_eq(GPR(RCX), 0x8001);
	GPR(RAX) = UINT64_MAX;
	OK(0x0F, 0xBE, 0x03);				/* movsx eax, byte [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0xFFFFFF80);
	OK(0x48, 0x0F, 0xBF, 0x43, 0x02);		/* movsx rax, word [rbx+2] */
	ck_assert_uint_eq(GPR(RAX), 0xFFFFFFFFFFFF8001ULL);
	GPR(RAX) = 0x1234567800000000ULL;
	OK(0x66, 0x0F, 0xBE, 0x03);			/* movsx ax, byte [rbx] */
	ck_assert_uint_eq(GPR(RAX), 0x123456780000FF80ULL);
	OK(0x48, 0x63, 0x43, 0x04);			/* movsxd rax, [rbx+4] */
	ck_assert_uint_eq(GPR(RAX), 0xFFFFFFFF80000001ULL);
	dev_put(1, 0x7F, 1);
	OK(0x48, 0x0F, 0xBE, 0x43, 0x01);		/* movsx rax, byte +1 */
	ck_assert_uint_eq(GPR(RAX), 0x7F);
}
END_TEST

START_TEST(test_emul_mov_moffs_and_rip_relative)
{
	dev_put(0x10, 0x31415926, 4);
	/* mov eax, [0xF0000010] with a 64-bit moffs. */
	OK(0xA1, 0x10, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00);
	ck_assert_uint_eq(GPR(RAX), 0x31415926);
	/* mov edx, [rip+disp32] reaching VA_ALIAS+0x10 from CODE+9+6. */
	{
		uint64_t next = GPR(RIP) + 6;
		uint32_t disp = (uint32_t)(VA_ALIAS + 0x10 - next);

		OK(0x8B, 0x15, disp & 0xFF, (disp >> 8) & 0xFF,
		    (disp >> 16) & 0xFF, disp >> 24);
	}
	ck_assert_uint_eq(GPR(RDX), 0x31415926);
	ck_assert_uint_eq(dev.last_off, 0x10);
}
END_TEST

/* FS and GS keep their base in 64-bit mode; DS's is ignored. */
START_TEST(test_emul_segment_bases_in_64bit_mode)
{
	ve.vrs.vrs_sregs[VCPU_REGS_DS].vsi_base = 0x1000;
	ve.vrs.vrs_sregs[VCPU_REGS_GS].vsi_base = 0x100;
	GPR(RAX) = 0x77;
	OK(0x88, 0x03);					/* mov [rbx], al */
	ck_assert_uint_eq(dev.last_off, 0);
	OK(0x65, 0x88, 0x03);				/* mov gs:[rbx], al */
	ck_assert_uint_eq(dev.last_off, 0x100);
}
END_TEST

START_TEST(test_emul_pm32_operand_sizes_and_segment_base)
{
	mode_pm32();
	ve.vrs.vrs_sregs[VCPU_REGS_DS].vsi_base = 0x20;
	GPR(RBX) = MMIO;
	GPR(RAX) = 0xDDCCBBAA;
	OK(0x66, 0x89, 0x03);				/* mov [ebx], ax */
	ck_assert_uint_eq(dev.last_off, 0x20);
	ck_assert_uint_eq(dev.last_size, 2);
	ck_assert_uint_eq(dev_get(0x20, 4), 0xBBAA);
	dev_put(0x24, 0x01020304, 4);
	OK(0x8B, 0x4B, 0x04);				/* mov ecx, [ebx+4] */
	ck_assert_uint_eq(GPR(RCX), 0x01020304);
	ck_assert_uint_eq(GPR(RIP), CODE + 6);
	/* 32-bit linear addresses wrap. */
	GPR(RBX) = 0xFFFFFFF0;
	ve.vrs.vrs_sregs[VCPU_REGS_DS].vsi_base = MMIO + 0x40;
	OK(0x8B, 0x0B);					/* mov ecx, [ebx] */
	ck_assert_uint_eq(dev.last_off, 0x30);
}
END_TEST

START_TEST(test_emul_real_mode_16bit_addressing)
{
	mode_real();
	ve.vrs.vrs_sregs[VCPU_REGS_DS].vsi_base = MMIO;	/* big real mode */
	ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_base = 0x7000;
	GPR(RIP) = 0x1000;				/* linear 0x8000 */
	GPR(RBX) = 0x10;
	GPR(RSI) = 0x20;
	GPR(RAX) = 0x1234;
	OK(0x89, 0x40, 0x04);				/* mov [bx+si+4], ax */
	ck_assert_uint_eq(dev.last_off, 0x34);
	ck_assert_uint_eq(dev.last_size, 2);
	ck_assert_uint_eq(dev_get(0x34, 2), 0x1234);
	ck_assert_uint_eq(GPR(RIP), 0x1003);
	/* 16-bit effective addresses wrap at 64 KiB. */
	GPR(RBX) = 0xFFFF;
	GPR(RSI) = 0x2;
	OK(0x8B, 0x08);					/* mov cx, [bx+si] */
	ck_assert_uint_eq(dev.last_off, 0x1);
	/* 66 67: a 32-bit access through a 32-bit address. */
	GPR(RBX) = 0x40;
	GPR(RAX) = 0xA1B2C3D4;
	OK(0x66, 0x67, 0x89, 0x03);			/* mov [ebx], eax */
	ck_assert_uint_eq(dev.last_off, 0x40);
	ck_assert_uint_eq(dev_get(0x40, 4), 0xA1B2C3D4);
	ck_assert_uint_eq(GPR(RIP), 0x1009);
}
END_TEST

/* --- read-modify-write and flags ---------------------------------------- */

START_TEST(test_emul_or_and_xor_read_modify_write)
{
	dev_put(0, 0x00000F0F, 4);
	OK(0x81, 0x0B, 0x00, 0x00, 0x00, 0x80);	/* or dword [rbx], 1<<31 */
	ck_assert_uint_eq(dev_get(0, 4), 0x80000F0F);
	ck_assert_int_eq(dev.reads, 1);
	ck_assert_int_eq(dev.writes, 1);
	ck_assert_uint_eq(GPR(RFLAGS) & (RFLAGS_SF | RFLAGS_ZF | RFLAGS_CF |
	    RFLAGS_OF), RFLAGS_SF);
	OK(0x83, 0x23, 0xF0);			/* and dword [rbx], -16 */
	ck_assert_uint_eq(dev_get(0, 4), 0x80000F00);
	GPR(RAX) = 0x00;
	OK(0x30, 0x03);					/* xor [rbx], al */
	ck_assert_uint_eq(dev_get(0, 4), 0x80000F00);
	ck_assert_uint_eq(GPR(RFLAGS) & (RFLAGS_ZF | RFLAGS_PF),
	    RFLAGS_ZF | RFLAGS_PF);
}
END_TEST

START_TEST(test_emul_test_and_cmp_set_flags_without_writing)
{
	dev_put(0, 0x80, 1);
	GPR(RFLAGS) = 0x2 | RFLAGS_ZF;
	OK(0xF6, 0x03, 0x80);				/* test byte [rbx], 0x80 */
	ck_assert_uint_eq(GPR(RFLAGS), 0x2 | RFLAGS_SF);
	OK(0xF6, 0x03, 0x01);				/* test byte [rbx], 1 */
	ck_assert_uint_eq(GPR(RFLAGS), 0x2 | RFLAGS_ZF | RFLAGS_PF);
	GPR(RAX) = 0x81;
	OK(0x39, 0x03);					/* cmp [rbx], eax */
	ck_assert_uint_eq(GPR(RFLAGS) & RFLAGS_CF, RFLAGS_CF);	/* 0x80 < 0x81 */
	ck_assert_uint_eq(GPR(RFLAGS) & RFLAGS_SF, RFLAGS_SF);
	ck_assert_uint_eq(GPR(RFLAGS) & RFLAGS_ZF, 0);
	ck_assert_int_eq(dev.writes, 0);
	ck_assert_uint_eq(dev_get(0, 4), 0x80);
}
END_TEST

START_TEST(test_emul_add_sub_carry_overflow_and_adjust)
{
	dev_put(0, 0x7FFFFFFF, 4);
	GPR(RAX) = 1;
	OK(0x01, 0x03);					/* add [rbx], eax */
	ck_assert_uint_eq(dev_get(0, 4), 0x80000000);
	ck_assert_uint_eq(GPR(RFLAGS) & (RFLAGS_OF | RFLAGS_SF | RFLAGS_CF |
	    RFLAGS_AF | RFLAGS_ZF), RFLAGS_OF | RFLAGS_SF | RFLAGS_AF);
	dev_put(0, 0xFF, 1);
	OK(0x00, 0x03);					/* add [rbx], al */
	ck_assert_uint_eq(dev_get(0, 1), 0x00);
	ck_assert_uint_eq(GPR(RFLAGS) & (RFLAGS_CF | RFLAGS_ZF | RFLAGS_OF),
	    RFLAGS_CF | RFLAGS_ZF);
	dev_put(8, 5, 8);
	GPR(RCX) = UINT64_MAX;
	OK(0x48, 0x2B, 0x4B, 0x08);			/* sub rcx, [rbx+8] */
	ck_assert_uint_eq(GPR(RCX), 0xFFFFFFFFFFFFFFFAULL);
	ck_assert_uint_eq(GPR(RFLAGS) & (RFLAGS_CF | RFLAGS_SF | RFLAGS_PF),
	    RFLAGS_SF | RFLAGS_PF);
	ck_assert_uint_eq(dev_get(8, 8), 5);
}
END_TEST

START_TEST(test_emul_xchg_swaps_register_and_device)
{
	dev_put(0, 0x11111111, 4);
	GPR(RAX) = 0xFFFFFFFF22222222ULL;
	OK(0x87, 0x03);					/* xchg [rbx], eax */
	ck_assert_uint_eq(dev_get(0, 4), 0x22222222);
	ck_assert_uint_eq(GPR(RAX), 0x11111111);	/* zero-extended */
}
END_TEST

/* --- strings ------------------------------------------------------------ */

START_TEST(test_emul_stos_single_and_rep)
{
	GPR(RDI) = MMIO + 0x100;
	GPR(RAX) = 0xA5A5A5A5;
	OK(0xAB);					/* stosd */
	ck_assert_uint_eq(dev_get(0x100, 4), 0xA5A5A5A5);
	ck_assert_uint_eq(GPR(RDI), MMIO + 0x104);
	ck_assert_uint_eq(GPR(RIP), CODE + 1);
	GPR(RCX) = 4;
	GPR(RAX) = 0x5A;
	OK(0xF3, 0xAA);					/* rep stosb */
	ck_assert_uint_eq(dev_get(0x104, 4), 0x5A5A5A5A);
	ck_assert_uint_eq(dev_get(0x108, 1), 0);
	ck_assert_uint_eq(GPR(RCX), 0);
	ck_assert_uint_eq(GPR(RDI), MMIO + 0x108);
	ck_assert_uint_eq(GPR(RIP), CODE + 3);
	ck_assert_int_eq(dev.writes, 5);
}
END_TEST

START_TEST(test_emul_rep_movs_from_device_to_ram)
{
	uint8_t buf[8];

	dev_put(0x200, 0x0807060504030201ULL, 8);
	GPR(RSI) = MMIO + 0x200;
	GPR(RDI) = 0x9000;
	GPR(RCX) = 2;
	OK(0xF3, 0xA5);					/* rep movsd */
	ck_assert_int_eq(guestmem_read(&gm, 0x9000, buf, 8), 0);
	ck_assert_uint_eq(buf[0], 1);
	ck_assert_uint_eq(buf[7], 8);
	ck_assert_uint_eq(GPR(RSI), MMIO + 0x208);
	ck_assert_uint_eq(GPR(RDI), 0x9008);
	ck_assert_uint_eq(GPR(RCX), 0);
	ck_assert_int_eq(dev.reads, 2);
}
END_TEST

START_TEST(test_emul_movs_and_lods_go_down_with_df)
{
	put64(0x9000, 0x4433221100000000ULL);
	GPR(RFLAGS) = 0x2 | RFLAGS_DF;
	GPR(RSI) = 0x9004;
	GPR(RDI) = MMIO + 0x10;
	OK(0x66, 0xA5);					/* movsw */
	ck_assert_uint_eq(dev_get(0x10, 2), 0x2211);
	ck_assert_uint_eq(GPR(RSI), 0x9002);
	ck_assert_uint_eq(GPR(RDI), MMIO + 0x0E);
	GPR(RSI) = MMIO + 0x10;
	GPR(RAX) = 0xFFFF0000;
	OK(0x66, 0xAD);					/* lodsw */
	ck_assert_uint_eq(GPR(RAX), 0xFFFF2211);
	ck_assert_uint_eq(GPR(RSI), MMIO + 0x0E);
}
END_TEST

/* 32-bit addresses in 64-bit mode: ESI, EDI, ECX, zero-extended. */
START_TEST(test_emul_string_with_32bit_address_size)
{
	GPR(RDI) = 0xFFFFFFFF00000000ULL | (MMIO + 0x300);
	GPR(RCX) = 0xFFFFFFFF00000002ULL;
	GPR(RAX) = 0x42;
	OK(0x67, 0xF3, 0xAA);				/* rep stosb [edi] */
	ck_assert_uint_eq(dev_get(0x300, 2), 0x4242);
	ck_assert_uint_eq(GPR(RDI), MMIO + 0x302);
	ck_assert_uint_eq(GPR(RCX), 0);
}
END_TEST

/* A long REP does a batch per exit and leaves RIP for the rest. */
START_TEST(test_emul_long_rep_is_done_in_batches)
{
	uint64_t n = 5000;

	GPR(RDI) = MMIO;
	GPR(RSI) = 0x100000;
	GPR(RCX) = n;
	ck_assert_int_eq(RUN(0xF3, 0xA4), 0);		/* rep movsb */
	ck_assert_uint_gt(GPR(RCX), 0);
	ck_assert_uint_lt(GPR(RCX), n);
	ck_assert_uint_eq(GPR(RIP), CODE);
	ck_assert_uint_eq(GPR(RDI), MMIO + (n - GPR(RCX)));
	ck_assert_int_eq(RUN(0xF3, 0xA4), 0);
	ck_assert_uint_eq(GPR(RCX), 0);
	ck_assert_uint_eq(GPR(RIP), CODE + 2);
	ck_assert_int_eq(dev.writes, (int)n);
}
END_TEST

/*
 * A fault after the first iteration ends the batch: the iterations done
 * stand, RIP stays, and the guest re-executes into the fault itself.
 */
START_TEST(test_emul_rep_stops_before_a_later_fault)
{
	snprintf(err, sizeof(err), "stale");
	GPR(RFLAGS) = 0x2 | RFLAGS_DF;
	GPR(RDI) = VA_ALIAS + 1;		/* down into VA_HOLE's page */
	GPR(RCX) = 5;
	GPR(RAX) = 0xEE;
	OK(0xF3, 0xAA);					/* rep stosb */
	ck_assert_int_eq(dev.writes, 2);
	ck_assert_uint_eq(dev_get(0, 2), 0xEEEE);
	ck_assert_uint_eq(GPR(RCX), 3);
	ck_assert_uint_eq(GPR(RDI), VA_ALIAS - 1);
	ck_assert_uint_eq(GPR(RIP), CODE);
	ck_assert_str_eq(err, "");
}
END_TEST

/* --- refusals ----------------------------------------------------------- */

START_TEST(test_emul_refuses_unknown_instructions_by_name)
{
	struct vm_exit before;

	GPR(RAX) = 0x1234;
	before = ve;
	ck_assert_int_eq(RUN(0xFF, 0x03), EOPNOTSUPP);	/* inc dword [rbx] */
	ck_assert_ptr_nonnull(strstr(err, "inc"));
	ck_assert_uint_eq(GPR(RIP), CODE);
	ck_assert_int_eq(memcmp(&before.vrs, &ve.vrs, sizeof(ve.vrs)), 0);
	/* movdqa xmm0, [rbx]: not a general register. */
	ck_assert_int_eq(RUN(0x66, 0x0F, 0x6F, 0x03), EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(err, "movdqa"));
	/* movsd xmm0, [rbx] is not the string move. */
	ck_assert_int_eq(RUN(0xF2, 0x0F, 0x10, 0x03), EOPNOTSUPP);
	/* mov [rbx], ds: a segment register. */
	ck_assert_int_eq(RUN(0x8C, 0x1B), EOPNOTSUPP);
	ck_assert_int_eq(dev.reads + dev.writes, 0);
}
END_TEST

START_TEST(test_emul_refuses_bad_bytes_and_wrong_length)
{
	ck_assert_int_eq(RUN(0x06), EINVAL);		/* push es: not in 64 */
	ck_assert_ptr_nonnull(strstr(err, "cannot decode"));
	ck_assert_ptr_nonnull(strstr(err, "06"));
	ck_assert_int_eq(guestmem_write(&gm, CODE, "\x8b\x03", 2), 0);
	ve.vee.vee_insn_info = VEE_LEN_VALID;
	ve.vee.vee_insn_len = 3;
	ck_assert_int_eq(mmio_emulate(&tab, &gm, &ve, err), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "exit says 3"));
	ve.vee.vee_insn_len = 0;
	ck_assert_int_eq(mmio_emulate(&tab, &gm, &ve, NULL), EINVAL);
	ck_assert_int_eq(dev.reads, 0);
	ck_assert_uint_eq(GPR(RIP), CODE);
}
END_TEST

START_TEST(test_emul_refuses_an_access_that_reaches_no_mmio)
{
	GPR(RBX) = 0x9000;				/* RAM */
	put64(0x9000, 0x55);
	ck_assert_int_eq(RUN(0x8B, 0x03), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no MMIO"));
	ck_assert_uint_eq(GPR(RAX), 0);
}
END_TEST

START_TEST(test_emul_operand_translation_failure_is_efault)
{
	GPR(RBX) = VA_HOLE + 0x10;
	ck_assert_int_eq(RUN(0x8B, 0x03), EFAULT);
	ck_assert_ptr_nonnull(strstr(err, "cannot translate"));
	/* A user-mode store to a supervisor page faults too. */
	ve.vrs.vrs_sregs[VCPU_REGS_SS].vsi_ar |= 3 << 5;
	GPR(RBX) = VA_SUPER;
	ck_assert_int_eq(RUN(0x89, 0x03), EFAULT);
}
END_TEST

START_TEST(test_emul_access_across_pages)
{
	/* VA_ALIAS's second page maps the device's next 4 KiB: one access. */
	GPR(RBX) = VA_ALIAS + 0xFFE;
	GPR(RAX) = 0x44332211;
	OK(0x89, 0x03);
	ck_assert_uint_eq(dev.last_off, 0xFFE);
	ck_assert_uint_eq(dev_get(0xFFE, 4), 0x44332211);
	/* Pages mapped apart cannot be one device access. */
	GPR(RBX) = VA_APART - 2;
	ck_assert_int_eq(RUN(0x89, 0x03), EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(err, "crosses"));
}
END_TEST

/* --- end to end: a guest, the monitor, the run loop --------------------- */

struct out {
	char	buf[256];
	size_t	n;
};

static void
console(void *arg, uint8_t b)
{
	struct out *o = arg;

	if (o->n < sizeof(o->buf) - 1)
		o->buf[o->n++] = (char)b;
}

struct guest {
	struct guestmem		 gm;
	struct vmrun		*r;
	int			 fd;
	uint32_t		 id;
};

static const int vendors[] = { VMMSIM_OPEN_INTEL, VMMSIM_OPEN_AMD };

static void
guest_start(struct guest *g, int vendor, const char *file, int with_mem,
    struct out *o)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vmrun_params p;
	struct vcpu_reg_state *s;
	uint8_t code[4096];
	char path[512];
	size_t n, i;
	FILE *fp;
	int error;

	snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, file);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	n = fread(code, 1, sizeof(code), fp);
	fclose(fp);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(guestmem_alloc(&g->gm, 32ULL << 20), 0);
	ck_assert_int_eq(guestmem_write(&g->gm, 0x7C00, code, n), 0);

	g->fd = vmmsim_open(vendor);
	ck_assert_int_ge(g->fd, 0);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = g->gm.nranges;
	/* guestmem_alloc() reserved an address for the MMIO range too. */
	for (i = 0; i < g->gm.nranges; i++)
		vcp.vcp_memranges[i] = g->gm.ranges[i];
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "mmio");
	ck_assert_int_eq(vmmsim_ioctl(g->fd, VMM_IOC_CREATE, &vcp), 0);
	g->id = vcp.vcp_id;
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = g->id;
	s = &vrs.vrp_init_state;
	s->vrs_gprs[VCPU_REGS_RIP] = 0x7C00;
	s->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	s->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	s->vrs_crs[VCPU_REGS_XCR0] = 1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		s->vrs_sregs[i].vsi_limit = 0xFFFF;
		s->vrs_sregs[i].vsi_ar = 0x93;
	}
	s->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x9B;
	s->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	s->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	s->vrs_gdtr.vsi_limit = 0xFFFF;
	s->vrs_idtr.vsi_limit = 0x3FF;
	s->vrs_drs[VCPU_REGS_DR7] = 0x400;
	ck_assert_int_eq(vmmsim_ioctl(g->fd, VMM_IOC_RESETCPU, &vrs), 0);

	memset(&p, 0, sizeof(p));
	p.fd = g->fd;
	p.vm_id = g->id;
	p.ram_bytes = guestmem_ram_bytes(&g->gm);
	p.rtc_start = 1767225600;
	p.console = console;
	p.console_arg = o;
	p.mem = with_mem ? &g->gm : NULL;
	g->r = vmrun_create(&p, &error);
	ck_assert_msg(g->r != NULL, "vmrun_create: %d", error);
}

static void
guest_end(struct guest *g)
{
	struct vm_terminate_params vtp;

	vmrun_destroy(g->r);
	vtp.vtp_vm_id = g->id;
	ck_assert_int_eq(vmmsim_ioctl(g->fd, VMM_IOC_TERM, &vtp), 0);
	vmmsim_close(g->fd);
	guestmem_free(&g->gm);
}

START_TEST(test_guest_drives_a_device_at_f0000000)
{
	struct guest g;
	struct out o;
	struct vmrun_result res;
	struct regfile *d;
	int error;

	memset(&o, 0, sizeof(o));
	guest_start(&g, vendors[_i], "mmio_guest.bin", 1, &o);
	d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mmio_register(vmrun_mmio(g.r), MMIO, 0x1000,
	    regfile_fn, d), 0);
	error = vmrun_loop(g.r, &res);
	ck_assert_msg(error == 0, "vmrun_loop: %s: %s", strerror(error),
	    vmrun_error(g.r));
	ck_assert_str_eq(o.buf, "pm32 mmio ok\nlm64 mmio ok\n");
	ck_assert_int_eq(res.status, 1);
	/* What the guest left in the device. */
	ck_assert_uint_eq(*(uint32_t *)d->mem, 0x92345678);
	ck_assert_uint_eq(*(uint64_t *)(d->mem + 0x20), 0x1122334455667788ULL);
	ck_assert_uint_eq(*(uint32_t *)(d->mem + 0x40), 0xCAFE);
	ck_assert_uint_eq(*(uint32_t *)(d->mem + 0x10C), 0xA5A5A5A5);
	/* Each access once: 10 stores (4 by REP STOSD), 20 loads. */
	ck_assert_int_eq(d->writes, 10);
	ck_assert_int_eq(d->reads, 20);
	guest_end(&g);
	free(d);
}
END_TEST

/* Without the guest's memory the run loop cannot emulate: a clear error. */
START_TEST(test_guest_mmio_without_memory_is_refused)
{
	struct guest g;
	struct out o;
	struct vmrun_result res;

	memset(&o, 0, sizeof(o));
	guest_start(&g, vendors[_i], "mmio_guest.bin", 0, &o);
	ck_assert_int_eq(vmrun_loop(g.r, &res), EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(vmrun_error(g.r), "no guest memory"));
	ck_assert_str_eq(o.buf, "");
	guest_end(&g);
}
END_TEST

/* No device registered: every read is all ones, so the first check fails. */
START_TEST(test_guest_sees_all_ones_without_a_device)
{
	struct guest g;
	struct out o;
	struct vmrun_result res;
	int error;

	memset(&o, 0, sizeof(o));
	guest_start(&g, vendors[_i], "mmio_guest.bin", 1, &o);
	error = vmrun_loop(g.r, &res);
	ck_assert_msg(error == 0, "vmrun_loop: %s: %s", strerror(error),
	    vmrun_error(g.r));
	ck_assert_str_eq(o.buf, "mmio check failed\n");
	ck_assert_int_eq(res.status, (1 << 1) | 1);		/* check 1 */
	guest_end(&g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mmio");
	TCase *tt = tcase_create("table");
	TCase *tw = tcase_create("walk");
	TCase *te = tcase_create("emulate");
	TCase *tg = tcase_create("guest");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, test_table_lookup_finds_the_region_by_binary_search);
	tcase_add_test(tt, test_table_rejects_overlap_with_eexist);
	tcase_add_test(tt, test_table_unregister_lets_a_bar_move);
	tcase_add_test(tt, test_table_grows_past_its_first_allocation);
	tcase_add_test(tt,
	    test_table_unclaimed_reads_all_ones_and_drops_writes);
	suite_add_tcase(s, tt);

	tcase_add_checked_fixture(tw, setup, teardown);
	tcase_add_test(tw, test_walk_paging_off_is_identity_in_32_bits);
	tcase_add_test(tw, test_walk_32bit_paging_4k_4m_pse36_and_not_present);
	tcase_add_test(tw, test_walk_pae_4k_2m_and_not_present_pdpte);
	tcase_add_test(tw, test_walk_long_mode_4k_2m_1g);
	tcase_add_test(tw, test_walk_sets_accessed_and_dirty_bits);
	tcase_add_test(tw, test_walk_checks_user_write_and_nx_rights);
	tcase_add_test(tw, test_fetch_crosses_into_a_page_mapped_elsewhere);
	tcase_add_test(tw, test_fetch_of_an_unmapped_page_fails_cleanly);
	tcase_add_test(tw, test_fetch_uses_the_bytes_the_exit_carries);
	suite_add_tcase(s, tw);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_emul_mov_store_each_size);
	tcase_add_test(te, test_emul_mov_load_32_zero_extends_8_and_16_merge);
	tcase_add_test(te, test_emul_mov_high_byte_registers);
	tcase_add_test(te, test_emul_mov_rex_registers);
	tcase_add_test(te, test_emul_mov_immediates);
	tcase_add_test(te, test_emul_movzx_movsx_movsxd);
	tcase_add_test(te, test_emul_mov_moffs_and_rip_relative);
	tcase_add_test(te, test_emul_segment_bases_in_64bit_mode);
	tcase_add_test(te, test_emul_pm32_operand_sizes_and_segment_base);
	tcase_add_test(te, test_emul_real_mode_16bit_addressing);
	tcase_add_test(te, test_emul_or_and_xor_read_modify_write);
	tcase_add_test(te, test_emul_test_and_cmp_set_flags_without_writing);
	tcase_add_test(te, test_emul_add_sub_carry_overflow_and_adjust);
	tcase_add_test(te, test_emul_xchg_swaps_register_and_device);
	tcase_add_test(te, test_emul_stos_single_and_rep);
	tcase_add_test(te, test_emul_rep_movs_from_device_to_ram);
	tcase_add_test(te, test_emul_movs_and_lods_go_down_with_df);
	tcase_add_test(te, test_emul_string_with_32bit_address_size);
	tcase_add_test(te, test_emul_long_rep_is_done_in_batches);
	tcase_add_test(te, test_emul_rep_stops_before_a_later_fault);
	tcase_add_test(te, test_emul_refuses_unknown_instructions_by_name);
	tcase_add_test(te, test_emul_refuses_bad_bytes_and_wrong_length);
	tcase_add_test(te, test_emul_refuses_an_access_that_reaches_no_mmio);
	tcase_add_test(te, test_emul_operand_translation_failure_is_efault);
	tcase_add_test(te, test_emul_access_across_pages);
	suite_add_tcase(s, te);

	tcase_set_timeout(tg, 60);
	/* Once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tg, test_guest_drives_a_device_at_f0000000, 0, 2);
	tcase_add_loop_test(tg, test_guest_mmio_without_memory_is_refused, 0, 2);
	tcase_add_loop_test(tg, test_guest_sees_all_ones_without_a_device, 0, 2);
	suite_add_tcase(s, tg);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
