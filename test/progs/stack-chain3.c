/* SPDX-License-Identifier: MIT */
/* stack-chain3: link 3 of main -> chain1 -> ... -> chain6 -> mmap (stack-chain.h). */
#include "stack-chain.h"

__attribute__((noinline)) void *chain3(unsigned long size)
{
	void *p = chain4(size);

	/* something after the call: it cannot become a tail call */
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
