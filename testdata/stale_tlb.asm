; A 64 KiB firmware image (GPA FFFF0000) that remaps a page without
; invalidating it, for the TLB checked mode (vmmsim run --check-tlb).
; From the reset vector it enters long mode like boot64.asm, with one 4 KiB
; page table: linear 0x200000 is a global page (CR4.PGE, PTE.G) on guest
; page A (GPA 0x6000, holding 'A').  It prints the byte there on COM1,
; points the PTE at page B (GPA 0x7000, holding 'B') without INVLPG,
; prints the byte again (a stale 'A': the global translation survives the
; monitor's INVVPID single-context-retaining-globals at every VM entry),
; then INVLPGs and prints it a third time ('B'), and writes 0 to the
; debug-exit port F4.
;
; It needs RAM at GPA 0x0000-0x8FFF.
bits 16
org 0

ROM	equ	0xFFFF0000
PML4	equ	0x1000
PT	equ	0x5000
PAGE_A	equ	0x6000
PAGE_B	equ	0x7000
VA	equ	0x200000
PTE_PWG	equ	0x103			; P, RW, G

	jmp	start16
	align	8
gdt:	dq	0
	dq	0x00CF9B000000FFFF		; 0x08: code32
	dq	0x00CF93000000FFFF		; 0x10: data32
	dq	0x00AF9B000000FFFF		; 0x18: code64
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dd	ROM + gdt

msg1:	db	"mapped A:       ", 0
msg2:	db	"remapped to B:  ", 0
msg3:	db	"after INVLPG:   ", 0

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
	mov	esp, 0x9000
	; PML4, PDPT, PD0, PD3 as boot64.asm, and one page table at PT.
	mov	edi, PML4
	mov	ecx, 5 * 4096 / 4
	xor	eax, eax
	rep stosd
	mov	dword [PML4], PML4 + 0x1000 + 3
	mov	dword [PML4 + 0x1000], PML4 + 0x2000 + 3
	mov	dword [PML4 + 0x1000 + 3 * 8], PML4 + 0x3000 + 3
	mov	dword [PML4 + 0x2000], 0x83	; PD0[0]: 2 MiB at 0
	mov	dword [PML4 + 0x2000 + 8], PT + 3 ; PD0[1] -> PT (VA 2 MiB)
	mov	edi, PML4 + 0x3000
	mov	eax, 0xC0000083
	mov	ecx, 512
.pd3:	mov	[edi], eax
	add	eax, 0x200000
	add	edi, 8
	loop	.pd3
	mov	dword [PT], PAGE_A + PTE_PWG
	mov	byte [PAGE_A], 'A'
	mov	byte [PAGE_B], 'B'
	mov	eax, cr4
	or	eax, 0xA0			; PAE, PGE
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
	lea	rsi, [rel msg1]
	call	report
	mov	dword [PT], PAGE_B + PTE_PWG	; no INVLPG: the TLB keeps A
	lea	rsi, [rel msg2]
	call	report
	invlpg	[VA]
	lea	rsi, [rel msg3]
	call	report
	mov	al, 0
	out	0xF4, al			; debug exit
.halt:	hlt
	jmp	.halt

; Print the string at RSI, the byte at VA, and a newline, on COM1.
report:
	mov	dx, 0x3F8
.next:	lodsb
	test	al, al
	jz	.byte
	out	dx, al
	jmp	.next
.byte:	mov	al, [VA]
	out	dx, al
	mov	al, 13
	out	dx, al
	mov	al, 10
	out	dx, al
	ret

	times 0xFFF0 - ($ - $$) db 0xCC
bits 16
reset:	jmp	near start16
	times 0x10000 - ($ - $$) db 0xCC
