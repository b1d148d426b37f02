/*
 * Copyright (c) 2026 The vmmsim authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * What a snapshot needs of the CPU beyond the VMCS or VMCB: virtual time
 * and the x87/SSE registers.  Neither is guest state a VM entry loads, so
 * the monitor moves them itself, as a kernel saves a guest's FPU with
 * xsave around its own use of it.
 */

#include <string.h>

#include "emu_impl.h"

#define FPU_FCW		0
#define FPU_FSW		2
#define FPU_FTW		4
#define FPU_MXCSR	8
#define FPU_ST(i)	(16 + 16 * (i))
#define FPU_XMM(i)	(144 + 16 * (i))

void
emu_cpu_set_vtime(struct emu_cpu *cpu, uint64_t vtime)
{
	/* Deadlines and the host tick are derived from it at each entry. */
	cpu->vtime = vtime;
	cpu->vtime_block = vtime;
	cpu->entry_vtime = vtime;
}

/*
 * RDRAND and RDSEED that do not exit step a fixed-seed generator: its
 * state is as much the CPU's as a register.  A restore that started it
 * from the seed again would hand the guest the numbers it already had,
 * and Linux, which mixes RDRAND into every random number, would lay out
 * the next process (ASLR) elsewhere and run differently from there.
 */
uint64_t
emu_cpu_rng(struct emu_cpu *cpu)
{
	return (cpu->rng);
}

void
emu_cpu_set_rng(struct emu_cpu *cpu, uint64_t rng)
{
	cpu->rng = rng;
}

static int
rd(struct emu_cpu *cpu, int reg, void *buf)
{
	return (uc_reg_read(cpu->uc, reg, buf) == UC_ERR_OK ? 0 : -1);
}

static int
wr(struct emu_cpu *cpu, int reg, const void *buf)
{
	return (uc_reg_write(cpu->uc, reg, buf) == UC_ERR_OK ? 0 : -1);
}

int
emu_fpu_save(struct emu_cpu *cpu, uint8_t *buf)
{
	uint64_t v;
	int i;

	memset(buf, 0, EMU_FPU_BYTES);
	v = 0;
	if (rd(cpu, UC_X86_REG_FPCW, &v) != 0)
		return (-1);
	memcpy(buf + FPU_FCW, &v, 2);
	v = 0;
	if (rd(cpu, UC_X86_REG_FPSW, &v) != 0)
		return (-1);
	memcpy(buf + FPU_FSW, &v, 2);
	v = 0;
	if (rd(cpu, UC_X86_REG_FPTAG, &v) != 0)
		return (-1);
	memcpy(buf + FPU_FTW, &v, 2);
	v = 0;
	if (rd(cpu, UC_X86_REG_MXCSR, &v) != 0)
		return (-1);
	memcpy(buf + FPU_MXCSR, &v, 4);
	for (i = 0; i < 8; i++)
		if (rd(cpu, UC_X86_REG_FP0 + i, buf + FPU_ST(i)) != 0)
			return (-1);
	for (i = 0; i < 16; i++)
		if (rd(cpu, UC_X86_REG_XMM0 + i, buf + FPU_XMM(i)) != 0)
			return (-1);
	return (0);
}

int
emu_fpu_restore(struct emu_cpu *cpu, const uint8_t *buf)
{
	uint64_t v;
	int i;

	v = 0;
	memcpy(&v, buf + FPU_FCW, 2);
	if (wr(cpu, UC_X86_REG_FPCW, &v) != 0)
		return (-1);
	v = 0;
	memcpy(&v, buf + FPU_FSW, 2);
	if (wr(cpu, UC_X86_REG_FPSW, &v) != 0)
		return (-1);
	v = 0;
	memcpy(&v, buf + FPU_FTW, 2);
	if (wr(cpu, UC_X86_REG_FPTAG, &v) != 0)
		return (-1);
	v = 0;
	memcpy(&v, buf + FPU_MXCSR, 4);
	if (wr(cpu, UC_X86_REG_MXCSR, &v) != 0)
		return (-1);
	for (i = 0; i < 8; i++)
		if (wr(cpu, UC_X86_REG_FP0 + i, buf + FPU_ST(i)) != 0)
			return (-1);
	for (i = 0; i < 16; i++)
		if (wr(cpu, UC_X86_REG_XMM0 + i, buf + FPU_XMM(i)) != 0)
			return (-1);
	return (0);
}
