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
# A short, bounded run of every libFuzzer target (make check-fuzz, and
# make check-long): one target at a time, one job, FUZZ_SECONDS each,
# starting from the seed corpus in fuzz/corpus/<target>/ (which is only
# read: new inputs go to a scratch directory).  Any crash, leak, timeout
# or sanitizer report fails the run and leaves the input in
# $BUILDDIR/fuzz/out/<target>/.
#
# Environment: BUILDDIR (where fuzz/fuzz_* are), FUZZ_SECONDS (default 30),
# FUZZ_TARGETS (names, default all).  Exit 77 = skipped: the targets were
# not built (they need CC=clang ./configure --enable-fuzzing).

set -u
builddir=${BUILDDIR:-.}
secs=${FUZZ_SECONDS:-30}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
targets=${FUZZ_TARGETS:-"fuzz_ioctl fuzz_vmentry fuzz_guest fuzz_loader_elf
    fuzz_loader_linux fuzz_loader_multiboot fuzz_loader_bios"}

if [ ! -x "$builddir/fuzz/fuzz_ioctl" ]; then
	echo "SKIP: fuzzing skipped: no fuzz targets in $builddir/fuzz" \
	    "(build them with CC=clang ./configure --enable-fuzzing)"
	exit 77
fi

fail=0
total=0
for t in $targets; do
	bin=$builddir/fuzz/$t
	out=$builddir/fuzz/out/$t
	rm -rf "$out" && mkdir -p "$out/corpus" || exit 1
	if [ ! -x "$bin" ]; then
		echo "FAIL: $t: $bin not built"
		fail=$((fail + 1))
		continue
	fi
	# Room for a few dozen ioctls, a page of guest code, VMCS writes.
	case $t in
	fuzz_ioctl)	maxlen=-max_len=4096 ;;
	fuzz_guest)	maxlen=-max_len=4400 ;;
	fuzz_vmentry)	maxlen=-max_len=512 ;;
	*)		maxlen= ;;
	esac
	# Leaks count (but Unicorn's own, as in the test suite); an input
	# slower than 10 s is a hang.  No alternate signal stack: copyin's
	# fault handler would run on it, and ASan, when siglongjmp leaves
	# an alternate stack, finds the thread's stack by reading
	# /proc/self/maps (half of fuzz_ioctl's time).  The cost: a stack
	# overflow kills the target without ASan's report (still a FAIL).
	LSAN_OPTIONS="suppressions=$srcdir/tests/lsan.supp:print_suppressions=0" \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:use_sigaltstack=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	    "$bin" -max_total_time="$secs" $maxlen -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$out/" \
	    "$out/corpus" "$srcdir/fuzz/corpus/$t" >"$out/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
	total=$((total + ${execs:-0}))
	if [ $rc -eq 0 ]; then
		echo "PASS: $t: ${execs:-?} executions in ${secs} s"
	else
		echo "FAIL: $t (exit $rc): input and log in $out"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$out/log" | head -5
		fail=$((fail + 1))
	fi
done
echo "fuzz: $total executions, $fail target(s) failed"
[ $fail -eq 0 ]
