/* SPDX-License-Identifier: MIT */
/*
 * clone-leak: the reference bug. Each iteration maps a 40 KiB stack, runs a
 * clone(CLONE_VM) child on it, waits for the child, and never unmaps the
 * stack: the process grows by 40960 bytes per iteration.
 *
 * Usage: clone-leak [ITERATIONS [DELAY_MS]]   (default 5 iterations, no delay)
 */
#define _GNU_SOURCE 1
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "truth.h"

#define STACK_SIZE 40960

/* The child shares our memory (CLONE_VM): it squares the number in place. */
static int child(void *arg)
{
	long *n = arg;

	*n = *n * *n;
	return 0;
}

int main(int argc, char **argv)
{
	int iterations = argc > 1 ? atoi(argv[1]) : 5;
	long delay_ms = argc > 2 ? atol(argv[2]) : 0;
	struct timespec delay = {delay_ms / 1000, delay_ms % 1000 * 1000000};

	for (int i = 0; i < iterations; i++) {
		char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0); int line = __LINE__;
		long n = i;

		if (stack == MAP_FAILED)
			truth_die("mmap: %m");
		/* The stack grows down: the child starts at its top. */
		pid_t pid = clone(child, stack + STACK_SIZE, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | SIGCHLD, &n);
		if (pid < 0)
			truth_die("clone: %m");
		if (waitpid(pid, NULL, __WALL) != pid || n != (long)i * i)
			truth_die("child %d failed", (int)pid);
		/* The bug: munmap(stack, STACK_SIZE) is missing. */
		truth_region(stack, stack + STACK_SIZE, "mmap", STACK_SIZE, "anon", line);
		if (delay_ms > 0)
			nanosleep(&delay, NULL);
	}
	truth_groupcount("mmap", STACK_SIZE, iterations);
	truth_check();
	return 0;
}
