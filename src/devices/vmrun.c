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
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmmsim.h"
#include "devices/devices.h"
#include "devices/fw_cfg.h"
#include "devices/guestmem.h"
#include "devices/i8042.h"
#include "devices/i8253.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/mmio.h"
#include "devices/ns8250.h"
#include "devices/pci.h"
#include "devices/snapbuf.h"
#include "devices/statehash.h"
#include "devices/strio.h"
#include "devices/virtio.h"
#include "devices/vmrun.h"

#define COM1_BASE	0x3F8
#define COM1_IRQ	4
#define RTC_IRQ		8
#define PIT_IRQ		0
#define PORT_POST	0x80
#define PORT_DEBUGCON	0x402
#define PORT_DEBUG_EXIT	0xF4
#define PORT_SYSCTL_A	0x92	/* PS/2 system control port A */
#define SYSCTL_A_RESET	0x01	/* 0 -> 1: fast reset */
#define SYSCTL_A_A20	0x02	/* A20 gate: always on here */
#define PORT_RST_CTL	0xCF9	/* PIIX/ICH reset control register */
#define RST_CTL_SYS	0x02	/* full (system) reset, with RST_CPU */
#define RST_CTL_CPU	0x04	/* 0 -> 1: reset */
#define RST_CTL_FULL	0x08
#define DEBUGCON_ID	0xE9	/* what QEMU's debugcon reads back */

/*
 * Locking: [I] immutable after create; [v] the vcpu thread (the one in
 * vmrun_loop()); [q] under q_lock; [a] atomic, written by the vcpu thread
 * only unless noted.
 */
struct vmrun {
	struct vmrun_params	 p;		/* [I] */
	uint64_t		 stop_at;	/* the vcpu's, as last set */
	struct dev_port_table	 ports;
	struct mmio_table	 mmio;
	struct dev_vclock	 clock;
	struct dev_irq		 irq;
	struct i8259		*pic;
	struct i8253		*pit;
	struct ns8250		*com1;
	struct mc146818		*rtc;
	struct i8042		*kbc;
	struct pci_bus		*pci;
	struct virtio_rnd	*rnd;
	struct virtio_blk	*blk[VMRUN_MAX_DISKS];
	struct virtio_con	*con;
	struct fw_cfg		*fw;
	uint64_t		 idle;		/* ns of vtime spent in HLT */
	uint8_t			 sysctl_a;	/* port 0x92 */
	uint8_t			 rst_ctl;	/* port 0xCF9 */
	int			 exit_status;
	int			 done;
	int			 reset;		/* VMRUN_RESET_* */
	uint64_t		 boundaries;	/* det->boundary() calls */
	int			 det_stop;	/* replay: stop at this one */
	uint8_t			 irqready;	/* the last RUN's vrp_irqready */
	uint32_t		 last_exit;	/* the last RUN's exit reason */
	int			 restored;	/* vmrun_snap() restored: resume */
	int			 snapped;	/* the snap hook was called */
	char			 error[MMIO_ERRLEN];

	/* What other threads may touch while the loop runs. */
	pthread_mutex_t		 q_lock;
	pthread_cond_t		 q_cv;		/* input, close or stop */
	uint8_t			 q_buf[VMRUN_INPUT_MAX];	/* [q] a ring */
	size_t			 q_head;	/* [q] oldest byte */
	size_t			 q_len;		/* [a] written under q_lock */
	uint64_t		 q_seq;		/* [q] bytes ever queued */
	uint64_t		 q_seen;	/* [q] q_seq at the last drain */
	bool			 q_closed;	/* [q] no more input */
	bool			 q_full;	/* [q] vmrun_input() refused */
	int			 stop_req;	/* [a] any thread: sticky */
	int			 state;		/* [a] VMRUN_STATE_* */
	uint64_t		 st_vtime;	/* [a] */
	uint64_t		 st_idle;	/* [a] */
	uint64_t		 st_runs;	/* [a] */
	uint64_t		 st_irqs;	/* [a] */
	uint64_t		 st_input;	/* [a] */
};

#define ST_SET(field, v)	__atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define ST_GET(field)		__atomic_load_n(&(field), __ATOMIC_RELAXED)

static void
com1_tx(void *arg, uint8_t byte)
{
	struct vmrun *r = arg;

	if (r->p.console != NULL)
		r->p.console(r->p.console_arg, byte);
}

static void
hvc_tx(void *arg, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		com1_tx(arg, buf[i]);
}

static void
guest_reset(struct vmrun *r, int why)
{
	r->reset = why;
	r->done = 1;
}

static void
kbc_reset(void *arg)
{
	guest_reset(arg, VMRUN_RESET_KBC);
}

/*
 * The motherboard's odds and ends: QEMU's isa-debug-exit at 0xF4 and
 * debugcon at 0x402, port 0x92 and the 0xCF9 reset register.
 */
static int
misc_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct vmrun *r = dev;
	uint8_t v = (uint8_t)*data;

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
			com1_tx(r, v);
		else
			*data = DEBUGCON_ID;
		return (0);
	case PORT_SYSCTL_A:
		if (dir == DEV_IO_IN) {
			*data = r->sysctl_a | SYSCTL_A_A20;
			return (0);
		}
		if ((v & SYSCTL_A_RESET) && !(r->sysctl_a & SYSCTL_A_RESET))
			guest_reset(r, VMRUN_RESET_PORT92);
		r->sysctl_a = v;
		return (0);
	case PORT_RST_CTL:
		if (size != 1)
			return (ENODEV);	/* a dword is 0xCF8's */
		if (dir == DEV_IO_IN) {
			*data = r->rst_ctl;
			return (0);
		}
		/* Bit 2 going 0 -> 1 resets (Linux writes 0x02, then 0x06). */
		if ((v & RST_CTL_CPU) && !(r->rst_ctl & RST_CTL_CPU))
			guest_reset(r, VMRUN_RESET_CF9);
		r->rst_ctl = v & (RST_CTL_SYS | RST_CTL_FULL);
		return (0);
	default:			/* POST codes and the like */
		if (dir == DEV_IO_IN)
			*data = 0xFF;
		return (0);
	}
}

const char *
vmrun_reset_name(int why)
{
	static const char *names[] = { "none", "triple fault",
	    "keyboard controller reset", "port 0x92 fast reset",
	    "port 0xcf9 reset" };

	if (why < 0 || (size_t)why >= sizeof(names) / sizeof(names[0]))
		return ("?");
	return (names[why]);
}

/* Destroy the devices, PCI ones first (they leave the bus). */
static void
devices_destroy(struct vmrun *r)
{
	unsigned i;

	fw_cfg_destroy(r->fw);
	virtio_con_destroy(r->con);
	for (i = 0; i < VMRUN_MAX_DISKS; i++)
		virtio_blk_destroy(r->blk[i]);
	virtio_rnd_destroy(r->rnd);
	pci_destroy(r->pci);
	i8042_destroy(r->kbc);
	mc146818_destroy(r->rtc);
	ns8250_destroy(r->com1);
	i8253_destroy(r->pit);
	i8259_destroy(r->pic);
	r->fw = NULL;
	r->con = NULL;
	memset(r->blk, 0, sizeof(r->blk));
	r->rnd = NULL;
	r->pci = NULL;
	r->kbc = NULL;
	r->rtc = NULL;
	r->com1 = NULL;
	r->pit = NULL;
	r->pic = NULL;
}

/*
 * "bootorder" for fw_cfg, as vmd writes it: each disk's PCI path, then
 * HALT so that SeaBIOS tries nothing else.
 */
static int
add_bootorder(struct vmrun *r)
{
	char order[VMRUN_MAX_DISKS * 24 + 8];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < VMRUN_MAX_DISKS; i++)
		if (r->blk[i] != NULL)
			n += (size_t)snprintf(order + n, sizeof(order) - n,
			    "/pci@i0cf8/*@%x\n", virtio_blk_slot(r->blk[i]));
	n += (size_t)snprintf(order + n, sizeof(order) - n, "HALT");
	return (fw_cfg_add_file(r->fw, "bootorder", order, n, NULL));
}

/*
 * The PCI devices, in vmd's order (host bridge, rnd, disks), then fw_cfg
 * last since its boot order names their slots; PCI interrupts are level
 * triggered, so their PIC inputs go to level mode in the ELCR.
 */
static int
pci_devices_create(struct vmrun *r)
{
	static const uint8_t screen_and_debug[8];
	const struct vmrun_params *p = &r->p;
	uint64_t seed = p->rnd_seed;
	uint16_t mask;
	unsigned i;
	int irq, error;

	if ((r->pci = pci_create(&r->irq)) == NULL)
		return (errno != 0 ? errno : ENOMEM);
	if ((error = pci_register(r->pci, &r->ports)) != 0)
		return (error);
	if (p->mem == NULL)
		return (0);
	if ((r->rnd = virtio_rnd_create(r->pci, p->mem, &seed)) == NULL)
		return (errno != 0 ? errno : ENOMEM);
	for (i = 0; i < p->ndisks && i < VMRUN_MAX_DISKS; i++) {
		r->blk[i] = virtio_blk_create(r->pci, p->mem,
		    p->disks[i].path, p->disks[i].readonly != 0, NULL);
		if (r->blk[i] == NULL) {
			error = errno != 0 ? errno : ENOMEM;
			snprintf(r->error, sizeof(r->error), "disk %s: %s",
			    p->disks[i].path, strerror(error));
			return (error);
		}
	}
	if (p->virtio_console &&
	    (r->con = virtio_con_create(r->pci, p->mem, hvc_tx, r)) == NULL)
		return (errno != 0 ? errno : ENOMEM);
	mask = pci_irq_mask(r->pci);
	for (irq = 0; irq < I8259_NIRQ; irq++)
		if ((mask & (1U << irq)) &&
		    (error = i8259_set_elcr(r->pic, irq, true)) != 0)
			return (error);

	if ((r->fw = fw_cfg_create(p->mem)) == NULL)
		return (errno != 0 ? errno : ENOMEM);
	if ((error = fw_cfg_set_machine(r->fw, guestmem_ram_bytes(p->mem),
	    1)) != 0 ||
	    (error = fw_cfg_add_e820(r->fw, p->mem)) != 0 ||
	    (error = fw_cfg_add_file(r->fw, "etc/screen-and-debug",
	    screen_and_debug, sizeof(screen_and_debug), NULL)) != 0 ||
	    (error = add_bootorder(r)) != 0 ||
	    (error = fw_cfg_register(r->fw, &r->ports)) != 0)
		return (error);
	return (0);
}

/* The devices in their power-on state, on a fresh port table. */
static int
devices_create(struct vmrun *r)
{
	const struct vmrun_params *p = &r->p;
	static const uint16_t misc_ports[] = { PORT_DEBUG_EXIT,
	    PORT_DEBUGCON, PORT_POST, PORT_SYSCTL_A, PORT_RST_CTL };
	size_t i;
	int error;

	dev_ports_init(&r->ports);
	r->sysctl_a = 0;
	r->rst_ctl = 0;
	r->done = 0;
	r->reset = VMRUN_RESET_NONE;
	r->exit_status = 0;
	if ((r->pic = i8259_create()) == NULL)
		return (ENOMEM);
	r->irq = i8259_irq_line(r->pic);
	r->pit = i8253_create(&r->clock.clock, &r->irq);
	r->com1 = ns8250_create(COM1_BASE, COM1_IRQ, &r->irq, com1_tx, r);
	r->rtc = mc146818_create(&r->clock.clock, &r->irq, p->rtc_start);
	r->kbc = i8042_create(&r->irq, kbc_reset, r);
	if (r->pit == NULL || r->com1 == NULL || r->rtc == NULL ||
	    r->kbc == NULL)
		return (ENOMEM);
	mc146818_set_memsize(r->rtc, p->ram_bytes);
	if ((error = i8259_register(r->pic, &r->ports)) != 0 ||
	    (error = i8253_register(r->pit, &r->ports)) != 0 ||
	    (error = ns8250_register(r->com1, &r->ports)) != 0 ||
	    (error = mc146818_register(r->rtc, &r->ports)) != 0 ||
	    (error = i8042_register(r->kbc, &r->ports)) != 0)
		return (error);
	for (i = 0; i < sizeof(misc_ports) / sizeof(misc_ports[0]); i++)
		if ((error = dev_ports_register(&r->ports, misc_ports[i], 1,
		    misc_io, r)) != 0)
			return (error);
	return (pci_devices_create(r));
}

void
vmrun_destroy(struct vmrun *r)
{
	if (r == NULL)
		return;
	devices_destroy(r);
	mmio_table_fini(&r->mmio);
	pthread_cond_destroy(&r->q_cv);
	pthread_mutex_destroy(&r->q_lock);
	free(r);
}

struct vmrun *
vmrun_create(const struct vmrun_params *p, int *errorp)
{
	struct vmrun *r;
	int error;

	if (p->ndisks > VMRUN_MAX_DISKS) {
		*errorp = EINVAL;
		return (NULL);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*errorp = ENOMEM;
		return (NULL);
	}
	r->p = *p;
	pthread_condattr_t ca;

	pthread_mutex_init(&r->q_lock, NULL);
	/* Paced halts wait on the host's monotonic clock, never its date. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->q_cv, &ca);
	pthread_condattr_destroy(&ca);
	mmio_table_init(&r->mmio);
	dev_vclock_init(&r->clock);
	errno = 0;
	if ((error = devices_create(r)) != 0) {
		vmrun_destroy(r);
		*errorp = error;
		return (NULL);
	}
	*errorp = 0;
	return (r);
}

int
vmrun_reset(struct vmrun *r)
{
	uint64_t now = r->clock.now;

	devices_destroy(r);
	/* No timer is armed now; time goes on from where it was. */
	dev_vclock_init(&r->clock);
	r->clock.now = now;
	errno = 0;
	return (devices_create(r));
}

/*
 * A host interrupt on the vcpu's CPU (VMM_IOC_INTR, as vmd's timer
 * thread does), so that RUN comes back to the loop: at once if the guest
 * can take an interrupt, else when it opens its interrupt window.  The
 * pending word is the loop's to set again on the next RUN.
 */
static void
kick(struct vmrun *r)
{
	struct vm_intr_params vip;

	memset(&vip, 0, sizeof(vip));
	vip.vip_vm_id = r->p.vm_id;
	vip.vip_vcpu_id = 0;
	vip.vip_intr = 1;
	(void)vmmsim_ioctl(r->p.fd, VMM_IOC_INTR, &vip);
}

static bool
stop_requested(struct vmrun *r)
{
	return (__atomic_load_n(&r->stop_req, __ATOMIC_ACQUIRE) != 0);
}

void
vmrun_stop(struct vmrun *r)
{
	__atomic_store_n(&r->stop_req, 1, __ATOMIC_SEQ_CST);
	/* Wake a loop waiting for input in HLT. */
	pthread_mutex_lock(&r->q_lock);
	pthread_cond_broadcast(&r->q_cv);
	pthread_mutex_unlock(&r->q_lock);
	/*
	 * Recorded runs take the stop at the next deterministic point (the
	 * quantum bounds how far off it is): a kick would end a RUN at a
	 * host-chosen instruction that no replay could find again.
	 */
	if (r->p.det != NULL)
		return;
	/*
	 * The kick only reaches a vcpu in RUN.  A loop that has looked at
	 * stop_req but not yet entered RUN has also set its stop time
	 * already (arm_stop() comes first), so this one replaces it, and
	 * that RUN returns at once.  A guest interrupted with IF clear would
	 * otherwise only leave RUN when it opens its interrupt window.
	 */
	(void)vmmsim_vcpu_stop_at(r->p.fd, r->p.vm_id, 0, 1);
	kick(r);
}

size_t
vmrun_input(struct vmrun *r, const uint8_t *buf, size_t len)
{
	size_t n = 0, tail;
	bool halted;

	/* A replay's input is the log's; nothing else may reach the guest. */
	if (r->p.det != NULL && r->p.det->replay)
		return (len);
	pthread_mutex_lock(&r->q_lock);
	while (!r->q_closed && n < len && r->q_len < VMRUN_INPUT_MAX) {
		tail = (r->q_head + r->q_len) % VMRUN_INPUT_MAX;
		r->q_buf[tail] = buf[n++];
		ST_SET(r->q_len, r->q_len + 1);
	}
	r->q_seq += n;
	if (n < len && !r->q_closed)
		r->q_full = true;
	if (n > 0)
		pthread_cond_broadcast(&r->q_cv);
	halted = ST_GET(r->state) == VMRUN_STATE_HALTED;
	pthread_mutex_unlock(&r->q_lock);
	/*
	 * A guest polling without exits sees the input at the next RUN;
	 * when recording, that is the next deterministic point (no kick).
	 */
	if (n > 0 && !halted && r->p.det == NULL)
		kick(r);
	return (n);
}

void
vmrun_input_close(struct vmrun *r)
{
	pthread_mutex_lock(&r->q_lock);
	r->q_closed = true;
	pthread_cond_broadcast(&r->q_cv);
	pthread_mutex_unlock(&r->q_lock);
}

void
vmrun_status(struct vmrun *r, struct vmrun_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = ST_GET(r->state);
	st->vtime_ns = ST_GET(r->st_vtime);
	st->idle_ns = ST_GET(r->st_idle);
	st->runs = ST_GET(r->st_runs);
	st->irqs = ST_GET(r->st_irqs);
	st->input_bytes = ST_GET(r->st_input);
}

const char *
vmrun_state_name(int state)
{
	static const char *names[] = { "idle", "running", "halted",
	    "stopped" };

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return ("?");
	return (names[state]);
}

/* Where the loop is now, for the det hooks. */
static void
det_point(const struct vmrun *r, uint64_t vtime, int where,
    struct vmrun_point *pt)
{
	pt->exitno = r->st_runs;
	pt->boundary = r->boundaries;
	pt->vtime_ns = vtime;
	pt->idle_ns = r->idle;
	pt->where = where;
}

/*
 * A replay's input: what the log says COM1 took at this point, which it
 * must take again, all of it, or the replay has diverged.
 */
static int
replay_input(struct vmrun *r, uint64_t vtime, int where)
{
	const struct vmrun_det *d = r->p.det;
	struct vmrun_point pt;
	const uint8_t *buf;
	size_t len;
	int n, more;

	det_point(r, vtime, where, &pt);
	while ((more = d->input(d->arg, &pt, &buf, &len)) == 1) {
		n = ns8250_rx(r->com1, buf, len);
		ST_SET(r->st_input, r->st_input + (uint64_t)n);
		if ((size_t)n != len) {
			snprintf(r->error, sizeof(r->error), "replay: COM1 "
			    "took %d of %zu recorded input bytes at exit %llu",
			    n, len, (unsigned long long)pt.exitno);
			return (ECANCELED);
		}
	}
	return (more);
}

/*
 * Move queued input into COM1's receiver, as much as it takes (its FIFO,
 * or one byte as a 16450); the rest waits for the guest to read.  This
 * is the one place console input enters the guest: when recording, what
 * COM1 took goes to the log with the point it was taken at.  0, or the
 * hooks' errno value.
 */
static int
drain_input(struct vmrun *r, uint64_t vtime, int where)
{
	const struct vmrun_det *d = r->p.det;
	struct vmrun_point pt;
	uint8_t took_buf[VMRUN_INPUT_MAX];
	size_t chunk, n, took = 0;
	bool space = false;

	if (d != NULL && d->replay)
		return (replay_input(r, vtime, where));
	if (ST_GET(r->q_len) == 0)
		return (0);
	pthread_mutex_lock(&r->q_lock);
	while (r->q_len > 0) {
		chunk = r->q_len;
		if (chunk > VMRUN_INPUT_MAX - r->q_head)
			chunk = VMRUN_INPUT_MAX - r->q_head;
		n = (size_t)ns8250_rx(r->com1, r->q_buf + r->q_head, chunk);
		memcpy(took_buf + took, r->q_buf + r->q_head, n);
		r->q_head = (r->q_head + n) % VMRUN_INPUT_MAX;
		ST_SET(r->q_len, r->q_len - n);
		took += n;
		if (n < chunk)
			break;
	}
	/*
	 * What a halt that follows waits for is input newer than this:
	 * bytes queued after the unlocked q_len check above, or after the
	 * unlock below, must end it (wait_input(), pace_halt()).
	 */
	r->q_seen = r->q_seq;
	if (took > 0 && r->q_full) {
		r->q_full = false;
		space = true;
	}
	pthread_mutex_unlock(&r->q_lock);
	ST_SET(r->st_input, r->st_input + took);
	if (space && r->p.input_space != NULL)
		r->p.input_space(r->p.console_arg);
	if (d != NULL && took > 0 && d->took != NULL) {
		det_point(r, vtime, where, &pt);
		return (d->took(d->arg, &pt, took_buf, took));
	}
	return (0);
}

/*
 * The guest halted with no timer armed: only new input (or a stop) can
 * wake it; bytes still queued are ones the UART has no room for.  0 to go
 * on, or EDEADLK once the input side is closed.
 */
static int
wait_input(struct vmrun *r, uint64_t vtime)
{
	struct vmrun_point pt;
	uint64_t seq;
	int error = 0;

	pthread_mutex_lock(&r->q_lock);
	ST_SET(r->state, VMRUN_STATE_HALTED);
	if (r->p.det != NULL && r->p.det->replay) {
		/* The log knows whether input or a stop comes; no waiting. */
		pthread_mutex_unlock(&r->q_lock);
		det_point(r, vtime, VMRUN_AT_HLT, &pt);
		error = r->p.det->halt_wait(r->p.det->arg, &pt);
		ST_SET(r->state, VMRUN_STATE_RUNNING);
		return (error);
	}
	/* Input since drain_input() last looked is new: no wait. */
	seq = r->q_seen;
	while (r->q_seq == seq && !r->q_closed && !stop_requested(r))
		pthread_cond_wait(&r->q_cv, &r->q_lock);
	if (r->q_seq == seq && !stop_requested(r))
		error = EDEADLK;
	ST_SET(r->state, VMRUN_STATE_RUNNING);
	pthread_mutex_unlock(&r->q_lock);
	return (error);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/*
 * A halt that skips "skip" ns of device time to the next timer, while
 * console input may come.  Without pacing the skip costs no host time, so
 * a guest idle at a prompt would spin a host CPU and race its clock ahead
 * (the RTC alone wakes it every virtual second).  So wait for up to that
 * long on the host: if no new input comes the whole skip is taken, just
 * as without input, and the run is what it would have been; if input (or
 * a stop) comes first, the halt ends after the host time that passed.
 * That is the one place host time reaches the guest, and only with input,
 * whose arrival is host-timed anyway.  Returns the ns to skip.
 */
static uint64_t
pace_halt(struct vmrun *r, uint64_t skip)
{
	struct timespec dl;
	uint64_t t0, end, seq, elapsed;
	int early;

	pthread_mutex_lock(&r->q_lock);
	/*
	 * Input that came after drain_input() last looked (between the HLT
	 * exit and here) ends the halt before it starts.
	 */
	seq = r->q_seen;
	if (r->q_seq != seq) {
		pthread_mutex_unlock(&r->q_lock);
		return (0);
	}
	if (r->q_closed || stop_requested(r)) {
		pthread_mutex_unlock(&r->q_lock);
		return (skip);
	}
	ST_SET(r->state, VMRUN_STATE_HALTED);
	t0 = mono_ns();
	end = t0 + skip < t0 ? UINT64_MAX / 2 : t0 + skip;
	dl.tv_sec = (time_t)(end / 1000000000ULL);
	dl.tv_nsec = (long)(end % 1000000000ULL);
	while (r->q_seq == seq && !r->q_closed && !stop_requested(r))
		if (pthread_cond_timedwait(&r->q_cv, &r->q_lock, &dl) ==
		    ETIMEDOUT)
			break;
	early = r->q_seq != seq || stop_requested(r);
	ST_SET(r->state, VMRUN_STATE_RUNNING);
	pthread_mutex_unlock(&r->q_lock);
	if (!early)
		return (skip);
	elapsed = mono_ns() - t0;
	return (elapsed < skip ? elapsed : skip);
}

/*
 * How far a halt skips toward the next timer, full ns away: in a replay,
 * what the log says; with a console, paced on the host (pace_halt()),
 * and when recording a skip that host time cut short goes to the log.
 * 0, or the hooks' errno value.
 */
static int
halt_skip(struct vmrun *r, uint64_t vtime, uint64_t full, uint64_t *skip)
{
	const struct vmrun_det *d = r->p.det;
	struct vmrun_point pt;

	*skip = full;
	det_point(r, vtime, VMRUN_AT_HLT, &pt);
	if (d != NULL && d->replay) {
		*skip = d->halt_skip(d->arg, &pt, full);
		return (*skip > full ? ECANCELED : 0);
	}
	if (!r->p.console_input)
		return (0);
	*skip = pace_halt(r, full);
	if (d != NULL && *skip != full && d->skipped != NULL)
		return (d->skipped(d->arg, &pt, *skip, full));
	return (0);
}

/*
 * The top of the loop, for record and replay: number the boundary and
 * call the hook.  A replay's stop is taken where a recorded one was, at
 * the stop check after input and injection.
 */
static int
det_boundary(struct vmrun *r, uint64_t vtime)
{
	const struct vmrun_det *d = r->p.det;
	struct vmrun_point pt;
	int error;

	if (d == NULL)
		return (0);
	r->boundaries++;
	if (d->boundary == NULL)
		return (0);
	det_point(r, vtime, VMRUN_AT_RUN, &pt);
	error = d->boundary(d->arg, &pt);
	if (error == VMRUN_DET_STOP) {
		r->det_stop = 1;
		return (0);
	}
	return (error);
}

/*
 * The snapshot hook: once, at the first boundary past snap_at_ns where
 * the vcpu owes no exit completion, so that the registers read now are
 * the whole story (vmmsim_vcpu_snap_save() refuses otherwise).  The
 * boundary is numbered as the det hook will number it.
 */
static int
maybe_snap(struct vmrun *r, uint64_t vtime)
{
	struct vmrun_point pt;

	if (r->p.snap == NULL || r->snapped ||
	    vtime < r->p.snap_at_ns)
		return (0);
	switch (r->last_exit) {
	case VMX_EXIT_IO:
	case SVM_VMEXIT_IOIO:
	case VMX_EXIT_EPT_VIOLATION:
	case SVM_VMEXIT_NPF:
		return (0);
	}
	r->snapped = 1;
	det_point(r, vtime, VMRUN_AT_RUN, &pt);
	return (r->p.snap(r->p.console_arg, &pt));
}

/* One optional device: present in both, or the snapshot is another's. */
#define SNAP_OPT(sb, dev, fn) do {					\
	bool present_ = (dev) != NULL;					\
	SB_BOOL(sb, present_);						\
	if (present_ != ((dev) != NULL))				\
		(sb)->error = EINVAL;					\
	else if ((dev) != NULL)						\
		fn((dev), (sb));					\
} while (0)

int
vmrun_snap(struct vmrun *r, struct snapbuf *sb)
{
	uint64_t now = r->clock.now;
	uint32_t exit_status = (uint32_t)r->exit_status;
	uint32_t done = (uint32_t)r->done, reset = (uint32_t)r->reset;
	unsigned i;

	SB_INT(sb, now);
	SB_INT(sb, r->idle);
	SB_INT(sb, r->sysctl_a);
	SB_INT(sb, r->rst_ctl);
	SB_INT(sb, exit_status);
	SB_INT(sb, done);
	SB_INT(sb, reset);
	snapbuf_check(sb, done, 1);	/* a finished run is not resumed */
	snapbuf_check(sb, reset, VMRUN_RESET_CF9 + 1);
	SB_INT(sb, r->boundaries);
	SB_INT(sb, r->irqready);
	SB_INT(sb, r->last_exit);
	SB_INT(sb, r->st_runs);
	SB_INT(sb, r->st_irqs);
	SB_INT(sb, r->st_input);
	if (!sb->save) {
		/* Devices re-arm their timers on the clock at this time. */
		r->clock.now = now;
		r->exit_status = (int)exit_status;
		r->done = (int)done;
		r->reset = (int)reset;
		ST_SET(r->st_idle, r->idle);
	}
	i8259_snap(r->pic, sb);
	i8253_snap(r->pit, sb);
	ns8250_snap(r->com1, sb);
	mc146818_snap(r->rtc, sb);
	i8042_snap(r->kbc, sb);
	pci_snap(r->pci, sb);
	SNAP_OPT(sb, r->rnd, virtio_rnd_snap);
	for (i = 0; i < VMRUN_MAX_DISKS; i++)
		SNAP_OPT(sb, r->blk[i], virtio_blk_snap);
	SNAP_OPT(sb, r->con, virtio_con_snap);
	SNAP_OPT(sb, r->fw, fw_cfg_snap);
	if (!sb->save && sb->error == 0 && sb->pos != sb->len)
		sb->error = EINVAL;		/* bytes left over */
	if (!sb->save && sb->error == 0) {
		r->restored = 1;
		r->snapped = 1;
	}
	return (sb->error);
}

uint64_t
vmrun_state_hash(struct vmrun *r)
{
	struct statehash sh;
	struct snapbuf sb;
	const struct dev_timer *t;
	unsigned i;

	statehash_init(&sh);
	statehash_u64(&sh, r->clock.now);
	statehash_u64(&sh, r->idle);
	for (t = r->clock.timers; t != NULL; t = t->next)
		statehash_u64(&sh, t->at);
	statehash_u64(&sh, r->sysctl_a);
	statehash_u64(&sh, r->rst_ctl);
	statehash_u64(&sh, (uint64_t)r->exit_status);
	statehash_u64(&sh, (uint64_t)r->done);
	statehash_u64(&sh, (uint64_t)r->reset);
	i8259_hash(r->pic, &sh);
	ns8250_hash(r->com1, &sh);
	/* The rest as a snapshot would save it (docs/snapshot-format.md). */
	snapbuf_init_save(&sb);
	i8253_snap(r->pit, &sb);
	mc146818_snap(r->rtc, &sb);
	i8042_snap(r->kbc, &sb);
	pci_snap(r->pci, &sb);
	SNAP_OPT(&sb, r->rnd, virtio_rnd_snap);
	for (i = 0; i < VMRUN_MAX_DISKS; i++)
		SNAP_OPT(&sb, r->blk[i], virtio_blk_snap);
	SNAP_OPT(&sb, r->con, virtio_con_snap);
	SNAP_OPT(&sb, r->fw, fw_cfg_snap);
	statehash_u64(&sh, sb.error == 0 ? statehash_buf(sb.buf, sb.len,
	    STATEHASH_SEED) : 0);
	snapbuf_free(&sb);
	return (statehash_final(&sh));
}

/*
 * Read the vcpu's virtual time, which is device time: the instructions
 * the guest retired and the time it spent halted (vmmsim_vcpu_idle()).
 */
static void
set_clock(struct vmrun *r, uint64_t vtime)
{
	ST_SET(r->st_vtime, vtime);
	dev_vclock_advance(&r->clock, vtime);
}

static int
sync_clock(struct vmrun *r, uint64_t *vtime)
{
	if (vmmsim_vcpu_vtime(r->p.fd, r->p.vm_id, 0, vtime) == -1)
		return (errno);
	set_clock(r, *vtime);
	return (0);
}

/*
 * String I/O: emulate it (strio.h) and give the registers back.  The
 * completion of an I/O exit on the next RUN takes only RIP (and RAX for
 * IN) from the exit (§8), so RSI/RDI/RCX go in with WRITEREGS first; the
 * exit passed back then says OUT, so that the completion leaves RAX alone
 * (for IN it would zero RAX's upper half, a quirk INS must not suffer).
 */
static int
do_strio(struct vmrun *r, struct vm_exit *ve)
{
	struct vm_rwregs_params vrwp;
	int done, error;

	if (r->p.mem == NULL) {
		snprintf(r->error, sizeof(r->error), "string I/O on port "
		    "%#x at rip %#llx, but the run loop has no guest memory",
		    ve->vei.vei_port,
		    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		return (EOPNOTSUPP);
	}
	if ((error = strio_emulate(&r->ports, &r->mmio, r->p.mem, ve, &done,
	    r->error)) != 0)
		return (error);
	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = r->p.vm_id;
	vrwp.vrwp_vcpu_id = 0;
	vrwp.vrwp_mask = VM_RWREGS_GPRS;
	vrwp.vrwp_regs = ve->vrs;
	if (vmmsim_ioctl(r->p.fd, VMM_IOC_WRITEREGS, &vrwp) == -1) {
		error = errno;
		snprintf(r->error, sizeof(r->error), "string I/O: "
		    "VMM_IOC_WRITEREGS: %s", strerror(error));
		return (error);
	}
	ve->vei.vei_dir = VEI_DIR_OUT;
	return (0);
}

/* One I/O exit through the port table. */
static int
do_io(struct vmrun *r, struct vm_exit *ve)
{
	uint32_t data = ve->vei.vei_data, mask;
	int size = ve->vei.vei_size;

	if (ve->vei.vei_string)
		return (do_strio(r, ve));
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
 * What the first RUN of a loop passes back.  The kernel completes the
 * exit it remembers, even across RESETCPU (§8 quirk): after a reset from
 * an I/O or MMIO exit it would put the old RIP back.  So pass the
 * registers the vcpu has now, and an OUT that leaves RAX alone.
 */
static int
first_exit(struct vmrun *r, struct vm_exit *ve)
{
	struct vm_rwregs_params vrwp;

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = r->p.vm_id;
	vrwp.vrwp_vcpu_id = 0;
	vrwp.vrwp_mask = VM_RWREGS_GPRS;
	if (vmmsim_ioctl(r->p.fd, VMM_IOC_READREGS, &vrwp) == -1)
		return (errno);
	memset(ve, 0, sizeof(*ve));
	ve->vrs = vrwp.vrwp_regs;
	ve->vei.vei_dir = VEI_DIR_OUT;
	return (0);
}

/*
 * Get control back from RUN when the next device timer is due.  A guest
 * that waits for a timer interrupt by spinning (SeaBIOS's yield() with
 * threads: sti; nop; cli) makes no exit userland sees, and vmd's way out,
 * a timer thread on the host clock calling VMM_IOC_INTR, would make the
 * run depend on the host.  vmmsim_vcpu_stop_at() (an extension) makes RUN
 * return at the first exit at or after a virtual time, and the CPU takes
 * a host interrupt exactly there: at the timer's deadline, as device time
 * is vcpu time.
 */
static int
arm_stop(struct vmrun *r, uint64_t vtime)
{
	uint64_t next = dev_vclock_next(&r->clock), at = 0, q;

	if (r->p.max_time_ns != 0 && r->p.max_time_ns < next)
		next = r->p.max_time_ns;
	if (next != UINT64_MAX)
		at = next > vtime ? next : vtime + 1;
	/* Record and replay: never further than a quantum (vmrun_det). */
	if (r->p.det != NULL) {
		q = r->p.det->quantum_ns != 0 ? r->p.det->quantum_ns :
		    VMRUN_DET_QUANTUM;
		if (at == 0 || at > vtime + q)
			at = vtime + q;
	}
	if (at == r->stop_at)
		return (0);
	if (vmmsim_vcpu_stop_at(r->p.fd, r->p.vm_id, 0, at) == -1)
		return (errno);
	r->stop_at = at;
	return (0);
}

/*
 * The guest stayed halted for skip ns: the vcpu's clock (its TSC and
 * pvclock) and with it device time move on by that much, as a halted
 * CPU's TSC does on hardware.
 */
static int
idle_vcpu(struct vmrun *r, uint64_t skip, uint64_t *vtime)
{
	int error;

	if (skip == 0)
		return (0);
	if (vmmsim_vcpu_idle(r->p.fd, r->p.vm_id, 0, skip) == -1) {
		error = errno;
		snprintf(r->error, sizeof(r->error), "vmmsim_vcpu_idle: %s",
		    strerror(error));
		return (error);
	}
	r->idle += skip;
	ST_SET(r->st_idle, r->idle);
	*vtime += skip;			/* what the vcpu now reads */
	set_clock(r, *vtime);
	return (0);
}

/* Whether device time reached the caller's limit. */
static int
timed_out(const struct vmrun *r, uint64_t vtime)
{
	return (r->p.max_time_ns != 0 && vtime >= r->p.max_time_ns);
}

/*
 * Run the vcpu until the guest ends its run (debug exit, reset, triple
 * fault, or the time limit).  Returns 0 with *res filled, or an errno
 * value: the RUN ioctl's (EIO: HLT with interrupts off, EINVAL: the
 * monitor killed the vcpu), EOPNOTSUPP for an exit no device here
 * handles (MMIO or string I/O without guest memory, an instruction the
 * MMIO emulator does not know), EFAULT for an EPT protection fault or an
 * MMIO or string I/O access that cannot be followed through the page
 * tables, EINVAL for string I/O whose instruction is not INS/OUTS, or
 * EDEADLK for a guest halted with nothing that could ever wake it;
 * vmrun_error() says more.
 */
static int	run(struct vmrun *, struct vmrun_result *);

int
vmrun_loop(struct vmrun *r, struct vmrun_result *res)
{
	int error;

	r->stop_at = ~0ULL;		/* unknown: set it on the first RUN */
	ST_SET(r->state, VMRUN_STATE_RUNNING);
	error = run(r, res);
	/* vmrun_stop() may have set a stop time behind our back. */
	if (r->stop_at != 0 || stop_requested(r))
		(void)vmmsim_vcpu_stop_at(r->p.fd, r->p.vm_id, 0, 0);
	ST_SET(r->state, error == 0 && res->stopped ? VMRUN_STATE_STOPPED :
	    VMRUN_STATE_IDLE);
	return (error);
}

static int
run(struct vmrun *r, struct vmrun_result *res)
{
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint64_t vtime = 0, next, skip;
	int vec, error, timeout = 0, stopped = 0;

	memset(res, 0, sizeof(*res));
	r->error[0] = '\0';
	r->det_stop = 0;
	/* A restored loop goes on as the saved one would have. */
	if (!r->restored) {
		r->irqready = 0;
		r->last_exit = VM_EXIT_NONE;
	}
	r->restored = 0;
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = r->p.vm_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_exit = &ve;
	if ((error = first_exit(r, &ve)) != 0 ||
	    (error = sync_clock(r, &vtime)) != 0)
		return (error);
	while (!r->done) {
		if (timed_out(r, vtime)) {
			timeout = 1;
			break;
		}
		if ((error = maybe_snap(r, vtime)) != 0 ||
		    (error = det_boundary(r, vtime)) != 0 ||
		    (error = drain_input(r, vtime, VMRUN_AT_RUN)) != 0)
			return (error);
		/* Inject the PIC's interrupt when the guest can take it. */
		vrp.vrp_inject.vie_type = VCPU_INJECT_NONE;
		if (r->irqready && i8259_pending(r->pic) &&
		    (vec = i8259_ack(r->pic)) >= 0) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = (uint8_t)vec;
			res->irqs++;
			ST_SET(r->st_irqs, r->st_irqs + 1);
		}
		vrp.vrp_intr_pending = i8259_pending(r->pic) ? 1 : 0;
		if ((error = arm_stop(r, vtime)) != 0)
			return (error);
		/*
		 * The stop time is set before stop_req is read, so a
		 * vmrun_stop() this misses replaces it (see there).
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (stop_requested(r) || r->det_stop) {
			stopped = 1;
			break;
		}
		if (vmmsim_ioctl(r->p.fd, VMM_IOC_RUN, &vrp) == -1) {
			error = errno;
			snprintf(r->error, sizeof(r->error), "VMM_IOC_RUN: %s "
			    "(rip %#llx)", strerror(error), (unsigned long long)
			    ve.vrs.vrs_gprs[VCPU_REGS_RIP]);
			return (error);
		}
		res->runs++;
		ST_SET(r->st_runs, r->st_runs + 1);
		r->irqready = vrp.vrp_irqready;
		r->last_exit = vrp.vrp_exit_reason;
		if ((error = sync_clock(r, &vtime)) != 0)
			return (error);
		/* VMX and SVM exit codes do not collide: one switch. */
		switch (vrp.vrp_exit_reason) {
		case VMX_EXIT_IO:
		case SVM_VMEXIT_IOIO:
			if ((error = do_io(r, &ve)) != 0)
				return (error);
			break;
		case VMX_EXIT_HLT:
		case SVM_VMEXIT_HLT:
			/* Halted until an interrupt: skip to the next timer. */
			if ((error = drain_input(r, vtime, VMRUN_AT_HLT)) != 0)
				return (error);
			if (i8259_pending(r->pic))
				break;
			if ((next = dev_vclock_next(&r->clock)) == UINT64_MAX) {
				/* Or, with a console, wait for input. */
				if (r->p.console_input &&
				    (error = wait_input(r, vtime)) != EDEADLK) {
					if (error != 0)
						return (error);
					break;
				}
				snprintf(r->error, sizeof(r->error), "the guest "
				    "halted at rip %#llx with no timer armed",
				    (unsigned long long)
				    ve.vrs.vrs_gprs[VCPU_REGS_RIP]);
				return (EDEADLK);
			}
			if (r->p.max_time_ns != 0 && next > r->p.max_time_ns)
				next = r->p.max_time_ns;
			if (next > vtime) {
				if ((error = halt_skip(r, vtime, next - vtime,
				    &skip)) != 0 ||
				    (error = idle_vcpu(r, skip, &vtime)) != 0)
					return (error);
			}
			break;
		case VMX_EXIT_TRIPLE_FAULT:
		case SVM_VMEXIT_SHUTDOWN:
			guest_reset(r, VMRUN_RESET_TRIPLE);
			break;
		case VMX_EXIT_EPT_VIOLATION:
		case SVM_VMEXIT_NPF:
			if ((error = do_ept(r, &ve)) != 0)
				return (error);
			break;
		default:
			break;			/* handled in the kernel */
		}
	}
	res->status = r->reset ? 0 : r->exit_status;
	res->reset = r->reset;
	res->timeout = timeout;
	res->stopped = stopped;
	res->vtime_ns = vtime;
	res->idle_ns = r->idle;
	return (0);
}
