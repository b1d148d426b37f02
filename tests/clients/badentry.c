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
 * A vmm(4) client that gets a guest state wrong on purpose: it resets the
 * vcpu to a flat real-mode state, lets the guest run to its first exit,
 * then writes a register state that VM entry (or VMRUN) refuses with
 * VMM_IOC_WRITEREGS, and runs again.  RUN must fail with EINVAL; with
 * VMMSIM_TRACE=FILE the trace says which check failed and why.
 *
 *	badentry CASE		exit status 0 if the second RUN gave EINVAL
 *
 * CASE is one of
 *	cr0-pg-no-pe	CR0.PG=1 with CR0.PE=0 (SDM 27.3.1.1)
 *	lme-no-pae	EFER.LME/LMA=1 and CR0.PG=1 with CR4.PAE=0
 *			(SDM 27.3.1.1; APM 15.5.1)
 *	efer-reserved	a reserved EFER bit (Intel: the MSR-load list,
 *			SDM 27.4; APM 15.5.1)
 * The vendor comes from $VMMSIM_CPU.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <err.h>
#include <errno.h>
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
#define open(path, flags)	vmmsim_open(VMMSIM_OPEN_DEFAULT)
#define ioctl			vmmsim_ioctl
#define close			vmmsim_close
#endif

#define RAM_SIZE	(64UL << 10)
#define GUEST_IP	0x1000
#define CR0_PE		0x00000001ULL
#define CR0_ET		0x00000010ULL
#define CR0_NE		0x00000020ULL
#define CR0_PG		0x80000000ULL
#define EFER_LME	0x00000100ULL
#define EFER_LMA	0x00000400ULL
#define EFER_RESERVED	0x00100000ULL	/* bit 20: reserved on both */
#define CR4_PAE		0x00000020ULL

/* The power-on state, with the guest's code at 0:GUEST_IP. */
static void
flat16(struct vcpu_reg_state *vrs)
{
	int i;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x202;	/* IF: HLT waits */
	vrs->vrs_gprs[VCPU_REGS_RIP] = GUEST_IP;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		vrs->vrs_sregs[i].vsi_limit = 0xFFFF;
		vrs->vrs_sregs[i].vsi_ar = 0x93;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x9B;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	vrs->vrs_gdtr.vsi_limit = 0xFFFF;
	vrs->vrs_idtr.vsi_limit = 0xFFFF;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xFFFF0FF0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
}

/* The bad state of a case, over the registers the guest left. */
static int
spoil(const char *c, struct vcpu_reg_state *vrs)
{
	if (strcmp(c, "cr0-pg-no-pe") == 0) {
		vrs->vrs_crs[VCPU_REGS_CR0] = CR0_PG | CR0_NE | CR0_ET;
		return (0);
	}
	if (strcmp(c, "lme-no-pae") == 0) {
		vrs->vrs_crs[VCPU_REGS_CR0] = CR0_PG | CR0_NE | CR0_ET |
		    CR0_PE;
		vrs->vrs_crs[VCPU_REGS_CR4] &= ~CR4_PAE;
		vrs->vrs_msrs[VCPU_REGS_EFER] = EFER_LME | EFER_LMA;
		return (0);
	}
	if (strcmp(c, "efer-reserved") == 0) {
		vrs->vrs_msrs[VCPU_REGS_EFER] |= EFER_RESERVED;
		return (0);
	}
	return (-1);
}

int
main(int argc, char **argv)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vm_rwregs_params vrwp;
	struct vm_run_params vrp;
	struct vm_terminate_params vtp;
	struct vm_exit ve;
	uint8_t *ram;
	int fd, rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: badentry cr0-pg-no-pe|lme-no-pae|"
		    "efer-reserved\n");
		return (2);
	}
	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "/dev/vmm");
#ifdef VMMSIM_INPROC
	if (vmmsim_trace_env(fd) == -1)
		err(1, "VMMSIM_TRACE");
#endif
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		err(1, "mmap");
	ram[GUEST_IP] = 0xF4;		/* hlt */

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 1;
	vcp.vcp_memranges[0].vmr_gpa = 0;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)ram;
	vcp.vcp_memranges[0].vmr_size = RAM_SIZE;
	vcp.vcp_memranges[0].vmr_type = VM_MEM_RAM;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "badentry");
	if (ioctl(fd, VMM_IOC_CREATE, &vcp) == -1)
		err(1, "VMM_IOC_CREATE");
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vcp.vcp_id;
	flat16(&vrs.vrp_init_state);
	if (ioctl(fd, VMM_IOC_RESETCPU, &vrs) == -1)
		err(1, "VMM_IOC_RESETCPU");

	/* A first RUN that works: the guest halts. */
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_exit = &ve;
	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
		err(1, "VMM_IOC_RUN");
	printf("RUN: exit %u\n", vrp.vrp_exit_reason);

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = vcp.vcp_id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	if (ioctl(fd, VMM_IOC_READREGS, &vrwp) == -1)
		err(1, "VMM_IOC_READREGS");
	if (spoil(argv[1], &vrwp.vrwp_regs) != 0)
		errx(2, "%s: no such case", argv[1]);
	if (ioctl(fd, VMM_IOC_WRITEREGS, &vrwp) == -1)
		err(1, "VMM_IOC_WRITEREGS");
	printf("WRITEREGS: %s\n", argv[1]);

	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1) {
		printf("RUN: %s\n", strerror(errno));
		rc = errno == EINVAL ? 0 : 1;
	} else
		printf("RUN: exit %u, the bad state was accepted\n",
		    vrp.vrp_exit_reason);

	vtp.vtp_vm_id = vcp.vcp_id;
	(void)ioctl(fd, VMM_IOC_TERM, &vtp);
#ifdef VMMSIM_INPROC
	if (vmmsim_trace_stop(fd) == -1 && errno != ENOENT)
		err(1, "vmmsim_trace_stop");
#endif
	close(fd);
	munmap(ram, RAM_SIZE);
	return (rc);
}
