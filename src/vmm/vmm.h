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
 * The monitor ("the kernel"): the machine-independent part of vmm(4) —
 * softc, VM list, struct vm and struct vcpu, the vm_* operations — and the
 * interface to its machine-dependent half (vmm_machdep.h).
 *
 * Locking annotations, as in OpenBSD:
 *	a	atomic operations
 *	I	immutable after create
 *	r	reference count
 *	v	vcpu list rwlock (vm_vcpu_lock) / vm list rwlock (vm_lock)
 *	V	vmm_softc's vm_lock
 *	p	vpid_lock
 *	l	the vcpu's own rwlock (vc_lock)
 *	w	the vcpu's vc_wlock
 */

#ifndef VMMSIM_VMM_H
#define VMMSIM_VMM_H

#include <sys/queue.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <dev/vmm/vmm.h>

#include "refcnt.h"

/* glibc's <sys/queue.h> lacks the _SAFE iterators of the BSDs. */
#ifndef SLIST_FOREACH_SAFE
#define SLIST_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = SLIST_FIRST(head);					\
	    (var) && ((tvar) = SLIST_NEXT(var, field), 1);		\
	    (var) = (tvar))
#endif

#define PAGE_SIZE	4096UL
#define PAGE_MASK	(PAGE_SIZE - 1)
#define PAGE_SHIFT	12

/*
 * User address-space bounds checked by CREATE.  OpenBSD uses its own
 * VM_MIN_ADDRESS (PAGE_SIZE) and VM_MAXUSER_ADDRESS; the upper bound here is
 * the host's, Linux x86-64 user space.
 */
#define VM_MIN_ADDRESS		PAGE_SIZE
#define VM_MAXUSER_ADDRESS	0x00007ffffffff000UL

/* vmm_softc.mode */
#define VMM_MODE_UNKNOWN	0
#define VMM_MODE_EPT		1
#define VMM_MODE_RVI		2

/* vmm_softc.sc_status */
#define VMM_SUSPENDED		0U
#define VMM_ACTIVE		1U

/* pledge(2) promises that matter to vmm(4) */
#define PLEDGE_PROC		0x0001
#define PLEDGE_VMM		0x0002
#define PLEDGE_ERROR		0x0004

/*
 * A process as the monitor sees it: who is calling (creator pid rules) and
 * under which promises (pledge rules).  One per handle.
 */
struct proc {
	pid_t		p_pid;		/* [I] */
	int		p_pledged;	/* has pledged at all */
	uint32_t	p_pledge;	/* PLEDGE_* promises */
	int		p_redeliver;	/* [I] VMMSIM_OPEN_REDELIVER */
	int		p_bare;		/* [I] VMMSIM_OPEN_BARE_METAL */
	struct vmm_trace *p_trace;	/* [a] exit trace (vmm_trace.c) */
};

/* The process making the current ioctl (set by the device layer). */
extern __thread struct proc *curproc;

struct vm;
struct vmm_nested;
struct vmm_trace;
struct vmm_trace_pend;
struct vcpu_md;
struct vm_md;
struct vmm_softc_md;

/* Guest memory object: one per non-MMIO range (uvm's aobj). */
struct vm_mem_obj {
	int		mo_fd;		/* [I] memfd holding the pages */
	size_t		mo_size;	/* [I] */
	void		*mo_kva;	/* [I] the monitor's own mapping */
	struct refcnt	mo_refcnt;
};

#define VCPU_WRITTEN_MAX	32
#define VCPU_WRITTEN_ALL	(~0U)

/*
 * Signals during RUN (vmm_signal.c): CHAIN holds a handler back with a
 * trampoline, MASK blocks the asynchronous signals for the RUN.
 */
#define VMM_SIG_CHAIN	1
#define VMM_SIG_MASK	2
struct vmm_sig_run {
	int		 mode;
	sigset_t	 omask;		/* MASK: the caller's mask */
};
int	vmm_sig_mode(void);
void	vmm_sig_enter(struct vmm_sig_run *);
void	vmm_sig_leave(struct vmm_sig_run *);
int	vmm_sig_pending(const struct vmm_sig_run *);
int	vmm_sig_probe(int, const struct sigaction *, struct sigaction *);

struct vcpu {
	uint32_t		vc_id;		/* [I] */
	struct vm		*vc_parent;	/* [I] */
	uint16_t		vc_vpid;	/* [I] VPID or ASID */
	int			vc_virt_mode;	/* [I] VMM_MODE_EPT or _RVI */

	volatile unsigned int	vc_state;	/* [a] VCPU_STATE_* */
	pthread_rwlock_t	vc_lock;

	/* Interrupt protocol (vmm-contract.md §11) */
	volatile uint16_t	vc_intr;	/* [a] set by INTR and RUN */
	uint8_t			vc_irqready;	/* [l] */
	uint64_t		vc_stop_at;	/* [a] vmmsim_vcpu_stop_at, ns */

	struct vcpu_md		*vc_md;		/* [l] machine-dependent part */
	struct vmm_trace	*vc_trace;	/* [l] the RUN caller's trace */
	struct vmm_sig_run	 vc_sigrun;	/* [l] signals during RUN */
	int			vc_tlb_traced;	/* [l] checked mode reports to it */
	uint64_t		vc_trace_seq;	/* [l] seq of the exit handled */
	struct vmm_trace_pend	*vc_trace_pend;	/* [l] nested records for
						   after it (vmm_trace.c) */
	struct vmm_nested	*vc_nested;	/* [l] bare metal: vmm_nested.c */

	/*
	 * Guest memory written from outside (vmmsim_guest_written) since
	 * the vcpu last ran: its CPU forgets code decoded from there before
	 * the next entry.  VCPU_WRITTEN_ALL when the list overflowed.
	 */
	pthread_mutex_t		vc_wlock;
	uint64_t		vc_written[VCPU_WRITTEN_MAX][2]; /* [w] gpa, len */
	unsigned int		vc_nwritten;	/* [w], read [a] */

	SLIST_ENTRY(vcpu)	vc_vcpu_link;	/* [v] */
};

SLIST_HEAD(vcpu_head, vcpu);

struct vm {
	uint32_t		vm_id;			/* [I] */
	pid_t			vm_creator_pid;		/* [I] */
	int			vm_redeliver;		/* [I] see vmmsim.h */
	int			vm_bare;		/* [I] bare-metal mode */
	size_t			vm_nmemranges;		/* [I] */
	size_t			vm_memory_size;		/* [I] */
	char			vm_name[VMM_MAX_NAME_LEN]; /* [I] */
	struct vm_mem_range	vm_memranges[VMM_MAX_MEM_RANGES]; /* [I] */
	struct vm_mem_obj	*vm_memory_slot[VMM_MAX_MEM_RANGES]; /* [I] */

	struct refcnt		vm_refcnt;		/* [a] */
	volatile unsigned int	vm_dying;		/* [a] */

	struct vcpu_head	vm_vcpu_list;		/* [v] */
	uint32_t		vm_vcpu_ct;		/* [v] */
	pthread_rwlock_t	vm_vcpu_lock;

	struct vm_md		*vm_md;			/* machine-dependent */

	SLIST_ENTRY(vm)		vm_link;		/* [V] */
};

SLIST_HEAD(vmlist_head, vm);

struct vmm_softc {
	volatile unsigned int	sc_status;	/* [a] VMM_ACTIVE */

	struct vmlist_head	vm_list;	/* [v] */
	int			mode;		/* [I] VMM_MODE_* */
	size_t			vcpu_ct;	/* [v] */
	size_t			vcpu_max;	/* [I] */
	pthread_rwlock_t	vm_lock;
	size_t			vm_ct;		/* [v] no. of in-memory VMs */
	size_t			vm_idx;		/* [a] next unique VM index */

	pthread_mutex_t		vpid_lock;
	uint16_t		max_vpid;	/* [I] */
	uint8_t			vpids[512];	/* [p] bitmap of VPID/ASIDs */

	struct vmm_softc_md	*sc_md;		/* machine-dependent */
};

/* One simulated host per vendor; attached on first open. */
extern struct vmm_softc *vmm_softc_for_mode(int mode);

/* vmm.c: the machine-independent operations */
int	vmm_attach(int mode, struct vmm_softc **);
int	vmmioctl(struct vmm_softc *, unsigned long, void *);
int	pledge_ioctl_vmm(struct proc *, unsigned long);
int	vm_find(struct vmm_softc *, uint32_t, struct vm **);
struct vcpu *vm_find_vcpu(struct vm *, uint32_t);
int	vm_create(struct vmm_softc *, struct vm_create_params *, struct proc *);
size_t	vm_create_check_mem_ranges(struct vm_create_params *);
void	vm_teardown(struct vmm_softc *, struct vm **);
int	vm_get_info(struct vmm_softc *, struct vm_info_params *);
int	vm_terminate(struct vmm_softc *, struct vm_terminate_params *);
int	vm_terminate_found(struct vmm_softc *, struct vm *);
int	vm_resetcpu(struct vmm_softc *, struct vm_resetcpu_params *);
int	vcpu_must_stop(struct vcpu *);
int	vm_share_mem(struct vmm_softc *, struct vm_sharemem_params *,
	    struct proc *);
int	pledge_fail(struct proc *, int, uint32_t);

/* vmm_mem.c: guest memory objects and user copies */
int	vm_mem_obj_share_in(vaddr_t, size_t, struct vm_mem_obj **);
int	vm_mem_obj_map_at(struct vm_mem_obj *, vaddr_t);
void	vm_mem_obj_rele(struct vm_mem_obj *);
int	munmap_range(vaddr_t, size_t);
int	copyin(const void *, void *, size_t);
int	copyout(const void *, void *, size_t);
void	copy_init(void);

/* vpid.c */
int	vmm_alloc_vpid(struct vmm_softc *, uint16_t, uint16_t *);
void	vmm_free_vpid(struct vmm_softc *, uint16_t);

/* log.c: the console */
void	vmm_printf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif /* VMMSIM_VMM_H */
