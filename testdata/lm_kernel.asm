; 64-bit guest for the in-kernel exit handler tests of tests/check_run.c,
; loaded at GPA 0x100000 (the lm_intr layout: IDT at 0x600).  Each snippet
; ends by reporting with an OUT to port 0x80.
bits 64
org 0x100000
%macro snippet 1
	times (%1 * 0x40) - ($ - $$) db 0x90
%endmacro

snippet 0		; 0x100000: MOV to CR0 setting NE, then read it back
	mov	rax, cr0
	or	eax, 0x20
	mov	cr0, rax		; CR exit, done by the kernel
	mov	rbx, cr0		; NE comes from the read shadow: 0
	out	0x80, al
snippet 1		; 0x100040: CR8 reads do not write the register
	mov	rbx, 0x55
	mov	rbx, cr8		; CR8 store exit: RIP only (quirk)
	out	0x80, al
snippet 2		; 0x100080: RDMSR PAT and BIOS_SIGN
	mov	ecx, 0x277
	rdmsr
	mov	rbx, rax
	mov	rsi, rdx
	mov	ecx, 0x8B
	mov	eax, 0x1234
	rdmsr
	out	0x80, al
snippet 3		; 0x1000C0: WRMSR PAT with a reserved type: #GP
	mov	ecx, 0x277
	mov	eax, 0x02020202
	xor	edx, edx
	wrmsr
	out	0x80, al		; not reached: the #GP handler reports
snippet 4		; 0x100100: XSETBV to x87|SSE, allowed at CPL 0
	xor	ecx, ecx
	mov	eax, 3
	xor	edx, edx
	xsetbv
	out	0x80, al
snippet 5		; 0x100140: MONITOR: #UD, injected as vector 6, type 0
	sti
	nop
monitor_insn:
	monitor				; at 0x100142
	out	0x80, al		; not reached
snippet 6		; 0x100180: CPUID leaf 1
	mov	eax, 1
	cpuid
	out	0x80, al
snippet 7		; 0x1001C0: HLT with interrupts on
	sti
	hlt
	out	0x80, al

snippet 8		; 0x100200: #GP handler (vector 13): error code into RDI
	pop	rdi
	out	0x8D, al
	hlt
snippet 9		; 0x100240: vector 6 handler: the frame's RIP into RDI
	mov	rdi, [rsp]
	out	0x86, al
	hlt
snippet 10		; 0x100280: MONITOR with interrupts off
	cli
	monitor
	out	0x80, al		; not reached
snippet 11		; 0x1002C0: a load from the MMIO range at 0xF0000000
	mov	rbx, 0xF0000010
	mov	eax, [rbx]
	out	0x80, al
snippet 12		; 0x100300: a load from a GPA in no range at all
	mov	rbx, 0x800000
	mov	eax, [rbx]
	out	0x80, al
snippet 13		; 0x100340: #UD with no IDT gate: #GP, #DF, shutdown
	ud2
snippet 14		; 0x100380: WRMSR the syscall MSRs, exit, RDMSR two back
	mov	ecx, 0xC0000081		; STAR
	mov	eax, 0x11110081
	mov	edx, 0x00230008
	wrmsr
	inc	ecx			; LSTAR
	mov	eax, 0x11110082
	mov	edx, 0x7F01
	wrmsr
	inc	ecx			; CSTAR
	mov	eax, 0x11110083
	wrmsr
	inc	ecx			; SFMASK
	mov	eax, 0x00044700
	xor	edx, edx
	wrmsr
	mov	ecx, 0xC0000102		; KERNELGSBASE
	mov	eax, 0x11110102
	mov	edx, 0x7F05
	wrmsr
	out	0x80, al
	mov	ecx, 0xC0000082
	rdmsr
	shl	rdx, 32
	or	rax, rdx
	mov	rbx, rax
	mov	ecx, 0xC0000102
	rdmsr
	shl	rdx, 32
	or	rax, rdx
	mov	rsi, rax
	out	0x81, al
