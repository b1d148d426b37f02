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
 *
 * The pieces are the steps of a VM's life, each its own function over one
 * struct run_vm: parse the options, open the console, set up the VM
 * (memory, CREATE), load the image and reset the vcpu to its start state,
 * run, and on a guest reset either stop or (--reboot) load and reset
 * again.  The run (runvm_run()) is on a thread of its own; the main thread
 * runs the libuv loop of run_io.c: the console, the control socket and
 * signals (run_impl.h).
 */

#define _XOPEN_SOURCE	700	/* posix_openpt, grantpt, ptsname */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/statehash.h"
#include "run.h"
#include "run_impl.h"
#include "snapshot.h"
#include "trace.h"

#define KERNEL_MAX	(256u * 1024 * 1024)
#define INITRD_MAX	(1024u * 1024 * 1024)
#define BIOS_MAX	(4u * 1024 * 1024)
#define RTC_START	1767225600	/* 2026-01-01T00:00:00Z, fixed */

static void
run_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmmsim run [-v] [-m SIZE] [-k KERNEL] [--initrd FILE]\n"
	    "                  [--append CMDLINE] [--guest-unpack] [--bios FILE]\n"
	    "                  [-d [ro:]DISK]... [--vendor intel|amd]\n"
	    "                  [--bare-metal]\n"
	    "                  [--console stdio|pty|unix:PATH|file:PATH]\n"
	    "                  [--name NAME] [--reboot] [--max-time TIME]\n"
	    "                  [--trace FILE [--snap all|N,...]] [--check-tlb]\n"
	    "                  [--record FILE [--checkpoint-exits N]\n"
	    "                  [--checkpoint-time TIME] [--quantum TIME]]\n"
	    "                  [--snapshot-at TIME:FILE] [--restore FILE]\n"
	    "                  [--state-hash]\n");
}

/* "512M", "1G", "65536K", or MiB without a suffix (as vmctl -m). */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return (-1);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': shift = 20; break;
	default: return (-1);
	}
	if (*end != '\0' || v > (~0ULL >> shift))
		return (-1);
	*out = v << shift;
	return (0);
}

/* "10" or "10s", "500ms", "20us", "100ns": virtual time in ns. */
static int
parse_time(const char *s, uint64_t *out)
{
	static const struct {
		const char	*suffix;
		uint64_t	 ns;
	} units[] = {
		{ "", 1000000000ULL }, { "s", 1000000000ULL },
		{ "ms", 1000000ULL }, { "us", 1000ULL }, { "ns", 1ULL },
	};
	char *end;
	unsigned long long v;
	size_t i;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return (-1);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]) || v == 0 ||
	    v > ~0ULL / units[i].ns)
		return (-1);
	*out = v * units[i].ns;
	return (0);
}

/* A count: "0" (none) or a positive decimal. */
static int
parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		return (-1);
	*out = v;
	return (0);
}

/*
 * Parse argv into *o.  Returns -1 to go on, or the exit status to leave
 * with (0 after --help).
 */
static int
run_parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "memory",	required_argument, NULL, 'm' },
		{ "kernel",	required_argument, NULL, 'k' },
		{ "initrd",	required_argument, NULL, 'i' },
		{ "append",	required_argument, NULL, 'a' },
		{ "guest-unpack", no_argument,	   NULL, 'U' },
		{ "bios",	required_argument, NULL, 'b' },
		{ "disk",	required_argument, NULL, 'd' },
		{ "vendor",	required_argument, NULL, 'V' },
		{ "bare-metal",	no_argument,	   NULL, 'B' },
		{ "console",	required_argument, NULL, 'c' },
		{ "name",	required_argument, NULL, 'n' },
		{ "reboot",	no_argument,	   NULL, 'R' },
		{ "max-time",	required_argument, NULL, 'T' },
		{ "trace",	required_argument, NULL, 't' },
		{ "snap",	required_argument, NULL, 'S' },
		{ "check-tlb",	no_argument,	   NULL, 'K' },
		{ "record",	required_argument, NULL, 'r' },
		{ "checkpoint-exits", required_argument, NULL, 'E' },
		{ "checkpoint-time", required_argument, NULL, 'C' },
		{ "quantum",	required_argument, NULL, 'Q' },
		{ "snapshot-at", required_argument, NULL, 'P' },
		{ "restore",	required_argument, NULL, 'L' },
		{ "state-hash",	no_argument,	   NULL, 'H' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mem = 512ULL << 20;
	o->vendor = VMMSIM_OPEN_DEFAULT;
	o->console = "stdio";
	o->rtc_start = RTC_START;
	o->rnd_seed = VMRUN_DEFAULT_SEED;
	o->ckpt_time_ns = 1000000000ULL;
	o->quantum_ns = VMRUN_DET_QUANTUM;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:k:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &o->mem) == -1) {
				fprintf(stderr, "vmmsim run: bad memory size "
				    "'%s'\n", optarg);
				return (RUN_EXIT_USAGE);
			}
			break;
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'a': o->append = optarg; break;
		case 'b': o->bios = optarg; break;
		case 'c': o->console = optarg; break;
		case 'n':
			if (!ctl_name_ok(optarg)) {
				fprintf(stderr, "vmmsim run: bad name '%s' "
				    "(letters, digits, '.', '_', '-'; at most "
				    "%d)\n", optarg, CTL_NAME_MAX);
				return (RUN_EXIT_USAGE);
			}
			o->name = optarg;
			break;
		case 'R': o->reboot = 1; break;
		case 'U': o->guest_unpack = 1; break;
		case 'B': o->bare_metal = 1; break;
		case 't': o->trace = optarg; break;
		case 'S': o->snap = optarg; break;
		/* The CPUs read it when created; a trace takes the reports. */
		case 'K': setenv("VMMSIM_CHECK_TLB", "1", 1); break;
		case 'r': o->record = optarg; break;
		case 'E':
			if (parse_count(optarg, &o->ckpt_exits) == -1) {
				fprintf(stderr, "vmmsim run: bad exit count "
				    "'%s'\n", optarg);
				return (RUN_EXIT_USAGE);
			}
			break;
		case 'C':
		case 'Q':
			if (strcmp(optarg, "0") == 0 && c == 'C') {
				o->ckpt_time_ns = 0;
				break;
			}
			if (parse_time(optarg, c == 'C' ? &o->ckpt_time_ns :
			    &o->quantum_ns) == -1) {
				fprintf(stderr, "vmmsim run: bad time '%s'\n",
				    optarg);
				return (RUN_EXIT_USAGE);
			}
			break;
		case 'v': o->verbose = 1; break;
		case 'P': {
			char *colon = strrchr(optarg, ':');

			if (colon == NULL || colon[1] == '\0') {
				fprintf(stderr, "vmmsim run: --snapshot-at "
				    "wants TIME:FILE\n");
				return (RUN_EXIT_USAGE);
			}
			*colon = '\0';
			if (parse_time(optarg, &o->snap_at_ns) == -1 &&
			    strcmp(optarg, "0") != 0) {
				fprintf(stderr, "vmmsim run: bad time '%s'\n",
				    optarg);
				return (RUN_EXIT_USAGE);
			}
			o->snap_path = colon + 1;
			break;
		}
		case 'L': o->restore = optarg; break;
		case 'H': o->state_hash = 1; break;
		case 'd':
			if (o->ndisks == VMRUN_MAX_DISKS) {
				fprintf(stderr, "vmmsim run: at most %d disks\n",
				    VMRUN_MAX_DISKS);
				return (RUN_EXIT_USAGE);
			}
			if (strncmp(optarg, "ro:", 3) == 0) {
				o->disks[o->ndisks].readonly = 1;
				optarg += 3;
			}
			o->disks[o->ndisks++].path = optarg;
			break;
		case 'T':
			if (parse_time(optarg, &o->max_time_ns) == -1) {
				fprintf(stderr, "vmmsim run: bad time '%s'\n",
				    optarg);
				return (RUN_EXIT_USAGE);
			}
			break;
		case 'V':
			if (strcmp(optarg, "intel") == 0)
				o->vendor = VMMSIM_OPEN_INTEL;
			else if (strcmp(optarg, "amd") == 0)
				o->vendor = VMMSIM_OPEN_AMD;
			else {
				fprintf(stderr, "vmmsim run: unknown vendor "
				    "'%s' (intel or amd)\n", optarg);
				return (RUN_EXIT_USAGE);
			}
			break;
		case 'h':
			run_usage(stdout);
			return (RUN_EXIT_OK);
		default:
			run_usage(stderr);
			return (RUN_EXIT_USAGE);
		}
	}
	if (optind != argc || (o->kernel == NULL) == (o->bios == NULL)) {
		fprintf(stderr, "vmmsim run: give a kernel (-k) or a BIOS "
		    "image (--bios)\n");
		run_usage(stderr);
		return (RUN_EXIT_USAGE);
	}
	if (o->bios != NULL && (o->initrd != NULL || o->append != NULL)) {
		fprintf(stderr, "vmmsim run: --initrd and --append go with "
		    "a kernel (-k)\n");
		return (RUN_EXIT_USAGE);
	}
	if ((o->ckpt_exits != 0 || o->ckpt_time_ns != 1000000000ULL ||
	    o->quantum_ns != VMRUN_DET_QUANTUM) && o->record == NULL) {
		fprintf(stderr, "vmmsim run: --checkpoint-exits, "
		    "--checkpoint-time and --quantum go with --record\n");
		return (RUN_EXIT_USAGE);
	}
	if (o->restore != NULL && o->record != NULL) {
		fprintf(stderr, "vmmsim run: a restored run cannot be recorded "
		    "yet (a log starts at power-on)\n");
		return (RUN_EXIT_USAGE);
	}
	if (o->snap != NULL && o->trace == NULL) {
		fprintf(stderr, "vmmsim run: --snap goes with --trace\n");
		return (RUN_EXIT_USAGE);
	}
	/* A snapshot has no place yet for the nested CPU and the xAPIC. */
	if (o->bare_metal && (o->snap_path != NULL || o->restore != NULL)) {
		fprintf(stderr, "vmmsim run: --bare-metal VMs cannot be "
		    "snapshotted or restored yet\n");
		return (RUN_EXIT_USAGE);
	}
	return (-1);
}

/* --- the VM ---------------------------------------------------------- */

/* Read the image files once; a reboot loads them again from memory. */
static int
vm_read_images(struct run_vm *vm)
{
	const struct run_opts *o = vm->o;
	char err[LOADER_ERRLEN];
	int error;

	err[0] = '\0';
	if (o->bios != NULL)
		error = loader_read_file(o->bios, BIOS_MAX, &vm->image, err);
	else if ((error = loader_read_file(o->kernel, KERNEL_MAX, &vm->image,
	    err)) == 0 && o->initrd != NULL)
		error = loader_read_file(o->initrd, INITRD_MAX, &vm->initrd,
		    err);
	if (error != 0)
		fprintf(stderr, "vmmsim run: %s\n", err[0] ? err :
		    strerror(error));
	return (error);
}

/*
 * Put the image in guest memory and compute its start state: a BIOS at
 * the top of 4 GiB; a kernel as a Linux bzImage, else a multiboot
 * kernel, else an ELF kernel (each loader says ENOEXEC for a format not
 * its own).
 */
static int
vm_load(struct run_vm *vm)
{
	const struct run_opts *o = vm->o;
	const struct loader_image *rd = o->initrd != NULL ? &vm->initrd : NULL;
	char err[LOADER_ERRLEN];
	int error;

	err[0] = '\0';
	memset(&vm->start, 0, sizeof(vm->start));
	if (o->bios != NULL)
		error = loader_bios(&vm->gm, &vm->image, &vm->start, err);
	else {
		error = loader_linux_cached(&vm->gm, &vm->image, &vm->initrd,
		    o->append, o->guest_unpack ? LOADER_LINUX_GUEST_UNPACK : 0,
		    &vm->lcache, &vm->start, err);
		if (error == ENOEXEC) {
			err[0] = '\0';
			error = loader_multiboot(&vm->gm, &vm->image, o->append,
			    rd, &vm->start, err);
		}
		if (error == ENOEXEC) {
			if (rd != NULL) {
				snprintf(err, sizeof(err), "%s is neither a "
				    "bzImage nor a multiboot kernel, and only "
				    "those take an initrd", o->kernel);
				error = EINVAL;
			} else {
				err[0] = '\0';
				error = loader_elf(&vm->gm, &vm->image,
				    o->append, &vm->start, err);
			}
		}
		if (error == ENOEXEC && err[0] == '\0')
			snprintf(err, sizeof(err), "%s: not a bzImage, "
			    "multiboot or ELF kernel", o->kernel);
	}
	if (error != 0)
		fprintf(stderr, "vmmsim run: %s\n", err[0] ? err :
		    strerror(error));
	return (error);
}

/* VMM_IOC_RESETCPU to the image's start state. */
static int
vm_reset_vcpu(struct run_vm *vm)
{
	struct vm_resetcpu_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = vm->vm_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_init_state = vm->start;
	if (vmmsim_ioctl(vm->fd, VMM_IOC_RESETCPU, &vrp) == -1) {
		fprintf(stderr, "vmmsim run: VMM_IOC_RESETCPU: %s\n",
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Memory, the device handle, CREATE, the image, the vcpu, the devices. */
/* guestmem's hook: guest memory written from outside the guest. */
static void
gm_written(void *arg, uint64_t gpa, size_t len)
{
	struct run_vm *vm = arg;

	/* Only an unknown VM or a wrapping range fail: neither can be. */
	(void)vmmsim_guest_written(vm->fd, vm->vm_id, gpa, len);
}

int
runvm_setup(struct run_vm *vm)
{
	const struct run_opts *o = vm->o;
	struct vm_create_params vcp;
	struct vmrun_params p;
	struct vmrun_point pt;
	size_t i;
	int error;

	if ((error = guestmem_alloc(&vm->gm, o->mem)) != 0) {
		fprintf(stderr, "vmmsim run: memory %llu bytes: %s\n",
		    (unsigned long long)o->mem, strerror(error));
		return (-1);
	}
	vm->gm_alloc = 1;
	if (vm_read_images(vm) != 0 || det_setup(vm) != 0 || vm_load(vm) != 0)
		return (-1);
	if ((vm->fd = vmmsim_open(o->vendor |
	    (o->bare_metal ? VMMSIM_OPEN_BARE_METAL : 0))) == -1) {
		fprintf(stderr, "vmmsim run: open /dev/vmm: %s\n",
		    strerror(errno));
		return (-1);
	}
	if (o->trace != NULL &&
	    vmmsim_trace_open_opts(vm->fd, o->trace, o->snap) != 0)
		return (-1);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = vm->gm.nranges;
	for (i = 0; i < vm->gm.nranges; i++)
		vcp.vcp_memranges[i] = vm->gm.ranges[i];
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "run");
	if (vmmsim_ioctl(vm->fd, VMM_IOC_CREATE, &vcp) == -1) {
		fprintf(stderr, "vmmsim run: VMM_IOC_CREATE: %s\n",
		    strerror(errno));
		return (-1);
	}
	vm->vm_id = vcp.vcp_id;
	vm->created = 1;
	/* Devices' DMA (and a reboot's loaders) from now on: tell the CPU. */
	vm->gm.written = gm_written;
	vm->gm.written_arg = vm;
	if (vm_reset_vcpu(vm) != 0)
		return (-1);

	memset(&p, 0, sizeof(p));
	p.fd = vm->fd;
	p.vm_id = vm->vm_id;
	p.ram_bytes = guestmem_ram_bytes(&vm->gm);
	p.rtc_start = o->rtc_start;
	p.console_arg = vm;
	if (vm->det.mode == DET_REPLAY) {
		p.console = replay_console_out;
		p.console_input = (vm->det.log->ident.flags &
		    RLOG_F_CONSOLE_INPUT) != 0;
	} else {
		p.console = console_out;
		p.console_input = vm->con.in_kind != IN_NONE;
	}
	if (vm->det.mode != DET_NONE)
		p.det = &vm->det.ops;
	p.input_space = console_input_space;
	p.mem = &vm->gm;
	p.rnd_seed = o->rnd_seed;
	p.ndisks = o->ndisks;
	for (i = 0; i < o->ndisks; i++)
		p.disks[i] = o->disks[i];
	p.max_time_ns = o->max_time_ns;
	if (o->snap_path != NULL) {
		p.snap = snap_take;
		p.snap_at_ns = o->snap_at_ns;
	}
	if ((vm->r = vmrun_create(&p, &error)) == NULL) {
		fprintf(stderr, "vmmsim run: devices: %s\n", strerror(error));
		return (-1);
	}
	if (o->bare_metal &&
	    (error = xapic_attach(&vm->xapic, vmrun_mmio(vm->r))) != 0) {
		fprintf(stderr, "vmmsim run: xAPIC: %s\n", strerror(error));
		return (-1);
	}
	if (vm->o->bare_metal)
		xapic_reset(&vm->xapic);
	if (o->restore != NULL && (snap_restore(vm, &pt) != 0 ||
	    det_resume(vm, &pt) != 0))
		return (-1);
	return (0);
}

void
runvm_teardown(struct run_vm *vm)
{
	struct vm_terminate_params vtp;

	det_teardown(vm);
	vmrun_destroy(vm->r);
	vm->r = NULL;
	if (vm->created) {
		memset(&vtp, 0, sizeof(vtp));
		vtp.vtp_vm_id = vm->vm_id;
		(void)vmmsim_ioctl(vm->fd, VMM_IOC_TERM, &vtp);
		vm->created = 0;
	}
	if (vm->fd != -1)
		vmmsim_close(vm->fd);
	vm->fd = -1;
	if (vm->gm_alloc)
		guestmem_free(&vm->gm);
	vm->gm_alloc = 0;
	loader_free_image(&vm->image);
	loader_free_image(&vm->initrd);
	loader_linux_cache_free(&vm->lcache);
}

/* A reboot, as vmd restarts a VM: the image again, the vcpu, devices. */
static int
vm_reboot(struct run_vm *vm)
{
	int error;

	if (vm_load(vm) != 0 || vm_reset_vcpu(vm) != 0)
		return (-1);
	if ((error = vmrun_reset(vm->r)) != 0) {
		fprintf(stderr, "vmmsim run: devices: %s\n", strerror(error));
		return (-1);
	}
	if (vm->o->bare_metal)
		xapic_reset(&vm->xapic);
	return (0);
}

/* What a failed run loop means, for the message. */
static const char *
failure_hint(int error)
{
	switch (error) {
	case EIO:
		return ("the guest halted with interrupts disabled");
	case EINVAL:
		return ("the monitor terminated the vcpu");
	case EDEADLK:
		return ("the guest halted for good");
	default:
		return (NULL);
	}
}

/* Wait until the guest's output is all out (a replay writes stdout). */
static void
vm_sync(struct run_vm *vm)
{
	if (vm->det.mode == DET_REPLAY)
		fflush(stdout);
	else
		console_sync(vm);
}

/*
 * Run until the guest is done: its reset or poweroff (0, or a reboot with
 * --reboot), its debug-exit status, the time limit, a stop (0), or a
 * failure (*errorp set).  On the vcpu thread; the guest's output is all
 * written before anything is said on stderr, so the two come out in
 * order.
 */
static int
run_boots(struct run_vm *vm, struct vmrun_result *res, int *errorp)
{
	const struct run_opts *o = vm->o;
	const char *why, *hint, *stop_why;
	int error;

	for (;;) {
		__atomic_add_fetch(&vm->boots, 1, __ATOMIC_RELAXED);
		error = vmrun_loop(vm->r, res);
		vm_sync(vm);
		if (error != 0) {
			*errorp = error;
			/* A replay that diverged has said why already. */
			if (vm->det.diverged)
				return (RUN_EXIT_FAILED);
			why = vmrun_error(vm->r);
			hint = failure_hint(error);
			fprintf(stderr, "vmmsim %s: the guest was stopped: "
			    "%s%s%s%s\n", vm->det.mode == DET_REPLAY ?
			    "replay" : "run", strerror(error),
			    hint != NULL ? " (" : "", hint != NULL ? hint : "",
			    hint != NULL ? ")" : "");
			if (why[0] != '\0')
				fprintf(stderr, "vmmsim run: %s\n", why);
			return (RUN_EXIT_FAILED);
		}
		if (o->verbose)
			fprintf(stderr, "vmmsim run: boot %u: %s, %llu ns (of "
			    "which %llu ns halted), %llu exits, %llu "
			    "interrupts\n",
			    vm->boots, res->stopped ? "stopped" :
			    res->timeout ? "time limit reached" :
			    res->reset ? vmrun_reset_name(res->reset) :
			    "debug exit", (unsigned long long)res->vtime_ns,
			    (unsigned long long)res->idle_ns,
			    (unsigned long long)res->runs,
			    (unsigned long long)res->irqs);
		if (res->stopped) {
			stop_why = __atomic_load_n(&vm->stop_why,
			    __ATOMIC_ACQUIRE);
			if (vm->det.mode == DET_REPLAY)
				stop_why = "the recording's stop";
			fprintf(stderr, "vmmsim run: %s: stopped by %s\n",
			    vm->name, stop_why != NULL ? stop_why : "?");
			return (RUN_EXIT_OK);
		}
		if (res->timeout) {
			fprintf(stderr, "vmmsim run: time limit reached\n");
			return (RUN_EXIT_TIMEOUT);
		}
		if (!res->reset)
			return (res->status);
		if (!o->reboot)
			return (RUN_EXIT_OK);
		if (vm_reboot(vm) != 0) {
			*errorp = EIO;
			return (RUN_EXIT_FAILED);
		}
	}
}

/*
 * --state-hash: one line on stderr that two runs agree on only if they
 * ended in the same state: the registers (VM_RWREGS_ALL), virtual time,
 * the devices (vmrun_state_hash()) and every byte of guest memory.
 */
static void
print_state_hash(struct run_vm *vm)
{
	struct vm_rwregs_params vrwp;
	struct statehash sh;
	const struct vm_mem_range *mr;
	uint64_t vtime = 0;
	size_t i;

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = vm->vm_id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	if (vmmsim_ioctl(vm->fd, VMM_IOC_READREGS, &vrwp) == -1 ||
	    vmmsim_vcpu_vtime(vm->fd, vm->vm_id, 0, &vtime) == -1) {
		fprintf(stderr, "vmmsim run: state hash: %s\n",
		    strerror(errno));
		return;
	}
	statehash_init(&sh);
	statehash_bytes(&sh, &vrwp.vrwp_regs, sizeof(vrwp.vrwp_regs));
	statehash_u64(&sh, vtime);
	statehash_u64(&sh, vmrun_state_hash(vm->r));
	for (i = 0; i < vm->gm.nranges; i++) {
		mr = &vm->gm.ranges[i];
		if (mr->vmr_type != VM_MEM_MMIO)
			statehash_bytes(&sh, (const void *)mr->vmr_va,
			    mr->vmr_size);
	}
	fprintf(stderr, "vmmsim run: state hash %016llx at %llu ns\n",
	    (unsigned long long)statehash_final(&sh),
	    (unsigned long long)vtime);
}

/* The run, then the end of the log (record) or its check (replay). */
int
runvm_run(struct run_vm *vm)
{
	struct vmrun_result res;
	int status, error = 0;

	memset(&res, 0, sizeof(res));
	status = run_boots(vm, &res, &error);
	if (vm->o->state_hash)
		print_state_hash(vm);
	if (vm->det.mode != DET_NONE)
		det_finish(vm, &res, status, error);
	return (status);
}

const char *
runvm_vendor(const struct run_vm *vm)
{
	const char *cpu;

	if (vm->o->vendor == VMMSIM_OPEN_AMD)
		return ("amd");
	if (vm->o->vendor == VMMSIM_OPEN_INTEL)
		return ("intel");
	/* As vmmsim_open() chooses. */
	cpu = getenv("VMMSIM_CPU");
	return (cpu != NULL && strcmp(cpu, "amd") == 0 ? "amd" : "intel");
}

/*
 * The steps in order: the control socket first (a name in use is refused
 * before anything is loaded), the console, the VM, then the vcpu thread
 * and the loop until both are done.
 */
int
vmmsim_cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_vm *vm;
	int status;

	if ((status = run_parse(argc, argv, &o)) != -1)
		return (status);
	/* A console or control client that goes away must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * SIGINT, SIGTERM and SIGHUP end the run cleanly, through the event
	 * loop (status 0).  One that comes while the VM is still being set
	 * up waits, blocked, until the loop watches for it (loop_start):
	 * it used to kill the process with the default action.
	 */
	stop_signals(SIG_BLOCK);
	/* Big (the console buffers): not on the stack. */
	if ((vm = calloc(1, sizeof(*vm))) == NULL) {
		fprintf(stderr, "vmmsim run: %s\n", strerror(errno));
		return (RUN_EXIT_FAILED);
	}
	vm->o = &o;
	vm->fd = -1;
	if (o.name != NULL)
		snprintf(vm->name, sizeof(vm->name), "%s", o.name);
	else
		snprintf(vm->name, sizeof(vm->name), "vm%ld", (long)getpid());
	status = RUN_EXIT_FAILED;
	if (uv_loop_init(&vm->loop) != 0) {
		fprintf(stderr, "vmmsim run: uv_loop_init failed\n");
		free(vm);
		return (status);
	}
	vm->loop_init = 1;
	if (ctl_listen(vm) == 0 && console_open(vm) == 0 &&
	    runvm_setup(vm) == 0 && loop_start(vm) == 0) {
		loop_run(vm);
		status = vm->status;
	}
	loop_fini(vm);
	runvm_teardown(vm);
	console_close(vm);
	free(vm);
	return (status);
}
