; A bare-metal hypervisor for `vmmsim run --bare-metal` on Intel (VT-x):
; a multiboot (a.out kludge) kernel at 1 MiB.  From the loader's 32-bit
; protected mode it goes to long mode, finds VMX in CPUID, sets and locks
; IA32_FEATURE_CONTROL, reads the capability MSRs, sets CR4.VMXE, enters
; VMX operation, builds a VMCS and EPT tables, and launches a guest (L2)
; in 32-bit protected mode without paging (unrestricted guest), whose
; memory at GPA 0 is this kernel's at 4 MiB.  L2 does an OUT, a CPUID,
; a 32-bit OUT, a load from an unmapped GPA (an EPT violation, which the
; hypervisor fixes by mapping the page and INVEPT) and HLT.  Every exit
; field the hypervisor reads is checked; each exit is printed on COM1 as
; "exit REASON QUAL".  It ends through the debug-exit port 0xF4: 0 when
; every check passed, else the number of the failed check (in EBP).

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
L2_FIX		equ	0x600000	; what L2's GPA 2 MiB gets after the fault
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

bits 64
%macro CHECK 0
	inc	ebp
%endmacro
%macro VMW 2
	mov	rax, %2
	mov	rdx, %1
	vmwrite	rdx, rax
	jbe	vmfail
%endmacro
%macro VMR 1			; rax = field %1
	mov	rdx, %1
	vmread	rax, rdx
	jbe	vmfail
%endmacro

lm64:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	rsp, HOST_STACK
	xor	ebp, ebp

	CHECK				; 1: CPUID.1:ECX.VMX
	mov	eax, 1
	cpuid
	bt	ecx, 5
	jnc	fail
	CHECK				; 2: IA32_FEATURE_CONTROL unlocked, 0
	mov	ecx, 0x3A
	rdmsr
	test	eax, eax
	jnz	fail
	mov	eax, 5			; lock, VMX outside SMX
	xor	edx, edx
	wrmsr
	CHECK				; 3: and now reads 5
	rdmsr
	cmp	eax, 5
	jne	fail
	CHECK				; 4: IA32_VMX_BASIC: revision, 4 KiB
	mov	ecx, 0x480
	rdmsr
	mov	[rel revision], eax
	test	eax, eax
	jz	fail
	and	edx, 0x1FFF
	cmp	edx, 0x1000
	jne	fail
	CHECK				; 5: CR4.VMXE reads back
	mov	rax, cr4
	or	eax, 0x2000
	mov	cr4, rax
	mov	rax, cr4
	bt	eax, 13
	jnc	fail

	CHECK				; 6: VMXON
	mov	eax, [rel revision]
	mov	[VMXON_REG], eax
	mov	[VMCS_REG], eax
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	jbe	fail
	CHECK				; 7: VMCLEAR, VMPTRLD, VMPTRST
	mov	rsi, vmcs_ptr
	vmclear	[rsi]
	jbe	fail
	mov	rsi, vmcs_ptr
	vmptrld	[rsi]
	jbe	fail
	mov	qword [rel scratch], 0
	mov	rsi, scratch
	vmptrst	[rsi]
	jbe	fail
	cmp	qword [rel scratch], VMCS_REG
	jne	fail

	; L2's memory and EPT: GPA 0-2 MiB -> L2_BASE, nothing else.
	mov	rsi, l2_code
	mov	rdi, L2_BASE
	mov	rcx, l2_end - l2_code
	rep movsb
	mov	rdi, EPT_PML4
	mov	rcx, 3 * 4096 / 8
	xor	eax, eax
	rep stosq
	mov	qword [EPT_PML4], EPT_PDPT + 7
	mov	qword [EPT_PDPT], EPT_PD + 7
	mov	qword [EPT_PD], L2_BASE + 0xB7	; RWX, WB, 2 MiB
	mov	dword [L2_FIX + 0x10], 0xCAFEF00D

	CHECK				; 8: the VMCS, field by field
	mov	ecx, 0x481
	xor	eax, eax
	call	adjust
	VMW	0x4000, rax		; pin-based
	mov	ecx, 0x482
	mov	eax, (1 << 7) | (1 << 24) | (1 << 31) ; HLT, I/O, secondary
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
	jbe	vmfail
	lea	rdx, [rbx + 0x4014]	; AR 0x4814 + 2i
	mov	eax, 0xC093
	vmwrite	rdx, rax
	jbe	vmfail
	lea	rdx, [rbx + 0x6006]	; base 0x6806 + 2i
	xor	eax, eax
	vmwrite	rdx, rax
	jbe	vmfail
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

	CHECK				; 9: VMLAUNCH enters L2
	mov	ebx, ebp
	mov	[rel saved_ebp], ebx
	vmlaunch
	jmp	fail

; --- L2's exits -------------------------------------------------------------
l1_exit:
	mov	[rel l2_rax], rax
	mov	[rel l2_rbx], rbx
	mov	[rel l2_rcx], rcx
	mov	[rel l2_rdx], rdx
	mov	ebp, [rel saved_ebp]
	VMR	0x4402
	mov	[rel reason], eax
	VMR	0x6400
	mov	[rel qual], rax
	VMR	0x440C
	mov	[rel ilen], eax
	VMR	0x681E
	mov	[rel grip], rax
	mov	rsi, msg_exit
	call	puts
	mov	eax, [rel reason]
	call	puthex
	mov	al, ' '
	call	putc
	mov	eax, [rel qual]
	call	puthex
	mov	al, 10
	call	putc
	mov	eax, [rel step]
	inc	dword [rel step]
	cmp	eax, 0
	je	step0
	cmp	eax, 1
	je	step1
	cmp	eax, 2
	je	step2
	cmp	eax, 3
	je	step3
	cmp	eax, 4
	je	step4
	jmp	step5

step0:					; OUT 0x80, AL
	mov	ebp, 10
	cmp	dword [rel reason], 30
	jne	fail
	inc	ebp			; 11
	cmp	qword [rel qual], 0x00800040
	jne	fail
	inc	ebp			; 12
	cmp	dword [rel ilen], 2
	jne	fail
	inc	ebp			; 13
	cmp	qword [rel grip], l2_out1 - l2_code
	jne	fail
	inc	ebp			; 14
	cmp	byte [rel l2_rax], 0x42
	jne	fail
	jmp	advance
step1:					; CPUID leaf 0
	mov	ebp, 20
	cmp	dword [rel reason], 10
	jne	fail
	inc	ebp			; 21
	cmp	dword [rel ilen], 2
	jne	fail
	inc	ebp			; 22
	cmp	qword [rel l2_rax], 0
	jne	fail
	mov	qword [rel l2_rbx], 0x600DF00D
	jmp	advance
step2:					; OUT 0x81, EAX
	mov	ebp, 30
	cmp	dword [rel reason], 30
	jne	fail
	inc	ebp			; 31
	cmp	qword [rel qual], 0x00810043
	jne	fail
	inc	ebp			; 32
	cmp	dword [rel l2_rax], 0x600DF00D
	jne	fail
	jmp	advance
step3:					; the load from GPA 0x200010
	mov	ebp, 40
	cmp	dword [rel reason], 48
	jne	fail
	inc	ebp			; 41
	cmp	qword [rel qual], 0x181	; read, linear address valid
	jne	fail
	inc	ebp			; 42
	VMR	0x2400
	cmp	rax, 0x200010
	jne	fail
	inc	ebp			; 43
	VMR	0x640A
	cmp	rax, 0x200010
	jne	fail
	inc	ebp			; 44
	cmp	qword [rel grip], l2_load - l2_code
	jne	fail
	mov	qword [EPT_PD + 8], L2_FIX + 0xB7
	inc	ebp			; 45: INVEPT single context
	mov	rax, EPT_PML4 + 0x1E
	mov	[rel invept_desc], rax
	mov	eax, 1
	mov	rsi, invept_desc
	invept	rax, [rsi]
	jbe	fail
	jmp	resume			; the load runs again
step4:					; OUT 0x81, EAX: what the fixed page holds
	mov	ebp, 50
	cmp	dword [rel reason], 30
	jne	fail
	inc	ebp			; 51
	cmp	dword [rel l2_rax], 0xCAFEF00D
	jne	fail
	jmp	advance
step5:					; HLT
	mov	ebp, 60
	cmp	dword [rel reason], 12
	jne	fail
	inc	ebp			; 61
	cmp	dword [rel ilen], 1
	jne	fail
	inc	ebp			; 62: VMCALL in root operation: VMfailValid 1
	vmcall
	jnz	fail
	VMR	0x4400
	cmp	eax, 1
	jne	fail
	inc	ebp			; 63: VMXOFF
	vmxoff
	jbe	fail
	mov	rsi, msg_ok
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

advance:
	mov	rax, [rel grip]
	add	eax, [rel ilen]
	VMW	0x681E, rax
resume:
	mov	rax, [rel l2_rax]
	mov	rbx, [rel l2_rbx]
	mov	rcx, [rel l2_rcx]
	mov	rdx, [rel l2_rdx]
	vmresume
	mov	ebp, 99
	jmp	fail

; --- helpers -------------------------------------------------------------
; eax = wanted control bits, ecx = capability MSR -> eax = bits to use
adjust:
	mov	r8d, eax
	rdmsr
	or	r8d, eax
	and	r8d, edx
	mov	eax, r8d
	ret

vmfail:
	mov	rsi, msg_vmfail
	call	puts
fail:
	mov	rsi, msg_fail
	call	puts
	mov	eax, ebp
	call	puthex
	mov	al, 10
	call	putc
	mov	eax, ebp
	out	0xF4, al
	hlt

putc:
	mov	dx, COM1
	out	dx, al
	ret
puts:
	lodsb
	test	al, al
	jz	.done
	call	putc
	jmp	puts
.done:	ret
puthex:					; eax, 8 digits
	mov	ecx, 8
	mov	ebx, eax
.dig:	rol	ebx, 4
	mov	eax, ebx
	and	eax, 15
	add	al, '0'
	cmp	al, '9'
	jbe	.out
	add	al, 'a' - '9' - 1
.out:	call	putc
	loop	.dig
	ret

; --- L2: 32-bit protected mode at its GPA 0 ---------------------------------
bits 32
l2_code:
	mov	al, 0x42
l2_out1:
	out	0x80, al
	xor	eax, eax
	cpuid
	mov	eax, ebx
	out	0x81, eax
l2_load:
	mov	eax, [0x200010]
	out	0x81, eax
	hlt
	jmp	$
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
scratch:	dq	0
invept_desc:	dq	0, 0
revision:	dd	0
saved_ebp:	dd	0
step:		dd	0
reason:		dd	0
ilen:		dd	0
qual:		dq	0
grip:		dq	0
l2_rax:		dq	0
l2_rbx:		dq	0
l2_rcx:		dq	0
l2_rdx:		dq	0
msg_exit:	db	"exit ", 0
msg_ok:		db	"bare_vmx: ok", 10, 0
msg_fail:	db	"bare_vmx: FAIL ", 0
msg_vmfail:	db	"VMfail ", 0
	align	4
load_end:
