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
 * Inside the simulated CPU: what the instruction-level interface of emu.h
 * hides.  Only src/emu includes this.
 */

#ifndef VMMSIM_EMU_IMPL_H
#define VMMSIM_EMU_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <unicorn/unicorn.h>

#include "emu.h"
#include "hostmem.h"
#include "vmcs_fields.h"
#include "vmx_caps.h"
#include "vmentry.h"
#include "svm_vmcb.h"

#define VMCS_PA_NONE		0xFFFFFFFFFFFFFFFFULL
/* Launch state, kept in the last dword of the VMCS region. */
#define VMCS_LAUNCH_OFFSET	(VMCS_REGION_SIZE - 4)
#define VMCS_STATE_CLEAR	0
#define VMCS_STATE_LAUNCHED	1

/* Segment registers in VMCS and QEMU order. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
	SEG_NUM };

/* Segment state as VMX sees it (access rights in VMCS format). */
struct emu_seg {
	uint16_t	sel;
	uint64_t	base;
	uint32_t	limit;
	uint32_t	ar;
};

/*
 * Where Unicorn 2.1's CPU state lies inside a saved uc_context: found by
 * probing when the first CPU is created (cpu_state.c), never assumed.
 */
#define LAY_NMSR		9
#define MSR_MISC_ENABLE_IA32	0x1a0

struct uc_layout {
	size_t	eflags;		/* QEMU's eflags, without the lazy flags */
	size_t	hflags;
	size_t	hflags2;
	size_t	segs;		/* ES..GS, then LDT, TR, GDT, IDT */
	size_t	cr;		/* cr[0..4] */
	size_t	efer;
	size_t	dr;		/* dr[8]; error_code and is_int precede it */
	size_t	error_code;
	size_t	is_int;
	size_t	old_exception;	/* QEMU's "exception in flight" */
	size_t	regs;		/* regs[16], then eip */
	size_t	msr[LAY_NMSR]; /* STAR, LSTAR, CSTAR, SFMASK, KERNELGSBASE,
				   SYSENTER_CS (32 bits), _ESP, _EIP,
				   MISC_ENABLE, or (size_t)-1 when not found */
	size_t	size;
};

/* The MSRs the CPU keeps for itself (host values, shared with guests). */
struct emu_msrs {
	uint64_t	feature_control;
	uint64_t	efer;
	uint64_t	star, lstar, cstar, sfmask, kgsbase;
	uint64_t	fsbase, gsbase;
	uint64_t	sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t	pat;
	uint64_t	misc_enable;
	uint64_t	tsc_aux;
	uint64_t	debugctl;
};

struct emu_insn;
struct emu_tlb;
struct tlb_removed;

/* struct emu_xlat and struct emu_stale_report are in emu.h. */

/* A decoded block's place on the chain of one page its bytes are on. */
struct emu_block_pl {
	struct emu_block	*b;
	struct emu_block_pl	*next, **pprev;
	uint64_t		 page;		/* HPA of the page; ~0: unlinked */
};

/*
 * One decoded basic block: where its exit-causing instructions are.  What
 * the lookup at a block start needs is in the first bytes, which start a
 * cache line (EMU_BLOCK_ALIGN); the page links come last.
 */
struct emu_block {
	struct emu_block *next;		/* hash chain */
	uint64_t	 va;		/* linear address of its first byte */
	uint32_t	 size;
	uint8_t		 mode;		/* 16, 32 or 64 */
	uint8_t		 nsel;		/* instructions that need a hook */
	uint16_t	 ninsn;
	bool		 shadow;	/* ends with STI, MOV SS or POP SS */
	uint32_t	 gen;		/* decode_gen it was last checked in */
	uint8_t		*bytes;		/* [size] as decoded, on volatile pages */
	uint64_t	 hpa;		/* where its first byte was */
	uint16_t	*ends;		/* [ninsn] end offset of each insn */
	uint64_t	 hpa_end;	/* page of its last byte (or ~0) */
	struct emu_block_pl pl[2];	/* on the chains of hpa, hpa_end */
};
#define EMU_PAGE_CHAINS	1024		/* blocks by code page */
#define EMU_BLOCK_ALIGN	64
#define EMU_BCACHE	4096

#define EMU_BLOCK_HASH	4096
#define EMU_WP_SLOTS	8192
#define EMU_GRAVE_MAX	65536	/* dead hook records before a TB flush */
#define EMU_SMC_MAX	8
#define EMU_SMC_RECENT	16
#define EMU_SMC_VOLATILE 32	/* writes before a page turns volatile */
#define EMU_HEAVY_MAX	256	/* pages the engine runs without X */
#define EMU_HEAVY_ALIAS	0xE00000000000ULL /* where they are mapped so */
#define EMU_VOLATILE_MAX 64

/* What the last guest execution wants the VM-exit code to report. */
struct emu_exit {
	bool		 pending;
	uint32_t	 reason;
	uint64_t	 qual;
	uint32_t	 insn_len;
	uint32_t	 insn_info;
	uint64_t	 gla;
	uint64_t	 gpa;
	bool		 gla_valid;
	uint32_t	 intr_info;
	uint32_t	 intr_err;
	uint32_t	 idt_info;	/* IDT-vectoring information */
	uint32_t	 idt_err;
	uint64_t	 io_rcx, io_rsi, io_rdi, io_rip;
	/* An SVM guest's exit recorded in SVM terms (svm.c maps the rest). */
	bool		 svm_direct;
	uint64_t	 svm_code, svm_info1;
};

struct emu_host {
	struct hostmem		*mem;		/* [I] */
	const struct vmx_caps	*caps;		/* [I] */
	struct uc_layout	 lay;		/* [I] once probed */
	pthread_mutex_t		 lock;
	int			 lay_ok;	/* [lock] */
	enum emu_vendor		 vendor;	/* [I] */
};

struct svm_check_failure;

/* One VMRUN consistency check (svm_checks.c). */
struct svm_check_rule {
	const char *name;	/* e.g. "cr0_cd_nw" */
	const char *apm;	/* APM Vol. 2 section, e.g. "15.5.1" */
	const char *what;	/* one line */
	/* 0 pass, -1 fail (fills detail) */
	int (*check)(const uint8_t *vmcb, struct svm_check_failure *);
};

struct svm_check_failure {
	const struct svm_check_rule *rule;
	char		 detail[160];
};

extern const struct svm_check_rule svm_check_rules[];
extern const size_t svm_check_nrules;
int	 svm_check_vmrun(const uint8_t *vmcb, struct svm_check_failure *);

/*
 * A CPU's SVM state (svm.c).  The engine runs an SVM guest through the
 * same machinery as a VMX one: VMRUN writes the guest state and the
 * controls the intercepts imply into a private VMCS-format page (the
 * "shadow", never visible to software), and the #VMEXIT maps what the
 * engine recorded back into the VMCB in the APM's terms.
 */
struct svm_cpu {
	uint64_t	 vm_cr, hsave_pa;
	bool		 gif;
	uint64_t	 shadow_pa;	/* shadow VMCS page, MSR list after */
	uint64_t	 held_pa;	/* VMCB whose guest the engine holds */
	bool		 held_valid;
	bool		 vmload_dirty;	/* VMLOAD changed the loaded state */
	uint8_t		 eff[VMCB_SIZE];  /* this VMRUN's effective VMCB */
	uint8_t		 cache[VMCB_SIZE]; /* as written at the last #VMEXIT */
	uint64_t	 cache_pa;
	bool		 cache_valid;
	uint8_t		 loaded[VMCB_SIZE]; /* VMLOAD/VMSAVE state, VMCB layout */
	/* The effective controls of the running guest. */
	uint32_t	 icr, idr, iexc, imisc1, imisc2;
	uint64_t	 iopm, msrpm, ncr3;
	bool		 np;
	struct svm_check_failure failure;
	bool		 failed;
	uint8_t		 ctl_key[0x140];  /* what the shadow's controls came from */
	bool		 ctl_key_valid;
	/*
	 * SS as VMRUN found it in the VMCB, and the access rights the engine
	 * got for it: the engine takes CPL from SS.DPL, so VMRUN puts
	 * VMCB.CPL there, and #VMEXIT gives the guest's own attribute back
	 * if SS was not reloaded meanwhile.
	 */
	uint16_t	 ss_attrib, ss_sel;
	uint32_t	 ss_ar;
};

bool	 svm_msr_intercepted(struct emu_cpu *, uint32_t msr, int write);
bool	 svm_io_intercepted(struct emu_cpu *, unsigned port, unsigned size);
int	 svm_rdmsr(struct emu_cpu *, uint32_t msr, uint64_t *);
int	 svm_wrmsr(struct emu_cpu *, uint32_t msr, uint64_t);
void	 svm_cpu_fini(struct emu_cpu *);
int	 npt_translate(struct emu_cpu *, uint64_t gpa, int access,
	    uint64_t *hpa, uint64_t gla, bool gla_valid, bool paging_struct);

struct emu_cpu {
	struct emu_host		*host;		/* [I] */
	uc_engine		*uc;		/* [I] */
	uc_context		*ctx;		/* [I] scratch for state moves */
	uc_context		*fresh;		/* [I] the engine as opened */
	uint64_t		 engine_code;	/* guest code bytes it decoded */
	unsigned		 engine_uses;	/* CPUs it served before this */
	uint8_t			*envb;		/* [I] live state, or NULL */

	/* Host state */
	uint64_t		 cr0, cr3, cr4;
	struct emu_msrs		 msr;

	/* VMX operation */
	bool			 vmx_root;
	uint64_t		 vmxon_pa;
	uint64_t		 vmcs_pa;	/* current VMCS or VMCS_PA_NONE */
	uint8_t			*vmcs;		/* its bytes, or NULL */
	struct vmentry_failure	 entry_failure;
	bool			 entry_failed;

	/* Guest execution */
	bool			 in_guest;	/* engine holds a guest */
	uint64_t		 engine_vmcs;	/* whose guest it holds */
	bool			 guest_dirty;	/* VMCS guest state changed */
	struct emu_seg		 loaded_seg[SEG_NUM];
	uint32_t		 loaded_flags[SEG_NUM];
	uint64_t		 vtime;		/* retired instructions */
	uint64_t		 vtime_block;	/* vtime at current block start */
	struct emu_block	*cur_block;
	struct emu_exit		 exit;
	uint32_t		 ctl_pin, ctl_proc, ctl_proc2, ctl_exit, ctl_entry;
	uint64_t		 eptp;
	uint16_t		 vpid;
	uint64_t		 cr0_mask, cr4_mask, cr0_shadow, cr4_shadow;
	uint64_t		 tsc_offset;
	/*
	 * The debug registers (DR0-DR3, DR6, DR7 by number; 4 and 5 unused).
	 * The engine never holds them: QEMU arms its own breakpoints from
	 * DR7, which Unicorn cannot run.  In from emu_gprs and DR7 from the
	 * VMCS at entry, out the same way at exit (handle_movdr).
	 */
	uint64_t		 dr[8];
	uint64_t		 deadline;	/* vtime of the next timed exit */
	/*
	 * The deadline the per-block hook's fast path compares with: the
	 * deadline while nothing else needs looking at, 0 (every block takes
	 * the slow path) while a shadow, a pending flush or SMC check, a
	 * window exit, a kick or an NMI does.  Never above deadline; written
	 * from other threads by emu_cpu_kick and emu_cpu_nmi.
	 */
	_Atomic uint64_t	 fast_deadline;
	uint64_t		 preempt_deadline;
	uint64_t		 tick_interval;	/* host timer, 0: none */
	uint64_t		 next_tick;
	uint64_t		 entry_vtime;	/* vtime at the last VM entry */
	uint32_t		 preempt_val;	/* preemption timer at entry */
	uc_hook			 deadline_hook;	/* code hook at the deadline */
	bool			 deadline_hooked;
	bool			 shadow_next;	/* next block is in a shadow */
	uint32_t		 engine_intr;	/* inhibit state the engine has */
	bool			 in_shadow_block; /* current block is shadowed */
	bool			 vmcs_stale;	/* engine_vmcs lags the engine */
	bool			 checks_valid;	/* checked_vmcs passed entry */
	unsigned		 volatile_dirty; /* VMENTRY_DIRTY_* since */
	struct vmentry_memo	 resume_memo;	/* of checked_vmcs */
	uint64_t		 vmcs_gen;	/* bumped by emu_state_save */
	bool			 ctl_cache_valid; /* cache_controls() current */
	uint64_t		 checked_vmcs;
	uint64_t		 engine_cr2;	/* CR2 the engine holds */
	uint64_t		 engine_gpr[EMU_NGPRS];
	uint64_t		 engine_rflags;	/* RFLAGS the engine holds, */
	bool			 engine_sp_valid; /* and engine_gpr[RSP] */
	int			 stop_why;	/* why the engine stopped */
	bool			 block_stopped;	/* by a block hook, at: */
	uint64_t		 block_stop_va;
	uint64_t		 deadline_at;	/* where deadline_hook is */
	uint64_t		 undecodable_va; /* + 1: last block not decoded */
	/*
	 * Heavy blocks (exec.c): the gate (emu_code_gate) knows whether a
	 * fill comes from a translation (in_run, hook_depth), what it let
	 * through unweighed outside one (ctl_granted), and a code page it
	 * turned away for the run loop to see to (gate_*); the pages run
	 * through a non-executable alias (heavy_*).  On those, on_fetch
	 * weighs each block once (fetch_epoch: vtime when it did) and drops
	 * a heavy one (fetch_stopped, heavy_lin, heavy_cut: where to cut, or
	 * BLOCK_POISON for an instruction the translator cannot take at its
	 * start, #UD); the cut in place (exits), where and when it was
	 * placed, to see progress.
	 */
	uint64_t		 fetch_epoch;
	bool			 fetch_stopped;
	bool			 in_run;	/* inside uc_emu_start */
	unsigned		 hook_depth;	/* in a hook that calls in */
	bool			 ctl_granted;	/* X given outside a translation */
	bool			 gate_stopped;	/* a code page refused, for now */
	uint64_t		 gate_rip;	/* at the block it was for */
	uint64_t		 gate_heavy;	/* + 1: to be made heavy */
	uint64_t		 heavy_pages[EMU_HEAVY_MAX];
	uint64_t		 heavy_alias[EMU_HEAVY_MAX];
	unsigned		 nheavy;
	uint64_t		 heavy_lin;
	uint32_t		 heavy_cut;
	bool			 cut_armed;
	uint64_t		 cut_lin;
	uint32_t		 cut_off;
	uint64_t		 cut_vtime;

	/* Decode cache */
	/*
	 * Decoded blocks by (address, size), chained; the table doubles
	 * whenever it holds more blocks than buckets (a booted kernel
	 * decodes a hundred thousand), so chains stay short.
	 */
	struct emu_block	**blocks;
	unsigned		 block_bits;	/* 1 << block_bits buckets */
	size_t			 nblocks;
	/* The same blocks by the pages they were decoded from (SMC). */
	struct emu_block_pl	*page_chains[EMU_PAGE_CHAINS];
	/*
	 * The last block seen at each of 4096 address slots, with what the
	 * block hook needs of it: a small table that stays in cache, in
	 * front of the big one, so that a block run again costs one look.
	 */
	struct emu_bslot {
		uint64_t	 va;
		uint32_t	 size;
		uint32_t	 gen;		/* the block's gen when cached */
		uint16_t	 ninsn;
		bool		 shadow;
		bool		 check;		/* has bytes: always look */
		struct emu_block *b;
	}			 bcache[EMU_BCACHE];
	struct emu_insn		*insns;		/* hooked instructions */
	struct emu_insn		*insn_grave;	/* unhooked, not yet freed */
	unsigned		 ngrave;
	bool			 tb_flush_needed;
	struct emu_insn		*insn_hash[EMU_BLOCK_HASH];
	bool			 flush_pending;	/* redecode at next block */
	bool			 fill_identity;	/* emu_tlb_fill: va is the HPA */
	uint32_t		 decode_gen;	/* bumped when VA->HPA changed */
	struct {
		uint64_t	 va, hpa;	/* pages blocks were decoded from */
	}			 code_pages[EMU_BLOCK_HASH];
	/*
	 * Host-physical pages holding decoded code, write-protected in the
	 * engine's TLB: a store to one flushes the decode cache.  Open
	 * addressing on page number + 1 (0 is empty).
	 */
	uint64_t		 wp_pages[EMU_WP_SLOTS];
	/* The page's code was weighed light (emu_code_gate). */
	bool			 wp_light[EMU_WP_SLOTS];
	unsigned		 wp_count;
	uint64_t		 smc_pages[EMU_SMC_MAX];	/* written */
	unsigned		 smc_count;
	/*
	 * Pages written again and again while their code runs (code and
	 * data sharing a page): no longer write-protected; their blocks and
	 * hooks compare their bytes each time instead.
	 */
	struct {
		uint64_t	 page;
		unsigned	 writes;
	}			 smc_recent[EMU_SMC_RECENT];
	unsigned		 smc_recent_next;
	uint64_t		 volatile_pages[EMU_VOLATILE_MAX];
	unsigned		 nvolatile;

	/* An exception or interrupt raised while the guest ran */
	int			 guest_event;	/* vector */
	bool			 event_has_err;
	uint32_t		 event_err;
	uint64_t		 event_cr2;
	bool			 event_pf;	/* found by the page walk */
	bool			 event_own;	/* raised by vmmsim, not QEMU */
	bool			 event_gd;	/* #DB of MOV DR with DR7.GD */

	/* An instruction the engine stopped for, done between runs */
	struct emu_insn		*op_insn;
	int			 op_cr;
	uint64_t		 op_val;
	uint64_t		 rng;		/* RDRAND without exiting */
	uint64_t		 syscall_rip;	/* EMU_STOP_SYSCALL's insn */
	uint64_t		 stop_at;	/* host interrupt at this vtime */
	bool			 host_exits;	/* host interrupts always exit */
	bool			 halted;
	pthread_mutex_t		 halt_lock;
	pthread_cond_t		 halt_cv;

	/* RAM regions mapped into the engine */
	unsigned		 map_gen;
	struct {
		uint64_t	 hpa, len;
		void		*host;
	}			 mapped[HOSTMEM_MAX_REGIONS];
	size_t			 nmapped;

	bool			 walk_probe;	/* translate without effects */
	uint64_t		 fault_page;	/* the last refused fill */
	int			 fault_access;

	/* TLB */
	struct emu_tlb		*tlb;
	uint16_t		 tlb_vpid;	/* context of the engine's TLB */
	uint64_t		 tlb_eptp;
	bool			 tlb_ctx_valid;
	emu_stale_fn		*stale_fn;	/* checked mode when set */
	void			*stale_arg;
	uint64_t		 stale_count;
	atomic_int		 kicked;
	atomic_int		 nmi_pending;	/* emu_cpu_nmi(), not yet taken */
	bool			 nmi_maybe_blocked; /* the engine may block NMIs */

	/* AMD-V */
	struct svm_cpu		*svm;		/* NULL until first needed */
	bool			 svm_guest;	/* the engine's guest is SVM's */
};

/* vmcs.c-style access to the current VMCS (no checks: callers validate). */
/* The current VMCS's fields, for the CPU's own use (vmcs_slot_read). */
static inline uint64_t
vmcs_get(struct emu_cpu *cpu, uint32_t enc)
{
	return (vmcs_slot_read(cpu->vmcs, enc));
}

static inline void
vmcs_set(struct emu_cpu *cpu, uint32_t enc, uint64_t v)
{
	vmcs_slot_write(cpu->vmcs, enc, v);
}

/* cpu_state.c */
int	 uc_layout_probe(uc_engine *, struct uc_layout *);
uint8_t	*uc_live_state(uc_engine *, const struct uc_layout *);
bool	 live_state_allowed(void);
bool	 emu_live_msr(struct emu_cpu *, uint32_t, uint64_t *);
bool	 emu_live_walk_state(struct emu_cpu *, uint64_t *, uint64_t *,
	    uint64_t *, uint64_t *, uint64_t *, uint16_t *);
bool	 emu_decode_key(struct emu_cpu *, uint64_t [7]);
uint64_t emu_engine_eflags(struct emu_cpu *);
uint64_t emu_engine_rflags(struct emu_cpu *);
uint64_t emu_rflags_compose(struct emu_cpu *, uint64_t computed);
int	 emu_engine_syscall(struct emu_cpu *);
void	 emu_state_load(struct emu_cpu *);
void	 emu_state_save(struct emu_cpu *);

/* exec.c */
int	 emu_engine_init(struct emu_cpu *);
void	 emu_engine_fini(struct emu_cpu *);
struct emu_cpu *emu_engine_take(void);
bool	 emu_engine_park(struct emu_cpu *);
enum vmx_result emu_run_guest(struct emu_cpu *, struct emu_gprs *);
void	 emu_flush_decode(struct emu_cpu *);
void	 emu_code_page_filled(struct emu_cpu *, uint64_t va, uint64_t hpa);
bool	 emu_wp_has(const struct emu_cpu *, uint64_t hpa);
bool	 emu_wp_add(struct emu_cpu *, uint64_t hpa);
bool	 emu_code_gate(struct emu_cpu *, uint64_t hpa);
bool	 emu_code_ok(const struct emu_cpu *, uint64_t hpa);
void	 emu_code_forget(struct emu_cpu *, uint64_t hpa, uint64_t len);
uint64_t emu_code_paddr(const struct emu_cpu *, uint64_t hpa);
uint32_t emu_weigh_block(const uint8_t *, uint32_t, int mode, uint32_t *cut);
uint32_t emu_weigh_bytes(const uint8_t *, uint32_t);
#define EMU_LEAK_MAX	400	/* the weight of a block the engine can take */
int	 emu_ensure_mapped(struct emu_cpu *, uint64_t hpa);
void	 emu_unmap_hpa(struct emu_cpu *, uint64_t hpa, uint64_t len);
void	 emu_wp_clear(struct emu_cpu *);
void	 emu_wp_written(struct emu_cpu *, uint64_t hpa);

/* translate.c */
bool	 emu_tlb_fill(uc_engine *, uint64_t va, uc_mem_type type,
	    uc_tlb_entry *result, void *arg);
int	 ept_translate(struct emu_cpu *, uint64_t gpa, int access,
	    uint64_t *hpa, uint64_t gla, bool gla_valid, bool paging_struct);
int	 emu_read_guest_linear(struct emu_cpu *, uint64_t va, void *buf,
	    size_t len);
int	 emu_read_guest_code(struct emu_cpu *, uint64_t va, void *buf,
	    size_t len);
void	 emu_map_hpa(struct emu_cpu *, uint64_t hpa);
int	 emu_translate_probe(struct emu_cpu *, uint64_t va, int access,
	    uint64_t *hpa);
int	 emu_translate_access(struct emu_cpu *, uint64_t va, int access,
	    uint64_t *hpa);
bool	 emu_removed_still_valid(struct emu_cpu *, const struct tlb_removed *);
unsigned emu_guest_cpl(struct emu_cpu *);
unsigned emu_engine_cpl_eflags(struct emu_cpu *, uint64_t *eflags);
int	 emu_code_size(struct emu_cpu *);
void	 emu_set_cr2(struct emu_cpu *, uint64_t);
int	 emu_mov_to_cr(struct emu_cpu *, int cr, uint64_t v, uint64_t mask);
void	 emu_set_inhibit(struct emu_cpu *, bool);
bool	 emu_nmi_blocked(struct emu_cpu *);
void	 emu_set_nmi_blocked(struct emu_cpu *, bool);
void	 emu_sync_vmcs(struct emu_cpu *);
uint32_t emu_read_inhibit(struct emu_cpu *);
uint64_t emu_engine_cs_base(struct emu_cpu *);
void	 emu_seg_sync(struct emu_cpu *);

#define EMU_ACC_READ	1
#define EMU_ACC_WRITE	2
#define EMU_ACC_FETCH	4

/* Why uc_emu_start returned (stop_why). */
#define EMU_STOP_NONE		0
#define EMU_STOP_EXIT		1	/* exit recorded in cpu->exit */
#define EMU_STOP_REDECODE	2	/* hooks changed: restart at RIP */
#define EMU_STOP_KICK		3
#define EMU_STOP_EVENT		4	/* guest_event holds an exception */
#define EMU_STOP_OP		5	/* op_insn to be done by the CPU */
#define EMU_STOP_SYSCALL	6	/* SYSCALL stepped over, not done */
#define EMU_STOP_NMI		7	/* a host NMI can be taken */

/* tlb.c */
#define TLB_REMOVED_MAX	64
/* Entries of one context removed by a flush (tlb_collect). */
struct tlb_removed {
	uint16_t	 vpid;		/* the context to collect */
	uint64_t	 eptp;
	size_t		 n;
	bool		 overflow;
	uint64_t	 va[TLB_REMOVED_MAX];
	bool		 gp_only[TLB_REMOVED_MAX];
	struct emu_xlat	 x[TLB_REMOVED_MAX];
};
void	 tlb_collect(struct emu_tlb *, struct tlb_removed *);
struct emu_tlb	*tlb_create(void);
void	 tlb_destroy(struct emu_tlb *);
const struct emu_xlat *tlb_lookup(struct emu_tlb *, uint16_t vpid,
	    uint64_t eptp, bool gp_only, uint64_t va);
void	 tlb_insert(struct emu_tlb *, uint16_t vpid, uint64_t eptp,
	    bool gp_only, uint64_t va, const struct emu_xlat *);
void	 tlb_flush_vpid(struct emu_tlb *, uint16_t vpid, bool keep_global);
void	 tlb_flush_va(struct emu_tlb *, uint16_t vpid, uint64_t va);
void	 tlb_flush_all_vpids(struct emu_tlb *);
void	 tlb_flush_eptp(struct emu_tlb *, uint64_t eptp);
void	 tlb_flush_all(struct emu_tlb *);
size_t	 tlb_count(struct emu_tlb *);


/* The VPID and EPTP tags of the current guest context. */
uint16_t emu_vpid_tag(struct emu_cpu *);
uint64_t emu_eptp_tag(struct emu_cpu *);

/* event.c */
int	 emu_inject_event(struct emu_cpu *, uint32_t info, uint32_t err,
	    uint32_t len);
int	 emu_deliver_event(struct emu_cpu *, int vector, uint32_t type,
	    bool has_err, uint32_t err);
void	 emu_triple_fault(struct emu_cpu *);
bool	 emu_has_error_code(int vector);
bool	 emu_exception_exit(struct emu_cpu *, int vector, uint32_t type,
	    bool has_err, uint32_t err);

/* cpu_state.c, for event delivery */
void	 emu_set_code_stack(struct emu_cpu *, const struct emu_seg *cs,
	    const struct emu_seg *ss, unsigned cpl);
void	 emu_take_engine_event(struct emu_cpu *, uint32_t *err, bool *is_int);
int	 emu_write_guest_linear(struct emu_cpu *, uint64_t va,
	    const void *buf, size_t len);

/* vmx.c */
void	 emu_entry_msr_view(struct emu_cpu *, struct vmentry_view *);

#endif /* VMMSIM_EMU_IMPL_H */
