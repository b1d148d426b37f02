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
 * Running guests through the contract: VMM_IOC_RESETCPU, RUN, READREGS,
 * WRITEREGS, INTR, as a vmd-like client sees them, on both monitors:
 * every test is a loop over the vendors (test_vendors[]: the VMX monitor
 * on the simulated VT-x CPU, the SVM monitor on the simulated AMD-V CPU),
 * with the vendor's expectation where the contract differs (exit reason
 * numbers, the VMX-only CR exits, SVM's fatal exception injection, the
 * quirks of vmm-contract.md §17.7/§17.8).  The first test follows the
 * flow of OpenBSD's regress test for vmm
 * (regress/sys/arch/amd64/vmm/vcpu.c) with the 2024 memory semantics.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "../tools/demo.h"

#define KIB		1024UL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define LOW_SIZE	(640 * KIB)
#define HIGH_GPA	(4 * GIB - (64 * MIB - 640 * KIB))
#define HIGH_SIZE	(64 * MIB - 640 * KIB)

/*
 * The vendor of the running loop test; helpers read it.  Set by VENDOR_BEGIN
 * at the top of every test (each runs in a process of its own).
 */
static int vendor = VMMSIM_OPEN_INTEL;
#define VENDOR_BEGIN()	(vendor = test_vendors[_i])
#define AMD		(vendor == VMMSIM_OPEN_AMD)

/* Exit reasons as RUN reports them (16 bits), by vendor (§1.1). */
#define EXIT_IO		(AMD ? SVM_VMEXIT_IOIO : VMX_EXIT_IO)
#define EXIT_HLT	(AMD ? SVM_VMEXIT_HLT : VMX_EXIT_HLT)
#define EXIT_NPT	(AMD ? SVM_VMEXIT_NPF : VMX_EXIT_EPT_VIOLATION)
#define EXIT_SHUTDOWN	(AMD ? SVM_VMEXIT_SHUTDOWN : VMX_EXIT_TRIPLE_FAULT)
#define EXIT_HOSTINTR	(AMD ? SVM_VMEXIT_INTR : VMX_EXIT_EXTINT)
#define EXIT_INTWIN	(AMD ? SVM_VMEXIT_VINTR : VMX_EXIT_INT_WINDOW)

struct rt {
	int		 fd;
	uint32_t	 id;
	uint8_t		*low, *high;		/* the creator's mappings */
	uint8_t		*low2, *high2;		/* SHAREMEM aliases */
};

/* The regress test's flat 16-bit reset state. */
static void
flat16(struct vcpu_reg_state *vrs)
{
	int i;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_gprs[VCPU_REGS_RIP] = 0xFFF0;
	vrs->vrs_gprs[VCPU_REGS_RSP] = 0x800;
	vrs->vrs_gprs[VCPU_REGS_RDX] = 0x61;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		vrs->vrs_sregs[i].vsi_limit = 0xFFFF;
		vrs->vrs_sregs[i].vsi_ar = 0x93;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0xF000;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_base = 0xFFFF0000;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x9B;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	vrs->vrs_gdtr.vsi_limit = 0xFFFF;
	vrs->vrs_idtr.vsi_limit = 0xFFFF;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xFFFF0FF0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
}

static int rt_open_flags;	/* added to the vendor by rt_create */

static void
rt_create(struct rt *t, const char *name)
{
	struct vm_create_params vcp;

	memset(t, 0, sizeof(*t));
	t->fd = t_open(vendor | rt_open_flags);
	t->low = t_mem(LOW_SIZE);
	t->high = t_mem(HIGH_SIZE);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 2;
	vcp.vcp_memranges[0].vmr_gpa = 0;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)t->low;
	vcp.vcp_memranges[0].vmr_size = LOW_SIZE;
	vcp.vcp_memranges[0].vmr_type = VM_MEM_RAM;
	vcp.vcp_memranges[1].vmr_gpa = HIGH_GPA;
	vcp.vcp_memranges[1].vmr_va = (vaddr_t)t->high;
	vcp.vcp_memranges[1].vmr_size = HIGH_SIZE;
	vcp.vcp_memranges[1].vmr_type = VM_MEM_RAM;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "%s", name);
	ck_assert_msg(vmmsim_ioctl(t->fd, VMM_IOC_CREATE, &vcp) == 0,
	    "CREATE: %s", strerror(errno));
	t->id = vcp.vcp_id;
}

static void
rt_term(struct rt *t)
{
	struct vm_terminate_params vtp = { t->id };

	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_TERM, &vtp), 0);
	munmap(t->low, LOW_SIZE);
	munmap(t->high, HIGH_SIZE);
	if (t->low2 != NULL)
		munmap(t->low2, LOW_SIZE);
	if (t->high2 != NULL)
		munmap(t->high2, HIGH_SIZE);
	vmmsim_close(t->fd);
}

static int
rt_run(struct rt *t, struct vm_run_params *vrp, struct vm_exit *ve)
{
	vrp->vrp_vm_id = t->id;
	vrp->vrp_vcpu_id = 0;
	vrp->vrp_exit = ve;
	return (vmmsim_ioctl(t->fd, VMM_IOC_RUN, vrp));
}

START_TEST(test_regress_vcpu_flow)
{
	struct rt t;
	struct vm_sharemem_params vsp;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint16_t *ivt;
	size_t i;
	int found = 0;

	VENDOR_BEGIN();
	rt_create(&t, "regress");

	/* SHAREMEM: write the guest's memory through the second mapping. */
	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = t.id;
	vsp.vsp_nmemranges = 2;
	vsp.vsp_memranges[0].vmr_gpa = 0;
	vsp.vsp_memranges[0].vmr_size = LOW_SIZE;
	vsp.vsp_memranges[0].vmr_type = VM_MEM_RAM;
	vsp.vsp_memranges[0].vmr_va = t_hole(LOW_SIZE);
	vsp.vsp_memranges[1].vmr_gpa = HIGH_GPA;
	vsp.vsp_memranges[1].vmr_size = HIGH_SIZE;
	vsp.vsp_memranges[1].vmr_type = VM_MEM_RAM;
	vsp.vsp_memranges[1].vmr_va = t_hole(HIGH_SIZE);
	ck_assert_msg(vmmsim_ioctl(t.fd, VMM_IOC_SHAREMEM, &vsp) == 0,
	    "SHAREMEM: %s", strerror(errno));
	t.low2 = (uint8_t *)vsp.vsp_memranges[0].vmr_va;
	t.high2 = (uint8_t *)vsp.vsp_memranges[1].vmr_va;
	memset(t.low2, 0xCC, LOW_SIZE);			/* int3 everywhere */
	memset(t.high2, 0xCC, HIGH_SIZE);
	ivt = (uint16_t *)t.low2;
	ivt[13 * 2] = 0x0B5D;				/* #GP -> 0:0B5D */
	ivt[13 * 2 + 1] = 0;
	memcpy(t.low2 + 0x0B5D, "\xe4\xf0", 2);		/* in al, 0xF0 */
	memcpy(t.high2 + HIGH_SIZE - 16, "\x52\x6c", 2); /* push dx; insb */
	ck_assert_uint_eq(t.low[0x0B5D], 0xE4);		/* same memory */

	/* INFO: size query, then fetch. */
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_gt(vip.vip_size, 0);
	vir = malloc(vip.vip_size);
	vip.vip_info = vir;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_INFO, &vip), 0);
	for (i = 0; i < vip.vip_info_ct; i++)
		if (vir[i].vir_id == t.id &&
		    strcmp(vir[i].vir_name, "regress") == 0)
			found = 1;
	free(vir);
	ck_assert(found);

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	ck_assert_msg(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs) == 0,
	    "RESETCPU: %s", strerror(errno));

	/* First RUN: the insb at the reset vector, port DX = 0x61. */
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_msg(rt_run(&t, &vrp, &ve) == 0, "RUN: %s", strerror(errno));
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x61);
	ck_assert_uint_eq(ve.vei.vei_string, 1);
	ck_assert_uint_eq(ve.vei.vei_dir, VEI_DIR_IN);
	ck_assert_uint_eq(ve.vei.vei_size, 1);
	ck_assert_uint_eq(ve.vei.vei_insn_len, 1);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], 0xFFF1);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSP], 0x7FE);
	ck_assert_int_eq(ve.cpl, 0);

	/* Second RUN: skip the insb, inject #GP; its handler does IN 0xF0. */
	ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	vrp.vrp_inject.vie_type = VCPU_INJECT_EX;
	vrp.vrp_inject.vie_vector = VMM_EX_GP;
	vrp.vrp_inject.vie_errorcode = 0x11223344;
	ck_assert_msg(rt_run(&t, &vrp, &ve) == 0, "RUN: %s", strerror(errno));
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0xF0);
	/* VMX says the port was an immediate; SVM has no such bit (§10). */
	ck_assert_uint_eq(ve.vei.vei_encoding, AMD ? 0 : 1);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], 0x0B5D);
	/* Real mode pushed FLAGS, CS, IP (no error code) below the DX. */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSP], 0x7FE - 6);
	ck_assert_uint_eq(*(uint16_t *)(t.low + 0x7FE - 6), 0xFFF2);
	ck_assert_uint_eq(*(uint16_t *)(t.low + 0x7FE - 4), 0xF000);

	rt_term(&t);
}
END_TEST

START_TEST(test_readregs_writeregs_round_trip)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vm_rwregs_params rw;

	VENDOR_BEGIN();
	rt_create(&t, "regs");
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(&rw, 0, sizeof(rw));
	rw.vrwp_vm_id = t.id;
	rw.vrwp_mask = VM_RWREGS_ALL;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READREGS, &rw), 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_gprs[VCPU_REGS_RIP], 0xFFF0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_gprs[VCPU_REGS_RDX], 0x61);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_base,
	    0xFFFF0000);
	/*
	 * VMX: NE forced on, VMXE forced on (quirks).  SVM: CR0 and CR4 as
	 * given, EFER shows SVME (quirk).  XCR0 reset to x87 on both.
	 */
	ck_assert_uint_eq(rw.vrwp_regs.vrs_crs[VCPU_REGS_CR0],
	    AMD ? 0x60000010 : 0x60000030);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_crs[VCPU_REGS_CR4], AMD ? 0 : 0x2000);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_msrs[VCPU_REGS_EFER],
	    AMD ? 0x1000 : 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_crs[VCPU_REGS_XCR0], 1);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_drs[VCPU_REGS_DR7], 0x400);
	rw.vrwp_regs.vrs_gprs[VCPU_REGS_RBX] = 0x1234;
	rw.vrwp_regs.vrs_crs[VCPU_REGS_CR2] = 0xDEAD;	/* VMX: not written */
	rw.vrwp_regs.vrs_msrs[VCPU_REGS_STAR] = 0x55;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEREGS, &rw), 0);
	memset(&rw.vrwp_regs, 0, sizeof(rw.vrwp_regs));
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READREGS, &rw), 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_gprs[VCPU_REGS_RBX], 0x1234);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_crs[VCPU_REGS_CR2], AMD ? 0xDEAD : 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_msrs[VCPU_REGS_STAR], 0x55);
	rt_term(&t);
}
END_TEST

/* HLT with interrupts off kills the vcpu: RUN fails EIO, then EBUSY. */
START_TEST(test_hlt_with_if_clear_is_eio_and_terminates)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	rt_create(&t, "hlt");
	memset(t.high + HIGH_SIZE - 16, 0xF4, 1);		/* hlt */
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), -1);
	ck_assert_int_eq(errno, EBUSY);
	rt_term(&t);
}
END_TEST

/*
 * An interrupt whose delivery touches guest memory the monitor has not
 * mapped yet (the IVT and the stack here) exits with an EPT violation in
 * the middle of delivery.  OpenBSD's kernel maps the page and resumes
 * without looking at the IDT-vectoring information: the interrupt is lost
 * (quirk, the default).  With VMMSIM_OPEN_REDELIVER the same interrupt is
 * delivered again and the guest's handler runs.
 */
static const uint8_t rd_code[] = { 0xFB, 0xF4, 0xF4 };	/* sti hlt hlt */
static const uint8_t rd_handler[] = { 0xE6, 0x80, 0xF4 }; /* out 80 hlt */

static void
rd_setup(struct rt *t, const char *name, int flags, struct vm_run_params *vrp,
    struct vm_exit *ve)
{
	struct vm_resetcpu_params vrs;

	rt_open_flags = flags;
	rt_create(t, name);
	rt_open_flags = 0;
	memcpy(t->high + HIGH_SIZE - 16, rd_code, sizeof(rd_code));
	memcpy(t->low + 0x500, rd_handler, sizeof(rd_handler));
	t->low[0x20 * 4] = 0x00;		/* IVT[0x20] = 0000:0500 */
	t->low[0x20 * 4 + 1] = 0x05;
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t->id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(vrp, 0, sizeof(*vrp));
	memset(ve, 0, sizeof(*ve));
	ck_assert_int_eq(rt_run(t, vrp, ve), 0);
	ck_assert_uint_eq(vrp->vrp_exit_reason, EXIT_HLT);
	ck_assert_uint_eq(vrp->vrp_irqready, 1);
	vrp->vrp_inject.vie_type = VCPU_INJECT_INTR;
	vrp->vrp_inject.vie_vector = 0x20;
	ck_assert_int_eq(rt_run(t, vrp, ve), 0);
}

START_TEST(test_interrupt_delivery_interrupted_by_ept_fill_is_lost_quirk)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	rd_setup(&t, "lost", 0, &vrp, &ve);
	/* The guest went on to the second hlt; its handler never ran. */
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_HLT);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], 0xFFF3);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSP], 0x800);
	rt_term(&t);
}
END_TEST

START_TEST(test_interrupt_delivery_interrupted_by_ept_fill_is_redelivered)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	rd_setup(&t, "redeliver", VMMSIM_OPEN_REDELIVER, &vrp, &ve);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], 0x500);
	ck_assert_uint_eq(ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSP], 0x800 - 6);
	/* The frame returns to the second hlt, IF was set. */
	ck_assert_uint_eq(t.low[0x7FA] | t.low[0x7FB] << 8, 0xFFF2);
	ck_assert_uint_eq(t.low[0x7FC] | t.low[0x7FD] << 8, 0xF000);
	ck_assert_uint_eq((t.low[0x7FE] | t.low[0x7FF] << 8) & 0x200, 0x200);
	rt_term(&t);
}
END_TEST

/* CPUID is handled in the kernel, RIP advanced; the HV leaf says so. */
START_TEST(test_cpuid_in_kernel_hypervisor_leaf)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	/* mov eax,0x40000000; cpuid; out 0x80,eax; ... */
	static const uint8_t code[] = { 0x66, 0xB8, 0x00, 0x00, 0x00, 0x40,
	    0x0F, 0xA2, 0x66, 0x89, 0xD8, 0xE6, 0x80 };

	VENDOR_BEGIN();

	rt_create(&t, "cpuid");
	memcpy(t.high + HIGH_SIZE - 16, code, sizeof(code));
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	/* EBX of leaf 0x40000000 = "Open" */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX], 0x6E65704F);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RCX], 0x56445342);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX] & 0xFF, 0x4F);
	rt_term(&t);
}
END_TEST


/*
 * CPUID leaf 0 gives the host profile's vendor and the advertised maximum
 * leaf; leaf 0x15 is the host's on Intel (maximum 0x16) and the one the
 * kernel makes up on AMD, whose maximum (0x10) it raises to 0x15 for its
 * invariant TSC: 1 GHz as 1 x 100 x 10 MHz.
 */
START_TEST(test_cpuid_vendor_and_tsc_leaf)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	/* xor eax,eax; cpuid; out 0x80,al; xor eax,eax; mov al,0x15;
	 * cpuid; out 0x81,al: the 16 bytes below 4 GiB */
	static const uint8_t code[] = { 0x66, 0x31, 0xC0, 0x0F, 0xA2, 0xE6,
	    0x80, 0x66, 0x31, 0xC0, 0xB0, 0x15, 0x0F, 0xA2, 0xE6, 0x81 };
	uint64_t *g = ve.vrs.vrs_gprs;

	VENDOR_BEGIN();
	rt_create(&t, "cpuid0");
	memcpy(t.high + HIGH_SIZE - 16, code, sizeof(code));
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	ck_assert_uint_eq(g[VCPU_REGS_RAX], AMD ? 0x15 : 0x16);
	/* "AuthenticAMD" / "GenuineIntel" in EBX, EDX, ECX */
	ck_assert_uint_eq(g[VCPU_REGS_RBX], AMD ? 0x68747541 : 0x756E6547);
	ck_assert_uint_eq(g[VCPU_REGS_RDX], AMD ? 0x69746E65 : 0x49656E69);
	ck_assert_uint_eq(g[VCPU_REGS_RCX], AMD ? 0x444D4163 : 0x6C65746E);
	g[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x81);
	ck_assert_uint_eq(g[VCPU_REGS_RAX], 1);
	ck_assert_uint_eq(g[VCPU_REGS_RBX], AMD ? 100 : 40);
	ck_assert_uint_eq(g[VCPU_REGS_RCX], AMD ? 10000000 : 25000000);
	ck_assert_uint_eq(g[VCPU_REGS_RDX], 0);
	rt_term(&t);
}
END_TEST

/* Reset to a flat16 state, then WRITEREGS with the changes below. */
static void
rt_reset_flat16(struct rt *t, struct vm_rwregs_params *rw)
{
	struct vm_resetcpu_params vrs;

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t->id;
	flat16(&vrs.vrp_init_state);
	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(rw, 0, sizeof(*rw));
	rw->vrwp_vm_id = t->id;
	rw->vrwp_mask = VM_RWREGS_ALL;
	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_READREGS, rw), 0);
}

/*
 * WRITEREGS ORs EFER into the VMCB on SVM (quirk): bits once set stay,
 * and SVME shows.  VMX stores what it is given.
 */
START_TEST(test_writeregs_efer_is_or_ed_on_svm_quirk)
{
	struct rt t;
	struct vm_rwregs_params rw;

	VENDOR_BEGIN();
	rt_create(&t, "efer");
	rt_reset_flat16(&t, &rw);
	rw.vrwp_mask = VM_RWREGS_MSRS;
	rw.vrwp_regs.vrs_msrs[VCPU_REGS_EFER] = 0x001;	/* SCE */
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEREGS, &rw), 0);
	rw.vrwp_regs.vrs_msrs[VCPU_REGS_EFER] = 0x800;	/* NXE */
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEREGS, &rw), 0);
	memset(&rw.vrwp_regs, 0, sizeof(rw.vrwp_regs));
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READREGS, &rw), 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_msrs[VCPU_REGS_EFER],
	    AMD ? 0x1801 : 0x800);
	rt_term(&t);
}
END_TEST

/*
 * §7.1: on SVM the access rights go through the VMCB's 12 attribute
 * bits: type/S/DPL/P and AVL/L/D/G survive, the VMX "unusable" bit 16 is
 * dropped.  VMX keeps the field as written.
 */
START_TEST(test_segment_access_rights_through_vmcb_attrib)
{
	struct rt t;
	struct vm_rwregs_params rw;

	VENDOR_BEGIN();
	rt_create(&t, "attrib");
	rt_reset_flat16(&t, &rw);
	rw.vrwp_mask = VM_RWREGS_SREGS;
	rw.vrwp_regs.vrs_sregs[VCPU_REGS_FS].vsi_ar = 0x1D093;
	rw.vrwp_regs.vrs_sregs[VCPU_REGS_GS].vsi_ar = 0x0A09B;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEREGS, &rw), 0);
	memset(&rw.vrwp_regs, 0, sizeof(rw.vrwp_regs));
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READREGS, &rw), 0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_sregs[VCPU_REGS_FS].vsi_ar,
	    AMD ? 0x0D093 : 0x1D093);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_sregs[VCPU_REGS_GS].vsi_ar, 0x0A09B);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_ar, 0x9B);
	rt_term(&t);
}
END_TEST

/*
 * A guest at CPL 3 (protected mode, CS and SS DPL 3, IOPL 3 so that its
 * OUT exits): the exit reports cpl 3 on VMX (SS.DPL), 0 on SVM, where
 * OpenBSD never sets it (quirk).
 */
START_TEST(test_exit_cpl_is_always_0_on_svm_quirk)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vcpu_reg_state *r = &vrs.vrp_init_state;
	struct vm_run_params vrp;
	struct vm_exit ve;
	int i;

	VENDOR_BEGIN();
	rt_create(&t, "ring3");
	memcpy(t.low + 0x1000, "\xe6\x80", 2);		/* out 0x80, al */
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		r->vrs_sregs[i].vsi_sel = 0x23;
		r->vrs_sregs[i].vsi_limit = 0xFFFFFFFF;
		r->vrs_sregs[i].vsi_ar = 0xC0F3;	/* data, DPL 3 */
	}
	r->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x1B;
	r->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xC0FB;	/* code, DPL 3 */
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x10000;
	r->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0x67;
	r->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	r->vrs_gprs[VCPU_REGS_RIP] = 0x1000;
	r->vrs_gprs[VCPU_REGS_RSP] = 0x8000;
	r->vrs_gprs[VCPU_REGS_RFLAGS] = 0x3002;		/* IOPL 3 */
	r->vrs_crs[VCPU_REGS_CR0] = 0x31;		/* PE, ET, NE */
	r->vrs_crs[VCPU_REGS_XCR0] = 1;
	r->vrs_drs[VCPU_REGS_DR6] = 0xFFFF0FF0;
	r->vrs_drs[VCPU_REGS_DR7] = 0x400;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ve.cpl = -7;				/* RUN zeroes it on SVM */
	ck_assert_msg(rt_run(&t, &vrp, &ve) == 0, "RUN: %s", strerror(errno));
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	ck_assert_int_eq(ve.cpl, AMD ? 0 : 3);
	/*
	 * (On SVM the guest even ran at CPL 0: the CPU takes the CPL from
	 * the VMCB's CPL field, which OpenBSD never writes.)
	 */
	if (!AMD)
		ck_assert_uint_eq(ve.vrs.vrs_sregs[VCPU_REGS_SS].vsi_ar, 0xC0F3);
	rt_term(&t);
}
END_TEST

/*
 * A guest state the CPU refuses (CR0.NW without CD) kills the vcpu at
 * the next RUN: a failed VM entry on VMX, VMRUN's VMEXIT_INVALID on SVM;
 * RUN fails with EINVAL, then EBUSY.
 */
START_TEST(test_invalid_guest_state_kills_the_vcpu)
{
	struct rt t;
	struct vm_rwregs_params rw;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	rt_create(&t, "badcr0");
	rt_reset_flat16(&t, &rw);
	rw.vrwp_mask = VM_RWREGS_CRS;
	rw.vrwp_regs.vrs_crs[VCPU_REGS_CR0] = 0x20000030;	/* NW, no CD */
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEREGS, &rw), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EBUSY);
	/* A dead vcpu's clock does not move either. */
	ck_assert_int_eq(vmmsim_vcpu_idle(t.fd, t.id, 0, 1000), -1);
	ck_assert_int_eq(errno, EBUSY);
	rt_term(&t);
}
END_TEST


/* --- the interrupt protocol and threads (§11, §4.5, §6) --- */

#define LM_SPIN_IF1	0x100000
#define LM_SPIN_IF0	0x100010
#define LM_IRQ_HANDLER	0x100040

/* A 4 MiB VM in long mode at rip, with an IDT gate 0x20 -> handler. */
static void lm_create_file(struct rt *, uint64_t, const char *);

static void
lm_create(struct rt *t, uint64_t rip)
{
	lm_create_file(t, rip, "lm_intr.bin");
}

/* An interrupt gate for vector in the lm_create IDT. */
static void
lm_gate(struct rt *t, int vector, uint64_t handler)
{
	uint64_t *idt = (uint64_t *)(t->low + 0x600 + 16 * vector);

	idt[0] = (handler & 0xFFFF) | (0x08ULL << 16) | (0x8EULL << 40) |
	    ((handler & 0xFFFF0000ULL) << 32);
	idt[1] = 0;
}

static int lm_with_mmio;	/* lm_create_file: add an MMIO range */

static void
lm_create_file(struct rt *t, uint64_t rip, const char *file)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vcpu_reg_state *r;
	uint64_t *pt, *idt;
	FILE *fp;
	int i;

	memset(t, 0, sizeof(*t));
	t->fd = t_open(vendor | rt_open_flags);
	t->low = t_mem(4 * MIB);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, file);
		fp = fopen(path, "rb");
	}
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_gt(fread(t->low + 0x100000, 1, 4096, fp), 0);
	fclose(fp);
	pt = (uint64_t *)(t->low + 0x1000);
	pt[0] = 0x2000 | 3;
	pt[512] = 0x3000 | 3;
	for (i = 0; i < 512; i++)
		pt[1024 + i] = ((uint64_t)i << 21) | 0x83;
	/* and the fourth GiB, where the MMIO range lies */
	pt[512 + 3] = 0x4000 | 3;
	for (i = 0; i < 512; i++)
		pt[1536 + i] = (0xC0000000ULL + ((uint64_t)i << 21)) | 0x83;
	((uint64_t *)(t->low + 0x500))[1] = 0x00AF9B000000FFFFULL;
	((uint64_t *)(t->low + 0x500))[2] = 0x00CF93000000FFFFULL;
	idt = (uint64_t *)(t->low + 0x600 + 16 * 0x20);
	idt[0] = (LM_IRQ_HANDLER & 0xFFFF) | (0x08ULL << 16) |
	    (0x8EULL << 40) | ((LM_IRQ_HANDLER & 0xFFFF0000ULL) << 32);
	idt[1] = 0;
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 1;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)t->low;
	vcp.vcp_memranges[0].vmr_size = 4 * MIB;
	if (lm_with_mmio) {
		vcp.vcp_nmemranges = 2;
		vcp.vcp_memranges[1].vmr_gpa = 0xF0000000;
		vcp.vcp_memranges[1].vmr_va = 0xF0000000;	/* unused */
		vcp.vcp_memranges[1].vmr_size = 1 * MIB;
		vcp.vcp_memranges[1].vmr_type = VM_MEM_MMIO;
	}
	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_CREATE, &vcp), 0);
	t->id = vcp.vcp_id;
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t->id;
	r = &vrs.vrp_init_state;
	r->vrs_gprs[VCPU_REGS_RIP] = rip;
	r->vrs_gprs[VCPU_REGS_RSP] = 0x200000;
	r->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		r->vrs_sregs[i].vsi_sel = 0x10;
		r->vrs_sregs[i].vsi_limit = 0xFFFFFFFF;
		r->vrs_sregs[i].vsi_ar = 0xC093;
	}
	r->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x08;
	r->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xA09B;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x10000;
	r->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0x67;
	r->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	r->vrs_gdtr.vsi_base = 0x500;
	r->vrs_gdtr.vsi_limit = 0x17;
	r->vrs_idtr.vsi_base = 0x600;
	r->vrs_idtr.vsi_limit = 0xFFF;
	r->vrs_crs[VCPU_REGS_CR0] = 0x80000031;
	r->vrs_crs[VCPU_REGS_CR3] = 0x1000;
	r->vrs_crs[VCPU_REGS_CR4] = 0x20;
	r->vrs_crs[VCPU_REGS_XCR0] = 1;
	r->vrs_msrs[VCPU_REGS_EFER] = 0x500;
	r->vrs_drs[VCPU_REGS_DR7] = 0x400;
	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_RESETCPU, &vrs), 0);
}

static void
lm_term(struct rt *t)
{
	struct vm_terminate_params vtp = { t->id };

	ck_assert_int_eq(vmmsim_ioctl(t->fd, VMM_IOC_TERM, &vtp), 0);
	munmap(t->low, 4 * MIB);
	vmmsim_close(t->fd);
}

struct intr_arg {
	struct rt	*t;
	int		 delay_ms;
	int		 rc, err;
	_Atomic int	 stop;
};

static void *
intr_later(void *p)
{
	struct intr_arg *a = p;
	struct vm_intr_params vip = { a->t->id, 0, 1 };
	struct timespec ts = { 0, a->delay_ms * 1000000L };
	int i;

	/*
	 * RUN resets the pending word from vrp_intr_pending when it starts,
	 * so an INTR that lands before RUN is lost: repeat until RUN returns.
	 */
	for (i = 0; i < 500 && !a->stop; i++) {
		nanosleep(&ts, NULL);
		a->rc = vmmsim_ioctl(a->t->fd, VMM_IOC_INTR, &vip);
		a->err = errno;
	}
	return (NULL);
}

/*
 * VMM_IOC_INTR from another thread while the guest spins with IF=1: the
 * CPU leaves the guest, the pending-interrupt rule returns EAGAIN with the
 * in-kernel reason (an external interrupt) and irqready; the injected
 * vector then reaches the guest's handler.  (The guest touched its IDT and
 * stack pages first: by default the kernel, like OpenBSD's, does not
 * re-inject an event whose delivery met an EPT violation; see
 * test_interrupt_delivery_interrupted_by_ept_fill_is_lost_quirk.)
 */
START_TEST(test_intr_from_another_thread_then_inject)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct intr_arg a;
	pthread_t th;

	VENDOR_BEGIN();
	lm_create(&t, LM_SPIN_IF1);
	a.t = &t;
	a.delay_ms = 10;
	a.stop = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, intr_later, &a), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	a.stop = 1;
	pthread_join(th, NULL);
	ck_assert_int_eq(a.rc, 0);
	/*
	 * An INTR that lands while the guest runs ends it with the host
	 * interrupt; one that lands after RUN started but before the guest
	 * was entered is seen by the loop first, which opens the interrupt
	 * window instead (a loaded machine makes that window wide).
	 */
	ck_assert_msg(vrp.vrp_exit_reason == EXIT_HOSTINTR ||
	    vrp.vrp_exit_reason == EXIT_INTWIN, "exit reason %u",
	    vrp.vrp_exit_reason);
	ck_assert_uint_eq(vrp.vrp_irqready, 1);
	vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
	vrp.vrp_inject.vie_vector = 0x20;
	vrp.vrp_intr_pending = 0;
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x82);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], LM_IRQ_HANDLER);
	lm_term(&t);
}
END_TEST

/*
 * An interrupt pending while the guest has IF=0: the monitor arms the
 * interrupt window and RUN returns at the window exit (reason 7) with
 * irqready, right after the instruction that follows STI.
 */
START_TEST(test_interrupt_window_exit_when_guest_enables)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create(&t, LM_SPIN_IF0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_intr_pending = 1;
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_INTWIN);
	ck_assert_uint_eq(vrp.vrp_irqready, 1);
	/* sti; nop; the window opens at the jmp after them */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], LM_SPIN_IF0 + 12);
	lm_term(&t);
}
END_TEST

static pthread_t run_thread;

static void
on_usr1(int sig)
{
	(void)sig;
}

static _Atomic int run_returned;

/*
 * Signal the RUN thread until RUN returns: a signal that arrives before
 * RUN blocks signals is simply handled and does not stop the run.  p, if
 * not NULL, is the number of seconds to wait before the first.
 */
static void *
signal_later(void *p)
{
	struct timespec ts = { 0, 20 * 1000000L };
	int i;

	if (p != NULL)
		sleep(*(unsigned *)p);
	for (i = 0; i < 250 && !run_returned; i++) {
		nanosleep(&ts, NULL);
		if (!run_returned)
			pthread_kill(run_thread, SIGUSR1);
	}
	return (NULL);
}

/* A signal for the running thread: RUN returns 0 with VM_EXIT_NONE. */
START_TEST(test_signal_makes_run_return_none)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	pthread_t th;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	lm_create(&t, LM_SPIN_IF1);
	run_thread = pthread_self();
	run_returned = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, signal_later, NULL), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	run_returned = 1;
	pthread_join(th, NULL);
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	lm_term(&t);
}
END_TEST

static _Atomic int usr1_sent;

/* Ten SIGUSR2s 20 ms apart, then SIGUSR1s as signal_later sends them. */
static void *
blocked_then_open(void *p)
{
	struct timespec ts = { 0, 20 * 1000000L };
	int i;

	(void)p;
	for (i = 0; i < 10; i++) {
		nanosleep(&ts, NULL);
		pthread_kill(run_thread, SIGUSR2);
	}
	usr1_sent = 1;
	return (signal_later(NULL));
}

/*
 * A signal the RUN caller blocks itself does not end RUN (OpenBSD's
 * SIGPENDING leaves out what the thread masks): RUN goes on through ten
 * SIGUSR2s and returns only for the SIGUSR1 that follows them.
 */
START_TEST(test_signal_the_caller_blocks_does_not_end_run)
{
	struct timespec zero = { 0, 0 };
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	sigset_t b, old;
	pthread_t th;
	int after;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr1);
	sigemptyset(&b);
	sigaddset(&b, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &b, &old);
	lm_create(&t, LM_SPIN_IF1);
	run_thread = pthread_self();
	run_returned = 0;
	usr1_sent = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, blocked_then_open, NULL), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	after = usr1_sent;
	run_returned = 1;
	pthread_join(th, NULL);
	ck_assert_int_eq(after, 1);
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	/* The SIGUSR2s are still pending, for the caller to take. */
	ck_assert_int_eq(sigtimedwait(&b, NULL, &zero), SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	lm_term(&t);
}
END_TEST

/* --- signals during RUN (vmm_signal.c), in both modes --- */

/* The mode vmm_signal.c runs in: the tests expect the same either way. */
static int
sig_mask_mode(void)
{
	const char *e = getenv("VMMSIM_SIGCHAIN");

	return (e != NULL && strcmp(e, "0") == 0);
}

#define SPIN_GPA	0x180000	/* inc qword [SPIN_COUNT]; jmp back */
#define SPIN_COUNT	0x181000

/* A long-mode VM whose guest counts in its memory, forever. */
static void
spin_create(struct rt *t)
{
	static const uint8_t code[] = {
		0x48, 0xFF, 0x04, 0x25, 0x00, 0x10, 0x18, 0x00,
		0xEB, 0xF6
	};

	lm_create(t, SPIN_GPA);
	memcpy(t->low + SPIN_GPA, code, sizeof(code));
}

/* Until the guest has counted: then the vcpu's thread is in RUN. */
static void
spin_wait(struct rt *t)
{
	volatile uint64_t *count = (volatile uint64_t *)(t->low + SPIN_COUNT);
	struct timespec ts = { 0, 1000000L };
	int i;

	for (i = 0; i < 10000 && *count == 0; i++)
		nanosleep(&ts, NULL);
	ck_assert_uint_ne(*count, 0);
}

static struct rt	*sig_rt;	/* the VM the handlers look at */
static _Atomic int	 sig_calls;
static int		 sig_code, sig_value, sig_rwregs_rc, sig_rwregs_err;
static int		 sig_order[8][2];	/* signo, value */

/* SA_SIGINFO: what came, and whether the vcpu can be used from here. */
static void
on_info(int sig, siginfo_t *si, void *uc)
{
	struct vm_rwregs_params vrwp;
	int n = sig_calls, saved = errno;

	(void)uc;
	if (n < 8) {
		sig_order[n][0] = sig;
		sig_order[n][1] = si->si_value.sival_int;
	}
	sig_code = si->si_code;
	sig_value = si->si_value.sival_int;
	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = sig_rt->id;
	vrwp.vrwp_mask = VM_RWREGS_GPRS;
	sig_rwregs_rc = vmmsim_ioctl(sig_rt->fd, VMM_IOC_READREGS, &vrwp);
	sig_rwregs_err = errno;
	sig_calls = n + 1;
	errno = saved;
}

struct sig_send {
	struct rt	*t;
	int		 n;
	int		 sig[4], value[4];
	_Atomic int	 sent;
};

/* Once the guest runs, queue the signals to the RUN thread. */
static void *
sig_send_running(void *p)
{
	struct sig_send *a = p;
	union sigval v;
	int i;

	spin_wait(a->t);
	for (i = 0; i < a->n; i++) {
		v.sival_int = a->value[i];
		pthread_sigqueue(run_thread, a->sig[i], v);
	}
	a->sent = 1;
	return (NULL);
}

/*
 * A spinning VM, one signal queued to this thread once the guest runs,
 * and the RUN it ends: vrp holds what RUN returned.
 */
static void
sig_run_one(struct rt *t, int sig, int value, struct vm_run_params *vrp)
{
	struct sig_send a;
	struct vm_exit ve;
	pthread_t th;

	spin_create(t);
	sig_rt = t;
	sig_calls = 0;
	memset(&a, 0, sizeof(a));
	a.t = t;
	a.n = 1;
	a.sig[0] = sig;
	a.value[0] = value;
	run_thread = pthread_self();
	ck_assert_int_eq(pthread_create(&th, NULL, sig_send_running, &a), 0);
	memset(vrp, 0, sizeof(*vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(t, vrp, &ve), 0);
	pthread_join(th, NULL);
}

/*
 * A signal that comes while the guest runs ends the RUN (VM_EXIT_NONE),
 * and its handler runs once RUN has returned, with its siginfo: from the
 * handler the vcpu is usable (READREGS succeeds; in the middle of RUN it
 * would be busy).
 */
START_TEST(test_signal_handler_runs_after_run_with_its_siginfo)
{
	struct sigaction sa, old;
	struct rt t;
	struct vm_run_params vrp;

	VENDOR_BEGIN();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
	sig_rwregs_rc = -2;
	sig_run_one(&t, SIGUSR1, 42, &vrp);
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	ck_assert_int_eq(sig_calls, 1);
	ck_assert_int_eq(sig_code, SI_QUEUE);
	ck_assert_int_eq(sig_value, 42);
	ck_assert_msg(sig_rwregs_rc == 0, "READREGS from the handler: %s",
	    strerror(sig_rwregs_err));
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	lm_term(&t);
}
END_TEST

/*
 * Real-time signals queued while the vcpu runs: every one is handled,
 * once, with its value, in the order sent for each signal number.
 */
START_TEST(test_rt_signals_during_run_all_handled_in_order)
{
	struct sigaction sa;
	struct sig_send a;
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	pthread_t th;
	int i, last1 = 0, last2 = 0, runs = 0;

	VENDOR_BEGIN();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGRTMIN + 1, &sa, NULL), 0);
	ck_assert_int_eq(sigaction(SIGRTMIN + 2, &sa, NULL), 0);
	spin_create(&t);
	sig_rt = &t;
	sig_calls = 0;
	memset(&a, 0, sizeof(a));
	a.t = &t;
	a.n = 4;
	a.sig[0] = SIGRTMIN + 2;	a.value[0] = 1;
	a.sig[1] = SIGRTMIN + 1;	a.value[1] = 2;
	a.sig[2] = SIGRTMIN + 2;	a.value[2] = 3;
	a.sig[3] = SIGRTMIN + 1;	a.value[3] = 4;
	run_thread = pthread_self();
	ck_assert_int_eq(pthread_create(&th, NULL, sig_send_running, &a), 0);
	/* RUN again until all were sent: the first may end the RUN early. */
	do {
		memset(&vrp, 0, sizeof(vrp));
		memset(&ve, 0, sizeof(ve));
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
		ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
		runs++;
	} while (!a.sent || sig_calls < 4);
	pthread_join(th, NULL);
	ck_assert_int_eq(sig_calls, 4);
	for (i = 0; i < 4; i++) {
		if (sig_order[i][0] == SIGRTMIN + 1) {
			ck_assert_int_gt(sig_order[i][1], last1);
			last1 = sig_order[i][1];
		} else {
			ck_assert_int_eq(sig_order[i][0], SIGRTMIN + 2);
			ck_assert_int_gt(sig_order[i][1], last2);
			last2 = sig_order[i][1];
		}
	}
	ck_assert_int_eq(last1, 4);
	ck_assert_int_eq(last2, 3);
	ck_assert_int_ge(runs, 1);
	signal(SIGRTMIN + 1, SIG_DFL);
	signal(SIGRTMIN + 2, SIG_DFL);
	lm_term(&t);
}
END_TEST

/*
 * SA_RESETHAND: the handler runs once, after RUN, and the action is the
 * default again afterwards, as sigaction(2) reports it.
 */
START_TEST(test_resethand_handler_runs_once_after_run)
{
	struct sigaction sa, now;
	struct rt t;
	struct vm_run_params vrp;

	VENDOR_BEGIN();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	sig_run_one(&t, SIGUSR2, 7, &vrp);
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	ck_assert_int_eq(sig_calls, 1);
	ck_assert_int_eq(sig_value, 7);
	ck_assert_int_eq(sigaction(SIGUSR2, NULL, &now), 0);
	ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
	lm_term(&t);
}
END_TEST

/*
 * sigaction(2) and signal(3) report the program's own action, whatever
 * stands behind it.
 */
START_TEST(test_sigaction_reports_the_programs_action)
{
	struct sigaction sa, now;

	VENDOR_BEGIN();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &now), 0);
	ck_assert_ptr_eq((void *)now.sa_sigaction, (void *)on_info);
	ck_assert_int_eq(now.sa_flags & (SA_SIGINFO | SA_RESTART |
	    SA_RESETHAND | SA_NODEFER), SA_SIGINFO | SA_RESTART);
	ck_assert_int_eq(sigismember(&now.sa_mask, SIGUSR2), 1);
	ck_assert_ptr_eq((void *)signal(SIGUSR1, SIG_IGN), (void *)on_info);
	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &now), 0);
	ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_IGN);
	ck_assert_ptr_eq((void *)signal(SIGUSR1, on_usr1), (void *)SIG_IGN);
	ck_assert_ptr_eq((void *)signal(SIGUSR1, SIG_DFL), (void *)on_usr1);
	ck_assert_int_eq(sigaction(SIGKILL, &sa, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* SigBlk of a thread, from /proc; ~0 when it cannot be read. */
static uint64_t
thread_sigblk(pid_t tid)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	if ((fp = fopen(path, "r")) == NULL)
		return (~0ULL);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "SigBlk: %llx", &v) == 1)
			break;
	fclose(fp);
	return (v);
}

struct sigblk_arg {
	struct rt	*t;
	pid_t		 tid;
	uint64_t	 during;
};

static void *
sigblk_during_run(void *p)
{
	struct sigblk_arg *a = p;

	spin_wait(a->t);
	a->during = thread_sigblk(a->tid);
	pthread_kill(run_thread, SIGUSR1);
	return (NULL);
}

/*
 * What RUN does to the caller's signal mask while the vcpu runs: nothing
 * by default (no system call per RUN); with VMMSIM_SIGCHAIN=0 it blocks
 * the asynchronous signals (SIGUSR1 among them) and not SIGSEGV.
 */
START_TEST(test_signal_mask_during_run)
{
	struct sigblk_arg a;
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	pthread_t th;
	uint64_t before, after;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	spin_create(&t);
	a.t = &t;
	a.tid = gettid();
	before = thread_sigblk(a.tid);
	ck_assert_uint_ne(before, ~0ULL);
	run_thread = pthread_self();
	ck_assert_int_eq(pthread_create(&th, NULL, sigblk_during_run, &a), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	pthread_join(th, NULL);
	after = thread_sigblk(a.tid);
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	ck_assert_uint_eq(after, before);
	if (sig_mask_mode()) {
		ck_assert_uint_ne(a.during & (1ULL << (SIGUSR1 - 1)), 0);
		ck_assert_uint_eq(a.during & (1ULL << (SIGSEGV - 1)), 0);
	} else
		ck_assert_uint_eq(a.during, before);
	lm_term(&t);
}
END_TEST

struct term_arg {
	struct rt	*t;
	_Atomic int	 done;		/* TERM returned */
	_Atomic int	 done_at_signal;
	int		 rc;
};

/* TERM 10 ms into the RUN. */
static void *
term_soon(void *p)
{
	struct term_arg *a = p;
	struct vm_terminate_params vtp = { a->t->id };
	struct timespec ts = { 0, 10 * 1000000L };

	nanosleep(&ts, NULL);
	a->rc = vmmsim_ioctl(a->t->fd, VMM_IOC_TERM, &vtp);
	a->done = 1;
	return (NULL);
}

/*
 * 200 ms into the RUN: note whether TERM returned, then signal RUN (again
 * every 20 ms until it returns).
 */
static void *
signal_after_term(void *p)
{
	struct term_arg *a = p;
	struct timespec ts = { 0, 200 * 1000000L };

	nanosleep(&ts, NULL);
	a->done_at_signal = a->done;
	return (signal_later(NULL));
}

/* TERM waits for the in-flight RUN; it does not kick the vcpu (§4.5). */
START_TEST(test_term_waits_for_running_vcpu)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct term_arg a;
	pthread_t th, sig;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	lm_create(&t, LM_SPIN_IF1);
	a.t = &t;
	a.done = 0;
	run_thread = pthread_self();
	a.done_at_signal = -1;
	ck_assert_int_eq(pthread_create(&th, NULL, term_soon, &a), 0);
	run_returned = 0;
	ck_assert_int_eq(pthread_create(&sig, NULL, signal_after_term, &a), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	run_returned = 1;
	ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	pthread_join(sig, NULL);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.done_at_signal, 0);	/* TERM was still waiting */
	ck_assert_int_eq(a.done, 1);
	ck_assert_int_eq(a.rc, 0);
	munmap(t.low, 4 * MIB);
	vmmsim_close(t.fd);
}
END_TEST


/*
 * The pvclock page (§16): set with WRITEVMPARAMS, refreshed every loop
 * iteration once its page is in the EPT, from virtual time; the last
 * 32-byte slot of a range is refused (the kernel's off-by-one).
 */
START_TEST(test_pvclock_page)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_rwvmparams_params vpp;
	struct vm_exit ve;
	pthread_t th;
	uint32_t version, mul;
	uint64_t systime;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	lm_create(&t, LM_SPIN_IF1);
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = t.id;
	vpp.vpp_mask = VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA;
	vpp.vpp_pvclock_system_gpa = 4 * MIB - 32 + 1;	/* last slot */
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEVMPARAMS, &vpp), 0);
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READVMPARAMS, &vpp), 0);
	ck_assert_uint_eq(vpp.vpp_pvclock_system_gpa, 0);
	vpp.vpp_mask = VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA;
	vpp.vpp_pvclock_system_gpa = 0x700 | 1;	/* the IDT page, touched */
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEVMPARAMS, &vpp), 0);
	run_thread = pthread_self();
	run_returned = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, signal_later, NULL), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	run_returned = 1;
	pthread_join(th, NULL);
	memcpy(&version, t.low + 0x700, 4);
	memcpy(&systime, t.low + 0x700 + 16, 8);
	memcpy(&mul, t.low + 0x700 + 24, 4);
	ck_assert_uint_gt(version, 0);
	ck_assert_uint_eq(version & 1, 0);		/* not mid-update */
	ck_assert_uint_gt(systime, 0);
	ck_assert_uint_eq(mul, 1U << 20);
	ck_assert_uint_eq(t.low[0x700 + 28], 12);	/* shift */
	ck_assert_uint_eq(t.low[0x700 + 29], 1);	/* TSC stable */
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_READVMPARAMS, &vpp), 0);
	ck_assert_uint_eq(vpp.vpp_pvclock_system_gpa, 0x701);
	ck_assert_uint_eq(vpp.vpp_pvclock_version << 1, version);
	lm_term(&t);
}
END_TEST


/*
 * vmmsim_vcpu_idle(): time a halted vcpu spends outside RUN moves its
 * clock on.  The guest reads the TSC, halts, reads it again and reports
 * the difference on port 0x80: it saw the 5 ms the monitor declared, and
 * the pvclock page (which it touched first, so that the EPT maps it)
 * written at the next entry shows it too.  Bad handles,
 * VMs and a wrapping clock are refused.
 */
START_TEST(test_idle_time_reaches_tsc_and_pvclock)
{
	static const uint8_t code[] = {
		0x8B, 0x04, 0x25, 0x00, 0x07, 0x00, 0x00, /* mov eax, [0x700] */
		0xFB,				/* sti */
		0x0F, 0x31,			/* rdtsc */
		0x48, 0xC1, 0xE2, 0x20,		/* shl rdx, 32 */
		0x48, 0x09, 0xD0,		/* or rax, rdx */
		0x48, 0x89, 0xC3,		/* mov rbx, rax */
		0xF4,				/* hlt */
		0x0F, 0x31,			/* rdtsc */
		0x48, 0xC1, 0xE2, 0x20,		/* shl rdx, 32 */
		0x48, 0x09, 0xD0,		/* or rax, rdx */
		0x48, 0x29, 0xD8,		/* sub rax, rbx */
		0xE7, 0x80,			/* out 0x80, eax */
		0xEB, 0xFE,			/* jmp $ */
	};
	const uint64_t idle = 5000000;
	struct rt t;
	struct vm_run_params vrp;
	struct vm_rwvmparams_params vpp;
	struct vm_exit ve;
	uint64_t v0, v1, systime, delta;

	VENDOR_BEGIN();
	lm_create(&t, 0x101000);
	memcpy(t.low + 0x101000, code, sizeof(code));
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = t.id;
	vpp.vpp_mask = VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA;
	vpp.vpp_pvclock_system_gpa = 0x700 | 1;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_WRITEVMPARAMS, &vpp), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_HLT);

	ck_assert_int_eq(vmmsim_vcpu_vtime(t.fd, t.id, 0, &v0), 0);
	ck_assert_int_eq(vmmsim_vcpu_idle(t.fd, t.id, 0, idle), 0);
	ck_assert_int_eq(vmmsim_vcpu_vtime(t.fd, t.id, 0, &v1), 0);
	ck_assert_uint_eq(v1, v0 + idle);
	ck_assert_int_eq(vmmsim_vcpu_idle(t.fd, t.id, 0, UINT64_MAX), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_vcpu_idle(t.fd, t.id + 1, 0, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vmmsim_vcpu_idle(t.fd, t.id, 1, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vmmsim_vcpu_idle(-1, t.id, 0, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(vmmsim_vcpu_vtime(t.fd, t.id, 0, &v1), 0);
	ck_assert_uint_eq(v1, v0 + idle);	/* refusals changed nothing */

	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	delta = ve.vrs.vrs_gprs[VCPU_REGS_RAX];
	/* The halt's 5 ms and the few instructions around it. */
	ck_assert_uint_ge(delta, idle);
	ck_assert_uint_lt(delta, idle + 16);
	memcpy(&systime, t.low + 0x700 + 16, 8);
	ck_assert_uint_ge(systime, v0 + idle);
	lm_term(&t);
}
END_TEST


/*
 * vmmsim_guest_written(): code the client rewrites between two RUNs (as
 * a device's DMA would) runs as written, though the changed instruction
 * is not an exiting one and the CPU had translated it.  Each round the
 * guest loads a value, reports it with OUT and jumps back.  Round 3
 * overflows the noted ranges, which then covers everything.
 */
/* RUN again after an I/O exit, which userland steps past (§8). */
static int
io_again(struct rt *t, struct vm_run_params *vrp, struct vm_exit *ve)
{
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (rt_run(t, vrp, ve));
}

START_TEST(test_code_written_from_outside_runs_as_written)
{
	static const uint8_t code[] = {
		0xB8, 0x01, 0x00, 0x00, 0x00,	/* mov eax, 1 */
		0xE7, 0x80,			/* out 0x80, eax */
		0xEB, 0xF7,			/* jmp back to the mov */
	};
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	int i;

	VENDOR_BEGIN();
	lm_create(&t, 0x101000);
	memcpy(t.low + 0x101000, code, sizeof(code));
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 1);
	ck_assert_int_eq(io_again(&t, &vrp, &ve), 0);	/* translated now */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 1);

	t.low[0x101001] = 2;
	ck_assert_int_eq(vmmsim_guest_written(t.fd, t.id, 0x101001, 1), 0);
	ck_assert_int_eq(io_again(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 2);

	for (i = 0; i < 40; i++)
		ck_assert_int_eq(vmmsim_guest_written(t.fd, t.id,
		    0x200000 + (uint64_t)i * 0x10000, 16), 0);
	t.low[0x101001] = 3;
	ck_assert_int_eq(io_again(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 3);

	ck_assert_int_eq(vmmsim_guest_written(t.fd, t.id, 0, 0), 0);
	ck_assert_int_eq(vmmsim_guest_written(t.fd, t.id, UINT64_MAX - 1, 4),
	    -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vmmsim_guest_written(t.fd, t.id + 1, 0, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vmmsim_guest_written(-1, t.id, 0, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	lm_term(&t);
}
END_TEST


/*
 * An interrupt injected while the vcpu is not ready for it (a new vcpu's
 * irqready is 0).  VMX tries once, before its loop, and drops it (quirk):
 * the guest spins on until a signal ends RUN with VM_EXIT_NONE.  SVM
 * looks at every iteration: once an exit finds IF set (a host tick
 * here), the interrupt goes in and the guest's handler reports.
 */
START_TEST(test_intr_injected_when_ready_on_svm_dropped_on_vmx)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	pthread_t th;
	static unsigned wait = 2;	/* host ticks come first on SVM */

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	lm_create(&t, LM_SPIN_IF1);
	run_thread = pthread_self();
	run_returned = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, signal_later, &wait), 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
	vrp.vrp_inject.vie_vector = 0x20;
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	run_returned = 1;
	pthread_join(th, NULL);
	if (AMD) {
		ck_assert_uint_eq(vrp.vrp_exit_reason, SVM_VMEXIT_IOIO);
		ck_assert_uint_eq(ve.vei.vei_port, 0x82);
		ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], LM_IRQ_HANDLER);
	} else
		ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
	lm_term(&t);
}
END_TEST

/* --- the in-kernel exit handlers (§12.5, §14, §15, §9.2) --- */

#define K_CR0		0x100000
#define K_CR8		0x100040
#define K_RDMSR		0x100080
#define K_WRMSR_PAT	0x1000C0
#define K_XSETBV	0x100100
#define K_MONITOR	0x100140
#define K_CPUID		0x100180
#define K_HLT		0x1001C0
#define K_GP_HANDLER	0x100200
#define K_UD_HANDLER	0x100240
#define K_MONITOR_CLI	0x100280
#define K_SYSCALL_MSRS	0x100380

static void
k_run_to_out(struct rt *t, uint64_t rip, struct vm_run_params *vrp,
    struct vm_exit *ve, uint16_t port)
{
	lm_create_file(t, rip, "lm_kernel.bin");
	lm_gate(t, 13, K_GP_HANDLER);
	lm_gate(t, 6, K_UD_HANDLER);
	memset(vrp, 0, sizeof(*vrp));
	memset(ve, 0, sizeof(*ve));
	ck_assert_msg(rt_run(t, vrp, ve) == 0, "RUN: %s", strerror(errno));
	ck_assert_uint_eq(vrp->vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve->vei.vei_port, port);
}

/*
 * VMX: MOV to CR0 with NE exits; the kernel keeps NE; the guest reads 0
 * through the read shadow.  SVM intercepts no CR access: the guest's own
 * CR0, NE and all, is what it reads.
 */
START_TEST(test_kernel_cr0_write_keeps_ne_shadow_reads_zero)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_CR0, &vrp, &ve, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_crs[VCPU_REGS_CR0] & 0x20, 0x20);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX] & 0x20, AMD ? 0x20 : 0);
	lm_term(&t);
}
END_TEST

/*
 * VMX: a CR8 read exits and only RIP moves: the register keeps its value
 * (quirk).  SVM does not intercept it: the guest reads its TPR, 0.
 */
START_TEST(test_kernel_cr8_read_leaves_register_quirk)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_CR8, &vrp, &ve, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX], AMD ? 0 : 0x55);
	lm_term(&t);
}
END_TEST

/* RDMSR: PAT from the shadow (the host's), BIOS_SIGN reads 0. */
START_TEST(test_kernel_rdmsr_pat_and_bios_sign)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_RDMSR, &vrp, &ve, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX], 0x00070406);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSI], 0x00070406);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDX], 0);
	lm_term(&t);
}
END_TEST

/* WRMSR PAT with a reserved memory type: #GP(0), RIP not advanced. */
START_TEST(test_kernel_wrmsr_bad_pat_gp)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_WRMSR_PAT, &vrp, &ve, 0x8D);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDI], 0);	/* error 0 */
	lm_term(&t);
}
END_TEST

/*
 * The MSRs a guest writes without exiting (STAR, LSTAR, CSTAR, SFMASK,
 * KERNELGSBASE: pass-through on both vendors) come out in the exit
 * snapshot and survive the exit: the guest reads them back after RUN
 * resumes it.  Each vendor with the CPU state read in place and, with
 * VMMSIM_LIVE_STATE=0, through Unicorn's register API.
 */
START_TEST(test_passthrough_msrs_in_exit_snapshot_and_kept)
{
	const size_t nv = sizeof(test_vendors) / sizeof(test_vendors[0]);
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;
	const uint64_t *m = ve.vrs.vrs_msrs;

	vendor = test_vendors[(size_t)_i % nv];
	if ((size_t)_i >= nv)
		setenv("VMMSIM_LIVE_STATE", "0", 1);
	k_run_to_out(&t, K_SYSCALL_MSRS, &vrp, &ve, 0x80);
	ck_assert_uint_eq(m[VCPU_REGS_STAR], 0x0023000811110081ULL);
	ck_assert_uint_eq(m[VCPU_REGS_LSTAR], 0x00007F0111110082ULL);
	ck_assert_uint_eq(m[VCPU_REGS_CSTAR], 0x00007F0111110083ULL);
	ck_assert_uint_eq(m[VCPU_REGS_SFMASK], 0x00044700);
	ck_assert_uint_eq(m[VCPU_REGS_KGSBASE], 0x00007F0511110102ULL);
	ck_assert_int_eq(io_again(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x81);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX], 0x00007F0111110082ULL);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSI], 0x00007F0511110102ULL);
	ck_assert_uint_eq(m[VCPU_REGS_LSTAR], 0x00007F0111110082ULL);
	lm_term(&t);
	unsetenv("VMMSIM_LIVE_STATE");
}
END_TEST

START_TEST(test_kernel_xsetbv_sets_xcr0)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_XSETBV, &vrp, &ve, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_crs[VCPU_REGS_XCR0], 3);
	lm_term(&t);
}
END_TEST

/*
 * MONITOR: the kernel queues #UD.  The VMX loop injects it with type 0,
 * as an external interrupt (quirk): the handler runs with no error code
 * and the frame's RIP is the MONITOR itself.  The SVM loop cannot inject
 * #UD at all (quirk): RUN fails with EINVAL and the vcpu is TERMINATED.
 */
START_TEST(test_kernel_monitor_ud_injected_as_external_interrupt)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	if (AMD) {
		lm_create_file(&t, K_MONITOR, "lm_kernel.bin");
		lm_gate(&t, 6, K_UD_HANDLER);
		memset(&vrp, 0, sizeof(vrp));
		memset(&ve, 0, sizeof(ve));
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
		ck_assert_int_eq(errno, EBUSY);
		lm_term(&t);
		return;
	}
	k_run_to_out(&t, K_MONITOR, &vrp, &ve, 0x86);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDI], K_MONITOR + 2);
	lm_term(&t);
}
END_TEST

/*
 * #UD injected by userland (vrp_inject): VMX delivers it as an external
 * interrupt (type 0, no error code; quirk), so the vector 6 handler sees
 * the return address after the HLT; SVM refuses the vector: RUN fails
 * with EINVAL and the vcpu is TERMINATED (quirk).
 */
START_TEST(test_userland_ud_injection)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	/* The IDT page is not mapped yet: deliver again after the fill. */
	rt_open_flags = VMMSIM_OPEN_REDELIVER;
	lm_create_file(&t, K_HLT, "lm_kernel.bin");
	rt_open_flags = 0;
	lm_gate(&t, 6, K_UD_HANDLER);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_HLT);
	vrp.vrp_inject.vie_type = VCPU_INJECT_EX;
	vrp.vrp_inject.vie_vector = VMM_EX_UD;
	if (AMD) {
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
		ck_assert_int_eq(errno, EBUSY);
	} else {
		ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
		ck_assert_uint_eq(vrp.vrp_exit_reason, VMX_EXIT_IO);
		ck_assert_uint_eq(ve.vei.vei_port, 0x86);
		ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDI], K_HLT + 2);
	}
	lm_term(&t);
}
END_TEST

/*
 * The same with interrupts off: on VMX an external-interrupt event needs
 * RFLAGS.IF = 1 (SDM §27.3.1.4), so the entry fails; on SVM the #UD is
 * refused as above.  Either way the vcpu dies: RUN returns EINVAL and
 * the vcpu is TERMINATED.
 */
START_TEST(test_kernel_monitor_with_if_clear_kills_the_vcpu)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create_file(&t, K_MONITOR_CLI, "lm_kernel.bin");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EBUSY);
	lm_term(&t);
}
END_TEST

/*
 * CPUID leaf 1: the hypervisor bit, no VMX, APIC id = vcpu id, and the
 * host profile's signature (Skylake-SP; AMD family 0x17 model 0x31).
 */
START_TEST(test_kernel_cpuid_leaf1)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	k_run_to_out(&t, K_CPUID, &vrp, &ve, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RCX] >> 31, 1);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RCX] & (1 << 5), 0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX] >> 24, 0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX],
	    AMD ? 0x00830F10 : 0x00050654);
	lm_term(&t);
}
END_TEST

/* HLT with IF=1: EAGAIN with reason 12 / 0x78, RIP past the HLT. */
START_TEST(test_kernel_hlt_advances_rip_and_returns)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create_file(&t, K_HLT, "lm_kernel.bin");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_HLT);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], K_HLT + 2);
	ck_assert_uint_eq(vrp.vrp_irqready, 1);
	lm_term(&t);
}
END_TEST


/*
 * RESETCPU after the guest ran in long mode: the next RUN starts from the
 * new state (real mode at 0:7000 here), the VMCB's cached state dropped
 * on SVM.  EFER keeps LME and LMA on SVM (OR-ed, quirk), harmlessly
 * without CR0.PG.
 */
START_TEST(test_resetcpu_after_run_takes_effect)
{
	struct rt t;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create_file(&t, K_HLT, "lm_kernel.bin");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_HLT);
	ck_assert_uint_eq(ve.vrs.vrs_crs[VCPU_REGS_CR0] & 0x80000000,
	    0x80000000);
	memcpy(t.low + 0x7000, "\xe6\x80", 2);		/* out 0x80, al */
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = t.id;
	flat16(&vrs.vrp_init_state);
	vrs.vrp_init_state.vrs_sregs[VCPU_REGS_CS].vsi_sel = 0;
	vrs.vrp_init_state.vrs_sregs[VCPU_REGS_CS].vsi_base = 0;
	vrs.vrp_init_state.vrs_gprs[VCPU_REGS_RIP] = 0x7000;
	ck_assert_int_eq(vmmsim_ioctl(t.fd, VMM_IOC_RESETCPU, &vrs), 0);
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], 0x7000);
	ck_assert_uint_eq(ve.vrs.vrs_crs[VCPU_REGS_CR0],
	    AMD ? 0x60000010 : 0x60000030);
	ck_assert_uint_eq(ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar, 0x9B);
	ck_assert_uint_eq(ve.vrs.vrs_sregs[VCPU_REGS_CS].vsi_base, 0);
	ck_assert_uint_eq(ve.vrs.vrs_msrs[VCPU_REGS_EFER] & ~0x400ULL,
	    AMD ? 0x1100 : 0);
	lm_term(&t);
}
END_TEST

#define K_MMIO		0x1002C0
#define K_NO_RANGE	0x100300
#define K_TRIPLE	0x100340

/*
 * A load from an MMIO range: MMIO_ASSIST.  VMX reports an EPT violation
 * with the instruction's length; SVM a nested page fault with the bytes
 * its decode assists fetched at RIP (15 here, all mapped), from which
 * userland finds the length itself.
 */
START_TEST(test_kernel_mmio_assist_exit)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_with_mmio = 1;
	lm_create_file(&t, K_MMIO, "lm_kernel.bin");
	lm_with_mmio = 0;
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_NPT);
	ck_assert_uint_eq(ve.vee.vee_fault_type, VEE_FAULT_MMIO_ASSIST);
	if (AMD) {
		ck_assert_uint_eq(ve.vee.vee_insn_info, VEE_BYTES_VALID);
		ck_assert_uint_eq(ve.vee.vee_insn_len, 15);
		ck_assert_uint_eq(ve.vee.vee_insn_bytes[0], 0x8B);
		ck_assert_uint_eq(ve.vee.vee_insn_bytes[1], 0x03);
		ck_assert_uint_eq(ve.vee.vee_insn_bytes[2], 0xE6);
	} else {
		ck_assert_uint_eq(ve.vee.vee_insn_info, VEE_LEN_VALID);
		ck_assert_uint_eq(ve.vee.vee_insn_len, 2);
	}
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], K_MMIO + 5);
	/* Userland emulates the load and passes the GPRs back. */
	ve.vrs.vrs_gprs[VCPU_REGS_RAX] = 0xABCD;
	ve.vrs.vrs_gprs[VCPU_REGS_RIP] += 2;		/* mov eax,[rbx] */
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RAX], 0xABCD);
	lm_term(&t);
}
END_TEST

/* A GPA in no range kills the guest: RUN fails EINVAL (quirk 9). */
START_TEST(test_kernel_gpa_outside_ranges_is_einval)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create_file(&t, K_NO_RANGE, "lm_kernel.bin");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), -1);
	ck_assert_int_eq(errno, EINVAL);
	lm_term(&t);
}
END_TEST

/* A triple fault reaches userland: reason 2 / shutdown 0x7F (vmd resets). */
START_TEST(test_kernel_triple_fault_reaches_userland)
{
	struct rt t;
	struct vm_run_params vrp;
	struct vm_exit ve;

	VENDOR_BEGIN();
	lm_create_file(&t, K_TRIPLE, "lm_kernel.bin");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	ck_assert_int_eq(rt_run(&t, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_SHUTDOWN);
	lm_term(&t);
}
END_TEST

/* The bundled demo guest boots from the reset vector to long mode. */
START_TEST(test_demo_guest_boots_to_long_mode)
{
	char buf[4096];
	FILE *fp;
	int fd, status;

	VENDOR_BEGIN();
	memset(buf, 0, sizeof(buf));
	fp = fmemopen(buf, sizeof(buf) - 1, "w");
	ck_assert_ptr_nonnull(fp);
	fd = t_open(vendor);
	status = vmmsim_demo_run(fd, fp, 0);
	fclose(fp);
	vmmsim_close(fd);
	ck_assert_int_eq(status, 1);
	ck_assert_str_eq(buf, "Hello from vmmsim's demo guest: reset vector "
	    "to long mode.\r\n");
}
END_TEST

static Suite *
run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 60);
	/* Every test once per vendor. */
#define T(t)	tcase_add_loop_test(tc, t, 0, \
	    (int)(sizeof(test_vendors) / sizeof(test_vendors[0])))
	T(test_regress_vcpu_flow);
	T(test_readregs_writeregs_round_trip);
	T(test_hlt_with_if_clear_is_eio_and_terminates);
	T(test_interrupt_delivery_interrupted_by_ept_fill_is_lost_quirk);
	T(test_interrupt_delivery_interrupted_by_ept_fill_is_redelivered);
	T(test_cpuid_in_kernel_hypervisor_leaf);
	T(test_cpuid_vendor_and_tsc_leaf);
	T(test_writeregs_efer_is_or_ed_on_svm_quirk);
	T(test_segment_access_rights_through_vmcb_attrib);
	T(test_exit_cpl_is_always_0_on_svm_quirk);
	T(test_invalid_guest_state_kills_the_vcpu);
	T(test_demo_guest_boots_to_long_mode);
	T(test_intr_from_another_thread_then_inject);
	T(test_interrupt_window_exit_when_guest_enables);
	T(test_intr_injected_when_ready_on_svm_dropped_on_vmx);
	T(test_pvclock_page);
	T(test_idle_time_reaches_tsc_and_pvclock);
	T(test_code_written_from_outside_runs_as_written);
	T(test_kernel_cr0_write_keeps_ne_shadow_reads_zero);
	T(test_kernel_cr8_read_leaves_register_quirk);
	T(test_kernel_rdmsr_pat_and_bios_sign);
	T(test_kernel_wrmsr_bad_pat_gp);
	tcase_add_loop_test(tc, test_passthrough_msrs_in_exit_snapshot_and_kept,
	    0, 2 * (int)(sizeof(test_vendors) / sizeof(test_vendors[0])));
	T(test_kernel_xsetbv_sets_xcr0);
	T(test_kernel_monitor_ud_injected_as_external_interrupt);
	T(test_kernel_monitor_with_if_clear_kills_the_vcpu);
	T(test_userland_ud_injection);
	T(test_kernel_cpuid_leaf1);
	T(test_kernel_hlt_advances_rip_and_returns);
	T(test_resetcpu_after_run_takes_effect);
	T(test_kernel_mmio_assist_exit);
	T(test_kernel_gpa_outside_ranges_is_einval);
	T(test_kernel_triple_fault_reaches_userland);
	suite_add_tcase(s, tc);

	/*
	 * Signals during RUN: tests/signals_mask.sh runs this case again
	 * with VMMSIM_SIGCHAIN=0.
	 */
	tc = tcase_create("signals");
	tcase_set_timeout(tc, 60);
	T(test_signal_makes_run_return_none);
	T(test_signal_the_caller_blocks_does_not_end_run);
	T(test_term_waits_for_running_vcpu);
	T(test_signal_handler_runs_after_run_with_its_siginfo);
	T(test_rt_signals_during_run_all_handled_in_order);
	T(test_resethand_handler_runs_once_after_run);
	T(test_sigaction_reports_the_programs_action);
	T(test_signal_mask_during_run);
#undef T
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(run_suite());
	int failed;

	vmmsim_set_log(stderr);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
