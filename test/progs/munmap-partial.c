/* SPDX-License-Identifier: MIT */
/*
 * munmap-partial: one 10-page mapping loses its first page, its last page and
 * two pages in the middle; the three pieces left keep the mmap's group.
 *
 *   0123456789
 *   AAAAAAAAAA   mmap 10 pages
 *   .AA.AA.AA.   munmap pages 0, 9, 3 and 6
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define SIZE (10 * PAGE)

int main(void)
{
	char *a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line = __LINE__;
	static const int holes[] = {0, 9, 3, 6};

	if (a == MAP_FAILED)
		truth_die("mmap: %m");
	for (int i = 0; i < SIZE; i += PAGE)
		a[i] = 1;
	for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		if (munmap(a + holes[i] * PAGE, PAGE))
			truth_die("munmap: %m");
		truth_unmapped(a + holes[i] * PAGE, a + (holes[i] + 1) * PAGE);
	}
	truth_region(a + 1 * PAGE, a + 3 * PAGE, "mmap", SIZE, "anon", line);
	truth_region(a + 4 * PAGE, a + 6 * PAGE, "mmap", SIZE, "anon", line);
	truth_region(a + 7 * PAGE, a + 9 * PAGE, "mmap", SIZE, "anon", line);
	truth_check();
	return 0;
}
