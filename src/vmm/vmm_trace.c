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
 * Exit traces in the monitor (vmmsim_trace_start(), vmmsim_trace.h).
 *
 * A trace belongs to a handle (its struct proc).  vm_run hands it to the
 * vcpu for the length of the call; the run loops then, at each exit,
 * capture the exit before the handler runs (vmm_trace_exit_vmx/_svm)
 * and record it with the handler's result (vmm_trace_exit_done).  When no
 * handle traces, the cost is the one test of vc_trace in the run loop.
 *
 * The capture reads what the monitor could read on hardware: VMREAD, the
 * VMCB, the guest's registers, guest memory through the VM's own
 * mappings (the instruction bytes, found by walking the guest's page
 * tables as vmm_translate_gva does), and host memory for the nested
 * page tables of a snapshot.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"
#include "vmm_machdep.h"
#include "vmm_svm.h"
#include "vmm_trace.h"
#include "vmm_vmx.h"
#include "vmmsim.h"
#include "vmmsim_trace.h"
#include "emu/emu.h"
#include "emu/hostmem.h"
#include "emu/svm_vmcb.h"
#include "emu/vmcs_fields.h"
#include "emu/vmx_caps.h"

#define TRACE_BUFSIZE		(256 * 1024)
#define TRACE_MAX_SNAPS		4096	/* vmmsim_trace_snap_at points */
#define TRACE_MAX_PAGES		8192	/* nested table pages per snapshot */
#define TRACE_PAGE		4096ULL
#define TRACE_ADDR_MASK		0x000FFFFFFFFFF000ULL
#define PTE_P			0x1ULL
#define PTE_PS			0x80ULL
#define AR_L			(1U << 13)	/* CS.L, VMX access-rights form */
#define AR_DB			(1U << 14)
#define PSL_VM			0x00020000ULL

struct vmm_trace {
	pthread_mutex_t	 lock;
	FILE		*fp;		/* [lock] */
	int		 vendor;	/* [I] VMMSIM_TRACE_VENDOR_* */
	int		 flags;		/* [I] VMMSIM_TRACE_* */
	int		 error;		/* [lock] first write error */
	uint64_t	 seq;		/* [lock] next exit number */
	uint64_t	*snaps;		/* [lock] sorted snapshot points */
	size_t		 nsnaps;
	unsigned	 refs;		/* [glock] running vcpus using it */
	int		 stopped;	/* [glock] its handle let it go */
};

/* Guards proc.p_trace and the reference counts of every trace. */
static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Close the file; the first error seen while writing wins. */
static int
trace_free(struct vmm_trace *t)
{
	int error = t->error;

	if (t->fp != NULL && fclose(t->fp) != 0 && error == 0)
		error = EIO;
	pthread_mutex_destroy(&t->lock);
	free(t->snaps);
	free(t);
	return (error);
}

/* vmmsim_trace_start(): a new file with its header. */
int
vmm_trace_start(struct proc *p, int mode, const char *path, int flags)
{
	struct vmm_trace *t;
	uint8_t hdr[VMMSIM_TRACE_HDR_SIZE];
	int error;

	if (path == NULL || *path == '\0' || (flags & ~(VMMSIM_TRACE_SNAP_ALL |
	    VMMSIM_TRACE_CHECK_TLB)))
		return (EINVAL);
	pthread_mutex_lock(&glock);
	if (p->p_trace != NULL) {
		pthread_mutex_unlock(&glock);
		return (EBUSY);
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		pthread_mutex_unlock(&glock);
		return (ENOMEM);
	}
	if ((t->fp = fopen(path, "wbe")) == NULL) {
		error = errno;
		free(t);
		pthread_mutex_unlock(&glock);
		return (error);
	}
	/* Exits come by the million: write in large blocks. */
	(void)setvbuf(t->fp, NULL, _IOFBF, TRACE_BUFSIZE);
	pthread_mutex_init(&t->lock, NULL);
	t->vendor = mode == VMM_MODE_RVI ? VMMSIM_TRACE_VENDOR_AMD :
	    VMMSIM_TRACE_VENDOR_INTEL;
	t->flags = flags;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, VMMSIM_TRACE_MAGIC, VMMSIM_TRACE_MAGIC_LEN);
	put32(hdr + 8, VMMSIM_TRACE_VERSION);
	put32(hdr + 12, VMMSIM_TRACE_HDR_SIZE);
	put32(hdr + 16, (uint32_t)t->vendor);
	if (fwrite(hdr, sizeof(hdr), 1, t->fp) != 1) {
		(void)trace_free(t);
		pthread_mutex_unlock(&glock);
		return (EIO);
	}
	__atomic_store_n(&p->p_trace, t, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&glock);
	return (0);
}

/* vmmsim_trace_snap_at(): one more exit to snapshot. */
int
vmm_trace_snap_at(struct proc *p, uint64_t seq)
{
	struct vmm_trace *t;
	size_t i;
	int error = 0;

	pthread_mutex_lock(&glock);
	if ((t = p->p_trace) == NULL) {
		pthread_mutex_unlock(&glock);
		return (ENOENT);
	}
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nsnaps && t->snaps[i] < seq; i++)
		;
	if (i < t->nsnaps && t->snaps[i] == seq)
		goto out;		/* already there */
	if (t->nsnaps == TRACE_MAX_SNAPS) {
		error = ENOSPC;
		goto out;
	}
	if (t->snaps == NULL &&
	    (t->snaps = calloc(TRACE_MAX_SNAPS, sizeof(*t->snaps))) == NULL) {
		error = ENOMEM;
		goto out;
	}
	memmove(t->snaps + i + 1, t->snaps + i,
	    (t->nsnaps - i) * sizeof(*t->snaps));
	t->snaps[i] = seq;
	t->nsnaps++;
out:
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&glock);
	return (error);
}

/*
 * vmmsim_trace_stop(), and vmmsim_close(): the handle lets the trace go.
 * A vcpu still running with it keeps it until its RUN returns; the file
 * is closed then, and a write error is not reported to anyone.
 */
int
vmm_trace_stop(struct proc *p)
{
	struct vmm_trace *t;
	int error = 0;

	pthread_mutex_lock(&glock);
	if ((t = p->p_trace) == NULL) {
		pthread_mutex_unlock(&glock);
		return (ENOENT);
	}
	__atomic_store_n(&p->p_trace, NULL, __ATOMIC_RELEASE);
	t->stopped = 1;
	if (t->refs == 0)
		error = trace_free(t);
	pthread_mutex_unlock(&glock);
	return (error);
}

/* vm_run: the trace of the calling handle, held for the call, or NULL. */
struct vmm_trace *
vmm_trace_hold(struct proc *p)
{
	struct vmm_trace *t;

	if (p == NULL || __atomic_load_n(&p->p_trace, __ATOMIC_ACQUIRE) ==
	    NULL)
		return (NULL);
	pthread_mutex_lock(&glock);
	if ((t = p->p_trace) != NULL)
		t->refs++;
	pthread_mutex_unlock(&glock);
	return (t);
}

void
vmm_trace_rele(struct vmm_trace *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&glock);
	if (--t->refs == 0 && t->stopped)
		(void)trace_free(t);
	pthread_mutex_unlock(&glock);
}

/* --- guest memory, as the monitor maps it ---------------------------------- */

/*
 * Guest memory as the traced guest sees it: the VM's own (L1, or the
 * guest of an ordinary VM), or a nested guest's (L2) through L1's EPT or
 * NPT, whose tables and leaves hold the VM's guest-physical addresses.
 */
struct gview {
	struct vm	*vm;
	int		 nested;	/* 0 none, NESTED_EPT, NESTED_NPT */
	uint64_t	 root;		/* L1's EPT or NPT root (a VM GPA) */
};
#define NESTED_EPT		1
#define NESTED_NPT		2

/* The monitor's pointer to len bytes of guest memory at gpa, or NULL. */
static const uint8_t *
vm_ptr(struct vm *vm, uint64_t gpa, size_t len)
{
	const struct vm_mem_range *r;
	size_t i;

	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		if (vm->vm_memory_slot[i] == NULL || gpa < r->vmr_gpa ||
		    gpa - r->vmr_gpa >= r->vmr_size ||
		    len > r->vmr_size - (gpa - r->vmr_gpa))
			continue;
		return ((const uint8_t *)vm->vm_memory_slot[i]->mo_kva +
		    (gpa - r->vmr_gpa));
	}
	return (NULL);
}

static int
vm_read64(struct vm *vm, uint64_t gpa, uint64_t *v)
{
	const uint8_t *p = vm_ptr(vm, gpa, 8);

	if (p == NULL)
		return (EFAULT);
	memcpy(v, p, 8);	/* little-endian host, as the monitor's */
	return (0);
}

/*
 * An L2 guest-physical address through L1's 4-level EPT (present: any
 * of R, W, X) or NPT (present: P) to the VM's guest-physical address;
 * PS at levels 3 and 2 makes a leaf in both formats.  No rights are
 * checked: this is where the CPU found the bytes, not whether it could.
 */
static int
nested_translate(const struct gview *gv, uint64_t l2pa, uint64_t *gpa)
{
	uint64_t base = gv->root & TRACE_ADDR_MASK, e;
	int level, shift;

	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (vm_read64(gv->vm, base + ((l2pa >> shift) & 0x1FF) * 8,
		    &e) != 0)
			return (EFAULT);
		if (gv->nested == NESTED_EPT ? (e & 7) == 0 : !(e & PTE_P))
			return (EFAULT);
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			*gpa = (e & TRACE_ADDR_MASK & ~((1ULL << shift) - 1)) |
			    (l2pa & ((1ULL << shift) - 1));
			return (0);
		}
		base = e & TRACE_ADDR_MASK;
	}
	return (EFAULT);
}

/* The pointer to len bytes at the traced guest's physical address. */
static const uint8_t *
guest_ptr(const struct gview *gv, uint64_t gpa, size_t len)
{
	uint64_t pa;

	if (gv->nested == 0)
		return (vm_ptr(gv->vm, gpa, len));
	if (len > TRACE_PAGE - (gpa & (TRACE_PAGE - 1)) ||
	    nested_translate(gv, gpa, &pa) != 0)
		return (NULL);
	return (vm_ptr(gv->vm, pa, len));
}

static int
guest_read(const struct gview *gv, uint64_t gpa, uint64_t *v, size_t size)
{
	const uint8_t *p = guest_ptr(gv, gpa, size);
	size_t i;

	if (p == NULL)
		return (EFAULT);
	*v = 0;
	for (i = 0; i < size; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return (0);
}

/*
 * The guest-physical address of a linear address through the guest's
 * own page tables (32-bit, PAE or 4-level paging), without access
 * checks: where the CPU fetched the instruction from.  EFAULT when a
 * table is outside guest RAM or an entry is not present.
 */
static int
guest_translate(const struct gview *gv, const struct vcpu_reg_state *vrs,
    uint64_t va, uint64_t *gpa)
{
	uint64_t cr0 = vrs->vrs_crs[VCPU_REGS_CR0];
	uint64_t cr3 = vrs->vrs_crs[VCPU_REGS_CR3];
	uint64_t cr4 = vrs->vrs_crs[VCPU_REGS_CR4];
	uint64_t e, base;
	int level, shift;

	if (!(cr0 & CR0_PG)) {
		*gpa = va & 0xFFFFFFFFULL;
		return (0);
	}
	if (vrs->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA) {
		if (cr4 & CR4_LA57)
			return (EFAULT);	/* not walked here */
		base = cr3 & TRACE_ADDR_MASK;
		for (level = 4; level >= 1; level--) {
			shift = 12 + 9 * (level - 1);
			if (guest_read(gv, base + ((va >> shift) & 0x1FF) * 8,
			    &e, 8) != 0 || !(e & PTE_P))
				return (EFAULT);
			if (level == 1 || (level <= 3 && (e & PTE_PS))) {
				*gpa = (e & TRACE_ADDR_MASK &
				    ~((1ULL << shift) - 1)) |
				    (va & ((1ULL << shift) - 1));
				return (0);
			}
			base = e & TRACE_ADDR_MASK;
		}
		return (EFAULT);
	}
	va &= 0xFFFFFFFFULL;
	if (cr4 & CR4_PAE) {
		if (guest_read(gv, (cr3 & 0xFFFFFFE0ULL) + (va >> 30) * 8, &e,
		    8) != 0 || !(e & PTE_P))
			return (EFAULT);
		base = e & TRACE_ADDR_MASK;
		for (level = 2; level >= 1; level--) {
			shift = 12 + 9 * (level - 1);
			if (guest_read(gv, base + ((va >> shift) & 0x1FF) * 8,
			    &e, 8) != 0 || !(e & PTE_P))
				return (EFAULT);
			if (level == 1 || (e & PTE_PS)) {
				*gpa = (e & TRACE_ADDR_MASK &
				    ~((1ULL << shift) - 1)) |
				    (va & ((1ULL << shift) - 1));
				return (0);
			}
			base = e & TRACE_ADDR_MASK;
		}
		return (EFAULT);
	}
	if (guest_read(gv, (cr3 & 0xFFFFF000ULL) + (va >> 22) * 4, &e, 4) !=
	    0 || !(e & PTE_P))
		return (EFAULT);
	if ((e & PTE_PS) && (cr4 & CR4_PSE)) {
		/* A 4 MiB page; PSE-36 puts address bits 39:32 in 20:13. */
		*gpa = (e & 0xFFC00000ULL) | ((e & 0x1FE000ULL) << 19) |
		    (va & 0x3FFFFFULL);
		return (0);
	}
	if (guest_read(gv, (e & 0xFFFFF000ULL) + ((va >> 12) & 0x3FF) * 4, &e,
	    4) != 0 || !(e & PTE_P))
		return (EFAULT);
	*gpa = (e & 0xFFFFF000ULL) | (va & 0xFFFULL);
	return (0);
}

/* The CS mode the guest runs in: 16, 32 or 64. */
static int
cs_mode(const struct vcpu_reg_state *vrs)
{
	uint32_t ar = vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar;

	if (!(vrs->vrs_crs[VCPU_REGS_CR0] & CR0_PE) ||
	    (vrs->vrs_gprs[VCPU_REGS_RFLAGS] & PSL_VM))
		return (16);
	if ((vrs->vrs_msrs[VCPU_REGS_EFER] & EFER_LMA) && (ar & AR_L))
		return (64);
	return ((ar & AR_DB) ? 32 : 16);
}

/*
 * Up to 15 bytes at CS:RIP as the guest would fetch them, page by page;
 * stops at the first byte that is not in guest RAM.  Returns the count.
 */
static unsigned
fetch_insn(const struct gview *gv, const struct vcpu_reg_state *vrs, int mode,
    uint8_t *buf)
{
	uint64_t rip = vrs->vrs_gprs[VCPU_REGS_RIP], la, gpa;
	const uint8_t *p;
	unsigned n = 0, chunk;

	if (mode == 64)
		la = rip;
	else if (mode == 16 && !(vrs->vrs_crs[VCPU_REGS_CR0] & CR0_PE))
		la = vrs->vrs_sregs[VCPU_REGS_CS].vsi_base + (rip & 0xFFFF);
	else
		la = vrs->vrs_sregs[VCPU_REGS_CS].vsi_base + rip;
	if (mode != 64)
		la &= 0xFFFFFFFFULL;
	while (n < VMMSIM_TEXIT_MAXBYTES) {
		if (guest_translate(gv, vrs, la + n, &gpa) != 0)
			break;
		chunk = (unsigned)(TRACE_PAGE - ((la + n) & (TRACE_PAGE - 1)));
		if (chunk > VMMSIM_TEXIT_MAXBYTES - n)
			chunk = VMMSIM_TEXIT_MAXBYTES - n;
		if ((p = guest_ptr(gv, gpa, chunk)) == NULL)
			break;
		memcpy(buf + n, p, chunk);
		n += chunk;
	}
	return (n);
}

/* --- snapshots ---------------------------------------------------------- */

struct snapbuf {
	uint8_t		*b;
	size_t		 len, cap;
	int		 error;
};

static uint8_t *
snap_grow(struct snapbuf *s, size_t n)
{
	uint8_t *nb;
	size_t nc;

	if (s->error)
		return (NULL);
	if (s->len + n > s->cap) {
		nc = s->cap ? s->cap : 16384;
		while (nc < s->len + n)
			nc *= 2;
		if ((nb = realloc(s->b, nc)) == NULL) {
			s->error = ENOMEM;
			return (NULL);
		}
		s->b = nb;
		s->cap = nc;
	}
	s->len += n;
	return (s->b + s->len - n);
}

/*
 * Every paging-structure page of a nested table below the one at hpa
 * (level 4: the root), in walk order.  EPT entries are present when any
 * of R, W, X is set, NPT entries when P is; a PS bit at levels 3 and 2
 * makes a leaf in both formats.
 */
static void
snap_tables(struct snapbuf *s, struct hostmem *hm, uint64_t hpa, int level,
    int ept, uint32_t *npages)
{
	const uint64_t *tab;
	uint8_t *p;
	uint64_t e;
	int i;

	if (*npages >= TRACE_MAX_PAGES ||
	    (tab = hostmem_ptr(hm, hpa, TRACE_PAGE)) == NULL)
		return;
	if ((p = snap_grow(s, VMMSIM_TSNAP_PAGE_SIZE)) == NULL)
		return;
	put64(p, hpa);
	memcpy(p + 8, tab, TRACE_PAGE);
	(*npages)++;
	if (level == 1)
		return;
	for (i = 0; i < 512; i++) {
		e = tab[i];
		if (ept ? (e & 7) == 0 : (e & PTE_P) == 0)
			continue;
		if (level <= 3 && (e & PTE_PS))
			continue;
		snap_tables(s, hm, e & TRACE_ADDR_MASK, level - 1, ept, npages);
	}
}

static int
want_snap(struct vmm_trace *t, uint64_t seq)
{
	size_t lo = 0, hi = t->nsnaps, mid;

	if (t->flags & VMMSIM_TRACE_SNAP_ALL)
		return (1);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (t->snaps[mid] == seq)
			return (1);
		if (t->snaps[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (0);
}

/* The snapshot record's fixed part, with its VMCS or VMCB data. */
static void
snap_begin(struct snapbuf *s, struct vcpu *vcpu, uint64_t seq, uint16_t flags,
    uint32_t count, uint64_t root)
{
	uint8_t *p;

	if ((p = snap_grow(s, VMMSIM_TSNAP_DATA)) == NULL)
		return;
	memset(p, 0, VMMSIM_TSNAP_DATA);
	put16(p, VMMSIM_TREC_SNAP);
	put16(p + 2, flags);
	put64(p + VMMSIM_TSNAP_SEQ, seq);
	put32(p + VMMSIM_TSNAP_VM, vcpu->vc_parent->vm_id);
	put32(p + VMMSIM_TSNAP_VCPU, vcpu->vc_id);
	put32(p + VMMSIM_TSNAP_COUNT, count);
	put64(p + VMMSIM_TSNAP_ROOT, root);
}

static void
snap_end(struct snapbuf *s, struct vmm_trace_exit *te, uint32_t npages)
{
	if (s->error || s->len > UINT32_MAX) {
		free(s->b);
		return;
	}
	put32(s->b + 4, (uint32_t)s->len);
	put32(s->b + VMMSIM_TSNAP_NPAGES, npages);
	te->snap = s->b;
	te->snaplen = s->len;
}

/* --- capture ----------------------------------------------------------- */

/* The seq of a captured exit, from its record. */
static uint64_t
trace_seq(const struct vmm_trace_exit *te)
{
	uint64_t seq = 0;
	int i;

	for (i = 7; i >= 0; i--)
		seq = (seq << 8) | te->rec[VMMSIM_TEXIT_SEQ + i];
	return (seq);
}

/*
 * What both vendors and both levels record the same way: the exit's
 * number, time, ids, registers, CS mode and instruction bytes.  Returns
 * the seq, with *snap set when this exit gets a snapshot.
 */
static uint64_t
capture_common(struct vcpu *vcpu, uint64_t vtime, const struct gview *gv,
    const struct vcpu_reg_state *vrs, struct vmm_trace_exit *te, int *snap)
{
	struct vmm_trace *t = vcpu->vc_trace;
	uint8_t *r = te->rec;
	uint64_t seq;
	int mode = cs_mode(vrs);

	memset(te, 0, sizeof(*te));
	pthread_mutex_lock(&t->lock);
	seq = t->seq++;
	*snap = want_snap(t, seq);
	pthread_mutex_unlock(&t->lock);

	put16(r, VMMSIM_TREC_EXIT);
	put32(r + 4, VMMSIM_TREC_EXIT_SIZE);
	put64(r + VMMSIM_TEXIT_SEQ, seq);
	put64(r + VMMSIM_TEXIT_VTIME, vtime);
	put32(r + VMMSIM_TEXIT_VM, vcpu->vc_parent->vm_id);
	put32(r + VMMSIM_TEXIT_VCPU, vcpu->vc_id);
	put64(r + VMMSIM_TEXIT_RIP, vrs->vrs_gprs[VCPU_REGS_RIP]);
	put64(r + VMMSIM_TEXIT_RAX, vrs->vrs_gprs[VCPU_REGS_RAX]);
	put64(r + VMMSIM_TEXIT_RCX, vrs->vrs_gprs[VCPU_REGS_RCX]);
	put64(r + VMMSIM_TEXIT_RDX, vrs->vrs_gprs[VCPU_REGS_RDX]);
	r[VMMSIM_TEXIT_MODE] = (uint8_t)mode;
	r[VMMSIM_TEXIT_NBYTES] = (uint8_t)fetch_insn(gv, vrs, mode,
	    r + VMMSIM_TEXIT_BYTES);
	r[VMMSIM_TEXIT_INJECT] = VMMSIM_TINJECT_NONE;
	return (seq);
}

/*
 * A VMX exit read with VMREAD from cpu's current VMCS: the monitor's
 * (level 1, before vmx_handle_exit runs) or L1's on the inner CPU
 * (level 2, nested set).  The snapshot walks the EPT in hm.
 */
static void
capture_vmx(struct vcpu *vcpu, struct emu_cpu *cpu, struct hostmem *hm,
    const struct gview *gv, const struct vcpu_reg_state *vrs,
    uint16_t nested, struct vmm_trace_exit *te)
{
	struct snapbuf s;
	uint8_t *r = te->rec, *p;
	uint64_t v, seq, reason, qual;
	uint32_t n = 0, npages = 0;
	uint16_t flags = nested;
	size_t i;
	int snap;

	seq = capture_common(vcpu, emu_cpu_vtime(cpu), gv, vrs, te, &snap);
#define RD(f)	(v = 0, (void)vmx_vmread(cpu, (f), &v), v)
	reason = RD(VMCS_EXIT_REASON);
	qual = RD(VMCS_GUEST_EXIT_QUALIFICATION);
	put64(r + VMMSIM_TEXIT_REASON, reason);
	put64(r + VMMSIM_TEXIT_QUAL, qual);
	put64(r + VMMSIM_TEXIT_INFO2, RD(VMCS_GUEST_LINEAR_ADDRESS));
	put64(r + VMMSIM_TEXIT_GPA_OFF, RD(VMCS_GUEST_PHYSICAL_ADDRESS));
	put32(r + VMMSIM_TEXIT_INTR_INFO, (uint32_t)RD(
	    VMCS_EXIT_INTERRUPTION_INFO));
	put32(r + VMMSIM_TEXIT_INTR_ERR, (uint32_t)RD(
	    VMCS_EXIT_INTERRUPTION_ERR_CODE));
	put32(r + VMMSIM_TEXIT_IDT_VECT, (uint32_t)RD(VMCS_IDT_VECTORING_INFO));
	r[VMMSIM_TEXIT_INSN_LEN] = (uint8_t)RD(VMCS_INSTRUCTION_LENGTH);
	/* Where the SDM says the address fields hold something (27.2.1). */
	switch (reason & VMX_EXIT_REASON_BASIC_MASK) {
	case VMX_EXIT_EPT_VIOLATION:
		flags |= VMMSIM_TEXIT_GPA;
		if (qual & (1ULL << 7))
			flags |= VMMSIM_TEXIT_LINEAR;
		break;
	case VMX_EXIT_EPT_MISCONFIGURATION:
		flags |= VMMSIM_TEXIT_GPA;
		break;
	case VMX_EXIT_IO:
		if (qual & (1ULL << 4))
			flags |= VMMSIM_TEXIT_LINEAR;	/* INS/OUTS */
		break;
	default:
		break;
	}
	put16(r + 2, flags);
	if (!snap)
		return;

	memset(&s, 0, sizeof(s));
	snap_begin(&s, vcpu, seq, nested, 0, RD(VMCS_GUEST_IA32_EPTP));
	for (i = 0; i < VMCS_NFIELDS; i++) {
		if (vmx_vmread(cpu, vmcs_fields[i].encoding, &v) !=
		    VMX_SUCCEED || (p = snap_grow(&s,
		    VMMSIM_TSNAP_FIELD_SIZE)) == NULL)
			continue;
		put32(p, vmcs_fields[i].encoding);
		put32(p + 4, 0);
		put64(p + 8, v);
		n++;
	}
#undef RD
	if (s.error == 0) {
		put32(s.b + VMMSIM_TSNAP_COUNT, n);
		v = 0;
		(void)vmx_vmread(cpu, VMCS_GUEST_IA32_EPTP, &v);
		snap_tables(&s, hm, v & TRACE_ADDR_MASK, 4, 1, &npages);
	}
	snap_end(&s, te, npages);
}

/* The VMX exit, read with VMREAD before vmx_handle_exit runs. */
void
vmm_trace_exit_vmx(struct vcpu *vcpu, struct emu_cpu *cpu,
    struct hostmem *hm, struct vmm_trace_exit *te)
{
	struct vcpu_reg_state vrs;
	struct gview gv = { vcpu->vc_parent, 0, 0 };

	memset(&vrs, 0, sizeof(vrs));
	(void)vcpu_readregs_vmx(vcpu, VM_RWREGS_GPRS | VM_RWREGS_SREGS |
	    VM_RWREGS_CRS | VM_RWREGS_MSRS, &vrs);
	capture_vmx(vcpu, cpu, hm, &gv, &vrs, 0, te);
	vcpu->vc_trace_seq = trace_seq(te);
}

/*
 * An SVM #VMEXIT read from its VMCB: the monitor's (level 1, before
 * svm_handle_exit runs) or L1's (level 2, nested set).  The snapshot
 * walks the NPT in hm.
 */
static void
capture_svm(struct vcpu *vcpu, struct emu_cpu *cpu, const uint8_t *vmcb,
    struct hostmem *hm, const struct gview *gv,
    const struct vcpu_reg_state *vrs, uint16_t nested,
    struct vmm_trace_exit *te)
{
	struct snapbuf s;
	uint8_t *r = te->rec, *p;
	uint64_t seq, code, rip, nrip;
	uint32_t npages = 0;
	int snap;

	seq = capture_common(vcpu, emu_cpu_vtime(cpu), gv, vrs, te, &snap);
	code = vmcb_read(vmcb, VMCB_EXITCODE, 8);
	put64(r + VMMSIM_TEXIT_REASON, code);
	put64(r + VMMSIM_TEXIT_QUAL, vmcb_read(vmcb, VMCB_EXITINFO1, 8));
	put64(r + VMMSIM_TEXIT_INFO2, vmcb_read(vmcb, VMCB_EXITINFO2, 8));
	put32(r + VMMSIM_TEXIT_IDT_VECT, (uint32_t)vmcb_read(vmcb,
	    VMCB_EXITINTINFO, 8));
	put16(r + 2, nested);
	if (code == VMEXIT_NPF) {
		put64(r + VMMSIM_TEXIT_GPA_OFF, vmcb_read(vmcb, VMCB_EXITINFO2,
		    8));
		put16(r + 2, nested | VMMSIM_TEXIT_GPA);
	}
	/* nRIP - RIP is the length of an intercepted instruction. */
	rip = vmcb_read(vmcb, VMCB_RIP, 8);
	nrip = vmcb_read(vmcb, VMCB_NRIP, 8);
	if (nrip > rip && nrip - rip <= 15)
		r[VMMSIM_TEXIT_INSN_LEN] = (uint8_t)(nrip - rip);
	if (!snap)
		return;

	memset(&s, 0, sizeof(s));
	snap_begin(&s, vcpu, seq, nested, VMMSIM_TSNAP_VMCB_SIZE,
	    vmcb_read(vmcb, VMCB_N_CR3, 8));
	if ((p = snap_grow(&s, VMMSIM_TSNAP_VMCB_SIZE)) != NULL)
		memcpy(p, vmcb, VMMSIM_TSNAP_VMCB_SIZE);
	if (s.error == 0)
		snap_tables(&s, hm, vmcb_read(vmcb, VMCB_N_CR3, 8) &
		    TRACE_ADDR_MASK, 4, 0, &npages);
	snap_end(&s, te, npages);
}

/* The SVM #VMEXIT, read from the VMCB before svm_handle_exit runs. */
void
vmm_trace_exit_svm(struct vcpu *vcpu, struct emu_cpu *cpu,
    const uint8_t *vmcb, struct hostmem *hm, struct vmm_trace_exit *te)
{
	struct vcpu_reg_state vrs;
	struct gview gv = { vcpu->vc_parent, 0, 0 };

	memset(&vrs, 0, sizeof(vrs));
	(void)vcpu_readregs_svm(vcpu, VM_RWREGS_GPRS | VM_RWREGS_SREGS |
	    VM_RWREGS_CRS | VM_RWREGS_MSRS, &vrs);
	capture_svm(vcpu, cpu, vmcb, hm, &gv, &vrs, 0, te);
	vcpu->vc_trace_seq = trace_seq(te);
}

/* --- nested records ------------------------------------------------------ */

/*
 * The records of L2 (bare-metal mode) made while the monitor handles
 * one exit of L1, written after that exit's record by
 * vmm_trace_exit_done, so a file reads L1's VMLAUNCH, then what L2 did.
 */
struct vmm_trace_pend {
	struct snapbuf	 b;
};

static void
pend_add(struct vcpu *vcpu, const uint8_t *rec, size_t len)
{
	struct vmm_trace *t = vcpu->vc_trace;
	struct vmm_trace_pend *pd = vcpu->vc_trace_pend;
	uint8_t *p;

	if (pd == NULL && (pd = vcpu->vc_trace_pend = calloc(1,
	    sizeof(*pd))) == NULL) {
		pthread_mutex_lock(&t->lock);
		if (t->error == 0)
			t->error = ENOMEM;
		pthread_mutex_unlock(&t->lock);
		return;
	}
	if ((p = snap_grow(&pd->b, len)) != NULL)
		memcpy(p, rec, len);
}

/* Write and free the records waiting for the exit just written. */
static void
pend_flush(struct vcpu *vcpu)
{
	struct vmm_trace *t = vcpu->vc_trace;
	struct vmm_trace_pend *pd = vcpu->vc_trace_pend;

	if (pd == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->error == 0 && pd->b.error != 0)
		t->error = pd->b.error;
	if (t->error == 0 && pd->b.len > 0 &&
	    fwrite(pd->b.b, pd->b.len, 1, t->fp) != 1)
		t->error = EIO;
	pthread_mutex_unlock(&t->lock);
	free(pd->b.b);
	free(pd);
	vcpu->vc_trace_pend = NULL;
}

/*
 * The handler's result: 0 handled in the kernel, EAGAIN back to
 * userland with the exit, anything else the end of the vcpu; and the
 * exception the handler queued for the next entry, if any.  The record
 * (and its snapshot) goes to the file, then the nested records the
 * handler made (L2's exits under the guest's own hypervisor).
 */
void
vmm_trace_exit_done(struct vcpu *vcpu, struct vmm_trace_exit *te, int ret,
    const struct vcpu_inject_event *ev)
{
	struct vmm_trace *t = vcpu->vc_trace;
	uint8_t *r = te->rec;
	uint64_t reason = 0;
	int i;

	for (i = 7; i >= 0; i--)
		reason = (reason << 8) | r[VMMSIM_TEXIT_REASON + i];
	if (ret == 0)
		r[VMMSIM_TEXIT_ACTION] = VMMSIM_TACT_KERNEL;
	else if (ret == EAGAIN) {
		r[VMMSIM_TEXIT_ACTION] = VMMSIM_TACT_USER;
		/* vrp_exit_reason is 16 bits (vm_run). */
		put16(r + VMMSIM_TEXIT_USER_EXIT, (uint16_t)reason);
	} else {
		r[VMMSIM_TEXIT_ACTION] = VMMSIM_TACT_FATAL;
		r[VMMSIM_TEXIT_ERRNO] = (uint8_t)ret;
	}
	if (ev->vie_type == VCPU_INJECT_EX)
		r[VMMSIM_TEXIT_INJECT] = ev->vie_vector;

	pthread_mutex_lock(&t->lock);
	if (t->error == 0 && (fwrite(r, VMMSIM_TREC_EXIT_SIZE, 1, t->fp) != 1 ||
	    (te->snap != NULL &&
	    fwrite(te->snap, te->snaplen, 1, t->fp) != 1)))
		t->error = EIO;
	pthread_mutex_unlock(&t->lock);
	free(te->snap);
	te->snap = NULL;
	pend_flush(vcpu);
}

/* --- failed VM entries ---------------------------------------------------- */

/* What a failed entry was and which check the CPU blames. */
struct entry_fail {
	uint64_t	 seq;
	int		 insn, result;
	uint32_t	 vm_error;
	uint64_t	 reason, qual;
	struct emu_entry_failure f;
};

/*
 * The entry-failure record into r (VMMSIM_TFAIL_MAXSIZE bytes): the
 * fixed part, then the check's four strings (empty when no check is to
 * blame).  Returns its size.
 */
static size_t
build_entry_fail(struct vcpu *vcpu, uint64_t vtime, uint16_t flags,
    const struct entry_fail *ef, uint8_t *r)
{
	const char *str[4];
	size_t len = VMMSIM_TFAIL_STRINGS, n;
	int i;

	str[0] = ef->f.rule;
	str[1] = ef->f.section;
	str[2] = ef->f.what;
	str[3] = ef->f.detail;
	memset(r, 0, VMMSIM_TFAIL_MAXSIZE);
	for (i = 0; i < 4; i++) {
		/* Each string gets its share; a long detail is cut short. */
		n = str[i] != NULL ? strlen(str[i]) : 0;
		if (n > (VMMSIM_TFAIL_MAXSIZE - VMMSIM_TFAIL_STRINGS) / 4 - 1)
			n = (VMMSIM_TFAIL_MAXSIZE - VMMSIM_TFAIL_STRINGS) /
			    4 - 1;
		if (n > 0)
			memcpy(r + len, str[i], n);
		len += n + 1;
	}
	len = (len + 7) & ~(size_t)7;
	put16(r, VMMSIM_TREC_ENTRY_FAIL);
	put16(r + 2, flags);
	put32(r + 4, (uint32_t)len);
	put64(r + VMMSIM_TFAIL_SEQ, ef->seq);
	put64(r + VMMSIM_TFAIL_VTIME, vtime);
	put32(r + VMMSIM_TFAIL_VM, vcpu->vc_parent->vm_id);
	put32(r + VMMSIM_TFAIL_VCPU, vcpu->vc_id);
	r[VMMSIM_TFAIL_INSN] = (uint8_t)ef->insn;
	r[VMMSIM_TFAIL_RESULT] = (uint8_t)ef->result;
	put32(r + VMMSIM_TFAIL_VM_ERROR, ef->vm_error);
	put64(r + VMMSIM_TFAIL_REASON, ef->reason);
	put64(r + VMMSIM_TFAIL_QUAL, ef->qual);
	return (len);
}

static void
write_entry_fail(struct vcpu *vcpu, struct emu_cpu *cpu,
    const struct entry_fail *ef)
{
	struct vmm_trace *t = vcpu->vc_trace;
	uint8_t r[VMMSIM_TFAIL_MAXSIZE];
	size_t len;

	len = build_entry_fail(vcpu, emu_cpu_vtime(cpu), 0, ef, r);
	pthread_mutex_lock(&t->lock);
	if (t->error == 0 && fwrite(r, len, 1, t->fp) != 1)
		t->error = EIO;
	pthread_mutex_unlock(&t->lock);
}

/*
 * What VMLAUNCH or VMRESUME (resume) that returned r on cpu was, and
 * the check cpu blames: 0, or -1 when r is not a failed entry (#UD,
 * #GP, or a VM exit without the entry-failure bit).
 */
static int
vmx_fail_info(struct emu_cpu *cpu, int resume, enum vmx_result r,
    struct entry_fail *ef)
{
	int known;

	memset(ef, 0, sizeof(*ef));
	ef->seq = VMMSIM_TFAIL_NOEXIT;
	ef->insn = resume ? VMMSIM_TFAIL_VMRESUME : VMMSIM_TFAIL_VMLAUNCH;
	known = vmx_entry_failure(cpu, &ef->f) == 0;
	switch (r) {
	case VMX_SUCCEED:
		(void)vmx_vmread(cpu, VMCS_EXIT_REASON, &ef->reason);
		if (!(ef->reason & VMX_EXIT_REASON_ENTRY_FAILURE))
			return (-1);
		(void)vmx_vmread(cpu, VMCS_GUEST_EXIT_QUALIFICATION, &ef->qual);
		ef->result = VMMSIM_TFAIL_EXIT;
		/* The CPU's record must be of this failure, not an older one. */
		if (known && ef->f.exit_reason != (ef->reason &
		    VMX_EXIT_REASON_BASIC_MASK))
			known = 0;
		break;
	case VMX_FAIL_VALID:
		ef->vm_error = vmx_last_error(cpu);
		ef->result = VMMSIM_TFAIL_VMFAIL_VALID;
		if (known && ef->f.vm_error != ef->vm_error)
			known = 0;
		break;
	case VMX_FAIL_INVALID:
		ef->result = VMMSIM_TFAIL_VMFAIL_INVALID;
		known = 0;
		break;
	default:
		return (-1);	/* #UD, #GP: the instruction's own fault */
	}
	if (!known)
		memset(&ef->f, 0, sizeof(ef->f));
	return (0);
}

/*
 * VMLAUNCH or VMRESUME (resume) did not enter the guest: r is what the
 * instruction returned, VMX_SUCCEED for a VM exit with the entry-failure
 * bit.  That exit is recorded as an exit (the vcpu dies of it, EINVAL),
 * then the failure with the check the simulated CPU blames.
 */
void
vmm_trace_entry_fail_vmx(struct vcpu *vcpu, struct emu_cpu *cpu,
    struct hostmem *hm, int resume, enum vmx_result r)
{
	struct vmm_trace_exit te;
	struct vcpu_inject_event none;
	struct entry_fail ef;

	if (r == VMX_SUCCEED) {
		memset(&none, 0, sizeof(none));
		none.vie_type = VCPU_INJECT_NONE;
		vmm_trace_exit_vmx(vcpu, cpu, hm, &te);
		vmm_trace_exit_done(vcpu, &te, EINVAL, &none);
	}
	if (vmx_fail_info(cpu, resume, r, &ef) != 0)
		return;
	if (r == VMX_SUCCEED)
		ef.seq = trace_seq(&te);
	write_entry_fail(vcpu, cpu, &ef);
}

/* VMRUN gave VMEXIT_INVALID; te is that exit, already recorded. */
void
vmm_trace_entry_fail_svm(struct vcpu *vcpu, struct emu_cpu *cpu,
    const struct vmm_trace_exit *te)
{
	struct entry_fail ef;

	memset(&ef, 0, sizeof(ef));
	if (svm_vmrun_failure(cpu, &ef.f) != 0)
		memset(&ef.f, 0, sizeof(ef.f));
	ef.seq = trace_seq(te);
	ef.insn = VMMSIM_TFAIL_VMRUN;
	ef.result = VMMSIM_TFAIL_VMEXIT_INVALID;
	ef.reason = VMEXIT_INVALID;
	write_entry_fail(vcpu, cpu, &ef);
}

/* --- the nested level ----------------------------------------------------- */

/* A nested exit's records, queued for after L1's exit (action L1). */
static void
pend_exit(struct vcpu *vcpu, struct vmm_trace_exit *te)
{
	te->rec[VMMSIM_TEXIT_ACTION] = VMMSIM_TACT_L1;
	pend_add(vcpu, te->rec, VMMSIM_TREC_EXIT_SIZE);
	if (te->snap != NULL)
		pend_add(vcpu, te->snap, te->snaplen);
	free(te->snap);
	te->snap = NULL;
}

static void
pend_entry_fail(struct vcpu *vcpu, struct emu_cpu *cpu,
    const struct entry_fail *ef)
{
	uint8_t r[VMMSIM_TFAIL_MAXSIZE];
	size_t len;

	len = build_entry_fail(vcpu, emu_cpu_vtime(cpu), VMMSIM_TREC_NESTED,
	    ef, r);
	pend_add(vcpu, r, len);
}

void
vmm_trace_nested_vmx(struct vcpu *vcpu, struct emu_cpu *cpu,
    struct hostmem *hm, const struct emu_gprs *g, int resume,
    enum vmx_result r)
{
	struct vcpu_reg_state vrs;
	struct vmm_trace_exit te;
	struct entry_fail ef;
	struct gview gv = { vcpu->vc_parent, 0, 0 };
	uint64_t v, proc, proc2;
	int failed;

	failed = vmx_fail_info(cpu, resume, r, &ef) == 0;
	if (r != VMX_SUCCEED) {
		if (failed) {
			/* No L2 exit: it belongs to L1's instruction. */
			ef.seq = vcpu->vc_trace_seq;
			pend_entry_fail(vcpu, cpu, &ef);
		}
		return;
	}

	/* L2 as L1's VMCS holds it (SDM §28.3 saved it there). */
#define RD(f)	(v = 0, (void)vmx_vmread(cpu, (f), &v), v)
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrs_gprs[VCPU_REGS_RAX] = g->r[EMU_RAX];
	vrs.vrs_gprs[VCPU_REGS_RCX] = g->r[EMU_RCX];
	vrs.vrs_gprs[VCPU_REGS_RDX] = g->r[EMU_RDX];
	vrs.vrs_gprs[VCPU_REGS_RIP] = RD(VMCS_GUEST_IA32_RIP);
	vrs.vrs_gprs[VCPU_REGS_RFLAGS] = RD(VMCS_GUEST_IA32_RFLAGS);
	vrs.vrs_crs[VCPU_REGS_CR0] = RD(VMCS_GUEST_IA32_CR0);
	vrs.vrs_crs[VCPU_REGS_CR3] = RD(VMCS_GUEST_IA32_CR3);
	vrs.vrs_crs[VCPU_REGS_CR4] = RD(VMCS_GUEST_IA32_CR4);
	vrs.vrs_sregs[VCPU_REGS_CS].vsi_base = RD(VMCS_GUEST_IA32_CS_BASE);
	vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar = (uint32_t)RD(
	    VMCS_GUEST_IA32_CS_AR);
	/* IA32_EFER.LMA is the "IA-32e mode guest" control (§26.3.2.1). */
	if (RD(VMCS_ENTRY_CTLS) & IA32_VMX_IA32E_MODE_GUEST)
		vrs.vrs_msrs[VCPU_REGS_EFER] = EFER_LMA | EFER_LME;
	proc = RD(VMCS_PROCBASED_CTLS);
	proc2 = (proc & IA32_VMX_ACTIVATE_SECONDARY_CONTROLS) ?
	    RD(VMCS_PROCBASED2_CTLS) : 0;
	if (proc2 & IA32_VMX_ENABLE_EPT) {
		gv.nested = NESTED_EPT;
		gv.root = RD(VMCS_GUEST_IA32_EPTP);
	}
#undef RD
	capture_vmx(vcpu, cpu, hm, &gv, &vrs, VMMSIM_TREC_NESTED, &te);
	pend_exit(vcpu, &te);
	if (failed) {
		ef.seq = trace_seq(&te);
		pend_entry_fail(vcpu, cpu, &ef);
	}
}

void
vmm_trace_nested_svm(struct vcpu *vcpu, struct emu_cpu *cpu,
    struct hostmem *hm, uint64_t vmcb_pa, const struct emu_gprs *g)
{
	struct vcpu_reg_state vrs;
	struct vmm_trace_exit te;
	struct entry_fail ef;
	struct gview gv = { vcpu->vc_parent, 0, 0 };
	const uint8_t *vmcb;
	uint32_t attr;

	if ((vmcb = vm_ptr(vcpu->vc_parent, vmcb_pa, VMCB_SIZE)) == NULL)
		return;
	/* L2 as #VMEXIT saved it in L1's VMCB (APM §15.6). */
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrs_gprs[VCPU_REGS_RAX] = vmcb_read(vmcb, VMCB_RAX, 8);
	vrs.vrs_gprs[VCPU_REGS_RCX] = g->r[EMU_RCX];
	vrs.vrs_gprs[VCPU_REGS_RDX] = g->r[EMU_RDX];
	vrs.vrs_gprs[VCPU_REGS_RIP] = vmcb_read(vmcb, VMCB_RIP, 8);
	vrs.vrs_gprs[VCPU_REGS_RFLAGS] = vmcb_read(vmcb, VMCB_RFLAGS, 8);
	vrs.vrs_crs[VCPU_REGS_CR0] = vmcb_read(vmcb, VMCB_CR0, 8);
	vrs.vrs_crs[VCPU_REGS_CR3] = vmcb_read(vmcb, VMCB_CR3, 8);
	vrs.vrs_crs[VCPU_REGS_CR4] = vmcb_read(vmcb, VMCB_CR4, 8);
	vrs.vrs_msrs[VCPU_REGS_EFER] = vmcb_read(vmcb, VMCB_EFER, 8);
	vrs.vrs_sregs[VCPU_REGS_CS].vsi_base = vmcb_read(vmcb, VMCB_CS +
	    VMCB_SEG_BASE, 8);
	/* The VMCB's 12-bit attributes into the VMX access-rights form. */
	attr = (uint32_t)vmcb_read(vmcb, VMCB_CS + VMCB_SEG_ATTRIB, 2);
	vrs.vrs_sregs[VCPU_REGS_CS].vsi_ar = (attr & 0xFF) |
	    ((attr & 0xF00) << 4);
	if (vmcb_read(vmcb, VMCB_NP_CONTROL, 8) & VMCB_NP_ENABLE) {
		gv.nested = NESTED_NPT;
		gv.root = vmcb_read(vmcb, VMCB_N_CR3, 8);
	}
	capture_svm(vcpu, cpu, vmcb, hm, &gv, &vrs, VMMSIM_TREC_NESTED, &te);
	pend_exit(vcpu, &te);
	if (vmcb_read(vmcb, VMCB_EXITCODE, 8) != VMEXIT_INVALID)
		return;
	memset(&ef, 0, sizeof(ef));
	if (svm_vmrun_failure(cpu, &ef.f) != 0)
		memset(&ef.f, 0, sizeof(ef.f));
	ef.seq = trace_seq(&te);
	ef.insn = VMMSIM_TFAIL_VMRUN;
	ef.result = VMMSIM_TFAIL_VMEXIT_INVALID;
	ef.reason = VMEXIT_INVALID;
	pend_entry_fail(vcpu, cpu, &ef);
}

/* --- checked mode --------------------------------------------------------- */

static uint8_t
xlat_rights(const struct emu_xlat *x)
{
	return ((uint8_t)((x->w ? VMMSIM_TSTALE_W : 0) |
	    (x->u ? VMMSIM_TSTALE_U : 0) | (x->nx ? VMMSIM_TSTALE_NX : 0) |
	    (x->dirty ? VMMSIM_TSTALE_D : 0) |
	    (x->global ? VMMSIM_TSTALE_G : 0)));
}

/* The CPU's report of a stale translation, into the vcpu's trace. */
static void
trace_stale(void *arg, const struct emu_stale_report *rep)
{
	struct vcpu *vcpu = arg;
	struct vmm_trace *t = vcpu->vc_trace;
	uint8_t r[VMMSIM_TREC_STALE_SIZE];

	if (t == NULL)
		return;
	memset(r, 0, sizeof(r));
	put16(r, VMMSIM_TREC_STALE);
	put32(r + 4, VMMSIM_TREC_STALE_SIZE);
	put64(r + VMMSIM_TSTALE_VTIME, rep->vtime);
	put32(r + VMMSIM_TSTALE_VM, vcpu->vc_parent->vm_id);
	put32(r + VMMSIM_TSTALE_VCPU, vcpu->vc_id);
	put64(r + VMMSIM_TSTALE_ROOT, rep->eptp);
	put16(r + VMMSIM_TSTALE_TAG, rep->vpid);
	put16(r + VMMSIM_TSTALE_FLAGS, rep->now_faults ?
	    VMMSIM_TSTALE_NOW_FAULTS : 0);
	put64(r + VMMSIM_TSTALE_VA, rep->va);
	put64(r + VMMSIM_TSTALE_OLD_GPA, rep->cached.gpa);
	put64(r + VMMSIM_TSTALE_OLD_HPA, rep->cached.hpa);
	r[VMMSIM_TSTALE_OLD_EPT] = rep->cached.ept;
	r[VMMSIM_TSTALE_OLD_RIGHTS] = xlat_rights(&rep->cached);
	if (!rep->now_faults) {
		put64(r + VMMSIM_TSTALE_NEW_GPA, rep->now.gpa);
		put64(r + VMMSIM_TSTALE_NEW_HPA, rep->now.hpa);
		r[VMMSIM_TSTALE_NEW_EPT] = rep->now.ept;
		r[VMMSIM_TSTALE_NEW_RIGHTS] = xlat_rights(&rep->now);
	}
	pthread_mutex_lock(&t->lock);
	put64(r + VMMSIM_TSTALE_SEQ, t->seq);
	if (t->error == 0 && fwrite(r, sizeof(r), 1, t->fp) != 1)
		t->error = EIO;
	pthread_mutex_unlock(&t->lock);
}

/*
 * Before a RUN: the CPU is in checked mode, reporting to the trace, while
 * the caller's trace asks for it (VMMSIM_TRACE_CHECK_TLB); afterwards it
 * goes back to what the environment set at its creation (emu.h).
 */
void
vmm_trace_tlb_check(struct vcpu *vcpu, struct emu_cpu *cpu)
{
	struct vmm_trace *t = vcpu->vc_trace;
	const char *env;

	if (t != NULL && (t->flags & VMMSIM_TRACE_CHECK_TLB)) {
		emu_cpu_set_tlb_check(cpu, trace_stale, vcpu);
		vcpu->vc_tlb_traced = 1;
		return;
	}
	if (!vcpu->vc_tlb_traced)
		return;
	vcpu->vc_tlb_traced = 0;
	env = getenv("VMMSIM_CHECK_TLB");
	if (env != NULL && strcmp(env, "0") != 0)
		emu_cpu_tlb_check_stderr(cpu);
	else
		emu_cpu_set_tlb_check(cpu, NULL, NULL);
}

/* vmmsim_trace_env(): VMMSIM_TRACE and VMMSIM_TRACE_SNAP. */
int
vmmsim_trace_env(int fd)
{
	const char *path = getenv("VMMSIM_TRACE");
	const char *snap = getenv("VMMSIM_TRACE_SNAP");
	unsigned long long n;
	char *end;
	int all, error;

	if (path == NULL || *path == '\0')
		return (0);
	all = snap != NULL && strcmp(snap, "all") == 0;
	if (vmmsim_trace_start(fd, path, all ? VMMSIM_TRACE_SNAP_ALL : 0) ==
	    -1)
		return (-1);
	if (all || snap == NULL)
		return (0);
	while (*snap != '\0') {
		errno = 0;
		n = strtoull(snap, &end, 0);
		if (end == snap || errno != 0 || (*end != ',' && *end != '\0')) {
			(void)vmmsim_trace_stop(fd);
			errno = EINVAL;
			return (-1);
		}
		if (vmmsim_trace_snap_at(fd, n) == -1) {
			error = errno;
			(void)vmmsim_trace_stop(fd);
			errno = error;
			return (-1);
		}
		snap = *end == ',' ? end + 1 : end;
	}
	return (0);
}
