; The demo guest's firmware image (testdata/boot64.asm, assembled first),
; linked into the vmmsim command so "vmmsim demo" needs no data files.
section .rodata
global vmmsim_demo_rom
global vmmsim_demo_rom_end
vmmsim_demo_rom:
	incbin	"testdata/boot64.bin"
vmmsim_demo_rom_end:
section .note.GNU-stack noalloc noexec nowrite progbits
