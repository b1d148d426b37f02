#!/bin/sh
# The manual pages have no mandoc warnings or errors (skipped without
# mandoc).
srcdir=$(cd "$(dirname "$0")/.." && pwd)
command -v mandoc > /dev/null 2>&1 || exit 77
mandoc -Tlint -Wwarning "$srcdir/man/vmmsim.1" "$srcdir/man/vmm.4"
