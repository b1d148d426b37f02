; 64-bit guest for the SVM tests (GPA 0x1000).  Each snippet starts at a
; fixed offset (0x1000 + 0x40 * n) so a test starts the guest at the
; instruction whose intercept it checks.
bits 64
org 0x1000
%macro snippet 1
	times (%1 * 0x40) - ($ - $$) db 0x90
%endmacro

snippet 0		; 0x1000: counted instructions
.spin:	inc	rax
	jmp	.spin
snippet 1		; 0x1040
	out	0x80, al		; IOIO: 8-bit OUT, immediate port
	hlt
snippet 2		; 0x1080
	mov	dx, 0x3f8
	in	eax, dx			; IOIO: 32-bit IN from DX
	hlt
snippet 3		; 0x10C0
	mov	rsi, 0x2000
	mov	dx, 0x1f0
	mov	ecx, 4
	rep outsw			; IOIO: string, REP, 16-bit, DS
	hlt
snippet 4		; 0x1100
	cpuid
	hlt
snippet 5		; 0x1140
	mov	ecx, 0xc0000080
	rdmsr
	wrmsr
	hlt
snippet 6		; 0x1180
	mov	rax, [0x300123]		; GPA outside the nested tables
	hlt
snippet 7		; 0x11C0
	mov	byte [0x5000], 1	; nested page read-only
	hlt
snippet 8		; 0x1200
	mov	rax, [0x40000000]	; guest PD outside the nested tables
	hlt
snippet 9		; 0x1240
	mov	rax, [0xFFFFFFFF80000000] ; not mapped by the guest: #PF
	hlt
snippet 10		; 0x1280
	vmmcall
	hlt
snippet 11		; 0x12C0
	mov	rax, cr0
	mov	cr4, rbx
	hlt
snippet 12		; 0x1300
	ud2
	hlt
snippet 13		; 0x1340: the virtual interrupt window
	sti
	nop				; in STI's shadow
	nop				; the window is open here
	hlt
snippet 14		; 0x1380
	mov	rax, [0x4000]		; a page the TLB tests remap
	hlt
snippet 15		; 0x13C0
	mov	ecx, 0xc0000102
	rdmsr				; KernelGsBase, passed through
	out	0x84, al
snippet 16		; 0x1400: interrupt handler, vector 0x20
	out	0x81, al
	hlt
snippet 17		; 0x1440: #GP handler: error code into RBX
	pop	rbx
	out	0x82, al
	hlt
snippet 18		; 0x1480: handler for the virtual interrupt
	out	0x83, al
	hlt
