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

/* The fixture's helpers this file does not need are not errors here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "emu_fixture.h"
#pragma GCC diagnostic pop
#include "emu/svm_vmcb.h"

#define VMMSIM		BUILDDIR "/vmmsim"
#define BARE_VMX	BUILDDIR "/testdata/bare_vmx.bin"
#define BARE_SVM	BUILDDIR "/testdata/bare_svm.bin"
#define BARE_VMXERR	BUILDDIR "/testdata/bare_vmxerr.bin"
#define BARE_XAPIC	BUILDDIR "/testdata/bare_xapic.bin"

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

/*
 * testdata/bare_vmxerr.asm's outcomes (SDM Vol. 3C §31.4 error numbers:
 * 10 VMPTRLD with the VMXON pointer, 5 VMRESUME of a non-launched VMCS,
 * 7/8 invalid control/host-state fields, 4 VMLAUNCH of a non-clear VMCS;
 * 33 | bit 31 an entry failing on guest state).  The profile sets
 * IA32_VMX_MISC bit 29, so VMWRITE to an exit-information field succeeds.
 */
static const char vmxerr_log[] =
    "vmread-outside-vmx ud\n"
    "vmxon-cr4.vmxe-clear ud\n"
    "vmxon-feature-control-unlocked gp\n"
    "vmxon-misaligned fi\n"
    "vmxon ok\n"
    "vmptrld-vmxon-pointer fv 0000000a\n"
    "vmresume-clear-vmcs fv 00000005\n"
    "vmwrite-read-only ok\n"
    "vmlaunch-bad-control fv 00000007\n"
    "vmlaunch-bad-host-state fv 00000008\n"
    "vmlaunch-bad-guest-state exit 80000021\n"
    "vmlaunch exit 0000000c\n"
    "vmlaunch-launched-vmcs fv 00000004\n"
    "vmxoff ok\n"
    "bare_vmxerr: done\n";

/* An outcome as bare_vmxerr.asm prints it. */
static void
outcome(char *buf, size_t len, const char *name, struct emu_cpu *cpu,
    enum vmx_result r)
{
	size_t n = strlen(buf);

	switch (r) {
	case VMX_FAULT_UD:
		snprintf(buf + n, len - n, "%s ud\n", name);
		break;
	case VMX_FAULT_GP:
		snprintf(buf + n, len - n, "%s gp\n", name);
		break;
	case VMX_FAIL_INVALID:
		snprintf(buf + n, len - n, "%s fi\n", name);
		break;
	case VMX_FAIL_VALID:
		snprintf(buf + n, len - n, "%s fv %08x\n", name,
		    vmx_last_error(cpu));
		break;
	default:
		snprintf(buf + n, len - n, "%s ok\n", name);
		break;
	}
}

static void
outcome_exit(char *buf, size_t len, const char *name, struct fx *fx,
    enum vmx_result r)
{
	size_t n = strlen(buf);

	if (r != VMX_SUCCEED) {
		outcome(buf, len, name, fx->cpu, r);
		return;
	}
	snprintf(buf + n, len - n, "%s exit %08x\n", name,
	    (uint32_t)fx_vmread(fx, VMCS_EXIT_REASON));
}

/*
 * The same cases driven on src/emu directly, as src/vmm drives it, in the
 * log's format (but the IA32_FEATURE_CONTROL case: the emu's CPU starts
 * with it locked by firmware).
 */
static void
vmxerr_direct(char *buf, size_t len)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	struct fx fx;
	uint64_t v, pa;
	int error;

	buf[0] = '\0';
	h = emu_host_create(NULL, &error);
	ck_assert_ptr_nonnull(h);
	cpu = emu_cpu_create(h, &error);
	ck_assert_ptr_nonnull(cpu);
	pa = hostmem_alloc(emu_host_mem(h), 1);
	outcome(buf, len, "vmread-outside-vmx", cpu,
	    vmx_vmread(cpu, VMCS_EXIT_REASON, &v));
	outcome(buf, len, "vmxon-cr4.vmxe-clear", cpu, vmx_vmxon(cpu, pa));
	ck_assert_int_eq(emu_write_cr(cpu, 4, emu_read_cr(cpu, 4) | CR4_VMXE),
	    0);
	outcome(buf, len, "vmxon-misaligned", cpu, vmx_vmxon(cpu, pa + 8));
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);

	fx_init(&fx);		/* VMXON, a clear current VMCS */
	snprintf(buf + strlen(buf), len - strlen(buf), "vmxon ok\n");
	outcome(buf, len, "vmptrld-vmxon-pointer", fx.cpu,
	    vmx_vmptrld(fx.cpu, fx.vmxon));
	outcome(buf, len, "vmresume-clear-vmcs", fx.cpu,
	    vmx_vmresume(fx.cpu, &fx.regs));
	outcome(buf, len, "vmwrite-read-only", fx.cpu,
	    vmx_vmwrite(fx.cpu, VMCS_EXIT_REASON, 0));
	fx_map_ram(&fx, 512);
	fx_guest_long(&fx, 0);
	fx.ram[0] = 0xF4;	/* HLT */
	v = fx_vmread(&fx, VMCS_PINBASED_CTLS);
	fx_vmwrite(&fx, VMCS_PINBASED_CTLS, 0);
	outcome(buf, len, "vmlaunch-bad-control", fx.cpu,
	    vmx_vmlaunch(fx.cpu, &fx.regs));
	fx_vmwrite(&fx, VMCS_PINBASED_CTLS, v);
	v = fx_vmread(&fx, VMCS_HOST_IA32_CR4);
	fx_vmwrite(&fx, VMCS_HOST_IA32_CR4, v & ~(uint64_t)CR4_VMXE);
	outcome(buf, len, "vmlaunch-bad-host-state", fx.cpu,
	    vmx_vmlaunch(fx.cpu, &fx.regs));
	fx_vmwrite(&fx, VMCS_HOST_IA32_CR4, v);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 0);
	outcome_exit(buf, len, "vmlaunch-bad-guest-state", &fx,
	    vmx_vmlaunch(fx.cpu, &fx.regs));
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 2);
	outcome_exit(buf, len, "vmlaunch", &fx,
	    vmx_vmlaunch(fx.cpu, &fx.regs));
	outcome(buf, len, "vmlaunch-launched-vmcs", fx.cpu,
	    vmx_vmlaunch(fx.cpu, &fx.regs));
	outcome(buf, len, "vmxoff", fx.cpu, vmx_vmxoff(fx.cpu));
	fx_fini(&fx);
}

/* Drop the lines of a log that start with prefix. */
static void
drop_line(char *log, const char *prefix)
{
	char *p = strstr(log, prefix), *e;

	if (p == NULL)
		return;
	if ((e = strchr(p, '\n')) != NULL)
		memmove(p, e + 1, strlen(e + 1) + 1);
}

START_TEST(test_vmx_errors_from_guest_match_emu)
{
	char out[4096], direct[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s -k " BARE_VMXERR, out, sizeof(out)), 1);
	ck_assert_str_eq(out, vmxerr_log);
	vmxerr_direct(direct, sizeof(direct));
	drop_line(out, "vmxon-feature-control-unlocked ");
	drop_line(out, "bare_vmxerr: done");
	ck_assert_str_eq(out, direct);
}
END_TEST

/*
 * bare_svm.asm's error checks (#UD for VMRUN and STGI with EFER.SVME
 * clear, #GP for a misaligned VM_HSAVE_PA, VMEXIT_INVALID for ASID 0)
 * are what src/emu gives for the same state.
 */
START_TEST(test_svm_errors_match_emu)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	struct emu_gprs g;
	struct hostmem *hm;
	uint64_t efer, pa, code = 0;
	uint8_t *vmcb;
	int error;

	h = emu_host_create("amd", &error);
	ck_assert_ptr_nonnull(h);
	cpu = emu_cpu_create(h, &error);
	ck_assert_ptr_nonnull(cpu);
	hm = emu_host_mem(h);
	pa = hostmem_alloc(hm, 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_EFER, &efer), 0);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_EFER, efer & ~EFER_SVME), 0);
	ck_assert_int_eq(svm_vmrun(cpu, pa, &g), SVM_FAULT_UD);
	ck_assert_int_eq(svm_stgi(cpu), SVM_FAULT_UD);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_EFER, efer | EFER_SVME), 0);
	ck_assert_int_ne(emu_wrmsr(cpu, MSR_VM_HSAVE_PA,
	    hostmem_alloc(hm, 1) + 8), 0);
	/* A VMCB whose only fault is ASID 0 (bare_svm.asm's at the end). */
	vmcb = hostmem_ptr(hm, pa, VMCB_SIZE);
	memcpy(vmcb + VMCB_INTERCEPT_MISC2, &(uint32_t){ SVM_INTERCEPT2_VMRUN },
	    4);
	memcpy(vmcb + VMCB_EFER, &(uint64_t){ EFER_SVME }, 8);
	memcpy(vmcb + VMCB_CR0, &(uint64_t){ CR0_PE | CR0_ET }, 8);
	memcpy(vmcb + VMCB_DR6, &(uint64_t){ 0xFFFF0FF0 }, 8);
	memcpy(vmcb + VMCB_DR7, &(uint64_t){ 0x400 }, 8);
	ck_assert_int_eq(svm_vmrun(cpu, pa, &g), SVM_SUCCEED);
	memcpy(&code, vmcb + VMCB_EXITCODE, 8);
	ck_assert_uint_eq(code, VMEXIT_INVALID);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

/*
 * The xAPIC page reads back ID, TPR, SVR, LINT0 and ICR as written, its
 * version is 0x00050014 in both vendor modes; without bare metal there is
 * no page (check 1 reads all ones: status (1 << 1) | 1).
 */
START_TEST(test_xapic_page_reads_back)
{
	char out[256];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s -k " BARE_XAPIC, out, sizeof(out)), 1);
	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd "
	    "--max-time 1s -k " BARE_XAPIC, out, sizeof(out)), 1);
	ck_assert_int_eq(sh(VMMSIM " run --vendor intel --max-time 1s -k "
	    BARE_XAPIC, out, sizeof(out)), 3);
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
	tcase_add_test(tc, test_vmx_errors_from_guest_match_emu);
	suite_add_tcase(s, tc);

	tc = tcase_create("svm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_svm_hypervisor_runs_its_guest);
	tcase_add_test(tc, test_svm_hypervisor_is_deterministic);
	tcase_add_test(tc, test_without_bare_metal_cpuid_has_no_svm);
	tcase_add_test(tc, test_intel_bare_metal_has_no_svm);
	tcase_add_test(tc, test_svm_errors_match_emu);
	tcase_add_test(tc, test_xapic_page_reads_back);
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
