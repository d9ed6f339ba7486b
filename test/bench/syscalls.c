/* SPDX-License-Identifier: MIT */
/*
 * memstrace benchmark: N cheap non-memory syscalls (getppid through
 * syscall(2)), then exit. Under a tracer with memstrace's seccomp filter
 * none of them stops: what the run costs over untraced is the filter on
 * every call plus the tracer's start-up and shutdown.
 * Usage: syscalls [N]   (default 2000000)
 */
#define _GNU_SOURCE 1
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	long sum = 0;
	for (long i = 0; i < n; i++)
		sum += syscall(SYS_getppid);
	/* getppid cannot fail; the check keeps the loop from being dropped. */
	return sum == 0 && n > 0;
}
