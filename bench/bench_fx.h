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
 * What bench_emu and bench_vmm share: reporting, timing, testdata files,
 * and the bare src/emu fixture ("fx": VMXON, one VMCS with an OpenBSD-like
 * monitor's controls, EPT over 4 MiB of RAM at GPA 0, a 64-bit guest).
 * Static functions, so that the measured exit loops call them as before.
 * The including file defines progname and testdata first.
 */

#ifndef VMMSIM_BENCH_FX_H
#define VMMSIM_BENCH_FX_H

#define FX_RAM_SIZE	(4UL << 20)	/* the fixture's RAM at GPA 0 */
#define FX_ROM_SIZE	0x10000UL	/* bench_emu's ROM, when mapped */

/* A 64-bit guest's page tables and descriptor tables (as tests/emu_fixture.h). */
#define G_GDT		0x500
#define G_TSS		0x700
#define G_PML4		0x10000

struct fx {
	struct emu_host	*host;
	struct emu_cpu	*cpu;
	struct hostmem	*hm;
	const struct vmx_caps *caps;
	uint8_t		*ram;
	uint64_t	 ram_hpa;
	uint8_t		*rom;
	uint64_t	 vmxon, vmcs, eptp, msr_bitmap, io_a, io_b;
	struct emu_gprs	 regs;
};

static void __attribute__((noreturn, format(printf, 1, 2), unused))
fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static __attribute__((unused)) double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static __attribute__((unused)) int
dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static __attribute__((unused)) double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), dblcmp);
	return (v[n / 2]);
}

static __attribute__((unused)) void
report(const char *name, double value, const char *unit, const char *peer,
    double peer_value)
{
	printf("bench: %s %.*f %s\n", name, value < 100 ? 2 : 0, value, unit);
	if (peer != NULL)
		printf("ratio %.3f vs %s\n", value / peer_value, peer);
	fflush(stdout);
}

static __attribute__((unused)) uint64_t
vmread(struct fx *fx, uint32_t f)
{
	uint64_t v = 0;

	if (vmx_vmread(fx->cpu, f, &v) != VMX_SUCCEED)
		fail("vmread %#x failed", f);
	return (v);
}

static __attribute__((unused)) void
vmwrite(struct fx *fx, uint32_t f, uint64_t v)
{
	if (vmx_vmwrite(fx->cpu, f, v) != VMX_SUCCEED)
		fail("vmwrite %s failed", vmcs_field_lookup(f) ?
		    vmcs_field_lookup(f)->name : "?");
}

static __attribute__((unused)) uint32_t
ctl(uint64_t capmsr, uint32_t want)
{
	return ((want | vmx_ctl_allowed0(capmsr)) & vmx_ctl_allowed1(capmsr));
}

static __attribute__((unused)) void
ept_map(struct fx *fx, uint64_t gpa, uint64_t hpa)
{
	uint64_t table = fx->eptp & ~0xFFFULL, e, *p;
	int level;

	for (level = 4; level > 1; level--) {
		p = hostmem_ptr(fx->hm, table + ((gpa >> (12 + 9 * (level - 1))) &
		    0x1FF) * 8, 8);
		if (p == NULL)
			fail("EPT table outside host memory");
		if (((e = *p) & 7) == 0) {
			e = hostmem_alloc(fx->hm, 1) | 7;
			*p = e;
		}
		table = e & ~0xFFFULL & ((1ULL << 52) - 1);
	}
	p = hostmem_ptr(fx->hm, table + ((gpa >> 12) & 0x1FF) * 8, 8);
	*p = (hpa & ~0xFFFULL) | (6 << 3) | 7;		/* WB, RWX */
}

static __attribute__((unused)) void
seg(struct fx *fx, int i, uint16_t sel, uint64_t base, uint32_t limit,
    uint32_t ar)
{
	vmwrite(fx, VMCS_GUEST_IA32_ES_SEL + 2 * i, sel);
	vmwrite(fx, VMCS_GUEST_IA32_ES_BASE + 2 * i, base);
	vmwrite(fx, VMCS_GUEST_IA32_ES_LIMIT + 2 * i, limit);
	vmwrite(fx, VMCS_GUEST_IA32_ES_AR + 2 * i, ar);
}

/*
 * VMXON, a VMCS with an OpenBSD-like monitor's controls (unconditional I/O
 * exiting, HLT exiting, MSR bitmaps, EPT, VPID, unrestricted guest), a
 * 64-bit host state and guest RAM at GPA 0 mapped by EPT in 4 KiB pages.
 */
static __attribute__((unused)) void
fx_init(struct fx *fx)
{
	const struct vmx_caps *c;
	uint32_t rev;
	size_t i;
	int error;

	memset(fx, 0, sizeof(*fx));
	if ((fx->host = emu_host_create(NULL, &error)) == NULL)
		fail("emu_host_create: %s", strerror(error));
	if ((fx->cpu = emu_cpu_create(fx->host, &error)) == NULL)
		fail("emu_cpu_create: %s", strerror(error));
	fx->hm = emu_host_mem(fx->host);
	fx->caps = c = emu_host_caps(fx->host);
	fx->ram = mmap(NULL, FX_RAM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fx->ram == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	if (hostmem_add_ram(fx->hm, fx->ram, FX_RAM_SIZE, &fx->ram_hpa) != 0)
		fail("hostmem_add_ram failed");

	rev = (uint32_t)(c->basic & IA32_VMX_BASIC_REVISION_MASK);
	if (emu_write_cr(fx->cpu, 4, emu_read_cr(fx->cpu, 4) | CR4_VMXE) != 0)
		fail("CR4.VMXE");
	fx->vmxon = hostmem_alloc(fx->hm, 1);
	hostmem_write(fx->hm, fx->vmxon, &rev, 4);
	fx->vmcs = hostmem_alloc(fx->hm, 1);
	hostmem_write(fx->hm, fx->vmcs, &rev, 4);
	if (vmx_vmxon(fx->cpu, fx->vmxon) != VMX_SUCCEED ||
	    vmx_vmclear(fx->cpu, fx->vmcs) != VMX_SUCCEED ||
	    vmx_vmptrld(fx->cpu, fx->vmcs) != VMX_SUCCEED)
		fail("VMXON/VMCLEAR/VMPTRLD failed");

	fx->eptp = hostmem_alloc(fx->hm, 1) | 6 | (3 << 3);
	fx->msr_bitmap = hostmem_alloc(fx->hm, 1);
	memset(hostmem_ptr(fx->hm, fx->msr_bitmap, 4096), 0xFF, 4096);
	fx->io_a = hostmem_alloc(fx->hm, 1);
	fx->io_b = hostmem_alloc(fx->hm, 1);
	for (i = 0; i < FX_RAM_SIZE / 4096; i++)
		ept_map(fx, i * 4096, fx->ram_hpa + i * 4096);

	vmwrite(fx, VMCS_PINBASED_CTLS, ctl(vmx_caps_pinbased_ctls(c),
	    IA32_VMX_EXTERNAL_INT_EXITING | IA32_VMX_NMI_EXITING));
	vmwrite(fx, VMCS_PROCBASED_CTLS, ctl(vmx_caps_procbased_ctls(c),
	    IA32_VMX_HLT_EXITING | IA32_VMX_UNCONDITIONAL_IO_EXITING |
	    IA32_VMX_USE_MSR_BITMAPS | IA32_VMX_USE_TSC_OFFSETTING |
	    IA32_VMX_ACTIVATE_SECONDARY_CONTROLS));
	vmwrite(fx, VMCS_PROCBASED2_CTLS, ctl(c->procbased2,
	    IA32_VMX_ENABLE_EPT | IA32_VMX_ENABLE_VPID |
	    IA32_VMX_UNRESTRICTED_GUEST));
	vmwrite(fx, VMCS_EXIT_CTLS, ctl(vmx_caps_exit_ctls(c),
	    IA32_VMX_HOST_SPACE_ADDRESS_SIZE | IA32_VMX_SAVE_IA32_EFER_ON_EXIT |
	    IA32_VMX_LOAD_IA32_EFER_ON_EXIT));
	vmwrite(fx, VMCS_ENTRY_CTLS, ctl(vmx_caps_entry_ctls(c),
	    IA32_VMX_LOAD_IA32_EFER_ON_ENTRY));
	vmwrite(fx, VMCS_GUEST_IA32_EPTP, fx->eptp);
	vmwrite(fx, VMCS_GUEST_VPID, 1);
	vmwrite(fx, VMCS_MSR_BITMAP_ADDRESS, fx->msr_bitmap);
	vmwrite(fx, VMCS_IO_BITMAP_A, fx->io_a);
	vmwrite(fx, VMCS_IO_BITMAP_B, fx->io_b);
	vmwrite(fx, VMCS_LINK_POINTER, ~0ULL);
	vmwrite(fx, VMCS_CR0_MASK, CR0_NE);
	vmwrite(fx, VMCS_CR4_MASK, CR4_VMXE);

	vmwrite(fx, VMCS_HOST_IA32_CR0, emu_read_cr(fx->cpu, 0));
	vmwrite(fx, VMCS_HOST_IA32_CR3, 0x1000);
	vmwrite(fx, VMCS_HOST_IA32_CR4, emu_read_cr(fx->cpu, 4));
	vmwrite(fx, VMCS_HOST_IA32_CS_SEL, 0x08);
	vmwrite(fx, VMCS_HOST_IA32_SS_SEL, 0x10);
	vmwrite(fx, VMCS_HOST_IA32_DS_SEL, 0x10);
	vmwrite(fx, VMCS_HOST_IA32_ES_SEL, 0x10);
	vmwrite(fx, VMCS_HOST_IA32_TR_SEL, 0x18);
	vmwrite(fx, VMCS_HOST_IA32_RIP, 0xffffffff81000000ULL);
	vmwrite(fx, VMCS_HOST_IA32_RSP, 0xffffffff81100000ULL);
	vmwrite(fx, VMCS_HOST_IA32_EFER, EFER_LME | EFER_LMA | EFER_SCE |
	    EFER_NXE);
	vmwrite(fx, VMCS_HOST_IA32_PAT, 0x0007040600070406ULL);
}

static __attribute__((unused)) void
fx_fini(struct fx *fx)
{
	vmx_vmclear(fx->cpu, fx->vmcs);
	vmx_vmxoff(fx->cpu);
	emu_cpu_destroy(fx->cpu);
	emu_host_destroy(fx->host);
	munmap(fx->ram, FX_RAM_SIZE);
	if (fx->rom != NULL)
		munmap(fx->rom, FX_ROM_SIZE);
}

static __attribute__((unused)) size_t
load_file(const char *name, void *buf, size_t len)
{
	char path[1024];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", testdata, name);
	if ((fp = fopen(path, "rb")) == NULL)
		fail("%s: %s", path, strerror(errno));
	n = fread(buf, 1, len, fp);
	fclose(fp);
	if (n == 0)
		fail("%s: empty", path);
	return (n);
}

/*
 * A 64-bit ring-0 guest: GDT (null, code64, data, TSS), identity paging of
 * the first 4 MiB with 2 MiB pages.
 */
static __attribute__((unused)) void
fx_guest_long(struct fx *fx, uint64_t rip)
{
	uint64_t *gdt = (uint64_t *)(fx->ram + G_GDT);
	uint64_t *pt = (uint64_t *)(fx->ram + G_PML4);
	int i;

	gdt[0] = 0;
	gdt[1] = 0x00AF9B000000FFFFULL;
	gdt[2] = 0x00CF93000000FFFFULL;
	gdt[3] = 0x67ULL | ((uint64_t)G_TSS << 16) | (0x8BULL << 40);
	gdt[4] = 0;
	pt[0] = (G_PML4 + 0x1000) | 3;			/* PML4[0] */
	pt[512] = (G_PML4 + 0x2000) | 3;		/* PDPT[0] */
	pt[1024] = 0x000000 | 0x83;			/* PD[0]: 2 MiB */
	pt[1025] = 0x200000 | 0x83;			/* PD[1]: 2 MiB */
	for (i = 0; i < 6; i++)
		seg(fx, i, 0x10, 0, 0xFFFFFFFF, 0xC093);
	seg(fx, 1, 0x08, 0, 0xFFFFFFFF, 0xA09B);
	seg(fx, 6, 0, 0, 0, 0x10000);
	seg(fx, 7, 0x18, G_TSS, 0x67, 0x8B);
	vmwrite(fx, VMCS_GUEST_IA32_GDTR_BASE, G_GDT);
	vmwrite(fx, VMCS_GUEST_IA32_GDTR_LIMIT, 0x27);
	vmwrite(fx, VMCS_GUEST_IA32_IDTR_BASE, 0x600);
	vmwrite(fx, VMCS_GUEST_IA32_IDTR_LIMIT, 0xFF);
	vmwrite(fx, VMCS_GUEST_IA32_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_WP |
	    CR0_PG);
	vmwrite(fx, VMCS_CR0_READ_SHADOW, CR0_PE | CR0_ET | CR0_WP | CR0_PG);
	vmwrite(fx, VMCS_GUEST_IA32_CR4, CR4_PAE | CR4_VMXE);
	vmwrite(fx, VMCS_GUEST_IA32_CR3, G_PML4);
	vmwrite(fx, VMCS_GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	vmwrite(fx, VMCS_ENTRY_CTLS, vmread(fx, VMCS_ENTRY_CTLS) |
	    IA32_VMX_IA32E_MODE_GUEST);
	vmwrite(fx, VMCS_GUEST_IA32_DR7, 0x400);
	vmwrite(fx, VMCS_GUEST_IA32_RFLAGS, 0x2);
	vmwrite(fx, VMCS_GUEST_IA32_RSP, 0x80000);
	vmwrite(fx, VMCS_GUEST_IA32_RIP, rip);
	vmwrite(fx, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
}

/* VMLAUNCH or VMRESUME; the exit reason. */
static __attribute__((unused)) uint32_t
fx_run(struct fx *fx, int launch)
{
	enum vmx_result r;

	r = launch ? vmx_vmlaunch(fx->cpu, &fx->regs) :
	    vmx_vmresume(fx->cpu, &fx->regs);
	if (r != VMX_SUCCEED) {
		vmx_explain_entry_failure(fx->cpu, stderr);
		fail("VM entry failed: %d (error %u)", r,
		    vmx_last_error(fx->cpu));
	}
	return ((uint32_t)vmread(fx, VMCS_EXIT_REASON));
}

#endif /* VMMSIM_BENCH_FX_H */
