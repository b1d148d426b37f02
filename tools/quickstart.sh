#!/bin/sh
# Quick start on a fresh Debian bookworm machine, as root: install the
# dependencies, configure, build, and run the demo.  Idempotent.
set -eu
cd "$(dirname "$0")/.."

sh tools/install-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
echo
echo "== vmmsim demo"
./vmmsim exercise
echo
echo "== vmmsim run --bios testdata/boot64.bin (the bundled demo guest)"
# The guest ends by writing 0 to the debug-exit port: status (0 << 1) | 1,
# QEMU's isa-debug-exit convention.
status=0
./vmmsim run -v --bios testdata/boot64.bin || status=$?
if [ "$status" -ne 1 ]; then
	echo "quickstart: the demo guest ended with status $status, not 1" >&2
	exit 1
fi
echo "quickstart: the demo guest booted and exited cleanly"

