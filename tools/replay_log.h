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
 * The replay log of `vmmsim run --record` and `vmmsim replay`: a header,
 * then typed records (docs/replay-format.md).  The writer appends one
 * record at a time from the vcpu thread; the reader loads and checks a
 * whole log before anything runs, so that a malformed, truncated or
 * foreign file is refused up front with a message that says where.
 */

#ifndef VMMSIM_TOOLS_REPLAY_LOG_H
#define VMMSIM_TOOLS_REPLAY_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <machine/vmmvar.h>

#include "devices/vmrun.h"

#define RLOG_MAGIC		"VMMSIMRL"
#define RLOG_MAGIC_LEN		8
#define RLOG_VERSION		2

/* Record types. */
#define RLOG_IDENT		1	/* first, once */
#define RLOG_INPUT		2
#define RLOG_IDLE		3
#define RLOG_CKPT		4
#define RLOG_END		5	/* last, once */

/* Image kinds in the identity. */
#define RLOG_IMG_KERNEL		1
#define RLOG_IMG_INITRD		2
#define RLOG_IMG_BIOS		3
#define RLOG_IMG_DISK		4
#define RLOG_MAX_IMAGES		(3 + VMRUN_MAX_DISKS)

/* Identity flags. */
#define RLOG_F_REBOOT		0x1	/* --reboot */
#define RLOG_F_CONSOLE_INPUT	0x2	/* the console had an input side */
#define RLOG_F_GUEST_UNPACK	0x4	/* --guest-unpack */

/* How the recorded run ended (struct rlog_end's how). */
#define RLOG_END_EXIT		1	/* the guest's debug exit */
#define RLOG_END_RESET		2	/* a reset without --reboot */
#define RLOG_END_TIMEOUT	3	/* --max-time */
#define RLOG_END_STOPPED	4	/* vmmsim stop, a signal, ~. */
#define RLOG_END_FAILED		5	/* the run loop failed: see error */

/* Limits a reader enforces, so that garbage cannot make it allocate. */
#define RLOG_RECORD_MAX		(64u * 1024 * 1024)
#define RLOG_PATH_MAX		4096
#define RLOG_APPEND_MAX		65536

/*
 * The registers a checkpoint holds, flattened to 64-bit slots in this
 * order: the GPRs (RAX..R15, RIP, RFLAGS), the CRs (CR0, CR2, CR3, CR4,
 * CR8, XCR0, PDPTE0-3), the MSRs, the DRs, then for ES, CS, SS, DS, FS,
 * GS, LDTR, TR, GDTR and IDTR each sel, limit, ar, base.
 */
#define RLOG_NREGS	(VCPU_REGS_NGPRS + VCPU_REGS_NCRS + VCPU_REGS_NMSRS + \
			    VCPU_REGS_NDRS + 4 * (VCPU_REGS_NSREGS + 2))

struct rlog_image {
	uint32_t	 kind;		/* RLOG_IMG_* */
	uint32_t	 readonly;	/* disks: ro: */
	uint64_t	 size;
	uint64_t	 hash;		/* replay_image_hash() */
	char		*path;		/* as given to vmmsim run */
};

struct rlog_ident {
	uint32_t	 vendor;	/* 0 intel, 1 amd */
	uint32_t	 flags;		/* RLOG_F_* */
	uint64_t	 mem;		/* -m, bytes */
	int64_t		 rtc_start;
	uint64_t	 rnd_seed;
	uint64_t	 max_time_ns;	/* 0: none */
	uint64_t	 quantum_ns;
	uint64_t	 ckpt_exits;	/* 0: none */
	uint64_t	 ckpt_time_ns;	/* 0: none */
	uint32_t	 block_shift;	/* memory hash block: 1 << shift */
	char		*append;	/* NULL: none */
	uint32_t	 nimages;
	struct rlog_image images[RLOG_MAX_IMAGES];
};

struct rlog_input {
	struct vmrun_point pt;
	uint32_t	 len;
	uint8_t		*buf;
};

struct rlog_idle {
	struct vmrun_point pt;
	uint64_t	 skip;
	uint64_t	 full;
};

struct rlog_ckpt {
	uint64_t	 seq;		/* 0, 1, ... */
	struct vmrun_point pt;
	uint64_t	 regs[RLOG_NREGS];
	uint64_t	 dev_hash;
	uint64_t	 mem_hash;
	uint32_t	 nblocks;
	uint64_t	*blocks;
};

struct rlog_end {
	struct vmrun_point pt;
	uint32_t	 how;		/* RLOG_END_* */
	int32_t		 status;	/* vmmsim run's exit status */
	int32_t		 error;		/* RLOG_END_FAILED: the errno */
	uint32_t	 boots;
};

/* A whole log in memory (rlog_load()). */
struct rlog {
	struct rlog_ident ident;
	struct rlog_input *inputs;
	size_t		 ninputs;
	struct rlog_idle *idles;
	size_t		 nidles;
	struct rlog_ckpt *ckpts;
	size_t		 nckpts;
	struct rlog_end	 end;
};

/* Writing, one record at a time; 0 or an errno value (sticky). */
struct rlog_writer {
	FILE		*fp;
	int		 error;
};

int	rlog_create(struct rlog_writer *, const char *path,
	    const struct rlog_ident *);
int	rlog_put_input(struct rlog_writer *, const struct vmrun_point *,
	    const uint8_t *, size_t);
int	rlog_put_idle(struct rlog_writer *, const struct vmrun_point *,
	    uint64_t skip, uint64_t full);
int	rlog_put_ckpt(struct rlog_writer *, const struct rlog_ckpt *);
int	rlog_put_end(struct rlog_writer *, const struct rlog_end *);
int	rlog_close(struct rlog_writer *);

/*
 * Load and check a whole log.  0, or an errno value with a one-line
 * reason in err (EINVAL for a malformed or truncated file, EPROTO for a
 * version this build does not read).
 */
int	rlog_load(const char *path, struct rlog *, char *err, size_t errlen);
void	rlog_free(struct rlog *);

/* Registers to slots and slots to names. */
void	rlog_regs_flatten(const struct vcpu_reg_state *,
	    uint64_t regs[RLOG_NREGS]);
void	rlog_reg_name(int slot, char *buf, size_t len);

const char *rlog_end_name(uint32_t how);
const char *rlog_image_kind(uint32_t kind);

#endif /* VMMSIM_TOOLS_REPLAY_LOG_H */
