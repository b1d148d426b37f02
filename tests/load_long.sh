#!/bin/sh
#
# Copyright (c) 2026 The vmmsim authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# The long form of tests/check_load: 50,000 create/run/terminate cycles
# per vendor (100,000 in all; every tenth runs its guest) with
# descriptors, mappings and RSS checked flat, and the 100-VM rounds.

set -u
builddir=${BUILDDIR:-.}
VMMSIM_LOAD_CYCLES=${VMMSIM_LOAD_CYCLES:-50000}
export VMMSIM_LOAD_CYCLES
exec "$builddir/tests/check_load"
