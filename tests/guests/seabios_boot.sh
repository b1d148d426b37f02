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
# A real guest nobody here wrote: SeaBIOS from Debian's seabios package,
# from the reset vector, once per vendor.
#  1. No disk: SeaBIOS prints its banner and POST log on the 0x402 debug
#     console, "No bootable device" on COM1, waits its 60 s (virtual: the
#     guest is halted, so this takes no host time) and resets through
#     port 0xCF9; vmmsim exits 0.
#  2. A virtio disk holding testdata/mbr_boot.bin: SeaBIOS boots it; the
#     boot sector prints through INT 10h, reads sector 2 through INT 13h
#     (SeaBIOS's virtio-blk driver) and leaves through port 0xF4 with 0x2A
#     (status 85).  Run twice on Intel: the runs must be identical.
# Run by make check-long.
#
# Environment: BUILDDIR (where vmmsim is), VMMSIM_GUEST_CACHE (packages;
# default $BUILDDIR/guest-cache).  Exit 77 = skipped.

set -u
builddir=${BUILDDIR:-.}
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}
mbr=$builddir/testdata/mbr_boot.bin

mkdir -p "$cache" || exit 1
cache=$(cd "$cache" && pwd)
bios=$cache/seabios/usr/share/seabios/bios.bin
if [ ! -f "$bios" ]; then
	if ! ls "$cache"/seabios_*.deb >/dev/null 2>&1 &&
	    ! (cd "$cache" && apt-get download seabios >/dev/null \
	    2>"$cache/apt.err"); then
		echo "SKIP: seabios_boot: apt-get download seabios failed:"
		cat "$cache/apt.err"
		exit 77
	fi
	rm -rf "$cache/seabios"
	dpkg-deb -x "$(ls "$cache"/seabios_*.deb | head -n 1)" \
	    "$cache/seabios" || exit 1
fi
if [ ! -f "$bios" ] || [ ! -f "$mbr" ]; then
	echo "FAIL: seabios_boot: missing $bios or $mbr"
	exit 1
fi
disk=$cache/mbr-disk.img
cp "$mbr" "$disk" && truncate -s 1M "$disk" || exit 1

pass=0
fail=0
check() {
	# $1 name, $2 expected status, $3 status, $4 log, $5... markers
	name=$1 want=$2 got=$3 log=$4
	shift 4
	ok=1
	[ "$got" -eq "$want" ] || ok=0
	for m in "$@"; do
		grep -aq "$m" "$log" || ok=0
	done
	if [ $ok -eq 1 ]; then
		echo "PASS: seabios_boot ($name)"
		pass=$((pass + 1))
	else
		echo "FAIL: seabios_boot ($name): status $got (want $want); last lines:"
		tail -n 15 "$log"
		fail=$((fail + 1))
	fi
}

for vendor in intel amd; do
	log=$cache/seabios-$vendor.log
	timeout 600 "$builddir/vmmsim" run -v --vendor $vendor \
	    --max-time 120s --bios "$bios" < /dev/null > "$log" 2>&1
	check "$vendor, no disk" 0 $? "$log" "SeaBIOS (version" \
	    "No bootable device" "port 0xcf9 reset"

	log=$cache/seabios-disk-$vendor.log
	timeout 600 "$builddir/vmmsim" run -v --vendor $vendor \
	    --max-time 120s --bios "$bios" -d "$disk" < /dev/null > "$log" 2>&1
	check "$vendor, virtio disk" 85 $? "$log" "SeaBIOS (version" \
	    "Booting from Hard Disk" "VMMSIM-MBR: started by the BIOS" \
	    "VMMSIM-MBR: sector 2 read through INT 13h"
done

# Deterministic: the same run again gives the same output, virtual time
# and exit count.
log2=$cache/seabios-disk-intel-2.log
cp "$mbr" "$disk" && truncate -s 1M "$disk" || exit 1
timeout 600 "$builddir/vmmsim" run -v --vendor intel --max-time 120s \
    --bios "$bios" -d "$disk" < /dev/null > "$log2" 2>&1
if cmp -s "$cache/seabios-disk-intel.log" "$log2"; then
	echo "PASS: seabios_boot (intel, second run identical: $(grep -a 'boot 1:' "$log2" | sed 's/.*boot 1: //'))"
	pass=$((pass + 1))
else
	echo "FAIL: seabios_boot (intel, second run differs)"
	diff -a "$cache/seabios-disk-intel.log" "$log2" | head -n 10
	fail=$((fail + 1))
fi
echo "seabios_boot: $pass passed, $fail failed"
[ $fail -eq 0 ]
