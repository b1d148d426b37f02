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
 * Guest memory objects and the user/kernel boundary.
 *
 * CREATE (2024 semantics) takes the caller's own guest-memory buffers.  To
 * let SHAREMEM alias them the way uvm_share does, the pages are moved into
 * a memfd that is mapped MAP_SHARED|MAP_FIXED over the caller's buffer:
 * same address, same contents, now shareable.  The monitor keeps its own
 * mapping, so the VM survives the caller unmapping its buffer.
 *
 * copyin/copyout are the kernel's: a bad user address yields EFAULT, never
 * a crash.  They run under a thread-local recovery point that the
 * SIGSEGV/SIGBUS handler installed by copy_init() jumps to.
 */

#include "config.h"

#include <sys/mman.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Is [va, va + len) entirely mapped?  (mincore fails on a hole.) */
static int
range_is_mapped(vaddr_t va, size_t len, unsigned char *vec)
{
	return (mincore((void *)va, len, vec) == 0);
}

/*
 * Copy the resident pages of the caller's buffer into the new object.
 * Pages that were never touched read as zero and are left as holes.
 */
static int
copy_resident(vaddr_t va, size_t len, unsigned char *vec, char *kva)
{
	size_t i, npages = len / PAGE_SIZE;

	for (i = 0; i < npages; i++) {
		if ((vec[i] & 1) == 0)
			continue;
		if (copyin((const void *)(va + i * PAGE_SIZE),
		    kva + i * PAGE_SIZE, PAGE_SIZE) != 0)
			return (EFAULT);
	}
	return (0);
}

/*
 * vm_mem_obj_share_in
 *
 * Turns the caller's buffer [va, va + size) into a shareable guest memory
 * object, keeping its address and contents.
 *
 * Return values:
 *  0: success, *res holds the object (one reference)
 *  ENOMEM: the buffer is not entirely mapped, cannot be read, or a memfd
 *   or mapping could not be made
 */
int
vm_mem_obj_share_in(vaddr_t va, size_t size, struct vm_mem_obj **res)
{
	struct vm_mem_obj *mo;
	unsigned char *vec;
	void *p;
	int fd;

	*res = NULL;
	if ((vec = malloc(size / PAGE_SIZE)) == NULL)
		return (ENOMEM);
	if (!range_is_mapped(va, size, vec)) {
		free(vec);
		return (ENOMEM);
	}

	if ((mo = calloc(1, sizeof(*mo))) == NULL) {
		free(vec);
		return (ENOMEM);
	}
	fd = memfd_create("vmmsim-guest", MFD_CLOEXEC);
	if (fd == -1 || ftruncate(fd, (off_t)size) == -1)
		goto fail;
	mo->mo_fd = fd;
	mo->mo_size = size;
	mo->mo_kva = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (mo->mo_kva == MAP_FAILED) {
		mo->mo_kva = NULL;
		goto fail;
	}
	if (copy_resident(va, size, vec, mo->mo_kva) != 0)
		goto fail;

	/* Replace the caller's pages with the shareable ones, in place. */
	p = mmap((void *)va, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;

	free(vec);
	refcnt_init(&mo->mo_refcnt);
	*res = mo;
	return (0);
fail:
	free(vec);
	if (mo->mo_kva != NULL)
		munmap(mo->mo_kva, size);
	if (fd != -1)
		close(fd);
	free(mo);
	return (ENOMEM);
}

/*
 * vm_mem_obj_map_at
 *
 * Maps a guest memory object into the calling process at exactly 'va',
 * which must be free and in user space (uvm_share's rules).
 *
 * Return values:
 *  0: success
 *  ENOMEM: the destination is occupied, outside user space, or the
 *   mapping failed
 */
int
vm_mem_obj_map_at(struct vm_mem_obj *mo, vaddr_t va)
{
	void *p;

	if (va < VM_MIN_ADDRESS || va >= VM_MAXUSER_ADDRESS ||
	    mo->mo_size > VM_MAXUSER_ADDRESS - va)
		return (ENOMEM);

	p = mmap((void *)va, mo->mo_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED_NOREPLACE, mo->mo_fd, 0);
	if (p == MAP_FAILED)
		return (ENOMEM);
	if ((vaddr_t)p != va) {
		/* A kernel without MAP_FIXED_NOREPLACE took it as a hint. */
		munmap(p, mo->mo_size);
		return (ENOMEM);
	}
	return (0);
}

int
munmap_range(vaddr_t va, size_t size)
{
	return (munmap((void *)va, size) == 0 ? 0 : errno);
}

/* Drops a reference; the last one releases the monitor's mapping. */
void
vm_mem_obj_rele(struct vm_mem_obj *mo)
{
	if (!refcnt_rele(&mo->mo_refcnt))
		return;
	munmap(mo->mo_kva, mo->mo_size);
	close(mo->mo_fd);
	refcnt_destroy(&mo->mo_refcnt);
	free(mo);
}

/* --- copyin/copyout --------------------------------------------------- */

/*
 * volatile: the only reader is the signal handler, so without it a
 * compiler that sees copy_bytes() never reads it (clang -O2 does) drops
 * the store before the copy as dead, and a bad user address kills the
 * process instead of giving EFAULT.
 */
static __thread sigjmp_buf *volatile copy_recover;
static struct sigaction copy_old_segv, copy_old_bus;
static pthread_once_t copy_once = PTHREAD_ONCE_INIT;

static void
copy_fault(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction *old;
	sigjmp_buf *jb;

	if ((jb = copy_recover) != NULL) {
		copy_recover = NULL;
		siglongjmp(*jb, 1);
	}

	/* Not a user copy: hand the fault to whoever had it before us. */
	old = (sig == SIGSEGV) ? &copy_old_segv : &copy_old_bus;
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uctx);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* Re-executing the access faults again, fatally. */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

static void
copy_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = copy_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &copy_old_segv);
	sigaction(SIGBUS, &sa, &copy_old_bus);
}

void
copy_init(void)
{
	pthread_once(&copy_once, copy_install);
}

/*
 * The copy itself: libc's memcpy (a fault in it reaches the handler like
 * any other), except under AddressSanitizer, which checks memcpy's
 * arguments and would report a bad user address instead of letting it
 * fault: there a plain loop it leaves alone.
 */
#if defined(__SANITIZE_ADDRESS__)
#define COPY_PLAIN_LOOP	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COPY_PLAIN_LOOP	1
#endif
#endif

#ifdef COPY_PLAIN_LOOP
/* A plain copy loop the sanitizers leave alone: faults are expected here. */
__attribute__((noinline, no_sanitize("address", "undefined")))
static void
copy_bytes(volatile unsigned char *dst, const volatile unsigned char *src,
    size_t len)
{
	while (len >= 32) {
		uint64_t w[4];

		memcpy(w, (const void *)src, 32);
		memcpy((void *)dst, w, 32);
		src += 32;
		dst += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, (const void *)src, 8);
		memcpy((void *)dst, &w, 8);
		src += 8;
		dst += 8;
		len -= 8;
	}
	while (len-- > 0)
		*dst++ = *src++;
}
#endif

static int
user_range_ok(const void *uaddr, size_t len)
{
	uintptr_t a = (uintptr_t)uaddr;

	if (len == 0)
		return (1);
	return (a >= VM_MIN_ADDRESS && a < VM_MAXUSER_ADDRESS &&
	    len <= VM_MAXUSER_ADDRESS - a);
}

static int
guarded_copy(void *dst, const void *src, size_t len)
{
	sigjmp_buf jb;

	if (len == 0)
		return (0);
	copy_init();
	if (sigsetjmp(jb, 0) != 0)
		return (EFAULT);
	copy_recover = &jb;
#ifdef COPY_PLAIN_LOOP
	copy_bytes(dst, src, len);
#else
	/* The barriers keep the copy between the recovery point's stores. */
	__asm__ volatile("" ::: "memory");
	memcpy(dst, src, len);
	__asm__ volatile("" ::: "memory");
#endif
	copy_recover = NULL;
	return (0);
}

/* Copies len bytes from user address uaddr; EFAULT if unreadable. */
int
copyin(const void *uaddr, void *kaddr, size_t len)
{
	if (!user_range_ok(uaddr, len))
		return (EFAULT);
	return (guarded_copy(kaddr, uaddr, len));
}

/* Copies len bytes to user address uaddr; EFAULT if unwritable. */
int
copyout(const void *kaddr, void *uaddr, size_t len)
{
	if (!user_range_ok(uaddr, len))
		return (EFAULT);
	return (guarded_copy(uaddr, kaddr, len));
}
