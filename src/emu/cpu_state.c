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
 * Moving guest state between the VMCS and the Unicorn engine.
 *
 * Unicorn's register API cannot load hidden segment state: in a 64-bit
 * engine a write to CS or SS changes only the selector.  VM entry must load
 * arbitrary bases, limits, access rights and CPL (a real-mode CS with base
 * FFFF0000, a ring-3 long-mode guest), so vmmsim edits the engine's saved
 * context: the segment caches, control registers, EFER and the derived
 * "hflags" word that the translator reads for the code mode and CPL.  The
 * offsets of those fields inside a uc_context are found by probing with
 * values written through the public API, never assumed, and the probe
 * refuses a Unicorn whose layout does not match (emu_cpu_create then fails
 * with ENOTSUP).
 */

#define _GNU_SOURCE		/* process_vm_readv, malloc_usable_size */

#include <sys/uio.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_impl.h"

/* QEMU's segment cache inside the context: selector, base, limit, flags. */
#define SC_SIZE		24
#define SC_SEL		0
#define SC_BASE		8
#define SC_LIMIT	16
#define SC_FLAGS	20
#define SC_LDT		6
#define SC_TR		7
#define SC_GDT		8
#define SC_IDT		9

/* hflags bits used by QEMU's x86 translator (target/i386/cpu.h). */
#define HF_CPL_MASK	0x00000003U
#define HF_INHIBIT_IRQ	(1U << 3)
#define HF_CS32		(1U << 4)
#define HF_SS32		(1U << 5)
#define HF_ADDSEG	(1U << 6)
#define HF_PE		(1U << 7)
#define HF_MP		(1U << 9)
#define HF_EM		(1U << 10)
#define HF_TS		(1U << 11)
#define HF_LMA		(1U << 14)
#define HF_CS64		(1U << 15)
#define HF_OSFXSR	(1U << 22)
#define HF_SMAP		(1U << 23)
#define HF_DERIVED	(HF_CPL_MASK | HF_INHIBIT_IRQ | HF_CS32 | HF_SS32 | \
	HF_ADDSEG | HF_PE | HF_MP | HF_EM | HF_TS | HF_LMA | HF_CS64 | \
	HF_OSFXSR | HF_SMAP)

/* Descriptor flags bits (the high dword of a descriptor). */
#define DESC_P		(1U << 15)
#define DESC_L		(1U << 21)
#define DESC_B		(1U << 22)
#define DESC_G		(1U << 23)
#define DESC_S		(1U << 12)
#define DESC_CODE_RA	(0xBU << 8)	/* execute/read, accessed */
#define DESC_DATA_WA	(0x3U << 8)	/* read/write, accessed */

#define AR_UNUSABLE	0x10000U

static size_t
find64(const uint8_t *b, size_t n, uint64_t v)
{
	uint64_t w;
	size_t i;

	/* A load per offset, not a memcmp call: fuzz builds intercept those. */
	for (i = 0; i + 8 <= n; i++) {
		memcpy(&w, b + i, 8);
		if (w == v)
			return (i);
	}
	return ((size_t)-1);
}

/*
 * Find the CPU-state fields in a saved context by writing distinctive
 * values through the register API.  Returns 0 or ENOTSUP.
 */
int
uc_layout_probe(uc_engine *uc, struct uc_layout *lay)
{
	uc_context *ctx;
	uc_x86_mmr gdt = { 0, 0x5a5a1122334455a5ULL, 0x1357, 0 };
	uc_x86_mmr ldt = { 0x28, 0x5a5a6677889900a5ULL, 0x2468, 0x82 };
	uc_x86_msr efer = { MSR_EFER, 0x0d01 };
	static const uint32_t msrs[LAY_NMSR] = {
		MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNELGSBASE,
		MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
		MSR_MISC_ENABLE_IA32
	};
	uint32_t sel;
	uc_x86_msr m, misc = { MSR_MISC_ENABLE_IA32, 0 };
	size_t i;
	uint64_t cr3 = 0x5a5a0000abcde000ULL, zero = 0;
	uint64_t dr0 = 0x5a5a123456789abcULL;
	uint64_t rax = 0x5a5a0ddba11cafe5ULL;
	uint64_t probe_fl = 0x40202, fl = 0, zfl = 0x2;	/* AC | IF */
	size_t d;
	int32_t old;
	uc_x86_mmr none = { 0, 0, 0, 0 };
	size_t n, g, l, c, e;
	const uint8_t *b;
	int error = ENOTSUP;

	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK)
		return (ENOMEM);
	n = uc_context_size(uc);
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdt);
	uc_reg_write(uc, UC_X86_REG_LDTR, &ldt);
	uc_reg_write(uc, UC_X86_REG_CR3, &cr3);
	uc_reg_write(uc, UC_X86_REG_MSR, &efer);
	uc_reg_write(uc, UC_X86_REG_DR0, &dr0);
	uc_reg_write(uc, UC_X86_REG_RFLAGS, &probe_fl);
	uc_reg_write(uc, UC_X86_REG_RAX, &rax);
	uc_reg_read(uc, UC_X86_REG_MSR, &misc);	/* put back after */
	for (i = 0; i < LAY_NMSR; i++) {
		m.rid = msrs[i];
		m.value = i == 5 ? 0xa5c3 : 0x5a5a00c0ffee0100ULL + i;
		uc_reg_write(uc, UC_X86_REG_MSR, &m);
	}
	uc_context_save(uc, ctx);
	b = (const uint8_t *)ctx;
	g = find64(b, n, gdt.base);
	l = find64(b, n, ldt.base);
	c = find64(b, n, cr3);
	e = find64(b, n, efer.value);
	d = find64(b, n, dr0);
	old = 0;
	if (d != (size_t)-1 && d + 100 <= n)
		memcpy(&old, b + d + 96, 4);
	/*
	 * QEMU keeps error_code, exception_is_int and exception_next_eip
	 * right before dr[8], and old_exception (-1 when idle) after dr[8]
	 * and four breakpoint pointers.
	 */
	if (g != (size_t)-1 && l != (size_t)-1 && c != (size_t)-1 &&
	    e != (size_t)-1 && d != (size_t)-1 && d >= 16 && old == -1 &&
	    g == l + (SC_GDT - SC_LDT) * SC_SIZE &&
	    l >= SC_BASE + SC_LDT * SC_SIZE + 8 &&
	    c == g - SC_BASE + 2 * SC_SIZE + 3 * 8) {
		lay->segs = l - SC_BASE - SC_LDT * SC_SIZE;
		lay->hflags = lay->segs - 8;
		/* eflags, cc_dst, cc_src, cc_src2, cc_op, df, then hflags. */
		lay->eflags = lay->hflags - 40;
		memcpy(&fl, b + lay->eflags, 8);
		lay->hflags2 = lay->segs - 4;
		lay->cr = c - 3 * 8;
		lay->efer = e;
		lay->dr = d;
		lay->error_code = d - 16;
		lay->is_int = d - 12;
		lay->old_exception = d + 96;
		/* regs[16] and eip come right before eflags. */
		lay->regs = lay->eflags - 17 * 8;
		lay->size = n;
		/*
		 * The syscall MSRs, for reading the exit MSR-store list in
		 * place; without them that list goes through the API.
		 */
		for (i = 0; i < LAY_NMSR; i++)
			lay->msr[i] = i == 5 ? (size_t)-1 :
			    find64(b, n, 0x5a5a00c0ffee0100ULL + i);
		/*
		 * SYSENTER_CS keeps 16 bits, too few to search for: QEMU
		 * has it as the 32-bit word 8 bytes before SYSENTER_ESP.
		 */
		if (lay->msr[6] != (size_t)-1 && lay->msr[6] >= 8) {
			memcpy(&sel, b + lay->msr[6] - 8, 4);
			if (sel == 0xa5c3)
				lay->msr[5] = lay->msr[6] - 8;
		}
		error = fl == probe_fl && find64(b, n, rax) == lay->regs ?
		    0 : ENOTSUP;
	}
	/* Undo the probe's values. */
	uc_reg_write(uc, UC_X86_REG_GDTR, &none);
	uc_reg_write(uc, UC_X86_REG_LDTR, &none);
	uc_reg_write(uc, UC_X86_REG_CR3, &zero);
	efer.value = 0;
	uc_reg_write(uc, UC_X86_REG_MSR, &efer);
	uc_reg_write(uc, UC_X86_REG_DR0, &zero);
	uc_reg_write(uc, UC_X86_REG_RFLAGS, &zfl);
	uc_reg_write(uc, UC_X86_REG_RAX, &zero);
	for (i = 0; i < LAY_NMSR; i++) {
		m.rid = msrs[i];
		m.value = msrs[i] == MSR_MISC_ENABLE_IA32 ? misc.value : 0;
		uc_reg_write(uc, UC_X86_REG_MSR, &m);
	}
	uc_context_free(ctx);
	return (error);
}

/*
 * The engine's live CPU state.
 *
 * Unicorn's API reaches QEMU's CPU state (CPUX86State) only through
 * uc_context_save/restore, which copy all of it (5.5 KB on 2.1.1), and the
 * simulated CPU looks at a few words of it (CPL, CS base, EFLAGS) at every
 * exit-causing instruction: two copies made up a fifth of an I/O exit's
 * round trip.  The state does not move while the engine lives, so its
 * address is found once per process and checked for every engine:
 *
 *  - discovery: with distinctive values in eight GPRs, each pointer in
 *    the engine's own allocation (struct uc_struct, bounded by
 *    malloc_usable_size) is followed and the 128 KiB after it searched for
 *    those values.  The pointer that reaches them at the smallest distance
 *    is the CPU object (X86CPU, which embeds the state); the pair (which
 *    word of uc_struct, how far into the CPU object) is what every engine
 *    of this library shares.  Memory is read with process_vm_readv, which
 *    fails cleanly on an unmapped page instead of faulting.
 *  - for each engine: the state at that pair is read the same way and
 *    must equal, byte for byte, what uc_context_save copies while the GPRs
 *    hold distinctive values.
 * When either fails (another Unicorn build, process_vm_readv refused) the
 * CPU copies through the context as before; VMMSIM_LIVE_STATE=0 forces
 * that, so both paths can be tested.
 */
#define LIVE_SCAN	(128 * 1024)
#define LIVE_CHUNK	4096

static pthread_mutex_t	live_lock = PTHREAD_MUTEX_INITIALIZER;
static int		live_state;	/* [live_lock] 0 untried, 1, -1 */
static size_t		live_word;	/* [live_lock] uc_struct offset */
static size_t		live_off;	/* [live_lock] state in the CPU */

static const uint64_t live_pat[8] = {
	0x5a5a1111c0de0001ULL, 0x5a5a2222c0de0002ULL, 0x5a5a3333c0de0003ULL,
	0x5a5a4444c0de0004ULL, 0x5a5a5555c0de0005ULL, 0x5a5a6666c0de0006ULL,
	0x5a5a7777c0de0007ULL, 0x5a5a8888c0de0008ULL
};

/* Copy len bytes at addr, or -1 if any of them cannot be read. */
static int
peek(uintptr_t addr, void *buf, size_t len)
{
	struct iovec l, r;

	l.iov_base = buf;
	l.iov_len = len;
	r.iov_base = (void *)addr;
	r.iov_len = len;
	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)len)
		return (-1);
	return (0);
}

static void
live_mark(uc_engine *uc, const uint64_t *v)
{
	static const int ids[8] = {
		UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX,
		UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
		UC_X86_REG_RSI, UC_X86_REG_RDI
	};
	int i;

	for (i = 0; i < 8; i++)
		uc_reg_write(uc, ids[i], &v[i]);
}

/* The smallest distance from p at which the marked GPRs are, or -1. */
static ssize_t
live_search(uintptr_t p, uint8_t *buf)
{
	size_t at, k;

	for (at = 0; at < LIVE_SCAN; at += LIVE_CHUNK) {
		if (peek(p + at, buf, LIVE_CHUNK + sizeof(live_pat)) != 0)
			return (-1);
		for (k = 0; k < LIVE_CHUNK; k += 8)
			if (memcmp(buf + k, live_pat, sizeof(live_pat)) == 0)
				return ((ssize_t)(at + k));
	}
	return (-1);
}

static void
live_discover(uc_engine *uc)
{
	uint8_t *buf;
	size_t usable, o, best = (size_t)-1;
	uintptr_t p;
	ssize_t k;

	live_state = -1;
	if ((buf = malloc(LIVE_CHUNK + sizeof(live_pat))) == NULL)
		return;
	usable = malloc_usable_size(uc);
	for (o = 0; o + sizeof(p) <= usable; o += sizeof(p)) {
		memcpy(&p, (const uint8_t *)uc + o, sizeof(p));
		if (p == 0 || (p & 7) != 0)
			continue;
		if ((k = live_search(p, buf)) >= 0 && (size_t)k < best) {
			best = (size_t)k;
			live_word = o;
			live_off = (size_t)k;
			live_state = 1;
		}
	}
	free(buf);
}

/*
 * Whether copy (the state read in place, from regs on) holds what the
 * saved context ctx does, field by field over what the CPU uses: GPRs,
 * RIP, EFLAGS and the lazy flags, hflags, CR0-CR4, EFER.  (Not the whole
 * context byte for byte: its last bytes are the allocation's padding.)
 */
static bool
live_same(const uint8_t *copy, const uint8_t *ctx,
    const struct uc_layout *lay)
{
	const size_t r = lay->regs;	/* copy[0] is ctx[r] */

	return (memcmp(copy, ctx + r, lay->hflags + 8 - r) == 0 &&
	    memcmp(copy + (lay->cr - r), ctx + lay->cr, 5 * 8) == 0 &&
	    memcmp(copy + (lay->efer - r), ctx + lay->efer, 8) == 0);
}

/* Whether the environment lets a CPU read its state in place. */
bool
live_state_allowed(void)
{
	const char *env = getenv("VMMSIM_LIVE_STATE");

	return (env == NULL || strcmp(env, "0") != 0);
}

/*
 * The base to add a layout offset to for the engine's live state (so that
 * base + lay->eflags is QEMU's eflags), or NULL.
 */
uint8_t *
uc_live_state(uc_engine *uc, const struct uc_layout *lay)
{
	static const uint64_t zero[8];
	uc_context *ctx;
	uint8_t *copy = NULL, *res = NULL;
	uintptr_t p;
	size_t n;

	if (!live_state_allowed())
		return (NULL);
	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK)
		return (NULL);
	n = lay->size - lay->regs;
	live_mark(uc, live_pat);
	pthread_mutex_lock(&live_lock);
	if (live_state == 0)
		live_discover(uc);
	if (live_state == 1 && live_word + sizeof(p) <= malloc_usable_size(uc) &&
	    (copy = malloc(n)) != NULL) {
		memcpy(&p, (const uint8_t *)uc + live_word, sizeof(p));
		uc_context_save(uc, ctx);
		if (peek(p + live_off, copy, n) == 0 &&
		    live_same(copy, (const uint8_t *)ctx, lay))
			res = (uint8_t *)(p + live_off) - lay->regs;
	}
	pthread_mutex_unlock(&live_lock);
	live_mark(uc, zero);
	free(copy);
	uc_context_free(ctx);
	return (res);
}

/*
 * The engine's CPU state for reading or changing: the live state, or a
 * fresh copy in cpu->ctx that ctx_store() writes back.  ctx_last() is the
 * one fetched last, for code that follows a fetch made by a callee.
 */
static uint8_t *
ctx_fetch(struct emu_cpu *cpu)
{
	if (cpu->envb != NULL)
		return (cpu->envb);
	uc_context_save(cpu->uc, cpu->ctx);
	return ((uint8_t *)cpu->ctx);
}

static uint8_t *
ctx_last(struct emu_cpu *cpu)
{
	return (cpu->envb != NULL ? cpu->envb : (uint8_t *)cpu->ctx);
}

static void
ctx_store(struct emu_cpu *cpu)
{
	if (cpu->envb == NULL)
		uc_context_restore(cpu->uc, cpu->ctx);
}

static void
put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void
put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static uint32_t
get32(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return (v);
}

static uint64_t
get64(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return (v);
}

static const uint32_t seg_sel_enc[SEG_NUM] = {
	VMCS_GUEST_IA32_ES_SEL, VMCS_GUEST_IA32_CS_SEL, VMCS_GUEST_IA32_SS_SEL,
	VMCS_GUEST_IA32_DS_SEL, VMCS_GUEST_IA32_FS_SEL, VMCS_GUEST_IA32_GS_SEL,
	VMCS_GUEST_IA32_LDTR_SEL, VMCS_GUEST_IA32_TR_SEL
};
/* Limit, AR and base encodings follow the selector's at fixed distances. */
#define ENC_LIMIT(i)	(VMCS_GUEST_IA32_ES_LIMIT + 2 * (i))
#define ENC_AR(i)	(VMCS_GUEST_IA32_ES_AR + 2 * (i))
#define ENC_BASE(i)	(VMCS_GUEST_IA32_ES_BASE + 2 * (i))

static uint32_t
ar_to_flags(uint32_t ar)
{
	if (ar & AR_UNUSABLE)
		return ((ar & 0x60) << 8);	/* keep only the DPL */
	return ((ar & 0xF0FF) << 8);
}

/*
 * The translator's view of the state: code size, CPL, long mode, and
 * whether segment bases must be added (QEMU's cpu_x86_load_seg_cache and
 * cpu_x86_update_cr0/cr4 rules).
 */
static uint32_t
compute_hflags(uint32_t old, uint64_t cr0, uint64_t cr4, uint64_t efer,
    uint64_t rflags, const uint8_t *b, const struct uc_layout *lay,
    unsigned cpl, uint32_t intr_state)
{
	uint32_t hf = old & ~HF_DERIVED;
	uint32_t csf = get32(b, lay->segs + SEG_CS * SC_SIZE + SC_FLAGS);
	uint32_t ssf = get32(b, lay->segs + SEG_SS * SC_SIZE + SC_FLAGS);
	uint64_t bases;

	hf |= cpl & HF_CPL_MASK;
	if (cr0 & CR0_PE)
		hf |= HF_PE;
	hf |= (uint32_t)((cr0 << 8) & (HF_MP | HF_EM | HF_TS));
	if (efer & EFER_LMA)
		hf |= HF_LMA;
	if ((efer & EFER_LMA) && (csf & DESC_L)) {
		hf |= HF_CS32 | HF_SS32 | HF_CS64;
	} else {
		if (csf & DESC_B)
			hf |= HF_CS32;
		if (ssf & DESC_B)
			hf |= HF_SS32;
	}
	if (!(hf & HF_CS64)) {
		bases = get64(b, lay->segs + SEG_DS * SC_SIZE + SC_BASE) |
		    get64(b, lay->segs + SEG_ES * SC_SIZE + SC_BASE) |
		    get64(b, lay->segs + SEG_SS * SC_SIZE + SC_BASE);
		if (!(cr0 & CR0_PE) || (rflags & PSL_VM) || !(hf & HF_CS32) ||
		    bases != 0)
			hf |= HF_ADDSEG;
	}
	if (cr4 & CR4_OSFXSR)
		hf |= HF_OSFXSR;
	if (cr4 & CR4_SMAP)
		hf |= HF_SMAP;
	if (intr_state & 0x3)		/* blocking by STI or by MOV SS */
		hf |= HF_INHIBIT_IRQ;
	return (hf);
}

/*
 * Load the guest state of the current VMCS into the engine (SDM Vol. 3C
 * §27.3.2): control registers, debug register 7, segment registers with
 * their hidden parts, descriptor tables, EFER, and the MSRs the engine
 * holds.  RIP, RSP, RFLAGS and the GPRs are written by the caller.
 */
void
emu_state_load(struct emu_cpu *cpu)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint8_t *b;
	uint64_t cr0, cr4, efer, rflags;
	uint32_t entry, hf, intr;
	unsigned cpl;
	size_t off;
	int i;

	b = ctx_fetch(cpu);
	for (i = 0; i < SEG_NUM; i++) {
		struct emu_seg *s = &cpu->loaded_seg[i];

		s->sel = (uint16_t)vmcs_get(cpu, seg_sel_enc[i]);
		s->base = vmcs_get(cpu, ENC_BASE(i));
		s->limit = (uint32_t)vmcs_get(cpu, ENC_LIMIT(i));
		s->ar = (uint32_t)vmcs_get(cpu, ENC_AR(i));
		off = lay->segs + (size_t)i * SC_SIZE;
		put32(b, off + SC_SEL, s->sel);
		put64(b, off + SC_BASE, s->base);
		put32(b, off + SC_LIMIT, s->limit);
		cpu->loaded_flags[i] = ar_to_flags(s->ar);
		put32(b, off + SC_FLAGS, cpu->loaded_flags[i]);
	}
	off = lay->segs + SC_GDT * SC_SIZE;
	put64(b, off + SC_BASE, vmcs_get(cpu, VMCS_GUEST_IA32_GDTR_BASE));
	put32(b, off + SC_LIMIT, (uint32_t)vmcs_get(cpu,
	    VMCS_GUEST_IA32_GDTR_LIMIT));
	off = lay->segs + SC_IDT * SC_SIZE;
	put64(b, off + SC_BASE, vmcs_get(cpu, VMCS_GUEST_IA32_IDTR_BASE));
	put32(b, off + SC_LIMIT, (uint32_t)vmcs_get(cpu,
	    VMCS_GUEST_IA32_IDTR_LIMIT));

	cr0 = vmcs_get(cpu, VMCS_GUEST_IA32_CR0);
	cr4 = vmcs_get(cpu, VMCS_GUEST_IA32_CR4);
	entry = (uint32_t)vmcs_get(cpu, VMCS_ENTRY_CTLS);
	if (entry & IA32_VMX_LOAD_IA32_EFER_ON_ENTRY) {
		efer = vmcs_get(cpu, VMCS_GUEST_IA32_EFER);
	} else {
		/* SDM §27.3.2.1: LMA (and LME with paging) follow the control. */
		efer = cpu->msr.efer & ~(EFER_LMA | EFER_LME);
		if (entry & IA32_VMX_IA32E_MODE_GUEST)
			efer |= EFER_LMA | ((cr0 & CR0_PG) ? EFER_LME : 0);
	}
	put64(b, lay->cr + 0 * 8, cr0);
	put64(b, lay->cr + 3 * 8, vmcs_get(cpu, VMCS_GUEST_IA32_CR3));
	put64(b, lay->cr + 4 * 8, cr4);
	put64(b, lay->efer, efer);
	rflags = vmcs_get(cpu, VMCS_GUEST_IA32_RFLAGS);
	intr = (uint32_t)vmcs_get(cpu, VMCS_GUEST_INTERRUPTIBILITY_ST);
	/* CPL is SS.DPL; a real-mode guest runs at 0 (SDM §27.3.2.2). */
	cpl = (cr0 & CR0_PE) ? (cpu->loaded_seg[SEG_SS].ar >> 5) & 3 : 0;
	if (rflags & PSL_VM)
		cpl = 3;
	hf = compute_hflags(get32(b, lay->hflags), cr0, cr4, efer, rflags, b,
	    lay, cpl, intr);
	put32(b, lay->hflags, hf);
	cpu->engine_intr = (intr & 3) ? 1 : 0;
	ctx_store(cpu);
	cpu->engine_vmcs = cpu->vmcs_pa;
	cpu->guest_dirty = false;
}

/*
 * Bring loaded_seg[] up to date with the segment registers in the engine
 * context just saved into cpu->ctx.  The guest reloads segments inside
 * the engine (a far jump, MOV SS, IRET, a real-mode stack switch), so
 * anything that needs a segment's base mid-run (event delivery, the
 * address of an operand, the instruction at RIP) refreshes it first.
 */
static void
seg_refresh(struct emu_cpu *cpu, const uint8_t *b)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint32_t flags, ar;
	size_t off;
	int i;

	for (i = 0; i < SEG_NUM; i++) {
		struct emu_seg *s = &cpu->loaded_seg[i];
		uint16_t sel;
		uint64_t base;
		uint32_t limit;

		off = lay->segs + (size_t)i * SC_SIZE;
		sel = (uint16_t)get32(b, off + SC_SEL);
		base = get64(b, off + SC_BASE);
		limit = get32(b, off + SC_LIMIT);
		flags = get32(b, off + SC_FLAGS);
		if (sel == s->sel && base == s->base && limit == s->limit &&
		    flags == cpu->loaded_flags[i])
			continue;
		if (!(flags & DESC_P))
			ar = AR_UNUSABLE | ((flags >> 8) & 0x60);
		else
			ar = (flags >> 8) & 0xF0FF;
		/*
		 * LTR marks the descriptor busy in the GDT, but QEMU caches
		 * the type it read before doing so (9, or 1 for a 16-bit
		 * TSS).  A loaded TR is busy on real processors, and VM entry
		 * insists on it (SDM Vol. 3C §27.3.1.2).
		 */
		if (i == SEG_TR && !(ar & AR_UNUSABLE) &&
		    ((ar & 0xF) == 9 || (ar & 0xF) == 1))
			ar |= 2;
		/*
		 * Likewise loading a code or data segment sets the accessed
		 * bit (SDM Vol. 3A §3.4.5.1), which QEMU leaves out of its
		 * cache for CS (far JMP, RET, IRET).  Without it the saved CS
		 * fails VM entry's type check (§27.3.1.2) when a restored
		 * snapshot launches with it.
		 */
		if (i != SEG_TR && i != SEG_LDTR && !(ar & AR_UNUSABLE) &&
		    (ar & 0x10))
			ar |= 1;
		s->sel = sel;
		s->base = base;
		s->limit = limit;
		s->ar = ar;
		cpu->loaded_flags[i] = flags;
	}
}

/* loaded_seg[] as the guest has them now (see seg_refresh). */
void
emu_seg_sync(struct emu_cpu *cpu)
{
	seg_refresh(cpu, ctx_fetch(cpu));
}

/*
 * Save the engine's guest state into the current VMCS on VM exit (SDM Vol.
 * 3C §28.3).  A segment the guest did not reload keeps the access rights
 * VM entry gave it (including "unusable"); one it reloaded is reported
 * from its descriptor, unusable when it holds no present descriptor.
 */
/* A guest-state field saved at exit; *chg set when its value changed. */
static inline void
save_field(struct emu_cpu *cpu, bool *chg, uint32_t enc, uint64_t v)
{
	unsigned int d = vmcs_desc_tab[enc];	/* a full field's encoding */
	uint8_t *p = cpu->vmcs + vmcs_desc_offset(d);
	uint64_t old;

	v &= vmcs_desc_mask(d);
	memcpy(&old, p, sizeof(old));
	if (old != v) {
		memcpy(p, &v, sizeof(v));
		*chg = true;
	}
}

void
emu_state_save(struct emu_cpu *cpu)
{
	const struct uc_layout *lay = &cpu->host->lay;
	const uint8_t *b;
	uint64_t efer;
	uint32_t entry;
	size_t off;
	bool chg = false;
	int i;

	b = ctx_fetch(cpu);
	seg_refresh(cpu, b);
	for (i = 0; i < SEG_NUM; i++) {
		const struct emu_seg *s = &cpu->loaded_seg[i];

		save_field(cpu, &chg, seg_sel_enc[i], s->sel);
		save_field(cpu, &chg, ENC_BASE(i), s->base);
		save_field(cpu, &chg, ENC_LIMIT(i), s->limit);
		save_field(cpu, &chg, ENC_AR(i), s->ar);
	}
	off = lay->segs + SC_GDT * SC_SIZE;
	save_field(cpu, &chg, VMCS_GUEST_IA32_GDTR_BASE, get64(b, off + SC_BASE));
	save_field(cpu, &chg, VMCS_GUEST_IA32_GDTR_LIMIT, get32(b, off + SC_LIMIT));
	off = lay->segs + SC_IDT * SC_SIZE;
	save_field(cpu, &chg, VMCS_GUEST_IA32_IDTR_BASE, get64(b, off + SC_BASE));
	save_field(cpu, &chg, VMCS_GUEST_IA32_IDTR_LIMIT, get32(b, off + SC_LIMIT));
	save_field(cpu, &chg, VMCS_GUEST_IA32_CR0, get64(b, lay->cr + 0 * 8));
	save_field(cpu, &chg, VMCS_GUEST_IA32_CR3, get64(b, lay->cr + 3 * 8));
	save_field(cpu, &chg, VMCS_GUEST_IA32_CR4, get64(b, lay->cr + 4 * 8));
	efer = get64(b, lay->efer);
	if (vmcs_get(cpu, VMCS_EXIT_CTLS) & IA32_VMX_SAVE_IA32_EFER_ON_EXIT)
		save_field(cpu, &chg, VMCS_GUEST_IA32_EFER, efer);
	/* SDM §28.2: "IA-32e mode guest" reflects EFER.LMA at exit. */
	entry = (uint32_t)vmcs_get(cpu, VMCS_ENTRY_CTLS);
	if (efer & EFER_LMA)
		entry |= IA32_VMX_IA32E_MODE_GUEST;
	else
		entry &= ~IA32_VMX_IA32E_MODE_GUEST;
	save_field(cpu, &chg, VMCS_ENTRY_CTLS, entry);
	cpu->engine_intr = (get32(b, lay->hflags) & HF_INHIBIT_IRQ) ? 1 : 0;
	if (chg)
		cpu->vmcs_gen++;	/* see struct vmentry_memo */
}

/*
 * RFLAGS as the guest has it, each part from where the engine keeps it
 * exactly: the system flags from QEMU's raw eflags, DF from its df word
 * (the one after cc_op), and only the six arithmetic flags from the
 * lazily computed value.  QEMU ORs that computed value in unmasked, and it
 * can be anything: CMPXCHG16B computes "the other flags" from a stale
 * cc_op, so until the next flag-setting instruction CC_SRC holds whatever
 * an earlier instruction left there (seen: Linux's SLUB fast path, a timed
 * exit right after cmpxchg16b; sete al, with RFLAGS c1584ec2; written back
 * at the next entry it set NT and DF in the guest).
 */
uint64_t
emu_engine_rflags(struct emu_cpu *cpu)
{
	uint64_t computed = 0;

	uc_reg_read(cpu->uc, UC_X86_REG_RFLAGS, &computed);
	(void)ctx_fetch(cpu);
	return (emu_rflags_compose(cpu, computed));
}

/* The same from RFLAGS as read and the context just saved in cpu->ctx. */
uint64_t
emu_rflags_compose(struct emu_cpu *cpu, uint64_t computed)
{
	const uint8_t *b = ctx_last(cpu);
	uint64_t raw;
	int32_t df;

	raw = get64(b, cpu->host->lay.eflags);
	df = (int32_t)get32(b, cpu->host->lay.eflags + 36);
	return ((raw & ~(PSL_CC | PSL_D)) | (computed & PSL_CC) |
	    (df < 0 ? PSL_D : 0) | PSL_MBO);
}

/* CPL of the guest in the engine. */
unsigned
emu_guest_cpl(struct emu_cpu *cpu)
{
	return (emu_engine_cpl_eflags(cpu, NULL));
}

/*
 * CPL and, with eflags, the raw EFLAGS (see emu_engine_eflags) from one
 * look at the engine.
 */
unsigned
emu_engine_cpl_eflags(struct emu_cpu *cpu, uint64_t *eflags)
{
	const uint8_t *b;
	uint32_t hf;

	hf = 0;
	b = ctx_fetch(cpu);
	memcpy(&hf, b + cpu->host->lay.hflags, 4);
	if (eflags != NULL)
		memcpy(eflags, b + cpu->host->lay.eflags, 8);
	return (hf & HF_CPL_MASK);
}

/*
 * Load CS (and SS when given) with full hidden state and set CPL, as event
 * delivery does when it goes through a gate.
 */
void
emu_set_code_stack(struct emu_cpu *cpu, const struct emu_seg *cs,
    const struct emu_seg *ss, unsigned cpl)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint8_t *b;
	const struct emu_seg *seg[2] = { cs, ss };
	int idx[2] = { SEG_CS, SEG_SS };
	uint64_t cr0, cr4, efer, rflags = 0;
	size_t off;
	int i;

	rflags = emu_engine_rflags(cpu);
	b = ctx_last(cpu);
	for (i = 0; i < 2; i++) {
		if (seg[i] == NULL)
			continue;
		off = lay->segs + (size_t)idx[i] * SC_SIZE;
		put32(b, off + SC_SEL, seg[i]->sel);
		put64(b, off + SC_BASE, seg[i]->base);
		put32(b, off + SC_LIMIT, seg[i]->limit);
		put32(b, off + SC_FLAGS, ar_to_flags(seg[i]->ar));
		cpu->loaded_seg[idx[i]] = *seg[i];
		cpu->loaded_flags[idx[i]] = ar_to_flags(seg[i]->ar);
	}
	cr0 = get64(b, lay->cr);
	cr4 = get64(b, lay->cr + 4 * 8);
	efer = get64(b, lay->efer);
	put32(b, lay->hflags, compute_hflags(get32(b, lay->hflags), cr0, cr4,
	    efer, rflags, b, lay, cpl, 0));
	ctx_store(cpu);
}

/*
 * After the engine reported an exception: its error code, whether it came
 * from INT n, and clear QEMU's "exception in flight" so that the next
 * exception is not taken for a double fault (Unicorn issue 1883).
 */
void
emu_take_engine_event(struct emu_cpu *cpu, uint32_t *err, bool *is_int)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint8_t *b;

	b = ctx_fetch(cpu);
	*err = get32(b, lay->error_code);
	*is_int = get32(b, lay->is_int) != 0;
	put32(b, lay->old_exception, 0xFFFFFFFFU);
	put32(b, lay->is_int, 0);
	ctx_store(cpu);
}

/*
 * RFLAGS as the engine holds it, without recomputing the lazy arithmetic
 * flags.  Inside a hook in the middle of a translated block QEMU's cc_op
 * may be stale, and uc_reg_read(RFLAGS) then ORs garbage into the value
 * (seen: VM and AC set in long mode during a TLB fill).  VM, AC, IF, IOPL,
 * TF and the other system flags are exact here; the arithmetic ones are not.
 */
uint64_t
emu_engine_eflags(struct emu_cpu *cpu)
{
	uint64_t fl;

	memcpy(&fl, ctx_fetch(cpu) + cpu->host->lay.eflags, 8);
	return (fl);
}

/*
 * SYSCALL (SDM Vol. 2B, "SYSCALL"; APM Vol. 3).  Unicorn only calls a hook
 * for it and steps over it, so the CPU makes the transition here, once the
 * engine has stopped with RIP on the next instruction: RCX and R11 get the
 * return RIP and RFLAGS, RFLAGS is masked with IA32_FMASK, CS and SS are
 * the flat ring-0 selectors IA32_STAR names (their hidden parts fixed, not
 * read from the GDT), and RIP comes from IA32_LSTAR (64-bit code),
 * IA32_CSTAR (compatibility mode) or STAR[31:0] (legacy mode).
 * Returns 0, or -1 when EFER.SCE is clear (#UD, nothing changed).
 */
int
emu_engine_syscall(struct emu_cpu *cpu)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint8_t *b;
	uc_x86_msr star = { MSR_STAR, 0 }, target = { 0, 0 };
	uc_x86_msr fmask = { MSR_SFMASK, 0 };
	uint64_t efer, cr0, cr4, rip, rflags, rcx, r11;
	uint32_t csf, ssf, hf;
	uint16_t sel;
	size_t off;
	bool lma;

	uc_reg_read(cpu->uc, UC_X86_REG_RIP, &rip);
	rflags = emu_engine_rflags(cpu);
	b = ctx_last(cpu);
	efer = get64(b, lay->efer);
	if (!(efer & EFER_SCE))
		return (-1);
	lma = (efer & EFER_LMA) != 0;
	uc_reg_read(cpu->uc, UC_X86_REG_MSR, &star);
	csf = get32(b, lay->segs + SEG_CS * SC_SIZE + SC_FLAGS);
	if (lma) {
		target.rid = (csf & DESC_L) ? MSR_LSTAR : MSR_CSTAR;
		uc_reg_read(cpu->uc, UC_X86_REG_MSR, &target);
		uc_reg_read(cpu->uc, UC_X86_REG_MSR, &fmask);
		rcx = rip;
		r11 = rflags & ~PSL_RF;
		rflags &= ~(fmask.value | PSL_RF);
		rip = target.value;
	} else {
		rcx = rip & 0xFFFFFFFFULL;
		r11 = 0;
		rflags &= ~(PSL_VM | PSL_I | PSL_RF);
		rip = star.value & 0xFFFFFFFFULL;
	}
	sel = (uint16_t)((star.value >> 32) & 0xFFFC);
	csf = DESC_G | DESC_P | DESC_S | DESC_CODE_RA | (lma ? DESC_L : DESC_B);
	ssf = DESC_G | DESC_B | DESC_P | DESC_S | DESC_DATA_WA;
	off = lay->segs + SEG_CS * SC_SIZE;
	put32(b, off + SC_SEL, sel);
	put64(b, off + SC_BASE, 0);
	put32(b, off + SC_LIMIT, 0xFFFFFFFFU);
	put32(b, off + SC_FLAGS, csf);
	off = lay->segs + SEG_SS * SC_SIZE;
	put32(b, off + SC_SEL, (uint16_t)(sel + 8));
	put64(b, off + SC_BASE, 0);
	put32(b, off + SC_LIMIT, 0xFFFFFFFFU);
	put32(b, off + SC_FLAGS, ssf);
	cr0 = get64(b, lay->cr + 0 * 8);
	cr4 = get64(b, lay->cr + 4 * 8);
	hf = compute_hflags(get32(b, lay->hflags), cr0, cr4, efer, rflags, b,
	    lay, 0, 0);
	put32(b, lay->hflags, hf);
	ctx_store(cpu);
	uc_reg_write(cpu->uc, UC_X86_REG_RCX, &rcx);
	if (lma)
		uc_reg_write(cpu->uc, UC_X86_REG_R11, &r11);
	uc_reg_write(cpu->uc, UC_X86_REG_RFLAGS, &rflags);
	uc_reg_write(cpu->uc, UC_X86_REG_RIP, &rip);
	return (0);
}

/* Write guest memory by linear address, as the CPU would for a push. */
int
emu_write_guest_linear(struct emu_cpu *cpu, uint64_t va, const void *buf,
    size_t len)
{
	const uint8_t *in = buf;
	size_t chunk;
	uint64_t hpa;
	void *p;

	while (len > 0) {
		chunk = 4096 - (va & 0xFFF);
		if (chunk > len)
			chunk = len;
		if (emu_translate_probe(cpu, va, EMU_ACC_WRITE, &hpa) != 0)
			return (-1);
		if ((p = hostmem_ptr(cpu->host->mem, hpa, chunk)) == NULL)
			return (-1);
		memcpy(p, in, chunk);
		uc_ctl_remove_cache(cpu->uc, va, va + chunk);
		in += chunk;
		va += chunk;
		len -= chunk;
	}
	return (0);
}

/* The guest's code size in the engine: 16, 32 or 64 bits. */
int
emu_code_size(struct emu_cpu *cpu)
{
	uint32_t hf;

	hf = get32(ctx_fetch(cpu), cpu->host->lay.hflags);
	if (hf & HF_CS64)
		return (64);
	return ((hf & HF_CS32) ? 32 : 16);
}

/*
 * Set the guest's CR2.  Unicorn 2.1.1's register API stores a CR2 write
 * into CR3 (and so loses the page-table base), so CR2 goes through the
 * saved context instead.
 */
void
emu_set_cr2(struct emu_cpu *cpu, uint64_t v)
{
	put64(ctx_fetch(cpu), cpu->host->lay.cr + 2 * 8, v);
	ctx_store(cpu);
}

/*
 * MOV to CR0 or CR4 that does not exit, done by the CPU (SDM Vol. 3A
 * §2.5, Vol. 3C §26.3): the bits owned by the host (the guest/host mask)
 * keep their current values, the #GP conditions are checked, EFER.LMA
 * follows CR0.PG when EFER.LME is set, and the TLB is flushed when paging
 * controls change.  Returns 0, or -1 when the write raises #GP(0).
 */
int
emu_mov_to_cr(struct emu_cpu *cpu, int cr, uint64_t v, uint64_t mask)
{
	const struct uc_layout *lay = &cpu->host->lay;
	uint8_t *b;
	uint64_t old, cr0, cr4, efer, rflags = 0, flushbits;
	uint32_t hf;

	rflags = emu_engine_rflags(cpu);
	b = ctx_last(cpu);
	cr0 = get64(b, lay->cr);
	cr4 = get64(b, lay->cr + 4 * 8);
	efer = get64(b, lay->efer);
	old = cr == 0 ? cr0 : cr4;
	v = (v & ~mask) | (old & mask);
	if ((v >> 32) != 0)
		return (-1);
	if (cr == 0) {
		if (((v & CR0_PG) && !(v & CR0_PE)) ||
		    ((v & CR0_NW) && !(v & CR0_CD)))
			return (-1);
		if ((v & CR0_PG) && !(cr0 & CR0_PG) && (efer & EFER_LME)) {
			if (!(cr4 & CR4_PAE))
				return (-1);
			efer |= EFER_LMA;
		}
		if (!(v & CR0_PG) && (cr0 & CR0_PG) && (efer & EFER_LMA))
			efer &= ~EFER_LMA;
		flushbits = CR0_PG | CR0_WP | CR0_PE;
		cr0 = v;
	} else {
		if ((efer & EFER_LMA) && !(v & CR4_PAE))
			return (-1);
		flushbits = CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP |
		    CR4_SMAP | CR4_PCIDE;
		cr4 = v;
	}
	put64(b, lay->cr, cr0);
	put64(b, lay->cr + 4 * 8, cr4);
	put64(b, lay->efer, efer);
	hf = get32(b, lay->hflags);
	put32(b, lay->hflags, compute_hflags(hf, cr0, cr4, efer, rflags, b, lay,
	    hf & HF_CPL_MASK, (hf & HF_INHIBIT_IRQ) ? 1 : 0));
	ctx_store(cpu);
	if ((old ^ v) & flushbits) {
		tlb_flush_vpid(cpu->tlb, emu_vpid_tag(cpu), false);
		uc_ctl_flush_tlb(cpu->uc);
	}
	return (0);
}

/*
 * Blocking by STI or MOV SS for the first instruction after VM entry, from
 * the interruptibility-state field: QEMU's inhibit flag.
 */
void
emu_set_inhibit(struct emu_cpu *cpu, bool on)
{
	uint8_t *b;
	uint32_t hf;

	b = ctx_fetch(cpu);
	hf = get32(b, cpu->host->lay.hflags);
	hf = on ? (hf | HF_INHIBIT_IRQ) : (hf & ~HF_INHIBIT_IRQ);
	put32(b, cpu->host->lay.hflags, hf);
	ctx_store(cpu);
}

/*
 * Blocking by NMI lives in QEMU's hflags2 (HF2_NMI_MASK, the word after
 * hflags), which the engine's IRET clears by itself (SDM Vol. 3A §6.7.1:
 * NMIs are blocked from delivering one until the next IRET).
 */
#define HF2_NMI_MASK	(1U << 2)

bool
emu_nmi_blocked(struct emu_cpu *cpu)
{
	return ((get32(ctx_fetch(cpu), cpu->host->lay.hflags + 4) &
	    HF2_NMI_MASK) != 0);
}

void
emu_set_nmi_blocked(struct emu_cpu *cpu, bool on)
{
	uint8_t *b;
	uint32_t hf2;

	b = ctx_fetch(cpu);
	hf2 = get32(b, cpu->host->lay.hflags + 4);
	hf2 = on ? (hf2 | HF2_NMI_MASK) : (hf2 & ~HF2_NMI_MASK);
	put32(b, cpu->host->lay.hflags + 4, hf2);
	ctx_store(cpu);
	if (on)
		cpu->nmi_maybe_blocked = true;
}

/*
 * Bring the VMCS the engine's guest belongs to up to date.  After a VM
 * exit only the fields every monitor reads are saved (RIP, RSP, RFLAGS,
 * interruptibility, activity, the exit information); the rest stays in
 * the engine, as a CPU keeps VMCS data on chip, until a VMREAD or VMWRITE
 * of guest state, a VMCLEAR, or an entry with another VMCS needs it.
 */
void
emu_sync_vmcs(struct emu_cpu *cpu)
{
	uint8_t *cur = cpu->vmcs;

	if (!cpu->vmcs_stale)
		return;
	cpu->vmcs_stale = false;
	if (cpu->engine_vmcs == VMCS_PA_NONE)
		return;
	cpu->vmcs = hostmem_ptr(cpu->host->mem, cpu->engine_vmcs,
	    VMCS_REGION_SIZE);
	if (cpu->vmcs != NULL)
		emu_state_save(cpu);
	cpu->vmcs = cur;
}

/* The base of the engine's current CS (a far jump may have changed it). */
uint64_t
emu_engine_cs_base(struct emu_cpu *cpu)
{
	return (get64(ctx_fetch(cpu),
	    cpu->host->lay.segs + SEG_CS * SC_SIZE + SC_BASE));
}

/* The engine's blocking by STI/MOV SS, as the interruptibility state. */
uint32_t
emu_read_inhibit(struct emu_cpu *cpu)
{
	return ((get32(ctx_fetch(cpu), cpu->host->lay.hflags) &
	    HF_INHIBIT_IRQ) ? 1 : 0);
}

/*
 * An MSR the engine keeps (EFER and the syscall MSRs), read in place.
 * False when the engine's state is not reachable in place or the MSR is
 * not one of those.
 */
bool
emu_live_msr(struct emu_cpu *cpu, uint32_t msr, uint64_t *v)
{
	const struct uc_layout *lay = &cpu->host->lay;
	size_t off;

	if (cpu->envb == NULL)
		return (false);
	switch (msr) {
	case MSR_EFER:		off = lay->efer; break;
	case MSR_STAR:		off = lay->msr[0]; break;
	case MSR_LSTAR:		off = lay->msr[1]; break;
	case MSR_CSTAR:		off = lay->msr[2]; break;
	case MSR_SFMASK:	off = lay->msr[3]; break;
	case MSR_KERNELGSBASE:	off = lay->msr[4]; break;
	case MSR_SYSENTER_CS:
		if (lay->msr[5] == (size_t)-1)
			return (false);
		*v = get32(cpu->envb, lay->msr[5]);
		return (true);
	case MSR_SYSENTER_ESP:	off = lay->msr[6]; break;
	case MSR_SYSENTER_EIP:	off = lay->msr[7]; break;
	case MSR_MISC_ENABLE_IA32: off = lay->msr[8]; break;
	default:		return (false);
	}
	if (off == (size_t)-1)
		return (false);
	*v = get64(cpu->envb, off);
	return (true);
}

/*
 * What a page walk needs from the engine, read in place: CR0, CR3, CR4,
 * EFER, the raw EFLAGS (exact system flags) and the CS selector.  Returns
 * false when the engine's state is not reachable in place.
 */
bool
emu_live_walk_state(struct emu_cpu *cpu, uint64_t *cr0, uint64_t *cr3,
    uint64_t *cr4, uint64_t *efer, uint64_t *eflags, uint16_t *cs)
{
	const struct uc_layout *lay = &cpu->host->lay;
	const uint8_t *b = cpu->envb;

	if (b == NULL)
		return (false);
	*cr0 = get64(b, lay->cr + 0 * 8);
	*cr3 = get64(b, lay->cr + 3 * 8);
	*cr4 = get64(b, lay->cr + 4 * 8);
	*efer = get64(b, lay->efer);
	*eflags = get64(b, lay->eflags);
	*cs = (uint16_t)get32(b, lay->segs + SEG_CS * SC_SIZE + SC_SEL);
	return (true);
}

/*
 * What decoded blocks depend on besides memory: paging (CR0, CR3, CR4,
 * EFER) and the code segment (base, attributes), read in place.  False
 * when the engine's state is not reachable in place.
 */
bool
emu_decode_key(struct emu_cpu *cpu, uint64_t key[7])
{
	const struct uc_layout *lay = &cpu->host->lay;
	const uint8_t *b = cpu->envb;
	size_t cs = lay->segs + SEG_CS * SC_SIZE;

	if (b == NULL)
		return (false);
	key[0] = get64(b, lay->cr + 0 * 8);
	key[1] = get64(b, lay->cr + 3 * 8);
	key[2] = get64(b, lay->cr + 4 * 8);
	key[3] = get64(b, lay->efer);
	key[4] = get64(b, cs + SC_BASE);
	key[5] = get32(b, cs + SC_FLAGS);
	key[6] = get32(b, cs + SC_LIMIT);
	return (true);
}
