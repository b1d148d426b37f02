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
 * memcmp for the libFuzzer targets that run guests: Unicorn's calls go
 * straight to libc, everyone else's to the sanitizer's interceptor as
 * before.
 *
 * Unicorn's code generator keeps each translated block's constants in a
 * list sorted by insertion, one memcmp of 8 bytes per entry per insert.
 * Through ASan's interceptor each of those also gets its arguments
 * checked and libFuzzer's comparison hook, which hashes both operands
 * into its tables of values to try: about half of fuzz_ioctl's time and
 * a third of fuzz_vmentry's, spent on a library that is not instrumented,
 * on comparisons no input controls.  The code under test (built with
 * ASan and coverage) keeps the interceptor, so its memcmp calls are
 * checked and guide the fuzzer exactly as before.
 *
 * The sanitizers define memcmp as a weak alias of their interceptor, so
 * this definition takes its place in the executable, and Unicorn's PLT
 * entry, which the dynamic linker binds to the executable's memcmp,
 * reaches it.  Only built with --enable-fuzzing (Makefile.am).
 */

#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int (*memcmp_fn)(const void *, const void *, size_t);

int	__interceptor_memcmp(const void *, const void *, size_t);

static memcmp_fn libc_memcmp;
static uintptr_t uc_text, uc_text_len;

static int
find_unicorn(struct dl_phdr_info *info, size_t size, void *arg)
{
	const ElfW(Phdr) *ph;
	int i;

	(void)size;
	(void)arg;
	if (info->dlpi_name == NULL ||
	    strstr(info->dlpi_name, "libunicorn.so") == NULL)
		return (0);
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uc_text = info->dlpi_addr + ph->p_vaddr;
			uc_text_len = ph->p_memsz;
			return (1);
		}
	}
	return (0);
}

/*
 * Before this has run (other constructors, the dynamic linker's own
 * work), every call takes the interceptor, which copes with being early.
 */
__attribute__((constructor))
static void
uc_memcmp_init(void)
{
	libc_memcmp = (memcmp_fn)dlsym(RTLD_NEXT, "memcmp");
	if (libc_memcmp != NULL)
		dl_iterate_phdr(find_unicorn, NULL);
}

__attribute__((no_sanitize("address", "undefined", "coverage")))
int
memcmp(const void *a, const void *b, size_t n)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);

	if (ra - uc_text < uc_text_len)
		return (libc_memcmp(a, b, n));
	return (__interceptor_memcmp(a, b, n));
}
