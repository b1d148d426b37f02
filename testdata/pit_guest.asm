; Real-mode guest for the run-loop test: programs the PIT for 100 Hz,
; takes IRQ 0 through the PIC (vector 8, the power-on base), halts between
; ticks, and after 10 ticks prints on COM1 and leaves through port 0xF4
; with the milliseconds its TSC counted meanwhile (halts included, as on
; hardware).  Loaded at 0:7C00.
bits 16
org 0x7C00
start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	ss, ax
	mov	sp, 0x7000
	mov	word [8 * 4], irq0
	mov	word [8 * 4 + 2], 0
	mov	al, 0x34		; counter 0, LSB then MSB, mode 2
	out	0x43, al
	mov	ax, 11932		; 1193182 Hz / 11932 = 100 Hz
	out	0x40, al
	mov	al, ah
	out	0x40, al
	mov	al, 0xFE		; unmask IRQ 0 only
	out	0x21, al
	push	ax			; touch the stack page before the first
	pop	ax			; interrupt, as real guests do (vmm(4)
	rdtsc				; loses an event whose delivery faults)
	mov	[t0], eax
	mov	[t0 + 4], edx
	sti
.wait:	hlt
	cmp	word [ticks], 10
	jb	.wait
	cli
	rdtsc
	sub	eax, [t0]
	sbb	edx, [t0 + 4]
	mov	ecx, 1000000		; TSC ticks (1 GHz) per ms
	div	ecx
	mov	[ms], al
	mov	si, msg
	mov	dx, 0x3F8
.print:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.print
.done:	mov	al, [ms]
	out	0xF4, al
	hlt

irq0:	push	ax
	inc	word [ticks]
	mov	al, 0x20		; non-specific EOI
	out	0x20, al
	pop	ax
	iret

ticks:	dw	0
ms:	db	0
t0:	dd	0, 0
msg:	db	"10 PIT ticks", 13, 10, 0
