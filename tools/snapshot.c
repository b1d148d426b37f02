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
 * Snapshots of a whole VM (docs/snapshot-format.md): `vmmsim run
 * --snapshot-at TIME:FILE` writes one, `vmmsim run --restore FILE` starts
 * from one.  The registers, MSRs and the paravirtual clock go through the
 * contract (READREGS/WRITEREGS with VM_RWREGS_ALL, READ/WRITEVMPARAMS) as
 * vmd's vmctl send/receive does; the rest of the vcpu through
 * vmmsim_vcpu_snap_save/_restore, the devices through vmrun_snap(), and
 * guest memory page by page (pages of zeros are left out).
 *
 * A restore runs the same command line as the run that saved (kernel,
 * initrd, memory, disks, vendor): the VM is built as usual, then
 * overwritten with the snapshot.  What must agree is checked first:
 * version, vendor, memory layout, each image's size and hash, and each
 * disk's hash as it was when the snapshot was taken.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/snapbuf.h"
#include "devices/statehash.h"
#include "run_impl.h"
#include "snapshot.h"

#define PAGE		4096
#define SEC_IDENT	1
#define SEC_POINT	2
#define SEC_CPU		3
#define SEC_MEMORY	4
#define SEC_DEVICES	5
#define SEC_END		6
#define SEC_MAX		(16ULL * 1024 * 1024 * 1024)

/* An image's identity: the hash of its bytes, and its size. */
static void
img_hash(struct statehash *sh, const uint8_t *buf, size_t len)
{
	statehash_u64(sh, len);
	statehash_u64(sh, statehash_buf(buf, len, STATEHASH_SEED));
}

/* A disk file, read in 1 MiB chunks. */
static int
disk_hash(const char *path, uint64_t *size, uint64_t *hash)
{
	struct statehash sh;
	uint8_t *buf;
	ssize_t n;
	uint64_t total = 0;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (errno);
	if ((buf = malloc(1 << 20)) == NULL) {
		close(fd);
		return (ENOMEM);
	}
	statehash_init(&sh);
	while ((n = read(fd, buf, 1 << 20)) > 0) {
		statehash_u64(&sh, statehash_buf(buf, (size_t)n,
		    STATEHASH_SEED));
		total += (uint64_t)n;
	}
	if (n < 0)
		error = errno;
	statehash_u64(&sh, total);
	*size = total;
	*hash = statehash_final(&sh);
	free(buf);
	close(fd);
	return (error);
}

/* The identity section: what a restore must have the same of. */
static int
ident_build(struct run_vm *vm, struct snapbuf *sb)
{
	const struct run_opts *o = vm->o;
	struct statehash sh;
	uint32_t vendor, nranges, ndisks, i;
	uint64_t mem = o->mem, imgs, size, hash, seed = o->rnd_seed;
	int64_t rtc = o->rtc_start;
	int error;

	vendor = strcmp(runvm_vendor(vm), "amd") == 0 ? 1 : 0;
	SB_INT(sb, vendor);
	SB_INT(sb, mem);
	SB_INT(sb, rtc);
	SB_INT(sb, seed);
	nranges = (uint32_t)vm->gm.nranges;
	SB_INT(sb, nranges);
	for (i = 0; i < nranges; i++) {
		SB_INT(sb, vm->gm.ranges[i].vmr_gpa);
		SB_INT(sb, vm->gm.ranges[i].vmr_size);
		SB_INT(sb, vm->gm.ranges[i].vmr_type);
	}
	statehash_init(&sh);
	img_hash(&sh, vm->image.data, vm->image.len);
	if (o->initrd != NULL)
		img_hash(&sh, vm->initrd.data, vm->initrd.len);
	imgs = statehash_final(&sh);
	SB_INT(sb, imgs);
	ndisks = o->ndisks;
	SB_INT(sb, ndisks);
	for (i = 0; i < o->ndisks; i++) {
		if ((error = disk_hash(o->disks[i].path, &size, &hash)) != 0) {
			fprintf(stderr, "vmmsim: disk %s: %s\n",
			    o->disks[i].path, strerror(error));
			return (-1);
		}
		SB_INT(sb, size);
		SB_INT(sb, hash);
	}
	return (sb->error != 0 ? -1 : 0);
}

static int
put_section(FILE *fp, struct statehash *sum, uint32_t tag, const void *buf,
    uint64_t len)
{
	uint8_t h[12];
	int i;

	for (i = 0; i < 4; i++)
		h[i] = (uint8_t)(tag >> (8 * i));
	for (i = 0; i < 8; i++)
		h[4 + i] = (uint8_t)(len >> (8 * i));
	statehash_u64(sum, tag);
	statehash_u64(sum, len);
	statehash_u64(sum, statehash_buf(buf, len, STATEHASH_SEED));
	if (fwrite(h, 1, sizeof(h), fp) != sizeof(h) ||
	    (len != 0 && fwrite(buf, 1, len, fp) != len))
		return (-1);
	return (0);
}

/* Guest memory: per range, the pages that are not all zeros. */
static int
memory_build(struct run_vm *vm, struct snapbuf *sb)
{
	static const uint8_t zero[PAGE];
	const struct vm_mem_range *mr;
	uint64_t pg, npages, count;
	const uint8_t *hva;
	uint8_t *bm;
	size_t i;

	for (i = 0; i < vm->gm.nranges; i++) {
		mr = &vm->gm.ranges[i];
		if (mr->vmr_type == VM_MEM_MMIO)
			continue;
		npages = mr->vmr_size / PAGE;
		hva = (const uint8_t *)mr->vmr_va;
		for (count = 0, pg = 0; pg < npages; pg++)
			if (memcmp(hva + pg * PAGE, zero, PAGE) != 0)
				count++;
		if ((bm = calloc(1, (npages + 7) / 8)) == NULL ||
		    vmmsim_vcpu_snap_pages(vm->fd, vm->vm_id, 0, mr->vmr_gpa,
		    npages, bm, 0) == -1) {
			free(bm);
			return (errno != 0 ? errno : ENOMEM);
		}
		snapbuf_bytes(sb, bm, (npages + 7) / 8);
		free(bm);
		SB_INT(sb, count);
		for (pg = 0; pg < npages; pg++) {
			if (memcmp(hva + pg * PAGE, zero, PAGE) == 0)
				continue;
			SB_INT(sb, pg);
			snapbuf_bytes(sb, (void *)(uintptr_t)(hva + pg * PAGE),
			    PAGE);
		}
	}
	return (sb->error);
}

/*
 * The vcpu section's fields, in file order, written or read as sb goes
 * (one list for both ways, as the devices' *_snap functions have).
 */
static void
cpu_fields(struct snapbuf *sb, struct vm_rwregs_params *vrwp, uint64_t *gpa,
    struct vm_rwvmparams_params *vpp, struct vmmsim_vcpu_snap *vs)
{
	unsigned i;

	snapbuf_bytes(sb, &vrwp->vrwp_regs, sizeof(vrwp->vrwp_regs));
	SB_INT(sb, *gpa);
	SB_INT(sb, vpp->vpp_pvclock_version);
	SB_INT(sb, vs->vs_vendor);
	SB_INT(sb, vs->vs_exit_reason);
	SB_INT(sb, vs->vs_vtime);
	SB_INT(sb, vs->vs_shadow_pat);
	SB_INT(sb, vs->vs_event_type);
	SB_INT(sb, vs->vs_event_vector);
	SB_INT(sb, vs->vs_event_error);
	SB_INT(sb, vs->vs_irqready);
	for (i = 0; i < 3; i++)
		SB_INT(sb, vs->vs_redeliver[i]);
	SB_INT(sb, vs->vs_rng);
	SB_INT(sb, vs->vs_cr2);
	for (i = 0; i < VMMSIM_SNAP_NFIELDS; i++)
		SB_INT(sb, vs->vs_field[i]);
	snapbuf_bytes(sb, vs->vs_fpu, sizeof(vs->vs_fpu));
}

/* The vcpu: contract registers, vmparams, then the extension's state. */
static int
cpu_build(struct run_vm *vm, struct snapbuf *sb)
{
	struct vm_rwregs_params vrwp;
	struct vm_rwvmparams_params vpp;
	struct vmmsim_vcpu_snap vs;
	uint64_t gpa;

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = vm->vm_id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = vm->vm_id;
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	if (vmmsim_ioctl(vm->fd, VMM_IOC_READREGS, &vrwp) == -1 ||
	    vmmsim_ioctl(vm->fd, VMM_IOC_READVMPARAMS, &vpp) == -1 ||
	    vmmsim_vcpu_snap_save(vm->fd, vm->vm_id, 0, &vs) == -1)
		return (errno);
	gpa = vpp.vpp_pvclock_system_gpa;
	cpu_fields(sb, &vrwp, &gpa, &vpp, &vs);
	return (sb->error);
}

/*
 * The point, and which boot of the run it is in (a replay from the
 * snapshot must end with the recording's count of boots).
 */
static int
point_xfer(struct snapbuf *sb, struct vmrun_point *pt, uint32_t *boots)
{
	uint32_t where = (uint32_t)pt->where;

	SB_INT(sb, pt->exitno);
	SB_INT(sb, pt->boundary);
	SB_INT(sb, pt->vtime_ns);
	SB_INT(sb, pt->idle_ns);
	SB_INT(sb, where);
	SB_INT(sb, *boots);
	snapbuf_check(sb, where, VMRUN_AT_RUN + 1);
	if (!sb->save && *boots == 0)
		sb->error = EINVAL;
	pt->where = (int)where;
	return (sb->error);
}

/*
 * The run loop's snap hook: write the snapshot file.  An error ends the
 * run (a snapshot asked for and not written is a failure).
 */
int
snap_take(void *arg, const struct vmrun_point *ptc)
{
	struct run_vm *vm = arg;
	const char *path = vm->o->snap_path;
	struct snapbuf sb[5];
	struct statehash sum;
	struct vmrun_point pt = *ptc;
	uint32_t boots = __atomic_load_n(&vm->boots, __ATOMIC_RELAXED);
	uint64_t total;
	uint8_t hdr[16];
	FILE *fp = NULL;
	int i, error = 0;

	for (i = 0; i < 5; i++)
		snapbuf_init_save(&sb[i]);
	if (ident_build(vm, &sb[0]) != 0) {
		error = EIO;
		goto out;
	}
	point_xfer(&sb[1], &pt, &boots);
	if ((error = cpu_build(vm, &sb[2])) != 0) {
		fprintf(stderr, "vmmsim run: snapshot: vcpu state: %s\n",
		    strerror(error));
		goto out;
	}
	if ((error = memory_build(vm, &sb[3])) != 0 ||
	    (error = vmrun_snap(vm->r, &sb[4])) != 0)
		goto out;
	if ((fp = fopen(path, "wb")) == NULL) {
		error = errno;
		fprintf(stderr, "vmmsim run: snapshot %s: %s\n", path,
		    strerror(error));
		goto out;
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, SNAP_MAGIC, 8);
	hdr[8] = SNAP_VERSION;
	statehash_init(&sum);
	if (fwrite(hdr, 1, sizeof(hdr), fp) != sizeof(hdr))
		error = EIO;
	for (i = 0; i < 5 && error == 0; i++)
		if (put_section(fp, &sum, (uint32_t)(SEC_IDENT + i), sb[i].buf,
		    sb[i].len) != 0)
			error = EIO;
	total = statehash_final(&sum);
	if (error == 0 && put_section(fp, &sum, SEC_END, &total, 8) != 0)
		error = EIO;
	if (fclose(fp) != 0 && error == 0)
		error = EIO;
	if (error != 0)
		fprintf(stderr, "vmmsim run: snapshot %s: write failed\n",
		    path);
	else if (vm->o->verbose)
		fprintf(stderr, "vmmsim run: snapshot %s at exit %llu, "
		    "%llu ns\n", path, (unsigned long long)pt.exitno,
		    (unsigned long long)(pt.vtime_ns));
out:
	for (i = 0; i < 5; i++)
		snapbuf_free(&sb[i]);
	return (error);
}

/* --- restore ------------------------------------------------------- */

/* Which command is restoring, for messages. */
static const char *
who(const struct run_vm *vm)
{
	return (vm->det.mode == DET_REPLAY ? "replay" : "run");
}

static int
refuse(const struct run_vm *vm, const char *path, const char *why)
{
	fprintf(stderr, "vmmsim %s: snapshot %s refused: %s\n", who(vm), path,
	    why);
	return (-1);
}

/*
 * Read the file and split it into its sections; every length is checked
 * against what is left, and the sum at the end against the contents.
 */
static int
snap_read(const struct run_vm *vm, const char *path, uint8_t **bufp, size_t *lenp,
    const uint8_t *sec[5], uint64_t seclen[5])
{
	struct statehash sum;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, off;
	uint64_t slen, total;
	uint32_t tag, version;
	ssize_t n;
	int fd, i;
	char why[96];

	if ((fd = open(path, O_RDONLY)) == -1) {
		fprintf(stderr, "vmmsim %s: snapshot %s: %s\n", who(vm), path,
		    strerror(errno));
		return (-1);
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((*bufp = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				return (refuse(vm, path, "out of memory"));
			}
			buf = *bufp;
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	if (n < 0)
		return (refuse(vm, path, strerror(errno)));
	if (len < 16 || memcmp(buf, SNAP_MAGIC, 8) != 0)
		return (refuse(vm, path, "not a vmmsim snapshot"));
	memcpy(&version, buf + 8, 4);
	if (le32toh(version) != SNAP_VERSION) {
		/*
		 * Older versions lack state a restore needs (version 2: the
		 * RDRAND generator and, on VMX, CR2): no guessing it.
		 */
		snprintf(why, sizeof(why), "format version %u, this vmmsim "
		    "reads version %u only (take the snapshot again)",
		    le32toh(version), SNAP_VERSION);
		return (refuse(vm, path, why));
	}
	statehash_init(&sum);
	off = 16;
	for (i = 0; i < 6; i++) {
		if (len - off < 12)
			return (refuse(vm, path, "truncated"));
		memcpy(&tag, buf + off, 4);
		memcpy(&slen, buf + off + 4, 8);
		tag = le32toh(tag);
		slen = le64toh(slen);
		off += 12;
		if (tag != (uint32_t)(SEC_IDENT + i))
			return (refuse(vm, path, "sections out of order"));
		if (slen > len - off)
			return (refuse(vm, path, "truncated"));
		if (i == 5) {
			memcpy(&total, buf + off, 8);
			if (slen != 8 || le64toh(total) !=
			    statehash_final(&sum))
				return (refuse(vm, path, "checksum mismatch "
				    "(corrupted)"));
		} else {
			sec[i] = buf + off;
			seclen[i] = slen;
		}
		statehash_u64(&sum, tag);
		statehash_u64(&sum, slen);
		statehash_u64(&sum, statehash_buf(buf + off, slen,
		    STATEHASH_SEED));
		off += slen;
	}
	if (off != len)
		return (refuse(vm, path, "bytes after the end section"));
	return (0);
}

static int
memory_restore(struct run_vm *vm, struct snapbuf *sb)
{
	const struct vm_mem_range *mr;
	uint64_t pg, npages, count = 0, k;
	uint8_t *hva, *bm;
	size_t i;

	for (i = 0; i < vm->gm.nranges; i++) {
		mr = &vm->gm.ranges[i];
		if (mr->vmr_type == VM_MEM_MMIO)
			continue;
		npages = mr->vmr_size / PAGE;
		hva = (uint8_t *)mr->vmr_va;
		memset(hva, 0, npages * PAGE);
		if ((bm = calloc(1, (npages + 7) / 8)) == NULL)
			return (ENOMEM);
		snapbuf_bytes(sb, bm, (npages + 7) / 8);
		if (sb->error == 0 && vmmsim_vcpu_snap_pages(vm->fd, vm->vm_id,
		    0, mr->vmr_gpa, npages, bm, 1) == -1)
			sb->error = EINVAL;
		free(bm);
		SB_INT(sb, count);
		snapbuf_check(sb, count, npages + 1);
		for (k = 0; k < count && sb->error == 0; k++) {
			SB_INT(sb, pg);
			snapbuf_check(sb, pg, npages);
			if (sb->error == 0)
				snapbuf_bytes(sb, hva + pg * PAGE, PAGE);
		}
	}
	if (sb->error == 0 && sb->pos != sb->len)
		sb->error = EINVAL;
	return (sb->error);
}

static int
cpu_restore(struct run_vm *vm, struct snapbuf *sb, const char *path)
{
	struct vm_rwregs_params vrwp;
	struct vm_rwvmparams_params vpp;
	struct vmmsim_vcpu_snap vs;
	uint64_t gpa = 0;

	memset(&vrwp, 0, sizeof(vrwp));
	memset(&vpp, 0, sizeof(vpp));
	memset(&vs, 0, sizeof(vs));
	cpu_fields(sb, &vrwp, &gpa, &vpp, &vs);
	if (sb->error != 0 || sb->pos != sb->len)
		return (refuse(vm, path, "malformed vcpu section"));
	vrwp.vrwp_vm_id = vm->vm_id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	vpp.vpp_vm_id = vm->vm_id;
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	vpp.vpp_pvclock_system_gpa = gpa;
	if (vmmsim_ioctl(vm->fd, VMM_IOC_WRITEREGS, &vrwp) == -1) {
		fprintf(stderr, "vmmsim %s: snapshot %s refused: "
		    "VMM_IOC_WRITEREGS: %s\n", who(vm), path, strerror(errno));
		return (-1);
	}
	if (vmmsim_ioctl(vm->fd, VMM_IOC_WRITEVMPARAMS, &vpp) == -1 ||
	    vmmsim_vcpu_snap_restore(vm->fd, vm->vm_id, 0, &vs) == -1) {
		fprintf(stderr, "vmmsim %s: snapshot %s refused: vcpu "
		    "state: %s\n", who(vm), path, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Make the VM just set up (runvm_setup()) the one in the snapshot; *ptp
 * is where it was taken.  The boot count goes on from the saved one.  0,
 * or -1 with a message.
 */
int
snap_restore(struct run_vm *vm, struct vmrun_point *ptp)
{
	const char *path = vm->o->restore;
	const uint8_t *sec[5];
	uint64_t seclen[5];
	struct snapbuf want, sb;
	struct vmrun_point pt;
	uint32_t boots = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = -1;

	snapbuf_init_save(&want);
	if (snap_read(vm, path, &buf, &len, sec, seclen) != 0)
		goto out;
	if (ident_build(vm, &want) != 0)
		goto out;
	if (want.len != seclen[0] || memcmp(want.buf, sec[0], want.len) != 0) {
		/* Say which: the first fields are vendor, then memory. */
		uint32_t v;

		memcpy(&v, sec[0], seclen[0] >= 4 ? 4 : 0);
		if (seclen[0] < 12)
			refuse(vm, path, "malformed identity");
		else if (memcmp(want.buf, sec[0], 4) != 0)
			refuse(vm, path, le32toh(v) == 1 ? "taken on an amd "
			    "vcpu, this run is intel" : "taken on an intel "
			    "vcpu, this run is amd");
		else if (memcmp(want.buf + 4, sec[0] + 4, 8) != 0)
			refuse(vm, path, "another memory size");
		else
			refuse(vm, path, "another machine: the images, disks, "
			    "RTC start or seed differ");
		goto out;
	}
	snapbuf_init_restore(&sb, sec[1], seclen[1]);
	if (point_xfer(&sb, &pt, &boots) != 0 || sb.pos != sb.len) {
		refuse(vm, path, "malformed point");
		goto out;
	}
	snapbuf_init_restore(&sb, sec[3], seclen[3]);
	if (memory_restore(vm, &sb) != 0) {
		refuse(vm, path, "malformed memory section");
		goto out;
	}
	snapbuf_init_restore(&sb, sec[2], seclen[2]);
	if (cpu_restore(vm, &sb, path) != 0)
		goto out;
	snapbuf_init_restore(&sb, sec[4], seclen[4]);
	if (vmrun_snap(vm->r, &sb) != 0) {
		refuse(vm, path, "malformed device state, or other devices");
		goto out;
	}
	if (vm->o->verbose)
		fprintf(stderr, "vmmsim %s: restored %s: exit %llu, "
		    "%llu ns\n", who(vm), path, (unsigned long long)pt.exitno,
		    (unsigned long long)(pt.vtime_ns));
	/* runvm_run() counts the boot it resumes. */
	__atomic_store_n(&vm->boots, boots - 1, __ATOMIC_RELAXED);
	*ptp = pt;
	ret = 0;
out:
	snapbuf_free(&want);
	free(buf);
	return (ret);
}
