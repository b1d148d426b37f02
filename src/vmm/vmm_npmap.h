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
 * The nested pmap of a VM, EPT (VMX) or NPT (SVM): four levels of tables
 * in host pages, filled a 4 KiB leaf at a time as guest accesses fault
 * (vmm-contract.md §9.3, §12.6), and the host-physical addresses that
 * alias the VM's memory ranges.  The two formats differ only in their
 * entry bits, given by a struct npmap_fmt.
 */

#ifndef VMMSIM_VMM_NPMAP_H
#define VMMSIM_VMM_NPMAP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

struct hostmem;

struct npmap_fmt {
	uint64_t	present;	/* any of these set: the entry is present */
	uint64_t	table;		/* an intermediate entry's bits */
	uint64_t	leaf;		/* a leaf's bits */
	uint64_t	addr;		/* the address field */
};

struct npmap {
	const struct npmap_fmt	*fmt;		/* [I] */
	pthread_mutex_t		 lock;		/* table updates */
	uint64_t		 root;		/* [I] HPA of the top table */
	uint64_t		 slot_hpa[VMM_MAX_MEM_RANGES]; /* [I] */
	uint64_t		*tables;	/* [lock] table pages, to free */
	size_t			 ntables, ctables;
	size_t			 nleaves;	/* [lock] faulted-in pages */
};

int	npmap_init(struct npmap *, const struct npmap_fmt *, struct hostmem *,
	    struct vm *);
void	npmap_fini(struct npmap *, struct hostmem *, struct vm *);
size_t	npmap_resident(struct npmap *);
int	npmap_enter(struct npmap *, struct hostmem *, uint64_t, uint64_t);
int	npmap_extract(struct npmap *, struct hostmem *, uint64_t, uint64_t *);
int	npmap_gpa_to_hpa(const struct npmap *, struct vm *, uint64_t,
	    uint64_t *);
uint64_t nested_table_alloc(struct hostmem *, uint64_t **, size_t *,
	    size_t *);

#endif /* VMMSIM_VMM_NPMAP_H */
