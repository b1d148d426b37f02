#!/bin/sh
# Determinism, the long form: the same guest (testdata/snap_rom.bin: PIT
# interrupts, RTC reads, spinning and halting, SSE and x87 state) run 100
# times per vendor, three VMs at a time in parallel processes, must give
# byte-identical console output and the same final state hash every time.
# Then the same guest as four VMs at a time on threads of one process
# (tests/check_threads, 50 rounds: 100 runs per vendor), each compared
# with a lone run.
set -u
vmmsim=${BUILDDIR:-.}/vmmsim
rom=${BUILDDIR:-.}/testdata/snap_rom.bin
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
one() {	# vendor, n
	"$vmmsim" run --bios "$rom" -m 16M --vendor "$1" --state-hash \
	    >"$tmp/$1.$2.out" 2>"$tmp/$1.$2.err"
	echo $? >>"$tmp/$1.$2.out"
	grep 'state hash' "$tmp/$1.$2.err" >>"$tmp/$1.$2.out"
}
for v in intel amd; do
	i=1
	while [ $i -le 100 ]; do
		one $v $i & one $v $((i + 1)) & one $v $((i + 2)) &
		wait
		i=$((i + 3))
	done
	n=$(cat "$tmp"/$v.*.out | sort | uniq -c | wc -l)
	runs=$(ls "$tmp"/$v.*.out | wc -l)
	first=$tmp/$v.1.out
	same=0
	for f in "$tmp"/$v.*.out; do
		cmp -s "$f" "$first" && same=$((same + 1))
	done
	echo "determinism: $v: $same of $runs runs identical"
	[ $same -eq $runs ] || fail=1
	grep -q 'state hash' "$first" || fail=1
done
threads=${BUILDDIR:-.}/tests/check_threads
if [ -x "$threads" ]; then
	VMMSIM_THREADS_ROUNDS=50 CK_FORK=yes "$threads" >"$tmp/threads.out" \
	    2>&1 || fail=1
	grep '^threads:' "$tmp/threads.out" || { cat "$tmp/threads.out"; fail=1; }
	grep -q 'intel: 100 of 100 .* amd: 100 of 100' "$tmp/threads.out" || \
	    fail=1
else
	echo "determinism: $threads not built (make check builds it)"
	fail=1
fi
exit $fail
