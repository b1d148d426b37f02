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
 * The 8042 keyboard controller at 0x60 (data) and 0x64 (status and
 * command), with a keyboard that answers its commands and no mouse.
 *
 * vmd has no keyboard controller: a guest probing it reads all ones or
 * times out.  Firmware like SeaBIOS probes it with TSC-timed waits of
 * hundreds of milliseconds, which cost minutes of host time at the
 * simulated CPU's speed, so a controller that answers at once is worth
 * having.  What it does (IBM PC/AT Technical Reference, the 8042 command
 * set as QEMU and Linux's i8042 driver use it):
 *	status	OBF (bit 0), system flag (2, set by the self test or the
 *		command byte), command/data (3), unlocked (4), AUX OBF (5)
 *	0x64	0x20 read / 0x60 write the command byte, 0xA7/0xA8 AUX
 *		off/on, 0xA9 AUX test (0), 0xAA self test (0x55), 0xAB
 *		keyboard test (0), 0xAD/0xAE keyboard off/on, 0xD0/0xD1
 *		output port (bit 0 clear resets), 0xD2/0xD3 echo as keyboard
 *		or AUX data, 0xD4 next byte to the AUX device, 0xF0-0xFF
 *		pulse output lines (bit 0 clear: reset)
 *	0x60	keyboard commands: 0xFF reset (ACK, 0xAA), 0xF2 identify
 *		(ACK, 0xAB 0x83), 0xEE echo, 0xED/0xF3/0xF0 with their
 *		parameter, 0xF4/0xF5/0xF6 and the rest of 0xF7-0xFD: ACK;
 *		anything else: RESEND (0xFE).  Bytes for the AUX device
 *		answer 0xFE: there is no mouse.
 * IRQ 1 (keyboard) or 12 (AUX) is raised while the output buffer holds a
 * byte of its kind and the command byte enables its interrupt, and
 * lowered when the guest reads port 0x60.
 */

#ifndef VMMSIM_I8042_H
#define VMMSIM_I8042_H

#include <stdint.h>

#include "devices/devices.h"

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define I8042_KBD_IRQ		1
#define I8042_AUX_IRQ		12

struct i8042;

/* reset(arg) runs when the guest pulses the CPU reset line. */
struct i8042	*i8042_create(const struct dev_irq *,
		    void (*reset)(void *), void *arg);
void		 i8042_destroy(struct i8042 *);
int		 i8042_register(struct i8042 *, struct dev_port_table *);

/* A byte from the keyboard (a scan code); 0, or ENOSPC if queue full. */
int		 i8042_kbd_input(struct i8042 *, uint8_t);

struct snapbuf;
void		i8042_snap(struct i8042 *, struct snapbuf *);

#endif /* VMMSIM_I8042_H */
