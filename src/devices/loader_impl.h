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
 * What the loaders share but callers do not see: ELF program-header
 * parsing (loader_elf and loader_multiboot's ELF path), the check that a
 * span of guest-physical addresses is memory, and error formatting.
 *
 * Parsing is split from loading so that a loader validates its whole input
 * (and the whole placement) before it writes a byte of guest memory.
 */

#ifndef VMMSIM_DEVICES_LOADER_IMPL_H
#define VMMSIM_DEVICES_LOADER_IMPL_H

#include "devices/loader.h"

/* What loader_elf_plan() accepts and does. */
#define LOADER_ELF32	0x1		/* ELFCLASS32, EM_386 */
#define LOADER_ELF64	0x2		/* ELFCLASS64, EM_X86_64 */
#define LOADER_ELFSYMS	0x4		/* append headers and symbols */

struct loader_elf_opts {
	int		flags;
	uint64_t	mask;		/* applied to p_paddr and e_entry */
	uint64_t	resv_lo;	/* [resv_lo, resv_hi): the loader's */
	uint64_t	resv_hi;	/*  own pages, no segment may land there */
};

/* One copy into guest memory: filesz bytes from off, then zeros to memsz. */
struct loader_copy {
	uint64_t	gpa;
	uint64_t	off;
	uint64_t	filesz;
	uint64_t	memsz;
};

struct loader_elf_plan {
	int			 is64;
	uint64_t		 entry;		/* masked */
	uint64_t		 start;		/* lowest segment address */
	uint64_t		 end;		/* past the image and symbols */
	struct loader_copy	*segs;		/* PT_LOAD segments */
	size_t			 nsegs;
	struct loader_copy	*rnd;		/* PT_OPENBSD_RANDOMIZE fills */
	size_t			 nrnd;
	uint8_t			*meta;		/* ELF header + section headers */
	size_t			 metalen;
	uint64_t		 meta_gpa;
	struct loader_copy	*syms;		/* symbol and string tables */
	size_t			 nsyms;
};

int	loader_elf_plan(const struct guestmem *, const struct loader_image *,
	    const struct loader_elf_opts *, struct loader_elf_plan *,
	    char err[LOADER_ERRLEN]);
int	loader_elf_apply(const struct guestmem *, const struct loader_image *,
	    const struct loader_elf_plan *);
void	loader_elf_plan_free(struct loader_elf_plan *);

/* 1 if [gpa, gpa+len) lies in contiguous RAM or RESERVED ranges. */
int	loader_span_ok(const struct guestmem *, uint64_t gpa, uint64_t len);

/* Format err and return error. */
int	loader_fail(char err[LOADER_ERRLEN], int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* VMMSIM_DEVICES_LOADER_IMPL_H */
