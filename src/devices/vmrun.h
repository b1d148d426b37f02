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
 * virtual time.  With the guest's memory it also has a PCI host bridge
 * with virtio devices, QEMU's fw_cfg (what SeaBIOS needs), and does
 * string port I/O (strio.h).  A guest reset (triple fault, 0xFE to port
 * 0x64, port 0x92 bit 0, port 0xCF9) ends the loop; the caller decides
 * whether to reboot (vmrun_reset()).  Device time is the vcpu's virtual time (vmmsim's
 * vmmsim_vcpu_vtime()) plus the time skipped while the guest was halted,
 * so every run with the same guest and inputs is the same.
 *
 * MMIO exits go through a range table (mmio.h) that callers fill through
 * vmrun_mmio(); emulating them needs the guest's memory, for the page
 * tables and the instruction bytes.
 *
 * It uses only the ioctl contract and that one query.
 *
 * The loop runs on a thread of its own; other threads may ask it to stop
 * (vmrun_stop()), feed COM1's receiver (vmrun_input()) and read a status
 * snapshot (vmrun_status()).  Those three are the only calls that are safe
 * while vmrun_loop() runs.  A run with no input is as deterministic as
 * before; console input arrives at whatever virtual time the host delivers
 * it, so a run with input repeats only as far as the guest's behaviour does
 * not depend on that timing.  Deterministic mode (struct vmrun_det) pins it
 * down: input and stops are then taken only at points that depend on the
 * guest alone, and reported there for a replay log (tools/replay.c).
 */

#ifndef VMMSIM_DEVICES_VMRUN_H
#define VMMSIM_DEVICES_VMRUN_H

#include <stdint.h>

struct guestmem;
struct mmio_table;
struct vmrun;
struct vmrun_det;
struct vmrun_point;

#define VMRUN_MAX_DISKS		4
#define VMRUN_DEFAULT_SEED	0x766d6d73696dULL	/* "vmmsim" */

struct vmrun_disk {
	const char	*path;		/* a raw image file */
	int		 readonly;
};

struct vmrun_params {
	int		 fd;		/* an open vmmsim handle */
	uint32_t	 vm_id;		/* a VM whose vcpu 0 was reset */
	uint64_t	 ram_bytes;	/* for the CMOS memory-size bytes */
	int64_t		 rtc_start;	/* RTC time at start, s since 1970 */
	/* Where COM1's, the 0x402 debug port's and hvc0's output goes. */
	void		(*console)(void *arg, uint8_t byte);
	void		 *console_arg;
	/*
	 * The VM's memory as given to VMM_IOC_CREATE, or NULL: then an MMIO
	 * exit or string I/O ends the run with EOPNOTSUPP, and there is no
	 * fw_cfg and no virtio device (they need guest memory for DMA).
	 */
	const struct guestmem *mem;
	/*
	 * With mem: the PCI devices after the host bridge, in vmd's order:
	 * virtio-rnd (slot 1, keyed from rnd_seed, so the same seed gives
	 * the same bytes), the disks, then a virtio console if asked.
	 */
	uint64_t	 rnd_seed;
	struct vmrun_disk disks[VMRUN_MAX_DISKS];
	unsigned	 ndisks;
	int		 virtio_console;
	/*
	 * End the run once device time (virtual time plus time skipped in
	 * HLT) reaches this many ns; 0 for no limit.  Checked at every exit
	 * the loop sees, so a guest spinning without exits can overrun it.
	 */
	uint64_t	 max_time_ns;
	/*
	 * The console has an input side (vmrun_input()): a guest halted with
	 * no timer armed then waits for input instead of failing with
	 * EDEADLK, until vmrun_input_close() says no more will come; and a
	 * halt that skips to the next timer waits up to that long in host
	 * time, ending early only for new input (so a run that gets none is
	 * the same as without input; see pace_halt() in vmrun.c).
	 */
	int		 console_input;
	/*
	 * Called on the vcpu thread, with console_arg, when the input queue
	 * has room again after vmrun_input() took less than it was offered;
	 * may be NULL.
	 */
	void		(*input_space)(void *arg);
	/*
	 * Deterministic input for record and replay (below), or NULL.  With
	 * it, host time and host threads can reach the guest only through
	 * the hooks, at exit boundaries.
	 */
	const struct vmrun_det *det;
	/*
	 * A snapshot: snap is called once, on the vcpu thread with
	 * console_arg, at the top of the first loop iteration whose device
	 * time is at least snap_at_ns and where the vcpu owes no exit
	 * completion (the last exit was not I/O or MMIO), before the
	 * det boundary hook; vmrun_snap() and the vcpu are then consistent.
	 * An errno value from it ends the run.  NULL for none.
	 */
	int		(*snap)(void *arg, const struct vmrun_point *);
	uint64_t	 snap_at_ns;
};

/*
 * A point in a run where external input may enter the guest: between two
 * RUNs (VMRUN_AT_RUN, at the top of the loop) or in the HLT exit that
 * ended the last one (VMRUN_AT_HLT).  exitno counts VMM_IOC_RUN calls
 * since vmrun_create(), over reboots; boundary counts calls of the
 * boundary hook, which is exitno plus one per extra vmrun_loop() (a reboot
 * starts a loop at the exit number the last one ended at).
 */
#define VMRUN_AT_RUN	0
#define VMRUN_AT_HLT	1

struct vmrun_point {
	uint64_t	 exitno;
	uint64_t	 boundary;
	uint64_t	 vtime_ns;	/* the vcpu's virtual time = device time */
	uint64_t	 idle_ns;	/* of which skipped in HLT */
	int		 where;		/* VMRUN_AT_* */
};

/* A boundary hook's "end the run here, as vmrun_stop() would". */
#define VMRUN_DET_STOP	(-1)

/*
 * Record and replay.  In both modes the vcpu never gets a host-timed kick:
 * the loop arms its stop time at most quantum_ns of virtual time ahead,
 * so that it regains control at deterministic points, where console input
 * and a stop are taken.  Record mode (replay 0) takes input from
 * vmrun_input() and reports what COM1 took (took) and every halt that
 * host time cut short (skipped).  Replay mode ignores vmrun_input() and
 * asks the hooks instead; halts then cost no host time.  All hooks run on
 * the vcpu thread with arg; an errno value returned from one ends
 * vmrun_loop() with that error.
 */
struct vmrun_det {
	int		 replay;
	uint64_t	 quantum_ns;	/* 0: VMRUN_DET_QUANTUM */
	void		*arg;
	/*
	 * At the top of every loop iteration, devices caught up to device
	 * time, before input is taken: checkpoints go here.  0, an errno, or
	 * (replay) VMRUN_DET_STOP.
	 */
	int		(*boundary)(void *arg, const struct vmrun_point *);
	/* Record: COM1's receiver took these bytes at pt. */
	int		(*took)(void *arg, const struct vmrun_point *,
			    const uint8_t *, size_t);
	/* Record: a halt at pt skipped skip ns where the timer was full away. */
	int		(*skipped)(void *arg, const struct vmrun_point *,
			    uint64_t skip, uint64_t full);
	/*
	 * Replay: the next bytes to give COM1 at pt (1 with *buf, *len set,
	 * until 0), or an errno; COM1 must take all of them.
	 */
	int		(*input)(void *arg, const struct vmrun_point *,
			    const uint8_t **buf, size_t *len);
	/* Replay: how far a halt at pt skips; full unless recorded shorter. */
	uint64_t	(*halt_skip)(void *arg, const struct vmrun_point *,
			    uint64_t full);
	/*
	 * Replay: the guest halted with no timer at pt: 0 if recorded input
	 * (or a stop) comes at this exit, else EDEADLK as a closed console.
	 */
	int		(*halt_wait)(void *arg, const struct vmrun_point *);
};

/* Virtual ns the vcpu runs at most between two deterministic points. */
#define VMRUN_DET_QUANTUM	1000000ULL

/* Input bytes queued for COM1 at most (vmrun_input()). */
#define VMRUN_INPUT_MAX		4096

/* Why the guest reset (struct vmrun_result's reset). */
#define VMRUN_RESET_NONE	0
#define VMRUN_RESET_TRIPLE	1	/* triple fault / shutdown */
#define VMRUN_RESET_KBC		2	/* 0xFE to the keyboard controller */
#define VMRUN_RESET_PORT92	3	/* fast reset bit of port 0x92 */
#define VMRUN_RESET_CF9		4	/* reset control register 0xCF9 */

/* How a run ended. */
struct vmrun_result {
	int		 status;	/* (value << 1) | 1 for port 0xF4, or 0 */
	int		 reset;		/* VMRUN_RESET_*: the guest reset */
	int		 timeout;	/* max_time_ns was reached */
	int		 stopped;	/* vmrun_stop() was called */
	uint64_t	 vtime_ns;	/* the vcpu's virtual time at the end */
	uint64_t	 idle_ns;	/* of vtime_ns, skipped in HLT */
	uint64_t	 runs;		/* VMM_IOC_RUN calls */
	uint64_t	 irqs;		/* interrupts injected */
};

/*
 * Create the devices and claim their ports.  NULL with *errorp set:
 * ENOMEM, or a disk's open(2) error (vmrun_error() is not available
 * then; the disk is the only file opened here).
 */
struct vmrun	*vmrun_create(const struct vmrun_params *, int *errorp);
void		 vmrun_destroy(struct vmrun *);

/*
 * Run the vcpu until the guest ends its run (debug exit, reset, or the
 * time limit).  Returns 0 with *res filled, or an errno value; see
 * vmrun.c and vmrun_error().
 */
int		 vmrun_loop(struct vmrun *, struct vmrun_result *);

/*
 * Put every device back in its power-on state, as a reboot does: for
 * vmrun_loop() again after the caller has re-loaded the image and reset
 * the vcpu (VMM_IOC_RESETCPU).  Device time goes on from where it is.
 * 0, or an errno value (the run loop is then unusable but can be
 * destroyed).
 */
int		 vmrun_reset(struct vmrun *);

/* What the vcpu thread is doing (struct vmrun_status's state). */
#define VMRUN_STATE_IDLE	0	/* not in vmrun_loop() */
#define VMRUN_STATE_RUNNING	1	/* in VMM_IOC_RUN or an exit */
#define VMRUN_STATE_HALTED	2	/* HLT with no timer: waits for input */
#define VMRUN_STATE_STOPPED	3	/* vmrun_stop() was honoured */

/* A snapshot for another thread; counts are since vmrun_create(). */
struct vmrun_status {
	int		 state;		/* VMRUN_STATE_* */
	uint64_t	 vtime_ns;	/* the vcpu's virtual time, last seen */
	uint64_t	 idle_ns;	/* of vtime_ns, skipped in HLT */
	uint64_t	 runs;		/* VMM_IOC_RUN calls */
	uint64_t	 irqs;		/* interrupts injected */
	uint64_t	 input_bytes;	/* bytes COM1's receiver took */
};

/*
 * From any thread: make vmrun_loop() return soon with res->stopped set
 * (and every later call at once).  The vcpu is kicked out of VMM_IOC_RUN
 * (VMM_IOC_INTR, and a stop time in the past for a RUN about to start),
 * so a guest spinning without exits stops too.
 */
void		 vmrun_stop(struct vmrun *);

/*
 * From any thread: queue console input for COM1's receiver.  Returns how
 * many bytes were taken (fewer than len when the queue is full; then
 * params' input_space is called once there is room).  The bytes reach the
 * UART before the vcpu's next RUN; a halted guest wakes for them.
 */
size_t		 vmrun_input(struct vmrun *, const uint8_t *, size_t len);

/* From any thread: no more input will come (EOF on the console). */
void		 vmrun_input_close(struct vmrun *);

/* From any thread: the loop's state and counters. */
void		 vmrun_status(struct vmrun *, struct vmrun_status *);

/* A name for a VMRUN_STATE_* value. */
const char	*vmrun_state_name(int);

/* A name for a VMRUN_RESET_* value. */
const char	*vmrun_reset_name(int);

/*
 * A hash of the devices' state (docs/replay-format.md says which): the
 * loop's own, the interrupt controllers, COM1, and the deadline of every
 * armed timer, which stands for the timers' state.  On the vcpu thread.
 */
uint64_t	 vmrun_state_hash(struct vmrun *);

/*
 * Save (sb->save) or restore the loop's and every device's state for a
 * snapshot (docs/snapshot-format.md), between two RUNs: from the snap
 * hook, or before vmrun_loop() into a vmrun just created with the same
 * params.  Restoring checks that the same devices exist.  0, or an errno
 * value (EINVAL: malformed or another machine's; ENOMEM).
 */
struct snapbuf;
int		 vmrun_snap(struct vmrun *, struct snapbuf *);

/* The MMIO range table, for devices to register their regions in. */
struct mmio_table *vmrun_mmio(struct vmrun *);

/*
 * Why the last vmrun_loop() failed, in one line ("" if it did not or no
 * more is known than its errno value).
 */
const char	*vmrun_error(const struct vmrun *);

#endif /* VMMSIM_DEVICES_VMRUN_H */
