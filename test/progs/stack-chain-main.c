/* SPDX-License-Identifier: MIT */
/*
 * stack-chain-main: maps one region through main -> chain1 -> ... -> chain6
 * -> mmap (stack-chain.h) and never unmaps it. The region's truth names the
 * line of main's call to chain1; test/e2e/stacks.py checks every frame.
 */
#include <sys/mman.h>

#include "stack-chain.h"
#include "truth.h"

int main(void)
{
	char *p = chain1(STACK_CHAIN_SIZE); int line = __LINE__;

	if (p == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(p, p + STACK_CHAIN_SIZE, "mmap", STACK_CHAIN_SIZE, "anon", line);
	truth_groupcount("mmap", STACK_CHAIN_SIZE, 1);
	truth_check();
	return 0;
}
