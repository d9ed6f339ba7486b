/* SPDX-License-Identifier: MIT */
/*
 * memstrace benchmark: N malloc/free/realloc operations on a table of 1024
 * slots, sizes from a fixed-seed xorshift PRNG. About 10% of the blocks are
 * over 256 KiB (256 KiB - 4 MiB); glibc serves those with mmap, frees them
 * with munmap and grows them with mremap when they are realloc'd bigger. The
 * rest (16 B - 4 KiB) come from the brk heap.
 *
 * The mmap threshold is pinned at 256 KiB with mallopt: left alone, glibc
 * raises it to the size of each mmapped block freed, and after the first
 * few frees it would serve the large blocks from the heap too.
 * Usage: mallocmix [N]   (default 200000)
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024
#define BIG (256 * 1024)

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t pick_size(void)
{
	if (next() % 10 == 0)
		return BIG + 4096 + next() % (4 * 1024 * 1024 - BIG);
	return 16 + next() % 4096;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	static char *slot[SLOTS];
	static size_t len[SLOTS];
	unsigned long sum = 0;

	mallopt(M_MMAP_THRESHOLD, BIG);
	for (long i = 0; i < n; i++) {
		size_t s = next() % SLOTS;
		uint64_t op = next() % 8;
		if (!slot[s]) { /* empty: allocate */
			len[s] = pick_size();
			slot[s] = malloc(len[s]);
		} else if (op < 3) { /* free */
			free(slot[s]);
			slot[s] = NULL;
			continue;
		} else if (op < 6) { /* realloc bigger: large blocks go through mremap */
			len[s] += len[s] >= BIG ? 64 * 1024 + next() % (512 * 1024)
						: next() % 2048;
			slot[s] = realloc(slot[s], len[s]);
		} else { /* realloc to a fresh size, smaller or larger */
			len[s] = pick_size();
			slot[s] = realloc(slot[s], len[s]);
		}
		if (!slot[s]) {
			perror("mallocmix");
			return 1;
		}
		/* Touch the first and last byte, as a program using it would. */
		slot[s][0] = (char)i;
		slot[s][len[s] - 1] = (char)i;
		sum += (unsigned char)slot[s][0];
	}
	for (size_t s = 0; s < SLOTS; s++)
		free(slot[s]);
	return sum == 1; /* keep the work observable */
}
