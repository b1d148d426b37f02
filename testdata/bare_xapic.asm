; The xAPIC page of bare-metal mode: a multiboot kernel in 32-bit
; protected mode without paging writes the registers a starting kernel
; writes (ID, TPR, SVR, LVT, ICR, EOI), reads them back and reads the
; version.  Ends with port 0xF4 = 0 when all matched, else the check.

bits 32
org 0x100000

MB_MAGIC	equ	0x1BADB002
MB_FLAGS	equ	0x00010000
APIC		equ	0xFEE00000

	dd	MB_MAGIC
	dd	MB_FLAGS
	dd	-(MB_MAGIC + MB_FLAGS)
	dd	0x100000, 0x100000, load_end, load_end, start

%macro EXPECT 2			; register offset, value
	inc	ebp
	cmp	dword [APIC + %1], %2
	jne	fail
%endmacro

start:
	xor	ebp, ebp
	EXPECT	0x030, 0x00050014	; 1: version
	EXPECT	0x0F0, 0x000000FF	; 2: SVR after reset
	EXPECT	0x350, 0x00010000	; 3: LINT0 masked after reset
	mov	dword [APIC + 0x020], 0x03000000
	mov	dword [APIC + 0x080], 0x20
	mov	dword [APIC + 0x0F0], 0x1FF
	mov	dword [APIC + 0x350], 0x700
	mov	dword [APIC + 0x310], 0x01000000
	mov	dword [APIC + 0x300], 0x000C4500
	mov	dword [APIC + 0x0B0], 0
	mov	dword [APIC + 0x030], 0x12345678	; read-only
	EXPECT	0x020, 0x03000000	; 4: ID
	EXPECT	0x080, 0x20		; 5: TPR
	EXPECT	0x0F0, 0x1FF		; 6: SVR
	EXPECT	0x350, 0x700		; 7: LINT0 ExtINT
	EXPECT	0x310, 0x01000000	; 8: ICR high
	EXPECT	0x300, 0x000C4500	; 9: ICR low, delivery idle
	EXPECT	0x030, 0x00050014	; 10: version unchanged
	xor	ebp, ebp
fail:
	mov	eax, ebp
	out	0xF4, al
	hlt

	align	4
load_end:
