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
 * The weights the simulated CPU gives code (ROBUSTNESS.md finding 11)
 * against the Unicorn this build runs on.  Unicorn 2.1.1's translator
 * leaks TCG temporaries, and a block that leaks past its table crashes
 * the process; src/emu lets the engine translate only blocks it weighed
 * at EMU_LEAK_MAX or under, by instruction (emu_weigh_block) or by byte
 * (emu_weigh_bytes, for whole pages).  For each instruction form here,
 * in each mode, the longest run of it that either weight lets through is
 * translated by a bare Unicorn in a child process: none may crash.  A
 * Unicorn that leaks more (another version) fails this test.
 *
 * make check sweeps every opcode with 16 ModRM bytes and an immediate;
 * with CHECK_LEAK_WIDE set in the environment (make check-long,
 * tests/leak_wide.sh) each opcode of the four maps goes instead under
 * prefixes (operand and address size, LOCK, REP, segment overrides,
 * REX) and with each way of addressing memory (SIB, disp8, disp32,
 * RIP- or disp16-relative), with and without an immediate after it.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include "emu/emu_impl.h"

#define CODE		0x1000
#define RUN_MAX		(4096 + 64)

/*
 * UC_CTL_READ_WRITE(type, nr) shifts 3 into an int's sign bit, which
 * UBSan reports at every call: the same control word, unsigned.
 */
#define CTL_READ_WRITE(type, nr) ((uc_control_type)((uint32_t)(type) | \
	((uint32_t)(nr) << 26) | (3U << 30)))

struct form {
	uint8_t	b[16];
	uint8_t	len;
};

static const uint8_t modrms[] = {
	0xC1, 0xC9, 0xD1, 0xD9, 0xE1, 0xE9, 0xF1, 0xF9,
	0x03, 0x0B, 0x13, 0x1B, 0x23, 0x2B, 0x33, 0x3B,
};

/* The forms: every opcode of each map, with ModRM bytes and an imm8. */
static size_t
forms(struct form *f)
{
	static const uint8_t pfx[] = { 0, 0x66, 0xF2, 0xF3 };
	size_t n = 0, p, k;
	unsigned op, m, o;

	for (op = 0; op < 256; op++) {
		f[n].b[0] = (uint8_t)op;
		f[n++].len = 1;
		for (k = 0; k < sizeof(modrms); k++) {
			f[n].b[0] = (uint8_t)op;
			f[n].b[1] = modrms[k];
			f[n++].len = 2;
		}
	}
	for (op = 0xD8; op <= 0xDF; op++)	/* x87: every ModRM */
		for (m = 0; m < 256; m++) {
			f[n].b[0] = (uint8_t)op;
			f[n].b[1] = (uint8_t)m;
			f[n++].len = 2;
		}
	for (p = 0; p < sizeof(pfx); p++) {
		for (op = 0; op < 256; op++) {
			o = 0;
			if (pfx[p] != 0)
				f[n].b[o++] = pfx[p];
			f[n].b[o++] = 0x0F;
			f[n].b[o++] = (uint8_t)op;
			for (k = 0; k <= sizeof(modrms) + 1; k++) {
				memcpy(f[n + 1].b, f[n].b, o);
				if (k < sizeof(modrms)) {
					f[n].b[o] = modrms[k];
					f[n].len = (uint8_t)(o + 1);
				} else if (k == sizeof(modrms)) {
					f[n].b[o] = 0xC1;
					f[n].b[o + 1] = 0x01;	/* imm8 */
					f[n].len = (uint8_t)(o + 2);
				} else {
					f[n].len = (uint8_t)o;
				}
				n++;
			}
		}
		for (m = 0x38; m <= 0x3A; m += 2)
			for (op = 0; op < 256; op++)
				for (k = 0; k < 2; k++) {
					o = 0;
					if (pfx[p] != 0)
						f[n].b[o++] = pfx[p];
					f[n].b[o++] = 0x0F;
					f[n].b[o++] = (uint8_t)m;
					f[n].b[o++] = (uint8_t)op;
					f[n].b[o++] = k ? 0x03 : 0xC1;
					f[n].b[o++] = 0x01;
					f[n++].len = (uint8_t)o;
				}
	}
	return (n);
}

/*
 * The wide sweep: prefixes, opcode heads of the four maps (x87 among the
 * one-byte ones) and ModRM tails, every combination.
 */
static const struct {
	uint8_t	b[2];
	uint8_t	len;
} wide_pfx[] = {
	{ { 0 }, 0 }, { { 0x66 }, 1 }, { { 0x67 }, 1 }, { { 0xF0 }, 1 },
	{ { 0xF2 }, 1 }, { { 0xF3 }, 1 }, { { 0x26 }, 1 }, { { 0x2E }, 1 },
	{ { 0x64 }, 1 }, { { 0x65 }, 1 }, { { 0x48 }, 1 }, { { 0x41 }, 1 },
	{ { 0x66, 0x48 }, 2 }, { { 0xF3, 0x4C }, 2 }, { { 0x67, 0x65 }, 2 },
};

static const struct {
	uint8_t	b[6];
	uint8_t	len;
} wide_tail[] = {
	{ { 0xC1 }, 1 },				/* register */
	{ { 0x03 }, 1 },				/* [rbx], [bp+di] */
	{ { 0x04, 0x24 }, 2 },				/* SIB: [rsp] */
	{ { 0x44, 0x88, 0x10 }, 3 },			/* SIB, disp8 */
	{ { 0x43, 0x10 }, 2 },				/* disp8 */
	{ { 0x83, 0x10, 0x00, 0x00, 0x00 }, 5 },	/* disp32 */
	{ { 0x05, 0x10, 0x00, 0x00, 0x00 }, 5 },	/* RIP-relative */
	{ { 0x06, 0x10, 0x00 }, 3 },			/* disp16 */
};

static size_t
wide_forms(struct form *f)
{
	static const uint8_t maps[][2] = { { 0 }, { 0x0F }, { 0x0F, 0x38 },
	    { 0x0F, 0x3A } };
	static const uint8_t maplen[] = { 0, 1, 2, 2 };
	size_t n = 0, p, m, t, imm;
	unsigned op;
	uint8_t o;

	for (p = 0; p < sizeof(wide_pfx) / sizeof(wide_pfx[0]); p++)
		for (m = 0; m < 4; m++)
			for (op = 0; op < 256; op++)
				for (t = 0; t < sizeof(wide_tail) /
				    sizeof(wide_tail[0]); t++)
					for (imm = 0; imm < 2; imm++) {
						o = 0;
						memcpy(f[n].b, wide_pfx[p].b,
						    wide_pfx[p].len);
						o += wide_pfx[p].len;
						memcpy(f[n].b + o, maps[m],
						    maplen[m]);
						o += maplen[m];
						f[n].b[o++] = (uint8_t)op;
						memcpy(f[n].b + o,
						    wide_tail[t].b,
						    wide_tail[t].len);
						o += wide_tail[t].len;
						if (imm)
							f[n].b[o++] = 0x01;
						f[n++].len = o;
					}
	return (n);
}

/* copies copies of form f, then HLT: the run's bytes. */
static uint32_t
run_of(uint8_t *buf, const struct form *f, unsigned copies)
{
	uint32_t off = 0;
	unsigned i;

	for (i = 0; i < copies; i++, off += f->len)
		memcpy(buf + off, f->b, f->len);
	buf[off] = 0xF4;
	return (off);
}

/* The most copies of f whose weight, by either measure, is allowed. */
static unsigned
most_allowed(const struct form *f, int mode, bool by_bytes)
{
	static uint8_t buf[RUN_MAX + 16];
	unsigned lo = 0, hi = 4064 / f->len + 1, mid;
	uint32_t cut, len, w;

	while (lo + 1 < hi) {
		mid = (lo + hi) / 2;
		len = run_of(buf, f, mid);
		w = by_bytes ? emu_weigh_bytes(buf, len) :
		    emu_weigh_block(buf, len + 1, mode, &cut);
		if (w <= EMU_LEAK_MAX)
			lo = mid;
		else
			hi = mid;
	}
	return (lo);
}

static uc_engine *
engine(int mode)
{
	uc_engine *uc;

	if (uc_open(UC_ARCH_X86, mode == 16 ? UC_MODE_16 : mode == 32 ?
	    UC_MODE_32 : UC_MODE_64, &uc) != UC_ERR_OK ||
	    uc_ctl_set_cpu_model(uc, UC_CPU_X86_SKYLAKE_SERVER) != UC_ERR_OK ||
	    uc_mem_map(uc, 0, 0x10000, UC_PROT_ALL) != UC_ERR_OK)
		_exit(3);
	return (uc);
}

/*
 * In a child: translate, for each form from *next on, its allowed runs;
 * report each form done on fd.  Exits 0 when all are.  A new engine
 * every FORMS_PER_ENGINE forms: a full translation buffer is flushed
 * with a longjmp into the execution loop, which a translation requested
 * from outside it (uc_ctl_request_cache) does not have, and the process
 * crashes (a few times in the wide sweep's 245,760 forms).  vmmsim only
 * translates from uc_emu_start.
 */
#define FORMS_PER_ENGINE	2048

static void
child(int mode, const struct form *f, size_t nf, size_t next, int fd)
{
	static uint8_t buf[RUN_MAX + 16];
	uc_engine *uc;
	uc_tb tb;
	size_t i;
	int k;

	uc = engine(mode);
	for (i = next; i < nf; i++) {
		if ((i - next) % FORMS_PER_ENGINE == FORMS_PER_ENGINE - 1) {
			uc_close(uc);
			uc = engine(mode);
		}
		for (k = 0; k < 2; k++) {
			memset(buf, 0xF4, sizeof(buf));
			(void)run_of(buf, &f[i], most_allowed(&f[i], mode,
			    k == 1));
			if (uc_mem_write(uc, CODE, buf, sizeof(buf)) !=
			    UC_ERR_OK)
				_exit(3);
			(void)uc_ctl(uc, CTL_READ_WRITE(UC_CTL_TB_REQUEST_CACHE,
			    2), (uint64_t)CODE, &tb);
			(void)uc_ctl_remove_cache(uc, CODE, CODE + sizeof(buf));
		}
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(3);
	}
	uc_close(uc);
	_exit(0);
}

START_TEST(test_allowed_runs_do_not_crash_the_translator)
{
	static struct form f[262144];
	static const int modes[] = { 16, 32, 64 };
	int mode = modes[_i], fd[2], st;
	size_t nf, next = 0, done, crashes = 0;
	char failed[256] = "";
	pid_t pid;

	nf = getenv("CHECK_LEAK_WIDE") != NULL ? wide_forms(f) : forms(f);
	ck_assert_uint_lt(nf, sizeof(f) / sizeof(f[0]));
	while (next < nf) {
		ck_assert_int_eq(pipe(fd), 0);
		if ((pid = fork()) == 0) {
			close(fd[0]);
			child(mode, f, nf, next, fd[1]);
		}
		ck_assert_int_gt(pid, 0);
		close(fd[1]);
		while (read(fd[0], &done, sizeof(done)) == sizeof(done))
			next = done + 1;
		close(fd[0]);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			break;
		ck_assert_msg(!WIFEXITED(st) || WEXITSTATUS(st) != 3,
		    "Unicorn could not be set up");
		/* The translator crashed on form next: note it, go on. */
		if (crashes++ < 8) {
			size_t l = strlen(failed);
			unsigned j;

			for (j = 0; j < f[next].len && l + 3 < sizeof(failed);
			    j++, l += 2)
				snprintf(failed + l, sizeof(failed) - l, "%02x",
				    f[next].b[j]);
			if (l + 2 < sizeof(failed))
				strcat(failed, " ");
		}
		next++;
	}
	ck_assert_msg(crashes == 0, "%zu forms crash the translator in "
	    "%d-bit mode at a weight the CPU lets through: %s", crashes, mode,
	    failed);
}
END_TEST

static Suite *
leak_suite(void)
{
	Suite *s = suite_create("leak");
	TCase *tc = tcase_create("weights");

	tcase_set_timeout(tc, getenv("CHECK_LEAK_WIDE") != NULL ? 3600 : 600);
	tcase_add_loop_test(tc, test_allowed_runs_do_not_crash_the_translator,
	    0, 3);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(leak_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
