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

/* Helpers shared by the Check suites: handles, guest memory, VMs. */

#ifndef VMMSIM_TESTUTIL_H
#define VMMSIM_TESTUTIL_H

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "vmmsim.h"
#include "emu/emu.h"

#define TPAGE	4096UL

/* Both vendors: suites loop over these (vendor-specific where it differs). */
static const int test_vendors[] = { VMMSIM_OPEN_INTEL, VMMSIM_OPEN_AMD };

static inline int
t_open(int vendor)
{
	int fd = vmmsim_open(vendor);

	ck_assert_msg(fd >= 0, "vmmsim_open: %s", strerror(errno));
	return (fd);
}

/* Anonymous page-aligned guest memory, as vmd 2024 allocated it. */
static inline void *
t_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return (p);
}

/*
 * A page-aligned address range that is certainly not mapped and stays so:
 * taken from a part of the address space (48 TiB) that neither the kernel's
 * top-down mmap nor ASan's shadow and allocator regions use.
 */
static inline unsigned long
t_hole(size_t size)
{
	static unsigned long next = 0x300000000000UL;
	unsigned long va;
	void *p;

	size = (size + TPAGE - 1) & ~(TPAGE - 1);
	for (;;) {
		va = __atomic_fetch_add(&next, size + 16 * TPAGE,
		    __ATOMIC_RELAXED);
		p = mmap((void *)va, size, PROT_NONE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)va) {
			munmap(p, size);
			return (va);
		}
		if (p != MAP_FAILED)
			munmap(p, size);
	}
}

/* Guest memory at a stable address with one page punched out. */
static inline char *
t_mem_with_hole(size_t npages, size_t holepage)
{
	char *p = (char *)t_hole(npages * TPAGE);

	ck_assert_ptr_eq(mmap(p, npages * TPAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), p);
	munmap(p + holepage * TPAGE, TPAGE);
	return (p);
}

static inline void
t_range(struct vm_create_params *vcp, unsigned long gpa, size_t size,
    int type)
{
	struct vm_mem_range *vmr = &vcp->vcp_memranges[vcp->vcp_nmemranges++];

	vmr->vmr_gpa = gpa;
	vmr->vmr_size = size;
	vmr->vmr_type = type;
	vmr->vmr_va = (type == VM_MEM_MMIO) ? t_hole(TPAGE) :
	    (unsigned long)t_mem(size);
}

/* A one-range VM of 'size' bytes of RAM at GPA 0. */
static inline void
t_vcp_simple(struct vm_create_params *vcp, size_t size, const char *name)
{
	memset(vcp, 0, sizeof(*vcp));
	vcp->vcp_ncpus = 1;
	t_range(vcp, 0, size, VM_MEM_RAM);
	snprintf(vcp->vcp_name, sizeof(vcp->vcp_name), "%s", name);
}

static inline uint32_t
t_create(int fd, size_t size, const char *name)
{
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, size, name);
	ck_assert_msg(vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp) == 0,
	    "CREATE: %s", strerror(errno));
	return (vcp.vcp_id);
}

static inline int
t_term(int fd, uint32_t id)
{
	struct vm_terminate_params vtp = { .vtp_vm_id = id };

	return (vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp));
}

/* ioctl result as an errno value (0 on success). */
static inline int
t_err(int r)
{
	return (r == 0 ? 0 : errno);
}

static inline int
t_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

/*
 * Let go of what the process keeps for later before it is measured: the
 * engines destroyed CPUs left for the next ones (how many wait depends on
 * where in an engine's life the last VM was) and the heap free() kept.
 * What is left is what live VMs and leaks hold.
 */
static inline void
t_quiesce(void)
{
	emu_engine_pool_drain();
	malloc_trim(0);
}

/* Resident set size in pages, from /proc/self/statm. */
static inline long
t_rss_pages(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, rss = 0;

	if (f == NULL)
		return (-1);
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = -1;
	fclose(f);
	return (rss);
}

/* Number of mappings in /proc/self/maps. */
static inline int
t_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (f == NULL)
		return (-1);
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return (n);
}

/*
 * Running under valgrind (make check-valgrind sets VMMSIM_VALGRIND):
 * its own allocator's mappings and RSS come and go in /proc/self, so
 * the suites skip those bounds and keep the descriptor counts.
 */
static inline int
t_valgrind(void)
{
	return (getenv("VMMSIM_VALGRIND") != NULL);
}

/*
 * Whether /proc/self's mapping count and RSS are the library's and
 * libc's to account for: not under valgrind, nor under ASan, whose
 * allocator maps regions and keeps a quarantine of its own (LeakSanitizer
 * checks for leaks there instead).
 */
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN	1
#endif
#endif
#ifndef T_ASAN
#define T_ASAN	0
#endif

static inline int
t_memory_exact(void)
{
	return (!T_ASAN && !t_valgrind());
}

static inline int
t_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

#endif /* VMMSIM_TESTUTIL_H */
