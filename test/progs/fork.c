/* SPDX-License-Identifier: MIT */
/*
 * fork: the child gets its own copy of the address space. The parent maps
 * A and B and forks; the child maps C, unmaps its copy of A and exits. Run
 * under memstrace -f: the parent's space keeps A and B; the child's space
 * holds C (pid = child) and its inherited copy of B (pid = parent), not A.
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>
#include <sys/wait.h>

#include "truth.h"

#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(void)
{
	char *a = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0); int line_a = __LINE__;
	char *b = mmap(NULL, 5 * PAGE, RW, ANON, -1, 0); int line_b = __LINE__;
	pid_t parent = getpid(), child;
	int status;

	if (a == MAP_FAILED || b == MAP_FAILED)
		truth_die("mmap: %m");
	a[0] = b[0] = 'P';
	truth_region(a, a + 3 * PAGE, "mmap", 3 * PAGE, "anon", line_a);
	truth_region(b, b + 5 * PAGE, "mmap", 5 * PAGE, "anon", line_b);

	child = fork();
	if (child < 0)
		truth_die("fork: %m");
	if (child == 0) {
		/* C first: the kernel could otherwise put it where A was. */
		char *c = mmap(NULL, 7 * PAGE, RW, ANON, -1, 0); int line_c = __LINE__;

		if (c == MAP_FAILED || munmap(a, 3 * PAGE))
			truth_die("child: %m");
		b[0] = c[0] = 'C'; /* copy on write: the parent keeps its 'P' */
		truth_region(c, c + 7 * PAGE, "mmap", 7 * PAGE, "anon", line_c);
		truth_region_inherited(b, b + 5 * PAGE, "mmap", 5 * PAGE, "anon", line_b, parent);
		truth_unmapped(a, a + 3 * PAGE);
		truth_check();
		exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		truth_die("waitpid: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		truth_die("child failed: status 0x%x", status);
	if (a[0] != 'P' || b[0] != 'P')
		truth_die("the child changed the parent's memory");
	truth_check();
	return 0;
}
