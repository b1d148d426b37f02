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
 * Simulated host-physical memory: see hostmem.h.
 */

#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hostmem.h"

#define CHUNK_PAGES	(HOSTMEM_CHUNK_SIZE / HOSTMEM_PAGE_SIZE)
#define MAX_CHUNKS	1024

struct hostmem_chunk {
	uint8_t		*host;			/* [l] 2 MiB, mmap'ed */
	uint64_t	 used[CHUNK_PAGES / 64];/* [l] page bitmap */
	size_t		 nused;			/* [l] */
};

struct hostmem {
	pthread_rwlock_t	 lock;		/* protects everything below */
	struct hostmem_region	 regions[HOSTMEM_MAX_REGIONS];
	size_t			 nregions;
	struct hostmem_chunk	 chunks[MAX_CHUNKS];
	size_t			 nchunks;
	size_t			 published;	/* [a] chunks[] readable */
	size_t			 pool_in_use;
	unsigned		 generation;
};

struct hostmem *
hostmem_create(void)
{
	struct hostmem *hm;

	if ((hm = calloc(1, sizeof(*hm))) == NULL)
		return (NULL);
	if (pthread_rwlock_init(&hm->lock, NULL) != 0) {
		free(hm);
		return (NULL);
	}
	return (hm);
}

void
hostmem_destroy(struct hostmem *hm)
{
	size_t i;

	if (hm == NULL)
		return;
	for (i = 0; i < hm->nchunks; i++)
		munmap(hm->chunks[i].host, HOSTMEM_CHUNK_SIZE);
	pthread_rwlock_destroy(&hm->lock);
	free(hm);
}

static int
chunk_test(const struct hostmem_chunk *c, size_t pg)
{
	return ((c->used[pg / 64] >> (pg % 64)) & 1);
}

static void
chunk_set(struct hostmem_chunk *c, size_t pg, int on)
{
	if (on)
		c->used[pg / 64] |= 1ULL << (pg % 64);
	else
		c->used[pg / 64] &= ~(1ULL << (pg % 64));
}

/* First run of n free pages in chunk c, or -1. */
static long
chunk_find(const struct hostmem_chunk *c, size_t n)
{
	size_t pg, run = 0;

	for (pg = 0; pg < CHUNK_PAGES; pg++) {
		run = chunk_test(c, pg) ? 0 : run + 1;
		if (run == n)
			return ((long)(pg + 1 - n));
	}
	return (-1);
}

static int
add_region(struct hostmem *hm, uint64_t hpa, uint64_t len, uint8_t *host,
    enum hostmem_kind kind)
{
	size_t i;

	for (i = 0; i < hm->nregions; i++)
		if (!hm->regions[i].live)
			break;
	if (i == HOSTMEM_MAX_REGIONS)
		return (ENOMEM);
	hm->regions[i].hpa = hpa;
	hm->regions[i].len = len;
	hm->regions[i].host = host;
	hm->regions[i].kind = kind;
	hm->regions[i].live = 1;
	if (i == hm->nregions)
		hm->nregions++;
	__atomic_store_n(&hm->generation, hm->generation + 1, __ATOMIC_RELEASE);
	return (0);
}

/*
 * Allocate npages (1..512) physically contiguous, zeroed pool pages.
 * Returns the HPA of the first, or 0 when out of memory.
 */
uint64_t
hostmem_alloc(struct hostmem *hm, size_t npages)
{
	struct hostmem_chunk *c;
	uint64_t hpa = 0;
	size_t i, pg;
	long first;
	void *p;

	if (npages == 0 || npages > CHUNK_PAGES)
		return (0);
	pthread_rwlock_wrlock(&hm->lock);
	for (i = 0; i < hm->nchunks; i++) {
		c = &hm->chunks[i];
		if (CHUNK_PAGES - c->nused < npages)
			continue;
		if ((first = chunk_find(c, npages)) >= 0)
			goto found;
	}
	if (hm->nchunks == MAX_CHUNKS)
		goto out;
	p = mmap(NULL, HOSTMEM_CHUNK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		goto out;
	c = &hm->chunks[hm->nchunks];
	memset(c, 0, sizeof(*c));
	c->host = p;
	if (add_region(hm, HOSTMEM_POOL_BASE + i * HOSTMEM_CHUNK_SIZE,
	    HOSTMEM_CHUNK_SIZE, p, HOSTMEM_POOL) != 0) {
		munmap(p, HOSTMEM_CHUNK_SIZE);
		goto out;
	}
	hm->nchunks++;
	/* A chunk's host address never changes: readers need no lock. */
	__atomic_store_n(&hm->published, hm->nchunks, __ATOMIC_RELEASE);
	first = 0;
found:
	for (pg = (size_t)first; pg < (size_t)first + npages; pg++)
		chunk_set(c, pg, 1);
	c->nused += npages;
	hm->pool_in_use += npages;
	memset(c->host + (size_t)first * HOSTMEM_PAGE_SIZE, 0,
	    npages * HOSTMEM_PAGE_SIZE);
	hpa = HOSTMEM_POOL_BASE + i * HOSTMEM_CHUNK_SIZE +
	    (uint64_t)first * HOSTMEM_PAGE_SIZE;
out:
	pthread_rwlock_unlock(&hm->lock);
	return (hpa);
}

/* Return pool pages; bad or already-free pages are ignored. */
void
hostmem_free(struct hostmem *hm, uint64_t hpa, size_t npages)
{
	struct hostmem_chunk *c;
	uint64_t off;
	size_t ci, pg;

	if (hpa < HOSTMEM_POOL_BASE || (hpa & HOSTMEM_PAGE_MASK) != 0)
		return;
	off = hpa - HOSTMEM_POOL_BASE;
	ci = off / HOSTMEM_CHUNK_SIZE;
	pthread_rwlock_wrlock(&hm->lock);
	if (ci < hm->nchunks) {
		c = &hm->chunks[ci];
		pg = (off % HOSTMEM_CHUNK_SIZE) / HOSTMEM_PAGE_SIZE;
		for (; npages > 0 && pg < CHUNK_PAGES; npages--, pg++) {
			if (!chunk_test(c, pg))
				continue;
			chunk_set(c, pg, 0);
			c->nused--;
			hm->pool_in_use--;
		}
	}
	pthread_rwlock_unlock(&hm->lock);
}

size_t
hostmem_pool_pages_in_use(struct hostmem *hm)
{
	size_t n;

	pthread_rwlock_rdlock(&hm->lock);
	n = hm->pool_in_use;
	pthread_rwlock_unlock(&hm->lock);
	return (n);
}

/*
 * Give len bytes at host (page-aligned) an HPA range: the lowest free
 * 1 GiB-aligned range above HOSTMEM_RAM_BASE.  The bytes stay the caller's.
 */
int
hostmem_add_ram(struct hostmem *hm, void *host, size_t len, uint64_t *hpa)
{
	const struct hostmem_region *r;
	uint64_t base, span;
	size_t i;
	int error, clash;

	if (host == NULL || len == 0 || ((uintptr_t)host & HOSTMEM_PAGE_MASK) ||
	    (len & HOSTMEM_PAGE_MASK))
		return (EINVAL);
	span = (len + HOSTMEM_RAM_ALIGN - 1) & ~(HOSTMEM_RAM_ALIGN - 1);
	pthread_rwlock_wrlock(&hm->lock);
	for (base = HOSTMEM_RAM_BASE;
	    base + span <= (1ULL << HOSTMEM_PHYS_BITS); base += span) {
		clash = 0;
		for (i = 0; i < hm->nregions; i++) {
			r = &hm->regions[i];
			if (r->live && r->kind == HOSTMEM_RAM &&
			    r->hpa < base + span && base < r->hpa + r->len) {
				/* Skip past this region, keeping alignment. */
				clash = 1;
				base = ((r->hpa + r->len + HOSTMEM_RAM_ALIGN - 1) &
				    ~(HOSTMEM_RAM_ALIGN - 1)) - span;
				break;
			}
		}
		if (!clash)
			break;
	}
	if (base + span > (1ULL << HOSTMEM_PHYS_BITS))
		error = ENOMEM;
	else if ((error = add_region(hm, base, len, host, HOSTMEM_RAM)) == 0)
		*hpa = base;
	pthread_rwlock_unlock(&hm->lock);
	return (error);
}

/*
 * Give len bytes at host (page-aligned) the HPA range starting at hpa
 * (page-aligned), for a machine whose physical memory is laid out by
 * someone else: an inner host whose HPAs are a VM's GPAs (bare-metal
 * mode).  EEXIST when the range meets a live region or the pool's range,
 * which starts at HOSTMEM_POOL_BASE and grows as pool pages are handed out.
 */
int
hostmem_add_ram_at(struct hostmem *hm, void *host, size_t len, uint64_t hpa)
{
	const struct hostmem_region *r;
	size_t i;
	int error;

	if (host == NULL || len == 0 || ((uintptr_t)host & HOSTMEM_PAGE_MASK) ||
	    (len & HOSTMEM_PAGE_MASK) || (hpa & HOSTMEM_PAGE_MASK) ||
	    hpa + len < hpa || hpa + len > (1ULL << HOSTMEM_PHYS_BITS))
		return (EINVAL);
	pthread_rwlock_wrlock(&hm->lock);
	error = 0;
	if (hpa < HOSTMEM_POOL_BASE + MAX_CHUNKS * HOSTMEM_CHUNK_SIZE &&
	    HOSTMEM_POOL_BASE < hpa + len)
		error = EEXIST;
	for (i = 0; error == 0 && i < hm->nregions; i++) {
		r = &hm->regions[i];
		if (r->live && r->hpa < hpa + len && hpa < r->hpa + r->len)
			error = EEXIST;
	}
	if (error == 0)
		error = add_region(hm, hpa, len, host, HOSTMEM_RAM);
	pthread_rwlock_unlock(&hm->lock);
	return (error);
}

int
hostmem_remove_ram(struct hostmem *hm, uint64_t hpa)
{
	struct hostmem_region *r;
	size_t i;
	int error = ENOENT;

	pthread_rwlock_wrlock(&hm->lock);
	for (i = 0; i < hm->nregions; i++) {
		r = &hm->regions[i];
		if (r->live && r->kind == HOSTMEM_RAM && r->hpa == hpa) {
			r->live = 0;
			__atomic_store_n(&hm->generation, hm->generation + 1,
			    __ATOMIC_RELEASE);
			error = 0;
			break;
		}
	}
	while (hm->nregions > 0 && !hm->regions[hm->nregions - 1].live)
		hm->nregions--;
	pthread_rwlock_unlock(&hm->lock);
	return (error);
}

static const struct hostmem_region *
region_locked(struct hostmem *hm, uint64_t hpa)
{
	const struct hostmem_region *r;
	size_t i;

	for (i = 0; i < hm->nregions; i++) {
		r = &hm->regions[i];
		if (r->live && hpa >= r->hpa && hpa - r->hpa < r->len)
			return (r);
	}
	return (NULL);
}

/*
 * The region holding hpa, or NULL.  The returned copy stays valid until
 * the region is removed; callers hold what keeps it alive (a VM's RAM lives
 * until the VM's CPUs are gone, pool pages until freed).
 */
const struct hostmem_region *
hostmem_region(struct hostmem *hm, uint64_t hpa)
{
	const struct hostmem_region *r;

	pthread_rwlock_rdlock(&hm->lock);
	r = region_locked(hm, hpa);
	pthread_rwlock_unlock(&hm->lock);
	return (r);
}

/* Host pointer for [hpa, hpa + len) if one region backs all of it. */
void *
hostmem_ptr(struct hostmem *hm, uint64_t hpa, size_t len)
{
	const struct hostmem_region *r;
	uint64_t off;
	size_t ci;
	void *p = NULL;

	/* Pool pages (VMCSs, bitmaps, MSR lists, EPT tables): no lock. */
	if (hpa >= HOSTMEM_POOL_BASE) {
		off = hpa - HOSTMEM_POOL_BASE;
		ci = (size_t)(off / HOSTMEM_CHUNK_SIZE);
		if (off / HOSTMEM_CHUNK_SIZE < MAX_CHUNKS &&
		    ci < __atomic_load_n(&hm->published, __ATOMIC_ACQUIRE) &&
		    len <= HOSTMEM_CHUNK_SIZE - off % HOSTMEM_CHUNK_SIZE)
			return (hm->chunks[ci].host + off % HOSTMEM_CHUNK_SIZE);
	}
	pthread_rwlock_rdlock(&hm->lock);
	r = region_locked(hm, hpa);
	if (r != NULL && len <= r->len - (hpa - r->hpa))
		p = r->host + (hpa - r->hpa);
	pthread_rwlock_unlock(&hm->lock);
	return (p);
}

int
hostmem_read(struct hostmem *hm, uint64_t hpa, void *buf, size_t len)
{
	void *p;

	if ((p = hostmem_ptr(hm, hpa, len)) == NULL)
		return (EFAULT);
	memcpy(buf, p, len);
	return (0);
}

int
hostmem_write(struct hostmem *hm, uint64_t hpa, const void *buf, size_t len)
{
	void *p;

	if ((p = hostmem_ptr(hm, hpa, len)) == NULL)
		return (EFAULT);
	memcpy(p, buf, len);
	return (0);
}

int
hostmem_read64(struct hostmem *hm, uint64_t hpa, uint64_t *v)
{
	return (hostmem_read(hm, hpa, v, sizeof(*v)));
}

int
hostmem_write64(struct hostmem *hm, uint64_t hpa, uint64_t v)
{
	return (hostmem_write(hm, hpa, &v, sizeof(v)));
}

unsigned
hostmem_generation(struct hostmem *hm)
{
	return (__atomic_load_n(&hm->generation, __ATOMIC_ACQUIRE));
}
