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
 * The vmd-like run loop for one vcpu: VMM_IOC_RUN after VMM_IOC_RUN,
 * dispatching I/O exits through the 64K port table to the PC devices
 * (i8259 pair, i8253 and port 0x61, COM1, mc146818), injecting the PIC's
 * interrupts with the contract's protocol, and sleeping through HLT in
 * virtual time.  Device time is the vcpu's virtual time (vmmsim's
 * vmmsim_vcpu_vtime()) plus the time skipped while the guest was halted,
 * so every run with the same guest and inputs is the same.
 *
 * MMIO exits go through a range table (mmio.h) that callers fill through
 * vmrun_mmio(); emulating them needs the guest's memory, for the page
 * tables and the instruction bytes.
 *
 * It uses only the ioctl contract and that one query.
 */

#ifndef VMMSIM_DEVICES_VMRUN_H
#define VMMSIM_DEVICES_VMRUN_H

#include <stdint.h>

struct guestmem;
struct mmio_table;
struct vmrun;

struct vmrun_params {
	int		 fd;		/* an open vmmsim handle */
	uint32_t	 vm_id;		/* a VM whose vcpu 0 was reset */
	uint64_t	 ram_bytes;	/* for the CMOS memory-size bytes */
	int64_t		 rtc_start;	/* RTC time at start, s since 1970 */
	/* Where COM1's and the 0x402 debug port's output goes. */
	void		(*console)(void *arg, uint8_t byte);
	void		 *console_arg;
	/*
	 * The VM's memory as given to VMM_IOC_CREATE, or NULL: then an MMIO
	 * exit ends the run with EOPNOTSUPP.
	 */
	const struct guestmem *mem;
};

/* How a run ended. */
struct vmrun_result {
	int		 status;	/* (value << 1) | 1 for port 0xF4, or 0 */
	int		 reset;		/* the guest reset (triple fault, ...) */
	uint64_t	 vtime_ns;	/* the vcpu's virtual time at the end */
	uint64_t	 idle_ns;	/* time skipped in HLT */
	uint64_t	 runs;		/* VMM_IOC_RUN calls */
	uint64_t	 irqs;		/* interrupts injected */
};

struct vmrun	*vmrun_create(const struct vmrun_params *, int *errorp);
void		 vmrun_destroy(struct vmrun *);
int		 vmrun_loop(struct vmrun *, struct vmrun_result *);

/* The MMIO range table, for devices to register their regions in. */
struct mmio_table *vmrun_mmio(struct vmrun *);

/*
 * Why the last vmrun_loop() failed, in one line ("" if it did not or no
 * more is known than its errno value).
 */
const char	*vmrun_error(const struct vmrun *);

#endif /* VMMSIM_DEVICES_VMRUN_H */
