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
 * Boot-image loaders: each validates its whole input before writing guest
 * memory, refuses a malformed or truncated file with ENOEXEC (not its
 * format), EINVAL (its format, but broken or unsupported) or EFBIG (does
 * not fit the guest), and a one-line reason in err; on success it fills
 * the vcpu state the image must start in (a struct vcpu_reg_state to hand
 * to VMM_IOC_RESETCPU).
 *
 *   loader_elf	ELF32/ELF64 kernels as vmd's loadfile_elf: segments at
 *			p_paddr & 0x0FFFFFFF, boot args at 0x2000, the boot
 *			stack, GDT and identity page tables in low memory,
 *			flat32 or flat64 start state.
 *   loader_multiboot	Multiboot (version 1) kernels: the header in the first
 *			8 KiB, ELF or a.out-kludge load, the info structure
 *			with the memory map and command line, EAX/EBX.
 *   loader_linux	The Linux x86 boot protocol (bzImage >= 2.12): setup
 *			header, protected-mode kernel at its preferred
 *			address (or an XZ payload unpacked there on the
 *			host), initramfs, command line, e820 map in the zero
 *			page, 64-bit entry.
 *   loader_bios	A BIOS image ending at 4 GiB, its top 384 KiB again
 *			ending at 1 MiB, and the reset state.
 */

#ifndef VMMSIM_DEVICES_LOADER_H
#define VMMSIM_DEVICES_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <machine/vmmvar.h>

#include "devices/guestmem.h"

#define LOADER_ERRLEN	160

struct loader_image {
	const uint8_t	*data;
	size_t		 len;
};

/* Read a whole file (at most max bytes) into memory; errno-style result. */
int	loader_read_file(const char *path, size_t max,
	    struct loader_image *out, char err[LOADER_ERRLEN]);
void	loader_free_image(struct loader_image *);

int	loader_elf(const struct guestmem *, const struct loader_image *,
	    const char *cmdline, struct vcpu_reg_state *,
	    char err[LOADER_ERRLEN]);
int	loader_multiboot(const struct guestmem *, const struct loader_image *,
	    const char *cmdline, const struct loader_image *module,
	    struct vcpu_reg_state *, char err[LOADER_ERRLEN]);
int	loader_linux(const struct guestmem *, const struct loader_image *kernel,
	    const struct loader_image *initrd, const char *cmdline,
	    struct vcpu_reg_state *, char err[LOADER_ERRLEN]);
/*
 * loader_linux with flags: by default an XZ bzImage whose kernel runs
 * where it is linked is unpacked on the host and entered at its own entry
 * (loader_linux.c says how); LOADER_LINUX_GUEST_UNPACK loads the
 * bzImage's protected-mode part as it is, for its decompressor to run in
 * the guest.
 */
#define LOADER_LINUX_GUEST_UNPACK	0x1
int	loader_linux_flags(const struct guestmem *,
	    const struct loader_image *kernel,
	    const struct loader_image *initrd, const char *cmdline, int flags,
	    struct vcpu_reg_state *, char err[LOADER_ERRLEN]);
/*
 * loader_linux_flags that keeps the unpacked kernel in *cache for the next
 * load of the same image (vmmsim run --reboot loads it again on every
 * guest reset): a load with the same kernel->data and length, which the
 * caller must not have changed, skips the unpacking.  Zero the cache
 * before its first use; loader_linux_cache_free when done.
 */
struct loader_linux_cache {
	const void		*kernel;	/* the image it is for */
	size_t			 kernel_len;
	struct loader_image	 unpacked;	/* empty: nothing to unpack */
	int			 valid;
	unsigned long		 hits;		/* loads that used it */
};
int	loader_linux_cached(const struct guestmem *,
	    const struct loader_image *kernel,
	    const struct loader_image *initrd, const char *cmdline, int flags,
	    struct loader_linux_cache *, struct vcpu_reg_state *,
	    char err[LOADER_ERRLEN]);
void	loader_linux_cache_free(struct loader_linux_cache *);
int	loader_bios(const struct guestmem *, const struct loader_image *,
	    struct vcpu_reg_state *, char err[LOADER_ERRLEN]);

/*
 * Start states shared by the loaders (vmd's vcpu_init_flat16/32/64):
 * every field of the struct set, segments flat.
 */
void	loader_regs_flat16(struct vcpu_reg_state *);	/* reset vector */
void	loader_regs_flat32(struct vcpu_reg_state *, uint64_t eip);
void	loader_regs_flat64(struct vcpu_reg_state *, uint64_t rip,
	    uint64_t cr3);

/* The e820 map of the layout: RAM type 1, everything else type 2. */
struct loader_e820 {
	uint64_t	addr;
	uint64_t	size;
	uint32_t	type;
} __attribute__((packed));
size_t	loader_e820(const struct guestmem *, struct loader_e820 *,
	    size_t max);

#endif /* VMMSIM_DEVICES_LOADER_H */
