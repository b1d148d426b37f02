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
 * The vmm benchmark group: the monitor (src/vmm) driven through the vmm(4)
 * ioctl contract, in process (vmmsim_open/vmmsim_ioctl), the way vmd(8)
 * drives /dev/vmm.
 *
 *   io		vmm-io-exits: full-path I/O exits per second.  A 64-bit
 *		guest (testdata/bench_ioloop.bin, entry "site1") loops on
 *		out 0x80, al; the client loops VMM_IOC_RUN, checks the exit,
 *		advances vrs_gprs[RIP] by vei_insn_len.  Against the bare
 *		src/emu round trip of the same guest (emu-io-exits, measured
 *		here as bench/bench_emu does), interleaved with it.  Each
 *		rate is the median of 3 runs of -n exits, by default of as
 *		many exits as a short calibration run says take ~2.5 s.
 *		Also: the share of system time in the vmm runs (RUN makes
 *		no system call by default), and, interleaved, the two
 *		rt_sigprocmask calls RUN makes with VMMSIM_SIGCHAIN=0, timed
 *		alone.
 *   create	vmm-create-to-first-exit: CREATE (1 vcpu, 2 MiB) + RESETCPU
 *		+ RUN to the first I/O exit + TERM, median in microseconds.
 *   mem	vmm-idle-vm-memory: RSS per idle VM beyond guest RAM, over
 *		N VMs each run to its first exit and left idle.  Measured in
 *		a fresh process (this program re-executed) so that the heap
 *		left by other phases does not hide the growth.
 *   profile	-n full-path I/O exits (default 20,000) and nothing else,
 *		to run under callgrind (--toggle-collect=vmm_exit_loop) or
 *		perf; profile-emu: the same for the bare src/emu peer
 *		(--toggle-collect=emu_exit_loop).
 *
 * Every figure is printed as "bench: NAME VALUE UNIT", followed by
 * "ratio R vs PEER" (R = vmm / peer) when a peer ran in the same run.
 * Host time is CLOCK_MONOTONIC.  Every run checks that the guest did its
 * work (exit count, exit fields, RIP and RBX in the exit snapshot), so a
 * broken monitor cannot report a fast figure.
 */

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <dev/vmm/vmm.h>
#include <machine/vmmvar.h>

#include "vmmsim.h"

#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#ifndef TESTDATA_DIR
#define TESTDATA_DIR "testdata"
#endif

#define NRUNS		3		/* runs per rate: the median */
#define RAM_SIZE	(2UL << 20)	/* guest RAM at GPA 0, one range */
#define PAGE_SZ		4096UL
#define IO_GPA		0x1000		/* bench_ioloop.bin */
#define IO_SITE1	0		/* its entry table: one OUT site */
#define IO_PORT		0x80
#define EXIT_PORT	0xF4

static const char *testdata = TESTDATA_DIR;
static const char *progname = "bench_vmm";

#include "bench_fx.h"

/* bench_ioloop.bin, read once. */
static uint8_t	ioloop[RAM_SIZE - IO_GPA];
static size_t	ioloop_len;

static uint64_t
ioloop_entry(int e)
{
	uint64_t entry;

	memcpy(&entry, ioloop + 8 * e, 8);
	if (entry < IO_GPA || entry >= IO_GPA + ioloop_len)
		fail("bench_ioloop.bin: entry %d at %#llx", e,
		    (unsigned long long)entry);
	return (entry);
}

/* --- the vmm(4) client ------------------------------------------------- */

struct vm {
	uint8_t		*ram;
	uint32_t	 id;
	size_t		 touched;	/* RAM bytes the client wrote */
	struct vm_exit	 ve;
	struct vm_run_params vrp;
};

static int	vmmfd = -1;

/*
 * The vendor of the device the figures are for (-V): both by default,
 * Intel first; AMD figures carry an "-amd" suffix.
 */
static int	vendor = VMMSIM_OPEN_INTEL;
#define AMD		(vendor == VMMSIM_OPEN_AMD)
#define EXIT_IO		(AMD ? SVM_VMEXIT_IOIO : VMX_EXIT_IO)

static const char *
vname(const char *base)
{
	static char buf[4][64];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s%s", base, AMD ? "-amd" : "");
	return (b);
}

static void
vmm_ioctl(unsigned long cmd, void *arg, const char *what)
{
	if (vmmsim_ioctl(vmmfd, cmd, arg) == -1)
		fail("%s: %s", what, strerror(errno));
}

/*
 * Guest RAM as the client builds it: bench_ioloop.bin at IO_GPA, a flat
 * GDT (null, code64, data, TSS) and an identity map of the first 2 MiB
 * with one large page.  Not timed.  The resident pages of the fresh
 * anonymous mapping are the pages written.
 */
static void
vm_prepare(struct vm *vm)
{
	uint64_t *gdt, *pt;
	unsigned char vec[RAM_SIZE / PAGE_SZ];
	size_t i;

	memset(vm, 0, sizeof(*vm));
	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	memcpy(vm->ram + IO_GPA, ioloop, ioloop_len);
	gdt = (uint64_t *)(vm->ram + G_GDT);
	gdt[1] = 0x00AF9B000000FFFFULL;
	gdt[2] = 0x00CF93000000FFFFULL;
	gdt[3] = 0x67ULL | ((uint64_t)G_TSS << 16) | (0x8BULL << 40);
	pt = (uint64_t *)(vm->ram + G_PML4);
	pt[0] = (G_PML4 + 0x1000) | 3;			/* PML4[0] */
	pt[512] = (G_PML4 + 0x2000) | 3;		/* PDPT[0] */
	pt[1024] = 0x000000 | 0x83;			/* PD[0]: 2 MiB */
	if (mincore(vm->ram, RAM_SIZE, vec) == -1)
		fail("mincore: %s", strerror(errno));
	for (i = 0; i < RAM_SIZE / PAGE_SZ; i++)
		if (vec[i] & 1)
			vm->touched += PAGE_SZ;
}

/* CREATE with one vcpu and RAM_SIZE of RAM at GPA 0. */
static void
vm_create(struct vm *vm)
{
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 1;
	vcp.vcp_memranges[0].vmr_gpa = 0;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)vm->ram;
	vcp.vcp_memranges[0].vmr_size = RAM_SIZE;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "bench_vmm");
	vmm_ioctl(VMM_IOC_CREATE, &vcp, "VMM_IOC_CREATE");
	vm->id = vcp.vcp_id;
	memset(&vm->vrp, 0, sizeof(vm->vrp));
	memset(&vm->ve, 0, sizeof(vm->ve));
	vm->vrp.vrp_vm_id = vm->id;
	vm->vrp.vrp_vcpu_id = 0;
	vm->vrp.vrp_exit = &vm->ve;
}

/* RESETCPU straight into 64-bit mode at rip, with RCX = rcx. */
static void
vm_reset(struct vm *vm, uint64_t rip, uint64_t rcx)
{
	struct vm_resetcpu_params vrs;
	struct vcpu_reg_state *r;
	int i;

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vm->id;
	vrs.vrp_vcpu_id = 0;
	r = &vrs.vrp_init_state;
	r->vrs_gprs[VCPU_REGS_RIP] = rip;
	r->vrs_gprs[VCPU_REGS_RCX] = rcx;
	r->vrs_gprs[VCPU_REGS_RSP] = 0x80000;
	r->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		r->vrs_sregs[i].vsi_sel = 0x10;
		r->vrs_sregs[i].vsi_limit = 0xFFFFFFFF;
		r->vrs_sregs[i].vsi_ar = 0xC093;
	}
	r->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x08;
	r->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xA09B;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_limit = 0;
	r->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x10000;	/* unusable */
	r->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0x18;
	r->vrs_sregs[VCPU_REGS_TR].vsi_base = G_TSS;
	r->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0x67;
	r->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	r->vrs_gdtr.vsi_base = G_GDT;
	r->vrs_gdtr.vsi_limit = 0x27;
	r->vrs_idtr.vsi_base = 0x600;
	r->vrs_idtr.vsi_limit = 0xFF;
	r->vrs_crs[VCPU_REGS_CR0] = 0x80010031;	/* PG WP NE ET PE */
	r->vrs_crs[VCPU_REGS_CR3] = G_PML4;
	r->vrs_crs[VCPU_REGS_CR4] = 0x20;		/* PAE */
	r->vrs_crs[VCPU_REGS_XCR0] = 1;
	r->vrs_msrs[VCPU_REGS_EFER] = 0x500;		/* LME LMA */
	r->vrs_drs[VCPU_REGS_DR7] = 0x400;
	vmm_ioctl(VMM_IOC_RESETCPU, &vrs, "VMM_IOC_RESETCPU");
}

static void
vm_term(struct vm *vm)
{
	struct vm_terminate_params vtp;

	memset(&vtp, 0, sizeof(vtp));
	vtp.vtp_vm_id = vm->id;
	vmm_ioctl(VMM_IOC_TERM, &vtp, "VMM_IOC_TERM");
}

static void
vm_unmap(struct vm *vm)
{
	munmap(vm->ram, RAM_SIZE);
	vm->ram = NULL;
}

/*
 * RUN until an exit that is not VM_EXIT_NONE (a signal); that exit must be
 * an OUT of AL to `port` by the 2-byte out imm8, al at `rip` (or anywhere
 * when rip is 0).
 */
static void
vm_run_to_out(struct vm *vm, uint16_t port, uint64_t rip)
{
	struct vm_exit_inout *vei = &vm->ve.vei;

	do {
		vmm_ioctl(VMM_IOC_RUN, &vm->vrp, "VMM_IOC_RUN");
	} while (vm->vrp.vrp_exit_reason == VM_EXIT_NONE);
	if (vm->vrp.vrp_exit_reason != EXIT_IO)
		fail("exit reason %u at RIP %#llx, want I/O",
		    vm->vrp.vrp_exit_reason, (unsigned long long)
		    vm->ve.vrs.vrs_gprs[VCPU_REGS_RIP]);
	if (vei->vei_port != port || vei->vei_dir != VEI_DIR_OUT ||
	    vei->vei_size != 1 || vei->vei_insn_len != 2 || vei->vei_rep ||
	    vei->vei_string || (rip != 0 &&
	    vm->ve.vrs.vrs_gprs[VCPU_REGS_RIP] != rip))
		fail("I/O exit port %#x dir %u size %u len %u rep %u string "
		    "%u at RIP %#llx, want OUT 1 byte to %#x at %#llx",
		    vei->vei_port, vei->vei_dir, vei->vei_size,
		    vei->vei_insn_len, vei->vei_rep, vei->vei_string,
		    (unsigned long long)vm->ve.vrs.vrs_gprs[VCPU_REGS_RIP],
		    port, (unsigned long long)rip);
}

/* --- vmm-io-exits -------------------------------------------------------- */

static long	status_kib(const char *, const char *);

/* VmRSS growth over the last vmm_io_run's exit loop, and its exits. */
static long	io_rss_growth;
static uint64_t	io_rss_exits;

/*
 * The client's exit loop, the thing measured: advance RIP past the OUT,
 * RUN, check that the exit is the guest's out 0x80, al at the same RIP,
 * until the guest's debug exit on port 0xF4.  The number of RUNs that
 * ended in an exit on port 0x80.  Not inlined, so that a profiler can be
 * told to look only at it (callgrind --toggle-collect=vmm_exit_loop).
 */
static uint64_t __attribute__((noinline))
vmm_exit_loop(struct vm *vm, uint64_t site)
{
	struct vm_run_params *vrp = &vm->vrp;
	struct vm_exit *ve = &vm->ve;
	uint64_t exits = 0, nones = 0;

	for (;;) {
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
		if (vmmsim_ioctl(vmmfd, VMM_IOC_RUN, vrp) == -1)
			fail("VMM_IOC_RUN: %s", strerror(errno));
		if (vrp->vrp_exit_reason == VM_EXIT_NONE) {
			/* A signal: RUN again from where the guest is. */
			if (++nones > 1000)
				fail("1000 RUNs in a row without an exit");
			ve->vei.vei_insn_len = 0;
			continue;
		}
		nones = 0;
		if (vrp->vrp_exit_reason != EXIT_IO ||
		    ve->vei.vei_dir != VEI_DIR_OUT || ve->vei.vei_size != 1 ||
		    ve->vei.vei_insn_len != 2)
			fail("exit reason %u (port %#x dir %u size %u len %u) "
			    "at RIP %#llx", vrp->vrp_exit_reason,
			    ve->vei.vei_port, ve->vei.vei_dir, ve->vei.vei_size,
			    ve->vei.vei_insn_len, (unsigned long long)
			    ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		if (ve->vei.vei_port == EXIT_PORT)
			return (exits);
		if (ve->vei.vei_port != IO_PORT ||
		    ve->vrs.vrs_gprs[VCPU_REGS_RIP] != site)
			fail("OUT to port %#x at RIP %#llx, want %#x at %#llx",
			    ve->vei.vei_port, (unsigned long long)
			    ve->vrs.vrs_gprs[VCPU_REGS_RIP], IO_PORT,
			    (unsigned long long)site);
		exits++;
	}
}

/*
 * One VM, the guest's one-site loop for `iters` iterations: the seconds
 * spent in the exit loop and in *nexits the exits it handled.  CREATE,
 * RESETCPU and the first RUN (which translates the guest's code and
 * faults in its EPT) are not timed, as in bench_emu.
 */
static double
vmm_io_run(uint64_t iters, uint64_t *nexits)
{
	struct vm vm;
	uint64_t entry, site, exits;
	double t0, t1;
	long rss0;

	entry = ioloop_entry(IO_SITE1);
	site = entry + 2;		/* after xor ebx, ebx */
	vm_prepare(&vm);
	vm_create(&vm);
	vm_reset(&vm, entry, iters);
	vm_run_to_out(&vm, IO_PORT, site);
	rss0 = status_kib("/proc/self/status", "VmRSS");
	t0 = now();
	exits = vmm_exit_loop(&vm, site) + 1;
	t1 = now();
	io_rss_growth = status_kib("/proc/self/status", "VmRSS") - rss0;
	io_rss_exits = exits;
	if (exits != iters || vm.ve.vrs.vrs_gprs[VCPU_REGS_RBX] != iters ||
	    vm.ve.vrs.vrs_gprs[VCPU_REGS_RCX] != 0)
		fail("vmm ioloop: %llu exits, RBX %llu, RCX %llu; want %llu, "
		    "%llu, 0", (unsigned long long)exits,
		    (unsigned long long)vm.ve.vrs.vrs_gprs[VCPU_REGS_RBX],
		    (unsigned long long)vm.ve.vrs.vrs_gprs[VCPU_REGS_RCX],
		    (unsigned long long)iters, (unsigned long long)iters);
	vm_term(&vm);
	vm_unmap(&vm);
	*nexits = exits;	/* one RUN timed per exit on port 0x80 */
	return (t1 - t0);
}

/* --- the bare src/emu round trip (as bench/bench_emu.c, site1 only) ----- */

/* bench_emu's io_exit_loop: VMREAD reason, qualification, length, RIP. */
static uint64_t __attribute__((noinline))
emu_exit_loop(struct fx *fx, uint32_t reason)
{
	uint64_t q, len, rip, exits = 0;

	for (;;) {
		if (reason != VMX_EXIT_IO)
			fail("emu ioloop: exit reason %u at RIP %#llx", reason,
			    (unsigned long long)vmread(fx,
			    VMCS_GUEST_IA32_RIP));
		q = vmread(fx, VMCS_GUEST_EXIT_QUALIFICATION);
		len = vmread(fx, VMCS_INSTRUCTION_LENGTH);
		rip = vmread(fx, VMCS_GUEST_IA32_RIP);
		if ((q >> 16) == EXIT_PORT)
			return (exits);
		/* out imm8, al: size 1, OUT, not string, immediate. */
		if (q != (((uint64_t)IO_PORT << 16) | (1 << 6)) || len != 2)
			fail("emu ioloop: qualification %#llx length %llu",
			    (unsigned long long)q, (unsigned long long)len);
		exits++;
		vmwrite(fx, VMCS_GUEST_IA32_RIP, rip + len);
		reason = fx_run(fx, 0);
	}
}

/* bench_emu's io_run for the one-site entry; the first VMLAUNCH untimed. */
static double
emu_io_run(uint64_t iters, uint64_t *nexits)
{
	struct fx fx;
	uint64_t exits;
	uint32_t reason;
	double t0, t1;

	fx_init(&fx);
	memcpy(fx.ram + IO_GPA, ioloop, ioloop_len);
	fx_guest_long(&fx, ioloop_entry(IO_SITE1));
	fx.regs.r[EMU_RCX] = iters;
	reason = fx_run(&fx, 1);
	t0 = now();
	exits = emu_exit_loop(&fx, reason);
	t1 = now();
	if (exits != iters || fx.regs.r[EMU_RBX] != iters)
		fail("emu ioloop: %llu exits and RBX %llu, want %llu",
		    (unsigned long long)exits,
		    (unsigned long long)fx.regs.r[EMU_RBX],
		    (unsigned long long)iters);
	fx_fini(&fx);
	*nexits = exits;
	return (t1 - t0);
}

/*
 * Exits per run for one engine: given (-n), or what takes about `target`
 * seconds at the rate of a short calibration run, so that the group's time
 * stays bounded however fast or slow the path is.
 */
static uint64_t
io_count(double (*fn)(uint64_t, uint64_t *), uint64_t given, double target)
{
	uint64_t n, c = 5000;
	double r;

	if (given != 0)
		return (given);
	r = c / fn(c, &n);
	n = (uint64_t)(r * target);
	return (n < 10000 ? 10000 : n > 20000000 ? 20000000 : n);
}

/*
 * What RUN pays for vcpu_must_stop with VMMSIM_SIGCHAIN=0: it blocks the
 * asynchronous signals while the vcpu runs and puts the caller's mask
 * back after (src/vmm/vmm_signal.c), two rt_sigprocmask system calls.
 * The same two calls, `pairs` times: the seconds they took.  *nexits =
 * pairs, to fit io_count.
 */
static double
sigmask_run(uint64_t pairs, uint64_t *nexits)
{
	sigset_t async, omask;
	uint64_t i;
	double t0, t1;

	sigfillset(&async);
	sigdelset(&async, SIGSEGV);
	sigdelset(&async, SIGBUS);
	sigdelset(&async, SIGFPE);
	sigdelset(&async, SIGILL);
	sigdelset(&async, SIGTRAP);
	t0 = now();
	for (i = 0; i < pairs; i++) {
		pthread_sigmask(SIG_BLOCK, &async, &omask);
		pthread_sigmask(SIG_SETMASK, &omask, NULL);
	}
	t1 = now();
	*nexits = pairs;
	return (t1 - t0);
}

static double
cpu_seconds(int sys)
{
	struct rusage ru;
	struct timeval *tv = sys ? &ru.ru_stime : &ru.ru_utime;

	getrusage(RUSAGE_SELF, &ru);
	return (tv->tv_sec + tv->tv_usec / 1e6);
}

static void
bench_io(uint64_t given, double target)
{
	double v[NRUNS], e[NRUNS], m[NRUNS], t, pair, usr = 0, sys = 0;
	uint64_t n, nv, ne, nm;
	int i;

	nv = io_count(vmm_io_run, given, target);
	ne = io_count(emu_io_run, given, target);
	nm = io_count(sigmask_run, 0, target / 5);
	/* Interleaved, so that a change in the machine's load hits all. */
	for (i = 0; i < NRUNS; i++) {
		usr -= cpu_seconds(0);
		sys -= cpu_seconds(1);
		t = vmm_io_run(nv, &n);
		usr += cpu_seconds(0);
		sys += cpu_seconds(1);
		v[i] = n / t;
		t = emu_io_run(ne, &n);
		e[i] = n / t;
		t = sigmask_run(nm, &n);
		m[i] = n / t;
	}
	report(vname("vmm-io-exits"), median(v, NRUNS), "exits/s",
	    "emu-io-exits", median(e, NRUNS));
	fprintf(stderr, "# emu-io-exits %.0f exits/s (the peer: same guest, "
	    "bare src/emu, this run); medians of %d runs of %llu (vmm) and "
	    "%llu (emu) exits; vmm runs %.0f..%.0f exits/s\n",
	    median(e, NRUNS), NRUNS, (unsigned long long)nv,
	    (unsigned long long)ne, v[0], v[NRUNS - 1]);
	fprintf(stderr, "# VmRSS grew %ld KiB over the last vmm run's %llu "
	    "exits (%.2f KiB per 1000 exits)\n", io_rss_growth,
	    (unsigned long long)io_rss_exits,
	    io_rss_growth * 1000.0 / io_rss_exits);
	/*
	 * What VMMSIM_SIGCHAIN=0 would add to every RUN here (by default
	 * RUN makes no system call: the system time share says so).
	 */
	pair = 1 / median(m, NRUNS);
	fprintf(stderr, "# system time %.1f%% of the vmm runs' CPU time; "
	    "with VMMSIM_SIGCHAIN=0 each RUN would also make 2 "
	    "rt_sigprocmask calls: %.0f ns here (median of %d runs of %llu "
	    "pairs), at most %.0f RUNs/s on their own\n",
	    usr + sys > 0 ? 100 * sys / (usr + sys) : 0.0, pair * 1e9, NRUNS,
	    (unsigned long long)nm, 1 / pair);
}

/* --- vmm-create-to-first-exit ------------------------------------------ */

static void
bench_create(int iters)
{
	struct vm vm;
	double *v, t0, t1, min;
	uint64_t entry;
	int i;

	if ((v = calloc(iters, sizeof(*v))) == NULL)
		fail("calloc");
	entry = ioloop_entry(IO_SITE1);
	for (i = 0; i < iters; i++) {
		vm_prepare(&vm);
		t0 = now();
		vm_create(&vm);
		vm_reset(&vm, entry, 1);
		vm_run_to_out(&vm, IO_PORT, entry + 2);
		vm_term(&vm);
		t1 = now();
		if (vm.ve.vrs.vrs_gprs[VCPU_REGS_RCX] != 1)
			fail("create: RCX %llu at the first exit, want 1",
			    (unsigned long long)
			    vm.ve.vrs.vrs_gprs[VCPU_REGS_RCX]);
		vm_unmap(&vm);
		v[i] = (t1 - t0) * 1e6;
	}
	qsort(v, iters, sizeof(*v), dblcmp);
	min = v[0];
	report(vname("vmm-create-to-first-exit"), v[iters / 2], "us", NULL, 0);
	fprintf(stderr, "# create-to-first-exit over %d: min %.0f us, p90 "
	    "%.0f us, max %.0f us\n", iters, min, v[iters * 9 / 10],
	    v[iters - 1]);
	free(v);
}

/* --- vmm-idle-vm-memory -------------------------------------------------- */

struct memstat {
	long	rss, anon, file, shmem, pss;	/* KiB */
};

static long
status_kib(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	FILE *fp;
	long v = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return (v);
}

static void
memstat(struct memstat *m)
{
	m->rss = status_kib("/proc/self/status", "VmRSS");
	m->anon = status_kib("/proc/self/status", "RssAnon");
	m->file = status_kib("/proc/self/status", "RssFile");
	m->shmem = status_kib("/proc/self/status", "RssShmem");
	m->pss = status_kib("/proc/self/smaps_rollup", "Pss");
	if (m->rss < 0)
		fail("no VmRSS in /proc/self/status");
}

/*
 * N VMs, each created, reset and run to its first exit, then left idle;
 * the RSS growth minus the guest RAM the client wrote, per VM.  One VM is
 * created first and kept, so that the one-time costs (the simulated host,
 * VMXON, the engine's global state) are not charged to the N; they are
 * printed apart.
 */
static void
bench_mem(int n)
{
	struct memstat m0, m1, m2;
	struct vm *vms;
	uint64_t entry;
	size_t touched = 0;
	double per, per_pss;
	int i;

	if ((vms = calloc(n + 1, sizeof(*vms))) == NULL)
		fail("calloc");
	entry = ioloop_entry(IO_SITE1);
	memstat(&m0);
	for (i = 0; i <= n; i++) {
		if (i == 1)
			memstat(&m1);
		vm_prepare(&vms[i]);
		if (i > 0)
			touched += vms[i].touched;
		vm_create(&vms[i]);
		vm_reset(&vms[i], entry, 1);
		vm_run_to_out(&vms[i], IO_PORT, entry + 2);
	}
	memstat(&m2);
	for (i = 0; i <= n; i++)
		if (vms[i].ve.vrs.vrs_gprs[VCPU_REGS_RCX] != 1 ||
		    vms[i].ve.vrs.vrs_gprs[VCPU_REGS_RIP] != entry + 2)
			fail("mem: VM %d did not stop at its first exit", i);

	per = ((m2.rss - m1.rss) - touched / 1024.0) / n;
	per_pss = ((m2.pss - m1.pss) - touched / 1024.0) / n;
	report(vname("vmm-idle-vm-memory"), per, "KiB", NULL, 0);
	fprintf(stderr, "# idle VMs: %d (+1 kept from before the baseline), "
	    "%lu KiB guest RAM each, client wrote %zu KiB of it; per VM: "
	    "VmRSS +%.1f KiB = RssAnon +%.1f, RssFile +%.1f, RssShmem +%.1f "
	    "(guest RAM, counted once per mapping); Pss +%.1f KiB, %.1f KiB "
	    "beyond guest RAM; first VM (one-time costs included): VmRSS "
	    "+%ld KiB\n", n, RAM_SIZE / 1024, touched / 1024 / n,
	    (double)(m2.rss - m1.rss) / n, (double)(m2.anon - m1.anon) / n,
	    (double)(m2.file - m1.file) / n, (double)(m2.shmem - m1.shmem) / n,
	    (double)(m2.pss - m1.pss) / n, per_pss, m1.rss - m0.rss);
	for (i = 0; i <= n; i++) {
		vm_term(&vms[i]);
		vm_unmap(&vms[i]);
	}
	free(vms);
}

/*
 * The memory figure in a fresh process: this program, re-executed with
 * -M, so that heap left free by the other phases cannot absorb the VMs'
 * allocations.
 */
static void
bench_mem_child(int n)
{
	char nbuf[32], *argv[8];
	int argc = 0, status;
	pid_t pid;

	snprintf(nbuf, sizeof(nbuf), "%d", n);
	argv[argc++] = (char *)progname;
	argv[argc++] = "-t";
	argv[argc++] = (char *)testdata;
	argv[argc++] = "-V";
	argv[argc++] = AMD ? "amd" : "intel";
	argv[argc++] = "-M";
	argv[argc++] = nbuf;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		fprintf(stderr, "%s: exec /proc/self/exe: %s\n", progname,
		    strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("the memory measurement failed (status %#x)", status);
}

/* --- main --------------------------------------------------------------- */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_vmm [-Qs] [-c iterations] [-m vms] "
	    "[-n exits] [-t testdata] [-V intel|amd]\n"
	    "\t[io | create | mem | profile | profile-emu] ...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	uint64_t exits = 0, n;
	double target = 2.5;
	int ch, i, did, citers = 200, nvms = 50, memchild = 0, v, nv = 2;
	int vendors[2] = { VMMSIM_OPEN_INTEL, VMMSIM_OPEN_AMD };
	char *end;
	double t;

	if ((end = getenv("TESTDATA_DIR")) != NULL && *end != '\0')
		testdata = end;
	while ((ch = getopt(argc, argv, "c:M:m:n:Qst:V:")) != -1) {
		switch (ch) {
		case 'c':
			citers = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || citers < 1)
				usage();
			break;
		case 'M':	/* internal: the memory phase's child */
			memchild = 1;
			/* FALLTHROUGH */
		case 'm':
			nvms = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || nvms < 1)
				usage();
			break;
		case 'n':
			exits = strtoull(optarg, &end, 10);
			if (*end != '\0' || exits == 0)
				usage();
			break;
		case 'Q':		/* no QEMU peer here; accepted */
			break;
		case 's':		/* short: a smoke test, not a figure */
			target = 0.1;
			citers = 20;
			nvms = 10;
			break;
		case 't':
			testdata = optarg;
			break;
		case 'V':
			if (strcmp(optarg, "intel") == 0)
				vendors[0] = VMMSIM_OPEN_INTEL;
			else if (strcmp(optarg, "amd") == 0)
				vendors[0] = VMMSIM_OPEN_AMD;
			else
				usage();
			nv = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	ioloop_len = load_file("bench_ioloop.bin", ioloop, sizeof(ioloop));
	vmmsim_set_log(NULL);
	for (v = 0; v < nv; v++) {
		vendor = vendors[v];
		if ((vmmfd = vmmsim_open(vendor)) == -1)
			fail("vmmsim_open: %s", strerror(errno));
		if (memchild) {
			bench_mem(nvms);
			vmmsim_close(vmmfd);
			return (0);
		}
		for (i = 0, did = 0; i < argc || (argc == 0 && did < 3);
		    i++, did++) {
			const char *what = argc == 0 ? (did == 0 ? "io" :
			    did == 1 ? "create" : "mem") : argv[i];

			if (strcmp(what, "io") == 0)
				bench_io(exits, target);
			else if (strcmp(what, "create") == 0)
				bench_create(citers);
			else if (strcmp(what, "mem") == 0)
				bench_mem_child(nvms);
			else if (strcmp(what, "profile") == 0) {
				t = vmm_io_run(exits != 0 ? exits : 20000, &n);
				report(vname("vmm-io-exits-profile"), n / t,
				    "exits/s", NULL, 0);
			} else if (strcmp(what, "profile-emu") == 0) {
				t = emu_io_run(exits != 0 ? exits : 20000, &n);
				report("emu-io-exits-profile", n / t,
				    "exits/s", NULL, 0);
			} else
				usage();
		}
		vmmsim_close(vmmfd);
	}
	return (0);
}
