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
 * The emu benchmark group: the simulated CPU (src/emu) driven the way a
 * kernel drives VT-x, through the instruction-level interface of emu.h.
 *
 *   mips	guest MIPS on testdata/boot64.bin's arithmetic loop, against
 *		QEMU TCG on the same image, with and without -icount.
 *   io		VM exit round trips per second on testdata/bench_ioloop.bin:
 *		one OUT site, 16 and 256 distinct sites, and 1, 64 and 512
 *		pages written between exits.
 *   profile	-n one-site I/O exits (with -p, exits that each write that
 *		many pages) and nothing else, to run under perf or callgrind.
 *
 * Every figure is printed as "bench: NAME VALUE UNIT", followed by
 * "ratio R vs PEER" (R = vmmsim / peer) when a peer ran in the same run.
 * Each timing is the median of three runs.  Host time is read with
 * CLOCK_MONOTONIC here only; the guests never see it.
 *
 * Every run checks that the guest did its work (loop result in RBX, the
 * greeting, retired-instruction counts, exit counts, memory written), so a
 * broken engine cannot report a fast figure.
 */

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#ifndef TESTDATA_DIR
#define TESTDATA_DIR "testdata"
#endif

#define NRUNS		3		/* runs per timing; the median counts */
#define ROM_GPA		0xFFFF0000ULL
#define ROM_LOOPS_OFF	0x10		/* boot64.bin: dword loop count */
#define IO_GPA		0x1000		/* bench_ioloop.bin */
#define IO_PAGES_GPA	0x200000ULL	/* pages written by its "pages" entry */
#define IO_PORT		0x80
#define EXIT_PORT	0xF4


static const char *testdata = TESTDATA_DIR;
static const char *progname = "bench_emu";

#include "bench_fx.h"
static const char *greeting =
    "Hello from vmmsim's demo guest: reset vector to long mode.\r\n";

/* --- a small kernel: VMXON, one VMCS, EPT, host and guest state -------- */

/* The reset state of a real-mode CPU at FFFF:FFF0 (unrestricted guest). */
static void
guest_reset(struct fx *fx)
{
	int i;

	for (i = 0; i < 6; i++)
		seg(fx, i, 0, 0, 0xFFFF, 0x93);
	seg(fx, 1, 0xF000, ROM_GPA, 0xFFFF, 0x9B);
	seg(fx, 6, 0, 0, 0xFFFF, 0x82);
	seg(fx, 7, 0, 0, 0xFFFF, 0x8B);
	vmwrite(fx, VMCS_GUEST_IA32_GDTR_LIMIT, 0xFFFF);
	vmwrite(fx, VMCS_GUEST_IA32_IDTR_LIMIT, 0x3FF);
	vmwrite(fx, VMCS_GUEST_IA32_CR0, CR0_ET | CR0_NE);
	vmwrite(fx, VMCS_CR0_READ_SHADOW, CR0_ET);
	vmwrite(fx, VMCS_GUEST_IA32_CR4, CR4_VMXE);
	vmwrite(fx, VMCS_GUEST_IA32_CR3, 0);
	vmwrite(fx, VMCS_GUEST_IA32_EFER, 0);
	vmwrite(fx, VMCS_GUEST_IA32_DR7, 0x400);
	vmwrite(fx, VMCS_GUEST_IA32_RFLAGS, 0x2);
	vmwrite(fx, VMCS_GUEST_IA32_RSP, 0x8000);
	vmwrite(fx, VMCS_GUEST_IA32_RIP, 0xFFF0);
	vmwrite(fx, VMCS_GUEST_IA32_PAT, 0x0007040600070406ULL);
}

/* What a monitor does after an instruction exit: skip the instruction. */
static void
skip(struct fx *fx)
{
	vmwrite(fx, VMCS_GUEST_IA32_RIP, vmread(fx, VMCS_GUEST_IA32_RIP) +
	    vmread(fx, VMCS_INSTRUCTION_LENGTH));
}

/* --- guest MIPS: boot64.bin --------------------------------------------- */

/* RBX after boot64's loop of n iterations. */
static uint64_t
boot64_rbx(uint32_t n)
{
	uint64_t rax = 0, rbx = 0, rcx = n;

	while (rcx != 0) {
		rax += rcx;
		rbx ^= rax;
		rcx--;
	}
	return (rbx);
}

/*
 * Boot boot64.bin with its loop count set to n, from the reset vector to
 * the debug exit; the seconds it took (host, VMXON to the last exit) and
 * the instructions it retired.
 */
static double
vmmsim_boot64(uint32_t n, uint64_t want_rbx, uint64_t *retired)
{
	struct fx fx;
	uint8_t *bm;
	char out[128];
	size_t len = 0, i;
	uint64_t q;
	uint32_t reason;
	int launch = 1, steps;
	double t0, t1;

	t0 = now();
	fx_init(&fx);
	fx.rom = mmap(NULL, FX_ROM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fx.rom == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	if (load_file("boot64.bin", fx.rom, FX_ROM_SIZE) != FX_ROM_SIZE)
		fail("boot64.bin is not 64 KiB");
	memcpy(fx.rom + ROM_LOOPS_OFF, &n, 4);
	{
		uint64_t rom_hpa;

		if (hostmem_add_ram(fx.hm, fx.rom, FX_ROM_SIZE, &rom_hpa) != 0)
			fail("hostmem_add_ram (ROM) failed");
		for (i = 0; i < FX_ROM_SIZE / 4096; i++)
			ept_map(&fx, ROM_GPA + i * 4096, rom_hpa + i * 4096);
	}
	/* The firmware sets EFER.LME itself. */
	bm = hostmem_ptr(fx.hm, fx.msr_bitmap, 4096);
	bm[1024 + 0x80 / 8] &= ~1;
	bm[3072 + 0x80 / 8] &= ~1;
	vmwrite(&fx, VMCS_ENTRY_CTLS, vmread(&fx, VMCS_ENTRY_CTLS) &
	    ~IA32_VMX_LOAD_IA32_EFER_ON_ENTRY);
	guest_reset(&fx);

	memset(out, 0, sizeof(out));
	for (steps = 0; ; steps++) {
		if (steps > 200)
			fail("boot64: no debug exit after %d exits", steps);
		reason = fx_run(&fx, launch);
		launch = 0;
		if (reason != VMX_EXIT_IO)
			fail("boot64: exit reason %u at RIP %#llx", reason,
			    (unsigned long long)vmread(&fx,
			    VMCS_GUEST_IA32_RIP));
		q = vmread(&fx, VMCS_GUEST_EXIT_QUALIFICATION);
		if ((q >> 16) == EXIT_PORT)
			break;
		if ((q >> 16) != 0x3F8)
			fail("boot64: OUT to port %#llx",
			    (unsigned long long)(q >> 16));
		if (len < sizeof(out) - 1)
			out[len++] = (char)fx.regs.r[EMU_RAX];
		skip(&fx);
	}
	t1 = now();
	if (strcmp(out, greeting) != 0)
		fail("boot64: the guest printed \"%s\"", out);
	if (fx.regs.r[EMU_RBX] != want_rbx)
		fail("boot64: RBX %#llx after %u iterations, want %#llx",
		    (unsigned long long)fx.regs.r[EMU_RBX], n,
		    (unsigned long long)want_rbx);
	*retired = emu_cpu_vtime(fx.cpu);
	fx_fini(&fx);
	return (t1 - t0);
}

/* A copy of boot64.bin with its loop count set to n, in a temporary file. */
static void
boot64_image(uint32_t n, char *path, size_t len)
{
	uint8_t *img;
	const char *tmp;
	int fd;

	if ((img = malloc(FX_ROM_SIZE)) == NULL)
		fail("malloc");
	if (load_file("boot64.bin", img, FX_ROM_SIZE) != FX_ROM_SIZE)
		fail("boot64.bin is not 64 KiB");
	memcpy(img + ROM_LOOPS_OFF, &n, 4);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(path, len, "%s/bench_emu.XXXXXX", tmp);
	if ((fd = mkstemp(path)) == -1)
		fail("mkstemp %s: %s", path, strerror(errno));
	if (write(fd, img, FX_ROM_SIZE) != (ssize_t)FX_ROM_SIZE)
		fail("write %s: %s", path, strerror(errno));
	close(fd);
	free(img);
}

/*
 * Run QEMU on an image to its debug exit; the seconds from fork to exit.
 * The guest's `out 0xF4, al` with AL = 0 makes QEMU exit with (0 << 1) | 1.
 */
static double
qemu_run(const char *qemu, const char *img, int icount)
{
	char *argv[20];
	int argc = 0, status, fd;
	pid_t pid;
	double t0, t1;

	argv[argc++] = (char *)qemu;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-bios";
	argv[argc++] = (char *)img;
	argv[argc++] = "-serial";
	argv[argc++] = "none";
	argv[argc++] = "-device";
	argv[argc++] = "isa-debug-exit,iobase=0xf4,iosize=1";
	if (icount) {
		argv[argc++] = "-icount";
		argv[argc++] = "shift=0,sleep=off";
	}
	argv[argc] = NULL;

	t0 = now();
	if ((pid = fork()) == -1)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execvp(qemu, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		fail("waitpid: %s", strerror(errno));
	t1 = now();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fail("%s%s on %s: status %#x, not the debug exit (1)", qemu,
		    icount ? " -icount" : "", img, status);
	return (t1 - t0);
}

static void
bench_mips(const char *qemu, uint32_t n1, uint32_t n2)
{
	uint32_t n[2] = { n1, n2 };
	uint64_t rbx[2], retired[2], r;
	double t[3][2], v[NRUNS], mips[3];
	char img[2][1024];
	int k, i, e, neng = qemu != NULL ? 3 : 1;

	for (k = 0; k < 2; k++)
		rbx[k] = boot64_rbx(n[k]);
	if (qemu != NULL)
		for (k = 0; k < 2; k++)
			boot64_image(n[k], img[k], sizeof(img[k]));
	/*
	 * Engine 0: vmmsim, 1: QEMU -icount, 2: QEMU.  The runs of the
	 * engines are interleaved so that a change in the machine's load
	 * hits them alike.
	 */
	for (k = 0; k < 2; k++) {
		for (e = 0; e < neng; e++) {
			for (i = 0; i < NRUNS; i++) {
				if (e == 0) {
					v[i] = vmmsim_boot64(n[k], rbx[k], &r);
					if (i > 0 && r != retired[k])
						fail("boot64: %llu then %llu "
						    "instructions: not "
						    "deterministic",
						    (unsigned long long)
						    retired[k],
						    (unsigned long long)r);
					retired[k] = r;
				} else
					v[i] = qemu_run(qemu, img[k], e == 1);
			}
			t[e][k] = median(v, NRUNS);
		}
	}
	if (retired[1] - retired[0] != 4ULL * (n2 - n1))
		fail("boot64: %llu more instructions for %u more iterations, "
		    "want 4 per iteration", (unsigned long long)(retired[1] -
		    retired[0]), n2 - n1);
	for (e = 0; e < neng; e++) {
		if (t[e][1] <= t[e][0])
			fail("engine %d: %u iterations took no longer than %u",
			    e, n2, n1);
		mips[e] = 4.0 * (n2 - n1) / (t[e][1] - t[e][0]) / 1e6;
	}
	if (qemu != NULL) {
		report("guest-mips", mips[0], "MIPS", "qemu-icount", mips[1]);
		report("guest-mips-plain", mips[0], "MIPS", "qemu-tcg",
		    mips[2]);
		fprintf(stderr, "# qemu -icount %.0f MIPS, qemu %.0f MIPS; "
		    "medians (s): vmmsim %.3f/%.3f, qemu -icount %.3f/%.3f, "
		    "qemu %.3f/%.3f at %u/%u iterations\n", mips[1], mips[2],
		    t[0][0], t[0][1], t[1][0], t[1][1], t[2][0], t[2][1],
		    n1, n2);
		for (k = 0; k < 2; k++)
			unlink(img[k]);
	} else {
		report("guest-mips", mips[0], "MIPS", NULL, 0);
		fprintf(stderr, "# no QEMU: no ratios; medians (s): vmmsim "
		    "%.3f/%.3f at %u/%u iterations\n", t[0][0], t[0][1], n1,
		    n2);
	}
}

/* --- VM exit round trips: bench_ioloop.bin ------------------------------- */

enum io_entry { IO_SITE1, IO_SITE16, IO_SITE256, IO_PAGES };

static const unsigned io_sites[] = { 1, 16, 256, 1 };

/*
 * The monitor's exit loop, the thing measured: every exit is an OUT to
 * port 0x80, handled as a kernel would handle it on VT-x (VMREAD reason,
 * qualification, length and RIP; VMWRITE RIP; VMRESUME) until the guest's
 * debug exit.  The number of VMRESUMEs.  Not inlined, so that a profiler
 * can be told to look only at it (callgrind --toggle-collect=io_exit_loop).
 */
static uint64_t __attribute__((noinline))
io_exit_loop(struct fx *fx, uint32_t reason)
{
	uint64_t q, len, rip, exits = 0;

	for (;;) {
		if (reason != VMX_EXIT_IO)
			fail("ioloop: exit reason %u at RIP %#llx", reason,
			    (unsigned long long)vmread(fx,
			    VMCS_GUEST_IA32_RIP));
		q = vmread(fx, VMCS_GUEST_EXIT_QUALIFICATION);
		len = vmread(fx, VMCS_INSTRUCTION_LENGTH);
		rip = vmread(fx, VMCS_GUEST_IA32_RIP);
		if ((q >> 16) == EXIT_PORT)
			return (exits);
		/* out imm8, al: size 1, OUT, not string, immediate. */
		if (q != (((uint64_t)IO_PORT << 16) | (1 << 6)) || len != 2)
			fail("ioloop: qualification %#llx length %llu",
			    (unsigned long long)q, (unsigned long long)len);
		exits++;
		vmwrite(fx, VMCS_GUEST_IA32_RIP, rip + len);
		reason = fx_run(fx, 0);
	}
}

/*
 * Run the guest's entry e for `iters` iterations (with `pages` pages
 * written per iteration for IO_PAGES); the seconds spent in the exit loop,
 * and in *nexits the VM exits it handled.  The first VM entry (VMLAUNCH,
 * which decodes and translates the guest's code) is not timed.
 */
static double
io_run(enum io_entry e, uint64_t iters, unsigned pages, uint64_t *nexits)
{
	struct fx fx;
	uint64_t entry, exits, want, i, v;
	uint32_t reason;
	double t0, t1;

	fx_init(&fx);
	load_file("bench_ioloop.bin", fx.ram + IO_GPA, FX_RAM_SIZE - IO_GPA);
	memcpy(&entry, fx.ram + IO_GPA + 8 * e, 8);
	fx_guest_long(&fx, entry);
	fx.regs.r[EMU_RCX] = iters;
	fx.regs.r[EMU_RSI] = pages;
	fx.regs.r[EMU_RDI] = IO_PAGES_GPA;
	want = iters * io_sites[e];

	reason = fx_run(&fx, 1);
	t0 = now();
	exits = io_exit_loop(&fx, reason);
	t1 = now();
	if (exits != want || fx.regs.r[EMU_RBX] != iters)
		fail("ioloop: %llu exits and RBX %llu, want %llu and %llu",
		    (unsigned long long)exits,
		    (unsigned long long)fx.regs.r[EMU_RBX],
		    (unsigned long long)want, (unsigned long long)iters);
	for (i = 0; e == IO_PAGES && i < pages; i++) {
		memcpy(&v, fx.ram + IO_PAGES_GPA + i * 4096, 8);
		if (v != 1)
			fail("ioloop: page %llu holds %llu, want 1",
			    (unsigned long long)i, (unsigned long long)v);
	}
	fx_fini(&fx);
	*nexits = exits;	/* one VMRESUME timed per exit */
	return (t1 - t0);
}

/* Exits per second for one variant: median of NRUNS. */
static double
io_rate(enum io_entry e, uint64_t exits, unsigned pages)
{
	double v[NRUNS], t;
	uint64_t n = 0, iters;
	int i;

	iters = exits / io_sites[e];
	if (iters == 0)
		iters = 1;
	for (i = 0; i < NRUNS; i++) {
		t = io_run(e, iters, pages, &n);
		v[i] = n / t;
	}
	return (median(v, NRUNS));
}

static void
bench_io(uint64_t exits)
{
	double base, r;
	char name[64];
	static const unsigned sites[] = { 16, 256 };
	static const enum io_entry site_entry[] = { IO_SITE16, IO_SITE256 };
	static const unsigned pages[] = { 1, 64, 512 };
	size_t i;

	base = io_rate(IO_SITE1, exits, 0);
	report("emu-io-exits", base, "exits/s", NULL, 0);
	for (i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		r = io_rate(site_entry[i], exits, 0);
		snprintf(name, sizeof(name), "emu-io-exits-%u-sites", sites[i]);
		report(name, r, "exits/s", NULL, 0);
	}
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		/* Fewer exits where each one writes many pages. */
		r = io_rate(IO_PAGES, pages[i] > 64 ? exits / 64 : exits,
		    pages[i]);
		snprintf(name, sizeof(name), "emu-io-exits-%u-pages", pages[i]);
		report(name, r, "exits/s", NULL, 0);
	}
}

/* --- main ------------------------------------------------------------------ */

static const char *
find_qemu(const char *name)
{
	static char path[1024];
	const char *p, *e;
	size_t n;

	if (strchr(name, '/') != NULL)
		return (access(name, X_OK) == 0 ? name : NULL);
	if ((p = getenv("PATH")) == NULL)
		p = "/usr/bin:/bin";
	for (; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		snprintf(path, sizeof(path), "%.*s/%s", (int)n, p, name);
		if (access(path, X_OK) == 0)
			return (path);
	}
	return (NULL);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_emu [-s] [-q qemu | -Q] [-t testdata] "
	    "[-n exits] [-p pages] [mips | io | profile] ...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *qemu_name = "qemu-system-x86_64", *qemu;
	uint32_t n1 = 2000000, n2 = 200000000;
	uint64_t exits = 500000, n;
	unsigned ppages = 0;
	int ch, i, noqemu = 0, did = 0;
	char *end;

	if ((end = getenv("TESTDATA_DIR")) != NULL && *end != '\0')
		testdata = end;
	while ((ch = getopt(argc, argv, "n:p:Qq:st:")) != -1) {
		switch (ch) {
		case 'p':
			ppages = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || ppages > 512)
				usage();
			break;
		case 'n':
			exits = strtoull(optarg, &end, 10);
			if (*end != '\0' || exits == 0)
				usage();
			break;
		case 'Q':
			noqemu = 1;
			break;
		case 'q':
			qemu_name = optarg;
			break;
		case 's':		/* short: a smoke test, not a figure */
			n1 = 200000;
			n2 = 20000000;
			exits = 50000;
			break;
		case 't':
			testdata = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	qemu = noqemu ? NULL : find_qemu(qemu_name);
	if (!noqemu && qemu == NULL)
		fprintf(stderr, "# %s not found: no QEMU ratios\n", qemu_name);
	for (i = 0; i < argc || (argc == 0 && did < 2); i++, did++) {
		const char *what = argc == 0 ? (did == 0 ? "mips" : "io") :
		    argv[i];

		if (strcmp(what, "mips") == 0)
			bench_mips(qemu, n1, n2);
		else if (strcmp(what, "io") == 0)
			bench_io(exits);
		else if (strcmp(what, "profile") == 0) {
			double t = io_run(ppages > 0 ? IO_PAGES : IO_SITE1,
			    exits, ppages, &n);

			report("emu-io-exits-profile", n / t, "exits/s", NULL,
			    0);
		} else
			usage();
	}
	return (0);
}
