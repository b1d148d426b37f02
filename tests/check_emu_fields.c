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
 * The VMCS field table (src/emu/vmcs_fields.c): encodings against the
 * SDM's numbers written out here, the table's internal consistency, the
 * VMREAD/VMWRITE lookup, field access on a VMCS region, and the
 * VM-instruction error and exit-reason name tables.
 */

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "emu/vmcs_fields.h"

/* The encoding layout, restated from SDM Vol. 3C §25.11.2. */
#define SDM_ACCESS_HIGH		0x1U
#define SDM_WIDTH(e)		(((e) >> 13) & 0x3U)
#define SDM_TYPE(e)		(((e) >> 10) & 0x3U)
#define SDM_RESERVED		0xFFFF9000U

#define TEST_PAGE_SIZE		4096

struct sdm_encoding {
	uint32_t	 value;		/* the header's constant */
	uint32_t	 sdm;		/* the number in SDM Appendix B */
	const char	*name;
};

#define E(n, v)		{ VMCS_##n, (v), "VMCS_" #n }

/* SDM Vol. 3D Appendix B, Tables B-1 to B-14, copied by hand. */
static const struct sdm_encoding sdm_sample[] = {
	E(GUEST_VPID, 0x00000000),
	E(POSTED_INT_NOTIF_VECTOR, 0x00000002),
	E(EPTP_INDEX, 0x00000004),
	E(HLAT_PREFIX_SIZE, 0x00000006),
	E(LAST_PID_POINTER_INDEX, 0x00000008),
	E(GUEST_IA32_ES_SEL, 0x00000800),
	E(GUEST_IA32_TR_SEL, 0x0000080E),
	E(GUEST_INTERRUPT_STATUS, 0x00000810),
	E(GUEST_PML_INDEX, 0x00000812),
	E(GUEST_UINV, 0x00000814),
	E(HOST_IA32_ES_SEL, 0x00000C00),
	E(HOST_IA32_TR_SEL, 0x00000C0C),
	E(IO_BITMAP_A, 0x00002000),
	E(IO_BITMAP_B, 0x00002002),
	E(MSR_BITMAP_ADDRESS, 0x00002004),
	E(EXIT_STORE_MSR_ADDRESS, 0x00002006),
	E(EXIT_LOAD_MSR_ADDRESS, 0x00002008),
	E(ENTRY_LOAD_MSR_ADDRESS, 0x0000200A),
	E(EXECUTIVE_VMCS_POINTER, 0x0000200C),
	E(PML_ADDRESS, 0x0000200E),
	E(TSC_OFFSET, 0x00002010),
	E(VIRTUAL_APIC_ADDRESS, 0x00002012),
	E(APIC_ACCESS_ADDRESS, 0x00002014),
	E(POSTED_INTERRUPT_DESC, 0x00002016),
	E(VM_FUNCTION_CONTROLS, 0x00002018),
	E(GUEST_IA32_EPTP, 0x0000201A),
	E(EOI_EXIT_BITMAP_0, 0x0000201C),
	E(EOI_EXIT_BITMAP_3, 0x00002022),
	E(EPTP_LIST_ADDRESS, 0x00002024),
	E(VMREAD_BITMAP_ADDRESS, 0x00002026),
	E(VMWRITE_BITMAP_ADDRESS, 0x00002028),
	E(VIRTUALIZATION_EXC_ADDRESS, 0x0000202A),
	E(XSS_EXITING_BITMAP, 0x0000202C),
	E(ENCLS_EXITING_BITMAP, 0x0000202E),
	E(SPP_TABLE_POINTER, 0x00002030),
	E(TSC_MULTIPLIER, 0x00002032),
	E(PROCBASED3_CTLS, 0x00002034),
	E(ENCLV_EXITING_BITMAP, 0x00002036),
	E(LOW_PASID_DIR_ADDRESS, 0x00002038),
	E(HIGH_PASID_DIR_ADDRESS, 0x0000203A),
	E(SHARED_EPTP, 0x0000203C),
	E(PCONFIG_EXITING_BITMAP, 0x0000203E),
	E(HLAT_POINTER, 0x00002040),
	E(PID_POINTER_TABLE_ADDRESS, 0x00002042),
	E(SECONDARY_EXIT_CTLS, 0x00002044),
	E(IA32_SPEC_CTRL_MASK, 0x0000204A),
	E(IA32_SPEC_CTRL_SHADOW, 0x0000204C),
	E(GUEST_PHYSICAL_ADDRESS, 0x00002400),
	E(LINK_POINTER, 0x00002800),
	E(GUEST_IA32_DEBUGCTL, 0x00002802),
	E(GUEST_IA32_PAT, 0x00002804),
	E(GUEST_IA32_EFER, 0x00002806),
	E(GUEST_IA32_PERF_GBL_CTRL, 0x00002808),
	E(GUEST_PDPTE0, 0x0000280A),
	E(GUEST_PDPTE3, 0x00002810),
	E(GUEST_IA32_BNDCFGS, 0x00002812),
	E(GUEST_IA32_RTIT_CTL, 0x00002814),
	E(GUEST_IA32_LBR_CTL, 0x00002816),
	E(GUEST_IA32_PKRS, 0x00002818),
	E(HOST_IA32_PAT, 0x00002C00),
	E(HOST_IA32_EFER, 0x00002C02),
	E(HOST_IA32_PERF_GBL_CTRL, 0x00002C04),
	E(HOST_IA32_PKRS, 0x00002C06),
	E(PINBASED_CTLS, 0x00004000),
	E(PROCBASED_CTLS, 0x00004002),
	E(EXCEPTION_BITMAP, 0x00004004),
	E(CR3_TARGET_COUNT, 0x0000400A),
	E(EXIT_CTLS, 0x0000400C),
	E(ENTRY_CTLS, 0x00004012),
	E(ENTRY_INTERRUPTION_INFO, 0x00004016),
	E(TPR_THRESHOLD, 0x0000401C),
	E(PROCBASED2_CTLS, 0x0000401E),
	E(PLE_GAP, 0x00004020),
	E(PLE_WINDOW, 0x00004022),
	E(INSTRUCTION_TIMEOUT_CTL, 0x00004024),
	E(INSTRUCTION_ERROR, 0x00004400),
	E(EXIT_REASON, 0x00004402),
	E(EXIT_INTERRUPTION_INFO, 0x00004404),
	E(EXIT_INTERRUPTION_ERR_CODE, 0x00004406),
	E(IDT_VECTORING_INFO, 0x00004408),
	E(IDT_VECTORING_ERROR_CODE, 0x0000440A),
	E(INSTRUCTION_LENGTH, 0x0000440C),
	E(EXIT_INSTRUCTION_INFO, 0x0000440E),
	E(GUEST_IA32_ES_LIMIT, 0x00004800),
	E(GUEST_IA32_IDTR_LIMIT, 0x00004812),
	E(GUEST_IA32_ES_AR, 0x00004814),
	E(GUEST_IA32_TR_AR, 0x00004822),
	E(GUEST_INTERRUPTIBILITY_ST, 0x00004824),
	E(GUEST_ACTIVITY_STATE, 0x00004826),
	E(GUEST_SMBASE, 0x00004828),
	E(GUEST_IA32_SYSENTER_CS, 0x0000482A),
	E(VMX_PREEMPTION_TIMER_VAL, 0x0000482E),
	E(HOST_IA32_SYSENTER_CS, 0x00004C00),
	E(CR0_MASK, 0x00006000),
	E(CR4_MASK, 0x00006002),
	E(CR0_READ_SHADOW, 0x00006004),
	E(CR4_READ_SHADOW, 0x00006006),
	E(CR3_TARGET_0, 0x00006008),
	E(CR3_TARGET_3, 0x0000600E),
	E(GUEST_EXIT_QUALIFICATION, 0x00006400),
	E(IO_RCX, 0x00006402),
	E(IO_RSI, 0x00006404),
	E(IO_RDI, 0x00006406),
	E(IO_RIP, 0x00006408),
	E(GUEST_LINEAR_ADDRESS, 0x0000640A),
	E(GUEST_IA32_CR0, 0x00006800),
	E(GUEST_IA32_CR3, 0x00006802),
	E(GUEST_IA32_CR4, 0x00006804),
	E(GUEST_IA32_ES_BASE, 0x00006806),
	E(GUEST_IA32_GDTR_BASE, 0x00006816),
	E(GUEST_IA32_IDTR_BASE, 0x00006818),
	E(GUEST_IA32_DR7, 0x0000681A),
	E(GUEST_IA32_RSP, 0x0000681C),
	E(GUEST_IA32_RIP, 0x0000681E),
	E(GUEST_IA32_RFLAGS, 0x00006820),
	E(GUEST_PENDING_DBG_EXC, 0x00006822),
	E(GUEST_IA32_SYSENTER_ESP, 0x00006824),
	E(GUEST_IA32_SYSENTER_EIP, 0x00006826),
	E(GUEST_IA32_S_CET, 0x00006828),
	E(GUEST_IA32_SSP, 0x0000682A),
	E(GUEST_IA32_INTR_SSP_TABLE_ADDR, 0x0000682C),
	E(HOST_IA32_CR0, 0x00006C00),
	E(HOST_IA32_CR3, 0x00006C02),
	E(HOST_IA32_CR4, 0x00006C04),
	E(HOST_IA32_FS_BASE, 0x00006C06),
	E(HOST_IA32_GS_BASE, 0x00006C08),
	E(HOST_IA32_TR_BASE, 0x00006C0A),
	E(HOST_IA32_GDTR_BASE, 0x00006C0C),
	E(HOST_IA32_IDTR_BASE, 0x00006C0E),
	E(HOST_IA32_SYSENTER_ESP, 0x00006C10),
	E(HOST_IA32_SYSENTER_EIP, 0x00006C12),
	E(HOST_IA32_RSP, 0x00006C14),
	E(HOST_IA32_RIP, 0x00006C16),
	E(HOST_IA32_S_CET, 0x00006C18),
	E(HOST_IA32_SSP, 0x00006C1A),
	E(HOST_IA32_INTR_SSP_TABLE_ADDR, 0x00006C1C),
};

/* High-access encodings, also from Appendix B. */
static const struct sdm_encoding sdm_high_sample[] = {
	E(IO_BITMAP_A_HI, 0x00002001),
	E(MSR_BITMAP_ADDRESS_HI, 0x00002005),
	E(TSC_OFFSET_HI, 0x00002011),
	E(GUEST_IA32_EPTP_HI, 0x0000201B),
	E(EOI_EXIT_BITMAP_3_HI, 0x00002023),
	E(TSC_MULTIPLIER_HI, 0x00002033),
	E(PROCBASED3_CTLS_HI, 0x00002035),
	E(SECONDARY_EXIT_CTLS_HI, 0x00002045),
	E(IA32_SPEC_CTRL_SHADOW_HI, 0x0000204D),
	E(GUEST_PHYSICAL_ADDRESS_HI, 0x00002401),
	E(LINK_POINTER_HI, 0x00002801),
	E(GUEST_IA32_EFER_HI, 0x00002807),
	E(GUEST_PDPTE2_HI, 0x0000280F),
	E(GUEST_IA32_PKRS_HI, 0x00002819),
	E(HOST_IA32_PAT_HI, 0x00002C01),
	E(HOST_IA32_PKRS_HI, 0x00002C07),
};

#undef E

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* A zeroed VMCS region, 8-byte aligned. */
struct test_region {
	uint64_t	q[TEST_PAGE_SIZE / sizeof(uint64_t)];
};

static uint64_t
slot_raw(const struct test_region *r, const struct vmcs_field *f)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)r->q + vmcs_field_offset(f), sizeof(v));
	return v;
}

static const struct vmcs_field *
must_lookup(uint32_t encoding)
{
	const struct vmcs_field *f = vmcs_field_lookup(encoding);

	ck_assert_msg(f != NULL, "no field for 0x%04x", encoding);
	return f;
}

START_TEST(test_fields_sample_encodings_match_sdm)
{
	size_t i;

	ck_assert_uint_ge(nitems(sdm_sample), 40);
	for (i = 0; i < nitems(sdm_sample); i++) {
		const struct sdm_encoding *s = &sdm_sample[i];
		const struct vmcs_field *f;

		ck_assert_msg(s->value == s->sdm, "%s is 0x%04x, SDM 0x%04x",
		    s->name, s->value, s->sdm);
		f = must_lookup(s->sdm);
		ck_assert_str_eq(f->name, s->name);
		ck_assert_uint_eq(f->encoding, s->sdm);
	}
}
END_TEST

START_TEST(test_fields_high_encodings_match_sdm)
{
	size_t i;

	for (i = 0; i < nitems(sdm_high_sample); i++) {
		const struct sdm_encoding *s = &sdm_high_sample[i];

		ck_assert_msg(s->value == s->sdm, "%s is 0x%04x, SDM 0x%04x",
		    s->name, s->value, s->sdm);
	}
}
END_TEST

START_TEST(test_fields_table_size_is_nfields)
{
	/* 16-bit 5+11+7, 64-bit 37+1+13+4, 32-bit 19+8+23+1, nat 8+6+23+15 */
	ck_assert_int_eq(VMCS_NFIELDS, 181);
}
END_TEST

START_TEST(test_fields_width_and_type_agree_with_encoding_bits)
{
	size_t i;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		const struct vmcs_field *f = &vmcs_fields[i];

		ck_assert_msg((unsigned int)f->width == SDM_WIDTH(f->encoding),
		    "%s: width %d", f->name, f->width);
		ck_assert_msg((unsigned int)f->type == SDM_TYPE(f->encoding),
		    "%s: type %d", f->name, f->type);
		ck_assert_int_eq(vmcs_enc_width(f->encoding), f->width);
		ck_assert_int_eq(vmcs_enc_type(f->encoding), f->type);
	}
}
END_TEST

START_TEST(test_fields_encodings_are_full_access_with_no_reserved_bits)
{
	size_t i;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		uint32_t e = vmcs_fields[i].encoding;

		ck_assert_msg((e & (SDM_ACCESS_HIGH | SDM_RESERVED)) == 0,
		    "%s: 0x%x", vmcs_fields[i].name, e);
		ck_assert_uint_eq(vmcs_enc_index(e), (e >> 1) & 0x1FF);
		ck_assert_int_eq(vmcs_enc_is_high(e), 0);
		ck_assert_int_eq(vmcs_enc_is_high(e | SDM_ACCESS_HIGH), 1);
		ck_assert_uint_eq(vmcs_enc_full(e | SDM_ACCESS_HIGH), e);
	}
}
END_TEST

START_TEST(test_fields_slots_are_dense_and_unique)
{
	unsigned char seen[VMCS_NFIELDS];
	size_t i;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < VMCS_NFIELDS; i++) {
		uint16_t s = vmcs_fields[i].slot;

		ck_assert_uint_lt(s, VMCS_NFIELDS);
		ck_assert_msg(!seen[s], "slot %u used twice", s);
		seen[s] = 1;
	}
	for (i = 0; i < VMCS_NFIELDS; i++)
		ck_assert(seen[i]);
}
END_TEST

START_TEST(test_fields_encodings_are_unique)
{
	size_t i, j;

	for (i = 0; i < VMCS_NFIELDS; i++)
		for (j = i + 1; j < VMCS_NFIELDS; j++)
			ck_assert_msg(vmcs_fields[i].encoding !=
			    vmcs_fields[j].encoding, "%s and %s share 0x%04x",
			    vmcs_fields[i].name, vmcs_fields[j].name,
			    vmcs_fields[i].encoding);
}
END_TEST

START_TEST(test_fields_names_are_unique_and_prefixed)
{
	size_t i, j;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		ck_assert_int_eq(strncmp(vmcs_fields[i].name, "VMCS_", 5), 0);
		for (j = i + 1; j < VMCS_NFIELDS; j++)
			ck_assert_str_ne(vmcs_fields[i].name,
			    vmcs_fields[j].name);
	}
}
END_TEST

START_TEST(test_fields_lookup_finds_every_entry)
{
	size_t i;

	for (i = 0; i < VMCS_NFIELDS; i++)
		ck_assert_ptr_eq(vmcs_field_lookup(vmcs_fields[i].encoding),
		    &vmcs_fields[i]);
}
END_TEST

START_TEST(test_fields_lookup_of_high_encoding_finds_64bit_field)
{
	size_t i, n64 = 0;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		const struct vmcs_field *f = &vmcs_fields[i];
		uint32_t hi = f->encoding | SDM_ACCESS_HIGH;

		if (f->width == VMCS_W64) {
			ck_assert_ptr_eq(vmcs_field_lookup(hi), f);
			ck_assert_int_eq(vmcs_field_is_high(hi), 1);
			n64++;
		} else {
			ck_assert_msg(vmcs_field_lookup(hi) == NULL,
			    "%s has a high encoding", f->name);
			ck_assert_int_eq(vmcs_field_is_high(hi), 0);
		}
		ck_assert_int_eq(vmcs_field_is_high(f->encoding), 0);
	}
	ck_assert_uint_eq(n64, 55);
}
END_TEST

START_TEST(test_fields_lookup_rejects_unsupported_encodings)
{
	static const uint32_t bad[] = {
		0x00000001,	/* high access to a 16-bit field */
		0x00000801,	/* high access to a 16-bit guest field */
		0x00004001,	/* high access to a 32-bit field */
		0x00006801,	/* high access to a natural-width field */
		0x0000000A,	/* unassigned 16-bit control index */
		0x00000402,	/* 16-bit read-only data: none exist */
		0x00000C0E,	/* past the last 16-bit host field */
		0x00002046,	/* unassigned 64-bit control index */
		0x00002048,	/* unassigned 64-bit control index */
		0x0000204E,	/* past the last 64-bit control field */
		0x00002402,	/* past the last 64-bit read-only field */
		0x0000482C,	/* the 32-bit guest-state hole */
		0x00004C02,	/* past the only 32-bit host field */
		0x00006C1E,	/* past the last natural-width host field */
		0x00007FFF,
		0x00001000,	/* reserved bit 12 */
		0x00003000,	/* reserved bit 12 on a valid encoding */
		0x00008000,	/* reserved bit 15 */
		0x00010000,	/* reserved bit 16 */
		0x0001681E,	/* guest RIP with reserved bit 16 */
		0x8000681E,	/* guest RIP with reserved bit 31 */
		0x0000687E,	/* index 63, unassigned */
		0x000069FE,	/* index 255, past the lookup index */
		0xFFFFFFFF,
		0xDEADBEEF,
	};
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(vmcs_field_lookup(bad[i]) == NULL,
		    "0x%08x was found", bad[i]);
		ck_assert_int_eq(vmcs_field_is_high(bad[i]), 0);
	}
}
END_TEST

/*
 * VMREAD's one-load descriptors agree with the field table for every
 * encoding: the same fields found, the same values read (full and high
 * halves, each width), the same lazy flag.
 */
START_TEST(test_fields_descriptors_agree_with_lookup)
{
	static uint8_t page[4096];
	const struct vmcs_field *f;
	uint32_t e;
	unsigned int d;
	size_t i;

	for (i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 131 + 7);
	for (e = 0; e < 0x20000; e++) {
		f = vmcs_field_find(e);
		d = e < VMCS_DESC_N ? vmcs_desc_tab[e] : 0;
		ck_assert_msg((d != 0) == (f != NULL),
		    "0x%05x: descriptor %#x, field %s", e, d,
		    f != NULL ? f->name : "none");
		if (f == NULL)
			continue;
		ck_assert_uint_eq(d & VMCS_DESC_SLOT, f->slot + 1U);
		ck_assert_uint_eq((d & VMCS_DESC_HIGH) != 0,
		    vmcs_enc_is_high(e) != 0);
		ck_assert_uint_eq((d & VMCS_DESC_LAZY) != 0, f->lazy);
		ck_assert_uint_eq(vmcs_desc_get(page, d),
		    vmcs_field_get(page, f, e));
	}
	/* Lazy: guest state other than the per-exit fields, and the entry
	 * controls. */
	ck_assert(vmcs_desc_tab[VMCS_GUEST_IA32_CS_AR] & VMCS_DESC_LAZY);
	ck_assert(vmcs_desc_tab[VMCS_GUEST_IA32_EFER_HI] & VMCS_DESC_LAZY);
	ck_assert(vmcs_desc_tab[VMCS_ENTRY_CTLS] & VMCS_DESC_LAZY);
	ck_assert(!(vmcs_desc_tab[VMCS_GUEST_IA32_RIP] & VMCS_DESC_LAZY));
	ck_assert(!(vmcs_desc_tab[VMCS_EXIT_REASON] & VMCS_DESC_LAZY));
	ck_assert(!(vmcs_desc_tab[VMCS_HOST_IA32_RIP] & VMCS_DESC_LAZY));
}
END_TEST

START_TEST(test_fields_by_name_round_trips)
{
	char lower[64];
	size_t i, k;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		const struct vmcs_field *f = &vmcs_fields[i];

		ck_assert_ptr_eq(vmcs_field_by_name(f->name), f);
		ck_assert_ptr_eq(vmcs_field_by_name(f->name + 5), f);
		ck_assert_uint_lt(strlen(f->name), sizeof(lower));
		for (k = 0; f->name[k] != '\0'; k++)
			lower[k] = (char)tolower((unsigned char)f->name[k]);
		lower[k] = '\0';
		ck_assert_ptr_eq(vmcs_field_by_name(lower), f);
		ck_assert_ptr_eq(vmcs_field_by_name(lower + 5), f);
	}
	ck_assert_uint_eq(vmcs_field_by_name("guest_ia32_rip")->encoding,
	    0x681E);
	ck_assert_uint_eq(vmcs_field_by_name("Vmcs_Exit_Reason")->encoding,
	    0x4402);
}
END_TEST

START_TEST(test_fields_by_name_rejects_unknown_names)
{
	ck_assert_ptr_null(vmcs_field_by_name(NULL));
	ck_assert_ptr_null(vmcs_field_by_name(""));
	ck_assert_ptr_null(vmcs_field_by_name("VMCS_"));
	ck_assert_ptr_null(vmcs_field_by_name("VMCS_IO_BITMAP_A_HI"));
	ck_assert_ptr_null(vmcs_field_by_name("GUEST_IA32_RI"));
	ck_assert_ptr_null(vmcs_field_by_name("VMCS_VMCS_GUEST_IA32_RIP"));
	ck_assert_ptr_null(vmcs_field_by_name("no such field"));
}
END_TEST

START_TEST(test_fields_groups_follow_sdm_areas)
{
	size_t i;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		const struct vmcs_field *f = &vmcs_fields[i];

		switch (f->type) {
		case VMCS_T_GUEST:
			ck_assert_int_eq(f->group, VMCS_G_GUEST);
			break;
		case VMCS_T_HOST:
			ck_assert_int_eq(f->group, VMCS_G_HOST);
			break;
		case VMCS_T_RODATA:
			ck_assert_int_eq(f->group, VMCS_G_EXIT_INFO);
			break;
		case VMCS_T_CONTROL:
			ck_assert(f->group == VMCS_G_EXEC_CTL ||
			    f->group == VMCS_G_EXIT_CTL ||
			    f->group == VMCS_G_ENTRY_CTL);
			break;
		}
	}
	ck_assert_int_eq(must_lookup(0x400C)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x400E)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x4010)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x2006)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x2008)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x2044)->group, VMCS_G_EXIT_CTL);
	ck_assert_int_eq(must_lookup(0x4012)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x4014)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x4016)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x4018)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x401A)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x200A)->group, VMCS_G_ENTRY_CTL);
	ck_assert_int_eq(must_lookup(0x4000)->group, VMCS_G_EXEC_CTL);
	ck_assert_int_eq(must_lookup(0x201A)->group, VMCS_G_EXEC_CTL);
	ck_assert_int_eq(must_lookup(0x6000)->group, VMCS_G_EXEC_CTL);
	ck_assert_int_eq(must_lookup(0x0000)->group, VMCS_G_EXEC_CTL);
}
END_TEST

START_TEST(test_fields_group_names)
{
	ck_assert_str_eq(vmcs_group_name(VMCS_G_GUEST), "guest state");
	ck_assert_str_eq(vmcs_group_name(VMCS_G_HOST), "host state");
	ck_assert_str_eq(vmcs_group_name(VMCS_G_EXEC_CTL),
	    "VM-execution controls");
	ck_assert_str_eq(vmcs_group_name(VMCS_G_EXIT_CTL), "VM-exit controls");
	ck_assert_str_eq(vmcs_group_name(VMCS_G_ENTRY_CTL),
	    "VM-entry controls");
	ck_assert_str_eq(vmcs_group_name(VMCS_G_EXIT_INFO),
	    "VM-exit information");
	ck_assert_ptr_null(vmcs_group_name(VMCS_G_NGROUPS));
}
END_TEST

START_TEST(test_fields_data_fits_in_region_after_header)
{
	size_t i;

	ck_assert_int_eq(VMCS_DATA_OFFSET, 8);
	ck_assert_int_eq(VMCS_REGION_SIZE, TEST_PAGE_SIZE);
	for (i = 0; i < VMCS_NFIELDS; i++) {
		size_t off = vmcs_field_offset(&vmcs_fields[i]);

		ck_assert_uint_eq(off, 8 + 8 * (size_t)vmcs_fields[i].slot);
		ck_assert_uint_ge(off, 8);
		ck_assert_uint_le(off + 8, TEST_PAGE_SIZE);
	}
}
END_TEST

START_TEST(test_fields_write_truncates_16bit_field)
{
	struct test_region r;
	const struct vmcs_field *f = must_lookup(0x0802);	/* guest CS */

	memset(&r, 0, sizeof(r));
	vmcs_data_write(&r, 0x0802, 0x1122334455667788ULL);
	ck_assert_uint_eq(slot_raw(&r, f), 0x7788);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x0802), 0x7788);
}
END_TEST

START_TEST(test_fields_write_truncates_32bit_field)
{
	struct test_region r;
	const struct vmcs_field *f = must_lookup(0x4002);	/* procbased */

	memset(&r, 0, sizeof(r));
	vmcs_data_write(&r, 0x4002, 0x1122334455667788ULL);
	ck_assert_uint_eq(slot_raw(&r, f), 0x55667788);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x4002), 0x55667788);
}
END_TEST

START_TEST(test_fields_write_keeps_64bit_and_natural_width_whole)
{
	struct test_region r;

	memset(&r, 0, sizeof(r));
	vmcs_data_write(&r, 0x2806, 0x1122334455667788ULL);	/* EFER */
	vmcs_data_write(&r, 0x681E, 0xFFFFFFFF80001000ULL);	/* RIP */
	ck_assert_uint_eq(vmcs_data_read(&r, 0x2806), 0x1122334455667788ULL);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x681E), 0xFFFFFFFF80001000ULL);
}
END_TEST

START_TEST(test_fields_high_read_returns_bits_63_32)
{
	struct test_region r;

	memset(&r, 0, sizeof(r));
	vmcs_data_write(&r, 0x2010, 0xAABBCCDD11223344ULL);	/* TSC offset */
	ck_assert_uint_eq(vmcs_data_read(&r, 0x2011), 0xAABBCCDD);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x2010), 0xAABBCCDD11223344ULL);
}
END_TEST

START_TEST(test_fields_high_write_sets_bits_63_32_only)
{
	struct test_region r;

	memset(&r, 0, sizeof(r));
	vmcs_data_write(&r, 0x2800, 0x0123456789ABCDEFULL);	/* link ptr */
	vmcs_data_write(&r, 0x2801, 0xFFFFFFFF00000042ULL);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x2800), 0x0000004289ABCDEFULL);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x2801), 0x42);
}
END_TEST

START_TEST(test_fields_write_touches_only_its_slot)
{
	struct test_region r, before;
	const struct vmcs_field *f;
	size_t i, off;

	for (i = 0; i < VMCS_NFIELDS; i++) {
		f = &vmcs_fields[i];
		memset(&r, 0, sizeof(r));
		memcpy(&before, &r, sizeof(r));
		vmcs_data_write(&r, f->encoding, UINT64_MAX);
		off = vmcs_field_offset(f);
		ck_assert_int_eq(memcmp(&r, &before, off), 0);
		ck_assert_int_eq(memcmp((uint8_t *)&r + off + 8,
		    (uint8_t *)&before + off + 8, sizeof(r) - off - 8), 0);
		ck_assert_uint_ne(slot_raw(&r, f), 0);
	}
}
END_TEST

START_TEST(test_fields_unsupported_access_is_harmless)
{
	struct test_region r, before;

	memset(&r, 0xA5, sizeof(r));
	memcpy(&before, &r, sizeof(r));
	vmcs_data_write(&r, 0x0001, UINT64_MAX);
	vmcs_data_write(&r, 0x7FFF, UINT64_MAX);
	ck_assert_int_eq(memcmp(&r, &before, sizeof(r)), 0);
	ck_assert_uint_eq(vmcs_data_read(&r, 0x0001), 0);
}
END_TEST

START_TEST(test_fields_instruction_error_numbers_match_sdm)
{
	ck_assert_int_eq(VMXERR_VMCALL_IN_VMX_ROOT, 1);
	ck_assert_int_eq(VMXERR_VMCLEAR_INVALID_ADDRESS, 2);
	ck_assert_int_eq(VMXERR_VMCLEAR_VMXON_POINTER, 3);
	ck_assert_int_eq(VMXERR_VMLAUNCH_NONCLEAR_VMCS, 4);
	ck_assert_int_eq(VMXERR_VMRESUME_NONLAUNCHED_VMCS, 5);
	ck_assert_int_eq(VMXERR_VMRESUME_AFTER_VMXOFF, 6);
	ck_assert_int_eq(VMXERR_ENTRY_INVALID_CONTROL_FIELDS, 7);
	ck_assert_int_eq(VMXERR_ENTRY_INVALID_HOST_STATE, 8);
	ck_assert_int_eq(VMXERR_VMPTRLD_INVALID_ADDRESS, 9);
	ck_assert_int_eq(VMXERR_VMPTRLD_VMXON_POINTER, 10);
	ck_assert_int_eq(VMXERR_VMPTRLD_INCORRECT_REVISION, 11);
	ck_assert_int_eq(VMXERR_UNSUPPORTED_COMPONENT, 12);
	ck_assert_int_eq(VMXERR_VMWRITE_READ_ONLY_COMPONENT, 13);
	ck_assert_int_eq(VMXERR_VMXON_IN_VMX_ROOT, 15);
	ck_assert_int_eq(VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER, 16);
	ck_assert_int_eq(VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS, 17);
	ck_assert_int_eq(VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER, 18);
	ck_assert_int_eq(VMXERR_VMCALL_NONCLEAR_VMCS, 19);
	ck_assert_int_eq(VMXERR_VMCALL_INVALID_EXIT_CONTROL_FIELDS, 20);
	ck_assert_int_eq(VMXERR_VMCALL_INCORRECT_MSEG_REVISION, 22);
	ck_assert_int_eq(VMXERR_VMXOFF_UNDER_DUAL_MONITOR, 23);
	ck_assert_int_eq(VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES, 24);
	ck_assert_int_eq(VMXERR_ENTRY_INVALID_EXECUTIVE_EXEC_CONTROLS, 25);
	ck_assert_int_eq(VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS, 26);
	ck_assert_int_eq(VMXERR_INVALID_INVEPT_INVVPID_OPERAND, 28);
}
END_TEST

START_TEST(test_fields_instruction_error_names)
{
	uint32_t n;

	for (n = 1; n <= 28; n++) {
		if (n == 14 || n == 21 || n == 27)
			ck_assert_ptr_null(vmx_instruction_error_name(n));
		else
			ck_assert_ptr_nonnull(vmx_instruction_error_name(n));
	}
	ck_assert_ptr_null(vmx_instruction_error_name(0));
	ck_assert_ptr_null(vmx_instruction_error_name(29));
	ck_assert_ptr_null(vmx_instruction_error_name(UINT32_MAX));
	ck_assert_str_eq(vmx_instruction_error_name(7),
	    "VM entry with invalid control field(s)");
	ck_assert_str_eq(vmx_instruction_error_name(8),
	    "VM entry with invalid host-state field(s)");
	ck_assert_str_eq(vmx_instruction_error_name(12),
	    "VMREAD/VMWRITE from/to unsupported VMCS component");
	ck_assert_str_eq(vmx_instruction_error_name(13),
	    "VMWRITE to read-only VMCS component");
	ck_assert_str_eq(vmx_instruction_error_name(26),
	    "VM entry with events blocked by MOV SS");
	ck_assert_str_eq(vmx_instruction_error_name(28),
	    "Invalid operand to INVEPT/INVVPID");
}
END_TEST

START_TEST(test_fields_exit_reason_numbers_match_sdm)
{
	ck_assert_int_eq(VMX_EXIT_ENCLS, 60);
	ck_assert_int_eq(VMX_EXIT_PML_FULL, 62);
	ck_assert_int_eq(VMX_EXIT_PCONFIG, 65);
	ck_assert_int_eq(VMX_EXIT_SPP_EVENT, 66);
	ck_assert_int_eq(VMX_EXIT_UMWAIT, 67);
	ck_assert_int_eq(VMX_EXIT_TPAUSE, 68);
	ck_assert_int_eq(VMX_EXIT_LOADIWKEY, 69);
	ck_assert_int_eq(VMX_EXIT_ENCLV, 70);
	ck_assert_int_eq(VMX_EXIT_ENQCMD_PASID_FAIL, 72);
	ck_assert_int_eq(VMX_EXIT_ENQCMDS_PASID_FAIL, 73);
	ck_assert_int_eq(VMX_EXIT_BUS_LOCK, 74);
	ck_assert_int_eq(VMX_EXIT_INSTRUCTION_TIMEOUT, 75);
	ck_assert_int_eq(VMX_EXIT_SEAMCALL, 76);
	ck_assert_int_eq(VMX_EXIT_TDCALL, 77);
	ck_assert_int_eq(VMX_EXIT_RDMSRLIST, 78);
	ck_assert_int_eq(VMX_EXIT_WRMSRLIST, 79);
}
END_TEST

START_TEST(test_fields_exit_reason_names)
{
	uint32_t n;

	ck_assert_str_eq(vmx_exit_reason_name(0), "VMX_EXIT_NMI");
	ck_assert_str_eq(vmx_exit_reason_name(10), "VMX_EXIT_CPUID");
	ck_assert_str_eq(vmx_exit_reason_name(30), "VMX_EXIT_IO");
	ck_assert_str_eq(vmx_exit_reason_name(33),
	    "VMX_EXIT_ENTRY_FAILED_GUEST_STATE");
	ck_assert_str_eq(vmx_exit_reason_name(48), "VMX_EXIT_EPT_VIOLATION");
	ck_assert_str_eq(vmx_exit_reason_name(64), "VMX_EXIT_XRSTORS");
	ck_assert_str_eq(vmx_exit_reason_name(79), "VMX_EXIT_WRMSRLIST");
	for (n = 0; n <= 79; n++) {
		const char *s = vmx_exit_reason_name(n);

		if (n == 35 || n == 38 || n == 42 || n == 71) {
			ck_assert_ptr_null(s);
			continue;
		}
		ck_assert_msg(s != NULL, "no name for exit reason %u", n);
		ck_assert_int_eq(strncmp(s, "VMX_EXIT_", 9), 0);
	}
	ck_assert_ptr_null(vmx_exit_reason_name(80));
	ck_assert_ptr_null(vmx_exit_reason_name(0xFFFF));
	ck_assert_ptr_null(vmx_exit_reason_name(UINT32_MAX));
}
END_TEST

static Suite *
emu_fields_suite(void)
{
	Suite *s = suite_create("emu_fields");
	TCase *tc = tcase_create("vmcs_fields");

	tcase_add_test(tc, test_fields_sample_encodings_match_sdm);
	tcase_add_test(tc, test_fields_high_encodings_match_sdm);
	tcase_add_test(tc, test_fields_table_size_is_nfields);
	tcase_add_test(tc, test_fields_width_and_type_agree_with_encoding_bits);
	tcase_add_test(tc,
	    test_fields_encodings_are_full_access_with_no_reserved_bits);
	tcase_add_test(tc, test_fields_slots_are_dense_and_unique);
	tcase_add_test(tc, test_fields_encodings_are_unique);
	tcase_add_test(tc, test_fields_names_are_unique_and_prefixed);
	tcase_add_test(tc, test_fields_lookup_finds_every_entry);
	tcase_add_test(tc,
	    test_fields_lookup_of_high_encoding_finds_64bit_field);
	tcase_add_test(tc, test_fields_lookup_rejects_unsupported_encodings);
	tcase_add_test(tc, test_fields_descriptors_agree_with_lookup);
	tcase_add_test(tc, test_fields_by_name_round_trips);
	tcase_add_test(tc, test_fields_by_name_rejects_unknown_names);
	tcase_add_test(tc, test_fields_groups_follow_sdm_areas);
	tcase_add_test(tc, test_fields_group_names);
	tcase_add_test(tc, test_fields_data_fits_in_region_after_header);
	tcase_add_test(tc, test_fields_write_truncates_16bit_field);
	tcase_add_test(tc, test_fields_write_truncates_32bit_field);
	tcase_add_test(tc,
	    test_fields_write_keeps_64bit_and_natural_width_whole);
	tcase_add_test(tc, test_fields_high_read_returns_bits_63_32);
	tcase_add_test(tc, test_fields_high_write_sets_bits_63_32_only);
	tcase_add_test(tc, test_fields_write_touches_only_its_slot);
	tcase_add_test(tc, test_fields_unsupported_access_is_harmless);
	tcase_add_test(tc, test_fields_instruction_error_numbers_match_sdm);
	tcase_add_test(tc, test_fields_instruction_error_names);
	tcase_add_test(tc, test_fields_exit_reason_numbers_match_sdm);
	tcase_add_test(tc, test_fields_exit_reason_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(emu_fields_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
