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
 * fuzz_loader_<fmt>: one boot-image loader fed mutated files.  Built once
 * per format with -DFUZZ_LOADER_ELF, _LINUX, _MULTIBOOT or _BIOS.  The
 * image is the fuzzer's buffer itself, so ASan sees any read past its
 * end.  Besides "no crash", the loader's contract (loader.h) is checked:
 * the result is 0, ENOEXEC, EINVAL or EFBIG, and a refusal comes with a
 * reason.
 *
 * Guest memory is mapped once, in two sizes: 32 MiB (room for a Linux
 * kernel at 16 MiB) and 1 MiB (so the "does not fit" paths run too).  The
 * input's length picks one, which leaves every byte to the format.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/guestmem.h"
#include "devices/loader.h"

#include "fuzz.h"

#define MiB	(1024ULL * 1024)

static const uint8_t module_bytes[] = "a module or initrd; its bytes do not "
    "matter to the loader";

static int
load(const struct guestmem *gm, const struct loader_image *img,
    const char *cmdline, struct vcpu_reg_state *vrs, char err[LOADER_ERRLEN])
{
	struct loader_image mod = { module_bytes, sizeof(module_bytes) };

#if defined(FUZZ_LOADER_ELF)
	(void)mod;
	return (loader_elf(gm, img, cmdline, vrs, err));
#elif defined(FUZZ_LOADER_LINUX)
	return (loader_linux(gm, img, (img->len & 2) ? &mod : NULL, cmdline,
	    vrs, err));
#elif defined(FUZZ_LOADER_MULTIBOOT)
	return (loader_multiboot(gm, img, cmdline, (img->len & 2) ? &mod :
	    NULL, vrs, err));
#elif defined(FUZZ_LOADER_BIOS)
	(void)mod;
	(void)cmdline;
	return (loader_bios(gm, img, vrs, err));
#else
#error "define FUZZ_LOADER_ELF, _LINUX, _MULTIBOOT or _BIOS"
#endif
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct guestmem big, small;
	static int once;
	struct loader_image img = { data, len };
	struct vcpu_reg_state vrs;
	char err[LOADER_ERRLEN];
	int error;

	if (!once) {
		if (guestmem_alloc(&big, 32 * MiB) != 0 ||
		    guestmem_alloc(&small, 1 * MiB) != 0)
			abort();
		once = 1;
	}
	memset(err, 'x', sizeof(err));
	error = load(len % 5 == 4 ? &small : &big, &img,
	    (len & 1) ? "console=ttyS0 root=/dev/vda" : NULL, &vrs, err);
	switch (error) {
	case 0:
		break;
	case ENOEXEC:
	case EINVAL:
	case EFBIG:
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
			fprintf(stderr, "loader: error %d without a reason\n",
			    error);
			abort();
		}
		break;
	default:
		fprintf(stderr, "loader: unexpected error %d (%s)\n", error,
		    memchr(err, '\0', sizeof(err)) ? err : "?");
		abort();
	}
	return (0);
}
