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
 * vmmsim run: boot a kernel or a BIOS image the way vmctl start does, on
 * the in-process /dev/vmm, with vmd's memory map and PC devices.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/guestmem.h"
#include "devices/loader.h"
#include "devices/vmrun.h"
#include "run.h"

#define KERNEL_MAX	(256u * 1024 * 1024)
#define INITRD_MAX	(1024u * 1024 * 1024)
#define BIOS_MAX	(4u * 1024 * 1024)
#define BIOS_LOADER(g, k, v, e) (snprintf(e, LOADER_ERRLEN, "BIOS loading not yet merged"), ENOSYS)
#define ELF_LOADER(g, k, c, v, e) (ENOEXEC)

struct run_opts {
	uint64_t	 mem;
	const char	*kernel;
	const char	*initrd;
	const char	*append;
	const char	*bios;
	int		 vendor;
	int		 verbose;
};

static void
run_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmmsim run [-v] [-m SIZE] [-k KERNEL] [--initrd FILE]\n"
	    "                  [--append CMDLINE] [--bios FILE]\n"
	    "                  [--vendor intel|amd]\n");
}

/* "512M", "1G", "65536K", or bytes. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': case '\0': if (*end) end++; v <<= 20; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return -1;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static void
console_out(void *arg, uint8_t b)
{
	FILE *fp = arg;

	putc(b, fp);
	if (b == '\n')
		fflush(fp);
}

static int
load(const struct run_opts *o, const struct guestmem *gm,
    struct vcpu_reg_state *vrs)
{
	struct loader_image k = { NULL, 0 }, rd = { NULL, 0 };
	char err[LOADER_ERRLEN];
	int error;

	err[0] = '\0';
	if (o->bios != NULL) {
		if ((error = loader_read_file(o->bios, BIOS_MAX, &k, err)) == 0)
			error = BIOS_LOADER(gm, &k, vrs, err);
	} else {
		if ((error = loader_read_file(o->kernel, KERNEL_MAX, &k,
		    err)) != 0)
			goto out;
		if (o->initrd != NULL && (error = loader_read_file(o->initrd,
		    INITRD_MAX, &rd, err)) != 0)
			goto out;
		error = loader_linux(gm, &k, &rd, o->append, vrs, err);
		if (error == ENOEXEC)
			error = ELF_LOADER(gm, &k, o->append, vrs, err);
	}
out:
	if (error != 0)
		fprintf(stderr, "vmmsim run: %s\n", err[0] ? err :
		    strerror(error));
	loader_free_image(&k);
	loader_free_image(&rd);
	return error;
}

int
vmmsim_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memory",	required_argument, NULL, 'm' },
		{ "kernel",	required_argument, NULL, 'k' },
		{ "initrd",	required_argument, NULL, 'i' },
		{ "append",	required_argument, NULL, 'a' },
		{ "bios",	required_argument, NULL, 'b' },
		{ "vendor",	required_argument, NULL, 'V' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts o;
	struct guestmem gm;
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrp;
	struct vm_terminate_params vtp;
	struct vmrun_params p;
	struct vmrun_result res;
	struct vmrun *r = NULL;
	size_t i;
	int c, fd = -1, error, status = 1;

	memset(&o, 0, sizeof(o));
	o.mem = 512ULL << 20;
	o.vendor = VMMSIM_OPEN_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:k:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &o.mem) == -1) {
				fprintf(stderr, "vmmsim run: bad memory size "
				    "'%s'\n", optarg);
				return 2;
			}
			break;
		case 'k': o.kernel = optarg; break;
		case 'i': o.initrd = optarg; break;
		case 'a': o.append = optarg; break;
		case 'b': o.bios = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'V':
			if (strcmp(optarg, "intel") == 0)
				o.vendor = VMMSIM_OPEN_INTEL;
			else if (strcmp(optarg, "amd") == 0)
				o.vendor = VMMSIM_OPEN_AMD;
			else {
				fprintf(stderr, "vmmsim run: unknown vendor "
				    "'%s' (intel or amd)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (o.kernel == NULL) == (o.bios == NULL)) {
		fprintf(stderr, "vmmsim run: give a kernel (-k) or a BIOS "
		    "image (--bios)\n");
		run_usage(stderr);
		return 2;
	}
	if ((error = guestmem_alloc(&gm, o.mem)) != 0) {
		fprintf(stderr, "vmmsim run: memory %llu bytes: %s\n",
		    (unsigned long long)o.mem, strerror(error));
		return 1;
	}
	memset(&vrp, 0, sizeof(vrp));
	if (load(&o, &gm, &vrp.vrp_init_state) != 0)
		goto out;
	if ((fd = vmmsim_open(o.vendor)) == -1) {
		fprintf(stderr, "vmmsim run: open /dev/vmm: %s\n",
		    strerror(errno));
		goto out;
	}
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = gm.nranges;
	for (i = 0; i < gm.nranges; i++)
		vcp.vcp_memranges[i] = gm.ranges[i];
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "run");
	if (vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp) == -1) {
		fprintf(stderr, "vmmsim run: VMM_IOC_CREATE: %s\n",
		    strerror(errno));
		goto out;
	}
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_vcpu_id = 0;
	if (vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrp) == -1) {
		fprintf(stderr, "vmmsim run: VMM_IOC_RESETCPU: %s\n",
		    strerror(errno));
		goto term;
	}
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.vm_id = vcp.vcp_id;
	p.ram_bytes = o.mem;
	p.rtc_start = 1767225600;	/* 2026-01-01T00:00:00Z, fixed */
	p.console = console_out;
	p.console_arg = stdout;
	if ((r = vmrun_create(&p, &error)) == NULL) {
		fprintf(stderr, "vmmsim run: devices: %s\n", strerror(error));
		goto term;
	}
	error = vmrun_loop(r, &res);
	fflush(stdout);
	if (error != 0) {
		fprintf(stderr, "vmmsim run: the guest was stopped: %s\n",
		    strerror(error));
		status = 1;
	} else {
		status = res.reset ? 0 : res.status;
		if (o.verbose)
			fprintf(stderr, "vmmsim run: %s, status %d, %llu ns "
			    "run + %llu ns halted, %llu exits\n",
			    res.reset ? "guest reset" : "guest exit",
			    res.status, (unsigned long long)res.vtime_ns,
			    (unsigned long long)res.idle_ns,
			    (unsigned long long)res.runs);
	}
	vmrun_destroy(r);
term:
	vtp.vtp_vm_id = vcp.vcp_id;
	(void)vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp);
out:
	if (fd != -1)
		vmmsim_close(fd);
	guestmem_free(&gm);
	return status;
}
