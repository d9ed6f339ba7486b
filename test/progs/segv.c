/* SPDX-License-Identifier: MIT */
/*
 * segv: maps a region and a PROT_NONE guard page, then dies by SIGSEGV
 * writing to the guard: memstrace exits 128 + 11 and still writes the report.
 */
#define _GNU_SOURCE 1
#include <sys/mman.h>
#include <sys/resource.h>

#include "truth.h"

#define SIZE (13 * 4096)
#define GUARD 4096

int main(void)
{
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line = __LINE__;
	char *guard = mmap(NULL, GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); int line_guard = __LINE__;
	struct rlimit no_core = {0, 0};

	if (p == MAP_FAILED || guard == MAP_FAILED)
		truth_die("mmap: %m");
	truth_region(p, p + SIZE, "mmap", SIZE, "anon", line);
	truth_region(guard, guard + GUARD, "mmap", GUARD, "anon", line_guard);
	truth_check();
	setrlimit(RLIMIT_CORE, &no_core); /* a crash test should not leave a core file */
	*(volatile char *)guard = 1;
	truth_die("writing to a PROT_NONE page did not fault");
}
