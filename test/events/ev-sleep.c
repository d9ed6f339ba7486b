/* SPDX-License-Identifier: MIT */
/*
 * ev-sleep: maps 45056 bytes, writes "mapped 0xADDR" on stdout, sleeps,
 * exits. test/events/events.py checks that memstrace -e -o FILE has written
 * the mmap line to FILE while the program still sleeps.
 *
 * Usage: ev-sleep [MILLISECONDS]   (default 1000)
 */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SIZE 45056

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 1000;
	struct timespec delay = { ms / 1000, ms % 1000 * 1000000 };
	char msg[64];

	void *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 99;
	int n = snprintf(msg, sizeof(msg), "mapped %p\n", p);
	if (write(1, msg, (size_t)n) != n)
		return 99;
	while (nanosleep(&delay, &delay) != 0)
		;
	return 0;
}
