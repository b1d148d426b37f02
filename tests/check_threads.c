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
 * Determinism with several VMs on threads of one process: the guest of
 * tests/snapshot.sh (testdata/snap_rom.bin: PIT interrupts, RTC reads,
 * spinning and halting, SSE and x87 state) is set up as `vmmsim run
 * --bios` sets it up (guestmem, loader_bios, CREATE, RESETCPU, the
 * vmrun devices) and run alone once per vendor; then four VMs, two per
 * vendor, run at the same time on four threads of this process, round
 * after round.  Each must print exactly what the lone run printed and
 * end in the same state: registers, virtual time, the devices' hash and
 * every byte of memory (as --state-hash hashes them).
 *
 * VMMSIM_THREADS_ROUNDS (default 2) sets the rounds; check-long runs 50
 * (tests/guests/determinism.sh): 100 concurrent runs per vendor.
 */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmsim.h"
#include "devices/guestmem.h"
#include "devices/loader.h"
#include "devices/statehash.h"
#include "devices/vmrun.h"

#define ROM		BUILDDIR "/testdata/snap_rom.bin"
#define MEM		(16ULL << 20)
#define NVMS		4
#define OUT_MAX		4096
#define RTC_START	1767225600	/* vmmsim run's */

struct vm_job {
	int		 vendor;	/* VMMSIM_OPEN_* */
	char		 out[OUT_MAX];	/* COM1 */
	size_t		 n;
	int		 status;	/* the guest's debug exit */
	uint64_t	 vtime;
	uint64_t	 hash;
	char		 error[160];	/* empty if it ran */
};

static void
console(void *arg, uint8_t b)
{
	struct vm_job *j = arg;

	if (j->n < sizeof(j->out) - 1)
		j->out[j->n++] = (char)b;
}

/* --state-hash's hash: registers, virtual time, devices, memory. */
static int
state_hash(int fd, uint32_t vm_id, struct vmrun *r,
    const struct guestmem *gm, struct vm_job *j)
{
	struct vm_rwregs_params vrwp;
	struct statehash sh;
	const struct vm_mem_range *mr;
	size_t i;

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = vm_id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	if (vmmsim_ioctl(fd, VMM_IOC_READREGS, &vrwp) == -1 ||
	    vmmsim_vcpu_vtime(fd, vm_id, 0, &j->vtime) == -1)
		return (errno);
	statehash_init(&sh);
	statehash_bytes(&sh, &vrwp.vrwp_regs, sizeof(vrwp.vrwp_regs));
	statehash_u64(&sh, j->vtime);
	statehash_u64(&sh, vmrun_state_hash(r));
	for (i = 0; i < gm->nranges; i++) {
		mr = &gm->ranges[i];
		if (mr->vmr_type != VM_MEM_MMIO)
			statehash_bytes(&sh, (const void *)mr->vmr_va,
			    mr->vmr_size);
	}
	j->hash = statehash_final(&sh);
	return (0);
}

/*
 * One VM from power-on to its debug exit, on the calling thread.  Errors
 * go to j->error (Check's assertions belong to the test's own thread).
 */
static void *
vm_thread(void *arg)
{
	struct vm_job *j = arg;
	struct guestmem gm;
	struct loader_image img = { NULL, 0 };
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vm_terminate_params vtp;
	struct vmrun_params p;
	struct vmrun_result res;
	struct vmrun *r = NULL;
	char err[LOADER_ERRLEN];
	int fd = -1, created = 0, error;
	size_t i;

	j->n = 0;
	j->error[0] = '\0';
	memset(&gm, 0, sizeof(gm));
	if ((error = guestmem_alloc(&gm, MEM)) != 0) {
		snprintf(j->error, sizeof(j->error), "guestmem: %s",
		    strerror(error));
		return (NULL);
	}
	err[0] = '\0';
	memset(&vrs, 0, sizeof(vrs));
	memset(&vcp, 0, sizeof(vcp));
	if ((error = loader_read_file(ROM, 1 << 22, &img, err)) != 0 ||
	    (error = loader_bios(&gm, &img, &vrs.vrp_init_state, err)) != 0) {
		snprintf(j->error, sizeof(j->error), "load: %s", err);
		goto out;
	}
	if ((fd = vmmsim_open(j->vendor)) == -1) {
		snprintf(j->error, sizeof(j->error), "open: %s",
		    strerror(errno));
		goto out;
	}
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = gm.nranges;
	for (i = 0; i < gm.nranges; i++)
		vcp.vcp_memranges[i] = gm.ranges[i];
	snprintf(vcp.vcp_name, sizeof(vcp.vcp_name), "thread");
	if (vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp) == -1) {
		snprintf(j->error, sizeof(j->error), "CREATE: %s",
		    strerror(errno));
		goto out;
	}
	created = 1;
	vrs.vrp_vm_id = vcp.vcp_id;
	if (vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrs) == -1) {
		snprintf(j->error, sizeof(j->error), "RESETCPU: %s",
		    strerror(errno));
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.vm_id = vcp.vcp_id;
	p.ram_bytes = guestmem_ram_bytes(&gm);
	p.rtc_start = RTC_START;
	p.console = console;
	p.console_arg = j;
	p.mem = &gm;
	p.rnd_seed = VMRUN_DEFAULT_SEED;
	if ((r = vmrun_create(&p, &error)) == NULL) {
		snprintf(j->error, sizeof(j->error), "vmrun_create: %s",
		    strerror(error));
		goto out;
	}
	if ((error = vmrun_loop(r, &res)) != 0) {
		snprintf(j->error, sizeof(j->error), "vmrun_loop: %s (%s)",
		    strerror(error), vmrun_error(r));
		goto out;
	}
	j->status = res.status;
	if ((error = state_hash(fd, vcp.vcp_id, r, &gm, j)) != 0)
		snprintf(j->error, sizeof(j->error), "state: %s",
		    strerror(error));
out:
	j->out[j->n] = '\0';
	vmrun_destroy(r);
	if (created) {
		memset(&vtp, 0, sizeof(vtp));
		vtp.vtp_vm_id = vcp.vcp_id;
		(void)vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp);
	}
	if (fd != -1)
		vmmsim_close(fd);
	loader_free_image(&img);
	guestmem_free(&gm);
	return (NULL);
}

static int
rounds(void)
{
	const char *s = getenv("VMMSIM_THREADS_ROUNDS");
	int n = s != NULL ? atoi(s) : 2;

	return (n > 0 ? n : 2);
}

static struct vm_job ref[2];	/* alone: Intel, AMD */

static void
run_alone(void)
{
	ref[0].vendor = VMMSIM_OPEN_INTEL;
	ref[1].vendor = VMMSIM_OPEN_AMD;
	vm_thread(&ref[0]);
	vm_thread(&ref[1]);
}

START_TEST(test_lone_run_prints_and_exits)
{
	int v;

	run_alone();
	for (v = 0; v < 2; v++) {
		ck_assert_msg(ref[v].error[0] == '\0', "%s", ref[v].error);
		/* 400 ticks, a sum every 25: 16 of them; port 0xF4 with 0. */
		ck_assert_uint_ge(ref[v].n, 16 * 4);
		ck_assert_int_eq(ref[v].status, 1);
		ck_assert_uint_gt(ref[v].vtime, 0);
	}
	/* The same guest on either vendor prints the same. */
	ck_assert_str_eq(ref[0].out, ref[1].out);
}
END_TEST

START_TEST(test_concurrent_vms_match_a_lone_run)
{
	static struct vm_job jobs[NVMS];
	pthread_t th[NVMS];
	int n = rounds(), k, i, same[2] = { 0, 0 }, total[2] = { 0, 0 }, v;

	run_alone();
	for (v = 0; v < 2; v++)
		ck_assert_msg(ref[v].error[0] == '\0', "%s", ref[v].error);
	for (k = 0; k < n; k++) {
		for (i = 0; i < NVMS; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].vendor = i % 2 ? VMMSIM_OPEN_AMD :
			    VMMSIM_OPEN_INTEL;
			ck_assert_int_eq(pthread_create(&th[i], NULL,
			    vm_thread, &jobs[i]), 0);
		}
		for (i = 0; i < NVMS; i++)
			ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		for (i = 0; i < NVMS; i++) {
			v = i % 2;
			ck_assert_msg(jobs[i].error[0] == '\0', "round %d vm "
			    "%d: %s", k, i, jobs[i].error);
			total[v]++;
			if (strcmp(jobs[i].out, ref[v].out) == 0 &&
			    jobs[i].hash == ref[v].hash &&
			    jobs[i].vtime == ref[v].vtime &&
			    jobs[i].status == ref[v].status)
				same[v]++;
			else
				fprintf(stderr, "round %d vm %d (%s): hash "
				    "%016llx at %llu ns, alone %016llx at "
				    "%llu ns\n", k, i, v ? "amd" : "intel",
				    (unsigned long long)jobs[i].hash,
				    (unsigned long long)jobs[i].vtime,
				    (unsigned long long)ref[v].hash,
				    (unsigned long long)ref[v].vtime);
		}
	}
	printf("threads: intel: %d of %d concurrent runs identical to a "
	    "lone run; amd: %d of %d\n", same[0], total[0], same[1],
	    total[1]);
	fflush(stdout);
	ck_assert_int_eq(same[0], total[0]);
	ck_assert_int_eq(same[1], total[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("threads");
	SRunner *sr;
	int failed;

	/* A lone run is about 1.5 s of CPU; two cores may be shared. */
	tcase_set_timeout(tc, 120 + 30 * rounds());
	tcase_add_test(tc, test_lone_run_prints_and_exits);
	tcase_add_test(tc, test_concurrent_vms_match_a_lone_run);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
