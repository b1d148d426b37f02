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
 * vmmsim trace FILE: every exit of a trace as one line, as JSON lines,
 * or as a picture.
 *
 * A line reads: the exit's number and virtual time, the VM and vcpu,
 * the exit reason by its vmmvar.h name, what the qualification (on AMD,
 * EXITINFO1/2) says in words, RIP, the CS mode and the instruction there
 * as Zydis disassembles it (Intel syntax), and what the monitor did:
 * handled it in the kernel (perhaps queueing an exception), returned it
 * to userland, or ended the vcpu.  The qualification's bits are the
 * SDM's (Vol. 3C §28.2.1, Tables 28-1..28-7); EXITINFO1/2 the APM's
 * (Vol. 2 §15.10, §15.25.6).
 */

#define _GNU_SOURCE		/* strerrorname_np, strcasecmp */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <Zydis/Zydis.h>

#include "vmmsim.h"
#include "emu/svm_vmcb.h"
#include "emu/vmcs_fields.h"
#include "trace.h"

#define MAX_REASONS	64	/* --reason filters */
#define SVG_BINS	200
#define SVG_TOP		8	/* reasons with a colour of their own */

/* --- reading ------------------------------------------------------------ */

uint32_t
trace_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

uint64_t
trace_get64(const uint8_t *p)
{
	return ((uint64_t)trace_get32(p) | (uint64_t)trace_get32(p + 4) << 32);
}

static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

int
trace_open(const char *path, struct trace_file *tf)
{
	uint8_t hdr[VMMSIM_TRACE_HDR_SIZE];
	uint32_t version, hsize;

	memset(tf, 0, sizeof(*tf));
	tf->path = path;
	if ((tf->fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "vmmsim: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	if (fread(hdr, sizeof(hdr), 1, tf->fp) != 1 ||
	    memcmp(hdr, VMMSIM_TRACE_MAGIC, VMMSIM_TRACE_MAGIC_LEN) != 0) {
		fprintf(stderr, "vmmsim: %s: not a vmmsim trace\n", path);
		goto fail;
	}
	version = trace_get32(hdr + 8);
	hsize = trace_get32(hdr + 12);
	tf->vendor = (int)trace_get32(hdr + 16);
	if (version < VMMSIM_TRACE_VERSION_MIN ||
	    version > VMMSIM_TRACE_VERSION || hsize < sizeof(hdr) ||
	    (tf->vendor != VMMSIM_TRACE_VENDOR_INTEL &&
	    tf->vendor != VMMSIM_TRACE_VENDOR_AMD)) {
		fprintf(stderr, "vmmsim: %s: trace version %u or vendor %d "
		    "not known here\n", path, version, tf->vendor);
		goto fail;
	}
	if (fseek(tf->fp, (long)hsize, SEEK_SET) != 0)
		goto fail;
	return (0);
fail:
	fclose(tf->fp);
	tf->fp = NULL;
	return (-1);
}

void
trace_close(struct trace_file *tf)
{
	if (tf->fp != NULL)
		fclose(tf->fp);
	tf->fp = NULL;
}

static void
exit_decode(const uint8_t *r, struct trace_exit *e)
{
	e->flags = get16(r + 2);
	e->seq = trace_get64(r + VMMSIM_TEXIT_SEQ);
	e->vtime = trace_get64(r + VMMSIM_TEXIT_VTIME);
	e->vm = trace_get32(r + VMMSIM_TEXIT_VM);
	e->vcpu = trace_get32(r + VMMSIM_TEXIT_VCPU);
	e->reason = trace_get64(r + VMMSIM_TEXIT_REASON);
	e->qual = trace_get64(r + VMMSIM_TEXIT_QUAL);
	e->info2 = trace_get64(r + VMMSIM_TEXIT_INFO2);
	e->gpa = trace_get64(r + VMMSIM_TEXIT_GPA_OFF);
	e->rip = trace_get64(r + VMMSIM_TEXIT_RIP);
	e->rax = trace_get64(r + VMMSIM_TEXIT_RAX);
	e->rcx = trace_get64(r + VMMSIM_TEXIT_RCX);
	e->rdx = trace_get64(r + VMMSIM_TEXIT_RDX);
	e->intr_info = trace_get32(r + VMMSIM_TEXIT_INTR_INFO);
	e->intr_err = trace_get32(r + VMMSIM_TEXIT_INTR_ERR);
	e->idt_vect = trace_get32(r + VMMSIM_TEXIT_IDT_VECT);
	e->mode = r[VMMSIM_TEXIT_MODE];
	e->insn_len = r[VMMSIM_TEXIT_INSN_LEN];
	e->nbytes = r[VMMSIM_TEXIT_NBYTES];
	if (e->nbytes > VMMSIM_TEXIT_MAXBYTES)
		e->nbytes = VMMSIM_TEXIT_MAXBYTES;
	e->action = r[VMMSIM_TEXIT_ACTION];
	e->user_exit = get16(r + VMMSIM_TEXIT_USER_EXIT);
	e->inject = r[VMMSIM_TEXIT_INJECT];
	e->err = r[VMMSIM_TEXIT_ERRNO];
	memcpy(e->bytes, r + VMMSIM_TEXIT_BYTES, VMMSIM_TEXIT_MAXBYTES);
}

/* The entry-failure record r of size bytes; -1 when malformed. */
static int
fail_decode(const uint8_t *r, uint32_t size, struct trace_fail *f)
{
	char *dst[4];
	size_t off = VMMSIM_TFAIL_STRINGS, n;
	int i;

	memset(f, 0, sizeof(*f));
	f->flags = get16(r + 2);
	f->seq = trace_get64(r + VMMSIM_TFAIL_SEQ);
	f->vtime = trace_get64(r + VMMSIM_TFAIL_VTIME);
	f->vm = trace_get32(r + VMMSIM_TFAIL_VM);
	f->vcpu = trace_get32(r + VMMSIM_TFAIL_VCPU);
	f->insn = r[VMMSIM_TFAIL_INSN];
	f->result = r[VMMSIM_TFAIL_RESULT];
	f->vm_error = trace_get32(r + VMMSIM_TFAIL_VM_ERROR);
	f->reason = trace_get64(r + VMMSIM_TFAIL_REASON);
	f->qual = trace_get64(r + VMMSIM_TFAIL_QUAL);
	dst[0] = f->rule;
	dst[1] = f->section;
	dst[2] = f->what;
	dst[3] = f->detail;
	for (i = 0; i < 4; i++) {
		/* Each string ends with a NUL inside the record. */
		n = strnlen((const char *)r + off, size - off);
		if (off + n >= size)
			return (-1);
		memcpy(dst[i], r + off, n + 1);
		off += n + 1;
	}
	return (0);
}

static void
stale_decode(const uint8_t *r, struct trace_stale *st)
{
	st->seq = trace_get64(r + VMMSIM_TSTALE_SEQ);
	st->vtime = trace_get64(r + VMMSIM_TSTALE_VTIME);
	st->vm = trace_get32(r + VMMSIM_TSTALE_VM);
	st->vcpu = trace_get32(r + VMMSIM_TSTALE_VCPU);
	st->root = trace_get64(r + VMMSIM_TSTALE_ROOT);
	st->tag = get16(r + VMMSIM_TSTALE_TAG);
	st->flags = get16(r + VMMSIM_TSTALE_FLAGS);
	st->va = trace_get64(r + VMMSIM_TSTALE_VA);
	st->old_gpa = trace_get64(r + VMMSIM_TSTALE_OLD_GPA);
	st->old_hpa = trace_get64(r + VMMSIM_TSTALE_OLD_HPA);
	st->new_gpa = trace_get64(r + VMMSIM_TSTALE_NEW_GPA);
	st->new_hpa = trace_get64(r + VMMSIM_TSTALE_NEW_HPA);
	st->old_ept = r[VMMSIM_TSTALE_OLD_EPT];
	st->old_rights = r[VMMSIM_TSTALE_OLD_RIGHTS];
	st->new_ept = r[VMMSIM_TSTALE_NEW_EPT];
	st->new_rights = r[VMMSIM_TSTALE_NEW_RIGHTS];
}

int
trace_next(struct trace_file *tf, int *type, struct trace_exit *e,
    struct trace_snap *snap)
{
	uint8_t h[VMMSIM_TREC_HDR_SIZE], r[VMMSIM_TFAIL_MAXSIZE], skip[4096];
	uint32_t size;
	size_t n;

	for (;;) {
		n = fread(h, 1, sizeof(h), tf->fp);
		if (n == 0 && feof(tf->fp))
			return (0);
		if (n != sizeof(h))
			goto trunc;
		*type = get16(h);
		size = trace_get32(h + 4);
		if (size < sizeof(h))
			goto bad;
		if (*type == VMMSIM_TREC_EXIT) {
			if (size != VMMSIM_TREC_EXIT_SIZE)
				goto bad;
			memcpy(r, h, sizeof(h));
			if (fread(r + sizeof(h), size - sizeof(h), 1,
			    tf->fp) != 1)
				goto trunc;
			exit_decode(r, e);
			return (1);
		}
		if (*type == VMMSIM_TREC_ENTRY_FAIL && tf->extra) {
			if (size < VMMSIM_TFAIL_STRINGS + 4 ||
			    size > VMMSIM_TFAIL_MAXSIZE)
				goto bad;
			memcpy(r, h, sizeof(h));
			if (fread(r + sizeof(h), size - sizeof(h), 1,
			    tf->fp) != 1)
				goto trunc;
			if (fail_decode(r, size, &tf->fail) != 0)
				goto bad;
			return (1);
		}
		if (*type == VMMSIM_TREC_STALE && tf->extra) {
			if (size != VMMSIM_TREC_STALE_SIZE)
				goto bad;
			memcpy(r, h, sizeof(h));
			if (fread(r + sizeof(h), size - sizeof(h), 1,
			    tf->fp) != 1)
				goto trunc;
			stale_decode(r, &tf->stale);
			return (1);
		}
		if (*type == VMMSIM_TREC_SNAP && snap != NULL) {
			if (size < VMMSIM_TSNAP_DATA)
				goto bad;
			if ((snap->rec = malloc(size)) == NULL) {
				fprintf(stderr, "vmmsim: out of memory\n");
				return (-1);
			}
			memcpy(snap->rec, h, sizeof(h));
			if (fread(snap->rec + sizeof(h), size - sizeof(h), 1,
			    tf->fp) != 1) {
				free(snap->rec);
				goto trunc;
			}
			snap->len = size;
			snap->flags = get16(h + 2);
			snap->seq = trace_get64(snap->rec + VMMSIM_TSNAP_SEQ);
			snap->vm = trace_get32(snap->rec + VMMSIM_TSNAP_VM);
			snap->vcpu = trace_get32(snap->rec + VMMSIM_TSNAP_VCPU);
			snap->count = trace_get32(snap->rec +
			    VMMSIM_TSNAP_COUNT);
			snap->npages = trace_get32(snap->rec +
			    VMMSIM_TSNAP_NPAGES);
			snap->root = trace_get64(snap->rec + VMMSIM_TSNAP_ROOT);
			if ((uint64_t)VMMSIM_TSNAP_DATA + (tf->vendor ==
			    VMMSIM_TRACE_VENDOR_INTEL ? (uint64_t)snap->count *
			    VMMSIM_TSNAP_FIELD_SIZE : VMMSIM_TSNAP_VMCB_SIZE) +
			    (uint64_t)snap->npages * VMMSIM_TSNAP_PAGE_SIZE !=
			    size) {
				free(snap->rec);
				goto bad;
			}
			return (1);
		}
		/* A record this reader skips, read so a short one shows. */
		for (size -= sizeof(h); size > 0; size -= (uint32_t)n) {
			n = size < sizeof(skip) ? size : sizeof(skip);
			if (fread(skip, n, 1, tf->fp) != 1)
				goto trunc;
		}
	}
trunc:
	fprintf(stderr, "vmmsim: %s: truncated record\n", tf->path);
	return (-1);
bad:
	fprintf(stderr, "vmmsim: %s: malformed record\n", tf->path);
	return (-1);
}

/* --- names ------------------------------------------------------------- */

const char *
trace_reason_name(int vendor, uint64_t reason, char *buf, size_t len)
{
	const char *n;

	if (vendor == VMMSIM_TRACE_VENDOR_AMD) {
		if (reason == VMEXIT_INVALID)
			return ("SVM_VMEXIT_INVALID");
		if ((n = svm_exit_code_name(reason)) != NULL)
			snprintf(buf, len, "SVM_VMEXIT_%s", n);
		else
			snprintf(buf, len, "SVM_VMEXIT_%#llx",
			    (unsigned long long)reason);
		return (buf);
	}
	n = vmx_exit_reason_name((uint32_t)reason &
	    VMX_EXIT_REASON_BASIC_MASK);
	if (n != NULL)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "VMX_EXIT_%u", (unsigned)(reason &
		    VMX_EXIT_REASON_BASIC_MASK));
	return (buf);
}

/* Does NAME (with or without its VMX_EXIT_/SVM_VMEXIT_ prefix) match? */
static int
reason_matches(const char *name, const char *want)
{
	static const char *const prefixes[] = { "VMX_EXIT_", "SVM_VMEXIT_" };
	size_t i, n;

	if (strcasecmp(name, want) == 0)
		return (1);
	for (i = 0; i < 2; i++) {
		n = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], n) == 0 &&
		    strcasecmp(name + n, want) == 0)
			return (1);
	}
	return (0);
}

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
};

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", NULL,
	"#TS", "#NP", "#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP"
};

static const char *
exc_name(unsigned v)
{
	return (v < 32 && exc_names[v] != NULL ? exc_names[v] : "vector");
}

static const struct {
	uint32_t	 msr;
	const char	*name;
} msr_names[] = {
	{ 0x10, "IA32_TSC" }, { 0x17, "IA32_PLATFORM_ID" },
	{ 0x1B, "IA32_APIC_BASE" }, { 0x3A, "IA32_FEATURE_CONTROL" },
	{ 0x8B, "IA32_BIOS_SIGN_ID" }, { 0xFE, "IA32_MTRRCAP" },
	{ 0x174, "IA32_SYSENTER_CS" }, { 0x175, "IA32_SYSENTER_ESP" },
	{ 0x176, "IA32_SYSENTER_EIP" }, { 0x1A0, "IA32_MISC_ENABLE" },
	{ 0x277, "IA32_PAT" }, { 0x2FF, "IA32_MTRR_DEF_TYPE" },
	{ 0xC0000080, "EFER" }, { 0xC0000081, "STAR" },
	{ 0xC0000082, "LSTAR" }, { 0xC0000083, "CSTAR" },
	{ 0xC0000084, "SFMASK" }, { 0xC0000100, "FS_BASE" },
	{ 0xC0000101, "GS_BASE" }, { 0xC0000102, "KERNEL_GS_BASE" },
	{ 0xC0010015, "HWCR" }, { 0x4B564D00, "KVM_WALL_CLOCK" },
	{ 0x4B564D01, "KVM_SYSTEM_TIME" }
};

static const char *
msr_name(uint32_t msr)
{
	size_t i;

	for (i = 0; i < sizeof(msr_names) / sizeof(msr_names[0]); i++)
		if (msr_names[i].msr == msr)
			return (msr_names[i].name);
	return (NULL);
}

/* --- decoding the qualification ------------------------------------------ */

#define DEC_MAXKV	16

/* What an exit says, as words and as typed key/value pairs for JSON. */
struct dec {
	char		 text[320];
	size_t		 tlen;
	int		 nkv;
	struct {
		const char	*k;
		int		 type;	/* 0 number, 1 boolean, 2 string */
		uint64_t	 n;
		char		 s[40];
	} kv[DEC_MAXKV];
};

static void __attribute__((format(printf, 2, 3)))
dec_text(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->tlen >= sizeof(d->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(d->text + d->tlen, sizeof(d->text) - d->tlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->tlen += (size_t)n;
	if (d->tlen > sizeof(d->text) - 1)
		d->tlen = sizeof(d->text) - 1;
}

static void
kv_num(struct dec *d, const char *k, uint64_t n)
{
	if (d->nkv == DEC_MAXKV)
		return;
	d->kv[d->nkv].k = k;
	d->kv[d->nkv].type = 0;
	d->kv[d->nkv++].n = n;
}

static void
kv_bool(struct dec *d, const char *k, int b)
{
	if (d->nkv == DEC_MAXKV)
		return;
	d->kv[d->nkv].k = k;
	d->kv[d->nkv].type = 1;
	d->kv[d->nkv++].n = b != 0;
}

static void
kv_str(struct dec *d, const char *k, const char *s)
{
	if (d->nkv == DEC_MAXKV)
		return;
	d->kv[d->nkv].k = k;
	d->kv[d->nkv].type = 2;
	snprintf(d->kv[d->nkv++].s, sizeof(d->kv[0].s), "%s", s);
}

static void
dec_msr(struct dec *d, const struct trace_exit *e, int write)
{
	uint32_t msr = (uint32_t)e->rcx;
	const char *n = msr_name(msr);
	uint64_t v = (e->rdx & 0xFFFFFFFFULL) << 32 | (e->rax & 0xFFFFFFFFULL);

	kv_str(d, "access", write ? "write" : "read");
	kv_num(d, "msr", msr);
	dec_text(d, "%s MSR %#x", write ? "write" : "read", msr);
	if (n != NULL) {
		kv_str(d, "msr_name", n);
		dec_text(d, " (%s)", n);
	}
	if (write) {
		kv_num(d, "value", v);
		dec_text(d, " <- %#llx", (unsigned long long)v);
	}
}

static void
dec_cpuid(struct dec *d, const struct trace_exit *e)
{
	kv_num(d, "leaf", (uint32_t)e->rax);
	kv_num(d, "subleaf", (uint32_t)e->rcx);
	dec_text(d, "leaf %#x, subleaf %#x", (unsigned)(uint32_t)e->rax,
	    (unsigned)(uint32_t)e->rcx);
}

static void
dec_xsetbv(struct dec *d, const struct trace_exit *e)
{
	uint64_t v = (e->rdx & 0xFFFFFFFFULL) << 32 | (e->rax & 0xFFFFFFFFULL);

	kv_num(d, "xcr", (uint32_t)e->rcx);
	kv_num(d, "value", v);
	dec_text(d, "XCR%u <- %#llx", (unsigned)(uint32_t)e->rcx,
	    (unsigned long long)v);
}

/* SDM Table 28-5: I/O instructions. */
static void
dec_vmx_io(struct dec *d, const struct trace_exit *e)
{
	uint64_t q = e->qual;
	unsigned size = (unsigned)(q & 7) + 1, port = (unsigned)(q >> 16) &
	    0xFFFF;
	int in = (q >> 3) & 1, str = (q >> 4) & 1, rep = (q >> 5) & 1;
	int imm = (q >> 6) & 1;

	kv_str(d, "dir", in ? "in" : "out");
	kv_num(d, "port", port);
	kv_num(d, "size", size);
	kv_bool(d, "string", str);
	kv_bool(d, "rep", rep);
	kv_str(d, "operand", imm ? "immediate" : "dx");
	dec_text(d, "%s port %#x, %u byte%s%s%s, port %s", in ? "in" : "out",
	    port, size, size > 1 ? "s" : "", str ? ", string" : "",
	    rep ? ", rep" : "", imm ? "immediate" : "in DX");
	if (e->flags & VMMSIM_TEXIT_LINEAR) {
		kv_num(d, "linear", e->info2);
		dec_text(d, ", linear %#llx", (unsigned long long)e->info2);
	}
}

/* SDM Table 28-3: control-register accesses. */
static void
dec_vmx_cr(struct dec *d, const struct trace_exit *e)
{
	static const char *const types[] = { "mov to cr", "mov from cr",
	    "clts", "lmsw" };
	uint64_t q = e->qual;
	unsigned cr = (unsigned)(q & 15), type = (unsigned)(q >> 4) & 3;
	const char *gpr = gpr_names[(q >> 8) & 15];

	kv_num(d, "cr", cr);
	kv_str(d, "access", types[type]);
	switch (type) {
	case 0:
		kv_str(d, "gpr", gpr);
		dec_text(d, "mov cr%u <- %s", cr, gpr);
		break;
	case 1:
		kv_str(d, "gpr", gpr);
		dec_text(d, "mov %s <- cr%u", gpr, cr);
		break;
	case 2:
		dec_text(d, "clts");
		break;
	default:
		kv_num(d, "lmsw_data", (q >> 16) & 0xFFFF);
		dec_text(d, "lmsw %#x (%s operand)", (unsigned)(q >> 16) &
		    0xFFFF, (q >> 6) & 1 ? "memory" : "register");
		break;
	}
}

/* SDM Table 28-4: debug-register accesses. */
static void
dec_vmx_dr(struct dec *d, const struct trace_exit *e)
{
	unsigned dr = (unsigned)(e->qual & 7);
	int from = (e->qual >> 4) & 1;
	const char *gpr = gpr_names[(e->qual >> 8) & 15];

	kv_num(d, "dr", dr);
	kv_str(d, "access", from ? "mov from dr" : "mov to dr");
	kv_str(d, "gpr", gpr);
	if (from)
		dec_text(d, "mov %s <- dr%u", gpr, dr);
	else
		dec_text(d, "mov dr%u <- %s", dr, gpr);
}

/* SDM Table 28-7: EPT violations. */
static void
dec_vmx_ept(struct dec *d, const struct trace_exit *e)
{
	uint64_t q = e->qual;
	char acc[24], perm[4];
	size_t n = 0;

	acc[0] = '\0';
	if (q & 1)
		n += (size_t)snprintf(acc + n, sizeof(acc) - n, "read");
	if (q & 2)
		n += (size_t)snprintf(acc + n, sizeof(acc) - n, "%swrite",
		    n ? "+" : "");
	if (q & 4)
		n += (size_t)snprintf(acc + n, sizeof(acc) - n, "%sfetch",
		    n ? "+" : "");
	if (n == 0)
		snprintf(acc, sizeof(acc), "none");
	perm[0] = (q & 0x08) ? 'r' : '-';
	perm[1] = (q & 0x10) ? 'w' : '-';
	perm[2] = (q & 0x20) ? 'x' : '-';
	perm[3] = '\0';
	kv_num(d, "gpa", e->gpa);
	kv_str(d, "access", acc);
	kv_str(d, "entry", (q & 0x38) ? perm : "not present");
	dec_text(d, "gpa %#llx, %s, ", (unsigned long long)e->gpa, acc);
	if (q & 0x38)
		dec_text(d, "entry %s", perm);
	else
		dec_text(d, "entry not present");
	if (q & (1ULL << 7)) {
		kv_num(d, "linear", e->info2);
		kv_str(d, "during", (q & (1ULL << 8)) ? "translation" :
		    "paging-structure access");
		dec_text(d, ", linear %#llx (%s)", (unsigned long long)e->info2,
		    (q & (1ULL << 8)) ? "the access itself" :
		    "a guest page-table access");
	}
	if (q & (1ULL << 12))
		dec_text(d, ", NMI unblocking");
}

/* SDM 25.9.2: the VM-exit interruption information of exception exits. */
static void
dec_vmx_exception(struct dec *d, const struct trace_exit *e)
{
	static const char *const types[] = { "external interrupt", "type 1",
	    "NMI", "hardware exception", "type 4", "privileged software "
	    "exception", "software exception", "type 7" };
	unsigned v = e->intr_info & 0xFF, type = (e->intr_info >> 8) & 7;

	kv_num(d, "vector", v);
	kv_str(d, "type", types[type]);
	dec_text(d, "%s (vector %u), %s", exc_name(v), v, types[type]);
	if (e->intr_info & (1U << 11)) {
		kv_num(d, "error_code", e->intr_err);
		dec_text(d, ", error code %#x", e->intr_err);
	}
	if (v == 14) {
		kv_num(d, "address", e->qual);
		dec_text(d, ", address %#llx", (unsigned long long)e->qual);
	}
}

static void
dec_vmx(struct dec *d, const struct trace_exit *e)
{
	uint32_t basic = (uint32_t)e->reason & VMX_EXIT_REASON_BASIC_MASK;

	if (e->reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
		kv_bool(d, "entry_failure", 1);
		dec_text(d, "VM-entry failure, qualification %#llx",
		    (unsigned long long)e->qual);
		if (basic == VMX_EXIT_ENTRY_FAILED_GUEST_STATE ||
		    basic == VMX_EXIT_ENTRY_FAILED_MSR_LOAD)
			return;
		dec_text(d, "; ");
	}
	switch (basic) {
	case VMX_EXIT_NMI:
		dec_vmx_exception(d, e);
		break;
	case VMX_EXIT_EXTINT:
		dec_text(d, "a host interrupt");
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		dec_text(d, "shutdown");
		break;
	case VMX_EXIT_INT_WINDOW:
		dec_text(d, "the guest can take an interrupt");
		break;
	case VMX_EXIT_CPUID:
		dec_cpuid(d, e);
		break;
	case VMX_EXIT_HLT:
		dec_text(d, "halt");
		break;
	case VMX_EXIT_INVLPG:
		kv_num(d, "linear", e->qual);
		dec_text(d, "linear %#llx", (unsigned long long)e->qual);
		break;
	case VMX_EXIT_CR_ACCESS:
		dec_vmx_cr(d, e);
		break;
	case VMX_EXIT_MOV_DR:
		dec_vmx_dr(d, e);
		break;
	case VMX_EXIT_IO:
		dec_vmx_io(d, e);
		break;
	case VMX_EXIT_RDMSR:
		dec_msr(d, e, 0);
		break;
	case VMX_EXIT_WRMSR:
		dec_msr(d, e, 1);
		break;
	case VMX_EXIT_EPT_VIOLATION:
		dec_vmx_ept(d, e);
		break;
	case VMX_EXIT_EPT_MISCONFIGURATION:
		kv_num(d, "gpa", e->gpa);
		dec_text(d, "gpa %#llx", (unsigned long long)e->gpa);
		break;
	case VMX_EXIT_XSETBV:
		dec_xsetbv(d, e);
		break;
	default:
		if (e->qual != 0) {
			kv_num(d, "qualification", e->qual);
			dec_text(d, "qualification %#llx",
			    (unsigned long long)e->qual);
		}
		break;
	}
}

/* APM Vol. 2 §15.10.2, Figure 15-2: the IOIO intercept's EXITINFO1. */
static void
dec_svm_io(struct dec *d, const struct trace_exit *e)
{
	uint64_t q = e->qual;
	unsigned port = (unsigned)(q >> 16) & 0xFFFF, size = 0;
	int in = q & 1, str = (q >> 2) & 1, rep = (q >> 3) & 1;

	if (q & (1 << 4))
		size = 1;
	else if (q & (1 << 5))
		size = 2;
	else if (q & (1 << 6))
		size = 4;
	kv_str(d, "dir", in ? "in" : "out");
	kv_num(d, "port", port);
	kv_num(d, "size", size);
	kv_bool(d, "string", str);
	kv_bool(d, "rep", rep);
	kv_num(d, "next_rip", e->info2);
	dec_text(d, "%s port %#x, %u byte%s%s%s, next RIP %#llx",
	    in ? "in" : "out", port, size, size > 1 ? "s" : "",
	    str ? ", string" : "", rep ? ", rep" : "",
	    (unsigned long long)e->info2);
}

/* APM Vol. 2 §15.25.6: the nested page fault's error code. */
static void
dec_svm_npf(struct dec *d, const struct trace_exit *e)
{
	uint64_t q = e->qual;

	kv_num(d, "gpa", e->info2);
	kv_bool(d, "present", q & 1);
	kv_str(d, "access", (q & 0x10) ? "fetch" : (q & 2) ? "write" :
	    "read");
	kv_bool(d, "user", (q >> 2) & 1);
	kv_bool(d, "reserved_bit", (q >> 3) & 1);
	kv_str(d, "during", (q & (1ULL << 32)) ? "final translation" :
	    (q & (1ULL << 33)) ? "guest page-table walk" : "unknown");
	dec_text(d, "gpa %#llx, %s, %s, %s", (unsigned long long)e->info2,
	    (q & 0x10) ? "fetch" : (q & 2) ? "write" : "read",
	    (q & 1) ? "protection (entry present)" : "entry not present",
	    (q & 4) ? "user" : "supervisor");
	if (q & 8)
		dec_text(d, ", reserved bit set");
	if (q & (1ULL << 32))
		dec_text(d, ", the access itself");
	else if (q & (1ULL << 33))
		dec_text(d, ", a guest page-table access");
}

static void
dec_svm(struct dec *d, const struct trace_exit *e)
{
	uint64_t c = e->reason;

	if (c < VMEXIT_DR0_READ) {
		/* CRn read/write; decode assists give the GPR (§15.33.1). */
		kv_num(d, "cr", c & 15);
		kv_str(d, "access", c < VMEXIT_CR0_WRITE ? "read" : "write");
		dec_text(d, "%s cr%u", c < VMEXIT_CR0_WRITE ? "read" :
		    "write", (unsigned)(c & 15));
		if (e->qual & (1ULL << 63)) {
			kv_str(d, "gpr", gpr_names[e->qual & 15]);
			dec_text(d, ", %s", gpr_names[e->qual & 15]);
		}
		return;
	}
	if (c >= VMEXIT_EXCP0 && c < VMEXIT_EXCP0 + 32) {
		kv_num(d, "vector", c - VMEXIT_EXCP0);
		kv_num(d, "error_code", e->qual);
		dec_text(d, "%s (vector %u), error code %#llx",
		    exc_name((unsigned)(c - VMEXIT_EXCP0)),
		    (unsigned)(c - VMEXIT_EXCP0), (unsigned long long)e->qual);
		if (c == VMEXIT_EXCP0 + 14) {
			kv_num(d, "address", e->info2);
			dec_text(d, ", address %#llx",
			    (unsigned long long)e->info2);
		}
		return;
	}
	switch (c) {
	case VMEXIT_INTR:
		dec_text(d, "a host interrupt");
		break;
	case VMEXIT_VINTR:
		dec_text(d, "the guest can take an interrupt");
		break;
	case VMEXIT_SHUTDOWN:
		dec_text(d, "shutdown");
		break;
	case VMEXIT_CPUID:
		dec_cpuid(d, e);
		break;
	case VMEXIT_HLT:
		dec_text(d, "halt");
		break;
	case VMEXIT_IOIO:
		dec_svm_io(d, e);
		break;
	case VMEXIT_MSR:
		dec_msr(d, e, e->qual & 1);
		break;
	case VMEXIT_NPF:
		dec_svm_npf(d, e);
		break;
	case VMEXIT_XSETBV:
		dec_xsetbv(d, e);
		break;
	case VMEXIT_INVLPG:
		kv_num(d, "linear", e->qual);
		dec_text(d, "linear %#llx", (unsigned long long)e->qual);
		break;
	default:
		if (e->qual != 0 || e->info2 != 0) {
			kv_num(d, "exitinfo1", e->qual);
			kv_num(d, "exitinfo2", e->info2);
			dec_text(d, "EXITINFO1 %#llx, EXITINFO2 %#llx",
			    (unsigned long long)e->qual,
			    (unsigned long long)e->info2);
		}
		break;
	}
}

static void
decode_exit(int vendor, const struct trace_exit *e, struct dec *d)
{
	memset(d, 0, sizeof(*d));
	if (vendor == VMMSIM_TRACE_VENDOR_AMD)
		dec_svm(d, e);
	else
		dec_vmx(d, e);
}

/* The instruction at RIP in Intel syntax, or "?" when it is unknown. */
static void
disasm(const struct trace_exit *e, char *buf, size_t len)
{
	ZydisDisassembledInstruction zi;
	ZydisMachineMode mm;

	switch (e->mode) {
	case 64:
		mm = ZYDIS_MACHINE_MODE_LONG_64;
		break;
	case 32:
		mm = ZYDIS_MACHINE_MODE_LEGACY_32;
		break;
	case 16:
		mm = ZYDIS_MACHINE_MODE_REAL_16;
		break;
	default:
		snprintf(buf, len, "?");
		return;
	}
	if (e->nbytes == 0 || !ZYAN_SUCCESS(ZydisDisassembleIntel(mm, e->rip,
	    e->bytes, e->nbytes, &zi))) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s", zi.text);
}

static const char *
errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return (n != NULL ? n : "E?");
}

static void
format_action(int vendor, const struct trace_exit *e, char *buf, size_t len)
{
	char nb[48];
	size_t n = 0;

	switch (e->action) {
	case VMMSIM_TACT_KERNEL:
		n = (size_t)snprintf(buf, len, "handled in kernel");
		break;
	case VMMSIM_TACT_USER:
		n = (size_t)snprintf(buf, len, "to userland as %s",
		    trace_reason_name(vendor, e->user_exit, nb, sizeof(nb)));
		break;
	case VMMSIM_TACT_L1:
		n = (size_t)snprintf(buf, len, "to the guest's hypervisor");
		break;
	default:
		n = (size_t)snprintf(buf, len, "fatal: %s, vcpu terminated",
		    errno_name(e->err));
		break;
	}
	if (e->inject != VMMSIM_TINJECT_NONE && n < len)
		snprintf(buf + n, len - n, ", %s (vector %u) queued",
		    exc_name(e->inject), e->inject);
}

void
trace_format_exit(int vendor, const struct trace_exit *e, FILE *out)
{
	struct dec d;
	char name[48], insn[128], act[96];

	decode_exit(vendor, e, &d);
	disasm(e, insn, sizeof(insn));
	format_action(vendor, e, act, sizeof(act));
	fprintf(out, "#%llu t=%lluns vm%u/%u %s%s%s%s | rip %#llx (%u-bit): "
	    "%s | %s", (unsigned long long)e->seq, (unsigned long long)e->vtime,
	    e->vm, e->vcpu, (e->flags & VMMSIM_TREC_NESTED) ? "L2 " : "",
	    trace_reason_name(vendor, e->reason, name,
	    sizeof(name)), d.tlen ? ": " : "", d.text,
	    (unsigned long long)e->rip, e->mode, insn, act);
}

/* --- failed entries and stale translations --------------------------- */

static const char *
fail_insn(const struct trace_fail *f)
{
	switch (f->insn) {
	case VMMSIM_TFAIL_VMLAUNCH:
		return ("VMLAUNCH");
	case VMMSIM_TFAIL_VMRESUME:
		return ("VMRESUME");
	case VMMSIM_TFAIL_VMRUN:
		return ("VMRUN");
	default:
		return ("VM entry");
	}
}

static const char *
fail_result(const struct trace_fail *f)
{
	switch (f->result) {
	case VMMSIM_TFAIL_VMFAIL_INVALID:
		return ("VMfailInvalid");
	case VMMSIM_TFAIL_VMFAIL_VALID:
		return ("VMfailValid");
	case VMMSIM_TFAIL_EXIT:
		return ("exit");
	case VMMSIM_TFAIL_VMEXIT_INVALID:
		return ("VMEXIT_INVALID");
	default:
		return ("unknown");
	}
}

/* Where the rule is written down: the SDM for Intel, the APM for AMD. */
static const char *
fail_book(int vendor)
{
	return (vendor == VMMSIM_TRACE_VENDOR_AMD ? "APM Vol. 2" :
	    "SDM Vol. 3C");
}

void
trace_format_fail(int vendor, const struct trace_fail *f, FILE *out)
{
	const char *n;
	char name[48];

	fprintf(out, "!entry-failure t=%lluns vm%u/%u %s%s: ",
	    (unsigned long long)f->vtime, f->vm, f->vcpu,
	    (f->flags & VMMSIM_TREC_NESTED) ? "L1's " : "", fail_insn(f));
	switch (f->result) {
	case VMMSIM_TFAIL_VMFAIL_INVALID:
		fprintf(out, "VMfailInvalid (no current VMCS)\n");
		break;
	case VMMSIM_TFAIL_VMFAIL_VALID:
		n = vmx_instruction_error_name(f->vm_error);
		fprintf(out, "VMfailValid, VM-instruction error %u%s%s%s\n",
		    f->vm_error, n != NULL ? " (" : "", n != NULL ? n : "",
		    n != NULL ? ")" : "");
		break;
	default:
		fprintf(out, "%s at exit #%llu", trace_reason_name(vendor,
		    f->reason, name, sizeof(name)), (unsigned long long)f->seq);
		if (vendor != VMMSIM_TRACE_VENDOR_AMD)
			fprintf(out, ", qualification %llu",
			    (unsigned long long)f->qual);
		fputc('\n', out);
		break;
	}
	if (f->rule[0] == '\0') {
		fprintf(out, "  check:  none to blame (the instruction failed "
		    "before the checks)\n");
		return;
	}
	fprintf(out, "  check:  %s (%s §%s)\n", f->rule, fail_book(vendor),
	    f->section);
	fprintf(out, "  rule:   %s\n", f->what);
	if (f->detail[0] != '\0')
		fprintf(out, "  values: %s\n", f->detail);
}

/* EPT or NPT rights (bit 0 R, 1 W, 2 X) as "rwx". */
static void
nested_rights(int vendor, uint8_t b, char *buf, size_t len)
{
	if (vendor == VMMSIM_TRACE_VENDOR_AMD) {
		/* NPT entries have no R bit: present is readable. */
		snprintf(buf, len, "%s", (b & 2) ? "rw" : "r-");
		return;
	}
	snprintf(buf, len, "%c%c%c", (b & 1) ? 'r' : '-', (b & 2) ? 'w' : '-',
	    (b & 4) ? 'x' : '-');
}

/* The guest's own rights along its walk, in words. */
static void
guest_rights(uint8_t g, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s%s%s", (g & VMMSIM_TSTALE_W) ? "rw" : "ro",
	    (g & VMMSIM_TSTALE_U) ? "user" : "supervisor",
	    (g & VMMSIM_TSTALE_NX) ? "nx" : "x",
	    (g & VMMSIM_TSTALE_D) ? " dirty" : "",
	    (g & VMMSIM_TSTALE_G) ? " global" : "");
}

void
trace_format_stale(int vendor, const struct trace_stale *st, FILE *out)
{
	int amd = vendor == VMMSIM_TRACE_VENDOR_AMD;
	char ne[8], gr[48];

	nested_rights(vendor, st->old_ept, ne, sizeof(ne));
	guest_rights(st->old_rights, gr, sizeof(gr));
	fprintf(out, "!stale-tlb t=%lluns vm%u/%u before exit #%llu: ",
	    (unsigned long long)st->vtime, st->vm, st->vcpu,
	    (unsigned long long)st->seq);
	/* AMD tags translations by ASID alone, Intel by VPID and EPTP. */
	if (amd)
		fprintf(out, "ASID %u", st->tag);
	else
		fprintf(out, "VPID %u, EPTP %#llx", st->tag,
		    (unsigned long long)st->root);
	fprintf(out, ": linear %#llx | cached: gpa %#llx hpa %#llx (%s %s; "
	    "guest %s) | ", (unsigned long long)st->va,
	    (unsigned long long)st->old_gpa, (unsigned long long)st->old_hpa,
	    amd ? "NPT" : "EPT", ne, gr);
	if (st->flags & VMMSIM_TSTALE_NOW_FAULTS) {
		fprintf(out, "fresh walk: faults");
		return;
	}
	nested_rights(vendor, st->new_ept, ne, sizeof(ne));
	guest_rights(st->new_rights, gr, sizeof(gr));
	fprintf(out, "fresh walk: gpa %#llx hpa %#llx (%s %s; guest %s)",
	    (unsigned long long)st->new_gpa, (unsigned long long)st->new_hpa,
	    amd ? "NPT" : "EPT", ne, gr);
}

/* --- JSON lines -------------------------------------------------------- */

static void
json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
format_json(int vendor, const struct trace_exit *e, FILE *out)
{
	struct dec d;
	char name[48], insn[128], act[96];
	int i;

	decode_exit(vendor, e, &d);
	disasm(e, insn, sizeof(insn));
	format_action(vendor, e, act, sizeof(act));
	fprintf(out, "{\"seq\":%llu,\"vtime\":%llu,\"vm\":%u,\"vcpu\":%u,"
	    "\"vendor\":\"%s\",", (unsigned long long)e->seq,
	    (unsigned long long)e->vtime, e->vm, e->vcpu,
	    vendor == VMMSIM_TRACE_VENDOR_AMD ? "amd" : "intel");
	if (e->flags & VMMSIM_TREC_NESTED)
		fprintf(out, "\"level\":2,");
	fprintf(out, "\"reason\":");
	json_str(out, trace_reason_name(vendor, e->reason, name, sizeof(name)));
	fprintf(out, ",\"code\":%llu,\"qual\":%llu,\"info2\":%llu,",
	    (unsigned long long)e->reason, (unsigned long long)e->qual,
	    (unsigned long long)e->info2);
	if (e->flags & VMMSIM_TEXIT_GPA)
		fprintf(out, "\"gpa\":%llu,", (unsigned long long)e->gpa);
	fprintf(out, "\"rip\":%llu,\"mode\":%u,\"bytes\":\"",
	    (unsigned long long)e->rip, e->mode);
	for (i = 0; i < e->nbytes; i++)
		fprintf(out, "%02x", e->bytes[i]);
	fprintf(out, "\",\"insn\":");
	json_str(out, insn);
	fprintf(out, ",\"detail\":{");
	for (i = 0; i < d.nkv; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "", d.kv[i].k);
		if (d.kv[i].type == 0)
			fprintf(out, "%llu", (unsigned long long)d.kv[i].n);
		else if (d.kv[i].type == 1)
			fprintf(out, "%s", d.kv[i].n ? "true" : "false");
		else
			json_str(out, d.kv[i].s);
	}
	fprintf(out, "},\"text\":");
	json_str(out, d.text);
	fprintf(out, ",\"action\":\"%s\"", e->action == VMMSIM_TACT_KERNEL ?
	    "kernel" : e->action == VMMSIM_TACT_USER ? "user" :
	    e->action == VMMSIM_TACT_L1 ? "l1" : "fatal");
	if (e->action == VMMSIM_TACT_USER)
		fprintf(out, ",\"exit\":%u", e->user_exit);
	if (e->action == VMMSIM_TACT_FATAL)
		fprintf(out, ",\"errno\":\"%s\"", errno_name(e->err));
	if (e->inject != VMMSIM_TINJECT_NONE)
		fprintf(out, ",\"inject\":%u", e->inject);
	fprintf(out, ",\"summary\":");
	json_str(out, act);
	fprintf(out, "}\n");
}

static void
json_fail(int vendor, const struct trace_fail *f, FILE *out)
{
	fprintf(out, "{\"type\":\"entry_failure\",");
	if (f->flags & VMMSIM_TREC_NESTED)
		fprintf(out, "\"level\":2,");
	fprintf(out, "\"seq\":");
	if (f->seq == VMMSIM_TFAIL_NOEXIT)
		fprintf(out, "null");
	else
		fprintf(out, "%llu", (unsigned long long)f->seq);
	fprintf(out, ",\"vtime\":%llu,\"vm\":%u,\"vcpu\":%u,\"vendor\":"
	    "\"%s\",\"insn\":\"%s\",\"result\":\"%s\",\"vm_error\":%u,"
	    "\"code\":%llu,\"qual\":%llu,\"check\":",
	    (unsigned long long)f->vtime, f->vm, f->vcpu,
	    vendor == VMMSIM_TRACE_VENDOR_AMD ? "amd" : "intel", fail_insn(f),
	    fail_result(f), f->vm_error, (unsigned long long)f->reason,
	    (unsigned long long)f->qual);
	json_str(out, f->rule);
	fprintf(out, ",\"section\":");
	json_str(out, f->section);
	fprintf(out, ",\"rule\":");
	json_str(out, f->what);
	fprintf(out, ",\"values\":");
	json_str(out, f->detail);
	fprintf(out, "}\n");
}

static void
json_xlat(int vendor, uint64_t gpa, uint64_t hpa, uint8_t ept, uint8_t g,
    FILE *out)
{
	char ne[8], gr[48];

	nested_rights(vendor, ept, ne, sizeof(ne));
	guest_rights(g, gr, sizeof(gr));
	fprintf(out, "{\"gpa\":%llu,\"hpa\":%llu,\"nested\":\"%s\","
	    "\"guest\":\"%s\"}", (unsigned long long)gpa,
	    (unsigned long long)hpa, ne, gr);
}

static void
json_stale(int vendor, const struct trace_stale *st, FILE *out)
{
	fprintf(out, "{\"type\":\"stale_tlb\",\"next_seq\":%llu,"
	    "\"vtime\":%llu,\"vm\":%u,\"vcpu\":%u,\"vendor\":\"%s\","
	    "\"tag\":%u,\"root\":%llu,\"linear\":%llu,\"cached\":",
	    (unsigned long long)st->seq, (unsigned long long)st->vtime, st->vm,
	    st->vcpu, vendor == VMMSIM_TRACE_VENDOR_AMD ? "amd" : "intel",
	    st->tag, (unsigned long long)st->root, (unsigned long long)st->va);
	json_xlat(vendor, st->old_gpa, st->old_hpa, st->old_ept,
	    st->old_rights, out);
	fprintf(out, ",\"fresh\":");
	if (st->flags & VMMSIM_TSTALE_NOW_FAULTS)
		fprintf(out, "null");
	else
		json_xlat(vendor, st->new_gpa, st->new_hpa, st->new_ept,
		    st->new_rights, out);
	fprintf(out, "}\n");
}

/* --- the picture ------------------------------------------------------- */

struct svg_reason {
	char		 name[48];
	uint64_t	 count;
	int		 colour;	/* index into the palette; -1 other */
};

struct svg {
	struct svg_reason *r;
	size_t		 nr, cr;
	uint64_t	 total, tmin, tmax;
	uint64_t	*bins;		/* SVG_BINS x (SVG_TOP + 1) */
};

static const char *const palette[SVG_TOP + 1] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c9c9c"
};

static struct svg_reason *
svg_reason(struct svg *s, const char *name)
{
	struct svg_reason *nr;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (strcmp(s->r[i].name, name) == 0)
			return (&s->r[i]);
	if (s->nr == s->cr) {
		s->cr = s->cr ? 2 * s->cr : 16;
		if ((nr = reallocarray(s->r, s->cr, sizeof(*nr))) == NULL)
			return (NULL);
		s->r = nr;
	}
	memset(&s->r[s->nr], 0, sizeof(s->r[0]));
	snprintf(s->r[s->nr].name, sizeof(s->r[0].name), "%s", name);
	return (&s->r[s->nr++]);
}

static int
cmp_count(const void *a, const void *b)
{
	const struct svg_reason *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count ? 1 : -1);
	return (strcmp(x->name, y->name));
}

static unsigned
svg_bin(const struct svg *s, uint64_t t)
{
	unsigned __int128 span = (unsigned __int128)(s->tmax - s->tmin) + 1;

	return ((unsigned)(((unsigned __int128)(t - s->tmin) * SVG_BINS) /
	    span));
}

/*
 * Draw what two passes over the trace gathered: a stacked bar per time
 * bin (the eight most frequent reasons in colour, the rest grey) and a
 * histogram of every reason.  Every rectangle carries data-count, every
 * bin its total, so a checker can add them up.
 */
static int
svg_write(struct svg *s, const char *path)
{
	const double w = 1000, th = 220, left = 60, top = 30;
	double bw = (w - left - 20) / SVG_BINS, y, h, hy;
	uint64_t maxbin = 1, bt, c, maxr = 1;
	unsigned i, k;
	size_t j, nh;
	FILE *out;

	if ((out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "vmmsim: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	for (i = 0; i < SVG_BINS; i++) {
		for (bt = 0, k = 0; k <= SVG_TOP; k++)
			bt += s->bins[i * (SVG_TOP + 1) + k];
		if (bt > maxbin)
			maxbin = bt;
	}
	for (j = 0; j < s->nr; j++)
		if (s->r[j].count > maxr)
			maxr = s->r[j].count;
	nh = s->nr;
	hy = top + th + 70;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" font-family=\"monospace\" font-size=\"11\" "
	    "data-exits=\"%llu\">\n", w, hy + 20.0 * (double)nh + 20,
	    (unsigned long long)s->total);
	fprintf(out, "<text x=\"%.0f\" y=\"18\" font-size=\"13\">%llu exits, "
	    "virtual time %llu-%llu ns, %d bins</text>\n", left,
	    (unsigned long long)s->total, (unsigned long long)s->tmin,
	    (unsigned long long)s->tmax, SVG_BINS);
	fprintf(out, "<g id=\"timeline\" data-bins=\"%d\" data-t0=\"%llu\" "
	    "data-t1=\"%llu\">\n", SVG_BINS, (unsigned long long)s->tmin,
	    (unsigned long long)s->tmax);
	fprintf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
	    "height=\"%.0f\" fill=\"none\" stroke=\"#ccc\"/>\n", left, top,
	    w - left - 20, th);
	fprintf(out, "<text x=\"4\" y=\"%.0f\">%llu</text>\n", top + 10,
	    (unsigned long long)maxbin);
	for (i = 0; i < SVG_BINS; i++) {
		for (bt = 0, k = 0; k <= SVG_TOP; k++)
			bt += s->bins[i * (SVG_TOP + 1) + k];
		if (bt == 0)
			continue;
		fprintf(out, "<g class=\"bin\" data-bin=\"%u\" "
		    "data-count=\"%llu\">", i, (unsigned long long)bt);
		y = top + th;
		for (k = 0; k <= SVG_TOP; k++) {
			if ((c = s->bins[i * (SVG_TOP + 1) + k]) == 0)
				continue;
			h = th * (double)c / (double)maxbin;
			y -= h;
			fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			    "height=\"%.2f\" fill=\"%s\" data-reason=\"%s\" "
			    "data-count=\"%llu\"/>", left + bw * i, y, bw, h,
			    palette[k], k < SVG_TOP ? (k < s->nr ?
			    s->r[k].name : "") : "other",
			    (unsigned long long)c);
		}
		fprintf(out, "</g>\n");
	}
	fprintf(out, "</g>\n<text x=\"%.0f\" y=\"%.0f\">virtual time "
	    "&#8594;</text>\n", left, top + th + 16);
	fprintf(out, "<g id=\"histogram\">\n");
	for (j = 0; j < nh; j++) {
		h = (w - 360) * (double)s->r[j].count / (double)maxr;
		fprintf(out, "<rect x=\"300\" y=\"%.0f\" width=\"%.2f\" "
		    "height=\"14\" fill=\"%s\" data-reason=\"%s\" "
		    "data-count=\"%llu\"/><text x=\"4\" y=\"%.0f\">%s</text>"
		    "<text x=\"%.2f\" y=\"%.0f\">%llu</text>\n",
		    hy + 20.0 * (double)j, h, palette[j < SVG_TOP ? j : SVG_TOP],
		    s->r[j].name, (unsigned long long)s->r[j].count,
		    hy + 20.0 * (double)j + 11, s->r[j].name, 304 + h,
		    hy + 20.0 * (double)j + 11,
		    (unsigned long long)s->r[j].count);
	}
	fprintf(out, "</g>\n</svg>\n");
	if (fclose(out) != 0) {
		fprintf(stderr, "vmmsim: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* --- vmmsim trace ------------------------------------------------------ */

static void
trace_usage(FILE *fp)
{
	fprintf(fp, "usage: vmmsim trace FILE [--reason NAME]... [--level 1|2] "
	    "[--json] [--svg OUT]\n");
}

static int
wanted(const char *name, char **reasons, int nreasons)
{
	int i;

	if (nreasons == 0)
		return (1);
	for (i = 0; i < nreasons; i++)
		if (reason_matches(name, reasons[i]))
			return (1);
	return (0);
}

int
vmmsim_cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "svg", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct trace_file tf;
	struct trace_exit e;
	struct svg s;
	struct svg_reason *sr;
	char *reasons[MAX_REASONS], name[48];
	const char *svg = NULL;
	int c, json = 0, nreasons = 0, type, rc = 0, n, pass, level = 0;
	uint64_t shown = VMMSIM_TFAIL_NOEXIT - 1;	/* last exit printed */
	size_t j;
	unsigned k;

	while ((c = getopt_long(argc, argv, "r:l:js:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			/* 1: the VM's guest; 2: its guest's (bare metal). */
			if (strcmp(optarg, "1") != 0 &&
			    strcmp(optarg, "2") != 0) {
				trace_usage(stderr);
				return (2);
			}
			level = optarg[0] - '0';
			break;
		case 'r':
			if (nreasons == MAX_REASONS) {
				fprintf(stderr, "vmmsim: too many --reason\n");
				return (2);
			}
			reasons[nreasons++] = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			svg = optarg;
			break;
		case 'h':
			trace_usage(stdout);
			return (0);
		default:
			trace_usage(stderr);
			return (2);
		}
	}
	if (optind + 1 != argc) {
		trace_usage(stderr);
		return (2);
	}
	if (trace_open(argv[optind], &tf) != 0)
		return (1);
	memset(&s, 0, sizeof(s));
	s.tmin = UINT64_MAX;
	/* Pass 0 prints and counts; with --svg, pass 1 fills the bins. */
	for (pass = 0; pass < (svg != NULL ? 2 : 1); pass++) {
		if (pass == 1) {
			trace_close(&tf);
			if (trace_open(argv[optind], &tf) != 0) {
				rc = 1;
				goto out;
			}
			qsort(s.r, s.nr, sizeof(*s.r), cmp_count);
			for (j = 0; j < s.nr; j++)
				s.r[j].colour = j < SVG_TOP ? (int)j : SVG_TOP;
			if (s.total == 0)
				s.tmin = s.tmax = 0;
			if ((s.bins = calloc(SVG_BINS * (SVG_TOP + 1),
			    sizeof(*s.bins))) == NULL) {
				rc = 1;
				goto out;
			}
		}
		tf.extra = pass == 0 && svg == NULL;
		while ((n = trace_next(&tf, &type, &e, NULL)) == 1) {
			if (type == VMMSIM_TREC_ENTRY_FAIL) {
				if (level != 0 && level != ((tf.fail.flags &
				    VMMSIM_TREC_NESTED) ? 2 : 1))
					continue;
				/* With its exit, or when asked for by name. */
				if (tf.fail.seq == shown ||
				    wanted("entry-failure", reasons, nreasons)) {
					if (json)
						json_fail(tf.vendor, &tf.fail,
						    stdout);
					else
						trace_format_fail(tf.vendor,
						    &tf.fail, stdout);
				}
				continue;
			}
			if (type == VMMSIM_TREC_STALE) {
				/* The inner CPU does not check its TLB. */
				if (level == 2 ||
				    !wanted("stale-tlb", reasons, nreasons))
					continue;
				if (json)
					json_stale(tf.vendor, &tf.stale, stdout);
				else {
					trace_format_stale(tf.vendor, &tf.stale,
					    stdout);
					fputc('\n', stdout);
				}
				continue;
			}
			if (type != VMMSIM_TREC_EXIT)
				continue;
			if (level != 0 && level != ((e.flags &
			    VMMSIM_TREC_NESTED) ? 2 : 1))
				continue;
			trace_reason_name(tf.vendor, e.reason, name,
			    sizeof(name));
			if (!wanted(name, reasons, nreasons))
				continue;
			shown = e.seq;
			if (pass == 1) {
				for (j = 0; j < s.nr; j++)
					if (strcmp(s.r[j].name, name) == 0)
						break;
				k = j < s.nr ? (unsigned)s.r[j].colour :
				    SVG_TOP;
				s.bins[svg_bin(&s, e.vtime) * (SVG_TOP + 1) +
				    k]++;
				continue;
			}
			if (svg != NULL) {
				if ((sr = svg_reason(&s, name)) == NULL) {
					rc = 1;
					goto out;
				}
				sr->count++;
				s.total++;
				if (e.vtime < s.tmin)
					s.tmin = e.vtime;
				if (e.vtime > s.tmax)
					s.tmax = e.vtime;
				continue;
			}
			if (json)
				format_json(tf.vendor, &e, stdout);
			else {
				trace_format_exit(tf.vendor, &e, stdout);
				fputc('\n', stdout);
			}
		}
		if (n < 0) {
			rc = 1;
			goto out;
		}
	}
	if (svg != NULL && svg_write(&s, svg) != 0)
		rc = 1;
out:
	free(s.r);
	free(s.bins);
	trace_close(&tf);
	if (fflush(stdout) != 0)
		rc = 1;
	return (rc);
}

/* --trace FILE --snap all|N,M,...: the tools' way to start a trace. */
int
vmmsim_trace_open_opts(int fd, const char *path, const char *snap)
{
	unsigned long long n;
	char *end;
	const char *check = getenv("VMMSIM_CHECK_TLB");
	int all = snap != NULL && strcmp(snap, "all") == 0, flags;

	/* --check-tlb (VMMSIM_CHECK_TLB): its reports go in the trace. */
	flags = all ? VMMSIM_TRACE_SNAP_ALL : 0;
	if (check != NULL && strcmp(check, "0") != 0)
		flags |= VMMSIM_TRACE_CHECK_TLB;
	if (vmmsim_trace_start(fd, path, flags) == -1) {
		fprintf(stderr, "vmmsim: trace %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (all || snap == NULL)
		return (0);
	while (*snap != '\0') {
		errno = 0;
		n = strtoull(snap, &end, 0);
		if (end == snap || errno != 0 || (*end != ',' && *end != '\0')) {
			fprintf(stderr, "vmmsim: --snap: 'all' or exit numbers "
			    "separated by commas\n");
			(void)vmmsim_trace_stop(fd);
			return (-1);
		}
		if (vmmsim_trace_snap_at(fd, n) == -1) {
			fprintf(stderr, "vmmsim: --snap %llu: %s\n", n,
			    strerror(errno));
			(void)vmmsim_trace_stop(fd);
			return (-1);
		}
		snap = *end == ',' ? end + 1 : end;
	}
	return (0);
}
