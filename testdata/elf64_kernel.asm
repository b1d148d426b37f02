; A tiny ELF64 "kernel" for tests/check_dev_loader.c, built with nasm -f bin
; and explicit ELF headers (no linker needed).  loader_elf() starts it as
; vmd starts an OpenBSD kernel: 32-bit code in compatibility mode, paging on
; with the identity map, the boot loader's cdecl frame on the stack.  It
; checks that frame, the BSS, the GDT's 64-bit code selector and the boot
; arguments, prints on the 0x402 debug console and exits through port 0xF4:
; status 0 when every check passed, else the number of the failed check.
;
; The segment's p_paddr and the entry carry high bits that the loader's
; 0x0FFFFFFF mask must strip: both land at 0x200000.

bits 32
LOAD	equ	0x200000
VBASE	equ	0xFFFFFFFF80000000	; as a kernel's virtual addresses
FOFF	equ	0x1000			; file offset of the segment

	org	0
ehdr:
	db	0x7F, "ELF", 2, 1, 1, 0	; ELFCLASS64, LSB, EV_CURRENT
	times 8 db 0
	dw	2			; ET_EXEC
	dw	62			; EM_X86_64
	dd	1
	dq	VBASE + LOAD + (start - text)	; e_entry
	dq	phdr - ehdr		; e_phoff
	dq	0			; e_shoff: no sections
	dd	0
	dw	64, 56, 1		; ehsize, phentsize, phnum
	dw	64, 0, 0		; shentsize, shnum, shstrndx
phdr:
	dd	1, 7			; PT_LOAD, RWX
	dq	FOFF			; p_offset
	dq	VBASE + LOAD		; p_vaddr
	dq	0x10000000 + LOAD	; p_paddr: masked to LOAD
	dq	text_end - text		; p_filesz
	dq	bss_end - text		; p_memsz
	dq	0x1000
	times FOFF - ($ - $$) db 0

text:
%define ADDR(x) (LOAD + (x) - text)
start:
	; The cdecl frame: return address, howto, bootdev, apiver, end,
	; extmem, cnvmem, bootargs size, bootargs address.
	mov	ebp, 1
	cmp	esp, 0xFFDC
	jne	fail
	inc	ebp
	cmp	dword [esp + 8], 0xA0000004	; bootdev sd0a
	jne	fail
	inc	ebp
	cmp	dword [esp + 12], 0x0E		; bootapiver
	jne	fail
	inc	ebp
	cmp	dword [esp + 16], ADDR(bss_end)	; end (no symbols here)
	jb	fail
	inc	ebp
	cmp	dword [esp + 32], 0x2000	; boot arguments
	jne	fail
	inc	ebp
	; BSS zeroed (the test fills guest memory with garbage first).
	mov	edi, ADDR(bss)
	mov	ecx, (bss_end - bss) / 4
	xor	eax, eax
	repe scasd
	jne	fail
	inc	ebp
	; Into 64-bit mode through the boot GDT's selector 0x18.
	jmp	0x18:ADDR(long64)

fail:
	mov	esi, ADDR(failmsg)
	call	puts32
	mov	eax, ebp
	out	0xF4, al
	hlt

puts32:
	mov	dx, 0x402
.l:	lodsb
	test	al, al
	jz	.d
	out	dx, al
	jmp	.l
.d:	ret

bits 64
long64:
	mov	rax, 0x1122334455667788		; only runs with CS.L = 1
	shr	rax, 32
	cmp	eax, 0x11223344
	jne	fail64
	inc	ebp
	; Boot args: record 0 is BOOTARG_MEMMAP; entry 2 is RAM from 1 MiB.
	cmp	dword [0x2000], 0
	jne	fail64
	inc	ebp
	cmp	qword [0x2000 + 12 + 2 * 20], 0x100000
	jne	fail64
	inc	ebp
	cmp	dword [0x2000 + 12 + 2 * 20 + 16], 1	; BIOS_MAP_FREE
	jne	fail64
	mov	rsi, ADDR(okmsg)
	call	puts64
	mov	rax, [0x2000 + 12 + 2 * 20 + 8]	; its size
	call	puthex64
	mov	al, 10
	out	dx, al
	xor	eax, eax
	out	0xF4, al
	hlt

fail64:
	mov	rsi, ADDR(failmsg)
	call	puts64
	mov	eax, ebp
	out	0xF4, al
	hlt

puts64:
	mov	dx, 0x402
.l:	lodsb
	test	al, al
	jz	.d
	out	dx, al
	jmp	.l
.d:	ret

; rax as 8 hex digits (the low 32 bits)
puthex64:
	mov	dx, 0x402
	mov	ecx, 8
	mov	ebx, eax
.l:	rol	ebx, 4
	mov	eax, ebx
	and	eax, 0xF
	add	eax, '0'
	cmp	eax, '9'
	jbe	.o
	add	eax, 'a' - '0' - 10
.o:	out	dx, al
	loop	.l
	ret

okmsg:	db	"elf64 ok, RAM above 1 MiB: 0x", 0
failmsg: db	"elf64 FAIL", 10, 0
	align	16
text_end:
bss	equ	text_end		; not in the file: p_filesz stops here
bss_end	equ	bss + 64
