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
 * vmmsim vmcs and vmmsim ept: the snapshots of a trace explained.
 *
 * vmcs prints a VMCS field by field in the SDM's groups (Vol. 3C
 * §25.4-§25.9), control fields and control registers with their set bits
 * named, or a VMCB by its APM areas (control area, state save area); with
 * --diff, only what differs between two snapshots.  ept walks a
 * guest-physical address through the EPT (SDM §29.3.2) or NPT (APM
 * §15.25.5) tables the snapshot holds, one level a line, and says where
 * it ends: the host-physical address, or the EPT violation, EPT
 * misconfiguration (§29.3.3.1) or nested page fault it would raise.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/svm_vmcb.h"
#include "emu/vmcs_fields.h"
#include "trace.h"

#define EPT_ADDR	0x000FFFFFFFFFF000ULL
#define MAXPHYADDR	46
#define NOBIT		NULL

/* Names of bits, bit 0 first; NULL for a bit without a name here. */
struct bitnames {
	const char	*field;		/* VMCS or VMCB field name */
	const char	*bits[64];
};

static const struct bitnames bit_tables[] = {
	{ "VMCS_PINBASED_CTLS", { "external-interrupt exiting", NOBIT, NOBIT,
	    "NMI exiting", NOBIT, "virtual NMIs",
	    "activate VMX-preemption timer", "process posted interrupts" } },
	{ "VMCS_PROCBASED_CTLS", { NOBIT, NOBIT, "interrupt-window exiting",
	    "use TSC offsetting", NOBIT, NOBIT, NOBIT, "HLT exiting", NOBIT,
	    "INVLPG exiting", "MWAIT exiting", "RDPMC exiting",
	    "RDTSC exiting", NOBIT, NOBIT, "CR3-load exiting",
	    "CR3-store exiting", "activate tertiary controls", NOBIT,
	    "CR8-load exiting", "CR8-store exiting", "use TPR shadow",
	    "NMI-window exiting", "MOV-DR exiting",
	    "unconditional I/O exiting", "use I/O bitmaps", NOBIT,
	    "monitor trap flag", "use MSR bitmaps", "MONITOR exiting",
	    "PAUSE exiting", "activate secondary controls" } },
	{ "VMCS_PROCBASED2_CTLS", { "virtualize APIC accesses", "enable EPT",
	    "descriptor-table exiting", "enable RDTSCP",
	    "virtualize x2APIC mode", "enable VPID", "WBINVD exiting",
	    "unrestricted guest", "APIC-register virtualization",
	    "virtual-interrupt delivery", "PAUSE-loop exiting",
	    "RDRAND exiting", "enable INVPCID", "enable VM functions",
	    "VMCS shadowing", "enable ENCLS exiting", "RDSEED exiting",
	    "enable PML", "EPT-violation #VE", "conceal VMX from PT",
	    "enable XSAVES/XRSTORS", NOBIT, "mode-based execute control",
	    "sub-page write permissions", "PT uses guest physical addresses",
	    "use TSC scaling", "enable user wait and pause",
	    "enable PCONFIG", "enable ENCLV exiting" } },
	{ "VMCS_EXIT_CTLS", { NOBIT, NOBIT, "save debug controls", NOBIT,
	    NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, "host address-space size",
	    NOBIT, NOBIT, "load IA32_PERF_GLOBAL_CTRL", NOBIT, NOBIT,
	    "acknowledge interrupt on exit", NOBIT, NOBIT, "save IA32_PAT",
	    "load IA32_PAT", "save IA32_EFER", "load IA32_EFER",
	    "save VMX-preemption timer value", "clear IA32_BNDCFGS",
	    "conceal VMX from PT", "clear IA32_RTIT_CTL",
	    "clear IA32_LBR_CTL", NOBIT, "load CET state", "load PKRS",
	    "save IA32_PERF_GLOBAL_CTL", "activate secondary controls" } },
	{ "VMCS_ENTRY_CTLS", { NOBIT, NOBIT, "load debug controls", NOBIT,
	    NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, "IA-32e mode guest",
	    "entry to SMM", "deactivate dual-monitor treatment", NOBIT,
	    "load IA32_PERF_GLOBAL_CTRL", "load IA32_PAT", "load IA32_EFER",
	    "load IA32_BNDCFGS", "conceal VMX from PT",
	    "load IA32_RTIT_CTL", NOBIT, "load CET state",
	    "load IA32_LBR_CTL", "load PKRS" } },
	{ "CR0", { "PE", "MP", "EM", "TS", "ET", "NE", NOBIT, NOBIT, NOBIT,
	    NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, "WP", NOBIT,
	    "AM", NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT,
	    NOBIT, NOBIT, "NW", "CD", "PG" } },
	{ "CR4", { "VME", "PVI", "TSD", "DE", "PSE", "PAE", "MCE", "PGE",
	    "PCE", "OSFXSR", "OSXMMEXCPT", "UMIP", "LA57", "VMXE", "SMXE",
	    NOBIT, "FSGSBASE", "PCIDE", "OSXSAVE", NOBIT, "SMEP", "SMAP",
	    "PKE", "CET", "PKS" } },
	{ "EFER", { "SCE", NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT, NOBIT,
	    "LME", NOBIT, "LMA", "NXE", "SVME", "LMSLE", "FFXSR", "TCE" } },
	{ "RFLAGS", { "CF", "1", "PF", NOBIT, "AF", NOBIT, "ZF", "SF", "TF",
	    "IF", "DF", "OF", NOBIT, NOBIT, "NT", NOBIT, "RF", "VM", "AC",
	    "VIF", "VIP", "ID" } },
	{ "VMCB_INTERCEPT_MISC1", { "INTR", "NMI", "SMI", "INIT", "VINTR",
	    "CR0 selective write", "IDTR read", "GDTR read", "LDTR read",
	    "TR read", "IDTR write", "GDTR write", "LDTR write", "TR write",
	    "RDTSC", "RDPMC", "PUSHF", "POPF", "CPUID", "RSM", "IRET",
	    "INTn", "INVD", "PAUSE", "HLT", "INVLPG", "INVLPGA",
	    "IOIO_PROT", "MSR_PROT", "task switch", "FERR_FREEZE",
	    "shutdown" } },
	{ "VMCB_INTERCEPT_MISC2", { "VMRUN", "VMMCALL", "VMLOAD", "VMSAVE",
	    "STGI", "CLGI", "SKINIT", "RDTSCP", "ICEBP", "WBINVD", "MONITOR",
	    "MWAIT", "MWAIT conditional", "XSETBV", "RDPRU",
	    "EFER write trap" } }
};

/* Which bit table a field's value is spelled out with, if any. */
static const struct bitnames *
bits_for(const char *name)
{
	static const struct {
		const char *field, *table;
	} alias[] = {
		{ "VMCS_GUEST_IA32_CR0", "CR0" }, { "VMCS_HOST_IA32_CR0", "CR0" },
		{ "VMCS_CR0_MASK", "CR0" }, { "VMCS_CR0_READ_SHADOW", "CR0" },
		{ "VMCS_GUEST_IA32_CR4", "CR4" }, { "VMCS_HOST_IA32_CR4", "CR4" },
		{ "VMCS_CR4_MASK", "CR4" }, { "VMCS_CR4_READ_SHADOW", "CR4" },
		{ "VMCS_GUEST_IA32_EFER", "EFER" },
		{ "VMCS_HOST_IA32_EFER", "EFER" },
		{ "VMCS_GUEST_IA32_RFLAGS", "RFLAGS" },
		{ "VMCB_CR0", "CR0" }, { "VMCB_CR4", "CR4" },
		{ "VMCB_EFER", "EFER" }, { "VMCB_RFLAGS", "RFLAGS" }
	};
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(alias[i].field, name) == 0) {
			name = alias[i].table;
			break;
		}
	for (i = 0; i < sizeof(bit_tables) / sizeof(bit_tables[0]); i++)
		if (strcmp(bit_tables[i].field, name) == 0)
			return (&bit_tables[i]);
	return (NULL);
}

static void
print_bits(const struct bitnames *b, uint64_t v, FILE *out)
{
	int i, first = 1;

	for (i = 0; i < 64; i++) {
		if (!(v & (1ULL << i)))
			continue;
		if (b->bits[i] != NULL)
			fprintf(out, "%s%s", first ? "  " : ", ", b->bits[i]);
		else
			fprintf(out, "%sbit %d", first ? "  " : ", ", i);
		first = 0;
	}
}

/* What a field's value says besides its number. */
static void
print_decoded(int vendor, const char *name, uint64_t v, FILE *out)
{
	const struct bitnames *b = bits_for(name);
	char buf[48];

	if (b != NULL) {
		print_bits(b, v, out);
		return;
	}
	if (strcmp(name, "VMCS_EXIT_REASON") == 0 ||
	    strcmp(name, "VMCB_EXITCODE") == 0)
		fprintf(out, "  %s", trace_reason_name(vendor, v, buf,
		    sizeof(buf)));
	else if (strcmp(name, "VMCS_GUEST_IA32_EPTP") == 0)
		fprintf(out, "  memory type %u, %u-level walk, A/D %s, root "
		    "%#llx", (unsigned)(v & 7), (unsigned)((v >> 3) & 7) + 1,
		    (v & 0x40) ? "on" : "off",
		    (unsigned long long)(v & EPT_ADDR));
	else if (strcmp(name, "VMCS_INSTRUCTION_ERROR") == 0 && v != 0 &&
	    vmx_instruction_error_name((uint32_t)v) != NULL)
		fprintf(out, "  %s", vmx_instruction_error_name((uint32_t)v));
}

/* --- finding snapshots ----------------------------------------------------- */

/*
 * The snapshot at exit seq (or the first one when seq is UINT64_MAX;
 * with nested, the first of L1's VMCS or VMCB), with the exit's record.
 * 0, or -1 after a message.
 */
static int
find_snap(const char *path, uint64_t seq, int nested, int *vendor,
    struct trace_snap *sn, struct trace_exit *ex, int *have_exit)
{
	struct trace_file tf;
	struct trace_exit e;
	struct trace_snap s;
	int type, n;

	*have_exit = 0;
	if (trace_open(path, &tf) != 0)
		return (-1);
	*vendor = tf.vendor;
	memset(&s, 0, sizeof(s));
	while ((n = trace_next(&tf, &type, &e, &s)) == 1) {
		if (type == VMMSIM_TREC_EXIT) {
			if (seq == UINT64_MAX || e.seq == seq) {
				*ex = e;
				*have_exit = 1;
			}
			continue;
		}
		if (nested && !(s.flags & VMMSIM_TREC_NESTED)) {
			free(s.rec);
			continue;
		}
		if (seq == UINT64_MAX || s.seq == seq) {
			*sn = s;
			if (*have_exit && ex->seq != s.seq)
				*have_exit = 0;
			trace_close(&tf);
			return (0);
		}
		free(s.rec);
	}
	trace_close(&tf);
	if (n == 0) {
		if (seq == UINT64_MAX)
			fprintf(stderr, "vmmsim: %s has no %ssnapshot (record "
			    "some with --snap N or VMMSIM_TRACE_SNAP)\n", path,
			    nested ? "nested " : "");
		else
			fprintf(stderr, "vmmsim: %s has no snapshot at exit "
			    "%llu (record it with --snap %llu or "
			    "VMMSIM_TRACE_SNAP)\n", path,
			    (unsigned long long)seq, (unsigned long long)seq);
	}
	return (-1);
}

/* A field's value in an Intel snapshot: 1 if present. */
static int
snap_field(const struct trace_snap *s, uint32_t enc, uint64_t *v)
{
	const uint8_t *p = s->rec + VMMSIM_TSNAP_DATA;
	uint32_t i;

	for (i = 0; i < s->count; i++, p += VMMSIM_TSNAP_FIELD_SIZE)
		if (trace_get32(p) == enc) {
			*v = trace_get64(p + 8);
			return (1);
		}
	return (0);
}

static const uint8_t *
snap_vmcb(const struct trace_snap *s)
{
	return (s->rec + VMMSIM_TSNAP_DATA);
}

/* A nested page-table page of the snapshot, or NULL. */
static const uint8_t *
snap_page(const struct trace_snap *s, int vendor, uint64_t hpa)
{
	const uint8_t *p = s->rec + VMMSIM_TSNAP_DATA + (vendor ==
	    VMMSIM_TRACE_VENDOR_INTEL ? (size_t)s->count *
	    VMMSIM_TSNAP_FIELD_SIZE : VMMSIM_TSNAP_VMCB_SIZE);
	uint32_t i;

	for (i = 0; i < s->npages; i++, p += VMMSIM_TSNAP_PAGE_SIZE)
		if (trace_get64(p) == hpa)
			return (p + 8);
	return (NULL);
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (end == s || *end != '\0' || errno != 0 || *s == '-' ? -1 : 0);
}

static int
width_digits(const char *name, int vendor, unsigned width)
{
	const struct vmcs_field *f;

	if (vendor == VMMSIM_TRACE_VENDOR_AMD)
		return ((int)width * 2);
	if ((f = vmcs_field_by_name(name)) == NULL)
		return (16);
	switch (f->width) {
	case VMCS_W16:
		return (4);
	case VMCS_W32:
		return (8);
	default:
		return (16);
	}
}

/* --- vmmsim vmcs ----------------------------------------------------------- */

static void
print_exit_header(int vendor, const struct trace_snap *s,
    const struct trace_exit *e, int have_exit, FILE *out)
{
	fprintf(out, "%s of vm%u/%u at exit #%llu%s\n", vendor ==
	    VMMSIM_TRACE_VENDOR_AMD ? "VMCB" : "VMCS", s->vm, s->vcpu,
	    (unsigned long long)s->seq, (s->flags & VMMSIM_TREC_NESTED) ?
	    " (the guest's hypervisor's, at its guest's exit)" : "");
	if (have_exit) {
		fputs("  ", out);
		trace_format_exit(vendor, e, out);
		fputc('\n', out);
	}
}

static void
dump_vmcs(const struct trace_snap *s, FILE *out)
{
	uint64_t v;
	int g, d;
	size_t i;

	for (g = 0; g < VMCS_G_NGROUPS; g++) {
		fprintf(out, "\n%s (SDM Vol. 3C %s)\n", vmcs_group_name(g),
		    g == VMCS_G_GUEST ? "25.4" : g == VMCS_G_HOST ? "25.5" :
		    g == VMCS_G_EXEC_CTL ? "25.6" : g == VMCS_G_EXIT_CTL ?
		    "25.7" : g == VMCS_G_ENTRY_CTL ? "25.8" : "25.9");
		for (i = 0; i < VMCS_NFIELDS; i++) {
			if ((int)vmcs_fields[i].group != g ||
			    !snap_field(s, vmcs_fields[i].encoding, &v))
				continue;
			d = width_digits(vmcs_fields[i].name,
			    VMMSIM_TRACE_VENDOR_INTEL, 8);
			fprintf(out, "  %-40s 0x%0*llx",
			    vmcs_fields[i].name + 5, d,
			    (unsigned long long)v);
			print_decoded(VMMSIM_TRACE_VENDOR_INTEL,
			    vmcs_fields[i].name, v, out);
			fputc('\n', out);
		}
	}
}

static uint64_t
vmcb_value(const uint8_t *vmcb, const struct vmcb_field *f, uint64_t *hi)
{
	*hi = f->width == 16 ? vmcb_read(vmcb, f->offset + 8, 8) : 0;
	return (vmcb_read(vmcb, f->offset, f->width == 16 ? 8 : f->width));
}

static void
print_vmcb_value(const struct vmcb_field *f, uint64_t v, uint64_t hi,
    FILE *out)
{
	if (f->width == 16)
		fprintf(out, "0x%016llx%016llx", (unsigned long long)hi,
		    (unsigned long long)v);
	else
		fprintf(out, "0x%0*llx", (int)f->width * 2,
		    (unsigned long long)v);
}

static void
dump_vmcb(const struct trace_snap *s, FILE *out)
{
	const uint8_t *vmcb = snap_vmcb(s);
	uint64_t v, hi;
	size_t i;
	int area;

	for (area = 0; area < 2; area++) {
		fprintf(out, "\n%s (APM Vol. 2 %s)\n", area == 0 ?
		    "control area" : "state save area", area == 0 ?
		    "Table B-1" : "Table B-2");
		for (i = 0; i < vmcb_nfields; i++) {
			const struct vmcb_field *f = &vmcb_fields[i];

			if ((f->offset >= 0x400) != area)
				continue;
			v = vmcb_value(vmcb, f, &hi);
			fprintf(out, "  %-24s +%03x ", f->name + 5, f->offset);
			print_vmcb_value(f, v, hi, out);
			print_decoded(VMMSIM_TRACE_VENDOR_AMD, f->name, v, out);
			fputc('\n', out);
		}
	}
}

/* The bits a field gained and lost, named. */
static void
print_bit_diff(const char *name, uint64_t a, uint64_t b, FILE *out)
{
	const struct bitnames *t = bits_for(name);
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < 64; i++) {
		uint64_t m = 1ULL << i;

		if ((a & m) == (b & m))
			continue;
		if (t->bits[i] != NULL)
			fprintf(out, " %c%s", (b & m) ? '+' : '-', t->bits[i]);
		else
			fprintf(out, " %cbit %d", (b & m) ? '+' : '-', i);
	}
}

static int
diff_snaps(int vendor, const struct trace_snap *a, const struct trace_snap *b,
    FILE *out)
{
	uint64_t va = 0, vb = 0, ha, hb;
	int pa, pb, n = 0;
	size_t i;

	fprintf(out, "%s: exit #%llu -> exit #%llu\n", vendor ==
	    VMMSIM_TRACE_VENDOR_AMD ? "VMCB" : "VMCS",
	    (unsigned long long)a->seq, (unsigned long long)b->seq);
	if (vendor == VMMSIM_TRACE_VENDOR_AMD) {
		for (i = 0; i < vmcb_nfields; i++) {
			const struct vmcb_field *f = &vmcb_fields[i];

			va = vmcb_value(snap_vmcb(a), f, &ha);
			vb = vmcb_value(snap_vmcb(b), f, &hb);
			if (va == vb && ha == hb)
				continue;
			fprintf(out, "  %-24s ", f->name + 5);
			print_vmcb_value(f, va, ha, out);
			fputs(" -> ", out);
			print_vmcb_value(f, vb, hb, out);
			print_bit_diff(f->name, va, vb, out);
			fputc('\n', out);
			n++;
		}
	} else {
		for (i = 0; i < VMCS_NFIELDS; i++) {
			pa = snap_field(a, vmcs_fields[i].encoding, &va);
			pb = snap_field(b, vmcs_fields[i].encoding, &vb);
			if (pa == pb && (!pa || va == vb))
				continue;
			fprintf(out, "  %-40s %s%#llx -> %s%#llx",
			    vmcs_fields[i].name + 5, pa ? "" : "(none) ",
			    (unsigned long long)(pa ? va : 0), pb ? "" :
			    "(none) ", (unsigned long long)(pb ? vb : 0));
			print_bit_diff(vmcs_fields[i].name, va, vb, out);
			fputc('\n', out);
			n++;
		}
	}
	fprintf(out, "%d field%s differ%s\n", n, n == 1 ? "" : "s",
	    n == 1 ? "s" : "");
	return (0);
}

int
vmmsim_cmd_vmcs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exit", required_argument, NULL, 'e' },
		{ "diff", required_argument, NULL, 'd' },
		{ "nested", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct trace_snap a, b;
	struct trace_exit ea, eb;
	uint64_t seq = UINT64_MAX, dseq = UINT64_MAX;
	int c, vendor, have, diff = 0, rc, nested = 0;

	while ((c = getopt_long(argc, argv, "e:d:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nested = 1;
			break;
		case 'e':
			if (parse_u64(optarg, &seq) != 0)
				goto usage;
			break;
		case 'd':
			if (parse_u64(optarg, &dseq) != 0)
				goto usage;
			diff = 1;
			break;
		case 'h':
			printf("usage: vmmsim vmcs FILE [--exit N] [--nested] "
			    "[--diff M]\n");
			return (0);
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (find_snap(argv[optind], seq, nested, &vendor, &a, &ea, &have) !=
	    0)
		return (1);
	if (!diff) {
		print_exit_header(vendor, &a, &ea, have, stdout);
		if (vendor == VMMSIM_TRACE_VENDOR_AMD)
			dump_vmcb(&a, stdout);
		else
			dump_vmcs(&a, stdout);
		free(a.rec);
		return (fflush(stdout) == 0 ? 0 : 1);
	}
	if (find_snap(argv[optind], dseq, nested, &vendor, &b, &eb, &have) !=
	    0) {
		free(a.rec);
		return (1);
	}
	rc = diff_snaps(vendor, &a, &b, stdout);
	free(a.rec);
	free(b.rec);
	return (rc == 0 && fflush(stdout) == 0 ? 0 : 1);
usage:
	fprintf(stderr, "usage: vmmsim vmcs FILE [--exit N] [--nested] "
	    "[--diff M]\n");
	return (2);
}

/* --- vmmsim ept ------------------------------------------------------------ */

static const char *const ept_level_names[] = { NULL, "PTE", "PDE", "PDPTE",
	"PML4E" };
static const char *const ept_memtypes[] = { "UC", "WC", "2?", "3?", "WT",
	"WP", "WB", "7?" };

/*
 * An EPT entry's misconfiguration (SDM 29.3.3.1), or NULL: write without
 * read, a reserved memory type in a leaf, reserved bits set.
 */
static const char *
ept_misconfig(uint64_t e, int level, int leaf)
{
	unsigned mt = (unsigned)(e >> 3) & 7;

	if ((e & 3) == 2)
		return ("writable but not readable");
	if (e & (((1ULL << 52) - 1) & ~((1ULL << MAXPHYADDR) - 1)))
		return ("reserved address bits above MAXPHYADDR set");
	if (!leaf && (e & 0x78))
		return ("reserved bits 6:3 set in a non-leaf entry");
	if (level == 4 && (e & 0x80))
		return ("bit 7 set in a PML4E");
	if (leaf && (mt == 2 || mt == 3 || mt == 7))
		return ("reserved memory type in a leaf");
	if (leaf && level == 3 && (e & 0x3FFFF000ULL))
		return ("1-GiB page with address bits 29:12 set");
	if (leaf && level == 2 && (e & 0x1FF000ULL))
		return ("2-MiB page with address bits 20:12 set");
	return (NULL);
}

static int
ept_walk(const struct trace_snap *s, uint64_t gpa, int access, FILE *out)
{
	uint64_t eptp = s->root, table = eptp & EPT_ADDR, ea, e, hpa;
	unsigned perm = 7, idx;
	const uint8_t *page;
	const char *why;
	int level, leaf, shift;

	fprintf(out, "EPTP %#llx: memory type %s, %u-level walk, accessed/"
	    "dirty flags %s, PML4 table at HPA %#llx\n",
	    (unsigned long long)eptp, ept_memtypes[eptp & 7],
	    (unsigned)((eptp >> 3) & 7) + 1, (eptp & 0x40) ? "on" : "off",
	    (unsigned long long)table);
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		idx = (unsigned)(gpa >> shift) & 0x1FF;
		ea = table + 8ULL * idx;
		if ((page = snap_page(s, VMMSIM_TRACE_VENDOR_INTEL,
		    table)) == NULL) {
			fprintf(out, "  %-5s table at HPA %#llx is not in the "
			    "snapshot\n", ept_level_names[level],
			    (unsigned long long)table);
			return (1);
		}
		e = trace_get64(page + 8 * idx);
		fprintf(out, "  %-5s [%3u] at HPA %#llx = 0x%016llx  %c%c%c",
		    ept_level_names[level], idx, (unsigned long long)ea,
		    (unsigned long long)e, (e & 1) ? 'R' : '-',
		    (e & 2) ? 'W' : '-', (e & 4) ? 'X' : '-');
		if ((e & 7) == 0) {
			fprintf(out, "  not present\n");
			fprintf(out, "EPT violation: gpa %#llx, %s, the %s is "
			    "not present (qualification bits 5:3 = 000)\n",
			    (unsigned long long)gpa, access == 1 ? "read" :
			    access == 2 ? "write" : "fetch",
			    ept_level_names[level]);
			return (0);
		}
		leaf = level == 1 || (level <= 3 && (e & 0x80));
		if (leaf)
			fprintf(out, "  %s%s, memory type %s%s%s%s",
			    level == 1 ? "4-KiB page" : level == 2 ?
			    "2-MiB page" : "1-GiB page", "",
			    ept_memtypes[(e >> 3) & 7], (e & 0x40) ?
			    ", ignore PAT" : "", (e & 0x100) ? ", accessed" :
			    "", (e & 0x200) ? ", dirty" : "");
		else
			fprintf(out, "  next table at HPA %#llx%s",
			    (unsigned long long)(e & EPT_ADDR),
			    (e & 0x100) ? ", accessed" : "");
		fputc('\n', out);
		if ((why = ept_misconfig(e, level, leaf)) != NULL) {
			fprintf(out, "EPT misconfiguration: gpa %#llx, the "
			    "%s is %s\n", (unsigned long long)gpa,
			    ept_level_names[level], why);
			return (0);
		}
		perm &= (unsigned)(e & 7);
		if (leaf) {
			hpa = (e & EPT_ADDR & ~((1ULL << shift) - 1)) |
			    (gpa & ((1ULL << shift) - 1));
			if (!(perm & (unsigned)access)) {
				fprintf(out, "EPT violation: gpa %#llx, %s not "
				    "allowed, the walk grants %c%c%c "
				    "(qualification bits 5:3)\n",
				    (unsigned long long)gpa, access == 1 ?
				    "read" : access == 2 ? "write" : "fetch",
				    (perm & 1) ? 'r' : '-',
				    (perm & 2) ? 'w' : '-',
				    (perm & 4) ? 'x' : '-');
				return (0);
			}
			fprintf(out, "gpa %#llx -> HPA %#llx\n",
			    (unsigned long long)gpa, (unsigned long long)hpa);
			return (0);
		}
		table = e & EPT_ADDR;
	}
	return (1);
}

static const char *const npt_level_names[] = { NULL, "PTE", "PDE", "PDPE",
	"PML4E" };

/*
 * NPT: AMD64 long-mode entries; every nested access is a user access
 * (APM §15.25.5), so U/S must be set along the whole walk.
 */
static int
npt_walk(const struct trace_snap *s, uint64_t gpa, int access, FILE *out)
{
	uint64_t table = s->root & EPT_ADDR, e, ea, hpa;
	int level, leaf, shift, w = 1, u = 1, x = 1;
	const uint8_t *page;
	unsigned idx;

	fprintf(out, "nCR3 %#llx: PML4 table at HPA %#llx\n",
	    (unsigned long long)s->root, (unsigned long long)table);
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		idx = (unsigned)(gpa >> shift) & 0x1FF;
		ea = table + 8ULL * idx;
		if ((page = snap_page(s, VMMSIM_TRACE_VENDOR_AMD,
		    table)) == NULL) {
			fprintf(out, "  %-5s table at HPA %#llx is not in the "
			    "snapshot\n", npt_level_names[level],
			    (unsigned long long)table);
			return (1);
		}
		e = trace_get64(page + 8 * idx);
		fprintf(out, "  %-5s [%3u] at HPA %#llx = 0x%016llx  %s %s %s "
		    "%s%s%s%s", npt_level_names[level], idx,
		    (unsigned long long)ea, (unsigned long long)e,
		    (e & 1) ? "P" : "-", (e & 2) ? "RW" : "R-",
		    (e & 4) ? "U" : "S", (e >> 63) ? "NX" : "X",
		    (e & 0x20) ? " A" : "", (e & 0x40) ? " D" : "",
		    (e & 0x80) ? " PS" : "");
		if (!(e & 1)) {
			fprintf(out, "  not present\n#NPF: gpa %#llx, "
			    "EXITINFO1 P=0 (the %s is not present), %s\n",
			    (unsigned long long)gpa, npt_level_names[level],
			    access == 1 ? "read" : access == 2 ? "RW=1" :
			    "ID=1");
			return (0);
		}
		leaf = level == 1 || (level <= 3 && (e & 0x80));
		if (level == 4 && (e & 0x80)) {
			fprintf(out, "\n#NPF: gpa %#llx, EXITINFO1 RSV=1 (PS "
			    "set in a PML4E)\n", (unsigned long long)gpa);
			return (0);
		}
		fputc('\n', out);
		w &= (e & 2) != 0;
		u &= (e & 4) != 0;
		x &= !(e >> 63);
		if (leaf) {
			hpa = (e & EPT_ADDR & ~((1ULL << shift) - 1)) |
			    (gpa & ((1ULL << shift) - 1));
			if (!u || (access == 2 && !w) || (access == 4 && !x)) {
				fprintf(out, "#NPF: gpa %#llx, EXITINFO1 P=1 "
				    "(protection): %s\n",
				    (unsigned long long)gpa, !u ?
				    "a supervisor page (nested accesses are "
				    "user accesses)" : access == 2 ?
				    "write to a read-only page" :
				    "fetch from a no-execute page");
				return (0);
			}
			fprintf(out, "gpa %#llx -> HPA %#llx\n",
			    (unsigned long long)gpa, (unsigned long long)hpa);
			return (0);
		}
		table = e & EPT_ADDR;
	}
	return (1);
}

int
vmmsim_cmd_ept(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exit", required_argument, NULL, 'e' },
		{ "access", required_argument, NULL, 'a' },
		{ "nested", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct trace_snap s;
	struct trace_exit e;
	uint64_t seq = UINT64_MAX, gpa;
	int c, vendor, have, access = 1, rc, nested = 0;

	while ((c = getopt_long(argc, argv, "e:a:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nested = 1;
			break;
		case 'e':
			if (parse_u64(optarg, &seq) != 0)
				goto usage;
			break;
		case 'a':
			if (strcmp(optarg, "r") == 0)
				access = 1;
			else if (strcmp(optarg, "w") == 0)
				access = 2;
			else if (strcmp(optarg, "x") == 0)
				access = 4;
			else
				goto usage;
			break;
		case 'h':
			printf("usage: vmmsim ept FILE [--exit N] [--nested] "
			    "[--access r|w|x] GPA\n");
			return (0);
		default:
			goto usage;
		}
	}
	if (optind + 2 != argc || parse_u64(argv[optind + 1], &gpa) != 0)
		goto usage;
	if (find_snap(argv[optind], seq, nested, &vendor, &s, &e, &have) != 0)
		return (1);
	printf("%s walk of gpa %#llx (%s) at exit #%llu of vm%u/%u\n",
	    vendor == VMMSIM_TRACE_VENDOR_AMD ? "NPT" : "EPT",
	    (unsigned long long)gpa, access == 1 ? "read" : access == 2 ?
	    "write" : "fetch", (unsigned long long)s.seq, s.vm, s.vcpu);
	/* L1's tables: its host-physical addresses are the VM's GPAs. */
	if (s.flags & VMMSIM_TREC_NESTED)
		printf("  the guest's hypervisor's tables: gpa is its guest's, "
		    "HPA the VM's guest-physical\n");
	rc = vendor == VMMSIM_TRACE_VENDOR_AMD ? npt_walk(&s, gpa, access,
	    stdout) : ept_walk(&s, gpa, access, stdout);
	free(s.rec);
	return (rc == 0 && fflush(stdout) == 0 ? 0 : 1);
usage:
	fprintf(stderr, "usage: vmmsim ept FILE [--exit N] [--nested] "
	    "[--access r|w|x] GPA\n");
	return (2);
}
