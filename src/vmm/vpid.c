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
 * The VPID/ASID allocator shared by VMX and SVM (vmm-contract.md §12.2): a
 * 4096-bit bitmap, first clear bit from 'minasid' to max_vpid inclusive.
 * ID 0 belongs to the host and is never handed out.
 */

#include <errno.h>

#include "vmm.h"

/*
 * vmm_alloc_vpid
 *
 * Return values:
 *  0: success, *vpid set
 *  ENOMEM: every id in [minasid, max_vpid] is taken
 */
int
vmm_alloc_vpid(struct vmm_softc *sc, uint16_t minasid, uint16_t *vpid)
{
	unsigned int i, idx, bit;

	if (minasid == 0)
		minasid = 1;

	pthread_mutex_lock(&sc->vpid_lock);
	for (i = minasid; i <= sc->max_vpid; i++) {
		idx = i / 8;
		bit = i % 8;
		if (!(sc->vpids[idx] & (1U << bit))) {
			sc->vpids[idx] |= (uint8_t)(1U << bit);
			*vpid = (uint16_t)i;
			pthread_mutex_unlock(&sc->vpid_lock);
			return (0);
		}
	}
	pthread_mutex_unlock(&sc->vpid_lock);

	vmm_printf("vmm_alloc_vpid: no available %ss\n",
	    sc->mode == VMM_MODE_EPT ? "VPID" : "ASID");
	return (ENOMEM);
}

void
vmm_free_vpid(struct vmm_softc *sc, uint16_t vpid)
{
	unsigned int idx = vpid / 8, bit = vpid % 8;

	if (vpid == 0 || vpid > sc->max_vpid)
		return;
	pthread_mutex_lock(&sc->vpid_lock);
	sc->vpids[idx] &= (uint8_t)~(1U << bit);
	pthread_mutex_unlock(&sc->vpid_lock);
}
