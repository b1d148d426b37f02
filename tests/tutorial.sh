#!/bin/sh
# docs/tutorial.md's commands print what it shows (tests/tutorial.py).
# Run from the build directory (make check does); VMMSIM_REGOLD=1
# rewrites the document's outputs instead of comparing.
srcdir=$(cd "$(dirname "$0")/.." && pwd)
if [ "${VMMSIM_REGOLD:-0}" = 1 ]; then
	exec python3 "$srcdir/tests/tutorial.py" --update \
	    "$srcdir/docs/tutorial.md" "${BUILDDIR:-.}"
fi
exec python3 "$srcdir/tests/tutorial.py" "$srcdir/docs/tutorial.md" \
    "${BUILDDIR:-.}"
