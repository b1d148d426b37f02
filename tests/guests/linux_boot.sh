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
# A real guest nobody here wrote: Debian's kernel boots on the serial
# console into a busybox initramfs whose init prints a marker, loads the
# virtio modules, reads a file from the virtio disk, sleeps 2 s by its own
# clock (which must read 2 s, in a run of sane length) and reboots;
# vmmsim must then exit 0.  Run by make check-long, once per vendor with
# the kernel unpacked on the host, and once (Intel) with --guest-unpack,
# where the bzImage's decompressor runs in the guest.
#
# Environment: BUILDDIR (where vmmsim is), VMMSIM_GUEST_CACHE (packages
# and images; default $BUILDDIR/guest-cache).  Exit 77 = skipped.

set -u
builddir=${BUILDDIR:-.}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VMMSIM_GUEST_CACHE:-$builddir/guest-cache}

sh "$srcdir/tests/guests/mklinux.sh" "$cache"
rc=$?
if [ $rc -eq 77 ]; then
	echo "SKIP: linux_boot: the package archive is unreachable"
	exit 77
fi
[ $rc -eq 0 ] || exit 1

pass=0
fail=0
# Both vendors with the kernel unpacked on the host (the default), and
# Intel once more with --guest-unpack: the bzImage's own decompressor.
for run in intel amd intel-guest-unpack; do
	vendor=${run%%-*}
	unpack=
	[ $run = intel-guest-unpack ] && unpack=--guest-unpack
	out=$cache/linux-$run.log
	timeout 1500 "$builddir/vmmsim" run -v --vendor $vendor -m 256M \
	    $unpack -k "$cache/vmlinuz" --initrd "$cache/initrd.gz" \
	    -d "$cache/disk.img" \
	    --append "console=ttyS0 panic=-1 vmmsim_sleep" \
	    > "$out" 2>&1 </dev/null	# no console input: halts are not paced
	status=$?
	# The guest's clock across its 2 s sleep (VMMSIM-SLEEP: t0 t1, from
	# /proc/uptime), and the run's device time from -v ("N ns (of which
	# ..."): the guest sleeps in HLT, and its clock must move on with
	# device time, not stand still until the next instruction retires.
	slept=$(sed -n 's/^VMMSIM-SLEEP: \([0-9.]*\) \([0-9.]*\).*/\1 \2/p' \
	    "$out" | awk '{ printf "%d", ($2 - $1) * 1000 }')
	devns=$(sed -n 's/.*boot 1: .*, \([0-9]*\) ns (of which.*/\1/p' "$out")
	clock_ok=0
	if [ -n "$slept" ] && [ -n "$devns" ] && [ "$slept" -ge 2000 ] &&
	    [ "$slept" -lt 2500 ] && [ "$devns" -lt 60000000000 ]; then
		clock_ok=1
	fi
	# Who unpacked the kernel: the TSC cycles (1 GHz) the guest ran
	# before the kernel's clock started, as kvm-clock reports them.
	# The decompressor takes billions; unpacked on the host, the
	# kernel starts within a fraction of a second.
	before=$(sed -n 's/.*using sched offset of \([0-9]*\) cycles.*/\1/p' \
	    "$out")
	unpack_ok=0
	if [ -n "$before" ]; then
		if [ -n "$unpack" ] && [ "$before" -gt 1000000000 ]; then
			unpack_ok=1
		elif [ -z "$unpack" ] && [ "$before" -lt 1000000000 ]; then
			unpack_ok=1
		fi
	fi
	if grep -q "open /dev/vmm: Operation not supported\|No such device" \
	    "$out" && [ $vendor = amd ]; then
		echo "SKIP: linux_boot ($vendor): the monitor has no AMD mode yet"
		continue
	fi
	if [ $status -eq 0 ] && [ $clock_ok -eq 1 ] && [ $unpack_ok -eq 1 ] &&
	    grep -q "VMMSIM-INIT: init is running" "$out" &&
	    grep -q "VMMSIM-DISK: read from the virtio disk by the guest" \
	    "$out"; then
		echo "PASS: linux_boot ($run): init ran, read the disk, slept" \
		    "${slept} ms by its clock in a run of ${devns} ns, rebooted;" \
		    "$before cycles before the kernel's clock"
		pass=$((pass + 1))
	else
		echo "FAIL: linux_boot ($run): status $status, slept" \
		    "'${slept}' ms by its clock, run '${devns}' ns," \
		    "'$before' cycles before the kernel's clock; last lines:"
		tail -n 25 "$out"
		fail=$((fail + 1))
	fi
done
echo "linux_boot: $pass passed, $fail failed"
[ $fail -eq 0 ]
