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
 * Simulated host-physical memory.
 *
 * The simulated CPU has a physical address space of its own.  Two kinds of
 * memory live in it:
 *  - pool pages, handed out by hostmem_alloc(): zeroed, page-aligned, in
 *    2 MiB chunks starting at HOSTMEM_POOL_BASE.  VMXON regions, VMCSs,
 *    MSR and I/O bitmaps, MSR lists, EPT tables and VMCBs are pool pages,
 *    laid out in their SDM/APM formats.
 *  - RAM aliases, made by hostmem_add_ram(): a caller's buffer (a VM's
 *    guest memory) given an HPA range starting at a 1 GiB boundary at or
 *    above HOSTMEM_RAM_BASE, so that an EPT leaf holds a real HPA that
 *    reaches exactly those bytes.
 * Every region is published once and never moves, so lookups take no lock.
 */

#ifndef VMMSIM_EMU_HOSTMEM_H
#define VMMSIM_EMU_HOSTMEM_H

#include <stddef.h>
#include <stdint.h>

#define HOSTMEM_PAGE_SIZE	4096ULL
#define HOSTMEM_PAGE_MASK	(HOSTMEM_PAGE_SIZE - 1)
#define HOSTMEM_POOL_BASE	0x0000000100000000ULL	/* 4 GiB */
#define HOSTMEM_CHUNK_SIZE	0x0000000000200000ULL	/* 2 MiB */
#define HOSTMEM_RAM_BASE	0x0000010000000000ULL	/* 1 TiB */
#define HOSTMEM_RAM_ALIGN	0x0000000040000000ULL	/* 1 GiB */
#define HOSTMEM_PHYS_BITS	46			/* MAXPHYADDR */
#define HOSTMEM_MAX_REGIONS	1024

enum hostmem_kind { HOSTMEM_POOL, HOSTMEM_RAM };

struct hostmem_region {
	uint64_t		 hpa;	/* [I] first HPA */
	uint64_t		 len;	/* [I] bytes */
	uint8_t			*host;	/* [I] where the bytes are */
	enum hostmem_kind	 kind;	/* [I] */
	int			 live;	/* [a] 0 once a RAM alias is removed */
};

struct hostmem;

struct hostmem	*hostmem_create(void);
void		 hostmem_destroy(struct hostmem *);

uint64_t	 hostmem_alloc(struct hostmem *, size_t npages);
void		 hostmem_free(struct hostmem *, uint64_t hpa, size_t npages);
size_t		 hostmem_pool_pages_in_use(struct hostmem *);

int		 hostmem_add_ram(struct hostmem *, void *host, size_t len,
		    uint64_t *hpa);
int		 hostmem_add_ram_at(struct hostmem *, void *host, size_t len,
		    uint64_t hpa);
int		 hostmem_remove_ram(struct hostmem *, uint64_t hpa);

void		*hostmem_ptr(struct hostmem *, uint64_t hpa, size_t len);
const struct hostmem_region *
		 hostmem_region(struct hostmem *, uint64_t hpa);
int		 hostmem_read(struct hostmem *, uint64_t hpa, void *, size_t);
int		 hostmem_write(struct hostmem *, uint64_t hpa, const void *,
		    size_t);
int		 hostmem_read64(struct hostmem *, uint64_t hpa, uint64_t *);
int		 hostmem_write64(struct hostmem *, uint64_t hpa, uint64_t);

/* A generation number bumped whenever a region is added or removed. */
unsigned	 hostmem_generation(struct hostmem *);

#endif /* VMMSIM_EMU_HOSTMEM_H */
