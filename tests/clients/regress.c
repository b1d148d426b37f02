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
 * A vmm(4) client in the manner of OpenBSD's regress test for vmm
 * (regress/sys/arch/amd64/vmm/vcpu.c), with the 2024 memory semantics: it
 * knows only /dev/vmm, ioctl(2) and the vmm headers.  It runs unchanged
 * under the libvmmdev.so shim, or built with -DVMMSIM_INPROC against the
 * in-process device.  Exit status 0 when every step gave the expected
 * result; one line per step on stdout.
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

/* An IO exit, as the regress test accepts it: VMX 30 or SVM 0x7B. */
#define IS_IO_EXIT(r)	((r) == VMX_EXIT_IO || (r) == SVM_VMEXIT_IOIO)

#define KIB		1024UL
#define MIB		(1024 * KIB)
#define LOW_SIZE	(640 * KIB)
#define HIGH_SIZE	(64 * MIB - 640 * KIB)
#define HIGH_GPA	(4096 * MIB - HIGH_SIZE)

static void *
anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		err(1, "mmap");
	return (p);
}

/*
 * Free, page-aligned address ranges for SHAREMEM to map at: reserved
 * together, then released, so the two cannot overlap.
 */
static void
holes(size_t s1, void **h1, size_t s2, void **h2)
{
	*h1 = anon(s1);
	*h2 = anon(s2);
	munmap(*h1, s1);
	munmap(*h2, s2);
}

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		errx(1, __VA_ARGS__);					\
} while (0)

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_resetcpu_params vrs;
	struct vm_run_params vrp;
	struct vm_terminate_params vtp;
	struct vm_exit ve;
	struct vcpu_reg_state *r;
	uint8_t *low, *high, *low2, *high2;
	uint16_t *ivt;
	void *h1, *h2;
	size_t i;
	int fd, found = 0;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");

	low = anon(LOW_SIZE);
	high = anon(HIGH_SIZE);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 2;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)low;
	vcp.vcp_memranges[0].vmr_size = LOW_SIZE;
	vcp.vcp_memranges[1].vmr_gpa = HIGH_GPA;
	vcp.vcp_memranges[1].vmr_va = (vaddr_t)high;
	vcp.vcp_memranges[1].vmr_size = HIGH_SIZE;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "regress");
	if (ioctl(fd, VMM_IOC_CREATE, &vcp) == -1)
		err(1, "VMM_IOC_CREATE");
	printf("create: vm %u\n", vcp.vcp_id);

	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = vcp.vcp_id;
	vsp.vsp_nmemranges = 2;
	memcpy(vsp.vsp_memranges, vcp.vcp_memranges,
	    sizeof(vsp.vsp_memranges));
	holes(LOW_SIZE, &h1, HIGH_SIZE, &h2);
	vsp.vsp_memranges[0].vmr_va = (vaddr_t)h1;
	vsp.vsp_memranges[1].vmr_va = (vaddr_t)h2;
	if (ioctl(fd, VMM_IOC_SHAREMEM, &vsp) == -1)
		err(1, "VMM_IOC_SHAREMEM");
	low2 = (uint8_t *)vsp.vsp_memranges[0].vmr_va;
	high2 = (uint8_t *)vsp.vsp_memranges[1].vmr_va;
	memset(low2, 0xCC, LOW_SIZE);
	memset(high2, 0xCC, HIGH_SIZE);
	ivt = (uint16_t *)low2;
	ivt[13 * 2] = 0x0B5D;			/* #GP handler at 0:0B5D */
	ivt[13 * 2 + 1] = 0;
	memcpy(low2 + 0x0B5D, "\xe4\xf0", 2);	/* in al, 0xF0 */
	memcpy(high2 + HIGH_SIZE - 16, "\x52\x6c", 2);	/* push dx; insb */
	printf("sharemem: guest memory written through the alias\n");

	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO (size)");
	if ((vir = malloc(vip.vip_size)) == NULL)
		err(1, "malloc");
	vip.vip_info = vir;
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO");
	for (i = 0; i < vip.vip_info_ct; i++)
		if (vir[i].vir_id == vcp.vcp_id &&
		    strcmp(vir[i].vir_name, "regress") == 0)
			found = 1;
	free(vir);
	CHECK(found, "INFO does not list the VM");
	printf("info: found vm %u \"regress\"\n", vcp.vcp_id);

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vcp.vcp_id;
	r = &vrs.vrp_init_state;
	r->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	r->vrs_gprs[VCPU_REGS_RIP] = 0xFFF0;
	r->vrs_gprs[VCPU_REGS_RSP] = 0x800;
	r->vrs_gprs[VCPU_REGS_RDX] = 0x61;
	r->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	r->vrs_crs[VCPU_REGS_XCR0] = 1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		r->vrs_sregs[i].vsi_limit = 0xFFFF;
		r->vrs_sregs[i].vsi_ar = 0x93;
	}
	r->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0xF000;
	r->vrs_sregs[VCPU_REGS_CS].vsi_base = 0xFFFF0000;
	r->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x9B;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	r->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	r->vrs_gdtr.vsi_limit = 0xFFFF;
	r->vrs_idtr.vsi_limit = 0xFFFF;
	r->vrs_drs[VCPU_REGS_DR6] = 0xFFFF0FF0;
	r->vrs_drs[VCPU_REGS_DR7] = 0x400;
	if (ioctl(fd, VMM_IOC_RESETCPU, &vrs) == -1)
		err(1, "VMM_IOC_RESETCPU");
	printf("resetcpu: flat 16-bit, CS F000:FFF0\n");

	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_exit = &ve;
	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
		err(1, "VMM_IOC_RUN");
	CHECK(IS_IO_EXIT(vrp.vrp_exit_reason) && ve.vei.vei_port == 0x61 &&
	    ve.vei.vei_string == 1, "first exit: reason %u port %#x",
	    vrp.vrp_exit_reason, ve.vei.vei_port);
	printf("run: io exit, port 0x61, string\n");
	printf("run: exit reason %u\n", vrp.vrp_exit_reason);

	ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	vrp.vrp_inject.vie_type = VCPU_INJECT_EX;
	vrp.vrp_inject.vie_vector = VMM_EX_GP;
	vrp.vrp_inject.vie_errorcode = 0x11223344;
	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
		err(1, "VMM_IOC_RUN");
	CHECK(IS_IO_EXIT(vrp.vrp_exit_reason) && ve.vei.vei_port == 0xF0,
	    "second exit: reason %u port %#x", vrp.vrp_exit_reason,
	    ve.vei.vei_port);
	printf("run: #GP injected, handler's io exit on port 0xf0\n");

	vtp.vtp_vm_id = vcp.vcp_id;
	if (ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
		err(1, "VMM_IOC_TERM");
	printf("term: ok\n");
	close(fd);
	return (0);
}
