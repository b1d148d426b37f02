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
 * Bare-metal mode (issue #10, docs/bare-metal.md), through the vmmsim
 * command: testdata/bare_vmx.asm (bare_svm.asm for AMD) is a small
 * hypervisor booted by the multiboot loader.  It enters VMX operation, builds a VMCS and EPT
 * tables, runs a guest that does I/O, CPUID, an EPT violation and HLT,
 * checks every exit field it reads, and reports through port 0xF4
 * (status 1 when every check passed, else (check << 1) | 1).
 */

#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMMSIM		BUILDDIR "/vmmsim"
#define BARE_VMX	BUILDDIR "/testdata/bare_vmx.bin"
#define BARE_SVM	BUILDDIR "/testdata/bare_svm.bin"

/* The hypervisor's COM1 log: L2's exits as it saw them, then its verdict. */
static const char vmx_log[] =
    "exit 0000001e 00800040\n"		/* OUT 0x80, AL */
    "exit 0000000a 00000000\n"		/* CPUID */
    "exit 0000001e 00810043\n"		/* OUT 0x81, EAX */
    "exit 00000030 00000181\n"		/* EPT violation: read, GLA valid */
    "exit 0000001e 00810043\n"		/* the load again, after INVEPT */
    "exit 0000000c 00000000\n"		/* HLT */
    "bare_vmx: ok\n";

/*
 * testdata/bare_svm.asm's log: EXITCODE, EXITINFO1, EXITINFO2 of each
 * #VMEXIT (its checks before VMRUN: #UD while EFER.SVME is clear, #GP for
 * a misaligned VM_HSAVE_PA, VMSAVE/VMLOAD of KernelGSbase).
 */
static const char svm_log[] =
    "exit 0000007b 0000000000800110 0000000000000004\n" /* OUT 0x80, AL */
    "exit 00000072 0000000000000000 0000000000000000\n" /* CPUID */
    "exit 0000007b 0000000000810140 000000000000000c\n" /* OUT 0x81, EAX */
    "exit 00000400 0000000100000004 0000000000200010\n" /* NPF: read */
    "exit 0000007b 0000000000810140 0000000000000013\n" /* after INVLPGA */
    "exit 00000081 0000000000000000 0000000000000000\n" /* VMMCALL */
    "exit 00000078 0000000000000000 0000000000000000\n" /* HLT */
    "bare_svm: ok\n";

/* Run a shell command without console input; stdout into out. */
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

START_TEST(test_vmx_hypervisor_runs_its_guest)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s -k " BARE_VMX, out, sizeof(out)), 1);
	ck_assert_str_eq(out, vmx_log);
}
END_TEST

START_TEST(test_vmx_hypervisor_is_deterministic)
{
	char a[4096], b[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel -v "
	    "--max-time 1s -k " BARE_VMX " 2>&1", a, sizeof(a)), 1);
	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel -v "
	    "--max-time 1s -k " BARE_VMX " 2>&1", b, sizeof(b)), 1);
	ck_assert_str_eq(a, b);
	/* The summary line counts the outer exits: L1's VMX instructions. */
	ck_assert_ptr_nonnull(strstr(a, "debug exit"));
}
END_TEST

/* Without the flag CPUID has no VMX: check 1 fails, (1 << 1) | 1. */
START_TEST(test_without_bare_metal_cpuid_has_no_vmx)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --vendor intel --max-time 1s -k "
	    BARE_VMX, out, sizeof(out)), 3);
	ck_assert_str_eq(out, "bare_vmx: FAIL 00000001\n");
}
END_TEST

/* An AMD CPU has no VMX, bare metal or not. */
START_TEST(test_amd_bare_metal_has_no_vmx)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd "
	    "--max-time 1s -k " BARE_VMX, out, sizeof(out)), 3);
	ck_assert_str_eq(out, "bare_vmx: FAIL 00000001\n");
}
END_TEST

START_TEST(test_svm_hypervisor_runs_its_guest)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd "
	    "--max-time 1s -k " BARE_SVM, out, sizeof(out)), 1);
	ck_assert_str_eq(out, svm_log);
}
END_TEST

START_TEST(test_svm_hypervisor_is_deterministic)
{
	char a[4096], b[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd -v "
	    "--max-time 1s -k " BARE_SVM " 2>&1", a, sizeof(a)), 1);
	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd -v "
	    "--max-time 1s -k " BARE_SVM " 2>&1", b, sizeof(b)), 1);
	ck_assert_str_eq(a, b);
}
END_TEST

/* Without the flag an AMD guest has no SVM: check 1, (1 << 1) | 1. */
START_TEST(test_without_bare_metal_cpuid_has_no_svm)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --vendor amd --max-time 1s -k "
	    BARE_SVM, out, sizeof(out)), 3);
	ck_assert_str_eq(out, "bare_svm: FAIL 00000001\n");
}
END_TEST

/* An Intel CPU has no SVM, bare metal or not. */
START_TEST(test_intel_bare_metal_has_no_svm)
{
	char out[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s -k " BARE_SVM, out, sizeof(out)), 3);
	ck_assert_str_eq(out, "bare_svm: FAIL 00000001\n");
}
END_TEST

static Suite *
bare_suite(void)
{
	Suite *s = suite_create("bare");
	TCase *tc = tcase_create("vmx");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vmx_hypervisor_runs_its_guest);
	tcase_add_test(tc, test_vmx_hypervisor_is_deterministic);
	tcase_add_test(tc, test_without_bare_metal_cpuid_has_no_vmx);
	tcase_add_test(tc, test_amd_bare_metal_has_no_vmx);
	suite_add_tcase(s, tc);

	tc = tcase_create("svm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_svm_hypervisor_runs_its_guest);
	tcase_add_test(tc, test_svm_hypervisor_is_deterministic);
	tcase_add_test(tc, test_without_bare_metal_cpuid_has_no_svm);
	tcase_add_test(tc, test_intel_bare_metal_has_no_svm);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(bare_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
