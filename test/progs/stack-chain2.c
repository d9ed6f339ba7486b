/* SPDX-License-Identifier: MIT */
/* stack-chain2: link 2 of main -> chain1 -> ... -> chain6 -> mmap (stack-chain.h). */
#include "stack-chain.h"

__attribute__((noinline)) void *chain2(unsigned long size)
{
	void *p = chain3(size);

	/* something after the call: it cannot become a tail call */
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
