/* SPDX-License-Identifier: MIT */
/* stack-chain6: the last link of main -> chain1 -> ... -> chain6 -> mmap (stack-chain.h). */
#include <stddef.h>
#include <sys/mman.h>

#include "stack-chain.h"

__attribute__((noinline)) void *chain6(unsigned long size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* something after the call: it cannot become a tail call */
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}
