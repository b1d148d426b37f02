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
 * libvmmdev.so: an LD_PRELOAD shim that gives an unmodified OpenBSD-style
 * vmm(4) client a working /dev/vmm.  open() of "/dev/vmm" returns an
 * in-process vmmsim handle (vendor from $VMMSIM_CPU); ioctl() and close()
 * on such a descriptor go to vmmsim; every other call passes through to
 * the C library untouched.
 *
 *	LD_PRELOAD=/path/to/libvmmdev.so ./vmd-like-client
 */

#define _GNU_SOURCE		/* RTLD_NEXT, O_TMPFILE, open64 */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"

#define VMM_DEVICE	"/dev/vmm"

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);

static void *
next(const char *sym)
{
	return (dlsym(RTLD_NEXT, sym));
}

static int
is_vmm_path(const char *path)
{
	return (path != NULL && strcmp(path, VMM_DEVICE) == 0);
}

static int
vmm_open(void)
{
	const char *rd = getenv("VMMSIM_REDELIVER");
	int fd, saved;

	fd = vmmsim_open(rd != NULL && strcmp(rd, "1") == 0 ?
	    VMMSIM_OPEN_REDELIVER : VMMSIM_OPEN_DEFAULT);
	/* VMMSIM_TRACE=FILE: the exits of this handle's runs, recorded. */
	if (fd != -1 && vmmsim_trace_env(fd) == -1) {
		saved = errno;
		vmmsim_close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

int
open(const char *path, int flags, ...)
{
	static open_fn real;
	mode_t mode = 0;
	va_list ap;

	if (is_vmm_path(path))
		return (vmm_open());
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (real == NULL && (real = (open_fn)next("open")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(path, flags, mode));
}

int
open64(const char *path, int flags, ...)
{
	static open_fn real;
	mode_t mode = 0;
	va_list ap;

	if (is_vmm_path(path))
		return (vmm_open());
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (real == NULL && (real = (open_fn)next("open64")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(path, flags, mode));
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static openat_fn real;
	mode_t mode = 0;
	va_list ap;

	if (is_vmm_path(path))
		return (vmm_open());
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (real == NULL && (real = (openat_fn)next("openat")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(dirfd, path, flags, mode));
}

int
ioctl(int fd, unsigned long request, ...)
{
	static ioctl_fn real;
	void *arg;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (vmmsim_is_handle(fd))
		return (vmmsim_ioctl(fd, request, arg));
	if (real == NULL && (real = (ioctl_fn)next("ioctl")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(fd, request, arg));
}

int
close(int fd)
{
	static close_fn real;

	if (vmmsim_is_handle(fd))
		return (vmmsim_close(fd));
	if (real == NULL && (real = (close_fn)next("close")) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real(fd));
}
