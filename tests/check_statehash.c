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
 * The replay hash (src/devices/statehash.h) against the algorithm as
 * docs/replay-format.md states it: the known answers below come from an
 * independent transcription of that text, so the code and the document
 * cannot drift apart unnoticed.  And the property the checkpoints rely
 * on: any single flipped bit, anywhere, changes the hash.
 */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/statehash.h"

START_TEST(test_known_answers_match_the_format_document)
{
	uint8_t seq[100];
	int i;

	for (i = 0; i < 100; i++)
		seq[i] = (uint8_t)i;
	ck_assert_uint_eq(statehash_buf("", 0, STATEHASH_SEED),
	    0x59b4082d39bc3e50ULL);
	ck_assert_uint_eq(statehash_buf("a", 1, STATEHASH_SEED),
	    0xd07d6cc1cd367c31ULL);
	ck_assert_uint_eq(statehash_buf("vmmsim replay", 13, STATEHASH_SEED),
	    0xf0672f1989a7f6c3ULL);
	ck_assert_uint_eq(statehash_buf(seq, sizeof(seq), STATEHASH_SEED),
	    0x950428932d946d2cULL);
}
END_TEST

START_TEST(test_accumulator_known_answer)
{
	struct statehash sh;

	statehash_init(&sh);
	statehash_u64(&sh, 1);
	statehash_u64(&sh, 2);
	statehash_u64(&sh, 3);
	ck_assert_uint_eq(statehash_final(&sh), 0xa1f7a2d906bdfeadULL);
}
END_TEST

START_TEST(test_every_single_bit_flip_changes_the_hash)
{
	uint8_t buf[203];
	uint64_t base;
	size_t i;
	int bit;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	base = statehash_buf(buf, sizeof(buf), STATEHASH_SEED);
	for (i = 0; i < sizeof(buf); i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1 << bit);
			ck_assert_uint_ne(statehash_buf(buf, sizeof(buf),
			    STATEHASH_SEED), base);
			buf[i] ^= (uint8_t)(1 << bit);
		}
	/* The same bytes under another seed (a block elsewhere) differ. */
	ck_assert_uint_ne(statehash_buf(buf, sizeof(buf), STATEHASH_SEED ^ 1),
	    base);
}
END_TEST

START_TEST(test_length_and_order_count)
{
	static const uint8_t zeros[64];
	struct statehash a, b;

	/* Zero bytes of different lengths must not collide. */
	ck_assert_uint_ne(statehash_buf(zeros, 32, 0),
	    statehash_buf(zeros, 33, 0));
	ck_assert_uint_ne(statehash_buf(zeros, 0, 0),
	    statehash_buf(zeros, 64, 0));
	statehash_init(&a);
	statehash_init(&b);
	statehash_u64(&a, 1);
	statehash_u64(&a, 2);
	statehash_u64(&b, 2);
	statehash_u64(&b, 1);
	ck_assert_uint_ne(statehash_final(&a), statehash_final(&b));
	statehash_u64(&b, 0);
	statehash_init(&a);
	statehash_u64(&a, 2);
	statehash_u64(&a, 1);
	ck_assert_uint_ne(statehash_final(&a), statehash_final(&b));
}
END_TEST

static Suite *
statehash_suite(void)
{
	Suite *s = suite_create("statehash");
	TCase *tc = tcase_create("statehash");

	tcase_add_test(tc, test_known_answers_match_the_format_document);
	tcase_add_test(tc, test_accumulator_known_answer);
	tcase_add_test(tc, test_every_single_bit_flip_changes_the_hash);
	tcase_add_test(tc, test_length_and_order_count);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(statehash_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
