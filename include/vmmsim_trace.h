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
 * The exit-trace file format (version 2), written by the monitor when a
 * handle traces (vmmsim_trace_start(), VMMSIM_TRACE=FILE) and read by
 * vmmsim trace, vmmsim vmcs and vmmsim ept.  docs/trace-format.md is
 * the prose version of this header.
 *
 * Every integer is little-endian.  The file is a header followed by
 * records; each record starts with the same 8 bytes (type, flags, total
 * size), so a reader skips the types it does not know.
 *
 * Header (VMMSIM_TRACE_HDR_SIZE bytes):
 *	0	magic "VMMTRACE" (8 bytes)
 *	8	u32 version (VMMSIM_TRACE_VERSION)
 *	12	u32 header size
 *	16	u32 vendor (VMMSIM_TRACE_VENDOR_*)
 *	20	u32 reserved, 0
 *	24	u64 reserved, 0
 *
 * Record header:
 *	0	u16 type (VMMSIM_TREC_*)
 *	2	u16 flags: bit 15 VMMSIM_TREC_NESTED in every type, the
 *		others type-specific
 *	4	u32 size of the whole record in bytes
 *
 * Version 2 adds nested records (VMMSIM_TREC_NESTED): in bare-metal mode
 * the VM's guest is a hypervisor (L1) whose own guest (L2) runs on an
 * inner simulated CPU; L2's exits, the snapshots of L1's VMCS or VMCB
 * and L1's EPT or NPT tables, and the entry failures of L1's VMLAUNCH,
 * VMRESUME and VMRUN are recorded with that bit.  A version 1 file is a
 * version 2 file without them.
 */

#ifndef VMMSIM_TRACE_H
#define VMMSIM_TRACE_H

#define VMMSIM_TRACE_MAGIC		"VMMTRACE"
#define VMMSIM_TRACE_MAGIC_LEN		8
#define VMMSIM_TRACE_VERSION		2
#define VMMSIM_TRACE_VERSION_MIN	1	/* the oldest a reader takes */
#define VMMSIM_TRACE_HDR_SIZE		32

#define VMMSIM_TRACE_VENDOR_INTEL	1	/* VT-x: VMCS, EPT */
#define VMMSIM_TRACE_VENDOR_AMD		2	/* AMD-V: VMCB, NPT */

#define VMMSIM_TREC_HDR_SIZE		8
#define VMMSIM_TREC_EXIT		1
#define VMMSIM_TREC_SNAP		2

/*
 * Record-header flag of every type: the record is of the nested level.
 * An exit is L2's, taken on the inner CPU and handed to L1 (action
 * VMMSIM_TACT_L1); its registers, mode, instruction bytes (fetched
 * through L2's page tables and L1's EPT/NPT) and virtual time (the inner
 * CPU's: L2's retired instructions) are L2's.  A snapshot holds L1's
 * VMCS (or VMCB) and L1's EPT (NPT) tables, whose host-physical
 * addresses are the VM's guest-physical ones.  A nested exit follows
 * the exit of L1's VMLAUNCH, VMRESUME or VMRUN that ran L2, and an
 * entry failure that gave no L2 exit (VMfailInvalid, VMfailValid) has
 * that L1 exit's seq.
 */
#define VMMSIM_TREC_NESTED		0x8000

/*
 * An exit (VMMSIM_TREC_EXIT, VMMSIM_TREC_EXIT_SIZE bytes): one per VM
 * exit the monitor handled, in the order they happened.  The values are
 * those of the exit, before the monitor's handler ran.
 *	8	u64 seq: the exit's number in this file, from 0
 *	16	u64 vtime: the vcpu's virtual time, ns
 *	24	u32 VM id, 28 u32 vcpu id
 *	32	u64 reason: VMX exit-reason field (basic reason in 15:0,
 *		entry failure in bit 31) or SVM EXITCODE
 *	40	u64 VMX exit qualification / SVM EXITINFO1
 *	48	u64 VMX guest-linear address / SVM EXITINFO2
 *	56	u64 guest-physical address (VMX field; SVM NPF: EXITINFO2)
 *	64	u64 RIP, 72 RAX, 80 RCX, 88 RDX
 *	96	u32 VMX VM-exit interruption information (SVM: 0)
 *	100	u32 VMX VM-exit interruption error code (SVM: 0)
 *	104	u32 VMX IDT-vectoring information / SVM EXITINTINFO 31:0
 *	108	u8 CS mode: 16, 32 or 64 (0: unknown)
 *	109	u8 VMX VM-exit instruction length (SVM: nRIP - RIP or 0)
 *	110	u8 number of instruction bytes at RIP (0-15)
 *	111	u8 action (VMMSIM_TACT_*)
 *	112	u16 the exit reason RUN returned (action USER)
 *	114	u8 vector of the exception the monitor queued (0xFF: none)
 *	115	u8 errno value (action FATAL)
 *	116	u32 reserved, 0
 *	120	15 instruction bytes at RIP (as the guest fetches them), 1 pad
 * Flags: VMMSIM_TEXIT_LINEAR (the linear-address field is valid),
 * VMMSIM_TEXIT_GPA (the guest-physical address is valid),
 * VMMSIM_TREC_NESTED (L2's exit).
 */
#define VMMSIM_TREC_EXIT_SIZE		136
#define VMMSIM_TEXIT_SEQ		8
#define VMMSIM_TEXIT_VTIME		16
#define VMMSIM_TEXIT_VM			24
#define VMMSIM_TEXIT_VCPU		28
#define VMMSIM_TEXIT_REASON		32
#define VMMSIM_TEXIT_QUAL		40
#define VMMSIM_TEXIT_INFO2		48
#define VMMSIM_TEXIT_GPA_OFF		56
#define VMMSIM_TEXIT_RIP		64
#define VMMSIM_TEXIT_RAX		72
#define VMMSIM_TEXIT_RCX		80
#define VMMSIM_TEXIT_RDX		88
#define VMMSIM_TEXIT_INTR_INFO		96
#define VMMSIM_TEXIT_INTR_ERR		100
#define VMMSIM_TEXIT_IDT_VECT		104
#define VMMSIM_TEXIT_MODE		108
#define VMMSIM_TEXIT_INSN_LEN		109
#define VMMSIM_TEXIT_NBYTES		110
#define VMMSIM_TEXIT_ACTION		111
#define VMMSIM_TEXIT_USER_EXIT		112
#define VMMSIM_TEXIT_INJECT		114
#define VMMSIM_TEXIT_ERRNO		115
#define VMMSIM_TEXIT_BYTES		120
#define VMMSIM_TEXIT_MAXBYTES		15

#define VMMSIM_TEXIT_LINEAR		0x0001
#define VMMSIM_TEXIT_GPA		0x0002

#define VMMSIM_TACT_KERNEL		0	/* handled; the guest went on */
#define VMMSIM_TACT_USER		1	/* RUN returned this exit */
#define VMMSIM_TACT_FATAL		2	/* the vcpu is terminated */
#define VMMSIM_TACT_L1			3	/* nested: L1 goes on at its host RIP */
#define VMMSIM_TINJECT_NONE		0xFF

/*
 * A snapshot (VMMSIM_TREC_SNAP): the VMCS or VMCB and the nested page
 * tables as they were at an exit, written right after that exit's
 * record, before the monitor's handler changed anything.
 *	8	u64 seq of the exit
 *	16	u32 VM id, 20 u32 vcpu id
 *	24	u32 count: VMCS fields (Intel) or VMCB bytes (AMD, 4096)
 *	28	u32 number of nested page-table pages
 *	32	u64 EPTP (Intel) or nCR3 (AMD)
 *	40	Intel: count x { u32 field encoding, u32 0, u64 value }, every
 *		field VMREAD could read; AMD: the 4096 bytes of the VMCB
 *	then	pages x { u64 host-physical address, 4096 bytes }: every EPT
 *		or NPT paging-structure page reachable from the root
 */
#define VMMSIM_TSNAP_SEQ		8
#define VMMSIM_TSNAP_VM			16
#define VMMSIM_TSNAP_VCPU		20
#define VMMSIM_TSNAP_COUNT		24
#define VMMSIM_TSNAP_NPAGES		28
#define VMMSIM_TSNAP_ROOT		32
#define VMMSIM_TSNAP_DATA		40
#define VMMSIM_TSNAP_FIELD_SIZE		16
#define VMMSIM_TSNAP_PAGE_SIZE		(8 + 4096)
#define VMMSIM_TSNAP_VMCB_SIZE		4096

/*
 * A failed VM entry (VMMSIM_TREC_ENTRY_FAIL): VMLAUNCH or VMRESUME that
 * gave VMfailInvalid or VMfailValid, or a VM exit with the entry-failure
 * bit (exit reasons 33, 34); VMRUN that gave VMEXIT_INVALID.  When the
 * failure is an exit, its exit record comes first and seq is its number;
 * otherwise seq is VMMSIM_TFAIL_NOEXIT.  The check that failed is named
 * by four NUL-terminated strings, in this order, after the fixed part:
 * the rule's name, its SDM Vol. 3C (Intel) or APM Vol. 2 (AMD) section,
 * the rule in one line, and the field values that broke it.  They are
 * all empty when no check is to blame (VMfailInvalid, a VMCS in the
 * wrong launch state).  The record's size covers the strings, rounded up
 * to 8 bytes.
 *	8	u64 seq of the exit, or VMMSIM_TFAIL_NOEXIT
 *	16	u64 vtime
 *	24	u32 VM id, 28 u32 vcpu id
 *	32	u8 instruction (VMMSIM_TFAIL_VMLAUNCH, _VMRESUME, _VMRUN)
 *	33	u8 result (VMMSIM_TFAIL_*)
 *	34	u16 reserved, 0
 *	36	u32 VM-instruction error (result VMFAIL_VALID), else 0
 *	40	u64 exit reason field (VMX, bit 31 set) or EXITCODE (SVM)
 *	48	u64 exit qualification (VMX exit reasons 33/34), else 0
 *	56	the four strings
 */
#define VMMSIM_TREC_ENTRY_FAIL		3
#define VMMSIM_TFAIL_SEQ		8
#define VMMSIM_TFAIL_VTIME		16
#define VMMSIM_TFAIL_VM			24
#define VMMSIM_TFAIL_VCPU		28
#define VMMSIM_TFAIL_INSN		32
#define VMMSIM_TFAIL_RESULT		33
#define VMMSIM_TFAIL_VM_ERROR		36
#define VMMSIM_TFAIL_REASON		40
#define VMMSIM_TFAIL_QUAL		48
#define VMMSIM_TFAIL_STRINGS		56
#define VMMSIM_TFAIL_MAXSIZE		1024
#define VMMSIM_TFAIL_NOEXIT		0xFFFFFFFFFFFFFFFFULL

#define VMMSIM_TFAIL_VMLAUNCH		1
#define VMMSIM_TFAIL_VMRESUME		2
#define VMMSIM_TFAIL_VMRUN		3

#define VMMSIM_TFAIL_VMFAIL_INVALID	1	/* no current VMCS */
#define VMMSIM_TFAIL_VMFAIL_VALID	2	/* error number in the VMCS */
#define VMMSIM_TFAIL_EXIT		3	/* VMX exit reason 33 or 34 */
#define VMMSIM_TFAIL_VMEXIT_INVALID	4	/* SVM consistency check */

/*
 * A stale translation used (VMMSIM_TREC_STALE, VMMSIM_TREC_STALE_SIZE
 * bytes), recorded when the trace was started with
 * VMMSIM_TRACE_CHECK_TLB: the guest used a cached translation (tagged
 * with VPID and EPTP on Intel, ASID on AMD) that a fresh walk
 * of its page tables and the nested tables no longer gives, because
 * nobody invalidated it (INVLPG, MOV CR3, INVVPID, INVEPT, TLB_CONTROL).
 *	8	u64 the number the vcpu's next exit gets (the use came
 *		before that exit)
 *	16	u64 vtime
 *	24	u32 VM id, 28 u32 vcpu id
 *	32	u64 EPTP of the cached translation (Intel; AMD tags its
 *		translations by ASID alone, and this is 0)
 *	40	u16 VPID (Intel) or ASID (AMD)
 *	42	u16 flags: VMMSIM_TSTALE_NOW_FAULTS (a fresh walk faults)
 *	44	u32 reserved, 0
 *	48	u64 linear address (the page)
 *	56	u64 cached guest-physical page, 64 u64 cached host-physical
 *	72	u64 fresh guest-physical page, 80 u64 fresh host-physical
 *		(both 0 when the walk faults)
 *	88	u8 cached EPT/NPT rights (bit 0 R, 1 W, 2 X)
 *	89	u8 cached guest rights (VMMSIM_TSTALE_W, _U, _NX, _D, _G)
 *	90	u8 fresh EPT/NPT rights, 91 u8 fresh guest rights
 *	92	u32 reserved, 0
 */
#define VMMSIM_TREC_STALE		4
#define VMMSIM_TREC_STALE_SIZE		96
#define VMMSIM_TSTALE_SEQ		8
#define VMMSIM_TSTALE_VTIME		16
#define VMMSIM_TSTALE_VM		24
#define VMMSIM_TSTALE_VCPU		28
#define VMMSIM_TSTALE_ROOT		32
#define VMMSIM_TSTALE_TAG		40
#define VMMSIM_TSTALE_FLAGS		42
#define VMMSIM_TSTALE_VA		48
#define VMMSIM_TSTALE_OLD_GPA		56
#define VMMSIM_TSTALE_OLD_HPA		64
#define VMMSIM_TSTALE_NEW_GPA		72
#define VMMSIM_TSTALE_NEW_HPA		80
#define VMMSIM_TSTALE_OLD_EPT		88
#define VMMSIM_TSTALE_OLD_RIGHTS	89
#define VMMSIM_TSTALE_NEW_EPT		90
#define VMMSIM_TSTALE_NEW_RIGHTS	91

#define VMMSIM_TSTALE_NOW_FAULTS	0x0001

#define VMMSIM_TSTALE_W			0x01	/* writable */
#define VMMSIM_TSTALE_U			0x02	/* user */
#define VMMSIM_TSTALE_NX		0x04	/* no execute */
#define VMMSIM_TSTALE_D			0x08	/* dirty */
#define VMMSIM_TSTALE_G			0x10	/* global */

#endif /* VMMSIM_TRACE_H */
