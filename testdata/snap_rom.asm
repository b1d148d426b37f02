; A 64 KiB BIOS image for tests/check_snapshot.c: state in every place a
; snapshot must carry.  It turns on SSE and keeps a running sum in XMM0
; and the x87 stack, programs the PIT for 1 kHz and takes IRQ 0 through
; the PIC, reads the RTC's seconds and the PIT's latched count at every
; tick, adds a RDRAND (the CPU's generator: no exit, so its state is
; the CPU's, and a restore that lost it would repeat numbers), spins
; (no exits) between some ticks and halts between others, and every 25
; ticks prints the sum as four hex digits on COM1.  After
; 400 ticks it leaves through port 0xF4 with 0 (status 1).

bits 16
org 0

TICKS	equ	0x500			; in segment 0
COUNT	equ	0x502

start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7000
	mov	word [TICKS], 0
	mov	word [COUNT], 0
	mov	word [8 * 4], irq0
	mov	word [8 * 4 + 2], 0xF000
	mov	eax, cr0		; x87 and SSE on: EM off, MP on
	and	eax, ~4
	or	eax, 2
	mov	cr0, eax
	mov	eax, cr4		; OSFXSR, OSXMMEXCPT
	or	eax, 0x600
	mov	cr4, eax
	fninit
	fld1
	pxor	xmm0, xmm0
	mov	al, 0x34		; counter 0, LSB then MSB, mode 2
	out	0x43, al
	mov	ax, 1193		; 1193182 Hz / 1193 = 1 kHz
	out	0x40, al
	mov	al, ah
	out	0x40, al
	mov	al, 0xFE		; unmask IRQ 0 only
	out	0x21, al
	push	ax
	pop	ax
	sti

.tick:	mov	ax, [TICKS]
	cmp	ax, [COUNT]
	jne	.work
	test	ax, 1			; odd ticks: spin, even: halt
	jz	.halt
	mov	ecx, 3000
.spin:	dec	ecx
	jnz	.spin
	jmp	.tick
.halt:	hlt
	jmp	.tick

.work:	mov	[COUNT], ax
	mov	al, 0			; RTC seconds
	out	0x70, al
	in	al, 0x71
	movzx	ebx, al
	mov	al, 0			; latch PIT counter 0
	out	0x43, al
	in	al, 0x40
	mov	cl, al
	in	al, 0x40
	mov	ch, al
	movzx	ecx, cx
	add	ebx, ecx
	rdrand	edx
	add	ebx, edx
	movd	xmm1, ebx
	paddd	xmm0, xmm1
	pshufd	xmm0, xmm0, 0x39	; rotate the lanes
	fld1
	faddp	st1, st0		; st0 counts ticks
	mov	ax, [COUNT]
	xor	dx, dx
	mov	cx, 25
	div	cx
	test	dx, dx
	jnz	.next
	call	print_sum
.next:	cmp	word [COUNT], 400
	jb	.tick
	cli
	mov	dx, 0x3F8
	mov	al, 10
	out	dx, al
	mov	al, 0
	out	0xF4, al
	hlt

; The four lanes of XMM0 and the x87 count, folded, as 4 hex digits.
print_sum:
	movd	eax, xmm0
	pshufd	xmm2, xmm0, 0x4E
	movd	ebx, xmm2
	add	eax, ebx
	fist	word [0x504]
	add	ax, [0x504]
	mov	bx, ax
	mov	cx, 4
	mov	dx, 0x3F8
.digit:	rol	bx, 4
	mov	al, bl
	and	al, 0x0F
	add	al, '0'
	cmp	al, '9'
	jbe	.out
	add	al, 'a' - '9' - 1
.out:	out	dx, al
	loop	.digit
	mov	al, ' '
	out	dx, al
	ret

irq0:	push	ax
	inc	word [TICKS]
	mov	al, 0x20		; non-specific EOI
	out	0x20, al
	pop	ax
	iret

	times 0xFFF0 - ($ - $$) db 0xFF
reset:	jmp	0xF000:start		; the reset vector
	times 0x10000 - ($ - $$) db 0xFF
