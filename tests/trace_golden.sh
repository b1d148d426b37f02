#!/bin/sh
# Golden-output tests of vmmsim trace, vmcs and ept on the demo guest,
# on both vendors: the outputs were reviewed by hand once and are pinned
# in tests/golden/.  Run from the build directory (make check does);
# VMMSIM_REGOLD=1 writes the goldens instead of comparing.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
vmmsim=${BUILDDIR:-.}/vmmsim
golden=$srcdir/tests/golden
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

check() {	# name, command...
	name=$1
	shift
	if ! "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
		echo "FAIL $name: exit status $? ($(cat "$tmp/$name.err"))"
		fail=1
		return
	fi
	if [ "${VMMSIM_REGOLD:-0}" = 1 ]; then
		cp "$tmp/$name.out" "$golden/$name.txt"
	elif ! diff -u "$golden/$name.txt" "$tmp/$name.out"; then
		echo "FAIL $name: differs from tests/golden/$name.txt"
		fail=1
		return
	fi
	echo "ok $name"
}

for v in intel amd; do
	if [ $v = intel ]; then s2=6; else s2=7; fi
	t=$tmp/demo-$v.vmt
	if ! "$vmmsim" demo --vendor $v --trace "$t" --snap 2,$s2 \
	    > "$tmp/demo-$v.out"; then
		echo "FAIL demo-$v: the traced demo did not run"
		exit 1
	fi
	check trace-$v "$vmmsim" trace "$t"
	check trace-$v-json "$vmmsim" trace --json "$t"
	check trace-$v-reason "$vmmsim" trace --reason EPT_VIOLATION \
	    --reason npf --reason SVM_VMEXIT_MSR "$t"
	check vmcs-$v "$vmmsim" vmcs "$t" --exit 2
	check vmcs-$v-diff "$vmmsim" vmcs "$t" --exit 2 --diff $s2
	check ept-$v-missing "$vmmsim" ept "$t" --exit 2 --access w 0x1000
	check ept-$v-mapped "$vmmsim" ept "$t" --exit $s2 --access x \
	    0xffff0163
	# The picture: parses, and its bins and histogram hold every exit.
	n=$(wc -l < "$tmp/trace-$v.out")
	if "$vmmsim" trace "$t" --svg "$tmp/$v.svg" &&
	    python3 "$srcdir/tests/svgcheck.py" "$tmp/$v.svg" "$n"; then
		echo "ok svg-$v"
	else
		echo "FAIL svg-$v"
		fail=1
	fi
	size=$(wc -c < "$tmp/$v.svg")
	if [ "$size" -gt 200000 ]; then
		echo "FAIL svg-$v: $size bytes"
		fail=1
	fi
	# Every JSON line parses and agrees with the text lines' count.
	if python3 -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert d["vendor"] == sys.argv[2] and d["seq"] == n, line
    n += 1
assert n == int(sys.argv[3]), n' "$tmp/trace-$v-json.out" $v "$n"; then
		echo "ok json-parses-$v"
	else
		echo "FAIL json-parses-$v"
		fail=1
	fi
done

# A failed VM entry explains itself: a client writes a register state the
# entry checks (Intel) or VMRUN's consistency checks (AMD) refuse.
badentry=${BUILDDIR:-.}/tests/clients/badentry_inproc
for c in intel:cr0-pg-no-pe amd:lme-no-pae amd:efer-reserved; do
	v=${c%%:*}
	case=${c#*:}
	t=$tmp/entry-$v-$case.vmt
	if ! VMMSIM_CPU=$v VMMSIM_TRACE=$t "$badentry" "$case" \
	    > "$tmp/entry.out" 2>&1; then
		echo "FAIL badentry $v $case: RUN did not fail with EINVAL"
		cat "$tmp/entry.out"
		fail=1
		continue
	fi
	check entryfail-$v-$case "$vmmsim" trace "$t"
done
check entryfail-amd-lme-no-pae-json "$vmmsim" trace --json \
    "$tmp/entry-amd-lme-no-pae.vmt"
check entryfail-intel-reason "$vmmsim" trace --reason entry-failure \
    "$tmp/entry-intel-cr0-pg-no-pe.vmt"

# The TLB checked mode: a guest remaps a global page without INVLPG and
# reads it again after an exit; the stale translation is reported in the
# trace (and the guest reads the stale byte, as on hardware).
for v in intel amd; do
	t=$tmp/stale-$v.vmt
	"$vmmsim" run --bios "${BUILDDIR:-.}/testdata/stale_tlb.bin" -m 2M \
	    --vendor $v --check-tlb --trace "$t" > "$tmp/stale-$v.out" 2>&1
	if ! grep -q "remapped to B:  A" "$tmp/stale-$v.out" ||
	    ! grep -q "after INVLPG:   B" "$tmp/stale-$v.out"; then
		echo "FAIL stale-$v: the guest did not read A, then B"
		cat "$tmp/stale-$v.out"
		fail=1
	fi
	check stale-$v "$vmmsim" trace --reason stale-tlb "$t"
	# Without --check-tlb the same run records no report.
	"$vmmsim" run --bios "${BUILDDIR:-.}/testdata/stale_tlb.bin" -m 2M \
	    --vendor $v --trace "$tmp/nocheck.vmt" > /dev/null 2>&1
	if [ -n "$("$vmmsim" trace --reason stale-tlb "$tmp/nocheck.vmt")" ]
	then
		echo "FAIL stale-$v: a report without --check-tlb"
		fail=1
	fi
done
check stale-intel-json "$vmmsim" trace --json --reason stale-tlb \
    "$tmp/stale-intel.vmt"

# The README's picture of a SeaBIOS run accounts for every exit it claims.
n=$(grep -o 'data-exits="[0-9]*"' "$srcdir/docs/seabios-exits.svg" |
    tr -dc 0-9)
if python3 "$srcdir/tests/svgcheck.py" "$srcdir/docs/seabios-exits.svg" \
    "$n" > /dev/null; then
	echo "ok seabios-svg"
else
	echo "FAIL docs/seabios-exits.svg does not add up"
	fail=1
fi

# Errors: no snapshot at that exit, not a trace, bad usage.
t=$tmp/demo-intel.vmt
if "$vmmsim" vmcs "$t" --exit 3 > /dev/null 2>&1; then
	echo "FAIL vmcs of an exit without a snapshot succeeded"
	fail=1
fi
if "$vmmsim" trace "$srcdir/tests/golden/trace-intel.txt" > /dev/null 2>&1
then
	echo "FAIL a text file was read as a trace"
	fail=1
fi
head -c 3000 "$t" > "$tmp/short.vmt"
if "$vmmsim" trace "$tmp/short.vmt" > /dev/null 2>&1; then
	echo "FAIL a truncated trace was read to the end"
	fail=1
fi
exit $fail
