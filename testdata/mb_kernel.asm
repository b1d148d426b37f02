; A multiboot (0.6.96) kernel for tests/check_dev_loader.c, loaded through
; the header's address fields (the a.out kludge, flag 16) at 1 MiB.  It
; checks the start state the spec promises (EAX magic, flat protected mode
; without paging, the info structure's flags) and the BSS, then reports
; mem_upper, the command line and the boot loader's name on the 0x402 debug
; console and exits through port 0xF4: status 0 when every check passed,
; else the number of the failed check.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010003	; page-align modules, memory info, a.out

mbheader:
	dd	MB_MAGIC
	dd	MB_FLAGS
	dd	-(MB_MAGIC + MB_FLAGS)
	dd	mbheader		; header_addr
	dd	0x100000		; load_addr
	dd	load_end		; load_end_addr
	dd	bss_end			; bss_end_addr
	dd	start			; entry_addr

start:
	mov	ebp, 1
	cmp	eax, 0x2BADB002
	jne	fail
	inc	ebp
	mov	eax, cr0
	test	eax, 0x80000000		; paging off
	jnz	fail
	test	eax, 1			; protected mode on
	jz	fail
	inc	ebp
	mov	eax, [ebx]		; info flags: mem, cmdline, mods,
	and	eax, 0x24D		;  mmap, loader name
	cmp	eax, 0x24D
	jne	fail
	inc	ebp
	cmp	dword [ebx + 4], 640	; mem_lower in KiB
	jne	fail
	inc	ebp
	mov	edi, bss		; BSS zeroed
	mov	ecx, (bss_end - bss) / 4
	xor	eax, eax
	repe scasd
	jne	fail
	inc	ebp
	mov	ax, 0x10		; the data selector works
	mov	ds, ax
	mov	ss, ax
	mov	esp, stack_top

	mov	esi, msg_mem
	call	puts
	mov	eax, [ebx + 8]		; mem_upper
	call	putdec
	mov	esi, msg_cmd
	call	puts
	mov	esi, [ebx + 16]		; cmdline
	call	puts
	mov	esi, msg_name
	call	puts
	mov	esi, [ebx + 64]		; boot_loader_name
	call	puts
	mov	al, 10
	out	dx, al
	xor	eax, eax
	out	0xF4, al
	hlt

fail:
	mov	esi, msg_fail
	call	puts
	mov	eax, ebp
	out	0xF4, al
	hlt

puts:
	mov	dx, 0x402
.l:	lodsb
	test	al, al
	jz	.d
	out	dx, al
	jmp	.l
.d:	ret

; eax in decimal
putdec:
	mov	ecx, 10
	xor	edi, edi
.div:	xor	edx, edx
	div	ecx
	push	edx
	inc	edi
	test	eax, eax
	jnz	.div
	mov	dx, 0x402
.out:	pop	eax
	add	al, '0'
	out	dx, al
	dec	edi
	jnz	.out
	ret

msg_mem:	db	"multiboot ok, mem_upper=", 0
msg_cmd:	db	" KiB, cmdline=", 0
msg_name:	db	", loader=", 0
msg_fail:	db	"multiboot FAIL", 10, 0
	align	4
load_end:
bss	equ	load_end
stack_top equ	bss + 256
bss_end	equ	stack_top
