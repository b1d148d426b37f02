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
 * Record and replay (vmmsim run --record, vmmsim replay).
 *
 * Recording wraps an ordinary `vmmsim run`: vmrun's deterministic mode
 * (struct vmrun_det) makes the console bytes COM1 takes and the halts
 * that host time cut short the only inputs from outside, and reports
 * each at its point (exit number, boundary, virtual time); they go to
 * the log with the run's identity (image hashes, memory, vendor, command
 * line, RTC start, entropy seed) and periodic checkpoints (registers,
 * a hash of the devices' state and one per block of guest memory).
 *
 * Replay is the same run on the main thread with no console and no
 * event loop: the log's inputs go in at their points, halts skip at once,
 * the guest's output goes to stdout, and at each checkpoint and at the
 * end the state is compared with the log.  The first difference is
 * reported with where it happened and what differs, and ends the replay.
 * The format is in docs/replay-format.md.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmsim.h"
#include "devices/statehash.h"
#include "run.h"
#include "run_impl.h"

#define HASH_CHUNK		(1u << 20)	/* image hash chunk */
#define MEM_BLOCK_SHIFT		20		/* memory hash block: 1 MiB */

/* --- hashes ---------------------------------------------------------- */

/*
 * An image's hash: each MiB hashed on its own, the chunk hashes and the
 * length folded together, so that a disk file can be hashed as it is
 * read, and a file in memory gives the same value.
 */
struct img_hash {
	struct statehash sh;
	uint64_t	 size;
};

static void
img_hash_init(struct img_hash *ih)
{
	statehash_init(&ih->sh);
	ih->size = 0;
}

static void
img_hash_chunk(struct img_hash *ih, const uint8_t *buf, size_t len)
{
	statehash_u64(&ih->sh, statehash_buf(buf, len, STATEHASH_SEED));
	ih->size += len;
}

static uint64_t
img_hash_final(struct img_hash *ih)
{
	statehash_u64(&ih->sh, ih->size);
	return (statehash_final(&ih->sh));
}

static uint64_t
buf_hash(const uint8_t *buf, size_t len)
{
	struct img_hash ih;
	size_t n;

	img_hash_init(&ih);
	while (len > 0) {
		n = len < HASH_CHUNK ? len : HASH_CHUNK;
		img_hash_chunk(&ih, buf, n);
		buf += n;
		len -= n;
	}
	return (img_hash_final(&ih));
}

/* A disk image's size and hash, read in chunks; 0 or an errno value. */
static int
file_hash(const char *path, uint64_t *size, uint64_t *hash)
{
	struct img_hash ih;
	uint8_t *buf;
	size_t have;
	ssize_t n;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno);
	if ((buf = malloc(HASH_CHUNK)) == NULL) {
		close(fd);
		return (ENOMEM);
	}
	img_hash_init(&ih);
	for (;;) {
		/* Whole chunks, as buf_hash() cuts them. */
		have = 0;
		while (have < HASH_CHUNK && (n = read(fd, buf + have,
		    HASH_CHUNK - have)) != 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				error = errno;
				break;
			}
			have += (size_t)n;
		}
		if (error != 0 || have == 0)
			break;
		img_hash_chunk(&ih, buf, have);
		if (have < HASH_CHUNK)
			break;
	}
	free(buf);
	close(fd);
	*size = ih.size;
	*hash = img_hash_final(&ih);
	return (error);
}

/* Blocks of 1 << shift bytes over the backed ranges, in range order. */
static uint32_t
mem_nblocks(const struct guestmem *gm, uint32_t shift)
{
	uint64_t n = 0, b = 1ULL << shift;
	size_t i;

	for (i = 0; i < gm->nranges; i++)
		if (gm->ranges[i].vmr_type != VM_MEM_MMIO)
			n += (gm->ranges[i].vmr_size + b - 1) / b;
	return ((uint32_t)n);
}

/* The guest-physical address of block k (for a divergence message). */
static uint64_t
mem_block_gpa(const struct guestmem *gm, uint32_t shift, uint32_t k)
{
	uint64_t b = 1ULL << shift, nb;
	size_t i;

	for (i = 0; i < gm->nranges; i++) {
		if (gm->ranges[i].vmr_type == VM_MEM_MMIO)
			continue;
		nb = (gm->ranges[i].vmr_size + b - 1) / b;
		if (k < nb)
			return (gm->ranges[i].vmr_gpa + (uint64_t)k * b);
		k -= (uint32_t)nb;
	}
	return (~0ULL);
}

/* Hash every block, and the blocks' hashes together. */
static uint64_t
mem_hash(const struct guestmem *gm, uint32_t shift, uint64_t *blocks)
{
	struct statehash sh;
	const struct vm_mem_range *vmr;
	uint64_t b = 1ULL << shift, off, n;
	uint32_t k = 0;
	size_t i;

	statehash_init(&sh);
	for (i = 0; i < gm->nranges; i++) {
		vmr = &gm->ranges[i];
		if (vmr->vmr_type == VM_MEM_MMIO)
			continue;
		for (off = 0; off < vmr->vmr_size; off += b) {
			n = vmr->vmr_size - off < b ? vmr->vmr_size - off : b;
			blocks[k] = statehash_buf((const uint8_t *)
			    vmr->vmr_va + off, (size_t)n,
			    STATEHASH_SEED ^ (vmr->vmr_gpa + off));
			statehash_u64(&sh, blocks[k++]);
		}
	}
	return (statehash_final(&sh));
}

/* --- checkpoints ------------------------------------------------------ */

/* The state now, at pt; blocks point at d->blocks. */
static int
take_ckpt(struct run_vm *vm, const struct vmrun_point *pt,
    struct rlog_ckpt *c)
{
	struct run_det *d = &vm->det;
	struct vm_rwregs_params vrwp;

	memset(c, 0, sizeof(*c));
	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = vm->vm_id;
	vrwp.vrwp_vcpu_id = 0;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	if (vmmsim_ioctl(vm->fd, VMM_IOC_READREGS, &vrwp) == -1)
		return (errno);
	c->pt = *pt;
	rlog_regs_flatten(&vrwp.vrwp_regs, c->regs);
	c->dev_hash = vmrun_state_hash(vm->r);
	c->nblocks = d->nblocks;
	c->blocks = d->blocks;
	c->mem_hash = mem_hash(&vm->gm, MEM_BLOCK_SHIFT, d->blocks);
	return (0);
}

/* Whether the checkpoint rule (the identity's) says one is due at pt. */
static int
ckpt_due(struct run_det *d, const struct rlog_ident *id,
    const struct vmrun_point *pt)
{
	uint64_t dev = pt->vtime_ns;
	int due = 0;

	if (id->ckpt_exits != 0 && pt->exitno >= d->ckpt_exit_at)
		due = 1;
	if (id->ckpt_time_ns != 0 && dev >= d->ckpt_time_at)
		due = 1;
	if (due) {
		d->ckpt_exit_at = pt->exitno + id->ckpt_exits;
		if (id->ckpt_time_ns != 0)
			d->ckpt_time_at = (dev / id->ckpt_time_ns + 1) *
			    id->ckpt_time_ns;
	}
	return (due);
}

/* --- replay: divergence ---------------------------------------------- */

/* Say where the replay left the recording, once; ECANCELED. */
static int
diverge(struct run_vm *vm, const struct vmrun_point *pt, const char *fmt,
    ...)
{
	va_list ap;

	fflush(stdout);
	if (!vm->det.diverged) {
		fprintf(stderr, "vmmsim replay: diverged at exit %llu, "
		    "virtual time %llu ns (+%llu ns halted): ",
		    (unsigned long long)pt->exitno,
		    (unsigned long long)pt->vtime_ns,
		    (unsigned long long)pt->idle_ns);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	vm->det.diverged = 1;
	return (ECANCELED);
}

static int
point_eq(const struct vmrun_point *a, const struct vmrun_point *b)
{
	return (a->exitno == b->exitno && a->boundary == b->boundary &&
	    a->vtime_ns == b->vtime_ns && a->idle_ns == b->idle_ns &&
	    a->where == b->where);
}

/* Order of points in a run: by boundary, then RUN before HLT. */
static int
point_cmp(const struct vmrun_point *a, const struct vmrun_point *b)
{
	if (a->boundary != b->boundary)
		return (a->boundary < b->boundary ? -1 : 1);
	if (a->where != b->where)
		return (a->where < b->where ? -1 : 1);
	return (0);
}

/* Compare the state now with the log's next checkpoint. */
static int
verify_ckpt(struct run_vm *vm, const struct vmrun_point *pt)
{
	struct run_det *d = &vm->det;
	const struct rlog_ckpt *rc;
	struct rlog_ckpt c;
	char name[32];
	uint32_t k;
	int i, error;

	if (d->ckpt_next >= d->log->nckpts)
		return (diverge(vm, pt, "a checkpoint is due here, but the "
		    "log has no more (%zu)", d->log->nckpts));
	rc = &d->log->ckpts[d->ckpt_next];
	if (!point_eq(&rc->pt, pt))
		return (diverge(vm, pt, "checkpoint %llu was recorded at exit "
		    "%llu, virtual time %llu ns (+%llu ns halted)",
		    (unsigned long long)rc->seq,
		    (unsigned long long)rc->pt.exitno,
		    (unsigned long long)rc->pt.vtime_ns,
		    (unsigned long long)rc->pt.idle_ns));
	if ((error = take_ckpt(vm, pt, &c)) != 0)
		return (error);
	for (i = 0; i < RLOG_NREGS; i++)
		if (c.regs[i] != rc->regs[i]) {
			rlog_reg_name(i, name, sizeof(name));
			return (diverge(vm, pt, "checkpoint %llu: register %s "
			    "is %#llx, recorded %#llx",
			    (unsigned long long)rc->seq, name,
			    (unsigned long long)c.regs[i],
			    (unsigned long long)rc->regs[i]));
		}
	if (c.dev_hash != rc->dev_hash)
		return (diverge(vm, pt, "checkpoint %llu: device state hash "
		    "is %016llx, recorded %016llx",
		    (unsigned long long)rc->seq,
		    (unsigned long long)c.dev_hash,
		    (unsigned long long)rc->dev_hash));
	if (c.nblocks != rc->nblocks)
		return (diverge(vm, pt, "checkpoint %llu: %u memory blocks, "
		    "recorded %u", (unsigned long long)rc->seq, c.nblocks,
		    rc->nblocks));
	for (k = 0; k < c.nblocks; k++)
		if (c.blocks[k] != rc->blocks[k])
			return (diverge(vm, pt, "checkpoint %llu: memory "
			    "differs in the block at %#llx (%u KiB): hash "
			    "%016llx, recorded %016llx",
			    (unsigned long long)rc->seq,
			    (unsigned long long)mem_block_gpa(&vm->gm,
			    MEM_BLOCK_SHIFT, k), (1u << MEM_BLOCK_SHIFT) / 1024,
			    (unsigned long long)c.blocks[k],
			    (unsigned long long)rc->blocks[k]));
	if (c.mem_hash != rc->mem_hash)
		return (diverge(vm, pt, "checkpoint %llu: memory hash is "
		    "%016llx, recorded %016llx", (unsigned long long)rc->seq,
		    (unsigned long long)c.mem_hash,
		    (unsigned long long)rc->mem_hash));
	d->ckpt_next++;
	return (0);
}

/* --- the hooks (struct vmrun_det), on the vcpu thread ----------------- */

static int
hook_boundary(void *arg, const struct vmrun_point *pt)
{
	struct run_vm *vm = arg;
	struct run_det *d = &vm->det;
	const struct rlog_ident *id = d->mode == DET_REPLAY ?
	    &d->log->ident : &d->ident;
	struct rlog_ckpt c;
	int error;

	d->last = *pt;
	if (ckpt_due(d, id, pt)) {
		if (d->mode == DET_REPLAY) {
			if ((error = verify_ckpt(vm, pt)) != 0)
				return (error);
		} else {
			if ((error = take_ckpt(vm, pt, &c)) != 0)
				return (error);
			c.seq = d->ckpt_seq++;
			if ((error = rlog_put_ckpt(&d->w, &c)) != 0)
				return (d->write_error = error);
		}
	}
	if (d->mode == DET_REPLAY && d->log->end.how == RLOG_END_STOPPED &&
	    d->log->end.pt.boundary == pt->boundary)
		return (VMRUN_DET_STOP);
	return (0);
}

static int
hook_took(void *arg, const struct vmrun_point *pt, const uint8_t *buf,
    size_t len)
{
	struct run_vm *vm = arg;
	int error;

	if ((error = rlog_put_input(&vm->det.w, pt, buf, len)) != 0)
		vm->det.write_error = error;
	return (error);
}

static int
hook_skipped(void *arg, const struct vmrun_point *pt, uint64_t skip,
    uint64_t full)
{
	struct run_vm *vm = arg;
	int error;

	if ((error = rlog_put_idle(&vm->det.w, pt, skip, full)) != 0)
		vm->det.write_error = error;
	return (error);
}

static int
hook_input(void *arg, const struct vmrun_point *pt, const uint8_t **buf,
    size_t *len)
{
	struct run_vm *vm = arg;
	struct run_det *d = &vm->det;
	const struct rlog_input *in;
	int cmp;

	if (d->in_next >= d->log->ninputs)
		return (0);
	in = &d->log->inputs[d->in_next];
	if ((cmp = point_cmp(&in->pt, pt)) > 0)
		return (0);
	if (cmp < 0 || !point_eq(&in->pt, pt))
		return (diverge(vm, pt, "input %zu was recorded at exit "
		    "%llu, virtual time %llu ns (+%llu ns halted)%s",
		    d->in_next, (unsigned long long)in->pt.exitno,
		    (unsigned long long)in->pt.vtime_ns,
		    (unsigned long long)in->pt.idle_ns,
		    cmp < 0 ? ", and the replay is past it" : ""));
	*buf = in->buf;
	*len = in->len;
	d->in_next++;
	return (1);
}

static uint64_t
hook_halt_skip(void *arg, const struct vmrun_point *pt, uint64_t full)
{
	struct run_vm *vm = arg;
	struct run_det *d = &vm->det;
	const struct rlog_idle *idl;
	int cmp;

	if (d->idle_next >= d->log->nidles)
		return (full);
	idl = &d->log->idles[d->idle_next];
	if ((cmp = point_cmp(&idl->pt, pt)) > 0)
		return (full);
	if (cmp < 0 || !point_eq(&idl->pt, pt) || idl->full != full) {
		(void)diverge(vm, pt, "a halt cut short to %llu of %llu ns "
		    "was recorded at exit %llu, virtual time %llu ns "
		    "(here the timer is %llu ns away)",
		    (unsigned long long)idl->skip,
		    (unsigned long long)idl->full,
		    (unsigned long long)idl->pt.exitno,
		    (unsigned long long)idl->pt.vtime_ns,
		    (unsigned long long)full);
		return (UINT64_MAX);
	}
	d->idle_next++;
	return (idl->skip);
}

/*
 * Halted with no timer: the recording went on here only for input or a
 * stop, taken at the next boundary; else it ended in EDEADLK here.
 */
static int
hook_halt_wait(void *arg, const struct vmrun_point *pt)
{
	struct run_vm *vm = arg;
	struct run_det *d = &vm->det;
	const struct rlog_end *e = &d->log->end;
	struct vmrun_point next = *pt;

	next.boundary++;
	next.where = VMRUN_AT_RUN;
	if (d->in_next < d->log->ninputs &&
	    point_cmp(&d->log->inputs[d->in_next].pt, &next) == 0)
		return (0);
	if (e->how == RLOG_END_STOPPED && e->pt.boundary == next.boundary)
		return (0);
	if (e->how == RLOG_END_FAILED && e->error == EDEADLK &&
	    e->pt.exitno == pt->exitno)
		return (EDEADLK);
	return (diverge(vm, pt, "the guest halted for input with no timer "
	    "armed; the recording has no input or stop for it here"));
}

/* --- identity --------------------------------------------------------- */

static void
ident_add(struct rlog_ident *id, uint32_t kind, const char *path,
    int readonly, uint64_t size, uint64_t hash)
{
	struct rlog_image *im = &id->images[id->nimages++];

	im->kind = kind;
	im->readonly = readonly != 0;
	im->size = size;
	im->hash = hash;
	im->path = (char *)path;
}

/*
 * The images as this run has them: in memory (read once for the run)
 * and the disks, hashed from their files.  0, or -1 with a message.
 */
static int
ident_images(struct run_vm *vm, struct rlog_ident *id, const char *who)
{
	const struct run_opts *o = vm->o;
	uint64_t size = 0, hash = 0;
	unsigned i;
	int error;

	id->nimages = 0;
	if (o->bios != NULL)
		ident_add(id, RLOG_IMG_BIOS, o->bios, 0, vm->image.len,
		    buf_hash(vm->image.data, vm->image.len));
	else
		ident_add(id, RLOG_IMG_KERNEL, o->kernel, 0, vm->image.len,
		    buf_hash(vm->image.data, vm->image.len));
	if (o->initrd != NULL)
		ident_add(id, RLOG_IMG_INITRD, o->initrd, 0, vm->initrd.len,
		    buf_hash(vm->initrd.data, vm->initrd.len));
	for (i = 0; i < o->ndisks; i++) {
		if ((error = file_hash(o->disks[i].path, &size,
		    &hash)) != 0) {
			fprintf(stderr, "vmmsim %s: disk %s: %s\n", who,
			    o->disks[i].path, strerror(error));
			return (-1);
		}
		ident_add(id, RLOG_IMG_DISK, o->disks[i].path,
		    o->disks[i].readonly, size, hash);
	}
	return (0);
}

/* Replay: the images must be the recorded ones, byte for byte. */
static int
ident_check(struct run_vm *vm)
{
	const struct rlog_ident *rec = &vm->det.log->ident;
	struct rlog_ident now;
	const struct rlog_image *a, *b;
	uint32_t i;

	memset(&now, 0, sizeof(now));
	if (ident_images(vm, &now, "replay") != 0)
		return (-1);
	if (now.nimages != rec->nimages) {
		fprintf(stderr, "vmmsim replay: the log has %u images, this "
		    "replay %u\n", rec->nimages, now.nimages);
		return (-1);
	}
	for (i = 0; i < now.nimages; i++) {
		a = &rec->images[i];
		b = &now.images[i];
		if (a->kind != b->kind || a->readonly != b->readonly) {
			fprintf(stderr, "vmmsim replay: image %u is a %s%s in "
			    "the log, a %s%s here\n", i, rlog_image_kind(a->kind),
			    a->readonly ? " (ro)" : "",
			    rlog_image_kind(b->kind),
			    b->readonly ? " (ro)" : "");
			return (-1);
		}
		/*
		 * From a snapshot, a disk must be as it was then, not at the
		 * start of the recording: the snapshot checks that.
		 */
		if (vm->o->restore != NULL && a->kind == RLOG_IMG_DISK)
			continue;
		if (a->size != b->size || a->hash != b->hash) {
			fprintf(stderr, "vmmsim replay: %s %s differs from the "
			    "recorded one (%llu bytes, hash %016llx; recorded "
			    "%s: %llu bytes, hash %016llx)\n",
			    rlog_image_kind(b->kind), b->path,
			    (unsigned long long)b->size,
			    (unsigned long long)b->hash, a->path,
			    (unsigned long long)a->size,
			    (unsigned long long)a->hash);
			return (-1);
		}
	}
	return (0);
}

/*
 * After the images are read, before the devices: record writes the
 * identity, replay checks it; both get the hooks ready.  0, or -1 with a
 * message.
 */
int
det_setup(struct run_vm *vm)
{
	const struct run_opts *o = vm->o;
	struct run_det *d = &vm->det;
	struct rlog_ident *id = &d->ident;
	int error;

	if (o->record != NULL)
		d->mode = DET_RECORD;
	if (d->mode == DET_NONE)
		return (0);
	d->ops.replay = d->mode == DET_REPLAY;
	d->ops.arg = vm;
	d->ops.boundary = hook_boundary;
	if (d->mode == DET_RECORD) {
		d->ops.took = hook_took;
		d->ops.skipped = hook_skipped;
	} else {
		d->ops.input = hook_input;
		d->ops.halt_skip = hook_halt_skip;
		d->ops.halt_wait = hook_halt_wait;
	}
	d->nblocks = mem_nblocks(&vm->gm, MEM_BLOCK_SHIFT);
	if ((d->blocks = calloc(d->nblocks ? d->nblocks : 1,
	    sizeof(uint64_t))) == NULL) {
		fprintf(stderr, "vmmsim: %s\n", strerror(ENOMEM));
		return (-1);
	}
	if (d->mode == DET_REPLAY) {
		id = &d->log->ident;
		d->ops.quantum_ns = id->quantum_ns;
		d->ckpt_exit_at = id->ckpt_exits;
		d->ckpt_time_at = id->ckpt_time_ns;
		return (ident_check(vm));
	}

	memset(id, 0, sizeof(*id));
	id->vendor = strcmp(runvm_vendor(vm), "amd") == 0;
	id->flags = (o->reboot ? RLOG_F_REBOOT : 0) |
	    (o->guest_unpack ? RLOG_F_GUEST_UNPACK : 0) |
	    (vm->con.in_kind != IN_NONE ? RLOG_F_CONSOLE_INPUT : 0);
	id->mem = o->mem;
	id->rtc_start = o->rtc_start;
	id->rnd_seed = o->rnd_seed;
	id->max_time_ns = o->max_time_ns;
	id->quantum_ns = o->quantum_ns;
	id->ckpt_exits = o->ckpt_exits;
	id->ckpt_time_ns = o->ckpt_time_ns;
	id->block_shift = MEM_BLOCK_SHIFT;
	id->append = (char *)o->append;
	if (ident_images(vm, id, "run") != 0)
		return (-1);
	d->ops.quantum_ns = id->quantum_ns;
	d->ckpt_exit_at = id->ckpt_exits;
	d->ckpt_time_at = id->ckpt_time_ns;
	if ((error = rlog_create(&d->w, o->record, id)) != 0) {
		fprintf(stderr, "vmmsim run: --record %s: %s\n", o->record,
		    strerror(error));
		return (-1);
	}
	return (0);
}

/* A snapshot that is not one of this log's: say why; -1. */
static int
resume_refuse(struct run_vm *vm, const struct vmrun_point *pt,
    const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmmsim replay: snapshot %s refused: taken at exit "
	    "%llu, %llu ns, ", vm->o->restore, (unsigned long long)pt->exitno,
	    (unsigned long long)(pt->vtime_ns));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (-1);
}

/*
 * Whether a log record's point pt could have come before (ahead 0) or
 * after (ahead 1) the snapshot's point sp in one run: exit numbers and
 * device time never go back.
 */
static int
point_fits(const struct vmrun_point *pt, const struct vmrun_point *sp,
    int ahead)
{
	uint64_t a = pt->vtime_ns, b = sp->vtime_ns;

	if (ahead)
		return (pt->exitno >= sp->exitno && a >= b);
	return (pt->exitno <= sp->exitno && a <= b);
}

/*
 * A replay from a snapshot (replay --from): the VM is now the snapshot's,
 * at the top of the loop iteration after boundary sp->boundary.  Skip
 * the log's inputs, idle records and checkpoints from before it (all
 * numbered at or below that boundary), carry the checkpoint schedule
 * over from the last checkpoint skipped, as the recording had it then,
 * and refuse a snapshot that cannot be a point of this recording.  A
 * plain --restore has nothing to do.  0, or -1 with a message.
 */
int
det_resume(struct run_vm *vm, const struct vmrun_point *sp)
{
	struct run_det *d = &vm->det;
	const struct rlog *log = d->log;
	const struct rlog_ident *id;
	const struct rlog_ckpt *last = NULL;
	uint64_t b = sp->boundary, dev;
	size_t i;

	if (d->mode != DET_REPLAY)
		return (0);
	id = &log->ident;
	if (b == 0 && sp->exitno != 0)
		return (resume_refuse(vm, sp, "in a run that was not "
		    "recorded (it has no boundary count)"));
	if (b >= log->end.pt.boundary || !point_fits(&log->end.pt, sp, 1))
		return (resume_refuse(vm, sp, "after the log's end (exit "
		    "%llu, %llu ns)", (unsigned long long)log->end.pt.exitno,
		    (unsigned long long)log->end.pt.vtime_ns));
	for (i = 0; i < log->nckpts; i++) {
		if (!point_fits(&log->ckpts[i].pt, sp,
		    log->ckpts[i].pt.boundary > b))
			return (resume_refuse(vm, sp, "which does not fit "
			    "this log's checkpoint %llu (exit %llu)",
			    (unsigned long long)log->ckpts[i].seq,
			    (unsigned long long)log->ckpts[i].pt.exitno));
		if (log->ckpts[i].pt.boundary <= b) {
			last = &log->ckpts[i];
			d->ckpt_next = i + 1;
		}
	}
	for (i = 0; i < log->ninputs; i++) {
		if (!point_fits(&log->inputs[i].pt, sp,
		    log->inputs[i].pt.boundary > b))
			return (resume_refuse(vm, sp, "which does not fit "
			    "this log's input %zu (exit %llu)", i,
			    (unsigned long long)log->inputs[i].pt.exitno));
		if (log->inputs[i].pt.boundary <= b)
			d->in_next = i + 1;
	}
	for (i = 0; i < log->nidles; i++)
		if (log->idles[i].pt.boundary <= b)
			d->idle_next = i + 1;
	/* As ckpt_due() left it at the last checkpoint before. */
	if (last != NULL) {
		dev = last->pt.vtime_ns;
		d->ckpt_exit_at = last->pt.exitno + id->ckpt_exits;
		if (id->ckpt_time_ns != 0)
			d->ckpt_time_at = (dev / id->ckpt_time_ns + 1) *
			    id->ckpt_time_ns;
	}
	d->last = *sp;
	d->ckpt_first = d->ckpt_next;
	d->in_first = d->in_next;
	if (vm->o->verbose)
		fprintf(stderr, "vmmsim replay: from exit %llu: skipping %zu "
		    "inputs, %zu halts cut short and %zu checkpoints\n",
		    (unsigned long long)sp->exitno, d->in_next, d->idle_next,
		    d->ckpt_next);
	return (0);
}

/* How a run ended, for the end record. */
static uint32_t
end_how(const struct vmrun_result *res, int error)
{
	if (error != 0)
		return (RLOG_END_FAILED);
	if (res->stopped)
		return (RLOG_END_STOPPED);
	if (res->timeout)
		return (RLOG_END_TIMEOUT);
	if (res->reset)
		return (RLOG_END_RESET);
	return (RLOG_END_EXIT);
}

/*
 * The end, on the vcpu thread: a last checkpoint and the end record
 * (record), or their check and a look for what the replay never reached
 * (replay).
 */
void
det_finish(struct run_vm *vm, const struct vmrun_result *res, int status,
    int error)
{
	struct run_det *d = &vm->det;
	struct vmrun_status st;
	struct rlog_end e;
	struct rlog_ckpt c;
	const struct rlog_end *re;

	memset(&e, 0, sizeof(e));
	e.pt = d->last;
	if (vm->r != NULL) {
		vmrun_status(vm->r, &st);
		e.pt.exitno = st.runs;
	}
	e.pt.vtime_ns = res->vtime_ns;
	e.pt.idle_ns = res->idle_ns;
	e.pt.where = VMRUN_AT_RUN;
	e.how = end_how(res, error);
	e.status = status;
	e.error = error;
	e.boots = __atomic_load_n(&vm->boots, __ATOMIC_RELAXED);

	if (d->mode == DET_RECORD) {
		if (d->write_error == 0 && vm->r != NULL &&
		    take_ckpt(vm, &e.pt, &c) == 0) {
			c.seq = d->ckpt_seq++;
			(void)rlog_put_ckpt(&d->w, &c);
		}
		(void)rlog_put_end(&d->w, &e);
		if ((error = rlog_close(&d->w)) != 0)
			fprintf(stderr, "vmmsim run: --record %s: %s (the "
			    "log is incomplete)\n", vm->o->record,
			    strerror(error));
		return;
	}
	if (d->diverged)
		return;
	re = &d->log->end;
	if (d->ckpt_next + 1 != d->log->nckpts) {
		(void)diverge(vm, &e.pt, "the run ended (%s) before "
		    "checkpoint %zu of %zu, recorded at exit %llu",
		    rlog_end_name(e.how), d->ckpt_next, d->log->nckpts,
		    (unsigned long long)(d->ckpt_next < d->log->nckpts ?
		    d->log->ckpts[d->ckpt_next].pt.exitno : 0));
		return;
	}
	if (re->how != e.how || re->status != e.status ||
	    re->error != e.error || re->boots != e.boots ||
	    re->pt.exitno != e.pt.exitno || re->pt.vtime_ns != e.pt.vtime_ns ||
	    re->pt.idle_ns != e.pt.idle_ns) {
		(void)diverge(vm, &e.pt, "the run ended (%s, status %d%s%s, "
		    "%u boots) where the recording ended (%s, status %d%s%s, "
		    "%u boots) at exit %llu, virtual time %llu ns "
		    "(+%llu ns halted)", rlog_end_name(e.how), e.status,
		    e.error ? ", " : "", e.error ? strerror(e.error) : "",
		    e.boots, rlog_end_name(re->how), re->status,
		    re->error ? ", " : "", re->error ? strerror(re->error) : "",
		    re->boots, (unsigned long long)re->pt.exitno,
		    (unsigned long long)re->pt.vtime_ns,
		    (unsigned long long)re->pt.idle_ns);
		return;
	}
	if (d->in_next != d->log->ninputs) {
		(void)diverge(vm, &e.pt, "input %zu (recorded at exit %llu) "
		    "was never taken", d->in_next, (unsigned long long)
		    d->log->inputs[d->in_next].pt.exitno);
		return;
	}
	if (d->idle_next != d->log->nidles) {
		(void)diverge(vm, &e.pt, "the halt cut short at exit %llu was "
		    "never reached", (unsigned long long)
		    d->log->idles[d->idle_next].pt.exitno);
		return;
	}
	/* The final state, last. */
	(void)verify_ckpt(vm, &e.pt);
}

void
det_teardown(struct run_vm *vm)
{
	struct run_det *d = &vm->det;

	if (d->mode == DET_RECORD && d->w.fp != NULL)
		(void)rlog_close(&d->w);
	free(d->blocks);
	d->blocks = NULL;
}

/* The guest's console during a replay: stdout, as the recording had it. */
void
replay_console_out(void *arg, uint8_t byte)
{
	(void)arg;
	putc(byte, stdout);
}

/* --- vmmsim replay ---------------------------------------------------- */

static void
replay_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmmsim replay [-v] [-k KERNEL] [--initrd FILE] "
	    "[--bios FILE]\n"
	    "                     [-d DISK]... [--from SNAPSHOT] FILE\n");
}

/*
 * The replay's options: the log's, with the image paths optionally
 * replaced (the files must still hash as recorded).
 */
static int
replay_opts(const struct rlog *log, const char *kernel, const char *initrd,
    const char *bios, const char *const *disks, unsigned ndisks,
    struct run_opts *o)
{
	const struct rlog_ident *id = &log->ident;
	const struct rlog_image *im;
	unsigned i, nd = 0;

	o->mem = id->mem;
	o->append = id->append;
	o->vendor = id->vendor ? VMMSIM_OPEN_AMD : VMMSIM_OPEN_INTEL;
	o->reboot = (id->flags & RLOG_F_REBOOT) != 0;
	o->guest_unpack = (id->flags & RLOG_F_GUEST_UNPACK) != 0;
	o->max_time_ns = id->max_time_ns;
	o->rtc_start = id->rtc_start;
	o->rnd_seed = id->rnd_seed;
	o->console = "replay";
	for (i = 0; i < id->nimages; i++) {
		im = &id->images[i];
		switch (im->kind) {
		case RLOG_IMG_KERNEL:
			o->kernel = kernel != NULL ? kernel : im->path;
			break;
		case RLOG_IMG_INITRD:
			o->initrd = initrd != NULL ? initrd : im->path;
			break;
		case RLOG_IMG_BIOS:
			o->bios = bios != NULL ? bios : im->path;
			break;
		case RLOG_IMG_DISK:
			if (nd == VMRUN_MAX_DISKS)
				return (-1);
			o->disks[nd].path = nd < ndisks ? disks[nd] : im->path;
			o->disks[nd++].readonly = (int)im->readonly;
			break;
		}
	}
	o->ndisks = nd;
	if ((o->kernel == NULL) == (o->bios == NULL)) {
		fprintf(stderr, "vmmsim replay: the log names %s\n",
		    o->kernel == NULL ? "neither a kernel nor a BIOS image" :
		    "both a kernel and a BIOS image");
		return (-1);
	}
	if ((kernel != NULL && o->kernel != kernel) ||
	    (bios != NULL && o->bios != bios) ||
	    (initrd != NULL && o->initrd != initrd) || ndisks > nd) {
		fprintf(stderr, "vmmsim replay: the images given do not match "
		    "the log's (%s%s, %u disks)\n", o->kernel != NULL ?
		    "kernel" : "bios", o->initrd != NULL ? ", initrd" : "", nd);
		return (-1);
	}
	return (0);
}

int
vmmsim_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel",	required_argument, NULL, 'k' },
		{ "initrd",	required_argument, NULL, 'i' },
		{ "bios",	required_argument, NULL, 'b' },
		{ "disk",	required_argument, NULL, 'd' },
		{ "from",	required_argument, NULL, 'f' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *kernel = NULL, *initrd = NULL, *bios = NULL, *from = NULL;
	const char *disks[VMRUN_MAX_DISKS];
	char err[512];
	struct rlog log;
	struct run_opts o;
	struct run_vm *vm;
	unsigned ndisks = 0;
	int c, status, verbose = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kernel = optarg; break;
		case 'i': initrd = optarg; break;
		case 'b': bios = optarg; break;
		case 'f': from = optarg; break;
		case 'v': verbose = 1; break;
		case 'd':
			if (ndisks == VMRUN_MAX_DISKS) {
				fprintf(stderr, "vmmsim replay: at most %d "
				    "disks\n", VMRUN_MAX_DISKS);
				return (REPLAY_EXIT_USAGE);
			}
			if (strncmp(optarg, "ro:", 3) == 0)
				optarg += 3;
			disks[ndisks++] = optarg;
			break;
		case 'h':
			replay_usage(stdout);
			return (REPLAY_EXIT_OK);
		default:
			replay_usage(stderr);
			return (REPLAY_EXIT_USAGE);
		}
	}
	if (optind + 1 != argc) {
		replay_usage(stderr);
		return (REPLAY_EXIT_USAGE);
	}
	if (rlog_load(argv[optind], &log, err, sizeof(err)) != 0) {
		fprintf(stderr, "vmmsim replay: %s\n", err);
		return (REPLAY_EXIT_FAILED);
	}
	memset(&o, 0, sizeof(o));
	o.verbose = verbose;
	o.restore = from;
	if (replay_opts(&log, kernel, initrd, bios, disks, ndisks, &o) != 0) {
		rlog_free(&log);
		return (REPLAY_EXIT_FAILED);
	}
	if ((vm = calloc(1, sizeof(*vm))) == NULL) {
		rlog_free(&log);
		fprintf(stderr, "vmmsim replay: %s\n", strerror(errno));
		return (REPLAY_EXIT_FAILED);
	}
	vm->o = &o;
	vm->fd = -1;
	vm->det.mode = DET_REPLAY;
	vm->det.log = &log;
	snprintf(vm->name, sizeof(vm->name), "replay");
	status = REPLAY_EXIT_FAILED;
	if (runvm_setup(vm) == 0) {
		(void)runvm_run(vm);
		fflush(stdout);
		status = vm->det.diverged ? REPLAY_EXIT_DIVERGED :
		    REPLAY_EXIT_OK;
		if (verbose && status == REPLAY_EXIT_OK)
			fprintf(stderr, "vmmsim replay: %zu checkpoints, %zu "
			    "inputs and the end (%s at exit %llu) matched\n",
			    log.nckpts - vm->det.ckpt_first,
			    log.ninputs - vm->det.in_first,
			    rlog_end_name(log.end.how),
			    (unsigned long long)log.end.pt.exitno);
	}
	runvm_teardown(vm);
	free(vm);
	rlog_free(&log);
	return (status);
}
