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
# The wide sweep of tests/check_leak (make check-long): every opcode of
# the four maps under prefixes and each way of addressing memory, in each
# mode, translated by a bare Unicorn at the longest run the simulated
# CPU's weights let through: 245,760 forms per mode, ~5 minutes of a core.

set -u
builddir=${BUILDDIR:-.}
[ -x "$builddir/tests/check_leak" ] || { echo "no $builddir/tests/check_leak" >&2; exit 1; }
CHECK_LEAK_WIDE=1 CK_DEFAULT_TIMEOUT=3600 "$builddir/tests/check_leak"
