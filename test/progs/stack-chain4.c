/* SPDX-License-Identifier: MIT */
/* stack-chain4: link 4 of main -> chain1 -> ... -> chain6 -> mmap (stack-chain.h). */
#include "stack-chain.h"

__attribute__((noinline)) void *chain4(unsigned long size)
{
	void *p = chain5(size);

	/* something after the call: it cannot become a tail call */
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
