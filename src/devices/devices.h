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
 * What vmd-like device models share: the I/O port table, interrupt lines,
 * and the clock that drives their timers.
 *
 * Devices see only these interfaces.  The run loop (vm.c) owns the port
 * table, connects interrupt lines to the PIC and the PIC to the vCPU, and
 * supplies a clock: in deterministic mode virtual time derived from retired
 * guest instructions, so a device never reads the host clock.  Tests supply
 * a fake clock they advance by hand.
 *
 * Locking: a device is used from one thread at a time (its vCPU's run loop
 * or the event loop with the run loop paused), as in vmd.
 */

#ifndef VMMSIM_DEVICES_H
#define VMMSIM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* I/O direction, as struct vm_exit_inout's vei_dir. */
#define DEV_IO_OUT	0
#define DEV_IO_IN	1

/*
 * One I/O access: size is 1, 2 or 4 bytes; for IN the handler stores the
 * result in *data (the caller merges it into RAX), for OUT it reads *data.
 * Returns 0, or an errno value for an access the device refuses (the run
 * loop then returns all-ones for IN and drops OUT, as a floating bus).
 */
typedef int (*dev_io_fn)(void *dev, uint16_t port, int dir, int size,
    uint32_t *data);

/* A 64K-entry port table: dispatch is a lookup, as in vmd. */
struct dev_port_table {
	dev_io_fn	 fn[65536];
	void		*dev[65536];
};

void	dev_ports_init(struct dev_port_table *);
int	dev_ports_register(struct dev_port_table *, uint16_t first,
	    unsigned count, dev_io_fn, void *dev);
int	dev_ports_unregister(struct dev_port_table *, uint16_t first,
	    unsigned count, void *dev);
int	dev_ports_io(struct dev_port_table *, uint16_t port, int dir, int size,
	    uint32_t *data);

/*
 * An interrupt line into the interrupt controller: level 1 raises, 0
 * lowers; an edge-triggered input sees a rising edge on 0 -> 1.
 */
struct dev_irq {
	void	(*set)(void *arg, int irq, int level);
	void	 *arg;
};

static inline void
dev_irq_set(const struct dev_irq *l, int irq, int level)
{
	if (l != NULL && l->set != NULL)
		l->set(l->arg, irq, level);
}

/* A timer a device arms on the clock; fire() runs when the clock passes at. */
struct dev_timer {
	void		(*fire)(void *dev);
	void		 *dev;
	uint64_t	  at;		/* [clock] ns of the clock */
	bool		  armed;	/* [clock] */
	struct dev_timer *next;		/* [clock] the clock's list */
};

/*
 * Time for devices, in nanoseconds since the VM started.  arm() replaces
 * an earlier deadline of the same timer.
 */
struct dev_clock {
	uint64_t	(*now)(void *arg);
	void		(*arm)(void *arg, struct dev_timer *, uint64_t at);
	void		(*disarm)(void *arg, struct dev_timer *);
	void		 *arg;
};

/*
 * A simple clock implementation shared by the run loop and the tests: a
 * list of armed timers and a current time that only dev_vclock_advance()
 * moves, firing due timers in deadline order (ties in arming order).
 */
struct dev_vclock {
	uint64_t		 now;
	struct dev_timer	*timers;	/* sorted by at */
	struct dev_clock	 clock;		/* the interface to hand out */
};

void		dev_vclock_init(struct dev_vclock *);
void		dev_vclock_advance(struct dev_vclock *, uint64_t to);
uint64_t	dev_vclock_next(const struct dev_vclock *);	/* UINT64_MAX */

#endif /* VMMSIM_DEVICES_H */
