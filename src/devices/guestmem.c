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
 * Guest physical memory for userspace: vmd's memory map and copies in and
 * out of the ranges given to VMM_IOC_CREATE.
 */

#include <sys/mman.h>

#include <errno.h>
#include <string.h>

#include "devices/guestmem.h"

#define MiB	(1024ULL * 1024ULL)

static void
add_range(struct guestmem *gm, uint64_t gpa, uint64_t size, int type)
{
	struct vm_mem_range *r = &gm->ranges[gm->nranges++];

	r->vmr_gpa = gpa;
	r->vmr_va = 0;
	r->vmr_size = size;
	r->vmr_type = type;
}

int
guestmem_layout(struct guestmem *gm, uint64_t bytes)
{
	uint64_t rest, below;

	memset(gm, 0, sizeof(*gm));
	bytes &= ~(MiB - 1);
	if (bytes < MiB || bytes > VMM_MAX_VM_MEM_SIZE)
		return EINVAL;

	/* The first MiB counts against the total, hole included. */
	add_range(gm, 0, GUESTMEM_LOWMEM, VM_MEM_RAM);
	add_range(gm, GUESTMEM_LOWMEM, MiB - GUESTMEM_LOWMEM,
	    VM_MEM_RESERVED);
	rest = bytes - MiB;
	below = GUESTMEM_MMIO_BASE - MiB;
	if (rest > 0)
		add_range(gm, MiB, rest < below ? rest : below, VM_MEM_RAM);
	add_range(gm, GUESTMEM_MMIO_BASE,
	    GUESTMEM_MMIO_END + 1 - GUESTMEM_MMIO_BASE, VM_MEM_MMIO);
	add_range(gm, GUESTMEM_BIOS_HIGH, GUESTMEM_4G - GUESTMEM_BIOS_HIGH,
	    VM_MEM_RESERVED);
	if (rest > below)
		add_range(gm, GUESTMEM_4G, rest - below, VM_MEM_RAM);
	return 0;
}

void
guestmem_free(struct guestmem *gm)
{
	size_t i;

	if (gm->owned) {
		for (i = 0; i < gm->nranges; i++) {
			struct vm_mem_range *r = &gm->ranges[i];

			if (r->vmr_va != 0)
				munmap((void *)r->vmr_va, r->vmr_size);
			r->vmr_va = 0;
		}
	}
	gm->owned = 0;
}

int
guestmem_alloc(struct guestmem *gm, uint64_t bytes)
{
	size_t i;
	int error;

	if ((error = guestmem_layout(gm, bytes)) != 0)
		return error;
	gm->owned = 1;
	for (i = 0; i < gm->nranges; i++) {
		struct vm_mem_range *r = &gm->ranges[i];
		void *p;

		/*
		 * CREATE wants a user address for every range, MMIO too
		 * (VM_MIN_ADDRESS is a page): those get an inaccessible
		 * reservation that costs no memory.
		 */
		p = mmap(NULL, r->vmr_size, r->vmr_type == VM_MEM_MMIO ?
		    PROT_NONE : PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			guestmem_free(gm);
			return ENOMEM;
		}
		r->vmr_va = (vaddr_t)p;
	}
	return 0;
}

const struct vm_mem_range *
guestmem_find(const struct guestmem *gm, uint64_t gpa)
{
	size_t i;

	for (i = 0; i < gm->nranges; i++) {
		const struct vm_mem_range *r = &gm->ranges[i];

		if (gpa >= r->vmr_gpa && gpa - r->vmr_gpa < r->vmr_size)
			return r;
	}
	return NULL;
}

void *
guestmem_hva(const struct guestmem *gm, uint64_t gpa, size_t len)
{
	const struct vm_mem_range *r = guestmem_find(gm, gpa);
	uint64_t off;

	if (r == NULL || r->vmr_va == 0 || r->vmr_type == VM_MEM_MMIO)
		return NULL;
	off = gpa - r->vmr_gpa;
	if (len > r->vmr_size - off)
		return NULL;
	return (uint8_t *)r->vmr_va + off;
}

/* Walk [gpa, gpa+len) range by range; fn copies one piece. */
static int
walk(const struct guestmem *gm, uint64_t gpa, size_t len,
    void (*fn)(uint8_t *hva, size_t n, void *buf), uint8_t *buf)
{
	if (len > 0 && gpa + len - 1 < gpa)
		return EFAULT;
	while (len > 0) {
		const struct vm_mem_range *r = guestmem_find(gm, gpa);
		uint64_t off, n;

		if (r == NULL || r->vmr_va == 0 || r->vmr_type == VM_MEM_MMIO)
			return EFAULT;
		off = gpa - r->vmr_gpa;
		n = r->vmr_size - off;
		if (n > len)
			n = len;
		fn((uint8_t *)r->vmr_va + off, n, buf);
		if (buf != NULL)
			buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

static void
copy_out(uint8_t *hva, size_t n, void *buf)
{
	memcpy(buf, hva, n);
}

static void
copy_in(uint8_t *hva, size_t n, void *buf)
{
	if (buf == NULL)
		memset(hva, 0, n);
	else
		memcpy(hva, buf, n);
}

static int
check(const struct guestmem *gm, uint64_t gpa, size_t len)
{
	/* Fail before copying anything: all or nothing. */
	while (len > 0) {
		const struct vm_mem_range *r = guestmem_find(gm, gpa);
		uint64_t n;

		if (r == NULL || r->vmr_va == 0 || r->vmr_type == VM_MEM_MMIO)
			return EFAULT;
		n = r->vmr_size - (gpa - r->vmr_gpa);
		if (n >= len)
			return 0;
		gpa += n;
		len -= n;
	}
	return 0;
}

int
guestmem_read(const struct guestmem *gm, uint64_t gpa, void *buf, size_t len)
{
	if (len > 0 && gpa + len - 1 < gpa)
		return EFAULT;
	if (check(gm, gpa, len) != 0)
		return EFAULT;
	return walk(gm, gpa, len, copy_out, buf);
}

int
guestmem_write(const struct guestmem *gm, uint64_t gpa, const void *buf,
    size_t len)
{
	int error;

	if (len > 0 && gpa + len - 1 < gpa)
		return EFAULT;
	if (check(gm, gpa, len) != 0)
		return EFAULT;
	error = walk(gm, gpa, len, copy_in, (uint8_t *)(uintptr_t)buf);
	if (error == 0 && len > 0 && gm->written != NULL)
		gm->written(gm->written_arg, gpa, len);
	return error;
}

uint64_t
guestmem_ram_bytes(const struct guestmem *gm)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < gm->nranges; i++)
		if (gm->ranges[i].vmr_type == VM_MEM_RAM)
			total += gm->ranges[i].vmr_size;
	return total;
}
