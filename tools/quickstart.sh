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
echo "== vmmsim demo guest"
exec ./vmmsim demo
