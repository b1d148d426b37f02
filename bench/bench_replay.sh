#!/bin/bash
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
# Benchmark group "replay": what recording costs on the Linux boot of the
# boot group (Debian's kernel, the busybox initramfs of
# tests/guests/mklinux.sh, 256 MiB, the 1 MiB disk read-only), from start
# to the guest's own reset at the end of its init script.
#
#   record-overhead	wall time of `vmmsim run --record LOG` (a checkpoint
#			every virtual second, the default) over the same run
#			unrecorded (no console input, so deterministic too),
#			in percent of CPU time (user + system); the runs
#			alternate and each side is the median of BOOT_RUNS
#			(default 3).  Target: <= 5 %.  record-overhead-wall
#			is the same from wall time.
#   record-log-size	the log's bytes per second of device time (virtual
#			+ halted) of the recorded run.
#
# Environment: BENCH_BUILDDIR (the build directory), VMMSIM_GUEST_CACHE
# (where tests/guests/mklinux.sh keeps the packages and images),
# BENCH_VENDOR (intel, the default, or amd), BOOT_RUNS (3).

set -u
builddir=${BENCH_BUILDDIR:-.}
srcdir='%%SRCDIR%%'		# substituted by make
case $srcdir in
%%*) srcdir=$(cd "$(dirname "$0")/.." && pwd) ;;
esac
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}

sh "$srcdir/tests/guests/mklinux.sh" "$cache" >&2
case $? in
0) ;;
77) echo "bench: record-overhead skipped (package archive unreachable)"; exit 0 ;;
*) exit 1 ;;
esac
tmp=$(mktemp -d /tmp/vmmsim-bench-replay-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# One boot, "$@" added; prints its wall and CPU (user + system) seconds,
# or FAIL.  The guest's end (-v) goes to $tmp/last.err.
boot() {
	local TIMEFORMAT='%3R %3U %3S'
	if ! { time timeout 1800 "$builddir/vmmsim" run -v -m 256M \
	    --vendor "${BENCH_VENDOR:-intel}" \
	    -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
	    -d "ro:$cache/disk.img" --append "console=ttyS0 panic=-1" "$@" \
	    </dev/null >"$tmp/out" 2>"$tmp/last.err"; } 2>"$tmp/time" ||
	    ! grep -q 'VMMSIM-INIT' "$tmp/out"; then
		echo FAIL
		return 1
	fi
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tmp/time"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The machine is shared: the runs alternate (unrecorded, recorded, ...)
# so that both see the same conditions, and the overhead is taken from
# the medians of CPU time, which other load moves far less than wall time
# (wall time is reported too).
runs=${BOOT_RUNS:-3}
pw=() pc=() rw=() rc=()
for i in $(seq 1 "$runs"); do
	p=$(boot)
	echo "# run $i: unrecorded $p s (wall, cpu)" >&2
	case $p in FAIL) echo "bench: record-overhead FAIL (unrecorded run)"; exit 1 ;; esac
	pw+=("${p% *}") pc+=("${p#* }")
	r=$(boot --record "$tmp/boot.vrl")
	echo "# run $i: recorded $r s (wall, cpu)" >&2
	case $r in FAIL) echo "bench: record-overhead FAIL (recorded run)"; exit 1 ;; esac
	rw+=("${r% *}") rc+=("${r#* }")
done
pwm=$(median "${pw[@]}") pcm=$(median "${pc[@]}")
rwm=$(median "${rw[@]}") rcm=$(median "${rc[@]}")
echo "# unrecorded wall ${pw[*]}, cpu ${pc[*]}; recorded wall ${rw[*]}, cpu ${rc[*]}" >&2
echo "bench: linux-boot-unrecorded $pwm s"
echo "bench: linux-boot-recorded $rwm s"
echo "bench: linux-boot-unrecorded-cpu $pcm s"
echo "bench: linux-boot-recorded-cpu $rcm s"
awk "BEGIN { printf \"bench: record-overhead %.1f %%\n\", ($rcm - $pcm) * 100 / $pcm }"
awk "BEGIN { printf \"bench: record-overhead-wall %.1f %%\n\", ($rwm - $pwm) * 100 / $pwm }"
echo "ratio $(awk "BEGIN { printf \"%.3f\", $rcm / $pcm }") vs unrecorded (record-overhead, cpu; target <= 1.05)"

# "boot 1: ..., V ns run + H ns halted, ..." of the last recorded run.
ns=$(sed -n 's/.*boot [0-9]*: .*, \([0-9]*\) ns run + \([0-9]*\) ns halted.*/\1 \2/p' \
    "$tmp/last.err" | awk '{ s += $1 + $2 } END { printf "%.0f\n", s }')
size=$(wc -c <"$tmp/boot.vrl")
if [ "$ns" -gt 0 ]; then
	echo "# log: $size bytes for $ns ns of device time" >&2
	awk "BEGIN { printf \"bench: record-log-size %.0f bytes/guest-s\n\", $size * 1e9 / $ns }"
else
	echo "bench: record-log-size FAIL (no device time in the run's -v output)"
	exit 1
fi
