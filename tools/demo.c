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
 * vmmsim demo: boot the bundled demo guest through the vmm(4) contract,
 * the way vmd boots a BIOS: RAM below 2 MiB, the 64 KiB firmware image as
 * a reserved range at the top of 4 GiB, RESETCPU to the flat 16-bit reset
 * state, then RUN until the guest writes to the debug-exit port.  I/O
 * exits are handled here: COM1's data port prints, the line status port
 * says "transmitter empty", port 0xF4 ends the run, every other port
 * reads as all ones.
 */

#include <sys/mman.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "demo.h"

#define DEMO_RAM	(2UL << 20)
#define DEMO_ROM_GPA	0xFFFF0000UL
#define DEMO_ROM_SIZE	0x10000UL
#define COM1_DATA	0x3F8
#define COM1_LSR	0x3FD
#define LSR_THRE_TEMT	0x60
#define DEBUG_EXIT	0xF4
#define DEMO_MAX_RUNS	1000000

extern const unsigned char vmmsim_demo_rom[], vmmsim_demo_rom_end[];

static void
flat16(struct vcpu_reg_state *vrs)
{
	int i;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_gprs[VCPU_REGS_RIP] = 0xFFF0;
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

/*
 * Runs the demo guest on an open device.  Returns the guest's debug-exit
 * value as a status ((value << 1) | 1, as QEMU's isa-debug-exit), or -1
 * with a message on stderr.
 */
int
vmmsim_demo_run(int fd, FILE *out, int verbose)
{
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_terminate_params vtp;
	struct vm_exit ve;
	unsigned char *ram, *rom;
	unsigned long runs = 0;
	int status = -1;
	uint32_t mask;

	ram = mmap(NULL, DEMO_RAM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rom = mmap(NULL, DEMO_ROM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || rom == MAP_FAILED) {
		perror("mmap");
		return (-1);
	}
	memcpy(rom, vmmsim_demo_rom, (size_t)(vmmsim_demo_rom_end -
	    vmmsim_demo_rom));

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 2;
	vcp.vcp_memranges[0].vmr_gpa = 0;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)ram;
	vcp.vcp_memranges[0].vmr_size = DEMO_RAM;
	vcp.vcp_memranges[0].vmr_type = VM_MEM_RAM;
	vcp.vcp_memranges[1].vmr_gpa = DEMO_ROM_GPA;
	vcp.vcp_memranges[1].vmr_va = (vaddr_t)rom;
	vcp.vcp_memranges[1].vmr_size = DEMO_ROM_SIZE;
	vcp.vcp_memranges[1].vmr_type = VM_MEM_RESERVED;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "demo");
	if (vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp) == -1) {
		fprintf(stderr, "VMM_IOC_CREATE: %s\n", strerror(errno));
		goto out;
	}
	if (verbose)
		fprintf(out, "CREATE: VM %u, 2 MiB of RAM at 0, the 64 KiB "
		    "firmware at 0x%lx\n", vcp.vcp_id, DEMO_ROM_GPA);
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vcp.vcp_id;
	flat16(&vrs.vrp_init_state);
	if (vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrs) == -1) {
		fprintf(stderr, "VMM_IOC_RESETCPU: %s\n", strerror(errno));
		goto term;
	}
	if (verbose)
		fprintf(out, "RESETCPU: CS F000 base FFFF0000, RIP FFF0\n"
		    "RUN: the guest's COM1 output follows\n");
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_exit = &ve;
	while (runs++ < DEMO_MAX_RUNS) {
		if (vmmsim_ioctl(fd, VMM_IOC_RUN, &vrp) == -1) {
			fprintf(stderr, "VMM_IOC_RUN: %s\n", strerror(errno));
			goto term;
		}
		if (vrp.vrp_exit_reason == VM_EXIT_NONE)
			continue;
		if (vrp.vrp_exit_reason == VMX_EXIT_HLT ||
		    vrp.vrp_exit_reason == SVM_VMEXIT_HLT) {
			fprintf(stderr, "the guest halted\n");
			goto term;
		}
		if (vrp.vrp_exit_reason != VMX_EXIT_IO &&
		    vrp.vrp_exit_reason != SVM_VMEXIT_IOIO)
			continue;
		if (ve.vei.vei_dir == VEI_DIR_OUT) {
			if (ve.vei.vei_port == DEBUG_EXIT) {
				status = (int)(((ve.vei.vei_data & 0xFF) << 1) |
				    1);
				break;
			}
			if (ve.vei.vei_port == COM1_DATA)
				fputc(ve.vei.vei_data & 0xFF, out);
		} else {
			mask = ve.vei.vei_size == 4 ? 0xFFFFFFFFU :
			    (1U << (8 * ve.vei.vei_size)) - 1;
			ve.vei.vei_data = (ve.vei.vei_data & ~mask) |
			    (ve.vei.vei_port == COM1_LSR ? LSR_THRE_TEMT : mask);
		}
		ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	}
	fflush(out);
	if (verbose)
		fprintf(out, "RUN: debug exit after %lu RUN calls, "
		    "status %d\n", runs, status);
term:
	vtp.vtp_vm_id = vcp.vcp_id;
	if (vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
		fprintf(stderr, "VMM_IOC_TERM: %s\n", strerror(errno));
	else if (verbose)
		fprintf(out, "TERM: VM %u\n", vcp.vcp_id);
out:
	munmap(ram, DEMO_RAM);
	munmap(rom, DEMO_ROM_SIZE);
	return (status);
}
