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
 * vmmsim's in-process /dev/vmm.
 *
 * vmmsim_open() stands for open("/dev/vmm", O_RDWR), vmmsim_ioctl() for
 * ioctl(2) and vmmsim_close() for close(2).  They keep the system calls'
 * conventions: a descriptor or 0 on success, -1 with errno on failure.
 * The descriptor is a real file descriptor of this process (it refers to
 * /dev/null), so it never collides with another descriptor; only these
 * functions (or the libvmmdev.so shim) give it its /dev/vmm meaning.
 *
 * Every handle stands for a process: it carries a pid (the real one unless
 * vmmsim_open_as() says otherwise) and optional pledge(2) promises, so the
 * contract's creator-pid and pledge rules can be exercised in one process.
 */

#ifndef VMMSIM_H
#define VMMSIM_H

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>

#include <dev/vmm/vmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vmmsim_open() flags: which simulated CPU vendor the device runs on. */
#define VMMSIM_OPEN_DEFAULT	0x0	/* $VMMSIM_CPU, else Intel */
#define VMMSIM_OPEN_INTEL	0x1	/* VT-x with EPT (VMM_MODE_EPT) */
#define VMMSIM_OPEN_AMD		0x2	/* AMD-V with RVI (VMM_MODE_RVI) */
/*
 * Opt out of one OpenBSD quirk for the VMs this handle creates: an event
 * whose delivery an exit interrupted (IDT-vectoring information valid,
 * most often an EPT violation on a guest page not mapped yet) is delivered
 * again on the next entry, as the SDM asks of a monitor.  OpenBSD's kernel
 * ignores that information, so by default the event is lost.
 */
#define VMMSIM_OPEN_REDELIVER	0x10
/*
 * Bare-metal mode for the VMs this handle creates (docs/bare-metal.md):
 * the guest sees a CPU with VMX (Intel) or SVM (AMD) -- CPUID, the
 * capability MSRs, IA32_FEATURE_CONTROL -- and its own VMX or SVM
 * instructions run on the simulated CPU, so a hypervisor written by a
 * user runs as the guest and runs guests of its own.
 */
#define VMMSIM_OPEN_BARE_METAL	0x20

int	vmmsim_open(int flags);
int	vmmsim_open_as(pid_t pid, const char *promises, int flags);
int	vmmsim_pledge(int fd, const char *promises);
int	vmmsim_ioctl(int fd, unsigned long cmd, void *arg);
int	vmmsim_close(int fd);

/*
 * vmmsim's one extension to the contract: the virtual time of a vcpu, in
 * nanoseconds (its retired guest instructions at the simulated 1 GHz, plus
 * the time it was declared halted with vmmsim_vcpu_idle()), so that a
 * vmd-like program can drive device timers deterministically.
 * 0, or -1 with errno (ENOENT: no such VM or vcpu; EBADF: not a vmmsim
 * handle).
 */
int	vmmsim_vcpu_vtime(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    uint64_t *ns);

/*
 * Another extension: make VMM_IOC_RUN on this vcpu return to its caller
 * (exit reason VM_EXIT_NONE, as for a signal) at the first exit at or after
 * virtual time ns; the CPU takes a host interrupt exactly there, so a
 * guest spinning without exits comes back on time.  0 turns it off.  This
 * is how a vmd-like loop fires device timers on virtual time.  0, or -1
 * with errno (ENOENT, ENODEV, EBADF as above).
 */
int	vmmsim_vcpu_stop_at(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    uint64_t ns);

/*
 * And: the vcpu stayed halted for ns between two RUNs (a vmd-like loop
 * that handled a HLT exit by waiting for its next timer), so its virtual
 * time moves on by ns.  Virtual time is what the guest reads as its TSC
 * and its pvclock, so a guest clock runs on while the guest idles, as on
 * hardware, instead of standing still until the next instruction
 * retires.  Waits for an in-flight RUN, as READREGS does.  0, or -1 with
 * errno (EBUSY: the vcpu is not stopped (it was terminated); EINVAL:
 * virtual time would wrap; ENOENT, ENODEV, EBADF as above).
 */
int	vmmsim_vcpu_idle(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    uint64_t ns);

/*
 * And: guest memory [gpa, gpa + len) was written from outside the guest
 * (a device's DMA, a loader) while the VM existed.  On hardware such
 * writes are coherent with instruction fetch; the simulated CPUs keep
 * translated code and cannot see them, so a program that may write
 * bytes a guest has executed before says so, and every vcpu of the VM
 * forgets the code it decoded from there before it next runs.  vmmsim's
 * own devices call it for every write to guest memory.  A program that
 * writes guest code only before the first RUN needs none of it.
 * Cheap: it only notes the range.  0, or -1 with errno (EINVAL: the
 * range wraps; ENOENT: no such VM; EBADF as above).
 */
int	vmmsim_guest_written(int fd, uint32_t vm_id, uint64_t gpa,
	    uint64_t len);

/*
 * Snapshots (docs/snapshot-format.md): the part of a vcpu's state that
 * VMM_IOC_READREGS and READVMPARAMS cannot express, for saving a VM
 * between two VMM_IOC_RUN calls and restoring it into a new VM whose
 * vcpu then goes on exactly as the old one would have.  The registers,
 * MSRs and the paravirtual clock go through the contract; this holds the
 * rest: virtual time, the x87/SSE registers (the monitor's to switch,
 * as OpenBSD's vmm does with xsave), an event the monitor holds for
 * injection, the shadow PAT, and the VMCS or VMCB guest fields that
 * vm_rwregs has no slot for (the field lists are in the document).
 *
 * Save refuses with EBUSY while the vcpu owes the completion of an I/O
 * or MMIO exit (its result comes in with the next RUN): take a snapshot
 * at another exit.  Restore wants a vcpu of the same vendor (EINVAL
 * otherwise) that has not run yet (EBUSY).  Both: 0, or -1 with errno
 * (ENOENT, ENODEV, EBADF as for vmmsim_vcpu_vtime()).
 */
#define VMMSIM_SNAP_NFIELDS	12
#define VMMSIM_SNAP_FPU_BYTES	400	/* x87 control, ST0-7, XMM0-15 */

struct vmmsim_vcpu_snap {
	uint32_t	vs_vendor;	/* VMMSIM_OPEN_INTEL or _AMD */
	uint32_t	vs_exit_reason;	/* the last exit, as the monitor saw it */
	uint64_t	vs_vtime;	/* ns */
	uint64_t	vs_shadow_pat;
	uint32_t	vs_event_type;	/* VCPU_INJECT_*: held by the monitor */
	uint32_t	vs_event_vector;
	uint32_t	vs_event_error;
	uint32_t	vs_irqready;	/* the monitor's vc_irqready */
	uint64_t	vs_redeliver[3];	/* an interrupted event (REDELIVER) */
	uint64_t	vs_rng;		/* the CPU's RDRAND/RDSEED generator */
	uint64_t	vs_cr2;		/* VMX: WRITEREGS leaves CR2 alone */
	uint64_t	vs_field[VMMSIM_SNAP_NFIELDS];
	uint8_t		vs_fpu[VMMSIM_SNAP_FPU_BYTES];
};

int	vmmsim_vcpu_snap_save(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    struct vmmsim_vcpu_snap *);
int	vmmsim_vcpu_snap_restore(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    const struct vmmsim_vcpu_snap *);
/*
 * Which pages of [gpa, gpa + 4096 * npages) the VM's EPT/NPT maps, one
 * bit per page in bm (cleared by the caller), or (map non-zero) map
 * exactly the pages whose bits are set.  Part of a snapshot because this
 * monitor loses an event whose delivery faults, so a fresh nested page
 * table would change what the guest sees.  0, or -1 with errno.
 */
int	vmmsim_vcpu_snap_pages(int fd, uint32_t vm_id, uint32_t vcpu_id,
	    uint64_t gpa, uint64_t npages, uint8_t *bm, int map);

/*
 * Exit traces: every VM exit that a vcpu takes while this handle runs it
 * is recorded in the file at path (format: vmmsim_trace.h,
 * docs/trace-format.md): virtual time, reason, qualification, addresses,
 * RIP, CS mode, the instruction bytes, and what the monitor did.  With
 * VMMSIM_TRACE_SNAP_ALL every exit also gets a snapshot of the VMCS or
 * VMCB and of the nested page tables; vmmsim_trace_snap_at() asks for
 * one at a single exit (its number in the file, from 0).  A failed VM
 * entry is recorded with the check that failed it.  Stopping (or
 * closing the handle) flushes and closes the file.  0, or -1 with errno:
 * EBADF (not a vmmsim handle), EBUSY (already tracing), EINVAL (bad flags
 * or path), ENOENT (not tracing), ENOSPC (too many snapshot points), the
 * errno of fopen(3), or EIO when a write failed.
 */
#define VMMSIM_TRACE_SNAP_ALL	0x1
/*
 * VMMSIM_TRACE_CHECK_TLB: the vcpus run in the simulated CPU's checked
 * mode while they trace, and each use of a stale translation (one that
 * no INVLPG, MOV CR3, INVVPID, INVEPT or TLB_CONTROL removed though the
 * tables changed) is recorded in the trace.
 */
#define VMMSIM_TRACE_CHECK_TLB	0x2

int	vmmsim_trace_start(int fd, const char *path, int flags);
int	vmmsim_trace_snap_at(int fd, uint64_t exitno);
int	vmmsim_trace_stop(int fd);

/*
 * Start tracing as the environment says: VMMSIM_TRACE=FILE, and
 * VMMSIM_TRACE_SNAP="all" or a comma-separated list of exit numbers.
 * 0 when VMMSIM_TRACE is unset or empty; else as vmmsim_trace_start().
 */
int	vmmsim_trace_env(int fd);

/* 1 if fd is an open vmmsim handle, else 0. */
int	vmmsim_is_handle(int fd);

/*
 * Where the monitor's console messages (OpenBSD's printf(9) and pledge
 * violation reports) go: stderr by default, nowhere when NULL.
 */
void	vmmsim_set_log(FILE *fp);

/* The library's version string, e.g. "0.1.0". */
const char *vmmsim_version(void);

#ifdef __cplusplus
}
#endif

#endif /* VMMSIM_H */
