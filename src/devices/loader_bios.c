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
 * A BIOS image (SeaBIOS) as vmd's loadfile_bios places it: the whole image
 * so that it ends at 4 GiB, in the reserved high BIOS area, and its top
 * 384 KiB at most again so that it ends at 1 MiB, where the reset vector
 * at 0xFFFF0 and the legacy BIOS segments are.  The vcpu starts at the
 * reset state (loader_regs_flat16: CS 0xF000 based at 0xF0000, IP 0xFFF0).
 */

#include <errno.h>
#include <string.h>

#include "devices/loader_impl.h"

#define BIOS_MIN	15		/* vmd's lower bound */
#define BIOS_MAX	(4ULL * 1024 * 1024)
#define LOWBIOS_MAX	(384ULL * 1024)	/* 0xA0000-0xFFFFF */
#define END_4G		0x100000000ULL
#define END_1M		0x100000ULL

int
loader_bios(const struct guestmem *gm, const struct loader_image *img,
    struct vcpu_reg_state *vrs, char err[LOADER_ERRLEN])
{
	uint64_t low;
	int error;

	err[0] = '\0';
	if (img->len < BIOS_MIN)
		return (loader_fail(err, EINVAL, "BIOS image of %zu bytes, "
		    "fewer than %d", img->len, BIOS_MIN));
	if (img->len > BIOS_MAX)
		return (loader_fail(err, EFBIG, "BIOS image of %zu bytes, more "
		    "than 4 MiB", img->len));
	low = img->len < LOWBIOS_MAX ? img->len : LOWBIOS_MAX;
	if (!loader_span_ok(gm, END_4G - img->len, img->len) ||
	    !loader_span_ok(gm, END_1M - low, low))
		return (loader_fail(err, EFBIG, "no guest memory below 4 GiB "
		    "or 1 MiB for the BIOS"));
	if ((error = guestmem_write(gm, END_4G - img->len, img->data,
	    img->len)) != 0 ||
	    (error = guestmem_write(gm, END_1M - low,
	    img->data + img->len - low, low)) != 0)
		return (loader_fail(err, error, "writing guest memory: %s",
		    strerror(error)));
	loader_regs_flat16(vrs);
	return (0);
}
