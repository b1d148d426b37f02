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
 * Reference counts with OpenBSD's refcnt(9) semantics: take, release,
 * release-and-wake, and finalize (drop one's own reference and sleep until
 * every other one is gone).  The count is atomic; the mutex and condition
 * variable are used only to sleep in finalize.
 */

#ifndef VMMSIM_REFCNT_H
#define VMMSIM_REFCNT_H

#include <pthread.h>

struct refcnt {
	unsigned int	r_refs;		/* [a] */
	pthread_mutex_t	r_mtx;
	pthread_cond_t	r_cv;
};

static inline void
refcnt_init(struct refcnt *r)
{
	__atomic_store_n(&r->r_refs, 1, __ATOMIC_RELEASE);
	pthread_mutex_init(&r->r_mtx, NULL);
	pthread_cond_init(&r->r_cv, NULL);
}

static inline void
refcnt_destroy(struct refcnt *r)
{
	pthread_cond_destroy(&r->r_cv);
	pthread_mutex_destroy(&r->r_mtx);
}

static inline void
refcnt_take(struct refcnt *r)
{
	__atomic_add_fetch(&r->r_refs, 1, __ATOMIC_ACQUIRE);
}

/* Returns 1 if this was the last reference. */
static inline int
refcnt_rele(struct refcnt *r)
{
	return (__atomic_sub_fetch(&r->r_refs, 1, __ATOMIC_ACQ_REL) == 0);
}

/*
 * The drop happens under the mutex: refcnt_finalize reads the count only
 * with the mutex held, so it cannot see zero, return, and let the caller
 * free the refcnt while this thread still uses the mutex.
 */
static inline void
refcnt_rele_wake(struct refcnt *r)
{
	pthread_mutex_lock(&r->r_mtx);
	if (refcnt_rele(r))
		pthread_cond_broadcast(&r->r_cv);
	pthread_mutex_unlock(&r->r_mtx);
}

static inline unsigned int
refcnt_read(struct refcnt *r)
{
	return (__atomic_load_n(&r->r_refs, __ATOMIC_ACQUIRE));
}

static inline void
refcnt_finalize(struct refcnt *r)
{
	refcnt_rele(r);
	pthread_mutex_lock(&r->r_mtx);
	while (refcnt_read(r) != 0)
		pthread_cond_wait(&r->r_cv, &r->r_mtx);
	pthread_mutex_unlock(&r->r_mtx);
}

#endif /* VMMSIM_REFCNT_H */
