; 32-bit protected-mode guest (GPA 0x1000), for the paging tests: reads
; [ebx], writes [ecx], reports both with OUTs, then halts.
bits 32
org 0x1000
	mov	eax, [ebx]
	out	0x80, eax
	mov	dword [ecx], 0x600D
	out	0x81, al
	hlt
