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
# Run the benchmark groups: `make bench` runs them all, `make bench
# BENCH=emu` one (BENCH may list several, separated by spaces or commas).
# A group NAME is the program bench/bench_NAME in the build directory.
#
# Environment:
#   BENCH		groups to run (default: every bench/bench_* built)
#   BENCH_BUILDDIR	the build directory (default: the current one)
#   BENCH_ARGS		extra arguments for every bench program (-s: a short
#			smoke run, -Q: no QEMU comparison)
#
# Output: for each group a header with the machine, then the program's
# lines "bench: NAME VALUE UNIT" and "ratio R vs PEER".

set -u

builddir=${BENCH_BUILDDIR:-.}
groups=$(echo "${BENCH:-}" | tr ',' ' ')

if [ -z "$groups" ]; then
	for p in "$builddir"/bench/bench_*; do
		[ -x "$p" ] || continue
		case $p in
		*.o|*.c|*.sh) continue ;;
		esac
		groups="$groups ${p##*/bench_}"
	done
fi
if [ -z "$groups" ]; then
	echo "bench: no benchmark programs in $builddir/bench" >&2
	exit 1
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null |
    head -n 1)
echo "# date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "# machine: $(uname -sm), nproc $(nproc 2>/dev/null || echo '?'), ${cpu:-unknown CPU}"
echo "# load: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"

fail=0
for g in $groups; do
	prog="$builddir/bench/bench_$g"
	if [ ! -x "$prog" ]; then
		echo "bench: no group $g ($prog not built)" >&2
		fail=1
		continue
	fi
	echo "# group: $g"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	if ! TESTDATA_DIR="$builddir/testdata" "$prog" ${BENCH_ARGS:-}; then
		echo "bench: group $g FAILED" >&2
		fail=1
	fi
	t1=$(date +%s.%N)
	echo "# group $g took $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
done
exit $fail
