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
 * Guest physical memory as userspace sees it: the memory ranges it gave
 * VMM_IOC_CREATE, each backed by its own mapping.  This is what vmd's
 * read_mem/write_mem/hvaddr_mem do, for loaders and DMA-capable devices.
 *
 * The layout follows vmd's create_memory_map(): 640 KiB of low RAM, the
 * reserved (memory-backed) 0xA0000-0xFFFFF hole, RAM from 1 MiB up to the
 * PCI MMIO window at 0xF0000000, the window, the 4 MiB high BIOS area
 * ending at 4 GiB, and RAM above 4 GiB for what is left.
 */

#ifndef VMMSIM_DEVICES_GUESTMEM_H
#define VMMSIM_DEVICES_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

#include <dev/vmm/vmm.h>

#define GUESTMEM_LOWMEM		0xA0000ULL	/* 640 KiB */
#define GUESTMEM_MMIO_BASE	0xF0000000ULL	/* PCI_MMIO_BAR_BASE */
#define GUESTMEM_MMIO_END	0xFFBFFFFFULL	/* PCI_MMIO_BAR_END */
#define GUESTMEM_BIOS_HIGH	0xFFC00000ULL	/* 4 MiB ending at 4 GiB */
#define GUESTMEM_4G		0x100000000ULL

struct guestmem {
	size_t			nranges;
	struct vm_mem_range	ranges[VMM_MAX_MEM_RANGES];
	int			owned;		/* guestmem_alloc mapped them */
	/*
	 * Called after every guestmem_write (NULL: nobody): the owner tells
	 * the VM's CPUs (vmmsim_guest_written()), which would otherwise run
	 * code translated from what was there before.
	 */
	void			(*written)(void *arg, uint64_t gpa,
				    size_t len);
	void			*written_arg;
};

/*
 * Fill gm->ranges with vmd's layout for `bytes` of guest memory (rounded
 * down to whole MiB; 1 MiB to VMM_MAX_VM_MEM_SIZE), without mapping
 * anything.  EINVAL for a size outside the limits.
 */
int	guestmem_layout(struct guestmem *, uint64_t bytes);

/*
 * guestmem_layout() and an anonymous mapping for each RAM and RESERVED
 * range; MMIO ranges get an inaccessible (PROT_NONE) reservation, since
 * CREATE wants a user address for every range.  ENOMEM if a
 * mapping fails, with nothing left mapped.
 */
int	guestmem_alloc(struct guestmem *, uint64_t bytes);
void	guestmem_free(struct guestmem *);

/*
 * Copy to or from guest memory; the access may cross ranges that are
 * exactly contiguous.  EFAULT if any byte lies outside the backed ranges.
 * guestmem_write() with buf NULL zero-fills.
 */
int	guestmem_read(const struct guestmem *, uint64_t gpa, void *buf,
	    size_t len);
int	guestmem_write(const struct guestmem *, uint64_t gpa, const void *buf,
	    size_t len);

/* A host pointer to [gpa, gpa+len) if it lies in one backed range. */
void	*guestmem_hva(const struct guestmem *, uint64_t gpa, size_t len);

/* Bytes of RAM (type VM_MEM_RAM) in the layout. */
uint64_t guestmem_ram_bytes(const struct guestmem *);

/* The range holding gpa, or NULL. */
const struct vm_mem_range *guestmem_find(const struct guestmem *,
	    uint64_t gpa);

#endif /* VMMSIM_DEVICES_GUESTMEM_H */
