/* SPDX-License-Identifier: MIT */
/* test-cfi: one compiled unwinding step applied to registers and a fake stack. */
#include <string.h>

#include "memstrace/cfi.h"
#include "harness.h"

#define RBX 3
#define RBP 6
#define ALL ((1u << CFI_NREGS) - 1)

/* A stack of 8 words from STACK_BASE up; anything else cannot be read. */
#define STACK_BASE 0x7ffd0000ull
static uint64_t stack[8];

static bool read_stack(void *ctx, uint64_t addr, uint64_t *word)
{
	(void)ctx;
	if (addr < STACK_BASE || addr >= STACK_BASE + sizeof(stack) || addr % 8)
		return false;
	*word = stack[(addr - STACK_BASE) / 8];
	return true;
}

/* What gcc emits after "push %rbp; push %rbx": CFA = rsp + 24, RA at CFA - 8. */
static struct cfi_step two_pushes(void)
{
	struct cfi_step s = { .cfa_reg = CFI_SP, .cfa_off = 24 };
	for (int r = 0; r < CFI_NREGS; r++)
		s.rule[r] = CFI_UNDEFINED;
	s.rule[RBX] = CFI_AT_CFA, s.off[RBX] = -24;
	s.rule[RBP] = CFI_AT_CFA, s.off[RBP] = -16;
	s.rule[CFI_RA] = CFI_AT_CFA, s.off[CFI_RA] = -8;
	s.rule[CFI_SP] = CFI_CFA_PLUS, s.off[CFI_SP] = 0;
	s.rule[12] = CFI_SAME;
	return s;
}

static struct cfi_regs callee_regs(void)
{
	struct cfi_regs r = { .known = ALL };
	for (int i = 0; i < CFI_NREGS; i++)
		r.val[i] = 0x1000 + (uint64_t)i;
	r.val[CFI_SP] = STACK_BASE;
	return r;
}

TEST(saved_registers_come_from_the_stack)
{
	struct cfi_step s = two_pushes();
	struct cfi_regs r = callee_regs();
	stack[0] = 0xb0b0; /* rbx */
	stack[1] = 0xbb;   /* rbp */
	stack[2] = 0x401234; /* return address */

	ASSERT_TRUE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_EQ(r.val[CFI_RA], 0x401234);
	ASSERT_EQ(r.val[CFI_SP], STACK_BASE + 24);
	ASSERT_EQ(r.val[RBX], 0xb0b0);
	ASSERT_EQ(r.val[RBP], 0xbb);
	ASSERT_EQ(r.val[12], 0x100c); /* same value */
	ASSERT_EQ(r.known, (1u << CFI_RA) | (1u << CFI_SP) | (1u << RBX) | (1u << RBP) | (1u << 12));
	return true;
}

/* A frame-pointer function: CFA = rbp + 16, the caller's rbp at CFA - 16. */
TEST(cfa_from_the_frame_pointer)
{
	struct cfi_step s = two_pushes();
	s.cfa_reg = RBP, s.cfa_off = 16;
	s.rule[RBX] = CFI_SAME;
	struct cfi_regs r = callee_regs();
	r.val[RBP] = STACK_BASE + 8;
	r.val[CFI_SP] = 0xdead; /* not used: the CFA comes from rbp */
	stack[1] = 0x5151;   /* caller's rbp, at CFA - 16 */
	stack[2] = 0x402000; /* return address, at CFA - 8 */

	ASSERT_TRUE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_EQ(r.val[CFI_SP], STACK_BASE + 24);
	ASSERT_EQ(r.val[RBP], 0x5151);
	ASSERT_EQ(r.val[CFI_RA], 0x402000);
	ASSERT_EQ(r.val[RBX], 0x1003);
	return true;
}

/* The CFA's register unknown (lost in an inner frame): no step, regs untouched. */
TEST(unknown_cfa_register_stops)
{
	struct cfi_step s = two_pushes();
	s.cfa_reg = RBP;
	struct cfi_regs r = callee_regs();
	r.known &= ~(1u << RBP);
	struct cfi_regs before = r;

	ASSERT_FALSE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_TRUE(memcmp(&r, &before, sizeof(r)) == 0);

	s.cfa_reg = CFI_NREGS; /* out of range: never read past val[] */
	ASSERT_FALSE(cfi_step_apply(&s, &r, read_stack, NULL));
	return true;
}

/* A saved register that cannot be read is unknown; so is a lost one. */
TEST(unreadable_slot_is_unknown)
{
	struct cfi_step s = two_pushes();
	s.cfa_off = 4096; /* every slot falls outside the readable stack */
	struct cfi_regs r = callee_regs();

	ASSERT_TRUE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_FALSE(r.known & (1u << CFI_RA));
	ASSERT_FALSE(r.known & (1u << RBX));
	ASSERT_FALSE(r.known & (1u << 0)); /* rax: undefined */
	ASSERT_EQ(r.val[CFI_SP], STACK_BASE + 4096);
	return true;
}

/* "Same value" of an unknown register stays unknown. */
TEST(same_value_keeps_unknown)
{
	struct cfi_step s = two_pushes();
	struct cfi_regs r = callee_regs();
	r.known &= ~(1u << 12);

	ASSERT_TRUE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_FALSE(r.known & (1u << 12));
	return true;
}

/* Negative CFA offsets and CFA - n values wrap as addresses do. */
TEST(negative_offsets)
{
	struct cfi_step s = two_pushes();
	s.cfa_off = -8;
	s.rule[CFI_SP] = CFI_CFA_PLUS, s.off[CFI_SP] = -16;
	s.rule[CFI_RA] = CFI_AT_CFA, s.off[CFI_RA] = 16;
	struct cfi_regs r = callee_regs();
	r.val[CFI_SP] = STACK_BASE + 16;
	stack[3] = 0x403000; /* at rsp - 8 + 16 */

	ASSERT_TRUE(cfi_step_apply(&s, &r, read_stack, NULL));
	ASSERT_EQ(r.val[CFI_SP], STACK_BASE - 8);
	ASSERT_EQ(r.val[CFI_RA], 0x403000);
	return true;
}

int main(void)
{
	RUN_TEST(saved_registers_come_from_the_stack);
	RUN_TEST(cfa_from_the_frame_pointer);
	RUN_TEST(unknown_cfa_register_stops);
	RUN_TEST(unreadable_slot_is_unknown);
	RUN_TEST(same_value_keeps_unknown);
	RUN_TEST(negative_offsets);
	return HARNESS_RESULT();
}
