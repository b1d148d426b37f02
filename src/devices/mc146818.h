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
 * A Motorola MC146818A real-time clock with the PC's CMOS layout: index
 * port 0x70 (bit 7 masks NMI), data port 0x71, IRQ 8, 128 bytes.  Register
 * names follow OpenBSD's dev/ic/mc146818reg.h and the PC NVRAM offsets
 * SeaBIOS reads.
 *
 * The clock is the device's dev_clock, never the host's: the time of day
 * is the start time given at creation plus the clock's nanoseconds.
 */

#ifndef VMMSIM_MC146818_H
#define VMMSIM_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"

#define MC146818_INDEX_PORT	0x70
#define MC146818_DATA_PORT	0x71
#define MC146818_IRQ		8
#define MC146818_NREGS		128
#define MC146818_NMI_MASK	0x80	/* in the byte written to 0x70 */
#define MC146818_INDEX_MASK	0x7F

/* Clock registers. */
#define MC_SEC			0x00
#define MC_ASEC			0x01	/* alarm */
#define MC_MIN			0x02
#define MC_AMIN			0x03
#define MC_HOUR			0x04
#define MC_AHOUR		0x05
#define MC_DOW			0x06	/* 1 = Sunday */
#define MC_DOM			0x07
#define MC_MONTH		0x08
#define MC_YEAR			0x09
#define MC_REGA			0x0A
#define MC_REGB			0x0B
#define MC_REGC			0x0C
#define MC_REGD			0x0D
#define MC_CENTURY		0x32	/* PC convention (IBM) */

#define MC_ALARM_DONTCARE	0xC0	/* alarm byte 0xC0-0xFF matches all */
#define MC_HOUR_PM		0x80	/* 12-hour mode */

/* Register A */
#define MC_REGA_UIP		0x80	/* update in progress (read-only) */
#define MC_REGA_DV_MASK		0x70	/* divider select */
#define MC_REGA_DV_32KHZ	0x20	/* 32.768 kHz time base: running */
#define MC_REGA_DV_RESET	0x60	/* 11x: divider chain held in reset */
#define MC_REGA_RS_MASK		0x0F	/* periodic rate select */
#define MC_RATE_NONE		0x0
#define MC_RATE_8192_HZ		0x3
#define MC_RATE_1024_HZ		0x6
#define MC_RATE_2_HZ		0xF

/* Register B */
#define MC_REGB_SET		0x80	/* halt updates to set the time */
#define MC_REGB_PIE		0x40	/* periodic interrupt enable */
#define MC_REGB_AIE		0x20	/* alarm interrupt enable */
#define MC_REGB_UIE		0x10	/* update-ended interrupt enable */
#define MC_REGB_SQWE		0x08	/* square wave enable */
#define MC_REGB_BINARY		0x04	/* DM: binary, not BCD */
#define MC_REGB_24HR		0x02	/* 24-hour, not 12-hour */
#define MC_REGB_DSE		0x01	/* daylight saving enable */

/* Register C (read-only, read clears) */
#define MC_REGC_IRQF		0x80
#define MC_REGC_PF		0x40
#define MC_REGC_AF		0x20
#define MC_REGC_UF		0x10

/* Register D (read-only) */
#define MC_REGD_VRT		0x80	/* valid RAM and time */

/* PC CMOS memory size bytes (little-endian pairs and triple). */
#define MC_NVRAM_BASEMEM_LO	0x15	/* KiB below 640 KiB */
#define MC_NVRAM_BASEMEM_HI	0x16
#define MC_NVRAM_EXTMEM_LO	0x17	/* KiB above 1 MiB, at most 63 MiB */
#define MC_NVRAM_EXTMEM_HI	0x18
#define MC_NVRAM_POSTMEM_LO	0x30	/* the same, as POST found it */
#define MC_NVRAM_POSTMEM_HI	0x31
#define MC_NVRAM_MEM16M_LO	0x34	/* 64 KiB blocks, 16 MiB .. 4 GiB */
#define MC_NVRAM_MEM16M_HI	0x35
#define MC_NVRAM_MEM4G_LO	0x5B	/* 64 KiB blocks above 4 GiB */
#define MC_NVRAM_MEM4G_MID	0x5C
#define MC_NVRAM_MEM4G_HI	0x5D

struct mc146818;

struct mc146818	*mc146818_create(const struct dev_clock *,
		    const struct dev_irq *, int64_t start_time);
void		 mc146818_destroy(struct mc146818 *);
int		 mc146818_register(struct mc146818 *, struct dev_port_table *);
void		 mc146818_set_memsize(struct mc146818 *, uint64_t bytes);
bool		 mc146818_nmi_masked(const struct mc146818 *);

struct snapbuf;
void		mc146818_snap(struct mc146818 *, struct snapbuf *);

#endif /* VMMSIM_MC146818_H */
