/* SPDX-License-Identifier: MIT */
/*
 * memstrace benchmark: N 4 KiB anonymous mmaps, never unmapped, then exit.
 * The kernel places them adjacent and merges them into one mapping; a
 * tracer keeps N regions. Before exiting it writes "exit NS" to stderr,
 * NS being CLOCK_MONOTONIC, so scale.py can time the report after it.
 * Usage: live [N]   (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct timespec ts;

	for (long i = 0; i < n; i++) {
		if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
			perror("live: mmap");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "exit %lld\n", (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 0;
}
