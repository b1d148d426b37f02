; A 64 KiB BIOS image for tests/check_dev_run.c, run through `vmmsim run
; --bios`.  It exercises string port I/O and guest resets:
;  - REP INSB of 5000 bytes from fw_cfg's signature item (more than one
;    batch of the run loop), checking the bytes, DI and CX;
;  - REP OUTSB forwards (DF=0) and backwards (DF=1) to the 0x402 console;
;  - a reset through port 0xCF9 (0x02, then 0x06) after marking RAM byte
;    0x600; RAM survives a reboot, so with --reboot the second boot prints
;    "again" and leaves through port 0xF4 with 5 (status 11).

bits 16
org 0

BUF	equ	0x1000			; in segment 0
COUNT	equ	5000

start:
	xor	ax, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7000
	mov	ax, cs
	mov	ds, ax
	cld
	cmp	byte [es:0x600], 0
	jne	second

	; fill the buffer with 0xFF, then REP INSB the signature over it
	mov	di, BUF
	mov	cx, COUNT
	mov	al, 0xFF
	rep	stosb
	mov	dx, 0x510
	xor	ax, ax
	out	dx, ax			; select FW_CFG_SIGNATURE
	mov	dx, 0x511
	mov	di, BUF
	mov	cx, COUNT
	rep	insb
	test	cx, cx
	jnz	bad
	cmp	di, BUF + COUNT
	jne	bad
	cmp	dword [es:BUF], 'QEMU'
	jne	bad
	cmp	byte [es:BUF + 4], 0	; past the item's end: zeros
	jne	bad
	cmp	byte [es:BUF + COUNT - 1], 0
	jne	bad
	cmp	byte [es:BUF + COUNT], 0	; one past: untouched (0 RAM)
	jne	bad

	; REP OUTSB of the signature, then a word backwards with DF=1
	mov	ax, es
	mov	ds, ax
	mov	si, BUF
	mov	cx, 4
	mov	dx, 0x402
	rep	outsb
	mov	ax, cs
	mov	ds, ax
	mov	si, rev + 2
	mov	cx, 3
	std
	rep	outsb
	cld
	cmp	si, rev - 1
	jne	bad
	mov	al, 10
	out	dx, al

	mov	byte [es:0x600], 1
	mov	dx, 0xCF9		; reset: 0x02 then 0x06
	mov	al, 0x02
	out	dx, al
	mov	al, 0x06
	out	dx, al
	hlt				; not reached
	jmp	bad

second:
	mov	si, again
	mov	dx, 0x402
	mov	cx, again_len
	rep	outsb
	mov	al, 5
	out	0xF4, al
	hlt

bad:	mov	al, 1
	out	0xF4, al
	hlt

rev:	db	"cba"
again:	db	"again", 10
again_len equ $ - again

	times 0xFFF0 - ($ - $$) db 0xFF
reset:	jmp	0xF000:start		; the reset vector
	times 0x10000 - ($ - $$) db 0xFF
