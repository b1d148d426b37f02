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
 * vmmsim trace, vmmsim vmcs, vmmsim ept: reading exit traces
 * (vmmsim_trace.h) and explaining what is in them.
 */

#ifndef VMMSIM_TOOLS_TRACE_H
#define VMMSIM_TOOLS_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "vmmsim_trace.h"

/* A failed VM entry (VMMSIM_TREC_ENTRY_FAIL), decoded. */
struct trace_fail {
	uint16_t	 flags;		/* VMMSIM_TREC_NESTED: L1's entry */
	uint64_t	 seq, vtime;
	uint32_t	 vm, vcpu;
	uint8_t		 insn, result;
	uint32_t	 vm_error;
	uint64_t	 reason, qual;
	char		 rule[VMMSIM_TFAIL_MAXSIZE], section[VMMSIM_TFAIL_MAXSIZE];
	char		 what[VMMSIM_TFAIL_MAXSIZE], detail[VMMSIM_TFAIL_MAXSIZE];
};

/* A stale translation used (VMMSIM_TREC_STALE), decoded. */
struct trace_stale {
	uint64_t	 seq, vtime;
	uint32_t	 vm, vcpu;
	uint64_t	 root;
	uint16_t	 tag, flags;
	uint64_t	 va, old_gpa, old_hpa, new_gpa, new_hpa;
	uint8_t		 old_ept, old_rights, new_ept, new_rights;
};

struct trace_file {
	FILE		*fp;
	const char	*path;
	int		 vendor;	/* VMMSIM_TRACE_VENDOR_* */
	/* Set by the caller: trace_next() returns these records too. */
	int		 extra;
	struct trace_fail  fail;	/* the last VMMSIM_TREC_ENTRY_FAIL */
	struct trace_stale stale;	/* the last VMMSIM_TREC_STALE */
};

/*
 * One exit record, decoded from its bytes; flags has VMMSIM_TREC_NESTED
 * for L2's exit to the guest's own hypervisor (bare-metal mode).
 */
struct trace_exit {
	uint16_t	 flags;
	uint64_t	 seq, vtime;
	uint32_t	 vm, vcpu;
	uint64_t	 reason, qual, info2, gpa;
	uint64_t	 rip, rax, rcx, rdx;
	uint32_t	 intr_info, intr_err, idt_vect;
	uint8_t		 mode, insn_len, nbytes, action;
	uint16_t	 user_exit;
	uint8_t		 inject, err;
	uint8_t		 bytes[VMMSIM_TEXIT_MAXBYTES];
};

/* One snapshot record; rec holds all of its bytes. */
struct trace_snap {
	uint16_t	 flags;		/* VMMSIM_TREC_NESTED: L1's VMCS */
	uint64_t	 seq;
	uint32_t	 vm, vcpu, count, npages;
	uint64_t	 root;
	uint8_t		*rec;
	size_t		 len;
};

int	 trace_open(const char *path, struct trace_file *);
void	 trace_close(struct trace_file *);
/*
 * The next record: 1 with *type set (the exit or, when snap is not
 * NULL, the snapshot filled in; free snap->rec; with tf->extra, an entry
 * failure in tf->fail or a stale translation in tf->stale), 0 at the
 * end, -1 after a message on stderr.
 */
int	 trace_next(struct trace_file *, int *type, struct trace_exit *,
	    struct trace_snap *);
uint64_t trace_get64(const uint8_t *);
uint32_t trace_get32(const uint8_t *);

/* The exit reason by its vmmvar.h name, e.g. "VMX_EXIT_IO". */
const char *trace_reason_name(int vendor, uint64_t reason, char *buf,
	    size_t len);
/* The trace's one-line description of an exit (no newline). */
void	 trace_format_exit(int vendor, const struct trace_exit *, FILE *);
/* A failed entry and the check that failed it (lines, each ended). */
void	 trace_format_fail(int vendor, const struct trace_fail *, FILE *);
/* A stale translation's report (one line, no newline). */
void	 trace_format_stale(int vendor, const struct trace_stale *, FILE *);

/* Start tracing on fd for a tool option: --trace FILE --snap SPEC. */
int	 vmmsim_trace_open_opts(int fd, const char *path, const char *snap);

int	 vmmsim_cmd_trace(int argc, char **argv);
int	 vmmsim_cmd_vmcs(int argc, char **argv);
int	 vmmsim_cmd_ept(int argc, char **argv);

#endif /* VMMSIM_TOOLS_TRACE_H */
