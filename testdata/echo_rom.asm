; A 64 KiB BIOS image for the console-input and control-socket tests
; (tests/check_dev_control.c, check_dev_vmrun.c), run with `vmmsim run
; --bios`.  It programs the PIC (vectors 0x20-0x2F) and COM1 (8N1, FIFO
; with trigger level 1, received-data interrupt, OUT2), says "ready" on
; COM1, and then halts with interrupts on and no timer armed, so only
; console input (or a stop) wakes it.  Its IRQ 4 handler echoes every
; received byte back to COM1; a 'q' is echoed and then ends the run
; through port 0xF4 with 3 (exit status 7).  A '!' makes it spin with
; interrupts off and no exits (jmp $), for stopping a guest that never
; leaves the CPU.

bits 16
org 0

COM1	equ	0x3F8
PIC1	equ	0x20
VECTOR	equ	0x24			; IRQ 4 at base 0x20

start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	ss, ax
	mov	sp, 0x7000
	mov	word [VECTOR * 4], isr
	mov	word [VECTOR * 4 + 2], cs
	push	ax			; touch the stack page before the first
	pop	ax			;   interrupt (vmm(4) loses an event
					;   whose delivery faults)

	; PIC: ICW1 (edge, cascade, ICW4), base 0x20, slave on 2, 8086 mode
	mov	al, 0x11
	out	PIC1, al
	mov	al, 0x20
	out	PIC1 + 1, al
	mov	al, 0x04
	out	PIC1 + 1, al
	mov	al, 0x01
	out	PIC1 + 1, al
	mov	al, 0xEF		; IRQ 4 only
	out	PIC1 + 1, al

	; COM1: 115200 8N1, FIFO on and reset (trigger 1), ERBFI, OUT2
	mov	dx, COM1 + 3
	mov	al, 0x80
	out	dx, al
	mov	dx, COM1
	mov	al, 1
	out	dx, al
	inc	dx
	xor	al, al
	out	dx, al
	mov	dx, COM1 + 3
	mov	al, 0x03
	out	dx, al
	mov	dx, COM1 + 2
	mov	al, 0x07
	out	dx, al
	mov	dx, COM1 + 4
	mov	al, 0x0B		; DTR, RTS, OUT2
	out	dx, al
	mov	dx, COM1 + 1
	mov	al, 0x01		; ERBFI
	out	dx, al

	mov	si, ready
	mov	cx, ready_len
	mov	dx, COM1
	mov	ax, cs
	mov	ds, ax
.print:	lodsb
	out	dx, al
	loop	.print
	xor	ax, ax
	mov	ds, ax

	sti
.idle:	hlt
	jmp	.idle

isr:	push	ax
	push	dx
.next:	mov	dx, COM1 + 5
	in	al, dx
	test	al, 0x01		; LSR.DR
	jz	.eoi
	mov	dx, COM1
	in	al, dx
	out	dx, al			; echo
	cmp	al, 'q'
	je	.quit
	cmp	al, '!'
	jne	.next
	cli
	jmp	$			; spin: no exits, interrupts off
.eoi:	mov	al, 0x20		; non-specific EOI
	out	PIC1, al
	pop	dx
	pop	ax
	iret
.quit:	mov	al, 3
	out	0xF4, al
	hlt

ready:	db	"ready", 10
ready_len equ $ - ready

	times 0xFFF0 - ($ - $$) db 0xFF
reset:	jmp	0xF000:start		; the reset vector
	times 0x10000 - ($ - $$) db 0xFF
