; Error cases of the VMX instructions, driven from guest code, for
; `vmmsim run --bare-metal --vendor intel`: a multiboot kernel (the same
; start as bare_vmx.asm) with an IDT that catches #UD and #GP.  Each case
; runs one instruction in a state that makes it fail and prints on COM1
; "CASE OUTCOME": ud / gp (the exception), fi (VMfailInvalid, CF), fv N
; (VMfailValid, ZF, N the VM-instruction error field), ok, or "exit R"
; (a VM-entry failure that is a VM exit, R the exit reason).  VMPTRLD,
; VMREAD and VMXON also run at CPL 3 (in VMX operation: #GP(0)).
; tests/check_bare.c compares each outcome with what src/emu gives for
; the same state driven directly.  Ends with port 0xF4 = 0.

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
IDT		equ	0x817000
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
	mov	dword [PML4], PML4 + 0x1000 + 7	; P, RW, US: CPL 3 too
	mov	dword [PML4 + 0x1000], PML4 + 0x2000 + 7
	mov	edi, PML4 + 0x2000
	mov	eax, 0x87
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
%macro VMW 2
	mov	rax, %2
	mov	rdx, %1
	vmwrite	rdx, rax
%endmacro
; CASE name, skip: report the outcome of the instruction just run
%macro CASE 1
	pushfq
	pop	r12
	mov	rsi, %1
	call	report
%endmacro

lm64:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	rsp, HOST_STACK
	mov	rdi, IDT
	mov	rcx, 4096 / 8
	xor	eax, eax
	rep stosq
	mov	rdi, IDT + 6 * 16
	mov	rax, on_ud
	call	set_gate
	mov	rdi, IDT + 13 * 16
	mov	rax, on_gp
	call	set_gate
	mov	rdi, IDT + 0x80 * 16	; INT 0x80 from CPL 3: back to 0
	mov	rax, to_cpl0
	call	set_gate
	mov	word [rdi + 4], 0xEE00
	lidt	[rel idtr]
	mov	rax, tss		; the TSS: RSP0 for faults at CPL 3
	mov	[rel gdt + 0x18 + 2], ax
	shr	rax, 16
	mov	[rel gdt + 0x18 + 4], al
	mov	[rel gdt + 0x18 + 7], ah
	mov	qword [rel tss + 4], HOST_STACK - 0x1000
	mov	ax, 0x18
	ltr	ax
	mov	ecx, 0x480
	rdmsr
	mov	[VMXON_REG], eax
	mov	[VMCS_REG], eax

	mov	byte [rel skip], 3	; vmread rax, rdx
	mov	edx, 0x4402
	vmread	rax, rdx
	CASE	c_vmread_off
	mov	byte [rel skip], 4	; vmxon [rsi]
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	CASE	c_vmxon_novmxe
	mov	rax, cr4
	or	eax, 0x2000
	mov	cr4, rax
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	CASE	c_vmxon_fc
	mov	ecx, 0x3A		; lock, VMX outside SMX
	mov	eax, 5
	xor	edx, edx
	wrmsr
	mov	rsi, vmxon_bad
	vmxon	[rsi]
	CASE	c_vmxon_align
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	CASE	c_vmxon

	; CPL 3 (IOPL 3, for COM1): #GP(0) in VMX operation (SDM Vol. 3C
	; §31.3, each instruction's "Operation").
	mov	rax, rsp
	push	0x28 | 3		; SS: user data
	push	rax
	push	0x3002			; RFLAGS: IOPL 3
	push	0x30 | 3		; CS: user code64
	lea	rax, [rel .user]
	push	rax
	iretq
.user:	mov	byte [rel skip], 3	; vmptrld [rsi]
	mov	rsi, vmcs_ptr
	vmptrld	[rsi]
	CASE	c_vmptrld_cpl3
	mov	edx, 0x4402		; vmread rax, rdx
	vmread	rax, rdx
	CASE	c_vmread_cpl3
	mov	byte [rel skip], 4	; vmxon [rsi]
	mov	rsi, vmxon_ptr
	vmxon	[rsi]
	CASE	c_vmxon_cpl3
	int	0x80			; to cpl0_back at CPL 0
cpl0_back:
	mov	rsi, vmcs_ptr
	vmclear	[rsi]
	vmptrld	[rsi]
	mov	rsi, vmxon_ptr
	vmptrld	[rsi]
	CASE	c_vmptrld_vmxon
	vmresume
	CASE	c_vmresume_clear
	VMW	0x4402, 0
	CASE	c_vmwrite_ro

	; A whole VMCS (bare_vmx.asm's), with pin-based controls 0.
	mov	rdi, EPT_PML4
	mov	rcx, 3 * 4096 / 8
	xor	eax, eax
	rep stosq
	mov	qword [EPT_PML4], EPT_PDPT + 7
	mov	qword [EPT_PDPT], EPT_PD + 7
	mov	qword [EPT_PD], L2_BASE + 0xB7
	mov	byte [L2_BASE], 0xF4	; L2: HLT
	VMW	0x4000, 0		; pin-based: its must-be-1 bits clear
	mov	ecx, 0x482
	mov	eax, (1 << 7) | (1 << 24) | (1 << 31)
	call	adjust
	VMW	0x4002, rax
	mov	ecx, 0x48B
	mov	eax, (1 << 1) | (1 << 7)
	call	adjust
	VMW	0x401E, rax
	mov	ecx, 0x483
	mov	eax, 1 << 9
	call	adjust
	VMW	0x400C, rax
	mov	ecx, 0x484
	xor	eax, eax
	call	adjust
	VMW	0x4012, rax
	VMW	0x201A, EPT_PML4 + 0x1E
	VMW	0x2800, -1
	VMW	0x4004, 0
	VMW	0x400A, 0
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
	lea	rdx, [rbx + 0x4014]	; AR 0x4814 + 2i
	mov	eax, 0xC093
	vmwrite	rdx, rax
	lea	rdx, [rbx + 0x6006]	; base 0x6806 + 2i
	xor	eax, eax
	vmwrite	rdx, rax
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
	VMW	0x6820, 0		; RFLAGS: bit 1 clear
	VMW	0x4824, 0
	VMW	0x4826, 0


	vmlaunch
	CASE	c_launch_ctl
	mov	ecx, 0x481
	xor	eax, eax
	call	adjust
	VMW	0x4000, rax
	mov	rax, cr4
	and	eax, ~0x2000
	VMW	0x6C04, rax		; host CR4.VMXE clear
	vmlaunch
	CASE	c_launch_host
	mov	rax, cr4
	VMW	0x6C04, rax
	mov	dword [rel stage], 1
	vmlaunch			; guest RFLAGS bit 1 clear: exit 33
	mov	rsi, msg_noexit
	jmp	die

l1_exit:
	mov	rsp, HOST_STACK
	mov	edx, 0x4402
	vmread	rax, rdx
	mov	[rel reason], eax
	cmp	dword [rel stage], 1
	jne	.launched
	mov	rsi, c_launch_guest
	call	putexit
	mov	dword [rel stage], 2
	VMW	0x6820, 2
	vmlaunch			; L2 runs its HLT
	mov	rsi, msg_noexit
	jmp	die
.launched:
	mov	rsi, c_launch_ok
	call	putexit
	vmlaunch
	CASE	c_launch_launched
	vmxoff
	CASE	c_vmxoff
	mov	rsi, msg_done
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

die:
	call	puts
	mov	al, 1
	out	0xF4, al
	hlt

; rsi = case name: "name exit REASON"
putexit:
	call	puts
	mov	rsi, msg_exit
	call	puts
	mov	eax, [rel reason]
	call	puthex
	mov	al, 10
	jmp	putc

; rsi = case name, r12 = RFLAGS after the instruction
report:
	call	puts
	mov	al, ' '
	call	putc
	movzx	eax, byte [rel fault_vec]
	mov	byte [rel fault_vec], 0
	mov	rsi, msg_ud
	cmp	eax, 6
	je	.out
	mov	rsi, msg_gp
	cmp	eax, 13
	je	.out
	mov	rsi, msg_fi
	bt	r12, 0
	jc	.out
	mov	rsi, msg_ok
	bt	r12, 6
	jnc	.out
	mov	rsi, msg_fv
	call	puts
	mov	edx, 0x4400
	vmread	rax, rdx
	call	puthex
	mov	al, 10
	jmp	putc
.out:	call	puts
	mov	al, 10
	jmp	putc

adjust:
	mov	r8d, eax
	rdmsr
	or	r8d, eax
	and	r8d, edx
	mov	eax, r8d
	ret

set_gate:
	mov	[rdi], ax
	mov	word [rdi + 2], 0x08
	mov	word [rdi + 4], 0x8E00
	shr	rax, 16
	mov	[rdi + 6], ax
	shr	rax, 16
	mov	[rdi + 8], eax
	mov	dword [rdi + 12], 0
	ret

to_cpl0:
	mov	rsp, HOST_STACK
	mov	ax, 0x10
	mov	ss, ax
	jmp	cpl0_back

on_gp:
	mov	byte [rel fault_vec], 13
	add	rsp, 8			; the error code
	jmp	skip_insn
on_ud:
	mov	byte [rel fault_vec], 6
skip_insn:
	push	rax
	movzx	eax, byte [rel skip]
	add	[rsp + 8], rax
	pop	rax
	iretq

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
puthex:
	mov	ecx, 8
	mov	ebx, eax
.dig:	rol	ebx, 4
	mov	eax, ebx
	and	eax, 15
	add	al, '0'
	cmp	al, '9'
	jbe	.o
	add	al, 'a' - '9' - 1
.o:	call	putc
	loop	.dig
	ret

	align	4096
gdt:	dq	0
	dq	0x00AF9B000000FFFF		; 0x08: code64
	dq	0x00CF93000000FFFF		; 0x10: data
	dq	0x0000890000000067		; 0x18: TSS (base patched)
	dq	0
	dq	0x00CFF3000000FFFF		; 0x28: user data
	dq	0x00AFFB000000FFFF		; 0x30: user code64
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dq	gdt
idtr:	dw	4095
	dq	IDT
	align	16
tss:	times 0x68 db 0
vmxon_ptr:	dq	VMXON_REG
vmxon_bad:	dq	VMXON_REG + 8
vmcs_ptr:	dq	VMCS_REG
stage:		dd	0
reason:		dd	0
fault_vec:	db	0
skip:		db	3
c_vmread_off:	db	"vmread-outside-vmx", 0
c_vmxon_novmxe:	db	"vmxon-cr4.vmxe-clear", 0
c_vmxon_fc:	db	"vmxon-feature-control-unlocked", 0
c_vmxon_align:	db	"vmxon-misaligned", 0
c_vmxon:	db	"vmxon", 0
c_vmptrld_vmxon: db	"vmptrld-vmxon-pointer", 0
c_vmptrld_cpl3:	db	"vmptrld-cpl3", 0
c_vmread_cpl3:	db	"vmread-cpl3", 0
c_vmxon_cpl3:	db	"vmxon-cpl3", 0
c_vmresume_clear: db	"vmresume-clear-vmcs", 0
c_vmwrite_ro:	db	"vmwrite-read-only", 0
c_launch_ctl:	db	"vmlaunch-bad-control", 0
c_launch_host:	db	"vmlaunch-bad-host-state", 0
c_launch_guest:	db	"vmlaunch-bad-guest-state", 0
c_launch_ok:	db	"vmlaunch", 0
c_launch_launched: db	"vmlaunch-launched-vmcs", 0
c_vmxoff:	db	"vmxoff", 0
msg_ud:		db	"ud", 0
msg_gp:		db	"gp", 0
msg_fi:		db	"fi", 0
msg_fv:		db	"fv ", 0
msg_ok:		db	"ok", 0
msg_exit:	db	" exit ", 0
msg_noexit:	db	"no VM exit", 10, 0
msg_done:	db	"bare_vmxerr: done", 10, 0
	align	4
load_end:
