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
 * `vmmsim run` end to end, through the command itself: string port I/O
 * (REP INSB from fw_cfg across run-loop batches, REP OUTSB with DF clear
 * and set), a guest reset ending the run with status 0, --reboot
 * starting the guest again, the time limit, usage errors, and SeaBIOS
 * from Debian's package up to its banner and PCI probe.
 */

#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VMMSIM		BUILDDIR "/vmmsim"
#define RUN_ROM		BUILDDIR "/testdata/run_rom.bin"
#define SEABIOS		"/usr/share/seabios/bios.bin"

static const char *const vendors[] = { "intel", "amd" };

/*
 * Run a shell command with no console input (stdin from /dev/null, so
 * that halts are not paced and no terminal is touched); its stdout into
 * out, its exit status back.
 */
static int
sh(const char *cmd, char *out, size_t len)
{
	char full[1024];
	FILE *fp;
	size_t n;
	int st;

	snprintf(full, sizeof(full), "exec </dev/null; %s", cmd);
	fp = popen(full, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	st = pclose(fp);
	ck_assert_msg(WIFEXITED(st), "%s: did not exit", cmd);
	return (WEXITSTATUS(st));
}

START_TEST(test_string_io_then_reset_ends_run_with_0)
{
	char out[4096];
	int st;

	char cmd[512];

	snprintf(cmd, sizeof(cmd), VMMSIM " run --vendor %s --bios " RUN_ROM
	    " 2>&1", vendors[_i]);
	st = sh(cmd, out, sizeof(out));
	ck_assert_int_eq(st, 0);
	/* "QEMU" by REP INSB then REP OUTSB; "abc" read backwards (DF=1). */
	ck_assert_str_eq(out, "QEMUabc\n");
}
END_TEST

START_TEST(test_reboot_starts_the_guest_again)
{
	char out[4096];
	int st;

	char cmd[512];

	snprintf(cmd, sizeof(cmd), VMMSIM " run --vendor %s --reboot --bios "
	    RUN_ROM " 2>/dev/null", vendors[_i]);
	st = sh(cmd, out, sizeof(out));
	/* The second boot finds its RAM mark and exits with 5: (5<<1)|1. */
	ck_assert_int_eq(st, 11);
	ck_assert_str_eq(out, "QEMUabc\nagain\n");
}
END_TEST

START_TEST(test_verbose_names_the_reset)
{
	char out[4096];
	int st;

	char cmd[512];

	snprintf(cmd, sizeof(cmd), VMMSIM " run --vendor %s -v --bios " RUN_ROM
	    " 2>&1 >/dev/null", vendors[_i]);
	st = sh(cmd, out, sizeof(out));
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "port 0xcf9 reset"));
}
END_TEST

START_TEST(test_usage_errors_exit_2)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run 2>/dev/null", out, sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " run --bios x -k y 2>/dev/null", out,
	    sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " run -m 12Q --bios x 2>/dev/null", out,
	    sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " run --max-time 0 --bios x 2>/dev/null",
	    out, sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " run --vendor via --bios x 2>/dev/null",
	    out, sizeof(out)), 2);
	ck_assert_int_eq(sh(VMMSIM " run --help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "--reboot"));
}
END_TEST

START_TEST(test_missing_image_fails_with_reason)
{
	char out[4096];
	int st;

	st = sh(VMMSIM " run --bios /nonexistent/bios.bin 2>&1", out,
	    sizeof(out));
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_nonnull(strstr(out, "/nonexistent/bios.bin"));
}
END_TEST

START_TEST(test_seabios_banner_and_pci_probe)
{
	char out[16384];
	int st;

	if (access(SEABIOS, R_OK) != 0) {
		fprintf(stderr, "check_dev_run: skipped: %s is absent "
		    "(Debian package seabios)\n", SEABIOS);
		return;
	}
	st = sh(VMMSIM " run --max-time 4ms --bios " SEABIOS " 2>/dev/null",
	    out, sizeof(out));
	ck_assert_int_eq(st, 124);		/* the time limit */
	ck_assert_ptr_nonnull(strstr(out, "SeaBIOS (version "));
	ck_assert_ptr_nonnull(strstr(out, "QEMU fw_cfg DMA interface "
	    "supported"));
	ck_assert_ptr_nonnull(strstr(out, "qemu/e820: addr 0x0000000000100000 "
	    "len 0x000000001ff00000 [RAM]"));
	/* The host bridge and virtio-rnd, in vmd's slots. */
	ck_assert_ptr_nonnull(strstr(out, "Found 2 PCI devices"));
}
END_TEST

static Suite *
run_suite(void)
{
	Suite *s = suite_create("dev_run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 120);
	/* Once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tc, test_string_io_then_reset_ends_run_with_0, 0, 2);
	tcase_add_loop_test(tc, test_reboot_starts_the_guest_again, 0, 2);
	tcase_add_loop_test(tc, test_verbose_names_the_reset, 0, 2);
	tcase_add_test(tc, test_usage_errors_exit_2);
	tcase_add_test(tc, test_missing_image_fails_with_reason);
	tcase_add_test(tc, test_seabios_banner_and_pci_probe);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(run_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
