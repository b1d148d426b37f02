; The nested-exits benchmark's guest for `vmmsim run --bare-metal` on
; Intel (VT-x): a multiboot kernel that is a minimal hypervisor.  It
; enters VMX operation, builds a VMCS and EPT tables as bare_vmx.asm does
; and runs a guest (L2) that does nothing but OUT to port 0x80 in a loop.
; Each I/O exit is handled as a hypervisor would: VMREAD of the exit
; reason (checked), of the instruction length and of L2's RIP, VMWRITE
; of the advanced RIP, VMRESUME.  After N exits (N is the multiboot
; command line, decimal; 0 when there is none; "Ns": L2 spins on
; NOPs and never exits, for tests/check_bare) it writes
; "bench_nested_vmx: done" on COM1 and ends through port 0xF4 with 0
; (vmmsim's exit status 1); any failure ends it with the failed step.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000	; a.out kludge
PML4		equ	0x800000	; L1's page tables (identity, 1 GiB)
VMXON_REG	equ	0x810000
VMCS_REG	equ	0x811000
EPT_PML4	equ	0x820000
EPT_PDPT	equ	0x821000
EPT_PD		equ	0x822000
L2_BASE		equ	0x400000	; L2's GPA 0
HOST_STACK	equ	0x830000
COM1		equ	0x3F8

mbheader:
	dd	MB_MAGIC
	dd	MB_FLAGS
	dd	-(MB_MAGIC + MB_FLAGS)
	dd	mbheader		; header_addr
	dd	0x100000		; load_addr
	dd	load_end		; load_end_addr
	dd	load_end		; bss_end_addr
	dd	start			; entry_addr

start:
	cli
	lgdt	[gdtr]
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, HOST_STACK
	call	parse_count
	mov	edi, PML4
	mov	ecx, 3 * 4096 / 4
	xor	eax, eax
	rep stosd
	mov	dword [PML4], PML4 + 0x1000 + 3
	mov	dword [PML4 + 0x1000], PML4 + 0x2000 + 3
	mov	edi, PML4 + 0x2000
	mov	eax, 0x83
	mov	ecx, 512
.pd:	mov	[edi], eax
	add	eax, 0x200000
	add	edi, 8
	loop	.pd
	mov	eax, cr4
	or	eax, 0x20		; PAE
	mov	cr4, eax
	mov	eax, PML4
	mov	cr3, eax
	mov	ecx, 0xC0000080
	rdmsr
	or	eax, 0x100		; LME
	wrmsr
	mov	eax, 0x80000031		; PG, NE, ET, PE
	mov	cr0, eax
	jmp	0x08:lm64

; N from the multiboot command line (EBX: the information structure,
; flags bit 2: cmdline valid): its leading decimal digits.
parse_count:
	xor	eax, eax
	test	dword [ebx], 4
	jz	.done
	mov	esi, [ebx + 16]
.dig:	movzx	ecx, byte [esi]
	sub	ecx, '0'
	cmp	ecx, 9
	ja	.done
	imul	eax, eax, 10
	add	eax, ecx
	inc	esi
	jmp	.dig
.done:	mov	[count], eax
	test	dword [ebx], 4		; "Ns": L2 spins instead (tests)
	jz	.ret
	cmp	byte [esi], 's'
	jne	.ret
	mov	byte [spin], 1
.ret:	ret

bits 64
%macro VMW 2
	mov	rax, %2
	mov	rdx, %1
	vmwrite	rdx, rax
	jbe	fail
%endmacro
%macro VMR 1			; rax = field %1
	mov	rdx, %1
	vmread	rax, rdx
	jbe	fail
%endmacro

lm64:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	rsp, HOST_STACK
	mov	ebp, 1			; step 1: VMX operation
	mov	ecx, 0x3A
	mov	eax, 5			; lock, VMX outside SMX
	xor	edx, edx
	wrmsr
	mov	ecx, 0x480
	rdmsr
	mov	[VMXON_REG], eax
	mov	[VMCS_REG], eax
	mov	rax, cr4
	or	eax, 0x2000
	mov	cr4, rax
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	jbe	fail
	mov	rsi, vmcs_ptr
	vmclear	[rsi]
	jbe	fail
	vmptrld	[rsi]
	jbe	fail

	; L2's memory and EPT: GPA 0-2 MiB -> L2_BASE, nothing else.
	mov	rsi, l2_code
	mov	rdi, L2_BASE
	mov	rcx, l2_end - l2_code
	rep movsb
	cmp	byte [rel spin], 0	; L2 never exits: its OUT is NOPs
	je	.nospin
	mov	word [L2_BASE], 0x9090
.nospin:
	mov	rdi, EPT_PML4
	mov	rcx, 3 * 4096 / 8
	xor	eax, eax
	rep stosq
	mov	qword [EPT_PML4], EPT_PDPT + 7
	mov	qword [EPT_PDPT], EPT_PD + 7
	mov	qword [EPT_PD], L2_BASE + 0xB7	; RWX, WB, 2 MiB

	mov	ebp, 2			; step 2: the VMCS
	mov	ecx, 0x481
	xor	eax, eax
	call	adjust
	VMW	0x4000, rax		; pin-based
	mov	ecx, 0x482
	mov	eax, (1 << 24) | (1 << 31) ; unconditional I/O, secondary
	call	adjust
	VMW	0x4002, rax
	mov	ecx, 0x48B
	mov	eax, (1 << 1) | (1 << 7)	; EPT, unrestricted guest
	call	adjust
	VMW	0x401E, rax
	mov	ecx, 0x483
	mov	eax, 1 << 9		; host address-space size
	call	adjust
	VMW	0x400C, rax
	mov	ecx, 0x484
	xor	eax, eax
	call	adjust
	VMW	0x4012, rax
	VMW	0x201A, EPT_PML4 + 0x1E	; EPTP: WB, 4 levels
	VMW	0x2800, -1		; VMCS link pointer
	VMW	0x4004, 0		; exception bitmap
	VMW	0x400A, 0		; CR3-target count

	; Host state: this kernel.
	mov	rax, cr0
	VMW	0x6C00, rax
	mov	rax, cr3
	VMW	0x6C02, rax
	mov	rax, cr4
	VMW	0x6C04, rax
	VMW	0x0C00, 0x10
	VMW	0x0C02, 0x08
	VMW	0x0C04, 0x10
	VMW	0x0C06, 0x10
	VMW	0x0C08, 0x10
	VMW	0x0C0A, 0x10
	VMW	0x0C0C, 0x18
	VMW	0x6C06, 0		; FS base
	VMW	0x6C08, 0		; GS base
	VMW	0x6C0A, tss		; TR base
	VMW	0x6C0C, gdt		; GDTR base
	VMW	0x6C0E, 0		; IDTR base
	VMW	0x4C00, 0		; SYSENTER
	VMW	0x6C10, 0
	VMW	0x6C12, 0
	VMW	0x6C14, HOST_STACK
	VMW	0x6C16, l1_exit

	; Guest state: flat 32-bit protected mode, no paging.
	VMW	0x6800, 0x31		; CR0: PE, ET, NE
	VMW	0x6802, 0
	VMW	0x6804, 0x2000		; CR4: VMXE
	VMW	0x0802, 0x08		; CS
	VMW	0x4802, 0xFFFFFFFF
	VMW	0x4816, 0xC09B
	VMW	0x6808, 0
	mov	ebx, 0x0800		; ES, SS, DS, FS, GS
.seg:	cmp	ebx, 0x0802
	je	.next
	VMW	rbx, 0x10
	lea	rdx, [rbx + 0x4000]	; limit 0x48xx
	mov	eax, 0xFFFFFFFF
	vmwrite	rdx, rax
	jbe	fail
	lea	rdx, [rbx + 0x4014]	; AR 0x4814 + 2i
	mov	eax, 0xC093
	vmwrite	rdx, rax
	jbe	fail
	lea	rdx, [rbx + 0x6006]	; base 0x6806 + 2i
	xor	eax, eax
	vmwrite	rdx, rax
	jbe	fail
.next:	add	ebx, 2
	cmp	ebx, 0x080C
	jb	.seg
	VMW	0x080C, 0		; LDTR: unusable
	VMW	0x4820, 0x10000
	VMW	0x080E, 0x18		; TR: busy 32-bit TSS
	VMW	0x480E, 0x67
	VMW	0x4822, 0x8B
	VMW	0x6814, 0
	VMW	0x4810, 0xFFFF		; GDTR, IDTR
	VMW	0x4812, 0xFFFF
	VMW	0x6816, 0
	VMW	0x6818, 0
	VMW	0x681A, 0x400		; DR7
	VMW	0x2802, 0		; DEBUGCTL
	VMW	0x681C, 0x1000		; RSP
	VMW	0x681E, 0		; RIP: L2's GPA 0
	VMW	0x6820, 2		; RFLAGS
	VMW	0x4824, 0
	VMW	0x4826, 0

	mov	ebp, 3			; step 3: VMLAUNCH
	cmp	dword [rel count], 0
	je	done
	vmlaunch
	jmp	fail

; --- one I/O exit of L2 ---------------------------------------------------
l1_exit:
	mov	ebp, 4			; step 4: an exit that is not the OUT
	VMR	0x4402			; exit reason
	cmp	eax, 30
	jne	fail
	VMR	0x440C			; instruction length
	mov	rbx, rax
	VMR	0x681E			; L2's RIP
	add	rax, rbx
	VMW	0x681E, rax
	dec	dword [rel count]
	jz	done
	vmresume
	mov	ebp, 5			; step 5: VMRESUME failed
	jmp	fail

done:
	mov	rsi, msg_done
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

; eax = wanted control bits, ecx = capability MSR -> eax = bits to use
adjust:
	mov	r8d, eax
	rdmsr
	or	r8d, eax
	and	r8d, edx
	mov	eax, r8d
	ret

fail:
	mov	rsi, msg_fail
	call	puts
	mov	eax, ebp
	out	0xF4, al
	hlt

puts:
	mov	dx, COM1
.c:	lodsb
	test	al, al
	jz	.done
	out	dx, al
	jmp	.c
.done:	ret

; --- L2: 32-bit protected mode at its GPA 0 ---------------------------------
bits 32
l2_code:
	out	0x80, al
	jmp	l2_code			; relative: runs at any address
l2_end:

bits 64
	align	4096			; data on pages of their own
gdt:	dq	0
	dq	0x00AF9B000000FFFF		; 0x08: code64
	dq	0x00CF93000000FFFF		; 0x10: data
	dq	0x0000890000000067		; 0x18: TSS (base patched: 0)
	dq	0
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dq	gdt
	align	16
tss:	times 0x68 db 0
vmxon_ptr:	dq	VMXON_REG
vmcs_ptr:	dq	VMCS_REG
count:		dd	0
spin:		db	0
msg_done:	db	"bench_nested_vmx: done", 10, 0
msg_fail:	db	"bench_nested_vmx: FAIL", 10, 0
	align	4
load_end:
