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
# Writes the seed corpora fuzz/corpus/<target>/ (they are checked in; run
# this again only when a target's input format changes).  Each seed is
# spelt in the choices its target reads (see the fz_* calls there), so the
# fuzzer starts from inputs that get past argument checks and run a guest.
#
#   fuzz/mkseeds.py SRCDIR BUILDDIR   (BUILDDIR has testdata/*.bin)

import os
import struct
import sys

src, build = sys.argv[1], sys.argv[2]
out = os.path.join(src, 'fuzz', 'corpus')


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# 32-bit code: OUT to COM1, IN, HLT, then OUT in a loop.
PM_CODE = bytes.fromhex('66BAF803B041EEECF4EEEBFD').ljust(64, b'\x90')


def ioctl_seed(h, runs=3, inject=None, code=PM_CODE):
    """CREATE two ranges 0xF0000-0xFFFFF on handle h, RESETCPU flat32 at
    0xF8000 (where the code is), then RUN."""
    b = bytearray([0])
    b += bytes([h, 0, 7, 1, 1, 1])                 # create, 2 ranges
    b += bytes([0, 2, 7, 1, 0, 1, 1, 1])           # 0xF0000, 8 pages
    b += bytes([2, 7, 1, 0, 1, 0]) + code + bytes([1])  # next 8, code
    b += bytes([1]) + b'seedvm\0\0'
    b += bytes([h, 7, 0, 0, 1]) + struct.pack('<I', 0xF8000) + bytes([0, 1])
    for i in range(runs):
        b += bytes([h, 2, 0, 0])
        if inject is not None and i == 1:
            b += bytes([0, inject[0]]) + struct.pack('<I', 0) + \
                bytes([inject[1]])
        else:
            b += bytes([1])
        b += bytes([0, 5, 1])
    return bytes(b)


put('fuzz_ioctl', 'intel_run', ioctl_seed(0))
put('fuzz_ioctl', 'amd_run', ioctl_seed(1))
put('fuzz_ioctl', 'intel_inject_intr', ioctl_seed(0, 4, (0x20, 1)))
put('fuzz_ioctl', 'amd_inject_ex', ioctl_seed(1, 4, (0x0D, 2)))
# Then READREGS, WRITEREGS (all), INFO, TERM.
tail = bytes([0, 8, 0, 0, 0x1F, 1, 0, 9, 0, 0, 1, 0x1F, 4, 0, 0, 1,
              0, 6, 3, 1, 0, 5, 0, 1])
put('fuzz_ioctl', 'intel_regs_info_term', ioctl_seed(0, 1) + tail)
put('fuzz_ioctl', 'amd_sharemem', ioctl_seed(1, 1) +
    bytes([1, 11, 1, 0, 1, 1, 1, 1]))

# fuzz_vmentry / fuzz_guest: mode byte, then their fields.
RM_CODE = bytes.fromhex('BAF803B041EE0FA2F4EBFE')
LM_CODE = bytes.fromhex('0FA2B9800000C00F320F31E6800F01C1F4EBFE')
codes = [RM_CODE, PM_CODE[:16], LM_CODE]
for mode, name in enumerate(['real', 'prot', 'long']):
    # no writes: a clean launch, and two exits
    put('fuzz_vmentry', name, bytes([mode]) + codes[mode].ljust(32, b'\x90')
        + bytes([0]) + bytes([1, 1]) * 4)
    # one bit flip in the guest CR0 (field index is the table's; any will do)
    put('fuzz_vmentry', name + '_flip', bytes([mode]) +
        codes[mode].ljust(32, b'\x90') + bytes([1, 100, 40, 0, 5]) +
        bytes([1, 1]) * 4)
    regs = bytes(184)
    put('fuzz_guest', name, bytes([mode, 0, 0, 0, 0, 0, 1, 1]) + regs +
        codes[mode].ljust(64, b'\x90'))
    put('fuzz_guest', name + '_ctls', bytes([mode, 1]) +
        struct.pack('<I', 0xFFFFFFFF) + bytes([1]) +
        struct.pack('<I', 0xFFFFFFFF) + bytes([1]) +
        struct.pack('<I', 0xFFFFFFFF) + bytes([0, 1]) +
        struct.pack('<H', 200) + bytes([1, 1]) + regs +
        codes[mode].ljust(64, b'\x90'))


# Debug registers (ROBUSTNESS.md findings 7 and its follow-up): MOV DR7
# with every breakpoint enabled, read back, then LOCK MOV DR7 and bytes the
# decoder rejects (8F /1), which must fault.
DR_CODE = bytes.fromhex('B8FF03FFFF' '0F23F8' '0F21FB' '0F23C3'
                        'F00F23F8' '8FC8' '0FA2' 'F4')
put('fuzz_guest', 'long_debug', bytes([2, 0, 0, 0, 0, 0, 1, 1]) +
    bytes(184) + DR_CODE.ljust(64, b'\x90'))


def copy_bin(target, name, path, last=None):
    with open(path, 'rb') as f:
        data = f.read()
    put(target, name, data[-last:] if last else data)


tdir = os.path.join(build, 'testdata')
copy_bin('fuzz_loader_elf', 'elf64_kernel', os.path.join(tdir,
         'elf64_kernel.bin'))
copy_bin('fuzz_loader_multiboot', 'mb_kernel', os.path.join(tdir,
         'mb_kernel.bin'))
copy_bin('fuzz_loader_bios', 'bios_rom_4k', os.path.join(tdir,
         'bios_rom.bin'), 4096)
copy_bin('fuzz_loader_bios', 'mbr_boot', os.path.join(tdir, 'mbr_boot.bin'))


def bzimage(version=0x20F, pm=4096):
    """A minimal bzImage: one setup sector, a 64-bit entry, pm bytes of
    protected-mode kernel."""
    k = bytearray(1024 + pm)
    k[0x1F1] = 1                                   # setup_sects
    struct.pack_into('<I', k, 0x1F4, pm // 16)     # syssize
    struct.pack_into('<H', k, 0x1FE, 0xAA55)
    k[0x200] = 0xEB
    k[0x201] = 0x66                                # header ends at 0x268
    k[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', k, 0x206, version)
    k[0x211] = 0x81                                # LOADED_HIGH, CAN_USE_HEAP
    struct.pack_into('<I', k, 0x22C, 0x7FFFFFFF)   # initrd_addr_max
    struct.pack_into('<I', k, 0x230, 0x200000)     # kernel_alignment
    k[0x234] = 1                                   # relocatable
    struct.pack_into('<H', k, 0x236, 0x3)          # XLF_KERNEL_64 | above 4G
    struct.pack_into('<I', k, 0x238, 2048)         # cmdline_size
    struct.pack_into('<Q', k, 0x258, 0x1000000)    # pref_address
    struct.pack_into('<I', k, 0x260, 0x100000)     # init_size
    k[1024:1024 + 4] = bytes.fromhex('F4EBFD90')   # hlt; jmp
    return bytes(k)


def bzimage_xz():
    """A bzImage whose payload is an .xz of a one-segment ELF64 kernel
    linked at 16 MiB (and its size), for the host-side unpacking."""
    import lzma
    code = bytes.fromhex('F4EBFD90') * 4
    eh = struct.pack('<16sHHIQQQIHHHHHH', b'\x7fELF\x02\x01\x01' + bytes(9),
                     2, 62, 1, 0x1000000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack('<IIQQQQQQ', 1, 5, 120, 0xffffffff81000000, 0x1000000,
                     len(code), 0x1000, 16)
    elf = eh + ph + code
    xz = lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                       preset=0)
    payload = xz + struct.pack('<I', len(elf))
    pm = 0x200 + len(payload)
    pm = (pm + 15) & ~15
    k = bytearray(bzimage(pm=pm))
    struct.pack_into('<II', k, 0x248, 0x200, len(payload))
    k[1024 + 0x200:1024 + 0x200 + len(payload)] = payload
    return bytes(k)


put('fuzz_loader_linux', 'bzimage_2_15', bzimage())
put('fuzz_loader_linux', 'bzimage_2_15_xz', bzimage_xz())
put('fuzz_loader_linux', 'bzimage_2_12_odd', bzimage(0x20C, 4096 + 16) +
    b'\0')
