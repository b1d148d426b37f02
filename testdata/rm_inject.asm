; Real-mode guest for event injection, in the manner of OpenBSD's vmm
; regress test: code at 0:1000, a #GP handler at 0:1100 whose IN on port
; F0 shows it ran.
bits 16
org 0x1000
start:
	mov	al, 1
	out	0x61, al
	hlt
times 0x100 - ($ - $$) db 0x90
gp_handler:				; at 0x1100
	in	al, 0xF0
	iret
