; 64-bit test guest, loaded at GPA 0x1000 and identity-mapped by the
; test's page tables (the first 2 MiB), started directly in long mode.
; Each step provokes one exit or one event; handlers sit at fixed offsets.
bits 64
org 0x1000
start:
	mov	eax, 0x12345678
	out	0x80, eax		; I/O exit: 4 bytes, immediate port
	mov	ecx, 0xC0000100		; FS_BASE
	rdmsr				; exit, or pass-through per the MSR bitmap
	mov	rbx, 0x400000
pf_insn:
	mov	rax, [rbx]		; not mapped by the guest: #PF
ud_insn:
	ud2				; #UD
	mov	rax, cr0		; CR0.NE reads from the shadow
	or	eax, 0x20
	mov	cr0, rax		; sets NE against the shadow: CR exit
bp_insn:
	int3				; #BP, a software exception
	hlt

times 0x100 - ($ - $$) db 0x90
pf_handler:				; at 0x1100
	pop	rax			; the error code
	mov	rbx, cr2
	out	0x81, al
	hlt

times 0x180 - ($ - $$) db 0x90
irq_handler:				; at 0x1180
	mov	rax, [rsp]		; the interrupted RIP
	out	0x82, al
	iretq

times 0x200 - ($ - $$) db 0x90
user_code:				; at 0x1200, run at CPL 3
	cpuid
	hlt				; #GP(0) at CPL 3
