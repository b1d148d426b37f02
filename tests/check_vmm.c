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
 * The monitor's bookkeeping, rule by rule (vmm-contract.md §3-§6 with the
 * 2024 memory semantics): CREATE, INFO, TERM, SHAREMEM, vm_find, pledge,
 * the ioctl layer.  Every test runs once per vendor (loop index 0 = Intel,
 * 1 = AMD).
 */

#include <pthread.h>
#include <stdint.h>

#include "testutil.h"
#include "vmm/vmm.h"

#define VENDOR	(test_vendors[_i])

/* --- CREATE ---------------------------------------------------------- */

START_TEST(test_create_ids_start_at_1_and_increase)
{
	int fd = t_open(VENDOR);

	ck_assert_uint_eq(t_create(fd, TPAGE, "a"), 1);
	ck_assert_uint_eq(t_create(fd, TPAGE, "b"), 2);
	ck_assert_uint_eq(t_create(fd, TPAGE, "c"), 3);
}
END_TEST

START_TEST(test_create_ids_are_never_reused)
{
	int fd = t_open(VENDOR);
	uint32_t a = t_create(fd, TPAGE, "a");

	ck_assert_int_eq(t_term(fd, a), 0);
	ck_assert_uint_eq(t_create(fd, TPAGE, "b"), a + 1);
}
END_TEST

START_TEST(test_create_failed_create_consumes_no_id)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	ck_assert_uint_eq(t_create(fd, TPAGE, "a"), 1);
	t_vcp_simple(&vcp, TPAGE, "bad");
	vcp.vcp_ncpus = 2;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp)), EINVAL);
	ck_assert_uint_eq(t_create(fd, TPAGE, "b"), 2);
}
END_TEST

static int
create_err(int fd, struct vm_create_params *vcp)
{
	return (t_err(vmmsim_ioctl(fd, VMM_IOC_CREATE, vcp)));
}

START_TEST(test_create_rejects_zero_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_more_than_16_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	int i;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	for (i = 0; i < 16; i++)
		t_range(&vcp, (unsigned long)i * TPAGE, TPAGE, VM_MEM_RAM);
	vcp.vcp_nmemranges = 17;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
	vcp.vcp_nmemranges = 16;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_rejects_unaligned_gpa)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_gpa = 0x10;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_unaligned_va)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, 2 * TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va += 8;
	vcp.vcp_memranges[0].vmr_size = TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_unaligned_size)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, 2 * TPAGE, "x");
	vcp.vcp_memranges[0].vmr_size = TPAGE + 1;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_zero_size)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_size = 0;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_gpa_at_128g)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_gpa = 128UL << 30;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_range_ending_past_128g)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, 2 * TPAGE, "x");
	vcp.vcp_memranges[0].vmr_gpa = (128UL << 30) - TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_accepts_range_ending_at_128g)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_gpa = (128UL << 30) - TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_rejects_va_below_user_space)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va = 0;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_va_above_user_space)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va = 0x00007ffffffff000UL;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
	vcp.vcp_memranges[0].vmr_va = 0xffff800000000000UL;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_va_range_reaching_user_limit)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	/* size >= VM_MAXUSER_ADDRESS - va is refused (no wrap, no touch). */
	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va = 0x00007ffffffff000UL - TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_overlapping_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, 2 * TPAGE, VM_MEM_RAM);
	t_range(&vcp, TPAGE, TPAGE, VM_MEM_RAM);
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_rejects_descending_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0x10000, TPAGE, VM_MEM_RAM);
	t_range(&vcp, 0, TPAGE, VM_MEM_RAM);
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_accepts_adjacent_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, TPAGE, VM_MEM_RAM);
	t_range(&vcp, TPAGE, TPAGE, VM_MEM_RESERVED);
	t_range(&vcp, 2 * TPAGE, TPAGE, VM_MEM_MMIO);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_accepts_any_range_type)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_type = 77;	/* backed like RAM */
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_rejects_mmio_only_vm)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, TPAGE, VM_MEM_MMIO);
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
}
END_TEST

START_TEST(test_create_mmio_range_needs_no_memory)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, TPAGE, VM_MEM_RAM);
	t_range(&vcp, 0xf0000000UL, 0x100000, VM_MEM_MMIO);	/* va unmapped */
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_rejects_ncpus_other_than_1)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_ncpus = 0;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
	vcp.vcp_ncpus = 2;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
	vcp.vcp_ncpus = 1;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
}
END_TEST

START_TEST(test_create_unmapped_memory_is_enomem)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va = t_hole(4 * TPAGE);
	vcp.vcp_memranges[0].vmr_size = 4 * TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), ENOMEM);
}
END_TEST

START_TEST(test_create_partly_unmapped_memory_is_enomem)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	char *p = t_mem_with_hole(4, 2);

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_memranges[0].vmr_va = (unsigned long)p;
	vcp.vcp_memranges[0].vmr_size = 4 * TPAGE;
	ck_assert_int_eq(create_err(fd, &vcp), ENOMEM);
}
END_TEST

START_TEST(test_create_keeps_memory_contents_and_address)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	unsigned char *p;
	size_t i;

	t_vcp_simple(&vcp, 16 * TPAGE, "x");
	p = (unsigned char *)vcp.vcp_memranges[0].vmr_va;
	for (i = 0; i < 16 * TPAGE; i += 97)
		p[i] = (unsigned char)(i * 7 + 1);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_ptr_eq((void *)vcp.vcp_memranges[0].vmr_va, p);
	for (i = 0; i < 16 * TPAGE; i += 97)
		ck_assert_uint_eq(p[i], (unsigned char)(i * 7 + 1));
	p[5] = 0x5a;	/* still writable */
	ck_assert_uint_eq(p[5], 0x5a);
}
END_TEST

START_TEST(test_create_truncates_name_to_63_bytes)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_info_result vir;
	struct vm_info_params vip = { .vip_size = sizeof(vir), .vip_info = &vir };

	t_vcp_simple(&vcp, TPAGE, "");
	memset(vcp.vcp_name, 'n', sizeof(vcp.vcp_name));	/* no NUL */
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(strlen(vir.vir_name), 63);
	ck_assert_int_eq(vir.vir_name[62], 'n');
}
END_TEST

START_TEST(test_create_error_leaves_params_untouched)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;

	t_vcp_simple(&vcp, TPAGE, "x");
	vcp.vcp_ncpus = 3;
	vcp.vcp_id = 0xdeadbeef;
	ck_assert_int_eq(create_err(fd, &vcp), EINVAL);
	ck_assert_uint_eq(vcp.vcp_id, 0xdeadbeef);
}
END_TEST

START_TEST(test_create_bad_argument_pointer_is_efault)
{
	int fd = t_open(VENDOR);

	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_CREATE, NULL)),
	    EFAULT);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_CREATE,
	    (void *)t_hole(TPAGE))), EFAULT);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_CREATE,
	    (void *)0xffff800000001000UL)), EFAULT);
}
END_TEST

START_TEST(test_create_caps_vcpus_at_512)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	char *mem = t_mem(TPAGE);
	int i;

	t_vcp_simple(&vcp, TPAGE, "cap");
	vcp.vcp_memranges[0].vmr_va = (unsigned long)mem;
	for (i = 0; i < 512; i++)
		ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(create_err(fd, &vcp), ENOMEM);
	ck_assert_int_eq(t_term(fd, 7), 0);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_uint_eq(vcp.vcp_id, 513);	/* the refused one took no id */
}
END_TEST

START_TEST(test_create_vpid_exhaustion_is_enomem)
{
	int fd = t_open(VENDOR);
	struct vmm_softc *sc;
	struct vm_create_params vcp;
	char *mem = t_mem(TPAGE);

	/* A CPU with only three usable VPIDs/ASIDs. */
	sc = vmm_softc_for_mode(VENDOR == VMMSIM_OPEN_AMD ? VMM_MODE_RVI :
	    VMM_MODE_EPT);
	ck_assert_ptr_nonnull(sc);
	sc->max_vpid = 3;
	t_vcp_simple(&vcp, TPAGE, "v");
	vcp.vcp_memranges[0].vmr_va = (unsigned long)mem;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(create_err(fd, &vcp), ENOMEM);
	/* Freed at teardown, and the failed create consumed no id. */
	ck_assert_int_eq(t_term(fd, 2), 0);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_uint_eq(vcp.vcp_id, 4);
}
END_TEST

START_TEST(test_vpid_allocator_skips_0_and_reuses_freed)
{
	int fd = t_open(VENDOR);
	struct vmm_softc *sc;
	uint16_t a, b, c;

	(void)fd;
	sc = vmm_softc_for_mode(VENDOR == VMMSIM_OPEN_AMD ? VMM_MODE_RVI :
	    VMM_MODE_EPT);
	ck_assert_int_eq(vmm_alloc_vpid(sc, 0, &a), 0);
	ck_assert_int_eq(vmm_alloc_vpid(sc, 1, &b), 0);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	vmm_free_vpid(sc, a);
	ck_assert_int_eq(vmm_alloc_vpid(sc, 1, &c), 0);
	ck_assert_uint_eq(c, 1);
	/* The last id, max_vpid itself, is usable (inclusive bound). */
	sc->max_vpid = 3;
	ck_assert_int_eq(vmm_alloc_vpid(sc, 1, &c), 0);
	ck_assert_uint_eq(c, 3);
	ck_assert_int_eq(vmm_alloc_vpid(sc, 1, &c), ENOMEM);
}
END_TEST

/* --- INFO -------------------------------------------------------------- */

START_TEST(test_info_too_small_buffer_returns_size_and_zero_count)
{
	int fd = t_open(VENDOR);
	struct vm_info_params vip;

	t_create(fd, TPAGE, "a");
	t_create(fd, TPAGE, "b");
	memset(&vip, 0, sizeof(vip));
	vip.vip_info_ct = 99;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_size, 2 * sizeof(struct vm_info_result));
	ck_assert_uint_eq(vip.vip_info_ct, 0);
}
END_TEST

START_TEST(test_info_with_no_vms_succeeds_empty)
{
	int fd = t_open(VENDOR);
	struct vm_info_params vip;

	memset(&vip, 0, sizeof(vip));
	vip.vip_info_ct = 5;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_info_ct, 0);
	ck_assert_uint_eq(vip.vip_size, 0);
}
END_TEST

START_TEST(test_info_lists_newest_first)
{
	int fd = t_open(VENDOR);
	struct vm_info_result vir[3];
	struct vm_info_params vip = { .vip_size = sizeof(vir), .vip_info = vir };

	t_create(fd, TPAGE, "first");
	t_create(fd, TPAGE, "second");
	t_create(fd, TPAGE, "third");
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_info_ct, 3);
	ck_assert_uint_eq(vir[0].vir_id, 3);
	ck_assert_str_eq(vir[0].vir_name, "third");
	ck_assert_uint_eq(vir[1].vir_id, 2);
	ck_assert_uint_eq(vir[2].vir_id, 1);
	ck_assert_str_eq(vir[2].vir_name, "first");
}
END_TEST

START_TEST(test_info_fills_every_field)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_info_result vir;
	struct vm_info_params vip = { .vip_size = sizeof(vir), .vip_info = &vir };
	int j;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, 640 * 1024, VM_MEM_RAM);
	t_range(&vcp, 640 * 1024, 384 * 1024, VM_MEM_RESERVED);
	t_range(&vcp, 0xf0000000UL, 0x1000000, VM_MEM_MMIO);
	strcpy(vcp.vcp_name, "fields");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	memset(&vir, 0xee, sizeof(vir));
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_info_ct, 1);
	/* MMIO ranges do not count; RESERVED ones do. */
	ck_assert_uint_eq(vir.vir_memory_size, 1024 * 1024);
	/* Nothing faulted in yet: the nested-paging root page only. */
	ck_assert_uint_eq(vir.vir_used_size, 4096);
	ck_assert_uint_eq(vir.vir_ncpus, 1);
	ck_assert_uint_eq(vir.vir_vcpu_state[0], VCPU_STATE_STOPPED);
	for (j = 1; j < VMM_MAX_VCPUS_PER_VM; j++)
		ck_assert_uint_eq(vir.vir_vcpu_state[j], 0);
	ck_assert_int_eq(vir.vir_creator_pid, getpid());
	ck_assert_uint_eq(vir.vir_id, vcp.vcp_id);
	ck_assert_str_eq(vir.vir_name, "fields");
}
END_TEST

START_TEST(test_info_keeps_vip_size_on_success)
{
	int fd = t_open(VENDOR);
	struct vm_info_result vir[4];
	struct vm_info_params vip = { .vip_size = sizeof(vir), .vip_info = vir };

	t_create(fd, TPAGE, "a");
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_size, sizeof(vir));
	ck_assert_uint_eq(vip.vip_info_ct, 1);
}
END_TEST

START_TEST(test_info_bad_buffer_is_efault)
{
	int fd = t_open(VENDOR);
	struct vm_info_params vip;

	t_create(fd, TPAGE, "a");
	vip.vip_size = sizeof(struct vm_info_result);
	vip.vip_info_ct = 0;
	vip.vip_info = (void *)t_hole(TPAGE);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EFAULT);
}
END_TEST

START_TEST(test_info_read_only_buffer_is_efault)
{
	int fd = t_open(VENDOR);
	struct vm_info_params vip;
	void *ro = t_mem(TPAGE);

	mprotect(ro, TPAGE, PROT_READ);
	t_create(fd, TPAGE, "a");
	vip.vip_size = sizeof(struct vm_info_result);
	vip.vip_info_ct = 0;
	vip.vip_info = ro;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EFAULT);
}
END_TEST

/* --- TERM ---------------------------------------------------------------- */

START_TEST(test_term_unknown_vm_is_enoent)
{
	int fd = t_open(VENDOR);

	ck_assert_int_eq(t_err(t_term(fd, 1)), ENOENT);
	t_create(fd, TPAGE, "a");
	ck_assert_int_eq(t_err(t_term(fd, 2)), ENOENT);
}
END_TEST

START_TEST(test_term_removes_vm_from_lookups)
{
	int fd = t_open(VENDOR);
	uint32_t id = t_create(fd, TPAGE, "a");
	struct vm_info_params vip;

	ck_assert_int_eq(t_term(fd, id), 0);
	ck_assert_int_eq(t_err(t_term(fd, id)), ENOENT);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_size, 0);
}
END_TEST

struct term_arg {
	int		fd;
	uint32_t	id;
	int		err;
	int		done;		/* __atomic_* only: clang refuses them on _Atomic */
};

static void *
term_thread(void *arg)
{
	struct term_arg *ta = arg;

	ta->err = t_err(t_term(ta->fd, ta->id));
	__atomic_store_n(&ta->done, 1, __ATOMIC_RELEASE);
	return (NULL);
}

static struct vmm_softc *
t_softc(int vendor)
{
	return (vmm_softc_for_mode(vendor == VMMSIM_OPEN_AMD ? VMM_MODE_RVI :
	    VMM_MODE_EPT));
}

START_TEST(test_term_waits_for_in_flight_operation)
{
	int fd = t_open(VENDOR);
	struct vmm_softc *sc = t_softc(VENDOR);
	struct proc self = { .p_pid = getpid() };
	struct term_arg ta = { .fd = fd };
	struct vm *vm;
	pthread_t t;

	ta.id = t_create(fd, TPAGE, "busy");
	curproc = &self;
	ck_assert_int_eq(vm_find(sc, ta.id, &vm), 0);	/* an in-flight op */
	pthread_create(&t, NULL, term_thread, &ta);
	while (__atomic_load_n(&vm->vm_dying, __ATOMIC_ACQUIRE) == 0)
		usleep(100);
	usleep(20000);
	ck_assert_int_eq(__atomic_load_n(&ta.done, __ATOMIC_ACQUIRE), 0);
	refcnt_rele_wake(&vm->vm_refcnt);
	pthread_join(t, NULL);
	ck_assert_int_eq(ta.err, 0);
}
END_TEST

START_TEST(test_term_of_dying_vm_is_ebusy)
{
	int fd = t_open(VENDOR);
	struct vmm_softc *sc = t_softc(VENDOR);
	struct proc self = { .p_pid = getpid() };
	struct term_arg ta = { .fd = fd };
	struct vm *vm;
	pthread_t t;

	ta.id = t_create(fd, TPAGE, "dying");
	curproc = &self;
	/* A second TERM that found the VM before the first removed it. */
	ck_assert_int_eq(vm_find(sc, ta.id, &vm), 0);
	pthread_create(&t, NULL, term_thread, &ta);
	while (__atomic_load_n(&vm->vm_dying, __ATOMIC_ACQUIRE) == 0)
		usleep(100);
	ck_assert_int_eq(vm_terminate_found(sc, vm), EBUSY);
	pthread_join(t, NULL);
	ck_assert_int_eq(ta.err, 0);
}
END_TEST

START_TEST(test_term_keeps_caller_mappings)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	unsigned char *p;

	t_vcp_simple(&vcp, 2 * TPAGE, "x");
	p = (unsigned char *)vcp.vcp_memranges[0].vmr_va;
	p[100] = 42;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	ck_assert_int_eq(t_term(fd, vcp.vcp_id), 0);
	ck_assert_uint_eq(p[100], 42);
	p[101] = 43;
	ck_assert_uint_eq(p[101], 43);
}
END_TEST

START_TEST(test_term_frees_the_vpid)
{
	int fd = t_open(VENDOR);
	struct vmm_softc *sc = t_softc(VENDOR);
	uint16_t v;

	t_create(fd, TPAGE, "a");			/* vpid 1 */
	ck_assert_int_eq(t_term(fd, 1), 0);
	ck_assert_int_eq(vmm_alloc_vpid(sc, 1, &v), 0);
	ck_assert_uint_eq(v, 1);
}
END_TEST

/* --- SHAREMEM --------------------------------------------------------- */

static void
vsp_from_vcp(struct vm_sharemem_params *vsp, struct vm_create_params *vcp)
{
	size_t i, total = 0;
	unsigned long va;

	/* One hole for all ranges, so the destinations are distinct. */
	for (i = 0; i < vcp->vcp_nmemranges; i++)
		total += vcp->vcp_memranges[i].vmr_size;
	va = t_hole(total);
	memset(vsp, 0, sizeof(*vsp));
	vsp->vsp_vm_id = vcp->vcp_id;
	vsp->vsp_nmemranges = vcp->vcp_nmemranges;
	for (i = 0; i < vcp->vcp_nmemranges; i++) {
		vsp->vsp_memranges[i] = vcp->vcp_memranges[i];
		vsp->vsp_memranges[i].vmr_va = va;
		va += vcp->vcp_memranges[i].vmr_size;
	}
}

START_TEST(test_sharemem_aliases_guest_memory_both_ways)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;
	volatile unsigned char *a, *b;

	t_vcp_simple(&vcp, 4 * TPAGE, "share");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp), 0);
	a = (unsigned char *)vcp.vcp_memranges[0].vmr_va;
	b = (unsigned char *)vsp.vsp_memranges[0].vmr_va;
	ck_assert_ptr_ne((void *)a, (void *)b);
	a[3 * TPAGE + 7] = 0x11;
	ck_assert_uint_eq(b[3 * TPAGE + 7], 0x11);
	b[9] = 0x22;
	ck_assert_uint_eq(a[9], 0x22);
}
END_TEST

START_TEST(test_sharemem_sees_contents_written_before_create)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	t_vcp_simple(&vcp, 2 * TPAGE, "pre");
	((unsigned char *)vcp.vcp_memranges[0].vmr_va)[TPAGE + 1] = 0x77;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp), 0);
	ck_assert_uint_eq(((unsigned char *)vsp.vsp_memranges[0].vmr_va)[TPAGE + 1],
	    0x77);
}
END_TEST

START_TEST(test_sharemem_skips_mmio_ranges)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, TPAGE, VM_MEM_RAM);
	t_range(&vcp, 0x100000, TPAGE, VM_MEM_MMIO);
	t_range(&vcp, 0x200000, TPAGE, VM_MEM_RESERVED);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp), 0);
	/* The MMIO destination stays unmapped; the others are mapped. */
	ck_assert_int_eq(msync((void *)vsp.vsp_memranges[1].vmr_va, TPAGE,
	    MS_ASYNC), -1);
	ck_assert_int_eq(msync((void *)vsp.vsp_memranges[2].vmr_va, TPAGE,
	    MS_ASYNC), 0);
}
END_TEST

START_TEST(test_sharemem_rejects_count_mismatch)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	t_vcp_simple(&vcp, TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	vsp.vsp_nmemranges = 2;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
	vsp.vsp_nmemranges = 0;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
}
END_TEST

START_TEST(test_sharemem_rejects_type_gpa_or_size_mismatch)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	t_vcp_simple(&vcp, 2 * TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), 0);

	vsp_from_vcp(&vsp, &vcp);
	vsp.vsp_memranges[0].vmr_type = VM_MEM_RESERVED;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
	vsp_from_vcp(&vsp, &vcp);
	vsp.vsp_memranges[0].vmr_gpa = TPAGE;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
	vsp_from_vcp(&vsp, &vcp);
	vsp.vsp_memranges[0].vmr_size = TPAGE;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
}
END_TEST

START_TEST(test_sharemem_rejects_unaligned_destination)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	t_vcp_simple(&vcp, TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	vsp.vsp_memranges[0].vmr_va += 16;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EINVAL);
}
END_TEST

START_TEST(test_sharemem_occupied_destination_is_enomem)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;
	unsigned char *busy = t_mem(TPAGE);

	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	t_range(&vcp, 0, TPAGE, VM_MEM_RAM);
	t_range(&vcp, TPAGE, TPAGE, VM_MEM_RAM);
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	busy[0] = 0x3c;
	vsp.vsp_memranges[1].vmr_va = (unsigned long)busy;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), ENOMEM);
	/* The occupant is untouched and the first range was not left behind. */
	ck_assert_uint_eq(busy[0], 0x3c);
	ck_assert_int_eq(msync((void *)vsp.vsp_memranges[0].vmr_va, TPAGE,
	    MS_ASYNC), -1);
}
END_TEST

START_TEST(test_sharemem_unknown_vm_is_enoent)
{
	int fd = t_open(VENDOR);
	struct vm_sharemem_params vsp;

	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = 42;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), ENOENT);
}
END_TEST

START_TEST(test_sharemem_can_be_repeated)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params v1, v2;

	t_vcp_simple(&vcp, TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	vsp_from_vcp(&v1, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &v1), 0);
	vsp_from_vcp(&v2, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &v2), 0);
	((unsigned char *)v1.vsp_memranges[0].vmr_va)[1] = 9;
	ck_assert_uint_eq(((unsigned char *)v2.vsp_memranges[0].vmr_va)[1], 9);
}
END_TEST

START_TEST(test_sharemem_survives_creator_unmapping)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;

	t_vcp_simple(&vcp, TPAGE, "x");
	((unsigned char *)vcp.vcp_memranges[0].vmr_va)[0] = 0x61;
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	munmap((void *)vcp.vcp_memranges[0].vmr_va, TPAGE);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp), 0);
	ck_assert_uint_eq(((unsigned char *)vsp.vsp_memranges[0].vmr_va)[0], 0x61);
}
END_TEST

/* --- vm_find, pledge, processes -------------------------------------- */

START_TEST(test_pledge_vmm_without_proc_cannot_create_info_sharemem)
{
	int root = t_open(VENDOR);
	int fd = vmmsim_open_as(getpid(), "stdio vmm", VENDOR);
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_sharemem_params vsp;

	vmmsim_set_log(NULL);
	ck_assert_int_ge(fd, 0);
	t_vcp_simple(&vcp, TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), EPERM);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EPERM);
	ck_assert_int_eq(create_err(root, &vcp), 0);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp)), EPERM);
}
END_TEST

START_TEST(test_pledge_vmm_proc_may_create_info_sharemem)
{
	int fd = vmmsim_open_as(getpid(), "stdio vmm proc", VENDOR);
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_sharemem_params vsp;

	ck_assert_int_ge(fd, 0);
	t_vcp_simple(&vcp, TPAGE, "x");
	ck_assert_int_eq(create_err(fd, &vcp), 0);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	vsp_from_vcp(&vsp, &vcp);
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_SHAREMEM, &vsp), 0);
}
END_TEST

START_TEST(test_pledge_vmm_cannot_touch_another_pids_vm)
{
	int parent = vmmsim_open_as(1000, NULL, VENDOR);
	int child = vmmsim_open_as(2000, "stdio vmm", VENDOR);
	uint32_t id;

	vmmsim_set_log(NULL);
	id = t_create(parent, TPAGE, "parent's");
	ck_assert_int_eq(t_err(t_term(child, id)), EPERM);
	ck_assert_int_eq(t_term(parent, id), 0);
}
END_TEST

START_TEST(test_pledge_vmm_may_touch_its_own_vm)
{
	int parent = vmmsim_open_as(1000, "stdio vmm proc", VENDOR);
	int vmproc = vmmsim_open_as(1000, "stdio vmm", VENDOR);
	uint32_t id;

	id = t_create(parent, TPAGE, "own");
	ck_assert_int_eq(t_term(vmproc, id), 0);
}
END_TEST

START_TEST(test_pledge_vmm_proc_may_touch_any_vm)
{
	int a = vmmsim_open_as(1000, NULL, VENDOR);
	int b = vmmsim_open_as(2000, "stdio vmm proc", VENDOR);
	uint32_t id = t_create(a, TPAGE, "a's");

	ck_assert_int_eq(t_term(b, id), 0);
}
END_TEST

START_TEST(test_unpledged_process_may_touch_any_vm)
{
	int a = vmmsim_open_as(1000, NULL, VENDOR);
	int b = vmmsim_open_as(2000, NULL, VENDOR);
	uint32_t id = t_create(a, TPAGE, "a's");

	ck_assert_int_eq(t_term(b, id), 0);
}
END_TEST

START_TEST(test_pledge_without_vmm_refuses_every_ioctl)
{
	int fd = vmmsim_open_as(getpid(), "stdio proc", VENDOR);
	struct vm_terminate_params vtp = { .vtp_vm_id = 1 };
	struct vm_info_params vip;

	vmmsim_set_log(NULL);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EPERM);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp)), EPERM);
}
END_TEST

START_TEST(test_pledge_error_promise_turns_violation_into_enosys)
{
	int fd = vmmsim_open_as(getpid(), "stdio vmm error", VENDOR);
	struct vm_info_params vip;

	vmmsim_set_log(NULL);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), ENOSYS);
}
END_TEST

START_TEST(test_pledge_violation_is_logged)
{
	int fd = vmmsim_open_as(4242, "stdio vmm", VENDOR);
	struct vm_info_params vip;
	char buf[512];
	FILE *log = tmpfile();
	size_t n;

	vmmsim_set_log(log);
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EPERM);
	rewind(log);
	n = fread(buf, 1, sizeof(buf) - 1, log);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "pid 4242"));
	ck_assert_ptr_nonnull(strstr(buf, "pledge"));
}
END_TEST

START_TEST(test_pledge_can_only_be_reduced)
{
	int fd = t_open(VENDOR);

	ck_assert_int_eq(vmmsim_pledge(fd, "stdio vmm"), 0);
	ck_assert_int_eq(t_err(vmmsim_pledge(fd, "stdio vmm proc")), EPERM);
	ck_assert_int_eq(t_err(vmmsim_pledge(fd, "stdio nonsense")), EINVAL);
}
END_TEST

START_TEST(test_pledged_vmm_may_run_per_vm_ioctls)
{
	int fd = vmmsim_open_as(getpid(), "stdio vmm", VENDOR);
	struct vm_resetcpu_params vrp;

	/* Not refused by pledge: the VM lookup answers. */
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = 99;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrp)), ENOENT);
}
END_TEST

/* --- the device and ioctl layer ------------------------------------- */

START_TEST(test_unknown_ioctl_is_enotty)
{
	int fd = t_open(VENDOR);
	char buf[64];

	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, _VMM_IOWR('V', 99, buf), buf)),
	    ENOTTY);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, _VMM_IOW('X', 1, buf), buf)),
	    ENOTTY);
	/* Same number, wrong size: a different command. */
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, _VMM_IOW('V', 4, buf), buf)),
	    ENOTTY);
}
END_TEST

START_TEST(test_ioctl_on_closed_or_foreign_descriptor)
{
	int fd = t_open(VENDOR);
	struct vm_info_params vip;
	int pfd[2];

	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(vmmsim_close(fd), 0);
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip)), EBADF);
	ck_assert_int_eq(t_err(vmmsim_close(fd)), EBADF);
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(t_err(vmmsim_ioctl(pfd[0], VMM_IOC_INFO, &vip)), ENOTTY);
	ck_assert_int_eq(vmmsim_is_handle(pfd[0]), 0);
}
END_TEST

START_TEST(test_open_vendor_selection)
{
	int fd;

	setenv("VMMSIM_CPU", "sparc", 1);
	ck_assert_int_eq(vmmsim_open(0), -1);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(vmmsim_open(VMMSIM_OPEN_INTEL | VMMSIM_OPEN_AMD), -1);
	ck_assert_int_eq(errno, EINVAL);
	setenv("VMMSIM_CPU", "amd", 1);
	fd = vmmsim_open(0);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(vmm_softc_for_mode(VMM_MODE_RVI));
	ck_assert_ptr_null(vmm_softc_for_mode(VMM_MODE_EPT));
	unsetenv("VMMSIM_CPU");
	fd = vmmsim_open(0);
	ck_assert_ptr_nonnull(vmm_softc_for_mode(VMM_MODE_EPT));
}
END_TEST

START_TEST(test_vendors_have_separate_vm_lists)
{
	int intel = t_open(VMMSIM_OPEN_INTEL);
	int amd = t_open(VMMSIM_OPEN_AMD);

	ck_assert_uint_eq(t_create(intel, TPAGE, "i"), 1);
	ck_assert_uint_eq(t_create(amd, TPAGE, "a"), 1);
	ck_assert_int_eq(t_err(t_term(amd, 2)), ENOENT);
}
END_TEST

START_TEST(test_resetcpu_unknown_vm_or_vcpu_is_enoent)
{
	int fd = t_open(VENDOR);
	struct vm_resetcpu_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = 5;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrp)), ENOENT);
	vrp.vrp_vm_id = t_create(fd, TPAGE, "a");
	vrp.vrp_vcpu_id = 1;
	ck_assert_int_eq(t_err(vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrp)), ENOENT);
}
END_TEST

/* --- threads and lifecycle ------------------------------------------------ */

#define CT_THREADS	8
#define CT_CYCLES	200

struct ct_arg {
	int		fd;
	uint32_t	ids[CT_CYCLES];
	int		errors;
};

static void *
create_term_thread(void *arg)
{
	struct ct_arg *ca = arg;
	struct vm_create_params vcp;
	int i;

	for (i = 0; i < CT_CYCLES; i++) {
		t_vcp_simple(&vcp, 2 * TPAGE, "thr");
		if (vmmsim_ioctl(ca->fd, VMM_IOC_CREATE, &vcp) != 0) {
			ca->errors++;
			continue;
		}
		ca->ids[i] = vcp.vcp_id;
		if (t_term(ca->fd, vcp.vcp_id) != 0)
			ca->errors++;
		munmap((void *)vcp.vcp_memranges[0].vmr_va, 2 * TPAGE);
	}
	return (NULL);
}

START_TEST(test_concurrent_create_terminate_from_threads)
{
	int fd = t_open(VENDOR);
	static struct ct_arg args[CT_THREADS];
	static uint8_t seen[CT_THREADS * CT_CYCLES + 1];
	struct vm_info_params vip;
	pthread_t t[CT_THREADS];
	int i, j;

	/* Static for their size; cleared for a second run (CK_FORK=no). */
	memset(args, 0, sizeof(args));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < CT_THREADS; i++) {
		args[i].fd = fd;
		pthread_create(&t[i], NULL, create_term_thread, &args[i]);
	}
	for (i = 0; i < CT_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < CT_THREADS; i++) {
		ck_assert_int_eq(args[i].errors, 0);
		for (j = 0; j < CT_CYCLES; j++) {
			uint32_t id = args[i].ids[j];

			ck_assert_uint_ge(id, 1);
			ck_assert_uint_le(id, CT_THREADS * CT_CYCLES);
			ck_assert_uint_eq(seen[id], 0);	/* ids are unique */
			seen[id] = 1;
		}
	}
	memset(&vip, 0, sizeof(vip));
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_INFO, &vip), 0);
	ck_assert_uint_eq(vip.vip_size, 0);
}
END_TEST

START_TEST(test_10000_create_terminate_cycles_do_not_grow)
{
	int fd = t_open(VENDOR);
	struct vm_create_params vcp;
	char *mem = t_mem(64 * TPAGE);
	long rss0, rss1;
	int fds0, fds1, maps0, maps1, i;

	memset(mem, 1, 64 * TPAGE);
	t_vcp_simple(&vcp, 64 * TPAGE, "cycle");
	vcp.vcp_memranges[0].vmr_va = (unsigned long)mem;
	/* Warm up allocator caches before measuring. */
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(create_err(fd, &vcp), 0);
		ck_assert_int_eq(t_term(fd, vcp.vcp_id), 0);
	}
	t_quiesce();
	rss0 = t_rss_pages();
	fds0 = t_count_fds();
	maps0 = t_count_maps();
	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(create_err(fd, &vcp), 0);
		ck_assert_int_eq(t_term(fd, vcp.vcp_id), 0);
	}
	t_quiesce();
	rss1 = t_rss_pages();
	fds1 = t_count_fds();
	maps1 = t_count_maps();
	ck_assert_int_eq(fds1, fds0);
#ifdef __SANITIZE_ADDRESS__
	/* ASan's allocator maps a few regions of its own over time. */
	ck_assert_msg(maps1 - maps0 < 16, "maps grew by %d", maps1 - maps0);
#else
	ck_assert_int_eq(maps1, maps0);
#endif
#ifndef __SANITIZE_ADDRESS__
	/* 10,000 leaked VMs would be thousands of pages; allow noise. */
	ck_assert_msg(rss1 - rss0 < 256, "RSS grew by %ld pages", rss1 - rss0);
#else
	/* ASan quarantines freed memory; LeakSanitizer checks leaks at exit. */
	(void)rss0;
	(void)rss1;
#endif
}
END_TEST

static Suite *
vmm_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc;

#define T(fn)	tcase_add_loop_test(tc, fn, 0, 2)
	tc = tcase_create("create");
	T(test_create_ids_start_at_1_and_increase);
	T(test_create_ids_are_never_reused);
	T(test_create_failed_create_consumes_no_id);
	T(test_create_rejects_zero_ranges);
	T(test_create_rejects_more_than_16_ranges);
	T(test_create_rejects_unaligned_gpa);
	T(test_create_rejects_unaligned_va);
	T(test_create_rejects_unaligned_size);
	T(test_create_rejects_zero_size);
	T(test_create_rejects_gpa_at_128g);
	T(test_create_rejects_range_ending_past_128g);
	T(test_create_accepts_range_ending_at_128g);
	T(test_create_rejects_va_below_user_space);
	T(test_create_rejects_va_above_user_space);
	T(test_create_rejects_va_range_reaching_user_limit);
	T(test_create_rejects_overlapping_ranges);
	T(test_create_rejects_descending_ranges);
	T(test_create_accepts_adjacent_ranges);
	T(test_create_accepts_any_range_type);
	T(test_create_rejects_mmio_only_vm);
	T(test_create_mmio_range_needs_no_memory);
	T(test_create_rejects_ncpus_other_than_1);
	T(test_create_unmapped_memory_is_enomem);
	T(test_create_partly_unmapped_memory_is_enomem);
	T(test_create_keeps_memory_contents_and_address);
	T(test_create_truncates_name_to_63_bytes);
	T(test_create_error_leaves_params_untouched);
	T(test_create_bad_argument_pointer_is_efault);
	T(test_create_caps_vcpus_at_512);
	T(test_create_vpid_exhaustion_is_enomem);
	T(test_vpid_allocator_skips_0_and_reuses_freed);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("info");
	T(test_info_too_small_buffer_returns_size_and_zero_count);
	T(test_info_with_no_vms_succeeds_empty);
	T(test_info_lists_newest_first);
	T(test_info_fills_every_field);
	T(test_info_keeps_vip_size_on_success);
	T(test_info_bad_buffer_is_efault);
	T(test_info_read_only_buffer_is_efault);
	suite_add_tcase(s, tc);

	tc = tcase_create("term");
	T(test_term_unknown_vm_is_enoent);
	T(test_term_removes_vm_from_lookups);
	T(test_term_waits_for_in_flight_operation);
	T(test_term_of_dying_vm_is_ebusy);
	T(test_term_keeps_caller_mappings);
	T(test_term_frees_the_vpid);
	suite_add_tcase(s, tc);

	tc = tcase_create("sharemem");
	T(test_sharemem_aliases_guest_memory_both_ways);
	T(test_sharemem_sees_contents_written_before_create);
	T(test_sharemem_skips_mmio_ranges);
	T(test_sharemem_rejects_count_mismatch);
	T(test_sharemem_rejects_type_gpa_or_size_mismatch);
	T(test_sharemem_rejects_unaligned_destination);
	T(test_sharemem_occupied_destination_is_enomem);
	T(test_sharemem_unknown_vm_is_enoent);
	T(test_sharemem_can_be_repeated);
	T(test_sharemem_survives_creator_unmapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("pledge");
	T(test_pledge_vmm_without_proc_cannot_create_info_sharemem);
	T(test_pledge_vmm_proc_may_create_info_sharemem);
	T(test_pledge_vmm_cannot_touch_another_pids_vm);
	T(test_pledge_vmm_may_touch_its_own_vm);
	T(test_pledge_vmm_proc_may_touch_any_vm);
	T(test_unpledged_process_may_touch_any_vm);
	T(test_pledge_without_vmm_refuses_every_ioctl);
	T(test_pledge_error_promise_turns_violation_into_enosys);
	T(test_pledge_violation_is_logged);
	T(test_pledge_can_only_be_reduced);
	T(test_pledged_vmm_may_run_per_vm_ioctls);
	suite_add_tcase(s, tc);

	tc = tcase_create("device");
	T(test_unknown_ioctl_is_enotty);
	T(test_ioctl_on_closed_or_foreign_descriptor);
	tcase_add_test(tc, test_open_vendor_selection);
	tcase_add_test(tc, test_vendors_have_separate_vm_lists);
	T(test_resetcpu_unknown_vm_or_vcpu_is_enoent);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	T(test_concurrent_create_terminate_from_threads);
	T(test_10000_create_terminate_cycles_do_not_grow);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
#undef T
	return (s);
}

int
main(void)
{
	return (t_run_suite(vmm_suite()));
}
