; A bare-metal hypervisor for `vmmsim run --bare-metal --vendor amd`
; (AMD-V): a multiboot (a.out kludge) kernel at 1 MiB, the SVM twin of
; bare_vmx.asm.  From the loader's 32-bit protected mode it goes to long
; mode with an IDT that catches #UD and #GP, finds SVM in CPUID (leaf
; 0x80000001 and the SVM leaf 0x8000000A), checks that VMRUN raises #UD
; while EFER.SVME is clear, sets SVME, sets VM_HSAVE_PA (a misaligned
; value raises #GP), checks VMSAVE/VMLOAD against KernelGSbase, builds a
; VMCB and nested page tables and runs a guest (L2) in 32-bit protected
; mode without paging, whose memory at GPA 0 is this kernel's at 4 MiB.
; L2 does an OUT, a CPUID, a 32-bit OUT, a load from an unmapped GPA (a
; nested page fault, which the hypervisor fixes by mapping the page and
; INVLPGA), another OUT, VMMCALL and HLT.  Each #VMEXIT is printed on
; COM1 as "exit EXITCODE EXITINFO1 EXITINFO2" and every field the
; hypervisor reads is checked; at the end a VMRUN of a VMCB with ASID 0
; must give VMEXIT_INVALID.  It ends through the debug-exit port 0xF4:
; 0 when every check passed, else the number of the failed check (EBP).

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000	; a.out kludge
PML4		equ	0x800000	; L1's page tables (identity, 1 GiB)
VMCB		equ	0x810000	; L2's VMCB
HSAVE		equ	0x811000	; VM_HSAVE_PA
IOPM		equ	0x812000	; 12 KiB, every port intercepted
HOSTSAVE	equ	0x815000	; L1's VMSAVE area
TESTVMCB	equ	0x816000
IDT		equ	0x817000
NPT_PML4	equ	0x820000
NPT_PDPT	equ	0x821000
NPT_PD		equ	0x822000
L2_BASE		equ	0x400000	; L2's GPA 0
L2_FIX		equ	0x600000	; what L2's GPA 2 MiB gets after the fault
HOST_STACK	equ	0x830000
COM1		equ	0x3F8

MSR_EFER	equ	0xC0000080
MSR_KGSBASE	equ	0xC0000102
MSR_VM_CR	equ	0xC0010114
MSR_HSAVE	equ	0xC0010117

; VMCB offsets (APM Vol. 2 appendix B)
V_MISC1		equ	0x00C
V_MISC2		equ	0x010
V_IOPM		equ	0x040
V_ASID		equ	0x058
V_EXITCODE	equ	0x070
V_EXITINFO1	equ	0x078
V_EXITINFO2	equ	0x080
V_NP		equ	0x090
V_NCR3		equ	0x0B0
V_NRIP		equ	0x0C8
V_ES		equ	0x400
V_CS		equ	0x410
V_GDTR		equ	0x460
V_LDTR		equ	0x470
V_IDTR		equ	0x480
V_TR		equ	0x490
V_EFER		equ	0x4D0
V_CR4		equ	0x548
V_CR3		equ	0x550
V_CR0		equ	0x558
V_DR7		equ	0x560
V_DR6		equ	0x568
V_RFLAGS	equ	0x570
V_RIP		equ	0x578
V_RSP		equ	0x5D8
V_RAX		equ	0x5F8
V_KGSBASE	equ	0x620
V_GPAT		equ	0x668

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
	mov	ecx, MSR_EFER
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

lm64:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	rsp, HOST_STACK
	xor	ebp, ebp

	; The IDT: #UD and #GP note their vector and skip [skip] bytes.
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
	lidt	[rel idtr]

	CHECK				; 1: CPUID 0x80000001:ECX.SVM
	mov	eax, 0x80000001
	cpuid
	bt	ecx, 2
	jnc	fail
	CHECK				; 2: the SVM leaf: NP, NRIPS, ASIDs
	mov	eax, 0x8000000A
	cpuid
	test	ebx, ebx
	jz	fail
	and	edx, 9
	cmp	edx, 9
	jne	fail
	CHECK				; 3: EFER.SVME reads clear
	mov	ecx, MSR_EFER
	rdmsr
	bt	eax, 12
	jc	fail
	CHECK				; 4: VMRUN with SVME clear: #UD
	mov	byte [rel fault_vec], 0
	mov	byte [rel skip], 3
	mov	rax, VMCB
	vmrun
	cmp	byte [rel fault_vec], 6
	jne	fail
	CHECK				; 5: STGI with SVME clear: #UD too
	mov	byte [rel fault_vec], 0
	stgi
	cmp	byte [rel fault_vec], 6
	jne	fail
	CHECK				; 6: VM_CR: SVMDIS clear
	mov	ecx, MSR_VM_CR
	rdmsr
	test	eax, 0x10
	jnz	fail
	CHECK				; 7: EFER.SVME set, reads back
	mov	ecx, MSR_EFER
	rdmsr
	or	eax, 0x1000
	wrmsr
	rdmsr
	bt	eax, 12
	jnc	fail
	CHECK				; 8: VM_HSAVE_PA misaligned: #GP
	mov	byte [rel fault_vec], 0
	mov	byte [rel skip], 2
	mov	ecx, MSR_HSAVE
	mov	eax, HSAVE + 8
	xor	edx, edx
	wrmsr
	mov	byte [rel skip], 3
	cmp	byte [rel fault_vec], 13
	jne	fail
	CHECK				; 9: VM_HSAVE_PA set, reads back
	mov	eax, HSAVE
	wrmsr
	rdmsr
	cmp	eax, HSAVE
	jne	fail
	CHECK				; 10: VMSAVE stores KernelGSbase
	mov	ecx, MSR_KGSBASE
	mov	eax, 0x9ABCDEF0
	mov	edx, 0x12345678
	wrmsr
	mov	rax, HOSTSAVE
	vmsave
	mov	rax, 0x123456789ABCDEF0
	cmp	[HOSTSAVE + V_KGSBASE], rax
	jne	fail
	CHECK				; 11: VMLOAD loads it
	mov	rax, TESTVMCB
	vmsave
	mov	rax, 0x1111222233334444
	mov	[TESTVMCB + V_KGSBASE], rax
	mov	rax, TESTVMCB
	vmload
	mov	ecx, MSR_KGSBASE
	rdmsr
	cmp	eax, 0x33334444
	jne	fail
	cmp	edx, 0x11112222
	jne	fail
	mov	rax, HOSTSAVE
	vmload

	; L2's memory and nested page tables: GPA 0-2 MiB -> L2_BASE.
	mov	rsi, l2_code
	mov	rdi, L2_BASE
	mov	rcx, l2_end - l2_code
	rep movsb
	mov	rdi, NPT_PML4
	mov	rcx, 3 * 4096 / 8
	xor	eax, eax
	rep stosq
	mov	qword [NPT_PML4], NPT_PDPT + 7
	mov	qword [NPT_PDPT], NPT_PD + 7
	mov	qword [NPT_PD], L2_BASE + 0x87	; P, RW, US, 2 MiB
	mov	dword [L2_FIX + 0x10], 0xCAFEF00D
	mov	rdi, IOPM
	mov	rcx, 3 * 4096 / 8
	mov	rax, -1
	rep stosq

	; The VMCB: intercepts, ASID 1, nested paging; flat 32-bit L2.
	mov	rdi, VMCB
	mov	rcx, 4096 / 8
	xor	eax, eax
	rep stosq
	mov	dword [VMCB + V_MISC1], (1 << 18) | (1 << 24) | (1 << 27)
	mov	dword [VMCB + V_MISC2], 3	; VMRUN, VMMCALL
	mov	qword [VMCB + V_IOPM], IOPM
	mov	dword [VMCB + V_ASID], 1
	mov	qword [VMCB + V_NP], 1
	mov	qword [VMCB + V_NCR3], NPT_PML4
	mov	rdi, VMCB + V_ES
	mov	ecx, 6
.seg:	mov	word [rdi], 0x10
	mov	word [rdi + 2], 0xC93
	mov	dword [rdi + 4], 0xFFFFFFFF
	mov	qword [rdi + 8], 0
	add	rdi, 16
	loop	.seg
	mov	word [VMCB + V_CS], 0x08
	mov	word [VMCB + V_CS + 2], 0xC9B
	mov	dword [VMCB + V_GDTR + 4], 0xFFFF
	mov	dword [VMCB + V_IDTR + 4], 0xFFFF
	mov	word [VMCB + V_TR + 2], 0x8B
	mov	dword [VMCB + V_TR + 4], 0x67
	mov	qword [VMCB + V_EFER], 0x1000	; SVME
	mov	qword [VMCB + V_CR0], 0x11	; PE, ET
	mov	qword [VMCB + V_DR7], 0x400
	mov	eax, 0xFFFF0FF0
	mov	[VMCB + V_DR6], rax
	mov	qword [VMCB + V_RFLAGS], 2
	mov	qword [VMCB + V_RSP], 0x1000
	mov	rax, 0x0007040600070406
	mov	[VMCB + V_GPAT], rax

	CHECK				; 12: VMRUN enters L2
	mov	[rel saved_ebp], ebp
run:
	clgi
	mov	rax, HOSTSAVE
	vmsave
	mov	rax, VMCB
	vmload
	vmrun
	vmsave				; L2's FS, GS, TR ... are L1's now
	mov	[rel l2_rbx], rbx
	mov	[rel l2_rcx], rcx
	mov	[rel l2_rdx], rdx
	mov	rax, HOSTSAVE
	vmload
	stgi
	mov	ebp, [rel saved_ebp]
	mov	rax, [VMCB + V_EXITCODE]
	mov	[rel code], rax
	mov	rax, [VMCB + V_EXITINFO1]
	mov	[rel info1], rax
	mov	rax, [VMCB + V_EXITINFO2]
	mov	[rel info2], rax
	mov	rsi, msg_exit
	call	puts
	mov	eax, [rel code]
	call	puthex
	mov	al, ' '
	call	putc
	mov	rax, [rel info1]
	call	puthex64
	mov	al, ' '
	call	putc
	mov	rax, [rel info2]
	call	puthex64
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
	cmp	eax, 5
	je	step5
	jmp	step6

step0:					; OUT 0x80, AL
	mov	ebp, 20
	cmp	qword [rel code], 0x7B
	jne	fail
	inc	ebp			; 21: port, SZ8, A32, OUT
	cmp	qword [rel info1], 0x00800110
	jne	fail
	inc	ebp			; 22: EXITINFO2 is the next RIP
	cmp	qword [rel info2], l2_out1 - l2_code + 2
	jne	fail
	inc	ebp			; 23: so is nRIP
	cmp	qword [VMCB + V_NRIP], l2_out1 - l2_code + 2
	jne	fail
	inc	ebp			; 24: RIP is the OUT's
	cmp	qword [VMCB + V_RIP], l2_out1 - l2_code
	jne	fail
	inc	ebp			; 25: L2's RAX in the VMCB
	cmp	byte [VMCB + V_RAX], 0x42
	jne	fail
	jmp	advance
step1:					; CPUID leaf 0
	mov	ebp, 30
	cmp	qword [rel code], 0x72
	jne	fail
	inc	ebp			; 31
	mov	rax, [VMCB + V_RIP]
	add	rax, 2
	cmp	[VMCB + V_NRIP], rax
	jne	fail
	inc	ebp			; 32
	cmp	qword [VMCB + V_RAX], 0
	jne	fail
	mov	qword [rel l2_rbx], 0x600DF00D
	jmp	advance
step2:					; OUT 0x81, EAX
	mov	ebp, 40
	cmp	qword [rel code], 0x7B
	jne	fail
	inc	ebp			; 41: port, SZ32, A32, OUT
	cmp	qword [rel info1], 0x00810140
	jne	fail
	inc	ebp			; 42
	cmp	dword [VMCB + V_RAX], 0x600DF00D
	jne	fail
	jmp	advance
step3:					; the load from GPA 0x200010
	mov	ebp, 50
	cmp	qword [rel code], 0x400
	jne	fail
	inc	ebp			; 51: not present, read, user, final GPA
	mov	rax, 0x100000004
	cmp	[rel info1], rax
	jne	fail
	inc	ebp			; 52: the faulting GPA
	cmp	qword [rel info2], 0x200010
	jne	fail
	inc	ebp			; 53: RIP is the load's
	cmp	qword [VMCB + V_RIP], l2_load - l2_code
	jne	fail
	mov	qword [NPT_PD + 8], L2_FIX + 0x87
	inc	ebp			; 54: INVLPGA of that page, ASID 1
	mov	byte [rel fault_vec], 0
	mov	eax, 0x200010
	mov	ecx, 1
	invlpga
	cmp	byte [rel fault_vec], 0
	jne	fail
	jmp	resume			; the load runs again
step4:					; OUT 0x81, EAX: what the new page holds
	mov	ebp, 60
	cmp	qword [rel code], 0x7B
	jne	fail
	inc	ebp			; 61
	cmp	dword [VMCB + V_RAX], 0xCAFEF00D
	jne	fail
	jmp	advance
step5:					; VMMCALL
	mov	ebp, 70
	cmp	qword [rel code], 0x81
	jne	fail
	inc	ebp			; 71
	mov	rax, [VMCB + V_RIP]
	add	rax, 3
	cmp	[VMCB + V_NRIP], rax
	jne	fail
	jmp	advance
step6:					; HLT
	mov	ebp, 80
	cmp	qword [rel code], 0x78
	jne	fail
	inc	ebp			; 81
	mov	rax, [VMCB + V_RIP]
	inc	rax
	cmp	[VMCB + V_NRIP], rax
	jne	fail
	inc	ebp			; 82: L2's RBX came back in RBX
	cmp	dword [rel l2_rbx], 0x600DF00D
	jne	fail
	inc	ebp			; 83: ASID 0 is invalid: VMEXIT_INVALID
	mov	dword [VMCB + V_ASID], 0
	mov	rax, VMCB
	vmrun
	cmp	qword [VMCB + V_EXITCODE], -1
	jne	fail
	inc	ebp			; 84: L1's RSP and RAX are its own
	cmp	rsp, HOST_STACK
	jne	fail
	cmp	rax, VMCB
	jne	fail
	mov	rsi, msg_ok
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

advance:
	mov	rax, [VMCB + V_NRIP]
	mov	[VMCB + V_RIP], rax
resume:
	mov	rbx, [rel l2_rbx]
	mov	rcx, [rel l2_rcx]
	mov	rdx, [rel l2_rdx]
	jmp	run

; --- helpers -------------------------------------------------------------
; rdi = the gate, rax = the handler: a 64-bit interrupt gate, CS 0x08.
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

on_gp:
	mov	byte [rel fault_vec], 13
	add	rsp, 8			; the error code
	jmp	skip_insn
on_ud:
	mov	byte [rel fault_vec], 6
skip_insn:
	push	rax
	movzx	eax, byte [rel skip]
	add	[rsp + 8], rax		; the faulting instruction's RIP
	pop	rax
	iretq

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
puthex64:				; rax, 16 digits
	push	rax
	shr	rax, 32
	call	puthex
	pop	rax
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
	vmmcall
	hlt
	jmp	$
l2_end:

bits 64
	align	4096			; data on pages of their own
gdt:	dq	0
	dq	0x00AF9B000000FFFF		; 0x08: code64
	dq	0x00CF93000000FFFF		; 0x10: data
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dq	gdt
idtr:	dw	4095
	dq	IDT
saved_ebp:	dd	0
step:		dd	0
fault_vec:	db	0
skip:		db	3
	align	8
code:		dq	0
info1:		dq	0
info2:		dq	0
l2_rbx:		dq	0
l2_rcx:		dq	0
l2_rdx:		dq	0
msg_exit:	db	"exit ", 0
msg_ok:		db	"bare_svm: ok", 10, 0
msg_fail:	db	"bare_svm: FAIL ", 0
	align	4
load_end:
