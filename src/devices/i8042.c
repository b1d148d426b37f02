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
 * The 8042 keyboard controller (i8042.h).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "devices/i8042.h"
#include "devices/snapbuf.h"

/* Status register. */
#define STR_OBF		0x01	/* output buffer full */
#define STR_SYSFLAG	0x04	/* self test passed */
#define STR_CMD		0x08	/* last write went to 0x64 */
#define STR_UNLOCKED	0x10	/* keyboard not inhibited */
#define STR_AUXDATA	0x20	/* the byte is from the AUX device */

/* Command byte. */
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYSFLAG	0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40

/* Controller commands (port 0x64). */
#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE	0xA7
#define CMD_AUX_ENABLE	0xA8
#define CMD_AUX_TEST	0xA9
#define CMD_SELF_TEST	0xAA
#define CMD_KBD_TEST	0xAB
#define CMD_KBD_DISABLE	0xAD
#define CMD_KBD_ENABLE	0xAE
#define CMD_READ_OUT	0xD0
#define CMD_WRITE_OUT	0xD1
#define CMD_KBD_ECHO	0xD2
#define CMD_AUX_ECHO	0xD3
#define CMD_WRITE_AUX	0xD4
#define CMD_PULSE	0xF0	/* 0xF0-0xFF: low nibble clear = pulse */

#define SELF_TEST_OK	0x55
#define OUT_RESET	0x01	/* output port: CPU reset when clear */
#define OUT_A20		0x02
#define OUT_DEFAULT	(OUT_RESET | OUT_A20)

/* Keyboard commands and answers. */
#define KBD_SETLEDS	0xED
#define KBD_ECHO	0xEE
#define KBD_SCANSET	0xF0
#define KBD_GETID	0xF2
#define KBD_TYPEMATIC	0xF3
#define KBD_RESET	0xFF
#define KBD_ACK		0xFA
#define KBD_BAT_OK	0xAA
#define KBD_RESEND	0xFE
#define KBD_ID0		0xAB
#define KBD_ID1		0x83	/* MF2 keyboard */

#define QLEN		16

struct i8042 {
	struct dev_irq	 irq;
	void		(*reset)(void *);
	void		 *reset_arg;
	uint8_t		 status;
	uint8_t		 ctr;
	uint8_t		 outport;
	uint8_t		 pending;	/* controller command awaiting data */
	uint8_t		 kbd_pending;	/* keyboard command awaiting data */
	uint8_t		 last;		/* what 0x60 reads when empty */
	uint8_t		 q[QLEN];	/* output bytes ... */
	bool		 qaux[QLEN];	/* ... and whose they are */
	unsigned	 qhead, qlen;
};

/* The interrupt lines follow the head of the queue and the command byte. */
static void
update(struct i8042 *k)
{
	int kbd = 0, aux = 0;

	k->status &= ~(STR_OBF | STR_AUXDATA);
	if (k->qlen > 0) {
		k->status |= STR_OBF;
		if (k->qaux[k->qhead]) {
			k->status |= STR_AUXDATA;
			aux = (k->ctr & CTR_AUXINT) != 0;
		} else
			kbd = (k->ctr & CTR_KBDINT) != 0;
	}
	dev_irq_set(&k->irq, I8042_KBD_IRQ, kbd);
	dev_irq_set(&k->irq, I8042_AUX_IRQ, aux);
}

static void
push(struct i8042 *k, uint8_t b, bool aux)
{
	unsigned i;

	if (k->qlen == QLEN)
		return;			/* overrun: the byte is lost */
	i = (k->qhead + k->qlen++) % QLEN;
	k->q[i] = b;
	k->qaux[i] = aux;
}

int
i8042_kbd_input(struct i8042 *k, uint8_t b)
{
	if (k->qlen == QLEN)
		return (ENOSPC);
	push(k, b, false);
	update(k);
	return (0);
}

static void
pulse_reset(struct i8042 *k)
{
	if (k->reset != NULL)
		k->reset(k->reset_arg);
}

/* A byte written to 0x60 with no controller command pending. */
static void
kbd_write(struct i8042 *k, uint8_t b)
{
	uint8_t pending = k->kbd_pending;

	if (pending != 0) {		/* LEDs, rate, scan-code set */
		k->kbd_pending = 0;
		push(k, KBD_ACK, false);
		if (pending == KBD_SCANSET && b == 0)
			push(k, 0x02, false);	/* which set: 2 */
		return;
	}
	switch (b) {
	case KBD_RESET:
		push(k, KBD_ACK, false);
		push(k, KBD_BAT_OK, false);
		break;
	case KBD_GETID:
		push(k, KBD_ACK, false);
		push(k, KBD_ID0, false);
		push(k, KBD_ID1, false);
		break;
	case KBD_ECHO:
		push(k, KBD_ECHO, false);
		break;
	case KBD_SETLEDS:
	case KBD_TYPEMATIC:
	case KBD_SCANSET:
		k->kbd_pending = b;
		push(k, KBD_ACK, false);
		break;
	default:
		push(k, b >= 0xF4 ? KBD_ACK : KBD_RESEND, false);
		break;
	}
}

static void
data_write(struct i8042 *k, uint8_t b)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = b;
		k->status = (k->status & ~STR_SYSFLAG) |
		    (b & CTR_SYSFLAG ? STR_SYSFLAG : 0);
		break;
	case CMD_WRITE_OUT:
		k->outport = b;
		if (!(b & OUT_RESET))
			pulse_reset(k);
		break;
	case CMD_KBD_ECHO:
		push(k, b, false);
		break;
	case CMD_AUX_ECHO:
		push(k, b, true);
		break;
	case CMD_WRITE_AUX:
		push(k, KBD_RESEND, true);	/* no mouse */
		break;
	default:
		kbd_write(k, b);
		break;
	}
}

static void
command(struct i8042 *k, uint8_t c)
{
	switch (c) {
	case CMD_READ_CTR:
		push(k, k->ctr, false);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUT:
	case CMD_KBD_ECHO:
	case CMD_AUX_ECHO:
	case CMD_WRITE_AUX:
		k->pending = c;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		push(k, 0x00, false);
		break;
	case CMD_SELF_TEST:
		k->status |= STR_SYSFLAG;
		push(k, SELF_TEST_OK, false);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBDDIS;
		break;
	case CMD_READ_OUT:
		push(k, k->outport, false);
		break;
	default:
		if (c >= CMD_PULSE && !(c & OUT_RESET))
			pulse_reset(k);
		break;			/* others: ignored */
	}
}

static int
i8042_io(void *dev, uint16_t port, int dir, int size, uint32_t *data)
{
	struct i8042 *k = dev;

	(void)size;
	if (port == I8042_CMD_PORT) {
		if (dir == DEV_IO_IN)
			*data = k->status;
		else {
			k->status |= STR_CMD;
			command(k, (uint8_t)*data);
		}
	} else if (dir == DEV_IO_IN) {
		if (k->qlen > 0) {
			k->last = k->q[k->qhead];
			k->qhead = (k->qhead + 1) % QLEN;
			k->qlen--;
		}
		*data = k->last;
	} else {
		k->status &= ~STR_CMD;
		data_write(k, (uint8_t)*data);
	}
	update(k);
	return (0);
}

struct i8042 *
i8042_create(const struct dev_irq *irq, void (*reset)(void *), void *arg)
{
	struct i8042 *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	if (irq != NULL)
		k->irq = *irq;
	k->reset = reset;
	k->reset_arg = arg;
	k->status = STR_CMD | STR_UNLOCKED;
	k->ctr = CTR_KBDINT | CTR_AUXINT;
	k->outport = OUT_DEFAULT;
	return (k);
}

void
i8042_destroy(struct i8042 *k)
{
	free(k);
}

int
i8042_register(struct i8042 *k, struct dev_port_table *t)
{
	int error;

	if ((error = dev_ports_register(t, I8042_DATA_PORT, 1, i8042_io,
	    k)) != 0)
		return (error);
	if ((error = dev_ports_register(t, I8042_CMD_PORT, 1, i8042_io,
	    k)) != 0) {
		(void)dev_ports_unregister(t, I8042_DATA_PORT, 1, k);
		return (error);
	}
	return (0);
}

/*
 * Save (sb->save) or restore this device's state for a snapshot, field
 * by field in the order docs/snapshot-format.md gives.  Restoring into a
 * device just created; a value out of range sets sb->error.
 */
void
i8042_snap(struct i8042 *sc, struct snapbuf *sb)
{
	unsigned i;

	SB_INT(sb, sc->status);
	SB_INT(sb, sc->ctr);
	SB_INT(sb, sc->outport);
	SB_INT(sb, sc->pending);
	SB_INT(sb, sc->kbd_pending);
	SB_INT(sb, sc->last);
	snapbuf_bytes(sb, sc->q, sizeof(sc->q));
	for (i = 0; i < QLEN; i++)
		SB_BOOL(sb, sc->qaux[i]);
	SB_INT(sb, sc->qhead);
	snapbuf_check(sb, sc->qhead, QLEN);
	SB_INT(sb, sc->qlen);
	snapbuf_check(sb, sc->qlen, QLEN + 1);
}
