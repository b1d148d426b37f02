; 64-bit guest for the exit tests (GPA 0x1000).  Each snippet starts at a
; fixed offset (0x1000 + 0x40 * n) so a test can start the guest at the
; instruction it wants to see exit.
bits 64
org 0x1000
%macro snippet 1
	times (%1 * 0x40) - ($ - $$) db 0x90
%endmacro

snippet 0		; 0x1000: a loop of counted instructions, for timers
.spin:	inc	rax
	jmp	.spin
snippet 1		; 0x1040
	mov	rax, 0x12345678
	mov	dr3, rax		; MOV DR: to DR3 from RAX
	mov	rcx, dr7		; MOV DR: from DR7 to RCX
	hlt
snippet 2		; 0x1080
	mov	rbx, 0x3000
	invlpg	[rbx + 0x10]		; INVLPG of linear 0x3010
	hlt
snippet 3		; 0x10C0
	vmcall
	xor	ecx, ecx
	xsetbv
	hlt
snippet 4		; 0x1100
	mov	rax, 0x10000
	mov	cr3, rax		; CR3 load
	mov	rdx, cr3		; CR3 store
	hlt
snippet 5		; 0x1140
	mov	eax, 5
	mov	cr8, rax		; TPR shadow write
	mov	rbx, cr8		; TPR shadow read
	hlt
snippet 6		; 0x1180
	wbinvd
	pause
	rdpmc
	rdtsc
	rdrand	eax
	hlt
snippet 7		; 0x11C0: the interrupt window opens after STI's shadow
	sti
	nop				; in STI's shadow
	nop				; the window is open here
	hlt
snippet 8		; 0x1200: I/O bitmaps
	out	0x70, al		; bitmap A bit clear: no exit
	out	0x71, al		; bitmap A bit set
	mov	dx, 0x8001
	in	al, dx			; bitmap B
	out	0xFF, ax		; spans 0xFF-0x100: bit of 0x100 set
	hlt
snippet 9		; 0x1240
	hlt				; HLT with HLT exiting off: activity state
	out	0x80, al
snippet 10		; 0x1280: POPCNT, then SYSCALL to LSTAR (see check_emu)
	mov	rbx, 0x1234
	popcnt	r12, rbx		; 5: the CPU model decodes it
	mov	ecx, 0xC0000080
	mov	eax, 0x501		; EFER: SCE | LME | LMA
	xor	edx, edx
	wrmsr
	mov	ecx, 0xC0000081		; STAR: SYSCALL CS 0x08, SS 0x10
	xor	eax, eax
	mov	edx, 0x08
	wrmsr
	mov	ecx, 0xC0000082		; LSTAR
	lea	rax, [rel .target]
	xor	edx, edx
	wrmsr
	mov	ecx, 0xC0000084		; FMASK: IF and DF
	mov	eax, 0x600
	wrmsr
	push	0x602			; IF, DF
	popfq
	syscall
.ret:	hlt				; not reached
.target:
	pushfq
	pop	r13			; RFLAGS after: IF and DF masked
	lea	rax, [rel .ret]
	xor	r14d, r14d
	cmp	rcx, rax		; RCX: the return address
	jne	.done
	mov	ax, cs
	cmp	ax, 0x08
	jne	.done
	mov	ax, ss
	cmp	ax, 0x10
	jne	.done
	mov	r14d, 0xC0DE
.done:	hlt
snippet 14		; 0x1380: SYSCALL with EFER.SCE clear: #UD
	syscall
	hlt
snippet 15		; 0x13C0: self-modifying code, a hooked RDTSC replaced
	mov	ecx, 2
	xor	edi, edi
.loop15:
.site15:	rdtsc				; second time round: inc edi
	mov	word [rel .site15], 0xC7FF
	dec	ecx
	jnz	.loop15
	hlt
snippet 16		; 0x1400: self-modifying code, a CPUID written in
	mov	ecx, 2
.loop16:
.site16:	nop				; second time round: cpuid
	nop
	mov	word [rel .site16], 0xA20F
	dec	ecx
	jnz	.loop16
	hlt
