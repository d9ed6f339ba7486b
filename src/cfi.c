/* SPDX-License-Identifier: MIT */
#include "memstrace/cfi.h"

bool cfi_step_apply(const struct cfi_step *s, struct cfi_regs *regs, cfi_read_fn *read,
		    void *ctx)
{
	if (s->cfa_reg >= CFI_NREGS || !(regs->known & (1u << s->cfa_reg)))
		return false;

	uint64_t cfa = regs->val[s->cfa_reg] + (uint64_t)(int64_t)s->cfa_off;
	struct cfi_regs caller = { .known = 0 };

	for (unsigned r = 0; r < CFI_NREGS; r++) {
		uint64_t at = cfa + (uint64_t)(int64_t)s->off[r];
		bool known = false;

		switch (s->rule[r]) {
		case CFI_SAME:
			caller.val[r] = regs->val[r];
			known = regs->known & (1u << r);
			break;
		case CFI_AT_CFA:
			known = read(ctx, at, &caller.val[r]);
			break;
		case CFI_CFA_PLUS:
			caller.val[r] = at;
			known = true;
			break;
		default:
			break;
		}
		if (known)
			caller.known |= 1u << r;
	}
	*regs = caller;
	return true;
}
