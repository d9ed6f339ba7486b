/* SPDX-License-Identifier: MIT */
/*
 * exit42: maps a region and exits with status 42, which memstrace passes on;
 * the report is still written.
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>

#include "truth.h"

#define SIZE (11 * 4096)

int main(void)
{
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line = __LINE__;

	if (p == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(p, p + SIZE, "mmap", SIZE, "anon", line);
	truth_check();
	exit(42);
}
