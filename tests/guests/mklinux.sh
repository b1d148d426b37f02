#!/bin/sh
# Build the real-guest test inputs from Debian's packages: the kernel of
# linux-image-amd64, an initramfs around busybox-static with the virtio
# modules, and a raw disk whose first bytes are a tar archive holding one
# file.  Everything lands in $1 (a cache directory); packages are fetched
# with apt-get download only when absent.
#
# Exit status: 0 ready, 77 the package archive is unreachable (skip),
# 1 anything else.
set -eu

cache=${1:?usage: mklinux.sh CACHEDIR}
mkdir -p "$cache"
cd "$cache"

fetch() {
	# $1: package name; succeeds if a .deb for it is in the cache.
	if ls "$1"_*.deb >/dev/null 2>&1; then
		return 0
	fi
	if ! apt-get download "$1" >/dev/null 2>apt.err; then
		echo "mklinux: apt-get download $1 failed:" >&2
		cat apt.err >&2
		return 77
	fi
}

kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kpkg" ]; then
	echo "mklinux: apt-cache knows no linux-image-amd64" >&2
	exit 77
fi
fetch "$kpkg" || exit 77
fetch busybox-static || exit 77

# Bump when the images below change, so that caches are rebuilt.
stamp="mklinux 8"
if [ ! -f vmlinuz ] || [ ! -f initrd.gz ] || [ ! -f disk.img ] ||
    [ "$(cat stamp 2>/dev/null)" != "$stamp" ]; then
	rm -rf x root
	mkdir x root
	dpkg-deb -x "$(ls "$kpkg"_*.deb | head -1)" x
	dpkg-deb -x "$(ls busybox-static_*.deb | head -1)" x
	cp x/boot/vmlinuz-* vmlinuz
	mkdir -p root/bin root/lib/modules root/proc root/sys root/dev \
	    root/tmp
	cp x/bin/busybox root/bin/busybox
	for m in virtio_ring virtio virtio_pci_legacy_dev \
	    virtio_pci_modern_dev virtio_pci virtio_blk; do
		f=$(find x/lib/modules -name "$m.ko" | head -1)
		[ -n "$f" ] || { echo "mklinux: no $m.ko" >&2; exit 1; }
		cp "$f" root/lib/modules/
	done
	cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "VMMSIM-INIT: init is running"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
    virtio_pci virtio_blk; do
	insmod /lib/modules/$m.ko || echo "VMMSIM-INIT: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if tar -x -f /dev/vda -C /tmp hello.txt; then
	echo "VMMSIM-DISK: $(cat /tmp/hello.txt)"
else
	echo "VMMSIM-DISK: no file"
fi
# Two seconds of sleep when the command line asks for it (linux_boot.sh):
# the guest's own clock across it, from /proc/uptime, shows whether time
# moves on while the guest idles in HLT.
if grep -q vmmsim_sleep /proc/cmdline; then
	t0=$(cut -d' ' -f1 /proc/uptime)
	sleep 2
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "VMMSIM-SLEEP: $t0 $t1"
fi
# A line of console input when the command line asks for one
# (linux_replay.sh): the guest idles until it comes.
if grep -q vmmsim_input /proc/cmdline; then
	read line
	echo "VMMSIM-INPUT: $line"
fi
sync
echo "VMMSIM-INIT: rebooting"
# A hard reset through the PCI reset control register (port 0xCF9 = 3321):
# 0x02 then 0x06 (system reset, as the kernel's reboot=p method writes).
# The kernel's own reboot path (reboot -f) is the fallback.
printf '\002' | dd of=/dev/port bs=1 seek=3321 count=1 2>/dev/null
printf '\006' | dd of=/dev/port bs=1 seek=3321 count=1 2>/dev/null
reboot -f
INIT
	chmod +x root/init
	# The same bytes on every machine (no build-time mtimes, a sorted
	# archive, no name or time in the gzip header), so that every run of
	# the test boots the same guest, bit for bit.
	find root -exec touch -h -d @0 {} +
	(cd root && find . | LC_ALL=C sort |
	    cpio --reproducible -o -H newc -R 0:0 2>/dev/null) |
	    gzip -n -9 > initrd.gz
	echo "read from the virtio disk by the guest" > hello.txt
	touch -d @0 hello.txt
	x/bin/busybox tar -c -f disk.img hello.txt
	truncate -s 1M disk.img
	rm -rf x root hello.txt apt.err
	echo "$stamp" > stamp
fi
echo "mklinux: ready in $cache"
