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
# Benchmark group "boot": linux-boot, the wall time from start to the
# init script's first line for Debian's kernel and a busybox initramfs,
# under vmmsim and under QEMU TCG with the same kernel, initramfs, disk,
# memory and command line, in the same run.  Prints "bench: NAME VALUE
# UNIT" lines and "ratio R vs PEER" (vmmsim time / QEMU time; lower is
# better, the target is <= 1.5).
#
# Environment: BENCH_BUILDDIR (the build directory), VMMSIM_GUEST_CACHE
# (where tests/guests/mklinux.sh keeps the packages and images).

set -u
builddir=${BENCH_BUILDDIR:-.}
srcdir='%%SRCDIR%%'		# substituted by make
case $srcdir in
%%*) srcdir=$(cd "$(dirname "$0")/.." && pwd) ;;
esac
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}
marker="VMMSIM-INIT: init is running"
append="console=ttyS0 panic=-1"
mem=256

sh "$srcdir/tests/guests/mklinux.sh" "$cache" >&2
case $? in
0) ;;
77) echo "bench: linux-boot skipped (package archive unreachable)"; exit 0 ;;
*) exit 1 ;;
esac

# Run "$@" and print the seconds until the marker line appears (or FAIL).
time_to_marker() {
	local start line t
	start=$EPOCHREALTIME
	while IFS= read -r line; do
		case $line in
		*"$marker"*)
			t=$EPOCHREALTIME
			awk "BEGIN { printf \"%.3f\n\", $t - $start }"
			cat >/dev/null
			return 0
			;;
		esac
	done < <(timeout 1800 "$@" 2>&1 </dev/null)	# no console input: no paced halts
	echo FAIL
	return 1
}

# Median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The machine's load moves both figures; the runs alternate (vmmsim, QEMU,
# vmmsim, ...) so that both see the same conditions, and the medians of
# BOOT_RUNS runs each make the ratio.
runs=${BOOT_RUNS:-3}
haveqemu=1
command -v qemu-system-x86_64 >/dev/null || haveqemu=0
# vmmsim runs twice per round: as it boots a bzImage by default (the
# kernel unpacked on the host) and with --guest-unpack, where the guest
# runs the bzImage's decompressor as under QEMU: that ratio compares the
# two CPUs on the same guest work.
vs=() gs=() qs=()
for i in $(seq 1 "$runs"); do
	v=$(time_to_marker "$builddir/vmmsim" run -m ${mem}M \
	    -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
	    -d "$cache/disk.img" --append "$append")
	echo "# run $i: vmmsim $v s" >&2
	case $v in FAIL) echo "bench: linux-boot-vmmsim FAIL"; exit 1 ;; esac
	vs+=("$v")
	g=$(time_to_marker "$builddir/vmmsim" run -m ${mem}M --guest-unpack \
	    -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
	    -d "$cache/disk.img" --append "$append")
	echo "# run $i: vmmsim --guest-unpack $g s" >&2
	case $g in FAIL) echo "bench: linux-boot-vmmsim-guest-unpack FAIL"
		exit 1 ;; esac
	gs+=("$g")
	[ $haveqemu = 1 ] || continue
	q=$(time_to_marker qemu-system-x86_64 -accel tcg -m $mem -nographic \
	    -no-reboot -kernel "$cache/vmlinuz" -initrd "$cache/initrd.gz" \
	    -drive "file=$cache/disk.img,if=virtio,format=raw,readonly=on" \
	    -append "$append")
	echo "# run $i: qemu-tcg $q s" >&2
	case $q in FAIL) echo "bench: linux-boot-qemu-tcg FAIL"; exit 1 ;; esac
	qs+=("$q")
done
v=$(median "${vs[@]}")
g=$(median "${gs[@]}")
echo "# vmmsim runs: ${vs[*]}; with --guest-unpack: ${gs[*]}" >&2
echo "bench: linux-boot-vmmsim $v s"
echo "bench: linux-boot-vmmsim-guest-unpack $g s"
if [ $haveqemu = 0 ]; then
	echo "bench: linux-boot-qemu skipped (no qemu-system-x86_64)"
	exit 0
fi
q=$(median "${qs[@]}")
echo "# qemu-tcg runs: ${qs[*]}" >&2
echo "bench: linux-boot-qemu-tcg $q s"
awk "BEGIN { printf \"ratio %.2f vs qemu-tcg (linux-boot; target <= 1.5)\n\", $v / $q }"
awk "BEGIN { printf \"ratio %.2f vs qemu-tcg (linux-boot-guest-unpack: both guests run the decompressor)\n\", $g / $q }"
