; Real-mode test guest (loaded at 0x1000, CS=0): one exit-causing
; instruction after another, so a test can step through the exits.
bits 16
org 0x1000
start:
	mov	al, 0x41
	out	0xE9, al		; I/O exit: port E9, 1 byte, out, immediate
	mov	dx, 0x3F8
	in	ax, dx			; I/O exit: port 3F8, 2 bytes, in, DX
	cpuid				; CPUID exit
	rdtsc				; no exit: TSC = virtual time + offset
	mov	ecx, 0x10
	rdmsr				; RDMSR exit (all MSRs exit without bitmaps)
	mov	bx, [0x9000]		; read above RAM: EPT violation
	mov	si, 0x2000
	mov	cx, 3
	mov	dx, 0x3F8
	rep outsb			; string I/O exit
	hlt				; HLT exit
	jmp	start
