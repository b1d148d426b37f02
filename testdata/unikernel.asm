; A tiny 64-bit "unikernel" for the hypercall client (tests/clients/
; unikernel.c): loaded at GPA 0x100000 and started in long mode by
; RESETCPU.  A hypercall is a 32-bit OUT to port 0xE0 whose data is the
; guest-physical address of an argument block {op, pad, a, b, ret}.
bits 64
org 0x100000
HC	equ	0x9000
HCPORT	equ	0xE0
start:
	mov	dword [HC], 1		; op 1: print(a = string, b = length)
	lea	rax, [rel msg]
	mov	[HC + 8], rax
	mov	qword [HC + 16], msg_len
	mov	eax, HC
	out	HCPORT, eax
	mov	dword [HC], 2		; op 2: add(a, b) -> ret
	mov	qword [HC + 8], 40
	mov	qword [HC + 16], 2
	mov	eax, HC
	out	HCPORT, eax
	mov	rbx, [HC + 24]
	mov	dword [HC], 3		; op 3: halt with status a
	mov	[HC + 8], rbx
	mov	eax, HC
	out	HCPORT, eax
	ud2				; never reached
msg:	db	"hello from a unikernel over hypercalls", 10
msg_len	equ	$ - msg
