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
 * Nested pmaps (vmm_npmap.h): what the kernel's pmap does for an EPT or
 * RVI pmap, for both vendors.
 */

#include <errno.h>
#include <stdlib.h>

#include "vmm_npmap.h"

#include "emu/hostmem.h"

/*
 * A zeroed host page for a nested page table, recorded in *tables so that
 * it is freed with the VM.  0 when out of memory.
 */
uint64_t
nested_table_alloc(struct hostmem *hm, uint64_t **tables, size_t *n,
    size_t *cap)
{
	uint64_t page, *nt;
	size_t nc;

	if ((page = hostmem_alloc(hm, 1)) == 0)
		return (0);
	if (*n == *cap) {
		nc = *cap ? 2 * *cap : 16;
		if ((nt = reallocarray(*tables, nc, sizeof(*nt))) == NULL) {
			hostmem_free(hm, page, 1);
			return (0);
		}
		*tables = nt;
		*cap = nc;
	}
	(*tables)[(*n)++] = page;
	return (page);
}

/*
 * The top table, and host-physical addresses that alias guest memory.
 * On failure what was set up stays for npmap_fini.  0 or an errno.
 */
int
npmap_init(struct npmap *pm, const struct npmap_fmt *fmt, struct hostmem *hm,
    struct vm *vm)
{
	size_t i;
	int error;

	pm->fmt = fmt;
	pthread_mutex_init(&pm->lock, NULL);
	if ((pm->root = hostmem_alloc(hm, 1)) == 0)
		return (ENOMEM);
	for (i = 0; i < vm->vm_nmemranges; i++) {
		struct vm_mem_obj *mo = vm->vm_memory_slot[i];

		if (mo == NULL)
			continue;
		error = hostmem_add_ram(hm, mo->mo_kva, mo->mo_size,
		    &pm->slot_hpa[i]);
		if (error != 0)
			return (error);
	}
	return (0);
}

void
npmap_fini(struct npmap *pm, struct hostmem *hm, struct vm *vm)
{
	size_t i;

	for (i = 0; i < vm->vm_nmemranges; i++)
		if (pm->slot_hpa[i] != 0)
			hostmem_remove_ram(hm, pm->slot_hpa[i]);
	for (i = 0; i < pm->ntables; i++)
		hostmem_free(hm, pm->tables[i], 1);
	if (pm->root != 0)
		hostmem_free(hm, pm->root, 1);
	free(pm->tables);
	pthread_mutex_destroy(&pm->lock);
}

/* Resident pages: leaves and table pages, the root too (quirk 13). */
size_t
npmap_resident(struct npmap *pm)
{
	size_t n;

	pthread_mutex_lock(&pm->lock);
	n = 1 + pm->ntables + pm->nleaves;
	pthread_mutex_unlock(&pm->lock);
	return (n);
}

/* The entry for gpa at level (4: top) in table, or NULL. */
static uint64_t *
entry(struct hostmem *hm, uint64_t table, uint64_t gpa, int level)
{
	return (hostmem_ptr(hm, table + ((gpa >> (12 + 9 * (level - 1))) &
	    0x1FF) * 8, 8));
}

/*
 * Install a 4 KiB leaf gpa -> hpa, creating the table pages on the way,
 * as pmap_enter() does for the VM's pmap.  0 or ENOMEM.
 */
int
npmap_enter(struct npmap *pm, struct hostmem *hm, uint64_t gpa, uint64_t hpa)
{
	const struct npmap_fmt *f = pm->fmt;
	uint64_t table = pm->root, *e, page;
	int level, error = 0;

	pthread_mutex_lock(&pm->lock);
	for (level = 4; level > 1; level--) {
		if ((e = entry(hm, table, gpa, level)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		if ((*e & f->present) == 0) {
			page = nested_table_alloc(hm, &pm->tables,
			    &pm->ntables, &pm->ctables);
			if (page == 0) {
				error = ENOMEM;
				goto out;
			}
			*e = page | f->table;
		}
		table = *e & f->addr;
	}
	if ((e = entry(hm, table, gpa, 1)) == NULL) {
		error = ENOMEM;
		goto out;
	}
	if ((*e & f->present) == 0)
		pm->nleaves++;
	*e = (hpa & f->addr) | f->leaf;
out:
	pthread_mutex_unlock(&pm->lock);
	return (error);
}

/* Is gpa's page mapped (pmap_extract)?  1 with *hpa set, else 0. */
int
npmap_extract(struct npmap *pm, struct hostmem *hm, uint64_t gpa,
    uint64_t *hpa)
{
	uint64_t table = pm->root, *e;
	int level;

	for (level = 4; level >= 1; level--) {
		e = entry(hm, table, gpa, level);
		if (e == NULL || (*e & pm->fmt->present) == 0)
			return (0);
		table = *e & pm->fmt->addr;
	}
	*hpa = table | (gpa & 0xFFF);
	return (1);
}

/*
 * The HPA behind a GPA in a non-MMIO range of the VM, or ENOENT (MMIO or
 * outside every range).
 */
int
npmap_gpa_to_hpa(const struct npmap *pm, struct vm *vm, uint64_t gpa,
    uint64_t *hpa)
{
	const struct vm_mem_range *r;
	size_t i;

	for (i = 0; i < vm->vm_nmemranges; i++) {
		r = &vm->vm_memranges[i];
		if (gpa < r->vmr_gpa || gpa - r->vmr_gpa >= r->vmr_size)
			continue;
		if (r->vmr_type == VM_MEM_MMIO || pm->slot_hpa[i] == 0)
			return (ENOENT);
		*hpa = pm->slot_hpa[i] + (gpa - r->vmr_gpa);
		return (0);
	}
	return (ENOENT);
}
