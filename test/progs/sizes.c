/* SPDX-License-Identifier: MIT */
/*
 * sizes: maps two regions of two sizes from two lines of main and never
 * unmaps them: two groups, with stacks (default) or without (-k 0).
 */
#include <sys/mman.h>

#include "truth.h"

/* 21 and 23 pages: sizes no loader mapping has. */
#define SIZE_A (21 * 4096ul)
#define SIZE_B (23 * 4096ul)

int main(void)
{
	char *a = mmap(NULL, SIZE_A, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line_a = __LINE__;
	char *b = mmap(NULL, SIZE_B, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line_b = __LINE__;

	if (a == MAP_FAILED || b == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(a, a + SIZE_A, "mmap", SIZE_A, "anon", line_a);
	truth_region(b, b + SIZE_B, "mmap", SIZE_B, "anon", line_b);
	truth_groupcount("mmap", SIZE_A, 1);
	truth_groupcount("mmap", SIZE_B, 1);
	truth_check();
	return 0;
}
