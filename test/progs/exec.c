/* SPDX-License-Identifier: MIT */
/*
 * exec: the process maps B (before), then execve's itself; the new image
 * maps A (after) and exits. Both are reported under the same pid: regions of
 * an image replaced by execve stay in the report.
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>

#include "truth.h"

#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		char *a = mmap(NULL, 6 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;

		if (a == MAP_FAILED)
			truth_die("mmap: %m");
		truth_region(a, a + 6 * PAGE, "mmap", 6 * PAGE, "anon", line_a);
		truth_check();
		return 0;
	}

	char *b = mmap(NULL, 9 * PAGE, RW, ANON, -1, 0); int line_b = __LINE__;
	char *args[] = {argv[0], "after", NULL};

	if (b == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(b, b + 9 * PAGE, "mmap", 9 * PAGE, "anon", line_b);
	truth_check(); /* the last chance: execve replaces this address space */
	execv("/proc/self/exe", args);
	truth_die("execv: %m");
}
