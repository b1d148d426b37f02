; 64-bit guest for the TLB tests (GPA 0x1000): reads [rbx] and reports it
; with an OUT, forever; entry point 0x1100 first reloads CR3.
bits 64
org 0x1000
again:
	mov	eax, [rbx]
	out	0x80, eax
	jmp	again

times 0x100 - ($ - $$) db 0x90
reload:					; at 0x1100
	mov	rax, cr3
	mov	cr3, rax		; invalidates non-global translations
	jmp	again
