/* memstrace benchmark: N mmap/munmap pairs rotating among 4 call sites,
 * each 6 noinline frames deep (main -> x1 -> .. -> x5 -> mmap).
 * Usage: churn [N]   (default 200000) */
#include "churn.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	int (*const site[4])(size_t) = { a1, b1, c1, d1 };

	for (long i = 0; i < n; i++) {
		/* 4096, 8192, 12288, 16384 bytes; period 16 so the size and
		 * the site do not move in lockstep. */
		size_t len = 4096 * (size_t)(1 + (i / 4) % 4);
		if (site[i % 4](len) != 0) {
			perror("churn: mmap/munmap");
			return 1;
		}
	}
	return 0;
}
