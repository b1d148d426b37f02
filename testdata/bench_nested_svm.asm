; The nested-exits benchmark's guest for `vmmsim run --bare-metal
; --vendor amd` (AMD-V): a multiboot kernel that is a minimal hypervisor.
; It sets EFER.SVME and VM_HSAVE_PA, builds a VMCB and nested page tables
; as bare_svm.asm does and runs a guest (L2) that does nothing but OUT to
; port 0x80 in a loop.  Each #VMEXIT is handled as a hypervisor would:
; the EXITCODE is checked (IOIO), RIP is set to nRIP in the VMCB, VMRUN
; again; the VMCB is memory, so VMRUN is L1's only intercepted
; instruction per exit (bench_nested_vmx.asm needs VMREAD/VMWRITE too).
; After N exits (N is the multiboot command line, decimal; 0 when there
; is none; "Ns": L2 spins on NOPs and never exits, for tests/check_bare) it writes "bench_nested_svm: done" on COM1 and ends through
; port 0xF4 with 0 (vmmsim's exit status 1); any failure ends it with the
; failed step.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000	; a.out kludge
PML4		equ	0x800000	; L1's page tables (identity, 1 GiB)
VMCB		equ	0x810000	; L2's VMCB
HSAVE		equ	0x811000	; VM_HSAVE_PA
IOPM		equ	0x812000	; 12 KiB, every port intercepted
NPT_PML4	equ	0x820000
NPT_PDPT	equ	0x821000
NPT_PD		equ	0x822000
L2_BASE		equ	0x400000	; L2's GPA 0
HOST_STACK	equ	0x830000
COM1		equ	0x3F8

MSR_EFER	equ	0xC0000080
MSR_HSAVE	equ	0xC0010117

; VMCB offsets (APM Vol. 2 appendix B)
V_MISC1		equ	0x00C
V_MISC2		equ	0x010
V_IOPM		equ	0x040
V_ASID		equ	0x058
V_EXITCODE	equ	0x070
V_NP		equ	0x090
V_NCR3		equ	0x0B0
V_NRIP		equ	0x0C8
V_ES		equ	0x400
V_CS		equ	0x410
V_GDTR		equ	0x460
V_IDTR		equ	0x480
V_TR		equ	0x490
V_EFER		equ	0x4D0
V_CR0		equ	0x558
V_DR7		equ	0x560
V_DR6		equ	0x568
V_RFLAGS	equ	0x570
V_RIP		equ	0x578
V_RSP		equ	0x5D8
V_GPAT		equ	0x668
VMEXIT_IOIO	equ	0x7B

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
lm64:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	rsp, HOST_STACK
	mov	ebp, 1			; step 1: SVME, VM_HSAVE_PA
	mov	ecx, MSR_EFER
	rdmsr
	or	eax, 0x1000
	wrmsr
	mov	ecx, MSR_HSAVE
	mov	eax, HSAVE
	xor	edx, edx
	wrmsr

	; L2's memory and nested page tables: GPA 0-2 MiB -> L2_BASE.
	mov	rsi, l2_code
	mov	rdi, L2_BASE
	mov	rcx, l2_end - l2_code
	rep movsb
	cmp	byte [rel spin], 0	; L2 never exits: its OUT is NOPs
	je	.nospin
	mov	word [L2_BASE], 0x9090
.nospin:
	mov	rdi, NPT_PML4
	mov	rcx, 3 * 4096 / 8
	xor	eax, eax
	rep stosq
	mov	qword [NPT_PML4], NPT_PDPT + 7
	mov	qword [NPT_PDPT], NPT_PD + 7
	mov	qword [NPT_PD], L2_BASE + 0x87	; P, RW, US, 2 MiB
	mov	rdi, IOPM
	mov	rcx, 3 * 4096 / 8
	mov	rax, -1
	rep stosq

	; The VMCB: I/O and HLT intercepted, ASID 1, nested paging;
	; flat 32-bit L2.
	mov	rdi, VMCB
	mov	rcx, 4096 / 8
	xor	eax, eax
	rep stosq
	mov	dword [VMCB + V_MISC1], (1 << 24) | (1 << 27)
	mov	dword [VMCB + V_MISC2], 1	; VMRUN
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

	cmp	dword [rel count], 0
	je	done
run:
	mov	ebp, 2			; step 2: an exit that is not the OUT
	mov	rax, VMCB
	vmrun
	cmp	qword [VMCB + V_EXITCODE], VMEXIT_IOIO
	jne	fail
	mov	rax, [VMCB + V_NRIP]
	mov	[VMCB + V_RIP], rax
	dec	dword [rel count]
	jnz	run

done:
	mov	rsi, msg_done
	call	puts
	xor	eax, eax
	out	0xF4, al
	hlt

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
gdt_end:
gdtr:	dw	gdt_end - gdt - 1
	dq	gdt
count:		dd	0
spin:		db	0
msg_done:	db	"bench_nested_svm: done", 10, 0
msg_fail:	db	"bench_nested_svm: FAIL", 10, 0
	align	4
load_end:
