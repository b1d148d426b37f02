; MMIO end to end: loaded at GPA 0x7C00 and started in real mode, this
; guest goes to 32-bit protected mode (paging off) and then to long mode
; (4-level paging), and in each drives a register file the test maps at
; GPA 0xF0000000 (4 KiB that read back what was written) with the MMIO
; forms the emulator knows.  It checks every value it reads, prints on
; the 0x402 debug console, and ends through the debug-exit port 0xF4 with
; 0 (status 1) or, on the first wrong value, the number of that check.
bits 16
org 0x7C00

MMIO	equ	0xF0000000
UNCLAIMED equ	0xF0100000		; in the window, no device there
ALIAS	equ	0x200000		; a 4 KiB page mapped to MMIO in long mode
PML4	equ	0x10000			; PML4, PDPT, PD0, PT, PD3
BUF	equ	0x6000			; RAM for string moves
FAILNO	equ	0x5000			; the check being made

%macro	CHECK 1				; flags from a cmp: equal or fail
	mov	byte [FAILNO], %1
	jne	fail
%endmacro

start:
	cli
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7000
	o32 lgdt [gdtr]
	mov	eax, cr0
	or	al, 1				; PE
	mov	cr0, eax
	jmp	dword 0x08:pm32

	align	8
gdt:	dq	0
	dq	0x00CF9B000000FFFF		; 0x08: code32
	dq	0x00CF93000000FFFF		; 0x10: data32
	dq	0x00AF9B000000FFFF		; 0x18: code64
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dd	gdt

msg_pm:	db	"pm32 mmio ok", 10, 0
msg_lm:	db	"lm64 mmio ok", 10, 0
msg_bad: db	"mmio check failed", 10, 0

bits 32
pm32:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, 0x7000
	mov	ebx, MMIO

	mov	dword [ebx], 0x12345678		; MOV r/m32, imm32
	mov	eax, [ebx]			; MOV r32, r/m32
	cmp	eax, 0x12345678
	CHECK	1
	movzx	ecx, byte [ebx + 1]		; MOVZX from a byte
	cmp	ecx, 0x56
	CHECK	2
	mov	byte [ebx + 8], 0x80
	movsx	edx, byte [ebx + 8]		; MOVSX from a byte
	cmp	edx, 0xFFFFFF80
	CHECK	3
	mov	word [ebx + 16], 0xBEEF		; 16-bit operand size
	mov	eax, 0x11110000
	mov	ax, [ebx + 16]
	cmp	eax, 0x1111BEEF
	CHECK	4
	or	dword [ebx], 0x80000000		; read-modify-write
	mov	eax, [ebx]
	cmp	eax, 0x92345678
	CHECK	5
	mov	byte [FAILNO], 6
	test	byte [ebx + 3], 0x80		; flags from MMIO: ZF clear
	jz	fail
	mov	byte [FAILNO], 7
	test	byte [ebx + 3], 0x01		; ZF set
	jnz	fail
	cld
	mov	edi, MMIO + 0x100		; REP STOSD into the device
	mov	eax, 0xA5A5A5A5
	mov	ecx, 4
	rep stosd
	cmp	ecx, 0
	CHECK	8
	cmp	edi, MMIO + 0x110
	CHECK	9
	mov	esi, MMIO + 0x100		; REP MOVSD out of it into RAM
	mov	edi, BUF
	mov	ecx, 4
	rep movsd
	cmp	dword [BUF + 12], 0xA5A5A5A5
	CHECK	10
	cmp	esi, MMIO + 0x110
	CHECK	11
	mov	eax, [UNCLAIMED]		; nobody there: all ones
	cmp	eax, 0xFFFFFFFF
	CHECK	12
	mov	esi, msg_pm
	call	puts32

	; Long mode: identity for the first 2 MiB and the 2 MiB at MMIO,
	; a 4 KiB page at ALIAS onto MMIO.
	mov	edi, PML4
	mov	ecx, 5 * 4096 / 4
	xor	eax, eax
	rep stosd
	mov	dword [PML4], PML4 + 0x1000 + 3			; -> PDPT
	mov	dword [PML4 + 0x1000], PML4 + 0x2000 + 3	; PDPT[0] -> PD0
	mov	dword [PML4 + 0x1000 + 3 * 8], PML4 + 0x4000 + 3 ; [3] -> PD3
	mov	dword [PML4 + 0x2000], 0x83			; 0-2 MiB
	mov	dword [PML4 + 0x2000 + 8], PML4 + 0x3000 + 3	; PD0[1] -> PT
	mov	dword [PML4 + 0x3000], MMIO + 3			; ALIAS
	mov	dword [PML4 + 0x4000 + 0x180 * 8], MMIO + 0x83	; 2 MiB
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
	jmp	0x18:lm64

puts32:
	mov	dx, 0x402
.next:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.next
.done:	ret

bits 64
lm64:
	mov	rbx, MMIO
	mov	rax, -1
	mov	eax, [rbx]			; 32-bit load zero-extends
	mov	rcx, 0x92345678
	cmp	rax, rcx
	CHECK	20
	mov	rax, -1
	mov	al, [rbx]			; 8-bit load merges
	mov	rcx, 0xFFFFFFFFFFFFFF78
	cmp	rax, rcx
	CHECK	21
	mov	r9, 0x1122334455667788
	mov	[rbx + 0x20], r9		; REX.W store
	mov	r10, [rbx + 0x20]
	cmp	r10, r9
	CHECK	22
	xor	eax, eax
	mov	ah, [rbx + 0x21]		; high byte
	cmp	eax, 0x7700
	CHECK	23
	mov	r11d, [ALIAS + 0x24]		; through the 4 KiB alias
	cmp	r11d, 0x11223344
	CHECK	24
	mov	r12, -1
	movsxd	r12, dword [rbx + 8]		; 0x00000080 -> positive
	cmp	r12, 0x80
	CHECK	25
	mov	ecx, 0xCAFE
	xchg	[ALIAS + 0x40], ecx		; XCHG with the device
	mov	edx, [rbx + 0x40]
	cmp	edx, 0xCAFE
	CHECK	26
	mov	rsi, msg_lm
	call	puts64
	xor	eax, eax
	out	0xF4, al
	hlt

puts64:
	mov	dx, 0x402
.next:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.next
.done:	ret

; Reached from 32- and 64-bit code alike: these bytes mean the same in
; both (LODSB reads [esi] or [rsi], and MOV ESI clears RSI's top half).
bits 32
fail:
	mov	esi, msg_bad
	mov	dx, 0x402
.next:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.next
.done:	mov	esi, FAILNO
	lodsb
	out	0xF4, al
	hlt
