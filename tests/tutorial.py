#!/usr/bin/env python3
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
# Runs the commands of a Markdown document and compares what they print
# with what the document shows.  Every ```console block is a session: a
# line "$ COMMAND" is run with sh (stdout and stderr together), in one
# scratch directory for the whole document, with the build directory's
# vmmsim first in PATH and testdata/ and tests/ linked from it; the lines
# up to the next "$ " are its output.  With --update the document's
# outputs are rewritten instead (then review the diff by hand).
#
#	tutorial.py [--update] DOC BUILDDIR

import os
import subprocess
import sys
import tempfile


def parse(lines):
    """The document as text pieces and console sessions, in order."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].rstrip("\n") != "```console":
            out.append(("text", lines[i]))
            i += 1
            continue
        out.append(("text", lines[i]))
        i += 1
        cmds = []
        while i < len(lines) and lines[i].rstrip("\n") != "```":
            line = lines[i].rstrip("\n")
            if line.startswith("$ "):
                cmds.append([line[2:], []])
            elif cmds:
                cmds[-1][1].append(line)
            else:
                sys.exit("a console block must start with '$ ': %r" % line)
            i += 1
        out.append(("session", cmds))
        if i < len(lines):
            out.append(("text", lines[i]))
            i += 1
    return out


def run(cmd, cwd, env):
    p = subprocess.run(["sh", "-c", cmd], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    return p.stdout.decode("utf-8", "replace").splitlines()


def main():
    args = sys.argv[1:]
    update = bool(args) and args[0] == "--update"
    if update:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: tutorial.py [--update] DOC BUILDDIR")
    doc, build = args[0], os.path.abspath(args[1])
    with open(doc) as f:
        pieces = parse(f.readlines())
    env = dict(os.environ)
    env["PATH"] = build + os.pathsep + env.get("PATH", "")
    env.pop("VMMSIM_TRACE", None)
    env.pop("VMMSIM_CHECK_TLB", None)
    failed = 0
    ncmds = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.join(build, "testdata"),
                   os.path.join(tmp, "testdata"))
        os.symlink(os.path.join(build, "tests"), os.path.join(tmp, "tests"))
        for kind, val in pieces:
            if kind != "session":
                continue
            for c in val:
                got = run(c[0], tmp, env)
                ncmds += 1
                if got == c[1]:
                    continue
                if update:
                    c[1] = got
                    continue
                failed += 1
                print("FAIL: $ %s" % c[0])
                for l in c[1]:
                    if l not in got:
                        print("- " + l)
                for l in got:
                    if l not in c[1]:
                        print("+ " + l)
    if update:
        with open(doc, "w") as f:
            for kind, val in pieces:
                if kind == "text":
                    f.write(val)
                    continue
                for cmd, outl in val:
                    f.write("$ " + cmd + "\n")
                    for l in outl:
                        f.write(l + "\n")
        print("%s: %d commands run, outputs rewritten" % (doc, ncmds))
        return 0
    if failed:
        print("%s: %d of %d commands print something else" %
              (doc, failed, ncmds))
        return 1
    print("%s: all %d commands print what it shows" % (doc, ncmds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
