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
 * The ABI is OpenBSD amd64's, byte for byte: sizeof and offsetof of every
 * member of every contract struct, every constant, and every ioctl number
 * recomputed here with OpenBSD's _IOC encoding from the expected sizes.
 */

#include <stddef.h>
#include <stdlib.h>

#include <check.h>

#include <dev/vmm/vmm.h>
#include <machine/vmmvar.h>

/* OpenBSD sys/ioccom.h, restated independently of the header under test. */
#define OB_IOC_OUT	0x40000000UL
#define OB_IOC_IN	0x80000000UL
#define OB_IOC(dir, g, n, len) \
	((unsigned long)(dir) | (((unsigned long)(len) & 0x1fff) << 16) | \
	 ((unsigned long)(g) << 8) | (unsigned long)(n))
#define OB_IOW(n, len)	OB_IOC(OB_IOC_IN, 'V', (n), (len))
#define OB_IOWR(n, len)	OB_IOC(OB_IOC_IN | OB_IOC_OUT, 'V', (n), (len))

#define OFF(s, m, o)	ck_assert_uint_eq(offsetof(struct s, m), (o))
#define SZ(s, n)	ck_assert_uint_eq(sizeof(struct s), (n))

START_TEST(test_abi_scalar_types_are_lp64)
{
	ck_assert_uint_eq(sizeof(paddr_t), 8);
	ck_assert_uint_eq(sizeof(vaddr_t), 8);
	ck_assert_uint_eq(sizeof(size_t), 8);
	ck_assert_uint_eq(sizeof(pid_t), 4);
	ck_assert_uint_eq(sizeof(void *), 8);
}
END_TEST

START_TEST(test_abi_vm_mem_range)
{
	SZ(vm_mem_range, 32);
	OFF(vm_mem_range, vmr_gpa, 0);
	OFF(vm_mem_range, vmr_va, 8);
	OFF(vm_mem_range, vmr_size, 16);
	OFF(vm_mem_range, vmr_type, 24);
}
END_TEST

START_TEST(test_abi_vm_create_params)
{
	SZ(vm_create_params, 600);
	OFF(vm_create_params, vcp_nmemranges, 0);
	OFF(vm_create_params, vcp_ncpus, 8);
	OFF(vm_create_params, vcp_memranges, 16);
	OFF(vm_create_params, vcp_name, 528);
	OFF(vm_create_params, vcp_id, 592);
}
END_TEST

START_TEST(test_abi_vm_info_result)
{
	SZ(vm_info_result, 160);
	OFF(vm_info_result, vir_memory_size, 0);
	OFF(vm_info_result, vir_used_size, 8);
	OFF(vm_info_result, vir_ncpus, 16);
	OFF(vm_info_result, vir_vcpu_state, 24);
	OFF(vm_info_result, vir_creator_pid, 88);
	OFF(vm_info_result, vir_id, 92);
	OFF(vm_info_result, vir_name, 96);
}
END_TEST

START_TEST(test_abi_vm_info_params)
{
	SZ(vm_info_params, 24);
	OFF(vm_info_params, vip_size, 0);
	OFF(vm_info_params, vip_info_ct, 8);
	OFF(vm_info_params, vip_info, 16);
}
END_TEST

START_TEST(test_abi_vm_terminate_params)
{
	SZ(vm_terminate_params, 4);
	OFF(vm_terminate_params, vtp_vm_id, 0);
}
END_TEST

START_TEST(test_abi_vm_resetcpu_params)
{
	SZ(vm_resetcpu_params, 576);
	OFF(vm_resetcpu_params, vrp_vm_id, 0);
	OFF(vm_resetcpu_params, vrp_vcpu_id, 4);
	OFF(vm_resetcpu_params, vrp_init_state, 8);
}
END_TEST

START_TEST(test_abi_vm_sharemem_params)
{
	SZ(vm_sharemem_params, 528);
	OFF(vm_sharemem_params, vsp_vm_id, 0);
	OFF(vm_sharemem_params, vsp_nmemranges, 8);
	OFF(vm_sharemem_params, vsp_memranges, 16);
}
END_TEST

START_TEST(test_abi_vcpu_segment_info)
{
	SZ(vcpu_segment_info, 24);
	OFF(vcpu_segment_info, vsi_sel, 0);
	OFF(vcpu_segment_info, vsi_limit, 4);
	OFF(vcpu_segment_info, vsi_ar, 8);
	OFF(vcpu_segment_info, vsi_base, 16);
}
END_TEST

START_TEST(test_abi_vcpu_reg_state)
{
	SZ(vcpu_reg_state, 568);
	OFF(vcpu_reg_state, vrs_gprs, 0);
	OFF(vcpu_reg_state, vrs_crs, 144);
	OFF(vcpu_reg_state, vrs_msrs, 224);
	OFF(vcpu_reg_state, vrs_drs, 280);
	OFF(vcpu_reg_state, vrs_sregs, 328);
	OFF(vcpu_reg_state, vrs_gdtr, 520);
	OFF(vcpu_reg_state, vrs_idtr, 544);
}
END_TEST

START_TEST(test_abi_register_indices)
{
	ck_assert_int_eq(VCPU_REGS_RAX, 0);
	ck_assert_int_eq(VCPU_REGS_RCX, 1);
	ck_assert_int_eq(VCPU_REGS_RDX, 2);
	ck_assert_int_eq(VCPU_REGS_RBX, 3);
	ck_assert_int_eq(VCPU_REGS_RSP, 4);
	ck_assert_int_eq(VCPU_REGS_RBP, 5);
	ck_assert_int_eq(VCPU_REGS_RSI, 6);
	ck_assert_int_eq(VCPU_REGS_RDI, 7);
	ck_assert_int_eq(VCPU_REGS_R8, 8);
	ck_assert_int_eq(VCPU_REGS_R9, 9);
	ck_assert_int_eq(VCPU_REGS_R10, 10);
	ck_assert_int_eq(VCPU_REGS_R11, 11);
	ck_assert_int_eq(VCPU_REGS_R12, 12);
	ck_assert_int_eq(VCPU_REGS_R13, 13);
	ck_assert_int_eq(VCPU_REGS_R14, 14);
	ck_assert_int_eq(VCPU_REGS_R15, 15);
	ck_assert_int_eq(VCPU_REGS_RIP, 16);
	ck_assert_int_eq(VCPU_REGS_RFLAGS, 17);
	ck_assert_int_eq(VCPU_REGS_NGPRS, 18);

	ck_assert_int_eq(VCPU_REGS_ES, 0);
	ck_assert_int_eq(VCPU_REGS_CS, 1);
	ck_assert_int_eq(VCPU_REGS_SS, 2);
	ck_assert_int_eq(VCPU_REGS_DS, 3);
	ck_assert_int_eq(VCPU_REGS_FS, 4);
	ck_assert_int_eq(VCPU_REGS_GS, 5);
	ck_assert_int_eq(VCPU_REGS_LDTR, 6);
	ck_assert_int_eq(VCPU_REGS_TR, 7);
	ck_assert_int_eq(VCPU_REGS_NSREGS, 8);

	ck_assert_int_eq(VCPU_REGS_EFER, 0);
	ck_assert_int_eq(VCPU_REGS_STAR, 1);
	ck_assert_int_eq(VCPU_REGS_LSTAR, 2);
	ck_assert_int_eq(VCPU_REGS_CSTAR, 3);
	ck_assert_int_eq(VCPU_REGS_SFMASK, 4);
	ck_assert_int_eq(VCPU_REGS_KGSBASE, 5);
	ck_assert_int_eq(VCPU_REGS_MISC_ENABLE, 6);
	ck_assert_int_eq(VCPU_REGS_NMSRS, 7);

	ck_assert_int_eq(VCPU_REGS_DR0, 0);
	ck_assert_int_eq(VCPU_REGS_DR1, 1);
	ck_assert_int_eq(VCPU_REGS_DR2, 2);
	ck_assert_int_eq(VCPU_REGS_DR3, 3);
	ck_assert_int_eq(VCPU_REGS_DR6, 4);
	ck_assert_int_eq(VCPU_REGS_DR7, 5);
	ck_assert_int_eq(VCPU_REGS_NDRS, 6);

	ck_assert_int_eq(VCPU_REGS_CR0, 0);
	ck_assert_int_eq(VCPU_REGS_CR2, 1);
	ck_assert_int_eq(VCPU_REGS_CR3, 2);
	ck_assert_int_eq(VCPU_REGS_CR4, 3);
	ck_assert_int_eq(VCPU_REGS_CR8, 4);
	ck_assert_int_eq(VCPU_REGS_XCR0, 5);
	ck_assert_int_eq(VCPU_REGS_PDPTE0, 6);
	ck_assert_int_eq(VCPU_REGS_PDPTE1, 7);
	ck_assert_int_eq(VCPU_REGS_PDPTE2, 8);
	ck_assert_int_eq(VCPU_REGS_PDPTE3, 9);
	ck_assert_int_eq(VCPU_REGS_NCRS, 10);
}
END_TEST

START_TEST(test_abi_vm_exit_inout)
{
	SZ(vm_exit_inout, 16);
	OFF(vm_exit_inout, vei_size, 0);
	OFF(vm_exit_inout, vei_dir, 1);
	OFF(vm_exit_inout, vei_rep, 2);
	OFF(vm_exit_inout, vei_string, 3);
	OFF(vm_exit_inout, vei_encoding, 4);
	OFF(vm_exit_inout, vei_port, 6);
	OFF(vm_exit_inout, vei_data, 8);
	OFF(vm_exit_inout, vei_insn_len, 12);
}
END_TEST

START_TEST(test_abi_vm_exit_eptviolation)
{
	SZ(vm_exit_eptviolation, 18);
	OFF(vm_exit_eptviolation, vee_fault_type, 0);
	OFF(vm_exit_eptviolation, vee_insn_info, 1);
	OFF(vm_exit_eptviolation, vee_insn_len, 2);
	OFF(vm_exit_eptviolation, vee_insn_bytes, 3);
	ck_assert_int_eq(VEE_LEN_VALID, 0x1);
	ck_assert_int_eq(VEE_BYTES_VALID, 0x2);
	ck_assert_int_eq(VEE_FAULT_INVALID, 0);
	ck_assert_int_eq(VEE_FAULT_HANDLED, 1);
	ck_assert_int_eq(VEE_FAULT_MMIO_ASSIST, 2);
	ck_assert_int_eq(VEE_FAULT_PROTECT, 3);
}
END_TEST

START_TEST(test_abi_vm_exit)
{
	SZ(vm_exit, 600);
	OFF(vm_exit, vei, 0);
	OFF(vm_exit, vee, 0);
	OFF(vm_exit, vrs, 24);
	OFF(vm_exit, cpl, 592);
}
END_TEST

START_TEST(test_abi_vcpu_inject_event)
{
	SZ(vcpu_inject_event, 12);
	OFF(vcpu_inject_event, vie_vector, 0);
	OFF(vcpu_inject_event, vie_errorcode, 4);
	OFF(vcpu_inject_event, vie_type, 8);
	ck_assert_int_eq(VCPU_INJECT_NONE, 0);
	ck_assert_int_eq(VCPU_INJECT_INTR, 1);
	ck_assert_int_eq(VCPU_INJECT_EX, 2);
	ck_assert_int_eq(VCPU_INJECT_NMI, 3);
}
END_TEST

START_TEST(test_abi_vm_run_params)
{
	SZ(vm_run_params, 40);
	OFF(vm_run_params, vrp_vm_id, 0);
	OFF(vm_run_params, vrp_vcpu_id, 4);
	OFF(vm_run_params, vrp_inject, 8);
	OFF(vm_run_params, vrp_intr_pending, 20);
	OFF(vm_run_params, vrp_exit, 24);
	OFF(vm_run_params, vrp_exit_reason, 32);
	OFF(vm_run_params, vrp_irqready, 34);
}
END_TEST

START_TEST(test_abi_vm_intr_params)
{
	SZ(vm_intr_params, 12);
	OFF(vm_intr_params, vip_vm_id, 0);
	OFF(vm_intr_params, vip_vcpu_id, 4);
	OFF(vm_intr_params, vip_intr, 8);
}
END_TEST

START_TEST(test_abi_vm_rwregs_params)
{
	SZ(vm_rwregs_params, 584);
	OFF(vm_rwregs_params, vrwp_vm_id, 0);
	OFF(vm_rwregs_params, vrwp_vcpu_id, 4);
	OFF(vm_rwregs_params, vrwp_mask, 8);
	OFF(vm_rwregs_params, vrwp_regs, 16);
	ck_assert_int_eq(VM_RWREGS_GPRS, 0x1);
	ck_assert_int_eq(VM_RWREGS_SREGS, 0x2);
	ck_assert_int_eq(VM_RWREGS_CRS, 0x4);
	ck_assert_int_eq(VM_RWREGS_MSRS, 0x8);
	ck_assert_int_eq(VM_RWREGS_DRS, 0x10);
	ck_assert_int_eq(VM_RWREGS_ALL, 0x1f);
}
END_TEST

START_TEST(test_abi_vm_rwvmparams_params)
{
	SZ(vm_rwvmparams_params, 32);
	OFF(vm_rwvmparams_params, vpp_vm_id, 0);
	OFF(vm_rwvmparams_params, vpp_vcpu_id, 4);
	OFF(vm_rwvmparams_params, vpp_mask, 8);
	OFF(vm_rwvmparams_params, vpp_pvclock_system_gpa, 16);
	OFF(vm_rwvmparams_params, vpp_pvclock_version, 24);
	ck_assert_int_eq(VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA, 0x1);
	ck_assert_int_eq(VM_RWVMPARAMS_PVCLOCK_VERSION, 0x2);
	ck_assert_int_eq(VM_RWVMPARAMS_ALL, 0x3);
}
END_TEST

START_TEST(test_abi_ioctl_numbers_match_openbsd_encoding)
{
	/* Built from the expected sizes, not from sizeof of the structs. */
	ck_assert_uint_eq(VMM_IOC_CREATE, OB_IOWR(1, 600));
	ck_assert_uint_eq(VMM_IOC_RUN, OB_IOWR(2, 40));
	ck_assert_uint_eq(VMM_IOC_INFO, OB_IOWR(3, 24));
	ck_assert_uint_eq(VMM_IOC_TERM, OB_IOW(4, 4));
	ck_assert_uint_eq(VMM_IOC_RESETCPU, OB_IOW(5, 576));
	ck_assert_uint_eq(VMM_IOC_INTR, OB_IOW(6, 12));
	ck_assert_uint_eq(VMM_IOC_READREGS, OB_IOWR(7, 584));
	ck_assert_uint_eq(VMM_IOC_WRITEREGS, OB_IOW(8, 584));
	ck_assert_uint_eq(VMM_IOC_READVMPARAMS, OB_IOWR(9, 32));
	ck_assert_uint_eq(VMM_IOC_WRITEVMPARAMS, OB_IOW(10, 32));
	ck_assert_uint_eq(VMM_IOC_SHAREMEM, OB_IOW(11, 528));
}
END_TEST

START_TEST(test_abi_ioctl_numbers_literal)
{
	ck_assert_uint_eq(VMM_IOC_CREATE, 0xC2585601UL);
	ck_assert_uint_eq(VMM_IOC_RUN, 0xC0285602UL);
	ck_assert_uint_eq(VMM_IOC_INFO, 0xC0185603UL);
	ck_assert_uint_eq(VMM_IOC_TERM, 0x80045604UL);
	ck_assert_uint_eq(VMM_IOC_RESETCPU, 0x82405605UL);
	ck_assert_uint_eq(VMM_IOC_INTR, 0x800C5606UL);
	ck_assert_uint_eq(VMM_IOC_READREGS, 0xC2485607UL);
	ck_assert_uint_eq(VMM_IOC_WRITEREGS, 0x82485608UL);
	ck_assert_uint_eq(VMM_IOC_READVMPARAMS, 0xC0205609UL);
	ck_assert_uint_eq(VMM_IOC_WRITEVMPARAMS, 0x8020560AUL);
	ck_assert_uint_eq(VMM_IOC_SHAREMEM, 0x8210560BUL);
}
END_TEST

START_TEST(test_abi_limits_and_states)
{
	ck_assert_int_eq(VMM_MAX_MEM_RANGES, 16);
	ck_assert_int_eq(VMM_MAX_NAME_LEN, 64);
	ck_assert_int_eq(VMM_MAX_VCPUS, 512);
	ck_assert_int_eq(VMM_MAX_VCPUS_PER_VM, 64);
	ck_assert_int_eq(VMM_MAX_DISKS_PER_VM, 4);
	ck_assert_int_eq(VMM_MAX_NICS_PER_VM, 4);
	/* Unparenthesised, as OpenBSD writes it: the value itself is right. */
	ck_assert_uint_eq((unsigned long)(VMM_MAX_VM_MEM_SIZE), 128UL << 30);
	ck_assert_int_eq(VM_MEM_RAM, 0);
	ck_assert_int_eq(VM_MEM_RESERVED, 1);
	ck_assert_int_eq(VM_MEM_MMIO, 2);
	ck_assert_int_eq(VCPU_STATE_STOPPED, 0);
	ck_assert_int_eq(VCPU_STATE_RUNNING, 1);
	ck_assert_int_eq(VCPU_STATE_REQTERM, 2);
	ck_assert_int_eq(VCPU_STATE_TERMINATED, 3);
	ck_assert_int_eq(VCPU_STATE_UNKNOWN, 4);
	ck_assert_int_eq(VEI_DIR_OUT, 0);
	ck_assert_int_eq(VEI_DIR_IN, 1);
	ck_assert_int_eq(VM_EXIT_TERMINATED, 0xFFFE);
	ck_assert_int_eq(VM_EXIT_NONE, 0xFFFF);
	ck_assert_int_eq(VMM_CPU_MODE_REAL, 0);
	ck_assert_int_eq(VMM_CPU_MODE_LONG, 4);
	ck_assert_int_eq(VMM_CPU_MODE_UNKNOWN, 5);
	ck_assert_str_eq(VMM_HV_SIGNATURE, "OpenBSDVMM58");
}
END_TEST

START_TEST(test_abi_exit_reason_numbers)
{
	ck_assert_int_eq(VMX_EXIT_NMI, 0);
	ck_assert_int_eq(VMX_EXIT_EXTINT, 1);
	ck_assert_int_eq(VMX_EXIT_TRIPLE_FAULT, 2);
	ck_assert_int_eq(VMX_EXIT_INT_WINDOW, 7);
	ck_assert_int_eq(VMX_EXIT_CPUID, 10);
	ck_assert_int_eq(VMX_EXIT_HLT, 12);
	ck_assert_int_eq(VMX_EXIT_VMCALL, 18);
	ck_assert_int_eq(VMX_EXIT_VMXON, 27);
	ck_assert_int_eq(VMX_EXIT_CR_ACCESS, 28);
	ck_assert_int_eq(VMX_EXIT_IO, 30);
	ck_assert_int_eq(VMX_EXIT_RDMSR, 31);
	ck_assert_int_eq(VMX_EXIT_WRMSR, 32);
	ck_assert_int_eq(VMX_EXIT_ENTRY_FAILED_GUEST_STATE, 33);
	ck_assert_int_eq(VMX_EXIT_ENTRY_FAILED_MSR_LOAD, 34);
	ck_assert_int_eq(VMX_EXIT_MWAIT, 36);
	ck_assert_int_eq(VMX_EXIT_MONITOR, 39);
	ck_assert_int_eq(VMX_EXIT_EPT_VIOLATION, 48);
	ck_assert_int_eq(VMX_EXIT_EPT_MISCONFIGURATION, 49);
	ck_assert_int_eq(VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED, 52);
	ck_assert_int_eq(VMX_EXIT_XSETBV, 55);
	ck_assert_int_eq(VMX_EXIT_XRSTORS, 64);
	ck_assert_int_eq(SVM_VMEXIT_CR0_READ, 0x00);
	ck_assert_int_eq(SVM_VMEXIT_CR15_WRITE, 0x1F);
	ck_assert_int_eq(SVM_VMEXIT_DR7_WRITE, 0x37);
	ck_assert_int_eq(SVM_VMEXIT_EXCP13, 0x4D);
	ck_assert_int_eq(SVM_VMEXIT_INTR, 0x60);
	ck_assert_int_eq(SVM_VMEXIT_VINTR, 0x64);
	ck_assert_int_eq(SVM_VMEXIT_CPUID, 0x72);
	ck_assert_int_eq(SVM_VMEXIT_HLT, 0x78);
	ck_assert_int_eq(SVM_VMEXIT_IOIO, 0x7B);
	ck_assert_int_eq(SVM_VMEXIT_MSR, 0x7C);
	ck_assert_int_eq(SVM_VMEXIT_SHUTDOWN, 0x7F);
	ck_assert_int_eq(SVM_VMEXIT_VMRUN, 0x80);
	ck_assert_int_eq(SVM_VMEXIT_XSETBV, 0x8D);
	ck_assert_int_eq(SVM_VMEXIT_EFER_WRITE_TRAP, 0x8F);
	ck_assert_int_eq(SVM_VMEXIT_CR15_WRITE_TRAP, 0x9F);
	ck_assert_int_eq(SVM_VMEXIT_NPF, 0x400);
	ck_assert_int_eq(SVM_VMEXIT_VMGEXIT, 0x403);
	ck_assert_int_eq(SVM_VMEXIT_INVALID, -1);
	ck_assert_int_eq(VMM_EX_GP, 13);
	ck_assert_int_eq(VMM_EX_PF, 14);
	ck_assert_int_eq(VMM_EX_MF, 16);
	ck_assert_int_eq(VMM_EX_VE, 20);
}
END_TEST

static Suite *
abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_abi_scalar_types_are_lp64);
	tcase_add_test(tc, test_abi_vm_mem_range);
	tcase_add_test(tc, test_abi_vm_create_params);
	tcase_add_test(tc, test_abi_vm_info_result);
	tcase_add_test(tc, test_abi_vm_info_params);
	tcase_add_test(tc, test_abi_vm_terminate_params);
	tcase_add_test(tc, test_abi_vm_resetcpu_params);
	tcase_add_test(tc, test_abi_vm_sharemem_params);
	tcase_add_test(tc, test_abi_vcpu_segment_info);
	tcase_add_test(tc, test_abi_vcpu_reg_state);
	tcase_add_test(tc, test_abi_register_indices);
	tcase_add_test(tc, test_abi_vm_exit_inout);
	tcase_add_test(tc, test_abi_vm_exit_eptviolation);
	tcase_add_test(tc, test_abi_vm_exit);
	tcase_add_test(tc, test_abi_vcpu_inject_event);
	tcase_add_test(tc, test_abi_vm_run_params);
	tcase_add_test(tc, test_abi_vm_intr_params);
	tcase_add_test(tc, test_abi_vm_rwregs_params);
	tcase_add_test(tc, test_abi_vm_rwvmparams_params);
	tcase_add_test(tc, test_abi_ioctl_numbers_match_openbsd_encoding);
	tcase_add_test(tc, test_abi_ioctl_numbers_literal);
	tcase_add_test(tc, test_abi_limits_and_states);
	tcase_add_test(tc, test_abi_exit_reason_numbers);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
