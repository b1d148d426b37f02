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
 * Event delivery (SDM Vol. 3A ch. 6 "Interrupt and Exception Handling",
 * Vol. 3C §27.6 "Event Injection").  Unicorn reports exceptions and INT n
 * but never delivers them through the guest's IVT or IDT, so the simulated
 * CPU does: real-mode IVT frames, protected-mode and long-mode gates with
 * privilege changes, the TSS stack switch and the IST, error codes, and
 * the escalation of a fault during delivery to #DF and then to a triple
 * fault (a VM exit with reason 2).
 */

#include <string.h>

#include "emu_impl.h"

#define INTR_TYPE_EXTINT	0
#define INTR_TYPE_NMI		2
#define INTR_TYPE_HWEXC		3
#define INTR_TYPE_SWINT		4
#define INTR_TYPE_PRIVSW	5
#define INTR_TYPE_SWEXC		6

#define GATE_INT16	0x6
#define GATE_TRAP16	0x7
#define GATE_INT32	0xE
#define GATE_TRAP32	0xF

/* Results of one delivery attempt. */
#define DELIV_OK	0
#define DELIV_GP	(-1)	/* bad gate, descriptor or limit: #GP */
#define DELIV_EXIT	(-2)	/* EPT violation: a VM exit is recorded */
#define DELIV_PF	(-3)	/* guest #PF: event_cr2/event_err hold it */

/* The CPU's own accesses while delivering, page by page. */
static int
ev_access(struct emu_cpu *cpu, uint64_t va, void *buf, size_t len, int write)
{
	uint8_t *p = buf;
	uint64_t hpa;
	size_t chunk;
	uint8_t *hp;
	int rc;

	while (len > 0) {
		chunk = 4096 - (va & 0xFFF);
		if (chunk > len)
			chunk = len;
		rc = emu_translate_access(cpu, va, write ? EMU_ACC_WRITE :
		    EMU_ACC_READ, &hpa);
		if (rc != 0)
			return (rc);
		if ((hp = hostmem_ptr(cpu->host->mem, hpa, chunk)) == NULL)
			return (DELIV_GP);
		if (write) {
			memcpy(hp, p, chunk);
			uc_ctl_remove_cache(cpu->uc, va, va + chunk);
		} else {
			memcpy(p, hp, chunk);
		}
		p += chunk;
		va += chunk;
		len -= chunk;
	}
	return (DELIV_OK);
}

static int
ev_read(struct emu_cpu *cpu, uint64_t va, void *buf, size_t len)
{
	return (ev_access(cpu, va, buf, len, 0));
}

static int
ev_write(struct emu_cpu *cpu, uint64_t va, const void *buf, size_t len)
{
	return (ev_access(cpu, va, (void *)(uintptr_t)buf, len, 1));
}

static uint64_t
rd(struct emu_cpu *cpu, int reg)
{
	uint64_t v = 0;

	uc_reg_read(cpu->uc, reg, &v);
	return (v);
}

static void
wr(struct emu_cpu *cpu, int reg, uint64_t v)
{
	uc_reg_write(cpu->uc, reg, &v);
}

void
emu_triple_fault(struct emu_cpu *cpu)
{
	cpu->exit.pending = true;
	cpu->exit.reason = VMX_EXIT_TRIPLE_FAULT;
	cpu->exit.qual = 0;
}

/* Does the exception push an error code (SDM Vol. 3A Table 6-1)? */
bool
emu_has_error_code(int vector)
{
	switch (vector) {
	case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
		return (true);
	default:
		return (false);
	}
}

/* A descriptor's hidden state in VMX access-rights form. */
static void
desc_to_seg(uint64_t d, uint16_t sel, struct emu_seg *s)
{
	uint32_t lo = (uint32_t)d, hi = (uint32_t)(d >> 32);

	s->sel = sel;
	s->base = (lo >> 16) | ((uint64_t)(hi & 0xFF) << 16) |
	    (hi & 0xFF000000U);
	s->limit = (lo & 0xFFFF) | (hi & 0xF0000);
	if (hi & (1U << 23))
		s->limit = (s->limit << 12) | 0xFFF;
	s->ar = (hi >> 8) & 0xF0FF;
}

static int
read_desc(struct emu_cpu *cpu, uint16_t sel, uint64_t *d)
{
	uc_x86_mmr gdt;

	if ((sel & ~3) == 0 || (sel & 4))	/* null, or LDT: not handled */
		return (DELIV_GP);
	uc_reg_read(cpu->uc, UC_X86_REG_GDTR, &gdt);
	if ((uint32_t)(sel & ~7) + 7 > gdt.limit)
		return (DELIV_GP);
	return (ev_read(cpu, gdt.base + (sel & ~7), d, 8));
}

/* Real mode: the IVT's 4-byte vectors, a 16-bit FLAGS/CS/IP frame. */
static int
deliver_real(struct emu_cpu *cpu, int vector, uint64_t ret_ip)
{
	uc_x86_mmr idt;
	uint16_t frame[3], ivt[2];
	uint64_t sp, ssbase, fl;
	struct emu_seg cs;

	int rc;

	uc_reg_read(cpu->uc, UC_X86_REG_IDTR, &idt);
	if ((uint32_t)vector * 4 + 3 > idt.limit)
		return (DELIV_GP);
	if ((rc = ev_read(cpu, idt.base + (uint64_t)vector * 4, ivt, 4)) != 0)
		return (rc);
	fl = emu_engine_rflags(cpu);
	frame[2] = (uint16_t)fl;
	frame[1] = (uint16_t)rd(cpu, UC_X86_REG_CS);
	frame[0] = (uint16_t)ret_ip;
	sp = (rd(cpu, UC_X86_REG_RSP) - 6) & 0xFFFF;
	ssbase = cpu->loaded_seg[SEG_SS].base;
	if ((rc = ev_write(cpu, ssbase + sp, frame, 6)) != 0)
		return (rc);
	wr(cpu, UC_X86_REG_RSP, (rd(cpu, UC_X86_REG_RSP) & ~0xFFFFULL) | sp);
	cs = cpu->loaded_seg[SEG_CS];
	cs.sel = ivt[1];
	cs.base = (uint64_t)ivt[1] << 4;
	emu_set_code_stack(cpu, &cs, NULL, 0);
	wr(cpu, UC_X86_REG_RFLAGS, fl & ~(PSL_I | PSL_T | PSL_AC));
	wr(cpu, UC_X86_REG_RIP, ivt[0]);
	return (0);
}

/*
 * Protected and long mode: through the IDT gate, with a stack switch when
 * the handler is more privileged (from the TSS, or the IST in long mode).
 */
static int
deliver_prot(struct emu_cpu *cpu, int vector, uint32_t type, bool push_err,
    uint32_t err, uint64_t ret_ip)
{
	uc_x86_mmr idt, tr;
	uint64_t gate[2] = { 0, 0 }, cs_desc, rsp, new_rsp, fl, off;
	uint64_t frame[6];
	uint32_t gtype, dpl, cpl, new_cpl, ist;
	bool lm, is32, sw;
	struct emu_seg cs, ss;
	uint16_t sel;
	int n = 0, esz, i, rc;

	{
		uc_x86_msr efer = { MSR_EFER, 0 };

		uc_reg_read(cpu->uc, UC_X86_REG_MSR, &efer);
		lm = (efer.value & EFER_LMA) != 0;
	}
	uc_reg_read(cpu->uc, UC_X86_REG_IDTR, &idt);
	esz = lm ? 16 : 8;
	if ((uint32_t)vector * esz + esz - 1 > idt.limit)
		return (DELIV_GP);
	if ((rc = ev_read(cpu, idt.base + (uint64_t)vector * esz, gate,
	    esz)) != 0)
		return (rc);
	gtype = (uint32_t)(gate[0] >> 40) & 0xF;
	dpl = (uint32_t)(gate[0] >> 45) & 3;
	if (!((gate[0] >> 47) & 1))
		return (DELIV_GP);		/* #NP */
	if (lm ? (gtype != GATE_INT32 && gtype != GATE_TRAP32) :
	    (gtype != GATE_INT32 && gtype != GATE_TRAP32 &&
	    gtype != GATE_INT16 && gtype != GATE_TRAP16))
		return (DELIV_GP);		/* task gates not modelled */
	cpl = (uint32_t)(rd(cpu, UC_X86_REG_CS) & 3);
	sw = type == INTR_TYPE_SWINT || type == INTR_TYPE_SWEXC ||
	    type == INTR_TYPE_PRIVSW;
	if (sw && type != INTR_TYPE_PRIVSW && dpl < cpl)
		return (DELIV_GP);
	sel = (uint16_t)(gate[0] >> 16);
	off = (gate[0] & 0xFFFF) | ((gate[0] >> 32) & 0xFFFF0000ULL);
	if (lm)
		off |= gate[1] << 32;
	if ((rc = read_desc(cpu, sel, &cs_desc)) != 0)
		return (rc);
	desc_to_seg(cs_desc, sel, &cs);
	if (!(cs.ar & 0x80) || !(cs.ar & 0x8))
		return (DELIV_GP);		/* not present, not code */
	new_cpl = (cs.ar >> 5) & 3;
	if (cs.ar & 0x4)			/* conforming: stay */
		new_cpl = cpl;
	if (new_cpl > cpl)
		return (DELIV_GP);
	cs.sel = (uint16_t)((sel & ~3) | new_cpl);
	is32 = lm || gtype == GATE_INT32 || gtype == GATE_TRAP32;
	fl = emu_engine_rflags(cpu);
	rsp = rd(cpu, UC_X86_REG_RSP);
	ist = lm ? (uint32_t)(gate[0] >> 32) & 7 : 0;
	ss = cpu->loaded_seg[SEG_SS];
	if (new_cpl < cpl || ist != 0) {
		uc_reg_read(cpu->uc, UC_X86_REG_TR, &tr);
		if (lm) {
			uint64_t slot = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;

			if ((rc = ev_read(cpu, tr.base + slot, &new_rsp, 8)) != 0)
				return (rc);
			if (new_cpl < cpl) {
				memset(&ss, 0, sizeof(ss));
				ss.sel = (uint16_t)new_cpl;
				ss.ar = 0x10000 | (new_cpl << 5);
			}
		} else {
			uint32_t esp0;
			uint16_t ss0;
			uint64_t ssd;

			if ((rc = ev_read(cpu, tr.base + 4 + 8 * new_cpl, &esp0,
			    4)) != 0 ||
			    (rc = ev_read(cpu, tr.base + 8 + 8 * new_cpl, &ss0,
			    2)) != 0 || (rc = read_desc(cpu, ss0, &ssd)) != 0)
				return (rc);
			desc_to_seg(ssd, ss0, &ss);
			new_rsp = esp0;
		}
	} else {
		new_rsp = rsp;
	}
	/* 64-bit mode always pushes SS:RSP; legacy only on a switch. */
	if (new_cpl < cpl || lm) {
		frame[n++] = rd(cpu, UC_X86_REG_SS);
		frame[n++] = rsp;
	}
	if (lm)
		new_rsp &= ~0xFULL;
	frame[n++] = fl;
	frame[n++] = rd(cpu, UC_X86_REG_CS);
	frame[n++] = ret_ip;
	if (push_err)
		frame[n++] = err;
	/* Push in order: the first element is highest in memory. */
	for (i = 0; i < n; i++) {
		uint64_t v = frame[i];
		unsigned w = lm ? 8 : (is32 ? 4 : 2);

		new_rsp -= w;
		if (!lm && !(ss.ar & 0x4000))
			new_rsp &= 0xFFFF;
		if ((rc = ev_write(cpu, (lm ? 0 : ss.base) +
		    (lm ? new_rsp : (new_rsp & 0xFFFFFFFFULL)), &v, w)) != 0)
			return (rc);
	}
	emu_set_code_stack(cpu, &cs, (new_cpl < cpl) ? &ss : NULL, new_cpl);
	wr(cpu, UC_X86_REG_RSP, new_rsp);
	fl &= ~(PSL_T | PSL_NT | PSL_RF | PSL_VM);
	if (gtype == GATE_INT32 || gtype == GATE_INT16)
		fl &= ~PSL_I;
	wr(cpu, UC_X86_REG_RFLAGS, fl);
	wr(cpu, UC_X86_REG_RIP, is32 ? off : (off & 0xFFFF));
	return (0);
}

static bool
contributory(int v)
{
	return (v == 0 || (v >= 10 && v <= 13));
}

/*
 * Deliver one event through the guest's vector table.  A fault while
 * delivering is delivered in its place, or becomes #DF when the two
 * combine (SDM Vol. 3A Table 6-5: contributory then contributory, #PF
 * then #PF or contributory), and a fault while delivering #DF is a triple
 * fault.  An EPT violation while delivering is a VM exit whose
 * IDT-vectoring information describes the event (SDM Vol. 3C §28.2.4).
 * Returns 0 when the guest can go on, 1 when a VM exit was recorded.
 */
int
emu_deliver_event(struct emu_cpu *cpu, int vector, uint32_t type,
    bool has_err, uint32_t err)
{
	uint64_t rip = rd(cpu, UC_X86_REG_RIP);
	uint64_t cr0 = rd(cpu, UC_X86_REG_CR0);
	uint32_t prev_info = 0, prev_err = 0;
	int rc, next, depth;

	emu_seg_sync(cpu);
	for (depth = 0; depth < 3; depth++) {
		/* An exception raised while delivering may itself exit. */
		if (depth > 0 && emu_exception_exit(cpu, vector, type, has_err,
		    err)) {
			cpu->exit.idt_info = prev_info;
			cpu->exit.idt_err = prev_err;
			return (1);
		}
		prev_info = (uint32_t)vector | (type << 8) |
		    (has_err ? 1U << 11 : 0) | (1U << 31);
		prev_err = has_err ? err : 0;
		if (!(cr0 & CR0_PE))
			rc = deliver_real(cpu, vector, rip);
		else
			rc = deliver_prot(cpu, vector, type, has_err, err, rip);
		if (rc == DELIV_OK)
			return (0);
		if (rc == DELIV_EXIT) {
			cpu->exit.idt_info = (uint32_t)vector | (type << 8) |
			    (has_err ? 1U << 11 : 0) | (1U << 31);
			cpu->exit.idt_err = has_err ? err : 0;
			return (1);
		}
		if (vector == 8)
			break;
		next = rc == DELIV_PF ? 14 : 13;
		if (type == INTR_TYPE_HWEXC &&
		    ((contributory(vector) && contributory(next)) ||
		    (vector == 14 && (next == 14 || contributory(next))))) {
			vector = 8;
			err = 0;
		} else {
			vector = next;
			err = rc == DELIV_PF ? cpu->event_err : 0;
			if (rc == DELIV_PF)
				emu_set_cr2(cpu, cpu->event_cr2);
		}
		has_err = true;
		type = INTR_TYPE_HWEXC;
	}
	emu_triple_fault(cpu);
	return (1);
}

/*
 * VM-entry event injection (SDM Vol. 3C §27.6.1): the event is delivered
 * as if it had occurred right after entry; for software interrupts and
 * exceptions the return address is RIP plus the instruction length.
 */
int
emu_inject_event(struct emu_cpu *cpu, uint32_t info, uint32_t err,
    uint32_t len)
{
	int vector = (int)(info & 0xFF);
	uint32_t type = (info >> 8) & 7;
	bool has_err = (info >> 11) & 1;
	uint64_t cr0 = rd(cpu, UC_X86_REG_CR0);

	if (type == INTR_TYPE_SWINT || type == INTR_TYPE_SWEXC ||
	    type == INTR_TYPE_PRIVSW)
		wr(cpu, UC_X86_REG_RIP, rd(cpu, UC_X86_REG_RIP) + len);
	/* Real mode pushes no error code, even if the field says one. */
	if (!(cr0 & CR0_PE))
		has_err = false;
	return (emu_deliver_event(cpu, vector, type, has_err, err));
}
