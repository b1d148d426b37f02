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

/* What the loaders share: reading the image, start states, the e820 map. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/loader.h"

int
loader_read_file(const char *path, size_t max, struct loader_image *out,
    char err[LOADER_ERRLEN])
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, error;

	out->data = NULL;
	out->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		error = errno;
		snprintf(err, LOADER_ERRLEN, "%s: %s", path, strerror(error));
		return error;
	}
	if (fstat(fd, &st) == -1) {
		error = errno;
		snprintf(err, LOADER_ERRLEN, "%s: %s", path, strerror(error));
		close(fd);
		return error;
	}
	if (!S_ISREG(st.st_mode)) {
		error = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		snprintf(err, LOADER_ERRLEN, "%s: not a regular file", path);
		close(fd);
		return error;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, LOADER_ERRLEN, "%s: %lld bytes, more than %zu",
		    path, (long long)st.st_size, max);
		close(fd);
		return EFBIG;
	}
	if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		close(fd);
		snprintf(err, LOADER_ERRLEN, "%s: out of memory", path);
		return ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			error = n == 0 ? EIO : errno;
			if (error == EINTR)
				continue;
			snprintf(err, LOADER_ERRLEN, "%s: short read", path);
			free(buf);
			close(fd);
			return error;
		}
		done += (size_t)n;
	}
	close(fd);
	out->data = buf;
	out->len = done;
	return 0;
}

void
loader_free_image(struct loader_image *img)
{
	free((void *)(uintptr_t)img->data);
	img->data = NULL;
	img->len = 0;
}

static void
seg(struct vcpu_segment_info *s, uint16_t sel, uint32_t limit, uint16_t ar,
    uint64_t base)
{
	s->vsi_sel = sel;
	s->vsi_limit = limit;
	s->vsi_ar = ar;
	s->vsi_base = base;
}

static void
common(struct vcpu_reg_state *vrs)
{
	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 1;		/* x87 */
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xFFFF0FF0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
	seg(&vrs->vrs_sregs[VCPU_REGS_LDTR], 0, 0xFFFF, 0x82, 0);
	seg(&vrs->vrs_sregs[VCPU_REGS_TR], 0, 0xFFFF, 0x8B, 0);
	vrs->vrs_idtr.vsi_limit = 0xFFFF;
}

/* The reset vector: CS 0xF000 based at 0xF0000, IP 0xFFF0. */
void
loader_regs_flat16(struct vcpu_reg_state *vrs)
{
	int i;

	common(vrs);
	vrs->vrs_gprs[VCPU_REGS_RIP] = 0xFFF0;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x60000010;	/* CD | NW | ET */
	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++)
		seg(&vrs->vrs_sregs[i], 0, 0xFFFF, 0x8093, 0);
	seg(&vrs->vrs_sregs[VCPU_REGS_CS], 0xF000, 0xFFFF, 0x809F, 0xF0000);
	vrs->vrs_gdtr.vsi_limit = 0xFFFF;
}

/* Flat 4 GiB protected mode, CS 0x08 and data 0x10, paging off. */
void
loader_regs_flat32(struct vcpu_reg_state *vrs, uint64_t eip)
{
	int i;

	common(vrs);
	vrs->vrs_gprs[VCPU_REGS_RIP] = eip;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x11;		/* PE | ET */
	for (i = VCPU_REGS_ES; i <= VCPU_REGS_GS; i++)
		seg(&vrs->vrs_sregs[i], 0x10, 0xFFFFFFFF, 0xC093, 0);
	seg(&vrs->vrs_sregs[VCPU_REGS_CS], 0x08, 0xFFFFFFFF, 0xC09B, 0);
	vrs->vrs_gdtr.vsi_limit = 0xFFFF;
}

/*
 * Long mode with paging at cr3, as vmd's vcpu_init_flat64 (whose CS
 * attributes 0xC09F leave L clear: the OpenBSD kernel's entry is 32-bit
 * code, run in compatibility mode).
 */
void
loader_regs_flat64(struct vcpu_reg_state *vrs, uint64_t rip, uint64_t cr3)
{
	loader_regs_flat32(vrs, rip);
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x80000011;	/* PG | ET | PE */
	vrs->vrs_crs[VCPU_REGS_CR3] = cr3;
	vrs->vrs_crs[VCPU_REGS_CR4] = 0x30;		/* PAE | PSE */
	vrs->vrs_msrs[VCPU_REGS_EFER] = 0x500;		/* LMA | LME */
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xC09F;
}

size_t
loader_e820(const struct guestmem *gm, struct loader_e820 *map, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < gm->nranges && n < max; i++) {
		map[n].addr = gm->ranges[i].vmr_gpa;
		map[n].size = gm->ranges[i].vmr_size;
		map[n].type = gm->ranges[i].vmr_type == VM_MEM_RAM ? 1 : 2;
		n++;
	}
	return n;
}
