; #UD and #GP of the VMX and SVM instructions by mode and CPL, driven from
; guest code, for `vmmsim run --bare-metal` in either vendor mode: a
; multiboot kernel in 32-bit protected mode without paging.  With CR4.VMXE
; (Intel) or EFER.SVME (AMD) set it runs, on AMD, VMRUN, VMLOAD and STGI
; at CPL 3 (#GP(0), APM Vol. 2 §15.5.1 and the instructions' "Exceptions"),
; then, on either, in real mode: VMXON (Intel) or VMRUN and STGI (AMD),
; all #UD.  Each outcome goes to COM1 as "CASE ud|gp|ok"; the end is port
; 0xF4 = 0.  tests/check_bare.c compares the real-mode ones with src/emu.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000
COM1		equ	0x3F8
RM_BASE		equ	0x8000		; where the real-mode part is copied
VMCB		equ	0x300000
HSAVE		equ	0x301000

	dd	MB_MAGIC
	dd	MB_FLAGS
	dd	-(MB_MAGIC + MB_FLAGS)
	dd	0x100000, 0x100000, load_end, load_end, start

; CASE name: report the fault the instruction just run took
%macro CASE 1
	mov	esi, %1
	call	report
%endmacro

start:
	cli
	lgdt	[gdtr]
	jmp	0x08:.cs
.cs:	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, stack_top

	mov	eax, on_ud
	mov	edi, idt + 6 * 8
	call	set_gate
	mov	eax, on_gp
	mov	edi, idt + 13 * 8
	call	set_gate
	mov	eax, to_cpl0
	mov	edi, idt + 0x80 * 8
	call	set_gate
	mov	byte [idt + 0x80 * 8 + 5], 0xEE		; DPL 3
	lidt	[idtr]
	mov	eax, tss				; TSS: ESP0, SS0
	mov	[gdt + 0x18 + 2], ax
	shr	eax, 16
	mov	[gdt + 0x18 + 4], al
	mov	[gdt + 0x18 + 7], ah
	mov	dword [tss + 4], stack0_top
	mov	dword [tss + 8], 0x10
	mov	ax, 0x18
	ltr	ax

	xor	eax, eax
	cpuid
	cmp	ebx, 0x68747541		; "Auth"
	sete	[amd]
	je	.amd
	mov	eax, cr4		; Intel: CR4.VMXE
	or	eax, 0x2000
	mov	cr4, eax
	jmp	real

.amd:	mov	ecx, 0xC0000080		; EFER.SVME, VM_HSAVE_PA
	rdmsr
	or	eax, 0x1000
	wrmsr
	mov	ecx, 0xC0010117
	mov	eax, HSAVE
	xor	edx, edx
	wrmsr

	; CPL 3, IOPL 3 (for COM1).
	mov	eax, esp
	push	0x28 | 3
	push	eax
	push	0x3002
	push	0x20 | 3
	push	.user
	iret
.user:	mov	ax, 0x28 | 3
	mov	ds, ax
	mov	es, ax
	mov	eax, VMCB
	mov	byte [fault_vec], 0
	vmrun
	CASE	c_vmrun_cpl3
	mov	eax, VMCB
	vmload
	CASE	c_vmload_cpl3
	stgi
	CASE	c_stgi_cpl3
	int	0x80			; back at real, CPL 0

to_cpl0:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, stack_top
real:
	; The real-mode part runs at RM_BASE; its #UD handler is IVT 6.
	mov	esi, rm_start
	mov	edi, RM_BASE
	mov	ecx, rm_end - rm_start
	rep movsb
	mov	word [6 * 4], rm_ud - rm_start + RM_BASE
	mov	word [6 * 4 + 2], 0
	mov	al, [amd]
	mov	[rm_amd - rm_start + RM_BASE], al
	jmp	0x30:RM_BASE

back_pm:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	esp, stack_top
	lidt	[idtr]
	cmp	byte [amd], 0
	jne	.amd
	mov	al, [rm_res0 - rm_start + RM_BASE]
	mov	[fault_vec], al
	CASE	c_vmxon_real
	jmp	.done
.amd:	mov	al, [rm_res0 - rm_start + RM_BASE]
	mov	[fault_vec], al
	CASE	c_vmrun_real
	mov	al, [rm_res1 - rm_start + RM_BASE]
	mov	[fault_vec], al
	CASE	c_stgi_real
.done:	mov	esi, msg_done
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

; esi = case name: "name ud|gp|ok", fault_vec back to 0
report:
	call	puts
	mov	esi, msg_ok
	cmp	byte [fault_vec], 6
	jne	.gp
	mov	esi, msg_ud
.gp:	cmp	byte [fault_vec], 13
	jne	.p
	mov	esi, msg_gp
.p:	call	puts
	mov	byte [fault_vec], 0
	ret

puts:
	lodsb
	test	al, al
	jz	.done
	mov	dx, COM1
	out	dx, al
	jmp	puts
.done:	ret

; eax = handler, edi = its 32-bit interrupt gate
set_gate:
	mov	[edi], ax
	mov	word [edi + 2], 0x08
	mov	word [edi + 4], 0x8E00
	shr	eax, 16
	mov	[edi + 6], ax
	ret

; #GP, #UD: note the vector, skip the 3-byte instruction.
on_gp:
	mov	byte [fault_vec], 13
	add	esp, 4			; the error code
	add	dword [esp], 3
	iret
on_ud:
	mov	byte [fault_vec], 6
	add	dword [esp], 3
	iret

; --- real mode, copied to RM_BASE ------------------------------------------
bits 16
rm_start:
	mov	ax, 0x38		; 16-bit data, base 0
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	eax, cr0
	and	eax, ~1
	mov	cr0, eax
	jmp	0:rm_real - rm_start + RM_BASE
rm_real:
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, 0x7000
	lidt	[rm_idtr - rm_start + RM_BASE]
	mov	byte [rm_skip - rm_start + RM_BASE], 3
	cmp	byte [rm_amd - rm_start + RM_BASE], 0
	jne	.amd
	mov	byte [rm_skip - rm_start + RM_BASE], 4
	mov	si, 0x7000
	vmxon	[si]			; F3 0F C7 34
	mov	al, [rm_fault - rm_start + RM_BASE]
	mov	[rm_res0 - rm_start + RM_BASE], al
	jmp	.back
.amd:	mov	eax, VMCB
	vmrun
	mov	al, [rm_fault - rm_start + RM_BASE]
	mov	[rm_res0 - rm_start + RM_BASE], al
	mov	byte [rm_fault - rm_start + RM_BASE], 0
	stgi
	mov	al, [rm_fault - rm_start + RM_BASE]
	mov	[rm_res1 - rm_start + RM_BASE], al
.back:	mov	eax, cr0
	or	eax, 1
	mov	cr0, eax
	jmp	dword 0x08:back_pm

rm_ud:
	push	bp
	mov	bp, sp
	mov	byte [rm_fault - rm_start + RM_BASE], 6
	push	ax
	movzx	ax, byte [rm_skip - rm_start + RM_BASE]
	add	[bp + 2], ax
	pop	ax
	pop	bp
	iret

rm_idtr:	dw	0x3FF
		dd	0
rm_skip:	db	3
rm_fault:	db	0
rm_res0:	db	0
rm_res1:	db	0
rm_amd:		db	0
rm_end:

bits 32
	align	8
gdt:	dq	0
	dq	0x00CF9B000000FFFF		; 0x08: code32
	dq	0x00CF93000000FFFF		; 0x10: data
	dq	0x0000890000000067		; 0x18: TSS (base patched)
	dq	0x00CFFB000000FFFF		; 0x20: user code32
	dq	0x00CFF3000000FFFF		; 0x28: user data
	dq	0x00009B000000FFFF		; 0x30: code16, base 0
	dq	0x000093000000FFFF		; 0x38: data16, base 0
gdtr:	dw	$ - gdt - 1
	dd	gdt
idtr:	dw	0x81 * 8 - 1
	dd	idt
amd:		db	0
fault_vec:	db	0
c_vmrun_cpl3:	db	"vmrun-cpl3 ", 0
c_vmload_cpl3:	db	"vmload-cpl3 ", 0
c_stgi_cpl3:	db	"stgi-cpl3 ", 0
c_vmxon_real:	db	"vmxon-real-mode ", 0
c_vmrun_real:	db	"vmrun-real-mode ", 0
c_stgi_real:	db	"stgi-real-mode ", 0
msg_ud:		db	"ud", 10, 0
msg_gp:		db	"gp", 10, 0
msg_ok:		db	"ok", 10, 0
msg_done:	db	"bare_modeerr: done", 10, 0
	align	8
idt:	times 0x81 dq 0
tss:	times 0x68 db 0
	align	16
	times 1024 db 0
stack0_top:
	times 1024 db 0
stack_top:
	align	4
load_end:
