; Copyright (c) 2026 The vmmsim authors
;
; Permission to use, copy, modify, and distribute this software for any
; purpose with or without fee is hereby granted, provided that the above
; copyright notice and this permission notice appear in all copies.
;
; THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
; WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
; MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
; ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
; WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
; ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
; OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
;
; A boot sector for a BIOS (SeaBIOS in tests/guests/seabios_boot.sh): it
; prints through INT 10h, reads the disk's second sector through INT 13h
; (the BIOS's own disk driver, virtio-blk under vmmsim) and prints the
; message found there, then leaves through the debug-exit port 0xF4 with
; 0x2A (vmmsim exits with status 0x2A << 1 | 1 = 85).  On a read error it
; writes 0x01 instead (status 3).

bits 16
org 0x7C00

start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7C00
	sti
	mov	[drive], dl
	mov	si, hello
	call	puts

	mov	ax, 0x0201		; read 1 sector
	mov	cx, 0x0002		; cylinder 0, sector 2
	xor	dh, dh			; head 0
	mov	dl, [drive]
	mov	bx, 0x7E00
	int	0x13
	jc	.fail
	cmp	word [0x7E00], 'VM'
	jne	.fail
	mov	si, 0x7E00
	call	puts
	mov	al, 0x2A
	jmp	.exit
.fail:
	mov	si, failed
	call	puts
	mov	al, 0x01
.exit:
	push	ax
	mov	ah, 0x86		; wait 0x10000 us: SeaBIOS's serial
	mov	cx, 1			; console sends its buffered output
	xor	dx, dx			; from the timer interrupt
	int	0x15
	pop	ax
	out	0xF4, al
.hang:
	hlt
	jmp	.hang

; Print the NUL-terminated string at DS:SI through INT 10h, AH=0Eh.
puts:
	lodsb
	test	al, al
	jz	.done
	mov	ah, 0x0E
	mov	bx, 0x0007
	int	0x10
	jmp	puts
.done:
	ret

hello:	db "VMMSIM-MBR: started by the BIOS", 13, 10, 0
failed:	db "VMMSIM-MBR: INT 13h read failed", 13, 10, 0
drive:	db 0

	times 510 - ($ - $$) db 0
	dw 0xAA55

; Sector 2: what the boot sector reads through INT 13h.
	db "VMMSIM-MBR: sector 2 read through INT 13h", 13, 10, 0
	times 1024 - ($ - $$) db 0
