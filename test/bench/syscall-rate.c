/* SPDX-License-Identifier: MIT */
/*
 * syscall-rate: a loop of cheap non-memory syscalls that prints, every
 * 500 ms, how many it made per second. attach.sh reads the rate untraced,
 * under memstrace -p and under strace -p, from one running process.
 */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		double start = now(), t;
		unsigned long n = 0;
		do {
			for (int i = 0; i < 100; i++)
				syscall(SYS_getppid);
			n += 100;
		} while ((t = now()) - start < 0.5);
		printf("%.0f\n", (double)n / (t - start));
	}
}
