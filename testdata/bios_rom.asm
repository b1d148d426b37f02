; A 64 KiB BIOS image for tests/check_dev_loader.c.  loader_bios() places it
; to end at 4 GiB and again at 1 MiB; the vcpu starts at the reset vector,
; 0xF000:0xFFF0, in the low copy.  The code prints on the 0x402 debug
; console, checks that the image's last bytes are where real mode expects
; them (F000:FFFF holds the image's final byte), and exits through port
; 0xF4 with status 0.

bits 16
org 0

start:
	mov	ax, cs
	mov	ds, ax
	mov	ax, 0x7000		; a stack in low RAM
	mov	ss, ax
	mov	sp, 0xFFFE
	cmp	byte [0xFFFF], 0x5A	; the signature at the image's end
	jne	.bad
	mov	si, msg
	mov	dx, 0x402
.l:	lodsb
	test	al, al
	jz	.d
	out	dx, al
	jmp	.l
.d:	xor	al, al
	out	0xF4, al
	hlt
.bad:	mov	al, 1
	out	0xF4, al
	hlt

msg:	db	"bios ok", 10, 0

	times 0xFFF0 - ($ - $$) db 0xFF
reset:	jmp	0xF000:start		; the reset vector
	times 0xFFFF - ($ - $$) db 0xFF
	db	0x5A
