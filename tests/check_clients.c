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
 * The contract clients of tests/clients/, run as separate programs: once
 * unchanged under the LD_PRELOAD shim (libvmmdev.so), once built against
 * the in-process device.  Each must exit 0 and print what it was promised,
 * under both vendors ($VMMSIM_CPU=intel, then amd: a loop test).
 */

#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BUILDDIR
#define BUILDDIR "."
#endif

/*
 * The shim in front of a command.  A sanitizer build must load the ASan
 * runtime first (VMMSIM_PRELOAD_EXTRA, set by make check), and the
 * uninstrumented programs it runs then need no leak checking.
 */
#define SHIM	"@SHIM@"

/* The vendor of loop iteration i, as $VMMSIM_CPU says it. */
static const char *const vendors[] = { "intel", "amd" };
#define NVENDORS	((int)(sizeof(vendors) / sizeof(vendors[0])))
static const char *vendor = "intel";

/*
 * Run a command on the current vendor, capture stdout; returns the exit
 * status.
 */
static int
run(const char *cmd, char *out, size_t outlen)
{
	const char *extra = getenv("VMMSIM_PRELOAD_EXTRA");
	char full[2048];
	FILE *p;
	size_t n = 0, r;
	int st;

	if (strncmp(cmd, SHIM, strlen(SHIM)) == 0)
		snprintf(full, sizeof(full), "ASAN_OPTIONS=detect_leaks=0 "
		    "LD_PRELOAD='%s%s%s' VMMSIM_CPU=%s %s",
		    extra != NULL && extra[0] != '\0' ? extra : "",
		    extra != NULL && extra[0] != '\0' ? " " : "",
		    BUILDDIR "/.libs/libvmmdev.so", vendor, cmd + strlen(SHIM));
	else
		snprintf(full, sizeof(full), "VMMSIM_CPU=%s %s", vendor, cmd);
	memset(out, 0, outlen);
	p = popen(full, "r");
	ck_assert_ptr_nonnull(p);
	while (n < outlen - 1 && (r = fread(out + n, 1, outlen - 1 - n, p)) > 0)
		n += r;
	st = pclose(p);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

START_TEST(test_regress_client_under_shim)
{
	char out[4096];

	vendor = vendors[_i];
	ck_assert_int_eq(run(SHIM BUILDDIR "/tests/clients/regress", out,
	    sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "run: io exit, port 0x61, string"));
	/* The CPU was the vendor's: VMX_EXIT_IO 30, SVM_VMEXIT_IOIO 0x7B. */
	ck_assert_ptr_nonnull(strstr(out, _i == 0 ? "run: exit reason 30\n" :
	    "run: exit reason 123\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "run: #GP injected, handler's io exit on port 0xf0"));
	ck_assert_ptr_nonnull(strstr(out, "term: ok"));
}
END_TEST

START_TEST(test_regress_client_in_process)
{
	char out[4096];

	vendor = vendors[_i];
	ck_assert_int_eq(run(BUILDDIR "/tests/clients/regress_inproc", out,
	    sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, _i == 0 ? "run: exit reason 30\n" :
	    "run: exit reason 123\n"));
	ck_assert_ptr_nonnull(strstr(out, "term: ok"));
}
END_TEST

START_TEST(test_unikernel_client_under_shim)
{
	char out[4096];

	vendor = vendors[_i];
	ck_assert_int_eq(run(SHIM BUILDDIR "/tests/clients/unikernel "
	    BUILDDIR "/testdata/unikernel.bin", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "hello from a unikernel over hypercalls\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "halted through a hypercall with status 42"));
}
END_TEST

START_TEST(test_unikernel_client_in_process)
{
	char out[4096];

	vendor = vendors[_i];
	ck_assert_int_eq(run(BUILDDIR "/tests/clients/unikernel_inproc "
	    BUILDDIR "/testdata/unikernel.bin", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "halted through a hypercall with status 42"));
}
END_TEST

/* Everything else still reaches the C library through the shim. */
START_TEST(test_shim_passes_other_files_through)
{
	char out[256];

	vendor = vendors[_i];
	ck_assert_int_eq(run(SHIM "cat /dev/null && echo ok", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "ok\n");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("contract");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_regress_client_under_shim, 0, NVENDORS);
	tcase_add_loop_test(tc, test_regress_client_in_process, 0, NVENDORS);
	tcase_add_loop_test(tc, test_unikernel_client_under_shim, 0, NVENDORS);
	tcase_add_loop_test(tc, test_unikernel_client_in_process, 0, NVENDORS);
	tcase_add_loop_test(tc, test_shim_passes_other_files_through, 0,
	    NVENDORS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
