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
 * fuzz_ioctl: random sequences of /dev/vmm ioctls with random arguments
 * against the in-process device (vmmsim_open/vmmsim_ioctl), on both
 * vendors, from several "processes" (handles with other pids and pledges).
 *
 * Pointers in arguments are never raw fuzzer bytes: a write through a
 * random pointer that happens to be mapped would corrupt this process, as
 * it would corrupt a real caller, and tell us nothing about vmm.  They are
 * drawn from addresses whose outcome is known: a good buffer, NULL, an
 * unmapped page, a read-only page, a buffer that runs into a PROT_NONE
 * page, a kernel address.  Guest memory comes from a fixed arena that is
 * remapped for every input, so what CREATE shared into a memfd does not
 * leak into the next input.
 *
 * Every RUN is bounded with vmmsim_vcpu_stop_at(), so a guest spinning
 * without exits comes back after a thousand instructions.  After each
 * input every VM it created is terminated, and the device must list none.
 */

#include "config.h"

#include <sys/mman.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/loader.h"

#include "fuzz.h"

#define PG		4096UL
/* An address range nothing else in the process uses (see testutil.h). */
#define ARENA		0x320000000000UL
#define MEM_PAGES	48		/* guest memory pool, RW */
#define SHARE_PAGES	48		/* where SHAREMEM may map, left free */
#define ARG_PAGE	(MEM_PAGES + SHARE_PAGES)	/* RW: arguments */
#define GUARD_PAGE	(ARG_PAGE + 2)	/* PROT_NONE after two arg pages */
#define RO_PAGE		(GUARD_PAGE + 1)	/* read-only */
#define HOLE_PAGE	(RO_PAGE + 1)	/* never mapped */
#define ARENA_PAGES	(HOLE_PAGE + 1)
/* The last page of the arena's 2 MB: see arena_reset(). */
#define ANCHOR		(ARENA + 0x200000UL - PG)

#define MAX_OPS		64
#define MAX_VMS		8
#define NHANDLES	4
/*
 * Guest instructions per RUN, fuzz_guest's host tick: what runs between
 * exits is fuzz_guest's to explore; here a longer run was Unicorn
 * translating zero sleds (ROBUSTNESS.md, thirteenth session).
 */
#define RUN_BUDGET_NS	1000

struct vmrec {
	int		 mode;		/* VMMSIM_OPEN_INTEL or _AMD */
	pid_t		 pid;
	uint32_t	 id;
	struct vm_create_params vcp;
};

struct state {
	struct fz	 f;
	int		 fd[NHANDLES];
	int		 flags[NHANDLES];
	pid_t		 pid[NHANDLES];
	size_t		 nvms;
	struct vmrec	 vms[MAX_VMS];
	size_t		 mem_next;	/* next free page of the pool */
	size_t		 share_next;
};

static char *const arena = (char *)ARENA;

/*
 * Whether the input tried a command that can map guest memory (CREATE,
 * SHAREMEM; compared by group and number, whatever the size bits say):
 * only then is /proc/self/maps read after it, about a tenth of an
 * input's time.
 */
static int maps_touched;

static int
fz_ioctl(int fd, unsigned long cmd, void *arg)
{
	if ((cmd & 0xFFFF) == (VMM_IOC_CREATE & 0xFFFF) ||
	    (cmd & 0xFFFF) == (VMM_IOC_SHAREMEM & 0xFFFF))
		maps_touched = 1;
	return (vmmsim_ioctl(fd, cmd, arg));
}

static void
arena_reset(void)
{
	static int anchored;

	/*
	 * A PROT_NONE page, never touched, that shares the arena's last-level
	 * page table: with nothing else mapped in that 512 GB slot, replacing
	 * the arena freed its page tables and the next input's first touches
	 * built them again, a fifth of an input's time.  No argument points
	 * there and no range the inputs give reaches it.
	 */
	if (!anchored) {
		if (mmap((void *)ANCHOR, PG, PROT_NONE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
		    (void *)ANCHOR)
			abort();
		anchored = 1;
	}
	/* MAP_FIXED replaces whatever CREATE and SHAREMEM left there. */
	if (mmap(arena, ARENA_PAGES * PG, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != arena)
		abort();
	munmap(arena + MEM_PAGES * PG, SHARE_PAGES * PG);
	mprotect(arena + GUARD_PAGE * PG, PG, PROT_NONE);
	mprotect(arena + RO_PAGE * PG, PG, PROT_READ);
	munmap(arena + HOLE_PAGE * PG, PG);
}

/*
 * Where an argument of `size` bytes goes.  The good case (the first) is
 * the most likely; the bad ones are the addresses copyin/copyout must turn
 * into EFAULT without touching anything.
 */
static void *
arg_ptr(struct fz *f, size_t size)
{
	char *args = arena + ARG_PAGE * PG;

	switch (fz_pick(f, 16)) {
	case 0:
		return (NULL);
	case 1:
		return (arena + HOLE_PAGE * PG);
	case 2:
		return (arena + RO_PAGE * PG);
	case 3:
		/* The last bytes before the guard page. */
		return (arena + GUARD_PAGE * PG - (size > 1 ? size / 2 : 1));
	case 4:
		return ((void *)0xFFFF800000001000UL);
	case 5:
		return ((void *)0x7FFFFFFFF000UL);
	case 6:
		return (args + 1);	/* misaligned, but whole */
	default:
		return (args);
	}
}

static int
pick_handle(struct state *s)
{
	return (s->fd[fz_pick(&s->f, NHANDLES)]);
}

static int
handle_index(struct state *s, int fd)
{
	int i;

	for (i = 0; i < NHANDLES; i++)
		if (s->fd[i] == fd)
			return (i);
	return (0);
}

/* A VM id: mostly one this input created, sometimes any number. */
static uint32_t
pick_vm(struct state *s)
{
	uint8_t c = fz_u8(&s->f);

	if (s->nvms > 0 && c < 200)
		return (s->vms[c % s->nvms].id);
	if (c < 240)
		return (c % 16);
	return (fz_u32(&s->f));
}

static uint32_t
pick_vcpu(struct state *s)
{
	uint8_t c = fz_u8(&s->f);

	return (c < 224 ? 0 : c < 250 ? c % 4 : fz_u32(&s->f));
}

/*
 * A guest-memory address CREATE must refuse.  Not any number: CREATE
 * rightly takes over whatever the caller has mapped at vmr_va (ASan's
 * shadow, the heap), so only addresses known to be unusable are drawn.
 */
static uint64_t
bad_va(struct fz *f)
{
	static const uint64_t vas[] = {
		0, PG, 0x7FFFFFFFF000UL, 0x7FFFFFFFFFFFUL,
		0xFFFF800000000000UL, 0xFFFFFFFFFFFFF000UL,
		ARENA + HOLE_PAGE * PG, ARENA + HOLE_PAGE * PG + 8,
		ARENA + (MEM_PAGES - 1) * PG,	/* runs into the free part */
		ARENA + GUARD_PAGE * PG, ARENA + RO_PAGE * PG
	};

	return (vas[fz_pick(f, sizeof(vas) / sizeof(vas[0]))]);
}

static void
op_create(struct state *s, int fd)
{
	static const uint64_t gpas[] = {
		0, 0xA0000, 0xF0000, 0x100000, 0xF0000000, 0xFFFF0000,
		0x100000000ULL, 0x1FFFFF000ULL
	};
	struct vm_create_params c, *vcp = &c;
	struct vm_mem_range *r;
	struct fz *f = &s->f;
	char *args = arena + ARG_PAGE * PG;
	uint64_t gpa = 0;
	size_t i, n, npg;
	void *p;
	int k = handle_index(s, fd);

	p = arg_ptr(f, sizeof(*vcp));
	if (p != args && p != args + 1) {
		(void)fz_ioctl(fd, VMM_IOC_CREATE, p);
		return;
	}
	memset(vcp, 0, sizeof(*vcp));
	vcp->vcp_ncpus = fz_pick(f, 16) == 0 ? fz_u8(f) : 1;
	n = fz_pick(f, 4) + 1;
	if (fz_pick(f, 32) == 0)
		n = fz_pick(f, VMM_MAX_MEM_RANGES + 2);
	vcp->vcp_nmemranges = n;
	for (i = 0; i < n && i < VMM_MAX_MEM_RANGES; i++) {
		r = &vcp->vcp_memranges[i];
		switch (fz_pick(f, 4)) {
		case 0:
			gpa = gpas[fz_pick(f, sizeof(gpas) / sizeof(gpas[0]))];
			break;
		case 1:
			gpa = fz_edge64(f);
			break;
		default:
			break;		/* right after the previous range */
		}
		npg = fz_pick(f, 8) + 1;
		r->vmr_gpa = gpa;
		r->vmr_size = npg * PG;
		r->vmr_type = fz_pick(f, 8) == 0 ? (int)fz_u32(f) :
		    (int)fz_pick(f, 3);
		if (fz_pick(f, 16) == 0) {
			r->vmr_va = bad_va(f);
		} else {
			if (s->mem_next + npg > MEM_PAGES)
				s->mem_next = 0;
			r->vmr_va = (uint64_t)(arena + s->mem_next * PG);
			/* The guest's code and data: fuzzer bytes. */
			fz_bytes(f, arena + s->mem_next * PG,
			    fz_pick(f, 4) == 0 ? 64 : 0);
			s->mem_next += npg;
		}
		if (fz_pick(f, 32) == 0)
			r->vmr_size += fz_edge64(f);
		gpa += r->vmr_size;
	}
	fz_bytes(f, vcp->vcp_name, fz_pick(f, 2) ? 8 : sizeof(vcp->vcp_name));
	/* The argument may be misaligned: vmm copies it in, we copy it. */
	memcpy(p, vcp, sizeof(*vcp));
	if (fz_ioctl(fd, VMM_IOC_CREATE, p) == -1)
		return;
	memcpy(vcp, p, sizeof(*vcp));
	if (s->nvms == MAX_VMS) {
		struct vm_terminate_params vtp = { .vtp_vm_id = vcp->vcp_id };

		if (fz_ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
			abort();
		return;
	}
	s->vms[s->nvms].mode = s->flags[k] & ~VMMSIM_OPEN_REDELIVER;
	s->vms[s->nvms].pid = s->pid[k];
	s->vms[s->nvms].id = vcp->vcp_id;
	s->vms[s->nvms].vcp = *vcp;
	s->nvms++;
}

/* Where RUN must come back: RUN_BUDGET_NS instructions from now. */
static void
bound_run(int fd, uint32_t vm, uint32_t vcpu)
{
	uint64_t now;

	if (vmmsim_vcpu_vtime(fd, vm, vcpu, &now) == 0)
		(void)vmmsim_vcpu_stop_at(fd, vm, vcpu, now + RUN_BUDGET_NS);
}

static void
op_run(struct state *s, int fd)
{
	struct vm_run_params *vrp;
	struct vm_exit *ve;
	struct fz *f = &s->f;
	char *args = arena + ARG_PAGE * PG;

	vrp = (struct vm_run_params *)args;
	memset(vrp, 0, sizeof(*vrp));
	vrp->vrp_vm_id = pick_vm(s);
	vrp->vrp_vcpu_id = pick_vcpu(s);
	if (fz_pick(f, 4) == 0) {
		vrp->vrp_inject.vie_vector = fz_u8(f);
		vrp->vrp_inject.vie_errorcode = fz_u32(f);
		vrp->vrp_inject.vie_type = fz_pick(f, 5);
	}
	vrp->vrp_intr_pending = fz_u8(f) & 1;
	ve = (struct vm_exit *)(args + 1024);
	vrp->vrp_exit = ve;
	switch (fz_pick(f, 12)) {
	case 0:
		vrp->vrp_exit = arg_ptr(f, sizeof(*ve));
		break;
	case 1:
		fz_bytes(f, ve, sizeof(*ve));
		break;
	default:
		memset(ve, 0, sizeof(*ve));
		break;
	}
	bound_run(fd, vrp->vrp_vm_id, vrp->vrp_vcpu_id);
	(void)fz_ioctl(fd, VMM_IOC_RUN, fz_pick(f, 16) == 0 ?
	    arg_ptr(f, sizeof(*vrp)) : vrp);
}

static void
op_info(struct state *s, int fd)
{
	struct vm_info_params *vip;
	struct fz *f = &s->f;
	char *args = arena + ARG_PAGE * PG;
	size_t room = 2 * PG - 1024;

	vip = (struct vm_info_params *)args;
	memset(vip, 0, sizeof(*vip));
	switch (fz_pick(f, 4)) {
	case 0:
		vip->vip_size = fz_edge64(f);
		break;
	case 1:
		vip->vip_size = fz_pick(f, 4) * sizeof(struct vm_info_result);
		break;
	default:
		vip->vip_size = room - room % sizeof(struct vm_info_result);
		break;
	}
	vip->vip_info = fz_pick(f, 4) == 0 ?
	    arg_ptr(f, sizeof(struct vm_info_result)) :
	    (struct vm_info_result *)(args + 1024);
	(void)fz_ioctl(fd, VMM_IOC_INFO, fz_pick(f, 16) == 0 ?
	    arg_ptr(f, sizeof(*vip)) : vip);
}

/* A register state: a loader's start state, then a few bytes changed. */
static void
fill_regs(struct fz *f, struct vcpu_reg_state *vrs)
{
	unsigned int i, n, off;

	switch (fz_pick(f, 5)) {
	case 0:
		loader_regs_flat16(vrs);
		break;
	case 1:
		loader_regs_flat32(vrs, fz_u32(f) & 0xFFFFF);
		break;
	case 2:
		loader_regs_flat64(vrs, fz_u32(f) & 0xFFFFF, 0x1000);
		break;
	case 3:
		fz_bytes(f, vrs, sizeof(*vrs));
		return;
	default:
		return;		/* whatever the buffer holds */
	}
	n = fz_pick(f, 4);
	for (i = 0; i < n; i++) {
		uint64_t v = fz_edge64(f);
		size_t len = fz_pick(f, 8) + 1;

		off = fz_u16(f) % sizeof(*vrs);
		if (len > sizeof(*vrs) - off)
			len = sizeof(*vrs) - off;
		memcpy((char *)vrs + off, &v, len);
	}
}

static void
op_resetcpu(struct state *s, int fd)
{
	struct vm_resetcpu_params *vrp;
	struct fz *f = &s->f;

	vrp = (struct vm_resetcpu_params *)(arena + ARG_PAGE * PG);
	vrp->vrp_vm_id = pick_vm(s);
	vrp->vrp_vcpu_id = pick_vcpu(s);
	fill_regs(f, &vrp->vrp_init_state);
	(void)fz_ioctl(fd, VMM_IOC_RESETCPU, fz_pick(f, 16) == 0 ?
	    arg_ptr(f, sizeof(*vrp)) : vrp);
}

static void
op_rwregs(struct state *s, int fd, int write)
{
	struct vm_rwregs_params *vrwp;
	struct fz *f = &s->f;

	vrwp = (struct vm_rwregs_params *)(arena + ARG_PAGE * PG);
	vrwp->vrwp_vm_id = pick_vm(s);
	vrwp->vrwp_vcpu_id = pick_vcpu(s);
	vrwp->vrwp_mask = fz_pick(f, 8) == 0 ? fz_edge64(f) :
	    fz_u8(f) & VM_RWREGS_ALL;
	if (write)
		fill_regs(f, &vrwp->vrwp_regs);
	(void)fz_ioctl(fd, write ? VMM_IOC_WRITEREGS : VMM_IOC_READREGS,
	    fz_pick(f, 16) == 0 ? arg_ptr(f, sizeof(*vrwp)) : vrwp);
}

static void
op_vmparams(struct state *s, int fd, int write)
{
	struct vm_rwvmparams_params *vpp;
	struct fz *f = &s->f;

	vpp = (struct vm_rwvmparams_params *)(arena + ARG_PAGE * PG);
	memset(vpp, 0, sizeof(*vpp));
	vpp->vpp_vm_id = pick_vm(s);
	vpp->vpp_vcpu_id = pick_vcpu(s);
	vpp->vpp_mask = fz_pick(f, 8) == 0 ? fz_u32(f) : fz_pick(f, 4);
	vpp->vpp_pvclock_system_gpa = fz_edge64(f);
	vpp->vpp_pvclock_version = fz_u32(f);
	(void)fz_ioctl(fd, write ? VMM_IOC_WRITEVMPARAMS :
	    VMM_IOC_READVMPARAMS, fz_pick(f, 16) == 0 ?
	    arg_ptr(f, sizeof(*vpp)) : vpp);
}

static void
op_sharemem(struct state *s, int fd)
{
	struct vm_sharemem_params *vsp, done;
	struct fz *f = &s->f;
	size_t i, npg;
	void *p;

	vsp = (struct vm_sharemem_params *)(arena + ARG_PAGE * PG);
	memset(vsp, 0, sizeof(*vsp));
	if (s->nvms > 0 && fz_pick(f, 4) != 0) {
		const struct vmrec *v = &s->vms[fz_pick(f, (unsigned)s->nvms)];

		vsp->vsp_vm_id = v->id;
		vsp->vsp_nmemranges = v->vcp.vcp_nmemranges;
		memcpy(vsp->vsp_memranges, v->vcp.vcp_memranges,
		    sizeof(vsp->vsp_memranges));
	} else {
		vsp->vsp_vm_id = pick_vm(s);
		vsp->vsp_nmemranges = fz_pick(f, VMM_MAX_MEM_RANGES + 2);
		fz_bytes(f, vsp->vsp_memranges, fz_pick(f, 2) ?
		    sizeof(vsp->vsp_memranges) : 0);
	}
	/* Destinations in the free part of the arena (or a bad one). */
	for (i = 0; i < vsp->vsp_nmemranges && i < VMM_MAX_MEM_RANGES; i++) {
		struct vm_mem_range *r = &vsp->vsp_memranges[i];

		npg = r->vmr_size / PG;
		if (fz_pick(f, 8) == 0) {
			r->vmr_va = fz_pick(f, 2) ? fz_edge64(f) :
			    (uint64_t)arena;	/* occupied: ENOMEM */
			continue;
		}
		if (npg > SHARE_PAGES || s->share_next + npg > SHARE_PAGES)
			s->share_next = 0;
		r->vmr_va = (uint64_t)(arena + (MEM_PAGES + s->share_next) *
		    PG);
		if (npg <= SHARE_PAGES)
			s->share_next += npg;
		if (fz_pick(f, 16) == 0)
			r->vmr_size = fz_edge64(f);
	}
	p = fz_pick(f, 16) == 0 ? arg_ptr(f, sizeof(*vsp)) : vsp;
	if (fz_ioctl(fd, VMM_IOC_SHAREMEM, p) == -1)
		return;
	/*
	 * Shared memory stays in the caller after TERM, as uvm_share's does:
	 * what went outside the arena (which is remapped anyway) is unmapped
	 * here, so a mapping left after the input means a leak in vmm.  The
	 * ranges are the ones vmm read (the argument may be misaligned), and
	 * MMIO ranges, which vmm does not map, are left alone: unmapping one
	 * punched a hole in whatever was there (ASan's shadow gap at
	 * 0x100000000), and a later SHAREMEM there left a mapping behind.
	 */
	memcpy(&done, p, sizeof(done));
	for (i = 0; i < done.vsp_nmemranges && i < VMM_MAX_MEM_RANGES; i++) {
		struct vm_mem_range *r = &done.vsp_memranges[i];

		if (r->vmr_type != VM_MEM_MMIO &&
		    (r->vmr_va < ARENA || r->vmr_va >= ARENA + ARENA_PAGES * PG))
			munmap((void *)r->vmr_va, r->vmr_size);
	}
}

static void
op_intr(struct state *s, int fd)
{
	struct vm_intr_params *vip;
	struct fz *f = &s->f;

	vip = (struct vm_intr_params *)(arena + ARG_PAGE * PG);
	vip->vip_vm_id = pick_vm(s);
	vip->vip_vcpu_id = pick_vcpu(s);
	vip->vip_intr = fz_u16(f);
	(void)fz_ioctl(fd, VMM_IOC_INTR, fz_pick(f, 16) == 0 ?
	    arg_ptr(f, sizeof(*vip)) : vip);
}

static void
op_term(struct state *s, int fd)
{
	struct vm_terminate_params *vtp;

	vtp = (struct vm_terminate_params *)(arena + ARG_PAGE * PG);
	vtp->vtp_vm_id = pick_vm(s);
	(void)fz_ioctl(fd, VMM_IOC_TERM, fz_pick(&s->f, 16) == 0 ?
	    arg_ptr(&s->f, sizeof(*vtp)) : vtp);
}

/* An unknown command, or a known one with its size or direction changed. */
static void
op_badcmd(struct state *s, int fd)
{
	static const unsigned long cmds[] = {
		VMM_IOC_CREATE, VMM_IOC_RUN, VMM_IOC_INFO, VMM_IOC_TERM,
		VMM_IOC_RESETCPU, VMM_IOC_INTR, VMM_IOC_READREGS,
		VMM_IOC_WRITEREGS, VMM_IOC_READVMPARAMS,
		VMM_IOC_WRITEVMPARAMS, VMM_IOC_SHAREMEM
	};
	struct fz *f = &s->f;
	unsigned long cmd;
	char *args = arena + ARG_PAGE * PG;

	cmd = cmds[fz_pick(f, sizeof(cmds) / sizeof(cmds[0]))];
	switch (fz_pick(f, 4)) {
	case 0:
		cmd = fz_u32(f);
		break;
	case 1:
		cmd ^= (unsigned long)fz_u16(f) << 16;	/* size, direction */
		break;
	case 2:
		cmd = fz_u64(f);
		break;
	default:
		break;
	}
	fz_bytes(f, args, fz_pick(f, 2) ? 2 * PG : 64);
	(void)fz_ioctl(fd, cmd, fz_pick(f, 8) == 0 ?
	    arg_ptr(f, 64) : args);
}

static void
op_handle(struct state *s)
{
	static const char *promises[] = {
		"stdio vmm", "stdio vmm proc", "stdio", "vmm error", "",
		"bogus", "vmm vmm vmm"
	};
	struct fz *f = &s->f;
	int k = fz_pick(f, NHANDLES);
	uint64_t ns;

	switch (fz_pick(f, 4)) {
	case 0:
		(void)vmmsim_pledge(s->fd[k],
		    promises[fz_pick(f, sizeof(promises) / sizeof(promises[0]))]);
		break;
	case 1:
		/* Close and reopen: VMs outlive the descriptor. */
		(void)vmmsim_close(s->fd[k]);
		s->fd[k] = vmmsim_open_as(s->pid[k], NULL, s->flags[k]);
		if (s->fd[k] == -1)
			abort();
		break;
	case 2:
		(void)vmmsim_vcpu_stop_at(s->fd[k], pick_vm(s), pick_vcpu(s),
		    fz_edge64(f));
		break;
	default:
		(void)vmmsim_vcpu_vtime(s->fd[k], pick_vm(s), pick_vcpu(s),
		    &ns);
		break;
	}
}

/* Open descriptors of the process: flat across inputs. */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return (n);
}

/*
 * Mappings of guest memory (memfds named by vmm_mem.c), shown if asked.
 * The whole file in one read(2) where it fits (a few hundred lines): each
 * read of /proc/self/maps walks the mappings again, and stdio's would
 * have read it a page at a time.
 */
static int
count_guest_maps(int show)
{
	static char *buf;
	static size_t bufsz = 64 * 1024;
	const char *p, *nl;
	size_t len = 0;
	ssize_t r;
	int fd, n = 0;

	if (buf == NULL && (buf = malloc(bufsz)) == NULL)
		abort();
	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	for (;;) {
		if (len == bufsz && (buf = realloc(buf, bufsz *= 2)) == NULL)
			abort();
		if ((r = read(fd, buf + len, bufsz - len)) == -1)
			abort();
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	for (p = buf; p < buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			nl = buf + len;
		if (memmem(p, (size_t)(nl - p), "memfd:vmmsim-guest",
		    sizeof("memfd:vmmsim-guest") - 1) != NULL) {
			n++;
			if (show)
				fprintf(stderr, "left: %.*s\n", (int)(nl - p),
				    p);
		}
	}
	return (n);
}

/*
 * Terminates what the input created (from a fresh handle of its creator,
 * since the input may have closed or pledged the one it used) and checks
 * that the device is empty again: a VM left behind is a leak.
 */
static void
cleanup(struct state *s)
{
	struct vm_terminate_params vtp;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	size_t i;
	int fd, k;

	for (i = 0; i < s->nvms; i++) {
		fd = vmmsim_open_as(s->vms[i].pid, NULL, s->vms[i].mode);
		if (fd == -1)
			abort();
		vtp.vtp_vm_id = s->vms[i].id;
		if (vmmsim_ioctl(fd, VMM_IOC_TERM, &vtp) == -1 &&
		    errno != ENOENT) {
			fprintf(stderr, "fuzz_ioctl: TERM %u: %s\n",
			    vtp.vtp_vm_id, strerror(errno));
			abort();
		}
		vmmsim_close(fd);
	}
	for (k = 0; k < NHANDLES; k++)
		vmmsim_close(s->fd[k]);

	if ((vir = calloc(MAX_VMS + 1, sizeof(*vir))) == NULL)
		abort();
	for (k = 0; k < 4; k++) {
		fd = vmmsim_open_as(getpid() + (k >> 1), NULL,
		    (k & 1) ? VMMSIM_OPEN_AMD : VMMSIM_OPEN_INTEL);
		vip.vip_size = (MAX_VMS + 1) * sizeof(*vir);
		vip.vip_info = vir;
		vip.vip_info_ct = 0;
		if (vmmsim_ioctl(fd, VMM_IOC_INFO, &vip) == -1 ||
		    vip.vip_info_ct != 0) {
			fprintf(stderr, "fuzz_ioctl: %zu VMs left behind\n",
			    vip.vip_info_ct);
			abort();
		}
		vmmsim_close(fd);
	}
	free(vir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int once;
	struct state s;
	int i, fd, nfds;

	if (!once) {
		vmmsim_set_log(NULL);
		once = 1;
	}
	memset(&s, 0, sizeof(s));
	maps_touched = 0;
	fz_init(&s.f, data, len);
	arena_reset();
	nfds = count_fds();

	/* Two vendors, a second "process", and a pledged one. */
	s.flags[0] = s.flags[3] = VMMSIM_OPEN_INTEL;
	s.flags[1] = s.flags[2] = VMMSIM_OPEN_AMD;
	if (fz_u8(&s.f) & 1)
		s.flags[0] |= VMMSIM_OPEN_REDELIVER;
	for (i = 0; i < NHANDLES; i++) {
		s.pid[i] = getpid() + (i == 2);
		s.fd[i] = vmmsim_open_as(s.pid[i], i == 3 ? "stdio vmm" :
		    NULL, s.flags[i]);
		if (s.fd[i] == -1)
			abort();
	}

	for (i = 0; i < MAX_OPS && !fz_empty(&s.f); i++) {
		fd = pick_handle(&s);
		switch (fz_pick(&s.f, 16)) {
		case 0:
		case 1:
			op_create(&s, fd);
			break;
		case 2:
		case 3:
		case 4:
			op_run(&s, fd);
			break;
		case 5:
			op_term(&s, fd);
			break;
		case 6:
			op_info(&s, fd);
			break;
		case 7:
			op_resetcpu(&s, fd);
			break;
		case 8:
			op_rwregs(&s, fd, 0);
			break;
		case 9:
			op_rwregs(&s, fd, 1);
			break;
		case 10:
			op_vmparams(&s, fd, fz_u8(&s.f) & 1);
			break;
		case 11:
			op_sharemem(&s, fd);
			break;
		case 12:
			op_intr(&s, fd);
			break;
		case 13:
			op_badcmd(&s, fd);
			break;
		default:
			op_handle(&s);
			break;
		}
	}
	cleanup(&s);
	arena_reset();
	/* A memfd or a guest-memory alias that outlives its VM is a leak. */
	if (count_fds() != nfds ||
	    (maps_touched && count_guest_maps(0) != 0)) {
		fprintf(stderr, "fuzz_ioctl: descriptors %d -> %d, %d guest "
		    "memory mappings left\n", nfds, count_fds(),
		    count_guest_maps(1));
		abort();
	}
	return (0);
}
