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
 * vmmsim(1): the command-line front end.
 *
 *	vmmsim exercise [--vendor intel|amd]
 *		CREATE a VM, SHAREMEM its memory, INFO (size query, then
 *		fetch), TERM — printing what each step did.
 */

#include <sys/mman.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "demo.h"
#include "run.h"
#include "ctl.h"
#include "trace.h"

static const char *progname = "vmmsim";

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s <command> [options]\n"
	    "\n"
	    "commands:\n"
	    "  demo [--vendor intel|amd] [--trace FILE [--snap all|N,...]]\n"
	    "        boot the bundled demo guest (reset vector to long mode,\n"
	    "        a greeting on COM1) through the vmm(4) contract,\n"
	    "        recording its exits (and snapshots at exits N) in FILE\n"
	    "  trace FILE [--reason NAME]... [--json] [--svg OUT]\n"
	    "        one line per exit of a trace: time, reason, what the\n"
	    "        qualification says, the instruction, what the monitor did\n"
	    "  vmcs FILE [--exit N] [--diff M]\n"
	    "        the VMCS (or VMCB) of a trace snapshot by field name, or\n"
	    "        what changed between the snapshots at exits N and M\n"
	    "  ept FILE [--exit N] [--access r|w|x] GPA\n"
	    "        the EPT (or NPT) walk of GPA in a trace snapshot\n"
	    "  run [-m SIZE] [-k KERNEL] [--initrd FILE] [--append CMDLINE]\n"
	    "      [--guest-unpack] [--bios FILE] [-d [ro:]DISK]... [--vendor intel|amd]\n"
	    "      [--console stdio|pty|unix:PATH|file:PATH] [--name NAME]\n"
	    "      [--reboot] [--max-time TIME]\n"
	    "        boot a kernel or BIOS image on vmd-like devices\n"
	    "        (vmmsim run --help; --record FILE keeps a replay log)\n"
	    "  replay [-v] [-k KERNEL] [--initrd FILE] [--bios FILE] [-d DISK]...\n"
	    "         [--from SNAPSHOT] FILE\n"
	    "        re-run a recorded run and check it against its log\n"
	    "  status [NAME]\n"
	    "        list the running VMs (their control sockets)\n"
	    "  stop NAME | -a\n"
	    "        stop a running VM, or all of them, and wait for it\n"
	    "  exercise [--vendor intel|amd]\n"
	    "        walk a VM through CREATE, SHAREMEM, INFO and TERM on the\n"
	    "        in-process /dev/vmm and print what each step did\n"
	    "  version\n"
	    "        print the version\n"
	    "  help  this text\n", progname);
}

static int
parse_vendor(const char *s, int *flags)
{
	if (strcmp(s, "intel") == 0)
		*flags = VMMSIM_OPEN_INTEL;
	else if (strcmp(s, "amd") == 0)
		*flags = VMMSIM_OPEN_AMD;
	else {
		fprintf(stderr, "%s: unknown vendor '%s' (intel or amd)\n",
		    progname, s);
		return (-1);
	}
	return (0);
}

static const char *
state_name(uint8_t st)
{
	static const char *names[] = { "STOPPED", "RUNNING", "REQTERM",
	    "TERMINATED", "UNKNOWN" };

	return (st < 5 ? names[st] : "?");
}

/*
 * The exercise: a two-range VM (640 KiB of RAM at 0 and 64 KiB reserved at
 * 0xf0000, as a BIOS would have), a second mapping of its memory through
 * SHAREMEM, the two-step INFO protocol, and TERM.
 */
static int
cmd_exercise(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vendor", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_terminate_params vtp;
	size_t sizes[2] = { 640 * 1024, 64 * 1024 }, i;
	unsigned long gpas[2] = { 0, 0xf0000 };
	int types[2] = { VM_MEM_RAM, VM_MEM_RESERVED };
	int fd, c, flags = VMMSIM_OPEN_DEFAULT;
	char *alias;

	while ((c = getopt_long(argc, argv, "v:", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (parse_vendor(optarg, &flags) == -1)
				return (2);
			break;
		default:
			usage(stderr);
			return (2);
		}
	}

	if ((fd = vmmsim_open(flags)) == -1) {
		fprintf(stderr, "%s: open /dev/vmm: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	printf("opened the in-process /dev/vmm (%s)\n",
	    flags == VMMSIM_OPEN_AMD ? "AMD-V, RVI" :
	    flags == VMMSIM_OPEN_INTEL ? "VT-x, EPT" :
	    "vendor from $VMMSIM_CPU, default VT-x");

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 2;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "exercise");
	for (i = 0; i < 2; i++) {
		void *p = mmap(NULL, sizes[i], PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return (1);
		}
		vcp.vcp_memranges[i].vmr_gpa = gpas[i];
		vcp.vcp_memranges[i].vmr_va = (unsigned long)p;
		vcp.vcp_memranges[i].vmr_size = sizes[i];
		vcp.vcp_memranges[i].vmr_type = types[i];
	}
	/* A marker the guest would see at GPA 0x7c00. */
	memcpy((char *)vcp.vcp_memranges[0].vmr_va + 0x7c00, "vmmsim", 7);

	if (vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp) == -1) {
		fprintf(stderr, "%s: VMM_IOC_CREATE: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	printf("VMM_IOC_CREATE: vm id %u, \"%s\", 1 vcpu\n", vcp.vcp_id,
	    vcp.vcp_name);
	for (i = 0; i < vcp.vcp_nmemranges; i++)
		printf("  range %zu: gpa 0x%08lx size %7zu KiB %s at va %p\n",
		    i, vcp.vcp_memranges[i].vmr_gpa,
		    vcp.vcp_memranges[i].vmr_size / 1024,
		    vcp.vcp_memranges[i].vmr_type == VM_MEM_RAM ? "RAM     " :
		    "RESERVED", (void *)vcp.vcp_memranges[i].vmr_va);

	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = vcp.vcp_id;
	vsp.vsp_nmemranges = vcp.vcp_nmemranges;
	for (i = 0; i < vcp.vcp_nmemranges; i++) {
		/* Find a free destination: reserve, note, release. */
		void *hole = mmap(NULL, sizes[i], PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (hole == MAP_FAILED) {
			perror("mmap");
			return (1);
		}
		vsp.vsp_memranges[i] = vcp.vcp_memranges[i];
		vsp.vsp_memranges[i].vmr_va = (unsigned long)hole;
	}
	for (i = 0; i < vcp.vcp_nmemranges; i++)
		munmap((void *)vsp.vsp_memranges[i].vmr_va, sizes[i]);
	if (vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp) == -1) {
		fprintf(stderr, "%s: VMM_IOC_SHAREMEM: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	alias = (char *)vsp.vsp_memranges[0].vmr_va;
	printf("VMM_IOC_SHAREMEM: RAM aliased at %p; reads \"%s\" at "
	    "gpa 0x7c00\n", (void *)alias, alias + 0x7c00);
	memcpy(alias + 0x7c00, "VMMSIM", 7);
	printf("  wrote \"VMMSIM\" through the alias; the creator's mapping "
	    "now reads \"%s\"\n", (char *)vcp.vcp_memranges[0].vmr_va + 0x7c00);

	memset(&vip, 0, sizeof(vip));
	if (vmmsim_ioctl(fd, VMM_IOC_INFO, &vip) == -1) {
		fprintf(stderr, "%s: VMM_IOC_INFO: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	printf("VMM_IOC_INFO (size query): %zu bytes needed, %zu entries "
	    "returned\n", vip.vip_size, vip.vip_info_ct);
	if ((vir = calloc(1, vip.vip_size)) == NULL)
		return (1);
	vip.vip_info = vir;
	if (vmmsim_ioctl(fd, VMM_IOC_INFO, &vip) == -1) {
		fprintf(stderr, "%s: VMM_IOC_INFO: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	for (i = 0; i < vip.vip_info_ct; i++)
		printf("VMM_IOC_INFO: id %u \"%s\" memory %zu KiB, used %zu "
		    "KiB, %zu vcpu, vcpu0 %s, creator pid %d\n",
		    vir[i].vir_id, vir[i].vir_name,
		    vir[i].vir_memory_size / 1024, vir[i].vir_used_size / 1024,
		    vir[i].vir_ncpus, state_name(vir[i].vir_vcpu_state[0]),
		    (int)vir[i].vir_creator_pid);
	free(vir);

	vtp.vtp_vm_id = vcp.vcp_id;
	if (vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp) == -1) {
		fprintf(stderr, "%s: VMM_IOC_TERM: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	printf("VMM_IOC_TERM: vm %u terminated\n", vcp.vcp_id);
	if (vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
		printf("VMM_IOC_TERM again: %s (as vmm(4) answers)\n",
		    strerror(errno));
	vmmsim_close(fd);
	return (0);
}



static int
cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vendor", required_argument, NULL, 'v' },
		{ "trace", required_argument, NULL, 't' },
		{ "snap", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *trace = NULL, *snap = NULL;
	int fd, c, status, flags = VMMSIM_OPEN_DEFAULT;

	while ((c = getopt_long(argc, argv, "v:", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (parse_vendor(optarg, &flags) != 0)
				return (2);
			break;
		case 't':
			trace = optarg;
			break;
		case 's':
			snap = optarg;
			break;
		default:
			usage(stderr);
			return (2);
		}
	}
	if ((fd = vmmsim_open(flags)) == -1) {
		fprintf(stderr, "%s: vmmsim_open: %s\n", progname,
		    strerror(errno));
		return (1);
	}
	if (trace != NULL && vmmsim_trace_open_opts(fd, trace, snap) != 0) {
		vmmsim_close(fd);
		return (2);
	}
	status = vmmsim_demo_run(fd, stdout, 1);
	if (trace != NULL && vmmsim_trace_stop(fd) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, trace,
		    strerror(errno));
		status = -1;
	}
	vmmsim_close(fd);
	/* The guest writes 0 to the debug-exit port: status (0 << 1) | 1. */
	return (status == 1 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "exercise") == 0)
		return (cmd_exercise(argc, argv));
	if (strcmp(cmd, "run") == 0)
		return (vmmsim_cmd_run(argc, argv));
	if (strcmp(cmd, "replay") == 0)
		return (vmmsim_cmd_replay(argc, argv));
	if (strcmp(cmd, "status") == 0)
		return (vmmsim_cmd_status(argc, argv));
	if (strcmp(cmd, "stop") == 0)
		return (vmmsim_cmd_stop(argc, argv));
	if (strcmp(cmd, "demo") == 0)
		return (cmd_demo(argc, argv));
	if (strcmp(cmd, "trace") == 0)
		return (vmmsim_cmd_trace(argc, argv));
	if (strcmp(cmd, "vmcs") == 0)
		return (vmmsim_cmd_vmcs(argc, argv));
	if (strcmp(cmd, "ept") == 0)
		return (vmmsim_cmd_ept(argc, argv));
	if (strcmp(cmd, "version") == 0) {
		printf("vmmsim %s\n", vmmsim_version());
		return (0);
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return (0);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", progname, cmd);
	usage(stderr);
	return (2);
}
