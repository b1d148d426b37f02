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
 * Hostile guests (issue #9): guests that probe addresses outside their
 * ranges, rewrite their own page tables, storm I/O and MMIO exits,
 * triple-fault over and over, spin while another thread terminates them,
 * and try to reach host memory through EPT/NPT, virtio DMA and string
 * I/O.  Every one must get the contract's result and touch nothing
 * outside its memory: each guest range is mmap'd with a PROT_NONE guard
 * page directly before and after it and a canary page beyond each guard,
 * so a stray host access either kills the test process with SIGSEGV
 * (Check reports the signal) or changes a canary (checked at the end).
 * Every VM test runs once per vendor.
 */

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
#include "devices/devices.h"
#include "devices/guestmem.h"
#include "devices/pci.h"
#include "devices/virtio.h"
#include "devices/vmrun.h"

#define MIB		(1024UL * 1024UL)
#define GIB		(1024UL * MIB)

/* The VM: two RAM ranges with a hole between them, and an MMIO range. */
#define RAM0_GPA	0x0UL
#define RAM0_SIZE	(4 * MIB)
#define RAM1_GPA	0x10000000UL
#define RAM1_SIZE	(1 * MIB)
#define MMIO_GPA	0xF0000000UL
#define MMIO_SIZE	(1 * MIB)

/* hostile.asm's snippets. */
#define H_LOAD		0x100000
#define H_STORE		0x100100
#define H_PT_INVLPG	0x100200
#define H_PT_CR3	0x100300
#define H_IO_STORM	0x100400
#define H_MMIO_STORM	0x100500
#define H_TRIPLE	0x100600
#define H_SPIN		0x100700
#define H_OUTSB		0x100800
#define H_INSB		0x100900
#define H_OUTSD		0x100A00
#define H_DEBUG		0x100B00

#define WINDOW		0x40000000UL	/* linear 1 GiB: the window PD */
#define WINDOW_PD	0x4000UL
#define ALT_PD		0x6000UL

static int vendor = VMMSIM_OPEN_INTEL;
#define VENDOR_BEGIN()	(vendor = test_vendors[_i])
#define AMD		(vendor == VMMSIM_OPEN_AMD)
#define EXIT_IO		(AMD ? SVM_VMEXIT_IOIO : VMX_EXIT_IO)
#define EXIT_NPT	(AMD ? SVM_VMEXIT_NPF : VMX_EXIT_EPT_VIOLATION)
#define EXIT_SHUTDOWN	(AMD ? SVM_VMEXIT_SHUTDOWN : VMX_EXIT_TRIPLE_FAULT)

/* --- guarded memory ---------------------------------------------------- */

/*
 * [canary][guard][  size bytes  ][guard][canary]: the guards are
 * PROT_NONE, the canaries readable and writable and filled with a
 * pattern nothing else writes.
 */
struct guarded {
	uint8_t	*area;
	size_t	 total;
	uint8_t	*mem;
	size_t	 size;
};

static uint8_t
canary_byte(size_t i)
{
	return ((uint8_t)(0xC5 ^ (i * 7) ^ (i >> 8)));
}

static void
g_alloc(struct guarded *g, size_t size)
{
	size_t i;

	g->size = size;
	g->total = size + 4 * TPAGE;
	g->area = (uint8_t *)t_hole(g->total);
	ck_assert_ptr_eq(mmap(g->area, g->total, PROT_NONE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), g->area);
	g->mem = g->area + 2 * TPAGE;
	ck_assert_int_eq(mprotect(g->area, TPAGE, PROT_READ | PROT_WRITE), 0);
	ck_assert_int_eq(mprotect(g->mem, size, PROT_READ | PROT_WRITE), 0);
	ck_assert_int_eq(mprotect(g->mem + size + TPAGE, TPAGE,
	    PROT_READ | PROT_WRITE), 0);
	for (i = 0; i < TPAGE; i++) {
		g->area[i] = canary_byte(i);
		g->mem[size + TPAGE + i] = canary_byte(i + TPAGE);
	}
}

/* Nothing wrote the canaries, and the guards are still inaccessible. */
static void
g_check(const struct guarded *g)
{
	unsigned char vec[1];
	size_t i;

	for (i = 0; i < TPAGE; i++) {
		ck_assert_msg(g->area[i] == canary_byte(i),
		    "canary below the range changed at %zu", i);
		ck_assert_msg(g->mem[g->size + TPAGE + i] ==
		    canary_byte(i + TPAGE),
		    "canary above the range changed at %zu", i);
	}
	/* A guard page that was never touched is not resident. */
	ck_assert_int_eq(mincore(g->mem - TPAGE, TPAGE, vec), 0);
	ck_assert_int_eq(vec[0] & 1, 0);
	ck_assert_int_eq(mincore(g->mem + g->size, TPAGE, vec), 0);
	ck_assert_int_eq(vec[0] & 1, 0);
}

static void
g_free(struct guarded *g)
{
	munmap(g->area, g->total);
	g->area = NULL;
}

/* --- the hostile VM ------------------------------------------------------ */

struct hv {
	int			 fd;
	uint32_t		 id;
	struct guarded		 ram0, ram1;
	struct guestmem		 gm;	/* the ranges as CREATE returned them */
	struct vcpu_reg_state	 init;
};

static void
hv_pd_entry(struct hv *h, uint64_t pd, unsigned i, uint64_t e)
{
	((uint64_t *)(h->ram0.mem + pd))[i] = e;
}

/*
 * Long mode, 2 MiB pages: linear 0-1 GiB and 3-4 GiB identity-mapped,
 * linear 1-2 GiB through the window PD, which starts empty.
 */
static void
hv_build(struct hv *h)
{
	uint64_t *pt = (uint64_t *)(h->ram0.mem + 0x1000);
	char path[512];
	FILE *fp;
	int i;

	memset(h->ram0.mem, 0, RAM0_SIZE);
	snprintf(path, sizeof(path), "%s/hostile.bin", TESTDATA_DIR);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_gt(fread(h->ram0.mem + 0x100000, 1, 0x10000, fp), 0);
	fclose(fp);
	pt[0] = 0x2000 | 3;			/* PML4 -> PDPT */
	pt[512 + 0] = 0x3000 | 3;
	pt[512 + 1] = WINDOW_PD | 3;
	pt[512 + 3] = 0x5000 | 3;
	for (i = 0; i < 512; i++) {
		hv_pd_entry(h, 0x3000, i, ((uint64_t)i << 21) | 0x83);
		hv_pd_entry(h, 0x5000, i, (3 * GIB + ((uint64_t)i << 21)) |
		    0x83);
	}
	((uint64_t *)(h->ram0.mem + 0x500))[1] = 0x00AF9B000000FFFFULL;
	((uint64_t *)(h->ram0.mem + 0x500))[2] = 0x00CF93000000FFFFULL;
}

static void
hv_state(struct hv *h, uint64_t rip)
{
	struct vcpu_reg_state *r = &h->init;
	int i;

	memset(r, 0, sizeof(*r));
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
}

static int
hv_reset(struct hv *h)
{
	struct vm_resetcpu_params vrs;

	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = h->id;
	vrs.vrp_init_state = h->init;
	return (vmmsim_ioctl(h->fd, VMM_IOC_RESETCPU, &vrs));
}

/* Create the VM at snippet rip with the given RBX, RCX, RSI, RDI. */
static void
hv_create(struct hv *h, uint64_t rip, uint64_t rbx, uint64_t rcx,
    uint64_t rsi, uint64_t rdi)
{
	struct vm_create_params vcp;
	struct vm_mem_range *r;

	memset(h, 0, sizeof(*h));
	h->fd = t_open(vendor);
	g_alloc(&h->ram0, RAM0_SIZE);
	g_alloc(&h->ram1, RAM1_SIZE);
	hv_build(h);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 3;
	r = vcp.vcp_memranges;
	r[0].vmr_gpa = RAM0_GPA;
	r[0].vmr_va = (vaddr_t)h->ram0.mem;
	r[0].vmr_size = RAM0_SIZE;
	r[0].vmr_type = VM_MEM_RAM;
	r[1].vmr_gpa = RAM1_GPA;
	r[1].vmr_va = (vaddr_t)h->ram1.mem;
	r[1].vmr_size = RAM1_SIZE;
	r[1].vmr_type = VM_MEM_RAM;
	r[2].vmr_gpa = MMIO_GPA;
	r[2].vmr_va = t_hole(TPAGE);	/* checked, never mapped */
	r[2].vmr_size = MMIO_SIZE;
	r[2].vmr_type = VM_MEM_MMIO;
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "hostile");
	ck_assert_msg(vmmsim_ioctl(h->fd, VMM_IOC_CREATE, &vcp) == 0,
	    "CREATE: %s", strerror(errno));
	/* The memory stays where it was (DESIGN.md: memfd over the VA). */
	ck_assert_ptr_eq((void *)vcp.vcp_memranges[0].vmr_va, h->ram0.mem);
	ck_assert_ptr_eq((void *)vcp.vcp_memranges[1].vmr_va, h->ram1.mem);
	h->id = vcp.vcp_id;
	h->gm.nranges = vcp.vcp_nmemranges;
	memcpy(h->gm.ranges, vcp.vcp_memranges, sizeof(h->gm.ranges));
	hv_state(h, rip);
	h->init.vrs_gprs[VCPU_REGS_RBX] = rbx;
	h->init.vrs_gprs[VCPU_REGS_RCX] = rcx;
	h->init.vrs_gprs[VCPU_REGS_RSI] = rsi;
	h->init.vrs_gprs[VCPU_REGS_RDI] = rdi;
	ck_assert_int_eq(hv_reset(h), 0);
}

static int
hv_run(struct hv *h, struct vm_run_params *vrp, struct vm_exit *ve)
{
	vrp->vrp_vm_id = h->id;
	vrp->vrp_vcpu_id = 0;
	vrp->vrp_exit = ve;
	return (vmmsim_ioctl(h->fd, VMM_IOC_RUN, vrp));
}

/* Check the canaries, terminate (unless already done) and free. */
static void
hv_destroy(struct hv *h, int term)
{
	g_check(&h->ram0);
	g_check(&h->ram1);
	if (term)
		ck_assert_int_eq(t_term(h->fd, h->id), 0);
	g_check(&h->ram0);
	g_check(&h->ram1);
	g_free(&h->ram0);
	g_free(&h->ram1);
	vmmsim_close(h->fd);
}

/* RUN from the start: the result and, on success, the exit reason. */
static int
hv_run_once(struct hv *h, struct vm_run_params *vrp, struct vm_exit *ve)
{
	memset(vrp, 0, sizeof(*vrp));
	memset(ve, 0, sizeof(*ve));
	return (t_err(hv_run(h, vrp, ve)));
}

/* --- (a) probes outside every range; (f) GPAs aliasing host memory ----- */

struct probe {
	uint64_t	gpa;
	int		mmio;		/* else the VM is killed, EINVAL */
};

static const struct probe probes[] = {
	{ RAM0_GPA + RAM0_SIZE, 0 },		/* just past the first range */
	{ RAM1_GPA - TPAGE, 0 },		/* just below the second */
	{ RAM1_GPA + RAM1_SIZE, 0 },		/* just past the second */
	{ MMIO_GPA - 8, 0 },			/* below the MMIO range */
	{ MMIO_GPA + 0x10, 1 },			/* in it: an MMIO exit */
	{ MMIO_GPA + MMIO_SIZE - 8, 1 },	/* its last word */
	{ MMIO_GPA + MMIO_SIZE, 0 },		/* just past it */
	{ 4 * GIB, 0 },				/* hostmem's pool: VMCS, EPT */
	{ 4 * GIB + 0x1000, 0 },
	{ 128 * GIB, 0 },			/* the EPT fill limit */
	{ 1ULL << 40, 0 },			/* hostmem's guest-RAM HPAs */
	{ (1ULL << 40) + (1ULL << 30), 0 },
	{ (1ULL << 46) - 2 * MIB, 0 },		/* the top of MAXPHYADDR */
};

/*
 * Map the window at the probe's 2 MiB frame and access it with the
 * snippet; RUN fails with EINVAL and the vcpu is dead, or (MMIO) the
 * exit is an MMIO assist for that GPA.
 */
static void
probe_one(const struct probe *p, uint64_t rip)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;
	uint64_t frame = p->gpa & ~(2 * MIB - 1);

	hv_create(&h, rip, WINDOW + (p->gpa - frame), 0, 0, 0);
	hv_pd_entry(&h, WINDOW_PD, 0, frame | 0x83);
	hv_pd_entry(&h, WINDOW_PD, 1, (frame + 2 * MIB) | 0x83);
	if (p->mmio) {
		ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
		ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_NPT);
		ck_assert_uint_eq(ve.vee.vee_fault_type,
		    VEE_FAULT_MMIO_ASSIST);
		/* The exit names no GPA: vmd decodes the instruction. */
		ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RIP], rip);
		hv_destroy(&h, 1);
		return;
	}
	ck_assert_msg(hv_run_once(&h, &vrp, &ve) == EINVAL,
	    "GPA %#llx: the VM was not killed",
	    (unsigned long long)p->gpa);
	/* Dead for good (§4.3): RUN and RESETCPU are EBUSY. */
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), EBUSY);
	ck_assert_int_eq(t_err(hv_reset(&h)), EBUSY);
	hv_destroy(&h, 1);
}

START_TEST(test_loads_outside_every_range)
{
	size_t i;

	VENDOR_BEGIN();
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		probe_one(&probes[i], H_LOAD);
}
END_TEST

START_TEST(test_stores_outside_every_range)
{
	size_t i;

	VENDOR_BEGIN();
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		probe_one(&probes[i], H_STORE);
}
END_TEST

/* An 8-byte load whose second half lies past the end of RAM. */
START_TEST(test_load_straddling_the_end_of_ram)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;

	VENDOR_BEGIN();
	hv_create(&h, H_LOAD, RAM0_SIZE - 4, 0, 0, 0);
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), EINVAL);
	hv_destroy(&h, 1);
	hv_create(&h, H_STORE, RAM1_GPA + RAM1_SIZE - 4, 0, 0, 0);
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), EINVAL);
	hv_destroy(&h, 1);
}
END_TEST

/* --- (b) page tables rewritten in a loop ------------------------------- */

#define PT_ITERS	20000
#define PT_A		0x1111111111111111ULL	/* qword at GPA 0x100 */
#define PT_B		0x0202020202020202ULL	/* qword at GPA 0x200100 */

static void
pt_loop(uint64_t rip)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;

	hv_create(&h, rip, 0, PT_ITERS, 0, 0);
	*(uint64_t *)(h.ram0.mem + 0x100) = PT_A;
	*(uint64_t *)(h.ram0.mem + 0x200100) = PT_B;
	hv_pd_entry(&h, WINDOW_PD, 0, 0x83);
	hv_pd_entry(&h, ALT_PD, 0, 2 * MIB | 0x83);
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x80);
	/* Every iteration saw the table it had just written. */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDX], PT_ITERS);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_R8],
	    (PT_ITERS / 2) * (PT_A + PT_B));
	hv_destroy(&h, 1);
}

START_TEST(test_pd_entry_rewritten_with_invlpg)
{
	VENDOR_BEGIN();
	pt_loop(H_PT_INVLPG);
}
END_TEST

START_TEST(test_pdpt_entry_rewritten_with_cr3_reload)
{
	VENDOR_BEGIN();
	pt_loop(H_PT_CR3);
}
END_TEST

/* --- (c) exit storms ------------------------------------------------------ */

#define IO_ITERS	500000		/* two exits each: a million */
#define MMIO_ITERS	100000		/* two exits each */

/* Storms under valgrind are a hundredth as long (make check-valgrind). */
static uint64_t
storm(uint64_t n)
{
	return (t_valgrind() ? n / 100 : n);
}

/*
 * One short VM first: what the first VM of a process sets up once (the
 * signal handler's alternate stack, the library's own state) is not a
 * leak.
 */
static void
warm_up(void)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;

	hv_create(&h, H_TRIPLE, 0, 0, 0, 0);
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
	hv_destroy(&h, 1);
}

static uint8_t
io_value(uint64_t n)
{
	return ((uint8_t)(n * 37 + 11));
}

START_TEST(test_io_storm_a_million_exits)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;
	uint64_t ins = 0, outs = 0, sum = 0, iters = storm(IO_ITERS);
	int fds, maps;
	long rss;

	VENDOR_BEGIN();
	warm_up();
	fds = t_count_fds();
	maps = t_count_maps();
	hv_create(&h, H_IO_STORM, 0, iters, 0, 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	rss = 0;
	for (;;) {
		ck_assert_int_eq(hv_run(&h, &vrp, &ve), 0);
		ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
		if (ve.vei.vei_port == 0x82)
			break;
		if (ve.vei.vei_port == 0x80) {
			ck_assert_uint_eq(ve.vei.vei_dir, VEI_DIR_IN);
			ve.vei.vei_data = io_value(ins);
			sum += io_value(ins);
			ins++;
		} else {
			ck_assert_uint_eq(ve.vei.vei_port, 0x81);
			ck_assert_uint_eq(ve.vei.vei_dir, VEI_DIR_OUT);
			/* The IN's data came back through RAX. */
			ck_assert_uint_eq(ve.vei.vei_data, io_value(outs));
			outs++;
			if (outs == iters / 2)
				rss = t_rss_pages();
		}
		ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
	}
	ck_assert_uint_eq(ins, iters);
	ck_assert_uint_eq(outs, iters);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RBX], sum);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RCX], 0);
	/* The second half of the storm did not grow the process (1 MiB). */
	if (t_memory_exact())
		ck_assert_int_le(t_rss_pages() - rss, 256);
	hv_destroy(&h, 1);
	ck_assert_int_eq(t_count_fds(), fds);
	if (t_memory_exact())
		ck_assert_int_eq(t_count_maps(), maps);
}
END_TEST

START_TEST(test_mmio_storm)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;
	uint64_t stores = 0, loads = 0, sum = 0, rip;
	uint64_t iters = storm(MMIO_ITERS);
	int fds, maps;

	VENDOR_BEGIN();
	warm_up();
	fds = t_count_fds();
	maps = t_count_maps();
	hv_create(&h, H_MMIO_STORM, MMIO_GPA + 0x40, iters, 0, 0);
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	for (;;) {
		ck_assert_int_eq(hv_run(&h, &vrp, &ve), 0);
		if (vrp.vrp_exit_reason == EXIT_IO)
			break;
		ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_NPT);
		ck_assert_uint_eq(ve.vee.vee_fault_type,
		    VEE_FAULT_MMIO_ASSIST);
		rip = ve.vrs.vrs_gprs[VCPU_REGS_RIP];
		if (rip == H_MMIO_STORM + 3) {		/* mov [rbx], ecx */
			ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RCX],
			    iters - stores);
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += 2;
			stores++;
		} else {				/* mov eax, [rbx+4] */
			ck_assert_uint_eq(rip, H_MMIO_STORM + 5);
			ve.vrs.vrs_gprs[VCPU_REGS_RAX] = loads * 3;
			sum += loads * 3;
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += 3;
			loads++;
		}
	}
	ck_assert_uint_eq(ve.vei.vei_port, 0x82);
	ck_assert_uint_eq(stores, iters);
	ck_assert_uint_eq(loads, iters);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_R8], sum);
	hv_destroy(&h, 1);
	ck_assert_int_eq(t_count_fds(), fds);
	if (t_memory_exact())
		ck_assert_int_eq(t_count_maps(), maps);
}
END_TEST

/* --- (d) triple faults, reset, again ------------------------------------- */

#define TRIPLE_CYCLES	300

START_TEST(test_triple_fault_reset_many_times)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;
	int i;

	VENDOR_BEGIN();
	hv_create(&h, H_TRIPLE, 0, 0, 0, 0);
	for (i = 0; i < TRIPLE_CYCLES; i++) {
		h.init.vrs_gprs[VCPU_REGS_RAX] = (uint8_t)i;
		ck_assert_int_eq(hv_reset(&h), 0);
		ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
		ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
		ck_assert_uint_eq(ve.vei.vei_data & 0xFF, (uint8_t)i);
		ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
		ck_assert_int_eq(hv_run(&h, &vrp, &ve), 0);
		ck_assert_msg(vrp.vrp_exit_reason == EXIT_SHUTDOWN,
		    "cycle %d: exit %#x", i, vrp.vrp_exit_reason);
	}
	hv_destroy(&h, 1);
}
END_TEST

/* --- (e) a guest that never exits, terminated from another thread ---- */

static void
on_usr1(int sig)
{
	(void)sig;
}

struct term_arg {
	struct hv		*h;
	pthread_t		 runner;
	_Atomic int		 run_returned;
	_Atomic int		 term_done;
	_Atomic int		 seen_running;	/* term_thread saw RUN */
	int			 term_rc;
	int			 term_done_before_kick;
	long			 delay_ms;	/* term_after */
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Whether the VM's vcpu is inside RUN, from VMM_IOC_INFO. */
static int
vcpu_running(struct hv *h)
{
	struct vm_info_result vir[8];
	struct vm_info_params vip;
	size_t i;

	memset(&vip, 0, sizeof(vip));
	vip.vip_size = sizeof(vir);
	vip.vip_info = vir;
	ck_assert_int_eq(vmmsim_ioctl(h->fd, VMM_IOC_INFO, &vip), 0);
	for (i = 0; i < vip.vip_info_ct && i < 8; i++)
		if (vir[i].vir_id == h->id)
			return (vir[i].vir_vcpu_state[0] == VCPU_STATE_RUNNING);
	return (0);
}

/* TERM once the RUN is in flight (5 ms after it is seen running). */
static void *
term_thread(void *p)
{
	struct term_arg *a = p;

	while (!vcpu_running(a->h))
		sleep_ms(1);
	a->seen_running = 1;
	sleep_ms(5);
	a->term_rc = t_term(a->h->fd, a->h->id);
	a->term_done = 1;
	return (NULL);
}

/*
 * 50 ms after RUN was seen running, note whether TERM returned, then
 * signal RUN until it does.
 */
static void *
kick_thread(void *p)
{
	struct term_arg *a = p;
	int i;

	while (!a->seen_running)
		sleep_ms(1);
	sleep_ms(50);
	a->term_done_before_kick = a->term_done;
	for (i = 0; i < 500 && !a->run_returned; i++) {
		pthread_kill(a->runner, SIGUSR1);
		sleep_ms(10);
	}
	return (NULL);
}

#define SPIN_ROUNDS	5

START_TEST(test_term_while_spinning_waits_for_run)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct term_arg a;
	struct hv h;
	pthread_t tt, kt;
	int i;

	VENDOR_BEGIN();
	signal(SIGUSR1, on_usr1);
	for (i = 0; i < SPIN_ROUNDS; i++) {
		hv_create(&h, H_SPIN, 0, 0, 0, 0);
		memset(&a, 0, sizeof(a));
		a.h = &h;
		a.runner = pthread_self();
		a.term_done_before_kick = -1;
		ck_assert_int_eq(pthread_create(&tt, NULL, term_thread, &a), 0);
		ck_assert_int_eq(pthread_create(&kt, NULL, kick_thread, &a), 0);
		ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
		a.run_returned = 1;
		ck_assert_uint_eq(vrp.vrp_exit_reason, VM_EXIT_NONE);
		pthread_join(kt, NULL);
		pthread_join(tt, NULL);
		ck_assert_int_eq(a.term_done_before_kick, 0);
		ck_assert_int_eq(a.term_rc, 0);
		/* Gone: RUN and TERM find nothing. */
		ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), ENOENT);
		ck_assert_int_eq(t_err(t_term(h.fd, h.id)), ENOENT);
		hv_destroy(&h, 0);
	}
}
END_TEST

/*
 * A storming guest, RUN in a loop on this thread, TERM from another at
 * a different point each round (1-28 ms after the first exit): every RUN returns an I/O exit until the
 * VM is gone, then ENOENT; nothing hangs.
 */
static void *
term_after(void *p)
{
	struct term_arg *a = p;

	while (!a->seen_running)
		sleep_ms(1);
	sleep_ms(a->delay_ms);
	a->term_rc = t_term(a->h->fd, a->h->id);
	a->term_done = 1;
	return (NULL);
}

START_TEST(test_term_during_exit_storm)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct term_arg a;
	struct hv h;
	pthread_t tt;
	uint64_t runs;
	int i, err;

	VENDOR_BEGIN();
	for (i = 0; i < 10; i++) {
		hv_create(&h, H_IO_STORM, 0, ~0ULL >> 1, 0, 0);
		memset(&a, 0, sizeof(a));
		a.h = &h;
		a.delay_ms = 1 + 3 * i;
		ck_assert_int_eq(pthread_create(&tt, NULL, term_after, &a), 0);
		memset(&vrp, 0, sizeof(vrp));
		memset(&ve, 0, sizeof(ve));
		for (runs = 0;; runs++) {
			if ((err = t_err(hv_run(&h, &vrp, &ve))) != 0)
				break;
			ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
			a.seen_running = 1;
		}
		ck_assert_int_eq(err, ENOENT);
		pthread_join(tt, NULL);
		ck_assert_int_eq(a.term_rc, 0);
		ck_assert_uint_gt(runs, 0);
		hv_destroy(&h, 0);
	}
}
END_TEST

/* --- (f) string I/O through the vmd-like run loop ----------------------- */

struct sink {
	uint8_t	buf[256];
	size_t	n;
};

static void
sink_byte(void *arg, uint8_t b)
{
	struct sink *s = arg;

	if (s->n < sizeof(s->buf))
		s->buf[s->n++] = b;
}

/* Run hv's VM under vmrun until the guest's 0xF4 exit or an error. */
static int
strio_run(struct hv *h, struct sink *s, struct vmrun_result *res)
{
	struct vmrun_params p;
	struct vmrun *r;
	int error;

	memset(&p, 0, sizeof(p));
	p.fd = h->fd;
	p.vm_id = h->id;
	p.ram_bytes = RAM0_SIZE + RAM1_SIZE;
	p.console = sink_byte;
	p.console_arg = s;
	p.mem = &h->gm;
	p.rnd_seed = VMRUN_DEFAULT_SEED;
	p.max_time_ns = 1000000000ULL;
	r = vmrun_create(&p, &error);
	ck_assert_ptr_nonnull(r);
	memset(res, 0, sizeof(*res));
	error = vmrun_loop(r, res);
	vmrun_destroy(r);
	return (error);
}

/*
 * REP OUTSB running off the end of a RAM range into GPAs no range
 * covers: the bytes in RAM come out, the rest read as open bus (0xFF),
 * and the host memory past the range is not read.
 */
START_TEST(test_rep_outsb_across_the_end_of_ram)
{
	struct vmrun_result res;
	struct sink s;
	struct hv h;
	size_t i;

	VENDOR_BEGIN();
	memset(&s, 0, sizeof(s));
	hv_create(&h, H_OUTSB, 0, 32, RAM1_GPA + RAM1_SIZE - 16, 0);
	for (i = 0; i < 16; i++)
		h.ram1.mem[RAM1_SIZE - 16 + i] = (uint8_t)('a' + i);
	ck_assert_int_eq(strio_run(&h, &s, &res), 0);
	ck_assert_int_eq(res.status, 1);
	ck_assert_uint_eq(s.n, 32);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(s.buf[i], 'a' + i);
	for (; i < 32; i++)
		ck_assert_uint_eq(s.buf[i], 0xFF);
	hv_destroy(&h, 1);
}
END_TEST

/* REP INSB running off the end of RAM: the writes past it go nowhere. */
START_TEST(test_rep_insb_across_the_end_of_ram)
{
	struct vmrun_result res;
	struct sink s;
	struct hv h;
	size_t i;

	VENDOR_BEGIN();
	memset(&s, 0, sizeof(s));
	hv_create(&h, H_INSB, 0, 8192, 0, RAM0_SIZE - 100);
	ck_assert_int_eq(strio_run(&h, &s, &res), 0);
	ck_assert_int_eq(res.status, 1);
	for (i = RAM0_SIZE - 100; i < RAM0_SIZE; i++)
		ck_assert_uint_eq(h.ram0.mem[i], 0xFF);
	ck_assert_uint_eq(h.ram0.mem[RAM0_SIZE - 101], 0);
	/* Nothing landed in the next range either. */
	for (i = 0; i < 4096; i++)
		ck_assert_uint_eq(h.ram1.mem[i], 0);
	hv_destroy(&h, 1);
}
END_TEST

/*
 * REP OUTSD whose source crosses from a mapped linear page into one the
 * guest's page tables do not map: the mapped elements go out, then the
 * loop stops with EFAULT (vmd would kill the VM); nothing else is read.
 */
START_TEST(test_rep_outsd_into_an_unmapped_linear_page)
{
	struct vmrun_result res;
	struct sink s;
	struct hv h;

	VENDOR_BEGIN();
	memset(&s, 0, sizeof(s));
	hv_create(&h, H_OUTSD, 0, 16, WINDOW + 2 * MIB - 8, 0);
	hv_pd_entry(&h, WINDOW_PD, 0, (RAM0_SIZE - 2 * MIB) | 0x83);
	ck_assert_int_eq(strio_run(&h, &s, &res), EFAULT);
	hv_destroy(&h, 1);
}
END_TEST

/* A string instruction whose element straddles the end of RAM. */
START_TEST(test_rep_outsd_straddling_the_end_of_ram)
{
	struct vmrun_result res;
	struct sink s;
	struct hv h;

	VENDOR_BEGIN();
	memset(&s, 0, sizeof(s));
	hv_create(&h, H_OUTSD, 0, 4, RAM1_GPA + RAM1_SIZE - 6, 0);
	ck_assert_int_eq(strio_run(&h, &s, &res), 0);
	ck_assert_int_eq(res.status, 1);
	hv_destroy(&h, 1);
}
END_TEST

/* --- (f) virtio DMA with hostile descriptor rings ------------------------ */

/*
 * The devices with guarded guest memory of two ranges and a hole, driven
 * through their PCI BARs as a driver would, with rings and buffers at the
 * edges of the ranges, past them, and wrapping around 2^64.
 */
#define V_RING		0x100000ULL
#define V_BUF		0x200000ULL

static struct dev_port_table	*vports;
static struct guestmem		 vgm;
static struct guarded		 vram0, vram1;
static struct pci_bus		*vpci;
static char			 vdisk[64];

static void
v_irq(void *arg, int irq, int level)
{
	(void)arg;
	(void)irq;
	(void)level;
}

static const struct dev_irq v_irq_line = { v_irq, NULL };

static void
v_setup(void)
{
	uint8_t sector[512];
	int fd, i;

	vports = malloc(sizeof(*vports));
	ck_assert_ptr_nonnull(vports);
	dev_ports_init(vports);
	g_alloc(&vram0, RAM0_SIZE);
	g_alloc(&vram1, RAM1_SIZE);
	memset(&vgm, 0, sizeof(vgm));
	vgm.nranges = 2;
	vgm.ranges[0].vmr_gpa = RAM0_GPA;
	vgm.ranges[0].vmr_va = (vaddr_t)vram0.mem;
	vgm.ranges[0].vmr_size = RAM0_SIZE;
	vgm.ranges[0].vmr_type = VM_MEM_RAM;
	vgm.ranges[1].vmr_gpa = RAM1_GPA;
	vgm.ranges[1].vmr_va = (vaddr_t)vram1.mem;
	vgm.ranges[1].vmr_size = RAM1_SIZE;
	vgm.ranges[1].vmr_type = VM_MEM_RAM;
	vpci = pci_create(&v_irq_line);
	ck_assert_ptr_nonnull(vpci);
	ck_assert_int_eq(pci_register(vpci, vports), 0);
	strcpy(vdisk, "/tmp/check_hostile.XXXXXX");
	fd = mkstemp(vdisk);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < 16; i++) {
		memset(sector, 0x40 + i, sizeof(sector));
		ck_assert_int_eq(write(fd, sector, sizeof(sector)), 512);
	}
	close(fd);
}

static void
v_teardown(void)
{
	g_check(&vram0);
	g_check(&vram1);
	pci_destroy(vpci);
	g_free(&vram0);
	g_free(&vram1);
	free(vports);
	unlink(vdisk);
}

static uint32_t
v_in(uint16_t port, int size)
{
	uint32_t v = 0;

	ck_assert_int_eq(dev_ports_io(vports, port, DEV_IO_IN, size, &v), 0);
	return (v);
}

static void
v_out(uint16_t port, int size, uint32_t v)
{
	ck_assert_int_eq(dev_ports_io(vports, port, DEV_IO_OUT, size, &v), 0);
}

static void
v_wr(uint64_t gpa, const void *p, size_t n)
{
	ck_assert_int_eq(guestmem_write(&vgm, gpa, p, n), 0);
}

static uint16_t
v_rd16(uint64_t gpa)
{
	uint16_t v;

	ck_assert_int_eq(guestmem_read(&vgm, gpa, &v, 2), 0);
	return (v);
}

struct vq {
	uint16_t	io;
	unsigned	index;
	uint16_t	size;
	uint64_t	desc, avail, used;
	uint16_t	avail_idx;
};

/* Reset the device, then set up queue index with its ring at gpa. */
static void
v_init(unsigned slot, struct vq *q, unsigned index, uint64_t gpa)
{
	uint32_t bar;

	v_out(PCI_CONFIG_ADDR_PORT, 4, PCI_CONFIG_ENABLE | slot << 11 |
	    PCI_BAR(0));
	bar = v_in(PCI_CONFIG_DATA_PORT, 4);
	memset(q, 0, sizeof(*q));
	q->io = (uint16_t)(bar & ~3U);
	q->index = index;
	v_out(q->io + VIRTIO_PCI_STATUS, 1, 0);
	v_out(q->io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	v_out(q->io + VIRTIO_PCI_GUEST_FEATURES, 4,
	    v_in(q->io + VIRTIO_PCI_HOST_FEATURES, 4));
	v_out(q->io + VIRTIO_PCI_QUEUE_SEL, 2, index);
	q->size = (uint16_t)v_in(q->io + VIRTIO_PCI_QUEUE_NUM, 2);
	ck_assert_uint_gt(q->size, 0);
	q->desc = gpa;
	q->avail = gpa + 16ULL * q->size;
	q->used = (q->avail + 6 + 2ULL * q->size + 4095) & ~4095ULL;
	if (guestmem_hva(&vgm, gpa, q->used + 6 + 8ULL * q->size - gpa) !=
	    NULL)
		ck_assert_int_eq(guestmem_write(&vgm, gpa, NULL,
		    q->used + 6 + 8ULL * q->size - gpa), 0);
	v_out(q->io + VIRTIO_PCI_QUEUE_PFN, 4, (uint32_t)(gpa >> 12));
	v_out(q->io + VIRTIO_PCI_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void
v_desc(struct vq *q, uint16_t i, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	v_wr(q->desc + 16ULL * i, d, 16);
}

static void
v_post(struct vq *q, uint16_t head)
{
	uint16_t idx;

	v_wr(q->avail + 4 + 2ULL * (q->avail_idx % q->size), &head, 2);
	idx = ++q->avail_idx;
	v_wr(q->avail + 2, &idx, 2);
	v_out(q->io + VIRTIO_PCI_QUEUE_NOTIFY, 2, q->index);
}

/* The device refused the chain: NEEDS_RESET and nothing used. */
static void
v_assert_broken(struct vq *q)
{
	ck_assert_uint_eq(v_in(q->io + VIRTIO_PCI_STATUS, 1) &
	    VIRTIO_CONFIG_S_NEEDS_RESET, VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(v_rd16(q->used + 2), 0);
}

/* Buffers that no range holds whole, as the device sees them. */
static const struct {
	uint64_t	addr;
	uint32_t	len;
} bad_bufs[] = {
	{ RAM0_GPA + RAM0_SIZE - 256, 512 },	/* off the end of range 0 */
	{ RAM0_GPA + RAM0_SIZE, 512 },		/* in the hole */
	{ RAM1_GPA - 256, 512 },		/* into range 1 from below */
	{ RAM1_GPA + RAM1_SIZE - 1, 2 },	/* one byte past range 1 */
	{ RAM1_GPA, 0xFFFFFFFF },		/* 4 GiB from range 1 */
	{ 0xFFFFFFFFFFFFFF00ULL, 0x200 },	/* wraps around 2^64 */
	{ (1ULL << 40), 512 },			/* a guest-RAM HPA */
	{ MMIO_GPA, 512 },			/* the MMIO hole */
};

START_TEST(test_virtio_blk_dma_outside_guest_memory)
{
	struct virtio_blk *blk;
	struct vq q;
	uint8_t hdr[16] = { 0 };	/* VIRTIO_BLK_T_IN, sector 0 */
	size_t i;

	v_setup();
	blk = virtio_blk_create(vpci, &vgm, vdisk, false, "hostile");
	ck_assert_ptr_nonnull(blk);
	for (i = 0; i < sizeof(bad_bufs) / sizeof(bad_bufs[0]); i++) {
		/* The data buffer (device writes). */
		v_init(virtio_blk_slot(blk), &q, 0, V_RING);
		v_wr(V_BUF, hdr, sizeof(hdr));
		v_desc(&q, 0, V_BUF, 16, VRING_DESC_F_NEXT, 1);
		v_desc(&q, 1, bad_bufs[i].addr, bad_bufs[i].len,
		    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
		v_desc(&q, 2, V_BUF + 0x800, 1, VRING_DESC_F_WRITE, 0);
		v_post(&q, 0);
		v_assert_broken(&q);
		/* The header (device reads). */
		v_init(virtio_blk_slot(blk), &q, 0, V_RING);
		v_desc(&q, 0, bad_bufs[i].addr, 16, VRING_DESC_F_NEXT, 1);
		v_desc(&q, 1, V_BUF + 0x1000, 512, VRING_DESC_F_WRITE |
		    VRING_DESC_F_NEXT, 2);
		v_desc(&q, 2, V_BUF + 0x800, 1, VRING_DESC_F_WRITE, 0);
		v_post(&q, 0);
		if (bad_bufs[i].addr + 16 > bad_bufs[i].addr &&
		    guestmem_hva(&vgm, bad_bufs[i].addr, 16) != NULL)
			continue;	/* 16 bytes of it are memory */
		v_assert_broken(&q);
	}
	/*
	 * The ring running off the end of range 0: descriptors and avail
	 * ring in its last page, the used ring past it.  The request is
	 * done, its completion cannot be posted.
	 */
	v_init(virtio_blk_slot(blk), &q, 0, RAM0_GPA + RAM0_SIZE - TPAGE);
	ck_assert_uint_ge(q.used, RAM0_GPA + RAM0_SIZE);
	v_wr(V_BUF, hdr, sizeof(hdr));
	v_desc(&q, 0, V_BUF, 16, VRING_DESC_F_NEXT, 1);
	v_desc(&q, 1, V_BUF + 0x1000, 512, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	v_desc(&q, 2, V_BUF + 0x800, 1, VRING_DESC_F_WRITE, 0);
	v_post(&q, 0);
	ck_assert_uint_eq(v_in(q.io + VIRTIO_PCI_STATUS, 1) &
	    VIRTIO_CONFIG_S_NEEDS_RESET, VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A read that does fit, at the very end of range 1, still works. */
	v_init(virtio_blk_slot(blk), &q, 0, V_RING);
	v_wr(V_BUF, hdr, sizeof(hdr));
	v_desc(&q, 0, V_BUF, 16, VRING_DESC_F_NEXT, 1);
	v_desc(&q, 1, RAM1_GPA + RAM1_SIZE - 512, 512, VRING_DESC_F_WRITE |
	    VRING_DESC_F_NEXT, 2);
	v_desc(&q, 2, V_BUF + 0x800, 1, VRING_DESC_F_WRITE, 0);
	v_post(&q, 0);
	ck_assert_uint_eq(v_rd16(q.used + 2), 1);
	ck_assert_uint_eq(vram1.mem[RAM1_SIZE - 1], 0x40);
	virtio_blk_destroy(blk);
	v_teardown();
}
END_TEST

START_TEST(test_virtio_rnd_dma_outside_guest_memory)
{
	struct virtio_rnd *rnd;
	uint64_t seed = 1;
	struct vq q;
	size_t i;

	v_setup();
	rnd = virtio_rnd_create(vpci, &vgm, &seed);
	ck_assert_ptr_nonnull(rnd);
	for (i = 0; i < sizeof(bad_bufs) / sizeof(bad_bufs[0]); i++) {
		v_init(virtio_rnd_slot(rnd), &q, 0, V_RING);
		v_desc(&q, 0, bad_bufs[i].addr, bad_bufs[i].len,
		    VRING_DESC_F_WRITE, 0);
		v_post(&q, 0);
		v_assert_broken(&q);
	}
	virtio_rnd_destroy(rnd);
	v_teardown();
}
END_TEST

static size_t con_tx_bytes;

static void
con_tx(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	con_tx_bytes += len;
}

START_TEST(test_virtio_con_dma_outside_guest_memory)
{
	struct virtio_con *con;
	struct vq q;
	uint8_t in[64];
	size_t i;

	v_setup();
	con = virtio_con_create(vpci, &vgm, con_tx, NULL);
	ck_assert_ptr_nonnull(con);
	memset(in, 'x', sizeof(in));
	con_tx_bytes = 0;
	for (i = 0; i < sizeof(bad_bufs) / sizeof(bad_bufs[0]); i++) {
		/* Transmit: the device reads the buffer. */
		v_init(virtio_con_slot(con), &q, VIRTIO_CON_TXQ, V_RING);
		v_desc(&q, 0, bad_bufs[i].addr, bad_bufs[i].len, 0, 0);
		v_post(&q, 0);
		v_assert_broken(&q);
		/* Receive: the device writes host input into it. */
		v_init(virtio_con_slot(con), &q, VIRTIO_CON_RXQ, V_RING);
		v_desc(&q, 0, bad_bufs[i].addr, bad_bufs[i].len,
		    VRING_DESC_F_WRITE, 0);
		v_post(&q, 0);
		(void)virtio_con_rx(con, in, sizeof(in));
		v_assert_broken(&q);
	}
	ck_assert_uint_eq(con_tx_bytes, 0);
	virtio_con_destroy(con);
	v_teardown();
}
END_TEST

/* --- debug registers: breakpoints and watchpoints on guest data -------- */

/*
 * A guest arms all four watchpoints and touches them (ROBUSTNESS.md
 * finding 7: one MOV to DR7 with an enable bit crashed the host).  The
 * registers keep what it wrote, READREGS returns them, no #DB fires
 * (breakpoints are not modelled) and nothing outside the guest changes.
 */
START_TEST(test_guest_arms_every_watchpoint)
{
	struct vm_rwregs_params rw;
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct hv h;
	int i;

	VENDOR_BEGIN();
	hv_create(&h, H_DEBUG, 0x180000, 0xFFFF03FF, 0, 0);
	*(uint64_t *)(h.ram0.mem + 0x180000) = 0x1234;
	*(uint64_t *)(h.ram0.mem + 0x180010) = 0x1000;
	ck_assert_int_eq(hv_run_once(&h, &vrp, &ve), 0);
	ck_assert_uint_eq(vrp.vrp_exit_reason, EXIT_IO);
	ck_assert_uint_eq(ve.vei.vei_port, 0x83);
	/* DR6 as reset, DR7 with bit 10 set, nothing lost of what it wrote. */
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RSI], 0xFFFF0FF0);
	ck_assert_uint_eq(ve.vrs.vrs_gprs[VCPU_REGS_RDI], 0xFFFF07FF);
	memset(&rw, 0, sizeof(rw));
	rw.vrwp_vm_id = h.id;
	rw.vrwp_mask = VM_RWREGS_DRS;
	ck_assert_int_eq(t_err(vmmsim_ioctl(h.fd, VMM_IOC_READREGS, &rw)), 0);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(rw.vrwp_regs.vrs_drs[VCPU_REGS_DR0 + i],
		    0x180000 + 8 * (uint64_t)i);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_drs[VCPU_REGS_DR6], 0xFFFF0FF0);
	ck_assert_uint_eq(rw.vrwp_regs.vrs_drs[VCPU_REGS_DR7], 0xFFFF07FF);
	/* The watched accesses happened, once each. */
	ck_assert_uint_eq(*(uint64_t *)(h.ram0.mem + 0x180008), 0x1234);
	ck_assert_uint_eq(*(uint64_t *)(h.ram0.mem + 0x180010), 0x2234);
	hv_destroy(&h, 1);
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("guests");
	TCase *tv = tcase_create("virtio");

	tcase_set_timeout(tc, 300);
#define T(t)	tcase_add_loop_test(tc, t, 0, \
	    (int)(sizeof(test_vendors) / sizeof(test_vendors[0])))
	T(test_loads_outside_every_range);
	T(test_stores_outside_every_range);
	T(test_load_straddling_the_end_of_ram);
	T(test_pd_entry_rewritten_with_invlpg);
	T(test_pdpt_entry_rewritten_with_cr3_reload);
	T(test_io_storm_a_million_exits);
	T(test_mmio_storm);
	T(test_triple_fault_reset_many_times);
	T(test_term_while_spinning_waits_for_run);
	T(test_term_during_exit_storm);
	T(test_rep_outsb_across_the_end_of_ram);
	T(test_rep_insb_across_the_end_of_ram);
	T(test_rep_outsd_into_an_unmapped_linear_page);
	T(test_rep_outsd_straddling_the_end_of_ram);
	T(test_guest_arms_every_watchpoint);
#undef T
	suite_add_tcase(s, tc);
	tcase_add_test(tv, test_virtio_blk_dma_outside_guest_memory);
	tcase_add_test(tv, test_virtio_rnd_dma_outside_guest_memory);
	tcase_add_test(tv, test_virtio_con_dma_outside_guest_memory);
	suite_add_tcase(s, tv);
	return (s);
}

int
main(void)
{
	return (t_run_suite(hostile_suite()));
}
