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
 * String port I/O (strio.h).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devices/strio.h"

#define CR0_PE		(1ULL << 0)
#define EFER_LMA	(1ULL << 10)
#define AR_L		(1U << 13)
#define AR_DB		(1U << 14)
#define RFLAGS_DF	(1ULL << 10)
#define RFLAGS_VM	(1ULL << 17)
#define PAGE_MASK	0xFFFULL

/* Legacy prefixes (SDM Vol. 2A, 2.1.1) and the four string I/O opcodes. */
#define PFX_OPSIZE	0x66
#define PFX_ADDRSIZE	0x67
#define PFX_LOCK	0xF0
#define PFX_REPNE	0xF2
#define PFX_REP		0xF3
#define OP_INSB		0x6C
#define OP_INSW		0x6D	/* INSW/INSD */
#define OP_OUTSB	0x6E
#define OP_OUTSW	0x6F	/* OUTSW/OUTSD */

/* Segment-override prefix byte -> VCPU_REGS_* index. */
static const struct {
	uint8_t	prefix;
	int	seg;
} seg_prefix[] = {
	{ 0x26, VCPU_REGS_ES }, { 0x2E, VCPU_REGS_CS },
	{ 0x36, VCPU_REGS_SS }, { 0x3E, VCPU_REGS_DS },
	{ 0x64, VCPU_REGS_FS }, { 0x65, VCPU_REGS_GS },
};

struct strio {
	struct dev_port_table	*ports;
	const struct mmio_table	*t;
	const struct guestmem	*gm;
	struct vcpu_reg_state	 s;	/* a copy; ve->vrs only on success */
	int			 code64;	/* 64-bit mode */
	int			 cs32;		/* CS.D: 32-bit code */
	int			 asize;		/* address size, bits */
	int			 seg;		/* OUTS source segment */
	int			 acc;		/* MMIO_ACC_USER or 0 */
	char			*err;
};

static int
fail(struct strio *x, int error, const char *fmt, ...)
{
	va_list ap;

	if (x->err != NULL) {
		va_start(ap, fmt);
		vsnprintf(x->err, MMIO_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return (error);
}

static uint64_t
amask(int bits)
{
	return (bits == 64 ? ~0ULL : (1ULL << bits) - 1);
}

/* Write v into a register at the address size (SDM Vol. 1 §3.4.1.1). */
static void
reg_set(struct strio *x, int reg, uint64_t v)
{
	uint64_t *g = &x->s.vrs_gprs[reg];

	if (x->asize == 16)
		*g = (*g & ~0xFFFFULL) | (v & 0xFFFF);
	else if (x->asize == 32)
		*g = v & 0xFFFFFFFF;	/* zero-extends, as in 64-bit mode */
	else
		*g = v;
}

/* The processor mode, from CR0.PE, RFLAGS.VM, EFER.LMA and CS. */
static void
select_mode(struct strio *x)
{
	const struct vcpu_reg_state *s = &x->s;
	uint32_t cs = s->vrs_sregs[VCPU_REGS_CS].vsi_ar;

	x->code64 = 0;
	x->cs32 = 0;
	if (!(s->vrs_crs[VCPU_REGS_CR0] & CR0_PE) ||
	    (s->vrs_gprs[VCPU_REGS_RFLAGS] & RFLAGS_VM))
		return;
	if ((s->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA) && (cs & AR_L))
		x->code64 = 1;
	else if (cs & AR_DB)
		x->cs32 = 1;
}

/*
 * Read the prefixes and the opcode of the instruction in buf: sets the
 * address size and the OUTS segment.  EINVAL unless it is INS or OUTS
 * of the exit's direction.
 */
static int
decode(struct strio *x, const uint8_t *buf, size_t n, int in, size_t *len)
{
	size_t i, k;
	int a67 = 0, op;

	x->seg = VCPU_REGS_DS;
	for (i = 0; i < n; i++) {
		op = buf[i];
		if (op == PFX_ADDRSIZE) {
			a67 = 1;
			continue;
		}
		if (op == PFX_OPSIZE || op == PFX_LOCK || op == PFX_REP ||
		    op == PFX_REPNE)
			continue;
		for (k = 0; k < sizeof(seg_prefix) / sizeof(seg_prefix[0]);
		    k++)
			if (op == seg_prefix[k].prefix)
				break;
		if (k < sizeof(seg_prefix) / sizeof(seg_prefix[0])) {
			x->seg = seg_prefix[k].seg;
			continue;
		}
		if (x->code64 && (op & 0xF0) == 0x40)
			continue;		/* REX: no effect on these */
		break;
	}
	if (i == n)
		return (EINVAL);
	op = buf[i];
	if (in ? (op != OP_INSB && op != OP_INSW) :
	    (op != OP_OUTSB && op != OP_OUTSW))
		return (EINVAL);
	*len = i + 1;
	if (x->code64)
		x->asize = a67 ? 32 : 64;
	else if (x->cs32)
		x->asize = a67 ? 16 : 32;
	else
		x->asize = a67 ? 32 : 16;
	return (0);
}

/*
 * Copy size bytes between buf and the linear address lin, page by page
 * through the guest's page tables.  Bytes in RAM or reserved memory are
 * accessed in place; others go to the MMIO table in one access when the
 * element lies in one page, else byte by byte.  With buf NULL only
 * check that every byte translates.
 */
static int
mem_rw(struct strio *x, uint64_t lin, uint8_t *buf, int size, int is_write)
{
	const struct vm_mem_range *r;
	uint64_t gpa, v;
	int off = 0, chunk, j, error;

	while (off < size) {
		if (!x->code64)
			lin &= 0xFFFFFFFF;
		chunk = (int)(0x1000 - (lin & PAGE_MASK));
		if (chunk > size - off)
			chunk = size - off;
		if ((error = mmio_translate(x->gm, &x->s, lin, x->acc |
		    (is_write ? MMIO_ACC_WRITE : 0), &gpa)) != 0)
			return (fail(x, EFAULT, "string I/O: cannot translate "
			    "address %#llx (rip %#llx)", (unsigned long long)lin,
			    (unsigned long long)x->s.vrs_gprs[VCPU_REGS_RIP]));
		if (buf == NULL)
			goto next;		/* a probe */
		r = guestmem_find(x->gm, gpa);
		if (r != NULL && r->vmr_type != VM_MEM_MMIO &&
		    r->vmr_va != 0) {
			error = is_write ?
			    guestmem_write(x->gm, gpa, buf + off, chunk) :
			    guestmem_read(x->gm, gpa, buf + off, chunk);
			if (error != 0)
				return (fail(x, EFAULT, "string I/O: "
				    "guest-physical %#llx+%d is not all memory",
				    (unsigned long long)gpa, chunk));
		} else if (chunk == size) {
			v = 0;
			if (is_write)
				memcpy(&v, buf, size);
			(void)mmio_access(x->t, gpa, is_write, size, &v);
			if (!is_write)
				memcpy(buf, &v, size);
		} else {
			for (j = 0; j < chunk; j++) {
				v = buf[off + j];
				(void)mmio_access(x->t, gpa + j, is_write, 1,
				    &v);
				buf[off + j] = (uint8_t)v;
			}
		}
next:
		off += chunk;
		lin += chunk;
	}
	return (0);
}

/* One INS or OUTS iteration. */
static int
iterate(struct strio *x, const struct vm_exit_inout *vei, int in)
{
	int idx = in ? VCPU_REGS_RDI : VCPU_REGS_RSI;
	int seg = in ? VCPU_REGS_ES : x->seg;
	uint64_t ea = x->s.vrs_gprs[idx] & amask(x->asize), base, step;
	uint32_t data = 0;
	uint8_t buf[4];
	int error;

	base = x->s.vrs_sregs[seg].vsi_base;
	if (x->code64 && seg != VCPU_REGS_FS && seg != VCPU_REGS_GS)
		base = 0;		/* no base in 64-bit mode */
	if (in) {
		/* Reach the destination first: a fault must not eat data. */
		if ((error = mem_rw(x, base + ea, NULL, vei->vei_size, 1)) != 0)
			return (error);
		(void)dev_ports_io(x->ports, vei->vei_port, DEV_IO_IN,
		    vei->vei_size, &data);
		memcpy(buf, &data, vei->vei_size);
		if ((error = mem_rw(x, base + ea, buf, vei->vei_size, 1)) != 0)
			return (error);
	} else {
		if ((error = mem_rw(x, base + ea, buf, vei->vei_size, 0)) != 0)
			return (error);
		memcpy(&data, buf, vei->vei_size);
		(void)dev_ports_io(x->ports, vei->vei_port, DEV_IO_OUT,
		    vei->vei_size, &data);
	}
	step = (x->s.vrs_gprs[VCPU_REGS_RFLAGS] & RFLAGS_DF) ?
	    (uint64_t)-vei->vei_size : (uint64_t)vei->vei_size;
	reg_set(x, idx, ea + step);
	return (0);
}

int
strio_emulate(struct dev_port_table *ports, const struct mmio_table *t,
    const struct guestmem *gm, struct vm_exit *ve, int *done,
    char err[MMIO_ERRLEN])
{
	struct vm_exit_inout vei = ve->vei;
	struct vm_exit_eptviolation vee;
	struct strio x;
	struct vcpu_reg_state before;
	uint8_t buf[15];
	size_t n, len;
	uint64_t rip, count = 0;	/* set and used only with REP */
	int in = vei.vei_dir == VEI_DIR_IN, i, error;

	memset(&x, 0, sizeof(x));
	x.ports = ports;
	x.t = t;
	x.gm = gm;
	x.s = ve->vrs;
	x.err = err;
	if (err != NULL)
		err[0] = '\0';
	*done = 0;
	rip = x.s.vrs_gprs[VCPU_REGS_RIP];
	if (vei.vei_size != 1 && vei.vei_size != 2 && vei.vei_size != 4)
		return (fail(&x, EINVAL, "string I/O of %u bytes on port %#x",
		    vei.vei_size, vei.vei_port));
	x.acc = mmio_cpl(&x.s) == 3 ? MMIO_ACC_USER : 0;
	select_mode(&x);

	/* The exit's union is vei, so the fetch gets a vee of its own. */
	memset(&vee, 0, sizeof(vee));
	if (vei.vei_insn_len >= 1 && vei.vei_insn_len <= 15) {
		vee.vee_insn_info = VEE_LEN_VALID;
		vee.vee_insn_len = vei.vei_insn_len;
	}
	if ((error = mmio_fetch(gm, &x.s, &vee, buf, &n)) != 0)
		return (fail(&x, error, "string I/O: cannot fetch the "
		    "instruction at rip %#llx", (unsigned long long)rip));
	if (decode(&x, buf, n, in, &len) != 0 ||
	    ((vee.vee_insn_info & VEE_LEN_VALID) && len != vei.vei_insn_len))
		return (fail(&x, EINVAL, "string I/O on port %#x: the bytes "
		    "at rip %#llx are not a %s of %u bytes", vei.vei_port,
		    (unsigned long long)rip, in ? "INS" : "OUTS",
		    vei.vei_insn_len));

	for (i = 0; i < (vei.vei_rep ? STRIO_BATCH : 1); i++) {
		if (vei.vei_rep) {
			count = x.s.vrs_gprs[VCPU_REGS_RCX] & amask(x.asize);
			if (count == 0)
				break;
		}
		before = x.s;
		if ((error = iterate(&x, &vei, in)) != 0) {
			if (i == 0)
				return (error);
			x.s = before;	/* the guest faults on its own */
			if (err != NULL)
				err[0] = '\0';
			goto out;
		}
		if (vei.vei_rep)
			reg_set(&x, VCPU_REGS_RCX, count - 1);
	}
	if (vei.vei_rep &&
	    (x.s.vrs_gprs[VCPU_REGS_RCX] & amask(x.asize)) != 0)
		goto out;		/* more next time */
	*done = 1;
	rip += len;
	if (!x.code64)
		rip &= x.cs32 ? 0xFFFFFFFF : 0xFFFF;
	x.s.vrs_gprs[VCPU_REGS_RIP] = rip;
out:
	memcpy(ve->vrs.vrs_gprs, x.s.vrs_gprs, sizeof(ve->vrs.vrs_gprs));
	return (0);
}
