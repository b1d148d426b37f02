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

#include <unistd.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The fixture's helpers this file does not need are not errors here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "emu_fixture.h"
#pragma GCC diagnostic pop
#include "emu/svm_vmcb.h"
#include "vmmsim_trace.h"

#define VMMSIM		BUILDDIR "/vmmsim"
#define BARE_VMX	BUILDDIR "/testdata/bare_vmx.bin"
#define BARE_SVM	BUILDDIR "/testdata/bare_svm.bin"
#define BARE_VMXERR	BUILDDIR "/testdata/bare_vmxerr.bin"
#define BARE_XAPIC	BUILDDIR "/testdata/bare_xapic.bin"
#define BARE_MODEERR	BUILDDIR "/testdata/bare_modeerr.bin"
#define BARE_GIF	BUILDDIR "/testdata/bare_gif.bin"
#define BENCH_VMX	BUILDDIR "/testdata/bench_nested_vmx.bin"
#define BENCH_SVM	BUILDDIR "/testdata/bench_nested_svm.bin"

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
 * VMPTRLD, VMREAD and VMXON at CPL 3 in VMX operation: #GP(0).
 */
static const char vmxerr_log[] =
    "vmread-outside-vmx ud\n"
    "vmxon-cr4.vmxe-clear ud\n"
    "vmxon-feature-control-unlocked gp\n"
    "vmxon-misaligned fi\n"
    "vmxon ok\n"
    "vmptrld-cpl3 gp\n"
    "vmread-cpl3 gp\n"
    "vmxon-cpl3 gp\n"
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
	/* src/emu has no CPL (its caller is a kernel): SDM's #GP(0). */
	drop_line(out, "vmptrld-cpl3 ");
	drop_line(out, "vmread-cpl3 ");
	drop_line(out, "vmxon-cpl3 ");
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
/*
 * An L2 that never exits (the nested-exits benchmark's guest with "1s":
 * L2 spins on NOPs, L1 has no external-interrupt exiting, no preemption
 * timer, no INTR intercept): --max-time ends the run at the VM's time
 * (124), L2's instructions advance it (the outer host tick, every 1 ms,
 * brings L1's VMLAUNCH/VMRUN back to the monitor), SIGTERM ends it (0),
 * and two runs are identical.
 */
/*
 * Whether process pid is vmmsim itself (not libtool's wrapper script)
 * with SIGTERM blocked or caught: from then on a SIGTERM stops the run
 * (exit 0); before, it kills the process as it would any program still
 * starting up (143), which a loaded machine can stretch past a second.
 */
static int
term_handled(pid_t pid)
{
	char path[64], exe[4096], line[256];
	unsigned long long blk = 0, cgt = 0;
	const unsigned long long term = 1ULL << (SIGTERM - 1);
	ssize_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return (0);
	exe[n] = '\0';
	if (strstr(exe, "vmmsim") == NULL)
		return (0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), fp) != NULL) {
		(void)sscanf(line, "SigBlk: %llx", &blk);
		(void)sscanf(line, "SigCgt: %llx", &cgt);
	}
	fclose(fp);
	return (((blk | cgt) & term) != 0);
}

/*
 * Start `vmmsim run` on bin, let its guest spin for a while once SIGTERM
 * is vmmsim's to handle, send SIGTERM: the exit status.
 */
static int
term_when_running(const char *vendor, const char *bin)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct timespec spin = { 0, 300 * 1000 * 1000 };
	pid_t pid;
	int i, st;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execl(VMMSIM, "vmmsim", "run", "--bare-metal", "--vendor",
		    vendor, "--append", "1s", "-k", bin, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 6000 && !term_handled(pid); i++)
		nanosleep(&tick, NULL);
	ck_assert_msg(i < 6000, "vmmsim run never took SIGTERM over");
	nanosleep(&spin, NULL);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "vmmsim run ended by signal %d",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return (WEXITSTATUS(st));
}

static void
spin_check(const char *vendor, const char *bin, const char *insn)
{
	static char a[65536], b[65536];
	char cmd[1024], path[64], want[128];
	int i;

	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor %s -v "
	    "--max-time 50ms --append 1s -k %s 2>&1", vendor, bin);
	ck_assert_int_eq(sh(cmd, a, sizeof(a)), 124);
	ck_assert_int_eq(sh(cmd, b, sizeof(b)), 124);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "time limit"));

	snprintf(path, sizeof(path), "/tmp/check_bare_spin.%d.vmt",
	    (int)getpid());
	for (i = 0; i < 2; i++) {
		char *t = i == 0 ? a : b;

		snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor "
		    "%s --max-time 5ms --append 1s --trace %s -k %s "
		    ">/dev/null 2>&1; " VMMSIM " trace %s", vendor, path, bin,
		    path);
		ck_assert_int_eq(sh(cmd, t, sizeof(a)), 0);
	}
	unlink(path);
	ck_assert_str_eq(a, b);
	snprintf(want, sizeof(want), "t=4000000ns vm1/0 %s", insn);
	ck_assert_msg(strstr(a, want) != NULL, "no %s in %s", want, a);

	ck_assert_int_eq(term_when_running(vendor, bin), 0);
}

START_TEST(test_vmx_l2_that_never_exits_is_bounded)
{
	spin_check("intel", BENCH_VMX, "VMX_EXIT_VMLAUNCH");
}
END_TEST

START_TEST(test_svm_l2_that_never_exits_is_bounded)
{
	spin_check("amd", BENCH_SVM, "SVM_VMEXIT_VMRUN");
}
END_TEST

/*
 * testdata/bare_gif.asm: the PIT's interrupt comes due while L1 spins
 * with GIF clear; it is taken right after STGI, not before (status 1:
 * both checks passed).  The same guest without its CLGI takes it during
 * the spin, so the check does see the timer.
 */
START_TEST(test_svm_gif_holds_interrupts_into_l1)
{
	char a[4096], b[4096];

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd -v "
	    "--max-time 1s -k " BARE_GIF " 2>&1", a, sizeof(a)), 1);
	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd -v "
	    "--max-time 1s -k " BARE_GIF " 2>&1", b, sizeof(b)), 1);
	ck_assert_str_eq(a, b);
}
END_TEST

/*
 * testdata/bare_modeerr.asm: #GP(0) for VMRUN, VMLOAD and STGI at CPL 3
 * (src/emu has no CPL: its caller is a kernel), #UD for VMRUN and STGI
 * (AMD), VMXON (Intel, CR4.VMXE set) in real mode; the real-mode ones
 * are what src/emu gives with CR0.PE clear.
 */
START_TEST(test_mode_errors_from_guest)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	struct emu_gprs g;
	char out[4096];
	uint64_t efer, pa;
	int error;

	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor amd "
	    "--max-time 1s -k " BARE_MODEERR, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "vmrun-cpl3 gp\nvmload-cpl3 gp\nstgi-cpl3 gp\n"
	    "vmrun-real-mode ud\nstgi-real-mode ud\nbare_modeerr: done\n");
	ck_assert_int_eq(sh(VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s -k " BARE_MODEERR, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "vmxon-real-mode ud\nbare_modeerr: done\n");

	h = emu_host_create("amd", &error);
	ck_assert_ptr_nonnull(h);
	cpu = emu_cpu_create(h, &error);
	ck_assert_ptr_nonnull(cpu);
	pa = hostmem_alloc(emu_host_mem(h), 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(emu_rdmsr(cpu, MSR_EFER, &efer), 0);
	ck_assert_int_eq(emu_wrmsr(cpu, MSR_EFER, efer | EFER_SVME), 0);
	ck_assert_int_eq(emu_write_cr(cpu, 0, CR0_ET), 0);
	ck_assert_int_eq(svm_vmrun(cpu, pa, &g), SVM_FAULT_UD);
	ck_assert_int_eq(svm_stgi(cpu), SVM_FAULT_UD);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);

	h = emu_host_create(NULL, &error);
	ck_assert_ptr_nonnull(h);
	cpu = emu_cpu_create(h, &error);
	ck_assert_ptr_nonnull(cpu);
	pa = hostmem_alloc(emu_host_mem(h), 1);
	ck_assert_int_eq(emu_write_cr(cpu, 4, emu_read_cr(cpu, 4) | CR4_VMXE),
	    0);
	ck_assert_int_eq(emu_write_cr(cpu, 0, CR0_ET | CR0_NE), 0);
	ck_assert_int_eq(vmx_vmxon(cpu, pa), VMX_FAULT_UD);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

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


/* --- traces of the nested level (docs/trace-format.md, version 2) ------- */

static uint16_t
g16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

static uint32_t
g32(const uint8_t *p)
{
	return ((uint32_t)g16(p) | (uint32_t)g16(p + 2) << 16);
}

static uint64_t
g64(const uint8_t *p)
{
	return ((uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32);
}

/* A whole trace file, checked to be version 2 of vendor; free it. */
static uint8_t *
read_trace(const char *path, uint32_t vendor, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long len;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, VMMSIM_TRACE_HDR_SIZE);
	rewind(fp);
	b = malloc((size_t)len);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	ck_assert_int_eq(memcmp(b, VMMSIM_TRACE_MAGIC, 8), 0);
	ck_assert_uint_eq(g32(b + 8), 2);
	ck_assert_uint_eq(g32(b + 16), vendor);
	*lenp = (size_t)len;
	return (b);
}

/* One nested exit as the test expects it. */
struct nexit {
	uint64_t	 reason, qual, info2;
	uint64_t	 rip;
	uint8_t		 mode, insn_len;
	uint8_t		 byte0;		/* first instruction byte */
};

/*
 * Walk the records: the nested exits must be want[] in order, each right
 * after an exit of L1's VMLAUNCH/VMRESUME (VMRUN) and handed to L1;
 * every snapshot of one is nested too.  Returns the number of nested
 * snapshots; *l1_write gets RAX of L1's VMWRITE to field (VMX), or 0.
 */
static int
check_nested_exits(const uint8_t *b, size_t len, int vmx,
    const struct nexit *want, size_t nwant, uint64_t field, uint64_t *l1_write)
{
	const uint8_t *r;
	uint64_t prev = UINT64_MAX, reason;
	size_t off, n = 0;
	uint32_t size;
	uint16_t type, flags;
	int nsnap = 0, prev_nested_exit = 0;

	*l1_write = 0;
	for (off = VMMSIM_TRACE_HDR_SIZE; off < len; off += size) {
		r = b + off;
		type = g16(r);
		flags = g16(r + 2);
		size = g32(r + 4);
		ck_assert_uint_ge(size, VMMSIM_TREC_HDR_SIZE);
		ck_assert_uint_le(off + size, len);
		if (type == VMMSIM_TREC_SNAP) {
			/* A snapshot follows its own exit, at the same level. */
			ck_assert_int_eq(!!(flags & VMMSIM_TREC_NESTED),
			    prev_nested_exit);
			nsnap += prev_nested_exit;
			continue;
		}
		if (type != VMMSIM_TREC_EXIT)
			continue;
		ck_assert_uint_eq(size, VMMSIM_TREC_EXIT_SIZE);
		reason = g64(r + VMMSIM_TEXIT_REASON);
		prev_nested_exit = (flags & VMMSIM_TREC_NESTED) != 0;
		if (!prev_nested_exit) {
			if (vmx && reason == 25 &&	/* VMWRITE */
			    g64(r + VMMSIM_TEXIT_RDX) == field)
				*l1_write = g64(r + VMMSIM_TEXIT_RAX);
			ck_assert_uint_ne(r[VMMSIM_TEXIT_ACTION],
			    VMMSIM_TACT_L1);
			prev = reason;
			continue;
		}
		ck_assert_uint_lt(n, nwant);
		/* VMLAUNCH 20, VMRESUME 24; SVM VMRUN 0x80. */
		if (vmx)
			ck_assert(prev == 20 || prev == 24);
		else
			ck_assert_uint_eq(prev, 0x80);
		ck_assert_uint_eq(reason, want[n].reason);
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_QUAL), want[n].qual);
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_INFO2), want[n].info2);
		ck_assert_uint_eq(g64(r + VMMSIM_TEXIT_RIP), want[n].rip);
		ck_assert_uint_eq(r[VMMSIM_TEXIT_MODE], want[n].mode);
		ck_assert_uint_eq(r[VMMSIM_TEXIT_INSN_LEN], want[n].insn_len);
		/* Fetched through L2's view: L1's EPT/NPT maps it at 4 MiB. */
		ck_assert_uint_ge(r[VMMSIM_TEXIT_NBYTES], 1);
		ck_assert_uint_eq(r[VMMSIM_TEXIT_BYTES], want[n].byte0);
		ck_assert_uint_eq(r[VMMSIM_TEXIT_ACTION], VMMSIM_TACT_L1);
		ck_assert_uint_eq(r[VMMSIM_TEXIT_INJECT], VMMSIM_TINJECT_NONE);
		n++;
	}
	ck_assert_uint_eq(n, nwant);
	return (nsnap);
}

/* The exits bare_vmx.asm's L2 takes, as its log shows them. */
static const struct nexit vmx_nested[] = {
	{ 0x1e, 0x00800040, 0, 0x02, 32, 2, 0xE6 },	/* OUT 0x80, AL */
	{ 0x0a, 0, 0, 0x06, 32, 2, 0x0F },		/* CPUID */
	{ 0x1e, 0x00810043, 0, 0x0a, 32, 2, 0xE7 },	/* OUT 0x81, EAX */
	{ 0x30, 0x181, 0x200010, 0x0c, 32, 5, 0xA1 },	/* EPT violation */
	{ 0x1e, 0x00810043, 0, 0x11, 32, 2, 0xE7 },	/* after INVEPT */
	{ 0x0c, 0, 0, 0x13, 32, 1, 0xF4 },		/* HLT */
};

#define TRACE_FILE	"/tmp/check_bare_trace.%d"

/*
 * bare_vmx.asm traced with every snapshot: its L2's six exits are in the
 * file as nested records, each after L1's VMLAUNCH or VMRESUME, with
 * their qualifications and instruction bytes, and a nested snapshot each.
 */
START_TEST(test_vmx_trace_records_nested_exits)
{
	char path[64], cmd[256], out[4096];
	uint8_t *b;
	size_t len;
	uint64_t eptp;

	snprintf(path, sizeof(path), TRACE_FILE, (int)getpid());
	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s --trace %s --snap all -k " BARE_VMX, path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	ck_assert_str_eq(out, vmx_log);
	b = read_trace(path, VMMSIM_TRACE_VENDOR_INTEL, &len);
	ck_assert_int_eq(check_nested_exits(b, len, 1, vmx_nested, 6,
	    0x201A, &eptp), 6);
	ck_assert_uint_eq(eptp, 0x82001E);	/* L1's VMWRITE of its EPTP */
	free(b);

	/* vmmsim trace lists them, and only them at level 2. */
	snprintf(cmd, sizeof(cmd), VMMSIM " trace --level 2 %s | cut -d'|' "
	    "-f1,3", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "L2 VMX_EXIT_IO: out port 0x80, 1 "
	    "byte, port immediate | to the guest's hypervisor\n"));
	ck_assert_ptr_nonnull(strstr(out, "L2 VMX_EXIT_EPT_VIOLATION: gpa "
	    "0x200010, read, entry not present"));
	ck_assert_ptr_nonnull(strstr(out, "L2 VMX_EXIT_HLT: halt"));
	snprintf(cmd, sizeof(cmd), VMMSIM " trace --level 2 %s | wc -l", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_int_eq(atoi(out), 6);
	snprintf(cmd, sizeof(cmd), VMMSIM " trace --level 2 --json %s | "
	    "grep -c '\"level\":2,.*\"action\":\"l1\"'", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_int_eq(atoi(out), 6);
	unlink(path);
}
END_TEST

/*
 * vmmsim vmcs --nested shows the guest hypervisor's VMCS (its EPTP and
 * HOST_RIP are what L1 wrote with VMWRITE), and vmmsim ept walks its EPT
 * to the missing PDE of L2's EPT violation.
 */
START_TEST(test_vmx_trace_shows_l1s_vmcs_and_ept)
{
	char path[64], cmd[256], out[16384], want[128];
	uint8_t *b;
	size_t len;
	uint64_t host_rip;

	snprintf(path, sizeof(path), TRACE_FILE, (int)getpid());
	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s --trace %s --snap all -k " BARE_VMX, path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	b = read_trace(path, VMMSIM_TRACE_VENDOR_INTEL, &len);
	(void)check_nested_exits(b, len, 1, vmx_nested, 6, 0x6C16, &host_rip);
	free(b);
	ck_assert_uint_ne(host_rip, 0);

	snprintf(cmd, sizeof(cmd), VMMSIM " vmcs --nested %s", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "(the guest's hypervisor's, at its "
	    "guest's exit)\n  #"));
	ck_assert_ptr_nonnull(strstr(out, "L2 VMX_EXIT_IO: out port 0x80"));
	ck_assert_ptr_nonnull(strstr(out, "GUEST_IA32_EPTP                   "
	    "       0x000000000082001e"));
	snprintf(want, sizeof(want), "HOST_IA32_RIP                            "
	    "0x%016llx\n", (unsigned long long)host_rip);
	ck_assert_ptr_nonnull(strstr(out, want));
	/* L2's own state: its first exit is at RIP 2 (OUT after MOV). */
	ck_assert_ptr_nonnull(strstr(out, "GUEST_IA32_RIP                   "
	    "        0x0000000000000002"));

	snprintf(cmd, sizeof(cmd), VMMSIM " ept --nested %s 0x200010", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "EPTP 0x82001e: memory type WB"));
	ck_assert_ptr_nonnull(strstr(out, "PDE   [  1] at HPA 0x822008 = "
	    "0x0000000000000000  ---  not present"));
	snprintf(cmd, sizeof(cmd), VMMSIM " ept --nested %s 0x10", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "gpa 0x10 -> HPA 0x400010\n"));
	unlink(path);
}
END_TEST

/*
 * Without --snap nothing is snapshot; --snap N takes exactly the nested
 * exit N, and vmmsim vmcs without --nested finds it first.
 */
START_TEST(test_vmx_trace_snap_at_nested_exit)
{
	char path[64], cmd[512], out[16384];
	uint8_t *b;
	size_t len;
	uint64_t v;
	unsigned long long seq;
	char *p;

	snprintf(path, sizeof(path), TRACE_FILE, (int)getpid());
	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s --trace %s -k " BARE_VMX, path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	b = read_trace(path, VMMSIM_TRACE_VENDOR_INTEL, &len);
	ck_assert_int_eq(check_nested_exits(b, len, 1, vmx_nested, 6, 0, &v),
	    0);
	free(b);
	snprintf(cmd, sizeof(cmd), VMMSIM " trace --level 2 --reason "
	    "EPT_VIOLATION %s", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_int_eq(out[0], '#');
	seq = strtoull(out + 1, &p, 10);
	ck_assert_int_eq(*p, ' ');

	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s --trace %s --snap %llu -k " BARE_VMX, path, seq);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	b = read_trace(path, VMMSIM_TRACE_VENDOR_INTEL, &len);
	ck_assert_int_eq(check_nested_exits(b, len, 1, vmx_nested, 6, 0, &v),
	    1);
	free(b);
	snprintf(cmd, sizeof(cmd), VMMSIM " vmcs %s | head -2", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "L2 VMX_EXIT_EPT_VIOLATION"));
	snprintf(cmd, sizeof(cmd), VMMSIM " vmcs %s | grep "
	    "'GUEST_PHYSICAL_ADDRESS '", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "0x0000000000200010"));
	unlink(path);
}
END_TEST

/*
 * bare_vmxerr.asm's failed VMLAUNCHes, explained in the trace as L1's:
 * the bad control and host-state fields (VMfailValid 7, 8) after L1's
 * VMLAUNCH exit, the bad guest RFLAGS after L2's exit 33 | bit 31.
 */
START_TEST(test_vmx_trace_explains_l1s_failed_vmlaunch)
{
	char path[64], cmd[256], out[16384];
	const char *p;

	snprintf(path, sizeof(path), TRACE_FILE, (int)getpid());
	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor intel "
	    "--max-time 1s --trace %s -k " BARE_VMXERR, path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	snprintf(cmd, sizeof(cmd), VMMSIM " trace %s | grep -v "
	    "'VMX_EXIT_IO\\|VMREAD\\|VMWRITE' | cut -d'|' -f1", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	p = strstr(out, "VMX_EXIT_VMLAUNCH \n!entry-failure t=9499ns vm1/0 L1's "
	    "VMLAUNCH: VMfailValid, VM-instruction error 7 (VM entry with "
	    "invalid control field(s))\n"
	    "  check:  ctl_pinbased_reserved (SDM Vol. 3C §27.2.1.1)\n");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "L1's VMLAUNCH: VMfailValid, VM-instruction error 8");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, "check:  host_cr4_fixed"));
	p = strstr(p, "L2 VMX_EXIT_ENTRY_FAILED_GUEST_STATE: VM-entry "
	    "failure, qualification 0 \n!entry-failure t=10104ns vm1/0 L1's "
	    "VMLAUNCH: VMX_EXIT_ENTRY_FAILED_GUEST_STATE at exit #");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, "  check:  guest_rflags_reserved "
	    "(SDM Vol. 3C §27.3.1.4)\n  rule:   RFLAGS reserved bits are 0 "
	    "and bit 1 is 1\n  values: VMCS_GUEST_IA32_RFLAGS=0"));
	p = strstr(p, "L1's VMLAUNCH: VMfailValid, VM-instruction error 4");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, "none to blame"));
	unlink(path);
}
END_TEST

/* bare_svm.asm's L2 exits: EXITCODE, EXITINFO1, EXITINFO2 of its log. */
static const struct nexit svm_nested[] = {
	{ 0x7b, 0x800110, 0x4, 0x02, 32, 2, 0xE6 },	/* OUT 0x80, AL */
	{ 0x72, 0, 0, 0x06, 32, 2, 0x0F },		/* CPUID */
	{ 0x7b, 0x810140, 0xc, 0x0a, 32, 2, 0xE7 },	/* OUT 0x81, EAX */
	{ 0x400, 0x100000004ULL, 0x200010, 0x0c, 32, 0, 0xA1 },	/* NPF */
	{ 0x7b, 0x810140, 0x13, 0x11, 32, 2, 0xE7 },	/* after INVLPGA */
	{ 0x81, 0, 0, 0x13, 32, 3, 0x0F },		/* VMMCALL */
	{ 0x78, 0, 0, 0x16, 32, 1, 0xF4 },		/* HLT */
	/* ASID 0: VMRUN left the VMCB's nRIP of the HLT exit as it was. */
	{ (uint64_t)-1, 0, 0, 0x16, 32, 1, 0xF4 },
};

/*
 * bare_svm.asm traced: its L2's exits as nested records after L1's
 * VMRUN, L1's VMCB in vmmsim vmcs --nested (its nCR3), its NPT walked,
 * and the VMRUN with ASID 0 explained.
 */
START_TEST(test_svm_trace_records_nested_exits)
{
	char path[64], cmd[256], out[16384];
	uint8_t *b;
	size_t len;
	uint64_t v;

	snprintf(path, sizeof(path), TRACE_FILE, (int)getpid());
	snprintf(cmd, sizeof(cmd), VMMSIM " run --bare-metal --vendor amd "
	    "--max-time 1s --trace %s --snap all -k " BARE_SVM, path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 1);
	ck_assert_str_eq(out, svm_log);
	b = read_trace(path, VMMSIM_TRACE_VENDOR_AMD, &len);
	ck_assert_int_eq(check_nested_exits(b, len, 0, svm_nested, 8, 0, &v),
	    8);
	free(b);

	snprintf(cmd, sizeof(cmd), VMMSIM " trace --level 2 %s | cut -d'|' "
	    "-f1", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "L2 SVM_VMEXIT_NPF: gpa 0x200010, "
	    "read, entry not present"));
	ck_assert_ptr_nonnull(strstr(out, "L2 SVM_VMEXIT_INVALID \n"
	    "!entry-failure t=13142ns vm1/0 L1's VMRUN: SVM_VMEXIT_INVALID at "
	    "exit #"));
	ck_assert_ptr_nonnull(strstr(out, "  check:  asid_zero (APM Vol. 2 "
	    "§15.5.1)\n"));

	snprintf(cmd, sizeof(cmd), VMMSIM " vmcs --nested %s", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "VMCB of vm1/0 at exit #"));
	ck_assert_ptr_nonnull(strstr(out, "(the guest's hypervisor's, at its "
	    "guest's exit)"));
	ck_assert_ptr_nonnull(strstr(out, "L2 SVM_VMEXIT_IOIO: out port "
	    "0x80"));
	/* bare_svm.asm's NPT_PML4 */
	ck_assert_ptr_nonnull(strstr(out, "N_CR3                    +0b0 "
	    "0x0000000000820000\n"));
	snprintf(cmd, sizeof(cmd), VMMSIM " ept --nested %s 0x10", path);
	ck_assert_int_eq(sh(cmd, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "NPT walk of gpa 0x10"));
	ck_assert_ptr_nonnull(strstr(out, "the guest's hypervisor's tables"));
	ck_assert_ptr_nonnull(strstr(out, "gpa 0x10 -> HPA 0x400010\n"));
	unlink(path);
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
	tcase_add_test(tc, test_vmx_trace_records_nested_exits);
	tcase_add_test(tc, test_vmx_trace_shows_l1s_vmcs_and_ept);
	tcase_add_test(tc, test_vmx_trace_snap_at_nested_exit);
	tcase_add_test(tc, test_vmx_trace_explains_l1s_failed_vmlaunch);
	tcase_add_test(tc, test_vmx_l2_that_never_exits_is_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("svm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_svm_hypervisor_runs_its_guest);
	tcase_add_test(tc, test_svm_hypervisor_is_deterministic);
	tcase_add_test(tc, test_without_bare_metal_cpuid_has_no_svm);
	tcase_add_test(tc, test_intel_bare_metal_has_no_svm);
	tcase_add_test(tc, test_svm_errors_match_emu);
	tcase_add_test(tc, test_xapic_page_reads_back);
	tcase_add_test(tc, test_svm_trace_records_nested_exits);
	tcase_add_test(tc, test_svm_l2_that_never_exits_is_bounded);
	tcase_add_test(tc, test_svm_gif_holds_interrupts_into_l1);
	tcase_add_test(tc, test_mode_errors_from_guest);
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
