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
# The Linux guest of linux_boot.sh recorded (vmmsim run --record, with a
# checkpoint every virtual second), driven with a line of console input
# that the init script reads and echoes, and replayed ten times
# (LINUX_REPLAYS) on each vendor: the replays must match every checkpoint,
# the final one (registers, device and memory hashes) and the end (status
# 0), and write the recorded serial output byte for byte.  The disk is
# given read-only, so that its hash is the same for the replays.

set -u
builddir=${BUILDDIR:-.}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}

sh "$srcdir/tests/guests/mklinux.sh" "$cache"
rc=$?
if [ $rc -eq 77 ]; then
	echo "SKIP: linux_replay: the package archive is unreachable"
	exit 77
fi
[ $rc -eq 0 ] || exit 1

tmp=$(mktemp -d /tmp/vmmsim-linux-replay-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
replays=${LINUX_REPLAYS:-10}
input="hello-from-the-console"
pass=0
fail=0
for vendor in intel amd; do
	log=$tmp/$vendor.vrl
	rm -f "$tmp/in" "$tmp/rec.out" "$tmp/rec.status"
	mkfifo "$tmp/in" || exit 1
	(
		timeout 1500 "$builddir/vmmsim" run --vendor $vendor -m 256M \
		    -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
		    -d "ro:$cache/disk.img" --append "console=ttyS0 panic=-1 vmmsim_input" \
		    --record "$log" --checkpoint-time 1s \
		    < "$tmp/in" > "$tmp/rec.out" 2> "$tmp/rec.err"
		echo $? > "$tmp/rec.status"
	) &
	exec 7> "$tmp/in"
	# The line goes in once the init script is about to read it (the
	# vmmsim_input on its command line makes it wait for one), as a user
	# would type it.
	i=0
	while [ $i -lt 1500 ] && [ ! -f "$tmp/rec.status" ] &&
	    ! grep -q "VMMSIM-DISK" "$tmp/rec.out" 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
	printf '%s\n' "$input" >&7
	exec 7>&-
	wait
	status=$(cat "$tmp/rec.status")
	ok=1
	if [ "$status" != 0 ] ||
	    ! grep -q "VMMSIM-INPUT: $input" "$tmp/rec.out"; then
		echo "FAIL: linux_replay ($vendor): the recording: status" \
		    "$status, input line seen:" \
		    "$(grep VMMSIM-INPUT "$tmp/rec.out" || echo no)"
		tail -n 5 "$tmp/rec.err"
		ok=0
	fi
	round=1
	while [ $ok -eq 1 ] && [ $round -le "$replays" ]; do
		timeout 1500 "$builddir/vmmsim" replay "$log" \
		    > "$tmp/rep.out" 2> "$tmp/rep.err"
		status=$?
		if [ $status -ne 0 ] || ! cmp -s "$tmp/rec.out" "$tmp/rep.out"
		then
			echo "FAIL: linux_replay ($vendor): replay $round:" \
			    "status $status"
			tail -n 5 "$tmp/rep.err"
			ok=0
		fi
		round=$((round + 1))
	done
	if [ $ok -eq 1 ]; then
		echo "PASS: linux_replay ($vendor): recorded with console" \
		    "input, replayed $replays times: same serial output," \
		    "every checkpoint and the final state matched"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "linux_replay: $pass passed, $fail failed"
[ $fail -eq 0 ]
