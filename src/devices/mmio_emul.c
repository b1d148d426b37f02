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
 * The MMIO instruction emulator (mmio.h).  Only instructions that can
 * touch memory-mapped registers are emulated, and only in the forms
 * compilers and firmware use for them: loads and stores of general
 * registers and immediates, with zero or sign extension, exchange, the
 * read-modify-write arithmetic and logic instructions, and the string
 * moves (memcpy_toio and friends).  Anything else is refused by name.
 *
 * Decoding is Zydis's; the rules of what an instruction does to registers
 * and flags are the SDM's (Vol. 1 §3.4.1.1 for 32-bit results in 64-bit
 * mode, Vol. 2 for each instruction).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "devices/mmio.h"

#define CR0_PE		(1ULL << 0)
#define EFER_LMA	(1ULL << 10)
#define AR_L		(1U << 13)
#define AR_DB		(1U << 14)

#define RFLAGS_CF	(1ULL << 0)
#define RFLAGS_PF	(1ULL << 2)
#define RFLAGS_AF	(1ULL << 4)
#define RFLAGS_ZF	(1ULL << 6)
#define RFLAGS_SF	(1ULL << 7)
#define RFLAGS_DF	(1ULL << 10)
#define RFLAGS_OF	(1ULL << 11)
#define RFLAGS_VM	(1ULL << 17)
#define RFLAGS_ARITH	(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
	RFLAGS_SF | RFLAGS_OF)

/*
 * Iterations of a REP string instruction done per exit.  The rest runs
 * after the guest re-executes the instruction (RIP stays on it, as for an
 * interrupted REP), so a long copy cannot hold the vcpu thread for long.
 */
#define STRING_BATCH	4096

struct emu {
	const struct mmio_table	*t;
	const struct guestmem	*gm;
	struct vcpu_reg_state	 s;	/* a copy; ve->vrs only on success */
	ZydisMachineMode	 mm;
	ZydisStackWidth		 sw;
	ZydisDecodedInstruction	 zi;
	ZydisDecodedOperand	 ops[ZYDIS_MAX_OPERAND_COUNT];
	int			 code64;
	int			 user;		/* CPL 3 */
	int			 mmio;		/* accesses given to the table */
	char			*err;
};

static int
fail(struct emu *e, int error, const char *fmt, ...)
{
	va_list ap;

	if (e->err != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->err, MMIO_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return (error);
}

static uint64_t
ones(int bits)
{
	return (bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1);
}

static uint64_t
sign_extend(uint64_t v, int bits)
{
	uint64_t sign = 1ULL << (bits - 1);

	v &= ones(bits);
	return ((v ^ sign) - sign);
}

/* The decoder's mode from CR0.PE, RFLAGS.VM, EFER.LMA and CS.L/D. */
static void
select_mode(struct emu *e)
{
	const struct vcpu_reg_state *s = &e->s;
	uint32_t cs = s->vrs_sregs[VCPU_REGS_CS].vsi_ar;
	uint32_t ss = s->vrs_sregs[VCPU_REGS_SS].vsi_ar;

	e->code64 = 0;
	if (!(s->vrs_crs[VCPU_REGS_CR0] & CR0_PE) ||
	    (s->vrs_gprs[VCPU_REGS_RFLAGS] & RFLAGS_VM)) {
		e->mm = ZYDIS_MACHINE_MODE_REAL_16;
		e->sw = ZYDIS_STACK_WIDTH_16;
		return;
	}
	e->sw = (ss & AR_DB) ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16;
	if (s->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA) {
		if (cs & AR_L) {
			e->code64 = 1;
			e->mm = ZYDIS_MACHINE_MODE_LONG_64;
			e->sw = ZYDIS_STACK_WIDTH_64;
		} else if (cs & AR_DB)
			e->mm = ZYDIS_MACHINE_MODE_LONG_COMPAT_32;
		else
			e->mm = ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
	} else
		e->mm = (cs & AR_DB) ? ZYDIS_MACHINE_MODE_LEGACY_32 :
		    ZYDIS_MACHINE_MODE_LEGACY_16;
}

/* The instruction as text, for messages. */
static const char *
insn_text(struct emu *e, char *buf, size_t len)
{
	ZydisFormatter f;

	if (!ZYAN_SUCCESS(ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL)) ||
	    !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &e->zi, e->ops,
	    e->zi.operand_count_visible, buf, len,
	    e->s.vrs_gprs[VCPU_REGS_RIP], NULL)))
		snprintf(buf, len, "?");
	return (buf);
}

/*
 * Where a general-purpose register lives: the index in vrs_gprs, the bit
 * offset of its value (8 for AH, CH, DH, BH) and its width.  -1 for any
 * other register.
 */
static int
gpr(ZydisRegister r, int *shift, int *bits)
{
	ZydisRegister r64;

	*shift = 0;
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		*bits = 8;
		if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
			*shift = 8;
			r = r - ZYDIS_REGISTER_AH + ZYDIS_REGISTER_AL;
		}
		break;
	case ZYDIS_REGCLASS_GPR16:
		*bits = 16;
		break;
	case ZYDIS_REGCLASS_GPR32:
		*bits = 32;
		break;
	case ZYDIS_REGCLASS_GPR64:
		*bits = 64;
		break;
	default:
		return (-1);
	}
	r64 = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (r64 < ZYDIS_REGISTER_RAX || r64 > ZYDIS_REGISTER_R15)
		return (-1);
	return (r64 - ZYDIS_REGISTER_RAX);	/* same order as VCPU_REGS_* */
}

static uint64_t
reg_get(const struct emu *e, ZydisRegister r)
{
	int shift, bits, i = gpr(r, &shift, &bits);

	return (i < 0 ? 0 : (e->s.vrs_gprs[i] >> shift) & ones(bits));
}

/*
 * Write a register as the processor does: a 32-bit destination clears
 * bits 63:32 (in 64-bit mode; elsewhere they are undefined, and zero is
 * as good as any), an 8- or 16-bit one leaves the rest alone.
 */
static void
reg_set(struct emu *e, ZydisRegister r, uint64_t v)
{
	int shift, bits, i = gpr(r, &shift, &bits);
	uint64_t *g;

	if (i < 0)
		return;
	g = &e->s.vrs_gprs[i];
	if (bits == 32)
		*g = v & 0xFFFFFFFF;
	else if (bits == 64)
		*g = v;
	else
		*g = (*g & ~(ones(bits) << shift)) | ((v & ones(bits)) << shift);
}

/* The linear address of a memory operand (SDM Vol. 1 §3.7.5, §3.3.7). */
static uint64_t
mem_linear(const struct emu *e, const ZydisDecodedOperand *op)
{
	const ZydisDecodedOperandMem *m = &op->mem;
	uint64_t ea = (uint64_t)m->disp.value, base = 0;
	uint64_t next = e->s.vrs_gprs[VCPU_REGS_RIP] + e->zi.length;

	if (m->base == ZYDIS_REGISTER_RIP || m->base == ZYDIS_REGISTER_EIP)
		ea += next;
	else if (m->base != ZYDIS_REGISTER_NONE)
		ea += reg_get(e, m->base);
	if (m->index != ZYDIS_REGISTER_NONE)
		ea += reg_get(e, m->index) * m->scale;
	ea &= ones(e->zi.address_width);
	if (m->segment >= ZYDIS_REGISTER_ES && m->segment <= ZYDIS_REGISTER_GS)
		base = e->s.vrs_sregs[VCPU_REGS_ES + (m->segment -
		    ZYDIS_REGISTER_ES)].vsi_base;
	if (e->code64) {
		/* Only FS and GS keep a base in 64-bit mode. */
		if (m->segment != ZYDIS_REGISTER_FS &&
		    m->segment != ZYDIS_REGISTER_GS)
			base = 0;
		return (base + ea);
	}
	return ((base + ea) & 0xFFFFFFFF);
}

/*
 * One data access of size bytes at a linear address.  Memory that a RAM
 * or reserved range backs is read or written in place (a string move has
 * one side there); everything else goes to the MMIO table.
 */
static int
mem_rw(struct emu *e, uint64_t lin, int size, int is_write, uint64_t *v)
{
	const struct vm_mem_range *r;
	uint64_t gpa, gpa2, end;
	int acc, error;

	acc = (is_write ? MMIO_ACC_WRITE : 0) | (e->user ? MMIO_ACC_USER : 0);
	if ((error = mmio_translate(e->gm, &e->s, lin, acc, &gpa)) != 0)
		return (fail(e, EFAULT, "cannot translate address %#llx "
		    "(rip %#llx)", (unsigned long long)lin,
		    (unsigned long long)e->s.vrs_gprs[VCPU_REGS_RIP]));
	end = lin + size - 1;
	if (!e->code64)
		end &= 0xFFFFFFFF;
	if ((end & ~0xFFFULL) != (lin & ~0xFFFULL)) {
		/* Across a page: fine only where the pages are adjacent. */
		if (mmio_translate(e->gm, &e->s, end & ~0xFFFULL, acc,
		    &gpa2) != 0)
			return (fail(e, EFAULT, "cannot translate address "
			    "%#llx (rip %#llx)",
			    (unsigned long long)(end & ~0xFFFULL),
			    (unsigned long long)e->s.vrs_gprs[VCPU_REGS_RIP]));
		if (gpa2 != ((gpa + size - 1) & ~0xFFFULL))
			return (fail(e, EOPNOTSUPP, "an access at %#llx "
			    "crosses into a page mapped elsewhere",
			    (unsigned long long)lin));
	}
	r = guestmem_find(e->gm, gpa);
	if (r != NULL && r->vmr_type != VM_MEM_MMIO && r->vmr_va != 0) {
		if (!is_write)
			*v = 0;
		error = is_write ? guestmem_write(e->gm, gpa, v, size) :
		    guestmem_read(e->gm, gpa, v, size);
		if (error != 0)
			return (fail(e, EFAULT, "guest-physical %#llx+%d is "
			    "not all memory", (unsigned long long)gpa, size));
		return (0);
	}
	e->mmio++;
	(void)mmio_access(e->t, gpa, is_write, size, v);
	return (0);
}

/* Operands: general registers, immediates and plain memory references. */
static int
op_check(struct emu *e, const ZydisDecodedOperand *op)
{
	int shift, bits, size = op->size / 8;

	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		if (gpr(op->reg.value, &shift, &bits) < 0)
			return (EOPNOTSUPP);
		return (0);
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM)
			return (EOPNOTSUPP);
		return (size == 1 || size == 2 || size == 4 || size == 8 ? 0 :
		    EOPNOTSUPP);
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		return (0);
	default:
		return (EOPNOTSUPP);
	}
}

/* Read an operand; an immediate is taken at the width of bits. */
static int
op_read(struct emu *e, const ZydisDecodedOperand *op, int bits, uint64_t *v)
{
	switch (op->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		*v = reg_get(e, op->reg.value);
		return (0);
	case ZYDIS_OPERAND_TYPE_MEMORY:
		return (mem_rw(e, mem_linear(e, op), op->size / 8, 0, v));
	default:
		/* Zydis gives a signed immediate already sign-extended. */
		*v = op->imm.value.u & ones(bits);
		return (0);
	}
}

static int
op_write(struct emu *e, const ZydisDecodedOperand *op, uint64_t v)
{
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		reg_set(e, op->reg.value, v);
		return (0);
	}
	v &= ones(op->size);
	return (mem_rw(e, mem_linear(e, op), op->size / 8, 1, &v));
}

/* MOV, MOVNTI: op0 <- op1. */
static int
emul_mov(struct emu *e)
{
	uint64_t v;
	int error;

	if ((error = op_read(e, &e->ops[1], e->ops[0].size, &v)) != 0)
		return (error);
	return (op_write(e, &e->ops[0], v));
}

/* MOVZX, MOVSX, MOVSXD: the source widened to the destination. */
static int
emul_extend(struct emu *e, int sign)
{
	uint64_t v;
	int error;

	if ((error = op_read(e, &e->ops[1], e->ops[1].size, &v)) != 0)
		return (error);
	if (sign)
		v = sign_extend(v, e->ops[1].size);
	return (op_write(e, &e->ops[0], v & ones(e->ops[0].size)));
}

/* XCHG with memory: both read, then both written. */
static int
emul_xchg(struct emu *e)
{
	uint64_t a, b;
	int error;

	if ((error = op_read(e, &e->ops[0], e->ops[0].size, &a)) != 0 ||
	    (error = op_read(e, &e->ops[1], e->ops[1].size, &b)) != 0 ||
	    (error = op_write(e, &e->ops[0], b)) != 0)
		return (error);
	return (op_write(e, &e->ops[1], a));
}

/*
 * ADD, SUB, CMP, AND, OR, XOR, TEST and the six arithmetic flags.  AF is
 * undefined after the logical ones; it is cleared, as processors do.
 */
static int
emul_alu(struct emu *e)
{
	ZydisMnemonic m = e->zi.mnemonic;
	int bits = e->ops[0].size, error;
	uint64_t a, b, r, f = 0, sign = 1ULL << (bits - 1);

	if ((error = op_read(e, &e->ops[0], bits, &a)) != 0 ||
	    (error = op_read(e, &e->ops[1], bits, &b)) != 0)
		return (error);
	a &= ones(bits);
	b &= ones(bits);
	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
		r = (a + b) & ones(bits);
		if (r < a)
			f |= RFLAGS_CF;
		if ((a ^ r) & (b ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_CMP:
		r = (a - b) & ones(bits);
		if (a < b)
			f |= RFLAGS_CF;
		if ((a ^ b) & (a ^ r) & sign)
			f |= RFLAGS_OF;
		f |= (a ^ b ^ r) & RFLAGS_AF;
		break;
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_TEST:
		r = a & b;
		break;
	case ZYDIS_MNEMONIC_OR:
		r = a | b;
		break;
	default:			/* XOR */
		r = a ^ b;
		break;
	}
	if (r == 0)
		f |= RFLAGS_ZF;
	if (r & sign)
		f |= RFLAGS_SF;
	if (!__builtin_parity((unsigned)(r & 0xFF)))
		f |= RFLAGS_PF;
	e->s.vrs_gprs[VCPU_REGS_RFLAGS] =
	    (e->s.vrs_gprs[VCPU_REGS_RFLAGS] & ~RFLAGS_ARITH) | f;
	if (m == ZYDIS_MNEMONIC_CMP || m == ZYDIS_MNEMONIC_TEST)
		return (0);
	return (op_write(e, &e->ops[0], r));
}

/*
 * STOS, LODS, MOVS: op0 <- op1, then RSI/RDI step by the element size
 * (down if RFLAGS.DF) at the address size.  With REP, iterations go on
 * while RCX (at the address size) is not zero, at most STRING_BATCH of
 * them now; *done says whether the instruction completed.  A fault after
 * the first iteration ends the batch early and the guest re-executes.
 */
static int
emul_string(struct emu *e, int *done)
{
	static const ZydisRegister count_reg[] = {
		ZYDIS_REGISTER_CX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_RCX
	};
	ZydisRegister cr = count_reg[e->zi.address_width == 16 ? 0 :
	    e->zi.address_width == 32 ? 1 : 2];
	int rep = (e->zi.attributes & (ZYDIS_ATTRIB_HAS_REP |
	    ZYDIS_ATTRIB_HAS_REPNE)) != 0;
	int size = e->ops[0].size / 8, i, k, error;
	uint64_t step = (e->s.vrs_gprs[VCPU_REGS_RFLAGS] & RFLAGS_DF) ?
	    (uint64_t)-size : (uint64_t)size;
	struct vcpu_reg_state before;

	*done = 1;
	if (rep && reg_get(e, cr) == 0)
		return (0);
	for (i = 0; i < STRING_BATCH; i++) {
		before = e->s;
		if ((error = emul_mov(e)) != 0) {
			if (i == 0)
				return (error);
			e->s = before;
			*done = 0;
			return (0);
		}
		for (k = 0; k < 2; k++) {
			ZydisRegister b = e->ops[k].mem.base;

			if (e->ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY)
				reg_set(e, b, reg_get(e, b) + step);
		}
		if (!rep)
			return (0);
		reg_set(e, cr, reg_get(e, cr) - 1);
		if (reg_get(e, cr) == 0)
			return (0);
	}
	*done = 0;
	return (0);
}

int
mmio_emulate(const struct mmio_table *t, const struct guestmem *gm,
    struct vm_exit *ve, char err[MMIO_ERRLEN])
{
	struct emu e;
	ZydisDecoder dec;
	uint8_t buf[15];
	char text[96];
	size_t n, i;
	uint64_t rip = ve->vrs.vrs_gprs[VCPU_REGS_RIP];
	int error, done = 1;

	memset(&e, 0, sizeof(e));
	e.t = t;
	e.gm = gm;
	e.s = ve->vrs;
	e.err = err;
	e.user = mmio_cpl(&e.s) == 3;
	if (err != NULL)
		err[0] = '\0';
	select_mode(&e);
	if ((error = mmio_fetch(gm, &e.s, &ve->vee, buf, &n)) != 0)
		return (fail(&e, error, "cannot fetch the instruction at "
		    "cs:rip %#llx:%#llx", (unsigned long long)
		    e.s.vrs_sregs[VCPU_REGS_CS].vsi_base,
		    (unsigned long long)rip));
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, e.mm, e.sw)) ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, n, &e.zi,
	    e.ops))) {
		text[0] = '\0';
		for (i = 0; i < n && i < 15; i++)
			snprintf(text + 3 * i, sizeof(text) - 3 * i, " %02x",
			    buf[i]);
		return (fail(&e, EINVAL, "cannot decode the instruction at "
		    "rip %#llx:%s", (unsigned long long)rip, text));
	}
	if ((ve->vee.vee_insn_info & VEE_LEN_VALID) &&
	    e.zi.length != ve->vee.vee_insn_len)
		return (fail(&e, EINVAL, "'%s' at rip %#llx is %u bytes, the "
		    "exit says %u", insn_text(&e, text, sizeof(text)),
		    (unsigned long long)rip, e.zi.length,
		    ve->vee.vee_insn_len));
	for (i = 0; i < e.zi.operand_count_visible; i++)
		if (op_check(&e, &e.ops[i]) != 0)
			goto unsupported;

	switch (e.zi.mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_MOVNTI:
		error = emul_mov(&e);
		break;
	case ZYDIS_MNEMONIC_MOVZX:
		error = emul_extend(&e, 0);
		break;
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		error = emul_extend(&e, 1);
		break;
	case ZYDIS_MNEMONIC_XCHG:
		error = emul_xchg(&e);
		break;
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_TEST:
		error = emul_alu(&e);
		break;
	case ZYDIS_MNEMONIC_STOSB:
	case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_STOSQ:
	case ZYDIS_MNEMONIC_LODSB:
	case ZYDIS_MNEMONIC_LODSW:
	case ZYDIS_MNEMONIC_LODSD:
	case ZYDIS_MNEMONIC_LODSQ:
	case ZYDIS_MNEMONIC_MOVSB:
	case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD:	/* op_check refused SSE's movsd */
	case ZYDIS_MNEMONIC_MOVSQ:
		error = emul_string(&e, &done);
		break;
	default:
		goto unsupported;
	}
	if (error != 0)
		return (error);
	if (e.mmio == 0)
		return (fail(&e, EINVAL, "'%s' at rip %#llx reaches no MMIO "
		    "address", insn_text(&e, text, sizeof(text)),
		    (unsigned long long)rip));
	if (done) {
		rip += e.zi.length;
		if (!e.code64)
			rip &= e.mm == ZYDIS_MACHINE_MODE_LEGACY_32 ||
			    e.mm == ZYDIS_MACHINE_MODE_LONG_COMPAT_32 ?
			    0xFFFFFFFF : 0xFFFF;
		e.s.vrs_gprs[VCPU_REGS_RIP] = rip;
	}
	memcpy(ve->vrs.vrs_gprs, e.s.vrs_gprs, sizeof(ve->vrs.vrs_gprs));
	if (err != NULL)
		err[0] = '\0';		/* a batch cut short said why */
	return (0);

unsupported:
	return (fail(&e, EOPNOTSUPP, "cannot emulate '%s' at rip %#llx on "
	    "MMIO", insn_text(&e, text, sizeof(text)),
	    (unsigned long long)rip));
}
