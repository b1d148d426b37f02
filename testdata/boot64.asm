; A 64 KiB firmware image for the top of 4 GiB (GPA FFFF0000).  From the
; reset vector (CS F000, base FFFF0000, RIP FFF0) it goes through 32-bit
; protected mode to 64-bit long mode, runs an arithmetic loop LOOPS times,
; prints a greeting on COM1 (port 3F8) and writes its exit code to the
; debug-exit port F4.
;
; It needs RAM at GPA 0x0000-0x7FFF (page tables at 0x1000-0x4FFF, stack
; below 0x8000).  The dword at offset 0x10 of the image is the loop count,
; patched by benchmarks; by default 1000.
bits 16
org 0

ROM	equ	0xFFFF0000
PML4	equ	0x1000

	jmp	start16				; offset 0
	times 0x10 - ($ - $$) db 0
loops:	dd	1000				; offset 0x10

	align	8
gdt:	dq	0
	dq	0x00CF9B000000FFFF		; 0x08: code32
	dq	0x00CF93000000FFFF		; 0x10: data32
	dq	0x00AF9B000000FFFF		; 0x18: code64
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dd	ROM + gdt

greeting: db	"Hello from vmmsim's demo guest: reset vector to long mode.", 13, 10, 0

start16:
	cli
	o32 lgdt [cs:gdtr]
	mov	eax, cr0
	or	al, 1				; PE
	mov	cr0, eax
	jmp	dword 0x08:(ROM + start32)

bits 32
start32:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, 0x8000
	; Page tables: identity-map the first GiB and the fourth (2 MiB pages).
	mov	edi, PML4
	mov	ecx, 4 * 4096 / 4
	xor	eax, eax
	rep stosd
	mov	dword [PML4], PML4 + 0x1000 + 3		; PML4[0] -> PDPT
	mov	dword [PML4 + 0x1000], PML4 + 0x2000 + 3	; PDPT[0] -> PD0
	mov	dword [PML4 + 0x1000 + 3 * 8], PML4 + 0x3000 + 3 ; PDPT[3] -> PD3
	mov	edi, PML4 + 0x2000
	mov	eax, 0x83			; P, RW, PS
	mov	ecx, 512
.pd0:	mov	[edi], eax
	add	eax, 0x200000
	add	edi, 8
	loop	.pd0
	mov	edi, PML4 + 0x3000
	mov	eax, 0xC0000083
	mov	ecx, 512
.pd3:	mov	[edi], eax
	add	eax, 0x200000
	add	edi, 8
	loop	.pd3
	mov	eax, cr4
	or	eax, 0x20			; PAE
	mov	cr4, eax
	mov	eax, PML4
	mov	cr3, eax
	mov	ecx, 0xC0000080			; EFER
	rdmsr
	or	eax, 0x100			; LME
	wrmsr
	mov	eax, cr0
	or	eax, 0x80000000			; PG
	mov	cr0, eax
	jmp	0x18:(ROM + start64)

bits 64
start64:
	mov	ecx, [rel loops]
	xor	eax, eax
	xor	ebx, ebx
	test	ecx, ecx
	jz	.print
.loop:	add	rax, rcx			; the measured loop: 4 instructions
	xor	rbx, rax
	dec	rcx
	jnz	.loop
.print:	lea	rsi, [rel greeting]
	mov	dx, 0x3F8
.next:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.next
.done:	mov	al, 0
	out	0xF4, al			; debug exit
	hlt
	jmp	.done

	times 0xFFF0 - ($ - $$) db 0xCC
bits 16
reset:	jmp	near start16			; offset FFF0: the reset vector (CS base
					; stays FFFF0000: no far jump)
	times 0x10000 - ($ - $$) db 0xCC
