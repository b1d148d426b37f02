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
# Snapshots of the Linux guest of linux_boot.sh, on each vendor: the boot
# run to its end, the same boot with a snapshot taken mid-boot (at
# SNAP_AT of device time, default 1 s of the about 1.6 s the boot takes
# with the kernel unpacked on the host: the kernel flushes its early
# messages when the serial console registers, at about 0.1 s, and prints
# on to its init at about 1.55 s, so 1 s is inside the kernel's start-up
# with output still to come), and a run restored from that snapshot.
# The run that took the snapshot must be the uninterrupted run
# byte for byte and end in its state; the restored run must end in the
# same state (--state-hash) and print exactly the end of the same output.
# The disk is read-only, so that the restore finds it as it was.
# VENDORS (default "intel amd") chooses the vendors; KEEP=DIR keeps the
# outputs of a failed vendor there.

set -u
builddir=${BUILDDIR:-.}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}
at=${SNAP_AT:-1s}

sh "$srcdir/tests/guests/mklinux.sh" "$cache"
rc=$?
if [ $rc -eq 77 ]; then
	echo "SKIP: linux_snapshot: the package archive is unreachable"
	exit 77
fi
[ $rc -eq 0 ] || exit 1

tmp=$(mktemp -d /tmp/vmmsim-linux-snapshot-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# vendor, name, extra args: stdout to $tmp/name.out, the hash line's
# value to $tmp/name.hash, the status to $tmp/name.rc.
boot() {
	v=$1 name=$2
	shift 2
	timeout 1500 "$builddir/vmmsim" run --vendor "$v" -m 256M \
	    -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
	    -d "ro:$cache/disk.img" --append "console=ttyS0 panic=-1" \
	    --state-hash "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	echo $? >"$tmp/$name.rc"
	sed -n 's/.*state hash //p' "$tmp/$name.err" >"$tmp/$name.hash"
}

pass=0
fail=0
for v in ${VENDORS:-intel amd}; do
	ok=1
	bad() { echo "FAIL: linux_snapshot ($v): $*"; ok=0; }
	boot $v full
	boot $v snap --snapshot-at "$at:$tmp/$v.snap"
	boot $v restored --restore "$tmp/$v.snap"
	[ "$(cat "$tmp/full.rc")" = 0 ] && grep -q VMMSIM-INIT "$tmp/full.out" ||
	    bad "the boot: status $(cat "$tmp/full.rc"): $(tail -n 3 "$tmp/full.err")"
	[ -s "$tmp/full.hash" ] || bad "no state hash"
	[ -s "$tmp/$v.snap" ] || bad "no snapshot written"
	cmp -s "$tmp/snap.out" "$tmp/full.out" ||
	    bad "taking the snapshot changed the output"
	cmp -s "$tmp/snap.hash" "$tmp/full.hash" ||
	    bad "taking the snapshot changed the state: $(cat "$tmp/snap.hash")"
	[ "$(cat "$tmp/restored.rc")" = 0 ] ||
	    bad "the restored run: status $(cat "$tmp/restored.rc"): $(tail -n 3 "$tmp/restored.err")"
	cmp -s "$tmp/restored.hash" "$tmp/full.hash" ||
	    bad "the restored run ended in $(cat "$tmp/restored.hash"), the boot in $(cat "$tmp/full.hash")"
	# The restored output is the end of the boot's, and not all of it.
	n=$(wc -c <"$tmp/restored.out")
	total=$(wc -c <"$tmp/full.out")
	tail -c "$n" "$tmp/full.out" | cmp -s - "$tmp/restored.out" ||
	    bad "the restored output is not the end of the boot's"
	[ "$n" -gt 0 ] && [ "$n" -lt "$total" ] ||
	    bad "the restored run printed $n of $total bytes"
	if [ $ok -eq 1 ]; then
		echo "PASS: linux_snapshot ($v): snapshot at $at, restored: \
$n of $total bytes of output, state $(cat "$tmp/full.hash")"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		[ -n "${KEEP:-}" ] && mkdir -p "$KEEP/$v" && cp "$tmp"/* "$KEEP/$v/"
	fi
done
echo "linux_snapshot: $pass passed, $fail failed"
[ $fail -eq 0 ]
