#!/bin/sh
# Install everything vmmsim needs to build, test and benchmark on Debian
# bookworm.  Run as root.  Idempotent.
#
# Unicorn 2.1 or newer is required (bookworm ships 2.0.1, which identity-maps
# guest-virtual addresses and cannot run a paging guest).  Debian trixie's
# libunicorn2t64/libunicorn-dev 2.1.1 install cleanly on bookworm (they need
# only libc6 >= 2.34), so we add a trixie apt source pinned so that nothing
# but those two packages can come from it.  The archive address is taken from
# the machine's own apt configuration rather than written down here.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Find the Debian archive URI this machine already uses.
archive_uri() {
	uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^(bookworm|trixie|stable)$/) s = 1 }
			/^$/ { if (u != "" && s) { print u; exit } u = ""; s = 0 }
			END { if (u != "" && s) print u }' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 ~ / (bookworm|stable) / {
			for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp|file|mirror\+https?):/) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	echo "$uri"
}

need_trixie=1
if dpkg-query -W -f='${Version}' libunicorn-dev 2>/dev/null | grep -q '^2\.\(1\|[2-9]\)'; then
	need_trixie=0
fi

if [ "$need_trixie" -eq 1 ]; then
	uri=$(archive_uri)
	echo "install-deps: using archive $uri for trixie's Unicorn 2.1"
	cat > /etc/apt/sources.list.d/vmmsim-trixie.sources <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	cat > /etc/apt/preferences.d/vmmsim-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: -1

Package: libunicorn-dev libunicorn2t64
Pin: release n=trixie
Pin-Priority: 990
PIN
fi

apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	nasm libzydis-dev libuv1-dev liblzma-dev check \
	libunicorn-dev libunicorn2t64 \
	valgrind clang libclang-rt-14-dev \
	qemu-system-x86 seabios busybox-static cpio gzip ca-certificates mandoc

ver=$(dpkg-query -W -f='${Version}' libunicorn-dev)
echo "install-deps: libunicorn-dev $ver"
