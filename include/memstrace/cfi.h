/* SPDX-License-Identifier: MIT */
/*
 * cfi: one unwinding step of x86_64 code in the shape compilers emit -- the
 * CFA is a register plus an offset, and each of the caller's registers is
 * lost, unchanged, saved at CFA + n, or equal to CFA + n. unwind.c compiles
 * a step per pc from libdw's rules once and caches it; applying it is a few
 * loads, where libdwfl would look the CFI up, interpret it and allocate a
 * frame at every capture. Any other rule (a DWARF expression, a signal
 * frame) stays with libdwfl. Pure: memory comes from a callback.
 */
#ifndef MEMSTRACE_CFI_H
#define MEMSTRACE_CFI_H

#include <stdbool.h>
#include <stdint.h>

/* DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15, then the return address. */
#define CFI_NREGS 17
#define CFI_SP 7
#define CFI_RA 16

enum cfi_rule {
	CFI_UNDEFINED, /* the caller's value is lost */
	CFI_SAME,      /* unchanged by this frame */
	CFI_AT_CFA,    /* saved in memory at CFA + off */
	CFI_CFA_PLUS,  /* the value CFA + off itself */
};

struct cfi_step {
	uint8_t cfa_reg;
	int32_t cfa_off;
	uint8_t rule[CFI_NREGS]; /* enum cfi_rule */
	int32_t off[CFI_NREGS];
};

struct cfi_regs {
	uint64_t val[CFI_NREGS];
	uint32_t known; /* bit r: val[r] holds the register's value */
};

typedef bool cfi_read_fn(void *ctx, uint64_t addr, uint64_t *word);

/*
 * Replaces regs by the caller's. False, with regs unchanged, when the CFA's
 * register is not known. A saved register that cannot be read becomes
 * unknown; the caller goes on only while CFI_RA is known.
 */
bool cfi_step_apply(const struct cfi_step *s, struct cfi_regs *regs, cfi_read_fn *read,
		    void *ctx);

#endif
