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
# Benchmark group "bare": nested-exits, the I/O exits per second that a
# hypervisor running as the guest (bare-metal mode, issue #10) handles
# for its own guest.  testdata/bench_nested_vmx.bin (Intel) and
# bench_nested_svm.bin (AMD) run L2 in a loop of OUT 0x80; L1 advances
# L2's RIP at each exit and resumes it, N times (N on the multiboot
# command line).  Boot, setup and teardown cost the same at every N, so
# the figure is N / (time at N - time at 0), medians of BARE_RUNS runs
# each (alternating, so both see the same load).  Prints "bench:
# nested-exits VALUE exits/s (VENDOR ...)" for each vendor.
#
# Arguments: -s a short smoke run (N / 10); -Q is accepted (no QEMU
# peer here: QEMU TCG has no VMX or SVM for its guests).
# Environment: BENCH_BUILDDIR (the build directory), TESTDATA_DIR,
# BARE_RUNS (3), BARE_N_INTEL (20000), BARE_N_AMD (100000).

set -u
builddir=${BENCH_BUILDDIR:-.}
testdata=${TESTDATA_DIR:-$builddir/testdata}
runs=${BARE_RUNS:-3}
n_intel=${BARE_N_INTEL:-20000}
n_amd=${BARE_N_AMD:-100000}
for a in "$@"; do
	case $a in
	-s) n_intel=$((n_intel / 10)); n_amd=$((n_amd / 10)); runs=1 ;;
	-Q) ;;
	*) echo "usage: bench_bare [-s] [-Q]" >&2; exit 2 ;;
	esac
done

# Seconds one run of the guest takes with N exits; FAIL unless it ended
# through port 0xF4 with 0 (exit status 1).
run_once() {
	local vendor=$1 bin=$2 n=$3 start t st
	start=$EPOCHREALTIME
	"$builddir/vmmsim" run --bare-metal --vendor "$vendor" \
	    --append "$n" -k "$bin" >/dev/null 2>&1 </dev/null
	st=$?
	t=$EPOCHREALTIME
	if [ $st -ne 1 ]; then
		echo FAIL
		return 1
	fi
	awk "BEGIN { printf \"%.4f\n\", $t - $start }"
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_vendor() {
	local vendor=$1 bin=$2 n=$3 what=$4 i z t zs=() ts=()
	for i in $(seq 1 "$runs"); do
		z=$(run_once "$vendor" "$bin" 0) || { echo "bench: nested-exits FAIL ($vendor, N 0)"; return 1; }
		t=$(run_once "$vendor" "$bin" "$n") || { echo "bench: nested-exits FAIL ($vendor, N $n)"; return 1; }
		zs+=("$z")
		ts+=("$t")
	done
	z=$(median "${zs[@]}")
	t=$(median "${ts[@]}")
	echo "# $vendor: $n exits in $t s, N 0 in $z s (runs: ${ts[*]} / ${zs[*]})"
	awk "BEGIN { d = $t - $z; if (d <= 0) d = 0.0001;
	    printf \"bench: nested-exits %.0f exits/s ($vendor: $what)\n\", $n / d }"
}

fail=0
bench_vendor intel "$testdata/bench_nested_vmx.bin" "$n_intel" \
    "L1 does VMREAD x3, VMWRITE, VMRESUME per exit" || fail=1
bench_vendor amd "$testdata/bench_nested_svm.bin" "$n_amd" \
    "L1 does VMRUN per exit" || fail=1
exit $fail
