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
 * The run loop (vmrun.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "devices/devices.h"
#include "devices/i8253.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/mmio.h"
#include "devices/ns8250.h"
#include "devices/vmrun.h"

#define COM1_BASE	0x3F8
#define COM1_IRQ	4
#define RTC_IRQ		8
#define PIT_IRQ		0
#define PORT_POST	0x80
#define PORT_DEBUGCON	0x402
#define PORT_DEBUG_EXIT	0xF4
#define PORT_KBC_CMD	0x64
#define KBC_RESET	0xFE

struct vmrun {
	struct vmrun_params	 p;
	struct dev_port_table	 ports;
	struct mmio_table	 mmio;
	struct dev_vclock	 clock;
	struct dev_irq		 irq;
	struct i8259		*pic;
	struct i8253		*pit;
	struct ns8250		*com1;
	struct mc146818		*rtc;
	uint64_t		 idle;		/* ns skipped in HLT */
	int			 exit_status;
	int			 done;
	int			 reset;
	char			 error[MMIO_ERRLEN];
};

static void
com1_tx(void *arg, uint8_t byte)
{
	struct vmrun *r = arg;

	if (r->p.console != NULL)
		r->p.console(r->p.console_arg, byte);
}

/* The debug-exit port (QEMU's isa-debug-exit) and the 0x402 console. */
static int
misc_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct vmrun *r = dev;

	switch (port) {
	case PORT_DEBUG_EXIT:
		if (dir == DEV_IO_OUT) {
			r->exit_status = (int)(((*data & 0xFF) << 1) | 1);
			r->done = 1;
		} else {
			*data = 0xFF;
		}
		return (0);
	case PORT_DEBUGCON:
		if (dir == DEV_IO_OUT)
			com1_tx(r, (uint8_t)*data);
		else
			*data = 0xE9;
		return (0);
	case PORT_KBC_CMD:
		if (dir == DEV_IO_OUT && (*data & 0xFF) == KBC_RESET) {
			r->reset = 1;
			r->done = 1;
		} else if (dir == DEV_IO_IN) {
			*data = 0x1C;	/* keyboard controller idle */
		}
		return (0);
	default:			/* POST codes and the like */
		if (dir == DEV_IO_IN)
			*data = 0xFF;
		return (0);
	}
	(void)size;
}

void
vmrun_destroy(struct vmrun *r)
{
	if (r == NULL)
		return;
	mc146818_destroy(r->rtc);
	ns8250_destroy(r->com1);
	i8253_destroy(r->pit);
	i8259_destroy(r->pic);
	mmio_table_fini(&r->mmio);
	free(r);
}

struct vmrun *
vmrun_create(const struct vmrun_params *p, int *errorp)
{
	struct vmrun *r;
	int error = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*errorp = ENOMEM;
		return (NULL);
	}
	r->p = *p;
	dev_ports_init(&r->ports);
	mmio_table_init(&r->mmio);
	dev_vclock_init(&r->clock);
	if ((r->pic = i8259_create()) == NULL) {
		error = ENOMEM;
		goto fail;
	}
	r->irq = i8259_irq_line(r->pic);
	r->pit = i8253_create(&r->clock.clock, &r->irq);
	r->com1 = ns8250_create(COM1_BASE, COM1_IRQ, &r->irq, com1_tx, r);
	r->rtc = mc146818_create(&r->clock.clock, &r->irq, p->rtc_start);
	if (r->pit == NULL || r->com1 == NULL || r->rtc == NULL) {
		error = ENOMEM;
		goto fail;
	}
	mc146818_set_memsize(r->rtc, p->ram_bytes);
	if ((error = i8259_register(r->pic, &r->ports)) != 0 ||
	    (error = i8253_register(r->pit, &r->ports)) != 0 ||
	    (error = ns8250_register(r->com1, &r->ports)) != 0 ||
	    (error = mc146818_register(r->rtc, &r->ports)) != 0 ||
	    (error = dev_ports_register(&r->ports, PORT_DEBUG_EXIT, 1, misc_io,
	    r)) != 0 ||
	    (error = dev_ports_register(&r->ports, PORT_DEBUGCON, 1, misc_io,
	    r)) != 0 ||
	    (error = dev_ports_register(&r->ports, PORT_KBC_CMD, 1, misc_io,
	    r)) != 0 ||
	    (error = dev_ports_register(&r->ports, PORT_POST, 1, misc_io,
	    r)) != 0)
		goto fail;
	*errorp = 0;
	return (r);
fail:
	vmrun_destroy(r);
	*errorp = error;
	return (NULL);
}

/* Read the vcpu's virtual time; device time is it plus skipped time. */
static int
sync_clock(struct vmrun *r, uint64_t *vtime)
{
	if (vmmsim_vcpu_vtime(r->p.fd, r->p.vm_id, 0, vtime) == -1)
		return (errno);
	dev_vclock_advance(&r->clock, *vtime + r->idle);
	return (0);
}

/* One I/O exit through the port table; only non-string I/O. */
static int
do_io(struct vmrun *r, struct vm_exit *ve)
{
	uint32_t data = ve->vei.vei_data, mask;
	int size = ve->vei.vei_size;

	if (ve->vei.vei_string) {
		snprintf(r->error, sizeof(r->error), "string I/O on port "
		    "%#x at rip %#llx", ve->vei.vei_port,
		    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		return (EOPNOTSUPP);
	}
	mask = size == 4 ? 0xFFFFFFFFU : (1U << (8 * size)) - 1;
	(void)dev_ports_io(&r->ports, ve->vei.vei_port,
	    ve->vei.vei_dir == VEI_DIR_IN ? DEV_IO_IN : DEV_IO_OUT, size,
	    &data);
	if (ve->vei.vei_dir == VEI_DIR_IN)
		ve->vei.vei_data = (ve->vei.vei_data & ~mask) | (data & mask);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (0);
}

struct mmio_table *
vmrun_mmio(struct vmrun *r)
{
	return (&r->mmio);
}

const char *
vmrun_error(const struct vmrun *r)
{
	return (r->error);
}

/*
 * An EPT violation userland must look at (§9.3): emulate an MMIO access
 * and pass the registers back with the next RUN; a protection fault kills
 * the VM, as in vmd.  Anything else was handled in the kernel.
 */
static int
do_ept(struct vmrun *r, struct vm_exit *ve)
{
	switch (ve->vee.vee_fault_type) {
	case VEE_FAULT_MMIO_ASSIST:
		if (r->p.mem == NULL) {
			snprintf(r->error, sizeof(r->error), "MMIO exit at rip "
			    "%#llx, but the run loop has no guest memory",
			    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
			return (EOPNOTSUPP);
		}
		return (mmio_emulate(&r->mmio, r->p.mem, ve, r->error));
	case VEE_FAULT_PROTECT:
		snprintf(r->error, sizeof(r->error), "EPT protection fault at "
		    "rip %#llx", (unsigned long long)
		    ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		return (EFAULT);
	default:
		return (0);
	}
}

/*
 * Run the vcpu until the guest ends its run (debug exit, reset or triple
 * fault).  Returns 0 with *res filled, or an errno value: the RUN ioctl's,
 * EOPNOTSUPP for an exit no device here handles (string I/O, MMIO without
 * guest memory, an instruction the MMIO emulator does not know), EFAULT
 * for an EPT protection fault or an MMIO access that cannot be followed
 * through the page tables, or EDEADLK for a guest halted with nothing that
 * could ever wake it; vmrun_error() says more.
 */
int
vmrun_loop(struct vmrun *r, struct vmrun_result *res)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint64_t vtime = 0, next;
	uint8_t irqready = 0;
	int vec, error;

	memset(res, 0, sizeof(*res));
	r->error[0] = '\0';
	memset(&vrp, 0, sizeof(vrp));
	memset(&ve, 0, sizeof(ve));
	vrp.vrp_vm_id = r->p.vm_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_exit = &ve;
	if ((error = sync_clock(r, &vtime)) != 0)
		return (error);
	while (!r->done) {
		/*
		 * The vcpu has not run since the last sync: only time skipped
		 * in HLT can have moved device time on.
		 */
		dev_vclock_advance(&r->clock, vtime + r->idle);
		/* Inject the PIC's interrupt when the guest can take it. */
		vrp.vrp_inject.vie_type = VCPU_INJECT_NONE;
		if (irqready && i8259_pending(r->pic) &&
		    (vec = i8259_ack(r->pic)) >= 0) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = (uint8_t)vec;
			res->irqs++;
		}
		vrp.vrp_intr_pending = i8259_pending(r->pic) ? 1 : 0;
		if (vmmsim_ioctl(r->p.fd, VMM_IOC_RUN, &vrp) == -1)
			return (errno);
		res->runs++;
		irqready = vrp.vrp_irqready;
		if ((error = sync_clock(r, &vtime)) != 0)
			return (error);
		switch (vrp.vrp_exit_reason) {
		case VMX_EXIT_IO:
			if ((error = do_io(r, &ve)) != 0)
				return (error);
			break;
		case VMX_EXIT_HLT:
			/* Halted until an interrupt: skip to the next timer. */
			if (i8259_pending(r->pic))
				break;
			if ((next = dev_vclock_next(&r->clock)) == UINT64_MAX)
				return (EDEADLK);
			if (next > vtime + r->idle)
				r->idle = next - vtime;
			break;
		case VMX_EXIT_TRIPLE_FAULT:
			r->reset = 1;
			r->done = 1;
			break;
		case VMX_EXIT_EPT_VIOLATION:
			if ((error = do_ept(r, &ve)) != 0)
				return (error);
			break;
		default:
			break;			/* handled in the kernel */
		}
	}
	res->status = r->reset ? 0 : r->exit_status;
	res->reset = r->reset;
	res->vtime_ns = vtime;
	res->idle_ns = r->idle;
	return (0);
}
