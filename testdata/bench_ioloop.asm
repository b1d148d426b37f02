; The guest of the emu-io-exits benchmark (bench/bench_emu.c): a flat
; 64-bit ring-0 image loaded at GPA 0x1000.  The harness sets up long mode
; (identity paging with 2 MiB pages over the first 4 MiB), points RIP at one
; of the entry points below and turns every OUT into a VM exit.
;
; The quadwords at the start of the image are the entry points:
;   +0x00  site1	RCX times: out 0x80, al (one exit site)
;   +0x08  site16	RCX times: 16 distinct out 0x80, al in a row
;   +0x10  site256	RCX times: 256 distinct out 0x80, al in a row
;   +0x18  pages	RCX times: write RCX to the first quadword of RSI pages
;			from RDI on (4 KiB apart), then out 0x80, al
; Each counts its iterations in RBX and ends with out 0xF4, al (debug
; exit) followed by hlt, so the harness can check that the guest ran.
bits 64
org 0x1000

	dq	site1
	dq	site16
	dq	site256
	dq	pages

	align	16
site1:	xor	ebx, ebx
.loop:	out	0x80, al
	inc	rbx
	dec	rcx
	jnz	.loop
	jmp	done

	align	16
site16:	xor	ebx, ebx
.loop:
%rep 16
	out	0x80, al
%endrep
	inc	rbx
	dec	rcx
	jnz	.loop
	jmp	done

	align	16
site256: xor	ebx, ebx
.loop:
%rep 256
	out	0x80, al
%endrep
	inc	rbx
	dec	rcx
	jnz	.loop
	jmp	done

	align	16
pages:	xor	ebx, ebx
.loop:	mov	rdx, rdi
	mov	r8, rsi
.touch:	mov	[rdx], rcx
	add	rdx, 4096
	dec	r8
	jnz	.touch
	out	0x80, al
	inc	rbx
	dec	rcx
	jnz	.loop
	jmp	done

done:	out	0xF4, al
	hlt
	jmp	done
