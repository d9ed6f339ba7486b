/* SPDX-License-Identifier: MIT */
/* stack-chain1: link 1 of main -> chain1 -> ... -> chain6 -> mmap (stack-chain.h). */
#include "stack-chain.h"

__attribute__((noinline)) void *chain1(unsigned long size)
{
	void *p = chain2(size);

	/* something after the call: it cannot become a tail call */
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
