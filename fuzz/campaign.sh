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
# One long run of one libFuzzer target, for the counts in ROBUSTNESS.md:
# the flags of run.sh, pinned to one core, its own corpus directory
# (optionally seeded with an earlier run's), ending by -max_total_time so
# that LeakSanitizer's check at exit runs (an interrupted run skips it).
#
#   fuzz/campaign.sh TARGET SECONDS SEED CPU [EARLIER_CORPUS]
#
# Environment: BUILDDIR (the clang --enable-fuzzing tree, default .),
# OUT (default /tmp/campaign).  The run goes to $OUT/TARGET-SEED/ (log,
# corpus, any finding); the count is the log's
# stat::number_of_executed_units.  Never beside CI or another job on the
# same core: the 10 s timeout is wall time.

set -u
[ $# -ge 4 ] || { echo "usage: $0 target seconds seed cpu [corpus]" >&2; exit 2; }
t=$1 secs=$2 seed=$3 cpu=$4 from=${5:-}
builddir=${BUILDDIR:-.}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-/tmp/campaign}/$t-$seed
[ -e "$out" ] && { echo "$out exists" >&2; exit 1; }
mkdir -p "$out/corpus" || exit 1
[ -n "$from" ] && cp "$from"/* "$out/corpus/"
case $t in
fuzz_ioctl)	maxlen=-max_len=4096 ;;
fuzz_guest)	maxlen=-max_len=4400 ;;
fuzz_vmentry)	maxlen=-max_len=512 ;;
*)		maxlen= ;;
esac
LSAN_OPTIONS="suppressions=$srcdir/tests/lsan.supp:print_suppressions=0" \
ASAN_OPTIONS=detect_leaks=1:use_sigaltstack=0 \
UBSAN_OPTIONS=print_stacktrace=1 \
    taskset -c "$cpu" "$builddir/fuzz/$t" -seed="$seed" \
    -max_total_time="$secs" $maxlen -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/" \
    "$out/corpus" "$srcdir/fuzz/corpus/$t" >"$out/log" 2>&1
rc=$?
echo "$t seed $seed: $(sed -n 's/^stat::number_of_executed_units: *//p' \
    "$out/log") executions, exit $rc" | tee -a "$out/log"
exit $rc
