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
 * Guest execution on Unicorn (SDM Vol. 3C ch. 26 "VMX Non-Root Operation",
 * ch. 28 "VM Exits").
 *
 * Unicorn runs guest code natively except where a VMX control or vmmsim's
 * determinism needs the instruction: I/O, CPUID, HLT, RDTSC(P), RDMSR,
 * WRMSR, MOV CR, INVLPG, XSETBV, the VMX instructions and the like.
 * Unicorn can hook only a few instructions by kind and its I/O hooks see a
 * stale RIP, so every translated block is decoded once with Zydis when it
 * first runs (the block hook), a code hook is placed on exactly the
 * instructions that matter, the block's translation is dropped and the
 * engine restarts at the block: the hooked instruction is then intercepted
 * before it executes, with exact state.  Blocks without such instructions
 * cost one cache lookup per execution.
 *
 * The block hook also keeps virtual time: the instructions of a block are
 * counted when it starts, and corrected to the exact instruction when
 * execution stops inside it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "emu_impl.h"

/* How an intercepted instruction is handled. */
enum insn_class {
	IC_NONE = 0,
	IC_IO,
	IC_CPUID,
	IC_HLT,
	IC_RDTSC,
	IC_RDTSCP,
	IC_RDMSR,
	IC_WRMSR,
	IC_MOVCR,
	IC_CLTS,
	IC_LMSW,
	IC_INVLPG,
	IC_XSETBV,
	IC_VMX,		/* VMCALL and the VMX instructions: always exit */
	IC_SVM,		/* VMRUN, VMMCALL and the other SVM instructions */
	IC_INVD,
	IC_GETSEC,
	IC_MWAIT,
	IC_MONITOR,
	IC_PAUSE,
	IC_RDPMC,
	IC_WBINVD,
	IC_RDRAND,
	IC_RDSEED,
	IC_MOVDR,
	IC_FLAGSYNC,	/* CMPXCHG8B/16B: hooked only to sync QEMU's cc_op */
	IC_BADOP	/* bytes the decoder rejects: #UD (#GP if too long) */
};

struct emu_insn {
	struct emu_cpu	*cpu;
	uint64_t	 va;
	uc_hook		 hook;
	enum insn_class	 cls;
	uint8_t		 mode;
	uint8_t		 len;
	ZydisDecodedInstruction	 zi;
	ZydisDecodedOperand	 ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emu_insn	*next;		/* all hooked instructions */
	struct emu_insn	*hnext;		/* hash chain by address */
	bool		 dead;		/* unhooked, awaiting the TB flush */
	bool		 check;		/* on a volatile page: compare bytes */
	uint64_t	 hpa;		/* host-physical address of its page */
	uint8_t		 bytes[16];	/* as decoded */
	uint8_t		 bad_vector;	/* IC_BADOP: #UD or #GP */
	/* IC_IO, from zi and ops at its first exit (io_decode): */
	bool		 io_ready;
	uint8_t		 io_size;	/* bytes */
	uint8_t		 io_qual;	/* qualification bits 6:3 */
	int32_t		 io_port;	/* immediate port, or -1: DX */
};

static enum insn_class
classify(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
	case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
	case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
		return (IC_IO);
	case ZYDIS_MNEMONIC_CPUID:	return (IC_CPUID);
	case ZYDIS_MNEMONIC_HLT:	return (IC_HLT);
	case ZYDIS_MNEMONIC_RDTSC:	return (IC_RDTSC);
	case ZYDIS_MNEMONIC_RDTSCP:	return (IC_RDTSCP);
	case ZYDIS_MNEMONIC_RDMSR:	return (IC_RDMSR);
	case ZYDIS_MNEMONIC_WRMSR:	return (IC_WRMSR);
	case ZYDIS_MNEMONIC_CLTS:	return (IC_CLTS);
	case ZYDIS_MNEMONIC_LMSW:	return (IC_LMSW);
	case ZYDIS_MNEMONIC_INVLPG:	return (IC_INVLPG);
	case ZYDIS_MNEMONIC_XSETBV:	return (IC_XSETBV);
	case ZYDIS_MNEMONIC_VMCALL: case ZYDIS_MNEMONIC_VMLAUNCH:
	case ZYDIS_MNEMONIC_VMRESUME: case ZYDIS_MNEMONIC_VMXOFF:
	case ZYDIS_MNEMONIC_VMXON: case ZYDIS_MNEMONIC_VMCLEAR:
	case ZYDIS_MNEMONIC_VMPTRLD: case ZYDIS_MNEMONIC_VMPTRST:
	case ZYDIS_MNEMONIC_VMREAD: case ZYDIS_MNEMONIC_VMWRITE:
	case ZYDIS_MNEMONIC_INVEPT: case ZYDIS_MNEMONIC_INVVPID:
	case ZYDIS_MNEMONIC_VMFUNC:
		return (IC_VMX);
	case ZYDIS_MNEMONIC_VMRUN: case ZYDIS_MNEMONIC_VMMCALL:
	case ZYDIS_MNEMONIC_VMLOAD: case ZYDIS_MNEMONIC_VMSAVE:
	case ZYDIS_MNEMONIC_STGI: case ZYDIS_MNEMONIC_CLGI:
	case ZYDIS_MNEMONIC_SKINIT: case ZYDIS_MNEMONIC_INVLPGA:
		return (IC_SVM);
	case ZYDIS_MNEMONIC_INVD:	return (IC_INVD);
	case ZYDIS_MNEMONIC_GETSEC:	return (IC_GETSEC);
	case ZYDIS_MNEMONIC_MWAIT:	return (IC_MWAIT);
	case ZYDIS_MNEMONIC_MONITOR:	return (IC_MONITOR);
	case ZYDIS_MNEMONIC_PAUSE:	return (IC_PAUSE);
	case ZYDIS_MNEMONIC_RDPMC:	return (IC_RDPMC);
	case ZYDIS_MNEMONIC_WBINVD:	return (IC_WBINVD);
	case ZYDIS_MNEMONIC_RDRAND:	return (IC_RDRAND);
	case ZYDIS_MNEMONIC_RDSEED:	return (IC_RDSEED);
	/*
	 * QEMU's CMPXCHG8B/16B helper computes "the other flags" from
	 * env->cc_op, which the translator may not have stored yet (the
	 * previous instructions of the block changed it): the flags come out
	 * of whatever CC_SRC last held.  Harmless until something reads all of
	 * EFLAGS before the next flag-setting instruction; but Unicorn does
	 * exactly that before every code hook, and keeps the result as the
	 * system flags (a deadline hook on the SETZ after Linux's SLUB
	 * cmpxchg16b gave RFLAGS c1584ec2: NT, DF and reserved bits set).
	 * A code hook on the instruction itself makes Unicorn store cc_op
	 * first, so the helper computes from the right one.
	 */
	case ZYDIS_MNEMONIC_CMPXCHG8B:
	case ZYDIS_MNEMONIC_CMPXCHG16B:	return (IC_FLAGSYNC);
	default:			return (IC_NONE);
	}
}

/* MOV to/from a control register is a MOV with a CRn operand. */
static enum insn_class
classify_full(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *op)
{
	int i;

	if (zi->mnemonic == ZYDIS_MNEMONIC_MOV) {
		for (i = 0; i < zi->operand_count_visible; i++) {
			if (op[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
				continue;
			if (ZydisRegisterGetClass(op[i].reg.value) ==
			    ZYDIS_REGCLASS_CONTROL)
				return (IC_MOVCR);
			if (ZydisRegisterGetClass(op[i].reg.value) ==
			    ZYDIS_REGCLASS_DEBUG)
				return (IC_MOVDR);
		}
		return (IC_NONE);
	}
	return (classify(zi->mnemonic));
}

static void
decoder_for(ZydisDecoder *d, int mode)
{
	switch (mode) {
	case 64:
		ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_LONG_64,
		    ZYDIS_STACK_WIDTH_64);
		break;
	case 32:
		ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_LEGACY_32,
		    ZYDIS_STACK_WIDTH_32);
		break;
	default:
		ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_REAL_16,
		    ZYDIS_STACK_WIDTH_16);
		break;
	}
}

/*
 * The code size the engine decodes with now: 16, 32 or 64.  Unicorn's
 * UC_QUERY_MODE reports the engine's fixed mode, not the guest's, so this
 * reads the translator's flags; it is called only for new blocks.
 */
static int
engine_mode(struct emu_cpu *cpu)
{
	return (emu_code_size(cpu));
}

/* Record an exit for the instruction at in and stop the engine. */
static void
insn_exit(struct emu_cpu *cpu, const struct emu_insn *in, uint32_t reason,
    uint64_t qual)
{
	cpu->exit.pending = true;
	cpu->exit.reason = reason;
	cpu->exit.qual = qual;
	cpu->exit.insn_len = in->len;
	cpu->stop_why = EMU_STOP_EXIT;
	uc_emu_stop(cpu->uc);
}

/* QEMU's regs[] index (the GPR numbering) of a 64-bit GPR, or -1. */
static inline int
gpr_index(int reg)
{
	switch (reg) {
	case UC_X86_REG_RAX:	return (0);
	case UC_X86_REG_RCX:	return (1);
	case UC_X86_REG_RDX:	return (2);
	case UC_X86_REG_RBX:	return (3);
	case UC_X86_REG_RSP:	return (4);
	case UC_X86_REG_RBP:	return (5);
	case UC_X86_REG_RSI:	return (6);
	case UC_X86_REG_RDI:	return (7);
	case UC_X86_REG_R8:	return (8);
	case UC_X86_REG_R9:	return (9);
	case UC_X86_REG_R10:	return (10);
	case UC_X86_REG_R11:	return (11);
	case UC_X86_REG_R12:	return (12);
	case UC_X86_REG_R13:	return (13);
	case UC_X86_REG_R14:	return (14);
	case UC_X86_REG_R15:	return (15);
	default:		return (-1);
	}
}

static uint64_t
reg_read(struct emu_cpu *cpu, int reg)
{
	uint64_t v = 0;
	int i;

	if (cpu->envb != NULL) {
		/* In place what the hooks ask for at every exit (RIP, GPRs, CRs). */
		switch (reg) {
		case UC_X86_REG_RIP:
			memcpy(&v, cpu->envb + cpu->host->lay.regs + 16 * 8, 8);
			return (v);
		case UC_X86_REG_CR0:
		case UC_X86_REG_CR3:
		case UC_X86_REG_CR4:
			memcpy(&v, cpu->envb + cpu->host->lay.cr + 8 *
			    (reg == UC_X86_REG_CR0 ? 0 : reg == UC_X86_REG_CR3 ?
			    3 : 4), 8);
			return (v);
		default:
			if ((i = gpr_index(reg)) >= 0) {
				memcpy(&v, cpu->envb + cpu->host->lay.regs +
				    8 * (unsigned)i, 8);
				return (v);
			}
			break;
		}
	}
	uc_reg_read(cpu->uc, reg, &v);
	return (v);
}

static void
reg_write(struct emu_cpu *cpu, int reg, uint64_t v)
{
	uc_reg_write(cpu->uc, reg, &v);
}

static const int gpr_uc[EMU_NGPRS] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15
};

/* The instruction at in retired without an exit: count it, skip it. */
static void
insn_retire(struct emu_cpu *cpu, const struct emu_insn *in)
{
	const struct emu_block *b = cpu->cur_block;
	uint64_t off;
	unsigned k = 0;

	if (b != NULL && in->va >= b->va && in->va < b->va + b->size) {
		off = in->va - b->va;
		while (k < b->ninsn && b->ends[k] <= off)
			k++;
		cpu->vtime = cpu->vtime_block + k + 1;
		cpu->cur_block = NULL;
	}
	reg_write(cpu, UC_X86_REG_RIP, reg_read(cpu, UC_X86_REG_RIP) + in->len);
}

/* Instructions retired before the one at linear address va. */
static uint64_t
vtime_at(struct emu_cpu *cpu, uint64_t va)
{
	const struct emu_block *b = cpu->cur_block;
	unsigned k = 0;

	if (b == NULL || va < b->va || va >= b->va + b->size)
		return (cpu->vtime);
	while (k < b->ninsn && b->ends[k] <= va - b->va)
		k++;
	return (cpu->vtime_block + k);
}

/* The TSC the guest reads at the instruction at va (SDM §26.6.5). */
static uint64_t
guest_tsc(struct emu_cpu *cpu, uint64_t va)
{
	uint64_t tsc = vtime_at(cpu, va);

	if (cpu->ctl_proc & IA32_VMX_USE_TSC_OFFSETTING)
		tsc += cpu->tsc_offset;
	return (tsc);
}

/*
 * Does an access to [port, port + size) exit?  SDM Vol. 3C §26.1.3: with
 * I/O bitmaps, if any byte's bit is set (or the range wraps past FFFF);
 * otherwise if unconditional I/O exiting is set.
 */
static bool
io_exits(struct emu_cpu *cpu, unsigned port, unsigned size)
{
	uint64_t bm;
	const uint8_t *p;
	unsigned i, q;

	if (cpu->svm_guest)
		return (svm_io_intercepted(cpu, port, size));
	if (!(cpu->ctl_proc & IA32_VMX_USE_IO_BITMAPS))
		return ((cpu->ctl_proc & IA32_VMX_UNCONDITIONAL_IO_EXITING) != 0);
	for (i = 0; i < size; i++) {
		q = port + i;
		if (q > 0xFFFF)
			return (true);
		bm = vmcs_get(cpu, q < 0x8000 ? VMCS_IO_BITMAP_A :
		    VMCS_IO_BITMAP_B);
		p = hostmem_ptr(cpu->host->mem, bm, 4096);
		if (p == NULL || (p[(q & 0x7FFF) / 8] >> (q % 8)) & 1)
			return (true);
	}
	return (false);
}

/*
 * What an I/O instruction's exits need from its decoding, worked out at
 * its first exit: size, direction, string, REP, immediate port.
 */
static void
io_decode(struct emu_insn *in)
{
	const ZydisDecodedInstruction *zi = &in->zi;
	unsigned size, in_dir, string, rep, i;

	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_OUTSB:
		size = 1;
		break;
	case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_OUTSW:
		size = 2;
		break;
	case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSD:
		size = 4;
		break;
	default:
		size = zi->operand_width / 8;
		for (i = 0; i < zi->operand_count_visible; i++)
			if (in->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    in->ops[i].reg.value != ZYDIS_REGISTER_DX)
				size = in->ops[i].size / 8;
		break;
	}
	in_dir = zi->mnemonic == ZYDIS_MNEMONIC_IN ||
	    zi->mnemonic == ZYDIS_MNEMONIC_INSB ||
	    zi->mnemonic == ZYDIS_MNEMONIC_INSW ||
	    zi->mnemonic == ZYDIS_MNEMONIC_INSD;
	string = zi->mnemonic != ZYDIS_MNEMONIC_IN &&
	    zi->mnemonic != ZYDIS_MNEMONIC_OUT;
	rep = (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
	    ZYDIS_ATTRIB_HAS_REPNE)) != 0;
	in->io_port = -1;
	for (i = 0; i < zi->operand_count_visible; i++)
		if (in->ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			in->io_port = (int32_t)(in->ops[i].imm.value.u & 0xFF);
	in->io_size = (uint8_t)size;
	in->io_qual = (uint8_t)((in_dir << 3) | (string << 4) | (rep << 5) |
	    ((in->io_port >= 0 ? 1U : 0U) << 6));
	in->io_ready = true;
}

static void
handle_io(struct emu_cpu *cpu, struct emu_insn *in)
{
	const ZydisDecodedInstruction *zi = &in->zi;
	unsigned port, size, in_dir, string;
	uint64_t qual;

	if (!in->io_ready)
		io_decode(in);
	size = in->io_size;
	in_dir = (in->io_qual >> 3) & 1;
	string = (in->io_qual >> 4) & 1;
	port = in->io_port >= 0 ? (unsigned)in->io_port :
	    (unsigned)(reg_read(cpu, UC_X86_REG_RDX) & 0xFFFF);
	if (!io_exits(cpu, port, size)) {
		/* No device behind the port on the simulated host. */
		if (!string && in_dir)
			reg_write(cpu, UC_X86_REG_RAX,
			    reg_read(cpu, UC_X86_REG_RAX) |
			    (size == 4 ? 0xFFFFFFFFULL : (1ULL << (8 * size)) - 1));
		if (string)
			return;		/* let the engine's I/O hook drop it */
		insn_retire(cpu, in);
		return;
	}
	/* Exit qualification for I/O (SDM Vol. 3C Table 28-5). */
	qual = (uint64_t)(size - 1) | in->io_qual | ((uint64_t)port << 16);
	if (string) {
		/* Instruction information: address size and segment. */
		unsigned asz = zi->address_width == 16 ? 0 :
		    zi->address_width == 32 ? 1 : 2;
		unsigned seg = 3;	/* DS */
		if (in_dir)
			seg = 0;	/* ES, no override */
		else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_ES)
			seg = 0;
		else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_CS)
			seg = 1;
		else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_SS)
			seg = 2;
		else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
			seg = 4;
		else if (zi->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
			seg = 5;
		cpu->exit.insn_info = (asz << 7) | (seg << 15);
		cpu->exit.gla = reg_read(cpu, in_dir ? UC_X86_REG_RDI :
		    UC_X86_REG_RSI);
		if (asz == 0)
			cpu->exit.gla &= 0xFFFF;
		else if (asz == 1)
			cpu->exit.gla &= 0xFFFFFFFFULL;
		emu_seg_sync(cpu);
		cpu->exit.gla += cpu->loaded_seg[seg].base;
		cpu->exit.gla_valid = true;
	}
	insn_exit(cpu, in, VMX_EXIT_IO, qual);
}

/*
 * RDMSR/WRMSR exit unless the MSR bitmap clears the MSR's bit (SDM Vol. 3C
 * §26.1.3, §25.6.9): read bitmaps at 0 (low MSRs) and 1024 (high), write
 * bitmaps at 2048 and 3072; MSRs outside both ranges always exit.
 */
static bool
msr_exits(struct emu_cpu *cpu, uint32_t msr, int write)
{
	const uint8_t *bm;
	unsigned off;

	if (cpu->svm_guest)
		return (svm_msr_intercepted(cpu, msr, write));
	if (!(cpu->ctl_proc & IA32_VMX_USE_MSR_BITMAPS))
		return (true);
	if (msr <= 0x1FFF)
		off = 0;
	else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
		off = 1024;
	else
		return (true);
	if (write)
		off += 2048;
	bm = hostmem_ptr(cpu->host->mem, vmcs_get(cpu,
	    VMCS_MSR_BITMAP_ADDRESS), 4096);
	if (bm == NULL)
		return (true);
	msr &= 0x1FFF;
	return (((bm[off + msr / 8] >> (msr % 8)) & 1) != 0);
}

static void
handle_msr(struct emu_cpu *cpu, struct emu_insn *in, int write)
{
	uint32_t msr = (uint32_t)reg_read(cpu, UC_X86_REG_RCX);
	uc_x86_msr m = { msr, 0 };

	if (msr_exits(cpu, msr, write)) {
		insn_exit(cpu, in, write ? VMX_EXIT_WRMSR : VMX_EXIT_RDMSR, 0);
		return;
	}
	/* Pass-through: the guest reaches this CPU's own MSR. */
	if (msr == 0x10 && !write) {
		m.value = guest_tsc(cpu, in->va);
	} else if (write) {
		m.value = (reg_read(cpu, UC_X86_REG_RDX) << 32) |
		    (reg_read(cpu, UC_X86_REG_RAX) & 0xFFFFFFFFULL);
		uc_reg_write(cpu->uc, UC_X86_REG_MSR, &m);
	} else {
		uc_reg_read(cpu->uc, UC_X86_REG_MSR, &m);
	}
	if (!write) {
		reg_write(cpu, UC_X86_REG_RAX, m.value & 0xFFFFFFFFULL);
		reg_write(cpu, UC_X86_REG_RDX, m.value >> 32);
	}
	insn_retire(cpu, in);
}

static const int zreg_to_gpr[] = {
	[ZYDIS_REGISTER_RAX] = 0, [ZYDIS_REGISTER_RCX] = 1,
	[ZYDIS_REGISTER_RDX] = 2, [ZYDIS_REGISTER_RBX] = 3,
	[ZYDIS_REGISTER_RSP] = 4, [ZYDIS_REGISTER_RBP] = 5,
	[ZYDIS_REGISTER_RSI] = 6, [ZYDIS_REGISTER_RDI] = 7,
	[ZYDIS_REGISTER_R8] = 8, [ZYDIS_REGISTER_R9] = 9,
	[ZYDIS_REGISTER_R10] = 10, [ZYDIS_REGISTER_R11] = 11,
	[ZYDIS_REGISTER_R12] = 12, [ZYDIS_REGISTER_R13] = 13,
	[ZYDIS_REGISTER_R14] = 14, [ZYDIS_REGISTER_R15] = 15,
};

static int
gpr_number(ZydisRegister r)
{
	ZydisRegister r64 = ZydisRegisterGetLargestEnclosing(
	    ZYDIS_MACHINE_MODE_LONG_64, r);

	if (r64 >= ZYDIS_REGISTER_RAX && r64 <= ZYDIS_REGISTER_R15)
		return (zreg_to_gpr[r64]);
	return (0);
}

/*
 * A MOV CR's or MOV DR's operands, as its exit reports them: the control
 * or debug register's number (8-15 with REX.R), the GPR, the direction.
 */
struct movsr {
	int	 n;
	int	 gpr;		/* emu_gprs index */
	bool	 to;		/* MOV to CRn/DRn */
};

static struct movsr
movsr_decode(const struct emu_insn *in, ZydisRegisterClass cls,
    ZydisRegister base)
{
	const ZydisDecodedOperand *op = in->ops;
	struct movsr m;

	m.to = ZydisRegisterGetClass(op[0].reg.value) == cls;
	m.n = (int)((m.to ? op[0].reg.value : op[1].reg.value) - base);
	m.gpr = gpr_number(m.to ? op[1].reg.value : op[0].reg.value);
	return (m);
}

#define movcr_decode(in) \
	movsr_decode((in), ZYDIS_REGCLASS_CONTROL, ZYDIS_REGISTER_CR0)
#define movdr_decode(in) \
	movsr_decode((in), ZYDIS_REGCLASS_DEBUG, ZYDIS_REGISTER_DR0)

/*
 * The virtual-APIC page's VTPR (offset 0x80) under "use TPR shadow" (SDM
 * Vol. 3C §30.1.1).  A virtual-APIC address with no memory behind it reads
 * as 0 and drops writes.
 */
static uint8_t *
vtpr_ptr(struct emu_cpu *cpu)
{
	return (hostmem_ptr(cpu->host->mem, (vmcs_get(cpu,
	    VMCS_VIRTUAL_APIC_ADDRESS) & ~0xFFFULL) + 0x80, 4));
}

static uint32_t
vtpr(struct emu_cpu *cpu)
{
	uint8_t *p = vtpr_ptr(cpu);
	uint32_t v = 0;

	if (p != NULL)
		memcpy(&v, p, 4);
	return (v & 0xFF);
}

/*
 * MOV to CR8 with a TPR shadow: VTPR[7:4] <- CR8[3:0], the rest of the
 * dword cleared, then a trap-like TPR-below-threshold exit when VTPR[7:4]
 * falls below the threshold (SDM Vol. 3C §30.1.2).
 */
static void
tpr_shadow_write(struct emu_cpu *cpu, struct emu_insn *in, uint64_t v)
{
	uint8_t *p = vtpr_ptr(cpu);
	uint32_t nv = ((uint32_t)v & 0xF) << 4;

	if (p != NULL)
		memcpy(p, &nv, 4);
	insn_retire(cpu, in);
	if ((nv >> 4) < (vmcs_get(cpu, VMCS_TPR_THRESHOLD) & 0xF)) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_TPR_BELOW_THRESHOLD;
		cpu->stop_why = EMU_STOP_EXIT;
		uc_emu_stop(cpu->uc);
	}
}

/*
 * MOV to/from CR0, CR3, CR4, CR8 (SDM Vol. 3C §26.1.3): writes to CR0/CR4
 * exit when they would change a bit owned by the host (mask) to differ from
 * its read shadow; reads of masked bits return the shadow; CR3 loads and
 * stores and CR8 accesses exit by control.
 */
static void
handle_movcr(struct emu_cpu *cpu, struct emu_insn *in)
{
	struct movsr m = movcr_decode(in);
	int to_cr = m.to, gpr = m.gpr, cr = m.n;
	uint64_t qual = (uint64_t)cr | ((to_cr ? 0ULL : 1ULL) << 4) |
	    ((uint64_t)gpr << 8);
	uint64_t v, mask = 0, shadow = 0, real;
	unsigned i, n;

	if (to_cr) {
		v = reg_read(cpu, gpr_uc[gpr]);
		switch (cr) {
		case 0:
		case 4:
			mask = cr == 0 ? cpu->cr0_mask : cpu->cr4_mask;
			shadow = cr == 0 ? cpu->cr0_shadow : cpu->cr4_shadow;
			if (((v ^ shadow) & mask) != 0) {
				insn_exit(cpu, in, VMX_EXIT_CR_ACCESS, qual);
				return;
			}
			/* The masked bits stay: the CPU does the write. */
			cpu->op_insn = in;
			cpu->op_cr = cr;
			cpu->op_val = v;
			cpu->stop_why = EMU_STOP_OP;
			uc_emu_stop(cpu->uc);
			return;
		case 3:
			if (!(cpu->ctl_proc & IA32_VMX_CR3_LOAD_EXITING))
				goto native_cr3;
			n = (unsigned)vmcs_get(cpu, VMCS_CR3_TARGET_COUNT);
			for (i = 0; i < n && i < 4; i++)
				if (vmcs_get(cpu, VMCS_CR3_TARGET_0 + 2 * i) == v)
					goto native_cr3;
			insn_exit(cpu, in, VMX_EXIT_CR_ACCESS, qual);
			return;
		case 8:
			if (cpu->ctl_proc & IA32_VMX_CR8_LOAD_EXITING) {
				insn_exit(cpu, in, VMX_EXIT_CR_ACCESS, qual);
				return;
			}
			if (cpu->ctl_proc & IA32_VMX_USE_TPR_SHADOW)
				tpr_shadow_write(cpu, in, v);
			return;
		default:
			return;
		}
	}
	switch (cr) {
	case 0:
	case 4:
		mask = cr == 0 ? cpu->cr0_mask : cpu->cr4_mask;
		if (mask == 0)
			return;
		shadow = cr == 0 ? cpu->cr0_shadow : cpu->cr4_shadow;
		real = reg_read(cpu, cr == 0 ? UC_X86_REG_CR0 : UC_X86_REG_CR4);
		reg_write(cpu, gpr_uc[gpr], (shadow & mask) | (real & ~mask));
		insn_retire(cpu, in);
		return;
	case 3:
		if (cpu->ctl_proc & IA32_VMX_CR3_STORE_EXITING)
			insn_exit(cpu, in, VMX_EXIT_CR_ACCESS, qual);
		return;
	case 8:
		if (cpu->ctl_proc & IA32_VMX_CR8_STORE_EXITING) {
			insn_exit(cpu, in, VMX_EXIT_CR_ACCESS, qual);
		} else if (cpu->ctl_proc & IA32_VMX_USE_TPR_SHADOW) {
			reg_write(cpu, gpr_uc[gpr], vtpr(cpu) >> 4);
			insn_retire(cpu, in);
		}
		return;
	default:
		return;
	}
native_cr3:
	/*
	 * MOV to CR3 (no PCIDs) invalidates the current VPID's non-global
	 * translations (SDM Vol. 3C §29.4.3.1); the engine flushes its own
	 * TLB when it executes the instruction.  Linear addresses may now
	 * hold other code: redecode.
	 */
	tlb_flush_vpid(cpu->tlb, emu_vpid_tag(cpu), true);
}

static uint64_t operand_linear(struct emu_cpu *, const struct emu_insn *,
    const ZydisDecodedOperand *);

/* The linear address of an instruction's first memory operand. */
static uint64_t
mem_operand_linear(struct emu_cpu *cpu, const struct emu_insn *in)
{
	int i;

	emu_seg_sync(cpu);
	for (i = 0; i < in->zi.operand_count; i++)
		if (in->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			return (operand_linear(cpu, in, &in->ops[i]));
	return (0);
}

/* The linear address a memory operand refers to, now. */
static uint64_t
operand_linear(struct emu_cpu *cpu, const struct emu_insn *in,
    const ZydisDecodedOperand *op)
{
	static const ZydisRegister zr[EMU_NGPRS] = {
		ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX,
		ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_RBP,
		ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_R8,
		ZYDIS_REGISTER_R9, ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11,
		ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14,
		ZYDIS_REGISTER_R15
	};
	ZydisRegisterContext rc;
	ZyanU64 ea = 0;
	uint64_t base = 0;
	int i;

	memset(&rc, 0, sizeof(rc));
	for (i = 0; i < EMU_NGPRS; i++) {
		uint64_t v = reg_read(cpu, gpr_uc[i]);

		/* Zydis takes the value of the widest register and masks. */
		rc.values[zr[i]] = v;
		rc.values[ZydisRegisterEncode(ZYDIS_REGCLASS_GPR32, i)] =
		    v & 0xFFFFFFFF;
		rc.values[ZydisRegisterEncode(ZYDIS_REGCLASS_GPR16, i)] =
		    v & 0xFFFF;
	}
	rc.values[ZYDIS_REGISTER_RIP] = reg_read(cpu, UC_X86_REG_RIP);
	rc.values[ZYDIS_REGISTER_EIP] = rc.values[ZYDIS_REGISTER_RIP] &
	    0xFFFFFFFF;
	rc.values[ZYDIS_REGISTER_IP] = rc.values[ZYDIS_REGISTER_RIP] & 0xFFFF;
	if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(&in->zi, op,
	    rc.values[ZYDIS_REGISTER_RIP], &rc, &ea)))
		return (0);
	switch (op->mem.segment) {
	case ZYDIS_REGISTER_ES: base = cpu->loaded_seg[SEG_ES].base; break;
	case ZYDIS_REGISTER_CS: base = cpu->loaded_seg[SEG_CS].base; break;
	case ZYDIS_REGISTER_SS: base = cpu->loaded_seg[SEG_SS].base; break;
	case ZYDIS_REGISTER_FS: base = reg_read(cpu, UC_X86_REG_FS_BASE); break;
	case ZYDIS_REGISTER_GS: base = reg_read(cpu, UC_X86_REG_GS_BASE); break;
	default: base = cpu->loaded_seg[SEG_DS].base; break;
	}
	if (in->mode == 64 && op->mem.segment != ZYDIS_REGISTER_FS &&
	    op->mem.segment != ZYDIS_REGISTER_GS)
		base = 0;
	return (ea + base);
}

/*
 * Unicorn reports a refused translation by page only.  The faulting
 * address (CR2, the guest-linear and guest-physical addresses of an EPT
 * violation) is recovered from the instruction at RIP: its first memory
 * operand that lies in the faulting page, the instruction's own address
 * for a fetch, and the page's first byte otherwise.
 */
static uint64_t
fault_address(struct emu_cpu *cpu)
{
	ZydisDecoder dec;
	struct emu_insn in;
	uint8_t buf[15];
	uint64_t lin, a;
	int mode, i;

	emu_seg_sync(cpu);
	lin = reg_read(cpu, UC_X86_REG_RIP) + cpu->loaded_seg[SEG_CS].base;
	if (cpu->fault_access == EMU_ACC_FETCH)
		return ((lin & ~0xFFFULL) == cpu->fault_page ? lin :
		    cpu->fault_page);
	memset(&in, 0, sizeof(in));
	mode = emu_code_size(cpu);
	decoder_for(&dec, mode);
	if (emu_read_guest_linear(cpu, lin, buf, sizeof(buf)) != 0 &&
	    emu_read_guest_linear(cpu, lin, buf, 4096 - (lin & 0xFFF)) != 0)
		return (cpu->fault_page);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf, sizeof(buf),
	    &in.zi, in.ops)))
		return (cpu->fault_page);
	in.mode = (uint8_t)mode;
	for (i = 0; i < in.zi.operand_count; i++) {
		if (in.ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    in.ops[i].mem.type != ZYDIS_MEMOP_TYPE_MEM)
			continue;
		a = operand_linear(cpu, &in, &in.ops[i]);
		if ((a & ~0xFFFULL) == cpu->fault_page)
			return (a);
		if (((a + in.ops[i].size / 8 - 1) & ~0xFFFULL) ==
		    cpu->fault_page)
			return (cpu->fault_page);	/* crosses into it */
	}
	return (cpu->fault_page);
}

/* The length of the guest instruction at RIP, or 0 if unreadable. */
static uint32_t
insn_length_at_rip(struct emu_cpu *cpu)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	uint8_t buf[15];
	uint64_t lin;
	size_t n;

	emu_seg_sync(cpu);
	lin = reg_read(cpu, UC_X86_REG_RIP) + cpu->loaded_seg[SEG_CS].base;
	n = 4096 - (lin & 0xFFF);
	if (n > sizeof(buf))
		n = sizeof(buf);
	if (emu_read_guest_linear(cpu, lin, buf, n) != 0)
		return (0);
	decoder_for(&dec, emu_code_size(cpu));
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, buf, n,
	    &zi)))
		return (0);
	return (zi.length);
}


/* Instructions that fault (#GP) at CPL > 0 before any VM exit. */
static bool
privileged(enum insn_class c)
{
	switch (c) {
	case IC_HLT: case IC_RDMSR: case IC_WRMSR: case IC_MOVCR:
	case IC_CLTS: case IC_LMSW: case IC_INVLPG: case IC_XSETBV:
	case IC_INVD: case IC_WBINVD: case IC_MOVDR:
		return (true);
	default:
		return (false);
	}
}

/*
 * An exception the CPU raises itself for the instruction at RIP (#UD for
 * VMMCALL without its intercept or a SYSCALL it refuses, #GP above CPL 0
 * or for a CR write it refuses, MOV DR's faults), error code 0 if any.
 */
static void
own_event(struct emu_cpu *cpu, int vector, bool has_err)
{
	cpu->guest_event = vector;
	cpu->event_own = true;
	cpu->event_has_err = has_err;
	cpu->event_err = 0;
	cpu->event_pf = false;
	cpu->event_gd = false;
	cpu->stop_why = EMU_STOP_EVENT;
}

/* The same from a hook: the engine stops before the instruction. */
static void
insn_raise(struct emu_cpu *cpu, int vector, bool has_err)
{
	own_event(cpu, vector, has_err);
	uc_emu_stop(cpu->uc);
}

/*
 * The faults of a MOV DR, in their order (SDM Vol. 2B MOV DR, Vol. 3B
 * §18.2; APM Vol. 2 §13.1): DR4 and DR5 are #UD with CR4.DE (else they
 * are DR6 and DR7: m->n is changed to the register accessed); DR7.GD
 * makes any access #DB (BD set, GD cleared, in guest_event); in 64-bit
 * mode a write of bits 63:32 of DR6 or DR7 is #GP(0).  Neither manual
 * orders the #DB and the #GP; on both vendors' CPUs the #DB comes first
 * (measured by KVM's maintainers, Linux 2026-06).  Returns true when it
 * raised one.
 */
static bool
movdr_faults(struct emu_cpu *cpu, const struct emu_insn *in, struct movsr *m)
{
	if (m->n == 4 || m->n == 5) {
		if (reg_read(cpu, UC_X86_REG_CR4) & CR4_DE) {
			insn_raise(cpu, 6, false);
			return (true);
		}
		m->n += 2;
	}
	if (cpu->dr[7] & DR7_GD) {
		insn_raise(cpu, 1, false);
		cpu->event_gd = true;		/* BD and GD: guest_event */
		return (true);
	}
	if (m->to && m->n >= 6 && in->mode == 64 &&
	    (reg_read(cpu, gpr_uc[m->gpr]) >> 32) != 0) {
		insn_raise(cpu, 13, true);
		return (true);
	}
	return (false);
}

/*
 * MOV to or from a debug register that does not exit: carried out here,
 * never by the engine, whose DR7 would arm QEMU breakpoints and
 * watchpoints that Unicorn cannot run (the host process crashed).  The
 * registers keep what the guest writes and DR7 goes to and from the VMCS
 * or VMCB, but the breakpoints it describes do not fire.  Outside 64-bit
 * mode the operands are 32 bits.  Above CPL 0 the engine raises #GP,
 * but for Intel's #DB with DR7.GD (on_insn).
 */
static void
handle_movdr(struct emu_cpu *cpu, struct emu_insn *in)
{
	struct movsr m = movdr_decode(in);
	bool wide = in->mode == 64;
	uint64_t v;

	if (m.n < 0 || m.n > 7 || m.gpr < 0)
		return;			/* not a MOV DR Zydis knows: #UD */
	if (movdr_faults(cpu, in, &m))
		return;
	if (m.to) {
		v = reg_read(cpu, gpr_uc[m.gpr]);
		if (!wide)
			v &= 0xFFFFFFFFULL;
		if (m.n == 6)
			v = (v & DR6_WRITABLE) | DR6_FIXED1;
		else if (m.n == 7)
			v = (v & DR7_WRITABLE) | DR7_FIXED1;
		cpu->dr[m.n] = v;
	} else {
		v = cpu->dr[m.n];
		reg_write(cpu, gpr_uc[m.gpr], wide ? v : (v & 0xFFFFFFFFULL));
	}
	insn_retire(cpu, in);
}

/* Record an SVM guest's exit in SVM terms (EXITCODE, EXITINFO1). */
static void
svm_exit(struct emu_cpu *cpu, const struct emu_insn *in, uint64_t code,
    uint64_t info1)
{
	cpu->exit.svm_direct = true;
	cpu->exit.svm_code = code;
	cpu->exit.svm_info1 = info1;
	insn_exit(cpu, in, VMX_EXIT_REASON_BASIC_MASK, 0);
}

/*
 * Where an SVM guest's instruction follows AMD's rules rather than the
 * VMX controls the shadow VMCS holds (APM Vol. 2 §15.7-§15.13): CR and
 * DR intercepts by register (with decode assists, §15.33.1), CPUID, INVD
 * and XSETBV only when intercepted, VMX instructions #UD, SVM
 * instructions by their intercept bits.  Returns true when done with the
 * instruction (an exit, a fault, or native execution).
 */
static bool
svm_insn(struct emu_cpu *cpu, struct emu_insn *in)
{
	const struct svm_cpu *s = cpu->svm;
	struct movsr sr;
	int to, n, g;
	uint64_t v, code;
	uint32_t bit;

	switch (in->cls) {
	case IC_CPUID:
		return (!(s->imisc1 & SVM_INTERCEPT_CPUID));
	case IC_INVD:
		return (!(s->imisc1 & SVM_INTERCEPT_INVD));
	case IC_XSETBV:
		return (!(s->imisc2 & SVM_INTERCEPT2_XSETBV));
	case IC_VMX:
	case IC_GETSEC:
		return (true);		/* #UD on an AMD CPU */
	case IC_RDTSCP:
		if (!(s->imisc2 & SVM_INTERCEPT2_RDTSCP))
			return (false);
		svm_exit(cpu, in, VMEXIT_RDTSCP, 0);
		return (true);
	case IC_MOVCR:
		sr = movcr_decode(in);
		to = sr.to;
		n = sr.n;
		g = sr.gpr;
		if ((s->icr >> (n + (to ? 16 : 0))) & 1) {
			svm_exit(cpu, in, (to ? VMEXIT_CR0_WRITE :
			    VMEXIT_CR0_READ) + (uint64_t)n, SVM_CR_VALID |
			    (uint64_t)g);
			return (true);
		}
		/* §15.9.1: a CR0 write that changes more than TS and MP. */
		if (to && n == 0 && (s->imisc1 & SVM_INTERCEPT_CR0_SEL_WRITE)) {
			v = reg_read(cpu, gpr_uc[g]);
			if ((v ^ reg_read(cpu, UC_X86_REG_CR0)) &
			    ~(CR0_TS | CR0_MP)) {
				svm_exit(cpu, in, VMEXIT_CR0_SEL_WRITE,
				    SVM_CR_VALID | (uint64_t)g);
				return (true);
			}
		}
		return (false);
	case IC_CLTS:
	case IC_LMSW:
		if (!((s->icr >> 16) & 1))
			return (false);
		svm_exit(cpu, in, VMEXIT_CR0_WRITE, 0);
		return (true);
	case IC_MOVDR:
		/*
		 * On AMD every exception of the instruction comes before its
		 * intercept (KVM's maintainers, Linux 2026-06), so the
		 * intercept of DR4 or DR5 is that of the number written.
		 */
		sr = movdr_decode(in);
		n = sr.n;
		if (movdr_faults(cpu, in, &sr))
			return (true);
		if ((s->idr >> (n + (sr.to ? 16 : 0))) & 1)
			svm_exit(cpu, in, (sr.to ? VMEXIT_DR0_WRITE :
			    VMEXIT_DR0_READ) + (uint64_t)n, SVM_CR_VALID |
			    (uint64_t)sr.gpr);
		else
			handle_movdr(cpu, in);
		return (true);
	case IC_SVM:
		bit = 0;
		switch (in->zi.mnemonic) {
		case ZYDIS_MNEMONIC_VMRUN:
			code = VMEXIT_VMRUN;
			bit = SVM_INTERCEPT2_VMRUN;
			break;
		case ZYDIS_MNEMONIC_VMMCALL:
			code = VMEXIT_VMMCALL;
			bit = SVM_INTERCEPT2_VMMCALL;
			break;
		case ZYDIS_MNEMONIC_VMLOAD:
			code = VMEXIT_VMLOAD;
			bit = SVM_INTERCEPT2_VMLOAD;
			break;
		case ZYDIS_MNEMONIC_VMSAVE:
			code = VMEXIT_VMSAVE;
			bit = SVM_INTERCEPT2_VMSAVE;
			break;
		case ZYDIS_MNEMONIC_STGI:
			code = VMEXIT_STGI;
			bit = SVM_INTERCEPT2_STGI;
			break;
		case ZYDIS_MNEMONIC_CLGI:
			code = VMEXIT_CLGI;
			bit = SVM_INTERCEPT2_CLGI;
			break;
		case ZYDIS_MNEMONIC_SKINIT:
			code = VMEXIT_SKINIT;
			bit = SVM_INTERCEPT2_SKINIT;
			break;
		default:
			code = VMEXIT_INVLPGA;
			break;
		}
		/* Only VMMCALL may run above CPL 0 (#GP first). */
		if (code != VMEXIT_VMMCALL && emu_guest_cpl(cpu) > 0) {
			insn_raise(cpu, 13, true);
			return (true);
		}
		if (bit != 0 ? (s->imisc2 & bit) != 0 :
		    (s->imisc1 & SVM_INTERCEPT_INVLPGA) != 0) {
			svm_exit(cpu, in, code, 0);
			return (true);
		}
		/* VMMCALL without its intercept; no nested SVM either. */
		insn_raise(cpu, 6, false);
		return (true);
	default:
		return (false);
	}
}

static void	on_insn(uc_engine *, uint64_t, uint32_t, void *);
static bool	bytes_same(struct emu_cpu *, uint64_t, const uint8_t *,
		    size_t);
static void	smc_changed(struct emu_cpu *, uint64_t, uint64_t);

/* The code hook on an intercepted instruction. */
static void
on_insn_body(uc_engine *uc, uint64_t addr, uint32_t size, void *arg)
{
	struct emu_insn *in = arg;
	struct emu_cpu *cpu = in->cpu;
	uint64_t tsc, v;

	(void)uc;
	(void)size;
	if (in->dead)
		return;
	if (in->check) {
		uint64_t hpa = (in->hpa & ~0xFFFULL) | (in->va & 0xFFF);
		size_t n = in->len;

		if ((in->va & 0xFFF) + n > 4096)
			n = 4096 - (in->va & 0xFFF);
		if (!bytes_same(cpu, hpa, in->bytes, n)) {
			smc_changed(cpu, hpa, ~0ULL);
			cpu->stop_why = EMU_STOP_REDECODE;
			uc_emu_stop(cpu->uc);
			return;
		}
	}
	if (cpu->exit.pending || cpu->stop_why != EMU_STOP_NONE) {
		uc_emu_stop(cpu->uc);
		return;
	}
	if (in->cls == IC_FLAGSYNC)
		return;		/* the hook itself was the point */
	if (in->cls == IC_BADOP) {
		insn_raise(cpu, in->bad_vector, in->bad_vector == 13);
		return;
	}
	/*
	 * Faults that take priority over the exit (SDM Vol. 3C §26.1.1), by
	 * the engine's own CPL: CS.RPL is not it right after CR0.PE is set,
	 * nor for an SVM guest whose VMCB.CPL says otherwise (APM §15.5.1).
	 * A privileged instruction above CPL 0, I/O above IOPL (the TSS
	 * bitmap decides), RDTSC with CR4.TSD and RDPMC without CR4.PCE above
	 * CPL 0.  The engine raises them when the instruction runs.
	 */
	/*
	 * MOV DR is the exception (§26.1.3): its exit comes before the #GP
	 * for CPL and the #UD for DR4/DR5 with CR4.DE.  So does the #DB
	 * for DR7.GD on Intel's CPUs, unlike AMD's (measured by KVM's
	 * maintainers, Linux 2026-06; neither manual says).
	 */
	if (privileged(in->cls) && emu_guest_cpl(cpu) > 0 &&
	    !(in->cls == IC_MOVDR && !cpu->svm_guest &&
	    ((cpu->ctl_proc & IA32_VMX_MOV_DR_EXITING) ||
	    (cpu->dr[7] & DR7_GD))))
		return;
	/* DR8-DR15 (REX.R) do not exist: #UD before any exit. */
	if (in->cls == IC_MOVDR && movdr_decode(in).n > 7) {
		insn_raise(cpu, 6, false);
		return;
	}
	if (in->cls == IC_IO && (reg_read(cpu, UC_X86_REG_CR0) & CR0_PE)) {
		uint64_t fl;
		unsigned cpl = emu_engine_cpl_eflags(cpu, &fl);

		if (cpl > ((fl >> 12) & 3))
			return;
	}
	if ((in->cls == IC_RDTSC || in->cls == IC_RDTSCP) &&
	    (reg_read(cpu, UC_X86_REG_CR4) & CR4_TSD) &&
	    emu_guest_cpl(cpu) > 0)
		return;
	if (in->cls == IC_RDPMC && !(reg_read(cpu, UC_X86_REG_CR4) & CR4_PCE) &&
	    emu_guest_cpl(cpu) > 0)
		return;
	if (cpu->svm_guest && svm_insn(cpu, in))
		return;
	switch (in->cls) {
	case IC_IO:
		handle_io(cpu, in);
		break;
	case IC_CPUID:
		insn_exit(cpu, in, VMX_EXIT_CPUID, 0);
		break;
	case IC_HLT:
		if (cpu->ctl_proc & IA32_VMX_HLT_EXITING) {
			insn_exit(cpu, in, VMX_EXIT_HLT, 0);
			break;
		}
		/* Activity state HLT until an external interrupt arrives. */
		insn_retire(cpu, in);
		cpu->halted = true;
		cpu->stop_why = EMU_STOP_KICK;
		uc_emu_stop(cpu->uc);
		break;
	case IC_RDTSCP:
		if (!(cpu->ctl_proc2 & IA32_VMX_ENABLE_RDTSCP))
			break;		/* the engine raises #UD */
		/* FALLTHROUGH */
	case IC_RDTSC:
		if (cpu->ctl_proc & IA32_VMX_RDTSC_EXITING) {
			insn_exit(cpu, in, in->cls == IC_RDTSC ? VMX_EXIT_RDTSC :
			    VMX_EXIT_RDTSCP, 0);
			break;
		}
		tsc = guest_tsc(cpu, in->va);
		reg_write(cpu, UC_X86_REG_RAX, tsc & 0xFFFFFFFFULL);
		reg_write(cpu, UC_X86_REG_RDX, tsc >> 32);
		if (in->cls == IC_RDTSCP) {
			uc_x86_msr m = { 0xc0000103, 0 };

			uc_reg_read(cpu->uc, UC_X86_REG_MSR, &m);
			reg_write(cpu, UC_X86_REG_RCX, m.value & 0xFFFFFFFFULL);
		}
		insn_retire(cpu, in);
		break;
	case IC_RDMSR:
		handle_msr(cpu, in, 0);
		break;
	case IC_WRMSR:
		handle_msr(cpu, in, 1);
		break;
	case IC_MOVCR:
		handle_movcr(cpu, in);
		break;
	case IC_INVLPG:
		if (cpu->ctl_proc & IA32_VMX_INVLPG_EXITING) {
			v = mem_operand_linear(cpu, in);
			insn_exit(cpu, in, VMX_EXIT_INVLPG, v);
		} else {
			tlb_flush_va(cpu->tlb, emu_vpid_tag(cpu),
			    mem_operand_linear(cpu, in));
		}
		break;
	case IC_XSETBV:
		insn_exit(cpu, in, VMX_EXIT_XSETBV, 0);
		break;
	case IC_VMX:
		switch (in->zi.mnemonic) {
		case ZYDIS_MNEMONIC_VMCALL:
			insn_exit(cpu, in, VMX_EXIT_VMCALL, 0);
			break;
		case ZYDIS_MNEMONIC_VMLAUNCH:
			insn_exit(cpu, in, VMX_EXIT_VMLAUNCH, 0);
			break;
		case ZYDIS_MNEMONIC_VMRESUME:
			insn_exit(cpu, in, VMX_EXIT_VMRESUME, 0);
			break;
		case ZYDIS_MNEMONIC_VMXOFF:
			insn_exit(cpu, in, VMX_EXIT_VMXOFF, 0);
			break;
		case ZYDIS_MNEMONIC_VMXON:
			insn_exit(cpu, in, VMX_EXIT_VMXON, 0);
			break;
		case ZYDIS_MNEMONIC_VMCLEAR:
			insn_exit(cpu, in, VMX_EXIT_VMCLEAR, 0);
			break;
		case ZYDIS_MNEMONIC_VMPTRLD:
			insn_exit(cpu, in, VMX_EXIT_VMPTRLD, 0);
			break;
		case ZYDIS_MNEMONIC_VMPTRST:
			insn_exit(cpu, in, VMX_EXIT_VMPTRST, 0);
			break;
		case ZYDIS_MNEMONIC_VMREAD:
			insn_exit(cpu, in, VMX_EXIT_VMREAD, 0);
			break;
		case ZYDIS_MNEMONIC_VMWRITE:
			insn_exit(cpu, in, VMX_EXIT_VMWRITE, 0);
			break;
		case ZYDIS_MNEMONIC_INVEPT:
			insn_exit(cpu, in, VMX_EXIT_INVEPT, 0);
			break;
		case ZYDIS_MNEMONIC_INVVPID:
			insn_exit(cpu, in, VMX_EXIT_INVVPID, 0);
			break;
		default:
			insn_exit(cpu, in, VMX_EXIT_VMFUNC, 0);
			break;
		}
		break;
	case IC_MOVDR:
		if (cpu->ctl_proc & IA32_VMX_MOV_DR_EXITING) {
			/* SDM Table 28-4: DR number, direction, GPR. */
			struct movsr dr = movdr_decode(in);

			insn_exit(cpu, in, VMX_EXIT_MOV_DR, (uint64_t)dr.n |
			    ((dr.to ? 0ULL : 1ULL) << 4) |
			    ((uint64_t)dr.gpr << 8));
		} else
			handle_movdr(cpu, in);
		break;
	case IC_INVD:
		insn_exit(cpu, in, VMX_EXIT_INVD, 0);
		break;
	case IC_GETSEC:
		insn_exit(cpu, in, VMX_EXIT_GETSEC, 0);
		break;
	case IC_MWAIT:
		if (cpu->ctl_proc & IA32_VMX_MWAIT_EXITING)
			insn_exit(cpu, in, VMX_EXIT_MWAIT, 0);
		else
			insn_retire(cpu, in);
		break;
	case IC_MONITOR:
		if (cpu->ctl_proc & IA32_VMX_MONITOR_EXITING)
			insn_exit(cpu, in, VMX_EXIT_MONITOR, 0);
		else
			insn_retire(cpu, in);
		break;
	case IC_PAUSE:
		if (cpu->ctl_proc & IA32_VMX_PAUSE_EXITING)
			insn_exit(cpu, in, VMX_EXIT_PAUSE, 0);
		break;
	case IC_RDPMC:
		if (cpu->ctl_proc & IA32_VMX_RDPMC_EXITING)
			insn_exit(cpu, in, VMX_EXIT_RDPMC, 0);
		break;
	case IC_WBINVD:
		if (cpu->ctl_proc2 & IA32_VMX_WBINVD_EXITING)
			insn_exit(cpu, in, VMX_EXIT_WBINVD, 0);
		break;
	case IC_RDRAND:
	case IC_RDSEED:
		if ((cpu->ctl_proc2 & (in->cls == IC_RDRAND ?
		    IA32_VMX_RDRAND_EXITING : IA32_VMX_RDSEED_EXITING))) {
			insn_exit(cpu, in, in->cls == IC_RDRAND ?
			    VMX_EXIT_RDRAND : VMX_EXIT_RDSEED, 0);
			break;
		}
		/* Deterministic: a fixed-seed generator, CF=1. */
		cpu->rng = cpu->rng * 6364136223846793005ULL +
		    1442695040888963407ULL;
		reg_write(cpu, gpr_uc[gpr_number(in->ops[0].reg.value)],
		    cpu->rng >> (64 - in->ops[0].size));
		/*
		 * CF = 1, the other arithmetic flags 0.  The rest comes from
		 * the engine's raw eflags: read here, mid-block, RFLAGS
		 * would carry garbage from QEMU's lazy flags.
		 */
		reg_write(cpu, UC_X86_REG_RFLAGS,
		    (emu_engine_eflags(cpu) & ~0x8D5ULL) | 0x2 | 1);
		insn_retire(cpu, in);
		break;
	default:
		break;
	}
}

#define BLOCK_BITS_MIN	12
#define BLOCK_BITS_MAX	22

static unsigned
block_hash(uint64_t va, uint32_t size, unsigned bits)
{
	uint64_t h = (va ^ ((uint64_t)size << 7)) * 0x9E3779B97F4A7C15ULL;

	return ((unsigned)(h >> (64 - bits)));
}

static unsigned
page_chain(uint64_t page)
{
	return ((unsigned)(((page >> 12) * 0x9E3779B97F4A7C15ULL) >> 54) &
	    (EMU_PAGE_CHAINS - 1));
}

/* Put b on the chain of the page hpa is in (~0: none). */
static void
page_link(struct emu_cpu *cpu, struct emu_block *b, int k, uint64_t hpa)
{
	struct emu_block_pl *pl = &b->pl[k], **head;

	pl->b = b;
	pl->page = hpa == ~0ULL ? ~0ULL : hpa & ~0xFFFULL;
	if (pl->page == ~0ULL)
		return;
	head = &cpu->page_chains[page_chain(pl->page)];
	pl->next = *head;
	pl->pprev = head;
	if (*head != NULL)
		(*head)->pprev = &pl->next;
	*head = pl;
}

static void
page_unlink(struct emu_block_pl *pl)
{
	if (pl->page == ~0ULL)
		return;
	*pl->pprev = pl->next;
	if (pl->next != NULL)
		pl->next->pprev = pl->pprev;
	pl->page = ~0ULL;
}

/* Add a decoded block, doubling the table when it is full. */
static void
block_insert(struct emu_cpu *cpu, struct emu_block *b)
{
	struct emu_block **nt, *p, *np;
	size_t i, n = (size_t)1 << cpu->block_bits;
	unsigned h, bits;

	if (cpu->nblocks >= n && cpu->block_bits < BLOCK_BITS_MAX &&
	    (nt = calloc(n * 2, sizeof(*nt))) != NULL) {
		bits = cpu->block_bits + 1;
		for (i = 0; i < n; i++) {
			for (p = cpu->blocks[i]; p != NULL; p = np) {
				np = p->next;
				h = block_hash(p->va, p->size, bits);
				p->next = nt[h];
				nt[h] = p;
			}
		}
		free(cpu->blocks);
		cpu->blocks = nt;
		cpu->block_bits = bits;
	}
	h = block_hash(b->va, b->size, cpu->block_bits);
	b->next = cpu->blocks[h];
	cpu->blocks[h] = b;
	cpu->nblocks++;
	page_link(cpu, b, 0, b->hpa);
	page_link(cpu, b, 1, b->hpa_end != ~0ULL && b->hpa != ~0ULL &&
	    ((b->hpa_end ^ b->hpa) & ~0xFFFULL) != 0 ? b->hpa_end : ~0ULL);
}

static unsigned
bcache_slot(uint64_t va)
{
	return ((unsigned)(va ^ (va >> 12)) & (EMU_BCACHE - 1));
}

/* The decoded block at va of size bytes. */
static struct emu_block *
block_find(struct emu_cpu *cpu, uint64_t va, uint32_t size)
{
	struct emu_block *b;

	for (b = cpu->blocks[block_hash(va, size, cpu->block_bits)];
	    b != NULL; b = b->next)
		if (b->va == va && b->size == size)
			return (b);
	return (NULL);
}

/*
 * Remove the deadline's code hook, and the translated block that calls
 * it: a block translated with a code hook calls Unicorn's hook dispatcher
 * for that instruction for as long as the block lives, hook or not.  Left
 * behind, one such instruction per deadline accumulated in a guest's hot
 * loop, each walking the list of code hooks on every iteration (most of a
 * Linux boot's host time went there).
 */
static void
deadline_unhook(struct emu_cpu *cpu)
{
	if (!cpu->deadline_hooked)
		return;
	uc_hook_del(cpu->uc, cpu->deadline_hook);
	uc_ctl_remove_cache(cpu->uc, cpu->deadline_at, cpu->deadline_at + 1);
	cpu->deadline_hooked = false;
}

/* Free every decoded block, leaving the block table empty. */
static void
blocks_free(struct emu_cpu *cpu)
{
	struct emu_block *b, *nb;
	size_t i;

	for (i = 0; cpu->blocks != NULL &&
	    i < (size_t)1 << cpu->block_bits; i++) {
		for (b = cpu->blocks[i]; b != NULL; b = nb) {
			nb = b->next;
			free(b->ends);
			free(b->bytes);
			free(b);
		}
		cpu->blocks[i] = NULL;
	}
	cpu->nblocks = 0;
}

/* Forget every decoded block and every instruction hook. */
void
emu_flush_decode(struct emu_cpu *cpu)
{
	struct emu_insn *in, *nin;

	blocks_free(cpu);
	memset(cpu->page_chains, 0, sizeof(cpu->page_chains));
	memset(cpu->bcache, 0, sizeof(cpu->bcache));
	/*
	 * A translated block may keep calling a deleted code hook's callback
	 * with its record: the blocks holding hooked instructions are dropped
	 * from the translation cache, and the records stay, marked dead and
	 * ignored, until a full flush of the cache (emu_flush_tbs).  That
	 * flush costs over a second (Unicorn clears its whole code buffer),
	 * so it is done only when the dead records pile up.
	 */
	for (in = cpu->insns; in != NULL; in = nin) {
		nin = in->next;
		uc_hook_del(cpu->uc, in->hook);
		uc_ctl_remove_cache(cpu->uc, in->va, in->va + in->len);
		in->dead = true;
		in->next = cpu->insn_grave;
		cpu->insn_grave = in;
		if (++cpu->ngrave > EMU_GRAVE_MAX)
			cpu->tb_flush_needed = true;
	}
	cpu->insns = NULL;
	memset(cpu->insn_hash, 0, sizeof(cpu->insn_hash));
	memset(cpu->code_pages, 0xFF, sizeof(cpu->code_pages));
	emu_wp_clear(cpu);
	/* The deadline's code hook may sit on code about to change. */
	deadline_unhook(cpu);
	cpu->deadline_at = ~0ULL;
	cpu->cur_block = NULL;
	cpu->flush_pending = false;
}

/*
 * Self-modifying code.  The engine retranslates code that is written,
 * but the decode cache (which instructions are hooked, and how long they
 * are) would go stale: a hook for a two-byte RDTSC left on what became a
 * three-byte RDTSCP steps into the middle of it (Linux patches its own
 * text at boot).  So every host-physical page that code was decoded from
 * is write-protected in the engine's TLB, and the first store to one
 * flushes the whole decode cache (emu_tlb_fill).
 */
static unsigned
wp_slot(uint64_t pfn)
{
	return ((unsigned)((pfn * 0x9E3779B97F4A7C15ULL) >> 51) &
	    (EMU_WP_SLOTS - 1));
}

#define WP_TOMBSTONE	(~0ULL)		/* a page taken out of the set */

static unsigned
wp_find(const struct emu_cpu *cpu, uint64_t key)
{
	unsigned i = wp_slot(key);

	while (cpu->wp_pages[i] != 0) {
		if (cpu->wp_pages[i] == key)
			return (i);
		i = (i + 1) & (EMU_WP_SLOTS - 1);
	}
	return (EMU_WP_SLOTS);
}

bool
emu_wp_has(const struct emu_cpu *cpu, uint64_t hpa)
{
	if (cpu->wp_count == 0)
		return (false);
	return (wp_find(cpu, (hpa >> 12) + 1) != EMU_WP_SLOTS);
}

static bool	heavy_has(const struct emu_cpu *, uint64_t);

/*
 * A page written too often to write-protect, or run without execute
 * rights (heavy_add): Unicorn's own handling of self-modifying code does
 * not cover it, so its blocks keep their bytes and are checked by them.
 */
static bool
page_volatile(const struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned k;

	hpa &= ~0xFFFULL;
	for (k = 0; k < cpu->nvolatile; k++)
		if (cpu->volatile_pages[k] == hpa)
			return (true);
	return (cpu->nheavy != 0 && heavy_has(cpu, hpa));
}

/* Count writes to a code page; past EMU_SMC_VOLATILE it turns volatile. */
static void
smc_count_write(struct emu_cpu *cpu, uint64_t page)
{
	unsigned k;

	for (k = 0; k < EMU_SMC_RECENT; k++) {
		if (cpu->smc_recent[k].page == page + 1) {
			if (++cpu->smc_recent[k].writes >= EMU_SMC_VOLATILE &&
			    cpu->nvolatile < EMU_VOLATILE_MAX &&
			    !page_volatile(cpu, page))
				cpu->volatile_pages[cpu->nvolatile++] = page;
			return;
		}
	}
	k = cpu->smc_recent_next++ % EMU_SMC_RECENT;
	cpu->smc_recent[k].page = page + 1;
	cpu->smc_recent[k].writes = 1;
}

/*
 * fast_deadline (emu_impl.h) follows what on_block's fast path must not
 * overlook.  fast_off when something it must see is set in this thread;
 * fast_update at each start of the engine and after each slow block.  A
 * kick or NMI from another thread sets its flag, then zeroes
 * fast_deadline; fast_update stores, then looks at the flags (both
 * sequentially consistent), so one of the two always sees the other.
 */
static inline void
fast_off(struct emu_cpu *cpu)
{
	atomic_store_explicit(&cpu->fast_deadline, 0, memory_order_relaxed);
}

static void
fast_update(struct emu_cpu *cpu)
{
	uint64_t d = cpu->deadline;

	if (cpu->shadow_next || cpu->flush_pending || cpu->smc_count != 0 ||
	    cpu->cut_armed ||
	    (cpu->ctl_proc & (IA32_VMX_INTERRUPT_WINDOW_EXITING |
	    IA32_VMX_NMI_WINDOW_EXITING)))
		d = 0;
	atomic_store(&cpu->fast_deadline, d);
	if (d != 0 && (atomic_load(&cpu->kicked) ||
	    atomic_load(&cpu->nmi_pending)))
		fast_off(cpu);
}

/*
 * A store hit a write-protected code page (emu_tlb_fill): the page leaves
 * the set, the store goes ahead, and the blocks and hooks decoded from it
 * go at the next block start (emu_smc_invalidate).
 */
void
emu_wp_written(struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned i = wp_find(cpu, (hpa >> 12) + 1), k;

	if (i != EMU_WP_SLOTS) {
		cpu->wp_pages[i] = WP_TOMBSTONE;
		if (cpu->wp_light[i]) {
			/* Executable translations of the page may be cached. */
			cpu->wp_light[i] = false;
			uc_ctl_flush_tlb(cpu->uc);
		}
	}
	smc_count_write(cpu, hpa & ~0xFFFULL);
	for (k = 0; k < cpu->smc_count; k++)
		if (cpu->smc_pages[k] == (hpa & ~0xFFFULL))
			return;
	fast_off(cpu);
	if (cpu->smc_count == EMU_SMC_MAX) {
		cpu->flush_pending = true;	/* too many: start over */
		return;
	}
	cpu->smc_pages[cpu->smc_count++] = hpa & ~0xFFFULL;
}

/*
 * Drop the engine's translations of code from a host-physical page, in
 * whatever context they were made.  Unicorn finds them by virtual
 * address through its TLB, so for this one call the fill hook maps every
 * address to itself (fill_identity) and the page is named by its HPA;
 * the TLB entries that made are flushed again.  Outside guest execution.
 */
static void
invalidate_hpa_pages(struct emu_cpu *cpu, const uint64_t *pages, unsigned n)
{
	unsigned i;

	cpu->fill_identity = true;
	uc_ctl_flush_tlb(cpu->uc);
	for (i = 0; i < n; i++)
		if (emu_ensure_mapped(cpu, pages[i]) == 0)
			uc_ctl_remove_cache(cpu->uc, pages[i], pages[i] + 4096);
	uc_ctl_flush_tlb(cpu->uc);
	cpu->fill_identity = false;
}

/*
 * The pages that held decoded code go as a guest store would take them
 * (their blocks and hooks at the next block), and their translations go
 * now, by physical address: a decode flush at the next entry (another
 * VMCS, another mode) would otherwise forget the pending pages while the
 * engine kept translations of the old bytes.
 */
struct host_hits {
	uint64_t	page[64];
	unsigned	n;
};

static void
host_hit(struct emu_cpu *cpu, struct host_hits *h, uint64_t page)
{
	emu_wp_written(cpu, page);
	h->page[h->n++] = page;
	if (h->n == sizeof(h->page) / sizeof(h->page[0])) {
		invalidate_hpa_pages(cpu, h->page, h->n);
		h->n = 0;
	}
}

void
emu_cpu_host_wrote(struct emu_cpu *cpu, uint64_t hpa, uint64_t len)
{
	struct host_hits h;
	uint64_t page, first, last, n;
	unsigned i;

	if (len == 0 || cpu->wp_count == 0 || cpu->uc == NULL)
		return;			/* no code decoded from any page */
	h.n = 0;
	first = hpa & ~0xFFFULL;
	last = hpa + (len - 1) < hpa ? UINT64_MAX : hpa + (len - 1);
	n = (last >> 12) - (hpa >> 12) + 1;
	if (n <= EMU_WP_SLOTS) {
		for (page = first; n-- > 0; page += 4096)
			if (wp_find(cpu, (page >> 12) + 1) != EMU_WP_SLOTS)
				host_hit(cpu, &h, page);
	} else {
		/* A range larger than the set: walk the set instead. */
		for (i = 0; i < EMU_WP_SLOTS; i++) {
			page = (cpu->wp_pages[i] - 1) << 12;
			if (cpu->wp_pages[i] != 0 &&
			    cpu->wp_pages[i] != WP_TOMBSTONE &&
			    page >= first && page <= last)
				host_hit(cpu, &h, page);
		}
	}
	if (h.n != 0)
		invalidate_hpa_pages(cpu, h.page, h.n);
}

/*
 * Write-protect a code page; false if it cannot be (the set is full, or
 * the page is volatile and !weighed: only code the gate weighs must be
 * protected whatever it costs).
 */
static bool
wp_insert(struct emu_cpu *cpu, uint64_t hpa, bool weighed)
{
	uint64_t key = (hpa >> 12) + 1;
	unsigned i = wp_slot(key);

	if (wp_find(cpu, key) != EMU_WP_SLOTS)
		return (true);
	if (!weighed && page_volatile(cpu, hpa))
		return (false);
	while (cpu->wp_pages[i] != 0 && cpu->wp_pages[i] != WP_TOMBSTONE)
		i = (i + 1) & (EMU_WP_SLOTS - 1);
	if (cpu->wp_count >= EMU_WP_SLOTS / 2) {
		/* Too many code pages: start over at the next block. */
		cpu->flush_pending = true;
		fast_off(cpu);
		return (false);
	}
	cpu->wp_pages[i] = key;
	cpu->wp_light[i] = weighed;
	cpu->wp_count++;
	/* Writable translations of the page may be cached: drop them. */
	uc_ctl_flush_tlb(cpu->uc);
	return (true);
}

bool
emu_wp_add(struct emu_cpu *cpu, uint64_t hpa)
{
	return (wp_insert(cpu, hpa, false));
}

/*
 * The decode cache starts over: its pages need no protection any more,
 * but pages weighed light keep theirs (emu_code_gate), unless the set is
 * half full, when everything goes and is weighed again as it runs.
 */
void
emu_wp_clear(struct emu_cpu *cpu)
{
	unsigned i, light = 0;

	if (cpu->wp_count == 0) {
		cpu->smc_count = 0;
		return;
	}
	for (i = 0; i < EMU_WP_SLOTS; i++)
		if (cpu->wp_light[i])
			light++;
	if (light == 0 || cpu->wp_count >= EMU_WP_SLOTS / 4) {
		memset(cpu->wp_pages, 0, sizeof(cpu->wp_pages));
		memset(cpu->wp_light, 0, sizeof(cpu->wp_light));
		cpu->wp_count = 0;
		/* Pages no longer weighed: no executable translation either. */
		if (light != 0 && cpu->uc != NULL)
			uc_ctl_flush_tlb(cpu->uc);
	} else {
		for (i = 0; i < EMU_WP_SLOTS; i++)
			if (!cpu->wp_light[i] && cpu->wp_pages[i] != 0)
				cpu->wp_pages[i] = WP_TOMBSTONE;
		cpu->wp_count = light;
	}
	cpu->smc_count = 0;
}

static unsigned
insn_hash(uint64_t va)
{
	return ((unsigned)((va * 0x9E3779B97F4A7C15ULL) >> 52) &
	    (EMU_BLOCK_HASH - 1));
}

static bool
insn_hooked(struct emu_cpu *cpu, uint64_t va, int mode)
{
	const struct emu_insn *in;

	for (in = cpu->insn_hash[insn_hash(va)]; in != NULL; in = in->hnext)
		if (in->va == va && in->mode == mode)
			return (true);
	return (false);
}

static unsigned
code_page_slot(uint64_t va)
{
	return ((unsigned)(((va >> 12) * 0x9E3779B97F4A7C15ULL) >> 52) &
	    (EMU_BLOCK_HASH - 1));
}

static void
code_page_note(struct emu_cpu *cpu, uint64_t va, uint64_t hpa)
{
	unsigned i = code_page_slot(va);

	cpu->code_pages[i].va = va & ~0xFFFULL;
	cpu->code_pages[i].hpa = hpa & ~0xFFFULL;
}

/*
 * The TLB-fill hook saw an instruction fetch translated: if blocks were
 * decoded from that linear page at another host-physical page, its code
 * may be different now, so decoded blocks are checked again on their next
 * use (a CR3 load, a page-table or EPT change, anything).
 */
void
emu_code_page_filled(struct emu_cpu *cpu, uint64_t va, uint64_t hpa)
{
	unsigned i = code_page_slot(va);

	if (cpu->code_pages[i].va == (va & ~0xFFFULL) &&
	    cpu->code_pages[i].hpa != (hpa & ~0xFFFULL)) {
		cpu->decode_gen++;
		cpu->code_pages[i].hpa = hpa & ~0xFFFULL;
	}
}

/*
 * Hook the instruction of class cls at offset off of block b (its bytes
 * at buf + off): a code hook on its address, the record on cpu's lists.
 * NULL without memory for it.
 */
static struct emu_insn *
insn_hook_add(struct emu_cpu *cpu, const struct emu_block *b, uint32_t off,
    const uint8_t *buf, enum insn_class cls, int mode, uint32_t len)
{
	struct emu_insn *in;
	uint64_t va = b->va + off;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return (NULL);
	in->cpu = cpu;
	in->va = va;
	in->hpa = (va & ~0xFFFULL) == (b->va & ~0xFFFULL) ? b->hpa :
	    b->hpa_end;
	in->cls = cls;
	in->mode = (uint8_t)mode;
	in->len = (uint8_t)len;
	in->check = in->hpa != ~0ULL && page_volatile(cpu, in->hpa);
	memcpy(in->bytes, buf + off, len);
	if (uc_hook_add(cpu->uc, &in->hook, UC_HOOK_CODE, on_insn, in, va,
	    va) != UC_ERR_OK) {
		free(in);
		return (NULL);
	}
	in->next = cpu->insns;
	cpu->insns = in;
	in->hnext = cpu->insn_hash[insn_hash(va)];
	cpu->insn_hash[insn_hash(va)] = in;
	return (in);
}

/*
 * Hook the bytes at offset off of block b that the decoder rejected: the
 * CPU raises vector (#UD or #GP) there before the engine can run them.
 * Returns whether the hook is in place (or was already, from another
 * block).
 */
static bool
badop_hook(struct emu_cpu *cpu, const struct emu_block *b, uint32_t off,
    const uint8_t *buf, uint32_t avail, int mode, int vector)
{
	struct emu_insn *in;
	uint32_t len = avail - off < 15 ? avail - off : 15;

	if (insn_hooked(cpu, b->va + off, mode))
		return (true);
	if ((in = insn_hook_add(cpu, b, off, buf, IC_BADOP, mode, len)) ==
	    NULL)
		return (false);
	in->bad_vector = (uint8_t)vector;
	return (true);
}

/*
 * Decode a new block; hook its intercepted instructions.  Returns the
 * block, with *hooked set when hooks were added (the translation must
 * then be redone).
 */
static struct emu_block *
decode_block(struct emu_cpu *cpu, uint64_t va, uint32_t size, int mode,
    bool *hooked)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emu_block *b;
	struct emu_insn *in;
	uint8_t buf[4096 + 16];
	uint32_t off = 0, n = 0, avail, room;
	enum insn_class cls;
	ZyanStatus st;

	*hooked = false;
	if ((b = aligned_alloc(EMU_BLOCK_ALIGN, sizeof(*b))) == NULL)
		return (NULL);
	memset(b, 0, sizeof(*b));
	b->va = va;
	b->size = size;
	b->mode = (uint8_t)mode;
	b->gen = cpu->decode_gen;
	b->hpa_end = ~0ULL;
	if (emu_translate_probe(cpu, va, EMU_ACC_FETCH, &b->hpa) != 0) {
		b->hpa = ~0ULL;
	} else {
		uint64_t end_hpa;

		code_page_note(cpu, va, b->hpa);
		emu_wp_add(cpu, b->hpa);
		if (((va + size - 1) ^ va) >= 4096 &&
		    emu_translate_probe(cpu, va + size - 1, EMU_ACC_FETCH,
		    &end_hpa) == 0) {
			emu_wp_add(cpu, end_hpa);
			b->hpa_end = end_hpa;
		}
	}
	avail = size > 4096 ? 4096 : size;
	if ((b->ends = calloc(avail + 1, sizeof(*b->ends))) == NULL ||
	    emu_read_guest_code(cpu, va, buf, avail) != 0) {
		free(b->ends);
		free(b);
		return (NULL);
	}
	/*
	 * The engine ends a block inside an instruction it faults on while
	 * translating (MOV DR above CPL 0 is #GP after two bytes): the
	 * decoder reads past the block, where it can, to see the whole
	 * instruction, whose exit may come first.
	 */
	room = avail;
	if (emu_read_guest_code(cpu, va + avail, buf + avail, 15) == 0)
		room = avail + 15;
	if (b->hpa != ~0ULL && (page_volatile(cpu, b->hpa) ||
	    (b->hpa_end != ~0ULL && page_volatile(cpu, b->hpa_end))) &&
	    (b->bytes = malloc(avail)) != NULL)
		memcpy(b->bytes, buf, avail);
	decoder_for(&dec, mode);
	while (off < avail) {
		st = ZydisDecoderDecodeFull(&dec, buf + off, room - off, &zi,
		    ops);
		if (!ZYAN_SUCCESS(st)) {
			/*
			 * Not an instruction (a cut-off one at the end of
			 * what was read excepted).  The engine may accept it
			 * all the same (QEMU runs 8F /5 as POP and takes LOCK
			 * MOV DR7), and nothing after it would have a hook:
			 * the CPU raises #UD there, or #GP for more than 15
			 * bytes (SDM Vol. 2A §2.3.11).
			 */
			if (st != ZYDIS_STATUS_NO_MORE_DATA &&
			    badop_hook(cpu, b, off, buf, room, mode,
			    st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ? 13 : 6)) {
				*hooked = true;
				b->ends[n++] = (uint16_t)(off + 1);
			}
			break;
		}
		cls = classify_full(&zi, ops);
		if (cls != IC_NONE && insn_hooked(cpu, va + off, mode))
			cls = IC_NONE;		/* already hooked by another block */
		if (cls != IC_NONE && (in = insn_hook_add(cpu, b, off, buf,
		    cls, mode, zi.length)) != NULL) {
			in->zi = zi;
			memcpy(in->ops, ops, sizeof(ops));
			*hooked = true;
			b->nsel++;
		}
		off += zi.length;
		b->ends[n++] = (uint16_t)off;
		b->shadow = zi.mnemonic == ZYDIS_MNEMONIC_STI ||
		    ((zi.mnemonic == ZYDIS_MNEMONIC_MOV ||
		    zi.mnemonic == ZYDIS_MNEMONIC_POP) &&
		    ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    ops[0].reg.value == ZYDIS_REGISTER_SS);
	}
	/*
	 * A block with no instruction read (a cut-off one, or no memory for
	 * the hook) still counts as one, so that every block moves virtual
	 * time and a timed exit always comes.
	 */
	if (n == 0)
		b->ends[n++] = (uint16_t)avail;
	b->ninsn = (uint16_t)n;
	return (b);
}

/*
 * A timed exit (the VMX-preemption timer) falls inside the block that is
 * starting: stop before its instruction at vtime == deadline, exactly.
 * At the block's first instruction the block hook stops right away;
 * otherwise a code hook goes on that instruction and the block is
 * translated again with it.
 */
static void on_deadline(uc_engine *, uint64_t, uint32_t, void *);

/*
 * The timed exit at cpu->deadline: the preemption timer (exit 52) or the
 * host's timer tick (an external interrupt, exit 1), which then moves on.
 */
/*
 * Whether a host interrupt (a kick, a host tick, stop_at) ends guest
 * execution: with external-interrupt exiting, or always on a CPU whose
 * owner asked for it (emu_cpu_set_host_exits).
 */
static inline bool
host_intr_exits(const struct emu_cpu *cpu)
{
	return ((cpu->ctl_pin & IA32_VMX_EXTERNAL_INT_EXITING) ||
	    cpu->host_exits);
}

/* A host interrupt (a kick or a host tick) with external-interrupt exiting. */
static void
host_interrupt_exit(struct emu_cpu *cpu)
{
	cpu->exit.pending = true;
	cpu->exit.reason = VMX_EXIT_EXTINT;
}

static void
deadline_exit(struct emu_cpu *cpu)
{
	if (cpu->deadline >= cpu->preempt_deadline) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_VMX_PREEMPTION_TIMER_EXPIRED;
	} else {
		host_interrupt_exit(cpu);
		if (cpu->tick_interval != 0 && cpu->deadline >= cpu->next_tick)
			cpu->next_tick += cpu->tick_interval;
	}
}

/*
 * Stop the engine from a block hook, before the block's first instruction.
 * The engine's RIP is not brought up to date when one translated block
 * chains into the next, so the run loop puts RIP at the block itself.
 */
static void
block_stop(struct emu_cpu *cpu, uint64_t va)
{
	cpu->block_stop_va = va;
	cpu->block_stopped = true;
	uc_emu_stop(cpu->uc);
}

/*
 * Whether the deadline's code hook, in block b, is still ahead: it was put
 * on the instruction where an earlier pass through the block would have
 * reached the deadline.  A later pass (the earlier one cut short by an
 * exception, its handler coming back to the block) starts later, so it
 * reaches the hook at or past the deadline, and on_deadline takes it
 * there, late by what the passes differ; moving the hook instead would
 * translate the block again at every pass.  A pass that starts at or past
 * the deadline takes it at once.
 */
static bool
deadline_hook_ahead(const struct emu_cpu *cpu, const struct emu_block *b)
{
	return (cpu->deadline_hooked && cpu->deadline > cpu->vtime_block &&
	    cpu->deadline_at >= b->va && cpu->deadline_at < b->va + b->size);
}

static void
deadline_in_block(struct emu_cpu *cpu, const struct emu_block *b)
{
	uint64_t k, at;

	/*
	 * A deadline already behind the block's start (its code hook was
	 * lost when the code around it was rewritten) is taken here, late
	 * by at most that block but the same in every run.
	 */
	k = cpu->deadline > cpu->vtime_block ?
	    cpu->deadline - cpu->vtime_block : 0;
	if (k > b->ninsn)
		k = b->ninsn;
	if (k == 0) {
		cpu->vtime = cpu->vtime_block;
		cpu->cur_block = NULL;
		deadline_exit(cpu);
		cpu->stop_why = EMU_STOP_EXIT;
		block_stop(cpu, b->va);
		return;
	}
	at = b->va + b->ends[k - 1];
	deadline_unhook(cpu);
	cpu->deadline_at = at;
	cpu->deadline_hooked = uc_hook_add(cpu->uc, &cpu->deadline_hook,
	    UC_HOOK_CODE, on_deadline, cpu, at, at) == UC_ERR_OK;
	uc_ctl_remove_cache(cpu->uc, b->va, b->va + b->size);
	cpu->vtime = cpu->vtime_block;
	cpu->cur_block = NULL;
	cpu->stop_why = EMU_STOP_REDECODE;
	block_stop(cpu, b->va);
}

static void
on_deadline_body(uc_engine *uc, uint64_t addr, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = arg;

	(void)size;
	if (cpu->exit.pending || cpu->stop_why != EMU_STOP_NONE ||
	    vtime_at(cpu, addr) < cpu->deadline)
		return;
	deadline_exit(cpu);
	cpu->stop_why = EMU_STOP_EXIT;
	uc_emu_stop(uc);
}

static bool
smc_hit(const struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned k;

	if (hpa == ~0ULL)
		return (false);
	for (k = 0; k < cpu->smc_count; k++)
		if (cpu->smc_pages[k] == (hpa & ~0xFFFULL))
			return (true);
	return (false);
}

/*
 * Forget the blocks and hooks decoded from the pages stores were made
 * to (emu_wp_written), and their translations.  The hook records stay,
 * dead, until the run loop is outside the engine (emu_flush_tbs).
 */
static void
emu_smc_invalidate(struct emu_cpu *cpu)
{
	struct emu_block *b, **bp;
	struct emu_block_pl *pl;
	struct emu_insn *in, **ip, **hp;
	unsigned k;

	/* The blocks on each written page, found by the page's chain. */
	for (k = 0; k < cpu->smc_count; k++) {
		for (;;) {
			for (pl = cpu->page_chains[page_chain(
			    cpu->smc_pages[k])]; pl != NULL; pl = pl->next)
				if (pl->page == cpu->smc_pages[k])
					break;
			if (pl == NULL)
				break;
			b = pl->b;
			page_unlink(&b->pl[0]);
			page_unlink(&b->pl[1]);
			for (bp = &cpu->blocks[block_hash(b->va, b->size,
			    cpu->block_bits)]; *bp != NULL; bp = &(*bp)->next)
				if (*bp == b) {
					*bp = b->next;
					cpu->nblocks--;
					break;
				}
			if (cpu->bcache[bcache_slot(b->va)].b == b)
				memset(&cpu->bcache[bcache_slot(b->va)], 0,
				    sizeof(cpu->bcache[0]));
			uc_ctl_remove_cache(cpu->uc, b->va, b->va + b->size);
			free(b->ends);
			free(b->bytes);
			free(b);
		}
	}
	for (ip = &cpu->insns; (in = *ip) != NULL; ) {
		if (!smc_hit(cpu, in->hpa)) {
			ip = &in->next;
			continue;
		}
		*ip = in->next;
		for (hp = &cpu->insn_hash[insn_hash(in->va)]; *hp != NULL;
		    hp = &(*hp)->hnext) {
			if (*hp == in) {
				*hp = in->hnext;
				break;
			}
		}
		uc_hook_del(cpu->uc, in->hook);
		uc_ctl_remove_cache(cpu->uc, in->va, in->va + in->len);
		in->dead = true;
		in->next = cpu->insn_grave;
		cpu->insn_grave = in;
		if (++cpu->ngrave > EMU_GRAVE_MAX)
			cpu->tb_flush_needed = true;
	}
	cpu->smc_count = 0;
	cpu->cur_block = NULL;
}

/* The bytes at host-physical hpa..hpa+len (within one page) as decoded? */
static bool
bytes_same(struct emu_cpu *cpu, uint64_t hpa, const uint8_t *want, size_t len)
{
	const uint8_t *p = hostmem_ptr(cpu->host->mem, hpa, len);

	return (p != NULL && memcmp(p, want, len) == 0);
}

/* A block on a volatile page: are its bytes still the decoded ones? */
static bool
block_unchanged(struct emu_cpu *cpu, const struct emu_block *b)
{
	size_t len = b->size > 4096 ? 4096 : b->size;
	size_t first = 4096 - (b->va & 0xFFF);

	if (first >= len)
		return (bytes_same(cpu, b->hpa, b->bytes, len));
	return (bytes_same(cpu, b->hpa, b->bytes, first) &&
	    b->hpa_end != ~0ULL &&
	    bytes_same(cpu, b->hpa_end & ~0xFFFULL, b->bytes + first,
	    len - first));
}

/* Code on a volatile page changed under a decoded block or hook. */
static void
smc_changed(struct emu_cpu *cpu, uint64_t hpa1, uint64_t hpa2)
{
	fast_off(cpu);
	cpu->smc_count = 0;
	cpu->smc_pages[cpu->smc_count++] = hpa1 & ~0xFFFULL;
	if (hpa2 != ~0ULL)
		cpu->smc_pages[cpu->smc_count++] = hpa2 & ~0xFFFULL;
	emu_smc_invalidate(cpu);
}

/*
 * Runs before every translated block: count it, decode it the first time.
 * This is the engine's per-block cost, so the common case (a block run
 * before, nothing pending, no timed exit in it) is a leaf function that
 * only counts; anything else goes to on_block_slow, which does the same
 * and all the rest.
 */
static void	on_block_slow(uc_engine *, uint64_t, uint32_t, void *)
		    __attribute__((noinline));
static void	cut_disarm(struct emu_cpu *);

static void
on_block(uc_engine *uc, uint64_t va, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = arg;
	const struct emu_bslot *s = &cpu->bcache[bcache_slot(va)];

	if (s->va == va && s->size == size && s->gen == cpu->decode_gen &&
	    !s->check && !s->shadow && cpu->vtime + s->ninsn <=
	    atomic_load_explicit(&cpu->fast_deadline, memory_order_relaxed)) {
		cpu->in_shadow_block = false;
		cpu->cur_block = s->b;
		cpu->vtime_block = cpu->vtime;
		cpu->vtime += s->ninsn;
		return;
	}
	on_block_slow(uc, va, size, arg);
}

static void
on_block_slow_body(uc_engine *uc, uint64_t va, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = arg;
	struct emu_block *b;
	struct emu_bslot *s;
	unsigned ninsn;
	int mode;
	bool hooked, shadowed, bshadow;

	if (cpu->cut_armed)
		cut_disarm(cpu);
	/* A block run before, unchanged: what the hook needs is cached. */
	s = &cpu->bcache[bcache_slot(va)];
	if (s->va == va && s->size == size && s->gen == cpu->decode_gen &&
	    !s->check && !cpu->flush_pending && cpu->smc_count == 0) {
		b = s->b;
		ninsn = s->ninsn;
		bshadow = s->shadow;
		goto known;
	}
	if (cpu->flush_pending) {
		emu_flush_decode(cpu);
		cpu->stop_why = EMU_STOP_REDECODE;
		uc_ctl_remove_cache(uc, va, va + size);
		block_stop(cpu, va);
		return;
	}
	if (cpu->smc_count != 0) {
		emu_smc_invalidate(cpu);
		cpu->stop_why = EMU_STOP_REDECODE;
		uc_ctl_remove_cache(uc, va, va + size);
		block_stop(cpu, va);
		return;
	}
	b = block_find(cpu, va, size);
	if (b != NULL && b->gen != cpu->decode_gen) {
		/*
		 * Translations may have changed since the block was decoded
		 * (a TLB invalidation, a CR3 load): it stands if its linear
		 * address still reaches the same bytes, else every decoded
		 * block and hook goes and this one is decoded again.
		 */
		uint64_t hpa;

		if (emu_translate_probe(cpu, va, EMU_ACC_FETCH, &hpa) == 0 &&
		    hpa == b->hpa) {
			b->gen = cpu->decode_gen;
		} else {
			emu_flush_decode(cpu);
			cpu->stop_why = EMU_STOP_REDECODE;
			uc_ctl_remove_cache(uc, va, va + size);
			block_stop(cpu, va);
			return;
		}
	}
	if (b != NULL && b->bytes != NULL && !block_unchanged(cpu, b)) {
		smc_changed(cpu, b->hpa, b->hpa_end);
		cpu->stop_why = EMU_STOP_REDECODE;
		uc_ctl_remove_cache(uc, va, va + size);
		block_stop(cpu, va);
		return;
	}
	if (b == NULL) {
		mode = engine_mode(cpu);
		cpu->engine_code += size;
		if ((b = decode_block(cpu, va, size, mode, &hooked)) == NULL) {
			/*
			 * What the engine is about to run cannot be read (its
			 * own TLB kept a translation the software TLB has
			 * dropped) or decoded (no memory).  Unhooked, it
			 * would run MOV DR or an exiting instruction itself:
			 * drop the engine's translations, as a CPU may drop
			 * TLB entries at any time, and start the block again.
			 * A second failure in a row at the same place shuts
			 * the CPU down.
			 */
			cpu->cur_block = NULL;
			if (cpu->undecodable_va == va + 1) {
				cpu->exit.pending = true;
				cpu->exit.reason = VMX_EXIT_TRIPLE_FAULT;
				cpu->stop_why = EMU_STOP_EXIT;
				block_stop(cpu, va);
				return;
			}
			cpu->undecodable_va = va + 1;
			uc_ctl_remove_cache(uc, va, va + size);
			uc_ctl_flush_tlb(uc);
			cpu->stop_why = EMU_STOP_REDECODE;
			block_stop(cpu, va);
			return;
		}
		cpu->undecodable_va = 0;
		block_insert(cpu, b);
		if (hooked) {
			/* Retranslate with the hooks in place, from here. */
			uc_ctl_remove_cache(uc, va, va + size);
			cpu->stop_why = EMU_STOP_REDECODE;
			cpu->cur_block = NULL;
			block_stop(cpu, va);
			return;
		}
	}
	s->va = va;
	s->size = size;
	s->gen = b->gen;
	s->ninsn = b->ninsn;
	s->shadow = b->shadow;
	s->check = b->bytes != NULL;
	s->b = b;
	ninsn = b->ninsn;
	bshadow = b->shadow;
known:
	shadowed = cpu->shadow_next;
	cpu->shadow_next = bshadow;
	cpu->in_shadow_block = shadowed;
	/*
	 * A host interrupt (emu_cpu_kick) that landed after the run loop last
	 * looked, while the engine was not yet running and so could not be
	 * stopped, is taken here, at the next block start.
	 */
	if (host_intr_exits(cpu) && !shadowed &&
	    atomic_load_explicit(&cpu->kicked, memory_order_relaxed) &&
	    atomic_exchange(&cpu->kicked, 0)) {
		host_interrupt_exit(cpu);
		cpu->stop_why = EMU_STOP_EXIT;
		cpu->cur_block = NULL;
		block_stop(cpu, va);
		return;
	}
	/* Likewise a host NMI, unless NMIs are blocked (the run loop takes it). */
	if (!shadowed &&
	    atomic_load_explicit(&cpu->nmi_pending, memory_order_relaxed) &&
	    ((cpu->ctl_pin & IA32_VMX_NMI_EXITING) || !emu_nmi_blocked(cpu))) {
		cpu->shadow_next = shadowed;
		cpu->stop_why = EMU_STOP_NMI;
		cpu->cur_block = NULL;
		block_stop(cpu, va);
		return;
	}
	/*
	 * NMI-window exiting (SDM Vol. 3C §26.7.6; it needs virtual NMIs): an
	 * exit before the first instruction without virtual-NMI blocking,
	 * which only an IRET lifts; the engine ends a block after IRET.  It
	 * comes before the interrupt window (SDM §26.2).  Blocking by STI or
	 * MOV SS holds it off, as processors may.
	 */
	if ((cpu->ctl_proc & IA32_VMX_NMI_WINDOW_EXITING) && !shadowed &&
	    !emu_nmi_blocked(cpu)) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_NMI_WINDOW;
		cpu->stop_why = EMU_STOP_EXIT;
		cpu->cur_block = NULL;
		block_stop(cpu, va);
		return;
	}
	/*
	 * Interrupt-window exiting (SDM Vol. 3C §26.7.5): an exit before the
	 * first instruction at which RFLAGS.IF = 1 and nothing blocks.  The
	 * engine ends a block after every instruction that can open the
	 * window (STI, POPF, IRET, the shadowed instruction after STI), so
	 * block starts are exactly the points to check.
	 */
	if ((cpu->ctl_proc & IA32_VMX_INTERRUPT_WINDOW_EXITING) && !shadowed &&
	    (emu_engine_eflags(cpu) & PSL_I)) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_INT_WINDOW;
		cpu->stop_why = EMU_STOP_EXIT;
		cpu->cur_block = NULL;
		block_stop(cpu, va);
		return;
	}
	cpu->cur_block = b;
	cpu->vtime_block = cpu->vtime;
	cpu->vtime += ninsn;
	if (cpu->vtime > cpu->deadline && !deadline_hook_ahead(cpu, b))
		deadline_in_block(cpu, b);
	fast_update(cpu);
}

/*
 * Fills while a hook runs (or outside the engine) come from the
 * monitor's own calls into the engine (dropping translations, adding and
 * removing code hooks), not from a translation: emu_code_gate lets them
 * through unweighed, and the executable translations they leave are
 * dropped when the hook returns.
 */
static void
hook_leave(struct emu_cpu *cpu)
{
	if (--cpu->hook_depth == 0 && cpu->ctl_granted) {
		cpu->ctl_granted = false;
		uc_ctl_flush_tlb(cpu->uc);
	}
}

static void
on_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = ((struct emu_insn *)arg)->cpu;

	cpu->hook_depth++;
	on_insn_body(uc, addr, size, arg);
	hook_leave(cpu);
}

static void
on_deadline(uc_engine *uc, uint64_t addr, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = arg;

	cpu->hook_depth++;
	on_deadline_body(uc, addr, size, arg);
	hook_leave(cpu);
}

static void
on_block_slow(uc_engine *uc, uint64_t va, uint32_t size, void *arg)
{
	struct emu_cpu *cpu = arg;

	cpu->hook_depth++;
	on_block_slow_body(uc, va, size, arg);
	hook_leave(cpu);
}

/* Correct virtual time when execution stopped at linear rip. */
static void
vtime_fixup(struct emu_cpu *cpu, uint64_t lin)
{
	const struct emu_block *b = cpu->cur_block;
	uint64_t off;
	unsigned k = 0;

	if (b == NULL || lin < b->va || lin > b->va + b->size)
		return;
	off = lin - b->va;
	while (k < b->ninsn && b->ends[k] <= off)
		k++;
	cpu->vtime = cpu->vtime_block + k;
	cpu->cur_block = NULL;
}

/* Exceptions and INT n raised inside the engine. */
static void
on_intr(uc_engine *uc, uint32_t intno, void *arg)
{
	struct emu_cpu *cpu = arg;

	if (cpu->exit.pending || cpu->stop_why != EMU_STOP_NONE ||
	    cpu->gate_stopped)
		return;		/* (a code page turned away: no fault) */
	cpu->guest_event = (int)intno;
	cpu->event_pf = false;
	cpu->stop_why = EMU_STOP_EVENT;
	uc_emu_stop(uc);
}

/*
 * An instruction the engine rejected before its code hook was placed
 * (its block not scanned yet) that exits on the simulated CPU: the VMX
 * and SVM instructions, which the engine's own CPU model lacks.  Decode
 * it here and take the exit its hook would have taken.
 */
static void
invalid_insn_exit(uc_engine *uc, struct emu_cpu *cpu)
{
	struct emu_insn in;
	ZydisDecoder dec;
	uint64_t rip = reg_read(cpu, UC_X86_REG_RIP);
	int mode = engine_mode(cpu);

	memset(&in, 0, sizeof(in));
	emu_seg_sync(cpu);
	in.va = rip + (mode == 64 ? 0 : cpu->loaded_seg[1].base);
	if (emu_read_guest_code(cpu, in.va, in.bytes, sizeof(in.bytes)) != 0)
		return;
	decoder_for(&dec, mode);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, in.bytes,
	    sizeof(in.bytes), &in.zi, in.ops)))
		return;
	in.cls = classify_full(&in.zi, in.ops);
	if (in.cls != IC_VMX && in.cls != IC_SVM)
		return;
	in.cpu = cpu;
	in.mode = (uint8_t)mode;
	in.len = in.zi.length;
	in.hpa = ~0ULL;
	on_insn(uc, in.va, in.len, &in);
}

static bool
on_invalid(uc_engine *uc, void *arg)
{
	struct emu_cpu *cpu = arg;

	if (!cpu->exit.pending && cpu->stop_why == EMU_STOP_NONE)
		invalid_insn_exit(uc, cpu);
	if (!cpu->exit.pending && cpu->stop_why == EMU_STOP_NONE) {
		cpu->guest_event = 6;		/* #UD */
		cpu->event_pf = false;
		cpu->stop_why = EMU_STOP_EVENT;
	}
	uc_emu_stop(uc);
	return (false);
}

/*
 * SYSCALL: the engine calls this and steps over the instruction; the CPU
 * does the transition once the engine has stopped (emu_engine_syscall).
 * The translator ends the block after SYSCALL with RIP and the flags in
 * order, so the stop takes effect before anything else runs.
 */
static void
on_syscall(uc_engine *uc, void *arg)
{
	struct emu_cpu *cpu = arg;

	cpu->syscall_rip = reg_read(cpu, UC_X86_REG_RIP);
	cpu->stop_why = EMU_STOP_SYSCALL;
	uc_emu_stop(uc);
}

/*
 * Heavy blocks.  Unicorn 2.1.1's x86 translator leaks TCG temporaries
 * (constants handed to helpers and never freed): two for each x87
 * instruction, one for INTO, AAM, AAD, segment-register loads, moves
 * to and from control and debug registers, and some SSE instructions
 * with an immediate.  Past 512 temporaries in one block the table
 * overruns the op list that follows it and the translator writes
 * through a null pointer: 465 INTOs or 233 FXCHs in a row would take
 * the whole process down (Unicorn PRs 2307 and 2372, not in 2.1.1).
 *
 * So code is weighed before the engine may translate it.  Execute
 * rights in the engine's TLB come only with an instruction fetch, which
 * the fill hook lets through (emu_code_gate) for a page whose code runs
 * light from every byte (page_heavy: no run of instructions up to the
 * end of a block or of the page weighs over EMU_LEAK_MAX / 2, and a
 * block spans at most two pages); the page is then write-protected, and
 * a store takes its execute rights away until it is weighed again.  A
 * heavy page runs through a second mapping of its memory without execute
 * rights (heavy_add), so that every code fetch of the translator from it
 * comes to on_fetch, which weighs each block as the translator will form
 * it, at its first fetch.  A block over EMU_LEAK_MAX (the translator
 * holds about 50 temporaries of its own) is dropped before any of it
 * runs, and the CPU starts it again with a cut: exits on every byte of a
 * 15-byte window where the weight passes half of that, one of which
 * begins an instruction however the bytes decode.  The translator ends
 * the block there and the rest runs as the next block.  Nothing the
 * guest sees changes but the engine's block boundaries.  tests/check_leak
 * holds the weights against the Unicorn the build runs on.
 *
 * The same weighing keeps from the translator the few instructions it
 * cannot take at all (translator_poison): they weigh more than any block
 * may, so their pages are heavy, a block is cut before one, and one that
 * starts a block is #UD, raised by the CPU without the engine.
 *
 * A page written too often to be write-protected (volatile) runs through
 * the second mapping as a heavy one does (emu_code_gate).
 */
#define CUT_WINDOW	15
#define BLOCK_POISON	UINT32_MAX	/* block_heavy: #UD at its start */
#define BLOCK_MAX_INSNS	512		/* TCG_MAX_INSNS */
#define BLOCK_MAX_BYTES	(4096 - 32)	/* the i386 translator's bound */

/* Temporaries the translator leaks for an instruction, or more. */
static unsigned
leak_weight(const ZydisDecodedInstruction *zi)
{
	if (zi->meta.isa_ext == ZYDIS_ISA_EXT_X87)
		return (zi->raw.modrm.mod == 3 ? 2 : 1);
	switch (zi->opcode_map) {
	case ZYDIS_OPCODE_MAP_DEFAULT:
		switch (zi->opcode) {
		case 0x07: case 0x17: case 0x1F:	/* POP ES, SS, DS */
		case 0x8E:				/* MOV Sreg */
		case 0xC4: case 0xC5:			/* LES, LDS */
		case 0xCE:				/* INTO */
		case 0xD4: case 0xD5:			/* AAM, AAD */
			return (1);
		}
		return (0);
	case ZYDIS_OPCODE_MAP_0F:
		switch (zi->opcode) {
		case 0x20: case 0x21: case 0x22: case 0x23: /* MOV CR, DR */
		case 0xA1: case 0xA9:			/* POP FS, GS */
		case 0xB2: case 0xB4: case 0xB5:	/* LSS, LFS, LGS */
			return (1);
		}
		return (zi->raw.imm[0].size != 0 && !zi->raw.imm[0].is_relative ?
		    2 : 0);
	case ZYDIS_OPCODE_MAP_0F38:
		return (1);
	default:
		return (2);
	}
}

/*
 * Instructions the translator cannot take at all: BT, BTS, BTR and BTC
 * with a LOCK prefix and a register operand (0F A3, AB, B3, BB with mod 3;
 * 0F BA /4-/7 with mod 3).  Its lock path uses the memory address a
 * register form never computes, and the code generator aborts the process
 * ("tcg fatal error"), in every mode and under any other prefixes.  The
 * CPU raises #UD for them (a LOCK without a memory destination); the
 * engine must never be given one.  Measured against Unicorn 2.1.1 with
 * every opcode of the four maps under 22 prefix sets and every ModRM byte
 * (tests/check_leak's wide sweep holds it).
 *
 * Whether the bytes at p begin one, decoded in mode (0: any mode, REX
 * bytes taken as prefixes, as in 64-bit mode, where the translator takes
 * them anywhere among the others): POISON_MAYBE when the bytes run out
 * after a LOCK and before they tell.  An instruction of more than 15
 * bytes is #GP, which the translator handles, so a longer run of
 * prefixes is not one (measured: 15 bytes abort, 16 do not).
 */
#define POISON_NO	0
#define POISON_YES	1
#define POISON_MAYBE	2
#define X86_INSN_MAX	15

static int
translator_poison(const uint8_t *p, uint32_t left, int mode)
{
	uint32_t k, len;
	uint8_t min;
	bool lock = false;

	for (k = 0; k < left; k++) {
		if (p[k] == 0xF0)
			lock = true;
		else if (!(p[k] == 0x26 || p[k] == 0x2E || p[k] == 0x36 ||
		    p[k] == 0x3E || p[k] == 0x64 || p[k] == 0x65 ||
		    p[k] == 0x66 || p[k] == 0x67 || p[k] == 0xF2 ||
		    p[k] == 0xF3 || ((p[k] & 0xF0) == 0x40 && mode != 16 &&
		    mode != 32)))
			break;
	}
	/* Then 0F, the opcode, ModRM, and an imm8 for BA. */
	if (!lock || k + 3 > X86_INSN_MAX)
		return (POISON_NO);
	if (k == left)
		return (POISON_MAYBE);
	if (p[k] != 0x0F)
		return (POISON_NO);
	if (k + 1 == left)
		return (POISON_MAYBE);
	switch (p[k + 1]) {
	case 0xA3: case 0xAB: case 0xB3: case 0xBB:
		min = 0xC0;
		len = k + 3;
		break;
	case 0xBA:
		min = 0xE0;
		len = k + 4;
		break;
	default:
		return (POISON_NO);
	}
	if (len > X86_INSN_MAX)
		return (POISON_NO);
	if (k + 2 == left)
		return (POISON_MAYBE);
	return (p[k + 2] >= min ? POISON_YES : POISON_NO);
}

/* Does the translator end a block after this instruction?  (Or earlier.) */
static bool
ends_block(const ZydisDecodedInstruction *zi)
{
	switch (zi->meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
		return (true);
	default:
		break;
	}
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_INT:
	case ZYDIS_MNEMONIC_INT1:
	case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_IRETQ:
	case ZYDIS_MNEMONIC_HLT:
	case ZYDIS_MNEMONIC_SYSENTER:
	case ZYDIS_MNEMONIC_SYSEXIT:
	case ZYDIS_MNEMONIC_UD0:
	case ZYDIS_MNEMONIC_UD1:
	case ZYDIS_MNEMONIC_UD2:
		return (true);
	default:
		return (false);
	}
}

/*
 * The weight of the block the translator forms from buf[0] (avail bytes
 * of code, decoded in mode); *cut is where it passes EMU_LEAK_MAX / 2 (0
 * if it does not).  Bytes past something the decoder rejects (that the
 * engine may run all the same) weigh two each.  An instruction the
 * translator cannot take (translator_poison), from any byte the block
 * might reach, weighs over EMU_LEAK_MAX and ends the weighing.
 */
uint32_t
emu_weigh_block(const uint8_t *buf, uint32_t avail, int mode, uint32_t *cut)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	uint32_t off = 0, n = 0, w = 0, pz;
	ZyanStatus st;

	*cut = 0;
	/*
	 * The first byte where the translator could meet an instruction it
	 * cannot take, whatever its decoding and Zydis's: the block is cut
	 * there at the latest (the cut's window holds a start of an
	 * instruction however the bytes decode, and the first one in it is
	 * the poison or comes before it).  A cut past the block's end costs
	 * one translation dropped.
	 */
	for (pz = 0; pz < avail && pz < BLOCK_MAX_BYTES; pz++)
		if (translator_poison(buf + pz, avail - pz, mode) ==
		    POISON_YES)
			break;
	decoder_for(&dec, mode);
	while (off < avail && off < BLOCK_MAX_BYTES && n < BLOCK_MAX_INSNS) {
		st = ZydisDecoderDecodeInstruction(&dec, NULL, buf + off,
		    avail - off, &zi);
		if (st == ZYDIS_STATUS_NO_MORE_DATA)
			break;		/* the fetch faults there */
		if (!ZYAN_SUCCESS(st)) {
			/* The engine may run it all the same: weigh on. */
			for (; off < avail && off < BLOCK_MAX_BYTES; off++) {
				w += off == pz ? EMU_LEAK_MAX + 1 : 2;
				if (*cut == 0 && w > EMU_LEAK_MAX / 2)
					*cut = off;
				if (off == pz)
					break;
			}
			break;
		}
		if (pz < off + zi.length) {
			w += EMU_LEAK_MAX + 1;
			if (*cut == 0)
				*cut = pz;
			break;
		}
		w += leak_weight(&zi);
		if (*cut == 0 && w > EMU_LEAK_MAX / 2)
			*cut = off;
		off += zi.length;
		n++;
		if (ends_block(&zi))
			break;
	}
	/* Past where Zydis ends the block too: the engine may decode on. */
	if (w <= EMU_LEAK_MAX && pz < avail && pz < BLOCK_MAX_BYTES) {
		w += EMU_LEAK_MAX + 1;
		if (*cut == 0)
			*cut = pz;
	}
	return (w);
}

/*
 * Weigh the block the translator starts at linear lin: 0 when it can
 * take it, BLOCK_POISON when its first instruction is one the translator
 * cannot take (the CPU raises #UD there), else where to cut it (at least
 * 1).
 */
static uint32_t
block_heavy(struct emu_cpu *cpu, uint64_t lin)
{
	uint8_t buf[BLOCK_MAX_BYTES + 15];
	uint32_t avail, cut;

	avail = 4096 - (uint32_t)(lin & 0xFFF);
	if (avail > sizeof(buf))
		avail = sizeof(buf);
	if (emu_read_guest_code(cpu, lin, buf, avail) != 0)
		return (0);		/* the fetch faults */
	if (avail < sizeof(buf) && emu_read_guest_code(cpu, lin + avail,
	    buf + avail, sizeof(buf) - avail) == 0)
		avail = sizeof(buf);	/* the block may run on into it */
	if (translator_poison(buf, avail, engine_mode(cpu)) == POISON_YES)
		return (BLOCK_POISON);
	if (emu_weigh_block(buf, avail, engine_mode(cpu), &cut) <=
	    EMU_LEAK_MAX)
		return (0);
	return (cut != 0 ? cut : 1);
}

/*
 * An upper bound, per byte, of the temporaries an instruction that byte
 * begins (or, for 0F, whose 0F it is) leaks, whatever the bytes around
 * it: what leak_weight gives any decoding, or more.
 */
static unsigned
byte_weight(const uint8_t *p, uint32_t left)
{
	switch (p[0]) {
	case 0x07: case 0x17: case 0x1F: case 0x8E: case 0xC4: case 0xC5:
	case 0xCE: case 0xD4: case 0xD5:
		return (1);
	case 0xF0:
		/* A LOCK: weighs all there is if it may begin a poison. */
		return (translator_poison(p, left, 0) != POISON_NO ?
		    EMU_LEAK_MAX + 1 : 0);
	case 0xD8: case 0xD9: case 0xDA: case 0xDB: case 0xDC: case 0xDD:
	case 0xDE: case 0xDF:
		/* x87: the next byte is its ModRM; a register leaks one more. */
		return (left < 2 || p[1] >= 0xC0 ? 2 : 1);
	case 0x0F:
		if (left < 2)
			return (2);
		switch (p[1]) {
		case 0x0F: case 0x20: case 0x21: case 0x22: case 0x23:
		case 0x38: case 0x3A: case 0x70: case 0x71: case 0x72:
		case 0x73: case 0x78: case 0x79: case 0xA1: case 0xA4:
		case 0xA9: case 0xAC: case 0xB2: case 0xB4: case 0xB5:
		case 0xBA: case 0xC2: case 0xC4: case 0xC5: case 0xC6:
			return (2);
		}
		return (0);
	default:
		return (0);
	}
}

/* The bytes' weights, at or above what any block over them leaks. */
uint32_t
emu_weigh_bytes(const uint8_t *p, uint32_t n)
{
	uint32_t s, sum = 0;

	for (s = 0; s < n; s++)
		sum += byte_weight(p + s, n - s);
	return (sum);
}

/*
 * Is there, in the 4 KiB of code at p, an instruction the translator
 * cannot take (or may not, its end on the next page), or a run of
 * instructions (from any byte, decoded in mode, up to the end of a block
 * or of the page) that weighs more than EMU_LEAK_MAX / 2?  A block spans
 * at most two pages, so a block over light pages is light.  Quick when the page's bytes
 * weigh little in all; else every offset is decoded once.
 */
static bool
page_heavy(const uint8_t *p, int mode)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction zi;
	uint16_t w[4096];
	uint32_t s, next, best = 0;
	ZyanStatus st;

	if (emu_weigh_bytes(p, 4096) <= EMU_LEAK_MAX / 2)
		return (false);
	decoder_for(&dec, mode);
	for (s = 4096; s-- > 0; ) {
		/*
		 * An instruction the translator cannot take, or one that may
		 * be, its end on the next page: the page's blocks are weighed
		 * one by one, with the next page's bytes.
		 */
		if (translator_poison(p + s, 4096 - s, mode) != POISON_NO)
			return (true);
		st = ZydisDecoderDecodeInstruction(&dec, NULL, p + s, 4096 - s,
		    &zi);
		if (st == ZYDIS_STATUS_NO_MORE_DATA) {
			w[s] = 2;		/* runs on into the next page */
		} else if (!ZYAN_SUCCESS(st)) {
			/* The engine may take it all the same: weigh on. */
			w[s] = (uint16_t)(2 + (s + 1 < 4096 ? w[s + 1] : 0));
		} else {
			next = s + zi.length;
			w[s] = (uint16_t)(leak_weight(&zi) +
			    (ends_block(&zi) || next >= 4096 ? 0 : w[next]));
		}
		if (w[s] > EMU_LEAK_MAX)
			w[s] = EMU_LEAK_MAX + 1;	/* no overflow */
		if (w[s] > best)
			best = w[s];
	}
	return (best > EMU_LEAK_MAX / 2);
}

static unsigned
wp_index(const struct emu_cpu *cpu, uint64_t hpa)
{
	if (cpu->wp_count == 0)
		return (EMU_WP_SLOTS);
	return (wp_find(cpu, (hpa >> 12) + 1));
}

static bool
heavy_has(const struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned k;

	for (k = 0; k < cpu->nheavy; k++)
		if (cpu->heavy_pages[k] == (hpa & ~0xFFFULL))
			return (true);
	return (false);
}

/*
 * May the engine translate code from host-physical page hpa now: weighed
 * light and write-protected since, or heavy (its blocks weighed one by
 * one, on_fetch)?
 */
bool
emu_code_ok(const struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned i = wp_index(cpu, hpa);

	return ((i != EMU_WP_SLOTS && cpu->wp_light[i]) ||
	    (cpu->nheavy != 0 && heavy_has(cpu, hpa)));
}

/*
 * The fill hook translates a fetch from hpa: weigh the page's code first.
 * A light page is write-protected, so that a store makes it weighed
 * again (emu_wp_written).  A heavy one, or one written too often to be
 * write-protected (volatile), the engine must map without execute
 * rights first: false, and the run loop does it (gate_stopped), as it
 * empties a full set of write-protected pages.
 */
bool
emu_code_gate(struct emu_cpu *cpu, uint64_t hpa)
{
	const uint8_t *p;
	unsigned i;

	if (emu_code_ok(cpu, hpa))
		return (true);
	if (!cpu->in_run || cpu->hook_depth != 0) {
		cpu->ctl_granted = true;	/* not a translation (hook_leave) */
		return (true);
	}
	p = hostmem_ptr(cpu->host->mem, hpa & ~0xFFFULL, 4096);
	if (p != NULL && !page_volatile(cpu, hpa) &&
	    !page_heavy(p, engine_mode(cpu))) {
		if ((i = wp_index(cpu, hpa)) != EMU_WP_SLOTS) {
			cpu->wp_light[i] = true;	/* protected already */
			return (true);
		}
		if (wp_insert(cpu, hpa, true))
			return (true);
	} else {
		cpu->gate_heavy = (hpa & ~0xFFFULL) + 1;
	}
	cpu->gate_stopped = true;
	cpu->gate_rip = reg_read(cpu, UC_X86_REG_RIP);	/* the block's */
	return (false);
}

/*
 * Run page (host-physical) through a second mapping of its memory, one
 * without execute rights, at EMU_HEAVY_ALIAS on: -1 if it cannot be.
 * (Unicorn's uc_mem_protect would split the guest's region, and loses
 * the rest of a region split at its start.)
 */
static int
heavy_add(struct emu_cpu *cpu, uint64_t page)
{
	uint64_t alias;
	void *p;
	unsigned k;

	if (heavy_has(cpu, page))
		return (0);
	if (cpu->nheavy == EMU_HEAVY_MAX ||
	    (p = hostmem_ptr(cpu->host->mem, page, 4096)) == NULL)
		return (-1);
	for (alias = EMU_HEAVY_ALIAS; ; alias += 4096) {
		for (k = 0; k < cpu->nheavy; k++)
			if (cpu->heavy_alias[k] == alias)
				break;
		if (k == cpu->nheavy)
			break;
	}
	if (uc_mem_map_ptr(cpu->uc, alias, 4096, UC_PROT_READ | UC_PROT_WRITE,
	    p) != UC_ERR_OK)
		return (-1);
	cpu->heavy_pages[cpu->nheavy] = page;
	cpu->heavy_alias[cpu->nheavy++] = alias;
	/*
	 * The blocks decoded from the page go, to be decoded again with
	 * their bytes; translations of its own mapping may be cached.
	 */
	emu_wp_written(cpu, page);
	uc_ctl_flush_tlb(cpu->uc);
	return (0);
}

/* Where the engine is to find host-physical page hpa: its alias if heavy. */
uint64_t
emu_code_paddr(const struct emu_cpu *cpu, uint64_t hpa)
{
	unsigned k;

	for (k = 0; k < cpu->nheavy; k++)
		if (cpu->heavy_pages[k] == (hpa & ~0xFFFULL))
			return (cpu->heavy_alias[k] | (hpa & 0xFFF));
	return (hpa);
}

/* Host memory at hpa..hpa+len leaves the engine: what was weighed goes. */
void
emu_code_forget(struct emu_cpu *cpu, uint64_t hpa, uint64_t len)
{
	unsigned k;

	for (k = 0; k < cpu->nheavy; ) {
		if (cpu->heavy_pages[k] >= hpa &&
		    cpu->heavy_pages[k] - hpa < len) {
			uc_mem_unmap(cpu->uc, cpu->heavy_alias[k], 4096);
			cpu->nheavy--;
			cpu->heavy_pages[k] = cpu->heavy_pages[cpu->nheavy];
			cpu->heavy_alias[k] = cpu->heavy_alias[cpu->nheavy];
		} else {
			k++;
		}
	}
	memset(cpu->wp_light, 0, sizeof(cpu->wp_light));
}

/*
 * Unicorn's hook for fetches from memory without execute rights, which
 * only the translator makes: weigh each block at its first fetch (while
 * it translates, RIP is the block's start), and drop a heavy one.
 */
static bool
on_fetch(uc_engine *uc, uc_mem_type type, uint64_t pa, int size,
    int64_t value, void *arg)
{
	struct emu_cpu *cpu = arg;
	uint64_t lin;
	uint32_t cut;

	(void)uc;
	(void)type;
	(void)pa;
	(void)size;
	(void)value;
	if (cpu->fetch_epoch == cpu->vtime)
		return (true);	/* weighed: no block has run since */
	cpu->fetch_epoch = cpu->vtime;
	lin = reg_read(cpu, UC_X86_REG_RIP) + emu_engine_cs_base(cpu);
	if ((cpu->cut_armed && lin == cpu->cut_lin) ||
	    (cut = block_heavy(cpu, lin)) == 0)
		return (true);	/* light, or cut light */
	cpu->fetch_stopped = true;
	cpu->heavy_lin = lin;
	cpu->heavy_cut = cut;
	return (false);
}

/*
 * The engine dropped a heavy block: cut it where its weight passes half
 * the limit, or, when the last cut there let nothing run, halfway to
 * that.  (A cut block stopped to be decoded again before it ran does not
 * count: the run loop forgets the cut's time, cut_vtime.)  Returns -1 if
 * no cut is left to try.
 */
static int
cut_arm(struct emu_cpu *cpu)
{
	uint64_t ex[CUT_WINDOW];
	unsigned i;

	if (cpu->heavy_lin == cpu->cut_lin && cpu->vtime == cpu->cut_vtime) {
		if (cpu->cut_off <= 1)
			return (-1);
		cpu->cut_off /= 2;
	} else {
		cpu->cut_off = cpu->heavy_cut;
	}
	cpu->cut_lin = cpu->heavy_lin;
	cpu->cut_vtime = cpu->vtime;
	for (i = 0; i < CUT_WINDOW; i++)
		ex[i] = cpu->cut_lin + cpu->cut_off + i;
	if (uc_ctl_set_exits(cpu->uc, ex, CUT_WINDOW) != UC_ERR_OK)
		return (-1);
	cpu->cut_armed = true;	/* the next block start takes them away */
	return (0);
}

/*
 * The cut is in the translation: no exits any more, before the engine
 * stops and drops the translations that end at them.  The block keeps
 * its cut; each run of it costs a stop.
 */
static void
cut_disarm(struct emu_cpu *cpu)
{
	(void)uc_ctl_set_exits(cpu->uc, NULL, 0);
	cpu->cut_armed = false;
}

/*
 * The engine's CPU-state layout belongs to the library the process runs
 * with, so it is probed once per process, not once per host.
 */
static int
layout_get(uc_engine *uc, struct uc_layout *lay)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct uc_layout probed;
	static int state;		/* 0 not probed, 1 ok, -1 refused */
	int error = 0;

	pthread_mutex_lock(&lock);
	if (state == 0) {
		if ((error = uc_layout_probe(uc, &probed)) == 0)
			state = 1;
		else if (error == ENOTSUP)
			state = -1;
	}
	if (state == 1)
		*lay = probed;
	else if (state == -1)
		error = ENOTSUP;
	pthread_mutex_unlock(&lock);
	return (error);
}

/*
 * The size of an engine's buffer for translated code.  Unicorn's default
 * is 1 GiB, mapped at open wherever the kernel finds room: the first
 * engine of a process lands about 1.1 GiB below libunicorn's code, every
 * later one another GiB further, and translated code more than 2 GiB
 * from a helper reaches it through a constant pool instead of a direct
 * call.  The code generator keeps that pool sorted by insertion, one
 * comparison per entry, so a block of N memory accesses (each with its
 * slow-path call) cost O(N^2) to translate, and ran an indirect call per
 * access.  128 MiB keeps a dozen engines within reach and is twice what a
 * Linux boot translates (54 MiB, 58 MiB with --guest-unpack, measured);
 * an engine that fills it flushes its translations and goes on.
 */
#define ENGINE_TCG_BUFFER	(128U * 1024 * 1024)

/*
 * A Unicorn engine for the CPU: a new one, or the one the CPU came out of
 * the pool with (emu_engine_take), which has all but what belongs to the
 * CPU.
 */
int
emu_engine_init(struct emu_cpu *cpu)
{
	struct emu_host *h = cpu->host;
	bool pooled = cpu->uc != NULL;
	uc_hook hk;
	int error = 0;

	if (!pooled && uc_open(UC_ARCH_X86, UC_MODE_64, &cpu->uc) != UC_ERR_OK)
		return (ENOMEM);
	/* Before anything else: the buffer is mapped on first use. */
	if (!pooled && uc_ctl_set_tcg_buffer_size(cpu->uc,
	    ENGINE_TCG_BUFFER) != UC_ERR_OK) {
		uc_close(cpu->uc);
		cpu->uc = NULL;
		return (ENOMEM);
	}
	/*
	 * The engine decodes only what its CPU model has: the default
	 * (qemu64) raises #UD for POPCNT, MOVBE, XSAVE and more that the
	 * monitor's CPUID advertises.  Skylake-Server, less what the TCG
	 * cannot do (AVX and up), matches that CPUID.
	 */
	if (!pooled && uc_ctl_set_cpu_model(cpu->uc,
	    UC_CPU_X86_SKYLAKE_SERVER) != UC_ERR_OK) {
		uc_close(cpu->uc);
		cpu->uc = NULL;
		return (ENOTSUP);
	}
	pthread_mutex_lock(&h->lock);
	if (!h->lay_ok) {
		if ((error = layout_get(cpu->uc, &h->lay)) == 0)
			h->lay_ok = 1;
	}
	pthread_mutex_unlock(&h->lock);
	if (error != 0)
		goto fail;
	if (pooled) {
		/*
		 * The engine's live-state probe stands, but for a CPU created
		 * with VMMSIM_LIVE_STATE=0, which copies through the context
		 * whatever the engine could do.
		 */
		if (!live_state_allowed())
			cpu->envb = NULL;
		goto engine_ready;
	}
	cpu->envb = uc_live_state(cpu->uc, &h->lay);
	/*
	 * uc_emu_start()'s "until" is an address like any other: 0 stopped
	 * the engine whenever a guest reached linear address 0 (with an empty
	 * block whose "last byte" at -1 was fetched, a fatal EPT violation).
	 * With exits enabled and none set, nothing stops it but the CPU.
	 */
	if (uc_ctl_exits_enable(cpu->uc) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(cpu->uc, UC_TLB_VIRTUAL) != UC_ERR_OK ||
	    uc_context_alloc(cpu->uc, &cpu->ctx) != UC_ERR_OK ||
	    uc_context_alloc(cpu->uc, &cpu->fresh) != UC_ERR_OK) {
		error = ENOMEM;
		goto fail;
	}
	uc_context_save(cpu->uc, cpu->fresh);
	if (uc_hook_add(cpu->uc, &hk, UC_HOOK_TLB_FILL, emu_tlb_fill, cpu,
	    1, 0) != UC_ERR_OK ||
	    uc_hook_add(cpu->uc, &hk, UC_HOOK_BLOCK, on_block, cpu,
	    1, 0) != UC_ERR_OK ||
	    uc_hook_add(cpu->uc, &hk, UC_HOOK_INTR, on_intr, cpu,
	    1, 0) != UC_ERR_OK ||
	    uc_hook_add(cpu->uc, &hk, UC_HOOK_INSN_INVALID, on_invalid, cpu,
	    1, 0) != UC_ERR_OK ||
	    uc_hook_add(cpu->uc, &hk, UC_HOOK_INSN, on_syscall, cpu,
	    1, 0, UC_X86_INS_SYSCALL) != UC_ERR_OK ||
	    uc_hook_add(cpu->uc, &hk, UC_HOOK_MEM_FETCH_PROT, on_fetch, cpu,
	    1, 0) != UC_ERR_OK) {
		error = ENOMEM;
		goto fail;
	}
engine_ready:
	cpu->block_bits = BLOCK_BITS_MIN;
	if ((cpu->blocks = calloc((size_t)1 << cpu->block_bits,
	    sizeof(*cpu->blocks))) == NULL) {
		error = ENOMEM;
		goto fail;
	}
	cpu->rng = 0x853c49e6748fea9bULL;
	return (0);
fail:
	if (cpu->ctx != NULL)
		uc_context_free(cpu->ctx);
	if (cpu->fresh != NULL)
		uc_context_free(cpu->fresh);
	cpu->ctx = cpu->fresh = NULL;
	uc_close(cpu->uc);
	cpu->uc = NULL;
	return (error);
}

/*
 * Outside the engine: drop every translated block, so that none calls a
 * hook deleted by emu_flush_decode, then free the dead hook records.
 */
static void
emu_flush_tbs(struct emu_cpu *cpu)
{
	struct emu_insn *in, *nin;

	if (cpu->tb_flush_needed && cpu->uc != NULL)
		uc_ctl_flush_tb(cpu->uc);
	cpu->tb_flush_needed = false;
	for (in = cpu->insn_grave; in != NULL; in = nin) {
		nin = in->next;
		free(in);
	}
	cpu->insn_grave = NULL;
	cpu->ngrave = 0;
}

void
emu_engine_fini(struct emu_cpu *cpu)
{
	struct emu_insn *in, *nin;

	if (cpu->uc == NULL)
		return;
	/*
	 * The CPU is going away (emu_cpu_destroy): free the decode cache
	 * without emu_flush_decode's unhooking and clearing, which the
	 * engine's own teardown makes pointless (clearing tables about to
	 * be freed was an eighth of a fuzz_guest input's time under ASan).
	 */
	blocks_free(cpu);
	for (in = cpu->insns; in != NULL; in = nin) {
		nin = in->next;
		free(in);
	}
	cpu->insns = NULL;
	free(cpu->blocks);
	cpu->blocks = NULL;
	uc_context_free(cpu->ctx);
	uc_context_free(cpu->fresh);
	cpu->ctx = cpu->fresh = NULL;
	uc_close(cpu->uc);
	cpu->uc = NULL;
	cpu->tb_flush_needed = false;	/* the engine is gone: just free */
	emu_flush_tbs(cpu);
}

/*
 * Engines kept for the next CPU.  Opening a Unicorn engine and closing it
 * costs ~270 us on this project's machines (its translation context, a
 * 2 MiB table of translated blocks and the TLB tables, allocated, touched
 * and freed), 3 ms under ASan: most of a VM's creation, and most of a
 * fuzz_ioctl input.  A CPU that goes away leaves its engine here instead,
 * scrubbed back to what uc_open() gave: no memory mapped, no translated
 * block left (each region's blocks dropped by host-physical address before
 * it is unmapped, emu_unmap_hpa, so no block of one guest can run in the
 * next when the same host addresses come back), no hook but the five every
 * engine has, the CPU state saved when the engine was opened, the TLB
 * flushed.  A full flush of translated code (uc_ctl_flush_tb) is not used:
 * it costs 0.1-3 s.
 *
 * The five hooks were added with the emu_cpu as their argument, so the
 * pool keeps the whole emu_cpu with its engine, and emu_engine_take()
 * clears everything in it that is not the engine's.  At most
 * ENGINE_POOL_MAX engines wait.  Dropped blocks leave their host code in
 * the engine's translation buffer (1 GiB, filled in order, flushed whole
 * when full), and Unicorn keeps a descriptor for every guest page it ever
 * translated from, so an engine reused without end grows without end
 * (fuzz_vmentry's process reached 1.3 GB in a minute; 100,000 small
 * VMs, one in ten running a few instructions, grew the process by 5 MB
 * per 25,000): one that has decoded ENGINE_CODE_MAX bytes of guest code
 * or served ENGINE_USES_MAX CPUs is closed instead, which returns all of
 * that, and the next CPU opens a new one (its cost spread over 64).
 * VMMSIM_ENGINE_POOL=0 turns the pool off, to compare.
 */
#define ENGINE_POOL_MAX	4
#define ENGINE_CODE_MAX	(256 * 1024)
#define ENGINE_USES_MAX	64

static pthread_mutex_t	 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct emu_cpu	*pool[ENGINE_POOL_MAX];	/* [pool_lock] */
static unsigned		 npool;			/* [pool_lock] */
static uint64_t		 pool_reused;		/* [pool_lock] */

static bool
pool_enabled(void)
{
	const char *env = getenv("VMMSIM_ENGINE_POOL");

	return (env == NULL || strcmp(env, "0") != 0);
}

struct emu_cpu *
emu_engine_take(void)
{
	struct emu_cpu *cpu = NULL;
	uc_engine *uc;
	uc_context *ctx, *fresh;
	uint8_t *envb;
	uint64_t code;
	unsigned uses;

	pthread_mutex_lock(&pool_lock);
	if (npool > 0) {
		cpu = pool[--npool];
		pool[npool] = NULL;
		pool_reused++;
	}
	pthread_mutex_unlock(&pool_lock);
	if (cpu == NULL)
		return (NULL);
	uc = cpu->uc;
	ctx = cpu->ctx;
	fresh = cpu->fresh;
	envb = cpu->envb;
	code = cpu->engine_code;
	uses = cpu->engine_uses;
	memset(cpu, 0, sizeof(*cpu));
	cpu->uc = uc;
	cpu->ctx = ctx;
	cpu->fresh = fresh;
	cpu->envb = envb;
	cpu->engine_code = code;
	cpu->engine_uses = uses + 1;
	return (cpu);
}

/*
 * Scrub the CPU's engine and keep both for emu_engine_take(), or return
 * false (pool full or off, or the engine's regions unknown) and leave the
 * CPU to emu_engine_fini().  Called by emu_cpu_destroy, outside the engine.
 */
bool
emu_engine_park(struct emu_cpu *cpu)
{
	struct emu_insn *in, *nin;
	uc_mem_region *r;
	uint32_t n, i;
	bool room;

	if (cpu->uc == NULL || cpu->engine_code > ENGINE_CODE_MAX ||
	    cpu->engine_uses >= ENGINE_USES_MAX || !pool_enabled())
		return (false);
	pthread_mutex_lock(&pool_lock);
	room = npool < ENGINE_POOL_MAX;
	pthread_mutex_unlock(&pool_lock);
	if (!room || uc_mem_regions(cpu->uc, &r, &n) != UC_ERR_OK)
		return (false);
	/*
	 * Every region goes with its translated blocks; then the hooks
	 * (Unicorn drops the blocks of a code hook's range too, which finds
	 * nothing mapped now: the fill hook still maps addresses to
	 * themselves, the CPU's TLB being gone).
	 */
	for (i = 0; i < n; i++)
		emu_unmap_hpa(cpu, r[i].begin, r[i].end - r[i].begin + 1);
	uc_free(r);
	cpu->fill_identity = true;
	for (in = cpu->insns; in != NULL; in = nin) {
		nin = in->next;
		uc_hook_del(cpu->uc, in->hook);
		free(in);
	}
	cpu->insns = NULL;
	if (cpu->deadline_hooked)
		uc_hook_del(cpu->uc, cpu->deadline_hook);
	cpu->deadline_hooked = false;
	cpu->fill_identity = false;
	uc_context_restore(cpu->uc, cpu->fresh);
	uc_ctl_flush_tlb(cpu->uc);
	blocks_free(cpu);
	free(cpu->blocks);
	cpu->blocks = NULL;
	cpu->tb_flush_needed = false;	/* no block calls them any more */
	emu_flush_tbs(cpu);
	pthread_mutex_lock(&pool_lock);
	room = npool < ENGINE_POOL_MAX;
	if (room)
		pool[npool++] = cpu;
	pthread_mutex_unlock(&pool_lock);
	return (room);
}

/* Close every engine waiting in the pool. */
void
emu_engine_pool_drain(void)
{
	struct emu_cpu *cpu;

	for (;;) {
		pthread_mutex_lock(&pool_lock);
		cpu = npool > 0 ? pool[--npool] : NULL;
		if (cpu != NULL)
			pool[npool] = NULL;
		pthread_mutex_unlock(&pool_lock);
		if (cpu == NULL)
			return;
		emu_engine_fini(cpu);
		free(cpu);
	}
}

/* How many CPUs came with an engine from the pool, in this process. */
uint64_t
emu_engine_reused(void)
{
	uint64_t n;

	pthread_mutex_lock(&pool_lock);
	n = pool_reused;
	pthread_mutex_unlock(&pool_lock);
	return (n);
}

/* Copy the controls the hooks consult out of the VMCS once per entry. */
static void
cache_controls(struct emu_cpu *cpu)
{
	cpu->ctl_pin = (uint32_t)vmcs_get(cpu, VMCS_PINBASED_CTLS);
	cpu->ctl_proc = (uint32_t)vmcs_get(cpu, VMCS_PROCBASED_CTLS);
	cpu->ctl_proc2 = (cpu->ctl_proc & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS) ?
	    (uint32_t)vmcs_get(cpu, VMCS_PROCBASED2_CTLS) : 0;
	cpu->ctl_exit = (uint32_t)vmcs_get(cpu, VMCS_EXIT_CTLS);
	cpu->ctl_entry = (uint32_t)vmcs_get(cpu, VMCS_ENTRY_CTLS);
	cpu->eptp = vmcs_get(cpu, VMCS_GUEST_IA32_EPTP);
	cpu->vpid = (uint16_t)vmcs_get(cpu, VMCS_GUEST_VPID);
	cpu->cr0_mask = vmcs_get(cpu, VMCS_CR0_MASK);
	cpu->cr4_mask = vmcs_get(cpu, VMCS_CR4_MASK);
	cpu->cr0_shadow = vmcs_get(cpu, VMCS_CR0_READ_SHADOW);
	cpu->cr4_shadow = vmcs_get(cpu, VMCS_CR4_READ_SHADOW);
	cpu->tsc_offset = vmcs_get(cpu, VMCS_TSC_OFFSET);
}

/* Host state after a VM exit (SDM Vol. 3C §28.5). */
static void
load_host_state(struct emu_cpu *cpu)
{
	cpu->cr0 = vmcs_get(cpu, VMCS_HOST_IA32_CR0);
	cpu->cr3 = vmcs_get(cpu, VMCS_HOST_IA32_CR3);
	cpu->cr4 = vmcs_get(cpu, VMCS_HOST_IA32_CR4);
	if (cpu->ctl_exit & IA32_VMX_LOAD_IA32_EFER_ON_EXIT)
		cpu->msr.efer = vmcs_get(cpu, VMCS_HOST_IA32_EFER);
	if (cpu->ctl_exit & IA32_VMX_LOAD_IA32_PAT_ON_EXIT)
		cpu->msr.pat = vmcs_get(cpu, VMCS_HOST_IA32_PAT);
	cpu->msr.sysenter_cs = vmcs_get(cpu, VMCS_HOST_IA32_SYSENTER_CS);
	cpu->msr.sysenter_esp = vmcs_get(cpu, VMCS_HOST_IA32_SYSENTER_ESP);
	cpu->msr.sysenter_eip = vmcs_get(cpu, VMCS_HOST_IA32_SYSENTER_EIP);
	cpu->msr.fsbase = vmcs_get(cpu, VMCS_HOST_IA32_FS_BASE);
	cpu->msr.gsbase = vmcs_get(cpu, VMCS_HOST_IA32_GS_BASE);
}

/*
 * MSR lists (SDM Vol. 3C §27.4, §28.4, §28.6): 16-byte entries, index in
 * bits 31:0, value in bits 127:64.
 */
/* One list entry's MSR, as RDMSR in the guest would read it. */
static uint64_t
msr_list_value(struct emu_cpu *cpu, uint32_t idx)
{
	uc_x86_msr m;
	uint64_t v;

	if (emu_live_msr(cpu, idx, &v))
		return (v);
	m.rid = idx;
	m.value = 0;
	if (idx == MSR_EFER || emu_rdmsr(cpu, idx, &v) != 0)
		uc_reg_read(cpu->uc, UC_X86_REG_MSR, &m);
	else if (uc_reg_read(cpu->uc, UC_X86_REG_MSR, &m) != UC_ERR_OK)
		m.value = v;
	return (m.value);
}

/*
 * The whole list in host memory at once, or NULL: then entry by entry,
 * so that a list running off its memory fails at the entry that does.
 */
static uint8_t *
msr_list_ptr(struct emu_cpu *cpu, uint64_t addr, uint32_t count)
{
	if (count == 0 || count > 4096 / 16)
		return (NULL);
	return (hostmem_ptr(cpu->host->mem, addr, (size_t)count * 16));
}

static int
msr_list_store(struct emu_cpu *cpu, uint64_t addr, uint32_t count)
{
	uint8_t *p = msr_list_ptr(cpu, addr, count);
	uint32_t i, idx;
	uint64_t v;

	for (i = 0; i < count; i++) {
		if (p != NULL) {
			memcpy(&idx, p + 16 * i, 4);
			v = msr_list_value(cpu, idx);
			memcpy(p + 16 * i + 8, &v, 8);
			continue;
		}
		if (hostmem_read(cpu->host->mem, addr + 16 * i, &idx, 4) != 0)
			return (-1);
		v = msr_list_value(cpu, idx);
		if (hostmem_write64(cpu->host->mem, addr + 16 * i + 8, v) != 0)
			return (-1);
	}
	return (0);
}

static int
msr_list_load_host(struct emu_cpu *cpu, uint64_t addr, uint32_t count)
{
	const uint8_t *p = msr_list_ptr(cpu, addr, count);
	uint32_t i, idx;
	uint64_t v;

	for (i = 0; i < count; i++) {
		if (p != NULL) {
			memcpy(&idx, p + 16 * i, 4);
			memcpy(&v, p + 16 * i + 8, 8);
		} else if (hostmem_read(cpu->host->mem, addr + 16 * i, &idx,
		    4) != 0 ||
		    hostmem_read64(cpu->host->mem, addr + 16 * i + 8, &v) != 0)
			return (-1);
		(void)emu_wrmsr(cpu, idx, v);
	}
	return (0);
}

static int
entry_msr_load(void *arg, uint32_t msr, uint64_t val)
{
	struct emu_cpu *cpu = arg;
	uc_x86_msr m = { msr, val };

	if (uc_reg_write(cpu->uc, UC_X86_REG_MSR, &m) != UC_ERR_OK)
		return (-1);
	return (0);
}

/* Write the exit information fields (SDM Vol. 3C §28.2). */
static void
record_exit_fields(struct emu_cpu *cpu)
{
	const struct emu_exit *x = &cpu->exit;

	vmcs_set(cpu, VMCS_EXIT_REASON, x->reason);
	vmcs_set(cpu, VMCS_GUEST_EXIT_QUALIFICATION, x->qual);
	vmcs_set(cpu, VMCS_INSTRUCTION_LENGTH, x->insn_len);
	vmcs_set(cpu, VMCS_EXIT_INSTRUCTION_INFO, x->insn_info);
	vmcs_set(cpu, VMCS_GUEST_LINEAR_ADDRESS, x->gla_valid ? x->gla : 0);
	vmcs_set(cpu, VMCS_GUEST_PHYSICAL_ADDRESS,
	    (x->reason == VMX_EXIT_EPT_VIOLATION ||
	    x->reason == VMX_EXIT_EPT_MISCONFIGURATION) ? x->gpa : 0);
	vmcs_set(cpu, VMCS_EXIT_INTERRUPTION_INFO, x->intr_info);
	vmcs_set(cpu, VMCS_EXIT_INTERRUPTION_ERR_CODE, x->intr_err);
	vmcs_set(cpu, VMCS_IDT_VECTORING_INFO, x->idt_info);
	vmcs_set(cpu, VMCS_IDT_VECTORING_ERROR_CODE, x->idt_err);
	vmcs_set(cpu, VMCS_IO_RCX, 0);
	vmcs_set(cpu, VMCS_IO_RSI, 0);
	vmcs_set(cpu, VMCS_IO_RDI, 0);
	vmcs_set(cpu, VMCS_IO_RIP, 0);
}

/*
 * Does this exception exit (SDM Vol. 3C §26.2): its bit in the exception
 * bitmap, for #PF compared with the PFEC mask/match; INT n never.  When it
 * does, the exit is recorded (qualification CR2 for #PF) and true returned.
 */
bool
emu_exception_exit(struct emu_cpu *cpu, int vector, uint32_t type,
    bool has_err, uint32_t err)
{
	uint32_t bitmap = (uint32_t)vmcs_get(cpu, VMCS_EXCEPTION_BITMAP);
	uint32_t mask, match;
	bool exits;

	exits = type != 4 && vector < 32 && ((bitmap >> vector) & 1);
	if (vector == 14 && type == 3) {
		mask = (uint32_t)vmcs_get(cpu, VMCS_PF_ERROR_CODE_MASK);
		match = (uint32_t)vmcs_get(cpu, VMCS_PF_ERROR_CODE_MATCH);
		exits = ((bitmap >> 14) & 1) == ((err & mask) == match);
	}
	if (!exits)
		return (false);
	cpu->exit.pending = true;
	cpu->exit.reason = VMX_EXIT_NMI;
	cpu->exit.qual = vector == 14 ? cpu->event_cr2 : 0;
	cpu->exit.intr_info = (uint32_t)vector | (type << 8) |
	    (has_err ? 1U << 11 : 0) | (1U << 31);
	cpu->exit.intr_err = has_err ? err : 0;
	return (true);
}

/*
 * A guest exception or INT n.  With the exception bitmap's bit (for #PF
 * also the PFEC mask/match) it is a VM exit with reason 0 (SDM Vol. 3C
 * §26.2, §28.2.2); otherwise it is delivered through the guest's IVT/IDT.
 * Returns true when it made an exit.
 */
static bool
guest_event(struct emu_cpu *cpu)
{
	int vector = cpu->guest_event;
	uint32_t type = 3, err = 0;
	bool is_int = false, has_err, gd;

	if (cpu->event_pf || cpu->event_own) {
		err = cpu->event_err;
		has_err = cpu->event_has_err;
	} else {
		emu_take_engine_event(cpu, &err, &is_int);
		has_err = !is_int && emu_has_error_code(vector);
	}
	if (is_int)
		type = (vector == 3 || vector == 4) ? 6 : vector == 1 ? 5 : 4;
	gd = cpu->event_own && cpu->event_gd && vector == 1;
	cpu->event_pf = false;
	cpu->event_own = false;
	cpu->event_gd = false;
	if (emu_exception_exit(cpu, vector, type, has_err, err)) {
		/*
		 * A #DB that exits leaves DR6 and DR7 alone; the exit
		 * qualification has what DR6 would have got (SDM Vol. 3C
		 * §28.2.1).  Delivered, it sets DR6.BD and clears DR7.GD so
		 * the handler can use the debug registers (Vol. 3B §18.2.4).
		 */
		if (gd)
			cpu->exit.qual = DR6_BD;
		return (true);
	}
	if (gd) {
		cpu->dr[6] |= DR6_BD;
		cpu->dr[7] &= ~DR7_GD;
	}
	/*
	 * Delivering it takes a unit of virtual time, as an instruction
	 * does: a handler that faults at once again (#UD on an IST stack)
	 * retires nothing, and timed exits must still come, as a host
	 * interrupt is taken between a delivery and the handler's first
	 * instruction on hardware.
	 */
	cpu->vtime++;
	if (vector == 14 && type == 3)
		emu_set_cr2(cpu, cpu->event_cr2);
	return (emu_deliver_event(cpu, vector, type, has_err, err) != 0);
}

/*
 * A host NMI (emu_cpu_nmi) at an instruction boundary.  With NMI exiting
 * it is a VM exit, reason 0 with an NMI in the interruption information
 * (SDM Vol. 3C §26.2); a halted guest stays in the HLT activity state.
 * Otherwise, unless NMIs are blocked, it goes through vector 2 and blocks
 * NMIs until the next IRET (SDM Vol. 3A §6.7.1), and ends HLT.  Returns
 * true when it made an exit (an exit of its own, or one while
 * delivering).
 */
static bool
take_nmi(struct emu_cpu *cpu)
{
	if (cpu->ctl_pin & IA32_VMX_NMI_EXITING) {
		atomic_store(&cpu->nmi_pending, 0);
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_NMI;
		cpu->exit.intr_info = 2 | (2U << 8) | (1U << 31);
		return (true);
	}
	if (emu_nmi_blocked(cpu))
		return (false);
	atomic_store(&cpu->nmi_pending, 0);
	cpu->halted = false;
	if (emu_deliver_event(cpu, 2, 2, false, 0) != 0)
		return (true);
	emu_set_nmi_blocked(cpu, true);
	return (false);
}

/*
 * The guest is in the HLT activity state.  A timed exit comes first: with
 * nothing to execute, virtual time jumps to it (the guest is idle, so this
 * costs no host time).  Otherwise an open interrupt window exits, and any
 * other wake-up waits for an external interrupt from another thread.
 * Returns true when an exit was recorded.
 */
static bool
halt_wait(struct emu_cpu *cpu)
{
	bool nmi;

	if (cpu->deadline != UINT64_MAX) {
		cpu->vtime = cpu->deadline;
		deadline_exit(cpu);
		return (true);
	}
	if ((cpu->ctl_proc & IA32_VMX_NMI_WINDOW_EXITING) &&
	    !emu_nmi_blocked(cpu)) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_NMI_WINDOW;
		return (true);
	}
	if ((cpu->ctl_proc & IA32_VMX_INTERRUPT_WINDOW_EXITING) &&
	    (emu_engine_eflags(cpu) & PSL_I)) {
		cpu->exit.pending = true;
		cpu->exit.reason = VMX_EXIT_INT_WINDOW;
		return (true);
	}
	/* Whether a host NMI can end the wait (blocking cannot change now). */
	nmi = (cpu->ctl_pin & IA32_VMX_NMI_EXITING) || !emu_nmi_blocked(cpu);
	pthread_mutex_lock(&cpu->halt_lock);
	while (!atomic_load(&cpu->kicked) &&
	    !(nmi && atomic_load(&cpu->nmi_pending)))
		pthread_cond_wait(&cpu->halt_cv, &cpu->halt_lock);
	pthread_mutex_unlock(&cpu->halt_lock);
	if (!atomic_load(&cpu->kicked))
		return (false);		/* an NMI: the run loop takes it */
	if (host_intr_exits(cpu)) {
		atomic_store(&cpu->kicked, 0);
		host_interrupt_exit(cpu);
		return (true);
	}
	atomic_store(&cpu->kicked, 0);
	cpu->halted = false;
	return (false);
}

static const int gpr_batch[EMU_NGPRS] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15
};

/*
 * The entry trampoline's register loads: the GPRs that differ from what
 * the engine holds, RSP, RFLAGS and RIP from the VMCS.
 */
static void
write_gprs(struct emu_cpu *cpu, const struct emu_gprs *regs)
{
	int ids[EMU_NGPRS + 3], n = 0, i;
	const void *vals[EMU_NGPRS + 3];
	uint64_t rsp, rfl, rip;

	/* Most entries follow an exit that changed no GPR: one compare. */
	for (i = memcmp(regs->r, cpu->engine_gpr, sizeof(regs->r)) == 0 ?
	    EMU_NGPRS : 0; i < EMU_NGPRS; i++) {
		if (i == EMU_RSP || regs->r[i] == cpu->engine_gpr[i])
			continue;
		ids[n] = gpr_batch[i];
		vals[n++] = &regs->r[i];
		cpu->engine_gpr[i] = regs->r[i];
	}
	/*
	 * RSP and RFLAGS come from the VMCS, and the engine still holds what
	 * the last exit saved there unless the monitor wrote them since; RIP
	 * always moves (uc_emu_start sets it again anyway), and in place it
	 * is one store.  Left alone, the engine also keeps its lazily
	 * computed flags as they were (emu_rflags_compose saves only their
	 * defined bits), so a round trip that changes nothing is invisible
	 * to the guest, as on hardware.
	 */
	rsp = vmcs_get(cpu, VMCS_GUEST_IA32_RSP);
	rfl = vmcs_get(cpu, VMCS_GUEST_IA32_RFLAGS);
	rip = vmcs_get(cpu, VMCS_GUEST_IA32_RIP);
	if (!cpu->engine_sp_valid || rsp != cpu->engine_gpr[EMU_RSP]) {
		ids[n] = UC_X86_REG_RSP;
		vals[n++] = &rsp;
		cpu->engine_gpr[EMU_RSP] = rsp;
	}
	if (!cpu->engine_sp_valid || rfl != cpu->engine_rflags) {
		ids[n] = UC_X86_REG_RFLAGS;
		vals[n++] = &rfl;
		cpu->engine_rflags = rfl;
	}
	cpu->engine_sp_valid = true;
	if (cpu->envb != NULL)
		memcpy(cpu->envb + cpu->host->lay.regs + 16 * 8, &rip, 8);
	else {
		ids[n] = UC_X86_REG_RIP;
		vals[n++] = &rip;
	}
	if (n != 0)
		uc_reg_write_batch(cpu->uc, ids, (void *const *)vals, n);
}

/*
 * The exit trampoline's register saves, with RIP, RFLAGS and CR2 in the
 * same batch (one call into the engine).
 */
static void
read_gprs(struct emu_cpu *cpu, struct emu_gprs *regs, uint64_t *rip,
    uint64_t *rflags)
{
	void *vals[EMU_NGPRS + 3];
	int ids[EMU_NGPRS + 3], i;

	if (cpu->envb != NULL) {
		const uint8_t *b = cpu->envb + cpu->host->lay.regs;

		/* QEMU's regs[] are in the GPR numbering; eip follows. */
		memcpy(regs->r, b, sizeof(regs->r));
		memcpy(rip, b + 16 * 8, 8);
		memcpy(&regs->cr2, cpu->envb + cpu->host->lay.cr + 2 * 8, 8);
		*rflags = 0;
		uc_reg_read(cpu->uc, UC_X86_REG_RFLAGS, rflags);
		*rflags = emu_rflags_compose(cpu, *rflags);
		memcpy(cpu->engine_gpr, regs->r, sizeof(cpu->engine_gpr));
		return;
	}
	for (i = 0; i < EMU_NGPRS; i++) {
		ids[i] = gpr_batch[i];
		vals[i] = &regs->r[i];
		regs->r[i] = 0;
	}
	ids[i] = UC_X86_REG_RIP;
	vals[i++] = rip;
	ids[i] = UC_X86_REG_RFLAGS;
	vals[i++] = rflags;
	ids[i] = UC_X86_REG_CR2;
	vals[i++] = &regs->cr2;
	*rip = *rflags = regs->cr2 = 0;
	uc_reg_read_batch(cpu->uc, ids, vals, i);
	/* cpu->ctx was saved just before (emu_engine_cs_base). */
	*rflags = emu_rflags_compose(cpu, *rflags);
	memcpy(cpu->engine_gpr, regs->r, sizeof(cpu->engine_gpr));
}

/*
 * VM entry's last steps and guest execution until a VM exit.  The checks
 * have passed and the launch state is set; regs holds the guest's GPRs.
 */
enum vmx_result
emu_run_guest(struct emu_cpu *cpu, struct emu_gprs *regs)
{
	struct vmentry_failure f;
	struct vmentry_view view;
	uint64_t rip, lin, info, rflags;
	uc_err err;
	int i;

	if (!cpu->ctl_cache_valid) {
		cache_controls(cpu);
		cpu->ctl_cache_valid = true;
	}
	emu_map_hpa(cpu, 0);
	memset(&cpu->exit, 0, sizeof(cpu->exit));
	if (cpu->engine_vmcs != cpu->vmcs_pa || cpu->guest_dirty) {
		uint64_t before[7], after[7];
		bool keep;

		/*
		 * A reload of the same VMCS's guest with the same paging and
		 * code segment (a hypervisor putting its own host state back
		 * after every exit of its guest) leaves every decoded block
		 * valid; anything else starts decoding over.
		 */
		keep = cpu->engine_vmcs == cpu->vmcs_pa &&
		    emu_decode_key(cpu, before);
		/* The engine's previous guest goes back to its VMCS first. */
		emu_sync_vmcs(cpu);
		emu_state_load(cpu);
		cpu->vmcs_stale = false;
		for (i = 0; i < EMU_NGPRS; i++)
			cpu->engine_gpr[i] = ~regs->r[i];	/* write them all */
		cpu->engine_sp_valid = false;
		cpu->engine_cr2 = ~regs->cr2;
		cpu->tlb_ctx_valid = false;
		/* Entry MSR-load list (SDM §27.4). */
		memset(&view, 0, sizeof(view));
		memset(&f, 0, sizeof(f));
		if (emu_entry_msr_view(cpu, &view),
		    vmentry_load_msrs(&view, entry_msr_load, cpu, &f) != 0) {
			emu_flush_decode(cpu);
			cpu->engine_vmcs = VMCS_PA_NONE;
			vmcs_set(cpu, VMCS_EXIT_REASON, f.exit_reason |
			    VMX_EXIT_REASON_ENTRY_FAILURE);
			vmcs_set(cpu, VMCS_GUEST_EXIT_QUALIFICATION, f.exit_qual);
			cpu->entry_failure = f;
			cpu->entry_failed = true;
			load_host_state(cpu);
			return (VMX_SUCCEED);
		}
		/* Compared once the MSR-load list has set EFER. */
		if (!keep || !emu_decode_key(cpu, after) ||
		    memcmp(before, after, sizeof(before)) != 0)
			emu_flush_decode(cpu);
	}
	write_gprs(cpu, regs);
	/* The debug registers (handle_movdr); DR7 if the control says. */
	memcpy(cpu->dr, regs->dr, sizeof(regs->dr));
	cpu->dr[6] = (regs->dr6 & DR6_WRITABLE) | DR6_FIXED1;
	if (cpu->ctl_entry & IA32_VMX_LOAD_DEBUG_CONTROLS)
		cpu->dr[7] = (vmcs_get(cpu, VMCS_GUEST_IA32_DR7) &
		    DR7_WRITABLE) | DR7_FIXED1;
	if (regs->cr2 != cpu->engine_cr2) {
		emu_set_cr2(cpu, regs->cr2);
		cpu->engine_cr2 = regs->cr2;
	}

	/*
	 * The engine's TLB holds one context's translations: a different
	 * VPID or EPTP, or checked mode (which must see every use), empties
	 * it; the software TLB keeps every context's.  Without VPIDs, VM
	 * entries and exits invalidate VPID 0's mappings (SDM §29.4.3.1).
	 */
	if (!(cpu->ctl_proc2 & IA32_VMX_ENABLE_VPID))
		tlb_flush_vpid(cpu->tlb, 0, false);
	if (!cpu->tlb_ctx_valid || cpu->tlb_vpid != emu_vpid_tag(cpu) ||
	    cpu->tlb_eptp != emu_eptp_tag(cpu) || cpu->stale_fn != NULL ||
	    !(cpu->ctl_proc2 & IA32_VMX_ENABLE_VPID)) {
		uc_ctl_flush_tlb(cpu->uc);
		cpu->tlb_vpid = emu_vpid_tag(cpu);
		cpu->tlb_eptp = emu_eptp_tag(cpu);
		cpu->tlb_ctx_valid = true;
	}

	/*
	 * The VMX-preemption timer counts down each time bit X of the TSC
	 * changes, X = IA32_VMX_MISC[4:0] (SDM Vol. 3C §26.5.1); here the
	 * TSC is virtual time, so its expiry is a vtime deadline.
	 */
	cpu->entry_vtime = cpu->vtime;
	cpu->preempt_deadline = UINT64_MAX;
	if (cpu->ctl_pin & IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER) {
		unsigned rate = (unsigned)(cpu->host->caps->misc &
		    IA32_VMX_MISC_PREEMPT_RATE_MASK);

		cpu->preempt_val = (uint32_t)vmcs_get(cpu,
		    VMCS_VMX_PREEMPTION_TIMER_VAL);
		cpu->preempt_deadline = ((cpu->vtime >> rate) +
		    (uint64_t)cpu->preempt_val) << rate;
	}
	cpu->deadline = cpu->preempt_deadline;
	if (cpu->tick_interval != 0 &&
	    host_intr_exits(cpu)) {
		if (cpu->next_tick <= cpu->vtime)
			cpu->next_tick = (cpu->vtime / cpu->tick_interval + 1) *
			    cpu->tick_interval;
		if (cpu->next_tick < cpu->deadline)
			cpu->deadline = cpu->next_tick;
	}
	if (cpu->stop_at > cpu->vtime && cpu->stop_at < cpu->deadline &&
	    host_intr_exits(cpu))
		cpu->deadline = cpu->stop_at;
	cpu->shadow_next = (vmcs_get(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST) &
	    3) != 0;
	cpu->in_shadow_block = cpu->shadow_next;
	if ((cpu->shadow_next ? 1U : 0U) != cpu->engine_intr) {
		emu_set_inhibit(cpu, cpu->shadow_next);
		cpu->engine_intr = cpu->shadow_next;
	}
	cpu->halted = vmcs_get(cpu, VMCS_GUEST_ACTIVITY_STATE) == 1;
	/* Blocking by NMI (interruptibility bit 3) is the engine's. */
	if (vmcs_get(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST) & 8)
		emu_set_nmi_blocked(cpu, true);
	else if (cpu->nmi_maybe_blocked) {
		emu_set_nmi_blocked(cpu, false);
		cpu->nmi_maybe_blocked = false;
	}

	/* Event injection (SDM Vol. 3C §27.6). */
	info = vmcs_get(cpu, VMCS_ENTRY_INTERRUPTION_INFO);
	if (info & (1U << 31)) {
		vmcs_set(cpu, VMCS_ENTRY_INTERRUPTION_INFO, info & ~(1ULL << 31));
		cpu->halted = false;
		cpu->shadow_next = false;
		if (emu_inject_event(cpu, (uint32_t)info,
		    (uint32_t)vmcs_get(cpu, VMCS_ENTRY_EXCEPTION_ERROR_CODE),
		    (uint32_t)vmcs_get(cpu, VMCS_ENTRY_INSTRUCTION_LENGTH)) != 0)
			goto exited;
		/* An injected NMI blocks NMIs as a delivered one does. */
		if (((info >> 8) & 7) == 2)
			emu_set_nmi_blocked(cpu, true);
	}
	/* A timer value of 0 expires before the first instruction. */
	if (cpu->deadline <= cpu->vtime) {
		deadline_exit(cpu);
		goto exited;
	}

	for (;;) {
		cpu->stop_why = EMU_STOP_NONE;
		if (atomic_load_explicit(&cpu->nmi_pending,
		    memory_order_relaxed) && take_nmi(cpu))
			break;
		if (atomic_exchange(&cpu->kicked, 0) &&
		    host_intr_exits(cpu)) {
			host_interrupt_exit(cpu);
			break;
		}
		if (cpu->halted) {
			if (halt_wait(cpu))
				break;
			continue;
		}
		rip = reg_read(cpu, UC_X86_REG_RIP);
		if (cpu->tb_flush_needed)
			emu_flush_tbs(cpu);
		fast_update(cpu);
		cpu->fetch_epoch = ~0ULL;
		if (cpu->ctl_granted) {
			cpu->ctl_granted = false;
			uc_ctl_flush_tlb(cpu->uc);
		}
		cpu->in_run = true;
		err = uc_emu_start(cpu->uc, rip, 0, 0, 0);
		cpu->in_run = false;
		if (cpu->cut_armed)
			cut_disarm(cpu);
		if (cpu->gate_stopped) {
			/* A code page turned away until it is seen to. */
			cpu->gate_stopped = false;
			if (!cpu->exit.pending && cpu->stop_why ==
			    EMU_STOP_NONE) {
				reg_write(cpu, UC_X86_REG_RIP, cpu->gate_rip);
				if (cpu->gate_heavy == 0) {
					emu_flush_decode(cpu);
					continue;
				}
				if (heavy_add(cpu, cpu->gate_heavy - 1) == 0) {
					cpu->gate_heavy = 0;
					continue;
				}
				err = UC_ERR_FETCH_PROT;
			}
			cpu->gate_heavy = 0;
		}
		if (cpu->fetch_stopped) {
			/* A block too heavy to translate: nothing ran. */
			cpu->fetch_stopped = false;
			if (!cpu->exit.pending && cpu->stop_why ==
			    EMU_STOP_NONE) {
				if (cpu->heavy_cut == BLOCK_POISON) {
					/* A LOCK on a register operand. */
					reg_write(cpu, UC_X86_REG_RIP,
					    cpu->heavy_lin -
					    emu_engine_cs_base(cpu));
					own_event(cpu, 6, false);
				} else if (cut_arm(cpu) == 0) {
					continue;
				} else {
					err = UC_ERR_FETCH_PROT;
				}
			}
		}
		if (cpu->block_stopped) {
			cpu->block_stopped = false;
			reg_write(cpu, UC_X86_REG_RIP, cpu->block_stop_va -
			    emu_engine_cs_base(cpu));
		}
		if (cpu->exit.pending)
			break;
		if (cpu->stop_why == EMU_STOP_REDECODE) {
			/* Nothing ran: not a cut that failed (cut_arm). */
			cpu->cut_vtime = ~0ULL;
			continue;
		}
		if (cpu->halted)
			continue;
		lin = reg_read(cpu, UC_X86_REG_RIP) + emu_engine_cs_base(cpu);
		if (cpu->stop_why == EMU_STOP_OP) {
			vtime_fixup(cpu, lin);
			if (emu_mov_to_cr(cpu, cpu->op_cr, cpu->op_val,
			    cpu->op_cr == 0 ? cpu->cr0_mask : cpu->cr4_mask) != 0) {
				own_event(cpu, 13, true);
			} else {
				cpu->vtime++;
				reg_write(cpu, UC_X86_REG_RIP,
				    reg_read(cpu, UC_X86_REG_RIP) +
				    cpu->op_insn->len);
				continue;
			}
		}
		if (cpu->stop_why == EMU_STOP_SYSCALL) {
			vtime_fixup(cpu, lin);
			if (emu_engine_syscall(cpu) == 0)
				continue;
			reg_write(cpu, UC_X86_REG_RIP, cpu->syscall_rip);
			own_event(cpu, 6, false);
			if (guest_event(cpu))
				goto exited;
			continue;
		}
		if (cpu->stop_why == EMU_STOP_EVENT) {
			vtime_fixup(cpu, lin);
			if (cpu->event_pf)
				cpu->event_cr2 = fault_address(cpu);
			if (guest_event(cpu))
				goto exited;
			continue;
		}
		if (err != UC_ERR_OK) {
			/* The engine could not go on: the CPU shuts down. */
			cpu->exit.pending = true;
			cpu->exit.reason = VMX_EXIT_TRIPLE_FAULT;
			break;
		}
	}
exited:
	/*
	 * Real CPUs report the faulting instruction's length with an EPT
	 * violation (the SDM leaves it undefined); OpenBSD's monitor relies
	 * on it for MMIO, so the simulated CPU provides it.
	 */
	if (cpu->exit.reason == VMX_EXIT_EPT_VIOLATION && cpu->exit.insn_len == 0)
		cpu->exit.insn_len = insn_length_at_rip(cpu);
	if (cpu->exit.reason == VMX_EXIT_EPT_VIOLATION && cpu->exit.gla_valid &&
	    (cpu->exit.qual & (cpu->svm_guest ? SVM_NPF_GUEST_FINAL :
	    (1ULL << 8))) &&
	    (cpu->exit.gla & ~0xFFFULL) == cpu->fault_page) {
		uint64_t a = fault_address(cpu);

		cpu->exit.gla = a;
		cpu->exit.gpa = (cpu->exit.gpa & ~0xFFFULL) | (a & 0xFFF);
	}
	lin = reg_read(cpu, UC_X86_REG_RIP) + emu_engine_cs_base(cpu);
	vtime_fixup(cpu, lin);
	read_gprs(cpu, regs, &rip, &rflags);
	cpu->engine_cr2 = regs->cr2;
	memcpy(regs->dr, cpu->dr, sizeof(regs->dr));
	regs->dr6 = cpu->dr[6];
	if (cpu->ctl_exit & IA32_VMX_SAVE_DEBUG_CONTROLS)
		vmcs_set(cpu, VMCS_GUEST_IA32_DR7, cpu->dr[7]);
	cpu->dr[7] = DR7_FIXED1;	/* the host's, SDM Vol. 3C §28.5.1 */
	cpu->engine_rflags = rflags;
	/*
	 * Save what every monitor reads now; the rest of the guest state
	 * stays in the engine until someone asks (emu_sync_vmcs).  Blocking
	 * by STI or MOV SS can only be in force inside the one-instruction
	 * block that follows such an instruction.
	 */
	vmcs_set(cpu, VMCS_GUEST_IA32_RIP, rip);
	vmcs_set(cpu, VMCS_GUEST_IA32_RSP, regs->r[EMU_RSP]);
	vmcs_set(cpu, VMCS_GUEST_IA32_RFLAGS, rflags);
	if (cpu->in_shadow_block)
		cpu->engine_intr = emu_read_inhibit(cpu);
	else
		cpu->engine_intr = 0;
	if (cpu->nmi_maybe_blocked && !emu_nmi_blocked(cpu))
		cpu->nmi_maybe_blocked = false;	/* the guest's IRET */
	vmcs_set(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST, cpu->engine_intr |
	    (cpu->nmi_maybe_blocked ? 8 : 0));
	cpu->vmcs_stale = true;
	vmcs_set(cpu, VMCS_GUEST_ACTIVITY_STATE, cpu->halted ? 1 : 0);
	if ((cpu->ctl_pin & IA32_VMX_ACTIVATE_VMX_PREEMPTION_TIMER) &&
	    (cpu->ctl_exit & IA32_VMX_SAVE_VMX_PREEMPTION_TIMER)) {
		unsigned rate = (unsigned)(cpu->host->caps->misc &
		    IA32_VMX_MISC_PREEMPT_RATE_MASK);
		uint64_t ticks = (cpu->vtime >> rate) -
		    (cpu->entry_vtime >> rate);

		vmcs_set(cpu, VMCS_VMX_PREEMPTION_TIMER_VAL,
		    ticks >= cpu->preempt_val ? 0 : cpu->preempt_val - ticks);
	}
	deadline_unhook(cpu);
	cpu->deadline = UINT64_MAX;
	record_exit_fields(cpu);
	(void)msr_list_store(cpu, vmcs_get(cpu, VMCS_EXIT_STORE_MSR_ADDRESS),
	    (uint32_t)vmcs_get(cpu, VMCS_EXIT_MSR_STORE_COUNT));
	if (!(cpu->ctl_proc2 & IA32_VMX_ENABLE_VPID))
		tlb_flush_vpid(cpu->tlb, 0, false);
	load_host_state(cpu);
	(void)msr_list_load_host(cpu, vmcs_get(cpu, VMCS_EXIT_LOAD_MSR_ADDRESS),
	    (uint32_t)vmcs_get(cpu, VMCS_EXIT_MSR_LOAD_COUNT));
	return (VMX_SUCCEED);
}
