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
 * Exit traces as the monitor writes them (vmmsim_trace_start(),
 * vmmsim_trace.h): the extension's errors, the file's header and records
 * for the demo guest's run on both vendors (reasons, RIPs, modes,
 * instruction bytes, actions), snapshots at chosen exits, and nothing
 * recorded once tracing stops.  The tools' output on these files is
 * pinned by tests/trace_golden.sh.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vmmsim_trace.h"
#include "../tools/demo.h"

static int vendor = VMMSIM_OPEN_INTEL;
#define VENDOR_BEGIN()	(vendor = test_vendors[_i])
#define AMD		(vendor == VMMSIM_OPEN_AMD)

static uint32_t
g32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint64_t
g64(const uint8_t *p)
{
	return ((uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32);
}

/* A trace file of this test's own, removed at the end. */
static void
tmp_path(char *buf, size_t len)
{
	int fd;

	snprintf(buf, len, "/tmp/check_trace.XXXXXX");
	fd = mkstemp(buf);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The whole file in memory; *len its size. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long n;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return (b);
}

/* Run the demo guest traced; the file's bytes. */
static uint8_t *
traced_demo(const char *path, int flags, const uint64_t *snaps, int nsnaps,
    size_t *len)
{
	FILE *out = fopen("/dev/null", "w");
	int fd = t_open(vendor), i;

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(vmmsim_trace_start(fd, path, flags), 0);
	for (i = 0; i < nsnaps; i++)
		ck_assert_int_eq(vmmsim_trace_snap_at(fd, snaps[i]), 0);
	ck_assert_int_eq(vmmsim_demo_run(fd, out, 0), 1);
	ck_assert_int_eq(vmmsim_trace_stop(fd), 0);
	vmmsim_close(fd);
	fclose(out);
	return (slurp(path, len));
}

START_TEST(test_trace_extension_errors)
{
	char path[64];
	int fd;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	errno = 0;
	ck_assert_int_eq(vmmsim_trace_start(12345, path, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(vmmsim_trace_stop(12345), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(vmmsim_trace_snap_at(12345, 0), -1);
	ck_assert_int_eq(errno, EBADF);

	fd = t_open(vendor);
	ck_assert_int_eq(vmmsim_trace_start(fd, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_trace_start(fd, "", 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0x80), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_trace_start(fd, "/nonexistent/dir/t", 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vmmsim_trace_stop(fd), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vmmsim_trace_snap_at(fd, 3), -1);
	ck_assert_int_eq(errno, ENOENT);

	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0), 0);
	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(vmmsim_trace_snap_at(fd, 3), 0);
	ck_assert_int_eq(vmmsim_trace_snap_at(fd, 3), 0);	/* again: ok */
	ck_assert_int_eq(vmmsim_trace_stop(fd), 0);
	ck_assert_int_eq(vmmsim_trace_stop(fd), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Closing a tracing handle closes the trace too. */
	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0), 0);
	ck_assert_int_eq(vmmsim_close(fd), 0);
	unlink(path);
}
END_TEST

/* The snapshot-point list is bounded. */
START_TEST(test_trace_snap_points_are_bounded)
{
	char path[64];
	uint64_t i;
	int fd;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	fd = t_open(vendor);
	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0), 0);
	for (i = 0; i < 4096; i++)
		ck_assert_int_eq(vmmsim_trace_snap_at(fd, 4095 - i), 0);
	ck_assert_int_eq(vmmsim_trace_snap_at(fd, 5000), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(vmmsim_trace_snap_at(fd, 17), 0);	/* present */
	vmmsim_close(fd);
	unlink(path);
}
END_TEST

/*
 * The demo guest's exits: header, then one 136-byte record per exit,
 * numbered from 0: the reset vector's fetch fault first (16-bit, JMP
 * E9 at 0xFFF0, handled in the kernel), the debug-exit OUT to 0xF4 last
 * (64-bit, returned to userland as the I/O exit).
 */
START_TEST(test_trace_records_every_demo_exit)
{
	char path[64];
	const uint8_t *r;
	uint8_t *b;
	size_t len, off, n = 0, nio = 0;
	uint64_t last_vtime = 0;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	b = traced_demo(path, 0, NULL, 0, &len);
	ck_assert_uint_ge(len, VMMSIM_TRACE_HDR_SIZE);
	ck_assert_int_eq(memcmp(b, VMMSIM_TRACE_MAGIC, 8), 0);
	ck_assert_uint_eq(g32(b + 8), VMMSIM_TRACE_VERSION);
	ck_assert_uint_eq(g32(b + 12), VMMSIM_TRACE_HDR_SIZE);
	ck_assert_uint_eq(g32(b + 16), AMD ? VMMSIM_TRACE_VENDOR_AMD :
	    VMMSIM_TRACE_VENDOR_INTEL);
	ck_assert_uint_eq((len - VMMSIM_TRACE_HDR_SIZE) %
	    VMMSIM_TREC_EXIT_SIZE, 0);
	for (off = VMMSIM_TRACE_HDR_SIZE; off < len;
	    off += VMMSIM_TREC_EXIT_SIZE, n++) {
		r = b + off;
		ck_assert_uint_eq(r[0] | r[1] << 8, VMMSIM_TREC_EXIT);
		ck_assert_uint_eq(g32(r + 4), VMMSIM_TREC_EXIT_SIZE);
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_SEQ), n);
		ck_assert_uint_ge(g64(r + VMMSIM_TEXIT_VTIME), last_vtime);
		last_vtime = g64(r + VMMSIM_TEXIT_VTIME);
		ck_assert_uint_eq(g32(r + VMMSIM_TEXIT_VM), 1);
		ck_assert_uint_eq(g32(r + VMMSIM_TEXIT_VCPU), 0);
		if (g64(r + VMMSIM_TEXIT_REASON) == (AMD ? SVM_VMEXIT_IOIO :
		    VMX_EXIT_IO))
			nio++;
	}
	/* 60 bytes of greeting to COM1 and the debug exit. */
	ck_assert_uint_eq(nio, 61);
	ck_assert_uint_eq(n, AMD ? 68 : 67);

	r = b + VMMSIM_TRACE_HDR_SIZE;
	ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_REASON), AMD ? SVM_VMEXIT_NPF :
	    VMX_EXIT_EPT_VIOLATION);
	ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_VTIME), 0);
	ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_RIP), 0xFFF0);
	ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_GPA_OFF), 0xFFFFFFF0);
	ck_assert_uint_eq((r[2] | r[3] << 8) & VMMSIM_TEXIT_GPA,
	    VMMSIM_TEXIT_GPA);
	if (AMD)	/* NPF error code: a fetch (ID) of a final GPA */
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_QUAL) &
		    (0x10 | 1ULL << 32), 0x10 | 1ULL << 32);
	else		/* EPT qualification: fetch, entry not present */
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_QUAL) & 0x3F, 0x4);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_MODE], 16);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_NBYTES], 15);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_BYTES], 0xE9);	/* JMP rel16 */
	ck_assert_uint_eq(r[VMMSIM_TEXIT_ACTION], VMMSIM_TACT_KERNEL);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_INJECT], VMMSIM_TINJECT_NONE);

	r = b + len - VMMSIM_TREC_EXIT_SIZE;
	ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_REASON), AMD ? SVM_VMEXIT_IOIO :
	    VMX_EXIT_IO);
	ck_assert_uint_eq((g64(r + VMMSIM_TEXIT_QUAL) >> 16) & 0xFFFF, 0xF4);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_MODE], 64);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_BYTES], 0xE6);	/* OUT imm8, AL */
	ck_assert_uint_eq(r[VMMSIM_TEXIT_BYTES + 1], 0xF4);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_INSN_LEN], 2);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_ACTION], VMMSIM_TACT_USER);
	ck_assert_uint_eq(r[VMMSIM_TEXIT_USER_EXIT] |
	    r[VMMSIM_TEXIT_USER_EXIT + 1] << 8, AMD ? SVM_VMEXIT_IOIO :
	    VMX_EXIT_IO);
	free(b);
	unlink(path);
}
END_TEST

/*
 * A snapshot at exit 2 (the first write fault): the VMCS fields or the
 * VMCB as they were at that exit, and the nested tables, in which the
 * faulting page is not mapped yet.
 */
START_TEST(test_trace_snapshot_at_chosen_exit)
{
	static const uint64_t snaps[] = { 2 };
	char path[64];
	const uint8_t *r, *p;
	uint8_t *b;
	size_t len, off, nsnap = 0;
	uint32_t size, count, npages, i;
	uint64_t reason = 0, qual = 0;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	b = traced_demo(path, 0, snaps, 1, &len);
	for (off = VMMSIM_TRACE_HDR_SIZE; off < len; off += size) {
		r = b + off;
		size = g32(r + 4);
		ck_assert_uint_ge(size, 8);
		if ((r[0] | r[1] << 8) != VMMSIM_TREC_SNAP)
			continue;
		nsnap++;
		/* It follows the record of the same exit. */
		ck_assert_uint_eq(g64(r - VMMSIM_TREC_EXIT_SIZE +
		    VMMSIM_TEXIT_SEQ), 2);
		ck_assert_uint_eq(g64(r + VMMSIM_TSNAP_SEQ), 2);
		count = g32(r + VMMSIM_TSNAP_COUNT);
		npages = g32(r + VMMSIM_TSNAP_NPAGES);
		ck_assert_uint_ge(npages, 2);
		if (AMD) {
			ck_assert_uint_eq(count, VMMSIM_TSNAP_VMCB_SIZE);
			p = r + VMMSIM_TSNAP_DATA;
			reason = g64(p + 0x70);		/* EXITCODE */
			qual = g64(p + 0x80);		/* EXITINFO2: GPA */
		} else {
			ck_assert_uint_gt(count, 100);
			p = r + VMMSIM_TSNAP_DATA;
			for (i = 0; i < count; i++, p += 16) {
				if (g32(p) == 0x4402)	/* EXIT_REASON */
					reason = g64(p + 8);
				if (g32(p) == 0x2400)	/* GUEST_PHYSICAL */
					qual = g64(p + 8);
			}
		}
		ck_assert_uint_eq(size, VMMSIM_TSNAP_DATA + (AMD ? count :
		    count * VMMSIM_TSNAP_FIELD_SIZE) +
		    npages * VMMSIM_TSNAP_PAGE_SIZE);
		ck_assert_uint_eq(g64(r + VMMSIM_TSNAP_ROOT) & ~0xFFFULL,
		    g64(r + size - (uint64_t)npages *
		    VMMSIM_TSNAP_PAGE_SIZE));	/* the root page first */
	}
	ck_assert_uint_eq(nsnap, 1);
	ck_assert_uint_eq(reason, AMD ? SVM_VMEXIT_NPF : VMX_EXIT_EPT_VIOLATION);
	ck_assert_uint_eq(qual, 0x1000);
	free(b);
	unlink(path);
}
END_TEST

/* VMMSIM_TRACE_SNAP_ALL: a snapshot after every exit record. */
START_TEST(test_trace_snap_all)
{
	char path[64];
	uint8_t *b;
	size_t len, off, nexit = 0, nsnap = 0;
	int type, prev = VMMSIM_TREC_SNAP;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	b = traced_demo(path, VMMSIM_TRACE_SNAP_ALL, NULL, 0, &len);
	for (off = VMMSIM_TRACE_HDR_SIZE; off < len; off += g32(b + off + 4)) {
		type = b[off] | b[off + 1] << 8;
		ck_assert_int_ne(type, prev);	/* they alternate */
		prev = type;
		if (type == VMMSIM_TREC_EXIT)
			nexit++;
		else
			nsnap++;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(nexit, AMD ? 68 : 67);
	ck_assert_uint_eq(nsnap, nexit);
	free(b);
	unlink(path);
}
END_TEST

/* After vmmsim_trace_stop, runs are not recorded: the file stays. */
START_TEST(test_trace_stop_records_no_more)
{
	char path[64];
	uint8_t *b;
	size_t len, len2;
	FILE *out;
	int fd;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	b = traced_demo(path, 0, NULL, 0, &len);
	free(b);
	fd = t_open(vendor);
	ck_assert_int_eq(vmmsim_trace_start(fd, path, 0), 0);
	ck_assert_int_eq(vmmsim_trace_stop(fd), 0);
	out = fopen("/dev/null", "w");
	ck_assert_int_eq(vmmsim_demo_run(fd, out, 0), 1);
	fclose(out);
	vmmsim_close(fd);
	b = slurp(path, &len2);
	ck_assert_uint_eq(len2, VMMSIM_TRACE_HDR_SIZE);
	ck_assert_uint_gt(len, len2);
	free(b);
	unlink(path);
}
END_TEST

/* VMMSIM_TRACE and VMMSIM_TRACE_SNAP, as the LD_PRELOAD shim uses them. */
START_TEST(test_trace_env)
{
	char path[64];
	int fd;

	VENDOR_BEGIN();
	tmp_path(path, sizeof(path));
	fd = t_open(vendor);
	unsetenv("VMMSIM_TRACE");
	ck_assert_int_eq(vmmsim_trace_env(fd), 0);
	ck_assert_int_eq(vmmsim_trace_stop(fd), -1);	/* not started */
	ck_assert_int_eq(errno, ENOENT);
	setenv("VMMSIM_TRACE", path, 1);
	setenv("VMMSIM_TRACE_SNAP", "1,x", 1);
	ck_assert_int_eq(vmmsim_trace_env(fd), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_trace_stop(fd), -1);	/* undone */
	setenv("VMMSIM_TRACE_SNAP", "1,0x10", 1);
	ck_assert_int_eq(vmmsim_trace_env(fd), 0);
	ck_assert_int_eq(vmmsim_trace_stop(fd), 0);
	setenv("VMMSIM_TRACE_SNAP", "all", 1);
	ck_assert_int_eq(vmmsim_trace_env(fd), 0);
	ck_assert_int_eq(vmmsim_trace_stop(fd), 0);
	unsetenv("VMMSIM_TRACE");
	unsetenv("VMMSIM_TRACE_SNAP");
	vmmsim_close(fd);
	unlink(path);
}
END_TEST

static Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");

	tcase_set_timeout(tc, 60);
#define T(t)	tcase_add_loop_test(tc, t, 0, \
	    (int)(sizeof(test_vendors) / sizeof(test_vendors[0])))
	T(test_trace_extension_errors);
	T(test_trace_snap_points_are_bounded);
	T(test_trace_records_every_demo_exit);
	T(test_trace_snapshot_at_chosen_exit);
	T(test_trace_snap_all);
	T(test_trace_stop_records_no_more);
	T(test_trace_env);
#undef T
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	vmmsim_set_log(stderr);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
