; Hostile 64-bit guest for tests/check_hostile.c, loaded at GPA 0x100000
; (page tables at 0x1000, GDT at 0x500, IDT at 0x600 with no gates).  The
; test picks a snippet by RIP and passes its arguments in registers.
bits 64
org 0x100000
%macro snippet 1
	times (%1 * 0x100) - ($ - $$) db 0x90
%endmacro

snippet 0		; 0x100000: load 8 bytes at RBX
	mov	rax, [rbx]
	out	0x80, al
	jmp	$

snippet 1		; 0x100100: store 8 bytes at RBX
	mov	[rbx], rax
	out	0x80, al
	jmp	$

; 0x100200: RCX times, point the window PD's first entry (linear 1 GiB) at
; GPA 0 or 2 MiB in turn, INVLPG it and add the qword at window+0x100 to
; R8.  A stale translation adds the wrong qword.
snippet 2
	xor	r8, r8
	xor	edx, edx
loop3:	mov	eax, edx
	and	eax, 1
	shl	rax, 21
	or	rax, 0x83
	mov	[0x4000], rax
	invlpg	[0x40000000]
	add	r8, [0x40000100]
	inc	rdx
	cmp	rdx, rcx
	jne	loop3
	out	0x80, al
	jmp	$

; 0x100300: RCX times, point PDPT entry 1 at the PD at 0x4000 or 0x6000
; in turn (they map different GPAs) and reload CR3; sum as above.
snippet 3
	xor	r8, r8
	xor	edx, edx
loop4:	mov	eax, edx
	and	eax, 1
	shl	eax, 13
	add	eax, 0x4003
	mov	[0x2008], rax
	mov	rax, cr3
	mov	cr3, rax
	add	r8, [0x40000100]
	inc	rdx
	cmp	rdx, rcx
	jne	loop4
	out	0x80, al
	jmp	$

; 0x100400: RCX times, IN from port 0x80, add it to RBX and echo it to
; port 0x81; then report on port 0x82.
snippet 4
	xor	ebx, ebx
loop5:	in	al, 0x80
	movzx	eax, al
	add	rbx, rax
	out	0x81, al
	dec	rcx
	jnz	loop5
	out	0x82, al
	jmp	$

; 0x100500: RCX times, store ECX to the MMIO word at RBX (2 bytes: 89 0B)
; and load the next word (3 bytes: 8B 43 04) into R8's sum.
snippet 5
	xor	r8, r8
loop6:	mov	[rbx], ecx
	mov	eax, [rbx + 4]
	add	r8, rax
	dec	rcx
	jnz	loop6
	out	0x82, al
	jmp	$

snippet 6		; 0x100600: report, then #UD with no IDT gate: shutdown
	out	0x80, al
	ud2

snippet 7		; 0x100700: spin with no exit at all
	jmp	$

snippet 8		; 0x100800: REP OUTSB of RCX bytes from RSI to COM1
	mov	dx, 0x3F8
	rep	outsb
	xor	eax, eax
	out	0xF4, al
	jmp	$

snippet 9		; 0x100900: REP INSB of RCX bytes from port 0x1234 to RDI
	mov	dx, 0x1234
	rep	insb
	xor	eax, eax
	out	0xF4, al
	jmp	$

snippet 10		; 0x100A00: REP OUTSD, RCX dwords from RSI to port 0x80
	mov	dx, 0x80
	rep	outsd
	xor	eax, eax
	out	0xF4, al
	jmp	$

; 0x100B00: arm all four breakpoints as 8-byte read/write watchpoints on
; the qwords at RBX (DR7 = RCX), read and write them, then report DR6 in
; RSI and DR7 in RDI on port 0x83.  The host must survive it.
snippet 11
	mov	dr0, rbx
	lea	rax, [rbx + 8]
	mov	dr1, rax
	lea	rax, [rbx + 16]
	mov	dr2, rax
	lea	rax, [rbx + 24]
	mov	dr3, rax
	mov	dr7, rcx
	mov	rax, [rbx]
	mov	[rbx + 8], rax
	add	[rbx + 16], rax
	mov	rsi, dr6
	mov	rdi, dr7
	out	0x83, al
	jmp	$
