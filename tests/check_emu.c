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
 * src/emu: the VMX instructions, guest execution and VM exits, as a
 * kernel sees them.  Each test programs the simulated CPU through its
 * instruction-level interface and checks the SDM's results.
 */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "emu_fixture.h"
#include "emu/emu_impl.h"

/* VMX instructions (SDM Vol. 3C ch. 31) */

START_TEST(test_vmxon_needs_cr4_vmxe)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	int error;
	uint64_t pa;

	h = emu_host_create(NULL, &error);
	cpu = emu_cpu_create(h, &error);
	pa = hostmem_alloc(emu_host_mem(h), 1);
	ck_assert_int_eq(vmx_vmxon(cpu, pa), VMX_FAULT_UD);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

START_TEST(test_vmxon_wrong_revision_fails_invalid)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	int error;
	uint64_t pa;
	uint32_t bad = 0x12345;

	h = emu_host_create(NULL, &error);
	cpu = emu_cpu_create(h, &error);
	emu_write_cr(cpu, 4, emu_read_cr(cpu, 4) | CR4_VMXE);
	pa = hostmem_alloc(emu_host_mem(h), 1);
	hostmem_write(emu_host_mem(h), pa, &bad, 4);
	ck_assert_int_eq(vmx_vmxon(cpu, pa), VMX_FAIL_INVALID);
	ck_assert_int_eq(vmx_vmxon(cpu, pa | 0x10), VMX_FAIL_INVALID);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

START_TEST(test_vmxon_in_vmx_root_fails_valid_15)
{
	struct fx fx;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmxon(fx.cpu, fx.vmxon), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMXON_IN_VMX_ROOT);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_vmx_instructions_ud_outside_vmx)
{
	struct emu_host *h;
	struct emu_cpu *cpu;
	int error;
	uint64_t v;
	struct emu_gprs regs;

	h = emu_host_create(NULL, &error);
	cpu = emu_cpu_create(h, &error);
	ck_assert_int_eq(vmx_vmclear(cpu, 0x1000), VMX_FAULT_UD);
	ck_assert_int_eq(vmx_vmptrld(cpu, 0x1000), VMX_FAULT_UD);
	ck_assert_int_eq(vmx_vmread(cpu, VMCS_GUEST_IA32_RIP, &v), VMX_FAULT_UD);
	ck_assert_int_eq(vmx_vmwrite(cpu, VMCS_GUEST_IA32_RIP, 0), VMX_FAULT_UD);
	ck_assert_int_eq(vmx_vmlaunch(cpu, &regs), VMX_FAULT_UD);
	ck_assert_int_eq(vmx_vmxoff(cpu), VMX_FAULT_UD);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

/*
 * vmx_vmread_n is n VMREADs: the same values as one at a time, every
 * width and a high half; an unsupported field ends it with VMfailValid
 * and error 12, the values before it written and none after; #UD outside
 * VMX operation, VMfailInvalid without a current VMCS.
 */
START_TEST(test_vmread_n_is_n_vmreads)
{
	static const uint32_t f[] = {
		VMCS_GUEST_IA32_CS_SEL, VMCS_GUEST_IA32_CS_LIMIT,
		VMCS_GUEST_IA32_PAT, VMCS_GUEST_IA32_PAT + 1,
		VMCS_GUEST_IA32_RIP, VMCS_EXIT_REASON, VMCS_GUEST_IA32_CR0
	};
	static const uint32_t bad[] = {
		VMCS_GUEST_IA32_RIP, VMCS_GUEST_IA32_CS_SEL, 0x7FFF,
		VMCS_GUEST_IA32_CR0
	};
	struct emu_host *h;
	struct emu_cpu *cpu;
	struct fx fx;
	uint64_t v[7], one;
	size_t i;
	int error;

	fx_init(&fx);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_CS_SEL, 0x1234);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_CS_LIMIT, 0xABCDE);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0xFFFF800012345678ULL);
	memset(v, 0xA5, sizeof(v));
	ck_assert_int_eq(vmx_vmread_n(fx.cpu, f, 7, v), VMX_SUCCEED);
	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(vmx_vmread(fx.cpu, f[i], &one), VMX_SUCCEED);
		ck_assert_uint_eq(v[i], one);
	}
	ck_assert_uint_eq(v[0], 0x1234);
	ck_assert_uint_eq(v[1], 0xABCDE);
	ck_assert_uint_eq(v[2], 0x0007040600070406ULL);
	ck_assert_uint_eq(v[3], 0x00070406);
	ck_assert_uint_eq(v[4], 0xFFFF800012345678ULL);

	memset(v, 0xA5, sizeof(v));
	ck_assert_int_eq(vmx_vmread_n(fx.cpu, bad, 4, v), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_UNSUPPORTED_COMPONENT);
	ck_assert_uint_eq(v[0], 0xFFFF800012345678ULL);
	ck_assert_uint_eq(v[1], 0x1234);
	ck_assert_uint_eq(v[2], 0xA5A5A5A5A5A5A5A5ULL);
	ck_assert_uint_eq(v[3], 0xA5A5A5A5A5A5A5A5ULL);

	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmcs), VMX_SUCCEED);
	ck_assert_int_eq(vmx_vmread_n(fx.cpu, f, 7, v), VMX_FAIL_INVALID);
	fx_fini(&fx);

	h = emu_host_create(NULL, &error);
	cpu = emu_cpu_create(h, &error);
	ck_assert_int_eq(vmx_vmread_n(cpu, f, 7, v), VMX_FAULT_UD);
	emu_cpu_destroy(cpu);
	emu_host_destroy(h);
}
END_TEST

START_TEST(test_vmclear_errors)
{
	struct fx fx;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmcs + 8), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMCLEAR_INVALID_ADDRESS);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmxon), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMCLEAR_VMXON_POINTER);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, 1ULL << 50), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMCLEAR_INVALID_ADDRESS);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_vmclear_current_makes_pointer_invalid)
{
	struct fx fx;
	uint64_t pa, v;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmptrst(fx.cpu, &pa), VMX_SUCCEED);
	ck_assert_uint_eq(pa, fx.vmcs);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmcs), VMX_SUCCEED);
	ck_assert_int_eq(vmx_vmptrst(fx.cpu, &pa), VMX_SUCCEED);
	ck_assert_uint_eq(pa, ~0ULL);
	ck_assert_int_eq(vmx_vmread(fx.cpu, VMCS_GUEST_IA32_RIP, &v),
	    VMX_FAIL_INVALID);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmxon), VMX_FAIL_INVALID);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_vmptrld_errors)
{
	struct fx fx;
	uint64_t other;
	uint32_t bad = 7;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmptrld(fx.cpu, fx.vmxon), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMPTRLD_VMXON_POINTER);
	ck_assert_int_eq(vmx_vmptrld(fx.cpu, 0x123), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_VMPTRLD_INVALID_ADDRESS);
	other = hostmem_alloc(fx.hm, 1);
	hostmem_write(fx.hm, other, &bad, 4);
	ck_assert_int_eq(vmx_vmptrld(fx.cpu, other), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_VMPTRLD_INCORRECT_REVISION);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_vmread_vmwrite_errors)
{
	struct fx fx;
	uint64_t v;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmread(fx.cpu, 0x7FFF, &v), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_UNSUPPORTED_COMPONENT);
	ck_assert_int_eq(vmx_vmwrite(fx.cpu, 1ULL << 32, 0), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu), VMXERR_UNSUPPORTED_COMPONENT);
	/* The profile lets VMWRITE reach exit-information fields only if
	 * IA32_VMX_MISC bit 29 says so. */
	if (!(fx.caps->misc & IA32_VMX_MISC_VMWRITE_ALL)) {
		ck_assert_int_eq(vmx_vmwrite(fx.cpu, VMCS_EXIT_REASON, 1),
		    VMX_FAIL_VALID);
		ck_assert_uint_eq(vmx_last_error(fx.cpu),
		    VMXERR_VMWRITE_READ_ONLY_COMPONENT);
	}
	/* 16-bit fields truncate, high halves reach bits 63:32. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_CS_SEL, 0x12345);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x2345);
	fx_vmwrite(&fx, VMCS_TSC_OFFSET, 0x1111111122222222ULL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_TSC_OFFSET_HI), 0x11111111);
	fx_fini(&fx);
}
END_TEST

/*
 * A monitor's quiet exits (VMWRITE RIP, RSP or RFLAGS, VMRESUME) take the
 * shortest way back in: the VM-entry checks remember the last pass and the
 * engine keeps the RSP and RFLAGS it saved.  What the monitor does write
 * must still count: a RIP whose bits 63:32 make it non-canonical fails the
 * entry, new RSP and RFLAGS values reach the guest.
 */
static const uint8_t quiet_loop[] = {
	0x48, 0x89, 0xE0,	/* 0x1000: mov rax, rsp */
	0xE6, 0x80,		/* 0x1003: out 0x80, al */
	0x9C,			/* 0x1005: pushfq */
	0x5B,			/* 0x1006: pop rbx */
	0xE6, 0x81,		/* 0x1007: out 0x81, al */
	0xEB, 0xF5,		/* 0x1009: jmp 0x1000 */
};

static void
quiet_exit(struct fx *fx, unsigned port, uint64_t rip)
{
	ck_assert_uint_eq(fx_run(fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    port);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_RIP), rip);
	fx_skip(fx);
}

START_TEST(test_quiet_resume_still_sees_rip_rsp_rflags)
{
	struct emu_entry_failure ef;
	struct fx fx;
	int i;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	memcpy(fx.ram + 0x1000, quiet_loop, sizeof(quiet_loop));
	fx_guest_long(&fx, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	fx_skip(&fx);
	for (i = 0; i < 4; i++) {
		quiet_exit(&fx, 0x81, 0x1007);
		ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x2);
		quiet_exit(&fx, 0x80, 0x1003);
		ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x80000);
	}
	/* RFLAGS written after quiet exits reaches the guest's PUSHFQ. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 0x2 | 0x1 | 0x40 | 0x800);
	quiet_exit(&fx, 0x81, 0x1007);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x843);
	/* And RSP its MOV. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x70000);
	quiet_exit(&fx, 0x80, 0x1003);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x70000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP), 0x70000);
	quiet_exit(&fx, 0x81, 0x1007);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x843);
	/* Bits 63:32 of RIP changed: the RIP rules run and one fails. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x0000800000001000ULL);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_ENTRY_FAILED_GUEST_STATE |
	    VMX_EXIT_REASON_ENTRY_FAILURE);
	ck_assert_int_eq(vmx_entry_failure(fx.cpu, &ef), 0);
	ck_assert_str_eq(ef.rule, "guest_rip_canonical");
	/* Back to a canonical RIP, the guest runs on. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1000);
	quiet_exit(&fx, 0x80, 0x1003);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x70000);
	/*
	 * Canonical with bits 63:32 all ones: the rules run and pass, and
	 * the guest fetches from an unmapped page (#PF, empty IDT).
	 */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0xFFFF800000001000ULL);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_TRIPLE_FAULT);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_vmlaunch_launched_and_vmresume_clear)
{
	struct fx fx;

	fx_init(&fx);
	ck_assert_int_eq(vmx_vmresume(fx.cpu, &fx.regs), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	fx_map_ram(&fx, 16);
	fx_load(&fx, "rm_basic.bin", 0x1000);
	fx_guest_real(&fx, 0, 0, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_int_eq(vmx_vmlaunch(fx.cpu, &fx.regs), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_invept_invvpid_operands)
{
	struct fx fx;
	struct vmx_invept_desc ed = { 0, 0 };
	struct vmx_invvpid_desc vd = { 0, 0 };

	fx_init(&fx);
	ed.eptp = fx.eptp;
	ck_assert_int_eq(vmx_invept(fx.cpu, 1, &ed), VMX_SUCCEED);
	ck_assert_int_eq(vmx_invept(fx.cpu, 2, &ed), VMX_SUCCEED);
	ck_assert_int_eq(vmx_invept(fx.cpu, 3, &ed), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	vd.vpid = 1;
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 1, &vd), VMX_SUCCEED);
	vd.vpid = 0;
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 1, &vd), VMX_FAIL_VALID);
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 2, &vd), VMX_SUCCEED);
	vd.vpid = 1;
	vd.linear = 0x0000800000000000ULL;	/* not canonical */
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 0, &vd), VMX_FAIL_VALID);
	vd.vpid = 0x10001;
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 2, &vd), VMX_FAIL_VALID);
	fx_fini(&fx);
}
END_TEST

/* Guest execution: real mode */

START_TEST(test_real_mode_exits_in_order)
{
	struct fx fx;
	uint64_t t0, t1;

	fx_init(&fx);
	fx_map_ram(&fx, 8);			/* 0x0000-0x7FFF */
	fx_load(&fx, "rm_basic.bin", 0x1000);
	memcpy(fx.ram + 0x2000, "abc", 3);
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_TSC_OFFSET, 1000000);

	/* out 0xE9, al: port E9, size 1, OUT, immediate operand. */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0xE9ULL << 16) | (1 << 6) | 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 2);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1002);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 0x41);
	fx_skip(&fx);

	/* in ax, dx: port 3F8, size 2, IN, DX operand. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0x3F8ULL << 16) | (1 << 3) | 1);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 1);
	fx_skip(&fx);

	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_CPUID);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 2);
	t0 = emu_cpu_vtime(fx.cpu);
	fx_skip(&fx);

	/* rdtsc ran in the guest: TSC = virtual time + offset. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_RDMSR);
	t1 = (fx.regs.r[EMU_RDX] << 32) | (fx.regs.r[EMU_RAX] & 0xFFFFFFFF);
	ck_assert_uint_eq(t1, 1000000 + t0);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0x10);
	fx_skip(&fx);

	/* mov bx, [0x9000]: GPA 0x9000 has no EPT entry. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_EPT_VIOLATION);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_PHYSICAL_ADDRESS), 0x9000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_LINEAR_ADDRESS), 0x9000);
	/* read access, not readable/writable/executable, GLA valid+final */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    0x1 | (1 << 7) | (1 << 8));
	/* The monitor maps the page and resumes at the same instruction. */
	fx_ept_map(&fx, 0x9000, fx.ram_hpa + 0x9000, 7);
	fx.ram[0x9000] = 0x5A;
	fx.ram[0x9001] = 0xA5;

	/* rep outsb: string, REP, port DX=0x3F8, from DS:SI. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX] & 0xFFFF, 0xA55A);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0x3F8ULL << 16) | (1 << 5) | (1 << 4) | 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_LINEAR_ADDRESS), 0x2000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 2);
	/* address size 16 (0), segment DS (3) */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INSTRUCTION_INFO),
	    (0 << 7) | (3 << 15));
	fx_skip(&fx);

	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 1);
	fx_fini(&fx);
}
END_TEST

/*
 * OpenBSD's flat 16-bit reset state: CS selector F000 with base FFFF0000,
 * RIP FFF0, so the first instruction comes from FFFFFFF0.
 */
START_TEST(test_reset_vector_loads_hidden_cs_base)
{
	struct fx fx;
	uint8_t *bios;
	uint64_t bios_hpa;
	size_t i;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	bios = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_int_eq(hostmem_add_ram(fx.hm, bios, 0x10000, &bios_hpa), 0);
	for (i = 0; i < 16; i++)
		fx_ept_map(&fx, 0xFFFF0000ULL + i * 4096, bios_hpa + i * 4096, 7);
	/* at FFFFFFF0: mov ax, cs; out 0x80, ax */
	memcpy(bios + 0xFFF0, "\x8c\xc8\xe7\x80", 4);
	fx_guest_real(&fx, 0xF000, 0xFFFF0000ULL, 0xFFF0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0xFFF2);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFFFF, 0xF000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_BASE), 0xFFFF0000ULL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0xF000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_AR), 0x9B);
	fx_fini(&fx);
	munmap(bios, 0x10000);
}
END_TEST


/* Guest execution: long mode, events */

#define LM_PF_INSN	0x1013
#define LM_UD_INSN	0x1016
#define LM_BP_INSN	0x1021
#define LM_PF_HANDLER	0x1100
#define LM_IRQ_HANDLER	0x1180
#define LM_USER_CODE	0x1200

static void
lm_setup(struct fx *fx)
{
	fx_init(fx);
	fx_map_ram(fx, 512);
	fx_load(fx, "lm_basic.bin", 0x1000);
	fx_guest_long(fx, 0x1000);
}

START_TEST(test_long_mode_exits_in_order)
{
	struct fx fx;
	uint64_t *pml4;

	lm_setup(&fx);
	pml4 = (uint64_t *)(fx.ram + FX_PML4);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, (1 << 3) | (1 << 6) | (1 << 14));

	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0x80ULL << 16) | (1 << 6) | 3);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x12345678);
	fx_skip(&fx);

	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_RDMSR);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0xC0000100);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 2);
	fx_skip(&fx);

	/* #PF: exception bitmap bit 14 with PFEC mask = match = 0. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000000 | (1 << 11) | (3 << 8) | 14);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    0x400000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), LM_PF_INSN);
	/* The guest's walk set the accessed bits of the entries it used. */
	ck_assert_uint_eq(pml4[0] & 0x20, 0x20);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_UD_INSN);

	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000000 | (3 << 8) | 6);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), LM_UD_INSN);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_UD_INSN + 2);

	/* mov rax, cr0 sees NE from the shadow (0); setting it exits. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_CR_ACCESS);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 0);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & CR0_NE, CR0_NE);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & ~CR0_NE,
	    CR0_PE | CR0_ET | CR0_WP | CR0_PG);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 3);
	fx_skip(&fx);

	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000000 | (6 << 8) | 3);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), LM_BP_INSN + 1);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_long_mode_msr_bitmap_pass_through)
{
	struct fx fx;
	uint8_t *bm;

	lm_setup(&fx);
	bm = hostmem_ptr(fx.hm, fx.msr_bitmap, 4096);
	bm[1024 + 0x100 / 8] &= ~(1 << (0x100 % 8));	/* read FS_BASE */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_FS_BASE, 0x00007FFE12345678ULL);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 14);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	fx_skip(&fx);
	/* rdmsr did not exit: the next exit is the #PF after it. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x12345678);
	ck_assert_uint_eq(fx.regs.r[EMU_RDX], 0x00007FFE);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_page_fault_delivered_through_idt)
{
	struct fx fx;
	uint64_t rsp, *frame;

	lm_setup(&fx);
	fx_idt64(&fx, 14, LM_PF_HANDLER, 0);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_PF_INSN);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x80008);
	fx.regs.r[EMU_RBX] = 0x400000;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0);		/* error code */
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x400000);	/* CR2 */
	ck_assert_uint_eq(fx.regs.cr2, 0x400000);
	/* RSP aligned to 16, five qwords pushed plus the popped error. */
	rsp = fx_vmread(&fx, VMCS_GUEST_IA32_RSP);
	ck_assert_uint_eq(rsp, 0x80000 - 5 * 8);
	frame = (uint64_t *)(fx.ram + rsp);
	ck_assert_uint_eq(frame[0], LM_PF_INSN);	/* RIP */
	ck_assert_uint_eq(frame[1], 0x08);		/* CS */
	ck_assert_uint_eq(frame[3], 0x80008);		/* RSP */
	ck_assert_uint_eq(frame[4], 0x10);		/* SS */
	fx_fini(&fx);
}
END_TEST

START_TEST(test_inject_external_interrupt_long_mode)
{
	struct fx fx;

	lm_setup(&fx);
	fx_idt64(&fx, 0x20, LM_IRQ_HANDLER, 0);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 0x202);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO, 0x80000020);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x82);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x1000);	/* interrupted RIP */
	/* An interrupt gate clears IF; the valid bit is cleared on exit. */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RFLAGS) & PSL_I, 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_ENTRY_INTERRUPTION_INFO) >> 31,
	    0);
	fx_skip(&fx);
	/* iretq returns to the interrupted code: the first OUT. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x80);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RFLAGS) & PSL_I, PSL_I);
	fx_fini(&fx);
}
END_TEST

/* Delivery fails (empty IDT), then #GP, then #DF: a triple fault. */
START_TEST(test_triple_fault_when_idt_is_empty)
{
	struct fx fx;

	lm_setup(&fx);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_IDTR_LIMIT, 0);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_UD_INSN);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_TRIPLE_FAULT);
	fx_fini(&fx);
}
END_TEST

/*
 * A long-mode fixture's guest moved to ring 3: DPL-3 code (0x33) and data
 * (0x2B) descriptors, user pages, CS and SS loaded with them.
 */
static void
lm_ring3(struct fx *fx)
{
	uint64_t *gdt = (uint64_t *)(fx->ram + FX_GDT);
	uint64_t *pt = (uint64_t *)(fx->ram + FX_PML4);

	gdt[5] = 0x00CFF3000000FFFFULL;		/* 0x2B: data, DPL 3 */
	gdt[6] = 0x00AFFB000000FFFFULL;		/* 0x33: code64, DPL 3 */
	fx_vmwrite(fx, VMCS_GUEST_IA32_GDTR_LIMIT, 0x37);
	pt[0] |= 4;
	pt[512] |= 4;
	pt[1024] |= 4;
	fx_seg(fx, 1, 0x33, 0, 0xFFFFFFFF, 0xA0FB);
	fx_seg(fx, 2, 0x2B, 0, 0xFFFFFFFF, 0xC0F3);
}

/*
 * A ring-3 long-mode guest: VM entry loads CPL 3 from SS.DPL, so HLT
 * raises #GP(0) instead of exiting.
 */
START_TEST(test_ring3_long_mode_guest)
{
	struct fx fx;

	lm_setup(&fx);
	lm_ring3(&fx);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_USER_CODE);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 13);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_CPUID);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_AR), 0xA0FB);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_SS_AR), 0xC0F3);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x33);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000000 | (1 << 11) | (3 << 8) | 13);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), LM_USER_CODE + 2);
	fx_fini(&fx);
}
END_TEST

/*
 * The regress test's injection: #GP into a real-mode guest; real mode
 * pushes FLAGS, CS, IP and no error code.  With unrestricted guest and
 * CR0.PE = 0 the deliver-error-code bit must be 0 (SDM Vol. 3C
 * §27.2.1.3): setting it fails the entry with error 7.
 */
START_TEST(test_inject_gp_real_mode_drops_error_code)
{
	struct fx fx;
	uint16_t *ivt, *stack;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_load(&fx, "rm_inject.bin", 0x1000);
	ivt = (uint16_t *)fx.ram;
	ivt[13 * 2] = 0x1100;
	ivt[13 * 2 + 1] = 0;
	fx_guest_real(&fx, 0, 0, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x61);
	fx_skip(&fx);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO,
	    0x80000000 | (1 << 11) | (3 << 8) | 13);
	fx_vmwrite(&fx, VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0x11223344);
	ck_assert_int_eq(vmx_vmresume(fx.cpu, &fx.regs), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_ENTRY_INVALID_CONTROL_FIELDS);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO,
	    0x80000000 | (3 << 8) | 13);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0xF0ULL << 16) | (1 << 6) | (1 << 3));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP), 0x8000 - 6);
	stack = (uint16_t *)(fx.ram + 0x8000 - 6);
	ck_assert_uint_eq(stack[0], 0x1004);	/* IP: the hlt */
	ck_assert_uint_eq(stack[1], 0);		/* CS */
	ck_assert_uint_eq(stack[2], 0x2);	/* FLAGS */
	fx_fini(&fx);
}
END_TEST

/* The same inputs give the same exits, registers and virtual time. */
START_TEST(test_runs_are_deterministic)
{
	uint64_t trace[2][16];
	struct fx fx;
	int run, i;

	for (run = 0; run < 2; run++) {
		lm_setup(&fx);
		fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, (1 << 3) | (1 << 6) |
		    (1 << 14));
		for (i = 0; i < 4; i++) {
			trace[run][4 * i] = fx_run(&fx, i == 0);
			trace[run][4 * i + 1] = fx_vmread(&fx,
			    VMCS_GUEST_IA32_RIP);
			trace[run][4 * i + 2] = emu_cpu_vtime(fx.cpu);
			trace[run][4 * i + 3] = fx.regs.r[EMU_RAX];
			fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, trace[run][4 * i + 1] +
			    (fx_vmread(&fx, VMCS_EXIT_REASON) == VMX_EXIT_NMI ?
			    3 : fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH)));
		}
		fx_fini(&fx);
	}
	ck_assert_mem_eq(trace[0], trace[1], sizeof(trace[0]));
}
END_TEST

/*
 * A destroyed CPU leaves its engine to the next CPU created (the engine
 * pool): nothing of the last guest may stay in it.  The same code address
 * at the same host-physical address holds other bytes the second time; a
 * translated block kept from the first guest would run them as before.
 */
START_TEST(test_pooled_engine_keeps_nothing_of_the_last_guest)
{
	/* mov al, N; jmp 0x1010 (a block without exiting instructions) */
	static const uint8_t code[2][4] = {
		{ 0xB0, 0x11, 0xEB, 0x0C },
		{ 0xB0, 0x22, 0xEB, 0x0C }
	};
	static const uint8_t out[2] = { 0xE6, 0x80 };	/* out 0x80, al */
	uint64_t reused, hpa[2], vtime[2];
	struct fx fx;
	int run;

	for (run = 0; run < 2; run++) {
		reused = emu_engine_reused();
		fx_init(&fx);
		if (run == 1)
			ck_assert_uint_eq(emu_engine_reused(), reused + 1);
		fx_map_ram(&fx, 8);
		memcpy(fx.ram + 0x1000, code[run], sizeof(code[run]));
		memcpy(fx.ram + 0x1010, out, sizeof(out));
		fx_guest_real(&fx, 0, 0, 0x1000);
		ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1010);
		ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 0x11 * (run + 1));
		hpa[run] = fx.ram_hpa;
		vtime[run] = emu_cpu_vtime(fx.cpu);
		fx_fini(&fx);
	}
	ck_assert_uint_eq(hpa[0], hpa[1]);
	ck_assert_uint_eq(vtime[0], vtime[1]);
}
END_TEST

/*
 * An engine keeps the host code of every block it translated, and
 * Unicorn a descriptor for every page it translated from: one that has
 * decoded 256 KiB of guest code, over all its CPUs, is closed with its
 * CPU instead of pooled, and the pool takes the next engine again.
 */
START_TEST(test_engine_that_decoded_much_code_is_not_pooled)
{
	const size_t nops = 288 * 1024;
	uint64_t reused;
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	memset(fx.ram + 0x100000, 0x90, nops);		/* nop ... */
	memcpy(fx.ram + 0x100000 + nops, "\xE6\x80", 2);	/* out 0x80, al */
	fx_guest_long(&fx, 0x100000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP),
	    0x100000 + nops);
	fx_fini(&fx);
	reused = emu_engine_reused();
	fx_init(&fx);				/* a new engine */
	ck_assert_uint_eq(emu_engine_reused(), reused);
	fx_fini(&fx);
	fx_init(&fx);				/* that one, pooled */
	ck_assert_uint_eq(emu_engine_reused(), reused + 1);
	fx_fini(&fx);
}
END_TEST

/*
 * A pooled engine grows with every CPU it serves (the host code and page
 * descriptors of what they ran stay): it serves 64 CPUs at most, then
 * the next CPU opens a new engine.
 */
START_TEST(test_engine_serves_at_most_64_cpus)
{
	uint64_t before;
	struct fx fx;
	int i;

	emu_engine_pool_drain();
	for (i = 0; i < 2 * 65 + 1; i++) {
		before = emu_engine_reused();
		fx_init(&fx);
		/* A new engine for the 1st, 66th and 131st CPU. */
		ck_assert_uint_eq(emu_engine_reused() - before,
		    i % 65 == 0 ? 0 : 1);
		fx_fini(&fx);
	}
}
END_TEST

/*
 * An engine's buffer for translated code is 128 MiB, not Unicorn's 1 GiB:
 * several engines then sit within a call's reach (2 GiB) of Unicorn's
 * helpers, and a process with many VMs does not reserve a GiB of
 * executable memory for each.  Three CPUs alive at once, each having run
 * a guest: three executable mappings at least, none larger.  (Not read
 * back with uc_ctl_get_tcg_buffer_size: Unicorn's UC_CTL_READ shifts 2
 * into the sign bit of an int, which UBSan reports.)
 */
START_TEST(test_engine_code_buffer_is_128_mib)
{
	static const uint8_t out[2] = { 0xE6, 0x80 };	/* out 0x80, al */
	const uint64_t want = 128ULL * 1024 * 1024;
	struct fx fx[3];
	unsigned long lo, hi;
	char line[512], perm[8];
	FILE *fp;
	int i, n = 0;

	emu_engine_pool_drain();
	for (i = 0; i < 3; i++) {
		fx_init(&fx[i]);
		fx_map_ram(&fx[i], 8);
		memcpy(fx[i].ram + 0x1000, out, sizeof(out));
		fx_guest_real(&fx[i], 0, 0, 0x1000);
		ck_assert_uint_eq(fx_run(&fx[i], 1), VMX_EXIT_IO);
	}
	ck_assert_ptr_nonnull(fp = fopen("/proc/self/maps", "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 ||
		    strcmp(perm, "rwxp") != 0)
			continue;
		ck_assert_uint_le(hi - lo, want);
		n++;
	}
	fclose(fp);
	ck_assert_int_ge(n, 3);
	for (i = 0; i < 3; i++)
		fx_fini(&fx[i]);
}
END_TEST

/*
 * VMMSIM_LIVE_STATE=0 holds for a CPU given a pooled engine that was
 * opened without it: the CPU copies its state through Unicorn's context,
 * and runs as well.
 */
START_TEST(test_pooled_engine_obeys_live_state_off)
{
	static const uint8_t code[4] = { 0xB0, 0x33, 0xE6, 0x80 };
	uint64_t reused;
	struct fx fx;

	unsetenv("VMMSIM_LIVE_STATE");
	fx_init(&fx);
	fx_fini(&fx);
	setenv("VMMSIM_LIVE_STATE", "0", 1);
	reused = emu_engine_reused();
	fx_init(&fx);
	ck_assert_uint_eq(emu_engine_reused(), reused + 1);
	ck_assert_ptr_null(fx.cpu->envb);
	fx_map_ram(&fx, 8);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	fx_guest_real(&fx, 0, 0, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 0x33);
	fx_fini(&fx);
	unsetenv("VMMSIM_LIVE_STATE");
}
END_TEST

/*
 * A whole firmware run: from the reset vector through protected mode to
 * long mode (the guest's own MOV CR0/CR4 with host-owned bits, LGDT, far
 * jumps, WRMSR EFER through the MSR bitmap), then a loop and a greeting on
 * COM1, handled the way a monitor handles I/O exits.
 */
START_TEST(test_boot64_reset_vector_to_long_mode)
{
	struct fx fx;
	uint8_t *rom, *bm;
	uint64_t rom_hpa, q;
	char out[128];
	size_t n = 0, i;
	uint32_t reason;
	int launch = 1, steps;
	FILE *fp;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fp = fopen(TESTDATA_DIR "/boot64.bin", "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(rom, 1, 0x10000, fp), 0x10000);
	fclose(fp);
	ck_assert_int_eq(hostmem_add_ram(fx.hm, rom, 0x10000, &rom_hpa), 0);
	for (i = 0; i < 16; i++)
		fx_ept_map(&fx, 0xFFFF0000ULL + i * 4096, rom_hpa + i * 4096, 7);
	bm = hostmem_ptr(fx.hm, fx.msr_bitmap, 4096);
	bm[1024 + 0x80 / 8] &= ~1;		/* EFER reads */
	bm[3072 + 0x80 / 8] &= ~1;		/* EFER writes */
	fx_vmwrite(&fx, VMCS_ENTRY_CTLS, fx_vmread(&fx, VMCS_ENTRY_CTLS) &
	    ~IA32_VMX_LOAD_IA32_EFER_ON_ENTRY);
	fx_guest_real(&fx, 0xF000, 0xFFFF0000ULL, 0xFFF0);
	memset(out, 0, sizeof(out));
	for (steps = 0; steps < 200; steps++) {
		reason = fx_run(&fx, launch);
		launch = 0;
		ck_assert_uint_eq(reason, VMX_EXIT_IO);
		q = fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION);
		if ((q >> 16) == 0xF4)
			break;
		ck_assert_uint_eq(q >> 16, 0x3F8);
		if (n < sizeof(out) - 1)
			out[n++] = (char)fx.regs.r[EMU_RAX];
		fx_skip(&fx);
	}
	ck_assert_str_eq(out, "Hello from vmmsim's demo guest: reset vector "
	    "to long mode.\r\n");
	/* Long mode, 64-bit code segment, paging, as the guest set up. */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_ENTRY_CTLS) &
	    IA32_VMX_IA32E_MODE_GUEST, IA32_VMX_IA32E_MODE_GUEST);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x18);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_AR) & 0x2000,
	    0x2000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CR0) & (CR0_PG |
	    CR0_PE | CR0_NE), CR0_PG | CR0_PE | CR0_NE);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CR4) & (CR4_PAE |
	    CR4_VMXE), CR4_PAE | CR4_VMXE);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CR3), 0x1000);
	fx_fini(&fx);
	munmap(rom, 0x10000);
}
END_TEST

/* The TLB: VPID- and EPTP-tagged, flushed only as hardware flushes. */

#define TLB_VA		0x5000

static void
tlb_setup(struct fx *fx)
{
	fx_init(fx);
	fx_map_ram(fx, 512);
	fx_load(fx, "lm_tlb.bin", 0x1000);
	fx_guest_long(fx, 0x1000);
	*(uint32_t *)(fx->ram + 0x6000) = 0x1111;
	*(uint32_t *)(fx->ram + 0x7000) = 0x2222;
	/* GPA 0x5000 -> the RAM page at 0x6000 */
	fx_ept_map(fx, TLB_VA, fx->ram_hpa + 0x6000, 7);
	fx->regs.r[EMU_RBX] = TLB_VA;
}

/* Run to the OUT and return what the guest read. */
static uint32_t
tlb_read(struct fx *fx, int launch)
{
	if (!launch)
		fx_skip(fx);
	ck_assert_uint_eq(fx_run(fx, launch), VMX_EXIT_IO);
	return ((uint32_t)fx->regs.r[EMU_RAX]);
}

START_TEST(test_tlb_stale_ept_mapping_until_invept)
{
	struct fx fx;
	struct vmx_invept_desc d;

	tlb_setup(&fx);
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x1111);
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + 0x7000, 7);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x1111);	/* stale, as on hw */
	d.eptp = fx.eptp;
	d.reserved = 0;
	ck_assert_int_eq(vmx_invept(fx.cpu, 1, &d), VMX_SUCCEED);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x2222);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_tlb_invvpid_single_context)
{
	struct fx fx;
	struct vmx_invvpid_desc d = { 2, 0 };

	tlb_setup(&fx);
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x1111);
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + 0x7000, 7);
	/* Another VPID's flush leaves VPID 1's translations. */
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 1, &d), VMX_SUCCEED);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x1111);
	d.vpid = 1;
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 1, &d), VMX_SUCCEED);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x2222);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_tlb_invvpid_individual_address)
{
	struct fx fx;
	struct vmx_invvpid_desc d = { 1, TLB_VA + 0x1000 };

	tlb_setup(&fx);
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x1111);
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + 0x7000, 7);
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 0, &d), VMX_SUCCEED);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x1111);	/* other page */
	d.linear = TLB_VA;
	ck_assert_int_eq(vmx_invvpid(fx.cpu, 0, &d), VMX_SUCCEED);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x2222);
	fx_fini(&fx);
}
END_TEST

/* Without VPIDs every VM entry and exit flushes (VPID 0). */
START_TEST(test_tlb_without_vpid_flushes_on_entry)
{
	struct fx fx;

	tlb_setup(&fx);
	fx_vmwrite(&fx, VMCS_PROCBASED2_CTLS, fx_vmread(&fx,
	    VMCS_PROCBASED2_CTLS) & ~IA32_VMX_ENABLE_VPID);
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x1111);
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + 0x7000, 7);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x2222);
	fx_fini(&fx);
}
END_TEST

/* The guest's MOV to CR3 drops its stale page-table translation. */
START_TEST(test_tlb_guest_mov_cr3_invalidates)
{
	struct fx fx;
	uint64_t *pd, *pt;
	int i;

	tlb_setup(&fx);
	/* 4 KiB guest page tables for the first 2 MiB, at 0x13000. */
	pd = (uint64_t *)(fx.ram + FX_PML4 + 0x2000);
	pt = (uint64_t *)(fx.ram + 0x13000);
	for (i = 0; i < 512; i++)
		pt[i] = ((uint64_t)i << 12) | 3;
	pd[0] = 0x13000 | 3;
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + TLB_VA, 7);
	*(uint32_t *)(fx.ram + TLB_VA) = 0x5555;
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x5555);
	pt[TLB_VA >> 12] = 0x6000 | 3;		/* no INVLPG */
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x5555);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1100);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x1111);
	fx_fini(&fx);
}
END_TEST

struct stale_seen {
	int			n;
	struct emu_stale_report	last;
};

static void
count_stale(void *arg, const struct emu_stale_report *r)
{
	struct stale_seen *s = arg;

	s->n++;
	s->last = *r;
}

START_TEST(test_tlb_checked_mode_reports_stale_use)
{
	struct fx fx;
	struct stale_seen seen;

	memset(&seen, 0, sizeof(seen));
	tlb_setup(&fx);
	emu_cpu_set_tlb_check(fx.cpu, count_stale, &seen);
	ck_assert_uint_eq(tlb_read(&fx, 1), 0x1111);
	ck_assert_int_eq(seen.n, 0);
	fx_ept_map(&fx, TLB_VA, fx.ram_hpa + 0x7000, 7);
	ck_assert_uint_eq(tlb_read(&fx, 0), 0x1111);
	ck_assert_int_ge(seen.n, 1);
	ck_assert_uint_eq(seen.last.vpid, 1);
	ck_assert_uint_eq(seen.last.va, TLB_VA);
	ck_assert_uint_eq(seen.last.cached.hpa, fx.ram_hpa + 0x6000);
	ck_assert_uint_eq(seen.last.now.hpa, fx.ram_hpa + 0x7000);
	ck_assert(!seen.last.now_faults);
	ck_assert_uint_eq(emu_cpu_stale_count(fx.cpu), (uint64_t)seen.n);
	fx_fini(&fx);
}
END_TEST

/* Exits by control (SDM Vol. 3C §26.1) on testdata/lm_exits.asm */

static void
ex_setup(struct fx *fx, uint64_t rip)
{
	fx_init(fx);
	fx_map_ram(fx, 512);
	fx_load(fx, "lm_exits.bin", 0x1000);
	fx_guest_long(fx, rip);
}

static void
ex_ctl(struct fx *fx, uint32_t field, uint32_t set, uint32_t clear)
{
	fx_vmwrite(fx, field, (fx_vmread(fx, field) | set) & ~clear);
}

START_TEST(test_exit_mov_dr)
{
	struct fx fx;

	ex_setup(&fx, 0x1040);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_MOV_DR_EXITING, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_MOV_DR);
	/* MOV to DR3 from RAX */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 3);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 3);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_MOV_DR);
	/* MOV from DR7 to RCX */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    7 | (1 << 4) | (1 << 8));
	fx_fini(&fx);
}
END_TEST

/*
 * MOV DR without MOV-DR exiting (SDM Vol. 2B "MOV-Move to/from Debug
 * Registers", Vol. 3B §18.2): the simulated CPU carries it out, the
 * engine never sees DR7.  Found by fuzz_vmentry (ROBUSTNESS.md finding 7):
 * a guest that set breakpoint-enable bits in DR7 made the host process
 * jump into unwritten translated code.
 */
static void
dr_setup(struct fx *fx, const uint8_t *code, size_t n)
{
	fx_init(fx);
	fx_map_ram(fx, 512);
	memcpy(fx->ram + 0x1000, code, n);
	fx_guest_long(fx, 0x1000);
	/* DR7 to and from the VMCS, as OpenBSD's monitor asks. */
	ex_ctl(fx, VMCS_ENTRY_CTLS, IA32_VMX_LOAD_DEBUG_CONTROLS, 0);
	ex_ctl(fx, VMCS_EXIT_CTLS, IA32_VMX_SAVE_DEBUG_CONTROLS, 0);
}

START_TEST(test_mov_dr7_enabling_breakpoints_runs_in_the_guest)
{
	/* fuzz/findings/fuzz_vmentry-crash-35a60597's guest code */
	static const uint8_t found[] = {
		0xc1, 0x29, 0xb2,		/* shr dword [rcx], 0xb2 */
		0xb1, 0x55,			/* mov cl, 0x55 */
		0x00, 0x00,			/* add [rax], al */
		0x0f, 0x23, 0xb9,		/* mov dr7, rcx */
		0xe5, 0x91,			/* in eax, 0x91 */
	};
	static const uint8_t all[] = {
		0xb8, 0xff, 0xd8, 0xff, 0xff,	/* mov eax, 0xffffd8ff */
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0x0f, 0x21, 0xfb,		/* mov rbx, dr7 */
		0xf4,				/* hlt */
	};
	static const uint8_t real[] = {
		0x66, 0xb9, 0x55, 0x00, 0x00, 0x00, /* mov ecx, 0x55 */
		0x0f, 0x23, 0xf9,		/* mov dr7, ecx */
		0xf4,				/* hlt */
	};
	struct fx fx;

	dr_setup(&fx, found, sizeof(found));
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x100a);
	/* Saved on exit: what was written, with bit 10 that reads as 1. */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x455);
	fx_fini(&fx);

	/* Reserved bits 11, 12, 14 and 15 read as 0. */
	dr_setup(&fx, all, sizeof(all));
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0xffff04ffULL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0xffff04ffULL);
	/* The next entry loads DR7 from the VMCS, as written there. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_DR7, 0x401);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1008);	/* mov rbx, dr7 */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x401);
	/*
	 * Without "load debug controls" the guest has the host's DR7, which
	 * a VM exit sets to 400H (SDM Vol. 3C §28.5.1); without "save" the
	 * VMCS keeps its value.
	 */
	ex_ctl(&fx, VMCS_ENTRY_CTLS, 0, IA32_VMX_LOAD_DEBUG_CONTROLS);
	ex_ctl(&fx, VMCS_EXIT_CTLS, 0, IA32_VMX_SAVE_DEBUG_CONTROLS);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0xffff04ffULL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x401);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1008);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x400);
	fx_fini(&fx);

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	memcpy(fx.ram + 0x1000, real, sizeof(real));
	fx_guest_real(&fx, 0, 0, 0x1000);
	ex_ctl(&fx, VMCS_EXIT_CTLS, IA32_VMX_SAVE_DEBUG_CONTROLS, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x455);
	fx_fini(&fx);
}
END_TEST

/* DR0-DR3 and DR6 come in with the GPRs and go out with them. */
START_TEST(test_debug_registers_in_and_out_with_the_gprs)
{
	static const uint8_t code[] = {
		0x0f, 0x21, 0xc8,		/* mov rax, dr1 */
		0x0f, 0x21, 0xf1,		/* mov rcx, dr6 */
		0x48, 0xba, 0x88, 0x77, 0x66, 0x55,
		0x44, 0x33, 0x22, 0x11,		/* mov rdx, 0x1122334455667788 */
		0x0f, 0x23, 0xd2,		/* mov dr2, rdx */
		0xbe, 0xff, 0xff, 0x00, 0x00,	/* mov esi, 0xffff */
		0x0f, 0x23, 0xf6,		/* mov dr6, rsi */
		0xf4,				/* hlt */
	};
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx.regs.dr[1] = 0xffffffff81234567ULL;
	fx.regs.dr[3] = 0x3333;
	fx.regs.dr6 = 0;		/* reads back with its fixed ones */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xffffffff81234567ULL);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0xffff0ff0ULL);
	ck_assert_uint_eq(fx.regs.dr[1], 0xffffffff81234567ULL);
	ck_assert_uint_eq(fx.regs.dr[2], 0x1122334455667788ULL);
	ck_assert_uint_eq(fx.regs.dr[3], 0x3333);
	/* B0-B3, BD, BS, BT are writable; bit 12 reads 0, 4-11 read 1. */
	ck_assert_uint_eq(fx.regs.dr6, 0xffffeff0ULL | 0xe00fULL);
	fx_fini(&fx);
}
END_TEST

/* DR4 and DR5 are DR6 and DR7 unless CR4.DE makes them #UD. */
START_TEST(test_mov_dr4_dr5_alias_or_ud_with_cr4_de)
{
	static const uint8_t code[] = {
		0xb8, 0x03, 0x00, 0x00, 0x00,	/* mov eax, 3 */
		0x0f, 0x23, 0xe8,		/* mov dr5, rax */
		0x0f, 0x21, 0xfb,		/* mov rbx, dr7 */
		0x0f, 0x21, 0xe1,		/* mov rcx, dr4 */
		0xf4,				/* hlt */
	};
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx.regs.dr6 = 0xffff0ff1ULL;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 0x403);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0xffff0ff1ULL);
	fx_fini(&fx);

	dr_setup(&fx, code, sizeof(code));
	fx_vmwrite(&fx, VMCS_GUEST_IA32_CR4, CR4_PAE | CR4_VMXE | CR4_DE);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    6 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1005);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x400);
	fx_fini(&fx);
}
END_TEST

/*
 * DR7.GD: the next MOV DR is #DB.  Exiting, DR6 and DR7 stay and the
 * qualification has BD; delivered, DR6.BD is set and GD cleared.
 */
START_TEST(test_mov_dr_with_general_detect_is_db)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x24, 0x00, 0x00,	/* mov eax, 0x2400 (GD) */
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0x0f, 0x21, 0xc3,		/* mov rbx, dr0 */
		0xf4,				/* hlt */
	};
	static const uint8_t handler[] = {
		0x0f, 0x21, 0xf0,		/* mov rax, dr6 */
		0x0f, 0x21, 0xf9,		/* mov rcx, dr7 */
		0xf4,				/* hlt */
	};
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 1);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    1 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 0x2000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1008);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x2400);
	ck_assert_uint_eq(fx.regs.dr6, 0xffff0ff0ULL);
	fx_fini(&fx);

	dr_setup(&fx, code, sizeof(code));
	memcpy(fx.ram + 0x1100, handler, sizeof(handler));
	fx_idt64(&fx, 1, 0x1100, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1106);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xffff2ff0ULL);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0x400);
	/* The #DB is a fault: the return address is the MOV DR. */
	ck_assert_uint_eq(*(uint64_t *)(fx.ram + 0x80000 - 40), 0x1008);
	fx_fini(&fx);
}
END_TEST

/*
 * With MOV-DR exiting the exit comes before the #GP for CPL > 0 (SDM Vol.
 * 3C §26.1.3); without it that #GP stays.  DR8-DR15 (REX.R) are #UD
 * before any exit.
 */
START_TEST(test_mov_dr_exit_priority)
{
	static const uint8_t code[] = {
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0x44, 0x0f, 0x23, 0xc0,		/* mov dr8, rax */
		0xf4,				/* hlt */
	};
	struct fx fx;
	int exiting;

	for (exiting = 0; exiting < 2; exiting++) {
		dr_setup(&fx, code, sizeof(code));
		lm_ring3(&fx);
		fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, (1U << 6) | (1U << 13));
		if (exiting)
			ex_ctl(&fx, VMCS_PROCBASED_CTLS,
			    IA32_VMX_MOV_DR_EXITING, 0);
		if (exiting) {
			ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_MOV_DR);
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_GUEST_EXIT_QUALIFICATION), 7);
		} else {
			ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
			    13 | (3 << 8));
		}
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
		/* Back to ring 0 for DR8: #UD, exiting or not. */
		fx_seg(&fx, 1, 0x08, 0, 0xFFFFFFFF, 0xA09B);
		fx_seg(&fx, 2, 0x10, 0, 0xFFFFFFFF, 0xC093);
		fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1003);
		ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) &
		    0x7FF, 6 | (3 << 8));
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1003);
		fx_fini(&fx);
	}
}
END_TEST

/*
 * On Intel's CPUs the #DB for DR7.GD comes before the #GP for CPL > 0
 * (KVM's maintainers measured it, Linux 2026-06; the SDM does not say),
 * and MOV-DR exiting before both.
 */
START_TEST(test_mov_dr_general_detect_before_cpl_gp)
{
	static const uint8_t code[] = {
		0x0f, 0x21, 0xf8,		/* mov rax, dr7 */
		0xf4,				/* hlt */
	};
	struct fx fx;
	int exiting;

	for (exiting = 0; exiting < 2; exiting++) {
		dr_setup(&fx, code, sizeof(code));
		lm_ring3(&fx);
		fx_vmwrite(&fx, VMCS_GUEST_IA32_DR7, 0x2400);	/* GD */
		fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, (1U << 1) | (1U << 13));
		if (exiting) {
			ex_ctl(&fx, VMCS_PROCBASED_CTLS,
			    IA32_VMX_MOV_DR_EXITING, 0);
			ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_MOV_DR);
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_GUEST_EXIT_QUALIFICATION), 7 | (1 << 4));
		} else {
			ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF, 1 | (3 << 8));
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_GUEST_EXIT_QUALIFICATION), DR6_BD);
		}
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
		/* Without GD it is the #GP, as before. */
		if (!exiting) {
			fx_vmwrite(&fx, VMCS_GUEST_IA32_DR7, 0x400);
			ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
			ck_assert_uint_eq(fx_vmread(&fx,
			    VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF, 13 | (3 << 8));
		}
		fx_fini(&fx);
	}
}
END_TEST

/* In 64-bit mode a write of bits 63:32 of DR6 or DR7 is #GP(0). */
START_TEST(test_mov_dr7_high_bits_is_gp)
{
	static const uint8_t code[] = {
		0x48, 0xb8, 0x00, 0x04, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00,		/* mov rax, 0x100000400 */
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0xf4,				/* hlt */
	};
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 13);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0xFFF,
	    13 | (3 << 8) | (1 << 11));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x100a);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x400);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_exit_invlpg_reports_linear_address)
{
	struct fx fx;

	ex_setup(&fx, 0x1080);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_INVLPG_EXITING, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_INVLPG);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 0x3010);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 4);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_exit_vmcall_and_xsetbv)
{
	struct fx fx;

	ex_setup(&fx, 0x10C0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_VMCALL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 3);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_XSETBV);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 3);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x10C5);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_exit_cr3_load_store_and_target_list)
{
	struct fx fx;

	ex_setup(&fx, 0x1100);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_CR3_LOAD_EXITING |
	    IA32_VMX_CR3_STORE_EXITING, 0);
	fx_vmwrite(&fx, VMCS_CR3_TARGET_COUNT, 1);
	fx_vmwrite(&fx, VMCS_CR3_TARGET_0, 0x10000);
	/* The load of a target value does not exit; the store does. */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_CR_ACCESS);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1108);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    3 | (1 << 4) | (2 << 8));
	fx_vmwrite(&fx, VMCS_CR3_TARGET_COUNT, 0);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1105);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_CR_ACCESS);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 3);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_tpr_shadow_and_threshold_exit)
{
	struct fx fx;
	uint64_t vapic;
	uint8_t *p;

	ex_setup(&fx, 0x1140);
	vapic = hostmem_alloc(fx.hm, 1);
	p = hostmem_ptr(fx.hm, vapic, 4096);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_USE_TPR_SHADOW,
	    IA32_VMX_CR8_LOAD_EXITING | IA32_VMX_CR8_STORE_EXITING);
	fx_vmwrite(&fx, VMCS_VIRTUAL_APIC_ADDRESS, vapic);
	fx_vmwrite(&fx, VMCS_TPR_THRESHOLD, 6);
	p[0x80] = 0x70;		/* the threshold may not exceed VTPR[7:4] */
	/* Trap-like: after the MOV to CR8, with VTPR already written. */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_TPR_BELOW_THRESHOLD);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1149);
	ck_assert_uint_eq(p[0x80], 0x50);
	/* Resuming with the threshold above VTPR would fail the entry. */
	ck_assert_int_eq(vmx_vmresume(fx.cpu, &fx.regs), VMX_FAIL_VALID);
	ck_assert_uint_eq(vmx_last_error(fx.cpu),
	    VMXERR_ENTRY_INVALID_CONTROL_FIELDS);
	fx_vmwrite(&fx, VMCS_TPR_THRESHOLD, 0);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], 5);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_exits_wbinvd_pause_rdpmc_rdtsc_rdrand)
{
	struct fx fx;
	static const uint32_t want[] = { VMX_EXIT_WBINVD, VMX_EXIT_PAUSE,
	    VMX_EXIT_RDPMC, VMX_EXIT_RDTSC, VMX_EXIT_RDRAND, VMX_EXIT_HLT };
	size_t i;

	ex_setup(&fx, 0x1180);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_PAUSE_EXITING |
	    IA32_VMX_RDPMC_EXITING | IA32_VMX_RDTSC_EXITING, 0);
	ex_ctl(&fx, VMCS_PROCBASED2_CTLS, IA32_VMX_WBINVD_EXITING |
	    IA32_VMX_RDRAND_EXITING, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_uint_eq(fx_run(&fx, i == 0), want[i]);
		fx_skip(&fx);
	}
	fx_fini(&fx);
}
END_TEST

START_TEST(test_rdrand_without_exiting_is_deterministic)
{
	struct fx fx;
	uint64_t v[2];
	int run;

	for (run = 0; run < 2; run++) {
		ex_setup(&fx, 0x1188);
		ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
		v[run] = fx.regs.r[EMU_RAX];
		/* CF = 1: a value was returned. */
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RFLAGS) & 1, 1);
		fx_fini(&fx);
	}
	ck_assert_uint_eq(v[0], v[1]);
}
END_TEST

/*
 * Unicorn steps over SYSCALL after calling a hook; the CPU must make the
 * transition itself.  And its engine must decode what CPUID advertises.
 */
START_TEST(test_syscall_transition_and_popcnt)
{
	struct fx fx;

	ex_setup(&fx, 0x1280);
	/* The guest's WRMSRs (EFER, STAR, LSTAR, FMASK) do not exit. */
	memset(hostmem_ptr(fx.hm, fx.msr_bitmap, 4096), 0, 4096);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[12], 5);		/* POPCNT */
	ck_assert_uint_eq(fx.regs.r[14], 0xC0DE);	/* RCX, CS, SS */
	/* R11: RFLAGS before, IF and DF set; after: both masked. */
	ck_assert_uint_eq(fx.regs.r[11] & 0x600, 0x600);
	ck_assert_uint_eq(fx.regs.r[13] & 0x600, 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x08);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_AR) & 0x20FF, 0x209B);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_syscall_without_sce_is_ud)
{
	struct fx fx;

	ex_setup(&fx, 0x1380);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    6 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1380);
	fx_fini(&fx);
}
END_TEST

/*
 * A monitor (vmd loading a kernel, a device doing DMA) writes guest code
 * from outside between two entries and says so (emu_cpu_host_wrote, the
 * coherence hardware gives for free): the next entry runs the new bytes.
 * Here the changed instruction sits in a block with no exiting
 * instruction, so no per-instruction check would see it.  Seen while
 * trying to let fuzz_guest reuse one CPU for many inputs.
 */
START_TEST(test_code_written_by_the_host_between_entries_runs)
{
	static const uint8_t a[] = {
		0xB0, 0x01,			/* mov al, 1 */
		0xE9, 0xFB, 0x0F		/* jmp 0x2000 */
	};
	static const uint8_t b[] = { 0xE6, 0x10, 0xF4 };	/* out; hlt */
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x1000);
	memcpy(fx.ram + 0x1000, a, sizeof(a));
	memcpy(fx.ram + 0x2000, b, sizeof(b));
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 1);

	fx.ram[0x1001] = 2;			/* mov al, 2 */
	emu_cpu_host_wrote(fx.cpu, fx.ram_hpa + 0x1001, 1);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 2);

	/*
	 * And when the next entry starts decoding over (a VMCS cleared and
	 * loaded again, as a monitor switching VMs does): the translation
	 * of the old bytes went with the write, not with the decode state.
	 */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);	/* translated */
	fx.ram[0x1001] = 3;			/* mov al, 3 */
	emu_cpu_host_wrote(fx.cpu, fx.ram_hpa + 0x1000, 4096);
	ck_assert_int_eq(vmx_vmclear(fx.cpu, fx.vmcs), VMX_SUCCEED);
	ck_assert_int_eq(vmx_vmptrld(fx.cpu, fx.vmcs), VMX_SUCCEED);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX] & 0xFF, 3);
	fx_fini(&fx);
}
END_TEST

/*
 * Code the guest rewrites is decoded again: a hook left on a replaced
 * RDTSC would skip the INC that took its place, and a CPUID written over
 * NOPs would run without its exit.
 */
START_TEST(test_self_modifying_code_is_decoded_again)
{
	struct fx fx;

	ex_setup(&fx, 0x13C0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx.regs.r[EMU_RDI], 1);
	fx_fini(&fx);

	ex_setup(&fx, 0x1400);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_CPUID);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1405);
	fx_fini(&fx);
}
END_TEST

/*
 * A block that runs across a page boundary is decoded again when the
 * guest rewrites its bytes on the second page: NOPs there become a CPUID,
 * which must exit.  (The written page's blocks are found through the
 * pages each block was decoded from, the second one included.)
 */
START_TEST(test_self_modifying_code_on_a_blocks_second_page)
{
	static const uint8_t code[] = {
		0x90, 0x90, 0x90,		/* 0FFD: nop x3 */
		0x90, 0x90,			/* 1000: nop x2, later cpuid */
		0xE6, 0x10,			/* 1002: out 0x10, al */
		0xC7, 0x06, 0x00, 0x10, 0x0F, 0xA2, /* 1004: mov [0x1000], 0xA20F */
		0xEB, 0xF1,			/* 100A: jmp 0FFD */
	};
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x0FFD);
	memcpy(fx.ram + 0x0FFD, code, sizeof(code));
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1002);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_CPUID);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_fini(&fx);
}
END_TEST

/*
 * A loop whose first instruction the decoder rejects but the engine runs
 * (8F /5, which QEMU takes as POP) still moves virtual time: the host tick
 * ends it (fuzz_vmentry finding, ROBUSTNESS.md; it hung before).
 */
START_TEST(test_undecodable_block_still_counts_time)
{
	static const uint8_t code[] = {
		0x8F, 0x2E, 0x00, 0x2F,		/* 1000: 8F /5 [0x2F00] */
		0xEB, 0xFA,			/* 1004: jmp 1000 */
	};
	struct fx fx;

	/*
	 * 8F /5 is no instruction: #UD (QEMU would run it as POP).  The
	 * guest's #UD handler is the same bytes, so it faults forever
	 * without retiring an instruction; the host tick still comes.
	 */
	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x1000);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	*(uint32_t *)(fx.ram + 6 * 4) = 0x1000;		/* IVT[6] = 0:1000 */
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING, 0);
	emu_cpu_set_host_tick(fx.cpu, 500);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EXTINT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    6 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_fini(&fx);
}
END_TEST

/*
 * Bytes the decoder rejects raise #UD (#GP past 15 bytes) where they
 * start, and nothing after them runs unhooked: LOCK MOV DR7 and a MOV
 * DR7 after such bytes each crashed the host (the engine ran the MOV),
 * and a CPUID after them ran without its exit.
 */
START_TEST(test_rejected_bytes_fault_and_hide_nothing)
{
	static const uint8_t lock_movdr[] = {
		0xb8, 0x55, 0x00, 0x00, 0x00,	/* mov eax, 0x55 */
		0xf0, 0x0f, 0x23, 0xf8,		/* lock mov dr7, rax */
		0xf4,				/* hlt */
	};
	static const uint8_t after_bad[] = {
		0xb8, 0x55, 0x00, 0x00, 0x00,	/* mov eax, 0x55 */
		0x8f, 0xc8,			/* 8F /1: not POP */
		0x0f, 0x23, 0xf8,		/* mov dr7, rax */
		0x0f, 0xa2,			/* cpuid */
		0xf4,				/* hlt */
	};
	uint8_t too_long[17];
	struct fx fx;

	dr_setup(&fx, lock_movdr, sizeof(lock_movdr));
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    6 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1005);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x400);
	fx_fini(&fx);

	dr_setup(&fx, after_bad, sizeof(after_bad));
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    6 | (3 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1005);
	/* The monitor skips the two bytes: the rest is hooked as usual. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1007);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_CPUID);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_DR7), 0x455);
	fx_fini(&fx);

	/* 16 bytes: 15 operand-size prefixes and a NOP. */
	memset(too_long, 0x66, sizeof(too_long));
	too_long[15] = 0x90;
	too_long[16] = 0xf4;
	dr_setup(&fx, too_long, sizeof(too_long));
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 13);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO) & 0xFFF,
	    13 | (3 << 8) | (1 << 11));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_fini(&fx);
}
END_TEST

/*
 * A #UD handler that is itself a UD2, on an IST stack: exceptions
 * forever, no instruction retired, no stack used up.  Each delivery
 * takes virtual time, so the host tick ends it (it hung before).
 */
START_TEST(test_fault_loop_on_ist_still_takes_host_ticks)
{
	static const uint8_t code[] = { 0x0f, 0x0b };	/* ud2 */
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx_idt64(&fx, 6, 0x1000, 1);
	memcpy(fx.ram + FX_TSS + 0x24, &(uint64_t){ 0x90000 }, 8); /* IST1 */
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING, 0);
	emu_cpu_set_host_tick(fx.cpu, 500);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EXTINT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP), 0x90000 - 40);
	fx_fini(&fx);
}
END_TEST

/*
 * fuzz/findings/fuzz_vmentry-timeout-23a5156a (finding 9): a block whose
 * #DE handler is the block itself.  Entered a few units before the host
 * tick, the tick's code hook went on an instruction after the DIV, which
 * is never reached; every later pass met the hook at another virtual
 * time, so the tick never came and VMLAUNCH never returned.  Now the tick
 * comes at the first pass that starts at or after it: late by less than a
 * pass (three units: XOR, NOP, the delivery), at the block's start, or
 * exactly, before the DIV, if the hook went there.
 */
START_TEST(test_deadline_hook_behind_a_fault_in_its_block)
{
	static const uint8_t code[] = {
		0x31, 0xc9,		/* xor ecx, ecx */
		0x90,			/* nop */
		0xf7, 0xf1,		/* div ecx: #DE, handled at 0x1000 */
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		0xf4,			/* hlt */
	};
	uint64_t rip, t, tick;
	struct fx fx;

	dr_setup(&fx, code, sizeof(code));
	fx_idt64(&fx, 0, 0x1000, 1);
	memcpy(fx.ram + FX_TSS + 0x24, &(uint64_t){ 0x90000 }, 8); /* IST1 */
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING, 0);
	emu_cpu_set_host_tick(fx.cpu, 500);
	for (tick = 500; tick <= 1000; tick += 500) {
		ck_assert_uint_eq(fx_run(&fx, tick == 500), VMX_EXIT_EXTINT);
		t = emu_cpu_vtime(fx.cpu);
		ck_assert_uint_ge(t, tick);
		ck_assert_uint_lt(t, tick + 3);
		rip = fx_vmread(&fx, VMCS_GUEST_IA32_RIP);
		ck_assert_uint_ge(rip, 0x1000);
		ck_assert_uint_le(rip, 0x1003);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP),
		    0x90000 - 40);
	}
	fx_fini(&fx);
}
END_TEST


/*
 * emu_cpu_set_stop_at: a host interrupt at an exact virtual time, in a
 * guest that never exits, alongside the periodic host tick.
 */
START_TEST(test_stop_at_is_exact)
{
	struct fx fx;
	uint64_t t0;

	ex_setup(&fx, 0x1000);
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING, 0);
	emu_cpu_set_host_tick(fx.cpu, 1000000);
	t0 = emu_cpu_vtime(fx.cpu);
	emu_cpu_set_stop_at(fx.cpu, t0 + 12345);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EXTINT);
	ck_assert_uint_eq(emu_cpu_vtime(fx.cpu), t0 + 12345);
	/* Passed: the next exit is the periodic tick, on its own grid. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_EXTINT);
	ck_assert_uint_eq(emu_cpu_vtime(fx.cpu) % 1000000, 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_interrupt_window_after_sti_shadow)
{
	struct fx fx;

	ex_setup(&fx, 0x11C0);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_INTERRUPT_WINDOW_EXITING, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_INT_WINDOW);
	/* sti; nop (in the shadow); the exit comes before the second nop. */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x11C2);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_interrupt_window_open_at_entry)
{
	struct fx fx;

	ex_setup(&fx, 0x1000);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_INTERRUPT_WINDOW_EXITING, 0);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 0x202);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_INT_WINDOW);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0);
	/* Blocking by STI at entry holds the window shut for one insn. */
	fx_vmwrite(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST, 1);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_INT_WINDOW);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1003);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 1);
	fx_fini(&fx);
}
END_TEST

/*
 * A monitor that advances RIP past "sti; hlt" clears blocking by STI with
 * VMWRITE; reading other guest state afterwards (which brings the VMCS up
 * to date from the engine) must not bring the old blocking back, or the
 * interrupt the monitor injects next is held off.
 */
START_TEST(test_interruptibility_written_after_exit_survives_sync)
{
	static const uint8_t code[] = { 0xFB, 0xF4, 0xF4 };	/* sti hlt hlt */
	struct fx fx;
	uint16_t *ivt;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	fx.ram[0x1100] = 0xF4;				/* handler: hlt */
	ivt = (uint16_t *)fx.ram;
	ivt[0x20 * 2] = 0x1100;
	ivt[0x20 * 2 + 1] = 0;
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x8000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1001);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 1);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1002);
	fx_vmwrite(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST, 0);
	(void)fx_vmread(&fx, VMCS_GUEST_IA32_CR0);	/* full sync */
	(void)fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 0);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO, 0x80000000 | 0x20);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1100);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP), 0x8000 - 6);
	fx_fini(&fx);
}
END_TEST

/*
 * INT n in real mode after the guest reloaded CS (far jump) and SS (MOV
 * SS) inside the engine: the IVT frame goes on the new stack, with the new
 * CS and the address after INT, and IRET comes back there.  SeaBIOS does
 * exactly this in its 16-bit trampolines; with the segments VM entry had
 * loaded, the frame went to the old stack and IRET looped on the INT.
 */
START_TEST(test_real_mode_int_after_segment_reloads)
{
	static const uint8_t jmp[] = { 0xEA, 0x20, 0x00, 0x00, 0x01 };
	static const uint8_t code[] = {
		0xB8, 0x00, 0x05,		/* mov ax, 0x0500 */
		0x8E, 0xD0,			/* mov ss, ax */
		0xBC, 0x00, 0x01,		/* mov sp, 0x0100 */
		0xCD, 0x30,			/* int 0x30 */
		0xF4,				/* hlt */
	};
	struct fx fx;
	uint16_t *ivt, frame[3];

	fx_init(&fx);
	fx_map_ram(&fx, 32);
	memcpy(fx.ram + 0x1000, jmp, sizeof(jmp));
	memcpy(fx.ram + 0x1020, code, sizeof(code));
	fx.ram[0x1100] = 0xCF;				/* handler: iret */
	ivt = (uint16_t *)fx.ram;
	ivt[0x30 * 2] = 0x1100;
	ivt[0x30 * 2 + 1] = 0;
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x8000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x0100);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x002A);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_SS_SEL), 0x0500);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RSP), 0x0100);
	memcpy(frame, fx.ram + 0x5000 + 0x100 - 6, sizeof(frame));
	ck_assert_uint_eq(frame[0], 0x002A);		/* IP after INT */
	ck_assert_uint_eq(frame[1], 0x0100);		/* the new CS */
	/* Nothing was pushed where the old SS:SP pointed. */
	ck_assert_uint_eq(fx.ram[0x100 - 6], 0);
	fx_fini(&fx);
}
END_TEST

/*
 * Right after MOV CR0 sets PE, before any far jump, CS still holds its
 * real-mode selector (here 0x0003, RPL 3) but the CPL is 0: HLT exits
 * instead of raising #GP (the privilege check of SDM Vol. 3C §26.1.1 uses
 * the CPL, not CS.RPL).
 */
START_TEST(test_cpl_after_setting_pe_is_not_cs_rpl)
{
	static const uint8_t code[] = {
		0x0F, 0x20, 0xC0,		/* mov eax, cr0 */
		0x0C, 0x01,			/* or al, 1 */
		0x0F, 0x22, 0xC0,		/* mov cr0, eax */
		0xF4,				/* hlt */
	};
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	fx_guest_real(&fx, 0x0003, 0x30, 0x1000 - 0x30);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000 - 0x30 + 8);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CR0) & CR0_PE, CR0_PE);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_CS_SEL), 0x0003);
	fx_fini(&fx);
}
END_TEST

/* A host NMI with NMI exiting: exit reason 0 with an NMI (type 2, vector 2). */
START_TEST(test_host_nmi_exits_with_nmi_exiting)
{
	static const uint8_t code[] = { 0xEB, 0xFE };	/* jmp $ */
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	fx_guest_real(&fx, 0, 0, 0x1000);
	emu_cpu_nmi(fx.cpu);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000202);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_fini(&fx);
}
END_TEST

/*
 * Without NMI exiting the guest takes a host NMI through vector 2, and
 * NMIs stay blocked (interruptibility bit 3) until its IRET: a second NMI
 * raised inside the handler comes only after the handler returns.
 */
START_TEST(test_host_nmi_delivered_and_blocked_until_iret)
{
	static const uint8_t main_code[] = {
		0xE6, 0x80,			/* out 0x80, al */
		0xF4,				/* hlt */
	};
	static const uint8_t handler[] = {
		0xE6, 0x81,			/* out 0x81, al */
		0xCF,				/* iret */
	};
	struct fx fx;
	uint16_t *ivt;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, main_code, sizeof(main_code));
	memcpy(fx.ram + 0x1100, handler, sizeof(handler));
	ivt = (uint16_t *)fx.ram;
	ivt[2 * 2] = 0x1100;
	ivt[2 * 2 + 1] = 0;
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_PINBASED_CTLS,
	    fx_vmread(&fx, VMCS_PINBASED_CTLS) & ~IA32_VMX_NMI_EXITING);

	emu_cpu_nmi(fx.cpu);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST) & 8,
	    8);
	/* The frame holds the interrupted IP. */
	ck_assert_uint_eq(fx.ram[0x8000 - 6] | (fx.ram[0x8000 - 5] << 8),
	    0x1000);

	/* A second NMI, raised while the first is being handled. */
	emu_cpu_nmi(fx.cpu);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST) & 8,
	    8);

	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x80);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST) & 8,
	    0);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	fx_fini(&fx);
}
END_TEST

/*
 * Blocking by NMI set by the monitor at entry holds a host NMI back until
 * the guest's IRET, and an injected NMI blocks NMIs too.
 */
START_TEST(test_nmi_blocking_from_entry_and_injection)
{
	static const uint8_t code[] = {
		0xE6, 0x80,			/* out 0x80, al */
		0xCF,				/* iret (a frame is ready) */
	};
	static const uint8_t handler[] = {
		0xE6, 0x81,			/* out 0x81, al */
		0xF4,				/* hlt */
	};
	struct fx fx;
	uint16_t *ivt, *frame;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	memcpy(fx.ram + 0x1100, handler, sizeof(handler));
	ivt = (uint16_t *)fx.ram;
	ivt[2 * 2] = 0x1100;
	ivt[2 * 2 + 1] = 0;
	frame = (uint16_t *)(fx.ram + 0x8000 - 6);
	frame[0] = 0x1002;				/* IP: the iret itself */
	frame[1] = 0;
	frame[2] = 0x2;
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x8000 - 6);
	fx_vmwrite(&fx, VMCS_PINBASED_CTLS,
	    fx_vmread(&fx, VMCS_PINBASED_CTLS) & ~IA32_VMX_NMI_EXITING);
	fx_vmwrite(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST, 8);
	emu_cpu_nmi(fx.cpu);
	/* Blocked: the OUT runs first. */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x80);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 8);
	fx_skip(&fx);
	/* The IRET unblocks; the NMI comes right after it. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 8);

	/* An NMI injected at entry blocks NMIs as well. */
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x8000 - 6);
	fx_vmwrite(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST, 0);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO, 0x80000202);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 8);
	fx_fini(&fx);
}
END_TEST

/*
 * NMI-window exiting with virtual NMIs (SDM Vol. 3C §26.7.6): no exit while
 * virtual-NMI blocking holds, an exit right after the IRET that lifts it,
 * at entry when nothing blocks, and out of HLT.
 */
START_TEST(test_nmi_window_exiting)
{
	static const uint8_t code[] = {
		0xE6, 0x80,			/* out 0x80, al */
		0xCF,				/* iret (to 0x1003) */
		0xF4,				/* hlt */
	};
	struct fx fx;
	uint16_t *frame;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	frame = (uint16_t *)(fx.ram + 0x8000 - 6);
	frame[0] = 0x1003;
	frame[1] = 0;
	frame[2] = 0x2;
	fx_guest_real(&fx, 0, 0, 0x1000);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x8000 - 6);
	fx_vmwrite(&fx, VMCS_PINBASED_CTLS,
	    fx_vmread(&fx, VMCS_PINBASED_CTLS) | IA32_VMX_VIRTUAL_NMIS);
	fx_vmwrite(&fx, VMCS_PROCBASED_CTLS,
	    fx_vmread(&fx, VMCS_PROCBASED_CTLS) | IA32_VMX_NMI_WINDOW_EXITING);
	fx_vmwrite(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST, 8);

	/* Blocked: the OUT runs and exits; no NMI-window exit before it. */
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 8);
	fx_skip(&fx);
	/* The IRET lifts the blocking: the exit comes before the HLT. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI_WINDOW);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1003);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_INTERRUPTIBILITY_ST), 0);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 0);
	/* Nothing blocks: it exits again at entry, before any instruction. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI_WINDOW);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1003);
	/* Without it the guest halts; in HLT the open window exits too. */
	fx_vmwrite(&fx, VMCS_PROCBASED_CTLS,
	    fx_vmread(&fx, VMCS_PROCBASED_CTLS) & ~IA32_VMX_NMI_WINDOW_EXITING);
	fx_vmwrite(&fx, VMCS_PROCBASED_CTLS,
	    fx_vmread(&fx, VMCS_PROCBASED_CTLS) & ~IA32_VMX_HLT_EXITING);
	fx_vmwrite(&fx, VMCS_GUEST_ACTIVITY_STATE, 1);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, 0x1004);
	fx_vmwrite(&fx, VMCS_PROCBASED_CTLS,
	    fx_vmread(&fx, VMCS_PROCBASED_CTLS) | IA32_VMX_NMI_WINDOW_EXITING);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI_WINDOW);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_ACTIVITY_STATE), 1);
	fx_fini(&fx);
}
END_TEST

/*
 * A guest looping through a run of zero bytes (ADD [BX+SI], AL) and a
 * backward JMP, with nothing that exits: the host tick must still end
 * the run (exit reason 1) after its interval.  The shape of a
 * fuzz_vmentry input that hung; the hang was the harness's (a VMWRITE
 * between entries had cleared external-interrupt exiting), this is not.
 */
START_TEST(test_host_tick_ends_a_loop_without_exits)
{
	static const uint8_t code[] = {
		0xEB, 0xB0,			/* jmp 0xFB2 (zeros) */
		0x41, 0xEE, 0xEC, 0x90, 0x23, 0xEE, 0xF4
	};
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x1000);
	memcpy(fx.ram + 0x1000, code, sizeof(code));
	emu_cpu_set_host_tick(fx.cpu, 500);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EXTINT);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_EXTINT);
	fx_fini(&fx);
}
END_TEST

/* A real-mode guest whose first instruction is at linear address 0. */
START_TEST(test_real_mode_code_at_address_zero)
{
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx.ram[0] = 0xF4;				/* hlt */
	fx_guest_real(&fx, 0, 0, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0);
	fx_fini(&fx);
}
END_TEST

/*
 * Host ticks (external-interrupt exits on virtual time) that fall inside a
 * tight loop of exiting OUTs, at every position of the loop in turn, and in
 * particular where one translated block chains into the next: every OUT
 * still exits exactly once and the guest counts every iteration.
 */
START_TEST(test_host_ticks_in_an_exit_loop_lose_no_exit)
{
	struct fx fx;
	uint64_t n = 3000, exits = 0, ticks = 0;
	uint32_t reason;
	int launch = 1;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	fx_load(&fx, "bench_ioloop.bin", 0x1000);
	fx_guest_long(&fx, *(uint64_t *)(fx.ram + 0x1000));	/* site1 */
	fx.regs.r[EMU_RCX] = n;
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_EXTERNAL_INT_EXITING, 0);
	emu_cpu_set_host_tick(fx.cpu, 1000);	/* 1000 = 1 mod 3 */
	for (;;) {
		reason = fx_run(&fx, launch);
		launch = 0;
		if (reason == VMX_EXIT_EXTINT) {
			ticks++;
			continue;
		}
		ck_assert_uint_eq(reason, VMX_EXIT_IO);
		if ((fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16) == 0xF4)
			break;
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION)
		    >> 16, 0x80);
		exits++;
		fx_skip(&fx);
	}
	ck_assert_uint_eq(exits, n);
	ck_assert_uint_eq(fx.regs.r[EMU_RBX], n);
	ck_assert_uint_ge(ticks, 8);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_io_bitmaps)
{
	struct fx fx;
	uint8_t *a, *b;

	ex_setup(&fx, 0x1200);
	a = hostmem_ptr(fx.hm, fx.io_a, 4096);
	b = hostmem_ptr(fx.hm, fx.io_b, 4096);
	a[0x71 / 8] |= 1 << (0x71 % 8);
	a[0x100 / 8] |= 1 << (0x100 % 8);
	b[1 / 8] |= 1 << 1;				/* port 0x8001 */
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_USE_IO_BITMAPS, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x71);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x8001);
	fx_skip(&fx);
	/* A 2-byte access at 0xFF exits for port 0x100's bit. */
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    (0xFFULL << 16) | (1 << 6) | 1);
	fx_fini(&fx);
}
END_TEST

/* The preemption timer exits at exactly the instruction it expires at. */
/*
 * A timed exit right after CMPXCHG16B; SETZ (Linux's SLUB fast path): QEMU
 * computes CMPXCHG16B's other flags from a cc_op the translator had not
 * stored, and Unicorn, syncing EFLAGS for the code hook that takes the
 * exit, kept that garbage as the system flags (here NT, from the 0x4000
 * left in CC_SRC by the ADD).  RFLAGS must stay clean, at the exit and
 * after it.
 */
START_TEST(test_timed_exit_after_cmpxchg16b_keeps_rflags_clean)
{
	static const uint8_t head[] = {
		0x6A, 0x02,				/* push 2 */
		0x9D,					/* popfq */
		0xB8, 0x00, 0x40, 0x00, 0x00,		/* mov eax, 0x4000 */
		0x31, 0xC9,				/* xor ecx, ecx */
		0x48, 0x01, 0xC1,			/* add rcx, rax */
		0x48, 0x33, 0x19,			/* xor rbx, [rcx] */
		0x48, 0xC7, 0xC7, 0x00, 0x50, 0x00, 0x00, /* mov rdi, 0x5000 */
	};
	static const uint8_t tail[] = {
		0x48, 0x0F, 0xC7, 0x0F,			/* cmpxchg16b [rdi] */
		0x0F, 0x94, 0xC0,			/* sete al */
		0x84, 0xC0,				/* test al, al */
		0xF4,					/* hlt */
	};
	struct fx fx;
	uint8_t *p;
	uint64_t fl;

	ex_setup(&fx, 0x6000);
	p = fx.ram + 0x6000;
	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	/* 7 instructions so far: NOPs put TEST at instruction 32. */
	memset(p, 0x90, 23);
	p += 23;
	memcpy(p, tail, sizeof(tail));
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER,
	    0);
	fx_vmwrite(&fx, VMCS_VMX_PREEMPTION_TIMER_VAL, 1);	/* 32 insns */
	ck_assert_uint_eq(fx_run(&fx, 1),
	    VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP),
	    0x6000 + sizeof(head) + 23 + 7);
	fl = fx_vmread(&fx, VMCS_GUEST_IA32_RFLAGS);
	ck_assert_msg((fl & ~(uint64_t)PSL_CC) == 0x2,
	    "RFLAGS %#llx at the timed exit", (unsigned long long)fl);
	ex_ctl(&fx, VMCS_PINBASED_CTLS, 0,
	    IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_HLT);
	fl = fx_vmread(&fx, VMCS_GUEST_IA32_RFLAGS);
	ck_assert_msg((fl & ~(uint64_t)PSL_CC) == 0x2,
	    "RFLAGS %#llx after it", (unsigned long long)fl);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_preemption_timer_is_exact)
{
	struct fx fx;
	uint64_t n, vt[2], rax[2];
	int run;

	for (run = 0; run < 2; run++) {
		ex_setup(&fx, 0x1000);
		ex_ctl(&fx, VMCS_PINBASED_CTLS,
		    IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER, 0);
		ex_ctl(&fx, VMCS_EXIT_CTLS, IA32_VMX_SAVE_VMX_PREEMPTION_TIMER, 0);
		fx_vmwrite(&fx, VMCS_VMX_PREEMPTION_TIMER_VAL, 1000);
		ck_assert_uint_eq(fx_run(&fx, 1),
		    VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED);
		n = emu_cpu_vtime(fx.cpu);
		/* Rate 5: 1000 ticks of bit 5 = 32000 instructions. */
		ck_assert_uint_eq(n, 1000 << 5);
		/* inc, jmp, inc, ...: RAX counts the incs retired. */
		ck_assert_uint_eq(fx.regs.r[EMU_RAX], (n + 1) / 2);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP),
		    n % 2 ? 0x1003 : 0x1000);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_VMX_PREEMPTION_TIMER_VAL),
		    0);
		vt[run] = n;
		rax[run] = fx.regs.r[EMU_RAX];
		fx_fini(&fx);
	}
	ck_assert_uint_eq(vt[0], vt[1]);
	ck_assert_uint_eq(rax[0], rax[1]);
}
END_TEST

/* HLT without HLT exiting: activity state HLT, idle time skipped. */
START_TEST(test_hlt_activity_state_and_timer_warp)
{
	struct fx fx;

	ex_setup(&fx, 0x1240);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, 0, IA32_VMX_HLT_EXITING);
	ex_ctl(&fx, VMCS_PINBASED_CTLS, IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER,
	    0);
	ex_ctl(&fx, VMCS_EXIT_CTLS, IA32_VMX_SAVE_VMX_PREEMPTION_TIMER, 0);
	fx_vmwrite(&fx, VMCS_VMX_PREEMPTION_TIMER_VAL, 100000);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_ACTIVITY_STATE), 1);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1241);
	ck_assert_uint_eq(emu_cpu_vtime(fx.cpu), 100000ULL << 5);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_VMX_PREEMPTION_TIMER_VAL), 0);
	fx_fini(&fx);
}
END_TEST

static void *
kick_later(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	emu_cpu_kick(arg);
	return (NULL);
}

/* Another thread's interrupt ends a spinning guest with exit reason 1. */
START_TEST(test_external_interrupt_from_another_thread)
{
	struct fx fx;
	pthread_t t;

	ex_setup(&fx, 0x1000);
	ck_assert_int_eq(pthread_create(&t, NULL, kick_later, fx.cpu), 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EXTINT);
	pthread_join(t, NULL);
	/* The kick may land before the guest's first instruction: RIP is
	 * somewhere in the spin loop, never past it. */
	ck_assert_uint_le(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1003);
	fx_fini(&fx);
}
END_TEST

/* MSR lists: loaded on entry, stored on exit, a bad entry fails (34). */
START_TEST(test_msr_load_and_store_lists)
{
	struct fx fx;
	uint64_t list = 0, store, *p, *q;

	ex_setup(&fx, 0x1240);
	list = hostmem_alloc(fx.hm, 1);
	store = hostmem_alloc(fx.hm, 1);
	p = hostmem_ptr(fx.hm, list, 4096);
	q = hostmem_ptr(fx.hm, store, 4096);
	p[0] = 0xC0000082;			/* LSTAR */
	p[1] = 0xFFFFFFFF81234560ULL;
	q[0] = 0xC0000082;
	fx_vmwrite(&fx, VMCS_ENTRY_LOAD_MSR_ADDRESS, list);
	fx_vmwrite(&fx, VMCS_ENTRY_MSR_LOAD_COUNT, 1);
	fx_vmwrite(&fx, VMCS_EXIT_STORE_MSR_ADDRESS, store);
	fx_vmwrite(&fx, VMCS_EXIT_MSR_STORE_COUNT, 1);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(q[1], 0xFFFFFFFF81234560ULL);
	vmx_vmclear(fx.cpu, fx.vmcs);
	vmx_vmptrld(fx.cpu, fx.vmcs);
	p[2] = 0x9E;				/* IA32_SMBASE: not loadable */
	fx_vmwrite(&fx, VMCS_ENTRY_MSR_LOAD_COUNT, 2);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_ENTRY_FAILED_MSR_LOAD |
	    VMX_EXIT_REASON_ENTRY_FAILURE);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 2);
	fx_fini(&fx);
}
END_TEST

/* Guest paging modes and EPT (SDM Vol. 3A ch. 4, Vol. 3C §29.3) */

static void
pm_setup(struct fx *fx, uint64_t cr0, uint64_t cr4, uint64_t cr3)
{
	int i;

	fx_init(fx);
	fx_map_ram(fx, 512);
	fx_load(fx, "pm_paging.bin", 0x1000);
	fx_guest_long(fx, 0x1000);
	for (i = 0; i < 6; i++)
		fx_seg(fx, i, 0x10, 0, 0xFFFFFFFF, 0xC093);
	fx_seg(fx, 1, 0x08, 0, 0xFFFFFFFF, 0xC09B);
	fx_vmwrite(fx, VMCS_ENTRY_CTLS, fx_vmread(fx, VMCS_ENTRY_CTLS) &
	    ~IA32_VMX_IA32E_MODE_GUEST);
	fx_vmwrite(fx, VMCS_GUEST_IA32_EFER, 0);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR0, cr0);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR4, cr4 | CR4_VMXE);
	fx_vmwrite(fx, VMCS_GUEST_IA32_CR3, cr3);
	*(uint32_t *)(fx->ram + 0x3000) = 0xCAFE;
}

/*
 * Blocks the engine's translator cannot take whole (ROBUSTNESS.md finding
 * 11): Unicorn 2.1.1 leaks a TCG temporary or two for each INTO, x87
 * instruction or segment-register load, and a block of a few hundred of
 * them overran its table and crashed the process.  Such blocks are cut;
 * the guest sees each instruction run, once, in order.  n copies of insn
 * at at (across a page boundary), then HLT, with HLT exiting.
 */
static void
heavy_run(struct fx *fx, uint64_t at, const uint8_t *insn, size_t len,
    unsigned n)
{
	uint64_t t0;
	unsigned i;

	for (i = 0; i < n; i++)
		memcpy(fx->ram + at + i * len, insn, len);
	fx->ram[at + n * len] = 0xF4;
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, at);
	ex_ctl(fx, VMCS_PROCBASED_CTLS, IA32_VMX_HLT_EXITING, 0);
	t0 = emu_cpu_vtime(fx->cpu);
	ck_assert_uint_eq(fx_run(fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_RIP), at + n * len);
	ck_assert_uint_eq(emu_cpu_vtime(fx->cpu) - t0, n);
	fx_fini(fx);
}

static const uint8_t into[] = { 0xCE };
static const uint8_t fxch[] = { 0xD9, 0xC9 };		/* fxch st(1) */
static const uint8_t fadd[] = { 0xD8, 0xC1 };		/* fadd st, st(1) */
static const uint8_t movds[] = { 0x8E, 0xD8 };		/* mov ds, ax */
static const uint8_t aam[] = { 0xD4, 0x0A };		/* aam */

START_TEST(test_heavy_blocks_real_mode)
{
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x1000);
	switch (_i) {
	case 0: heavy_run(&fx, 0x1800, into, 1, 3000); break;
	case 1: heavy_run(&fx, 0x1800, fxch, 2, 1500); break;
	case 2: heavy_run(&fx, 0x1800, aam, 2, 1500); break;
	default: heavy_run(&fx, 0x1800, movds, 2, 1500); break;
	}
}
END_TEST

START_TEST(test_heavy_blocks_protected_mode)
{
	struct fx fx;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	switch (_i) {
	case 0: heavy_run(&fx, 0x4800, into, 1, 3000); break;
	case 1: heavy_run(&fx, 0x4800, fadd, 2, 1500); break;
	case 2: heavy_run(&fx, 0x4800, aam, 2, 1500); break;
	default: heavy_run(&fx, 0x4800, movds, 2, 1500); break;
	}
}
END_TEST

START_TEST(test_heavy_blocks_long_mode)
{
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	fx_guest_long(&fx, 0x4800);
	switch (_i) {
	case 0: heavy_run(&fx, 0x4800, fxch, 2, 1500); break;
	case 1: heavy_run(&fx, 0x4800, fadd, 2, 1500); break;
	default: heavy_run(&fx, 0x4800, movds, 2, 1500); break;
	}
}
END_TEST

/*
 * Instructions the engine's translator cannot take at all (ROBUSTNESS.md
 * finding 12): BT, BTS, BTR and BTC with a LOCK prefix and a register
 * operand made Unicorn 2.1.1 abort the process.  The CPU raises #UD at
 * them, as the SDM says for a LOCK without a memory destination, wherever
 * they are: after other prefixes, across a page boundary (the LOCK on
 * either side of it), after a block of heavy code, in any mode.  At 16
 * bytes the instruction is too long: #GP.
 */
static const struct {
	uint8_t	pre[8];		/* code before it: runs */
	uint8_t	npre;
	uint8_t	insn[16];
	uint8_t	len;
	uint16_t at;		/* where the instruction starts, in its page */
	uint8_t	vector;
} poisons[] = {
	{ { 0x90, 0x90 }, 2, { 0xF0, 0x0F, 0xAB, 0xC1 }, 4, 0x100, 6 },
	{ { 0x90 }, 1, { 0x66, 0x2E, 0xF0, 0x0F, 0xA3, 0xD8 }, 6, 0x100, 6 },
	{ { 0x90 }, 1, { 0xF0, 0x0F, 0xBA, 0xE9, 0x01 }, 5, 0x100, 6 },
	{ { 0x90 }, 1, { 0xF0, 0xF3, 0x0F, 0xB3, 0xC1 }, 5, 0xFFE, 6 },
	{ { 0x90 }, 1, { 0x66, 0xF0, 0x0F, 0xBB, 0xC1 }, 5, 0xFFF, 6 },
	{ { 0x90 }, 1, { 0xF0, 0x0F, 0xBA, 0xF9, 0x01 }, 5, 0xFFD, 6 },
	{ { 0x90 }, 1, { 0xF0, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x0F, 0xAB, 0xC1 }, 15, 0x100, 6 },
	{ { 0x90 }, 1, { 0xF0, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x0F, 0xAB, 0xC1 }, 16, 0x100, 13 },
};

static void
poison_run(struct fx *fx, uint64_t page, unsigned k, unsigned heavy)
{
	uint64_t at = page + poisons[k].at, start;
	unsigned npre = poisons[k].npre, i;
	uint64_t t0;

	/* heavy: FXCH before it, enough to make the block too heavy. */
	start = at - npre - 2 * heavy;
	for (i = 0; i < heavy; i++)
		memcpy(fx->ram + start + 2 * i, fxch, 2);
	memcpy(fx->ram + at - npre, poisons[k].pre, npre);
	memcpy(fx->ram + at, poisons[k].insn, poisons[k].len);
	fx->ram[at + poisons[k].len] = 0xF4;
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, start);
	fx_vmwrite(fx, VMCS_EXCEPTION_BITMAP, (1U << 6) | (1U << 13));
	ex_ctl(fx, VMCS_PROCBASED_CTLS, IA32_VMX_HLT_EXITING, 0);
	t0 = emu_cpu_vtime(fx->cpu);
	ck_assert_uint_eq(fx_run(fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF,
	    poisons[k].vector | (3 << 8));
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_RIP), at);
	ck_assert_uint_eq(emu_cpu_vtime(fx->cpu) - t0, heavy + npre);
	fx_fini(fx);
}

#define NPOISONS	(sizeof(poisons) / sizeof(poisons[0]))

START_TEST(test_lock_bt_register_is_ud_real_mode)
{
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 16);
	fx_guest_real(&fx, 0, 0, 0x1000);
	poison_run(&fx, 0x2000, (unsigned)_i % NPOISONS,
	    (unsigned)_i < NPOISONS ? 0 : 300);
}
END_TEST

START_TEST(test_lock_bt_register_is_ud_protected_mode)
{
	struct fx fx;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	poison_run(&fx, 0x5000, (unsigned)_i % NPOISONS,
	    (unsigned)_i < NPOISONS ? 0 : 300);
}
END_TEST

START_TEST(test_lock_bt_register_is_ud_long_mode)
{
	struct fx fx;

	fx_init(&fx);
	fx_map_ram(&fx, 512);
	fx_guest_long(&fx, 0x4800);
	poison_run(&fx, 0x5000, (unsigned)_i % NPOISONS,
	    (unsigned)_i < NPOISONS ? 0 : 300);
}
END_TEST

/*
 * The same bytes inside another instruction (an immediate) and after a
 * jump that skips them: they run as what they are, the page weighed
 * heavy all the same and its blocks cut before each such byte.
 */
static void
poison_bytes_run(struct fx *fx, uint64_t at)
{
	static const uint8_t code[] = {
		0xB8, 0xF0, 0x0F, 0xAB, 0xC1,	/* mov eax, 0xC1AB0FF0 */
		0xEB, 0x04,			/* jmp over: */
		0xF0, 0x0F, 0xAB, 0xC1,		/* lock bts ecx, eax */
		0x66, 0xF0, 0x0F, 0xAB, 0xC1,	/* never reached */
	};
	uint64_t t0;

	memcpy(fx->ram + at, code, sizeof(code));
	fx->ram[at + 11] = 0xF4;		/* hlt (at the 66) */
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, at);
	fx_vmwrite(fx, VMCS_EXCEPTION_BITMAP, (1U << 6) | (1U << 13));
	ex_ctl(fx, VMCS_PROCBASED_CTLS, IA32_VMX_HLT_EXITING, 0);
	t0 = emu_cpu_vtime(fx->cpu);
	ck_assert_uint_eq(fx_run(fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_RIP), at + 11);
	ck_assert_uint_eq(fx->regs.r[EMU_RAX] & 0xFFFFFFFF, 0xC1AB0FF0);
	ck_assert_uint_eq(emu_cpu_vtime(fx->cpu) - t0, 2);
	fx_fini(fx);
}

START_TEST(test_lock_bt_bytes_not_run_are_harmless)
{
	struct fx fx;

	if (_i == 0) {
		pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	} else {
		fx_init(&fx);
		fx_map_ram(&fx, 512);
		fx_guest_long(&fx, 0x4800);
	}
	poison_bytes_run(&fx, _i < 2 ? 0x5100 : 0x5FF8);
}
END_TEST

/*
 * A LOCK on an instruction that is not one of the SDM's lockable ones,
 * or on one of them without a memory destination, is #UD at the LOCK.
 * QEMU's translator runs many of them all the same (LOCK BT, MOV, TEST,
 * LEA, SGDT run as if unprefixed: measured in a bare Unicorn 2.1.1);
 * Zydis rejects them, so the CPU raises the #UD and the engine never
 * runs them.  A lockable one (LOCK BTS, ADD, XCHG, CMPXCHG with a memory
 * destination) runs.
 */
static const struct lock_case {
	uint8_t	 insn[6];
	uint8_t	 len;
	bool	 ud;
	uint32_t after;		/* the dword at 0x3000 after it ran */
} lock_cases[] = {
	{ { 0xF0, 0x0F, 0xA3, 0x08 }, 4, true, 0 },	   /* bt [rax], ecx */
	{ { 0xF0, 0x0F, 0xBA, 0x20, 0x01 }, 5, true, 0 }, /* bt [rax], 1 */
	{ { 0xF0, 0x89, 0x08 }, 3, true, 0 },		   /* mov [rax], ecx */
	{ { 0xF0, 0x8B, 0x08 }, 3, true, 0 },		   /* mov ecx, [rax] */
	{ { 0xF0, 0x85, 0x08 }, 3, true, 0 },		   /* test [rax], ecx */
	{ { 0xF0, 0x39, 0x08 }, 3, true, 0 },		   /* cmp [rax], ecx */
	{ { 0xF0, 0x8D, 0x00 }, 3, true, 0 },		   /* lea eax, [rax] */
	{ { 0xF0, 0xC6, 0x00, 0x01 }, 4, true, 0 },	   /* mov byte [rax], 1 */
	{ { 0xF0, 0xD1, 0x20 }, 3, true, 0 },		   /* shl dword [rax], 1 */
	{ { 0xF0, 0x0F, 0x01, 0x00 }, 4, true, 0 },	   /* sgdt [rax] */
	{ { 0xF0, 0x01, 0xC8 }, 3, true, 0 },		   /* add eax, ecx */
	{ { 0xF0, 0x0F, 0xAB, 0x08 }, 4, false, 0x20 },	   /* bts [rax], ecx */
	{ { 0xF0, 0x0F, 0xBA, 0x28, 0x01 }, 5, false, 0x02 }, /* bts [rax], 1 */
	{ { 0xF0, 0x01, 0x08 }, 3, false, 0x05 },	   /* add [rax], ecx */
	{ { 0xF0, 0x87, 0x08 }, 3, false, 0x05 },	   /* xchg [rax], ecx */
	{ { 0xF0, 0x0F, 0xB1, 0x08 }, 4, false, 0 },	   /* cmpxchg: no store */
};

START_TEST(test_lock_on_what_cannot_be_locked_is_ud)
{
	static const uint8_t head[] = {
		0xB8, 0x00, 0x30, 0x00, 0x00,	/* mov eax, 0x3000 */
		0xB9, 0x05, 0x00, 0x00, 0x00,	/* mov ecx, 5 */
	};
	const struct lock_case *lc = &lock_cases[_i];
	uint8_t code[32];
	uint32_t dw;
	struct fx fx;

	memcpy(code, head, sizeof(head));
	memcpy(code + sizeof(head), lc->insn, lc->len);
	code[sizeof(head) + lc->len] = 0xF4;	/* hlt */
	dr_setup(&fx, code, sizeof(head) + lc->len + 1);
	memset(fx.ram + 0x3000, 0, 8);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1U << 6);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_HLT_EXITING, 0);
	if (lc->ud) {
		ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
		ck_assert_uint_eq(fx_vmread(&fx,
		    VMCS_EXIT_INTERRUPTION_INFO) & 0x7FF, 6 | (3 << 8));
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP),
		    0x1000 + sizeof(head));
		ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0x3000);
		ck_assert_uint_eq(fx.regs.r[EMU_RCX], 5);
	} else {
		ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
		ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP),
		    0x1000 + sizeof(head) + lc->len);
	}
	memcpy(&dw, fx.ram + 0x3000, sizeof(dw));
	ck_assert_uint_eq(dw, lc->after);
	fx_fini(&fx);
}
END_TEST

/*
 * A page weighed light and run, then written with heavy code by the guest
 * (rep stosw of FXCH, in the page it runs from and the next), then run:
 * the store took the page's execute rights away, the page is weighed
 * again, heavy, and its blocks cut.
 */
START_TEST(test_light_page_written_heavy_is_weighed_again)
{
	uint8_t code[] = {
		0x48, 0xBF, 0x00, 0x48, 0, 0, 0, 0, 0, 0, /* mov rdi, 0x4800 */
		0xB9, 0xDC, 0x05, 0x00, 0x00,		/* mov ecx, 1500 */
		0x66, 0xB8, 0xD9, 0xC9,			/* mov ax, 0xC9D9 */
		0xF3, 0x66, 0xAB,			/* rep stosw: fxch x1500 */
		0xC6, 0x07, 0xF4,			/* mov byte [rdi], hlt */
		0xE9, 0, 0, 0, 0,			/* jmp 0x4800 */
	};
	int32_t rel = 0x4800 - (0x4000 + (int32_t)sizeof(code));
	struct fx fx;

	memcpy(code + sizeof(code) - 4, &rel, 4);
	fx_init(&fx);
	fx_map_ram(&fx, 512);
	memcpy(fx.ram + 0x4000, code, sizeof(code));
	fx_guest_long(&fx, 0x4000);
	ex_ctl(&fx, VMCS_PROCBASED_CTLS, IA32_VMX_HLT_EXITING, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_HLT);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x4800 + 3000);
	ck_assert_uint_eq(fx.regs.r[EMU_RCX], 0);
	ck_assert_uint_ge(emu_cpu_vtime(fx.cpu), 1500 + 6);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_protected_mode_without_paging)
{
	struct fx fx;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	fx.regs.r[EMU_RBX] = 0x3000;
	fx.regs.r[EMU_RCX] = 0x3100;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xCAFE);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_INSTRUCTION_LENGTH), 2);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(*(uint32_t *)(fx.ram + 0x3100), 0x600D);
	fx_fini(&fx);
}
END_TEST

/* 32-bit paging: a 4 KiB page through a page table, a 4 MiB PSE page. */
START_TEST(test_32bit_paging_4k_and_4m_pages)
{
	struct fx fx;
	uint32_t *pd, *pt;
	int i;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET | CR0_PG | CR0_WP, CR4_PSE,
	    0x10000);
	pd = (uint32_t *)(fx.ram + 0x10000);
	pt = (uint32_t *)(fx.ram + 0x11000);
	for (i = 0; i < 512; i++)
		pt[i] = (i << 12) | 3;
	pt[0x9] = 0x3000 | 3;			/* VA 0x9000 -> PA 0x3000 */
	pd[0] = 0x11000 | 3;
	pd[1] = 0x00000000 | 0x83;		/* VA 4M..8M -> PA 0..4M */
	fx.regs.r[EMU_RBX] = 0x9000;
	fx.regs.r[EMU_RCX] = 0x403100;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xCAFE);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(*(uint32_t *)(fx.ram + 0x3100), 0x600D);
	/* Accessed on the walk's entries, dirty on the written leaf. */
	ck_assert_uint_eq(pt[0x9] & 0x20, 0x20);
	ck_assert_uint_eq(pt[0x9] & 0x40, 0);
	ck_assert_uint_eq(pd[1] & 0x60, 0x60);
	fx_fini(&fx);
}
END_TEST

/* PAE: PDPTEs at CR3 (loaded from the VMCS with EPT), a 2 MiB page. */
START_TEST(test_pae_paging)
{
	struct fx fx;
	uint64_t *pdpt, *pd;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET | CR0_PG, CR4_PAE, 0x10000);
	pdpt = (uint64_t *)(fx.ram + 0x10000);
	pd = (uint64_t *)(fx.ram + 0x11000);
	pdpt[0] = 0x11000 | 1;
	pdpt[1] = 0x11000 | 1;			/* VA 1G.. uses the same PD */
	pd[0] = 0 | 0x83;			/* 2 MiB page at 0 */
	fx_vmwrite(&fx, VMCS_GUEST_PDPTE0, pdpt[0]);
	fx_vmwrite(&fx, VMCS_GUEST_PDPTE1, pdpt[1]);
	fx.regs.r[EMU_RBX] = 0x40003000;	/* through PDPTE 1 */
	fx.regs.r[EMU_RCX] = 0x3100;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xCAFE);
	fx_fini(&fx);
}
END_TEST

/* #PF error codes: write to a read-only page with CR0.WP (P|W). */
START_TEST(test_page_fault_error_code_write_protect)
{
	struct fx fx;
	uint32_t *pd, *pt;
	int i;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET | CR0_PG | CR0_WP, 0, 0x10000);
	pd = (uint32_t *)(fx.ram + 0x10000);
	pt = (uint32_t *)(fx.ram + 0x11000);
	for (i = 0; i < 512; i++)
		pt[i] = (i << 12) | 3;
	pt[0x5] = 0x5000 | 1;			/* read-only */
	pd[0] = 0x11000 | 3;
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 14);
	fx.regs.r[EMU_RBX] = 0x3000;
	fx.regs.r[EMU_RCX] = 0x5008;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000B0E);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 3);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 0x5008);
	/* Without CR0.WP the supervisor write goes through. */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_CR0, CR0_PE | CR0_NE | CR0_ET | CR0_PG);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(*(uint32_t *)(fx.ram + 0x5008), 0x600D);
	fx_fini(&fx);
}
END_TEST

/* A reserved bit in a 4-level entry: #PF with P|RSVD. */
START_TEST(test_page_fault_reserved_bit)
{
	struct fx fx;
	uint64_t *pt;

	lm_setup(&fx);
	pt = (uint64_t *)(fx.ram + FX_PML4);
	pt[1024 + 2] = 0x400000 | 0x83 | (1ULL << 51);	/* PD[2]: RSVD */
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 14);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_PF_INSN);
	fx.regs.r[EMU_RBX] = 0x400000;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 9);
	fx_fini(&fx);
}
END_TEST

/* Execute from an NX page (EFER.NXE): #PF with P|I. */
START_TEST(test_page_fault_nx_fetch)
{
	struct fx fx;
	uint64_t *pt;

	lm_setup(&fx);
	pt = (uint64_t *)(fx.ram + FX_PML4);
	pt[1024] |= 1ULL << 63;
	fx_vmwrite(&fx, VMCS_GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 14);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE),
	    1 | 0x10);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION), 0x1000);
	fx_fini(&fx);
}
END_TEST

/* EPT: write to a read-only page; the qualification lists the rights. */
START_TEST(test_ept_violation_write_to_read_only)
{
	struct fx fx;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	fx_ept_map(&fx, 0x3000, fx.ram_hpa + 0x3000, 1 | 4);	/* R, X */
	fx.regs.r[EMU_RBX] = 0x3000;
	fx.regs.r[EMU_RCX] = 0x3100;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_EPT_VIOLATION);
	/* write; readable, executable; linear address valid and final */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    2 | (1 << 3) | (1 << 5) | (1 << 7) | (1 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_PHYSICAL_ADDRESS), 0x3100);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_LINEAR_ADDRESS), 0x3100);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1004);
	fx_fini(&fx);
}
END_TEST

/* EPT violation on a guest paging-structure access (bit 8 clear). */
START_TEST(test_ept_violation_on_paging_structure)
{
	struct fx fx;
	uint64_t *l1;

	lm_setup(&fx);
	/* Unmap the guest's PD page (GPA 0x12000) in the EPT. */
	l1 = hostmem_ptr(fx.hm, 0, 8);
	(void)l1;
	fx_ept_map(&fx, FX_PML4 + 0x2000, 0, 0);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EPT_VIOLATION);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_PHYSICAL_ADDRESS),
	    FX_PML4 + 0x2000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_LINEAR_ADDRESS), 0x1000);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    1 | (1 << 7));
	fx_fini(&fx);
}
END_TEST

START_TEST(test_ept_misconfiguration_write_without_read)
{
	struct fx fx;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	fx_ept_map(&fx, 0x3000, fx.ram_hpa + 0x3000, 2);	/* W only */
	fx.regs.r[EMU_RBX] = 0x3000;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EPT_MISCONFIGURATION);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_PHYSICAL_ADDRESS), 0x3000);
	fx_fini(&fx);
}
END_TEST

/* 2 MiB and 1 GiB EPT leaves, and EPT accessed/dirty flags. */
START_TEST(test_ept_large_pages_and_ad_flags)
{
	struct fx fx;
	uint64_t pml4, pdpt, pd, *e;

	pm_setup(&fx, CR0_PE | CR0_NE | CR0_ET, 0, 0);
	/* A fresh EPT: GPA 0-2M by one 2 MiB leaf, GPA 1G-2G by a 1 GiB
	 * leaf onto the same RAM (only its first 2 MiB exist). */
	pml4 = hostmem_alloc(fx.hm, 1);
	pdpt = hostmem_alloc(fx.hm, 1);
	pd = hostmem_alloc(fx.hm, 1);
	*(uint64_t *)hostmem_ptr(fx.hm, pml4, 8) = pdpt | 7;
	e = hostmem_ptr(fx.hm, pdpt, 16);
	e[0] = pd | 7;
	e[1] = fx.ram_hpa | 0x80 | (6 << 3) | 7;
	*(uint64_t *)hostmem_ptr(fx.hm, pd, 8) = fx.ram_hpa | 0x80 | (6 << 3) | 7;
	fx_vmwrite(&fx, VMCS_GUEST_IA32_EPTP, pml4 | 6 | (3 << 3) | (1 << 6));
	fx.regs.r[EMU_RBX] = 0x40003000;	/* through the 1 GiB leaf */
	fx.regs.r[EMU_RCX] = 0x3100;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx.regs.r[EMU_RAX], 0xCAFE);
	ck_assert_uint_eq(e[1] & 0x300, 0x100);		/* accessed only */
	fx_skip(&fx);
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(*(uint32_t *)hostmem_ptr(fx.hm, pd, 8) & 0x300,
	    0x300);					/* written: A and D */
	ck_assert_uint_eq(e[0] & 0x100, 0x100);
	fx_fini(&fx);
}
END_TEST

/*
 * An EPT violation while pushing an injected interrupt's frame: the exit
 * carries the event in IDT-vectoring information, and the monitor can
 * inject it again once the page is mapped.
 */
START_TEST(test_idt_vectoring_info_on_ept_violation_during_delivery)
{
	struct fx fx;

	lm_setup(&fx);
	fx_idt64(&fx, 0x20, LM_IRQ_HANDLER, 0);
	fx_ept_map(&fx, 0x7F000, 0, 0);			/* the stack page */
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RFLAGS, 0x202);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO, 0x80000020);
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_EPT_VIOLATION);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_IDT_VECTORING_INFO), 0x80000020);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_PHYSICAL_ADDRESS), 0x7FFF8);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION),
	    2 | (1 << 7) | (1 << 8));
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_IA32_RIP), 0x1000);
	fx_ept_map(&fx, 0x7F000, fx.ram_hpa + 0x7F000, 7);
	fx_vmwrite(&fx, VMCS_ENTRY_INTERRUPTION_INFO,
	    fx_vmread(&fx, VMCS_IDT_VECTORING_INFO));
	ck_assert_uint_eq(fx_run(&fx, 0), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x82);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_IDT_VECTORING_INFO), 0);
	fx_fini(&fx);
}
END_TEST

/* A #PF while delivering #GP is delivered instead; #PF on #PF is #DF. */
START_TEST(test_fault_during_delivery_becomes_double_fault)
{
	struct fx fx;
	uint64_t *pt;

	lm_setup(&fx);
	pt = (uint64_t *)(fx.ram + FX_PML4);
	fx_idt64(&fx, 14, LM_PF_HANDLER, 0);
	fx_idt64(&fx, 8, LM_IRQ_HANDLER, 0);
	/* The stack at 0x7FFxx is in the 2M page; move RSP to an unmapped
	 * guest address so the #PF frame itself faults. */
	(void)pt;
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RSP, 0x400100);
	fx_vmwrite(&fx, VMCS_EXCEPTION_BITMAP, 1 << 8);
	fx_vmwrite(&fx, VMCS_GUEST_IA32_RIP, LM_PF_INSN);
	fx.regs.r[EMU_RBX] = 0x400000;
	ck_assert_uint_eq(fx_run(&fx, 1), VMX_EXIT_NMI);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_INFO),
	    0x80000000 | (1 << 11) | (3 << 8) | 8);
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_EXIT_INTERRUPTION_ERR_CODE), 0);
	/* It happened while delivering the first #PF. */
	ck_assert_uint_eq(fx_vmread(&fx, VMCS_IDT_VECTORING_INFO), 0x80000B0E);
	fx_fini(&fx);
}
END_TEST

/*
 * An exception at CPL 3 through a DPL-0 interrupt gate: the CPU switches
 * to the TSS's RSP0 (or to IST1 when the gate names it), pushes SS, RSP,
 * RFLAGS, CS, RIP and the error code, and runs the handler at CPL 0.
 */
static void
ring3_setup(struct fx *fx)
{
	uint64_t rsp0, ist1;

	lm_setup(fx);
	lm_ring3(fx);
	fx_vmwrite(fx, VMCS_GUEST_IA32_RIP, LM_USER_CODE + 2);	/* the hlt */
	fx_vmwrite(fx, VMCS_GUEST_IA32_RSP, 0x7F000);
	rsp0 = 0x70000;
	ist1 = 0x60000;
	memcpy(fx->ram + FX_TSS + 4, &rsp0, 8);		/* RSP0 (unaligned) */
	memcpy(fx->ram + FX_TSS + 0x24, &ist1, 8);	/* IST1 */
}

static void
check_ring0_frame(struct fx *fx, uint64_t stack_top)
{
	uint64_t rsp, *frame;

	ck_assert_uint_eq(fx_run(fx, 1), VMX_EXIT_IO);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_EXIT_QUALIFICATION) >> 16,
	    0x81);
	ck_assert_uint_eq(fx->regs.r[EMU_RAX], 0);	/* #GP error code */
	rsp = fx_vmread(fx, VMCS_GUEST_IA32_RSP);
	ck_assert_uint_eq(rsp, stack_top - 5 * 8);
	frame = (uint64_t *)(fx->ram + rsp);
	ck_assert_uint_eq(frame[0], LM_USER_CODE + 2);	/* RIP of the hlt */
	ck_assert_uint_eq(frame[1], 0x33);		/* CS, CPL 3 */
	ck_assert_uint_eq(frame[3], 0x7F000);		/* user RSP */
	ck_assert_uint_eq(frame[4], 0x2B);		/* user SS */
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_CS_SEL), 0x08);
	ck_assert_uint_eq(fx_vmread(fx, VMCS_GUEST_IA32_SS_SEL), 0);
	ck_assert_uint_eq((fx_vmread(fx, VMCS_GUEST_IA32_SS_AR) >> 5) & 3, 0);
}

START_TEST(test_delivery_from_ring3_switches_to_rsp0)
{
	struct fx fx;

	ring3_setup(&fx);
	fx_idt64(&fx, 13, LM_PF_HANDLER, 0);
	check_ring0_frame(&fx, 0x70000);
	fx_fini(&fx);
}
END_TEST

/*
 * The CPU reads the IDT, GDT and TSS and pushes the handler's frame as a
 * supervisor, even when the interrupted code ran at CPL 3: with those
 * pages supervisor-only (as under Linux's page-table isolation) delivery
 * from ring 3 must still work.
 */
START_TEST(test_delivery_from_ring3_uses_supervisor_accesses)
{
	struct fx fx;
	uint64_t *pd, *pt;
	int i;

	ring3_setup(&fx);
	fx_idt64(&fx, 13, LM_PF_HANDLER, 0);
	pd = (uint64_t *)(fx.ram + FX_PML4 + 0x2000);
	pt = (uint64_t *)(fx.ram + FX_PML4 + 0x3000);
	for (i = 0; i < 512; i++)
		pt[i] = ((uint64_t)i << 12) | 7;		/* P | W | U */
	pt[0] = 0x0000 | 3;	/* GDT, IDT, TSS: supervisor only */
	pt[0x6F] = 0x6F000 | 3;	/* the ring-0 stack below RSP0 */
	pd[0] = (FX_PML4 + 0x3000) | 7;
	check_ring0_frame(&fx, 0x70000);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_delivery_through_ist1)
{
	struct fx fx;

	ring3_setup(&fx);
	fx_idt64(&fx, 13, LM_PF_HANDLER, 1);
	check_ring0_frame(&fx, 0x60000);
	fx_fini(&fx);
}
END_TEST

static Suite *
emu_suite(void)
{
	Suite *s = suite_create("emu");
	TCase *tc;

	tc = tcase_create("vmx_instructions");
	tcase_add_test(tc, test_vmxon_needs_cr4_vmxe);
	tcase_add_test(tc, test_vmxon_wrong_revision_fails_invalid);
	tcase_add_test(tc, test_vmxon_in_vmx_root_fails_valid_15);
	tcase_add_test(tc, test_vmx_instructions_ud_outside_vmx);
	tcase_add_test(tc, test_vmclear_errors);
	tcase_add_test(tc, test_vmclear_current_makes_pointer_invalid);
	tcase_add_test(tc, test_vmptrld_errors);
	tcase_add_test(tc, test_vmread_vmwrite_errors);
	tcase_add_test(tc, test_vmread_n_is_n_vmreads);
	tcase_add_test(tc, test_vmlaunch_launched_and_vmresume_clear);
	tcase_add_test(tc, test_quiet_resume_still_sees_rip_rsp_rflags);
	tcase_add_test(tc, test_invept_invvpid_operands);
	suite_add_tcase(s, tc);

	tc = tcase_create("real_mode");
	tcase_add_test(tc, test_real_mode_exits_in_order);
	tcase_add_test(tc, test_reset_vector_loads_hidden_cs_base);
	tcase_add_test(tc, test_inject_gp_real_mode_drops_error_code);
	tcase_add_test(tc, test_real_mode_int_after_segment_reloads);
	tcase_add_test(tc, test_real_mode_code_at_address_zero);
	tcase_add_test(tc, test_cpl_after_setting_pe_is_not_cs_rpl);
	tcase_add_test(tc, test_host_nmi_exits_with_nmi_exiting);
	tcase_add_test(tc, test_host_nmi_delivered_and_blocked_until_iret);
	tcase_add_test(tc, test_nmi_blocking_from_entry_and_injection);
	tcase_add_test(tc, test_nmi_window_exiting);
	suite_add_tcase(s, tc);

	tc = tcase_create("long_mode");
	tcase_add_test(tc, test_long_mode_exits_in_order);
	tcase_add_test(tc, test_long_mode_msr_bitmap_pass_through);
	tcase_add_test(tc, test_page_fault_delivered_through_idt);
	tcase_add_test(tc, test_inject_external_interrupt_long_mode);
	tcase_add_test(tc, test_triple_fault_when_idt_is_empty);
	tcase_add_test(tc,
	    test_idt_vectoring_info_on_ept_violation_during_delivery);
	tcase_add_test(tc, test_fault_during_delivery_becomes_double_fault);
	tcase_add_test(tc, test_delivery_from_ring3_switches_to_rsp0);
	tcase_add_test(tc, test_delivery_from_ring3_uses_supervisor_accesses);
	tcase_add_test(tc, test_delivery_through_ist1);
	tcase_add_test(tc, test_ring3_long_mode_guest);
	tcase_add_test(tc, test_runs_are_deterministic);
	tcase_add_test(tc, test_pooled_engine_keeps_nothing_of_the_last_guest);
	tcase_add_test(tc, test_engine_that_decoded_much_code_is_not_pooled);
	tcase_add_test(tc, test_engine_serves_at_most_64_cpus);
	tcase_add_test(tc, test_engine_code_buffer_is_128_mib);
	tcase_add_test(tc, test_pooled_engine_obeys_live_state_off);
	tcase_add_test(tc, test_boot64_reset_vector_to_long_mode);
	suite_add_tcase(s, tc);

	tc = tcase_create("exits");
	tcase_add_test(tc, test_exit_mov_dr);
	tcase_add_test(tc, test_mov_dr7_enabling_breakpoints_runs_in_the_guest);
	tcase_add_test(tc, test_debug_registers_in_and_out_with_the_gprs);
	tcase_add_test(tc, test_mov_dr4_dr5_alias_or_ud_with_cr4_de);
	tcase_add_test(tc, test_mov_dr_with_general_detect_is_db);
	tcase_add_test(tc, test_mov_dr7_high_bits_is_gp);
	tcase_add_test(tc, test_mov_dr_exit_priority);
	tcase_add_test(tc, test_mov_dr_general_detect_before_cpl_gp);
	tcase_add_test(tc, test_rejected_bytes_fault_and_hide_nothing);
	tcase_add_test(tc, test_fault_loop_on_ist_still_takes_host_ticks);
	tcase_add_test(tc, test_deadline_hook_behind_a_fault_in_its_block);
	tcase_add_loop_test(tc, test_heavy_blocks_real_mode, 0, 4);
	tcase_add_loop_test(tc, test_heavy_blocks_protected_mode, 0, 4);
	tcase_add_loop_test(tc, test_heavy_blocks_long_mode, 0, 3);
	tcase_add_test(tc, test_light_page_written_heavy_is_weighed_again);
	tcase_add_loop_test(tc, test_lock_bt_register_is_ud_real_mode, 0,
	    2 * NPOISONS);
	tcase_add_loop_test(tc, test_lock_bt_register_is_ud_protected_mode, 0,
	    2 * NPOISONS);
	tcase_add_loop_test(tc, test_lock_bt_register_is_ud_long_mode, 0,
	    2 * NPOISONS);
	tcase_add_loop_test(tc, test_lock_bt_bytes_not_run_are_harmless, 0, 3);
	tcase_add_loop_test(tc, test_lock_on_what_cannot_be_locked_is_ud, 0,
	    (int)(sizeof(lock_cases) / sizeof(lock_cases[0])));
	tcase_add_test(tc, test_exit_invlpg_reports_linear_address);
	tcase_add_test(tc, test_exit_vmcall_and_xsetbv);
	tcase_add_test(tc, test_exit_cr3_load_store_and_target_list);
	tcase_add_test(tc, test_tpr_shadow_and_threshold_exit);
	tcase_add_test(tc, test_exits_wbinvd_pause_rdpmc_rdtsc_rdrand);
	tcase_add_test(tc, test_rdrand_without_exiting_is_deterministic);
	tcase_add_test(tc, test_syscall_transition_and_popcnt);
	tcase_add_test(tc, test_syscall_without_sce_is_ud);
	tcase_add_test(tc, test_self_modifying_code_is_decoded_again);
	tcase_add_test(tc, test_self_modifying_code_on_a_blocks_second_page);
	tcase_add_test(tc, test_undecodable_block_still_counts_time);
	tcase_add_test(tc, test_stop_at_is_exact);
	tcase_add_test(tc, test_interrupt_window_after_sti_shadow);
	tcase_add_test(tc, test_interrupt_window_open_at_entry);
	tcase_add_test(tc,
	    test_interruptibility_written_after_exit_survives_sync);
	tcase_add_test(tc, test_host_ticks_in_an_exit_loop_lose_no_exit);
	tcase_add_test(tc, test_host_tick_ends_a_loop_without_exits);
	tcase_add_test(tc, test_io_bitmaps);
	tcase_add_test(tc, test_timed_exit_after_cmpxchg16b_keeps_rflags_clean);
	tcase_add_test(tc, test_preemption_timer_is_exact);
	tcase_add_test(tc, test_hlt_activity_state_and_timer_warp);
	tcase_add_test(tc, test_external_interrupt_from_another_thread);
	tcase_add_test(tc, test_msr_load_and_store_lists);
	tcase_add_test(tc, test_code_written_by_the_host_between_entries_runs);
	suite_add_tcase(s, tc);

	tc = tcase_create("paging");
	tcase_add_test(tc, test_protected_mode_without_paging);
	tcase_add_test(tc, test_32bit_paging_4k_and_4m_pages);
	tcase_add_test(tc, test_pae_paging);
	tcase_add_test(tc, test_page_fault_error_code_write_protect);
	tcase_add_test(tc, test_page_fault_reserved_bit);
	tcase_add_test(tc, test_page_fault_nx_fetch);
	tcase_add_test(tc, test_ept_violation_write_to_read_only);
	tcase_add_test(tc, test_ept_violation_on_paging_structure);
	tcase_add_test(tc, test_ept_misconfiguration_write_without_read);
	tcase_add_test(tc, test_ept_large_pages_and_ad_flags);
	suite_add_tcase(s, tc);

	tc = tcase_create("tlb");
	tcase_add_test(tc, test_tlb_stale_ept_mapping_until_invept);
	tcase_add_test(tc, test_tlb_invvpid_single_context);
	tcase_add_test(tc, test_tlb_invvpid_individual_address);
	tcase_add_test(tc, test_tlb_without_vpid_flushes_on_entry);
	tcase_add_test(tc, test_tlb_guest_mov_cr3_invalidates);
	tcase_add_test(tc, test_tlb_checked_mode_reports_stale_use);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(emu_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
