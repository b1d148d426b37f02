; AMD's global interrupt flag in bare-metal mode (APM Vol. 2 §15.17): a
; multiboot kernel in 32-bit protected mode without paging sets
; EFER.SVME, programs the PIC (IRQ0 at vector 0x20, the others masked)
; and the PIT (channel 0, rate generator, about 1 ms), and with IF set
; executes CLGI and spins for about 4 ms of virtual time.  The timer's
; interrupt comes due meanwhile but must wait: none taken before STGI
; (check 1), one taken right after it (check 2).  Ends with port 0xF4 =
; 0 when both held, else the check.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000

	dd	MB_MAGIC
	dd	MB_FLAGS
	dd	-(MB_MAGIC + MB_FLAGS)
	dd	0x100000, 0x100000, load_end, load_end, start

start:
	cli
	lgdt	[gdtr]
	jmp	0x08:.cs
.cs:	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, stack_top

	; IDT: vector 0x20 only (an interrupt gate to tick).
	mov	eax, tick
	mov	word [idt + 0x20 * 8], ax
	mov	word [idt + 0x20 * 8 + 2], 0x08
	mov	word [idt + 0x20 * 8 + 4], 0x8E00
	shr	eax, 16
	mov	word [idt + 0x20 * 8 + 6], ax
	lidt	[idtr]

	; PIC: IRQ0-7 at 0x20, IRQ8-15 at 0x28, only IRQ0 unmasked.
	mov	al, 0x11
	out	0x20, al
	out	0xA0, al
	mov	al, 0x20
	out	0x21, al
	mov	al, 0x28
	out	0xA1, al
	mov	al, 4
	out	0x21, al
	mov	al, 2
	out	0xA1, al
	mov	al, 1
	out	0x21, al
	out	0xA1, al
	mov	al, 0xFE
	out	0x21, al
	mov	al, 0xFF
	out	0xA1, al

	mov	ecx, 0xC0000080		; EFER.SVME
	rdmsr
	or	eax, 0x1000
	wrmsr

	; PIT channel 0: rate generator, 1193 (about 1 ms).
	mov	al, 0x34
	out	0x43, al
	mov	al, 1193 & 0xFF
	out	0x40, al
	mov	al, 1193 >> 8
	out	0x40, al

	xor	ebp, ebp
	clgi
	sti
	mov	ecx, 2000000		; about 4 ms: the tick comes due
.spin:	dec	ecx
	jnz	.spin
	inc	ebp			; 1: an interrupt while GIF was clear
	cmp	dword [ticks], 0
	jne	fail
	stgi
	nop
	inc	ebp			; 2: none right after STGI
	cmp	dword [ticks], 0
	je	fail
	xor	ebp, ebp
fail:
	cli
	mov	eax, ebp
	out	0xF4, al
	hlt

tick:
	inc	dword [ticks]
	push	eax
	mov	al, 0x20		; EOI
	out	0x20, al
	pop	eax
	iret

	align	8
gdt:	dq	0
	dq	0x00CF9B000000FFFF		; 0x08: code32
	dq	0x00CF93000000FFFF		; 0x10: data
gdtr:	dw	gdtr - gdt - 1
	dd	gdt
idtr:	dw	0x21 * 8 - 1
	dd	idt
ticks:	dd	0
	align	8
idt:	times 0x21 dq 0
	align	16
	times 1024 db 0
stack_top:
	align	4
load_end:
