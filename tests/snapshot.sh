#!/bin/sh
# Snapshots (docs/snapshot-format.md), on both vendors: a run to the end
# and a run restored from a snapshot taken on the way end in the same
# state (--state-hash) with the same console output from there; a bad
# snapshot is refused (status 1, a message), never a crash.  And the
# same guest run several times is the same every time.
set -u
vmmsim=${BUILDDIR:-.}/vmmsim
rom=${BUILDDIR:-.}/testdata/snap_rom.bin
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

run() {	# vendor, extra args...; output in $tmp/out, hash line in $tmp/hash
	v=$1; shift
	"$vmmsim" run --bios "$rom" -m 16M --vendor "$v" --state-hash "$@" \
	    >"$tmp/out" 2>"$tmp/err"
	echo $? >"$tmp/rc"
	grep 'state hash' "$tmp/err" | sed 's/.*state hash //' >"$tmp/hash"
}

refused() {	# what, vendor, args...: must say "refused" and exit 1
	what=$1; v=$2; shift 2
	"$vmmsim" run --bios "$rom" -m 16M --vendor "$v" "$@" \
	    >/dev/null 2>"$tmp/rerr"
	rc=$?
	[ $rc -eq 1 ] || bad "$what: status $rc, not 1"
	grep -q 'refused' "$tmp/rerr" || bad "$what: no refusal message: \
$(cat "$tmp/rerr")"
}

for v in intel amd; do
	run $v
	[ "$(cat "$tmp/rc")" = 1 ] || bad "$v: full run status $(cat "$tmp/rc")"
	cp "$tmp/out" "$tmp/full.out"
	cp "$tmp/hash" "$tmp/full.hash"
	[ -s "$tmp/full.hash" ] || bad "$v: no state hash"
	for t in 1ms 50ms 150ms; do
		run $v --snapshot-at "$t:$tmp/s.snap"
		cmp -s "$tmp/out" "$tmp/full.out" || bad "$v $t: taking a \
snapshot changed the output"
		cmp -s "$tmp/hash" "$tmp/full.hash" || bad "$v $t: taking a \
snapshot changed the state"
		run $v --restore "$tmp/s.snap"
		[ "$(cat "$tmp/rc")" = 1 ] || bad "$v $t: restored status \
$(cat "$tmp/rc")"
		cmp -s "$tmp/hash" "$tmp/full.hash" || bad "$v $t: restored \
run ended in state $(cat "$tmp/hash"), the full run in $(cat "$tmp/full.hash")"
		[ -s "$tmp/out" ] || bad "$v $t: the restored run printed nothing"
		full=$(cat "$tmp/full.out"); part=$(cat "$tmp/out")
		case "$full" in
		*"$part") ;;
		*) bad "$v $t: restored output '$part' is not the end of \
'$full'" ;;
		esac
	done
	cp "$tmp/s.snap" "$tmp/$v.snap"
	# Same guest, same inputs: the same, every time.
	for i in 1 2 3; do
		run $v
		cmp -s "$tmp/out" "$tmp/full.out" && \
		    cmp -s "$tmp/hash" "$tmp/full.hash" || \
		    bad "$v: run $i differs"
	done
done

s=$tmp/intel.snap
size=$(wc -c <"$s")
head -c $((size / 2)) "$s" >"$tmp/trunc.snap"
refused truncated intel --restore "$tmp/trunc.snap"
cp "$s" "$tmp/flip.snap"
printf '\001' | dd of="$tmp/flip.snap" bs=1 seek=$((size / 3)) conv=notrunc \
    2>/dev/null
refused corrupted intel --restore "$tmp/flip.snap"
cp "$s" "$tmp/ver.snap"
printf '\002' | dd of="$tmp/ver.snap" bs=1 seek=8 conv=notrunc 2>/dev/null
refused "other version" intel --restore "$tmp/ver.snap"
grep -q 'format version 2' "$tmp/rerr" || bad "old version: $(cat "$tmp/rerr")"
head -c 4096 /dev/zero >"$tmp/zero.snap"
refused garbage intel --restore "$tmp/zero.snap"
refused "empty file" intel --restore /dev/null
refused "wrong vendor" amd --restore "$s"
"$vmmsim" run --bios "$rom" -m 32M --vendor intel --restore "$s" \
    >/dev/null 2>"$tmp/rerr"
[ $? -eq 1 ] && grep -q 'memory size' "$tmp/rerr" || \
    bad "wrong memory size: $(cat "$tmp/rerr")"
"$vmmsim" run --bios "$rom" -m 16M --vendor intel --restore "$tmp/nonexist" \
    >/dev/null 2>&1
[ $? -eq 1 ] || bad "a missing snapshot file is not an error"
exit $fail
