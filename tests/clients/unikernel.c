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
 * A unikernel-style vmm(4) client: it builds long-mode page tables and a
 * GDT in guest memory itself, RESETCPUs straight into 64-bit mode, and
 * serves the guest's hypercalls (32-bit OUTs to port 0xE0 whose data is
 * the guest-physical address of an argument block) until the guest halts
 * through one.  It knows only /dev/vmm, ioctl(2) and the vmm headers; it
 * runs under the libvmmdev.so shim, or built with -DVMMSIM_INPROC.
 *
 *	unikernel GUEST.bin		exit status 0 if the guest said 42
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dev/vmm/vmm.h>
#include <machine/vmmvar.h>

#ifdef VMMSIM_INPROC
#include "vmmsim.h"
/* The vendor comes from $VMMSIM_CPU, as under the shim. */
#define open(path, flags)	vmmsim_open(VMMSIM_OPEN_DEFAULT)
#define ioctl			vmmsim_ioctl
#define close			vmmsim_close
#endif

#define RAM_SIZE	(4UL << 20)
#define GUEST_GPA	0x100000UL
#define GDT_GPA		0x500UL
#define PML4_GPA	0x1000UL
#define HC_PORT		0xE0
#define HC_PRINT	1
#define HC_ADD		2
#define HC_HALT		3

struct hcall {
	uint32_t	op;
	uint32_t	pad;
	uint64_t	a, b, ret;
};

int
main(int argc, char **argv)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_terminate_params vtp;
	struct vm_exit ve;
	struct vcpu_reg_state *r;
	struct hcall *hc;
	uint64_t *pt;
	uint8_t *ram;
	FILE *fp;
	size_t n;
	int fd, i, done = 0;
	long status = -1;

	if (argc != 2)
		errx(2, "usage: unikernel GUEST.bin");
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		err(1, "mmap");
	if ((fp = fopen(argv[1], "rb")) == NULL)
		err(1, "%s", argv[1]);
	n = fread(ram + GUEST_GPA, 1, RAM_SIZE - GUEST_GPA, fp);
	fclose(fp);
	if (n == 0)
		errx(1, "%s: empty", argv[1]);

	/* Identity map of the first GiB with 2 MiB pages; a flat GDT. */
	pt = (uint64_t *)(ram + PML4_GPA);
	pt[0] = (PML4_GPA + 0x1000) | 3;
	pt[512] = (PML4_GPA + 0x2000) | 3;
	for (i = 0; i < 512; i++)
		pt[1024 + i] = ((uint64_t)i << 21) | 0x83;
	((uint64_t *)(ram + GDT_GPA))[1] = 0x00AF9B000000FFFFULL;
	((uint64_t *)(ram + GDT_GPA))[2] = 0x00CF93000000FFFFULL;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 1;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)ram;
	vcp.vcp_memranges[0].vmr_size = RAM_SIZE;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "unikernel");
	if (ioctl(fd, VMM_IOC_CREATE, &vcp) == -1)
		err(1, "VMM_IOC_CREATE");

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vcp.vcp_id;
	r = &vrs.vrp_init_state;
	r->vrs_gprs[VCPU_REGS_RIP] = GUEST_GPA;
	r->vrs_gprs[VCPU_REGS_RSP] = RAM_SIZE;
	r->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		r->vrs_sregs[i].vsi_sel = 0x10;
		r->vrs_sregs[i].vsi_limit = 0xFFFFFFFF;
		r->vrs_sregs[i].vsi_ar = 0xC093;
	}
	r->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x08;
	r->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xA09B;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x10000;	/* unusable */
	r->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0x67;
	r->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	r->vrs_gdtr.vsi_base = GDT_GPA;
	r->vrs_gdtr.vsi_limit = 0x17;
	r->vrs_crs[VCPU_REGS_CR0] = 0x80000031;		/* PG NE ET PE */
	r->vrs_crs[VCPU_REGS_CR3] = PML4_GPA;
	r->vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	r->vrs_crs[VCPU_REGS_XCR0] = 1;
	r->vrs_msrs[VCPU_REGS_EFER] = 0x500;		/* LME LMA */
	r->vrs_drs[VCPU_REGS_DR7] = 0x400;
	if (ioctl(fd, VMM_IOC_RESETCPU, &vrs) == -1)
		err(1, "VMM_IOC_RESETCPU");

	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_exit = &ve;
	while (!done) {
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
			err(1, "VMM_IOC_RUN");
		if (vrp.vrp_exit_reason == VM_EXIT_NONE)
			continue;
		/* An IO exit: VMX 30 or SVM 0x7B, whichever the CPU. */
		if ((vrp.vrp_exit_reason != VMX_EXIT_IO &&
		    vrp.vrp_exit_reason != SVM_VMEXIT_IOIO) ||
		    ve.vei.vei_port != HC_PORT || ve.vei.vei_size != 4 ||
		    ve.vei.vei_dir != VEI_DIR_OUT)
			errx(1, "unexpected exit %u (port %#x)",
			    vrp.vrp_exit_reason, ve.vei.vei_port);
		if (ve.vei.vei_data > RAM_SIZE - sizeof(*hc))
			errx(1, "hypercall block outside RAM");
		hc = (struct hcall *)(ram + ve.vei.vei_data);
		switch (hc->op) {
		case HC_PRINT:
			if (hc->a >= RAM_SIZE || hc->b > RAM_SIZE - hc->a)
				errx(1, "print outside RAM");
			fwrite(ram + hc->a, 1, hc->b, stdout);
			hc->ret = hc->b;
			break;
		case HC_ADD:
			hc->ret = hc->a + hc->b;
			break;
		case HC_HALT:
			status = (long)hc->a;
			done = 1;
			break;
		default:
			errx(1, "unknown hypercall %u", hc->op);
		}
		ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	}
	printf("halted through a hypercall with status %ld\n", status);
	vtp.vtp_vm_id = vcp.vcp_id;
	if (ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
		err(1, "VMM_IOC_TERM");
	close(fd);
	return (status == 42 ? 0 : 1);
}
