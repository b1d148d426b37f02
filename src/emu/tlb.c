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
 * The TLB (SDM Vol. 3C §29.4 "Caching Translation Information").
 *
 * Translations are cached per context: combined mappings (linear to
 * host-physical, guest paging on) are tagged with the VPID and the EPTP,
 * guest-physical mappings (guest paging off) with the EPTP alone.  An
 * entry leaves the cache only by what removes it on hardware: INVVPID's
 * four types, INVEPT single-context and global, a guest MOV to CR3 or a
 * paging-control change for the current VPID, INVLPG, and VM entries and
 * exits when VPIDs are off.  Guest execution is served from this cache,
 * so a monitor that changes EPT or page tables without invalidating sees
 * the old translation, exactly as on hardware.  In checked mode every use
 * of a cached translation is compared with a fresh walk and a stale one
 * is reported with its VPID, address and what changed.
 */

#include <stdlib.h>
#include <string.h>

#include "emu_impl.h"

#define TLB_BUCKETS	4096
#define TLB_MAX		65536	/* entries before the cache is emptied */

struct tlb_entry {
	uint64_t		 va;		/* page */
	uint64_t		 eptp;		/* EP4TA tag (0: EPT off) */
	uint16_t		 vpid;
	bool			 gp_only;	/* guest-physical mapping */
	struct emu_xlat		 x;
	struct tlb_entry	*next;		/* bucket chain */
	struct tlb_entry	*lnext, *lprev;	/* every live entry */
};

struct emu_tlb {
	struct tlb_entry	*b[TLB_BUCKETS];
	struct tlb_entry	*live;		/* so sweeps cost what is cached */
	size_t			 n;
	struct tlb_removed	*collect;	/* record removals, or NULL */
};

static unsigned
bucket(uint64_t va)
{
	return ((unsigned)(((va >> 12) * 0x9E3779B97F4A7C15ULL) >> 52) &
	    (TLB_BUCKETS - 1));
}

struct emu_tlb *
tlb_create(void)
{
	return (calloc(1, sizeof(struct emu_tlb)));
}

/*
 * While set, removals of entries of the collector's context (VPID and
 * EPTP) are recorded, so the caller can tell whether the engine's own TLB
 * holds anything that a fresh walk would not give.
 */
void
tlb_collect(struct emu_tlb *t, struct tlb_removed *r)
{
	if (r != NULL) {
		r->n = 0;
		r->overflow = false;
	}
	t->collect = r;
}

static void
collect(struct emu_tlb *t, const struct tlb_entry *e)
{
	struct tlb_removed *r = t->collect;

	if (r == NULL || e->eptp != r->eptp ||
	    (!e->gp_only && e->vpid != r->vpid))
		return;
	if (r->n == TLB_REMOVED_MAX) {
		r->overflow = true;
		return;
	}
	r->va[r->n] = e->va;
	r->gp_only[r->n] = e->gp_only;
	r->x[r->n++] = e->x;
}

static void
unlink_entry(struct emu_tlb *t, struct tlb_entry *e)
{
	struct tlb_entry **pp;

	collect(t, e);
	for (pp = &t->b[bucket(e->va)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		t->live = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	free(e);
	t->n--;
}

/*
 * Remove every entry for which drop() says so (NULL: all), walking only
 * the entries there are.
 */
static void
tlb_sweep(struct emu_tlb *t, bool (*drop)(const struct tlb_entry *,
    const void *), const void *arg)
{
	struct tlb_entry *e, *ne;

	for (e = t->live; e != NULL; e = ne) {
		ne = e->lnext;
		if (drop == NULL || drop(e, arg))
			unlink_entry(t, e);
	}
}

void
tlb_destroy(struct emu_tlb *t)
{
	if (t == NULL)
		return;
	tlb_sweep(t, NULL, NULL);
	free(t);
}

const struct emu_xlat *
tlb_lookup(struct emu_tlb *t, uint16_t vpid, uint64_t eptp, bool gp_only,
    uint64_t va)
{
	const struct tlb_entry *e;

	va &= ~0xFFFULL;
	for (e = t->b[bucket(va)]; e != NULL; e = e->next)
		if (e->va == va && e->eptp == eptp && e->gp_only == gp_only &&
		    (gp_only || e->vpid == vpid))
			return (&e->x);
	return (NULL);
}

void
tlb_insert(struct emu_tlb *t, uint16_t vpid, uint64_t eptp, bool gp_only,
    uint64_t va, const struct emu_xlat *x)
{
	struct tlb_entry *e, **pp;
	unsigned h;

	va &= ~0xFFFULL;
	h = bucket(va);
	for (pp = &t->b[h]; (e = *pp) != NULL; pp = &e->next)
		if (e->va == va && e->eptp == eptp && e->gp_only == gp_only &&
		    (gp_only || e->vpid == vpid)) {
			e->x = *x;
			return;
		}
	if (t->n >= TLB_MAX)
		tlb_sweep(t, NULL, NULL);	/* capacity: everything goes */
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;				/* not cached: still correct */
	e->va = va;
	e->eptp = eptp;
	e->vpid = vpid;
	e->gp_only = gp_only;
	e->x = *x;
	e->next = t->b[h];
	t->b[h] = e;
	e->lprev = NULL;
	e->lnext = t->live;
	if (t->live != NULL)
		t->live->lprev = e;
	t->live = e;
	t->n++;
}

struct tlb_sel {
	int		 what;
	uint16_t	 vpid;
	uint64_t	 eptp;
	uint64_t	 va;
};

enum { SEL_VPID, SEL_VPID_NONGLOBAL, SEL_VPID_VA, SEL_ALL_BUT_VPID0,
	SEL_EPTP, SEL_ALL };

static bool
sel_drop(const struct tlb_entry *e, const void *arg)
{
	const struct tlb_sel *s = arg;

	switch (s->what) {
	case SEL_VPID:
		return (!e->gp_only && e->vpid == s->vpid);
	case SEL_VPID_NONGLOBAL:
		return (!e->gp_only && e->vpid == s->vpid && !e->x.global);
	case SEL_VPID_VA:
		return (!e->gp_only && e->vpid == s->vpid && e->va == s->va);
	case SEL_ALL_BUT_VPID0:
		return (!e->gp_only && e->vpid != 0);
	case SEL_EPTP:
		return (e->eptp == s->eptp);
	default:
		return (true);
	}
}

/* INVVPID type 1, MOV to CR0/CR4 paging changes, entries with VPID 0. */
void
tlb_flush_vpid(struct emu_tlb *t, uint16_t vpid, bool keep_global)
{
	struct tlb_sel s = { keep_global ? SEL_VPID_NONGLOBAL : SEL_VPID,
	    vpid, 0, 0 };

	tlb_sweep(t, sel_drop, &s);
}

/*
 * INVVPID type 0 and INVLPG: one linear address of one VPID.  Every entry
 * for that page is in the page's bucket, so only that chain is walked
 * (a guest kernel does this for each page it unmaps).
 */
void
tlb_flush_va(struct emu_tlb *t, uint16_t vpid, uint64_t va)
{
	struct tlb_sel s = { SEL_VPID_VA, vpid, 0, va & ~0xFFFULL };
	struct tlb_entry *e, *ne;

	for (e = t->b[bucket(s.va)]; e != NULL; e = ne) {
		ne = e->next;
		if (sel_drop(e, &s))
			unlink_entry(t, e);
	}
}

/* INVVPID type 2: every VPID but 0 (SDM §31.3, "all-context"). */
void
tlb_flush_all_vpids(struct emu_tlb *t)
{
	struct tlb_sel s = { SEL_ALL_BUT_VPID0, 0, 0, 0 };

	tlb_sweep(t, sel_drop, &s);
}

/* INVEPT single-context: everything derived from that EPTP. */
void
tlb_flush_eptp(struct emu_tlb *t, uint64_t eptp)
{
	struct tlb_sel s = { SEL_EPTP, 0, eptp, 0 };

	tlb_sweep(t, sel_drop, &s);
}

/* INVEPT global. */
void
tlb_flush_all(struct emu_tlb *t)
{
	tlb_sweep(t, NULL, NULL);
}

size_t
tlb_count(struct emu_tlb *t)
{
	return (t->n);
}
