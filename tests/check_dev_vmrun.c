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
 * The run loop end to end: a real-mode guest programs the PIT, takes its
 * interrupts through the PIC with the contract's injection protocol,
 * halts between them in virtual time, and prints on COM1.
 */

#include <sys/mman.h>

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/vmrun.h"

#define RAM	(1UL << 20)

struct out {
	char	buf[256];
	size_t	n;
};

static void
console(void *arg, uint8_t b)
{
	struct out *o = arg;

	if (o->n < sizeof(o->buf) - 1)
		o->buf[o->n++] = (char)b;
}

static const int vendors[] = { VMMSIM_OPEN_INTEL, VMMSIM_OPEN_AMD };
static struct vmrun_status last_status;	/* after a stop */

/* What a boot needs beyond the defaults (boot_with()'s cfg, or NULL). */
struct bootcfg {
	int	  at_seg;	/* run from 07C0:0000 (an org-0 image) */
	int	  console_input;
	void	(*console)(void *, uint8_t);	/* instead of console() */
	void	 *console_arg;			/* instead of o */
};

/*
 * Boot a guest at 0:7C00 (or 07C0:0000), from testdata/name or (name
 * NULL) from code, and run the loop; with side, a thread runs side(r)
 * meanwhile (and is joined), as the event loop of `vmmsim run` would.
 */
static void
boot_cfg(int vendor, const char *name, const uint8_t *code, size_t len,
    const struct bootcfg *cfg, void *(*side)(void *), struct out *o,
    struct vmrun_result *res)
{
	pthread_t th;
	struct vm_create_params vcp;
	struct vm_resetcpu_params vrs;
	struct vm_terminate_params vtp;
	struct vmrun_params p;
	struct vmrun *r;
	struct vcpu_reg_state *s;
	uint8_t *ram;
	char path[512];
	FILE *fp;
	int fd, i, error;

	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ram, MAP_FAILED);
	if (name != NULL) {
		snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, name);
		fp = fopen(path, "rb");
		ck_assert_ptr_nonnull(fp);
		ck_assert_uint_gt(fread(ram + 0x7C00, 1, 4096, fp), 0);
		fclose(fp);
	} else
		memcpy(ram + 0x7C00, code, len);

	fd = vmmsim_open(vendor);
	ck_assert_int_ge(fd, 0);
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 1;
	vcp.vcp_memranges[0].vmr_va = (vaddr_t)ram;
	vcp.vcp_memranges[0].vmr_size = RAM;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_CREATE, &vcp), 0);
	memset(&vrs, 0, sizeof(vrs));
	vrs.vrp_vm_id = vcp.vcp_id;
	s = &vrs.vrp_init_state;
	s->vrs_gprs[VCPU_REGS_RIP] = 0x7C00;
	s->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	s->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	s->vrs_crs[VCPU_REGS_XCR0] = 1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		s->vrs_sregs[i].vsi_limit = 0xFFFF;
		s->vrs_sregs[i].vsi_ar = 0x93;
	}
	s->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x9B;
	if (cfg != NULL && cfg->at_seg) {
		s->vrs_gprs[VCPU_REGS_RIP] = 0;
		s->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x7C0;
		s->vrs_sregs[VCPU_REGS_CS].vsi_base = 0x7C00;
	}
	s->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	s->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8B;
	s->vrs_gdtr.vsi_limit = 0xFFFF;
	s->vrs_idtr.vsi_limit = 0x3FF;
	s->vrs_drs[VCPU_REGS_DR7] = 0x400;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_RESETCPU, &vrs), 0);

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.vm_id = vcp.vcp_id;
	p.ram_bytes = RAM;
	p.rtc_start = 1767225600;		/* 2026-01-01T00:00:00Z */
	p.console = console;
	p.console_arg = o;
	if (cfg != NULL && cfg->console != NULL) {
		p.console = cfg->console;
		p.console_arg = cfg->console_arg;
	}
	p.console_input = cfg != NULL && cfg->console_input;
	r = vmrun_create(&p, &error);
	ck_assert_msg(r != NULL, "vmrun_create: %d", error);
	if (side != NULL)
		ck_assert_int_eq(pthread_create(&th, NULL, side, r), 0);
	error = vmrun_loop(r, res);
	if (side != NULL)
		ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(error == 0, "vmrun_loop: %s", strerror(error));
	if (res->stopped) {
		vmrun_status(r, &last_status);
		/* Stopped stays stopped: the next loop returns at once. */
		error = vmrun_loop(r, res);
		ck_assert_int_eq(error, 0);
		ck_assert_int_eq(res->stopped, 1);
		ck_assert_uint_eq(res->runs, 0);
	}
	vmrun_destroy(r);
	vtp.vtp_vm_id = vcp.vcp_id;
	ck_assert_int_eq(vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp), 0);
	vmmsim_close(fd);
	munmap(ram, RAM);
}

static void
boot_with(int vendor, const char *name, const uint8_t *code, size_t len,
    void *(*side)(void *), struct out *o, struct vmrun_result *res)
{
	boot_cfg(vendor, name, code, len, NULL, side, o, res);
}

static void
boot(int vendor, const char *name, struct out *o, struct vmrun_result *res)
{
	boot_with(vendor, name, NULL, 0, NULL, o, res);
}

static void *
stop_later(void *arg)
{
	usleep(100000);
	vmrun_stop(arg);
	return (NULL);
}

/* cli; jmp $: no exit ever comes back to the loop by itself. */
static const uint8_t spin_guest[] = { 0xFA, 0xEB, 0xFE };

START_TEST(test_stop_from_another_thread_ends_a_spinning_guest)
{
	struct out o;
	struct vmrun_result res;

	memset(&o, 0, sizeof(o));
	memset(&last_status, 0, sizeof(last_status));
	boot_with(vendors[_i], NULL, spin_guest, sizeof(spin_guest),
	    stop_later, &o, &res);
	ck_assert_int_eq(res.stopped, 1);
	ck_assert_int_eq(last_status.state, VMRUN_STATE_STOPPED);
	/* It spun: far more than the three instructions' worth of time. */
	ck_assert_uint_gt(last_status.vtime_ns, 1000);
	ck_assert_int_eq(res.status, 0);
}
END_TEST

static void *
type_later(void *arg)
{
	usleep(50000);
	ck_assert_uint_eq(vmrun_input(arg, (const uint8_t *)"A", 1), 1);
	return (NULL);
}

/*
 * mov dx, 0x3FD; poll: in al, dx; test al, 1; jz poll; mov dx, 0x3F8;
 * in al, dx; out dx, al; out 0xF4, al: wait for a byte, echo it, and
 * leave with it as the status.
 */
static const uint8_t poll_guest[] = { 0xBA, 0xFD, 0x03, 0xEC, 0xA8, 0x01,
    0x74, 0xFB, 0xBA, 0xF8, 0x03, 0xEC, 0xEE, 0xE6, 0xF4 };

START_TEST(test_input_from_another_thread_reaches_com1)
{
	struct out o;
	struct vmrun_result res;

	memset(&o, 0, sizeof(o));
	boot_with(vendors[_i], NULL, poll_guest, sizeof(poll_guest),
	    type_later, &o, &res);
	ck_assert_str_eq(o.buf, "A");
	ck_assert_int_eq(res.status, ('A' << 1) | 1);
	ck_assert_int_eq(res.stopped, 0);
}
END_TEST

START_TEST(test_pit_interrupts_through_pic_wake_a_halted_guest)
{
	struct out o;
	struct vmrun_result res;

	memset(&o, 0, sizeof(o));
	boot(vendors[_i], "pit_guest.bin", &o, &res);
	ck_assert_str_eq(o.buf, "10 PIT ticks\r\n");
	ck_assert_uint_ge(res.irqs, 10);
	/*
	 * Counter 0's OUT rises when mode 2 is written (the first tick, at
	 * once), then every 10 ms: ten ticks take 90 ms of guest time, nearly
	 * all of it halted (skipped, not waited for).  The guest's TSC ran
	 * on through the halts: it counted those 90 ms too (the exit status).
	 */
	ck_assert_int_eq(res.status, (90 << 1) | 1);
	ck_assert_uint_ge(res.vtime_ns, 90000000ULL);
	ck_assert_uint_lt(res.vtime_ns, 91000000ULL);
	ck_assert_uint_gt(res.idle_ns, 89000000ULL);
	ck_assert_uint_lt(res.vtime_ns - res.idle_ns, 1000000ULL);
}
END_TEST

/*
 * A typist who presses the next key as soon as the guest has echoed the
 * last one, so that keys land while the vcpu is between the guest's HLT
 * exit and the wait that follows it.
 */
#define TYPED	200

struct typist {
	struct out	 o;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct vmrun	*r;
	int		 lost;		/* a key whose echo never came */
};

static void
typist_console(void *arg, uint8_t b)
{
	struct typist *t = arg;

	pthread_mutex_lock(&t->mu);
	console(&t->o, b);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Wait (10 s at most) until the guest has printed n bytes. */
static int
typist_wait(struct typist *t, size_t n)
{
	struct timespec dl;
	int error = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&t->mu);
	while (t->o.n < n && error == 0)
		error = pthread_cond_timedwait(&t->cv, &t->mu, &dl);
	pthread_mutex_unlock(&t->mu);
	return (t->o.n >= n ? 0 : -1);
}

static struct typist typist;

/* The side thread of the boot: arg is the run. */
static void *
typist_run(void *arg)
{
	struct typist *t = &typist;
	uint8_t key;
	size_t i, seen = 6;		/* "ready\n" */

	t->r = arg;
	if (typist_wait(t, seen) == 0)
		for (i = 0; i < TYPED; i++) {
			key = (uint8_t)('0' + i % 10);
			if (vmrun_input(t->r, &key, 1) != 1 ||
			    typist_wait(t, ++seen) != 0) {
				t->lost = 1;
				break;
			}
		}
	key = 'q';
	(void)vmrun_input(t->r, &key, 1);
	vmrun_input_close(t->r);
	return (NULL);
}

/*
 * Console input that arrives after a HLT exit has looked for input and
 * before the halt starts waiting is input all the same: the halt ends
 * for it instead of sleeping through the skip to the next timer (the
 * RTC's next update, up to a second of guest time away), and (with no
 * timer) instead of waiting for yet more input.  testdata/echo_rom.bin
 * echoes each key from its COM1 interrupt handler and halts; 200 keys,
 * each typed the moment the last echo is out, take a few milliseconds
 * of guest time, far from a second.
 */
START_TEST(test_input_typed_while_halting_is_not_slept_through)
{
	struct typist *t = &typist;
	struct bootcfg cfg;
	struct vmrun_result res;
	char want[TYPED + 16];
	size_t i;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.at_seg = 1;
	cfg.console_input = 1;
	cfg.console = typist_console;
	cfg.console_arg = t;
	boot_cfg(vendors[_i], "echo_rom.bin", NULL, 0, &cfg, typist_run,
	    &t->o, &res);
	ck_assert_int_eq(t->lost, 0);
	snprintf(want, sizeof(want), "ready\n");
	for (i = 0; i < TYPED; i++)
		want[6 + i] = (char)('0' + i % 10);
	snprintf(want + 6 + TYPED, sizeof(want) - 6 - TYPED, "q");
	ck_assert_str_eq(t->o.buf, want);
	ck_assert_int_eq(res.status, 7);
	ck_assert_msg(res.vtime_ns < 1000000000ULL, "guest time %llu ns: a "
	    "halt slept through input", (unsigned long long)res.vtime_ns);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}
END_TEST

/* The same guest and inputs: the same run, to the nanosecond. */
START_TEST(test_run_loop_is_deterministic)
{
	struct out o1, o2;
	struct vmrun_result r1, r2;

	memset(&o1, 0, sizeof(o1));
	memset(&o2, 0, sizeof(o2));
	boot(vendors[_i], "pit_guest.bin", &o1, &r1);
	boot(vendors[_i], "pit_guest.bin", &o2, &r2);
	ck_assert_str_eq(o1.buf, o2.buf);
	ck_assert_uint_eq(r1.vtime_ns, r2.vtime_ns);
	ck_assert_uint_eq(r1.idle_ns, r2.idle_ns);
	ck_assert_uint_eq(r1.runs, r2.runs);
	ck_assert_uint_eq(r1.irqs, r2.irqs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vmrun");
	TCase *tc = tcase_create("run_loop");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	/* Each test once per vendor (_i: 0 Intel, 1 AMD). */
	tcase_add_loop_test(tc,
	    test_pit_interrupts_through_pic_wake_a_halted_guest, 0, 2);
	tcase_add_loop_test(tc, test_run_loop_is_deterministic, 0, 2);
	tcase_add_loop_test(tc,
	    test_stop_from_another_thread_ends_a_spinning_guest, 0, 2);
	tcase_add_loop_test(tc, test_input_from_another_thread_reaches_com1,
	    0, 2);
	tcase_add_loop_test(tc,
	    test_input_typed_while_halting_is_not_slept_through, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
