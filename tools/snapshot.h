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


/* Snapshots of a whole VM (snapshot.c, docs/snapshot-format.md). */

#ifndef VMMSIM_TOOLS_SNAPSHOT_H
#define VMMSIM_TOOLS_SNAPSHOT_H

#define SNAP_MAGIC	"VMMSIMSS"
#define SNAP_VERSION	4

struct run_vm;
struct vmrun_point;

int	snap_take(void *arg, const struct vmrun_point *);
int	snap_restore(struct run_vm *, struct vmrun_point *);

#endif /* VMMSIM_TOOLS_SNAPSHOT_H */
