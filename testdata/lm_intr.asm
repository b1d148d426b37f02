; 64-bit guest for the interrupt-protocol tests of tests/check_run.c,
; loaded at GPA 0x100000 and started in long mode by RESETCPU.
bits 64
org 0x100000
spin_if1:				; 0x100000: interrupts on, spinning
	mov	rax, [0x600]		; touch the IDT page and the stack page
	push	rax			; (EPT fills them in)
	pop	rax
	sti
.spin:	jmp	.spin

times 0x10 - ($ - $$) db 0x90
spin_if0:				; 0x100010: interrupts off for a while
	cli
	mov	ecx, 1000
.busy:	dec	ecx
	jnz	.busy
	sti				; the window opens after the next insn
	nop
.spin:	jmp	.spin

times 0x40 - ($ - $$) db 0x90
irq_handler:				; 0x100040: vector 0x20
	out	0x82, al
	iretq
